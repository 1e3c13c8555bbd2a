/* The device tree writer (lib/vmm/fdt.c). The trees it writes are checked
 * byte by byte here and, when dtc is installed, decompiled by dtc and
 * compared with dtc's own rendering of the expected source. */
#include "harness.h"
#include <vmm/fdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Header fields by index: magic, totalsize, off_dt_struct, off_dt_strings,
 * off_mem_rsvmap, version, last_comp_version, boot_cpuid_phys,
 * size_dt_strings, size_dt_struct. */
static uint32_t hdr(const uint8_t *dtb, unsigned field)
{
    return be32(dtb + 4 * field);
}

/* A tree shaped like the one a VMM gives a Linux guest. Returns fdt_finish. */
static long build_vm_tree(void *buf, size_t size)
{
    struct fdt_writer w;
    static const char *const timer_compat[] = { "arm,armv8-timer", "arm,armv7-timer" };
    fdt_begin(&w, buf, size);
    fdt_add_reserve(&w, 0x48000000, 0x100000);
    fdt_begin_node(&w, "");
    fdt_property_u32(&w, "#address-cells", 2);
    fdt_property_u32(&w, "#size-cells", 2);
    fdt_property_u32(&w, "interrupt-parent", 1);
    fdt_property_string(&w, "compatible", "linux,dummy-virt");

    fdt_begin_node(&w, "cpus");
    fdt_property_u32(&w, "#address-cells", 1);
    fdt_property_u32(&w, "#size-cells", 0);
    for (uint32_t i = 0; i < 2; i++) {
        char name[16];
        snprintf(name, sizeof name, "cpu@%u", i);
        fdt_begin_node(&w, name);
        fdt_property_string(&w, "device_type", "cpu");
        fdt_property_string(&w, "compatible", "arm,armv8");
        fdt_property_string(&w, "enable-method", "psci");
        fdt_property_u32(&w, "reg", i);
        fdt_end_node(&w);
    }
    fdt_end_node(&w);

    fdt_begin_node(&w, "psci");
    fdt_property_string(&w, "compatible", "arm,psci-1.0");
    fdt_property_string(&w, "method", "hvc");
    fdt_end_node(&w);

    fdt_begin_node(&w, "memory@40000000");
    fdt_property_string(&w, "device_type", "memory");
    fdt_property_u64_array(&w, "reg", (const uint64_t[]){ 0x40000000, 0x20000000 }, 2);
    fdt_end_node(&w);

    fdt_begin_node(&w, "intc@8000000");
    fdt_property_string(&w, "compatible", "arm,gic-v3");
    fdt_property_empty(&w, "interrupt-controller");
    fdt_property_u32(&w, "#interrupt-cells", 3);
    fdt_property_u64_array(&w, "reg", (const uint64_t[]){ 0x8000000, 0x10000, 0x80a0000, 0x40000 }, 4);
    fdt_property_u32(&w, "phandle", 1);
    fdt_end_node(&w);

    fdt_begin_node(&w, "timer");
    fdt_property_strings(&w, "compatible", timer_compat, 2);
    fdt_property_u32_array(&w, "interrupts", (const uint32_t[]){ 1, 13, 4, 1, 14, 4, 1, 11, 4, 1, 10, 4 }, 12);
    fdt_property_empty(&w, "always-on");
    fdt_end_node(&w);

    fdt_begin_node(&w, "chosen");
    fdt_property_string(&w, "bootargs", "console=ttyAMA0 earlycon");
    fdt_property_u64(&w, "linux,initrd-start", 0x48000000);
    fdt_property_u64(&w, "linux,initrd-end", 0x48100000);
    fdt_end_node(&w);

    fdt_end_node(&w);
    return fdt_finish(&w);
}

