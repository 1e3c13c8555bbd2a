/* Realms from the pool (realm.h). Every piece of the pool a realm holds is
 * one untyped capability of the buddy allocator (lib/untyped) with the
 * realm's object made from it, so that destroying the realm is revoking
 * those pieces, retyping each once more so that the kernel zeroes and
 * cleans it, and giving them back: nothing a realm held can reach the next
 * one. */
#include <icecap/env.h>
#include <icecap/protocols/console_stubs.h>
#include <untyped/buddy.h>
#include "block.h"
#include "heap.h"
#include "realm.h"

extern struct heap rs_heap;

#define ROOT IC_SLOT_ROOT_CNODE
#define PAGE 4096ull
#define LARGE (2ull << 20)
/* a realm frame is mapped here, one at a time, while its contents are
 * copied in: 2 MiB frames at the first, 4 KiB ones (under a level-3
 * table) at the second */
#define WINDOW_VA_LARGE 0x40000000ull
#define WINDOW_VA_SMALL 0x40200000ull
/* the private copies of specs: one 1 GiB stretch of address space each */
#define SPEC_VA_BASE (4ull << 30)
#define SPEC_VA_STRIDE (1ull << 30)
#define SPEC_VA_COUNT 256u
#define MAX_PIECES 8192u

/* ---- slots: a bitmap over the upper part of the CNode (ic_slot() has the
 * lower part, for the server's own objects) */
static uint64_t *slot_used;
static ic_cptr_t slot_first, slot_end;
/* the first of the two halves' slots of each split piece, by its slot */
static ic_cptr_t *split_halves;

static ic_cptr_t slots_alloc(unsigned n)
{
    for (ic_cptr_t s = slot_first; s + n <= slot_end; s++) {
        unsigned k = 0;
        while (k < n && !(slot_used[(s + k) / 64] >> ((s + k) % 64) & 1))
            k++;
        if (k == n) {
            for (k = 0; k < n; k++)
                slot_used[(s + k) / 64] |= 1ull << ((s + k) % 64);
            return s;
        }
        s += k;
    }
    return 0;
}

static void slots_free(ic_cptr_t s, unsigned n)
{
    for (unsigned k = 0; k < n; k++)
        slot_used[(s + k) / 64] &= ~(1ull << ((s + k) % 64));
}

/* ---- the pool */
static struct buddy pool;
static uint64_t pool_bytes;

static int split(void *ctx, uint64_t parent, unsigned child_bits, uint64_t caps[2])
{
    (void)ctx;
    ic_cptr_t s = slots_alloc(2);
    if (!s)
        return -1;
    if (ic_untyped_retype(parent, IC_OBJ_UNTYPED, child_bits, ROOT, 64, s, 2, ROOT)) {
        slots_free(s, 2);
        return -1;
    }
    split_halves[parent] = s;
    caps[0] = s;
    caps[1] = s + 1;
    return 0;
}

static int join(void *ctx, uint64_t parent)
{
    (void)ctx;
    if (ic_cnode_revoke(ROOT, parent, 64))
        return -1;
    slots_free(split_halves[parent], 2);
    return 0;
}

static const struct buddy_ops pool_ops = { split, join };

