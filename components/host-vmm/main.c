/* The host VMM: builds the host VM from a Linux kernel and initramfs that
 * QEMU's firmware configuration device holds (-fw_cfg, docs/host-vm.md) and
 * runs it, emulating what the guest's exits ask for (the GIC
 * distributor, and on GICv3 the redistributors; PSCI; the console, a PL011
 * whose line is a pair of rings to the serial server) and passing QEMU's
 * virtio-mmio devices through: their registers are mapped into the guest
 * and their interrupts forwarded. On GICv2 the guest's CPU interface is the
 * hardware's virtual CPU interface (GICV), mapped where the guest expects
 * its GICC.
 *
 * The loader starts it as a component (docs/loader.md): its boot information
 * lists what it holds, which is its own memory, the host VM's RAM, the
 * devices of the host VM and their interrupts, and the firmware
 * configuration device, no more. What it builds comes
 * from the system description (system/virt.system, compiled into system.h):
 * the vCPUs, the RAM (mapped at its own physical addresses, so that
 * passed-through devices can use guest addresses for DMA), the devices and
 * the command line. */
#include <icecap/env.h>
#include <icecap/icecap.h>
#include <icecap/vcpu.h>
#include <vmm/console.h>
#include <vmm/fdt.h>
#include <vmm/fw_cfg.h>
#include <vmm/linux.h>
#include <vmm/mmio.h>
#include <vmm/psci.h>
#include <vmm/vgic.h>
#include <system.h> /* compiled from system/virt.system by tools/syscomp */

#define ROOT_CNODE IC_SLOT_ROOT_CNODE
#define ROOT_VSPACE IC_SLOT_ROOT_VSPACE
#define ROOT_TCB IC_SLOT_ROOT_TCB

#define GUEST_RAM_BITS SYSTEM_VM_HOST_RAM_BITS
#define GUEST_RAM_SIZE (1ull << GUEST_RAM_BITS)
#define GUEST_GICD 0x08000000ull
#define GUEST_GICR 0x080a0000ull
#define GUEST_GICC 0x08010000ull     /* GICv2: the guest's CPU interface... */
#define GICV_PADDR 0x08040000ull     /* ...is the hardware's virtual one (the loader grants it) */
#define GICC_SIZE 0x2000u            /* GICv2 CPU interface: two pages (GICC_DIR in the second) */
#define BADGE_VCPU(i) (1ull << 8 << (i)) /* exits; the low bits are interrupts */
#define SCTLR_EL1_RESET 0x30d00800ull /* its RES1 bits: MMU, caches and alignment checks off */
#define TIMER_PRIORITY 0xa0 /* the priority Linux gives each interrupt */
#define VIRTIO_SLOT_SIZE 0x200u
#define VIRTIO_MAGIC 0x74726976u     /* "virt" */
#define VIRTIO_STATUS 0x70u          /* writing 0 resets the device */
#define MAX_VIRTIO 32
#define MAX_FORWARDED 8
#define FORWARDED_BIT0 32            /* forwarded line k: bit 32 + k of the notification word; channels below */

/* The host VM's images: the files a user gives QEMU with
 * -fw_cfg name=opt/icecap/kernel,file=PATH (and the same for initramfs) */
#define FW_CFG_KERNEL "opt/icecap/kernel"
#define FW_CFG_INITRAMFS "opt/icecap/initramfs"

static ic_bootinfo_t *bi;
static ic_cptr_t next_slot, pool;
static unsigned num_lrs, gic_version;
static struct vgic vgic;
static struct psci_state psci;
static uint64_t guest_ram;          /* its guest-physical (and physical) address */
static ic_cptr_t guest_frames;      /* its 2 MiB frames, in address order */
static struct linux_layout layout;  /* where the kernel, initramfs and device tree go */
static struct fw_cfg fw_cfg;        /* where the kernel and initramfs come from */
static struct fw_cfg_file kernel_file, initramfs_file;
#define NUM_VCPUS SYSTEM_VM_HOST_VCPUS

/* A vCPU of the host VM: its thread and its VCPU object (what its list
 * registers hold is the virtual GIC's to remember). Its exits carry the
 * badge BADGE_VCPU(index). */
static struct guest_vcpu {
    ic_cptr_t tcb, vcpu;
} vcpus[NUM_VCPUS];
static unsigned num_vcpus;
/* Physical interrupt lines passed through to the guest: line k signals the
 * VMM's bound notification with badge bit FORWARDED_BIT0 + k. */
static struct forwarded {
    unsigned irq;
    ic_cptr_t handler;
} forwarded[MAX_FORWARDED];
static unsigned num_forwarded;
static ic_cptr_t irq_ntfn;
/* The devices the device tree describes: the UART (passed through, or the
 * emulated console), and the virtio-mmio transports with a device behind
 * them. */
static const struct system_device *uart;
/* The emulated console: a PL011 whose line is a ring pair shared with the
 * serial server (vmm/console.h); its signals set console_bit. */
static struct vmm_console console;
static bool console_on;
static ic_cptr_t console_signal;
static uint64_t console_bit;
static struct virtio_transport {
    uint64_t addr;
    unsigned irq;
} virtio[MAX_VIRTIO];
static unsigned num_virtio;

static void die(const char *what, long err)
{
    ic_printf("host-vmm: %s failed (%ld)\n", what, err);
    ic_exit(1);
}

static void check(ic_err_t err, const char *what)
{
    if (err)
        die(what, err);
}

static ic_cptr_t make(ic_cptr_t from, ic_word_t type, ic_word_t size_bits, ic_word_t count)
{
    ic_cptr_t first = next_slot;
    check(ic_untyped_retype(from, type, size_bits, ROOT_CNODE, 64, first, count, ROOT_CNODE), "retype");
    next_slot += count;
    return first;
}