static const char vm_tree_dts[] =
    "/dts-v1/;\n"
    "/memreserve/ 0x48000000 0x100000;\n"
    "/ {\n"
    "  #address-cells = <2>; #size-cells = <2>; interrupt-parent = <1>;\n"
    "  compatible = \"linux,dummy-virt\";\n"
    "  cpus {\n"
    "    #address-cells = <1>; #size-cells = <0>;\n"
    "    cpu@0 { device_type = \"cpu\"; compatible = \"arm,armv8\"; enable-method = \"psci\"; reg = <0>; };\n"
    "    cpu@1 { device_type = \"cpu\"; compatible = \"arm,armv8\"; enable-method = \"psci\"; reg = <1>; };\n"
    "  };\n"
    "  psci { compatible = \"arm,psci-1.0\"; method = \"hvc\"; };\n"
    "  memory@40000000 { device_type = \"memory\"; reg = <0 0x40000000 0 0x20000000>; };\n"
    "  intc@8000000 {\n"
    "    compatible = \"arm,gic-v3\"; interrupt-controller; #interrupt-cells = <3>;\n"
    "    reg = <0 0x8000000 0 0x10000 0 0x80a0000 0 0x40000>; phandle = <1>;\n"
    "  };\n"
    "  timer {\n"
    "    compatible = \"arm,armv8-timer\", \"arm,armv7-timer\";\n"
    "    interrupts = <1 13 4 1 14 4 1 11 4 1 10 4>; always-on;\n"
    "  };\n"
    "  chosen {\n"
    "    bootargs = \"console=ttyAMA0 earlycon\";\n"
    "    linux,initrd-start = /bits/ 64 <0x48000000>; linux,initrd-end = /bits/ 64 <0x48100000>;\n"
    "  };\n"
    "};\n";

/* ---------------------------------------------------------------- dtc */

static char tmpdir[64];

static void remove_tmpdir(void)
{
    rmdir(tmpdir); /* every test removes its own files */
}

static int have_dtc(void)
{
    if (system("dtc --version >/dev/null 2>&1") != 0) {
        printf("SKIP: dtc not installed (apt-get install device-tree-compiler, or make setup)\n");
        return 0;
    }
    if (!tmpdir[0]) {
        strcpy(tmpdir, "/tmp/icecap-fdt-XXXXXX");
        if (!mkdtemp(tmpdir))
            return 0;
        atexit(remove_tmpdir);
    }
    return 1;
}

static void write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    CHECK_EQ(fwrite(data, 1, n, f), n);
    fclose(f);
}

/* Reads a whole (small) file into a static buffer of its own. */
static char *read_file(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    size_t n = fread(buf, 1, size - 1, f);
    fclose(f);
    CHECK(n < size - 1);
    buf[n] = 0;
    return buf;
}

/* dtc's source rendering of a DTB, into buf. */
static char *decompile(const void *dtb, size_t n, const char *name, char *buf, size_t size)
{
    char in[128], out[128], cmd[1024];
    snprintf(in, sizeof in, "%s/%s.dtb", tmpdir, name);
    snprintf(out, sizeof out, "%s/%s.dts", tmpdir, name);
    write_file(in, dtb, n);
    snprintf(cmd, sizeof cmd, "dtc -q -I dtb -O dts -o %s %s", out, in);
    CHECK_EQ(system(cmd), 0);
    read_file(out, buf, size);
    unlink(in);
    unlink(out);
    return buf;
}

/* dtc's rendering of DTS source, compiled and decompiled by dtc itself: what
 * our DTB must decompile to, whatever dtc's formatting habits. */
static char *normalise(const char *dts, const char *name, char *buf, size_t size)
{
    char src[128], bin[128], out[128], cmd[1024];
    snprintf(src, sizeof src, "%s/%s-ref.dts", tmpdir, name);
    snprintf(bin, sizeof bin, "%s/%s-ref.dtb", tmpdir, name);
    snprintf(out, sizeof out, "%s/%s-ref.out", tmpdir, name);
    write_file(src, dts, strlen(dts));
    snprintf(cmd, sizeof cmd, "dtc -q -I dts -O dtb -o %s %s && dtc -q -I dtb -O dts -o %s %s", bin, src, out, bin);
    CHECK_EQ(system(cmd), 0);
    read_file(out, buf, size);
    unlink(src);
    unlink(bin);
    unlink(out);
    return buf;
}

TEST(fdt_vm_tree_decompiles_as_expected)
{
    static uint8_t dtb[4096];
    static char got[8192], want[8192];
    long n = build_vm_tree(dtb, sizeof dtb);
    CHECK(n > 0);
    if (!have_dtc())
        return;
    decompile(dtb, (size_t)n, "vm", got, sizeof got);
    normalise(vm_tree_dts, "vm", want, sizeof want);
    if (strcmp(got, want) != 0)
        printf("--- dtc says:\n%s--- expected:\n%s", got, want);
    CHECK(strcmp(got, want) == 0);
    /* and a few lines as they are spelled today, in case both sides agree on nonsense */
    CHECK(strstr(got, "compatible = \"arm,armv8-timer\\0arm,armv7-timer\";") != NULL);
    CHECK(strstr(got, "bootargs = \"console=ttyAMA0 earlycon\";") != NULL);
    CHECK(strstr(got, "/memreserve/") != NULL);
    CHECK(strstr(got, "interrupt-controller;") != NULL);
}

