/* Thread control blocks: configure, priorities, registers, suspend and
 * resume, CPU affinity and destruction of running threads. */
#include "test.h"

#define GUARD (IC_WORD_BITS - IC_ROOT_CNODE_BITS)

static volatile ic_word_t counter;
static volatile ic_word_t t_log[8];

static void reset_shared(void)
{
    counter = 0;
    for (unsigned i = 0; i < 8; i++)
        t_log[i] = 0;
}

static void count_forever(ic_word_t unused0, ic_word_t unused1)
{
    (void)unused0;
    (void)unused1;
    for (;;)
        counter++;
}

/* Does the counter stay still for 'ms' milliseconds? */
static bool counter_stays(unsigned ms)
{
    return !spin_until_changed(&counter, counter, ms);
}

/* ------------------------------------------------------------ configure */

static void udf_then_log(ic_word_t unused0, ic_word_t unused1)
{
    (void)unused0;
    (void)unused1;
    __asm__ volatile("udf #0");
    t_log[0] = 1;
}

TEST(tcb_configure_rejects_wrong_cap_types)
{
    reset_shared();
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    ic_cptr_t ntfn = alloc_object(IC_OBJ_NOTIFICATION, 0);
    ic_cptr_t empty = alloc_slot();
    CHECK(ep && ntfn && empty);
    struct thread t;
    CHECK(thread_create(&t, udf_then_log, 0, 0, 100, ep));
    ic_word_t buf = (ic_word_t)t.ipc;
    /* cspace must be a CNode */
    CHECK_EQ(ic_tcb_configure(t.tcb, GUARD, buf, ep, ep, ROOT_VSPACE, t.ipc_frame), IC_INVALID_CAPABILITY);
    CHECK_EQ(ic_tcb_configure(t.tcb, GUARD, buf, ep, empty, ROOT_VSPACE, t.ipc_frame), IC_INVALID_CAPABILITY);
    /* vspace must be a VSpace */
    CHECK_EQ(ic_tcb_configure(t.tcb, GUARD, buf, ep, ROOT_CNODE, ROOT_CNODE, t.ipc_frame), IC_INVALID_CAPABILITY);
    CHECK_EQ(ic_tcb_configure(t.tcb, GUARD, buf, ep, ROOT_CNODE, empty, t.ipc_frame), IC_INVALID_CAPABILITY);
    /* the fault endpoint must be an endpoint (or nothing) */
    CHECK_EQ(ic_tcb_configure(t.tcb, GUARD, buf, ntfn, ROOT_CNODE, ROOT_VSPACE, t.ipc_frame), IC_INVALID_CAPABILITY);
    CHECK_EQ(ic_tcb_configure(t.tcb, GUARD, buf, ROOT_TCB, ROOT_CNODE, ROOT_VSPACE, t.ipc_frame),
             IC_INVALID_CAPABILITY);
    /* the IPC buffer must be a frame (or nothing) */
    CHECK_EQ(ic_tcb_configure(t.tcb, GUARD, buf, ep, ROOT_CNODE, ROOT_VSPACE, ep), IC_INVALID_CAPABILITY);
    /* only TCBs can be configured */
    CHECK_EQ(ic_tcb_configure(ROOT_VSPACE, GUARD, buf, ep, ROOT_CNODE, ROOT_VSPACE, t.ipc_frame), IC_INVALID_CAPABILITY);
    /* nothing changed: the thread still has its fault endpoint */
    CHECK_OK(ic_tcb_resume(t.tcb));
    ic_msginfo_t info = ic_recv(ep, NULL);
    CHECK_EQ(ic_msginfo_label(info), IC_FAULT_USER_EXCEPTION);
}

TEST(tcb_configure_rejects_bad_fault_ep_rights)
{
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    ic_cptr_t tcb = alloc_object(IC_OBJ_TCB, 0);
    CHECK(ep && tcb);
    ic_cptr_t ro = copy_with_rights(ep, IC_RIGHT_READ | IC_RIGHT_GRANT);
    CHECK(ro);
    /* a fault is a send: the endpoint capability needs WRITE */
    CHECK_EQ(ic_tcb_configure(tcb, GUARD, 0, ro, ROOT_CNODE, ROOT_VSPACE, 0), IC_INVALID_CAPABILITY);
    CHECK_OK(ic_tcb_configure(tcb, GUARD, 0, ep, ROOT_CNODE, ROOT_VSPACE, 0));
}

