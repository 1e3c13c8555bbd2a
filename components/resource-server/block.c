/* Request and response blocks (block.h). */
#include "block.h"

static uint64_t get(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void put(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* How many arguments each op takes (the rest must be 0), and whether it
 * carries a payload. */
static bool op_shape(uint16_t op, unsigned *args, bool *payload)
{
    *payload = false;
    switch (op) {
    case RB_OP_STATUS: case RB_OP_FINISH: case RB_OP_ABORT: case RB_OP_DESTROY:
        *args = 0;
        return true;
    case RB_OP_LIST: case RB_OP_CREATE:
        *args = 1;
        return true;
    case RB_OP_LOAD:
        *args = 1;
        *payload = true;
        return true;
    default:
        return false;
    }
}

int rb_decode_request(const uint8_t *buf, size_t len, struct rb_request *req)
{
    req->op = 0;
    req->id = 0;
    if (len < RB_HEADER_SIZE || get(buf, 4) != RB_REQUEST_MAGIC)
        return RB_BAD_REQUEST;
    /* from here on the answer echoes them */
    req->op = (uint16_t)get(buf + 4, 2);
    req->id = (uint32_t)get(buf + 8, 4);
    if (get(buf + 6, 2) != 0)
        return RB_BAD_REQUEST;
    req->payload_len = (uint32_t)get(buf + 12, 4);
    for (unsigned i = 0; i < RB_ARGS; i++)
        req->arg[i] = get(buf + 16 + 8 * i, 8);
    req->payload = buf + RB_HEADER_SIZE;
    unsigned args;
    bool payload;
    if (!op_shape(req->op, &args, &payload))
        return RB_BAD_OP;
    if (req->payload_len > len - RB_HEADER_SIZE || (!payload && req->payload_len))
        return RB_BAD_REQUEST;
    for (unsigned i = args; i < RB_ARGS; i++)
        if (req->arg[i])
            return RB_BAD_REQUEST;
    return RB_OK;
}

size_t rb_encode_response(const struct rb_response *resp, uint8_t *out)
{
    put(out, RB_RESPONSE_MAGIC, 4);
    put(out + 4, resp->op, 2);
    put(out + 6, resp->status, 2);
    put(out + 8, resp->id, 4);
    put(out + 12, resp->payload_len, 4);
    for (unsigned i = 0; i < RB_ARGS; i++)
        put(out + 16 + 8 * i, resp->val[i], 8);
    return RB_HEADER_SIZE + resp->payload_len;
}

void rb_encode_list_entry(uint8_t *out, uint32_t id, uint8_t state, uint8_t vcpus, uint64_t bytes,
                          const uint8_t measurement[32])
{
    for (unsigned i = 0; i < RB_LIST_ENTRY_SIZE; i++)
        out[i] = 0;
    put(out, id, 4);
    out[4] = state;
    out[5] = vcpus;
    put(out + 8, bytes, 8);
    for (unsigned i = 0; i < 32; i++)
        out[32 + i] = measurement[i];
}
