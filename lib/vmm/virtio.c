/* The virtio-mmio transport and split virtqueues: see vmm/virtio.h.
 * Virtio's layouts are little-endian, as are the guest and the VMM. */
#include <vmm/virtio.h>

void *virtio_mem_at(const struct virtio_mem *m, uint64_t gpa, uint64_t len)
{
    if (gpa < m->gpa)
        return NULL;
    uint64_t off = gpa - m->gpa;
    if (off > m->size || len > m->size - off)
        return NULL;
    return m->host + off;
}

/* ------------------------------------------------------------ queues */

struct virtq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags, next;
};

/* The rings' sizes in bytes, for a queue of n entries (without the event
 * words, which no device here negotiates). */
static uint64_t desc_bytes(uint16_t n) { return 16ull * n; }
static uint64_t avail_bytes(uint16_t n) { return 4 + 2ull * n; }
static uint64_t used_bytes(uint16_t n) { return 4 + 8ull * n; }

static uint16_t *avail_ring(const struct virtq *q, const struct virtio_mem *m)
{
    return virtio_mem_at(m, q->driver, avail_bytes(q->num));
}

static uint8_t *used_ring(const struct virtq *q, const struct virtio_mem *m)
{
    return virtio_mem_at(m, q->device, used_bytes(q->num));
}

/* Whether the driver's size and addresses make a queue the device can use:
 * a power of two no larger than offered, each ring aligned as virtio asks
 * and inside guest memory. */
static bool queue_fits(const struct virtq *q, const struct virtio_mem *m)
{
    uint16_t n = q->num;
    return n != 0 && (n & (n - 1)) == 0 && n <= q->num_max && q->desc % 16 == 0 && q->driver % 2 == 0 &&
           q->device % 4 == 0 && virtio_mem_at(m, q->desc, desc_bytes(n)) && avail_ring(q, m) && used_ring(q, m);
}

static int broken(struct virtq *q)
{
    q->broken = true;
    return -1;
}

int virtq_pop(struct virtq *q, const struct virtio_mem *m, struct virtq_chain *c)
{
    if (!q->ready || q->broken)
        return 0;
    uint16_t *avail = avail_ring(q, m);
    const uint8_t *table = virtio_mem_at(m, q->desc, desc_bytes(q->num));
    if (!avail || !table) /* checked when it became ready; memory does not shrink */
        return broken(q);
    /* the entries the driver published before its index */
    uint16_t avail_idx = __atomic_load_n(&avail[1], __ATOMIC_ACQUIRE);
    uint16_t waiting = (uint16_t)(avail_idx - q->last_avail);
    if (waiting == 0)
        return 0;
    if (waiting > q->num)
        return broken(q);
    uint16_t mask = (uint16_t)(q->num - 1);
    uint16_t index = __atomic_load_n(&avail[2 + (q->last_avail & mask)], __ATOMIC_RELAXED);
    *c = (struct virtq_chain){ .head = index };
    bool writable = false;
    for (unsigned n = 0;; n++) {
        /* a chain longer than the queue has a loop */
        if (index >= q->num || n >= q->num || n >= VIRTQ_MAX_SEGS)
            return broken(q);
        struct virtq_desc d;
        /* one copy: the driver may change the table while we look */
        __builtin_memcpy(&d, table + 16ull * index, sizeof d);
        if (d.flags & VIRTQ_DESC_F_INDIRECT)
            return broken(q);
        uint8_t *p = virtio_mem_at(m, d.addr, d.len);
        if (!p)
            return broken(q);
        if (d.flags & VIRTQ_DESC_F_WRITE) {
            writable = true;
            c->num_write++;
            c->write_len += d.len;
        } else {
            if (writable) /* readable segments come first */
                return broken(q);
            c->num_read++;
            c->read_len += d.len;
        }
        c->seg[n] = (struct virtq_seg){ p, d.len };
        if (!(d.flags & VIRTQ_DESC_F_NEXT))
            break;
        index = d.next;
    }
    q->last_avail++;
    return 1;
}

bool virtq_push(struct virtq *q, const struct virtio_mem *m, uint16_t head, uint32_t written)
{
    uint8_t *used = used_ring(q, m);
    uint16_t *avail = avail_ring(q, m);
    if (!q->ready || q->broken || !used || !avail)
        return false;
    uint8_t *elem = used + 4 + 8ull * (q->used_idx & (uint16_t)(q->num - 1));
    uint32_t id = head, len = written;
    __builtin_memcpy(elem, &id, 4);
    __builtin_memcpy(elem + 4, &len, 4);
    q->used_idx++;
    /* the element before the index that publishes it */
    __atomic_store_n((uint16_t *)(used + 2), q->used_idx, __ATOMIC_RELEASE);
    /* and the index before the driver's flags are read: a driver that
     * turns interrupts back on then looks at the index again */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return !(__atomic_load_n(&avail[0], __ATOMIC_RELAXED) & VIRTQ_AVAIL_F_NO_INTERRUPT);
}

