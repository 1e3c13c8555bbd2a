/* The loader's checks of a component's ELF image (components/loader/image_check.c):
 * a well-formed image passes, and each kind of damage is refused in words. */
#include "harness.h"
#include "image_check.h"
#include <string.h>

#define FILE_SIZE (4 * 4096)

static union {
    unsigned char bytes[FILE_SIZE];
    ic_elf64_ehdr_t eh;
} f;
static ic_elf64_phdr_t *ph;
static ic_elf64_phdr_t out[8];
static unsigned count;
static uint64_t entry;

/* An image as lib/icecap/user.ld lays it out: text at 0x400000 from file
 * offset 0x1000, rodata on the next page, then data and bss. */
static void make_image(void)
{
    memset(&f, 0, sizeof(f));
    memcpy(f.eh.ident, "\177ELF", 4);
    f.eh.ident[4] = IC_ELF_CLASS64;
    f.eh.machine = IC_ELF_MACHINE_AARCH64;
    f.eh.phentsize = sizeof(ic_elf64_phdr_t);
    f.eh.phoff = sizeof(ic_elf64_ehdr_t);
    f.eh.phnum = 3;
    f.eh.entry = 0x400000;
    ph = (ic_elf64_phdr_t *)(f.bytes + f.eh.phoff);
    ph[0] = (ic_elf64_phdr_t){ .type = IC_PT_LOAD, .flags = IC_PF_X | 4, .offset = 0x1000, .vaddr = 0x400000,
                               .filesz = 0x800, .memsz = 0x800 };
    ph[1] = (ic_elf64_phdr_t){ .type = IC_PT_LOAD, .flags = 4, .offset = 0x2000, .vaddr = 0x401000,
                               .filesz = 0x1000, .memsz = 0x1000 };
    ph[2] = (ic_elf64_phdr_t){ .type = IC_PT_LOAD, .flags = IC_PF_W | 4, .offset = 0x3000, .vaddr = 0x402000,
                               .filesz = 0x10, .memsz = 0x12000 };
}

static const char *check(size_t size)
{
    return loader_check_image(f.bytes, size, out, 8, &count, &entry);
}

static bool refused_for(const char *words)
{
    const char *why = check(FILE_SIZE);
    return why && strstr(why, words);
}

TEST(loader_accepts_a_well_formed_image)
{
    make_image();
    CHECK(check(FILE_SIZE) == NULL);
    CHECK_EQ(count, 3);
    CHECK_EQ(entry, 0x400000);
    CHECK_EQ(out[2].memsz, 0x12000);
    /* segments that are not loaded, or empty, are skipped */
    f.eh.phnum = 4;
    ph[3] = (ic_elf64_phdr_t){ .type = 4 /* a note */, .offset = 0xffffff, .filesz = 0x1000 };
    CHECK(check(FILE_SIZE) == NULL);
    ph[3] = (ic_elf64_phdr_t){ .type = IC_PT_LOAD, .vaddr = 0x7000000, .memsz = 0 };
    CHECK(check(FILE_SIZE) == NULL);
}

TEST(loader_refuses_what_is_not_an_aarch64_elf64_file)
{
    make_image();
    CHECK(strstr(check(sizeof(ic_elf64_ehdr_t) - 1), "shorter"));
    make_image();
    f.eh.ident[1] = 'X';
    CHECK(refused_for("not an ELF64"));
    make_image();
    f.eh.ident[4] = 1; /* 32-bit */
    CHECK(refused_for("not an ELF64"));
    make_image();
    f.eh.machine = 62; /* x86-64 */
    CHECK(refused_for("AArch64"));
    make_image();
    f.eh.phentsize = 32;
    CHECK(refused_for("unknown size"));
}

TEST(loader_refuses_program_headers_it_cannot_read)
{
    make_image();
    f.eh.phnum = 9;
    CHECK(refused_for("too many"));
    make_image();
    f.eh.phoff = FILE_SIZE - 8;
    CHECK(refused_for("outside the file"));
    make_image();
    f.eh.phoff = ~0ull - 8; /* offset + size would wrap */
    CHECK(refused_for("outside the file"));
}

TEST(loader_refuses_segments_outside_the_file_or_misplaced)
{
    make_image();
    ph[1].filesz = FILE_SIZE;
    ph[1].memsz = FILE_SIZE;
    CHECK(refused_for("outside the file"));
    make_image();
    ph[1].offset = ~0ull - 0x10; /* offset + filesz would wrap */
    CHECK(refused_for("outside the file"));
    make_image();
    ph[2].filesz = 0x20;
    ph[2].memsz = 0x10;
    CHECK(refused_for("larger in the file"));
    make_image();
    ph[1].vaddr += 8;
    CHECK(refused_for("differ within a page"));
    make_image();
    ph[2].vaddr = ~0ull & ~0xfffull;
    ph[2].offset = 0x3000;
    CHECK(refused_for("beyond the address space"));
    make_image();
    ph[2].vaddr = 1ull << 39;
    CHECK(refused_for("beyond the address space"));
}

TEST(loader_refuses_gaps_disorder_and_a_stray_entry)
{
    make_image();
    ph[1].vaddr += 0x1000; /* a page missing between text and rodata */
    ph[1].offset += 0x1000;
    ph[1].filesz = ph[1].memsz = 0x10;
    CHECK(refused_for("follow each other"));
    make_image();
    ic_elf64_phdr_t t = ph[0];
    ph[0] = ph[1];
    ph[1] = t;
    CHECK(refused_for("follow each other"));
    make_image();
    f.eh.phnum = 0;
    CHECK(refused_for("no loadable segment"));
    make_image();
    f.eh.entry = 0x401000; /* rodata, not executable */
    CHECK(refused_for("entry point"));
    make_image();
    f.eh.entry = 0x400800; /* just past the text */
    CHECK(refused_for("entry point"));
}
