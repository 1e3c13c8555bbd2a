/* The serial server: owns the board's PL011 and shares it between its
 * clients through the console multiplexer (mux.h). A client is a shared
 * memory region named console-NAME that the system description maps here
 * and in one other component, plus the channel between the two: ring 0 of
 * the region is the client's output, ring 1 its input (docs/ring.md,
 * docs/serial-server.md). Clients are numbered in the order of this
 * component's map lines; the first is where typed input goes at start-up.
 * A console region that no other component maps is the log console, which
 * the loader writes (abi/protocols/log.tbl).
 *
 * It is not part of the TCB: it sees what its clients print and what the
 * user types, as a physical UART would, and nothing else. A client that
 * breaks its rings is dropped, with a line on the console; nothing a
 * client writes into shared memory can make this loop touch memory outside
 * its rings or stall the others.
 *
 * One thread, one loop: wait on the notification (channel bits from the
 * clients, bit 63 from the UART's interrupt), then move everything that can
 * move: UART input into the mux, client output into the mux, the mux's
 * bytes into the UART's FIFO, typed input into the clients' rings, and only
 * sleep once every ring has its waiting flag set. */
#include <icecap/env.h>
#include <icecap/icecap.h>
#include <ring/ring.h>
#include <vmm/pl011.h> /* the PL011's registers */
#include <system.h>
#include "mux.h"

#define NTFN SYSTEM_SLOT_NOTIFICATION
#define UART_BADGE (1ull << 63)
#define CONSOLE_PREFIX "console-"
#define OUT_BUFFER 4096u   /* per client: lines waiting for the UART */
#define IN_BUFFER 16384u   /* per client: typed bytes waiting for its ring (a paste) */
#define UART_BUFFER 4096u
#define CHUNK 256u         /* bytes moved at a time */

struct client {
    const char *name;
    struct ring out, in;     /* ring 0: the client writes; ring 1: we write */
    ic_cptr_t signal;        /* our capability to signal the client */
    bool broken;
};

static struct mux mux;
static struct client *clients;
static unsigned num_clients;
static volatile uint32_t *uart;
static ic_cptr_t uart_irq;

static uint32_t uart_reg(unsigned offset)
{
    return uart[offset / 4];
}

static void uart_set(unsigned offset, uint32_t v)
{
    uart[offset / 4] = v;
}

static bool starts_with(const char *s, const char *prefix)
{
    while (*prefix)
        if (*s++ != *prefix++)
            return false;
    return true;
}

static void setup_clients(void)
{
    const struct system_component *me = ic_self();
    for (unsigned m = 0; m < me->num_mappings; m++)
        num_clients += starts_with(me->mappings[m].region, CONSOLE_PREFIX);
    unsigned slots = num_clients ? num_clients : 1;
    clients = ic_alloc_pages(slots * sizeof(struct client));
    struct mux_client *mux_slots = ic_alloc_pages(slots * sizeof(struct mux_client));
    if (!mux_init(&mux, mux_slots, slots, ic_alloc_pages(UART_BUFFER), UART_BUFFER))
        ic_die("setting up the multiplexer", IC_INVALID_ARGUMENT);
    unsigned k = 0;
    for (unsigned m = 0; m < me->num_mappings; m++) {
        const struct system_mapping *map = &me->mappings[m];
        if (!starts_with(map->region, CONSOLE_PREFIX))
            continue;
        struct client *c = &clients[k];
        c->name = map->region + sizeof(CONSOLE_PREFIX) - 1;
        /* the other end: a component, over a channel; or, for the log
         * console, the loader, which never waits for us */
        unsigned peer;
        c->signal = ic_sharer(map->region_index, &peer) ? ic_channel_to(peer) : 0;
        if (!map->writable || ring_pair_attach(&c->in, &c->out, (void *)(uintptr_t)map->vaddr, map->size, 1))
            ic_die("attaching a console's rings (a writable region of at least 256 bytes)", IC_INVALID_ARGUMENT);
        /* a console without a reader (the log) gets no typed input */
        uint32_t in_size = c->signal ? IN_BUFFER : 0;
        if (!mux_add_client(&mux, k, c->name, ic_alloc_pages(OUT_BUFFER), OUT_BUFFER,
                            in_size ? ic_alloc_pages(in_size) : NULL, in_size))
            ic_die("adding a console client", IC_INVALID_ARGUMENT);
        k++;
    }
}

