/* Hostile threads on both CPUs while the root task tears their world apart.
 *
 * Each round, four hostile threads run in address spaces of their own (only
 * the page of their code, their stack, IPC buffer and a counter page are
 * mapped: they cannot reach the root task's memory) with sandbox CSpaces
 * holding real objects: endpoints and notifications shared between them,
 * their own TCB capability, another hostile thread's TCB, their own CNode,
 * another sandbox's CNode (cycles of CNodes), address spaces and page tables
 * in use. They make random system calls and invocations on them, on both
 * CPUs. Meanwhile the root task, at their priority on CPU 0, swaps their
 * address spaces (tcb_configure) and destroys the old ones while they run,
 * suspends, resumes, moves, reads and writes them, gives them new
 * CSpaces, drops its own capabilities so that cycles of last capabilities
 * are left, and stalls a pair of threads that ping-pong Calls on CPU 1
 * (every Call must arrive, none may be lost while the thread waits for the
 * kernel lock). It checks:
 *   - a thread whose address space is destroyed (its last capability
 *     deleted, or swapped out by tcb_configure) makes no further progress
 *     in it: the counter page of that address space stands still;
 *   - a caller orphaned by a receiver that took a second Call does not
 *     keep a pointer to that receiver: once the receiver is destroyed and
 *     its memory reused, stopping the orphan leaves that memory alone;
 *   - no system call of the ping-pong pair is lost and the pair goes on
 *     (the kernel answers on CPU 1) within a bounded time;
 *   - after revoking the round's untyped region, all of it can be retyped
 *     again (nothing leaked, no cycle left behind) and reads as zero.
 * A hang (a deletion that never ends, both CPUs waiting for the lock) stops
 * the suite at its time limit.
 *
 * Deterministic from a seed (xorshift) as far as the root's actions and the
 * threads' arguments go; the interleaving of the CPUs is not. Failures
 * print the seed and the round.
 *
 *   STRESS_SMP_ROUNDS   rounds per seed (default 3)
 *   STRESS_SMP_SEEDS    when defined: one test running that many seeds,
 *                       one line each (make fuzz-kernel); otherwise two
 *                       tests with fixed seeds
 *   STRESS_SMP_SEED0    first seed of that run (default 1) */
#include "test.h"

#ifndef STRESS_SMP_ROUNDS
#define STRESS_SMP_ROUNDS 3
#endif
#ifndef STRESS_SMP_SEED0
#define STRESS_SMP_SEED0 1
#endif

#define NHOSTILE 4
#define SB_BITS 6                  /* sandbox CNodes: 64 slots */
#define RES_SLOTS 1024             /* root slots reused by every round */
#define ROUND_UT_BITS 22           /* each round's objects: 4 MiB */
#define CW_PAGES 128               /* root window onto counter pages */
#define STEPS 16                   /* root actions per round */
#define PACE_MS 4                  /* and between two: 4 to 7 ms */
#define NAUX 6

/* The hostile threads' address space (guest-physical addresses). */
#define HV_STACK 0x10000000ull     /* two pages */
#define HV_IPC 0x10002000ull
#define HV_COUNTER 0x10003000ull   /* [0] loop count, [1] calls, [2] successes, [256..] scribbled */

enum { MODE_FUZZ = 0, MODE_SPIN = 1 };

/* ------------------------------------------------------------ hostile code
 * One function in a section of its own, aligned to a page: it is all that
 * is mapped of the image in the hostile address spaces. It may use no data
 * of the image (no globals, no constant tables), which rules out libc
 * calls, switch tables and out-of-line helpers. */

#define HOSTILE __attribute__((section(".text.hostile")))
#define HOSTILE_INLINE static inline __attribute__((always_inline))

HOSTILE_INLINE uint64_t h_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *s = x;
    return x;
}

/* Mostly values a kernel must treat carefully: small numbers, slot indices,
 * depths, powers of two, all ones, page addresses, type numbers. */
HOSTILE_INLINE ic_word_t h_arg(uint64_t *s)
{
    uint64_t r = h_next(s);
    unsigned k = (unsigned)(r % 13);
    r >>= 8;
    if (k < 2)
        return r % 8;
    if (k < 4)
        return r % (1u << SB_BITS);
    if (k < 6) {
        unsigned d = (unsigned)(r % 5);
        return d < 2 ? SB_BITS : d == 2 ? IC_WORD_BITS : d == 3 ? 0 : 65;
    }
    if (k == 6)
        return 1ull << (r % 64);
    if (k == 7)
        return ~0ull;
    if (k == 8)
        return (r % 512) << 12;
    if (k == 9)
        return r % IC_OBJ_TYPE_COUNT;
    if (k == 10)
        return HV_STACK + ((r % 8) << 12);
    if (k == 11)
        return 0;
    return h_next(s);
}

/* The sandbox's layout (make_sandbox) and invocations that fit it. */
enum {
    SB_EP_SHARED = 1, SB_EP = 2, SB_NTFN_SHARED = 3, SB_NTFN = 4, SB_TCB_SELF = 5, SB_TCB_OTHER = 6,
    SB_FRAME = 7, SB_FRAME_IPC = 8, SB_PT_IN_USE = 9, SB_PT = 10, SB_VSPACE_SELF = 11, SB_CNODE_SELF = 12,
    SB_UNTYPED = 13, SB_CNODE_OTHER = 14, SB_CNODE_SMALL = 15, SB_EP_BADGED = 16, SB_NTFN_RO = 17,
    SB_VCPU = 18, SB_VSPACE_OTHER = 19, SB_LAST = 19
};

