/* lib/untyped/buddy.c: splitting, joining, addresses, kinds, failures that
 * change nothing, and a random soak that ends with the pool as it began. */
#include "harness.h"
#include <stddef.h>
#include <untyped/buddy.h>

struct fake {
    uint64_t next_cap;
    unsigned splits, joins;
    bool fail_split, fail_join;
    unsigned splits_before_failing; /* with fail_split: how many succeed first */
    uint64_t last_parent;
    unsigned last_bits;
};

static int fake_split(void *ctx, uint64_t parent, unsigned child_bits, uint64_t caps[2])
{
    struct fake *f = ctx;
    if (f->fail_split && f->splits_before_failing == 0)
        return 1;
    if (f->fail_split)
        f->splits_before_failing--;
    f->splits++;
    f->last_parent = parent;
    f->last_bits = child_bits;
    caps[0] = f->next_cap++;
    caps[1] = f->next_cap++;
    return 0;
}

static int fake_join(void *ctx, uint64_t parent)
{
    struct fake *f = ctx;
    if (f->fail_join)
        return 1;
    f->joins++;
    f->last_parent = parent;
    return 0;
}

static const struct buddy_ops fake_ops = { fake_split, fake_join };

#define MAX 64
static struct buddy_piece pieces[MAX];
static struct buddy b;
static struct fake f;

static void setup(uint32_t max)
{
    f = (struct fake){ .next_cap = 100 };
    buddy_init(&b, pieces, max, &fake_ops, &f);
}

static unsigned count(enum buddy_state s)
{
    unsigned n = 0;
    for (uint32_t i = 0; i < b.max; i++)
        n += pieces[i].state == s;
    return n;
}

TEST(buddy_take_exact_size_needs_no_split)
{
    setup(MAX);
    CHECK_EQ(buddy_add(&b, 7, 0x40000000, 20, false), BUDDY_OK);
    uint32_t i;
    CHECK_EQ(buddy_take(&b, BUDDY_ANY_ADDRESS, 20, false, &i), BUDDY_OK);
    CHECK_EQ(pieces[i].cap, 7);
    CHECK_EQ(pieces[i].state, BUDDY_TAKEN);
    CHECK_EQ(f.splits, 0);
    CHECK_EQ(buddy_free_bytes(&b, false), 0);
    CHECK_EQ(buddy_take(&b, BUDDY_ANY_ADDRESS, 20, false, &i), BUDDY_ERR_NO_MEMORY);
}

TEST(buddy_take_smaller_splits_in_halves_and_gives_back_whole)
{
    setup(MAX);
    CHECK_EQ(buddy_add(&b, 7, 0x40000000, 20, false), BUDDY_OK);
    uint32_t i;
    CHECK_EQ(buddy_take(&b, BUDDY_ANY_ADDRESS, 17, false, &i), BUDDY_OK);
    CHECK_EQ(f.splits, 3);
    CHECK_EQ(pieces[i].bits, 17);
    CHECK_EQ(pieces[i].paddr, 0x40000000);
    CHECK_EQ(buddy_free_bytes(&b, false), (1u << 20) - (1u << 17));
    /* the first split was of the region itself, into 2^19 halves */
    CHECK_EQ(count(BUDDY_SPLIT), 3);
    CHECK_EQ(buddy_give_back(&b, i), BUDDY_OK);
    CHECK_EQ(f.joins, 3);
    CHECK_EQ(f.last_parent, 7); /* the last join revoked the region's own capability */
    CHECK_EQ(count(BUDDY_FREE), 1);
    CHECK_EQ(count(BUDDY_SPLIT), 0);
    CHECK_EQ(buddy_free_bytes(&b, false), 1u << 20);
}

