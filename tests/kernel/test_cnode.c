/* CNode operations: copy, mint, move, mutate, delete and revoke; badges and
 * rights; the derivation tree; destruction of objects and of the threads
 * that use them; multi-level and guarded CSpace lookup.
 *
 * Threads here run at the root task's own priority (255) and the root task
 * hands them the CPU with ic_yield(), polling for their progress: a broken
 * kernel then makes a test fail instead of hanging the suite. */
#include "test.h"

#define SAME_PRIO 255

/* ------------------------------------------------------------ helpers */

static ic_err_t copy(ic_cptr_t dest, ic_cptr_t src, ic_word_t rights)
{
    return ic_cnode_copy(ROOT_CNODE, dest, ROOT_DEPTH, src, ROOT_DEPTH, rights, ROOT_CNODE);
}

static ic_err_t mint(ic_cptr_t dest, ic_cptr_t src, ic_word_t rights, ic_word_t badge)
{
    return ic_cnode_mint(ROOT_CNODE, dest, ROOT_DEPTH, src, ROOT_DEPTH, rights, badge, ROOT_CNODE);
}

static ic_err_t del(ic_cptr_t s)
{
    return ic_cnode_delete(ROOT_CNODE, s, ROOT_DEPTH);
}

static ic_err_t revoke(ic_cptr_t s)
{
    return ic_cnode_revoke(ROOT_CNODE, s, ROOT_DEPTH);
}

static ic_word_t poll_bits(ic_cptr_t ntfn)
{
    ic_word_t bits = 0;
    ic_poll(ntfn, &bits);
    return bits;
}

static volatile ic_word_t g_state, g_result, g_info;

/* ------------------------------------------------------------ copy, mint */

TEST(cnode_copy_makes_working_copies)
{
    ic_cptr_t n = alloc_object(IC_OBJ_NOTIFICATION, 0);
    ic_cptr_t m = alloc_slot(), c = alloc_slot(), mc = alloc_slot();
    CHECK(n);
    CHECK_OK(mint(m, n, IC_RIGHTS_ALL, 0x4));
    CHECK_OK(copy(c, n, IC_RIGHTS_ALL));
    CHECK_OK(copy(mc, m, IC_RIGHTS_ALL)); /* a copy keeps the badge */
    ic_signal(mc);
    CHECK_EQ(poll_bits(c), 0x4); /* the copy of the original waits on the same object */
    ic_signal(m);
    CHECK_EQ(poll_bits(n), 0x4);
    CHECK_EQ(poll_bits(n), 0);

    /* copies of other kinds of capability */
    ic_cptr_t tcb = alloc_object(IC_OBJ_TCB, 0), tc = alloc_slot();
    CHECK(tcb);
    CHECK_OK(copy(tc, tcb, IC_RIGHTS_ALL));
    CHECK_OK(ic_tcb_suspend(tc));
    ic_cptr_t rc = alloc_slot(), rc_dest = alloc_slot();
    CHECK_OK(copy(rc, ROOT_CNODE, IC_RIGHTS_ALL));
    /* the copy of the root CNode keeps its guard: slot indices still work */
    CHECK_OK(ic_cnode_copy(rc, rc_dest, ROOT_DEPTH, n, ROOT_DEPTH, IC_RIGHTS_ALL, rc));
    ic_signal(m);
    CHECK_EQ(poll_bits(rc_dest), 0x4);
    ic_cptr_t vc = alloc_slot();
    CHECK_OK(copy(vc, ROOT_VSPACE, IC_RIGHTS_ALL));
}

TEST(cnode_copy_errors)
{
    ic_cptr_t n = alloc_object(IC_OBJ_NOTIFICATION, 0);
    ic_cptr_t d = alloc_slot(), empty = alloc_slot(), occupied = alloc_object(IC_OBJ_ENDPOINT, 0);
    CHECK(n && occupied);
    CHECK_EQ(copy(occupied, n, IC_RIGHTS_ALL), IC_DELETE_FIRST);
    CHECK_EQ(copy(d, empty, IC_RIGHTS_ALL), IC_FAILED_LOOKUP);
    CHECK_EQ(copy(d, d, IC_RIGHTS_ALL), IC_FAILED_LOOKUP);
    CHECK_EQ(ic_cnode_copy(ROOT_CNODE, d, ROOT_DEPTH, n, ROOT_DEPTH, IC_RIGHTS_ALL, n), IC_INVALID_CAPABILITY);
    CHECK_EQ(ic_cnode_copy(ROOT_CNODE, d, 0, n, ROOT_DEPTH, IC_RIGHTS_ALL, ROOT_CNODE), IC_RANGE_ERROR);
    CHECK_EQ(ic_cnode_copy(ROOT_CNODE, d, ROOT_DEPTH, n, 0, IC_RIGHTS_ALL, ROOT_CNODE), IC_RANGE_ERROR);
    CHECK_EQ(ic_cnode_copy(ROOT_CNODE, d, 65, n, ROOT_DEPTH, IC_RIGHTS_ALL, ROOT_CNODE), IC_RANGE_ERROR);
    CHECK_EQ(ic_cnode_copy(ROOT_CNODE, d, ROOT_DEPTH, n, 1000, IC_RIGHTS_ALL, ROOT_CNODE), IC_RANGE_ERROR);
    CHECK_EQ(ic_cnode_copy(ROOT_CNODE, d, 63, n, ROOT_DEPTH, IC_RIGHTS_ALL, ROOT_CNODE), IC_FAILED_LOOKUP);
    CHECK_EQ(ic_cnode_copy(ROOT_CNODE, d, ROOT_DEPTH, n, 12, IC_RIGHTS_ALL, ROOT_CNODE), IC_FAILED_LOOKUP);
    /* the root CNode's 52 guard bits are zero: a set bit above the index misses */
    CHECK_EQ(copy(d, n | (1ull << 40), IC_RIGHTS_ALL), IC_FAILED_LOOKUP);
    CHECK_EQ(copy(d | (1ull << 63), n, IC_RIGHTS_ALL), IC_FAILED_LOOKUP);
    /* capabilities that are never copied */
    CHECK_EQ(copy(d, IC_SLOT_IRQ_CONTROL, IC_RIGHTS_ALL), IC_ILLEGAL_OPERATION);
    CHECK_EQ(copy(d, test_untyped, IC_RIGHTS_ALL), IC_ILLEGAL_OPERATION);
    ic_cptr_t pt = alloc_object(IC_OBJ_PAGE_TABLE, 0);
    CHECK(pt);
    CHECK_EQ(copy(d, pt, IC_RIGHTS_ALL), IC_ILLEGAL_OPERATION);
    CHECK(slot_is_empty(d));
    /* nothing above changed the source */
    ic_cptr_t m = alloc_slot();
    CHECK_OK(mint(m, n, IC_RIGHTS_ALL, 1));
    ic_signal(m);
    CHECK_EQ(poll_bits(n), 1);
}

