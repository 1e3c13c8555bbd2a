/* A hostile thread: thousands of random system calls and invocations with
 * random capabilities and arguments, against a sandbox CSpace full of real
 * objects. The kernel must answer each with a result or an error, never
 * stop, and be fully usable afterwards. The random sequence is fixed (a
 * seeded xorshift), so a failure can be replayed. */
#include "test.h"

#define SANDBOX_BITS 6
#define FUZZ_CALLS 20000

static volatile uint64_t fuzz_count, fuzz_succeeded, fuzz_state;

static uint64_t fuzz_next(void)
{
    uint64_t x = fuzz_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    fuzz_state = x;
    return x;
}

/* Mostly values a kernel must treat carefully: small numbers, slot
 * indices, depths, powers of two, all ones, addresses; sometimes noise. */
static ic_word_t fuzz_arg(void)
{
    static const ic_word_t depths[] = { SANDBOX_BITS, SANDBOX_BITS, IC_WORD_BITS, 0, 2, 65 };
    uint64_t r = fuzz_next();
    switch (r % 12) {
    case 0:
    case 1: return (r >> 8) % 8;                         /* small: counts, rights, sizes */
    case 2:
    case 3: return (r >> 8) % (1u << SANDBOX_BITS);      /* slot indices */
    case 4:
    case 5: return depths[(r >> 8) % (sizeof(depths) / sizeof(depths[0]))];
    case 6: return 1ull << ((r >> 8) % 64);
    case 7: return ~0ull;
    case 8: return ((r >> 8) % 512) << 12;               /* page-aligned guest addresses */
    case 9: return (r >> 8) % IC_OBJ_TYPE_COUNT;
    case 10: return 0;
    default: return fuzz_next();
    }
}

/* An invocation label that fits what make_sandbox put in 'slot'. */
static ic_word_t label_for_slot(ic_word_t slot, uint64_t r)
{
    switch (slot) {
    case 5: return IC_INV_TCB_CONFIGURE + r % (IC_INV_TCB_UNBIND_NOTIFICATION - IC_INV_TCB_CONFIGURE + 1);
    case 6:
    case 7: return IC_INV_FRAME_MAP + r % 3;
    case 8:
    case 9: return IC_INV_PAGE_TABLE_MAP + r % 2;
    case 11: return IC_INV_VCPU_SET_TCB + r % (IC_INV_VCPU_ACK_VTIMER - IC_INV_VCPU_SET_TCB + 1);
    case 12:
    case 14: return IC_INV_CNODE_COPY + r % (IC_INV_CNODE_REVOKE - IC_INV_CNODE_COPY + 1);
    case 13: return IC_INV_UNTYPED_RETYPE;
    default: return r % (IC_INV_COUNT + 2);
    }
}

static void fuzz_loop(ic_word_t unused0, ic_word_t unused1)
{
    (void)unused0;
    (void)unused1;
    static const ic_word_t syscalls[] = { IC_SYS_CALL, IC_SYS_CALL, IC_SYS_CALL, IC_SYS_SEND, IC_SYS_NB_SEND,
                                          IC_SYS_RECV, IC_SYS_NB_RECV, IC_SYS_REPLY, IC_SYS_REPLY_RECV, IC_SYS_YIELD };
    for (;;) {
        uint64_t r = fuzz_next();
        ic_ipc_buffer_t *buf = ic_ipc_buffer();
        for (unsigned i = 0; i < 12; i++)
            buf->msg[i] = fuzz_arg();
        for (unsigned i = 0; i < IC_MSG_MAX_EXTRA_CAPS; i++)
            buf->caps_or_badges[i] = fuzz_next() % (1u << SANDBOX_BITS);
        buf->receive_cnode = fuzz_arg();
        buf->receive_index = fuzz_arg();
        buf->receive_depth = fuzz_arg();
        /* mostly a slot of the sandbox's layout with a label for its type,
         * a long enough message and enough capabilities */
        ic_word_t slot = fuzz_next() % 8 ? 1 + (r >> 32) % 17 : fuzz_arg();
        ic_word_t label = fuzz_next() % 4 ? label_for_slot(slot, fuzz_next()) : (r >> 8) % (IC_INV_COUNT + 2);
        ic_word_t length = fuzz_next() % 4 ? 6 + (r >> 16) % 3 : (r >> 16) % 11;
        ic_word_t caps = fuzz_next() % 4 ? 1 + (r >> 24) % 4 : 0;
        ic_word_t regs[6] = { slot, ic_msginfo_new(label, 0, caps, length), buf->msg[0], buf->msg[1], buf->msg[2],
                              buf->msg[3] };
        ic_word_t sys = syscalls[(r >> 40) % (sizeof(syscalls) / sizeof(syscalls[0]))];
        ic__svc(sys, regs);
        /* an invocation of a kernel object that did something */
        if (sys == IC_SYS_CALL && regs[0] == IC_OK && label)
            fuzz_succeeded++;
        fuzz_count++;
    }
}

/* The sandbox: a CNode of 64 slots holding one of most kinds of object and
 * a capability to itself (slots 1..17, as label_for_slot expects); returns
 * it, or 0. */
