/* Boot information and the initial capabilities. */
#include "test.h"

TEST(bootinfo_is_sane)
{
    CHECK_EQ(bootinfo->magic, IC_BOOTINFO_MAGIC);
    CHECK(bootinfo->num_cpus >= 1);
    CHECK(bootinfo->untyped.end > bootinfo->untyped.start);
    CHECK(bootinfo->empty.start < bootinfo->empty.end);
    CHECK_EQ(bootinfo->empty.end, 1u << IC_ROOT_CNODE_BITS);
}

TEST(untyped_retype_endpoint)
{
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    CHECK(ep != 0);
}

static void signal_it(ic_word_t ntfn, ic_word_t unused)
{
    (void)unused;
    ic_signal(ntfn);
}

TEST(thread_runs_and_signals)
{
    ic_cptr_t ntfn = alloc_object(IC_OBJ_NOTIFICATION, 0);
    CHECK(ntfn);
    struct thread t;
    CHECK(thread_start(&t, signal_it, ntfn, 0, 100, 0));
    ic_word_t badge = 0;
    ic_wait(ntfn, &badge);
    CHECK_EQ(badge, 0);
}

TEST(generic_counter_readable_and_monotonic)
{
    uint64_t a, b;
    __asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(a));
    for (volatile int i = 0; i < 1000; i++)
        ;
    __asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(b));
    CHECK(b > a);
    CHECK(bootinfo->timer_frequency > 0);
}
