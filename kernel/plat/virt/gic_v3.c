/* GICv3 with system-register CPU interface, driven from EL2 (E2H=0).
 *
 * QEMU virt without EL3 has a GIC with a single Security state
 * (GICD_CTLR.DS=1, affinity routing always on). Every interrupt is
 * Group 1, so it is signalled as IRQ and acknowledged through ICC_IAR1_EL1. */
#include "plat.h"
#include "util.h"
#include "mmio.h"

#define GICD_CTLR (BOARD_GICD_BASE + 0x0000)
#define GICD_TYPER (BOARD_GICD_BASE + 0x0004)
#define GICD_IGROUPR(n) (BOARD_GICD_BASE + 0x0080 + 4 * (n))
#define GICD_ISENABLER(n) (BOARD_GICD_BASE + 0x0100 + 4 * (n))
#define GICD_ICENABLER(n) (BOARD_GICD_BASE + 0x0180 + 4 * (n))
#define GICD_IPRIORITYR(n) (BOARD_GICD_BASE + 0x0400 + 4 * (n))
#define GICD_ICFGR(n) (BOARD_GICD_BASE + 0x0c00 + 4 * (n))
#define GICD_IROUTER(irq) (BOARD_GICD_BASE + 0x6000 + 8 * (uint64_t)(irq))

#define GICD_CTLR_ENABLE_GRP1 BIT(1) /* EnableGrp1 (DS=1); EnableGrp1A (DS=0, Non-secure) */
#define GICD_CTLR_ARE BIT(4)
#define GICD_CTLR_RWP BIT(31)

/* Redistributor: RD_base frame, then SGI_base frame 64 KiB above it. */
#define GICR_CTLR 0x0000
#define GICR_TYPER 0x0008
#define GICR_WAKER 0x0014
#define GICR_SGI 0x10000
#define GICR_IGROUPR0 (GICR_SGI + 0x0080)
#define GICR_ISENABLER0 (GICR_SGI + 0x0100)
#define GICR_ICENABLER0 (GICR_SGI + 0x0180)
#define GICR_IPRIORITYR(n) (GICR_SGI + 0x0400 + 4 * (n))

#define GICR_CTLR_RWP BIT(3)
#define GICR_WAKER_PROCESSOR_SLEEP BIT(1)
#define GICR_WAKER_CHILDREN_ASLEEP BIT(2)

#define ICC_SRE_SRE BIT(0)
#define ICC_SRE_ENABLE BIT(3)
#define ICC_CTLR_EOIMODE BIT(1)

#define GICV3_PRIO 0xa0a0a0a0u
#define GICV3_MAX_LINES 1020u

