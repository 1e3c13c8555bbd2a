/* The virtual GIC distributor and redistributors (lib/vmm/vgic.c). */
#include "harness.h"
#include <vmm/vgic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static struct vgic vg;

/* Register accesses that must be emulated normally (VGIC_OK). */
static uint64_t rd(enum vgic_region r, unsigned vcpu, uint64_t off, unsigned size)
{
    uint64_t v = 0xbad;
    CHECK_EQ(vgic_mmio_read(&vg, r, vcpu, off, size, &v), VGIC_OK);
    return v;
}

static void wr(enum vgic_region r, unsigned vcpu, uint64_t off, unsigned size, uint64_t v)
{
    CHECK_EQ(vgic_mmio_write(&vg, r, vcpu, off, size, v), VGIC_OK);
}

#define D(off) rd(VGIC_GICD, 0, off, 4)
#define DW(off, v) wr(VGIC_GICD, 0, off, 4, v)

/* The next interrupt for a vCPU, or -1. */
static int next(unsigned vcpu)
{
    unsigned irq = 0;
    uint8_t prio = 0;
    int r = vgic_next_to_inject(&vg, vcpu, &irq, &prio);
    CHECK(r == 0 || r == 1);
    return r ? (int)irq : -1;
}

/* Take the next interrupt into a list register, as the VMM would. */
static int take(unsigned vcpu)
{
    int irq = next(vcpu);
    if (irq >= 0)
        CHECK_EQ(vgic_injected(&vg, vcpu, (unsigned)irq), VGIC_OK);
    return irq;
}

static unsigned log_count;
static uint64_t log_offset;
static void log_fn(void *ctx, const char *what, unsigned vcpu, uint64_t offset, unsigned size, bool write,
                   uint64_t value)
{
    (void)ctx, (void)what, (void)vcpu, (void)size, (void)write, (void)value;
    log_count++;
    log_offset = offset;
}

/* GICv2 with n vCPUs and 128 INTIDs, distributor enabled for both groups. */
static void v2(unsigned n)
{
    CHECK_EQ(vgic_init(&vg, 2, n, 128), VGIC_OK);
    DW(0x000, 3);
    vgic_take_kicks(&vg);
}

/* GICv3, n vCPUs, 256 INTIDs, group 1 enabled (as Linux sets it up). */
static void v3(unsigned n)
{
    CHECK_EQ(vgic_init(&vg, 3, n, 256), VGIC_OK);
    DW(0x000, 2);
    vgic_take_kicks(&vg);
}

#define GICR(vcpu, off) ((uint64_t)(vcpu) * VGIC_GICR_STRIDE + (off))
#define SGI(vcpu, off) (GICR(vcpu, VGIC_GICR_SGI_BASE + (off)))

TEST(vgic_init_checks_its_arguments)
{
    CHECK_EQ(vgic_init(&vg, 1, 1, 64), VGIC_ERR_ARG);
    CHECK_EQ(vgic_init(&vg, 4, 1, 64), VGIC_ERR_ARG);
    CHECK_EQ(vgic_init(&vg, 3, 0, 64), VGIC_ERR_ARG);
    CHECK_EQ(vgic_init(&vg, 3, 9, 64), VGIC_ERR_ARG);
    CHECK_EQ(vgic_init(&vg, 3, 1, 32), VGIC_ERR_ARG);
    CHECK_EQ(vgic_init(&vg, 3, 1, 100), VGIC_ERR_ARG);
    CHECK_EQ(vgic_init(&vg, 3, 1, 320), VGIC_ERR_ARG);
    CHECK_EQ(vgic_init(NULL, 3, 1, 64), VGIC_ERR_ARG);
    CHECK_EQ(vgic_init(&vg, 3, 8, 288), VGIC_OK);
    CHECK_EQ(vgic_init(&vg, 2, 1, 64), VGIC_OK);
}

TEST(vgic_v2_identification)
{
    CHECK_EQ(vgic_init(&vg, 2, 4, 128), VGIC_OK);
    CHECK_EQ(D(0x004), (128 / 32 - 1) | (4 - 1) << 5); /* ITLinesNumber, CPUNumber */
    CHECK_EQ(D(0x008) & 0xfff, 0x43b);
    CHECK_EQ((D(0xfe8) >> 4) & 0xf, 2); /* ArchRev */
    CHECK_EQ(D(0x000), 0);
    DW(0x000, 0xffffffff);
    CHECK_EQ(D(0x000), 3);
    /* ITARGETSR of private interrupts reads as "this CPU", for each vCPU */
    CHECK_EQ(rd(VGIC_GICD, 0, 0x800, 4), 0x01010101);
    CHECK_EQ(rd(VGIC_GICD, 2, 0x81c, 4), 0x04040404);
    CHECK_EQ(rd(VGIC_GICD, 3, 0x800, 1), 0x08);
}

