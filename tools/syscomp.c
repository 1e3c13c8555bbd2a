/* syscomp: checks a system description (system/NAME.system, docs/system.md)
 * against the board and compiles it into what the build and the loader
 * need: OUTDIR/system.h (every component and VM, as tables), OUTDIR/system.mk
 * (the components to build) and OUTDIR/system_images.S (their ELF files,
 * ELFDIR/NAME.elf, inside the loader's image).
 * Every mistake is reported as "file:line: what is wrong" and fails the
 * build. Usage: syscomp description outdir elfdir */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "desc.h"

/* The board's facts the checks need (kernel/plat/virt/board.h). */
#define BOARD_CPUS 2
#define BOARD_DEVICE_END 0x40000000ull
#define BOARD_KERNEL_DEVICES_BASE 0x08000000ull /* the GIC: the kernel's */
#define BOARD_KERNEL_DEVICES_END 0x09000000ull
#define BOARD_IRQ_FIRST 32
#define BOARD_IRQ_LAST 255 /* GICv3 on QEMU implements 256 INTIDs */
/* QEMU's 1 GiB of RAM less what the kernel and the loader keep */
#define BOARD_RAM_FOR_SYSTEM (768ull << 20)
/* of the kernel's 255 VMIDs, the root task keeps one and one per component */
#define MAX_VMIDS 200
#define NAME_MAX_LEN 31

/* The devices each kind of owner may name (the board's, by role). */
static const char *const component_device_names[] = { "fw-cfg", "uart", NULL };
static const char *const vm_device_names[] = { "uart", "virtio-mmio", "console", "virtio-console", "realm-host", NULL };
/* A VM's console is no device of the board: its VMM emulates a PL011 there
 * and, with virtio-console, a virtio console on the same line, and connects
 * them to the serial server (docs/system.md). */
static const char *const emulated_device_names[] = { "console", "virtio-console", "realm-host", NULL };
/* The realm device (docs/resource-server.md): a register page and, 2 MiB
 * above it, the slot window, both emulated by the VMM; no interrupt. */
#define REALM_HOST_SIZE 0x400000ull

struct device {
    char name[NAME_MAX_LEN + 1];
    uint64_t base, size;
    unsigned irq_first, irq_last; /* 0, 0: none */
    int line;
    int owner;     /* index into owners */
    bool emulated; /* guest-physical only: no board device behind it */
};

/* A component or a VM: both own devices; a VM is run by a component. */
struct owner {
    char name[NAME_MAX_LEN + 1];
    int line;
    bool is_vm;
    /* a component */
    uint64_t priority, cnode_bits, memory, vmids;
    bool has_priority;
    /* a VM */
    char vmm[NAME_MAX_LEN + 1];
    int vmm_line;
    uint64_t vcpus, vcpu_priority, ram;
    char bootargs[256];
};

/* channel A B: each of the two may signal the other's notification */
struct channel {
    int a, b; /* owners */
    int line;
};

/* endpoint CLIENT SERVER [grant]: the client may Call, the server
 * receives; with grant the client's messages may carry a capability */
struct endpoint {
    int client, server; /* owners */
    int line;
    bool grant;
};

/* shared-memory NAME SIZE, and its map lines */
struct region {
    char name[NAME_MAX_LEN + 1];
    uint64_t size;
    int line;
};
struct mapping {
    int region, owner;
    uint64_t vaddr;
    bool write;
    int line;
};

/* where the guest RAM of a VM lies: at its own physical addresses */
#define BOARD_RAM_BASE 0x40000000ull
/* a component's image, boot information and IPC buffer lie below this */
#define IMAGE_AREA_END 0x1000000ull
#define USER_VA_END (1ull << 39)
/* a component's heap (lib/icecap/include/icecap/env.h: IC_HEAP_BASE) */
#define HEAP_BASE 0x10000000ull
#define HEAP_END 0x20000000ull
#define MAX_CHANNELS 64 /* the bits of a notification word */
#define REGION_MAX_SIZE (64ull << 20)
/* a component's fixed slots (docs/loader.md): its notification, then one
 * capability a channel */
#define SLOT_NOTIFICATION 8
#define SLOT_FIRST_CHANNEL 9

static struct channel *channels;
static unsigned num_channels;
static struct endpoint *endpoints;
static unsigned num_endpoints;
static char (*endpoint_names)[2][NAME_MAX_LEN + 1];
static struct region *regions;
static unsigned num_regions;
static struct mapping *mappings;
static unsigned num_mappings;
/* the component names connections give, resolved after parsing */
static char (*pending_names)[2][NAME_MAX_LEN + 1];
static char (*map_names)[NAME_MAX_LEN + 1];
static struct owner *owners;
static unsigned num_owners;
static struct device *devices;
static unsigned num_devices;


static bool parse_u64(const char *s, uint64_t *v)
{
    char *end;
    errno = 0;
    *v = strtoull(s, &end, 0);
    return *s && *s != '-' && !errno && !*end;
}

/* "256M", "1G", "65536": not 0, at most 1 TiB */
static bool parse_size(const char *s, uint64_t *v)
{
    return desc_parse_size(s, v) && *v && *v <= (1ull << 40);
}

static bool is_power_of_two(uint64_t v)
{
    return v && !(v & (v - 1));
}

static unsigned log2_of(uint64_t v)
{
    unsigned bits = 0;
    while ((1ull << bits) < v)
        bits++;
    return bits;
}

