/* The host VMM: builds the host VM from a Linux kernel and initramfs that
 * QEMU's firmware configuration device holds (-fw_cfg, docs/host-vm.md) and
 * runs it on the VMM core (vmm/vm.h), which answers the guest's exits.
 * What is left here is the host's policy: which devices the host VM gets
 * (QEMU's virtio-mmio devices passed through: their registers mapped into
 * the guest, their interrupts forwarded; the console, a PL011 emulated on a
 * pair of rings to the serial server; on GICv2 the hardware's virtual CPU
 * interface where the guest expects its GICC; the realm device, forwarded
 * to the resource server), where its images come from, and what a reset
 * and a power off mean.
 *
 * The loader starts it as a component (docs/loader.md): its boot information
 * lists what it holds, which is its own memory, the host VM's RAM, the
 * devices of the host VM and their interrupts, and the firmware
 * configuration device, no more. What it builds comes from the system
 * description (system/virt.system, compiled into system.h): the vCPUs, the
 * RAM (mapped at its own physical addresses, so that passed-through devices
 * can use guest addresses for DMA), the devices and the command line. */
#include <icecap/env.h>
#include <icecap/icecap.h>
#include <icecap/protocols/resource_stubs.h> /* generated from abi/protocols/resource.tbl */
#include <vmm/console.h>
#include <vmm/fw_cfg.h>
#include <vmm/linux.h>
#include <vmm/virt_dt.h>
#include <vmm/vm.h>
#include <system.h> /* compiled from system/virt.system by tools/syscomp */
#include "realm_device.h"

#define GUEST_RAM_BITS SYSTEM_VM_HOST_RAM_BITS
#define GUEST_RAM_SIZE (1ull << GUEST_RAM_BITS)
#define GUEST_GICD 0x08000000ull
#define GUEST_GICR 0x080a0000ull
#define GUEST_GICC 0x08010000ull     /* GICv2: the guest's CPU interface... */
#define GICV_PADDR 0x08040000ull     /* ...is the hardware's virtual one (the loader grants it) */
#define GICC_SIZE 0x2000u            /* GICv2 CPU interface: two pages (GICC_DIR in the second) */
#define NUM_VCPUS SYSTEM_VM_HOST_VCPUS

/* The host VM's images: the files a user gives QEMU with
 * -fw_cfg name=opt/icecap/kernel,file=PATH (and the same for initramfs) */
#define FW_CFG_KERNEL "opt/icecap/kernel"
#define FW_CFG_INITRAMFS "opt/icecap/initramfs"

static struct vmm_vm vm;
static uint64_t guest_ram;          /* its guest-physical (and physical) address */
static ic_cptr_t guest_frames;      /* its 2 MiB frames, in address order */
static struct linux_layout layout;  /* where the kernel, initramfs and device tree go */
static struct fw_cfg fw_cfg;        /* where the kernel and initramfs come from */
static struct fw_cfg_file kernel_file, initramfs_file;
/* What the device tree describes: the console (passed through or
 * emulated) and the virtio-mmio transports with a device behind them. */
static struct vmm_virt_dt dt;
static const struct system_device *uart;
static const struct system_device *virtio_console; /* the emulated virtio console, if any */
/* The emulated console: a PL011 whose line is a ring pair shared with the
 * serial server (vmm/console.h); its signals set console_bit. */
static struct vmm_console console;
static bool console_on;
static ic_cptr_t console_signal;
static uint64_t console_bit;
/* The realm device (realm_device.h): its slot window (a 2 MiB frame of
 * the VMM's, at realm_window in the guest and in the VMM; 0: no device),
 * and the endpoint to the resource server */
static struct realm_dev realm;
static uint64_t realm_window;
static ic_cptr_t resource_server;

/* The i-th RAM untyped region the loader granted: 0 is the VMM's own
 * memory, 1 the host VM's RAM (docs/loader.md). */
static ic_cptr_t granted_ram(unsigned n, ic_word_t *paddr, unsigned *bits)
{
    const ic_bootinfo_t *bi = ic_env.bi;
    for (ic_word_t i = 0; i < bi->untyped.end - bi->untyped.start; i++) {
        const ic_untyped_desc_t *d = &bi->untyped_list[i];
        if (!d->is_device && n-- == 0) {
            *paddr = d->paddr;
            *bits = d->size_bits;
            return bi->untyped.start + i;
        }
    }
    ic_die("finding the memory the loader granted", IC_NOT_ENOUGH_MEMORY);
}

