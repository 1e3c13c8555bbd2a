/* Placement of objects in untyped memory (kernel/core/untyped_alloc.c). */
#include "harness.h"
#include "untyped.h"
#include <icecap/objects.h>

#define BASE 0x40000000ull

TEST(object_bits_of_every_type)
{
    CHECK_EQ(untyped_object_bits(IC_OBJ_TCB, 0), IC_TCB_SIZE_BITS);
    CHECK_EQ(untyped_object_bits(IC_OBJ_ENDPOINT, 0), IC_ENDPOINT_SIZE_BITS);
    CHECK_EQ(untyped_object_bits(IC_OBJ_NOTIFICATION, 0), IC_NOTIFICATION_SIZE_BITS);
    CHECK_EQ(untyped_object_bits(IC_OBJ_FRAME_4K, 0), 12);
    CHECK_EQ(untyped_object_bits(IC_OBJ_FRAME_2M, 0), 21);
    CHECK_EQ(untyped_object_bits(IC_OBJ_PAGE_TABLE, 0), 12);
    CHECK_EQ(untyped_object_bits(IC_OBJ_VSPACE, 0), 12);
    /* size_bits is ignored by fixed-size objects */
    CHECK_EQ(untyped_object_bits(IC_OBJ_TCB, 99), IC_TCB_SIZE_BITS);
    CHECK_EQ(untyped_object_bits(IC_OBJ_FRAME_4K, 21), 12);
}

TEST(object_bits_of_cnodes)
{
    CHECK_EQ(untyped_object_bits(IC_OBJ_CNODE, 1), 1 + IC_SLOT_SIZE_BITS);
    CHECK_EQ(untyped_object_bits(IC_OBJ_CNODE, 12), 18);
    CHECK_EQ(untyped_object_bits(IC_OBJ_CNODE, IC_CNODE_MAX_RADIX), IC_CNODE_MAX_RADIX + IC_SLOT_SIZE_BITS);
    CHECK_EQ(untyped_object_bits(IC_OBJ_CNODE, 0), -1);
    CHECK_EQ(untyped_object_bits(IC_OBJ_CNODE, 21), -1);
    CHECK_EQ(untyped_object_bits(IC_OBJ_CNODE, BIT(32) + 4), -1); /* no truncation to 4 */
}

TEST(object_bits_of_untyped)
{
    CHECK_EQ(untyped_object_bits(IC_OBJ_UNTYPED, 4), 4);
    CHECK_EQ(untyped_object_bits(IC_OBJ_UNTYPED, 30), 30);
    CHECK_EQ(untyped_object_bits(IC_OBJ_UNTYPED, 47), 47);
    CHECK_EQ(untyped_object_bits(IC_OBJ_UNTYPED, 3), -1);
    CHECK_EQ(untyped_object_bits(IC_OBJ_UNTYPED, 48), -1);
    CHECK_EQ(untyped_object_bits(IC_OBJ_UNTYPED, BIT(32) + 12), -1);
    CHECK_EQ(untyped_object_bits(IC_OBJ_UNTYPED, ~0ull), -1);
}

TEST(object_bits_of_unknown_types)
{
    CHECK_EQ(untyped_object_bits(IC_OBJ_TYPE_COUNT, 12), -1);
    CHECK_EQ(untyped_object_bits(100, 12), -1);
    CHECK_EQ(untyped_object_bits(BIT(32) + IC_OBJ_TCB, 0), -1); /* no truncation to TCB */
    CHECK_EQ(untyped_object_bits(~0ull, 0), -1);
}

TEST(first_offset_is_aligned)
{
    word_t first = 0;
    CHECK_EQ(untyped_plan(BASE, 16, 0x10, 12, 1, &first), IC_OK);
    CHECK_EQ(first, 0x1000);
    CHECK_EQ(untyped_plan(BASE, 16, 0x1001, 12, 1, &first), IC_OK);
    CHECK_EQ(first, 0x2000);
    CHECK_EQ(untyped_plan(BASE, 16, 0x2000, 12, 1, &first), IC_OK); /* already aligned */
    CHECK_EQ(first, 0x2000);
    CHECK_EQ(untyped_plan(BASE, 16, 0, 12, 1, &first), IC_OK);
    CHECK_EQ(first, 0);
    CHECK_EQ(untyped_plan(BASE, 16, 0x18, 4, 1, &first), IC_OK);
    CHECK_EQ(first, 0x20);
    CHECK_EQ(untyped_plan(BASE, 16, 0x20, 4, 1, &first), IC_OK);
    CHECK_EQ(first, 0x20);
}

TEST(exact_fit_and_one_too_many)
{
    word_t first = 7;
    CHECK_EQ(untyped_plan(BASE, 12, 0, 4, 256, &first), IC_OK);
    CHECK_EQ(first, 0);
    first = 7;
    CHECK_EQ(untyped_plan(BASE, 12, 0, 4, 257, &first), IC_NOT_ENOUGH_MEMORY);
    CHECK_EQ(first, 7); /* not written on failure */
    /* after alignment: 0x1000..0x4000 leaves room for 3 pages */
    CHECK_EQ(untyped_plan(BASE, 14, 1, 12, 3, &first), IC_OK);
    CHECK_EQ(first, 0x1000);
    CHECK_EQ(untyped_plan(BASE, 14, 1, 12, 4, &first), IC_NOT_ENOUGH_MEMORY);
    /* the whole region as one object */
    CHECK_EQ(untyped_plan(BASE, 21, 0, 21, 1, &first), IC_OK);
    CHECK_EQ(first, 0);
    CHECK_EQ(untyped_plan(BASE, 21, 0, 21, 2, &first), IC_NOT_ENOUGH_MEMORY);
    CHECK_EQ(untyped_plan(BASE, 21, 1, 21, 1, &first), IC_NOT_ENOUGH_MEMORY);
}