void pool_init(unsigned own_bits)
{
    const ic_bootinfo_t *bi = ic_env.bi;
    ic_cptr_t whole = ic_env.pool;
    unsigned bits = bi->untyped_list[0].size_bits;
    /* the bookkeeping comes from the upper slots, made before the pool
     * is split: from the whole, which is then split by the buddy (an
     * untyped with children cannot be split, so these come first) */
    slot_end = 1ull << bi->cnode_bits;
    slot_first = slot_end / 2;
    ic_cptr_t own = slot_end - 1;
    /* the server's own share first, split off by hand (whole -> halves
     * until one of own_bits): the buddy's arrays are made from it */
    ic_cptr_t cur = whole;
    uint64_t paddr = bi->untyped_list[0].paddr;
    ic_cptr_t free_halves[48];
    unsigned free_bits[48], nfree = 0;
    uint64_t free_paddr[48];
    for (unsigned b = bits; b > own_bits; b--) {
        ic_cptr_t s = own - 2 * (bits - b) - 1;
        ic_check(ic_untyped_retype(cur, IC_OBJ_UNTYPED, b - 1, ROOT, 64, s, 2, ROOT), "splitting the pool");
        /* keep the lower half, free the upper */
        free_halves[nfree] = s + 1;
        free_bits[nfree] = b - 1;
        free_paddr[nfree] = paddr + (1ull << (b - 1));
        nfree++;
        cur = s;
    }
    ic_env.pool = cur;
    slot_end = own - 2 * (bits - own_bits) - 1;
    if (ic_env.next_slot >= slot_first)
        ic_die("sharing its CNode between its own objects and realms", IC_NOT_ENOUGH_MEMORY);
    slot_used = ic_alloc_pages((slot_end / 64 + 1) * 8);
    split_halves = ic_alloc_pages(slot_end * sizeof(*split_halves));
    struct buddy_piece *p = ic_alloc_pages(MAX_PIECES * sizeof(*p));
    buddy_init(&pool, p, MAX_PIECES, &pool_ops, NULL);
    for (unsigned i = 0; i < nfree; i++) {
        ic_check(buddy_add(&pool, free_halves[i], free_paddr[i], free_bits[i], false) ? IC_NOT_ENOUGH_MEMORY : 0,
                 "adding memory to the pool");
        pool_bytes += 1ull << free_bits[i];
    }
}

uint64_t pool_total(void) { return pool_bytes; }
uint64_t pool_free(void) { return buddy_free_bytes(&pool, false); }

static unsigned log2_up(uint64_t v)
{
    unsigned b = 0;
    while ((1ull << b) < v)
        b++;
    return b;
}

/* The first kernel error of a build (realm_build answers it). */
static ic_err_t kernel_err;

static bool ok(ic_err_t e)
{
    if (e && !kernel_err)
        kernel_err = e;
    return !e;
}

/* A piece of 2^bits bytes made into 'count' objects of 'type'. 0, or
 * -RB_NO_MEMORY, -RB_INTERNAL (the kernel's error in kernel_err). */
static int take_object(struct realm_object *o, unsigned bits, uint8_t type, uint8_t size_bits, unsigned count)
{
    if (bits < BUDDY_MIN_BITS)
        bits = BUDDY_MIN_BITS;
    int b = buddy_take(&pool, BUDDY_ANY_ADDRESS, bits, false, &o->piece);
    if (b == BUDDY_ERR_NO_MEMORY)
        return -RB_NO_MEMORY;
    if (b)
        return -RB_INTERNAL;
    ic_cptr_t s = slots_alloc(count);
    if (!s) {
        buddy_give_back(&pool, o->piece);
        return -RB_NO_MEMORY;
    }
    if (!ok(ic_untyped_retype(pool.pieces[o->piece].cap, type, size_bits, ROOT, 64, s, count, ROOT))) {
        slots_free(s, count);
        buddy_give_back(&pool, o->piece);
        return -RB_INTERNAL;
    }
    o->type = type;
    o->size_bits = size_bits;
    o->count = (uint16_t)count;
    o->cap = s;
    return 0;
}

/* Destroys what was made from the piece, has the kernel zero it (a retype
 * of the same objects, deleted again) and gives it back. */
static void give_object(struct realm_object *o)
{
    ic_cptr_t ut = pool.pieces[o->piece].cap;
    ic_check(ic_cnode_revoke(ROOT, ut, 64), "destroying a realm's objects");
    ic_check(ic_untyped_retype(ut, o->type, o->size_bits, ROOT, 64, o->cap, o->count, ROOT),
             "zeroing a realm's memory");
    ic_check(ic_cnode_revoke(ROOT, ut, 64), "zeroing a realm's memory");
    slots_free(o->cap, o->count);
    ic_check(buddy_give_back(&pool, o->piece) ? IC_INVALID_ARGUMENT : 0, "giving memory back to the pool");
}

