/* Isolation: regression tests for four kernel bugs that let one thread's
 * state or memory outlive what the kernel promised.
 *
 *  1. A thread running on another CPU whose VSpace is swapped (tcb_configure)
 *     or destroyed (its last capability deleted) must stop running in it at
 *     once: a lone thread on a CPU gets no tick and would otherwise keep the
 *     old stage-2 root in VTTBR_EL2 indefinitely.
 *  2. Deleting objects that hold each other's last capability (a cycle of
 *     Zombies) must finish, not ping-pong forever with the kernel lock held.
 *  3. A thread taken off its CPU (a stall, e.g. for tcb_read_registers) while
 *     it waits for the kernel lock inside a system call must not lose it.
 *  4. A caller orphaned by its callee (who received another Call without
 *     replying) must not keep a pointer to the callee: once the callee's
 *     memory is a user frame, the kernel must never write to it.
 *
 * The threads of 1 are guests (VCPU threads): their code is a few
 * instructions at the same addresses in every guest VSpace made here (the
 * root task's image is mapped into it), and they run alone on CPU 1. */
#include "test.h"
#include <icecap/vcpu.h>
#include <icecap/faults.h>

/* ------------------------------------------------------------ guest code
 * isolation_guest_count: x0 = a guest-physical address; increments the word
 * there forever (no exit, no system call: the thread never enters the
 * kernel by itself).
 * isolation_guest_hvc: HVC #0x61 forever, with x0 = 1, 2, 3, ... (the
 * number of the HVC), so the VMM sees whether one went missing. */
void isolation_guest_count(void);
void isolation_guest_hvc(void);
__asm__("    .text\n"
        "    .balign 4\n"
        "    .global isolation_guest_count\n"
        "isolation_guest_count:\n"
        "1:  ldr x1, [x0]\n"
        "    add x1, x1, #1\n"
        "    str x1, [x0]\n"
        "    b 1b\n"
        "    .global isolation_guest_hvc\n"
        "isolation_guest_hvc:\n"
        "    mov x0, #0\n"
        "2:  add x0, x0, #1\n"
        "    hvc #0x61\n"
        "    b 2b\n");

/* Where the counting guests find their counter (unmapped in every other
 * test's guest VSpace; far from the image). */
#define GUEST_COUNTER 0x30000000ull

/* ------------------------------------------------------------ helpers */

/* A new untyped of 2^bits bytes from the test's untyped (0 on failure). */
static ic_cptr_t alloc_untyped(unsigned bits)
{
    ic_cptr_t s = alloc_slot();
    if (!s || ic_untyped_retype(test_untyped, IC_OBJ_UNTYPED, bits, ROOT_CNODE, ROOT_DEPTH, s, 1, ROOT_CNODE) != IC_OK)
        return 0;
    return s;
}

/* One object from 'ut' into a new slot of the root CNode (0 on failure). */
static ic_cptr_t retype_from(ic_cptr_t ut, ic_word_t type, ic_word_t size_bits)
{
    ic_cptr_t s = alloc_slot();
    if (!s || ic_untyped_retype(ut, type, size_bits, ROOT_CNODE, ROOT_DEPTH, s, 1, ROOT_CNODE) != IC_OK)
        return 0;
    if (type == IC_OBJ_VSPACE && ic_vmid_pool_assign(test_vmids, s) != IC_OK)
        return 0;
    return s;
}

/* Proof that nothing made from 'ut' (2^bits bytes) is left: the whole
 * region can be retyped again as one untyped (which the kernel allows only
 * when 'ut' has no children). The new untyped is deleted again. */
static bool retype_in_full(ic_cptr_t ut, unsigned bits)
{
    ic_cptr_t s = alloc_slot();
    return s && ic_untyped_retype(ut, IC_OBJ_UNTYPED, bits, ROOT_CNODE, ROOT_DEPTH, s, 1, ROOT_CNODE) == IC_OK &&
           ic_cnode_delete(ROOT_CNODE, s, ROOT_DEPTH) == IC_OK;
}

/* Like thread_create (same stack, IPC buffer and start registers) but on
 * the TCB 'tcb', which the caller made from memory of its choosing, with
 * CSpace 'cspace' and its guard 'cspace_guard'. Not resumed. */
static bool thread_on_tcb(struct thread *t, ic_cptr_t tcb, thread_fn fn, ic_word_t arg0, ic_word_t arg1,
                          unsigned prio, ic_cptr_t cspace, ic_word_t cspace_guard)
{
    ic_user_context_t regs;
    if (!thread_create(t, fn, arg0, arg1, prio, 0) ||
        ic_tcb_read_registers(t->tcb, false, IC_REG_COUNT, &regs) != IC_OK)
        return false;
    /* the thread_create trampoline suspends 'self' (x3) when fn returns */
    regs.regs[IC_REG_X0 + 3] = tcb;
    t->tcb = tcb;
    return ic_tcb_configure(tcb, cspace_guard, (ic_word_t)t->ipc, 0, cspace, ROOT_VSPACE, t->ipc_frame) == IC_OK &&
           ic_tcb_set_priority(tcb, prio, ROOT_TCB) == IC_OK &&
           ic_tcb_write_registers(tcb, false, IC_REG_COUNT, &regs) == IC_OK;
}

