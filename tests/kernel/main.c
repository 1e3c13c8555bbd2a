/* The kernel test suite's root task: runs every registered test in a fresh
 * environment and prints `PASS: name` / `FAIL: name: reason` lines and a
 * final `N passed, N failed` line. */
#include "test.h"

extern const struct test __start_ic_tests[], __stop_ic_tests[];

ic_bootinfo_t *bootinfo;
ic_cptr_t test_untyped;
unsigned test_untyped_bits = 24;
bool test_failed;

static ic_cptr_t pool;         /* the largest RAM untyped: tests come from it */
static ic_word_t slot_first, slot_next;
static ic_word_t vaddr_next;
static char fail_reason[160];

#define TEST_VADDR_BASE 0x40000000ull /* tests map their pages from 1 GiB up */

void test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    int n = ic_snprintf(fail_reason, sizeof(fail_reason), "%s:%d: ", file, line);
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < sizeof(fail_reason))
        ic_vsnprintf(fail_reason + n, sizeof(fail_reason) - n, fmt, ap);
    va_end(ap);
    test_failed = true;
}

ic_cptr_t alloc_slot(void)
{
    if (slot_next >= bootinfo->empty.end)
        return 0;
    return slot_next++;
}

ic_cptr_t alloc_object(ic_word_t type, ic_word_t size_bits)
{
    ic_cptr_t slot = alloc_slot();
    if (!slot || ic_untyped_retype(test_untyped, type, size_bits, ROOT_CNODE, ROOT_DEPTH, slot, 1, ROOT_CNODE) != IC_OK)
        return 0;
    if (type == IC_OBJ_VSPACE && ic_vmid_pool_assign(test_vmids, slot) != IC_OK)
        return 0;
    return slot;
}

ic_cptr_t test_vmids;

/* In its own slot, outside the slots each test empties afterwards. */
bool test_vmids_make(void)
{
    return ic_vmid_control_make_pool(IC_SLOT_VMIDS, TEST_VMIDS_FIRST, TEST_VMIDS_END - TEST_VMIDS_FIRST, test_vmids,
                                     ROOT_DEPTH, ROOT_CNODE) == IC_OK;
}

ic_word_t alloc_vaddr(ic_word_t bytes, ic_word_t align)
{
    vaddr_next = (vaddr_next + align - 1) & ~(align - 1);
    ic_word_t v = vaddr_next;
    vaddr_next += bytes;
    return v;
}

ic_err_t map_frame(ic_cptr_t vspace, ic_cptr_t frame, ic_word_t vaddr, ic_word_t rights, ic_word_t attrs)
{
    for (int tries = 0; tries < 3; tries++) {
        ic_err_t err = ic_frame_map(frame, vaddr, rights, attrs, vspace);
        if (err != IC_FAILED_LOOKUP)
            return err;
        ic_cptr_t pt = alloc_object(IC_OBJ_PAGE_TABLE, 0);
        if (!pt)
            return IC_NOT_ENOUGH_MEMORY;
        err = ic_page_table_map(pt, vaddr, vspace);
        if (err)
            return err;
    }
    return IC_FAILED_LOOKUP;
}

void *alloc_page(ic_cptr_t *frame_out)
{
    ic_cptr_t f = alloc_object(IC_OBJ_FRAME_4K, 0);
    if (!f)
        return 0;
    ic_word_t va = alloc_vaddr(4096, 4096);
    if (map_frame(ROOT_VSPACE, f, va, IC_RIGHTS_ALL, IC_ATTR_CACHED) != IC_OK)
        return 0;
    if (frame_out)
        *frame_out = f;
    return (void *)va;
}

static void thread_trampoline(ic_word_t arg0, ic_word_t arg1, thread_fn fn, ic_cptr_t self)
{
    fn(arg0, arg1);
    ic_tcb_suspend(self);
}

