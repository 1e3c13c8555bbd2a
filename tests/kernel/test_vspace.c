/* Stage-2 address spaces: page tables at levels 2 and 3, frame mappings of
 * both sizes, rights and faults, unmapping, new VSpaces running threads,
 * and VMID exhaustion.
 *
 * Threads run at the root task's priority; the root task yields to them and
 * polls their fault endpoint, so a kernel bug fails a test instead of
 * hanging the suite. */
#include "test.h"
#include <icecap/arch/aarch64.h>

#define SAME_PRIO 255
#define RAM_START 0x40000000ull
#define RAM_END 0x80000000ull
#define ESR_EC(esr) AARCH64_ESR_EC(esr)
#define EC_IABT_LOWER AARCH64_EC_IABT_LOWER
#define EC_DABT_LOWER AARCH64_EC_DABT_LOWER
#define ESR_WNR(esr) (((esr) >> 6) & 1)

extern char __image_start[], __image_end[];

/* ------------------------------------------------------------ helpers */

static volatile ic_word_t g_state, g_val, g_go;

/* Yield to same-priority threads until a fault message arrives on ep;
 * returns its message info (0 if none came). MRs 0..3 hold the fault. */
static ic_msginfo_t poll_fault(ic_cptr_t ep)
{
    for (unsigned i = 0; i < 200; i++) {
        ic_yield();
        ic_word_t badge;
        ic_msginfo_t info = ic_nb_recv(ep, &badge);
        if (info)
            return info;
    }
    return 0;
}

static void resume_faulter(void)
{
    ic_reply(ic_msginfo_new(0, 0, 0, 0));
}

static bool pc_in_image(ic_word_t pc)
{
    return pc >= (ic_word_t)__image_start && pc < (ic_word_t)__image_end;
}

/* ------------------------------------------------------------ tables */

TEST(vspace_page_tables_go_to_levels_2_and_3)
{
    const ic_word_t va = 0x10000000;
    ic_cptr_t vs = alloc_object(IC_OBJ_VSPACE, 0);
    ic_cptr_t pt1 = alloc_object(IC_OBJ_PAGE_TABLE, 0), pt2 = alloc_object(IC_OBJ_PAGE_TABLE, 0);
    ic_cptr_t pt3 = alloc_object(IC_OBJ_PAGE_TABLE, 0), pt4 = alloc_object(IC_OBJ_PAGE_TABLE, 0);
    ic_cptr_t f = alloc_object(IC_OBJ_FRAME_4K, 0), g = alloc_object(IC_OBJ_FRAME_4K, 0);
    ic_cptr_t big = alloc_object(IC_OBJ_FRAME_2M, 0);
    CHECK(vs && pt1 && pt2 && pt3 && pt4 && f && g && big);

    /* nothing yet: both frame sizes miss a table */
    CHECK_EQ(ic_frame_map(f, va, IC_RIGHTS_ALL, IC_ATTR_CACHED, vs), IC_FAILED_LOOKUP);
    CHECK_EQ(ic_frame_map(big, va, IC_RIGHTS_ALL, IC_ATTR_CACHED, vs), IC_FAILED_LOOKUP);
    /* the first table goes to level 2: 2 MiB frames now fit, 4 KiB do not */
    CHECK_OK(ic_page_table_map(pt1, va, vs));
    CHECK_EQ(ic_page_table_map(pt1, va, vs), IC_ILLEGAL_OPERATION);
    CHECK_EQ(ic_page_table_map(pt1, va + 0x40000000, vs), IC_ILLEGAL_OPERATION);
    CHECK_EQ(ic_frame_map(f, va, IC_RIGHTS_ALL, IC_ATTR_CACHED, vs), IC_FAILED_LOOKUP);
    CHECK_OK(ic_frame_map(big, va, IC_RIGHTS_ALL, IC_ATTR_CACHED, vs));
    CHECK_EQ(ic_page_table_map(pt2, va, vs), IC_DELETE_FIRST); /* a block is there */
    CHECK_OK(ic_frame_unmap(big));
    /* the second goes to level 3: 4 KiB frames fit, 2 MiB do not */
    CHECK_OK(ic_page_table_map(pt2, va, vs));
    CHECK_OK(ic_frame_map(f, va, IC_RIGHTS_ALL, IC_ATTR_CACHED, vs));
    CHECK_EQ(ic_frame_map(g, va, IC_RIGHTS_ALL, IC_ATTR_CACHED, vs), IC_DELETE_FIRST);
    CHECK_OK(ic_frame_map(g, va + 0x1ff000, IC_RIGHTS_ALL, IC_ATTR_CACHED, vs));
    CHECK_EQ(ic_frame_map(big, va, IC_RIGHTS_ALL, IC_ATTR_CACHED, vs), IC_DELETE_FIRST);
    /* a third for the same 2 MiB has no level left */
    CHECK_EQ(ic_page_table_map(pt3, va, vs), IC_DELETE_FIRST);
    CHECK_EQ(ic_page_table_map(pt3, va + 0x123000, vs), IC_DELETE_FIRST);
    /* the next 2 MiB: one more level-3 table in the same level-2 table */
    CHECK_OK(ic_page_table_map(pt3, va + 0x200000, vs));
    /* a 2 MiB block next to them; nothing fits inside it */
    CHECK_OK(ic_frame_map(big, va + 0x400000, IC_RIGHTS_ALL, IC_ATTR_CACHED, vs));
    CHECK_EQ(ic_page_table_map(pt4, va + 0x400000, vs), IC_DELETE_FIRST);
    ic_cptr_t h = alloc_object(IC_OBJ_FRAME_4K, 0);
    CHECK(h);
    CHECK_EQ(ic_frame_map(h, va + 0x401000, IC_RIGHTS_ALL, IC_ATTR_CACHED, vs), IC_FAILED_LOOKUP);
    /* another GiB needs its own level-2 table */
    CHECK_EQ(ic_frame_map(h, va + 0x40000000, IC_RIGHTS_ALL, IC_ATTR_CACHED, vs), IC_FAILED_LOOKUP);
    CHECK_OK(ic_page_table_map(pt4, va + 0x40000000, vs));
    CHECK_EQ(ic_frame_map(h, va + 0x40000000, IC_RIGHTS_ALL, IC_ATTR_CACHED, vs), IC_FAILED_LOOKUP);
    /* 'big' still holds its mapping; once unmapped it can move there */
    CHECK_EQ(ic_frame_map(big, va + 0x40000000, IC_RIGHTS_ALL, IC_ATTR_CACHED, vs), IC_ILLEGAL_OPERATION);
    CHECK_OK(ic_frame_unmap(big));
    CHECK_OK(ic_frame_map(big, va + 0x40000000, IC_RIGHTS_ALL, IC_ATTR_CACHED, vs));
    /* and its old place takes a level-3 table now */
    ic_cptr_t pt5 = alloc_object(IC_OBJ_PAGE_TABLE, 0);
    CHECK(pt5);
    CHECK_OK(ic_page_table_map(pt5, va + 0x400000, vs));
}

