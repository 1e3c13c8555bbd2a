/* An Arm PrimeCell UART (PL011 r1p5) for a guest's console: the guest's
 * MMIO accesses to the 4 KiB window are emulated here, characters the guest
 * sends wait in the TX FIFO until the VMM takes them, and characters the VMM
 * pushes wait in the RX FIFO until the guest reads them. Written so that
 * Linux's amba-pl011 driver and its "pl011" earlycon run unchanged.
 *
 * Per-UART state, no allocation: the caller owns a struct pl011.
 *
 * Typical VMM use (one "service" step, run after every guest access to the
 * window and whenever output room or new input appears):
 *   pl011_init(&u);                       then, if no firmware runs before
 *                                         the guest, program it as firmware
 *                                         would (UARTEN|TXE|RXE, LCR_H)
 *   data abort in the window  -> pl011_read / pl011_write (offset, size)
 *   service:
 *     n = pl011_tx_take(&u, buf, room in the output ring)  -> to the ring
 *     n = pl011_rx_push(&u, input, len)   keep input[n..len) for later
 *     if the input ring is now empty: pl011_rx_idle(&u)
 *     level = pl011_irq_level(&u); if it changed: vgic_set_level(irq, level)
 *
 * Flow control instead of loss: a full output ring leaves characters in the
 * TX FIFO, the guest sees FR.TXFF/BUSY and waits; input that does not fit
 * is refused by pl011_rx_push and stays with the VMM. Characters are lost
 * only where the guest itself throws them away, as on hardware: writes to a
 * full TX FIFO (counted in tx_overflow), the flush when it clears FEN, and
 * loopback into a full or disabled receiver.
 *
 * Interrupts. RIS holds latched events; the line is (RIS & IMSC) != 0 and is
 * level-sensitive: it stays high until the guest clears the cause, however
 * often the VMM looks. As in the TRM, the FIFO interrupts are edges of the
 * FIFO level, not the level itself:
 *   TXIS  set when the TX FIFO drains from above its trigger level to at or
 *         below it (FEN = 0: when the holding register empties); cleared by
 *         a write that takes it above the level again, or by ICR. So it is
 *         not set at reset or by merely unmasking it: Linux fills the FIFO
 *         until TXFF first and then unmasks TXIM; old kernels prime it by
 *         sending one character in loopback with FEN = 0.
 *   RXIS  set when the RX FIFO fills up to its trigger level (FEN = 0: when
 *         the holding register fills); cleared when reads take it below the
 *         level, or by ICR.
 *   RTIS  the receive timeout. There is no bit clock: pl011_rx_idle stands
 *         for "no character for 32 bit periods" and sets it if the RX FIFO
 *         is not empty, and so does input refused by a full FIFO; cleared
 *         when reads empty the FIFO, or by ICR.
 * IFLS codes 5..7 are reserved in the TRM; here they act as 1/2 (the reset
 * level). A change of IFLS takes effect at the next change of FIFO level.
 *
 * What is modelled: FIFOs of 32 (FEN = 1) or 1-character holding registers
 * (FEN = 0); clearing FEN flushes both FIFOs (the TRM's way to flush TX);
 * transmission only while UARTEN and TXE are set, reception only while
 * UARTEN and RXE are set; FR.BUSY while the TX FIFO holds a character (there
 * is no shift register: a taken character is sent); loopback (CR.LBE): sent
 * characters go to the RX FIFO, not to the VMM, and the VMM's input is
 * refused. Registers with no effect on a virtual line (ILPR, IBRD, FBRD,
 * LCR_H other than FEN, DMACR, CR's modem and flow-control bits) are
 * stored and read back.
 *
 * What is not: receive errors (a byte stream from a ring has no framing,
 * parity or break; overrun cannot happen since excess input is refused), so
 * DR[11:8], RSR and the error interrupts always read 0; BRK; IrDA; DMA
 * requests; CTS/RTS hardware flow control (CTSEN is stored, transmission
 * does not wait for CTS); the test registers at 0x080..0x08C. The modem
 * inputs read as a connected terminal: CTS, DSR and DCD asserted, RI not,
 * constant (also in loopback), so there are no modem status interrupts and
 * an open() that waits for carrier does not hang.
 *
 * Guest accesses. Registers are decoded at offsets that are multiples of 4,
 * for 1-, 2- and 4-byte accesses (Linux uses 16-bit accesses, its earlycon
 * 8- and 32-bit ones): a read returns the register cut to the access size
 * (with the side effect of a full read: a byte read of DR still takes the
 * character), a write writes the value zero-extended. Everything else reads
 * as 0 and writes have no effect, and each such access counts in 'ignored'
 * (for the VMM to log): other offsets or sizes (8-byte, unaligned), offsets
 * past the window, reserved registers, writes to read-only registers (FR,
 * RIS, MIS, the ID registers) and reads of ICR. A read of an empty RX FIFO
 * returns 0 and changes nothing. No value from the guest can move an index
 * out of its FIFO.
 *
 * Freestanding: no libc, no IceCap system calls. */
