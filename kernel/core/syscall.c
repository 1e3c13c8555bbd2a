/* System call entry: look up the capability in x0 and dispatch on x7. */
#include "kernel.h"
#include "arch.h"
#include "cnode.h"
#include "invocation.h"
#include "plat.h"
#include "sched.h"
#include "smp.h"
#include "util.h"
#include <icecap/faults.h>
#include <icecap/syscalls.h>

static void set_error(struct tcb *t, ic_err_t err)
{
    t->ctx.x[0] = err;
    t->ctx.x[1] = 0;
}

static void do_send(struct tcb *t, struct cte *slot, bool blocking, bool is_call)
{
    struct cap *c = &slot->cap;
    switch (c->type) {
    case CAP_ENDPOINT:
        if (!(c->rights & IC_RIGHT_WRITE))
            return set_error(t, IC_INVALID_CAPABILITY);
        endpoint_send(t, cap_endpoint(c), c->a, c->rights & IC_RIGHT_GRANT, is_call, blocking || is_call);
        return;
    case CAP_NOTIFICATION:
        if (is_call || !(c->rights & IC_RIGHT_WRITE))
            return set_error(t, IC_INVALID_CAPABILITY);
        notification_signal(cap_ntfn(c), c->a);
        return;
    case CAP_REPLY:
        ipc_reply_with_cap(t, slot); /* Send or Call: the reply goes out, nothing comes back */
        return;
    case CAP_NULL:
    case CAP_ZOMBIE:
        return set_error(t, IC_INVALID_CAPABILITY);
    default:
        invocation_handle(t, slot);
        return;
    }
}

static void do_recv(struct tcb *t, struct cte *slot, bool blocking)
{
    struct cap *c = &slot->cap;
    if (c->type == CAP_ENDPOINT && (c->rights & IC_RIGHT_READ))
        endpoint_recv(t, cap_endpoint(c), blocking);
    else if (c->type == CAP_NOTIFICATION && (c->rights & IC_RIGHT_READ) &&
             (!cap_ntfn(c)->bound || cap_ntfn(c)->bound == t))
        notification_wait(t, cap_ntfn(c), blocking);
    else
        set_error(t, IC_INVALID_CAPABILITY);
}

/* DebugPutChar and DebugLog, out of the way of the system calls that run
 * often. */
static __attribute__((noinline, cold)) void debug_console(struct tcb *t, word_t num)
{
    /* only for threads given the console: others could forge its lines */
    if (!t->console_access) {
        set_error(t, IC_ILLEGAL_OPERATION);
        return;
    }
    if (num == IC_SYS_DEBUG_PUTCHAR) {
        /* to the UART itself, never the log: the root task uses it when
         * nothing else can show its last words */
        plat_uart_putc((char)t->ctx.x[0]);
        set_error(t, IC_OK);
    } else if (t->ctx.x[0] == IC_DEBUG_LOG_STOP) {
        klog_stop();
        set_error(t, IC_OK);
    } else if (t->ctx.x[0] == IC_DEBUG_LOG_TAKE) {
        klog_take(t);
    } else {
        set_error(t, IC_INVALID_ARGUMENT);
    }
}

void syscall_handle(struct tcb *t)
{
    word_t num = t->ctx.x[7];
    struct cte *slot = NULL;
    ic_err_t err = IC_OK;

    switch (num) {
    case IC_SYS_YIELD:
        sched_yield();
        return;
    case IC_SYS_DEBUG_PUTCHAR:
    case IC_SYS_DEBUG_LOG:
        debug_console(t, num);
        return;
    case IC_SYS_DEBUG_HALT:
        if (t == boot_root_tcb) {
            klog_stop();
            kprintf("root task halted the system\n");
#ifdef SMP_STATS
            smp_stats_report();
#endif
            plat_psci_system_off();
        }
        num = ~0ull; /* not the root task: an unknown system call */
        break;
    case IC_SYS_REPLY:
        ipc_reply(t);
        return;
    case IC_SYS_CALL:
    case IC_SYS_SEND:
    case IC_SYS_NB_SEND:
    case IC_SYS_RECV:
    case IC_SYS_NB_RECV:
    case IC_SYS_REPLY_RECV:
        err = cnode_lookup_cap_fast(&t->slots[TCB_SLOT_CSPACE].cap, t->ctx.x[0], &slot);
        break;
    default:
        break;
    }
    if (num >= IC_SYS_COUNT || num == 0 || num == IC_SYS_DEBUG_HALT) {
        word_t msg[IC_UNKNOWN_SYSCALL_LENGTH];
        for (unsigned i = 0; i < 8; i++)
            msg[i] = t->ctx.x[i];
        msg[IC_UNKNOWN_SYSCALL_PC] = t->ctx.pc;
        msg[IC_UNKNOWN_SYSCALL_SP] = t->ctx.sp;
        msg[IC_UNKNOWN_SYSCALL_NUMBER] = t->ctx.x[7];
        fault_raise(t, IC_FAULT_UNKNOWN_SYSCALL, msg, IC_UNKNOWN_SYSCALL_LENGTH);
        return;
    }
    if (err) {
        set_error(t, IC_FAILED_LOOKUP);
        return;
    }
    switch (num) {
    case IC_SYS_CALL: do_send(t, slot, true, true); break;
    case IC_SYS_SEND: do_send(t, slot, true, false); break;
    case IC_SYS_NB_SEND: do_send(t, slot, false, false); break;
    case IC_SYS_RECV: do_recv(t, slot, true); break;
    case IC_SYS_NB_RECV: do_recv(t, slot, false); break;
    case IC_SYS_REPLY_RECV:
        ipc_reply(t);
        do_recv(t, slot, true);
        break;
    }
}
