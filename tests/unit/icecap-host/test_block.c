/* icecap-host's pure half (linux/icecap-host/block.c): request blocks byte
 * for byte as docs/resource-server.md lays them out, every kind of bad
 * answer refused in words, each status in words, and the parsers of the
 * command line and the device tree. */
#include "harness.h"
#include "block.h"
#include <realmspec/realmspec.h>
#include <string.h>

#define MIB (1024ull * 1024)

static char why[256];

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le(uint8_t *p, uint64_t v, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put_be64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (56 - 8 * i));
}

/* A response header as the resource server writes it. */
static void response(uint8_t hdr[RB_HEADER_SIZE], uint16_t op, uint16_t status, uint32_t realm, uint32_t len,
                     uint64_t v0, uint64_t v1)
{
    memset(hdr, 0, RB_HEADER_SIZE);
    put_le(hdr, RB_RESPONSE_MAGIC, 4);
    put_le(hdr + 4, op, 2);
    put_le(hdr + 6, status, 2);
    put_le(hdr + 8, realm, 4);
    put_le(hdr + 12, len, 4);
    put_le(hdr + 16, v0, 8);
    put_le(hdr + 24, v1, 8);
}

/* The words for status s (values v0, v1) answering rq. */
static const char *words(const struct rb_request *rq, uint16_t s, uint64_t v0, uint64_t v1)
{
    struct rb_response r = { .op = rq->op, .status = s, .realm = rq->realm, .val = { v0, v1 } };
    return rb_status_words(rq, &r, why, sizeof(why));
}

/* ---- blocks */

TEST(request_header_is_laid_out_as_documented)
{
    struct rb_request rq = { .op = RB_OP_LOAD, .realm = 0x01020304, .len = 0x10000 - 64,
                             .arg = { 0x1122334455667788ull, 0, 0, 0, 0, 0xffull << 56 } };
    uint8_t hdr[RB_HEADER_SIZE];
    memset(hdr, 0xaa, sizeof(hdr));
    rb_encode_request(&rq, hdr);
    CHECK(memcmp(hdr, "ICRQ", 4) == 0);
    CHECK_EQ(hdr[4], 4);
    CHECK_EQ(hdr[5], 0);
    CHECK_EQ(hdr[6] | hdr[7], 0);                       /* flags */
    CHECK_EQ(le32(hdr + 8), 0x01020304);
    CHECK_EQ(le32(hdr + 12), 0x10000 - 64);
    CHECK_EQ(hdr[16], 0x88);
    CHECK_EQ(hdr[23], 0x11);
    for (int i = 24; i < 56; i++)
        CHECK_EQ(hdr[i], 0);
    CHECK_EQ(hdr[63], 0xff);
}

TEST(a_good_response_is_decoded)
{
    struct rb_request rq = { .op = RB_OP_STATUS, .realm = 9 };
    struct rb_response r;
    uint8_t hdr[RB_HEADER_SIZE];
    response(hdr, RB_OP_STATUS, RB_OK, 9, 0, 64 * MIB, 60 * MIB);
    put_le(hdr + 56, 0x0102030405060708ull, 8);
    CHECK(rb_decode_response(hdr, &rq, 65536 - 64, &r, why, sizeof(why)) == NULL);
    CHECK_EQ(r.op, RB_OP_STATUS);
    CHECK_EQ(r.status, RB_OK);
    CHECK_EQ(r.realm, 9);
    CHECK_EQ(r.val[0], 64 * MIB);
    CHECK_EQ(r.val[1], 60 * MIB);
    CHECK_EQ(r.val[5], 0x0102030405060708ull);
    /* a failure is still a well-formed answer: its status is the caller's */
    response(hdr, RB_OP_STATUS, RB_UNAVAILABLE, 9, 0, 0, 0);
    CHECK(rb_decode_response(hdr, &rq, 65536 - 64, &r, why, sizeof(why)) == NULL);
    CHECK_EQ(r.status, RB_UNAVAILABLE);
}

static bool refused(const uint8_t *hdr, const struct rb_request *rq, const char *text)
{
    struct rb_response r = { .status = 0x1234 };
    const char *w = rb_decode_response(hdr, rq, 1000, &r, why, sizeof(why));
    return w == why && strstr(w, text) && r.status == 0x1234;   /* *out untouched */
}

