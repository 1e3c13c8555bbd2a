/* The device tree of a virt-like guest: see vmm/virt_dt.h. */
#include <vmm/fdt.h>
#include <vmm/virt_dt.h>

enum { GIC_PHANDLE = 1, CLOCK_PHANDLE = 2 };
#define INVALID_DESCRIPTION (-1000L)

/* "prefix@hex": the unit address of a node. */
static void unit_name(char *out, size_t size, const char *prefix, uint64_t addr)
{
    size_t n = 0;
    while (*prefix && n + 1 < size)
        out[n++] = *prefix++;
    if (n + 1 < size)
        out[n++] = '@';
    int shift = 60;
    while (shift > 0 && ((addr >> shift) & 0xf) == 0)
        shift -= 4;
    for (; shift >= 0 && n + 1 < size; shift -= 4)
        out[n++] = "0123456789abcdef"[(addr >> shift) & 0xf];
    out[n] = '\0';
}

static bool valid(const struct vmm_virt_dt *d)
{
    if (!d->bootargs || d->num_vcpus == 0 || d->num_vcpus > VMM_VIRT_DT_MAX_VCPUS ||
        (d->gic_version != 2 && d->gic_version != 3) || d->num_virtio > VMM_VIRT_DT_MAX_VIRTIO ||
        d->uart_irq < 32 || d->initrd_end < d->initrd_start || d->ram_size == 0)
        return false;
    for (unsigned k = 0; k < d->num_virtio; k++)
        if (d->virtio[k].irq < 32)
            return false;
    if (d->num_devices > VMM_VIRT_DT_MAX_DEVICES)
        return false;
    for (unsigned k = 0; k < d->num_devices; k++)
        if (!d->devices[k].name || !d->devices[k].name[0] || !d->devices[k].compatible || d->devices[k].num_regs == 0 ||
            d->devices[k].num_regs > VMM_VIRT_DT_MAX_REGS)
            return false;
    return true;
}

static void cpus(struct fdt_writer *w, const struct vmm_virt_dt *d)
{
    fdt_begin_node(w, "cpus");
    fdt_property_u32(w, "#address-cells", 1);
    fdt_property_u32(w, "#size-cells", 0);
    for (unsigned i = 0; i < d->num_vcpus; i++) {
        char name[8];
        unit_name(name, sizeof name, "cpu", i);
        fdt_begin_node(w, name);
        fdt_property_string(w, "device_type", "cpu");
        fdt_property_string(w, "compatible", "arm,armv8");
        fdt_property_u32(w, "reg", i);
        fdt_property_string(w, "enable-method", "psci");
        fdt_end_node(w);
    }
    fdt_end_node(w);

    fdt_begin_node(w, "psci");
    const char *const compat[] = { "arm,psci-1.0", "arm,psci-0.2" };
    fdt_property_strings(w, "compatible", compat, 2);
    fdt_property_string(w, "method", "hvc");
    fdt_end_node(w);
}

static void timer_and_gic(struct fdt_writer *w, const struct vmm_virt_dt *d)
{
    fdt_begin_node(w, "timer");
    fdt_property_string(w, "compatible", "arm,armv8-timer");
    /* secure, non-secure, virtual, hypervisor: PPIs 13, 14, 11, 10, level;
     * a GICv2 PPI also names the CPUs it reaches (bits 15:8), all of them */
    const uint32_t ppi = 4 | (d->gic_version == 2 ? ((1u << d->num_vcpus) - 1) << 8 : 0);
    const uint32_t irqs[] = { 1, 13, ppi, 1, 14, ppi, 1, 11, ppi, 1, 10, ppi };
    fdt_property_u32_array(w, "interrupts", irqs, 12);
    fdt_property_empty(w, "always-on");
    fdt_end_node(w);

    char name[32];
    unit_name(name, sizeof name, "intc", d->gicd);
    fdt_begin_node(w, name);
    if (d->gic_version == 3) {
        fdt_property_string(w, "compatible", "arm,gic-v3");
        fdt_property_u32(w, "#redistributor-regions", 1);
        const uint64_t reg[] = { d->gicd, d->gicd_size, d->gicr, d->gicr_size };
        fdt_property_u64_array(w, "reg", reg, 4);
    } else {
        fdt_property_string(w, "compatible", "arm,cortex-a15-gic");
        const uint64_t reg[] = { d->gicd, d->gicd_size, d->gicc, d->gicc_size };
        fdt_property_u64_array(w, "reg", reg, 4);
    }
    fdt_property_u32(w, "#interrupt-cells", 3);
    fdt_property_empty(w, "interrupt-controller");
    fdt_property_u32(w, "#address-cells", 2);
    fdt_property_u32(w, "#size-cells", 2);
    fdt_property_u32(w, "phandle", GIC_PHANDLE);
    fdt_end_node(w);
}

