/* The console's virtio device (lib/vmm/console.c over lib/vmm/virtio.c):
 * its buffers on the same rings as the PL011, against a driver that resets
 * queues under the device's feet and breaks them. The transport itself is
 * tested in test_virtio.c. */
#include "harness.h"
#include <vmm/console.h>
#include <stdlib.h>
#include <string.h>

#define REGION 512u /* two rings of 128 bytes */
#define GPA 0x40000000ull
#define GUEST_SIZE 0x10000u
#define Q_BASE(q) (GPA + 0x1000ull * (q))  /* desc at +0, avail +0x400, used +0x800 */
#define BUF(k) (GPA + 0x8000ull + 0x400ull * (k))
#define QSIZE 8u
#define RXQ 0u
#define TXQ 1u

static uint8_t *region, *mem;
static struct vmm_console con;
static struct ring peer_in, peer_out; /* the peer reads ring 0, writes ring 1 */
static uint16_t avail_idx[2];

static uint8_t *at(uint64_t gpa) { return mem + (gpa - GPA); }
static void put16(uint64_t gpa, uint16_t v) { memcpy(at(gpa), &v, 2); }
static uint16_t get16(uint64_t gpa)
{
    uint16_t v;
    memcpy(&v, at(gpa), 2);
    return v;
}
static uint32_t get32(uint64_t gpa)
{
    uint32_t v;
    memcpy(&v, at(gpa), 4);
    return v;
}

static unsigned wr(uint64_t offset, uint32_t value) { return vmm_console_virtio_write(&con, offset, 4, value); }
static uint32_t rd(uint64_t offset)
{
    uint32_t v;
    vmm_console_virtio_read(&con, offset, 4, &v);
    return v;
}

static void queue_up(unsigned q)
{
    memset(at(Q_BASE(q)), 0, 0x1000);
    avail_idx[q] = 0;
    wr(VIRTIO_MMIO_QUEUE_SEL, q);
    wr(VIRTIO_MMIO_QUEUE_NUM, QSIZE);
    wr(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)Q_BASE(q));
    wr(VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)(Q_BASE(q) + 0x400));
    wr(VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)(Q_BASE(q) + 0x800));
    wr(VIRTIO_MMIO_QUEUE_READY, 1);
}

/* Linux's probe: features, both queues, DRIVER_OK. */
static void driver_up(void)
{
    wr(VIRTIO_MMIO_STATUS, 0);
    wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    wr(VIRTIO_MMIO_DRIVER_FEATURES, 1); /* VERSION_1 */
    wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
    CHECK(rd(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK);
    queue_up(RXQ);
    queue_up(TXQ);
    wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
                               VIRTIO_STATUS_DRIVER_OK);
}

static void setup(void)
{
    free(region);
    free(mem);
    region = calloc(1, REGION);
    mem = aligned_alloc(16, GUEST_SIZE);
    CHECK(region && mem);
    memset(mem, 0, GUEST_SIZE);
    CHECK_EQ(vmm_console_init(&con, region, REGION), 0);
    CHECK_EQ(ring_pair_attach(&peer_out, &peer_in, region, REGION, 1), 0);
    struct virtio_mem m = { mem, GPA, GUEST_SIZE };
    CHECK(vmm_console_add_virtio(&con, &m));
}

/* Buffer k (descriptor k) of queue q: 'len' bytes, 'text' in it for the
 * output queue, writable for the input queue; then kicked. */
static unsigned offer(unsigned q, uint16_t k, const char *text, uint32_t len)
{
    uint64_t d = Q_BASE(q) + 16ull * k;
    uint64_t addr = BUF(k + 8 * q);
    if (text)
        memcpy(at(addr), text, len);
    memcpy(at(d), &addr, 8);
    memcpy(at(d + 8), &len, 4);
    put16(d + 12, q == RXQ ? VIRTQ_DESC_F_WRITE : 0);
    put16(Q_BASE(q) + 0x400 + 4 + 2 * (avail_idx[q] % QSIZE), k);
    put16(Q_BASE(q) + 0x400 + 2, ++avail_idx[q]);
    return wr(VIRTIO_MMIO_QUEUE_NOTIFY, q);
}

