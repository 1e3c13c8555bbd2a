/* Shared-memory byte rings (lib/ring/ring.c). The shared region of each
 * ring is allocated at its exact size, so ASan catches any access outside
 * it; the threaded tests put a peer on another CPU, honest or hostile. */
#include "harness.h"
#include <ring/ring.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- fixtures */

/* One ring, both of its sides, and the shared memory between them. */
struct fix {
    uint8_t *mem;
    struct ring_ctrl *ctl;
    uint8_t *data;
    uint32_t size;
    struct ring p, c;
};

static void fix_init(struct fix *f, uint32_t size, uint32_t start)
{
    f->mem = calloc(1, RING_CTRL_SIZE + size);
    f->ctl = (struct ring_ctrl *)f->mem;
    f->data = f->mem + RING_CTRL_SIZE;
    f->size = size;
    f->ctl->write = f->ctl->read = start;
    CHECK_EQ(ring_attach_producer(&f->p, f->mem, size), 0);
    CHECK_EQ(ring_attach_consumer(&f->c, f->mem, size), 0);
}

static void fix_free(struct fix *f)
{
    free(f->mem);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (uint32_t)(*s >> 11);
}

static uint32_t rnd_below(uint32_t n)
{
    return rnd(&rng_state) % n;
}

/* Byte i of a test stream: no period a ring size could hide. */
static uint8_t pattern(uint64_t i)
{
    uint64_t x = (i + 1) * 0x9e3779b97f4a7c15ull;
    x ^= x >> 29;
    x *= 0xbf58476d1ce4e5b9ull;
    return (uint8_t)(x >> 32);
}

static void fill(uint8_t *buf, size_t n, uint64_t from)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = pattern(from + i);
}

static bool matches(const uint8_t *buf, size_t n, uint64_t from)
{
    for (size_t i = 0; i < n; i++)
        if (buf[i] != pattern(from + i))
            return false;
    return true;
}

/* ---- attaching */

TEST(ring_attach_rejects_bad_arguments)
{
    static uint32_t mem[(RING_CTRL_SIZE + 128) / 4];
    struct ring r;
    static const uint32_t bad[] = { 0, 1, 32, 63, 100, 96, 65, 1u << 25, 0x80000000u, 0xffffffffu };
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_EQ(ring_attach_producer(&r, mem, bad[i]), RING_BAD_ARG);
        CHECK_EQ(r.side, RING_UNATTACHED);
        CHECK_EQ(ring_attach_consumer(&r, mem, bad[i]), RING_BAD_ARG);
    }
    CHECK_EQ(ring_attach_producer(&r, NULL, 64), RING_BAD_ARG);
    CHECK_EQ(ring_attach_consumer(&r, (uint8_t *)mem + 2, 64), RING_BAD_ARG);
    CHECK_EQ(ring_attach_producer(&r, mem, 64), 0);
    CHECK_EQ(ring_attach_consumer(&r, mem, 128), 0);
}

TEST(ring_an_unattached_ring_or_the_wrong_side_does_nothing)
{
    struct fix f;
    fix_init(&f, 64, 0);
    struct ring none;
    uint8_t buf[8] = { 0 };
    ring_attach_producer(&none, NULL, 64);
    struct ring *wrong[] = { &none, &f.c };
    for (unsigned i = 0; i < 2; i++) {
        CHECK_EQ(ring_write(wrong[i], buf, 8), RING_BAD_ARG);
        CHECK_EQ(ring_write_packet(wrong[i], buf, 8), RING_BAD_ARG);
        CHECK_EQ(ring_space(wrong[i]), RING_BAD_ARG);
        CHECK(!ring_prepare_wait_write(wrong[i]));
        CHECK(!ring_need_wake_reader(wrong[i]));
    }
    wrong[1] = &f.p;
    for (unsigned i = 0; i < 2; i++) {
        CHECK_EQ(ring_read(wrong[i], buf, 8), RING_BAD_ARG);
        CHECK_EQ(ring_read_packet(wrong[i], buf, 8), RING_BAD_ARG);
        CHECK_EQ(ring_available(wrong[i]), RING_BAD_ARG);
        CHECK(!ring_prepare_wait_read(wrong[i]));
        CHECK(!ring_need_wake_writer(wrong[i]));
    }
    static const uint8_t zero[RING_CTRL_SIZE + 64];
    CHECK(memcmp(f.mem, zero, sizeof zero) == 0);
    fix_free(&f);
}

/* ---- bytes */

TEST(ring_empty)
{
    struct fix f;
    fix_init(&f, 64, 0);
    uint8_t buf[16];
    memset(buf, 0xaa, sizeof buf);
    CHECK_EQ(ring_available(&f.c), 0);
    CHECK_EQ(ring_space(&f.p), 64);
    CHECK_EQ(ring_read(&f.c, buf, sizeof buf), 0);
    CHECK_EQ(ring_read_packet(&f.c, buf, sizeof buf), 0);
    CHECK_EQ(buf[0], 0xaa);
    CHECK_EQ(f.ctl->read, 0);
    fix_free(&f);
}

