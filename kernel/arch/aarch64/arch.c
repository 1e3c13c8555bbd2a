/* AArch64 CPU setup at EL2: the kernel's own page table, the controls for
 * native threads, timers, TLB maintenance and thread switch. */
#include "arch.h"
#include "plat.h"
#include "smp.h"
#include "util.h"

struct cpu cpus[BOARD_MAX_CPUS];
uint8_t kernel_stacks[BOARD_MAX_CPUS][KERNEL_STACK_SIZE] __attribute__((aligned(16)));

/* The kernel maps physical memory one-to-one: the first GiB (devices) as
 * device memory, RAM as normal write-back memory. Nothing is both writable
 * and executable (SCTLR_EL2.WXN enforces it too): the kernel's text is
 * read-only and the only executable memory, in 4 KiB pages; the rest of
 * RAM is read-write and never executable, in 2 MiB blocks (1 GiB ones past
 * the first GiB of RAM). */
uint64_t arch_el2_l1_table[512] __attribute__((aligned(4096)));
static uint64_t el2_ram_l2[512] __attribute__((aligned(4096)));
#define EL2_TEXT_L3_TABLES 2 /* the kernel's text spans at most two 2 MiB blocks (kernel.ld checks) */
static uint64_t el2_text_l3[EL2_TEXT_L3_TABLES][512] __attribute__((aligned(4096)));
extern char __kernel_start[], __text_end[];

#define PTE_BLOCK 0x1ull
#define PTE_TABLE 0x3ull
#define PTE_PAGE 0x3ull
#define PTE_AF (1ull << 10)
#define PTE_SH_INNER (3ull << 8)
#define PTE_ATTR(i) ((uint64_t)(i) << 2)
#define PTE_READ_ONLY (1ull << 7) /* AP[2] */
#define PTE_XN (1ull << 54)
#define PTE_RAM (PTE_AF | PTE_SH_INNER | PTE_ATTR(1))

void arch_mmu_build_tables(void)
{
    arch_el2_l1_table[0] = BOARD_DEVICE_BASE | PTE_BLOCK | PTE_AF | PTE_ATTR(0) | PTE_XN;
    for (uint64_t a = BOARD_RAM_BASE + BIT(30); a < BOARD_RAM_BASE + BOARD_RAM_SIZE; a += BIT(30))
        arch_el2_l1_table[a >> 30] = a | PTE_BLOCK | PTE_RAM | PTE_XN;
    for (unsigned i = 0; i < 512; i++)
        el2_ram_l2[i] = (BOARD_RAM_BASE + ((uint64_t)i << 21)) | PTE_BLOCK | PTE_RAM | PTE_XN;
    uint64_t text = (uint64_t)(uintptr_t)__kernel_start, text_end = (uint64_t)(uintptr_t)__text_end;
    unsigned t = 0;
    for (uint64_t block = text & ~(BIT(21) - 1); block < text_end && t < EL2_TEXT_L3_TABLES; block += BIT(21), t++) {
        for (unsigned j = 0; j < 512; j++) {
            uint64_t p = block + ((uint64_t)j << 12);
            bool code = p >= text && p < text_end;
            el2_text_l3[t][j] = p | PTE_PAGE | PTE_RAM | (code ? PTE_READ_ONLY : PTE_XN);
        }
        el2_ram_l2[(block - BOARD_RAM_BASE) >> 21] = (uint64_t)(uintptr_t)el2_text_l3[t] | PTE_TABLE;
    }
    arch_el2_l1_table[BOARD_RAM_BASE >> 30] = (uint64_t)(uintptr_t)el2_ram_l2 | PTE_TABLE;
}

/* Whether the kernel may write at 'va' (an address translation, AT S1E2W). */
static bool el2_writable(const void *va)
{
    __asm__ volatile("at s1e2w, %0\n\tisb" ::"r"(va) : "memory");
    return !(SYSREG_READ(par_el1) & 1);
}

/* Once, with the MMU on: the text is not writable, the rest is. */
void arch_check_mappings(void)
{
    kassert(!el2_writable((const void *)arch_cpu_init) && el2_writable(arch_el2_l1_table) &&
            el2_writable(kernel_stacks));
}

/* Stage 2: 39-bit IPA, starting at level 1, write-back inner-shareable
 * walks, 4 KiB granule, 40-bit output; bit 31 is RES1. */
