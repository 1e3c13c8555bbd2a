/* syscomp: checks a system description (system/NAME.system, docs/system.md)
 * against the board and compiles it into a C header for the loader and the
 * host VMM.
 * Every mistake is reported as "file:line: what is wrong" and fails the
 * build. Usage: syscomp description output.h */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The board's facts the checks need (kernel/plat/virt/board.h). */
#define BOARD_CPUS 2
#define BOARD_DEVICE_END 0x40000000ull
#define BOARD_KERNEL_DEVICES_BASE 0x08000000ull /* the GIC: the kernel's */
#define BOARD_KERNEL_DEVICES_END 0x09000000ull
#define BOARD_IRQ_FIRST 32
#define BOARD_IRQ_LAST 255 /* GICv3 on QEMU implements 256 INTIDs */
#define MAX_DEVICES 8
/* of the kernel's 255 VMIDs, the root task keeps one and one per component */
#define MAX_COMPONENT_VMIDS 200

struct device {
    char name[32];
    uint64_t base, size;
    unsigned irq_first, irq_last;
    int line;
    bool for_vm; /* passed through to the VM, or the component's own */
};

static const char *file;
static int errors;

static void error(int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    errors++;
}

static bool parse_u64(const char *s, uint64_t *v)
{
    char *end;
    errno = 0;
    *v = strtoull(s, &end, 0);
    return *s && !errno && !*end;
}

/* "256M", "1G", "65536" */
static bool parse_size(const char *s, uint64_t *v)
{
    char buf[64];
    size_t n = strlen(s);
    if (n == 0 || n >= sizeof(buf))
        return false;
    strcpy(buf, s);
    uint64_t mult = 1;
    char last = buf[n - 1];
    if (last == 'K' || last == 'M' || last == 'G') {
        mult = last == 'K' ? 1ull << 10 : last == 'M' ? 1ull << 20 : 1ull << 30;
        buf[n - 1] = 0;
    }
    return parse_u64(buf, v) && *v && *v <= (1ull << 40) / mult && (*v *= mult, true);
}

/* A device's registers: whole pages the loader can grant as one untyped
 * region, in the board's device memory, off the kernel's. */
static void check_device_window(int line, const char *base, const char *size, struct device *d)
{
    if (!parse_u64(base, &d->base) || !parse_u64(size, &d->size) || !d->size)
        error(line, "device base and size must be numbers (size not 0)");
    else if ((d->base | d->size) & 0xfff)
        error(line, "device base and size must be multiples of 4 KiB");
    else if ((d->size & (d->size - 1)) || (d->base & (d->size - 1)))
        error(line, "device size must be a power of two and its base a multiple of it (the loader "
                    "grants it as one untyped region)");
    else if (d->base + d->size > BOARD_DEVICE_END || d->base + d->size < d->base)
        error(line, "device [%#llx, %#llx) is outside the board's device memory", (unsigned long long)d->base,
              (unsigned long long)(d->base + d->size));
    else if (d->base < BOARD_KERNEL_DEVICES_END && d->base + d->size > BOARD_KERNEL_DEVICES_BASE)
        error(line, "device [%#llx, %#llx) overlaps the interrupt controller, which the kernel keeps",
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
        error(line, "irq must be a number or a range FIRST-LAST");
        return;
    }
    if (!dash)
        last = first;
    if (first < BOARD_IRQ_FIRST || last > BOARD_IRQ_LAST || first > last)
        error(line, "irq %llu-%llu: shared interrupts (SPIs) run from %d to %d", (unsigned long long)first,
              (unsigned long long)last, BOARD_IRQ_FIRST, BOARD_IRQ_LAST);
    d->irq_first = (unsigned)first;
    d->irq_last = (unsigned)last;
}