TEST(fdt_header_fields)
{
    static uint8_t dtb[4096];
    long n = build_vm_tree(dtb, sizeof dtb);
    CHECK(n > 0);
    CHECK_EQ(hdr(dtb, 0), 0xd00dfeed);
    CHECK_EQ(hdr(dtb, 1), n);
    CHECK_EQ(hdr(dtb, 4), 40);                  /* reservation map right after the header */
    CHECK_EQ(hdr(dtb, 2), 40 + 2 * 16);         /* one entry and the terminator */
    CHECK_EQ(hdr(dtb, 2) % 4, 0);
    CHECK_EQ(hdr(dtb, 5), 17);
    CHECK_EQ(hdr(dtb, 6), 16);
    CHECK_EQ(hdr(dtb, 3), hdr(dtb, 2) + hdr(dtb, 9)); /* strings follow the structure */
    CHECK_EQ(hdr(dtb, 3) + hdr(dtb, 8), n);
    CHECK_EQ(be32(dtb + hdr(dtb, 2)), 1);                   /* FDT_BEGIN_NODE */
    CHECK_EQ(be32(dtb + hdr(dtb, 3) - 4), 9);               /* FDT_END */
    CHECK_EQ(be32(dtb + 40), 0);                            /* reserve address, high word */
    CHECK_EQ(be32(dtb + 44), 0x48000000);
    CHECK_EQ(be32(dtb + 52), 0x100000);
}

TEST(fdt_minimal_tree_bytes)
{
    uint8_t dtb[256];
    struct fdt_writer w;
    CHECK_EQ(fdt_begin(&w, dtb, sizeof dtb), FDT_OK);
    CHECK_EQ(fdt_begin_node(&w, ""), FDT_OK);
    CHECK_EQ(fdt_property_u32(&w, "a", 0x01020304), FDT_OK);
    CHECK_EQ(fdt_end_node(&w), FDT_OK);
    long n = fdt_finish(&w);
    /* header 40 + rsv terminator 16 + BEGIN_NODE "" (8) + PROP (12 + 4) + END_NODE 4 + END 4 + "a\0" */
    CHECK_EQ(n, 40 + 16 + 8 + 16 + 4 + 4 + 2);
    const uint8_t *s = dtb + 56;
    CHECK_EQ(be32(s), 1);
    CHECK_EQ(be32(s + 4), 0); /* the root's empty name, padded */
    CHECK_EQ(be32(s + 8), 3);
    CHECK_EQ(be32(s + 12), 4);      /* len */
    CHECK_EQ(be32(s + 16), 0);      /* nameoff */
    CHECK_EQ(be32(s + 20), 0x01020304);
    CHECK_EQ(be32(s + 24), 2);
    CHECK_EQ(be32(s + 28), 9);
    CHECK(memcmp(s + 32, "a", 2) == 0);
}

TEST(fdt_names_are_stored_once)
{
    uint8_t dtb[1024];
    struct fdt_writer w;
    fdt_begin(&w, dtb, sizeof dtb);
    fdt_begin_node(&w, "");
    fdt_property_u32(&w, "reg", 1);
    fdt_property_u32(&w, "compatible", 1);
    for (int i = 0; i < 5; i++) {
        fdt_begin_node(&w, "n");
        fdt_property_u32(&w, "reg", 1);
        fdt_property_string(&w, "compatible", "x");
        fdt_property_u32(&w, "regs", 1); /* not "reg": a different name */
        fdt_end_node(&w);
    }
    fdt_end_node(&w);
    CHECK(fdt_finish(&w) > 0);
    CHECK_EQ(hdr(dtb, 8), sizeof "reg" + sizeof "compatible" + sizeof "regs");
    /* every nameoff points at the right name */
    const uint8_t *p = dtb + hdr(dtb, 2), *end = dtb + hdr(dtb, 3);
    const char *strings = (const char *)dtb + hdr(dtb, 3);
    unsigned props = 0;
    while (p < end) {
        uint32_t tok = be32(p);
        p += 4;
        if (tok == 1) {
            p += (strlen((const char *)p) + 4) & ~3u;
        } else if (tok == 3) {
            uint32_t len = be32(p), off = be32(p + 4);
            CHECK(off < hdr(dtb, 8));
            const char *name = strings + off;
            CHECK(!strcmp(name, "reg") || !strcmp(name, "compatible") || !strcmp(name, "regs"));
            CHECK_EQ(!strcmp(name, "compatible") ? 1 : len, !strcmp(name, "compatible") ? 1 : 4);
            p += 8 + ((len + 3) & ~3u);
            props++;
        }
    }
    CHECK_EQ(props, 2 + 5 * 3);
}

