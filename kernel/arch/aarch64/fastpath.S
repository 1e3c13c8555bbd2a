/* The IPC fast path: Call and ReplyRecv with at most four message registers
 * and no capabilities, when the thread on the other side is waiting, lives
 * on this CPU and no other thread is ready there. It does exactly what the
 * full path in C would do (kernel/core/ipc.c), in fewer steps, and switches
 * straight to the other thread. When any condition fails it hands over to
 * trap_sync_locked, which runs the full path.
 *
 * Entered from el0_sync with the thread's registers saved in its TCB, the
 * kernel stack in use, x9 = this CPU, x7 = the system call number. Uses
 * x19 = CPU, x20 = current thread, x21 = message info, x24 = the other
 * thread; x19..x28 survive the call to smp_lock_wait. */
#include "asm_offsets.h"

#define INFO_FAST_MASK 0x3ff      /* length and extra-caps fields */
#define INFO_CAP_FIELDS 0x3f80    /* extra caps and unwrapped mask */
#define RIGHT_READ_BIT 0
#define RIGHT_WRITE_BIT 1

/* Take the big kernel lock (x26 = its owner field, for the release);
 * afterwards x20 = current thread. */
.macro fast_lock
    mov x19, x9
    adrp x11, smp_big_lock
    add x11, x11, :lo12:smp_big_lock
    add x26, x11, #LOCK_OWNER
1:  ldxr w12, [x11]
    add w13, w12, #1
    stxr w14, w13, [x11]
    cbnz w14, 1b
    ldar w13, [x26]
    cmp w12, w13
    b.eq 2f
    mov w0, w12
    mov w1, #1                              /* an SVC waits (answer_stall, smp.c) */
    bl smp_lock_wait