TEST(buddy_take_at_an_address)
{
    setup(MAX);
    CHECK_EQ(buddy_add(&b, 7, 0x40000000, 20, false), BUDDY_OK);
    uint32_t i, j;
    CHECK_EQ(buddy_take(&b, 0x400c0000, 18, false, &i), BUDDY_OK);
    CHECK_EQ(pieces[i].paddr, 0x400c0000);
    /* taken: that address is not free any more, its neighbour is */
    CHECK_EQ(buddy_take(&b, 0x400c0000, 18, false, &j), BUDDY_ERR_NO_MEMORY);
    CHECK_EQ(buddy_take(&b, 0x40080000, 18, false, &j), BUDDY_OK);
    /* outside every region, or misaligned */
    CHECK_EQ(buddy_take(&b, 0x50000000, 12, false, &j), BUDDY_ERR_NO_MEMORY);
    CHECK_EQ(buddy_take(&b, 0x40000800, 12, false, &j), BUDDY_ERR_ARG);
    /* a piece that would run past the region's end */
    CHECK_EQ(buddy_take(&b, 0x40000000, 21, false, &j), BUDDY_ERR_NO_MEMORY);
}

TEST(buddy_device_and_ram_are_apart)
{
    setup(MAX);
    CHECK_EQ(buddy_add(&b, 1, 0x09000000, 12, true), BUDDY_OK);
    CHECK_EQ(buddy_add(&b, 2, 0x40000000, 12, false), BUDDY_OK);
    uint32_t i;
    CHECK_EQ(buddy_take(&b, 0x09000000, 12, false, &i), BUDDY_ERR_NO_MEMORY);
    CHECK_EQ(buddy_take(&b, 0x09000000, 12, true, &i), BUDDY_OK);
    CHECK_EQ(pieces[i].cap, 1);
    CHECK_EQ(buddy_free_bytes(&b, true), 0);
    CHECK_EQ(buddy_free_bytes(&b, false), 4096);
}

TEST(buddy_the_smallest_free_piece_is_split_first)
{
    setup(MAX);
    CHECK_EQ(buddy_add(&b, 1, 0x40000000, 24, false), BUDDY_OK);
    CHECK_EQ(buddy_add(&b, 2, 0x50000000, 14, false), BUDDY_OK);
    uint32_t i;
    CHECK_EQ(buddy_take(&b, BUDDY_ANY_ADDRESS, 12, false, &i), BUDDY_OK);
    CHECK_EQ(pieces[i].paddr, 0x50000000);
    CHECK_EQ(f.splits, 2);
}

TEST(buddy_failed_split_changes_nothing)
{
    setup(MAX);
    CHECK_EQ(buddy_add(&b, 7, 0x40000000, 20, false), BUDDY_OK);
    f.fail_split = true;
    uint32_t i;
    CHECK_EQ(buddy_take(&b, BUDDY_ANY_ADDRESS, 19, false, &i), BUDDY_ERR_OPS);
    CHECK_EQ(count(BUDDY_FREE), 1);
    CHECK_EQ(count(BUDDY_UNUSED), MAX - 1);
    f.fail_split = false;
    CHECK_EQ(buddy_take(&b, BUDDY_ANY_ADDRESS, 19, false, &i), BUDDY_OK);
}

TEST(buddy_split_failing_midway_is_undone)
{
    setup(MAX);
    CHECK_EQ(buddy_add(&b, 7, 0x40000000, 20, false), BUDDY_OK);
    f.fail_split = true;
    f.splits_before_failing = 2; /* the third of four splits fails */
    uint32_t i;
    CHECK_EQ(buddy_take(&b, 0x400f0000, 16, false, &i), BUDDY_ERR_OPS);
    CHECK_EQ(f.splits, 2);
    CHECK_EQ(f.joins, 2);
    CHECK_EQ(f.last_parent, 7);
    CHECK_EQ(count(BUDDY_FREE), 1);
    CHECK_EQ(count(BUDDY_SPLIT), 0);
    CHECK_EQ(count(BUDDY_UNUSED), MAX - 1);
    CHECK_EQ(buddy_free_bytes(&b, false), 1u << 20);
    f.fail_split = false;
    CHECK_EQ(buddy_take(&b, 0x400f0000, 16, false, &i), BUDDY_OK);
    CHECK_EQ(pieces[i].paddr, 0x400f0000);
}

