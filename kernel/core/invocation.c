/* Decoding of object invocations, driven by the table generated from
 * abi/invocations.tbl: the label picks the handler, the table says which
 * capability type it applies to, how many arguments and capabilities it
 * needs and how many results it gives back. */
#include "kernel.h"
#include "arch.h"
#include "cnode.h"
#include "invocation.h"
#include "util.h"
#include <icecap/invocations.h>
#include <icecap/msginfo.h>
#include <kernel/dispatch.h>

word_t invocation_arg(struct invocation *inv, unsigned i)
{
    return ipc_get_mr(inv->thread, inv->buffer, i);
}

void invocation_result(struct invocation *inv, word_t value)
{
    ipc_set_mr(inv->thread, inv->buffer, (unsigned)inv->nresults++, value);
}

static bool type_matches(unsigned want, unsigned have)
{
    return want == have;
}

void invocation_handle(struct tcb *t, struct cte *slot)
{
    ic_msginfo_t info = t->ctx.x[1];
    word_t label = ic_msginfo_label(info);
    struct invocation inv = { .thread = t, .buffer = tcb_ipc_buffer(t), .slot = slot };
    const struct invocation_desc *d =
        label < IC_INV_COUNT ? &invocation_table[index_nospec(label, IC_INV_COUNT)] : NULL;
    ic_err_t err;

    inv.length = ic_msginfo_length(info);
    if (!inv.buffer && inv.length > IC_MSG_REGISTERS_IN_CPU)
        inv.length = IC_MSG_REGISTERS_IN_CPU;
    if (!d || !d->handler) {
        err = IC_ILLEGAL_OPERATION;
    } else if (!type_matches(d->cap_type, slot->cap.type)) {
        err = IC_INVALID_CAPABILITY;
    } else if (inv.length < d->nargs || ic_msginfo_extra_caps(info) < d->ncaps) {
        err = IC_TRUNCATED_MESSAGE;
    } else {
        err = IC_OK;
        for (unsigned i = 0; i < INVOCATION_MAX_ARGS; i++)
            inv.args[i] = i < inv.length ? invocation_arg(&inv, i) : 0;
        for (unsigned i = 0; i < d->ncaps && !err; i++) {
            if (!inv.buffer)
                err = IC_TRUNCATED_MESSAGE;
            else if (cnode_lookup_cap(&t->slots[TCB_SLOT_CSPACE].cap, inv.buffer->caps_or_badges[i], &inv.caps[i]))
                err = IC_FAILED_LOOKUP;
        }
        if (!err)
            err = d->handler(&inv);
        /* d->nresults is what the table promises the callers' stubs; they
         * refuse a reply of another length, and the kernel suite checks each
         * handler's (a check here would cost every invocation) */
    }
    if (err == ERR_PREEMPTED) {
        thread_restart_syscall(t);
        return;
    }
    t->ctx.x[0] = err;
    t->ctx.x[1] = ic_msginfo_new(0, 0, 0, err ? 0 : inv.nresults);
}
