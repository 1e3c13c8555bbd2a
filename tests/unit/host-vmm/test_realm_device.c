/* The host VMM's realm device (components/host-vmm/realm_device.c): the
 * registers, a request copied into the vCPU's area with its payload
 * clamped once, the response copied back, and UNAVAILABLE whenever the
 * resource server cannot answer or answers with an impossible length. */
#include "harness.h"
#include "realm_device.h"
#include <stdlib.h>
#include <string.h>

#define NUM_AREAS 8u

struct fake {
    uint8_t *window, *areas;
    unsigned calls, last_area;
    uint64_t last_length;
    bool reachable;
    uint64_t answer;             /* the length it answers with */
    uint8_t response[REALM_DEV_SLOT_SIZE];
    uint8_t seen[REALM_DEV_AREA_SIZE]; /* the area as it was at the call */
    uint8_t *change_slot;        /* the host changes this slot during the call */
};

static bool forward(void *ctx, unsigned area, uint64_t length, uint64_t *answer_length)
{
    struct fake *f = ctx;
    f->calls++;
    f->last_area = area;
    f->last_length = length;
    memcpy(f->seen, f->areas + (size_t)area * REALM_DEV_AREA_SIZE, REALM_DEV_AREA_SIZE);
    if (f->change_slot)
        memset(f->change_slot, 0xee, REALM_DEV_SLOT_SIZE);
    if (!f->reachable)
        return false;
    memcpy(f->areas + (size_t)area * REALM_DEV_AREA_SIZE, f->response, REALM_DEV_AREA_SIZE);
    *answer_length = f->answer;
    return true;
}

static struct realm_dev dev;
static struct fake *fake;

static void setup(void)
{
    free(fake ? fake->window : NULL);
    free(fake ? fake->areas : NULL);
    free(fake);
    fake = calloc(1, sizeof *fake);
    fake->window = aligned_alloc(REALM_DEV_SLOT_SIZE, REALM_DEV_WINDOW_SIZE);
    fake->areas = aligned_alloc(REALM_DEV_AREA_SIZE, NUM_AREAS * REALM_DEV_AREA_SIZE);
    memset(fake->window, 0x11, REALM_DEV_WINDOW_SIZE);
    memset(fake->areas, 0x22, NUM_AREAS * REALM_DEV_AREA_SIZE);
    fake->reachable = true;
    dev = (struct realm_dev){ fake->window, fake->areas, NUM_AREAS, forward, fake };
}

static uint8_t *slot(unsigned i) { return fake->window + (size_t)i * REALM_DEV_SLOT_SIZE; }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint16_t get16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static void set32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void set16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }

static void request(uint8_t *s, uint16_t op, uint32_t id, uint32_t payload)
{
    memset(s, 0, RB_HEADER_SIZE);
    set32(s, 0x51524349);
    set16(s + 4, op);
    set32(s + 8, id);
    set32(s + 12, payload);
    for (uint32_t k = 0; k < payload && RB_HEADER_SIZE + k < REALM_DEV_SLOT_SIZE; k++)
        s[RB_HEADER_SIZE + k] = (uint8_t)(k * 7 + 1);
}

static void check_unavailable(const uint8_t *s, uint16_t op, uint32_t id)
{
    CHECK_EQ(get32(s), 0x53524349);
    CHECK_EQ(get16(s + 4), op);
    CHECK_EQ(get16(s + 6), 9);
    CHECK_EQ(get32(s + 8), id);
    CHECK_EQ(get32(s + 12), 0);
    for (unsigned k = 16; k < RB_HEADER_SIZE; k++)
        CHECK_EQ(s[k], 0);
}

static bool call(unsigned vcpu, uint64_t index)
{
    uint64_t v = 0xdead;
    return realm_dev_access(&dev, vcpu, REALM_REG_CALL, 4, true, index, &v);
}

TEST(realm_registers_read_as_the_abi_says)
{
    setup();
    uint64_t v;
    CHECK(realm_dev_access(&dev, 0, REALM_REG_MAGIC, 4, false, 0, &v)); CHECK_EQ(v, 0x48524349);
    CHECK(realm_dev_access(&dev, 1, REALM_REG_VERSION, 4, false, 0, &v)); CHECK_EQ(v, 1);
    CHECK(realm_dev_access(&dev, 0, REALM_REG_SLOTS, 4, false, 0, &v)); CHECK_EQ(v, 32);
    CHECK(realm_dev_access(&dev, 0, REALM_REG_SLOT_SIZE, 4, false, 0, &v)); CHECK_EQ(v, 65536);
    CHECK(realm_dev_access(&dev, 0, REALM_REG_CALL, 4, false, 0, &v)); CHECK_EQ(v, 0);
}

