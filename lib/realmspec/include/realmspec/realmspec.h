/* The realm spec, format v1 (docs/realm-spec.md): one little-endian file
 * that lists everything the resource server builds for a realm.
 *
 * realm_spec_check() validates every field of a spec before anything is
 * built, and realm_spec_measure() computes its measurement. The buffer must
 * be the caller's private copy: nothing else may write it between the check
 * and the last use of the view (the resource server copies the host's
 * bytes first). Decoding an entry (realm_spec_object() etc.) never fails
 * once the spec has passed the check.
 *
 * Freestanding and pure: no libc, no system calls, no allocation, and no
 * compiled-in maximum: every limit comes from struct realm_spec_limits. */
#ifndef REALMSPEC_REALMSPEC_H
#define REALMSPEC_REALMSPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sha256/sha256.h>

#define REALM_SPEC_MAGIC "ICREALM1"     /* 8 bytes at offset 0 */
#define REALM_SPEC_VERSION 1u
#define REALM_SPEC_HEADER_SIZE 128u
#define REALM_SPEC_NAME_SIZE 32u
#define REALM_SPEC_NONE 0xffffffffu     /* "no object" in an index field */

/* The tables, in the order they follow the header. */
enum realm_spec_table {
    RS_TAB_OBJECTS, RS_TAB_CAPS, RS_TAB_MAPPINGS, RS_TAB_TCBS, RS_TAB_CONNECTIONS, RS_TAB_CHUNKS,
    RS_TAB_COUNT
};
/* Entry sizes in bytes, table by table. */
#define RS_OBJECT_SIZE 8u
#define RS_CAP_SIZE 24u
#define RS_MAPPING_SIZE 24u
#define RS_TCB_SIZE 64u
#define RS_CONNECTION_SIZE 32u
#define RS_CHUNK_SIZE 64u

/* Connection types (RS_CONN_NET and RS_CONN_CHANNEL: reserved, refused by v1) */
#define RS_CONN_CONSOLE 1u
#define RS_CONN_NET 2u
#define RS_CONN_CHANNEL 3u

/* Object types are include/icecap/objects.h's IC_OBJ_* (not UNTYPED). */

enum realm_spec_err {
    RS_OK = 0,
    RS_ERR_ARG,           /* a null pointer or a nonsensical limit */
    RS_ERR_TRUNCATED,     /* shorter than the header */
    RS_ERR_MAGIC,
    RS_ERR_VERSION,
    RS_ERR_HEADER_SIZE,
    RS_ERR_TOTAL_SIZE,    /* total_size is not the buffer's length */
    RS_ERR_RESERVED,      /* a flags or reserved field is not 0 */
    RS_ERR_NAME,          /* empty, bad characters, or not NUL-padded */
    RS_ERR_LIMIT,         /* a table has more entries than the limits allow */
    RS_ERR_LAYOUT,        /* table offsets or data_offset not where v1 puts them */
    RS_ERR_OBJECT_TYPE,   /* unknown or untyped object type */
    RS_ERR_OBJECT_SIZE,   /* size_bits wrong for the type */
    RS_ERR_BUDGET,        /* the objects need more than pool_bytes */
    RS_ERR_INDEX,         /* an object or connection index out of range */
    RS_ERR_WRONG_TYPE,    /* an index names an object of the wrong type */
    RS_ERR_CAP_ORDER,     /* caps not in strictly increasing (cnode, slot) order */
    RS_ERR_SLOT,          /* a slot beyond its CNode, or used twice */
    RS_ERR_RIGHTS,
    RS_ERR_BADGE,         /* a badge on a cap that takes none */
    RS_ERR_MAP_ORDER,     /* mappings not in strictly increasing (vspace, address, kind) order */
    RS_ERR_ALIGN,         /* an address or size not aligned as required */
    RS_ERR_RANGE,         /* an address beyond the VSpace */
    RS_ERR_OVERLAP,       /* two frames (or a frame and a connection) overlap */
    RS_ERR_NO_TABLE,      /* no page table above a mapping, or a table under a 2M frame */
    RS_ERR_TABLE_USE,     /* a page table not mapped exactly once, or in object order */
    RS_ERR_ATTR,          /* bad cacheability or level */
    RS_ERR_TCB_ORDER,     /* TCB entries not one per TCB object, in object order */
    RS_ERR_PRIORITY,
    RS_ERR_AFFINITY,
    RS_ERR_VCPU_BOUND,    /* a VCPU bound to two TCBs, or not in increasing order */
    RS_ERR_IPC_BUFFER,    /* the IPC buffer frame is not mapped at that address */
    RS_ERR_CONN_TYPE,     /* unknown or reserved connection type */
    RS_ERR_CONN_ORDER,    /* connections not in strictly increasing (cnode, slot) order */
    RS_ERR_CONN_SIZE,     /* region size 0, not 4K-aligned, or above the limit */
    RS_ERR_CHUNK_ORDER,   /* chunks not in strictly increasing (frame, offset) order, or overlapping */
    RS_ERR_CHUNK_BOUNDS,  /* a chunk empty or beyond its frame */
    RS_ERR_CHUNK_DATA,    /* chunk bytes not packed in order from data_offset to total_size */
    RS_ERR_DIGEST,        /* a chunk's bytes do not match its SHA-256 */
    RS_ERR_COUNT
};

