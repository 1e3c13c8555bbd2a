/* components/resource-server/heap.c: first fit, splitting, merging on
 * free, and a random soak that ends with the heap whole again. */
#include "harness.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "heap.h"

static _Alignas(16) uint8_t area[1 << 16];

TEST(a_fresh_heap_is_one_free_block)
{
    struct heap h;
    heap_init(&h, area, sizeof(area));
    CHECK_EQ(heap_free_bytes(&h), sizeof(area));
    CHECK_EQ(heap_largest(&h), sizeof(area) - 16);
    CHECK(heap_alloc(&h, 0) == NULL);
    CHECK(heap_alloc(&h, sizeof(area)) == NULL);
    void *all = heap_alloc(&h, sizeof(area) - 16);
    CHECK(all != NULL);
    CHECK(heap_alloc(&h, 1) == NULL);
    heap_free(&h, all);
    CHECK_EQ(heap_free_bytes(&h), sizeof(area));
}

TEST(blocks_are_aligned_apart_and_merge_back_in_any_order)
{
    struct heap h;
    heap_init(&h, area, sizeof(area));
    uint8_t *p[8];
    for (unsigned i = 0; i < 8; i++) {
        p[i] = heap_alloc(&h, 1 + i * 100);
        CHECK(p[i] != NULL);
        CHECK_EQ((uintptr_t)p[i] % 16, 0);
        memset(p[i], (int)i, 1 + i * 100);
    }
    for (unsigned i = 0; i < 8; i++)
        for (unsigned j = 0; j < 1 + i * 100; j++)
            CHECK_EQ(p[i][j], i);
    static const unsigned order[8] = { 3, 0, 7, 1, 6, 2, 5, 4 };
    for (unsigned i = 0; i < 8; i++)
        heap_free(&h, p[order[i]]);
    CHECK_EQ(heap_largest(&h), sizeof(area) - 16);
    heap_free(&h, NULL);
}

TEST(a_freed_hole_is_reused_first_fit)
{
    struct heap h;
    heap_init(&h, area, sizeof(area));
    void *a = heap_alloc(&h, 1000), *b = heap_alloc(&h, 1000);
    heap_free(&h, a);
    CHECK(heap_alloc(&h, 500) == a);
    (void)b;
}

TEST(a_random_soak_ends_with_the_heap_whole)
{
    struct heap h;
    heap_init(&h, area, sizeof(area));
    void *live[64] = { 0 };
    size_t sizes[64] = { 0 };
    srand(7);
    for (unsigned step = 0; step < 100000; step++) {
        unsigned k = (unsigned)rand() % 64;
        if (live[k]) {
            for (size_t j = 0; j < sizes[k]; j++)
                CHECK_EQ(((uint8_t *)live[k])[j], k);
            heap_free(&h, live[k]);
            live[k] = NULL;
        } else {
            sizes[k] = 1 + (size_t)rand() % 3000;
            live[k] = heap_alloc(&h, sizes[k]);
            if (live[k])
                memset(live[k], (int)k, sizes[k]);
        }
    }
    for (unsigned k = 0; k < 64; k++)
        heap_free(&h, live[k]);
    CHECK_EQ(heap_free_bytes(&h), sizeof(area));
    CHECK_EQ(heap_largest(&h), sizeof(area) - 16);
}