/* The i-th RAM untyped region the loader granted: 0 is the VMM's own
 * memory, 1 the host VM's RAM (docs/loader.md). */
static ic_cptr_t granted_ram(unsigned n, ic_word_t *paddr, unsigned *bits)
{
    for (ic_word_t i = 0; i < bi->untyped.end - bi->untyped.start; i++) {
        const ic_untyped_desc_t *d = &bi->untyped_list[i];
        if (!d->is_device && n-- == 0) {
            *paddr = d->paddr;
            *bits = d->size_bits;
            return bi->untyped.start + i;
        }
    }
    die("finding the memory the loader granted", IC_NOT_ENOUGH_MEMORY);
    return 0;
}

/* The device untyped region whose first page is 'paddr'. */
static ic_cptr_t find_device_untyped(ic_word_t paddr, ic_word_t *base)
{
    for (ic_word_t i = 0; i < bi->untyped.end - bi->untyped.start; i++) {
        const ic_untyped_desc_t *d = &bi->untyped_list[i];
        if (d->is_device && d->paddr == paddr) {
            *base = d->paddr;
            return bi->untyped.start + i;
        }
    }
    die("finding a device", IC_FAILED_LOOKUP);
    return 0;
}

/* Map a 4 KiB frame, making page tables from the pool as needed. */
static void map_4k(ic_cptr_t vspace, ic_cptr_t frame, ic_word_t va, ic_word_t attrs)
{
    for (int i = 0; i < 3; i++) {
        ic_err_t err = ic_frame_map(frame, va, IC_RIGHT_READ | IC_RIGHT_WRITE, attrs, vspace);
        if (err != IC_FAILED_LOOKUP) {
            check(err, "map");
            return;
        }
        check(ic_page_table_map(make(pool, IC_OBJ_PAGE_TABLE, 0, 1), va, vspace), "page table");
    }
}

/* Pass a physical interrupt line through to the guest. */
static void forward_irq(unsigned irq)
{
    if (num_forwarded == MAX_FORWARDED)
        die("forwarding another interrupt", IC_NOT_ENOUGH_MEMORY);
    unsigned k = num_forwarded++;
    ic_cptr_t badged = next_slot++, handler = 0;
    for (ic_word_t i = 0; i < bi->irqs.end - bi->irqs.start; i++)
        if (bi->irq_list[i] == irq)
            handler = bi->irqs.start + i;
    if (!handler)
        die("finding the handler of a granted interrupt", IC_FAILED_LOOKUP);
    check(ic_cnode_mint(ROOT_CNODE, badged, 64, irq_ntfn, 64, IC_RIGHTS_ALL, 1ull << (FORWARDED_BIT0 + k), ROOT_CNODE),
          "mint");
    check(ic_irq_handler_set_notification(handler, badged), "interrupt notification");
    forwarded[k] = (struct forwarded){ irq, handler };
}

/* Map 'pages' device pages at 'paddr' into the guest at 'ipa' (and, if
 * vmm_too, into the VMM at 'paddr' to look at them); the untyped region
 * must start there. */
static void pass_through(ic_cptr_t vspace, uint64_t paddr, uint64_t ipa, unsigned pages, bool vmm_too)
{
    ic_word_t base;
    ic_cptr_t frames = make(find_device_untyped(paddr, &base), IC_OBJ_FRAME_4K, 0, pages);
    for (unsigned p = 0; p < pages; p++) {
        map_4k(vspace, frames + p, ipa + p * 4096ull, IC_ATTR_DEVICE);
        if (vmm_too) {
            ic_cptr_t copy = next_slot++;
            check(ic_cnode_copy(ROOT_CNODE, copy, 64, frames + p, 64, IC_RIGHTS_ALL, ROOT_CNODE), "copy");
            map_4k(ROOT_VSPACE, copy, paddr + p * 4096ull, IC_ATTR_DEVICE);
        }
    }
}

/* The emulated console on the region console-host, whose other end is the
 * serial server. */
static void setup_console(const struct system_device *dev)
{
    const struct system_component *self = ic_self();
    const struct system_mapping *map = NULL;
    for (unsigned m = 0; m < self->num_mappings; m++)
        if (!strcmp(self->mappings[m].region, "console-host"))
            map = &self->mappings[m];
    if (!map || !map->writable)
        die("finding the console's rings (shared-memory console-host, mapped rw)", IC_INVALID_ARGUMENT);
    if (dev->size != PL011_SIZE || !dev->irq_first || dev->irq_last != dev->irq_first)
        die("emulating the console (4K, one interrupt)", IC_INVALID_ARGUMENT);
    if (vmm_console_init(&console, (void *)(uintptr_t)map->vaddr, map->size))
        die("attaching the console's rings", IC_INVALID_ARGUMENT);
    unsigned peer;
    if (!ic_sharer(map->region_index, &peer))
        die("finding the other end of the console (map console-host in the serial server)", IC_INVALID_ARGUMENT);
    console_signal = ic_channel_to(peer);
    for (unsigned k = 0; k < self->num_channels; k++)
        if (self->channels[k].peer_index == peer)
            console_bit = self->channels[k].badge;
    console_on = true;
    uart = dev;
}

/* The devices the system description gives the guest: the UART, and every
 * virtio-mmio transport of the listed ranges with a device behind it
 * (QEMU's -device virtio-net-device, say), with their interrupts. Devices
 * use guest addresses for DMA, which works because guest RAM sits at its
 * own physical addresses. */
