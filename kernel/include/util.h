/* Kernel console output, assertions and memory helpers. */
#ifndef KERNEL_UTIL_H
#define KERNEL_UTIL_H

#include "types.h"
#include <stdarg.h>

void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kvprintf(const char *fmt, va_list ap);
void kputc(char c);
struct tcb;
/* DebugLog: up to IC_DEBUG_LOG_BYTES of the kernel's log into t's
 * registers; from the first call on, the kernel's lines go to the log and
 * t is signalled (util.c). */
void klog_take(struct tcb *t);
/* The kernel's lines go to the UART again (a panic, the halt). */
void klog_stop(void);
/* t is being destroyed: it no longer reads the log. */
void klog_forget_reader(struct tcb *t);
NORETURN void kpanic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Assertions are for kernel invariants only, never for user input. */
#define kassert(cond)                                                                              \
    do {                                                                                           \
        if (unlikely(!(cond)))                                                                     \
            kpanic("assertion failed: %s at %s:%d", #cond, __FILE__, __LINE__);                   \
    } while (0)

#ifdef HOST_TEST /* the kernel's logic in host unit tests: the C library's */
#include <string.h>
#else
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
#endif

#endif