/* Names become C identifiers, file names and make words: lower-case
 * letters, digits and dashes, starting with a letter. */
static bool check_name(int line, const char *what, const char *name)
{
    bool ok = strlen(name) <= NAME_MAX_LEN && islower((unsigned char)name[0]);
    for (const char *c = name; ok && *c; c++)
        ok = islower((unsigned char)*c) || isdigit((unsigned char)*c) || *c == '-';
    if (!ok)
        desc_error(line, "%s name '%s': lower-case letters, digits and '-', starting with a letter, at most %d", what,
              name, NAME_MAX_LEN);
    return ok;
}

static struct owner *find_owner(const char *name, bool is_vm)
{
    for (unsigned i = 0; i < num_owners; i++)
        if (owners[i].is_vm == is_vm && !strcmp(owners[i].name, name))
            return &owners[i];
    return NULL;
}

/* A device's registers: whole pages the loader can grant as one untyped
 * region, in the board's device memory, off the kernel's. */
static void check_device_window(int line, const char *base, const char *size, struct device *d)
{
    if (!parse_u64(base, &d->base) || !parse_u64(size, &d->size) || !d->size)
        desc_error(line, "device base and size must be numbers (size not 0)");
    else if ((d->base | d->size) & 0xfff)
        desc_error(line, "device base and size must be multiples of 4 KiB");
    else if (!is_power_of_two(d->size) || (d->base & (d->size - 1)))
        desc_error(line, "device size must be a power of two and its base a multiple of it (the loader "
                    "grants it as one untyped region)");
    else if (d->base + d->size > BOARD_DEVICE_END || d->base + d->size < d->base)
        desc_error(line, "device [%#llx, %#llx) is outside the board's device memory", (unsigned long long)d->base,
              (unsigned long long)(d->base + d->size));
    else if (d->base < BOARD_KERNEL_DEVICES_END && d->base + d->size > BOARD_KERNEL_DEVICES_BASE)
        desc_error(line, "device [%#llx, %#llx) overlaps the interrupt controller, which the kernel keeps",
              (unsigned long long)d->base, (unsigned long long)(d->base + d->size));
}

/* "48" or "48-79", among the board's shared interrupts */
static void parse_irqs(int line, char *word, struct device *d)
{
    uint64_t first, last;
    char *dash = strchr(word, '-');
    if (dash)
        *dash = 0;
    if (!parse_u64(word, &first) || (dash && !parse_u64(dash + 1, &last))) {
        desc_error(line, "irq must be a number or a range FIRST-LAST");
        return;
    }
    if (!dash)
        last = first;
    if (first < BOARD_IRQ_FIRST || last > BOARD_IRQ_LAST || first > last) {
        desc_error(line, "irq %llu-%llu: shared interrupts (SPIs) run from %d to %d", (unsigned long long)first,
              (unsigned long long)last, BOARD_IRQ_FIRST, BOARD_IRQ_LAST);
        return;
    }
    d->irq_first = (unsigned)first;
    d->irq_last = (unsigned)last;
}

static bool known_name(const char *const *names, const char *name)
{
    for (; *names; names++)
        if (!strcmp(*names, name))
            return true;
    return false;
}

static void list_names(char *buf, size_t size, const char *const *names)
{
    buf[0] = 0;
    for (const char *const *n = names; *n; n++)
        snprintf(buf + strlen(buf), size - strlen(buf), "%s'%s'", n == names ? "" : ", ", *n);
}

/* device NAME BASE SIZE [irq FIRST[-LAST]] */
static void parse_device(int line, char **words, int n, struct owner *o)
{
    if ((n != 4 && n != 6) || (n == 6 && strcmp(words[4], "irq"))) {
        desc_error(line, "a device is: device NAME BASE SIZE [irq FIRST[-LAST]]");
        return;
    }
    const char *const *names = o->is_vm ? vm_device_names : component_device_names;
    if (!known_name(names, words[1])) {
        char list[128];
        list_names(list, sizeof(list), names);
        desc_error(line, "unknown device '%s' (a %s may have %s)", words[1], o->is_vm ? "VM" : "component", list);
    }
    struct device d = { .line = line, .owner = (int)(o - owners), .emulated = known_name(emulated_device_names, words[1]) };
    snprintf(d.name, sizeof(d.name), "%s", words[1]);
    check_device_window(line, words[2], words[3], &d);
    bool realm_host = !strcmp(d.name, "realm-host");
    if (realm_host && (n == 6 || d.size != REALM_HOST_SIZE))
        desc_error(line, "the realm device is: device realm-host BASE %#llx (its registers and its slots; no "
                    "interrupt)", REALM_HOST_SIZE);
    else if (n == 6)
        parse_irqs(line, words[5], &d);
    else if (o->is_vm && !realm_host)
        desc_error(line, "a VM's device needs its interrupts: device NAME BASE SIZE irq FIRST[-LAST]");
    for (unsigned i = 0; i < num_devices; i++) {
        const struct device *e = &devices[i];
        /* an emulated device is an address in its VM only */
        if ((d.emulated || e->emulated) && d.owner != e->owner)
            continue;
        if (d.base < e->base + e->size && e->base < d.base + d.size)
            desc_error(line, "device overlaps '%s' (line %d)", e->name, e->line);
        if (d.irq_first && e->irq_first && d.irq_first <= e->irq_last && e->irq_first <= d.irq_last)
            desc_error(line, "irq overlaps those of '%s' (line %d)", e->name, e->line);
    }
    devices = desc_grow(devices, num_devices, sizeof(*devices));
    devices[num_devices++] = d;
}

