/* A virtual GIC distributor (GICv2 / GICv3 with redistributors): see
 * vmm/vgic.h.
 *
 * The state machine of one interrupt (per vCPU for SGIs and PPIs):
 *
 *                 set_pending / rising edge / ISPENDR / SGI
 *                 (or, level-sensitive: line high)
 *      inactive ----------------------------------------> pending
 *         ^                                                  |
 *         |     vgic_eoi: the guest ended it; back to        | enabled, group enabled,
 *         |     "pending" at once if a new edge came or      | targeted at the vCPU, best
 *         |     the line is still high                       | priority: vgic_next_to_inject
 *         |                                                  v
 *         +------------------------------------------------ in LR
 *                                                     (vgic_injected: the latched
 *                                                      pending state went into the
 *                                                      list register)
 *
 * "pending" is computed, not stored: latch (an edge, an ISPENDR write, a
 * GICv3 SGI), or a GICv2 SGI source bit, or - for a level-sensitive
 * interrupt - the line being high. ICPENDR clears the latch only, as on a
 * real GIC. While in an LR the interrupt is not offered again, so an SPI
 * aimed at several vCPUs (GICv2 ITARGETSR, GICv3 IROUTER.IRM) goes to
 * exactly one: whichever takes it first. The active state of a list
 * register is the hardware's; 'active' here is only what the guest wrote
 * to ISACTIVER/ICACTIVER, and an active interrupt is not offered.
 *
 * What is emulated: a GIC with a single security state (GICD_CTLR.DS = 1
 * for GICv3), no LPIs/ITS, affinity routing always on for GICv3 (ARE RAO/WI).
 * GICv2 SGIs keep one pending bit per source vCPU; the list register does
 * not carry the source (the kernel's vcpu_inject_irq takes INTIDs only),
 * so a GICv2 guest reads source 0 from GICC_IAR. Linux ignores it. */
#include <vmm/vgic.h>
#include <stddef.h>

/* Distributor (both versions) */
#define GICD_CTLR 0x000
#define GICD_TYPER 0x004
#define GICD_IIDR 0x008
#define GICD_TYPER2 0x00c
#define GICD_STATUSR 0x010
#define GICD_IGROUPR 0x080     /* the per-interrupt block: IGROUPR .. ICFGR */
#define GICD_IPRIORITYR 0x400
#define GICD_ITARGETSR 0x800
#define GICD_ICFGR 0xc00
#define GICD_BLOCK_END 0xd00
#define GICD_IGRPMODR 0xd00
#define GICD_NSACR 0xe00
#define GICD_SGIR 0xf00        /* GICv2 */
#define GICD_CPENDSGIR 0xf10   /* GICv2 */
#define GICD_SPENDSGIR 0xf20   /* GICv2 */
#define GICD_IROUTER 0x6000    /* GICv3 */
#define GICD_IROUTER_END 0x7fe0
/* Redistributor RD_base frame (GICv3) */
#define GICR_CTLR 0x000
#define GICR_IIDR 0x004
#define GICR_TYPER 0x008
#define GICR_STATUSR 0x010
#define GICR_WAKER 0x014
#define GICR_PROPBASER 0x070
#define GICR_PENDBASER 0x078
/* Identification registers at the end of each 4 KiB (v2) / 64 KiB (v3) frame */
#define ID_V2_BASE 0xfd0
#define ID_V3_BASE 0xffd0
#define PIDR2_OFFSET 0x18      /* from the ID base: ..fe8 */

#define CTLR_GRP_MASK 3u       /* EnableGrp0 | EnableGrp1 */
#define CTLR_ARE (1u << 4)
#define CTLR_DS (1u << 6)
#define IIDR_VALUE 0x0000043bu /* implementer Arm, product 0 */
#define PIDR2_V2 0x2bu         /* ArchRev 2 in [7:4] */
#define PIDR2_V3 0x3bu         /* ArchRev 3: Linux checks it in GICD and in every GICR */
#define TYPER_IDBITS_10 (9u << 19)
#define WAKER_PROCESSOR_SLEEP (1u << 1)
#define WAKER_CHILDREN_ASLEEP (1u << 2)
#define IROUTER_IRM (1ull << 31)
#define IROUTER_MASK 0xff80ffffffull /* Aff3 [39:32], IRM, Aff2..Aff0 */

