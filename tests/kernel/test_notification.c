/* Notifications: signal and wait, badge bits, poll, blocking waiters and
 * their order, binding to a TCB, and deletion with waiters. */
#include "test.h"

static volatile ic_word_t n_log[16];
static volatile ic_word_t n_count;

static void reset_shared(void)
{
    for (unsigned i = 0; i < 16; i++)
        n_log[i] = 0;
    n_count = 0;
}

TEST(ntfn_signal_then_wait)
{
    ic_cptr_t n = alloc_object(IC_OBJ_NOTIFICATION, 0);
    CHECK(n);
    ic_cptr_t b = mint_copy(n, IC_RIGHTS_ALL, 0x5);
    CHECK(b);
    ic_signal(b);
    ic_word_t bits = 0;
    ic_msginfo_t info = ic_wait(n, &bits); /* pending: does not block */
    CHECK_EQ(bits, 0x5);
    CHECK_EQ(info, 0);
    /* the wait cleared the word */
    ic_poll(n, &bits);
    CHECK_EQ(bits, 0);
}

TEST(ntfn_badges_or_together)
{
    ic_cptr_t n = alloc_object(IC_OBJ_NOTIFICATION, 0);
    CHECK(n);
    ic_cptr_t b1 = mint_copy(n, IC_RIGHTS_ALL, 0x1);
    ic_cptr_t b2 = mint_copy(n, IC_RIGHT_WRITE, 0x2);
    ic_cptr_t b3 = mint_copy(n, IC_RIGHTS_ALL, 0x8000000000000010ull);
    CHECK(b1 && b2 && b3);
    ic_signal(b1);
    ic_signal(b2);
    ic_signal(b3);
    ic_signal(b1); /* twice is the same as once */
    ic_signal(n);  /* an unbadged signal adds no bits */
    ic_word_t bits = 0;
    ic_wait(n, &bits);
    CHECK_EQ(bits, 0x8000000000000013ull);
    /* a waiter can hold a badged capability too; its own badge is not added */
    ic_signal(b2);
    ic_wait(b1, &bits);
    CHECK_EQ(bits, 0x2);
}

TEST(ntfn_poll_does_not_block)
{
    ic_cptr_t n = alloc_object(IC_OBJ_NOTIFICATION, 0);
    CHECK(n);
    ic_cptr_t b = mint_copy(n, IC_RIGHTS_ALL, 0x30);
    CHECK(b);
    ic_word_t bits = 0xdead;
    ic_msginfo_t info = ic_poll(n, &bits);
    CHECK_EQ(bits, 0);
    CHECK_EQ(info, 0);
    ic_signal(b);
    ic_poll(n, &bits);
    CHECK_EQ(bits, 0x30);
    bits = 0xdead;
    ic_poll(n, &bits);
    CHECK_EQ(bits, 0);
}

/* Sets n_log[0] = 1, then signals the capability in arg0. */
static void mark_and_signal(ic_word_t cap, ic_word_t unused)
{
    (void)unused;
    n_log[0] = 1;
    ic_signal(cap);
    n_log[1] = 1;
}

TEST(ntfn_wait_blocks_until_signal)
{
    reset_shared();
    ic_cptr_t n = alloc_object(IC_OBJ_NOTIFICATION, 0);
    CHECK(n);
    ic_cptr_t b = mint_copy(n, IC_RIGHTS_ALL, 0x99);
    CHECK(b);
    struct thread t;
    CHECK(thread_start(&t, mark_and_signal, b, 0, 10, 0));
    ic_word_t bits = 0;
    ic_wait(n, &bits); /* blocks: the thread runs only now */
    CHECK_EQ(n_log[0], 1);
    CHECK_EQ(bits, 0x99);
    /* the root (higher priority) ran as soon as it was woken */
    CHECK_EQ(n_log[1], 0);
    CHECK(let_threads_run());
    CHECK_EQ(n_log[1], 1);
}

