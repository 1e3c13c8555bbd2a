/* Realm consoles' bookkeeping (components/serial-server/consoles.c): the
 * checks of the resource server's requests and the states they lead to.
 * Every argument is what another component sent: any word. */
#include "harness.h"
#include "consoles.h"
#include <string.h>

#define SLOTS 8
static struct console_slot slots[SLOTS], bigger[2 * SLOTS];
static struct console_table t;

static void setup(uint32_t fixed)
{
    memset(slots, 0x5a, sizeof slots);
    CHECK(console_table_init(&t, slots, SLOTS, fixed));
}

/* open, every frame, start: the slot it went to */
static uint32_t add(uint64_t id, uint64_t pages)
{
    uint32_t k, k2;
    CHECK_EQ(console_check_open(&t, id, pages, &k), IC_OK);
    console_opened(&t, k, id, pages);
    for (uint64_t i = 0; i < pages; i++) {
        CHECK_EQ(console_check_frame(&t, id, i, &k2), IC_OK);
        CHECK_EQ(k2, k);
        console_framed(&t, k);
    }
    CHECK_EQ(console_check_start(&t, id, &k2), IC_OK);
    CHECK_EQ(k2, k);
    console_started(&t, k);
    CHECK_EQ(t.slots[k].state, CONSOLE_LIVE);
    return k;
}

static void remove_console(uint64_t id)
{
    uint32_t k;
    CHECK_EQ(console_check_close(&t, id, &k), IC_OK);
    console_closed(&t, k);
    CHECK_EQ(t.slots[k].state, CONSOLE_FREE);
    CHECK_EQ(console_find(&t, id), CONSOLE_NONE);
}

TEST(init_refuses_unusable_arguments)
{
    CHECK(!console_table_init(NULL, slots, SLOTS, 0));
    CHECK(!console_table_init(&t, NULL, SLOTS, 0));
    CHECK(!console_table_init(&t, slots, 0, 0));
    CHECK(!console_table_init(&t, slots, SLOTS, SLOTS + 1));
    CHECK(!console_table_init(&t, slots, 1u << 31, 0));
    CHECK(console_table_init(&t, slots, SLOTS, SLOTS));
}

TEST(realm_consoles_take_the_lowest_free_slot_after_the_fixed_ones)
{
    setup(2);
    CHECK_EQ(slots[0].state, CONSOLE_FIXED);
    CHECK_EQ(slots[1].state, CONSOLE_FIXED);
    CHECK_EQ(add(7, 1), 2);
    CHECK_EQ(add(0, 16), 3);
    CHECK_EQ(add(0xffffffffull, 4), 4);
    CHECK_EQ(console_find(&t, 0), 3);
    CHECK_EQ(console_find(&t, 7), 2);
    remove_console(7);
    /* the freed number is used again, the others keep theirs */
    CHECK_EQ(add(9, 2), 2);
    CHECK_EQ(console_find(&t, 0xffffffffull), 4);
    CHECK_EQ(console_find(&t, 0x100000000ull), CONSOLE_NONE);
}

TEST(open_checks_every_argument)
{
    setup(2);
    uint32_t k = 0;
    CHECK_EQ(console_check_open(&t, 0x100000000ull, 1, &k), IC_RANGE_ERROR);
    CHECK_EQ(k, CONSOLE_NONE);
    CHECK_EQ(console_check_open(&t, ~0ull, 1, &k), IC_RANGE_ERROR);
    CHECK_EQ(console_check_open(&t, 1, 0, &k), IC_RANGE_ERROR);
    CHECK_EQ(console_check_open(&t, 1, CONSOLE_PAGES_MAX + 1, &k), IC_RANGE_ERROR);
    CHECK_EQ(console_check_open(&t, 1, ~0ull, &k), IC_RANGE_ERROR);
    CHECK_EQ(console_check_open(&t, 1, 1ull << 32, &k), IC_RANGE_ERROR);
    /* an id with a console, opening or live */
    CHECK_EQ(console_check_open(&t, 1, 3, &k), IC_OK);
    console_opened(&t, k, 1, 3);
    CHECK_EQ(console_check_open(&t, 1, 3, &k), IC_ILLEGAL_OPERATION);
    add(2, 1);
    CHECK_EQ(console_check_open(&t, 2, 1, &k), IC_ILLEGAL_OPERATION);
    /* nothing changed by the refusals */
    CHECK_EQ(slots[2].state, CONSOLE_OPENING);
    CHECK_EQ(slots[2].frames, 0);
    CHECK_EQ(slots[3].state, CONSOLE_LIVE);
    for (uint32_t s = 4; s < SLOTS; s++)
        CHECK_EQ(slots[s].state, CONSOLE_FREE);
}