2:  ldr x20, [x19, #CPU_CURRENT]
    cbz x20, fast_slow
    ldr x21, [x20, #TCB_CTX_X0 + 8]
    and x10, x21, #INFO_FAST_MASK
    cmp x10, #4
    b.hi fast_slow
.endm

/* x22 = the slot the thread's x0 names, in a flat CSpace; w11 = the rights
 * of the endpoint capability there. */
.macro fast_lookup
    ldr x0, [x20, #TCB_CTX_X0]
    ldr w11, [x20, #TCB_SLOT_CSPACE_CAP]    /* type, rights, radix, flags */
    and w12, w11, #0xff
    cmp w12, #ASM_CAP_CNODE
    b.ne fast_slow
    tbz w11, #(24 + ASM_CAPF_FLAT_CSPACE_BIT), fast_slow
    ubfx w12, w11, #16, #8
    lsr x14, x0, x12
    cbnz x14, fast_slow
    ldr x15, [x20, #TCB_SLOT_CSPACE_CAP + CAP_OBJ]
    add x22, x15, x0, lsl #6
    ldrb w12, [x22, #CAP_TYPE]
    cmp w12, #ASM_CAP_ENDPOINT
    b.ne fast_slow
    ldrb w11, [x22, #CAP_RIGHTS]
.endm

/* The other thread (x24) must run on this CPU with nothing else ready, and
 * have the PMU access the CPU is set up for (affinity and pmu_access are
 * adjacent bytes, compared with the CPU's id | pmu_open << 8 at once). */
.macro fast_may_run
    ldrh w11, [x24, #TCB_AFFINITY]
    ldr w12, [x19, #CPU_FAST_MATCH]
    cmp w11, w12
    b.ne fast_slow
    ldr x11, [x19, #CPU_READY_SUMMARY]
    cbnz x11, fast_slow
.endm

/* Copy the message's MR0..MR(length-1) from x20 to x24; nothing beyond the
 * length travels, as on the full path. */
.macro fast_copy_mrs
    and x10, x21, #0x7f
    cbz x10, 9f
    ldr x13, [x20, #TCB_CTX_X2]
    str x13, [x24, #TCB_CTX_X2]
    cmp x10, #1
    b.eq 9f
    ldr x13, [x20, #TCB_CTX_X2 + 8]
    str x13, [x24, #TCB_CTX_X2 + 8]
    cmp x10, #2
    b.eq 9f
    ldr x13, [x20, #TCB_CTX_X4]
    str x13, [x24, #TCB_CTX_X4]
    cmp x10, #3
    b.eq 9f
    ldr x13, [x20, #TCB_CTX_X4 + 8]
    str x13, [x24, #TCB_CTX_X4 + 8]
9:
.endm

    .text
    .global fastpath_call
fastpath_call:
    fast_lock
    fast_lookup
    tbz w11, #RIGHT_WRITE_BIT, fast_slow
    ldr x23, [x22, #CAP_OBJ]                /* the endpoint */
    ldr x24, [x23, #EP_HEAD]                /* a waiting receiver? */
    cbz x24, fast_slow
    ldrb w11, [x24, #TCB_STATE]
    cmp w11, #ASM_THREAD_BLOCKED_RECV
    b.ne fast_slow
    fast_may_run
    /* take the receiver off the endpoint (it is the head) */
    ldr x11, [x24, #TCB_EP_NEXT]
    str x11, [x23, #EP_HEAD]
    cbz x11, 1f
    str xzr, [x11, #TCB_EP_PREV]
    b 2f
1:  str xzr, [x23, #EP_TAIL]
2:  str xzr, [x24, #TCB_EP_NEXT]
    str xzr, [x24, #TCB_BLOCKED_ON]
    /* the message: badge, info, MR0..MR3 */
    ldr x11, [x22, #CAP_A]
    and x12, x21, #~INFO_CAP_FIELDS
    stp x11, x12, [x24, #TCB_CTX_X0]
    fast_copy_mrs
    /* the caller waits for the reply */
    mov w11, #ASM_THREAD_BLOCKED_REPLY
    strb w11, [x20, #TCB_STATE]
    str x24, [x20, #TCB_CALLEE]
    str x20, [x24, #TCB_CALLER]
    b fast_switch

    .global fastpath_reply_recv
fastpath_reply_recv:
    fast_lock
    ldr x24, [x20, #TCB_CALLER]             /* whom we reply to */
    cbz x24, fast_slow
    ldr x11, [x24, #TCB_VCPU]               /* a guest's EL1 state is switched */
    cbnz x11, fast_slow                     /* by the full path */
    fast_may_run
    ldrb w25, [x24, #TCB_PENDING_FAULT]
    cbz w25, 1f
    lsr x11, x21, #14                       /* a fault reply resumes only with label 0 */
    cbnz x11, fast_slow
1:  fast_lookup
    tbz w11, #RIGHT_READ_BIT, fast_slow
    ldr x23, [x22, #CAP_OBJ]                /* the endpoint */
    ldr x11, [x23, #EP_HEAD]                /* no sender may be waiting */
    cbz x11, 2f
    ldrb w12, [x11, #TCB_STATE]
    cmp w12, #ASM_THREAD_BLOCKED_SEND
    b.eq fast_slow
2:  ldr x11, [x20, #TCB_BOUND_NTFN]         /* nor a pending bound signal */
    cbz x11, 3f
    ldr x11, [x11, #NTFN_WORD]
    cbnz x11, fast_slow
3:  /* the reply */
    str xzr, [x20, #TCB_CALLER]
    str xzr, [x24, #TCB_CALLEE]
    cbz w25, 4f
    strb wzr, [x24, #TCB_PENDING_FAULT]
    b 5f
4:  and x12, x21, #~INFO_CAP_FIELDS
    stp xzr, x12, [x24, #TCB_CTX_X0]
    fast_copy_mrs
5:  /* wait on the endpoint, at the tail of its queue */
    mov w11, #ASM_THREAD_BLOCKED_RECV
    strb w11, [x20, #TCB_STATE]
    str x23, [x20, #TCB_BLOCKED_ON]
    ldr x11, [x23, #EP_TAIL]
    str xzr, [x20, #TCB_EP_NEXT]
    str x11, [x20, #TCB_EP_PREV]
    cbz x11, 6f
    str x20, [x11, #TCB_EP_NEXT]
    b 7f
6:  str x20, [x23, #EP_HEAD]
7:  str x20, [x23, #EP_TAIL]
    b fast_switch

/* Run x24 instead of x20 on this CPU, then leave the kernel. */
fast_switch:
    strb wzr, [x20, #TCB_ON_CPU]
    mov w11, #ASM_THREAD_RUNNABLE
    strb w11, [x24, #TCB_STATE]
    ldr w12, [x19, #CPU_ID]
    add w12, w12, #1
    strb w12, [x24, #TCB_ON_CPU]
    str x24, [x19, #CPU_CURRENT]
    strb wzr, [x19, #CPU_RESCHEDULE]
    /* its stage-2 address space */
    ldrb w11, [x24, #TCB_SLOT_VSPACE_CAP + CAP_TYPE]
    cmp w11, #ASM_CAP_VSPACE
    b.ne 1f
    ldr x12, [x24, #TCB_SLOT_VSPACE_CAP + CAP_A] /* its VTTBR value */
    b 2f
1:  adrp x12, vspace_empty_vttbr
    ldr x12, [x12, :lo12:vspace_empty_vttbr]
2:  ldr x13, [x19, #CPU_VTTBR]
    cmp x12, x13
    b.eq 3f
    msr vttbr_el2, x12
    isb
    str x12, [x19, #CPU_VTTBR]
3:  /* release the lock */
    ldr w12, [x26]
    add w12, w12, #1
    stlr w12, [x26]
    sev
    mov x0, x24
    b arch_return_to_user

/* A condition failed: the full path, with the lock already held. */
fast_slow:
    bl trap_sync_locked
    b .