TEST(ring_bytes_arrive_in_order_and_advance_the_offsets)
{
    struct fix f;
    fix_init(&f, 256, 0);
    uint8_t in[100], out[100];
    fill(in, 100, 0);
    CHECK_EQ(ring_write(&f.p, in, 100), 100);
    CHECK_EQ(f.ctl->write, 100);
    CHECK_EQ(f.ctl->read, 0);
    CHECK_EQ(ring_available(&f.c), 100);
    CHECK_EQ(ring_space(&f.p), 156);
    CHECK_EQ(ring_read(&f.c, out, 30), 30);
    CHECK_EQ(ring_read(&f.c, out + 30, 100), 70);
    CHECK(memcmp(in, out, 100) == 0);
    CHECK_EQ(f.ctl->read, 100);
    CHECK_EQ(ring_write(&f.p, in, 0), 0);
    CHECK_EQ(ring_read(&f.c, out, 0), 0);
    fix_free(&f);
}

TEST(ring_full_and_exactly_full)
{
    struct fix f;
    fix_init(&f, 64, 0);
    uint8_t in[100], out[100];
    fill(in, 100, 7);
    CHECK_EQ(ring_write(&f.p, in, 64), 64); /* exactly full */
    CHECK_EQ(ring_space(&f.p), 0);
    CHECK_EQ(ring_available(&f.c), 64);
    CHECK_EQ(ring_write(&f.p, in, 1), 0);
    CHECK_EQ(f.ctl->write, 64);
    CHECK_EQ(ring_read(&f.c, out, 100), 64);
    CHECK(memcmp(in, out, 64) == 0);
    CHECK_EQ(ring_write(&f.p, in, 100), 64); /* more than fits: what fits */
    CHECK_EQ(ring_read(&f.c, out, 100), 64);
    CHECK(memcmp(in, out, 64) == 0);
    fix_free(&f);
}

TEST(ring_wraps_at_the_end_of_the_data_area)
{
    struct fix f;
    fix_init(&f, 64, 0);
    uint8_t in[64], out[64];
    fill(in, 64, 0);
    CHECK_EQ(ring_write(&f.p, in, 40), 40);
    CHECK_EQ(ring_read(&f.c, out, 40), 40);
    fill(in, 64, 1000);
    CHECK_EQ(ring_write(&f.p, in, 50), 50);
    CHECK(memcmp(f.data + 40, in, 24) == 0); /* the tail of the area, then its start */
    CHECK(memcmp(f.data, in + 24, 26) == 0);
    CHECK_EQ(ring_read(&f.c, out, 64), 50);
    CHECK(memcmp(in, out, 50) == 0);
    CHECK_EQ(f.ctl->write, 90);
    CHECK_EQ(f.ctl->read, 90);
    fix_free(&f);
}

TEST(ring_wraps_the_32_bit_offsets)
{
    struct fix f;
    fix_init(&f, 128, 0xffffffb0u);
    CHECK_EQ(f.p.mine, 0xffffffb0u);
    CHECK_EQ(f.c.mine, 0xffffffb0u);
    uint8_t in[128], out[128];
    uint64_t sent = 0, got = 0;
    for (int i = 0; i < 20; i++) {
        fill(in, 100, sent);
        int n = ring_write(&f.p, in, 100);
        CHECK(n > 0);
        sent += (unsigned)n;
        CHECK_EQ(ring_available(&f.c), sent - got);
        n = ring_read(&f.c, out, 77);
        CHECK(matches(out, (unsigned)n, got));
        got += (unsigned)n;
    }
    CHECK_EQ(f.ctl->write, (uint32_t)(0xffffffb0u + sent));
    CHECK_EQ(f.ctl->read, (uint32_t)(0xffffffb0u + got));
    CHECK(f.ctl->write < 0x1000); /* went past 2^32 */
    fix_free(&f);
}

/* Random lengths on both sides against a model (the pattern stream), with
 * random sizes and start offsets, some right below 2^32. */
TEST(ring_random_traffic_matches_the_model)
{
    static uint8_t in[16384], out[16384];
    for (int round = 0; round < 40; round++) {
        uint32_t size = 64u << rnd_below(8);
        uint32_t start = round & 1 ? rnd(&rng_state) : 0u - rnd_below(3 * size);
        struct fix f;
        fix_init(&f, size, start);
        uint64_t sent = 0, got = 0;
        for (int i = 0; i < 2000; i++) {
            uint32_t len = rnd_below(size + size / 2 + 1);
            if (rnd_below(2)) {
                fill(in, len, sent);
                int n = ring_write(&f.p, in, len);
                uint64_t fits = size - (sent - got);
                CHECK_EQ(n, len < fits ? len : fits);
                sent += (unsigned)n;
            } else {
                int n = ring_read(&f.c, out, len);
                uint64_t avail = sent - got;
                CHECK_EQ(n, len < avail ? len : avail);
                CHECK(matches(out, (unsigned)n, got));
                got += (unsigned)n;
            }
            CHECK_EQ(ring_available(&f.c), sent - got);
            CHECK_EQ(ring_space(&f.p), size - (sent - got));
            CHECK_EQ(f.ctl->write, (uint32_t)(start + sent));
            CHECK_EQ(f.ctl->read, (uint32_t)(start + got));
        }
        fix_free(&f);
    }
}

