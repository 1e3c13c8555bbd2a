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
    ldr x12, [x21]
    mrs x9, icc_iar1_el1
    msr icc_eoir1_el1, x9
    eret
    .rept 10
    .balign 0x80
    hvc #0xee
    .endr

/* The guests of the remote interrupt benchmark (GICv3). guest_irq_remote_bench
 * runs on CPU 1: x0 = iterations, x20 = the address of a word the VMM reads,
 * x21 = the address of guest_cpu0_sleeper's last reading. Each round it
 * reports readiness with HVC 0x40, sets the word to 1 and spins, so that the
 * VMM's injection arrives while it runs; the handler (bench_vectors) reads
 * the virtual counter and the sleeper's last reading, which the guest
 * reports with HVC 0x41 in x0 and x1. */
    .global guest_irq_remote_bench
guest_irq_remote_bench:
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
    mov x1, #1
    str x1, [x20]
2:  cbz x10, 2b
    mov x0, x10
    mov x1, x12
    hvc #0x41
    subs x5, x5, #1
    b.ne 1b
3:  hvc #0xff
    b 3b

/* The VMM's CPU runs guest_cpu0_sleeper below the VMM: x21 = where to write
 * its readings, x22 = its timer's period in counter ticks. It arms its
 * virtual timer, has the VMM unmask the timer's line (HVC 0x50), writes the
 * counter and waits for an interrupt. A guest's WFI is not trapped: the CPU
 * stops, and QEMU, which runs one CPU at a time under -icount, moves to the
 * other CPU at that instruction. The reading is thus where CPU 0 stopped;
 * the timer bounds each wait. */
    .global guest_cpu0_sleeper
guest_cpu0_sleeper:
1:  mrs x1, cntvct_el0
    add x2, x1, x22
    msr cntv_cval_el0, x2
    mov x3, #1
    msr cntv_ctl_el0, x3
    isb
    hvc #0x50
    isb
    mrs x1, cntvct_el0
    str x1, [x21]
    wfi
    b 1b
