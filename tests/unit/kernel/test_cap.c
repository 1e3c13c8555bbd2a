/* The capability derivation tree (kernel/core/cap.c). */
#include <string.h>
#include "harness.h"
#include "cap.h"
#include "object.h"

#define UT_BASE 0x40000000ull /* a 1 MiB untyped region */
#define UT_BITS 20

static struct cap mk(enum cap_type type, word_t obj, word_t a)
{
    struct cap c = cap_null();
    c.type = (uint8_t)type;
    c.obj = obj;
    c.a = a;
    c.rights = IC_RIGHTS_ALL;
    return c;
}

static struct cap untyped(word_t base, unsigned bits)
{
    struct cap c = mk(CAP_UNTYPED, base, 0);
    c.size_bits = (uint8_t)bits;
    return c;
}

static struct cap frame(word_t pa, unsigned bits)
{
    struct cap c = mk(CAP_FRAME, pa, 0);
    c.size_bits = (uint8_t)bits;
    return c;
}

/* Checks that s[0..n-1] are linked in this order, and nothing else is. */
static int linked_in_order(struct cte **s, int n)
{
    for (int i = 0; i < n; i++) {
        if (s[i]->prev != (i ? s[i - 1] : NULL) || s[i]->next != (i < n - 1 ? s[i + 1] : NULL))
            return 0;
    }
    return 1;
}
#define IN_ORDER(...) linked_in_order((struct cte *[]){ __VA_ARGS__ }, \
                                      (int)(sizeof((struct cte *[]){ __VA_ARGS__ }) / sizeof(struct cte *)))

/* A root untyped in s[0] and an endpoint retyped from it in s[1]. */
static void root_and_endpoint(struct cte *s)
{
    cap_insert_new(&s[0], untyped(UT_BASE, UT_BITS), NULL);
    cap_insert_new(&s[1], mk(CAP_ENDPOINT, UT_BASE + 0x100, 0), &s[0]);
}

/* A badged copy made by Mint: derive, set the badge, insert after the source. */
static void mint(struct cte *dest, struct cte *src, word_t badge)
{
    struct cap c;
    CHECK_EQ(cap_derive(src, &c), IC_OK);
    c.a = badge;
    cap_insert(dest, c, src);
}

static void copy(struct cte *dest, struct cte *src)
{
    struct cap c;
    CHECK_EQ(cap_derive(src, &c), IC_OK);
    cap_insert(dest, c, src);
}

TEST(insert_new_makes_revocable_child)
{
    struct cte s[4] = { 0 };
    root_and_endpoint(s);
    CHECK(IN_ORDER(&s[0], &s[1]));
    CHECK(s[0].revocable && s[0].first_badged);
    CHECK(s[1].revocable && s[1].first_badged);
    CHECK(cap_is_parent_of(&s[0], &s[1]));
    CHECK(!cap_is_parent_of(&s[1], &s[0]));
    CHECK(cap_has_children(&s[0]));
    CHECK(!cap_has_children(&s[1]));
}

TEST(later_retype_goes_first)
{
    struct cte s[4] = { 0 };
    root_and_endpoint(s);
    cap_insert_new(&s[2], mk(CAP_NOTIFICATION, UT_BASE + 0x200, 0), &s[0]);
    CHECK(IN_ORDER(&s[0], &s[2], &s[1]));
    CHECK(cap_is_parent_of(&s[0], &s[2]));
    CHECK(cap_is_parent_of(&s[0], &s[1]));
    CHECK(!cap_is_parent_of(&s[2], &s[1]));
}

TEST(copy_is_child_of_original_but_has_no_children)
{
    struct cte s[4] = { 0 };
    cap_insert_new(&s[0], untyped(UT_BASE, UT_BITS), NULL);
    cap_insert_new(&s[1], mk(CAP_TCB, UT_BASE + 0x800, 0), &s[0]);
    copy(&s[2], &s[1]);
    copy(&s[3], &s[2]);
    CHECK(IN_ORDER(&s[0], &s[1], &s[2], &s[3]));
    CHECK(!s[2].revocable && !s[2].first_badged);
    CHECK(cap_is_parent_of(&s[1], &s[2]));
    CHECK(cap_has_children(&s[1]));
    CHECK(!cap_has_children(&s[2])); /* a copy cannot be revoked */
    CHECK(cap_is_parent_of(&s[0], &s[3]));
}

