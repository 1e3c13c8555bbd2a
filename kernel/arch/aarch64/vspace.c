/* Stage-2 address spaces: the VSpace (level-1 root table with its VMID),
 * page tables (levels 2 and 3) and frames (4 KiB at level 3, 2 MiB at
 * level 2, or at level 3 as 512 page entries filling a page table mapped
 * there first). Native threads and guests are translated by these.
 *
 * A frame capability records its one mapping (VMID, root, address); a page
 * table capability cannot be copied, so each table has at most one mapping.
 * Mappings are checked against the live tables before they are undone, so
 * stale records (of a VSpace already destroyed) are harmless. */
#include "kernel.h"
#include "arch.h"
#include "invocation.h"
#include "cnode.h"
#include "util.h"

#define PTE_VALID 0x1ull
#define PTE_TABLE 0x3ull
#define PTE_PAGE 0x3ull
#define PTE_BLOCK 0x1ull
#define PTE_TYPE_MASK 0x3ull
#define PTE_ADDR_MASK 0x0000fffffffff000ull
#define PTE_AF (1ull << 10)
#define PTE_SH_INNER (3ull << 8)
#define PTE_S2AP_READ (1ull << 6)
#define PTE_S2AP_WRITE (2ull << 6)
#define PTE_XN (1ull << 54)
#define PTE_MEMATTR_CACHED (0xfull << 2)
#define PTE_MEMATTR_UNCACHED (0x5ull << 2)
#define PTE_MEMATTR_DEVICE (0x1ull << 2)

#define NUM_VMIDS 256
static word_t vmid_root[NUM_VMIDS];  /* root table of each VMID in use; 0 = free */
static uint64_t empty_root[512] __attribute__((aligned(4096)));

static uint64_t *table_of(uint64_t pte) { return (uint64_t *)(uintptr_t)(pte & PTE_ADDR_MASK); }
static unsigned index_at(word_t va, unsigned level) { return (va >> (39 - 9 * level)) & 511; }

/* A new VSpace has no VMID: it cannot be mapped into, copied or run until
 * a pool assigns one. Until then it stands for the empty space. */
void vspace_init_object(struct cap *c)
{
    c->vmid = 0;
    c->a = vspace_empty_vttbr;
}

static void vspace_take_vmid(struct cap *c, unsigned v)
{
    vmid_root[v] = c->obj;
    c->vmid = (uint8_t)v;
    c->a = ((uint64_t)v << 48) | c->obj;
}

/* The root task's VSpace, made at boot, before there are pools. */
void vspace_init_boot(struct cap *c)
{
    vspace_take_vmid(c, 1);
}

/* A pool owns VMIDs [first, first + count): pools never overlap, so what a
 * component does with its pool never denies another a VMID. A pool's range
 * is free for a new pool once its last capability is gone; VSpaces keep the
 * VMIDs they were given until they are destroyed, and a new pool over the
 * range hands out only the free ones. */
static bool vmid_pooled[NUM_VMIDS];

ic_err_t vmid_control_invoke_make_pool(struct invocation *inv)
{
    word_t first = inv->args[0], count = inv->args[1];
    struct cte *root = inv->caps[0], *dest;
    if (first == 0 || count == 0 || first >= NUM_VMIDS || count > NUM_VMIDS - first)
        return IC_RANGE_ERROR;
    for (word_t v = first; v < first + count; v++)
        if (vmid_pooled[v])
            return IC_REVOKE_FIRST;
    ic_err_t err = cnode_empty_slot(root, inv->args[2], (unsigned)inv->args[3], &dest);
    if (err)
        return err;
    struct cap c = cap_null();
    c.type = CAP_VMID_POOL;
    c.obj = first;
    c.a = count;
    cap_insert(dest, c, inv->slot);
    for (word_t v = first; v < first + count; v++)
        vmid_pooled[v] = true;
    return IC_OK;
}

void vmid_pool_finalise(struct cap *c)
{
    for (word_t v = c->obj; v < c->obj + c->a; v++)
        vmid_pooled[v] = false;
}

/* Its only capability is the one invoked (cap_derive refuses to copy a
 * VSpace without a VMID), so no copy is left without the VMID. */
