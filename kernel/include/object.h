/* Kernel objects other than capabilities, and their states.
 *
 * Thread states (struct tcb.state):
 *   INACTIVE        not runnable; after retype, suspend or deletion
 *   RUNNABLE        in its CPU's ready queue or running on it
 *   BLOCKED_SEND    in an endpoint queue, waiting for a receiver
 *   BLOCKED_RECV    in an endpoint queue, waiting for a sender
 *   BLOCKED_REPLY   made a Call (or faulted) and waits for the reply
 *   BLOCKED_NTFN    in a notification queue, waiting for a signal
 *
 * Lock order: there is one lock, the big kernel lock (kernel/core/smp.c),
 * held from kernel entry to exit. Nothing else locks. */
#ifndef KERNEL_OBJECT_H
#define KERNEL_OBJECT_H

#include "types.h"
#include "cap.h"
#include <icecap/objects.h>

enum thread_state {
    THREAD_INACTIVE = 0,
    THREAD_RUNNABLE,
    THREAD_BLOCKED_SEND,
    THREAD_BLOCKED_RECV,
    THREAD_BLOCKED_REPLY,
    THREAD_BLOCKED_NTFN,
};

/* Saved user registers: laid out for the exception entry code, which stores
 * them here directly (see arch/aarch64/vectors.S). */
struct context {
    word_t x[31];
    word_t sp;   /* SP_EL0 */
    word_t pc;   /* ELR_EL2 */
    word_t spsr; /* SPSR_EL2 */
    word_t tpidr;/* TPIDR_EL0 */
    word_t pad;  /* keeps the kernel stack pointer 16-byte aligned */
};

enum tcb_slot { TCB_SLOT_CSPACE, TCB_SLOT_VSPACE, TCB_SLOT_IPC_FRAME, TCB_SLOT_FAULT_EP, TCB_SLOT_COUNT };

struct endpoint;
struct notification;

struct tcb {
    struct context ctx;                 /* first: vectors.S relies on it */
    struct cte slots[TCB_SLOT_COUNT];
    uint8_t state;
    uint8_t priority;
    uint8_t max_priority;
    uint8_t in_ready_queue;
    uint8_t affinity;                   /* CPU it runs on; */
    uint8_t pmu_access;                 /* and, in the byte after it, whether it may read the PMU at EL0 */
    uint8_t ipc_can_grant;              /* blocked sender may transfer caps */
    uint8_t ipc_is_call;                /* blocked sender made a Call */
    uint8_t pending_fault;              /* fault label being sent (BLOCKED_SEND) */
    uint8_t on_cpu;                     /* 1 + CPU it is current on, or 0 */
    uint8_t console_access;             /* may write the kernel's console (DebugPutChar) */
    word_t ipc_badge;                   /* badge of the capability a blocked sender used */
    word_t ipc_buffer;                  /* user address of the IPC buffer */
    word_t timeslice;                   /* timer ticks left */
    struct tcb *sched_next, *sched_prev;
    struct tcb *ep_next, *ep_prev;      /* endpoint or notification queue */
    void *blocked_on;                   /* endpoint or notification */
    struct tcb *caller;                 /* whom this thread must reply to */
    struct tcb *callee;                 /* who holds our reply (BLOCKED_REPLY) */
    struct notification *bound_ntfn;
    word_t fault_msg[12];                /* fault message while blocked sending it */
    uint8_t fault_len;
    struct vcpu *vcpu;                  /* runs at EL1 as this virtual CPU, if set */
    struct cte *reply_slot;             /* the saved reply capability to us, if any */
};
_Static_assert(sizeof(struct tcb) <= (1u << IC_TCB_SIZE_BITS), "TCB fits its object");

struct thread_queue {
    struct tcb *head, *tail;
};

struct endpoint {
    struct thread_queue queue; /* all senders or all receivers */
};
_Static_assert(sizeof(struct endpoint) <= (1u << IC_ENDPOINT_SIZE_BITS), "endpoint size");

struct notification {
    word_t word;               /* pending signal bits */
    struct thread_queue queue; /* waiters */
    struct tcb *bound;
};
_Static_assert(sizeof(struct notification) <= (1u << IC_NOTIFICATION_SIZE_BITS), "notification size");

static inline struct tcb *cap_tcb(const struct cap *c) { return (struct tcb *)(uintptr_t)c->obj; }
static inline struct endpoint *cap_endpoint(const struct cap *c) { return (struct endpoint *)(uintptr_t)c->obj; }
static inline struct notification *cap_ntfn(const struct cap *c) { return (struct notification *)(uintptr_t)c->obj; }
static inline struct cte *cap_cnode(const struct cap *c) { return (struct cte *)(uintptr_t)c->obj; }

/* FIFO queues of threads waiting on an endpoint or notification */
static inline void queue_append(struct thread_queue *q, struct tcb *t)
{
    t->ep_next = NULL;
    t->ep_prev = q->tail;
    if (q->tail)
        q->tail->ep_next = t;
    else
        q->head = t;
    q->tail = t;
}

static inline void queue_remove(struct thread_queue *q, struct tcb *t)
{
    if (t->ep_prev)
        t->ep_prev->ep_next = t->ep_next;
    else
        q->head = t->ep_next;
    if (t->ep_next)
        t->ep_next->ep_prev = t->ep_prev;
    else
        q->tail = t->ep_prev;
    t->ep_next = t->ep_prev = NULL;
}

#endif
