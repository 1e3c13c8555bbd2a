/* The loader: the root task of the system image. It starts every component
 * of the system description (system/virt.system, compiled into system.h) in
 * a CSpace and VSpace of its own, with nothing but the capabilities the
 * description grants it, then stays as the fault handler of them all.
 * docs/loader.md describes what a component finds when it starts.
 *
 * A component's image is an ELF file inside the loader's own image. Pages
 * the file fills entirely and that are not writable are shared where they
 * lie; the others are copied into new frames. The component holds the
 * capabilities to all of them (boot information: image_frames). */
#include <icecap/icecap.h>
#include <icecap/env.h>
#include <icecap/elf.h>
#include <icecap/protocols/log.h> /* generated from abi/protocols/log.tbl */
#include <ring/ring.h>
#include <untyped/buddy.h>
#include <system.h> /* compiled from system/virt.system by tools/syscomp */
#include "image_check.h"

#define ROOT_CNODE IC_SLOT_ROOT_CNODE
#define ROOT_VSPACE IC_SLOT_ROOT_VSPACE
#define ROOT_TCB IC_SLOT_ROOT_TCB
#define PAGE 4096ull
#define POOL_BITS 24             /* the loader's own objects */
#define SCRATCH_VA 0x40000000ull /* where the loader fills new pages */
#define LOG_VA 0x48000000ull     /* where it writes the log console's rings */
#define LOG_REGION "console-log"
#define LOG_BADGE (1ull << 62)   /* what its signals set in the log console's reader */
#define MAX_PIECES 64
/* GICv2's virtual CPU interface (GICV) on QEMU's virt board
 * (kernel/plat/virt/board.h): two pages, as the CPU interface it stands
 * in for */
#define GICV_BASE 0x08040000ull
#define GICV_BITS 13

extern const char __image_end[];

/* What the description says about component i (system.h), and its ELF
 * image (system_images.S, inside the loader's own image). */
struct component {
    const struct system_component *desc;
    const char *name;
    const char *image, *image_end;
    const struct system_device *vm_devices; /* passed through to its VM */
    unsigned num_vm_devices;
};

static struct component component_at(unsigned i)
{
    const struct system_component *d = &system_components[i];
    return (struct component){ d, d->name, system_component_images[i][0], system_component_images[i][1],
                               d->vm ? d->vm->devices : NULL, d->vm ? d->vm->num_devices : 0 };
}

/* Its devices, its VM's first: i < num_vm_devices + desc->num_devices */
static const struct system_device *device_at(const struct component *c, unsigned i)
{
    return i < c->num_vm_devices ? &c->vm_devices[i] : &c->desc->devices[i - c->num_vm_devices];
}

static ic_bootinfo_t *bi;
static ic_cptr_t fault_ep;
/* the loader's VMID pool, for the components' VSpaces; VMIDs from next_vmid
 * on are still free for the components' own pools */
static ic_cptr_t vmids;
static ic_word_t next_vmid;

/* Untyped memory the loader holds, split in halves on demand so that a
 * region at a given address can be handed out (lib/untyped). The loader
 * never takes any back. */
static struct buddy_piece pieces[MAX_PIECES + IC_BOOTINFO_MAX_UNTYPED];
static struct buddy memory;

static int split_untyped(void *ctx, uint64_t parent, unsigned child_bits, uint64_t caps[2])
{
    (void)ctx;
    ic_cptr_t halves = ic_make_from(parent, IC_OBJ_UNTYPED, child_bits, 2);
    caps[0] = halves;
    caps[1] = halves + 1;
    return 0;
}
static const struct buddy_ops untyped_ops = { split_untyped, NULL };

static void log_drain(void);

/* An untyped piece covering exactly [paddr, paddr + 2^bits), split off the
 * piece that contains it; paddr == BUDDY_ANY_ADDRESS takes any of that
 * size. NULL if there is none (or the address is not aligned to the size). */
static const struct buddy_piece *take(ic_word_t paddr, unsigned bits, bool device)
{
    uint32_t i;
    int err = buddy_take(&memory, paddr, bits, device, &i);
    if (err == BUDDY_ERR_NO_MEMORY || err == BUDDY_ERR_ARG) /* the caller says what it looked for */
        return NULL;
    if (err)
        ic_die("splitting memory", IC_NOT_ENOUGH_MEMORY);
    return &pieces[i];
}