static void pass_devices(ic_cptr_t vspace)
{
    /* one notification for every event that is not an exit: the loader's,
     * which the channels signal, if the description gives it channels */
    irq_ntfn = ic_self()->num_channels ? SYSTEM_SLOT_NOTIFICATION : make(pool, IC_OBJ_NOTIFICATION, 0, 1);
    check(ic_tcb_bind_notification(ROOT_TCB, irq_ntfn), "bind");
    for (unsigned d = 0; d < SYSTEM_VM_HOST_NUM_DEVICES; d++) {
        const struct system_device *dev = &system_devices_vm_host[d];
        if (!strcmp(dev->name, "console")) {
            setup_console(dev);
            continue;
        }
        if (!strcmp(dev->name, "uart")) {
            pass_through(vspace, dev->base, dev->base, (unsigned)(dev->size / 4096), false);
            forward_irq(dev->irq_first);
            uart = dev;
            continue;
        }
        /* virtio-mmio: one transport every 0x200 bytes, interrupts in order */
        pass_through(vspace, dev->base, dev->base, (unsigned)(dev->size / 4096), true);
        for (unsigned n = 0; n < dev->size / VIRTIO_SLOT_SIZE && n <= dev->irq_last - dev->irq_first; n++) {
            uint64_t addr = dev->base + n * VIRTIO_SLOT_SIZE;
            volatile uint32_t *regs = (volatile uint32_t *)(uintptr_t)addr;
            if (regs[0] != VIRTIO_MAGIC || regs[2] == 0 || num_virtio == MAX_VIRTIO) /* magic, device ID */
                continue;
            ic_printf("host-vmm: virtio device %u at %llx passed through\n", regs[2], (unsigned long long)addr);
            virtio[num_virtio++] = (struct virtio_transport){ addr, dev->irq_first + n };
            forward_irq(dev->irq_first + n);
        }
    }
    if (!uart)
        die("finding the console (no console or uart in the system description)", IC_INVALID_ARGUMENT);
    /* GICv2: the guest's CPU interface accesses go straight to the
     * hardware's virtual CPU interface, which shows the list registers of
     * whichever vCPU runs on that CPU */
    if (gic_version == 2)
        pass_through(vspace, GICV_PADDR, GUEST_GICC, GICC_SIZE / 4096, false);
}

/* ------------------------------------------------------------ the device tree */

static long build_dtb(void *buf, size_t size, uint64_t ram, uint64_t initrd, uint64_t initrd_end)
{
    struct fdt_writer w;
    enum { GIC_PHANDLE = 1, CLOCK_PHANDLE = 2 };
    fdt_begin(&w, buf, size);
    fdt_begin_node(&w, "");
    fdt_property_string(&w, "compatible", "linux,dummy-virt");
    fdt_property_u32(&w, "#address-cells", 2);
    fdt_property_u32(&w, "#size-cells", 2);
    fdt_property_u32(&w, "interrupt-parent", GIC_PHANDLE);

    fdt_begin_node(&w, "chosen");
    char uart_name[32];
    ic_snprintf(uart_name, sizeof(uart_name), "pl011@%llx", (unsigned long long)uart->base);
    fdt_property_string(&w, "bootargs", SYSTEM_VM_HOST_BOOTARGS);
    char stdout_path[40];
    ic_snprintf(stdout_path, sizeof(stdout_path), "/%s", uart_name);
    fdt_property_string(&w, "stdout-path", stdout_path);
    fdt_property_u64(&w, "linux,initrd-start", initrd);
    fdt_property_u64(&w, "linux,initrd-end", initrd_end);
    fdt_end_node(&w);

    char mem_name[32];
    ic_snprintf(mem_name, sizeof(mem_name), "memory@%llx", (unsigned long long)ram);
    fdt_begin_node(&w, mem_name);
    fdt_property_string(&w, "device_type", "memory");
    const uint64_t mem[] = { ram, GUEST_RAM_SIZE };
    fdt_property_u64_array(&w, "reg", mem, 2);
    fdt_end_node(&w);

    fdt_begin_node(&w, "cpus");
    fdt_property_u32(&w, "#address-cells", 1);
    fdt_property_u32(&w, "#size-cells", 0);
    for (unsigned i = 0; i < num_vcpus; i++) {
        char name[8] = "cpu@0";
        name[4] = (char)('0' + i);
        fdt_begin_node(&w, name);
        fdt_property_string(&w, "device_type", "cpu");
        fdt_property_string(&w, "compatible", "arm,armv8");
        fdt_property_u32(&w, "reg", i);
        fdt_property_string(&w, "enable-method", "psci");
        fdt_end_node(&w);
    }
    fdt_end_node(&w);

    fdt_begin_node(&w, "psci");
    const char *const psci_compat[] = { "arm,psci-1.0", "arm,psci-0.2" };
    fdt_property_strings(&w, "compatible", psci_compat, 2);
    fdt_property_string(&w, "method", "hvc");
    fdt_end_node(&w);

    fdt_begin_node(&w, "timer");
    fdt_property_string(&w, "compatible", "arm,armv8-timer");
    /* secure, non-secure, virtual, hypervisor: PPIs 13, 14, 11, 10, level;
     * a GICv2 PPI also names the CPUs it reaches (bits 15:8), all of them */
    const uint32_t ppi = 4 | (gic_version == 2 ? ((1u << num_vcpus) - 1) << 8 : 0);
    const uint32_t timer_irqs[] = { 1, 13, ppi, 1, 14, ppi, 1, 11, ppi, 1, 10, ppi };
    fdt_property_u32_array(&w, "interrupts", timer_irqs, 12);
    fdt_property_empty(&w, "always-on");
    fdt_end_node(&w);

    fdt_begin_node(&w, "intc@8000000");
    if (gic_version == 3) {
        fdt_property_string(&w, "compatible", "arm,gic-v3");
        fdt_property_u32(&w, "#redistributor-regions", 1);
        const uint64_t gic_reg[] = { GUEST_GICD, VGIC_GICD_SIZE_V3, GUEST_GICR, VGIC_GICR_STRIDE * num_vcpus };
        fdt_property_u64_array(&w, "reg", gic_reg, 4);
    } else {
        fdt_property_string(&w, "compatible", "arm,cortex-a15-gic");
        const uint64_t gic_reg[] = { GUEST_GICD, VGIC_GICD_SIZE_V2, GUEST_GICC, GICC_SIZE };
        fdt_property_u64_array(&w, "reg", gic_reg, 4);
    }
    fdt_property_u32(&w, "#interrupt-cells", 3);
    fdt_property_empty(&w, "interrupt-controller");
    fdt_property_u32(&w, "#address-cells", 2);
    fdt_property_u32(&w, "#size-cells", 2);
    fdt_property_u32(&w, "phandle", GIC_PHANDLE);
    fdt_end_node(&w);

    fdt_begin_node(&w, "apb-pclk");
    fdt_property_string(&w, "compatible", "fixed-clock");
    fdt_property_u32(&w, "#clock-cells", 0);
    fdt_property_u32(&w, "clock-frequency", 24000000);
    fdt_property_string(&w, "clock-output-names", "clk24mhz");
    fdt_property_u32(&w, "phandle", CLOCK_PHANDLE);
    fdt_end_node(&w);

    fdt_begin_node(&w, uart_name);
    const char *const uart_compat[] = { "arm,pl011", "arm,primecell" };
    fdt_property_strings(&w, "compatible", uart_compat, 2);
    const uint64_t uart_reg[] = { uart->base, uart->size };
    fdt_property_u64_array(&w, "reg", uart_reg, 2);
    const uint32_t uart_irq[] = { 0, uart->irq_first - 32, 4 };
    fdt_property_u32_array(&w, "interrupts", uart_irq, 3);
    const uint32_t clocks[] = { CLOCK_PHANDLE, CLOCK_PHANDLE };
    fdt_property_u32_array(&w, "clocks", clocks, 2);
    const char *const clock_names[] = { "uartclk", "apb_pclk" };
    fdt_property_strings(&w, "clock-names", clock_names, 2);
    fdt_end_node(&w);

    for (unsigned k = 0; k < num_virtio; k++) {
        uint64_t addr = virtio[k].addr;
        char name[32];
        ic_snprintf(name, sizeof(name), "virtio_mmio@%llx", (unsigned long long)addr);
        fdt_begin_node(&w, name);
        fdt_property_string(&w, "compatible", "virtio,mmio");
        const uint64_t reg[] = { addr, VIRTIO_SLOT_SIZE };
        fdt_property_u64_array(&w, "reg", reg, 2);
        const uint32_t irq[] = { 0, virtio[k].irq - 32, 1 };
        fdt_property_u32_array(&w, "interrupts", irq, 3);
        fdt_property_empty(&w, "dma-coherent");
        fdt_end_node(&w);
    }

    fdt_end_node(&w);
    return fdt_finish(&w);
}

