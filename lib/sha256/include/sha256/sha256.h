/* SHA-256 (FIPS 180-4), incremental and one-shot.
 *
 *   struct sha256_ctx c; sha256_init(&c);
 *   sha256_update(&c, p, n); ...; sha256_final(&c, digest);
 *
 * Any split of the input into update() calls gives the same digest.
 * Freestanding and pure: no libc, no system calls, no allocation; a context
 * is plain memory the caller owns. */
#ifndef SHA256_SHA256_H
#define SHA256_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_SIZE 32
#define SHA256_BLOCK_SIZE 64

struct sha256_ctx {
    uint32_t h[8];
    uint64_t bytes;                  /* message length so far */
    uint8_t buf[SHA256_BLOCK_SIZE];  /* the partial block: bytes % 64 of them */
};

void sha256_init(struct sha256_ctx *c);
void sha256_update(struct sha256_ctx *c, const void *data, size_t len);
/* Writes the digest; the context must be initialised again before reuse. */
void sha256_final(struct sha256_ctx *c, uint8_t digest[SHA256_DIGEST_SIZE]);
void sha256(const void *data, size_t len, uint8_t digest[SHA256_DIGEST_SIZE]);

#endif
