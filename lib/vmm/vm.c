/* The VMM core: see vmm/vm.h. */
#include <icecap/arch/aarch64.h>
#include <icecap/env.h>
#include <icecap/lock.h>
#include <icecap/vcpu.h>
#include <vmm/vm.h>

#define TIMER_PPI 27       /* the virtual timer's interrupt */
#define TIMER_PRIORITY 0xa0 /* the priority Linux gives each interrupt */

/* ------------------------------------------------------------ set-up */

static bool gic_access(struct vmm_vm *vm, unsigned vcpu, uint64_t offset, const struct mmio_access *a,
                       uint64_t *value, enum vgic_region frame)
{
    if (a->write)
        vgic_mmio_write(&vm->vgic, frame, vcpu, offset, a->size, a->value);
    else
        vgic_mmio_read(&vm->vgic, frame, vcpu, offset, a->size, value);
    return true; /* reserved registers read as zero and ignore writes */
}

static bool gicd_access(struct vmm_vm *vm, unsigned vcpu, uint64_t offset, const struct mmio_access *a,
                        uint64_t *value, void *ctx)
{
    (void)ctx;
    return gic_access(vm, vcpu, offset, a, value, VGIC_GICD);
}

/* every vCPU's redistributor frames, one after the other */
static bool gicr_access(struct vmm_vm *vm, unsigned vcpu, uint64_t offset, const struct mmio_access *a,
                        uint64_t *value, void *ctx)
{
    (void)ctx;
    return gic_access(vm, vcpu, offset, a, value, VGIC_GICR);
}

static void reset_gic_and_psci(struct vmm_vm *vm)
{
    int err = vgic_init(&vm->vgic, vm->cfg.gic_version, vm->cfg.num_vcpus, vm->cfg.nr_irqs);
    if (err)
        ic_die("setting up the virtual GIC", err);
    psci_init(&vm->psci, vm->cfg.num_vcpus);
    vm->psci.entry_base = vm->cfg.ram_base;
    vm->psci.entry_size = vm->cfg.ram_size;
}

int vmm_vm_init(struct vmm_vm *vm, const struct vmm_vm_config *cfg)
{
    *vm = (struct vmm_vm){ .cfg = *cfg };
    if (!cfg->name || (cfg->gic_version != 2 && cfg->gic_version != 3) || cfg->num_vcpus == 0 ||
        cfg->num_vcpus > VMM_MAX_VCPUS || cfg->num_vcpus > PSCI_MAX_VCPUS || cfg->list_registers < 2 ||
        cfg->nr_irqs < 64 || cfg->nr_irqs % 32 || cfg->ram_size == 0 || !cfg->vspace || !cfg->notification)
        return VMM_BAD_CONFIG;
    /* the last list register is the kernel's, for the virtual timer */
    unsigned lrs = cfg->list_registers < VGIC_MAX_LRS ? cfg->list_registers : VGIC_MAX_LRS;
    vm->num_lrs = lrs - 1;
    reset_gic_and_psci(vm);
    int err = vmm_vm_add_mmio(vm, cfg->gicd, cfg->gic_version == 3 ? VGIC_GICD_SIZE_V3 : VGIC_GICD_SIZE_V2,
                              gicd_access, NULL);
    if (!err && cfg->gic_version == 3)
        err = vmm_vm_add_mmio(vm, cfg->gicr, (uint64_t)VGIC_GICR_STRIDE * cfg->num_vcpus, gicr_access, NULL);
    if (err)
        return VMM_BAD_CONFIG;

    /* vCPU i runs on CPU i, and its exits come to an endpoint of its own,
     * which a thread of the VMM on the same CPU serves (vmm_vm_run): an
     * exit is a switch on one CPU, never a wait for another */
    ic_lock_init(&vm->lock, cfg->num_vcpus);
    for (unsigned i = 0; i < cfg->num_vcpus; i++) {
        ic_cptr_t fault_ep = ic_slot();
        vm->vcpus[i].ep = ic_make(IC_OBJ_ENDPOINT, 0);
        vm->vcpus[i].reply = ic_slot();
        vm->vcpus[i].tcb = ic_make(IC_OBJ_TCB, 0);
        vm->vcpus[i].vcpu = ic_make(IC_OBJ_VCPU, 0);
        ic_check(ic_cnode_mint(IC_SLOT_ROOT_CNODE, fault_ep, 64, vm->vcpus[i].ep, 64, IC_RIGHTS_ALL,
                                VMM_BADGE_VCPU(i), IC_SLOT_ROOT_CNODE), "badging a vCPU's exits");
        ic_check(ic_tcb_configure(vm->vcpus[i].tcb, 64 - ic_env.bi->cnode_bits, 0, fault_ep, IC_SLOT_ROOT_CNODE,
                                   cfg->vspace, 0), "configuring a vCPU's thread");
        ic_check(ic_tcb_set_priority(vm->vcpus[i].tcb, cfg->vcpu_priority, IC_SLOT_ROOT_TCB), "a vCPU's priority");
        ic_check(ic_tcb_set_affinity(vm->vcpus[i].tcb, i), "a vCPU's CPU");
        ic_check(ic_vcpu_set_tcb(vm->vcpus[i].vcpu, vm->vcpus[i].tcb), "binding a VCPU to its thread");
        ic_check(ic_vcpu_write_register(vm->vcpus[i].vcpu, IC_VCPU_VMPIDR_EL2, i), "a vCPU's MPIDR");
        /* the kernel injects the timer, without exits */
        ic_check(ic_vcpu_set_timer_lr(vm->vcpus[i].vcpu, vm->num_lrs, TIMER_PRIORITY, cfg->gic_version == 3),
              "the timer's list register");
    }
    return VMM_OK;
}