size_t virtq_chain_read(const struct virtq_chain *c, uint64_t from, void *buf, size_t len)
{
    size_t done = 0;
    for (unsigned s = 0; s < c->num_read && done < len; s++) {
        const struct virtq_seg *g = &c->seg[s];
        if (from >= g->len) {
            from -= g->len;
            continue;
        }
        size_t n = g->len - from < len - done ? (size_t)(g->len - from) : len - done;
        __builtin_memcpy((uint8_t *)buf + done, g->p + from, n);
        done += n;
        from = 0;
    }
    return done;
}

size_t virtq_chain_write(const struct virtq_chain *c, const void *buf, size_t len)
{
    size_t done = 0;
    for (unsigned s = c->num_read; s < c->num_read + c->num_write && done < len; s++) {
        const struct virtq_seg *g = &c->seg[s];
        size_t n = g->len < len - done ? g->len : len - done;
        __builtin_memcpy(g->p, (const uint8_t *)buf + done, n);
        done += n;
    }
    return done;
}

/* ------------------------------------------------------------ transport */

static void transport_reset(struct virtio_mmio *d)
{
    d->queue_epoch++;
    d->driver_features = 0;
    d->device_features_sel = d->driver_features_sel = d->queue_sel = 0;
    d->status = d->interrupt_status = 0;
    for (unsigned q = 0; q < d->num_queues; q++)
        d->queue[q] = (struct virtq){ .num_max = d->queue[q].num_max };
}

bool virtio_mmio_init(struct virtio_mmio *d, uint32_t device_id, uint64_t features, unsigned num_queues,
                      unsigned queue_max, const struct virtio_mem *mem, const struct virtio_device_ops *ops,
                      void *ctx)
{
    if (num_queues == 0 || num_queues > VIRTIO_MAX_QUEUES || queue_max == 0 || queue_max > VIRTQ_MAX_SIZE ||
        (queue_max & (queue_max - 1)) || !mem || !ops || (features & ~VIRTIO_DEVICE_FEATURES) ||
        ((uintptr_t)mem->host - mem->gpa) % 16)
        return false;
    *d = (struct virtio_mmio){ .device_id = device_id, .device_features = features | VIRTIO_F_VERSION_1,
                               .num_queues = num_queues, .mem = *mem, .ops = ops, .ctx = ctx };
    for (unsigned q = 0; q < num_queues; q++)
        d->queue[q].num_max = (uint16_t)queue_max;
    transport_reset(d);
    return true;
}

static struct virtq *selected(struct virtio_mmio *d)
{
    return d->queue_sel < d->num_queues ? &d->queue[d->queue_sel] : NULL;
}

uint32_t virtio_mmio_read(struct virtio_mmio *d, uint64_t offset, unsigned size)
{
    if (offset >= VIRTIO_MMIO_CONFIG) {
        if (offset >= VIRTIO_MMIO_SIZE || size > VIRTIO_MMIO_SIZE - offset || !d->ops->config_read)
            return 0;
        return d->ops->config_read(d, (uint32_t)(offset - VIRTIO_MMIO_CONFIG), size);
    }
    if (size != 4 || offset % 4)
        return 0;
    struct virtq *q = selected(d);
    switch (offset) {
    case VIRTIO_MMIO_MAGIC:
        return VIRTIO_MMIO_MAGIC_VALUE;
    case VIRTIO_MMIO_VERSION:
        return 2;
    case VIRTIO_MMIO_DEVICE_ID:
        return d->device_id;
    case VIRTIO_MMIO_VENDOR_ID:
        return VIRTIO_VENDOR_ICECAP;
    case VIRTIO_MMIO_DEVICE_FEATURES:
        return d->device_features_sel < 2 ? (uint32_t)(d->device_features >> (32 * d->device_features_sel)) : 0;
    case VIRTIO_MMIO_QUEUE_NUM_MAX:
        return q ? q->num_max : 0;
    case VIRTIO_MMIO_QUEUE_READY:
        return q ? q->ready : 0;
    case VIRTIO_MMIO_INTERRUPT_STATUS:
        return d->interrupt_status;
    case VIRTIO_MMIO_STATUS:
        return d->status;
    case VIRTIO_MMIO_CONFIG_GENERATION:
        return d->config_generation;
    default:
        return 0; /* write-only and reserved registers */
    }
}

/* A queue's 64-bit address, written as two halves while it is not ready. */
static void set_half(uint64_t *addr, bool high, uint32_t value)
{
    if (high)
        *addr = (*addr & 0xffffffffull) | (uint64_t)value << 32;
    else
        *addr = (*addr & ~0xffffffffull) | value;
}

