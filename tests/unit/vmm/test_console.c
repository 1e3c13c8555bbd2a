/* A guest's console on a ring pair (lib/vmm/console.c), against a peer
 * that plays the serial server (side 1 of the pair), honest or not. */
#include "harness.h"
#include <vmm/console.h>
#include <stdlib.h>
#include <string.h>

#define REGION 512u /* two rings of 128 bytes */

static uint8_t *region;
static struct vmm_console con;
static struct ring peer_in, peer_out; /* the peer reads ring 0, writes ring 1 */

static void setup(void)
{
    free(region);
    region = calloc(1, REGION);
    CHECK_EQ(vmm_console_init(&con, region, REGION), 0);
    CHECK_EQ(ring_pair_attach(&peer_out, &peer_in, region, REGION, 1), 0);
}

static unsigned guest_puts(const char *s)
{
    unsigned flags = 0;
    while (*s)
        flags |= vmm_console_write(&con, PL011_DR, 4, (uint8_t)*s++);
    return flags;
}

static uint32_t reg(unsigned offset)
{
    uint32_t v;
    vmm_console_read(&con, offset, 4, &v);
    return v;
}

static int peer_read(char *buf, size_t len)
{
    int n = ring_read(&peer_in, buf, len);
    if (n >= 0)
        buf[n] = 0;
    return n;
}

TEST(console_starts_as_firmware_leaves_it)
{
    setup();
    CHECK_EQ(reg(PL011_CR) & (PL011_CR_UARTEN | PL011_CR_TXE | PL011_CR_RXE),
             PL011_CR_UARTEN | PL011_CR_TXE | PL011_CR_RXE);
    CHECK(reg(PL011_LCR_H) & PL011_LCR_H_FEN);
    CHECK(reg(PL011_FR) & PL011_FR_TXFE);
    CHECK(!vmm_console_irq_level(&con));
    CHECK(vmm_console_init(&con, region, 100) != 0); /* too small for two rings */
}

TEST(console_guest_output_reaches_ring_0)
{
    setup();
    guest_puts("hello\r\n");
    char buf[256];
    CHECK_EQ(peer_read(buf, sizeof buf - 1), 7);
    CHECK(!strcmp(buf, "hello\r\n"));
    CHECK(reg(PL011_FR) & PL011_FR_TXFE);
}

TEST(console_full_ring_holds_the_guest_back_and_loses_nothing)
{
    setup();
    char want[400], got[400];
    for (int i = 0; i < 400; i++)
        want[i] = (char)('a' + i % 26);
    /* 128 bytes fill the ring, 32 more the FIFO: then the guest sees TXFF */
    int sent = 0;
    while (sent < 400 && !(reg(PL011_FR) & PL011_FR_TXFF))
        vmm_console_write(&con, PL011_DR, 1, (uint8_t)want[sent++]);
    CHECK_EQ(sent, 128 + 32);
    CHECK(!ring_prepare_wait_read(&peer_in)); /* data is there */
    /* the console waits for room: the peer's read must wake it */
    int n = ring_read(&peer_in, got, 100);
    CHECK_EQ(n, 100);
    CHECK(ring_need_wake_writer(&peer_in));
    vmm_console_service(&con); /* the signal arrived */
    CHECK(!(reg(PL011_FR) & PL011_FR_TXFF));
    while (sent < 400) {
        if (reg(PL011_FR) & PL011_FR_TXFF) {
            int m = ring_read(&peer_in, got + n, sizeof got - (size_t)n);
            CHECK(m > 0);
            n += m;
            vmm_console_service(&con);
            continue;
        }
        vmm_console_write(&con, PL011_DR, 1, (uint8_t)want[sent++]);
    }
    while (n < 400) {
        int m = ring_read(&peer_in, got + n, sizeof got - (size_t)n);
        CHECK(m >= 0);
        n += m;
        vmm_console_service(&con);
    }
    CHECK(!memcmp(want, got, 400));
}

TEST(console_signals_a_waiting_reader_once)
{
    setup();
    CHECK(ring_prepare_wait_read(&peer_in)); /* the peer sleeps */
    CHECK(guest_puts("x\n") & VMM_CONSOLE_SIGNAL);
    CHECK(!(guest_puts("y\n") & VMM_CONSOLE_SIGNAL)); /* it was woken already */
}

/* A character alone does not wake the peer: a line end, a half-full ring,
 * or the end of the guest's burst (a write to another register) does. */
TEST(console_announces_output_by_line_or_burst)
{
    setup();
    CHECK(ring_prepare_wait_read(&peer_in));
    CHECK(!(guest_puts("# ") & VMM_CONSOLE_SIGNAL));
    CHECK(vmm_console_write(&con, PL011_IMSC, 4, PL011_INT_RX) & VMM_CONSOLE_SIGNAL);
    char buf[256];
    CHECK_EQ(peer_read(buf, sizeof buf - 1), 2);
    CHECK(ring_prepare_wait_read(&peer_in));
    char half[65];
    memset(half, 'h', 64);
    half[64] = 0;
    CHECK(guest_puts(half) & VMM_CONSOLE_SIGNAL); /* 64 of 128: half full */
    CHECK_EQ(peer_read(buf, sizeof buf - 1), 64);
    CHECK(ring_prepare_wait_read(&peer_in));
    CHECK(!(guest_puts("z") & VMM_CONSOLE_SIGNAL));
    CHECK(vmm_console_service(&con) & VMM_CONSOLE_SIGNAL); /* the VMM's own call */
}

