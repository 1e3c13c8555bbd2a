/* The arm64 Linux boot protocol (Documentation/arch/arm64/booting.rst):
 * the Image header, where to put the Image, the DTB and the initrd in guest
 * RAM, and the registers the boot vCPU starts with.
 *
 * Layout chosen by linux_plan (all inside guest RAM):
 *
 *   base = RAM start rounded up to 2 MiB
 *   base + text_offset          the Image (image_size bytes, BSS included)
 *   next 2 MiB boundary         the DTB: a whole 2 MiB slot of its own, so
 *                               its size never moves anything else and it
 *                               shares no 2 MiB block with other data
 *   2 MiB after that            the initrd (if any), close to the kernel:
 *                               it must sit in the same 1 GiB-aligned,
 *                               at most 32 GiB window as the Image
 *
 * Freestanding: no libc. */
#ifndef VMM_LINUX_H
#define VMM_LINUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <icecap/arch/aarch64.h>

#define LINUX_IMAGE_MAGIC 0x644d5241u        /* "ARM\x64", little-endian at offset 56 */
#define LINUX_HEADER_SIZE 64u
#define LINUX_ALIGN (2ull << 20)             /* the Image's base: 2 MiB aligned */
#define LINUX_DTB_MAX (2ull << 20)           /* a DTB must not exceed 2 MiB */
/* The boot protocol's entry state: EL1h with D, A, I, F masked; SCTLR_EL1
 * with only its RES1 bits (MMU and caches off, little-endian). */
#define LINUX_BOOT_PSTATE AARCH64_SPSR_EL1H_MASKED
#define LINUX_BOOT_SCTLR_EL1 AARCH64_SCTLR_EL1_RES1

enum linux_err {
    LINUX_OK = 0,
    LINUX_ERR_SHORT = -1,      /* fewer than 64 bytes */
    LINUX_ERR_MAGIC = -2,      /* not an arm64 Image */
    LINUX_ERR_BIG_ENDIAN = -3, /* flags bit 0: a big-endian kernel */
    LINUX_ERR_NO_SIZE = -4,    /* image_size 0: a pre-3.17 kernel, not supported */
    LINUX_ERR_BAD_HEADER = -5, /* the file is bigger than image_size, or sizes overflow */
    LINUX_ERR_NO_ROOM = -6,    /* Image + DTB slot + initrd do not fit in guest RAM */
    LINUX_ERR_BAD_ARG = -7,
};

struct linux_image {
    uint64_t text_offset; /* load offset from a 2 MiB aligned base */
    uint64_t image_size;  /* bytes the kernel occupies from there, BSS included */
    uint64_t flags;
    unsigned page_size;   /* 4096, 16384, 65536, or 0 if unspecified */
    bool anywhere;        /* flags bit 3: the base may be anywhere in RAM,
                             not only as low as possible */
};

struct linux_layout {
    uint64_t kernel;      /* load address of the Image = entry point */
    uint64_t kernel_end;  /* kernel + image_size */
    uint64_t dtb;         /* the DTB's address (2 MiB aligned) */
    uint64_t initrd;      /* the initrd's address, initrd_end - initrd bytes */
    uint64_t initrd_end;  /* (linux,initrd-start / -end in /chosen) */
    uint64_t end;         /* first byte after everything */
};

struct linux_regs {
    uint64_t x[4];        /* x0 = DTB address, x1..x3 = 0 */
    uint64_t pc;
    uint64_t pstate;      /* LINUX_BOOT_PSTATE */
    uint64_t sctlr_el1;   /* LINUX_BOOT_SCTLR_EL1 */
};

/* Parses and checks the header at the start of an Image of file_size bytes
 * (file_size may be 0 if unknown: then only the 64 bytes are checked). */
int linux_parse_image(const void *image, size_t file_size, struct linux_image *out);

/* Places the Image, the DTB slot and an initrd of initrd_size bytes (0: no
 * initrd) in guest RAM [ram_base, ram_base + ram_size). */
int linux_plan(const struct linux_image *img, uint64_t ram_base, uint64_t ram_size, uint64_t initrd_size,
               struct linux_layout *out);

/* The boot vCPU's registers for a layout. */
void linux_boot_regs(const struct linux_layout *l, struct linux_regs *r);

#endif
