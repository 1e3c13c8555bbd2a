/* Scheduling: fixed priorities, round robin within a priority, one ready
 * queue per CPU. The running thread is not in any queue. */
#ifndef KERNEL_SCHED_H
#define KERNEL_SCHED_H

#include "object.h"
#include "arch.h"

#define TIMESLICE_TICKS 5      /* timer ticks per time slice */
#define TICK_HZ 1000           /* timer interrupts per second */

void sched_ready_insert(struct cpu *c, struct tcb *t, bool at_head);
void sched_ready_remove(struct cpu *c, struct tcb *t);
struct tcb *sched_ready_highest(struct cpu *c);

/* The highest priority with a ready thread, or -1. */
static inline int sched_highest_priority(const struct cpu *c)
{
    if (!c->ready_summary)
        return -1;
    int word = 63 - __builtin_clzll(c->ready_summary);
    return word * 64 + 63 - __builtin_clzll(c->ready_bitmap[word]);
}

void sched_make_runnable(struct tcb *t);
void sched_block(struct tcb *t, enum thread_state state);
void sched_stop(struct tcb *t);
void sched_tick(void);
void sched_tick_update(struct cpu *c, bool needed);
void sched_yield(void);
NORETURN void sched_exit_to_user(void);

#endif