/* Map this image's frames (copies of their capabilities) into 'vs' at their
 * own addresses, so that a guest in it can run the code above. */
static bool map_image(ic_cptr_t vs)
{
    ic_word_t va = bootinfo->image_vaddr;
    for (ic_word_t s = bootinfo->image_frames.start; s < bootinfo->image_frames.end; s++, va += 4096) {
        ic_cptr_t copy = copy_with_rights(s, IC_RIGHTS_ALL);
        if (!copy || map_frame(vs, copy, va, IC_RIGHTS_ALL, IC_ATTR_CACHED) != IC_OK)
            return false;
    }
    return true;
}

/* A new frame mapped in the root VSpace (returned) and, through a copy of
 * its capability, at GUEST_COUNTER in 'vs'. */
static volatile ic_word_t *counter_frame(ic_cptr_t vs)
{
    ic_cptr_t f;
    volatile ic_word_t *p = alloc_page(&f);
    ic_cptr_t copy = p ? copy_with_rights(f, IC_RIGHTS_ALL) : 0;
    if (!copy || map_frame(vs, copy, GUEST_COUNTER, IC_RIGHTS_ALL, IC_ATTR_CACHED) != IC_OK)
        return 0;
    return p;
}

/* A guest (env_guests.c) in VSpace 'vs' on 'cpu', starting at 'entry'
 * with x0 = arg, faults to g->ep; resumed. */
static bool guest_run(struct guest *g, ic_cptr_t vs, void (*entry)(void), ic_word_t arg, unsigned cpu)
{
    return guest_make(g, vs, entry, arg, 0, 0) && ic_tcb_set_affinity(g->tcb, cpu) == IC_OK &&
           ic_tcb_resume(g->tcb) == IC_OK;
}

/* Spin for 'ms' milliseconds. */
static void spin_ms(unsigned ms)
{
    uint64_t end = now_ns() + (uint64_t)ms * 1000000;
    while (now_ns() < end)
        ;
}

/* Does *p stay as it is for 'ms' milliseconds? */
static bool stays(volatile ic_word_t *p, unsigned ms)
{
    ic_word_t v = *p;
    spin_ms(ms);
    return *p == v;
}

/* The next exit (fault message) of a guest within 'ms' milliseconds: its
 * label, or ~0 if none came. */
static ic_word_t exit_within(ic_cptr_t ep, unsigned ms)
{
    uint64_t end = now_ns() + (uint64_t)ms * 1000000;
    do {
        ic_word_t badge;
        ic_msginfo_t info = ic_nb_recv(ep, &badge);
        if (info != 0)
            return ic_msginfo_label(info);
    } while (now_ns() < end);
    return ~0ull;
}

/* ============================================================ 1. VSpaces */

/* A guest alone on CPU 1 (so without a tick) counts in frame F1 of its
 * VSpace V1; tcb_configure gives it V2, which maps F2 at the same address.
 * From the moment the call returns the guest runs in V2: F1 stays, F2
 * counts. (The root keeps V1, so this is about the stale VTTBR alone.) */
TEST(isolation_vspace_swap_takes_effect_at_once)
{
    if (bootinfo->num_cpus < 2)
        return;
    ic_cptr_t v1 = alloc_object(IC_OBJ_VSPACE, 0), v2 = alloc_object(IC_OBJ_VSPACE, 0);
    CHECK(v1 && v2);
    CHECK(map_image(v1) && map_image(v2));
    volatile ic_word_t *f1 = counter_frame(v1), *f2 = counter_frame(v2);
    CHECK(f1 && f2);
    struct guest g;
    CHECK(guest_run(&g, v1, isolation_guest_count, GUEST_COUNTER, 1));
    CHECK(spin_until_changed(f1, 0, TEST_PATIENCE_MS));
    CHECK(spin_until_changed(f1, *f1, TEST_PATIENCE_MS));
    CHECK_OK(ic_tcb_configure(g.tcb, IC_WORD_BITS - IC_ROOT_CNODE_BITS, 0, g.ep, ROOT_CNODE, v2, 0));
    ic_word_t f1_after = *f1;
    CHECK(spin_until_changed(f2, 0, TEST_PATIENCE_MS));
    spin_ms(10);
    ic_word_t f2_then = *f2;
    CHECK(spin_until_changed(f2, f2_then, TEST_PATIENCE_MS));
    CHECK_EQ(*f1, f1_after);
    /* no exit on the way: the guest simply goes on in V2 */
    CHECK_EQ(exit_within(g.ep, 0), ~0ull);
    CHECK_OK(ic_tcb_suspend(g.tcb));
}

