/* GICv2 with memory-mapped CPU interface (QEMU virt gic-version=2).
 *
 * All interrupts stay Group 0 (the reset value); with GICC_CTLR.FIQEn=0
 * Group 0 is signalled as IRQ. */
#include "plat.h"
#include "util.h"
#include "mmio.h"

#define GICD_CTLR (BOARD_GICD_BASE + 0x000)
#define GICD_TYPER (BOARD_GICD_BASE + 0x004)
#define GICD_IGROUPR(n) (BOARD_GICD_BASE + 0x080 + 4 * (n))
#define GICD_ISENABLER(n) (BOARD_GICD_BASE + 0x100 + 4 * (n))
#define GICD_ICENABLER(n) (BOARD_GICD_BASE + 0x180 + 4 * (n))
#define GICD_IPRIORITYR(n) (BOARD_GICD_BASE + 0x400 + 4 * (n))
#define GICD_ITARGETSR(n) (BOARD_GICD_BASE + 0x800 + 4 * (n))
#define GICD_ICFGR(n) (BOARD_GICD_BASE + 0xc00 + 4 * (n))
#define GICD_SGIR (BOARD_GICD_BASE + 0xf00)

#define GICC_CTLR (BOARD_GICC_BASE + 0x00)
#define GICC_PMR (BOARD_GICC_BASE + 0x04)
#define GICC_BPR (BOARD_GICC_BASE + 0x08)
#define GICC_IAR (BOARD_GICC_BASE + 0x0c)
#define GICC_EOIR (BOARD_GICC_BASE + 0x10)

#define GICV2_PRIO 0xa0a0a0a0u
#define GICV2_MAX_LINES 1020u

/* A CPU's interface number (as a one-bit target mask) need not equal its
 * MPIDR; each CPU learns its own in plat_irq_init_cpu. */
static uint8_t gicv2_target[BOARD_MAX_CPUS];
/* The full IAR of the last acknowledge: for an SGI it carries the source
 * CPU, which the EOI write must repeat. */
static uint32_t gicv2_last_iar[BOARD_MAX_CPUS];

static unsigned gicv2_this_cpu(void)
{
    uint64_t mpidr;
    __asm__ volatile("mrs %0, mpidr_el1" : "=r"(mpidr));
    return (unsigned)(mpidr & 0xff);
}

/* ITARGETSR0-7 are banked and read-only: each byte reads as the calling
 * CPU's own interface mask (some implementations leave a few bytes 0). */
static uint8_t gicv2_own_target(void)
{
    uint32_t mask = 0;
    for (unsigned i = 0; i < 8 && mask == 0; i++) {
        mask = mmio_read32(GICD_ITARGETSR(i));
        mask |= mask >> 16;
        mask |= mask >> 8;
        mask &= 0xff;
    }
    return (uint8_t)mask;
}

void plat_irq_init_boot(void)
{
    unsigned lines = plat_irq_lines();
    uint32_t boot = gicv2_own_target() * 0x01010101u;

    mmio_write32(GICD_CTLR, 0);
    for (unsigned i = 32; i < lines; i += 32) {
        mmio_write32(GICD_ICENABLER(i / 32), ~0u);
        mmio_write32(GICD_IGROUPR(i / 32), 0);
    }
    for (unsigned i = 32; i < lines; i += 16)
        mmio_write32(GICD_ICFGR(i / 16), 0); /* level-sensitive */
    for (unsigned i = 32; i < lines; i += 4) {
        mmio_write32(GICD_IPRIORITYR(i / 4), GICV2_PRIO);
        mmio_write32(GICD_ITARGETSR(i / 4), boot);
    }
    mmio_write32(GICD_CTLR, 1);
}

/* Read once, at boot: every injection checks its index against it. The
 * CPUs are alike (the boot CPU's count is everyone's). */
static unsigned vgic_num_lrs;
static unsigned gicv2_count_lrs(void);

void plat_irq_init_cpu(unsigned cpu)
{
    if (!vgic_num_lrs)
        vgic_num_lrs = gicv2_count_lrs();
    /* Everything else indexes CPUs by Aff0. */
    kassert(cpu < BOARD_MAX_CPUS && cpu == gicv2_this_cpu());
    gicv2_target[cpu] = gicv2_own_target();
    kassert(gicv2_target[cpu] != 0);

    /* The registers for INTIDs 0-31 are banked per CPU. */
    mmio_write32(GICD_ICENABLER(0), 0xffff0000u); /* PPIs on demand */
    mmio_write32(GICD_IGROUPR(0), 0);
    for (unsigned i = 0; i < 32; i += 4)
        mmio_write32(GICD_IPRIORITYR(i / 4), GICV2_PRIO);
    mmio_write32(GICD_ISENABLER(0), 0x0000ffffu);

    mmio_write32(GICC_PMR, 0xff);
    mmio_write32(GICC_BPR, 0);
    mmio_write32(GICC_CTLR, 1); /* EnableGrp0; EOImodeNS=0: EOI also deactivates */
}

unsigned plat_irq_ack(void)
{
    uint32_t iar = mmio_read32(GICC_IAR);
    unsigned irq = iar & 0x3ff;

    /* 1020-1023 are special (spurious) and must not be EOIed. */
    if (irq >= 1020)
        return PLAT_IRQ_NONE;
    gicv2_last_iar[gicv2_this_cpu()] = iar;
    return irq;
}

void plat_irq_eoi(unsigned irq)
{
    uint32_t iar = gicv2_last_iar[gicv2_this_cpu()];
    mmio_write32(GICC_EOIR, (iar & 0x3ff) == irq ? iar : irq);
}

