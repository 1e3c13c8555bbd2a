/* The kernel test suite: a root task that runs every test against the real
 * kernel and prints one line per test and a summary.
 *
 * Each test gets a fresh environment: its own untyped region (a child of a
 * large RAM untyped) and a range of free slots. After the test, the region
 * is revoked, which destroys everything the test made from it, and every
 * slot the test used is deleted; so tests cannot leak into each other, and
 * revoke itself is exercised after every test. */
#ifndef TEST_H
#define TEST_H

#include <icecap/icecap.h>

struct test {
    const char *name;
    void (*fn)(void);
};

#define TEST(name)                                                                                 \
    static void test_##name(void);                                                                 \
    static const struct test test_desc_##name __attribute__((section("ic_tests"), used)) = {       \
        #name, test_##name };                                                                      \
    static void test_##name(void)

/* Fail the test with a message and leave it. */
void test_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
extern bool test_failed;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            test_fail(__FILE__, __LINE__, "%s", #cond);                                            \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define CHECK_EQ(a, b)                                                                             \
    do {                                                                                           \
        unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b);             \
        if (a_ != b_) {                                                                            \
            test_fail(__FILE__, __LINE__, "%s == %s (%llu != %llu)", #a, #b, a_, b_);              \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define CHECK_OK(expr) CHECK_EQ((expr), IC_OK)

/* ------------------------------------------------------------ environment */
extern ic_bootinfo_t *bootinfo;
extern ic_cptr_t test_untyped;        /* this test's untyped region */
extern unsigned test_untyped_bits;

#define ROOT_CNODE IC_SLOT_ROOT_CNODE
#define ROOT_VSPACE IC_SLOT_ROOT_VSPACE
#define ROOT_TCB IC_SLOT_ROOT_TCB
#define ROOT_DEPTH 64

/* The suite's VMID pool, VMIDs [TEST_VMIDS_FIRST, TEST_VMIDS_END); the
 * VMIDs above are free for tests that make pools of their own. */
extern ic_cptr_t test_vmids;
#define TEST_VMIDS_FIRST 2
#define TEST_VMIDS_END 200
bool test_vmids_make(void);

ic_cptr_t alloc_slot(void);
/* Retype one object from the test untyped into a new slot; 0 on failure.
 * A VSpace gets its VMID from the suite's pool. */
ic_cptr_t alloc_object(ic_word_t type, ic_word_t size_bits);
/* A free, page-aligned range of the root VSpace for this test. */
ic_word_t alloc_vaddr(ic_word_t bytes, ic_word_t align);
/* A new 4 KiB frame mapped read-write in the root VSpace; returns its
 * address, or 0. Page tables are made as needed. */
void *alloc_page(ic_cptr_t *frame_out);
/* Map a frame in a VSpace, making page tables from the test untyped. */
ic_err_t map_frame(ic_cptr_t vspace, ic_cptr_t frame, ic_word_t vaddr, ic_word_t rights, ic_word_t attrs);

/* Threads in the root task's address space and CSpace. */
struct thread {
    ic_cptr_t tcb;
    ic_cptr_t ipc_frame;
    ic_ipc_buffer_t *ipc;
    void *stack_top;
};
typedef void (*thread_fn)(ic_word_t arg0, ic_word_t arg1);
/* Create, configure and start a thread at 'prio' running fn(arg0, arg1).
 * fault_ep may be 0 (no fault handler). Returns false on failure. */
bool thread_start(struct thread *t, thread_fn fn, ic_word_t arg0, ic_word_t arg1, unsigned prio,
                  ic_cptr_t fault_ep);
/* Create and configure without starting (registers set, not resumed). */
bool thread_create(struct thread *t, thread_fn fn, ic_word_t arg0, ic_word_t arg1, unsigned prio,
                   ic_cptr_t fault_ep);

/* env_threads.c: helpers for tests with several threads. */
/* Let every thread of CPU 0 above priority 1 run until it blocks or ends:
 * the root waits until a new priority-1 thread signals it. */
bool let_threads_run(void);
/* thread_create, then set the affinity to 'cpu', then resume. */
bool thread_start_on(struct thread *t, thread_fn fn, ic_word_t arg0, ic_word_t arg1, unsigned prio,
                     ic_cptr_t fault_ep, unsigned cpu);
/* How long a test waits for something that happens at once on an idle
 * machine before it calls it a failure: generous, because a machine busy
 * with other work may run QEMU's CPUs many times slower. Only a failing
 * test waits this long. */
#define TEST_PATIENCE_MS 30000u
/* Nanoseconds (the cycle counter; QEMU counts it at 1 GHz). */
uint64_t now_ns(void);
/* Spin until *p != old (true) or 'ms' milliseconds have passed (false). */
bool spin_until_changed(volatile ic_word_t *p, ic_word_t old, unsigned ms);
/* Spin until *p == want (true) or 'ms' milliseconds have passed (false). */
bool spin_until_equal(volatile ic_word_t *p, ic_word_t want, unsigned ms);

/* env_guests.c: a guest is a thread bound to a VCPU, at EL1 of a VSpace,
 * whose exits are fault messages on its endpoint. */
struct guest {
    ic_cptr_t tcb, vcpu, ep;
};
/* A guest at priority 100 in 'vs', starting at 'entry' (EL1h, interrupts
 * masked, FP/SIMD usable) with x0, x19 and x20 given; not yet resumed. */
bool guest_make(struct guest *g, ic_cptr_t vs, void (*entry)(void), ic_word_t x0, ic_word_t x19, ic_word_t x20);

/* env_caps.c: helpers for capabilities in the root CNode and the like. */
/* 'n' consecutive free slots; returns the first (0 if there are not enough). */
ic_cptr_t alloc_slots(unsigned n);
/* A copy of 'src' with only 'rights', in a new slot (0 on failure). */
ic_cptr_t copy_with_rights(ic_cptr_t src, ic_word_t rights);
/* A minted copy of 'src' with 'rights' and 'badge', in a new slot (0 on failure). */
ic_cptr_t mint_copy(ic_cptr_t src, ic_word_t rights, ic_word_t badge);
/* Is slot 'index' (resolved to 'depth' bits) of 'cnode' empty? (a copy from it fails) */
bool slot_is_empty_in(ic_cptr_t cnode, ic_word_t index, ic_word_t depth);
/* Is 'slot' of the root CNode empty? */
bool slot_is_empty(ic_cptr_t slot);
/* The physical address of a frame, or ~0 on error. */
ic_word_t frame_address(ic_cptr_t frame);
/* A raw system call on 'cptr' with 'info'; returns x0 (the error code when the kernel refuses). */
ic_word_t syscall_x0(ic_word_t sys, ic_cptr_t cptr, ic_msginfo_t info);
/* Yield to same-priority threads until *flag == value (false after 200 yields). */
bool yield_until(volatile ic_word_t *flag, ic_word_t value);
/* Yield 'n' times. */
void yield_n(unsigned n);

#endif
