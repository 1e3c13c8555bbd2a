/* The PL011 UART model (lib/vmm/pl011.c), on its own and driven the way
 * Linux's amba-pl011 driver and its earlycon drive a PL011. */
#include "harness.h"
#include <vmm/pl011.h>
#include <stddef.h>
#include <stdint.h>

#define ON (PL011_CR_UARTEN | PL011_CR_TXE | PL011_CR_RXE)
#define FEN8 (PL011_LCR_H_FEN | PL011_LCR_H_WLEN8)
#define EMPTY_FR (PL011_FR_TXFE | PL011_FR_RXFE | PL011_FR_MODEM)

static struct pl011 u;

static uint32_t rd(uint32_t offset)
{
    return pl011_read(&u, offset, 4);
}

static void wr(uint32_t offset, uint32_t value)
{
    pl011_write(&u, offset, 4, value);
}

/* A UART as the guest leaves it once set up: enabled, FIFOs on or off. */
static void enabled(uint32_t lcr_h)
{
    pl011_init(&u);
    wr(PL011_LCR_H, lcr_h);
    wr(PL011_CR, ON);
}

static size_t take_all(char *buf, size_t max)
{
    return pl011_tx_take(&u, buf, max);
}

/* ---- a VMM around the model: an output ring that a console empties when
 * the test says so, input waiting to be pushed, the interrupt line */

static struct {
    char out[512];
    size_t out_len, out_room;   /* out_room: how much more the output ring takes now */
    const char *in;
    size_t in_len, in_pos;
    bool line;
    unsigned raised;            /* rising edges of the line */
} vm;

static void vm_reset(size_t out_room)
{
    vm.out_len = 0;
    vm.out_room = out_room;
    vm.in = "";
    vm.in_len = vm.in_pos = 0;
    vm.line = false;
    vm.raised = 0;
}

/* What the VMM does after every guest access and whenever things change. */
static void service(void)
{
    char buf[PL011_FIFO_DEPTH];
    size_t want = vm.out_room < sizeof(buf) ? vm.out_room : sizeof(buf);
    size_t n = pl011_tx_take(&u, buf, want);

    CHECK(n <= want && vm.out_len + n <= sizeof(vm.out));
    for (size_t i = 0; i < n; i++)
        vm.out[vm.out_len++] = buf[i];
    vm.out_room -= n;
    vm.in_pos += pl011_rx_push(&u, vm.in + vm.in_pos, vm.in_len - vm.in_pos);
    if (vm.in_pos == vm.in_len)
        pl011_rx_idle(&u);
    bool level = pl011_irq_level(&u);
    if (level && !vm.line)
        vm.raised++;
    vm.line = level;
    CHECK(pl011_state_ok(&u));
}

/* The guest's accesses: 16-bit, as Linux's driver makes them by default. */
static uint32_t g_rd(uint32_t offset)
{
    uint32_t v = pl011_read(&u, offset, 2);
    service();
    return v;
}

static void g_wr(uint32_t offset, uint32_t value)
{
    pl011_write(&u, offset, 2, value);
    service();
}

/* ---- the driver's logic, restated: what it reads and writes, in order */

static struct {
    uint32_t im;                /* its copy of IMSC */
    const char *xmit;           /* the tty's transmit buffer */
    size_t xmit_len, xmit_pos;
    char rx[512];
    size_t rx_len;
} drv;

static void drv_stop_tx(void)
{
    drv.im &= ~PL011_INT_TX;
    g_wr(PL011_IMSC, drv.im);
}

/* From the interrupt it writes half a FIFO without looking at TXFF; from
 * start_tx it writes until TXFF. True: keep the TX interrupt unmasked. */
static bool drv_tx_chars(bool from_irq)
{
    unsigned count = PL011_FIFO_DEPTH / 2;

    while (drv.xmit_pos < drv.xmit_len) {
        if (from_irq && count-- == 0)
            break;
        if (!from_irq && (g_rd(PL011_FR) & PL011_FR_TXFF))
            break;
        g_wr(PL011_DR, (uint8_t)drv.xmit[drv.xmit_pos++]);
    }
    if (drv.xmit_pos == drv.xmit_len) {
        drv_stop_tx();
        return false;
    }
    return true;
}

static void drv_start_tx(const char *s, size_t len)
{
    drv.xmit = s;
    drv.xmit_len = len;
    drv.xmit_pos = 0;
    if (drv_tx_chars(false)) {
        drv.im |= PL011_INT_TX;
        g_wr(PL011_IMSC, drv.im);
    }
}

static void drv_rx_chars(void)
{
    for (unsigned i = 0; i < 256; i++) {
        if (g_rd(PL011_FR) & PL011_FR_RXFE)
            break;
        uint32_t c = g_rd(PL011_DR);
        CHECK(drv.rx_len < sizeof(drv.rx));
        drv.rx[drv.rx_len++] = (char)c;
    }
}

static void drv_isr(void)
{
    uint32_t status = g_rd(PL011_RIS) & drv.im;

    for (unsigned pass = 0; status && pass < 256; pass++) {
        g_wr(PL011_ICR, status & ~(PL011_INT_TX | PL011_INT_RT | PL011_INT_RX));
        if (status & (PL011_INT_RT | PL011_INT_RX))
            drv_rx_chars();
        if (status & PL011_INT_TX)
            drv_tx_chars(true);
        status = g_rd(PL011_RIS) & drv.im;
    }
}