/* A waiting flag alone is no reason to signal: two sides that both wait
 * would otherwise wake each other for ever. */
TEST(console_signals_only_after_moving_something)
{
    setup();
    CHECK(ring_prepare_wait_read(&peer_in)); /* the peer waits for output */
    for (int i = 0; i < 10; i++) {
        uint32_t v;
        CHECK(!(vmm_console_service(&con) & VMM_CONSOLE_SIGNAL));
        CHECK(!(vmm_console_read(&con, PL011_FR, 4, &v) & VMM_CONSOLE_SIGNAL));
    }
    /* the console waits for input too: the peer's flag check after it
     * wrote nothing must not ask for a signal... */
    struct ring_ctrl *ring1 = (struct ring_ctrl *)(region + REGION / 2);
    CHECK_EQ(ring1->reader_waiting, 1);
    /* ...and output that moves does */
    CHECK(guest_puts("z\n") & VMM_CONSOLE_SIGNAL);
    CHECK(!(guest_puts("z\n") & VMM_CONSOLE_SIGNAL)); /* once */
}

TEST(console_input_reaches_the_guest_with_an_interrupt)
{
    setup();
    vmm_console_write(&con, PL011_IMSC, 4, PL011_INT_RX | PL011_INT_RT);
    CHECK(!vmm_console_irq_level(&con));
    char text[100];
    for (int i = 0; i < 100; i++)
        text[i] = (char)('0' + i % 10);
    CHECK_EQ(ring_write(&peer_out, text, 100), 100);
    unsigned flags = vmm_console_service(&con);
    CHECK(flags & VMM_CONSOLE_LEVEL);
    CHECK(vmm_console_irq_level(&con));
    char got[100];
    int n = 0;
    while (n < 100) {
        if (reg(PL011_FR) & PL011_FR_RXFE) {
            CHECK(!vmm_console_irq_level(&con) || n == 100);
            break;
        }
        got[n++] = (char)reg(PL011_DR);
    }
    CHECK_EQ(n, 100);
    CHECK(!memcmp(text, got, 100));
    CHECK(!vmm_console_irq_level(&con));
    CHECK(ring_prepare_wait_write(&peer_out) == false); /* all room: no need to wait */
}

TEST(console_input_waits_for_the_receiver)
{
    setup();
    vmm_console_write(&con, PL011_CR, 4, PL011_CR_UARTEN | PL011_CR_TXE); /* RXE clear */
    CHECK_EQ(ring_write(&peer_out, "abc", 3), 3);
    vmm_console_service(&con);
    CHECK(reg(PL011_FR) & PL011_FR_RXFE);
    vmm_console_write(&con, PL011_CR, 4, PL011_CR_UARTEN | PL011_CR_TXE | PL011_CR_RXE);
    CHECK_EQ((char)reg(PL011_DR), 'a');
    CHECK_EQ((char)reg(PL011_DR), 'b');
    CHECK_EQ((char)reg(PL011_DR), 'c');
    CHECK(reg(PL011_FR) & PL011_FR_RXFE);
}

TEST(console_broken_peer_stops_the_console_and_the_guest_goes_on)
{
    setup();
    struct ring_ctrl *ring0 = (struct ring_ctrl *)region;
    ring0->read = 0x80000000u; /* impossible */
    for (int i = 0; i < 1000; i++)
        guest_puts("output nobody gets\n");
    CHECK(con.broken);
    CHECK(reg(PL011_FR) & PL011_FR_TXFE); /* never full: the guest never waits */
    CHECK(con.thrown_away > 0);
    CHECK(pl011_state_ok(&con.uart));
}

TEST(console_garbage_in_the_shared_region_never_escapes_it)
{
    srand(7);
    for (int round = 0; round < 2000; round++) {
        setup();
        vmm_console_write(&con, PL011_IMSC, 4, PL011_INT_ALL);
        for (int step = 0; step < 50; step++) {
            switch (rand() % 4) {
            case 0:
                region[rand() % REGION] = (uint8_t)rand();
                break;
            case 1:
                ((uint32_t *)region)[rand() % (REGION / 4)] = (uint32_t)rand() * 2654435761u;
                break;
            case 2:
                guest_puts("abc");
                break;
            default: {
                uint32_t v;
                vmm_console_read(&con, PL011_DR, 4, &v);
            }
            }
            vmm_console_service(&con);
            CHECK(pl011_state_ok(&con.uart));
            CHECK(con.pending_off <= con.pending_len && con.pending_len <= sizeof con.pending);
        }
    }
    free(region);
    region = NULL;
}
