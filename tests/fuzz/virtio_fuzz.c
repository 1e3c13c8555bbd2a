/* libFuzzer target for the virtio-mmio transport and split virtqueues
 * (lib/vmm/virtio.c). The input is a driver: a configuration byte, an
 * image of the start of guest memory (GUEST_SIZE bytes, where the rings
 * go), then commands: register accesses, Linux's whole probe, descriptors
 * and available entries written into guest memory, and the device
 * model's pops, pushes and copies. Whatever the driver does, nothing
 * outside guest memory is touched and the header's promises hold; a
 * broken promise aborts with its line.
 * Not part of make test: make fuzz-virtio (mk/realm.mk) needs clang. */
#include <vmm/virtio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define GUEST_SIZE 8192u
#define ACK VIRTIO_STATUS_ACKNOWLEDGE
#define DRIVER VIRTIO_STATUS_DRIVER
#define FEATURES_OK VIRTIO_STATUS_FEATURES_OK
#define DRIVER_OK VIRTIO_STATUS_DRIVER_OK

#define PROMISE(c) do { if (!(c)) broken_promise(__LINE__, #c); } while (0)

static _Noreturn void broken_promise(int line, const char *what)
{
    fprintf(stderr, "virtio_fuzz.c:%d: %s\n", line, what);
    abort();
}

struct input {
    const uint8_t *p;
    size_t left;
};

/* The next 'bytes' bytes, little-endian; zeros once the input is used up. */
static uint64_t take(struct input *in, unsigned bytes)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes && in->left; i++, in->left--)
        v |= (uint64_t)*in->p++ << (8 * i);
    return v;
}

static struct {
    struct virtio_mmio d;
    struct virtio_mem mem;
    uint16_t pending[VIRTIO_MAX_QUEUES][VIRTQ_MAX_SIZE]; /* heads popped, not yet pushed */
    unsigned num_pending[VIRTIO_MAX_QUEUES];
    struct virtq_chain chain; /* the last chain popped */
    bool have_chain;
} f;

/* ---- the device model, which checks what the transport asks of it */

static void model_notify(struct virtio_mmio *d, unsigned queue)
{
    PROMISE(d == &f.d);
    PROMISE(queue < d->num_queues);
    PROMISE(virtio_mmio_queue_live(d, queue));
}

static void model_reset(struct virtio_mmio *d)
{
    PROMISE(d == &f.d);
    PROMISE(d->status == 0 && d->interrupt_status == 0 && d->driver_features == 0);
    for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++) {
        PROMISE(!d->queue[q].ready && !d->queue[q].broken);
        f.num_pending[q] = 0;
    }
}

static uint32_t model_config_read(struct virtio_mmio *d, uint32_t offset, unsigned size)
{
    PROMISE(d == &f.d);
    PROMISE(offset < VIRTIO_MMIO_SIZE - VIRTIO_MMIO_CONFIG);
    PROMISE(size <= VIRTIO_MMIO_SIZE - VIRTIO_MMIO_CONFIG - offset);
    return 0x5a000000u | offset;
}

static const struct virtio_device_ops model_ops = {
    .notify = model_notify, .reset = model_reset, .config_read = model_config_read,
};

/* ---- guest memory, as the driver writes it */

/* Whether [gpa, gpa + len) is guest memory, worked out without the
 * library's arithmetic. */
static bool in_guest(uint64_t gpa, uint64_t len)
{
    return gpa >= f.mem.gpa && (unsigned __int128)gpa + len <= (unsigned __int128)f.mem.gpa + f.mem.size;
}

static void poke(uint64_t gpa, const void *p, uint64_t len)
{
    if (in_guest(gpa, len))
        memcpy(f.mem.host + (gpa - f.mem.gpa), p, len);
}

static uint16_t peek16(uint64_t gpa)
{
    uint16_t v = 0;
    if (in_guest(gpa, 2))
        memcpy(&v, f.mem.host + (gpa - f.mem.gpa), 2);
    return v;
}

static uint32_t rd(uint64_t offset)
{
    return virtio_mmio_read(&f.d, offset, 4);
}

static void wr(uint64_t offset, uint32_t value)
{
    virtio_mmio_write(&f.d, offset, 4, value);
}

/* ---- commands */

