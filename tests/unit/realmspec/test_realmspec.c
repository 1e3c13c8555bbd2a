/* The realm spec checker (lib/realmspec): a valid spec built here is
 * accepted with a stable measurement; every truncation and every byte
 * change of its header and tables is refused or changes the measurement;
 * and each rule of docs/realm-spec.md has a test that breaks exactly it. */
#include "harness.h"
#include <icecap/objects.h>
#include <realmspec/realmspec.h>
#include <stdlib.h>
#include <string.h>

#define NONE REALM_SPEC_NONE
#define R IC_RIGHT_READ
#define W IC_RIGHT_WRITE
#define X IC_RIGHT_EXECUTE

/* The fixture: a VMM-like thread and a vCPU thread in one VSpace.
 *   0 CNode (radix 4)  1 VSpace  2 L2 table  3 L3 table  4 code frame
 *   5 IPC buffer  6 TCB  7 endpoint  8 notification  9 VCPU  10 TCB (vCPU)
 *   11 2M frame  12 L3 table under the console region */
struct fx {
    struct rs_object obj[16];
    struct rs_cap cap[8];
    struct rs_mapping map[8];
    struct rs_tcb tcb[4];
    struct rs_connection conn[2];
    struct rs_chunk chunk[4];
    const void *data[4];
    struct realm_spec_build b;
};

static const uint8_t code[100] = { 1, 2, 3, 4, 5 };
static const uint8_t blob[37] = { 9, 9, 9 };

static void fx_init(struct fx *f)
{
    memset(f, 0, sizeof *f);
    static const struct rs_object obj[] = {
        { IC_OBJ_CNODE, 4 }, { IC_OBJ_VSPACE, 0 }, { IC_OBJ_PAGE_TABLE, 0 }, { IC_OBJ_PAGE_TABLE, 0 },
        { IC_OBJ_FRAME_4K, 0 }, { IC_OBJ_FRAME_4K, 0 }, { IC_OBJ_TCB, 0 }, { IC_OBJ_ENDPOINT, 0 },
        { IC_OBJ_NOTIFICATION, 0 }, { IC_OBJ_VCPU, 0 }, { IC_OBJ_TCB, 0 }, { IC_OBJ_FRAME_2M, 0 },
        { IC_OBJ_PAGE_TABLE, 0 },
    };
    memcpy(f->obj, obj, sizeof obj);
    static const struct rs_cap cap[] = {
        { 0, 1, 0, IC_RIGHTS_ALL, 0 }, { 0, 2, 7, R | W | IC_RIGHT_GRANT, 5 }, { 0, 3, 8, R | W, 0 },
        { 0, 4, 10, IC_RIGHTS_ALL, 0 },
    };
    memcpy(f->cap, cap, sizeof cap);
    static const struct rs_mapping map[] = {
        { 1, 2, 0, 0, 0, 2 }, { 1, 3, 0, 0, 0, 3 }, { 1, 4, 0, R | X, IC_ATTR_CACHED, 0 },
        { 1, 5, 0x1000, R | W, IC_ATTR_CACHED, 0 }, { 1, 11, 0x200000, R | W, IC_ATTR_UNCACHED, 0 },
        { 1, 12, 0x400000, 0, 0, 3 },
    };
    memcpy(f->map, map, sizeof map);
    f->tcb[0] = (struct rs_tcb){ .tcb = 6, .cspace = 0, .vspace = 1, .ipc_buffer = 5, .vcpu = NONE,
                                 .fault_ep = NONE, .priority = 100, .affinity = 0, .ipc_buffer_addr = 0x1000,
                                 .pc = 0x10, .sp = 0x1000, .arg = 7 };
    f->tcb[1] = (struct rs_tcb){ .tcb = 10, .cspace = NONE, .vspace = 1, .ipc_buffer = NONE, .vcpu = 9,
                                 .fault_ep = 7, .priority = 100, .affinity = 1, .pc = 0x200000 };
    f->conn[0] = (struct rs_connection){ RS_CONN_CONSOLE, 1, 0x400000, 0x1000, 0, 5 };
    f->chunk[0] = (struct rs_chunk){ .frame = 4, .offset = 0, .length = sizeof code };
    f->chunk[1] = (struct rs_chunk){ .frame = 11, .offset = 0x1000, .length = sizeof blob };
    f->data[0] = code, f->data[1] = blob;
    f->b = (struct realm_spec_build){ .name = "demo", .objects = f->obj, .n_objects = 13, .caps = f->cap, .n_caps = 4,
                                      .mappings = f->map, .n_mappings = 6, .tcbs = f->tcb, .n_tcbs = 2,
                                      .connections = f->conn, .n_connections = 1, .chunks = f->chunk,
                                      .n_chunks = 2, .chunk_data = f->data };
}

