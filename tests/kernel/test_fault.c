/* Faults: VM faults, unknown system calls and user exceptions become
 * messages to the thread's fault endpoint; the handler's reply resumes the
 * thread (label 0) or leaves it stopped. */
#include "test.h"
#include <icecap/arch/aarch64.h>
#include <icecap/faults.h>

#define ESR_EC(esr) AARCH64_ESR_EC(esr)

static volatile ic_word_t f_log[8];

static void reset_shared(void)
{
    for (unsigned i = 0; i < 8; i++)
        f_log[i] = 0;
}

static ic_word_t thread_pc(struct thread *t)
{
    ic_user_context_t regs;
    if (ic_tcb_read_registers(t->tcb, false, 1, &regs) != IC_OK)
        return 0;
    return regs.regs[IC_REG_PC];
}

/* Reads the word at arg0 (f_log[0] = 1 before, f_log[1] = value after),
 * then signals arg1 if it is not 0. */
static void read_word(ic_word_t addr, ic_word_t done)
{
    f_log[0] = 1;
    f_log[1] = *(volatile ic_word_t *)addr;
    f_log[2] = 1;
    if (done)
        ic_signal(done);
}

/* Writes 0x5eed to the word at arg0. */
static void write_word(ic_word_t addr, ic_word_t unused)
{
    (void)unused;
    f_log[0] = 1;
    *(volatile ic_word_t *)addr = 0x5eed;
    f_log[2] = 1;
}

/* Maps a new frame at the page of va in the root VSpace and stores 'value'
 * at va. */
static bool map_at(ic_word_t va, ic_word_t value, ic_cptr_t *frame_out)
{
    ic_cptr_t f = alloc_object(IC_OBJ_FRAME_4K, 0);
    if (!f || map_frame(ROOT_VSPACE, f, va & ~(ic_word_t)4095, IC_RIGHTS_ALL, IC_ATTR_CACHED) != IC_OK)
        return false;
    *(volatile ic_word_t *)va = value;
    if (frame_out)
        *frame_out = f;
    return true;
}

/* ------------------------------------------------------------ VM faults */

TEST(fault_vm_read_resumes_after_map)
{
    reset_shared();
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    CHECK(ep);
    ic_word_t va = alloc_vaddr(4096, 4096); /* nothing mapped there */
    struct thread t;
    CHECK(thread_start(&t, read_word, va + 0x18, 0, 100, ep));
    ic_word_t badge = 0xdead;
    ic_msginfo_t info = ic_recv(ep, &badge);
    CHECK_EQ(ic_msginfo_label(info), IC_FAULT_VM);
    CHECK_EQ(ic_msginfo_length(info), IC_VM_FAULT_LENGTH);
    CHECK_EQ(badge, 0);
    ic_word_t pc = ic_get_mr(IC_VM_FAULT_PC), addr = ic_get_mr(IC_VM_FAULT_ADDR);
    ic_word_t prefetch = ic_get_mr(IC_VM_FAULT_IS_PREFETCH), esr = ic_get_mr(IC_VM_FAULT_ESR);
    CHECK_EQ(addr, va + 0x18);
    CHECK_EQ(prefetch, 0);
    CHECK_EQ(ESR_EC(esr), 0x24); /* data abort from a lower level */
    CHECK_EQ(pc, thread_pc(&t));
    CHECK_EQ(f_log[0], 1);
    CHECK(map_at(va + 0x18, 0xfeedface, NULL));
    ic_reply(ic_msginfo_new(0, 0, 0, 0));
    CHECK(let_threads_run());
    CHECK_EQ(f_log[2], 1);
    CHECK_EQ(f_log[1], 0xfeedface);
}

TEST(fault_vm_reply_without_fix_faults_again)
{
    reset_shared();
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    CHECK(ep);
    ic_word_t va = alloc_vaddr(4096, 4096);
    struct thread t;
    CHECK(thread_start(&t, read_word, va, 0, 100, ep));
    ic_msginfo_t info = ic_recv(ep, NULL);
    CHECK_EQ(ic_msginfo_label(info), IC_FAULT_VM);
    ic_word_t pc = ic_get_mr(IC_VM_FAULT_PC);
    /* the faulting load runs again and faults again */
    info = ic_reply_recv(ep, ic_msginfo_new(0, 0, 0, 0), NULL);
    CHECK_EQ(ic_msginfo_label(info), IC_FAULT_VM);
    CHECK_EQ(ic_get_mr(IC_VM_FAULT_PC), pc);
    CHECK_EQ(ic_get_mr(IC_VM_FAULT_ADDR), va);
    CHECK(map_at(va, 77, NULL));
    ic_reply(ic_msginfo_new(0, 0, 0, 0));
    CHECK(let_threads_run());
    CHECK_EQ(f_log[2], 1);
    CHECK_EQ(f_log[1], 77);
}