/* A new frame holding 'len' bytes from 'src' (the rest zero), mapped at
 * 'va' in 'vspace'; the capability is in the loader's 'transfer' slot. */
static ic_cptr_t transfer;
static void map_copy(ic_cptr_t vspace, ic_word_t va, const void *src, size_t len, ic_word_t rights)
{
    ic_check(ic_untyped_retype(ic_env.pool, IC_OBJ_FRAME_4K, 0, ROOT_CNODE, 64, transfer, 1, ROOT_CNODE), "retype");
    ic_cptr_t frame = transfer;
    ic_map_frame(ROOT_VSPACE, frame, SCRATCH_VA, IC_RIGHT_READ | IC_RIGHT_WRITE, IC_ATTR_CACHED);
    if (len)
        memcpy((void *)(uintptr_t)SCRATCH_VA, src, len);
    /* the component may fetch it as code */
    ic_check(ic_frame_clean(frame, 0, PAGE), "clean");
    ic_check(ic_frame_unmap(frame), "unmap");
    ic_map_frame(vspace, frame, va, rights, IC_ATTR_CACHED);
}

/* Move the capability in the transfer slot to slot 'dest' of a CNode. */
static void hand_over(ic_cptr_t cnode, unsigned bits, ic_word_t dest)
{
    if (dest >= 1ull << bits)
        ic_die("fitting a component's capabilities into its CNode (cnode-bits)", IC_NOT_ENOUGH_MEMORY);
    ic_check(ic_cnode_move(cnode, dest, bits, transfer, 64, ROOT_CNODE), "hand over a capability");
}

/* ------------------------------------------------------------ ELF images */


/* The loader's own image frame holding the page at loader address va. */
static ic_cptr_t own_frame(const void *va)
{
    return bi->image_frames.start + ((ic_word_t)(uintptr_t)va - bi->image_vaddr) / PAGE;
}

/* Load the ELF image into vspace, its frames into the component's CNode
 * from slot *next on, in address order; returns its entry point and the end
 * of what it occupies. */
static ic_word_t load_image(const struct component *c, ic_cptr_t vspace, ic_cptr_t cnode, unsigned bits,
                            ic_word_t *next, ic_word_t *image_start, ic_word_t *image_end)
{
    const char *file = c->image;
    size_t size = (size_t)(c->image_end - c->image);
    /* the headers are read once, before pages are handed over */
    ic_elf64_phdr_t ph[8];
    unsigned phnum;
    uint64_t entry;
    const char *wrong = loader_check_image(file, size, ph, 8, &phnum, &entry);
    if (wrong) {
        ic_printf("loader: %s: its image has %s\n", c->name, wrong);
        ic_die("loading a component", IC_INVALID_ARGUMENT);
    }
    ic_word_t end = 0;
    for (unsigned i = 0; i < phnum; i++) {
        if (ph[i].type != IC_PT_LOAD || ph[i].memsz == 0)
            continue;
        ic_word_t rights = IC_RIGHT_READ | (ph[i].flags & IC_PF_W ? IC_RIGHT_WRITE : 0) |
                           (ph[i].flags & IC_PF_X ? IC_RIGHT_EXECUTE : 0);
        ic_word_t start = ph[i].vaddr & ~(PAGE - 1);
        ic_word_t seg_end = (ph[i].vaddr + ph[i].memsz + PAGE - 1) & ~(PAGE - 1);
        for (ic_word_t va = start; va < seg_end; va += PAGE) {
            const char *src = file + ph[i].offset + (va - ph[i].vaddr);
            bool whole = va >= ph[i].vaddr && va + PAGE <= ph[i].vaddr + ph[i].filesz;
            if (whole && !(ph[i].flags & IC_PF_W) && ((uintptr_t)src & (PAGE - 1)) == 0) {
                /* a copy of the loader's own frame (the loader keeps its
                 * mapping: unmapping would cost a TLB flush a page) */
                ic_check(ic_cnode_copy(ROOT_CNODE, transfer, 64, own_frame(src), 64, rights, ROOT_CNODE), "copy");
                ic_map_frame(vspace, transfer, va, rights, IC_ATTR_CACHED);
                hand_over(cnode, bits, (*next)++);
                continue;
            }
            /* the part of this page the file provides; the rest is zero */
            ic_word_t from = va > ph[i].vaddr ? va : ph[i].vaddr;
            ic_word_t to = va + PAGE < ph[i].vaddr + ph[i].filesz ? va + PAGE : ph[i].vaddr + ph[i].filesz;
            char buf[PAGE];
            memset(buf, 0, sizeof(buf));
            if (from < to)
                memcpy(buf + (from - va), file + ph[i].offset + (from - ph[i].vaddr), to - from);
            map_copy(vspace, va, buf, PAGE, rights);
            hand_over(cnode, bits, (*next)++);
        }
        if (seg_end > end)
            end = seg_end;
        if (start < *image_start)
            *image_start = start;
    }
    *image_end = end;
    return entry;
}