TEST(tcb_configure_checks_ipc_buffer)
{
    ic_cptr_t tcb = alloc_object(IC_OBJ_TCB, 0);
    ic_cptr_t frame;
    void *page = alloc_page(&frame);
    CHECK(tcb && page);
    ic_word_t va = (ic_word_t)page;
    const ic_word_t bad[] = { 8, 512, 1000, 1024 + 16, 4095 };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK_EQ(ic_tcb_configure(tcb, GUARD, va + bad[i], 0, ROOT_CNODE, ROOT_VSPACE, frame), IC_ALIGNMENT_ERROR);
    CHECK_OK(ic_tcb_configure(tcb, GUARD, va + 1024, 0, ROOT_CNODE, ROOT_VSPACE, frame));
    CHECK_OK(ic_tcb_configure(tcb, GUARD, va, 0, ROOT_CNODE, ROOT_VSPACE, frame));
    /* the buffer must be writable */
    ic_cptr_t ro = copy_with_rights(frame, IC_RIGHT_READ);
    CHECK(ro);
    CHECK_EQ(ic_tcb_configure(tcb, GUARD, va, 0, ROOT_CNODE, ROOT_VSPACE, ro), IC_INVALID_CAPABILITY);
    /* without a frame the address does not matter */
    CHECK_OK(ic_tcb_configure(tcb, GUARD, va + 8, 0, ROOT_CNODE, ROOT_VSPACE, 0));
}

TEST(tcb_configure_checks_cspace_guard)
{
    ic_cptr_t tcb = alloc_object(IC_OBJ_TCB, 0);
    CHECK(tcb);
    /* 53 guard bits + 12 radix bits > 64 */
    CHECK_EQ(ic_tcb_configure(tcb, GUARD + 1, 0, 0, ROOT_CNODE, ROOT_VSPACE, 0), IC_RANGE_ERROR);
    /* a guard value wider than its size */
    CHECK_EQ(ic_tcb_configure(tcb, (ic_word_t)4 << 6 | 2, 0, 0, ROOT_CNODE, ROOT_VSPACE, 0), IC_RANGE_ERROR);
    CHECK_OK(ic_tcb_configure(tcb, (ic_word_t)3 << 6 | 2, 0, 0, ROOT_CNODE, ROOT_VSPACE, 0));
    CHECK_OK(ic_tcb_configure(tcb, GUARD, 0, 0, ROOT_CNODE, ROOT_VSPACE, 0));
}

/* ------------------------------------------------------------ priorities */

TEST(tcb_set_priority_checks_authority)
{
    ic_cptr_t t = alloc_object(IC_OBJ_TCB, 0);
    ic_cptr_t auth = alloc_object(IC_OBJ_TCB, 0);
    ic_cptr_t fresh = alloc_object(IC_OBJ_TCB, 0);
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    CHECK(t && auth && fresh && ep);
    CHECK_EQ(ic_tcb_set_priority(t, 256, ROOT_TCB), IC_RANGE_ERROR);
    CHECK_EQ(ic_tcb_set_priority(t, ~(ic_word_t)0, ROOT_TCB), IC_RANGE_ERROR);
    CHECK_OK(ic_tcb_set_priority(t, 255, ROOT_TCB));
    CHECK_OK(ic_tcb_set_max_priority(auth, 100, ROOT_TCB));
    CHECK_EQ(ic_tcb_set_priority(t, 101, auth), IC_RANGE_ERROR);
    CHECK_OK(ic_tcb_set_priority(t, 100, auth));
    CHECK_OK(ic_tcb_set_priority(t, 0, auth));
    /* a new TCB has maximum priority 0 */
    CHECK_EQ(ic_tcb_set_priority(t, 1, fresh), IC_RANGE_ERROR);
    CHECK_OK(ic_tcb_set_priority(t, 0, fresh));
    /* the authority must be a TCB */
    CHECK_EQ(ic_tcb_set_priority(t, 1, ep), IC_INVALID_CAPABILITY);
    CHECK_EQ(ic_tcb_set_priority(ROOT_CNODE, 1, ROOT_TCB), IC_INVALID_CAPABILITY);
}

