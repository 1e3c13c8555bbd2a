/* The string functions gcc may call on its own, and a few more.
 * no-tree-loop-distribute-patterns stops gcc from turning these loops back
 * into calls to memset/memcpy/strlen, i.e. into infinite recursion. */
#include <icecap/icecap.h>

#define NO_BUILTIN_LOOPS __attribute__((optimize("no-tree-loop-distribute-patterns")))

/* Word-at-a-time when both pointers allow it: bulk copies in the test and
 * benchmark code should not dominate what they measure. */
#define WORD_ALIGNED(x) (((uintptr_t)(x) & (sizeof(ic_word_t) - 1)) == 0)
/* Callers' objects have any type: word accesses must not break aliasing. */
typedef ic_word_t __attribute__((may_alias)) alias_word_t;

NO_BUILTIN_LOOPS void *memset(void *s, int c, size_t n)
{
    unsigned char *p = s;
    if (WORD_ALIGNED(p)) {
        ic_word_t w = (unsigned char)c * 0x0101010101010101ull;
        for (; n >= sizeof(w); n -= sizeof(w), p += sizeof(w))
            *(alias_word_t *)p = w;
    }
    while (n--)
        *p++ = (unsigned char)c;
    return s;
}

NO_BUILTIN_LOOPS void *memcpy(void *restrict dest, const void *restrict src, size_t n)
{
    unsigned char *d = dest;
    const unsigned char *s = src;
    if (WORD_ALIGNED(d) && WORD_ALIGNED(s)) {
        /* eight words a round: a VMM copying a guest kernel spends its
         * time here */
        for (; n >= 8 * sizeof(ic_word_t); n -= 8 * sizeof(ic_word_t), d += 8 * sizeof(ic_word_t),
                                          s += 8 * sizeof(ic_word_t)) {
            const alias_word_t *sw = (const alias_word_t *)s;
            alias_word_t *dw = (alias_word_t *)d;
            ic_word_t w0 = sw[0], w1 = sw[1], w2 = sw[2], w3 = sw[3], w4 = sw[4], w5 = sw[5], w6 = sw[6], w7 = sw[7];
            dw[0] = w0, dw[1] = w1, dw[2] = w2, dw[3] = w3, dw[4] = w4, dw[5] = w5, dw[6] = w6, dw[7] = w7;
        }
        for (; n >= sizeof(ic_word_t); n -= sizeof(ic_word_t), d += sizeof(ic_word_t), s += sizeof(ic_word_t))
            *(alias_word_t *)d = *(const alias_word_t *)s;
    }
    while (n--)
        *d++ = *s++;
    return dest;
}

NO_BUILTIN_LOOPS void *memmove(void *dest, const void *src, size_t n)
{
    unsigned char *d = dest;
    const unsigned char *s = src;
    if (d <= s) /* copying forwards never reads what it already wrote */
        for (size_t i = 0; i < n; i++)
            d[i] = s[i];
    else
        while (n--)
            d[n] = s[n];
    return dest;
}

NO_BUILTIN_LOOPS int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x - *y;
    return 0;
}

NO_BUILTIN_LOOPS size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

NO_BUILTIN_LOOPS int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return (unsigned char)*a - (unsigned char)*b;
}
