/* Exception vectors at EL2.
 *
 * While a thread runs at EL0, SP_EL2 points just past the register save area
 * at the start of its TCB (struct context), so entry stores the registers
 * straight into the TCB and then switches to this CPU's kernel stack. The
 * kernel itself runs with interrupts masked; an exception taken from EL2 is
 * a kernel bug and stops the machine. */

#define CTX_SIZE (36 * 8) /* sizeof(struct context) */

/* Store the thread's registers into its TCB, then switch to this CPU's
 * kernel stack; leaves x9 = this CPU's struct cpu. */
.macro save_user
    sub sp, sp, #CTX_SIZE
    stp x0, x1, [sp, #16 * 0]
    stp x2, x3, [sp, #16 * 1]
    stp x4, x5, [sp, #16 * 2]
    stp x6, x7, [sp, #16 * 3]
    stp x8, x9, [sp, #16 * 4]
    stp x10, x11, [sp, #16 * 5]
    stp x12, x13, [sp, #16 * 6]
    stp x14, x15, [sp, #16 * 7]
    stp x16, x17, [sp, #16 * 8]
    stp x18, x19, [sp, #16 * 9]
    stp x20, x21, [sp, #16 * 10]
    stp x22, x23, [sp, #16 * 11]
    stp x24, x25, [sp, #16 * 12]
    stp x26, x27, [sp, #16 * 13]
    stp x28, x29, [sp, #16 * 14]
    mrs x0, sp_el0
    stp x30, x0, [sp, #16 * 15]
    mrs x0, elr_el2
    mrs x1, spsr_el2
    stp x0, x1, [sp, #16 * 16]
    mrs x0, tpidr_el0
    str x0, [sp, #16 * 17]
    mrs x9, tpidr_el2
    ldr x0, [x9]
    mov sp, x0
.endm

.macro save_user_and_call handler
    save_user
    bl \handler
    b .
.endm

.macro kernel_trap kind
    mov x0, #\kind
    b trap_kernel
.endm

    .section .text.vectors, "ax"
    .balign 2048
    .global arch_vectors
arch_vectors:
    /* current EL with SP_EL0: never used */
    .balign 0x80
    kernel_trap 0
    .balign 0x80
    kernel_trap 1
    .balign 0x80
    kernel_trap 2
    .balign 0x80
    kernel_trap 3
    /* current EL with SP_EL2: the kernel faulted */
    .balign 0x80
    kernel_trap 4
    .balign 0x80
    kernel_trap 5
    .balign 0x80
    kernel_trap 6
    .balign 0x80
    b el2_serror
    /* lower EL, AArch64 */
    .balign 0x80
    b el0_sync
    .balign 0x80
    save_user_and_call trap_lower_irq
    .balign 0x80
    save_user_and_call trap_lower_irq
    .balign 0x80
    save_user_and_call trap_lower_serror
    /* lower EL, AArch32: cannot happen (HCR_EL2.RW, SPSR is kernel-set) */
    .balign 0x80
    save_user_and_call trap_lower_sync
    .balign 0x80
    save_user_and_call trap_lower_irq
    .balign 0x80
    save_user_and_call trap_lower_irq
    .balign 0x80
    save_user_and_call trap_lower_serror

/* The same, for CPUs whose branch predictors need scrubbing (arch.c,
 * detect_speculation): an entry from a lower level first makes the firmware
 * call, then continues at the plain vector. x0-x3 wait below the stack
 * pointer, in the part of the thread's register area that save_user fills
 * afterwards. */
.macro hardened_entry offset
    .balign 0x80
    stp x0, x1, [sp, #-32]!
    stp x2, x3, [sp, #16]
    adrp x0, arch_bp_workaround
    ldr w0, [x0, :lo12:arch_bp_workaround]
    smc #0
    ldp x2, x3, [sp, #16]
    ldp x0, x1, [sp], #32
    b arch_vectors + \offset
.endm

.macro plain_entry offset
    .balign 0x80
    b arch_vectors + \offset
.endm

    .balign 2048
    .global arch_vectors_bp
arch_vectors_bp:
    plain_entry 0x000
    plain_entry 0x080
    plain_entry 0x100
    plain_entry 0x180
    plain_entry 0x200
    plain_entry 0x280
    plain_entry 0x300
    plain_entry 0x380
    hardened_entry 0x400
    hardened_entry 0x480
    hardened_entry 0x500
    hardened_entry 0x580
    hardened_entry 0x600
    hardened_entry 0x680
    hardened_entry 0x700
    hardened_entry 0x780

    .text
/* uint64_t arch_take_serror(void): the ESR of an SError that was pending
 * (caused by what ran before the kernel was entered), now taken, or 0. The
 * kernel runs with SErrors masked; this opens them for one instruction: a
 * pending SError is taken at the latest at the isb. ELR_EL2, SPSR_EL2 and
 * ESR_EL2 then describe the SError, not the entry: read them first. */
    .global arch_take_serror
arch_take_serror:
    mov x0, #0
    dsb sy
    msr daifclr, #4
serror_window:
    isb
    msr daifset, #4
    ret

/* An SError taken at EL2: expected only in arch_take_serror's window
 * (the isb or the instruction after it); anywhere else the kernel stops. */
el2_serror:
    mrs x0, elr_el2
    adr x1, serror_window
    sub x1, x0, x1
    cmp x1, #4
    b.hi 1f
    mrs x0, esr_el2
    eret
1:  kernel_trap 7

/* Synchronous exceptions from EL0: Call and ReplyRecv try the fast path
 * (fastpath.S) first, with the syscall number still in x7. */
el0_sync:
    save_user
    mrs x10, esr_el2
    lsr x10, x10, #26
    cmp x10, #0x15
    b.ne 1f
    cmp x7, #1
    b.eq fastpath_call
    cmp x7, #2
    b.eq fastpath_reply_recv
1:  bl trap_lower_sync
    b .

/* void arch_return_to_user(struct context *ctx) */
    .global arch_idle_loop
/* Idle on a fresh kernel stack: whatever called us is abandoned. */
arch_idle_loop:
    mrs x0, tpidr_el2
    ldr x0, [x0]
    mov sp, x0
    b kernel_idle

    .global arch_return_to_user
arch_return_to_user:
    ldp x30, x1, [x0, #16 * 15]
    msr sp_el0, x1
    ldp x1, x2, [x0, #16 * 16]
    msr elr_el2, x1
    msr spsr_el2, x2
    ldr x1, [x0, #16 * 17]
    msr tpidr_el0, x1
    mov sp, x0
    ldp x2, x3, [sp, #16 * 1]
    ldp x4, x5, [sp, #16 * 2]
    ldp x6, x7, [sp, #16 * 3]
    ldp x8, x9, [sp, #16 * 4]
    ldp x10, x11, [sp, #16 * 5]
    ldp x12, x13, [sp, #16 * 6]
    ldp x14, x15, [sp, #16 * 7]
    ldp x16, x17, [sp, #16 * 8]
    ldp x18, x19, [sp, #16 * 9]
    ldp x20, x21, [sp, #16 * 10]
    ldp x22, x23, [sp, #16 * 11]
    ldp x24, x25, [sp, #16 * 12]
    ldp x26, x27, [sp, #16 * 13]
    ldp x28, x29, [sp, #16 * 14]
    ldp x0, x1, [sp, #16 * 0]
    add sp, sp, #CTX_SIZE
    eret
