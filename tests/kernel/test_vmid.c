/* VMID pools: VMIDs are handed out by capability, so that a component that
 * uses up its own pool cannot deny anyone else a VSpace. */
#include "test.h"

#define FREE_FIRST TEST_VMIDS_END /* no pool holds these between tests */

static ic_err_t make_pool_in(ic_word_t first, ic_word_t count, ic_cptr_t dest)
{
    return ic_vmid_control_make_pool(IC_SLOT_VMIDS, first, count, dest, ROOT_DEPTH, ROOT_CNODE);
}

static ic_cptr_t make_pool(ic_word_t first, ic_word_t count)
{
    ic_cptr_t s = alloc_slot();
    return s && make_pool_in(first, count, s) == IC_OK ? s : 0;
}

/* A VSpace as retype makes it: without a VMID. */
static ic_cptr_t bare_vspace(void)
{
    ic_cptr_t s = alloc_slot();
    if (!s || ic_untyped_retype(test_untyped, IC_OBJ_VSPACE, 0, ROOT_CNODE, ROOT_DEPTH, s, 1, ROOT_CNODE) != IC_OK)
        return 0;
    return s;
}

/* A frame maps into it (with a page table made on the way), each time at a
 * new address. */
static bool vspace_works(ic_cptr_t vs)
{
    static ic_word_t va = 0x200000;
    ic_cptr_t f = alloc_object(IC_OBJ_FRAME_4K, 0);
    va += 0x200000;
    return f && map_frame(vs, f, va, IC_RIGHTS_ALL, IC_ATTR_CACHED) == IC_OK;
}

TEST(vmid_pools_partition_the_vmids)
{
    ic_cptr_t a = make_pool(FREE_FIRST, 3), b = make_pool(FREE_FIRST + 3, 2), vs[4];
    CHECK(a && b);
    for (unsigned i = 0; i < 4; i++)
        CHECK(vs[i] = bare_vspace());
    for (unsigned i = 0; i < 3; i++)
        CHECK_OK(ic_vmid_pool_assign(a, vs[i]));
    /* a is used up; b, and the suite's pool, are not touched by that */
    CHECK_EQ(ic_vmid_pool_assign(a, vs[3]), IC_NOT_ENOUGH_MEMORY);
    CHECK_OK(ic_vmid_pool_assign(b, vs[3]));
    CHECK(alloc_object(IC_OBJ_VSPACE, 0));
    for (unsigned i = 0; i < 4; i++)
        CHECK(vspace_works(vs[i]));
    /* a destroyed VSpace gives its VMID back to the pool */
    ic_cptr_t more = bare_vspace();
    CHECK(more);
    CHECK_EQ(ic_vmid_pool_assign(a, more), IC_NOT_ENOUGH_MEMORY);
    CHECK_OK(ic_cnode_delete(ROOT_CNODE, vs[1], ROOT_DEPTH));
    CHECK_OK(ic_vmid_pool_assign(a, more));
    CHECK(vspace_works(more));
}

