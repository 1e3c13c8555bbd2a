/* Request and response blocks of the realm device (docs/resource-server.md,
 * "Request and response blocks"): what the host writes into a slot, which
 * the host VMM forwards into an area of realm-requests. Pure: the resource
 * server decodes its private copy of a block here and encodes its answer.
 * Little-endian, whatever the CPU. */
#ifndef RESOURCE_SERVER_BLOCK_H
#define RESOURCE_SERVER_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <icecap/realm_device.h>

#define RB_AREA_SIZE REALM_DEV_SLOT_SIZE /* an area of realm-requests holds a slot */

struct rb_request {
    uint16_t op;
    uint32_t id;
    uint32_t payload_len;
    uint64_t arg[RB_ARGS];
    const uint8_t *payload;     /* into the caller's private copy */
};

struct rb_response {
    uint16_t op, status;
    uint32_t id;
    uint32_t payload_len;       /* the payload is written by the caller after the header */
    uint64_t val[RB_ARGS];
};

/* Decodes the block in buf[0..len) (a private copy). RB_OK and *req
 * filled, or RB_BAD_REQUEST: shorter than a header, a wrong magic, flags
 * not 0, a payload longer than what follows the header, an argument the
 * op does not take not 0; RB_BAD_OP for an unknown op. Whenever the magic
 * is right, req->op and req->id are the block's (0 otherwise), for the
 * answer to echo. */
int rb_decode_request(const uint8_t *buf, size_t len, struct rb_request *req);

/* Writes the response header at out[0..RB_HEADER_SIZE); returns the
 * block's length, RB_HEADER_SIZE + payload_len. */
size_t rb_encode_response(const struct rb_response *resp, uint8_t *out);

/* A LIST entry at out[0..RB_LIST_ENTRY_SIZE). */
void rb_encode_list_entry(uint8_t *out, uint32_t id, uint8_t state, uint8_t vcpus, uint64_t bytes,
                          const uint8_t measurement[32]);

#endif