TEST(vspace_address_range_is_39_bits)
{
    ic_cptr_t vs = alloc_object(IC_OBJ_VSPACE, 0);
    ic_cptr_t pt1 = alloc_object(IC_OBJ_PAGE_TABLE, 0), pt2 = alloc_object(IC_OBJ_PAGE_TABLE, 0);
    ic_cptr_t f = alloc_object(IC_OBJ_FRAME_4K, 0), big = alloc_object(IC_OBJ_FRAME_2M, 0);
    CHECK(vs && pt1 && pt2 && f && big);
    const ic_word_t top = 1ull << IC_VSPACE_BITS;
    CHECK_EQ(ic_page_table_map(pt1, top, vs), IC_RANGE_ERROR);
    CHECK_EQ(ic_page_table_map(pt1, ~0ull << 12, vs), IC_RANGE_ERROR);
    CHECK_EQ(ic_frame_map(f, top, IC_RIGHTS_ALL, IC_ATTR_CACHED, vs), IC_RANGE_ERROR);
    CHECK_EQ(ic_frame_map(f, top + 0x10000000, IC_RIGHTS_ALL, IC_ATTR_CACHED, vs), IC_RANGE_ERROR);
    CHECK_EQ(ic_frame_map(big, top, IC_RIGHTS_ALL, IC_ATTR_CACHED, vs), IC_RANGE_ERROR);
    /* the last page below 2^39 is usable */
    CHECK_OK(ic_page_table_map(pt1, top - 0x1000, vs));
    CHECK_OK(ic_page_table_map(pt2, top - 0x1000, vs));
    CHECK_OK(ic_frame_map(f, top - 0x1000, IC_RIGHTS_ALL, IC_ATTR_CACHED, vs));
    CHECK_EQ(ic_frame_map(big, top - 0x200000, IC_RIGHTS_ALL, IC_ATTR_CACHED, vs), IC_DELETE_FIRST);
}

TEST(vspace_map_argument_errors)
{
    ic_cptr_t vs = alloc_object(IC_OBJ_VSPACE, 0);
    ic_cptr_t pt1 = alloc_object(IC_OBJ_PAGE_TABLE, 0), pt2 = alloc_object(IC_OBJ_PAGE_TABLE, 0);
    ic_cptr_t f = alloc_object(IC_OBJ_FRAME_4K, 0), big = alloc_object(IC_OBJ_FRAME_2M, 0);
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    CHECK(vs && pt1 && pt2 && f && big && ep);
    const ic_word_t va = 0x8000000;
    CHECK_OK(ic_page_table_map(pt1, va, vs));
    CHECK_OK(ic_page_table_map(pt2, va, vs));
    /* misaligned */
    CHECK_EQ(ic_frame_map(f, va + 0x800, IC_RIGHTS_ALL, IC_ATTR_CACHED, vs), IC_ALIGNMENT_ERROR);
    CHECK_EQ(ic_frame_map(f, va + 8, IC_RIGHTS_ALL, IC_ATTR_CACHED, vs), IC_ALIGNMENT_ERROR);
    CHECK_EQ(ic_frame_map(big, va + 0x201000, IC_RIGHTS_ALL, IC_ATTR_CACHED, vs), IC_ALIGNMENT_ERROR);
    CHECK_EQ(ic_frame_map(big, va + 0x100000, IC_RIGHTS_ALL, IC_ATTR_CACHED, vs), IC_ALIGNMENT_ERROR);
    /* rights without read, unknown attributes */
    CHECK_EQ(ic_frame_map(f, va, 0, IC_ATTR_CACHED, vs), IC_INVALID_ARGUMENT);
    CHECK_EQ(ic_frame_map(f, va, IC_RIGHT_WRITE | IC_RIGHT_EXECUTE, IC_ATTR_CACHED, vs), IC_INVALID_ARGUMENT);
    CHECK_EQ(ic_frame_map(f, va, IC_RIGHTS_ALL, IC_ATTR_DEVICE + 1, vs), IC_INVALID_ARGUMENT);
    CHECK_EQ(ic_frame_map(f, va, IC_RIGHTS_ALL, ~0ull, vs), IC_INVALID_ARGUMENT);
    /* the VSpace argument must be a VSpace */
    CHECK_EQ(ic_frame_map(f, va, IC_RIGHTS_ALL, IC_ATTR_CACHED, ep), IC_INVALID_CAPABILITY);
    CHECK_EQ(ic_frame_map(f, va, IC_RIGHTS_ALL, IC_ATTR_CACHED, pt1), IC_INVALID_CAPABILITY);
    CHECK_EQ(ic_frame_map(f, va, IC_RIGHTS_ALL, IC_ATTR_CACHED, big), IC_INVALID_CAPABILITY);
    ic_cptr_t pt3 = alloc_object(IC_OBJ_PAGE_TABLE, 0);
    CHECK(pt3);
    CHECK_EQ(ic_page_table_map(pt3, va, ROOT_CNODE), IC_INVALID_CAPABILITY);
    CHECK_EQ(ic_page_table_map(pt3, va, IC_SLOT_NULL), IC_INVALID_CAPABILITY);
    /* the wrong object invoked */
    CHECK_EQ(ic_frame_map(pt3, va, IC_RIGHTS_ALL, IC_ATTR_CACHED, vs), IC_INVALID_CAPABILITY);
    CHECK_EQ(ic_page_table_map(f, va, vs), IC_INVALID_CAPABILITY);
    CHECK_EQ(ic_frame_unmap(pt3), IC_INVALID_CAPABILITY);
    /* none of this mapped anything: the frame maps now, once */
    CHECK_OK(ic_frame_map(f, va, IC_RIGHTS_ALL, IC_ATTR_CACHED, vs));
    CHECK_EQ(ic_frame_map(f, va + 0x1000, IC_RIGHTS_ALL, IC_ATTR_CACHED, vs), IC_ILLEGAL_OPERATION);
    /* unmapping twice is harmless */
    CHECK_OK(ic_frame_unmap(f));
    CHECK_OK(ic_frame_unmap(f));
    CHECK_OK(ic_frame_map(f, va + 0x1000, IC_RIGHTS_ALL, IC_ATTR_CACHED, vs));
}

