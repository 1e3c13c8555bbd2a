/* The virtio-mmio transport and split virtqueues (lib/vmm/virtio.c),
 * driven the way Linux's virtio_mmio and virtio_ring drive a version 2
 * device, and by a driver that breaks every rule it can. Guest memory is
 * a buffer at GUEST_GPA; the test plays the driver in it. */
#include "harness.h"
#include <vmm/virtio.h>
#include <stdlib.h>
#include <string.h>

#define GUEST_GPA 0x40000000ull
#define GUEST_SIZE 0x20000u
#define GUEST_END (GUEST_GPA + GUEST_SIZE)
#define DEVICE_ID 3u
/* Queue q's rings, each with room for VIRTQ_MAX_SIZE entries, then the
 * buffers above all four queues. */
#define QDESC(q) (GUEST_GPA + 0x4000ull * (q))
#define QAVAIL(q) (QDESC(q) + 0x1000)
#define QUSED(q) (QDESC(q) + 0x2000)
#define BUF (GUEST_GPA + 0x10000)

#define ACK VIRTIO_STATUS_ACKNOWLEDGE
#define DRIVER VIRTIO_STATUS_DRIVER
#define FEATURES_OK VIRTIO_STATUS_FEATURES_OK
#define NEEDS_RESET VIRTIO_STATUS_NEEDS_RESET
#define SET_UP (ACK | DRIVER | FEATURES_OK)
#define LIVE (SET_UP | VIRTIO_STATUS_DRIVER_OK)

#define R 0u /* a readable descriptor, last of its chain */
#define NEXT VIRTQ_DESC_F_NEXT
#define W VIRTQ_DESC_F_WRITE

static uint8_t *mem;
static struct virtio_mem guest;
static struct virtio_mmio dev;

/* ---- the device model: what the transport told it */

static struct {
    unsigned notifies, last_notify, resets, config_reads;
    uint32_t config_offset;
    unsigned config_size;
    bool wrong_device;
    uint32_t status_at_reset; /* the transport is reset before the model is */
    bool ready_at_reset;
} model;

static void model_notify(struct virtio_mmio *d, unsigned queue)
{
    model.wrong_device |= d != &dev || d->ctx != &model;
    model.notifies++;
    model.last_notify = queue;
}

static void model_reset(struct virtio_mmio *d)
{
    model.wrong_device |= d != &dev || d->ctx != &model;
    model.resets++;
    model.status_at_reset = d->status;
    model.ready_at_reset = d->queue[0].ready;
}

static uint32_t model_config_read(struct virtio_mmio *d, uint32_t offset, unsigned size)
{
    model.wrong_device |= d != &dev || d->ctx != &model;
    model.config_reads++;
    model.config_offset = offset;
    model.config_size = size;
    return 0xc0f60000u | offset;
}

static const struct virtio_device_ops model_ops = {
    .notify = model_notify, .reset = model_reset, .config_read = model_config_read,
};

/* A new device over fresh (zeroed) guest memory. */
static void dev_new(uint64_t features, unsigned num_queues, unsigned queue_max)
{
    free(mem);
    mem = calloc(1, GUEST_SIZE);
    CHECK(mem);
    guest = (struct virtio_mem){ .host = mem, .gpa = GUEST_GPA, .size = GUEST_SIZE };
    memset(&model, 0, sizeof model);
    CHECK(virtio_mmio_init(&dev, DEVICE_ID, features, num_queues, queue_max, &guest, &model_ops, &model));
}

static uint32_t rd(uint64_t offset)
{
    return virtio_mmio_read(&dev, offset, 4);
}

static void wr(uint64_t offset, uint32_t value)
{
    virtio_mmio_write(&dev, offset, 4, value);
}

/* ---- the driver's side of guest memory */

static bool in_guest(uint64_t gpa, uint64_t len)
{
    return gpa >= GUEST_GPA && len <= GUEST_SIZE && gpa - GUEST_GPA <= GUEST_SIZE - len;
}

static uint8_t *at(uint64_t gpa, uint64_t len)
{
    CHECK(in_guest(gpa, len));
    return mem + (gpa - GUEST_GPA);
}

static void put16(uint64_t gpa, uint16_t v) { memcpy(at(gpa, 2), &v, 2); }
static void put32(uint64_t gpa, uint32_t v) { memcpy(at(gpa, 4), &v, 4); }
static void put64(uint64_t gpa, uint64_t v) { memcpy(at(gpa, 8), &v, 8); }

static uint16_t get16(uint64_t gpa)
{
    uint16_t v;
    memcpy(&v, at(gpa, 2), 2);
    return v;
}

static uint32_t get32(uint64_t gpa)
{
    uint32_t v;
    memcpy(&v, at(gpa, 4), 4);
    return v;
}

/* The driver's view of each queue it set up. */
static struct drv_queue {
    uint16_t num, avail_idx;
    uint64_t desc, avail, used;
} dq[VIRTIO_MAX_QUEUES];

static void set_desc(unsigned q, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
    uint64_t e = dq[q].desc + 16ull * i;
    put64(e, addr);
    put32(e + 8, len);
    put16(e + 12, flags);
    put16(e + 14, next);
}

/* Makes chain 'head' available as virtqueue_add does: the entry, then
 * the index that publishes it. */
static void offer(unsigned q, uint16_t head)
{
    put16(dq[q].avail + 4 + 2ull * (dq[q].avail_idx & (uint16_t)(dq[q].num - 1)), head);
    put16(dq[q].avail + 2, ++dq[q].avail_idx);
}

static uint16_t used_idx(unsigned q) { return get16(dq[q].used + 2); }
static uint32_t used_id(unsigned q, uint16_t i) { return get32(dq[q].used + 4 + 8ull * (i & (dq[q].num - 1u))); }
static uint32_t used_len(unsigned q, uint16_t i) { return get32(dq[q].used + 8 + 8ull * (i & (dq[q].num - 1u))); }

/* Linux's probe up to FEATURES_OK (virtio_dev_probe, vm_get_features,
 * vm_finalize_features): whether the device took 'accept'. */
static bool drv_features(uint64_t accept, uint64_t *offered)
{
    wr(VIRTIO_MMIO_STATUS, 0);
    wr(VIRTIO_MMIO_STATUS, ACK);
    wr(VIRTIO_MMIO_STATUS, ACK | DRIVER);
    wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    uint64_t f = (uint64_t)rd(VIRTIO_MMIO_DEVICE_FEATURES) << 32;
    wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    f |= rd(VIRTIO_MMIO_DEVICE_FEATURES);
    if (offered)
        *offered = f;
    wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    wr(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(accept >> 32));
    wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    wr(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)accept);
    wr(VIRTIO_MMIO_STATUS, SET_UP);
    return rd(VIRTIO_MMIO_STATUS) & FEATURES_OK;
}

/* Linux's vm_setup_vq: false where Linux gives up (the queue is in use
 * or absent). */
static bool drv_queue(unsigned q, uint32_t num, uint64_t desc, uint64_t avail, uint64_t used)
{
    wr(VIRTIO_MMIO_QUEUE_SEL, q);
    if (rd(VIRTIO_MMIO_QUEUE_READY) || rd(VIRTIO_MMIO_QUEUE_NUM_MAX) == 0)
        return false;
    wr(VIRTIO_MMIO_QUEUE_NUM, num);
    wr(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
    wr(VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
    wr(VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)avail);
    wr(VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(avail >> 32));
    wr(VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)used);
    wr(VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(used >> 32));
    wr(VIRTIO_MMIO_QUEUE_READY, 1);
    if (q < VIRTIO_MAX_QUEUES)
        dq[q] = (struct drv_queue){ .num = (uint16_t)num, .desc = desc, .avail = avail, .used = used };
    return true;
}

/* The whole probe with queues of 'num' entries in their usual places. */
static void drv_start(unsigned num_queues, uint16_t num)
{
    CHECK(drv_features(VIRTIO_F_VERSION_1, NULL));
    for (unsigned q = 0; q < num_queues; q++)
        CHECK(drv_queue(q, num, QDESC(q), QAVAIL(q), QUSED(q)));
    wr(VIRTIO_MMIO_STATUS, LIVE);
    CHECK_EQ(rd(VIRTIO_MMIO_STATUS), LIVE);
    for (unsigned q = 0; q < num_queues; q++)
        CHECK(virtio_mmio_queue_live(&dev, q));
}

static int pop(unsigned q, struct virtq_chain *c)
{
    return virtio_mmio_pop(&dev, q, c);
}

/* The driver broke queue q with what it made available: the device says
 * so, raises its configuration interrupt and lets go of the queue. */
