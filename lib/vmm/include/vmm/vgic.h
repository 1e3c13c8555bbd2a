/* A virtual GIC distributor (GICv2, or GICv3 with its redistributors) for
 * one VM: the guest's MMIO accesses to GICD and GICR are emulated here, and
 * the model says which interrupt each vCPU should get next. The CPU
 * interface itself is the hardware's (GICV / ICH_* list registers): the VMM
 * moves interrupts from this model into list registers (vcpu_inject_irq)
 * and back out when the guest ends them (the maintenance exit).
 *
 * Per-VM state, no allocation: the caller owns a struct vgic (about 8 KiB).
 *
 * Typical VMM use:
 *   vgic_init(&vg, 3, nr_vcpus, 256);
 *   data abort in the GICD/GICR window ->
 *       vgic_mmio_read / vgic_mmio_write (offset inside the window)
 *   ICC_SGI1R_EL1 trap (GICv3)          -> vgic_sgi1r_write
 *   device model / forwarded IRQ        -> vgic_set_level or vgic_set_pending
 *   virtual timer exit                  -> vgic_set_level(vg, 27, vcpu, true);
 *                                          at its EOI: set_level(false) and
 *                                          vcpu_ack_vtimer (it fires again if
 *                                          still due)
 *   then for each vCPU in vgic_take_kicks(), for each list register lr
 *   with vgic_lr_is_free:
 *       vgic_next_to_inject -> vcpu_inject_irq(irq, prio, vgic_irq_group(..), lr)
 *                           -> vgic_lr_taken(vcpu, lr, irq)
 *   maintenance exit, bit lr set -> vgic_lr_ended(vcpu, lr, &irq) (the
 *                                   INTID it held, for what the VMM does at
 *                                   the end of that interrupt)
 *
 * Every value from the guest (offset, size, register bits, INTID, target
 * list) is range-checked; nothing a guest does can make these functions
 * touch memory outside the struct. vCPU indices come from the VMM and are
 * checked too (VGIC_ERR_ARG).
 *
 * Freestanding: no libc, no IceCap system calls. */
#ifndef VMM_VGIC_H
#define VMM_VGIC_H

#include <stdbool.h>
#include <stdint.h>

#define VGIC_MAX_VCPUS 8
#define VGIC_NR_PRIVATE 32            /* SGIs 0..15 and PPIs 16..31, per vCPU */
#define VGIC_MAX_IRQS 288             /* INTIDs 0..287: 256 SPIs */
#define VGIC_MAX_LRS 16               /* list registers per vCPU, the architecture's limit */
#define VGIC_LR_FREE 0xffffu          /* what a free list register holds (INTID 0 is SGI 0) */
#define VGIC_NR_SGIS 16

#define VGIC_GICD_SIZE_V2 0x1000u     /* GICD window, GICv2 */
#define VGIC_GICD_SIZE_V3 0x10000u    /* GICD window, GICv3 */
#define VGIC_GICR_STRIDE 0x20000u     /* per vCPU: RD_base frame, then SGI_base frame */
#define VGIC_GICR_SGI_BASE 0x10000u

#define VGIC_PRIO_MASK 0xf8u          /* 5 priority bits: what every GIC's list registers hold */

enum vgic_region { VGIC_GICD, VGIC_GICR };

enum vgic_status {
    VGIC_OK = 0,
    VGIC_UNKNOWN = 1,        /* an access to an unknown or reserved register: read as zero,
                                write ignored, logged; still "emulated" for the guest */
    VGIC_BAD_ACCESS = 2,     /* wrong size or misaligned for this register: the same */
    VGIC_ERR_ARG = -1,       /* the VMM's mistake: NULL, vCPU out of range, bad INTID */
    VGIC_ERR_STATE = -2,     /* injected/eoi for an interrupt not in that state */
};

/* One interrupt's state. Private interrupts exist once per vCPU. */
struct vgic_irq {
    uint8_t priority;        /* IPRIORITYR, top 5 bits kept */
    uint8_t targets;         /* GICv2 ITARGETSR (SPIs): a vCPU mask */
    uint8_t sgi_sources;     /* GICv2 SGIs: the vCPUs that sent it, one pending bit each */
    uint8_t lr_vcpu;         /* while in_lr: the vCPU whose list register holds it */
    bool enabled, group1, edge;
    bool latch;              /* pending state not tied to a line: an edge, or ISPENDR */
    bool line;               /* the input line is asserted (level-sensitive view) */
    bool active;             /* set by the guest through ISACTIVER (rarely used) */
    bool in_lr;              /* handed to a list register, not yet ended */
};

typedef void vgic_log_fn(void *ctx, const char *what, unsigned vcpu, uint64_t offset, unsigned size, bool write,
                         uint64_t value);

