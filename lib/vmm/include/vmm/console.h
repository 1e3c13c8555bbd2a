/* A guest's console: an emulated PL011 (vmm/pl011.h) whose line is a ring
 * pair shared with the serial server (ring/ring.h, docs/serial-server.md).
 * The VMM is side 0 of the pair: it writes what the guest sends into ring
 * 0 and gives the guest what it reads from ring 1.
 *
 * The peer (the serial server) is not trusted by the guest's VMM more than
 * the reverse: a ring it breaks stops the console (the guest's output is
 * then taken and thrown away, so that the guest never waits for a line
 * that is gone), and nothing it writes can reach outside the rings.
 *
 * A console may also have a virtio console device (virtio 1.x, device 3,
 * one port, vmm/virtio.h) on the same line: the guest then writes a whole
 * buffer with one exit instead of two exits a character. Both devices'
 * output goes into ring 0 as it comes; typed input goes to the virtio
 * console once its driver is up (its receive queue live), to the PL011
 * until then. Linux prints its own messages on the PL011 (console=ttyAMA0)
 * and runs the shell on the virtio console (hvc0).
 *
 * VMM use:
 *   vmm_console_init(&c, region, size)
 *   [vmm_console_add_virtio(&c, guest memory)]
 *   guest access in the PL011's window -> vmm_console_read / vmm_console_write
 *   guest access in the virtio window  -> vmm_console_virtio_read / _write
 *   the peer signalled                 -> vmm_console_service
 *   each returns VMM_CONSOLE_* flags: SIGNAL the peer, set the guest's
 *   interrupt lines to vmm_console_irq_level (LEVEL) and
 *   vmm_console_virtio_irq_level (VIRTIO_LEVEL).
 *
 * Freestanding: no libc, no system calls. */
#ifndef VMM_CONSOLE_H
#define VMM_CONSOLE_H

#include <ring/ring.h>
#include <vmm/pl011.h>
#include <vmm/virtio.h>

enum {
    VMM_CONSOLE_SIGNAL = 1u, /* the peer waits for us: signal it */
    VMM_CONSOLE_LEVEL = 2u,  /* the interrupt line changed: set it to vmm_console_irq_level */
    VMM_CONSOLE_VIRTIO_LEVEL = 4u, /* the virtio device's line changed: vmm_console_virtio_irq_level */
};

#define VMM_CONSOLE_VIRTIO_ID 3u    /* virtio's console device */
#define VMM_CONSOLE_VIRTIO_QUEUE 64u /* entries in each of its queues */

struct vmm_console {
    struct pl011 uart;
    struct ring out, in;
    char pending[256];              /* input taken from ring 1 that the guest did not take yet */
    unsigned pending_off, pending_len;
    bool broken;                    /* the peer broke a ring */
    bool level;                     /* the interrupt line, as last reported */
    bool unannounced;               /* output in ring 0 the peer was not told of yet */
    uint64_t thrown_away;           /* guest output lost because the ring is broken */
    bool has_virtio;
    struct virtio_mmio virtio;      /* queue 0: input to the guest; 1: its output */
    struct virtq_chain tx;          /* an output buffer partly copied into ring 0 */
    uint64_t tx_done;               /* how much of it */
    uint32_t tx_epoch;              /* the queues' epoch it was taken in */
    bool tx_held, tx_completed;
    bool virtio_level;              /* the virtio device's line, as last reported */
};

/* A console on the ring pair in 'region' (docs/ring.md), its UART set up
 * as firmware leaves it for Linux's earlycon: enabled, 8 bits, FIFOs on.
 * RING_BAD_ARG for an unusable region. */
int vmm_console_init(struct vmm_console *c, void *region, size_t size);

/* The UART as at power on, its interrupt line low (the VMM's virtual GIC
 * is reset with it); the rings and input not yet read are kept. */
void vmm_console_reset(struct vmm_console *c);

/* A guest access to the UART's window, then whatever it lets move. */
unsigned vmm_console_read(struct vmm_console *c, uint64_t offset, unsigned size, uint32_t *value);
unsigned vmm_console_write(struct vmm_console *c, uint64_t offset, unsigned size, uint32_t value);

/* Moves what can move: the guest's output into ring 0 while it has room,
 * input from ring 1 into the RX FIFO while it has room; sets our waiting
 * flags where we wait for the peer. The peer is woken for output at the
 * end of a line, when ring 0 is half full, after a guest write to any
 * register but DR, and here (the VMM calls this when the peer signalled);
 * a character alone does not wake it. */
unsigned vmm_console_service(struct vmm_console *c);

bool vmm_console_irq_level(const struct vmm_console *c);

/* Adds the virtio console device, over guest memory 'mem'. False if it
 * cannot be set up. */
bool vmm_console_add_virtio(struct vmm_console *c, const struct virtio_mem *mem);

/* A guest access to the virtio device's window (VIRTIO_MMIO_SIZE bytes),
 * then whatever it lets move. */
unsigned vmm_console_virtio_read(struct vmm_console *c, uint64_t offset, unsigned size, uint32_t *value);
unsigned vmm_console_virtio_write(struct vmm_console *c, uint64_t offset, unsigned size, uint32_t value);

bool vmm_console_virtio_irq_level(const struct vmm_console *c);

#endif