/* ---- a broken peer */

/* Everything a side can do, on a peer offset that is impossible: each
 * returns RING_BROKEN (or false) and leaves shared memory, the side's
 * private state and the caller's buffer as they were. */
static void check_broken(struct fix *f, struct ring *r)
{
    uint32_t len = RING_CTRL_SIZE + f->size;
    uint8_t *shared = malloc(len), buf[32], pattern_buf[32];
    memcpy(shared, f->mem, len);
    struct ring before = *r;
    memset(buf, 0x5a, sizeof buf);
    memcpy(pattern_buf, buf, sizeof buf);
    if (r->side == RING_PRODUCER) {
        CHECK_EQ(ring_space(r), RING_BROKEN);
        CHECK_EQ(ring_write(r, buf, sizeof buf), RING_BROKEN);
        CHECK_EQ(ring_write_packet(r, buf, 8), RING_BROKEN);
        CHECK(!ring_prepare_wait_write(r));
    } else {
        CHECK_EQ(ring_available(r), RING_BROKEN);
        CHECK_EQ(ring_read(r, buf, sizeof buf), RING_BROKEN);
        CHECK_EQ(ring_read_packet(r, buf, sizeof buf), RING_BROKEN);
        CHECK(!ring_prepare_wait_read(r));
    }
    CHECK(memcmp(shared, f->mem, len) == 0);
    CHECK(memcmp(&before, r, sizeof before) == 0);
    CHECK(memcmp(buf, pattern_buf, sizeof buf) == 0);
    free(shared);
}

TEST(ring_producer_rejects_every_impossible_read_offset)
{
    static const uint32_t starts[] = { 0, 1000, 0xfffffff0u };
    for (unsigned s = 0; s < 3; s++) {
        struct fix f;
        fix_init(&f, 64, starts[s]);
        uint8_t in[20];
        fill(in, 20, 0);
        CHECK_EQ(ring_write(&f.p, in, 20), 20);
        uint32_t w = f.p.mine;
        static const uint32_t bad[] = { 1, 2, 44, 0x7fffffff, 0x80000000u, 0xffffffbfu };
        for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            f.ctl->read = w + bad[i]; /* ahead of write */
            check_broken(&f, &f.p);
        }
        f.ctl->read = w - 65; /* write more than size ahead of read */
        check_broken(&f, &f.p);
        f.ctl->read = w - 64; /* exactly full: fine */
        CHECK_EQ(ring_space(&f.p), 0);
        f.ctl->read = w; /* read everything: fine */
        CHECK_EQ(ring_space(&f.p), 64);
        f.ctl->read = w - 20; /* moved backwards, still possible: only less room */
        CHECK_EQ(ring_space(&f.p), 44);
        f.ctl->read = w - 100; /* moved backwards out of reach */
        check_broken(&f, &f.p);
        fix_free(&f);
    }
}

TEST(ring_consumer_rejects_every_impossible_write_offset)
{
    static const uint32_t starts[] = { 0, 1000, 0xfffffff0u };
    for (unsigned s = 0; s < 3; s++) {
        struct fix f;
        fix_init(&f, 64, starts[s]);
        uint8_t in[20], out[20];
        fill(in, 20, 0);
        CHECK_EQ(ring_write(&f.p, in, 20), 20);
        CHECK_EQ(ring_read(&f.c, out, 10), 10);
        uint32_t r = f.c.mine;
        static const uint32_t bad[] = { 65, 66, 1000, 0x7fffffff, 0x80000000u, 0xfffffff6u, 0xffffffffu };
        for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            f.ctl->write = r + bad[i]; /* more than size ahead, or behind read */
            check_broken(&f, &f.c);
        }
        f.ctl->write = r + 64; /* exactly full: fine */
        CHECK_EQ(ring_available(&f.c), 64);
        f.ctl->write = r + 5; /* moved backwards, still possible: less to read */
        CHECK_EQ(ring_available(&f.c), 5);
        f.ctl->write = r - 3; /* moved backwards behind what was read */
        check_broken(&f, &f.c);
        f.ctl->write = r + 10; /* back to the truth: the ring works again */
        CHECK_EQ(ring_read(&f.c, out, 20), 10);
        CHECK(matches(out, 10, 10));
        fix_free(&f);
    }
}

