/* The AArch64 layer: per-CPU state, system registers, entry and exit. */
#ifndef KERNEL_ARCH_H
#define KERNEL_ARCH_H

#include "types.h"
#include "object.h"
#include <board.h>
#include <icecap/arch/aarch64.h>

#define KERNEL_STACK_SIZE 16384

/* Per-CPU state. TPIDR_EL2 points at this CPU's entry; the assembly reads
 * the first fields (asm_offsets.h). */
struct cpu {
    word_t kstack_top;
    struct tcb *current;            /* NULL while the CPU idles */
    unsigned id;
    word_t vttbr;                   /* stage-2 root installed now */
    uint64_t ready_summary;         /* bit i: ready_bitmap[i] != 0 */
    bool reschedule;                /* current's time slice ended or it yielded */
    bool online;
    bool pmu_open;                  /* PMUSERENR_EL0 lets EL0 read the PMU (the current thread's pmu_access) */
    uint32_t fast_match;            /* id | pmu_open << 8: what a thread's affinity and pmu_access
                                       bytes must read for the fast path to switch to it here */
    volatile uint32_t stall_request; /* another CPU wants 'stall_tcb' off this CPU */
    struct tcb *volatile stall_tcb;
    struct vcpu *vcpu_active;       /* whose EL1 state is in this CPU's registers */
    bool guest_mode;                /* vcpu_active's thread runs (else it is parked) */
    struct vcpu *volatile stall_vcpu; /* another CPU wants this VCPU unloaded */
    volatile bool stall_vspace;     /* another CPU removed a VSpace capability: reload ours */
    bool vtimer_line_enabled;       /* the virtual timer's PPI, at the GIC */
    bool sctlr_tamed;               /* SCTLR_EL1 holds vcpu_active's value without its EL0 hazards */
    bool tick_armed;                /* the time-slice timer runs (sched_tick_update) */
    bool can_sleep;                 /* its GIC and wait timer are set up for sleeping waits (smp.c) */
    uint64_t ready_bitmap[IC_NUM_PRIORITIES / 64];
    struct thread_queue ready[IC_NUM_PRIORITIES];
};

extern struct cpu cpus[BOARD_MAX_CPUS];

static inline struct cpu *this_cpu(void)
{
    struct cpu *c;
    __asm__ volatile("mrs %0, tpidr_el2" : "=r"(c));
    return c;
}

