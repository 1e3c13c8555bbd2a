/* The realm device: see realm_device.h. */
#include "realm_device.h"

_Static_assert(REALM_DEV_AREA_SIZE == REALM_DEV_SLOT_SIZE, "a request fills at most an area, a response a slot");
_Static_assert(REALM_DEV_WINDOW_OFFSET + REALM_DEV_WINDOW_SIZE <= REALM_DEV_SIZE, "the slots lie in the device");

static uint32_t le16(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t le32(const uint8_t *p)
{
    return le16(p) | le16(p + 2) << 16;
}

static void put_le16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
    put_le16(p, v);
    put_le16(p + 2, v >> 16);
}

/* The slot's header, each byte read exactly once (the host may be
 * changing it). */
static void read_header(uint8_t header[RB_HEADER_SIZE], const uint8_t *slot)
{
    const volatile uint64_t *from = (const volatile uint64_t *)(const void *)slot;
    for (unsigned k = 0; k < RB_HEADER_SIZE / 8; k++) {
        uint64_t w = from[k];
        __builtin_memcpy(header + 8 * k, &w, 8);
    }
}

/* What the host VMM answers when the resource server does not. */
static void write_unavailable(uint8_t *slot, uint32_t op, uint32_t id)
{
    uint8_t response[RB_HEADER_SIZE] = { 0 };
    put_le32(response, RB_RESPONSE_MAGIC);
    put_le16(response + 4, op);
    put_le16(response + 6, RB_UNAVAILABLE);
    put_le32(response + 8, id);
    /* payload length and values 0 */
    __builtin_memcpy(slot, response, sizeof response);
}

void realm_dev_call(const struct realm_dev *d, unsigned vcpu, uint32_t index)
{
    if (index >= REALM_DEV_SLOTS)
        return;
    uint8_t *slot = d->window + (size_t)index * REALM_DEV_SLOT_SIZE;
    uint8_t header[RB_HEADER_SIZE];
    read_header(header, slot);
    uint32_t op = le16(header + 4), id = le32(header + 8), payload = le32(header + 12);
    if (!d->areas || !d->forward || vcpu >= d->num_areas) {
        write_unavailable(slot, op, id);
        return;
    }
    /* a payload longer than a slot holds goes as far as the slot: the
     * resource server sees the header's length and refuses it */
    uint32_t take = payload < REALM_DEV_SLOT_SIZE - RB_HEADER_SIZE ? payload
                                                                          : REALM_DEV_SLOT_SIZE - RB_HEADER_SIZE;
    uint8_t *area = d->areas + (size_t)vcpu * REALM_DEV_AREA_SIZE;
    __builtin_memcpy(area, header, RB_HEADER_SIZE);
    __builtin_memcpy(area + RB_HEADER_SIZE, slot + RB_HEADER_SIZE, take);
    uint64_t answer = 0;
    if (!d->forward(d->ctx, vcpu, RB_HEADER_SIZE + take, &answer) || answer < RB_HEADER_SIZE ||
        answer > REALM_DEV_SLOT_SIZE) {
        write_unavailable(slot, op, id);
        return;
    }
    __builtin_memcpy(slot, area, (size_t)answer);
}

bool realm_dev_access(const struct realm_dev *d, unsigned vcpu, uint64_t offset, unsigned size, bool write,
                      uint64_t value_in, uint64_t *value)
{
    if (size != 4)
        return false;
    if (write) {
        if (offset != REALM_REG_CALL)
            return false;
        realm_dev_call(d, vcpu, (uint32_t)value_in);
        return true;
    }
    switch (offset) {
    case REALM_REG_MAGIC: *value = REALM_DEV_MAGIC; return true;
    case REALM_REG_VERSION: *value = REALM_DEV_VERSION; return true;
    case REALM_REG_SLOTS: *value = REALM_DEV_SLOTS; return true;
    case REALM_REG_SLOT_SIZE: *value = REALM_DEV_SLOT_SIZE; return true;
    case REALM_REG_CALL: *value = 0; return true;
    default: return false;
    }
}
