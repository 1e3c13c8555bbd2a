/* Virtual CPUs: a thread bound to a VCPU runs at EL1 in its own guest
 * address space; its exits arrive at the test (its VMM) as fault messages
 * and the replies complete the instructions. */
#include "test.h"
#include <icecap/vcpu.h>

void guest_exits(void);
void guest_state(void);
void guest_read_tpidr(void);
void guest_physical_timer(void);

#define GUEST_MMIO 0x10000000ull

/* A guest address space holding copies of this image at its own addresses. */
static ic_cptr_t guest_vspace(void)
{
    ic_cptr_t vs = alloc_object(IC_OBJ_VSPACE, 0);
    if (!vs)
        return 0;
    ic_word_t va = bootinfo->image_vaddr;
    for (ic_word_t s = bootinfo->image_frames.start; s < bootinfo->image_frames.end; s++, va += 4096) {
        ic_cptr_t copy = copy_with_rights(s, IC_RIGHTS_ALL);
        if (!copy || map_frame(vs, copy, va, IC_RIGHTS_ALL, IC_ATTR_CACHED) != IC_OK)
            return 0;
    }
    return vs;
}

/* A guest (env_guests.c) starting at 'entry' with x0 = arg, x19 =
 * GUEST_MMIO, x20 = 0x5566; not yet resumed. */
static bool guest_create(struct guest *g, ic_cptr_t vs, void (*entry)(void), ic_word_t arg)
{
    return guest_make(g, vs, entry, arg, GUEST_MMIO, 0x5566);
}

static volatile ic_word_t kick_stop;
static void spin_forever(ic_word_t unused0, ic_word_t unused1);

/* Until kick_stop: stops and restarts thread 'target' (of another CPU), so
 * that its CPU keeps receiving rescheduling interrupts. */
static void kick_cpu(ic_word_t target, ic_word_t unused)
{
    (void)unused;
    while (!kick_stop) {
        ic_tcb_suspend(target);
        ic_tcb_resume(target);
    }
    for (;;)
        ;
}

/* A guest in a new VSpace, created as guest_create does and running. */
static bool guest_start(struct guest *g, void (*entry)(void), ic_word_t arg)
{
    ic_cptr_t vs = guest_vspace();
    return vs && guest_create(g, vs, entry, arg) && ic_tcb_resume(g->tcb) == IC_OK;
}

/* Wait for the next exit of g: its label; MRs in the IPC buffer. */
static ic_word_t next_exit(struct guest *g)
{
    return ic_msginfo_label(ic_recv(g->ep, NULL));
}

static void reply_emulated(unsigned n, ic_word_t v0)
{
    ic_set_mr(0, v0);
    ic_reply(ic_msginfo_new(IC_VCPU_REPLY_EMULATED, 0, 0, n));
}

TEST(vcpu_guest_exits_and_emulation)
{
    struct guest g;
    CHECK(guest_start(&g, guest_exits, 0));

    /* HVC: arguments in, results out */
    CHECK_EQ(next_exit(&g), IC_FAULT_VCPU_HVC);
    CHECK_EQ(ic_get_mr(IC_VCPU_CALL_X0), 0x1234);
    CHECK_EQ(ic_get_mr(IC_VCPU_CALL_IMM), 0x42);
    CHECK_EQ(ic_get_mr(IC_VCPU_CALL_PC), (ic_word_t)guest_exits + 8); /* the HVC returns past itself */
    reply_emulated(1, 0x99);
    CHECK_EQ(next_exit(&g), IC_FAULT_VCPU_HVC);
    CHECK_EQ(ic_get_mr(IC_VCPU_CALL_IMM), 1);
    CHECK_EQ(ic_get_mr(IC_VCPU_CALL_X0), 0x99);
    reply_emulated(0, 0);

    /* MMIO read of a word: the syndrome decodes, the value is truncated */
    CHECK_EQ(next_exit(&g), IC_FAULT_VCPU_DATA_ABORT);
    CHECK_EQ(ic_get_mr(IC_VCPU_ABORT_ADDR), GUEST_MMIO);
    ic_word_t esr = ic_get_mr(IC_VCPU_ABORT_ESR);
    CHECK_EQ(esr >> 26, 0x24);
    CHECK(esr & (1u << 24));                /* ISV */
    CHECK_EQ((esr >> 22) & 3, 2);           /* 4 bytes */
    CHECK_EQ((esr >> 16) & 0x1f, 1);        /* into w1 */
    CHECK_EQ(esr & (1u << 6), 0);           /* a read */
    reply_emulated(1, 0x1122334455667788ull);
    CHECK_EQ(next_exit(&g), IC_FAULT_VCPU_HVC);
    CHECK_EQ(ic_get_mr(IC_VCPU_CALL_X0), 0x55667788);
    reply_emulated(0, 0);

    /* MMIO write: the value travels in the message */
    CHECK_EQ(next_exit(&g), IC_FAULT_VCPU_DATA_ABORT);
    CHECK_EQ(ic_get_mr(IC_VCPU_ABORT_ADDR), GUEST_MMIO + 8);
    CHECK(ic_get_mr(IC_VCPU_ABORT_ESR) & (1u << 6));
    CHECK_EQ(ic_get_mr(IC_VCPU_ABORT_VALUE), 0x5566);
    reply_emulated(0, 0);

    /* a sign-extended byte */
    CHECK_EQ(next_exit(&g), IC_FAULT_VCPU_DATA_ABORT);
    CHECK_EQ(ic_get_mr(IC_VCPU_ABORT_ADDR), GUEST_MMIO + 1);
    reply_emulated(1, 0x80);
    CHECK_EQ(next_exit(&g), IC_FAULT_VCPU_HVC);
    CHECK_EQ(ic_get_mr(IC_VCPU_CALL_X0), 0xffffffffffffff80ull);
    /* WFI is not trapped: the guest waits on its CPU until an interrupt
     * reaches EL2 there, and goes on. So as not to rely on the scheduler's
     * tick, a thread on the other CPU keeps making a thread ready on the
     * guest's CPU, which sends that CPU a rescheduling interrupt (the
     * guest stays the one to run). */
    struct thread idle, kick;
    kick_stop = 0;
    CHECK(thread_start(&idle, spin_forever, 0, 0, 1, 0));
    CHECK(thread_start_on(&kick, kick_cpu, idle.tcb, 0, 100, 0, 1));
    reply_emulated(0, 0);
    CHECK_EQ(next_exit(&g), IC_FAULT_VCPU_HVC);
    kick_stop = 1;
    CHECK_OK(ic_tcb_suspend(kick.tcb));
    CHECK_OK(ic_tcb_suspend(idle.tcb));
    CHECK_EQ(ic_get_mr(IC_VCPU_CALL_IMM), 4);
    reply_emulated(0, 0);

    /* SMC: trapped, answered, skipped */
    CHECK_EQ(next_exit(&g), IC_FAULT_VCPU_SMC);
    CHECK_EQ(ic_get_mr(IC_VCPU_CALL_X0), 7);
    reply_emulated(1, 0x77);
    CHECK_EQ(next_exit(&g), IC_FAULT_VCPU_HVC);
    CHECK_EQ(ic_get_mr(IC_VCPU_CALL_IMM), 5);
    CHECK_EQ(ic_get_mr(IC_VCPU_CALL_X0), 0x77);
    reply_emulated(0, 0);

    /* a trapped system register read */
    CHECK_EQ(next_exit(&g), IC_FAULT_VCPU_SYSREG);
    CHECK_EQ(ic_get_mr(IC_VCPU_SYSREG_ESR) >> 26, 0x18);
    CHECK_EQ(ic_get_mr(IC_VCPU_SYSREG_ESR) & 1, 1); /* a read */
    reply_emulated(1, 0xac);
    CHECK_EQ(next_exit(&g), IC_FAULT_VCPU_HVC);
    CHECK_EQ(ic_get_mr(IC_VCPU_CALL_X0), 0xac);
    reply_emulated(0, 0);
    CHECK_EQ(next_exit(&g), IC_FAULT_VCPU_HVC);
    CHECK_EQ(ic_get_mr(IC_VCPU_CALL_IMM), 0xff);
}