TEST(untyped_is_parent_only_of_what_it_contains)
{
    struct cte ut = { 0 }, x = { 0 };
    cap_insert_new(&ut, untyped(UT_BASE, UT_BITS), NULL);
    struct cap inside_last = mk(CAP_TCB, UT_BASE + BIT(UT_BITS) - BIT(IC_TCB_SIZE_BITS), 0);
    struct cap straddling = mk(CAP_TCB, UT_BASE + BIT(UT_BITS) - BIT(IC_TCB_SIZE_BITS) / 2, 0);
    struct cap below = mk(CAP_ENDPOINT, UT_BASE - 0x10, 0);
    struct cap big_frame = frame(UT_BASE, 21);
    struct cap sub = untyped(UT_BASE + BIT(UT_BITS - 1), UT_BITS - 1);
    struct cap irq = mk(CAP_IRQ_HANDLER, 33, 0);
    CHECK(cap_same_region(&ut.cap, &inside_last));
    CHECK(!cap_same_region(&ut.cap, &straddling));
    CHECK(!cap_same_region(&ut.cap, &below));
    CHECK(!cap_same_region(&ut.cap, &big_frame));
    CHECK(cap_same_region(&ut.cap, &sub));
    CHECK(!cap_same_region(&ut.cap, &irq));
    x.cap = sub;
    CHECK(cap_is_parent_of(&ut, &x));
    x.cap = below;
    CHECK(!cap_is_parent_of(&ut, &x));
}

TEST(same_region_and_same_object)
{
    struct cap ut = untyped(UT_BASE, UT_BITS), ut_sub = untyped(UT_BASE, UT_BITS - 1);
    struct cap f4k = frame(UT_BASE, 12), f2m = frame(UT_BASE, 21);
    struct cap cn4 = mk(CAP_CNODE, UT_BASE, 0), cn5 = cn4;
    cn4.size_bits = 4;
    cn5.size_bits = 5;
    struct cap ep = mk(CAP_ENDPOINT, UT_BASE, 0), ep_badged = mk(CAP_ENDPOINT, UT_BASE, 9);
    struct cap ntfn = mk(CAP_NOTIFICATION, UT_BASE, 0), null = cap_null();
    struct cap irqc = mk(CAP_IRQ_CONTROL, 0, 0), h33 = mk(CAP_IRQ_HANDLER, 33, 0), h34 = mk(CAP_IRQ_HANDLER, 34, 0);

    CHECK(cap_same_region(&ut, &ut_sub) && !cap_same_object(&ut, &ut_sub));
    CHECK(cap_same_object(&ut, &ut));
    CHECK(!cap_same_object(&ut, &f4k) && !cap_same_object(&f4k, &ut));
    CHECK(!cap_same_region(&f4k, &f2m) && cap_same_object(&f4k, &f4k));
    CHECK(!cap_same_region(&cn4, &cn5) && cap_same_object(&cn4, &cn4));
    CHECK(cap_same_object(&ep, &ep_badged)); /* the badge does not change the object */
    CHECK(!cap_same_object(&ep, &ntfn));
    CHECK(!cap_same_region(&null, &null) && !cap_same_object(&null, &null));
    CHECK(cap_same_region(&irqc, &h33) && cap_same_region(&irqc, &irqc));
    CHECK(!cap_same_object(&irqc, &h33) && cap_same_object(&irqc, &irqc));
    CHECK(cap_same_object(&h33, &h33) && !cap_same_object(&h33, &h34));
    CHECK(!cap_same_region(&h33, &irqc));
}

TEST(is_final)
{
    struct cte s[4] = { 0 };
    root_and_endpoint(s);
    CHECK(cap_is_final(&s[0]));
    CHECK(cap_is_final(&s[1])); /* the untyped before it is not the same object */
    copy(&s[2], &s[1]);
    CHECK(!cap_is_final(&s[1]));
    CHECK(!cap_is_final(&s[2]));
    mint(&s[3], &s[1], 7); /* a badged copy is still the same object */
    CHECK(!cap_is_final(&s[3]));
    cap_remove(&s[2]);
    cap_remove(&s[3]);
    CHECK(cap_is_final(&s[1]));
}

