/* Offsets of the fields the assembly fast path uses. arch.c checks every one
 * of them against the C structures at compile time. */
#ifndef KERNEL_ASM_OFFSETS_H
#define KERNEL_ASM_OFFSETS_H

#define CPU_KSTACK_TOP 0
#define CPU_CURRENT 8
#define CPU_ID 16
#define CPU_VTTBR 24
#define CPU_READY_SUMMARY 32
#define CPU_RESCHEDULE 40
#define CPU_FAST_MATCH 44

#define TCB_CTX_X0 0
#define TCB_CTX_X2 16
#define TCB_CTX_X4 32
#define TCB_SLOT_CSPACE_CAP 288
#define TCB_SLOT_VSPACE_CAP 352
#define TCB_STATE 544
#define TCB_AFFINITY 548
#define TCB_PMU_ACCESS 549
#define TCB_PENDING_FAULT 552
#define TCB_ON_CPU 553
#define TCB_EP_NEXT 600
#define TCB_EP_PREV 608
#define TCB_BLOCKED_ON 616
#define TCB_CALLER 624
#define TCB_CALLEE 632
#define TCB_BOUND_NTFN 640
#define TCB_VCPU 752

#define CAP_TYPE 0
#define CAP_RIGHTS 1
#define CAP_SIZE_BITS 2
#define CAP_GUARD_BITS 4
#define CAP_VMID 5
#define CAP_OBJ 8
#define CAP_A 16

#define LOCK_OWNER 4

#define EP_HEAD 0
#define EP_TAIL 8
#define NTFN_WORD 0

/* enum values the fast path tests */
#define ASM_CAP_ENDPOINT 3
#define ASM_CAP_CNODE 5
#define ASM_CAP_VSPACE 8
#define ASM_CAPF_FLAT_CSPACE_BIT 1
#define ASM_THREAD_RUNNABLE 1
#define ASM_THREAD_BLOCKED_SEND 2
#define ASM_THREAD_BLOCKED_RECV 3
#define ASM_THREAD_BLOCKED_REPLY 4

#endif