/* ------------------------------------------------------------ frames */

TEST(vspace_frame_copy_maps_same_memory_twice)
{
    ic_cptr_t f;
    volatile uint64_t *a = alloc_page(&f);
    CHECK(a);
    ic_word_t vb = alloc_vaddr(4096, 4096);
    /* the capability already holds a mapping */
    CHECK_EQ(map_frame(ROOT_VSPACE, f, vb, IC_RIGHTS_ALL, IC_ATTR_CACHED), IC_ILLEGAL_OPERATION);
    ic_cptr_t f2 = copy_with_rights(f, IC_RIGHTS_ALL);
    CHECK(f2);
    CHECK_EQ(frame_address(f2), frame_address(f));
    CHECK_OK(map_frame(ROOT_VSPACE, f2, vb, IC_RIGHTS_ALL, IC_ATTR_CACHED));
    volatile uint64_t *b = (volatile uint64_t *)vb;
    a[0] = 0x1111;
    a[511] = 0x2222;
    CHECK_EQ(b[0], 0x1111);
    CHECK_EQ(b[511], 0x2222);
    b[7] = 0x3333;
    CHECK_EQ(a[7], 0x3333);
    /* the same address cannot take a second frame */
    ic_cptr_t f3 = copy_with_rights(f, IC_RIGHTS_ALL);
    CHECK(f3);
    CHECK_EQ(map_frame(ROOT_VSPACE, f3, vb, IC_RIGHTS_ALL, IC_ATTR_CACHED), IC_DELETE_FIRST);
    /* unmapping one copy leaves the other mapping alone */
    CHECK_OK(ic_frame_unmap(f2));
    CHECK_EQ(a[7], 0x3333);
    CHECK_OK(map_frame(ROOT_VSPACE, f3, vb, IC_RIGHTS_ALL, IC_ATTR_CACHED));
    CHECK_EQ(b[511], 0x2222);
    /* deleting a mapped copy unmaps it; the original stays */
    CHECK_OK(ic_cnode_delete(ROOT_CNODE, f3, ROOT_DEPTH));
    CHECK_OK(map_frame(ROOT_VSPACE, f2, vb, IC_RIGHTS_ALL, IC_ATTR_CACHED));
    CHECK_EQ(b[0], 0x1111);
}

TEST(vspace_frame_unmap_and_remap_keeps_contents)
{
    ic_cptr_t f;
    volatile uint64_t *a = alloc_page(&f);
    CHECK(a);
    ic_word_t pa = frame_address(f);
    for (unsigned i = 0; i < 512; i++)
        a[i] = 0x1234567800000000ull + i;
    CHECK_OK(ic_frame_unmap(f));
    CHECK_OK(ic_frame_unmap(f));
    ic_word_t vb = alloc_vaddr(4096, 4096);
    CHECK_OK(map_frame(ROOT_VSPACE, f, vb, IC_RIGHTS_ALL, IC_ATTR_CACHED));
    CHECK_EQ(frame_address(f), pa);
    volatile uint64_t *b = (volatile uint64_t *)vb;
    for (unsigned i = 0; i < 512; i++)
        CHECK_EQ(b[i], 0x1234567800000000ull + i);
    /* the old address is free again: another frame can go there */
    ic_cptr_t g = alloc_object(IC_OBJ_FRAME_4K, 0);
    CHECK(g);
    CHECK_OK(map_frame(ROOT_VSPACE, g, (ic_word_t)a, IC_RIGHTS_ALL, IC_ATTR_CACHED));
    CHECK_EQ(a[3], 0);
}

TEST(vspace_large_frame_mapping)
{
    ic_cptr_t big = alloc_object(IC_OBJ_FRAME_2M, 0);
    CHECK(big);
    ic_word_t pa = frame_address(big);
    CHECK_EQ(pa & 0x1fffff, 0);
    CHECK(pa >= RAM_START && pa + 0x200000 <= RAM_END);
    ic_word_t va = alloc_vaddr(0x200000, 0x200000);
    CHECK_OK(map_frame(ROOT_VSPACE, big, va, IC_RIGHTS_ALL, IC_ATTR_CACHED));
    volatile uint64_t *p = (volatile uint64_t *)va;
    for (unsigned page = 0; page < 512; page++)
        p[page * 512 + page % 512] = 0xb16f000000000000ull | page;
    for (unsigned page = 0; page < 512; page++)
        CHECK_EQ(p[page * 512 + page % 512], 0xb16f000000000000ull | page);
    /* a 4 KiB frame cannot go inside the 2 MiB block */
    ic_cptr_t f = alloc_object(IC_OBJ_FRAME_4K, 0);
    CHECK(f);
    CHECK_EQ(ic_frame_map(f, va + 0x3000, IC_RIGHTS_ALL, IC_ATTR_CACHED, ROOT_VSPACE), IC_FAILED_LOOKUP);
    /* the same memory through a second 2 MiB mapping */
    ic_cptr_t big2 = copy_with_rights(big, IC_RIGHT_READ);
    CHECK(big2);
    ic_word_t vb = alloc_vaddr(0x200000, 0x200000);
    CHECK_OK(map_frame(ROOT_VSPACE, big2, vb, IC_RIGHTS_ALL, IC_ATTR_CACHED));
    volatile uint64_t *q = (volatile uint64_t *)vb;
    CHECK_EQ(q[511 * 512 + 511], 0xb16f000000000000ull | 511);
    CHECK_OK(ic_frame_unmap(big));
    CHECK_EQ(q[5 * 512 + 5], 0xb16f000000000000ull | 5);
}

