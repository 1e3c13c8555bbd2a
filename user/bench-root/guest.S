/* The guest of the VM exit benchmark, run at EL1: x0 = iterations, x19 = an
 * address the VMM emulates. Times each MMIO read with the virtual counter
 * (a guest's PMU traps) and reports the total in ticks in x0 with an HVC. */
    .text
    .global guest_mmio_bench
guest_mmio_bench:
    mov x5, x0
    mov x6, #0
1:  isb
    mrs x1, cntvct_el0
    ldr w2, [x19]
    isb
    mrs x3, cntvct_el0
    sub x3, x3, x1
    add x6, x6, x3
    subs x5, x5, #1
    b.ne 1b
    mov x0, x6
    hvc #0x30
2:  hvc #0xff
    b 2b

/* The guest of the interrupt benchmark (GICv3): x0 = iterations. Each round
 * reports readiness with HVC 0x40; the VMM injects an interrupt; the
 * handler's first instruction reads the virtual counter, and the guest
 * reports that reading with HVC 0x41. */
    .global guest_irq_bench
guest_irq_bench:
    mov x5, x0
    adr x1, bench_vectors
    msr vbar_el1, x1
    mov x1, #1
    msr icc_sre_el1, x1
    isb
    mov x1, #0xff
    msr icc_pmr_el1, x1
    mov x1, #1
    msr icc_igrpen1_el1, x1
    isb
    msr daifclr, #2
1:  mov x10, #0
    hvc #0x40
2:  cbz x10, 2b
    mov x0, x10
    hvc #0x41
    subs x5, x5, #1
    b.ne 1b
3:  hvc #0xff
    b 3b

    .balign 2048
bench_vectors:
    .rept 5
    .balign 0x80
    hvc #0xee
    .endr
    .balign 0x80            /* current EL, SPx, IRQ */
    mrs x10, cntvct_el0
    mrs x9, icc_iar1_el1
    msr icc_eoir1_el1, x9
    eret
    .rept 10
    .balign 0x80
    hvc #0xee
    .endr
