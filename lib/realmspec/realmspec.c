/* The realm spec checker: see realmspec/realmspec.h and docs/realm-spec.md.
 * Every rule is checked in one pass per table, in file order; tables that
 * are sorted by rule (caps, mappings) are searched by bisection, so the
 * check takes O(n log n) time and no memory beyond its stack. */
#include <realmspec/realmspec.h>
#include <icecap/objects.h>
#include <icecap/vcpu.h>

#define GIB (1ull << 30)
#define MIB2 (1ull << IC_LARGE_PAGE_BITS)
#define PAGE (1ull << IC_PAGE_BITS)
#define VSPACE_END (1ull << IC_VSPACE_BITS)

static const uint32_t entry_size[RS_TAB_COUNT] = {
    RS_OBJECT_SIZE, RS_CAP_SIZE, RS_MAPPING_SIZE, RS_TCB_SIZE, RS_CONNECTION_SIZE, RS_CHUNK_SIZE,
};

static uint64_t rd(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = n; i-- > 0;)
        v = v << 8 | p[i];
    return v;
}

static bool zero(const uint8_t *p, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

static const uint8_t *entry(const struct realm_spec_view *v, enum realm_spec_table t, uint32_t i)
{
    return v->base + v->offset[t] + (uint64_t)i * entry_size[t];
}

uint64_t realm_spec_object_bytes(uint8_t type, uint8_t size_bits)
{
    switch (type) {
    case IC_OBJ_TCB: return 1ull << IC_TCB_SIZE_BITS;
    case IC_OBJ_ENDPOINT: return 1ull << IC_ENDPOINT_SIZE_BITS;
    case IC_OBJ_NOTIFICATION: return 1ull << IC_NOTIFICATION_SIZE_BITS;
    case IC_OBJ_CNODE: return size_bits <= IC_CNODE_MAX_RADIX ? 1ull << (size_bits + IC_SLOT_SIZE_BITS) : 0;
    case IC_OBJ_FRAME_4K: return PAGE;
    case IC_OBJ_FRAME_2M: return MIB2;
    case IC_OBJ_PAGE_TABLE: return 1ull << IC_PAGE_TABLE_SIZE_BITS;
    case IC_OBJ_VSPACE: return 1ull << IC_VSPACE_SIZE_BITS;
    case IC_OBJ_VCPU: return 1ull << IC_VCPU_SIZE_BITS;
    default: return 0;
    }
}

void realm_spec_object(const struct realm_spec_view *v, uint32_t i, struct rs_object *o)
{
    const uint8_t *p = entry(v, RS_TAB_OBJECTS, i);
    *o = (struct rs_object){ .type = p[0], .size_bits = p[1] };
}

void realm_spec_cap(const struct realm_spec_view *v, uint32_t i, struct rs_cap *c)
{
    const uint8_t *p = entry(v, RS_TAB_CAPS, i);
    *c = (struct rs_cap){ .cnode = (uint32_t)rd(p, 4), .slot = (uint32_t)rd(p + 4, 4), .object = (uint32_t)rd(p + 8, 4),
                          .rights = (uint16_t)rd(p + 12, 2), .badge = rd(p + 16, 8) };
}

void realm_spec_mapping(const struct realm_spec_view *v, uint32_t i, struct rs_mapping *m)
{
    const uint8_t *p = entry(v, RS_TAB_MAPPINGS, i);
    *m = (struct rs_mapping){ .vspace = (uint32_t)rd(p, 4), .object = (uint32_t)rd(p + 4, 4), .address = rd(p + 8, 8),
                              .rights = p[16], .attr = p[17], .level = p[18] };
}

void realm_spec_tcb(const struct realm_spec_view *v, uint32_t i, struct rs_tcb *t)
{
    const uint8_t *p = entry(v, RS_TAB_TCBS, i);
    *t = (struct rs_tcb){ .tcb = (uint32_t)rd(p, 4), .cspace = (uint32_t)rd(p + 4, 4), .vspace = (uint32_t)rd(p + 8, 4),
                          .ipc_buffer = (uint32_t)rd(p + 12, 4), .vcpu = (uint32_t)rd(p + 16, 4),
                          .fault_ep = (uint32_t)rd(p + 20, 4), .priority = p[24], .affinity = p[25],
                          .ipc_buffer_addr = rd(p + 32, 8), .pc = rd(p + 40, 8), .sp = rd(p + 48, 8),
                          .arg = rd(p + 56, 8) };
}

void realm_spec_connection(const struct realm_spec_view *v, uint32_t i, struct rs_connection *c)
{
    const uint8_t *p = entry(v, RS_TAB_CONNECTIONS, i);
    *c = (struct rs_connection){ .type = (uint16_t)rd(p, 2), .vspace = (uint32_t)rd(p + 4, 4), .address = rd(p + 8, 8),
                                 .size = rd(p + 16, 8), .cnode = (uint32_t)rd(p + 24, 4),
                                 .slot = (uint32_t)rd(p + 28, 4) };
}

void realm_spec_chunk(const struct realm_spec_view *v, uint32_t i, struct rs_chunk *c)
{
    const uint8_t *p = entry(v, RS_TAB_CHUNKS, i);
    *c = (struct rs_chunk){ .frame = (uint32_t)rd(p, 4), .offset = rd(p + 8, 8), .length = rd(p + 16, 8),
                            .file_offset = rd(p + 24, 8) };
    for (unsigned k = 0; k < SHA256_DIGEST_SIZE; k++)
        c->digest[k] = p[32 + k];
}

/* ---- helpers for the rules */

/* RS_OK if index names an object of type want (0: any type). */
static int object_is(const struct realm_spec_view *v, uint32_t index, uint8_t want)
{
    if (index >= v->count[RS_TAB_OBJECTS])
        return RS_ERR_INDEX;
    struct rs_object o;
    realm_spec_object(v, index, &o);
    return !want || o.type == want ? RS_OK : RS_ERR_WRONG_TYPE;
}

static bool is_frame(uint8_t type)
{
    return type == IC_OBJ_FRAME_4K || type == IC_OBJ_FRAME_2M;
}

static uint8_t object_type(const struct realm_spec_view *v, uint32_t index)
{
    struct rs_object o;
    realm_spec_object(v, index, &o);
    return o.type;
}

static int cmp3(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t b0, uint64_t b1, uint64_t b2)
{
    if (a0 != b0)
        return a0 < b0 ? -1 : 1;
    if (a1 != b1)
        return a1 < b1 ? -1 : 1;
    return a2 < b2 ? -1 : a2 > b2;
}

static unsigned map_kind(const struct realm_spec_view *v, const struct rs_mapping *m)
{
    if (object_type(v, m->object) != IC_OBJ_PAGE_TABLE)
        return RS_MAP_FRAME;
    return m->level == 2 ? RS_MAP_L2_TABLE : RS_MAP_L3_TABLE;
}

/* The first mapping whose key is at least (vspace, address, kind). Only
 * used once the mappings are known to be sorted. */
static uint32_t map_lower_bound(const struct realm_spec_view *v, uint32_t vspace, uint64_t address, unsigned kind)
{
    uint32_t lo = 0, hi = v->count[RS_TAB_MAPPINGS];
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        struct rs_mapping m;
        realm_spec_mapping(v, mid, &m);
        if (cmp3(m.vspace, m.address, map_kind(v, &m), vspace, address, kind) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static bool map_find(const struct realm_spec_view *v, uint32_t vspace, uint64_t address, unsigned kind,
                     struct rs_mapping *out)
{
    uint32_t i = map_lower_bound(v, vspace, address, kind);
    if (i >= v->count[RS_TAB_MAPPINGS])
        return false;
    realm_spec_mapping(v, i, out);
    return out->vspace == vspace && out->address == address && map_kind(v, out) == kind;
}

static bool cap_slot_used(const struct realm_spec_view *v, uint32_t cnode, uint32_t slot)
{
    uint32_t lo = 0, hi = v->count[RS_TAB_CAPS];
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        struct rs_cap c;
        realm_spec_cap(v, mid, &c);
        int r = cmp3(c.cnode, c.slot, 0, cnode, slot, 0);
        if (r == 0)
            return true;
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

/* RS_OK if slot exists in the CNode cnode (already known to be a CNode). */
static int slot_in(const struct realm_spec_view *v, uint32_t cnode, uint32_t slot)
{
    struct rs_object o;
    realm_spec_object(v, cnode, &o);
    return (uint64_t)slot < (1ull << o.size_bits) ? RS_OK : RS_ERR_SLOT;
}

/* ---- the header and the layout */

static bool name_ok(const uint8_t *p, char out[REALM_SPEC_NAME_SIZE + 1])
{
    unsigned n = 0;
    while (n < REALM_SPEC_NAME_SIZE && p[n]) {
        uint8_t c = p[n];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return false;
        out[n] = (char)c;
        n++;
    }
    out[n] = 0;
    return n > 0 && zero(p + n, REALM_SPEC_NAME_SIZE - n);
}

static int check_header(const uint8_t *p, size_t len, const struct realm_spec_limits *lim, struct realm_spec_view *v)
{
    static const char magic[8] = REALM_SPEC_MAGIC;
    if (len < REALM_SPEC_HEADER_SIZE)
        return RS_ERR_TRUNCATED;
    for (unsigned i = 0; i < 8; i++)
        if (p[i] != (uint8_t)magic[i])
            return RS_ERR_MAGIC;
    if (rd(p + 8, 4) != REALM_SPEC_VERSION)
        return RS_ERR_VERSION;
    if (rd(p + 12, 4) != REALM_SPEC_HEADER_SIZE)
        return RS_ERR_HEADER_SIZE;
    v->base = p;
    v->total_size = rd(p + 16, 8);
    if (v->total_size != len)
        return RS_ERR_TOTAL_SIZE;
    if (!zero(p + 112, REALM_SPEC_HEADER_SIZE - 112))
        return RS_ERR_RESERVED;
    if (!name_ok(p + 32, v->name))
        return RS_ERR_NAME;
    const uint32_t max[RS_TAB_COUNT] = { lim->max_objects, lim->max_caps, lim->max_mappings,
                                         lim->max_tcbs, lim->max_connections, lim->max_chunks };
    uint64_t at = REALM_SPEC_HEADER_SIZE;
    for (unsigned t = 0; t < RS_TAB_COUNT; t++) {
        v->offset[t] = rd(p + 64 + 8 * t, 4);
        v->count[t] = (uint32_t)rd(p + 68 + 8 * t, 4);
        if (v->count[t] > max[t])
            return RS_ERR_LIMIT;
    }
    for (unsigned t = 0; t < RS_TAB_COUNT; t++) {
        /* counts are 32-bit and entries at most 64 bytes: no overflow */
        if (v->offset[t] != at)
            return RS_ERR_LAYOUT;
        at += (uint64_t)v->count[t] * entry_size[t];
    }
    v->data_offset = rd(p + 24, 8);
    if (v->data_offset != at || at > len)
        return RS_ERR_LAYOUT;
    return RS_OK;
}

/* ---- the tables, one function per table */

static int check_objects(const struct realm_spec_view *v, const struct realm_spec_limits *lim, uint64_t *bytes)
{
    for (uint32_t i = 0; i < v->count[RS_TAB_OBJECTS]; i++) {
        const uint8_t *p = entry(v, RS_TAB_OBJECTS, i);
        if (!zero(p + 2, RS_OBJECT_SIZE - 2))
            return RS_ERR_RESERVED;
        uint8_t type = p[0], bits = p[1];
        if (type == IC_OBJ_UNTYPED || type >= IC_OBJ_TYPE_COUNT)
            return RS_ERR_OBJECT_TYPE;
        if (type == IC_OBJ_CNODE ? bits < 1 || bits > lim->max_cnode_radix : bits != 0)
            return RS_ERR_OBJECT_SIZE;
        if (__builtin_add_overflow(*bytes, realm_spec_object_bytes(type, bits), bytes))
            return RS_ERR_BUDGET;
    }
    return RS_OK;
}

static int check_caps(const struct realm_spec_view *v)
{
    struct rs_cap prev = { 0 };
    for (uint32_t i = 0; i < v->count[RS_TAB_CAPS]; i++) {
        const uint8_t *p = entry(v, RS_TAB_CAPS, i);
        struct rs_cap c;
        realm_spec_cap(v, i, &c);
        int r;
        if (!zero(p + 14, 2))
            return RS_ERR_RESERVED;
        if ((r = object_is(v, c.cnode, IC_OBJ_CNODE)) || (r = slot_in(v, c.cnode, c.slot)) ||
            (r = object_is(v, c.object, 0)))
            return r;
        if (i && cmp3(prev.cnode, prev.slot, 0, c.cnode, c.slot, 0) >= 0)
            return RS_ERR_CAP_ORDER;
        if (c.rights & ~IC_RIGHTS_ALL)
            return RS_ERR_RIGHTS;
        uint8_t t = object_type(v, c.object);
        if (c.badge && t != IC_OBJ_ENDPOINT && t != IC_OBJ_NOTIFICATION)
            return RS_ERR_BADGE;
        prev = c;
    }
    return RS_OK;
}

/* What the mapping pass remembers about the VSpace it is in. */
struct map_state {
    uint32_t vspace;
    bool have_l2, have_l3;
    uint64_t l2, l3, frame_end;
};

static int check_table_mapping(const struct rs_mapping *m, struct map_state *s)
{
    if (m->rights)
        return RS_ERR_RIGHTS;
    if (m->attr || (m->level != 2 && m->level != 3))
        return RS_ERR_ATTR;
    if (m->address & ((m->level == 2 ? GIB : MIB2) - 1))
        return RS_ERR_ALIGN;
    if (m->address >= VSPACE_END)
        return RS_ERR_RANGE;
    if (m->level == 2) {
        s->have_l2 = true, s->l2 = m->address;
        return RS_OK;
    }
    if (!s->have_l2 || s->l2 != (m->address & ~(GIB - 1)))
        return RS_ERR_NO_TABLE;
    s->have_l3 = true, s->l3 = m->address;
    return RS_OK;
}

static int check_frame_mapping(const struct rs_mapping *m, uint8_t type, struct map_state *s)
{
    uint64_t size = type == IC_OBJ_FRAME_2M ? MIB2 : PAGE;
    if (m->rights & ~(IC_RIGHT_READ | IC_RIGHT_WRITE | IC_RIGHT_EXECUTE) || !(m->rights & IC_RIGHT_READ))
        return RS_ERR_RIGHTS;
    if (m->level || (m->attr != IC_ATTR_CACHED && m->attr != IC_ATTR_UNCACHED))
        return RS_ERR_ATTR;
    if (m->address & (size - 1))
        return RS_ERR_ALIGN;
    if (m->address >= VSPACE_END || VSPACE_END - m->address < size)
        return RS_ERR_RANGE;
    if (m->address < s->frame_end)
        return RS_ERR_OVERLAP;
    if (type == IC_OBJ_FRAME_4K && (!s->have_l3 || s->l3 != (m->address & ~(MIB2 - 1))))
        return RS_ERR_NO_TABLE;
    if (type == IC_OBJ_FRAME_2M && (!s->have_l2 || s->l2 != (m->address & ~(GIB - 1)) ||
                                    (s->have_l3 && s->l3 == m->address)))
        return RS_ERR_NO_TABLE;
    s->frame_end = m->address + size;
    return RS_OK;
}

static int check_mappings(const struct realm_spec_view *v)
{
    struct map_state s = { .vspace = REALM_SPEC_NONE };
    struct rs_mapping prev = { 0 };
    unsigned prev_kind = 0;
    uint32_t tables_mapped = 0, tables = 0, prev_table = 0;
    for (uint32_t i = 0; i < v->count[RS_TAB_OBJECTS]; i++)
        tables += object_type(v, i) == IC_OBJ_PAGE_TABLE;
    for (uint32_t i = 0; i < v->count[RS_TAB_MAPPINGS]; i++) {
        struct rs_mapping m;
        realm_spec_mapping(v, i, &m);
        int r;
        if (!zero(entry(v, RS_TAB_MAPPINGS, i) + 19, RS_MAPPING_SIZE - 19))
            return RS_ERR_RESERVED;
        if ((r = object_is(v, m.vspace, IC_OBJ_VSPACE)) || (r = object_is(v, m.object, 0)))
            return r;
        uint8_t type = object_type(v, m.object);
        if (type != IC_OBJ_PAGE_TABLE && !is_frame(type))
            return RS_ERR_WRONG_TYPE;
        unsigned kind = map_kind(v, &m);
        if (i && cmp3(prev.vspace, prev.address, prev_kind, m.vspace, m.address, kind) >= 0)
            return RS_ERR_MAP_ORDER;
        if (m.vspace != s.vspace)
            s = (struct map_state){ .vspace = m.vspace };
        if (type == IC_OBJ_PAGE_TABLE) {
            if (tables_mapped && m.object <= prev_table)
                return RS_ERR_TABLE_USE;
            if ((r = check_table_mapping(&m, &s)))
                return r;
            prev_table = m.object, tables_mapped++;
        } else if ((r = check_frame_mapping(&m, type, &s))) {
            return r;
        }
        prev = m, prev_kind = kind;
    }
    return tables_mapped == tables ? RS_OK : RS_ERR_TABLE_USE;
}

static int check_tcb(const struct realm_spec_view *v, const struct realm_spec_limits *lim, const struct rs_tcb *t)
{
    int r;
    if ((r = object_is(v, t->tcb, IC_OBJ_TCB)) || (r = object_is(v, t->vspace, IC_OBJ_VSPACE)))
        return r;
    if (t->vcpu != REALM_SPEC_NONE && (r = object_is(v, t->vcpu, IC_OBJ_VCPU)))
        return r;
    if ((t->cspace != REALM_SPEC_NONE || t->vcpu == REALM_SPEC_NONE) && (r = object_is(v, t->cspace, IC_OBJ_CNODE)))
        return r;
    if (t->fault_ep != REALM_SPEC_NONE && (r = object_is(v, t->fault_ep, IC_OBJ_ENDPOINT)))
        return r;
    if (t->ipc_buffer == REALM_SPEC_NONE) {
        if (t->ipc_buffer_addr)
            return RS_ERR_IPC_BUFFER;
    } else {
        struct rs_mapping m;
        if ((r = object_is(v, t->ipc_buffer, IC_OBJ_FRAME_4K)))
            return r;
        if (!map_find(v, t->vspace, t->ipc_buffer_addr, RS_MAP_FRAME, &m) || m.object != t->ipc_buffer ||
            !(m.rights & IC_RIGHT_WRITE))
            return RS_ERR_IPC_BUFFER;
    }
    if (t->priority > lim->max_priority)
        return RS_ERR_PRIORITY;
    if (t->affinity >= lim->num_cpus)
        return RS_ERR_AFFINITY;
    return RS_OK;
}

static int check_tcbs(const struct realm_spec_view *v, const struct realm_spec_limits *lim)
{
    uint32_t tcbs = 0, prev_vcpu = 0;
    bool any_vcpu = false;
    for (uint32_t i = 0; i < v->count[RS_TAB_OBJECTS]; i++)
        tcbs += object_type(v, i) == IC_OBJ_TCB;
    if (tcbs != v->count[RS_TAB_TCBS])
        return RS_ERR_TCB_ORDER;
    struct rs_tcb prev = { 0 };
    for (uint32_t i = 0; i < v->count[RS_TAB_TCBS]; i++) {
        struct rs_tcb t;
        realm_spec_tcb(v, i, &t);
        if (!zero(entry(v, RS_TAB_TCBS, i) + 26, 6))
            return RS_ERR_RESERVED;
        int r = check_tcb(v, lim, &t);
        if (r)
            return r;
        if (i && t.tcb <= prev.tcb)
            return RS_ERR_TCB_ORDER;
        if (t.vcpu != REALM_SPEC_NONE) {
            if (any_vcpu && t.vcpu <= prev_vcpu)
                return RS_ERR_VCPU_BOUND;
            any_vcpu = true, prev_vcpu = t.vcpu;
        }
        prev = t;
    }
    return RS_OK;
}

/* Every 2 MiB block of the region has a level-3 table, and no frame of the
 * VSpace overlaps it (a frame starting up to 2 MiB below may reach in). */
static int check_conn_region(const struct realm_spec_view *v, const struct rs_connection *c)
{
    uint64_t end = c->address + c->size;
    for (uint64_t b = c->address & ~(MIB2 - 1); b < end; b += MIB2) {
        struct rs_mapping m;
        if (!map_find(v, c->vspace, b, RS_MAP_L3_TABLE, &m))
            return RS_ERR_NO_TABLE;
    }
    uint64_t from = c->address >= MIB2 ? c->address - MIB2 : 0;
    for (uint32_t i = map_lower_bound(v, c->vspace, from, 0); i < v->count[RS_TAB_MAPPINGS]; i++) {
        struct rs_mapping m;
        realm_spec_mapping(v, i, &m);
        if (m.vspace != c->vspace || m.address >= end)
            break;
        uint8_t type = object_type(v, m.object);
        if (is_frame(type) && m.address + realm_spec_object_bytes(type, 0) > c->address)
            return RS_ERR_OVERLAP;
    }
    return RS_OK;
}

static int check_connection(const struct realm_spec_view *v, const struct realm_spec_limits *lim, uint32_t i,
                            uint64_t *bytes)
{
    struct rs_connection c;
    realm_spec_connection(v, i, &c);
    const uint8_t *p = entry(v, RS_TAB_CONNECTIONS, i);
    int r;
    if (!zero(p + 2, 2))
        return RS_ERR_RESERVED;
    if (c.type != RS_CONN_CONSOLE)
        return RS_ERR_CONN_TYPE;
    if ((r = object_is(v, c.vspace, IC_OBJ_VSPACE)) || (r = object_is(v, c.cnode, IC_OBJ_CNODE)) ||
        (r = slot_in(v, c.cnode, c.slot)))
        return r;
    if (cap_slot_used(v, c.cnode, c.slot))
        return RS_ERR_SLOT;
    if (i) {
        struct rs_connection prev;
        realm_spec_connection(v, i - 1, &prev);
        if (cmp3(prev.cnode, prev.slot, 0, c.cnode, c.slot, 0) >= 0)
            return RS_ERR_CONN_ORDER;
    }
    if (!c.size || c.size > lim->max_conn_bytes)
        return RS_ERR_CONN_SIZE;
    if ((c.address | c.size) & (PAGE - 1))
        return RS_ERR_ALIGN;
    if (c.address >= VSPACE_END || VSPACE_END - c.address < c.size)
        return RS_ERR_RANGE;
    for (uint32_t j = 0; j < i; j++) {
        struct rs_connection o;
        realm_spec_connection(v, j, &o);
        if (o.vspace == c.vspace && o.address < c.address + c.size && c.address < o.address + o.size)
            return RS_ERR_OVERLAP;
    }
    if ((r = check_conn_region(v, &c)))
        return r;
    return __builtin_add_overflow(*bytes, c.size, bytes) ? RS_ERR_BUDGET : RS_OK;
}

static int check_chunks(const struct realm_spec_view *v)
{
    uint64_t at = v->data_offset;
    struct rs_chunk prev = { 0 };
    for (uint32_t i = 0; i < v->count[RS_TAB_CHUNKS]; i++) {
        struct rs_chunk c;
        realm_spec_chunk(v, i, &c);
        int r;
        if (!zero(entry(v, RS_TAB_CHUNKS, i) + 4, 4))
            return RS_ERR_RESERVED;
        if ((r = object_is(v, c.frame, 0)))
            return r;
        uint8_t type = object_type(v, c.frame);
        if (!is_frame(type))
            return RS_ERR_WRONG_TYPE;
        uint64_t size = realm_spec_object_bytes(type, 0);
        if (!c.length || c.offset >= size || c.length > size - c.offset)
            return RS_ERR_CHUNK_BOUNDS;
        if (i && (c.frame < prev.frame || (c.frame == prev.frame && c.offset < prev.offset + prev.length)))
            return RS_ERR_CHUNK_ORDER;
        if (c.file_offset != at || v->total_size - at < c.length)
            return RS_ERR_CHUNK_DATA;
        at += c.length;
        prev = c;
    }
    return at == v->total_size ? RS_OK : RS_ERR_CHUNK_DATA;
}

static int check_digests(const struct realm_spec_view *v)
{
    for (uint32_t i = 0; i < v->count[RS_TAB_CHUNKS]; i++) {
        struct rs_chunk c;
        uint8_t d[SHA256_DIGEST_SIZE];
        realm_spec_chunk(v, i, &c);
        sha256(v->base + c.file_offset, c.length, d);
        uint8_t diff = 0;
        for (unsigned k = 0; k < SHA256_DIGEST_SIZE; k++)
            diff |= d[k] ^ c.digest[k];
        if (diff)
            return RS_ERR_DIGEST;
    }
    return RS_OK;
}

int realm_spec_check(const void *spec, size_t len, const struct realm_spec_limits *lim, struct realm_spec_view *out)
{
    if (!spec || !lim || !out || !lim->num_cpus || lim->max_cnode_radix > IC_CNODE_MAX_RADIX)
        return RS_ERR_ARG;
    struct realm_spec_view v = { 0 };
    uint64_t bytes = 0;
    int r;
    if ((r = check_header(spec, len, lim, &v)) || (r = check_objects(&v, lim, &bytes)) || (r = check_caps(&v)) ||
        (r = check_mappings(&v)) || (r = check_tcbs(&v, lim)))
        return r;
    for (uint32_t i = 0; i < v.count[RS_TAB_CONNECTIONS]; i++)
        if ((r = check_connection(&v, lim, i, &bytes)))
            return r;
    if (bytes > lim->pool_bytes)
        return RS_ERR_BUDGET;
    if ((r = check_chunks(&v)) || (r = check_digests(&v)))
        return r;
    v.memory_bytes = bytes;
    *out = v;
    return RS_OK;
}

void realm_spec_measure(const struct realm_spec_view *v, uint8_t digest[SHA256_DIGEST_SIZE])
{
    sha256(v->base, v->data_offset, digest);
}

const char *realm_spec_strerror(int err)
{
    static const char *const names[RS_ERR_COUNT] = {
        "RS_OK", "RS_ERR_ARG", "RS_ERR_TRUNCATED", "RS_ERR_MAGIC", "RS_ERR_VERSION", "RS_ERR_HEADER_SIZE",
        "RS_ERR_TOTAL_SIZE", "RS_ERR_RESERVED", "RS_ERR_NAME", "RS_ERR_LIMIT", "RS_ERR_LAYOUT",
        "RS_ERR_OBJECT_TYPE", "RS_ERR_OBJECT_SIZE", "RS_ERR_BUDGET", "RS_ERR_INDEX", "RS_ERR_WRONG_TYPE",
        "RS_ERR_CAP_ORDER", "RS_ERR_SLOT", "RS_ERR_RIGHTS", "RS_ERR_BADGE", "RS_ERR_MAP_ORDER", "RS_ERR_ALIGN",
        "RS_ERR_RANGE", "RS_ERR_OVERLAP", "RS_ERR_NO_TABLE", "RS_ERR_TABLE_USE", "RS_ERR_ATTR",
        "RS_ERR_TCB_ORDER", "RS_ERR_PRIORITY", "RS_ERR_AFFINITY", "RS_ERR_VCPU_BOUND", "RS_ERR_IPC_BUFFER",
        "RS_ERR_CONN_TYPE", "RS_ERR_CONN_ORDER", "RS_ERR_CONN_SIZE", "RS_ERR_CHUNK_ORDER", "RS_ERR_CHUNK_BOUNDS",
        "RS_ERR_CHUNK_DATA", "RS_ERR_DIGEST",
    };
    return err >= 0 && err < RS_ERR_COUNT ? names[err] : "RS_ERR_?";
}