TEST(cnode_mint_sets_badge_and_reduces_rights)
{
    ic_cptr_t n = alloc_object(IC_OBJ_NOTIFICATION, 0);
    ic_cptr_t m = alloc_slot(), ro = alloc_slot(), wo = alloc_slot(), d = alloc_slot();
    CHECK(n);
    CHECK_OK(mint(m, n, IC_RIGHT_READ | IC_RIGHT_WRITE, 0x30));
    ic_signal(m);
    CHECK_EQ(poll_bits(n), 0x30);

    /* read-only: cannot signal; can poll */
    CHECK_OK(mint(ro, n, IC_RIGHT_READ, 0x1));
    CHECK_EQ(syscall_x0(IC_SYS_SEND, ro, 0), IC_INVALID_CAPABILITY);
    ic_signal(ro);
    CHECK_EQ(poll_bits(n), 0);
    ic_signal(m);
    CHECK_EQ(poll_bits(ro), 0x30);

    /* write-only: can signal, cannot poll (and polling consumes nothing) */
    CHECK_OK(mint(wo, n, IC_RIGHT_WRITE, 0x2));
    ic_signal(wo);
    CHECK_EQ(syscall_x0(IC_SYS_NB_RECV, wo, 0), IC_INVALID_CAPABILITY);
    CHECK_EQ(poll_bits(n), 0x2);

    /* rights never grow again through copies */
    CHECK_OK(copy(d, ro, IC_RIGHTS_ALL));
    CHECK_EQ(syscall_x0(IC_SYS_SEND, d, 0), IC_INVALID_CAPABILITY);
    CHECK_EQ(poll_bits(n), 0);

    /* badges: not zero, never replaced, only on endpoints and notifications */
    ic_cptr_t e = alloc_slot();
    CHECK_EQ(mint(e, n, IC_RIGHTS_ALL, 0), IC_ILLEGAL_OPERATION);
    CHECK_EQ(mint(e, m, IC_RIGHTS_ALL, 0x40), IC_ILLEGAL_OPERATION);
    ic_cptr_t f = alloc_object(IC_OBJ_FRAME_4K, 0), tcb = alloc_object(IC_OBJ_TCB, 0);
    CHECK(f && tcb);
    CHECK_EQ(mint(e, f, IC_RIGHTS_ALL, 1), IC_ILLEGAL_OPERATION);
    CHECK_EQ(mint(e, tcb, IC_RIGHTS_ALL, 1), IC_ILLEGAL_OPERATION);
    /* a CNode's "badge" is its guard, which must fit beside its radix */
    CHECK_EQ(mint(e, ROOT_CNODE, IC_RIGHTS_ALL, 51), IC_RANGE_ERROR);
    CHECK_EQ(mint(e, ROOT_CNODE, IC_RIGHTS_ALL, 2 | 4 << 6), IC_RANGE_ERROR);
    CHECK(slot_is_empty(e));
    /* a frame copy without read rights cannot be mapped */
    ic_cptr_t fw = alloc_slot();
    CHECK_OK(copy(fw, f, IC_RIGHT_WRITE));
    CHECK_EQ(map_frame(ROOT_VSPACE, fw, alloc_vaddr(4096, 4096), IC_RIGHTS_ALL, IC_ATTR_CACHED),
             IC_INVALID_ARGUMENT);
}

static void send_thread(ic_word_t ep, ic_word_t value)
{
    ic_set_mr(0, value);
    ic_send(ep, ic_msginfo_new(0x33, 0, 0, 1));
    g_state = 1;
}

TEST(cnode_minted_endpoint_delivers_badge_and_rights)
{
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    ic_cptr_t b = alloc_slot(), ro = alloc_slot(), wo = alloc_slot();
    CHECK(ep);
    CHECK_OK(mint(b, ep, IC_RIGHT_WRITE, 0xbad6e));
    CHECK_OK(copy(ro, ep, IC_RIGHT_READ));
    CHECK_OK(copy(wo, ep, IC_RIGHT_WRITE));
    /* a receive-only capability cannot send, a send-only one cannot receive */
    CHECK_EQ(syscall_x0(IC_SYS_NB_SEND, ro, 0), IC_INVALID_CAPABILITY);
    CHECK_EQ(syscall_x0(IC_SYS_NB_RECV, wo, 0), IC_INVALID_CAPABILITY);
    CHECK_EQ(syscall_x0(IC_SYS_NB_RECV, b, 0), IC_INVALID_CAPABILITY);

    g_state = 0;
    struct thread t;
    CHECK(thread_start(&t, send_thread, b, 0x77, SAME_PRIO, 0));
    ic_word_t badge = 0;
    ic_msginfo_t info = 0;
    for (unsigned i = 0; i < 100 && !info; i++) {
        ic_yield();
        info = ic_nb_recv(ro, &badge);
    }
    CHECK_EQ(ic_msginfo_label(info), 0x33);
    CHECK_EQ(badge, 0xbad6e);
    CHECK_EQ(ic_get_mr(0), 0x77);
    CHECK(yield_until(&g_state, 1));
}

/* ------------------------------------------------------------ move, mutate */

