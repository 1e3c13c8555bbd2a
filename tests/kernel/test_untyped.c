/* Untyped memory: retype into every object type, placement and alignment,
 * exhaustion, reuse after revoke, zeroing, device memory and argument
 * checking. */
#include "test.h"

/* ------------------------------------------------------------ helpers */

static ic_err_t retype(ic_cptr_t ut, ic_word_t type, ic_word_t bits, ic_cptr_t slot, ic_word_t count)
{
    return ic_untyped_retype(ut, type, bits, ROOT_CNODE, ROOT_DEPTH, slot, count, ROOT_CNODE);
}

/* A child untyped of the test's region, 2^bits bytes. */
static ic_cptr_t child_untyped(unsigned bits)
{
    return alloc_object(IC_OBJ_UNTYPED, bits);
}

/* ------------------------------------------------------------ tests */

TEST(untyped_retype_every_object_type)
{
    /* untyped: a child can itself be retyped */
    ic_cptr_t ut = child_untyped(12);
    CHECK(ut);
    ic_cptr_t ep_from_child = alloc_slot();
    CHECK_OK(retype(ut, IC_OBJ_ENDPOINT, 0, ep_from_child, 1));

    /* TCB: takes TCB invocations, not others */
    ic_cptr_t tcb = alloc_object(IC_OBJ_TCB, 0);
    CHECK(tcb);
    CHECK_OK(ic_tcb_suspend(tcb));
    ic_word_t paddr = 0x5a;
    CHECK_EQ(ic_frame_get_address(tcb, &paddr), IC_INVALID_CAPABILITY);
    CHECK_EQ(paddr, 0x5a);

    /* endpoint: a non-blocking receive finds nobody (badge 0, no error) */
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    CHECK(ep);
    ic_word_t badge = 99;
    CHECK_EQ(ic_nb_recv(ep, &badge), 0);
    CHECK_EQ(badge, 0);

    /* notification: a badged copy signals, the original polls the bits */
    ic_cptr_t ntfn = alloc_object(IC_OBJ_NOTIFICATION, 0);
    ic_cptr_t badged = alloc_slot();
    CHECK(ntfn);
    CHECK_OK(ic_cnode_mint(ROOT_CNODE, badged, ROOT_DEPTH, ntfn, ROOT_DEPTH, IC_RIGHTS_ALL, 0x24, ROOT_CNODE));
    ic_signal(badged);
    ic_poll(ntfn, &badge);
    CHECK_EQ(badge, 0x24);
    /* a Call on a notification is refused (on an endpoint it would be IPC) */
    ic_word_t err = 0;
    ic_call(ntfn, ic_msginfo_new(IC_INV_TCB_SUSPEND, 0, 0, 0), &err);
    CHECK_EQ(err, IC_INVALID_CAPABILITY);

    /* CNodes of several radices: the last slot is usable, one more bit of
     * depth than the radix is not */
    static const unsigned radices[] = { 1, 4, 8, 12 };
    for (unsigned i = 0; i < sizeof(radices) / sizeof(radices[0]); i++) {
        unsigned r = radices[i];
        ic_cptr_t cn = alloc_object(IC_OBJ_CNODE, r);
        CHECK(cn);
        ic_word_t last = (1ull << r) - 1;
        CHECK_OK(ic_cnode_copy(cn, last, r, ep, ROOT_DEPTH, IC_RIGHTS_ALL, ROOT_CNODE));
        CHECK_EQ(ic_cnode_copy(cn, last, r, ep, ROOT_DEPTH, IC_RIGHTS_ALL, ROOT_CNODE), IC_DELETE_FIRST);
        CHECK_EQ(ic_cnode_copy(cn, 0, r + 1, ep, ROOT_DEPTH, IC_RIGHTS_ALL, ROOT_CNODE), IC_FAILED_LOOKUP);
        CHECK_OK(ic_cnode_copy(cn, 0, r, ep, ROOT_DEPTH, IC_RIGHTS_ALL, ROOT_CNODE));
    }

    /* frames of both sizes, aligned to their size */
    ic_cptr_t f4 = alloc_object(IC_OBJ_FRAME_4K, 0);
    ic_cptr_t f2 = alloc_object(IC_OBJ_FRAME_2M, 0);
    CHECK(f4 && f2);
    CHECK_EQ(frame_address(f4) & 0xfff, 0);
    CHECK_EQ(frame_address(f2) & 0x1fffff, 0);

    /* VSpace and page table: the table maps into the new VSpace */
    ic_cptr_t vs = alloc_object(IC_OBJ_VSPACE, 0);
    ic_cptr_t pt = alloc_object(IC_OBJ_PAGE_TABLE, 0);
    CHECK(vs && pt);
    CHECK_OK(ic_page_table_map(pt, 0x200000, vs));
    CHECK_EQ(ic_page_table_map(pt, 0x200000, vs), IC_ILLEGAL_OPERATION);
    CHECK_EQ(ic_frame_map(f2, 0x200000, IC_RIGHTS_ALL, IC_ATTR_CACHED, pt), IC_INVALID_CAPABILITY);
    CHECK_OK(ic_frame_map(f2, 0x200000, IC_RIGHTS_ALL, IC_ATTR_CACHED, vs));
}