static int add_mmio(struct vmm_vm *vm, uint64_t base, uint64_t size, vmm_mmio_handler *handler, void *ctx,
                    bool unlocked)
{
    if (size == 0 || base + size < base || !handler)
        return VMM_OVERLAP;
    for (unsigned k = 0; k < vm->num_mmio; k++)
        if (base < vm->mmio[k].base + vm->mmio[k].size && vm->mmio[k].base < base + size)
            return VMM_OVERLAP;
    if (vm->num_mmio == VMM_MAX_MMIO)
        return VMM_FULL;
    vm->mmio[vm->num_mmio++] = (struct vmm_mmio_region){ base, size, handler, ctx, unlocked };
    return VMM_OK;
}

int vmm_vm_add_mmio(struct vmm_vm *vm, uint64_t base, uint64_t size, vmm_mmio_handler *handler, void *ctx)
{
    return add_mmio(vm, base, size, handler, ctx, false);
}

int vmm_vm_add_mmio_unlocked(struct vmm_vm *vm, uint64_t base, uint64_t size, vmm_mmio_handler *handler,
                             void *ctx)
{
    return add_mmio(vm, base, size, handler, ctx, true);
}

int vmm_vm_forward_irq(struct vmm_vm *vm, unsigned irq)
{
    if (irq < 32 || irq >= vm->cfg.nr_irqs)
        return VMM_NO_SUCH_IRQ;
    if (vm->num_forwarded == VMM_MAX_FORWARDED)
        return VMM_FULL;
    unsigned k = vm->num_forwarded;
    ic_cptr_t handler = ic_irq_handler(irq), badged = ic_slot();
    ic_check(ic_cnode_mint(IC_SLOT_ROOT_CNODE, badged, 64, vm->cfg.notification, 64, IC_RIGHTS_ALL,
                            1ull << (VMM_FORWARDED_BIT0 + k), IC_SLOT_ROOT_CNODE), "badging a forwarded line");
    ic_check(ic_irq_handler_set_notification(handler, badged), "routing a forwarded line");
    vm->forwarded[k].irq = irq;
    vm->forwarded[k].handler = handler;
    vm->num_forwarded++;
    return VMM_OK;
}

void vmm_vm_set_irq_level(struct vmm_vm *vm, unsigned irq, unsigned vcpu, bool level)
{
    vgic_set_level(&vm->vgic, irq, vcpu, level);
}