/* Every buffer size below the tree's: an error, never a write outside the
 * buffer (each is a malloc of exactly that size, so ASan would see it). At
 * the exact size: the same bytes as in a roomy buffer. */
TEST(fdt_too_small_buffers_fail_cleanly)
{
    static uint8_t ref[4096];
    long n = build_vm_tree(ref, sizeof ref);
    CHECK(n > 0);
    for (long size = 0; size < n; size++) {
        uint8_t *b = malloc(size ? (size_t)size : 1);
        CHECK(b != NULL);
        long r = build_vm_tree(b, (size_t)size);
        free(b);
        CHECK_EQ(r, FDT_ERR_NOSPACE);
    }
    uint8_t *b = malloc((size_t)n);
    CHECK_EQ(build_vm_tree(b, (size_t)n), n);
    CHECK(memcmp(b, ref, (size_t)n) == 0);
    free(b);
}

TEST(fdt_calls_out_of_order_are_errors)
{
    uint8_t dtb[512];
    struct fdt_writer w;

    fdt_begin(&w, dtb, sizeof dtb);
    CHECK_EQ(fdt_property_u32(&w, "x", 1), FDT_ERR_STATE); /* outside any node */

    fdt_begin(&w, dtb, sizeof dtb);
    CHECK_EQ(fdt_end_node(&w), FDT_ERR_STATE);

    fdt_begin(&w, dtb, sizeof dtb);
    fdt_begin_node(&w, "");
    CHECK_EQ(fdt_add_reserve(&w, 0, 0x1000), FDT_ERR_STATE); /* after the first node */

    fdt_begin(&w, dtb, sizeof dtb);
    fdt_begin_node(&w, "");
    fdt_end_node(&w);
    CHECK_EQ(fdt_begin_node(&w, ""), FDT_ERR_STATE); /* a second root */

    fdt_begin(&w, dtb, sizeof dtb);
    fdt_begin_node(&w, "");
    fdt_begin_node(&w, "a");
    fdt_end_node(&w);
    CHECK_EQ(fdt_finish(&w), FDT_ERR_STATE); /* root still open */

    fdt_begin(&w, dtb, sizeof dtb);
    CHECK_EQ(fdt_finish(&w), FDT_ERR_STATE); /* no root at all */

    fdt_begin(&w, dtb, sizeof dtb);
    CHECK_EQ(fdt_begin_node(&w, "root"), FDT_ERR_BADARG); /* the root has no name */

    fdt_begin(&w, dtb, sizeof dtb);
    fdt_begin_node(&w, "");
    CHECK_EQ(fdt_begin_node(&w, ""), FDT_ERR_BADARG); /* other nodes do */

    fdt_begin(&w, dtb, sizeof dtb);
    fdt_begin_node(&w, "");
    CHECK_EQ(fdt_property(&w, "", "x", 1), FDT_ERR_BADARG);
    fdt_begin(&w, dtb, sizeof dtb);
    fdt_begin_node(&w, "");
    CHECK_EQ(fdt_property(&w, "p", NULL, 4), FDT_ERR_BADARG);
    fdt_begin(&w, dtb, sizeof dtb);
    fdt_begin_node(&w, "");
    CHECK_EQ(fdt_property_string(&w, "p", NULL), FDT_ERR_BADARG);

    /* finished: nothing more */
    fdt_begin(&w, dtb, sizeof dtb);
    fdt_begin_node(&w, "");
    fdt_end_node(&w);
    CHECK(fdt_finish(&w) > 0);
    CHECK_EQ(fdt_begin_node(&w, "x"), FDT_ERR_STATE);
    CHECK_EQ(fdt_finish(&w), FDT_ERR_STATE);

    CHECK_EQ(fdt_begin(&w, NULL, 100), FDT_ERR_BADARG);
    CHECK_EQ(fdt_begin(NULL, dtb, 100), FDT_ERR_BADARG);
    CHECK_EQ(fdt_finish(NULL), FDT_ERR_BADARG);
}

