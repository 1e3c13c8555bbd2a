/* Interrupts: IRQ control hands out one handler capability per SPI; a
 * handler signals its notification when the line fires, and the line stays
 * masked until the handler is acknowledged.
 *
 * Real interrupts come from QEMU virt's PL031 real-time clock (physical
 * 0x09010000, SPI 2 = INTID 34). Writing the match register with the
 * current count raises its (level) interrupt at once in QEMU, so no test
 * waits for a clock tick. PL031 registers: DR 0x00 (count), MR 0x04 (match),
 * IMSC 0x10 (interrupt mask set/clear), RIS 0x14 (raw status), MIS 0x18
 * (masked status), ICR 0x1c (write 1 to clear). */
#include "test.h"

#define RTC_PADDR 0x09010000ull
#define RTC_IRQ 34u
#define FREE_IRQ 100u /* an SPI with no device behind it on QEMU virt */
#define FREE_IRQ2 101u

enum { RTC_DR = 0x00, RTC_MR = 0x04, RTC_IMSC = 0x10, RTC_RIS = 0x14, RTC_MIS = 0x18, RTC_ICR = 0x1c };

/* ------------------------------------------------------------ helpers */

static ic_err_t get_handler(ic_word_t irq, ic_cptr_t dest)
{
    return ic_irq_control_get(IC_SLOT_IRQ_CONTROL, irq, dest, ROOT_DEPTH, ROOT_CNODE);
}

static ic_cptr_t new_handler(ic_word_t irq)
{
    ic_cptr_t h = alloc_slot();
    return h && get_handler(irq, h) == IC_OK ? h : 0;
}

/* A notification and a copy of it badged with 'badge' (returned in *badged). */
static ic_cptr_t new_ntfn(ic_word_t badge, ic_cptr_t *badged)
{
    ic_cptr_t n = alloc_object(IC_OBJ_NOTIFICATION, 0);
    *badged = n ? mint_copy(n, IC_RIGHTS_ALL, badge) : 0;
    return *badged ? n : 0;
}

/* Poll a notification until bits arrive or about 'ms' milliseconds pass
 * (the cycle counter runs at about 1 GHz under QEMU; the iteration bound
 * keeps this finite whatever it does). */
static ic_word_t wait_bits(ic_cptr_t ntfn, uint64_t ms)
{
    uint64_t start = ic_cycles();
    for (unsigned long i = 0; i < 20000000ul; i++) {
        ic_word_t bits = 0;
        ic_poll(ntfn, &bits);
        if (bits)
            return bits;
        if (ic_cycles() - start > ms * 1000000ull)
            break;
    }
    return 0;
}

/* Map the PL031's page: carve the device untyped that covers it into
 * untyped blocks up to the RTC's offset, then take one 4 KiB frame there. */
static volatile uint32_t *rtc_map(void)
{
    ic_cptr_t ut = 0;
    ic_word_t off = 0;
    unsigned bits = 0;
    for (ic_word_t i = 0; i < bootinfo->untyped.end - bootinfo->untyped.start; i++) {
        const ic_untyped_desc_t *d = &bootinfo->untyped_list[i];
        if (d->is_device && d->paddr <= RTC_PADDR && RTC_PADDR - d->paddr < (1ull << d->size_bits)) {
            ut = bootinfo->untyped.start + i;
            off = RTC_PADDR - d->paddr;
            bits = d->size_bits;
        }
    }
    if (!ut)
        return NULL;
    for (int b = (int)bits - 1; b >= IC_PAGE_BITS; b--) {
        if (!((off >> b) & 1))
            continue;
        ic_cptr_t s = alloc_slot();
        if (ic_untyped_retype(ut, IC_OBJ_UNTYPED, (ic_word_t)b, ROOT_CNODE, ROOT_DEPTH, s, 1, ROOT_CNODE))
            return NULL;
    }
    ic_cptr_t f = alloc_slot();
    if (ic_untyped_retype(ut, IC_OBJ_FRAME_4K, 0, ROOT_CNODE, ROOT_DEPTH, f, 1, ROOT_CNODE) ||
        frame_address(f) != RTC_PADDR)
        return NULL;
    ic_word_t va = alloc_vaddr(4096, 4096);
    if (map_frame(ROOT_VSPACE, f, va, IC_RIGHT_READ | IC_RIGHT_WRITE, IC_ATTR_DEVICE))
        return NULL;
    return (volatile uint32_t *)va;
}