/* ------------------------------------------------------------ components */

/* Put a capability into the component's CNode (cnode, with its radix). */
static void give(ic_cptr_t cnode, unsigned bits, ic_word_t dest, ic_cptr_t cap, bool move)
{
    if (move)
        ic_check(ic_cnode_move(cnode, dest, bits, cap, 64, ROOT_CNODE), "move a capability");
    else
        ic_check(ic_cnode_copy(cnode, dest, bits, cap, 64, IC_RIGHTS_ALL, ROOT_CNODE), "copy a capability");
}

/* Connections (docs/system.md): each component with channels has a
 * notification, and each shared memory region its frames, made before any
 * component starts, since either end may start first. */
static ic_cptr_t notifications[SYSTEM_NUM_COMPONENTS];
static ic_cptr_t endpoints[SYSTEM_NUM_ENDPOINTS + 1]; /* (+1: C has no empty arrays) */
static ic_cptr_t region_frames[SYSTEM_NUM_REGIONS + 1]; /* the first of size / 4K frames (+1: C has no empty arrays) */

/* The log console (abi/protocols/log.tbl): the region console-log, which
 * the loader writes and one component (the serial server) reads. */
static int log_region = -1;
static unsigned log_reader;
static struct ring log_ring, log_unused;
static ic_cptr_t log_signal;
static bool log_at_line_start[SYSTEM_NUM_COMPONENTS + 1]; /* +1: the loader's own lines */
static uint64_t log_dropped;

static void find_log_region(void)
{
    const unsigned num_regions = SYSTEM_NUM_REGIONS;
    for (unsigned r = 0; r < num_regions; r++)
        if (!strcmp(system_regions[r].name, LOG_REGION))
            log_region = (int)r;
    for (unsigned i = 0; log_region >= 0 && i < SYSTEM_NUM_COMPONENTS; i++)
        for (unsigned m = 0; m < system_components[i].num_mappings; m++)
            if (system_components[i].mappings[m].region_index == (unsigned)log_region)
                log_reader = i;
}

static void make_connections(void)
{
    find_log_region();
    for (unsigned i = 0; i < SYSTEM_NUM_COMPONENTS; i++)
        if (system_components[i].num_channels || (log_region >= 0 && i == log_reader))
            notifications[i] = ic_make(IC_OBJ_NOTIFICATION, 0);
    const unsigned num_endpoints = SYSTEM_NUM_ENDPOINTS; /* (0 in some systems) */
    for (unsigned e = 0; e < num_endpoints; e++)
        endpoints[e] = ic_make(IC_OBJ_ENDPOINT, 0);
    const unsigned num_regions = SYSTEM_NUM_REGIONS; /* (0 in some systems: no constant comparison) */
    for (unsigned r = 0; r < num_regions; r++) {
        unsigned bits = 12;
        while ((1ull << bits) < system_regions[r].size)
            bits++;
        const struct buddy_piece *p = take(BUDDY_ANY_ADDRESS, bits, false);
        if (!p)
            ic_die("finding memory to share", IC_NOT_ENOUGH_MEMORY);
        region_frames[r] = ic_make_from(p->cap, IC_OBJ_FRAME_4K, 0, 1ull << (bits - 12));
    }
}

/* Its endpoints' capabilities: the server's may only receive, a client's
 * only call, badged with the client, and send a capability with its call
 * where the description says grant. */