/* Where a page table covers its 2 MiB, a 2 MiB frame goes in as 512 page
 * entries (how a VMM keeps QEMU from treating the guest's translations as
 * 2 MiB pages); the table must be empty, and unmapping clears them all. */
TEST(vspace_large_frame_as_pages_of_a_table)
{
    CHECK(alloc_page(NULL)); /* the level-2 table for this region exists now */
    ic_cptr_t big = alloc_object(IC_OBJ_FRAME_2M, 0), pt = alloc_object(IC_OBJ_PAGE_TABLE, 0);
    ic_cptr_t f = alloc_object(IC_OBJ_FRAME_4K, 0);
    CHECK(big && pt && f);
    ic_word_t r = alloc_vaddr(0x200000, 0x200000);
    CHECK_OK(ic_page_table_map(pt, r, ROOT_VSPACE));
    /* not into a table that has an entry already */
    CHECK_OK(ic_frame_map(f, r + 0x1ff000, IC_RIGHTS_ALL, IC_ATTR_CACHED, ROOT_VSPACE));
    CHECK_EQ(ic_frame_map(big, r, IC_RIGHTS_ALL, IC_ATTR_CACHED, ROOT_VSPACE), IC_DELETE_FIRST);
    CHECK_OK(ic_frame_unmap(f));
    CHECK_OK(ic_frame_map(big, r, IC_RIGHTS_ALL, IC_ATTR_CACHED, ROOT_VSPACE));
    volatile uint64_t *p = (volatile uint64_t *)r;
    for (unsigned page = 0; page < 512; page++)
        p[page * 512 + page % 512] = 0x5a11000000000000ull | page;
    /* the same memory, in order, through a 2 MiB block of a copy */
    ic_cptr_t copy = copy_with_rights(big, IC_RIGHT_READ);
    CHECK(copy);
    ic_word_t b = alloc_vaddr(0x200000, 0x200000);
    CHECK_OK(map_frame(ROOT_VSPACE, copy, b, IC_RIGHT_READ, IC_ATTR_CACHED));
    volatile uint64_t *q = (volatile uint64_t *)b;
    for (unsigned page = 0; page < 512; page++)
        CHECK_EQ(q[page * 512 + page % 512], 0x5a11000000000000ull | page);
    /* every entry is taken ... */
    CHECK_EQ(ic_frame_map(f, r + 0x3000, IC_RIGHTS_ALL, IC_ATTR_CACHED, ROOT_VSPACE), IC_DELETE_FIRST);
    CHECK_EQ(ic_frame_map(f, r + 0x1ff000, IC_RIGHTS_ALL, IC_ATTR_CACHED, ROOT_VSPACE), IC_DELETE_FIRST);
    /* ... until the frame is unmapped, which frees them all */
    CHECK_OK(ic_frame_unmap(big));
    CHECK_OK(ic_frame_map(f, r + 0x3000, IC_RIGHTS_ALL, IC_ATTR_CACHED, ROOT_VSPACE));
    CHECK_OK(ic_frame_unmap(f));
    CHECK_OK(ic_frame_map(f, r + 0x1ff000, IC_RIGHTS_ALL, IC_ATTR_CACHED, ROOT_VSPACE));
    CHECK_OK(ic_frame_unmap(f));
    /* the table taken away under the frame: its record is stale and harmless */
    CHECK_OK(ic_frame_map(big, r, IC_RIGHTS_ALL, IC_ATTR_CACHED, ROOT_VSPACE));
    CHECK_OK(ic_page_table_unmap(pt));
    CHECK_OK(ic_frame_unmap(big));
    CHECK_OK(ic_page_table_map(pt, r, ROOT_VSPACE));
    CHECK_OK(ic_frame_map(big, r, IC_RIGHTS_ALL, IC_ATTR_CACHED, ROOT_VSPACE));
    CHECK_EQ(p[7 * 512 + 7], 0x5a11000000000000ull | 7);
}

TEST(vspace_frame_addresses_are_in_ram)
{
    ic_cptr_t f = alloc_object(IC_OBJ_FRAME_4K, 0), big = alloc_object(IC_OBJ_FRAME_2M, 0);
    CHECK(f && big);
    ic_word_t a = frame_address(f), b = frame_address(big);
    CHECK(a >= RAM_START && a < RAM_END);
    CHECK(b >= RAM_START && b < RAM_END);
    CHECK_EQ(a & 0xfff, 0);
    CHECK_EQ(b & 0x1fffff, 0);
    CHECK(a != b);
    /* the root task's own frames too, and the fixed ones */
    unsigned frames = 0;
    for (ic_word_t s = bootinfo->image_frames.start; s < bootinfo->image_frames.end; s++) {
        ic_word_t pa = frame_address(s);
        if (pa == ~0ull)
            continue; /* a page table */
        frames++;
        CHECK(pa >= RAM_START && pa < RAM_END);
        CHECK_EQ(pa & 0xfff, 0);
    }
    CHECK_EQ(frames, ((ic_word_t)__image_end - (ic_word_t)__image_start) / 4096);
    ic_word_t ipc = frame_address(IC_SLOT_IPC_BUFFER), bi = frame_address(IC_SLOT_BOOTINFO_FRAME);
    CHECK(ipc >= RAM_START && ipc < RAM_END);
    CHECK(bi >= RAM_START && bi < RAM_END);
    CHECK_EQ(frame_address(ROOT_VSPACE), ~0ull);
}

