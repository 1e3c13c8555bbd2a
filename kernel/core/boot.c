/* Building the root task at boot: its CNode, VSpace, TCB, image frames,
 * boot information and the untyped capabilities for all remaining memory.
 * Memory comes from a boot-time bump allocator over the RAM after the
 * kernel; whatever is left becomes untyped memory. */
#include "kernel.h"
#include "arch.h"
#include "cnode.h"
#include "plat.h"
#include "sched.h"
#include "smp.h"
#include "util.h"
#include <icecap/bootinfo.h>
#include <icecap/elf.h>

extern char root_image_start[], root_image_end[], __kernel_end[];
_Static_assert(sizeof(ic_bootinfo_t) <= 4096, "the boot information fills one page");

struct tcb *boot_root_tcb;

static word_t boot_free;                 /* bump pointer */
static struct cte *root_cnode;
static word_t next_slot = IC_SLOT_FIRST_FREE_FIXED;

static word_t boot_alloc(unsigned size_bits)
{
    word_t p = ALIGN_UP(boot_free, BIT(size_bits));
    boot_free = p + BIT(size_bits);
    if (boot_free > BOARD_RAM_BASE + BOARD_RAM_SIZE)
        kpanic("boot: out of memory");
    memset((void *)(uintptr_t)p, 0, BIT(size_bits));
    arch_clean_to_poc(p, BIT(size_bits));
    return p;
}

static struct cte *slot_at(word_t i)
{
    if (i >= BIT(IC_ROOT_CNODE_BITS))
        kpanic("boot: root CNode full");
    return &root_cnode[i];
}

static struct cte *provide(word_t i, struct cap c)
{
    struct cte *s = slot_at(i);
    cap_insert_new(s, c, NULL);
    return s;
}

static struct cap make_cap(unsigned type, word_t obj, unsigned size_bits)
{
    struct cap c = cap_null();
    c.type = (uint8_t)type;
    c.obj = obj;
    c.size_bits = (uint8_t)size_bits;
    c.rights = IC_RIGHTS_ALL;
    return c;
}


/* Page tables for [start, end) of the root VSpace, before any frame. */
static void make_tables(struct cte *vspace, word_t start, word_t end)
{
    for (word_t va = start & ~MASK(IC_LARGE_PAGE_BITS); va < end; va += BIT(IC_LARGE_PAGE_BITS)) {
        for (;;) {
            struct cap pt = make_cap(CAP_PAGE_TABLE, boot_alloc(IC_PAGE_TABLE_SIZE_BITS), IC_PAGE_TABLE_SIZE_BITS);
            if (vspace_map_table(&pt, &vspace->cap, va) != IC_OK) {
                boot_free -= BIT(IC_PAGE_TABLE_SIZE_BITS); /* both levels exist */
                break;
            }
            provide(next_slot++, pt);
        }
    }
}

/* Map a new zeroed 4 KiB frame at va; returns its kernel address. */
static void *map_new_page(struct cte *vspace, word_t va)
{
    struct cap f = make_cap(CAP_FRAME, boot_alloc(IC_PAGE_BITS), IC_PAGE_BITS);
    if (vspace_map_frame(&f, &vspace->cap, va, IC_RIGHTS_ALL, IC_ATTR_CACHED))
        kpanic("boot: cannot map %lx", va);
    provide(next_slot++, f);
    return (void *)(uintptr_t)f.obj;
}

/* Map the image page at kernel address pa itself at va. */
static void map_page_in_place(struct cte *vspace, word_t va, word_t pa)
{
    struct cap f = make_cap(CAP_FRAME, pa, IC_PAGE_BITS);
    if (vspace_map_frame(&f, &vspace->cap, va, IC_RIGHTS_ALL, IC_ATTR_CACHED))
        kpanic("boot: cannot map %lx", va);
    provide(next_slot++, f);
}

/* Whether RAM past the kernel still holds the zeroes it had at power on:
 * true on the first boot of a machine whose RAM starts zeroed, false after a
 * reset (the mark is there) and on other boards. Leaves the mark, in the page
 * after the kernel, which is never handed out. */
static bool ram_zero_since_power_on(word_t mark_page)
{
    static const uint64_t mark[2] = { 0x6b72616d2d706163ull, 0x6e6f2d7265776f70ull };
    volatile uint64_t *m = (volatile uint64_t *)(uintptr_t)mark_page;
    bool fresh = m[0] != mark[0] || m[1] != mark[1];
    m[0] = mark[0];
    m[1] = mark[1];
#ifdef BOARD_RAM_ZERO_AT_POWER_ON
    return fresh;
#else
    return false;
#endif
}

