/* A lock whose waiters sleep: see icecap/lock.h.
 *
 * Why no wake-up is lost: a taker that fails sets its bit in 'waiting' and
 * then tries the lock again before it sleeps; a releaser frees the lock
 * and then reads 'waiting'. Each side orders its store before its load, so
 * either the taker's second try sees the lock free, or the releaser sees
 * the bit and signals. A signal that comes before its thread sleeps stays
 * in the notification, and the wait returns at once. A woken thread that
 * loses the lock again to a third sleeps again with its bit still set, and
 * that third's release wakes a waiter in turn. */
#include <icecap/env.h>
#include <icecap/lock.h>

void ic_lock_init(struct ic_lock *l, unsigned threads)
{
    if (threads == 0 || threads > IC_LOCK_MAX_THREADS)
        ic_die("making a lock (1 to 32 threads)", IC_INVALID_ARGUMENT);
    *l = (struct ic_lock){ .threads = threads };
    for (unsigned k = 0; k < threads; k++) {
        /* signalled through a badged capability: a signal with badge 0
         * that comes before its thread waits would leave no trace */
        ic_cptr_t ntfn = ic_make(IC_OBJ_NOTIFICATION, 0);
        l->wake[k] = ic_slot();
        ic_check(ic_cnode_mint(IC_SLOT_ROOT_CNODE, l->wake[k], 64, ntfn, 64, IC_RIGHTS_ALL, 1, IC_SLOT_ROOT_CNODE),
                 "badging a lock's notification");
    }
}

static bool try_take(struct ic_lock *l, unsigned me)
{
    uint32_t free = 0;
    return __atomic_compare_exchange_n(&l->holder, &free, me + 1, false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
}

void ic_lock_take(struct ic_lock *l, unsigned me)
{
    if (try_take(l, me))
        return;
    uint32_t bit = 1u << me;
    for (;;) {
        __atomic_fetch_or(&l->waiting, bit, __ATOMIC_SEQ_CST);
        if (try_take(l, me))
            break;
        ic_wait(l->wake[me], NULL);
    }
    __atomic_fetch_and(&l->waiting, ~bit, __ATOMIC_SEQ_CST);
}

void ic_lock_release(struct ic_lock *l, unsigned me)
{
    __atomic_store_n(&l->holder, 0, __ATOMIC_SEQ_CST);
    /* A full barrier between the store and the load, although Armv8 keeps
     * a store-release and a later load-acquire in order: QEMU's TCG does
     * not (on an x86 host the load may pass the store), and a taker that
     * set its bit meanwhile would then sleep with nobody to wake it. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    uint32_t waiting = __atomic_load_n(&l->waiting, __ATOMIC_SEQ_CST);
    if (!waiting)
        return;
    /* the next waiter after the releaser, so that none waits for ever
     * behind two that keep taking it in turn */
    uint32_t after = me + 1 < 32 ? waiting >> (me + 1) << (me + 1) : 0;
    unsigned next = (unsigned)__builtin_ctz(after ? after : waiting);
    ic_signal(l->wake[next]);
}