TEST(cnode_move_empties_source_and_keeps_derivation)
{
    ic_cptr_t n = alloc_object(IC_OBJ_NOTIFICATION, 0);
    ic_cptr_t c = alloc_slot(), d = alloc_slot(), m = alloc_slot();
    CHECK(n);
    CHECK_OK(copy(c, n, IC_RIGHTS_ALL));
    CHECK_OK(ic_cnode_move(ROOT_CNODE, d, ROOT_DEPTH, n, ROOT_DEPTH, ROOT_CNODE));
    CHECK(slot_is_empty(n));
    CHECK_EQ(syscall_x0(IC_SYS_NB_RECV, n, 0), IC_INVALID_CAPABILITY);
    /* the moved capability is still the original: it can mint */
    CHECK_OK(mint(m, d, IC_RIGHTS_ALL, 0x9));
    ic_signal(m);
    CHECK_EQ(poll_bits(d), 0x9);
    /* and it is still the parent of the copy made before the move */
    CHECK_OK(revoke(d));
    CHECK(slot_is_empty(c));
    CHECK(slot_is_empty(m));
    CHECK(!slot_is_empty(d));

    /* errors */
    ic_cptr_t occupied = alloc_object(IC_OBJ_ENDPOINT, 0);
    CHECK(occupied);
    CHECK_EQ(ic_cnode_move(ROOT_CNODE, occupied, ROOT_DEPTH, d, ROOT_DEPTH, ROOT_CNODE), IC_DELETE_FIRST);
    CHECK_EQ(ic_cnode_move(ROOT_CNODE, d, ROOT_DEPTH, d, ROOT_DEPTH, ROOT_CNODE), IC_DELETE_FIRST);
    CHECK_EQ(ic_cnode_move(ROOT_CNODE, n, ROOT_DEPTH, c, ROOT_DEPTH, ROOT_CNODE), IC_FAILED_LOOKUP);
    CHECK_EQ(ic_cnode_move(ROOT_CNODE, n, 0, d, ROOT_DEPTH, ROOT_CNODE), IC_RANGE_ERROR);
    CHECK(!slot_is_empty(d));

    /* moving into another CNode and back */
    ic_cptr_t cn = alloc_object(IC_OBJ_CNODE, 3);
    CHECK(cn);
    CHECK_OK(ic_cnode_move(cn, 5, 3, d, ROOT_DEPTH, ROOT_CNODE));
    CHECK(slot_is_empty(d));
    CHECK_OK(ic_cnode_move(ROOT_CNODE, n, ROOT_DEPTH, 5, 3, cn));
    CHECK(slot_is_empty_in(cn, 5, 3));
    CHECK_OK(mint(m, n, IC_RIGHTS_ALL, 0x11));
    ic_signal(m);
    CHECK_EQ(poll_bits(n), 0x11);
}

TEST(cnode_mutate_badges_unbadged_copies)
{
    ic_cptr_t n = alloc_object(IC_OBJ_NOTIFICATION, 0);
    ic_cptr_t c = alloc_slot(), d = alloc_slot(), d2 = alloc_slot(), e = alloc_slot();
    CHECK(n);
    CHECK_OK(copy(c, n, IC_RIGHTS_ALL));
    CHECK_OK(ic_cnode_mutate(ROOT_CNODE, d, ROOT_DEPTH, c, ROOT_DEPTH, 0x8, ROOT_CNODE));
    CHECK(slot_is_empty(c));
    ic_signal(d);
    CHECK_EQ(poll_bits(n), 0x8);

    /* refused: the original, a badged capability, other object types */
    CHECK_EQ(ic_cnode_mutate(ROOT_CNODE, e, ROOT_DEPTH, n, ROOT_DEPTH, 0x1, ROOT_CNODE), IC_ILLEGAL_OPERATION);
    CHECK_EQ(ic_cnode_mutate(ROOT_CNODE, e, ROOT_DEPTH, d, ROOT_DEPTH, 0x1, ROOT_CNODE), IC_ILLEGAL_OPERATION);
    ic_cptr_t f = alloc_object(IC_OBJ_FRAME_4K, 0), fc = alloc_slot();
    CHECK(f);
    CHECK_OK(copy(fc, f, IC_RIGHTS_ALL));
    CHECK_EQ(ic_cnode_mutate(ROOT_CNODE, e, ROOT_DEPTH, fc, ROOT_DEPTH, 0x1, ROOT_CNODE), IC_ILLEGAL_OPERATION);
    CHECK(slot_is_empty(e));
    CHECK(!slot_is_empty(fc));

    /* the mutated capability heads its own badge: revoking it removes its
     * copies only */
    CHECK_OK(copy(d2, d, IC_RIGHTS_ALL));
    CHECK_OK(revoke(d));
    CHECK(slot_is_empty(d2));
    CHECK(!slot_is_empty(d));
    CHECK(!slot_is_empty(n));
    /* and the original's revoke removes the mutated capability */
    CHECK_OK(revoke(n));
    CHECK(slot_is_empty(d));

    /* mutate with badge 0 is a plain move of a copy */
    CHECK_OK(copy(c, n, IC_RIGHTS_ALL));
    CHECK_OK(ic_cnode_mutate(ROOT_CNODE, e, ROOT_DEPTH, c, ROOT_DEPTH, 0, ROOT_CNODE));
    CHECK(slot_is_empty(c));
    CHECK_OK(mint(d, e, IC_RIGHTS_ALL, 0x20)); /* still unbadged: it can be minted */
    ic_signal(d);
    CHECK_EQ(poll_bits(e), 0x20);
}

/* ------------------------------------------------------------ delete, revoke */

TEST(cnode_delete_empties_slot_and_keeps_shared_object)
{
    ic_cptr_t n = alloc_object(IC_OBJ_NOTIFICATION, 0);
    ic_cptr_t m = alloc_slot(), c = alloc_slot();
    CHECK(n);
    CHECK_OK(mint(m, n, IC_RIGHTS_ALL, 0x5));
    CHECK_OK(copy(c, n, IC_RIGHTS_ALL));
    /* delete the original: the object lives on in its copies */
    CHECK_OK(del(n));
    CHECK(slot_is_empty(n));
    ic_signal(m);
    CHECK_EQ(poll_bits(c), 0x5);
    /* deleting an empty slot is fine; bad depths are not */
    CHECK_OK(del(n));
    CHECK_EQ(ic_cnode_delete(ROOT_CNODE, c, 0), IC_RANGE_ERROR);
    CHECK_EQ(ic_cnode_delete(ROOT_CNODE, c, 65), IC_RANGE_ERROR);
    CHECK_EQ(ic_cnode_delete(ROOT_CNODE, c, 32), IC_FAILED_LOOKUP);
    CHECK_EQ(ic_cnode_revoke(ROOT_CNODE, c, 0), IC_RANGE_ERROR);
    CHECK(!slot_is_empty(c));
    CHECK_OK(del(c));
    CHECK_OK(del(m));
    CHECK(slot_is_empty(c));
    CHECK(slot_is_empty(m));
}

