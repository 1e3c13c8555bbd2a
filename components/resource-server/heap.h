/* The resource server's bookkeeping memory: a first-fit heap with a free
 * list sorted by address, neighbours merged on free. What a realm needs
 * (its object table) is allocated when it is created and freed with it, so
 * that a thousand create/destroy cycles leave the heap as it was. Pure. */
#ifndef RESOURCE_SERVER_HEAP_H
#define RESOURCE_SERVER_HEAP_H

#include <stddef.h>
#include <stdint.h>

struct heap_block;

struct heap {
    uint8_t *base;
    size_t size;
    struct heap_block *free;    /* by address */
};

/* A heap over base[0..size): base 16-byte aligned. */
void heap_init(struct heap *h, void *base, size_t size);
/* 'bytes' (rounded up to 16), 16-byte aligned, or NULL. Not zeroed. */
void *heap_alloc(struct heap *h, size_t bytes);
/* Gives back what heap_alloc returned; NULL is ignored. */
void heap_free(struct heap *h, void *p);
/* The largest allocation that would succeed now, and all free bytes. */
size_t heap_largest(const struct heap *h);
size_t heap_free_bytes(const struct heap *h);

#endif
