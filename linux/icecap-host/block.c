/* icecap-host's pure half: blocks, checks and words (block.h). */
#include "block.h"
#include <realmspec/realmspec.h>
#include <stdio.h>
#include <string.h>

#define MIB (1024u * 1024u)

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
    return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static uint64_t get64_be(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static void put(uint8_t *p, uint64_t v, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

const char *rb_check_device(uint32_t magic, uint32_t version, uint32_t slots, uint32_t slot_size,
                            uint64_t window_size, char *buf, size_t n)
{
    if (magic != REALM_DEV_MAGIC)
        snprintf(buf, n, "not a realm device: its magic is 0x%08x, not 0x%08x", magic, REALM_DEV_MAGIC);
    else if (version != REALM_DEV_VERSION)
        snprintf(buf, n, "the realm device is version %u; this program speaks version %u", version, REALM_DEV_VERSION);
    else if (slots == 0)
        snprintf(buf, n, "the realm device has no slots");
    else if (slot_size < RB_HEADER_SIZE + 8 || slot_size % 8 != 0)
        snprintf(buf, n, "the realm device's slot size %u is not a multiple of 8 above %u", slot_size,
                 RB_HEADER_SIZE);
    else if ((uint64_t)slots * slot_size > window_size)
        snprintf(buf, n, "the realm device's %u slots of %u bytes do not fit its window of %llu bytes", slots,
                 slot_size, (unsigned long long)window_size);
    else
        return NULL;
    return buf;
}

void rb_encode_request(const struct rb_request *rq, uint8_t hdr[RB_HEADER_SIZE])
{
    memset(hdr, 0, RB_HEADER_SIZE);
    put(hdr, RB_REQUEST_MAGIC, 4);
    put(hdr + 4, rq->op, 2);
    put(hdr + 8, rq->realm, 4);
    put(hdr + 12, rq->len, 4);
    for (unsigned i = 0; i < RB_ARGS; i++)
        put(hdr + 16 + 8 * i, rq->arg[i], 8);
}

const char *rb_decode_response(const uint8_t hdr[RB_HEADER_SIZE], const struct rb_request *rq,
                               uint32_t max_payload, struct rb_response *out, char *buf, size_t n)
{
    struct rb_response r = { .op = get16(hdr + 4), .status = get16(hdr + 6), .realm = get32(hdr + 8),
                             .len = get32(hdr + 12) };
    uint32_t magic = get32(hdr);

    if (magic == RB_REQUEST_MAGIC)
        snprintf(buf, n, "the realm device left the request unanswered in its slot");
    else if (magic != RB_RESPONSE_MAGIC)
        snprintf(buf, n, "the realm device answered with no response block (magic 0x%08x)", magic);
    else if (r.op != rq->op)
        snprintf(buf, n, "the realm device answered op %u to a request for op %u", r.op, rq->op);
    else if (r.realm != rq->realm)
        snprintf(buf, n, "the realm device answered for realm %u to a request for realm %u", r.realm, rq->realm);
    else if (r.len > max_payload)
        snprintf(buf, n, "the realm device's answer claims %u bytes of payload; a slot holds %u", r.len,
                 max_payload);
    else {
        for (unsigned i = 0; i < RB_ARGS; i++)
            r.val[i] = get64(hdr + 16 + 8 * i);
        *out = r;
        return NULL;
    }
    return buf;
}

const char *rb_check_payload(const struct rb_response *r, char *buf, size_t n)
{
    if (r->status != RB_OK)
        return NULL;
    if (r->op == RB_OP_LIST && r->val[1] > r->len / RB_LIST_ENTRY_SIZE)
        snprintf(buf, n, "the resource server listed %llu realms in %u bytes", (unsigned long long)r->val[1],
                 r->len);
    else if (r->op == RB_OP_FINISH && r->len < RB_MEASUREMENT_SIZE)
        snprintf(buf, n, "the resource server built the realm but sent %u bytes of measurement, not %u", r->len,
                 RB_MEASUREMENT_SIZE);
    else
        return NULL;
    return buf;
}

void rb_list_entry(const uint8_t *payload, uint32_t i, struct rb_list_entry *e)
{
    const uint8_t *p = payload + (size_t)i * RB_LIST_ENTRY_SIZE;
    e->id = get32(p);
    e->state = p[4];
    e->vcpus = p[5];
    e->bytes = get64(p + 8);
    memcpy(e->measurement, p + 32, RB_MEASUREMENT_SIZE);
}

/* ---- words */

/* What each realm spec error means: the rules of docs/realm-spec.md. The
 * codes and names come from enum realm_spec_err itself. */
#define E(name, words) [RS_ERR_##name] = { "RS_ERR_" #name, words }
static const struct {
    const char *name, *words;
} spec_errors[RS_ERR_COUNT] = {
    [RS_OK] = { "RS_OK", "no error was named" },
    E(ARG, "the resource server's limits make no sense"),
    E(TRUNCATED, "shorter than the 128-byte header"),
    E(MAGIC, "not a realm spec: its magic is not \"ICREALM1\""),
    E(VERSION, "a format version other than 1"),
    E(HEADER_SIZE, "a header size other than 128"),
    E(TOTAL_SIZE, "the total size in the header is not the file's size"),
    E(RESERVED, "a flags or reserved field is not 0"),
    E(NAME, "the realm's name is empty, has characters other than a-z 0-9 - _, or is not NUL-padded"),
    E(LIMIT, "a table has more entries than the resource server allows"),
    E(LAYOUT, "the tables or the data offset are not where format v1 puts them"),
    E(OBJECT_TYPE, "an object of an unknown type, or untyped"),
    E(OBJECT_SIZE, "an object's size bits are wrong for its type"),
    E(BUDGET, "the objects need more memory than the pool allows"),
    E(INDEX, "an object or connection index is out of range"),
    E(WRONG_TYPE, "an index names an object of the wrong type"),
    E(CAP_ORDER, "the caps are not in strictly increasing (cnode, slot) order"),
    E(SLOT, "a slot beyond its CNode, or used twice"),
    E(RIGHTS, "rights that a cap or mapping may not have"),
    E(BADGE, "a badge on a cap that takes none"),
    E(MAP_ORDER, "the mappings are not in strictly increasing (vspace, address, kind) order"),
    E(ALIGN, "an address or size is not aligned as required"),
    E(RANGE, "an address beyond the VSpace"),
    E(OVERLAP, "two frames, or a frame and a connection, overlap"),
    E(NO_TABLE, "no page table above a mapping, or a table under a 2M frame"),
    E(TABLE_USE, "a page table not mapped exactly once, or not in object order"),
    E(ATTR, "bad cacheability or level in a mapping"),
    E(TCB_ORDER, "the TCB entries are not one per TCB object, in object order"),
    E(PRIORITY, "a thread's priority is above what the resource server allows"),
    E(AFFINITY, "a thread's CPU is not one of the system's"),
    E(VCPU_BOUND, "a VCPU bound to two threads, or the VCPUs not in increasing order"),
    E(IPC_BUFFER, "an IPC buffer frame is not mapped writable at its address"),
    E(CONN_TYPE, "a connection of an unknown or reserved type"),
    E(CONN_ORDER, "the connections are not in strictly increasing (cnode, slot) order"),
    E(CONN_SIZE, "a connection's region is empty, not 4K-aligned, or too large"),
    E(CHUNK_ORDER, "the chunks are not in strictly increasing (frame, offset) order, or overlap"),
    E(CHUNK_BOUNDS, "a chunk is empty or goes beyond its frame"),
    E(CHUNK_DATA, "the chunks' bytes are not packed in order from the data offset to the end"),
    E(DIGEST, "a chunk's bytes do not match their SHA-256"),
};
#undef E

const char *rb_spec_error_words(uint64_t code)
{
    return code < RS_ERR_COUNT ? spec_errors[code].words : NULL;
}

const char *rb_spec_error_name(uint64_t code)
{
    return code < RS_ERR_COUNT ? spec_errors[code].name : NULL;
}

const char *rb_op_name(uint16_t op)
{
    static const char *const names[] = {
        [RB_OP_STATUS] = "STATUS", [RB_OP_LIST] = "LIST", [RB_OP_CREATE] = "CREATE", [RB_OP_LOAD] = "LOAD",
        [RB_OP_FINISH] = "FINISH", [RB_OP_ABORT] = "ABORT", [RB_OP_DESTROY] = "DESTROY", [RB_OP_RUN] = "RUN",
    };
    return op < sizeof(names) / sizeof(names[0]) ? names[op] : NULL;
}

const char *rb_state_name(uint8_t state)
{
    static const char *const names[] = {
        [RB_STATE_LOADING] = "loading", [RB_STATE_READY] = "ready", [RB_STATE_RUNNING] = "running",
        [RB_STATE_STOPPED] = "stopped", [RB_STATE_FAULTED] = "faulted",
    };
    return state < sizeof(names) / sizeof(names[0]) ? names[state] : NULL;
}

static uint64_t mib_up(uint64_t bytes)
{
    return bytes / MIB + (bytes % MIB != 0);
}

/* BAD_STATE: what the op needed. */
static const char *bad_state_words(uint16_t op)
{
    switch (op) {
    case RB_OP_DESTROY:
        return "is still loading (it is aborted, not destroyed)";
    case RB_OP_RUN:
        return "is not in a state to run";
    default:
        return "is not loading";
    }
}

/* BAD_RANGE: what was out of range. */
static void bad_range_words(const struct rb_request *rq, const struct rb_response *r, char *buf, size_t n)
{
    if (rq->op == RB_OP_CREATE && rq->arg[0] == 0)
        snprintf(buf, n, "the spec is empty");
    else if (rq->op == RB_OP_CREATE)
        snprintf(buf, n, "the spec is too large: %llu bytes, the resource server takes at most %llu",
                 (unsigned long long)rq->arg[0], (unsigned long long)r->val[0]);
    else if (rq->op == RB_OP_LOAD)
        snprintf(buf, n, "realm %u: %u bytes at offset %llu go beyond the spec's size", rq->realm, rq->len,
                 (unsigned long long)rq->arg[0]);
    else if (rq->op == RB_OP_RUN)
        snprintf(buf, n, "realm %u has no vCPU %llu", rq->realm, (unsigned long long)rq->arg[0]);
    else
        snprintf(buf, n, "the resource server found an argument of %s out of range", rb_op_name(rq->op));
}

static void bad_spec_words(uint64_t code, char *buf, size_t n)
{
    const char *words = rb_spec_error_words(code);
    if (words)
        snprintf(buf, n, "bad spec: %s (%s)", words, rb_spec_error_name(code));
    else
        snprintf(buf, n, "bad spec: error code %llu, which this program does not know", (unsigned long long)code);
}

const char *rb_status_words(const struct rb_request *rq, const struct rb_response *r, char *buf, size_t n)
{
    const char *op = rb_op_name(rq->op);
    switch (r->status) {
    case RB_OK:
        snprintf(buf, n, "%s succeeded", op ? op : "the request");
        break;
    case RB_BAD_REQUEST:
        snprintf(buf, n, "the resource server refused the request (op %u) as malformed", rq->op);
        break;
    case RB_BAD_OP:
        snprintf(buf, n, "the resource server does not know operation %u%s%s%s", rq->op, op ? " (" : "",
                 op ? op : "", op ? ")" : "");
        break;
    case RB_NO_SUCH_REALM:
        snprintf(buf, n, "no such realm %u", rq->realm);
        break;
    case RB_REALM_EXISTS:
        snprintf(buf, n, "realm %u already exists", rq->realm);
        break;
    case RB_BAD_SPEC:
        bad_spec_words(r->val[0], buf, n);
        break;
    case RB_NO_MEMORY:
        snprintf(buf, n, "pool exhausted: %llu MiB needed, %llu MiB free", (unsigned long long)mib_up(r->val[0]),
                 (unsigned long long)(r->val[1] / MIB));
        break;
    case RB_BAD_STATE:
        snprintf(buf, n, "realm %u %s", rq->realm, bad_state_words(rq->op));
        break;
    case RB_BAD_RANGE:
        bad_range_words(rq, r, buf, n);
        break;
    case RB_UNAVAILABLE:
        snprintf(buf, n, "the resource server is unavailable");
        break;
    case RB_INTERNAL:
        snprintf(buf, n, "the resource server failed inside (kernel error %llu) and undid the request",
                 (unsigned long long)r->val[0]);
        break;
    default:
        snprintf(buf, n, "the resource server answered with status %u, which this program does not know",
                 r->status);
        break;
    }
    return buf;
}

/* ---- inputs */

bool rb_parse_u32(const char *s, uint32_t *out)
{
    uint64_t v = 0;
    if (!*s)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        v = v * 10 + (uint64_t)(*s - '0');
        if (v > UINT32_MAX)
            return false;
    }
    *out = (uint32_t)v;
    return true;
}

bool rb_compatible_has(const uint8_t *prop, size_t len, const char *name)
{
    size_t want = strlen(name) + 1, i = 0;
    while (i < len) {
        const uint8_t *end = memchr(prop + i, 0, len - i);
        size_t one = end ? (size_t)(end - (prop + i)) + 1 : len - i;
        if (one == want && memcmp(prop + i, name, want) == 0)
            return true;
        i += one;
    }
    return false;
}

bool rb_parse_reg(const uint8_t *prop, size_t len, uint64_t addr[2], uint64_t size[2])
{
    if (len < 32 || len % 16 != 0)
        return false;
    for (int i = 0; i < 2; i++) {
        addr[i] = get64_be(prop + 16 * i);
        size[i] = get64_be(prop + 16 * i + 8);
        if (size[i] == 0 || addr[i] + size[i] < addr[i])
            return false;
    }
    return true;
}

bool rb_lowest_free_id(const uint32_t *ids, size_t n, uint32_t *out)
{
    /* The answer is at most n: n ids cannot fill 0..n. Quadratic, and
     * realms are few. */
    for (uint64_t c = 0; c <= n && c <= UINT32_MAX; c++) {
        size_t i = 0;
        while (i < n && ids[i] != c)
            i++;
        if (i == n) {
            *out = (uint32_t)c;
            return true;
        }
    }
    return false;
}

/* ---- output */

void rb_hex(const uint8_t m[RB_MEASUREMENT_SIZE], char out[2 * RB_MEASUREMENT_SIZE + 1])
{
    static const char digits[] = "0123456789abcdef";
    for (unsigned i = 0; i < RB_MEASUREMENT_SIZE; i++) {
        out[2 * i] = digits[m[i] >> 4];
        out[2 * i + 1] = digits[m[i] & 15];
    }
    out[2 * RB_MEASUREMENT_SIZE] = 0;
}

const char *rb_mib_tenths(uint64_t bytes, char *buf, size_t n)
{
    uint64_t whole = bytes / MIB, rest = bytes % MIB;
    uint64_t tenths = (rest * 10 + MIB - 1) / MIB;     /* rest < 2^20: no overflow */
    if (tenths == 10) {
        whole++;
        tenths = 0;
    }
    if (tenths)
        snprintf(buf, n, "%llu.%llu", (unsigned long long)whole, (unsigned long long)tenths);
    else
        snprintf(buf, n, "%llu", (unsigned long long)whole);
    return buf;
}