#define gicv3_sysreg_read(r)                                                                       \
    ({                                                                                             \
        uint64_t v_;                                                                               \
        __asm__ volatile("mrs %0, " #r : "=r"(v_));                                                \
        v_;                                                                                        \
    })
#define gicv3_sysreg_write(r, v) __asm__ volatile("msr " #r ", %x0" : : "rZ"((uint64_t)(v)))

static inline void gicv3_isb(void) { __asm__ volatile("isb" ::: "memory"); }

static unsigned gicv3_this_cpu(void)
{
    return (unsigned)(gicv3_sysreg_read(mpidr_el1) & 0xff);
}

/* The redistributor of a CPU, by the fixed layout of the board. */
static uint64_t gicv3_rd(unsigned cpu)
{
    return BOARD_GICR_BASE + (uint64_t)cpu * BOARD_GICR_STRIDE;
}

/* Enable-register writes take effect asynchronously; only after RWP clears
 * is a disabled interrupt guaranteed not to be signalled any more. */
static void gicv3_dist_wait(void)
{
    while (mmio_read32(GICD_CTLR) & GICD_CTLR_RWP)
        ;
}

static void gicv3_rd_wait(uint64_t rd)
{
    while (mmio_read32(rd + GICR_CTLR) & GICR_CTLR_RWP)
        ;
}

void plat_irq_init_boot(void)
{
    unsigned lines = plat_irq_lines();
    uint64_t mpidr = gicv3_sysreg_read(mpidr_el1);
    /* IROUTER holds Aff3 in bits 39:32 like MPIDR; IRM=0 (one target). */
    uint64_t boot_aff = mpidr & 0xff00ffffffull;

    /* Groups off while reconfiguring; ARE stays set (changing it while
     * enabled is unpredictable, and QEMU has it fixed at 1 anyway). */
    mmio_write32(GICD_CTLR, GICD_CTLR_ARE);
    gicv3_dist_wait();

    /* With ARE=1 the first 32 INTIDs live in the redistributors. */
    for (unsigned i = 32; i < lines; i += 32) {
        mmio_write32(GICD_ICENABLER(i / 32), ~0u);
        mmio_write32(GICD_IGROUPR(i / 32), ~0u);
    }
    gicv3_dist_wait();
    for (unsigned i = 32; i < lines; i += 16)
        mmio_write32(GICD_ICFGR(i / 16), 0); /* level-sensitive */
    for (unsigned i = 32; i < lines; i += 4)
        mmio_write32(GICD_IPRIORITYR(i / 4), GICV3_PRIO);
    for (unsigned i = 32; i < lines; i++)
        mmio_write64(GICD_IROUTER(i), boot_aff);

    mmio_write32(GICD_CTLR, GICD_CTLR_ARE | GICD_CTLR_ENABLE_GRP1);
    gicv3_dist_wait();
}

/* Read once, at boot: every injection checks its index against it. The
 * CPUs are alike (the boot CPU's count is everyone's). */
static unsigned vgic_num_lrs;

void plat_irq_init_cpu(unsigned cpu)
{
    if (!vgic_num_lrs) {
        unsigned n = (unsigned)(gicv3_sysreg_read(ich_vtr_el2) & 0x1f) + 1;
        vgic_num_lrs = n < PLAT_VGIC_MAX_LRS ? n : PLAT_VGIC_MAX_LRS;
    }
    uint64_t mpidr = gicv3_sysreg_read(mpidr_el1);
    uint64_t aff = ((mpidr >> 8) & 0xff000000ull) | (mpidr & 0xffffffull);
    uint64_t rd = gicv3_rd(cpu);

    /* Everything else indexes CPUs by Aff0, and the stride layout must
     * match the hardware's own idea of which frame is ours. */
    kassert(cpu < BOARD_MAX_CPUS && cpu == gicv3_this_cpu());
    kassert((mmio_read64(rd + GICR_TYPER) >> 32) == aff);

    mmio_write32(rd + GICR_WAKER,
                 mmio_read32(rd + GICR_WAKER) & ~(uint32_t)GICR_WAKER_PROCESSOR_SLEEP);
    while (mmio_read32(rd + GICR_WAKER) & GICR_WAKER_CHILDREN_ASLEEP)
        ;

    mmio_write32(rd + GICR_ICENABLER0, 0xffff0000u); /* PPIs on demand */
    gicv3_rd_wait(rd);
    mmio_write32(rd + GICR_IGROUPR0, ~0u);
    for (unsigned i = 0; i < 32; i += 4)
        mmio_write32(rd + GICR_IPRIORITYR(i / 4), GICV3_PRIO);
    mmio_write32(rd + GICR_ISENABLER0, 0x0000ffffu);

    /* Enable also lets EL1 use its own ICC_SRE_EL1, for guests later. */
    gicv3_sysreg_write(icc_sre_el2,
                       gicv3_sysreg_read(icc_sre_el2) | ICC_SRE_SRE | ICC_SRE_ENABLE);
    gicv3_isb(); /* SRE must be visible before any other ICC_ access */
    gicv3_sysreg_write(icc_pmr_el1, 0xff);
    gicv3_sysreg_write(icc_bpr1_el1, 0);
    gicv3_sysreg_write(icc_ctlr_el1,
                       gicv3_sysreg_read(icc_ctlr_el1) & ~ICC_CTLR_EOIMODE);
    gicv3_sysreg_write(icc_igrpen1_el1, 1);
    gicv3_isb();
}

unsigned plat_irq_ack(void)
{
    unsigned irq = (unsigned)(gicv3_sysreg_read(icc_iar1_el1) & 0xffffff);
    /* Make the acknowledge (pending -> active) visible to the redistributor
     * before anything that follows. */
    __asm__ volatile("dsb sy" ::: "memory");
    /* 1020-1023 are special (spurious) and must not be EOIed. */
    return irq >= 1020 ? PLAT_IRQ_NONE : irq;
}

void plat_irq_eoi(unsigned irq)
{
    gicv3_sysreg_write(icc_eoir1_el1, irq);
    gicv3_isb();
}

void plat_irq_enable(unsigned irq)
{
    if (irq < 32)
        mmio_write32(gicv3_rd(gicv3_this_cpu()) + GICR_ISENABLER0, (uint32_t)BIT(irq));
    else if (irq < plat_irq_lines())
        mmio_write32(GICD_ISENABLER(irq / 32), (uint32_t)BIT(irq % 32));
}

void plat_irq_disable(unsigned irq)
{
    if (irq < 32) {
        uint64_t rd = gicv3_rd(gicv3_this_cpu());
        mmio_write32(rd + GICR_ICENABLER0, (uint32_t)BIT(irq));
        gicv3_rd_wait(rd);
    } else if (irq < plat_irq_lines()) {
        mmio_write32(GICD_ICENABLER(irq / 32), (uint32_t)BIT(irq % 32));
        gicv3_dist_wait();
    }
}

void plat_irq_send_sgi(unsigned cpu, unsigned sgi)
{
    if (cpu >= BOARD_MAX_CPUS || sgi >= 16)
        return;
    /* A system-register write is not ordered after earlier stores by
     * itself; the target must see our data once it takes the SGI. */
    __asm__ volatile("dsb ishst" ::: "memory");
    /* Target Aff3.Aff2.Aff1 = 0.0.0, TargetList bit = Aff0. */
    gicv3_sysreg_write(icc_sgi1r_el1,
                       ((uint64_t)sgi << 24) | BIT(cpu));
    gicv3_isb();
}

/* Priority 0 for an urgent SGI of this CPU (the rest have GICV3_PRIO). */
void plat_irq_make_urgent(unsigned sgi)
{
    uint64_t reg = gicv3_rd(gicv3_this_cpu()) + GICR_IPRIORITYR(sgi / 4);
    mmio_write32(reg, mmio_read32(reg) & ~(0xffu << (8 * (sgi % 4))));
}

/* A priority mask between the urgent SGIs and everything else. */
void plat_irq_urgent_only(bool on)
{
    gicv3_sysreg_write(icc_pmr_el1, on ? 0x80 : 0xff);
    gicv3_isb();
}

unsigned plat_irq_lines(void)
{
    unsigned n = 32 * ((mmio_read32(GICD_TYPER) & 0x1f) + 1);
    return n > GICV3_MAX_LINES ? GICV3_MAX_LINES : n;
}

/* ---------------------------------------------------------------- the virtual CPU interface
 * ICH_*_EL2. List registers: state in bits 63:62 (01 pending), group 60,
 * priority 55:48, EOI maintenance request 41 (for a software interrupt),
 * virtual INTID 31:0. */
#define ICH_HCR_EN BIT(0)
#define ICH_LR_PENDING (1ull << 62)
#define ICH_LR_STATE (3ull << 62)
#define ICH_LR_EOI (1ull << 41)

unsigned plat_vgic_num_lrs(void)
{
    return vgic_num_lrs;
}


uint64_t plat_vgic_lr_pending(unsigned virq, unsigned priority, unsigned group)
{
    return ICH_LR_PENDING | ((uint64_t)(group & 1) << 60) | ((uint64_t)(priority & 0xff) << 48) | ICH_LR_EOI | virq;
}

bool plat_vgic_lr_in_use(uint64_t lr)
{
    return (lr & ICH_LR_STATE) != 0;
}

/* The list registers are separate system registers: one case each. */
#define GICV3_LRS(X)                                                                               \
    X(0, ich_lr0_el2) X(1, ich_lr1_el2) X(2, ich_lr2_el2) X(3, ich_lr3_el2) X(4, ich_lr4_el2)      \
    X(5, ich_lr5_el2) X(6, ich_lr6_el2) X(7, ich_lr7_el2) X(8, ich_lr8_el2) X(9, ich_lr9_el2)      \
    X(10, ich_lr10_el2) X(11, ich_lr11_el2) X(12, ich_lr12_el2) X(13, ich_lr13_el2)                \
    X(14, ich_lr14_el2) X(15, ich_lr15_el2)

static uint64_t gicv3_lr_read(unsigned i)
{
    switch (i) {
#define READ_LR(n, r) case n: return gicv3_sysreg_read(r);
        GICV3_LRS(READ_LR)
#undef READ_LR
    default: return 0;
    }
}

static void gicv3_lr_write(unsigned i, uint64_t v)
{
    switch (i) {
#define WRITE_LR(n, r) case n: gicv3_sysreg_write(r, v); break;
        GICV3_LRS(WRITE_LR)
#undef WRITE_LR
    default: break;
    }
}

/* Active priority registers a guest has: one of each group for 5 bits of
 * preemption, two for 6, four for 7 (ICH_VTR_EL2.PREbits, less one, in
 * bits 28:26); the others do not exist. */
static unsigned gicv3_num_aprs(void)
{
    unsigned pre = (unsigned)((gicv3_sysreg_read(ich_vtr_el2) >> 26) & 7) + 1;
    return pre >= 7 ? 4 : pre == 6 ? 2 : 1;
}

void plat_vgic_save(struct vgic_state *s)
{
    unsigned n = plat_vgic_num_lrs(), aprs = gicv3_num_aprs();
    s->vmcr = gicv3_sysreg_read(ich_vmcr_el2);
    s->apr0[0] = gicv3_sysreg_read(ich_ap0r0_el2);
    s->apr1[0] = gicv3_sysreg_read(ich_ap1r0_el2);
    if (aprs > 1) {
        s->apr0[1] = gicv3_sysreg_read(ich_ap0r1_el2);
        s->apr1[1] = gicv3_sysreg_read(ich_ap1r1_el2);
    }
    if (aprs > 2) {
        s->apr0[2] = gicv3_sysreg_read(ich_ap0r2_el2);
        s->apr1[2] = gicv3_sysreg_read(ich_ap1r2_el2);
        s->apr0[3] = gicv3_sysreg_read(ich_ap0r3_el2);
        s->apr1[3] = gicv3_sysreg_read(ich_ap1r3_el2);
    }
    for (unsigned i = 0; i < n; i++)
        s->lr[i] = gicv3_lr_read(i);
}

void plat_vgic_restore(const struct vgic_state *s)
{
    unsigned n = plat_vgic_num_lrs(), aprs = gicv3_num_aprs();
    gicv3_sysreg_write(ich_vmcr_el2, s->vmcr);
    gicv3_sysreg_write(ich_ap0r0_el2, s->apr0[0]);
    gicv3_sysreg_write(ich_ap1r0_el2, s->apr1[0]);
    if (aprs > 1) {
        gicv3_sysreg_write(ich_ap0r1_el2, s->apr0[1]);
        gicv3_sysreg_write(ich_ap1r1_el2, s->apr1[1]);
    }
    if (aprs > 2) {
        gicv3_sysreg_write(ich_ap0r2_el2, s->apr0[2]);
        gicv3_sysreg_write(ich_ap1r2_el2, s->apr1[2]);
        gicv3_sysreg_write(ich_ap0r3_el2, s->apr0[3]);
        gicv3_sysreg_write(ich_ap1r3_el2, s->apr1[3]);
    }
    for (unsigned i = 0; i < n; i++)
        gicv3_lr_write(i, s->lr[i]);
}

void plat_vgic_enable(uint64_t hcr)
{
    gicv3_sysreg_write(ich_hcr_el2, hcr | ICH_HCR_EN);
    gicv3_isb();
}

void plat_vgic_disable(void)
{
    gicv3_sysreg_write(ich_hcr_el2, 0);
    gicv3_isb();
}


void plat_vgic_park(struct vgic_state *s)
{
    (void)s;
    plat_vgic_disable();
}

void plat_vgic_unpark(const struct vgic_state *s)
{
    plat_vgic_enable(s->hcr);
}

uint32_t plat_vgic_eoi_lrs(void)
{
    return (uint32_t)gicv3_sysreg_read(ich_eisr_el2);
}

void plat_vgic_clear_lr(unsigned i)
{
    plat_vgic_write_lr(i, 0);
}

uint64_t plat_vgic_read_lr(unsigned i)
{
    return gicv3_lr_read(i);
}

void plat_vgic_write_lr(unsigned i, uint64_t lr)
{
    gicv3_lr_write(i, lr);
    gicv3_isb();
}