static uint32_t rtc_read(volatile uint32_t *rtc, unsigned reg) { return rtc[reg / 4]; }
static void rtc_write(volatile uint32_t *rtc, unsigned reg, uint32_t v) { rtc[reg / 4] = v; }

/* Raise the RTC's interrupt now: match = count. Retried in case the count
 * moved on between the read and the write. */
static bool rtc_raise(volatile uint32_t *rtc)
{
    rtc_write(rtc, RTC_ICR, 1);
    rtc_write(rtc, RTC_IMSC, 1);
    for (int i = 0; i < 5; i++) {
        rtc_write(rtc, RTC_MR, rtc_read(rtc, RTC_DR));
        if (rtc_read(rtc, RTC_RIS) & 1)
            return true;
    }
    return false;
}

/* Lower the line: clear the interrupt and mask it in the device. */
static void rtc_quiet(volatile uint32_t *rtc)
{
    rtc_write(rtc, RTC_IMSC, 0);
    rtc_write(rtc, RTC_ICR, 1);
}

/* ------------------------------------------------------------ IRQ control */

TEST(irq_control_get_and_get_again)
{
    ic_cptr_t h = alloc_slot(), h2 = alloc_slot();
    CHECK_OK(get_handler(FREE_IRQ, h));
    CHECK_OK(ic_irq_handler_ack(h));
    CHECK_OK(ic_irq_handler_clear(h)); /* nothing set: nothing to clear */
    /* one handler per line */
    CHECK_EQ(get_handler(FREE_IRQ, h2), IC_REVOKE_FIRST);
    CHECK(slot_is_empty(h2));
    /* other lines are independent */
    CHECK_OK(get_handler(FREE_IRQ2, h2));
    CHECK_OK(ic_cnode_delete(ROOT_CNODE, h2, ROOT_DEPTH));
    /* deleting the handler frees the line */
    CHECK_OK(ic_cnode_delete(ROOT_CNODE, h, ROOT_DEPTH));
    CHECK_OK(get_handler(FREE_IRQ, h2));
    CHECK_EQ(get_handler(FREE_IRQ, h), IC_REVOKE_FIRST);
    /* the edges of the SPI range that every GIC of QEMU virt has */
    ic_cptr_t lo = new_handler(32), hi = new_handler(255);
    CHECK(lo && hi);
}

TEST(irq_control_get_rejects_non_spi_lines)
{
    static const ic_word_t bad[] = { 0, 1, 15, 16, 26, 27, 30, 31, 288, 1019, 1020, 1023, 1024, 4096,
                                     (1ull << 32) | FREE_IRQ, ~0ull };
    ic_cptr_t h = alloc_slot();
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK_EQ(get_handler(bad[i], h), IC_RANGE_ERROR);
        CHECK(slot_is_empty(h));
    }
    /* none of that marked a line as taken */
    CHECK_OK(get_handler(FREE_IRQ, h));
}