static void check_breaks(unsigned q)
{
    struct virtq_chain c;
    uint16_t used = used_idx(q);
    uint16_t taken = dev.queue[q].last_avail;
    unsigned notifies = model.notifies;
    CHECK_EQ(pop(q, &c), -1);
    CHECK(dev.queue[q].broken);
    CHECK_EQ(dev.queue[q].last_avail, taken);
    CHECK_EQ(rd(VIRTIO_MMIO_STATUS), LIVE | NEEDS_RESET);
    CHECK_EQ(rd(VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_INT_CONFIG, VIRTIO_INT_CONFIG);
    CHECK(virtio_mmio_irq_level(&dev));
    CHECK(!virtio_mmio_queue_live(&dev, q));
    CHECK_EQ(pop(q, &c), 0);
    CHECK_EQ(virtq_pop(&dev.queue[q], &guest, &c), 0);
    wr(VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_INT_CONFIG | VIRTIO_INT_USED);
    virtio_mmio_push(&dev, q, 0, 1);
    CHECK(!virtq_push(&dev.queue[q], &guest, 0, 1));
    CHECK_EQ(used_idx(q), used);
    CHECK_EQ(rd(VIRTIO_MMIO_INTERRUPT_STATUS), 0);
    wr(VIRTIO_MMIO_QUEUE_NOTIFY, q);
    CHECK_EQ(model.notifies, notifies);
}

/* ---- registers */

TEST(virtio_registers_name_the_device)
{
    dev_new((1ull << 0) | (1ull << 23), 2, 16);
    CHECK_EQ(rd(VIRTIO_MMIO_MAGIC), VIRTIO_MMIO_MAGIC_VALUE);
    CHECK_EQ(rd(VIRTIO_MMIO_MAGIC), 0x74726976);
    CHECK_EQ(rd(VIRTIO_MMIO_VERSION), 2);
    CHECK_EQ(rd(VIRTIO_MMIO_DEVICE_ID), DEVICE_ID);
    CHECK_EQ(rd(VIRTIO_MMIO_VENDOR_ID), VIRTIO_VENDOR_ICECAP);
    CHECK_EQ(rd(VIRTIO_MMIO_DEVICE_FEATURES), 1u | 1u << 23); /* selector 0 after init */
    wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    CHECK_EQ(rd(VIRTIO_MMIO_DEVICE_FEATURES), 1u); /* VERSION_1 is bit 32 */
    wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    CHECK_EQ(rd(VIRTIO_MMIO_DEVICE_FEATURES), 1u | 1u << 23);
    wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 2);
    CHECK_EQ(rd(VIRTIO_MMIO_DEVICE_FEATURES), 0);
    wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0xffffffff);
    CHECK_EQ(rd(VIRTIO_MMIO_DEVICE_FEATURES), 0);
    CHECK_EQ(rd(VIRTIO_MMIO_STATUS), 0);
    CHECK_EQ(rd(VIRTIO_MMIO_INTERRUPT_STATUS), 0);
    CHECK_EQ(rd(VIRTIO_MMIO_CONFIG_GENERATION), 0);
    CHECK_EQ(rd(VIRTIO_MMIO_QUEUE_NUM_MAX), 16);
    CHECK_EQ(rd(VIRTIO_MMIO_QUEUE_READY), 0);
    /* write-only and reserved registers */
    CHECK_EQ(rd(VIRTIO_MMIO_QUEUE_NOTIFY), 0);
    CHECK_EQ(rd(VIRTIO_MMIO_DRIVER_FEATURES), 0);
    CHECK_EQ(rd(0x018), 0);
    CHECK_EQ(rd(0x0f8), 0);
    CHECK(!virtio_mmio_irq_level(&dev));
    /* a device offering nothing still offers version 1 */
    dev_new(0, 1, 1);
    wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    CHECK_EQ(rd(VIRTIO_MMIO_DEVICE_FEATURES), 1);
}

TEST(virtio_narrow_and_unaligned_accesses_read_zero_and_are_ignored)
{
    dev_new(0, 2, 16);
    static const unsigned sizes[] = { 0, 1, 2, 3, 8 };
    for (unsigned i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        CHECK_EQ(virtio_mmio_read(&dev, VIRTIO_MMIO_MAGIC, sizes[i]), 0);
        CHECK_EQ(virtio_mmio_read(&dev, VIRTIO_MMIO_VERSION, sizes[i]), 0);
        virtio_mmio_write(&dev, VIRTIO_MMIO_STATUS, sizes[i], ACK);
        virtio_mmio_write(&dev, VIRTIO_MMIO_QUEUE_SEL, sizes[i], 1);
    }
    CHECK_EQ(rd(VIRTIO_MMIO_STATUS), 0);
    CHECK_EQ(dev.queue_sel, 0);
    for (unsigned off = 1; off < 4; off++) {
        CHECK_EQ(virtio_mmio_read(&dev, VIRTIO_MMIO_MAGIC + off, 4), 0);
        virtio_mmio_write(&dev, VIRTIO_MMIO_STATUS + off, 4, ACK);
        virtio_mmio_write(&dev, VIRTIO_MMIO_QUEUE_SEL + off, 4, 1);
    }
    CHECK_EQ(rd(VIRTIO_MMIO_STATUS), 0);
    CHECK_EQ(dev.queue_sel, 0);
    /* a narrow write of 0 to the status is no reset */
    wr(VIRTIO_MMIO_STATUS, ACK);
    virtio_mmio_write(&dev, VIRTIO_MMIO_STATUS, 1, 0);
    virtio_mmio_write(&dev, VIRTIO_MMIO_STATUS, 2, 0);
    CHECK_EQ(rd(VIRTIO_MMIO_STATUS), ACK);
    CHECK_EQ(model.resets, 0);
    /* and a full-width one is */
    wr(VIRTIO_MMIO_STATUS, 0);
    CHECK_EQ(model.resets, 1);
}

TEST(virtio_config_space_reads_go_to_the_model)
{
    dev_new(0, 1, 16);
    CHECK_EQ(virtio_mmio_read(&dev, VIRTIO_MMIO_CONFIG, 4), 0xc0f60000);
    CHECK_EQ(model.config_offset, 0);
    CHECK_EQ(model.config_size, 4);
    CHECK_EQ(virtio_mmio_read(&dev, 0x105, 1), 0xc0f60005);
    CHECK_EQ(model.config_offset, 5);
    CHECK_EQ(model.config_size, 1);
    CHECK_EQ(virtio_mmio_read(&dev, 0x11e, 2), 0xc0f6001e);
    CHECK_EQ(model.config_size, 2);
    CHECK_EQ(virtio_mmio_read(&dev, 0x1f8, 8), 0xc0f600f8);
    CHECK_EQ(model.config_size, 8);
    CHECK_EQ(virtio_mmio_read(&dev, VIRTIO_MMIO_SIZE - 1, 1), 0xc0f600ff);
    CHECK_EQ(model.config_offset, 0xff);
    CHECK_EQ(model.config_reads, 5);
    /* past the window, or running off its end: zero, and the model is not asked */
    CHECK_EQ(virtio_mmio_read(&dev, VIRTIO_MMIO_SIZE - 2, 4), 0);
    CHECK_EQ(virtio_mmio_read(&dev, VIRTIO_MMIO_SIZE, 1), 0);
    CHECK_EQ(virtio_mmio_read(&dev, VIRTIO_MMIO_SIZE, 4), 0);
    CHECK_EQ(virtio_mmio_read(&dev, 0x1000, 4), 0);
    CHECK_EQ(virtio_mmio_read(&dev, 0x100000100ull, 4), 0);
    CHECK_EQ(virtio_mmio_read(&dev, UINT64_MAX - 1, 4), 0);
    CHECK_EQ(virtio_mmio_read(&dev, UINT64_MAX, 1), 0);
    CHECK_EQ(virtio_mmio_read(&dev, VIRTIO_MMIO_CONFIG, UINT32_MAX), 0);
    CHECK_EQ(model.config_reads, 5);
    /* nothing here has a writable configuration: writes change nothing */
    wr(VIRTIO_MMIO_CONFIG, 0);
    wr(VIRTIO_MMIO_CONFIG + VIRTIO_MMIO_STATUS, ACK);
    wr(VIRTIO_MMIO_CONFIG + VIRTIO_MMIO_QUEUE_SEL, 1);
    wr(VIRTIO_MMIO_SIZE + VIRTIO_MMIO_STATUS, ACK);
    wr(0x100000000ull + VIRTIO_MMIO_STATUS, ACK);
    CHECK_EQ(rd(VIRTIO_MMIO_STATUS), 0);
    CHECK_EQ(dev.queue_sel, 0);
    CHECK_EQ(model.config_reads, 5);
    CHECK(!model.wrong_device);
    /* a model with no configuration reads as zeros */
    static const struct virtio_device_ops none;
    CHECK(virtio_mmio_init(&dev, DEVICE_ID, 0, 1, 16, &guest, &none, NULL));
    CHECK_EQ(virtio_mmio_read(&dev, VIRTIO_MMIO_CONFIG, 4), 0);
    CHECK_EQ(model.config_reads, 5);
}

/* ---- features */