#define SYSREG_READ(name)                                                                          \
    ({                                                                                             \
        uint64_t v_;                                                                               \
        __asm__ volatile("mrs %0, " #name : "=r"(v_));                                             \
        v_;                                                                                        \
    })
#define SYSREG_WRITE(name, v) __asm__ volatile("msr " #name ", %0" ::"r"((uint64_t)(v)))

static inline void isb(void) { __asm__ volatile("isb" ::: "memory"); }

/* 'i' if it is below 'n', else 0, also under speculation: for a table
 * index from user input, after its bounds check (a mispredicted check must
 * not load from beyond the table and leave a trace in the caches). */
static inline word_t index_nospec(word_t i, word_t n)
{
    word_t mask;
    __asm__ volatile("cmp %1, %2\n\tcsetm %0, lo\n\tcsdb" : "=r"(mask) : "r"(i), "r"(n) : "cc");
    return i & mask;
}
static inline void dsb_ish(void) { __asm__ volatile("dsb ish" ::: "memory"); }
static inline void dsb_ishst(void) { __asm__ volatile("dsb ishst" ::: "memory"); }

/* Entry and exit (vectors.S) */
NORETURN void arch_return_to_user(struct context *ctx);

/* CPU features the kernel switches for guests, read from the boot CPU's ID
 * registers once (the CPUs are assumed alike); registers of a feature the
 * CPU lacks are never touched. Set before any other CPU starts. */
extern bool arch_has_sve, arch_has_pauth, arch_has_sme;
extern uint64_t arch_hcr_vcpu, arch_cptr_vcpu, arch_cptr_native, arch_mdcr_native;
/* The largest SVE vector length a guest gets (ZCR_EL2), in bytes: what a
 * VCPU object has room for. */
#define ARCH_SVE_MAX_VL 64

/* arch.c */
void arch_cpu_init(unsigned cpu);
void arch_check_mappings(void);
uint64_t arch_read_id_reg(unsigned crm, unsigned op2);
void arch_switch_to(struct tcb *next);
void arch_pmu_open(struct cpu *c, bool open);
void arch_tlb_flush_vmid(unsigned vmid);
void arch_clean_to_poc(word_t addr, word_t len);
void arch_clean_for_fetch(word_t addr, word_t len);
uint64_t arch_take_serror(void);
bool arch_irq_pending(void);
void arch_timer_arm(uint64_t ticks);
void arch_timer_stop(void);
void arch_cpu_set_self(unsigned cpu);
void arch_wait_timer_arm(uint64_t ticks);
void arch_wait_timer_stop(void);
uint64_t arch_timer_frequency(void);
NORETURN void arch_idle_loop(void);

/* Install a thread's stage-2 address space (vspace.c keeps the empty one). */
extern uint64_t vspace_empty_vttbr;
void vspace_init(void);
static inline uint64_t vspace_vttbr_of(const struct tcb *t)
{
    const struct cap *v = &t->slots[TCB_SLOT_VSPACE].cap;
    return v->type == CAP_VSPACE ? v->a : vspace_empty_vttbr;
}
static inline void vspace_activate(struct tcb *t)
{
    struct cpu *c = this_cpu();
    uint64_t vttbr = vspace_vttbr_of(t);
    if (c->vttbr != vttbr) {
        SYSREG_WRITE(vttbr_el2, vttbr);
        isb();
        c->vttbr = vttbr;
    }
}

/* Install the empty address space, e.g. when the installed one is being
 * destroyed. */
static inline void vspace_deactivate(struct cpu *c)
{
    SYSREG_WRITE(vttbr_el2, vspace_empty_vttbr);
    isb();
    c->vttbr = vspace_empty_vttbr;
}

/* Exception and fault entry points in C (trap.c) */
NORETURN void trap_lower_sync(void);
NORETURN void trap_sync_locked(void);
NORETURN void trap_lower_irq(void);
NORETURN void trap_lower_serror(void);
NORETURN void trap_kernel(uint64_t kind);

#define SPSR_EL0T 0x0ull
/* SCTLR_EL1 while native threads run and no VCPU is loaded: its RES1
 * bits only (stage 1 off, little-endian, EL0 cache maintenance, DC ZVA and
 * CTR_EL0 reads trap). A parked guest's value stays (writing SCTLR_EL1
 * empties QEMU's whole TLB), except for the bits that would break native
 * threads at EL0 under HCR_EL2.TGE: big-endian data (E0E) and alignment
 * checks (A). What else it allows them (cache maintenance by address, DC
 * ZVA, CTR_EL0, WFI) touches only their own memory. */
#define SCTLR_EL1_RES1 AARCH64_SCTLR_EL1_RES1
#define SCTLR_EL1_NATIVE SCTLR_EL1_RES1
#define SCTLR_EL1_EL0_HAZARDS ((1ull << 24) | (1ull << 1))
#define SPSR_USER_WRITABLE 0xf0000000ull /* NZCV */

/* HCR_EL2 for native threads: EL0 with stage-1 off (DC makes its accesses
 * normal cacheable memory), stage 2 on, every exception to EL2. */
#define HCR_VM (1ull << 0)
#define HCR_SWIO (1ull << 1)
#define HCR_FMO (1ull << 3)
#define HCR_IMO (1ull << 4)
/* Exception classes (ESR_EL2.EC) the kernel tells apart */
#define ESR_EC(esr) AARCH64_ESR_EC(esr)
#define EC_SVC64 AARCH64_EC_SVC64
#define EC_HVC64 AARCH64_EC_HVC64
#define EC_SMC64 AARCH64_EC_SMC64
#define EC_SYSREG AARCH64_EC_SYSREG
#define EC_IABT_LOWER AARCH64_EC_IABT_LOWER
#define EC_DABT_LOWER AARCH64_EC_DABT_LOWER

#define HCR_AMO (1ull << 5)
#define HCR_DC (1ull << 12)
#define HCR_TSC (1ull << 19)
#define HCR_TGE (1ull << 27)
#define HCR_RW (1ull << 31)
#define HCR_NATIVE (HCR_VM | HCR_SWIO | HCR_FMO | HCR_IMO | HCR_AMO | HCR_DC | HCR_TSC | HCR_TGE | HCR_RW)
/* HCR_EL2 for a virtual CPU: its own EL1 with stage 2; physical interrupts,
 * SMC, ACTLR and implementation-defined registers trap to EL2; TLB and cache
 * maintenance broadcast to the inner shareable domain. WFI and WFE are not
 * trapped: an idle guest waits on its CPU until an interrupt comes to EL2
 * (its timer, a virtual interrupt, the scheduler's tick), so it needs no
 * timer service in its VMM; it keeps threads of lower priority on that CPU
 * waiting, as any runnable thread does. */
#define HCR_FB (1ull << 9)
#define HCR_BSU_INNER (1ull << 10)
#define HCR_TSW (1ull << 22)
#define HCR_TIDCP (1ull << 20)
#define HCR_TACR (1ull << 21)
#define HCR_VCPU (HCR_VM | HCR_SWIO | HCR_FMO | HCR_IMO | HCR_AMO | HCR_FB | HCR_BSU_INNER | HCR_TSC | HCR_TIDCP | \
                  HCR_TACR | HCR_TSW | HCR_RW)