/* The stub gives the result the table declares (abi/invocations.tbl): the
 * same address each time, the one the reply's single message register
 * carries; NULL discards it; a failed call leaves it alone. */
TEST(vspace_frame_get_address_result)
{
    ic_cptr_t f = alloc_object(IC_OBJ_FRAME_4K, 0);
    CHECK(f);
    ic_word_t a = 0, b = 1;
    CHECK_OK(ic_frame_get_address(f, &a));
    CHECK_OK(ic_frame_get_address(f, &b));
    CHECK_EQ(a, b);
    CHECK_OK(ic_frame_get_address(f, NULL));
    ic_word_t err = ~0ull;
    ic_msginfo_t reply = ic_call(f, ic_msginfo_new(IC_INV_FRAME_GET_ADDRESS, 0, 0, 0), &err);
    CHECK_EQ(err, IC_OK);
    CHECK_EQ(ic_msginfo_length(reply), 1);
    CHECK_EQ(ic_get_mr(0), a);
    b = 0x5a;
    CHECK_EQ(ic_frame_get_address(ROOT_VSPACE, &b), IC_INVALID_CAPABILITY);
    CHECK_EQ(b, 0x5a);
    /* a copy names the same frame */
    ic_cptr_t c = copy_with_rights(f, IC_RIGHT_READ);
    CHECK(c);
    CHECK_OK(ic_frame_get_address(c, &b));
    CHECK_EQ(b, a);
}

/* ------------------------------------------------------------ page tables */

TEST(vspace_page_table_unmap_clears_the_table)
{
    CHECK(alloc_page(NULL)); /* the level-2 table for this region exists now */
    ic_word_t r1 = alloc_vaddr(0x200000, 0x200000), r2 = alloc_vaddr(0x200000, 0x200000);
    ic_cptr_t pt = alloc_object(IC_OBJ_PAGE_TABLE, 0);
    ic_cptr_t f = alloc_object(IC_OBJ_FRAME_4K, 0), g = alloc_object(IC_OBJ_FRAME_4K, 0);
    CHECK(pt && f && g);
    CHECK_OK(ic_page_table_map(pt, r1, ROOT_VSPACE));
    CHECK_OK(ic_frame_map(f, r1, IC_RIGHTS_ALL, IC_ATTR_CACHED, ROOT_VSPACE));
    *(volatile uint64_t *)r1 = 0x77;
    CHECK_OK(ic_page_table_unmap(pt));
    CHECK_OK(ic_page_table_unmap(pt));
    CHECK_EQ(ic_frame_map(g, r1, IC_RIGHTS_ALL, IC_ATTR_CACHED, ROOT_VSPACE), IC_FAILED_LOOKUP);
    /* mapped elsewhere, the table brings no old entries along */
    CHECK_OK(ic_page_table_map(pt, r2, ROOT_VSPACE));
    CHECK_OK(ic_frame_map(g, r2, IC_RIGHTS_ALL, IC_ATTR_CACHED, ROOT_VSPACE));
    CHECK_EQ(*(volatile uint64_t *)r2, 0);
    /* the frame's stale mapping record: unmap it, then it maps again */
    CHECK_EQ(ic_frame_map(f, r2 + 0x1000, IC_RIGHTS_ALL, IC_ATTR_CACHED, ROOT_VSPACE), IC_ILLEGAL_OPERATION);
    CHECK_OK(ic_frame_unmap(f));
    CHECK_OK(ic_frame_map(f, r2 + 0x1000, IC_RIGHTS_ALL, IC_ATTR_CACHED, ROOT_VSPACE));
    CHECK_EQ(*(volatile uint64_t *)(r2 + 0x1000), 0x77);
    /* ... and g's mapping survived f's unmapping */
    CHECK_EQ(*(volatile uint64_t *)r2, 0);
}

TEST(vspace_deleting_page_table_unmaps_its_frames)
{
    CHECK(alloc_page(NULL));
    ic_word_t r = alloc_vaddr(0x200000, 0x200000);
    ic_cptr_t pt = alloc_object(IC_OBJ_PAGE_TABLE, 0), pt2 = alloc_object(IC_OBJ_PAGE_TABLE, 0);
    ic_cptr_t f = alloc_object(IC_OBJ_FRAME_4K, 0), g = alloc_object(IC_OBJ_FRAME_4K, 0);
    CHECK(pt && pt2 && f && g);
    CHECK_OK(ic_page_table_map(pt, r, ROOT_VSPACE));
    CHECK_OK(ic_frame_map(f, r + 0x5000, IC_RIGHTS_ALL, IC_ATTR_CACHED, ROOT_VSPACE));
    *(volatile uint64_t *)(r + 0x5000) = 0x99;
    CHECK_OK(ic_cnode_delete(ROOT_CNODE, pt, ROOT_DEPTH));
    /* the level-2 entry is free: a new table takes it, and it is empty */
    CHECK_OK(ic_page_table_map(pt2, r, ROOT_VSPACE));
    CHECK_OK(ic_frame_map(g, r + 0x5000, IC_RIGHTS_ALL, IC_ATTR_CACHED, ROOT_VSPACE));
    CHECK_EQ(*(volatile uint64_t *)(r + 0x5000), 0);
    CHECK_OK(ic_frame_unmap(f));
    CHECK_OK(ic_frame_map(f, r + 0x6000, IC_RIGHTS_ALL, IC_ATTR_CACHED, ROOT_VSPACE));
    CHECK_EQ(*(volatile uint64_t *)(r + 0x6000), 0x99);
    /* deleting the frame capability unmaps it: the address is free */
    CHECK_OK(ic_cnode_delete(ROOT_CNODE, f, ROOT_DEPTH));
    ic_cptr_t h = alloc_object(IC_OBJ_FRAME_4K, 0);
    CHECK(h);
    CHECK_OK(ic_frame_map(h, r + 0x6000, IC_RIGHTS_ALL, IC_ATTR_CACHED, ROOT_VSPACE));
    CHECK_EQ(*(volatile uint64_t *)(r + 0x6000), 0);
}