bool thread_create(struct thread *t, thread_fn fn, ic_word_t arg0, ic_word_t arg1, unsigned prio,
                   ic_cptr_t fault_ep)
{
    enum { STACK_PAGES = 4 };
    t->tcb = alloc_object(IC_OBJ_TCB, 0);
    t->ipc = alloc_page(&t->ipc_frame);
    if (!t->tcb || !t->ipc)
        return false;
    ic_word_t stack = alloc_vaddr(STACK_PAGES * 4096, 4096);
    for (int i = 0; i < STACK_PAGES; i++) {
        ic_cptr_t f = alloc_object(IC_OBJ_FRAME_4K, 0);
        if (!f || map_frame(ROOT_VSPACE, f, stack + i * 4096, IC_RIGHTS_ALL, IC_ATTR_CACHED))
            return false;
    }
    t->stack_top = (void *)(stack + STACK_PAGES * 4096);
    if (ic_tcb_configure(t->tcb, IC_WORD_BITS - IC_ROOT_CNODE_BITS, (ic_word_t)t->ipc, fault_ep, ROOT_CNODE,
                         ROOT_VSPACE, t->ipc_frame) != IC_OK)
        return false;
    /* a failing check prints from the thread that made it */
    if (ic_tcb_set_priority(t->tcb, prio, ROOT_TCB) != IC_OK ||
        ic_tcb_set_access(t->tcb, IC_TCB_ACCESS_CONSOLE, ROOT_TCB) != IC_OK)
        return false;
    ic_user_context_t regs = { 0 };
    regs.regs[IC_REG_PC] = (ic_word_t)thread_trampoline;
    regs.regs[IC_REG_SP] = (ic_word_t)t->stack_top;
    regs.regs[IC_REG_TPIDR] = (ic_word_t)t->ipc;
    regs.regs[IC_REG_X0 + 0] = arg0;
    regs.regs[IC_REG_X0 + 1] = arg1;
    regs.regs[IC_REG_X0 + 2] = (ic_word_t)fn;
    regs.regs[IC_REG_X0 + 3] = t->tcb;
    return ic_tcb_write_registers(t->tcb, false, IC_REG_COUNT, &regs) == IC_OK;
}

bool thread_start(struct thread *t, thread_fn fn, ic_word_t arg0, ic_word_t arg1, unsigned prio,
                  ic_cptr_t fault_ep)
{
    return thread_create(t, fn, arg0, arg1, prio, fault_ep) && ic_tcb_resume(t->tcb) == IC_OK;
}

static bool env_setup(void)
{
    slot_next = slot_first;
    vaddr_next = TEST_VADDR_BASE;
    test_untyped = alloc_slot();
    return ic_untyped_retype(pool, IC_OBJ_UNTYPED, test_untyped_bits, ROOT_CNODE, ROOT_DEPTH, test_untyped, 1,
                             ROOT_CNODE) == IC_OK;
}

/* Destroy what the test made; report a failure of the clean-up itself. */
static bool env_teardown(void)
{
    bool ok = ic_cnode_revoke(ROOT_CNODE, test_untyped, ROOT_DEPTH) == IC_OK;
    for (ic_word_t s = slot_first; s < slot_next; s++)
        ok &= ic_cnode_delete(ROOT_CNODE, s, ROOT_DEPTH) == IC_OK;
    return ok;
}

int main(ic_bootinfo_t *bi)
{
    bootinfo = bi;
    ic_word_t best = 0;
    unsigned best_bits = 0;
    for (ic_word_t i = 0; i < bi->untyped.end - bi->untyped.start; i++) {
        if (!bi->untyped_list[i].is_device && bi->untyped_list[i].size_bits > best_bits) {
            best_bits = bi->untyped_list[i].size_bits;
            best = bi->untyped.start + i;
        }
    }
    pool = best;
    test_vmids = bi->empty.start;
    slot_first = bi->empty.start + 1;
    if (!test_vmids_make())
        ic_printf("FAIL: the suite's VMID pool could not be made\n");
    unsigned total = (unsigned)(__stop_ic_tests - __start_ic_tests), passed = 0, failed = 0;
    ic_printf("kernel test suite: %u tests, GICv%u, %u CPUs\n", total, (unsigned)bi->gic_version,
              (unsigned)bi->num_cpus);
    for (const struct test *t = __start_ic_tests; t < __stop_ic_tests; t++) {
        test_failed = false;
        if (!env_setup()) {
            test_fail(__FILE__, __LINE__, "could not set up the test environment");
        } else {
            t->fn();
            if (!env_teardown() && !test_failed)
                test_fail(__FILE__, __LINE__, "clean-up (revoke and delete) failed");
        }
        if (test_failed) {
            failed++;
            ic_printf("FAIL: %s: %s\n", t->name, fail_reason);
        } else {
            passed++;
            ic_printf("PASS: %s\n", t->name);
        }
    }
    ic_printf("%u passed, %u failed\n", passed, failed);
    return 0;
}
