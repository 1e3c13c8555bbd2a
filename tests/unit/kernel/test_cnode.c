/* Guarded CSpace lookup (kernel/core/cnode.c). */
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "cnode.h"
#include "object.h"

/* CNode storage: 2^radix zeroed slots, aligned to its size like a real
 * object. Kept in a table so that a failed test (which returns early) does
 * not leak from LeakSanitizer's point of view; free_cnodes() at a test's end. */
static void *cnodes[8];
static unsigned ncnodes;

static struct cte *new_cnode(unsigned radix)
{
    size_t size = (size_t)1 << (radix + IC_SLOT_SIZE_BITS);
    CHECK(ncnodes < ARRAY_SIZE(cnodes));
    struct cte *p = aligned_alloc(size, size);
    CHECK(p != NULL);
    memset(p, 0, size);
    cnodes[ncnodes++] = p;
    return p;
}

static void free_cnodes(void)
{
    while (ncnodes)
        free(cnodes[--ncnodes]);
}

static struct cap cnode_cap(struct cte *node, unsigned radix, unsigned guard_bits, word_t guard)
{
    return cnode_cap_make(ptr_to_paddr(node), radix, guard_bits, guard);
}

static struct cap endpoint_cap(word_t obj)
{
    struct cap c = cap_null();
    c.type = CAP_ENDPOINT;
    c.obj = obj;
    return c;
}

TEST(cap_make_fields)
{
    struct cte *n = new_cnode(4);
    struct cap c = cnode_cap(n, 4, 8, 0xa5);
    CHECK_EQ(c.type, CAP_CNODE);
    CHECK_EQ(c.obj, (uintptr_t)n);
    CHECK_EQ(c.size_bits, 4);
    CHECK_EQ(c.guard_bits, 8);
    CHECK_EQ(c.a, 0xa5);
    CHECK_EQ(c.rights, IC_RIGHTS_ALL);
    CHECK(cap_cnode(&c) == n);
    free_cnodes();
}

TEST(root_task_style_single_level)
{
    /* radix 12 with a 52-bit zero guard: CPtr N at depth 64 names slot N */
    struct cte *n = new_cnode(12), *slot = NULL;
    struct cap root = cnode_cap(n, 12, 52, 0);
    n[5].cap = endpoint_cap(0x1000);
    const word_t cptrs[] = { 0, 1, 5, 0x7ff, 0xfff };
    for (unsigned i = 0; i < ARRAY_SIZE(cptrs); i++) {
        CHECK_EQ(cnode_lookup_slot_exact(&root, cptrs[i], 64, &slot), IC_OK);
        CHECK(slot == &n[cptrs[i]]);
        slot = NULL;
        CHECK_EQ(cnode_lookup_cap(&root, cptrs[i], &slot), IC_OK);
        CHECK(slot == &n[cptrs[i]]);
    }
    CHECK_EQ(slot[0].cap.type, CAP_NULL);
    CHECK_EQ(n[5].cap.type, CAP_ENDPOINT);
    free_cnodes();
}

TEST(guard_mismatch_fails)
{
    struct cte *n = new_cnode(12), *slot = (struct cte *)0x1;
    struct cap root = cnode_cap(n, 12, 52, 0);
    CHECK_EQ(cnode_lookup_cap(&root, 0x1000, &slot), IC_FAILED_LOOKUP); /* lowest guard bit */
    CHECK_EQ(cnode_lookup_cap(&root, BIT(63) | 3, &slot), IC_FAILED_LOOKUP); /* highest guard bit */
    CHECK_EQ(cnode_lookup_slot_exact(&root, 0x1000, 64, &slot), IC_FAILED_LOOKUP);
    CHECK(slot == (struct cte *)0x1); /* not written on failure */

    /* a non-zero guard: 8 bits 0xa5, then 4 index bits, at depth 12 */
    struct cte *m = new_cnode(4);
    struct cap c = cnode_cap(m, 4, 8, 0xa5);
    CHECK_EQ(cnode_lookup_slot_exact(&c, 0xa53, 12, &slot), IC_OK);
    CHECK(slot == &m[3]);
    CHECK_EQ(cnode_lookup_slot_exact(&c, 0xa43, 12, &slot), IC_FAILED_LOOKUP);
    CHECK_EQ(cnode_lookup_slot_exact(&c, 0x253, 12, &slot), IC_FAILED_LOOKUP);
    free_cnodes();
}

