/* A lock between the threads of one component that never spins on another
 * CPU: a thread that finds it taken sleeps in the kernel, on a notification
 * of its own, until a holder's release wakes it. Spinning would be cheap on
 * hardware, but under an emulator whose CPUs are host threads the holder
 * may be a thread the host has not scheduled, and a spinning waiter would
 * burn the host's time until it is (docs/kernel.md, "Waiting").
 *
 * The threads that use a lock are numbered 0 .. threads - 1 by its user,
 * and each passes its number. Taking a free lock is one compare-and-swap;
 * releasing it is a store and a load, plus a signal when somebody sleeps.
 * Not recursive; the holder's number is only checked by the taker's own
 * compare-and-swap. */
#ifndef ICECAP_LOCK_H
#define ICECAP_LOCK_H

#include <icecap/icecap.h>

#define IC_LOCK_MAX_THREADS 32u

struct ic_lock {
    uint32_t holder;   /* 0: free; else the holder's number + 1 */
    uint32_t waiting;  /* a bit a thread that sleeps, or is about to */
    unsigned threads;
    ic_cptr_t wake[IC_LOCK_MAX_THREADS]; /* thread k sleeps on wake[k] (badged: a signal stays) */
};

/* Makes a notification for each of 'threads' threads (at most
 * IC_LOCK_MAX_THREADS) from the component's memory (icecap/env.h). */
void ic_lock_init(struct ic_lock *l, unsigned threads);
void ic_lock_take(struct ic_lock *l, unsigned me);
void ic_lock_release(struct ic_lock *l, unsigned me);

#endif