/* The AMBA bus reads the IDs, then probe masks and clears everything. */
static void drv_probe(void)
{
    uint32_t pid = 0, cid = 0;

    for (unsigned i = 0; i < 4; i++) {
        pid |= (pl011_read(&u, PL011_PERIPHID0 + 4 * i, 4) & 0xff) << (8 * i);
        cid |= (pl011_read(&u, PL011_CELLID0 + 4 * i, 4) & 0xff) << (8 * i);
    }
    CHECK_EQ(cid, 0xb105f00d);
    CHECK_EQ(pid & 0x000fffff, 0x00041011); /* the driver's match for Arm's PL011 */
    CHECK_EQ((pid >> 20) & 0xf, 3);          /* revision 3: 32-entry FIFOs */
    g_wr(PL011_IMSC, 0);
    g_wr(PL011_ICR, 0xffff);
}

/* 115200 8N1 from a 24 MHz clock. */
static void drv_set_termios(void)
{
    uint32_t quot = (24000000u * 4 + 115200 / 2) / 115200;
    g_wr(PL011_FBRD, quot & 0x3f);
    g_wr(PL011_IBRD, quot >> 6);
    g_wr(PL011_LCR_H, FEN8);
    uint32_t cr = g_rd(PL011_CR) & ~(PL011_CR_CTSEN | PL011_CR_RTSEN);
    g_wr(PL011_CR, cr | PL011_CR_RXE);
}

static void drv_startup(void)
{
    g_wr(PL011_ICR, PL011_INT_OE | PL011_INT_BE | PL011_INT_PE | PL011_INT_FE | PL011_INT_RT | PL011_INT_RX);
    drv.im = g_rd(PL011_IMSC);
    g_wr(PL011_IMSC, PL011_INT_RT | PL011_INT_RX);
    g_wr(PL011_IMSC, drv.im);                       /* before request_irq */
    g_wr(PL011_IFLS, PL011_IFLS_RESET);
    uint32_t cr = g_rd(PL011_CR) & (PL011_CR_RTS | PL011_CR_DTR);
    g_wr(PL011_CR, cr | ON);
    (void)g_rd(PL011_FR);                           /* modem lines, remembered */
    g_wr(PL011_ICR, PL011_INT_RT | PL011_INT_RX);
    for (unsigned i = 0; i < 2 * PL011_FIFO_DEPTH; i++) {
        if (g_rd(PL011_FR) & PL011_FR_RXFE)
            break;
        (void)g_rd(PL011_DR);
    }
    drv.im = PL011_INT_RT | PL011_INT_RX;
    g_wr(PL011_IMSC, drv.im);
}

/* A booted guest: probed, console set up, port opened. */
static void linux_up(size_t out_room)
{
    pl011_init(&u);
    vm_reset(out_room);
    drv.im = 0;
    drv.rx_len = 0;
    drv.xmit_len = drv.xmit_pos = 0;
    drv_probe();
    drv_set_termios();
    drv_startup();
}

/* Time passes: the guest takes its interrupt if the line is high, else the
 * console empties 'room' characters' worth of the output ring. Until the
 * guest has nothing left to send and the UART is idle. */
static void run(size_t room)
{
    for (unsigned i = 0; i < 10000; i++) {
        if (vm.line) {
            drv_isr();
            continue;
        }
        if (drv.xmit_pos == drv.xmit_len && (rd(PL011_FR) & PL011_FR_TXFE))
            return;
        vm.out_room += room;
        service();
    }
    CHECK(!"the guest made no progress");
}

static const char line100[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                              "-the quick brown fox jumps over a dog\n";
_Static_assert(sizeof(line100) == 101, "a line of 100 characters");

/* ---- reset and identification */

TEST(pl011_reset_values)
{
    pl011_init(&u);
    CHECK_EQ(rd(PL011_CR), PL011_CR_TXE | PL011_CR_RXE);
    CHECK_EQ(rd(PL011_CR), 0x300);
    CHECK_EQ(rd(PL011_FR), EMPTY_FR);
    CHECK_EQ(rd(PL011_IFLS), 0x12);
    CHECK_EQ(rd(PL011_LCR_H), 0);
    CHECK_EQ(rd(PL011_IBRD), 0);
    CHECK_EQ(rd(PL011_FBRD), 0);
    CHECK_EQ(rd(PL011_ILPR), 0);
    CHECK_EQ(rd(PL011_IMSC), 0);
    CHECK_EQ(rd(PL011_RIS), 0);
    CHECK_EQ(rd(PL011_MIS), 0);
    CHECK_EQ(rd(PL011_DMACR), 0);
    CHECK_EQ(rd(PL011_RSR), 0);
    CHECK(!pl011_irq_level(&u));
    CHECK(pl011_state_ok(&u));
    CHECK_EQ(u.ignored, 0);
}

TEST(pl011_id_registers)
{
    static const uint32_t want[8] = { 0x11, 0x10, 0x34, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };
    pl011_init(&u);
    for (unsigned i = 0; i < 8; i++) {
        CHECK_EQ(rd(PL011_PERIPHID0 + 4 * i), want[i]);
        CHECK_EQ(pl011_read(&u, PL011_PERIPHID0 + 4 * i, 1), want[i]);
        wr(PL011_PERIPHID0 + 4 * i, 0xff);      /* read-only */
        CHECK_EQ(rd(PL011_PERIPHID0 + 4 * i), want[i]);
    }
    CHECK_EQ(u.ignored, 8);
}

TEST(pl011_linux_probe_and_console_setup)
{
    pl011_init(&u);
    vm_reset(1000);
    drv_probe();
    CHECK(!(rd(PL011_CR) & PL011_CR_UARTEN)); /* so the console takes its default options */
    drv_set_termios();
    CHECK_EQ(rd(PL011_IBRD), 13);
    CHECK_EQ(rd(PL011_FBRD), 1);
    CHECK_EQ(rd(PL011_LCR_H), FEN8);
    CHECK_EQ(rd(PL011_CR), PL011_CR_TXE | PL011_CR_RXE);
    CHECK_EQ(rd(PL011_IMSC), 0);
    CHECK_EQ(u.ignored, 0);
    CHECK(!vm.line);
}

/* ---- registers and accesses */

TEST(pl011_registers_keep_only_their_bits)
{
    static const struct { uint32_t offset, bits; } regs[] = {
        { PL011_ILPR, 0xff }, { PL011_IBRD, 0xffff }, { PL011_FBRD, 0x3f }, { PL011_LCR_H, 0xff },
        { PL011_CR, 0xff87 }, { PL011_IFLS, 0x3f },   { PL011_IMSC, 0x7ff }, { PL011_DMACR, 0x7 },
    };
    for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
        pl011_init(&u);
        wr(regs[i].offset, 0xffffffffu);
        CHECK_EQ(rd(regs[i].offset), regs[i].bits);
        wr(regs[i].offset, 0);
        CHECK_EQ(rd(regs[i].offset), 0);
        CHECK(pl011_state_ok(&u));
    }
    CHECK_EQ(u.ignored, 0);
}