static const struct realm_spec_limits lim = {
    .max_objects = 64, .max_caps = 64, .max_mappings = 64, .max_tcbs = 8, .max_connections = 4, .max_chunks = 16,
    .max_cnode_radix = 8, .max_priority = 200, .num_cpus = 2, .max_conn_bytes = 0x10000, .pool_bytes = 8ull << 20,
};

/* Encodes into an exactly sized heap buffer (so ASan sees any overread). */
static uint8_t *fx_encode(const struct fx *f, size_t *len)
{
    *len = realm_spec_encoded_size(&f->b);
    uint8_t *p = malloc(*len);
    realm_spec_encode(&f->b, p);
    return p;
}

static int fx_check(const struct fx *f)
{
    size_t len;
    uint8_t *p = fx_encode(f, &len);
    struct realm_spec_view v;
    int r = realm_spec_check(p, len, &lim, &v);
    free(p);
    return r;
}

static int check_buf(const uint8_t *p, size_t len, uint8_t digest[SHA256_DIGEST_SIZE])
{
    uint8_t *copy = malloc(len ? len : 1);
    memcpy(copy, p, len);
    struct realm_spec_view v;
    memset(&v, 0xa5, sizeof v);
    int r = realm_spec_check(copy, len, &lim, &v);
    if (r == RS_OK && digest)
        realm_spec_measure(&v, digest);
    free(copy);
    return r;
}

TEST(valid_spec_accepted_and_measured)
{
    struct fx f;
    fx_init(&f);
    size_t len;
    uint8_t *p = fx_encode(&f, &len);
    struct realm_spec_view v;
    CHECK_EQ(realm_spec_check(p, len, &lim, &v), RS_OK);
    CHECK(strcmp(v.name, "demo") == 0);
    CHECK_EQ(v.count[RS_TAB_OBJECTS], 13);
    CHECK_EQ(v.data_offset, len - sizeof code - sizeof blob);
    struct rs_tcb t;
    realm_spec_tcb(&v, 1, &t);
    CHECK_EQ(t.vcpu, 9);
    CHECK_EQ(t.pc, 0x200000);
    struct rs_chunk c;
    realm_spec_chunk(&v, 1, &c);
    CHECK_EQ(c.file_offset, v.data_offset + sizeof code);
    uint8_t d1[32], d2[32], d3[32];
    realm_spec_measure(&v, d1);
    realm_spec_measure(&v, d2);
    CHECK(memcmp(d1, d2, 32) == 0);
    uint8_t *q = fx_encode(&f, &len); /* a second encoding: the same bytes */
    CHECK(memcmp(p, q, len) == 0);
    CHECK_EQ(check_buf(q, len, d3), RS_OK);
    CHECK(memcmp(d1, d3, 32) == 0);
    free(p);
    free(q);
}

TEST(every_truncation_refused)
{
    struct fx f;
    fx_init(&f);
    size_t len;
    uint8_t *p = fx_encode(&f, &len);
    for (size_t n = 0; n < len; n++) {
        int r = check_buf(p, n, NULL);
        CHECK(r == RS_ERR_TRUNCATED || r == RS_ERR_TOTAL_SIZE);
    }
    free(p);
}

/* Header and tables: refused, or valid with another measurement. Data:
 * always refused (the chunk's digest). */
