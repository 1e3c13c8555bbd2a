/* Ready queues and thread queues (the pure part of kernel/core/sched.c). */
#include <string.h>
#include "harness.h"
#include "sched.h"
#include "arch.h"

static struct cpu cpu;
static struct tcb t[8];

static void reset(void)
{
    memset(&cpu, 0, sizeof(cpu));
    memset(t, 0, sizeof(t));
}

/* Are the ready queue of priority p and its bitmap bit exactly these threads? */
static int ready_is(unsigned p, struct tcb **want, int n)
{
    struct thread_queue *q = &cpu.ready[p];
    struct tcb *prev = NULL, *cur = q->head;
    for (int i = 0; i < n; i++, prev = cur, cur = cur->sched_next) {
        if (cur != want[i] || cur->sched_prev != prev || !cur->in_ready_queue || cur->priority != p)
            return 0;
    }
    int bit = !!(cpu.ready_bitmap[p / 64] & BIT(p % 64));
    return cur == NULL && q->tail == prev && bit == (n > 0);
}
#define READY_IS(p, ...) ready_is(p, (struct tcb *[]){ __VA_ARGS__ }, \
                                  (int)(sizeof((struct tcb *[]){ __VA_ARGS__ }) / sizeof(struct tcb *)))
#define READY_EMPTY(p) ready_is(p, NULL, 0)

static struct tcb *thread(int i, uint8_t prio)
{
    t[i].priority = prio;
    return &t[i];
}

TEST(empty)
{
    reset();
    CHECK_EQ(sched_highest_priority(&cpu), -1);
    CHECK(sched_ready_highest(&cpu) == NULL);
    for (unsigned p = 0; p < IC_NUM_PRIORITIES; p++)
        CHECK(READY_EMPTY(p));
}

TEST(insert_and_remove_one)
{
    reset();
    struct tcb *a = thread(0, 17);
    sched_ready_insert(&cpu, a, false);
    CHECK(READY_IS(17, a));
    CHECK_EQ(cpu.ready_bitmap[0], BIT(17));
    CHECK_EQ(sched_highest_priority(&cpu), 17);
    CHECK(sched_ready_highest(&cpu) == a);
    sched_ready_remove(&cpu, a);
    CHECK(READY_EMPTY(17));
    CHECK(!a->in_ready_queue && !a->sched_next && !a->sched_prev);
    CHECK_EQ(cpu.ready_bitmap[0], 0);
    CHECK_EQ(sched_highest_priority(&cpu), -1);
}

TEST(tail_insertion_is_fifo)
{
    reset();
    struct tcb *a = thread(0, 100), *b = thread(1, 100), *c = thread(2, 100);
    sched_ready_insert(&cpu, a, false);
    sched_ready_insert(&cpu, b, false);
    sched_ready_insert(&cpu, c, false);
    CHECK(READY_IS(100, a, b, c));
    CHECK(sched_ready_highest(&cpu) == a);
}

TEST(head_insertion_goes_first)
{
    reset();
    struct tcb *a = thread(0, 9), *b = thread(1, 9), *c = thread(2, 9);
    sched_ready_insert(&cpu, a, true); /* into an empty queue */
    CHECK(READY_IS(9, a));
    sched_ready_insert(&cpu, b, false);
    sched_ready_insert(&cpu, c, true); /* a preempted thread keeps its place */
    CHECK(READY_IS(9, c, a, b));
    CHECK(sched_ready_highest(&cpu) == c);
}

TEST(bitmap_spans_all_words)
{
    reset();
    const uint8_t prios[] = { 64, 0, 255, 63, 200 };
    for (int i = 0; i < 5; i++)
        sched_ready_insert(&cpu, thread(i, prios[i]), false);
    CHECK_EQ(cpu.ready_bitmap[0], BIT(0) | BIT(63));
    CHECK_EQ(cpu.ready_bitmap[1], BIT(0));
    CHECK_EQ(cpu.ready_bitmap[2], 0);
    CHECK_EQ(cpu.ready_bitmap[3], BIT(200 - 192) | BIT(63));
    /* take the highest away one by one */
    const int order[] = { 255, 200, 64, 63, 0 };
    for (int i = 0; i < 5; i++) {
        CHECK_EQ(sched_highest_priority(&cpu), order[i]);
        struct tcb *h = sched_ready_highest(&cpu);
        CHECK(h != NULL);
        CHECK_EQ(h->priority, order[i]);
        sched_ready_remove(&cpu, h);
    }
    CHECK_EQ(sched_highest_priority(&cpu), -1);
    for (int i = 0; i < 4; i++)
        CHECK_EQ(cpu.ready_bitmap[i], 0);
}

TEST(each_priority_alone)
{
    reset();
    for (unsigned p = 0; p < IC_NUM_PRIORITIES; p++) {
        struct tcb *a = thread(0, (uint8_t)p);
        sched_ready_insert(&cpu, a, p & 1);
        CHECK_EQ(sched_highest_priority(&cpu), p);
        CHECK(sched_ready_highest(&cpu) == a);
        sched_ready_remove(&cpu, a);
        CHECK_EQ(sched_highest_priority(&cpu), -1);
    }
}