/* A level-3 table under the 2 MiB at 'ipa' in the guest's VSpace (and the
 * level-2 one above it, if missing), so that a 2 MiB frame mapped there
 * becomes 512 page entries (docs/abi.md): QEMU treats a translation
 * through a 2 MiB stage-2 block as a 2 MiB page, and then every TLB
 * invalidation by address the guest makes nearby empties its whole TLB
 * (hardware has no such cost). */
static void guest_page_table(ic_cptr_t vspace, uint64_t ipa)
{
    static ic_cptr_t spare; /* made, and not needed yet */
    for (;;) {
        if (!spare)
            spare = ic_make(IC_OBJ_PAGE_TABLE, 0);
        /* the table goes to the first missing level: 2, then 3 */
        ic_err_t err = ic_page_table_map(spare, ipa, vspace);
        if (err == IC_DELETE_FIRST)
            return;
        ic_check(err, "a guest page table");
        spare = 0;
    }
}

/* Map 'pages' device pages at 'paddr' into the guest at 'ipa' (and, if
 * vmm_too, into the VMM at 'paddr' to look at them); the untyped region
 * must start there. */
static void pass_through(ic_cptr_t vspace, uint64_t paddr, uint64_t ipa, unsigned pages, bool vmm_too)
{
    ic_cptr_t frames = ic_make_from(ic_device_untyped(paddr), IC_OBJ_FRAME_4K, 0, pages);
    for (unsigned p = 0; p < pages; p++) {
        ic_map_frame(vspace, frames + p, ipa + p * 4096ull, IC_RIGHT_READ | IC_RIGHT_WRITE, IC_ATTR_DEVICE);
        if (vmm_too) {
            ic_cptr_t copy = ic_slot();
            ic_check(ic_cnode_copy(IC_SLOT_ROOT_CNODE, copy, 64, frames + p, 64, IC_RIGHTS_ALL, IC_SLOT_ROOT_CNODE),
                     "copying a device frame");
            ic_map_frame(IC_SLOT_ROOT_VSPACE, copy, paddr + p * 4096ull, IC_RIGHT_READ | IC_RIGHT_WRITE,
                         IC_ATTR_DEVICE);
        }
    }
}

static void forward(unsigned irq)
{
    int err = vmm_vm_forward_irq(&vm, irq);
    if (err)
        ic_die("forwarding a device's interrupt", err);
}

/* ------------------------------------------------------------ the console */

/* What the console asked for after an access or a signal. */
static void console_flags(unsigned flags)
{
    if (flags & VMM_CONSOLE_SIGNAL)
        ic_signal(console_signal);
    if (flags & VMM_CONSOLE_LEVEL)
        vmm_vm_set_irq_level(&vm, uart->irq_first, 0, vmm_console_irq_level(&console));
    if (flags & VMM_CONSOLE_VIRTIO_LEVEL)
        vmm_vm_set_irq_level(&vm, virtio_console->irq_first, 0, vmm_console_virtio_irq_level(&console));
}

/* The console's two devices: the PL011 (ctx NULL) and the virtio console. */
static bool console_access(struct vmm_vm *v, unsigned vcpu, uint64_t offset, const struct mmio_access *a,
                           uint64_t *value, void *ctx)
{
    (void)v, (void)vcpu;
    bool virtio = ctx != NULL;
    uint32_t read = 0;
    if (a->write)
        console_flags(virtio ? vmm_console_virtio_write(&console, offset, a->size, (uint32_t)a->value)
                             : vmm_console_write(&console, offset, a->size, (uint32_t)a->value));
    else
        console_flags(virtio ? vmm_console_virtio_read(&console, offset, a->size, &read)
                             : vmm_console_read(&console, offset, a->size, &read));
    *value = read;
    return true;
}