TEST(buddy_split_failing_with_joins_failing_leaves_free_halves)
{
    setup(MAX);
    CHECK_EQ(buddy_add(&b, 7, 0x40000000, 20, false), BUDDY_OK);
    f.fail_split = true;
    f.splits_before_failing = 1;
    f.fail_join = true;
    uint32_t i;
    CHECK_EQ(buddy_take(&b, BUDDY_ANY_ADDRESS, 16, false, &i), BUDDY_ERR_OPS);
    /* not one byte lost: the halves of the one split are both free */
    CHECK_EQ(buddy_free_bytes(&b, false), 1u << 20);
    CHECK_EQ(count(BUDDY_FREE), 2);
}

TEST(buddy_failed_join_leaves_usable_halves)
{
    setup(MAX);
    CHECK_EQ(buddy_add(&b, 7, 0x40000000, 13, false), BUDDY_OK);
    uint32_t i, j;
    CHECK_EQ(buddy_take(&b, BUDDY_ANY_ADDRESS, 12, false, &i), BUDDY_OK);
    f.fail_join = true;
    CHECK_EQ(buddy_give_back(&b, i), BUDDY_OK);
    CHECK_EQ(count(BUDDY_FREE), 2);
    CHECK_EQ(buddy_free_bytes(&b, false), 8192);
    CHECK_EQ(buddy_take(&b, BUDDY_ANY_ADDRESS, 12, false, &j), BUDDY_OK);
    CHECK_EQ(buddy_take(&b, BUDDY_ANY_ADDRESS, 12, false, &j), BUDDY_OK);
    CHECK_EQ(buddy_take(&b, BUDDY_ANY_ADDRESS, 13, false, &j), BUDDY_ERR_NO_MEMORY);
}

TEST(buddy_full_array_changes_nothing)
{
    setup(2);
    CHECK_EQ(buddy_add(&b, 7, 0x40000000, 20, false), BUDDY_OK);
    uint32_t i;
    /* a split needs two more entries; only one is left */
    CHECK_EQ(buddy_take(&b, BUDDY_ANY_ADDRESS, 19, false, &i), BUDDY_ERR_FULL);
    CHECK_EQ(f.splits, 0);
    /* three splits need six entries: with five, none is made */
    setup(6);
    CHECK_EQ(buddy_add(&b, 7, 0x40000000, 20, false), BUDDY_OK);
    CHECK_EQ(buddy_take(&b, BUDDY_ANY_ADDRESS, 17, false, &i), BUDDY_ERR_FULL);
    CHECK_EQ(f.splits, 0);
    CHECK_EQ(count(BUDDY_FREE), 1);
    setup(2);
    CHECK_EQ(buddy_add(&b, 7, 0x40000000, 20, false), BUDDY_OK);
    CHECK_EQ(buddy_add(&b, 8, 0x50000000, 12, false), BUDDY_OK);
    CHECK_EQ(buddy_add(&b, 9, 0x60000000, 12, false), BUDDY_ERR_FULL);
}