TEST(vcpu_state_is_kept_per_guest)
{
    /* two guests interleave; each keeps its own EL1 and FP registers */
    ic_cptr_t vs = guest_vspace();
    CHECK(vs);
    struct guest a, b;
    CHECK(guest_create(&a, vs, guest_state, 0xaaaa5555));
    CHECK(guest_create(&b, vs, guest_state, 0xbbbb6666));
    CHECK_OK(ic_tcb_resume(a.tcb));
    CHECK_EQ(next_exit(&a), IC_FAULT_VCPU_HVC);
    /* a waits at its first exit while b runs through both of its own */
    CHECK_OK(ic_tcb_resume(b.tcb));
    CHECK_EQ(next_exit(&b), IC_FAULT_VCPU_HVC);
    CHECK_EQ(ic_get_mr(IC_VCPU_CALL_IMM), 0x10);
    reply_emulated(0, 0);
    CHECK_EQ(next_exit(&b), IC_FAULT_VCPU_HVC);
    CHECK_EQ(ic_get_mr(IC_VCPU_CALL_IMM), 0x11);
    CHECK_EQ(ic_get_mr(IC_VCPU_CALL_X0 + 1), 0xbbbb6666); /* its TPIDR_EL1 */
    CHECK_EQ(ic_get_mr(IC_VCPU_CALL_X0 + 2), 0xbbbb6666); /* its d5 */
    /* a's state was saved when b ran: the VMM sees it, and a finds it */
    ic_word_t tpidr;
    CHECK_OK(ic_vcpu_read_register(a.vcpu, IC_VCPU_TPIDR_EL1, &tpidr));
    CHECK_EQ(tpidr, 0xaaaa5555);
    /* the root's reply now belongs to b; a goes on after suspend and
     * resume (an HVC exit returns past the HVC) */
    CHECK_OK(ic_tcb_suspend(a.tcb));
    CHECK_OK(ic_tcb_resume(a.tcb));
    CHECK_EQ(next_exit(&a), IC_FAULT_VCPU_HVC);
    CHECK_EQ(ic_get_mr(IC_VCPU_CALL_IMM), 0x11);
    CHECK_EQ(ic_get_mr(IC_VCPU_CALL_X0 + 1), 0xaaaa5555);
    CHECK_EQ(ic_get_mr(IC_VCPU_CALL_X0 + 2), 0xaaaa5555);
}

TEST(vcpu_registers_set_by_the_vmm)
{
    ic_cptr_t vs = guest_vspace();
    CHECK(vs);
    struct guest g;
    CHECK(guest_create(&g, vs, guest_read_tpidr, 0));
    CHECK_OK(ic_vcpu_write_register(g.vcpu, IC_VCPU_TPIDR_EL1, 0x7e57));
    ic_word_t value = 0;
    CHECK_OK(ic_vcpu_read_register(g.vcpu, IC_VCPU_TPIDR_EL1, &value));
    CHECK_EQ(value, 0x7e57);
    /* read back what was written, each time; NULL discards the result */
    static const ic_word_t patterns[] = { 0, ~0ull, 0x0123456789abcdefull, 1ull << 63, 1 };
    for (unsigned i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
        CHECK_OK(ic_vcpu_write_register(g.vcpu, IC_VCPU_TPIDR_EL1, patterns[i]));
        CHECK_OK(ic_vcpu_read_register(g.vcpu, IC_VCPU_TPIDR_EL1, &value));
        CHECK_EQ(value, patterns[i]);
    }
    CHECK_OK(ic_vcpu_read_register(g.vcpu, IC_VCPU_TPIDR_EL1, NULL));
    CHECK_OK(ic_vcpu_write_register(g.vcpu, IC_VCPU_TPIDR_EL1, 0x7e57));
    CHECK_OK(ic_tcb_resume(g.tcb));
    CHECK_EQ(next_exit(&g), IC_FAULT_VCPU_HVC);
    CHECK_EQ(ic_get_mr(IC_VCPU_CALL_X0), 0x7e57);
    /* bad register numbers and capabilities; a failed read writes nothing */
    value = 0x5a;
    CHECK_EQ(ic_vcpu_read_register(g.vcpu, IC_VCPU_REG_COUNT, &value), IC_RANGE_ERROR);
    CHECK_EQ(value, 0x5a);
    CHECK_EQ(ic_vcpu_write_register(g.vcpu, ~0ull, 1), IC_RANGE_ERROR);
    CHECK_EQ(ic_vcpu_set_tcb(g.vcpu, g.ep), IC_INVALID_CAPABILITY);
    /* a thread that is not stopped cannot become a guest */
    ic_cptr_t other = alloc_object(IC_OBJ_VCPU, 0);
    CHECK(other);
    CHECK_EQ(ic_vcpu_set_tcb(other, ROOT_TCB), IC_ILLEGAL_OPERATION);
    CHECK_EQ(ic_vcpu_read_register(g.tcb, 0, &value), IC_INVALID_CAPABILITY);
    CHECK_EQ(value, 0x5a);
    /* the PSTATE of a guest may not name EL2 */
    ic_user_context_t regs;
    CHECK_OK(ic_tcb_read_registers(g.tcb, false, IC_REG_X0, &regs));
    regs.regs[IC_REG_SPSR] = 0x3c9; /* EL2h */
    CHECK_OK(ic_tcb_write_registers(g.tcb, false, IC_REG_X0, &regs));
    CHECK_OK(ic_tcb_read_registers(g.tcb, false, IC_REG_X0, &regs));
    CHECK_EQ(regs.regs[IC_REG_SPSR] & 0x1f, 0x5);
}

/* The EL1 physical timer is neither the guest's nor switched: its registers
 * trap (CNTHCTL_EL2.EL1PCEN clear) and reach the VMM as system register
 * exits, while the physical counter stays readable. */
TEST(vcpu_physical_timer_is_an_exit)
{
    struct guest g;
    CHECK(guest_start(&g, guest_physical_timer, 0));
    /* msr cntp_ctl_el0: op0 3, op1 3, CRn 14, CRm 2, op2 1, a write */
    CHECK_EQ(next_exit(&g), IC_FAULT_VCPU_SYSREG);
    ic_word_t esr = ic_get_mr(IC_VCPU_SYSREG_ESR);
    CHECK_EQ(esr >> 26, 0x18);
    CHECK_EQ(esr & 1, 0);
    CHECK_EQ((esr >> 20) & 3, 3);    /* op0 */
    CHECK_EQ((esr >> 17) & 7, 1);    /* op2 */
    CHECK_EQ((esr >> 14) & 7, 3);    /* op1 */
    CHECK_EQ((esr >> 10) & 0xf, 14); /* CRn */
    CHECK_EQ((esr >> 1) & 0xf, 2);   /* CRm */
    CHECK_EQ(ic_get_mr(IC_VCPU_SYSREG_VALUE), 1);
    reply_emulated(0, 0);
    /* mrs cntp_cval_el0: op2 2, a read */
    CHECK_EQ(next_exit(&g), IC_FAULT_VCPU_SYSREG);
    esr = ic_get_mr(IC_VCPU_SYSREG_ESR);
    CHECK_EQ(esr & 1, 1);
    CHECK_EQ((esr >> 17) & 7, 2);
    reply_emulated(1, 0x5e);
    CHECK_EQ(next_exit(&g), IC_FAULT_VCPU_HVC);
    CHECK_EQ(ic_get_mr(IC_VCPU_CALL_IMM), 0x50);
    CHECK_EQ(ic_get_mr(IC_VCPU_CALL_X0), 0x5e);
}

TEST(vcpu_deleted_under_a_guest_stops_it)
{
    struct guest g;
    CHECK(guest_start(&g, guest_read_tpidr, 0));
    CHECK_EQ(next_exit(&g), IC_FAULT_VCPU_HVC);
    CHECK_OK(ic_cnode_delete(ROOT_CNODE, g.vcpu, ROOT_DEPTH));
    /* the thread is a native thread again, stopped: a reply finds nobody */
    reply_emulated(0, 0);
    ic_user_context_t regs;
    CHECK_OK(ic_tcb_read_registers(g.tcb, false, IC_REG_X0, &regs));
    CHECK_EQ(regs.regs[IC_REG_SPSR] & 0x1f, 0);
}