static void setup_uart(void)
{
    const struct system_device *dev = NULL;
    for (unsigned d = 0; d < ic_self()->num_devices; d++)
        if (!strcmp(ic_self()->devices[d].name, "uart"))
            dev = &ic_self()->devices[d];
    if (!dev || !dev->irq_first)
        ic_die("finding the UART (a device uart with an irq in the system description)", IC_INVALID_ARGUMENT);
    uart = ic_map_device(dev->base, 1);
    uart_irq = ic_irq_handler(dev->irq_first);
    ic_cptr_t badged = ic_slot();
    ic_check(ic_cnode_mint(IC_SLOT_ROOT_CNODE, badged, 64, NTFN, 64, IC_RIGHTS_ALL, UART_BADGE, IC_SLOT_ROOT_CNODE),
             "badging the UART's notification");
    ic_check(ic_irq_handler_set_notification(uart_irq, badged), "routing the UART's interrupt");
    /* the kernel has set the line up (8N1, FIFOs on); interrupts when input
     * arrives or stops arriving, and for TX only while bytes wait */
    uart_set(PL011_IMSC, 0);
    uart_set(PL011_ICR, PL011_INT_ALL);
    uart_set(PL011_LCR_H, uart_reg(PL011_LCR_H) | PL011_LCR_H_FEN);
    uart_set(PL011_CR, uart_reg(PL011_CR) | PL011_CR_UARTEN | PL011_CR_TXE | PL011_CR_RXE);
    uart_set(PL011_IMSC, PL011_INT_RX | PL011_INT_RT);
}

static uint64_t now_ms(void)
{
    static uint64_t per_ms;
    if (!per_ms)
        per_ms = ic_counter_frequency() / 1000 ? ic_counter_frequency() / 1000 : 1;
    return ic_counter() / per_ms;
}

static void drop_client(unsigned k, const char *why)
{
    struct client *c = &clients[k];
    if (c->broken)
        return;
    c->broken = true;
    char line[96];
    int n = ic_snprintf(line, sizeof line, "[serial server: client %u (%s) %s: no longer served]\n", k, c->name, why);
    /* in the client's own output, so that it appears in order */
    mux_client_output(&mux, k, (const uint8_t *)line, n > 0 ? (size_t)n : 0);
}

/* The UART's receive FIFO into the mux. Always all of it: bytes held back
 * in the UART would also hold back the escape that switches away from a
 * console that does not read its input. What a console does not take in
 * time waits in its input buffer (IN_BUFFER, plus its ring), which holds a
 * paste of several KiB; beyond that typed bytes are dropped and counted. */
static void uart_input(void)
{
    /* cleared before draining, never after: a byte that arrives between
     * the last read and a late clear would leave its cause cleared with the
     * FIFO no longer empty, and a UART that raises RXIS only when the level
     * reaches the trigger would never interrupt again */
    uart_set(PL011_ICR, PL011_INT_RX | PL011_INT_RT);
    uint8_t buf[CHUNK];
    unsigned n = 0;
    while (!(uart_reg(PL011_FR) & PL011_FR_RXFE)) {
        buf[n++] = (uint8_t)uart_reg(PL011_DR);
        if (n == sizeof buf) {
            mux_input(&mux, buf, n);
            n = 0;
        }
    }
    mux_input(&mux, buf, n);
}