TEST(count_zero_is_range_error)
{
    word_t first = 7;
    CHECK_EQ(untyped_plan(BASE, 12, 0, 4, 0, &first), IC_RANGE_ERROR);
    CHECK_EQ(first, 7);
}

TEST(huge_counts_do_not_wrap)
{
    word_t first = 7;
    CHECK_EQ(untyped_plan(BASE, 12, 0, 4, ~0ull, &first), IC_NOT_ENOUGH_MEMORY);
    CHECK_EQ(untyped_plan(BASE, 12, 0, 4, BIT(60) + 1, &first), IC_NOT_ENOUGH_MEMORY);
    CHECK_EQ(untyped_plan(BASE, 47, 0, 4, BIT(43), &first), IC_OK);
    CHECK_EQ(untyped_plan(BASE, 47, 0, 4, BIT(43) + 1, &first), IC_NOT_ENOUGH_MEMORY);
}

TEST(object_bigger_than_region)
{
    word_t first = 7;
    CHECK_EQ(untyped_plan(BASE, 12, 0, 21, 1, &first), IC_NOT_ENOUGH_MEMORY);
    CHECK_EQ(untyped_plan(BASE, 12, 0, 13, 1, &first), IC_NOT_ENOUGH_MEMORY);
    CHECK_EQ(first, 7);
}

TEST(free_offset_at_or_beyond_size)
{
    word_t first = 7;
    CHECK_EQ(untyped_plan(BASE, 12, 0x1000, 4, 1, &first), IC_NOT_ENOUGH_MEMORY); /* full */
    CHECK_EQ(untyped_plan(BASE, 12, 0xff8, 4, 1, &first), IC_NOT_ENOUGH_MEMORY);  /* aligns to the end */
    CHECK_EQ(untyped_plan(BASE, 12, 0xff0, 4, 1, &first), IC_OK);
    CHECK_EQ(first, 0xff0);
    first = 7;
    CHECK_EQ(untyped_plan(BASE, 12, 0x1001, 4, 1, &first), IC_RANGE_ERROR);
    CHECK_EQ(untyped_plan(BASE, 12, ~0ull, 4, 1, &first), IC_RANGE_ERROR);
    CHECK_EQ(first, 7);
}

TEST(impossible_sizes)
{
    word_t first = 7;
    CHECK_EQ(untyped_plan(BASE, 48, 0, 12, 1, &first), IC_RANGE_ERROR);
    CHECK_EQ(untyped_plan(BASE, 64, 0, 12, 1, &first), IC_RANGE_ERROR);
    CHECK_EQ(untyped_plan(BASE, 200, 0, 12, 1, &first), IC_RANGE_ERROR);
    CHECK_EQ(untyped_plan(BASE, 20, 0, 48, 1, &first), IC_RANGE_ERROR);
    CHECK_EQ(untyped_plan(BASE, 20, 0, 64, 1, &first), IC_RANGE_ERROR);
    CHECK_EQ(first, 7);
    CHECK_EQ(untyped_plan(BASE, 47, 0, 47, 1, &first), IC_OK); /* the largest region */
    CHECK_EQ(first, 0);
    CHECK_EQ(untyped_plan(BASE, 47, BIT(46), 46, 1, &first), IC_OK);
    CHECK_EQ(first, BIT(46));
}

TEST(plan_for_every_object_type)
{
    /* a 64 KiB region, 0x30 bytes used: each type lands at its own alignment */
    static const struct { word_t type, size_bits, first; } cases[] = {
        { IC_OBJ_ENDPOINT, 0, 0x30 },     { IC_OBJ_NOTIFICATION, 0, 0x40 }, { IC_OBJ_TCB, 0, 0x800 },
        { IC_OBJ_CNODE, 1, 0x80 },        { IC_OBJ_CNODE, 4, 0x400 },       { IC_OBJ_FRAME_4K, 0, 0x1000 },
        { IC_OBJ_PAGE_TABLE, 0, 0x1000 }, { IC_OBJ_VSPACE, 0, 0x1000 },     { IC_OBJ_UNTYPED, 5, 0x40 },
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int bits = untyped_object_bits(cases[i].type, cases[i].size_bits);
        CHECK(bits > 0);
        word_t first = 0;
        CHECK_EQ(untyped_plan(BASE, 16, 0x30, (unsigned)bits, 1, &first), IC_OK);
        CHECK_EQ(first, cases[i].first);
    }
    word_t first = 0;
    CHECK_EQ(untyped_plan(BASE, 16, 0x30, IC_LARGE_PAGE_BITS, 1, &first), IC_NOT_ENOUGH_MEMORY);
}