/* ---- the private copy of a spec */
static uint64_t spec_va_used[SPEC_VA_COUNT / 64];

int realm_alloc_spec(struct realm *r, uint64_t size, uint64_t *needed)
{
    uint32_t n = (uint32_t)((size + LARGE - 1) / LARGE);
    unsigned va = 0;
    while (va < SPEC_VA_COUNT && (spec_va_used[va / 64] >> (va % 64) & 1))
        va++;
    r->spec_frames = heap_alloc(&rs_heap, n * sizeof(*r->spec_frames));
    if (va == SPEC_VA_COUNT || !r->spec_frames || (uint64_t)n * LARGE > pool_free()) {
        heap_free(&rs_heap, r->spec_frames);
        r->spec_frames = NULL;
        *needed = (uint64_t)n * LARGE;
        return -RB_NO_MEMORY;
    }
    spec_va_used[va / 64] |= 1ull << (va % 64);
    r->spec_va = SPEC_VA_BASE + va * SPEC_VA_STRIDE;
    r->spec_size = size;
    for (r->spec_pieces = 0; r->spec_pieces < n; r->spec_pieces++) {
        struct realm_object *o = &r->spec_frames[r->spec_pieces];
        if (take_object(o, 21, IC_OBJ_FRAME_2M, 0, 1)) {
            *needed = (uint64_t)n * LARGE;
            realm_free_spec(r);
            return -RB_NO_MEMORY;
        }
        ic_map_frame(IC_SLOT_ROOT_VSPACE, o->cap, r->spec_va + (uint64_t)r->spec_pieces * LARGE,
                     IC_RIGHT_READ | IC_RIGHT_WRITE, IC_ATTR_CACHED);
        r->held += LARGE;
    }
    return 0;
}

void realm_free_spec(struct realm *r)
{
    for (uint32_t i = 0; i < r->spec_pieces; i++) {
        give_object(&r->spec_frames[i]);
        r->held -= LARGE;
    }
    if (r->spec_frames) {
        unsigned va = (unsigned)((r->spec_va - SPEC_VA_BASE) / SPEC_VA_STRIDE);
        spec_va_used[va / 64] &= ~(1ull << (va % 64));
    }
    heap_free(&rs_heap, r->spec_frames);
    r->spec_frames = NULL;
    r->spec_pieces = 0;
    r->spec_size = 0;
}

/* ---- building */

void realm_limits(struct realm_spec_limits *lim)
{
    /* the object table and the extra capabilities of a realm live in the
     * heap: a spec whose tables would not fit is refused by its counts */
    uint64_t room = heap_largest(&rs_heap) / (sizeof(struct realm_object) + sizeof(ic_cptr_t));
    uint64_t slots = 0;
    for (ic_cptr_t s = slot_first; s < slot_end; s++)
        slots += !(slot_used[s / 64] >> (s % 64) & 1);
    /* each object takes its slot and, at worst, two for splits */
    uint64_t objects = slots / 3 < room ? slots / 3 : room;
    if (objects > 0xffffffffu)
        objects = 0xffffffffu;
    *lim = (struct realm_spec_limits){
        .max_objects = (uint32_t)objects,
        .max_caps = 1u << 20,
        .max_mappings = (uint32_t)objects,
        .max_tcbs = (uint32_t)objects,
        .max_connections = 16,
        .max_chunks = 1u << 24,
        .max_cnode_radix = 12,
        /* below the serial server's and the host VMM's */
        .max_priority = 199,
        .num_cpus = (uint8_t)ic_env.bi->num_cpus,
        .max_conn_bytes = 1u << 20,
        .pool_bytes = pool_free(),
    };
}

/* A copy of capability 'src' (in the server's CSpace) in slot 'slot' of
 * 'cnode' (radix 'depth'), badged if 'badge' is not 0. */
