/* Virtio devices for a guest: the virtio-mmio transport (version 2, as
 * virtio 1.x defines it) and split virtqueues in guest memory, for the
 * device models built on them (vmm/console.h's virtio console today).
 *
 * The driver is the guest, which the VMM does not trust with its own
 * memory safety: every guest address and length is checked against the
 * guest memory window before it is touched, descriptors are copied before
 * they are checked, a chain is walked at most the queue's size long, and
 * a queue the driver breaks (an index that runs ahead of the ring, a
 * descriptor outside guest memory, a loop, a writable descriptor before a
 * readable one, an indirect table the device never offered) stops: the
 * device sets DEVICE_NEEDS_RESET and raises its configuration interrupt,
 * and touches that queue no more until the driver resets the device.
 *
 * Register accesses other than 32 bits wide below the configuration space
 * read as zero and are ignored, as are writes the transport forbids (a
 * queue's size or addresses while it is ready, features after
 * FEATURES_OK). The transport's state changes only through these calls:
 * the device models do the rest.
 *
 * Freestanding: no libc, no system calls; barriers are the compiler's
 * atomics, which order the VMM's accesses against another CPU's (the
 * guest's vCPUs may run while the VMM reads and writes the rings). */
#ifndef VMM_VIRTIO_H
#define VMM_VIRTIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Registers (virtio 1.x, "MMIO Device Register Layout"). */
enum {
    VIRTIO_MMIO_MAGIC = 0x000,
    VIRTIO_MMIO_VERSION = 0x004,
    VIRTIO_MMIO_DEVICE_ID = 0x008,
    VIRTIO_MMIO_VENDOR_ID = 0x00c,
    VIRTIO_MMIO_DEVICE_FEATURES = 0x010,
    VIRTIO_MMIO_DEVICE_FEATURES_SEL = 0x014,
    VIRTIO_MMIO_DRIVER_FEATURES = 0x020,
    VIRTIO_MMIO_DRIVER_FEATURES_SEL = 0x024,
    VIRTIO_MMIO_QUEUE_SEL = 0x030,
    VIRTIO_MMIO_QUEUE_NUM_MAX = 0x034,
    VIRTIO_MMIO_QUEUE_NUM = 0x038,
    VIRTIO_MMIO_QUEUE_READY = 0x044,
    VIRTIO_MMIO_QUEUE_NOTIFY = 0x050,
    VIRTIO_MMIO_INTERRUPT_STATUS = 0x060,
    VIRTIO_MMIO_INTERRUPT_ACK = 0x064,
    VIRTIO_MMIO_STATUS = 0x070,
    VIRTIO_MMIO_QUEUE_DESC_LOW = 0x080,
    VIRTIO_MMIO_QUEUE_DESC_HIGH = 0x084,
    VIRTIO_MMIO_QUEUE_DRIVER_LOW = 0x090,
    VIRTIO_MMIO_QUEUE_DRIVER_HIGH = 0x094,
    VIRTIO_MMIO_QUEUE_DEVICE_LOW = 0x0a0,
    VIRTIO_MMIO_QUEUE_DEVICE_HIGH = 0x0a4,
    VIRTIO_MMIO_CONFIG_GENERATION = 0x0fc,
    VIRTIO_MMIO_CONFIG = 0x100,
};

#define VIRTIO_MMIO_MAGIC_VALUE 0x74726976u /* "virt" */
#define VIRTIO_MMIO_SIZE 0x200u             /* registers and up to 256 bytes of configuration */
#define VIRTIO_VENDOR_ICECAP 0x49434150u    /* "ICAP" */

/* Device status bits. */
#define VIRTIO_STATUS_ACKNOWLEDGE 1u
#define VIRTIO_STATUS_DRIVER 2u
#define VIRTIO_STATUS_DRIVER_OK 4u
#define VIRTIO_STATUS_FEATURES_OK 8u
#define VIRTIO_STATUS_NEEDS_RESET 64u
#define VIRTIO_STATUS_FAILED 128u

/* Interrupt status bits. */
#define VIRTIO_INT_USED 1u
#define VIRTIO_INT_CONFIG 2u

#define VIRTIO_F_VERSION_1 (1ull << 32) /* every device offers it; a driver that refuses it is refused */
/* A model may offer only its device type's own feature bits (0 to 23):
 * the queues here have no indirect descriptors, event indexes or packed
 * layout to offer. */
#define VIRTIO_DEVICE_FEATURES ((1ull << 24) - 1)

/* Split virtqueue descriptor flags. */
#define VIRTQ_DESC_F_NEXT 1u
#define VIRTQ_DESC_F_WRITE 2u
#define VIRTQ_DESC_F_INDIRECT 4u
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1u

#define VIRTQ_MAX_SIZE 256u  /* the largest queue a device here offers */
#define VIRTQ_MAX_SEGS 16u   /* descriptors a chain may have: more breaks the queue */
#define VIRTIO_MAX_QUEUES 4u

/* The guest's memory as the VMM sees it: guest-physical [gpa, gpa + size)
 * at 'host' in the VMM. */
struct virtio_mem {
    uint8_t *host;
    uint64_t gpa, size;
};

/* Where guest-physical [gpa, gpa + len) is in the VMM, or NULL if any of
 * it is outside guest memory (or the range wraps). */
