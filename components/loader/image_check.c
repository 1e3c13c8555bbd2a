/* The loader's checks of a component's ELF image: everything the loading
 * loop in main.c relies on is decided here, before any page moves. */
#include "image_check.h"

/* The loader links against libicecap's string functions, the host tests
 * against libc: both have memcmp and memcpy. */
int memcmp(const void *a, const void *b, size_t n);
void *memcpy(void *restrict d, const void *restrict s, size_t n);

const char *loader_check_image(const void *file, size_t size, ic_elf64_phdr_t *ph, unsigned max, unsigned *count,
                               uint64_t *entry)
{
    const ic_elf64_ehdr_t *eh = file;
    if (size < sizeof(*eh))
        return "shorter than an ELF header";
    if (memcmp(eh->ident, "\177ELF", 4) || eh->ident[4] != IC_ELF_CLASS64)
        return "not an ELF64 file";
    if (eh->machine != IC_ELF_MACHINE_AARCH64)
        return "not for AArch64";
    if (eh->phentsize != sizeof(ic_elf64_phdr_t))
        return "program headers of an unknown size";
    if (eh->phnum > max)
        return "too many program headers";
    if (eh->phoff > size || (uint64_t)eh->phnum * sizeof(ic_elf64_phdr_t) > size - eh->phoff)
        return "program headers outside the file";
    memcpy(ph, (const char *)file + eh->phoff, eh->phnum * sizeof(ph[0]));
    uint64_t end = 0;
    bool entry_ok = false;
    for (unsigned i = 0; i < eh->phnum; i++) {
        const ic_elf64_phdr_t *p = &ph[i];
        if (p->type != IC_PT_LOAD || p->memsz == 0)
            continue;
        if (p->offset > size || p->filesz > size - p->offset)
            return "a segment outside the file";
        if (p->filesz > p->memsz)
            return "a segment larger in the file than in memory";
        if ((p->offset ^ p->vaddr) & (LOADER_PAGE - 1))
            return "a segment whose offset and address differ within a page";
        if (p->vaddr + p->memsz < p->vaddr || p->vaddr + p->memsz > (1ull << 39) - 2 * LOADER_PAGE)
            return "a segment beyond the address space";
        uint64_t start = p->vaddr & ~(LOADER_PAGE - 1);
        uint64_t seg_end = (p->vaddr + p->memsz + LOADER_PAGE - 1) & ~(LOADER_PAGE - 1);
        if (end && start != end)
            return "segments that do not follow each other page by page";
        end = seg_end;
        if ((p->flags & IC_PF_X) && eh->entry >= p->vaddr && eh->entry < p->vaddr + p->memsz)
            entry_ok = true;
    }
    if (!end)
        return "no loadable segment";
    if (!entry_ok)
        return "an entry point outside the executable segments";
    *count = eh->phnum;
    *entry = eh->entry;
    return NULL;
}
