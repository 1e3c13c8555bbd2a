/* Virtual CPUs: EL1 state, switching it on and off the CPU, guest exits as
 * fault messages to the VMM, and the VMM's emulated replies. See vcpu.h for
 * the states. */
#include "vcpu.h"
#include "arch.h"
#include "invocation.h"
#include "kernel.h"
#include "sched.h"
#include "smp.h"
#include "util.h"

/* The EL1 (and per-VCPU EL2) registers a guest owns. The second list is
 * what native threads at EL0 could see or be affected by: a parked VCPU
 * (below) saves those and puts native values in their place. */
#define VCPU_SYSREGS(X)                                                                            \
    X(IC_VCPU_SCTLR_EL1, sctlr_el1) X(IC_VCPU_TTBR0_EL1, ttbr0_el1) X(IC_VCPU_TTBR1_EL1, ttbr1_el1) \
    X(IC_VCPU_TCR_EL1, tcr_el1) X(IC_VCPU_MAIR_EL1, mair_el1) X(IC_VCPU_AMAIR_EL1, amair_el1)       \
    X(IC_VCPU_CONTEXTIDR_EL1, contextidr_el1) X(IC_VCPU_CPACR_EL1, cpacr_el1)                       \
    X(IC_VCPU_VBAR_EL1, vbar_el1) X(IC_VCPU_ELR_EL1, elr_el1) X(IC_VCPU_SPSR_EL1, spsr_el1)         \
    X(IC_VCPU_SP_EL1, sp_el1) X(IC_VCPU_ESR_EL1, esr_el1) X(IC_VCPU_FAR_EL1, far_el1)               \
    X(IC_VCPU_AFSR0_EL1, afsr0_el1) X(IC_VCPU_AFSR1_EL1, afsr1_el1) X(IC_VCPU_PAR_EL1, par_el1)     \
    X(IC_VCPU_TPIDR_EL1, tpidr_el1)                                                                 \
    X(IC_VCPU_CNTV_CVAL_EL0, cntv_cval_el0) X(IC_VCPU_VMPIDR_EL2, vmpidr_el2) X(IC_VCPU_FPCR, fpcr)  \
    X(IC_VCPU_FPSR, fpsr)
#define VCPU_EL0_VISIBLE_REGS(X)                                                                   \
    X(IC_VCPU_CNTV_CTL_EL0, cntv_ctl_el0) X(IC_VCPU_TPIDRRO_EL0, tpidrro_el0)                       \
    X(IC_VCPU_CNTVOFF_EL2, cntvoff_el2) X(IC_VCPU_CNTKCTL_EL1, cntkctl_el1)                         \
    X(IC_VCPU_MDSCR_EL1, mdscr_el1)

#define MPIDR_RES1 (1ull << 31)
#define NATIVE_CNTKCTL 0x3ull /* EL0 may read both counters, as arch.c sets */
#define SCTLR_EL1_RES1 0x30d00800ull

void vcpu_init(struct vcpu *v)
{
    v->regs[IC_VCPU_SCTLR_EL1] = SCTLR_EL1_RES1;
    v->regs[IC_VCPU_VMPIDR_EL2] = MPIDR_RES1;
}

#define SAVE(i, r) v->regs[i] = SYSREG_READ(r);
#define RESTORE(i, r) SYSREG_WRITE(r, v->regs[i]);

/* A loaded VCPU is either in guest mode (its thread runs) or parked: a
 * native thread runs, the guest's EL1 and FP state stay in the CPU (native
 * threads cannot reach them: EL1 is unused under HCR_EL2.TGE and FP traps),
 * and what EL0 could see is swapped out. Going back to the same guest then
 * costs a few registers instead of a full switch. */