TEST(every_byte_change_refused_or_remeasured)
{
    struct fx f;
    fx_init(&f);
    size_t len;
    uint8_t *p = fx_encode(&f, &len);
    uint8_t good[32], d[32];
    CHECK_EQ(check_buf(p, len, good), RS_OK);
    static const uint8_t flips[] = { 0x01, 0x02, 0x10, 0x80, 0xff };
    unsigned accepted = 0;
    for (size_t i = 0; i < len; i++) {
        for (unsigned k = 0; k < sizeof flips; k++) {
            p[i] ^= flips[k];
            int r = check_buf(p, len, d);
            p[i] ^= flips[k];
            CHECK(r >= 0 && r < RS_ERR_COUNT);
            if (i >= len - sizeof code - sizeof blob)
                CHECK_EQ(r, RS_ERR_DIGEST);
            else if (r == RS_OK) {
                CHECK(memcmp(d, good, 32) != 0);
                accepted++;
            }
        }
    }
    CHECK(accepted > 0); /* e.g. a priority, a badge, a pc */
    free(p);
}

/* ---- one test per rule: change the fixture, expect the rule's code */

#define EXPECT(code, ...)                                                                                          \
    do { struct fx f; fx_init(&f); __VA_ARGS__; CHECK_EQ(fx_check(&f), code); } while (0)

/* Changes one header byte of the valid spec. */
static int header_poke(size_t at, uint8_t value)
{
    struct fx f;
    fx_init(&f);
    size_t len;
    uint8_t *p = fx_encode(&f, &len);
    p[at] = value;
    int r = check_buf(p, len, NULL);
    free(p);
    return r;
}

TEST(rule_header)
{
    CHECK_EQ(header_poke(0, 'X'), RS_ERR_MAGIC);
    CHECK_EQ(header_poke(8, 2), RS_ERR_VERSION);
    CHECK_EQ(header_poke(12, 64), RS_ERR_HEADER_SIZE);
    CHECK_EQ(header_poke(16, 1), RS_ERR_TOTAL_SIZE);
    CHECK_EQ(header_poke(112, 1), RS_ERR_RESERVED);
    CHECK_EQ(header_poke(127, 1), RS_ERR_RESERVED);
    CHECK_EQ(header_poke(32, 'A'), RS_ERR_NAME);
    CHECK_EQ(header_poke(32, 0), RS_ERR_NAME);
    CHECK_EQ(header_poke(40, 'x'), RS_ERR_NAME); /* a byte after the NUL */
    CHECK_EQ(header_poke(24, 0), RS_ERR_LAYOUT); /* data_offset */
    CHECK_EQ(header_poke(72, 0), RS_ERR_LAYOUT); /* the caps' offset */
    CHECK_EQ(header_poke(71, 0xff), RS_ERR_LIMIT); /* 2^24 objects and more */
    struct realm_spec_view v;
    CHECK_EQ(realm_spec_check(NULL, 0, &lim, &v), RS_ERR_ARG);
    struct realm_spec_limits l = lim;
    l.num_cpus = 0;
    CHECK_EQ(realm_spec_check("", 0, &l, &v), RS_ERR_ARG);
}

TEST(rule_limits)
{
    struct fx f;
    fx_init(&f);
    size_t len;
    uint8_t *p = fx_encode(&f, &len);
    struct realm_spec_view v;
    struct realm_spec_limits l = lim;
    l.max_tcbs = 1;
    CHECK_EQ(realm_spec_check(p, len, &l, &v), RS_ERR_LIMIT);
    l = lim;
    l.max_chunks = 1;
    CHECK_EQ(realm_spec_check(p, len, &l, &v), RS_ERR_LIMIT);
    l = lim;
    l.pool_bytes = (2ull << 20) + 4096;
    CHECK_EQ(realm_spec_check(p, len, &l, &v), RS_ERR_BUDGET);
    l = lim;
    l.max_priority = 50;
    CHECK_EQ(realm_spec_check(p, len, &l, &v), RS_ERR_PRIORITY);
    l = lim;
    l.num_cpus = 1;
    CHECK_EQ(realm_spec_check(p, len, &l, &v), RS_ERR_AFFINITY);
    l = lim;
    l.max_conn_bytes = 0x800;
    CHECK_EQ(realm_spec_check(p, len, &l, &v), RS_ERR_CONN_SIZE);
    l = lim;
    l.max_cnode_radix = 3;
    CHECK_EQ(realm_spec_check(p, len, &l, &v), RS_ERR_OBJECT_SIZE);
    free(p);
}