#define VTCR_VALUE 0x80023559ull

extern char arch_vectors[];

bool arch_has_sve, arch_has_pauth, arch_has_sme;
uint64_t arch_hcr_vcpu = HCR_VCPU | HCR_TID3;
uint64_t arch_cptr_vcpu = CPTR_EL2_FP_ALLOWED, arch_cptr_native = CPTR_EL2_FP_TRAPPED;
uint64_t arch_mdcr_native;

/* ID register fields (4 bits each) */
#define ID_FIELD(reg, shift) (((reg) >> (shift)) & 0xfu)
#define ID_AA64PFR0_SVE 32
#define ID_AA64PFR1_SME 24
#define ID_AA64ISAR1_APA 4
#define ID_AA64ISAR1_API 8
#define ID_AA64ISAR1_GPA 24
#define ID_AA64ISAR1_GPI 28
#define ID_AA64ISAR2_GPA3 8
#define ID_AA64ISAR2_APA3 12
#define ID_AA64MMFR1_LO 16
#define ID_AA64MMFR1_HCX 40
#define ID_AA64MMFR0_FGT 56
#define ID_AA64PFR0_RAS 28
#define ID_AA64PFR0_MPAM 40
#define ID_AA64PFR0_AMU 44
#define ID_AA64PFR0_CSV2 56
#define ID_AA64PFR1_SSBS 4
#define ID_AA64DFR0_BRPS 12
#define ID_AA64DFR0_WRPS 20
#define ID_AA64DFR0_TRACEFILT 40
#define MPAM2_TRAP_EL1_EL0 (3ull << 48) /* TRAPMPAM1EL1, TRAPMPAM0EL1 */
static bool arch_has_amu, arch_has_mpam, arch_has_trf, arch_has_fgt, arch_has_hcx;

/* The MRS of ID register op0 = 3, op1 = 0, CRn = 0, CRm, op2 (CRm 1 to 7,
 * all of which read as zero where nothing is allocated); 0 outside. */