void guest_virq_v3(void);
void guest_virq_v2(void);

#define GUEST_GICC 0x08010000ull

/* Map the GICv2 virtual CPU interface (two pages) at GUEST_GICC; the
 * first page's frame capability is left in gicv_frame. */
static ic_cptr_t gicv_frame;
static bool map_gicv(ic_cptr_t vs)
{
    for (ic_word_t i = 0; i < bootinfo->untyped.end - bootinfo->untyped.start; i++) {
        const ic_untyped_desc_t *d = &bootinfo->untyped_list[i];
        if (!d->is_device || d->paddr != 0x08040000ull)
            continue;
        ic_cptr_t f = alloc_slots(2);
        if (!f || ic_untyped_retype(bootinfo->untyped.start + i, IC_OBJ_FRAME_4K, 0, ROOT_CNODE, ROOT_DEPTH, f, 2,
                                    ROOT_CNODE) != IC_OK)
            return false;
        gicv_frame = f;
        return map_frame(vs, f, GUEST_GICC, IC_RIGHTS_ALL, IC_ATTR_DEVICE) == IC_OK &&
               map_frame(vs, f + 1, GUEST_GICC + 4096, IC_RIGHTS_ALL, IC_ATTR_DEVICE) == IC_OK;
    }
    return false;
}

/* A guest running guest_virq_v3 or _v2 (whichever the GIC is), stopped at
 * its HVC 0x40. */
static bool start_virq_guest(struct guest *g)
{
    bool v3 = bootinfo->gic_version == 3;
    ic_cptr_t vs = guest_vspace();
    if (!vs || (!v3 && !map_gicv(vs)) || !guest_create(g, vs, v3 ? guest_virq_v3 : guest_virq_v2, 0))
        return false;
    if (!v3) {
        ic_user_context_t regs;
        if (ic_tcb_read_registers(g->tcb, false, IC_REG_COUNT, &regs) != IC_OK)
            return false;
        regs.regs[IC_REG_X0 + 19] = GUEST_GICC;
        if (ic_tcb_write_registers(g->tcb, false, IC_REG_COUNT, &regs) != IC_OK)
            return false;
    }
    return ic_tcb_resume(g->tcb) == IC_OK && next_exit(g) == IC_FAULT_VCPU_HVC &&
           ic_get_mr(IC_VCPU_CALL_IMM) == 0x40;
}

/* After injecting: the guest takes the interrupt and ends it (a maintenance
 * exit frees the list register), then reports the INTID. */
static ic_word_t interrupt_seen_by_guest(struct guest *g)
{
    ic_word_t label = next_exit(g);
    if (label != IC_FAULT_VCPU_VGIC_MAINTENANCE || ic_get_mr(IC_VCPU_MAINTENANCE_LRS) != 1)
        return ~0ull;
    ic_reply(ic_msginfo_new(IC_VCPU_REPLY_RETRY, 0, 0, 0));
    if (next_exit(g) != IC_FAULT_VCPU_HVC || ic_get_mr(IC_VCPU_CALL_IMM) != 0x41)
        return ~0ull;
    return ic_get_mr(IC_VCPU_CALL_X0) & 0x3ff;
}

TEST(vcpu_virtual_interrupt_reaches_guest_handler)
{
    struct guest g;
    CHECK(start_virq_guest(&g));
    unsigned group = bootinfo->gic_version == 3 ? 1 : 0;
    /* bad injections change nothing */
    CHECK_EQ(ic_vcpu_inject_irq(g.vcpu, 40, 0xa0, group, 64), IC_RANGE_ERROR);
    CHECK_EQ(ic_vcpu_inject_irq(g.vcpu, 5000, 0xa0, group, 0), IC_RANGE_ERROR);
    CHECK_EQ(ic_vcpu_inject_irq(g.vcpu, 40, 0x100, group, 0), IC_RANGE_ERROR);
    CHECK_EQ(ic_vcpu_inject_irq(g.vcpu, 40, 0xa0, 2, 0), IC_RANGE_ERROR);
    CHECK_OK(ic_vcpu_inject_irq(g.vcpu, 40, 0xa0, group, 0));
    /* the list register is taken until the guest has ended the interrupt */
    CHECK_EQ(ic_vcpu_inject_irq(g.vcpu, 41, 0xa0, group, 0), IC_DELETE_FIRST);
    reply_emulated(0, 0);
    CHECK_EQ(interrupt_seen_by_guest(&g), 40);
    CHECK_OK(ic_vcpu_inject_irq(g.vcpu, 41, 0xa0, group, 0)); /* free again */
}

/* GICv2's virtual CPU interface is a frame: a native thread that maps it
 * (here the root, the parked guest's own VMM, on the guest's CPU) must find
 * nothing of the parked guest there: not its pending interrupt, priority
 * mask or controls, and its writes must not reach the guest. */
#define GICV_CTLR 0x00
#define GICV_PMR 0x04
#define GICV_IAR 0x0c
#define GICV_HPPIR 0x18
#define GICV_APR 0xd0
TEST(vcpu_gicv2_parked_interface_is_not_the_guests)
{
    if (bootinfo->gic_version != 2)
        return; /* GICv3's is system registers, out of EL0's reach */
    struct guest g;
    CHECK(start_virq_guest(&g)); /* its PMR is 0xff and its interface on */
    CHECK_OK(ic_vcpu_inject_irq(g.vcpu, 40, 0xa0, 0, 0));
    ic_cptr_t copy = alloc_slot();
    CHECK(copy);
    CHECK_OK(ic_cnode_copy(ROOT_CNODE, copy, ROOT_DEPTH, gicv_frame, ROOT_DEPTH, IC_RIGHTS_ALL, ROOT_CNODE));
    ic_word_t va = alloc_vaddr(4096, 4096);
    CHECK_OK(map_frame(ROOT_VSPACE, copy, va, IC_RIGHTS_ALL, IC_ATTR_DEVICE));
    volatile uint32_t *gicv = (volatile uint32_t *)va;
    CHECK_EQ(gicv[GICV_CTLR / 4], 0);
    CHECK_EQ(gicv[GICV_PMR / 4], 0);
    CHECK_EQ(gicv[GICV_APR / 4], 0);
    CHECK_EQ(gicv[GICV_HPPIR / 4] & 0x3ff, 1023);
    CHECK_EQ(gicv[GICV_IAR / 4] & 0x3ff, 1023); /* nothing taken from the guest */
    gicv[GICV_PMR / 4] = 0;  /* would mask everything */
    gicv[GICV_CTLR / 4] = 0; /* would turn its interface off */
    /* the guest still takes its interrupt */
    reply_emulated(0, 0);
    CHECK_EQ(interrupt_seen_by_guest(&g), 40);
}

TEST(vcpu_virtual_timer_fires_through_the_vmm)
{
    struct guest g;
    CHECK(start_virq_guest(&g));
    unsigned group = bootinfo->gic_version == 3 ? 1 : 0;
    /* the guest starts its timer: about a millisecond */
    reply_emulated(1, bootinfo->timer_frequency / 1000);
    CHECK_EQ(next_exit(&g), IC_FAULT_VCPU_VTIMER);
    /* the VMM forwards it as the timer's interrupt; the timer stays masked
     * until the guest has ended that interrupt, then the VMM unmasks it */
    CHECK_OK(ic_vcpu_inject_irq(g.vcpu, 27, 0xa0, group, 0));
    ic_reply(ic_msginfo_new(IC_VCPU_REPLY_RETRY, 0, 0, 0));
    CHECK_EQ(next_exit(&g), IC_FAULT_VCPU_VGIC_MAINTENANCE);
    CHECK_EQ(ic_get_mr(IC_VCPU_MAINTENANCE_LRS), 1);
    CHECK_OK(ic_vcpu_ack_vtimer(g.vcpu));
    ic_reply(ic_msginfo_new(IC_VCPU_REPLY_RETRY, 0, 0, 0));
    CHECK_EQ(next_exit(&g), IC_FAULT_VCPU_HVC);
    CHECK_EQ(ic_get_mr(IC_VCPU_CALL_IMM), 0x41);
    CHECK_EQ(ic_get_mr(IC_VCPU_CALL_X0) & 0x3ff, 27);
}