TEST(fault_vm_write_to_read_only_frame)
{
    reset_shared();
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    CHECK(ep);
    ic_word_t va = alloc_vaddr(4096, 4096);
    ic_cptr_t f = alloc_object(IC_OBJ_FRAME_4K, 0);
    CHECK(f);
    CHECK_OK(map_frame(ROOT_VSPACE, f, va, IC_RIGHT_READ, IC_ATTR_CACHED));
    CHECK_EQ(*(volatile ic_word_t *)(va + 8), 0); /* reading is fine */
    struct thread t;
    CHECK(thread_start(&t, write_word, va + 8, 0, 100, ep));
    ic_msginfo_t info = ic_recv(ep, NULL);
    CHECK_EQ(ic_msginfo_label(info), IC_FAULT_VM);
    CHECK_EQ(ic_get_mr(IC_VM_FAULT_ADDR), va + 8);
    CHECK_EQ(ic_get_mr(IC_VM_FAULT_IS_PREFETCH), 0);
    CHECK(ic_get_mr(IC_VM_FAULT_ESR) & (1u << 6)); /* WnR: a write */
    /* map it writable instead, then let the write happen */
    CHECK_OK(ic_frame_unmap(f));
    CHECK_OK(map_frame(ROOT_VSPACE, f, va, IC_RIGHTS_ALL, IC_ATTR_CACHED));
    ic_reply(ic_msginfo_new(0, 0, 0, 0));
    CHECK(let_threads_run());
    CHECK_EQ(f_log[2], 1);
    CHECK_EQ(*(volatile ic_word_t *)(va + 8), 0x5eed);
}

static void landing(void)
{
    f_log[3] = 1;
}

/* Calls the function at arg0, then logs. */
static void call_address(ic_word_t fn, ic_word_t unused)
{
    (void)unused;
    ((void (*)(void))fn)();
    f_log[2] = 1;
}

TEST(fault_vm_instruction_fetch)
{
    reset_shared();
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    CHECK(ep);
    ic_word_t va = alloc_vaddr(4096, 4096);
    struct thread t;
    CHECK(thread_start(&t, call_address, va + 0x40, 0, 100, ep));
    ic_msginfo_t info = ic_recv(ep, NULL);
    CHECK_EQ(ic_msginfo_label(info), IC_FAULT_VM);
    CHECK_EQ(ic_get_mr(IC_VM_FAULT_IS_PREFETCH), 1);
    CHECK_EQ(ic_get_mr(IC_VM_FAULT_ADDR), va + 0x40);
    CHECK_EQ(ic_get_mr(IC_VM_FAULT_PC), va + 0x40);
    CHECK_EQ(ESR_EC(ic_get_mr(IC_VM_FAULT_ESR)), 0x20); /* instruction abort */
    /* send it somewhere else: landing() returns to the caller (x30) */
    ic_user_context_t regs;
    CHECK_OK(ic_tcb_read_registers(t.tcb, false, IC_REG_COUNT, &regs));
    CHECK_EQ(regs.regs[IC_REG_PC], va + 0x40);
    regs.regs[IC_REG_PC] = (ic_word_t)landing;
    CHECK_OK(ic_tcb_write_registers(t.tcb, false, IC_REG_COUNT, &regs));
    ic_reply(ic_msginfo_new(0, 0, 0, 0));
    CHECK(let_threads_run());
    CHECK_EQ(f_log[3], 1);
    CHECK_EQ(f_log[2], 1);
}

/* ------------------------------------------------------------ unknown syscall */