TEST(ntfn_signal_from_other_cpu_wakes_waiter)
{
    if (bootinfo->num_cpus < 2)
        return;
    reset_shared();
    ic_cptr_t n = alloc_object(IC_OBJ_NOTIFICATION, 0);
    CHECK(n);
    ic_cptr_t b = mint_copy(n, IC_RIGHTS_ALL, 0x4);
    CHECK(b);
    for (unsigned i = 0; i < 5; i++) {
        struct thread t;
        n_log[0] = 0;
        CHECK(thread_start_on(&t, mark_and_signal, b, 0, 10, 0, 1));
        ic_word_t bits = 0;
        ic_wait(n, &bits);
        CHECK_EQ(n_log[0], 1);
        CHECK_EQ(bits, 0x4);
    }
}

/* Waits on the notification in arg0 and logs its id and the bits. */
static void wait_and_log(ic_word_t n, ic_word_t id)
{
    ic_word_t bits = 0;
    ic_wait(n, &bits);
    ic_word_t i = n_count++;
    n_log[i] = id << 32 | bits;
}

TEST(ntfn_waiters_woken_one_per_signal_in_order)
{
    reset_shared();
    ic_cptr_t n = alloc_object(IC_OBJ_NOTIFICATION, 0);
    CHECK(n);
    struct thread t[3];
    /* queued in this order, lowest priority first, so queue order differs
     * from priority order */
    for (unsigned i = 0; i < 3; i++) {
        CHECK(thread_start(&t[i], wait_and_log, n, i + 1, 20 + 10 * i, 0));
        CHECK(let_threads_run());
    }
    CHECK_EQ(n_count, 0);
    for (unsigned i = 0; i < 3; i++) {
        ic_cptr_t b = mint_copy(n, IC_RIGHTS_ALL, (ic_word_t)1 << i);
        CHECK(b);
        ic_signal(b);
        CHECK(let_threads_run());
        CHECK_EQ(n_count, i + 1);
        CHECK_EQ(n_log[i], (ic_word_t)(i + 1) << 32 | (ic_word_t)1 << i);
    }
    /* nobody waits now: the next signal stays pending */
    ic_cptr_t b = mint_copy(n, IC_RIGHTS_ALL, 0x100);
    CHECK(b);
    ic_signal(b);
    ic_word_t bits = 0;
    ic_poll(n, &bits);
    CHECK_EQ(bits, 0x100);
}

TEST(ntfn_wait_without_read_right_fails)
{
    ic_cptr_t n = alloc_object(IC_OBJ_NOTIFICATION, 0);
    CHECK(n);
    ic_cptr_t wo = copy_with_rights(n, IC_RIGHT_WRITE);
    CHECK(wo);
    /* would block forever if accepted */
    CHECK_EQ(syscall_x0(IC_SYS_RECV, wo, 0), IC_INVALID_CAPABILITY);
    CHECK_EQ(syscall_x0(IC_SYS_NB_RECV, wo, 0), IC_INVALID_CAPABILITY);
}

TEST(ntfn_signal_without_write_right_fails)
{
    ic_cptr_t n = alloc_object(IC_OBJ_NOTIFICATION, 0);
    CHECK(n);
    ic_cptr_t b = mint_copy(n, IC_RIGHT_READ, 0x3);
    CHECK(b);
    CHECK_EQ(syscall_x0(IC_SYS_SEND, b, 0), IC_INVALID_CAPABILITY);
    CHECK_EQ(syscall_x0(IC_SYS_NB_SEND, b, 0), IC_INVALID_CAPABILITY);
    ic_word_t bits = 0xdead;
    ic_poll(n, &bits);
    CHECK_EQ(bits, 0);
}

/* ------------------------------------------------------------ binding */

/* Receives on the endpoint in arg0; logs badge and message info. */
static void recv_and_log(ic_word_t ep, ic_word_t unused)
{
    (void)unused;
    ic_word_t badge = 0;
    ic_msginfo_t info = ic_recv(ep, &badge);
    n_log[0] = badge;
    n_log[1] = info;
    n_log[2] = 1;
}