static void enter_guest_mode(struct cpu *c, struct vcpu *v)
{
    SYSREG_WRITE(cptr_el2, CPTR_EL2_FP_ALLOWED);
    VCPU_EL0_VISIBLE_REGS(RESTORE)
    plat_vgic_enable(v->vgic.hcr);
    /* the timer's interrupt line follows the VCPU's mask */
    if (c->vtimer_line_enabled == v->vtimer_masked) {
        if (v->vtimer_masked)
            plat_irq_disable(BOARD_VTIMER_PPI);
        else
            plat_irq_enable(BOARD_VTIMER_PPI);
        c->vtimer_line_enabled = !v->vtimer_masked;
    }
    SYSREG_WRITE(hcr_el2, HCR_VCPU);
    isb();
    c->guest_mode = true;
}

static void park(struct cpu *c)
{
    struct vcpu *v = c->vcpu_active;
    VCPU_EL0_VISIBLE_REGS(SAVE)
    /* its timer stops and its interface is off while it is parked */
    SYSREG_WRITE(cntv_ctl_el0, 0);
    SYSREG_WRITE(tpidrro_el0, 0);
    SYSREG_WRITE(cntvoff_el2, 0);
    SYSREG_WRITE(cntkctl_el1, NATIVE_CNTKCTL);
    SYSREG_WRITE(mdscr_el1, 0); /* no single-stepping or debug exceptions for native threads */
    plat_vgic_disable();
    SYSREG_WRITE(hcr_el2, HCR_NATIVE);
    SYSREG_WRITE(cptr_el2, CPTR_EL2_FP_TRAPPED);
    isb();
    c->guest_mode = false;
}

static void load(struct cpu *c, struct vcpu *v)
{
    SYSREG_WRITE(cptr_el2, CPTR_EL2_FP_ALLOWED);
    isb();
    VCPU_SYSREGS(RESTORE)
    vcpu_fp_restore(v->fp);
    plat_vgic_restore(&v->vgic);
    v->loaded_on = (uint8_t)(c->id + 1);
    c->vcpu_active = v;
    enter_guest_mode(c, v);
}

/* Save this CPU's VCPU into its object; native threads only from now on. */
void vcpu_unload(struct cpu *c)
{
    struct vcpu *v = c->vcpu_active;
    if (!v)
        return;
    if (c->guest_mode)
        park(c);
    SYSREG_WRITE(cptr_el2, CPTR_EL2_FP_ALLOWED);
    isb();
    VCPU_SYSREGS(SAVE)
    vcpu_fp_save(v->fp);
    plat_vgic_save(&v->vgic);
    SYSREG_WRITE(cptr_el2, CPTR_EL2_FP_TRAPPED);
    isb();
    v->loaded_on = 0;
    c->vcpu_active = NULL;
}

void vcpu_switch_slow(struct cpu *c, struct tcb *next)
{
    struct vcpu *v = next->vcpu;
    if (!v) {
        park(c);
        return;
    }
    if (c->vcpu_active == v) {
        enter_guest_mode(c, v);
        return;
    }
    vcpu_unload(c);
    if (v->loaded_on)
        smp_unload_vcpu(v->loaded_on - 1u, v);
    load(c, v);
}

/* Make sure v's state is in its object, not in some CPU. */
static void vcpu_flush(struct vcpu *v)
{
    if (v->tcb)
        smp_stall_thread(v->tcb);
    if (this_cpu()->vcpu_active == v)
        vcpu_unload(this_cpu());
    else if (v->loaded_on)
        smp_unload_vcpu(v->loaded_on - 1u, v);
}

static void unbind(struct vcpu *v, struct tcb *t)
{
    vcpu_flush(v);
    if (t->state != THREAD_INACTIVE) {
        sched_stop(t);
        ipc_cancel(t);
        t->state = THREAD_INACTIVE;
    }
    t->vcpu = NULL;
    v->tcb = NULL;
    t->ctx.spsr = SPSR_EL0T;
}

void vcpu_unbind_tcb(struct tcb *t)
{
    if (t->vcpu)
        unbind(t->vcpu, t);
}

void vcpu_finalise(struct vcpu *v)
{
    if (v->tcb)
        unbind(v, v->tcb);
}