static const uint16_t regs[] = {
    VIRTIO_MMIO_MAGIC, VIRTIO_MMIO_VERSION, VIRTIO_MMIO_DEVICE_ID, VIRTIO_MMIO_VENDOR_ID,
    VIRTIO_MMIO_DEVICE_FEATURES, VIRTIO_MMIO_DEVICE_FEATURES_SEL, VIRTIO_MMIO_DRIVER_FEATURES,
    VIRTIO_MMIO_DRIVER_FEATURES_SEL, VIRTIO_MMIO_QUEUE_SEL, VIRTIO_MMIO_QUEUE_NUM_MAX, VIRTIO_MMIO_QUEUE_NUM,
    VIRTIO_MMIO_QUEUE_READY, VIRTIO_MMIO_QUEUE_NOTIFY, VIRTIO_MMIO_INTERRUPT_STATUS, VIRTIO_MMIO_INTERRUPT_ACK,
    VIRTIO_MMIO_STATUS, VIRTIO_MMIO_QUEUE_DESC_LOW, VIRTIO_MMIO_QUEUE_DESC_HIGH, VIRTIO_MMIO_QUEUE_DRIVER_LOW,
    VIRTIO_MMIO_QUEUE_DRIVER_HIGH, VIRTIO_MMIO_QUEUE_DEVICE_LOW, VIRTIO_MMIO_QUEUE_DEVICE_HIGH,
    VIRTIO_MMIO_CONFIG_GENERATION, VIRTIO_MMIO_CONFIG, 0x018, 0x1fc,
};

static uint32_t value(struct input *in)
{
    uint8_t how = (uint8_t)take(in, 1);
    return how & 0x80 ? (uint32_t)take(in, 4) : how;
}

/* Any access at all: width, offset and value from the input. */
static void cmd_access(struct input *in, bool write)
{
    static const unsigned sizes[] = { 4, 4, 4, 4, 1, 2, 8, 0 };
    uint64_t offset = take(in, 2);
    if (offset & 0x8000)
        offset = take(in, 8);
    else
        offset %= VIRTIO_MMIO_SIZE + 0x20;
    unsigned size = sizes[take(in, 1) % 8];
    if (write) {
        virtio_mmio_write(&f.d, offset, size, value(in));
        return;
    }
    uint32_t got = virtio_mmio_read(&f.d, offset, size);
    if (offset < VIRTIO_MMIO_CONFIG && (size != 4 || offset % 4))
        PROMISE(got == 0);
    if (offset >= VIRTIO_MMIO_CONFIG) {
        bool fits = offset < VIRTIO_MMIO_SIZE && size <= VIRTIO_MMIO_SIZE - offset;
        PROMISE(got == (fits ? (0x5a000000u | (uint32_t)(offset - VIRTIO_MMIO_CONFIG)) : 0));
    }
    if (offset == VIRTIO_MMIO_MAGIC && size == 4)
        PROMISE(got == VIRTIO_MMIO_MAGIC_VALUE);
    if (offset == VIRTIO_MMIO_VERSION && size == 4)
        PROMISE(got == 2);
}

/* A full-width access to a register by name. */
static void cmd_register(struct input *in)
{
    uint8_t which = (uint8_t)take(in, 1);
    uint16_t offset = regs[(which & 0x7f) % (sizeof regs / sizeof regs[0])];
    if (which & 0x80)
        (void)rd(offset);
    else
        wr(offset, value(in));
}

/* Linux's probe: reset, features, each queue's size and rings (placed and
 * sized by the input, sometimes badly), DRIVER_OK. */
