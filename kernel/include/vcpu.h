/* Virtual CPUs (kernel/arch/aarch64/vcpu.c); the ABI is include/icecap/vcpu.h.
 *
 * States of a VCPU: unbound, or bound to one TCB (vcpu->tcb, tcb->vcpu). A
 * bound VCPU's EL1 state lives either in its object or, while its thread is
 * the current thread of a CPU, in that CPU's registers (cpu->vcpu_active).
 * While another (native) thread runs, the state may stay in the CPU, parked
 * (vcpu.c); vcpu_unload, locally or at another CPU's request
 * (smp_unload_vcpu), puts it back into the object before anybody reads or
 * changes it there, or before another VCPU or CPU needs it. */
#ifndef KERNEL_VCPU_H
#define KERNEL_VCPU_H

#include "object.h"
#include <icecap/vcpu.h>
#include "arch.h"
#include "plat.h"

struct cpu;

/* FP state: q0..q31 or, with SVE, z0..z31 at the vector length of EL2 (at
 * most ARCH_SVE_MAX_VL bytes each), then p0..p15 and FFR (an eighth of
 * that each) at VCPU_FP_SVE_PREGS (vcpu_fp.S knows both numbers). */
#define VCPU_FP_SVE_PREGS (32 * ARCH_SVE_MAX_VL)
#define VCPU_FP_BYTES (VCPU_FP_SVE_PREGS + 17 * ARCH_SVE_MAX_VL / 8)
_Static_assert(VCPU_FP_SVE_PREGS == 2048 && VCPU_FP_BYTES % 8 == 0, "vcpu_fp.S layout");

struct vcpu {
    struct tcb *tcb;
    struct vgic_state vgic;
    bool vtimer_masked;              /* its timer fired; not yet acked or ended */
    uint8_t timer_lr;                /* 1 + the list register the kernel injects
                                        the timer through, or 0: exits to the VMM */
    uint8_t timer_priority, timer_group;
    uint8_t loaded_on;               /* 1 + the CPU whose registers hold it, or 0 */
    /* List registers: lr_used has a bit for each that may hold an
     * interrupt, as far as the kernel knows (set when one is put in, clear
     * once the kernel has seen it free); lr_queued, for those another CPU
     * filled while this VCPU was loaded elsewhere (lr_queue), which the
     * CPU holding it puts in (vcpu.c, "list registers"). */
    uint16_t lr_used, lr_queued;
    uint64_t lr_queue[PLAT_VGIC_MAX_LRS];
    word_t regs[IC_VCPU_REG_COUNT];
    uint64_t tpidr2_el0;             /* with SME: not for guests, but EL1 can write it */
    uint64_t fp[VCPU_FP_BYTES / 8] __attribute__((aligned(16)));
};
_Static_assert(sizeof(struct vcpu) <= (1u << IC_VCPU_SIZE_BITS), "VCPU fits its object");

void vcpu_init(struct vcpu *v);
void vcpu_switch_slow(struct cpu *c, struct tcb *next);
void vcpu_unload(struct cpu *c);
void vcpu_finalise(struct vcpu *v);
void vcpu_unbind_tcb(struct tcb *t);
void vcpu_handle_exit(struct tcb *t, uint64_t esr);
bool vcpu_emulated_reply(struct tcb *guest, word_t fault, struct tcb *vmm);
word_t vcpu_spsr_write(struct tcb *t, word_t old, word_t v);
void vcpu_handle_maintenance(void);
void vcpu_handle_vtimer(void);
void vcpu_handle_kick(void);

/* Before 'next' runs on this CPU: make its VCPU (or none) the active one. */
static inline void vcpu_switch(struct cpu *c, struct tcb *next)
{
    if (next->vcpu ? (c->vcpu_active != next->vcpu || !c->guest_mode) : c->guest_mode)
        vcpu_switch_slow(c, next);
}

/* vcpu_fp.S: FP/SIMD registers, or the SVE ones (with SVE enabled at EL2) */
void vcpu_fp_save(uint64_t *fp);
void vcpu_fp_restore(const uint64_t *fp);
void vcpu_sve_save(uint64_t *fp);
void vcpu_sve_restore(const uint64_t *fp);

#endif