static void bad_syscall(ic_word_t unused0, ic_word_t unused1)
{
    (void)unused0;
    (void)unused1;
    register ic_word_t x0 __asm__("x0") = 0x1100;
    register ic_word_t x1 __asm__("x1") = 0x1101;
    register ic_word_t x2 __asm__("x2") = 0x1102;
    register ic_word_t x6 __asm__("x6") = 0x1106;
    register ic_word_t x7 __asm__("x7") = 99;
    f_log[0] = 1;
    __asm__ volatile("svc #0"
                     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x6), "+r"(x7)
                     :
                     : "x3", "x4", "x5", "memory");
    f_log[1] = x0;
    f_log[2] = 1;
}

TEST(fault_unknown_syscall)
{
    reset_shared();
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    CHECK(ep);
    struct thread t;
    CHECK(thread_start(&t, bad_syscall, 0, 0, 100, ep));
    ic_msginfo_t info = ic_recv(ep, NULL);
    CHECK_EQ(ic_msginfo_label(info), IC_FAULT_UNKNOWN_SYSCALL);
    CHECK_EQ(ic_msginfo_length(info), IC_UNKNOWN_SYSCALL_LENGTH);
    CHECK_EQ(ic_get_mr(IC_UNKNOWN_SYSCALL_NUMBER), 99);
    CHECK_EQ(ic_get_mr(IC_UNKNOWN_SYSCALL_X0 + 7), 99);
    CHECK_EQ(ic_get_mr(IC_UNKNOWN_SYSCALL_X0 + 0), 0x1100);
    CHECK_EQ(ic_get_mr(IC_UNKNOWN_SYSCALL_X0 + 1), 0x1101);
    CHECK_EQ(ic_get_mr(IC_UNKNOWN_SYSCALL_X0 + 2), 0x1102);
    CHECK_EQ(ic_get_mr(IC_UNKNOWN_SYSCALL_X0 + 6), 0x1106);
    ic_word_t pc = ic_get_mr(IC_UNKNOWN_SYSCALL_PC), sp = ic_get_mr(IC_UNKNOWN_SYSCALL_SP);
    ic_user_context_t regs; /* (this uses the IPC buffer) */
    CHECK_OK(ic_tcb_read_registers(t.tcb, false, IC_REG_COUNT, &regs));
    /* the PC is after the svc, where the thread continues */
    CHECK_EQ(pc, regs.regs[IC_REG_PC]);
    CHECK_EQ(sp, regs.regs[IC_REG_SP]);
    CHECK_EQ(*(volatile uint32_t *)(regs.regs[IC_REG_PC] - 4), 0xd4000001u); /* svc #0 */
    CHECK_EQ(f_log[2], 0);
    ic_reply(ic_msginfo_new(0, 0, 0, 0));
    CHECK(let_threads_run());
    CHECK_EQ(f_log[2], 1);
}

/* ------------------------------------------------------------ user exceptions */

static void undefined_instruction(ic_word_t unused0, ic_word_t unused1)
{
    (void)unused0;
    (void)unused1;
    f_log[0] = 1;
    __asm__ volatile("udf #0x42" ::: "memory");
    f_log[2] = 1;
}

TEST(fault_user_exception_skip_instruction)
{
    reset_shared();
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    CHECK(ep);
    struct thread t;
    CHECK(thread_start(&t, undefined_instruction, 0, 0, 100, ep));
    ic_msginfo_t info = ic_recv(ep, NULL);
    CHECK_EQ(ic_msginfo_label(info), IC_FAULT_USER_EXCEPTION);
    CHECK_EQ(ic_msginfo_length(info), IC_USER_EXCEPTION_LENGTH);
    ic_word_t pc = ic_get_mr(IC_USER_EXCEPTION_PC), sp = ic_get_mr(IC_USER_EXCEPTION_SP);
    CHECK_EQ(ESR_EC(ic_get_mr(IC_USER_EXCEPTION_ESR)), 0); /* unknown reason */
    CHECK_EQ(*(volatile uint32_t *)pc, 0x42u);               /* udf #0x42 */
    ic_user_context_t regs;
    CHECK_OK(ic_tcb_read_registers(t.tcb, false, IC_REG_COUNT, &regs));
    CHECK_EQ(regs.regs[IC_REG_PC], pc);
    CHECK_EQ(regs.regs[IC_REG_SP], sp);
    CHECK_EQ(f_log[0], 1);
    /* step over it, then let it go on */
    regs.regs[IC_REG_PC] = pc + 4;
    CHECK_OK(ic_tcb_write_registers(t.tcb, false, IC_REG_COUNT, &regs));
    ic_reply(ic_msginfo_new(0, 0, 0, 0));
    CHECK(let_threads_run());
    CHECK_EQ(f_log[2], 1);
}