/* The serial server's signals: its ring has moved. */
static void on_signal(struct vmm_vm *v, ic_word_t badge)
{
    (void)v;
    if (console_on && (badge & console_bit))
        console_flags(vmm_console_service(&console));
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
        ic_die("finding the console's rings (shared-memory console-host, mapped rw)", IC_INVALID_ARGUMENT);
    if (dev->size != PL011_SIZE || !dev->irq_first || dev->irq_last != dev->irq_first)
        ic_die("emulating the console (4K, one interrupt)", IC_INVALID_ARGUMENT);
    if (vmm_console_init(&console, (void *)(uintptr_t)map->vaddr, map->size))
        ic_die("attaching the console's rings", IC_INVALID_ARGUMENT);
    unsigned peer;
    if (!ic_sharer(map->region_index, &peer))
        ic_die("finding the other end of the console (map console-host in the serial server)", IC_INVALID_ARGUMENT);
    console_signal = ic_channel_to(peer);
    for (unsigned k = 0; k < self->num_channels; k++)
        if (self->channels[k].peer_index == peer)
            console_bit = self->channels[k].badge;
    if (vmm_vm_add_mmio(&vm, dev->base, PL011_SIZE, console_access, NULL))
        ic_die("placing the console (it overlaps another device)", IC_INVALID_ARGUMENT);
    console_on = true;
}

/* The virtio console on the same line as the PL011: the guest's shell
 * writes through it a buffer at a time (vmm/console.h). */
static void setup_virtio_console(const struct system_device *dev)
{
    if (!console_on)
        ic_die("emulating the virtio console (it needs the console device too)", IC_INVALID_ARGUMENT);
    if (dev->size < VIRTIO_MMIO_SIZE || !dev->irq_first || dev->irq_last != dev->irq_first ||
        dt.num_virtio == VMM_VIRT_DT_MAX_VIRTIO)
        ic_die("emulating the virtio console (at least 0x200 bytes, one interrupt)", IC_INVALID_ARGUMENT);
    struct virtio_mem mem = { (uint8_t *)(uintptr_t)guest_ram, guest_ram, GUEST_RAM_SIZE };
    if (!vmm_console_add_virtio(&console, &mem))
        ic_die("emulating the virtio console", IC_INVALID_ARGUMENT);
    if (vmm_vm_add_mmio(&vm, dev->base, dev->size, console_access, &console))
        ic_die("placing the virtio console (it overlaps another device)", IC_INVALID_ARGUMENT);
    virtio_console = dev;
    dt.virtio[dt.num_virtio].base = dev->base;
    dt.virtio[dt.num_virtio].irq = dev->irq_first;
    dt.virtio[dt.num_virtio].level = true;
    dt.num_virtio++;
}

/* ------------------------------------------------------------ the realm device */

/* Has the resource server answer the request in area 'area' of
 * realm-requests (abi/protocols/resource.tbl). */
static bool call_resource_server(void *ctx, unsigned area, uint64_t length, uint64_t *answer_length)
{
    (void)ctx;
    ic_word_t answer = 0;
    if (ic_resource_request(resource_server, area, length, &answer) != IC_OK)
        return false;
    *answer_length = answer;
    return true;
}

/* The register page. Registered with vmm_vm_add_mmio_unlocked: a CALL
 * waits for the resource server (which builds a realm, say), and the other
 * vCPU's exits go on meanwhile. It touches only what realm_dev allows
 * (vCPU k: area k, and its own thread's IPC buffer for the Call). */
static bool realm_access(struct vmm_vm *v, unsigned vcpu, uint64_t offset, const struct mmio_access *a,
                         uint64_t *value, void *ctx)
{
    (void)v, (void)ctx;
    return realm_dev_access(&realm, vcpu, offset, a->size, a->write, a->value, value);
}

/* The realm device of the description (docs/resource-server.md): the
 * register page emulated, the slot window at base + 2M mapped, its node in
 * the device tree; requests go to whoever serves the endpoint to the
 * resource server, in realm-requests. Without either, every request is
 * answered UNAVAILABLE. */