TEST(vcpu_virtual_timer_injected_by_the_kernel)
{
    struct guest g;
    CHECK(start_virq_guest(&g));
    unsigned group = bootinfo->gic_version == 3 ? 1 : 0;
    CHECK_EQ(ic_vcpu_set_timer_lr(g.vcpu, 1, 0x100, group), IC_RANGE_ERROR);
    CHECK_EQ(ic_vcpu_set_timer_lr(g.vcpu, 1, 0xa0, 2), IC_RANGE_ERROR);
    CHECK_OK(ic_vcpu_set_timer_lr(g.vcpu, 1, 0xa0, group));
    /* the timer's interrupt goes straight to the guest's handler and is
     * ended there: the VMM sees neither a timer nor a maintenance exit */
    for (int round = 0; round < 2; round++) {
        reply_emulated(1, bootinfo->timer_frequency / 1000);
        CHECK_EQ(next_exit(&g), IC_FAULT_VCPU_HVC);
        CHECK_EQ(ic_get_mr(IC_VCPU_CALL_IMM), 0x41);
        CHECK_EQ(ic_get_mr(IC_VCPU_CALL_X0) & 0x3ff, 27);
        /* again from the start: the timer's line must be unmasked */
        ic_user_context_t regs;
        CHECK_OK(ic_tcb_read_registers(g.tcb, true, IC_REG_COUNT, &regs));
        regs.regs[IC_REG_PC] = (ic_word_t)(group ? guest_virq_v3 : guest_virq_v2);
        regs.regs[IC_REG_X0] = 0; /* no timer until the VMM says so */
        CHECK_OK(ic_tcb_write_registers(g.tcb, true, IC_REG_COUNT, &regs));
        CHECK_EQ(next_exit(&g), IC_FAULT_VCPU_HVC);
        CHECK_EQ(ic_get_mr(IC_VCPU_CALL_IMM), 0x40);
    }
    /* the other list registers stay the VMM's */
    CHECK_OK(ic_vcpu_inject_irq(g.vcpu, 40, 0xa0, group, 0));
    reply_emulated(0, 0);
    CHECK_EQ(interrupt_seen_by_guest(&g), 40);
    /* turned off, the timer comes through the VMM again */
    CHECK_OK(ic_vcpu_set_timer_lr(g.vcpu, 64, 0, group));
    ic_user_context_t regs;
    CHECK_OK(ic_tcb_read_registers(g.tcb, true, IC_REG_COUNT, &regs));
    regs.regs[IC_REG_PC] = (ic_word_t)(group ? guest_virq_v3 : guest_virq_v2);
    regs.regs[IC_REG_X0] = 0;
    CHECK_OK(ic_tcb_write_registers(g.tcb, true, IC_REG_COUNT, &regs));
    CHECK_EQ(next_exit(&g), IC_FAULT_VCPU_HVC);
    reply_emulated(1, bootinfo->timer_frequency / 1000);
    CHECK_EQ(next_exit(&g), IC_FAULT_VCPU_VTIMER);
}

TEST(vcpu_reset_empties_the_list_registers)
{
    struct guest g;
    CHECK(start_virq_guest(&g));
    unsigned group = bootinfo->gic_version == 3 ? 1 : 0;
    CHECK_OK(ic_vcpu_write_register(g.vcpu, IC_VCPU_TPIDR_EL1, 0x7e57));
    CHECK_OK(ic_vcpu_write_register(g.vcpu, IC_VCPU_VMPIDR_EL2, 1));
    /* an interrupt the old guest never took */
    CHECK_OK(ic_vcpu_inject_irq(g.vcpu, 40, 0xa0, group, 0));
    CHECK_OK(ic_tcb_suspend(g.tcb));
    CHECK_OK(ic_vcpu_reset(g.vcpu));
    ic_word_t value;
    CHECK_OK(ic_vcpu_read_register(g.vcpu, IC_VCPU_TPIDR_EL1, &value));
    CHECK_EQ(value, 0);
    CHECK_OK(ic_vcpu_read_register(g.vcpu, IC_VCPU_SCTLR_EL1, &value));
    CHECK_EQ(value, 0x30d00800);
    CHECK_OK(ic_vcpu_read_register(g.vcpu, IC_VCPU_VMPIDR_EL2, &value));
    CHECK_EQ(value & 0xff, 1);
    /* the guest starts again from its beginning; the list register is
     * free, and what it takes is the new interrupt, not the old one */
    ic_user_context_t regs;
    CHECK_OK(ic_tcb_read_registers(g.tcb, false, IC_REG_COUNT, &regs));
    regs.regs[IC_REG_PC] = (ic_word_t)(group ? guest_virq_v3 : guest_virq_v2);
    regs.regs[IC_REG_SPSR] = 0x3c5;
    regs.regs[IC_REG_X0] = 0; /* no timer */
    CHECK_OK(ic_tcb_write_registers(g.tcb, true, IC_REG_COUNT, &regs));
    CHECK_EQ(next_exit(&g), IC_FAULT_VCPU_HVC);
    CHECK_EQ(ic_get_mr(IC_VCPU_CALL_IMM), 0x40);
    CHECK_OK(ic_vcpu_inject_irq(g.vcpu, 41, 0xa0, group, 0));
    reply_emulated(0, 0);
    CHECK_EQ(interrupt_seen_by_guest(&g), 41);
}

TEST(vcpu_guest_state_does_not_leak_to_native_threads)
{
    /* a guest sets registers that EL0 can read; after it, the root's view
     * is the native one */
    ic_cptr_t vs = guest_vspace();
    CHECK(vs);
    struct guest g;
    CHECK(guest_create(&g, vs, guest_read_tpidr, 0));
    CHECK_OK(ic_vcpu_write_register(g.vcpu, IC_VCPU_TPIDRRO_EL0, 0x5ec7e7));
    CHECK_OK(ic_vcpu_write_register(g.vcpu, IC_VCPU_CNTVOFF_EL2, 1ull << 40));
    CHECK_OK(ic_vcpu_write_register(g.vcpu, IC_VCPU_CNTKCTL_EL1, 0));
    /* single step with debug exceptions on: would stop the root if it
     * leaked (the root runs on this CPU right after the guest) */
    CHECK_OK(ic_vcpu_write_register(g.vcpu, IC_VCPU_MDSCR_EL1, 1 | (1u << 13) | (1u << 15)));
    CHECK_OK(ic_tcb_resume(g.tcb));
    CHECK_EQ(next_exit(&g), IC_FAULT_VCPU_HVC);
    uint64_t ro, vct, pct;
    __asm__ volatile("mrs %0, tpidrro_el0" : "=r"(ro));
    __asm__ volatile("isb; mrs %0, cntvct_el0; mrs %1, cntpct_el0" : "=r"(vct), "=r"(pct));
    CHECK_EQ(ro, 0);
    CHECK(pct - vct < (1ull << 39)); /* no guest offset */
}

static volatile ic_word_t spin_count;

static void spin_forever(ic_word_t unused0, ic_word_t unused1)
{
    (void)unused0;
    (void)unused1;
    for (;;)
        spin_count++;
}

/* A guest running guest_virq_v3 or _v2 on CPU 1, past its HVC 0x40 if
 * 'answer' (it spins at EL1 with interrupts open), else stopped at it. With
 * a spinner on CPU 1 beside it, its VCPU stays parked there at exits. The
 * test makes the answered one first (on GICv2 it maps the interface). */