static void breakpoint(ic_word_t unused0, ic_word_t unused1)
{
    (void)unused0;
    (void)unused1;
    __asm__ volatile("brk #7" ::: "memory");
    f_log[2] = 1;
}

TEST(fault_breakpoint_is_user_exception)
{
    reset_shared();
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    CHECK(ep);
    struct thread t;
    CHECK(thread_start(&t, breakpoint, 0, 0, 100, ep));
    ic_msginfo_t info = ic_recv(ep, NULL);
    CHECK_EQ(ic_msginfo_label(info), IC_FAULT_USER_EXCEPTION);
    ic_word_t esr = ic_get_mr(IC_USER_EXCEPTION_ESR);
    CHECK_EQ(ESR_EC(esr), 0x3c); /* BRK */
    CHECK_EQ(esr & 0xffff, 7);
    ic_user_context_t regs;
    CHECK_OK(ic_tcb_read_registers(t.tcb, false, 1, &regs));
    regs.regs[IC_REG_PC] += 4;
    CHECK_OK(ic_tcb_write_registers(t.tcb, false, 1, &regs));
    ic_reply(ic_msginfo_new(0, 0, 0, 0));
    CHECK(let_threads_run());
    CHECK_EQ(f_log[2], 1);
}

/* ------------------------------------------------------------ handlers */

TEST(fault_endpoint_badge_delivered)
{
    reset_shared();
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    CHECK(ep);
    ic_cptr_t badged = mint_copy(ep, IC_RIGHTS_ALL, 0xfa17);
    CHECK(badged);
    struct thread t1, t2;
    CHECK(thread_start(&t1, undefined_instruction, 0, 0, 100, badged));
    ic_word_t badge = 0;
    ic_msginfo_t info = ic_recv(ep, &badge);
    CHECK_EQ(ic_msginfo_label(info), IC_FAULT_USER_EXCEPTION);
    CHECK_EQ(badge, 0xfa17);
    /* the TCB holds its own copy: deleting ours changes nothing */
    ic_cptr_t badged2 = mint_copy(ep, IC_RIGHT_WRITE, 0xb0b);
    CHECK(badged2);
    CHECK(thread_start(&t2, breakpoint, 0, 0, 100, badged2));
    CHECK_OK(ic_cnode_delete(ROOT_CNODE, badged2, ROOT_DEPTH));
    info = ic_recv(ep, &badge);
    CHECK_EQ(ic_msginfo_label(info), IC_FAULT_USER_EXCEPTION);
    CHECK_EQ(badge, 0xb0b);
}

TEST(fault_without_handler_stops_thread)
{
    reset_shared();
    struct thread t;
    /* the kernel prints one line about this thread */
    CHECK(thread_start(&t, undefined_instruction, 0, 0, 100, 0));
    CHECK(let_threads_run());
    CHECK_EQ(f_log[0], 1);
    CHECK_EQ(f_log[2], 0);
    /* stopped at the faulting instruction */
    ic_word_t pc = thread_pc(&t);
    CHECK_EQ(*(volatile uint32_t *)pc, 0x42u);
    CHECK(let_threads_run());
    CHECK_EQ(f_log[2], 0);
    /* the system goes on, and the thread can be destroyed */
    CHECK_OK(ic_cnode_delete(ROOT_CNODE, t.tcb, ROOT_DEPTH));
}

TEST(fault_reply_with_nonzero_label_leaves_thread_stopped)
{
    reset_shared();
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    CHECK(ep);
    ic_word_t va = alloc_vaddr(4096, 4096);
    struct thread t;
    CHECK(thread_start(&t, read_word, va, 0, 100, ep));
    ic_msginfo_t info = ic_recv(ep, NULL);
    CHECK_EQ(ic_msginfo_label(info), IC_FAULT_VM);
    CHECK(map_at(va, 31, NULL));
    ic_reply(ic_msginfo_new(1, 0, 0, 0));
    CHECK(let_threads_run());
    CHECK_EQ(f_log[2], 0);
    /* it is stopped, not waiting: a second reply does nothing */
    ic_reply(ic_msginfo_new(0, 0, 0, 0));
    CHECK(let_threads_run());
    CHECK_EQ(f_log[2], 0);
    /* resume makes it run the load again, which now works */
    CHECK_OK(ic_tcb_resume(t.tcb));
    CHECK(let_threads_run());
    CHECK_EQ(f_log[2], 1);
    CHECK_EQ(f_log[1], 31);
}

