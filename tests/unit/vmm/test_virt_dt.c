/* The device tree of a virt-like guest (lib/vmm/virt_dt.c): the trees it
 * writes are decompiled by dtc and compared with dtc's own rendering of the
 * expected source; impossible descriptions are refused. */
#include "harness.h"
#include <vmm/virt_dt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct vmm_virt_dt host_like(unsigned gic_version)
{
    struct vmm_virt_dt d = {
        .ram_base = 0x40000000, .ram_size = 0x20000000,
        .bootargs = "console=ttyAMA0 quiet",
        .initrd_start = 0x48000000, .initrd_end = 0x48123456,
        .num_vcpus = 2, .gic_version = gic_version,
        .gicd = 0x08000000, .gicd_size = gic_version == 3 ? 0x10000 : 0x1000,
        .gicr = 0x080a0000, .gicr_size = 0x40000,
        .gicc = 0x08010000, .gicc_size = 0x2000,
        .uart = 0x09000000, .uart_size = 0x1000, .uart_irq = 33,
        .num_virtio = 2,
    };
    d.virtio[0].base = 0x0a003e00;
    d.virtio[0].irq = 79;
    d.virtio[1].base = 0x0a003c00;
    d.virtio[1].irq = 78;
    return d;
}

static const char *const common_dts =
    "/dts-v1/;\n"
    "/ {\n"
    "  compatible = \"linux,dummy-virt\";\n"
    "  #address-cells = <2>; #size-cells = <2>;\n"
    "  interrupt-parent = <1>;\n"
    "  chosen {\n"
    "    bootargs = \"console=ttyAMA0 quiet\";\n"
    "    stdout-path = \"/pl011@9000000\";\n"
    "    linux,initrd-start = <0x0 0x48000000>;\n"
    "    linux,initrd-end = <0x0 0x48123456>;\n"
    "  };\n"
    "  memory@40000000 { device_type = \"memory\"; reg = <0x0 0x40000000 0x0 0x20000000>; };\n"
    "  cpus {\n"
    "    #address-cells = <1>; #size-cells = <0>;\n"
    "    cpu@0 { device_type = \"cpu\"; compatible = \"arm,armv8\"; reg = <0>; enable-method = \"psci\"; };\n"
    "    cpu@1 { device_type = \"cpu\"; compatible = \"arm,armv8\"; reg = <1>; enable-method = \"psci\"; };\n"
    "  };\n"
    "  psci { compatible = \"arm,psci-1.0\", \"arm,psci-0.2\"; method = \"hvc\"; };\n";

static const char *const gicv3_dts =
    "  timer {\n"
    "    compatible = \"arm,armv8-timer\";\n"
    "    interrupts = <1 13 4 1 14 4 1 11 4 1 10 4>;\n"
    "    always-on;\n"
    "  };\n"
    "  intc@8000000 {\n"
    "    compatible = \"arm,gic-v3\";\n"
    "    #redistributor-regions = <1>;\n"
    "    reg = <0x0 0x8000000 0x0 0x10000 0x0 0x80a0000 0x0 0x40000>;\n"
    "    #interrupt-cells = <3>; interrupt-controller; #address-cells = <2>; #size-cells = <2>;\n"
    "    phandle = <1>;\n"
    "  };\n";

static const char *const gicv2_dts =
    "  timer {\n"
    "    compatible = \"arm,armv8-timer\";\n"
    "    interrupts = <1 13 0x304 1 14 0x304 1 11 0x304 1 10 0x304>;\n"
    "    always-on;\n"
    "  };\n"
    "  intc@8000000 {\n"
    "    compatible = \"arm,cortex-a15-gic\";\n"
    "    reg = <0x0 0x8000000 0x0 0x1000 0x0 0x8010000 0x0 0x2000>;\n"
    "    #interrupt-cells = <3>; interrupt-controller; #address-cells = <2>; #size-cells = <2>;\n"
    "    phandle = <1>;\n"
    "  };\n";

static const char *const devices_dts =
    "  apb-pclk {\n"
    "    compatible = \"fixed-clock\"; #clock-cells = <0>; clock-frequency = <24000000>;\n"
    "    clock-output-names = \"clk24mhz\"; phandle = <2>;\n"
    "  };\n"
    "  pl011@9000000 {\n"
    "    compatible = \"arm,pl011\", \"arm,primecell\";\n"
    "    reg = <0x0 0x9000000 0x0 0x1000>;\n"
    "    interrupts = <0 1 4>;\n"
    "    clocks = <2 2>; clock-names = \"uartclk\", \"apb_pclk\";\n"
    "  };\n"
    "  virtio_mmio@a003e00 {\n"
    "    compatible = \"virtio,mmio\"; reg = <0x0 0xa003e00 0x0 0x200>; interrupts = <0 47 1>; dma-coherent;\n"
    "  };\n"
    "  virtio_mmio@a003c00 {\n"
    "    compatible = \"virtio,mmio\"; reg = <0x0 0xa003c00 0x0 0x200>; interrupts = <0 46 1>; dma-coherent;\n"
    "  };\n";

