/* realmspec: compiles a realm description (docs/realm-spec.md) into a realm
 * spec, runs the resource server's checker (lib/realmspec) on it, and only
 * then writes it. Every mistake is "file:line: what is wrong", the exit
 * status is 1 and no output file is left behind.
 *
 *   realmspec DESCRIPTION OUTPUT     compile
 *   realmspec --check SPEC           check a spec, print its measurement
 *
 * The guest's kernel and initramfs are placed by lib/vmm/linux.c, the same
 * code the host VMM uses. */
#include <errno.h>
#include <icecap/elf.h>
#include <icecap/objects.h>
#include <realmspec/realmspec.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <vmm/linux.h>
#include "../desc.h"

#define PAGE 0x1000ull
#define MIB2 0x200000ull
#define GIB 0x40000000ull
#define GUEST_RAM_BASE 0x40000000ull   /* as on QEMU's virt board */
#define GUEST_RAM_MAX (64ull << 30)
#define MAX_VCPUS IC_MAX_CPUS
#define VMM_CNODE_RADIX 8
#define VMM_STACK_PAGES 16
#define CONSOLE_BYTES PAGE
#define BOOTARGS_MAX 1024
#define NAME_MAX_LEN (REALM_SPEC_NAME_SIZE - 1)
#define DEFAULT_PRIORITY 100

/* The realm VMM's CNode (docs/realm-spec.md, "What the compiler builds") */
enum { SLOT_CNODE = 1, SLOT_VSPACE, SLOT_TCB, SLOT_FAULT_EP, SLOT_NTFN, SLOT_GUEST_VSPACE, SLOT_CONSOLE,
       SLOT_GUEST_TCB0 = 16 /* then the VCPU at 17, two slots per vCPU */ };
/* The boot information page the realm VMM gets in x0 */
#define BOOTINFO_MAGIC "ICRBOOT1"


/* ---- the description */

struct desc {
    char name[NAME_MAX_LEN + 1];
    int realm_line;
    uint64_t memory, vcpus, priority;
    char *kernel, *initramfs, *vmm;
    char bootargs[BOOTARGS_MAX];
    bool console;
    int line_of[8]; /* where each keyword was given: 0 = not yet */
};
enum { K_MEMORY, K_VCPUS, K_KERNEL, K_INITRAMFS, K_BOOTARGS, K_VMM, K_CONSOLE, K_PRIORITY };
static const char *const keywords[] = { "memory", "vcpus", "kernel", "initramfs", "bootargs", "vmm", "console",
                                        "priority", NULL };


static char *path_near(const char *desc, const char *p)
{
    const char *slash = strrchr(desc, '/');
    size_t dir = (p[0] == '/' || !slash) ? 0 : (size_t)(slash - desc + 1);
    char *out = malloc(dir + strlen(p) + 1);
    if (!out)
        exit(1);
    memcpy(out, desc, dir);
    strcpy(out + dir, p);
    return out;
}

/* bootargs "text": one quoted string, no quote or backslash inside */
static void parse_bootargs(struct desc *d, const char *arg, int line)
{
    size_t n = strlen(arg);
    if (n < 2 || arg[0] != '"' || arg[n - 1] != '"' || memchr(arg + 1, '"', n - 2) || memchr(arg + 1, '\\', n - 2))
        desc_error(line, "bootargs must be one string in double quotes, without quotes or backslashes inside");
    else if (n - 2 >= BOOTARGS_MAX)
        desc_error(line, "bootargs longer than %d characters", BOOTARGS_MAX - 1);
    else
        memcpy(d->bootargs, arg + 1, n - 2), d->bootargs[n - 2] = 0;
}