/* The same guest; the root gives up its capability to V1, so the guest's
 * own slot holds the last one, and then revokes the untyped V1 was made
 * from, which deletes that last capability: V1 is destroyed (its VMID
 * freed) while the guest runs in it. From then on no CPU may run in V1: F1
 * stays, and the guest, now without an address space, faults on its next
 * access (an exit to its VMM). */
TEST(isolation_vspace_destroyed_under_running_thread)
{
    if (bootinfo->num_cpus < 2)
        return;
    ic_cptr_t ut = alloc_untyped(IC_VSPACE_SIZE_BITS);
    CHECK(ut);
    ic_cptr_t v1 = retype_from(ut, IC_OBJ_VSPACE, 0);
    CHECK(v1);
    CHECK(map_image(v1));
    volatile ic_word_t *f1 = counter_frame(v1);
    CHECK(f1);
    struct guest g;
    CHECK(guest_run(&g, v1, isolation_guest_count, GUEST_COUNTER, 1));
    CHECK(spin_until_changed(f1, 0, TEST_PATIENCE_MS));
    CHECK_OK(ic_cnode_delete(ROOT_CNODE, v1, ROOT_DEPTH));
    CHECK(spin_until_changed(f1, *f1, TEST_PATIENCE_MS)); /* the guest's copy keeps V1 alive */
    CHECK_OK(ic_cnode_revoke(ROOT_CNODE, ut, ROOT_DEPTH));
    ic_word_t f1_after = *f1;
    CHECK_EQ(exit_within(g.ep, TEST_PATIENCE_MS), IC_FAULT_VCPU_DATA_ABORT);
    CHECK_EQ(*f1, f1_after);
    CHECK(stays(f1, 10));
    CHECK_OK(ic_tcb_suspend(g.tcb));
}

/* The guest's VSpace capability is taken away by revoking the original
 * (the guest's slot holds a copy): V1 lives on, but the guest may no longer
 * run in it, so it faults on its next access and F1 stays. */
TEST(isolation_vspace_revoked_from_running_thread)
{
    if (bootinfo->num_cpus < 2)
        return;
    ic_cptr_t v1 = alloc_object(IC_OBJ_VSPACE, 0);
    CHECK(v1);
    CHECK(map_image(v1));
    volatile ic_word_t *f1 = counter_frame(v1);
    CHECK(f1);
    struct guest g;
    CHECK(guest_run(&g, v1, isolation_guest_count, GUEST_COUNTER, 1));
    CHECK(spin_until_changed(f1, 0, TEST_PATIENCE_MS));
    CHECK_OK(ic_cnode_revoke(ROOT_CNODE, v1, ROOT_DEPTH));
    ic_word_t f1_after = *f1;
    CHECK_EQ(exit_within(g.ep, TEST_PATIENCE_MS), IC_FAULT_VCPU_DATA_ABORT);
    CHECK_EQ(*f1, f1_after);
    CHECK(stays(f1, 10));
    CHECK_OK(ic_tcb_suspend(g.tcb));
}

/* ============================================================ 2. cycles */

#define CYCLE_UT_BITS 16

/* (a) A TCB whose CSpace holds the TCB's only capability: the root deletes
 * its own capabilities to both and revokes their untyped. */
TEST(isolation_cycle_tcb_and_its_cspace_revoked)
{
    ic_cptr_t ut = alloc_untyped(CYCLE_UT_BITS);
    CHECK(ut);
    ic_cptr_t t = retype_from(ut, IC_OBJ_TCB, 0), c = retype_from(ut, IC_OBJ_CNODE, 2);
    CHECK(t && c);
    CHECK_OK(ic_tcb_configure(t, IC_WORD_BITS - 2, 0, 0, c, ROOT_VSPACE, 0));
    CHECK_OK(ic_cnode_copy(c, 1, 2, t, ROOT_DEPTH, IC_RIGHTS_ALL, ROOT_CNODE));
    CHECK_OK(ic_cnode_delete(ROOT_CNODE, t, ROOT_DEPTH));
    CHECK_OK(ic_cnode_delete(ROOT_CNODE, c, ROOT_DEPTH));
    CHECK_OK(ic_cnode_revoke(ROOT_CNODE, ut, ROOT_DEPTH));
    CHECK(retype_in_full(ut, CYCLE_UT_BITS));
    /* one more such pair, made from the test's own untyped, is left for
     * the suite's clean-up (a revoke of that untyped) */
    t = alloc_object(IC_OBJ_TCB, 0);
    c = alloc_object(IC_OBJ_CNODE, 2);
    CHECK(t && c);
    CHECK_OK(ic_tcb_configure(t, IC_WORD_BITS - 2, 0, 0, c, ROOT_VSPACE, 0));
    CHECK_OK(ic_cnode_copy(c, 1, 2, t, ROOT_DEPTH, IC_RIGHTS_ALL, ROOT_CNODE));
    CHECK_OK(ic_cnode_delete(ROOT_CNODE, t, ROOT_DEPTH));
    CHECK_OK(ic_cnode_delete(ROOT_CNODE, c, ROOT_DEPTH));
}

