/* ARM PL011 UART: polled debug console. */
#include "plat.h"
#include "mmio.h"

#define PL011_DR (BOARD_UART_BASE + 0x00)
#define PL011_FR (BOARD_UART_BASE + 0x18)
#define PL011_LCR_H (BOARD_UART_BASE + 0x2c)
#define PL011_CR (BOARD_UART_BASE + 0x30)
#define PL011_IMSC (BOARD_UART_BASE + 0x38)

#define PL011_FR_TXFF BIT(5)
#define PL011_LCR_H_FEN BIT(4)
#define PL011_LCR_H_WLEN8 (3u << 5)
#define PL011_CR_UARTEN BIT(0)
#define PL011_CR_TXE BIT(8)
#define PL011_CR_RXE BIT(9)

void plat_uart_init(void)
{
    /* The line control register must only change while the UART is off.
     * QEMU ignores the baud rate, so IBRD/FBRD are left alone. */
    mmio_write32(PL011_CR, 0);
    /* The FIFO keeps input typed faster than it is polled. */
    mmio_write32(PL011_LCR_H, PL011_LCR_H_FEN | PL011_LCR_H_WLEN8);
    mmio_write32(PL011_IMSC, 0); /* the console is polled */
    mmio_write32(PL011_CR, PL011_CR_UARTEN | PL011_CR_TXE | PL011_CR_RXE);
}

/* The UART is shared with an untrusted party (today the host VM), which
 * can switch it off or stop its transmitter, and the kernel prints with its
 * lock held: so the wait for room is bounded (about a character's time at
 * 115200 baud, many times over), and once it has run out the kernel only
 * looks once a character, dropping output until there is room again. */
#define PL011_TX_SPINS 100000u
static bool pl011_stuck;

static void pl011_tx(char c)
{
    unsigned spins = pl011_stuck ? 1 : PL011_TX_SPINS;
    while (mmio_read32(PL011_FR) & PL011_FR_TXFF) {
        if (--spins == 0) {
            pl011_stuck = true;
            return;
        }
    }
    pl011_stuck = false;
    mmio_write32(PL011_DR, (uint8_t)c);
}

void plat_uart_putc(char c)
{
    if (c == '\n')
        pl011_tx('\r');
    pl011_tx(c);
}