static void parse_bootargs(int line, char **words, int n, struct owner *o)
{
    o->bootargs[0] = 0;
    if (n < 2) {
        desc_error(line, "bootargs needs a command line");
        return;
    }
    /* the tokenizer split it: join the words back */
    for (int i = 1; i < n; i++) {
        if (strlen(o->bootargs) + strlen(words[i]) + 2 >= sizeof(o->bootargs)) {
            desc_error(line, "bootargs needs a command line of fewer than %zu characters", sizeof(o->bootargs));
            return;
        }
        if (i > 1)
            strcat(o->bootargs, " ");
        strcat(o->bootargs, words[i]);
    }
    for (char *c = o->bootargs; *c; c++)
        if (*c == '"' || *c == '\\' || !isprint((unsigned char)*c)) {
            desc_error(line, "bootargs may not contain quotes, backslashes or control characters");
            return;
        }
}

static void parse_setting(int line, char **words, int n, struct owner *o)
{
    const char *key = words[0];
    bool one = n == 2;
    if (!strcmp(key, "device")) {
        parse_device(line, words, n, o);
    } else if (!o->is_vm && !strcmp(key, "priority")) {
        if (!one || !parse_u64(words[1], &o->priority) || o->priority > 255)
            desc_error(line, "priority must be a number from 0 to 255");
        o->has_priority = true;
    } else if (!o->is_vm && !strcmp(key, "cnode-bits")) {
        if (!one || !parse_u64(words[1], &o->cnode_bits) || o->cnode_bits < 8 || o->cnode_bits > 14)
            desc_error(line, "cnode-bits must be a number from 8 to 14 (a CSpace of 256 to 16384 slots)");
    } else if (!o->is_vm && !strcmp(key, "vmids")) {
        if (!one || !parse_u64(words[1], &o->vmids) || o->vmids > MAX_VMIDS)
            desc_error(line, "vmids (how many VSpaces the component may have at once) must be a number from 0 to %d",
                  MAX_VMIDS);
    } else if (!o->is_vm && !strcmp(key, "memory")) {
        if (!one || !parse_size(words[1], &o->memory) || !is_power_of_two(o->memory) || o->memory < (1ull << 20) ||
            o->memory > (256ull << 20))
            desc_error(line, "a component's memory (for the objects it makes) must be a power of two from 1M to 256M");
    } else if (o->is_vm && !strcmp(key, "vmm")) {
        if (!one)
            desc_error(line, "vmm names the component that runs this VM");
        else
            snprintf(o->vmm, sizeof(o->vmm), "%s", words[1]);
        o->vmm_line = line;
    } else if (o->is_vm && !strcmp(key, "vcpus")) {
        if (!one || !parse_u64(words[1], &o->vcpus) || o->vcpus < 1 || o->vcpus > BOARD_CPUS)
            desc_error(line, "vcpus must be from 1 to %d (the board's CPUs)", BOARD_CPUS);
    } else if (o->is_vm && !strcmp(key, "vcpu-priority")) {
        if (!one || !parse_u64(words[1], &o->vcpu_priority) || o->vcpu_priority > 255)
            desc_error(line, "vcpu-priority must be a number from 0 to 255");
    } else if (o->is_vm && !strcmp(key, "memory")) {
        if (!one || !parse_size(words[1], &o->ram) || !is_power_of_two(o->ram) || o->ram < (64ull << 20) ||
            o->ram > (256ull << 20))
            desc_error(line, "memory must be a power of two from 64M to 256M (it must fit the board's RAM "
                        "beside the kernel and the components)");
    } else if (o->is_vm && !strcmp(key, "bootargs")) {
        parse_bootargs(line, words, n, o);
    } else {
        desc_error(line, "unknown setting '%s' in %s '%s'", key, o->is_vm ? "vm" : "component", o->name);
    }
}

/* Components named by connections are looked up once the whole
 * description is read: they may come later. */

/* channel A B */
static void parse_channel(int line, char **words, int n)
{
    if (n != 3) {
        desc_error(line, "a channel is: channel COMPONENT COMPONENT");
        return;
    }
    channels = desc_grow(channels, num_channels, sizeof(*channels));
    channels[num_channels] = (struct channel){ -1, -1, line };
    pending_names = desc_grow(pending_names, num_channels, sizeof(*pending_names));
    snprintf(pending_names[num_channels][0], NAME_MAX_LEN + 1, "%s", words[1]);
    snprintf(pending_names[num_channels][1], NAME_MAX_LEN + 1, "%s", words[2]);
    num_channels++;
}

/* endpoint CLIENT SERVER [grant] */
static void parse_endpoint(int line, char **words, int n)
{
    if (n != 3 && n != 4) {
        desc_error(line, "an endpoint is: endpoint CLIENT SERVER [grant] (the client calls, the server answers; "
                         "grant: the client's calls may carry a capability)");
        return;
    }
    if (n == 4 && strcmp(words[3], "grant")) {
        desc_error(line, "unknown endpoint option '%s' (the only one is grant: the client's calls may carry a "
                         "capability)", words[3]);
        return;
    }
    endpoints = desc_grow(endpoints, num_endpoints, sizeof(*endpoints));
    endpoints[num_endpoints] = (struct endpoint){ -1, -1, line, n == 4 };
    endpoint_names = desc_grow(endpoint_names, num_endpoints, sizeof(*endpoint_names));
    snprintf(endpoint_names[num_endpoints][0], NAME_MAX_LEN + 1, "%s", words[1]);
    snprintf(endpoint_names[num_endpoints][1], NAME_MAX_LEN + 1, "%s", words[2]);
    num_endpoints++;
}