TEST(ring_a_side_ignores_the_peers_rewrites_of_its_own_offset)
{
    struct fix f;
    fix_init(&f, 64, 0);
    uint8_t in[64], out[64];
    fill(in, 64, 0);
    CHECK_EQ(ring_write(&f.p, in, 10), 10);
    f.ctl->write = 1000; /* the consumer scribbles on the producer's offset */
    CHECK_EQ(ring_space(&f.p), 54);
    CHECK_EQ(ring_write(&f.p, in + 10, 5), 5);
    CHECK_EQ(f.ctl->write, 15); /* restored by the next publication */
    CHECK_EQ(ring_read(&f.c, out, 4), 4);
    f.ctl->read = 0xdead; /* the producer scribbles on the consumer's offset */
    CHECK_EQ(ring_available(&f.c), 11);
    CHECK_EQ(ring_read(&f.c, out + 4, 64), 11);
    CHECK(memcmp(in, out, 15) == 0);
    CHECK_EQ(f.ctl->read, 15);
    fix_free(&f);
}

/* ---- packets */

static void put_header(struct fix *f, uint32_t n)
{
    uint8_t h[4] = { (uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24) };
    CHECK_EQ(ring_write(&f->p, h, 4), 4);
}

TEST(ring_packets_exact_fit_and_too_big)
{
    struct fix f;
    fix_init(&f, 64, 0);
    uint8_t in[64], out[64];
    fill(in, 64, 3);
    CHECK_EQ(ring_write_packet(&f.p, in, 60), 60); /* header and payload fill the ring */
    CHECK_EQ(ring_space(&f.p), 0);
    CHECK_EQ(f.data[0], 60);
    CHECK_EQ(f.data[1] | f.data[2] | f.data[3], 0);
    CHECK_EQ(ring_write_packet(&f.p, in, 1), 0);
    CHECK_EQ(ring_read_packet(&f.c, out, 59), RING_TOO_BIG); /* left in the ring */
    CHECK_EQ(ring_available(&f.c), 64);
    CHECK_EQ(ring_read_packet(&f.c, out, 60), 60);
    CHECK(memcmp(in, out, 60) == 0);
    CHECK_EQ(ring_write_packet(&f.p, in, 61), RING_TOO_BIG);
    CHECK_EQ(ring_write_packet(&f.p, in, (size_t)1 << 40), RING_TOO_BIG);
    CHECK_EQ(ring_write_packet(&f.p, in, 0), RING_BAD_ARG);
    CHECK_EQ(ring_available(&f.c), 0);
    CHECK_EQ(ring_write(&f.p, in, 40), 40); /* 24 left: a 20-byte packet fits, 21 does not */
    CHECK_EQ(ring_write_packet(&f.p, in, 21), 0);
    CHECK_EQ(f.ctl->write, 64 + 40);
    CHECK_EQ(ring_write_packet(&f.p, in, 20), 20);
    CHECK_EQ(ring_space(&f.p), 0);
    fix_free(&f);
}

TEST(ring_a_partial_packet_is_not_yet_available)
{
    struct fix f;
    fix_init(&f, 64, 0xfffffffeu); /* the header straddles 2^32 */
    uint8_t in[64], out[64];
    fill(in, 64, 9);
    CHECK_EQ(ring_write(&f.p, in, 2), 2); /* half a header */
    CHECK_EQ(ring_read_packet(&f.c, out, 64), 0);
    CHECK_EQ(ring_read(&f.c, out, 2), 2);
    put_header(&f, 30);
    CHECK_EQ(ring_write(&f.p, in, 29), 29);
    CHECK_EQ(ring_read_packet(&f.c, out, 64), 0);
    CHECK_EQ(ring_available(&f.c), 33); /* nothing consumed */
    CHECK_EQ(ring_read_packet(&f.c, out, 10), RING_TOO_BIG); /* known before it is complete */
    CHECK_EQ(ring_write(&f.p, in + 29, 1), 1);
    CHECK_EQ(ring_read_packet(&f.c, out, 64), 30);
    CHECK(memcmp(in, out, 30) == 0);
    CHECK_EQ(ring_available(&f.c), 0);
    fix_free(&f);
}

TEST(ring_a_garbage_packet_length_is_broken)
{
    static const uint32_t bad[] = { 0, 61, 64, 65, 0x10000, 0x80000000u, 0xffffffffu };
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct fix f;
        fix_init(&f, 64, 60);
        put_header(&f, bad[i]);
        uint8_t in[60];
        fill(in, 60, 0);
        CHECK_EQ(ring_write(&f.p, in, 60), 60);
        uint8_t *big = malloc(0x10000);
        memset(big, 0x77, 0x10000);
        struct ring before = f.c;
        CHECK_EQ(ring_read_packet(&f.c, big, 0x10000), RING_BROKEN);
        CHECK(memcmp(&before, &f.c, sizeof before) == 0);
        CHECK_EQ(f.ctl->read, 60);
        CHECK_EQ(big[0], 0x77);
        free(big);
        fix_free(&f);
    }
}

