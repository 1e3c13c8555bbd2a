/* Kernel entry at EL2: from the boot loader on the boot CPU (_start), and
 * from PSCI CPU_ON on the others (arch_secondary_entry, x0 = CPU index). */
#include <board.h>

#define SCTLR_EL2_RES1 0x30c50830
#define SCTLR_EL2_MMU_ON (SCTLR_EL2_RES1 | (1 << 0) | (1 << 2) | (1 << 3) | (1 << 12) | (1 << 19)) /* M, C, SA, I, WXN */
/* T0SZ=25 (39-bit), inner/outer write-back walks, inner shareable, 4 KiB
 * granule, 40-bit physical addresses; bits 31 and 23 are RES1. */
#define TCR_EL2_VALUE 0x80823519
/* attr0 device-nGnRnE, attr1 normal write-back, attr2 normal non-cacheable,
 * attr3 device-nGnRE */
#define MAIR_EL2_VALUE 0x0444ff00

    .section .text.boot, "ax"
    .global _start
_start:
    msr daifset, #0xf
    mrs x1, CurrentEL
    cmp x1, #(2 << 2)
    b.ne not_el2
    mov x19, #0
    bl set_boot_stack
    /* clear .bss before any C runs */
    ldr x1, =__bss_start
    ldr x2, =__bss_end
1:  cmp x1, x2
    b.hs 2f
    str xzr, [x1], #8
    b 1b
2:  bl arch_mmu_build_tables
    bl mmu_enable
    mov x0, x19
    b kernel_boot

    .global arch_secondary_entry
arch_secondary_entry:
    msr daifset, #0xf
    mov x19, x0
    bl set_boot_stack
    bl mmu_enable
    mov x0, x19
    b kernel_secondary

/* sp = top of CPU x19's boot stack (also its kernel stack) */
set_boot_stack:
    ldr x1, =kernel_stacks
    add x2, x19, #1
    mov x3, #16384
    madd x1, x2, x3, x1
    mov sp, x1
    ret

mmu_enable:
    ldr x0, =MAIR_EL2_VALUE
    msr mair_el2, x0
    ldr x0, =TCR_EL2_VALUE
    msr tcr_el2, x0
    ldr x0, =arch_el2_l1_table
    msr ttbr0_el2, x0
    isb
    tlbi alle2
    dsb ish
    isb
    ldr x0, =SCTLR_EL2_MMU_ON
    msr sctlr_el2, x0
    isb
    ret

not_el2:
    wfe
    b not_el2