TEST(vgic_v3_identification)
{
    CHECK_EQ(vgic_init(&vg, 3, 2, 256), VGIC_OK);
    CHECK_EQ(D(0x000), (1 << 4) | (1 << 6)); /* ARE and DS: read-as-one */
    DW(0x000, 0x13);
    CHECK_EQ(D(0x000), 0x53);
    uint32_t typer = (uint32_t)D(0x004);
    CHECK_EQ(typer & 0x1f, 256 / 32 - 1);
    CHECK_EQ((typer >> 19) & 0x1f, 9); /* 10 bits of INTID */
    CHECK_EQ(D(0x00c), 0);              /* TYPER2 */
    CHECK_EQ((D(0xffe8) >> 4) & 0xf, 3);
    CHECK_EQ((rd(VGIC_GICR, 0, GICR(1, 0xffe8), 4) >> 4) & 0xf, 3);
    CHECK_EQ(rd(VGIC_GICR, 0, GICR(0, 0x004), 4) & 0xfff, 0x43b);
}

TEST(vgic_v3_redistributor_typer_and_waker)
{
    CHECK_EQ(vgic_init(&vg, 3, 3, 128), VGIC_OK);
    vg.mpidr[2] = 0x0000000100000203ull; /* Aff3 1, Aff1 2, Aff0 3 */
    uint64_t t0 = rd(VGIC_GICR, 0, GICR(0, 0x8), 8);
    uint64_t t1 = rd(VGIC_GICR, 1, GICR(1, 0x8), 8);
    uint64_t t2 = rd(VGIC_GICR, 0, GICR(2, 0x8), 8);
    CHECK_EQ(t0 >> 32, 0);
    CHECK_EQ(t1 >> 32, 1);
    CHECK_EQ(t2 >> 32, 0x01000203);
    CHECK_EQ((t1 >> 8) & 0xffff, 1); /* processor number */
    CHECK_EQ(t0 & (1 << 4), 0);      /* Last only on the final frame */
    CHECK_EQ(t1 & (1 << 4), 0);
    CHECK(t2 & (1 << 4));
    CHECK_EQ(rd(VGIC_GICR, 0, GICR(2, 0x8), 4), (uint32_t)t2); /* 32-bit halves */
    CHECK_EQ(rd(VGIC_GICR, 0, GICR(2, 0xc), 4), t2 >> 32);
    /* the Linux wake-up sequence: clear ProcessorSleep, wait for ChildrenAsleep to clear */
    CHECK_EQ(rd(VGIC_GICR, 1, GICR(1, 0x14), 4), 6);
    wr(VGIC_GICR, 1, GICR(1, 0x14), 4, 0);
    CHECK_EQ(rd(VGIC_GICR, 1, GICR(1, 0x14), 4), 0);
    CHECK_EQ(rd(VGIC_GICR, 0, GICR(0, 0x14), 4), 6); /* the others still asleep */
    /* beyond the last frame: unknown */
    uint64_t v = 1;
    CHECK_EQ(vgic_mmio_read(&vg, VGIC_GICR, 0, GICR(3, 0x8), 8, &v), VGIC_UNKNOWN);
    CHECK_EQ(v, 0);
}

TEST(vgic_v2_spi_full_cycle)
{
    v2(2);
    DW(0x104, 1u << 8);          /* enable INTID 40 */
    wr(VGIC_GICD, 0, 0x828, 1, 2); /* ITARGETSR: vCPU 1 */
    DW(0x428, 0xa0);             /* priority 0xa0 */
    CHECK_EQ(vgic_set_level(&vg, 40, 0, true), VGIC_OK);
    CHECK_EQ(vgic_take_kicks(&vg), 2); /* vCPU 1 has something */
    CHECK_EQ(vgic_take_kicks(&vg), 0);
    CHECK_EQ(next(0), -1);
    unsigned irq;
    uint8_t prio;
    CHECK_EQ(vgic_next_to_inject(&vg, 1, &irq, &prio), 1);
    CHECK_EQ(irq, 40);
    CHECK_EQ(prio, 0xa0);
    CHECK_EQ(D(0x204) & (1u << 8), 1u << 8); /* ISPENDR shows it */
    CHECK_EQ(vgic_injected(&vg, 1, 40), VGIC_OK);
    CHECK_EQ(next(1), -1); /* in the LR: not offered again */
    /* level-sensitive, line still high: pending again after the EOI */
    CHECK_EQ(vgic_eoi(&vg, 1, 40), VGIC_OK);
    CHECK_EQ(vgic_take_kicks(&vg), 2);
    CHECK_EQ(next(1), 40);
    CHECK_EQ(vgic_injected(&vg, 1, 40), VGIC_OK);
    vgic_set_level(&vg, 40, 0, false);
    CHECK_EQ(vgic_eoi(&vg, 1, 40), VGIC_OK);
    CHECK_EQ(next(1), -1);
    CHECK_EQ(D(0x204), 0);
}