/* Added for a virtual CPU at boot (arch_hcr_vcpu): ID register reads trap
 * (TID3) so the kernel can hide what it does not switch (vcpu.c); with
 * pointer authentication, its instructions and key registers do not (API,
 * APK), because the keys are part of the VCPU's state. Native threads keep
 * both clear: a PAC instruction at EL0 traps rather than use a parked
 * guest's keys. */
#define HCR_TID3 (1ull << 18)
/* With LORegions (FEAT_LOR), whose EL1 registers nobody switches, their
 * accesses trap too (TLOR) and guests are told there are none. */
#define HCR_TLOR (1ull << 35)
#define HCR_TERR (1ull << 36)
#define HCR_APK (1ull << 40)
#define HCR_API (1ull << 41)
/* CNTHCTL_EL2: EL0 and EL1 may read the physical counter (EL1PCTEN). A
 * guest may not use the EL1 physical timer (EL1PCEN clear): nobody switches
 * it between guests, so its accesses trap and go to its VMM. Native threads
 * keep EL1PCEN set (their CNTKCTL_EL1 closes the timer to EL0 anyway):
 * without it, QEMU 7.2 also traps their reads of the physical counter at
 * EL0 under HCR_EL2.TGE. */
#define CNTHCTL_NATIVE 0x3ull
/* MDCR_EL2: debug register accesses trap for everyone (TDA, TDOSA, TDRA);
 * the PMU's (TPM, TPMCR) for guests only. Nobody switches the PMU, and
 * native threads read its cycle counter at EL0 (PMUSERENR_EL0, which a
 * guest's EL1 could otherwise rewrite); guests are told there is no PMU
 * (vcpu.c), and an access anyway reaches the VMM. arch_mdcr_native adds
 * the counters' number (HPMN, from PMCR_EL0.N). */
#define MDCR_TPMCR (1ull << 5)
#define MDCR_TPM (1ull << 6)
#define MDCR_TDA (1ull << 9)
#define MDCR_TDOSA (1ull << 10)
#define MDCR_TDRA (1ull << 11)
#define MDCR_TTRF (1ull << 19)          /* trace filter control, where the CPU has it */
#define MDCR_VCPU_TRAPS (MDCR_TPM | MDCR_TPMCR)
#define CNTHCTL_VCPU 0x1ull
/* CPTR_EL2 (E2H = 0): RES1 bits, SVE (TZ) and SME (TSM) trapped; FP/SIMD
 * trapped for native threads too (TFP: their FP state is not kept). A VCPU
 * runs with arch_cptr_vcpu: FP, and SVE when the CPU has it. SME stays
 * trapped for everyone. */
#define CPTR_EL2_TZ (1ull << 8)
#define CPTR_EL2_TFP (1ull << 10)
#define CPTR_EL2_TTA (1ull << 20)       /* trace registers: nobody's, so they trap */
#define CPTR_EL2_TAM (1ull << 30)       /* activity monitors: trap where the CPU has them */
#define CPTR_EL2_FP_ALLOWED (0x33ffull | CPTR_EL2_TTA)
#define CPTR_EL2_FP_TRAPPED (CPTR_EL2_FP_ALLOWED | CPTR_EL2_TFP)
#define SPSR_EL1H_MASKED AARCH64_SPSR_EL1H_MASKED

/* The boot page tables, built before the MMU is on (head.S) */
void arch_mmu_build_tables(void);

#endif