static void cmd_probe(struct input *in)
{
    uint8_t how = (uint8_t)take(in, 1);
    uint64_t accept = VIRTIO_F_VERSION_1 | take(in, 1);
    if (how & 1)
        accept ^= VIRTIO_F_VERSION_1;
    wr(VIRTIO_MMIO_STATUS, 0);
    wr(VIRTIO_MMIO_STATUS, ACK);
    wr(VIRTIO_MMIO_STATUS, ACK | DRIVER);
    wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    uint64_t offered = (uint64_t)rd(VIRTIO_MMIO_DEVICE_FEATURES) << 32;
    wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    offered |= rd(VIRTIO_MMIO_DEVICE_FEATURES);
    PROMISE(offered == f.d.device_features && (offered & VIRTIO_F_VERSION_1));
    if (how & 2)
        accept &= offered;
    wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    wr(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(accept >> 32));
    wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    wr(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)accept);
    wr(VIRTIO_MMIO_STATUS, ACK | DRIVER | FEATURES_OK);
    bool ok = rd(VIRTIO_MMIO_STATUS) & FEATURES_OK;
    PROMISE(ok == (!(accept & ~offered) && (accept & VIRTIO_F_VERSION_1)));
    for (unsigned q = 0; q < f.d.num_queues; q++) {
        uint8_t b = (uint8_t)take(in, 1);
        wr(VIRTIO_MMIO_QUEUE_SEL, q);
        PROMISE(rd(VIRTIO_MMIO_QUEUE_READY) == 0);
        uint32_t max = rd(VIRTIO_MMIO_QUEUE_NUM_MAX);
        PROMISE(max == f.d.queue[q].num_max);
        uint32_t num = b & 0x80 ? (uint32_t)take(in, 2) : max >> (b & 3);
        uint64_t span = 16ull * num + 4 + 2ull * num + 6 + 4 + 8ull * num;
        uint64_t at = span < GUEST_SIZE ? (take(in, 2) % (GUEST_SIZE - span + 1)) & ~15ull : 0;
        uint64_t desc = f.mem.gpa + at, avail = desc + 16ull * num, used = (avail + 4 + 2ull * num + 3) & ~3ull;
        if (b & 0x40) /* misaligned on purpose */
            desc += (b >> 4) & 3, avail += (b >> 5) & 1, used += (b >> 4) & 2;
        wr(VIRTIO_MMIO_QUEUE_NUM, num);
        wr(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
        wr(VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
        wr(VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)avail);
        wr(VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(avail >> 32));
        wr(VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)used);
        wr(VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(used >> 32));
        wr(VIRTIO_MMIO_QUEUE_READY, 1);
        PROMISE(rd(VIRTIO_MMIO_QUEUE_READY) == 1);
    }
    wr(VIRTIO_MMIO_STATUS, ACK | DRIVER | FEATURES_OK | DRIVER_OK);
}

/* Bytes anywhere in guest memory. */
static void cmd_poke(struct input *in)
{
    uint64_t off = take(in, 2) % GUEST_SIZE;
    size_t len = (size_t)take(in, 1);
    if (len > in->left)
        len = in->left;
    if (len > GUEST_SIZE - off)
        len = GUEST_SIZE - off;
    memcpy(f.mem.host + off, in->p, len);
    in->p += len;
    in->left -= len;
}

static uint64_t guest_addr(struct input *in)
{
    switch (take(in, 1) % 4) {
    case 0:
        return f.mem.gpa + take(in, 2) % GUEST_SIZE;
    case 1:
        return f.mem.gpa + GUEST_SIZE - take(in, 1);
    case 2:
        return f.mem.gpa - take(in, 1);
    default:
        return take(in, 8);
    }
}

/* A descriptor in queue q's table, where the device was told it is. */
static void cmd_desc(struct input *in)
{
    const struct virtq *q = &f.d.queue[take(in, 1) % VIRTIO_MAX_QUEUES];
    uint64_t index = take(in, 1);
    uint8_t d[16];
    uint64_t addr = guest_addr(in);
    uint32_t len = (uint32_t)(take(in, 1) & 0x80 ? take(in, 4) : take(in, 1));
    uint16_t flags = (uint16_t)take(in, 1), next = (uint16_t)take(in, 1);
    memcpy(d, &addr, 8);
    memcpy(d + 8, &len, 4);
    memcpy(d + 12, &flags, 2);
    memcpy(d + 14, &next, 2);
    poke(q->desc + 16 * index, d, 16);
}

/* Chains made available (or the index set anyhow), or the flags. */
static void cmd_offer(struct input *in)
{
    const struct virtq *q = &f.d.queue[take(in, 1) % VIRTIO_MAX_QUEUES];
    uint8_t how = (uint8_t)take(in, 1);
    uint16_t v = (uint16_t)(how & 0x80 ? take(in, 2) : take(in, 1));
    uint16_t idx = peek16(q->driver + 2);
    switch (how & 3) {
    case 0: /* as a driver does: the entry, then the index */
    case 1: {
        uint16_t next = (uint16_t)(idx + 1);
        poke(q->driver + 4 + 2ull * (idx & (uint16_t)(q->num - 1)), &v, 2);
        poke(q->driver + 2, &next, 2);
        break;
    }
    case 2:
        poke(q->driver + 2, &v, 2);
        break;
    default:
        poke(q->driver, &v, 2);
        break;
    }
}