void vmm_vm_start_vcpu(struct vmm_vm *vm, unsigned i, uint64_t pc, uint64_t x0)
{
    ic_cptr_t vcpu = vm->vcpus[i].vcpu;
    ic_check(ic_vcpu_write_register(vcpu, IC_VCPU_SCTLR_EL1, AARCH64_SCTLR_EL1_RES1), "resetting a vCPU");
    ic_check(ic_vcpu_write_register(vcpu, IC_VCPU_CNTV_CTL_EL0, 0), "resetting a vCPU's timer");
    ic_user_context_t regs = { 0 };
    regs.regs[IC_REG_PC] = pc;
    regs.regs[IC_REG_SPSR] = AARCH64_SPSR_EL1H_MASKED;
    regs.regs[IC_REG_X0] = x0;
    ic_check(ic_tcb_write_registers(vm->vcpus[i].tcb, true, IC_REG_COUNT, &regs), "starting a vCPU");
}

void vmm_vm_inject_exception(struct vmm_vm *vm, unsigned i, uint64_t esr, uint64_t far)
{
    ic_cptr_t tcb = vm->vcpus[i].tcb, vcpu = vm->vcpus[i].vcpu;
    ic_user_context_t regs;
    ic_check(ic_tcb_read_registers(tcb, false, IC_REG_X0, &regs), "reading a vCPU's registers");
    uint64_t spsr = regs.regs[IC_REG_SPSR];
    bool from_el0 = (spsr & AARCH64_SPSR_M_MASK) == AARCH64_SPSR_M_EL0T;
    ic_word_t vbar;
    ic_check(ic_vcpu_read_register(vcpu, IC_VCPU_VBAR_EL1, &vbar), "reading VBAR_EL1");
    uint64_t offset = from_el0                         ? AARCH64_VECTOR_LOWER_A64
                      : (spsr & AARCH64_SPSR_M_SP_ELX) ? AARCH64_VECTOR_CURRENT_SPX
                                                       : AARCH64_VECTOR_CURRENT_SP0;
    ic_check(ic_vcpu_write_register(vcpu, IC_VCPU_ESR_EL1, esr), "writing ESR_EL1");
    ic_check(ic_vcpu_write_register(vcpu, IC_VCPU_FAR_EL1, far), "writing FAR_EL1");
    ic_check(ic_vcpu_write_register(vcpu, IC_VCPU_ELR_EL1, regs.regs[IC_REG_PC]), "writing ELR_EL1");
    ic_check(ic_vcpu_write_register(vcpu, IC_VCPU_SPSR_EL1, spsr), "writing SPSR_EL1");
    regs.regs[IC_REG_PC] = vbar + offset;
    regs.regs[IC_REG_SPSR] = AARCH64_SPSR_EL1H_MASKED;
    ic_check(ic_tcb_write_registers(tcb, false, IC_REG_X0, &regs), "writing a vCPU's registers");
}

/* ------------------------------------------------------------ interrupts */

/* Put what the virtual GIC has for vCPU i into its free list registers. */
static void inject_pending(struct vmm_vm *vm, unsigned i)
{
    for (unsigned lr = 0; lr < vm->num_lrs; lr++) {
        unsigned irq;
        uint8_t prio;
        if (!vgic_lr_is_free(&vm->vgic, i, lr) || vgic_next_to_inject(&vm->vgic, i, &irq, &prio) != 1)
            continue;
        if (ic_vcpu_inject_irq(vm->vcpus[i].vcpu, irq, prio, vgic_irq_group(&vm->vgic, i, irq), lr) != IC_OK)
            continue;
        vgic_lr_taken(&vm->vgic, i, lr, irq);
    }
}

/* Every vCPU that may have something new to take. */
static void inject_all(struct vmm_vm *vm)
{
    uint32_t kicks = vgic_take_kicks(&vm->vgic);
    for (unsigned i = 0; i < vm->cfg.num_vcpus; i++)
        if (kicks & (1u << i))
            inject_pending(vm, i);
}