static ic_err_t place(ic_cptr_t cnode, ic_word_t slot, ic_word_t depth, ic_cptr_t src, ic_word_t rights,
                      ic_word_t badge)
{
    if (badge)
        return ic_cnode_mint(cnode, slot, depth, src, 64, rights, badge, ROOT);
    return ic_cnode_copy(cnode, slot, depth, src, 64, rights, ROOT);
}

static ic_cptr_t copy_of(struct realm *r, ic_cptr_t cap, ic_word_t rights, ic_word_t badge)
{
    if (r->num_copies == r->max_copies)
        return 0;
    ic_cptr_t s = slots_alloc(1);
    if (!s)
        return 0;
    if (!ok(place(ROOT, s, 64, cap, rights, badge))) {
        slots_free(s, 1);
        return 0;
    }
    r->copies[r->num_copies++] = s;
    return s;
}

static uint64_t window_of(const struct realm_object *f)
{
    return f->type == IC_OBJ_FRAME_2M ? WINDOW_VA_LARGE : WINDOW_VA_SMALL;
}

/* A frame of the realm mapped at its window (through a copy of its
 * capability), the bytes of the chunk copied in. */
static bool load_chunk(struct realm *r, const struct realm_spec_view *v, const struct rs_chunk *c,
                       ic_cptr_t *mapped, uint32_t *mapped_frame)
{
    const struct realm_object *f = &r->objects[c->frame];
    if (*mapped_frame != c->frame) {
        if (*mapped) {
            ok(ic_frame_clean(*mapped, 0, r->objects[*mapped_frame].type == IC_OBJ_FRAME_2M ? LARGE : PAGE));
            ok(ic_frame_unmap(*mapped));
        }
        *mapped = copy_of(r, f->cap, IC_RIGHT_READ | IC_RIGHT_WRITE, 0);
        if (!*mapped)
            return false;
        ic_map_frame(IC_SLOT_ROOT_VSPACE, *mapped, window_of(f), IC_RIGHT_READ | IC_RIGHT_WRITE, IC_ATTR_CACHED);
        *mapped_frame = c->frame;
    }
    const uint8_t *src = v->base + c->file_offset;
    uint8_t *dst = (uint8_t *)(uintptr_t)(window_of(f) + c->offset);
    for (uint64_t i = 0; i < c->length; i++)
        dst[i] = src[i];
    return true;
}

/* ---- consoles (docs/resource-server.md, "Consoles"): the serial server's
 * endpoint and the channel capability every realm VMM gets a copy of */
static ic_cptr_t console_ep, console_channel;

void realm_consoles_init(ic_cptr_t endpoint, ic_cptr_t channel)
{
    console_ep = endpoint;
    console_channel = channel;
}

/* The serial server's calls for realm r's console (abi/protocols/
 * console.tbl): open, each page of the region (a copy that may only be
 * read and written), then start with a copy of its VMM's notification
 * that may only signal it, badged REALM_CONSOLE_BADGE. The copies go
 * through 'scratch' and are deleted there once sent: the serial server's
 * own are children of the realm's objects all the same, which revoking
 * them deletes. *opened: the serial server has the console (close it if
 * a later step fails); *what: the step that failed. */
static ic_err_t console_calls(const struct realm *r, const struct realm_object *region, uint64_t pages,
                              ic_cptr_t ntfn, ic_cptr_t scratch, bool *opened, const char **what)
{
    *what = "open";
    ic_err_t e = ic_console_open(console_ep, r->id, pages);
    *opened = !e;
    for (uint64_t i = 0; !e && i < pages; i++) {
        *what = "frame";
        e = ic_cnode_copy(ROOT, scratch, 64, region->cap + i, 64, IC_RIGHT_READ | IC_RIGHT_WRITE, ROOT);
        if (!e) {
            e = ic_console_frame(console_ep, r->id, i, scratch);
            ic_cnode_delete(ROOT, scratch, 64);
        }
    }
    if (e)
        return e;
    *what = "start";
    e = ic_cnode_mint(ROOT, scratch, 64, ntfn, 64, IC_RIGHT_WRITE, REALM_CONSOLE_BADGE, ROOT);
    if (!e) {
        e = ic_console_start(console_ep, r->id, scratch, NULL);
        ic_cnode_delete(ROOT, scratch, 64);
    }
    return e;
}