static char tmpdir[64];

static void remove_tmpdir(void)
{
    rmdir(tmpdir);
}

/* dtc is part of make setup: without it these tests fail, they do not skip */
static void need_dtc(void)
{
    CHECK(system("dtc --version >/dev/null 2>&1") == 0);
    if (!tmpdir[0]) {
        strcpy(tmpdir, "/tmp/icecap-virt-dt-XXXXXX");
        CHECK(mkdtemp(tmpdir) != NULL);
        atexit(remove_tmpdir);
    }
}

static void write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    CHECK_EQ(fwrite(data, 1, n, f), n);
    fclose(f);
}

static void read_file(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    size_t n = fread(buf, 1, size - 1, f);
    fclose(f);
    CHECK(n < size - 1);
    buf[n] = 0;
}

/* dtc's source rendering of a file of format 'in' (dts or dtb), after a
 * round trip through dtb for source, so that both sides look alike. */
static void render(const void *data, size_t n, const char *format, char *buf, size_t size)
{
    char in[128], bin[128], out[128], cmd[1024];
    snprintf(in, sizeof in, "%s/in.%s", tmpdir, format);
    snprintf(bin, sizeof bin, "%s/bin.dtb", tmpdir);
    snprintf(out, sizeof out, "%s/out.dts", tmpdir);
    write_file(in, data, n);
    snprintf(cmd, sizeof cmd, "dtc -q -I %s -O dtb -o %s %s && dtc -q -I dtb -O dts -o %s %s", format, bin, in, out,
             bin);
    CHECK_EQ(system(cmd), 0);
    read_file(out, buf, size);
    unlink(in);
    unlink(bin);
    unlink(out);
}

/* the tree of host_like with 'gic_part', then 'more' (nodes after the
 * virtio-mmio transports) */
static void check_tree(const struct vmm_virt_dt *d, const char *gic_part, const char *more)
{
    static uint8_t dtb[8192];
    static char want_src[8192], got[16384], want[16384];
    need_dtc();
    long n = vmm_virt_dt_build(dtb, sizeof dtb, d);
    CHECK(n > 0);
    snprintf(want_src, sizeof want_src, "%s%s%s%s};\n", common_dts, gic_part, devices_dts, more);
    render(dtb, (size_t)n, "dtb", got, sizeof got);
    render(want_src, strlen(want_src), "dts", want, sizeof want);
    if (strcmp(got, want) != 0)
        printf("got:\n%s\nwant:\n%s\n", got, want);
    CHECK(strcmp(got, want) == 0);
}

TEST(virt_dt_gicv3_tree)
{
    struct vmm_virt_dt d = host_like(3);
    check_tree(&d, gicv3_dts, "");
}

TEST(virt_dt_gicv2_tree_names_the_cpus_of_each_ppi)
{
    struct vmm_virt_dt d = host_like(2);
    check_tree(&d, gicv2_dts, "");
}

/* the host VMM's realm device (docs/resource-server.md): a node of its
 * own with two regions and no interrupt */
TEST(virt_dt_device_without_interrupt_has_its_regions)
{
    struct vmm_virt_dt d = host_like(3);
    d.devices[0].name = "realms";
    d.devices[0].compatible = "icecap,realm-host-1";
    d.devices[0].reg[0].base = 0x0c000000;
    d.devices[0].reg[0].size = 0x1000;
    d.devices[0].reg[1].base = 0x0c200000;
    d.devices[0].reg[1].size = 0x200000;
    d.devices[0].num_regs = 2;
    d.devices[1].name = "other";
    d.devices[1].compatible = "vendor,thing";
    d.devices[1].reg[0].base = 0x123400000000ull;
    d.devices[1].reg[0].size = 0x10;
    d.devices[1].num_regs = 1;
    d.num_devices = 2;
    check_tree(&d, gicv3_dts,
               "  realms@c000000 {\n"
               "    compatible = \"icecap,realm-host-1\";\n"
               "    reg = <0x0 0xc000000 0x0 0x1000 0x0 0xc200000 0x0 0x200000>;\n"
               "  };\n"
               "  other@123400000000 { compatible = \"vendor,thing\"; reg = <0x1234 0x0 0x0 0x10>; };\n");
}