TEST(buddy_bad_arguments_are_refused)
{
    setup(MAX);
    uint32_t i;
    CHECK_EQ(buddy_add(&b, 7, 0x40000800, 12, false), BUDDY_ERR_ARG); /* misaligned */
    CHECK_EQ(buddy_add(&b, 7, 0x40000000, 3, false), BUDDY_ERR_ARG);
    CHECK_EQ(buddy_add(&b, 7, 0, 48, false), BUDDY_ERR_ARG);
    CHECK_EQ(buddy_add(NULL, 7, 0, 12, false), BUDDY_ERR_ARG);
    CHECK_EQ(buddy_take(&b, BUDDY_ANY_ADDRESS, 64, false, &i), BUDDY_ERR_ARG);
    CHECK_EQ(buddy_take(&b, BUDDY_ANY_ADDRESS, 12, false, NULL), BUDDY_ERR_ARG);
    CHECK_EQ(buddy_give_back(&b, MAX), BUDDY_ERR_ARG);
    CHECK_EQ(buddy_add(&b, 7, 0x40000000, 12, false), BUDDY_OK);
    CHECK_EQ(buddy_give_back(&b, 0), BUDDY_ERR_STATE); /* free, not taken */
    CHECK_EQ(buddy_take(&b, BUDDY_ANY_ADDRESS, 12, false, &i), BUDDY_OK);
    CHECK_EQ(buddy_give_back(&b, i), BUDDY_OK);
    CHECK_EQ(buddy_give_back(&b, i), BUDDY_ERR_STATE); /* twice */
    struct buddy none;
    buddy_init(&none, NULL, 10, &fake_ops, &f);
    CHECK_EQ(none.max, 0);
    CHECK_EQ(buddy_add(&none, 7, 0x40000000, 12, false), BUDDY_ERR_FULL);
}

/* Random takes and gives back against a model of what is taken: taken
 * pieces never overlap, the free bytes always add up, and once all is
 * given back the pool is one free region again, every split joined. */
TEST(buddy_random_soak_ends_as_it_began)
{
    static struct buddy_piece big[4096];
    f = (struct fake){ .next_cap = 100 };
    buddy_init(&b, big, 4096, &fake_ops, &f);
    const uint64_t base = 0x80000000ull;
    CHECK_EQ(buddy_add(&b, 7, base, 24, false), BUDDY_OK);
    uint32_t taken[512];
    unsigned n = 0;
    uint64_t seed = 0x12345678, used = 0;
    for (unsigned step = 0; step < 20000; step++) {
        seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
        if (n < 512 && (seed & 1)) {
            unsigned bits = 12 + (unsigned)(seed >> 8) % 8;
            uint32_t i;
            int r = buddy_take(&b, BUDDY_ANY_ADDRESS, bits, false, &i);
            CHECK(r == BUDDY_OK || r == BUDDY_ERR_NO_MEMORY);
            if (r == BUDDY_OK) {
                CHECK_EQ(big[i].bits, bits);
                CHECK_EQ(big[i].paddr & ((1ull << bits) - 1), 0);
                CHECK(big[i].paddr >= base && big[i].paddr + (1ull << bits) <= base + (1ull << 24));
                for (unsigned k = 0; k < n; k++) {
                    const struct buddy_piece *o = &big[taken[k]];
                    CHECK(o->paddr + (1ull << o->bits) <= big[i].paddr ||
                          big[i].paddr + (1ull << bits) <= o->paddr);
                }
                taken[n++] = i;
                used += 1ull << bits;
            }
        } else if (n) {
            unsigned k = (unsigned)(seed >> 16) % n;
            used -= 1ull << big[taken[k]].bits;
            CHECK_EQ(buddy_give_back(&b, taken[k]), BUDDY_OK);
            taken[k] = taken[--n];
        }
        CHECK_EQ(buddy_free_bytes(&b, false) + used, 1ull << 24);
    }
    while (n)
        CHECK_EQ(buddy_give_back(&b, taken[--n]), BUDDY_OK);
    CHECK_EQ(f.splits, f.joins);
    CHECK_EQ(buddy_free_bytes(&b, false), 1ull << 24);
    unsigned free_pieces = 0, others = 0;
    for (uint32_t i = 0; i < 4096; i++) {
        free_pieces += big[i].state == BUDDY_FREE;
        others += big[i].state == BUDDY_TAKEN || big[i].state == BUDDY_SPLIT;
    }
    CHECK_EQ(free_pieces, 1);
    CHECK_EQ(others, 0);
}