TEST(badged_mint_is_revocable_child_of_original)
{
    struct cte s[4] = { 0 };
    root_and_endpoint(s);
    mint(&s[2], &s[1], 5);
    CHECK(IN_ORDER(&s[0], &s[1], &s[2]));
    CHECK(s[2].revocable && s[2].first_badged);
    CHECK_EQ(s[2].cap.a, 5);
    CHECK(cap_is_parent_of(&s[1], &s[2]));
    CHECK(cap_has_children(&s[1]));
    CHECK(!cap_has_children(&s[2]));
    copy(&s[3], &s[2]); /* same badge: a plain copy */
    CHECK(!s[3].revocable && !s[3].first_badged);
    CHECK(cap_is_parent_of(&s[2], &s[3]));
    CHECK(cap_has_children(&s[2]));
}

TEST(unbadged_original_is_parent_of_every_badge)
{
    struct cte s[6] = { 0 };
    root_and_endpoint(s);
    mint(&s[2], &s[1], 5);
    mint(&s[3], &s[1], 6);
    copy(&s[4], &s[1]); /* unbadged copy */
    CHECK(IN_ORDER(&s[0], &s[1], &s[4], &s[3], &s[2]));
    for (int i = 2; i <= 4; i++)
        CHECK(cap_is_parent_of(&s[1], &s[i]));
    CHECK(!cap_is_parent_of(&s[3], &s[2])); /* badge 6 is not the parent of badge 5 */
    CHECK(!cap_is_parent_of(&s[4], &s[3])); /* an unbadged copy is not revocable */
}

TEST(badged_is_not_parent_of_another_mint_with_same_badge)
{
    struct cte s[6] = { 0 };
    root_and_endpoint(s);
    mint(&s[2], &s[1], 5); /* X */
    copy(&s[3], &s[2]);    /* X' */
    mint(&s[4], &s[1], 5); /* Y: same badge, minted separately */
    CHECK(IN_ORDER(&s[0], &s[1], &s[4], &s[2], &s[3]));
    CHECK(!cap_is_parent_of(&s[4], &s[2])); /* X is first_badged */
    CHECK(!cap_has_children(&s[4]));
    CHECK(cap_is_parent_of(&s[2], &s[3]));
}

TEST(remove_keeps_badge_subtrees_apart)
{
    /* O, Y(5), Y'(5), X(5), X'(5): removing X must not make X' a child of Y */
    struct cte s[6] = { 0 };
    root_and_endpoint(s);
    mint(&s[2], &s[1], 5); /* X */
    copy(&s[3], &s[2]);    /* X' */
    mint(&s[4], &s[1], 5); /* Y */
    copy(&s[5], &s[4]);    /* Y' */
    CHECK(IN_ORDER(&s[0], &s[1], &s[4], &s[5], &s[2], &s[3]));
    cap_remove(&s[2]);
    CHECK(IN_ORDER(&s[0], &s[1], &s[4], &s[5], &s[3]));
    CHECK(s[3].first_badged);
    CHECK(!s[3].revocable);
    CHECK(!cap_is_parent_of(&s[4], &s[3]));
    CHECK(cap_is_parent_of(&s[1], &s[3])); /* the original still covers it */
}

/* CNode Mutate may give an unbadged copy a badge by cap_move. In place, the
 * copy then follows an earlier mint with the same badge, and unless it is
 * marked first_badged it is taken for that mint's child: revoking the mint
 * would delete it. (A new badge also makes it revocable, as cap_insert would.) */
