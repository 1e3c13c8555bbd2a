/* Synchronous IPC over endpoints: send and receive in both directions,
 * badges, call and reply, message registers, non-blocking variants,
 * capability transfer, rights checks, queue order and IPC between CPUs. */
#include "test.h"

/* Shared between the root and its threads (same address space). */
static volatile ic_word_t r[80];
static volatile ic_word_t r_count;

static void reset_shared(void)
{
    for (unsigned i = 0; i < sizeof(r) / sizeof(r[0]); i++)
        r[i] = 0;
    r_count = 0;
}

/* The root's IPC buffer outlives the test: forget any receive slot. */
static void clear_receive_path(void)
{
    ic_set_receive_path(0, 0, 0);
}

/* ------------------------------------------------------------ send / recv */

/* Sends label 0x55 with MR0 = 0x1111, MR1 = 0x2222 on ep (arg0). */
static void send_two_words(ic_word_t ep, ic_word_t unused)
{
    (void)unused;
    ic_set_mr(0, 0x1111);
    ic_set_mr(1, 0x2222);
    ic_send(ep, ic_msginfo_new(0x55, 0, 0, 2));
    r[0] = 1; /* the send completed */
}

TEST(ipc_thread_sends_root_receives)
{
    reset_shared();
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    CHECK(ep);
    struct thread t;
    CHECK(thread_start(&t, send_two_words, ep, 0, 100, 0));
    ic_set_mr(0, 0);
    ic_set_mr(1, 0);
    ic_word_t badge = 0xdead;
    ic_msginfo_t info = ic_recv(ep, &badge);
    CHECK_EQ(ic_msginfo_label(info), 0x55);
    CHECK_EQ(ic_msginfo_length(info), 2);
    CHECK_EQ(ic_msginfo_extra_caps(info), 0);
    CHECK_EQ(badge, 0); /* an unbadged capability delivers badge 0 */
    CHECK_EQ(ic_get_mr(0), 0x1111);
    CHECK_EQ(ic_get_mr(1), 0x2222);
    /* the sender was released: it runs once the root blocks */
    CHECK(let_threads_run());
    CHECK_EQ(r[0], 1);
}

/* Receives on ep (arg0), records label, length, badge and MR0..2, then
 * signals the notification in arg1. */
static void recv_and_report(ic_word_t ep, ic_word_t done)
{
    ic_word_t badge = 0;
    ic_msginfo_t info = ic_recv(ep, &badge);
    r[0] = ic_msginfo_label(info);
    r[1] = ic_msginfo_length(info);
    r[2] = badge;
    r[3] = ic_get_mr(0);
    r[4] = ic_get_mr(1);
    r[5] = ic_get_mr(2);
    ic_signal(done);
}

TEST(ipc_root_sends_thread_receives)
{
    reset_shared();
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    ic_cptr_t done = alloc_object(IC_OBJ_NOTIFICATION, 0);
    CHECK(ep && done);
    ic_cptr_t badged = mint_copy(ep, IC_RIGHTS_ALL, 0x4321);
    CHECK(badged);
    struct thread t;
    CHECK(thread_start(&t, recv_and_report, ep, done, 100, 0));
    /* the receiver has not run yet: the root blocks in send until it does */
    ic_set_mr(0, 7);
    ic_set_mr(1, 8);
    ic_set_mr(2, 9);
    ic_send(badged, ic_msginfo_new(0x99, 0, 0, 3));
    ic_word_t b;
    ic_wait(done, &b);
    CHECK_EQ(r[0], 0x99);
    CHECK_EQ(r[1], 3);
    CHECK_EQ(r[2], 0x4321);
    CHECK_EQ(r[3], 7);
    CHECK_EQ(r[4], 8);
    CHECK_EQ(r[5], 9);
}

/* Sends one empty message on each capability named in r[40..], r[40] first;
 * the number of them is arg1. */
static void send_on_each(ic_word_t unused, ic_word_t n)
{
    (void)unused;
    for (ic_word_t i = 0; i < n; i++)
        ic_send(r[40 + i], ic_msginfo_new(i, 0, 0, 0));
}

TEST(ipc_badges_identify_senders)
{
    reset_shared();
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    CHECK(ep);
    ic_cptr_t b1 = mint_copy(ep, IC_RIGHTS_ALL, 0x1234);
    ic_cptr_t b2 = mint_copy(ep, IC_RIGHT_WRITE, (ic_word_t)1 << 60);
    CHECK(b1 && b2);
    r[40] = b1;
    r[41] = ep;
    r[42] = b2;
    struct thread t;
    CHECK(thread_start(&t, send_on_each, 0, 3, 100, 0));
    const ic_word_t want[3] = { 0x1234, 0, (ic_word_t)1 << 60 };
    for (unsigned i = 0; i < 3; i++) {
        ic_word_t badge = 0xdead;
        ic_msginfo_t info = ic_recv(ep, &badge);
        CHECK_EQ(ic_msginfo_label(info), i);
        CHECK_EQ(badge, want[i]);
    }
}