/* (b) Two CNodes, each holding the other's only capability. */
TEST(isolation_cycle_two_cnodes_revoked)
{
    ic_cptr_t ut = alloc_untyped(CYCLE_UT_BITS);
    CHECK(ut);
    ic_cptr_t a = retype_from(ut, IC_OBJ_CNODE, 2), b = retype_from(ut, IC_OBJ_CNODE, 2);
    CHECK(a && b);
    CHECK_OK(ic_cnode_copy(a, 0, 2, b, ROOT_DEPTH, IC_RIGHTS_ALL, ROOT_CNODE));
    CHECK_OK(ic_cnode_copy(b, 0, 2, a, ROOT_DEPTH, IC_RIGHTS_ALL, ROOT_CNODE));
    CHECK_OK(ic_cnode_delete(ROOT_CNODE, a, ROOT_DEPTH));
    CHECK_OK(ic_cnode_delete(ROOT_CNODE, b, ROOT_DEPTH));
    CHECK_OK(ic_cnode_revoke(ROOT_CNODE, ut, ROOT_DEPTH));
    CHECK(retype_in_full(ut, CYCLE_UT_BITS));
}

static volatile ic_word_t cycle_called, cycle_returned;

/* Thread t, its CSpace c and another CNode 'other' (all from 'ut') hold
 * each other's last capabilities once the root has dropped its own: t is
 * resumed, destroys itself with its call, and never returns from it; then
 * all of ut can be made into objects again, so nothing of the cycle is
 * left. */
static void run_self_destroying_cycle(ic_cptr_t ut, ic_cptr_t t, ic_cptr_t c, ic_cptr_t other)
{
    cycle_called = cycle_returned = 0;
    CHECK_OK(ic_tcb_resume(t));
    CHECK_OK(ic_cnode_delete(ROOT_CNODE, t, ROOT_DEPTH));
    CHECK_OK(ic_cnode_delete(ROOT_CNODE, c, ROOT_DEPTH));
    CHECK_OK(ic_cnode_delete(ROOT_CNODE, other, ROOT_DEPTH));
    CHECK(let_threads_run());
    CHECK_EQ(cycle_called, 1);
    CHECK_EQ(cycle_returned, 0);
    CHECK_OK(ic_cnode_revoke(ROOT_CNODE, ut, ROOT_DEPTH));
    CHECK(retype_in_full(ut, CYCLE_UT_BITS));
}

/* (c) runs with CSpace C: C[1] = CNode D, D[0] = this thread's only
 * capability. It deletes D[0], which destroys itself, its CSpace and D. */
static void delete_own_tcb(ic_word_t d_cptr, ic_word_t d_bits)
{
    cycle_called = 1;
    ic_err_t err = ic_cnode_delete(d_cptr, 0, d_bits);
    cycle_returned = 1 + err; /* never, if it destroyed itself */
    __builtin_trap();         /* no fault handler: stops here */
}

TEST(isolation_cycle_thread_deletes_own_last_tcb_cap)
{
    ic_cptr_t ut = alloc_untyped(CYCLE_UT_BITS);
    CHECK(ut);
    ic_cptr_t t = retype_from(ut, IC_OBJ_TCB, 0), c = retype_from(ut, IC_OBJ_CNODE, 2),
              d = retype_from(ut, IC_OBJ_CNODE, 2);
    CHECK(t && c && d);
    struct thread th;
    CHECK(thread_on_tcb(&th, t, delete_own_tcb, 1, 2, 100, c, IC_WORD_BITS - 2));
    CHECK_OK(ic_cnode_copy(c, 1, 2, d, ROOT_DEPTH, IC_RIGHTS_ALL, ROOT_CNODE));
    CHECK_OK(ic_cnode_copy(d, 0, 2, t, ROOT_DEPTH, IC_RIGHTS_ALL, ROOT_CNODE));
    run_self_destroying_cycle(ut, t, c, d);
}

/* (d) runs with CSpace C: C[1] = this thread's only capability, C[2] = a
 * new CSpace, C[3] = the root VSpace; the root holds no capability to C.
 * It gives itself the new CSpace, which deletes C's last capability and so
 * destroys C, and with it itself. */
static void reconfigure_own_cspace(ic_word_t unused0, ic_word_t unused1)
{
    (void)unused0;
    (void)unused1;
    cycle_called = 1;
    ic_err_t err = ic_tcb_configure(1, IC_WORD_BITS - 2, 0, 0, 2, 3, 0);
    cycle_returned = 1 + err; /* never, if it destroyed itself */
    __builtin_trap();         /* no fault handler: stops here */
}