TEST(irq_control_get_destination_errors)
{
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0), h = alloc_slot();
    CHECK(ep);
    CHECK_EQ(get_handler(FREE_IRQ, ep), IC_DELETE_FIRST);
    CHECK_EQ(get_handler(FREE_IRQ, ROOT_CNODE), IC_DELETE_FIRST);
    CHECK_EQ(ic_irq_control_get(IC_SLOT_IRQ_CONTROL, FREE_IRQ, h, 0, ROOT_CNODE), IC_RANGE_ERROR);
    CHECK_EQ(ic_irq_control_get(IC_SLOT_IRQ_CONTROL, FREE_IRQ, h, 65, ROOT_CNODE), IC_RANGE_ERROR);
    CHECK_EQ(ic_irq_control_get(IC_SLOT_IRQ_CONTROL, FREE_IRQ, h, 63, ROOT_CNODE), IC_FAILED_LOOKUP);
    CHECK_EQ(ic_irq_control_get(IC_SLOT_IRQ_CONTROL, FREE_IRQ, h | (1ull << 40), ROOT_DEPTH, ROOT_CNODE),
             IC_FAILED_LOOKUP);
    CHECK_EQ(ic_irq_control_get(IC_SLOT_IRQ_CONTROL, FREE_IRQ, h, ROOT_DEPTH, ep), IC_INVALID_CAPABILITY);
    CHECK(slot_is_empty(h));
    /* the wrong capability invoked */
    CHECK_EQ(ic_irq_control_get(ROOT_CNODE, FREE_IRQ, h, ROOT_DEPTH, ROOT_CNODE), IC_INVALID_CAPABILITY);
    CHECK_EQ(ic_irq_control_get(IC_SLOT_NULL, FREE_IRQ, h, ROOT_DEPTH, ROOT_CNODE), IC_INVALID_CAPABILITY);
    /* into another CNode */
    ic_cptr_t cn = alloc_object(IC_OBJ_CNODE, 2);
    CHECK(cn);
    CHECK_OK(ic_irq_control_get(IC_SLOT_IRQ_CONTROL, FREE_IRQ, 3, 2, cn));
    CHECK_OK(ic_cnode_move(ROOT_CNODE, h, ROOT_DEPTH, 3, 2, cn));
    CHECK_OK(ic_irq_handler_ack(h));
    /* a handler is no IRQ control */
    ic_cptr_t h2 = alloc_slot();
    CHECK_EQ(ic_irq_control_get(h, FREE_IRQ2, h2, ROOT_DEPTH, ROOT_CNODE), IC_INVALID_CAPABILITY);
    CHECK(slot_is_empty(h2));
}

TEST(irq_handler_copies_keep_the_line_taken)
{
    ic_cptr_t h = new_handler(FREE_IRQ), c = alloc_slot(), h2 = alloc_slot();
    CHECK(h);
    CHECK_OK(ic_cnode_copy(ROOT_CNODE, c, ROOT_DEPTH, h, ROOT_DEPTH, IC_RIGHTS_ALL, ROOT_CNODE));
    CHECK_OK(ic_irq_handler_ack(c));
    CHECK_EQ(ic_cnode_mint(ROOT_CNODE, h2, ROOT_DEPTH, h, ROOT_DEPTH, IC_RIGHTS_ALL, 1, ROOT_CNODE),
             IC_ILLEGAL_OPERATION);
    /* the copy alone keeps the line */
    CHECK_OK(ic_cnode_delete(ROOT_CNODE, h, ROOT_DEPTH));
    CHECK_EQ(get_handler(FREE_IRQ, h2), IC_REVOKE_FIRST);
    CHECK_OK(ic_irq_handler_ack(c));
    CHECK_OK(ic_cnode_delete(ROOT_CNODE, c, ROOT_DEPTH));
    CHECK_OK(get_handler(FREE_IRQ, h2));
    /* revoking a handler removes its copies, not itself */
    CHECK_OK(ic_cnode_copy(ROOT_CNODE, c, ROOT_DEPTH, h2, ROOT_DEPTH, IC_RIGHTS_ALL, ROOT_CNODE));
    CHECK_OK(ic_cnode_revoke(ROOT_CNODE, h2, ROOT_DEPTH));
    CHECK(slot_is_empty(c));
    CHECK_OK(ic_irq_handler_ack(h2));
    CHECK_EQ(get_handler(FREE_IRQ, h), IC_REVOKE_FIRST);
}

