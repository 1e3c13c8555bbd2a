/* The arm64 Linux boot protocol: see vmm/linux.h. The Image header is
 *
 *   0  u32 code0           8  u64 text_offset    24 u64 flags
 *   4  u32 code1          16  u64 image_size     32..55 reserved
 *  56  u32 magic "ARM\x64"  60  u32 PE header offset
 *
 * all little-endian. flags: bit 0 big-endian kernel, bits 1-2 page size
 * (0 unspecified, 1 4K, 2 16K, 3 64K), bit 3 placement (1: anywhere). */
#include <vmm/linux.h>

static uint64_t le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = n; i-- > 0;)
        v = v << 8 | p[i];
    return v;
}

/* Rounds up to a power-of-two alignment; false on overflow. */
static bool align_up(uint64_t v, uint64_t a, uint64_t *out)
{
    if (v > UINT64_MAX - (a - 1))
        return false;
    *out = (v + a - 1) & ~(a - 1);
    return true;
}

static bool add(uint64_t a, uint64_t b, uint64_t *out)
{
    return !__builtin_add_overflow(a, b, out);
}

int linux_parse_image(const void *image, size_t file_size, struct linux_image *out)
{
    if (!image || !out)
        return LINUX_ERR_BAD_ARG;
    *out = (struct linux_image){ 0 };
    const uint8_t *h = image;
    /* file_size 0 means "unknown", else it bounds what we may read */
    if (file_size && file_size < LINUX_HEADER_SIZE)
        return LINUX_ERR_SHORT;
    if (le(h + 56, 4) != LINUX_IMAGE_MAGIC)
        return LINUX_ERR_MAGIC;
    struct linux_image img = {
        .text_offset = le(h + 8, 8),
        .image_size = le(h + 16, 8),
        .flags = le(h + 24, 8),
    };
    if (img.flags & 1)
        return LINUX_ERR_BIG_ENDIAN;
    if (img.image_size == 0)
        return LINUX_ERR_NO_SIZE;
    uint64_t end;
    if (!add(img.text_offset, img.image_size, &end) || end > UINT64_MAX - LINUX_ALIGN ||
        file_size > img.image_size)
        return LINUX_ERR_BAD_HEADER;
    static const unsigned page_sizes[4] = { 0, 4096, 16384, 65536 };
    img.page_size = page_sizes[(img.flags >> 1) & 3];
    img.anywhere = (img.flags >> 3) & 1;
    *out = img;
    return LINUX_OK;
}

int linux_plan(const struct linux_image *img, uint64_t ram_base, uint64_t ram_size, uint64_t initrd_size,
               struct linux_layout *out)
{
    if (!img || !out)
        return LINUX_ERR_BAD_ARG;
    *out = (struct linux_layout){ 0 };
    uint64_t ram_end, base, kernel, kernel_end, dtb, dtb_end, initrd_end;
    if (!add(ram_base, ram_size, &ram_end))
        return LINUX_ERR_BAD_ARG;
    /* Even an "anywhere" kernel goes low: nothing is gained by wasting RAM
     * below it, and the initrd then stays in the kernel's window. */
    if (!align_up(ram_base, LINUX_ALIGN, &base) || !add(base, img->text_offset, &kernel) ||
        !add(kernel, img->image_size, &kernel_end) || !align_up(kernel_end, LINUX_ALIGN, &dtb) ||
        !add(dtb, LINUX_DTB_MAX, &dtb_end) || !add(dtb_end, initrd_size, &initrd_end))
        return LINUX_ERR_NO_ROOM;
    if (initrd_end > ram_end)
        return LINUX_ERR_NO_ROOM;
    *out = (struct linux_layout){
        .kernel = kernel,
        .kernel_end = kernel_end,
        .dtb = dtb,
        .initrd = initrd_size ? dtb_end : 0,
        .initrd_end = initrd_size ? initrd_end : 0,
        .end = initrd_end,
    };
    return LINUX_OK;
}

void linux_boot_regs(const struct linux_layout *l, struct linux_regs *r)
{
    if (!r)
        return;
    *r = (struct linux_regs){ .pstate = LINUX_BOOT_PSTATE, .sctlr_el1 = LINUX_BOOT_SCTLR_EL1 };
    if (!l)
        return;
    r->x[0] = l->dtb;
    r->pc = l->kernel;
}