TEST(pl011_read_only_and_reserved_registers_ignore_writes)
{
    static const uint32_t offsets[] = { PL011_FR, PL011_RIS, PL011_MIS, 0x008, 0x01c, 0x04c, 0x080, 0xfdc };
    enabled(FEN8);
    CHECK_EQ(pl011_rx_push(&u, "ab", 2), 2);
    pl011_rx_idle(&u);
    wr(PL011_IMSC, PL011_INT_RT);
    for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++)
        wr(offsets[i], 0xffffffffu);
    CHECK_EQ(u.ignored, 8);
    CHECK_EQ(rd(PL011_RIS), PL011_INT_RT);
    CHECK_EQ(rd(PL011_MIS), PL011_INT_RT);
    CHECK_EQ(rd(PL011_FR), PL011_FR_TXFE | PL011_FR_MODEM);
    CHECK_EQ(rd(0x008) | rd(0x01c) | rd(0x04c) | rd(0x080) | rd(0xfdc), 0);
    CHECK_EQ(rd(PL011_ICR), 0);                 /* write-only */
    CHECK_EQ(u.ignored, 8 + 6);
    wr(PL011_RSR, 0xff);                        /* ECR: accepted, nothing to clear */
    CHECK_EQ(u.ignored, 8 + 6);
    CHECK_EQ(rd(PL011_DR), 'a');
}

TEST(pl011_access_sizes_and_alignment)
{
    enabled(FEN8);
    CHECK_EQ(pl011_read(&u, PL011_FR, 1), EMPTY_FR & 0xff);
    CHECK_EQ(pl011_read(&u, PL011_FR, 2), EMPTY_FR);
    CHECK_EQ(u.ignored, 0);
    CHECK_EQ(pl011_read(&u, PL011_FR, 8), 0);            /* 8-byte: not decoded */
    CHECK_EQ(pl011_read(&u, PL011_FR + 1, 1), 0);        /* not at a register's start */
    CHECK_EQ(pl011_read(&u, PL011_FR, 3), 0);
    CHECK_EQ(pl011_read(&u, PL011_FR, 0), 0);
    CHECK_EQ(pl011_read(&u, PL011_SIZE, 4), 0);
    CHECK_EQ(pl011_read(&u, UINT64_MAX - 3, 4), 0);
    CHECK_EQ(pl011_read(&u, (1ull << 32) | PL011_FR, 4), 0);
    CHECK_EQ(u.ignored, 7);
    pl011_write(&u, PL011_CR, 8, 0);
    pl011_write(&u, PL011_CR + 2, 2, 0);
    pl011_write(&u, (1ull << 32) | PL011_CR, 4, 0);
    CHECK_EQ(rd(PL011_CR), ON);
    CHECK_EQ(u.ignored, 10);
    pl011_write(&u, PL011_IBRD, 2, 0x12345678);          /* cut to the access */
    CHECK_EQ(rd(PL011_IBRD), 0x5678);
    pl011_write(&u, PL011_IBRD, 1, 0xabcd);              /* zero-extended */
    CHECK_EQ(rd(PL011_IBRD), 0xcd);
    pl011_write(&u, PL011_DR, 1, 'x');                   /* earlycon's writeb */
    pl011_write(&u, PL011_DR, 4, 0xffffff00u | 'y');     /* only bits 7:0 are data */
    char out[4];
    CHECK_EQ(take_all(out, sizeof(out)), 2);
    CHECK_EQ(out[0], 'x');
    CHECK_EQ(out[1], 'y');
    CHECK_EQ(pl011_rx_push(&u, "q", 1), 1);
    CHECK_EQ(pl011_read(&u, PL011_DR, 1), 'q');          /* a byte read takes it too */
    CHECK_EQ(rd(PL011_FR) & PL011_FR_RXFE, PL011_FR_RXFE);
    CHECK_EQ(pl011_read(NULL, PL011_FR, 4), 0);
    pl011_write(NULL, PL011_DR, 4, 'z');
    CHECK(pl011_state_ok(&u));
}

/* ---- transmit */

