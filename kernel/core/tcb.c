/* Thread control blocks: configuration, priorities, registers, suspend and
 * resume, notification binding and CPU affinity. */
#include "kernel.h"
#include "arch.h"
#include "cnode.h"
#include "invocation.h"
#include "plat.h"
#include "sched.h"
#include "smp.h"
#include "util.h"
#include "vcpu.h"
#include <icecap/context.h>

struct cte *tcb_slot(struct tcb *t, unsigned i)
{
    return &t->slots[i];
}

void tcb_init(struct tcb *t)
{
    t->ctx.spsr = SPSR_EL0T;
    t->timeslice = TIMESLICE_TICKS;
    t->affinity = 0;
}

/* Re-execute the system call the thread made (it returns after svc). */
void thread_restart_syscall(struct tcb *t)
{
    t->ctx.pc -= 4;
}

static void unbind(struct tcb *t)
{
    if (t->bound_ntfn)
        notification_unbind(t->bound_ntfn);
}

/* Stop a thread for good, before its slots are emptied. */
void tcb_finalise(struct tcb *t)
{
    sched_stop(t);
    ipc_cancel(t);
    if (t->caller) {
        t->caller->callee = NULL;
        t->caller = NULL;
    }
    unbind(t);
    vcpu_unbind_tcb(t);
    klog_forget_reader(t);
    /* a TCB made later in the same memory must not inherit DebugHalt */
    if (boot_root_tcb == t)
        boot_root_tcb = NULL;
    t->state = THREAD_INACTIVE;
}

static void suspend(struct tcb *t)
{
    sched_stop(t);
    /* a thread in a system call redoes it when resumed (a Call is sent
     * again); one that waits to deliver a fault message, or for the reply to
     * it, made no system call: it stays at the faulting instruction */
    bool in_syscall = ((t->state == THREAD_BLOCKED_SEND || t->state == THREAD_BLOCKED_REPLY) && !t->pending_fault) ||
                      t->state == THREAD_BLOCKED_RECV || t->state == THREAD_BLOCKED_NTFN;
    ipc_cancel(t);
    if (in_syscall)
        thread_restart_syscall(t);
    t->state = THREAD_INACTIVE;
}

static void resume(struct tcb *t)
{
    if (t->state == THREAD_INACTIVE)
        sched_make_runnable(t);
}

/* Replace the capability in one of the TCB's own slots; 'self' is the slot
 * of the TCB capability being invoked. Deleting the old capability may
 * destroy the CNode that held the source (then only what is still there is
 * copied), or even the TCB itself, when that CNode held the last capability
 * to it: then nothing more goes into its memory (ERR_GONE). */
#define ERR_GONE ((ic_err_t)-2)
static ic_err_t set_slot(struct tcb *t, const struct cte *self, unsigned i, struct cte *src, struct cap c)
{
    struct cte *s = tcb_slot(t, i);
    ic_err_t err = cte_delete(s);
    if (err)
        return err;
    if (self->cap.type != CAP_TCB || cap_tcb(&self->cap) != t)
        return ERR_GONE;
    if (c.type != CAP_NULL && cap_same_object(&src->cap, &c))
        cap_insert(s, c, src);
    return IC_OK;
}

/* A capability for a TCB slot: it must be of 'type' (or empty, if allowed). */
static ic_err_t slot_cap(struct cte *src, unsigned type, bool may_be_empty, struct cap *out)
{
    if (cte_is_empty(src)) {
        if (!may_be_empty)
            return IC_INVALID_CAPABILITY;
        *out = cap_null();
        return IC_OK;
    }
    if (src->cap.type != type)
        return IC_INVALID_CAPABILITY;
    return cap_derive(src, out) == IC_OK ? IC_OK : IC_INVALID_CAPABILITY;
}

