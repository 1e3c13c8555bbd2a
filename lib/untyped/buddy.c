/* Untyped memory in power-of-two pieces: see untyped/buddy.h. */
#include <untyped/buddy.h>

void buddy_init(struct buddy *b, struct buddy_piece *pieces, uint32_t max, const struct buddy_ops *ops, void *ctx)
{
    *b = (struct buddy){ pieces, pieces ? max : 0, ops, ctx };
    for (uint32_t i = 0; i < b->max; i++)
        pieces[i] = (struct buddy_piece){ .state = BUDDY_UNUSED, .parent = BUDDY_NONE };
}

/* 'n' unused entries, their indexes in out[]; false if there are fewer. */
static bool unused_entries(const struct buddy *b, uint32_t out[], unsigned n)
{
    unsigned found = 0;
    for (uint32_t i = 0; i < b->max && found < n; i++)
        if (b->pieces[i].state == BUDDY_UNUSED)
            out[found++] = i;
    return found == n;
}

static bool covers(const struct buddy_piece *p, uint64_t paddr, unsigned bits)
{
    if (paddr == BUDDY_ANY_ADDRESS)
        return true;
    uint64_t size = 1ull << bits, psize = 1ull << p->bits;
    return paddr >= p->paddr && paddr - p->paddr <= psize - size;
}

int buddy_add(struct buddy *b, uint64_t cap, uint64_t paddr, unsigned bits, bool device)
{
    if (!b || bits < BUDDY_MIN_BITS || bits > BUDDY_MAX_BITS || paddr & ((1ull << bits) - 1) ||
        paddr == BUDDY_ANY_ADDRESS)
        return BUDDY_ERR_ARG;
    uint32_t i;
    if (!unused_entries(b, &i, 1))
        return BUDDY_ERR_FULL;
    b->pieces[i] = (struct buddy_piece){ cap, paddr, (uint8_t)bits, device, BUDDY_FREE, BUDDY_NONE,
                                         { BUDDY_NONE, BUDDY_NONE } };
    return BUDDY_OK;
}

/* The smallest free piece of that kind that can give it, or BUDDY_NONE. */
static uint32_t smallest_fit(const struct buddy *b, uint64_t paddr, unsigned bits, bool device)
{
    uint32_t best = BUDDY_NONE;
    for (uint32_t i = 0; i < b->max; i++) {
        const struct buddy_piece *p = &b->pieces[i];
        if (p->state != BUDDY_FREE || p->device != device || p->bits < bits || !covers(p, paddr, bits))
            continue;
        if (best == BUDDY_NONE || p->bits < b->pieces[best].bits)
            best = i;
    }
    return best;
}

/* Joins piece i's halves, both free; false if the caller could not. */
static bool join(struct buddy *b, uint32_t i)
{
    struct buddy_piece *p = &b->pieces[i];
    if (!b->ops || !b->ops->join || b->ops->join(b->ctx, p->cap))
        return false;
    b->pieces[p->half[0]].state = b->pieces[p->half[1]].state = BUDDY_UNUSED;
    p->state = BUDDY_FREE;
    p->half[0] = p->half[1] = BUDDY_NONE;
    return true;
}

int buddy_take(struct buddy *b, uint64_t paddr, unsigned bits, bool device, uint32_t *index)
{
    if (!b || !index || bits < BUDDY_MIN_BITS || bits > BUDDY_MAX_BITS ||
        (paddr != BUDDY_ANY_ADDRESS && paddr & ((1ull << bits) - 1)))
        return BUDDY_ERR_ARG;
    uint32_t at = smallest_fit(b, paddr, bits, device);
    if (at == BUDDY_NONE)
        return BUDDY_ERR_NO_MEMORY;
    /* each split down to the size asked for takes two entries: all of
     * them are there before the first split */
    unsigned splits = b->pieces[at].bits - bits, unused = 0;
    for (uint32_t i = 0; i < b->max && unused < 2 * splits; i++)
        unused += b->pieces[i].state == BUDDY_UNUSED;
    if (unused < 2 * splits)
        return BUDDY_ERR_FULL;
    uint32_t split[BUDDY_MAX_BITS];
    for (unsigned done = 0; done < splits; done++) {
        struct buddy_piece *p = &b->pieces[at];
        uint32_t halves[2];
        unused_entries(b, halves, 2);
        uint64_t caps[2];
        unsigned half_bits = p->bits - 1u;
        if (!b->ops || !b->ops->split || b->ops->split(b->ctx, p->cap, half_bits, caps)) {
            /* undo this call's splits, the last first (free halves stay
             * if the caller cannot join them) */
            while (done > 0 && join(b, split[done - 1]))
                done--;
            return BUDDY_ERR_OPS;
        }
        for (unsigned h = 0; h < 2; h++)
            b->pieces[halves[h]] = (struct buddy_piece){ caps[h], p->paddr + ((uint64_t)h << half_bits),
                                                         (uint8_t)half_bits, p->device, BUDDY_FREE, at,
                                                         { BUDDY_NONE, BUDDY_NONE } };
        p->state = BUDDY_SPLIT;
        p->half[0] = halves[0];
        p->half[1] = halves[1];
        split[done] = at;
        /* on into the half that holds the address (the lower one for any) */
        at = covers(&b->pieces[halves[0]], paddr, bits) ? halves[0] : halves[1];
    }
    b->pieces[at].state = BUDDY_TAKEN;
    *index = at;
    return BUDDY_OK;
}

int buddy_give_back(struct buddy *b, uint32_t index)
{
    if (!b || index >= b->max)
        return BUDDY_ERR_ARG;
    struct buddy_piece *p = &b->pieces[index];
    if (p->state != BUDDY_TAKEN)
        return BUDDY_ERR_STATE;
    p->state = BUDDY_FREE;
    /* join while both halves of the parent are free; a failed join leaves
     * two free halves, still usable as they are */
    while (p->parent != BUDDY_NONE) {
        struct buddy_piece *parent = &b->pieces[p->parent];
        if (b->pieces[parent->half[0]].state != BUDDY_FREE || b->pieces[parent->half[1]].state != BUDDY_FREE ||
            !join(b, p->parent))
            break;
        p = parent;
    }
    return BUDDY_OK;
}

uint64_t buddy_free_bytes(const struct buddy *b, bool device)
{
    uint64_t n = 0;
    for (uint32_t i = 0; b && i < b->max; i++)
        if (b->pieces[i].state == BUDDY_FREE && b->pieces[i].device == device)
            n += 1ull << b->pieces[i].bits;
    return n;
}