HOSTILE_INLINE ic_word_t h_label(ic_word_t slot, uint64_t r)
{
    if (slot == SB_TCB_SELF || slot == SB_TCB_OTHER)
        return IC_INV_TCB_CONFIGURE + r % (IC_INV_TCB_UNBIND_NOTIFICATION - IC_INV_TCB_CONFIGURE + 1);
    if (slot == SB_FRAME || slot == SB_FRAME_IPC)
        return IC_INV_FRAME_MAP + r % 3;
    if (slot == SB_PT_IN_USE || slot == SB_PT)
        return IC_INV_PAGE_TABLE_MAP + r % 2;
    if (slot == SB_CNODE_SELF || slot == SB_CNODE_OTHER || slot == SB_CNODE_SMALL)
        return IC_INV_CNODE_COPY + r % (IC_INV_CNODE_SAVE_CALLER - IC_INV_CNODE_COPY + 1);
    if (slot == SB_UNTYPED)
        return IC_INV_UNTYPED_RETYPE;
    if (slot == SB_VCPU)
        return IC_INV_VCPU_SET_TCB + r % (IC_INV_VCPU_SET_TIMER_LR - IC_INV_VCPU_SET_TCB + 1);
    return r % (IC_INV_COUNT + 2);
}

/* x0 = seed, x1 = mode; SP, TPIDR and the address space are set up by the
 * root task (hostile_start_regs). */
__attribute__((noreturn, noinline, aligned(4096), optimize("no-tree-switch-conversion", "no-jump-tables")))
static HOSTILE void hostile_main(uint64_t seed, uint64_t mode)
{
    volatile uint64_t *ctr = (volatile uint64_t *)HV_COUNTER;
    ic_ipc_buffer_t *buf = (ic_ipc_buffer_t *)HV_IPC;
    uint64_t s = seed | 1;
    if (mode == MODE_SPIN) {
        /* run without entering the kernel, writing all the time */
        for (uint64_t i = 1;; i++) {
            ctr[0] = i;
            ctr[256 + (i & 255)] = i;
            if ((i & 0xffff) == 0) {
                ic_word_t regs[6] = { 0 };
                ic__svc(IC_SYS_YIELD, regs);
            }
        }
    }
    for (uint64_t i = 1;; i++) {
        uint64_t r = h_next(&s);
        for (unsigned k = 0; k < 12; k++)
            buf->msg[k] = h_arg(&s);
        for (unsigned k = 0; k < IC_MSG_MAX_EXTRA_CAPS; k++)
            buf->caps_or_badges[k] = h_next(&s) % (1u << SB_BITS);
        buf->receive_cnode = h_arg(&s);
        buf->receive_index = h_arg(&s);
        buf->receive_depth = h_arg(&s);
        ic_word_t slot = h_next(&s) % 8 ? 1 + (r >> 32) % SB_LAST : h_arg(&s);
        ic_word_t label = h_next(&s) % 4 ? h_label(slot, h_next(&s)) : (r >> 8) % (IC_INV_COUNT + 2);
        ic_word_t length = h_next(&s) % 4 ? 6 + (r >> 16) % 3 : (r >> 16) % 11;
        ic_word_t caps = h_next(&s) % 4 ? 1 + (r >> 24) % 4 : 0;
        ic_word_t regs[6] = { slot, ic_msginfo_new(label, 0, caps, length), buf->msg[0], buf->msg[1], buf->msg[2],
                              buf->msg[3] };
        /* blocking system calls one time in six (Calls on endpoints
         * block too): a blocked thread waits for the root to restart it */
        unsigned k = (unsigned)((r >> 40) % 20);
        ic_word_t sys = k < 8 ? IC_SYS_CALL : k == 8 ? IC_SYS_SEND : k < 11 ? IC_SYS_NB_SEND : k == 11 ? IC_SYS_RECV
                      : k < 15 ? IC_SYS_NB_RECV : k < 17 ? IC_SYS_REPLY : k == 17 ? IC_SYS_REPLY_RECV : IC_SYS_YIELD;
        ic__svc(sys, regs);
        ctr[0] = i;
        ctr[1] = ctr[1] + 1;
        if (sys == IC_SYS_CALL && regs[0] == IC_OK && label)
            ctr[2] = ctr[2] + 1;
        ctr[256 + (i & 255)] = r;
    }
}

/* ------------------------------------------------------------ root side */

struct hostile {
    ic_cptr_t tcb;                 /* the root's capability; 0 once destroyed */
    ic_cptr_t sandbox;             /* the root's capability to its CSpace, or 0 */
    ic_cptr_t stack[2], ipc;       /* frames (the originals) */
    ic_cptr_t vs;                  /* its current address space, or 0 */
    ic_cptr_t pt;                  /* a page table of it (moved into the sandbox) */
    volatile ic_word_t *ctr;       /* its counter page, as the root sees it */
    ic_word_t seen;
    unsigned idle;
};

struct aux {
    ic_cptr_t ipc_frame;
    ic_word_t ipc, stack_top;
};

static struct {
    uint64_t rng, seed;
    unsigned round;
    ic_cptr_t ut;                  /* the round's untyped */
    ic_cptr_t res;                 /* RES_SLOTS reserved root slots */
    unsigned res_next;
    ic_word_t cw, zw;              /* root windows: counter pages, zero check */
    unsigned cw_next;
    ic_cptr_t code_frame;          /* the image frame holding hostile_main */
    ic_cptr_t ep_shared, ntfn_shared, fault_ep;
    struct hostile h[NHOSTILE];
    volatile ic_word_t *gens[CW_PAGES];
    unsigned ngens;
    struct aux aux[NAUX];
    bool spinner_started;
    uint64_t calls, ok_calls, stalls, swaps, kills, cycles, revivals, pings;
} G;

/* Shared with the root-task threads (in the root's address space). */
static volatile ic_word_t ping_seq, pong_last, pong_bad, ping_bad, orphan_flag, cycle_spin;

static uint64_t rnd(void)
{
    uint64_t x = G.rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    G.rng = x;
    return x;
}

static unsigned rnd_n(unsigned n)
{
    return (unsigned)(rnd() % n);
}

#define FAILR(...)                                                                                 \
    do {                                                                                           \
        char m_[96];                                                                               \
        ic_snprintf(m_, sizeof(m_), __VA_ARGS__);                                                  \
        test_fail(__FILE__, __LINE__, "seed 0x%llx round %u: %s", (unsigned long long)G.seed,     \
                  G.round, m_);                                                                    \
        return false;                                                                              \
    } while (0)