TEST(untyped_retype_fills_consecutive_slots)
{
    ic_cptr_t first = alloc_slots(9);
    CHECK(first);
    CHECK_OK(retype(test_untyped, IC_OBJ_FRAME_4K, 0, first, 8));
    ic_word_t base = frame_address(first);
    CHECK(base != ~0ull);
    for (unsigned i = 0; i < 8; i++)
        CHECK_EQ(frame_address(first + i), base + i * 4096ull);
    CHECK(slot_is_empty(first + 8));

    /* several notifications at once: each is its own object */
    ic_cptr_t n = alloc_slots(4), m = alloc_slots(4);
    CHECK(n && m);
    CHECK_OK(retype(test_untyped, IC_OBJ_NOTIFICATION, 0, n, 4));
    for (unsigned i = 0; i < 4; i++)
        CHECK_OK(ic_cnode_mint(ROOT_CNODE, m + i, ROOT_DEPTH, n + i, ROOT_DEPTH, IC_RIGHTS_ALL, 1ull << i,
                               ROOT_CNODE));
    ic_signal(m + 2);
    for (unsigned i = 0; i < 4; i++) {
        ic_word_t bits = 0;
        ic_poll(n + i, &bits);
        CHECK_EQ(bits, i == 2 ? 4 : 0);
    }
}

TEST(untyped_retype_count_limits)
{
    ic_cptr_t first = alloc_slots(257);
    CHECK(first);
    CHECK_EQ(retype(test_untyped, IC_OBJ_ENDPOINT, 0, first, 0), IC_RANGE_ERROR);
    CHECK_EQ(retype(test_untyped, IC_OBJ_ENDPOINT, 0, first, 257), IC_RANGE_ERROR);
    CHECK_EQ(retype(test_untyped, IC_OBJ_ENDPOINT, 0, first, ~0ull), IC_RANGE_ERROR);
    CHECK(slot_is_empty(first));
    CHECK(slot_is_empty(first + 255));
    /* the maximum works and fills exactly 256 slots */
    CHECK_OK(retype(test_untyped, IC_OBJ_ENDPOINT, 0, first, 256));
    CHECK(!slot_is_empty(first));
    CHECK(!slot_is_empty(first + 255));
    CHECK(slot_is_empty(first + 256));
    ic_word_t badge = 1;
    CHECK_EQ(ic_nb_recv(first + 255, &badge), 0);
    CHECK_EQ(badge, 0);
}

TEST(untyped_objects_are_aligned_to_their_size)
{
    ic_cptr_t f0 = alloc_object(IC_OBJ_FRAME_4K, 0);
    CHECK(f0);
    ic_word_t base = frame_address(f0);
    /* the first object sits at the start of the (naturally aligned) region */
    CHECK_EQ(base & ((1ull << test_untyped_bits) - 1), 0);
    CHECK(alloc_object(IC_OBJ_ENDPOINT, 0));            /* base + 0x1000, 16 bytes */
    ic_cptr_t f1 = alloc_object(IC_OBJ_FRAME_4K, 0);    /* rounded up to the next page */
    CHECK(f1);
    CHECK_EQ(frame_address(f1), base + 0x2000);
    CHECK(alloc_object(IC_OBJ_TCB, 0));                 /* base + 0x3000, 2 KiB */
    ic_cptr_t f2 = alloc_object(IC_OBJ_FRAME_2M, 0);    /* the next 2 MiB boundary */
    CHECK(f2);
    CHECK_EQ(frame_address(f2), base + 0x200000);
    ic_cptr_t f3 = alloc_object(IC_OBJ_FRAME_4K, 0);
    CHECK(f3);
    CHECK_EQ(frame_address(f3), base + 0x400000);
    /* a child untyped of 1 MiB starts on a 1 MiB boundary */
    ic_cptr_t ut = child_untyped(20);
    CHECK(ut);
    ic_cptr_t f4 = alloc_slot();
    CHECK_OK(retype(ut, IC_OBJ_FRAME_4K, 0, f4, 1));
    CHECK_EQ(frame_address(f4), base + 0x500000);
    /* a CNode of radix 10 (64 KiB) after a notification: 64 KiB aligned;
     * a frame retyped after it lands right behind it */
    CHECK(alloc_object(IC_OBJ_NOTIFICATION, 0));        /* base + 0x600000 */
    CHECK(alloc_object(IC_OBJ_CNODE, 10));              /* base + 0x610000 */
    ic_cptr_t f5 = alloc_object(IC_OBJ_FRAME_4K, 0);
    CHECK(f5);
    CHECK_EQ(frame_address(f5), base + 0x620000);
}

