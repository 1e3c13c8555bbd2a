/* What the build machine's description compilers share (tools/syscomp.c,
 * tools/realmspec/realmspec.c): mistakes reported as "file:line: what is
 * wrong", growing tables, and sizes such as "256M". */
#ifndef TOOLS_DESC_H
#define TOOLS_DESC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

extern const char *desc_file; /* the description being read */
extern int desc_errors;       /* mistakes reported so far */

/* "FILE:LINE: what", and one more mistake counted. */
void desc_error(int line, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* 'array' with room for count + 1 elements of 'size' bytes; exits when
 * memory runs out. */
void *desc_grow(void *array, size_t count, size_t size);

/* A number (decimal, 0x hex) with an optional K, M or G suffix: false if it
 * is not one, is negative or does not fit 64 bits. Ranges are the caller's. */
bool desc_parse_size(const char *s, uint64_t *v);

#endif