TEST(cnode_revoke_original_removes_all_derived)
{
    ic_cptr_t e = alloc_object(IC_OBJ_ENDPOINT, 0);
    ic_cptr_t c1 = alloc_slot(), m = alloc_slot(), m2 = alloc_slot(), nn = alloc_slot(), n2 = alloc_slot();
    ic_cptr_t cc = alloc_slot();
    CHECK(e);
    CHECK_OK(copy(c1, e, IC_RIGHTS_ALL));
    CHECK_OK(mint(m, e, IC_RIGHTS_ALL, 5));
    CHECK_OK(copy(m2, m, IC_RIGHTS_ALL));
    CHECK_OK(mint(nn, c1, IC_RIGHTS_ALL, 6)); /* minted from a copy */
    CHECK_OK(copy(n2, nn, IC_RIGHT_READ));
    CHECK_OK(copy(cc, c1, IC_RIGHTS_ALL));
    CHECK_OK(revoke(e));
    CHECK(slot_is_empty(c1));
    CHECK(slot_is_empty(m));
    CHECK(slot_is_empty(m2));
    CHECK(slot_is_empty(nn));
    CHECK(slot_is_empty(n2));
    CHECK(slot_is_empty(cc));
    CHECK(!slot_is_empty(e));
    ic_word_t badge = 1;
    CHECK_EQ(ic_nb_recv(e, &badge), 0);
    CHECK_EQ(badge, 0);
    /* revoking with nothing below is fine */
    CHECK_OK(revoke(e));
    CHECK_OK(revoke(c1));
}

TEST(cnode_revoke_badged_removes_only_that_badge)
{
    ic_cptr_t n = alloc_object(IC_OBJ_NOTIFICATION, 0);
    ic_cptr_t c1 = alloc_slot(), m = alloc_slot(), m2 = alloc_slot(), m3 = alloc_slot();
    ic_cptr_t nn = alloc_slot(), n2 = alloc_slot(), x = alloc_slot();
    CHECK(n);
    CHECK_OK(copy(c1, n, IC_RIGHTS_ALL));
    CHECK_OK(mint(m, n, IC_RIGHTS_ALL, 0x1));
    CHECK_OK(copy(m2, m, IC_RIGHTS_ALL));
    CHECK_OK(mint(nn, n, IC_RIGHTS_ALL, 0x2));
    CHECK_OK(copy(n2, nn, IC_RIGHTS_ALL));
    CHECK_OK(copy(m3, m2, IC_RIGHTS_ALL)); /* a copy of a copy of m */
    CHECK_OK(mint(x, n, IC_RIGHTS_ALL, 0x1)); /* minted separately, same badge */

    CHECK_OK(revoke(m));
    CHECK(slot_is_empty(m2));
    CHECK(slot_is_empty(m3));
    CHECK(!slot_is_empty(m));
    CHECK(!slot_is_empty(nn));
    CHECK(!slot_is_empty(n2));
    CHECK(!slot_is_empty(c1));
    CHECK(!slot_is_empty(x)); /* not derived from m */
    ic_signal(x);
    ic_signal(n2);
    CHECK_EQ(poll_bits(n), 0x3);

    /* revoking x (the later mint with the same badge) leaves m alone */
    CHECK_OK(revoke(x));
    CHECK(!slot_is_empty(m));
    /* an unbadged copy is nobody's parent */
    CHECK_OK(revoke(c1));
    CHECK(!slot_is_empty(nn));
    CHECK(!slot_is_empty(m));
    /* deleting m keeps its badge-mates minted separately */
    CHECK_OK(del(m));
    ic_signal(x);
    CHECK_EQ(poll_bits(c1), 0x1);
}

static void recv_thread(ic_word_t ep, ic_word_t unused)
{
    (void)unused;
    ic_word_t badge = 12345;
    g_state = 1;
    ic_msginfo_t info = ic_recv(ep, &badge);
    g_result = badge; /* x0: the error */
    g_info = info;
    g_state = 2;
}

static void call_thread(ic_word_t ep, ic_word_t unused)
{
    (void)unused;
    ic_word_t err = 12345;
    g_state = 1;
    ic_msginfo_t info = ic_call(ep, ic_msginfo_new(1, 0, 0, 0), &err);
    g_result = err;
    g_info = info;
    g_state = 2;
}

static void wait_thread(ic_word_t ntfn, ic_word_t unused)
{
    (void)unused;
    ic_word_t bits = 12345;
    g_state = 1;
    ic_msginfo_t info = ic_wait(ntfn, &bits);
    g_result = bits;
    g_info = info;
    g_state = 2;
}

/* Start fn(obj) at the root's priority, let it block, delete a copy (no
 * effect), then the last capability: the thread wakes with an error. */
static void check_last_delete_wakes(thread_fn fn, ic_word_t type)
{
    ic_cptr_t obj = alloc_object(type, 0), c = alloc_slot();
    CHECK(obj);
    CHECK_OK(copy(c, obj, IC_RIGHTS_ALL));
    g_state = 0;
    g_result = g_info = 77;
    struct thread t;
    CHECK(thread_start(&t, fn, obj, 0, SAME_PRIO, 0));
    CHECK(yield_until(&g_state, 1));
    yield_n(3);
    CHECK_EQ(g_state, 1); /* blocked */
    CHECK_OK(del(c));
    yield_n(3);
    CHECK_EQ(g_state, 1); /* still blocked: the object lives on */
    CHECK_OK(del(obj));
    CHECK(yield_until(&g_state, 2));
    CHECK_EQ(g_result, IC_INVALID_CAPABILITY);
    CHECK_EQ(g_info, 0);
}

TEST(cnode_deleting_last_endpoint_cap_wakes_receiver)
{
    check_last_delete_wakes(recv_thread, IC_OBJ_ENDPOINT);
}

TEST(cnode_deleting_last_endpoint_cap_wakes_caller)
{
    check_last_delete_wakes(call_thread, IC_OBJ_ENDPOINT);
}

TEST(cnode_deleting_last_notification_cap_wakes_waiter)
{
    check_last_delete_wakes(wait_thread, IC_OBJ_NOTIFICATION);
}