static void setup_realm_device(const struct system_device *dev, ic_cptr_t vspace)
{
    const uint64_t large_page = 1ull << IC_LARGE_PAGE_BITS;
    if (dev->size != REALM_DEV_SIZE || dev->irq_first || dev->base % large_page ||
        dt.num_devices == VMM_VIRT_DT_MAX_DEVICES)
        ic_die("emulating the realm device (4M at a 2M boundary, no interrupt)", IC_INVALID_ARGUMENT);
    /* The slots are ordinary memory, not emulated registers: the host
     * writes a request of up to 64 KiB, and reads the answer, with no exit
     * per access; only the CALL register traps. A 2 MiB frame of the
     * VMM's own memory (new, so zero), mapped into the guest (4 KiB pages,
     * read/write, cached, never executable) and into the VMM at the same
     * address, to copy requests and answers. */
    realm_window = dev->base + REALM_DEV_WINDOW_OFFSET;
    ic_cptr_t frame = ic_make(IC_OBJ_FRAME_2M, 0), copy = ic_slot();
    guest_page_table(vspace, realm_window);
    ic_map_frame(vspace, frame, realm_window, IC_RIGHT_READ | IC_RIGHT_WRITE, IC_ATTR_CACHED);
    ic_check(ic_cnode_copy(IC_SLOT_ROOT_CNODE, copy, 64, frame, 64, IC_RIGHTS_ALL, IC_SLOT_ROOT_CNODE),
             "copying the realm slots' frame");
    ic_map_frame(IC_SLOT_ROOT_VSPACE, copy, realm_window, IC_RIGHT_READ | IC_RIGHT_WRITE, IC_ATTR_CACHED);
    realm.window = (uint8_t *)(uintptr_t)realm_window;

    size_t size = 0;
    unsigned server;
    void *areas = ic_region_named("realm-requests", &size);
    if (areas && ic_component_named("resource-server", &server))
        resource_server = ic_endpoint_to(server);
    if (resource_server) {
        realm.areas = areas;
        realm.num_areas = (unsigned)(size / REALM_DEV_AREA_SIZE);
        realm.forward = call_resource_server;
    } else {
        ic_printf("host-vmm: no resource server (realm-requests and an endpoint to resource-server): "
                  "every realm request is answered UNAVAILABLE\n");
    }
    if (vmm_vm_add_mmio_unlocked(&vm, dev->base, REALM_DEV_REGS_SIZE, realm_access, NULL))
        ic_die("placing the realm device (it overlaps another device)", IC_INVALID_ARGUMENT);

    unsigned n = dt.num_devices++;
    dt.devices[n].name = "realms";
    dt.devices[n].compatible = "icecap,realm-host-1";
    dt.devices[n].reg[0].base = dev->base;
    dt.devices[n].reg[0].size = REALM_DEV_REGS_SIZE;
    dt.devices[n].reg[1].base = realm_window;
    dt.devices[n].reg[1].size = REALM_DEV_WINDOW_SIZE;
    dt.devices[n].num_regs = 2;
}

/* ------------------------------------------------------------ devices */

/* The devices the system description gives the guest: the UART, the
 * realm device, and every virtio-mmio transport of the listed ranges with
 * a device behind it (QEMU's -device virtio-net-device, say), with their
 * interrupts. Devices use guest addresses for DMA, which works because
 * guest RAM sits at its own physical addresses. */
static void pass_devices(ic_cptr_t vspace)
{
    const struct system_device *virtio_console_dev = NULL;
    for (unsigned d = 0; d < SYSTEM_VM_HOST_NUM_DEVICES; d++) {
        const struct system_device *dev = &system_devices_vm_host[d];
        if (!strcmp(dev->name, "virtio-console")) {
            virtio_console_dev = dev; /* after the console, whose line it shares */
            continue;
        }
        if (!strcmp(dev->name, "realm-host")) {
            setup_realm_device(dev, vspace);
            continue;
        }
        if (!strcmp(dev->name, "console") || !strcmp(dev->name, "uart")) {
            if (!strcmp(dev->name, "console")) {
                setup_console(dev);
            } else {
                pass_through(vspace, dev->base, dev->base, (unsigned)(dev->size / 4096), false);
                forward(dev->irq_first);
            }
            uart = dev;
            dt.uart = dev->base;
            dt.uart_size = dev->size;
            dt.uart_irq = dev->irq_first;
            continue;
        }
        /* virtio-mmio: one transport every 0x200 bytes, interrupts in order */
        pass_through(vspace, dev->base, dev->base, (unsigned)(dev->size / 4096), true);
        for (unsigned n = 0; n < dev->size / VMM_VIRTIO_MMIO_SIZE && n <= dev->irq_last - dev->irq_first; n++) {
            uint64_t addr = dev->base + n * VMM_VIRTIO_MMIO_SIZE;
            volatile uint32_t *regs = (volatile uint32_t *)(uintptr_t)addr;
            if (regs[VIRTIO_MMIO_MAGIC / 4] != VIRTIO_MMIO_MAGIC_VALUE || regs[VIRTIO_MMIO_DEVICE_ID / 4] == 0 || dt.num_virtio == VMM_VIRT_DT_MAX_VIRTIO)
                continue;
            ic_printf("host-vmm: virtio device %u at %llx passed through\n", regs[2], (unsigned long long)addr);
            dt.virtio[dt.num_virtio].base = addr;
            dt.virtio[dt.num_virtio].irq = dev->irq_first + n;
            dt.num_virtio++;
            forward(dev->irq_first + n);
        }
    }
    if (!uart)
        ic_die("finding the console (no console or uart in the system description)", IC_INVALID_ARGUMENT);
    if (virtio_console_dev)
        setup_virtio_console(virtio_console_dev);
    /* GICv2: the guest's CPU interface accesses go straight to the
     * hardware's virtual CPU interface, which shows the list registers of
     * whichever vCPU runs on that CPU */
    if (vm.cfg.gic_version == 2)
        pass_through(vspace, GICV_PADDR, GUEST_GICC, GICC_SIZE / 4096, false);
}

