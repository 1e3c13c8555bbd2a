/* A guest's console on a ring pair: see vmm/console.h. */
#include <vmm/console.h>

int vmm_console_init(struct vmm_console *c, void *region, size_t size)
{
    *c = (struct vmm_console){ 0 };
    vmm_console_reset(c);
    return ring_pair_attach(&c->out, &c->in, region, size, 0);
}

#define RX_QUEUE 0u
#define TX_QUEUE 1u

/* No hooks: every access moves what can move, and a chain held across a
 * reset is dropped by its queue_epoch (take_output). */
static const struct virtio_device_ops virtio_ops = { 0 };

static bool virtio_setup(struct vmm_console *c, const struct virtio_mem *mem)
{
    c->tx_held = false;
    c->virtio_level = false;
    return virtio_mmio_init(&c->virtio, VMM_CONSOLE_VIRTIO_ID, 0, 2, VMM_CONSOLE_VIRTIO_QUEUE, mem, &virtio_ops, c);
}

bool vmm_console_add_virtio(struct vmm_console *c, const struct virtio_mem *mem)
{
    c->has_virtio = virtio_setup(c, mem);
    return c->has_virtio;
}

void vmm_console_reset(struct vmm_console *c)
{
    pl011_init(&c->uart);
    pl011_write(&c->uart, PL011_LCR_H, 4, PL011_LCR_H_WLEN8 | PL011_LCR_H_FEN);
    pl011_write(&c->uart, PL011_CR, 4, PL011_CR_UARTEN | PL011_CR_TXE | PL011_CR_RXE);
    c->level = false;
    if (c->has_virtio) {
        struct virtio_mem mem = c->virtio.mem;
        virtio_setup(c, &mem);
    }
}

static void break_console(struct vmm_console *c)
{
    c->broken = true;
    c->pending_off = c->pending_len = 0;
}

/* Up to 'max' bytes of the guest's output: what the PL011's FIFO holds,
 * else from the virtio device's transmit queue, whose buffers are given
 * back as soon as they are taken whole (tx_completed: the end of a burst,
 * which wakes the peer). With max 0, only empty buffers are given back. */
static size_t take_output(struct vmm_console *c, char *buf, size_t max)
{
    size_t n = pl011_tx_take(&c->uart, buf, max);
    if (n || !c->has_virtio)
        return n;
    /* bounded: a driver on another vCPU may keep adding empty buffers */
    for (unsigned round = 0; round < VMM_CONSOLE_VIRTIO_QUEUE; round++) {
        /* a chain of a queue the driver has stopped since is not ours */
        if (c->tx_held && c->tx_epoch != c->virtio.queue_epoch)
            c->tx_held = false;
        if (!c->tx_held) {
            if (virtio_mmio_pop(&c->virtio, TX_QUEUE, &c->tx) <= 0)
                return 0;
            c->tx_held = true;
            c->tx_epoch = c->virtio.queue_epoch;
            c->tx_done = 0;
        }
        n = virtq_chain_read(&c->tx, c->tx_done, buf, max);
        c->tx_done += n;
        if (c->tx_done >= c->tx.read_len) {
            virtio_mmio_push(&c->virtio, TX_QUEUE, c->tx.head, 0);
            c->tx_held = false;
            c->tx_completed = true;
        }
        if (n || c->tx_held)
            return n;
    }
    return 0;
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
            while ((n = take_output(c, buf, sizeof buf)) != 0)
                c->thrown_away += n;
            return false;
        }
        int space = ring_space(&c->out);
        if (space < 0) {
            break_console(c);
            continue;
        }
        size_t n = take_output(c, buf, (size_t)space < sizeof buf ? (size_t)space : sizeof buf);
        flush |= c->tx_completed;
        c->tx_completed = false;
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

/* Input taken from ring 1 to the guest: into a buffer of the virtio
 * device's receive queue once its driver is up, else into the RX FIFO.
 * How many bytes it took. */
static size_t give_input(struct vmm_console *c, const char *p, size_t len)
{
    if (!c->has_virtio || !virtio_mmio_queue_live(&c->virtio, RX_QUEUE))
        return pl011_rx_push(&c->uart, p, len);
    /* a buffer with nothing writable goes back empty and the next is
     * tried, at most a queue's worth */
    for (unsigned round = 0; round < VMM_CONSOLE_VIRTIO_QUEUE; round++) {
        struct virtq_chain rx;
        if (virtio_mmio_pop(&c->virtio, RX_QUEUE, &rx) <= 0)
            return 0;
        size_t n = virtq_chain_write(&rx, p, len);
        virtio_mmio_push(&c->virtio, RX_QUEUE, rx.head, (uint32_t)n);
        if (n)
            return n;
    }
    return 0;
}

/* Input from ring 1 to the guest; true if the peer must be woken. */
static bool move_input(struct vmm_console *c)
{
    bool freed = false;
    for (;;) {
        if (c->broken)
            return false;
        while (c->pending_off < c->pending_len) {
            size_t n = give_input(c, c->pending + c->pending_off, c->pending_len - c->pending_off);
            c->pending_off += (unsigned)n;
            /* no room (a full FIFO, no receive buffer): the guest's reads
             * or its new buffers bring us back */
            if (n == 0)
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
    bool virtio_level = c->has_virtio && virtio_mmio_irq_level(&c->virtio);
    if (virtio_level != c->virtio_level) {
        c->virtio_level = virtio_level;
        flags |= VMM_CONSOLE_VIRTIO_LEVEL;
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

unsigned vmm_console_virtio_read(struct vmm_console *c, uint64_t offset, unsigned size, uint32_t *value)
{
    *value = c->has_virtio ? virtio_mmio_read(&c->virtio, offset, size) : 0;
    return service(c, false);
}

unsigned vmm_console_virtio_write(struct vmm_console *c, uint64_t offset, unsigned size, uint32_t value)
{
    if (c->has_virtio)
        virtio_mmio_write(&c->virtio, offset, size, value);
    return service(c, false);
}

bool vmm_console_virtio_irq_level(const struct vmm_console *c)
{
    return c->virtio_level;
}
