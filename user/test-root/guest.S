/* Tiny guests for the VCPU tests: code that runs at EL1 in a virtual
 * machine whose memory holds this image at the same addresses. Each stage
 * ends in an HVC whose immediate says where the guest is, so the test (its
 * VMM) can check the registers it reports. */
    .text
    .global guest_exits
guest_exits:
    mov x0, #0x1234
    hvc #0x42               /* the VMM answers x0 = 0x99 */
    hvc #1                  /* reports x0 */
    ldr w1, [x19]           /* MMIO read, emulated as 0x1122334455667788 */
    mov x0, x1
    hvc #2                  /* reports the 32-bit value */
    str x20, [x19, #8]      /* MMIO write of x20 */
    ldrsb x3, [x19, #1]     /* signed byte read, emulated as 0x80 */
    mov x0, x3
    hvc #3
    wfi
    hvc #4
    mov x0, #7
    smc #0                  /* the VMM answers x0 = 0x77 */
    hvc #5
    mrs x4, actlr_el1       /* trapped (HCR_EL2.TACR), emulated as 0xac */
    mov x0, x4
    hvc #6
1:  hvc #0xff
    b 1b

/* x0 = a value for this guest's TPIDR_EL1 and d5 */
    .global guest_state
guest_state:
    msr tpidr_el1, x0
    fmov d5, x0
    hvc #0x10
    mrs x1, tpidr_el1
    fmov x2, d5
    hvc #0x11
1:  hvc #0xff
    b 1b

/* Reads TPIDR_EL1, as the VMM set it before the start. */
    .global guest_read_tpidr
guest_read_tpidr:
    mrs x0, tpidr_el1
    hvc #0x20
1:  hvc #0xff
    b 1b

/* Takes one virtual interrupt through the GICv3 virtual CPU interface
 * (ICC_* system registers): reports readiness with HVC 0x40 (and starts its
 * virtual timer if the VMM answers with a tick count), then, once the
 * handler has acknowledged and ended the interrupt, its INTID with HVC
 * 0x41. */
    .global guest_virq_v3
guest_virq_v3:
    adr x1, guest_vectors_v3
    msr vbar_el1, x1
    mov x1, #1
    msr icc_sre_el1, x1
    isb
    mov x1, #0xff
    msr icc_pmr_el1, x1
    mov x1, #1
    msr icc_igrpen1_el1, x1
    isb
    mov x9, #0
    msr daifclr, #2
    hvc #0x40
    bl guest_arm_timer
1:  cbz x9, 1b
    mov x0, x9
    hvc #0x41
2:  hvc #0xff
    b 2b

/* The same through the GICv2 virtual CPU interface, memory-mapped at x19. */
    .global guest_virq_v2
guest_virq_v2:
    adr x1, guest_vectors_v2
    msr vbar_el1, x1
    mov w1, #0xff
    str w1, [x19, #0x4]     /* GICC_PMR */
    mov w1, #1
    str w1, [x19, #0x0]     /* GICC_CTLR */
    mov x9, #0
    msr daifclr, #2
    hvc #0x40
    bl guest_arm_timer
1:  cbz x9, 1b
    mov x0, x9
    hvc #0x41
2:  hvc #0xff
    b 2b

/* If the VMM answered HVC 0x40 with x0 != 0: start the virtual timer to
 * fire in x0 ticks. */
guest_arm_timer:
    cbz x0, 1f
    msr cntv_tval_el0, x0
    mov x1, #1
    msr cntv_ctl_el0, x1
    isb
1:  ret

/* Vector tables: only "current EL, SPx, IRQ" is expected; anything else
 * reports itself with HVC 0xee. */
.macro unexpected_vectors from, to
    .rept (\to - \from) / 0x80
    .balign 0x80
    hvc #0xee
    .endr
.endm

    .balign 2048
guest_vectors_v3:
    unexpected_vectors 0, 0x280
    .balign 0x80
    mrs x9, icc_iar1_el1
    msr cntv_ctl_el0, xzr   /* a timer interrupt: stop the timer */
    msr icc_eoir1_el1, x9
    eret
    unexpected_vectors 0x300, 0x800

    .balign 2048
guest_vectors_v2:
    unexpected_vectors 0, 0x280
    .balign 0x80
    ldr w9, [x19, #0xc]     /* GICC_IAR */
    msr cntv_ctl_el0, xzr   /* a timer interrupt: stop the timer */
    str w9, [x19, #0x10]    /* GICC_EOIR */
    eret
    unexpected_vectors 0x300, 0x800