static void console(struct fdt_writer *w, const struct vmm_virt_dt *d, const char *name)
{
    fdt_begin_node(w, "apb-pclk");
    fdt_property_string(w, "compatible", "fixed-clock");
    fdt_property_u32(w, "#clock-cells", 0);
    fdt_property_u32(w, "clock-frequency", 24000000);
    fdt_property_string(w, "clock-output-names", "clk24mhz");
    fdt_property_u32(w, "phandle", CLOCK_PHANDLE);
    fdt_end_node(w);

    fdt_begin_node(w, name);
    const char *const compat[] = { "arm,pl011", "arm,primecell" };
    fdt_property_strings(w, "compatible", compat, 2);
    const uint64_t reg[] = { d->uart, d->uart_size };
    fdt_property_u64_array(w, "reg", reg, 2);
    const uint32_t irq[] = { 0, d->uart_irq - 32, 4 }; /* SPI, level */
    fdt_property_u32_array(w, "interrupts", irq, 3);
    const uint32_t clocks[] = { CLOCK_PHANDLE, CLOCK_PHANDLE };
    fdt_property_u32_array(w, "clocks", clocks, 2);
    const char *const clock_names[] = { "uartclk", "apb_pclk" };
    fdt_property_strings(w, "clock-names", clock_names, 2);
    fdt_end_node(w);
}

static void virtio(struct fdt_writer *w, const struct vmm_virt_dt *d)
{
    for (unsigned k = 0; k < d->num_virtio; k++) {
        char name[32];
        unit_name(name, sizeof name, "virtio_mmio", d->virtio[k].base);
        fdt_begin_node(w, name);
        fdt_property_string(w, "compatible", "virtio,mmio");
        const uint64_t reg[] = { d->virtio[k].base, VMM_VIRTIO_MMIO_SIZE };
        fdt_property_u64_array(w, "reg", reg, 2);
        const uint32_t irq[] = { 0, d->virtio[k].irq - 32, d->virtio[k].level ? 4 : 1 }; /* SPI, level or edge */
        fdt_property_u32_array(w, "interrupts", irq, 3);
        fdt_property_empty(w, "dma-coherent");
        fdt_end_node(w);
    }
}

/* The VMM's own devices without an interrupt: a compatible string and
 * register regions. */
static void plain_devices(struct fdt_writer *w, const struct vmm_virt_dt *d)
{
    for (unsigned k = 0; k < d->num_devices; k++) {
        char name[64];
        unit_name(name, sizeof name, d->devices[k].name, d->devices[k].reg[0].base);
        fdt_begin_node(w, name);
        fdt_property_string(w, "compatible", d->devices[k].compatible);
        uint64_t reg[2 * VMM_VIRT_DT_MAX_REGS];
        for (unsigned r = 0; r < d->devices[k].num_regs; r++) {
            reg[2 * r] = d->devices[k].reg[r].base;
            reg[2 * r + 1] = d->devices[k].reg[r].size;
        }
        fdt_property_u64_array(w, "reg", reg, 2 * d->devices[k].num_regs);
        fdt_end_node(w);
    }
}

long vmm_virt_dt_build(void *buf, size_t size, const struct vmm_virt_dt *d)
{
    if (!buf || !d || !valid(d))
        return INVALID_DESCRIPTION;
    struct fdt_writer w;
    fdt_begin(&w, buf, size);
    fdt_begin_node(&w, "");
    fdt_property_string(&w, "compatible", "linux,dummy-virt");
    fdt_property_u32(&w, "#address-cells", 2);
    fdt_property_u32(&w, "#size-cells", 2);
    fdt_property_u32(&w, "interrupt-parent", GIC_PHANDLE);

    char uart_name[32], stdout_path[34];
    unit_name(uart_name, sizeof uart_name, "pl011", d->uart);
    stdout_path[0] = '/';
    for (size_t i = 0; i < sizeof uart_name; i++)
        stdout_path[i + 1] = uart_name[i];
    fdt_begin_node(&w, "chosen");
    fdt_property_string(&w, "bootargs", d->bootargs);
    fdt_property_string(&w, "stdout-path", stdout_path);
    if (d->initrd_end > d->initrd_start) {
        fdt_property_u64(&w, "linux,initrd-start", d->initrd_start);
        fdt_property_u64(&w, "linux,initrd-end", d->initrd_end);
    }
    fdt_end_node(&w);

    char mem_name[32];
    unit_name(mem_name, sizeof mem_name, "memory", d->ram_base);
    fdt_begin_node(&w, mem_name);
    fdt_property_string(&w, "device_type", "memory");
    const uint64_t mem[] = { d->ram_base, d->ram_size };
    fdt_property_u64_array(&w, "reg", mem, 2);
    fdt_end_node(&w);

    cpus(&w, d);
    timer_and_gic(&w, d);
    console(&w, d, uart_name);
    virtio(&w, d);
    plain_devices(&w, d);
    fdt_end_node(&w);
    return fdt_finish(&w);
}
