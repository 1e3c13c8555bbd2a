/* Writing a realm spec: see realmspec/realmspec.h. The checker does not use
 * this file. */
#include <realmspec/realmspec.h>

static void wr(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t tables_end(const struct realm_spec_build *b, uint64_t offset[RS_TAB_COUNT])
{
    const uint64_t n[RS_TAB_COUNT] = { b->n_objects, b->n_caps, b->n_mappings, b->n_tcbs, b->n_connections,
                                       b->n_chunks };
    const uint64_t size[RS_TAB_COUNT] = { RS_OBJECT_SIZE, RS_CAP_SIZE, RS_MAPPING_SIZE, RS_TCB_SIZE,
                                          RS_CONNECTION_SIZE, RS_CHUNK_SIZE };
    uint64_t at = REALM_SPEC_HEADER_SIZE;
    for (unsigned t = 0; t < RS_TAB_COUNT; t++) {
        offset[t] = at;
        at += n[t] * size[t]; /* 32-bit counts, entries of at most 64 bytes */
    }
    return at;
}

uint64_t realm_spec_encoded_size(const struct realm_spec_build *b)
{
    uint64_t offset[RS_TAB_COUNT];
    uint64_t at = tables_end(b, offset);
    for (uint32_t i = 0; i < b->n_chunks; i++)
        if (__builtin_add_overflow(at, b->chunks[i].length, &at))
            return 0;
    return at;
}

static void put_entries(const struct realm_spec_build *b, uint8_t *out, const uint64_t offset[RS_TAB_COUNT])
{
    for (uint32_t i = 0; i < b->n_objects; i++) {
        uint8_t *p = out + offset[RS_TAB_OBJECTS] + (uint64_t)i * RS_OBJECT_SIZE;
        p[0] = b->objects[i].type, p[1] = b->objects[i].size_bits;
    }
    for (uint32_t i = 0; i < b->n_caps; i++) {
        const struct rs_cap *c = &b->caps[i];
        uint8_t *p = out + offset[RS_TAB_CAPS] + (uint64_t)i * RS_CAP_SIZE;
        wr(p, c->cnode, 4), wr(p + 4, c->slot, 4), wr(p + 8, c->object, 4), wr(p + 12, c->rights, 2);
        wr(p + 16, c->badge, 8);
    }
    for (uint32_t i = 0; i < b->n_mappings; i++) {
        const struct rs_mapping *m = &b->mappings[i];
        uint8_t *p = out + offset[RS_TAB_MAPPINGS] + (uint64_t)i * RS_MAPPING_SIZE;
        wr(p, m->vspace, 4), wr(p + 4, m->object, 4), wr(p + 8, m->address, 8);
        p[16] = m->rights, p[17] = m->attr, p[18] = m->level;
    }
    for (uint32_t i = 0; i < b->n_tcbs; i++) {
        const struct rs_tcb *t = &b->tcbs[i];
        uint8_t *p = out + offset[RS_TAB_TCBS] + (uint64_t)i * RS_TCB_SIZE;
        wr(p, t->tcb, 4), wr(p + 4, t->cspace, 4), wr(p + 8, t->vspace, 4), wr(p + 12, t->ipc_buffer, 4);
        wr(p + 16, t->vcpu, 4), wr(p + 20, t->fault_ep, 4);
        p[24] = t->priority, p[25] = t->affinity;
        wr(p + 32, t->ipc_buffer_addr, 8), wr(p + 40, t->pc, 8), wr(p + 48, t->sp, 8), wr(p + 56, t->arg, 8);
    }
    for (uint32_t i = 0; i < b->n_connections; i++) {
        const struct rs_connection *c = &b->connections[i];
        uint8_t *p = out + offset[RS_TAB_CONNECTIONS] + (uint64_t)i * RS_CONNECTION_SIZE;
        wr(p, c->type, 2), wr(p + 4, c->vspace, 4), wr(p + 8, c->address, 8), wr(p + 16, c->size, 8);
        wr(p + 24, c->cnode, 4), wr(p + 28, c->slot, 4);
    }
}

void realm_spec_encode(const struct realm_spec_build *b, uint8_t *out)
{
    uint64_t offset[RS_TAB_COUNT];
    uint64_t data = tables_end(b, offset), at = data;
    for (uint64_t i = 0; i < data; i++)
        out[i] = 0;
    for (unsigned i = 0; i < 8; i++)
        out[i] = (uint8_t)REALM_SPEC_MAGIC[i];
    wr(out + 8, REALM_SPEC_VERSION, 4);
    wr(out + 12, REALM_SPEC_HEADER_SIZE, 4);
    wr(out + 16, realm_spec_encoded_size(b), 8);
    wr(out + 24, data, 8);
    for (unsigned i = 0; b->name && b->name[i] && i < REALM_SPEC_NAME_SIZE; i++)
        out[32 + i] = (uint8_t)b->name[i];
    const uint32_t n[RS_TAB_COUNT] = { b->n_objects, b->n_caps, b->n_mappings, b->n_tcbs, b->n_connections,
                                       b->n_chunks };
    for (unsigned t = 0; t < RS_TAB_COUNT; t++)
        wr(out + 64 + 8 * t, offset[t], 4), wr(out + 68 + 8 * t, n[t], 4);
    put_entries(b, out, offset);
    for (uint32_t i = 0; i < b->n_chunks; i++) {
        const struct rs_chunk *c = &b->chunks[i];
        uint8_t *p = out + offset[RS_TAB_CHUNKS] + (uint64_t)i * RS_CHUNK_SIZE;
        const uint8_t *src = b->chunk_data[i];
        wr(p, c->frame, 4), wr(p + 8, c->offset, 8), wr(p + 16, c->length, 8), wr(p + 24, at, 8);
        for (uint64_t k = 0; k < c->length; k++)
            out[at + k] = src[k];
        sha256(src, c->length, p + 32);
        at += c->length;
    }
}