ic_err_t vmid_pool_invoke_assign(struct invocation *inv)
{
    struct cap *pool = &inv->slot->cap, *vs = &inv->caps[0]->cap;
    if (vs->type != CAP_VSPACE)
        return IC_INVALID_CAPABILITY;
    if (vs->vmid)
        return IC_ILLEGAL_OPERATION;
    for (word_t v = pool->obj; v < pool->obj + pool->a; v++) {
        if (!vmid_root[v]) {
            vspace_take_vmid(vs, (unsigned)v);
            return IC_OK;
        }
    }
    return IC_NOT_ENOUGH_MEMORY;
}

/* No CPU may walk the tables or use the VMID once they are free: every CPU
 * has switched away (smp_vspace_removed, from the deletion), then the
 * VMID's TLB entries go. */
void vspace_finalise(struct cap *c)
{
    if (!c->vmid)
        return;
    arch_tlb_flush_vmid(c->vmid);
    vmid_root[c->vmid] = 0;
}

/* What a thread without a VSpace runs on: an empty table, VMID 0. */
uint64_t vspace_empty_vttbr;

void vspace_init(void)
{
    vspace_empty_vttbr = (uint64_t)(uintptr_t)empty_root;
}

/* The entry for 'va' at 'level' (1..3) in the tables below 'root', or NULL
 * when a table on the way is missing. */
static uint64_t *lookup_entry(word_t root, word_t va, unsigned level)
{
    uint64_t *table = (uint64_t *)(uintptr_t)root;
    for (unsigned l = 1; l < level; l++) {
        uint64_t pte = table[index_at(va, l)];
        if ((pte & PTE_TYPE_MASK) != PTE_TABLE)
            return NULL;
        table = table_of(pte);
    }
    return &table[index_at(va, level)];
}

static bool mapping_live(const struct cap *c)
{
    return c->vmid != 0 && vmid_root[c->vmid] == c->a;
}

static void clear_mapping(struct cap *c)
{
    c->vmid = 0;
    c->a = 0;
    c->b = 0;
    c->level = 0;
}

static void write_pte(uint64_t *e, uint64_t v)
{
    *(volatile uint64_t *)e = v;
    dsb_ishst();
}

ic_err_t page_table_invoke_map(struct invocation *inv)
{
    return vspace_map_table(&inv->slot->cap, &inv->caps[0]->cap, inv->args[0]);
}

ic_err_t vspace_map_table(struct cap *pt, const struct cap *vs, word_t va)
{
    if (vs->type != CAP_VSPACE || !vs->vmid)
        return IC_INVALID_CAPABILITY;
    if (pt->vmid)
        return IC_ILLEGAL_OPERATION;
    if (va >> IC_VSPACE_BITS)
        return IC_RANGE_ERROR;
    /* the first missing level on the way to 'va' gets the table */
    uint64_t *l1 = lookup_entry(vs->obj, va, 1);
    uint64_t *e = l1;
    unsigned level = 2;
    if ((*l1 & PTE_TYPE_MASK) == PTE_TABLE) {
        e = lookup_entry(vs->obj, va, 2);
        level = 3;
        if (*e & PTE_VALID)
            return IC_DELETE_FIRST;
    }
    write_pte(e, pt->obj | PTE_TABLE);
    pt->vmid = vs->vmid;
    pt->a = vs->obj;
    pt->level = (uint8_t)level;
    pt->b = va & ~MASK(39 - 9 * (level - 1));
    return IC_OK;
}

static void page_table_unmap(struct cap *pt)
{
    if (mapping_live(pt)) {
        uint64_t *e = lookup_entry(pt->a, pt->b, pt->level - 1);
        if (e && (*e & PTE_TYPE_MASK) == PTE_TABLE && (*e & PTE_ADDR_MASK) == pt->obj) {
            write_pte(e, 0);
            arch_tlb_flush_vmid(pt->vmid);
        }
    }
    clear_mapping(pt);
}

ic_err_t page_table_invoke_unmap(struct invocation *inv)
{
    struct cap *pt = &inv->slot->cap;
    page_table_unmap(pt);
    /* a table that is mapped again must not bring old mappings along */
    memset((void *)(uintptr_t)pt->obj, 0, BIT(IC_PAGE_TABLE_SIZE_BITS));
    dsb_ishst();
    return IC_OK;
}

void page_table_finalise(struct cap *c)
{
    page_table_unmap(c);
}

ic_err_t frame_invoke_map(struct invocation *inv)
{
    return vspace_map_frame(&inv->slot->cap, &inv->caps[0]->cap, inv->args[0], inv->args[1], inv->args[2]);
}