TEST(untyped_exhaustion_creates_nothing)
{
    ic_cptr_t ut = child_untyped(16); /* room for 16 frames */
    CHECK(ut);
    ic_cptr_t first = alloc_slots(18);
    CHECK(first);
    CHECK_OK(retype(ut, IC_OBJ_FRAME_4K, 0, first, 15));
    ic_word_t base = frame_address(first);
    /* two do not fit: neither is made */
    CHECK_EQ(retype(ut, IC_OBJ_FRAME_4K, 0, first + 15, 2), IC_NOT_ENOUGH_MEMORY);
    CHECK(slot_is_empty(first + 15));
    CHECK(slot_is_empty(first + 16));
    /* the failure did not move the watermark: the last frame still fits */
    CHECK_OK(retype(ut, IC_OBJ_FRAME_4K, 0, first + 15, 1));
    CHECK_EQ(frame_address(first + 15), base + 15 * 4096);
    CHECK_EQ(retype(ut, IC_OBJ_FRAME_4K, 0, first + 16, 1), IC_NOT_ENOUGH_MEMORY);
    CHECK_EQ(retype(ut, IC_OBJ_ENDPOINT, 0, first + 16, 1), IC_NOT_ENOUGH_MEMORY);
    CHECK(slot_is_empty(first + 16));

    /* objects bigger than the whole region */
    ic_cptr_t small = child_untyped(16);
    ic_cptr_t s = alloc_slot();
    CHECK(small && s);
    CHECK_EQ(retype(small, IC_OBJ_FRAME_2M, 0, s, 1), IC_NOT_ENOUGH_MEMORY);
    CHECK_EQ(retype(small, IC_OBJ_UNTYPED, 17, s, 1), IC_NOT_ENOUGH_MEMORY);
    CHECK_EQ(retype(small, IC_OBJ_CNODE, 11, s, 1), IC_NOT_ENOUGH_MEMORY);
    CHECK_EQ(retype(test_untyped, IC_OBJ_UNTYPED, test_untyped_bits + 1, s, 1), IC_NOT_ENOUGH_MEMORY);
    CHECK(slot_is_empty(s));
    /* ... but the whole region as one object is fine */
    CHECK_OK(retype(small, IC_OBJ_UNTYPED, 16, s, 1));
}

TEST(untyped_reuse_after_revoke)
{
    ic_cptr_t ut = child_untyped(16);
    CHECK(ut);
    ic_cptr_t first = alloc_slots(16);
    CHECK(first);
    ic_word_t addr[16];
    CHECK_OK(retype(ut, IC_OBJ_FRAME_4K, 0, first, 16));
    for (unsigned i = 0; i < 16; i++)
        addr[i] = frame_address(first + i);
    ic_cptr_t extra = alloc_slot();
    CHECK_EQ(retype(ut, IC_OBJ_FRAME_4K, 0, extra, 1), IC_NOT_ENOUGH_MEMORY);

    /* one child left keeps the region in use */
    for (unsigned i = 0; i < 15; i++)
        CHECK_OK(ic_cnode_delete(ROOT_CNODE, first + i, ROOT_DEPTH));
    CHECK_EQ(retype(ut, IC_OBJ_FRAME_4K, 0, extra, 1), IC_NOT_ENOUGH_MEMORY);

    /* revoke removes it: the region is free again, from its start */
    CHECK_OK(ic_cnode_revoke(ROOT_CNODE, ut, ROOT_DEPTH));
    CHECK(slot_is_empty(first + 15));
    CHECK_OK(retype(ut, IC_OBJ_FRAME_4K, 0, first, 16));
    for (unsigned i = 0; i < 16; i++)
        CHECK_EQ(frame_address(first + i), addr[i]);

    /* revoking again and retyping other objects also works */
    CHECK_OK(ic_cnode_revoke(ROOT_CNODE, ut, ROOT_DEPTH));
    for (unsigned i = 0; i < 16; i++)
        CHECK(slot_is_empty(first + i));
    CHECK_OK(retype(ut, IC_OBJ_TCB, 0, first, 16)); /* 16 x 2 KiB */
    CHECK_OK(ic_tcb_suspend(first + 15));
}