/* What a popped chain must be. */
static void check_chain(const struct virtq *q, const struct virtq_chain *c)
{
    PROMISE(c->head < q->num);
    PROMISE(c->num_read + c->num_write >= 1 && c->num_read + c->num_write <= VIRTQ_MAX_SEGS);
    uint64_t read_len = 0, write_len = 0;
    for (unsigned s = 0; s < c->num_read + c->num_write; s++) {
        const struct virtq_seg *g = &c->seg[s];
        PROMISE(g->p >= f.mem.host && g->p <= f.mem.host + f.mem.size);
        PROMISE(g->len <= (uint64_t)(f.mem.host + f.mem.size - g->p));
        *(s < c->num_read ? &read_len : &write_len) += g->len;
    }
    PROMISE(read_len == c->read_len && write_len == c->write_len);
}

/* The model takes a chain: through the transport or from the queue alone. */
static void cmd_pop(struct input *in)
{
    uint8_t how = (uint8_t)take(in, 1);
    unsigned qi = how % VIRTIO_MAX_QUEUES;
    struct virtq *q = &f.d.queue[qi];
    bool raw = how & 4, live = virtio_mmio_queue_live(&f.d, qi);
    bool config_int = f.d.status & DRIVER_OK;
    uint16_t before = q->last_avail;
    struct virtq_chain c;
    int got = raw ? virtq_pop(q, &f.d.mem, &c) : virtio_mmio_pop(&f.d, qi, &c);
    if (raw && got < 0) /* what the header asks of a model using the queue alone */
        virtio_mmio_needs_reset(&f.d);
    if (!raw && !live)
        PROMISE(got == 0);
    if (got == 1) {
        PROMISE(q->ready && !q->broken);
        PROMISE(q->last_avail == (uint16_t)(before + 1));
        check_chain(q, &c);
        f.chain = c;
        f.have_chain = true;
        if (qi < f.d.num_queues && f.num_pending[qi] < VIRTQ_MAX_SIZE)
            f.pending[qi][f.num_pending[qi]++] = c.head;
    } else {
        PROMISE(q->last_avail == before);
    }
    if (got < 0) {
        PROMISE(q->broken);
        if (!raw) {
            PROMISE(f.d.status & VIRTIO_STATUS_NEEDS_RESET);
            PROMISE(!config_int || (f.d.interrupt_status & VIRTIO_INT_CONFIG));
        }
    }
}

/* The model gives a chain back: one it took, or any head at all. */
static void cmd_push(struct input *in)
{
    uint8_t how = (uint8_t)take(in, 1);
    unsigned qi = how % VIRTIO_MAX_QUEUES;
    struct virtq *q = &f.d.queue[qi];
    uint16_t head = (uint16_t)take(in, 1);
    if (how & 8 && qi < f.d.num_queues && f.num_pending[qi]) {
        unsigned k = head % f.num_pending[qi];
        head = f.pending[qi][k];
        f.pending[qi][k] = f.pending[qi][--f.num_pending[qi]];
    }
    uint32_t written = (uint32_t)take(in, 2);
    bool usable = q->ready && !q->broken, live = virtio_mmio_queue_live(&f.d, qi);
    uint16_t before = q->used_idx;
    uint32_t ints = f.d.interrupt_status;
    if (how & 4)
        (void)virtq_push(q, &f.d.mem, head, written);
    else
        virtio_mmio_push(&f.d, qi, head, written);
    bool done = (how & 4) ? usable : live;
    PROMISE(q->used_idx == (uint16_t)(before + done));
    if (done)
        PROMISE(peek16(q->device + 2) == q->used_idx);
    if (!done || (how & 4))
        PROMISE(f.d.interrupt_status == ints);
}

static void cmd_copy(struct input *in)
{
    uint8_t how = (uint8_t)take(in, 1);
    static uint8_t buf[GUEST_SIZE + 64];
    if (!f.have_chain)
        return;
    const struct virtq_chain *c = &f.chain;
    size_t len = (size_t)take(in, 2) % sizeof buf;
    if (how & 1) {
        memset(buf, how, len);
        size_t n = virtq_chain_write(c, buf, len);
        PROMISE(n == (len < c->write_len ? len : c->write_len));
    } else {
        uint64_t from = how & 2 ? take(in, 8) : take(in, 2);
        size_t n = virtq_chain_read(c, from, buf, len);
        uint64_t avail = from < c->read_len ? c->read_len - from : 0;
        PROMISE(n == (len < avail ? len : avail));
    }
}