static void on_notification(struct vmm_vm *vm, ic_word_t badge)
{
    for (unsigned k = 0; k < vm->num_forwarded; k++)
        if (badge & (1ull << (VMM_FORWARDED_BIT0 + k)))
            vgic_set_level(&vm->vgic, vm->forwarded[k].irq, 0, true);
    ic_word_t rest = badge & ((1ull << VMM_FORWARDED_BIT0) - 1);
    if (rest && vm->cfg.ops && vm->cfg.ops->signal)
        vm->cfg.ops->signal(vm, rest);
}

/* ------------------------------------------------------------ exits */

/* What an exit handler decided: reply with 'label' and 'len' message
 * registers, or (no_reply) leave the vCPU waiting: it was stopped. */
struct exit_reply {
    ic_word_t label;
    unsigned len;
    bool no_reply;
};

typedef void exit_handler(struct vmm_vm *vm, unsigned i, struct exit_reply *r);

/* Every stop counts: a handler that holds an exit received before a stop
 * must check that its vCPU still waits for the answer (serve_vcpu). */
static void suspend_vcpu(struct vmm_vm *vm, unsigned i)
{
    ic_check(ic_tcb_suspend(vm->vcpus[i].tcb), "stopping a vCPU");
    __atomic_store_n(&vm->stops, vm->stops + 1, __ATOMIC_RELEASE);
}

static void stop_vcpu(struct vmm_vm *vm, unsigned i, struct exit_reply *r)
{
    suspend_vcpu(vm, i);
    r->no_reply = true;
}

/* An instruction the VMM does not emulate: to the guest, an undefined
 * instruction (EC 0, unknown reason). */
static void undefined_instruction(struct vmm_vm *vm, unsigned i, struct exit_reply *r)
{
    vmm_vm_inject_exception(vm, i, AARCH64_ESR_IL | AARCH64_EC_UNKNOWN << AARCH64_ESR_EC_SHIFT, 0);
    r->label = IC_VCPU_REPLY_RETRY;
}

static const struct vmm_mmio_region *find_mmio(const struct vmm_vm *vm, uint64_t addr)
{
    for (unsigned k = 0; k < vm->num_mmio; k++)
        if (addr - vm->mmio[k].base < vm->mmio[k].size)
            return &vm->mmio[k];
    return NULL;
}

/* A data abort: the exit's message, the access, the region that serves
 * it (NULL: none, or the access runs past the region's end, which is not
 * the device's) and, once served, the device's answer. */
struct data_abort {
    uint64_t msg[IC_VCPU_ABORT_LENGTH];
    struct mmio_access a;
    const struct vmm_mmio_region *m;
    bool served, ok;
    uint64_t value;
};

/* Decoded before the lock is taken (serve_vcpu): it reads only the exit's
 * message and the table of regions, which vmm_vm_run no longer changes. */
static void read_data_abort(const struct vmm_vm *vm, struct data_abort *d)
{
    for (unsigned k = 0; k < IC_VCPU_ABORT_LENGTH; k++)
        d->msg[k] = ic_get_mr(k);
    d->m = NULL;
    d->served = d->ok = false;
    d->value = 0;
    if (mmio_decode_exit(d->msg, IC_VCPU_ABORT_LENGTH, &d->a) != 0)
        return;
    const struct vmm_mmio_region *m = find_mmio(vm, d->a.addr);
    if (m && d->a.addr - m->base + d->a.size <= m->size)
        d->m = m;
}

/* The device's handler: with the lock held, or, for a region of
 * vmm_vm_add_mmio_unlocked, before it is taken. */
static void serve_mmio(struct vmm_vm *vm, unsigned i, struct data_abort *d)
{
    d->served = true;
    d->ok = d->m && d->m->handler(vm, i, d->a.addr - d->m->base, &d->a, &d->value, d->m->ctx);
}

/* The answer to a data abort, with the lock held: the device's, or a
 * synchronous external abort in the guest. */