static void give_endpoints(const struct system_component *d, ic_cptr_t cnode, unsigned bits)
{
    for (unsigned k = 0; k < d->num_endpoints; k++) {
        const struct system_endpoint *e = &d->endpoints[k];
        if (e->slot >= 1ull << bits)
            ic_die("fitting a component's endpoints into its CNode (cnode-bits)", IC_NOT_ENOUGH_MEMORY);
        ic_word_t client_rights = IC_RIGHT_WRITE | (e->grant ? IC_RIGHT_GRANT : 0);
        ic_check(e->server ? ic_cnode_copy(cnode, e->slot, bits, endpoints[e->index], 64, IC_RIGHT_READ, ROOT_CNODE)
                           : ic_cnode_mint(cnode, e->slot, bits, endpoints[e->index], 64, client_rights, e->badge,
                                           ROOT_CNODE),
              "give an endpoint");
    }
}

/* Its channels' and endpoints' capabilities, in the slots the description
 * gives; returns the first slot after them. */
static ic_word_t give_channels(unsigned index, ic_cptr_t cnode, unsigned bits)
{
    const struct system_component *d = &system_components[index];
    ic_word_t next = IC_SLOT_FIRST_FREE_FIXED;
    if (notifications[index]) {
        give(cnode, bits, SYSTEM_SLOT_NOTIFICATION, notifications[index], false);
        next = SYSTEM_SLOT_FIRST_CHANNEL;
    }
    for (unsigned k = 0; k < d->num_channels; k++) {
        const struct system_channel *ch = &d->channels[k];
        if (ch->slot >= 1ull << bits)
            ic_die("fitting a component's channels into its CNode (cnode-bits)", IC_NOT_ENOUGH_MEMORY);
        /* it may signal, and only signal, the peer's notification */
        ic_check(ic_cnode_mint(cnode, ch->slot, bits, notifications[ch->peer_index], 64, IC_RIGHT_WRITE,
                            ch->peer_badge, ROOT_CNODE),
              "give a channel");
        next = ch->slot + 1;
    }
    give_endpoints(d, cnode, bits);
    if (d->num_endpoints) /* they follow the channels */
        next = d->endpoints[d->num_endpoints - 1].slot + 1;
    return next;
}

/* Its shared memory, mapped where the description says. */
static void map_shared(const struct system_component *d, ic_cptr_t vspace)
{
    for (unsigned m = 0; m < d->num_mappings; m++) {
        const struct system_mapping *map_ = &d->mappings[m];
        ic_word_t rights = IC_RIGHT_READ | (map_->writable ? IC_RIGHT_WRITE : 0);
        for (ic_word_t off = 0; off < map_->size; off += PAGE) {
            ic_cptr_t copy = ic_slot();
            ic_check(ic_cnode_copy(ROOT_CNODE, copy, 64, region_frames[map_->region_index] + off / PAGE, 64, rights,
                                ROOT_CNODE),
                  "copy a shared frame");
            ic_map_frame(vspace, copy, map_->vaddr + off, rights, IC_ATTR_CACHED);
        }
    }
}

/* Bytes for the log console; what does not fit is dropped and counted:
 * the loader never waits for the serial server. */
static void log_put(const char *s, size_t n)
{
    int w = ring_write(&log_ring, s, n);
    if (w < 0 || (size_t)w < n)
        log_dropped += n - (w < 0 ? 0 : (size_t)w);
}

static void log_flush(void)
{
    if (ring_need_wake_reader(&log_ring))
        ic_signal(log_signal);
}

/* The loader's own lines, once the log console exists. */
static void log_own(const char *s, size_t n)
{
    log_put(s, n);
    log_flush();
}

/* The kernel's lines (DebugLog), once the log console exists: each goes
 * there as "kernel: ...", and the loader's bound notification tells it of
 * new ones (serve_faults). */
static bool kernel_at_line_start = true;
static void log_kernel_lines(void)
{
    char buf[IC_DEBUG_LOG_BYTES];
    ic_word_t lost = 0;
    long n;
    while ((n = ic_debug_log(buf, &lost)) > 0 || (n == 0 && lost)) {
        if (lost)
            ic_printf("loader: %llu of the kernel's lines were lost (its log was full)\n",
                      (unsigned long long)lost);
        for (long i = 0; i < n; i++) {
            if (kernel_at_line_start)
                log_put("kernel: ", 8);
            log_put(&buf[i], 1);
            kernel_at_line_start = buf[i] == '\n';
        }
    }
    log_flush();
}

