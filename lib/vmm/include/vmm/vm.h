/* The VMM core: a virtual machine's vCPU threads and the loop that answers
 * their exits, shared by every VMM (the host VMM today, realm VMMs next).
 *
 * A VMM describes its machine (struct vmm_vm_config), registers the
 * emulated MMIO regions it serves besides the GIC ({base, size, handler}),
 * passes interrupt lines through, starts vCPU 0 and calls vmm_vm_run,
 * which never returns. The core owns what every virt-like guest needs and
 * no VMM decides differently: the virtual GIC (distributor, GICv3
 * redistributors, SGIs through ICC_SGI1R_EL1), PSCI, the virtual timer's
 * interrupt, forwarded lines, and the architectural answer to an access
 * nobody emulates (an abort or an undefined instruction in the guest).
 * Policy stays with the VMM, through struct vmm_vm_ops: what to do on a
 * signal from another component, on power off and on reset.
 *
 * vCPU i runs on CPU i. Its exits arrive on an endpoint of its own, badged
 * VMM_BADGE_VCPU(i), which a thread of the VMM on CPU i serves: the caller
 * of vmm_vm_run serves vCPU 0, and vmm_vm_run starts one thread for each
 * other vCPU, so that an exit never waits for another CPU. The threads
 * share the machine's state under one lock (icecap/lock.h), taken around
 * each exit and each signal: device handlers and the VMM's callbacks run
 * with it held, one at a time, except the handlers of regions registered
 * with vmm_vm_add_mmio_unlocked, which run before it is taken (a device
 * whose accesses may wait a long time, so that the other vCPUs' exits go
 * on meanwhile). The VMM's bound notification (on the
 * caller's thread) carries forwarded lines (bit VMM_FORWARDED_BIT0 + k)
 * and, below bit VMM_FORWARDED_BIT0, whatever the VMM's channels signal.
 *
 * The core stops the system (ic_die) only for its own kernel calls failing
 * on objects it made; nothing a guest does reaches that. */
#ifndef VMM_VM_H
#define VMM_VM_H

#include <icecap/icecap.h>
#include <icecap/lock.h>
#include <vmm/mmio.h>
#include <vmm/psci.h>
#include <vmm/vgic.h>

#define VMM_MAX_VCPUS VGIC_MAX_VCPUS
#define VMM_MAX_MMIO 16u
#define VMM_FORWARDED_BIT0 32u /* forwarded line k: bit 32 + k of the bound notification */
#define VMM_MAX_FORWARDED 32u
#define VMM_BADGE_VCPU(i) (1ull << 8 << (i)) /* the endpoint's badge for vCPU i's exits */

struct vmm_vm;

/* An access to [base, base + size): 'offset' is from base. Return false
 * for an access the device does not answer (the guest gets an external
 * abort); for a read, set *value. */
typedef bool vmm_mmio_handler(struct vmm_vm *vm, unsigned vcpu, uint64_t offset, const struct mmio_access *a,
                              uint64_t *value, void *ctx);

struct vmm_mmio_region {
    uint64_t base, size;
    vmm_mmio_handler *handler;
    void *ctx;
    bool unlocked; /* vmm_vm_add_mmio_unlocked: the handler runs without the lock */
};

/* What the VMM decides. Each may be NULL: a signal is then ignored, a
 * power off or a reset stops the vCPUs for good. */
struct vmm_vm_ops {
    /* the bound notification's bits below VMM_FORWARDED_BIT0 */
    void (*signal)(struct vmm_vm *vm, ic_word_t badge);
    /* PSCI SYSTEM_OFF: every vCPU is stopped */
    void (*power_off)(struct vmm_vm *vm);
    /* PSCI SYSTEM_RESET: every vCPU is stopped and its VCPU object reset;
     * the VMM puts its devices and memory back as at power on and says
     * where vCPU 0 starts (pc, x0); false keeps the machine off. The
     * virtual GIC, PSCI and the forwarded lines are reset after it. */
    bool (*reset)(struct vmm_vm *vm, uint64_t *pc, uint64_t *x0);
};

