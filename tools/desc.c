/* See desc.h. */
#include "desc.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

const char *desc_file;
int desc_errors;

void desc_error(int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s:%d: ", desc_file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    desc_errors++;
}

void *desc_grow(void *array, size_t count, size_t size)
{
    void *p = realloc(array, (count + 1) * size);
    if (!p) {
        fprintf(stderr, "%s: out of memory\n", desc_file ? desc_file : "description");
        exit(1);
    }
    return p;
}

bool desc_parse_size(const char *s, uint64_t *v)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(s, &end, 0);
    if (end == s || errno || *s == '-')
        return false;
    unsigned shift = 0;
    if (*end == 'K' || *end == 'k')
        shift = 10, end++;
    else if (*end == 'M')
        shift = 20, end++;
    else if (*end == 'G')
        shift = 30, end++;
    if (*end || (shift && n > (UINT64_MAX >> shift)))
        return false;
    *v = (uint64_t)n << shift;
    return true;
}