TEST(pl011_tx_fills_until_txff_and_the_vmm_takes_in_order)
{
    char out[64];
    enabled(FEN8);
    for (unsigned i = 0; i < PL011_FIFO_DEPTH; i++) {
        CHECK(!(rd(PL011_FR) & PL011_FR_TXFF));
        wr(PL011_DR, 'A' + i);
    }
    CHECK_EQ(rd(PL011_FR) & (PL011_FR_TXFF | PL011_FR_TXFE | PL011_FR_BUSY), PL011_FR_TXFF | PL011_FR_BUSY);
    wr(PL011_DR, '!');                              /* ignoring TXFF: lost, as on hardware */
    CHECK_EQ(u.tx_overflow, 1);
    CHECK_EQ(take_all(out, 0), 0);
    CHECK_EQ(rd(PL011_FR) & PL011_FR_BUSY, PL011_FR_BUSY);
    CHECK_EQ(take_all(out, 5), 5);
    CHECK_EQ(out[0], 'A');
    CHECK_EQ(out[4], 'E');
    CHECK(!(rd(PL011_FR) & PL011_FR_TXFF));
    CHECK_EQ(take_all(out, sizeof(out)), PL011_FIFO_DEPTH - 5);
    CHECK_EQ(out[0], 'F');
    CHECK_EQ(out[PL011_FIFO_DEPTH - 6], 'A' + PL011_FIFO_DEPTH - 1);
    CHECK_EQ(rd(PL011_FR), EMPTY_FR);
    CHECK_EQ(take_all(out, sizeof(out)), 0);
    CHECK_EQ(pl011_tx_take(&u, NULL, 4), 0);
}

TEST(pl011_tx_interrupt_at_each_ifls_level)
{
    static const unsigned level[5] = { 4, 8, 16, 24, 28 };
    char c;
    for (unsigned sel = 0; sel < 5; sel++) {
        enabled(FEN8);
        wr(PL011_IFLS, (2u << 3) | sel);
        wr(PL011_IMSC, PL011_INT_TX);
        for (unsigned i = 0; i < PL011_FIFO_DEPTH; i++)
            wr(PL011_DR, 'a');
        CHECK_EQ(rd(PL011_RIS), 0);
        for (unsigned left = PL011_FIFO_DEPTH; left > 0; left--) {
            CHECK_EQ(take_all(&c, 1), 1);
            bool want = left - 1 <= level[sel];
            CHECK_EQ(rd(PL011_RIS) == PL011_INT_TX, want);
            CHECK_EQ(pl011_irq_level(&u), want);
        }
    }
}

TEST(pl011_tx_interrupt_cleared_by_writes_above_the_level_and_by_icr)
{
    char buf[32];
    enabled(FEN8);                                  /* TX level 16 */
    wr(PL011_IMSC, PL011_INT_TX);
    for (unsigned i = 0; i < PL011_FIFO_DEPTH; i++)
        wr(PL011_DR, 'a');
    CHECK_EQ(take_all(buf, 16), 16);
    CHECK_EQ(rd(PL011_MIS), PL011_INT_TX);
    wr(PL011_DR, 'b');                              /* 17: above again */
    CHECK_EQ(rd(PL011_RIS), 0);
    CHECK_EQ(take_all(buf, 1), 1);                  /* 16 */
    CHECK_EQ(rd(PL011_RIS), PL011_INT_TX);
    wr(PL011_ICR, PL011_INT_TX);
    CHECK_EQ(rd(PL011_RIS), 0);
    CHECK(!pl011_irq_level(&u));
    CHECK_EQ(take_all(buf, 16), 16);                /* no crossing: stays clear */
    CHECK_EQ(rd(PL011_RIS), 0);
}

TEST(pl011_tx_interrupt_needs_a_transition)
{
    char c;
    enabled(FEN8);
    wr(PL011_IMSC, PL011_INT_TX);                   /* empty FIFO, unmasked: nothing */
    CHECK(!pl011_irq_level(&u));
    wr(PL011_DR, 'a');                              /* never above the level */
    CHECK_EQ(take_all(&c, 1), 1);
    CHECK(!pl011_irq_level(&u));
    enabled(PL011_LCR_H_WLEN8);                     /* FEN = 0: the holding register */
    wr(PL011_IMSC, PL011_INT_TX);
    CHECK(!pl011_irq_level(&u));
    wr(PL011_DR, 'a');
    CHECK_EQ(take_all(&c, 1), 1);
    CHECK(pl011_irq_level(&u));                     /* it emptied */
    wr(PL011_DR, 'b');                              /* a single write clears it */
    CHECK(!pl011_irq_level(&u));
}

TEST(pl011_tx_waits_while_uarten_or_txe_is_clear)
{
    char out[8];
    enabled(FEN8);
    wr(PL011_CR, PL011_CR_TXE | PL011_CR_RXE);      /* UARTEN off */
    wr(PL011_DR, 'a');
    wr(PL011_DR, 'b');
    CHECK_EQ(take_all(out, sizeof(out)), 0);
    CHECK_EQ(rd(PL011_FR) & PL011_FR_BUSY, PL011_FR_BUSY);
    wr(PL011_CR, PL011_CR_UARTEN | PL011_CR_RXE);   /* TXE off */
    CHECK_EQ(take_all(out, sizeof(out)), 0);
    wr(PL011_CR, ON);
    CHECK_EQ(take_all(out, sizeof(out)), 2);
    CHECK_EQ(out[0], 'a');
    CHECK_EQ(out[1], 'b');
    CHECK_EQ(u.tx_overflow, 0);
}

/* ---- receive */