TEST(tcb_set_max_priority_checks_authority)
{
    ic_cptr_t a = alloc_object(IC_OBJ_TCB, 0);
    ic_cptr_t b = alloc_object(IC_OBJ_TCB, 0);
    ic_cptr_t t = alloc_object(IC_OBJ_TCB, 0);
    CHECK(a && b && t);
    CHECK_EQ(ic_tcb_set_max_priority(a, 256, ROOT_TCB), IC_RANGE_ERROR);
    CHECK_OK(ic_tcb_set_max_priority(a, 100, ROOT_TCB));
    /* no more than the authority's own maximum */
    CHECK_EQ(ic_tcb_set_max_priority(b, 150, a), IC_RANGE_ERROR);
    CHECK_OK(ic_tcb_set_max_priority(b, 100, a));
    CHECK_OK(ic_tcb_set_priority(t, 100, b));
    CHECK_EQ(ic_tcb_set_priority(t, 101, b), IC_RANGE_ERROR);
    /* a thread may lower its own maximum, and then it is lower */
    CHECK_OK(ic_tcb_set_max_priority(a, 10, a));
    CHECK_EQ(ic_tcb_set_priority(t, 50, a), IC_RANGE_ERROR);
    CHECK_OK(ic_tcb_set_priority(t, 10, a));
    CHECK_EQ(ic_tcb_set_max_priority(b, 11, a), IC_RANGE_ERROR);
}

/* ------------------------------------------------------------ registers */

TEST(tcb_registers_round_trip)
{
    struct thread t;
    CHECK(thread_create(&t, count_forever, 0, 0, 100, 0));
    ic_user_context_t w, rd;
    for (unsigned i = 0; i < IC_REG_COUNT; i++)
        w.regs[i] = 0x0123456789abcdefull ^ ((ic_word_t)i * 0x1111111111111111ull);
    w.regs[IC_REG_PC] = 0x40001000;
    w.regs[IC_REG_SPSR] = ~(ic_word_t)0;
    CHECK_OK(ic_tcb_write_registers(t.tcb, false, IC_REG_COUNT, &w));
    memset(&rd, 0, sizeof(rd));
    CHECK_OK(ic_tcb_read_registers(t.tcb, false, IC_REG_COUNT, &rd));
    for (unsigned i = 0; i < IC_REG_COUNT; i++) {
        if (i == IC_REG_SPSR)
            continue;
        CHECK_EQ(rd.regs[i], w.regs[i]);
    }
    /* only the condition flags can be written: the thread stays at EL0 with
     * interrupts enabled */
    CHECK_EQ(rd.regs[IC_REG_SPSR], 0xf0000000u);
    w.regs[IC_REG_SPSR] = 0x600003c5; /* Z, C, DAIF masked, EL1h */
    CHECK_OK(ic_tcb_write_registers(t.tcb, false, IC_REG_COUNT, &w));
    CHECK_OK(ic_tcb_read_registers(t.tcb, false, IC_REG_COUNT, &rd));
    CHECK_EQ(rd.regs[IC_REG_SPSR], 0x60000000u);
}