TEST(ntfn_bound_signal_wakes_thread_in_recv)
{
    reset_shared();
    ic_cptr_t n = alloc_object(IC_OBJ_NOTIFICATION, 0);
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    CHECK(n && ep);
    ic_cptr_t b = mint_copy(n, IC_RIGHTS_ALL, 0x24);
    CHECK(b);
    struct thread t;
    CHECK(thread_create(&t, recv_and_log, ep, 0, 100, 0));
    CHECK_OK(ic_tcb_bind_notification(t.tcb, n));
    CHECK_OK(ic_tcb_resume(t.tcb));
    CHECK(let_threads_run()); /* it waits in recv on the endpoint */
    CHECK_EQ(n_log[2], 0);
    ic_signal(b);
    CHECK(let_threads_run());
    CHECK_EQ(n_log[2], 1);
    CHECK_EQ(n_log[0], 0x24);
    CHECK_EQ(n_log[1], 0);
    /* the bits were consumed (unbind first: only the bound thread may wait
     * on it), and the thread left the endpoint's queue: a message now finds
     * no receiver */
    CHECK_OK(ic_tcb_unbind_notification(t.tcb));
    ic_word_t bits = 0xdead;
    ic_poll(n, &bits);
    CHECK_EQ(bits, 0);
    ic_nb_send(ep, ic_msginfo_new(1, 0, 0, 0));
    CHECK_EQ(ic_nb_recv(ep, NULL), 0);
}

TEST(ntfn_bound_pending_bits_returned_by_recv)
{
    reset_shared();
    ic_cptr_t n = alloc_object(IC_OBJ_NOTIFICATION, 0);
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    CHECK(n && ep);
    ic_cptr_t b = mint_copy(n, IC_RIGHTS_ALL, 0x600);
    CHECK(b);
    struct thread t;
    CHECK(thread_create(&t, recv_and_log, ep, 0, 100, 0));
    CHECK_OK(ic_tcb_bind_notification(t.tcb, n));
    ic_signal(b); /* nobody waits: the bits stay pending */
    CHECK_OK(ic_tcb_resume(t.tcb));
    CHECK(let_threads_run());
    CHECK_EQ(n_log[2], 1);
    CHECK_EQ(n_log[0], 0x600);
    CHECK_EQ(n_log[1], 0);
}

TEST(ntfn_bound_thread_still_receives_messages)
{
    reset_shared();
    ic_cptr_t n = alloc_object(IC_OBJ_NOTIFICATION, 0);
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    CHECK(n && ep);
    ic_cptr_t eb = mint_copy(ep, IC_RIGHTS_ALL, 0x3);
    CHECK(eb);
    struct thread t;
    CHECK(thread_create(&t, recv_and_log, ep, 0, 100, 0));
    CHECK_OK(ic_tcb_bind_notification(t.tcb, n));
    CHECK_OK(ic_tcb_resume(t.tcb));
    ic_send(eb, ic_msginfo_new(0x12, 0, 0, 0));
    CHECK(let_threads_run());
    CHECK_EQ(n_log[2], 1);
    CHECK_EQ(n_log[0], 0x3);
    CHECK_EQ(ic_msginfo_label(n_log[1]), 0x12);
}

TEST(ntfn_bind_twice_fails)
{
    ic_cptr_t n1 = alloc_object(IC_OBJ_NOTIFICATION, 0);
    ic_cptr_t n2 = alloc_object(IC_OBJ_NOTIFICATION, 0);
    ic_cptr_t t1 = alloc_object(IC_OBJ_TCB, 0);
    ic_cptr_t t2 = alloc_object(IC_OBJ_TCB, 0);
    CHECK(n1 && n2 && t1 && t2);
    CHECK_OK(ic_tcb_bind_notification(t1, n1));
    /* the TCB already has one */
    CHECK_EQ(ic_tcb_bind_notification(t1, n2), IC_ILLEGAL_OPERATION);
    CHECK_EQ(ic_tcb_bind_notification(t1, n1), IC_ILLEGAL_OPERATION);
    /* the notification is already bound */
    CHECK_EQ(ic_tcb_bind_notification(t2, n1), IC_ILLEGAL_OPERATION);
    /* nothing changed: t2 and n2 are still free */
    CHECK_OK(ic_tcb_bind_notification(t2, n2));
}