TEST(ring_random_packets_match_the_model)
{
    static uint8_t in[4096], out[4096];
    for (int round = 0; round < 20; round++) {
        uint32_t size = 64u << rnd_below(6);
        struct fix f;
        fix_init(&f, size, 0u - rnd_below(2 * size));
        uint32_t lens[4096];
        unsigned head = 0, tail = 0;
        uint64_t sent = 0, got = 0, queued = 0;
        for (int i = 0; i < 2000; i++) {
            if (rnd_below(2)) {
                uint32_t len = 1 + rnd_below(size - 4);
                fill(in, len, sent);
                int n = ring_write_packet(&f.p, in, len);
                if (queued + 4 + len <= size) {
                    CHECK_EQ(n, len);
                    lens[head++ % 4096] = len;
                    sent += len;
                    queued += 4 + len;
                } else {
                    CHECK_EQ(n, 0);
                }
            } else {
                int n = ring_read_packet(&f.c, out, size - 4);
                if (head == tail) {
                    CHECK_EQ(n, 0);
                } else {
                    uint32_t len = lens[tail++ % 4096];
                    CHECK_EQ(n, len);
                    CHECK(matches(out, len, got));
                    got += len;
                    queued -= 4 + len;
                }
            }
            CHECK_EQ(ring_available(&f.c), queued);
        }
        fix_free(&f);
    }
}

/* ---- waking */

TEST(ring_reader_wake_up_protocol)
{
    struct fix f;
    fix_init(&f, 64, 0);
    uint8_t b[8] = { 1, 2, 3 };
    CHECK(!ring_need_wake_reader(&f.p)); /* nobody waits */
    CHECK(ring_prepare_wait_read(&f.c)); /* empty: sleep */
    CHECK_EQ(f.ctl->reader_waiting, 1);
    CHECK_EQ(ring_write(&f.p, b, 3), 3);
    CHECK(ring_need_wake_reader(&f.p));
    CHECK_EQ(f.ctl->reader_waiting, 0);
    CHECK(!ring_need_wake_reader(&f.p)); /* once */
    CHECK(!ring_prepare_wait_read(&f.c)); /* data arrived: do not sleep */
    CHECK_EQ(f.ctl->reader_waiting, 0);
    CHECK_EQ(ring_read(&f.c, b, 8), 3);
    CHECK(ring_prepare_wait_read(&f.c));
    f.ctl->reader_waiting = 0xdeadbeef; /* any value asks */
    CHECK(ring_need_wake_reader(&f.p));
    CHECK_EQ(f.ctl->reader_waiting, 0);
    CHECK_EQ(f.ctl->writer_waiting, 0);
    fix_free(&f);
}

TEST(ring_writer_wake_up_protocol)
{
    struct fix f;
    fix_init(&f, 64, 0);
    uint8_t b[64] = { 0 };
    CHECK(!ring_prepare_wait_write(&f.p)); /* room: do not sleep */
    CHECK_EQ(f.ctl->writer_waiting, 0);
    CHECK_EQ(ring_write(&f.p, b, 64), 64);
    CHECK(!ring_need_wake_writer(&f.c));
    CHECK(ring_prepare_wait_write(&f.p)); /* full: sleep */
    CHECK_EQ(f.ctl->writer_waiting, 1);
    CHECK_EQ(ring_read(&f.c, b, 1), 1);
    CHECK(ring_need_wake_writer(&f.c));
    CHECK_EQ(f.ctl->writer_waiting, 0);
    CHECK(!ring_need_wake_writer(&f.c));
    CHECK(!ring_prepare_wait_write(&f.p)); /* a byte of room arrived */
    CHECK_EQ(f.ctl->writer_waiting, 0);
    CHECK_EQ(f.ctl->reader_waiting, 0);
    fix_free(&f);
}

/* After a packet that did not fit, or was not all there, a side sleeps
 * until the whole packet can go, however many bytes are there already. */
TEST(ring_packet_waits_are_for_the_whole_packet)
{
    struct fix f;
    fix_init(&f, 64, 0);
    uint8_t b[64] = { 0 };
    CHECK_EQ(ring_write(&f.p, b, 30), 30);
    CHECK_EQ(ring_write_packet(&f.p, b, 40), 0); /* needs 44 of 34 */
    CHECK(ring_prepare_wait_write(&f.p));
    CHECK_EQ(ring_read(&f.c, b, 9), 9); /* 43 */
    CHECK(ring_need_wake_writer(&f.c));
    CHECK(ring_prepare_wait_write(&f.p)); /* still short: sleep again */
    CHECK_EQ(ring_read(&f.c, b, 1), 1); /* 44 */
    CHECK(ring_need_wake_writer(&f.c));
    CHECK(!ring_prepare_wait_write(&f.p));
    CHECK_EQ(ring_write_packet(&f.p, b, 40), 40);
    CHECK(ring_prepare_wait_write(&f.p)); /* back to "sleep while full"? no: 20 left, and 1 is wanted */
    CHECK_EQ(f.ctl->writer_waiting, 1);
    fix_free(&f);
}