static bool start_virq_guest_on_cpu1(struct guest *g, bool answer)
{
    bool v3 = bootinfo->gic_version == 3;
    ic_cptr_t vs = guest_vspace();
    if (!vs || !guest_create(g, vs, v3 ? guest_virq_v3 : guest_virq_v2, 0))
        return false;
    /* GICv2: the interface's frames once, then copies of them */
    static ic_cptr_t frames_of_this_test;
    if (!v3 && answer && !map_gicv(vs))
        return false;
    if (!v3 && answer)
        frames_of_this_test = gicv_frame;
    if (!v3 && !answer) {
        ic_cptr_t a = copy_with_rights(frames_of_this_test, IC_RIGHTS_ALL);
        ic_cptr_t b = copy_with_rights(frames_of_this_test + 1, IC_RIGHTS_ALL);
        if (!a || !b || map_frame(vs, a, GUEST_GICC, IC_RIGHTS_ALL, IC_ATTR_DEVICE) != IC_OK ||
            map_frame(vs, b, GUEST_GICC + 4096, IC_RIGHTS_ALL, IC_ATTR_DEVICE) != IC_OK)
            return false;
    }
    ic_user_context_t regs;
    if (ic_tcb_read_registers(g->tcb, false, IC_REG_COUNT, &regs) != IC_OK)
        return false;
    regs.regs[IC_REG_X0 + 19] = GUEST_GICC;
    if (ic_tcb_write_registers(g->tcb, false, IC_REG_COUNT, &regs) != IC_OK ||
        ic_tcb_set_affinity(g->tcb, 1) != IC_OK || ic_tcb_resume(g->tcb) != IC_OK ||
        next_exit(g) != IC_FAULT_VCPU_HVC || ic_get_mr(IC_VCPU_CALL_IMM) != 0x40)
        return false;
    if (answer)
        reply_emulated(0, 0);
    return true;
}

/* The VMM (here, on CPU 0) injects into a VCPU that another CPU holds:
 * running there, the interrupt is queued and that CPU kicked; parked there
 * (its thread waits for the VMM), it goes in when the guest runs again.
 * Either way nobody waits, and the list register counts as taken until the
 * guest has ended the interrupt. */
TEST(vcpu_interrupt_for_a_guest_held_by_another_cpu)
{
    if (bootinfo->num_cpus < 2)
        return;
    unsigned group = bootinfo->gic_version == 3 ? 1 : 0;
    struct guest g;
    CHECK(start_virq_guest_on_cpu1(&g, true));
    /* (whether a second injection finds it taken depends on how fast the
     * guest ends the first: not checked here, but below) */
    CHECK_OK(ic_vcpu_inject_irq(g.vcpu, 40, 0xa0, group, 0));
    CHECK_EQ(interrupt_seen_by_guest(&g), 40);
    CHECK_OK(ic_vcpu_inject_irq(g.vcpu, 41, 0xa0, group, 0)); /* free again */

    struct thread spinner;
    CHECK(thread_start_on(&spinner, spin_forever, 0, 0, 50, 0, 1));
    struct guest p;
    CHECK(start_virq_guest_on_cpu1(&p, false));
    /* parked on CPU 1, waiting for this reply */
    CHECK_OK(ic_vcpu_inject_irq(p.vcpu, 42, 0xa0, group, 1));
    CHECK_EQ(ic_vcpu_inject_irq(p.vcpu, 43, 0xa0, group, 1), IC_DELETE_FIRST);
    reply_emulated(0, 0);
    ic_word_t label = next_exit(&p);
    CHECK_EQ(label, IC_FAULT_VCPU_VGIC_MAINTENANCE);
    CHECK_EQ(ic_get_mr(IC_VCPU_MAINTENANCE_LRS), 2);
    ic_reply(ic_msginfo_new(IC_VCPU_REPLY_RETRY, 0, 0, 0));
    CHECK_EQ(next_exit(&p), IC_FAULT_VCPU_HVC);
    CHECK_EQ(ic_get_mr(IC_VCPU_CALL_IMM), 0x41);
    CHECK_EQ(ic_get_mr(IC_VCPU_CALL_X0) & 0x3ff, 42);
    /* the state went into the object and back with nothing lost */
    ic_word_t sctlr;
    CHECK_OK(ic_vcpu_read_register(p.vcpu, IC_VCPU_SCTLR_EL1, &sctlr));
    CHECK_EQ(sctlr & 0x30d00800, 0x30d00800); /* its RES1 bits, as it was made */
    CHECK_OK(ic_vcpu_inject_irq(p.vcpu, 43, 0xa0, group, 1));
    CHECK(spin_count > 0);
}

/* A hostile VMM: queues list registers into a guest running on CPU 1 and,
 * with the queue pending and kicks in flight, moves the guest between the
 * CPUs, resets its VCPU and finally deletes it. Nothing queued may outlive
 * its VCPU or land in another one, and both CPUs must stay alive. */
TEST(vcpu_queued_interrupts_survive_moves_resets_and_deletion)
{
    if (bootinfo->num_cpus < 2)
        return;
    unsigned group = bootinfo->gic_version == 3 ? 1 : 0;
    struct guest g;
    CHECK(start_virq_guest_on_cpu1(&g, true));
    for (unsigned round = 0; round < 20; round++) {
        for (ic_word_t lr = 0; lr < 2; lr++) {
            ic_err_t err = ic_vcpu_inject_irq(g.vcpu, 40 + lr, 0xa0, group, lr);
            CHECK(err == IC_OK || err == IC_DELETE_FIRST);
        }
        CHECK_OK(ic_tcb_set_affinity(g.tcb, round & 1 ? 1 : 0));
        if (round % 5 == 4)
            CHECK_OK(ic_vcpu_reset(g.vcpu));
        /* garbage beside it changes nothing */
        CHECK_EQ(ic_vcpu_inject_irq(g.vcpu, ~0ull, 0xa0, group, 0), IC_RANGE_ERROR);
        CHECK_EQ(ic_vcpu_inject_irq(g.vcpu, 40, 0xa0, group, ~0ull), IC_RANGE_ERROR);
    }
    CHECK_OK(ic_tcb_set_affinity(g.tcb, 1));
    /* deleted with an injection probably still queued */
    ic_err_t last = ic_vcpu_inject_irq(g.vcpu, 42, 0xa0, group, 1);
    CHECK(last == IC_OK || last == IC_DELETE_FIRST);
    CHECK_OK(ic_cnode_delete(ROOT_CNODE, g.vcpu, ROOT_DEPTH));
    CHECK_OK(ic_cnode_delete(ROOT_CNODE, g.tcb, ROOT_DEPTH));
    /* both CPUs still schedule: a thread on CPU 1 runs */
    struct thread spinner;
    spin_count = 0;
    CHECK(thread_start_on(&spinner, spin_forever, 0, 0, 50, 0, 1));
    /* by the clock, not a count of yields: on a busy host CPU 1's thread
     * may not run for milliseconds */
    CHECK(spin_until_changed(&spin_count, 0, TEST_PATIENCE_MS));
    /* a new VCPU in the old one's place starts empty: a fresh guest's first
     * injection into list register 1 is free */
    struct guest n;
    CHECK(start_virq_guest_on_cpu1(&n, false));
    CHECK_OK(ic_vcpu_inject_irq(n.vcpu, 43, 0xa0, group, 1));
}

TEST(vcpu_on_another_cpu_is_saved_when_the_vmm_asks)
{
    /* the guest runs on CPU 1 beside a busy native thread there, so its
     * state stays parked in CPU 1 after each exit; the VMM on CPU 0 reads
     * and writes it, which makes CPU 1 give it up */
    if (bootinfo->num_cpus < 2)
        return;
    ic_cptr_t vs = guest_vspace();
    CHECK(vs);
    struct thread spinner;
    CHECK(thread_start_on(&spinner, spin_forever, 0, 0, 50, 0, 1));
    struct guest g;
    CHECK(guest_create(&g, vs, guest_state, 0x1111));
    CHECK_OK(ic_tcb_set_affinity(g.tcb, 1));
    CHECK_OK(ic_tcb_resume(g.tcb));
    CHECK_EQ(next_exit(&g), IC_FAULT_VCPU_HVC);
    CHECK_EQ(ic_get_mr(IC_VCPU_CALL_IMM), 0x10);
    ic_word_t tpidr;
    CHECK_OK(ic_vcpu_read_register(g.vcpu, IC_VCPU_TPIDR_EL1, &tpidr));
    CHECK_EQ(tpidr, 0x1111);
    CHECK_OK(ic_vcpu_write_register(g.vcpu, IC_VCPU_TPIDR_EL1, 0x2222));
    reply_emulated(0, 0);
    CHECK_EQ(next_exit(&g), IC_FAULT_VCPU_HVC);
    CHECK_EQ(ic_get_mr(IC_VCPU_CALL_IMM), 0x11);
    CHECK_EQ(ic_get_mr(IC_VCPU_CALL_X0 + 1), 0x2222); /* the VMM's TPIDR_EL1 */
    CHECK_EQ(ic_get_mr(IC_VCPU_CALL_X0 + 2), 0x1111); /* its own d5, kept */
    CHECK(spin_count > 0);
}