TEST(isolation_cycle_thread_replaces_cspace_holding_its_tcb)
{
    ic_cptr_t ut = alloc_untyped(CYCLE_UT_BITS);
    CHECK(ut);
    ic_cptr_t t = retype_from(ut, IC_OBJ_TCB, 0), c = retype_from(ut, IC_OBJ_CNODE, 2),
              c2 = retype_from(ut, IC_OBJ_CNODE, 2);
    CHECK(t && c && c2);
    struct thread th;
    CHECK(thread_on_tcb(&th, t, reconfigure_own_cspace, 0, 0, 100, c, IC_WORD_BITS - 2));
    CHECK_OK(ic_cnode_copy(c, 1, 2, t, ROOT_DEPTH, IC_RIGHTS_ALL, ROOT_CNODE));
    CHECK_OK(ic_cnode_copy(c, 2, 2, c2, ROOT_DEPTH, IC_RIGHTS_ALL, ROOT_CNODE));
    CHECK_OK(ic_cnode_copy(c, 3, 2, ROOT_VSPACE, ROOT_DEPTH, IC_RIGHTS_ALL, ROOT_CNODE));
    run_self_destroying_cycle(ut, t, c, c2);
}

/* ============================================================ 3. stalls */

/* How long the stall tests run: until STALL_ENOUGH rounds, or at least
 * STALL_MS milliseconds and STALL_MIN rounds, or at most STALL_MAX_MS
 * milliseconds. Each round needs the two CPUs to meet, which takes up to a
 * millisecond, or more, when QEMU's CPU threads share a busy host. On the
 * kernel that lost calls, the first test lost one in about every tenth
 * round, the guest test one in every few to a few hundred rounds. */
#define STALL_ENOUGH 1000
#define STALL_MIN 100
#define STALL_MS 300
#define STALL_MAX_MS 20000

static bool stall_more(unsigned rounds, uint64_t start)
{
    uint64_t ms = (now_ns() - start) / 1000000;
    return rounds < STALL_ENOUGH && (ms < STALL_MS || rounds < STALL_MIN) && ms < STALL_MAX_MS;
}
#define SENTINEL 0x5e5e5e5e5e5e5e5eull

static volatile ic_word_t stall_stop, stall_calls, stall_bad_address, stall_bad_poll, stall_expected;

/* On CPU 1: frame_get_address on 'frame' and a poll of 'ntfn' (never
 * signalled), over and over; counts answers that are not the kernel's (a
 * lost call leaves x0 = the CPtr and MR0 = what it was). */
static void syscall_checker(ic_word_t frame, ic_word_t ntfn)
{
    while (!stall_stop) {
        ic_word_t r[6] = { frame, ic_msginfo_new(IC_INV_FRAME_GET_ADDRESS, 0, 0, 0), SENTINEL, 0, 0, 0 };
        ic__svc(IC_SYS_CALL, r);
        if (r[0] != IC_OK || r[2] != stall_expected)
            stall_bad_address++;
        ic_word_t p[6] = { ntfn, 0, SENTINEL, 0, 0, 0 };
        ic__svc(IC_SYS_NB_RECV, p);
        if (p[0] != 0)
            stall_bad_poll++;
        stall_calls++;
    }
}

/* The root reads the registers of a thread on CPU 1 (without suspending
 * it) while that thread makes system calls as fast as it can: every call
 * must be made. */
TEST(isolation_stall_keeps_system_call)
{
    if (bootinfo->num_cpus < 2)
        return;
    ic_cptr_t frame;
    CHECK(alloc_page(&frame));
    ic_cptr_t ntfn = alloc_object(IC_OBJ_NOTIFICATION, 0);
    CHECK(ntfn);
    stall_expected = frame_address(frame);
    CHECK(stall_expected != ~0ull);
    stall_stop = stall_calls = stall_bad_address = stall_bad_poll = 0;
    struct thread t;
    CHECK(thread_start_on(&t, syscall_checker, frame, ntfn, 100, 0, 1));
    CHECK(spin_until_changed(&stall_calls, 0, TEST_PATIENCE_MS));
    uint64_t start = now_ns();
    unsigned reads = 0;
    for (; stall_more(reads, start); reads++) {
        ic_user_context_t regs;
        CHECK_OK(ic_tcb_read_registers(t.tcb, false, 1, &regs));
    }
    stall_stop = 1;
    CHECK_OK(ic_tcb_suspend(t.tcb));
    ic_word_t calls = stall_calls, bad_address = stall_bad_address, bad_poll = stall_bad_poll;
    if (bad_address || bad_poll)
        ic_printf("stalls: %u reads, %llu calls: %llu frame_get_address and %llu polls lost\n", reads,
                  (unsigned long long)calls, (unsigned long long)bad_address, (unsigned long long)bad_poll);
    CHECK_EQ(bad_address, 0);
    CHECK_EQ(bad_poll, 0);
    CHECK(reads >= 10);
    CHECK(calls >= 10);
}

