/* Notifications: a word of signal bits. Signal ORs the badge in and wakes
 * one waiter; Wait returns and clears the bits, or blocks. A notification
 * bound to a TCB also wakes that thread while it waits on an endpoint. */
#include "kernel.h"
#include "sched.h"
#include "util.h"

static void deliver(struct tcb *t, word_t bits)
{
    t->ctx.x[0] = bits;
    t->ctx.x[1] = 0;
    sched_make_runnable(t);
}

void notification_signal(struct notification *n, word_t badge)
{
    struct tcb *waiter = n->queue.head;
    if (waiter) {
        queue_remove(&n->queue, waiter);
        waiter->blocked_on = NULL;
        deliver(waiter, n->word | badge);
        n->word = 0;
        return;
    }
    struct tcb *bound = n->bound;
    if (bound && bound->state == THREAD_BLOCKED_RECV) {
        ipc_cancel(bound);
        deliver(bound, n->word | badge);
        n->word = 0;
        return;
    }
    n->word |= badge;
}

void notification_wait(struct tcb *t, struct notification *n, bool blocking)
{
    if (n->word || !blocking) {
        t->ctx.x[0] = n->word;
        t->ctx.x[1] = 0;
        n->word = 0;
        return;
    }
    sched_block(t, THREAD_BLOCKED_NTFN);
    t->blocked_on = n;
    queue_append(&n->queue, t);
}

void notification_cancel_all(struct notification *n)
{
    struct tcb *t;
    while ((t = n->queue.head)) {
        queue_remove(&n->queue, t);
        t->blocked_on = NULL;
        thread_restart_syscall(t);
        sched_make_runnable(t);
    }
}

void notification_unbind(struct notification *n)
{
    if (n->bound) {
        n->bound->bound_ntfn = NULL;
        n->bound = NULL;
    }
}
