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
    X(IC_VCPU_TTBR0_EL1, ttbr0_el1) X(IC_VCPU_TTBR1_EL1, ttbr1_el1)                                 \
    X(IC_VCPU_TCR_EL1, tcr_el1) X(IC_VCPU_MAIR_EL1, mair_el1) X(IC_VCPU_AMAIR_EL1, amair_el1)       \
    X(IC_VCPU_CONTEXTIDR_EL1, contextidr_el1) X(IC_VCPU_CPACR_EL1, cpacr_el1)                       \
    X(IC_VCPU_VBAR_EL1, vbar_el1) X(IC_VCPU_ELR_EL1, elr_el1) X(IC_VCPU_SPSR_EL1, spsr_el1)         \
    X(IC_VCPU_SP_EL1, sp_el1) X(IC_VCPU_ESR_EL1, esr_el1) X(IC_VCPU_FAR_EL1, far_el1)               \
    X(IC_VCPU_AFSR0_EL1, afsr0_el1) X(IC_VCPU_AFSR1_EL1, afsr1_el1) X(IC_VCPU_PAR_EL1, par_el1)     \
    X(IC_VCPU_TPIDR_EL1, tpidr_el1)                                                                 \
    X(IC_VCPU_CNTV_CVAL_EL0, cntv_cval_el0) X(IC_VCPU_VMPIDR_EL2, vmpidr_el2) X(IC_VCPU_FPCR, fpcr)  \
    X(IC_VCPU_FPSR, fpsr) X(IC_VCPU_CSSELR_EL1, csselr_el1)
#define VCPU_EL0_VISIBLE_REGS(X)                                                                   \
    X(IC_VCPU_CNTV_CTL_EL0, cntv_ctl_el0) X(IC_VCPU_TPIDRRO_EL0, tpidrro_el0)                       \
    X(IC_VCPU_CNTVOFF_EL2, cntvoff_el2) X(IC_VCPU_CNTKCTL_EL1, cntkctl_el1)                         \
    X(IC_VCPU_MDSCR_EL1, mdscr_el1)
/* With pointer authentication, its keys (APIAKeyLo_EL1 and so on, named by
 * encoding: the assembler knows the names only for Armv8.3 and later). */
#define VCPU_PAUTH_REGS(X)                                                                         \
    X(IC_VCPU_APIAKEYLO_EL1, S3_0_C2_C1_0) X(IC_VCPU_APIAKEYHI_EL1, S3_0_C2_C1_1)                   \
    X(IC_VCPU_APIBKEYLO_EL1, S3_0_C2_C1_2) X(IC_VCPU_APIBKEYHI_EL1, S3_0_C2_C1_3)                   \
    X(IC_VCPU_APDAKEYLO_EL1, S3_0_C2_C2_0) X(IC_VCPU_APDAKEYHI_EL1, S3_0_C2_C2_1)                   \
    X(IC_VCPU_APDBKEYLO_EL1, S3_0_C2_C2_2) X(IC_VCPU_APDBKEYHI_EL1, S3_0_C2_C2_3)                   \
    X(IC_VCPU_APGAKEYLO_EL1, S3_0_C2_C3_0) X(IC_VCPU_APGAKEYHI_EL1, S3_0_C2_C3_1)
#define ZCR_EL1 S3_0_C1_C2_0
#define ZCR_LEN_MASK 0xfull
#define TPIDR2_EL0 S3_3_C13_C0_5

#define MPIDR_RES1 (1ull << 31)
#define NATIVE_CNTKCTL 0x3ull /* EL0 may read both counters, as arch.c sets */

void vcpu_init(struct vcpu *v)
{
    v->regs[IC_VCPU_SCTLR_EL1] = SCTLR_EL1_RES1; /* MMU and caches off, as at reset */
    v->regs[IC_VCPU_VMPIDR_EL2] = MPIDR_RES1;
}

#define SAVE(i, r) v->regs[i] = SYSREG_READ(r);
#define RESTORE(i, r) SYSREG_WRITE(r, v->regs[i]);
/* for registers named by a macro above: expanded to their encoding before
 * SYSREG_* turns the name into a string */
#define SYSREG_WRITE_NAMED(r, x) SYSREG_WRITE(r, x)
#define SYSREG_READ_NAMED(r) SYSREG_READ(r)