static volatile ic_word_t reader_stop;
static volatile ic_word_t reader_reads;

/* On CPU 0 below the root: for each signal of 'go', reads 'tcb's registers
 * READS_PER_ROUND times. (Reading without a break would keep the guest off
 * its CPU most of the time: each read takes it off, and it runs again only
 * after the read.) */
#define READS_PER_ROUND 2
static ic_cptr_t reader_go;

static void register_reader(ic_word_t tcb, ic_word_t unused)
{
    (void)unused;
    while (!reader_stop) {
        ic_word_t badge;
        ic_wait(reader_go, &badge);
        for (unsigned i = 0; i < READS_PER_ROUND; i++) {
            ic_user_context_t regs;
            ic_tcb_read_registers(tcb, false, 1, &regs);
            reader_reads++;
        }
    }
}

/* A guest on CPU 1 makes HVC after HVC, each an exit to the root (its VMM)
 * on CPU 0; whenever the root waits for the next one, a thread of its CPU
 * reads the guest's registers. The root must see every HVC, in order. */
TEST(isolation_stall_keeps_guest_hvc)
{
    if (bootinfo->num_cpus < 2)
        return;
    ic_cptr_t vs = alloc_object(IC_OBJ_VSPACE, 0);
    CHECK(vs);
    CHECK(map_image(vs));
    struct guest g;
    CHECK(guest_run(&g, vs, isolation_guest_hvc, 0, 1));
    ic_msginfo_t info = ic_recv(g.ep, NULL);
    CHECK_EQ(ic_msginfo_label(info), IC_FAULT_VCPU_HVC);
    CHECK_EQ(ic_get_mr(IC_VCPU_CALL_X0), 1);
    reader_stop = reader_reads = 0;
    reader_go = alloc_object(IC_OBJ_NOTIFICATION, 0);
    CHECK(reader_go);
    struct thread reader;
    CHECK(thread_start(&reader, register_reader, g.tcb, 0, 200, 0));
    uint64_t start = now_ns();
    /* n exits seen so far, the last of them the guest's HVC 'got' */
    ic_word_t n = 1, got = 1;
    while (stall_more(n, start)) {
        ic_signal(reader_go); /* the reader runs when the root waits */
        info = ic_reply_recv(g.ep, ic_msginfo_new(IC_VCPU_REPLY_EMULATED, 0, 0, 0), NULL);
        n++;
        got = ic_get_mr(IC_VCPU_CALL_X0);
        if (ic_msginfo_label(info) != IC_FAULT_VCPU_HVC || got != n)
            break;
    }
    reader_stop = 1;
    CHECK_OK(ic_tcb_suspend(reader.tcb));
    CHECK_OK(ic_tcb_suspend(g.tcb));
    if (ic_msginfo_label(info) != IC_FAULT_VCPU_HVC || got != n)
        ic_printf("stalls: exit %llu (label %llu) was the guest's HVC %llu; %llu reads, %llu ms\n",
                  (unsigned long long)n, (unsigned long long)ic_msginfo_label(info), (unsigned long long)got,
                  (unsigned long long)reader_reads, (unsigned long long)((now_ns() - start) / 1000000));
    CHECK_EQ(ic_msginfo_label(info), IC_FAULT_VCPU_HVC);
    CHECK_EQ(got, n);
    CHECK(n >= 10);
    CHECK(reader_reads >= 10);
}

/* ============================================================ 4. callee */

static void recv_twice_then_wait(ic_word_t ep, ic_word_t ntfn)
{
    ic_recv(ep, NULL);
    ic_recv(ep, NULL); /* without replying to the first caller */
    ic_word_t badge;
    ic_wait(ntfn, &badge);
}

static void call_once(ic_word_t ep, ic_word_t unused)
{
    (void)unused;
    ic_call(ep, ic_msginfo_new(0, 0, 0, 0), NULL);
}

/* A calls E; B receives it; C calls E; B receives that without replying to
 * A. B is destroyed and its memory made into a frame that holds, in every
 * word, the address of A's TCB. Suspending and deleting A must not write
 * to that frame (A must not remember B), and the kernel must go on. */