TEST(frames_come_in_order_each_once_and_start_wants_them_all)
{
    setup(2);
    uint32_t k;
    CHECK_EQ(console_check_frame(&t, 5, 0, &k), IC_FAILED_LOOKUP);
    CHECK_EQ(console_check_start(&t, 5, &k), IC_FAILED_LOOKUP);
    CHECK_EQ(console_check_open(&t, 5, 3, &k), IC_OK);
    console_opened(&t, k, 5, 3);
    CHECK_EQ(console_check_start(&t, 5, &k), IC_ILLEGAL_OPERATION);
    CHECK_EQ(console_check_frame(&t, 5, 1, &k), IC_RANGE_ERROR);
    CHECK_EQ(console_check_frame(&t, 5, ~0ull, &k), IC_RANGE_ERROR);
    CHECK_EQ(console_check_frame(&t, 5, 0, &k), IC_OK);
    console_framed(&t, k);
    CHECK_EQ(console_check_frame(&t, 5, 0, &k), IC_RANGE_ERROR); /* again */
    CHECK_EQ(console_check_frame(&t, 5, 1, &k), IC_OK);
    console_framed(&t, k);
    CHECK_EQ(console_check_start(&t, 5, &k), IC_ILLEGAL_OPERATION);
    CHECK_EQ(console_check_frame(&t, 5, 2, &k), IC_OK);
    console_framed(&t, k);
    CHECK_EQ(console_check_frame(&t, 5, 3, &k), IC_RANGE_ERROR); /* beyond its pages */
    console_framed(&t, k);                                         /* ignored */
    CHECK_EQ(slots[k].frames, 3);
    CHECK_EQ(console_check_start(&t, 5, &k), IC_OK);
    console_started(&t, k);
    /* once live: no more frames, no second start */
    CHECK_EQ(console_check_frame(&t, 5, 3, &k), IC_ILLEGAL_OPERATION);
    CHECK_EQ(console_check_start(&t, 5, &k), IC_ILLEGAL_OPERATION);
    CHECK_EQ(console_check_frame(&t, 1ull << 40, 0, &k), IC_FAILED_LOOKUP);
}

TEST(close_takes_an_opening_or_live_console_and_nothing_else)
{
    setup(2);
    uint32_t k;
    CHECK_EQ(console_check_close(&t, 3, &k), IC_FAILED_LOOKUP);
    CHECK_EQ(console_check_close(&t, ~0ull, &k), IC_FAILED_LOOKUP);
    CHECK_EQ(console_check_open(&t, 3, 2, &k), IC_OK);
    console_opened(&t, k, 3, 2);
    console_framed(&t, k);
    remove_console(3); /* half given */
    add(3, 1);
    remove_console(3);
    CHECK_EQ(console_check_close(&t, 3, &k), IC_FAILED_LOOKUP);
    /* the fixed consoles are nobody's to close, whatever their number */
    CHECK_EQ(console_check_close(&t, 0, &k), IC_FAILED_LOOKUP);
    CHECK_EQ(console_check_close(&t, 1, &k), IC_FAILED_LOOKUP);
    console_closed(&t, 0);
    console_closed(&t, SLOTS);
    CHECK_EQ(slots[0].state, CONSOLE_FIXED);
}

TEST(commits_without_their_check_change_nothing)
{
    setup(2);
    console_opened(&t, 0, 1, 1);              /* a fixed slot */
    console_opened(&t, SLOTS, 1, 1);          /* beyond the table */
    console_opened(&t, 2, 1ull << 32, 1);     /* an id beyond a u32 */
    console_opened(&t, 2, 1, 0);
    console_opened(&t, 2, 1, CONSOLE_PAGES_MAX + 1);
    console_framed(&t, 2);
    console_started(&t, 2);
    for (uint32_t s = 2; s < SLOTS; s++)
        CHECK_EQ(slots[s].state, CONSOLE_FREE);
    console_opened(&t, 2, 1, 2);
    console_started(&t, 2);                   /* a page missing */
    CHECK_EQ(slots[2].state, CONSOLE_OPENING);
    console_opened(&t, 2, 4, 1);              /* taken */
    CHECK_EQ(slots[2].id, 1);
}