static uint16_t used_idx(unsigned q) { return get16(Q_BASE(q) + 0x800 + 2); }

static int peer_read(char *buf, size_t len)
{
    int n = ring_read(&peer_in, buf, len);
    if (n >= 0)
        buf[n] = 0;
    return n;
}

TEST(console_virtio_output_reaches_ring_0_a_buffer_an_exit)
{
    setup();
    driver_up();
    unsigned flags = offer(TXQ, 0, "hello\n", 6);
    CHECK(flags & VMM_CONSOLE_VIRTIO_LEVEL);
    CHECK(vmm_console_virtio_irq_level(&con));
    CHECK_EQ(used_idx(TXQ), 1);
    char buf[256];
    CHECK_EQ(peer_read(buf, sizeof buf), 6);
    CHECK(!strcmp(buf, "hello\n"));
    /* the driver acknowledges: the line goes down */
    flags = wr(VIRTIO_MMIO_INTERRUPT_ACK, rd(VIRTIO_MMIO_INTERRUPT_STATUS));
    CHECK(flags & VMM_CONSOLE_VIRTIO_LEVEL);
    CHECK(!vmm_console_virtio_irq_level(&con));
}

TEST(console_virtio_full_ring_holds_the_buffer_and_loses_nothing)
{
    setup();
    driver_up();
    char text[300];
    for (unsigned i = 0; i < sizeof text; i++)
        text[i] = (char)('a' + i % 26);
    offer(TXQ, 0, text, sizeof text);
    CHECK_EQ(used_idx(TXQ), 0); /* more than the ring holds: kept */
    char got[400] = "", buf[256];
    size_t total = 0;
    for (int round = 0; round < 10 && total < sizeof text; round++) {
        int n = peer_read(buf, sizeof buf);
        CHECK(n >= 0);
        memcpy(got + total, buf, (size_t)n);
        total += (size_t)n;
        vmm_console_service(&con); /* the peer's signal */
    }
    CHECK_EQ(total, sizeof text);
    CHECK(!memcmp(got, text, sizeof text));
    CHECK_EQ(used_idx(TXQ), 1);
}

/* A driver that resets the device while the device holds its buffer half
 * copied: the old buffer must not be given back into the new ring, nor
 * its rest printed. */
TEST(console_virtio_reset_while_a_buffer_is_held)
{
    setup();
    driver_up();
    char text[300];
    memset(text, 'x', sizeof text);
    offer(TXQ, 0, text, sizeof text);
    char buf[256];
    int first = peer_read(buf, sizeof buf);
    CHECK(first > 0 && first < (int)sizeof text);
    driver_up(); /* Status 0 and a new probe: the queues start again */
    vmm_console_service(&con);
    CHECK_EQ(used_idx(TXQ), 0);
    CHECK_EQ(peer_read(buf, sizeof buf), 0);
    /* the same with a queue stopped and started alone (QueueReady 0, 1);
     * what moved before the stop (the ring had room) is output */
    offer(TXQ, 1, text, sizeof text);
    int before = peer_read(buf, sizeof buf);
    CHECK(before > 0);
    wr(VIRTIO_MMIO_QUEUE_SEL, TXQ);
    before += peer_read(buf, sizeof buf);
    wr(VIRTIO_MMIO_QUEUE_READY, 0);
    before += peer_read(buf, sizeof buf);
    CHECK(before < (int)sizeof text);
    queue_up(TXQ);
    vmm_console_service(&con);
    CHECK_EQ(used_idx(TXQ), 0);
    CHECK_EQ(peer_read(buf, sizeof buf), 0);
    /* and the new queue works */
    offer(TXQ, 2, "ok\n", 3);
    CHECK_EQ(used_idx(TXQ), 1);
    CHECK_EQ(peer_read(buf, sizeof buf), 3);
    CHECK(!strcmp(buf, "ok\n"));
}