static void emit_devices(FILE *out, const char *table, const char *count, const struct device *dev, unsigned ndev,
                         bool for_vm)
{
    unsigned k = 0;
    fprintf(out, "static const struct system_device %s[] = {\n", table);
    for (unsigned i = 0; i < ndev; i++) {
        if (dev[i].for_vm != for_vm)
            continue;
        fprintf(out, "    { \"%s\", %#llx, %#llx, %u, %u },\n", dev[i].name, (unsigned long long)dev[i].base,
                (unsigned long long)dev[i].size, dev[i].irq_first, dev[i].irq_last);
        k++;
    }
    if (!k) /* C has no empty initialiser lists */
        fprintf(out, "    { 0 },\n");
    fprintf(out, "};\n#define %s %u\n\n", count, k);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: syscomp description output.h\n");
        return 2;
    }
    file = argv[1];
    FILE *in = fopen(file, "r");
    if (!in) {
        fprintf(stderr, "syscomp: cannot read %s: %s\n", file, strerror(errno));
        return 1;
    }
    char section[16] = "", bootargs[256] = "";
    bool have_board = false, have_vmm = false, have_vm = false;
    uint64_t vmm_prio = 0, vcpus = 0, vcpu_prio = 0, memory = 0;
    uint64_t vmm_cnode_bits = 12, vmm_memory = 16ull << 20, vmm_vmids = 0; /* the defaults */
    int vmm_line = 0, vm_line = 0;
    struct device dev[MAX_DEVICES];
    unsigned ndev = 0;
    char raw[512];
    for (int line = 1; fgets(raw, sizeof(raw), in); line++) {
        if (!strchr(raw, '\n') && !feof(in)) {
            error(line, "line too long");
            return 1;
        }
        char *hash = strchr(raw, '#');
        if (hash)
            *hash = 0;
        char *words[16];
        int n = 0;
        char *rest = NULL; /* the text after the first word, for bootargs */
        for (char *p = strtok(raw, " \t\r\n"); p && n < 16; p = strtok(NULL, " \t\r\n")) {
            if (n == 1)
                rest = p;
            words[n++] = p;
        }
        if (n == 0)
            continue;
        const char *key = words[0];
        if (!strcmp(key, "board")) {
            if (n != 2 || strcmp(words[1], "virt"))
                error(line, "unknown board (this build knows 'virt')");
            have_board = true;
        } else if (!strcmp(key, "component")) {
            if (n != 2 || strcmp(words[1], "host-vmm"))
                error(line, "unknown component '%s' (this build has 'host-vmm')", n > 1 ? words[1] : "");
            snprintf(section, sizeof(section), "component");
            have_vmm = true;
            vmm_line = line;
        } else if (!strcmp(key, "vm")) {
            if (n != 2 || strcmp(words[1], "host"))
                error(line, "unknown vm '%s' (this build has 'host')", n > 1 ? words[1] : "");
            snprintf(section, sizeof(section), "vm");
            have_vm = true;
            vm_line = line;
        } else if (!strcmp(key, "priority") && !strcmp(section, "component")) {
            if (n != 2 || !parse_u64(words[1], &vmm_prio) || vmm_prio > 255)
                error(line, "priority must be a number from 0 to 255");
        } else if (!strcmp(key, "cnode-bits") && !strcmp(section, "component")) {
            if (n != 2 || !parse_u64(words[1], &vmm_cnode_bits) || vmm_cnode_bits < 8 || vmm_cnode_bits > 14)
                error(line, "cnode-bits must be a number from 8 to 14 (a CSpace of 256 to 16384 slots)");
        } else if (!strcmp(key, "vmids") && !strcmp(section, "component")) {
            if (n != 2 || !parse_u64(words[1], &vmm_vmids) || vmm_vmids > MAX_COMPONENT_VMIDS)
                error(line, "vmids (how many VSpaces the component may have at once) must be a number from 0 to %d",
                      MAX_COMPONENT_VMIDS);
        } else if (!strcmp(key, "memory") && !strcmp(section, "component")) {
            if (n != 2 || !parse_size(words[1], &vmm_memory) || (vmm_memory & (vmm_memory - 1)) ||
                vmm_memory < (1ull << 20) || vmm_memory > (64ull << 20))
                error(line, "a component's memory (for the objects it makes) must be a power of two from 1M to 64M");
        } else if (!strcmp(key, "vcpus") && !strcmp(section, "vm")) {
            if (n != 2 || !parse_u64(words[1], &vcpus) || vcpus < 1 || vcpus > BOARD_CPUS)
                error(line, "vcpus must be from 1 to %d (the board's CPUs)", BOARD_CPUS);
        } else if (!strcmp(key, "vcpu-priority") && !strcmp(section, "vm")) {
            if (n != 2 || !parse_u64(words[1], &vcpu_prio) || vcpu_prio > 255)
                error(line, "vcpu-priority must be a number from 0 to 255");
        } else if (!strcmp(key, "memory") && !strcmp(section, "vm")) {
            if (n != 2 || !parse_size(words[1], &memory) || (memory & (memory - 1)) || memory < (64ull << 20) ||
                memory > (256ull << 20))
                error(line, "memory must be a power of two from 64M to 256M (it must fit the board's RAM "
                            "beside the kernel and the VMM)");
        } else if (!strcmp(key, "bootargs") && !strcmp(section, "vm")) {
            if (!rest || strlen(rest) >= sizeof(bootargs))
                error(line, "bootargs needs a command line of fewer than %zu characters", sizeof(bootargs));
            else {
                /* strtok split it: join the words back */
                bootargs[0] = 0;
                for (int i = 1; i < n; i++) {
                    if (strlen(bootargs) + strlen(words[i]) + 2 >= sizeof(bootargs)) {
                        error(line, "bootargs too long");
                        break;
                    }
                    if (i > 1)
                        strcat(bootargs, " ");
                    strcat(bootargs, words[i]);
                }
                for (char *c = bootargs; *c; c++)
                    if (*c == '"' || *c == '\\' || !isprint((unsigned char)*c))
                        error(line, "bootargs may not contain quotes, backslashes or control characters");
            }
        } else if (!strcmp(key, "device") && section[0]) {
            /* a VM's device: passed through, with its interrupts; a
             * component's: for the component itself, without */
            bool for_vm = !strcmp(section, "vm");
            struct device d = { .line = line, .for_vm = for_vm };
            if (for_vm ? n != 6 || strcmp(words[4], "irq") : n != 4) {
                error(line, for_vm ? "a device is: device NAME BASE SIZE irq FIRST[-LAST]"
                                   : "a component's device is: device NAME BASE SIZE");
                continue;
            }
            if (for_vm && strcmp(words[1], "uart") && strcmp(words[1], "virtio-mmio"))
                error(line, "unknown device '%s' (this VMM passes through 'uart' and 'virtio-mmio')", words[1]);
            if (!for_vm && strcmp(words[1], "fw-cfg"))
                error(line, "unknown device '%s' (host-vmm uses 'fw-cfg', the device its guest's images come "
                            "from)", words[1]);
            snprintf(d.name, sizeof(d.name), "%s", words[1]);
            check_device_window(line, words[2], words[3], &d);
            if (for_vm)
                parse_irqs(line, words[5], &d);
            for (unsigned i = 0; i < ndev; i++) {
                if (d.base < dev[i].base + dev[i].size && dev[i].base < d.base + d.size)
                    error(line, "device overlaps '%s' (line %d)", dev[i].name, dev[i].line);
                if (for_vm && dev[i].for_vm && d.irq_first <= dev[i].irq_last && dev[i].irq_first <= d.irq_last)
                    error(line, "irq overlaps those of '%s' (line %d)", dev[i].name, dev[i].line);
            }
            if (ndev == MAX_DEVICES)
                error(line, "more than %d devices", MAX_DEVICES);
            else
                dev[ndev++] = d;
        } else {
            error(line, "unknown setting '%s'%s", key, section[0] ? "" : " (outside a component or vm)");
        }
    }
    fclose(in);
    if (!have_board)
        error(1, "no board");
    if (!have_vmm)
        error(1, "no component host-vmm");
    if (!have_vm)
        error(1, "no vm host");
    if (have_vm && (!vcpus || !memory))
        error(vm_line, "vm host needs vcpus and memory");
    if (have_vmm && have_vm && vmm_vmids == 0)
        error(vmm_line, "host-vmm needs vmids of at least 1: the host VM's VSpace takes one");
    if (have_vmm && have_vm && vcpu_prio >= vmm_prio)
        error(vm_line, "vcpu-priority (%llu) must be below the priority of host-vmm (%llu, line %d), which "
                       "must answer its guest's exits",
              (unsigned long long)vcpu_prio, (unsigned long long)vmm_prio, vmm_line);
    if (errors) {
        fprintf(stderr, "syscomp: %d error%s in %s\n", errors, errors == 1 ? "" : "s", file);
        return 1;
    }

    FILE *out = fopen(argv[2], "w");
    if (!out) {
        fprintf(stderr, "syscomp: cannot write %s: %s\n", argv[2], strerror(errno));
        return 1;
    }
    unsigned bits = 0, vmm_memory_bits = 0;
    while ((1ull << bits) < memory)
        bits++;
    while ((1ull << vmm_memory_bits) < vmm_memory)
        vmm_memory_bits++;
    fprintf(out, "/* Generated by tools/syscomp from %s: do not edit. */\n", file);
    fprintf(out, "#ifndef SYSTEM_H\n#define SYSTEM_H\n\n#include <stdint.h>\n\n");
    fprintf(out, "#define SYSTEM_VMM_PRIORITY %llu\n", (unsigned long long)vmm_prio);
    fprintf(out, "#define SYSTEM_VMM_CNODE_BITS %llu\n", (unsigned long long)vmm_cnode_bits);
    fprintf(out, "#define SYSTEM_VMM_MEMORY_BITS %u\n", vmm_memory_bits);
    fprintf(out, "#define SYSTEM_VMM_VMIDS %llu\n", (unsigned long long)vmm_vmids);
    fprintf(out, "#define SYSTEM_HOST_VCPUS %llu\n", (unsigned long long)vcpus);
    fprintf(out, "#define SYSTEM_HOST_VCPU_PRIORITY %llu\n", (unsigned long long)vcpu_prio);
    fprintf(out, "#define SYSTEM_HOST_RAM_BITS %u\n", bits);
    fprintf(out, "#define SYSTEM_HOST_BOOTARGS \"%s\"\n\n", bootargs);
    fprintf(out, "struct system_device {\n    const char *name;\n    uint64_t base, size;\n"
                 "    unsigned irq_first, irq_last;\n};\n\n");
    emit_devices(out, "system_host_devices", "SYSTEM_HOST_NUM_DEVICES", dev, ndev, true);
    emit_devices(out, "system_vmm_devices", "SYSTEM_VMM_NUM_DEVICES", dev, ndev, false);
    fprintf(out, "#endif\n");
    return fclose(out) ? 1 : 0;
}