TEST(ipc_large_label_delivered)
{
    reset_shared();
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    CHECK(ep);
    struct thread t;
    CHECK(thread_start(&t, recv_and_report, ep, alloc_object(IC_OBJ_NOTIFICATION, 0), 100, 0));
    /* the label has 50 bits */
    const ic_word_t label = ((ic_word_t)1 << 49) | 0xabcdef;
    ic_send(ep, ic_msginfo_new(label, 0, 0, 0));
    CHECK(let_threads_run());
    CHECK_EQ(r[0], label);
    CHECK_EQ(r[1], 0);
}

/* ------------------------------------------------------------ call / reply */

/* Calls ep (arg0) with MR0 = 21, MR1 = arg1; records the reply. */
static void call_once(ic_word_t ep, ic_word_t arg)
{
    ic_set_mr(0, 21);
    ic_set_mr(1, arg);
    ic_word_t badge = 0xdead;
    ic_msginfo_t info = ic_call(ep, ic_msginfo_new(3, 0, 0, 2), &badge);
    r[0] = ic_msginfo_label(info);
    r[1] = ic_msginfo_length(info);
    r[2] = ic_get_mr(0);
    r[3] = ic_get_mr(1);
    r[4] = badge;
    r[5] = 1;
}

TEST(ipc_call_and_reply)
{
    reset_shared();
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    CHECK(ep);
    ic_cptr_t badged = mint_copy(ep, IC_RIGHTS_ALL, 0x77);
    CHECK(badged);
    struct thread t;
    CHECK(thread_start(&t, call_once, badged, 500, 100, 0));
    ic_word_t badge = 0;
    ic_msginfo_t info = ic_recv(ep, &badge);
    CHECK_EQ(ic_msginfo_label(info), 3);
    CHECK_EQ(ic_msginfo_length(info), 2);
    CHECK_EQ(badge, 0x77);
    ic_word_t mr0 = ic_get_mr(0), mr1 = ic_get_mr(1);
    CHECK_EQ(mr0, 21);
    CHECK_EQ(mr1, 500);
    /* the caller waits for the reply */
    CHECK(let_threads_run());
    CHECK_EQ(r[5], 0);
    ic_set_mr(0, mr0 * 2);
    ic_set_mr(1, mr1 + 1);
    ic_reply(ic_msginfo_new(0x42, 0, 0, 2));
    CHECK(let_threads_run());
    CHECK_EQ(r[5], 1);
    CHECK_EQ(r[0], 0x42);
    CHECK_EQ(r[1], 2);
    CHECK_EQ(r[2], 42);
    CHECK_EQ(r[3], 501);
    CHECK_EQ(r[4], 0); /* a reply carries no badge */
    /* a second reply has nobody to go to and does nothing */
    ic_reply(ic_msginfo_new(1, 0, 0, 0));
}

/* A server: replies to each call with MR0 = MR0 * 3 + 1, MR1 = the caller's
 * badge and label = the call's label + 1; counts the requests in r_count. */
static void server_loop(ic_word_t ep, ic_word_t unused)
{
    (void)unused;
    ic_word_t badge;
    ic_msginfo_t info = ic_recv(ep, &badge);
    for (;;) {
        r_count++;
        ic_word_t v = ic_get_mr(0);
        ic_set_mr(0, v * 3 + 1);
        ic_set_mr(1, badge);
        info = ic_reply_recv(ep, ic_msginfo_new(ic_msginfo_label(info) + 1, 0, 0, 2), &badge);
    }
}

TEST(ipc_reply_recv_server_loop)
{
    reset_shared();
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    CHECK(ep);
    ic_cptr_t c1 = mint_copy(ep, IC_RIGHTS_ALL, 0x100);
    ic_cptr_t c2 = mint_copy(ep, IC_RIGHTS_ALL, 0x200);
    CHECK(c1 && c2);
    struct thread t;
    CHECK(thread_start(&t, server_loop, ep, 0, 100, 0));
    for (ic_word_t i = 0; i < 20; i++) {
        ic_set_mr(0, i);
        ic_word_t err = 0xdead;
        ic_msginfo_t info = ic_call(i % 2 ? c2 : c1, ic_msginfo_new(i, 0, 0, 1), &err);
        CHECK_EQ(ic_msginfo_label(info), i + 1);
        CHECK_EQ(ic_msginfo_length(info), 2);
        CHECK_EQ(ic_get_mr(0), i * 3 + 1);
        CHECK_EQ(ic_get_mr(1), i % 2 ? 0x200 : 0x100);
        CHECK_EQ(r_count, i + 1);
    }
}

/* Calls ep (arg0) with label = id (arg1); records the reply label at
 * r[20 + id]. */
static void call_record(ic_word_t ep, ic_word_t id)
{
    ic_msginfo_t info = ic_call(ep, ic_msginfo_new(id, 0, 0, 0), NULL);
    r[20 + id] = ic_msginfo_label(info);
}

TEST(ipc_reply_goes_to_last_caller)
{
    reset_shared();
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    CHECK(ep);
    struct thread a, b;
    CHECK(thread_start(&a, call_record, ep, 1, 100, 0));
    CHECK(thread_start(&b, call_record, ep, 2, 90, 0));
    CHECK(let_threads_run()); /* both wait in their Call */
    CHECK_EQ(ic_msginfo_label(ic_recv(ep, NULL)), 1);
    /* a second receive without replying: the reply now belongs to b, and
     * a is left waiting for a reply that never comes */
    CHECK_EQ(ic_msginfo_label(ic_recv(ep, NULL)), 2);
    /* whatever happens to a does not take b's reply away */
    CHECK_OK(ic_tcb_suspend(a.tcb));
    CHECK_OK(ic_cnode_delete(ROOT_CNODE, a.tcb, ROOT_DEPTH));
    ic_reply(ic_msginfo_new(0x22, 0, 0, 0));
    CHECK(let_threads_run());
    CHECK_EQ(r[22], 0x22);
    CHECK_EQ(r[21], 0);
}

