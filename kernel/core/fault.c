/* Faults become messages: the faulting thread Calls its fault endpoint with
 * a message describing the fault (include/icecap/faults.h). A thread without
 * a fault endpoint stops. */
#include "kernel.h"
#include "sched.h"
#include "util.h"

static const char *const fault_names[] = { "none", "vm fault", "unknown syscall", "user exception" };

void fault_raise(struct tcb *t, word_t label, const word_t *msg, unsigned len)
{
    kassert(len <= ARRAY_SIZE(t->fault_msg));
    struct cap *ep = &t->slots[TCB_SLOT_FAULT_EP].cap;
    if (ep->type != CAP_ENDPOINT) {
        kprintf("thread %p: %s (pc %lx, %lx) with no fault endpoint; stopped\n", (void *)t,
                fault_names[label], t->ctx.pc, len > 1 ? msg[1] : 0);
        sched_block(t, THREAD_INACTIVE);
        return;
    }
    for (unsigned i = 0; i < len; i++)
        t->fault_msg[i] = msg[i];
    t->fault_len = (uint8_t)len;
    t->pending_fault = (uint8_t)label;
    endpoint_send(t, cap_endpoint(ep), ep->a, false, true, true);
}
