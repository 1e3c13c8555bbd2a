/* libicecap: the user-level library of IceCap.
 *
 * Message registers. MR0..MR3 travel in x2..x5, the rest in the IPC buffer.
 * The C API hides that split: every MR lives in ic_ipc_buffer()->msg[i] from
 * the caller's point of view (ic_set_mr / ic_get_mr). The syscall wrappers
 * load msg[0..3] into x2..x5 before `svc` when the message they send has a
 * nonzero length, and store x2..x5 back into msg[0..3] after it when the
 * message they receive has a nonzero length. So a thread without an IPC
 * buffer may still use every syscall with zero-length messages (signal,
 * wait, yield, ...), and MRs beyond a received message's length keep stale
 * values.
 *
 * The IPC buffer of the running thread is found through TPIDR_EL0, which the
 * kernel saves and restores per thread. start.S sets it for the root task;
 * a new thread must call ic_set_ipc_buffer() first (or be started with
 * TPIDR = its IPC buffer address via tcb_write_registers).
 */
#ifndef ICECAP_ICECAP_H
#define ICECAP_ICECAP_H

#include <stdarg.h>
#include <icecap/types.h>
#include <icecap/errors.h>
#include <icecap/syscalls.h>
#include <icecap/msginfo.h>
#include <icecap/ipc_buffer.h>
#include <icecap/bootinfo.h>
#include <icecap/objects.h>
#include <icecap/context.h>
#include <icecap/faults.h>
#include <icecap/invocations.h>
#include <icecap/stubs.h>

/* ------------------------------------------------------------ IPC buffer */

static inline ic_ipc_buffer_t *ic_ipc_buffer(void)
{
    ic_word_t v;
    /* volatile: ic_set_ipc_buffer may have changed it since the last read */
    __asm__ volatile("mrs %0, tpidr_el0" : "=r"(v));
    return (ic_ipc_buffer_t *)v;
}

static inline void ic_set_ipc_buffer(ic_ipc_buffer_t *buf)
{
    __asm__ volatile("msr tpidr_el0, %0" : : "r"(buf) : "memory");
}

static inline ic_word_t ic_get_mr(unsigned i) { return ic_ipc_buffer()->msg[i]; }
static inline void ic_set_mr(unsigned i, ic_word_t v) { ic_ipc_buffer()->msg[i] = v; }

/* The i-th capability to send with the next message (extra_caps > i). */
static inline void ic_set_cap(unsigned i, ic_cptr_t cptr) { ic_ipc_buffer()->caps_or_badges[i] = cptr; }
/* After a receive: the badge of the i-th unwrapped capability. */
static inline ic_word_t ic_get_badge(unsigned i) { return ic_ipc_buffer()->caps_or_badges[i]; }

/* Where a capability received over an endpoint is stored. */
static inline void ic_set_receive_path(ic_cptr_t cnode, ic_cptr_t index, ic_word_t depth)
{
    ic_ipc_buffer_t *b = ic_ipc_buffer();
    b->receive_cnode = cnode;
    b->receive_index = index;
    b->receive_depth = depth;
}

/* ------------------------------------------------------------ raw syscall */

/* r[0..5] are x0..x5 in and out; x7 is the system call number. */
static inline void ic__svc(ic_word_t sys, ic_word_t r[6])
{
    register ic_word_t x0 __asm__("x0") = r[0];
    register ic_word_t x1 __asm__("x1") = r[1];
    register ic_word_t x2 __asm__("x2") = r[2];
    register ic_word_t x3 __asm__("x3") = r[3];
    register ic_word_t x4 __asm__("x4") = r[4];
    register ic_word_t x5 __asm__("x5") = r[5];
    register ic_word_t x7 __asm__("x7") = sys;
    __asm__ volatile("svc #0"
                     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4), "+r"(x5), "+r"(x7)
                     :
                     : "memory");
    r[0] = x0;
    r[1] = x1;
    r[2] = x2;
    r[3] = x3;
    r[4] = x4;
    r[5] = x5;
}

/* A message syscall: 'sends' / 'receives' say whether MR0..MR3 go out / come
 * back. Returns the message info in x1; *x0_out (if not NULL) gets x0. */