TEST(console_virtio_input_to_the_pl011_until_the_driver_is_up)
{
    setup();
    CHECK_EQ(ring_write(&peer_out, "ab", 2), 2);
    vmm_console_service(&con);
    uint32_t c0, c1;
    vmm_console_read(&con, PL011_DR, 4, &c0);
    vmm_console_read(&con, PL011_DR, 4, &c1);
    CHECK_EQ(c0 & 0xff, 'a');
    CHECK_EQ(c1 & 0xff, 'b');
    driver_up();
    offer(RXQ, 0, NULL, 64);
    CHECK_EQ(ring_write(&peer_out, "cde", 3), 3);
    unsigned flags = vmm_console_service(&con);
    CHECK(flags & VMM_CONSOLE_VIRTIO_LEVEL);
    CHECK_EQ(used_idx(RXQ), 1);
    CHECK_EQ(get32(Q_BASE(RXQ) + 0x800 + 4 + 4), 3);
    CHECK(!memcmp(at(BUF(0)), "cde", 3));
    /* no buffer: the input waits in the ring until the driver gives one */
    CHECK_EQ(ring_write(&peer_out, "fg", 2), 2);
    vmm_console_service(&con);
    CHECK_EQ(used_idx(RXQ), 1);
    offer(RXQ, 1, NULL, 64);
    CHECK_EQ(used_idx(RXQ), 2);
    CHECK(!memcmp(at(BUF(1)), "fg", 2));
}

/* A receive buffer the device cannot write (readable only) is given back
 * empty, and the input goes on into the next one without another kick. */
TEST(console_virtio_unwritable_receive_buffer_is_skipped)
{
    setup();
    driver_up();
    offer(RXQ, 0, NULL, 64);
    put16(Q_BASE(RXQ) + 12, 0); /* descriptor 0: not writable after all */
    offer(RXQ, 1, NULL, 64);
    CHECK_EQ(used_idx(RXQ), 0);
    CHECK_EQ(ring_write(&peer_out, "xy", 2), 2);
    vmm_console_service(&con);
    CHECK_EQ(used_idx(RXQ), 2);
    CHECK_EQ(get32(Q_BASE(RXQ) + 0x800 + 4 + 4), 0);     /* the first given back empty */
    CHECK_EQ(get32(Q_BASE(RXQ) + 0x800 + 4 + 8 + 4), 2); /* the second holds the input */
    CHECK(!memcmp(at(BUF(1)), "xy", 2));
}

/* Garbage from the driver: an index far ahead, a buffer outside guest
 * memory. The device stops its queues and says so; the PL011 and the
 * rings go on. */
TEST(console_virtio_broken_queue_stops_only_the_device)
{
    setup();
    driver_up();
    put16(Q_BASE(TXQ) + 0x400 + 2, 1000);
    wr(VIRTIO_MMIO_QUEUE_NOTIFY, TXQ);
    CHECK(rd(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
    CHECK(rd(VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_INT_CONFIG);
    CHECK_EQ(used_idx(TXQ), 0);
    vmm_console_write(&con, PL011_DR, 4, 'z');
    vmm_console_write(&con, PL011_CR, 4, PL011_CR_UARTEN | PL011_CR_TXE | PL011_CR_RXE);
    char buf[16];
    CHECK_EQ(peer_read(buf, sizeof buf), 1);
    CHECK(!strcmp(buf, "z"));
    /* a reset and a new probe bring it back; then a buffer outside memory */
    driver_up();
    uint64_t d = Q_BASE(TXQ);
    uint64_t far = GPA + GUEST_SIZE - 4;
    uint32_t len = 64;
    memcpy(at(d), &far, 8);
    memcpy(at(d + 8), &len, 4);
    put16(Q_BASE(TXQ) + 0x400 + 4, 0);
    put16(Q_BASE(TXQ) + 0x400 + 2, 1);
    wr(VIRTIO_MMIO_QUEUE_NOTIFY, TXQ);
    CHECK(rd(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
    CHECK_EQ(used_idx(TXQ), 0);
    CHECK_EQ(peer_read(buf, sizeof buf), 0);
}