ic_err_t tcb_invoke_configure(struct invocation *inv)
{
    struct tcb *t = cap_tcb(&inv->slot->cap);
    word_t guard_arg = inv->args[0], buffer = inv->args[1];
    struct cap fault_ep, cspace, vspace, frame;
    if (slot_cap(inv->caps[0], CAP_ENDPOINT, true, &fault_ep) || slot_cap(inv->caps[1], CAP_CNODE, false, &cspace) ||
        slot_cap(inv->caps[2], CAP_VSPACE, false, &vspace) || slot_cap(inv->caps[3], CAP_FRAME, true, &frame))
        return IC_INVALID_CAPABILITY;
    if (fault_ep.type && !(fault_ep.rights & IC_RIGHT_WRITE))
        return IC_INVALID_CAPABILITY;
    /* on the local copy: nothing changes yet */
    if (cnode_cap_set_encoded_guard(&cspace, guard_arg))
        return IC_RANGE_ERROR;
    if (frame.type) {
        if (!IS_ALIGNED(buffer, IC_IPC_BUFFER_ALIGN_BITS))
            return IC_ALIGNMENT_ERROR;
        if (!(frame.rights & IC_RIGHT_WRITE) || (frame.flags & CAPF_DEVICE))
            return IC_INVALID_CAPABILITY;
    }
    /* A TCB's own slots hold copies; deleting the old ones can only be
     * long if they were the last capabilities to a CNode or TCB. */
    struct cte *srcs[TCB_SLOT_COUNT] = { inv->caps[1], inv->caps[2], inv->caps[3], inv->caps[0] };
    struct cap caps[TCB_SLOT_COUNT] = { cspace, vspace, frame, fault_ep };
    for (unsigned i = 0; i < TCB_SLOT_COUNT; i++) {
        ic_err_t err = set_slot(t, inv->slot, i, srcs[i], caps[i]);
        if (err == ERR_GONE)
            return IC_OK;
        if (err)
            return err;
    }
    t->ipc_buffer = buffer;
    return IC_OK;
}

static ic_err_t check_authority(struct invocation *inv, word_t prio)
{
    struct cte *auth = inv->caps[0];
    if (auth->cap.type != CAP_TCB)
        return IC_INVALID_CAPABILITY;
    if (prio >= IC_NUM_PRIORITIES || prio > cap_tcb(&auth->cap)->max_priority)
        return IC_RANGE_ERROR;
    return IC_OK;
}

ic_err_t tcb_invoke_set_priority(struct invocation *inv)
{
    struct tcb *t = cap_tcb(&inv->slot->cap);
    word_t prio = inv->args[0];
    ic_err_t err = check_authority(inv, prio);
    if (err)
        return err;
    if (t->in_ready_queue) {
        sched_ready_remove(&cpus[t->affinity], t);
        t->priority = (uint8_t)prio;
        sched_ready_insert(&cpus[t->affinity], t, false);
    } else {
        t->priority = (uint8_t)prio;
    }
    if (t->on_cpu && (unsigned)(t->on_cpu - 1) != this_cpu()->id)
        plat_irq_send_sgi(t->on_cpu - 1, SGI_RESCHEDULE);
    return IC_OK;
}

ic_err_t tcb_invoke_set_max_priority(struct invocation *inv)
{
    word_t prio = inv->args[0];
    ic_err_t err = check_authority(inv, prio);
    if (err)
        return err;
    cap_tcb(&inv->slot->cap)->max_priority = (uint8_t)prio;
    return IC_OK;
}

static word_t access_of(const struct tcb *t)
{
    return (t->pmu_access ? IC_TCB_ACCESS_PMU : 0) | (t->console_access ? IC_TCB_ACCESS_CONSOLE : 0);
}

/* Access to the PMU and the console: only a thread that has an access may
 * grant it or take it away. A thread running elsewhere leaves its CPU,
 * whose exit path then sets the PMU up for it. */
ic_err_t tcb_invoke_set_access(struct invocation *inv)
{
    struct tcb *t = cap_tcb(&inv->slot->cap);
    struct cte *auth = inv->caps[0];
    word_t access = inv->args[0];
    if (auth->cap.type != CAP_TCB)
        return IC_INVALID_CAPABILITY;
    if (access & ~(word_t)IC_TCB_ACCESS_ALL)
        return IC_RANGE_ERROR;
    if ((access ^ access_of(t)) & ~access_of(cap_tcb(&auth->cap)))
        return IC_ILLEGAL_OPERATION;
    smp_stall_thread(t);
    t->pmu_access = (access & IC_TCB_ACCESS_PMU) != 0;
    t->console_access = (access & IC_TCB_ACCESS_CONSOLE) != 0;
    return IC_OK;
}