TEST(badge_set_in_place_needs_first_badged)
{
    struct cte s[5] = { 0 };
    root_and_endpoint(s);
    copy(&s[2], &s[1]);    /* C: unbadged copy */
    mint(&s[3], &s[1], 5); /* B: badge 5 */
    CHECK(IN_ORDER(&s[0], &s[1], &s[3], &s[2]));
    struct cap c = s[2].cap;
    c.a = 5;
    cap_move(&s[4], &s[2], c); /* what cnode_invoke_mutate does */
    CHECK(IN_ORDER(&s[0], &s[1], &s[3], &s[4]));
    CHECK(cap_is_parent_of(&s[3], &s[4])); /* the hazard */
    s[4].revocable = s[4].first_badged = cap_is_revocable(&c, &s[1].cap);
    CHECK(!cap_is_parent_of(&s[3], &s[4]));
    CHECK(!cap_has_children(&s[3]));
    CHECK(cap_is_parent_of(&s[1], &s[4]));
}

TEST(remove_relinks_neighbours)
{
    struct cte s[5] = { 0 };
    cap_insert_new(&s[0], untyped(UT_BASE, UT_BITS), NULL);
    cap_insert_new(&s[3], mk(CAP_TCB, UT_BASE + 0x1000, 0), &s[0]);
    cap_insert_new(&s[2], mk(CAP_TCB, UT_BASE + 0x800, 0), &s[0]);
    cap_insert_new(&s[1], mk(CAP_ENDPOINT, UT_BASE, 0), &s[0]);
    CHECK(IN_ORDER(&s[0], &s[1], &s[2], &s[3]));
    cap_remove(&s[2]); /* middle */
    CHECK(IN_ORDER(&s[0], &s[1], &s[3]));
    CHECK(cte_is_empty(&s[2]) && !s[2].prev && !s[2].next && !s[2].revocable && !s[2].first_badged);
    cap_remove(&s[3]); /* last */
    CHECK(IN_ORDER(&s[0], &s[1]));
    cap_remove(&s[0]); /* first */
    CHECK(IN_ORDER(&s[1]));
    cap_remove(&s[1]); /* alone */
    CHECK(cte_is_empty(&s[1]) && !s[1].prev && !s[1].next);
}

TEST(remove_parent_lifts_children)
{
    struct cte s[4] = { 0 };
    root_and_endpoint(s);
    mint(&s[2], &s[1], 5);
    copy(&s[3], &s[2]);
    cap_remove(&s[1]);
    CHECK(IN_ORDER(&s[0], &s[2], &s[3]));
    CHECK(cap_is_parent_of(&s[0], &s[2]));
    CHECK(cap_is_parent_of(&s[0], &s[3]));
    CHECK(cap_is_parent_of(&s[2], &s[3]));
}

TEST(move_keeps_cdt_place)
{
    struct cte s[6] = { 0 };
    root_and_endpoint(s);
    mint(&s[2], &s[1], 5);
    copy(&s[3], &s[2]);
    struct cap c = s[2].cap;
    c.rights = IC_RIGHT_READ; /* as Mutate might */
    cap_move(&s[4], &s[2], c);
    CHECK(IN_ORDER(&s[0], &s[1], &s[4], &s[3]));
    CHECK(cte_is_empty(&s[2]) && !s[2].prev && !s[2].next && !s[2].revocable && !s[2].first_badged);
    CHECK(s[4].revocable && s[4].first_badged);
    CHECK_EQ(s[4].cap.rights, IC_RIGHT_READ);
    CHECK_EQ(s[4].cap.a, 5);
    CHECK(cap_is_parent_of(&s[4], &s[3]));
    cap_move(&s[5], &s[0], s[0].cap); /* the head of the list */
    CHECK(IN_ORDER(&s[5], &s[1], &s[4], &s[3]));
    cap_move(&s[0], &s[3], s[3].cap); /* the tail */
    CHECK(IN_ORDER(&s[5], &s[1], &s[4], &s[0]));
    CHECK(!s[0].revocable && !s[0].first_badged);
}

TEST(insert_and_move_need_an_empty_slot)
{
    struct cte s[3] = { 0 };
    root_and_endpoint(s);
    struct cap ep = s[1].cap;
    CHECK_PANICS(cap_insert(&s[1], ep, &s[0]));
    CHECK_PANICS(cap_insert_new(&s[1], ep, &s[0]));
    CHECK_PANICS(cap_move(&s[0], &s[1], ep));
    CHECK(IN_ORDER(&s[0], &s[1]));
    CHECK_EQ(s[0].cap.type, CAP_UNTYPED);
}

