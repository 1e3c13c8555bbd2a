/* The loader's checks of a component's ELF image (image_check.c), apart so
 * that the build machine can test them. */
#ifndef LOADER_IMAGE_CHECK_H
#define LOADER_IMAGE_CHECK_H

#include <icecap/elf.h>

#define LOADER_PAGE 4096ull

/* Whether 'file' (size bytes) is an image the loader can load: an AArch64
 * ELF64 file whose loadable segments lie inside it, with offsets and
 * addresses equal modulo the page size, and follow each other page by page
 * in address order, the entry point inside an executable one. Returns NULL
 * if so, with its first 'max' program headers in ph[], their number in
 * *count and the entry point in *entry; otherwise what is wrong, in words. */
const char *loader_check_image(const void *file, size_t size, ic_elf64_phdr_t *ph, unsigned max, unsigned *count,
                               uint64_t *entry);

#endif