/* ------------------------------------------------------------ state */

static uint32_t all_vcpus(const struct vgic *vg)
{
    return (1u << vg->nr_vcpus) - 1;
}

/* The state of INTID 'intid' as vCPU 'bank' sees it, or NULL if no such. */
static const struct vgic_irq *irq_peek(const struct vgic *vg, unsigned bank, unsigned intid)
{
    if (intid < VGIC_NR_PRIVATE)
        return bank < vg->nr_vcpus ? &vg->priv[bank][intid] : NULL;
    if (intid < vg->nr_irqs)
        return &vg->spi[intid - VGIC_NR_PRIVATE];
    return NULL;
}

static struct vgic_irq *irq_get(struct vgic *vg, unsigned bank, unsigned intid)
{
    if (!irq_peek(vg, bank, intid))
        return NULL;
    return intid < VGIC_NR_PRIVATE ? &vg->priv[bank][intid] : &vg->spi[intid - VGIC_NR_PRIVATE];
}

static bool is_pending(const struct vgic_irq *q)
{
    return q->latch || q->sgi_sources || (!q->edge && q->line);
}

/* The affinity fields of an MPIDR packed into 32 bits: Aff3.Aff2.Aff1.Aff0. */
static uint32_t aff32(uint64_t mpidr)
{
    return (uint32_t)((mpidr >> 8) & 0xff000000u) | (uint32_t)(mpidr & 0xffffffu);
}

/* The vCPUs an SPI may go to. */
static uint32_t spi_targets(const struct vgic *vg, unsigned intid)
{
    if (vg->nr_vcpus == 1)
        return 1; /* a uniprocessor GIC sends everything to its one CPU */
    unsigned n = intid - VGIC_NR_PRIVATE;
    if (vg->version == 2)
        return vg->spi[n].targets & all_vcpus(vg);
    uint64_t r = vg->irouter[n];
    if (r & IROUTER_IRM)
        return all_vcpus(vg);
    for (unsigned i = 0; i < vg->nr_vcpus; i++)
        if (aff32(vg->mpidr[i]) == aff32(r))
            return 1u << i;
    return 0;
}

/* Note that vCPUs may have something new to take because of this interrupt. */
static void kick(struct vgic *vg, unsigned bank, unsigned intid)
{
    vg->kicks |= intid < VGIC_NR_PRIVATE ? 1u << bank : spi_targets(vg, intid);
}

static bool deliverable(const struct vgic *vg, unsigned vcpu, unsigned intid, const struct vgic_irq *q)
{
    return q->enabled && is_pending(q) && !q->active && !q->in_lr && (vg->ctlr & (1u << q->group1)) &&
           (intid < VGIC_NR_PRIVATE || (spi_targets(vg, intid) & (1u << vcpu)));
}

int vgic_init(struct vgic *vg, unsigned version, unsigned nr_vcpus, unsigned nr_irqs)
{
    if (!vg || (version != 2 && version != 3) || nr_vcpus == 0 || nr_vcpus > VGIC_MAX_VCPUS || nr_irqs < 64 ||
        nr_irqs > VGIC_MAX_IRQS || nr_irqs % 32)
        return VGIC_ERR_ARG;
    __builtin_memset(vg, 0, sizeof *vg);
    vg->version = version;
    vg->nr_vcpus = nr_vcpus;
    vg->nr_irqs = nr_irqs;
    for (unsigned c = 0; c < nr_vcpus; c++) {
        vg->mpidr[c] = c;
        vg->sleeping[c] = true;
        for (unsigned i = 0; i < VGIC_NR_SGIS; i++)
            vg->priv[c][i].edge = true; /* SGIs are always edge-triggered */
        for (unsigned lr = 0; lr < VGIC_MAX_LRS; lr++)
            vg->lr[c][lr] = VGIC_LR_FREE;
    }
    return VGIC_OK;
}

