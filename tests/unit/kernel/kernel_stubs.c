/* Host versions of the kernel symbols that the pure kernel sources use but
 * that live in kernel files not built for the host (kernel/core/util.c).
 * memset, memcpy and memcmp come from libc: util.h declares them with libc's
 * signatures. */
#include <stdio.h>
#include <string.h>
#include "util.h"
#include "harness.h"

void kvprintf(const char *fmt, va_list ap) { vprintf(fmt, ap); }

void kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kvprintf(fmt, ap);
    va_end(ap);
}

void kputc(char c) { putchar(c); }

/* A test that expects a panic (CHECK_PANICS) gets control back; any other
 * panic fails the running test, which the harness reports. */
void kpanic(const char *fmt, ...)
{
    if (harness_panic_catch)
        longjmp(*harness_panic_catch, 1);
    char msg[512] = "kpanic: ";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg + strlen(msg), sizeof(msg) - strlen(msg), fmt, ap);
    va_end(ap);
    harness_fail(NULL, 0, msg, 0, 0, 0);
}