/* ------------------------------------------------------------ devices */

/* Put what the virtual GIC has for a vCPU into its free list registers. */
static void inject_pending(unsigned i)
{
    struct guest_vcpu *g = &vcpus[i];
    for (unsigned lr = 0; lr < num_lrs; lr++) {
        unsigned irq;
        uint8_t prio;
        if (!vgic_lr_is_free(&vgic, i, lr) || vgic_next_to_inject(&vgic, i, &irq, &prio) != 1)
            continue;
        if (ic_vcpu_inject_irq(g->vcpu, irq, prio, vgic_irq_group(&vgic, i, irq), lr) != IC_OK)
            continue;
        vgic_lr_taken(&vgic, i, lr, irq);
    }
}

/* Every vCPU that may have something new to take. */
static void inject_all(void)
{
    uint32_t kicks = vgic_take_kicks(&vgic);
    for (unsigned i = 0; i < num_vcpus; i++)
        if (kicks & (1u << i))
            inject_pending(i);
}

/* What the console asked for after an access or a signal. */
static void console_flags(unsigned flags)
{
    if (flags & VMM_CONSOLE_SIGNAL)
        ic_signal(console_signal);
    if (flags & VMM_CONSOLE_LEVEL)
        vgic_set_level(&vgic, uart->irq_first, 0, vmm_console_irq_level(&console));
}

/* An MMIO exit of vCPU i: false if no device is there; *v is the value for
 * a read. */
static bool emulate_mmio(unsigned i, const struct mmio_access *a, uint64_t *v)
{
    uint64_t gicd_size = gic_version == 3 ? VGIC_GICD_SIZE_V3 : VGIC_GICD_SIZE_V2;
    if (a->addr >= GUEST_GICD && a->addr < GUEST_GICD + gicd_size) {
        if (a->write)
            vgic_mmio_write(&vgic, VGIC_GICD, i, a->addr - GUEST_GICD, a->size, a->value);
        else
            vgic_mmio_read(&vgic, VGIC_GICD, i, a->addr - GUEST_GICD, a->size, v);
    } else if (console_on && a->addr >= uart->base && a->addr < uart->base + PL011_SIZE) {
        uint32_t value = 0;
        if (a->write)
            console_flags(vmm_console_write(&console, a->addr - uart->base, a->size, (uint32_t)a->value));
        else
            console_flags(vmm_console_read(&console, a->addr - uart->base, a->size, &value));
        *v = value;
    } else if (gic_version == 3 && a->addr >= GUEST_GICR && a->addr < GUEST_GICR + VGIC_GICR_STRIDE * num_vcpus) {
        /* every vCPU's redistributor frames, one after the other */
        if (a->write)
            vgic_mmio_write(&vgic, VGIC_GICR, i, a->addr - GUEST_GICR, a->size, a->value);
        else
            vgic_mmio_read(&vgic, VGIC_GICR, i, a->addr - GUEST_GICR, a->size, v);
    } else {
        return false;
    }
    return true;
}

/* The architectural answer to a guest access nobody emulates: a
 * synchronous exception taken to the guest's own EL1, as the hardware would
 * deliver it (an external abort, or an undefined instruction). */