/* Calls the endpoint in r[40] with label 7 and MR0 = 21; records the reply
 * and signals 'done'. */
static void call_then_signal(ic_word_t done, ic_word_t unused)
{
    (void)unused;
    ic_set_mr(0, 21);
    ic_msginfo_t info = ic_call(r[40], ic_msginfo_new(7, 0, 0, 1), NULL);
    r[0] = ic_msginfo_label(info);
    r[1] = ic_msginfo_length(info);
    r[2] = ic_get_mr(0);
    r[3] = ic_get_mr(1);
    ic_signal(done);
}

TEST(ipc_call_server_on_other_cpu)
{
    if (bootinfo->num_cpus < 2)
        return;
    reset_shared();
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    CHECK(ep);
    ic_cptr_t c = mint_copy(ep, IC_RIGHTS_ALL, 0x5);
    CHECK(c);
    struct thread t;
    /* priority 254: it could never run on CPU 0 next to the busy root */
    CHECK(thread_start_on(&t, server_loop, ep, 0, 254, 0, 1));
    for (ic_word_t i = 0; i < 50; i++) {
        ic_set_mr(0, 1000 + i);
        ic_msginfo_t info = ic_call(c, ic_msginfo_new(7, 0, 0, 1), NULL);
        CHECK_EQ(ic_msginfo_label(info), 8);
        CHECK_EQ(ic_get_mr(0), (1000 + i) * 3 + 1);
        CHECK_EQ(ic_get_mr(1), 0x5);
    }
    CHECK_EQ(r_count, 50);
    /* the same from a thread of CPU 0 below the root */
    ic_cptr_t done = alloc_object(IC_OBJ_NOTIFICATION, 0);
    CHECK(done);
    r[40] = c;
    struct thread client;
    CHECK(thread_start(&client, call_then_signal, done, 0, 100, 0));
    ic_word_t b;
    ic_wait(done, &b);
    CHECK_EQ(r[0], 8);
    CHECK_EQ(r[1], 2);
    CHECK_EQ(r[2], 21 * 3 + 1);
    CHECK_EQ(r[3], 0x5);
    CHECK_EQ(r_count, 51);
}

/* ------------------------------------------------------------ message registers */

static ic_word_t pattern(unsigned i)
{
    return 0x1000000000000000ull * (i % 15 + 1) + i * 0x10101 + 3;
}

/* Calls ep (arg0) with all 64 MRs; checks the 64-word reply. */
static void call_64(ic_word_t ep, ic_word_t done)
{
    for (unsigned i = 0; i < IC_MSG_MAX_LENGTH; i++)
        ic_set_mr(i, pattern(i));
    ic_msginfo_t info = ic_call(ep, ic_msginfo_new(1, 0, 0, IC_MSG_MAX_LENGTH), NULL);
    r[0] = ic_msginfo_length(info);
    ic_word_t bad = 0;
    for (unsigned i = 0; i < IC_MSG_MAX_LENGTH; i++)
        if (ic_get_mr(i) != ~pattern(i))
            bad++;
    r[1] = bad;
    ic_signal(done);
}

TEST(ipc_all_64_message_registers)
{
    reset_shared();
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    ic_cptr_t done = alloc_object(IC_OBJ_NOTIFICATION, 0);
    CHECK(ep && done);
    struct thread t;
    CHECK(thread_start(&t, call_64, ep, done, 100, 0));
    for (unsigned i = 0; i < IC_MSG_MAX_LENGTH; i++)
        ic_set_mr(i, 0);
    ic_msginfo_t info = ic_recv(ep, NULL);
    CHECK_EQ(ic_msginfo_length(info), IC_MSG_MAX_LENGTH);
    for (unsigned i = 0; i < IC_MSG_MAX_LENGTH; i++)
        CHECK_EQ(ic_get_mr(i), pattern(i));
    for (unsigned i = 0; i < IC_MSG_MAX_LENGTH; i++)
        ic_set_mr(i, ~pattern(i));
    ic_reply(ic_msginfo_new(0, 0, 0, IC_MSG_MAX_LENGTH));
    ic_word_t b;
    ic_wait(done, &b);
    CHECK_EQ(r[0], IC_MSG_MAX_LENGTH);
    CHECK_EQ(r[1], 0);
}

TEST(ipc_only_length_words_are_written)
{
    reset_shared();
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    CHECK(ep);
    struct thread t;
    CHECK(thread_start(&t, send_two_words, ep, 0, 100, 0));
    for (unsigned i = 0; i < 8; i++)
        ic_set_mr(i, 0x5a5a + i);
    ic_msginfo_t info = ic_recv(ep, NULL);
    CHECK_EQ(ic_msginfo_length(info), 2);
    CHECK_EQ(ic_get_mr(0), 0x1111);
    CHECK_EQ(ic_get_mr(1), 0x2222);
    /* MRs of the IPC buffer beyond the length keep their old values (the
     * library stores all of x2..x5 into MR0..MR3 after a receive) */
    for (unsigned i = IC_MSG_REGISTERS_IN_CPU; i < 8; i++)
        CHECK_EQ(ic_get_mr(i), 0x5a5a + i);
}

