/* A first-fit heap (heap.h). Each block, free or allocated, starts with a
 * 16-byte header holding its size (header included, a multiple of 16). */
#include "heap.h"

struct heap_block {
    size_t size;
    struct heap_block *next;    /* free blocks only */
};
_Static_assert(sizeof(struct heap_block) == 16, "a 16-byte header");

void heap_init(struct heap *h, void *base, size_t size)
{
    h->base = base;
    h->size = size & ~(size_t)15;
    h->free = NULL;
    if (h->size >= 2 * sizeof(struct heap_block)) {
        h->free = (struct heap_block *)base;
        h->free->size = h->size;
        h->free->next = NULL;
    }
}

void *heap_alloc(struct heap *h, size_t bytes)
{
    if (!bytes || bytes > h->size)
        return NULL;
    size_t need = ((bytes + 15) & ~(size_t)15) + sizeof(struct heap_block);
    for (struct heap_block **link = &h->free; *link; link = &(*link)->next) {
        struct heap_block *b = *link;
        if (b->size < need)
            continue;
        if (b->size - need >= 2 * sizeof(struct heap_block)) {
            /* split: the tail stays free in b's place */
            struct heap_block *rest = (struct heap_block *)((uint8_t *)b + need);
            rest->size = b->size - need;
            rest->next = b->next;
            *link = rest;
            b->size = need;
        } else {
            *link = b->next;
        }
        return b + 1;
    }
    return NULL;
}

void heap_free(struct heap *h, void *p)
{
    if (!p)
        return;
    struct heap_block *b = (struct heap_block *)p - 1, *prev = NULL, *next = h->free;
    while (next && next < b) {
        prev = next;
        next = next->next;
    }
    b->next = next;
    if (next && (uint8_t *)b + b->size == (uint8_t *)next) {
        b->size += next->size;
        b->next = next->next;
    }
    if (prev && (uint8_t *)prev + prev->size == (uint8_t *)b) {
        prev->size += b->size;
        prev->next = b->next;
    } else if (prev) {
        prev->next = b;
    } else {
        h->free = b;
    }
}

size_t heap_largest(const struct heap *h)
{
    size_t best = 0;
    for (const struct heap_block *b = h->free; b; b = b->next)
        if (b->size > best)
            best = b->size;
    return best > sizeof(struct heap_block) ? best - sizeof(struct heap_block) : 0;
}

size_t heap_free_bytes(const struct heap *h)
{
    size_t sum = 0;
    for (const struct heap_block *b = h->free; b; b = b->next)
        sum += b->size;
    return sum;
}