static void write_status(struct virtio_mmio *d, uint32_t value)
{
    if (value == 0) {
        transport_reset(d);
        if (d->ops->reset)
            d->ops->reset(d);
        return;
    }
    value &= 0xffu & ~VIRTIO_STATUS_NEEDS_RESET;
    /* FEATURES_OK only for what the device offered, and never without
     * version 1: the driver reads the status back to see it refused */
    if ((value & VIRTIO_STATUS_FEATURES_OK) && !(d->status & VIRTIO_STATUS_FEATURES_OK) &&
        ((d->driver_features & ~d->device_features) || !(d->driver_features & VIRTIO_F_VERSION_1)))
        value &= ~VIRTIO_STATUS_FEATURES_OK;
    /* a queue refused while the driver set up (virtio_mmio_needs_reset)
     * is told when it says it is done: Linux reads back FEATURES_OK only */
    if ((value & VIRTIO_STATUS_DRIVER_OK) && !(d->status & VIRTIO_STATUS_DRIVER_OK) &&
        (d->status & VIRTIO_STATUS_NEEDS_RESET))
        d->interrupt_status |= VIRTIO_INT_CONFIG;
    d->status = value | (d->status & VIRTIO_STATUS_NEEDS_RESET);
}

void virtio_mmio_write(struct virtio_mmio *d, uint64_t offset, unsigned size, uint32_t value)
{
    if (offset >= VIRTIO_MMIO_CONFIG || size != 4 || offset % 4)
        return; /* no device here has a writable configuration */
    struct virtq *q = selected(d);
    bool q_settable = q && !q->ready;
    switch (offset) {
    case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
        d->device_features_sel = value;
        break;
    case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
        d->driver_features_sel = value;
        break;
    case VIRTIO_MMIO_DRIVER_FEATURES:
        if (d->driver_features_sel < 2 && !(d->status & VIRTIO_STATUS_FEATURES_OK)) {
            unsigned shift = 32 * d->driver_features_sel;
            d->driver_features = (d->driver_features & ~(0xffffffffull << shift)) | (uint64_t)value << shift;
        }
        break;
    case VIRTIO_MMIO_QUEUE_SEL:
        d->queue_sel = value;
        break;
    case VIRTIO_MMIO_QUEUE_NUM:
        if (q_settable)
            q->num = value <= 0xffff ? (uint16_t)value : 0;
        break;
    case VIRTIO_MMIO_QUEUE_READY:
        if (!q)
            break;
        if (!(value & 1)) {
            if (q->ready)
                d->queue_epoch++;
            q->ready = false;
        } else if (!q->ready) {
            d->queue_epoch++;
            q->last_avail = q->used_idx = 0;
            q->broken = false;
            q->ready = true;
            if (!queue_fits(q, &d->mem)) {
                q->broken = true;
                virtio_mmio_needs_reset(d);
            }
        }
        break;
    case VIRTIO_MMIO_QUEUE_DESC_LOW:
    case VIRTIO_MMIO_QUEUE_DESC_HIGH:
        if (q_settable)
            set_half(&q->desc, offset == VIRTIO_MMIO_QUEUE_DESC_HIGH, value);
        break;
    case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
    case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
        if (q_settable)
            set_half(&q->driver, offset == VIRTIO_MMIO_QUEUE_DRIVER_HIGH, value);
        break;
    case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
    case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
        if (q_settable)
            set_half(&q->device, offset == VIRTIO_MMIO_QUEUE_DEVICE_HIGH, value);
        break;
    case VIRTIO_MMIO_QUEUE_NOTIFY:
        if (value < d->num_queues && virtio_mmio_queue_live(d, value) && d->ops->notify)
            d->ops->notify(d, value);
        break;
    case VIRTIO_MMIO_INTERRUPT_ACK:
        d->interrupt_status &= ~value;
        break;
    case VIRTIO_MMIO_STATUS:
        write_status(d, value);
        break;
    default:
        break; /* read-only and reserved registers */
    }
}

bool virtio_mmio_queue_live(const struct virtio_mmio *d, unsigned q)
{
    const uint32_t on = VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_FEATURES_OK;
    const uint32_t off = VIRTIO_STATUS_FAILED | VIRTIO_STATUS_NEEDS_RESET;
    return q < d->num_queues && (d->status & on) == on && !(d->status & off) && d->queue[q].ready &&
           !d->queue[q].broken;
}

int virtio_mmio_pop(struct virtio_mmio *d, unsigned q, struct virtq_chain *c)
{
    if (!virtio_mmio_queue_live(d, q))
        return 0;
    int got = virtq_pop(&d->queue[q], &d->mem, c);
    if (got < 0)
        virtio_mmio_needs_reset(d);
    return got;
}

void virtio_mmio_push(struct virtio_mmio *d, unsigned q, uint16_t head, uint32_t written)
{
    if (virtio_mmio_queue_live(d, q) && virtq_push(&d->queue[q], &d->mem, head, written))
        virtio_mmio_used(d);
}

void virtio_mmio_used(struct virtio_mmio *d)
{
    d->interrupt_status |= VIRTIO_INT_USED;
}

void virtio_mmio_needs_reset(struct virtio_mmio *d)
{
    /* before the driver is done setting up it reads the status itself */
    if (d->status & VIRTIO_STATUS_DRIVER_OK)
        d->interrupt_status |= VIRTIO_INT_CONFIG;
    d->status |= VIRTIO_STATUS_NEEDS_RESET;
}

bool virtio_mmio_irq_level(const struct virtio_mmio *d)
{
    return d->interrupt_status != 0;
}