TEST(tcb_registers_partial_count)
{
    struct thread t;
    CHECK(thread_create(&t, count_forever, 0x11, 0x22, 100, 0));
    ic_user_context_t w = { { 0 } }, rd;
    w.regs[IC_REG_PC] = 0x1234;
    w.regs[IC_REG_SP] = 0x5678;
    w.regs[IC_REG_SPSR] = 0xf0000000;
    w.regs[IC_REG_X0] = 0x9999;
    /* two registers: PC and SP; the rest stay as thread_create set them */
    CHECK_OK(ic_tcb_write_registers(t.tcb, false, 2, &w));
    for (unsigned i = 0; i < IC_REG_COUNT; i++)
        rd.regs[i] = 0xeeee;
    CHECK_OK(ic_tcb_read_registers(t.tcb, false, IC_REG_COUNT, &rd));
    CHECK_EQ(rd.regs[IC_REG_PC], 0x1234);
    CHECK_EQ(rd.regs[IC_REG_SP], 0x5678);
    CHECK_EQ(rd.regs[IC_REG_SPSR], 0);
    CHECK_EQ(rd.regs[IC_REG_TPIDR], (ic_word_t)t.ipc);
    CHECK_EQ(rd.regs[IC_REG_X0], 0x11);
    CHECK_EQ(rd.regs[IC_REG_X0 + 1], 0x22);
    /* reading three fills three */
    for (unsigned i = 0; i < IC_REG_COUNT; i++)
        rd.regs[i] = 0xeeee;
    CHECK_OK(ic_tcb_read_registers(t.tcb, false, 3, &rd));
    CHECK_EQ(rd.regs[IC_REG_SP], 0x5678);
    CHECK_EQ(rd.regs[IC_REG_TPIDR], 0xeeee);
    /* zero registers is fine too */
    CHECK_OK(ic_tcb_write_registers(t.tcb, false, 0, &w));
    CHECK_OK(ic_tcb_read_registers(t.tcb, false, 0, &rd));
}

TEST(tcb_own_registers_illegal)
{
    ic_user_context_t regs = { { 0 } };
    CHECK_EQ(ic_tcb_read_registers(ROOT_TCB, false, IC_REG_COUNT, &regs), IC_ILLEGAL_OPERATION);
    /* with suspend: the check comes first, so the root keeps running */
    CHECK_EQ(ic_tcb_read_registers(ROOT_TCB, true, IC_REG_COUNT, &regs), IC_ILLEGAL_OPERATION);
    CHECK_EQ(ic_tcb_write_registers(ROOT_TCB, false, IC_REG_COUNT, &regs), IC_ILLEGAL_OPERATION);
    ic_cptr_t copy = copy_with_rights(ROOT_TCB, IC_RIGHTS_ALL);
    CHECK(copy);
    CHECK_EQ(ic_tcb_read_registers(copy, false, 1, &regs), IC_ILLEGAL_OPERATION);
    CHECK_EQ(ic_tcb_write_registers(copy, false, 1, &regs), IC_ILLEGAL_OPERATION);
}

TEST(tcb_register_count_checked)
{
    ic_cptr_t t = alloc_object(IC_OBJ_TCB, 0);
    CHECK(t);
    /* the library refuses too many itself; ask the kernel directly */
    ic_word_t args[2 + IC_REG_COUNT + 1] = { 0 };
    args[1] = IC_REG_COUNT + 1;
    CHECK_EQ(ic_invoke(t, IC_INV_TCB_READ_REGISTERS, 2, args, 0, 0), IC_RANGE_ERROR);
    CHECK_EQ(ic_invoke(t, IC_INV_TCB_WRITE_REGISTERS, 2 + IC_REG_COUNT + 1, args, 0, 0), IC_RANGE_ERROR);
    args[1] = (ic_word_t)1 << 63;
    CHECK_EQ(ic_invoke(t, IC_INV_TCB_READ_REGISTERS, 2, args, 0, 0), IC_RANGE_ERROR);
    CHECK_EQ(ic_invoke(t, IC_INV_TCB_WRITE_REGISTERS, 2, args, 0, 0), IC_RANGE_ERROR);
    /* fewer values than the count */
    args[1] = 10;
    CHECK_EQ(ic_invoke(t, IC_INV_TCB_WRITE_REGISTERS, 2 + 9, args, 0, 0), IC_TRUNCATED_MESSAGE);
    CHECK_EQ(ic_invoke(t, IC_INV_TCB_READ_REGISTERS, 1, args, 0, 0), IC_TRUNCATED_MESSAGE);
    args[1] = IC_REG_COUNT;
    CHECK_OK(ic_invoke(t, IC_INV_TCB_READ_REGISTERS, 2, args, 0, 0));
}