ic_err_t tcb_invoke_set_affinity(struct invocation *inv)
{
    struct tcb *t = cap_tcb(&inv->slot->cap);
    word_t cpu = inv->args[0];
    if (cpu >= smp_num_cpus)
        return IC_RANGE_ERROR;
    smp_stall_thread(t);
    if (t->in_ready_queue)
        sched_ready_remove(&cpus[t->affinity], t);
    t->affinity = (uint8_t)cpu;
    /* a thread running here moves when it leaves the kernel */
    if (t->state == THREAD_RUNNABLE)
        sched_make_runnable(t);
    return IC_OK;
}

static word_t *context_reg(struct tcb *t, unsigned i)
{
    i = (unsigned)index_nospec(i, IC_REG_COUNT);
    switch (i) {
    case IC_REG_PC: return &t->ctx.pc;
    case IC_REG_SP: return &t->ctx.sp;
    case IC_REG_SPSR: return &t->ctx.spsr;
    case IC_REG_TPIDR: return &t->ctx.tpidr;
    default: return &t->ctx.x[i - IC_REG_X0];
    }
}

ic_err_t tcb_invoke_read_registers(struct invocation *inv)
{
    struct tcb *t = cap_tcb(&inv->slot->cap);
    if (inv->length < 2)
        return IC_TRUNCATED_MESSAGE;
    word_t do_suspend = inv->args[0], count = inv->args[1];
    if (count > IC_REG_COUNT)
        return IC_RANGE_ERROR;
    if (t == inv->thread)
        return IC_ILLEGAL_OPERATION;
    if (do_suspend)
        suspend(t);
    else
        smp_stall_thread(t);
    for (unsigned i = 0; i < count; i++)
        invocation_result(inv, *context_reg(t, i));
    return IC_OK;
}

ic_err_t tcb_invoke_write_registers(struct invocation *inv)
{
    struct tcb *t = cap_tcb(&inv->slot->cap);
    if (inv->length < 2)
        return IC_TRUNCATED_MESSAGE;
    word_t do_resume = inv->args[0], count = inv->args[1];
    if (count > IC_REG_COUNT)
        return IC_RANGE_ERROR;
    if (inv->length < 2 + count)
        return IC_TRUNCATED_MESSAGE;
    if (t == inv->thread)
        return IC_ILLEGAL_OPERATION;
    smp_stall_thread(t);
    for (unsigned i = 0; i < count; i++) {
        word_t v = invocation_arg(inv, 2 + i);
        if (i == IC_REG_SPSR)
            v = vcpu_spsr_write(t, t->ctx.spsr, v);
        *context_reg(t, i) = v;
    }
    if (do_resume)
        resume(t);
    return IC_OK;
}

ic_err_t tcb_invoke_suspend(struct invocation *inv)
{
    suspend(cap_tcb(&inv->slot->cap));
    return IC_OK;
}

ic_err_t tcb_invoke_resume(struct invocation *inv)
{
    resume(cap_tcb(&inv->slot->cap));
    return IC_OK;
}

ic_err_t tcb_invoke_bind_notification(struct invocation *inv)
{
    struct tcb *t = cap_tcb(&inv->slot->cap);
    struct cte *n = inv->caps[0];
    if (n->cap.type != CAP_NOTIFICATION || !(n->cap.rights & IC_RIGHT_READ))
        return IC_INVALID_CAPABILITY;
    struct notification *ntfn = cap_ntfn(&n->cap);
    if (t->bound_ntfn || ntfn->bound || ntfn->queue.head)
        return IC_ILLEGAL_OPERATION;
    ntfn->bound = t;
    t->bound_ntfn = ntfn;
    return IC_OK;
}

ic_err_t tcb_invoke_unbind_notification(struct invocation *inv)
{
    struct tcb *t = cap_tcb(&inv->slot->cap);
    if (!t->bound_ntfn)
        return IC_ILLEGAL_OPERATION;
    unbind(t);
    return IC_OK;
}
