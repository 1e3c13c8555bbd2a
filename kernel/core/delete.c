/* Deleting and revoking capabilities.
 *
 * Deleting the last capability to an object destroys it. TCBs and CNodes
 * hold capabilities themselves; their last capability turns into a Zombie
 * that empties the object's slots one by one, last slot first. A slot that
 * holds the last capability to another TCB or CNode becomes a Zombie in turn,
 * whose 'b' field points back to the Zombie waiting on it. The state of the
 * whole deletion lives in the Zombies, so it needs no recursion and can stop
 * at a preemption point and resume when the system call is restarted.
 *
 * Cycles: objects may hold each other's last capabilities (a thread whose
 * CSpace holds its own TCB capability; two CNodes holding each other). The
 * chain of Zombies then comes back to the slot the deletion started from:
 * every Zombie below the top lies in the object of the one above it, and
 * there is one Zombie an object, so the top's slot is the only one on the
 * chain that a deeper object can hold. That slot is passed over like an
 * empty one: the deeper object is finished without it, and the top Zombie,
 * when its own object is done, leaves its slot empty. Until then the
 * untyped memory of that object cannot be reused, because the top Zombie
 * is still a capability inside it (retype refuses while anything derived
 * from the untyped remains). */
#include "kernel.h"
#include "arch.h"
#include "cnode.h"
#include "plat.h"
#include "smp.h"
#include "util.h"
#include "vcpu.h"

bool preemption_point(void)
{
    return arch_irq_pending();
}

static bool is_container(const struct cap *c)
{
    return c->type == CAP_TCB || c->type == CAP_CNODE;
}

/* Destroy a non-container object, or undo what this capability itself owns
 * (a mapping), once it leaves its slot. */
static void finalise_leaf(struct cap *c, bool final)
{
    switch (c->type) {
    case CAP_FRAME:
        frame_unmap_cap(c);
        break;
    case CAP_ENDPOINT:
        if (final)
            endpoint_cancel_all(cap_endpoint(c));
        break;
    case CAP_NOTIFICATION:
        if (final) {
            notification_cancel_all(cap_ntfn(c));
            notification_unbind(cap_ntfn(c));
        }
        break;
    case CAP_PAGE_TABLE:
        if (final)
            page_table_finalise(c);
        break;
    case CAP_VSPACE:
        /* if it was a thread's, the thread leaves it now (smp.c) */
        smp_vspace_removed(final && c->vmid ? c->a : 0);
        if (final)
            vspace_finalise(c);
        break;
    case CAP_IRQ_HANDLER:
        if (final)
            irq_handler_finalise(c);
        break;
    case CAP_VMID_POOL:
        if (final)
            vmid_pool_finalise(c);
        break;
    case CAP_VCPU:
        if (final)
            vcpu_finalise((struct vcpu *)(uintptr_t)c->obj);
        break;
    case CAP_REPLY:
        /* the caller keeps waiting, with nobody able to answer */
        cap_tcb(c)->reply_slot = NULL;
        break;
    default:
        break;
    }
}

static struct cte *zombie_slot(const struct cap *z, word_t i)
{
    if (z->zombie_type == CAP_TCB)
        return tcb_slot((struct tcb *)(uintptr_t)z->obj, (unsigned)i);
    return (struct cte *)(uintptr_t)z->obj + i;
}

/* Turn the last capability to a TCB or CNode into a Zombie. */
static void make_zombie(struct cte *slot, struct cte *parent_zombie)
{
    struct cap c = slot->cap;
    word_t slots;
    if (c.type == CAP_TCB) {
        tcb_finalise(cap_tcb(&c));
        slots = TCB_SLOT_COUNT;
    } else {
        slots = BIT(c.size_bits);
    }
    slot->cap.type = CAP_ZOMBIE;
    slot->cap.zombie_type = c.type;
    slot->cap.a = slots;
    slot->cap.b = (word_t)(uintptr_t)parent_zombie;
}

/* Empty slots passed over between two looks at pending interrupts: a
 * CNode may have 2^20 of them. */
#define EMPTY_SLOTS_PER_CHECK 256

ic_err_t cte_delete(struct cte *top)
{
    struct cte *cur = top;
    if (cte_is_empty(cur))
        return IC_OK;
    if (cur->cap.type != CAP_ZOMBIE) {
        bool final = cap_is_final(cur);
        if (!final || !is_container(&cur->cap)) {
            struct cap c = cur->cap;
            cap_remove(cur);
            finalise_leaf(&c, final);
            return IC_OK;
        }
        make_zombie(cur, NULL);
    }
    cur->cap.b = 0;
    bool progress = false;
    unsigned passed_over = 0;
    for (;;) {
        struct cap *z = &cur->cap;
        if (z->a == 0) {
            /* every slot of the object is empty: the object is gone */
            struct cte *parent = (struct cte *)(uintptr_t)z->b;
            cap_remove(cur);
            if (cur == top || !parent)
                return IC_OK;
            cur = parent;
            cur->cap.a--;
            continue;
        }
        struct cte *child = zombie_slot(z, z->a - 1);
        if (child == cur || child == top || cte_is_empty(child)) {
            /* a Zombie inside its own object, or the top of a cycle, is
             * removed when it finishes; what is counted down here is kept
             * in the Zombie, so a stop is safe after enough of it */
            z->a--;
            if (++passed_over % EMPTY_SLOTS_PER_CHECK == 0 && preemption_point())
                return ERR_PREEMPTED;
            continue;
        }
        if (child->cap.type == CAP_ZOMBIE) {
            /* a deletion stopped earlier: finish it first */
            child->cap.b = (word_t)(uintptr_t)cur;
            cur = child;
            continue;
        }
        /* stop only while work is left (and after some progress): the
         * restarted call may not find its capabilities again if this
         * deletion has destroyed them */
        if (progress && preemption_point())
            return ERR_PREEMPTED;
        bool final = cap_is_final(child);
        if (final && is_container(&child->cap)) {
            make_zombie(child, cur);
            cur = child;
            continue;
        }
        struct cap c = child->cap;
        cap_remove(child);
        finalise_leaf(&c, final);
        z->a--;
        progress = true;
    }
}

/* Delete every descendant of the capability in 'slot'. */
ic_err_t cte_revoke(struct cte *slot)
{
    while (cap_has_children(slot)) {
        ic_err_t err = cte_delete(slot->next);
        if (err)
            return err;
        if (cap_has_children(slot) && preemption_point())
            return ERR_PREEMPTED;
    }
    return IC_OK;
}
