/* Capabilities, CNode slots and the capability derivation tree (CDT).
 *
 * A slot (cte) holds one capability and its place in the CDT. The CDT is a
 * doubly linked list in depth-first order: the children of a capability
 * follow it directly. Whether the next slot is a child is decided by
 * cap_is_parent_of(), as in seL4: a revocable capability is the parent of the
 * following capabilities to the same region, and a badged endpoint or
 * notification capability is the parent only of copies with its badge.
 *
 * Object states: a slot is empty (CAP_NULL, not in the CDT) or full (in the
 * CDT). A Zombie is a capability to a CNode or TCB that is being destroyed:
 * it counts down the object's slots as they are emptied, so that deletion can
 * be preempted and resumed, and needs no recursion. */
#ifndef KERNEL_CAP_H
#define KERNEL_CAP_H

#include "types.h"

enum cap_type {
    CAP_NULL = 0,
    CAP_UNTYPED,
    CAP_TCB,
    CAP_ENDPOINT,
    CAP_NOTIFICATION,
    CAP_CNODE,
    CAP_FRAME,
    CAP_PAGE_TABLE,
    CAP_VSPACE,
    CAP_IRQ_CONTROL,
    CAP_IRQ_HANDLER,
    CAP_ZOMBIE,
    CAP_VCPU,
    CAP_REPLY,
    CAP_VMID_CONTROL,
    CAP_VMID_POOL,
    CAP_TYPE_COUNT
};

/* Field use by type:
 *   UNTYPED:      obj=base, size_bits, flags=CAPF_DEVICE, a=free offset, b=zeroed-up-to offset
 *   TCB, ENDPOINT, NOTIFICATION: obj; a=badge (endpoint, notification)
 *   CNODE:        obj, size_bits=radix, guard_bits, a=guard, flags=CAPF_FLAT_CSPACE
 *   FRAME:        obj=paddr, size_bits=12|21, flags=CAPF_DEVICE, vmid+a=mapped vspace root, b=mapped address
 *   PAGE_TABLE:   obj, level=mapped level, vmid+a=mapped vspace root, b=mapped address
 *   VSPACE:       obj=root table, vmid (0 until a pool assigns one),
 *                 a=VTTBR value (root | vmid << 48; the empty space's while 0)
 *   VMID_POOL:    obj=first VMID, a=number of VMIDs
 *   IRQ_HANDLER:  irq
 *   VCPU:         obj
 *   REPLY:        obj=the caller waiting for the reply; one of a kind: never
 *                 copied, gone once used, and its caller's reply_slot names it
 *   ZOMBIE:       obj, zombie_type (CAP_TCB or CAP_CNODE), a=slots left, b=parent zombie slot */
struct cap {
    uint8_t type;
    uint8_t rights;
    uint8_t size_bits;
    uint8_t flags;
    uint8_t guard_bits;
    uint8_t vmid;
    uint8_t level;
    uint8_t zombie_type;
    word_t obj;
    word_t a;
    word_t b;
};

#define CAPF_DEVICE 1u
/* a CNode whose guard is zero and, with its radix, uses all 64 bits: a CPtr
 * below 2^radix is the slot index (what the IPC fast path can look up) */
#define CAPF_FLAT_CSPACE 2u

struct cte {
    struct cap cap;
    struct cte *prev, *next; /* CDT order */
    uint32_t revocable;      /* may have children */
    uint32_t first_badged;   /* first capability with this badge */
    word_t pad;
};

_Static_assert(sizeof(struct cte) == 64, "a slot is 2^IC_SLOT_SIZE_BITS bytes");

static inline struct cap cap_null(void) { return (struct cap){ 0 }; }
static inline bool cte_is_empty(const struct cte *s) { return s->cap.type == CAP_NULL; }

/* CDT operations (kernel/core/cap.c) */
bool cap_same_region(const struct cap *a, const struct cap *b);
bool cap_same_object(const struct cap *a, const struct cap *b);
bool cap_is_parent_of(const struct cte *parent, const struct cte *child);
bool cap_is_revocable(const struct cap *derived, const struct cap *src);
bool cap_has_children(const struct cte *slot);
bool cap_is_final(const struct cte *slot);
void cap_insert(struct cte *dest, struct cap cap, struct cte *parent);
void cap_insert_new(struct cte *dest, struct cap cap, struct cte *parent);
void cap_move(struct cte *dest, struct cte *src, struct cap cap);
void cap_remove(struct cte *slot);
ic_err_t cap_derive(const struct cte *src, struct cap *out);
bool cap_is_physical(const struct cap *c);
word_t cap_object_size(const struct cap *c);

#endif