TEST(irq_revoking_control_removes_every_handler)
{
    ic_cptr_t a = new_handler(FREE_IRQ), b = new_handler(FREE_IRQ2), c = alloc_slot();
    CHECK(a && b);
    CHECK_OK(ic_cnode_copy(ROOT_CNODE, c, ROOT_DEPTH, a, ROOT_DEPTH, IC_RIGHTS_ALL, ROOT_CNODE));
    /* IRQ control itself is never copied */
    ic_cptr_t d = alloc_slot();
    CHECK_EQ(ic_cnode_copy(ROOT_CNODE, d, ROOT_DEPTH, IC_SLOT_IRQ_CONTROL, ROOT_DEPTH, IC_RIGHTS_ALL, ROOT_CNODE),
             IC_ILLEGAL_OPERATION);
    CHECK_OK(ic_cnode_revoke(ROOT_CNODE, IC_SLOT_IRQ_CONTROL, ROOT_DEPTH));
    CHECK(slot_is_empty(a));
    CHECK(slot_is_empty(b));
    CHECK(slot_is_empty(c));
    CHECK_OK(get_handler(FREE_IRQ, a));
    CHECK_OK(get_handler(FREE_IRQ2, b));
}

TEST(irq_handler_invocations_check_capabilities)
{
    ic_cptr_t h = new_handler(FREE_IRQ);
    ic_cptr_t badged, n = new_ntfn(0x8, &badged);
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0), ro = alloc_slot(), empty = alloc_slot();
    CHECK(h && n && ep);
    CHECK_OK(ic_cnode_copy(ROOT_CNODE, ro, ROOT_DEPTH, n, ROOT_DEPTH, IC_RIGHT_READ, ROOT_CNODE));
    CHECK_EQ(ic_irq_handler_set_notification(h, ep), IC_INVALID_CAPABILITY);
    CHECK_EQ(ic_irq_handler_set_notification(h, ro), IC_INVALID_CAPABILITY);
    CHECK_EQ(ic_irq_handler_set_notification(h, empty), IC_INVALID_CAPABILITY);
    CHECK_EQ(ic_irq_handler_set_notification(h, ROOT_CNODE), IC_INVALID_CAPABILITY);
    CHECK_EQ(ic_irq_handler_set_notification(h, h), IC_INVALID_CAPABILITY);
    /* handler invocations on other capabilities */
    CHECK_EQ(ic_irq_handler_ack(IC_SLOT_IRQ_CONTROL), IC_INVALID_CAPABILITY);
    CHECK_EQ(ic_irq_handler_ack(n), IC_INVALID_CAPABILITY); /* a Call on a notification */
    CHECK_EQ(ic_irq_handler_clear(ROOT_TCB), IC_INVALID_CAPABILITY);
    CHECK_EQ(ic_irq_handler_set_notification(ROOT_CNODE, n), IC_INVALID_CAPABILITY);
    /* a write-only badged copy is enough; setting again replaces it */
    ic_cptr_t wo = alloc_slot();
    CHECK_OK(ic_cnode_copy(ROOT_CNODE, wo, ROOT_DEPTH, badged, ROOT_DEPTH, IC_RIGHT_WRITE, ROOT_CNODE));
    CHECK_OK(ic_irq_handler_set_notification(h, wo));
    CHECK_OK(ic_irq_handler_set_notification(h, badged));
    CHECK_OK(ic_irq_handler_clear(h));
    CHECK_OK(ic_irq_handler_clear(h));
    /* nothing fired on the quiet line */
    ic_word_t bits = 1;
    ic_poll(n, &bits);
    CHECK_EQ(bits, 0);
}

/* ------------------------------------------------------------ real interrupts */