void plat_irq_enable(unsigned irq)
{
    if (irq < plat_irq_lines())
        mmio_write32(GICD_ISENABLER(irq / 32), (uint32_t)BIT(irq % 32));
}

void plat_irq_disable(unsigned irq)
{
    if (irq < plat_irq_lines())
        mmio_write32(GICD_ICENABLER(irq / 32), (uint32_t)BIT(irq % 32));
}

void plat_irq_send_sgi(unsigned cpu, unsigned sgi)
{
    if (cpu >= BOARD_MAX_CPUS || sgi >= 16)
        return;
    /* Normal-memory stores must be visible before the target sees the SGI. */
    __asm__ volatile("dmb ishst" ::: "memory");
    mmio_write32(GICD_SGIR, ((uint32_t)gicv2_target[cpu] << 16) | sgi);
}

/* Priority 0 for an urgent SGI of this CPU (the registers of INTIDs 0-31
 * are banked; the rest have GICV2_PRIO). */
void plat_irq_make_urgent(unsigned sgi)
{
    uint64_t reg = GICD_IPRIORITYR(sgi / 4);
    mmio_write32(reg, mmio_read32(reg) & ~(0xffu << (8 * (sgi % 4))));
}

/* A priority mask between the urgent SGIs and everything else. */
void plat_irq_urgent_only(bool on)
{
    mmio_write32(GICC_PMR, on ? 0x80 : 0xff);
}

unsigned plat_irq_lines(void)
{
    unsigned n = 32 * ((mmio_read32(GICD_TYPER) & 0x1f) + 1);
    return n > GICV2_MAX_LINES ? GICV2_MAX_LINES : n;
}

/* ---------------------------------------------------------------- the virtual CPU interface
 * GICH, memory-mapped and banked per CPU. List registers: state in bits
 * 29:28 (01 pending), group 30, priority 27:23 (the top 5 bits), EOI
 * maintenance request 19 (for a software interrupt), virtual ID 9:0. */
#define GICH_HCR (BOARD_GICH_BASE + 0x000)
#define GICH_VTR (BOARD_GICH_BASE + 0x004)
#define GICH_VMCR (BOARD_GICH_BASE + 0x008)
#define GICH_EISR0 (BOARD_GICH_BASE + 0x020)
#define GICH_APR (BOARD_GICH_BASE + 0x0f0)
#define GICH_LR(n) (BOARD_GICH_BASE + 0x100 + 4 * (n))
#define GICH_HCR_EN BIT(0)
#define GICH_LR_PENDING (1u << 28)
#define GICH_LR_STATE (3u << 28)
#define GICH_LR_EOI (1u << 19)

static unsigned gicv2_count_lrs(void)
{
    unsigned n = (mmio_read32(GICH_VTR) & 0x3f) + 1;
    return n < PLAT_VGIC_MAX_LRS ? n : PLAT_VGIC_MAX_LRS;
}

unsigned plat_vgic_num_lrs(void)
{
    return vgic_num_lrs;
}


uint64_t plat_vgic_lr_pending(unsigned virq, unsigned priority, unsigned group)
{
    return GICH_LR_PENDING | ((group & 1u) << 30) | (((priority & 0xffu) >> 3) << 23) | GICH_LR_EOI | (virq & 0x3ffu);
}

bool plat_vgic_lr_in_use(uint64_t lr)
{
    return (lr & GICH_LR_STATE) != 0;
}

void plat_vgic_save(struct vgic_state *s)
{
    unsigned n = plat_vgic_num_lrs();
    s->vmcr = mmio_read32(GICH_VMCR);
    s->apr0[0] = mmio_read32(GICH_APR);
    for (unsigned i = 0; i < n; i++)
        s->lr[i] = mmio_read32(GICH_LR(i));
}

void plat_vgic_restore(const struct vgic_state *s)
{
    unsigned n = plat_vgic_num_lrs();
    mmio_write32(GICH_VMCR, (uint32_t)s->vmcr);
    mmio_write32(GICH_APR, (uint32_t)s->apr0[0]);
    for (unsigned i = 0; i < n; i++)
        mmio_write32(GICH_LR(i), (uint32_t)s->lr[i]);
}

void plat_vgic_enable(uint64_t hcr)
{
    mmio_write32(GICH_HCR, (uint32_t)hcr | GICH_HCR_EN);
}

void plat_vgic_disable(void)
{
    mmio_write32(GICH_HCR, 0);
}

/* Off first, so that nothing is signalled from a half-cleared interface;
 * then nothing of the guest is left for GICV to show or change. */

void plat_vgic_park(struct vgic_state *s)
{
    plat_vgic_disable();
    plat_vgic_save(s);
    unsigned n = plat_vgic_num_lrs();
    mmio_write32(GICH_VMCR, 0);
    mmio_write32(GICH_APR, 0);
    for (unsigned i = 0; i < n; i++)
        mmio_write32(GICH_LR(i), 0);
}

void plat_vgic_unpark(const struct vgic_state *s)
{
    plat_vgic_restore(s);
    plat_vgic_enable(s->hcr);
}

uint32_t plat_vgic_eoi_lrs(void)
{
    return mmio_read32(GICH_EISR0);
}

void plat_vgic_clear_lr(unsigned i)
{
    plat_vgic_write_lr(i, 0);
}

uint64_t plat_vgic_read_lr(unsigned i)
{
    return mmio_read32(GICH_LR(i));
}

void plat_vgic_write_lr(unsigned i, uint64_t lr)
{
    mmio_write32(GICH_LR(i), (uint32_t)lr);
}