TEST(bits_above_depth_are_ignored)
{
    struct cte *n = new_cnode(4), *slot = NULL;
    struct cap c = cnode_cap(n, 4, 4, 0x3);
    CHECK_EQ(cnode_lookup_slot_exact(&c, 0xff35, 8, &slot), IC_OK);
    CHECK(slot == &n[5]);
    /* guard bits beyond guard_bits in the capability do not matter */
    c.a = 0xf3;
    CHECK_EQ(cnode_lookup_slot_exact(&c, 0x36, 8, &slot), IC_OK);
    CHECK(slot == &n[6]);
    free_cnodes();
}

TEST(two_levels)
{
    /* level 1: radix 8, guard 48 bits of 0; slot 5 -> level 2: radix 4, 4-bit guard 0x9 */
    struct cte *l1 = new_cnode(8), *l2 = new_cnode(4), *slot = NULL;
    struct cap root = cnode_cap(l1, 8, 48, 0);
    l1[5].cap = cnode_cap(l2, 4, 4, 0x9);
    l2[7].cap = endpoint_cap(0x2000);
    word_t cptr = (5ull << 8) | (0x9 << 4) | 7;
    CHECK_EQ(cnode_lookup_cap(&root, cptr, &slot), IC_OK);
    CHECK(slot == &l2[7]);
    CHECK_EQ(cnode_lookup_slot_exact(&root, cptr, 64, &slot), IC_OK);
    CHECK(slot == &l2[7]);
    /* wrong guard at the second level */
    CHECK_EQ(cnode_lookup_cap(&root, (5ull << 8) | (0x8 << 4) | 7, &slot), IC_FAILED_LOOKUP);
    /* depth 56 stops exactly at the first level's slot, the one holding the CNode cap */
    CHECK_EQ(cnode_lookup_slot_exact(&root, 5, 56, &slot), IC_OK);
    CHECK(slot == &l1[5]);
    struct lookup_result r;
    CHECK_EQ(cnode_resolve(&root, cptr, 64, &r), IC_OK);
    CHECK(r.slot == &l2[7]);
    CHECK_EQ(r.bits_left, 0);
    free_cnodes();
}

TEST(two_levels_without_guards)
{
    struct cte *l1 = new_cnode(3), *l2 = new_cnode(5), *slot = NULL;
    struct cap root = cnode_cap(l1, 3, 0, 0);
    l1[6].cap = cnode_cap(l2, 5, 0, 0);
    CHECK_EQ(cnode_lookup_slot_exact(&root, (6 << 5) | 31, 8, &slot), IC_OK);
    CHECK(slot == &l2[31]);
    CHECK_EQ(cnode_lookup_slot_exact(&root, 6, 3, &slot), IC_OK);
    CHECK(slot == &l1[6]);
    free_cnodes();
}

TEST(depth_too_small)
{
    struct cte *l1 = new_cnode(8), *l2 = new_cnode(8), *slot = NULL;
    struct cap root = cnode_cap(l1, 8, 0, 0);
    l1[1].cap = cnode_cap(l2, 8, 0, 0);
    /* fewer bits than the first level needs */
    CHECK_EQ(cnode_lookup_slot_exact(&root, 1, 7, &slot), IC_FAILED_LOOKUP);
    /* ends inside the second level: 8 bits, then only 4 of the next 8 */
    CHECK_EQ(cnode_lookup_slot_exact(&root, (1 << 4) | 2, 12, &slot), IC_FAILED_LOOKUP);
    struct lookup_result r;
    CHECK_EQ(cnode_resolve(&root, (1 << 4) | 2, 12, &r), IC_FAILED_LOOKUP);
    /* the guard alone does not fit */
    struct cap g = cnode_cap(l2, 8, 20, 0);
    CHECK_EQ(cnode_lookup_slot_exact(&g, 0, 20, &slot), IC_FAILED_LOOKUP);
    CHECK_EQ(cnode_lookup_slot_exact(&g, 0, 28, &slot), IC_OK);
    CHECK(slot == &l2[0]);
    free_cnodes();
}

TEST(depth_out_of_range)
{
    struct cte *n = new_cnode(12), *slot = NULL;
    struct cap root = cnode_cap(n, 12, 52, 0);
    struct lookup_result r;
    CHECK_EQ(cnode_resolve(&root, 0, 0, &r), IC_RANGE_ERROR);
    CHECK_EQ(cnode_resolve(&root, 0, 65, &r), IC_RANGE_ERROR);
    CHECK_EQ(cnode_lookup_slot_exact(&root, 0, 0, &slot), IC_RANGE_ERROR);
    CHECK_EQ(cnode_lookup_slot_exact(&root, 0, 65, &slot), IC_RANGE_ERROR);
    CHECK_EQ(cnode_lookup_slot_exact(&root, 0, ~0u, &slot), IC_RANGE_ERROR);
    CHECK(slot == NULL);
    free_cnodes();
}

