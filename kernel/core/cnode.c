/* Guarded CSpace lookup. Pure logic: also built into the host unit tests. */
#include "cnode.h"
#include "object.h"
#include <icecap/objects.h>

void cnode_cap_set_guard(struct cap *c, unsigned guard_bits, word_t guard)
{
    c->guard_bits = (uint8_t)guard_bits;
    c->a = guard;
    c->flags = (guard == 0 && guard_bits + c->size_bits == IC_WORD_BITS) ? CAPF_FLAT_CSPACE : 0;
}

/* A guard as the ABI encodes it (guard_bits | guard << 6, for tcb_configure
 * and for mint and mutate of a CNode capability): IC_RANGE_ERROR unless it
 * fits beside the CNode's radix. */
ic_err_t cnode_cap_set_encoded_guard(struct cap *c, word_t encoded)
{
    unsigned guard_bits = encoded & 0x3f;
    word_t guard = encoded >> 6;
    if (guard_bits + c->size_bits > IC_WORD_BITS || (guard_bits < 58 && (guard >> guard_bits)))
        return IC_RANGE_ERROR;
    cnode_cap_set_guard(c, guard_bits, guard);
    return IC_OK;
}

struct cap cnode_cap_make(paddr_t obj, unsigned radix, unsigned guard_bits, word_t guard)
{
    struct cap c = cap_null();
    c.type = CAP_CNODE;
    c.obj = obj.pa;
    c.size_bits = (uint8_t)radix;
    c.rights = IC_RIGHTS_ALL;
    cnode_cap_set_guard(&c, guard_bits, guard);
    return c;
}

/* Walk at most 'depth' bits of cptr. Stops early, with bits left, at a slot
 * that does not hold a CNode. */
ic_err_t cnode_resolve(const struct cap *root, word_t cptr, unsigned depth, struct lookup_result *res)
{
    const struct cap *node = root;
    if (depth < 1 || depth > IC_WORD_BITS)
        return IC_RANGE_ERROR;
    for (;;) {
        if (node->type != CAP_CNODE)
            return IC_FAILED_LOOKUP;
        unsigned radix = node->size_bits, guard_bits = node->guard_bits;
        unsigned level_bits = radix + guard_bits;
        if (level_bits > depth)
            return IC_FAILED_LOOKUP;
        /* radix >= 1, so guard_bits < 64 and every shift below is < 64 */
        if (guard_bits && ((cptr >> (depth - guard_bits)) & MASK(guard_bits)) != (node->a & MASK(guard_bits)))
            return IC_FAILED_LOOKUP;
        word_t index = (cptr >> (depth - level_bits)) & MASK(radix);
        struct cte *slot = cap_cnode(node) + index;
        depth -= level_bits;
        if (depth == 0 || slot->cap.type != CAP_CNODE) {
            res->slot = slot;
            res->bits_left = depth;
            return IC_OK;
        }
        node = &slot->cap;
    }
}

/* A slot named by exactly 'depth' bits: the form CNode invocations use. */
ic_err_t cnode_lookup_slot_exact(const struct cap *root, word_t cptr, unsigned depth, struct cte **slot)
{
    struct lookup_result r;
    ic_err_t err = cnode_resolve(root, cptr, depth, &r);
    if (err)
        return err;
    if (r.bits_left)
        return IC_FAILED_LOOKUP;
    *slot = r.slot;
    return IC_OK;
}

/* Where an invocation puts a capability it makes: 'root' must be a CNode
 * capability and the slot it names in exactly 'depth' bits empty. */
ic_err_t cnode_empty_slot(const struct cte *root, word_t cptr, unsigned depth, struct cte **slot)
{
    if (root->cap.type != CAP_CNODE)
        return IC_INVALID_CAPABILITY;
    ic_err_t err = cnode_lookup_slot_exact(&root->cap, cptr, depth, slot);
    if (err)
        return err;
    return cte_is_empty(*slot) ? IC_OK : IC_DELETE_FIRST;
}

/* The slot a CPtr names for an invocation or message: all 64 bits, or fewer
 * when the walk reaches a non-CNode capability. */
ic_err_t cnode_lookup_cap(const struct cap *root, word_t cptr, struct cte **slot)
{
    struct lookup_result r;
    ic_err_t err = cnode_resolve(root, cptr, IC_WORD_BITS, &r);
    if (err)
        return err;
    *slot = r.slot;
    return IC_OK;
}