TEST(virtio_features_ok_for_what_the_device_offers)
{
    dev_new((1ull << 0) | (1ull << 5), 1, 8);
    uint64_t offered;
    CHECK(drv_features(VIRTIO_F_VERSION_1 | (1ull << 5), &offered));
    CHECK_EQ(offered, VIRTIO_F_VERSION_1 | (1ull << 0) | (1ull << 5));
    CHECK_EQ(dev.driver_features, VIRTIO_F_VERSION_1 | (1ull << 5));
    CHECK_EQ(rd(VIRTIO_MMIO_STATUS), SET_UP);
    /* the status is kept once granted */
    wr(VIRTIO_MMIO_STATUS, LIVE);
    CHECK_EQ(rd(VIRTIO_MMIO_STATUS), LIVE);
}

TEST(virtio_features_ok_refused_for_a_feature_not_offered)
{
    dev_new(1ull << 0, 1, 8);
    CHECK(!drv_features(VIRTIO_F_VERSION_1 | (1ull << 1), NULL));
    CHECK_EQ(rd(VIRTIO_MMIO_STATUS), ACK | DRIVER);
    CHECK(!drv_features(VIRTIO_F_VERSION_1 | (1ull << 33), NULL));
    CHECK_EQ(rd(VIRTIO_MMIO_STATUS), ACK | DRIVER);
    /* a driver that goes on regardless gets no live queue */
    CHECK(drv_queue(0, 8, QDESC(0), QAVAIL(0), QUSED(0)));
    wr(VIRTIO_MMIO_STATUS, LIVE);
    CHECK_EQ(rd(VIRTIO_MMIO_STATUS), ACK | DRIVER | VIRTIO_STATUS_DRIVER_OK);
    CHECK(!virtio_mmio_queue_live(&dev, 0));
    set_desc(0, 0, BUF, 8, R, 0);
    offer(0, 0);
    struct virtq_chain c;
    CHECK_EQ(pop(0, &c), 0);
    /* and once it asks for what is offered it is granted */
    CHECK(drv_features(VIRTIO_F_VERSION_1 | (1ull << 0), NULL));
}

TEST(virtio_features_ok_refused_without_version_1)
{
    dev_new(1ull << 0, 1, 8);
    CHECK(!drv_features(1ull << 0, NULL));
    CHECK_EQ(rd(VIRTIO_MMIO_STATUS), ACK | DRIVER);
    CHECK(!drv_features(0, NULL));
    CHECK_EQ(rd(VIRTIO_MMIO_STATUS), ACK | DRIVER);
}

TEST(virtio_driver_features_frozen_after_features_ok)
{
    dev_new(0xffull, 1, 8);
    CHECK(drv_features(VIRTIO_F_VERSION_1 | 0x3, NULL));
    wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    wr(VIRTIO_MMIO_DRIVER_FEATURES, 0xff);
    wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    wr(VIRTIO_MMIO_DRIVER_FEATURES, 0);
    CHECK_EQ(dev.driver_features, VIRTIO_F_VERSION_1 | 0x3);
    /* selectors past the two words select nothing, before FEATURES_OK too */
    dev_new(0xffull, 1, 8);
    wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 2);
    wr(VIRTIO_MMIO_DRIVER_FEATURES, 0xffffffff);
    wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0xffffffff);
    wr(VIRTIO_MMIO_DRIVER_FEATURES, 0xffffffff);
    CHECK_EQ(dev.driver_features, 0);
}

TEST(virtio_driver_cannot_set_needs_reset)
{
    dev_new(0, 1, 8);
    wr(VIRTIO_MMIO_STATUS, ACK | NEEDS_RESET);
    CHECK_EQ(rd(VIRTIO_MMIO_STATUS), ACK);
    wr(VIRTIO_MMIO_STATUS, 0xffffffff);
    CHECK_EQ(rd(VIRTIO_MMIO_STATUS) & ~0xffu, 0);
    CHECK_EQ(rd(VIRTIO_MMIO_STATUS) & NEEDS_RESET, 0);
}

/* ---- queue setup */

TEST(virtio_queue_setup_as_linux_does_it)
{
    dev_new(0, 2, 64);
    CHECK(drv_features(VIRTIO_F_VERSION_1, NULL));
    wr(VIRTIO_MMIO_QUEUE_SEL, 1);
    CHECK_EQ(rd(VIRTIO_MMIO_QUEUE_READY), 0);
    CHECK_EQ(rd(VIRTIO_MMIO_QUEUE_NUM_MAX), 64);
    CHECK(drv_queue(1, 32, QDESC(1), QAVAIL(1), QUSED(1)));
    CHECK_EQ(rd(VIRTIO_MMIO_QUEUE_READY), 1);
    CHECK_EQ(dev.queue[1].num, 32);
    CHECK_EQ(dev.queue[1].desc, QDESC(1));
    CHECK_EQ(dev.queue[1].driver, QAVAIL(1));
    CHECK_EQ(dev.queue[1].device, QUSED(1));
    CHECK(!dev.queue[1].broken);
    CHECK(!drv_queue(1, 32, QDESC(1), QAVAIL(1), QUSED(1))); /* in use */
    CHECK(!virtio_mmio_queue_live(&dev, 1));                  /* not before DRIVER_OK */
    CHECK(drv_queue(0, 64, QDESC(0), QAVAIL(0), QUSED(0)));
    wr(VIRTIO_MMIO_STATUS, LIVE);
    CHECK_EQ(rd(VIRTIO_MMIO_STATUS), LIVE);
    CHECK(virtio_mmio_queue_live(&dev, 0));
    CHECK(virtio_mmio_queue_live(&dev, 1));
    CHECK(!virtio_mmio_queue_live(&dev, 2));
    CHECK(!virtio_mmio_queue_live(&dev, VIRTIO_MAX_QUEUES));
    CHECK_EQ(rd(VIRTIO_MMIO_INTERRUPT_STATUS), 0);
    /* the high halves count */
    dev_new(0, 1, 8);
    CHECK(drv_features(VIRTIO_F_VERSION_1, NULL));
    CHECK(drv_queue(0, 8, QDESC(0) | 1ull << 32, QAVAIL(0), QUSED(0)));
    CHECK_EQ(dev.queue[0].desc, QDESC(0) | 1ull << 32);
    CHECK(dev.queue[0].broken);
}

TEST(virtio_queue_config_ignored_while_ready)
{
    dev_new(0, 1, 16);
    drv_start(1, 8);
    wr(VIRTIO_MMIO_QUEUE_SEL, 0);
    wr(VIRTIO_MMIO_QUEUE_NUM, 4);
    wr(VIRTIO_MMIO_QUEUE_DESC_LOW, 0x100);
    wr(VIRTIO_MMIO_QUEUE_DESC_HIGH, 1);
    wr(VIRTIO_MMIO_QUEUE_DRIVER_LOW, 0x200);
    wr(VIRTIO_MMIO_QUEUE_DRIVER_HIGH, 2);
    wr(VIRTIO_MMIO_QUEUE_DEVICE_LOW, 0x300);
    wr(VIRTIO_MMIO_QUEUE_DEVICE_HIGH, 3);
    wr(VIRTIO_MMIO_QUEUE_READY, 1);
    CHECK_EQ(dev.queue[0].num, 8);
    CHECK_EQ(dev.queue[0].desc, QDESC(0));
    CHECK_EQ(dev.queue[0].driver, QAVAIL(0));
    CHECK_EQ(dev.queue[0].device, QUSED(0));
    CHECK(virtio_mmio_queue_live(&dev, 0));
    /* and the queue works where the driver first put it */
    set_desc(0, 0, BUF, 4, R, 0);
    offer(0, 0);
    struct virtq_chain c;
    CHECK_EQ(pop(0, &c), 1);
    CHECK(c.seg[0].p == at(BUF, 4));
    /* once no longer ready it may be set again */
    wr(VIRTIO_MMIO_QUEUE_READY, 0);
    CHECK_EQ(rd(VIRTIO_MMIO_QUEUE_READY), 0);
    CHECK(!virtio_mmio_queue_live(&dev, 0));
    wr(VIRTIO_MMIO_QUEUE_NUM, 4);
    wr(VIRTIO_MMIO_QUEUE_DESC_HIGH, 1);
    CHECK_EQ(dev.queue[0].num, 4);
    CHECK_EQ(dev.queue[0].desc, QDESC(0) | 1ull << 32);
}

/* Queue 0 of a fresh device set up with 'num' entries at these rings
 * must be refused: broken and NEEDS_RESET (and no interrupt, as the
 * driver has not said DRIVER_OK), and nothing popped from it even where
 * the device would find a chain if it had taken the queue. */
