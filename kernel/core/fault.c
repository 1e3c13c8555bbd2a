/* Faults become messages: the faulting thread Calls its fault endpoint with
 * a message describing the fault (include/icecap/faults.h). A thread without
 * a fault endpoint stops. */
#include "kernel.h"
#include "sched.h"
#include "util.h"
#include <icecap/faults.h>
#include <icecap/vcpu.h>

static const char *const fault_names[] = {
    [IC_FAULT_VM] = "vm fault",
    [IC_FAULT_UNKNOWN_SYSCALL] = "unknown syscall",
    [IC_FAULT_USER_EXCEPTION] = "user exception",
    [IC_FAULT_VCPU_DATA_ABORT] = "guest abort",
    [IC_FAULT_VCPU_HVC] = "guest hvc",
    [IC_FAULT_VCPU_SMC] = "guest smc",
    [IC_FAULT_VCPU_SYSREG] = "guest system register",
    [IC_FAULT_VCPU_VTIMER] = "guest timer",
    [IC_FAULT_VCPU_UNKNOWN] = "guest exception",
    [IC_FAULT_VCPU_VGIC_MAINTENANCE] = "guest interrupt ended",
};

static const char *fault_name(word_t label)
{
    return label < ARRAY_SIZE(fault_names) && fault_names[label] ? fault_names[label] : "fault";
}

void fault_raise(struct tcb *t, word_t label, const word_t *msg, unsigned len)
{
    kassert(len <= ARRAY_SIZE(t->fault_msg));
    struct cap *ep = &t->slots[TCB_SLOT_FAULT_EP].cap;
    if (ep->type != CAP_ENDPOINT) {
        /* a line on the kernel's console only for a thread that may write
         * there anyway: any other could make the kernel write into the
         * serial server's lines as often as it can make threads fault */
        if (t->console_access)
            kprintf("thread %p: %s (pc %lx, %lx) with no fault endpoint; stopped\n", (void *)t,
                    fault_name(label), t->ctx.pc, len > 1 ? msg[1] : 0);
        sched_block(t, THREAD_INACTIVE);
        return;
    }
    for (unsigned i = 0; i < len; i++)
        t->fault_msg[i] = msg[i];
    t->fault_len = (uint8_t)len;
    t->pending_fault = (uint8_t)label;
    endpoint_send(t, cap_endpoint(ep), ep->a, false, true, true);
}
