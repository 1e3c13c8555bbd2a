/* Ready queues and the choice of the next thread.
 *
 * The queue and bitmap functions at the top are pure logic (also built into
 * the host unit tests); the rest decides what runs when leaving the kernel. */
#include "sched.h"
#include "arch.h"
#include "util.h"

void sched_ready_insert(struct cpu *c, struct tcb *t, bool at_head)
{
    kassert(!t->in_ready_queue);
    struct thread_queue *q = &c->ready[t->priority];
    if (at_head) {
        t->sched_prev = NULL;
        t->sched_next = q->head;
        if (q->head)
            q->head->sched_prev = t;
        else
            q->tail = t;
        q->head = t;
    } else {
        t->sched_next = NULL;
        t->sched_prev = q->tail;
        if (q->tail)
            q->tail->sched_next = t;
        else
            q->head = t;
        q->tail = t;
    }
    c->ready_bitmap[t->priority / 64] |= BIT(t->priority % 64);
    c->ready_summary |= BIT(t->priority / 64);
    t->in_ready_queue = 1;
}

void sched_ready_remove(struct cpu *c, struct tcb *t)
{
    kassert(t->in_ready_queue);
    struct thread_queue *q = &c->ready[t->priority];
    if (t->sched_prev)
        t->sched_prev->sched_next = t->sched_next;
    else
        q->head = t->sched_next;
    if (t->sched_next)
        t->sched_next->sched_prev = t->sched_prev;
    else
        q->tail = t->sched_prev;
    t->sched_next = t->sched_prev = NULL;
    if (!q->head) {
        c->ready_bitmap[t->priority / 64] &= ~BIT(t->priority % 64);
        if (!c->ready_bitmap[t->priority / 64])
            c->ready_summary &= ~BIT(t->priority / 64);
    }
    t->in_ready_queue = 0;
}

struct tcb *sched_ready_highest(struct cpu *c)
{
    int p = sched_highest_priority(c);
    return p < 0 ? NULL : c->ready[p].head;
}

#ifndef HOST_TEST
#include "plat.h"
#include "smp.h"
#include "vcpu.h"

/* A thread became runnable: queue it on its CPU unless it is running. */
void sched_make_runnable(struct tcb *t)
{
    t->state = THREAD_RUNNABLE;
    if (t->on_cpu || t->in_ready_queue)
        return;
    sched_ready_insert(&cpus[t->affinity], t, false);
    if (t->affinity != this_cpu()->id)
        plat_irq_send_sgi(t->affinity, SGI_RESCHEDULE);
}

void sched_block(struct tcb *t, enum thread_state state)
{
    t->state = state;
    if (t->in_ready_queue)
        sched_ready_remove(&cpus[t->affinity], t);
}

/* Take a thread off every CPU and queue, e.g. before it is destroyed. */
void sched_stop(struct tcb *t)
{
    smp_stall_thread(t);
    if (t->in_ready_queue)
        sched_ready_remove(&cpus[t->affinity], t);
    struct cpu *c = this_cpu();
    if (c->current == t) {
        t->on_cpu = 0;
        c->current = NULL;
    }
}

void sched_tick(void)
{
    struct tcb *t = this_cpu()->current;
    if (t && --t->timeslice == 0) {
        t->timeslice = TIMESLICE_TICKS;
        this_cpu()->reschedule = true;
    }
}

void sched_yield(void)
{
    struct tcb *t = this_cpu()->current;
    t->timeslice = TIMESLICE_TICKS;
    this_cpu()->reschedule = true;
}

/* The time-slice tick runs only while another thread of the running
 * thread's priority is ready on this CPU. A lone thread or an idle CPU has
 * nobody to share time with (higher priorities preempt when they wake),
 * and every tick is an interrupt: it would wake an idle CPU, or a guest
 * waiting for its own timer, a thousand times a second. */
void sched_tick_update(struct cpu *c, bool needed)
{
    if (c->tick_armed == needed)
        return; /* an armed tick that fires re-arms itself (trap.c) */
    if (needed)
        arch_timer_arm(arch_timer_frequency() / TICK_HZ);
    else
        arch_timer_stop();
    c->tick_armed = needed;
}

/* Decide what runs next on this CPU and leave the kernel. */
void sched_exit_to_user(void)
{
    struct cpu *c = this_cpu();
    struct tcb *cur = c->current;
    for (;;) {
        if (cur && cur->state == THREAD_RUNNABLE && cur->affinity == c->id) {
            int best = sched_highest_priority(c);
            if (!c->reschedule && best <= (int)cur->priority)
                break;
            /* preempted by a higher priority keeps its place; a used-up
             * time slice or a yield goes to the back */
            cur->on_cpu = 0;
            c->current = NULL;
            sched_ready_insert(c, cur, !c->reschedule);
        } else if (cur) {
            cur->on_cpu = 0;
            c->current = NULL;
            if (cur->state == THREAD_RUNNABLE)
                sched_make_runnable(cur); /* it moved to another CPU */
        }
        c->reschedule = false;
        cur = sched_ready_highest(c);
        if (cur) {
            sched_ready_remove(c, cur);
            break;
        }
        vcpu_unload(c); /* nothing of a guest stays on an idle CPU */
        arch_idle_loop(); /* comes back here only through a new entry */
    }
    c->reschedule = false;
    cur->on_cpu = (uint8_t)(c->id + 1);
    bool peers = c->ready_summary && c->ready[cur->priority].head;
    if (__builtin_expect(peers != c->tick_armed, 0))
        sched_tick_update(c, peers);
    arch_switch_to(cur);
    /* (a guest's accesses trap whatever PMUSERENR_EL0 says: MDCR_EL2.TPM) */
    if (__builtin_expect(cur->pmu_access != c->pmu_open, 0) && !cur->vcpu)
        arch_pmu_open(c, cur->pmu_access);
    vcpu_switch(c, cur);
    vspace_activate(cur);
    smp_unlock();
    arch_return_to_user(&cur->ctx);
}
#endif
