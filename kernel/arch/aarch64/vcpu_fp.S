/* Save and restore the 32 FP/SIMD registers of a virtual CPU (the kernel's
 * own C code never uses them: it is built with -mgeneral-regs-only). FPCR
 * and FPSR are saved with the system registers. */
    .arch_extension sve
    .text
    .global vcpu_fp_save
vcpu_fp_save:
    stp q0, q1, [x0, #32 * 0]
    stp q2, q3, [x0, #32 * 1]
    stp q4, q5, [x0, #32 * 2]
    stp q6, q7, [x0, #32 * 3]
    stp q8, q9, [x0, #32 * 4]
    stp q10, q11, [x0, #32 * 5]
    stp q12, q13, [x0, #32 * 6]
    stp q14, q15, [x0, #32 * 7]
    stp q16, q17, [x0, #32 * 8]
    stp q18, q19, [x0, #32 * 9]
    stp q20, q21, [x0, #32 * 10]
    stp q22, q23, [x0, #32 * 11]
    stp q24, q25, [x0, #32 * 12]
    stp q26, q27, [x0, #32 * 13]
    stp q28, q29, [x0, #32 * 14]
    stp q30, q31, [x0, #32 * 15]
    ret

    .global vcpu_fp_restore
vcpu_fp_restore:
    ldp q0, q1, [x0, #32 * 0]
    ldp q2, q3, [x0, #32 * 1]
    ldp q4, q5, [x0, #32 * 2]
    ldp q6, q7, [x0, #32 * 3]
    ldp q8, q9, [x0, #32 * 4]
    ldp q10, q11, [x0, #32 * 5]
    ldp q12, q13, [x0, #32 * 6]
    ldp q14, q15, [x0, #32 * 7]
    ldp q16, q17, [x0, #32 * 8]
    ldp q18, q19, [x0, #32 * 9]
    ldp q20, q21, [x0, #32 * 10]
    ldp q22, q23, [x0, #32 * 11]
    ldp q24, q25, [x0, #32 * 12]
    ldp q26, q27, [x0, #32 * 13]
    ldp q28, q29, [x0, #32 * 14]
    ldp q30, q31, [x0, #32 * 15]
    ret

/* With SVE: z0..z31 (whose low 128 bits are q0..q31), p0..p15 and FFR, at
 * EL2's vector length (ZCR_EL2, fixed at boot), so the layout does not
 * depend on the length the guest chose; the predicates start at
 * VCPU_FP_SVE_PREGS (vcpu.h). FFR goes through p0, saved before it. */
#define SVE_PREGS 2048

.macro sve_zregs op
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    \op z\n, [x0, #\n, mul vl]
    .endr
.endm

.macro sve_pregs op
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
    \op p\n, [x1, #\n, mul vl]
    .endr
.endm

    .global vcpu_sve_save
vcpu_sve_save:
    sve_zregs str
    add x1, x0, #SVE_PREGS
    sve_pregs str
    rdffr p0.b
    str p0, [x1, #16, mul vl]
    ret

    .global vcpu_sve_restore
vcpu_sve_restore:
    add x1, x0, #SVE_PREGS
    ldr p0, [x1, #16, mul vl]
    wrffr p0.b
    sve_pregs ldr
    sve_zregs ldr
    ret