TEST(rule_objects)
{
    EXPECT(RS_ERR_OBJECT_TYPE, f.obj[7].type = IC_OBJ_UNTYPED);
    EXPECT(RS_ERR_OBJECT_TYPE, f.obj[7].type = IC_OBJ_TYPE_COUNT);
    EXPECT(RS_ERR_OBJECT_SIZE, f.obj[0].size_bits = 0);
    EXPECT(RS_ERR_OBJECT_SIZE, f.obj[7].size_bits = 1);
}

TEST(rule_object_reserved)
{
    struct fx f;
    fx_init(&f);
    size_t len;
    uint8_t *p = fx_encode(&f, &len);
    p[REALM_SPEC_HEADER_SIZE + 3] = 1;
    CHECK_EQ(check_buf(p, len, NULL), RS_ERR_RESERVED);
    free(p);
}

TEST(rule_caps)
{
    EXPECT(RS_ERR_INDEX, f.cap[0].cnode = 13);
    EXPECT(RS_ERR_WRONG_TYPE, f.cap[0].cnode = 1);
    EXPECT(RS_ERR_SLOT, f.cap[3].slot = 16);
    EXPECT(RS_ERR_INDEX, f.cap[1].object = 99);
    EXPECT(RS_ERR_CAP_ORDER, f.cap[1].slot = 1);            /* the same slot twice */
    EXPECT(RS_ERR_CAP_ORDER, f.cap[1].slot = 5; f.cap[2].slot = 4; f.cap[3].slot = 6; f.conn[0].slot = 7);
    EXPECT(RS_ERR_RIGHTS, f.cap[0].rights = 0x10);
    EXPECT(RS_ERR_BADGE, f.cap[0].badge = 1);
}

TEST(rule_mappings)
{
    EXPECT(RS_ERR_WRONG_TYPE, f.map[2].vspace = 0);
    EXPECT(RS_ERR_INDEX, f.map[2].object = 13);
    EXPECT(RS_ERR_WRONG_TYPE, f.map[2].object = 6);           /* a TCB is no frame */
    EXPECT(RS_ERR_MAP_ORDER, f.map[3].address = 0);           /* two frames at one address */
    EXPECT(RS_ERR_MAP_ORDER, f.map[4].address = 0x600000);    /* after the table at 0x400000 */
    EXPECT(RS_ERR_ALIGN, f.map[3].address = 0x1800);
    EXPECT(RS_ERR_ALIGN, f.map[4].address = 0x201000; f.chunk[1].offset = 0);
    EXPECT(RS_ERR_ALIGN, f.map[1].address = 0x1000);          /* an L3 table off 2 MiB */
    EXPECT(RS_ERR_RANGE, f.map[5].address = 1ull << 39);
    EXPECT(RS_ERR_RANGE, f.map[0].address = 1ull << 39);
    EXPECT(RS_ERR_RIGHTS, f.map[2].rights = X);               /* no read */
    EXPECT(RS_ERR_RIGHTS, f.map[2].rights = R | IC_RIGHT_GRANT);
    EXPECT(RS_ERR_RIGHTS, f.map[0].rights = R);               /* a table has no rights */
    EXPECT(RS_ERR_ATTR, f.map[2].attr = IC_ATTR_DEVICE);
    EXPECT(RS_ERR_ATTR, f.map[0].level = 1);
    EXPECT(RS_ERR_ATTR, f.map[2].level = 3);
}