ic_err_t vspace_map_frame(struct cap *f, const struct cap *vs, word_t va, word_t rights, word_t attrs)
{
    rights &= f->rights;
    unsigned level = f->size_bits == IC_PAGE_BITS ? 3 : 2;
    if (vs->type != CAP_VSPACE || !vs->vmid)
        return IC_INVALID_CAPABILITY;
    if (f->vmid)
        return IC_ILLEGAL_OPERATION;
    if (!IS_ALIGNED(va, f->size_bits))
        return IC_ALIGNMENT_ERROR;
    if (va >> IC_VSPACE_BITS)
        return IC_RANGE_ERROR;
    if (attrs > IC_ATTR_DEVICE || !(rights & IC_RIGHT_READ))
        return IC_INVALID_ARGUMENT;
    uint64_t *e = lookup_entry(vs->obj, va, level);
    if (!e)
        return IC_FAILED_LOOKUP;
    /* a 2 MiB frame where a page table covers its 2 MiB: 512 page entries */
    unsigned entries = 1;
    if (level == 2 && (*e & PTE_TYPE_MASK) == PTE_TABLE) {
        level = 3;
        entries = 512;
        e = table_of(*e);
        for (unsigned i = 0; i < entries; i++)
            if (e[i] & PTE_VALID)
                return IC_DELETE_FIRST;
    }
    if (*e & PTE_VALID)
        return IC_DELETE_FIRST;

    if (f->flags & CAPF_DEVICE)
        attrs = IC_ATTR_DEVICE;
    uint64_t pte = f->obj | PTE_AF | (level == 3 ? PTE_PAGE : PTE_BLOCK) | PTE_S2AP_READ;
    if (rights & IC_RIGHT_WRITE)
        pte |= PTE_S2AP_WRITE;
    if (!(rights & IC_RIGHT_EXECUTE) || attrs == IC_ATTR_DEVICE)
        pte |= PTE_XN;
    pte |= attrs == IC_ATTR_CACHED ? PTE_MEMATTR_CACHED | PTE_SH_INNER
         : attrs == IC_ATTR_UNCACHED ? PTE_MEMATTR_UNCACHED | PTE_SH_INNER
         : PTE_MEMATTR_DEVICE;
    for (unsigned i = 0; i < entries; i++)
        e[i] = pte + ((uint64_t)i << IC_PAGE_BITS);
    dsb_ishst();
    f->vmid = vs->vmid;
    f->a = vs->obj;
    f->b = va;
    f->level = (uint8_t)level;
    return IC_OK;
}

void frame_unmap_cap(struct cap *f)
{
    if (mapping_live(f)) {
        uint64_t *e = lookup_entry(f->a, f->b, f->level);
        /* a 2 MiB frame at level 3 took a whole table of page entries */
        unsigned entries = f->level == 3 ? (unsigned)BIT(f->size_bits - IC_PAGE_BITS) : 1;
        if (e && (*e & PTE_VALID) && (*e & PTE_TYPE_MASK) == (f->level == 3 ? PTE_PAGE : PTE_BLOCK) &&
            (*e & PTE_ADDR_MASK) == f->obj) {
            for (unsigned i = 0; i < entries; i++)
                e[i] = 0;
            dsb_ishst();
            arch_tlb_flush_vmid(f->vmid);
        }
    }
    clear_mapping(f);
}

ic_err_t frame_invoke_unmap(struct invocation *inv)
{
    frame_unmap_cap(&inv->slot->cap);
    return IC_OK;
}

ic_err_t frame_invoke_get_address(struct invocation *inv)
{
    invocation_result(inv, inv->slot->cap.obj);
    return IC_OK;
}

/* What its holder wrote is then seen by every observer: instruction fetches
 * and readers that bypass the data caches (a guest starting with its MMU
 * off, a device). A bounded range a call, so that the lock is not held
 * long; 2 MiB frames take several calls. */
#define FRAME_CLEAN_MAX (64 * 1024)

ic_err_t frame_invoke_clean(struct invocation *inv)
{
    const struct cap *f = &inv->slot->cap;
    word_t offset = inv->args[0], length = inv->args[1];
    if (f->flags & CAPF_DEVICE)
        return IC_INVALID_CAPABILITY;
    if (length == 0 || length > FRAME_CLEAN_MAX || offset >= BIT(f->size_bits) ||
        length > BIT(f->size_bits) - offset)
        return IC_RANGE_ERROR;
    arch_clean_for_fetch(f->obj + offset, length);
    return IC_OK;
}
