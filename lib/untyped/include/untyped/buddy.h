/* Untyped memory in power-of-two pieces, split in halves on demand and
 * joined again when both halves are free (a buddy allocator), so that a
 * piece of any size, or at a given address, can be handed out and later
 * given back whole: the loader hands out its components' memory and
 * devices this way; the resource server will hand out and take back its
 * realms' memory.
 *
 * Pure: the kernel work is the caller's, through two callbacks. Splitting
 * a piece retypes its untyped capability into two half-size untyped
 * objects; joining revokes it, which deletes the halves and lets it be
 * retyped again. Pieces live in an array the caller provides: no
 * compiled-in maximum. Every function checks its arguments and changes
 * nothing when it fails (but for halves the caller could not join again
 * after a failed split: they stay free). */
#ifndef UNTYPED_BUDDY_H
#define UNTYPED_BUDDY_H

#include <stdbool.h>
#include <stdint.h>

#define BUDDY_ANY_ADDRESS (~0ull)
#define BUDDY_NONE 0xffffffffu
#define BUDDY_MIN_BITS 4u
#define BUDDY_MAX_BITS 47u

enum buddy_state { BUDDY_UNUSED, BUDDY_FREE, BUDDY_TAKEN, BUDDY_SPLIT };

struct buddy_piece {
    uint64_t cap;        /* the caller's name for its untyped capability */
    uint64_t paddr;
    uint8_t bits, device, state;
    uint32_t parent;     /* BUDDY_NONE for a region given with buddy_add */
    uint32_t half[2];    /* its halves while it is split */
};

/* split: retype 'parent_cap' (2^(child_bits + 1) bytes) into two untyped
 * objects of 2^child_bits bytes, their capabilities in caps[0] (the lower)
 * and caps[1]; 0 on success. join: revoke 'parent_cap' (both its halves
 * are free); 0 on success. */
struct buddy_ops {
    int (*split)(void *ctx, uint64_t parent_cap, unsigned child_bits, uint64_t caps[2]);
    int (*join)(void *ctx, uint64_t parent_cap);
};

struct buddy {
    struct buddy_piece *pieces;
    uint32_t max;        /* entries of 'pieces' */
    const struct buddy_ops *ops;
    void *ctx;
};

enum buddy_err {
    BUDDY_OK = 0,
    BUDDY_ERR_ARG = -1,      /* bad size, alignment or argument */
    BUDDY_ERR_FULL = -2,     /* no entry left in the pieces array */
    BUDDY_ERR_NO_MEMORY = -3, /* no free piece can give what was asked */
    BUDDY_ERR_OPS = -4,      /* a callback failed; nothing changed */
    BUDDY_ERR_STATE = -5,    /* giving back a piece that is not taken */
};

/* An empty allocator over 'max' entries of 'pieces'. */
void buddy_init(struct buddy *b, struct buddy_piece *pieces, uint32_t max, const struct buddy_ops *ops, void *ctx);
/* Adds a region of 2^bits bytes at 'paddr' (aligned to its size), free. */
int buddy_add(struct buddy *b, uint64_t cap, uint64_t paddr, unsigned bits, bool device);
/* Takes a free piece of exactly 2^bits bytes covering 'paddr' (or anywhere
 * with BUDDY_ANY_ADDRESS) of the given kind, splitting the smallest free
 * piece that can give it; its index in *index. */
int buddy_take(struct buddy *b, uint64_t paddr, unsigned bits, bool device, uint32_t *index);
/* Gives a taken piece back, joining it with its buddy while both halves of
 * a piece are free. */
int buddy_give_back(struct buddy *b, uint32_t index);
/* Bytes in free pieces of the given kind. */
uint64_t buddy_free_bytes(const struct buddy *b, bool device);

#endif
