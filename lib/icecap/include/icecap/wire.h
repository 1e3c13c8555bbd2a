/* How a component protocol's fields travel in message registers: the code
 * generated from abi/protocols/NAME.tbl by abi/protogen.awk calls these; the
 * format is described in docs/protocols.md.
 *
 * A word argument is one message register. A byte string is a length word
 * n followed by ceil(n / 8) words holding the bytes, eight to a word,
 * little-endian (byte i in bits 8 * (i % 8) of word i / 8), the unused
 * bytes of the last word zero.
 *
 * Pure: no system calls, no libc; the unit tests run it on the build
 * machine (tests/unit/protocols). User code only: the kernel never sees
 * a protocol. */
#ifndef ICECAP_WIRE_H
#define ICECAP_WIRE_H

#include <icecap/types.h>

/* The words that n bytes take; n must already be checked against its
 * maximum (no overflow then). */
static inline ic_word_t ic_wire_words(ic_word_t n)
{
    return (n + 7) / 8;
}

/* Packs s[0..n) into mr[0..ic_wire_words(n)). */
static inline void ic_wire_pack_bytes(ic_word_t *mr, const char *s, ic_word_t n)
{
    for (ic_word_t w = 0; w < ic_wire_words(n); w++) {
        ic_word_t word = 0;
        for (ic_word_t k = 0; k < 8 && w * 8 + k < n; k++)
            word |= (ic_word_t)(unsigned char)s[w * 8 + k] << (8 * k);
        mr[w] = word;
    }
}

/* Unpacks n bytes from mr[0..ic_wire_words(n)) into s[0..n). */
static inline void ic_wire_unpack_bytes(char *s, const ic_word_t *mr, ic_word_t n)
{
    for (ic_word_t i = 0; i < n; i++)
        s[i] = (char)(mr[i / 8] >> (8 * (i % 8)));
}

#endif
