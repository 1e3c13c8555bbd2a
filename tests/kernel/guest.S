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

/* Touches the EL1 physical timer, which is not the guest's (the kernel
 * does not switch it between guests): both accesses must be exits. */
    .global guest_physical_timer
guest_physical_timer:
    mov x0, #1
    msr cntp_ctl_el0, x0    /* trapped: the VMM ignores the write */
    mrs x1, cntp_cval_el0   /* trapped: the VMM answers 0x5e */
    mov x0, x1
    hvc #0x50
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

/* ------------------------------------------------------------ CPU features
 * SVE and pointer authentication are the guest's own; SME is not offered. */
    .arch_extension sve
    .arch_extension sme

/* Reports the ID registers the kernel may edit (HVC 0x30): x0 =
 * ID_AA64PFR0_EL1, x1 = ID_AA64PFR1_EL1, x2 = ID_AA64ISAR1_EL1, x3 =
 * ID_AA64ISAR2_EL1, x4 = ID_AA64SMFR0_EL1; then reads every register of the
 * ID space (CRm 1 to 7) and reports the OR of all (HVC 0x31). */
    .global guest_id_regs
guest_id_regs:
    mrs x0, S3_0_C0_C4_0
    mrs x1, S3_0_C0_C4_1
    mrs x2, S3_0_C0_C6_1
    mrs x3, S3_0_C0_C6_2
    mrs x4, S3_0_C0_C4_5
    hvc #0x30
    mov x0, #0
    .irp crm, 1, 2, 3, 4, 5, 6, 7
    .irp op2, 0, 1, 2, 3, 4, 5, 6, 7
    mrs x1, S3_0_C0_C\crm\()_\op2
    orr x0, x0, x1
    .endr
    .endr
    hvc #0x31
1:  hvc #0xff
    b 1b

/* x0 = a seed, x1 = use SVE, x2 = use pointer authentication. Sets the ten
 * key registers to seed + 0..9 and, with SVE at the longest vector length,
 * z0 = {seed, seed + 1, ...}, z31 = {seed, seed + 3, ...}, p1 and FFR = the
 * first (seed & 3) + 1 lanes, p15 = the first (seed & 3) + 3 lanes (of .d
 * elements); then waits (HVC 0x50). Reports the keys it reads back
 * (HVC 0x51: x0 = APIAKeyLo, x1 = APGAKeyHi, x2 and x3 = PACGA of the seed
 * before and after the wait) and its SVE registers (HVC 0x52: x0 = the
 * vector length in bytes, x1 and x2 = the sums of z0's and z31's lanes,
 * x3, x4, x5 = active lanes of p1, p15 and FFR). */
    .global guest_sve_pauth
guest_sve_pauth:
    mov x9, x0
    mov x10, x1
    mov x11, x2
    mov x12, #0
    cbz x11, 1f
    add x3, x9, #0
    msr S3_0_C2_C1_0, x3    /* APIAKeyLo_EL1 */
    add x3, x9, #1
    msr S3_0_C2_C1_1, x3    /* APIAKeyHi_EL1 */
    add x3, x9, #2
    msr S3_0_C2_C1_2, x3    /* APIBKeyLo_EL1 */
    add x3, x9, #3
    msr S3_0_C2_C1_3, x3    /* APIBKeyHi_EL1 */
    add x3, x9, #4
    msr S3_0_C2_C2_0, x3    /* APDAKeyLo_EL1 */
    add x3, x9, #5
    msr S3_0_C2_C2_1, x3    /* APDAKeyHi_EL1 */
    add x3, x9, #6
    msr S3_0_C2_C2_2, x3    /* APDBKeyLo_EL1 */
    add x3, x9, #7
    msr S3_0_C2_C2_3, x3    /* APDBKeyHi_EL1 */
    add x3, x9, #8
    msr S3_0_C2_C3_0, x3    /* APGAKeyLo_EL1 */
    add x3, x9, #9
    msr S3_0_C2_C3_1, x3    /* APGAKeyHi_EL1 */
    isb
    .inst 0x9ac9312c        /* pacga x12, x9, x9 (the assembler wants Armv8.3 for it) */
1:  cbz x10, 2f
    mov x3, #0xf
    msr S3_0_C1_C2_0, x3    /* ZCR_EL1: the longest vector length EL2 allows */
    isb
    index z0.d, x9, #1
    index z31.d, x9, #3
    and x13, x9, #3
    add x13, x13, #1
    whilelo p1.d, xzr, x13
    add x14, x13, #2
    whilelo p15.d, xzr, x14
    wrffr p1.b