TEST(vgic_edge_interrupt_latches_once)
{
    v2(1);
    DW(0xc08, 2u << 0);  /* ICFGR2: INTID 32 edge-triggered */
    DW(0x104, 1);        /* enable 32 */
    vgic_set_level(&vg, 32, 0, true);
    vgic_set_level(&vg, 32, 0, true); /* no new edge */
    CHECK_EQ(take(0), 32);
    CHECK_EQ(vgic_eoi(&vg, 0, 32), VGIC_OK);
    CHECK_EQ(next(0), -1); /* line still high but edge-triggered: done */
    /* an edge while it is in the LR is remembered */
    vgic_set_pending(&vg, 32, 0);
    CHECK_EQ(take(0), 32);
    vgic_set_pending(&vg, 32, 0);
    CHECK_EQ(next(0), -1);
    CHECK_EQ(vgic_eoi(&vg, 0, 32), VGIC_OK);
    CHECK_EQ(take(0), 32);
    CHECK_EQ(vgic_eoi(&vg, 0, 32), VGIC_OK);
    CHECK_EQ(next(0), -1);
}

TEST(vgic_priority_order_and_ties)
{
    v3(1);
    wr(VGIC_GICR, 0, SGI(0, 0x100), 4, 0xffffffff); /* enable SGIs and PPIs */
    DW(0x104, 0xffffffff);                          /* SPIs 32..63 */
    DW(0x084, 0xffffffff);                          /* all group 1 */
    wr(VGIC_GICR, 0, SGI(0, 0x080), 4, 0xffffffff);
    DW(0x420, 0x80808080);                          /* 32..35 at 0x80 */
    DW(0x424, 0x40404040);                          /* 36..39 at 0x40 */
    wr(VGIC_GICR, 0, SGI(0, 0x41b), 1, 0x40);       /* PPI 27 at 0x40 */
    vgic_set_pending(&vg, 33, 0);
    vgic_set_pending(&vg, 39, 0);
    vgic_set_pending(&vg, 37, 0);
    vgic_set_level(&vg, 27, 0, true);
    unsigned irq;
    uint8_t prio;
    CHECK_EQ(vgic_next_to_inject(&vg, 0, &irq, &prio), 1);
    CHECK_EQ(irq, 27); /* 0x40, lowest INTID among 27, 37, 39 */
    CHECK_EQ(prio, 0x40);
    vgic_injected(&vg, 0, 27);
    CHECK_EQ(take(0), 37);
    CHECK_EQ(take(0), 39);
    CHECK_EQ(take(0), 33);
    CHECK_EQ(take(0), -1);
    /* priorities keep 5 bits */
    DW(0x428, 0xffffffff);
    CHECK_EQ(D(0x428), 0xf8f8f8f8);
}

TEST(vgic_groups_and_enables_gate_delivery)
{
    v3(1);
    DW(0x000, 0);              /* distributor off */
    DW(0x104, 1u << 2);        /* enable 34 */
    vgic_set_pending(&vg, 34, 0);
    CHECK_EQ(next(0), -1);
    DW(0x000, 2);              /* group 1 on, but 34 is group 0 */
    CHECK_EQ(next(0), -1);
    DW(0x084, 1u << 2);        /* 34 -> group 1 */
    CHECK_EQ(next(0), 34);
    CHECK_EQ(vgic_irq_group(&vg, 0, 34), 1);
    CHECK_EQ(vgic_irq_group(&vg, 0, 33), 0);
    DW(0x184, 1u << 2);        /* ICENABLER */
    CHECK_EQ(next(0), -1);
    CHECK_EQ(D(0x104), 0);
    DW(0x104, 1u << 2);
    DW(0x304, 1u << 2);        /* the guest marks it active: not offered */
    CHECK_EQ(D(0x304), 1u << 2);
    CHECK_EQ(next(0), -1);
    DW(0x384, 1u << 2);        /* ICACTIVER */
    CHECK_EQ(next(0), 34);
    DW(0x284, 1u << 2);        /* ICPENDR */
    CHECK_EQ(next(0), -1);
    CHECK_EQ(vgic_injected(&vg, 0, 34), VGIC_ERR_STATE);
}

TEST(vgic_icpendr_does_not_lower_a_line)
{
    v2(1);
    DW(0x104, 1);
    vgic_set_level(&vg, 32, 0, true);
    DW(0x284, 1);
    CHECK_EQ(next(0), 32); /* level-sensitive: the line keeps it pending */
    vgic_set_level(&vg, 32, 0, false);
    CHECK_EQ(next(0), -1);
    DW(0x204, 1);           /* ISPENDR latches it */
    CHECK_EQ(next(0), 32);
    DW(0x284, 1);
    CHECK_EQ(next(0), -1);
}