TEST(vcpu_exit_answered_through_a_saved_reply)
{
    /* a VMM serving several guests keeps one exit's reply while it takes
     * another; here one guest, answered late through the saved reply */
    ic_cptr_t vs = guest_vspace(), saved = alloc_slot();
    CHECK(vs && saved);
    struct guest g;
    CHECK(guest_create(&g, vs, guest_exits, 0));
    CHECK_OK(ic_tcb_resume(g.tcb));
    CHECK_EQ(next_exit(&g), IC_FAULT_VCPU_HVC);
    CHECK_OK(ic_cnode_save_caller(ROOT_CNODE, saved, ROOT_DEPTH));
    ic_set_mr(0, 0x99);
    ic_send(saved, ic_msginfo_new(IC_VCPU_REPLY_EMULATED, 0, 0, 1));
    CHECK_EQ(next_exit(&g), IC_FAULT_VCPU_HVC);
    CHECK_EQ(ic_get_mr(IC_VCPU_CALL_IMM), 1);
    CHECK_EQ(ic_get_mr(IC_VCPU_CALL_X0), 0x99);
}

/* ------------------------------------------------------------ SVE, pointer authentication, SME */

void guest_id_regs(void);
void guest_sve_pauth(void);
void guest_sme(void);

#define ID_FIELD(reg, shift) (((reg) >> (shift)) & 0xfu)
#define CPACR_FPEN_ZEN ((3u << 20) | (3u << 16))

/* What guests are told of the CPU (ID_AA64PFR0/PFR1/ISAR1/ISAR2/SMFR0). */
struct guest_view {
    ic_word_t pfr0, pfr1, isar1, isar2, smfr0;
    bool sve, pauth;
};

static bool guest_view(struct guest_view *f)
{
    ic_cptr_t vs = guest_vspace();
    struct guest g;
    if (!vs || !guest_create(&g, vs, guest_id_regs, 0) || ic_tcb_resume(g.tcb) != IC_OK ||
        next_exit(&g) != IC_FAULT_VCPU_HVC || ic_get_mr(IC_VCPU_CALL_IMM) != 0x30)
        return false;
    f->pfr0 = ic_get_mr(IC_VCPU_CALL_X0);
    f->pfr1 = ic_get_mr(IC_VCPU_CALL_X0 + 1);
    f->isar1 = ic_get_mr(IC_VCPU_CALL_X0 + 2);
    f->isar2 = ic_get_mr(IC_VCPU_CALL_X0 + 3);
    f->smfr0 = ic_get_mr(IC_VCPU_CALL_X0 + 4);
    f->sve = ID_FIELD(f->pfr0, 32) != 0;
    f->pauth = (ID_FIELD(f->isar1, 4) | ID_FIELD(f->isar1, 8) | ID_FIELD(f->isar1, 24) | ID_FIELD(f->isar1, 28) |
                ID_FIELD(f->isar2, 8) | ID_FIELD(f->isar2, 12)) != 0;
    ic_tcb_suspend(g.tcb);
    return true;
}

/* The GICv3 suite runs on QEMU's 'max' CPU (the Makefile's QEMU_CPU), which
 * has SVE, SME and pointer authentication: there a missing feature is a
 * failure, not a skip. */
static bool cpu_is_max(void)
{
    return bootinfo->gic_version == 3;
}

TEST(vcpu_id_registers_hide_sme)
{
    struct guest_view f;
    CHECK(guest_view(&f));
    CHECK_EQ(ID_FIELD(f.pfr1, 24), 0); /* SME */
    CHECK_EQ(ID_FIELD(f.pfr1, 8), 0);  /* MTE */
    CHECK_EQ(f.smfr0, 0);
    if (cpu_is_max()) {
        CHECK(f.sve);
        CHECK(f.pauth);
    }
    /* every register of the ID space reads without harm (reserved ones as
     * zero), through the kernel's emulation */
    struct guest g;
    CHECK(guest_start(&g, guest_id_regs, 0));
    CHECK_EQ(next_exit(&g), IC_FAULT_VCPU_HVC);
    reply_emulated(0, 0);
    CHECK_EQ(next_exit(&g), IC_FAULT_VCPU_HVC);
    CHECK_EQ(ic_get_mr(IC_VCPU_CALL_IMM), 0x31);
    CHECK(ic_get_mr(IC_VCPU_CALL_X0) != 0);
}

/* A guest running guest_sve_pauth with 'seed', stopped at its HVC 0x50; the
 * reply to that exit is saved in slot 'reply'. */
static bool start_sve_pauth_guest(struct guest *g, ic_cptr_t vs, const struct guest_view *f, ic_word_t seed,
                                  ic_cptr_t reply)
{
    if (!guest_create(g, vs, guest_sve_pauth, seed))
        return false;
    ic_user_context_t regs;
    if (ic_tcb_read_registers(g->tcb, false, IC_REG_COUNT, &regs) != IC_OK)
        return false;
    regs.regs[IC_REG_X0 + 1] = f->sve;
    regs.regs[IC_REG_X0 + 2] = f->pauth;
    if (ic_tcb_write_registers(g->tcb, false, IC_REG_COUNT, &regs) != IC_OK ||
        (f->sve && ic_vcpu_write_register(g->vcpu, IC_VCPU_CPACR_EL1, CPACR_FPEN_ZEN) != IC_OK))
        return false;
    return ic_tcb_resume(g->tcb) == IC_OK && next_exit(g) == IC_FAULT_VCPU_HVC &&
           ic_get_mr(IC_VCPU_CALL_IMM) == 0x50 && ic_cnode_save_caller(ROOT_CNODE, reply, ROOT_DEPTH) == IC_OK;
}

static ic_word_t lanes_sum(ic_word_t n, ic_word_t seed, ic_word_t step)
{
    return n * seed + step * n * (n - 1) / 2;
}

static ic_word_t min_word(ic_word_t a, ic_word_t b)
{
    return a < b ? a : b;
}

/* Resume g through its saved reply; it reads back its keys and SVE
 * registers. *pac: its PACGA result, 0 if it has no pointer authentication.
 * Returns false (after a failed CHECK) on a mismatch. */
static bool sve_pauth_guest_reads_its_own(struct guest *g, const struct guest_view *f, ic_word_t seed,
                                          ic_cptr_t reply, ic_word_t *pac)
{
    ic_send(reply, ic_msginfo_new(IC_VCPU_REPLY_EMULATED, 0, 0, 0));
    if (next_exit(g) != IC_FAULT_VCPU_HVC || ic_get_mr(IC_VCPU_CALL_IMM) != 0x51)
        return false;
    if (f->pauth) {
        if (ic_get_mr(IC_VCPU_CALL_X0) != seed || ic_get_mr(IC_VCPU_CALL_X0 + 1) != seed + 9)
            return false;
        /* the same MAC before and after: its generic key came back */
        if (ic_get_mr(IC_VCPU_CALL_X0 + 2) != ic_get_mr(IC_VCPU_CALL_X0 + 3) || ic_get_mr(IC_VCPU_CALL_X0 + 2) == 0)
            return false;
    }
    *pac = ic_get_mr(IC_VCPU_CALL_X0 + 2);
    reply_emulated(0, 0);
    if (next_exit(g) != IC_FAULT_VCPU_HVC || ic_get_mr(IC_VCPU_CALL_IMM) != 0x52)
        return false;
    if (f->sve) {
        ic_word_t vl = ic_get_mr(IC_VCPU_CALL_X0), n = vl / 8, lanes = (seed & 3) + 1;
        /* a guest gets up to 512 bits; QEMU's max CPU has that */
        if (vl < 16 || vl > 64 || (cpu_is_max() && vl != 64))
            return false;
        if (ic_get_mr(IC_VCPU_CALL_X0 + 1) != lanes_sum(n, seed, 1) ||
            ic_get_mr(IC_VCPU_CALL_X0 + 2) != lanes_sum(n, seed, 3) ||
            ic_get_mr(IC_VCPU_CALL_X0 + 3) != min_word(lanes, n) ||
            ic_get_mr(IC_VCPU_CALL_X0 + 4) != min_word(lanes + 2, n) ||
            ic_get_mr(IC_VCPU_CALL_X0 + 5) != min_word(lanes, n))
            return false;
    }
    return true;
}