static inline ic_msginfo_t ic__ipc(ic_word_t sys, ic_cptr_t cptr, ic_msginfo_t info, ic_word_t *x0_out,
                                   bool sends, bool receives)
{
    ic_word_t r[6] = { cptr, info, 0, 0, 0, 0 };
    if (sends && ic_msginfo_length(info) != 0) {
        const ic_ipc_buffer_t *b = ic_ipc_buffer();
        r[2] = b->msg[0];
        r[3] = b->msg[1];
        r[4] = b->msg[2];
        r[5] = b->msg[3];
    }
    ic__svc(sys, r);
    if (receives && ic_msginfo_length(r[1]) != 0) {
        ic_ipc_buffer_t *b = ic_ipc_buffer();
        b->msg[0] = r[2];
        b->msg[1] = r[3];
        b->msg[2] = r[4];
        b->msg[3] = r[5];
    }
    if (x0_out)
        *x0_out = r[0];
    return r[1];
}

/* ------------------------------------------------------------ IPC */

/* Send and wait for the reply. On a kernel object this is an invocation and
 * *badge_or_err gets the ic_err_t; on an endpoint, the reply's message info
 * is returned. badge_or_err may be NULL. */
static inline ic_msginfo_t ic_call(ic_cptr_t dest, ic_msginfo_t info, ic_word_t *badge_or_err)
{
    return ic__ipc(IC_SYS_CALL, dest, info, badge_or_err, true, true);
}

/* Blocking send on an endpoint (or signal, on a notification). */
static inline void ic_send(ic_cptr_t dest, ic_msginfo_t info)
{
    ic__ipc(IC_SYS_SEND, dest, info, NULL, true, false);
}

/* Send only if a receiver is waiting; otherwise the message is dropped. */
static inline void ic_nb_send(ic_cptr_t dest, ic_msginfo_t info)
{
    ic__ipc(IC_SYS_NB_SEND, dest, info, NULL, true, false);
}

/* Blocking receive; *badge (may be NULL) gets the sender's badge. */
static inline ic_msginfo_t ic_recv(ic_cptr_t src, ic_word_t *badge)
{
    return ic__ipc(IC_SYS_RECV, src, 0, badge, false, true);
}

/* Receive only if a sender is waiting. */
static inline ic_msginfo_t ic_nb_recv(ic_cptr_t src, ic_word_t *badge)
{
    return ic__ipc(IC_SYS_NB_RECV, src, 0, badge, false, true);
}

/* Reply to the thread whose Call this thread last received. */
static inline void ic_reply(ic_msginfo_t info)
{
    ic__ipc(IC_SYS_REPLY, 0, info, NULL, true, false);
}

/* Reply, then receive on src, in one system call (the server loop). */
static inline ic_msginfo_t ic_reply_recv(ic_cptr_t src, ic_msginfo_t info, ic_word_t *badge)
{
    return ic__ipc(IC_SYS_REPLY_RECV, src, info, badge, true, true);
}

/* ------------------------------------------------------------ notifications */

/* None of these touches the IPC buffer. */
static inline void ic_signal(ic_cptr_t ntfn)
{
    ic__ipc(IC_SYS_SEND, ntfn, 0, NULL, false, false);
}

/* Block until the notification is signalled; *badge gets the accumulated
 * badge bits (and the word is cleared). Returns the message info. */
static inline ic_msginfo_t ic_wait(ic_cptr_t ntfn, ic_word_t *badge)
{
    return ic__ipc(IC_SYS_RECV, ntfn, 0, badge, false, false);
}

/* Like ic_wait but does not block; *badge is 0 if nothing was pending. */
static inline ic_msginfo_t ic_poll(ic_cptr_t ntfn, ic_word_t *badge)
{
    return ic__ipc(IC_SYS_NB_RECV, ntfn, 0, badge, false, false);
}

/* ------------------------------------------------------------ misc syscalls */

static inline void ic_yield(void)
{
    ic_word_t r[6] = { 0 };
    ic__svc(IC_SYS_YIELD, r);
}

/* Takes up to IC_DEBUG_LOG_BYTES of the kernel's log into buf (threads
 * with console access only): returns how many, or a negative error; *lost
 * gets the lines the kernel dropped since the last call. From the first
 * call on, the kernel's lines go to its log instead of the UART, and the
 * caller's bound notification is signalled with IC_DEBUG_LOG_BADGE when
 * the log grows. */
