/* The PL011 UART model: see vmm/pl011.h. Register and bit meanings are
 * those of the PrimeCell UART (PL011) Technical Reference Manual, r1p5. */
#include <vmm/pl011.h>

#define FIFO_MASK (PL011_FIFO_DEPTH - 1u) /* the depth is a power of two */

/* What each register keeps of a write: its defined bits. */
#define CR_BITS 0xff87u
#define LCR_H_BITS 0xffu
#define IFLS_BITS 0x3fu
#define IBRD_BITS 0xffffu
#define FBRD_BITS 0x3fu
#define ILPR_BITS 0xffu
#define DMACR_BITS 0x7u
#define RIS_MODELLED (PL011_INT_RX | PL011_INT_TX | PL011_INT_RT)

#define TX_ON (PL011_CR_UARTEN | PL011_CR_TXE)
#define RX_ON (PL011_CR_UARTEN | PL011_CR_RXE)
#define LOOP_ON (TX_ON | PL011_CR_LBE)

/* PeriphID0..3 (part 0x011, designer 0x41 'A', revision 3 = r1p5), CellID0..3 */
static const uint8_t id_regs[8] = { 0x11, 0x10, 0x34, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

static bool fifo_on(const struct pl011 *u)
{
    return (u->lcr_h & PL011_LCR_H_FEN) != 0;
}

static unsigned depth(const struct pl011 *u)
{
    return fifo_on(u) ? PL011_FIFO_DEPTH : 1u;
}

/* A 3-bit IFLS field as a number of FIFO entries. */
static unsigned ifls_level(uint32_t sel)
{
    static const uint8_t eighths[8] = { 1, 2, 4, 6, 7, 4, 4, 4 }; /* 5..7 reserved: as 1/2 */
    return PL011_FIFO_DEPTH * eighths[sel & 7u] / 8u;
}

/* TXIS marks the TX FIFO going down to this many entries or fewer ... */
static unsigned tx_trigger(const struct pl011 *u)
{
    return fifo_on(u) ? ifls_level(u->ifls) : 0u;
}

/* ... and RXIS the RX FIFO going up to at least this many. */
static unsigned rx_trigger(const struct pl011 *u)
{
    return fifo_on(u) ? ifls_level(u->ifls >> 3) : 1u;
}

static bool all_set(uint32_t reg, uint32_t bits)
{
    return (reg & bits) == bits;
}

/* ---- the FIFOs: every change of level goes through these four */

static void tx_put(struct pl011 *u, uint8_t c)
{
    if (u->tx_count >= depth(u)) {
        u->tx_overflow++;
        return;
    }
    u->tx[(u->tx_head + u->tx_count) & FIFO_MASK] = c;
    u->tx_count++;
    if (u->tx_count > tx_trigger(u))
        u->ris &= ~PL011_INT_TX;
}

static uint8_t tx_get(struct pl011 *u)
{
    uint8_t c = u->tx[u->tx_head];
    unsigned before = u->tx_count;

    u->tx_head = (u->tx_head + 1u) & FIFO_MASK;
    u->tx_count--;
    if (before > tx_trigger(u) && u->tx_count <= tx_trigger(u))
        u->ris |= PL011_INT_TX;
    return c;
}

static bool rx_put(struct pl011 *u, uint8_t c)
{
    if (u->rx_count >= depth(u))
        return false;
    u->rx[(u->rx_head + u->rx_count) & FIFO_MASK] = c;
    u->rx_count++;
    /* One entry at a time, so reaching the trigger is the upward crossing;
     * a trigger that IFLS moved below the level is not crossed until the
     * level has fallen under it again. */
    if (u->rx_count == rx_trigger(u))
        u->ris |= PL011_INT_RX;
    return true;
}

static uint8_t rx_get(struct pl011 *u)
{
    if (u->rx_count == 0)
        return 0;
    uint8_t c = u->rx[u->rx_head];
    u->rx_head = (u->rx_head + 1u) & FIFO_MASK;
    u->rx_count--;
    if (u->rx_count < rx_trigger(u))
        u->ris &= ~PL011_INT_RX;
    if (u->rx_count == 0)
        u->ris &= ~PL011_INT_RT;
    return c;
}

static void flush_fifos(struct pl011 *u)
{
    u->rx_head = u->rx_count = 0;
    u->tx_head = u->tx_count = 0;
    u->ris &= ~(PL011_INT_RX | PL011_INT_RT);
}

/* In loopback the line is internal: what the transmitter sends arrives at
 * once, without the VMM. A full RX FIFO or a disabled receiver loses it,
 * as on the wire. */
static void loop_back(struct pl011 *u)
{
    if (!all_set(u->cr, LOOP_ON))
        return;
    while (u->tx_count) {
        uint8_t c = tx_get(u);
        if (all_set(u->cr, RX_ON))
            (void)rx_put(u, c);
    }
}

static uint32_t flags(const struct pl011 *u)
{
    uint32_t fr = PL011_FR_MODEM;

    fr |= u->tx_count ? PL011_FR_BUSY : PL011_FR_TXFE;
    if (u->tx_count >= depth(u))
        fr |= PL011_FR_TXFF;
    fr |= u->rx_count ? 0u : PL011_FR_RXFE;
    if (u->rx_count >= depth(u))
        fr |= PL011_FR_RXFF;
    return fr;
}

/* ---- registers */

static void write_lcr_h(struct pl011 *u, uint32_t v)
{
    bool fifo_was_on = fifo_on(u);

    u->lcr_h = v & LCR_H_BITS;
    /* Turning the FIFOs off is the TRM's way to flush them; it also keeps
     * the counts within a 1-entry holding register. */
    if (fifo_was_on && !fifo_on(u))
        flush_fifos(u);
}

void pl011_init(struct pl011 *u)
{
    if (!u)
        return;
    for (unsigned i = 0; i < PL011_FIFO_DEPTH; i++)
        u->rx[i] = u->tx[i] = 0;
    u->rx_head = u->rx_count = u->tx_head = u->tx_count = 0;
    u->cr = PL011_CR_TXE | PL011_CR_RXE;
    u->lcr_h = 0;
    u->ifls = PL011_IFLS_RESET;
    u->imsc = u->ris = 0;
    u->ibrd = u->fbrd = u->ilpr = u->dmacr = 0;
    u->ignored = u->tx_overflow = 0;
}

static bool decoded(uint64_t offset, unsigned size)
{
    return offset < PL011_SIZE && (offset & 3u) == 0 && (size == 1 || size == 2 || size == 4);
}

static uint32_t read_reg(struct pl011 *u, uint32_t offset)
{
    switch (offset) {
    case PL011_DR:
        return rx_get(u); /* no error bits: see the header */
    case PL011_RSR:
        return 0;
    case PL011_FR:
        return flags(u);
    case PL011_ILPR:
        return u->ilpr;
    case PL011_IBRD:
        return u->ibrd;
    case PL011_FBRD:
        return u->fbrd;
    case PL011_LCR_H:
        return u->lcr_h;
    case PL011_CR:
        return u->cr;
    case PL011_IFLS:
        return u->ifls;
    case PL011_IMSC:
        return u->imsc;
    case PL011_RIS:
        return u->ris;
    case PL011_MIS:
        return u->ris & u->imsc;
    case PL011_DMACR:
        return u->dmacr;
    default:
        if (offset >= PL011_PERIPHID0)
            return id_regs[(offset - PL011_PERIPHID0) >> 2];
        u->ignored++; /* ICR (write-only) and reserved offsets */
        return 0;
    }
}

static void write_reg(struct pl011 *u, uint32_t offset, uint32_t v)
{
    switch (offset) {
    case PL011_DR:
        tx_put(u, (uint8_t)v);
        break;
    case PL011_RSR:
        break; /* ECR: clears receive errors, and there are none */
    case PL011_ILPR:
        u->ilpr = v & ILPR_BITS;
        break;
    case PL011_IBRD:
        u->ibrd = v & IBRD_BITS;
        break;
    case PL011_FBRD:
        u->fbrd = v & FBRD_BITS;
        break;
    case PL011_LCR_H:
        write_lcr_h(u, v);
        break;
    case PL011_CR:
        u->cr = v & CR_BITS;
        break;
    case PL011_IFLS:
        u->ifls = v & IFLS_BITS;
        break;
    case PL011_IMSC:
        u->imsc = v & PL011_INT_ALL;
        break;
    case PL011_ICR:
        u->ris &= ~v;
        break;
    case PL011_DMACR:
        u->dmacr = v & DMACR_BITS;
        break;
    default:
        u->ignored++; /* FR, RIS, MIS, ID registers, reserved offsets */
        return;
    }
    /* A DR, CR or LCR_H write may have given a looped-back transmitter
     * something to send. */
    loop_back(u);
}

uint32_t pl011_read(struct pl011 *u, uint64_t offset, unsigned size)
{
    if (!u)
        return 0;
    if (!decoded(offset, size)) {
        u->ignored++;
        return 0;
    }
    uint32_t v = read_reg(u, (uint32_t)offset);
    return size == 4 ? v : v & ((1u << (8 * size)) - 1u);
}

void pl011_write(struct pl011 *u, uint64_t offset, unsigned size, uint32_t value)
{
    if (!u)
        return;
    if (!decoded(offset, size)) {
        u->ignored++;
        return;
    }
    write_reg(u, (uint32_t)offset, size == 4 ? value : value & ((1u << (8 * size)) - 1u));
}

/* ---- the VMM's side */

size_t pl011_tx_take(struct pl011 *u, char *buf, size_t max)
{
    size_t n = 0;

    if (!u || !buf || !all_set(u->cr, TX_ON) || (u->cr & PL011_CR_LBE))
        return 0;
    while (n < max && u->tx_count)
        buf[n++] = (char)tx_get(u);
    return n;
}

size_t pl011_rx_push(struct pl011 *u, const char *buf, size_t len)
{
    size_t n = 0;

    if (!u || !buf || !all_set(u->cr, RX_ON) || (u->cr & PL011_CR_LBE))
        return 0;
    while (n < len && rx_put(u, (uint8_t)buf[n]))
        n++;
    /* The rest waits with the VMM: the line stalls with the FIFO full. Say
     * so as a timeout would, or a guest that had cleared RXIS (Linux does
     * at startup) would never hear of the full FIFO. */
    if (n < len)
        u->ris |= PL011_INT_RT;
    return n;
}

void pl011_rx_idle(struct pl011 *u)
{
    if (u && all_set(u->cr, RX_ON) && u->rx_count)
        u->ris |= PL011_INT_RT;
}

bool pl011_irq_level(const struct pl011 *u)
{
    return u && (u->ris & u->imsc) != 0;
}

bool pl011_state_ok(const struct pl011 *u)
{
    if (!u)
        return false;
    if (u->rx_head >= PL011_FIFO_DEPTH || u->tx_head >= PL011_FIFO_DEPTH)
        return false;
    if (u->rx_count > depth(u) || u->tx_count > depth(u))
        return false;
    if ((u->cr & ~CR_BITS) || (u->lcr_h & ~LCR_H_BITS) || (u->ifls & ~IFLS_BITS) ||
        (u->imsc & ~PL011_INT_ALL) || (u->ibrd & ~IBRD_BITS) || (u->fbrd & ~FBRD_BITS) ||
        (u->ilpr & ~ILPR_BITS) || (u->dmacr & ~DMACR_BITS))
        return false;
    if (u->ris & ~RIS_MODELLED)
        return false;
    return !(u->ris & PL011_INT_RT) || u->rx_count > 0;
}
