/* Kernel-internal basic types.
 *
 * Addresses of different spaces are one-member structs, so that passing a
 * guest-physical address where a physical one is wanted does not compile. */
#ifndef KERNEL_TYPES_H
#define KERNEL_TYPES_H

#include <icecap/types.h>
#include <icecap/errors.h>

typedef uint64_t word_t;

typedef struct { uint64_t pa; } paddr_t;   /* physical address */
typedef struct { uint64_t ipa; } ipaddr_t; /* guest-physical (stage-2 input) address */

static inline paddr_t pa(uint64_t x) { return (paddr_t){ x }; }
static inline ipaddr_t ipa(uint64_t x) { return (ipaddr_t){ x }; }

/* The kernel maps all physical memory one-to-one, so a physical address is
 * also the kernel's pointer to it. */
static inline void *paddr_to_ptr(paddr_t p) { return (void *)(uintptr_t)p.pa; }
static inline paddr_t ptr_to_paddr(const void *p) { return pa((uint64_t)(uintptr_t)p); }

#define BIT(n) (1ull << (n))
#define MASK(n) ((n) >= 64 ? ~0ull : BIT(n) - 1ull)
#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~((uint64_t)(a) - 1))
#define IS_ALIGNED(x, bits) (((x) & MASK(bits)) == 0)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define UNUSED __attribute__((unused))
#define NORETURN __attribute__((noreturn))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#endif