#define OKR(expr)                                                                                  \
    do {                                                                                           \
        ic_word_t e_ = (expr);                                                                     \
        if (e_ != IC_OK)                                                                           \
            FAILR("%s: error %llu", #expr, (unsigned long long)e_);                                \
    } while (0)

static ic_cptr_t res_slot(void)
{
    return G.res_next < RES_SLOTS ? G.res + G.res_next++ : 0;
}

/* A new object from the round's untyped in a reserved slot, or 0. */
static ic_cptr_t res_object(ic_word_t type, ic_word_t bits)
{
    ic_cptr_t s = res_slot();
    if (!s || ic_untyped_retype(G.ut, type, bits, ROOT_CNODE, ROOT_DEPTH, s, 1, ROOT_CNODE) != IC_OK)
        return 0;
    if (type == IC_OBJ_VSPACE && ic_vmid_pool_assign(test_vmids, s) != IC_OK)
        return 0;
    return s;
}

static ic_cptr_t res_copy(ic_cptr_t src, ic_word_t rights)
{
    ic_cptr_t s = res_slot();
    if (!s || ic_cnode_copy(ROOT_CNODE, s, ROOT_DEPTH, src, ROOT_DEPTH, rights, ROOT_CNODE) != IC_OK)
        return 0;
    return s;
}

/* Map a frame in a hostile address space, with page tables from the round. */
static ic_err_t vs_map(ic_cptr_t vs, ic_cptr_t frame, ic_word_t va, ic_word_t rights, ic_cptr_t *pt_out)
{
    for (int tries = 0; tries < 3; tries++) {
        ic_err_t err = ic_frame_map(frame, va, rights, IC_ATTR_CACHED, vs);
        if (err != IC_FAILED_LOOKUP)
            return err;
        ic_cptr_t pt = res_object(IC_OBJ_PAGE_TABLE, 0);
        if (!pt)
            return IC_NOT_ENOUGH_MEMORY;
        err = ic_page_table_map(pt, va, vs);
        if (err)
            return err;
        if (pt_out)
            *pt_out = pt;
    }
    return IC_FAILED_LOOKUP;
}

/* A new address space for h: the code page, h's stack and IPC buffer, and
 * a counter page of its own that the root also maps. 0 when the round has
 * run out of something (not an error). */
static ic_cptr_t new_vspace(struct hostile *h, volatile ic_word_t **ctr_out, ic_cptr_t *pt_out)
{
    if (G.cw_next >= CW_PAGES)
        return 0;
    ic_cptr_t vs = res_object(IC_OBJ_VSPACE, 0);
    ic_cptr_t code = res_copy(G.code_frame, IC_RIGHT_READ | IC_RIGHT_EXECUTE);
    ic_cptr_t s0 = res_copy(h->stack[0], IC_RIGHTS_ALL), s1 = res_copy(h->stack[1], IC_RIGHTS_ALL);
    ic_cptr_t ipc = res_copy(h->ipc, IC_RIGHTS_ALL);
    ic_cptr_t cf = res_object(IC_OBJ_FRAME_4K, 0), cf_root = cf ? res_copy(cf, IC_RIGHTS_ALL) : 0;
    if (!vs || !code || !s0 || !s1 || !ipc || !cf || !cf_root)
        return 0;
    ic_word_t rw = IC_RIGHT_READ | IC_RIGHT_WRITE;
    if (vs_map(vs, code, (ic_word_t)hostile_main, IC_RIGHT_READ | IC_RIGHT_EXECUTE, NULL) ||
        vs_map(vs, s0, HV_STACK, rw, NULL) || vs_map(vs, s1, HV_STACK + 4096, rw, NULL) ||
        vs_map(vs, ipc, HV_IPC, rw, NULL) || vs_map(vs, cf, HV_COUNTER, rw, pt_out))
        return 0;
    ic_word_t va = G.cw + (ic_word_t)G.cw_next * 4096;
    if (map_frame(ROOT_VSPACE, cf_root, va, rw, IC_ATTR_CACHED) != IC_OK)
        return 0;
    G.cw_next++;
    *ctr_out = (volatile ic_word_t *)va;
    G.gens[G.ngens++] = *ctr_out;
    return vs;
}

/* The sandbox of hostile i (SB_* layout); the slots naming other hostile
 * threads' objects are filled by link_sandbox. */
static ic_cptr_t make_sandbox(unsigned i)
{
    struct hostile *h = &G.h[i];
    ic_cptr_t cn = res_object(IC_OBJ_CNODE, SB_BITS);
    if (!cn)
        return 0;
#define SB_RETYPE(slot, type, bits) (ic_untyped_retype(G.ut, type, bits, cn, ROOT_DEPTH, slot, 1, ROOT_CNODE) == IC_OK)
#define SB_COPY(slot, src, rights) (ic_cnode_copy(cn, slot, SB_BITS, src, ROOT_DEPTH, rights, ROOT_CNODE) == IC_OK)
    bool ok = SB_COPY(SB_EP_SHARED, G.ep_shared, IC_RIGHTS_ALL) && SB_RETYPE(SB_EP, IC_OBJ_ENDPOINT, 0) &&
              SB_COPY(SB_NTFN_SHARED, G.ntfn_shared, IC_RIGHTS_ALL) && SB_RETYPE(SB_NTFN, IC_OBJ_NOTIFICATION, 0) &&
              SB_RETYPE(SB_FRAME, IC_OBJ_FRAME_4K, 0) && SB_COPY(SB_FRAME_IPC, h->ipc, IC_RIGHTS_ALL) &&
              SB_RETYPE(SB_PT, IC_OBJ_PAGE_TABLE, 0) && SB_COPY(SB_CNODE_SELF, cn, IC_RIGHTS_ALL) &&
              SB_RETYPE(SB_UNTYPED, IC_OBJ_UNTYPED, 16) && SB_RETYPE(SB_CNODE_SMALL, IC_OBJ_CNODE, 2) &&
              SB_RETYPE(SB_VCPU, IC_OBJ_VCPU, 0) &&
              ic_cnode_mint(cn, SB_EP_BADGED, SB_BITS, G.ep_shared, ROOT_DEPTH, IC_RIGHT_WRITE, 7, ROOT_CNODE) == IC_OK &&
              SB_COPY(SB_NTFN_RO, G.ntfn_shared, IC_RIGHT_READ);
#undef SB_RETYPE
    if (!ok)
        return 0;
    if (h->tcb && !SB_COPY(SB_TCB_SELF, h->tcb, IC_RIGHTS_ALL))
        return 0;
    if (h->vs && !SB_COPY(SB_VSPACE_SELF, h->vs, IC_RIGHTS_ALL))
        return 0;
    /* a page table in use: the one of h's counter page */
    if (h->pt && ic_cnode_move(cn, SB_PT_IN_USE, SB_BITS, h->pt, ROOT_DEPTH, ROOT_CNODE) == IC_OK)
        h->pt = 0;
    return cn;
}

/* Capabilities to the next hostile thread's TCB, CNode and address space. */
static void link_sandbox(unsigned i)
{
    struct hostile *h = &G.h[i], *o = &G.h[(i + 1) % NHOSTILE];
    ic_cptr_t cn = h->sandbox;
    if (!cn)
        return;
    if (o->tcb)
        (void)SB_COPY(SB_TCB_OTHER, o->tcb, IC_RIGHTS_ALL);
    if (o->sandbox)
        (void)SB_COPY(SB_CNODE_OTHER, o->sandbox, IC_RIGHTS_ALL);
    if (o->vs)
        (void)SB_COPY(SB_VSPACE_OTHER, o->vs, IC_RIGHTS_ALL);
}
#undef SB_COPY

static ic_err_t configure(struct hostile *h)
{
    return ic_tcb_configure(h->tcb, IC_WORD_BITS - SB_BITS, HV_IPC, G.fault_ep, h->sandbox, h->vs, h->ipc);
}

/* (Re)start h at the top of hostile_main, at the root's priority. */
static ic_err_t restart(struct hostile *h)
{
    ic_user_context_t regs = { 0 };
    regs.regs[IC_REG_PC] = (ic_word_t)hostile_main;
    regs.regs[IC_REG_SP] = HV_STACK + 2 * 4096;
    regs.regs[IC_REG_TPIDR] = HV_IPC;
    regs.regs[IC_REG_X0] = rnd();
    /* a thread that runs without entering the kernel gets CPU 1: on CPU 0
     * it would take whole time slices from the root */
    bool spin = rnd_n(6) == 0;
    regs.regs[IC_REG_X0 + 1] = spin ? MODE_SPIN : MODE_FUZZ;
    ic_err_t e = ic_tcb_suspend(h->tcb);
    if (!e)
        e = ic_tcb_set_priority(h->tcb, 255, ROOT_TCB);
    if (!e)
        e = ic_tcb_set_affinity(h->tcb, spin ? bootinfo->num_cpus - 1 : rnd_n((unsigned)bootinfo->num_cpus));
    if (!e)
        e = ic_tcb_write_registers(h->tcb, true, IC_REG_X0 + 2, &regs);
    h->idle = 0;
    return e;
}

static void delay_us(unsigned us)
{
    uint64_t end = now_ns() + (uint64_t)us * 1000;
    while (now_ns() < end)
        ;
}

static void delay_ms(unsigned ms)
{
    uint64_t end = now_ns() + (uint64_t)ms * 1000000;
    while (now_ns() < end)
        ;
}

/* Spin for 'ms' milliseconds; false if *p changed meanwhile. */
static bool stays(volatile ic_word_t *p, unsigned ms)
{
    ic_word_t v = *p;
    return !spin_until_changed(p, v, ms);
}

/* ------------------------------------------------------------ root-task threads */

static void aux_entry(ic_word_t a0, ic_word_t a1, thread_fn fn)
{
    fn(a0, a1);
    for (;;)
        ic_yield();
}

/* Start a thread of the root task's address space on aux stack k. */
static ic_err_t aux_start(unsigned k, ic_cptr_t tcb, ic_cptr_t cspace, ic_word_t guard, thread_fn fn, ic_word_t a0,
                          ic_word_t a1, unsigned cpu)
{
    struct aux *a = &G.aux[k];
    ic_err_t e = ic_tcb_configure(tcb, guard, a->ipc, 0, cspace, ROOT_VSPACE, a->ipc_frame);
    if (!e)
        e = ic_tcb_set_priority(tcb, 255, ROOT_TCB);
    if (!e)
        e = ic_tcb_set_affinity(tcb, cpu % bootinfo->num_cpus);
    ic_user_context_t regs = { 0 };
    regs.regs[IC_REG_PC] = (ic_word_t)aux_entry;
    regs.regs[IC_REG_SP] = a->stack_top;
    regs.regs[IC_REG_TPIDR] = a->ipc;
    regs.regs[IC_REG_X0] = a0;
    regs.regs[IC_REG_X0 + 1] = a1;
    regs.regs[IC_REG_X0 + 2] = (ic_word_t)fn;
    if (!e)
        e = ic_tcb_write_registers(tcb, true, IC_REG_X0 + 3, &regs);
    return e;
}

/* The ping-pong pair: every Call carries the next number and must come
 * back with it plus 1000; the server sees each number once, or twice when
 * the caller was suspended and made its Call again, never one skipped. */
static void pinger(ic_word_t ep, ic_word_t unused)
{
    (void)unused;
    for (ic_word_t seq = 1;; seq++) {
        ic_set_mr(0, seq);
        ic_msginfo_t info = ic_call(ep, ic_msginfo_new(0, 0, 0, 1), NULL);
        if (ic_msginfo_length(info) != 1 || ic_get_mr(0) != seq + 1000)
            ping_bad = ping_bad ? ping_bad : seq;
        ping_seq = seq;
    }
}

static void ponger(ic_word_t ep, ic_word_t unused)
{
    (void)unused;
    ic_msginfo_t info = ic_recv(ep, NULL);
    for (;;) {
        ic_word_t v = ic_msginfo_length(info) == 1 ? ic_get_mr(0) : ~0ull;
        if (v != pong_last && v != pong_last + 1)
            pong_bad = pong_bad ? pong_bad : (v ? v : ~0ull);
        pong_last = v;
        ic_set_mr(0, v + 1000);
        info = ic_reply_recv(ep, ic_msginfo_new(0, 0, 0, 1), NULL);
    }
}

/* The orphan scenario: a receiver that takes two Calls without replying. */
static void recv_twice(ic_word_t ep, ic_word_t ntfn)
{
    ic_recv(ep, NULL);
    orphan_flag++;
    ic_recv(ep, NULL);
    orphan_flag++;
    ic_wait(ntfn, NULL);
}

static void call_once(ic_word_t ep, ic_word_t unused)
{
    (void)unused;
    ic_call(ep, ic_msginfo_new(0, 0, 0, 0), NULL);
    orphan_flag += 100; /* never: nobody replies */
}

static void spin_forever(ic_word_t unused0, ic_word_t unused1)
{
    (void)unused0;
    (void)unused1;
    for (;;)
        cycle_spin++;
}

/* ------------------------------------------------------------ root actions */

/* Swap h's address space for a new one and destroy the old one while h may
 * run on the other CPU; the old counter page must then stand still. */
static bool act_swap(struct hostile *h, bool replace)
{
    if (!h->tcb || !h->vs)
        return true;
    ic_cptr_t old = h->vs;
    volatile ic_word_t *old_ctr = h->ctr;
    volatile ic_word_t *ctr = NULL;
    ic_cptr_t pt = 0;
    ic_cptr_t vs = replace ? new_vspace(h, &ctr, &pt) : 0;
    if (replace && !vs)
        return true; /* out of room this round */
    unsigned how = replace ? rnd_n(3) : 0;
    if (how == 0) {
        /* every copy (the TCB's, the sandboxes'), then the last one */
        OKR(ic_cnode_revoke(ROOT_CNODE, old, ROOT_DEPTH));
        OKR(ic_cnode_delete(ROOT_CNODE, old, ROOT_DEPTH));
        h->vs = vs;
        if (vs && h->sandbox)
            OKR(configure(h));
    } else if (how == 1) {
        h->vs = vs;
        if (h->sandbox)
            OKR(configure(h));
        OKR(ic_cnode_revoke(ROOT_CNODE, old, ROOT_DEPTH));
        OKR(ic_cnode_delete(ROOT_CNODE, old, ROOT_DEPTH));
    } else {
        /* the TCB's copy is the last one: tcb_configure destroys it */
        if (!h->sandbox)
            return true;
        OKR(ic_cnode_revoke(ROOT_CNODE, old, ROOT_DEPTH));
        OKR(configure(h));
        OKR(ic_cnode_delete(ROOT_CNODE, old, ROOT_DEPTH));
        h->vs = vs;
        OKR(configure(h));
    }
    G.swaps++;
    if (!stays(old_ctr, 3))
        FAILR("a thread ran on in an address space after its destruction (%s)",
              replace ? (how == 2 ? "tcb_configure" : "swap and delete") : "delete");
    h->ctr = ctr;
    h->seen = ctr ? ctr[0] : 0;
    if (vs && h->sandbox)
        ic_cnode_copy(h->sandbox, SB_VSPACE_SELF, SB_BITS, vs, ROOT_DEPTH, IC_RIGHTS_ALL, ROOT_CNODE);
    return true;
}

/* A new CSpace for h; the root drops its capability to the old one, which
 * other sandboxes (and itself) may still hold: a cycle of CNodes. */
static bool act_new_cspace(unsigned i)
{
    struct hostile *h = &G.h[i];
    if (!h->tcb)
        return true;
    ic_cptr_t old = h->sandbox;
    ic_cptr_t cn = make_sandbox(i);
    if (!cn)
        return true;
    h->sandbox = cn;
    link_sandbox(i);
    link_sandbox((i + NHOSTILE - 1) % NHOSTILE);
    if (h->vs)
        OKR(configure(h));
    if (old)
        OKR(ic_cnode_delete(ROOT_CNODE, old, ROOT_DEPTH));
    return true;
}

/* Stall the ping-pong pair in every way there is, while they may wait for
 * the kernel lock on the other CPU. */
static bool act_stall(ic_cptr_t s, ic_cptr_t p, unsigned ops)
{
    for (unsigned n = 0; n < ops; n++) {
        ic_cptr_t t = rnd_n(2) ? s : p;
        ic_user_context_t regs;
        switch (rnd_n(7)) {
        case 0: OKR(ic_tcb_read_registers(t, false, IC_REG_COUNT, &regs)); break;
        case 1: OKR(ic_tcb_write_registers(t, false, 0, &regs)); break;
        case 2: OKR(ic_tcb_set_affinity(t, rnd_n(4) ? 1 : 0)); break;
        case 3:
            OKR(ic_tcb_suspend(t));
            OKR(ic_tcb_resume(t));
            break;
        case 4:
            OKR(ic_tcb_read_registers(t, true, IC_REG_COUNT, &regs));
            OKR(ic_tcb_write_registers(t, true, IC_REG_COUNT, &regs));
            break;
        case 5: OKR(ic_tcb_set_priority(t, 255, ROOT_TCB)); break;
        default: OKR(ic_tcb_set_affinity(t, 1)); break;
        }
        G.stalls++;
    }
    return true;
}

/* Cycles of last capabilities: two CNodes holding each other, and a
 * running thread whose CSpace holds its own TCB; the root keeps neither. */
static bool act_cycles(void)
{
    ic_cptr_t x = res_object(IC_OBJ_CNODE, 1), y = res_object(IC_OBJ_CNODE, 1);
    if (!x || !y)
        return true;
    OKR(ic_cnode_copy(x, 0, 1, y, ROOT_DEPTH, IC_RIGHTS_ALL, ROOT_CNODE));
    OKR(ic_cnode_copy(y, 1, 1, x, ROOT_DEPTH, IC_RIGHTS_ALL, ROOT_CNODE));
    OKR(ic_cnode_copy(x, 1, 1, x, ROOT_DEPTH, IC_RIGHTS_ALL, ROOT_CNODE));
    OKR(ic_cnode_delete(ROOT_CNODE, x, ROOT_DEPTH));
    OKR(ic_cnode_delete(ROOT_CNODE, y, ROOT_DEPTH));
    G.cycles++;
    if (G.spinner_started)
        return true; /* one a round: it has one stack */
    G.spinner_started = true;
    ic_cptr_t t = res_object(IC_OBJ_TCB, 0), z = res_object(IC_OBJ_CNODE, 2);
    if (!t || !z)
        return true;
    OKR(ic_cnode_copy(z, 0, 2, t, ROOT_DEPTH, IC_RIGHTS_ALL, ROOT_CNODE));
    OKR(ic_cnode_copy(z, 1, 2, z, ROOT_DEPTH, IC_RIGHTS_ALL, ROOT_CNODE));
    OKR(aux_start(5, t, z, IC_WORD_BITS - 2, spin_forever, 0, 0, 1));
    OKR(ic_cnode_delete(ROOT_CNODE, t, ROOT_DEPTH));
    OKR(ic_cnode_delete(ROOT_CNODE, z, ROOT_DEPTH));
    return true;
}

/* A receiver B takes a Call from A, then one from C without replying to
 * A; B is destroyed and its memory, reused as a frame, filled with A's
 * address; stopping A must leave that frame alone. */
static bool act_orphan(ic_cptr_t ep)
{
    ic_cptr_t ua = res_object(IC_OBJ_UNTYPED, 12), ub = res_object(IC_OBJ_UNTYPED, 12);
    ic_cptr_t ntfn = res_object(IC_OBJ_NOTIFICATION, 0);
    ic_cptr_t probe = res_slot(), a = res_slot(), b = res_slot(), c = res_object(IC_OBJ_TCB, 0), f = res_slot();
    if (!ua || !ub || !ntfn || !probe || !a || !b || !c || !f || G.cw_next >= CW_PAGES)
        return true;
    /* A's kernel address: the frame its untyped becomes first */
    OKR(ic_untyped_retype(ua, IC_OBJ_FRAME_4K, 0, ROOT_CNODE, ROOT_DEPTH, probe, 1, ROOT_CNODE));
    ic_word_t a_addr = frame_address(probe);
    OKR(ic_cnode_delete(ROOT_CNODE, probe, ROOT_DEPTH));
    OKR(ic_untyped_retype(ua, IC_OBJ_TCB, 0, ROOT_CNODE, ROOT_DEPTH, a, 1, ROOT_CNODE));
    OKR(ic_untyped_retype(ub, IC_OBJ_TCB, 0, ROOT_CNODE, ROOT_DEPTH, b, 1, ROOT_CNODE));
    orphan_flag = 0;
    unsigned cpu = rnd_n(2);
    OKR(aux_start(2, b, ROOT_CNODE, IC_WORD_BITS - IC_ROOT_CNODE_BITS, recv_twice, ep, ntfn, cpu));
    OKR(aux_start(3, a, ROOT_CNODE, IC_WORD_BITS - IC_ROOT_CNODE_BITS, call_once, ep, 0, rnd_n(2)));
    if (!spin_until_equal(&orphan_flag, 1, TEST_PATIENCE_MS))
        FAILR("the first Call never arrived (%llu)", (unsigned long long)orphan_flag);
    OKR(aux_start(4, c, ROOT_CNODE, IC_WORD_BITS - IC_ROOT_CNODE_BITS, call_once, ep, 0, rnd_n(2)));
    if (!spin_until_equal(&orphan_flag, 2, TEST_PATIENCE_MS))
        FAILR("the second Call never arrived (%llu)", (unsigned long long)orphan_flag);
    OKR(ic_cnode_delete(ROOT_CNODE, b, ROOT_DEPTH));
    OKR(ic_untyped_retype(ub, IC_OBJ_FRAME_4K, 0, ROOT_CNODE, ROOT_DEPTH, f, 1, ROOT_CNODE));
    ic_word_t va = G.cw + (ic_word_t)G.cw_next++ * 4096;
    OKR(map_frame(ROOT_VSPACE, f, va, IC_RIGHT_READ | IC_RIGHT_WRITE, IC_ATTR_CACHED));
    volatile ic_word_t *p = (volatile ic_word_t *)va;
    for (unsigned i = 0; i < 512; i++)
        p[i] = a_addr;
    if (rnd_n(2))
        OKR(ic_tcb_suspend(a));
    OKR(ic_cnode_delete(ROOT_CNODE, a, ROOT_DEPTH));
    OKR(ic_cnode_delete(ROOT_CNODE, c, ROOT_DEPTH));
    for (unsigned i = 0; i < 512; i++)
        if (p[i] != a_addr)
            FAILR("an orphaned caller's stop wrote into its dead receiver (word %u: 0x%llx)", i,
                  (unsigned long long)p[i]);
    OKR(ic_cnode_delete(ROOT_CNODE, f, ROOT_DEPTH));
    return true;
}

/* Threads that made no progress since the last look (blocked, faulted,
 * suspended, without an address space) start over. */
static bool revive(void)
{
    for (unsigned i = 0; i < NHOSTILE; i++) {
        struct hostile *h = &G.h[i];
        if (!h->tcb)
            continue;
        ic_word_t now = h->ctr ? h->ctr[0] : 0;
        if (h->ctr && now != h->seen) {
            h->seen = now;
            h->idle = 0;
            continue;
        }
        if (++h->idle < 2)
            continue;
        if (!h->vs) {
            ic_cptr_t pt = 0;
            volatile ic_word_t *ctr;
            h->vs = new_vspace(h, &ctr, &pt);
            if (!h->vs)
                continue;
            h->ctr = ctr;
            h->seen = 0;
        }
        if (!h->sandbox && !act_new_cspace(i))
            return false;
        if (!h->sandbox)
            continue;
        OKR(configure(h));
        OKR(restart(h));
        G.revivals++;
    }
    return true;
}

/* Time for the hostile threads (on CPU 1, and on CPU 0 when the root's
 * time slice ends or it yields), during which the root keeps stalling the
 * ping-pong pair and restarts hostile threads that stopped. */
static bool pace(unsigned ms, ic_cptr_t s, ic_cptr_t p)
{
    uint64_t end = now_ns() + (uint64_t)ms * 1000000;
    while (now_ns() < end) {
        if (!revive())
            return false;
        if (bootinfo->num_cpus >= 2 && !act_stall(s, p, 2))
            return false;
        /* the threads of CPU 0 get their time slices too before the next
         * look: a thread is restarted only if it had a chance to run */
        ic_yield();
        delay_us(200);
    }
    return true;
}

/* ------------------------------------------------------------ a round */

static bool round_run(void)
{
    G.res_next = 0;
    G.cw_next = 0;
    G.ngens = 0;
    G.spinner_started = false;
    ping_seq = pong_last = pong_bad = ping_bad = 0;
    G.ep_shared = res_object(IC_OBJ_ENDPOINT, 0);
    G.ntfn_shared = res_object(IC_OBJ_NOTIFICATION, 0);
    G.fault_ep = res_object(IC_OBJ_ENDPOINT, 0);
    ic_cptr_t pp_ep = res_object(IC_OBJ_ENDPOINT, 0), or_ep = res_object(IC_OBJ_ENDPOINT, 0);
    ic_cptr_t s = res_object(IC_OBJ_TCB, 0), p = res_object(IC_OBJ_TCB, 0);
    if (!G.ep_shared || !G.ntfn_shared || !G.fault_ep || !pp_ep || !or_ep || !s || !p)
        FAILR("could not make the round's objects");
    unsigned ncpu = (unsigned)bootinfo->num_cpus;
    OKR(aux_start(0, p, ROOT_CNODE, IC_WORD_BITS - IC_ROOT_CNODE_BITS, ponger, pp_ep, 0, 1));
    OKR(aux_start(1, s, ROOT_CNODE, IC_WORD_BITS - IC_ROOT_CNODE_BITS, pinger, pp_ep, 0, 1));

    /* the hostile threads: first their objects, then the links between them */
    for (unsigned i = 0; i < NHOSTILE; i++) {
        struct hostile *h = &G.h[i];
        memset(h, 0, sizeof(*h));
        h->tcb = res_object(IC_OBJ_TCB, 0);
        h->stack[0] = res_object(IC_OBJ_FRAME_4K, 0);
        h->stack[1] = res_object(IC_OBJ_FRAME_4K, 0);
        h->ipc = res_object(IC_OBJ_FRAME_4K, 0);
        if (!h->tcb || !h->stack[0] || !h->stack[1] || !h->ipc)
            FAILR("could not make hostile thread %u", i);
        volatile ic_word_t *ctr;
        h->vs = new_vspace(h, &ctr, &h->pt);
        if (!h->vs)
            FAILR("could not make the address space of hostile thread %u", i);
        h->ctr = ctr;
        h->sandbox = make_sandbox(i);
        if (!h->sandbox)
            FAILR("could not make the sandbox of hostile thread %u", i);
    }
    for (unsigned i = 0; i < NHOSTILE; i++) {
        link_sandbox(i);
        OKR(configure(&G.h[i]));
        OKR(restart(&G.h[i]));
    }

    unsigned orphan_step = rnd_n(STEPS);
    for (unsigned step = 0; step < STEPS; step++) {
        struct hostile *h = &G.h[rnd_n(NHOSTILE)];
        ic_user_context_t regs;
        unsigned what = rnd_n(12);
        switch (what) {
        case 0:
        case 1:
            if (!act_swap(h, true))
                return false;
            break;
        case 2:
            if (!act_swap(h, false))
                return false;
            G.kills++;
            break;
        case 3:
            if (h->tcb) {
                OKR(ic_tcb_suspend(h->tcb));
                if (rnd_n(4))
                    OKR(ic_tcb_resume(h->tcb));
            }
            break;
        case 4:
            if (h->tcb) {
                bool susp = rnd_n(2);
                OKR(ic_tcb_read_registers(h->tcb, susp, IC_REG_COUNT, &regs));
                OKR(ic_tcb_write_registers(h->tcb, susp, IC_REG_COUNT, &regs));
            }
            break;
        case 5:
            if (h->tcb)
                OKR(ic_tcb_set_affinity(h->tcb, rnd_n(ncpu)));
            break;
        case 6:
            if (!act_new_cspace((unsigned)(h - G.h)))
                return false;
            break;
        case 7:
            if (!act_cycles())
                return false;
            break;
        case 8:
            /* the root's capability goes; copies in sandboxes (its own
             * among them) keep the thread: the last ones form cycles */
            if (h->tcb && rnd_n(3) == 0) {
                if (rnd_n(2))
                    OKR(ic_cnode_revoke(ROOT_CNODE, h->tcb, ROOT_DEPTH));
                OKR(ic_cnode_delete(ROOT_CNODE, h->tcb, ROOT_DEPTH));
                h->tcb = 0;
            }
            break;
        case 9:
            /* drop the root's capability to its CSpace (its copies stay) */
            if (h->sandbox && h->tcb && rnd_n(2)) {
                OKR(ic_cnode_delete(ROOT_CNODE, h->sandbox, ROOT_DEPTH));
                h->sandbox = 0;
            }
            break;
        default:
            break;
        }
        if (ncpu >= 2 && !act_stall(s, p, 16))
            return false;
        if (ncpu >= 2 && step == orphan_step && !act_orphan(or_ep))
            return false;
        if (!revive())
            return false;
        if (!pace(PACE_MS + rnd_n(PACE_MS), s, p))
            return false;
    }

    /* the kernel answers on CPU 1 (the pair lives there) and lost nothing */
    if (ncpu >= 2) {
        OKR(ic_tcb_set_affinity(s, 1));
        OKR(ic_tcb_set_affinity(p, 1));
        ic_word_t from = ping_seq;
        uint64_t end = now_ns() + (uint64_t)TEST_PATIENCE_MS * 1000000;
        while (ping_seq < from + 10 && now_ns() < end)
            ;
        if (ping_seq < from + 10)
            FAILR("the Calls on CPU 1 stopped at %llu", (unsigned long long)ping_seq);
    }
    if (ping_bad || pong_bad)
        FAILR("a Call was lost: caller's bad reply at %llu, server's gap at %llu", (unsigned long long)ping_bad,
              (unsigned long long)pong_bad);
    G.pings += ping_seq;
    for (unsigned g = 0; g < G.ngens; g++) {
        G.calls += G.gens[g][1];
        G.ok_calls += G.gens[g][2];
    }

    /* everything goes: the round's untyped and the root's slots */
    OKR(ic_cnode_revoke(ROOT_CNODE, G.ut, ROOT_DEPTH));
    for (unsigned i = 0; i < G.res_next; i++)
        OKR(ic_cnode_delete(ROOT_CNODE, G.res + i, ROOT_DEPTH));
    /* all of it is free again, and zero */
    G.res_next = 0;
    unsigned nbig = 1u << (ROUND_UT_BITS - IC_LARGE_PAGE_BITS);
    for (unsigned i = 0; i < nbig; i++) {
        ic_cptr_t big = res_object(IC_OBJ_FRAME_2M, 0);
        if (!big)
            FAILR("the round's untyped region cannot be retyped whole again (2 MiB frame %u)", i);
        OKR(map_frame(ROOT_VSPACE, big, G.zw + ((ic_word_t)i << IC_LARGE_PAGE_BITS), IC_RIGHT_READ,
                      IC_ATTR_CACHED));
    }
    if (ic_untyped_retype(G.ut, IC_OBJ_ENDPOINT, 0, ROOT_CNODE, ROOT_DEPTH, G.res + G.res_next, 1, ROOT_CNODE) !=
        IC_NOT_ENOUGH_MEMORY)
        FAILR("the round's untyped region has room beyond its size");
    delay_ms(2); /* give a stray writer time */
    const volatile ic_word_t *z = (const volatile ic_word_t *)G.zw;
    for (ic_word_t i = 0; i < ((ic_word_t)1 << ROUND_UT_BITS) / 8; i++)
        if (z[i])
            FAILR("reused memory not zero at offset 0x%llx: 0x%llx", (unsigned long long)i * 8,
                  (unsigned long long)z[i]);
    OKR(ic_cnode_revoke(ROOT_CNODE, G.ut, ROOT_DEPTH));
    for (unsigned i = 0; i < G.res_next; i++)
        OKR(ic_cnode_delete(ROOT_CNODE, G.res + i, ROOT_DEPTH));
    return true;
}

/* Once per test: the round's untyped, reserved slots and windows, the
 * root-task threads' stacks, and where hostile_main lives. */
static bool setup(void)
{
    memset(&G, 0, sizeof(G));
    G.res = alloc_slots(RES_SLOTS);
    G.ut = alloc_slot();
    if (!G.res || !G.ut ||
        ic_untyped_retype(test_untyped, IC_OBJ_UNTYPED, ROUND_UT_BITS, ROOT_CNODE, ROOT_DEPTH, G.ut, 1, ROOT_CNODE))
        return false;
    G.cw = alloc_vaddr(CW_PAGES * 4096ull, 1ull << IC_LARGE_PAGE_BITS);
    G.zw = alloc_vaddr(1ull << ROUND_UT_BITS, 1ull << IC_LARGE_PAGE_BITS);
    for (unsigned k = 0; k < NAUX; k++) {
        ic_word_t stack = alloc_vaddr(2 * 4096, 4096);
        for (unsigned i = 0; i < 2; i++) {
            ic_cptr_t f = alloc_object(IC_OBJ_FRAME_4K, 0);
            if (!f || map_frame(ROOT_VSPACE, f, stack + i * 4096, IC_RIGHTS_ALL, IC_ATTR_CACHED))
                return false;
        }
        G.aux[k].stack_top = stack + 2 * 4096;
        G.aux[k].ipc = (ic_word_t)alloc_page(&G.aux[k].ipc_frame);
        if (!G.aux[k].ipc)
            return false;
    }
    /* the image frames come in address order, with page tables among them */
    extern char __image_start[];
    ic_word_t want = ((ic_word_t)hostile_main - (ic_word_t)__image_start) / 4096, n = 0;
    for (ic_word_t s = bootinfo->image_frames.start; s < bootinfo->image_frames.end; s++) {
        if (ic_frame_get_address(s, NULL) != IC_OK)
            continue;
        if (n++ == want)
            G.code_frame = s;
    }
    return G.code_frame != 0;
}

static bool run_seed(uint64_t seed)
{
    G.seed = seed;
    G.rng = seed * 0x9e3779b97f4a7c15ull | 1;
    for (G.round = 0; G.round < STRESS_SMP_ROUNDS; G.round++)
        if (!round_run())
            return false;
    return true;
}

static void report(uint64_t seed, uint64_t t0)
{
    ic_printf("smp stress seed 0x%llx: %u rounds, %llu hostile calls (%llu succeeded), %llu pings, %llu stalls, "
              "%llu swaps, %llu kills, %llu cycles, %llu restarts, %llu ms\n",
              (unsigned long long)seed, STRESS_SMP_ROUNDS, (unsigned long long)G.calls,
              (unsigned long long)G.ok_calls, (unsigned long long)G.pings, (unsigned long long)G.stalls,
              (unsigned long long)G.swaps, (unsigned long long)G.kills, (unsigned long long)G.cycles,
              (unsigned long long)G.revivals, (unsigned long long)((now_ns() - t0) / 1000000));
}

#ifdef STRESS_SMP_SEEDS
TEST(smp_stress_many_seeds)
{
    if (bootinfo->num_cpus < 2)
        return;
    CHECK(setup());
    for (uint64_t k = 0; k < STRESS_SMP_SEEDS; k++) {
        uint64_t seed = STRESS_SMP_SEED0 + k, t0 = now_ns();
        G.calls = G.ok_calls = G.pings = G.stalls = G.swaps = G.kills = G.cycles = G.revivals = 0;
        if (!run_seed(seed))
            return;
        report(seed, t0);
    }
}
#else
static void stress_smp(uint64_t seed)
{
    if (bootinfo->num_cpus < 2)
        return;
    CHECK(setup());
    uint64_t t0 = now_ns();
    if (run_seed(seed))
        report(seed, t0);
}

TEST(smp_stress_hostile_threads_and_root_1)
{
    stress_smp(0x5eed5a1);
}

TEST(smp_stress_hostile_threads_and_root_2)
{
    stress_smp(0xc0ffee02);
}
#endif