TEST(untyped_retyped_memory_is_zeroed)
{
    ic_cptr_t ut = child_untyped(12);
    CHECK(ut);
    ic_cptr_t f = alloc_slot();
    CHECK_OK(retype(ut, IC_OBJ_FRAME_4K, 0, f, 1));
    ic_word_t pa = frame_address(f);
    ic_word_t va = alloc_vaddr(4096, 4096);
    CHECK_OK(map_frame(ROOT_VSPACE, f, va, IC_RIGHTS_ALL, IC_ATTR_CACHED));
    volatile uint64_t *p = (volatile uint64_t *)va;
    for (unsigned i = 0; i < 512; i++)
        CHECK_EQ(p[i], 0);
    for (unsigned i = 0; i < 512; i++)
        p[i] = 0xa5a5a5a5a5a5a5a5ull ^ i;

    /* revoke (unmaps the frame), then retype over the dirty memory: a CNode
     * made there has only empty slots */
    CHECK_OK(ic_cnode_revoke(ROOT_CNODE, ut, ROOT_DEPTH));
    CHECK(slot_is_empty(f));
    ic_cptr_t cn = alloc_slot();
    CHECK_OK(retype(ut, IC_OBJ_CNODE, 6, cn, 1));
    ic_cptr_t tmp = alloc_slot();
    for (unsigned i = 0; i < 64; i++)
        CHECK_EQ(ic_cnode_copy(ROOT_CNODE, tmp, ROOT_DEPTH, i, 6, IC_RIGHTS_ALL, cn), IC_FAILED_LOOKUP);
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    CHECK(ep);
    CHECK_OK(ic_cnode_copy(cn, 63, 6, ep, ROOT_DEPTH, IC_RIGHTS_ALL, ROOT_CNODE));

    /* dirty again (the CNode holds a capability), revoke, and a frame made
     * at the same address reads as zero */
    CHECK_OK(ic_cnode_revoke(ROOT_CNODE, ut, ROOT_DEPTH));
    CHECK_OK(retype(ut, IC_OBJ_FRAME_4K, 0, f, 1));
    CHECK_EQ(frame_address(f), pa);
    ic_word_t va2 = alloc_vaddr(4096, 4096);
    CHECK_OK(map_frame(ROOT_VSPACE, f, va2, IC_RIGHTS_ALL, IC_ATTR_CACHED));
    volatile uint64_t *q = (volatile uint64_t *)va2;
    for (unsigned i = 0; i < 512; i++)
        CHECK_EQ(q[i], 0);
}

TEST(untyped_objects_from_recarved_child_are_zeroed)
{
    /* a child untyped carved over dirty memory is not zeroed itself, but
     * every object made from it is. 'parent' has no other children (the
     * page tables for the mappings come from the test's region). */
    ic_cptr_t parent = child_untyped(16), ut = alloc_slot(), f = alloc_slot();
    CHECK(parent);
    CHECK_OK(retype(parent, IC_OBJ_UNTYPED, 13, ut, 1));
    CHECK_OK(retype(ut, IC_OBJ_FRAME_4K, 0, f, 1));
    ic_word_t pa = frame_address(f);
    ic_word_t va = alloc_vaddr(4096, 4096);
    CHECK_OK(map_frame(ROOT_VSPACE, f, va, IC_RIGHTS_ALL, IC_ATTR_CACHED));
    for (unsigned i = 0; i < 512; i++)
        ((volatile uint64_t *)va)[i] = ~0ull - i;
    /* drop everything made from 'parent' */
    CHECK_OK(ic_cnode_delete(ROOT_CNODE, f, ROOT_DEPTH));
    CHECK_OK(ic_cnode_delete(ROOT_CNODE, ut, ROOT_DEPTH));
    /* carve the same memory again, through two levels of untyped */
    ic_cptr_t ut3 = alloc_slot();
    CHECK_OK(retype(parent, IC_OBJ_UNTYPED, 13, ut, 1));
    CHECK_OK(retype(ut, IC_OBJ_UNTYPED, 12, ut3, 1));
    CHECK_OK(retype(ut3, IC_OBJ_FRAME_4K, 0, f, 1));
    CHECK_EQ(frame_address(f), pa);
    ic_word_t va2 = alloc_vaddr(4096, 4096);
    CHECK_OK(map_frame(ROOT_VSPACE, f, va2, IC_RIGHTS_ALL, IC_ATTR_CACHED));
    for (unsigned i = 0; i < 512; i++)
        CHECK_EQ(((volatile uint64_t *)va2)[i], 0);
}

/* The first device untyped of at least 2^min_bits bytes; 0 if none. */
static ic_cptr_t find_device_untyped(unsigned min_bits, ic_word_t *paddr, unsigned *bits)
{
    for (ic_word_t i = 0; i < bootinfo->untyped.end - bootinfo->untyped.start; i++) {
        const ic_untyped_desc_t *d = &bootinfo->untyped_list[i];
        if (d->is_device && d->size_bits >= min_bits) {
            *paddr = d->paddr;
            *bits = d->size_bits;
            return bootinfo->untyped.start + i;
        }
    }
    return 0;
}

