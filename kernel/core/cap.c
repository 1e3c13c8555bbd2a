/* The capability derivation tree: which capability was derived from which,
 * so that revoke finds every descendant. See cap.h for the representation. */
#include "cap.h"
#include "object.h"
#include "util.h"
#include <icecap/vcpu.h>

bool cap_is_physical(const struct cap *c)
{
    switch (c->type) {
    case CAP_UNTYPED: case CAP_TCB: case CAP_ENDPOINT: case CAP_NOTIFICATION: case CAP_CNODE:
    case CAP_FRAME: case CAP_PAGE_TABLE: case CAP_VSPACE: case CAP_ZOMBIE: case CAP_VCPU:
        return true;
    default:
        return false;
    }
}

word_t cap_object_size(const struct cap *c)
{
    switch (c->type) {
    case CAP_UNTYPED: return BIT(c->size_bits);
    case CAP_TCB: return BIT(IC_TCB_SIZE_BITS);
    case CAP_ENDPOINT: return BIT(IC_ENDPOINT_SIZE_BITS);
    case CAP_NOTIFICATION: return BIT(IC_NOTIFICATION_SIZE_BITS);
    case CAP_CNODE: return BIT(c->size_bits + IC_SLOT_SIZE_BITS);
    case CAP_FRAME: return BIT(c->size_bits);
    case CAP_PAGE_TABLE: return BIT(IC_PAGE_TABLE_SIZE_BITS);
    case CAP_VSPACE: return BIT(IC_VSPACE_SIZE_BITS);
    case CAP_VCPU: return BIT(IC_VCPU_SIZE_BITS);
    case CAP_ZOMBIE:
        return c->zombie_type == CAP_TCB ? BIT(IC_TCB_SIZE_BITS) : BIT(c->size_bits + IC_SLOT_SIZE_BITS);
    default: return 0;
    }
}

/* Does b refer to something inside what a refers to? */
bool cap_same_region(const struct cap *a, const struct cap *b)
{
    switch (a->type) {
    case CAP_UNTYPED:
        if (!cap_is_physical(b))
            return false;
        return b->obj >= a->obj && b->obj + cap_object_size(b) - 1 <= a->obj + cap_object_size(a) - 1;
    case CAP_IRQ_CONTROL:
        return b->type == CAP_IRQ_CONTROL || b->type == CAP_IRQ_HANDLER;
    case CAP_IRQ_HANDLER:
        return b->type == CAP_IRQ_HANDLER && a->obj == b->obj;
    case CAP_VMID_CONTROL:
        return b->type == CAP_VMID_CONTROL || b->type == CAP_VMID_POOL;
    case CAP_NULL:
        return false;
    case CAP_FRAME:
        return b->type == CAP_FRAME && a->obj == b->obj && a->size_bits == b->size_bits;
    case CAP_CNODE:
        return b->type == CAP_CNODE && a->obj == b->obj && a->size_bits == b->size_bits;
    default:
        return a->type == b->type && a->obj == b->obj;
    }
}

/* Do a and b refer to the same object (not just the same memory)? */
bool cap_same_object(const struct cap *a, const struct cap *b)
{
    if (a->type == CAP_UNTYPED || b->type == CAP_UNTYPED)
        return a->type == b->type && a->obj == b->obj && a->size_bits == b->size_bits;
    if (a->type == CAP_IRQ_CONTROL || a->type == CAP_VMID_CONTROL)
        return b->type == a->type;
    return cap_same_region(a, b);
}

bool cap_is_parent_of(const struct cte *parent, const struct cte *child)
{
    if (!parent->revocable || !cap_same_region(&parent->cap, &child->cap))
        return false;
    switch (parent->cap.type) {
    case CAP_ENDPOINT:
    case CAP_NOTIFICATION:
        /* An unbadged original is the parent of all badged copies; a badged
         * capability only of the copies made from it with the same badge. */
        if (parent->cap.a == 0)
            return true;
        return parent->cap.a == child->cap.a && !child->first_badged;
    default:
        return true;
    }
}

/* A derived capability may have children of its own if it is where a new
 * badge, an IRQ handler or a split of an untyped region starts. */