TEST(vcpu_sve_and_pauth_state_is_kept_per_guest)
{
    struct guest_view f;
    CHECK(guest_view(&f));
    if (cpu_is_max())
        CHECK(f.sve && f.pauth);
    if (!f.sve)
        ic_printf("  (vcpu_sve_and_pauth_state_is_kept_per_guest: SVE not present)\n");
    if (!f.pauth)
        ic_printf("  (vcpu_sve_and_pauth_state_is_kept_per_guest: pointer authentication not present)\n");
    /* a and b set their registers in turn on this CPU, then each runs again
     * after the other, so each is saved and restored */
    ic_cptr_t vs = guest_vspace(), reply_a = alloc_slot(), reply_b = alloc_slot();
    CHECK(vs && reply_a && reply_b);
    const ic_word_t seed_a = 0x1000a1, seed_b = 0x2000b2;
    struct guest a, b;
    CHECK(start_sve_pauth_guest(&a, vs, &f, seed_a, reply_a));
    CHECK(start_sve_pauth_guest(&b, vs, &f, seed_b, reply_b));
    /* the VMM sees a's registers (saved when b came) */
    ic_word_t value;
    if (f.pauth) {
        CHECK_OK(ic_vcpu_read_register(a.vcpu, IC_VCPU_APDBKEYHI_EL1, &value));
        CHECK_EQ(value, seed_a + 7);
    }
    if (f.sve) {
        CHECK_OK(ic_vcpu_read_register(a.vcpu, IC_VCPU_ZCR_EL1, &value));
        CHECK_EQ(value, 0xf);
    }
    ic_word_t pac_a, pac_b;
    CHECK(sve_pauth_guest_reads_its_own(&a, &f, seed_a, reply_a, &pac_a));
    CHECK(sve_pauth_guest_reads_its_own(&b, &f, seed_b, reply_b, &pac_b));
    if (f.pauth)
        CHECK(pac_a != pac_b); /* different keys, different MACs */
}

TEST(vcpu_sme_use_is_an_exit)
{
    struct guest g;
    CHECK(guest_start(&g, guest_sme, 0));
    ic_word_t label = next_exit(&g);
    if (label == IC_FAULT_VCPU_HVC && ic_get_mr(IC_VCPU_CALL_IMM) == 0xee && !cpu_is_max()) {
        /* no SME: SMSTART was undefined at the guest's own EL1 */
        ic_printf("  (vcpu_sme_use_is_an_exit: SME not present)\n");
        return;
    }
    /* SMSTART traps to EL2 (CPTR_EL2.TSM) and reaches the VMM, which would
     * answer with an undefined instruction; here it skips it */
    CHECK_EQ(label, IC_FAULT_VCPU_UNKNOWN);
    CHECK_EQ(ic_get_mr(IC_VCPU_EXIT_ESR) >> 26, 0x1d);
    ic_word_t pc = ic_get_mr(IC_VCPU_EXIT_PC);
    CHECK_EQ(*(volatile uint32_t *)pc, 0xd503477fu); /* smstart */
    ic_user_context_t regs;
    CHECK_OK(ic_tcb_read_registers(g.tcb, false, IC_REG_COUNT, &regs));
    regs.regs[IC_REG_PC] = pc + 4;
    CHECK_OK(ic_tcb_write_registers(g.tcb, false, IC_REG_COUNT, &regs));
    ic_reply(ic_msginfo_new(IC_VCPU_REPLY_RETRY, 0, 0, 0));
    CHECK_EQ(next_exit(&g), IC_FAULT_VCPU_HVC);
    CHECK_EQ(ic_get_mr(IC_VCPU_CALL_IMM), 0x60);
    /* SME's control register traps the same way */
    reply_emulated(0, 0);
    CHECK_EQ(next_exit(&g), IC_FAULT_VCPU_UNKNOWN);
    CHECK_EQ(ic_get_mr(IC_VCPU_EXIT_ESR) >> 26, 0x1d);
}

void guest_id_allow_list(void);

/* A guest sees a feature only if the kernel's allow-list has it: never EL2
 * or EL3, RAS, MPAM, AMU, trace, the PMU, VMID sizes, VHE or LORegions, and
 * nothing in an ID register the list does not know; set/way cache
 * maintenance completes without reaching the VMM. */
TEST(vcpu_id_registers_by_allow_list)
{
    struct guest g;
    CHECK(guest_start(&g, guest_id_allow_list, 0));
    CHECK_EQ(next_exit(&g), IC_FAULT_VCPU_HVC);
    CHECK_EQ(ic_get_mr(IC_VCPU_CALL_IMM), 0x90);
    ic_word_t pfr0 = ic_get_mr(IC_VCPU_CALL_X0);
    CHECK(ID_FIELD(pfr0, 4) != 0);  /* EL1 */
    CHECK_EQ(ID_FIELD(pfr0, 8), 0); /* EL2 */
    CHECK_EQ(ID_FIELD(pfr0, 12), 0); /* EL3 */
    CHECK_EQ(ID_FIELD(pfr0, 28), 0); /* RAS */
    CHECK_EQ(ID_FIELD(pfr0, 40), 0); /* MPAM */
    CHECK_EQ(ID_FIELD(pfr0, 44), 0); /* AMU */
    reply_emulated(0, 0);
    CHECK_EQ(next_exit(&g), IC_FAULT_VCPU_HVC);
    ic_word_t dfr0 = ic_get_mr(IC_VCPU_CALL_X0);
    CHECK(ID_FIELD(dfr0, 0) >= 6);   /* DebugVer: Armv8 debug */
    CHECK_EQ(ID_FIELD(dfr0, 4), 0);  /* TraceVer */
    CHECK_EQ(ID_FIELD(dfr0, 8), 0);  /* PMUVer */
    CHECK_EQ(ID_FIELD(dfr0, 32), 0); /* PMSVer */
    CHECK_EQ(ID_FIELD(dfr0, 40), 0); /* TraceFilt */
    reply_emulated(0, 0);
    CHECK_EQ(next_exit(&g), IC_FAULT_VCPU_HVC);
    ic_word_t mmfr1 = ic_get_mr(IC_VCPU_CALL_X0);
    CHECK_EQ(ID_FIELD(mmfr1, 4), 0);  /* VMIDBits */
    CHECK_EQ(ID_FIELD(mmfr1, 8), 0);  /* VH */
    CHECK_EQ(ID_FIELD(mmfr1, 16), 0); /* LO */
    reply_emulated(0, 0);
    CHECK_EQ(next_exit(&g), IC_FAULT_VCPU_HVC);
    CHECK_EQ(ic_get_mr(IC_VCPU_CALL_X0), 0);
    reply_emulated(0, 0);
    CHECK_EQ(next_exit(&g), IC_FAULT_VCPU_HVC);
    CHECK_EQ(ic_get_mr(IC_VCPU_CALL_IMM), 0x94);
}

void guest_pmu(void);

/* Nobody switches the PMU between guests and native threads: guests are
 * told there is none, and their accesses exit (MDCR_EL2.TPM), so that a
 * guest can neither read counts of others nor close the cycle counter to
 * native threads. */