TEST(vmid_vspace_without_one_is_inert)
{
    ic_cptr_t vs = bare_vspace(), pt = alloc_object(IC_OBJ_PAGE_TABLE, 0), f = alloc_object(IC_OBJ_FRAME_4K, 0);
    ic_cptr_t tcb = alloc_object(IC_OBJ_TCB, 0), d = alloc_slot();
    CHECK(vs && pt && f && tcb && d);
    /* nothing maps into it, nothing copies it, no thread runs in it */
    CHECK_EQ(ic_page_table_map(pt, 0x200000, vs), IC_INVALID_CAPABILITY);
    CHECK_EQ(ic_frame_map(f, 0x200000, IC_RIGHTS_ALL, IC_ATTR_CACHED, vs), IC_INVALID_CAPABILITY);
    CHECK_EQ(ic_cnode_copy(ROOT_CNODE, d, ROOT_DEPTH, vs, ROOT_DEPTH, IC_RIGHTS_ALL, ROOT_CNODE), IC_ILLEGAL_OPERATION);
    CHECK_EQ(ic_cnode_mint(ROOT_CNODE, d, ROOT_DEPTH, vs, ROOT_DEPTH, IC_RIGHTS_ALL, 0, ROOT_CNODE),
             IC_ILLEGAL_OPERATION);
    CHECK(slot_is_empty(d));
    CHECK_EQ(ic_tcb_configure(tcb, IC_WORD_BITS - IC_ROOT_CNODE_BITS, 0, 0, ROOT_CNODE, vs, 0),
             IC_INVALID_CAPABILITY);
    /* the table and the frame took no mapping from the attempts */
    CHECK_OK(map_frame(ROOT_VSPACE, f, alloc_vaddr(4096, 4096), IC_RIGHTS_ALL, IC_ATTR_CACHED));
    /* moved, it is still its only capability; a pool gives it a VMID once */
    CHECK_OK(ic_cnode_move(ROOT_CNODE, d, ROOT_DEPTH, vs, ROOT_DEPTH, ROOT_CNODE));
    CHECK_OK(ic_vmid_pool_assign(test_vmids, d));
    CHECK_EQ(ic_vmid_pool_assign(test_vmids, d), IC_ILLEGAL_OPERATION);
    ic_cptr_t copy = copy_with_rights(d, IC_RIGHTS_ALL);
    CHECK(copy);
    CHECK_EQ(ic_vmid_pool_assign(test_vmids, copy), IC_ILLEGAL_OPERATION);
    CHECK_OK(ic_page_table_map(pt, 0x200000, copy));
    CHECK_OK(ic_tcb_configure(tcb, IC_WORD_BITS - IC_ROOT_CNODE_BITS, 0, 0, ROOT_CNODE, d, 0));
    /* wrong objects on either side */
    ic_cptr_t other = bare_vspace();
    CHECK(other);
    CHECK_EQ(ic_vmid_pool_assign(test_vmids, tcb), IC_INVALID_CAPABILITY);
    CHECK_EQ(ic_vmid_pool_assign(test_vmids, 0), IC_INVALID_CAPABILITY);
    CHECK_EQ(ic_vmid_pool_assign(other, other), IC_INVALID_CAPABILITY);
    CHECK_EQ(ic_vmid_pool_assign(IC_SLOT_VMIDS, other), IC_INVALID_CAPABILITY);
    CHECK_EQ(ic_vmid_control_make_pool(test_vmids, FREE_FIRST, 1, d, ROOT_DEPTH, ROOT_CNODE), IC_INVALID_CAPABILITY);
    CHECK_OK(ic_vmid_pool_assign(test_vmids, other));
}