static void inject_exception(ic_cptr_t tcb, ic_cptr_t vcpu, uint64_t esr_el1, uint64_t far)
{
    ic_user_context_t regs;
    check(ic_tcb_read_registers(tcb, false, IC_REG_X0, &regs), "read guest registers");
    uint64_t spsr = regs.regs[IC_REG_SPSR];
    bool from_el0 = (spsr & 0xf) == 0;
    ic_word_t vbar;
    check(ic_vcpu_read_register(vcpu, IC_VCPU_VBAR_EL1, &vbar), "read VBAR_EL1");
    /* the vector: lower EL AArch64 (0x400), current EL with SP_ELx (0x200)
     * or with SP_EL0 (0x000), synchronous */
    uint64_t offset = from_el0 ? 0x400 : (spsr & 1) ? 0x200 : 0x000;
    check(ic_vcpu_write_register(vcpu, IC_VCPU_ESR_EL1, esr_el1), "ESR_EL1");
    check(ic_vcpu_write_register(vcpu, IC_VCPU_FAR_EL1, far), "FAR_EL1");
    check(ic_vcpu_write_register(vcpu, IC_VCPU_ELR_EL1, regs.regs[IC_REG_PC]), "ELR_EL1");
    check(ic_vcpu_write_register(vcpu, IC_VCPU_SPSR_EL1, spsr), "SPSR_EL1");
    regs.regs[IC_REG_PC] = vbar + offset;
    regs.regs[IC_REG_SPSR] = 0x3c5; /* EL1h, D, A, I and F masked */
    check(ic_tcb_write_registers(tcb, false, IC_REG_X0, &regs), "write guest registers");
}

#define ESR_IL (1ull << 25)
#define EC_IABT_LOWER 0x20ull
#define EC_DABT_LOWER 0x24ull
#define DFSC_SYNC_EXTERNAL 0x10ull

/* Start vCPU i at 'entry' with x0 = arg, as PSCI CPU_ON or the boot asks. */
/* Start (or restart, after CPU_OFF) vCPU i at entry, as PSCI CPU_ON does:
 * its MMU and caches off, its virtual timer off. */
static void start_vcpu(unsigned i, uint64_t entry, uint64_t arg)
{
    check(ic_vcpu_write_register(vcpus[i].vcpu, IC_VCPU_SCTLR_EL1, SCTLR_EL1_RESET), "reset a vCPU");
    check(ic_vcpu_write_register(vcpus[i].vcpu, IC_VCPU_CNTV_CTL_EL0, 0), "reset a vCPU's timer");
    ic_user_context_t regs = { 0 };
    regs.regs[IC_REG_PC] = entry;
    regs.regs[IC_REG_SPSR] = LINUX_BOOT_PSTATE;
    regs.regs[IC_REG_X0] = arg;
    check(ic_tcb_write_registers(vcpus[i].tcb, true, IC_REG_COUNT, &regs), "start a vCPU");
}

/* ------------------------------------------------------------ (re)booting */

/* The guest starts with its MMU and caches off: what the VMM wrote into its
 * RAM through the cache must reach memory first. */
static void clean_guest_ram(uint64_t start, uint64_t len)
{
    const uint64_t step = 64 * 1024; /* the most the kernel cleans a call */
    for (uint64_t a = start & ~(step - 1); a < start + len; a += step) {
        uint64_t off = a - guest_ram;
        check(ic_frame_clean(guest_frames + (off >> IC_LARGE_PAGE_BITS), off & ((1ull << IC_LARGE_PAGE_BITS) - 1), step),
              "clean guest RAM");
    }
}

/* The guest's RAM as power on leaves it: the kernel, its initramfs and the
 * device tree in place, the rest zero (at the first boot it is zero
 * already: new frames). The virtual GIC and PSCI as new. */
static void load_guest(void)
{
    /* the DMA request sits where the device tree goes next */
    fw_cfg.desc = (volatile void *)(uintptr_t)layout.dtb;
    fw_cfg.desc_paddr = layout.dtb;
    int err;
    if ((err = fw_cfg_read(&fw_cfg, &kernel_file, 0, layout.kernel, kernel_file.size)))
        die("reading the kernel from the firmware configuration device", err);
    if ((err = fw_cfg_read(&fw_cfg, &initramfs_file, 0, layout.initrd, initramfs_file.size)))
        die("reading the initramfs from the firmware configuration device", err);
    long dtb_size = build_dtb((void *)layout.dtb, LINUX_DTB_MAX, guest_ram, layout.initrd, layout.initrd_end);
    if (dtb_size < 0)
        die("writing the device tree", dtb_size);
    clean_guest_ram(layout.kernel, kernel_file.size);
    clean_guest_ram(layout.initrd, initramfs_file.size);
    clean_guest_ram(layout.dtb, (uint64_t)dtb_size);
    ic_printf("host-vmm: kernel %llu KiB at %llx, initramfs %llu KiB, device tree %ld bytes\n",
              (unsigned long long)kernel_file.size / 1024, (unsigned long long)layout.kernel,
              (unsigned long long)initramfs_file.size / 1024, dtb_size);
    /* as many interrupts as the passed-through devices need, and no more:
     * Linux sets up every one at boot, at a few exits each */
    unsigned nr_irqs = 64;
    for (unsigned d = 0; d < SYSTEM_VM_HOST_NUM_DEVICES; d++)
        while (nr_irqs <= system_devices_vm_host[d].irq_last)
            nr_irqs += 32;
    if ((err = vgic_init(&vgic, gic_version, num_vcpus, nr_irqs)))
        die("setting up the virtual GIC", err);
    psci_init(&psci, num_vcpus);
}

/* Finds the firmware configuration device the description grants, and on
 * it the host VM's kernel and initramfs; reads the kernel's header into
 * the first bytes of guest RAM (cleared again after) to plan where
 * everything goes. */