/* Sends a message whose length field says 100 (above the maximum). */
static void send_overlong(ic_word_t ep, ic_word_t unused)
{
    (void)unused;
    for (unsigned i = 0; i < IC_MSG_MAX_LENGTH; i++)
        ic_set_mr(i, i + 1);
    ic_send(ep, ic_msginfo_new(9, 0, 0, 100));
}

TEST(ipc_length_above_64_is_truncated)
{
    reset_shared();
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    CHECK(ep);
    struct thread t;
    CHECK(thread_start(&t, send_overlong, ep, 0, 100, 0));
    ic_msginfo_t info = ic_recv(ep, NULL);
    CHECK_EQ(ic_msginfo_label(info), 9);
    CHECK_EQ(ic_msginfo_length(info), IC_MSG_MAX_LENGTH);
    for (unsigned i = 0; i < IC_MSG_MAX_LENGTH; i++)
        CHECK_EQ(ic_get_mr(i), i + 1);
}

/* Sends six MRs although the kernel knows no IPC buffer for this thread. */
static void send_six_without_buffer(ic_word_t ep, ic_word_t unused)
{
    (void)unused;
    for (unsigned i = 0; i < 6; i++)
        ic_set_mr(i, 0xc0 + i);
    ic_send(ep, ic_msginfo_new(4, 0, 0, 6));
    /* and receives four */
    ic_msginfo_t info = ic_recv(ep, NULL);
    r[0] = ic_msginfo_length(info);
    for (unsigned i = 0; i < 4; i++)
        r[1 + i] = ic_get_mr(i);
    r[5] = 1;
}

TEST(ipc_mrs_0_to_3_travel_in_registers)
{
    reset_shared();
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    CHECK(ep);
    struct thread t;
    CHECK(thread_create(&t, send_six_without_buffer, ep, 0, 100, 0));
    /* no IPC buffer: only MR0..MR3 (x2..x5) can be transferred */
    CHECK_OK(ic_tcb_configure(t.tcb, IC_WORD_BITS - IC_ROOT_CNODE_BITS, 0, 0, ROOT_CNODE, ROOT_VSPACE, 0));
    CHECK_OK(ic_tcb_resume(t.tcb));
    for (unsigned i = 0; i < 6; i++)
        ic_set_mr(i, 0x5a);
    ic_msginfo_t info = ic_recv(ep, NULL);
    CHECK_EQ(ic_msginfo_label(info), 4);
    for (unsigned i = 0; i < 4; i++)
        CHECK_EQ(ic_get_mr(i), 0xc0 + i);
    /* the kernel cannot see MR4 and MR5, which the thread wrote to memory it
     * never registered: the message is cut to four words, or the missing
     * words read as zero (kernel/core/ipc.c: ipc_get_mr) */
    if (ic_msginfo_length(info) == 4) {
        CHECK_EQ(ic_get_mr(4), 0x5a);
        CHECK_EQ(ic_get_mr(5), 0x5a);
    } else {
        CHECK_EQ(ic_msginfo_length(info), 6);
        CHECK_EQ(ic_get_mr(4), 0);
        CHECK_EQ(ic_get_mr(5), 0);
    }
    for (unsigned i = 0; i < 4; i++)
        ic_set_mr(i, 0xd0 + i);
    ic_send(ep, ic_msginfo_new(0, 0, 0, 4));
    CHECK(let_threads_run());
    CHECK_EQ(r[5], 1);
    CHECK_EQ(r[0], 4);
    for (unsigned i = 0; i < 4; i++)
        CHECK_EQ(r[1 + i], 0xd0 + i);
}

/* ------------------------------------------------------------ non-blocking */

TEST(ipc_nb_send_without_receiver_is_dropped)
{
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    CHECK(ep);
    ic_set_mr(0, 99);
    ic_nb_send(ep, ic_msginfo_new(5, 0, 0, 1)); /* returns at once */
    ic_set_mr(0, 0);
    ic_word_t badge = 0xdead;
    ic_msginfo_t info = ic_nb_recv(ep, &badge);
    CHECK_EQ(info, 0);
    CHECK_EQ(badge, 0);
    CHECK_EQ(ic_get_mr(0), 0);
}

TEST(ipc_nb_send_reaches_waiting_receiver)
{
    reset_shared();
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    ic_cptr_t done = alloc_object(IC_OBJ_NOTIFICATION, 0);
    CHECK(ep && done);
    struct thread t;
    CHECK(thread_start(&t, recv_and_report, ep, done, 100, 0));
    CHECK(let_threads_run()); /* now it waits in recv */
    ic_set_mr(0, 0xabc);
    ic_nb_send(ep, ic_msginfo_new(6, 0, 0, 1));
    ic_word_t b;
    ic_wait(done, &b);
    CHECK_EQ(r[0], 6);
    CHECK_EQ(r[1], 1);
    CHECK_EQ(r[3], 0xabc);
}

