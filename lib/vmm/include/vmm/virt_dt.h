/* The device tree of a virt-like guest: what a Linux guest of a VMM built
 * on vmm/vm.h needs to find its memory, vCPUs (PSCI by HVC), timer, GIC,
 * console (a PL011), virtio-mmio transports and other devices of the VMM's
 * own (a compatible string and register regions, no interrupt). Pure: it
 * writes a flat device tree into a buffer (vmm/fdt.h) and touches nothing
 * else. */
#ifndef VMM_VIRT_DT_H
#define VMM_VIRT_DT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMM_VIRT_DT_MAX_VCPUS 8u
#define VMM_VIRT_DT_MAX_VIRTIO 32u
#define VMM_VIRTIO_MMIO_SIZE 0x200u /* one virtio-mmio transport's registers */
#define VMM_VIRT_DT_MAX_DEVICES 4u
#define VMM_VIRT_DT_MAX_REGS 4u

struct vmm_virt_dt {
    uint64_t ram_base, ram_size;
    const char *bootargs;               /* the kernel's command line */
    uint64_t initrd_start, initrd_end;  /* initrd_end == initrd_start: none */
    unsigned num_vcpus;                 /* 1..VMM_VIRT_DT_MAX_VCPUS, MPIDR Aff0 = index */
    unsigned gic_version;               /* 2 or 3 */
    uint64_t gicd, gicd_size;
    uint64_t gicr, gicr_size;           /* GICv3: every vCPU's redistributor frames */
    uint64_t gicc, gicc_size;           /* GICv2: the CPU interface */
    uint64_t uart, uart_size;           /* the console: a PL011, also stdout-path */
    unsigned uart_irq;                  /* its SPI, as an INTID (32 and up) */
    /* virtio-mmio transports; 'level': its interrupt is level-sensitive
     * (an emulated device, whose line is high while its interrupt status
     * is not 0), else edge-triggered as QEMU describes its own */
    struct { uint64_t base; unsigned irq; bool level; } virtio[VMM_VIRT_DT_MAX_VIRTIO];
    unsigned num_virtio;
    /* devices with no interrupt: node "name@<first region's base>" with
     * 'compatible' and reg = the regions as (address, size) pairs, after
     * the virtio-mmio transports (the realm device: "realms",
     * "icecap,realm-host-1", its register page and its slot window) */
    struct {
        const char *name, *compatible;
        struct { uint64_t base, size; } reg[VMM_VIRT_DT_MAX_REGS];
        unsigned num_regs; /* 1..VMM_VIRT_DT_MAX_REGS */
    } devices[VMM_VIRT_DT_MAX_DEVICES];
    unsigned num_devices;
};

/* Writes the tree into buf; returns its size, or a negative value if the
 * description is impossible (a count out of range, an interrupt below 32,
 * a device without a name or compatible string) or the tree does not
 * fit. */
long vmm_virt_dt_build(void *buf, size_t size, const struct vmm_virt_dt *d);

#endif