2:  hvc #0x50
    mov x0, #0
    mov x1, #0
    mov x2, x12
    mov x3, #0
    cbz x11, 3f
    mrs x0, S3_0_C2_C1_0    /* APIAKeyLo_EL1 */
    mrs x1, S3_0_C2_C3_1    /* APGAKeyHi_EL1 */
    .inst 0x9ac93123        /* pacga x3, x9, x9 */
3:  hvc #0x51
    mov x0, #0
    mov x1, #0
    mov x2, #0
    mov x3, #0
    mov x4, #0
    mov x5, #0
    cbz x10, 4f
    rdvl x0, #1
    ptrue p2.d
    uaddv d1, p2, z0.d
    fmov x1, d1
    uaddv d2, p2, z31.d
    fmov x2, d2
    cntp x3, p2, p1.d
    cntp x4, p2, p15.d
    rdffr p3.b
    cntp x5, p2, p3.d
4:  hvc #0x52
5:  hvc #0xff
    b 5b

/* Tries SME as a guest that ignores its ID registers would: lets its EL1
 * use it (CPACR_EL1.SMEN), then SMSTART (HVC 0x60 if it went on), then
 * reads SMCR_EL1 (HVC 0x61 with its value). An exception taken to its own
 * EL1 (an undefined instruction where there is no SME) reports HVC 0xee. */
    .global guest_sme
guest_sme:
    adr x1, guest_vectors_v3
    msr vbar_el1, x1
    mrs x1, cpacr_el1
    orr x1, x1, #(3 << 24)
    msr cpacr_el1, x1
    isb
    smstart
    hvc #0x60
    mrs x0, S3_0_C1_C2_6    /* SMCR_EL1 */
    hvc #0x61
1:  hvc #0xff
    b 1b

/* Reports ID_AA64DFR0_EL1 (HVC 0x70: x0), then reads the PMU's cycle
 * counter (HVC 0x71 with what it read) and clears PMUSERENR_EL0, which
 * would close the counter to native threads at EL0 (HVC 0x72). */
    .global guest_pmu
guest_pmu:
    mrs x0, S3_0_C0_C5_0    /* ID_AA64DFR0_EL1 */
    hvc #0x70
    mrs x0, pmccntr_el0
    hvc #0x71
    msr pmuserenr_el0, xzr
    hvc #0x72
1:  hvc #0xff
    b 1b

/* Reports ID registers, one an HVC (0x90 + n, in x0): ID_AA64PFR0_EL1,
 * ID_AA64DFR0_EL1, ID_AA64MMFR1_EL1, and one the architecture has not
 * allocated (op0 3, op1 0, CRn 0, CRm 7, op2 7); then a set/way cache
 * maintenance (DC CISW), which completes, and HVC 0x94. */
    .global guest_id_allow_list
guest_id_allow_list:
    mrs x0, S3_0_C0_C4_0    /* ID_AA64PFR0_EL1 */
    hvc #0x90
    mrs x0, S3_0_C0_C5_0    /* ID_AA64DFR0_EL1 */
    hvc #0x91
    mrs x0, S3_0_C0_C7_1    /* ID_AA64MMFR1_EL1 */
    hvc #0x92
    mrs x0, S3_0_C0_C7_7
    hvc #0x93
    mov x1, #0
    dc cisw, x1
    hvc #0x94
1:  hvc #0xff
    b 1b

/* Reports ID_AA64MMFR1_EL1 (HVC 0x80: x0), then reads LORC_EL1 (HVC 0x81
 * with what it read). Where the CPU has no LORegions the read is undefined
 * at the guest's own EL1 (HVC 0xee from its vectors). */
    .global guest_lor
guest_lor:
    adr x1, guest_vectors_v3
    msr vbar_el1, x1
    isb
    mrs x0, S3_0_C0_C7_1    /* ID_AA64MMFR1_EL1 */
    hvc #0x80
    mrs x0, S3_0_C10_C4_3   /* LORC_EL1 */
    hvc #0x81
1:  hvc #0xff
    b 1b

/* Sets what its SCTLR_EL1 decides for EL0 the other way round from the
 * native value: EL0 data big-endian (E0E), alignment checks (A), DC ZVA,
 * CTR_EL0 and cache maintenance allowed at EL0 (DZE, UCT, UCI); then waits
 * (HVC 0x90). */
    .global guest_sctlr
guest_sctlr:
    mrs x1, sctlr_el1
    mov x2, #((1 << 24) | (1 << 26))
    orr x1, x1, x2
    orr x1, x1, #((1 << 14) | (1 << 15))
    orr x1, x1, #(1 << 1)
    msr sctlr_el1, x1
    isb
1:  hvc #0x90
    b 1b