TEST(isolation_orphaned_caller_forgets_its_callee)
{
    ic_cptr_t ua = alloc_untyped(IC_PAGE_BITS), ub = alloc_untyped(IC_PAGE_BITS);
    CHECK(ua && ub);
    /* where A's TCB will be: the start of ua (an untyped without children
     * places its first object at its start) */
    ic_cptr_t probe = retype_from(ua, IC_OBJ_FRAME_4K, 0);
    CHECK(probe);
    ic_word_t a_addr = frame_address(probe);
    CHECK(a_addr != ~0ull);
    CHECK_OK(ic_cnode_revoke(ROOT_CNODE, ua, ROOT_DEPTH));
    ic_cptr_t a_tcb = retype_from(ua, IC_OBJ_TCB, 0), b_tcb = retype_from(ub, IC_OBJ_TCB, 0);
    CHECK(a_tcb && b_tcb);
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0), ntfn = alloc_object(IC_OBJ_NOTIFICATION, 0);
    CHECK(ep && ntfn);

    struct thread a, b, c;
    CHECK(thread_on_tcb(&b, b_tcb, recv_twice_then_wait, ep, ntfn, 100, ROOT_CNODE,
                        IC_WORD_BITS - IC_ROOT_CNODE_BITS));
    CHECK_OK(ic_tcb_resume(b.tcb));
    CHECK(let_threads_run()); /* B waits on E */
    CHECK(thread_on_tcb(&a, a_tcb, call_once, ep, 0, 100, ROOT_CNODE, IC_WORD_BITS - IC_ROOT_CNODE_BITS));
    CHECK_OK(ic_tcb_resume(a.tcb));
    CHECK(let_threads_run()); /* B has A's call and waits on E again */
    CHECK(thread_start(&c, call_once, ep, 0, 100, 0));
    CHECK(let_threads_run()); /* B has C's call and waits on its notification */
    ic_user_context_t regs;
    CHECK_OK(ic_tcb_read_registers(a.tcb, false, IC_REG_COUNT, &regs)); /* A still waits */

    /* B goes; its memory becomes a frame full of A's address */
    CHECK_OK(ic_cnode_revoke(ROOT_CNODE, ub, ROOT_DEPTH));
    ic_cptr_t frame = retype_from(ub, IC_OBJ_FRAME_4K, 0);
    CHECK(frame);
    ic_word_t va = alloc_vaddr(4096, 4096);
    CHECK_OK(map_frame(ROOT_VSPACE, frame, va, IC_RIGHTS_ALL, IC_ATTR_CACHED));
    volatile ic_word_t *w = (volatile ic_word_t *)va;
    for (unsigned i = 0; i < 512; i++)
        w[i] = a_addr;

    CHECK_OK(ic_tcb_suspend(a.tcb));
    for (unsigned i = 0; i < 512; i++)
        if (w[i] != a_addr) {
            test_fail(__FILE__, __LINE__, "suspending A wrote 0x%llx at offset 0x%x of B's old memory",
                      (unsigned long long)w[i], i * 8);
            return;
        }
    CHECK_OK(ic_cnode_delete(ROOT_CNODE, a.tcb, ROOT_DEPTH));
    for (unsigned i = 0; i < 512; i++)
        if (w[i] != a_addr) {
            test_fail(__FILE__, __LINE__, "deleting A wrote 0x%llx at offset 0x%x of B's old memory",
                      (unsigned long long)w[i], i * 8);
            return;
        }
    /* C, B's last caller, stays blocked and can be taken away too; the
     * kernel still works: A's memory can be made into a frame again */
    CHECK_OK(ic_tcb_suspend(c.tcb));
    CHECK_OK(ic_cnode_revoke(ROOT_CNODE, ua, ROOT_DEPTH));
    CHECK(retype_in_full(ua, IC_PAGE_BITS));
    CHECK(let_threads_run());
}

/* ------------------------------------------------------------ the PMU */

/* Only threads given PMU access read its counters at EL0: an untrusted
 * component must not time other parties' kernel or guest work. */
static volatile ic_word_t pmu_log[4];

/* Reads the cycle counter into pmu_log[arg0], then signals arg1 if not 0. */
static void pmu_reader(ic_word_t index, ic_word_t done)
{
    pmu_log[index] = ic_cycles() | 1;
    if (done)
        ic_signal(done);
}