/* What the resource server accepts; every field bounds one thing. */
struct realm_spec_limits {
    uint32_t max_objects, max_caps, max_mappings, max_tcbs, max_connections, max_chunks;
    uint8_t max_cnode_radix;    /* at most IC_CNODE_MAX_RADIX */
    uint8_t max_priority;       /* the highest priority a realm thread may have */
    uint8_t num_cpus;           /* affinity must be below this; at least 1 */
    uint64_t max_conn_bytes;    /* one connection's shared region */
    uint64_t pool_bytes;        /* the budget: the sum of every object's size */
};

/* A checked spec: where its tables are inside the caller's buffer. */
struct realm_spec_view {
    const uint8_t *base;
    uint64_t total_size, data_offset;
    char name[REALM_SPEC_NAME_SIZE + 1];
    uint32_t count[RS_TAB_COUNT];
    uint64_t offset[RS_TAB_COUNT];
    uint64_t memory_bytes;      /* what the budget check counted */
};

/* Decoded entries (the byte layout is in docs/realm-spec.md). */
struct rs_object { uint8_t type, size_bits; };
struct rs_cap { uint32_t cnode, slot, object; uint16_t rights; uint64_t badge; };
/* kind: the order of entries at one address */
enum rs_map_kind { RS_MAP_L2_TABLE = 0, RS_MAP_L3_TABLE = 1, RS_MAP_FRAME = 2 };
struct rs_mapping { uint32_t vspace, object; uint64_t address; uint8_t rights, attr, level; };
struct rs_tcb {
    uint32_t tcb, cspace, vspace, ipc_buffer, vcpu, fault_ep;
    uint8_t priority, affinity;
    uint64_t ipc_buffer_addr, pc, sp, arg;
};
struct rs_connection { uint16_t type; uint32_t vspace; uint64_t address, size; uint32_t cnode, slot; };
struct rs_chunk { uint32_t frame; uint64_t offset, length, file_offset; uint8_t digest[SHA256_DIGEST_SIZE]; };

int realm_spec_check(const void *spec, size_t len, const struct realm_spec_limits *lim, struct realm_spec_view *out);
/* The measurement of a checked spec: SHA-256 of its first data_offset bytes
 * (the header and every table, chunk digests included). */
void realm_spec_measure(const struct realm_spec_view *v, uint8_t digest[SHA256_DIGEST_SIZE]);
/* A short name for an error code ("RS_ERR_DIGEST"). */
const char *realm_spec_strerror(int err);

/* Entry i of a table (i below the view's count for it). */
void realm_spec_object(const struct realm_spec_view *v, uint32_t i, struct rs_object *o);
void realm_spec_cap(const struct realm_spec_view *v, uint32_t i, struct rs_cap *c);
void realm_spec_mapping(const struct realm_spec_view *v, uint32_t i, struct rs_mapping *m);
void realm_spec_tcb(const struct realm_spec_view *v, uint32_t i, struct rs_tcb *t);
void realm_spec_connection(const struct realm_spec_view *v, uint32_t i, struct rs_connection *c);
void realm_spec_chunk(const struct realm_spec_view *v, uint32_t i, struct rs_chunk *c);
/* Bytes an object of this type and size_bits takes from the pool (0: none). */
uint64_t realm_spec_object_bytes(uint8_t type, uint8_t size_bits);

/* ---- writing a spec (lib/realmspec/encode.c: the compiler and the tests;
 * the resource server only checks) */

/* A whole spec as native tables. The encoder fills in each chunk's
 * file_offset and digest from chunk_data[i] (chunks[i].length bytes). */
struct realm_spec_build {
    const char *name;
    const struct rs_object *objects; uint32_t n_objects;
    const struct rs_cap *caps; uint32_t n_caps;
    const struct rs_mapping *mappings; uint32_t n_mappings;
    const struct rs_tcb *tcbs; uint32_t n_tcbs;
    const struct rs_connection *connections; uint32_t n_connections;
    const struct rs_chunk *chunks; uint32_t n_chunks;
    const void *const *chunk_data;
};

/* The encoded size in bytes, or 0 if it would overflow. */
uint64_t realm_spec_encoded_size(const struct realm_spec_build *b);
/* Writes the spec into out, which holds realm_spec_encoded_size(b) bytes.
 * Does not check it: run realm_spec_check on the result. */
void realm_spec_encode(const struct realm_spec_build *b, uint8_t *out);

#endif
