/* The user-level lock of lib/icecap (icecap/lock.h), as the VMM's threads
 * use it: the root task on CPU 0 and a thread on CPU 1 take it in turn as
 * fast as they can, each holding it for a moment, so that each often finds
 * it held, sleeps and must be woken by the other's release.
 *
 * A lost wake-up leaves a taker asleep with the lock free. Each side, once
 * done, looks for exactly that in the other (no progress for a while, the
 * lock free, the other's waiting bit set), wakes it itself so that the
 * suite goes on, and the test fails. */
#include "test.h"
#include <icecap/lock.h>

#define LOCK_ROUNDS 100000u
#define HOLD_NS 300u

static struct ic_lock lock;
static volatile ic_word_t inside, overlaps, rounds_done[2], rescued, other_done;

/* The generic counter: the cycle counter is the root's, on CPU 0. */
static uint64_t counter_ns(void)
{
    return ic_counter() * (1000000000 / ic_counter_frequency());
}

static void hold_a_moment(void)
{
    uint64_t end = counter_ns() + HOLD_NS;
    while (counter_ns() < end)
        ;
}

/* Whether *p moved within 'ms' milliseconds. */
static bool moves_within(volatile ic_word_t *p, unsigned ms)
{
    ic_word_t old = *p;
    uint64_t end = counter_ns() + (uint64_t)ms * 1000000;
    while (*p == old)
        if (counter_ns() > end)
            return *p != old;
    return true;
}

static void take_rounds(unsigned me)
{
    for (unsigned i = 0; i < LOCK_ROUNDS; i++) {
        ic_lock_take(&lock, me);
        if (inside++)
            overlaps++;
        hold_a_moment();
        inside--;
        ic_lock_release(&lock, me);
        rounds_done[me]++;
    }
}

/* Once done, side 'me' watches the other: if it makes no progress for the
 * suite's patience while the lock is free and it is marked waiting, its
 * wake-up was lost; wake it, so that the test ends, and count it. */
static void watch_the_other(unsigned me)
{
    unsigned other = 1 - me;
    while (rounds_done[other] != LOCK_ROUNDS) {
        if (moves_within(&rounds_done[other], TEST_PATIENCE_MS))
            continue;
        if (__atomic_load_n(&lock.holder, __ATOMIC_SEQ_CST) == 0 &&
            (__atomic_load_n(&lock.waiting, __ATOMIC_SEQ_CST) & (1u << other))) {
            rescued++;
            ic_signal(lock.wake[other]);
        }
    }
}

static void other_cpu(ic_word_t unused0, ic_word_t unused1)
{
    (void)unused0;
    (void)unused1;
    take_rounds(1);
    watch_the_other(1);
    other_done = 1;
}

TEST(user_lock_two_cpus_no_lost_wakeup)
{
    if (bootinfo->num_cpus < 2)
        return;
    inside = overlaps = rescued = other_done = rounds_done[0] = rounds_done[1] = 0;
    /* ic_lock_init allocates through lib/icecap's environment, which the
     * suite does not use: the same, from the test's own objects */
    lock = (struct ic_lock){ .threads = 2 };
    for (unsigned k = 0; k < 2; k++) {
        ic_cptr_t n = alloc_object(IC_OBJ_NOTIFICATION, 0);
        CHECK(n);
        lock.wake[k] = mint_copy(n, IC_RIGHTS_ALL, 1);
        CHECK(lock.wake[k]);
    }
    struct thread t;
    CHECK(thread_start_on(&t, other_cpu, 0, 0, 10, 0, 1));
    take_rounds(0);
    watch_the_other(0);
    CHECK(spin_until_equal(&other_done, 1, TEST_PATIENCE_MS));
    CHECK_EQ(rescued, 0);
    CHECK_EQ(overlaps, 0);
    CHECK_EQ(rounds_done[0], LOCK_ROUNDS);
    CHECK_EQ(rounds_done[1], LOCK_ROUNDS);
}