TEST(vspace_tables_and_frames_outlive_their_vspace)
{
    ic_cptr_t vs = alloc_object(IC_OBJ_VSPACE, 0);
    ic_cptr_t pt2 = alloc_object(IC_OBJ_PAGE_TABLE, 0), pt3 = alloc_object(IC_OBJ_PAGE_TABLE, 0);
    ic_cptr_t f = alloc_object(IC_OBJ_FRAME_4K, 0);
    CHECK(vs && pt2 && pt3 && f);
    CHECK_OK(ic_page_table_map(pt2, 0x200000, vs));
    CHECK_OK(ic_page_table_map(pt3, 0x200000, vs));
    CHECK_OK(ic_frame_map(f, 0x203000, IC_RIGHTS_ALL, IC_ATTR_CACHED, vs));
    CHECK_OK(ic_cnode_delete(ROOT_CNODE, vs, ROOT_DEPTH)); /* the last capability */
    /* each still records its (dead) mapping until unmapped */
    CHECK_EQ(ic_page_table_map(pt3, 0x200000, ROOT_VSPACE), IC_ILLEGAL_OPERATION);
    CHECK_EQ(ic_frame_map(f, 0x203000, IC_RIGHTS_ALL, IC_ATTR_CACHED, ROOT_VSPACE), IC_ILLEGAL_OPERATION);
    CHECK_OK(ic_page_table_unmap(pt2));
    CHECK_OK(ic_page_table_unmap(pt3));
    CHECK_OK(ic_frame_unmap(f));
    /* the unmapped tables come back empty in a new VSpace */
    ic_cptr_t vs2 = alloc_object(IC_OBJ_VSPACE, 0);
    CHECK(vs2);
    CHECK_OK(ic_page_table_map(pt2, 0x200000, vs2));
    CHECK_OK(ic_page_table_map(pt3, 0x200000, vs2)); /* level 2 entry was cleared */
    CHECK_OK(ic_frame_map(f, 0x203000, IC_RIGHTS_ALL, IC_ATTR_CACHED, vs2)); /* level 3 too */
    /* and the level-3 table can serve the root VSpace after another move */
    CHECK_OK(ic_page_table_unmap(pt3));
    CHECK_OK(ic_frame_unmap(f));
    CHECK(alloc_page(NULL)); /* level-2 table for the test's range */
    ic_word_t r = alloc_vaddr(0x200000, 0x200000);
    CHECK_OK(ic_page_table_map(pt3, r, ROOT_VSPACE));
    CHECK_OK(ic_frame_map(f, r + 0x3000, IC_RIGHTS_ALL, IC_ATTR_CACHED, ROOT_VSPACE));
    *(volatile uint64_t *)(r + 0x3000) = 0x600d;
    CHECK_EQ(*(volatile uint64_t *)(r + 0x3000), 0x600d);
}

/* ------------------------------------------------------------ faults */

static void write_thread(ic_word_t addr, ic_word_t value)
{
    volatile ic_word_t *p = (volatile ic_word_t *)addr;
    g_val = *p; /* reading is allowed */
    g_state = 1;
    *p = value; /* writing faults */
    g_state = 2;
}

TEST(vspace_read_only_mapping_write_faults)
{
    ic_cptr_t fep = alloc_object(IC_OBJ_ENDPOINT, 0);
    ic_cptr_t f;
    volatile ic_word_t *a = alloc_page(&f);
    CHECK(fep && a);
    a[3] = 0x1234;
    ic_cptr_t ro = copy_with_rights(f, IC_RIGHTS_ALL);
    CHECK(ro);
    ic_word_t vb = alloc_vaddr(4096, 4096);
    CHECK_OK(map_frame(ROOT_VSPACE, ro, vb, IC_RIGHT_READ, IC_ATTR_CACHED));
    g_state = 0;
    g_val = 0;
    struct thread t;
    CHECK(thread_start(&t, write_thread, vb + 3 * 8, 0x5678, SAME_PRIO, fep));
    ic_msginfo_t info = poll_fault(fep);
    CHECK_EQ(ic_msginfo_label(info), IC_FAULT_VM);
    CHECK_EQ(ic_msginfo_length(info), IC_VM_FAULT_LENGTH);
    ic_word_t pc = ic_get_mr(IC_VM_FAULT_PC), addr = ic_get_mr(IC_VM_FAULT_ADDR);
    ic_word_t prefetch = ic_get_mr(IC_VM_FAULT_IS_PREFETCH), esr = ic_get_mr(IC_VM_FAULT_ESR);
    CHECK_EQ(g_state, 1);
    CHECK_EQ(g_val, 0x1234);
    CHECK_EQ(addr, vb + 3 * 8);
    CHECK_EQ(prefetch, 0);
    CHECK_EQ(ESR_EC(esr), EC_DABT_LOWER);
    CHECK_EQ(ESR_WNR(esr), 1);
    CHECK(pc_in_image(pc));
    /* make the page writable and let the thread retry the store */
    CHECK_OK(ic_frame_unmap(ro));
    ic_cptr_t rw = copy_with_rights(f, IC_RIGHTS_ALL);
    CHECK(rw);
    CHECK_OK(map_frame(ROOT_VSPACE, rw, vb, IC_RIGHT_READ | IC_RIGHT_WRITE, IC_ATTR_CACHED));
    resume_faulter();
    CHECK(yield_until(&g_state, 2));
    CHECK_EQ(a[3], 0x5678);
}