TEST(ipc_nb_recv_without_sender_returns_at_once)
{
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    CHECK(ep);
    ic_word_t badge = 0xdead;
    ic_msginfo_t info = ic_nb_recv(ep, &badge);
    CHECK_EQ(info, 0);
    CHECK_EQ(badge, 0);
}

TEST(ipc_nb_recv_takes_waiting_sender)
{
    reset_shared();
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    CHECK(ep);
    ic_cptr_t badged = mint_copy(ep, IC_RIGHTS_ALL, 0x31);
    CHECK(badged);
    struct thread t;
    CHECK(thread_start(&t, send_two_words, badged, 0, 100, 0));
    CHECK(let_threads_run()); /* now it waits in send */
    CHECK_EQ(r[0], 0);
    ic_word_t badge = 0;
    ic_msginfo_t info = ic_nb_recv(ep, &badge);
    CHECK_EQ(ic_msginfo_label(info), 0x55);
    CHECK_EQ(badge, 0x31);
    CHECK_EQ(ic_get_mr(1), 0x2222);
    CHECK(let_threads_run());
    CHECK_EQ(r[0], 1);
}

/* ------------------------------------------------------------ capability transfer */

/* Sends one capability (arg1) on ep (arg0) with one MR. */
static void send_cap(ic_word_t ep, ic_word_t cap)
{
    ic_set_mr(0, 0xcafe);
    ic_set_cap(0, cap);
    ic_send(ep, ic_msginfo_new(2, 0, 1, 1));
}

TEST(ipc_cap_transfer_with_grant)
{
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    ic_cptr_t ntfn = alloc_object(IC_OBJ_NOTIFICATION, 0);
    CHECK(ep && ntfn);
    ic_cptr_t badged_ntfn = mint_copy(ntfn, IC_RIGHTS_ALL, 0x40);
    ic_cptr_t recv_slot = alloc_slot();
    CHECK(badged_ntfn && recv_slot);
    struct thread t;
    CHECK(thread_start(&t, send_cap, ep, badged_ntfn, 100, 0));
    ic_set_receive_path(ROOT_CNODE, recv_slot, ROOT_DEPTH);
    ic_msginfo_t info = ic_recv(ep, NULL);
    clear_receive_path();
    CHECK_EQ(ic_msginfo_label(info), 2);
    CHECK_EQ(ic_msginfo_length(info), 1);
    CHECK_EQ(ic_msginfo_extra_caps(info), 1);
    CHECK_EQ(ic_msginfo_unwrapped(info), 0);
    CHECK_EQ(ic_get_mr(0), 0xcafe);
    /* the received capability works and kept its badge */
    ic_signal(recv_slot);
    ic_word_t bits = 0;
    ic_poll(ntfn, &bits);
    CHECK_EQ(bits, 0x40);
    /* the sender still has its own */
    ic_signal(badged_ntfn);
    ic_poll(ntfn, &bits);
    CHECK_EQ(bits, 0x40);
}

TEST(ipc_no_cap_transfer_without_grant)
{
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    ic_cptr_t ntfn = alloc_object(IC_OBJ_NOTIFICATION, 0);
    CHECK(ep && ntfn);
    ic_cptr_t no_grant = copy_with_rights(ep, IC_RIGHT_READ | IC_RIGHT_WRITE);
    ic_cptr_t recv_slot = alloc_slot();
    CHECK(no_grant && recv_slot);
    struct thread t;
    CHECK(thread_start(&t, send_cap, no_grant, ntfn, 100, 0));
    ic_set_receive_path(ROOT_CNODE, recv_slot, ROOT_DEPTH);
    ic_msginfo_t info = ic_recv(ep, NULL);
    clear_receive_path();
    /* the data arrives, the capability does not */
    CHECK_EQ(ic_msginfo_label(info), 2);
    CHECK_EQ(ic_msginfo_length(info), 1);
    CHECK_EQ(ic_get_mr(0), 0xcafe);
    CHECK_EQ(ic_msginfo_extra_caps(info), 0);
    CHECK(slot_is_empty(recv_slot));
}

TEST(ipc_cap_to_same_endpoint_is_unwrapped)
{
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    CHECK(ep);
    ic_cptr_t badged = mint_copy(ep, IC_RIGHTS_ALL, 0x777);
    ic_cptr_t recv_slot = alloc_slot();
    CHECK(badged && recv_slot);
    struct thread t;
    CHECK(thread_start(&t, send_cap, ep, badged, 100, 0));
    ic_set_receive_path(ROOT_CNODE, recv_slot, ROOT_DEPTH);
    ic_ipc_buffer()->caps_or_badges[0] = 0;
    ic_msginfo_t info = ic_recv(ep, NULL);
    clear_receive_path();
    CHECK_EQ(ic_msginfo_extra_caps(info), 1);
    CHECK_EQ(ic_msginfo_unwrapped(info), 1);
    CHECK_EQ(ic_get_badge(0), 0x777);
    /* an unwrapped capability is not stored */
    CHECK(slot_is_empty(recv_slot));
}