/* shared-memory NAME SIZE */
static void parse_region(int line, char **words)
{
    struct region r = { .line = line };
    check_name(line, "shared-memory", words[1]);
    snprintf(r.name, sizeof(r.name), "%s", words[1]);
    for (unsigned i = 0; i < num_regions; i++)
        if (!strcmp(regions[i].name, r.name))
            desc_error(line, "memory '%s' is already described at line %d", r.name, regions[i].line);
    if (!parse_size(words[2], &r.size) || !is_power_of_two(r.size) || r.size < 4096 || r.size > REGION_MAX_SIZE)
        desc_error(line, "a shared memory region's size must be a power of two from 4K to 64M (the loader makes it "
                    "from one untyped region)");
    regions = desc_grow(regions, num_regions, sizeof(*regions));
    regions[num_regions++] = r;
}

/* map COMPONENT VADDR r|rw, under shared-memory */
static void parse_map(int line, char **words, int n, int region)
{
    struct mapping m = { .region = region, .owner = -1, .line = line };
    if (n != 4 || (strcmp(words[3], "r") && strcmp(words[3], "rw"))) {
        desc_error(line, "a mapping is: map COMPONENT VADDR r|rw");
        return;
    }
    m.write = !strcmp(words[3], "rw");
    if (!parse_u64(words[2], &m.vaddr) || (m.vaddr & 0xfff) || m.vaddr < IMAGE_AREA_END ||
        m.vaddr + regions[region].size > USER_VA_END || m.vaddr + regions[region].size < m.vaddr)
        desc_error(line, "a mapping's address must be page aligned, from %#llx, and the region must end below %#llx",
              IMAGE_AREA_END, USER_VA_END);
    mappings = desc_grow(mappings, num_mappings, sizeof(*mappings));
    map_names = desc_grow(map_names, num_mappings, sizeof(*map_names));
    snprintf(map_names[num_mappings], NAME_MAX_LEN + 1, "%s", words[1]);
    mappings[num_mappings++] = m;
}

static void parse(FILE *in)
{
    bool have_board = false;
    struct owner *current = NULL;
    int current_region = -1;
    char raw[512];
    for (int line = 1; fgets(raw, sizeof(raw), in); line++) {
        if (!strchr(raw, '\n') && !feof(in)) {
            desc_error(line, "line too long");
            return;
        }
        char *hash = strchr(raw, '#');
        if (hash)
            *hash = 0;
        char *words[64];
        int n = 0;
        for (char *p = strtok(raw, " \t\r\n"); p; p = strtok(NULL, " \t\r\n")) {
            if (n == 64) {
                desc_error(line, "more than 64 words");
                break;
            }
            words[n++] = p;
        }
        if (n == 0)
            continue;
        if (!strcmp(words[0], "board")) {
            if (n != 2 || strcmp(words[1], "virt"))
                desc_error(line, "unknown board (this build knows 'virt')");
            have_board = true;
        } else if (!strcmp(words[0], "component") || !strcmp(words[0], "vm")) {
            bool is_vm = words[0][0] == 'v';
            if (n != 2) {
                desc_error(line, "%s needs a name", words[0]);
                current = NULL;
                continue;
            }
            check_name(line, words[0], words[1]);
            const struct owner *twin = find_owner(words[1], is_vm);
            if (twin)
                desc_error(line, "%s '%s' is already described at line %d", words[0], words[1], twin->line);
            current_region = -1;
            owners = desc_grow(owners, num_owners, sizeof(*owners));
            current = &owners[num_owners++];
            *current = (struct owner){ .line = line, .is_vm = is_vm, .cnode_bits = 12, .memory = 16ull << 20 };
            snprintf(current->name, sizeof(current->name), "%s", words[1]);
        } else if (!strcmp(words[0], "channel")) {
            current = NULL;
            current_region = -1;
            parse_channel(line, words, n);
        } else if (!strcmp(words[0], "endpoint")) {
            current = NULL;
            current_region = -1;
            parse_endpoint(line, words, n);
        } else if (!strcmp(words[0], "shared-memory")) {
            current = NULL;
            if (n != 3) {
                desc_error(line, "shared memory is: shared-memory NAME SIZE, then its map lines");
                continue;
            }
            current_region = (int)num_regions;
            parse_region(line, words);
        } else if (!strcmp(words[0], "map") && current_region >= 0) {
            parse_map(line, words, n, current_region);
        } else if (current) {
            parse_setting(line, words, n, current);
        } else {
            desc_error(line, "unknown setting '%s' (outside a component, vm or shared-memory)", words[0]);
        }
    }
    if (!have_board)
        desc_error(1, "no board");
}

static unsigned channels_of(int owner)
{
    unsigned k = 0;
    for (unsigned i = 0; i < num_channels; i++)
        k += channels[i].a == owner || channels[i].b == owner;
    return k;
}

/* The k-th channel of 'owner' (in the order of the description) is the
 * bit k of its notification word, and its capability is in slot
 * SLOT_FIRST_CHANNEL + k. */
static unsigned channel_index(int owner, unsigned channel)
{
    unsigned k = 0;
    for (unsigned i = 0; i < channel; i++)
        k += channels[i].a == owner || channels[i].b == owner;
    return k;
}