TEST(vmid_control_checks_every_argument)
{
    ic_cptr_t d = alloc_slot(), ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    CHECK(d && ep);
    CHECK_EQ(make_pool_in(0, 1, d), IC_RANGE_ERROR);
    CHECK_EQ(make_pool_in(FREE_FIRST, 0, d), IC_RANGE_ERROR);
    CHECK_EQ(make_pool_in(IC_NUM_VMIDS, 1, d), IC_RANGE_ERROR);
    CHECK_EQ(make_pool_in(IC_NUM_VMIDS - 1, 2, d), IC_RANGE_ERROR);
    CHECK_EQ(make_pool_in(FREE_FIRST, ~0ull, d), IC_RANGE_ERROR);
    CHECK_EQ(make_pool_in(~0ull, 2, d), IC_RANGE_ERROR);
    CHECK_EQ(make_pool_in(1ull << 63, 1ull << 63, d), IC_RANGE_ERROR);
    /* VMIDs another pool holds */
    CHECK_EQ(make_pool_in(TEST_VMIDS_END - 1, 2, d), IC_REVOKE_FIRST);
    CHECK_EQ(make_pool_in(1, IC_NUM_VMIDS - 1, d), IC_REVOKE_FIRST);
    /* where the pool goes */
    CHECK_EQ(make_pool_in(FREE_FIRST, 1, ep), IC_DELETE_FIRST);
    CHECK_EQ(ic_vmid_control_make_pool(IC_SLOT_VMIDS, FREE_FIRST, 1, d, 65, ROOT_CNODE), IC_RANGE_ERROR);
    CHECK_EQ(ic_vmid_control_make_pool(IC_SLOT_VMIDS, FREE_FIRST, 1, d, ROOT_DEPTH, ep), IC_INVALID_CAPABILITY);
    CHECK(slot_is_empty(d));
    /* none of that claimed anything: all the rest makes one pool */
    CHECK_OK(make_pool_in(FREE_FIRST, IC_NUM_VMIDS - FREE_FIRST, d));
    /* the control is not copied; a pool is, and its range is free again
     * only when its last capability goes */
    ic_cptr_t e = alloc_slot();
    CHECK(e);
    CHECK_EQ(ic_cnode_copy(ROOT_CNODE, e, ROOT_DEPTH, IC_SLOT_VMIDS, ROOT_DEPTH, IC_RIGHTS_ALL, ROOT_CNODE),
             IC_ILLEGAL_OPERATION);
    ic_cptr_t copy = copy_with_rights(d, IC_RIGHTS_ALL);
    CHECK(copy);
    CHECK_OK(ic_cnode_delete(ROOT_CNODE, d, ROOT_DEPTH));
    CHECK_EQ(make_pool_in(FREE_FIRST, 1, e), IC_REVOKE_FIRST);
    ic_cptr_t vs = bare_vspace();
    CHECK(vs);
    CHECK_OK(ic_vmid_pool_assign(copy, vs));
    CHECK_OK(ic_cnode_delete(ROOT_CNODE, copy, ROOT_DEPTH));
    CHECK_OK(make_pool_in(FREE_FIRST, 1, e));
}

TEST(vmid_pool_gone_vspaces_keep_their_vmids)
{
    ic_cptr_t p = make_pool(FREE_FIRST, 2), v1 = bare_vspace(), v2 = bare_vspace(), v3 = bare_vspace();
    CHECK(p && v1 && v2 && v3);
    CHECK_OK(ic_vmid_pool_assign(p, v1));
    CHECK_OK(ic_cnode_delete(ROOT_CNODE, p, ROOT_DEPTH));
    CHECK_EQ(ic_vmid_pool_assign(p, v2), IC_INVALID_CAPABILITY);
    CHECK(vspace_works(v1));
    /* a new pool over the range hands out only the VMID v1 does not hold */
    ic_cptr_t q = make_pool(FREE_FIRST, 2);
    CHECK(q);
    CHECK_OK(ic_vmid_pool_assign(q, v2));
    CHECK_EQ(ic_vmid_pool_assign(q, v3), IC_NOT_ENOUGH_MEMORY);
    CHECK(vspace_works(v1));
    CHECK(vspace_works(v2));
    CHECK_OK(ic_cnode_delete(ROOT_CNODE, v1, ROOT_DEPTH));
    CHECK_OK(ic_vmid_pool_assign(q, v3));
    CHECK(vspace_works(v3));
}

TEST(vmid_control_revoke_ends_every_pool)
{
    ic_cptr_t p = make_pool(FREE_FIRST, 4), vs = bare_vspace();
    CHECK(p && vs);
    CHECK_OK(ic_vmid_pool_assign(p, vs));
    CHECK_OK(ic_cnode_revoke(ROOT_CNODE, IC_SLOT_VMIDS, ROOT_DEPTH));
    bool suite_pool_gone = slot_is_empty(test_vmids);
    /* the suite's pool, for the tests after this one */
    CHECK(test_vmids_make());
    CHECK(suite_pool_gone);
    CHECK(slot_is_empty(p));
    CHECK(vspace_works(vs));
    CHECK(make_pool(FREE_FIRST, 4));
}