TEST(pl011_rx_push_accepts_at_most_a_fifo)
{
    char in[40];
    for (unsigned i = 0; i < sizeof(in); i++)
        in[i] = (char)('0' + i);
    enabled(FEN8);
    CHECK_EQ(pl011_rx_push(&u, in, sizeof(in)), PL011_FIFO_DEPTH);
    CHECK_EQ(rd(PL011_FR) & (PL011_FR_RXFF | PL011_FR_RXFE), PL011_FR_RXFF);
    CHECK_EQ(pl011_rx_push(&u, in + PL011_FIFO_DEPTH, 8), 0);
    CHECK_EQ(rd(PL011_DR), '0');
    CHECK_EQ(pl011_rx_push(&u, in + PL011_FIFO_DEPTH, 8), 1);
    CHECK_EQ(pl011_rx_push(&u, NULL, 8), 0);
    CHECK(pl011_state_ok(&u));
}

TEST(pl011_rx_reads_drain_in_order_until_rxfe)
{
    enabled(FEN8);
    CHECK_EQ(pl011_rx_push(&u, "hello", 5), 5);
    CHECK_EQ(pl011_rx_push(&u, ", world", 7), 7);
    const char *want = "hello, world";
    for (unsigned i = 0; want[i]; i++) {
        CHECK(!(rd(PL011_FR) & PL011_FR_RXFE));
        CHECK_EQ(rd(PL011_DR), (uint8_t)want[i]);   /* error bits 11:8 clear */
    }
    CHECK_EQ(rd(PL011_FR), EMPTY_FR);
    CHECK_EQ(rd(PL011_DR), 0);                      /* empty: 0, nothing moves */
    CHECK(pl011_state_ok(&u));
    /* the ring wraps */
    for (unsigned round = 0; round < 5; round++) {
        CHECK_EQ(pl011_rx_push(&u, "0123456789", 10), 10);
        for (unsigned i = 0; i < 10; i++)
            CHECK_EQ(rd(PL011_DR), '0' + i);
    }
}

TEST(pl011_rx_interrupt_at_each_ifls_level)
{
    static const unsigned level[5] = { 4, 8, 16, 24, 28 };
    for (unsigned sel = 0; sel < 5; sel++) {
        enabled(FEN8);
        wr(PL011_IFLS, (sel << 3) | 2u);
        wr(PL011_IMSC, PL011_INT_RX);
        for (unsigned n = 1; n <= PL011_FIFO_DEPTH; n++) {
            CHECK_EQ(pl011_rx_push(&u, "x", 1), 1);
            CHECK_EQ(rd(PL011_RIS) == PL011_INT_RX, n >= level[sel]);
            CHECK_EQ(pl011_irq_level(&u), n >= level[sel]);
        }
        for (unsigned n = PL011_FIFO_DEPTH; n > 0; n--) {
            (void)rd(PL011_DR);
            CHECK_EQ(rd(PL011_RIS) == PL011_INT_RX, n - 1 >= level[sel]);
        }
    }
}

TEST(pl011_rx_timeout_from_rx_idle)
{
    enabled(FEN8);
    wr(PL011_IMSC, PL011_INT_RT | PL011_INT_RX);
    pl011_rx_idle(&u);                              /* nothing received: no timeout */
    CHECK_EQ(rd(PL011_RIS), 0);
    CHECK_EQ(pl011_rx_push(&u, "abc", 3), 3);       /* below the level of 16 */
    CHECK(!pl011_irq_level(&u));
    pl011_rx_idle(&u);
    CHECK_EQ(rd(PL011_RIS), PL011_INT_RT);
    CHECK(pl011_irq_level(&u));
    CHECK_EQ(rd(PL011_DR), 'a');                    /* not empty yet: stays */
    CHECK_EQ(rd(PL011_RIS), PL011_INT_RT);
    CHECK_EQ(pl011_rx_push(&u, "d", 1), 1);         /* nor does new input clear it */
    CHECK_EQ(rd(PL011_RIS), PL011_INT_RT);
    wr(PL011_ICR, PL011_INT_RT);
    CHECK_EQ(rd(PL011_RIS), 0);
    pl011_rx_idle(&u);                              /* still data, idle again */
    CHECK_EQ(rd(PL011_RIS), PL011_INT_RT);
    CHECK_EQ(rd(PL011_DR), 'b');
    CHECK_EQ(rd(PL011_DR), 'c');
    CHECK_EQ(rd(PL011_DR), 'd');                    /* empty: cleared */
    CHECK_EQ(rd(PL011_RIS), 0);
    CHECK(!pl011_irq_level(&u));
}

TEST(pl011_rx_refused_while_uarten_or_rxe_is_clear)
{
    enabled(FEN8);
    wr(PL011_CR, PL011_CR_TXE | PL011_CR_RXE);
    CHECK_EQ(pl011_rx_push(&u, "abc", 3), 0);
    wr(PL011_CR, PL011_CR_UARTEN | PL011_CR_TXE);
    CHECK_EQ(pl011_rx_push(&u, "abc", 3), 0);
    wr(PL011_CR, ON);
    CHECK_EQ(pl011_rx_push(&u, "abc", 3), 3);
    wr(PL011_CR, PL011_CR_UARTEN | PL011_CR_TXE);   /* data held, receiver off */
    pl011_rx_idle(&u);
    CHECK_EQ(rd(PL011_RIS), 0);
    CHECK_EQ(rd(PL011_DR), 'a');                    /* what is in the FIFO stays readable */
}

/* ---- FIFOs off, FIFO flush */