/* ------------------------------------------------------------ MMIO */

/* One guest access being decoded. */
struct access {
    struct vgic *vg;
    unsigned vcpu;      /* the accessing vCPU */
    uint64_t full_off;  /* offset in the window, for the log */
    uint64_t off;       /* offset in the frame being decoded */
    unsigned size;
    bool write;
    uint64_t *val;      /* read: the result (starts at 0); write: the data */
};

static int ignored(struct access *a, const char *what, int status)
{
    struct vgic *vg = a->vg;
    if (vg->log)
        vg->log(vg->log_ctx, what, a->vcpu, a->full_off, a->size, a->write, a->write ? *a->val : 0);
    if (!a->write)
        *a->val = 0;
    return status;
}

static int unknown(struct access *a)
{
    return ignored(a, "unknown register", VGIC_UNKNOWN);
}

static int bad_size(struct access *a)
{
    return ignored(a, "bad access size", VGIC_BAD_ACCESS);
}

/* Architecturally read-as-zero, writes ignored: nothing worth a log line. */
static int raz_wi(struct access *a)
{
    if (!a->write)
        *a->val = 0;
    return VGIC_OK;
}

/* A 32-bit read-only register. */
static int read_only(struct access *a, uint32_t v)
{
    if (a->size != 4)
        return bad_size(a);
    if (a->write)
        return ignored(a, "write to a read-only register", VGIC_BAD_ACCESS);
    *a->val = v;
    return VGIC_OK;
}

/* The identification registers: only PIDR2 matters (its ArchRev). */
static int id_regs(struct access *a, uint64_t id_base, uint32_t pidr2)
{
    return read_only(a, a->off == id_base + PIDR2_OFFSET ? pidr2 : 0);
}

/* One-bit-per-interrupt registers, in the order of their 0x80-byte blocks. */
enum bit_reg { IGROUPR, ISENABLER, ICENABLER, ISPENDR, ICPENDR, ISACTIVER, ICACTIVER };

static bool bit_read(enum bit_reg r, const struct vgic_irq *q)
{
    switch (r) {
    case IGROUPR: return q->group1;
    case ISENABLER: case ICENABLER: return q->enabled;
    case ISPENDR: case ICPENDR: return is_pending(q);
    default: return q->active;
    }
}

static void bit_write(struct vgic *vg, enum bit_reg r, unsigned intid, struct vgic_irq *q, bool bit)
{
    /* GICv2: an SGI's pending state is per source, set and cleared through
     * SPENDSGIR/CPENDSGIR only */
    bool v2_sgi = vg->version == 2 && intid < VGIC_NR_SGIS;
    switch (r) {
    case IGROUPR: q->group1 = bit; return;
    case ISENABLER: if (bit) q->enabled = true; return;
    case ICENABLER: if (bit) q->enabled = false; return;
    case ISPENDR: if (bit && !v2_sgi) q->latch = true; return;
    case ICPENDR: if (bit && !v2_sgi) q->latch = false; return;
    case ISACTIVER: if (bit) q->active = true; return;
    case ICACTIVER: if (bit) q->active = false; return;
    }
}

/* The per-interrupt block (IGROUPR at 0x080 .. ICFGR at 0xcff, the same
 * layout in GICD and in the GICR SGI frame) for the interrupts [lo, hi) of
 * vCPU 'bank'; the others are RAZ/WI. ITARGETSR exists only if has_targets
 * (GICv2 GICD). */