static void parse_setting(struct desc *d, int k, const char *arg, int line)
{
    if (d->line_of[k]) {
        desc_error(line, "%s given twice (first at line %d)", keywords[k], d->line_of[k]);
        return;
    }
    d->line_of[k] = line;
    if (k == K_CONSOLE) {
        if (*arg)
            desc_error(line, "console takes no value");
        d->console = true;
        return;
    }
    if (!*arg) {
        desc_error(line, "%s needs a value", keywords[k]);
        return;
    }
    switch (k) {
    case K_MEMORY:
        if (!desc_parse_size(arg, &d->memory))
            desc_error(line, "bad size '%s' (a number, optionally with K, M or G)", arg);
        else if (!d->memory || d->memory % MIB2)
            desc_error(line, "memory must be a non-zero multiple of 2M");
        else if (d->memory > GUEST_RAM_MAX)
            desc_error(line, "memory above the maximum of 64G");
        break;
    case K_VCPUS:
        if (!desc_parse_size(arg, &d->vcpus) || d->vcpus < 1 || d->vcpus > MAX_VCPUS)
            desc_error(line, "vcpus must be between 1 and %d", MAX_VCPUS);
        break;
    case K_PRIORITY:
        if (!desc_parse_size(arg, &d->priority) || d->priority < 1 || d->priority > 254)
            desc_error(line, "priority must be between 1 and 254");
        break;
    case K_BOOTARGS:
        parse_bootargs(d, arg, line);
        break;
    default: /* the paths */
        *(k == K_KERNEL ? &d->kernel : k == K_INITRAMFS ? &d->initramfs : &d->vmm) = path_near(desc_file, arg);
    }
}

static bool name_ok(const char *s)
{
    if (!*s || strlen(s) > NAME_MAX_LEN)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
            return false;
    return true;
}

static void parse_line(struct desc *d, char *s, int line)
{
    char *end = s + strlen(s);
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n'))
        *--end = 0;
    while (*s == ' ' || *s == '\t')
        s++;
    if (!*s || *s == '#')
        return;
    char *arg = s + strcspn(s, " \t");
    if (*arg)
        *arg++ = 0;
    while (*arg == ' ' || *arg == '\t')
        arg++;
    if (!strcmp(s, "realm")) {
        if (d->realm_line)
            desc_error(line, "a second realm (one realm per description, the first at line %d)", d->realm_line);
        else if (!name_ok(arg))
            desc_error(line, "bad realm name '%s' (1 to %d of a-z, 0-9, - and _)", arg, NAME_MAX_LEN);
        else
            strcpy(d->name, arg);
        d->realm_line = d->realm_line ? d->realm_line : line;
        return;
    }
    for (int k = 0; keywords[k]; k++) {
        if (!strcmp(s, keywords[k])) {
            if (!d->realm_line)
                desc_error(line, "%s before the realm line", s);
            else
                parse_setting(d, k, arg, line);
            return;
        }
    }
    desc_error(line, "unknown keyword '%s'", s);
}

static void parse(struct desc *d)
{
    FILE *f = fopen(desc_file, "r");
    if (!f) {
        fprintf(stderr, "%s: cannot open: %s\n", desc_file, strerror(errno));
        exit(1);
    }
    char buf[4096];
    int line = 0;
    while (fgets(buf, sizeof buf, f)) {
        line++;
        if (!strchr(buf, '\n') && !feof(f)) {
            desc_error(line, "line too long");
            break;
        }
        parse_line(d, buf, line);
    }
    fclose(f);
    if (!d->realm_line) {
        desc_error(line ? line : 1, "no realm line ('realm NAME')");
        return;
    }
    static const int required[] = { K_MEMORY, K_VCPUS, K_KERNEL, K_VMM };
    for (unsigned i = 0; i < sizeof required / sizeof required[0]; i++)
        if (!d->line_of[required[i]])
            desc_error(d->realm_line, "realm %s has no %s line", d->name, keywords[required[i]]);
    if (!d->line_of[K_PRIORITY])
        d->priority = DEFAULT_PRIORITY;
}

/* ---- the spec being built */

struct frame_map { uint32_t vspace, object; uint64_t address; uint8_t rights, attr; };

static struct {
    struct rs_object *obj; uint32_t n_obj;
    struct rs_cap *cap; uint32_t n_cap;
    struct frame_map *fm; uint32_t n_fm;
    struct rs_mapping *map; uint32_t n_map;
    struct rs_tcb *tcb; uint32_t n_tcb;
    struct rs_connection conn[1]; uint32_t n_conn;
    struct rs_chunk *chunk; const void **data; uint32_t n_chunk;
} s;