static bool overlaps(uint64_t a, uint64_t asize, uint64_t b, uint64_t bsize)
{
    return a < b + bsize && b < a + asize;
}

static unsigned endpoints_of(int owner)
{
    unsigned k = 0;
    for (unsigned i = 0; i < num_endpoints; i++)
        k += endpoints[i].client == owner || endpoints[i].server == owner;
    return k;
}

/* The k-th endpoint of 'owner' (in the order of the description) is in
 * slot SLOT_FIRST_CHANNEL + its channels + k. */
static unsigned endpoint_slot(int owner, unsigned endpoint)
{
    unsigned k = 0;
    for (unsigned i = 0; i < endpoint; i++)
        k += endpoints[i].client == owner || endpoints[i].server == owner;
    return SLOT_FIRST_CHANNEL + channels_of(owner) + k;
}

/* The two components a connection names, as owner indexes (left -1 for
 * a name no component has, which is an error). */
static void resolve_ends(int line, const char *what, const char names[2][NAME_MAX_LEN + 1], int *first, int *second)
{
    int *ends[2] = { first, second };
    for (int end = 0; end < 2; end++) {
        const struct owner *o = find_owner(names[end], false);
        if (!o)
            desc_error(line, "%s: no component '%s'", what, names[end]);
        else
            *ends[end] = (int)(o - owners);
    }
}

static void check_endpoints(void)
{
    for (unsigned i = 0; i < num_endpoints; i++) {
        struct endpoint *e = &endpoints[i];
        resolve_ends(e->line, "endpoint", endpoint_names[i], &e->client, &e->server);
        if (e->client >= 0 && e->client == e->server)
            desc_error(e->line, "endpoint: a component cannot call itself");
        for (unsigned j = 0; j < i; j++)
            if (e->client >= 0 && e->server >= 0 && endpoints[j].client == e->client &&
                endpoints[j].server == e->server)
                desc_error(e->line, "endpoint from %s to %s already described at line %d", owners[e->client].name,
                      owners[e->server].name, endpoints[j].line);
    }
}

static void check_connections(void)
{
    for (unsigned i = 0; i < num_channels; i++) {
        struct channel *c = &channels[i];
        resolve_ends(c->line, "channel", pending_names[i], &c->a, &c->b);
        if (c->a >= 0 && c->a == c->b)
            desc_error(c->line, "channel: a component cannot have a channel to itself");
        for (unsigned j = 0; j < i; j++)
            if (c->a >= 0 && c->b >= 0 && ((channels[j].a == c->a && channels[j].b == c->b) ||
                                           (channels[j].a == c->b && channels[j].b == c->a)))
                desc_error(c->line, "channel between %s and %s already described at line %d", owners[c->a].name,
                      owners[c->b].name, channels[j].line);
    }
    for (unsigned i = 0; i < num_owners; i++)
        if (!owners[i].is_vm && channels_of((int)i) > MAX_CHANNELS)
            desc_error(owners[i].line, "component %s has %u channels: at most %d (the bits of its notification word)",
                  owners[i].name, channels_of((int)i), MAX_CHANNELS);
    check_endpoints();
    for (unsigned i = 0; i < num_mappings; i++) {
        struct mapping *m = &mappings[i];
        const struct region *r = &regions[m->region];
        const struct owner *o = find_owner(map_names[i], false);
        if (!o) {
            desc_error(m->line, "map: no component '%s'", map_names[i]);
            continue;
        }
        m->owner = (int)(o - owners);
        if (overlaps(m->vaddr, r->size, HEAP_BASE, HEAP_END - HEAP_BASE))
            desc_error(m->line, "memory %s in %s overlaps its heap [%#llx, %#llx)", r->name, o->name, HEAP_BASE, HEAP_END);
        for (unsigned j = 0; j < i; j++) {
            const struct mapping *e = &mappings[j];
            if (e->owner != m->owner)
                continue;
            if (e->region == m->region)
                desc_error(m->line, "memory %s is already mapped in %s (line %d)", r->name, o->name, e->line);
            else if (overlaps(m->vaddr, r->size, e->vaddr, regions[e->region].size))
                desc_error(m->line, "memory %s in %s overlaps memory %s (line %d)", r->name, o->name,
                      regions[e->region].name, e->line);
        }
        /* a VMM maps its devices and its VM's RAM at their own addresses */
        for (unsigned d = 0; d < num_devices; d++) {
            const struct owner *dev_owner = &owners[devices[d].owner];
            bool its = dev_owner == o || (dev_owner->is_vm && !strcmp(dev_owner->vmm, o->name));
            if (its && !devices[d].emulated && overlaps(m->vaddr, r->size, devices[d].base, devices[d].size))
                desc_error(m->line, "memory %s in %s overlaps device '%s' (line %d), which it maps at its own address",
                      r->name, o->name, devices[d].name, devices[d].line);
        }
        for (unsigned v = 0; v < num_owners; v++)
            if (owners[v].is_vm && !strcmp(owners[v].vmm, o->name) &&
                overlaps(m->vaddr, r->size, BOARD_RAM_BASE, owners[v].ram))
                desc_error(m->line, "memory %s in %s overlaps the RAM of vm %s, which it maps at its own address",
                      r->name, o->name, owners[v].name);
    }
    for (unsigned i = 0; i < num_regions; i++) {
        unsigned users = 0;
        for (unsigned j = 0; j < num_mappings; j++)
            users += mappings[j].region == (int)i;
        if (users == 0)
            desc_error(regions[i].line, "memory %s is mapped nowhere", regions[i].name);
    }
}