TEST(derive_refuses_uncopyable_caps)
{
    struct cte s = { 0 };
    struct cap out = mk(CAP_TCB, 0x1234, 0), zombie = mk(CAP_ZOMBIE, UT_BASE, 3);
    zombie.zombie_type = CAP_TCB;
    const struct cap refused[] = { cap_null(), untyped(UT_BASE, UT_BITS), mk(CAP_IRQ_CONTROL, 0, 0), zombie,
                                   mk(CAP_REPLY, 0x5000, 0), mk(CAP_PAGE_TABLE, 0x6000, 0) };
    for (unsigned i = 0; i < ARRAY_SIZE(refused); i++) {
        s.cap = refused[i];
        CHECK_EQ(cap_derive(&s, &out), IC_ILLEGAL_OPERATION);
        CHECK_EQ(out.obj, 0x1234); /* untouched */
    }
}

TEST(derive_copies_other_caps)
{
    struct cte s = { 0 };
    struct cap out, cn = mk(CAP_CNODE, UT_BASE, 0x3);
    cn.size_bits = 4;
    cn.guard_bits = 2;
    struct cap vs = mk(CAP_VSPACE, UT_BASE, 0);
    vs.vmid = 9;
    struct cap pool = mk(CAP_VMID_POOL, 2, 5);
    const struct cap allowed[] = { mk(CAP_TCB, UT_BASE, 0), mk(CAP_ENDPOINT, UT_BASE, 77),
                                   mk(CAP_NOTIFICATION, UT_BASE, 3), cn, mk(CAP_IRQ_HANDLER, 40, 0), vs, pool };
    for (unsigned i = 0; i < ARRAY_SIZE(allowed); i++) {
        s.cap = allowed[i];
        CHECK_EQ(cap_derive(&s, &out), IC_OK);
        CHECK(memcmp(&out, &allowed[i], sizeof(out)) == 0);
    }
}

/* A VSpace without a VMID has one capability, so that the one a pool gives a
 * VMID is every copy there is; the VMID control is one of a kind. */
TEST(derive_refuses_vspace_without_vmid_and_vmid_control)
{
    struct cte s = { 0 };
    struct cap out = mk(CAP_NULL, 0x1234, 0);
    s.cap = mk(CAP_VSPACE, UT_BASE, 0);
    CHECK_EQ(cap_derive(&s, &out), IC_ILLEGAL_OPERATION);
    s.cap = mk(CAP_VMID_CONTROL, 0, 0);
    CHECK_EQ(cap_derive(&s, &out), IC_ILLEGAL_OPERATION);
    CHECK_EQ(out.obj, 0x1234);
}

TEST(derive_strips_frame_mapping)
{
    struct cte s = { 0 };
    s.cap = frame(UT_BASE + 0x3000, 12);
    s.cap.flags = CAPF_DEVICE;
    s.cap.rights = IC_RIGHT_READ;
    s.cap.vmid = 3;
    s.cap.a = 0x50000000;
    s.cap.b = 0x7000;
    struct cap out;
    CHECK_EQ(cap_derive(&s, &out), IC_OK);
    CHECK_EQ(out.type, CAP_FRAME);
    CHECK_EQ(out.obj, UT_BASE + 0x3000);
    CHECK_EQ(out.size_bits, 12);
    CHECK_EQ(out.flags, CAPF_DEVICE);
    CHECK_EQ(out.rights, IC_RIGHT_READ);
    CHECK_EQ(out.vmid, 0);
    CHECK_EQ(out.a, 0);
    CHECK_EQ(out.b, 0);
    CHECK_EQ(s.cap.vmid, 3); /* the source keeps its mapping */
}