TEST(vgic_v2_sgir_targets_and_sources)
{
    v2(4);
    for (unsigned c = 0; c < 4; c++)
        wr(VGIC_GICD, c, 0x100, 4, 0xffff); /* each vCPU enables its SGIs */
    vgic_take_kicks(&vg);
    DW(0xf00, (0u << 24) | (0x0a << 16) | 5); /* list: vCPUs 1 and 3, SGI 5 */
    CHECK_EQ(vgic_take_kicks(&vg), 0x0a);
    CHECK_EQ(next(0), -1);
    CHECK_EQ(next(1), 5);
    CHECK_EQ(next(3), 5);
    CHECK_EQ(rd(VGIC_GICD, 1, 0xf25, 1), 1); /* SPENDSGIR byte of SGI 5: source vCPU 0 */
    wr(VGIC_GICD, 2, 0xf00, 4, (1u << 24) | 7); /* all but self, from vCPU 2 */
    CHECK_EQ(next(2), -1);
    CHECK_EQ(next(0), 7);
    CHECK_EQ(rd(VGIC_GICD, 3, 0xf14, 4), (1u << 8) | (4u << 24)); /* SGI 5 from 0, SGI 7 from 2 */
    wr(VGIC_GICD, 3, 0xf00, 4, (2u << 24) | 7); /* self only, from vCPU 3 */
    CHECK_EQ(rd(VGIC_GICD, 3, 0xf17, 1), 0x0c); /* sources 2 and 3 */
    /* one source at a time through the list register */
    CHECK_EQ(vgic_injected(&vg, 3, 7), VGIC_OK);
    CHECK_EQ(rd(VGIC_GICD, 3, 0xf17, 1), 0x08);
    CHECK_EQ(vgic_eoi(&vg, 3, 7), VGIC_OK);
    CHECK_EQ(vgic_injected(&vg, 3, 7), VGIC_OK);
    CHECK_EQ(rd(VGIC_GICD, 3, 0xf17, 1), 0);
    CHECK_EQ(vgic_eoi(&vg, 3, 7), VGIC_OK);
    /* CPENDSGIR clears, ISPENDR cannot set an SGI on GICv2 */
    for (unsigned off = 0xf10; off < 0xf20; off += 4)
        wr(VGIC_GICD, 1, off, 4, 0xffffffff);
    CHECK_EQ(next(1), -1);
    wr(VGIC_GICD, 1, 0x200, 4, 0xffff);
    CHECK_EQ(next(1), -1);
    wr(VGIC_GICD, 1, 0xf20, 1, 0x02);        /* SPENDSGIR: SGI 0 from vCPU 1 */
    CHECK_EQ(next(1), 0);
    /* the reserved filter is ignored */
    CHECK_EQ(vgic_mmio_write(&vg, VGIC_GICD, 0, 0xf00, 4, (3u << 24) | (0xff << 16) | 1), VGIC_BAD_ACCESS);
    CHECK_EQ(next(2), -1);
}

TEST(vgic_v3_sgi1r_affinity_targets)
{
    v3(4);
    /* two clusters: vCPUs 0,1 at Aff1 0 (Aff0 0,1), vCPUs 2,3 at Aff1 1 (Aff0 0,1) */
    vg.mpidr[2] = 0x100;
    vg.mpidr[3] = 0x101;
    for (unsigned c = 0; c < 4; c++) {
        wr(VGIC_GICR, c, SGI(c, 0x080), 4, 0xffffffff);
        wr(VGIC_GICR, c, SGI(c, 0x100), 4, 0xffff);
    }
    vgic_take_kicks(&vg);
    /* Aff1 1, target list {Aff0 1}, SGI 3 */
    CHECK_EQ(vgic_sgi1r_write(&vg, 0, (1ull << 16) | (3ull << 24) | 0x2), VGIC_OK);
    CHECK_EQ(vgic_take_kicks(&vg), 1u << 3);
    CHECK_EQ(next(3), 3);
    CHECK_EQ(next(1), -1);
    /* IRM: everyone but the sender */
    CHECK_EQ(vgic_sgi1r_write(&vg, 2, (1ull << 40) | (9ull << 24)), VGIC_OK);
    CHECK_EQ(vgic_take_kicks(&vg), 0xb);
    CHECK_EQ(next(2), -1);
    CHECK_EQ(next(0), 9);
    /* RS selects Aff0 16..31: nobody here */
    CHECK_EQ(vgic_sgi1r_write(&vg, 0, (1ull << 44) | 0xffff), VGIC_OK);
    CHECK_EQ(vgic_take_kicks(&vg), 0);
    /* GICR ISPENDR0 shows it, ICPENDR0 clears it */
    CHECK_EQ(rd(VGIC_GICR, 0, SGI(3, 0x200), 4), 1u << 3 | 1u << 9);
    wr(VGIC_GICR, 0, SGI(3, 0x280), 4, 1u << 3);
    CHECK_EQ(rd(VGIC_GICR, 0, SGI(3, 0x200), 4), 1u << 9);
    CHECK_EQ(vgic_sgi1r_write(&vg, 4, 0), VGIC_ERR_ARG);
    v2(1);
    CHECK_EQ(vgic_sgi1r_write(&vg, 0, 0), VGIC_ERR_ARG); /* GICv2 has GICD_SGIR instead */
}