TEST(a_full_table_says_so_and_grows)
{
    setup(2);
    for (uint64_t id = 100; id < 100 + SLOTS - 2; id++)
        add(id, 1);
    uint32_t k = 0;
    CHECK_EQ(console_check_open(&t, 1, 1, &k), IC_NOT_ENOUGH_MEMORY);
    CHECK_EQ(k, CONSOLE_NONE);
    /* an id in use is refused as such, full or not */
    CHECK_EQ(console_check_open(&t, 100, 1, &k), IC_ILLEGAL_OPERATION);
    CHECK(!console_table_move(&t, bigger, SLOTS - 1));
    CHECK(console_table_move(&t, slots, SLOTS));
    CHECK(!console_table_move(&t, slots, SLOTS + 1));
    memset(bigger, 0x5a, sizeof bigger);
    CHECK(console_table_move(&t, bigger, 2 * SLOTS));
    CHECK_EQ(t.count, 2 * SLOTS);
    CHECK_EQ(bigger[0].state, CONSOLE_FIXED);
    CHECK_EQ(bigger[2].state, CONSOLE_LIVE);
    CHECK_EQ(bigger[2].id, 100);
    CHECK_EQ(bigger[SLOTS].state, CONSOLE_FREE);
    CHECK_EQ(add(1, 1), SLOTS);
    CHECK_EQ(console_find(&t, 100 + SLOTS - 3), SLOTS - 1);
}

TEST(names_are_realm_and_the_id)
{
    char name[CONSOLE_NAME_SIZE];
    memset(name, 'x', sizeof name);
    console_name(name, 0);
    CHECK(!strcmp(name, "realm 0"));
    console_name(name, 42);
    CHECK(!strcmp(name, "realm 42"));
    console_name(name, 0xffffffffull);
    CHECK(!strcmp(name, "realm 4294967295"));
    console_name(name, ~0ull);
    CHECK(!strcmp(name, "realm 4294967295"));
}

/* Random requests against a model: whatever arrives, the table stays
 * consistent (one slot an id, fixed slots untouched, frames within pages). */
TEST(random_requests_keep_the_table_consistent)
{
    uint64_t rng = 0x2545f4914f6cdd1dull;
    setup(2);
    for (unsigned round = 0; round < 200000; round++) {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        uint64_t id = rng >> 60 == 0 ? rng : (rng >> 8) % 6;
        uint64_t arg = (rng >> 16) % 8 == 0 ? rng >> 3 : (rng >> 20) % 18;
        uint32_t k;
        switch ((rng >> 40) % 4) {
        case 0:
            if (console_check_open(&t, id, arg, &k) == IC_OK) {
                CHECK(arg >= 1 && arg <= CONSOLE_PAGES_MAX && id <= CONSOLE_ID_MAX);
                console_opened(&t, k, id, arg);
            }
            break;
        case 1:
            if (console_check_frame(&t, id, arg, &k) == IC_OK)
                console_framed(&t, k);
            break;
        case 2:
            if (console_check_start(&t, id, &k) == IC_OK)
                console_started(&t, k);
            break;
        default:
            if (rng % 3 == 0 && console_check_close(&t, id, &k) == IC_OK)
                console_closed(&t, k);
            break;
        }
        CHECK_EQ(slots[0].state, CONSOLE_FIXED);
        CHECK_EQ(slots[1].state, CONSOLE_FIXED);
        for (uint32_t a = 2; a < SLOTS; a++) {
            const struct console_slot *s = &slots[a];
            if (s->state == CONSOLE_FREE)
                continue;
            CHECK(s->state == CONSOLE_OPENING || s->state == CONSOLE_LIVE);
            CHECK(s->pages >= 1 && s->pages <= CONSOLE_PAGES_MAX && s->frames <= s->pages);
            CHECK(s->state != CONSOLE_LIVE || s->frames == s->pages);
            CHECK_EQ(console_find(&t, s->id), a);
        }
    }
}