/* Connects the realm's console connection c (its region: objects[region])
 * to the serial server and puts a copy of the channel capability, which
 * may only signal, in its slot. Only one console a realm (the serial
 * server knows it by the realm's id), its notification the realm's first.
 * Nothing here fails the realm: a console the serial server does not take
 * stays unconnected, its slot empty, and a log line says why. */
static void connect_console(struct realm *r, const struct realm_spec_view *v, const struct rs_connection *c,
                            uint32_t region)
{
    uint32_t nobj = v->count[RS_TAB_OBJECTS], n = 0;
    while (n < nobj && r->objects[n].type != IC_OBJ_NOTIFICATION)
        n++;
    ic_cptr_t scratch = 0;
    bool opened = false;
    const char *what;
    ic_err_t e = IC_FAILED_LOOKUP;
    if (r->console)
        what = "one console a realm: this is its second", e = IC_ILLEGAL_OPERATION;
    else if (!console_ep || !console_channel)
        what = "no endpoint or channel to the serial server";
    else if (n == nobj)
        what = "no notification for it in the realm";
    else if (!(scratch = slots_alloc(1)))
        what = "a free slot", e = IC_NOT_ENOUGH_MEMORY;
    else
        e = console_calls(r, &r->objects[region], c->size / PAGE, r->objects[n].cap, scratch, &opened, &what);
    if (!e) {
        struct rs_object cn;
        realm_spec_object(v, c->cnode, &cn);
        what = "its slot";
        e = place(r->objects[c->cnode].cap, c->slot, cn.size_bits, console_channel, IC_RIGHT_WRITE, 0);
    }
    if (scratch)
        slots_free(scratch, 1);
    if (e && opened)
        ic_console_close(console_ep, r->id);
    if (e)
        ic_printf("resource-server: realm %u: its console is not connected (%s: error %u)\n", (unsigned)r->id,
                  what, (unsigned)e);
    else
        r->console = true;
}

/* The realm's next piece (objects[num_objects]), counted in what it holds. */
static int hold(struct realm *r, unsigned bits, uint8_t type, uint8_t size_bits, unsigned count)
{
    struct realm_object *o = &r->objects[r->num_objects];
    int t = take_object(o, bits, type, size_bits, count);
    if (!t) {
        r->num_objects++;
        r->held += 1ull << pool.pieces[o->piece].bits;
    }
    return t;
}

/* The rank of a VCPU among the bound ones: vCPU i's fault badge. */
#define VCPU_FAULT_BADGE(i) (1ull << 8 << (i))