TEST(fdt_errors_are_sticky)
{
    uint8_t dtb[512];
    struct fdt_writer w;
    fdt_begin(&w, dtb, sizeof dtb);
    fdt_begin_node(&w, "");
    CHECK_EQ(fdt_end_node(&w), FDT_OK);
    CHECK_EQ(fdt_end_node(&w), FDT_ERR_STATE);
    CHECK_EQ(fdt_begin_node(&w, "x"), FDT_ERR_STATE);
    CHECK_EQ(fdt_property_u32(&w, "a", 1), FDT_ERR_STATE);
    CHECK_EQ(fdt_finish(&w), FDT_ERR_STATE);

    fdt_begin(&w, dtb, 60); /* room for the header and little else */
    fdt_begin_node(&w, "");
    CHECK_EQ(fdt_property_string(&w, "bootargs", "a long command line"), FDT_ERR_NOSPACE);
    CHECK_EQ(fdt_end_node(&w), FDT_ERR_NOSPACE);
    CHECK_EQ(fdt_finish(&w), FDT_ERR_NOSPACE);
}

TEST(fdt_array_and_list_encodings)
{
    uint8_t dtb[512];
    struct fdt_writer w;
    static const char *const list[] = { "ab", "", "c" };
    fdt_begin(&w, dtb, sizeof dtb);
    fdt_begin_node(&w, "");
    fdt_property_u64(&w, "q", 0x1122334455667788ull);
    fdt_property_u32_array(&w, "v", (const uint32_t[]){ 1, 0xdeadbeef }, 2);
    fdt_property_strings(&w, "s", list, 3);
    fdt_property_u32_array(&w, "e", NULL, 0);
    fdt_end_node(&w);
    CHECK(fdt_finish(&w) > 0);
    const uint8_t *p = dtb + hdr(dtb, 2) + 8; /* after BEGIN_NODE "" */
    CHECK_EQ(be32(p), 3);
    CHECK_EQ(be32(p + 4), 8);
    CHECK_EQ(be32(p + 12), 0x11223344);
    CHECK_EQ(be32(p + 16), 0x55667788);
    p += 20;
    CHECK_EQ(be32(p + 4), 8);
    CHECK_EQ(be32(p + 12), 1);
    CHECK_EQ(be32(p + 16), 0xdeadbeef);
    p += 20;
    CHECK_EQ(be32(p + 4), 6); /* "ab\0" "\0" "c\0" */
    CHECK(memcmp(p + 12, "ab\0\0c\0\0\0", 8) == 0); /* padded with zeros */
    p += 20;
    CHECK_EQ(be32(p), 3);
    CHECK_EQ(be32(p + 4), 0);
    CHECK_EQ(be32(p + 12), 2); /* END_NODE */
}

TEST(fdt_reservations_reach_dtc)
{
    static uint8_t dtb[512];
    static char got[4096], want[4096];
    struct fdt_writer w;
    fdt_begin(&w, dtb, sizeof dtb);
    w.boot_cpuid = 1;
    fdt_add_reserve(&w, 0x40000000, 0x1000);
    fdt_add_reserve(&w, 0x1122334455660000ull, 0x20000);
    fdt_begin_node(&w, "");
    fdt_begin_node(&w, "empty@0");
    fdt_end_node(&w);
    fdt_end_node(&w);
    long n = fdt_finish(&w);
    CHECK(n > 0);
    CHECK_EQ(hdr(dtb, 7), 1);
    if (!have_dtc())
        return;
    decompile(dtb, (size_t)n, "rsv", got, sizeof got);
    normalise("/dts-v1/;\n/memreserve/ 0x40000000 0x1000;\n/memreserve/ 0x1122334455660000 0x20000;\n"
              "/ { empty@0 { }; };\n",
              "rsv", want, sizeof want);
    CHECK(strcmp(got, want) == 0);
}