TEST(pl011_fifo_disabled_is_one_character_deep)
{
    char c;
    enabled(PL011_LCR_H_WLEN8);
    wr(PL011_IMSC, PL011_INT_RX);
    wr(PL011_DR, 'a');
    CHECK_EQ(rd(PL011_FR) & (PL011_FR_TXFF | PL011_FR_BUSY | PL011_FR_TXFE), PL011_FR_TXFF | PL011_FR_BUSY);
    wr(PL011_DR, 'b');
    CHECK_EQ(u.tx_overflow, 1);
    CHECK_EQ(take_all(&c, 1), 1);
    CHECK_EQ(c, 'a');
    CHECK_EQ(take_all(&c, 1), 0);
    CHECK_EQ(pl011_rx_push(&u, "xy", 2), 1);
    CHECK_EQ(rd(PL011_FR) & (PL011_FR_RXFF | PL011_FR_RXFE), PL011_FR_RXFF);
    CHECK_EQ(rd(PL011_MIS), PL011_INT_RX);          /* a full holding register */
    CHECK_EQ(rd(PL011_DR), 'x');
    CHECK_EQ(rd(PL011_RIS) & PL011_INT_RX, 0);
    CHECK_EQ(rd(PL011_FR) & PL011_FR_RXFE, PL011_FR_RXFE);
}

TEST(pl011_clearing_fen_flushes_both_fifos)
{
    enabled(FEN8);
    wr(PL011_CR, PL011_CR_UARTEN | PL011_CR_RXE);   /* keep TX characters in */
    for (unsigned i = 0; i < 5; i++)
        wr(PL011_DR, 'a');
    CHECK_EQ(pl011_rx_push(&u, "0123456789abcdefg", 17), 17);
    pl011_rx_idle(&u);
    CHECK_EQ(rd(PL011_RIS), PL011_INT_RX | PL011_INT_RT);
    wr(PL011_LCR_H, FEN8);                          /* FEN unchanged: nothing happens */
    CHECK_EQ(u.rx_count, 17);
    wr(PL011_LCR_H, PL011_LCR_H_WLEN8);
    CHECK_EQ(rd(PL011_FR), EMPTY_FR);
    CHECK_EQ(rd(PL011_RIS), 0);
    CHECK(pl011_state_ok(&u));
    CHECK_EQ(pl011_rx_push(&u, "z", 1), 1);         /* FEN back on keeps what is there */
    wr(PL011_LCR_H, FEN8);
    CHECK_EQ(rd(PL011_DR), 'z');
}

/* ---- interrupt registers */

TEST(pl011_imsc_mis_and_the_line)
{
    char buf[32];
    enabled(FEN8);
    for (unsigned i = 0; i < PL011_FIFO_DEPTH; i++)
        wr(PL011_DR, 'a');
    CHECK_EQ(take_all(buf, 32), 32);                /* TX */
    CHECK_EQ(pl011_rx_push(&u, buf, 16), 16);       /* RX */
    pl011_rx_idle(&u);                              /* RT */
    uint32_t ris = PL011_INT_TX | PL011_INT_RX | PL011_INT_RT;
    CHECK_EQ(rd(PL011_RIS), ris);
    CHECK(!pl011_irq_level(&u));
    for (unsigned bit = 0; bit < 11; bit++) {
        wr(PL011_IMSC, 1u << bit);
        CHECK_EQ(rd(PL011_MIS), ris & (1u << bit));
        CHECK_EQ(pl011_irq_level(&u), (ris & (1u << bit)) != 0);
    }
    wr(PL011_IMSC, 0);
    CHECK_EQ(rd(PL011_RIS), ris);                   /* masking hides, does not clear */
    CHECK(!pl011_irq_level(&u));
    CHECK(!pl011_irq_level(NULL));
}

TEST(pl011_icr_clears_only_the_bits_written)
{
    char buf[32];
    enabled(FEN8);
    wr(PL011_IMSC, PL011_INT_ALL);
    for (unsigned i = 0; i < PL011_FIFO_DEPTH; i++)
        wr(PL011_DR, 'a');
    CHECK_EQ(take_all(buf, 32), 32);
    CHECK_EQ(pl011_rx_push(&u, buf, 16), 16);
    pl011_rx_idle(&u);
    wr(PL011_ICR, 0);                               /* what Linux's handler writes here */
    CHECK_EQ(rd(PL011_RIS), PL011_INT_TX | PL011_INT_RX | PL011_INT_RT);
    wr(PL011_ICR, PL011_INT_RT);
    CHECK_EQ(rd(PL011_RIS), PL011_INT_TX | PL011_INT_RX);
    wr(PL011_ICR, PL011_INT_RX);
    CHECK_EQ(rd(PL011_RIS), PL011_INT_TX);
    CHECK(pl011_irq_level(&u));
    wr(PL011_ICR, 0xffff);
    CHECK_EQ(rd(PL011_RIS), 0);
    CHECK(!pl011_irq_level(&u));
    CHECK_EQ(u.rx_count, 16);                       /* the data stays */
}

/* ---- loopback */

TEST(pl011_loopback_sends_to_the_receiver)
{
    char out[4];
    enabled(FEN8);
    wr(PL011_CR, ON | PL011_CR_LBE);
    wr(PL011_DR, 'h');
    wr(PL011_DR, 'i');
    CHECK_EQ(take_all(out, sizeof(out)), 0);        /* nothing reaches the VMM */
    CHECK_EQ(rd(PL011_FR) & (PL011_FR_TXFE | PL011_FR_RXFE), PL011_FR_TXFE);
    CHECK_EQ(pl011_rx_push(&u, "x", 1), 0);         /* outside input is cut off */
    CHECK_EQ(rd(PL011_DR), 'h');
    CHECK_EQ(rd(PL011_DR), 'i');
    wr(PL011_CR, PL011_CR_UARTEN | PL011_CR_TXE | PL011_CR_LBE); /* receiver off: lost */
    wr(PL011_DR, 'z');
    CHECK_EQ(rd(PL011_FR) & (PL011_FR_TXFE | PL011_FR_RXFE), PL011_FR_TXFE | PL011_FR_RXFE);
    wr(PL011_CR, ON);
    CHECK_EQ(pl011_rx_push(&u, "x", 1), 1);
}