TEST(ipc_cap_not_transferred_to_occupied_slot)
{
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    ic_cptr_t n1 = alloc_object(IC_OBJ_NOTIFICATION, 0);
    ic_cptr_t n2 = alloc_object(IC_OBJ_NOTIFICATION, 0);
    CHECK(ep && n1 && n2);
    ic_cptr_t n1_badged = mint_copy(n1, IC_RIGHTS_ALL, 0x1);
    /* the receive slot already holds a capability to n2 (badge 0x2) */
    ic_cptr_t occupied = mint_copy(n2, IC_RIGHTS_ALL, 0x2);
    CHECK(n1_badged && occupied);
    struct thread t;
    CHECK(thread_start(&t, send_cap, ep, n1_badged, 100, 0));
    ic_set_receive_path(ROOT_CNODE, occupied, ROOT_DEPTH);
    ic_msginfo_t info = ic_recv(ep, NULL);
    clear_receive_path();
    CHECK_EQ(ic_msginfo_length(info), 1);
    CHECK_EQ(ic_msginfo_extra_caps(info), 0);
    /* the slot still holds the capability to n2 */
    ic_signal(occupied);
    ic_word_t bits = 0;
    ic_poll(n2, &bits);
    CHECK_EQ(bits, 0x2);
    ic_poll(n1, &bits);
    CHECK_EQ(bits, 0);
}

/* Calls ep; records the reply's extra_caps. */
static void call_for_cap(ic_word_t ep, ic_word_t recv_slot)
{
    ic_set_receive_path(ROOT_CNODE, recv_slot, ROOT_DEPTH);
    ic_msginfo_t info = ic_call(ep, ic_msginfo_new(0, 0, 0, 0), NULL);
    r[0] = ic_msginfo_extra_caps(info);
    r[1] = ic_msginfo_length(info);
    r[2] = 1;
}

TEST(ipc_reply_carries_no_caps)
{
    reset_shared();
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    ic_cptr_t ntfn = alloc_object(IC_OBJ_NOTIFICATION, 0);
    ic_cptr_t recv_slot = alloc_slot();
    CHECK(ep && ntfn && recv_slot);
    struct thread t;
    CHECK(thread_start(&t, call_for_cap, ep, recv_slot, 100, 0));
    ic_recv(ep, NULL);
    ic_set_mr(0, 1);
    ic_set_cap(0, ntfn);
    ic_reply(ic_msginfo_new(0, 0, 1, 1));
    CHECK(let_threads_run());
    CHECK_EQ(r[2], 1);
    CHECK_EQ(r[1], 1);
    CHECK_EQ(r[0], 0);
    CHECK(slot_is_empty(recv_slot));
}

/* ------------------------------------------------------------ errors */

TEST(ipc_send_without_write_right_fails)
{
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    CHECK(ep);
    ic_cptr_t read_only = copy_with_rights(ep, IC_RIGHT_READ | IC_RIGHT_GRANT);
    CHECK(read_only);
    /* would block forever if it were accepted: nobody receives */
    CHECK_EQ(syscall_x0(IC_SYS_SEND, read_only, ic_msginfo_new(1, 0, 0, 0)), IC_INVALID_CAPABILITY);
    CHECK_EQ(syscall_x0(IC_SYS_NB_SEND, read_only, ic_msginfo_new(1, 0, 0, 0)), IC_INVALID_CAPABILITY);
    ic_word_t err = 0;
    ic_call(read_only, ic_msginfo_new(1, 0, 0, 0), &err);
    CHECK_EQ(err, IC_INVALID_CAPABILITY);
}

TEST(ipc_recv_without_read_right_fails)
{
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    CHECK(ep);
    ic_cptr_t write_only = copy_with_rights(ep, IC_RIGHT_WRITE | IC_RIGHT_GRANT);
    CHECK(write_only);
    /* would block forever if it were accepted: nobody sends */
    CHECK_EQ(syscall_x0(IC_SYS_RECV, write_only, 0), IC_INVALID_CAPABILITY);
    CHECK_EQ(syscall_x0(IC_SYS_NB_RECV, write_only, 0), IC_INVALID_CAPABILITY);
    /* a later nb_send on it finds no receiver waiting: nothing was queued */
    ic_nb_send(ep, ic_msginfo_new(1, 0, 0, 0));
    CHECK_EQ(ic_nb_recv(ep, NULL), 0);
}

TEST(ipc_invalid_cptr_fails_lookup)
{
    /* names no slot: the root CNode's guard (the top 52 bits, all 0) does
     * not match */
    const ic_cptr_t bad[] = { (ic_cptr_t)1 << 40, ~(ic_cptr_t)0, (ic_cptr_t)1 << IC_ROOT_CNODE_BITS };
    for (unsigned i = 0; i < 3; i++) {
        ic_word_t err = 0;
        ic_msginfo_t info = ic_call(bad[i], ic_msginfo_new(0, 0, 0, 0), &err);
        CHECK_EQ(err, IC_FAILED_LOOKUP);
        CHECK_EQ(info, 0);
        CHECK_EQ(syscall_x0(IC_SYS_SEND, bad[i], 0), IC_FAILED_LOOKUP);
        CHECK_EQ(syscall_x0(IC_SYS_NB_SEND, bad[i], 0), IC_FAILED_LOOKUP);
        CHECK_EQ(syscall_x0(IC_SYS_RECV, bad[i], 0), IC_FAILED_LOOKUP);
        CHECK_EQ(syscall_x0(IC_SYS_NB_RECV, bad[i], 0), IC_FAILED_LOOKUP);
        CHECK_EQ(syscall_x0(IC_SYS_REPLY_RECV, bad[i], 0), IC_FAILED_LOOKUP);
    }
}

