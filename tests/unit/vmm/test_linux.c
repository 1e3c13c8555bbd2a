/* The arm64 Linux boot protocol (lib/vmm/linux.c). */
#include "harness.h"
#include <vmm/linux.h>
#include <stddef.h>
#include <string.h>

#define MiB (1ull << 20)
#define GiB (1ull << 30)

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* An Image header as a modern kernel has it: text_offset 0, 4K pages,
 * placement anywhere. */
static void make_header(uint8_t h[64], uint64_t text_offset, uint64_t image_size, uint64_t flags)
{
    memset(h, 0, 64);
    put_le(h + 0, 0xfa405a4d, 4); /* "MZ" + a branch, as in an EFI-stub Image */
    put_le(h + 4, 0x14f0c000, 4);
    put_le(h + 8, text_offset, 8);
    put_le(h + 16, image_size, 8);
    put_le(h + 24, flags, 8);
    memcpy(h + 56, "ARM\x64", 4);
    put_le(h + 60, 0x40, 4);
}

TEST(linux_parses_a_modern_header)
{
    uint8_t h[64];
    struct linux_image img;
    make_header(h, 0, 0x2c50000, 0xa); /* 4K pages (1 << 1), anywhere (1 << 3) */
    CHECK_EQ(linux_parse_image(h, 0x2000000, &img), LINUX_OK);
    CHECK_EQ(img.text_offset, 0);
    CHECK_EQ(img.image_size, 0x2c50000);
    CHECK_EQ(img.page_size, 4096);
    CHECK(img.anywhere);
    make_header(h, 0x80000, 0x1000000, 0x4); /* 16K pages, low placement */
    CHECK_EQ(linux_parse_image(h, 64, &img), LINUX_OK);
    CHECK_EQ(img.text_offset, 0x80000);
    CHECK_EQ(img.page_size, 16384);
    CHECK(!img.anywhere);
    make_header(h, 0, 0x1000000, 0x6); /* 64K */
    CHECK_EQ(linux_parse_image(h, 0, &img), LINUX_OK);
    CHECK_EQ(img.page_size, 65536);
    make_header(h, 0, 0x1000000, 0);
    CHECK_EQ(linux_parse_image(h, 0, &img), LINUX_OK);
    CHECK_EQ(img.page_size, 0); /* unspecified */
}

TEST(linux_rejects_bad_headers)
{
    uint8_t h[64];
    struct linux_image img;
    make_header(h, 0, 0x1000000, 0xa);
    CHECK_EQ(linux_parse_image(h, 63, &img), LINUX_ERR_SHORT);
    h[56] = 'B';
    CHECK_EQ(linux_parse_image(h, 64, &img), LINUX_ERR_MAGIC);
    make_header(h, 0, 0x1000000, 0xb); /* big-endian */
    CHECK_EQ(linux_parse_image(h, 64, &img), LINUX_ERR_BIG_ENDIAN);
    make_header(h, 0x80000, 0, 0); /* pre-3.17: no image_size */
    CHECK_EQ(linux_parse_image(h, 64, &img), LINUX_ERR_NO_SIZE);
    make_header(h, 0, 0x1000000, 0);
    CHECK_EQ(linux_parse_image(h, 0x1000001, &img), LINUX_ERR_BAD_HEADER); /* file larger than the image */
    make_header(h, ~0ull - 0x1000, 0x2000, 0);
    CHECK_EQ(linux_parse_image(h, 64, &img), LINUX_ERR_BAD_HEADER); /* wraps around */
    CHECK_EQ(img.image_size, 0); /* zeroed on error */
    CHECK_EQ(linux_parse_image(NULL, 64, &img), LINUX_ERR_BAD_ARG);
    CHECK_EQ(linux_parse_image(h, 64, NULL), LINUX_ERR_BAD_ARG);
}

TEST(linux_plan_places_kernel_dtb_and_initrd)
{
    uint8_t h[64];
    struct linux_image img;
    struct linux_layout l;
    make_header(h, 0, 0x2c50000, 0xa);
    CHECK_EQ(linux_parse_image(h, 0, &img), LINUX_OK);
    CHECK_EQ(linux_plan(&img, 0x40000000, 1 * GiB, 0x123456, &l), LINUX_OK);
    CHECK_EQ(l.kernel, 0x40000000);
    CHECK_EQ(l.kernel_end, 0x42c50000);
    CHECK_EQ(l.dtb, 0x42e00000);               /* next 2 MiB boundary */
    CHECK_EQ(l.initrd, 0x43000000);            /* after the DTB's 2 MiB slot */
    CHECK_EQ(l.initrd_end, 0x43000000 + 0x123456);
    CHECK_EQ(l.end, l.initrd_end);
    CHECK_EQ(l.dtb % 8, 0);
    CHECK(l.dtb >= l.kernel_end && l.dtb + LINUX_DTB_MAX <= l.initrd);
}