TEST(cnode_revoke_original_endpoint_keeps_blocked_thread_waiting)
{
    /* the thread waits through a badged copy; revoke deletes that copy but
     * not the object, so the thread keeps waiting and a message reaches it */
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0), b = alloc_slot();
    CHECK(ep);
    CHECK_OK(mint(b, ep, IC_RIGHTS_ALL, 0x42));
    g_state = 0;
    struct thread t;
    CHECK(thread_start(&t, recv_thread, b, 0, SAME_PRIO, 0));
    CHECK(yield_until(&g_state, 1));
    CHECK_OK(revoke(ep));
    CHECK(slot_is_empty(b));
    yield_n(3);
    CHECK_EQ(g_state, 1);
    ic_nb_send(ep, ic_msginfo_new(9, 0, 0, 0));
    CHECK(yield_until(&g_state, 2));
    CHECK_EQ(ic_msginfo_label(g_info), 9);
    CHECK_EQ(g_result, 0); /* the root's capability is unbadged */
}

/* ------------------------------------------------------------ destruction */

static volatile ic_word_t g_count1, g_count2;

static void count_thread(ic_word_t which, ic_word_t unused)
{
    (void)unused;
    volatile ic_word_t *c = which == 1 ? &g_count1 : &g_count2;
    for (;;) {
        (*c)++;
        ic_yield();
    }
}

TEST(cnode_revoke_untyped_destroys_running_thread)
{
    /* thread 2 is made from the test's region; thread 1 entirely from a
     * child region, which is then revoked */
    g_count1 = g_count2 = 0;
    struct thread t1, t2;
    CHECK(thread_start(&t2, count_thread, 2, 0, SAME_PRIO, 0));
    ic_cptr_t ut = alloc_object(IC_OBJ_UNTYPED, 18);
    CHECK(ut);
    ic_cptr_t saved = test_untyped;
    test_untyped = ut;
    bool ok = thread_start(&t1, count_thread, 1, 0, SAME_PRIO, 0);
    test_untyped = saved;
    CHECK(ok);
    yield_n(5);
    CHECK(g_count1 > 0);
    CHECK(g_count2 > 0);
    CHECK_OK(revoke(ut));
    CHECK(slot_is_empty(t1.tcb));
    ic_word_t c1 = g_count1, c2 = g_count2;
    yield_n(10);
    CHECK_EQ(g_count1, c1);    /* gone */
    CHECK(g_count2 >= c2 + 5); /* unaffected */
    CHECK_OK(ic_tcb_suspend(t2.tcb));
    c2 = g_count2;
    yield_n(3);
    CHECK_EQ(g_count2, c2);
}

/* A thread whose CSpace is a small CNode; it waits on the notification in
 * its slot 0 and reports what its wait returned. */
static void cspace_wait_thread(ic_word_t unused0, ic_word_t unused1)
{
    (void)unused0;
    (void)unused1;
    ic_word_t bits = 12345;
    g_state = 1;
    ic_wait(0, &bits);
    g_result = bits;
    g_state = 2;
    for (;;)
        ic_yield();
}

/* Start cspace_wait_thread with CSpace 'cn' (radix 2, no guard needed
 * beyond 62 zero bits). */
static bool start_in_cspace(struct thread *t, ic_cptr_t cn)
{
    if (!thread_create(t, cspace_wait_thread, 0, 0, SAME_PRIO, 0))
        return false;
    if (ic_tcb_configure(t->tcb, IC_WORD_BITS - 2, (ic_word_t)t->ipc, 0, cn, ROOT_VSPACE, t->ipc_frame) != IC_OK)
        return false;
    return ic_tcb_resume(t->tcb) == IC_OK;
}

TEST(cnode_delete_cnode_destroys_its_contents)
{
    ic_cptr_t cn = alloc_object(IC_OBJ_CNODE, 2);
    ic_cptr_t n = alloc_object(IC_OBJ_NOTIFICATION, 0);
    CHECK(cn && n);
    CHECK_OK(ic_cnode_move(cn, 0, 2, n, ROOT_DEPTH, ROOT_CNODE)); /* the only capability to it */
    g_state = 0;
    g_result = 0;
    struct thread t;
    CHECK(start_in_cspace(&t, cn));
    CHECK(yield_until(&g_state, 1));
    yield_n(2);
    CHECK_EQ(g_state, 1);
    /* revoke removes the thread's CSpace copy; the CNode lives on */
    CHECK_OK(revoke(cn));
    yield_n(3);
    CHECK_EQ(g_state, 1);
    /* deleting the last capability destroys the CNode and the notification
     * in it; the waiter retries and finds no CSpace at all */
    CHECK_OK(del(cn));
    CHECK(yield_until(&g_state, 2));
    CHECK_EQ(g_result, IC_FAILED_LOOKUP);
    CHECK_OK(ic_tcb_suspend(t.tcb));
}

TEST(cnode_revoke_destroys_cnode_holding_its_own_cap)
{
    ic_cptr_t ut = alloc_object(IC_OBJ_UNTYPED, 16);
    CHECK(ut);
    ic_cptr_t cn = alloc_slot(), n = alloc_slot();
    CHECK_OK(ic_untyped_retype(ut, IC_OBJ_CNODE, 2, ROOT_CNODE, ROOT_DEPTH, cn, 1, ROOT_CNODE));
    CHECK_OK(ic_untyped_retype(ut, IC_OBJ_NOTIFICATION, 0, ROOT_CNODE, ROOT_DEPTH, n, 1, ROOT_CNODE));
    CHECK_OK(ic_cnode_move(cn, 0, 2, n, ROOT_DEPTH, ROOT_CNODE));
    CHECK_OK(ic_cnode_copy(cn, 1, 2, cn, ROOT_DEPTH, IC_RIGHTS_ALL, ROOT_CNODE)); /* itself */
    CHECK_OK(ic_cnode_copy(cn, 3, 2, cn, ROOT_DEPTH, IC_RIGHTS_ALL, ROOT_CNODE)); /* twice */
    g_state = 0;
    g_result = 0;
    struct thread t;
    CHECK(start_in_cspace(&t, cn));
    CHECK(yield_until(&g_state, 1));
    /* the root's own capability goes; the CNode only holds itself now */
    CHECK_OK(del(cn));
    yield_n(3);
    CHECK_EQ(g_state, 1);
    CHECK_OK(revoke(ut));
    CHECK(yield_until(&g_state, 2));
    CHECK_EQ(g_result, IC_FAILED_LOOKUP);
    CHECK_OK(ic_tcb_suspend(t.tcb));
    /* everything made from the region is gone: all of it is free again */
    ic_cptr_t first = alloc_slots(16);
    CHECK(first);
    CHECK_OK(ic_untyped_retype(ut, IC_OBJ_FRAME_4K, 0, ROOT_CNODE, ROOT_DEPTH, first, 16, ROOT_CNODE));
}

