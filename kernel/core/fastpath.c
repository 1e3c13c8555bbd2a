/* The IPC fast path: Call and ReplyRecv with at most four message registers
 * and no capabilities, when the thread on the other side is waiting and may
 * run at once on this CPU. It does what the full path would do, in fewer
 * steps, and switches straight to the other thread; when any condition does
 * not hold it returns false and the full path runs instead. */
#include "kernel.h"
#include "arch.h"
#include "cnode.h"
#include "sched.h"
#include "smp.h"
#include <icecap/msginfo.h>
#include <icecap/syscalls.h>

/* length <= 4, no extra capabilities */
#define FAST_INFO_MASK 0x3ffull
#define FAST_MAX_LENGTH IC_MSG_REGISTERS_IN_CPU
#define INFO_CAP_FIELDS (0x7full << IC_MSGINFO_CAPS_SHIFT)

static inline bool may_run_now(struct cpu *c, struct tcb *next)
{
    return next->affinity == c->id && (int)next->priority >= sched_highest_priority(c);
}

static inline __attribute__((always_inline)) NORETURN void switch_to(struct cpu *c, struct tcb *from, struct tcb *to)
{
    from->on_cpu = 0;
    to->state = THREAD_RUNNABLE;
    to->on_cpu = (uint8_t)(c->id + 1);
    c->current = to;
    c->reschedule = false;
    vspace_activate(to);
    smp_unlock();
    arch_return_to_user(&to->ctx);
}

static inline void copy_message(struct tcb *from, struct tcb *to, word_t badge, word_t info)
{
    to->ctx.x[0] = badge;
    to->ctx.x[1] = info & ~INFO_CAP_FIELDS;
    to->ctx.x[2] = from->ctx.x[2];
    to->ctx.x[3] = from->ctx.x[3];
    to->ctx.x[4] = from->ctx.x[4];
    to->ctx.x[5] = from->ctx.x[5];
}

static inline __attribute__((always_inline)) bool fastpath_call(struct cpu *c, struct tcb *t)
{
    word_t info = t->ctx.x[1];
    struct cte *slot;
    if ((info & FAST_INFO_MASK) > FAST_MAX_LENGTH)
        return false;
    if (cnode_lookup_cap_fast(&t->slots[TCB_SLOT_CSPACE].cap, t->ctx.x[0], &slot))
        return false;
    struct cap *cap = &slot->cap;
    if (cap->type != CAP_ENDPOINT || !(cap->rights & IC_RIGHT_WRITE))
        return false;
    struct endpoint *ep = cap_endpoint(cap);
    struct tcb *r = ep->queue.head;
    if (!r || r->state != THREAD_BLOCKED_RECV || !may_run_now(c, r))
        return false;

    queue_remove(&ep->queue, r);
    r->blocked_on = NULL;
    copy_message(t, r, cap->a, info);
    t->state = THREAD_BLOCKED_REPLY;
    t->callee = r;
    r->caller = t;
    switch_to(c, t, r);
}

static inline __attribute__((always_inline)) bool fastpath_reply_recv(struct cpu *c, struct tcb *t)
{
    word_t info = t->ctx.x[1];
    struct tcb *caller = t->caller;
    struct cte *slot;
    if ((info & FAST_INFO_MASK) > FAST_MAX_LENGTH || !caller || !may_run_now(c, caller))
        return false;
    if (caller->pending_fault && ic_msginfo_label(info) != 0)
        return false;
    if (cnode_lookup_cap_fast(&t->slots[TCB_SLOT_CSPACE].cap, t->ctx.x[0], &slot))
        return false;
    struct cap *cap = &slot->cap;
    if (cap->type != CAP_ENDPOINT || !(cap->rights & IC_RIGHT_READ))
        return false;
    struct endpoint *ep = cap_endpoint(cap);
    if ((ep->queue.head && ep->queue.head->state == THREAD_BLOCKED_SEND) || (t->bound_ntfn && t->bound_ntfn->word))
        return false;

    t->caller = NULL;
    caller->callee = NULL;
    if (caller->pending_fault)
        caller->pending_fault = 0; /* a fault reply only resumes */
    else
        copy_message(t, caller, 0, info);
    t->state = THREAD_BLOCKED_RECV;
    t->blocked_on = ep;
    queue_append(&ep->queue, t);
    switch_to(c, t, caller);
}

bool fastpath_syscall(struct cpu *c, struct tcb *t)
{
    switch (t->ctx.x[7]) {
    case IC_SYS_CALL: return fastpath_call(c, t);
    case IC_SYS_REPLY_RECV: return fastpath_reply_recv(c, t);
    default: return false;
    }
}