/* What only the whole description can say. */
static void check_system(void)
{
    unsigned components = 0;
    uint64_t vmids = 0, memory = 0;
    struct stat st;
    for (unsigned i = 0; i < num_owners; i++) {
        struct owner *o = &owners[i];
        if (o->is_vm) {
            memory += o->ram;
            if (!o->vcpus || !o->ram)
                desc_error(o->line, "vm %s needs vcpus and memory", o->name);
            if (!o->vmm[0]) {
                desc_error(o->line, "vm %s needs a vmm: the component that runs it", o->name);
                continue;
            }
            const struct owner *vmm = find_owner(o->vmm, false);
            if (!vmm) {
                desc_error(o->vmm_line, "vm %s: no component '%s' to run it", o->name, o->vmm);
                continue;
            }
            for (unsigned j = 0; j < i; j++)
                if (owners[j].is_vm && !strcmp(owners[j].vmm, o->vmm))
                    desc_error(o->vmm_line, "component %s runs vm %s already (line %d): one VM a component", o->vmm,
                          owners[j].name, owners[j].line);
            if (vmm->vmids == 0)
                desc_error(vmm->line, "%s needs vmids of at least 1: the VSpace of vm %s takes one", vmm->name, o->name);
            if (o->vcpu_priority >= vmm->priority)
                desc_error(o->line, "vcpu-priority (%llu) must be below the priority of %s (%llu, line %d), which "
                               "must answer its guest's exits",
                      (unsigned long long)o->vcpu_priority, vmm->name, (unsigned long long)vmm->priority, vmm->line);
        } else {
            components++;
            vmids += 1 + o->vmids;
            memory += o->memory;
            if (!o->has_priority)
                desc_error(o->line, "component %s needs a priority", o->name);
            char dir[64];
            snprintf(dir, sizeof(dir), "components/%s", o->name);
            if (strcmp(o->name, "loader") == 0 || stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
                desc_error(o->line, "component %s has no folder %s (its code)", o->name, dir);
        }
    }
    if (!components)
        desc_error(1, "no component");
    check_connections();
    if (vmids > MAX_VMIDS)
        desc_error(1, "the components need %llu VMIDs (one each and their vmids): at most %d",
              (unsigned long long)vmids, MAX_VMIDS);
    for (unsigned i = 0; i < num_regions; i++)
        memory += regions[i].size;
    if (memory > BOARD_RAM_FOR_SYSTEM)
        desc_error(1, "components, VMs and shared memory take %llu MiB of memory: the board leaves %llu MiB",
              (unsigned long long)(memory >> 20), (unsigned long long)(BOARD_RAM_FOR_SYSTEM >> 20));
}

/* "host-vmm" as a C identifier: host_vmm; upper: HOST_VMM */
static const char *ident(const char *name, bool upper)
{
    static char buf[2][NAME_MAX_LEN + 1];
    char *b = buf[upper];
    size_t i = 0;
    for (; name[i]; i++)
        b[i] = name[i] == '-' ? '_' : upper ? (char)toupper((unsigned char)name[i]) : name[i];
    b[i] = 0;
    return b;
}

static void emit_devices(FILE *out, const struct owner *o)
{
    unsigned k = 0;
    fprintf(out, "static const struct system_device system_devices_%s_%s[] __attribute__((unused)) = {\n",
            o->is_vm ? "vm" : "component", ident(o->name, false));
    for (unsigned i = 0; i < num_devices; i++) {
        const struct device *d = &devices[i];
        if (&owners[d->owner] != o)
            continue;
        fprintf(out, "    { \"%s\", %#llx, %#llx, %u, %u, %d },\n", d->name, (unsigned long long)d->base,
                (unsigned long long)d->size, d->irq_first, d->irq_last, d->emulated);
        k++;
    }
    if (!k) /* C has no empty initialiser lists */
        fprintf(out, "    { 0 },\n");
    fprintf(out, "};\n");
}

static unsigned count_devices(const struct owner *o)
{
    unsigned k = 0;
    for (unsigned i = 0; i < num_devices; i++)
        k += &owners[devices[i].owner] == o;
    return k;
}

/* an owner's index among the components (system_components) */
static unsigned component_index(int owner)
{
    unsigned k = 0;
    for (int i = 0; i < owner; i++)
        k += !owners[i].is_vm;
    return k;
}

static void emit_connections(FILE *out, const struct owner *o)
{
    int self = (int)(o - owners);
    const char *id = ident(o->name, false);
    fprintf(out, "static const struct system_channel system_channels_%s[] __attribute__((unused)) = {\n", id);
    unsigned k = 0;
    for (unsigned i = 0; i < num_channels; i++) {
        const struct channel *c = &channels[i];
        if (c->a != self && c->b != self)
            continue;
        int peer = c->a == self ? c->b : c->a;
        fprintf(out, "    { \"%s\", %u, %u, %#llx, %#llx },\n", owners[peer].name, component_index(peer),
                SLOT_FIRST_CHANNEL + k, 1ull << channel_index(self, i), 1ull << channel_index(peer, i));
        k++;
    }
    if (!k)
        fprintf(out, "    { 0 },\n");
    fprintf(out, "};\nstatic const struct system_endpoint system_endpoints_%s[] __attribute__((unused)) = {\n", id);
    k = 0;
    for (unsigned i = 0; i < num_endpoints; i++) {
        const struct endpoint *e = &endpoints[i];
        if (e->client != self && e->server != self)
            continue;
        int peer = e->client == self ? e->server : e->client;
        /* the client's calls arrive badged with its index among the components, plus one */
        fprintf(out, "    { \"%s\", %u, %u, %u, %d, %u, %d },\n", owners[peer].name, component_index(peer), i,
                endpoint_slot(self, i), e->server == self, component_index(e->client) + 1, e->grant);
        k++;
    }
    if (!k)
        fprintf(out, "    { 0 },\n");
    fprintf(out, "};\nstatic const struct system_mapping system_mappings_%s[] __attribute__((unused)) = {\n", id);
    k = 0;
    for (unsigned i = 0; i < num_mappings; i++) {
        const struct mapping *m = &mappings[i];
        if (m->owner != self)
            continue;
        fprintf(out, "    { \"%s\", %u, %#llx, %#llx, %d },\n", regions[m->region].name, (unsigned)m->region,
                (unsigned long long)m->vaddr, (unsigned long long)regions[m->region].size, m->write);
        k++;
    }
    if (!k)
        fprintf(out, "    { 0 },\n");
    fprintf(out, "};\n");
}

static unsigned mappings_of(int owner)
{
    unsigned k = 0;
    for (unsigned i = 0; i < num_mappings; i++)
        k += mappings[i].owner == owner;
    return k;
}

static FILE *create(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "syscomp: cannot write %s: %s\n", path, strerror(errno));
        exit(1);
    }
    return f;
}