TEST(ntfn_bind_errors)
{
    ic_cptr_t n = alloc_object(IC_OBJ_NOTIFICATION, 0);
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    ic_cptr_t tcb = alloc_object(IC_OBJ_TCB, 0);
    CHECK(n && ep && tcb);
    ic_cptr_t wo = copy_with_rights(n, IC_RIGHT_WRITE);
    CHECK(wo);
    CHECK_EQ(ic_tcb_bind_notification(tcb, ep), IC_INVALID_CAPABILITY);
    CHECK_EQ(ic_tcb_bind_notification(tcb, wo), IC_INVALID_CAPABILITY); /* no READ */
    CHECK_EQ(ic_tcb_bind_notification(n, n), IC_INVALID_CAPABILITY);    /* not a TCB */
    CHECK_OK(ic_tcb_bind_notification(tcb, n));
}

TEST(ntfn_unbind)
{
    reset_shared();
    ic_cptr_t n = alloc_object(IC_OBJ_NOTIFICATION, 0);
    ic_cptr_t n2 = alloc_object(IC_OBJ_NOTIFICATION, 0);
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    CHECK(n && n2 && ep);
    ic_cptr_t b = mint_copy(n, IC_RIGHTS_ALL, 0x1);
    CHECK(b);
    struct thread t;
    CHECK(thread_create(&t, recv_and_log, ep, 0, 100, 0));
    CHECK_OK(ic_tcb_bind_notification(t.tcb, n));
    /* a bound notification can only be waited on by its thread */
    CHECK_EQ(syscall_x0(IC_SYS_NB_RECV, n, 0), IC_INVALID_CAPABILITY);
    CHECK_OK(ic_tcb_unbind_notification(t.tcb));
    /* now the root may poll it, and it may be bound again */
    ic_word_t bits = 0xdead;
    ic_poll(n, &bits);
    CHECK_EQ(bits, 0);
    CHECK_OK(ic_tcb_bind_notification(t.tcb, n2));
    CHECK_OK(ic_tcb_unbind_notification(t.tcb));
    /* an unbound thread blocked in recv is not woken by a signal */
    CHECK_OK(ic_tcb_resume(t.tcb));
    CHECK(let_threads_run());
    ic_signal(b);
    CHECK(let_threads_run());
    CHECK_EQ(n_log[2], 0);
    ic_poll(n, &bits);
    CHECK_EQ(bits, 0x1);
}

TEST(ntfn_unbind_when_not_bound_fails)
{
    ic_cptr_t tcb = alloc_object(IC_OBJ_TCB, 0);
    ic_cptr_t n = alloc_object(IC_OBJ_NOTIFICATION, 0);
    CHECK(tcb && n);
    CHECK_EQ(ic_tcb_unbind_notification(tcb), IC_ILLEGAL_OPERATION);
    CHECK_OK(ic_tcb_bind_notification(tcb, n));
    CHECK_OK(ic_tcb_unbind_notification(tcb));
    CHECK_EQ(ic_tcb_unbind_notification(tcb), IC_ILLEGAL_OPERATION);
}

TEST(ntfn_deleting_bound_notification_unbinds)
{
    ic_cptr_t tcb = alloc_object(IC_OBJ_TCB, 0);
    ic_cptr_t n = alloc_object(IC_OBJ_NOTIFICATION, 0);
    ic_cptr_t n2 = alloc_object(IC_OBJ_NOTIFICATION, 0);
    CHECK(tcb && n && n2);
    CHECK_OK(ic_tcb_bind_notification(tcb, n));
    CHECK_OK(ic_cnode_delete(ROOT_CNODE, n, ROOT_DEPTH));
    CHECK_EQ(ic_tcb_unbind_notification(tcb), IC_ILLEGAL_OPERATION);
    CHECK_OK(ic_tcb_bind_notification(tcb, n2));
}