static void on_data_abort(struct vmm_vm *vm, unsigned i, struct data_abort *d, struct exit_reply *r)
{
    if (!d->served)
        serve_mmio(vm, i, d);
    if (d->ok) {
        ic_set_mr(0, d->value);
        r->len = 1;
        return;
    }
    const uint64_t *msg = d->msg;
    ic_printf("%s: guest access to %llx (pc %llx) not emulated: abort injected\n", vm->cfg.name,
              (unsigned long long)msg[IC_VCPU_ABORT_ADDR], (unsigned long long)msg[IC_VCPU_ABORT_PC]);
    ic_user_context_t regs;
    ic_check(ic_tcb_read_registers(vm->vcpus[i].tcb, false, IC_REG_X0, &regs), "reading a vCPU's registers");
    /* an instruction fetch gets an instruction abort, a load or store a
     * data abort (EC + 1: taken from the same EL) */
    uint64_t esr = msg[IC_VCPU_ABORT_ESR];
    bool fetch = (esr >> AARCH64_ESR_EC_SHIFT) == AARCH64_EC_IABT_LOWER;
    uint64_t ec = (fetch ? AARCH64_EC_IABT_LOWER : AARCH64_EC_DABT_LOWER) +
                  ((regs.regs[IC_REG_SPSR] & AARCH64_SPSR_M_MASK) != AARCH64_SPSR_M_EL0T);
    uint64_t wnr = fetch ? 0 : esr & AARCH64_ESR_WNR;
    vmm_vm_inject_exception(vm, i, ec << AARCH64_ESR_EC_SHIFT | AARCH64_ESR_IL | wnr | AARCH64_DFSC_SYNC_EXTERNAL,
                            msg[IC_VCPU_ABORT_VADDR]);
    r->label = IC_VCPU_REPLY_RETRY;
}

/* Every vCPU stopped, its VCPU object reset (list registers empty,
 * nothing active in its CPU interface). */
static void stop_all(struct vmm_vm *vm)
{
    for (unsigned k = 0; k < vm->cfg.num_vcpus; k++) {
        suspend_vcpu(vm, k);
        ic_check(ic_vcpu_reset(vm->vcpus[k].vcpu), "resetting a vCPU");
    }
}

/* PSCI SYSTEM_RESET: the machine starts again in place. */
static void system_reset(struct vmm_vm *vm)
{
    stop_all(vm);
    uint64_t pc, x0;
    if (!vm->cfg.ops || !vm->cfg.ops->reset || !vm->cfg.ops->reset(vm, &pc, &x0))
        return;
    reset_gic_and_psci(vm);
    /* lines whose interrupt the old guest never ended listen again */
    for (unsigned k = 0; k < vm->num_forwarded; k++)
        ic_check(ic_irq_handler_ack(vm->forwarded[k].handler), "unmasking a forwarded line");
    vmm_vm_start_vcpu(vm, 0, pc, x0);
}

static void on_psci(struct vmm_vm *vm, unsigned i, struct exit_reply *r)
{
    uint64_t x[4] = { ic_get_mr(0), ic_get_mr(1), ic_get_mr(2), ic_get_mr(3) };
    struct psci_result p;
    psci_handle(&vm->psci, i, x, &p);
    switch (p.action) {
    case PSCI_ACTION_SYSTEM_OFF:
        stop_all(vm);
        if (vm->cfg.ops && vm->cfg.ops->power_off)
            vm->cfg.ops->power_off(vm);
        r->no_reply = true;
        return;
    case PSCI_ACTION_SYSTEM_RESET:
        system_reset(vm); /* every vCPU stopped, the caller too: no reply */
        r->no_reply = true;
        return;
    case PSCI_ACTION_CPU_OFF:
        stop_vcpu(vm, i, r);
        return;
    case PSCI_ACTION_CPU_ON:
        vmm_vm_start_vcpu(vm, p.target, p.entry, p.context_id);
        psci_cpu_started(&vm->psci, p.target);
        break;
    case PSCI_ACTION_RETURN:
        break;
    }
    for (unsigned k = 0; k < 4; k++)
        ic_set_mr(k, p.x[k]);
    r->len = 4;
}