/* Before the system stops: the log console's reader gets the CPU until it
 * has read everything (at most about a second), so that a component's
 * last words, often the reason the system stops, reach the console. What
 * it has not read by then goes to the kernel's console, printable bytes
 * only (the reader could have written anything into the ring). */
static void log_drain(void)
{
    if (ic_console_write != log_own)
        return; /* no log console (yet) */
    log_kernel_lines();
    ic_console_write = ic_kernel_console_write;
    ic_signal(log_signal);
    /* below the reader, above everything a VM runs */
    unsigned prio = system_components[log_reader].priority;
    ic_tcb_set_priority(ROOT_TCB, prio ? prio - 1 : 0, ROOT_TCB);
    uint64_t hz = ic_counter_frequency(), start = ic_counter();
    while (ring_space(&log_ring) >= 0 && (uint32_t)ring_space(&log_ring) < log_ring.size &&
           ic_counter() - start < hz)
        ic_yield();
    /* and the time to write it out */
    for (uint64_t t = ic_counter(); ic_counter() - t < hz / 20;)
        ic_yield();
    uint32_t read = log_ring.ctrl->read, unread = log_ring.mine - read;
    if (unread > log_ring.size)
        unread = log_ring.size;
    for (uint32_t i = log_ring.mine - unread; i != log_ring.mine; i++) {
        char ch = (char)log_ring.data[i & (log_ring.size - 1)];
        if (ch == '\n' || (ch >= ' ' && ch < 0x7f))
            ic_debug_putchar(ch);
    }
    if (log_dropped)
        ic_printf("loader: %llu bytes of log lines were dropped (the log console was full)\n",
                  (unsigned long long)log_dropped);
}

/* Sets up the log console: the loader maps its region, and from now on its
 * own lines and the components' go there instead of the kernel's console. */
static void start_log(void)
{
    if (log_region < 0)
        return;
    const struct system_region *r = &system_regions[log_region];
    for (ic_word_t off = 0; off < r->size; off += PAGE) {
        ic_cptr_t copy = ic_slot();
        ic_check(ic_cnode_copy(ROOT_CNODE, copy, 64, region_frames[log_region] + off / PAGE, 64, IC_RIGHTS_ALL,
                            ROOT_CNODE),
              "copy a frame of the log console");
        ic_map_frame(ROOT_VSPACE, copy, LOG_VA + off, IC_RIGHT_READ | IC_RIGHT_WRITE, IC_ATTR_CACHED);
    }
    if (ring_pair_attach(&log_ring, &log_unused, (void *)(uintptr_t)LOG_VA, r->size, 0))
        ic_die("attaching the log console's rings", IC_INVALID_ARGUMENT);
    log_signal = ic_slot();
    ic_check(ic_cnode_mint(ROOT_CNODE, log_signal, 64, notifications[log_reader], 64, IC_RIGHT_WRITE, LOG_BADGE,
                        ROOT_CNODE),
          "badge the log console's signal");
    for (unsigned i = 0; i <= SYSTEM_NUM_COMPONENTS; i++)
        log_at_line_start[i] = true;
    ic_printf("loader: component lines go to the log console (%s) from here on, the kernel's too\n",
              system_components[log_reader].name);
    ic_console_write = log_own;
    /* the first DebugLog moves the kernel's lines from the UART to its log */
    ic_check(ic_tcb_bind_notification(ROOT_TCB, ic_make(IC_OBJ_NOTIFICATION, 0)),
             "bind a notification for the kernel's lines");
    log_kernel_lines();
}

/* A log message from component 'index' (abi/protocols/log.tbl): its bytes,
 * each line starting with its name. A malformed message is dropped. */
static void log_from(unsigned index, ic_msginfo_t info)
{
    struct ic_log_write_args msg;
    if (ic_log_write_unpack(info, ic_ipc_buffer()->msg, &msg) != IC_OK) {
        log_dropped++;
        return;
    }
    const char *text = msg.text;
    ic_word_t n = msg.text_len;
    const char *name = system_components[index].name;
    size_t name_len = strlen(name);
    for (ic_word_t i = 0; i < n;) {
        /* one line (or the rest of this message) at a time */
        ic_word_t end = i;
        while (end < n && text[end] != '\n')
            end++;
        if (end < n)
            end++;
        if (log_at_line_start[index] &&
            !(end - i > name_len + 1 && !memcmp(text + i, name, name_len) && text[i + name_len] == ':')) {
            log_put(name, name_len);
            log_put(": ", 2);
        }
        log_put(text + i, end - i);
        log_at_line_start[index] = text[end - 1] == '\n';
        i = end;
    }
    log_flush();
}