static int irq_block(struct access *a, unsigned bank, unsigned lo, unsigned hi, bool has_targets)
{
    struct vgic *vg = a->vg;
    uint64_t off = a->off;
    uint64_t v = a->write ? *a->val : 0, r = 0;

    if (off < GICD_IPRIORITYR) { /* 32 interrupts per word, one bit each */
        if (a->size != 4)
            return bad_size(a);
        enum bit_reg reg = (enum bit_reg)((off - GICD_IGROUPR) / 0x80);
        unsigned first = (unsigned)(off % 0x80) / 4 * 32;
        for (unsigned i = 0; i < 32; i++) {
            unsigned intid = first + i;
            struct vgic_irq *q = intid >= lo && intid < hi ? irq_get(vg, bank, intid) : NULL;
            if (!q)
                continue;
            if (!a->write) {
                r |= (uint64_t)bit_read(reg, q) << i;
            } else if (reg == IGROUPR || ((v >> i) & 1)) {
                bit_write(vg, reg, intid, q, (v >> i) & 1);
                kick(vg, bank, intid);
            }
        }
    } else if (off < GICD_ICFGR) { /* IPRIORITYR, ITARGETSR: one byte each */
        bool targets = off >= GICD_ITARGETSR;
        if (targets && !has_targets)
            return raz_wi(a);
        if (a->size != 1 && a->size != 4)
            return bad_size(a);
        unsigned first = (unsigned)(off - (targets ? GICD_ITARGETSR : GICD_IPRIORITYR));
        for (unsigned i = 0; i < a->size; i++) {
            unsigned intid = first + i;
            struct vgic_irq *q = intid >= lo && intid < hi ? irq_get(vg, bank, intid) : NULL;
            if (!q)
                continue;
            uint8_t byte = (uint8_t)(v >> (8 * i));
            if (!targets) {
                if (a->write)
                    q->priority = byte & VGIC_PRIO_MASK;
                r |= (uint64_t)q->priority << (8 * i);
            } else if (intid < VGIC_NR_PRIVATE) {
                r |= (uint64_t)(1u << a->vcpu) << (8 * i); /* read-only: "this CPU" */
            } else {
                if (a->write) {
                    kick(vg, bank, intid); /* the old targets may lose it... */
                    q->targets = (uint8_t)(byte & all_vcpus(vg));
                }
                r |= (uint64_t)q->targets << (8 * i);
            }
            if (a->write)
                kick(vg, bank, intid); /* ...and the new ones may get it */
        }
    } else { /* ICFGR: 16 interrupts per word, bit 2i+1 = edge-triggered */
        if (a->size != 4)
            return bad_size(a);
        unsigned first = (unsigned)(off - GICD_ICFGR) / 4 * 16;
        for (unsigned i = 0; i < 16; i++) {
            unsigned intid = first + i;
            struct vgic_irq *q = intid >= lo && intid < hi ? irq_get(vg, bank, intid) : NULL;
            if (!q)
                continue;
            if (a->write && intid >= VGIC_NR_SGIS) { /* SGIs: always edge, read-only */
                bool edge = (v >> (2 * i + 1)) & 1;
                if (edge && !q->edge && q->line)
                    q->latch = true; /* becoming edge-triggered while high: keep it pending */
                q->edge = edge;
                kick(vg, bank, intid);
            }
            r |= (uint64_t)q->edge << (2 * i + 1);
        }
    }
    if (!a->write)
        *a->val = r;
    return VGIC_OK;
}

static void send_sgi(struct vgic *vg, unsigned from, unsigned to, unsigned sgi)
{
    struct vgic_irq *q = &vg->priv[to][sgi];
    if (vg->version == 2)
        q->sgi_sources |= (uint8_t)(1u << from);
    else
        q->latch = true;
    vg->kicks |= 1u << to;
}

/* GICv2 GICD_SGIR: TargetListFilter [25:24], CPUTargetList [23:16], INTID [3:0]. */
static int gicd_sgir(struct access *a)
{
    struct vgic *vg = a->vg;
    if (a->size != 4)
        return bad_size(a);
    if (!a->write)
        return raz_wi(a); /* write-only */
    uint32_t v = (uint32_t)*a->val, targets;
    switch ((v >> 24) & 3) {
    case 0: targets = (v >> 16) & 0xff; break;
    case 1: targets = all_vcpus(vg) & ~(1u << a->vcpu); break;
    case 2: targets = 1u << a->vcpu; break;
    default: return ignored(a, "reserved SGIR target filter", VGIC_BAD_ACCESS);
    }
    targets &= all_vcpus(vg);
    for (unsigned t = 0; t < vg->nr_vcpus; t++)
        if (targets & (1u << t))
            send_sgi(vg, a->vcpu, t, v & 0xf);
    return VGIC_OK;
}