/* The guest's FP or SVE state, and the EL1 registers of features the CPU
 * may lack; SVE and FP must not trap (arch_cptr_vcpu). */
static void save_optional(struct vcpu *v)
{
    if (arch_has_pauth) {
        VCPU_PAUTH_REGS(SAVE)
    }
    if (arch_has_sve) {
        v->regs[IC_VCPU_ZCR_EL1] = SYSREG_READ_NAMED(ZCR_EL1);
        vcpu_sve_save(v->fp);
    } else {
        vcpu_fp_save(v->fp);
    }
}

static void restore_optional(struct vcpu *v)
{
    if (arch_has_pauth) {
        VCPU_PAUTH_REGS(RESTORE)
    }
    if (arch_has_sve) {
        SYSREG_WRITE_NAMED(ZCR_EL1, v->regs[IC_VCPU_ZCR_EL1]);
        vcpu_sve_restore(v->fp);
    } else {
        vcpu_fp_restore(v->fp);
    }
}

/* List registers. The VMM fills them (vcpu_inject_irq); the guest frees
 * them by ending the interrupt, which with the EOI bit set brings a
 * maintenance interrupt, and the kernel tells the VMM. A VCPU loaded on
 * another CPU is not stopped to be filled: the list register is queued in
 * the VCPU, that CPU is kicked, and it puts the queue in at its next entry
 * (vcpu_handle_kick), when the VCPU next enters guest mode or when it is
 * unloaded, whichever comes first. Whether a list register is free is then
 * decided from lr_used, which is never clear while it holds something. */
static __attribute__((noinline)) void lr_put_queued_now(struct vcpu *v, bool live)
{
    for (uint32_t q = v->lr_queued; q; q &= q - 1) {
        unsigned i = (unsigned)__builtin_ctz(q);
        /* lr_used kept others off it: it is free */
        if (live)
            plat_vgic_write_lr(i, v->lr_queue[i]);
        else
            v->vgic.lr[i] = v->lr_queue[i];
    }
    v->lr_queued = 0;
}

static inline void lr_put_queued(struct vcpu *v, bool live)
{
    if (__builtin_expect(v->lr_queued != 0, 0))
        lr_put_queued_now(v, live);
}

/* From the saved state, once the VCPU is in its object. */
static void lr_update_used(struct vcpu *v)
{
    uint16_t used = 0;
    for (unsigned i = 0; i < plat_vgic_num_lrs(); i++)
        if (plat_vgic_lr_in_use(v->vgic.lr[i]))
            used |= (uint16_t)BIT(i);
    v->lr_used = used;
}

/* A loaded VCPU is either in guest mode (its thread runs) or parked: a
 * native thread runs, the guest's EL1, FP and SVE state stay in the CPU
 * (native threads cannot reach them: EL1 is unused under HCR_EL2.TGE, FP
 * and SVE trap, and so do PAC instructions, which would use the guest's
 * keys), and what EL0 could see is swapped out. Going back to the same
 * guest then costs a few registers instead of a full switch. */
static void enter_guest_mode(struct cpu *c, struct vcpu *v)
{
    SYSREG_WRITE(cptr_el2, arch_cptr_vcpu);
    VCPU_EL0_VISIBLE_REGS(RESTORE)
    if (c->sctlr_tamed) {
        SYSREG_WRITE(sctlr_el1, v->regs[IC_VCPU_SCTLR_EL1]);
        c->sctlr_tamed = false;
    }
    if (arch_has_sme)
        SYSREG_WRITE_NAMED(TPIDR2_EL0, v->tpidr2_el0);
    plat_vgic_unpark(&v->vgic);
    lr_put_queued(v, true);
    /* the timer's interrupt line follows the VCPU's mask */
    if (c->vtimer_line_enabled == v->vtimer_masked) {
        if (v->vtimer_masked)
            plat_irq_disable(BOARD_VTIMER_PPI);
        else
            plat_irq_enable(BOARD_VTIMER_PPI);
        c->vtimer_line_enabled = !v->vtimer_masked;
    }
    SYSREG_WRITE(cnthctl_el2, CNTHCTL_VCPU);
    SYSREG_WRITE(mdcr_el2, arch_mdcr_native | MDCR_VCPU_TRAPS);
    SYSREG_WRITE(hcr_el2, arch_hcr_vcpu);
    isb();
    c->guest_mode = true;
}