static void emit_header(const char *outdir)
{
    FILE *out = create(outdir, "system.h");
    fprintf(out, "/* Generated by tools/syscomp from %s: do not edit. */\n", desc_file);
    fprintf(out, "#ifndef SYSTEM_H\n#define SYSTEM_H\n\n#include <stdint.h>\n#include <stddef.h>\n\n");
    fprintf(out, "struct system_device {\n    const char *name;\n    uint64_t base, size;\n"
                 "    unsigned irq_first, irq_last; /* 0, 0: none */\n"
                 "    int emulated;                 /* no board device behind it: its VMM emulates it */\n};\n\n");
    fprintf(out, "struct system_vm {\n    const char *name;\n    unsigned vcpus, vcpu_priority, ram_bits;\n"
                 "    const char *bootargs;\n    const struct system_device *devices;\n    unsigned num_devices;\n};\n\n");
    fprintf(out, "/* A channel: each end may signal the other's notification. */\n"
                 "struct system_channel {\n    const char *peer;\n    unsigned peer_index;  /* in system_components */\n"
                 "    unsigned slot;        /* this component's capability to signal the peer */\n"
                 "    uint64_t badge;       /* what the peer's signals set in this component's notification word */\n"
                 "    uint64_t peer_badge;  /* what this component's signals set in the peer's */\n};\n\n");
    fprintf(out, "/* An endpoint: the client may Call the server, which receives on it. */\n"
                 "struct system_endpoint {\n    const char *peer;\n    unsigned peer_index;  /* in system_components */\n"
                 "    unsigned index;       /* in the description's endpoints: SYSTEM_NUM_ENDPOINTS */\n"
                 "    unsigned slot;        /* this component's capability to it */\n"
                 "    int server;           /* this component receives on it (else: it may only call) */\n"
                 "    unsigned badge;       /* what the client's calls carry: its index in system_components + 1 */\n"
                 "    int grant;            /* the client's calls may carry a capability (IC_RIGHT_GRANT) */\n};\n\n");
    fprintf(out, "/* A shared memory region, mapped in a component. */\n"
                 "struct system_mapping {\n    const char *region;\n    unsigned region_index; /* in system_regions */\n"
                 "    uint64_t vaddr, size;\n    int writable;\n};\n\n");
    fprintf(out, "struct system_region {\n    const char *name;\n    uint64_t size;\n};\n\n");
    fprintf(out, "struct system_component {\n    const char *name;\n"
                 "    unsigned priority, cnode_bits, memory_bits, vmids;\n"
                 "    const struct system_device *devices; /* its own */\n    unsigned num_devices;\n"
                 "    const struct system_vm *vm;          /* the VM it runs, or NULL */\n"
                 "    const struct system_channel *channels;\n    unsigned num_channels;\n"
                 "    const struct system_endpoint *endpoints;\n    unsigned num_endpoints;\n"
                 "    const struct system_mapping *mappings;\n    unsigned num_mappings;\n};\n\n");
    fprintf(out, "/* a component's notification, if it has channels; their capabilities follow */\n"
                 "#define SYSTEM_SLOT_NOTIFICATION %d\n#define SYSTEM_SLOT_FIRST_CHANNEL %d\n\n", SLOT_NOTIFICATION,
            SLOT_FIRST_CHANNEL);
    fprintf(out, "static const struct system_region system_regions[] __attribute__((unused)) = {\n");
    for (unsigned i = 0; i < num_regions; i++)
        fprintf(out, "    { \"%s\", %#llx },\n", regions[i].name, (unsigned long long)regions[i].size);
    if (!num_regions)
        fprintf(out, "    { 0 },\n");
    fprintf(out, "};\n#define SYSTEM_NUM_REGIONS %u\n\n", num_regions);
    for (unsigned i = 0; i < num_owners; i++) {
        const struct owner *o = &owners[i];
        emit_devices(out, o);
        if (!o->is_vm) {
            fprintf(out, "#define SYSTEM_COMPONENT_%s_NUM_DEVICES %u\n", ident(o->name, true), count_devices(o));
            emit_connections(out, o);
            fprintf(out, "\n");
            continue;
        }
        const char *up = ident(o->name, true);
        fprintf(out, "#define SYSTEM_VM_%s_VCPUS %llu\n", up, (unsigned long long)o->vcpus);
        fprintf(out, "#define SYSTEM_VM_%s_VCPU_PRIORITY %llu\n", up, (unsigned long long)o->vcpu_priority);
        fprintf(out, "#define SYSTEM_VM_%s_RAM_BITS %u\n", up, log2_of(o->ram));
        fprintf(out, "#define SYSTEM_VM_%s_BOOTARGS \"%s\"\n", up, o->bootargs);
        fprintf(out, "#define SYSTEM_VM_%s_NUM_DEVICES %u\n", up, count_devices(o));
        fprintf(out, "static const struct system_vm system_vm_%s __attribute__((unused)) = {\n", ident(o->name, false));
        fprintf(out, "    \"%s\", %llu, %llu, %u, \"%s\", system_devices_vm_%s, %u\n};\n\n", o->name,
                (unsigned long long)o->vcpus, (unsigned long long)o->vcpu_priority, log2_of(o->ram), o->bootargs,
                ident(o->name, false), count_devices(o));
    }
    unsigned components = 0;
    fprintf(out, "\nstatic const struct system_component system_components[] __attribute__((unused)) = {\n");
    for (unsigned i = 0; i < num_owners; i++) {
        const struct owner *o = &owners[i];
        if (o->is_vm)
            continue;
        const struct owner *vm = NULL;
        for (unsigned j = 0; j < num_owners; j++)
            if (owners[j].is_vm && !strcmp(owners[j].vmm, o->name))
                vm = &owners[j];
        fprintf(out, "    { \"%s\", %llu, %llu, %u, %llu, system_devices_component_%s, %u, ", o->name,
                (unsigned long long)o->priority, (unsigned long long)o->cnode_bits, log2_of(o->memory),
                (unsigned long long)o->vmids, ident(o->name, false), count_devices(o));
        if (vm)
            fprintf(out, "&system_vm_%s, ", ident(vm->name, false));
        else
            fprintf(out, "NULL, ");
        fprintf(out, "system_channels_%s, %u, ", ident(o->name, false), channels_of((int)i));
        fprintf(out, "system_endpoints_%s, %u, ", ident(o->name, false), endpoints_of((int)i));
        fprintf(out, "system_mappings_%s, %u },\n", ident(o->name, false), mappings_of((int)i));
        components++;
    }
    fprintf(out, "};\n#define SYSTEM_NUM_COMPONENTS %u\n#define SYSTEM_NUM_ENDPOINTS %u\n\n", components,
            num_endpoints);
    fprintf(out, "/* each component's ELF file in the loader's image: start and end */\n"
                 "extern const char *const system_component_images[SYSTEM_NUM_COMPONENTS][2];\n\n");
    fprintf(out, "#endif\n");
    if (fclose(out))
        exit(1);
}