TEST(rule_page_tables)
{
    /* a 4K frame with no level-3 table above it (frame 5 mapped twice) */
    EXPECT(RS_ERR_NO_TABLE, f.map[6] = (struct rs_mapping){ 1, 5, 0x600000, R, 0, 0 }; f.b.n_mappings = 7);
    /* a level-3 table with no level-2 table, in a second VSpace */
    EXPECT(RS_ERR_NO_TABLE, f.obj[13].type = IC_OBJ_VSPACE; f.obj[14].type = IC_OBJ_PAGE_TABLE;
           f.b.n_objects = 15; f.map[6] = (struct rs_mapping){ 13, 14, 0, 0, 0, 3 }; f.b.n_mappings = 7);
    /* a 2M frame where a level-3 table is, and one with no level-2 table */
    EXPECT(RS_ERR_NO_TABLE, f.map[6] = (struct rs_mapping){ 1, 11, 0x400000, R, 0, 0 }; f.b.n_mappings = 7);
    EXPECT(RS_ERR_NO_TABLE, f.map[6] = (struct rs_mapping){ 1, 11, 0x40000000, R, 0, 0 }; f.b.n_mappings = 7);
    /* a page table mapped twice, never, or not in object order */
    EXPECT(RS_ERR_TABLE_USE, f.map[5].object = 3);
    EXPECT(RS_ERR_TABLE_USE, f.b.n_mappings = 5; f.b.n_connections = 0);
    EXPECT(RS_ERR_TABLE_USE, f.map[0].object = 3; f.map[1].object = 2);
}

/* Two frames cannot overlap without breaking the order or the page table
 * rules first; a connection's region can. */
TEST(rule_overlap)
{
    EXPECT(RS_ERR_OVERLAP, f.conn[0].address = 0x1000);
    EXPECT(RS_ERR_OVERLAP, f.conn[1] = f.conn[0]; f.conn[1].slot = 6; f.conn[1].address = 0x3ff000;
           f.conn[1].size = 0x2000; f.b.n_connections = 2);
}

TEST(rule_tcbs)
{
    EXPECT(RS_ERR_TCB_ORDER, f.b.n_tcbs = 1);
    EXPECT(RS_ERR_TCB_ORDER, struct rs_tcb t = f.tcb[0]; f.tcb[0] = f.tcb[1]; f.tcb[1] = t);
    EXPECT(RS_ERR_WRONG_TYPE, f.tcb[0].tcb = 7);
    EXPECT(RS_ERR_INDEX, f.tcb[0].vspace = 100);
    EXPECT(RS_ERR_WRONG_TYPE, f.tcb[0].vspace = 0);
    EXPECT(RS_ERR_WRONG_TYPE, f.tcb[0].cspace = 1);
    EXPECT(RS_ERR_INDEX, f.tcb[0].cspace = NONE);             /* only a vCPU thread may have none */
    EXPECT(RS_ERR_WRONG_TYPE, f.tcb[1].vcpu = 8);
    EXPECT(RS_ERR_WRONG_TYPE, f.tcb[1].fault_ep = 8);
    EXPECT(RS_ERR_WRONG_TYPE, f.tcb[0].ipc_buffer = 11);
    EXPECT(RS_ERR_IPC_BUFFER, f.tcb[0].ipc_buffer_addr = 0x2000);
    EXPECT(RS_ERR_IPC_BUFFER, f.tcb[0].ipc_buffer = 4; f.tcb[0].ipc_buffer_addr = 0); /* read-only */
    EXPECT(RS_ERR_IPC_BUFFER, f.tcb[1].ipc_buffer_addr = 0x1000);
    EXPECT(RS_ERR_PRIORITY, f.tcb[1].priority = 201);
    EXPECT(RS_ERR_AFFINITY, f.tcb[0].affinity = 2);
    EXPECT(RS_ERR_VCPU_BOUND, f.tcb[0].vcpu = 9);
}

TEST(rule_tcb_reserved)
{
    struct fx f;
    fx_init(&f);
    size_t len;
    uint8_t *p = fx_encode(&f, &len);
    struct realm_spec_view v;
    CHECK_EQ(realm_spec_check(p, len, &lim, &v), RS_OK);
    p[v.offset[RS_TAB_TCBS] + 27] = 1;
    CHECK_EQ(check_buf(p, len, NULL), RS_ERR_RESERVED);
    free(p);
}