static inline long ic_debug_log(char buf[IC_DEBUG_LOG_BYTES], ic_word_t *lost)
{
    ic_word_t r[6] = { IC_DEBUG_LOG_TAKE };
    ic__svc(IC_SYS_DEBUG_LOG, r);
    if (r[0] != IC_OK)
        return -(long)r[0];
    for (unsigned i = 0; i < r[1] && i < IC_DEBUG_LOG_BYTES; i++)
        buf[i] = (char)(r[3 + i / 8] >> (8 * (i % 8)));
    *lost = r[2];
    return (long)r[1];
}

/* The kernel's lines go to the UART again. */
static inline ic_err_t ic_debug_log_stop(void)
{
    ic_word_t r[6] = { IC_DEBUG_LOG_STOP };
    ic__svc(IC_SYS_DEBUG_LOG, r);
    return (ic_err_t)r[0];
}

static inline void ic_debug_putchar(char c)
{
    ic_word_t r[6] = { (unsigned char)c };
    ic__svc(IC_SYS_DEBUG_PUTCHAR, r);
}

/* Power the machine off (root task only; others spin here forever). */
__attribute__((noreturn)) void ic_debug_halt(void);

/* What start.S does when main returns: print a nonzero code, then halt. */
__attribute__((noreturn)) void ic_exit(int code);

/* Cycle counter; the kernel must enable EL0 access (PMUSERENR_EL0.EN) and
 * the counter (PMCR_EL0.E, PMCNTENSET_EL0.C). */
static inline uint64_t ic_cycles(void)
{
    uint64_t v;
    /* isb: do not let the read drift relative to the code being measured */
    __asm__ volatile("isb; mrs %0, pmccntr_el0" : "=r"(v) : : "memory");
    return v;
}

/* The virtual counter (CNTVCT_EL0), which guests read too (their PMU
 * traps, MDCR_EL2.TPM); under QEMU -icount shift=0 it advances one tick
 * every 10^9 / frequency instructions (16 on QEMU's virt board). */
static inline uint64_t ic_counter(void)
{
    uint64_t v;
    __asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v) : : "memory");
    return v;
}

static inline uint64_t ic_counter_frequency(void)
{
    uint64_t v;
    __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(v));
    return v;
}

/* ------------------------------------------------------------ invocations */

/* The stubs (stubs.h, generated from abi/invocations.tbl) return the error
 * code and write an invocation's results through the pointers they take
 * last, only on success; a NULL pointer discards its result. Under them,
 * ic_invoke puts args in MR0.., caps in caps_or_badges[0..] and Calls
 * service with label; returns the error code, and any result words are
 * then in ic_get_mr(0..). ic_invoke_results does the same and also copies
 * exactly nresults result words out (IC_TRUNCATED_MESSAGE if the reply
 * has another length). These two stubs are written by hand because their
 * arguments are an array. */

/* Reads 'count' registers (IC_REG_* order, from IC_REG_PC) into out->regs,
 * suspending the thread first if 'suspend'. */
ic_err_t ic_tcb_read_registers(ic_cptr_t tcb, bool suspend, ic_word_t count, ic_user_context_t *out);

/* Writes the first 'count' registers of regs, then resumes the thread if
 * 'resume'. */
ic_err_t ic_tcb_write_registers(ic_cptr_t tcb, bool resume, ic_word_t count, const ic_user_context_t *regs);

/* ------------------------------------------------------------ console */

/* Formats: %s %c %d %i %u %x %X %p %%, length modifiers l ll z, flags 0 -,
 * and a width. Output goes through ic_debug_putchar. Return the number of
 * characters written (snprintf: that would have been written). */
/* Where ic_printf's lines go: the kernel's console (ic_kernel_console_write,
 * for threads given access to it) unless a program sets another writer,
 * as ic_env_init does for a component with a log capability. */
extern void (*ic_console_write)(const char *s, size_t n);
void ic_kernel_console_write(const char *s, size_t n);
int ic_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int ic_vprintf(const char *fmt, va_list ap);
int ic_snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int ic_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
/* Writes s and a newline. */
int ic_puts(const char *s);

/* ------------------------------------------------------------ string.c */

/* Standard names: gcc emits calls to memset/memcpy on its own. */
void *memset(void *s, int c, size_t n);
void *memcpy(void *restrict dest, const void *restrict src, size_t n);
void *memmove(void *dest, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);

#endif