/* GICv2 GICD_CPENDSGIR/SPENDSGIR: one byte per SGI of the accessing vCPU,
 * a bit per source vCPU. */
static int gicd_sgi_pend(struct access *a, bool set)
{
    struct vgic *vg = a->vg;
    if (a->size != 1 && a->size != 4)
        return bad_size(a);
    unsigned first = (unsigned)(a->off - (set ? GICD_SPENDSGIR : GICD_CPENDSGIR));
    uint64_t r = 0;
    for (unsigned i = 0; i < a->size; i++) {
        struct vgic_irq *q = &vg->priv[a->vcpu][first + i]; /* first + i < 16 by the caller's range */
        uint8_t byte = (uint8_t)(*a->val >> (8 * i)) & (uint8_t)all_vcpus(vg);
        if (a->write && set)
            q->sgi_sources |= byte;
        else if (a->write)
            q->sgi_sources &= (uint8_t)~byte;
        r |= (uint64_t)q->sgi_sources << (8 * i);
    }
    if (a->write)
        vg->kicks |= 1u << a->vcpu;
    else
        *a->val = r;
    return VGIC_OK;
}

static int ctlr(struct access *a, uint32_t fixed)
{
    struct vgic *vg = a->vg;
    if (a->size != 4)
        return bad_size(a);
    if (a->write) {
        vg->ctlr = (uint32_t)*a->val & CTLR_GRP_MASK;
        vg->kicks |= all_vcpus(vg);
    } else {
        *a->val = vg->ctlr | fixed;
    }
    return VGIC_OK;
}

static int gicd_v2(struct access *a)
{
    struct vgic *vg = a->vg;
    uint64_t off = a->off;
    if (off >= GICD_IGROUPR && off < GICD_BLOCK_END)
        return irq_block(a, a->vcpu, 0, vg->nr_irqs, true);
    if (off >= GICD_CPENDSGIR && off < GICD_CPENDSGIR + VGIC_NR_SGIS)
        return gicd_sgi_pend(a, false);
    if (off >= GICD_SPENDSGIR && off < GICD_SPENDSGIR + VGIC_NR_SGIS)
        return gicd_sgi_pend(a, true);
    if (off >= ID_V2_BASE && off < VGIC_GICD_SIZE_V2)
        return id_regs(a, ID_V2_BASE, PIDR2_V2);
    switch (off) {
    case GICD_CTLR: return ctlr(a, 0);
    case GICD_TYPER: return read_only(a, (vg->nr_irqs / 32 - 1) | (vg->nr_vcpus - 1) << 5);
    case GICD_IIDR: return read_only(a, IIDR_VALUE);
    case GICD_SGIR: return gicd_sgir(a);
    default: return unknown(a);
    }
}

/* GICv3 GICD_IROUTER<n>: 64 bits, or either 32-bit half. */
static int gicd_irouter(struct access *a)
{
    struct vgic *vg = a->vg;
    if (a->size != 8 && a->size != 4)
        return bad_size(a);
    unsigned intid = (unsigned)(a->off - GICD_IROUTER) / 8;
    if (intid < VGIC_NR_PRIVATE || intid >= vg->nr_irqs)
        return raz_wi(a); /* reserved for SGIs/PPIs, or no such SPI */
    uint64_t *r = &vg->irouter[intid - VGIC_NR_PRIVATE];
    unsigned shift = (a->off % 8) * 8; /* 32 for the upper half */
    uint64_t field = a->size == 8 ? ~0ull : 0xffffffffull << shift;
    if (a->write) {
        kick(vg, 0, intid); /* the old target */
        *r = ((*r & ~field) | ((*a->val << shift) & field)) & IROUTER_MASK;
        kick(vg, 0, intid); /* the new one */
    } else {
        *a->val = (*r & field) >> shift;
    }
    return VGIC_OK;
}

