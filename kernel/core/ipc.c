/* Synchronous IPC over endpoints: message transfer with badges and
 * capabilities, Call and Reply.
 *
 * An endpoint queue holds only senders or only receivers. A thread that made
 * a Call (or faulted) waits in BLOCKED_REPLY; the receiver's 'caller' names
 * it until the receiver replies. */
#include "kernel.h"
#include "arch.h"
#include "cnode.h"
#include "sched.h"
#include "util.h"
#include "vcpu.h"
#include <icecap/msginfo.h>

ic_ipc_buffer_t *tcb_ipc_buffer(struct tcb *t)
{
    struct cap *f = &t->slots[TCB_SLOT_IPC_FRAME].cap;
    if (f->type != CAP_FRAME)
        return NULL;
    return (ic_ipc_buffer_t *)(uintptr_t)(f->obj + (t->ipc_buffer & MASK(f->size_bits)));
}

/* Message registers 0..3 live in x2..x5, the rest in the IPC buffer; without
 * an IPC buffer they read as zero. */
word_t ipc_get_mr(struct tcb *t, ic_ipc_buffer_t *buf, unsigned i)
{
    if (i < IC_MSG_REGISTERS_IN_CPU)
        return t->ctx.x[2 + i];
    return buf && i < IC_MSG_MAX_LENGTH ? buf->msg[i] : 0;
}

void ipc_set_mr(struct tcb *t, ic_ipc_buffer_t *buf, unsigned i, word_t v)
{
    if (i < IC_MSG_REGISTERS_IN_CPU)
        t->ctx.x[2 + i] = v;
    else if (buf && i < IC_MSG_MAX_LENGTH)
        buf->msg[i] = v;
}

/* Move capabilities named in the sender's IPC buffer to the receiver: a
 * capability to the endpoint the message travels on arrives as its badge
 * ("unwrapped"); any other goes to the receiver's one receive slot. */
static word_t transfer_caps(struct tcb *sender, ic_ipc_buffer_t *sbuf, struct tcb *receiver,
                            ic_ipc_buffer_t *rbuf, struct endpoint *ep, word_t count, word_t *unwrapped)
{
    word_t done = 0;
    bool slot_used = false;
    struct cte *dest = NULL;
    *unwrapped = 0;
    if (!sbuf || !rbuf)
        return 0;
    struct cap *rroot = &receiver->slots[TCB_SLOT_CSPACE].cap;
    struct cte *rcnode_slot;
    if (cnode_lookup_cap(rroot, rbuf->receive_cnode, &rcnode_slot) == IC_OK &&
        rcnode_slot->cap.type == CAP_CNODE) {
        struct cap rcnode = rcnode_slot->cap;
        if (rbuf->receive_depth > 0 &&
            cnode_lookup_slot_exact(&rcnode, rbuf->receive_index, (unsigned)rbuf->receive_depth, &dest) == IC_OK &&
            !cte_is_empty(dest))
            dest = NULL;
    }
    for (word_t i = 0; i < count && i < IC_MSG_MAX_EXTRA_CAPS; i++) {
        struct cte *src;
        if (cnode_lookup_cap(&sender->slots[TCB_SLOT_CSPACE].cap, sbuf->caps_or_badges[i], &src) != IC_OK ||
            cte_is_empty(src))
            break;
        if (src->cap.type == CAP_ENDPOINT && cap_endpoint(&src->cap) == ep && ep) {
            rbuf->caps_or_badges[i] = src->cap.a;
            *unwrapped |= BIT(i);
        } else {
            struct cap c;
            if (slot_used || !dest || cap_derive(src, &c) != IC_OK)
                break;
            cap_insert(dest, c, src);
            slot_used = true;
        }
        done++;
    }
    return done;
}

/* Copy a message and deliver it with a badge; the receiver's x0/x1 become
 * badge and message info. */
static void transfer_message(struct tcb *sender, struct tcb *receiver, word_t badge, bool can_grant,
                             struct endpoint *ep)
{
    ic_ipc_buffer_t *rbuf = tcb_ipc_buffer(receiver);
    word_t label, length, caps = 0, unwrapped = 0;
    if (sender->pending_fault) {
        label = sender->pending_fault;
        length = sender->fault_len;
        for (unsigned i = 0; i < length; i++)
            ipc_set_mr(receiver, rbuf, i, sender->fault_msg[i]);
    } else {
        ic_msginfo_t info = sender->ctx.x[1];
        ic_ipc_buffer_t *sbuf = tcb_ipc_buffer(sender);
        label = ic_msginfo_label(info);
        length = ic_msginfo_length(info);
        if (length > IC_MSG_MAX_LENGTH)
            length = IC_MSG_MAX_LENGTH;
        if (!rbuf && length > IC_MSG_REGISTERS_IN_CPU)
            length = IC_MSG_REGISTERS_IN_CPU;
        for (unsigned i = 0; i < length; i++)
            ipc_set_mr(receiver, rbuf, i, ipc_get_mr(sender, sbuf, i));
        if (can_grant && ic_msginfo_extra_caps(info))
            caps = transfer_caps(sender, sbuf, receiver, rbuf, ep, ic_msginfo_extra_caps(info), &unwrapped);
    }
    receiver->ctx.x[0] = badge;
    receiver->ctx.x[1] = ic_msginfo_new(label, unwrapped, caps, length);
}

/* The callee owes nobody else a reply: every receive gave that up first
 * (endpoint_recv, and the fast path's ReplyRecv replies before it waits),
 * so no earlier caller is left pointing at it. */