TEST(ipc_empty_slot_is_invalid_capability)
{
    /* the lookup succeeds, but the slot holds no capability */
    ic_cptr_t empty = alloc_slot();
    CHECK(empty);
    ic_word_t err = 0;
    ic_call(empty, ic_msginfo_new(0, 0, 0, 0), &err);
    CHECK_EQ(err, IC_INVALID_CAPABILITY);
    CHECK_EQ(syscall_x0(IC_SYS_SEND, empty, 0), IC_INVALID_CAPABILITY);
    CHECK_EQ(syscall_x0(IC_SYS_NB_SEND, empty, 0), IC_INVALID_CAPABILITY);
    CHECK_EQ(syscall_x0(IC_SYS_RECV, empty, 0), IC_INVALID_CAPABILITY);
    CHECK_EQ(syscall_x0(IC_SYS_NB_RECV, empty, 0), IC_INVALID_CAPABILITY);
    CHECK_EQ(syscall_x0(IC_SYS_REPLY_RECV, empty, 0), IC_INVALID_CAPABILITY);
}

TEST(ipc_call_on_notification_fails)
{
    ic_cptr_t ntfn = alloc_object(IC_OBJ_NOTIFICATION, 0);
    CHECK(ntfn);
    ic_cptr_t badged = mint_copy(ntfn, IC_RIGHTS_ALL, 0x8);
    CHECK(badged);
    ic_word_t err = 0;
    ic_msginfo_t info = ic_call(badged, ic_msginfo_new(0, 0, 0, 0), &err);
    CHECK_EQ(err, IC_INVALID_CAPABILITY);
    CHECK_EQ(info, 0);
    /* and it did not signal */
    ic_word_t bits = 0xdead;
    ic_poll(ntfn, &bits);
    CHECK_EQ(bits, 0);
}

/* ------------------------------------------------------------ queues */

/* Sends one message with label = arg1 on ep (arg0). */
static void send_label(ic_word_t ep, ic_word_t label)
{
    ic_send(ep, ic_msginfo_new(label, 0, 0, 0));
}

TEST(ipc_senders_received_in_fifo_order)
{
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    CHECK(ep);
    struct thread t[4];
    /* they queue up one after the other, lowest priority first, so FIFO
     * order differs from priority order */
    for (unsigned i = 0; i < 4; i++) {
        CHECK(thread_start(&t[i], send_label, ep, i + 1, 50 + 10 * i, 0));
        CHECK(let_threads_run());
    }
    for (unsigned i = 0; i < 4; i++) {
        ic_msginfo_t info = ic_recv(ep, NULL);
        CHECK_EQ(ic_msginfo_label(info), i + 1);
    }
    CHECK_EQ(ic_nb_recv(ep, NULL), 0);
}

/* Receives one message on ep (arg0); records its label at r[10 + id]. */
static void recv_label(ic_word_t ep, ic_word_t id)
{
    ic_msginfo_t info = ic_recv(ep, NULL);
    r[10 + id] = ic_msginfo_label(info);
}

TEST(ipc_receivers_served_in_fifo_order)
{
    reset_shared();
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    CHECK(ep);
    struct thread t[3];
    /* queued one after the other, lowest priority first */
    for (unsigned i = 0; i < 3; i++) {
        CHECK(thread_start(&t[i], recv_label, ep, i, 50 + 10 * i, 0));
        CHECK(let_threads_run());
    }
    for (unsigned i = 0; i < 3; i++) {
        ic_send(ep, ic_msginfo_new(100 + i, 0, 0, 0));
        CHECK(let_threads_run());
        for (unsigned j = 0; j < 3; j++)
            CHECK_EQ(r[10 + j], j <= i ? 100 + j : 0);
    }
}

/* ------------------------------------------------------------ destruction */

TEST(ipc_deleting_endpoint_fails_blocked_receiver)
{
    reset_shared();
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    ic_cptr_t done = alloc_object(IC_OBJ_NOTIFICATION, 0);
    CHECK(ep && done);
    struct thread t;
    CHECK(thread_start(&t, recv_and_report, ep, done, 100, 0));
    CHECK(let_threads_run());
    /* the last capability: the endpoint dies, the receiver's recv is
     * restarted and then finds an empty slot */
    CHECK_OK(ic_cnode_delete(ROOT_CNODE, ep, ROOT_DEPTH));
    ic_word_t b;
    ic_wait(done, &b);
    CHECK_EQ(r[2], IC_INVALID_CAPABILITY); /* x0: the slot is empty now */
    CHECK_EQ(r[0], 0);
    CHECK_EQ(r[1], 0);
}

/* Records what arrives beyond the length of a one-word call, and replies
 * with one word while MR1 holds a value that must not travel. */
static void short_server(ic_word_t ep, ic_word_t unused)
{
    (void)unused;
    ic_word_t badge;
    ic_msginfo_t info = ic_recv(ep, &badge);
    for (;;) {
        r[0] = ic_get_mr(0);
        r[1] = ic_get_mr(1);
        r[2] = badge;
        r[3] = ic_msginfo_label(info);
        ic_set_mr(0, 0x600d);
        ic_set_mr(1, 0xbeef);
        info = ic_reply_recv(ep, ic_msginfo_new(r[3] + 1, 0, 0, 1), &badge);
    }
}