static void on_sysreg(struct vmm_vm *vm, unsigned i, struct exit_reply *r)
{
    struct mmio_sysreg s;
    uint64_t esr = ic_get_mr(IC_VCPU_SYSREG_ESR);
    bool ok = mmio_decode_sysreg(esr, &s) == 0;
    if (ok && s.write && s.id == MMIO_SYSREG_ICC_SGI1R_EL1) {
        vgic_sgi1r_write(&vm->vgic, i, ic_get_mr(IC_VCPU_SYSREG_VALUE));
    } else if (!ok || ((esr >> 20) & 3) != 2) {
        /* not a debug register (op0 = 2, which read as zero and ignore
         * writes: a machine without self-hosted debug) */
        ic_printf("%s: guest system register access %llx (pc %llx): undefined instruction injected\n",
                  vm->cfg.name, (unsigned long long)esr, (unsigned long long)ic_get_mr(IC_VCPU_SYSREG_PC));
        undefined_instruction(vm, i, r);
        return;
    }
    ic_set_mr(0, 0);
    r->len = 1;
}

static void on_vtimer(struct vmm_vm *vm, unsigned i, struct exit_reply *r)
{
    (void)r;
    vgic_set_level(&vm->vgic, TIMER_PPI, i, true);
}

static void on_maintenance(struct vmm_vm *vm, unsigned i, struct exit_reply *r)
{
    (void)r;
    ic_word_t lrs = ic_get_mr(IC_VCPU_MAINTENANCE_LRS);
    for (unsigned lr = 0; lr < vm->num_lrs; lr++) {
        unsigned irq;
        if (!(lrs & (1u << lr)) || vgic_lr_ended(&vm->vgic, i, lr, &irq) != VGIC_OK)
            continue;
        if (irq == TIMER_PPI) { /* the guest has dealt with its timer: unmask it */
            vgic_set_level(&vm->vgic, TIMER_PPI, i, false);
            ic_vcpu_ack_vtimer(vm->vcpus[i].vcpu);
            continue;
        }
        for (unsigned k = 0; k < vm->num_forwarded; k++) {
            if (vm->forwarded[k].irq == irq) { /* a passed-through line: listen again */
                vgic_set_level(&vm->vgic, irq, 0, false);
                ic_irq_handler_ack(vm->forwarded[k].handler);
            }
        }
    }
}

static void on_unknown(struct vmm_vm *vm, unsigned i, struct exit_reply *r)
{
    ic_printf("%s: guest exception %llx at %llx: undefined instruction injected\n", vm->cfg.name,
              (unsigned long long)ic_get_mr(IC_VCPU_EXIT_ESR), (unsigned long long)ic_get_mr(IC_VCPU_EXIT_PC));
    undefined_instruction(vm, i, r);
}

/* Data aborts are not in the table: serve_vcpu reads them before it takes
 * the lock, and handle_exit answers them with on_data_abort. */
static exit_handler *const exit_handlers[] = {
    [IC_FAULT_VCPU_HVC] = on_psci,
    [IC_FAULT_VCPU_SMC] = on_psci,
    [IC_FAULT_VCPU_SYSREG] = on_sysreg,
    [IC_FAULT_VCPU_VTIMER] = on_vtimer,
    [IC_FAULT_VCPU_UNKNOWN] = on_unknown,
    [IC_FAULT_VCPU_VGIC_MAINTENANCE] = on_maintenance,
};

/* Whether the exit just received still waits for its answer: false if
 * its vCPU was stopped since it was sent (by another vCPU's handler: a
 * PSCI SYSTEM_OFF or SYSTEM_RESET), and maybe started again since, which
 * an answer or an effect of the old exit must not reach. Checked only when
 * some vCPU was stopped since this handler began to wait, with the kernel:
 * a stopped caller no longer has a reply to take, and saving it fails. The
 * exit's message is kept across the check. *saved gets the slot of the
 * reply capability, through which the answer then goes. */
static bool still_waiting(struct vmm_vm *vm, unsigned i, ic_msginfo_t info, ic_cptr_t *saved)
{
    ic_word_t msg[IC_MSG_MAX_LENGTH];
    unsigned len = ic_msginfo_length(info);
    for (unsigned k = 0; k < len; k++)
        msg[k] = ic_get_mr(k);
    ic_err_t err = ic_cnode_save_caller(IC_SLOT_ROOT_CNODE, vm->vcpus[i].reply, 64);
    for (unsigned k = 0; k < len; k++)
        ic_set_mr(k, msg[k]);
    if (err == IC_ILLEGAL_OPERATION)
        return false;
    ic_check(err, "keeping a vCPU's reply");
    *saved = vm->vcpus[i].reply;
    return true;
}

