/* AArch64 CPU setup at EL2: the kernel's own page table, the controls for
 * native threads, timers, TLB maintenance and thread switch. */
#include "arch.h"
#include "plat.h"
#include "util.h"

struct cpu cpus[BOARD_NUM_CPUS];
uint8_t kernel_stacks[BOARD_NUM_CPUS][KERNEL_STACK_SIZE] __attribute__((aligned(16)));

/* The kernel maps physical memory one-to-one with 1 GiB blocks: the first
 * GiB (devices) as device memory, RAM as normal write-back memory. */
uint64_t arch_el2_l1_table[512] __attribute__((aligned(4096)));

#define PTE_BLOCK 0x1ull
#define PTE_AF (1ull << 10)
#define PTE_SH_INNER (3ull << 8)
#define PTE_ATTR(i) ((uint64_t)(i) << 2)
#define PTE_XN (1ull << 54)

void arch_mmu_build_tables(void)
{
    arch_el2_l1_table[0] = BOARD_DEVICE_BASE | PTE_BLOCK | PTE_AF | PTE_ATTR(0) | PTE_XN;
    for (uint64_t a = BOARD_RAM_BASE; a < BOARD_RAM_BASE + BOARD_RAM_SIZE; a += BIT(30))
        arch_el2_l1_table[a >> 30] = a | PTE_BLOCK | PTE_AF | PTE_SH_INNER | PTE_ATTR(1);
}

/* Stage 2: 39-bit IPA, starting at level 1, write-back inner-shareable
 * walks, 4 KiB granule, 40-bit output; bit 31 is RES1. */
#define VTCR_VALUE 0x80023559ull
/* CPTR_EL2: trap FP/SIMD (TFP) so that no FP state needs switching; the
 * rest are RES1 bits. */
#define CPTR_VALUE (0x33ffull | (1ull << 10))

extern char arch_vectors[];

void arch_cpu_init(unsigned cpu)
{
    struct cpu *c = &cpus[cpu];
    c->id = cpu;
    c->kstack_top = (word_t)&kernel_stacks[cpu][KERNEL_STACK_SIZE];
    SYSREG_WRITE(tpidr_el2, c);
    SYSREG_WRITE(vbar_el2, arch_vectors);
    SYSREG_WRITE(hcr_el2, HCR_NATIVE);
    SYSREG_WRITE(vtcr_el2, VTCR_VALUE);
    SYSREG_WRITE(cptr_el2, CPTR_VALUE);
    SYSREG_WRITE(sctlr_el1, 0x30d00800ull); /* EL1&0 stage 1 off (RES1 bits only) */
    SYSREG_WRITE(cnthctl_el2, 0x3ull);      /* EL0/1 may read the physical counter */
    SYSREG_WRITE(cntkctl_el1, 0x3ull);      /* EL0 may read both counters (not the timers) */
    SYSREG_WRITE(cntvoff_el2, 0);
    /* Cycle counter for benchmarks: readable at EL0, counting at EL2 too. */
    SYSREG_WRITE(mdcr_el2, SYSREG_READ(pmcr_el0) >> 11 & 0x1f);
    SYSREG_WRITE(pmccfiltr_el0, 1ull << 27);
    SYSREG_WRITE(pmcr_el0, SYSREG_READ(pmcr_el0) | 1ull);
    SYSREG_WRITE(pmcntenset_el0, 1ull << 31);
    SYSREG_WRITE(pmuserenr_el0, 0xdull);
    SYSREG_WRITE(vttbr_el2, 0);
    c->vttbr = 0;
    isb();
    c->online = true;
}

unsigned arch_cpu_index(void)
{
    return this_cpu()->id;
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

bool arch_irq_pending(void)
{
    return (SYSREG_READ(isr_el1) & (1u << 7)) != 0;
}

uint64_t arch_timer_frequency(void)
{
    return SYSREG_READ(cntfrq_el0);
}

uint64_t arch_now(void)
{
    return SYSREG_READ(cntpct_el0);
}

/* One-shot EL2 physical timer interrupt 'ticks' counter ticks from now. */
void arch_timer_arm(uint64_t ticks)
{
    SYSREG_WRITE(cnthp_tval_el2, ticks);
    SYSREG_WRITE(cnthp_ctl_el2, 1);
    isb();
}
