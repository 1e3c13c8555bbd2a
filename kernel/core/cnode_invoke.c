/* CNode invocations: copy, mint, move, mutate, delete, revoke. */
#include "kernel.h"
#include "cnode.h"
#include "invocation.h"
#include "util.h"

/* Both slots of a two-slot operation: destination in the invoked CNode,
 * source in the CNode given as the extra capability. */
static ic_err_t lookup_pair(struct invocation *inv, struct cte **dest, struct cte **src)
{
    ic_err_t err = cnode_lookup_slot_exact(&inv->slot->cap, inv->args[0], (unsigned)inv->args[1], dest);
    if (err)
        return err;
    if (inv->caps[0]->cap.type != CAP_CNODE)
        return IC_INVALID_CAPABILITY;
    err = cnode_lookup_slot_exact(&inv->caps[0]->cap, inv->args[2], (unsigned)inv->args[3], src);
    if (err)
        return err;
    if (!cte_is_empty(*dest))
        return IC_DELETE_FIRST;
    if (cte_is_empty(*src))
        return IC_FAILED_LOOKUP;
    return IC_OK;
}

/* A CNode capability's "badge" is its guard (cnode_cap_set_encoded_guard):
 * how a CSpace made at run time gets the guard that lets its owner name
 * slots by index. */
static ic_err_t copy_with(struct invocation *inv, word_t rights, bool set_badge, word_t badge)
{
    struct cte *dest, *src;
    struct cap c;
    ic_err_t err = lookup_pair(inv, &dest, &src);
    if (err)
        return err;
    if (cap_derive(src, &c))
        return IC_ILLEGAL_OPERATION;
    if (set_badge && c.type == CAP_CNODE) {
        if ((err = cnode_cap_set_encoded_guard(&c, badge)))
            return err;
    } else if (set_badge) {
        if (c.type != CAP_ENDPOINT && c.type != CAP_NOTIFICATION)
            return IC_ILLEGAL_OPERATION;
        /* a badged capability cannot be re-badged */
        if (c.a != 0 || badge == 0)
            return IC_ILLEGAL_OPERATION;
        c.a = badge;
    }
    c.rights &= (uint8_t)(rights & IC_RIGHTS_ALL);
    cap_insert(dest, c, src);
    return IC_OK;
}

ic_err_t cnode_invoke_copy(struct invocation *inv)
{
    return copy_with(inv, inv->args[4], false, 0);
}

ic_err_t cnode_invoke_mint(struct invocation *inv)
{
    return copy_with(inv, inv->args[4], true, inv->args[5]);
}

ic_err_t cnode_invoke_move(struct invocation *inv)
{
    struct cte *dest, *src;
    ic_err_t err = lookup_pair(inv, &dest, &src);
    if (err)
        return err;
    if (src->cap.type == CAP_ZOMBIE)
        return IC_ILLEGAL_OPERATION;
    cap_move(dest, src, src->cap);
    if (dest->cap.type == CAP_REPLY)
        cap_tcb(&dest->cap)->reply_slot = dest;
    return IC_OK;
}

/* Move and set a badge in one step; the original disappears, so the CDT
 * stays as it was. */
ic_err_t cnode_invoke_mutate(struct invocation *inv)
{
    struct cte *dest, *src;
    ic_err_t err = lookup_pair(inv, &dest, &src);
    if (err)
        return err;
    struct cap c = src->cap;
    if (c.type == CAP_CNODE) {
        if ((err = cnode_cap_set_encoded_guard(&c, inv->args[4])))
            return err;
        cap_move(dest, src, c);
        return IC_OK;
    }
    if (c.type != CAP_ENDPOINT && c.type != CAP_NOTIFICATION)
        return IC_ILLEGAL_OPERATION;
    if (c.a != 0 || src->revocable)
        return IC_ILLEGAL_OPERATION; /* only unbadged copies may take a badge */
    c.a = inv->args[4];
    cap_move(dest, src, c);
    if (c.a) /* like a mint: the first of its badge, parent of its copies */
        dest->revocable = dest->first_badged = true;
    return IC_OK;
}

ic_err_t cnode_invoke_delete(struct invocation *inv)
{
    struct cte *slot;
    ic_err_t err = cnode_lookup_slot_exact(&inv->slot->cap, inv->args[0], (unsigned)inv->args[1], &slot);
    if (err)
        return err;
    return cte_delete(slot);
}

ic_err_t cnode_invoke_revoke(struct invocation *inv)
{
    struct cte *slot;
    ic_err_t err = cnode_lookup_slot_exact(&inv->slot->cap, inv->args[0], (unsigned)inv->args[1], &slot);
    if (err)
        return err;
    return cte_revoke(slot);
}

/* Keep the reply to the caller we are serving in a capability, so that we
 * can take other calls before answering this one (with a Send on it). */
ic_err_t cnode_invoke_save_caller(struct invocation *inv)
{
    struct cte *slot;
    struct tcb *caller = inv->thread->caller;
    ic_err_t err = cnode_lookup_slot_exact(&inv->slot->cap, inv->args[0], (unsigned)inv->args[1], &slot);
    if (err)
        return err;
    if (!cte_is_empty(slot))
        return IC_DELETE_FIRST;
    if (!caller)
        return IC_ILLEGAL_OPERATION;
    inv->thread->caller = NULL;
    caller->callee = NULL;
    struct cap c = cap_null();
    c.type = CAP_REPLY;
    c.obj = (word_t)(uintptr_t)caller;
    cap_insert_new(slot, c, NULL);
    caller->reply_slot = slot;
    return IC_OK;
}