/* Output of client k into the mux, as far as the mux has room for it: what
 * does not fit stays in the ring, so a busy console slows its writer down
 * instead of losing its lines. True if anything moved. */
static bool client_output(unsigned k)
{
    struct client *c = &clients[k];
    bool moved = false;
    for (unsigned rounds = 0; rounds < 16 && !c->broken; rounds++) {
        uint32_t room = mux_output_room(&mux, k);
        if (room <= 4)
            break;
        uint8_t buf[CHUNK];
        int n = ring_read(&c->out, buf, room - 4 < sizeof buf ? room - 4 : sizeof buf);
        if (n < 0)
            drop_client(k, "broke its output ring");
        if (n <= 0)
            break;
        mux_client_output(&mux, k, buf, (size_t)n);
        moved = true;
    }
    /* only after freeing room: the flag alone is no reason to signal */
    if (moved && !c->broken && ring_need_wake_writer(&c->out) && c->signal)
        ic_signal(c->signal);
    return moved;
}

/* Typed input of client k from the mux into its ring. */
static bool client_input(unsigned k)
{
    struct client *c = &clients[k];
    bool moved = false;
    const uint8_t *p;
    size_t n;
    while (!c->broken && (n = mux_input_peek(&mux, k, &p)) != 0) {
        int w = ring_write(&c->in, p, n);
        if (w < 0)
            drop_client(k, "broke its input ring");
        if (w <= 0)
            break;
        mux_input_consume(&mux, k, (size_t)w);
        moved = true;
    }
    if (moved && !c->broken && ring_need_wake_reader(&c->in) && c->signal)
        ic_signal(c->signal);
    return moved;
}

/* The mux's bytes into the UART's transmit FIFO; the TX interrupt only
 * while some wait for room. */
static void uart_output(void)
{
    const uint8_t *p;
    size_t n;
    while ((n = mux_uart_peek(&mux, &p)) != 0) {
        size_t i = 0;
        while (i < n && !(uart_reg(PL011_FR) & PL011_FR_TXFF))
            uart_set(PL011_DR, p[i++]);
        mux_uart_consume(&mux, i);
        if (i < n)
            break;
    }
    uint32_t imsc = PL011_INT_RX | PL011_INT_RT | (mux_uart_peek(&mux, &p) ? PL011_INT_TX : 0);
    if (uart_reg(PL011_IMSC) != imsc)
        uart_set(PL011_IMSC, imsc);
}

/* Whether every ring may sleep: the waiting flags set where we wait for
 * the peer (its output, and room for its input when some waits). */
static bool may_sleep(void)
{
    for (unsigned k = 0; k < num_clients; k++) {
        struct client *c = &clients[k];
        if (c->broken)
            continue;
        if (mux_output_room(&mux, k) > 4 && !ring_prepare_wait_read(&c->out))
            return false;
        const uint8_t *p;
        if (mux_input_peek(&mux, k, &p) && !ring_prepare_wait_write(&c->in))
            return false;
    }
    return true;
}

int main(ic_bootinfo_t *bi)
{
    ic_env_init(bi, "serial-server");
    setup_uart();
    setup_clients();
    ic_printf("serial-server: %u console%s; type @? at the start of a line for help\n", num_clients,
              num_clients == 1 ? "" : "s");
    for (;;) {
        bool busy;
        do {
            busy = false;
            uart_input();
            mux_tick(&mux, now_ms());
            for (unsigned k = 0; k < num_clients; k++)
                busy |= client_output(k);
            mux_flush_partial(&mux);
            uart_output();
            for (unsigned k = 0; k < num_clients; k++)
                busy |= client_input(k);
        } while (busy || !may_sleep());
        /* the UART's causes are cleared or masked: its line may come again */
        ic_check(ic_irq_handler_ack(uart_irq), "unmasking the UART's interrupt");
        ic_word_t badge;
        ic_wait(NTFN, &badge);
    }
}