TEST(a_bad_response_header_is_refused_in_words)
{
    struct rb_request rq = { .op = RB_OP_LIST, .realm = 3 };
    uint8_t hdr[RB_HEADER_SIZE];

    response(hdr, RB_OP_LIST, RB_OK, 3, 0, 0, 0);
    put_le(hdr, RB_REQUEST_MAGIC, 4);
    CHECK(refused(hdr, &rq, "left the request unanswered"));
    memset(hdr, 0, sizeof(hdr));
    CHECK(refused(hdr, &rq, "no response block (magic 0x00000000)"));
    memset(hdr, 0xff, sizeof(hdr));
    CHECK(refused(hdr, &rq, "no response block (magic 0xffffffff)"));
    response(hdr, RB_OP_STATUS, RB_OK, 3, 0, 0, 0);
    CHECK(refused(hdr, &rq, "answered op 1 to a request for op 2"));
    response(hdr, RB_OP_LIST, RB_OK, 4, 0, 0, 0);
    CHECK(refused(hdr, &rq, "for realm 4 to a request for realm 3"));
    response(hdr, RB_OP_LIST, RB_OK, 3, 1001, 0, 0);
    CHECK(refused(hdr, &rq, "claims 1001 bytes of payload; a slot holds 1000"));
    response(hdr, RB_OP_LIST, RB_OK, 3, 0xffffffffu, 0, 0);
    CHECK(refused(hdr, &rq, "claims 4294967295 bytes"));
}

TEST(a_payload_must_hold_what_its_op_promises)
{
    struct rb_response list = { .op = RB_OP_LIST, .len = 128, .val = { 5, 2 } };
    struct rb_response fin = { .op = RB_OP_FINISH, .len = 32 };
    CHECK(rb_check_payload(&list, why, sizeof(why)) == NULL);
    list.val[1] = 3;
    CHECK(rb_check_payload(&list, why, sizeof(why)) && strstr(why, "listed 3 realms in 128 bytes"));
    list.val[1] = 1ull << 60;
    CHECK(rb_check_payload(&list, why, sizeof(why)) != NULL);
    list.status = RB_UNAVAILABLE;                       /* a failure has no payload to check */
    CHECK(rb_check_payload(&list, why, sizeof(why)) == NULL);
    CHECK(rb_check_payload(&fin, why, sizeof(why)) == NULL);
    fin.len = 31;
    CHECK(rb_check_payload(&fin, why, sizeof(why)) && strstr(why, "31 bytes of measurement"));
}

TEST(list_entries_are_decoded)
{
    uint8_t p[2 * RB_LIST_ENTRY_SIZE] = { 0 };
    struct rb_list_entry e;
    put_le(p + 64, 0xdeadbeef, 4);
    p[64 + 4] = RB_STATE_RUNNING;
    p[64 + 5] = 4;
    put_le(p + 64 + 8, 40 * MIB + 1, 8);
    for (int i = 0; i < 32; i++)
        p[64 + 32 + i] = (uint8_t)i;
    rb_list_entry(p, 1, &e);
    CHECK_EQ(e.id, 0xdeadbeef);
    CHECK_EQ(e.state, RB_STATE_RUNNING);
    CHECK_EQ(e.vcpus, 4);
    CHECK_EQ(e.bytes, 40 * MIB + 1);
    CHECK_EQ(e.measurement[31], 31);
    CHECK(strcmp(rb_state_name(e.state), "running") == 0);
    CHECK(rb_state_name(0) == NULL && rb_state_name(6) == NULL && rb_state_name(255) == NULL);
}

/* ---- the device */

TEST(the_device_is_checked)
{
    CHECK(rb_check_device(REALM_DEV_MAGIC, 1, 32, 65536, 32 * 65536, why, sizeof(why)) == NULL);
    CHECK(rb_check_device(0, 1, 32, 65536, 32 * 65536, why, sizeof(why)) && strstr(why, "not a realm device"));
    CHECK(rb_check_device(REALM_DEV_MAGIC, 2, 32, 65536, 32 * 65536, why, sizeof(why)) && strstr(why, "version 2"));
    CHECK(rb_check_device(REALM_DEV_MAGIC, 1, 0, 65536, 32 * 65536, why, sizeof(why)) && strstr(why, "no slots"));
    CHECK(rb_check_device(REALM_DEV_MAGIC, 1, 32, 64, 32 * 65536, why, sizeof(why)) && strstr(why, "slot size 64"));
    CHECK(rb_check_device(REALM_DEV_MAGIC, 1, 32, 65540, 64 * 65536, why, sizeof(why)) != NULL);
    CHECK(rb_check_device(REALM_DEV_MAGIC, 1, 33, 65536, 32 * 65536, why, sizeof(why)) && strstr(why, "do not fit"));
    CHECK(rb_check_device(REALM_DEV_MAGIC, 1, 0xffffffffu, 0xfffffff8u, ~0ull, why, sizeof(why)) == NULL);
}