TEST(irq_rtc_interrupt_signals_notification)
{
    volatile uint32_t *rtc = rtc_map();
    CHECK(rtc);
    ic_cptr_t badged, n = new_ntfn(0x40, &badged);
    ic_cptr_t h = new_handler(RTC_IRQ);
    CHECK(n && h);
    rtc_quiet(rtc);
    CHECK_OK(ic_irq_handler_set_notification(h, badged));
    CHECK_EQ(wait_bits(n, 5), 0);
    /* bits signalled by others are kept and OR-ed with the handler's */
    ic_cptr_t other = alloc_slot();
    CHECK_OK(ic_cnode_mint(ROOT_CNODE, other, ROOT_DEPTH, n, ROOT_DEPTH, IC_RIGHTS_ALL, 0x3, ROOT_CNODE));
    ic_signal(other);
    CHECK(rtc_raise(rtc));
    CHECK_EQ(rtc_read(rtc, RTC_MIS) & 1, 1);
    ic_word_t bits = wait_bits(n, 2000);
    if (bits == 0x3) /* the signal was taken before the interrupt came */
        bits |= wait_bits(n, 2000);
    CHECK_EQ(bits, 0x43);
    /* clear the device, acknowledge: nothing more */
    rtc_write(rtc, RTC_ICR, 1);
    CHECK_EQ(rtc_read(rtc, RTC_RIS) & 1, 0);
    CHECK_OK(ic_irq_handler_ack(h));
    CHECK_EQ(wait_bits(n, 10), 0);
    /* and a second interrupt arrives the same way */
    CHECK(rtc_raise(rtc));
    CHECK_EQ(wait_bits(n, 2000), 0x40);
    rtc_quiet(rtc);
    CHECK_OK(ic_irq_handler_ack(h));
    CHECK_EQ(wait_bits(n, 10), 0);
}

TEST(irq_line_stays_masked_until_ack)
{
    volatile uint32_t *rtc = rtc_map();
    CHECK(rtc);
    ic_cptr_t badged, n = new_ntfn(0x1, &badged);
    ic_cptr_t h = new_handler(RTC_IRQ);
    CHECK(n && h);
    rtc_quiet(rtc);
    CHECK_OK(ic_irq_handler_set_notification(h, badged));
    CHECK(rtc_raise(rtc));
    CHECK_EQ(wait_bits(n, 2000), 0x1);
    /* the device still asserts the (level) line, but the kernel masked it:
     * no second signal until the handler is acknowledged */
    CHECK_EQ(rtc_read(rtc, RTC_MIS) & 1, 1);
    CHECK_EQ(wait_bits(n, 20), 0);
    CHECK_OK(ic_irq_handler_ack(h));
    CHECK_EQ(wait_bits(n, 2000), 0x1);
    CHECK_EQ(wait_bits(n, 20), 0);
    CHECK_OK(ic_irq_handler_ack(h));
    CHECK_EQ(wait_bits(n, 2000), 0x1);
    /* lowered in the device, acknowledged: quiet */
    rtc_quiet(rtc);
    CHECK_OK(ic_irq_handler_ack(h));
    CHECK_EQ(wait_bits(n, 20), 0);
}

TEST(irq_clear_stops_delivery_until_set_again)
{
    volatile uint32_t *rtc = rtc_map();
    CHECK(rtc);
    ic_cptr_t badged, n = new_ntfn(0x2, &badged);
    ic_cptr_t h = new_handler(RTC_IRQ);
    CHECK(n && h);
    rtc_quiet(rtc);
    CHECK_OK(ic_irq_handler_set_notification(h, badged));
    CHECK_OK(ic_irq_handler_clear(h));
    CHECK(rtc_raise(rtc));
    CHECK_EQ(wait_bits(n, 20), 0);
    /* an acknowledge unmasks the line, but there is nobody to signal */
    CHECK_OK(ic_irq_handler_ack(h));
    CHECK_EQ(wait_bits(n, 20), 0);
    /* setting a notification again enables the line: the pending (level)
     * interrupt is delivered */
    CHECK_OK(ic_irq_handler_set_notification(h, badged));
    CHECK_EQ(wait_bits(n, 2000), 0x2);
    rtc_quiet(rtc);
    CHECK_OK(ic_irq_handler_ack(h));
    CHECK_EQ(wait_bits(n, 10), 0);
}