TEST(vgic_v3_private_interrupts_live_in_the_redistributors)
{
    v3(2);
    /* GICD's SGI/PPI bits are RAZ/WI with affinity routing */
    DW(0x100, 0xffffffff);
    CHECK_EQ(D(0x100), 0);
    DW(0x400, 0xffffffff);
    CHECK_EQ(D(0x400), 0);
    /* each redistributor has its own bank, whoever accesses it */
    wr(VGIC_GICR, 0, SGI(1, 0x100), 4, 1u << 27);
    wr(VGIC_GICR, 0, SGI(1, 0x080), 4, 1u << 27);
    CHECK_EQ(rd(VGIC_GICR, 1, SGI(1, 0x100), 4), 1u << 27);
    CHECK_EQ(rd(VGIC_GICR, 1, SGI(0, 0x100), 4), 0);
    wr(VGIC_GICR, 1, SGI(1, 0x418), 4, 0x88000000);
    CHECK_EQ(rd(VGIC_GICR, 0, SGI(1, 0x41b), 1), 0x88);
    vgic_set_level(&vg, 27, 1, true);
    CHECK_EQ(vgic_take_kicks(&vg), 2);
    CHECK_EQ(next(0), -1);
    CHECK_EQ(next(1), 27);
    /* registers past the first word of the SGI frame are RAZ/WI */
    wr(VGIC_GICR, 0, SGI(0, 0x104), 4, 0xffffffff);
    CHECK_EQ(rd(VGIC_GICR, 0, SGI(0, 0x104), 4), 0);
}

TEST(vgic_icfgr_sgis_fixed_ppis_and_spis_writable)
{
    v3(1);
    CHECK_EQ(rd(VGIC_GICR, 0, SGI(0, 0xc00), 4), 0xaaaaaaaa); /* SGIs edge */
    wr(VGIC_GICR, 0, SGI(0, 0xc00), 4, 0);
    CHECK_EQ(rd(VGIC_GICR, 0, SGI(0, 0xc00), 4), 0xaaaaaaaa); /* read-only */
    CHECK_EQ(rd(VGIC_GICR, 0, SGI(0, 0xc04), 4), 0);          /* PPIs level */
    wr(VGIC_GICR, 0, SGI(0, 0xc04), 4, 0xffffffff);
    CHECK_EQ(rd(VGIC_GICR, 0, SGI(0, 0xc04), 4), 0xaaaaaaaa); /* the odd bits only */
    CHECK_EQ(D(0xc00), 0);                                    /* GICD ICFGR0: RAZ */
    DW(0xc08, 0x2);
    CHECK_EQ(D(0xc08), 0x2);
}