static void park(struct cpu *c)
{
    struct vcpu *v = c->vcpu_active;
    VCPU_EL0_VISIBLE_REGS(SAVE)
    /* under HCR_EL2.TGE, SCTLR_EL1 still rules EL0 (arch.h) */
    uint64_t sctlr = SYSREG_READ(sctlr_el1);
    v->regs[IC_VCPU_SCTLR_EL1] = sctlr;
    if (sctlr & SCTLR_EL1_EL0_HAZARDS) {
        SYSREG_WRITE(sctlr_el1, sctlr & ~SCTLR_EL1_EL0_HAZARDS);
        c->sctlr_tamed = true;
    }
    /* its timer stops and its interface is off while it is parked */
    SYSREG_WRITE(cntv_ctl_el0, 0);
    SYSREG_WRITE(tpidrro_el0, 0);
    SYSREG_WRITE(cntvoff_el2, 0);
    SYSREG_WRITE(cntkctl_el1, NATIVE_CNTKCTL);
    SYSREG_WRITE(mdscr_el1, 0); /* no single-stepping or debug exceptions for native threads */
    /* SME's thread register: the guest's EL1 can write it without a trap,
     * and a native thread read it if the guest's SCTLR_EL1.EnTP2 allows */
    if (arch_has_sme) {
        v->tpidr2_el0 = SYSREG_READ_NAMED(TPIDR2_EL0);
        SYSREG_WRITE_NAMED(TPIDR2_EL0, 0);
    }
    plat_vgic_park(&v->vgic);
    SYSREG_WRITE(cnthctl_el2, CNTHCTL_NATIVE);
    SYSREG_WRITE(mdcr_el2, arch_mdcr_native);
    SYSREG_WRITE(hcr_el2, HCR_NATIVE);
    SYSREG_WRITE(cptr_el2, arch_cptr_native);
    isb();
    c->guest_mode = false;
}