TEST(rule_connections)
{
    EXPECT(RS_ERR_CONN_TYPE, f.conn[0].type = RS_CONN_NET);
    EXPECT(RS_ERR_CONN_TYPE, f.conn[0].type = RS_CONN_CHANNEL);
    EXPECT(RS_ERR_CONN_TYPE, f.conn[0].type = 0);
    EXPECT(RS_ERR_WRONG_TYPE, f.conn[0].vspace = 0);
    EXPECT(RS_ERR_WRONG_TYPE, f.conn[0].cnode = 1);
    EXPECT(RS_ERR_SLOT, f.conn[0].slot = 16);
    EXPECT(RS_ERR_SLOT, f.conn[0].slot = 2);                  /* a cap is there */
    EXPECT(RS_ERR_CONN_SIZE, f.conn[0].size = 0);
    EXPECT(RS_ERR_ALIGN, f.conn[0].size = 0x800);
    EXPECT(RS_ERR_ALIGN, f.conn[0].address = 0x400800);
    EXPECT(RS_ERR_NO_TABLE, f.conn[0].address = 0x600000);
    EXPECT(RS_ERR_NO_TABLE, f.conn[0].address = 0x5ff000; f.conn[0].size = 0x2000);
    EXPECT(RS_ERR_RANGE, f.conn[0].address = (1ull << 39) - 0x1000; f.conn[0].size = 0x2000);
    EXPECT(RS_ERR_CONN_ORDER, f.conn[1] = f.conn[0]; f.b.n_connections = 2);
    EXPECT(RS_ERR_OVERLAP, f.conn[1] = f.conn[0]; f.conn[1].slot = 6; f.b.n_connections = 2);
}

TEST(rule_chunks)
{
    EXPECT(RS_ERR_INDEX, f.chunk[0].frame = 13);
    EXPECT(RS_ERR_WRONG_TYPE, f.chunk[0].frame = 6);
    EXPECT(RS_ERR_CHUNK_BOUNDS, f.chunk[0].length = 0);
    EXPECT(RS_ERR_CHUNK_BOUNDS, f.chunk[0].offset = 4096 - 99);
    EXPECT(RS_ERR_CHUNK_BOUNDS, f.chunk[0].offset = 1ull << 63);
    EXPECT(RS_ERR_CHUNK_ORDER, struct rs_chunk c = f.chunk[0]; f.chunk[0] = f.chunk[1]; f.chunk[1] = c;
           const void *d = f.data[0]; f.data[0] = f.data[1]; f.data[1] = d);
    EXPECT(RS_ERR_CHUNK_ORDER, f.chunk[1] = f.chunk[0]; f.chunk[1].offset = 50; f.chunk[1].length = 10);
    /* the digest, the packing of the data, and a total size off by one */
    struct fx f;
    fx_init(&f);
    size_t len;
    uint8_t *p = fx_encode(&f, &len);
    struct realm_spec_view v;
    CHECK_EQ(realm_spec_check(p, len, &lim, &v), RS_OK);
    p[len - 1] ^= 1;
    CHECK_EQ(check_buf(p, len, NULL), RS_ERR_DIGEST);
    p[len - 1] ^= 1;
    p[v.offset[RS_TAB_CHUNKS] + RS_CHUNK_SIZE + 24] += 1;   /* the second chunk's file_offset */
    CHECK_EQ(check_buf(p, len, NULL), RS_ERR_CHUNK_DATA);
    p[v.offset[RS_TAB_CHUNKS] + RS_CHUNK_SIZE + 24] -= 1;
    p[v.offset[RS_TAB_CHUNKS] + 4] = 1;
    CHECK_EQ(check_buf(p, len, NULL), RS_ERR_RESERVED);
    free(p);
    uint8_t *q = malloc(len + 1);
    fx_init(&f);
    realm_spec_encode(&f.b, q);
    q[len] = 0;
    q[16] += 1;                                                /* total_size = len + 1: a byte left over */
    CHECK_EQ(check_buf(q, len + 1, NULL), RS_ERR_CHUNK_DATA);
    free(q);
}

TEST(strerror_names_every_code)
{
    for (int e = 0; e < RS_ERR_COUNT; e++)
        CHECK(strncmp(realm_spec_strerror(e), "RS_", 3) == 0 && strcmp(realm_spec_strerror(e), "RS_ERR_?") != 0);
    CHECK(strcmp(realm_spec_strerror(RS_ERR_DIGEST), "RS_ERR_DIGEST") == 0);
    CHECK(strcmp(realm_spec_strerror(-1), "RS_ERR_?") == 0);
    CHECK_EQ(RS_ERR_DIGEST, 38); /* docs/realm-spec.md gives the values */
}