TEST(derive_refuses_page_tables)
{
    /* one capability per page table, so it has at most one mapping */
    struct cte s = { 0 };
    struct cap out;
    s.cap = mk(CAP_PAGE_TABLE, UT_BASE, 0);
    CHECK_EQ(cap_derive(&s, &out), IC_ILLEGAL_OPERATION);
    s.cap = mk(CAP_PAGE_TABLE, UT_BASE, 0x60000000);
    s.cap.vmid = 2;
    s.cap.level = 3;
    CHECK_EQ(cap_derive(&s, &out), IC_ILLEGAL_OPERATION);
}

TEST(irq_handler_from_control_is_revocable)
{
    struct cte s[4] = { 0 };
    cap_insert_new(&s[0], mk(CAP_IRQ_CONTROL, 0, 0), NULL);
    cap_insert(&s[1], mk(CAP_IRQ_HANDLER, 33, 0), &s[0]);
    CHECK(s[1].revocable && s[1].first_badged);
    CHECK(cap_is_parent_of(&s[0], &s[1]));
    copy(&s[2], &s[1]);
    CHECK(!s[2].revocable);
    CHECK(cap_is_parent_of(&s[1], &s[2]));
    CHECK(cap_is_parent_of(&s[0], &s[2]));
    CHECK(!cap_is_final(&s[1]));
}

TEST(is_revocable)
{
    struct cap ep = mk(CAP_ENDPOINT, UT_BASE, 0), ep5 = mk(CAP_ENDPOINT, UT_BASE, 5);
    struct cap nt = mk(CAP_NOTIFICATION, UT_BASE, 0), nt1 = mk(CAP_NOTIFICATION, UT_BASE, 1);
    struct cap tcb = mk(CAP_TCB, UT_BASE, 0), h = mk(CAP_IRQ_HANDLER, 33, 0), ctl = mk(CAP_IRQ_CONTROL, 0, 0);
    struct cap ut = untyped(UT_BASE, 12);
    CHECK(cap_is_revocable(&ep5, &ep) && !cap_is_revocable(&ep5, &ep5) && !cap_is_revocable(&ep, &ep));
    CHECK(cap_is_revocable(&nt1, &nt) && !cap_is_revocable(&nt1, &nt1));
    CHECK(!cap_is_revocable(&tcb, &tcb));
    CHECK(cap_is_revocable(&h, &ctl) && !cap_is_revocable(&h, &h));
    CHECK(cap_is_revocable(&ut, &ut));
}

TEST(object_sizes)
{
    struct cap cn = mk(CAP_CNODE, 0, 0), zc = mk(CAP_ZOMBIE, 0, 0), zt = zc;
    cn.size_bits = zc.size_bits = 4;
    zc.zombie_type = CAP_CNODE;
    zt.zombie_type = CAP_TCB;
    struct cap pt = mk(CAP_PAGE_TABLE, 0, 0), vs = mk(CAP_VSPACE, 0, 0), ut = untyped(0, 30);
    struct cap ep = mk(CAP_ENDPOINT, 0, 0), nt = mk(CAP_NOTIFICATION, 0, 0), tcb = mk(CAP_TCB, 0, 0);
    struct cap f = frame(0, 21), irq = mk(CAP_IRQ_HANDLER, 1, 0), null = cap_null();
    CHECK_EQ(cap_object_size(&cn), 16 * 64);
    CHECK_EQ(cap_object_size(&zc), 16 * 64);
    CHECK_EQ(cap_object_size(&zt), BIT(IC_TCB_SIZE_BITS));
    CHECK_EQ(cap_object_size(&pt), 4096);
    CHECK_EQ(cap_object_size(&vs), 4096);
    CHECK_EQ(cap_object_size(&ut), BIT(30));
    CHECK_EQ(cap_object_size(&ep), BIT(IC_ENDPOINT_SIZE_BITS));
    CHECK_EQ(cap_object_size(&nt), BIT(IC_NOTIFICATION_SIZE_BITS));
    CHECK_EQ(cap_object_size(&tcb), BIT(IC_TCB_SIZE_BITS));
    CHECK_EQ(cap_object_size(&f), BIT(21));
    CHECK_EQ(cap_object_size(&irq), 0);
    CHECK(cap_is_physical(&zc) && cap_is_physical(&f) && cap_is_physical(&ut));
    CHECK(!cap_is_physical(&irq) && !cap_is_physical(&null));
}