TEST(irq_set_notification_replaces_the_previous_one)
{
    volatile uint32_t *rtc = rtc_map();
    CHECK(rtc);
    ic_cptr_t b1, n1 = new_ntfn(0x10, &b1);
    ic_cptr_t b2, n2 = new_ntfn(0x20, &b2);
    ic_cptr_t h = new_handler(RTC_IRQ);
    CHECK(n1 && n2 && h);
    rtc_quiet(rtc);
    CHECK_OK(ic_irq_handler_set_notification(h, b1));
    CHECK_OK(ic_irq_handler_set_notification(h, b2));
    CHECK(rtc_raise(rtc));
    CHECK_EQ(wait_bits(n2, 2000), 0x20);
    CHECK_EQ(wait_bits(n1, 10), 0);
    rtc_quiet(rtc);
    CHECK_OK(ic_irq_handler_ack(h));
    /* deleting the capability that was set does not stop delivery: the
     * kernel holds its own copy */
    CHECK_OK(ic_cnode_delete(ROOT_CNODE, b2, ROOT_DEPTH));
    CHECK(rtc_raise(rtc));
    CHECK_EQ(wait_bits(n2, 2000), 0x20);
    rtc_quiet(rtc);
    CHECK_OK(ic_irq_handler_ack(h));
}

TEST(irq_deleting_handler_masks_the_line)
{
    volatile uint32_t *rtc = rtc_map();
    CHECK(rtc);
    ic_cptr_t badged, n = new_ntfn(0x4, &badged);
    ic_cptr_t h = new_handler(RTC_IRQ);
    CHECK(n && h);
    rtc_quiet(rtc);
    CHECK_OK(ic_irq_handler_set_notification(h, badged));
    CHECK_OK(ic_cnode_delete(ROOT_CNODE, h, ROOT_DEPTH));
    CHECK(rtc_raise(rtc));
    CHECK_EQ(wait_bits(n, 20), 0);
    /* a new handler starts with no notification: still nothing */
    CHECK_OK(get_handler(RTC_IRQ, h));
    CHECK_OK(ic_irq_handler_ack(h));
    CHECK_EQ(wait_bits(n, 20), 0);
    CHECK_OK(ic_irq_handler_set_notification(h, badged));
    CHECK_EQ(wait_bits(n, 2000), 0x4);
    rtc_quiet(rtc);
    CHECK_OK(ic_irq_handler_ack(h));
}

TEST(irq_destroying_notification_stops_delivery)
{
    volatile uint32_t *rtc = rtc_map();
    CHECK(rtc);
    ic_cptr_t h = new_handler(RTC_IRQ);
    ic_cptr_t ut = alloc_object(IC_OBJ_UNTYPED, 12);
    CHECK(h && ut);
    /* a notification in a region of its own, so that revoking the region
     * destroys it together with the kernel's copy */
    ic_cptr_t n = alloc_slot();
    CHECK_OK(ic_untyped_retype(ut, IC_OBJ_NOTIFICATION, 0, ROOT_CNODE, ROOT_DEPTH, n, 1, ROOT_CNODE));
    rtc_quiet(rtc);
    CHECK_OK(ic_irq_handler_set_notification(h, n));
    CHECK_OK(ic_cnode_revoke(ROOT_CNODE, ut, ROOT_DEPTH));
    CHECK(slot_is_empty(n));
    /* the line fires into nothing; the kernel survives it */
    CHECK(rtc_raise(rtc));
    CHECK_OK(ic_irq_handler_ack(h));
    for (int i = 0; i < 100; i++)
        ic_yield();
    /* a fresh notification works again */
    ic_cptr_t badged, n2 = new_ntfn(0x80, &badged);
    CHECK(n2);
    CHECK_OK(ic_irq_handler_set_notification(h, badged));
    CHECK_EQ(wait_bits(n2, 2000), 0x80);
    rtc_quiet(rtc);
    CHECK_OK(ic_irq_handler_ack(h));
}