static void start_component(unsigned index, const struct component *c)
{
    const struct system_component *d = c->desc;
    unsigned bits = d->cnode_bits;
    ic_cptr_t cnode = ic_make(IC_OBJ_CNODE, bits);
    ic_cptr_t vspace = ic_make(IC_OBJ_VSPACE, 0);
    ic_check(ic_vmid_pool_assign(vmids, vspace), "give a VSpace its VMID");
    ic_cptr_t tcb = ic_make(IC_OBJ_TCB, 0);
    ic_word_t next = give_channels(index, cnode, bits), image_start = ~0ull, image_end;
    ic_word_t entry = load_image(c, vspace, cnode, bits, &next, &image_start, &image_end);
    map_shared(d, vspace);

    /* its boot information and IPC buffer, in the two pages after the image */
    static ic_bootinfo_t info;
    memset(&info, 0, sizeof(info));
    ic_word_t info_va = image_end, ipc_va = image_end + PAGE;
    info.magic = IC_BOOTINFO_MAGIC;
    info.num_cpus = bi->num_cpus;
    info.ipc_buffer = ipc_va;
    info.timer_frequency = bi->timer_frequency;
    info.gic_version = bi->gic_version;
    info.vgic_list_registers = bi->vgic_list_registers;
    info.cnode_bits = bits;
    info.image_vaddr = image_start;
    info.image_frames = (ic_slot_range_t){ IC_SLOT_FIRST_FREE_FIXED, next };
    size_t name_len = strlen(c->name);
    memcpy(info.name, c->name, name_len < sizeof(info.name) ? name_len : sizeof(info.name) - 1);

    /* the fixed slots */
    ic_check(ic_cnode_mint(cnode, IC_SLOT_ROOT_CNODE, bits, cnode, 64, IC_RIGHTS_ALL, 64 - bits, ROOT_CNODE),
          "give a CNode its guard");
    give(cnode, bits, IC_SLOT_ROOT_VSPACE, vspace, false);
    give(cnode, bits, IC_SLOT_ROOT_TCB, tcb, false);
    if (d->vmids) {
        if (d->vmids > IC_NUM_VMIDS - next_vmid)
            ic_die("finding VMIDs for a component", IC_NOT_ENOUGH_MEMORY);
        ic_cptr_t own_vmids = ic_slot();
        ic_check(ic_vmid_control_make_pool(IC_SLOT_VMIDS, next_vmid, d->vmids, own_vmids, 64, ROOT_CNODE),
              "make a VMID pool");
        next_vmid += d->vmids;
        give(cnode, bits, IC_SLOT_VMIDS, own_vmids, true);
    }

    /* granted memory: its own, then the RAM of the VM it runs, then the
     * devices of that VM and its own devices, each one untyped region */
    info.untyped.start = next;
    unsigned ram_bits = d->vm ? d->vm->ram_bits : 0;
    const struct buddy_piece *mem = take(BUDDY_ANY_ADDRESS, d->memory_bits, false);
    const struct buddy_piece *ram = ram_bits ? take(BUDDY_ANY_ADDRESS, ram_bits, false) : NULL;
    if (!mem || (ram_bits && !ram))
        ic_die("finding memory for a component", IC_NOT_ENOUGH_MEMORY);
    const struct buddy_piece *granted[2 + 2 * 8 + 1];
    unsigned n = 0;
    granted[n++] = mem;
    if (ram)
        granted[n++] = ram;
    unsigned num_devices = c->num_vm_devices + d->num_devices;
    if (num_devices > sizeof(granted) / sizeof(granted[0]) - n - 1)
        ic_die("granting that many devices", IC_NOT_ENOUGH_MEMORY);
    for (unsigned i = 0; i < num_devices; i++) {
        const struct system_device *dev = device_at(c, i);
        if (dev->emulated) /* an address in its VM, nothing of the board's */
            continue;
        unsigned dbits = 0;
        while ((1ull << dbits) < dev->size)
            dbits++;
        const struct buddy_piece *p = take(dev->base, dbits, true);
        if (!p)
            ic_die("finding a device's memory", IC_NOT_ENOUGH_MEMORY);
        granted[n++] = p;
    }
    /* on GICv2 a VM's CPU interface is the hardware's virtual one, which
     * its VMM maps into it: not a device of the description but the
     * kernel's, handed on to whoever runs a VM */
    bool gicv = ram && bi->gic_version == 2;
    if (gicv) {
        const struct buddy_piece *p = take(GICV_BASE, GICV_BITS, true);
        if (!p)
            ic_die("finding the GIC's virtual CPU interface", IC_NOT_ENOUGH_MEMORY);
        granted[n++] = p;
    }
    for (unsigned i = 0; i < n; i++) {
        give(cnode, bits, next, granted[i]->cap, true);
        info.untyped_list[i] = (ic_untyped_desc_t){ .paddr = granted[i]->paddr,
                                                    .size_bits = (uint8_t)granted[i]->bits,
                                                    .is_device = granted[i]->device };
        next++;
    }
    info.untyped.end = next;

    /* the devices' interrupts: its VM's and its own */
    info.irqs.start = next;
    unsigned nirq = 0;
    for (unsigned i = 0; i < num_devices; i++) {
        const struct system_device *dev = device_at(c, i);
        for (unsigned irq = dev->irq_first; !dev->emulated && dev->irq_last && irq <= dev->irq_last; irq++) {
            if (nirq == IC_BOOTINFO_MAX_IRQS)
                ic_die("granting more interrupts", IC_NOT_ENOUGH_MEMORY);
            ic_cptr_t handler = ic_slot();
            ic_check(ic_irq_control_get(IC_SLOT_IRQ_CONTROL, irq, handler, 64, ROOT_CNODE), "get an interrupt");
            give(cnode, bits, next++, handler, true);
            info.irq_list[nirq++] = (uint16_t)irq;
        }
    }
    info.irqs.end = next;
    /* its lines go to the loader, for the log console (abi/protocols/log.tbl);
     * without one (a description with no console-log) through the kernel's
     * console, which its first thread may use and the threads it makes may
     * not */
    if (log_region >= 0) {
        ic_cptr_t log = ic_slot();
        ic_check(ic_cnode_mint(ROOT_CNODE, log, 64, fault_ep, 64, IC_RIGHT_WRITE, index + 1, ROOT_CNODE), "mint");
        if (next >= 1ull << bits)
            ic_die("fitting a component's capabilities into its CNode (cnode-bits)", IC_NOT_ENOUGH_MEMORY);
        give(cnode, bits, next, log, true);
        info.log = next++;
    }
    info.empty = (ic_slot_range_t){ next, 1ull << bits };

    map_copy(vspace, info_va, &info, sizeof(info), IC_RIGHT_READ);
    hand_over(cnode, bits, IC_SLOT_BOOTINFO_FRAME);
    map_copy(vspace, ipc_va, NULL, 0, IC_RIGHT_READ | IC_RIGHT_WRITE);
    ic_cptr_t ipc_frame = ic_slot();
    ic_check(ic_cnode_copy(ROOT_CNODE, ipc_frame, 64, transfer, 64, IC_RIGHTS_ALL, ROOT_CNODE), "copy");
    hand_over(cnode, bits, IC_SLOT_IPC_BUFFER);

    /* the thread: faults come to the loader, badged with the component */
    ic_cptr_t badged = ic_slot();
    ic_check(ic_cnode_mint(ROOT_CNODE, badged, 64, fault_ep, 64, IC_RIGHTS_ALL, index + 1, ROOT_CNODE), "mint");
    ic_check(ic_tcb_configure(tcb, 64 - bits, ipc_va, badged, cnode, vspace, ipc_frame), "configure");
    ic_check(ic_tcb_set_max_priority(tcb, d->priority, ROOT_TCB), "maximum priority");
    ic_check(ic_tcb_set_priority(tcb, d->priority, ROOT_TCB), "priority");
    if (log_region < 0)
        ic_check(ic_tcb_set_access(tcb, IC_TCB_ACCESS_CONSOLE, ROOT_TCB), "console access");
    ic_user_context_t regs = { 0 };
    regs.regs[IC_REG_PC] = entry;
    regs.regs[IC_REG_X0] = info_va;
    char ram_text[32] = "";
    if (ram)
        ic_snprintf(ram_text, sizeof ram_text, ", %u KiB of RAM", 1u << (ram->bits - 10));
    unsigned devices = n - 1 - (ram != NULL) - gicv;
#define PLURAL(x) (x), (x) == 1 ? "" : "s"
    ic_printf("loader: %s: priority %u, %u slots, %u KiB of memory%s, %u device%s, %u interrupt%s, %u channel%s, "
              "%u shared region%s%s\n",
              c->name, d->priority, 1u << bits, 1u << (d->memory_bits - 10), ram_text, PLURAL(devices), PLURAL(nirq),
              PLURAL(d->num_channels), PLURAL(d->num_mappings), gicv ? ", the GICv2 virtual CPU interface" : "");
#undef PLURAL
    ic_check(ic_tcb_write_registers(tcb, true, IC_REG_X0 + 1, &regs), "start");
}