TEST(virt_dt_without_initrd_has_no_initrd_properties)
{
    static uint8_t dtb[8192];
    static char got[16384];
    need_dtc();
    struct vmm_virt_dt d = host_like(3);
    d.initrd_start = d.initrd_end = 0;
    long n = vmm_virt_dt_build(dtb, sizeof dtb, &d);
    CHECK(n > 0);
    render(dtb, (size_t)n, "dtb", got, sizeof got);
    CHECK(strstr(got, "initrd") == NULL);
    CHECK(strstr(got, "bootargs") != NULL);
}

TEST(virt_dt_refuses_impossible_descriptions)
{
    static uint8_t dtb[8192];
    struct vmm_virt_dt d;
    d = host_like(3); d.num_vcpus = 0;
    CHECK(vmm_virt_dt_build(dtb, sizeof dtb, &d) < 0);
    d = host_like(3); d.num_vcpus = VMM_VIRT_DT_MAX_VCPUS + 1;
    CHECK(vmm_virt_dt_build(dtb, sizeof dtb, &d) < 0);
    d = host_like(3); d.gic_version = 4;
    CHECK(vmm_virt_dt_build(dtb, sizeof dtb, &d) < 0);
    d = host_like(3); d.uart_irq = 31;
    CHECK(vmm_virt_dt_build(dtb, sizeof dtb, &d) < 0);
    d = host_like(3); d.virtio[1].irq = 5;
    CHECK(vmm_virt_dt_build(dtb, sizeof dtb, &d) < 0);
    d = host_like(3); d.num_virtio = VMM_VIRT_DT_MAX_VIRTIO + 1;
    CHECK(vmm_virt_dt_build(dtb, sizeof dtb, &d) < 0);
    d = host_like(3); d.initrd_end = d.initrd_start - 1;
    CHECK(vmm_virt_dt_build(dtb, sizeof dtb, &d) < 0);
    d = host_like(3); d.bootargs = NULL;
    CHECK(vmm_virt_dt_build(dtb, sizeof dtb, &d) < 0);
    d = host_like(3); d.ram_size = 0;
    CHECK(vmm_virt_dt_build(dtb, sizeof dtb, &d) < 0);
    d = host_like(3); d.num_devices = VMM_VIRT_DT_MAX_DEVICES + 1;
    CHECK(vmm_virt_dt_build(dtb, sizeof dtb, &d) < 0);
    struct vmm_virt_dt good = host_like(3);
    good.devices[0].name = "realms";
    good.devices[0].compatible = "icecap,realm-host-1";
    good.devices[0].reg[0].base = 0x0c000000;
    good.devices[0].reg[0].size = 0x1000;
    good.devices[0].num_regs = 1;
    good.num_devices = 1;
    CHECK(vmm_virt_dt_build(dtb, sizeof dtb, &good) > 0);
    d = good; d.devices[0].name = NULL;
    CHECK(vmm_virt_dt_build(dtb, sizeof dtb, &d) < 0);
    d = good; d.devices[0].name = "";
    CHECK(vmm_virt_dt_build(dtb, sizeof dtb, &d) < 0);
    d = good; d.devices[0].compatible = NULL;
    CHECK(vmm_virt_dt_build(dtb, sizeof dtb, &d) < 0);
    d = good; d.devices[0].num_regs = 0;
    CHECK(vmm_virt_dt_build(dtb, sizeof dtb, &d) < 0);
    d = good; d.devices[0].num_regs = VMM_VIRT_DT_MAX_REGS + 1;
    CHECK(vmm_virt_dt_build(dtb, sizeof dtb, &d) < 0);
    CHECK(vmm_virt_dt_build(NULL, sizeof dtb, &d) < 0);
    CHECK(vmm_virt_dt_build(dtb, sizeof dtb, NULL) < 0);
}

TEST(virt_dt_too_small_a_buffer_is_an_error_not_an_overrun)
{
    static uint8_t dtb[8192];
    struct vmm_virt_dt d = host_like(3);
    long full = vmm_virt_dt_build(dtb, sizeof dtb, &d);
    CHECK(full > 0);
    for (size_t size = 0; size < (size_t)full; size += 61) {
        uint8_t *small = malloc(size ? size : 1); /* ASan sees any write beyond it */
        CHECK(vmm_virt_dt_build(small, size, &d) < 0);
        free(small);
    }
}

TEST(virt_dt_eight_vcpus_and_long_addresses)
{
    static uint8_t dtb[8192];
    static char got[16384];
    need_dtc();
    struct vmm_virt_dt d = host_like(3);
    d.num_vcpus = 8;
    d.ram_base = 0x8000000000ull;
    long n = vmm_virt_dt_build(dtb, sizeof dtb, &d);
    CHECK(n > 0);
    render(dtb, (size_t)n, "dtb", got, sizeof got);
    CHECK(strstr(got, "cpu@7 {") != NULL);
    CHECK(strstr(got, "cpu@8") == NULL);
    CHECK(strstr(got, "memory@8000000000 {") != NULL);
}
