/* Placement of new objects in untyped memory. Pure logic: also built into
 * the host unit tests. */
#include "untyped.h"
#include <icecap/objects.h>
#include <icecap/vcpu.h>

int untyped_object_bits(word_t type, word_t size_bits)
{
    switch (type) {
    case IC_OBJ_UNTYPED:
        return (size_bits >= IC_MIN_UNTYPED_BITS && size_bits <= IC_MAX_UNTYPED_BITS) ? (int)size_bits : -1;
    case IC_OBJ_TCB: return IC_TCB_SIZE_BITS;
    case IC_OBJ_ENDPOINT: return IC_ENDPOINT_SIZE_BITS;
    case IC_OBJ_NOTIFICATION: return IC_NOTIFICATION_SIZE_BITS;
    case IC_OBJ_CNODE:
        return (size_bits >= 1 && size_bits <= IC_CNODE_MAX_RADIX) ? (int)(size_bits + IC_SLOT_SIZE_BITS) : -1;
    case IC_OBJ_FRAME_4K: return IC_PAGE_BITS;
    case IC_OBJ_FRAME_2M: return IC_LARGE_PAGE_BITS;
    case IC_OBJ_PAGE_TABLE: return IC_PAGE_TABLE_SIZE_BITS;
    case IC_OBJ_VSPACE: return IC_VSPACE_SIZE_BITS;
    case IC_OBJ_VCPU: return IC_VCPU_SIZE_BITS;
    default: return -1;
    }
}

ic_err_t untyped_plan(word_t base, unsigned size_bits, word_t free_offset, unsigned obj_bits, word_t count,
                      word_t *first_offset)
{
    if (size_bits > IC_MAX_UNTYPED_BITS || obj_bits > IC_MAX_UNTYPED_BITS || count == 0)
        return IC_RANGE_ERROR;
    if (obj_bits > size_bits)
        return IC_NOT_ENOUGH_MEMORY;
    word_t size = BIT(size_bits);
    if (free_offset > size)
        return IC_RANGE_ERROR;
    /* align the absolute address: base is aligned to 2^size_bits, so
     * aligning the offset is the same */
    (void)base;
    word_t first = ALIGN_UP(free_offset, BIT(obj_bits));
    if (first > size)
        return IC_NOT_ENOUGH_MEMORY;
    word_t room = (size - first) >> obj_bits;
    if (count > room)
        return IC_NOT_ENOUGH_MEMORY;
    *first_offset = first;
    return IC_OK;
}