TEST(linux_plan_aligns_and_applies_text_offset)
{
    uint8_t h[64];
    struct linux_image img;
    struct linux_layout l;
    make_header(h, 0x80000, 0x1000000, 0x2);
    linux_parse_image(h, 0, &img);
    /* RAM starting off a 2 MiB boundary */
    CHECK_EQ(linux_plan(&img, 0x40001000, 256 * MiB, 0, &l), LINUX_OK);
    CHECK_EQ(l.kernel, 0x40200000 + 0x80000);
    CHECK_EQ(l.kernel_end, 0x41280000);
    CHECK_EQ(l.dtb, 0x41400000);
    CHECK_EQ(l.initrd, 0); /* no initrd */
    CHECK_EQ(l.initrd_end, 0);
    CHECK_EQ(l.end, 0x41600000);
}

TEST(linux_plan_needs_room)
{
    uint8_t h[64];
    struct linux_image img;
    struct linux_layout l;
    make_header(h, 0, 0x1000000, 0);
    linux_parse_image(h, 0, &img);
    /* 16 MiB kernel + 2 MiB DTB slot = exactly 18 MiB */
    CHECK_EQ(linux_plan(&img, 0x40000000, 18 * MiB, 0, &l), LINUX_OK);
    CHECK_EQ(linux_plan(&img, 0x40000000, 18 * MiB - 1, 0, &l), LINUX_ERR_NO_ROOM);
    CHECK_EQ(l.kernel, 0); /* zeroed on error */
    CHECK_EQ(linux_plan(&img, 0x40000000, 18 * MiB, 1, &l), LINUX_ERR_NO_ROOM);
    CHECK_EQ(linux_plan(&img, 0x40000001, 18 * MiB, 0, &l), LINUX_ERR_NO_ROOM); /* alignment costs 2 MiB */
    CHECK_EQ(linux_plan(&img, 0x40000000, 0, 0, &l), LINUX_ERR_NO_ROOM);
    /* near the top of the address space: no wrap-around */
    CHECK_EQ(linux_plan(&img, ~0ull - 4 * MiB, 4 * MiB, 0, &l), LINUX_ERR_NO_ROOM);
    CHECK_EQ(linux_plan(&img, ~0ull - 64 * MiB, 64 * MiB, ~0ull, &l), LINUX_ERR_NO_ROOM);
    CHECK_EQ(linux_plan(&img, 1ull << 63, 1ull << 63, 0, &l), LINUX_ERR_BAD_ARG); /* RAM wraps */
    CHECK_EQ(linux_plan(NULL, 0, 1 * GiB, 0, &l), LINUX_ERR_BAD_ARG);
}

TEST(linux_boot_registers)
{
    struct linux_layout l = { .kernel = 0x40200000, .dtb = 0x42e00000 };
    struct linux_regs r;
    memset(&r, 0xff, sizeof r);
    linux_boot_regs(&l, &r);
    CHECK_EQ(r.x[0], 0x42e00000);
    CHECK_EQ(r.x[1], 0);
    CHECK_EQ(r.x[2], 0);
    CHECK_EQ(r.x[3], 0);
    CHECK_EQ(r.pc, 0x40200000);
    CHECK_EQ(r.pstate, 0x3c5); /* EL1h with D, A, I, F set */
    CHECK_EQ(r.pstate & 0xf, 0x5);
    CHECK_EQ((r.pstate >> 6) & 0xf, 0xf);
    CHECK_EQ(r.sctlr_el1 & 1, 0);        /* MMU off */
    CHECK_EQ(r.sctlr_el1 & (1 << 2), 0); /* D-cache off */
    CHECK_EQ(r.sctlr_el1 & (1 << 25), 0); /* little-endian */
    linux_boot_regs(NULL, &r);
    CHECK_EQ(r.pc, 0);
    linux_boot_regs(&l, NULL);
}

/* The first 64 bytes of Debian's vmlinuz-6.1.0-56-arm64 (an uncompressed
 * Image of 32956352 bytes). */
TEST(linux_parses_debian_6_1_header)
{
    static const uint8_t h[64] = {
        0x4d, 0x5a, 0x40, 0xfa, 0x56, 0xa3, 0x59, 0x14, 0, 0, 0, 0, 0, 0, 0, 0,
        0x00, 0x00, 0x01, 0x02, 0, 0, 0, 0, 0x0a, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0x41, 0x52, 0x4d, 0x64, 0x40, 0, 0, 0,
    };
    struct linux_image img;
    struct linux_layout l;
    CHECK_EQ(linux_parse_image(h, 32956352, &img), LINUX_OK);
    CHECK_EQ(img.text_offset, 0);
    CHECK_EQ(img.image_size, 0x2010000);
    CHECK_EQ(img.page_size, 4096);
    CHECK(img.anywhere);
    CHECK_EQ(linux_plan(&img, 0x40000000, 512 * MiB, 8 * MiB, &l), LINUX_OK);
    CHECK_EQ(l.kernel, 0x40000000);
    CHECK_EQ(l.dtb, 0x42200000);
    CHECK_EQ(l.initrd, 0x42400000);
}