struct vgic {
    unsigned version;        /* 2 or 3 */
    unsigned nr_vcpus;       /* 1..VGIC_MAX_VCPUS */
    unsigned nr_irqs;        /* multiple of 32, 64..VGIC_MAX_IRQS */
    uint32_t ctlr;           /* GICD_CTLR bits 0 (EnableGrp0) and 1 (EnableGrp1) */
    struct vgic_irq priv[VGIC_MAX_VCPUS][VGIC_NR_PRIVATE];
    struct vgic_irq spi[VGIC_MAX_IRQS - VGIC_NR_PRIVATE];
    uint64_t irouter[VGIC_MAX_IRQS - VGIC_NR_PRIVATE]; /* GICv3 GICD_IROUTER<n> */
    bool sleeping[VGIC_MAX_VCPUS];                      /* GICR_WAKER.ProcessorSleep */
    /* Affinity of each vCPU (Aff3 [39:32], Aff2..Aff0 [23:0]) as in its
     * VMPIDR_EL2: used for GICR_TYPER, IROUTER and ICC_SGI1R_EL1. vgic_init
     * sets Aff0 = index; change it after vgic_init if the VMM differs. */
    uint64_t mpidr[VGIC_MAX_VCPUS];
    uint32_t kicks;          /* vCPUs that may have a new interrupt to take */
    uint16_t lr[VGIC_MAX_VCPUS][VGIC_MAX_LRS]; /* the INTID each list register holds, or VGIC_LR_FREE */
    vgic_log_fn *log;        /* optional: told about unknown/bad accesses */
    void *log_ctx;
};

/* version 2 or 3, 1..8 vCPUs, nr_irqs a multiple of 32 in 64..288.
 * Everything disabled, group 0, priority 0, SGIs edge, PPIs and SPIs level,
 * GICv2 SPI targets none, GICv3 SPIs routed to affinity 0.0.0.0. */
int vgic_init(struct vgic *vg, unsigned version, unsigned nr_vcpus, unsigned nr_irqs);

/* A guest access of size 1, 2, 4 or 8 at 'offset' inside the GICD or GICR
 * window, by vCPU 'vcpu' (whose banked registers GICD shows). Reads always
 * set *value (0 when unknown). Returns an enum vgic_status: VGIC_OK,
 * VGIC_UNKNOWN and VGIC_BAD_ACCESS all mean "emulated, resume the guest". */
int vgic_mmio_read(struct vgic *vg, enum vgic_region r, unsigned vcpu, uint64_t offset, unsigned size,
                   uint64_t *value);
int vgic_mmio_write(struct vgic *vg, enum vgic_region r, unsigned vcpu, uint64_t offset, unsigned size,
                    uint64_t value);

/* GICv3: the guest wrote ICC_SGI1R_EL1 (a trapped system register). */
int vgic_sgi1r_write(struct vgic *vg, unsigned vcpu, uint64_t value);

/* An edge on interrupt 'irq' (latched until taken). 'vcpu' picks the bank of
 * a private interrupt (and is the source of a GICv2 SGI); ignored for SPIs. */
int vgic_set_pending(struct vgic *vg, unsigned irq, unsigned vcpu);
/* The input line of 'irq' goes high or low. A level-sensitive interrupt is
 * pending while its line is high; an edge-triggered one latches on a rising
 * edge. */
int vgic_set_level(struct vgic *vg, unsigned irq, unsigned vcpu, bool level);

/* The highest-priority (lowest value, then lowest INTID) interrupt that is
 * pending, enabled, in an enabled group, not active, not already in a list
 * register and targeted at 'vcpu'. Returns 1 and sets *irq, *priority; 0 if
 * there is none; VGIC_ERR_ARG. */
int vgic_next_to_inject(const struct vgic *vg, unsigned vcpu, unsigned *irq, uint8_t *priority);
/* Its group (0 or 1), for the list register; 0 for an invalid INTID. */
unsigned vgic_irq_group(const struct vgic *vg, unsigned vcpu, unsigned irq);

/* The VMM put 'irq' in a list register of 'vcpu': pending -> in LR. The
 * latched pending state moves into the list register; a level-sensitive
 * line stays asserted in the model. */
int vgic_injected(struct vgic *vg, unsigned vcpu, unsigned irq);
/* The guest ended it (its list register is free): in LR -> inactive. If the
 * interrupt is pending again (a new edge, or a line still high) it is
 * offered again by vgic_next_to_inject. */
int vgic_eoi(struct vgic *vg, unsigned vcpu, unsigned irq);

/* List registers, as the VMM fills them: whether list register lr of vCPU
 * vcpu is free; that the VMM put irq there (vgic_injected, and the list
 * register is taken); that the guest ended what it held (vgic_eoi, the
 * list register is free, *irq = the INTID it held). VGIC_ERR_ARG for an
 * index out of range, VGIC_ERR_STATE for a list register that is not free
 * (taken) or free (ended). */
bool vgic_lr_is_free(const struct vgic *vg, unsigned vcpu, unsigned lr);
int vgic_lr_taken(struct vgic *vg, unsigned vcpu, unsigned lr, unsigned irq);
int vgic_lr_ended(struct vgic *vg, unsigned vcpu, unsigned lr, unsigned *irq);

/* The vCPUs (bit i for vCPU i) that may have an interrupt to take since the
 * last call; clears the set. */
uint32_t vgic_take_kicks(struct vgic *vg);

#endif
