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