TEST(ipc_fast_path_copies_only_length_words)
{
    /* after the first round trip the server waits on this CPU and nothing
     * else is ready: Call and ReplyRecv both take the fast path */
    reset_shared();
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    CHECK(ep);
    struct thread t;
    ic_cptr_t badged = mint_copy(ep, IC_RIGHTS_ALL, 0xb0b);
    CHECK(badged);
    CHECK(thread_start(&t, short_server, ep, 0, 100, 0));
    for (ic_word_t i = 0; i < 3; i++) {
        ic_set_mr(0, 0x1234);
        ic_set_mr(1, 0xfeed);
        ic_msginfo_t info = ic_call(badged, ic_msginfo_new(10 + i, 0, 0, 1), NULL);
        CHECK_EQ(ic_msginfo_length(info), 1);
        CHECK_EQ(ic_msginfo_label(info), 11 + i);
        CHECK_EQ(r[2], 0xb0b);
        CHECK_EQ(r[3], 10 + i);
        CHECK_EQ(ic_get_mr(0), 0x600d);
        CHECK(ic_get_mr(1) != 0xbeef);
        CHECK_EQ(r[0], 0x1234);
        CHECK(r[1] != 0xfeed);
    }
}

/* ------------------------------------------------------------ saved replies */

TEST(ipc_saved_reply_answers_an_earlier_caller)
{
    reset_shared();
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0), saved = alloc_slot();
    CHECK(ep && saved);
    /* nothing to save before a Call was received */
    CHECK_EQ(ic_cnode_save_caller(ROOT_CNODE, saved, ROOT_DEPTH), IC_ILLEGAL_OPERATION);
    struct thread a, b;
    CHECK(thread_start(&a, call_record, ep, 1, 100, 0));
    CHECK(thread_start(&b, call_record, ep, 2, 90, 0));
    CHECK(let_threads_run());
    CHECK_EQ(ic_msginfo_label(ic_recv(ep, NULL)), 1);
    CHECK_OK(ic_cnode_save_caller(ROOT_CNODE, saved, ROOT_DEPTH));
    CHECK_EQ(ic_cnode_save_caller(ROOT_CNODE, saved, ROOT_DEPTH), IC_DELETE_FIRST);
    /* take b's call and answer it first */
    CHECK_EQ(ic_msginfo_label(ic_recv(ep, NULL)), 2);
    ic_reply(ic_msginfo_new(0x22, 0, 0, 0));
    CHECK(let_threads_run());
    CHECK_EQ(r[22], 0x22);
    CHECK_EQ(r[21], 0);
    /* a reply capability cannot be copied, and is used up by the answer */
    ic_cptr_t copy = alloc_slot();
    CHECK_EQ(ic_cnode_copy(ROOT_CNODE, copy, ROOT_DEPTH, saved, ROOT_DEPTH, IC_RIGHTS_ALL, ROOT_CNODE),
             IC_ILLEGAL_OPERATION);
    ic_send(saved, ic_msginfo_new(0x11, 0, 0, 0));
    CHECK(let_threads_run());
    CHECK_EQ(r[21], 0x11);
    CHECK(slot_is_empty(saved));
}

TEST(ipc_saved_reply_disappears_with_its_caller)
{
    reset_shared();
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0), saved = alloc_slot(), moved = alloc_slot();
    CHECK(ep && saved && moved);
    struct thread a;
    CHECK(thread_start(&a, call_record, ep, 1, 100, 0));
    CHECK_EQ(ic_msginfo_label(ic_recv(ep, NULL)), 1);
    CHECK_OK(ic_cnode_save_caller(ROOT_CNODE, saved, ROOT_DEPTH));
    /* it can move, and still answers from its new slot... */
    CHECK_OK(ic_cnode_move(ROOT_CNODE, moved, ROOT_DEPTH, saved, ROOT_DEPTH, ROOT_CNODE));
    /* ...until its caller stops waiting */
    CHECK_OK(ic_tcb_suspend(a.tcb));
    CHECK(slot_is_empty(moved));
    CHECK_EQ(syscall_x0(IC_SYS_CALL, moved, ic_msginfo_new(0, 0, 0, 0)), IC_INVALID_CAPABILITY);
}

TEST(ipc_deleting_a_saved_reply_leaves_the_caller_waiting)
{
    reset_shared();
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0), saved = alloc_slot();
    CHECK(ep && saved);
    struct thread a;
    CHECK(thread_start(&a, call_record, ep, 1, 100, 0));
    CHECK_EQ(ic_msginfo_label(ic_recv(ep, NULL)), 1);
    CHECK_OK(ic_cnode_save_caller(ROOT_CNODE, saved, ROOT_DEPTH));
    CHECK_OK(ic_cnode_delete(ROOT_CNODE, saved, ROOT_DEPTH));
    ic_reply(ic_msginfo_new(0x11, 0, 0, 0)); /* nobody: the reply was saved away */
    CHECK(let_threads_run());
    CHECK_EQ(r[21], 0);
    /* the caller can still be stopped and destroyed cleanly */
    CHECK_OK(ic_tcb_suspend(a.tcb));
}