/* Cover [start, end) with naturally aligned power-of-two untyped blocks. */
static void add_untyped(ic_bootinfo_t *bi, word_t start, word_t end, bool device, bool zeroed)
{
    while (start < end) {
        unsigned bits = start ? (unsigned)__builtin_ctzll(start) : IC_MAX_UNTYPED_BITS;
        if (bits > IC_MAX_UNTYPED_BITS)
            bits = IC_MAX_UNTYPED_BITS;
        while (bits > 0 && start + BIT(bits) > end)
            bits--;
        if (bits < IC_MIN_UNTYPED_BITS)
            break;
        word_t n = bi->untyped.end - bi->untyped.start;
        if (n >= IC_BOOTINFO_MAX_UNTYPED)
            break;
        struct cap c = make_cap(CAP_UNTYPED, start, bits);
        c.flags = device ? CAPF_DEVICE : 0;
        c.b = zeroed ? BIT(bits) : 0;
        provide(next_slot++, c);
        bi->untyped.end++;
        bi->untyped_list[n] = (ic_untyped_desc_t){ .paddr = start, .size_bits = (uint8_t)bits, .is_device = device };
        start += BIT(bits);
    }
}

void boot_create_root_task(void)
{
    const ic_elf64_ehdr_t *eh = (const void *)root_image_start;
    if (memcmp(eh->ident, "\177ELF", 4) || eh->ident[4] != IC_ELF_CLASS64 || eh->machine != IC_ELF_MACHINE_AARCH64)
        kpanic("boot: the root task image is not an AArch64 ELF64 file");
    word_t mark_page = ALIGN_UP((word_t)(uintptr_t)__kernel_end, BIT(IC_PAGE_BITS));
    bool ram_zeroed = ram_zero_since_power_on(mark_page);
    boot_free = mark_page + BIT(IC_PAGE_BITS);

    /* the root CNode: guard of 52 zero bits, so a slot index is a CPtr */
    word_t cnode_pa = boot_alloc(IC_ROOT_CNODE_BITS + IC_SLOT_SIZE_BITS);
    root_cnode = (struct cte *)(uintptr_t)cnode_pa;
    struct cap cnode = cnode_cap_make(pa(cnode_pa), IC_ROOT_CNODE_BITS, IC_WORD_BITS - IC_ROOT_CNODE_BITS, 0);
    struct cte *cnode_slot = provide(IC_SLOT_ROOT_CNODE, cnode);

    struct cap vs = make_cap(CAP_VSPACE, boot_alloc(IC_VSPACE_SIZE_BITS), 0);
    vspace_init_boot(&vs);
    struct cte *vspace = provide(IC_SLOT_ROOT_VSPACE, vs);

    word_t tcb_pa = boot_alloc(IC_TCB_SIZE_BITS);
    struct tcb *t = (struct tcb *)(uintptr_t)tcb_pa;
    tcb_init(t);
    struct cte *tcb_cap = provide(IC_SLOT_ROOT_TCB, make_cap(CAP_TCB, tcb_pa, 0));
    (void)tcb_cap;
    provide(IC_SLOT_IRQ_CONTROL, make_cap(CAP_IRQ_CONTROL, 0, 0));
    provide(IC_SLOT_VMIDS, make_cap(CAP_VMID_CONTROL, 0, 0));

    /* The image: every PT_LOAD segment, page by page, then the boot
     * information and IPC buffer pages. */
    const ic_elf64_phdr_t *ph = (const void *)(root_image_start + eh->phoff);
    word_t image_start = ~0ull, image_end = 0;
    for (unsigned i = 0; i < eh->phnum; i++) {
        if (ph[i].type != IC_PT_LOAD || ph[i].memsz == 0)
            continue;
        if (ph[i].vaddr < image_start)
            image_start = ph[i].vaddr & ~MASK(IC_PAGE_BITS);
        if (ph[i].vaddr + ph[i].memsz > image_end)
            image_end = ALIGN_UP(ph[i].vaddr + ph[i].memsz, BIT(IC_PAGE_BITS));
    }
    if (image_start >= image_end || image_end + 2 * BIT(IC_PAGE_BITS) > BIT(IC_VSPACE_BITS))
        kpanic("boot: the root task image has no loadable segment in range");
    next_slot = 64; /* the fixed slots and room for more come first */
    make_tables(vspace, image_start, image_end + 2 * BIT(IC_PAGE_BITS));
    word_t frames_start = next_slot;
    for (unsigned i = 0; i < eh->phnum; i++) {
        if (ph[i].type != IC_PT_LOAD || ph[i].memsz == 0)
            continue;
        word_t seg_start = ph[i].vaddr & ~MASK(IC_PAGE_BITS);
        word_t seg_end = ALIGN_UP(ph[i].vaddr + ph[i].memsz, BIT(IC_PAGE_BITS));
        for (word_t va = seg_start; va < seg_end; va += BIT(IC_PAGE_BITS)) {
            /* a page the file fills entirely is used where it lies */
            const uint8_t *src = (const uint8_t *)root_image_start + ph[i].offset + (va - ph[i].vaddr);
            if (va >= ph[i].vaddr && va + BIT(IC_PAGE_BITS) <= ph[i].vaddr + ph[i].filesz &&
                ((uintptr_t)src & MASK(IC_PAGE_BITS)) == 0) {
                map_page_in_place(vspace, va, (word_t)(uintptr_t)src);
                continue;
            }
            uint8_t *page = map_new_page(vspace, va);
            /* the part of this page the file provides; the rest stays zero */
            word_t from = va > ph[i].vaddr ? va : ph[i].vaddr;
            word_t to = va + BIT(IC_PAGE_BITS);
            if (to > ph[i].vaddr + ph[i].filesz)
                to = ph[i].vaddr + ph[i].filesz;
            if (from < to)
                memcpy(page + (from - va), root_image_start + ph[i].offset + (from - ph[i].vaddr), to - from);
            /* its code is fetched from memory the data cache wrote */
            arch_clean_for_fetch((word_t)(uintptr_t)page, BIT(IC_PAGE_BITS));
        }
    }
    word_t frames_end = next_slot;

    /* boot information and IPC buffer, in the two pages after the image */
    word_t bi_va = image_end, ipc_va = image_end + BIT(IC_PAGE_BITS);
    ic_bootinfo_t *bi = map_new_page(vspace, bi_va);
    struct cte *bi_frame = &root_cnode[next_slot - 1];
    cap_move(slot_at(IC_SLOT_BOOTINFO_FRAME), bi_frame, bi_frame->cap);
    map_new_page(vspace, ipc_va);
    struct cte *ipc_frame = &root_cnode[next_slot - 1];
    cap_move(slot_at(IC_SLOT_IPC_BUFFER), ipc_frame, ipc_frame->cap);

    /* the thread */
    struct cap c;
    cap_derive(cnode_slot, &c);
    cap_insert(&t->slots[TCB_SLOT_CSPACE], c, cnode_slot);
    cap_derive(vspace, &c);
    cap_insert(&t->slots[TCB_SLOT_VSPACE], c, vspace);
    cap_derive(slot_at(IC_SLOT_IPC_BUFFER), &c);
    cap_insert(&t->slots[TCB_SLOT_IPC_FRAME], c, slot_at(IC_SLOT_IPC_BUFFER));
    t->ipc_buffer = ipc_va;
    t->priority = t->max_priority = IC_NUM_PRIORITIES - 1;
    t->pmu_access = t->console_access = 1; /* it may hand them on (tcb_set_access) */
    t->ctx.pc = eh->entry;
    t->ctx.x[0] = bi_va;
    boot_root_tcb = t;

    /* what is left: untyped memory */
    bi->magic = IC_BOOTINFO_MAGIC;
    bi->num_cpus = smp_num_cpus;
    bi->ipc_buffer = ipc_va;
    bi->timer_frequency = arch_timer_frequency();
    bi->gic_version = GIC_VERSION;
    bi->image_vaddr = image_start;
    bi->image_frames = (ic_slot_range_t){ frames_start, frames_end };
    bi->cnode_bits = IC_ROOT_CNODE_BITS;
    bi->vgic_list_registers = plat_vgic_num_lrs();
    memcpy(bi->name, "root", 5);
    bi->untyped.start = bi->untyped.end = next_slot;
    add_untyped(bi, boot_free, BOARD_RAM_BASE + BOARD_RAM_SIZE, false, ram_zeroed);
    /* devices, except the interrupt controller, which the kernel keeps;
     * the UART is shared: the kernel's debug output goes to it too */
    add_untyped(bi, BOARD_DEVICE_BASE, BOARD_GICD_BASE, true, false);
    add_untyped(bi, BOARD_UART_BASE, BOARD_DEVICE_END, true, false);
#if GIC_VERSION == 2
    /* the virtual CPU interface, for VMMs to map into their guests */
    add_untyped(bi, BOARD_GICV_BASE, BOARD_GICV_BASE + 0x10000, true, false);
#endif
    bi->empty = (ic_slot_range_t){ next_slot, BIT(IC_ROOT_CNODE_BITS) };

    kprintf("memory: %s\n", ram_zeroed ? "zero since power on" : "used before a reset, zeroed when handed out");
    kprintf("root task: %lu image frames, %lu untyped regions, slots %lu..%lu free\n", frames_end - frames_start,
            bi->untyped.end - bi->untyped.start, bi->empty.start, bi->empty.end - 1);
    sched_make_runnable(t);
}