TEST(compatible_strings_are_matched_whole)
{
    static const uint8_t two[] = "vendor,other\0icecap,realm-host-1";      /* and the final NUL */
    static const uint8_t longer[] = "icecap,realm-host-10";
    static const uint8_t unterminated[] = { 'i', 'c', 'e' };
    CHECK(rb_compatible_has(two, sizeof(two), REALM_DEV_COMPATIBLE));
    CHECK(!rb_compatible_has(two, sizeof(two) - 1, REALM_DEV_COMPATIBLE));   /* its NUL cut off */
    CHECK(!rb_compatible_has(longer, sizeof(longer), REALM_DEV_COMPATIBLE));
    CHECK(!rb_compatible_has(unterminated, sizeof(unterminated), "ice"));
    CHECK(!rb_compatible_has(two, 0, REALM_DEV_COMPATIBLE));
}

TEST(reg_holds_the_register_page_then_the_slot_window)
{
    uint8_t p[48];
    uint64_t addr[2], size[2];
    put_be64(p, 0x0c000000);
    put_be64(p + 8, 0x1000);
    put_be64(p + 16, 0x0c200000);
    put_be64(p + 24, 32 * 65536);
    put_be64(p + 32, 0x0c400000);
    put_be64(p + 40, 0x1000);
    CHECK(rb_parse_reg(p, 32, addr, size));
    CHECK_EQ(addr[0], 0x0c000000);
    CHECK_EQ(size[0], 0x1000);
    CHECK_EQ(addr[1], 0x0c200000);
    CHECK_EQ(size[1], 32 * 65536);
    CHECK(rb_parse_reg(p, 48, addr, size));            /* a third region is not ours */
    CHECK(!rb_parse_reg(p, 16, addr, size));
    CHECK(!rb_parse_reg(p, 40, addr, size));
    put_be64(p + 24, 0);
    CHECK(!rb_parse_reg(p, 32, addr, size));
    put_be64(p + 24, 0x1000);
    put_be64(p + 16, ~0ull - 0xfff + 1);                /* ends beyond 2^64 */
    CHECK(!rb_parse_reg(p, 32, addr, size));
}

/* ---- the command line */

TEST(numbers_are_decimal_u32)
{
    uint32_t v = 7;
    CHECK(rb_parse_u32("0", &v) && v == 0);
    CHECK(rb_parse_u32("007", &v) && v == 7);
    CHECK(rb_parse_u32("4294967295", &v) && v == 4294967295u);
    v = 1;
    CHECK(!rb_parse_u32("4294967296", &v));
    CHECK(!rb_parse_u32("99999999999999999999999", &v));
    CHECK(!rb_parse_u32("", &v));
    CHECK(!rb_parse_u32("-1", &v));
    CHECK(!rb_parse_u32("+1", &v));
    CHECK(!rb_parse_u32(" 1", &v));
    CHECK(!rb_parse_u32("1a", &v));
    CHECK(!rb_parse_u32("0x10", &v));
    CHECK_EQ(v, 1);                                     /* untouched by a refusal */
}

TEST(the_lowest_free_id)
{
    static const uint32_t some[] = { 3, 0, 1 }, gap[] = { 1, 2 }, full[] = { 0, 1, 2 }, big[] = { 4294967295u };
    uint32_t id;
    CHECK(rb_lowest_free_id(NULL, 0, &id) && id == 0);
    CHECK(rb_lowest_free_id(some, 3, &id) && id == 2);
    CHECK(rb_lowest_free_id(gap, 2, &id) && id == 0);
    CHECK(rb_lowest_free_id(full, 3, &id) && id == 3);
    CHECK(rb_lowest_free_id(big, 1, &id) && id == 0);
}

/* ---- words */