/* virtio_mem_at against the plain arithmetic. */
static void cmd_mem_at(struct input *in)
{
    uint64_t gpa = guest_addr(in), len = take(in, 1) & 0x80 ? take(in, 8) : take(in, 2);
    const uint8_t *p = virtio_mem_at(&f.mem, gpa, len);
    PROMISE(in_guest(gpa, len) ? p == f.mem.host + (gpa - f.mem.gpa) : p == NULL);
}

/* What holds between any two of the driver's steps. */
static void check_device(void)
{
    const struct virtio_mmio *d = &f.d;
    PROMISE(virtio_mmio_irq_level(d) == (d->interrupt_status != 0));
    PROMISE(!(d->interrupt_status & ~(VIRTIO_INT_USED | VIRTIO_INT_CONFIG)));
    PROMISE(!(d->status & ~0xffu));
    if (d->status & FEATURES_OK)
        PROMISE(!(d->driver_features & ~d->device_features) && (d->driver_features & VIRTIO_F_VERSION_1));
    for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++) {
        const struct virtq *q = &d->queue[i];
        if (i >= d->num_queues) {
            PROMISE(!q->ready && q->num_max == 0 && !virtio_mmio_queue_live(d, i));
            continue;
        }
        if (q->broken)
            PROMISE(d->status & VIRTIO_STATUS_NEEDS_RESET);
        if (virtio_mmio_queue_live(d, i))
            PROMISE((d->status & (FEATURES_OK | DRIVER_OK)) == (FEATURES_OK | DRIVER_OK) &&
                    !(d->status & (VIRTIO_STATUS_NEEDS_RESET | VIRTIO_STATUS_FAILED)));
        if (q->ready && !q->broken) {
            uint16_t n = q->num;
            PROMISE(n && !(n & (n - 1)) && n <= q->num_max);
            PROMISE(q->desc % 16 == 0 && q->driver % 2 == 0 && q->device % 4 == 0);
            PROMISE(in_guest(q->desc, 16ull * n) && in_guest(q->driver, 4 + 2ull * n) &&
                    in_guest(q->device, 4 + 8ull * n));
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct input in = { data, size };
    uint8_t config = (uint8_t)take(&in, 1);
    unsigned num_queues = 1 + (config & 3), queue_max = 1u << ((config >> 2) & 7);
    if (config & 0x20)
        queue_max = VIRTQ_MAX_SIZE;
    static const uint64_t gpas[] = { 0x40000000ull, -(uint64_t)GUEST_SIZE, 0, 0x7ffffff000ull };
    uint64_t gpa = gpas[config >> 6];
    uint64_t features = (take(&in, 1) | take(&in, 1) << 16) & VIRTIO_DEVICE_FEATURES;

    uint8_t *guest = malloc(GUEST_SIZE);
    if (!guest)
        return 0;
    memset(guest, 0, GUEST_SIZE);
    size_t image = (size_t)take(&in, 2) % (GUEST_SIZE + 1);
    if (image > in.left)
        image = in.left;
    memcpy(guest, in.p, image);
    in.p += image;
    in.left -= image;

    memset(&f, 0, sizeof f);
    f.mem = (struct virtio_mem){ .host = guest, .gpa = gpa, .size = GUEST_SIZE };
    PROMISE(virtio_mmio_init(&f.d, 3, features, num_queues, queue_max, &f.mem, &model_ops, NULL));
    PROMISE(f.d.device_features == (features | VIRTIO_F_VERSION_1));
    while (in.left) {
        switch (take(&in, 1) % 12) {
        case 0:
            cmd_access(&in, true);
            break;
        case 1:
            cmd_access(&in, false);
            break;
        case 2:
            cmd_register(&in);
            break;
        case 3:
            cmd_probe(&in);
            break;
        case 4:
            cmd_poke(&in);
            break;
        case 5:
            cmd_desc(&in);
            break;
        case 6:
            cmd_offer(&in);
            break;
        case 7:
            cmd_pop(&in);
            break;
        case 8:
            cmd_push(&in);
            break;
        case 9:
            cmd_copy(&in);
            break;
        case 10:
            cmd_mem_at(&in);
            break;
        default:
            if (take(&in, 1) & 1)
                virtio_mmio_used(&f.d);
            else
                virtio_mmio_needs_reset(&f.d);
            break;
        }
        check_device();
    }
    free(guest);
    return 0;
}