static void emit_make(const char *outdir)
{
    FILE *out = create(outdir, "system.mk");
    fprintf(out, "# Generated by tools/syscomp from %s: do not edit.\nSYSTEM_COMPONENTS :=", desc_file);
    for (unsigned i = 0; i < num_owners; i++)
        if (!owners[i].is_vm)
            fprintf(out, " %s", owners[i].name);
    fprintf(out, "\n");
    if (fclose(out))
        exit(1);
}

/* The ELF files, page aligned so that the loader can hand their pages over
 * where they lie, and the table of where each starts and ends. */
static void emit_images(const char *outdir, const char *elfdir)
{
    FILE *out = create(outdir, "system_images.S");
    fprintf(out, "/* Generated by tools/syscomp from %s: do not edit. */\n", desc_file);
    fprintf(out, "    .section .rodata.components, \"a\"\n");
    unsigned k = 0;
    for (unsigned i = 0; i < num_owners; i++) {
        if (owners[i].is_vm)
            continue;
        fprintf(out, "    .balign 4096\nimage_%u_start:\n    .incbin \"%s/%s.elf\"\nimage_%u_end:\n", k, elfdir,
                owners[i].name, k);
        k++;
    }
    fprintf(out, "\n    .section .rodata\n    .balign 8\n    .global system_component_images\n"
                 "system_component_images:\n");
    for (unsigned i = 0; i < k; i++)
        fprintf(out, "    .quad image_%u_start, image_%u_end\n", i, i);
    fprintf(out, "\n    .section .note.GNU-stack, \"\", %%progbits\n");
    if (fclose(out))
        exit(1);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: syscomp description outdir elfdir\n");
        return 2;
    }
    desc_file = argv[1];
    FILE *in = fopen(desc_file, "r");
    if (!in) {
        fprintf(stderr, "syscomp: cannot read %s: %s\n", desc_file, strerror(errno));
        return 1;
    }
    parse(in);
    fclose(in);
    check_system();
    if (desc_errors) {
        fprintf(stderr, "syscomp: %d error%s in %s\n", desc_errors, desc_errors == 1 ? "" : "s", desc_file);
        return 1;
    }
    emit_header(argv[2]);
    emit_make(argv[2]);
    emit_images(argv[2], argv[3]);
    return 0;
}