TEST(vspace_read_only_capability_limits_mapping)
{
    /* a frame capability without write rights maps read-only even when
     * asked for everything */
    ic_cptr_t fep = alloc_object(IC_OBJ_ENDPOINT, 0);
    ic_cptr_t f;
    volatile ic_word_t *a = alloc_page(&f);
    CHECK(fep && a);
    a[0] = 0xabc;
    ic_cptr_t ro = copy_with_rights(f, IC_RIGHT_READ);
    CHECK(ro);
    ic_word_t vb = alloc_vaddr(4096, 4096);
    CHECK_OK(map_frame(ROOT_VSPACE, ro, vb, IC_RIGHTS_ALL, IC_ATTR_CACHED));
    g_state = 0;
    struct thread t;
    CHECK(thread_start(&t, write_thread, vb, 0xdef, SAME_PRIO, fep));
    ic_msginfo_t info = poll_fault(fep);
    CHECK_EQ(ic_msginfo_label(info), IC_FAULT_VM);
    CHECK_EQ(ic_get_mr(IC_VM_FAULT_ADDR), vb);
    CHECK_EQ(g_val, 0xabc);
    /* leave it waiting for a reply; stop it */
    CHECK_OK(ic_tcb_suspend(t.tcb));
    yield_n(3);
    CHECK_EQ(g_state, 1);
    CHECK_EQ(a[0], 0xabc);
}

static void read_twice_thread(ic_word_t addr, ic_word_t unused)
{
    (void)unused;
    volatile ic_word_t *p = (volatile ic_word_t *)addr;
    g_val = *p;
    g_state = 1;
    while (!g_go)
        ic_yield();
    g_val = *p;
    g_state = 2;
}

TEST(vspace_access_after_unmap_faults)
{
    ic_cptr_t fep = alloc_object(IC_OBJ_ENDPOINT, 0);
    ic_cptr_t f;
    volatile ic_word_t *a = alloc_page(&f);
    CHECK(fep && a);
    a[0] = 0x42;
    g_state = g_go = g_val = 0;
    struct thread t;
    CHECK(thread_start(&t, read_twice_thread, (ic_word_t)a, 0, SAME_PRIO, fep));
    CHECK(yield_until(&g_state, 1));
    CHECK_EQ(g_val, 0x42);
    CHECK_OK(ic_frame_unmap(f));
    g_go = 1;
    ic_msginfo_t info = poll_fault(fep);
    CHECK_EQ(ic_msginfo_label(info), IC_FAULT_VM);
    CHECK_EQ(ic_get_mr(IC_VM_FAULT_ADDR), (ic_word_t)a);
    CHECK_EQ(ic_get_mr(IC_VM_FAULT_IS_PREFETCH), 0);
    CHECK_EQ(ESR_EC(ic_get_mr(IC_VM_FAULT_ESR)), EC_DABT_LOWER);
    CHECK_EQ(ESR_WNR(ic_get_mr(IC_VM_FAULT_ESR)), 0);
    CHECK_EQ(g_state, 1);
    /* map it back (the root task writes a new value first) and resume */
    CHECK_OK(map_frame(ROOT_VSPACE, f, (ic_word_t)a, IC_RIGHTS_ALL, IC_ATTR_CACHED));
    a[0] = 0x43;
    resume_faulter();
    CHECK(yield_until(&g_state, 2));
    CHECK_EQ(g_val, 0x43);
}

static void exec_thread(ic_word_t addr, ic_word_t unused)
{
    (void)unused;
    ((void (*)(void))addr)();
    g_state = 1;
}

TEST(vspace_execute_needs_execute_right)
{
    ic_cptr_t fep = alloc_object(IC_OBJ_ENDPOINT, 0);
    ic_cptr_t f = alloc_object(IC_OBJ_FRAME_4K, 0);
    CHECK(fep && f);
    ic_word_t va = alloc_vaddr(4096, 4096);
    CHECK_OK(map_frame(ROOT_VSPACE, f, va, IC_RIGHT_READ | IC_RIGHT_WRITE, IC_ATTR_CACHED));
    *(volatile uint32_t *)va = 0xd65f03c0; /* ret */
    g_state = 0;
    struct thread t;
    CHECK(thread_start(&t, exec_thread, va, 0, SAME_PRIO, fep));
    ic_msginfo_t info = poll_fault(fep);
    CHECK_EQ(ic_msginfo_label(info), IC_FAULT_VM);
    CHECK_EQ(ic_get_mr(IC_VM_FAULT_PC), va);
    CHECK_EQ(ic_get_mr(IC_VM_FAULT_ADDR), va);
    CHECK_EQ(ic_get_mr(IC_VM_FAULT_IS_PREFETCH), 1);
    CHECK_EQ(ESR_EC(ic_get_mr(IC_VM_FAULT_ESR)), EC_IABT_LOWER);
    /* map an executable copy in its place and resume: the 'ret' runs */
    CHECK_OK(ic_frame_unmap(f));
    ic_cptr_t fx = copy_with_rights(f, IC_RIGHT_READ | IC_RIGHT_EXECUTE);
    CHECK(fx);
    CHECK_OK(map_frame(ROOT_VSPACE, fx, va, IC_RIGHTS_ALL, IC_ATTR_CACHED));
    resume_faulter();
    CHECK(yield_until(&g_state, 1));
}

/* ------------------------------------------------------------ new VSpaces */

#define VS_PRIVATE 0x20000000ull /* a page only the new VSpace has */
#define VS_IPC 0x20001000ull
#define VS_STACK 0x20010000ull
#define VS_STACK_PAGES 4

static volatile ic_word_t g_seen, g_self;

static void vspace_thread(ic_word_t ntfn, ic_word_t root_only)
{
    g_seen = *(volatile ic_word_t *)VS_PRIVATE;
    g_state = 1;
    ic_signal(ntfn);
    while (!g_go)
        ic_yield();
    g_val = *(volatile ic_word_t *)root_only; /* not mapped here: faults */
    g_state = 2;
    ic_tcb_suspend(g_self);
}

#define MAX_IMAGE_FRAMES 256

/* Map copies of the root task's image frames at their own addresses in vs
 * (the image frames come in address order; page tables of the root VSpace
 * are interleaved with them). The copies go to copies[]; returns how many. */