bool cap_is_revocable(const struct cap *derived, const struct cap *src)
{
    switch (derived->type) {
    case CAP_ENDPOINT:
    case CAP_NOTIFICATION:
        return derived->a != src->a;
    case CAP_IRQ_HANDLER:
        return src->type == CAP_IRQ_CONTROL;
    case CAP_VMID_POOL:
        return src->type == CAP_VMID_CONTROL;
    case CAP_UNTYPED:
        return true;
    default:
        return false;
    }
}

bool cap_has_children(const struct cte *slot)
{
    return slot->next && cap_is_parent_of(slot, slot->next);
}

/* Is this the last capability to its object? Then deleting it destroys the
 * object. */
bool cap_is_final(const struct cte *slot)
{
    if (slot->prev && cap_same_object(&slot->prev->cap, &slot->cap))
        return false;
    if (slot->next && cap_same_object(&slot->next->cap, &slot->cap))
        return false;
    return true;
}

/* Check that a capability may be copied and compute the copy: untyped
 * capabilities are never copied (each carries its own allocation watermark),
 * mapping state and zombies never travel. */
ic_err_t cap_derive(const struct cte *src, struct cap *out)
{
    struct cap c = src->cap;
    switch (c.type) {
    case CAP_NULL:
    case CAP_IRQ_CONTROL:
    case CAP_VMID_CONTROL:
    case CAP_ZOMBIE:
    case CAP_UNTYPED:
    case CAP_REPLY:
        return IC_ILLEGAL_OPERATION;
    case CAP_FRAME:
        c.vmid = 0; c.a = 0; c.b = 0;
        break;
    case CAP_PAGE_TABLE:
        /* one capability per page table, so it has at most one mapping */
        return IC_ILLEGAL_OPERATION;
    case CAP_VSPACE:
        /* one capability until a pool gives it a VMID, which the copies
         * then carry (vmid_pool_invoke_assign) */
        if (!c.vmid)
            return IC_ILLEGAL_OPERATION;
        break;
    default:
        break;
    }
    *out = c;
    return IC_OK;
}

static void link_after(struct cte *dest, struct cte *after)
{
    dest->prev = after;
    dest->next = after ? after->next : NULL;
    if (after) {
        if (after->next)
            after->next->prev = dest;
        after->next = dest;
    }
}

/* Place a derived capability in an empty slot, as the next sibling or child
 * of parent in the CDT. */
void cap_insert(struct cte *dest, struct cap cap, struct cte *parent)
{
    kassert(cte_is_empty(dest));
    bool revocable = cap_is_revocable(&cap, &parent->cap);
    dest->cap = cap;
    dest->revocable = revocable;
    dest->first_badged = revocable;
    link_after(dest, parent);
}

/* Place a capability to a newly made object (from retype or boot). */
void cap_insert_new(struct cte *dest, struct cap cap, struct cte *parent)
{
    kassert(cte_is_empty(dest));
    dest->cap = cap;
    dest->revocable = true;
    dest->first_badged = true;
    link_after(dest, parent);
}

/* Move a capability (possibly changed, as by mutate) to an empty slot; it
 * keeps its place in the CDT. */
void cap_move(struct cte *dest, struct cte *src, struct cap cap)
{
    if (dest == src)
        return;
    kassert(cte_is_empty(dest));
    dest->cap = cap;
    dest->revocable = src->revocable;
    dest->first_badged = src->first_badged;
    dest->prev = src->prev;
    dest->next = src->next;
    if (dest->prev)
        dest->prev->next = dest;
    if (dest->next)
        dest->next->prev = dest;
    src->cap = cap_null();
    src->prev = src->next = NULL;
    src->revocable = src->first_badged = 0;
}

/* Unlink a slot from the CDT and empty it. Its children, if any, become
 * children of its parent. */
void cap_remove(struct cte *slot)
{
    if (slot->next) {
        /* A badged copy that followed this one must not turn into a child of
         * an earlier capability with the same badge. */
        slot->next->first_badged = slot->next->first_badged || slot->first_badged;
        slot->next->prev = slot->prev;
    }
    if (slot->prev)
        slot->prev->next = slot->next;
    slot->cap = cap_null();
    slot->prev = slot->next = NULL;
    slot->revocable = slot->first_badged = 0;
}