TEST(fault_delivered_when_handler_not_waiting)
{
    reset_shared();
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    CHECK(ep);
    ic_word_t va = alloc_vaddr(4096, 4096);
    struct thread t;
    CHECK(thread_start(&t, read_word, va + 0x100, 0, 100, ep));
    /* it faults while nobody receives: the fault message waits */
    CHECK(let_threads_run());
    CHECK_EQ(f_log[0], 1);
    CHECK_EQ(f_log[2], 0);
    ic_msginfo_t info = ic_recv(ep, NULL);
    CHECK_EQ(ic_msginfo_label(info), IC_FAULT_VM);
    CHECK_EQ(ic_get_mr(IC_VM_FAULT_ADDR), va + 0x100);
    CHECK(map_at(va + 0x100, 55, NULL));
    ic_reply(ic_msginfo_new(0, 0, 0, 0));
    CHECK(let_threads_run());
    CHECK_EQ(f_log[2], 1);
    CHECK_EQ(f_log[1], 55);
}

/* A fault handler thread: for the first VM fault, maps the frame f_log[4]
 * at the faulting page, writes 0x600d at the address and resumes the
 * thread. */
static void handler_loop(ic_word_t ep, ic_word_t unused)
{
    (void)unused;
    ic_msginfo_t info = ic_recv(ep, NULL);
    for (;;) {
        if (ic_msginfo_label(info) != IC_FAULT_VM || f_log[6]) {
            info = ic_recv(ep, NULL); /* not resumed */
            continue;
        }
        ic_word_t addr = ic_get_mr(IC_VM_FAULT_ADDR);
        f_log[7] = ic_frame_map(f_log[4], addr & ~(ic_word_t)4095, IC_RIGHTS_ALL, IC_ATTR_CACHED, ROOT_VSPACE);
        *(volatile ic_word_t *)addr = 0x600d;
        f_log[6]++;
        info = ic_reply_recv(ep, ic_msginfo_new(0, 0, 0, 0), NULL);
    }
}

TEST(fault_handled_by_thread_on_other_cpu)
{
    if (bootinfo->num_cpus < 2)
        return;
    reset_shared();
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    ic_cptr_t done = alloc_object(IC_OBJ_NOTIFICATION, 0);
    CHECK(ep && done);
    /* make the page tables now, so that the handler only maps a frame */
    ic_word_t va = alloc_vaddr(4096, 4096);
    ic_cptr_t f;
    CHECK(map_at(va, 0, &f));
    CHECK_OK(ic_frame_unmap(f));
    f_log[4] = f;
    struct thread h, t;
    CHECK(thread_start_on(&h, handler_loop, ep, 0, 100, 0, 1));
    /* the faulting thread runs on CPU 0, its handler on CPU 1 */
    CHECK(thread_start(&t, read_word, va + 8, done, 100, ep));
    ic_word_t b;
    ic_wait(done, &b);
    CHECK_EQ(f_log[6], 1);
    CHECK_EQ(f_log[7], IC_OK);
    CHECK_EQ(f_log[2], 1);
    CHECK_EQ(f_log[1], 0x600d);
}

TEST(fault_suspend_while_fault_queued_keeps_pc)
{
    reset_shared();
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    CHECK(ep);
    ic_word_t va = alloc_vaddr(4096, 4096);
    struct thread t;
    CHECK(thread_start(&t, read_word, va, 0, 100, ep));
    CHECK(let_threads_run()); /* faulted; the message waits in the queue */
    ic_word_t pc = thread_pc(&t);
    CHECK(pc != 0);
    /* suspending takes the fault message back; the thread stays at the
     * faulting instruction (it made no system call to restart) */
    CHECK_OK(ic_tcb_suspend(t.tcb));
    CHECK_EQ(thread_pc(&t), pc);
    CHECK_EQ(ic_nb_recv(ep, NULL), 0);
    /* resumed, it runs the load again and faults again */
    CHECK_OK(ic_tcb_resume(t.tcb));
    ic_msginfo_t info = ic_recv(ep, NULL);
    CHECK_EQ(ic_msginfo_label(info), IC_FAULT_VM);
    CHECK_EQ(ic_get_mr(IC_VM_FAULT_PC), pc);
    CHECK_EQ(ic_get_mr(IC_VM_FAULT_ADDR), va);
    CHECK(map_at(va, 13, NULL));
    ic_reply(ic_msginfo_new(0, 0, 0, 0));
    CHECK(let_threads_run());
    CHECK_EQ(f_log[2], 1);
    CHECK_EQ(f_log[1], 13);
}

