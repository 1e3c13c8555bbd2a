/* Device register access for the platform drivers. */
#ifndef PLAT_VIRT_MMIO_H
#define PLAT_VIRT_MMIO_H

#include "types.h"

/* Plain LDR/STR with a base register only: one access of exactly the given
 * width, never merged, split or given a writeback addressing mode (which
 * would leave no valid syndrome if an access is ever trapped). */
static inline uint32_t mmio_read32(uint64_t addr)
{
    uint32_t v;
    __asm__ volatile("ldr %w0, [%1]" : "=r"(v) : "r"(addr) : "memory");
    return v;
}

static inline void mmio_write32(uint64_t addr, uint32_t v)
{
    __asm__ volatile("str %w0, [%1]" : : "rZ"(v), "r"(addr) : "memory");
}

static inline uint64_t mmio_read64(uint64_t addr)
{
    uint64_t v;
    __asm__ volatile("ldr %0, [%1]" : "=r"(v) : "r"(addr) : "memory");
    return v;
}

static inline void mmio_write64(uint64_t addr, uint64_t v)
{
    __asm__ volatile("str %x0, [%1]" : : "rZ"(v), "r"(addr) : "memory");
}

#endif