#define NZCV 0xf0000000ull
#define DAIF 0x3c0ull
#define MODE_MASK 0x1full

/* What a thread's SPSR may become: only the flags for a native thread; for
 * a VCPU thread also the interrupt masks and a mode of EL0t, EL1t or EL1h. */
word_t vcpu_spsr_write(struct tcb *t, word_t old, word_t v)
{
    if (!t->vcpu)
        return (old & ~NZCV) | (v & NZCV);
    word_t mode = v & MODE_MASK;
    if (mode != 0x0 && mode != 0x4 && mode != 0x5)
        mode = old & MODE_MASK;
    return (v & (NZCV | DAIF)) | mode;
}

/* ------------------------------------------------------------ exits */

#define ESR_EC(esr) ((esr) >> 26)
#define EC_HVC64 0x16
#define EC_SMC64 0x17
#define EC_SYSREG 0x18
#define EC_IABT_LOWER 0x20
#define EC_DABT_LOWER 0x24
#define ISS_ISV (1ull << 24)
#define ISS_WNR (1ull << 6)
#define ISS_SRT(esr) (((esr) >> 16) & 0x1f)
#define ISS_SYSREG_RT(esr) (((esr) >> 5) & 0x1f)
#define ISS_SYSREG_READ 1ull

static word_t guest_reg(struct tcb *t, unsigned r)
{
    return r == 31 ? 0 : t->ctx.x[r];
}

void vcpu_handle_exit(struct tcb *t, uint64_t esr)
{
    word_t msg[IC_VCPU_CALL_LENGTH] = { 0 };
    switch (ESR_EC(esr)) {
    case EC_DABT_LOWER:
    case EC_IABT_LOWER: {
        /* the guest-physical page from HPFAR, the offset from FAR */
        word_t far = SYSREG_READ(far_el2);
        word_t addr = ((SYSREG_READ(hpfar_el2) >> 4) << 12) | (far & 0xfff);
        msg[IC_VCPU_ABORT_PC] = t->ctx.pc;
        msg[IC_VCPU_ABORT_ADDR] = addr;
        msg[IC_VCPU_ABORT_VADDR] = far;
        msg[IC_VCPU_ABORT_ESR] = esr;
        if (ESR_EC(esr) == EC_DABT_LOWER && (esr & ISS_ISV) && (esr & ISS_WNR))
            msg[IC_VCPU_ABORT_VALUE] = guest_reg(t, ISS_SRT(esr));
        fault_raise(t, IC_FAULT_VCPU_DATA_ABORT, msg, IC_VCPU_ABORT_LENGTH);
        return;
    }
    case EC_HVC64:
    case EC_SMC64:
        for (unsigned i = 0; i < 8; i++)
            msg[IC_VCPU_CALL_X0 + i] = t->ctx.x[i];
        msg[IC_VCPU_CALL_IMM] = esr & 0xffff;
        msg[IC_VCPU_CALL_PC] = t->ctx.pc;
        fault_raise(t, ESR_EC(esr) == EC_HVC64 ? IC_FAULT_VCPU_HVC : IC_FAULT_VCPU_SMC, msg, IC_VCPU_CALL_LENGTH);
        return;
    case EC_SYSREG:
        msg[IC_VCPU_SYSREG_PC] = t->ctx.pc;
        msg[IC_VCPU_SYSREG_ESR] = esr;
        if (!(esr & ISS_SYSREG_READ))
            msg[IC_VCPU_SYSREG_VALUE] = guest_reg(t, ISS_SYSREG_RT(esr));
        fault_raise(t, IC_FAULT_VCPU_SYSREG, msg, IC_VCPU_SYSREG_LENGTH);
        return;
    default:
        msg[IC_VCPU_EXIT_PC] = t->ctx.pc;
        msg[IC_VCPU_EXIT_ESR] = esr;
        fault_raise(t, IC_FAULT_VCPU_UNKNOWN, msg, IC_VCPU_EXIT_LENGTH);
        return;
    }
}