TEST(cnode_revoke_untyped_kept_inside_its_own_child_cnode)
{
    /* the untyped moves into a CNode made from it; revoking it destroys
     * that CNode, and with it the very slot the revoke was invoked on */
    ic_cptr_t ut = alloc_object(IC_OBJ_UNTYPED, 16);
    CHECK(ut);
    ic_cptr_t cn = alloc_slot(), ep = alloc_slot();
    CHECK_OK(ic_untyped_retype(ut, IC_OBJ_CNODE, 2, ROOT_CNODE, ROOT_DEPTH, cn, 1, ROOT_CNODE));
    CHECK_OK(ic_untyped_retype(ut, IC_OBJ_ENDPOINT, 0, ROOT_CNODE, ROOT_DEPTH, ep, 1, ROOT_CNODE));
    /* slot 2: the CNode's slots 1 and 0 are still to be emptied after it */
    CHECK_OK(ic_cnode_move(cn, 2, 2, ut, ROOT_DEPTH, ROOT_CNODE));
    CHECK(slot_is_empty(ut));
    CHECK(!slot_is_empty_in(cn, 2, 2));
    CHECK_OK(ic_cnode_revoke(cn, 2, 2));
    CHECK(slot_is_empty(cn));
    CHECK(slot_is_empty(ep));
    /* the rest of the test's region is unharmed */
    ic_cptr_t n = alloc_object(IC_OBJ_NOTIFICATION, 0), m = alloc_slot();
    CHECK(n);
    CHECK_OK(mint(m, n, IC_RIGHTS_ALL, 0x6));
    ic_signal(m);
    CHECK_EQ(poll_bits(n), 0x6);
}

/* ------------------------------------------------------------ lookup */

TEST(cnode_operations_on_deleted_caps)
{
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0), tcb = alloc_object(IC_OBJ_TCB, 0);
    ic_cptr_t d = alloc_slot();
    CHECK(ep && tcb);
    CHECK_OK(del(ep));
    CHECK_OK(del(tcb));
    /* system calls and invocations on an empty slot */
    CHECK_EQ(syscall_x0(IC_SYS_NB_SEND, ep, 0), IC_INVALID_CAPABILITY);
    CHECK_EQ(syscall_x0(IC_SYS_NB_RECV, ep, 0), IC_INVALID_CAPABILITY);
    CHECK_EQ(ic_tcb_suspend(tcb), IC_INVALID_CAPABILITY);
    CHECK_EQ(ic_tcb_suspend(IC_SLOT_NULL), IC_INVALID_CAPABILITY);
    /* CNode operations with an empty source */
    CHECK_EQ(copy(d, ep, IC_RIGHTS_ALL), IC_FAILED_LOOKUP);
    CHECK_EQ(mint(d, ep, IC_RIGHTS_ALL, 1), IC_FAILED_LOOKUP);
    CHECK_EQ(ic_cnode_move(ROOT_CNODE, d, ROOT_DEPTH, ep, ROOT_DEPTH, ROOT_CNODE), IC_FAILED_LOOKUP);
    CHECK_EQ(ic_cnode_mutate(ROOT_CNODE, d, ROOT_DEPTH, ep, ROOT_DEPTH, 1, ROOT_CNODE), IC_FAILED_LOOKUP);
    CHECK_OK(revoke(ep));
    CHECK_OK(del(ep));
    CHECK(slot_is_empty(d));
    /* the slot can be used again */
    CHECK_OK(ic_untyped_retype(test_untyped, IC_OBJ_NOTIFICATION, 0, ROOT_CNODE, ROOT_DEPTH, ep, 1, ROOT_CNODE));
    CHECK_EQ(syscall_x0(IC_SYS_NB_RECV, ep, 0), 0);
    /* capability pointers beyond the root CNode fail the guard */
    CHECK_EQ(ic_tcb_suspend(1ull << IC_ROOT_CNODE_BITS), IC_FAILED_LOOKUP);
    CHECK_EQ(ic_tcb_suspend(ROOT_TCB | (1ull << 63)), IC_FAILED_LOOKUP);
    CHECK_EQ(syscall_x0(IC_SYS_NB_RECV, ep | (1ull << 20), 0), IC_FAILED_LOOKUP);
}

TEST(cnode_multi_level_lookup_by_depth)
{
    /* X (radix 4) in the root; Y (radix 2) in X's slot 3. Invoking X, an
     * index of 4 bits names X's slots, 6 bits go on into Y. */
    ic_cptr_t x = alloc_object(IC_OBJ_CNODE, 4), y = alloc_object(IC_OBJ_CNODE, 2);
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0), m = alloc_slot();
    CHECK(x && y && ep);
    CHECK_OK(mint(m, ep, IC_RIGHTS_ALL, 0x71));
    CHECK_OK(ic_cnode_copy(x, 3, 4, y, ROOT_DEPTH, IC_RIGHTS_ALL, ROOT_CNODE));
    CHECK_OK(ic_cnode_copy(x, (3 << 2) | 1, 6, m, ROOT_DEPTH, IC_RIGHTS_ALL, ROOT_CNODE));
    /* visible directly in Y */
    CHECK(!slot_is_empty_in(y, 1, 2));
    CHECK(slot_is_empty_in(y, 0, 2));
    /* and back out through X with depth 6 */
    ic_cptr_t back = alloc_slot();
    CHECK_OK(ic_cnode_copy(ROOT_CNODE, back, ROOT_DEPTH, (3 << 2) | 1, 6, IC_RIGHTS_ALL, x));
    CHECK_EQ(ic_cnode_mint(ROOT_CNODE, alloc_slot(), ROOT_DEPTH, back, ROOT_DEPTH, IC_RIGHTS_ALL, 1, ROOT_CNODE),
             IC_ILLEGAL_OPERATION); /* it is the badged copy */
    /* depth 4 names X's slot 3 itself: the CNode capability to Y */
    ic_cptr_t ycap = alloc_slot();
    CHECK_OK(ic_cnode_copy(ROOT_CNODE, ycap, ROOT_DEPTH, 3, 4, IC_RIGHTS_ALL, x));
    CHECK(!slot_is_empty_in(ycap, 1, 2));
    /* depths that end inside a level, or go past the last one */
    ic_cptr_t d = alloc_slot();
    CHECK_EQ(ic_cnode_copy(ROOT_CNODE, d, ROOT_DEPTH, (3 << 1), 5, IC_RIGHTS_ALL, x), IC_FAILED_LOOKUP);
    CHECK_EQ(ic_cnode_copy(ROOT_CNODE, d, ROOT_DEPTH, (3 << 3) | 2, 7, IC_RIGHTS_ALL, x), IC_FAILED_LOOKUP);
    CHECK_EQ(ic_cnode_copy(ROOT_CNODE, d, ROOT_DEPTH, 3, 3, IC_RIGHTS_ALL, x), IC_FAILED_LOOKUP);
    /* an index through a slot that is not a CNode */
    CHECK_EQ(ic_cnode_copy(ROOT_CNODE, d, ROOT_DEPTH, (2 << 2) | 1, 6, IC_RIGHTS_ALL, x), IC_FAILED_LOOKUP);
    CHECK(slot_is_empty(d));
    /* retype into Y through X: node_index 3 at depth 4 names Y */
    CHECK_OK(ic_untyped_retype(test_untyped, IC_OBJ_NOTIFICATION, 0, 3, 4, 2, 2, x));
    CHECK(!slot_is_empty_in(x, (3 << 2) | 2, 6));
    CHECK(!slot_is_empty_in(y, 3, 2));
    /* delete and revoke through two levels */
    CHECK_OK(ic_cnode_delete(x, (3 << 2) | 1, 6));
    CHECK(slot_is_empty_in(y, 1, 2));
    CHECK_OK(ic_cnode_revoke(x, (3 << 2) | 2, 6));
    /* move between levels */
    CHECK_OK(ic_cnode_move(x, 0, 4, (3 << 2) | 3, 6, x));
    CHECK(slot_is_empty_in(y, 3, 2));
    CHECK(!slot_is_empty_in(x, 0, 4));
}