TEST(realm_registers_refuse_other_accesses)
{
    setup();
    uint64_t v;
    for (unsigned size = 1; size <= 8; size *= 2)
        if (size != 4) {
            CHECK(!realm_dev_access(&dev, 0, REALM_REG_MAGIC, size, false, 0, &v));
            CHECK(!realm_dev_access(&dev, 0, REALM_REG_CALL, size, true, 0, &v));
        }
    CHECK(!realm_dev_access(&dev, 0, 0x14, 4, false, 0, &v));
    CHECK(!realm_dev_access(&dev, 0, 0x02, 4, false, 0, &v));
    CHECK(!realm_dev_access(&dev, 0, 0xffc, 4, false, 0, &v));
    CHECK(!realm_dev_access(&dev, 0, REALM_REG_MAGIC, 4, true, 1, &v));
    CHECK(!realm_dev_access(&dev, 0, REALM_REG_SLOTS, 4, true, 1, &v));
    CHECK_EQ(fake->calls, 0);
}

TEST(realm_call_forwards_the_slot_and_copies_the_answer_back)
{
    setup();
    request(slot(5), 4, 77, 1000);
    memset(fake->response, 0x5a, sizeof fake->response);
    set32(fake->response, 0x53524349);
    set32(fake->response + 12, 100);
    fake->answer = 164;
    CHECK(call(1, 5));
    CHECK_EQ(fake->calls, 1);
    CHECK_EQ(fake->last_area, 1);
    CHECK_EQ(fake->last_length, 64 + 1000);
    CHECK_EQ(get32(fake->seen + 12), 1000);
    for (unsigned k = 0; k < 1000; k++)
        CHECK_EQ(fake->seen[64 + k], (uint8_t)(k * 7 + 1));
    CHECK(memcmp(slot(5), fake->response, 164) == 0);
    CHECK_EQ(slot(5)[164], (uint8_t)((164 - 64) * 7 + 1)); /* beyond the answer: the request's bytes */
    /* the other slots and areas untouched */
    CHECK_EQ(slot(4)[0], 0x11);
    CHECK_EQ(slot(6)[0], 0x11);
    CHECK_EQ(fake->areas[0], 0x22);
    CHECK_EQ(fake->areas[2 * REALM_DEV_AREA_SIZE], 0x22);
}

TEST(realm_call_clamps_a_long_payload_to_the_slot)
{
    setup();
    request(slot(31), 3, 9, 0xffffffffu);
    fake->answer = 64;
    CHECK(call(7, 31));
    CHECK_EQ(fake->last_area, 7);
    CHECK_EQ(fake->last_length, REALM_DEV_SLOT_SIZE);
    CHECK_EQ(get32(fake->seen + 12), 0xffffffffu); /* the header as the host wrote it */
    request(slot(0), 3, 9, REALM_DEV_SLOT_SIZE - 64 + 1);
    CHECK(call(0, 0));
    CHECK_EQ(fake->last_length, REALM_DEV_SLOT_SIZE);
    request(slot(0), 1, 9, 0);
    CHECK(call(0, 0));
    CHECK_EQ(fake->last_length, 64);
}

TEST(realm_call_reads_the_header_once)
{
    setup();
    request(slot(2), 2, 1234, 16);
    fake->change_slot = slot(2); /* the host scribbles during the call */
    fake->reachable = false;
    CHECK(call(0, 2));
    check_unavailable(slot(2), 2, 1234); /* op and id as they were when read */
}

TEST(realm_call_beyond_the_slots_is_ignored)
{
    setup();
    CHECK(call(0, 32));
    CHECK(call(0, 0xffffffffu));
    CHECK_EQ(fake->calls, 0);
    for (unsigned k = 0; k < REALM_DEV_WINDOW_SIZE; k++)
        if (fake->window[k] != 0x11)
            CHECK(0);
}

TEST(realm_call_unavailable_without_an_answer)
{
    setup();
    /* the Call fails */
    request(slot(3), 5, 42, 8);
    fake->reachable = false;
    CHECK(call(0, 3));
    check_unavailable(slot(3), 5, 42);
    /* impossible lengths */
    const uint64_t bad[] = { 0, 63, REALM_DEV_SLOT_SIZE + 1, ~0ull };
    fake->reachable = true;
    for (unsigned k = 0; k < 4; k++) {
        request(slot(3), 6, 43 + k, 8);
        fake->answer = bad[k];
        CHECK(call(1, 3));
        check_unavailable(slot(3), 6, 43 + k);
    }
    /* the largest possible answer is copied */
    request(slot(3), 1, 50, 0);
    memset(fake->response, 0x77, sizeof fake->response);
    fake->answer = REALM_DEV_SLOT_SIZE;
    CHECK(call(1, 3));
    CHECK(memcmp(slot(3), fake->response, REALM_DEV_SLOT_SIZE) == 0);
}

TEST(realm_call_unavailable_without_an_area_or_a_server)
{
    setup();
    request(slot(1), 1, 7, 0);
    CHECK(call(NUM_AREAS, 1));
    check_unavailable(slot(1), 1, 7);
    CHECK_EQ(fake->calls, 0);
    dev.areas = NULL;
    request(slot(1), 2, 8, 0);
    CHECK(call(0, 1));
    check_unavailable(slot(1), 2, 8);
    CHECK_EQ(fake->calls, 0);
}
