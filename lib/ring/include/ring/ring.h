/* Single-producer single-consumer byte rings in memory shared by two
 * components that do not trust each other (a console client and the serial
 * server; a VMM and a confidential VM's VMM). The protocol, byte by byte, is
 * in docs/ring.md.
 *
 * Shared memory of one ring: a 64-byte control block (struct ring_ctrl),
 * then 'size' bytes of data, 'size' a power of two from RING_MIN_SIZE to
 * RING_MAX_SIZE. 'write' and 'read' count bytes ever written and read,
 * modulo 2^32; a byte's place in the data area is its offset & (size - 1).
 *
 * The peer may write anything into the shared memory at any time, from
 * another CPU. Hence:
 *   - Each side keeps its own offset in its private struct ring and only
 *     ever stores it to the shared block; the shared copy of its own offset
 *     is read once, at attach, and never again (the peer could rewrite it).
 *   - The peer's offset is loaded once per operation and checked against
 *     our own: more than 'size' bytes apart means the peer is broken, and
 *     the operation returns RING_BROKEN having changed nothing. An offset
 *     that moved backwards fails the same check. What to do with a broken
 *     peer (stop serving it, count it) is the caller's decision.
 *   - Data is copied between the ring and the caller's private buffer
 *     before anything looks at it; no function returns a pointer into
 *     shared memory, so a packet's length cannot change after its check.
 *   - Nothing is asserted: every function terminates and stays inside the
 *     struct ring's control block and data area whatever the peer does.
 *
 * Waking the peer (the caller signals through its own notification object,
 * which must remember a signal sent before the wait, as an seL4
 * notification does):
 *
 *   consumer:                               producer:
 *     n = ring_read(r, buf, len)              n = ring_write(r, buf, len)
 *     if n == 0 and ring_prepare_wait_read(r):  if ring_need_wake_reader(r):
 *         wait for a signal                        signal the consumer
 *     if ring_need_wake_writer(r):            if n short and ring_prepare_wait_write(r):
 *         signal the producer                     wait for a signal
 *
 * A side sleeps until the ring can satisfy the last operation that came up
 * short: one byte after ring_read / ring_write, the whole packet (header
 * included) after ring_read_packet / ring_write_packet returned 0. Any
 * signal may be spurious; after waking, just try again.
 *
 * Freestanding: no libc, no IceCap system calls; the __atomic builtins give
 * the barriers (dmb on AArch64). Little-endian CPUs only, as the layout is. */
#ifndef RING_RING_H
#define RING_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RING_CTRL_SIZE 64u
#define RING_MIN_SIZE 64u
#define RING_MAX_SIZE (1u << 24)
#define RING_PACKET_HEADER 4u    /* little-endian payload length before each packet */

enum ring_error {
    RING_BROKEN = -1,   /* the peer's offset or a packet header is impossible; nothing changed */
    RING_TOO_BIG = -2,  /* a packet longer than the caller's buffer (left in the ring), or one to
                           write that can never fit the data area */
    RING_BAD_ARG = -3,  /* the caller's mistake: bad size or alignment, a zero-length packet, an
                           operation of the other side, a ring that was never attached */
};

/* The shared control block. The peer may store anything here at any time:
 * only ever read it with one 32-bit load per field per check. */
struct ring_ctrl {
    uint32_t write;           /* producer only: bytes ever written */
    uint32_t read;            /* consumer only: bytes ever read */
    uint32_t reader_waiting;  /* set by the consumer before it sleeps, cleared by whoever acts on it */
    uint32_t writer_waiting;  /* set by the producer before it sleeps, cleared by whoever acts on it */
    uint32_t reserved[12];    /* zero; ignored */
};
_Static_assert(sizeof(struct ring_ctrl) == RING_CTRL_SIZE, "the control block is 64 bytes");

enum ring_side { RING_UNATTACHED, RING_PRODUCER, RING_CONSUMER };

/* One side's view of a ring, in that side's private memory. */
struct ring {
    volatile struct ring_ctrl *ctrl;
    volatile uint8_t *data;
    uint32_t size;        /* of the data area, a power of two */
    uint32_t mine;        /* our own offset: the truth, whatever the shared copy says */
    uint32_t want;        /* bytes (or space) the last short operation needed; 1 otherwise */
    enum ring_side side;
};

/* Attaches to the ring whose control block is at 'base' (4-byte aligned),
 * data following it. Our starting offset is the shared copy of it, once:
 * both are 0 in freshly zeroed memory, and a peer that garbled it first
 * has only broken this ring, which it could do anyway. RING_BAD_ARG (and
 * r left unattached) for a bad size, a NULL or misaligned base. */
int ring_attach_producer(struct ring *r, void *base, uint32_t size);
int ring_attach_consumer(struct ring *r, void *base, uint32_t size);

/* A full-duplex channel in one region of region_size bytes (>= 256, base
 * 4-byte aligned): ring 0 at offset 0, ring 1 at half = (region_size / 2)
 * rounded down to a multiple of 64; each with the largest power-of-two data
 * size <= half - 64 (at most RING_MAX_SIZE). Side 0 (the one that set up the
 * channel, e.g. the client) writes ring 0 and reads ring 1; side 1 the
 * reverse. A region of 2 * (64 + 2^k) bytes is used in full. */
int ring_pair_attach(struct ring *tx, struct ring *rx, void *region, size_t region_size, unsigned side);

/* Bytes available to read (consumer) / free to write (producer), or an error. */
int ring_available(struct ring *r);
int ring_space(struct ring *r);

/* Copies min(len, space) bytes in and publishes them. Returns that count
 * (0 if full) or an error. */
int ring_write(struct ring *r, const void *buf, size_t len);

/* Copies min(len, available) bytes out into buf and frees them. Returns
 * that count (0 if empty) or an error. */
int ring_read(struct ring *r, void *buf, size_t len);

/* One packet of 1 .. size - 4 bytes, all or nothing: 0 if it does not fit
 * yet, else len; RING_TOO_BIG if it never can. */
int ring_write_packet(struct ring *r, const void *buf, size_t len);

/* The next packet into buf, all or nothing: its length, or 0 if it is not
 * all there yet (a producer part way through is not an error). A header of
 * 0 or more than size - 4 is RING_BROKEN. A packet longer than len is
 * RING_TOO_BIG and stays in the ring: a buffer of size - 4 bytes never gets
 * it. */
int ring_read_packet(struct ring *r, void *buf, size_t len);

/* Sets our waiting flag, then looks again. True: sleep, the peer will see
 * the flag. False: the flag is cleared again and there is something to do
 * (data or space arrived, or the peer is broken: the next operation says). */
bool ring_prepare_wait_read(struct ring *r);
bool ring_prepare_wait_write(struct ring *r);

/* After publishing (ring_write*) or freeing (ring_read*): true if the peer
 * asked to be woken, whereupon the flag is cleared and the caller signals
 * the peer. */
bool ring_need_wake_reader(struct ring *r);
bool ring_need_wake_writer(struct ring *r);

#endif