TEST(vcpu_pmu_is_hidden_and_trapped)
{
    struct guest g;
    CHECK(guest_start(&g, guest_pmu, 0));
    CHECK_EQ(next_exit(&g), IC_FAULT_VCPU_HVC);
    CHECK_EQ(ic_get_mr(IC_VCPU_CALL_IMM), 0x70);
    CHECK_EQ(ID_FIELD(ic_get_mr(IC_VCPU_CALL_X0), 8), 0); /* PMUVer: none */
    reply_emulated(0, 0);
    /* the cycle counter read reaches the VMM, which answers it */
    CHECK_EQ(next_exit(&g), IC_FAULT_VCPU_SYSREG);
    ic_word_t esr = ic_get_mr(IC_VCPU_SYSREG_ESR);
    CHECK_EQ(esr >> 26, 0x18);
    CHECK_EQ(esr & 1, 1); /* a read */
    CHECK_EQ((esr >> 10) & 0xf, 9); /* CRn 9: PMCCNTR_EL0 */
    reply_emulated(1, 0x5a);
    CHECK_EQ(next_exit(&g), IC_FAULT_VCPU_HVC);
    CHECK_EQ(ic_get_mr(IC_VCPU_CALL_IMM), 0x71);
    CHECK_EQ(ic_get_mr(IC_VCPU_CALL_X0), 0x5a);
    reply_emulated(0, 0);
    /* so does the write of PMUSERENR_EL0; the VMM ignores it */
    CHECK_EQ(next_exit(&g), IC_FAULT_VCPU_SYSREG);
    CHECK_EQ(ic_get_mr(IC_VCPU_SYSREG_ESR) & 1, 0); /* a write */
    reply_emulated(0, 0);
    CHECK_EQ(next_exit(&g), IC_FAULT_VCPU_HVC);
    CHECK_EQ(ic_get_mr(IC_VCPU_CALL_IMM), 0x72);
    ic_tcb_suspend(g.tcb);
    /* this thread, native at EL0, still reads the cycle counter, and it counts */
    ic_word_t c0, c1;
    __asm__ volatile("mrs %0, pmccntr_el0" : "=r"(c0));
    for (volatile int i = 0; i < 100; i++)
        ;
    __asm__ volatile("mrs %0, pmccntr_el0" : "=r"(c1));
    CHECK(c1 != c0);
}

void guest_lor(void);

/* LORegions' EL1 registers are not switched either: hidden from guests,
 * and on a CPU that has them (QEMU's max) their accesses exit. */
TEST(vcpu_lor_is_hidden_and_trapped)
{
    struct guest g;
    CHECK(guest_start(&g, guest_lor, 0));
    CHECK_EQ(next_exit(&g), IC_FAULT_VCPU_HVC);
    CHECK_EQ(ic_get_mr(IC_VCPU_CALL_IMM), 0x80);
    CHECK_EQ(ID_FIELD(ic_get_mr(IC_VCPU_CALL_X0), 16), 0); /* LO: none */
    reply_emulated(0, 0);
    ic_word_t label = next_exit(&g);
    if (label == IC_FAULT_VCPU_HVC && ic_get_mr(IC_VCPU_CALL_IMM) == 0xee && !cpu_is_max()) {
        ic_printf("  (vcpu_lor_is_hidden_and_trapped: LORegions not present)\n");
        ic_tcb_suspend(g.tcb);
        return;
    }
    CHECK_EQ(label, IC_FAULT_VCPU_SYSREG);
    ic_word_t esr = ic_get_mr(IC_VCPU_SYSREG_ESR);
    CHECK_EQ(esr >> 26, 0x18);
    CHECK_EQ((esr >> 10) & 0xf, 10); /* CRn 10 */
    reply_emulated(1, 0x3c);
    CHECK_EQ(next_exit(&g), IC_FAULT_VCPU_HVC);
    CHECK_EQ(ic_get_mr(IC_VCPU_CALL_IMM), 0x81);
    CHECK_EQ(ic_get_mr(IC_VCPU_CALL_X0), 0x3c);
    ic_tcb_suspend(g.tcb);
}

void guest_sctlr(void);

static const volatile uint32_t little_endian_word = 0x11223344u;
static volatile uint8_t unaligned_bytes[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

static uint32_t unaligned_load(void)
{
    return *(volatile uint32_t *)(uintptr_t)(unaligned_bytes + 1);
}

/* A parked guest's SCTLR_EL1 must not decide how native threads run at
 * EL0 (under HCR_EL2.TGE it would: their endianness, DC ZVA, cache
 * maintenance): the kernel puts the native value in its place. */
TEST(vcpu_sctlr_does_not_reach_native_threads)
{
    struct guest g;
    CHECK(guest_start(&g, guest_sctlr, 0));
    CHECK_EQ(next_exit(&g), IC_FAULT_VCPU_HVC);
    CHECK_EQ(ic_get_mr(IC_VCPU_CALL_IMM), 0x90);
    /* the guest is parked on this CPU while this thread runs: data
     * little-endian, no alignment checks */
    CHECK_EQ(little_endian_word, 0x11223344u);
    CHECK_EQ(unaligned_load(), 0x05040302u);
    reply_emulated(0, 0);
    CHECK_EQ(next_exit(&g), IC_FAULT_VCPU_HVC);
    CHECK_EQ(little_endian_word, 0x11223344u);
    /* and the guest keeps its own */
    ic_word_t sctlr;
    CHECK_OK(ic_vcpu_read_register(g.vcpu, IC_VCPU_SCTLR_EL1, &sctlr));
    CHECK_EQ((sctlr >> 24) & 1, 1);
    CHECK_EQ((sctlr >> 1) & 1, 1);
    ic_tcb_suspend(g.tcb);
}

static volatile ic_word_t native_done;

static void native_fp(ic_word_t unused0, ic_word_t unused1)
{
    (void)unused0;
    (void)unused1;
    __asm__ volatile(".inst 0x9e6703e0" ::: "memory"); /* fmov d0, xzr */
    native_done = 1;
}

static void native_sve(ic_word_t unused0, ic_word_t unused1)
{
    (void)unused0;
    (void)unused1;
    __asm__ volatile(".inst 0x04bf5020" ::: "x0", "memory"); /* rdvl x0, #1 */
    native_done = 1;
}

static void native_pacga(ic_word_t unused0, ic_word_t unused1)
{
    (void)unused0;
    (void)unused1;
    __asm__ volatile(".inst 0x9ac23020" ::: "x0", "memory"); /* pacga x0, x1, x2 */
    native_done = 1;
}

/* A native thread running fn stops at its first instruction with a user
 * exception: the syndrome's class, or ~0. */
static ic_word_t native_exception_class(thread_fn fn)
{
    native_done = 0;
    ic_cptr_t ep = alloc_object(IC_OBJ_ENDPOINT, 0);
    struct thread t;
    if (!ep || !thread_start(&t, fn, 0, 0, 100, ep))
        return ~0ull;
    ic_msginfo_t info = ic_recv(ep, NULL);
    if (ic_msginfo_label(info) != IC_FAULT_USER_EXCEPTION || native_done)
        return ~0ull;
    return ic_get_mr(IC_USER_EXCEPTION_ESR) >> 26;
}

TEST(vcpu_native_threads_get_no_fp_sve_or_pauth)
{
    /* a guest's state stays in the CPU while its VMM runs (parked): native
     * threads must still find FP, SVE and the guest's keys out of reach */
    struct guest_view f;
    CHECK(guest_view(&f));
    ic_cptr_t vs = guest_vspace(), reply = alloc_slot();
    CHECK(vs && reply);
    struct guest g;
    CHECK(start_sve_pauth_guest(&g, vs, &f, 0x5a5a, reply));
    CHECK_EQ(native_exception_class(native_fp), 0x07); /* FP/SIMD trapped */
    ic_word_t ec = native_exception_class(native_sve);
    if (f.sve)
        CHECK(ec == 0x19 || ec == 0x07); /* SVE (or FP) trapped */
    else
        CHECK_EQ(ec, 0); /* undefined */
    ec = native_exception_class(native_pacga);
    CHECK_EQ(ec, f.pauth ? 0x09 : 0); /* pointer authentication trapped (HCR_EL2.API) */
}