TEST(ntfn_deleting_bound_tcb_unbinds)
{
    ic_cptr_t t1 = alloc_object(IC_OBJ_TCB, 0);
    ic_cptr_t t2 = alloc_object(IC_OBJ_TCB, 0);
    ic_cptr_t n = alloc_object(IC_OBJ_NOTIFICATION, 0);
    CHECK(t1 && t2 && n);
    CHECK_OK(ic_tcb_bind_notification(t1, n));
    CHECK_EQ(ic_tcb_bind_notification(t2, n), IC_ILLEGAL_OPERATION);
    CHECK_OK(ic_cnode_delete(ROOT_CNODE, t1, ROOT_DEPTH));
    /* the notification is free again: bind it elsewhere, or wait on it */
    ic_word_t bits = 0xdead;
    ic_poll(n, &bits);
    CHECK_EQ(bits, 0);
    CHECK_OK(ic_tcb_bind_notification(t2, n));
}

TEST(ntfn_bind_refused_while_others_wait)
{
    reset_shared();
    ic_cptr_t n = alloc_object(IC_OBJ_NOTIFICATION, 0);
    ic_cptr_t tcb = alloc_object(IC_OBJ_TCB, 0);
    CHECK(n && tcb);
    struct thread w;
    CHECK(thread_start(&w, wait_and_log, n, 1, 50, 0));
    CHECK(let_threads_run()); /* w waits on n */
    CHECK_EQ(ic_tcb_bind_notification(tcb, n), IC_ILLEGAL_OPERATION);
    /* the waiter is untouched: a signal still reaches it */
    ic_cptr_t b = mint_copy(n, IC_RIGHTS_ALL, 0x4);
    CHECK(b);
    ic_signal(b);
    CHECK(let_threads_run());
    CHECK_EQ(n_count, 1);
    CHECK_EQ(n_log[0], (ic_word_t)1 << 32 | 0x4);
    /* nobody waits now */
    CHECK_OK(ic_tcb_bind_notification(tcb, n));
}

/* ------------------------------------------------------------ deletion */

/* Waits on arg0; logs x0 and the message info, then counts. */
static void wait_log_x0(ic_word_t n, ic_word_t id)
{
    ic_word_t x0 = 0xdead;
    ic_msginfo_t info = ic_wait(n, &x0);
    n_log[2 * id] = x0;
    n_log[2 * id + 1] = info;
    n_count++;
}

TEST(ntfn_delete_restarts_waiters)
{
    reset_shared();
    ic_cptr_t n = alloc_object(IC_OBJ_NOTIFICATION, 0);
    CHECK(n);
    struct thread t[2];
    for (unsigned i = 0; i < 2; i++)
        CHECK(thread_start(&t[i], wait_log_x0, n, i, 50, 0));
    CHECK(let_threads_run());
    CHECK_EQ(n_count, 0);
    /* the last capability: the waiters restart their wait, which then
     * finds an empty slot */
    CHECK_OK(ic_cnode_delete(ROOT_CNODE, n, ROOT_DEPTH));
    CHECK(let_threads_run());
    CHECK_EQ(n_count, 2);
    for (unsigned i = 0; i < 2; i++) {
        CHECK_EQ(n_log[2 * i], IC_INVALID_CAPABILITY);
        CHECK_EQ(n_log[2 * i + 1], 0);
    }
}

TEST(ntfn_delete_copy_keeps_waiters)
{
    reset_shared();
    ic_cptr_t n = alloc_object(IC_OBJ_NOTIFICATION, 0);
    CHECK(n);
    ic_cptr_t b = mint_copy(n, IC_RIGHTS_ALL, 0x7);
    CHECK(b);
    struct thread t;
    CHECK(thread_start(&t, wait_log_x0, n, 0, 50, 0));
    CHECK(let_threads_run());
    /* not the last capability: nothing happens to the waiter */
    CHECK_OK(ic_cnode_delete(ROOT_CNODE, b, ROOT_DEPTH));
    CHECK(let_threads_run());
    CHECK_EQ(n_count, 0);
    b = mint_copy(n, IC_RIGHTS_ALL, 0x9);
    CHECK(b);
    ic_signal(b);
    CHECK(let_threads_run());
    CHECK_EQ(n_count, 1);
    CHECK_EQ(n_log[0], 0x9);
}