TEST(untyped_device_memory_only_becomes_frames_or_untyped)
{
    ic_word_t paddr;
    unsigned bits;
    ic_cptr_t dev = find_device_untyped(22, &paddr, &bits);
    CHECK(dev);
    ic_cptr_t s = alloc_slot();
    static const ic_word_t refused[][2] = {
        { IC_OBJ_TCB, 0 },        { IC_OBJ_ENDPOINT, 0 },   { IC_OBJ_NOTIFICATION, 0 },
        { IC_OBJ_CNODE, 4 },      { IC_OBJ_PAGE_TABLE, 0 }, { IC_OBJ_VSPACE, 0 },
    };
    for (unsigned i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        CHECK_EQ(retype(dev, refused[i][0], refused[i][1], s, 1), IC_INVALID_ARGUMENT);
        CHECK(slot_is_empty(s));
    }
    /* frames: at the start of the region, not moved by the refusals */
    CHECK_OK(retype(dev, IC_OBJ_FRAME_4K, 0, s, 1));
    CHECK_EQ(frame_address(s), paddr);
    /* a child untyped is device memory too */
    ic_cptr_t child = alloc_slot();
    CHECK_OK(retype(dev, IC_OBJ_UNTYPED, 12, child, 1));
    ic_cptr_t s2 = alloc_slot();
    CHECK_EQ(retype(child, IC_OBJ_TCB, 0, s2, 1), IC_INVALID_ARGUMENT);
    CHECK_EQ(retype(child, IC_OBJ_NOTIFICATION, 0, s2, 1), IC_INVALID_ARGUMENT);
    CHECK_OK(retype(child, IC_OBJ_FRAME_4K, 0, s2, 1));
    CHECK_EQ(frame_address(s2), paddr + 0x1000);
    /* large frames from device memory */
    ic_cptr_t big = alloc_slot();
    CHECK_OK(retype(dev, IC_OBJ_FRAME_2M, 0, big, 1));
    CHECK_EQ(frame_address(big), paddr + 0x200000);
    /* device frames may not hold an IPC buffer */
    ic_cptr_t tcb = alloc_object(IC_OBJ_TCB, 0);
    CHECK(tcb);
    CHECK_EQ(ic_tcb_configure(tcb, IC_WORD_BITS - IC_ROOT_CNODE_BITS, 0x10000, 0, ROOT_CNODE, ROOT_VSPACE, s2),
             IC_INVALID_CAPABILITY);
}

TEST(untyped_retype_rejects_bad_type)
{
    ic_cptr_t s = alloc_slot();
    CHECK_EQ(retype(test_untyped, IC_OBJ_TYPE_COUNT, 0, s, 1), IC_INVALID_ARGUMENT);
    CHECK_EQ(retype(test_untyped, 255, 0, s, 1), IC_INVALID_ARGUMENT);
    CHECK_EQ(retype(test_untyped, ~0ull, 12, s, 1), IC_INVALID_ARGUMENT);
    CHECK_EQ(retype(test_untyped, 1ull << 32 | IC_OBJ_ENDPOINT, 0, s, 1), IC_INVALID_ARGUMENT);
    CHECK(slot_is_empty(s));
    /* nothing was allocated: the next object is at the start of the region */
    ic_cptr_t f = alloc_object(IC_OBJ_FRAME_4K, 0);
    CHECK(f);
    CHECK_EQ(frame_address(f) & ((1ull << test_untyped_bits) - 1), 0);
}

TEST(untyped_retype_rejects_bad_sizes)
{
    ic_cptr_t s = alloc_slot();
    CHECK_EQ(retype(test_untyped, IC_OBJ_UNTYPED, IC_MIN_UNTYPED_BITS - 1, s, 1), IC_RANGE_ERROR);
    CHECK_EQ(retype(test_untyped, IC_OBJ_UNTYPED, IC_MAX_UNTYPED_BITS + 1, s, 1), IC_RANGE_ERROR);
    CHECK_EQ(retype(test_untyped, IC_OBJ_UNTYPED, 64, s, 1), IC_RANGE_ERROR);
    CHECK_EQ(retype(test_untyped, IC_OBJ_UNTYPED, 1ull << 40, s, 1), IC_RANGE_ERROR);
    CHECK_EQ(retype(test_untyped, IC_OBJ_CNODE, 0, s, 1), IC_RANGE_ERROR);
    CHECK_EQ(retype(test_untyped, IC_OBJ_CNODE, IC_CNODE_MAX_RADIX + 1, s, 1), IC_RANGE_ERROR);
    CHECK_EQ(retype(test_untyped, IC_OBJ_CNODE, 64 + 4, s, 1), IC_RANGE_ERROR);
    /* a legal radix that does not fit in 16 MiB */
    CHECK_EQ(retype(test_untyped, IC_OBJ_CNODE, IC_CNODE_MAX_RADIX, s, 1), IC_NOT_ENOUGH_MEMORY);
    CHECK(slot_is_empty(s));
    /* the smallest untyped is fine, and holds exactly one endpoint */
    CHECK_OK(retype(test_untyped, IC_OBJ_UNTYPED, IC_MIN_UNTYPED_BITS, s, 1));
    ic_cptr_t e1 = alloc_slot(), e2 = alloc_slot();
    CHECK_OK(retype(s, IC_OBJ_ENDPOINT, 0, e1, 1));
    CHECK_EQ(retype(s, IC_OBJ_ENDPOINT, 0, e2, 1), IC_NOT_ENOUGH_MEMORY);
    CHECK_EQ(retype(s, IC_OBJ_NOTIFICATION, 0, e2, 1), IC_NOT_ENOUGH_MEMORY);
}

