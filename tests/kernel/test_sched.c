/* The scheduler: strict priorities, FIFO within a priority, yield, round
 * robin with timer preemption, and wake-ups across CPUs.
 *
 * Some tests lower the root's priority for a moment; they always raise it
 * back to 255 (its maximum) before checking anything, since every other
 * test relies on the root running above its threads. */
#include "test.h"

#define ROOT_PRIO 255

static volatile ic_word_t s_log[16];
static volatile ic_word_t s_count;
static volatile ic_word_t s_counter[3];
static volatile ic_word_t s_switches[3];
static volatile ic_word_t s_last;

static void reset_shared(void)
{
    for (unsigned i = 0; i < 16; i++)
        s_log[i] = 0;
    for (unsigned i = 0; i < 3; i++)
        s_counter[i] = s_switches[i] = 0;
    s_count = 0;
    s_last = ~(ic_word_t)0;
}

static ic_err_t set_root_priority(ic_word_t prio)
{
    return ic_tcb_set_priority(ROOT_TCB, prio, ROOT_TCB);
}

/* Appends arg0 to the log. */
static void log_id(ic_word_t id, ic_word_t unused)
{
    (void)unused;
    s_log[s_count++] = id;
}

/* Counts in s_counter[id] forever; counts in s_switches[id] each time it
 * finds that another counting thread ran since its last step. */
static void count_forever(ic_word_t id, ic_word_t unused)
{
    (void)unused;
    for (;;) {
        if (s_last != id) {
            s_last = id;
            s_switches[id]++;
        }
        s_counter[id]++;
    }
}

TEST(sched_lower_priority_thread_waits_for_root)
{
    reset_shared();
    struct thread t;
    CHECK(thread_start(&t, log_id, 7, 0, 254, 0));
    /* the root keeps the CPU, even when it yields */
    for (int i = 0; i < 3; i++)
        ic_yield();
    CHECK_EQ(s_count, 0);
    CHECK(let_threads_run());
    CHECK_EQ(s_count, 1);
    CHECK_EQ(s_log[0], 7);
}

TEST(sched_higher_priority_thread_runs_first)
{
    reset_shared();
    struct thread t;
    CHECK(thread_start(&t, log_id, 1, 0, 200, 0));
    CHECK_EQ(s_count, 0);
    /* below the thread now: it runs before this call returns */
    ic_err_t e1 = set_root_priority(100);
    ic_word_t seen = s_count;
    ic_err_t e2 = set_root_priority(ROOT_PRIO);
    CHECK_OK(e1);
    CHECK_OK(e2);
    CHECK_EQ(seen, 1);
    CHECK_EQ(s_log[0], 1);
}

TEST(sched_raising_a_thread_above_the_root_preempts_it)
{
    reset_shared();
    struct thread t;
    CHECK(thread_start(&t, log_id, 3, 0, 50, 0));
    ic_err_t e1 = set_root_priority(100);
    ic_word_t before = s_count;
    ic_err_t e2 = ic_tcb_set_priority(t.tcb, 150, ROOT_TCB); /* now above the root */
    ic_word_t after = s_count;
    ic_err_t e3 = set_root_priority(ROOT_PRIO);
    CHECK_OK(e1);
    CHECK_OK(e2);
    CHECK_OK(e3);
    CHECK_EQ(before, 0);
    CHECK_EQ(after, 1);
}

TEST(sched_ready_threads_run_by_priority)
{
    reset_shared();
    struct thread t[4];
    const unsigned prio[4] = { 10, 30, 20, 40 };
    for (unsigned i = 0; i < 4; i++)
        CHECK(thread_start(&t[i], log_id, prio[i], 0, prio[i], 0));
    CHECK(let_threads_run());
    CHECK_EQ(s_count, 4);
    CHECK_EQ(s_log[0], 40);
    CHECK_EQ(s_log[1], 30);
    CHECK_EQ(s_log[2], 20);
    CHECK_EQ(s_log[3], 10);
}

TEST(sched_set_priority_requeues_ready_thread)
{
    reset_shared();
    struct thread t[3];
    for (unsigned i = 0; i < 3; i++)
        CHECK(thread_start(&t[i], log_id, i, 0, 20 + 10 * i, 0));
    /* 0 (at 20) moves to the top, 2 (at 40) to the bottom */
    CHECK_OK(ic_tcb_set_priority(t[0].tcb, 50, ROOT_TCB));
    CHECK_OK(ic_tcb_set_priority(t[2].tcb, 10, ROOT_TCB));
    CHECK(let_threads_run());
    CHECK_EQ(s_count, 3);
    CHECK_EQ(s_log[0], 0);
    CHECK_EQ(s_log[1], 1);
    CHECK_EQ(s_log[2], 2);
}

TEST(sched_fifo_within_a_priority)
{
    reset_shared();
    struct thread t[4];
    for (unsigned i = 0; i < 4; i++)
        CHECK(thread_start(&t[i], log_id, i, 0, 60, 0));
    CHECK(let_threads_run());
    CHECK_EQ(s_count, 4);
    for (unsigned i = 0; i < 4; i++)
        CHECK_EQ(s_log[i], i);
}