void *virtio_mem_at(const struct virtio_mem *m, uint64_t gpa, uint64_t len);

struct virtq {
    uint16_t num;                 /* the driver's size: a power of two up to num_max */
    uint16_t num_max;
    bool ready;
    bool broken;                  /* the driver broke it: untouched until a reset */
    uint64_t desc, driver, device; /* the descriptor table, available and used rings */
    uint16_t last_avail;          /* the next available entry the device takes */
    uint16_t used_idx;            /* the device's copy of used->idx */
};

/* A chain of descriptors taken from the available ring: its readable
 * segments first, then its writable ones, each checked to lie in guest
 * memory. */
struct virtq_seg {
    uint8_t *p;
    uint32_t len;
};
struct virtq_chain {
    uint16_t head;
    unsigned num_read, num_write; /* seg[0 .. num_read) readable, then num_write writable */
    struct virtq_seg seg[VIRTQ_MAX_SEGS];
    uint64_t read_len, write_len; /* their total lengths */
};

/* Takes the next available chain: 1 (in *c), 0 if none is available, -1
 * if the driver broke the queue (it is then marked broken). */
int virtq_pop(struct virtq *q, const struct virtio_mem *m, struct virtq_chain *c);

/* Puts chain 'head' in the used ring with 'written' bytes written to its
 * writable segments. True if the driver wants an interrupt for it. False
 * (nothing done) on a queue that is not ready or is broken. */
bool virtq_push(struct virtq *q, const struct virtio_mem *m, uint16_t head, uint32_t written);

/* Copies up to 'len' bytes from the chain's readable segments, starting
 * 'from' bytes in, to buf; returns how many. */
size_t virtq_chain_read(const struct virtq_chain *c, uint64_t from, void *buf, size_t len);
/* Copies up to 'len' bytes into the chain's writable segments from their
 * start; returns how many. */
size_t virtq_chain_write(const struct virtq_chain *c, const void *buf, size_t len);

struct virtio_mmio;

/* What a device model does; each may be NULL. */
struct virtio_device_ops {
    /* the driver wrote QueueNotify with a queue index below num_queues */
    void (*notify)(struct virtio_mmio *d, unsigned queue);
    /* the driver reset the device (Status 0): the transport's state is
     * back as at init; the model forgets what it took from the queues */
    void (*reset)(struct virtio_mmio *d);
    /* the configuration space (offset from VIRTIO_MMIO_CONFIG, any width;
     * reads of what the model leaves out are zero) */
    uint32_t (*config_read)(struct virtio_mmio *d, uint32_t offset, unsigned size);
};

struct virtio_mmio {
    uint32_t device_id;
    uint64_t device_features, driver_features;
    uint32_t device_features_sel, driver_features_sel, queue_sel;
    uint32_t status, interrupt_status, config_generation;
    /* changes whenever a queue stops or starts (QueueReady, a reset): a
     * model that holds a chain across calls drops it when this moved */
    uint32_t queue_epoch;
    unsigned num_queues;
    struct virtq queue[VIRTIO_MAX_QUEUES];
    struct virtio_mem mem;
    const struct virtio_device_ops *ops;
    void *ctx;                    /* the model's */
};

/* A device of type 'device_id' offering 'features' (within
 * VIRTIO_DEVICE_FEATURES; VIRTIO_F_VERSION_1 is added), with 'num_queues'
 * queues of at most 'queue_max' entries (a power of two up to
 * VIRTQ_MAX_SIZE), over guest memory 'mem', which must sit at the same
 * address modulo 16 in the VMM as in the guest (the rings' indexes are
 * accessed atomically, at the alignment the guest's addresses have).
 * False for arguments out of range. */
bool virtio_mmio_init(struct virtio_mmio *d, uint32_t device_id, uint64_t features, unsigned num_queues,
                      unsigned queue_max, const struct virtio_mem *mem, const struct virtio_device_ops *ops,
                      void *ctx);

/* A guest access to the transport's window (VIRTIO_MMIO_SIZE bytes). */
uint32_t virtio_mmio_read(struct virtio_mmio *d, uint64_t offset, unsigned size);
void virtio_mmio_write(struct virtio_mmio *d, uint64_t offset, unsigned size, uint32_t value);

/* Whether the driver has set DRIVER_OK (and not since failed or been told
 * to reset), and queue q is ready and not broken: the model may use it. */
bool virtio_mmio_queue_live(const struct virtio_mmio *d, unsigned q);

/* The model's use of queue q: virtq_pop and virtq_push on a live queue
 * (else 0 and nothing), a queue the driver broke marked so with
 * virtio_mmio_needs_reset, an interrupt raised when the driver wants one.
 * A push gives back a head the model popped from that queue since
 * queue_epoch last moved, with at most the chain's write_len written. */
int virtio_mmio_pop(struct virtio_mmio *d, unsigned q, struct virtq_chain *c);
void virtio_mmio_push(struct virtio_mmio *d, unsigned q, uint16_t head, uint32_t written);

/* The model used buffers of a queue (virtq_push said the driver wants an
 * interrupt), or broke off a queue the driver broke. */
void virtio_mmio_used(struct virtio_mmio *d);
void virtio_mmio_needs_reset(struct virtio_mmio *d);

/* The device's interrupt line: high while the interrupt status is not 0. */
bool virtio_mmio_irq_level(const struct virtio_mmio *d);

#endif