TEST(untyped_retype_into_occupied_slot_fails)
{
    ic_cptr_t first = alloc_slots(3);
    CHECK(first);
    CHECK_OK(retype(test_untyped, IC_OBJ_FRAME_4K, 0, first + 2, 1));
    ic_word_t a0 = frame_address(first + 2);
    CHECK_EQ(retype(test_untyped, IC_OBJ_FRAME_4K, 0, first + 2, 1), IC_DELETE_FIRST);
    /* a range whose last slot is full: nothing is made */
    CHECK_EQ(retype(test_untyped, IC_OBJ_FRAME_4K, 0, first, 3), IC_DELETE_FIRST);
    CHECK(slot_is_empty(first));
    CHECK(slot_is_empty(first + 1));
    CHECK_EQ(frame_address(first + 2), a0);
    /* and the region's watermark did not move */
    CHECK_OK(retype(test_untyped, IC_OBJ_FRAME_4K, 0, first, 2));
    CHECK_EQ(frame_address(first), a0 + 0x1000);
    CHECK_EQ(frame_address(first + 1), a0 + 0x2000);
    /* fixed slots are occupied too */
    CHECK_EQ(retype(test_untyped, IC_OBJ_ENDPOINT, 0, ROOT_TCB, 1), IC_DELETE_FIRST);
}

TEST(untyped_retype_destination_range_checked)
{
    ic_word_t slots = 1ull << IC_ROOT_CNODE_BITS;
    CHECK_EQ(retype(test_untyped, IC_OBJ_ENDPOINT, 0, slots - 1, 2), IC_RANGE_ERROR);
    CHECK_EQ(retype(test_untyped, IC_OBJ_ENDPOINT, 0, slots, 1), IC_RANGE_ERROR);
    CHECK_EQ(retype(test_untyped, IC_OBJ_ENDPOINT, 0, ~0ull, 1), IC_RANGE_ERROR);
    CHECK_EQ(retype(test_untyped, IC_OBJ_ENDPOINT, 0, ~0ull, 2), IC_RANGE_ERROR);
    CHECK(slot_is_empty(slots - 1));
    CHECK_OK(retype(test_untyped, IC_OBJ_ENDPOINT, 0, slots - 1, 1));
    CHECK_OK(ic_cnode_delete(ROOT_CNODE, slots - 1, ROOT_DEPTH));

    /* into a small CNode named by node_index/node_depth */
    ic_cptr_t cn = alloc_object(IC_OBJ_CNODE, 2);
    CHECK(cn);
    CHECK_EQ(ic_untyped_retype(test_untyped, IC_OBJ_NOTIFICATION, 0, cn, ROOT_DEPTH, 3, 2, ROOT_CNODE),
             IC_RANGE_ERROR);
    CHECK_EQ(ic_untyped_retype(test_untyped, IC_OBJ_NOTIFICATION, 0, cn, ROOT_DEPTH, 4, 1, ROOT_CNODE),
             IC_RANGE_ERROR);
    CHECK_OK(ic_untyped_retype(test_untyped, IC_OBJ_NOTIFICATION, 0, cn, ROOT_DEPTH, 0, 4, ROOT_CNODE));
    for (unsigned i = 0; i < 4; i++) {
        ic_cptr_t t = alloc_slot();
        CHECK_OK(ic_cnode_copy(ROOT_CNODE, t, ROOT_DEPTH, i, 2, IC_RIGHTS_ALL, cn));
        ic_word_t bits = 7;
        ic_poll(t, &bits);
        CHECK_EQ(bits, 0);
    }
    /* node_depth 0: the root capability itself is the destination CNode */
    ic_cptr_t cn2 = alloc_object(IC_OBJ_CNODE, 1);
    CHECK(cn2);
    CHECK_OK(ic_untyped_retype(test_untyped, IC_OBJ_ENDPOINT, 0, 0, 0, 1, 1, cn2));
    ic_cptr_t t = alloc_slot();
    CHECK_OK(ic_cnode_copy(ROOT_CNODE, t, ROOT_DEPTH, 1, 1, IC_RIGHTS_ALL, cn2));
    CHECK_EQ(ic_cnode_copy(ROOT_CNODE, alloc_slot(), ROOT_DEPTH, 0, 1, IC_RIGHTS_ALL, cn2), IC_FAILED_LOOKUP);

    /* the destination must be a CNode; so must the root capability */
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    CHECK(ep);
    CHECK_EQ(ic_untyped_retype(test_untyped, IC_OBJ_ENDPOINT, 0, ep, ROOT_DEPTH, 0, 1, ROOT_CNODE),
             IC_INVALID_CAPABILITY);
    CHECK_EQ(ic_untyped_retype(test_untyped, IC_OBJ_ENDPOINT, 0, 0, 0, 0, 1, ep), IC_INVALID_CAPABILITY);
    /* the CNode lookup itself can fail */
    CHECK_EQ(ic_untyped_retype(test_untyped, IC_OBJ_ENDPOINT, 0, cn, 63, 0, 1, ROOT_CNODE), IC_FAILED_LOOKUP);
    CHECK_EQ(ic_untyped_retype(test_untyped, IC_OBJ_ENDPOINT, 0, cn, 65, 0, 1, ROOT_CNODE), IC_RANGE_ERROR);
}