static void wait_for_reply(struct tcb *caller, struct tcb *callee)
{
    kassert(!callee->caller);
    sched_block(caller, THREAD_BLOCKED_REPLY);
    caller->callee = callee;
    callee->caller = caller;
}

void endpoint_send(struct tcb *sender, struct endpoint *ep, word_t badge, bool can_grant, bool is_call,
                   bool blocking)
{
    struct tcb *receiver = ep->queue.head;
    if (receiver && receiver->state == THREAD_BLOCKED_RECV) {
        queue_remove(&ep->queue, receiver);
        receiver->blocked_on = NULL;
        transfer_message(sender, receiver, badge, can_grant, ep);
        if (is_call)
            wait_for_reply(sender, receiver);
        sched_make_runnable(receiver);
        return;
    }
    if (!blocking)
        return;
    sched_block(sender, THREAD_BLOCKED_SEND);
    sender->blocked_on = ep;
    sender->ipc_badge = badge;
    sender->ipc_can_grant = can_grant;
    sender->ipc_is_call = is_call;
    queue_append(&ep->queue, sender);
}

void endpoint_recv(struct tcb *receiver, struct endpoint *ep, bool blocking)
{
    /* a receive gives up the reply still owed (as in seL4): the caller
     * waits on, with nobody able to answer it; so a thread waiting to
     * receive never owes a reply, which the fast path relies on */
    if (receiver->caller) {
        receiver->caller->callee = NULL;
        receiver->caller = NULL;
    }
    struct notification *bound = receiver->bound_ntfn;
    if (bound && bound->word) {
        receiver->ctx.x[0] = bound->word;
        receiver->ctx.x[1] = 0;
        bound->word = 0;
        return;
    }
    struct tcb *sender = ep->queue.head;
    if (sender && sender->state == THREAD_BLOCKED_SEND) {
        queue_remove(&ep->queue, sender);
        sender->blocked_on = NULL;
        transfer_message(sender, receiver, sender->ipc_badge, sender->ipc_can_grant, ep);
        if (sender->ipc_is_call)
            wait_for_reply(sender, receiver);
        else
            sched_make_runnable(sender);
        return;
    }
    if (!blocking) {
        receiver->ctx.x[0] = 0;
        receiver->ctx.x[1] = 0;
        return;
    }
    sched_block(receiver, THREAD_BLOCKED_RECV);
    receiver->blocked_on = ep;
    queue_append(&ep->queue, receiver);
}

/* Answer the thread that called us. A faulted thread resumes if the reply's
 * label is 0 and stays stopped otherwise. */
/* Deliver the replier's message as the reply the caller waits for. */
static void reply_to(struct tcb *replier, struct tcb *caller)
{
    if (caller->pending_fault) {
        word_t fault = caller->pending_fault, label = ic_msginfo_label(replier->ctx.x[1]);
        caller->pending_fault = 0;
        if (label == 0 || (caller->vcpu && label == IC_VCPU_REPLY_EMULATED &&
                           vcpu_emulated_reply(caller, fault, replier)))
            sched_make_runnable(caller);
        else
            caller->state = THREAD_INACTIVE;
        return;
    }
    /* replies never transfer capabilities */
    replier->ctx.x[1] &= ~(ic_word_t)(0x7u << IC_MSGINFO_CAPS_SHIFT);
    transfer_message(replier, caller, 0, false, NULL);
    sched_make_runnable(caller);
}

void ipc_reply(struct tcb *replier)
{
    struct tcb *caller = replier->caller;
    if (!caller)
        return;
    replier->caller = NULL;
    caller->callee = NULL;
    reply_to(replier, caller);
}

/* A send on a saved reply capability: it is used up. */
void ipc_reply_with_cap(struct tcb *replier, struct cte *slot)
{
    struct tcb *caller = cap_tcb(&slot->cap);
    cap_remove(slot);
    caller->reply_slot = NULL;
    reply_to(replier, caller);
}

/* The reply capability of a caller that stops waiting disappears with it. */
static void drop_saved_reply(struct tcb *t)
{
    if (t->reply_slot) {
        cap_remove(t->reply_slot);
        t->reply_slot = NULL;
    }
}

/* Take a thread out of whatever IPC it waits in. */
void ipc_cancel(struct tcb *t)
{
    switch (t->state) {
    case THREAD_BLOCKED_SEND:
    case THREAD_BLOCKED_RECV:
        queue_remove(&((struct endpoint *)t->blocked_on)->queue, t);
        t->blocked_on = NULL;
        break;
    case THREAD_BLOCKED_NTFN:
        queue_remove(&((struct notification *)t->blocked_on)->queue, t);
        t->blocked_on = NULL;
        break;
    case THREAD_BLOCKED_REPLY:
        /* the callee may have received a later Call since: then its reply
         * belongs to that caller */
        if (t->callee && t->callee->caller == t)
            t->callee->caller = NULL;
        t->callee = NULL;
        drop_saved_reply(t);
        break;
    default:
        break;
    }
    t->pending_fault = 0;
}

/* The endpoint is being destroyed: every waiter retries its system call,
 * which then fails to find the capability. */
void endpoint_cancel_all(struct endpoint *ep)
{
    struct tcb *t;
    while ((t = ep->queue.head)) {
        queue_remove(&ep->queue, t);
        t->blocked_on = NULL;
        if (!t->pending_fault)
            thread_restart_syscall(t);
        t->pending_fault = 0;
        sched_make_runnable(t);
    }
}