/* One exit of vCPU i, with the lock held ('abort': it is a data abort,
 * read before); false if there is nobody to answer. */
static bool handle_exit(struct vmm_vm *vm, unsigned i, ic_msginfo_t info, struct data_abort *abort,
                        struct exit_reply *r)
{
    ic_word_t label = ic_msginfo_label(info);
    exit_handler *handler = label < sizeof exit_handlers / sizeof exit_handlers[0] ? exit_handlers[label] : NULL;
    if (abort) {
        on_data_abort(vm, i, abort, r);
    } else if (handler) {
        handler(vm, i, r);
    } else {
        ic_printf("%s: unexpected message %llu from vCPU %u; stopping it\n", vm->cfg.name,
                  (unsigned long long)label, i);
        stop_vcpu(vm, i, r);
    }
    if (!r->no_reply)
        inject_pending(vm, i);
    inject_all(vm);
    return !r->no_reply;
}

/* The thread of vCPU i: its exits and, for vCPU 0, the VMM's bound
 * notification, each under the VM's lock. A data abort is read before the
 * lock is taken, and an access to a region of vmm_vm_add_mmio_unlocked
 * served then too; the check below that the vCPU still waits (a stop
 * since 'stops' was read) covers the time its handler took. */
static _Noreturn void serve_vcpu(struct vmm_vm *vm, unsigned i)
{
    ic_cptr_t ep = vm->vcpus[i].ep;
    ic_word_t badge;
    unsigned stops = __atomic_load_n(&vm->stops, __ATOMIC_ACQUIRE);
    ic_msginfo_t info = ic_recv(ep, &badge);
    for (;;) {
        struct data_abort d, *abort = NULL;
        if (badge == VMM_BADGE_VCPU(i) && ic_msginfo_label(info) == IC_FAULT_VCPU_DATA_ABORT) {
            abort = &d;
            read_data_abort(vm, abort);
            if (abort->m && abort->m->unlocked)
                serve_mmio(vm, i, abort);
        }
        ic_lock_take(&vm->lock, i);
        if (info == 0 && badge) {
            /* the bound notification, not an exit: nobody waits for a reply */
            on_notification(vm, badge);
            inject_all(vm);
            stops = vm->stops;
            ic_lock_release(&vm->lock, i);
            info = ic_recv(ep, &badge);
            continue;
        }
        if (badge != VMM_BADGE_VCPU(i))
            ic_die("an exit from an unknown vCPU", (ic_err_t)badge);
        struct exit_reply r = { .label = IC_VCPU_REPLY_EMULATED };
        ic_cptr_t saved = 0;
        bool answer =
            (stops == vm->stops || still_waiting(vm, i, info, &saved)) && handle_exit(vm, i, info, abort, &r);
        stops = vm->stops;
        ic_lock_release(&vm->lock, i);
        ic_msginfo_t reply = ic_msginfo_new(r.label, 0, 0, r.len);
        if (answer && saved) {
            ic_send(saved, reply);
            info = ic_recv(ep, &badge);
        } else if (answer) {
            info = ic_reply_recv(ep, reply, &badge);
        } else {
            info = ic_recv(ep, &badge);
        }
    }
}

static void vcpu_thread(void *arg)
{
    struct vmm_vcpu_thread *t = arg;
    serve_vcpu(t->vm, t->index);
}

_Noreturn void vmm_vm_run(struct vmm_vm *vm)
{
    /* the caller serves vCPU 0 (and the bound notification); a thread on
     * each other vCPU's CPU, at the caller's priority, serves that vCPU */
    for (unsigned i = 1; i < vm->cfg.num_vcpus; i++) {
        vm->threads[i] = (struct vmm_vcpu_thread){ vm, i };
        ic_thread_start(vcpu_thread, &vm->threads[i], i, vm->cfg.vmm_priority);
    }
    serve_vcpu(vm, 0);
}