TEST(untyped_cannot_be_copied_or_minted)
{
    ic_cptr_t ut = child_untyped(16);
    ic_cptr_t d = alloc_slot();
    CHECK(ut);
    CHECK_EQ(ic_cnode_copy(ROOT_CNODE, d, ROOT_DEPTH, ut, ROOT_DEPTH, IC_RIGHTS_ALL, ROOT_CNODE),
             IC_ILLEGAL_OPERATION);
    CHECK_EQ(ic_cnode_mint(ROOT_CNODE, d, ROOT_DEPTH, ut, ROOT_DEPTH, IC_RIGHTS_ALL, 1, ROOT_CNODE),
             IC_ILLEGAL_OPERATION);
    CHECK_EQ(ic_cnode_mutate(ROOT_CNODE, d, ROOT_DEPTH, ut, ROOT_DEPTH, 1, ROOT_CNODE), IC_ILLEGAL_OPERATION);
    /* the boot untyped refuse too */
    CHECK_EQ(ic_cnode_copy(ROOT_CNODE, d, ROOT_DEPTH, bootinfo->untyped.start, ROOT_DEPTH, IC_RIGHTS_ALL,
                           ROOT_CNODE),
             IC_ILLEGAL_OPERATION);
    CHECK(slot_is_empty(d));
    /* moving is fine: the capability keeps its place and its watermark */
    ic_cptr_t f = alloc_slot();
    CHECK_OK(retype(ut, IC_OBJ_FRAME_4K, 0, f, 1));
    ic_word_t a = frame_address(f);
    CHECK_OK(ic_cnode_move(ROOT_CNODE, d, ROOT_DEPTH, ut, ROOT_DEPTH, ROOT_CNODE));
    CHECK_EQ(ic_untyped_retype(ut, IC_OBJ_FRAME_4K, 0, ROOT_CNODE, ROOT_DEPTH, alloc_slot(), 1, ROOT_CNODE),
             IC_INVALID_CAPABILITY);
    ic_cptr_t f2 = alloc_slot();
    CHECK_OK(retype(d, IC_OBJ_FRAME_4K, 0, f2, 1));
    CHECK_EQ(frame_address(f2), a + 0x1000);
    /* and revoking it at its new place removes the children */
    CHECK_OK(ic_cnode_revoke(ROOT_CNODE, d, ROOT_DEPTH));
    CHECK(slot_is_empty(f));
    CHECK(slot_is_empty(f2));
}

TEST(untyped_nested_revoke_removes_grandchildren)
{
    ic_cptr_t ut = child_untyped(16);
    CHECK(ut);
    ic_cptr_t mid = alloc_slot(), leaf = alloc_slot(), ep = alloc_slot(), copy = alloc_slot();
    CHECK_OK(retype(ut, IC_OBJ_UNTYPED, 14, mid, 1));
    CHECK_OK(retype(mid, IC_OBJ_UNTYPED, 12, leaf, 1));
    CHECK_OK(retype(leaf, IC_OBJ_ENDPOINT, 0, ep, 1));
    CHECK_OK(ic_cnode_copy(ROOT_CNODE, copy, ROOT_DEPTH, ep, ROOT_DEPTH, IC_RIGHTS_ALL, ROOT_CNODE));
    /* revoking the middle one leaves it but removes everything below */
    CHECK_OK(ic_cnode_revoke(ROOT_CNODE, mid, ROOT_DEPTH));
    CHECK(!slot_is_empty(mid));
    CHECK(slot_is_empty(leaf));
    CHECK(slot_is_empty(ep));
    CHECK(slot_is_empty(copy));
    /* the region below 'mid' is reusable, and the top revoke clears all */
    CHECK_OK(retype(mid, IC_OBJ_UNTYPED, 12, leaf, 1));
    CHECK_OK(retype(leaf, IC_OBJ_NOTIFICATION, 0, ep, 1));
    CHECK_OK(ic_cnode_revoke(ROOT_CNODE, ut, ROOT_DEPTH));
    CHECK(slot_is_empty(mid));
    CHECK(slot_is_empty(leaf));
    CHECK(slot_is_empty(ep));
    CHECK_EQ(syscall_x0(IC_SYS_NB_RECV, ep, 0), IC_INVALID_CAPABILITY);
}