TEST(ring_packet_reader_sleeps_on_a_partial_packet)
{
    struct fix f;
    fix_init(&f, 64, 0);
    uint8_t b[64] = { 0 };
    put_header(&f, 20);
    CHECK_EQ(ring_write(&f.p, b, 10), 10);
    CHECK_EQ(ring_read_packet(&f.c, b, 64), 0);
    CHECK(ring_prepare_wait_read(&f.c)); /* 14 bytes there, 24 wanted */
    CHECK_EQ(ring_write(&f.p, b, 9), 9);
    CHECK(ring_need_wake_reader(&f.p));
    CHECK(ring_prepare_wait_read(&f.c));
    CHECK_EQ(ring_write(&f.p, b, 1), 1);
    CHECK(ring_need_wake_reader(&f.p));
    CHECK(!ring_prepare_wait_read(&f.c));
    CHECK_EQ(ring_read_packet(&f.c, b, 64), 20);
    fix_free(&f);
}

TEST(ring_a_broken_peer_never_lets_a_side_sleep)
{
    struct fix f;
    fix_init(&f, 64, 0);
    f.ctl->write = 65;
    CHECK(!ring_prepare_wait_read(&f.c));
    CHECK_EQ(f.ctl->reader_waiting, 0);
    f.ctl->write = 0;
    f.ctl->read = 1;
    CHECK(!ring_prepare_wait_write(&f.p));
    CHECK_EQ(f.ctl->writer_waiting, 0);
    fix_free(&f);
}

/* ---- two rings in one region */

TEST(ring_pair_layout)
{
    static const struct { size_t region; uint32_t half, size; } cases[] = {
        { 256, 128, 64 }, { 300, 128, 64 }, { 1000, 448, 256 }, { 8192, 4096, 2048 },
        { 2 * (64 + 4096), 4160, 4096 }, { 2 * (64 + 4096) - 1, 4096, 2048 },
        { (size_t)1 << 26, 1u << 25, RING_MAX_SIZE },
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t *region = calloc(1, cases[i].region);
        struct ring tx0, rx0, tx1, rx1;
        CHECK_EQ(ring_pair_attach(&tx0, &rx0, region, cases[i].region, 0), 0);
        CHECK_EQ(ring_pair_attach(&tx1, &rx1, region, cases[i].region, 1), 0);
        CHECK(tx0.ctrl == (void *)region);
        CHECK(rx0.ctrl == (void *)(region + cases[i].half));
        CHECK(tx1.ctrl == rx0.ctrl && rx1.ctrl == tx0.ctrl);
        CHECK_EQ(tx0.size, cases[i].size);
        CHECK_EQ(rx1.size, cases[i].size);
        CHECK(cases[i].half + RING_CTRL_SIZE + cases[i].size <= cases[i].region);
        uint8_t a[64], b[64];
        fill(a, 64, 1);
        CHECK_EQ(ring_write(&tx0, a, 64), 64);
        CHECK_EQ(ring_read(&rx1, b, 64), 64);
        CHECK(memcmp(a, b, 64) == 0);
        fill(a, 64, 2);
        CHECK_EQ(ring_write(&tx1, a, 64), 64);
        CHECK_EQ(ring_available(&rx1), 0);
        CHECK_EQ(ring_read(&rx0, b, 64), 64);
        CHECK(memcmp(a, b, 64) == 0);
        free(region);
    }
    uint8_t *region = calloc(1, 256);
    struct ring tx, rx;
    CHECK_EQ(ring_pair_attach(&tx, &rx, region, 255, 0), RING_BAD_ARG);
    CHECK_EQ(ring_pair_attach(&tx, &rx, region, 256, 2), RING_BAD_ARG);
    CHECK_EQ(ring_pair_attach(&tx, &rx, region + 1, 255, 0), RING_BAD_ARG);
    CHECK_EQ(tx.side, RING_UNATTACHED);
    CHECK_EQ(rx.side, RING_UNATTACHED);
    CHECK_EQ(ring_pair_attach(&tx, &rx, NULL, 256, 0), RING_BAD_ARG);
    free(region);
}

/* ---- threads: an honest peer on another CPU */

/* A notification object as the kernel's: a signal before the wait is kept. */
struct note {
    pthread_mutex_t m;
    pthread_cond_t c;
    bool pending;
};

static void note_init(struct note *n)
{
    pthread_mutex_init(&n->m, NULL);
    pthread_cond_init(&n->c, NULL);
    n->pending = false;
}