static void signal_arg(ic_word_t ntfn, ic_word_t unused)
{
    (void)unused;
    ic_signal(ntfn);
}

TEST(tcb_write_registers_can_resume)
{
    ic_cptr_t n = alloc_object(IC_OBJ_NOTIFICATION, 0);
    CHECK(n);
    struct thread t;
    CHECK(thread_create(&t, count_forever, 0, 0, 100, 0));
    ic_user_context_t regs;
    CHECK_OK(ic_tcb_read_registers(t.tcb, false, IC_REG_COUNT, &regs));
    /* change its mind: run signal_arg(n) through the trampoline instead */
    regs.regs[IC_REG_X0 + 0] = n;
    regs.regs[IC_REG_X0 + 2] = (ic_word_t)signal_arg;
    CHECK_OK(ic_tcb_write_registers(t.tcb, true, IC_REG_COUNT, &regs));
    ic_word_t bits;
    ic_wait(n, &bits);
}

/* ------------------------------------------------------------ suspend and resume */

TEST(tcb_suspend_stops_running_thread_and_resume_restarts_it)
{
    if (bootinfo->num_cpus < 2)
        return;
    reset_shared();
    struct thread t;
    CHECK(thread_start_on(&t, count_forever, 0, 0, 100, 0, 1));
    CHECK(spin_until_changed(&counter, 0, TEST_PATIENCE_MS));
    CHECK_OK(ic_tcb_suspend(t.tcb));
    CHECK(counter_stays(20));
    CHECK_OK(ic_tcb_suspend(t.tcb)); /* twice is fine */
    CHECK(counter_stays(5));
    CHECK_OK(ic_tcb_resume(t.tcb));
    CHECK(spin_until_changed(&counter, counter, TEST_PATIENCE_MS));
    CHECK_OK(ic_tcb_resume(t.tcb)); /* resuming a running thread changes nothing */
    CHECK(spin_until_changed(&counter, counter, TEST_PATIENCE_MS));
    CHECK_OK(ic_tcb_suspend(t.tcb));
    CHECK(counter_stays(5));
}

TEST(tcb_suspend_ready_thread_on_same_cpu)
{
    reset_shared();
    struct thread t;
    /* at the root's priority: it runs when the root yields, until the
     * timer ends its time slice */
    CHECK(thread_start(&t, count_forever, 0, 0, 255, 0));
    ic_word_t c0 = counter;
    ic_yield();
    ic_word_t c1 = counter;
    CHECK_OK(ic_tcb_suspend(t.tcb));
    CHECK(c1 != c0);
    ic_yield(); /* nothing else to run now */
    CHECK_EQ(counter, c1);
    CHECK_OK(ic_tcb_resume(t.tcb));
    ic_yield();
    ic_word_t c2 = counter;
    CHECK_OK(ic_tcb_suspend(t.tcb));
    CHECK(c2 != c1);
}

TEST(tcb_read_registers_can_suspend)
{
    if (bootinfo->num_cpus < 2)
        return;
    reset_shared();
    struct thread t;
    CHECK(thread_start_on(&t, count_forever, 0, 0, 100, 0, 1));
    CHECK(spin_until_changed(&counter, 0, TEST_PATIENCE_MS));
    ic_user_context_t regs;
    CHECK_OK(ic_tcb_read_registers(t.tcb, true, IC_REG_COUNT, &regs));
    CHECK(counter_stays(20));
    /* it was stopped inside its loop, on its own stack */
    CHECK(regs.regs[IC_REG_SP] <= (ic_word_t)t.stack_top);
    CHECK(regs.regs[IC_REG_SP] >= (ic_word_t)t.stack_top - 4 * 4096);
    CHECK_EQ(regs.regs[IC_REG_TPIDR], (ic_word_t)t.ipc);
    /* and the saved state is consistent: reading again gives the same */
    ic_user_context_t again;
    CHECK_OK(ic_tcb_read_registers(t.tcb, false, IC_REG_COUNT, &again));
    CHECK_EQ(memcmp(&regs, &again, sizeof(regs)), 0);
    CHECK_OK(ic_tcb_resume(t.tcb));
    CHECK(spin_until_changed(&counter, counter, TEST_PATIENCE_MS));
    CHECK_OK(ic_tcb_suspend(t.tcb));
}