static void check_refused(uint32_t num, uint64_t desc, uint64_t avail, uint64_t used)
{
    dev_new(0, 2, 16);
    CHECK(drv_features(VIRTIO_F_VERSION_1, NULL));
    CHECK(drv_queue(0, num, desc, avail, used));
    CHECK(dev.queue[0].broken);
    CHECK_EQ(rd(VIRTIO_MMIO_STATUS), SET_UP | NEEDS_RESET);
    CHECK_EQ(rd(VIRTIO_MMIO_INTERRUPT_STATUS), 0);
    CHECK(drv_queue(1, 16, QDESC(1), QAVAIL(1), QUSED(1)));
    CHECK(!dev.queue[1].broken);
    wr(VIRTIO_MMIO_STATUS, LIVE);
    CHECK_EQ(rd(VIRTIO_MMIO_STATUS), LIVE | NEEDS_RESET);
    for (unsigned i = 0; i < 16; i++)
        if (in_guest(desc + 16ull * i, 16)) {
            put64(desc + 16ull * i, BUF);
            put32(desc + 16ull * i + 8, 16);
        }
    if (in_guest(avail, 4 + 2ull * 16))
        put16(avail + 2, 1);
    struct virtq_chain c;
    CHECK_EQ(pop(0, &c), 0);
    CHECK_EQ(virtq_pop(&dev.queue[0], &guest, &c), 0);
    CHECK(!virtio_mmio_queue_live(&dev, 0));
    /* the device needs a reset: its other queue is not used either */
    CHECK(!virtio_mmio_queue_live(&dev, 1));
}

TEST(virtio_queue_refused_for_a_bad_size)
{
    static const uint32_t bad[] = { 0, 3, 6, 12, 15, 32, 0x8000, 0xffff, 0x10000, 0x10010 };
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++)
        check_refused(bad[i], QDESC(0), QAVAIL(0), QUSED(0));
    /* never set at all */
    dev_new(0, 1, 16);
    CHECK(drv_features(VIRTIO_F_VERSION_1, NULL));
    wr(VIRTIO_MMIO_QUEUE_SEL, 0);
    wr(VIRTIO_MMIO_QUEUE_READY, 1);
    CHECK(dev.queue[0].broken);
    CHECK_EQ(rd(VIRTIO_MMIO_STATUS), SET_UP | NEEDS_RESET);
}

TEST(virtio_queue_refused_for_misaligned_rings)
{
    check_refused(16, QDESC(0) + 8, QAVAIL(0), QUSED(0));
    check_refused(16, QDESC(0) + 2, QAVAIL(0), QUSED(0));
    check_refused(16, QDESC(0), QAVAIL(0) + 1, QUSED(0));
    check_refused(16, QDESC(0), QAVAIL(0), QUSED(0) + 2);
    check_refused(16, QDESC(0), QAVAIL(0), QUSED(0) + 1);
    /* the least alignment each ring needs is enough */
    dev_new(0, 1, 16);
    CHECK(drv_features(VIRTIO_F_VERSION_1, NULL));
    CHECK(drv_queue(0, 16, QDESC(0) + 16, QAVAIL(0) + 2, QUSED(0) + 4));
    CHECK(!dev.queue[0].broken);
    CHECK_EQ(rd(VIRTIO_MMIO_STATUS), SET_UP);
}

TEST(virtio_queue_refused_for_rings_outside_guest_memory)
{
    /* below, past the end, straddling the end */
    check_refused(16, GUEST_GPA - 0x1000, QAVAIL(0), QUSED(0));
    check_refused(16, QDESC(0), GUEST_GPA - 36, QUSED(0));
    check_refused(16, QDESC(0), QAVAIL(0), GUEST_GPA - 4);
    check_refused(16, GUEST_END, QAVAIL(0), QUSED(0));
    check_refused(16, GUEST_END - 16 * 16 + 16, QAVAIL(0), QUSED(0));
    check_refused(16, QDESC(0), GUEST_END - (4 + 2 * 16) + 2, QUSED(0));
    check_refused(16, QDESC(0), QAVAIL(0), GUEST_END - (4 + 8 * 16) + 4);
    check_refused(16, 0, QAVAIL(0), QUSED(0));
    /* only the high half outside */
    check_refused(16, QDESC(0), QAVAIL(0) | 1ull << 32, QUSED(0));
    check_refused(16, QDESC(0), QAVAIL(0), QUSED(0) | 1ull << 63);
    /* rings whose end wraps around 2^64 */
    check_refused(16, 0xfffffffffffffff0ull, QAVAIL(0), QUSED(0));
    check_refused(16, QDESC(0), 0xfffffffffffffffeull, QUSED(0));
    check_refused(16, QDESC(0), QAVAIL(0), 0xfffffffffffffffcull);
    check_refused(16, -(uint64_t)(16 * 16), QAVAIL(0), QUSED(0)); /* ends exactly at 2^64 */
}

TEST(virtio_queue_rings_may_end_at_the_end_of_guest_memory)
{
    const uint64_t used = GUEST_END - (4 + 8 * 16), avail = used - (4 + 2 * 16), desc = GUEST_END - 0x200;
    dev_new(0, 1, 16);
    CHECK(drv_features(VIRTIO_F_VERSION_1, NULL));
    CHECK(drv_queue(0, 16, desc, avail, used));
    CHECK(!dev.queue[0].broken);
    wr(VIRTIO_MMIO_STATUS, LIVE);
    CHECK_EQ(rd(VIRTIO_MMIO_STATUS), LIVE);
    for (uint16_t i = 0; i < 16; i++)
        set_desc(0, i, BUF + i, 1, W, 0);
    struct virtq_chain c;
    for (uint16_t i = 0; i < 16; i++)
        offer(0, i);
    for (uint16_t i = 0; i < 16; i++) {
        CHECK_EQ(pop(0, &c), 1);
        CHECK_EQ(c.head, i);
        virtio_mmio_push(&dev, 0, c.head, 1);
    }
    CHECK_EQ(used_idx(0), 16);
    CHECK_EQ(used_id(0, 15), 15);
    CHECK_EQ(used_len(0, 15), 1);
}

