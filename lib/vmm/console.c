/* A guest's console on a ring pair: see vmm/console.h. */
#include <vmm/console.h>

int vmm_console_init(struct vmm_console *c, void *region, size_t size)
{
    *c = (struct vmm_console){ 0 };
    vmm_console_reset(c);
    return ring_pair_attach(&c->out, &c->in, region, size, 0);
}

void vmm_console_reset(struct vmm_console *c)
{
    pl011_init(&c->uart);
    pl011_write(&c->uart, PL011_LCR_H, 4, PL011_LCR_H_WLEN8 | PL011_LCR_H_FEN);
    pl011_write(&c->uart, PL011_CR, 4, PL011_CR_UARTEN | PL011_CR_TXE | PL011_CR_RXE);
    c->level = false;
}

static void break_console(struct vmm_console *c)
{
    c->broken = true;
    c->pending_off = c->pending_len = 0;
}

/* The guest's output into ring 0; true if the peer must be woken. Waking
 * it is worth an exit and a switch to the serial server: the guest's
 * output is only announced at the end of a line, when the ring is half
 * full, or when 'flush' (anything but a character written: Linux rewrites
 * CR or IMSC at the end of every burst, and a prompt is followed by one);
 * until then the peer's waiting flag stays set. */
static bool move_output(struct vmm_console *c, bool flush)
{
    char buf[PL011_FIFO_DEPTH];
    bool wrote = false;
    for (;;) {
        if (c->broken) {
            size_t n;
            while ((n = pl011_tx_take(&c->uart, buf, sizeof buf)) != 0)
                c->thrown_away += n;
            return false;
        }
        int space = ring_space(&c->out);
        if (space < 0) {
            break_console(c);
            continue;
        }
        size_t n = pl011_tx_take(&c->uart, buf, (size_t)space < sizeof buf ? (size_t)space : sizeof buf);
        if (n) {
            ring_write(&c->out, buf, n); /* fits: space was checked */
            wrote = true;
            for (size_t i = 0; i < n; i++)
                flush |= buf[i] == '\n';
            continue;
        }
        /* nothing taken: the FIFO is empty (or the guest holds it back),
         * or the ring is full and we wait for room */
        if (space == 0 && !ring_prepare_wait_write(&c->out))
            continue;
        /* only after publishing: a waiting flag alone is no reason to
         * signal (both sides would wake each other for ever) */
        c->unannounced |= wrote;
        if (!c->unannounced || !(flush || space <= (int)c->out.size / 2))
            return false;
        c->unannounced = false;
        return ring_need_wake_reader(&c->out);
    }
}

/* Input from ring 1 into the RX FIFO; true if the peer must be woken. */
static bool move_input(struct vmm_console *c)
{
    bool freed = false;
    for (;;) {
        if (c->broken)
            return false;
        if (c->pending_off < c->pending_len) {
            size_t n = pl011_rx_push(&c->uart, c->pending + c->pending_off, c->pending_len - c->pending_off);
            c->pending_off += (unsigned)n;
            if (c->pending_off < c->pending_len) /* the FIFO is full: the guest's reads bring us back */
                return freed && ring_need_wake_writer(&c->in);
        }
        int n = ring_read(&c->in, c->pending, sizeof c->pending);
        if (n < 0) {
            break_console(c);
            return false;
        }
        c->pending_off = 0;
        c->pending_len = (unsigned)n;
        if (n) {
            freed = true;
            continue;
        }
        if (ring_prepare_wait_read(&c->in)) {
            /* the line is quiet: what the FIFO holds raises the timeout */
            pl011_rx_idle(&c->uart);
            return freed && ring_need_wake_writer(&c->in);
        }
    }
}

static unsigned service(struct vmm_console *c, bool flush)
{
    unsigned flags = 0;
    if (move_output(c, flush))
        flags |= VMM_CONSOLE_SIGNAL;
    if (move_input(c))
        flags |= VMM_CONSOLE_SIGNAL;
    bool level = pl011_irq_level(&c->uart);
    if (level != c->level) {
        c->level = level;
        flags |= VMM_CONSOLE_LEVEL;
    }
    return flags;
}

unsigned vmm_console_service(struct vmm_console *c)
{
    return service(c, true);
}

unsigned vmm_console_read(struct vmm_console *c, uint64_t offset, unsigned size, uint32_t *value)
{
    *value = pl011_read(&c->uart, offset, size);
    return service(c, false);
}

unsigned vmm_console_write(struct vmm_console *c, uint64_t offset, unsigned size, uint32_t value)
{
    pl011_write(&c->uart, offset, size, value);
    return service(c, offset != PL011_DR);
}

bool vmm_console_irq_level(const struct vmm_console *c)
{
    return c->level;
}