/* Receives on arg0 and logs MR0; counts its returns from recv. */
static void recv_log_mr0(ic_word_t ep, ic_word_t unused)
{
    (void)unused;
    for (;;) {
        ic_msginfo_t info = ic_recv(ep, NULL);
        t_log[1 + t_log[0]] = ic_msginfo_length(info) ? ic_get_mr(0) : 0xbad;
        t_log[0]++;
    }
}

TEST(tcb_suspend_in_recv_then_resume_restarts_recv)
{
    reset_shared();
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    CHECK(ep);
    struct thread t;
    CHECK(thread_start(&t, recv_log_mr0, ep, 0, 100, 0));
    CHECK(let_threads_run()); /* blocked in recv */
    CHECK_OK(ic_tcb_suspend(t.tcb));
    /* it left the endpoint: a non-blocking send finds nobody */
    ic_set_mr(0, 1);
    ic_nb_send(ep, ic_msginfo_new(0, 0, 0, 1));
    CHECK(let_threads_run());
    CHECK_EQ(t_log[0], 0);
    /* resumed, it makes the same recv again instead of returning */
    CHECK_OK(ic_tcb_resume(t.tcb));
    CHECK(let_threads_run());
    CHECK_EQ(t_log[0], 0);
    ic_set_mr(0, 42);
    ic_send(ep, ic_msginfo_new(0, 0, 0, 1));
    CHECK(let_threads_run());
    CHECK_EQ(t_log[0], 1);
    CHECK_EQ(t_log[1], 42);
}

/* ------------------------------------------------------------ affinity */

/* Answers each value the root writes to t_log[0] by copying it to t_log[1],
 * until the value 0xff. */
static void echo_flag(ic_word_t unused0, ic_word_t unused1)
{
    (void)unused0;
    (void)unused1;
    ic_word_t seen = 0;
    while (seen != 0xff) {
        while (t_log[0] == seen)
            ;
        seen = t_log[0];
        t_log[1] = seen;
    }
}

TEST(tcb_affinity_runs_thread_in_parallel)
{
    if (bootinfo->num_cpus < 2)
        return;
    /* Below the root's priority (254): on CPU 0 it could never run while
     * the root spins without entering the kernel, so an answer proves that
     * it runs on CPU 1 at the same time. At the root's own priority (255),
     * too: the root keeps running (it never blocks) while the thread
     * answers. */
    const unsigned prios[2] = { 254, 255 };
    struct thread t[2];
    for (unsigned p = 0; p < 2; p++) {
        reset_shared();
        CHECK(thread_start_on(&t[p], echo_flag, 0, 0, prios[p], 0, 1));
        for (ic_word_t i = 1; i <= 20; i++) {
            t_log[0] = i;
            CHECK(spin_until_equal(&t_log[1], i, TEST_PATIENCE_MS));
        }
        t_log[0] = 0xff;
        CHECK(spin_until_equal(&t_log[1], 0xff, TEST_PATIENCE_MS));
    }
}

TEST(tcb_set_affinity_moves_running_thread)
{
    if (bootinfo->num_cpus < 2)
        return;
    reset_shared();
    struct thread t;
    /* below the root: it runs only while it is on CPU 1 */
    CHECK(thread_start_on(&t, count_forever, 0, 0, 254, 0, 1));
    CHECK(spin_until_changed(&counter, 0, TEST_PATIENCE_MS));
    CHECK_OK(ic_tcb_set_affinity(t.tcb, 0));
    CHECK(counter_stays(20));
    CHECK_OK(ic_tcb_set_affinity(t.tcb, 1));
    CHECK(spin_until_changed(&counter, counter, TEST_PATIENCE_MS));
    CHECK_OK(ic_tcb_set_affinity(t.tcb, 1)); /* the same CPU again */
    CHECK(spin_until_changed(&counter, counter, TEST_PATIENCE_MS));
    CHECK_OK(ic_tcb_suspend(t.tcb));
}