TEST(fault_suspend_while_handler_holds_fault)
{
    reset_shared();
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    CHECK(ep);
    struct thread t;
    CHECK(thread_start(&t, undefined_instruction, 0, 0, 100, ep));
    ic_msginfo_t info = ic_recv(ep, NULL);
    CHECK_EQ(ic_msginfo_label(info), IC_FAULT_USER_EXCEPTION);
    ic_word_t pc = ic_get_mr(IC_USER_EXCEPTION_PC);
    CHECK_OK(ic_tcb_suspend(t.tcb));
    CHECK_EQ(thread_pc(&t), pc);
    /* the reply has nobody to go to now */
    ic_reply(ic_msginfo_new(0, 0, 0, 0));
    CHECK(let_threads_run());
    CHECK_EQ(f_log[2], 0);
    /* resumed, it faults again at the same place */
    CHECK_OK(ic_tcb_resume(t.tcb));
    info = ic_recv(ep, NULL);
    CHECK_EQ(ic_msginfo_label(info), IC_FAULT_USER_EXCEPTION);
    CHECK_EQ(ic_get_mr(IC_USER_EXCEPTION_PC), pc);
    ic_user_context_t regs;
    CHECK_OK(ic_tcb_read_registers(t.tcb, false, 1, &regs));
    regs.regs[IC_REG_PC] = pc + 4;
    CHECK_OK(ic_tcb_write_registers(t.tcb, false, 1, &regs));
    ic_reply(ic_msginfo_new(0, 0, 0, 0));
    CHECK(let_threads_run());
    CHECK_EQ(f_log[2], 1);
}

/* Makes unknown system calls in a loop with x0..x5 set; after each resume
 * the registers must be as they were (a fault reply carries no message). */
static void repeated_bad_syscalls(ic_word_t rounds, ic_word_t unused)
{
    (void)unused;
    for (ic_word_t i = 0; i < rounds; i++) {
        register ic_word_t x0 __asm__("x0") = 0x10 + i, x1 __asm__("x1") = 0x11, x2 __asm__("x2") = 0x12;
        register ic_word_t x3 __asm__("x3") = 0x13, x4 __asm__("x4") = 0x14, x5 __asm__("x5") = 0x15;
        register ic_word_t x7 __asm__("x7") = 99;
        __asm__ volatile("svc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4), "+r"(x5), "+r"(x7) : : "memory");
        if (x0 != 0x10 + i || x1 != 0x11 || x2 != 0x12 || x3 != 0x13 || x4 != 0x14 || x5 != 0x15 || x7 != 99)
            f_log[1]++;
        f_log[0]++;
    }
}

TEST(fault_reply_recv_resumes_without_touching_registers)
{
    /* the handler answers each fault with ReplyRecv: with nothing else
     * ready on this CPU that is the fast path */
    reset_shared();
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    CHECK(ep);
    struct thread t;
    CHECK(thread_start(&t, repeated_bad_syscalls, 5, 0, 100, ep));
    ic_word_t badge;
    ic_msginfo_t info = ic_recv(ep, &badge);
    for (int i = 0; i < 5; i++) {
        CHECK_EQ(ic_msginfo_label(info), IC_FAULT_UNKNOWN_SYSCALL);
        CHECK_EQ(ic_get_mr(IC_UNKNOWN_SYSCALL_NUMBER), 99);
        CHECK_EQ(f_log[0], (ic_word_t)i);
        ic_set_mr(0, 0xbad);
        ic_set_mr(1, 0xbad);
        /* the last round: the thread finishes and suspends itself, so
         * nobody sends again */
        if (i == 4) {
            ic_reply(ic_msginfo_new(0, 0, 0, 2));
            break;
        }
        info = ic_reply_recv(ep, ic_msginfo_new(0, 0, 0, 2), &badge);
    }
    CHECK(let_threads_run());
    CHECK_EQ(f_log[0], 5);
    CHECK_EQ(f_log[1], 0);
}