TEST(isolation_pmu_needs_access)
{
    for (unsigned i = 0; i < 4; i++)
        pmu_log[i] = 0;
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0), done = alloc_object(IC_OBJ_NOTIFICATION, 0);
    CHECK(ep && done);
    /* without access: the read is a user exception (a trapped system
     * register access), reported to the fault handler */
    struct thread t;
    CHECK(thread_start(&t, pmu_reader, 0, 0, 100, ep));
    ic_word_t badge;
    ic_msginfo_t info = ic_recv(ep, &badge);
    CHECK_EQ(ic_msginfo_label(info), IC_FAULT_USER_EXCEPTION);
    CHECK_EQ(ic_get_mr(IC_USER_EXCEPTION_ESR) >> 26, 0x18);
    CHECK_EQ(pmu_log[0], 0);
    CHECK_OK(ic_tcb_suspend(t.tcb));
    /* a thread without access cannot grant it, not even to itself */
    struct thread u;
    CHECK(thread_create(&u, pmu_reader, 1, done, 100, ep));
    CHECK_EQ(ic_tcb_set_access(u.tcb, IC_TCB_ACCESS_ALL, t.tcb), IC_ILLEGAL_OPERATION);
    CHECK_EQ(ic_tcb_set_access(u.tcb, 4, ROOT_TCB), IC_RANGE_ERROR);
    /* granted by one that has it (the root): it reads */
    CHECK_OK(ic_tcb_set_access(u.tcb, IC_TCB_ACCESS_ALL, ROOT_TCB));
    CHECK_OK(ic_tcb_resume(u.tcb));
    ic_wait(done, &badge);
    CHECK(pmu_log[1] != 0);
    /* and taken away again */
    struct thread w;
    CHECK(thread_create(&w, pmu_reader, 2, 0, 100, ep));
    CHECK_OK(ic_tcb_set_access(w.tcb, IC_TCB_ACCESS_ALL, ROOT_TCB));
    CHECK_OK(ic_tcb_set_access(w.tcb, IC_TCB_ACCESS_CONSOLE, ROOT_TCB));
    CHECK_OK(ic_tcb_resume(w.tcb));
    info = ic_recv(ep, &badge);
    CHECK_EQ(ic_msginfo_label(info), IC_FAULT_USER_EXCEPTION);
    CHECK_EQ(pmu_log[2], 0);
}

/* The IPC fast path switches only between threads set up alike: a server
 * without access, reached by a Call from a client with it, still may not
 * read the PMU. */
#define PMU_READ_WENT_THROUGH 0x77
static void pmu_server(ic_word_t ep, ic_word_t fault_ep)
{
    ic_word_t badge;
    ic_recv(ep, &badge);
    pmu_log[3] = 1;
    pmu_log[3] = ic_cycles() | 1; /* faults: the handler sees pmu_log[3] == 1 */
    /* it did not fault: say so where the test waits */
    ic_send(fault_ep, ic_msginfo_new(PMU_READ_WENT_THROUGH, 0, 0, 0));
    ic_reply(ic_msginfo_new(0, 0, 0, 0));
}

static void pmu_client(ic_word_t ep, ic_word_t unused)
{
    (void)unused;
    ic_word_t badge;
    ic_call(ep, ic_msginfo_new(0, 0, 0, 0), &badge);
}

TEST(isolation_pmu_access_survives_the_fast_path)
{
    pmu_log[3] = 0;
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0), fault_ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    CHECK(ep && fault_ep);
    struct thread server, client;
    CHECK(thread_start(&server, pmu_server, ep, fault_ep, 150, fault_ep));
    CHECK(thread_create(&client, pmu_client, ep, 0, 150, fault_ep));
    CHECK_OK(ic_tcb_set_access(client.tcb, IC_TCB_ACCESS_ALL, ROOT_TCB));
    CHECK_OK(ic_tcb_resume(client.tcb));
    ic_word_t badge;
    ic_msginfo_t info = ic_recv(fault_ep, &badge);
    CHECK_EQ(ic_msginfo_label(info), IC_FAULT_USER_EXCEPTION);
    CHECK_EQ(pmu_log[3], 1);
}

/* ------------------------------------------------------------ the console */

/* Only threads given the console write to it: others could forge its lines
 * (a component pretending to be the kernel or another component). */
static volatile ic_word_t console_result[2];

static void console_writer(ic_word_t index, ic_word_t done)
{
    ic_word_t r[6] = { '\n', 0, 0, 0, 0, 0 }; /* an empty line, if it gets through */
    ic__svc(IC_SYS_DEBUG_PUTCHAR, r);
    console_result[index] = r[0] + 1;
    ic_signal(done);
}

TEST(isolation_console_needs_access)
{
    console_result[0] = console_result[1] = 0;
    ic_cptr_t done = alloc_object(IC_OBJ_NOTIFICATION, 0);
    CHECK(done);
    struct thread t, u;
    CHECK(thread_create(&t, console_writer, 0, done, 100, 0));
    CHECK_OK(ic_tcb_set_access(t.tcb, 0, ROOT_TCB));
    CHECK_OK(ic_tcb_resume(t.tcb));
    ic_word_t badge;
    ic_wait(done, &badge);
    CHECK_EQ(console_result[0], IC_ILLEGAL_OPERATION + 1);
    /* without the console itself, a thread cannot give it */
    CHECK(thread_create(&u, console_writer, 1, done, 100, 0));
    CHECK_OK(ic_tcb_set_access(u.tcb, 0, ROOT_TCB));
    CHECK_EQ(ic_tcb_set_access(u.tcb, IC_TCB_ACCESS_CONSOLE, t.tcb), IC_ILLEGAL_OPERATION);
    CHECK_OK(ic_tcb_set_access(u.tcb, IC_TCB_ACCESS_CONSOLE, ROOT_TCB));
    CHECK_OK(ic_tcb_resume(u.tcb));
    ic_wait(done, &badge);
    CHECK_EQ(console_result[1], IC_OK + 1);
}