static void find_images(uint64_t ram)
{
    const struct system_device *dev = NULL;
    for (unsigned d = 0; d < SYSTEM_COMPONENT_HOST_VMM_NUM_DEVICES; d++)
        if (!strcmp(system_devices_component_host_vmm[d].name, "fw-cfg"))
            dev = &system_devices_component_host_vmm[d];
    if (!dev)
        die("finding the firmware configuration device (no fw-cfg in the system description)", IC_INVALID_ARGUMENT);
    ic_word_t base;
    ic_cptr_t frame = make(find_device_untyped(dev->base, &base), IC_OBJ_FRAME_4K, 0, 1);
    map_4k(ROOT_VSPACE, frame, dev->base, IC_ATTR_DEVICE);
    fw_cfg.regs = (volatile uint8_t *)(uintptr_t)dev->base;
    fw_cfg.desc = (volatile void *)(uintptr_t)ram;
    fw_cfg.desc_paddr = ram;
    if (fw_cfg_probe(&fw_cfg))
        die("finding QEMU's firmware configuration device with DMA", IC_FAILED_LOOKUP);
    if (fw_cfg_find(&fw_cfg, FW_CFG_KERNEL, &kernel_file)) {
        ic_printf("host-vmm: no " FW_CFG_KERNEL " in QEMU's firmware configuration: give the host VM's kernel "
                  "with -fw_cfg name=" FW_CFG_KERNEL ",file=PATH\n");
        die("finding the host VM's kernel", IC_FAILED_LOOKUP);
    }
    if (fw_cfg_find(&fw_cfg, FW_CFG_INITRAMFS, &initramfs_file)) {
        ic_printf("host-vmm: no " FW_CFG_INITRAMFS " in QEMU's firmware configuration: give the host VM's "
                  "initramfs with -fw_cfg name=" FW_CFG_INITRAMFS ",file=PATH\n");
        die("finding the host VM's initramfs", IC_FAILED_LOOKUP);
    }
    uint64_t header = ram + 64;
    uint32_t len = kernel_file.size < LINUX_HEADER_SIZE ? kernel_file.size : LINUX_HEADER_SIZE;
    int err = fw_cfg_read(&fw_cfg, &kernel_file, 0, header, len);
    if (err)
        die("reading the kernel's header", err);
    struct linux_image img;
    int lerr = linux_parse_image((const void *)(uintptr_t)header, kernel_file.size, &img);
    memset((void *)(uintptr_t)ram, 0, 64 + LINUX_HEADER_SIZE);
    if (lerr)
        die("reading the kernel's header (is " FW_CFG_KERNEL " an arm64 Linux Image?)", lerr);
    if ((lerr = linux_plan(&img, ram, GUEST_RAM_SIZE, initramfs_file.size, &layout)))
        die("placing the kernel and initramfs in guest RAM", lerr);
}

/* vCPU 0 at the kernel's entry, per the Linux boot protocol. */
static void boot_vcpu0(void)
{
    struct linux_regs boot;
    linux_boot_regs(&layout, &boot);
    start_vcpu(0, boot.pc, boot.x[0]);
}

/* PSCI SYSTEM_RESET: the host VM starts again in place, with nothing of
 * the old guest left in its RAM, its vCPUs, the virtual GIC or the devices
 * passed through to it. */
static void reboot(void)
{
    ic_printf("host-vmm: the guest asked for a reset: restarting the host VM\n");
    for (unsigned i = 0; i < num_vcpus; i++) {
        check(ic_tcb_suspend(vcpus[i].tcb), "stop a vCPU");
        /* its list registers empty, nothing active in its CPU interface */
        check(ic_vcpu_reset(vcpus[i].vcpu), "reset a vCPU");
    }
    /* a device must not write into the new guest's memory what the old
     * guest asked for: reset each one before the memory is cleared (the
     * new guest's driver resets it again when it probes) */
    for (unsigned k = 0; k < num_virtio; k++)
        ((volatile uint32_t *)(uintptr_t)virtio[k].addr)[VIRTIO_STATUS / 4] = 0;
    /* lines whose interrupt the old guest never ended listen again */
    for (unsigned k = 0; k < num_forwarded; k++)
        check(ic_irq_handler_ack(forwarded[k].handler), "unmask a forwarded interrupt");
    if (console_on) /* as at power on; what was typed and not yet read stays */
        vmm_console_reset(&console);
    memset((void *)guest_ram, 0, GUEST_RAM_SIZE);
    clean_guest_ram(guest_ram, GUEST_RAM_SIZE);
    load_guest();
    boot_vcpu0();
}