TEST(virtio_missing_queue_reads_zero)
{
    dev_new(0, 2, 16);
    CHECK(drv_features(VIRTIO_F_VERSION_1, NULL));
    static const uint32_t missing[] = { 2, 3, VIRTIO_MAX_QUEUES, 0xffffffff };
    for (unsigned i = 0; i < sizeof missing / sizeof missing[0]; i++) {
        wr(VIRTIO_MMIO_QUEUE_SEL, missing[i]);
        CHECK_EQ(rd(VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
        CHECK_EQ(rd(VIRTIO_MMIO_QUEUE_READY), 0);
        CHECK(!drv_queue(missing[i], 16, QDESC(0), QAVAIL(0), QUSED(0)));
        /* what Linux would not do does nothing either */
        wr(VIRTIO_MMIO_QUEUE_NUM, 16);
        wr(VIRTIO_MMIO_QUEUE_READY, 1);
        CHECK_EQ(rd(VIRTIO_MMIO_QUEUE_READY), 0);
    }
    CHECK_EQ(rd(VIRTIO_MMIO_STATUS), SET_UP);
    for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++)
        CHECK(!dev.queue[q].ready);
    wr(VIRTIO_MMIO_QUEUE_SEL, 1);
    CHECK_EQ(rd(VIRTIO_MMIO_QUEUE_NUM_MAX), 16);
}

/* ---- taking and giving back chains */

TEST(virtio_pop_one_readable_buffer)
{
    dev_new(0, 1, 8);
    drv_start(1, 8);
    struct virtq_chain c;
    CHECK_EQ(pop(0, &c), 0);
    memcpy(at(BUF, 5), "hello", 5);
    set_desc(0, 3, BUF, 5, R, 0);
    offer(0, 3);
    CHECK_EQ(pop(0, &c), 1);
    CHECK_EQ(c.head, 3);
    CHECK_EQ(c.num_read, 1);
    CHECK_EQ(c.num_write, 0);
    CHECK_EQ(c.read_len, 5);
    CHECK_EQ(c.write_len, 0);
    CHECK(c.seg[0].p == at(BUF, 5));
    CHECK_EQ(c.seg[0].len, 5);
    char got[8] = { 0 };
    CHECK_EQ(virtq_chain_read(&c, 0, got, sizeof got), 5);
    CHECK(!memcmp(got, "hello", 6));
    CHECK_EQ(virtq_chain_write(&c, "x", 1), 0);
    CHECK_EQ(pop(0, &c), 0); /* taken once */
    CHECK_EQ(used_idx(0), 0);
    virtio_mmio_push(&dev, 0, 3, 0);
    CHECK_EQ(used_idx(0), 1);
    CHECK_EQ(used_id(0, 0), 3);
    CHECK_EQ(used_len(0, 0), 0);
    CHECK_EQ(dev.queue[0].last_avail, 1);
    CHECK_EQ(dev.queue[0].used_idx, 1);
    CHECK(!memcmp(at(BUF, 5), "hello", 5));
}

TEST(virtio_pop_a_request_and_its_reply_buffer)
{
    dev_new(0, 1, 8);
    drv_start(1, 8);
    memcpy(at(BUF, 4), "ping", 4);
    memset(at(BUF + 0x100, 16), 0xee, 16);
    set_desc(0, 0, BUF, 4, NEXT, 1);
    set_desc(0, 1, BUF + 0x100, 16, W, 0);
    offer(0, 0);
    struct virtq_chain c;
    CHECK_EQ(pop(0, &c), 1);
    CHECK_EQ(c.head, 0);
    CHECK_EQ(c.num_read, 1);
    CHECK_EQ(c.num_write, 1);
    CHECK_EQ(c.read_len, 4);
    CHECK_EQ(c.write_len, 16);
    CHECK(c.seg[0].p == at(BUF, 4));
    CHECK(c.seg[1].p == at(BUF + 0x100, 16));
    char got[4];
    CHECK_EQ(virtq_chain_read(&c, 0, got, 4), 4);
    CHECK(!memcmp(got, "ping", 4));
    CHECK_EQ(virtq_chain_write(&c, "pong", 4), 4);
    CHECK(!memcmp(at(BUF + 0x100, 5), "pong\xee", 5));
    virtio_mmio_push(&dev, 0, c.head, 4);
    CHECK_EQ(used_idx(0), 1);
    CHECK_EQ(used_id(0, 0), 0);
    CHECK_EQ(used_len(0, 0), 4);
    /* a chain of writable buffers only */
    set_desc(0, 5, BUF + 0x200, 8, W, 0);
    offer(0, 5);
    CHECK_EQ(pop(0, &c), 1);
    CHECK_EQ(c.num_read, 0);
    CHECK_EQ(c.num_write, 1);
    CHECK_EQ(c.write_len, 8);
    CHECK_EQ(virtq_chain_read(&c, 0, got, 4), 0);
}

TEST(virtio_pop_chains_of_several_segments)
{
    dev_new(0, 1, 8);
    drv_start(1, 8);
    /* readable "abc", "", "defgh", "ijklmno"; writable 2, 3 and 4 bytes;
     * the chain wanders through the table */
    memcpy(at(BUF, 3), "abc", 3);
    memcpy(at(BUF + 0x40, 5), "defgh", 5);
    memcpy(at(BUF + 0x80, 7), "ijklmno", 7);
    set_desc(0, 6, BUF, 3, NEXT, 2);
    set_desc(0, 2, BUF + 0x20, 0, NEXT, 7);
    set_desc(0, 7, BUF + 0x40, 5, NEXT, 0);
    set_desc(0, 0, BUF + 0x80, 7, NEXT, 4);
    set_desc(0, 4, BUF + 0x100, 2, W | NEXT, 1);
    set_desc(0, 1, BUF + 0x140, 3, W | NEXT, 3);
    set_desc(0, 3, BUF + 0x180, 4, W, 5);
    offer(0, 6);
    struct virtq_chain c;
    CHECK_EQ(pop(0, &c), 1);
    CHECK_EQ(c.head, 6);
    CHECK_EQ(c.num_read, 4);
    CHECK_EQ(c.num_write, 3);
    CHECK_EQ(c.read_len, 15);
    CHECK_EQ(c.write_len, 9);
    CHECK(c.seg[2].p == at(BUF + 0x40, 5));
    CHECK_EQ(c.seg[3].len, 7);
    CHECK(c.seg[4].p == at(BUF + 0x100, 2));
    CHECK(c.seg[6].p == at(BUF + 0x180, 4));
    CHECK_EQ(c.seg[6].len, 4);

    char got[32];
    static const struct { uint64_t from; size_t len, want; const char *bytes; } reads[] = {
        { 0, 32, 15, "abcdefghijklmno" }, { 0, 3, 3, "abc" },   { 2, 4, 4, "cdef" },   { 3, 5, 5, "defgh" },
        { 3, 6, 6, "defghi" },            { 7, 3, 3, "hij" },   { 8, 3, 3, "ijk" },    { 14, 5, 1, "o" },
        { 15, 5, 0, "" },                 { 1000, 5, 0, "" },   { 5, 0, 0, "" },
        { UINT64_MAX, 5, 0, "" },
    };
    for (unsigned i = 0; i < sizeof reads / sizeof reads[0]; i++) {
        memset(got, 0, sizeof got);
        CHECK_EQ(virtq_chain_read(&c, reads[i].from, got, reads[i].len), reads[i].want);
        CHECK(!memcmp(got, reads[i].bytes, reads[i].want));
        CHECK_EQ(got[reads[i].want], 0);
    }

    /* writes fill the writable segments in order, from their start */
    CHECK_EQ(virtq_chain_write(&c, "1234567", 7), 7);
    CHECK(!memcmp(at(BUF + 0x100, 3), "12\0", 3));
    CHECK(!memcmp(at(BUF + 0x140, 4), "345\0", 4));
    CHECK(!memcmp(at(BUF + 0x180, 5), "67\0\0\0", 5));
    CHECK_EQ(virtq_chain_write(&c, "ABCDEFGHIJKLMNOPQRST", 20), 9);
    CHECK(!memcmp(at(BUF + 0x100, 3), "AB\0", 3));
    CHECK(!memcmp(at(BUF + 0x140, 4), "CDE\0", 4));
    CHECK(!memcmp(at(BUF + 0x180, 5), "FGHI\0", 5));
    CHECK(!memcmp(at(BUF, 3), "abc", 3)); /* readable ones untouched */
    CHECK_EQ(virtq_chain_write(&c, "", 0), 0);
    virtio_mmio_push(&dev, 0, c.head, 9);
    CHECK_EQ(used_id(0, 0), 6);
    CHECK_EQ(used_len(0, 0), 9);
}

TEST(virtio_pop_a_chain_of_the_most_segments)
{
    dev_new(0, 1, 32);
    drv_start(1, 32);
    for (uint16_t i = 0; i < VIRTQ_MAX_SEGS; i++)
        set_desc(0, i, BUF + 16ull * i, 16, (uint16_t)((i >= 10 ? W : 0) | (i + 1u < VIRTQ_MAX_SEGS ? NEXT : 0)),
                 (uint16_t)(i + 1));
    offer(0, 0);
    struct virtq_chain c;
    CHECK_EQ(pop(0, &c), 1);
    CHECK_EQ(c.num_read, 10);
    CHECK_EQ(c.num_write, VIRTQ_MAX_SEGS - 10);
    CHECK_EQ(c.read_len, 160);
    CHECK_EQ(c.write_len, 16 * (VIRTQ_MAX_SEGS - 10));
    CHECK(c.seg[VIRTQ_MAX_SEGS - 1].p == at(BUF + 16 * (VIRTQ_MAX_SEGS - 1), 16));
    /* a queue of one entry carries chains of one descriptor */
    dev_new(0, 1, 1);
    drv_start(1, 1);
    set_desc(0, 0, BUF, 1, R, 0);
    for (unsigned i = 0; i < 3; i++) {
        offer(0, 0);
        CHECK_EQ(pop(0, &c), 1);
        virtio_mmio_push(&dev, 0, 0, 0);
        CHECK_EQ(used_idx(0), i + 1);
    }
}

TEST(virtio_the_driver_may_offer_a_whole_ring_at_once)
{
    dev_new(0, 1, 8);
    drv_start(1, 8);
    for (uint16_t i = 0; i < 8; i++) {
        set_desc(0, i, BUF + i, 1, R, 0);
        offer(0, (uint16_t)(7 - i));
    }
    struct virtq_chain c;
    for (uint16_t i = 0; i < 8; i++) {
        CHECK_EQ(pop(0, &c), 1);
        CHECK_EQ(c.head, 7 - i);
    }
    CHECK_EQ(pop(0, &c), 0);
    /* given back out of order */
    for (uint16_t i = 0; i < 8; i++)
        virtio_mmio_push(&dev, 0, (uint16_t)(i * 3 % 8), i);
    CHECK_EQ(used_idx(0), 8);
    for (uint16_t i = 0; i < 8; i++) {
        CHECK_EQ(used_id(0, i), i * 3 % 8);
        CHECK_EQ(used_len(0, i), i);
    }
}

TEST(virtio_indexes_wrap_past_65536)
{
    dev_new(0, 1, 4);
    drv_start(1, 4);
    for (uint16_t i = 0; i < 4; i++)
        set_desc(0, i, BUF + 16ull * i, 16, W, 0);
    struct virtq_chain c;
    uint32_t total = 0;
    for (unsigned round = 0; total < 70000; round++) {
        unsigned batch = 1 + round % 4;
        for (unsigned k = 0; k < batch; k++)
            offer(0, (uint16_t)((total + k) % 4));
        for (unsigned k = 0; k < batch; k++) {
            CHECK_EQ(pop(0, &c), 1);
            CHECK_EQ(c.head, (total + k) % 4);
            CHECK(c.seg[0].p == at(BUF + 16 * c.head, 16));
            virtio_mmio_push(&dev, 0, c.head, (total + k) & 0xf);
            CHECK_EQ(used_idx(0), (uint16_t)(total + k + 1));
            CHECK_EQ(used_id(0, (uint16_t)(total + k)), c.head);
            CHECK_EQ(used_len(0, (uint16_t)(total + k)), (total + k) & 0xf);
        }
        CHECK_EQ(pop(0, &c), 0);
        total += batch;
    }
    CHECK_EQ(dev.queue[0].last_avail, (uint16_t)total);
    CHECK_EQ(dev.queue[0].used_idx, (uint16_t)total);
    CHECK(!dev.queue[0].broken);
    CHECK_EQ(rd(VIRTIO_MMIO_STATUS), LIVE);
}

/* ---- interrupts */

TEST(virtio_push_raises_the_used_interrupt)
{
    dev_new(0, 1, 8);
    drv_start(1, 8);
    set_desc(0, 0, BUF, 8, W, 0);
    offer(0, 0);
    struct virtq_chain c;
    CHECK_EQ(pop(0, &c), 1);
    CHECK(!virtio_mmio_irq_level(&dev));
    CHECK_EQ(rd(VIRTIO_MMIO_INTERRUPT_STATUS), 0);
    virtio_mmio_push(&dev, 0, c.head, 8);
    CHECK_EQ(rd(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_INT_USED);
    CHECK(virtio_mmio_irq_level(&dev));
    wr(VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_INT_CONFIG);
    CHECK_EQ(rd(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_INT_USED);
    CHECK(virtio_mmio_irq_level(&dev));
    virtio_mmio_write(&dev, VIRTIO_MMIO_INTERRUPT_ACK, 2, VIRTIO_INT_USED);
    CHECK_EQ(rd(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_INT_USED);
    wr(VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_INT_USED);
    CHECK_EQ(rd(VIRTIO_MMIO_INTERRUPT_STATUS), 0);
    CHECK(!virtio_mmio_irq_level(&dev));
}

TEST(virtio_interrupt_ack_clears_only_what_it_names)
{
    dev_new(0, 1, 8);
    drv_start(1, 8);
    set_desc(0, 0, BUF, 8, W, 0);
    offer(0, 0);
    struct virtq_chain c;
    CHECK_EQ(pop(0, &c), 1);
    virtio_mmio_push(&dev, 0, c.head, 8);
    virtio_mmio_needs_reset(&dev);
    CHECK_EQ(rd(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_INT_USED | VIRTIO_INT_CONFIG);
    wr(VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_INT_USED);
    CHECK_EQ(rd(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_INT_CONFIG);
    CHECK(virtio_mmio_irq_level(&dev));
    wr(VIRTIO_MMIO_INTERRUPT_ACK, 0xffffffff);
    CHECK_EQ(rd(VIRTIO_MMIO_INTERRUPT_STATUS), 0);
    CHECK(!virtio_mmio_irq_level(&dev));
    CHECK_EQ(rd(VIRTIO_MMIO_STATUS), LIVE | NEEDS_RESET); /* acknowledging is no reset */
}

TEST(virtio_no_interrupt_when_the_driver_asks_for_none)
{
    dev_new(0, 1, 8);
    drv_start(1, 8);
    put16(dq[0].avail, VIRTQ_AVAIL_F_NO_INTERRUPT);
    set_desc(0, 0, BUF, 8, W, 0);
    set_desc(0, 1, BUF + 8, 8, W, 0);
    offer(0, 0);
    offer(0, 1);
    struct virtq_chain c;
    CHECK_EQ(pop(0, &c), 1);
    virtio_mmio_push(&dev, 0, c.head, 3);
    CHECK_EQ(used_idx(0), 1); /* used all the same */
    CHECK_EQ(used_len(0, 0), 3);
    CHECK_EQ(rd(VIRTIO_MMIO_INTERRUPT_STATUS), 0);
    CHECK(!virtio_mmio_irq_level(&dev));
    /* the driver turns them back on */
    put16(dq[0].avail, 0);
    CHECK_EQ(pop(0, &c), 1);
    virtio_mmio_push(&dev, 0, c.head, 5);
    CHECK_EQ(used_idx(0), 2);
    CHECK_EQ(rd(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_INT_USED);
    /* and the queue alone says the same */
    put16(dq[0].avail, VIRTQ_AVAIL_F_NO_INTERRUPT);
    offer(0, 0);
    CHECK_EQ(virtq_pop(&dev.queue[0], &guest, &c), 1);
    CHECK(!virtq_push(&dev.queue[0], &guest, c.head, 0));
    CHECK_EQ(used_idx(0), 3);
    put16(dq[0].avail, 0);
    offer(0, 1);
    CHECK_EQ(virtq_pop(&dev.queue[0], &guest, &c), 1);
    CHECK(virtq_push(&dev.queue[0], &guest, c.head, 0));
    CHECK_EQ(used_idx(0), 4);
}

TEST(virtio_nothing_is_taken_or_given_before_driver_ok)
{
    dev_new(0, 1, 8);
    CHECK(drv_features(VIRTIO_F_VERSION_1, NULL));
    CHECK(drv_queue(0, 8, QDESC(0), QAVAIL(0), QUSED(0)));
    set_desc(0, 0, BUF, 8, R, 0);
    offer(0, 0);
    struct virtq_chain c;
    CHECK_EQ(pop(0, &c), 0);
    virtio_mmio_push(&dev, 0, 0, 0);
    CHECK_EQ(used_idx(0), 0);
    CHECK_EQ(rd(VIRTIO_MMIO_INTERRUPT_STATUS), 0);
    wr(VIRTIO_MMIO_STATUS, LIVE);
    CHECK_EQ(pop(0, &c), 1);
    CHECK_EQ(c.head, 0);
    /* nor after the driver gave up */
    wr(VIRTIO_MMIO_STATUS, LIVE | VIRTIO_STATUS_FAILED);
    offer(0, 0);
    CHECK_EQ(pop(0, &c), 0);
    virtio_mmio_push(&dev, 0, 0, 0);
    CHECK_EQ(used_idx(0), 0);
}

/* ---- a hostile driver */

/* A live queue 0 of 'num' entries (device maximum 'max') with chain 0 a
 * good single descriptor, already taken and given back once. */
static void hostile_start(uint16_t num, unsigned max)
{
    dev_new(0, 2, max);
    drv_start(2, num);
    set_desc(0, 0, BUF, 16, R, 0);
    offer(0, 0);
    struct virtq_chain c;
    CHECK_EQ(pop(0, &c), 1);
    virtio_mmio_push(&dev, 0, c.head, 0);
    CHECK_EQ(used_idx(0), 1);
    wr(VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_INT_USED);
}

TEST(virtio_avail_index_running_ahead_breaks_the_queue)
{
    hostile_start(8, 8);
    /* the whole ring at once is allowed */
    for (uint16_t i = 0; i < 8; i++)
        offer(0, 0);
    struct virtq_chain c;
    for (uint16_t i = 0; i < 8; i++)
        CHECK_EQ(pop(0, &c), 1);
    CHECK_EQ(pop(0, &c), 0);
    /* more than the ring is not */
    put16(dq[0].avail + 2, (uint16_t)(dev.queue[0].last_avail + 9));
    check_breaks(0);
    /* the other queue is not broken, but the device is */
    CHECK(!dev.queue[1].broken);
    CHECK(!virtio_mmio_queue_live(&dev, 1));

    /* an index that goes back is as far ahead as can be */
    hostile_start(8, 8);
    put16(dq[0].avail + 2, 0);
    check_breaks(0);
    hostile_start(8, 8);
    put16(dq[0].avail + 2, 0x8001);
    check_breaks(0);
}

TEST(virtio_head_out_of_range_breaks_the_queue)
{
    hostile_start(8, 8);
    offer(0, 8);
    check_breaks(0);
    hostile_start(8, 16); /* in the table the device allows, not in the driver's */
    set_desc(0, 12, BUF, 16, R, 0);
    offer(0, 12);
    check_breaks(0);
    hostile_start(8, 8);
    offer(0, 0xffff);
    check_breaks(0);
}

TEST(virtio_next_out_of_range_breaks_the_queue)
{
    hostile_start(8, 8);
    set_desc(0, 1, BUF, 16, NEXT, 8);
    offer(0, 1);
    check_breaks(0);
    hostile_start(8, 8);
    set_desc(0, 1, BUF, 16, NEXT, 2);
    set_desc(0, 2, BUF, 16, W | NEXT, 0xffff);
    offer(0, 1);
    check_breaks(0);
}

TEST(virtio_descriptor_loop_breaks_the_queue)
{
    /* a small queue: the loop is longer than the queue */
    hostile_start(4, 4);
    set_desc(0, 1, BUF, 16, NEXT, 2);
    set_desc(0, 2, BUF + 16, 16, NEXT, 1);
    offer(0, 1);
    check_breaks(0);
    /* a big queue: the loop is longer than a chain may be */
    hostile_start(256, 256);
    set_desc(0, 1, BUF, 16, NEXT, 2);
    set_desc(0, 2, BUF + 16, 16, NEXT, 1);
    offer(0, 1);
    check_breaks(0);
    /* a descriptor that is its own next */
    hostile_start(256, 256);
    set_desc(0, 1, BUF, 16, W | NEXT, 1);
    offer(0, 1);
    check_breaks(0);
}

TEST(virtio_chain_longer_than_max_segs_breaks_the_queue)
{
    hostile_start(32, 32);
    for (uint16_t i = 1; i <= VIRTQ_MAX_SEGS + 1; i++)
        set_desc(0, i, BUF + 16ull * i, 16, i <= VIRTQ_MAX_SEGS ? NEXT : 0, (uint16_t)(i + 1));
    offer(0, 1);
    check_breaks(0);
    /* one shorter is fine (virtio_pop_a_chain_of_the_most_segments) */
    hostile_start(32, 32);
    for (uint16_t i = 1; i <= VIRTQ_MAX_SEGS; i++)
        set_desc(0, i, BUF + 16ull * i, 16, i < VIRTQ_MAX_SEGS ? NEXT : 0, (uint16_t)(i + 1));
    offer(0, 1);
    struct virtq_chain c;
    CHECK_EQ(pop(0, &c), 1);
    CHECK_EQ(c.num_read, VIRTQ_MAX_SEGS);
}

TEST(virtio_indirect_descriptor_breaks_the_queue)
{
    hostile_start(8, 8);
    set_desc(0, 1, BUF + 0x100, 16, R, 0); /* a good table of one descriptor */
    set_desc(0, 2, BUF + 0x100, 16, VIRTQ_DESC_F_INDIRECT, 0);
    offer(0, 2);
    check_breaks(0);
    hostile_start(8, 8);
    set_desc(0, 1, BUF, 16, NEXT, 2);
    set_desc(0, 2, BUF + 0x100, 16, VIRTQ_DESC_F_INDIRECT | W, 0);
    offer(0, 1);
    check_breaks(0);
}

/* A chain whose second descriptor is [addr, addr + len) must break the
 * queue; so must one that is that descriptor alone. */
static void check_bad_buffer(uint64_t addr, uint32_t len)
{
    for (unsigned second = 0; second < 2; second++) {
        hostile_start(8, 8);
        set_desc(0, 1, BUF, 16, NEXT, 2);
        set_desc(0, 2, addr, len, W, 0);
        offer(0, second ? 1 : 2);
        check_breaks(0);
    }
}

TEST(virtio_buffer_outside_guest_memory_breaks_the_queue)
{
    check_bad_buffer(GUEST_GPA - 16, 16);
    check_bad_buffer(GUEST_GPA - 1, 2);
    check_bad_buffer(GUEST_GPA - 1, 0);
    check_bad_buffer(0, 1);
    check_bad_buffer(GUEST_END, 1);
    check_bad_buffer(GUEST_END - 15, 16);
    check_bad_buffer(GUEST_END + 1, 0);
    check_bad_buffer(BUF, 0xffffffff);
    check_bad_buffer(GUEST_GPA, GUEST_SIZE + 1);
    check_bad_buffer(GUEST_GPA | 1ull << 40, 16);
    /* ends that wrap around 2^64 */
    check_bad_buffer(0xfffffffffffffff0ull, 0x20);
    check_bad_buffer(UINT64_MAX, 2);
    check_bad_buffer(-(uint64_t)16, (uint32_t)(GUEST_GPA + 32)); /* its end wraps into guest memory */
    /* the last bytes of memory, and all of it, are fine */
    hostile_start(8, 8);
    set_desc(0, 1, GUEST_END - 16, 16, W, 0);
    set_desc(0, 2, GUEST_GPA, GUEST_SIZE, R, 0);
    offer(0, 1);
    offer(0, 2);
    struct virtq_chain c;
    CHECK_EQ(pop(0, &c), 1);
    CHECK(c.seg[0].p == at(GUEST_END - 16, 16));
    CHECK_EQ(pop(0, &c), 1);
    CHECK(c.seg[0].p == mem);
    CHECK_EQ(c.read_len, GUEST_SIZE);
}

TEST(virtio_readable_after_writable_breaks_the_queue)
{
    hostile_start(8, 8);
    set_desc(0, 1, BUF, 16, W | NEXT, 2);
    set_desc(0, 2, BUF + 16, 16, R, 0);
    offer(0, 1);
    check_breaks(0);
    hostile_start(8, 8);
    set_desc(0, 1, BUF, 16, NEXT, 2);
    set_desc(0, 2, BUF + 16, 16, W | NEXT, 3);
    set_desc(0, 3, BUF + 32, 16, NEXT, 4);
    set_desc(0, 4, BUF + 48, 16, W, 0);
    offer(0, 1);
    check_breaks(0);
}

TEST(virtio_reset_revives_a_broken_queue)
{
    hostile_start(8, 8);
    offer(0, 8);
    check_breaks(0);
    /* the driver cannot clear NEEDS_RESET short of a reset */
    wr(VIRTIO_MMIO_STATUS, LIVE);
    CHECK_EQ(rd(VIRTIO_MMIO_STATUS), LIVE | NEEDS_RESET);
    wr(VIRTIO_MMIO_QUEUE_SEL, 0);
    wr(VIRTIO_MMIO_QUEUE_READY, 1);
    CHECK(dev.queue[0].broken);
    unsigned resets = model.resets;
    memset(mem, 0, GUEST_SIZE); /* the driver's new rings start empty */
    drv_start(2, 8);
    CHECK_EQ(model.resets, resets + 1);
    CHECK(!dev.queue[0].broken);
    CHECK_EQ(rd(VIRTIO_MMIO_INTERRUPT_STATUS), 0);
    set_desc(0, 3, BUF, 16, R, 0);
    offer(0, 3);
    struct virtq_chain c;
    CHECK_EQ(pop(0, &c), 1);
    CHECK_EQ(c.head, 3);
    virtio_mmio_push(&dev, 0, c.head, 0);
    CHECK_EQ(used_idx(0), 1);
    CHECK_EQ(used_id(0, 0), 3);
    CHECK_EQ(rd(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_INT_USED);
}

/* ---- notification and reset */

TEST(virtio_notify_reaches_the_model_only_for_a_live_queue)
{
    dev_new(0, 3, 8);
    CHECK(drv_features(VIRTIO_F_VERSION_1, NULL));
    CHECK(drv_queue(0, 8, QDESC(0), QAVAIL(0), QUSED(0)));
    CHECK(drv_queue(1, 8, QDESC(1), QAVAIL(1), QUSED(1)));
    wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0); /* before DRIVER_OK */
    CHECK_EQ(model.notifies, 0);
    wr(VIRTIO_MMIO_STATUS, LIVE);
    wr(VIRTIO_MMIO_QUEUE_NOTIFY, 1);
    CHECK_EQ(model.notifies, 1);
    CHECK_EQ(model.last_notify, 1);
    wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    CHECK_EQ(model.notifies, 2);
    CHECK_EQ(model.last_notify, 0);
    wr(VIRTIO_MMIO_QUEUE_NOTIFY, 2); /* exists, never made ready */
    wr(VIRTIO_MMIO_QUEUE_NOTIFY, 3); /* does not exist */
    wr(VIRTIO_MMIO_QUEUE_NOTIFY, VIRTIO_MAX_QUEUES);
    wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0xffffffff);
    wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0x10000);
    virtio_mmio_write(&dev, VIRTIO_MMIO_QUEUE_NOTIFY, 2, 0);
    virtio_mmio_write(&dev, VIRTIO_MMIO_QUEUE_NOTIFY + 2, 4, 0);
    CHECK_EQ(model.notifies, 2);
    wr(VIRTIO_MMIO_QUEUE_SEL, 1);
    wr(VIRTIO_MMIO_QUEUE_READY, 0);
    wr(VIRTIO_MMIO_QUEUE_NOTIFY, 1); /* no longer ready */
    CHECK_EQ(model.notifies, 2);
    virtio_mmio_needs_reset(&dev);
    wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    CHECK_EQ(model.notifies, 2);
    CHECK(!model.wrong_device);
    /* nor once the driver has failed */
    dev_new(0, 1, 8);
    drv_start(1, 8);
    wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    CHECK_EQ(model.notifies, 1);
    wr(VIRTIO_MMIO_STATUS, LIVE | VIRTIO_STATUS_FAILED);
    wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    CHECK_EQ(model.notifies, 1);
}

TEST(virtio_status_zero_resets_the_transport)
{
    dev_new(1ull << 0, 2, 8);
    CHECK(drv_features(VIRTIO_F_VERSION_1 | 1, NULL));
    CHECK(drv_queue(0, 8, QDESC(0), QAVAIL(0), QUSED(0)));
    CHECK(drv_queue(1, 4, QDESC(1), QAVAIL(1), QUSED(1)));
    wr(VIRTIO_MMIO_STATUS, LIVE);
    set_desc(0, 0, BUF, 8, W, 0);
    offer(0, 0);
    offer(0, 0);
    struct virtq_chain c;
    CHECK_EQ(pop(0, &c), 1);
    virtio_mmio_push(&dev, 0, c.head, 0);
    virtio_mmio_needs_reset(&dev);
    wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    CHECK(virtio_mmio_irq_level(&dev));
    unsigned resets = model.resets;
    model.status_at_reset = 0xdead;
    model.ready_at_reset = true;

    wr(VIRTIO_MMIO_STATUS, 0);
    CHECK_EQ(model.resets, resets + 1);
    CHECK_EQ(model.status_at_reset, 0);
    CHECK(!model.ready_at_reset);
    CHECK(!model.wrong_device);
    CHECK_EQ(rd(VIRTIO_MMIO_STATUS), 0);
    CHECK_EQ(rd(VIRTIO_MMIO_INTERRUPT_STATUS), 0);
    CHECK(!virtio_mmio_irq_level(&dev));
    CHECK_EQ(dev.driver_features, 0);
    CHECK_EQ(dev.device_features_sel, 0);
    CHECK_EQ(dev.driver_features_sel, 0);
    CHECK_EQ(dev.queue_sel, 0);
    CHECK_EQ(rd(VIRTIO_MMIO_DEVICE_FEATURES), 1); /* still offered */
    for (unsigned q = 0; q < 2; q++) {
        wr(VIRTIO_MMIO_QUEUE_SEL, q);
        CHECK_EQ(rd(VIRTIO_MMIO_QUEUE_READY), 0);
        CHECK_EQ(rd(VIRTIO_MMIO_QUEUE_NUM_MAX), 8);
        CHECK(!dev.queue[q].ready);
        CHECK(!dev.queue[q].broken);
        CHECK_EQ(dev.queue[q].num, 0);
        CHECK_EQ(dev.queue[q].desc, 0);
        CHECK_EQ(dev.queue[q].driver, 0);
        CHECK_EQ(dev.queue[q].device, 0);
        CHECK_EQ(dev.queue[q].last_avail, 0);
        CHECK_EQ(dev.queue[q].used_idx, 0);
        CHECK(!virtio_mmio_queue_live(&dev, q));
    }
    CHECK_EQ(pop(0, &c), 0); /* the chain still offered is not taken */
    /* a second reset, of a device already reset, is a reset all the same */
    wr(VIRTIO_MMIO_STATUS, 0);
    CHECK_EQ(model.resets, resets + 2);
}

/* ---- guest memory and init */

TEST(virtio_mem_at_keeps_to_guest_memory)
{
    uint8_t buf[64];
    const struct virtio_mem m = { .host = buf, .gpa = GUEST_GPA, .size = sizeof buf };
    CHECK(virtio_mem_at(&m, GUEST_GPA, 64) == buf);
    CHECK(virtio_mem_at(&m, GUEST_GPA, 0) == buf);
    CHECK(virtio_mem_at(&m, GUEST_GPA + 63, 1) == buf + 63);
    CHECK(virtio_mem_at(&m, GUEST_GPA + 64, 0) == buf + 64);
    CHECK(!virtio_mem_at(&m, GUEST_GPA + 64, 1));
    CHECK(!virtio_mem_at(&m, GUEST_GPA + 65, 0));
    CHECK(!virtio_mem_at(&m, GUEST_GPA + 63, 2));
    CHECK(!virtio_mem_at(&m, GUEST_GPA, 65));
    /* below */
    CHECK(!virtio_mem_at(&m, GUEST_GPA - 1, 0));
    CHECK(!virtio_mem_at(&m, GUEST_GPA - 1, 2));
    CHECK(!virtio_mem_at(&m, 0, 0));
    CHECK(!virtio_mem_at(&m, 0, GUEST_GPA + 1));
    /* lengths that overflow, and ends that wrap */
    CHECK(!virtio_mem_at(&m, GUEST_GPA + 8, UINT64_MAX));
    CHECK(!virtio_mem_at(&m, GUEST_GPA + 8, -(uint64_t)8));
    CHECK(!virtio_mem_at(&m, GUEST_GPA + 8, -(uint64_t)GUEST_GPA));
    CHECK(!virtio_mem_at(&m, UINT64_MAX, 2));
    CHECK(!virtio_mem_at(&m, UINT64_MAX - 7, GUEST_GPA + 16));
    /* memory that ends at 2^64 */
    const struct virtio_mem top = { .host = buf, .gpa = -(uint64_t)sizeof buf, .size = sizeof buf };
    CHECK(virtio_mem_at(&top, UINT64_MAX - 15, 16) == buf + 48);
    CHECK(virtio_mem_at(&top, UINT64_MAX, 1) == buf + 63);
    CHECK(!virtio_mem_at(&top, UINT64_MAX, 2));
    CHECK(!virtio_mem_at(&top, UINT64_MAX - 15, 17));
    CHECK(!virtio_mem_at(&top, 0, 1));
    CHECK(!virtio_mem_at(&top, 0, 0));
    /* no memory at all */
    const struct virtio_mem none = { .host = buf, .gpa = GUEST_GPA, .size = 0 };
    CHECK(virtio_mem_at(&none, GUEST_GPA, 0) == buf);
    CHECK(!virtio_mem_at(&none, GUEST_GPA, 1));
}

TEST(virtio_init_refuses_arguments_out_of_range)
{
    dev_new(0, 1, 8);
    struct virtio_mmio d;
    CHECK(!virtio_mmio_init(&d, DEVICE_ID, 0, 0, 8, &guest, &model_ops, NULL));
    CHECK(!virtio_mmio_init(&d, DEVICE_ID, 0, VIRTIO_MAX_QUEUES + 1, 8, &guest, &model_ops, NULL));
    CHECK(!virtio_mmio_init(&d, DEVICE_ID, 0, ~0u, 8, &guest, &model_ops, NULL));
    static const unsigned bad_max[] = { 0, 3, 6, 100, 255, VIRTQ_MAX_SIZE + 1, VIRTQ_MAX_SIZE * 2, 0x10000,
                                        0x10010, ~0u };
    for (unsigned i = 0; i < sizeof bad_max / sizeof bad_max[0]; i++)
        CHECK(!virtio_mmio_init(&d, DEVICE_ID, 0, 1, bad_max[i], &guest, &model_ops, NULL));
    CHECK(!virtio_mmio_init(&d, DEVICE_ID, 0, 1, 8, NULL, &model_ops, NULL));
    CHECK(!virtio_mmio_init(&d, DEVICE_ID, 0, 1, 8, &guest, NULL, NULL));
    /* the limits themselves are fine */
    CHECK(virtio_mmio_init(&d, DEVICE_ID, 0, 1, 1, &guest, &model_ops, NULL));
    CHECK_EQ(d.queue[0].num_max, 1);
    /* transport features (bit 24 up: indirect descriptors, event
     * indexes, ...) are not the model's to offer */
    static const uint64_t bad_features[] = { 1ull << 24, 1ull << 28, 1ull << 29, VIRTIO_F_VERSION_1, 1ull << 34,
                                             1ull << 63 };
    for (unsigned i = 0; i < sizeof bad_features / sizeof bad_features[0]; i++)
        CHECK(!virtio_mmio_init(&d, DEVICE_ID, bad_features[i], 1, 8, &guest, &model_ops, NULL));
    /* guest memory at another address modulo 16 in the VMM */
    struct virtio_mem skewed = guest;
    skewed.host += 8;
    skewed.size -= 8;
    CHECK(!virtio_mmio_init(&d, DEVICE_ID, 0, 1, 8, &skewed, &model_ops, NULL));
    CHECK(virtio_mmio_init(&d, 7, VIRTIO_DEVICE_FEATURES, VIRTIO_MAX_QUEUES, VIRTQ_MAX_SIZE, &guest, &model_ops, &d));
    CHECK_EQ(d.device_features, VIRTIO_F_VERSION_1 | VIRTIO_DEVICE_FEATURES);
    CHECK_EQ(d.num_queues, VIRTIO_MAX_QUEUES);
    CHECK(d.ctx == &d);
    CHECK_EQ(virtio_mmio_read(&d, VIRTIO_MMIO_DEVICE_ID, 4), 7);
    virtio_mmio_write(&d, VIRTIO_MMIO_QUEUE_SEL, 4, VIRTIO_MAX_QUEUES - 1);
    CHECK_EQ(virtio_mmio_read(&d, VIRTIO_MMIO_QUEUE_NUM_MAX, 4), VIRTQ_MAX_SIZE);
    virtio_mmio_write(&d, VIRTIO_MMIO_QUEUE_SEL, 4, VIRTIO_MAX_QUEUES);
    CHECK_EQ(virtio_mmio_read(&d, VIRTIO_MMIO_QUEUE_NUM_MAX, 4), 0);
}