struct vmm_vm_config {
    const char *name;          /* in messages: "host-vmm" */
    unsigned gic_version;      /* 2 or 3 (the board's: bootinfo) */
    unsigned list_registers;   /* the board's (bootinfo); the last is the kernel's, for the timer */
    unsigned num_vcpus;        /* vCPU i runs on CPU i */
    unsigned nr_irqs;          /* the virtual GIC's lines: a multiple of 32, covering every device */
    ic_word_t vcpu_priority;
    ic_word_t vmm_priority;    /* the caller's: the other vCPUs' threads get it too */
    ic_cptr_t vspace;          /* the guest's, with a VMID */
    ic_cptr_t notification;    /* bound to the VMM's thread */
    uint64_t gicd, gicr;       /* where the guest sees the distributor and (GICv3) redistributors */
    uint64_t ram_base, ram_size; /* where PSCI CPU_ON may start a vCPU */
    const struct vmm_vm_ops *ops;
    void *ctx;                 /* the VMM's, for its callbacks */
};

struct vmm_vm {
    struct vmm_vm_config cfg;
    unsigned num_lrs;          /* list registers for the core's own use */
    struct vgic vgic;
    struct psci_state psci;
    struct ic_lock lock;       /* the machine's state, between the vCPUs' threads */
    unsigned stops;            /* vCPUs stopped so far (under the lock) */
    /* each vCPU's thread, VCPU object, the endpoint of its exits and a
     * slot for a reply kept across a check (vm.c, still_waiting) */
    struct { ic_cptr_t tcb, vcpu, ep, reply; } vcpus[VMM_MAX_VCPUS];
    struct vmm_vcpu_thread { struct vmm_vm *vm; unsigned index; } threads[VMM_MAX_VCPUS];
    struct vmm_mmio_region mmio[VMM_MAX_MMIO];
    unsigned num_mmio;
    struct { unsigned irq; ic_cptr_t handler; } forwarded[VMM_MAX_FORWARDED];
    unsigned num_forwarded;
};

/* Makes the vCPUs (threads and VCPU objects, from the component's memory:
 * icecap/env.h), the exit endpoint, the virtual GIC and PSCI. Returns 0,
 * or a negative VMM_* error for a configuration the core cannot serve. */
enum { VMM_OK = 0, VMM_BAD_CONFIG = -1, VMM_FULL = -2, VMM_OVERLAP = -3, VMM_NO_SUCH_IRQ = -4 };
int vmm_vm_init(struct vmm_vm *vm, const struct vmm_vm_config *cfg);

/* Serves guest accesses to [base, base + size) with 'handler'. Refused
 * (VMM_OVERLAP) if the range is empty, wraps or meets a registered one;
 * VMM_FULL beyond VMM_MAX_MMIO. Every region is registered before
 * vmm_vm_run: the vCPUs' threads read the table without the lock. */
int vmm_vm_add_mmio(struct vmm_vm *vm, uint64_t base, uint64_t size, vmm_mmio_handler *handler, void *ctx);

/* The same for a device whose accesses may take long (a request to
 * another component, say): its handler runs on the thread of the vCPU
 * that made the access *without* the machine's lock, so the other vCPUs'
 * exits and the VMM's signals go on meanwhile. It may therefore touch only
 * state of its own that is safe with the handler running on every vCPU's
 * thread at once (per-vCPU state, say), and nothing of the machine's: no
 * vmm_vm_* call, not the VMM's other devices. The core answers the exit
 * with the lock held after it returns (false: an external abort, as for
 * any region). If another vCPU stops this one meanwhile (PSCI SYSTEM_OFF
 * or SYSTEM_RESET), the answer is dropped, as any stale exit's is, but
 * what the handler did stays done. */
int vmm_vm_add_mmio_unlocked(struct vmm_vm *vm, uint64_t base, uint64_t size, vmm_mmio_handler *handler,
                             void *ctx);

/* Passes the physical line 'irq' (its handler granted to this component)
 * through to the guest as the same SPI; the guest's end of it unmasks the
 * line again. */
int vmm_vm_forward_irq(struct vmm_vm *vm, unsigned irq);

/* A device model's line: an SPI (vcpu 0) or a PPI of vCPU 'vcpu'. */
void vmm_vm_set_irq_level(struct vmm_vm *vm, unsigned irq, unsigned vcpu, bool level);

/* Starts (or restarts after CPU_OFF) vCPU i at pc with x0, as the boot or
 * PSCI CPU_ON would: MMU and caches off, its virtual timer off. */
void vmm_vm_start_vcpu(struct vmm_vm *vm, unsigned i, uint64_t pc, uint64_t x0);

/* A synchronous exception taken to the guest's own EL1, as the hardware
 * would deliver it: ESR_EL1 = esr, FAR_EL1 = far. */
void vmm_vm_inject_exception(struct vmm_vm *vm, unsigned i, uint64_t esr, uint64_t far);

/* Answers exits and signals for ever. */
_Noreturn void vmm_vm_run(struct vmm_vm *vm);

#endif