static void load(struct cpu *c, struct vcpu *v)
{
    SYSREG_WRITE(cptr_el2, arch_cptr_vcpu);
    isb();
    VCPU_SYSREGS(RESTORE)
    SYSREG_WRITE(sctlr_el1, v->regs[IC_VCPU_SCTLR_EL1]);
    c->sctlr_tamed = false;
    restore_optional(v);
    if (!plat_vgic_park_saves) /* else unparking restores it */
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
    SYSREG_WRITE(sctlr_el1, SCTLR_EL1_NATIVE);
    c->sctlr_tamed = false;
    SYSREG_WRITE(cptr_el2, arch_cptr_vcpu);
    isb();
    VCPU_SYSREGS(SAVE)
    save_optional(v);
    if (!plat_vgic_park_saves) /* else parking saved it */
        plat_vgic_save(&v->vgic);
    lr_put_queued(v, false);
    lr_update_used(v);
    SYSREG_WRITE(cptr_el2, arch_cptr_native);
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

#define ISS_ISV (1ull << 24)
#define ISS_WNR (1ull << 6)
#define ISS_SRT(esr) (((esr) >> 16) & 0x1f)
#define ISS_SYSREG_RT(esr) (((esr) >> 5) & 0x1f)
#define ISS_SYSREG_READ 1ull
#define ISS_SYSREG_OP2(esr) (((esr) >> 17) & 7)
#define ISS_SYSREG_CRM(esr) (((esr) >> 1) & 0xf)
/* op0 (21:20), op1 (16:14), CRn (13:10) and the direction */
#define ISS_SYSREG_SPACE_MASK ((3ull << 20) | (7ull << 14) | (0xfull << 10) | ISS_SYSREG_READ)
#define ISS_SYSREG_ID_SPACE_READ ((3ull << 20) | ISS_SYSREG_READ) /* op0 = 3, op1 = 0, CRn = 0 */

static word_t guest_reg(struct tcb *t, unsigned r)
{
    return r == 31 ? 0 : t->ctx.x[r];
}

static void set_guest_reg(struct tcb *t, unsigned r, word_t v)
{
    if (r != 31)
        t->ctx.x[r] = v;
}

/* ID register reads trap (HCR_EL2.TID3), and a guest is told of a feature
 * only if it is on this allow-list: features whose state is all in the
 * registers the kernel switches between guests (or is the same for all:
 * instruction sets, memory model, sizes), or whose registers trap to the
 * VMM anyway. Every other field reads as 0, "not implemented" (none of the
 * fields hidden here has another encoding for that), and so do the ID
 * registers this list does not know: a CPU newer than the list shows its
 * guests only what the list knows. Hidden on purpose: EL2 and EL3, RAS,
 * MPAM, AMU, trace, the PMU and statistical profiling, SME, MTE, NMI,
 * transactional memory, WFxT, MOPS, LS64, XS, SPECRES, and the EL2-only
 * memory features (VMID bits, VHE, FWB, NV, EVT, ECV, FGT, HCX, LORegions).
 * The AArch32 ID registers (CRm 1 to 3) pass as they are, but for the PMU
 * field of ID_DFR0_EL1. */
#define F(shift) (0xfull << (shift))
static const struct {
    uint8_t crm, op2;
    uint64_t allowed;
} guest_id_fields[] = {
    { 4, 0, F(0) | F(4) | F(16) | F(20) | F(24) | F(32) | F(48) | F(56) | F(60) }, /* PFR0: EL0, EL1, FP, AdvSIMD, GIC, SVE, DIT, CSV2, CSV3 */
    { 4, 1, F(0) | F(4) | F(32) },                                             /* PFR1: BT, SSBS, CSV2_frac */
    { 4, 4, ~0ull },                                                           /* ZFR0: SVE's instructions */
    { 5, 0, F(0) | F(12) | F(20) | F(28) | F(36) },                            /* DFR0: DebugVer, BRPs, WRPs, CTX_CMPs, DoubleLock */
    { 6, 0, ~F(24) },                                                          /* ISAR0: all but TME */
    { 6, 1, 0xffffffffull | F(32) | F(36) | F(44) | F(48) | F(52) },           /* ISAR1: DPB..GPI, FRINTTS, SB, BF16, DGH, I8MM */
    { 6, 2, F(4) | F(8) | F(12) | F(20) | F(24) | F(28) },                     /* ISAR2: RPRES, GPA3, APA3, BC, PAC_frac, CLRBHB */
    { 7, 0, 0xffffffffull | F(44) },                                           /* MMFR0: PARange..TGran4, ExS */
    { 7, 1, F(0) | F(12) | F(20) | F(24) | F(36) | F(44) | F(48) },            /* MMFR1: HAFDBS, HPDS, PAN, SpecSEI, ETS, AFP, nTLBPA */
    { 7, 2, 0xffffffull | F(28) | F(32) | F(36) | F(48) | F(52) | F(60) },     /* MMFR2: CnP..CCIDX, ST, AT, IDS, TTL, BBM, E0PD */
};
#undef F
#define ID_DFR0_PERFMON (0xfull << 24)

static word_t guest_id_reg(unsigned crm, unsigned op2)
{
    uint64_t v = arch_read_id_reg(crm, op2);
    if (crm <= 3) /* AArch32 */
        return crm == 1 && op2 == 2 ? v & ~ID_DFR0_PERFMON : v;
    for (unsigned i = 0; i < sizeof(guest_id_fields) / sizeof(guest_id_fields[0]); i++)
        if (guest_id_fields[i].crm == crm && guest_id_fields[i].op2 == op2)
            return v & guest_id_fields[i].allowed;
    return 0;
}


/* Past the instruction that trapped: 4 bytes, or 2 for a 16-bit T32 one of
 * a guest's AArch32 EL0 (ESR_EL2.IL clear). */
static void skip_instruction(struct tcb *t, uint64_t esr)
{
    t->ctx.pc += (esr & AARCH64_ESR_IL) ? 4 : 2;
}

static bool emulate_id_read(struct tcb *t, uint64_t esr)
{
    unsigned crm = ISS_SYSREG_CRM(esr);
    if ((esr & ISS_SYSREG_SPACE_MASK) != ISS_SYSREG_ID_SPACE_READ || crm == 0 || crm > 7)
        return false;
    set_guest_reg(t, ISS_SYSREG_RT(esr), guest_id_reg(crm, ISS_SYSREG_OP2(esr)));
    skip_instruction(t, esr);
    return true;
}

/* Data cache maintenance by set/way (DC ISW, CSW, CISW) traps
 * (HCR_EL2.TSW): it would act on lines of everybody's data, and on
 * hardware with the guest's stage 2 cacheable it is no way to reach the
 * point of coherency anyway. It completes as nothing; Linux never uses it. */
#define ISS_SYSREG_INSTR_MASK ((3ull << 20) | (7ull << 17) | (7ull << 14) | (0xfull << 10) | ISS_SYSREG_READ)
#define ISS_DC_SET_WAY ((1ull << 20) | (2ull << 17) | (7ull << 10)) /* op0 1, op2 2, op1 0, CRn 7, a write */

static bool emulate_set_way(struct tcb *t, uint64_t esr)
{
    unsigned crm = ISS_SYSREG_CRM(esr);
    if ((esr & ISS_SYSREG_INSTR_MASK) != ISS_DC_SET_WAY || (crm != 6 && crm != 10 && crm != 14))
        return false;
    skip_instruction(t, esr);
    return true;
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
        if (emulate_id_read(t, esr) || emulate_set_way(t, esr))
            return;
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
        skip_instruction(guest, esr);
        return true;
    case IC_FAULT_VCPU_SYSREG:
        if (esr & ISS_SYSREG_READ)
            set_guest_reg(guest, ISS_SYSREG_RT(esr), ipc_get_mr(vmm, buf, 0));
        skip_instruction(guest, esr);
        return true;
    case IC_FAULT_VCPU_HVC:
    case IC_FAULT_VCPU_SMC:
        for (unsigned i = 0; i < 4 && i < length; i++)
            guest->ctx.x[i] = ipc_get_mr(vmm, buf, i);
        if (fault == IC_FAULT_VCPU_SMC)
            guest->ctx.pc += 4; /* a trapped SMC (always 32 bits) returns to itself; HVC to the next */
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
    index = index_nospec(index, IC_VCPU_REG_COUNT);
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
    index = index_nospec(index, IC_VCPU_REG_COUNT);
    if (index == IC_VCPU_VMPIDR_EL2)
        value |= MPIDR_RES1;
    if (index == IC_VCPU_ZCR_EL1)
        value &= ZCR_LEN_MASK;
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
 * and tell the VMM, unless the only one was the timer the kernel injects
 * (vcpu_set_timer_lr): then its line is unmasked and the guest goes on
 * without an exit. */
void vcpu_handle_maintenance(void)
{
    struct tcb *t = running_guest();
    if (!t) {
        /* the guest stopped in this same entry (an exit of its timer came
         * first): its ended list registers keep the interrupt asserted, so
         * park it now, which turns its interface off; the interrupt comes
         * back when it runs again, and is handled then */
        struct cpu *c = this_cpu();
        if (c->vcpu_active && c->guest_mode)
            park(c);
        return;
    }
    uint32_t lrs = plat_vgic_eoi_lrs();
    for (unsigned i = 0; i < PLAT_VGIC_MAX_LRS; i++)
        if (lrs & BIT(i))
            plat_vgic_clear_lr(i);
    struct vcpu *v = t->vcpu;
    v->lr_used &= (uint16_t)~lrs;
    if (v->timer_lr && (lrs & BIT(v->timer_lr - 1u))) {
        lrs &= ~BIT(v->timer_lr - 1u);
        v->vtimer_masked = false;
        plat_irq_enable(BOARD_VTIMER_PPI);
        this_cpu()->vtimer_line_enabled = true;
        if (!lrs)
            return;
    }
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
    struct vcpu *v = t->vcpu;
    v->vtimer_masked = true;
    if (v->timer_lr) {
        /* straight into the guest: its list register is free, since the
         * line stays masked until the guest has ended the last one */
        plat_vgic_write_lr(v->timer_lr - 1u, plat_vgic_lr_pending(BOARD_VTIMER_PPI, v->timer_priority, v->timer_group));
        v->lr_used |= (uint16_t)BIT(v->timer_lr - 1u);
        return;
    }
    word_t msg[IC_VCPU_EXIT_LENGTH] = { t->ctx.pc, 0 };
    fault_raise(t, IC_FAULT_VCPU_VTIMER, msg, IC_VCPU_EXIT_LENGTH);
}

/* From now on the kernel injects the guest's timer interrupt itself through
 * list register 'index' (which the VMM then leaves alone), and unmasks the
 * timer when the guest ends it: no exits for the timer at all. An index of
 * at least the number of list registers turns this off again. */
ic_err_t vcpu_invoke_set_timer_lr(struct invocation *inv)
{
    struct vcpu *v = (struct vcpu *)(uintptr_t)inv->slot->cap.obj;
    word_t index = inv->args[0], priority = inv->args[1], group = inv->args[2];
    if (priority > 0xff || group > 1)
        return IC_RANGE_ERROR;
    if (v->tcb)
        smp_stall_thread(v->tcb);
    uint8_t timer_lr = index < plat_vgic_num_lrs() ? (uint8_t)(index + 1) : 0;
    /* a mask the kernel set waits for an end it reports to nobody now */
    if (v->timer_lr && timer_lr != v->timer_lr)
        v->vtimer_masked = false;
    v->timer_lr = timer_lr;
    v->timer_priority = (uint8_t)priority;
    v->timer_group = (uint8_t)group;
    return IC_OK;
}

ic_err_t vcpu_invoke_inject_irq(struct invocation *inv)
{
    struct vcpu *v = (struct vcpu *)(uintptr_t)inv->slot->cap.obj;
    word_t virq = inv->args[0], priority = inv->args[1], group = inv->args[2], index = inv->args[3];
    if (virq > PLAT_VGIC_MAX_VIRQ || priority > 0xff || group > 1 || index >= plat_vgic_num_lrs())
        return IC_RANGE_ERROR;
    uint64_t lr = plat_vgic_lr_pending((unsigned)virq, (unsigned)priority, (unsigned)group);
    uint16_t bit = (uint16_t)BIT(index);
    if (this_cpu()->vcpu_active == v && !plat_vgic_park_saves) {
        /* parked on this CPU (the usual case: the VMM answers an exit of
         * its guest): in place */
        if (plat_vgic_lr_in_use(plat_vgic_read_lr((unsigned)index)))
            return IC_DELETE_FIRST;
        plat_vgic_write_lr((unsigned)index, lr);
    } else if (v->loaded_on && this_cpu()->vcpu_active != v) {
        /* held by another CPU, running there or parked: queued, and that
         * CPU kicked if the guest runs; nobody waits */
        if ((v->lr_used | v->lr_queued) & bit)
            return IC_DELETE_FIRST;
        v->lr_queue[index] = lr;
        v->lr_queued |= bit;
        struct cpu *holder = &cpus[v->loaded_on - 1u];
        if (holder->guest_mode && holder->vcpu_active == v)
            plat_irq_send_sgi(holder->id, SGI_KICK);
    } else {
        /* in the object, or in the state parking saved (GICv2) */
        if (plat_vgic_lr_in_use(v->vgic.lr[index]))
            return IC_DELETE_FIRST;
        v->vgic.lr[index] = lr;
    }
    v->lr_used |= bit;
    return IC_OK;
}

/* Another CPU queued list registers for the guest running here. */
void vcpu_handle_kick(void)
{
    struct cpu *c = this_cpu();
    struct vcpu *v = c->vcpu_active;
    if (v && c->guest_mode)
        lr_put_queued(v, true);
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

/* A VMM restarting its guest needs the VCPU as a new one: nothing may be
 * left in a list register or active in the virtual CPU interface (an
 * interrupt the old guest never ended would block the new one's at its
 * priority), and the timer's line must not stay masked for an exit the old
 * guest will never end. The thread and VMPIDR_EL2 stay. */
ic_err_t vcpu_invoke_reset(struct invocation *inv)
{
    struct vcpu *v = (struct vcpu *)(uintptr_t)inv->slot->cap.obj;
    vcpu_flush(v);
    word_t mpidr = v->regs[IC_VCPU_VMPIDR_EL2];
    memset(v->regs, 0, sizeof(v->regs));
    memset(v->fp, 0, sizeof(v->fp));
    memset(&v->vgic, 0, sizeof(v->vgic));
    v->lr_used = v->lr_queued = 0;
    v->tpidr2_el0 = 0;
    v->vtimer_masked = false;
    vcpu_init(v);
    v->regs[IC_VCPU_VMPIDR_EL2] = mpidr;
    return IC_OK;
}