static void note_signal(struct note *n)
{
    pthread_mutex_lock(&n->m);
    n->pending = true;
    pthread_cond_signal(&n->c);
    pthread_mutex_unlock(&n->m);
}

/* False if nothing came within timeout_us. */
static bool note_wait(struct note *n, long timeout_us)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_nsec += timeout_us * 1000;
    t.tv_sec += t.tv_nsec / 1000000000;
    t.tv_nsec %= 1000000000;
    pthread_mutex_lock(&n->m);
    int err = 0;
    while (!n->pending && err != ETIMEDOUT)
        err = pthread_cond_timedwait(&n->c, &n->m, &t);
    bool got = n->pending;
    n->pending = false;
    pthread_mutex_unlock(&n->m);
    return got;
}

/* One transfer: 'total' bytes through the fixture's ring, as bytes or as
 * packets, each side sleeping on its note when it cannot go on. */
struct transfer {
    struct fix f;
    struct note to_producer, to_consumer;
    uint64_t total;
    bool packets;
    long timeout_us;
    atomic_bool done;
    atomic_ulong timeouts, errors, mismatches;
    uint64_t sum_sent, sum_got;
};

static void *producer_main(void *arg)
{
    struct transfer *t = arg;
    static uint8_t chunk[1024];
    uint64_t sent = 0, seed = 1;
    while (sent < t->total) {
        uint64_t left = t->total - sent;
        uint32_t len = 1 + rnd(&seed) % (t->packets ? t->f.size - 4 : 1024);
        if (len > left)
            len = (uint32_t)left;
        fill(chunk, len, sent);
        int n = t->packets ? ring_write_packet(&t->f.p, chunk, len) : ring_write(&t->f.p, chunk, len);
        if (n < 0 || (uint32_t)n > len || (t->packets && n != 0 && (uint32_t)n != len)) {
            t->errors++;
            break;
        }
        if (n > 0) {
            for (int i = 0; i < n; i++)
                t->sum_sent = t->sum_sent * 31 + chunk[i];
            sent += (unsigned)n;
            if (ring_need_wake_reader(&t->f.p))
                note_signal(&t->to_consumer);
            continue;
        }
        /* a packet that does not fit is tried again at the same length */
        if (t->packets)
            seed = seed * 0 + 1, (void)0;
        if (ring_prepare_wait_write(&t->f.p) && !note_wait(&t->to_producer, t->timeout_us))
            t->timeouts++;
    }
    return NULL;
}

static void *consumer_main(void *arg)
{
    struct transfer *t = arg;
    static uint8_t buf[1024];
    uint64_t got = 0;
    while (got < t->total) {
        int n = t->packets ? ring_read_packet(&t->f.c, buf, t->f.size - 4) : ring_read(&t->f.c, buf, 1 + got % 1000);
        if (n < 0) {
            t->errors++;
            break;
        }
        if (n > 0) {
            if (!matches(buf, (unsigned)n, got))
                t->mismatches++;
            for (int i = 0; i < n; i++)
                t->sum_got = t->sum_got * 31 + buf[i];
            got += (unsigned)n;
            if (ring_need_wake_writer(&t->f.c))
                note_signal(&t->to_producer);
            continue;
        }
        if (ring_prepare_wait_read(&t->f.c) && !note_wait(&t->to_consumer, t->timeout_us))
            t->timeouts++;
    }
    t->done = true;
    return NULL;
}

/* A third party that sets and clears both waiting flags at random: it may
 * cost wake-ups (the waits time out) but never a byte. */
static void *toggler_main(void *arg)
{
    struct transfer *t = arg;
    uint64_t seed = 77;
    while (!t->done) {
        uint32_t x = rnd(&seed);
        __atomic_store_n(x & 1 ? &t->f.ctl->reader_waiting : &t->f.ctl->writer_waiting, (x >> 1) & 1,
                         __ATOMIC_RELAXED);
        struct timespec ts = { 0, (x >> 8) % 20000 };
        nanosleep(&ts, NULL);
    }
    return NULL;
}

static void run_transfer(struct transfer *t, uint32_t size, uint64_t total, bool packets, bool toggle)
{
    memset(t, 0, sizeof *t);
    fix_init(&t->f, size, 0xfffff000u);
    note_init(&t->to_producer);
    note_init(&t->to_consumer);
    t->total = total;
    t->packets = packets;
    t->timeout_us = toggle ? 1000 : 5000000; /* honest: one lost wake-up shows as a timeout */
    pthread_t p, c, x;
    pthread_create(&c, NULL, consumer_main, t);
    pthread_create(&p, NULL, producer_main, t);
    if (toggle)
        pthread_create(&x, NULL, toggler_main, t);
    pthread_join(p, NULL);
    pthread_join(c, NULL);
    if (toggle)
        pthread_join(x, NULL);
    fix_free(&t->f);
}