TEST(round_robin)
{
    reset();
    struct tcb *a = thread(0, 50), *b = thread(1, 50), *c = thread(2, 50);
    sched_ready_insert(&cpu, a, false);
    sched_ready_insert(&cpu, b, false);
    sched_ready_insert(&cpu, c, false);
    struct tcb *expect[] = { a, b, c, a, b, c, a };
    for (unsigned i = 0; i < ARRAY_SIZE(expect); i++) {
        struct tcb *run = sched_ready_highest(&cpu); /* it runs, its time slice ends */
        CHECK(run == expect[i]);
        sched_ready_remove(&cpu, run);
        sched_ready_insert(&cpu, run, false);
    }
    CHECK(READY_IS(50, b, c, a));
}

TEST(remove_middle_and_last)
{
    reset();
    struct tcb *a = thread(0, 7), *b = thread(1, 7), *c = thread(2, 7), *d = thread(3, 3);
    sched_ready_insert(&cpu, a, false);
    sched_ready_insert(&cpu, b, false);
    sched_ready_insert(&cpu, c, false);
    sched_ready_insert(&cpu, d, false);
    sched_ready_remove(&cpu, b);
    CHECK(READY_IS(7, a, c));
    sched_ready_remove(&cpu, c);
    CHECK(READY_IS(7, a));
    sched_ready_insert(&cpu, b, false);
    sched_ready_remove(&cpu, a); /* first */
    CHECK(READY_IS(7, b));
    sched_ready_remove(&cpu, b);
    CHECK(READY_EMPTY(7));
    CHECK(READY_IS(3, d)); /* same bitmap word, other bit untouched */
    CHECK_EQ(cpu.ready_bitmap[0], BIT(3));
    CHECK_EQ(sched_highest_priority(&cpu), 3);
}

TEST(queue_misuse_panics)
{
    reset();
    struct tcb *a = thread(0, 1);
    CHECK_PANICS(sched_ready_remove(&cpu, a));
    sched_ready_insert(&cpu, a, false);
    CHECK_PANICS(sched_ready_insert(&cpu, a, true));
    CHECK(READY_IS(1, a));
}

/* Is the thread queue exactly these threads? */
static int queue_is(struct thread_queue *q, struct tcb **want, int n)
{
    struct tcb *prev = NULL, *cur = q->head;
    for (int i = 0; i < n; i++, prev = cur, cur = cur->ep_next)
        if (cur != want[i] || cur->ep_prev != prev)
            return 0;
    return cur == NULL && q->tail == prev;
}
#define QUEUE_IS(q, ...) queue_is(q, (struct tcb *[]){ __VA_ARGS__ }, \
                                  (int)(sizeof((struct tcb *[]){ __VA_ARGS__ }) / sizeof(struct tcb *)))

TEST(thread_queue_fifo)
{
    reset();
    struct thread_queue q = { 0 };
    CHECK(queue_is(&q, NULL, 0));
    queue_append(&q, &t[0]);
    CHECK(QUEUE_IS(&q, &t[0]));
    queue_append(&q, &t[1]);
    queue_append(&q, &t[2]);
    queue_append(&q, &t[3]);
    CHECK(QUEUE_IS(&q, &t[0], &t[1], &t[2], &t[3]));
    queue_remove(&q, &t[2]); /* middle */
    CHECK(QUEUE_IS(&q, &t[0], &t[1], &t[3]));
    CHECK(!t[2].ep_next && !t[2].ep_prev);
    queue_remove(&q, &t[3]); /* last */
    CHECK(QUEUE_IS(&q, &t[0], &t[1]));
    queue_remove(&q, &t[0]); /* first */
    CHECK(QUEUE_IS(&q, &t[1]));
    queue_append(&q, &t[3]);
    CHECK(QUEUE_IS(&q, &t[1], &t[3]));
    queue_remove(&q, &t[1]);
    queue_remove(&q, &t[3]);
    CHECK(queue_is(&q, NULL, 0));
    CHECK(!t[3].ep_next && !t[3].ep_prev);
}

TEST(thread_queue_reuse_after_remove)
{
    /* a thread removed from one queue can join another: stale links are reset */
    reset();
    struct thread_queue q1 = { 0 }, q2 = { 0 };
    queue_append(&q1, &t[0]);
    queue_append(&q1, &t[1]);
    queue_remove(&q1, &t[0]);
    queue_append(&q2, &t[0]);
    queue_append(&q2, &t[2]);
    CHECK(QUEUE_IS(&q1, &t[1]));
    CHECK(QUEUE_IS(&q2, &t[0], &t[2]));
}

TEST(ready_and_thread_queues_are_independent)
{
    reset();
    struct thread_queue q = { 0 };
    struct tcb *a = thread(0, 20), *b = thread(1, 20);
    sched_ready_insert(&cpu, a, false);
    sched_ready_insert(&cpu, b, false);
    queue_append(&q, b);
    queue_append(&q, a);
    CHECK(READY_IS(20, a, b));
    CHECK(QUEUE_IS(&q, b, a));
    queue_remove(&q, b);
    CHECK(READY_IS(20, a, b));
    sched_ready_remove(&cpu, a);
    CHECK(QUEUE_IS(&q, a));
}
