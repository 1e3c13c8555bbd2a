/* Basic types of the IceCap user/kernel ABI. Shared by the kernel and by
 * user code; freestanding (no libc). */
#ifndef ICECAP_TYPES_H
#define ICECAP_TYPES_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

typedef uint64_t ic_word_t;
/* A capability pointer: an index into a thread's CSpace, resolved by guarded
 * lookup, most significant bits first, using 'depth' bits (64 by default). */
typedef uint64_t ic_cptr_t;

#define IC_WORD_BITS 64

#endif