/* Kernels before 4.5 sent one character in loopback with the FIFOs off at
 * startup to get TXIS latched, then only unmasked TXIM in start_tx. */
TEST(pl011_old_linux_primes_the_tx_interrupt_in_loopback)
{
    linux_up(1000);
    uint32_t old_cr = g_rd(PL011_CR);
    uint32_t lcr_h = g_rd(PL011_LCR_H);
    g_wr(PL011_CR, PL011_CR_UARTEN | PL011_CR_TXE | PL011_CR_LBE);
    g_wr(PL011_FBRD, 0);
    g_wr(PL011_IBRD, 1);
    g_wr(PL011_LCR_H, 0);
    g_wr(PL011_DR, 0);
    unsigned spins = 0;
    while ((g_rd(PL011_FR) & PL011_FR_BUSY) && spins < 100)
        spins++;
    CHECK_EQ(spins, 0);
    CHECK_EQ(rd(PL011_RIS) & PL011_INT_TX, PL011_INT_TX);
    g_wr(PL011_FBRD, 1);
    g_wr(PL011_IBRD, 13);
    g_wr(PL011_LCR_H, lcr_h);
    g_wr(PL011_CR, old_cr);
    CHECK_EQ(vm.out_len, 0);                        /* the priming character stayed inside */

    /* old start_tx: unmask and let the interrupt send half a FIFO at a time */
    drv.xmit = line100;
    drv.xmit_len = sizeof(line100) - 1;
    drv.xmit_pos = 0;
    drv.im |= PL011_INT_TX;
    g_wr(PL011_IMSC, drv.im);
    CHECK(vm.line);
    run(1000);
    CHECK_EQ(vm.out_len, sizeof(line100) - 1);
    for (size_t i = 0; i < vm.out_len; i++)
        CHECK_EQ(vm.out[i], line100[i]);
    CHECK_EQ(u.tx_overflow, 0);
}

/* ---- hostile input */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next_random(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

TEST(pl011_every_offset_size_and_value_leaves_a_sane_state)
{
    static const unsigned sizes[] = { 1, 2, 4, 8, 0, 3, 16 };
    char buf[40];
    for (unsigned round = 0; round < 3; round++) {
        enabled(FEN8);
        for (uint32_t off = 0; off < PL011_SIZE; off++) {
            for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
                uint64_t r = next_random();
                uint32_t v = (uint32_t)r;
                if (round == 1 && off == PL011_CR)
                    v |= PL011_CR_LBE;
                pl011_write(&u, off, sizes[s], v);
                uint32_t got = pl011_read(&u, off, sizes[s]);
                if (sizes[s] < 4)
                    CHECK_EQ(got >> (8 * sizes[s]), 0);
                CHECK(pl011_state_ok(&u));
                switch ((r >> 32) & 7) {
                case 0:
                    (void)pl011_rx_push(&u, buf, (r >> 40) % sizeof(buf));
                    break;
                case 1:
                    (void)pl011_tx_take(&u, buf, (r >> 40) % sizeof(buf));
                    break;
                case 2:
                    pl011_rx_idle(&u);
                    break;
                default:
                    break;
                }
                CHECK(pl011_state_ok(&u));
                CHECK_EQ(pl011_irq_level(&u), (rd(PL011_RIS) & rd(PL011_IMSC)) != 0);
            }
        }
        for (unsigned i = 0; i < 1000; i++) {
            uint64_t off = next_random();
            pl011_write(&u, off, 4, (uint32_t)next_random());
            (void)pl011_read(&u, off, 4);
            CHECK(pl011_state_ok(&u));
        }
        CHECK_EQ(rd(PL011_PERIPHID0 + 8), 0x34);
    }
}

TEST(pl011_state_ok_catches_broken_state)
{
    pl011_init(&u);
    CHECK(pl011_state_ok(&u));
    u.rx_count = 2;                                 /* FEN off: 1 at most */
    CHECK(!pl011_state_ok(&u));
    enabled(FEN8);
    u.tx_head = PL011_FIFO_DEPTH;
    CHECK(!pl011_state_ok(&u));
    enabled(FEN8);
    u.ris = PL011_INT_RT;                           /* a timeout with nothing to read */
    CHECK(!pl011_state_ok(&u));
    enabled(FEN8);
    u.cr = 0x78;
    CHECK(!pl011_state_ok(&u));
    CHECK(!pl011_state_ok(NULL));
}

/* ---- replays of Linux */

TEST(pl011_linux_startup_replay)
{
    linux_up(1000);
    CHECK_EQ(rd(PL011_IMSC), PL011_INT_RT | PL011_INT_RX);
    CHECK_EQ(rd(PL011_CR), ON);
    CHECK_EQ(rd(PL011_IFLS), PL011_IFLS_RESET);
    CHECK_EQ(rd(PL011_LCR_H), FEN8);
    CHECK_EQ(rd(PL011_FR), EMPTY_FR);
    CHECK_EQ(rd(PL011_RIS), 0);
    CHECK(!vm.line);
    CHECK_EQ(vm.raised, 0);
    CHECK_EQ(u.ignored, 0);
}

/* A console that keeps up: the line goes out from start_tx alone. One that
 * does not: the FIFO fills, and TX interrupts send the rest. */
