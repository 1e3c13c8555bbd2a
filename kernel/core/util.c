/* Console output for debugging and panics, and the memory helpers the
 * compiler expects. */
#include "util.h"
#include "kernel.h"
#include "plat.h"
#include "arch.h"

/* The kernel's log. Once a thread with console access takes from it
 * (DebugLog), the kernel's lines go there instead of to the UART, which by
 * then belongs to the serial server: a line of the kernel's never lands in
 * the middle of one of the serial server's, and an unprivileged thread
 * that makes the kernel print (a fault with no handler) cannot put text on
 * the screen. That thread, the reader, is signalled through its bound
 * notification; a line that might not fit (less than KLOG_LINE_MAX bytes
 * free) is dropped whole and counted. A panic and the
 * halt go to the UART: whatever state the reader is in, they must be seen. */
#define KLOG_SIZE 4096u
#define KLOG_LINE_MAX 256u /* longer than any line the kernel prints */
static char klog[KLOG_SIZE];
static uint64_t klog_written, klog_taken, klog_lost;
static struct tcb *klog_reader;
static bool klog_on, klog_dropping;

void kputc(char c)
{
    if (!klog_on) {
        plat_uart_putc(c);
        return;
    }
    /* bounded however long the line: never past what the reader took */
    if (klog_dropping || klog_written - klog_taken == KLOG_SIZE)
        return;
    klog[klog_written++ % KLOG_SIZE] = c;
}

/* After a line: the reader hears of it. */
static void klog_signal(void)
{
    if (klog_on && klog_reader && klog_reader->bound_ntfn && klog_written != klog_taken)
        notification_signal(klog_reader->bound_ntfn, IC_DEBUG_LOG_BADGE);
}

void klog_take(struct tcb *t)
{
    klog_on = true;
    klog_reader = t;
    uint64_t n = klog_written - klog_taken;
    if (n > IC_DEBUG_LOG_BYTES)
        n = IC_DEBUG_LOG_BYTES;
    uint64_t words[IC_DEBUG_LOG_BYTES / 8] = { 0 };
    for (uint64_t i = 0; i < n; i++)
        words[i / 8] |= (uint64_t)(uint8_t)klog[(klog_taken + i) % KLOG_SIZE] << (8 * (i % 8));
    klog_taken += n;
    t->ctx.x[0] = IC_OK;
    t->ctx.x[1] = n;
    t->ctx.x[2] = klog_lost;
    for (unsigned w = 0; w < IC_DEBUG_LOG_BYTES / 8; w++)
        t->ctx.x[3 + w] = words[w];
    klog_lost = 0;
}

void klog_stop(void)
{
    klog_on = false;
}

void klog_forget_reader(struct tcb *t)
{
    if (klog_reader == t)
        klog_reader = NULL;
}

static void put_unsigned(uint64_t v, unsigned base, int width, char pad)
{
    char buf[24];
    int n = 0;
    do {
        unsigned d = v % base;
        buf[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
        v /= base;
    } while (v);
    while (n < width--)
        kputc(pad);
    while (n)
        kputc(buf[--n]);
}

/* Supports %s %c %d %u %x %lx %lu %ld %p with an optional zero-padded width. */
void kvprintf(const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            kputc(*fmt);
            continue;
        }
        char pad = ' ';
        int width = 0, is_long = 0;
        if (*++fmt == '0')
            pad = '0', fmt++;
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        while (*fmt == 'l')
            is_long = 1, fmt++;
        switch (*fmt) {
        case 's': {
            const char *s = va_arg(ap, const char *);
            for (s = s ? s : "(null)"; *s; s++)
                kputc(*s);
            break;
        }
        case 'c': kputc((char)va_arg(ap, int)); break;
        case 'd': {
            int64_t v = is_long ? va_arg(ap, int64_t) : va_arg(ap, int);
            if (v < 0)
                kputc('-'), v = -v;
            put_unsigned((uint64_t)v, 10, width, pad);
            break;
        }
        case 'u': put_unsigned(is_long ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 10, width, pad); break;
        case 'x': put_unsigned(is_long ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 16, width, pad); break;
        case 'p': kputc('0'), kputc('x'), put_unsigned((uint64_t)va_arg(ap, void *), 16, 0, ' '); break;
        case '%': kputc('%'); break;
        default: kputc('?'); break;
        }
    }
}

void kprintf(const char *fmt, ...)
{
    va_list ap;
    klog_dropping = klog_on && KLOG_SIZE - (klog_written - klog_taken) < KLOG_LINE_MAX;
    if (klog_dropping)
        klog_lost++;
    va_start(ap, fmt);
    kvprintf(fmt, ap);
    va_end(ap);
    klog_dropping = false;
    klog_signal();
}

void kpanic(const char *fmt, ...)
{
    va_list ap;
    klog_stop();
    kprintf("\nkernel panic: ");
    va_start(ap, fmt);
    kvprintf(fmt, ap);
    va_end(ap);
    kprintf("\n");
    plat_psci_system_off();
}

void *memset(void *d, int c, size_t n)
{
    uint8_t *p = d;
    if (c == 0 && ((uintptr_t)p & 7) == 0) {
#ifndef HOST_TEST
        /* whole blocks with DC ZVA (zeroing retyped memory is most of the
         * kernel's work when a large region is made into objects) */
        uint64_t dczid;
        __asm__ volatile("mrs %0, dczid_el0" : "=r"(dczid));
        size_t block = (size_t)4 << (dczid & 0xf);
        if (!(dczid & 0x10) && ((uintptr_t)p & (block - 1)) == 0)
            for (; n >= block; n -= block, p += block)
                __asm__ volatile("dc zva, %0" ::"r"(p) : "memory");
#endif
        for (; n >= 8; n -= 8, p += 8)
            *(volatile uint64_t *)p = 0;
    }
    while (n--)
        *p++ = (uint8_t)c;
    return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
    uint8_t *dp = d;
    const uint8_t *sp = s;
    if ((((uintptr_t)dp | (uintptr_t)sp) & 7) == 0)
        for (; n >= 8; n -= 8, dp += 8, sp += 8)
            *(volatile uint64_t *)dp = *(const uint64_t *)sp;
    while (n--)
        *dp++ = *sp++;
    return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x - *y;
    return 0;
}