/* Faults of the components: one line each; the component stays stopped.
 * A component that asks to halt (ic_debug_halt, as main's return does) ends
 * the system: the host VM's power-off ends it this way. */
static void serve_faults(void)
{
    for (;;) {
        ic_word_t badge;
        ic_msginfo_t info = ic_recv(fault_ep, &badge);
        if (info == 0 && (badge & IC_DEBUG_LOG_BADGE)) {
            log_kernel_lines();
            continue;
        }
        const char *name = badge >= 1 && badge <= SYSTEM_NUM_COMPONENTS ? system_components[badge - 1].name : "?";
        ic_word_t label = ic_msginfo_label(info);
        if (label == IC_LOG_WRITE_LABEL && badge >= 1 && badge <= SYSTEM_NUM_COMPONENTS) {
            log_from((unsigned)badge - 1, info);
            continue;
        }
        if (label == IC_FAULT_UNKNOWN_SYSCALL && ic_get_mr(IC_UNKNOWN_SYSCALL_NUMBER) == IC_SYS_DEBUG_HALT) {
            ic_printf("loader: %s stopped the system\n", name);
            log_drain();
            ic_debug_halt();
        }
        ic_printf("loader: %s faulted (fault %llu, pc %llx, %llx); it stays stopped\n", name,
                  (unsigned long long)label, (unsigned long long)ic_get_mr(0), (unsigned long long)ic_get_mr(1));
    }
}

