/* The parts of the ELF64 format that loading a statically linked AArch64
 * program needs: the file header and the program headers. The kernel reads
 * the root task's image with it, the loader each component's. */
#ifndef ICECAP_ELF_H
#define ICECAP_ELF_H

#include <icecap/types.h>

typedef struct ic_elf64_ehdr {
    uint8_t ident[16];
    uint16_t type, machine;
    uint32_t version;
    uint64_t entry, phoff, shoff;
    uint32_t flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
} ic_elf64_ehdr_t;

typedef struct ic_elf64_phdr {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
} ic_elf64_phdr_t;

#define IC_ELF_CLASS64 2
#define IC_ELF_MACHINE_AARCH64 183
#define IC_PT_LOAD 1
#define IC_PF_X 1
#define IC_PF_W 2

#endif