TEST(pl011_linux_writes_a_100_character_line)
{
    linux_up(1000);
    drv_start_tx(line100, 100);                     /* never sees TXFF */
    CHECK_EQ(drv.xmit_pos, 100);
    CHECK(!(drv.im & PL011_INT_TX));
    CHECK_EQ(vm.out_len, 100);
    for (size_t i = 0; i < 100; i++)
        CHECK_EQ(vm.out[i], line100[i]);
    CHECK_EQ(vm.raised, 0);
    CHECK_EQ(rd(PL011_FR), EMPTY_FR);

    linux_up(10);                                   /* room for 10 now, 7 more per tick */
    drv_start_tx(line100, 100);
    CHECK_EQ(drv.xmit_pos, 10 + PL011_FIFO_DEPTH);  /* wrote until TXFF */
    CHECK(drv.im & PL011_INT_TX);
    CHECK(!vm.line);
    run(7);
    CHECK_EQ(vm.out_len, 100);
    for (size_t i = 0; i < 100; i++)
        CHECK_EQ(vm.out[i], line100[i]);
    CHECK(vm.raised >= 2);                          /* it refilled from TX interrupts */
    CHECK_EQ(u.tx_overflow, 0);                     /* half a FIFO per interrupt always fit */
    CHECK(!(drv.im & PL011_INT_TX));
    CHECK(!vm.line);
    CHECK_EQ(u.ignored, 0);
}

TEST(pl011_linux_receives_abc_return)
{
    linux_up(1000);
    vm.in = "abc\r";
    vm.in_len = 4;
    service();                                      /* input arrives: pushed, then idle */
    CHECK_EQ(vm.in_pos, 4);
    CHECK(vm.line);
    CHECK_EQ(rd(PL011_MIS), PL011_INT_RT);          /* below the level: by timeout */
    drv_isr();
    CHECK_EQ(drv.rx_len, 4);
    CHECK(drv.rx[0] == 'a' && drv.rx[1] == 'b' && drv.rx[2] == 'c' && drv.rx[3] == '\r');
    CHECK(!vm.line);
    CHECK_EQ(rd(PL011_RIS), 0);
    CHECK_EQ(vm.raised, 1);
}

TEST(pl011_linux_receives_a_paste_longer_than_the_fifo)
{
    linux_up(1000);
    vm.in = line100;
    vm.in_len = 100;
    service();
    CHECK_EQ(vm.in_pos, PL011_FIFO_DEPTH);          /* the rest waits with the VMM */
    CHECK_EQ(rd(PL011_MIS), PL011_INT_RX | PL011_INT_RT);
    drv_isr();
    CHECK_EQ(drv.rx_len, 100);
    for (size_t i = 0; i < 100; i++)
        CHECK_EQ(drv.rx[i], line100[i]);
    CHECK(!vm.line);
    CHECK_EQ(rd(PL011_FR) & PL011_FR_RXFE, PL011_FR_RXFE);
}

/* Input typed before the port is opened: refused while UARTEN is clear,
 * then it fills the FIFO at startup, where Linux clears RXIS and throws
 * away up to two FIFOs' worth. The rest must still raise an interrupt. */
TEST(pl011_linux_startup_with_early_input_waiting)
{
    char in[200];
    for (unsigned i = 0; i < sizeof(in); i++)
        in[i] = (char)(' ' + i % 90);
    pl011_init(&u);
    vm_reset(1000);
    vm.in = in;
    vm.in_len = sizeof(in);
    drv.rx_len = 0;
    drv_probe();
    drv_set_termios();
    CHECK_EQ(vm.in_pos, 0);
    drv_startup();
    CHECK(vm.line);
    drv_isr();
    CHECK_EQ(drv.rx_len, sizeof(in) - 2 * PL011_FIFO_DEPTH);
    for (size_t i = 0; i < drv.rx_len; i++)
        CHECK_EQ(drv.rx[i], in[2 * PL011_FIFO_DEPTH + i]);
    CHECK(!vm.line);
    CHECK_EQ(vm.in_pos, sizeof(in));
}

/* earlycon: 32-bit FR polls, byte DR writes, wait for BUSY after each
 * character; firmware left the UART enabled with the FIFOs off. While it
 * polls, the console frees one character of room every 'period' polls. */
static void earlycon_poll(unsigned *polls, unsigned period)
{
    if (++*polls % period == 0)
        vm.out_room++;
    service();
    CHECK(*polls < 100000);
}

static unsigned earlycon_write(const char *s, unsigned period)
{
    unsigned polls = 0;
    for (; *s; s++) {
        while (pl011_read(&u, PL011_FR, 4) & PL011_FR_TXFF)
            earlycon_poll(&polls, period);
        pl011_write(&u, PL011_DR, 1, (uint8_t)*s);
        service();
        while (pl011_read(&u, PL011_FR, 4) & PL011_FR_BUSY)
            earlycon_poll(&polls, period);
    }
    return polls;
}

TEST(pl011_earlycon_with_the_fifos_off)
{
    pl011_init(&u);
    vm_reset(1000);
    wr(PL011_LCR_H, PL011_LCR_H_WLEN8);
    wr(PL011_CR, ON);
    CHECK_EQ(earlycon_write("Booting Linux\n", 1), 0);
    CHECK_EQ(vm.out_len, 14);
    CHECK(vm.out[0] == 'B' && vm.out[13] == '\n');
    /* an output ring with no room for a while: the guest waits on BUSY */
    vm_reset(0);
    CHECK_EQ(earlycon_write("slow", 5), 4 * 5);
    CHECK_EQ(vm.out_len, 4);
    CHECK(vm.out[0] == 's' && vm.out[3] == 'w');
    CHECK_EQ(u.tx_overflow, 0);
    CHECK_EQ(u.ignored, 0);
}
