/* CSpace lookup (seL4 semantics): a CPtr is resolved most significant bit
 * first; each CNode consumes its guard and then radix bits as the index. */
#ifndef KERNEL_CNODE_H
#define KERNEL_CNODE_H

#include "cap.h"

struct lookup_result {
    struct cte *slot;
    unsigned bits_left;
};

ic_err_t cnode_resolve(const struct cap *root, word_t cptr, unsigned depth, struct lookup_result *res);
ic_err_t cnode_lookup_slot_exact(const struct cap *root, word_t cptr, unsigned depth, struct cte **slot);
ic_err_t cnode_empty_slot(const struct cte *root, word_t cptr, unsigned depth, struct cte **slot);
ic_err_t cnode_lookup_cap(const struct cap *root, word_t cptr, struct cte **slot);
struct cap cnode_cap_make(paddr_t obj, unsigned radix, unsigned guard_bits, word_t guard);
void cnode_cap_set_guard(struct cap *c, unsigned guard_bits, word_t guard);
ic_err_t cnode_cap_set_encoded_guard(struct cap *c, word_t encoded);

/* cnode_lookup_cap, with the common flat CSpace resolved inline. */
static inline ic_err_t cnode_lookup_cap_fast(const struct cap *root, word_t cptr, struct cte **slot)
{
    if (root->type == CAP_CNODE && (root->flags & CAPF_FLAT_CSPACE) && (cptr >> root->size_bits) == 0) {
        *slot = (struct cte *)(uintptr_t)root->obj + cptr;
        return IC_OK;
    }
    return cnode_lookup_cap(root, cptr, slot);
}

#endif