/* ------------------------------------------------------------ (re)booting */

/* The guest starts with its MMU and caches off: what the VMM wrote into its
 * RAM through the cache must reach memory first. */
static void clean_guest_ram(uint64_t start, uint64_t len)
{
    const uint64_t step = 64 * 1024; /* the most the kernel cleans a call */
    for (uint64_t a = start & ~(step - 1); a < start + len; a += step) {
        uint64_t off = a - guest_ram;
        ic_check(ic_frame_clean(guest_frames + (off >> IC_LARGE_PAGE_BITS), off & ((1ull << IC_LARGE_PAGE_BITS) - 1),
                                step),
                 "cleaning guest RAM");
    }
}

/* The guest's RAM as power on leaves it: the kernel, its initramfs and the
 * device tree in place, the rest zero (at the first boot it is zero
 * already: new frames). Returns where vCPU 0 starts. */
static void load_guest(uint64_t *pc, uint64_t *x0)
{
    /* the DMA request sits where the device tree goes next */
    fw_cfg.desc = (volatile void *)(uintptr_t)layout.dtb;
    fw_cfg.desc_paddr = layout.dtb;
    int err;
    if ((err = fw_cfg_read(&fw_cfg, &kernel_file, 0, layout.kernel, kernel_file.size)))
        ic_die("reading the kernel from the firmware configuration device", err);
    if ((err = fw_cfg_read(&fw_cfg, &initramfs_file, 0, layout.initrd, initramfs_file.size)))
        ic_die("reading the initramfs from the firmware configuration device", err);
    dt.initrd_start = layout.initrd;
    dt.initrd_end = layout.initrd_end;
    long dtb_size = vmm_virt_dt_build((void *)layout.dtb, LINUX_DTB_MAX, &dt);
    if (dtb_size < 0)
        ic_die("writing the device tree", dtb_size);
    clean_guest_ram(layout.kernel, kernel_file.size);
    clean_guest_ram(layout.initrd, initramfs_file.size);
    clean_guest_ram(layout.dtb, (uint64_t)dtb_size);
    ic_printf("host-vmm: kernel %llu KiB at %llx, initramfs %llu KiB, device tree %ld bytes\n",
              (unsigned long long)kernel_file.size / 1024, (unsigned long long)layout.kernel,
              (unsigned long long)initramfs_file.size / 1024, dtb_size);
    struct linux_regs boot;
    linux_boot_regs(&layout, &boot);
    *pc = boot.pc;
    *x0 = boot.x[0];
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
        ic_die("finding the firmware configuration device (no fw-cfg in the system description)", IC_INVALID_ARGUMENT);
    fw_cfg.regs = (volatile uint8_t *)ic_map_device(dev->base, 1);
    fw_cfg.desc = (volatile void *)(uintptr_t)ram;
    fw_cfg.desc_paddr = ram;
    if (fw_cfg_probe(&fw_cfg))
        ic_die("finding QEMU's firmware configuration device with DMA", IC_FAILED_LOOKUP);
    if (fw_cfg_find(&fw_cfg, FW_CFG_KERNEL, &kernel_file)) {
        ic_printf("host-vmm: no " FW_CFG_KERNEL " in QEMU's firmware configuration: give the host VM's kernel "
                  "with -fw_cfg name=" FW_CFG_KERNEL ",file=PATH\n");
        ic_die("finding the host VM's kernel", IC_FAILED_LOOKUP);
    }
    if (fw_cfg_find(&fw_cfg, FW_CFG_INITRAMFS, &initramfs_file)) {
        ic_printf("host-vmm: no " FW_CFG_INITRAMFS " in QEMU's firmware configuration: give the host VM's "
                  "initramfs with -fw_cfg name=" FW_CFG_INITRAMFS ",file=PATH\n");
        ic_die("finding the host VM's initramfs", IC_FAILED_LOOKUP);
    }
    uint64_t header = ram + 64;
    uint32_t len = kernel_file.size < LINUX_HEADER_SIZE ? kernel_file.size : LINUX_HEADER_SIZE;
    int err = fw_cfg_read(&fw_cfg, &kernel_file, 0, header, len);
    if (err)
        ic_die("reading the kernel's header", err);
    struct linux_image img;
    int lerr = linux_parse_image((const void *)(uintptr_t)header, kernel_file.size, &img);
    memset((void *)(uintptr_t)ram, 0, 64 + LINUX_HEADER_SIZE);
    if (lerr)
        ic_die("reading the kernel's header (is " FW_CFG_KERNEL " an arm64 Linux Image?)", lerr);
    if ((lerr = linux_plan(&img, ram, GUEST_RAM_SIZE, initramfs_file.size, &layout)))
        ic_die("placing the kernel and initramfs in guest RAM", lerr);
}