/* The value an emulated MMIO read gives the register: the access size,
 * sign-extended if asked, 32 bits for a W register. */
static word_t mmio_read_value(uint64_t esr, word_t v)
{
    unsigned bits = 8u << ((esr >> 22) & 3);
    if (bits < 64) {
        v &= MASK(bits);
        if ((esr & (1ull << 21)) && (v >> (bits - 1)))
            v |= ~MASK(bits);
    }
    if (!(esr & (1ull << 15)))
        v &= MASK(32);
    return v;
}

static void set_guest_reg(struct tcb *t, unsigned r, word_t v)
{
    if (r != 31)
        t->ctx.x[r] = v;
}

/* The VMM answered an exit with "emulated": complete the instruction.
 * Returns false for exits that cannot be completed that way. */
bool vcpu_emulated_reply(struct tcb *guest, word_t fault, struct tcb *vmm)
{
    ic_ipc_buffer_t *buf = tcb_ipc_buffer(vmm);
    word_t length = vmm->ctx.x[1] & 0x7f;
    uint64_t esr = guest->fault_msg[fault == IC_FAULT_VCPU_SYSREG ? IC_VCPU_SYSREG_ESR : IC_VCPU_ABORT_ESR];
    switch (fault) {
    case IC_FAULT_VCPU_DATA_ABORT:
        if (ESR_EC(esr) != EC_DABT_LOWER || !(esr & ISS_ISV))
            return false;
        if (!(esr & ISS_WNR))
            set_guest_reg(guest, ISS_SRT(esr), mmio_read_value(esr, ipc_get_mr(vmm, buf, 0)));
        guest->ctx.pc += 4;
        return true;
    case IC_FAULT_VCPU_SYSREG:
        if (esr & ISS_SYSREG_READ)
            set_guest_reg(guest, ISS_SYSREG_RT(esr), ipc_get_mr(vmm, buf, 0));
        guest->ctx.pc += 4;
        return true;
    case IC_FAULT_VCPU_HVC:
    case IC_FAULT_VCPU_SMC:
        for (unsigned i = 0; i < 4 && i < length; i++)
            guest->ctx.x[i] = ipc_get_mr(vmm, buf, i);
        if (fault == IC_FAULT_VCPU_SMC)
            guest->ctx.pc += 4; /* a trapped SMC returns to itself; HVC to the next */
        return true;
    case IC_FAULT_VCPU_VTIMER:
    case IC_FAULT_VCPU_VGIC_MAINTENANCE:
        return true; /* asynchronous: nothing to complete */
    default:
        return false;
    }
}

/* ------------------------------------------------------------ invocations */

ic_err_t vcpu_invoke_set_tcb(struct invocation *inv)
{
    struct vcpu *v = (struct vcpu *)(uintptr_t)inv->slot->cap.obj;
    struct cte *tc = inv->caps[0];
    if (tc->cap.type != CAP_TCB)
        return IC_INVALID_CAPABILITY;
    struct tcb *t = cap_tcb(&tc->cap);
    /* only a stopped thread: one blocked in a receive or running at EL0
     * must not come back at EL1 (the IPC fast path relies on this) */
    if (t->state != THREAD_INACTIVE)
        return IC_ILLEGAL_OPERATION;
    if (v->tcb == t)
        return IC_OK;
    if (v->tcb)
        unbind(v, v->tcb);
    if (t->vcpu)
        unbind(t->vcpu, t);
    v->tcb = t;
    t->vcpu = v;
    t->ctx.spsr = SPSR_EL1H_MASKED;
    return IC_OK;
}

ic_err_t vcpu_invoke_read_register(struct invocation *inv)
{
    struct vcpu *v = (struct vcpu *)(uintptr_t)inv->slot->cap.obj;
    word_t index = inv->args[0];
    if (index >= IC_VCPU_REG_COUNT)
        return IC_RANGE_ERROR;
    vcpu_flush(v);
    invocation_result(inv, v->regs[index]);
    return IC_OK;
}