static unsigned map_image(ic_cptr_t vs, ic_cptr_t *copies)
{
    unsigned n = 0;
    for (ic_word_t s = bootinfo->image_frames.start; s < bootinfo->image_frames.end; s++) {
        if (ic_frame_get_address(s, NULL) != IC_OK)
            continue; /* a page table of the root VSpace */
        ic_cptr_t c = copy_with_rights(s, IC_RIGHTS_ALL);
        if (!c || n >= MAX_IMAGE_FRAMES)
            return 0;
        copies[n] = c;
        if (map_frame(vs, c, (ic_word_t)__image_start + n * 4096ull, IC_RIGHTS_ALL, IC_ATTR_CACHED) != IC_OK)
            return 0;
        n++;
    }
    return n;
}

TEST(vspace_thread_runs_in_new_vspace)
{
    ic_cptr_t vs = alloc_object(IC_OBJ_VSPACE, 0);
    ic_cptr_t tcb = alloc_object(IC_OBJ_TCB, 0), ipc = alloc_object(IC_OBJ_FRAME_4K, 0);
    ic_cptr_t ntfn = alloc_object(IC_OBJ_NOTIFICATION, 0), badged = alloc_slot();
    ic_cptr_t fep = alloc_object(IC_OBJ_ENDPOINT, 0);
    CHECK(vs && tcb && ipc && ntfn && fep);
    CHECK_OK(ic_cnode_mint(ROOT_CNODE, badged, ROOT_DEPTH, ntfn, ROOT_DEPTH, IC_RIGHTS_ALL, 0x10, ROOT_CNODE));

    static ic_cptr_t image[MAX_IMAGE_FRAMES];
    unsigned frames = map_image(vs, image);
    CHECK_EQ(frames, ((ic_word_t)__image_end - (ic_word_t)__image_start) / 4096);
    /* a private page, filled through the root task's own mapping of it */
    ic_cptr_t priv;
    volatile ic_word_t *root_view = alloc_page(&priv);
    CHECK(root_view);
    root_view[0] = 0xfeedface;
    ic_cptr_t priv2 = copy_with_rights(priv, IC_RIGHTS_ALL);
    CHECK(priv2);
    CHECK_OK(map_frame(vs, priv2, VS_PRIVATE, IC_RIGHTS_ALL, IC_ATTR_CACHED));
    CHECK_OK(map_frame(vs, ipc, VS_IPC, IC_RIGHTS_ALL, IC_ATTR_CACHED));
    for (unsigned i = 0; i < VS_STACK_PAGES; i++) {
        ic_cptr_t s = alloc_object(IC_OBJ_FRAME_4K, 0);
        CHECK(s);
        CHECK_OK(map_frame(vs, s, VS_STACK + i * 4096ull, IC_RIGHTS_ALL, IC_ATTR_CACHED));
    }

    CHECK_OK(ic_tcb_configure(tcb, IC_WORD_BITS - IC_ROOT_CNODE_BITS, VS_IPC, fep, ROOT_CNODE, vs, ipc));
    CHECK_OK(ic_tcb_set_priority(tcb, SAME_PRIO, ROOT_TCB));
    ic_user_context_t regs = { 0 };
    regs.regs[IC_REG_PC] = (ic_word_t)vspace_thread;
    regs.regs[IC_REG_SP] = VS_STACK + VS_STACK_PAGES * 4096ull;
    regs.regs[IC_REG_TPIDR] = VS_IPC;
    regs.regs[IC_REG_X0 + 0] = badged;
    regs.regs[IC_REG_X0 + 1] = (ic_word_t)root_view;
    g_state = g_go = g_seen = g_val = 0;
    g_self = tcb;
    CHECK_OK(ic_tcb_write_registers(tcb, true, IC_REG_COUNT, &regs));

    /* it runs the shared code, sees its private page and the shared data */
    CHECK(yield_until(&g_state, 1));
    CHECK_EQ(g_seen, 0xfeedface);
    ic_word_t bits = 0;
    ic_poll(ntfn, &bits);
    CHECK_EQ(bits, 0x10);
    /* the root task's pages are not in its VSpace */
    g_go = 1;
    ic_msginfo_t info = poll_fault(fep);
    CHECK_EQ(ic_msginfo_label(info), IC_FAULT_VM);
    CHECK_EQ(ic_get_mr(IC_VM_FAULT_ADDR), (ic_word_t)root_view);
    CHECK_EQ(g_state, 1);
    CHECK_OK(ic_tcb_suspend(tcb));

    /* destroy the VSpace while its frames still record their mappings:
     * the TCB held the last capability but one */
    CHECK_OK(ic_cnode_delete(ROOT_CNODE, vs, ROOT_DEPTH));
    CHECK_OK(ic_cnode_delete(ROOT_CNODE, tcb, ROOT_DEPTH));
    /* the records are stale, but still block a new mapping until unmapped */
    ic_word_t va = alloc_vaddr(4096, 4096);
    CHECK_EQ(map_frame(ROOT_VSPACE, priv2, va, IC_RIGHTS_ALL, IC_ATTR_CACHED), IC_ILLEGAL_OPERATION);
    CHECK_OK(ic_frame_unmap(priv2));
    CHECK_OK(map_frame(ROOT_VSPACE, priv2, va, IC_RIGHTS_ALL, IC_ATTR_CACHED));
    CHECK_EQ(*(volatile ic_word_t *)va, 0xfeedface);
    for (unsigned i = 0; i < frames; i++)
        CHECK_OK(ic_frame_unmap(image[i]));
    /* the first image page, seen through its unmapped-and-remapped copy */
    ic_word_t vb = alloc_vaddr(4096, 4096);
    CHECK_OK(map_frame(ROOT_VSPACE, image[0], vb, IC_RIGHT_READ, IC_ATTR_CACHED));
    CHECK_EQ(memcmp((const void *)vb, __image_start, 4096), 0);
    /* and its VMID is free for a new VSpace */
    CHECK(alloc_object(IC_OBJ_VSPACE, 0));
}