/* PSCI SYSTEM_RESET: the host VM starts again in place, with nothing of
 * the old guest left in its RAM or the devices passed through to it (the
 * core has stopped and reset the vCPUs; it resets the virtual GIC after). */
static bool on_reset(struct vmm_vm *v, uint64_t *pc, uint64_t *x0)
{
    (void)v;
    ic_printf("host-vmm: the guest asked for a reset: restarting the host VM\n");
    /* a device must not write into the new guest's memory what the old
     * guest asked for: reset each one before the memory is cleared (the
     * new guest's driver resets it again when it probes) */
    for (unsigned k = 0; k < dt.num_virtio; k++)
        if (!virtio_console || dt.virtio[k].base != virtio_console->base) /* ours: reset with the console */
            ((volatile uint32_t *)(uintptr_t)dt.virtio[k].base)[VIRTIO_MMIO_STATUS / 4] = 0;
    if (console_on) /* as at power on; what was typed and not yet read stays */
        vmm_console_reset(&console);
    /* a request in flight on a vCPU's thread (which holds no lock) may
     * still write its answer into its slot after this */
    if (realm_window)
        memset((void *)(uintptr_t)realm_window, 0, REALM_DEV_WINDOW_SIZE);
    memset((void *)guest_ram, 0, GUEST_RAM_SIZE);
    clean_guest_ram(guest_ram, GUEST_RAM_SIZE);
    load_guest(pc, x0);
    return true;
}

static void on_power_off(struct vmm_vm *v)
{
    (void)v;
    ic_printf("host-vmm: the guest powered off\n");
    ic_debug_halt();
}

static const struct vmm_vm_ops host_ops = { .signal = on_signal, .power_off = on_power_off, .reset = on_reset };

/* Guest RAM at its own addresses, from the second region the loader
 * granted, mapped into the guest and into the VMM. */
static ic_cptr_t make_guest_ram(ic_word_t *base)
{
    unsigned bits;
    ic_cptr_t ram = granted_ram(1, base, &bits);
    if (bits != GUEST_RAM_BITS)
        ic_die("finding RAM of the size the description gives", IC_INVALID_ARGUMENT);
    const unsigned nframes = (unsigned)(GUEST_RAM_SIZE >> IC_LARGE_PAGE_BITS);
    guest_frames = ic_make_from(ram, IC_OBJ_FRAME_2M, 0, nframes);
    ic_cptr_t vspace = ic_make(IC_OBJ_VSPACE, 0);
    ic_check(ic_vmid_pool_assign(IC_SLOT_VMIDS, vspace), "giving the guest's VSpace a VMID");
    for (unsigned i = 0; i < nframes; i++) {
        ic_word_t ipa = *base + ((ic_word_t)i << IC_LARGE_PAGE_BITS);
        ic_cptr_t copy = ic_slot();
        /* in the guest, as 4 KiB pages of a page table */
        guest_page_table(vspace, ipa);
        ic_map_frame(vspace, guest_frames + i, ipa, IC_RIGHTS_ALL, IC_ATTR_CACHED);
        ic_check(ic_cnode_copy(IC_SLOT_ROOT_CNODE, copy, 64, guest_frames + i, 64, IC_RIGHTS_ALL, IC_SLOT_ROOT_CNODE),
                 "copying a guest frame");
        ic_map_frame(IC_SLOT_ROOT_VSPACE, copy, ipa, IC_RIGHT_READ | IC_RIGHT_WRITE, IC_ATTR_CACHED);
    }
    return vspace;
}