TEST(each_status_in_words)
{
    struct rb_request create = { .op = RB_OP_CREATE, .realm = 3, .arg = { 5 * MIB } };
    struct rb_request finish = { .op = RB_OP_FINISH, .realm = 3 };
    struct rb_request destroy = { .op = RB_OP_DESTROY, .realm = 7 };
    struct rb_request run = { .op = RB_OP_RUN, .realm = 2, .arg = { 9 } };
    struct rb_request odd = { .op = 99, .realm = 2 };

    CHECK(strcmp(words(&destroy, RB_NO_SUCH_REALM, 0, 0), "no such realm 7") == 0);
    CHECK(strcmp(words(&create, RB_REALM_EXISTS, 0, 0), "realm 3 already exists") == 0);
    CHECK(strcmp(words(&finish, RB_BAD_SPEC, RS_ERR_DIGEST, 0),
                 "bad spec: a chunk's bytes do not match their SHA-256 (RS_ERR_DIGEST)") == 0);
    CHECK(strcmp(words(&finish, RB_BAD_SPEC, 1000, 0), "bad spec: error code 1000, which this program does not know")
          == 0);
    /* needed rounded up, free down: never "2 MiB needed, 2 MiB free" */
    CHECK(strcmp(words(&finish, RB_NO_MEMORY, 2 * MIB + MIB / 2, 2 * MIB + MIB * 7 / 10),
                 "pool exhausted: 3 MiB needed, 2 MiB free") == 0);
    CHECK(strcmp(words(&finish, RB_NO_MEMORY, 4096, 0), "pool exhausted: 1 MiB needed, 0 MiB free") == 0);
    CHECK(strcmp(words(&finish, RB_UNAVAILABLE, 0, 0), "the resource server is unavailable") == 0);
    CHECK(strcmp(words(&finish, RB_BAD_STATE, 0, 0), "realm 3 is not loading") == 0);
    CHECK(strstr(words(&destroy, RB_BAD_STATE, 0, 0), "realm 7 is still loading"));
    CHECK(strstr(words(&create, RB_BAD_RANGE, 4 * MIB, 0), "too large: 5242880 bytes") &&
          strstr(why, "at most 4194304"));
    create.arg[0] = 0;
    CHECK(strcmp(words(&create, RB_BAD_RANGE, 4 * MIB, 0), "the spec is empty") == 0);
    CHECK(strcmp(words(&run, RB_BAD_RANGE, 0, 0), "realm 2 has no vCPU 9") == 0);
    CHECK(strcmp(words(&run, RB_BAD_OP, 0, 0), "the resource server does not know operation 8 (RUN)") == 0);
    CHECK(strcmp(words(&odd, RB_BAD_OP, 0, 0), "the resource server does not know operation 99") == 0);
    CHECK(strstr(words(&run, RB_BAD_REQUEST, 0, 0), "malformed"));
    CHECK(strstr(words(&finish, RB_INTERNAL, 10, 0), "kernel error 10"));
    CHECK(strstr(words(&finish, 11, 0, 0), "status 11, which this program does not know"));
    CHECK(strstr(words(&finish, 0xffff, 0, 0), "status 65535"));
}

/* Every code of enum realm_spec_err has words, under the name the checker
 * itself gives it: a code added there without words here fails. */
TEST(every_spec_error_has_words_and_its_checker_name)
{
    for (int e = 0; e < RS_ERR_COUNT; e++) {
        CHECK(rb_spec_error_words((uint64_t)e) != NULL && rb_spec_error_words((uint64_t)e)[0]);
        CHECK(strcmp(rb_spec_error_name((uint64_t)e), realm_spec_strerror(e)) == 0);
    }
    CHECK(rb_spec_error_words(RS_ERR_COUNT) == NULL);
    CHECK(rb_spec_error_name(~0ull) == NULL);
}

TEST(op_names)
{
    CHECK(strcmp(rb_op_name(RB_OP_STATUS), "STATUS") == 0);
    CHECK(strcmp(rb_op_name(RB_OP_RUN), "RUN") == 0);
    CHECK(rb_op_name(0) == NULL && rb_op_name(9) == NULL && rb_op_name(0xffff) == NULL);
}

/* ---- output */

TEST(measurements_in_hex)
{
    uint8_t m[RB_MEASUREMENT_SIZE];
    char hex[2 * RB_MEASUREMENT_SIZE + 1];
    for (int i = 0; i < 32; i++)
        m[i] = (uint8_t)(i * 17 + 10);
    memset(hex, 'x', sizeof(hex));
    rb_hex(m, hex);
    CHECK_EQ(strlen(hex), 64);
    CHECK(strncmp(hex, "0a1b2c", 6) == 0);
    CHECK(strcmp(hex + 62, "19") == 0);        /* 31 * 17 + 10 = 0x219 */
}

TEST(mib_to_a_tenth_rounded_up)
{
    char b[32];
    CHECK(strcmp(rb_mib_tenths(0, b, sizeof(b)), "0") == 0);
    CHECK(strcmp(rb_mib_tenths(1, b, sizeof(b)), "0.1") == 0);
    CHECK(strcmp(rb_mib_tenths(MIB, b, sizeof(b)), "1") == 0);
    CHECK(strcmp(rb_mib_tenths(MIB - 1, b, sizeof(b)), "1") == 0);
    CHECK(strcmp(rb_mib_tenths(MIB + MIB / 2, b, sizeof(b)), "1.5") == 0);
    CHECK(strcmp(rb_mib_tenths(12 * MIB, b, sizeof(b)), "12") == 0);
    CHECK(strcmp(rb_mib_tenths(~0ull, b, sizeof(b)), "17592186044416") == 0);
}