static uint32_t object(uint8_t type, uint8_t bits)
{
    s.obj = desc_grow(s.obj, s.n_obj, sizeof *s.obj);
    s.obj[s.n_obj] = (struct rs_object){ type, bits };
    return s.n_obj++;
}

static void cap(uint32_t slot, uint32_t obj, uint16_t rights, uint64_t badge)
{
    s.cap = desc_grow(s.cap, s.n_cap, sizeof *s.cap);
    s.cap[s.n_cap++] = (struct rs_cap){ 0 /* the VMM's CNode is object 0 */, slot, obj, rights, badge };
}

static void map_frame(uint32_t vspace, uint32_t frame, uint64_t address, uint8_t rights)
{
    s.fm = desc_grow(s.fm, s.n_fm, sizeof *s.fm);
    s.fm[s.n_fm++] = (struct frame_map){ vspace, frame, address, rights, IC_ATTR_CACHED };
}

/* Chunks for the non-zero 4K pieces of len bytes at offset in a frame. */
static void content(uint32_t frame, uint64_t offset, const uint8_t *bytes, uint64_t len)
{
    uint64_t at = 0;
    while (at < len) {
        uint64_t piece = PAGE - (offset + at) % PAGE;
        piece = piece < len - at ? piece : len - at;
        bool nonzero = false;
        for (uint64_t i = 0; i < piece && !nonzero; i++)
            nonzero = bytes[at + i] != 0;
        if (nonzero) {
            struct rs_chunk *last = s.n_chunk ? &s.chunk[s.n_chunk - 1] : NULL;
            if (last && last->frame == frame && last->offset + last->length == offset + at &&
                (const uint8_t *)s.data[s.n_chunk - 1] + last->length == bytes + at) {
                last->length += piece;
            } else {
                s.chunk = desc_grow(s.chunk, s.n_chunk, sizeof *s.chunk);
                s.data = desc_grow(s.data, s.n_chunk, sizeof *s.data);
                s.chunk[s.n_chunk] = (struct rs_chunk){ .frame = frame, .offset = offset + at, .length = piece };
                s.data[s.n_chunk++] = bytes + at;
            }
        }
        at += piece;
    }
}

static uint8_t *read_file(const char *path, int line, const char *what, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        desc_error(line, "%s file not found: %s (%s)", what, path, strerror(errno));
        return NULL;
    }
    uint8_t *buf = NULL;
    size_t n = 0, cap_ = 0, got;
    do {
        if (n == cap_) {
            cap_ = cap_ ? 2 * cap_ : 65536;
            uint8_t *b = realloc(buf, cap_);
            if (!b)
                exit(1);
            buf = b;
        }
        got = fread(buf + n, 1, cap_ - n, f);
        n += got;
    } while (got);
    fclose(f);
    *len = n;
    return buf;
}

/* ---- the realm VMM: its ELF's PT_LOAD segments as 4K frames */

static uint64_t rd(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = n; i-- > 0;)
        v = v << 8 | p[i];
    return v;
}

