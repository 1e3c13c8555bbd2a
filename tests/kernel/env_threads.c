/* Helpers for tests with several threads: waiting until lower-priority
 * threads are done, starting a thread on another CPU and bounded spinning. */
#include "test.h"

static void signal_once(ic_word_t ntfn, ic_word_t unused)
{
    (void)unused;
    ic_signal(ntfn);
}

bool let_threads_run(void)
{
    struct thread t;
    ic_cptr_t ntfn = alloc_object(IC_OBJ_NOTIFICATION, 0);
    if (!ntfn || !thread_start(&t, signal_once, ntfn, 0, 1, 0))
        return false;
    ic_word_t badge;
    ic_wait(ntfn, &badge);
    return true;
}

bool thread_start_on(struct thread *t, thread_fn fn, ic_word_t arg0, ic_word_t arg1, unsigned prio,
                     ic_cptr_t fault_ep, unsigned cpu)
{
    return thread_create(t, fn, arg0, arg1, prio, fault_ep) && ic_tcb_set_affinity(t->tcb, cpu) == IC_OK &&
           ic_tcb_resume(t->tcb) == IC_OK;
}

uint64_t now_ns(void)
{
    return ic_cycles();
}

bool spin_until_changed(volatile ic_word_t *p, ic_word_t old, unsigned ms)
{
    uint64_t end = now_ns() + (uint64_t)ms * 1000000;
    while (*p == old)
        if (now_ns() > end)
            return *p != old;
    return true;
}

bool spin_until_equal(volatile ic_word_t *p, ic_word_t want, unsigned ms)
{
    uint64_t end = now_ns() + (uint64_t)ms * 1000000;
    while (*p != want)
        if (now_ns() > end)
            return *p == want;
    return true;
}
