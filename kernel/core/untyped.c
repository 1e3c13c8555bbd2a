/* Untyped retype: turn free untyped memory into new objects.
 *
 * An untyped capability keeps two offsets: a = first free byte, b = end of
 * the memory known to be zero (b >= a). Retype zeroes [a, end) in chunks with
 * a preemption point between them, moving b forward, so a large retype can
 * be interrupted and picks up where it stopped when the call is restarted.
 * Once all children of an untyped are gone (after revoke), its memory is
 * free again and dirty: a = b = 0. Untyped children are not zeroed when
 * they are carved out; their own objects are, when they are made. A child
 * inherits the part of b that covers it: memory the kernel has never handed
 * out since power on can be zero already (see boot.c). */
#include "kernel.h"
#include "cnode.h"
#include "invocation.h"
#include "untyped.h"
#include "util.h"
#include "vcpu.h"

#define ZERO_CHUNK (64u * 1024u)
#define MAX_OBJECTS_PER_RETYPE 256u

static ic_err_t zero_until(struct cap *ut, word_t end)
{
    while (ut->b < end) {
        word_t n = end - ut->b < ZERO_CHUNK ? end - ut->b : ZERO_CHUNK;
        memset((void *)(uintptr_t)(ut->obj + ut->b), 0, n);
        /* the next owner may read it with caches off: the zeroes, not what
         * memory held before, must be what it finds */
        arch_clean_to_poc(ut->obj + ut->b, n);
        ut->b += n;
        if (ut->b < end && preemption_point())
            return ERR_PREEMPTED;
    }
    return IC_OK;
}

static struct cap object_cap(word_t type, word_t size_bits, word_t addr, bool device)
{
    struct cap c = cap_null();
    c.obj = addr;
    c.rights = IC_RIGHTS_ALL;
    switch (type) {
    case IC_OBJ_UNTYPED:
        c.type = CAP_UNTYPED;
        c.size_bits = (uint8_t)size_bits;
        c.flags = device ? CAPF_DEVICE : 0;
        c.b = 0; /* zeroed only when objects are made from it */
        break;
    case IC_OBJ_TCB: c.type = CAP_TCB; break;
    case IC_OBJ_ENDPOINT: c.type = CAP_ENDPOINT; break;
    case IC_OBJ_NOTIFICATION: c.type = CAP_NOTIFICATION; break;
    case IC_OBJ_CNODE:
        c.type = CAP_CNODE;
        c.size_bits = (uint8_t)size_bits;
        break;
    case IC_OBJ_FRAME_4K:
    case IC_OBJ_FRAME_2M:
        c.type = CAP_FRAME;
        c.size_bits = type == IC_OBJ_FRAME_4K ? IC_PAGE_BITS : IC_LARGE_PAGE_BITS;
        c.flags = device ? CAPF_DEVICE : 0;
        break;
    case IC_OBJ_PAGE_TABLE: c.type = CAP_PAGE_TABLE; break;
    case IC_OBJ_VSPACE: c.type = CAP_VSPACE; break;
    case IC_OBJ_VCPU: c.type = CAP_VCPU; break;
    }
    return c;
}

ic_err_t untyped_invoke_retype(struct invocation *inv)
{
    struct cte *ut_slot = inv->slot;
    struct cap *ut = &ut_slot->cap;
    word_t type = inv->args[0], size_bits = inv->args[1], node_index = inv->args[2];
    word_t node_depth = inv->args[3], offset = inv->args[4], count = inv->args[5];
    bool device = ut->flags & CAPF_DEVICE;

    int obj_bits = untyped_object_bits(type, size_bits);
    if (obj_bits < 0)
        return type >= IC_OBJ_TYPE_COUNT ? IC_INVALID_ARGUMENT : IC_RANGE_ERROR;
    if (device && type != IC_OBJ_FRAME_4K && type != IC_OBJ_FRAME_2M && type != IC_OBJ_UNTYPED)
        return IC_INVALID_ARGUMENT;
    if (count == 0 || count > MAX_OBJECTS_PER_RETYPE)
        return IC_RANGE_ERROR;

    /* destination: 'count' empty slots of a CNode */
    struct cte *root = inv->caps[0], *node_slot;
    if (root->cap.type != CAP_CNODE)
        return IC_INVALID_CAPABILITY;
    if (node_depth == 0) {
        node_slot = root;
    } else {
        ic_err_t err = cnode_lookup_slot_exact(&root->cap, node_index, (unsigned)node_depth, &node_slot);
        if (err)
            return err;
    }
    if (node_slot->cap.type != CAP_CNODE)
        return IC_INVALID_CAPABILITY;
    word_t slots = BIT(node_slot->cap.size_bits);
    if (offset >= slots || count > slots - offset)
        return IC_RANGE_ERROR;
    struct cte *dest = cap_cnode(&node_slot->cap) + offset;
    for (word_t i = 0; i < count; i++)
        if (!cte_is_empty(&dest[i]))
            return IC_DELETE_FIRST;

    /* an untyped without children is entirely free again */
    word_t free_offset = ut->a, zeroed = ut->b;
    if (!cap_has_children(ut_slot) && free_offset) {
        free_offset = 0;
        zeroed = 0;
    }
    word_t first;
    ic_err_t err = untyped_plan(ut->obj, ut->size_bits, free_offset, (unsigned)obj_bits, count, &first);
    if (err)
        return err;

    /* invoke: from here on only a preemption point may stop us, and the
     * restarted call decides everything again */
    ut->a = free_offset;
    ut->b = zeroed;
    word_t end = first + (count << obj_bits);
    if (!device && type != IC_OBJ_UNTYPED) {
        if (ut->b < ut->a)
            ut->b = ut->a;
        if ((err = zero_until(ut, end)))
            return err;
    }
    for (word_t i = 0; i < count; i++) {
        word_t addr = ut->obj + first + (i << obj_bits);
        struct cap c = object_cap(type, size_bits, addr, device);
        /* a child untyped inherits what is known to be zero */
        if (type == IC_OBJ_UNTYPED && first + ((i + 1) << obj_bits) <= zeroed)
            c.b = BIT(obj_bits);
        if (type == IC_OBJ_TCB)
            tcb_init((struct tcb *)(uintptr_t)addr);
        else if (type == IC_OBJ_VSPACE)
            vspace_init_object(&c);
        else if (type == IC_OBJ_VCPU)
            vcpu_init((struct vcpu *)(uintptr_t)addr);
        cap_insert_new(&dest[i], c, ut_slot);
    }
    ut->a = end;
    if (ut->b < end)
        ut->b = end;
    return IC_OK;
}
