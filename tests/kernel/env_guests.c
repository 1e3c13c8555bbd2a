/* Guests for the kernel suite: a VCPU thread in a given VSpace. */
#include "test.h"
#include <icecap/arch/aarch64.h>
#include <icecap/vcpu.h>

bool guest_make(struct guest *g, ic_cptr_t vs, void (*entry)(void), ic_word_t x0, ic_word_t x19, ic_word_t x20)
{
    g->tcb = alloc_object(IC_OBJ_TCB, 0);
    g->vcpu = alloc_object(IC_OBJ_VCPU, 0);
    g->ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    if (!g->tcb || !g->vcpu || !g->ep)
        return false;
    if (ic_tcb_configure(g->tcb, IC_WORD_BITS - IC_ROOT_CNODE_BITS, 0, g->ep, ROOT_CNODE, vs, 0) != IC_OK ||
        ic_tcb_set_priority(g->tcb, 100, ROOT_TCB) != IC_OK || ic_vcpu_set_tcb(g->vcpu, g->tcb) != IC_OK)
        return false;
    /* FP/SIMD usable at the guest's EL1 (CPACR_EL1.FPEN) */
    if (ic_vcpu_write_register(g->vcpu, IC_VCPU_CPACR_EL1, 3u << 20) != IC_OK)
        return false;
    ic_user_context_t regs = { 0 };
    regs.regs[IC_REG_PC] = (ic_word_t)entry;
    regs.regs[IC_REG_SPSR] = AARCH64_SPSR_EL1H_MASKED;
    regs.regs[IC_REG_X0] = x0;
    regs.regs[IC_REG_X0 + 19] = x19;
    regs.regs[IC_REG_X0 + 20] = x20;
    return ic_tcb_write_registers(g->tcb, false, IC_REG_COUNT, &regs) == IC_OK;
}
