/* Untyped memory: where new objects go. */
#ifndef KERNEL_UNTYPED_H
#define KERNEL_UNTYPED_H

#include "types.h"

/* Where 'count' objects of 2^obj_bits bytes go in an untyped region of
 * 2^size_bits bytes at 'base' whose first 'free_offset' bytes are in use:
 * at the first suitably aligned offset. Fails with IC_NOT_ENOUGH_MEMORY when
 * they do not fit, IC_RANGE_ERROR for impossible sizes. */
ic_err_t untyped_plan(word_t base, unsigned size_bits, word_t free_offset, unsigned obj_bits, word_t count,
                      word_t *first_offset);

/* Size in bits of one object of a type, or -1 if type/size_bits is invalid. */
int untyped_object_bits(word_t type, word_t size_bits);

#endif
