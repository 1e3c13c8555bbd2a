/* icecap-host's pure half (block.c): the realm device's request and
 * response blocks (docs/resource-server.md), what the program checks of the
 * device and of each answer, and every error in words.
 *
 * No system calls and no allocation: the program (icecap-host.c) maps the
 * device and copies blocks in and out of a slot with aligned 8-byte
 * accesses; everything here works on its private copies, byte by byte, in
 * little-endian whatever the machine. An answer comes from the untrusted
 * host VMM: nothing here trusts a field of it before checking it, and a bad
 * one is an error in words, never a crash. Tested on the build machine by
 * tests/unit/icecap-host. */
#ifndef ICECAP_HOST_BLOCK_H
#define ICECAP_HOST_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* the device's registers and blocks: include/icecap/realm_device.h */
#include <icecap/realm_device.h>

#define RB_REGS_SIZE (REALM_REG_CALL + 4u) /* the registers' page must hold this much */

struct rb_request {
    uint16_t op;
    uint32_t realm;
    uint32_t len;               /* payload bytes */
    uint64_t arg[RB_ARGS];
};

struct rb_response {
    uint16_t op, status;
    uint32_t realm;
    uint32_t len;               /* payload bytes, checked against the slot */
    uint64_t val[RB_ARGS];
};

struct rb_list_entry {
    uint32_t id;
    uint8_t state, vcpus;
    uint64_t bytes;             /* pool bytes the realm holds */
    uint8_t measurement[RB_MEASUREMENT_SIZE];
};

/* What is wrong with a device that says it has these registers and a slot
 * window of window_size bytes (not the device, another version, no room
 * for a header and 8 bytes of payload, a slot size not a multiple of 8, or
 * more slots than the window holds), in words in buf; NULL if nothing. */
const char *rb_check_device(uint32_t magic, uint32_t version, uint32_t slots, uint32_t slot_size,
                            uint64_t window_size, char *buf, size_t n);

/* The request's 64-byte header (flags 0). */
void rb_encode_request(const struct rb_request *rq, uint8_t hdr[RB_HEADER_SIZE]);
/* The header of an answer to rq: NULL if it is a response block for rq's
 * op and realm with a payload of at most max_payload bytes, and then *out
 * holds it; otherwise what is wrong, in words in buf. */
const char *rb_decode_response(const uint8_t hdr[RB_HEADER_SIZE], const struct rb_request *rq,
                               uint32_t max_payload, struct rb_response *out, char *buf, size_t n);
/* What a successful answer's payload must hold for its op (LIST: val[1]
 * entries, no more than the payload has; FINISH: a measurement): NULL if
 * it does, otherwise in words in buf. */
const char *rb_check_payload(const struct rb_response *r, char *buf, size_t n);
/* LIST entry i of a payload that rb_check_payload accepted. */
void rb_list_entry(const uint8_t *payload, uint32_t i, struct rb_list_entry *e);

/* A failed answer to rq (status not OK) in words in buf, e.g. "no such
 * realm 7", "pool exhausted: 3 MiB needed, 2 MiB free" (needed rounded up,
 * free down), "bad spec: ... (RS_ERR_DIGEST)". */
const char *rb_status_words(const struct rb_request *rq, const struct rb_response *r, char *buf, size_t n);
/* What a realm spec error code means ("a chunk's bytes do not match their
 * SHA-256") and its name ("RS_ERR_DIGEST"); NULL for a code this program
 * does not know. */
const char *rb_spec_error_words(uint64_t code);
const char *rb_spec_error_name(uint64_t code);
/* "STATUS" ... "RUN"; NULL for another op. */
const char *rb_op_name(uint16_t op);
/* "loading" ... "faulted"; NULL for another state. */
const char *rb_state_name(uint8_t state);

/* ---- the program's inputs */

/* A decimal u32: digits only, at most 4294967295. */
bool rb_parse_u32(const char *s, uint32_t *out);
/* Whether a device-tree "compatible" property (NUL-separated strings, len
 * bytes) lists name. */
bool rb_compatible_has(const uint8_t *prop, size_t len, const char *name);
/* The first two (address, size) pairs of a "reg" property of big-endian
 * 64-bit cells (#address-cells = #size-cells = 2): the register page, then
 * the slot window. False if it holds fewer, is not whole pairs, or a region
 * is empty or wraps around. */
bool rb_parse_reg(const uint8_t *prop, size_t len, uint64_t addr[2], uint64_t size[2]);
/* The lowest id not among ids[0..n-1] (in any order); false if every u32
 * is taken. */
bool rb_lowest_free_id(const uint32_t *ids, size_t n, uint32_t *out);

/* ---- output */

/* The measurement as 64 lowercase hex digits and a NUL. */
void rb_hex(const uint8_t m[RB_MEASUREMENT_SIZE], char out[2 * RB_MEASUREMENT_SIZE + 1]);
/* bytes in MiB, rounded up to a tenth ("12", "0.1", "2.5"): nothing but 0
 * shows as 0. */
const char *rb_mib_tenths(uint64_t bytes, char *buf, size_t n);

#endif