TEST(root_not_a_cnode)
{
    struct cte *slot = NULL;
    struct cap ep = endpoint_cap(0x1000), null = cap_null();
    CHECK_EQ(cnode_lookup_cap(&ep, 0, &slot), IC_FAILED_LOOKUP);
    CHECK_EQ(cnode_lookup_cap(&null, 0, &slot), IC_FAILED_LOOKUP);
    CHECK_EQ(cnode_lookup_slot_exact(&null, 0, 64, &slot), IC_FAILED_LOOKUP);
    CHECK(slot == NULL);
}

TEST(stops_at_non_cnode_with_bits_left)
{
    /* radix 8, no guard: the top 8 bits of a 64-bit CPtr pick the slot */
    struct cte *n = new_cnode(8), *slot = NULL;
    struct cap root = cnode_cap(n, 8, 0, 0);
    n[0x42].cap = endpoint_cap(0x3000);
    word_t cptr = (0x42ull << 56) | 0x123456;
    struct lookup_result r;
    CHECK_EQ(cnode_resolve(&root, cptr, 64, &r), IC_OK);
    CHECK(r.slot == &n[0x42]);
    CHECK_EQ(r.bits_left, 56);
    CHECK_EQ(cnode_lookup_cap(&root, cptr, &slot), IC_OK);
    CHECK(slot == &n[0x42]);
    slot = NULL;
    CHECK_EQ(cnode_lookup_slot_exact(&root, cptr, 64, &slot), IC_FAILED_LOOKUP);
    CHECK(slot == NULL);
    CHECK_EQ(cnode_lookup_slot_exact(&root, 0x42, 8, &slot), IC_OK);
    CHECK(slot == &n[0x42]);
    free_cnodes();
}

TEST(empty_slots)
{
    struct cte *n = new_cnode(8), *slot = NULL;
    struct cap root = cnode_cap(n, 8, 0, 0);
    /* exact: an empty slot is a valid destination */
    CHECK_EQ(cnode_lookup_slot_exact(&root, 9, 8, &slot), IC_OK);
    CHECK(slot == &n[9] && cte_is_empty(slot));
    /* with bits left, the empty slot ends the walk like any non-CNode cap */
    struct lookup_result r;
    CHECK_EQ(cnode_resolve(&root, 9ull << 56, 64, &r), IC_OK);
    CHECK(r.slot == &n[9] && r.bits_left == 56);
    CHECK_EQ(cnode_lookup_cap(&root, 9ull << 56, &slot), IC_OK);
    CHECK(cte_is_empty(slot));
    CHECK_EQ(cnode_lookup_slot_exact(&root, 9ull << 56, 64, &slot), IC_FAILED_LOOKUP);
    free_cnodes();
}

TEST(full_width_levels)
{
    /* radix 20 with a 44-bit guard, and a 63-bit guard over radix 1 */
    struct cte *big = new_cnode(20), *two = new_cnode(1), *slot = NULL;
    struct cap c = cnode_cap(big, 20, 44, 0xabcdeull);
    word_t cptr = (0xabcdeull << 20) | 0xfffff;
    CHECK_EQ(cnode_lookup_cap(&c, cptr, &slot), IC_OK);
    CHECK(slot == &big[0xfffff]);
    struct cap d = cnode_cap(two, 1, 63, MASK(63));
    CHECK_EQ(cnode_lookup_cap(&d, ~0ull, &slot), IC_OK);
    CHECK(slot == &two[1]);
    CHECK_EQ(cnode_lookup_cap(&d, ~0ull - 2, &slot), IC_FAILED_LOOKUP);
    free_cnodes();
}

TEST(cycle_terminates)
{
    /* a CNode that contains a capability to itself: each level uses bits */
    struct cte *n = new_cnode(4), *slot = NULL;
    struct cap root = cnode_cap(n, 4, 0, 0);
    n[1].cap = root;
    CHECK_EQ(cnode_lookup_cap(&root, ~0ull / 15, &slot), IC_OK); /* 0x1111...: 16 levels */
    CHECK(slot == &n[1]);
    free_cnodes();
}