TEST(vgic_v3_irouter_routes_spis)
{
    v3(3);
    vg.mpidr[2] = 0x0000000100000200ull; /* Aff3 1, Aff1 2 */
    DW(0x108, 0xffffffff);               /* enable 64..95 */
    DW(0x088, 0xffffffff);
    wr(VGIC_GICD, 0, 0x6000 + 8 * 70, 8, 0x0000000100000200ull);
    CHECK_EQ(rd(VGIC_GICD, 0, 0x6000 + 8 * 70, 8), 0x0000000100000200ull);
    vgic_take_kicks(&vg);
    vgic_set_pending(&vg, 70, 0);
    CHECK_EQ(vgic_take_kicks(&vg), 4);
    CHECK_EQ(next(0), -1);
    CHECK_EQ(next(2), 70);
    /* 32-bit halves */
    wr(VGIC_GICD, 0, 0x6000 + 8 * 70, 4, 1);
    wr(VGIC_GICD, 0, 0x6000 + 8 * 70 + 4, 4, 0);
    CHECK_EQ(rd(VGIC_GICD, 0, 0x6000 + 8 * 70, 8), 1);
    CHECK_EQ(next(2), -1);
    CHECK_EQ(next(1), 70);
    /* IRM: any vCPU, exactly one takes it */
    wr(VGIC_GICD, 0, 0x6000 + 8 * 70, 8, 1ull << 31);
    CHECK_EQ(next(0), 70);
    CHECK_EQ(next(2), 70);
    CHECK_EQ(vgic_injected(&vg, 2, 70), VGIC_OK);
    CHECK_EQ(next(0), -1);
    CHECK_EQ(vgic_eoi(&vg, 0, 70), VGIC_ERR_STATE); /* it is vCPU 2's */
    CHECK_EQ(vgic_eoi(&vg, 2, 70), VGIC_OK);
    /* reserved bits are dropped, unknown affinities reach nobody */
    wr(VGIC_GICD, 0, 0x6000 + 8 * 70, 8, ~0ull & ~(1ull << 31));
    CHECK_EQ(rd(VGIC_GICD, 0, 0x6000 + 8 * 70, 8), 0xff00ffffffull);
    vgic_set_pending(&vg, 70, 0);
    CHECK_EQ(next(0) + next(1) + next(2), -3);
    /* IROUTER of private INTIDs and beyond nr_irqs: RAZ/WI */
    wr(VGIC_GICD, 0, 0x6000 + 8 * 5, 8, 1);
    CHECK_EQ(rd(VGIC_GICD, 0, 0x6000 + 8 * 5, 8), 0);
    wr(VGIC_GICD, 0, 0x6000 + 8 * 300, 8, 1);
    CHECK_EQ(rd(VGIC_GICD, 0, 0x6000 + 8 * 300, 8), 0);
}

TEST(vgic_v2_one_of_n_spi)
{
    v2(2);
    DW(0x104, 1);
    DW(0x820, 0x03); /* INTID 32 to both vCPUs */
    CHECK_EQ(D(0x820), 0x03);
    DW(0x820, 0xff); /* nonexistent vCPUs are dropped */
    CHECK_EQ(D(0x820), 0x03);
    vgic_set_pending(&vg, 32, 0);
    CHECK_EQ(vgic_take_kicks(&vg), 3);
    CHECK_EQ(next(0), 32);
    CHECK_EQ(next(1), 32);
    CHECK_EQ(vgic_injected(&vg, 1, 32), VGIC_OK);
    CHECK_EQ(next(0), -1);
    CHECK_EQ(vgic_injected(&vg, 0, 32), VGIC_ERR_STATE);
    CHECK_EQ(vgic_eoi(&vg, 1, 32), VGIC_OK);
    CHECK_EQ(vgic_eoi(&vg, 1, 32), VGIC_ERR_STATE); /* twice */
}

TEST(vgic_v2_single_vcpu_gets_every_spi)
{
    v2(1);
    DW(0x104, 1u << 31); /* INTID 63, targets never written */
    vgic_set_pending(&vg, 63, 0);
    CHECK_EQ(next(0), 63);
}

TEST(vgic_unknown_registers_are_raz_wi_and_logged)
{
    v3(2);
    vg.log = log_fn;
    log_count = 0;
    uint64_t v = 123;
    CHECK_EQ(vgic_mmio_read(&vg, VGIC_GICD, 0, 0x0020, 4, &v), VGIC_UNKNOWN);
    CHECK_EQ(v, 0);
    CHECK_EQ(log_count, 1);
    CHECK_EQ(log_offset, 0x20);
    CHECK_EQ(vgic_mmio_write(&vg, VGIC_GICD, 0, 0x8000, 4, 5), VGIC_UNKNOWN);
    CHECK_EQ(vgic_mmio_write(&vg, VGIC_GICR, 0, GICR(0, 0x50), 4, 5), VGIC_UNKNOWN);
    CHECK_EQ(vgic_mmio_read(&vg, VGIC_GICR, 0, SGI(1, 0xf00), 4, &v), VGIC_UNKNOWN);
    CHECK_EQ(log_offset, SGI(1, 0xf00));
    CHECK_EQ(vgic_mmio_read(&vg, VGIC_GICR, 0, ~0ull & ~7ull, 8, &v), VGIC_UNKNOWN);
    CHECK_EQ(vgic_mmio_read(&vg, (enum vgic_region)7, 0, 0, 4, &v), VGIC_UNKNOWN);
    CHECK_EQ(log_count, 6);
    /* read-only registers ignore writes */
    CHECK_EQ(vgic_mmio_write(&vg, VGIC_GICD, 0, 0x004, 4, 0), VGIC_BAD_ACCESS);
    CHECK_EQ(D(0x004) & 0x1f, 7);
    /* GICv2 has no redistributors */
    v2(1);
    vg.log = log_fn;
    CHECK_EQ(vgic_mmio_read(&vg, VGIC_GICR, 0, 0, 4, &v), VGIC_UNKNOWN);
    CHECK_EQ(vgic_mmio_read(&vg, VGIC_GICD, 0, 0x1000, 4, &v), VGIC_UNKNOWN);
}