TEST(sched_yield_gives_cpu_to_equal_priority)
{
    reset_shared();
    struct thread t;
    CHECK(thread_start(&t, log_id, 9, 0, 120, 0));
    ic_err_t e1 = set_root_priority(120);
    ic_word_t before = s_count; /* an equal priority does not preempt */
    ic_yield();
    ic_word_t after = s_count;
    ic_err_t e2 = set_root_priority(ROOT_PRIO);
    CHECK_OK(e1);
    CHECK_OK(e2);
    CHECK_EQ(before, 0);
    CHECK_EQ(after, 1);
    /* alone at its priority, a yield returns at once */
    ic_yield();
}

TEST(sched_round_robin_with_time_slices)
{
    reset_shared();
    struct thread a, b;
    /* two threads that never block or yield: only the timer can take the
     * CPU from them */
    CHECK(thread_start(&a, count_forever, 0, 0, 60, 0));
    CHECK(thread_start(&b, count_forever, 1, 0, 60, 0));
    ic_err_t e1 = set_root_priority(60);
    /* each yield puts the root behind both; it gets the CPU back when both
     * used up a time slice (5 ms each) */
    for (int i = 0; i < 3; i++)
        ic_yield();
    ic_err_t e2 = set_root_priority(ROOT_PRIO);
    CHECK_OK(e1);
    CHECK_OK(e2);
    CHECK_OK(ic_tcb_suspend(a.tcb));
    CHECK_OK(ic_tcb_suspend(b.tcb));
    CHECK(s_counter[0] > 0);
    CHECK(s_counter[1] > 0);
    /* they took turns: a, b, (root), a, b, (root), a, b */
    CHECK(s_switches[0] >= 2);
    CHECK(s_switches[1] >= 2);
}

TEST(sched_timer_preempts_thread_at_root_priority)
{
    reset_shared();
    struct thread t;
    CHECK(thread_start(&t, count_forever, 2, 0, ROOT_PRIO, 0));
    /* the thread loops forever at the root's priority: after this yield,
     * only the end of its time slice gives the root the CPU back */
    uint64_t t0 = now_ns();
    ic_yield();
    uint64_t dt = now_ns() - t0;
    ic_word_t c = s_counter[2];
    /* and again: round robin between the two */
    ic_yield();
    ic_word_t c2 = s_counter[2];
    CHECK_OK(ic_tcb_suspend(t.tcb));
    CHECK(c > 0);
    CHECK(c2 > c);
    /* a whole time slice (5 ticks of 1 ms, the first maybe partly gone) */
    CHECK(dt >= 3000000);
}

/* Waits on the notification in arg0, then logs the counter of thread 0. */
static void wait_then_log(ic_word_t n, ic_word_t done)
{
    ic_word_t bits;
    ic_wait(n, &bits);
    s_log[0] = 1;
    s_log[1] = s_counter[0];
    ic_signal(done);
}

/* On another CPU: waits until thread 0 counts, then signals arg0. */
static void signal_when_counting(ic_word_t n, ic_word_t unused)
{
    (void)unused;
    while (s_counter[0] == 0)
        ;
    ic_signal(n);
}

TEST(sched_busy_low_priority_thread_does_not_starve_high)
{
    if (bootinfo->num_cpus < 2)
        return;
    reset_shared();
    ic_cptr_t n = alloc_object(IC_OBJ_NOTIFICATION, 0);
    ic_cptr_t done = alloc_object(IC_OBJ_NOTIFICATION, 0);
    CHECK(n && done);
    struct thread high, low, sig;
    CHECK(thread_start(&high, wait_then_log, n, done, 100, 0));
    CHECK(thread_start(&low, count_forever, 0, 0, 10, 0));
    CHECK(thread_start_on(&sig, signal_when_counting, n, 0, 100, 0, 1));
    /* CPU 0: high waits, low spins; the signal comes from CPU 1 */
    ic_word_t bits;
    ic_wait(done, &bits);
    CHECK_OK(ic_tcb_suspend(low.tcb));
    CHECK_EQ(s_log[0], 1);
    CHECK(s_log[1] > 0); /* low was running when high woke */
}

/* Signals arg0, then logs that it went on. */
static void signal_then_log(ic_word_t n, ic_word_t unused)
{
    (void)unused;
    ic_signal(n);
    s_log[2] = 1;
}

/* Waits on arg0; logs whether the signaller already went on. */
static void wait_check_signaller(ic_word_t n, ic_word_t unused)
{
    (void)unused;
    ic_word_t bits;
    ic_wait(n, &bits);
    s_log[3] = 1;
    s_log[4] = s_log[2];
}

TEST(sched_wakeup_of_higher_priority_preempts_at_once)
{
    reset_shared();
    ic_cptr_t n = alloc_object(IC_OBJ_NOTIFICATION, 0);
    CHECK(n);
    struct thread high, low;
    CHECK(thread_start(&high, wait_check_signaller, n, 0, 100, 0));
    CHECK(let_threads_run()); /* high waits */
    CHECK(thread_start(&low, signal_then_log, n, 0, 50, 0));
    CHECK(let_threads_run());
    CHECK_EQ(s_log[3], 1);
    CHECK_EQ(s_log[2], 1);
    CHECK_EQ(s_log[4], 0); /* high ran before low went on */
}