static bool load_vmm(const uint8_t *elf, size_t len, uint32_t vspace, int line, uint64_t *entry, uint64_t *end)
{
    if (len < 64 || memcmp(elf, "\x7f" "ELF", 4) || elf[4] != IC_ELF_CLASS64 || elf[5] != 1 ||
        rd(elf + 18, 2) != IC_ELF_MACHINE_AARCH64 || rd(elf + 54, 2) != sizeof(ic_elf64_phdr_t)) {
        desc_error(line, "vmm is not a little-endian AArch64 ELF64 file");
        return false;
    }
    uint64_t phoff = rd(elf + 32, 8), phnum = rd(elf + 56, 2);
    if (phoff > len || phnum * sizeof(ic_elf64_phdr_t) > len - phoff) {
        desc_error(line, "vmm: program headers beyond the end of the file");
        return false;
    }
    *entry = rd(elf + 24, 8);
    *end = 0;
    uint64_t prev_end = 0;
    for (uint64_t i = 0; i < phnum; i++) {
        const uint8_t *ph = elf + phoff + i * sizeof(ic_elf64_phdr_t);
        uint64_t flags = rd(ph + 4, 4), off = rd(ph + 8, 8), va = rd(ph + 16, 8);
        uint64_t filesz = rd(ph + 32, 8), memsz = rd(ph + 40, 8);
        if (rd(ph, 4) != IC_PT_LOAD || !memsz)
            continue;
        if (filesz > memsz || off > len || filesz > len - off || va >= (1ull << 38) || memsz > (1ull << 38) - va) {
            desc_error(line, "vmm: a PT_LOAD segment beyond its file or the VMM's address space");
            return false;
        }
        uint64_t first = va & ~(PAGE - 1), last = (va + memsz + PAGE - 1) & ~(PAGE - 1);
        if (first < prev_end) {
            desc_error(line, "vmm: PT_LOAD segments share a page or are out of order");
            return false;
        }
        uint8_t rights = IC_RIGHT_READ | (flags & IC_PF_W ? IC_RIGHT_WRITE : 0) | (flags & IC_PF_X ? IC_RIGHT_EXECUTE : 0);
        for (uint64_t page = first; page < last; page += PAGE) {
            uint32_t f = object(IC_OBJ_FRAME_4K, 0);
            map_frame(vspace, f, page, rights);
            uint64_t from = page > va ? page : va, to = page + PAGE < va + filesz ? page + PAGE : va + filesz;
            if (from < to)
                content(f, from - page, elf + off + (from - va), to - from);
        }
        prev_end = *end = last;
    }
    if (!*end) {
        desc_error(line, "vmm has no PT_LOAD segment");
        return false;
    }
    return true;
}

/* ---- page tables, then everything in the checker's order */

static int map_cmp(const void *a, const void *b)
{
    const struct rs_mapping *x = a, *y = b;
    unsigned kx = x->level ? (unsigned)x->level - 2 : RS_MAP_FRAME, ky = y->level ? (unsigned)y->level - 2 : RS_MAP_FRAME;
    if (x->vspace != y->vspace)
        return x->vspace < y->vspace ? -1 : 1;
    if (x->address != y->address)
        return x->address < y->address ? -1 : 1;
    return (kx > ky) - (kx < ky);
}

/* Duplicates are removed once the mappings are sorted. */
static void add_table(uint32_t vspace, uint64_t address, uint8_t level)
{
    s.map = desc_grow(s.map, s.n_map, sizeof *s.map);
    s.map[s.n_map++] = (struct rs_mapping){ vspace, REALM_SPEC_NONE, address, 0, 0, level };
}

/* The frames' mappings, the level-2 and level-3 tables they need (object
 * indices given in sorted order, as the checker wants), and the chunks
 * sorted by frame. */
static void finish_tables(void)
{
    for (uint32_t i = 0; i < s.n_fm; i++) {
        struct frame_map *m = &s.fm[i];
        add_table(m->vspace, m->address & ~(GIB - 1), 2);
        if (s.obj[m->object].type == IC_OBJ_FRAME_4K)
            add_table(m->vspace, m->address & ~(MIB2 - 1), 3);
        s.map = desc_grow(s.map, s.n_map, sizeof *s.map);
        s.map[s.n_map++] = (struct rs_mapping){ m->vspace, m->object, m->address, m->rights, m->attr, 0 };
    }
    for (uint32_t i = 0; i < s.n_conn; i++) {
        add_table(s.conn[i].vspace, s.conn[i].address & ~(GIB - 1), 2);
        add_table(s.conn[i].vspace, s.conn[i].address & ~(MIB2 - 1), 3);
    }
    qsort(s.map, s.n_map, sizeof *s.map, map_cmp);
    uint32_t n = 0;
    for (uint32_t i = 0; i < s.n_map; i++) {
        if (n && s.map[i].level && !map_cmp(&s.map[n - 1], &s.map[i]))
            continue;
        s.map[n] = s.map[i];
        if (s.map[n].level)
            s.map[n].object = object(IC_OBJ_PAGE_TABLE, 0);
        n++;
    }
    s.n_map = n;
}

static int chunk_cmp(const void *a, const void *b)
{
    const struct rs_chunk *x = &s.chunk[*(const uint32_t *)a], *y = &s.chunk[*(const uint32_t *)b];
    if (x->frame != y->frame)
        return x->frame < y->frame ? -1 : 1;
    return (x->offset > y->offset) - (x->offset < y->offset);
}