int realm_build(struct realm *r, const struct realm_spec_view *v, uint64_t *needed, uint64_t *err_out)
{
    uint32_t nobj = v->count[RS_TAB_OBJECTS], nconn = v->count[RS_TAB_CONNECTIONS];
    kernel_err = 0;
    r->max_objects = nobj + nconn;
    r->max_copies = v->count[RS_TAB_MAPPINGS] + v->count[RS_TAB_TCBS] + 1;
    r->objects = heap_alloc(&rs_heap, r->max_objects * sizeof(*r->objects));
    r->copies = heap_alloc(&rs_heap, r->max_copies * sizeof(*r->copies));
    int status = -RB_NO_MEMORY;
    if (!r->objects || !r->copies)
        goto fail;

    /* objects, in spec order, then connection regions */
    for (uint32_t i = 0; i < nobj; i++) {
        struct rs_object o;
        realm_spec_object(v, i, &o);
        unsigned bits = log2_up(realm_spec_object_bytes(o.type, o.size_bits));
        int t = hold(r, bits, o.type, o.size_bits, 1);
        if (t) {
            status = t;
            goto fail;
        }
        if (o.type == IC_OBJ_VSPACE && !ok(ic_vmid_pool_assign(IC_SLOT_VMIDS, r->objects[i].cap)))
            goto internal;
        if (o.type == IC_OBJ_VCPU)
            r->vcpus++;
    }
    for (uint32_t i = 0; i < nconn; i++) {
        struct rs_connection c;
        realm_spec_connection(v, i, &c);
        int t = hold(r, log2_up(c.size), IC_OBJ_FRAME_4K, 0, (unsigned)(c.size / PAGE));
        if (t) {
            status = t;
            goto fail;
        }
    }

    /* capabilities */
    for (uint32_t i = 0; i < v->count[RS_TAB_CAPS]; i++) {
        struct rs_cap c;
        struct rs_object cn;
        realm_spec_cap(v, i, &c);
        realm_spec_object(v, c.cnode, &cn);
        if (!ok(place(r->objects[c.cnode].cap, c.slot, cn.size_bits, r->objects[c.object].cap, c.rights, c.badge)))
            goto internal;
    }

    /* mappings: tables before what they cover (the spec's order); a frame
     * mapped a second time through a copy of its capability */
    uint8_t *mapped_once = heap_alloc(&rs_heap, nobj);
    if (!mapped_once)
        goto fail;
    for (uint32_t i = 0; i < nobj; i++)
        mapped_once[i] = 0;
    for (uint32_t i = 0; i < v->count[RS_TAB_MAPPINGS]; i++) {
        struct rs_mapping m;
        realm_spec_mapping(v, i, &m);
        ic_cptr_t vspace = r->objects[m.vspace].cap, obj = r->objects[m.object].cap;
        bool done;
        if (r->objects[m.object].type == IC_OBJ_PAGE_TABLE) {
            done = ok(ic_page_table_map(obj, m.address, vspace));
        } else {
            if (mapped_once[m.object])
                obj = copy_of(r, obj, IC_RIGHTS_ALL, 0);
            mapped_once[m.object] = 1;
            done = obj && ok(ic_frame_map(obj, m.address, m.rights, m.attr, vspace));
        }
        if (!done) {
            heap_free(&rs_heap, mapped_once);
            goto internal;
        }
    }
    heap_free(&rs_heap, mapped_once);
    for (uint32_t i = 0; i < nconn; i++) {
        struct rs_connection c;
        realm_spec_connection(v, i, &c);
        const struct realm_object *region = &r->objects[nobj + i];
        for (uint64_t off = 0; off < c.size; off += PAGE)
            if (!ok(ic_frame_map(region->cap + off / PAGE, c.address + off, IC_RIGHT_READ | IC_RIGHT_WRITE,
                                 IC_ATTR_CACHED, r->objects[c.vspace].cap)))
                goto internal;
    }

    /* memory contents: the spec is private and its digests checked */
    ic_cptr_t mapped = 0;
    uint32_t mapped_frame = REALM_SPEC_NONE;
    for (uint32_t i = 0; i < v->count[RS_TAB_CHUNKS]; i++) {
        struct rs_chunk c;
        realm_spec_chunk(v, i, &c);
        if (!load_chunk(r, v, &c, &mapped, &mapped_frame))
            goto internal;
    }
    if (mapped) {
        ok(ic_frame_clean(mapped, 0, r->objects[mapped_frame].type == IC_OBJ_FRAME_2M ? LARGE : PAGE));
        ok(ic_frame_unmap(mapped));
    }

    /* threads, configured but not started */
    uint32_t vcpu_rank = 0;
    for (uint32_t i = 0; i < v->count[RS_TAB_TCBS]; i++) {
        struct rs_tcb t;
        realm_spec_tcb(v, i, &t);
        ic_cptr_t tcb = r->objects[t.tcb].cap;
        uint32_t cspace = t.cspace;
        if (cspace == REALM_SPEC_NONE) {
            /* a VCPU's thread runs at EL1 and makes no system calls; the
             * kernel wants a CSpace all the same: the realm's first CNode */
            for (cspace = 0; cspace < nobj && r->objects[cspace].type != IC_OBJ_CNODE; cspace++)
                ;
            if (cspace == nobj)
                goto internal;
        }
        struct rs_object cn;
        realm_spec_object(v, cspace, &cn);
        ic_cptr_t fault = 0;
        if (t.fault_ep != REALM_SPEC_NONE) {
            fault = copy_of(r, r->objects[t.fault_ep].cap, IC_RIGHT_WRITE | IC_RIGHT_GRANT,
                            t.vcpu != REALM_SPEC_NONE ? VCPU_FAULT_BADGE(vcpu_rank) : 0);
            if (!fault)
                goto internal;
        }
        if (!ok(ic_tcb_configure(tcb, 64 - cn.size_bits, t.ipc_buffer_addr, fault, r->objects[cspace].cap,
                                 r->objects[t.vspace].cap,
                                 t.ipc_buffer == REALM_SPEC_NONE ? 0 : r->objects[t.ipc_buffer].cap)) ||
            !ok(ic_tcb_set_max_priority(tcb, t.priority, IC_SLOT_ROOT_TCB)) ||
            !ok(ic_tcb_set_priority(tcb, t.priority, IC_SLOT_ROOT_TCB)) ||
            !ok(ic_tcb_set_affinity(tcb, t.affinity)))
            goto internal;
        if (t.vcpu != REALM_SPEC_NONE) {
            if (!ok(ic_vcpu_set_tcb(r->objects[t.vcpu].cap, tcb)))
                goto internal;
            vcpu_rank++;
        }
        ic_user_context_t regs = { 0 };
        regs.regs[IC_REG_PC] = t.pc;
        regs.regs[IC_REG_SP] = t.sp;
        regs.regs[IC_REG_X0] = t.arg;
        if (!ok(ic_tcb_write_registers(tcb, false, IC_REG_COUNT, &regs)))
            goto internal;
    }

    /* the console, once nothing else can fail */
    for (uint32_t i = 0; i < nconn; i++) {
        struct rs_connection c;
        realm_spec_connection(v, i, &c);
        if (c.type == RS_CONN_CONSOLE)
            connect_console(r, v, &c, nobj + i);
    }
    return 0;

internal:
    status = -RB_INTERNAL;
fail:
    *needed = r->held;
    *err_out = kernel_err;
    realm_destroy(r);
    return status;
}

