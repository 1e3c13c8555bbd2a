/* components/resource-server/block.c: every request the host could write,
 * well formed or not, and the response encoding, byte by byte. */
#include "harness.h"
#include <string.h>
#include "block.h"

static void put(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static size_t request(uint8_t *buf, uint16_t op, uint32_t id, uint32_t payload_len, uint64_t arg0)
{
    memset(buf, 0, RB_HEADER_SIZE);
    put(buf, RB_REQUEST_MAGIC, 4);
    put(buf + 4, op, 2);
    put(buf + 8, id, 4);
    put(buf + 12, payload_len, 4);
    put(buf + 16, arg0, 8);
    return RB_HEADER_SIZE + payload_len;
}

static uint8_t buf[RB_AREA_SIZE];

TEST(a_well_formed_load_is_decoded)
{
    size_t len = request(buf, RB_OP_LOAD, 0xdeadbeef, 5, 4096);
    memcpy(buf + RB_HEADER_SIZE, "hello", 5);
    struct rb_request q;
    CHECK_EQ(rb_decode_request(buf, len, &q), RB_OK);
    CHECK_EQ(q.op, RB_OP_LOAD);
    CHECK_EQ(q.id, 0xdeadbeef);
    CHECK_EQ(q.payload_len, 5);
    CHECK_EQ(q.arg[0], 4096);
    CHECK(!memcmp(q.payload, "hello", 5));
}

TEST(every_op_without_arguments_decodes)
{
    static const uint16_t ops[] = { RB_OP_STATUS, RB_OP_FINISH, RB_OP_ABORT, RB_OP_DESTROY };
    for (unsigned i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        struct rb_request q;
        CHECK_EQ(rb_decode_request(buf, request(buf, ops[i], 1, 0, 0), &q), RB_OK);
        /* an argument it does not take */
        CHECK_EQ(rb_decode_request(buf, request(buf, ops[i], 1, 0, 7), &q), RB_BAD_REQUEST);
        /* a payload it does not take */
        CHECK_EQ(rb_decode_request(buf, request(buf, ops[i], 1, 1, 0), &q), RB_BAD_REQUEST);
    }
}

TEST(garbage_headers_are_refused)
{
    struct rb_request q;
    size_t len = request(buf, RB_OP_STATUS, 1, 0, 0);
    CHECK_EQ(rb_decode_request(buf, RB_HEADER_SIZE - 1, &q), RB_BAD_REQUEST);
    CHECK_EQ(rb_decode_request(buf, 0, &q), RB_BAD_REQUEST);
    buf[0] ^= 1;
    CHECK_EQ(rb_decode_request(buf, len, &q), RB_BAD_REQUEST);
    buf[0] ^= 1;
    buf[6] = 1; /* flags: refused, op and id echoed */
    CHECK_EQ(rb_decode_request(buf, len, &q), RB_BAD_REQUEST);
    CHECK_EQ(q.op, RB_OP_STATUS);
    CHECK_EQ(q.id, 1);
    buf[6] = 0;
    for (unsigned i = 1; i < RB_ARGS; i++) { /* a second argument to LIST */
        request(buf, RB_OP_LIST, 1, 0, 0);
        put(buf + 16 + 8 * i, 1, 8);
        CHECK_EQ(rb_decode_request(buf, len, &q), RB_BAD_REQUEST);
    }
}

TEST(unknown_ops_are_bad_ops_with_op_and_id_kept)
{
    struct rb_request q;
    static const uint16_t ops[] = { 0, 8, 9, 0x100, 0xffff };
    for (unsigned i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        CHECK_EQ(rb_decode_request(buf, request(buf, ops[i], 42, 0, 0), &q), RB_BAD_OP);
        CHECK_EQ(q.op, ops[i]);
        CHECK_EQ(q.id, 42);
    }
}

TEST(a_payload_longer_than_the_block_is_refused)
{
    struct rb_request q;
    size_t len = request(buf, RB_OP_LOAD, 1, 100, 0);
    CHECK_EQ(rb_decode_request(buf, len - 1, &q), RB_BAD_REQUEST);
    CHECK_EQ(rb_decode_request(buf, len, &q), RB_OK);
    request(buf, RB_OP_LOAD, 1, 0xffffffffu, 0);
    CHECK_EQ(rb_decode_request(buf, sizeof(buf), &q), RB_BAD_REQUEST);
    request(buf, RB_OP_LOAD, 1, RB_MAX_PAYLOAD, 0);
    CHECK_EQ(rb_decode_request(buf, sizeof(buf), &q), RB_OK);
}

TEST(responses_are_encoded_little_endian)
{
    struct rb_response a = { .op = RB_OP_FINISH, .status = RB_BAD_SPEC, .id = 0x01020304, .payload_len = 32,
                             .val = { 0x1122334455667788ull, 0, 0, 0, 0, 9 } };
    uint8_t out[RB_HEADER_SIZE];
    CHECK_EQ(rb_encode_response(&a, out), RB_HEADER_SIZE + 32);
    static const uint8_t want[24] = { 'I', 'C', 'R', 'S', 5, 0, 5, 0, 4, 3, 2, 1, 32, 0, 0, 0,
                                      0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11 };
    CHECK(!memcmp(out, want, sizeof(want)));
    CHECK_EQ(out[56], 9);
}

TEST(list_entries_have_their_fields_in_place)
{
    uint8_t m[32], out[RB_LIST_ENTRY_SIZE];
    for (unsigned i = 0; i < 32; i++)
        m[i] = (uint8_t)(0xa0 + i);
    memset(out, 0xff, sizeof(out));
    rb_encode_list_entry(out, 7, RB_STATE_READY, 2, 128ull << 20, m);
    CHECK_EQ(out[0], 7);
    CHECK_EQ(out[4], RB_STATE_READY);
    CHECK_EQ(out[5], 2);
    CHECK_EQ(out[6] | out[7], 0);
    CHECK_EQ(out[11], 0x08);
    for (unsigned i = 16; i < 32; i++)
        CHECK_EQ(out[i], 0);
    CHECK(!memcmp(out + 32, m, 32));
}