static void sort_chunks(void)
{
    uint32_t *order = malloc((s.n_chunk + 1) * sizeof *order);
    struct rs_chunk *c = malloc((s.n_chunk + 1) * sizeof *c);
    const void **d = malloc((s.n_chunk + 1) * sizeof *d);
    if (!order || !c || !d)
        exit(1);
    for (uint32_t i = 0; i < s.n_chunk; i++)
        order[i] = i;
    qsort(order, s.n_chunk, sizeof *order, chunk_cmp);
    for (uint32_t i = 0; i < s.n_chunk; i++)
        c[i] = s.chunk[order[i]], d[i] = s.data[order[i]];
    free(s.chunk), free(s.data), free(order);
    s.chunk = c, s.data = d;
}

/* ---- the realm */

struct guest {
    uint32_t vspace, ram0; /* ram0: the first of the RAM's 2M frames */
    struct linux_layout layout;
};

/* Guest RAM as 2M frames, with the kernel and the initramfs in it. */
static bool build_guest(const struct desc *d, struct guest *g, const uint8_t *kernel, size_t klen,
                        const uint8_t *initrd, size_t ilen)
{
    struct linux_image img;
    if (linux_parse_image(kernel, klen, &img) != LINUX_OK) {
        desc_error(d->line_of[K_KERNEL], "kernel is not an arm64 Linux Image (no valid Image header)");
        return false;
    }
    if (linux_plan(&img, GUEST_RAM_BASE, d->memory, ilen, &g->layout) != LINUX_OK) {
        desc_error(d->line_of[K_MEMORY], "the kernel, the device tree and the initramfs do not fit in %llu MiB",
              (unsigned long long)(d->memory >> 20));
        return false;
    }
    g->ram0 = s.n_obj;
    for (uint64_t a = 0; a < d->memory; a += MIB2)
        map_frame(g->vspace, object(IC_OBJ_FRAME_2M, 0), GUEST_RAM_BASE + a,
                  IC_RIGHT_READ | IC_RIGHT_WRITE | IC_RIGHT_EXECUTE);
    const struct { const uint8_t *p; uint64_t len, at; } parts[2] = {
        { kernel, klen, g->layout.kernel }, { initrd, ilen, g->layout.initrd },
    };
    for (unsigned k = 0; k < 2; k++)
        for (uint64_t done = 0; done < parts[k].len;) {
            uint64_t at = parts[k].at + done - GUEST_RAM_BASE, n = MIB2 - at % MIB2;
            n = n < parts[k].len - done ? n : parts[k].len - done;
            content(g->ram0 + (uint32_t)(at / MIB2), at % MIB2, parts[k].p + done, n);
            done += n;
        }
    return true;
}

