/* A small printf for the debug console. Each ic_printf formats into a buffer
 * on its own stack and writes it out at every newline or when it fills, so
 * threads sharing an address space never share a buffer. */
#include <icecap/icecap.h>

struct sink {
    char *buf;
    size_t len, cap;
    bool console; /* flush to the console, else truncate (snprintf) */
    int total;    /* characters produced, including truncated ones */
};

void ic_kernel_console_write(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ic_debug_putchar(s[i]);
}

void (*ic_console_write)(const char *s, size_t n) = ic_kernel_console_write;

static void flush(struct sink *s)
{
    if (s->len)
        ic_console_write(s->buf, s->len);
    s->len = 0;
}

static void put(struct sink *s, char c)
{
    s->total++;
    if (s->console) {
        s->buf[s->len++] = c;
        if (c == '\n' || s->len == s->cap)
            flush(s);
    } else if (s->len + 1 < s->cap) { /* keep room for the terminator */
        s->buf[s->len++] = c;
    }
}

static void put_padded(struct sink *s, const char *prefix, const char *body, size_t body_len, unsigned width,
                       bool zero, bool left)
{
    size_t plen = 0;
    while (prefix[plen])
        plen++;
    size_t pad = width > plen + body_len ? width - plen - body_len : 0;
    if (!left && !zero)
        for (; pad; pad--)
            put(s, ' ');
    for (size_t i = 0; i < plen; i++)
        put(s, prefix[i]);
    if (!left && zero) /* zeros go between the sign or 0x and the digits */
        for (; pad; pad--)
            put(s, '0');
    for (size_t i = 0; i < body_len; i++)
        put(s, body[i]);
    for (; pad; pad--)
        put(s, ' ');
}

/* Writes v in base into the end of tmp[24]; returns the first digit. */
static char *digits(unsigned long long v, unsigned base, bool upper, char tmp[24])
{
    const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char *p = tmp + 24;
    do {
        *--p = set[v % base];
        v /= base;
    } while (v);
    return p;
}

static void format(struct sink *s, const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            put(s, *fmt);
            continue;
        }
        fmt++;
        bool zero = false, left = false;
        for (;; fmt++) {
            if (*fmt == '0')
                zero = true;
            else if (*fmt == '-')
                left = true;
            else
                break;
        }
        unsigned width = 0;
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (unsigned)(*fmt++ - '0');
        int longs = 0;
        for (; *fmt == 'l'; fmt++)
            longs++;
        if (*fmt == 'z') {
            longs = 1; /* size_t is unsigned long here */
            fmt++;
        }

        char tmp[24];
        char *p;
        unsigned long long u;
        switch (*fmt) {
        case 'd':
        case 'i': {
            long long v = longs >= 2 ? va_arg(ap, long long) : longs ? va_arg(ap, long) : va_arg(ap, int);
            /* negate in unsigned arithmetic so LLONG_MIN works */
            u = v < 0 ? -(unsigned long long)v : (unsigned long long)v;
            p = digits(u, 10, false, tmp);
            put_padded(s, v < 0 ? "-" : "", p, (size_t)(tmp + 24 - p), width, zero, left);
            break;
        }
        case 'u':
        case 'x':
        case 'X':
            u = longs >= 2 ? va_arg(ap, unsigned long long)
                : longs  ? va_arg(ap, unsigned long)
                         : va_arg(ap, unsigned int);
            p = digits(u, *fmt == 'u' ? 10 : 16, *fmt == 'X', tmp);
            put_padded(s, "", p, (size_t)(tmp + 24 - p), width, zero, left);
            break;
        case 'p':
            p = digits((uintptr_t)va_arg(ap, void *), 16, false, tmp);
            put_padded(s, "0x", p, (size_t)(tmp + 24 - p), width, zero, left);
            break;
        case 'c':
            tmp[0] = (char)va_arg(ap, int);
            put_padded(s, "", tmp, 1, width, false, left);
            break;
        case 's': {
            const char *str = va_arg(ap, const char *);
            if (!str)
                str = "(null)";
            put_padded(s, "", str, strlen(str), width, false, left);
            break;
        }
        case '%':
            put(s, '%');
            break;
        case '\0': /* a lone % at the end */
            return;
        default: /* unknown: show it rather than guess at its argument */
            put(s, '%');
            put(s, *fmt);
            break;
        }
    }
}

int ic_vprintf(const char *fmt, va_list ap)
{
    char buf[128];
    struct sink s = { buf, 0, sizeof(buf), true, 0 };
    format(&s, fmt, ap);
    flush(&s);
    return s.total;
}

int ic_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = ic_vprintf(fmt, ap);
    va_end(ap);
    return n;
}

int ic_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct sink s = { buf, 0, size, false, 0 };
    format(&s, fmt, ap);
    if (size)
        buf[s.len] = '\0';
    return s.total;
}

int ic_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = ic_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

int ic_puts(const char *s)
{
    return ic_printf("%s\n", s);
}