static volatile ic_word_t g_cptrs[8], g_errs[8], g_addrs[8];

/* Look up frames through a guarded CSpace; report errors and addresses. */
static void guarded_lookup_thread(ic_word_t n, ic_word_t self)
{
    for (ic_word_t i = 0; i < n; i++) {
        ic_word_t paddr = 99; /* stays so when the lookup fails */
        g_errs[i] = ic_frame_get_address(g_cptrs[i], &paddr);
        g_addrs[i] = paddr;
    }
    g_state = 1;
    g_result = ic_tcb_suspend(self); /* does not return if it works */
    g_state = 2;
    for (;;)
        ic_yield();
}

TEST(cnode_guarded_cspace_two_level_lookup)
{
    /* A thread whose CSpace is the root CNode with a guard G of GB bits:
     * the root level takes 60 bits (guard + root index bits), the remaining
     * 4 bits index a radix-4 CNode stored in the root CNode. */
    const ic_word_t G = 0xabcdef, GB = 60 - IC_ROOT_CNODE_BITS;
    ic_cptr_t x = alloc_object(IC_OBJ_CNODE, 4), y = alloc_object(IC_OBJ_CNODE, 2);
    ic_cptr_t f1 = alloc_object(IC_OBJ_FRAME_4K, 0), f2 = alloc_object(IC_OBJ_FRAME_4K, 0);
    CHECK(x && y && f1 && f2);
    CHECK_OK(ic_cnode_copy(x, 2, 4, f2, ROOT_DEPTH, IC_RIGHTS_ALL, ROOT_CNODE));
    CHECK_OK(ic_cnode_copy(x, 7, 4, y, ROOT_DEPTH, IC_RIGHTS_ALL, ROOT_CNODE));
    struct thread t;
    CHECK(thread_create(&t, guarded_lookup_thread, 0, 0, SAME_PRIO, 0));
    ic_word_t top = G << (IC_ROOT_CNODE_BITS + 4);
    g_cptrs[0] = top | (f1 << 4);           /* a root slot: the walk stops there */
    g_cptrs[1] = top | (x << 4) | 2;        /* slot 2 of X */
    g_cptrs[2] = ((G ^ 1) << (IC_ROOT_CNODE_BITS + 4)) | (x << 4) | 2; /* wrong guard */
    g_cptrs[3] = top | (x << 4) | 5;        /* an empty slot of X */
    g_cptrs[4] = f1;                        /* a plain slot index: guard mismatch */
    g_cptrs[5] = top | (x << 4) | 7;        /* the CNode Y itself: not a frame */
    g_cptrs[6] = top | (f1 << 4) | 0xf;     /* bits left after a leaf are ignored */
    for (unsigned i = 0; i < 8; i++)
        g_errs[i] = g_addrs[i] = 99;
    g_state = 0;
    ic_user_context_t regs;
    CHECK_OK(ic_tcb_read_registers(t.tcb, false, IC_REG_COUNT, &regs));
    regs.regs[IC_REG_PC] = (ic_word_t)guarded_lookup_thread;
    regs.regs[IC_REG_X0 + 0] = 7;
    regs.regs[IC_REG_X0 + 1] = top | (t.tcb << 4);
    CHECK_OK(ic_tcb_write_registers(t.tcb, false, IC_REG_COUNT, &regs));
    /* cspace_guard: guard size in bits 0..5, the guard above */
    CHECK_EQ(ic_tcb_configure(t.tcb, (G << 6) | 60, (ic_word_t)t.ipc, 0, ROOT_CNODE, ROOT_VSPACE, t.ipc_frame),
             IC_RANGE_ERROR); /* 60 + root index bits > 64 */
    CHECK_EQ(ic_tcb_configure(t.tcb, (1ull << (GB + 1) << 6) | GB, (ic_word_t)t.ipc, 0, ROOT_CNODE, ROOT_VSPACE,
                              t.ipc_frame),
             IC_RANGE_ERROR); /* guard wider than its size */
    CHECK_OK(ic_tcb_configure(t.tcb, (G << 6) | GB, (ic_word_t)t.ipc, 0, ROOT_CNODE, ROOT_VSPACE, t.ipc_frame));
    CHECK_OK(ic_tcb_resume(t.tcb));
    CHECK(yield_until(&g_state, 1));
    CHECK_EQ(g_errs[0], IC_OK);
    CHECK_EQ(g_addrs[0], frame_address(f1));
    CHECK_EQ(g_errs[1], IC_OK);
    CHECK_EQ(g_addrs[1], frame_address(f2));
    CHECK_EQ(g_errs[2], IC_FAILED_LOOKUP);
    CHECK_EQ(g_errs[3], IC_INVALID_CAPABILITY);
    CHECK_EQ(g_errs[4], IC_FAILED_LOOKUP);
    CHECK_EQ(g_errs[5], IC_INVALID_CAPABILITY);
    for (unsigned i = 2; i <= 5; i++)
        CHECK_EQ(g_addrs[i], 99); /* a failed invocation writes no result */
    CHECK_EQ(g_errs[6], IC_OK);
    CHECK_EQ(g_addrs[6], frame_address(f1));
    /* the thread suspended itself through its guarded CPtr */
    yield_n(3);
    CHECK_EQ(g_state, 1);
}