#ifndef VMM_PL011_H
#define VMM_PL011_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PL011_SIZE 0x1000u          /* the MMIO window */
#define PL011_FIFO_DEPTH 32u        /* r1p5: 32-entry FIFOs (Linux reads rev 3 from PeriphID2) */

/* Register offsets */
#define PL011_DR 0x000u
#define PL011_RSR 0x004u            /* read: RSR; write: ECR */
#define PL011_FR 0x018u
#define PL011_ILPR 0x020u
#define PL011_IBRD 0x024u
#define PL011_FBRD 0x028u
#define PL011_LCR_H 0x02Cu
#define PL011_CR 0x030u
#define PL011_IFLS 0x034u
#define PL011_IMSC 0x038u
#define PL011_RIS 0x03Cu
#define PL011_MIS 0x040u
#define PL011_ICR 0x044u
#define PL011_DMACR 0x048u
#define PL011_PERIPHID0 0xFE0u      /* PeriphID0..3, then CellID0..3 at 0xFF0 */
#define PL011_CELLID0 0xFF0u

/* FR */
#define PL011_FR_CTS (1u << 0)
#define PL011_FR_DSR (1u << 1)
#define PL011_FR_DCD (1u << 2)
#define PL011_FR_BUSY (1u << 3)
#define PL011_FR_RXFE (1u << 4)
#define PL011_FR_TXFF (1u << 5)
#define PL011_FR_RXFF (1u << 6)
#define PL011_FR_TXFE (1u << 7)
#define PL011_FR_RI (1u << 8)
#define PL011_FR_MODEM (PL011_FR_CTS | PL011_FR_DSR | PL011_FR_DCD) /* always reads so */

/* LCR_H */
#define PL011_LCR_H_BRK (1u << 0)
#define PL011_LCR_H_PEN (1u << 1)
#define PL011_LCR_H_EPS (1u << 2)
#define PL011_LCR_H_STP2 (1u << 3)
#define PL011_LCR_H_FEN (1u << 4)
#define PL011_LCR_H_WLEN8 (3u << 5)
#define PL011_LCR_H_SPS (1u << 7)

/* CR (bits 6:3 are reserved and read as 0) */
#define PL011_CR_UARTEN (1u << 0)
#define PL011_CR_SIREN (1u << 1)
#define PL011_CR_SIRLP (1u << 2)
#define PL011_CR_LBE (1u << 7)
#define PL011_CR_TXE (1u << 8)
#define PL011_CR_RXE (1u << 9)
#define PL011_CR_DTR (1u << 10)
#define PL011_CR_RTS (1u << 11)
#define PL011_CR_OUT1 (1u << 12)
#define PL011_CR_OUT2 (1u << 13)
#define PL011_CR_RTSEN (1u << 14)
#define PL011_CR_CTSEN (1u << 15)