int main(ic_bootinfo_t *bi)
{
    ic_env_init(bi, "host-vmm");
    /* one vCPU a CPU at most: each vCPU thread runs on its own CPU */
    unsigned num_vcpus = bi->num_cpus < NUM_VCPUS ? (unsigned)bi->num_cpus : NUM_VCPUS;
    if (num_vcpus < NUM_VCPUS)
        ic_printf("host-vmm: the host VM gets %u vCPU%s, not the %u of the system description: the machine has %u CPU%s\n",
                  num_vcpus, num_vcpus == 1 ? "" : "s", NUM_VCPUS, (unsigned)bi->num_cpus,
                  bi->num_cpus == 1 ? "" : "s");
    ic_printf("host-vmm: building the host VM\n");
    ic_cptr_t vspace = make_guest_ram(&guest_ram);
    /* one notification for every event that is not an exit: the loader's,
     * which the channels signal, if the description gives it channels */
    ic_cptr_t ntfn = ic_self()->num_channels ? SYSTEM_SLOT_NOTIFICATION : ic_make(IC_OBJ_NOTIFICATION, 0);
    ic_check(ic_tcb_bind_notification(IC_SLOT_ROOT_TCB, ntfn), "binding the notification");
    /* as many interrupts as the devices need, and no more: Linux sets up
     * every one at boot, at a few exits each */
    unsigned nr_irqs = 64;
    for (unsigned d = 0; d < SYSTEM_VM_HOST_NUM_DEVICES; d++)
        while (nr_irqs <= system_devices_vm_host[d].irq_last)
            nr_irqs += 32;
    const struct vmm_vm_config cfg = {
        .name = "host-vmm",
        .gic_version = (unsigned)bi->gic_version,
        .list_registers = (unsigned)bi->vgic_list_registers,
        .num_vcpus = num_vcpus,
        .nr_irqs = nr_irqs,
        .vcpu_priority = SYSTEM_VM_HOST_VCPU_PRIORITY,
        .vmm_priority = ic_self()->priority,
        .vspace = vspace,
        .notification = ntfn,
        .gicd = GUEST_GICD,
        .gicr = GUEST_GICR,
        .ram_base = guest_ram,
        .ram_size = GUEST_RAM_SIZE,
        .ops = &host_ops,
    };
    int err = vmm_vm_init(&vm, &cfg);
    if (err)
        ic_die("setting up the VM (a GICv2 or v3 with two list registers or more)", err);
    dt = (struct vmm_virt_dt){
        .ram_base = guest_ram,
        .ram_size = GUEST_RAM_SIZE,
        .bootargs = SYSTEM_VM_HOST_BOOTARGS,
        .num_vcpus = num_vcpus,
        .gic_version = cfg.gic_version,
        .gicd = GUEST_GICD,
        .gicd_size = cfg.gic_version == 3 ? VGIC_GICD_SIZE_V3 : VGIC_GICD_SIZE_V2,
        .gicr = GUEST_GICR,
        .gicr_size = (uint64_t)VGIC_GICR_STRIDE * num_vcpus,
        .gicc = GUEST_GICC,
        .gicc_size = GICC_SIZE,
    };
    pass_devices(vspace);

    /* where the kernel, its initramfs and the device tree go */
    find_images(guest_ram);
    uint64_t pc, x0;
    load_guest(&pc, &x0);
    ic_printf("host-vmm: starting the host VM with %u vCPUs\n", num_vcpus);
    vmm_vm_start_vcpu(&vm, 0, pc, x0);
    vmm_vm_run(&vm);
}