TEST(tcb_root_moves_itself_to_other_cpu_and_back)
{
    if (bootinfo->num_cpus < 2)
        return;
    reset_shared();
    struct thread t;
    /* on CPU 0, below the root: it runs only while the root is elsewhere */
    CHECK(thread_start(&t, count_forever, 0, 0, 254, 0));
    CHECK_EQ(counter, 0);
    ic_err_t e1 = ic_tcb_set_affinity(ROOT_TCB, 1);
    bool ran = spin_until_changed(&counter, 0, TEST_PATIENCE_MS);
    ic_err_t e2 = ic_tcb_set_affinity(ROOT_TCB, 0);
    CHECK_OK(e1);
    CHECK_OK(e2);
    CHECK(ran);
    /* back on CPU 0, the root leaves it no time */
    CHECK(counter_stays(20));
    CHECK_OK(ic_tcb_suspend(t.tcb));
}

TEST(tcb_set_affinity_rejects_missing_cpu)
{
    struct thread t;
    CHECK(thread_create(&t, count_forever, 0, 0, 100, 0));
    CHECK_EQ(ic_tcb_set_affinity(t.tcb, bootinfo->num_cpus), IC_RANGE_ERROR);
    CHECK_EQ(ic_tcb_set_affinity(t.tcb, IC_MAX_CPUS), IC_RANGE_ERROR);
    CHECK_EQ(ic_tcb_set_affinity(t.tcb, 1000), IC_RANGE_ERROR);
    CHECK_EQ(ic_tcb_set_affinity(t.tcb, ~(ic_word_t)0), IC_RANGE_ERROR);
    for (ic_word_t c = 0; c < bootinfo->num_cpus; c++)
        CHECK_OK(ic_tcb_set_affinity(t.tcb, c));
    /* not a TCB (an endpoint would take the Call as a message) */
    CHECK_EQ(ic_tcb_set_affinity(ROOT_CNODE, 0), IC_INVALID_CAPABILITY);
}

/* ------------------------------------------------------------ destruction */

TEST(tcb_delete_thread_running_on_other_cpu)
{
    if (bootinfo->num_cpus < 2)
        return;
    reset_shared();
    struct thread t;
    CHECK(thread_start_on(&t, count_forever, 0, 0, 100, 0, 1));
    CHECK(spin_until_changed(&counter, 0, TEST_PATIENCE_MS));
    /* a copy keeps the thread alive when the original goes */
    ic_cptr_t copy = copy_with_rights(t.tcb, IC_RIGHTS_ALL);
    CHECK(copy);
    CHECK_OK(ic_cnode_delete(ROOT_CNODE, t.tcb, ROOT_DEPTH));
    CHECK(spin_until_changed(&counter, counter, TEST_PATIENCE_MS));
    /* the last capability destroys it while it runs on CPU 1 */
    CHECK_OK(ic_cnode_delete(ROOT_CNODE, copy, ROOT_DEPTH));
    CHECK(counter_stays(20));
}

TEST(tcb_revoke_and_delete_thread_running_on_other_cpu)
{
    if (bootinfo->num_cpus < 2)
        return;
    reset_shared();
    struct thread t;
    CHECK(thread_start_on(&t, count_forever, 0, 0, 100, 0, 1));
    CHECK(spin_until_changed(&counter, 0, TEST_PATIENCE_MS));
    ic_cptr_t copy = copy_with_rights(t.tcb, IC_RIGHTS_ALL);
    CHECK(copy);
    /* revoking removes the copy, not the thread */
    CHECK_OK(ic_cnode_revoke(ROOT_CNODE, t.tcb, ROOT_DEPTH));
    CHECK_EQ(ic_tcb_suspend(copy), IC_INVALID_CAPABILITY);
    CHECK(spin_until_changed(&counter, counter, TEST_PATIENCE_MS));
    CHECK_OK(ic_cnode_delete(ROOT_CNODE, t.tcb, ROOT_DEPTH));
    CHECK(counter_stays(20));
}
