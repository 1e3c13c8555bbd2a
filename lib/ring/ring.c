/* Single-producer single-consumer rings in shared memory: see ring/ring.h
 * and docs/ring.md.
 *
 * Ordering. The peer's offset is loaded (relaxed) and followed by an
 * acquire fence, so the data accesses that depend on it come after it: the
 * consumer does not read bytes before it has seen them published, the
 * producer does not overwrite bytes before it has seen them freed. Our own
 * offset is stored (relaxed) after a release fence, so the peer sees the
 * data (or the freed space) before the offset that hands it over. Setting
 * a waiting flag and then loading the peer's offset, or storing our offset
 * and then loading the peer's flag, is a store followed by a load of
 * another location: only a full fence orders that (docs/ring.md says why no
 * wake-up is lost).
 *
 * Shared bytes are accessed through volatile pointers: the compiler must
 * not read a byte twice, as what the peer could change between two reads
 * is exactly what the callers must not see. */
#include <ring/ring.h>

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the control block is little-endian");

static uint32_t load32(const volatile uint32_t *p)
{
    return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static void store32(volatile uint32_t *p, uint32_t v)
{
    __atomic_store_n(p, v, __ATOMIC_RELAXED);
}

static bool size_ok(uint32_t size)
{
    return size >= RING_MIN_SIZE && size <= RING_MAX_SIZE && (size & (size - 1)) == 0;
}

static int attach(struct ring *r, void *base, uint32_t size, enum ring_side side)
{
    *r = (struct ring){ .side = RING_UNATTACHED };
    if (!base || ((uintptr_t)base & 3) || !size_ok(size))
        return RING_BAD_ARG;
    volatile struct ring_ctrl *ctrl = base;
    *r = (struct ring){
        .ctrl = ctrl,
        .data = (volatile uint8_t *)base + RING_CTRL_SIZE,
        .size = size,
        .mine = load32(side == RING_PRODUCER ? &ctrl->write : &ctrl->read),
        .want = 1,
        .side = side,
    };
    return 0;
}

int ring_attach_producer(struct ring *r, void *base, uint32_t size)
{
    return attach(r, base, size, RING_PRODUCER);
}

int ring_attach_consumer(struct ring *r, void *base, uint32_t size)
{
    return attach(r, base, size, RING_CONSUMER);
}

int ring_pair_attach(struct ring *tx, struct ring *rx, void *region, size_t region_size, unsigned side)
{
    *tx = (struct ring){ .side = RING_UNATTACHED };
    *rx = (struct ring){ .side = RING_UNATTACHED };
    if (region_size < 4 * RING_MIN_SIZE || side > 1)
        return RING_BAD_ARG;
    size_t half = (region_size / 2) & ~(size_t)(RING_CTRL_SIZE - 1);
    uint32_t size = RING_MAX_SIZE;
    while (size > half - RING_CTRL_SIZE)
        size /= 2;
    uint8_t *ring0 = region, *ring1 = ring0 + half;
    int err = ring_attach_producer(tx, side == 0 ? ring0 : ring1, size);
    if (err == 0)
        err = ring_attach_consumer(rx, side == 0 ? ring1 : ring0, size);
    if (err)
        *tx = (struct ring){ .side = RING_UNATTACHED };
    return err;
}

/* The bytes between the peer's offset and ours, checked; 'used' for the
 * producer, 'available' for the consumer. */
static int look(struct ring *r, enum ring_side side)
{
    if (r->side != side)
        return RING_BAD_ARG;
    uint32_t n = side == RING_PRODUCER ? r->mine - load32(&r->ctrl->read) : load32(&r->ctrl->write) - r->mine;
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    return n <= r->size ? (int)n : RING_BROKEN;
}

/* Our offset advances by n, then the peer may see it. */
static void publish(struct ring *r, uint32_t n, volatile uint32_t *field)
{
    if (n == 0)
        return;
    r->mine += n;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    store32(field, r->mine);
}

static void copy_in(struct ring *r, uint32_t off, const uint8_t *src, uint32_t n)
{
    uint32_t mask = r->size - 1;
    for (uint32_t i = 0; i < n; i++)
        r->data[(off + i) & mask] = src[i];
}

static void copy_out(struct ring *r, uint32_t off, uint8_t *dst, uint32_t n)
{
    uint32_t mask = r->size - 1;
    for (uint32_t i = 0; i < n; i++)
        dst[i] = r->data[(off + i) & mask];
}

static uint32_t min32(uint32_t a, size_t b)
{
    return b < a ? (uint32_t)b : a;
}

int ring_available(struct ring *r)
{
    return look(r, RING_CONSUMER);
}

int ring_space(struct ring *r)
{
    int used = look(r, RING_PRODUCER);
    return used < 0 ? used : (int)r->size - used;
}

int ring_write(struct ring *r, const void *buf, size_t len)
{
    int space = ring_space(r);
    if (space < 0)
        return space;
    uint32_t n = min32((uint32_t)space, len);
    copy_in(r, r->mine, buf, n);
    publish(r, n, &r->ctrl->write);
    r->want = 1;
    return (int)n;
}

int ring_read(struct ring *r, void *buf, size_t len)
{
    int avail = ring_available(r);
    if (avail < 0)
        return avail;
    uint32_t n = min32((uint32_t)avail, len);
    copy_out(r, r->mine, buf, n);
    publish(r, n, &r->ctrl->read);
    r->want = 1;
    return (int)n;
}

int ring_write_packet(struct ring *r, const void *buf, size_t len)
{
    if (r->side != RING_PRODUCER || len == 0)
        return RING_BAD_ARG;
    if (len > r->size - RING_PACKET_HEADER)
        return RING_TOO_BIG;
    int space = ring_space(r);
    if (space < 0)
        return space;
    uint32_t n = (uint32_t)len;
    if ((uint32_t)space < RING_PACKET_HEADER + n) {
        r->want = RING_PACKET_HEADER + n;
        return 0;
    }
    uint8_t header[RING_PACKET_HEADER] = { (uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24) };
    copy_in(r, r->mine, header, RING_PACKET_HEADER);
    copy_in(r, r->mine + RING_PACKET_HEADER, buf, n);
    publish(r, RING_PACKET_HEADER + n, &r->ctrl->write);
    r->want = 1;
    return (int)n;
}

int ring_read_packet(struct ring *r, void *buf, size_t len)
{
    int avail = ring_available(r);
    if (avail < 0)
        return avail;
    if ((uint32_t)avail < RING_PACKET_HEADER) {
        r->want = RING_PACKET_HEADER;
        return 0;
    }
    uint8_t h[RING_PACKET_HEADER];
    copy_out(r, r->mine, h, RING_PACKET_HEADER);
    uint32_t n = h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16 | (uint32_t)h[3] << 24;
    if (n == 0 || n > r->size - RING_PACKET_HEADER)
        return RING_BROKEN;
    if (n > len)
        return RING_TOO_BIG;
    if ((uint32_t)avail - RING_PACKET_HEADER < n) {
        r->want = RING_PACKET_HEADER + n;
        return 0;
    }
    copy_out(r, r->mine + RING_PACKET_HEADER, buf, n);
    publish(r, RING_PACKET_HEADER + n, &r->ctrl->read);
    r->want = 1;
    return (int)n;
}

/* Sets our flag, then (full fence) looks at the peer's offset again: the
 * peer stores its offset and then (full fence) looks at our flag, so at
 * least one of us sees the other's store. A broken offset never lets us
 * sleep: the next operation reports it. */
static bool prepare_wait(struct ring *r, enum ring_side side)
{
    if (r->side != side)
        return false;
    volatile uint32_t *flag = side == RING_CONSUMER ? &r->ctrl->reader_waiting : &r->ctrl->writer_waiting;
    store32(flag, 1);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    int gap = look(r, side);
    int have = side == RING_CONSUMER ? gap : (int)r->size - gap;
    if (gap >= 0 && (uint32_t)have < r->want)
        return true;
    store32(flag, 0);
    return false;
}

bool ring_prepare_wait_read(struct ring *r)
{
    return prepare_wait(r, RING_CONSUMER);
}

bool ring_prepare_wait_write(struct ring *r)
{
    return prepare_wait(r, RING_PRODUCER);
}

/* Any value but 0 is a request: a peer that sets it when it should not
 * only gets signals it did not need. */
static bool need_wake(struct ring *r, enum ring_side side)
{
    if (r->side != side)
        return false;
    /* the peer's flag: the producer wakes a waiting reader, and back */
    volatile uint32_t *flag = side == RING_PRODUCER ? &r->ctrl->reader_waiting : &r->ctrl->writer_waiting;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (load32(flag) == 0)
        return false;
    store32(flag, 0);
    return true;
}

bool ring_need_wake_reader(struct ring *r)
{
    return need_wake(r, RING_PRODUCER);
}

bool ring_need_wake_writer(struct ring *r)
{
    return need_wake(r, RING_CONSUMER);
}