int main(ic_bootinfo_t *bootinfo)
{
    bi = bootinfo;
    ic_env_init(bi, "loader");
    /* what it printed is on its log console, which may not be shown yet */
    ic_env.last_words = log_drain;
    /* the image frames must cover the image in order, without gaps */
    if ((bi->image_frames.end - bi->image_frames.start) * PAGE != (ic_word_t)(uintptr_t)__image_end - bi->image_vaddr)
        ic_die("finding the loader's own image frames", IC_INVALID_ARGUMENT);
    buddy_init(&memory, pieces, sizeof pieces / sizeof pieces[0], &untyped_ops, NULL);
    for (ic_word_t i = 0; i < bi->untyped.end - bi->untyped.start; i++) {
        const ic_untyped_desc_t *d = &bi->untyped_list[i];
        if (buddy_add(&memory, bi->untyped.start + i, d->paddr, d->size_bits, d->is_device))
            ic_die("taking an untyped region of the boot information", IC_INVALID_ARGUMENT);
    }
    const struct buddy_piece *own = take(BUDDY_ANY_ADDRESS, POOL_BITS, false);
    if (!own)
        ic_die("finding memory for the loader", IC_NOT_ENOUGH_MEMORY);
    ic_env.pool = own->cap;
    transfer = ic_slot();
    fault_ep = ic_make(IC_OBJ_ENDPOINT, 0);
    /* VMID 1 is the loader's own */
    vmids = ic_slot();
    ic_check(ic_vmid_control_make_pool(IC_SLOT_VMIDS, 2, SYSTEM_NUM_COMPONENTS, vmids, 64, ROOT_CNODE),
          "make a VMID pool");
    next_vmid = 2 + SYSTEM_NUM_COMPONENTS;
    make_connections();
    start_log();
    for (unsigned i = 0; i < SYSTEM_NUM_COMPONENTS; i++) {
        struct component c = component_at(i);
        start_component(i, &c);
    }
    serve_faults();
    return 0;
}