TEST(revoke_of_thousands_of_objects_completes)
{
    /* long enough that timer interrupts arrive during the revoke, which
     * then stops at a preemption point and is resumed by the restarted call */
    ic_cptr_t cn = alloc_object(IC_OBJ_CNODE, 12);
    ic_cptr_t ut = alloc_slot();
    CHECK(cn && ut);
    CHECK_OK(ic_untyped_retype(test_untyped, IC_OBJ_UNTYPED, 20, ROOT_CNODE, ROOT_DEPTH, ut, 1, ROOT_CNODE));
    for (ic_word_t i = 0; i < 16; i++)
        CHECK_OK(ic_untyped_retype(ut, IC_OBJ_NOTIFICATION, 0, cn, ROOT_DEPTH, i * 256, 256, ROOT_CNODE));
    ic_cptr_t probe = alloc_slot();
    CHECK(probe);
    CHECK_OK(ic_cnode_copy(ROOT_CNODE, probe, ROOT_DEPTH, 0, 12, IC_RIGHTS_ALL, cn));
    CHECK_OK(ic_cnode_delete(ROOT_CNODE, probe, ROOT_DEPTH));
    CHECK_OK(ic_cnode_revoke(ROOT_CNODE, ut, ROOT_DEPTH));
    for (ic_word_t i = 0; i < 4096; i += 273)
        CHECK_EQ(ic_cnode_copy(ROOT_CNODE, probe, ROOT_DEPTH, i, 12, IC_RIGHTS_ALL, cn), IC_FAILED_LOOKUP);
    /* the memory is free again: the same retypes succeed */
    for (ic_word_t i = 0; i < 16; i++)
        CHECK_OK(ic_untyped_retype(ut, IC_OBJ_NOTIFICATION, 0, cn, ROOT_DEPTH, i * 256, 256, ROOT_CNODE));
}

TEST(delete_of_a_long_cnode_chain_needs_no_recursion)
{
    /* CNode k holds the only capability to CNode k+1; deleting the first
     * destroys all of them, each Zombie waiting on the next one */
    enum { DEPTH = 200 };
    ic_cptr_t first = alloc_object(IC_OBJ_CNODE, 1);
    CHECK(first);
    ic_cptr_t parent = first, copies[DEPTH];
    for (int k = 0; k < DEPTH; k++) {
        ic_cptr_t next = alloc_object(IC_OBJ_CNODE, 1);
        copies[k] = alloc_slot();
        CHECK(next && copies[k]);
        CHECK_OK(ic_cnode_move(parent, 0, 1, next, ROOT_DEPTH, ROOT_CNODE));
        /* a copy to reach the new node with; deleted below */
        CHECK_OK(ic_cnode_copy(ROOT_CNODE, copies[k], ROOT_DEPTH, 0, 1, IC_RIGHTS_ALL, parent));
        parent = copies[k];
    }
    for (int k = 0; k < DEPTH; k++)
        CHECK_OK(ic_cnode_delete(ROOT_CNODE, copies[k], ROOT_DEPTH));
    CHECK_OK(ic_cnode_delete(ROOT_CNODE, first, ROOT_DEPTH));
    /* every CNode is gone, so the test's region has no children and the
     * whole of it can be retyped in one piece */
    ic_cptr_t whole = alloc_slot();
    CHECK(whole);
    CHECK_OK(ic_untyped_retype(test_untyped, IC_OBJ_UNTYPED, test_untyped_bits, ROOT_CNODE, ROOT_DEPTH, whole, 1,
                               ROOT_CNODE));
}

/* A CNode made at run time gets a guard through mint (or mutate), so its
 * owner can name its slots by index with depth 64, as the root task does:
 * the way the loader builds each component's CSpace. */
TEST(cnode_mint_sets_the_guard_of_a_new_cnode)
{
    ic_cptr_t cn = alloc_object(IC_OBJ_CNODE, 4), guarded = alloc_slot(), moved = alloc_slot();
    ic_cptr_t n = alloc_object(IC_OBJ_NOTIFICATION, 0);
    CHECK(cn && n);
    /* without a guard, depth 64 is too deep for 4 bits of radix */
    CHECK((ic_cnode_copy(cn, 3, 64, n, ROOT_DEPTH, IC_RIGHTS_ALL, ROOT_CNODE)) != IC_OK);
    CHECK_OK(mint(guarded, cn, IC_RIGHTS_ALL, 60));
    CHECK_OK(ic_cnode_copy(guarded, 3, 64, n, ROOT_DEPTH, IC_RIGHTS_ALL, ROOT_CNODE));
    CHECK(!slot_is_empty_in(cn, 3, 4));
    /* a guard with a value: the index must carry it in its top bits */
    ic_cptr_t valued = alloc_slot();
    CHECK_OK(mint(valued, cn, IC_RIGHTS_ALL, 60 | 0x5ull << 6));
    CHECK((ic_cnode_delete(valued, 3, 64)) != IC_OK);
    CHECK_OK(ic_cnode_delete(valued, 0x5ull << 4 | 3, 64));
    CHECK(slot_is_empty_in(cn, 3, 4));
    /* mutate sets it while moving */
    CHECK_OK(ic_cnode_mutate(ROOT_CNODE, moved, ROOT_DEPTH, guarded, ROOT_DEPTH, 60, ROOT_CNODE));
    CHECK(slot_is_empty(guarded));
    CHECK_OK(ic_cnode_copy(moved, 7, 64, n, ROOT_DEPTH, IC_RIGHTS_ALL, ROOT_CNODE));
    CHECK_EQ(ic_cnode_mutate(ROOT_CNODE, guarded, ROOT_DEPTH, moved, ROOT_DEPTH, 61, ROOT_CNODE), IC_RANGE_ERROR);
}