/* IFLS: RX level in bits 5:3, TX level in bits 2:0; 0..4 = 1/8, 1/4, 1/2, 3/4, 7/8 */
#define PL011_IFLS_RESET 0x12u      /* both 1/2 */

/* Interrupt bits, the same in IMSC, RIS, MIS and ICR */
#define PL011_INT_RI (1u << 0)
#define PL011_INT_CTS (1u << 1)
#define PL011_INT_DCD (1u << 2)
#define PL011_INT_DSR (1u << 3)
#define PL011_INT_RX (1u << 4)
#define PL011_INT_TX (1u << 5)
#define PL011_INT_RT (1u << 6)
#define PL011_INT_FE (1u << 7)
#define PL011_INT_PE (1u << 8)
#define PL011_INT_BE (1u << 9)
#define PL011_INT_OE (1u << 10)
#define PL011_INT_ALL 0x7ffu

/* The whole device. The FIFOs are rings of PL011_FIFO_DEPTH entries: the
 * oldest character at [head], 'count' of them; with FEN = 0 at most one. */
struct pl011 {
    uint8_t rx[PL011_FIFO_DEPTH];
    uint8_t tx[PL011_FIFO_DEPTH];
    unsigned rx_head, rx_count;
    unsigned tx_head, tx_count;
    uint32_t cr, lcr_h, ifls, imsc, ibrd, fbrd, ilpr, dmacr;
    uint32_t ris;                   /* latched TX, RX and RT events (nothing sets the others) */
    uint32_t ignored;               /* guest accesses without effect (see above), for logging */
    uint32_t tx_overflow;           /* characters the guest wrote to a full TX FIFO, dropped */
};

/* The power-on state: CR = TXE|RXE (UARTEN clear), IFLS = 1/2 and 1/2,
 * LCR_H = 0 (FEN clear), everything masked, FIFOs empty, counters 0. */
void pl011_init(struct pl011 *u);

/* A guest load or store of 'size' bytes at 'offset' in the window (see
 * "Guest accesses"). Never fails: whatever the guest does, the VMM resumes
 * it (with the value read, for a load). */
uint32_t pl011_read(struct pl011 *u, uint64_t offset, unsigned size);
void pl011_write(struct pl011 *u, uint64_t offset, unsigned size, uint32_t value);

/* Takes up to 'max' characters the guest sent, oldest first, into buf and
 * returns how many. Nothing while UARTEN or TXE is clear, or in loopback:
 * the characters stay and the guest sees BUSY. Draining may set TXIS. */
size_t pl011_tx_take(struct pl011 *u, char *buf, size_t max);

/* Gives the guest input: as many of buf[0..len) as fit in the RX FIFO, in
 * order, and returns how many; the VMM keeps the rest. Accepts nothing
 * while UARTEN or RXE is clear or in loopback (Linux enables the receiver
 * before it expects input): early input waits with the VMM instead of being
 * dropped. May set RXIS; sets RTIS when it cannot take everything, as the
 * line then stalls with a full FIFO. */
size_t pl011_rx_push(struct pl011 *u, const char *buf, size_t len);

/* The VMM has no more input for now: the line has been idle "long enough",
 * so a receiver holding characters raises the receive timeout (RTIS) and
 * the guest collects input that did not reach the RX trigger level. */
void pl011_rx_idle(struct pl011 *u);

/* The interrupt output, (RIS & IMSC) != 0. Level-sensitive: the VMM drives
 * the guest's (level) interrupt line with it, comparing before and after
 * each call into this module. */
bool pl011_irq_level(const struct pl011 *u);

/* Whether the state is one the model can reach: indices and counts inside
 * the FIFOs (counts at most 1 with FEN clear), registers within their
 * bits, RTIS only with characters to read. For tests and assertions on
 * the VMM's own memory. */
bool pl011_state_ok(const struct pl011 *u);

#endif