TEST(vgic_bad_sizes_and_alignment)
{
    v2(1);
    uint64_t v = 7;
    DW(0x104, 0xffffffff);
    CHECK_EQ(vgic_mmio_read(&vg, VGIC_GICD, 0, 0x104, 1, &v), VGIC_BAD_ACCESS); /* bitmaps: words only */
    CHECK_EQ(v, 0);
    CHECK_EQ(vgic_mmio_write(&vg, VGIC_GICD, 0, 0x184, 2, 0xffff), VGIC_BAD_ACCESS);
    CHECK_EQ(D(0x104), 0xffffffff);
    CHECK_EQ(vgic_mmio_read(&vg, VGIC_GICD, 0, 0x102, 4, &v), VGIC_BAD_ACCESS); /* misaligned */
    CHECK_EQ(vgic_mmio_read(&vg, VGIC_GICD, 0, 0x100, 3, &v), VGIC_BAD_ACCESS);
    CHECK_EQ(vgic_mmio_read(&vg, VGIC_GICD, 0, 0x100, 16, &v), VGIC_BAD_ACCESS);
    CHECK_EQ(vgic_mmio_read(&vg, VGIC_GICD, 0, 0x000, 8, &v), VGIC_BAD_ACCESS);
    /* byte access where the architecture allows it */
    wr(VGIC_GICD, 0, 0x421, 1, 0x30);
    CHECK_EQ(D(0x420), 0x3000);
    /* the VMM's own mistakes */
    CHECK_EQ(vgic_mmio_read(&vg, VGIC_GICD, 1, 0x000, 4, &v), VGIC_ERR_ARG);
    CHECK_EQ(vgic_mmio_read(&vg, VGIC_GICD, 0, 0x000, 4, NULL), VGIC_ERR_ARG);
    CHECK_EQ(vgic_mmio_write(NULL, VGIC_GICD, 0, 0x000, 4, 0), VGIC_ERR_ARG);
    CHECK_EQ(vgic_set_pending(&vg, 128, 0), VGIC_ERR_ARG);
    CHECK_EQ(vgic_set_pending(&vg, 20, 1), VGIC_ERR_ARG);
    CHECK_EQ(vgic_set_level(&vg, 3, 0, true), VGIC_ERR_ARG); /* SGIs have no line */
    CHECK_EQ(vgic_injected(&vg, 0, 999), VGIC_ERR_ARG);
    CHECK_EQ(vgic_eoi(&vg, 5, 32), VGIC_ERR_ARG);
    unsigned irq;
    uint8_t prio;
    CHECK_EQ(vgic_next_to_inject(&vg, 1, &irq, &prio), VGIC_ERR_ARG);
    CHECK_EQ(vgic_irq_group(&vg, 3, 0), 0);
}

/* Random guest accesses over both windows and beyond, every size, every
 * alignment: no crash, no sanitizer report, reads of unknown registers are
 * zero, and the model's invariants hold afterwards. */
static void fuzz(unsigned version, unsigned seed)
{
    srand(seed);
    CHECK_EQ(vgic_init(&vg, version, 3, 96), VGIC_OK);
    static const unsigned sizes[] = { 1, 2, 4, 8, 3, 0, 16 };
    uint64_t window = version == 2 ? 0x2000 : 4 * VGIC_GICR_STRIDE;
    for (unsigned i = 0; i < 200000; i++) {
        enum vgic_region r = (enum vgic_region)(rand() % 3);
        unsigned vcpu = (unsigned)rand() % 4; /* 3 is invalid */
        uint64_t off = (uint64_t)rand() % window;
        if (rand() % 8 == 0)
            off = (uint64_t)rand() << 33 | (uint64_t)rand(); /* far away */
        if (rand() % 4 == 0)
            off &= ~0xfffull, off |= (uint64_t)(rand() % 0x1000); /* cluster on low offsets */
        unsigned size = sizes[rand() % 7];
        uint64_t val = (uint64_t)rand() << 32 | (uint64_t)rand();
        int st;
        if (rand() % 2) {
            st = vgic_mmio_write(&vg, r, vcpu, off, size, val);
        } else {
            uint64_t v = 0x5a5a;
            st = vgic_mmio_read(&vg, r, vcpu, off, size, &v);
            if (st != VGIC_OK)
                CHECK_EQ(v, 0);
            if (st == VGIC_OK && size < 8)
                CHECK_EQ(v >> (8 * size), 0);
        }
        CHECK(st == VGIC_OK || st == VGIC_UNKNOWN || st == VGIC_BAD_ACCESS || st == VGIC_ERR_ARG);
        CHECK_EQ(st == VGIC_ERR_ARG, vcpu >= 3);
        /* interrupts in and out, as a VMM would drive them */
        unsigned c = (unsigned)rand() % 3, irq;
        uint8_t prio;
        if (rand() % 4 == 0)
            vgic_set_level(&vg, (unsigned)rand() % 100, c, rand() % 2);
        if (rand() % 4 == 0)
            vgic_set_pending(&vg, (unsigned)rand() % 100, c);
        if (version == 3 && rand() % 8 == 0)
            vgic_sgi1r_write(&vg, c, val);
        if (vgic_next_to_inject(&vg, c, &irq, &prio) == 1) {
            CHECK(irq < 96);
            CHECK_EQ(vgic_injected(&vg, c, irq), VGIC_OK);
            CHECK_EQ(vgic_injected(&vg, c, irq), VGIC_ERR_STATE);
            if (rand() % 2)
                CHECK_EQ(vgic_eoi(&vg, c, irq), VGIC_OK);
        }
        CHECK_EQ(vgic_take_kicks(&vg) & ~7u, 0);
    }
    CHECK_EQ(vg.nr_irqs, 96);
    CHECK_EQ(vg.nr_vcpus, 3);
    for (unsigned n = 0; n < 96 - 32; n++) {
        CHECK_EQ(vg.spi[n].targets & ~7u, 0);
        CHECK_EQ(vg.spi[n].priority & 7, 0);
    }
}