static int gicd_v3(struct access *a)
{
    struct vgic *vg = a->vg;
    uint64_t off = a->off;
    /* with affinity routing, SGIs and PPIs live in the redistributors */
    if (off >= GICD_IGROUPR && off < GICD_BLOCK_END)
        return irq_block(a, 0, VGIC_NR_PRIVATE, vg->nr_irqs, false);
    if (off >= GICD_IROUTER && off < GICD_IROUTER_END)
        return gicd_irouter(a);
    if ((off >= GICD_IGRPMODR && off < GICD_IGRPMODR + 0x80) || (off >= GICD_NSACR && off < GICD_NSACR + 0x100))
        return raz_wi(a); /* single security state */
    if (off >= ID_V3_BASE && off < VGIC_GICD_SIZE_V3)
        return id_regs(a, ID_V3_BASE, PIDR2_V3);
    switch (off) {
    case GICD_CTLR: return ctlr(a, CTLR_ARE | CTLR_DS);
    case GICD_TYPER: return read_only(a, (vg->nr_irqs / 32 - 1) | TYPER_IDBITS_10);
    case GICD_IIDR: return read_only(a, IIDR_VALUE);
    case GICD_TYPER2: return read_only(a, 0);
    case GICD_STATUSR: return a->size == 4 ? raz_wi(a) : bad_size(a);
    default: return unknown(a);
    }
}

/* GICR_TYPER: affinity [63:32], Processor_Number [23:8], Last [4]. */
static int gicr_typer(struct access *a, unsigned frame)
{
    struct vgic *vg = a->vg;
    if (a->size != 8 && a->size != 4)
        return bad_size(a);
    if (a->write)
        return ignored(a, "write to a read-only register", VGIC_BAD_ACCESS);
    uint64_t v = (uint64_t)aff32(vg->mpidr[frame]) << 32 | (uint64_t)frame << 8 |
                 (frame == vg->nr_vcpus - 1 ? 1u << 4 : 0);
    *a->val = a->size == 8 ? v : (uint32_t)(v >> ((a->off - GICR_TYPER) * 8));
    return VGIC_OK;
}

static int gicr_waker(struct access *a, unsigned frame)
{
    struct vgic *vg = a->vg;
    if (a->size != 4)
        return bad_size(a);
    if (a->write)
        vg->sleeping[frame] = (*a->val & WAKER_PROCESSOR_SLEEP) != 0;
    else
        *a->val = vg->sleeping[frame] ? WAKER_PROCESSOR_SLEEP | WAKER_CHILDREN_ASLEEP : 0;
    return VGIC_OK;
}

static int gicr(struct access *a)
{
    struct vgic *vg = a->vg;
    uint64_t frame64 = a->off / VGIC_GICR_STRIDE;
    if (frame64 >= vg->nr_vcpus)
        return unknown(a);
    unsigned frame = (unsigned)frame64;
    uint64_t off = a->off % VGIC_GICR_STRIDE;
    if (off >= VGIC_GICR_SGI_BASE) { /* the SGI_base frame */
        a->off = off -= VGIC_GICR_SGI_BASE;
        if (off >= GICD_IGROUPR && off < GICD_BLOCK_END)
            return irq_block(a, frame, 0, VGIC_NR_PRIVATE, false);
        if (off == GICD_IGRPMODR || off == GICD_NSACR)
            return a->size == 4 ? raz_wi(a) : bad_size(a);
        return unknown(a);
    }
    a->off = off;
    if (off >= ID_V3_BASE)
        return id_regs(a, ID_V3_BASE, PIDR2_V3);
    switch (off) {
    case GICR_CTLR: /* no LPIs: nothing to enable, never busy (RWP 0) */
    case GICR_STATUSR:
        return a->size == 4 ? raz_wi(a) : bad_size(a);
    case GICR_IIDR: return read_only(a, IIDR_VALUE);
    case GICR_TYPER:
    case GICR_TYPER + 4: return gicr_typer(a, frame);
    case GICR_WAKER: return gicr_waker(a, frame);
    case GICR_PROPBASER:
    case GICR_PENDBASER: return raz_wi(a); /* no LPIs */
    default: return unknown(a);
    }
}