static void wr(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint8_t bootinfo[PAGE];

/* The realm VMM: its ELF, stack, IPC buffer, boot information, a window on
 * the guest's DTB slot and the console region; its CNode's capabilities. */
static bool build(const struct desc *d, const uint8_t *elf, size_t elen, const uint8_t *kernel, size_t klen,
                  const uint8_t *initrd, size_t ilen)
{
    uint32_t cnode = object(IC_OBJ_CNODE, VMM_CNODE_RADIX), vspace = object(IC_OBJ_VSPACE, 0);
    uint32_t tcb = object(IC_OBJ_TCB, 0), ep = object(IC_OBJ_ENDPOINT, 0), ntfn = object(IC_OBJ_NOTIFICATION, 0);
    struct guest g = { .vspace = object(IC_OBJ_VSPACE, 0) };
    uint32_t first_vcpu = s.n_obj;
    for (uint64_t i = 0; i < d->vcpus; i++)
        object(IC_OBJ_TCB, 0), object(IC_OBJ_VCPU, 0);
    uint64_t entry, end;
    if (!load_vmm(elf, elen, vspace, d->line_of[K_VMM], &entry, &end) ||
        !build_guest(d, &g, kernel, klen, initrd, ilen))
        return false;
    uint64_t base = (end + MIB2 - 1) & ~(MIB2 - 1);
    for (unsigned i = 0; i < VMM_STACK_PAGES; i++)
        map_frame(vspace, object(IC_OBJ_FRAME_4K, 0), base + i * PAGE, IC_RIGHT_READ | IC_RIGHT_WRITE);
    uint64_t ipc_addr = base + (VMM_STACK_PAGES + 1) * PAGE, info_addr = ipc_addr + PAGE;
    uint32_t ipc = object(IC_OBJ_FRAME_4K, 0), info = object(IC_OBJ_FRAME_4K, 0);
    map_frame(vspace, ipc, ipc_addr, IC_RIGHT_READ | IC_RIGHT_WRITE);
    map_frame(vspace, info, info_addr, IC_RIGHT_READ);
    uint64_t dtb_window = base + 2 * MIB2, console = base + MIB2;
    map_frame(vspace, g.ram0 + (uint32_t)((g.layout.dtb - GUEST_RAM_BASE) / MIB2), dtb_window,
              IC_RIGHT_READ | IC_RIGHT_WRITE);
    if (d->console)
        s.conn[s.n_conn++] = (struct rs_connection){ RS_CONN_CONSOLE, vspace, console, CONSOLE_BYTES, cnode,
                                                     SLOT_CONSOLE };
    /* the boot information page (docs/realm-spec.md) */
    memcpy(bootinfo, BOOTINFO_MAGIC, 8);
    const uint64_t f[] = { d->vcpus, GUEST_RAM_BASE, d->memory, g.layout.kernel, g.layout.dtb, dtb_window,
                           g.layout.initrd, g.layout.initrd_end, d->console ? console : 0,
                           d->console ? CONSOLE_BYTES : 0, strlen(d->bootargs) };
    for (unsigned i = 0; i < sizeof f / sizeof f[0]; i++)
        wr(bootinfo + 8 + 8 * i, f[i], 8);
    memcpy(bootinfo + 8 + 8 * (sizeof f / sizeof f[0]), d->bootargs, strlen(d->bootargs));
    content(info, 0, bootinfo, sizeof bootinfo);
    /* the VMM's CNode */
    cap(SLOT_CNODE, cnode, IC_RIGHTS_ALL, 0);
    cap(SLOT_VSPACE, vspace, IC_RIGHTS_ALL, 0);
    cap(SLOT_TCB, tcb, IC_RIGHTS_ALL, 0);
    cap(SLOT_FAULT_EP, ep, IC_RIGHTS_ALL, 0);
    cap(SLOT_NTFN, ntfn, IC_RIGHTS_ALL, 0);
    cap(SLOT_GUEST_VSPACE, g.vspace, IC_RIGHTS_ALL, 0);
    s.tcb = desc_grow(s.tcb, d->vcpus, sizeof *s.tcb);
    s.tcb[s.n_tcb++] = (struct rs_tcb){ tcb, cnode, vspace, ipc, REALM_SPEC_NONE, REALM_SPEC_NONE,
                                        (uint8_t)d->priority, 0, ipc_addr, entry, base + VMM_STACK_PAGES * PAGE,
                                        info_addr };
    for (uint32_t i = 0; i < d->vcpus; i++) {
        uint32_t t = first_vcpu + 2 * i;
        cap(SLOT_GUEST_TCB0 + 2 * i, t, IC_RIGHTS_ALL, 0);
        cap(SLOT_GUEST_TCB0 + 2 * i + 1, t + 1, IC_RIGHTS_ALL, 0);
        /* vCPU 0 enters the kernel with x0 = the DTB; the others wait for
         * PSCI CPU_ON, which the realm VMM handles */
        s.tcb[s.n_tcb++] = (struct rs_tcb){ t, REALM_SPEC_NONE, g.vspace, REALM_SPEC_NONE, t + 1, ep,
                                            (uint8_t)d->priority, (uint8_t)i, 0, i ? 0 : g.layout.kernel, 0,
                                            i ? 0 : g.layout.dtb };
    }
    finish_tables();
    sort_chunks();
    return true;
}

/* ---- checking and writing */

static const struct realm_spec_limits tool_limits = {
    .max_objects = UINT32_MAX, .max_caps = UINT32_MAX, .max_mappings = UINT32_MAX, .max_tcbs = UINT32_MAX,
    .max_connections = UINT32_MAX, .max_chunks = UINT32_MAX, .max_cnode_radix = IC_CNODE_MAX_RADIX,
    .max_priority = 254, .num_cpus = IC_MAX_CPUS, .max_conn_bytes = MIB2, .pool_bytes = UINT64_MAX,
};

static void print_view(const struct realm_spec_view *v)
{
    uint8_t m[SHA256_DIGEST_SIZE];
    realm_spec_measure(v, m);
    printf("realm %s: %u objects, %u caps, %u mappings, %u TCBs, %u connections, %u chunks, %llu bytes of memory\n"
           "measurement ", v->name, v->count[RS_TAB_OBJECTS], v->count[RS_TAB_CAPS], v->count[RS_TAB_MAPPINGS],
           v->count[RS_TAB_TCBS], v->count[RS_TAB_CONNECTIONS], v->count[RS_TAB_CHUNKS],
           (unsigned long long)v->memory_bytes);
    for (unsigned i = 0; i < SHA256_DIGEST_SIZE; i++)
        printf("%02x", m[i]);
    printf("\n");
}

static int check_only(const char *path)
{
    size_t len;
    desc_file = path;
    uint8_t *p = read_file(path, 0, "spec", &len);
    if (!p)
        return 1;
    struct realm_spec_view v;
    int r = realm_spec_check(p, len, &tool_limits, &v);
    if (r) {
        fprintf(stderr, "%s: refused by the checker: %s\n", path, realm_spec_strerror(r));
        return 1;
    }
    print_view(&v);
    free(p);
    return 0;
}

static bool write_spec(const char *out, const uint8_t *p, size_t len)
{
    char *tmp = malloc(strlen(out) + 5);
    if (!tmp)
        return false;
    sprintf(tmp, "%s.tmp", out);
    FILE *f = fopen(tmp, "wb");
    bool ok = f && fwrite(p, 1, len, f) == len;
    ok = (f && !fclose(f)) && ok;
    ok = ok && !rename(tmp, out);
    if (!ok) {
        fprintf(stderr, "%s: cannot write: %s\n", out, strerror(errno));
        unlink(tmp);
    }
    free(tmp);
    return ok;
}

static int compile(const char *out)
{
    struct desc d = { 0 };
    parse(&d);
    if (desc_errors)
        return 1;
    size_t elen = 0, klen = 0, ilen = 0;
    uint8_t *elf = read_file(d.vmm, d.line_of[K_VMM], "vmm", &elen);
    uint8_t *kernel = read_file(d.kernel, d.line_of[K_KERNEL], "kernel", &klen);
    uint8_t *initrd = d.initramfs ? read_file(d.initramfs, d.line_of[K_INITRAMFS], "initramfs", &ilen) : NULL;
    if (desc_errors || !build(&d, elf, elen, kernel, klen, initrd, ilen))
        return 1;
    struct realm_spec_build b = { d.name, s.obj, s.n_obj, s.cap, s.n_cap, s.map, s.n_map, s.tcb, s.n_tcb,
                                  s.conn, s.n_conn, s.chunk, s.n_chunk, s.data };
    uint64_t size = realm_spec_encoded_size(&b);
    uint8_t *p = size && size <= SIZE_MAX ? malloc(size) : NULL;
    if (!p) {
        desc_error(d.realm_line, "the spec is too big to build");
        return 1;
    }
    realm_spec_encode(&b, p);
    struct realm_spec_view v;
    int r = realm_spec_check(p, size, &tool_limits, &v);
    if (r) {
        desc_error(d.realm_line, "internal error: the spec fails its own check (%s)", realm_spec_strerror(r));
        return 1;
    }
    if (!write_spec(out, p, size))
        return 1;
    print_view(&v);
    free(p), free(elf), free(kernel), free(initrd);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--check"))
        return check_only(argv[2]);
    if (argc != 3 || argv[1][0] == '-') {
        fprintf(stderr, "usage: realmspec DESCRIPTION OUTPUT\n       realmspec --check SPEC\n");
        return 2;
    }
    desc_file = argv[1];
    int r = compile(argv[2]);
    if (r)
        unlink(argv[2]); /* no output left behind, not even an old one */
    return r;
}