void realm_destroy(struct realm *r)
{
    /* the serial server first: it must no longer touch the console's
     * region when the region goes (revoking would take its mapping away
     * under it); it answers once it has unmapped the region and deleted
     * its capabilities */
    if (r->console) {
        ic_err_t e = ic_console_close(console_ep, r->id);
        if (e)
            ic_printf("resource-server: realm %u: closing its console failed (error %u)\n", (unsigned)r->id,
                      (unsigned)e);
        r->console = false;
    }
    /* stop every thread first: revoking deletes them too, but a thread
     * stopped before its memory goes can no longer be running anywhere */
    for (uint32_t i = 0; i < r->num_objects; i++)
        if (r->objects[i].type == IC_OBJ_TCB)
            ic_tcb_suspend(r->objects[i].cap);
    /* the copies are gone with their objects; their slots are free */
    for (uint32_t i = r->num_objects; i-- > 0;) {
        uint64_t bytes = 1ull << pool.pieces[r->objects[i].piece].bits;
        give_object(&r->objects[i]);
        r->held -= bytes < r->held ? bytes : r->held;
    }
    for (uint32_t i = 0; i < r->num_copies; i++)
        slots_free(r->copies[i], 1);
    realm_free_spec(r);
    heap_free(&rs_heap, r->objects);
    heap_free(&rs_heap, r->copies);
    r->objects = NULL;
    r->copies = NULL;
    r->num_objects = r->num_copies = r->max_objects = r->max_copies = 0;
    r->held = 0;
    r->vcpus = 0;
}