static int mmio(struct vgic *vg, enum vgic_region r, unsigned vcpu, uint64_t offset, unsigned size, uint64_t *val,
                bool write)
{
    struct access a = { vg, vcpu, offset, offset, size, write, val };
    if (size != 1 && size != 2 && size != 4 && size != 8)
        return bad_size(&a);
    if (offset & (size - 1))
        return ignored(&a, "misaligned access", VGIC_BAD_ACCESS);
    if (r == VGIC_GICD)
        return vg->version == 2 ? gicd_v2(&a) : gicd_v3(&a);
    if (r == VGIC_GICR && vg->version == 3)
        return gicr(&a);
    return unknown(&a);
}

int vgic_mmio_read(struct vgic *vg, enum vgic_region r, unsigned vcpu, uint64_t offset, unsigned size,
                   uint64_t *value)
{
    if (!value)
        return VGIC_ERR_ARG;
    *value = 0;
    if (!vg || vcpu >= vg->nr_vcpus)
        return VGIC_ERR_ARG;
    return mmio(vg, r, vcpu, offset, size, value, false);
}

int vgic_mmio_write(struct vgic *vg, enum vgic_region r, unsigned vcpu, uint64_t offset, unsigned size,
                    uint64_t value)
{
    if (!vg || vcpu >= vg->nr_vcpus)
        return VGIC_ERR_ARG;
    /* only the bytes the guest wrote */
    if (size < 8)
        value &= (1ull << (8 * size)) - 1;
    return mmio(vg, r, vcpu, offset, size, &value, true);
}

/* ICC_SGI1R_EL1: Aff3 [55:48], IRM [40], RS [47:44], Aff2 [39:32], INTID
 * [27:24], Aff1 [23:16], TargetList [15:0] (Aff0 = RS * 16 + bit). */
int vgic_sgi1r_write(struct vgic *vg, unsigned vcpu, uint64_t v)
{
    if (!vg || vcpu >= vg->nr_vcpus || vg->version != 3)
        return VGIC_ERR_ARG;
    unsigned sgi = (v >> 24) & 0xf;
    bool all_but_self = (v >> 40) & 1;
    uint32_t aff321 = (uint32_t)((v >> 48) & 0xff) << 24 | (uint32_t)((v >> 32) & 0xff) << 16 |
                      (uint32_t)((v >> 16) & 0xff) << 8;
    unsigned rs = (v >> 44) & 0xf;
    for (unsigned t = 0; t < vg->nr_vcpus; t++) {
        uint32_t aff = aff32(vg->mpidr[t]);
        bool hit = all_but_self ? t != vcpu
                                : (aff & ~0xffu) == aff321 && (aff & 0xff) >> 4 == rs && ((v >> (aff & 0xf)) & 1);
        if (hit)
            send_sgi(vg, vcpu, t, sgi);
    }
    return VGIC_OK;
}

/* ------------------------------------------------------------ interrupts in and out */

int vgic_set_pending(struct vgic *vg, unsigned irq, unsigned vcpu)
{
    if (!vg)
        return VGIC_ERR_ARG;
    struct vgic_irq *q = irq_get(vg, irq < VGIC_NR_PRIVATE ? vcpu : 0, irq);
    if (!q)
        return VGIC_ERR_ARG;
    if (vg->version == 2 && irq < VGIC_NR_SGIS)
        q->sgi_sources |= (uint8_t)(1u << vcpu); /* vcpu < nr_vcpus: irq_get checked */
    else
        q->latch = true;
    kick(vg, vcpu, irq);
    return VGIC_OK;
}

int vgic_set_level(struct vgic *vg, unsigned irq, unsigned vcpu, bool level)
{
    if (!vg || irq < VGIC_NR_SGIS) /* SGIs have no line */
        return VGIC_ERR_ARG;
    struct vgic_irq *q = irq_get(vg, irq < VGIC_NR_PRIVATE ? vcpu : 0, irq);
    if (!q)
        return VGIC_ERR_ARG;
    if (level && !q->line && q->edge)
        q->latch = true;
    q->line = level;
    if (level)
        kick(vg, vcpu, irq);
    return VGIC_OK;
}