TEST(untyped_large_retype_zeroes_dirty_memory)
{
    enum { BITS = 23, FRAMES = 1 << (BITS - 21) };
    ic_cptr_t ut = child_untyped(BITS);
    CHECK(ut);
    ic_cptr_t first = alloc_slots(FRAMES);
    CHECK(first);
    CHECK_OK(retype(ut, IC_OBJ_FRAME_2M, 0, first, FRAMES));
    ic_word_t va = alloc_vaddr((ic_word_t)FRAMES << 21, 1ull << 21);
    ic_word_t pa0 = frame_address(first);
    CHECK_EQ(pa0 & 0x1fffff, 0);
    for (unsigned i = 0; i < FRAMES; i++) {
        CHECK_EQ(frame_address(first + i), pa0 + ((ic_word_t)i << 21));
        CHECK_OK(map_frame(ROOT_VSPACE, first + i, va + ((ic_word_t)i << 21), IC_RIGHTS_ALL, IC_ATTR_CACHED));
    }
    /* dirty one word in every 4 KiB page, and the very last word */
    volatile uint64_t *p = (volatile uint64_t *)va;
    ic_word_t words = ((ic_word_t)FRAMES << 21) / 8;
    for (ic_word_t i = 0; i < words; i += 512)
        p[i + (i / 512) % 512] = 0xdeadbeef00000000ull | i;
    p[words - 1] = 0x5555;

    /* revoke and retype the whole region again: it is zeroed in chunks,
     * with preemption points, and must come out entirely zero */
    CHECK_OK(ic_cnode_revoke(ROOT_CNODE, ut, ROOT_DEPTH));
    CHECK_OK(retype(ut, IC_OBJ_FRAME_2M, 0, first, FRAMES));
    ic_word_t va2 = alloc_vaddr((ic_word_t)FRAMES << 21, 1ull << 21);
    for (unsigned i = 0; i < FRAMES; i++) {
        CHECK_EQ(frame_address(first + i), pa0 + ((ic_word_t)i << 21));
        CHECK_OK(map_frame(ROOT_VSPACE, first + i, va2 + ((ic_word_t)i << 21), IC_RIGHTS_ALL, IC_ATTR_CACHED));
    }
    volatile uint64_t *q = (volatile uint64_t *)va2;
    for (ic_word_t i = 0; i < words; i += 512)
        CHECK_EQ(q[i + (i / 512) % 512], 0);
    CHECK_EQ(q[words - 1], 0);
    CHECK_EQ(q[0], 0);
}

/* frame_clean: within one frame, at most 64 KiB a call, never on device
 * memory, and the contents stay what they were. QEMU has no caches, so
 * only the interface is seen here. */
TEST(untyped_frame_clean_checks_its_range)
{
    ic_cptr_t small;
    volatile uint64_t *p = alloc_page(&small);
    ic_cptr_t large = alloc_object(IC_OBJ_FRAME_2M, 0);
    CHECK(p && large);
    for (unsigned i = 0; i < 512; i++)
        p[i] = 0x5151000000000000ull + i;
    CHECK_OK(ic_frame_clean(small, 0, 4096));
    CHECK_OK(ic_frame_clean(small, 4095, 1));
    for (unsigned i = 0; i < 512; i++)
        CHECK_EQ(p[i], 0x5151000000000000ull + i);
    static const ic_word_t bad_small[][2] = { { 0, 0 }, { 4096, 1 }, { 4095, 2 }, { 0, 4097 }, { ~0ull, 2 },
                                              { 1, ~0ull }, { 1ull << 63, 1ull << 63 } };
    for (unsigned i = 0; i < sizeof(bad_small) / sizeof(bad_small[0]); i++)
        CHECK_EQ(ic_frame_clean(small, bad_small[i][0], bad_small[i][1]), IC_RANGE_ERROR);
    CHECK_OK(ic_frame_clean(large, 0, 64 * 1024));
    CHECK_OK(ic_frame_clean(large, (2u << 20) - 64 * 1024, 64 * 1024));
    CHECK_EQ(ic_frame_clean(large, 0, 64 * 1024 + 1), IC_RANGE_ERROR);
    CHECK_EQ(ic_frame_clean(large, (2u << 20) - 4096, 8192), IC_RANGE_ERROR);
    /* device memory has nothing in a cache to clean */
    ic_word_t paddr;
    unsigned bits;
    ic_cptr_t dev = find_device_untyped(12, &paddr, &bits), f = alloc_slot();
    CHECK(dev && f);
    CHECK_OK(ic_untyped_retype(dev, IC_OBJ_FRAME_4K, 0, ROOT_CNODE, ROOT_DEPTH, f, 1, ROOT_CNODE));
    CHECK_EQ(ic_frame_clean(f, 0, 4096), IC_INVALID_CAPABILITY);
    CHECK_OK(ic_cnode_delete(ROOT_CNODE, f, ROOT_DEPTH));
    /* other objects do not take it */
    CHECK_EQ(ic_frame_clean(ROOT_VSPACE, 0, 4096), IC_INVALID_CAPABILITY);
}