ic_err_t vcpu_invoke_write_register(struct invocation *inv)
{
    struct vcpu *v = (struct vcpu *)(uintptr_t)inv->slot->cap.obj;
    word_t index = inv->args[0], value = inv->args[1];
    if (index >= IC_VCPU_REG_COUNT)
        return IC_RANGE_ERROR;
    if (index == IC_VCPU_VMPIDR_EL2)
        value |= MPIDR_RES1;
    vcpu_flush(v);
    v->regs[index] = value;
    return IC_OK;
}

/* ------------------------------------------------------------ interrupts */

/* The guest running on this CPU, if its thread is the current one. */
static struct tcb *running_guest(void)
{
    struct cpu *c = this_cpu();
    struct vcpu *v = c->vcpu_active;
    if (!v || !v->tcb || c->current != v->tcb || v->tcb->state != THREAD_RUNNABLE)
        return NULL;
    return v->tcb;
}

/* The guest ended interrupts whose list registers asked for it: free them
 * and tell the VMM. */
void vcpu_handle_maintenance(void)
{
    struct tcb *t = running_guest();
    if (!t)
        return;
    uint32_t lrs = plat_vgic_eoi_lrs();
    for (unsigned i = 0; i < PLAT_VGIC_MAX_LRS; i++)
        if (lrs & BIT(i))
            plat_vgic_clear_lr(i);
    word_t msg[IC_VCPU_MAINTENANCE_LENGTH] = { t->ctx.pc, lrs };
    fault_raise(t, IC_FAULT_VCPU_VGIC_MAINTENANCE, msg, IC_VCPU_MAINTENANCE_LENGTH);
}

/* The guest's virtual timer fired: mask it until the VMM has injected it
 * and acknowledged (vcpu_ack_vtimer). */
void vcpu_handle_vtimer(void)
{
    plat_irq_disable(BOARD_VTIMER_PPI);
    this_cpu()->vtimer_line_enabled = false;
    struct tcb *t = running_guest();
    if (!t)
        return;
    t->vcpu->vtimer_masked = true;
    word_t msg[IC_VCPU_EXIT_LENGTH] = { t->ctx.pc, 0 };
    fault_raise(t, IC_FAULT_VCPU_VTIMER, msg, IC_VCPU_EXIT_LENGTH);
}

ic_err_t vcpu_invoke_inject_irq(struct invocation *inv)
{
    struct vcpu *v = (struct vcpu *)(uintptr_t)inv->slot->cap.obj;
    word_t virq = inv->args[0], priority = inv->args[1], group = inv->args[2], index = inv->args[3];
    if (virq > plat_vgic_max_virq() || priority > 0xff || group > 1 || index >= plat_vgic_num_lrs())
        return IC_RANGE_ERROR;
    /* parked on this CPU (the usual case: the VMM answers an exit of its
     * guest), the list register is written in place */
    bool here = this_cpu()->vcpu_active == v;
    if (!here)
        vcpu_flush(v);
    uint64_t old = here ? plat_vgic_read_lr((unsigned)index) : v->vgic.lr[index];
    if (plat_vgic_lr_in_use(old))
        return IC_DELETE_FIRST;
    uint64_t lr = plat_vgic_lr_pending((unsigned)virq, (unsigned)priority, (unsigned)group);
    if (here)
        plat_vgic_write_lr((unsigned)index, lr);
    else
        v->vgic.lr[index] = lr;
    return IC_OK;
}

ic_err_t vcpu_invoke_ack_vtimer(struct invocation *inv)
{
    struct vcpu *v = (struct vcpu *)(uintptr_t)inv->slot->cap.obj;
    /* read when the guest next enters guest mode */
    if (v->tcb)
        smp_stall_thread(v->tcb);
    v->vtimer_masked = false;
    return IC_OK;
}
