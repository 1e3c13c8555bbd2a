/* The guest of the VM exit benchmark, run at EL1: x0 = iterations, x19 = an
 * address the VMM emulates. Times each MMIO read with the cycle counter and
 * reports the total in x0 with an HVC. */
    .text
    .global guest_mmio_bench
guest_mmio_bench:
    mov x5, x0
    mov x6, #0
1:  isb
    mrs x1, pmccntr_el0
    ldr w2, [x19]
    isb
    mrs x3, pmccntr_el0
    sub x3, x3, x1
    add x6, x6, x3
    subs x5, x5, #1
    b.ne 1b
    mov x0, x6
    hvc #0x30
2:  hvc #0xff
    b 2b