TEST(vgic_v2_survives_random_guest_accesses)
{
    fuzz(2, 1);
}

TEST(vgic_v3_survives_random_guest_accesses)
{
    fuzz(3, 2);
}

/* A list register knows what it holds, SGI 0 included: its end frees it and
 * ends SGI 0, so the next SGI 0 goes in again (Linux's reschedule IPI). */
TEST(vgic_list_register_holding_sgi0_ends_and_takes_it_again)
{
    v3(2);
    wr(VGIC_GICR, 1, SGI(1, 0x080), 4, 0xffffffff); /* group 1 */
    wr(VGIC_GICR, 1, SGI(1, 0x100), 4, 0xffff);     /* SGIs enabled */
    vgic_take_kicks(&vg);
    CHECK(vgic_lr_is_free(&vg, 1, 0));
    CHECK_EQ(vgic_sgi1r_write(&vg, 0, (0ull << 24) | 0x2), VGIC_OK); /* SGI 0 to vCPU 1 */
    CHECK_EQ(next(1), 0);
    CHECK_EQ(vgic_lr_taken(&vg, 1, 0, 0), VGIC_OK);
    CHECK(!vgic_lr_is_free(&vg, 1, 0));
    /* sent again while it is in the list register: waits */
    CHECK_EQ(vgic_sgi1r_write(&vg, 0, 0x2), VGIC_OK);
    CHECK_EQ(next(1), -1);
    /* the guest ended it: the list register is free, SGI 0 comes again */
    unsigned irq = 99;
    CHECK_EQ(vgic_lr_ended(&vg, 1, 0, &irq), VGIC_OK);
    CHECK_EQ(irq, 0);
    CHECK(vgic_lr_is_free(&vg, 1, 0));
    CHECK_EQ(next(1), 0);
}

TEST(vgic_list_register_bookkeeping_refuses_misuse)
{
    v3(2);
    unsigned irq;
    CHECK_EQ(vgic_lr_ended(&vg, 0, 0, &irq), VGIC_ERR_STATE);        /* free already */
    CHECK_EQ(vgic_lr_taken(&vg, 0, VGIC_MAX_LRS, 3), VGIC_ERR_ARG);   /* no such list register */
    CHECK_EQ(vgic_lr_taken(&vg, 2, 0, 3), VGIC_ERR_ARG);              /* no such vCPU */
    CHECK(!vgic_lr_is_free(&vg, 0, VGIC_MAX_LRS));
    CHECK_EQ(vgic_lr_taken(&vg, 0, 0, 3), VGIC_ERR_STATE);            /* SGI 3 not pending */
    CHECK(vgic_lr_is_free(&vg, 0, 0));
    wr(VGIC_GICR, 0, SGI(0, 0x080), 4, 0xffffffff);
    wr(VGIC_GICR, 0, SGI(0, 0x100), 4, 0xffff);
    CHECK_EQ(vgic_sgi1r_write(&vg, 1, (3ull << 24) | 0x1), VGIC_OK);
    CHECK_EQ(vgic_sgi1r_write(&vg, 1, (4ull << 24) | 0x1), VGIC_OK);
    CHECK_EQ(vgic_lr_taken(&vg, 0, 0, 3), VGIC_OK);
    CHECK_EQ(vgic_lr_taken(&vg, 0, 0, 4), VGIC_ERR_STATE);            /* taken */
    CHECK_EQ(vgic_lr_taken(&vg, 0, 1, 4), VGIC_OK);
}