#define ID_REG(crm, op2)                                                                           \
    case (crm) * 8 + (op2):                                                                        \
        return SYSREG_READ(S3_0_C0_C##crm##_##op2);
#define ID_ROW(crm) ID_REG(crm, 0) ID_REG(crm, 1) ID_REG(crm, 2) ID_REG(crm, 3) ID_REG(crm, 4) \
    ID_REG(crm, 5) ID_REG(crm, 6) ID_REG(crm, 7)

uint64_t arch_read_id_reg(unsigned crm, unsigned op2)
{
    switch (crm * 8 + op2) {
    ID_ROW(1) ID_ROW(2) ID_ROW(3) ID_ROW(4) ID_ROW(5) ID_ROW(6) ID_ROW(7)
    default:
        return 0;
    }
}

/* Speculation. Branch predictors: a CPU that reports CSV2 keeps what one
 * context trained from steering another; on one that does not, every entry
 * from a lower level first asks the firmware to scrub the predictors
 * (SMCCC ARCH_WORKAROUND_3, which covers branch history too, or _1), from
 * the hardened vectors (vectors.S), so that neither a guest nor a thread
 * steers the kernel or, through it, whoever runs next. Speculative store
 * bypass: the kernel runs with it off where the CPU has SSBS (SCTLR_EL2.DSSBS
 * clear, so every entry clears PSTATE.SSBS); without SSBS, the firmware's
 * ARCH_WORKAROUND_2 turns the mitigation on for good. The boot CPU decides
 * for all (the CPUs are assumed alike). */
#define SMCCC_ARCH_WORKAROUND_1 0x80008000u
#define SMCCC_ARCH_WORKAROUND_2 0x80007fffu
#define SMCCC_ARCH_WORKAROUND_3 0x80003fffu
uint32_t arch_bp_workaround; /* the hardened vectors' firmware call; 0 = not needed or none */
static bool arch_ssbd_call;
extern char arch_vectors_bp[];

static void detect_speculation(uint64_t pfr0, uint64_t pfr1)
{
    if (!ID_FIELD(pfr0, ID_AA64PFR0_CSV2)) {
        if (plat_smccc_arch_features(SMCCC_ARCH_WORKAROUND_3) == 0)
            arch_bp_workaround = SMCCC_ARCH_WORKAROUND_3;
        else if (plat_smccc_arch_features(SMCCC_ARCH_WORKAROUND_1) == 0)
            arch_bp_workaround = SMCCC_ARCH_WORKAROUND_1;
        else
            kprintf("kernel: the branch predictors are not isolated (no CSV2) and the firmware offers no "
                    "workaround: guests may steer speculation\n");
    }
    arch_ssbd_call = !ID_FIELD(pfr1, ID_AA64PFR1_SSBS) && plat_smccc_arch_features(SMCCC_ARCH_WORKAROUND_2) == 0;
#ifdef ARCH_FORCE_BP_WORKAROUND
    /* a test build (make test-kernel-hardened): the hardened vectors, with
     * a harmless firmware call that clobbers x0-x3 */
    arch_bp_workaround = ARCH_FORCE_BP_WORKAROUND;
#endif
}

static void detect_features(void)
{
    uint64_t pfr0 = arch_read_id_reg(4, 0), pfr1 = arch_read_id_reg(4, 1);
    uint64_t isar1 = arch_read_id_reg(6, 1), isar2 = arch_read_id_reg(6, 2);
    arch_has_sve = ID_FIELD(pfr0, ID_AA64PFR0_SVE) != 0;
    arch_has_sme = ID_FIELD(pfr1, ID_AA64PFR1_SME) != 0;
    arch_has_pauth = (ID_FIELD(isar1, ID_AA64ISAR1_APA) | ID_FIELD(isar1, ID_AA64ISAR1_API) |
                      ID_FIELD(isar1, ID_AA64ISAR1_GPA) | ID_FIELD(isar1, ID_AA64ISAR1_GPI) |
                      ID_FIELD(isar2, ID_AA64ISAR2_APA3) | ID_FIELD(isar2, ID_AA64ISAR2_GPA3)) != 0;
    if (arch_has_sve)
        arch_cptr_vcpu &= ~CPTR_EL2_TZ;
    if (arch_has_pauth)
        arch_hcr_vcpu |= HCR_API | HCR_APK;
    if (ID_FIELD(arch_read_id_reg(7, 1), ID_AA64MMFR1_LO))
        arch_hcr_vcpu |= HCR_TLOR;
    /* the error records of RAS, the activity monitors, MPAM and the trace
     * filter: nobody switches them, so a guest's accesses trap (to its VMM) */
    if (ID_FIELD(pfr0, ID_AA64PFR0_RAS))
        arch_hcr_vcpu |= HCR_TERR;
    arch_has_amu = ID_FIELD(pfr0, ID_AA64PFR0_AMU) != 0;
    if (arch_has_amu) {
        arch_cptr_vcpu |= CPTR_EL2_TAM;
        arch_cptr_native |= CPTR_EL2_TAM;
    }
    arch_has_mpam = ID_FIELD(pfr0, ID_AA64PFR0_MPAM) != 0;
    arch_has_trf = ID_FIELD(arch_read_id_reg(5, 0), ID_AA64DFR0_TRACEFILT) != 0;
    arch_has_fgt = ID_FIELD(arch_read_id_reg(7, 0), ID_AA64MMFR0_FGT) != 0;
    arch_has_hcx = ID_FIELD(arch_read_id_reg(7, 1), ID_AA64MMFR1_HCX) != 0;
    detect_speculation(pfr0, pfr1);
}

/* Breakpoints and watchpoints off: their registers are UNKNOWN at reset,
 * and nobody may program them (MDCR_EL2.TDA traps every access). */
#define DBG_REG_PAIR(n)                                                                                case n:                                                                                                SYSREG_WRITE(dbgbcr##n##_el1, 0);                                                                  SYSREG_WRITE(dbgwcr##n##_el1, 0);                                                                  break;

static void debug_registers_off(void)
{
    uint64_t dfr0 = arch_read_id_reg(5, 0);
    unsigned brps = ID_FIELD(dfr0, ID_AA64DFR0_BRPS) + 1, wrps = ID_FIELD(dfr0, ID_AA64DFR0_WRPS) + 1;
    unsigned n = brps > wrps ? brps : wrps;
    for (unsigned i = 0; i < n; i++) {
        /* a pair beyond what the CPU has of one kind: its access is
         * UNDEFINED, so write only what exists */
        if (i < brps && i < wrps) {
            switch (i) {
                DBG_REG_PAIR(0) DBG_REG_PAIR(1) DBG_REG_PAIR(2) DBG_REG_PAIR(3)
                DBG_REG_PAIR(4) DBG_REG_PAIR(5) DBG_REG_PAIR(6) DBG_REG_PAIR(7)
                DBG_REG_PAIR(8) DBG_REG_PAIR(9) DBG_REG_PAIR(10) DBG_REG_PAIR(11)
                DBG_REG_PAIR(12) DBG_REG_PAIR(13) DBG_REG_PAIR(14) DBG_REG_PAIR(15)
            }
        }
    }
}

/* What this_cpu() needs, before anything else (even the lock) runs. */
void arch_cpu_set_self(unsigned cpu)
{
    struct cpu *c = &cpus[cpu];
    c->id = cpu;
    c->kstack_top = (word_t)&kernel_stacks[cpu][KERNEL_STACK_SIZE];
    SYSREG_WRITE(tpidr_el2, c);
}

void arch_cpu_init(unsigned cpu)
{
    struct cpu *c = &cpus[cpu];
    arch_cpu_set_self(cpu);
    SYSREG_WRITE(hcr_el2, HCR_NATIVE);
    SYSREG_WRITE(vtcr_el2, VTCR_VALUE);
    if (cpu == 0)
        detect_features();
    SYSREG_WRITE(vbar_el2, arch_bp_workaround ? arch_vectors_bp : arch_vectors);
    if (arch_ssbd_call)
        plat_smccc_call(SMCCC_ARCH_WORKAROUND_2, 1);
    if (arch_has_sve) {
        /* the vector length at EL2, and the most EL1 may choose; ZCR_EL2
         * is reachable only while SVE is not trapped */
        SYSREG_WRITE(cptr_el2, arch_cptr_vcpu);
        isb();
        SYSREG_WRITE(S3_4_C1_C2_0, ARCH_SVE_MAX_VL / 16 - 1); /* ZCR_EL2.LEN */
    }
    SYSREG_WRITE(cptr_el2, arch_cptr_native);
    SYSREG_WRITE(sctlr_el1, SCTLR_EL1_NATIVE);
    /* guests read MIDR_EL1 through VPIDR_EL2, which is UNKNOWN at reset */
    SYSREG_WRITE(vpidr_el2, SYSREG_READ(midr_el1));
    debug_registers_off();
    if (arch_has_mpam)
        SYSREG_WRITE(S3_4_C10_C5_0, MPAM2_TRAP_EL1_EL0); /* MPAM2_EL2 */
    if (arch_has_trf)
        SYSREG_WRITE(S3_4_C1_C2_1, 0); /* TRFCR_EL2: no trace of EL2 */
    /* Registers of features newer than the allow-list lets guests see
     * (POR, PIR/PIRE0, GCS, TCR2, SCTLR2, ...) come with fine-grained traps
     * and HCRX_EL2, which reset to UNKNOWN values. All zero: every register
     * behind a negative-polarity trap bit (nPOR_EL1, nPIR_EL1, nGCS_EL1, ...)
     * traps, so do TCR2_EL1 and SCTLR2_EL1 (HCRX_EL2.TCR2En, SCTLR2En), and
     * what HCRX_EL2 enables stays off; the positive bits trap nothing. */
    if (arch_has_fgt) {
        SYSREG_WRITE(S3_4_C1_C1_4, 0); /* HFGRTR_EL2 */
        SYSREG_WRITE(S3_4_C1_C1_5, 0); /* HFGWTR_EL2 */
        SYSREG_WRITE(S3_4_C1_C1_6, 0); /* HFGITR_EL2 */
        SYSREG_WRITE(S3_4_C3_C1_4, 0); /* HDFGRTR_EL2 */
        SYSREG_WRITE(S3_4_C3_C1_5, 0); /* HDFGWTR_EL2 */
    }
    if (arch_has_hcx)
        SYSREG_WRITE(S3_4_C1_C2_2, 0); /* HCRX_EL2 */
    SYSREG_WRITE(cnthctl_el2, CNTHCTL_NATIVE);
    SYSREG_WRITE(cntkctl_el1, 0x3ull);      /* EL0 may read both counters (not the timers) */
    SYSREG_WRITE(cntvoff_el2, 0);
    arch_timer_stop(); /* the scheduler starts it when it needs it */
    /* The PMU counts at every level (the cycle counter at EL2 too, for the
     * benchmarks); only threads given PMU access read it, at EL0. */
    /* guests may not program debug registers (breakpoints, watchpoints,
     * single step): their accesses trap to EL2 (TDA, TDOSA, TDRA) and
     * reach the VMM as system register exits; nor the PMU (arch.h) */
    arch_mdcr_native = (SYSREG_READ(pmcr_el0) >> 11 & 0x1f) | MDCR_TDA | MDCR_TDOSA | MDCR_TDRA |
                       (arch_has_trf ? MDCR_TTRF : 0);
    SYSREG_WRITE(mdcr_el2, arch_mdcr_native);
    SYSREG_WRITE(pmccfiltr_el0, 1ull << 27);
    SYSREG_WRITE(pmcr_el0, SYSREG_READ(pmcr_el0) | 1ull);
    SYSREG_WRITE(pmcntenset_el0, 1ull << 31);
    /* closed to EL0 until a thread with PMU access runs (arch_pmu_open) */
    SYSREG_WRITE(pmuserenr_el0, 0);
    c->pmu_open = false;
    c->fast_match = cpu;
    SYSREG_WRITE(vttbr_el2, 0);
    c->vttbr = 0;
    isb();
    c->online = true;
}

/* Let EL0 read the PMU's counters (PMUSERENR_EL0: EN, CR, ER) or not. */
void arch_pmu_open(struct cpu *c, bool open)
{
    SYSREG_WRITE(pmuserenr_el0, open ? 0xdull : 0);
    c->pmu_open = open;
    c->fast_match = c->id | (uint32_t)open << 8;
}

/* Make 'next' the thread whose registers the exit path restores. */
void arch_switch_to(struct tcb *next)
{
    this_cpu()->current = next;
}

/* Invalidate every stage-1 and stage-2 TLB entry of a VMID, on all CPUs. */
void arch_tlb_flush_vmid(unsigned vmid)
{
    uint64_t saved = SYSREG_READ(vttbr_el2);
    dsb_ishst();
    SYSREG_WRITE(vttbr_el2, (uint64_t)vmid << 48);
    isb();
    __asm__ volatile("tlbi vmalls12e1is" ::: "memory");
    dsb_ish();
    SYSREG_WRITE(vttbr_el2, saved);
    isb();
}

/* Write back [addr, addr + len) from the data caches to the point of
 * coherency, where a reader with its caches off (a guest starting with its
 * MMU off, a non-cacheable mapping, a device) sees what was written. */
void arch_clean_to_poc(word_t addr, word_t len)
{
    word_t line = 4ull << (SYSREG_READ(ctr_el0) >> 16 & 0xf); /* DminLine, in bytes */
    for (word_t p = addr & ~(line - 1); p < addr + len; p += line)
        __asm__ volatile("dc cvac, %0" ::"r"(p) : "memory");
    __asm__ volatile("dsb sy" ::: "memory");
}

/* For observers that do not look through the data cache (a guest with its
 * MMU off, a device) and for instruction fetches. */
void arch_clean_for_fetch(word_t addr, word_t len)
{
    arch_clean_to_poc(addr, len);
    __asm__ volatile("ic ialluis\n dsb ish\n isb" ::: "memory");
}

bool arch_irq_pending(void)
{
    return (SYSREG_READ(isr_el1) & (1u << 7)) != 0;
}

uint64_t arch_timer_frequency(void)
{
    return SYSREG_READ(cntfrq_el0);
}

/* One-shot EL2 physical timer interrupt 'ticks' counter ticks from now. */
void arch_timer_arm(uint64_t ticks)
{
    SYSREG_WRITE(cnthp_tval_el2, ticks);
    SYSREG_WRITE(cnthp_ctl_el2, 1);
    isb();
}

/* No more timer interrupts (its line drops). */
void arch_timer_stop(void)
{
    SYSREG_WRITE(cnthp_ctl_el2, 0);
    isb();
}

/* The EL1 physical timer is nobody else's (guests' accesses trap to their
 * VMM, native EL0 has no access): waits of the kernel use it to bound a
 * sleep (smp.c). */
void arch_wait_timer_arm(uint64_t ticks)
{
    SYSREG_WRITE(cntp_tval_el0, ticks);
    SYSREG_WRITE(cntp_ctl_el0, 1);
    isb();
}

void arch_wait_timer_stop(void)
{
    SYSREG_WRITE(cntp_ctl_el0, 0);
    isb();
}

/* The assembly fast path's view of the structures must match C's. */
#include "asm_offsets.h"
#define OFFSET_IS(type, field, value) _Static_assert(offsetof(type, field) == (value), #field)
OFFSET_IS(struct cpu, kstack_top, CPU_KSTACK_TOP);
OFFSET_IS(struct cpu, current, CPU_CURRENT);
OFFSET_IS(struct cpu, id, CPU_ID);
OFFSET_IS(struct cpu, vttbr, CPU_VTTBR);
OFFSET_IS(struct cpu, ready_summary, CPU_READY_SUMMARY);
OFFSET_IS(struct cpu, reschedule, CPU_RESCHEDULE);
OFFSET_IS(struct cpu, fast_match, CPU_FAST_MATCH);
OFFSET_IS(struct tcb, ctx.x[0], TCB_CTX_X0);
OFFSET_IS(struct tcb, ctx.x[2], TCB_CTX_X2);
OFFSET_IS(struct tcb, ctx.x[4], TCB_CTX_X4);
OFFSET_IS(struct tcb, slots[TCB_SLOT_CSPACE].cap, TCB_SLOT_CSPACE_CAP);
OFFSET_IS(struct tcb, slots[TCB_SLOT_VSPACE].cap, TCB_SLOT_VSPACE_CAP);
OFFSET_IS(struct tcb, state, TCB_STATE);
OFFSET_IS(struct tcb, affinity, TCB_AFFINITY);
OFFSET_IS(struct tcb, pmu_access, TCB_PMU_ACCESS);
OFFSET_IS(struct tcb, pending_fault, TCB_PENDING_FAULT);
OFFSET_IS(struct tcb, on_cpu, TCB_ON_CPU);
OFFSET_IS(struct tcb, ep_next, TCB_EP_NEXT);
OFFSET_IS(struct tcb, ep_prev, TCB_EP_PREV);
OFFSET_IS(struct tcb, blocked_on, TCB_BLOCKED_ON);
OFFSET_IS(struct tcb, caller, TCB_CALLER);
OFFSET_IS(struct tcb, callee, TCB_CALLEE);
OFFSET_IS(struct tcb, bound_ntfn, TCB_BOUND_NTFN);
OFFSET_IS(struct tcb, vcpu, TCB_VCPU);
OFFSET_IS(struct cap, type, CAP_TYPE);
OFFSET_IS(struct cap, rights, CAP_RIGHTS);
OFFSET_IS(struct cap, size_bits, CAP_SIZE_BITS);
OFFSET_IS(struct cap, guard_bits, CAP_GUARD_BITS);
OFFSET_IS(struct cap, vmid, CAP_VMID);
OFFSET_IS(struct cap, obj, CAP_OBJ);
OFFSET_IS(struct cap, a, CAP_A);
OFFSET_IS(struct ticket_lock, owner, LOCK_OWNER);
OFFSET_IS(struct endpoint, queue.head, EP_HEAD);
OFFSET_IS(struct endpoint, queue.tail, EP_TAIL);
OFFSET_IS(struct notification, word, NTFN_WORD);
_Static_assert(CAP_ENDPOINT == ASM_CAP_ENDPOINT && CAP_CNODE == ASM_CAP_CNODE && CAP_VSPACE == ASM_CAP_VSPACE,
               "capability types");
_Static_assert(THREAD_RUNNABLE == ASM_THREAD_RUNNABLE && THREAD_BLOCKED_SEND == ASM_THREAD_BLOCKED_SEND &&
                   THREAD_BLOCKED_RECV == ASM_THREAD_BLOCKED_RECV && THREAD_BLOCKED_REPLY == ASM_THREAD_BLOCKED_REPLY,
               "thread states");
_Static_assert(CAPF_FLAT_CSPACE == 1u << ASM_CAPF_FLAT_CSPACE_BIT && offsetof(struct cap, flags) == 3 &&
                   offsetof(struct cap, size_bits) == 2 && offsetof(struct cap, rights) == 1,
               "the capability's first word");
_Static_assert(sizeof(((struct tcb *)0)->state) == 1 && sizeof(((struct cpu *)0)->reschedule) == 1, "byte fields");