static void run(ic_cptr_t ep)
{
    ic_word_t badge;
    ic_msginfo_t info = ic_recv(ep, &badge);
    for (;;) {
        ic_word_t label = ic_msginfo_label(info), reply = IC_VCPU_REPLY_EMULATED, len = 0;
        if (info == 0 && badge) {
            /* a forwarded interrupt (the bound notification), not an exit:
             * nobody waits for a reply */
            for (unsigned k = 0; k < num_forwarded; k++)
                if (badge & (1ull << (FORWARDED_BIT0 + k)))
                    vgic_set_level(&vgic, forwarded[k].irq, 0, true);
            if (console_on && (badge & console_bit))
                console_flags(vmm_console_service(&console));
            inject_all();
            info = ic_recv(ep, &badge);
            continue;
        }
        unsigned i = (unsigned)__builtin_ctzll(badge >> 8);
        if ((badge >> 8) == 0 || i >= num_vcpus)
            die("an exit from an unknown vCPU", (long)badge);
        ic_cptr_t tcb = vcpus[i].tcb, vcpu = vcpus[i].vcpu;
        switch (label) {
        case IC_FAULT_VCPU_DATA_ABORT: {
            uint64_t msg[IC_VCPU_ABORT_LENGTH];
            for (unsigned i = 0; i < IC_VCPU_ABORT_LENGTH; i++)
                msg[i] = ic_get_mr(i);
            struct mmio_access a;
            bool emulated = false;
            uint64_t v = 0;
            if (mmio_decode_exit(msg, IC_VCPU_ABORT_LENGTH, &a) == 0)
                emulated = emulate_mmio(i, &a, &v);
            if (!emulated) {
                ic_printf("host-vmm: guest access to %llx (pc %llx) not emulated: abort injected\n",
                          (unsigned long long)msg[IC_VCPU_ABORT_ADDR], (unsigned long long)msg[IC_VCPU_ABORT_PC]);
                ic_user_context_t regs;
                check(ic_tcb_read_registers(tcb, false, IC_REG_X0, &regs), "read guest registers");
                /* an instruction fetch gets an instruction abort, a load
                 * or store a data abort (EC + 1: taken from the same EL) */
                bool fetch = (msg[IC_VCPU_ABORT_ESR] >> 26) == EC_IABT_LOWER;
                uint64_t ec = (fetch ? EC_IABT_LOWER : EC_DABT_LOWER) + ((regs.regs[IC_REG_SPSR] & 0xf) != 0);
                uint64_t wnr = fetch ? 0 : msg[IC_VCPU_ABORT_ESR] & (1u << 6);
                inject_exception(tcb, vcpu, (ec << 26) | ESR_IL | wnr | DFSC_SYNC_EXTERNAL,
                                 msg[IC_VCPU_ABORT_VADDR]);
                reply = IC_VCPU_REPLY_RETRY;
                break;
            }
            ic_set_mr(0, v);
            len = 1;
            break;
        }
        case IC_FAULT_VCPU_HVC:
        case IC_FAULT_VCPU_SMC: {
            uint64_t x[4] = { ic_get_mr(0), ic_get_mr(1), ic_get_mr(2), ic_get_mr(3) };
            struct psci_result r;
            psci_handle(&psci, i, x, &r);
            if (r.action == PSCI_ACTION_SYSTEM_OFF) {
                ic_printf("host-vmm: the guest powered off\n");
                ic_debug_halt();
            }
            if (r.action == PSCI_ACTION_SYSTEM_RESET) {
                reboot(); /* every vCPU stopped, the caller too: no reply */
                info = ic_recv(ep, &badge);
                continue;
            }
            if (r.action == PSCI_ACTION_CPU_ON) {
                start_vcpu(r.target, r.entry, r.context_id);
                psci_cpu_started(&psci, r.target);
            }
            if (r.action == PSCI_ACTION_CPU_OFF) {
                check(ic_tcb_suspend(tcb), "stop a vCPU");
                info = ic_recv(ep, &badge);
                continue;
            }
            for (unsigned i = 0; i < 4; i++)
                ic_set_mr(i, r.x[i]);
            len = 4;
            break;
        }
        case IC_FAULT_VCPU_SYSREG: {
            struct mmio_sysreg s;
            uint64_t esr = ic_get_mr(IC_VCPU_SYSREG_ESR);
            bool ok = mmio_decode_sysreg(esr, &s) == 0;
            if (ok && s.write && s.id == MMIO_SYSREG_ICC_SGI1R_EL1) {
                vgic_sgi1r_write(&vgic, i, ic_get_mr(IC_VCPU_SYSREG_VALUE));
            } else if (!ok || ((esr >> 20) & 3) != 2) {
                /* not a debug register (op0 = 2, which read as zero and
                 * ignore writes: a machine without self-hosted debug) */
                ic_printf("host-vmm: guest system register access %llx (pc %llx): undefined instruction "
                          "injected\n", (unsigned long long)esr, (unsigned long long)ic_get_mr(IC_VCPU_SYSREG_PC));
                inject_exception(tcb, vcpu, ESR_IL, 0); /* EC 0: unknown reason */
                reply = IC_VCPU_REPLY_RETRY;
                break;
            }
            ic_set_mr(0, 0);
            len = 1;
            break;
        }
        case IC_FAULT_VCPU_VTIMER:
            vgic_set_level(&vgic, 27, i, true);
            break;
        case IC_FAULT_VCPU_VGIC_MAINTENANCE: {
            ic_word_t lrs = ic_get_mr(IC_VCPU_MAINTENANCE_LRS);
            for (unsigned lr = 0; lr < num_lrs; lr++) {
                unsigned irq;
                if (!(lrs & (1u << lr)) || vgic_lr_ended(&vgic, i, lr, &irq) != VGIC_OK)
                    continue;
                if (irq == 27) { /* the guest has dealt with its timer: unmask it */
                    vgic_set_level(&vgic, 27, i, false);
                    ic_vcpu_ack_vtimer(vcpu);
                } else {
                    for (unsigned k = 0; k < num_forwarded; k++) {
                        if (forwarded[k].irq == irq) { /* a passed-through line: listen again */
                            vgic_set_level(&vgic, irq, 0, false);
                            ic_irq_handler_ack(forwarded[k].handler);
                        }
                    }
                }
            }
            break;
        }
        case IC_FAULT_VCPU_UNKNOWN:
            /* an instruction that trapped to EL2 for no reason the VMM
             * emulates: to the guest, an undefined instruction */
            ic_printf("host-vmm: guest exception %llx at %llx: undefined instruction injected\n",
                      (unsigned long long)ic_get_mr(IC_VCPU_EXIT_ESR), (unsigned long long)ic_get_mr(IC_VCPU_EXIT_PC));
            inject_exception(tcb, vcpu, ESR_IL, 0);
            reply = IC_VCPU_REPLY_RETRY;
            break;
        default:
            ic_printf("host-vmm: unexpected message %llu from vCPU %u; stopping it\n", (unsigned long long)label, i);
            check(ic_tcb_suspend(tcb), "stop a vCPU");
            info = ic_recv(ep, &badge);
            continue;
        }
        inject_pending(i);
        inject_all();
        info = ic_reply_recv(ep, ic_msginfo_new(reply, 0, 0, len), &badge);
    }
}