int vgic_next_to_inject(const struct vgic *vg, unsigned vcpu, unsigned *irq, uint8_t *priority)
{
    if (!vg || !irq || !priority || vcpu >= vg->nr_vcpus)
        return VGIC_ERR_ARG;
    int found = 0;
    for (unsigned intid = 0; intid < vg->nr_irqs; intid++) {
        const struct vgic_irq *q = irq_peek(vg, vcpu, intid);
        /* strictly better only: on equal priority the lowest INTID wins */
        if (deliverable(vg, vcpu, intid, q) && (!found || q->priority < *priority)) {
            *irq = intid;
            *priority = q->priority;
            found = 1;
        }
    }
    return found;
}

unsigned vgic_irq_group(const struct vgic *vg, unsigned vcpu, unsigned irq)
{
    const struct vgic_irq *q = vg && vcpu < vg->nr_vcpus ? irq_peek(vg, vcpu, irq) : NULL;
    return q ? q->group1 : 0;
}

int vgic_injected(struct vgic *vg, unsigned vcpu, unsigned irq)
{
    if (!vg || vcpu >= vg->nr_vcpus)
        return VGIC_ERR_ARG;
    struct vgic_irq *q = irq_get(vg, vcpu, irq);
    if (!q)
        return VGIC_ERR_ARG;
    if (!deliverable(vg, vcpu, irq, q))
        return VGIC_ERR_STATE;
    q->in_lr = true;
    q->lr_vcpu = (uint8_t)vcpu;
    if (q->sgi_sources)
        q->sgi_sources &= (uint8_t)(q->sgi_sources - 1); /* one source at a time: the lowest */
    else
        q->latch = false;
    return VGIC_OK;
}

int vgic_eoi(struct vgic *vg, unsigned vcpu, unsigned irq)
{
    if (!vg || vcpu >= vg->nr_vcpus)
        return VGIC_ERR_ARG;
    struct vgic_irq *q = irq_get(vg, vcpu, irq);
    if (!q)
        return VGIC_ERR_ARG;
    if (!q->in_lr || q->lr_vcpu != vcpu)
        return VGIC_ERR_STATE;
    q->in_lr = false;
    q->active = false;
    if (is_pending(q))
        kick(vg, vcpu, irq);
    return VGIC_OK;
}

bool vgic_lr_is_free(const struct vgic *vg, unsigned vcpu, unsigned lr)
{
    return vg && vcpu < vg->nr_vcpus && lr < VGIC_MAX_LRS && vg->lr[vcpu][lr] == VGIC_LR_FREE;
}

int vgic_lr_taken(struct vgic *vg, unsigned vcpu, unsigned lr, unsigned irq)
{
    if (!vg || vcpu >= vg->nr_vcpus || lr >= VGIC_MAX_LRS)
        return VGIC_ERR_ARG;
    if (vg->lr[vcpu][lr] != VGIC_LR_FREE)
        return VGIC_ERR_STATE;
    int err = vgic_injected(vg, vcpu, irq);
    if (err == VGIC_OK)
        vg->lr[vcpu][lr] = (uint16_t)irq; /* irq < VGIC_MAX_IRQS: vgic_injected checked */
    return err;
}

int vgic_lr_ended(struct vgic *vg, unsigned vcpu, unsigned lr, unsigned *irq)
{
    if (!vg || !irq || vcpu >= vg->nr_vcpus || lr >= VGIC_MAX_LRS)
        return VGIC_ERR_ARG;
    if (vg->lr[vcpu][lr] == VGIC_LR_FREE)
        return VGIC_ERR_STATE;
    *irq = vg->lr[vcpu][lr];
    vg->lr[vcpu][lr] = VGIC_LR_FREE;
    return vgic_eoi(vg, vcpu, *irq);
}

uint32_t vgic_take_kicks(struct vgic *vg)
{
    if (!vg)
        return 0;
    uint32_t k = vg->kicks & all_vcpus(vg);
    vg->kicks = 0;
    return k;
}