static ic_cptr_t make_sandbox(void)
{
    ic_cptr_t cn = alloc_object(IC_OBJ_CNODE, SANDBOX_BITS);
    ic_cptr_t ut = alloc_slot();
    if (!cn || !ut ||
        ic_untyped_retype(test_untyped, IC_OBJ_UNTYPED, 18, ROOT_CNODE, ROOT_DEPTH, ut, 1, ROOT_CNODE) != IC_OK)
        return 0;
    static const ic_word_t types[] = { IC_OBJ_ENDPOINT, IC_OBJ_ENDPOINT, IC_OBJ_NOTIFICATION, IC_OBJ_NOTIFICATION,
                                       IC_OBJ_TCB, IC_OBJ_FRAME_4K, IC_OBJ_FRAME_4K, IC_OBJ_PAGE_TABLE,
                                       IC_OBJ_PAGE_TABLE, IC_OBJ_VSPACE, IC_OBJ_VCPU };
    ic_word_t next = 1;
    for (unsigned i = 0; i < sizeof(types) / sizeof(types[0]); i++, next++)
        if (ic_untyped_retype(ut, types[i], 0, cn, ROOT_DEPTH, next, 1, ROOT_CNODE) != IC_OK)
            return 0;
    if (ic_untyped_retype(ut, IC_OBJ_CNODE, 2, cn, ROOT_DEPTH, next++, 1, ROOT_CNODE) != IC_OK ||
        ic_untyped_retype(ut, IC_OBJ_UNTYPED, 16, cn, ROOT_DEPTH, next++, 1, ROOT_CNODE) != IC_OK ||
        ic_cnode_copy(cn, next++, SANDBOX_BITS, cn, ROOT_DEPTH, IC_RIGHTS_ALL, ROOT_CNODE) != IC_OK)
        return 0;
    /* badged and reduced copies too */
    if (ic_cnode_mint(cn, next++, SANDBOX_BITS, cn, 1 /* unused */, IC_RIGHTS_ALL, 5, ROOT_CNODE) == IC_OK)
        return 0; /* that lookup must fail: depth 1 of the root names nothing */
    if (ic_cnode_mint(cn, next++, SANDBOX_BITS, 1, SANDBOX_BITS, IC_RIGHT_WRITE, 7, cn) != IC_OK ||
        ic_cnode_copy(cn, next++, SANDBOX_BITS, 3, SANDBOX_BITS, IC_RIGHT_READ, cn) != IC_OK)
        return 0;
    return cn;
}

/* Run the hostile thread for FUZZ_CALLS calls from 'seed'. */
static void fuzz_from(uint64_t seed)
{
    fuzz_state = seed;
    ic_cptr_t cn = make_sandbox();
    CHECK(cn);
    struct thread t;
    CHECK(thread_create(&t, fuzz_loop, 0, 0, 255, 0));
    /* its CSpace is the sandbox: 58 guard bits, so slot indices are CPtrs */
    CHECK_OK(ic_tcb_configure(t.tcb, IC_WORD_BITS - SANDBOX_BITS, (ic_word_t)t.ipc, 0, cn, ROOT_VSPACE, t.ipc_frame));
    ic_user_context_t start = { 0 };
    start.regs[IC_REG_PC] = (ic_word_t)fuzz_loop;
    start.regs[IC_REG_SP] = (ic_word_t)t.stack_top;
    start.regs[IC_REG_TPIDR] = (ic_word_t)t.ipc;
    CHECK_OK(ic_tcb_resume(t.tcb));
    fuzz_count = 0;
    unsigned revivals = 0;
    uint64_t last = 0;
    /* same priority: each yield lets it run; when it stops making progress
     * (blocked, or stopped by a fault) start it over at the loop */
    for (unsigned idle = 0; fuzz_count < FUZZ_CALLS;) {
        ic_yield();
        if (fuzz_count != last) {
            last = fuzz_count;
            idle = 0;
        } else if (++idle == 3) {
            CHECK_OK(ic_tcb_suspend(t.tcb));
            CHECK_OK(ic_tcb_write_registers(t.tcb, true, IC_REG_X0, &start));
            revivals++;
            idle = 0;
        }
        CHECK(revivals < FUZZ_CALLS);
    }
    ic_printf("random system calls: %llu made, %llu invocations succeeded, %u restarts\n",
              (unsigned long long)fuzz_count, (unsigned long long)fuzz_succeeded, revivals);
    CHECK_OK(ic_tcb_suspend(t.tcb));
    /* everything still works: the sandbox can be emptied and its memory
     * made into new objects */
    CHECK_OK(ic_cnode_revoke(ROOT_CNODE, test_untyped, ROOT_DEPTH));
    CHECK(alloc_object(IC_OBJ_ENDPOINT, 0) != 0);
}

/* Three fixed sequences; the second once found an out-of-bounds read in the
 * kernel's report of a guest fault without a handler. */
TEST(random_system_calls_cannot_hurt_the_kernel_1)
{
    fuzz_from(0x9e3779b97f4a7c15ull);
}

TEST(random_system_calls_cannot_hurt_the_kernel_2)
{
    fuzz_from(0x42424242ull);
}

TEST(random_system_calls_cannot_hurt_the_kernel_3)
{
    fuzz_from(0x5eed0003ull);
}