int main(ic_bootinfo_t *bootinfo)
{
    bi = bootinfo;
    ic_env_init(bootinfo, "host-vmm"); /* for its view of the system description */
    next_slot = bi->empty.start;
    /* one vCPU a CPU at most: each vCPU thread runs on its own CPU */
    num_vcpus = bi->num_cpus < NUM_VCPUS ? (unsigned)bi->num_cpus : NUM_VCPUS;
    if (num_vcpus < NUM_VCPUS)
        ic_printf("host-vmm: the host VM gets %u vCPU%s, not the %u of the system description: the machine has %u CPU%s\n",
                  num_vcpus, num_vcpus == 1 ? "" : "s", NUM_VCPUS, (unsigned)bi->num_cpus,
                  bi->num_cpus == 1 ? "" : "s");
    gic_version = (unsigned)bi->gic_version;
    if (gic_version != 2 && gic_version != 3)
        die("finding a GIC this VMM emulates (v2 or v3)", IC_INVALID_ARGUMENT);
    /* the last list register is the kernel's, for the virtual timer */
    unsigned lrs = bi->vgic_list_registers < VGIC_MAX_LRS ? (unsigned)bi->vgic_list_registers : VGIC_MAX_LRS;
    if (lrs < 2)
        die("finding list registers for the timer and the rest", IC_NOT_ENOUGH_MEMORY);
    num_lrs = lrs - 1;
    ic_printf("host-vmm: building the host VM\n");
    /* guest RAM, at its own addresses; the VMM's objects come from its
     * own memory */
    ic_word_t region, pool_base;
    unsigned ram_bits, pool_bits;
    pool = granted_ram(0, &pool_base, &pool_bits);
    ic_cptr_t ram_ut = granted_ram(1, &region, &ram_bits);
    if (ram_bits != GUEST_RAM_BITS)
        die("finding RAM of the size the description gives", IC_INVALID_ARGUMENT);
    const unsigned nframes = (unsigned)(GUEST_RAM_SIZE >> IC_LARGE_PAGE_BITS);
    ic_cptr_t frames = make(ram_ut, IC_OBJ_FRAME_2M, 0, nframes);
    guest_frames = frames;
    ic_cptr_t vspace = make(pool, IC_OBJ_VSPACE, 0, 1);
    check(ic_vmid_pool_assign(IC_SLOT_VMIDS, vspace), "give the guest's VSpace a VMID");
    check(ic_page_table_map(make(pool, IC_OBJ_PAGE_TABLE, 0, 1), region, vspace), "guest page table");
    check(ic_page_table_map(make(pool, IC_OBJ_PAGE_TABLE, 0, 1), region, ROOT_VSPACE), "vmm page table");
    for (unsigned i = 0; i < nframes; i++) {
        ic_word_t ipa = region + ((ic_word_t)i << IC_LARGE_PAGE_BITS);
        ic_cptr_t copy = next_slot++;
        /* in the guest, as 4 KiB pages of a page table: QEMU treats a
         * translation through a 2 MiB stage-2 block as a 2 MiB page, and
         * then every TLB invalidation by address the guest makes nearby
         * empties its whole TLB (hardware has no such cost) */
        check(ic_page_table_map(make(pool, IC_OBJ_PAGE_TABLE, 0, 1), ipa, vspace), "guest page table");
        check(ic_frame_map(frames + i, ipa, IC_RIGHTS_ALL, IC_ATTR_CACHED, vspace), "map guest RAM");
        check(ic_cnode_copy(ROOT_CNODE, copy, 64, frames + i, 64, IC_RIGHTS_ALL, ROOT_CNODE), "copy");
        check(ic_frame_map(copy, ipa, IC_RIGHT_READ | IC_RIGHT_WRITE, IC_ATTR_CACHED, ROOT_VSPACE), "map for the vmm");
    }

    pass_devices(vspace);

    /* where the kernel, its initramfs and the device tree go */
    find_images(region);
    guest_ram = region;
    load_guest();

    /* the vCPUs: one thread each, below the VMM's priority, vCPU i on
     * CPU i; their exits come to one endpoint, told apart by badge */
    ic_cptr_t ep = make(pool, IC_OBJ_ENDPOINT, 0, 1);
    for (unsigned i = 0; i < num_vcpus; i++) {
        struct guest_vcpu *g = &vcpus[i];
        ic_cptr_t fault_ep = next_slot++;
        g->tcb = make(pool, IC_OBJ_TCB, 0, 1);
        g->vcpu = make(pool, IC_OBJ_VCPU, 0, 1);
        check(ic_cnode_mint(ROOT_CNODE, fault_ep, 64, ep, 64, IC_RIGHTS_ALL, BADGE_VCPU(i), ROOT_CNODE), "mint");
        check(ic_tcb_configure(g->tcb, 64 - bi->cnode_bits, 0, fault_ep, ROOT_CNODE, vspace, 0), "configure");
        check(ic_tcb_set_priority(g->tcb, SYSTEM_VM_HOST_VCPU_PRIORITY, ROOT_TCB), "priority");
        check(ic_tcb_set_affinity(g->tcb, i), "affinity");
        check(ic_vcpu_set_tcb(g->vcpu, g->tcb), "bind");
        check(ic_vcpu_write_register(g->vcpu, IC_VCPU_VMPIDR_EL2, i), "mpidr");
        /* the kernel injects the timer, without exits */
        check(ic_vcpu_set_timer_lr(g->vcpu, num_lrs, TIMER_PRIORITY, gic_version == 3 ? 1 : 0),
              "timer list register");
    }
    ic_printf("host-vmm: starting the host VM with %u vCPUs\n", num_vcpus);
    boot_vcpu0();
    run(ep);
    return 0;
}