TEST(ring_threads_move_16_mib_with_no_lost_wake_up)
{
    static struct transfer t;
    run_transfer(&t, 256, 16u << 20, false, false);
    CHECK_EQ(t.errors, 0);
    CHECK_EQ(t.mismatches, 0);
    CHECK_EQ(t.timeouts, 0);
    CHECK_EQ(t.sum_sent, t.sum_got);
}

TEST(ring_threads_move_16_mib_while_a_third_party_toggles_the_flags)
{
    static struct transfer t;
    run_transfer(&t, 256, 16u << 20, false, true);
    CHECK_EQ(t.errors, 0);
    CHECK_EQ(t.mismatches, 0);
    CHECK_EQ(t.sum_sent, t.sum_got);
}

TEST(ring_threads_move_packets_with_no_lost_wake_up)
{
    static struct transfer t;
    run_transfer(&t, 512, 4u << 20, true, false);
    CHECK_EQ(t.errors, 0);
    CHECK_EQ(t.mismatches, 0);
    CHECK_EQ(t.timeouts, 0);
    CHECK_EQ(t.sum_sent, t.sum_got);
}

/* ---- threads: a hostile peer on another CPU */

struct hostile {
    struct fix f;
    atomic_bool stop;
    bool target_read; /* garble around 'read' (we produce) or 'write' (we consume) */
};

static void *hostile_main(void *arg)
{
    struct hostile *h = arg;
    uint64_t seed = 4242;
    uint32_t *words = (uint32_t *)h->f.ctl;
    while (!h->stop) {
        uint32_t x = rnd(&seed), v;
        uint32_t ours = __atomic_load_n(h->target_read ? &h->f.ctl->write : &h->f.ctl->read, __ATOMIC_RELAXED);
        switch (x % 4) {
        case 0: v = rnd(&seed); break;                                      /* anything */
        case 1: v = ours + rnd(&seed) % (4 * h->f.size) - 2 * h->f.size; break; /* near ours */
        default: v = h->target_read ? ours - rnd(&seed) % (h->f.size + 1)       /* plausible */
                                    : ours + rnd(&seed) % (h->f.size + 1);
        }
        unsigned word = (x >> 8) % 32;
        if (word >= 16)
            word = h->target_read ? 1 : 0; /* half of the time: the peer's own offset */
        __atomic_store_n(&words[word], v, __ATOMIC_RELAXED);
        h->f.data[(x >> 16) % h->f.size] = (uint8_t)x; /* and the data, under our feet */
    }
    return NULL;
}

static bool valid_count(int n, size_t len, uint32_t size)
{
    return n == RING_BROKEN || (n >= 0 && (size_t)n <= len && (uint32_t)n <= size);
}

static void run_hostile(bool we_produce)
{
    static struct hostile h;
    memset(&h, 0, sizeof h);
    fix_init(&h.f, 128, 0);
    h.target_read = we_produce;
    pthread_t t;
    pthread_create(&t, NULL, hostile_main, &h);
    struct ring *r = we_produce ? &h.f.p : &h.f.c;
    unsigned bad = 0, counts = 0;
    for (int i = 0; i < 200000; i++) {
        size_t len = rnd_below(300);
        uint8_t *buf = malloc(len ? len : 1); /* exactly len bytes: ASan sees overruns */
        int n = 0;
        if (we_produce) {
            memset(buf, 0x11, len);
            switch (i % 5) {
            case 0: n = ring_write(r, buf, len); break;
            case 1:
                n = ring_write_packet(r, buf, len);
                if (n == RING_TOO_BIG && len > 124)
                    n = 0;
                else if (n == RING_BAD_ARG && len == 0)
                    n = 0;
                else if (n > 0 && (size_t)n != len)
                    bad++;
                break;
            case 2: n = ring_space(r); break;
            case 3: n = ring_prepare_wait_write(r); break;
            default: n = ring_need_wake_reader(r);
            }
        } else {
            switch (i % 5) {
            case 0: n = ring_read(r, buf, len); break;
            case 1:
                n = ring_read_packet(r, buf, len);
                if (n == RING_TOO_BIG)
                    n = 0;
                else if (n > 124)
                    bad++;
                break;
            case 2: n = ring_available(r); break;
            case 3: n = ring_prepare_wait_read(r); break;
            default: n = ring_need_wake_writer(r);
            }
        }
        size_t limit = i % 5 == 2 ? h.f.size : i % 5 > 2 ? 1 : len;
        if (!valid_count(n, limit, h.f.size))
            bad++;
        counts += n > 0;
        free(buf);
    }
    h.stop = true;
    pthread_join(t, NULL);
    fix_free(&h.f);
    CHECK_EQ(bad, 0);
    CHECK(counts > 0); /* the plausible values did let data through */
}

TEST(ring_producer_survives_a_hostile_consumer)
{
    run_hostile(true);
}

TEST(ring_consumer_survives_a_hostile_producer)
{
    run_hostile(false);
}
