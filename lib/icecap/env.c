/* What every component does with what the loader gave it (icecap/env.h). */
#include <icecap/env.h>
#include <icecap/protocols/log_stubs.h>
#include <system.h>

struct ic_env ic_env;

/* Lines to the loader, which shows them on the log console
 * (abi/protocols/log.tbl), in pieces of at most the protocol's maximum. */
static void log_write(const char *s, size_t n)
{
    while (n) {
        size_t take = n < IC_LOG_WRITE_TEXT_MAX ? n : IC_LOG_WRITE_TEXT_MAX;
        ic_log_write(ic_env.bi->log, s, take);
        s += take;
        n -= take;
    }
}

void ic_env_init(ic_bootinfo_t *bi, const char *name)
{
    if (bi->log)
        ic_console_write = log_write;
    ic_env.bi = bi;
    ic_env.name = name;
    ic_env.next_slot = bi->empty.start;
    ic_env.pool = 0;
    ic_env.heap_end = IC_HEAP_BASE;
    ic_env.last_words = NULL;
    for (ic_word_t i = 0; i < bi->untyped.end - bi->untyped.start; i++)
        if (!bi->untyped_list[i].is_device) {
            ic_env.pool = bi->untyped.start + i;
            break;
        }
    if (!ic_env.pool)
        ic_die("finding its own memory", IC_NOT_ENOUGH_MEMORY);
}

_Noreturn void ic_die(const char *what, long err)
{
    ic_printf("%s: %s failed (%ld)\n", ic_env.name ? ic_env.name : "?", what, err);
    void (*last_words)(void) = ic_env.last_words;
    ic_env.last_words = NULL; /* a failure inside it stops at once */
    if (last_words)
        last_words();
    for (;;)
        ic_debug_halt();
}

ic_cptr_t ic_slot(void)
{
    if (ic_env.next_slot >= ic_env.bi->empty.end)
        ic_die("finding a free slot", IC_NOT_ENOUGH_MEMORY);
    return ic_env.next_slot++;
}

ic_cptr_t ic_make_from(ic_cptr_t from, ic_word_t type, ic_word_t size_bits, ic_word_t count)
{
    ic_cptr_t first = ic_env.next_slot;
    if (count > ic_env.bi->empty.end - first)
        ic_die("finding free slots", IC_NOT_ENOUGH_MEMORY);
    ic_check(ic_untyped_retype(from, type, size_bits, IC_SLOT_ROOT_CNODE, 64, first, count, IC_SLOT_ROOT_CNODE),
             "making objects");
    ic_env.next_slot += count;
    return first;
}

void ic_map_frame(ic_cptr_t vspace, ic_cptr_t frame, ic_word_t va, ic_word_t rights, ic_word_t attrs)
{
    /* at most one table a level is missing: three levels below the root */
    for (int i = 0; i < 4; i++) {
        ic_err_t err = ic_frame_map(frame, va, rights, attrs, vspace);
        if (err != IC_FAILED_LOOKUP) {
            ic_check(err, "mapping a frame");
            return;
        }
        ic_check(ic_page_table_map(ic_make(IC_OBJ_PAGE_TABLE, 0), va, vspace), "mapping a page table");
    }
    ic_die("mapping a frame", IC_FAILED_LOOKUP);
}

ic_cptr_t ic_device_untyped(ic_word_t paddr)
{
    const ic_bootinfo_t *bi = ic_env.bi;
    for (ic_word_t i = 0; i < bi->untyped.end - bi->untyped.start; i++)
        if (bi->untyped_list[i].is_device && bi->untyped_list[i].paddr == paddr)
            return bi->untyped.start + i;
    ic_die("finding a device", IC_FAILED_LOOKUP);
}

volatile void *ic_map_device(ic_word_t paddr, unsigned pages)
{
    ic_cptr_t frames = ic_make_from(ic_device_untyped(paddr), IC_OBJ_FRAME_4K, 0, pages);
    for (unsigned p = 0; p < pages; p++)
        ic_map_frame(IC_SLOT_ROOT_VSPACE, frames + p, paddr + p * 4096ull, IC_RIGHT_READ | IC_RIGHT_WRITE,
                     IC_ATTR_DEVICE);
    return (volatile void *)(uintptr_t)paddr;
}

ic_cptr_t ic_irq_handler(unsigned irq)
{
    const ic_bootinfo_t *bi = ic_env.bi;
    for (ic_word_t i = 0; i < bi->irqs.end - bi->irqs.start; i++)
        if (bi->irq_list[i] == irq)
            return bi->irqs.start + i;
    ic_die("finding the handler of a granted interrupt", IC_FAILED_LOOKUP);
}

/* 'pages' new frames mapped at the heap's end; *first gets the first one's
 * capability (the others follow it in the CNode only by chance). */
static void *heap_pages(ic_word_t pages, ic_cptr_t *first)
{
    ic_word_t start = ic_env.heap_end;
    for (ic_word_t p = 0; p < pages; p++) {
        ic_cptr_t frame = ic_make(IC_OBJ_FRAME_4K, 0);
        if (p == 0 && first)
            *first = frame;
        ic_map_frame(IC_SLOT_ROOT_VSPACE, frame, start + p * 4096, IC_RIGHT_READ | IC_RIGHT_WRITE, IC_ATTR_CACHED);
    }
    ic_env.heap_end += pages * 4096;
    return (void *)(uintptr_t)start;
}

void *ic_alloc_pages(size_t bytes)
{
    return heap_pages((bytes + 4095) / 4096, NULL);
}

/* A new thread's first frame: fn(arg), then it stops itself. */
static _Noreturn void thread_entry(void *arg, void (*fn)(void *), ic_cptr_t self)
{
    fn(arg);
    ic_tcb_suspend(self);
    for (;;)
        ic_yield();
}

ic_cptr_t ic_thread_start(void (*fn)(void *), void *arg, unsigned cpu, ic_word_t priority)
{
    ic_cptr_t tcb = ic_make(IC_OBJ_TCB, 0), ipc_frame;
    ic_ipc_buffer_t *ipc = heap_pages(1, &ipc_frame);
    ic_env.heap_end += 4096; /* unmapped: the stack's overflow faults */
    char *stack = heap_pages(IC_THREAD_STACK / 4096, NULL);
    /* its faults come to the loader, as the first thread's do: the log
     * capability is a badged send capability to the loader's endpoint,
     * which tells a fault from a line by its label (docs/loader.md) */
    ic_check(ic_tcb_configure(tcb, 64 - ic_env.bi->cnode_bits, (ic_word_t)ipc, ic_env.bi->log, IC_SLOT_ROOT_CNODE,
                              IC_SLOT_ROOT_VSPACE, ipc_frame), "configuring a thread");
    ic_check(ic_tcb_set_priority(tcb, priority, IC_SLOT_ROOT_TCB), "a thread's priority");
    ic_check(ic_tcb_set_affinity(tcb, cpu), "a thread's CPU");
    ic_user_context_t regs = { 0 };
    regs.regs[IC_REG_PC] = (ic_word_t)thread_entry;
    regs.regs[IC_REG_SP] = (ic_word_t)(stack + IC_THREAD_STACK);
    regs.regs[IC_REG_TPIDR] = (ic_word_t)ipc;
    regs.regs[IC_REG_X0] = (ic_word_t)arg;
    regs.regs[IC_REG_X0 + 1] = (ic_word_t)fn;
    regs.regs[IC_REG_X0 + 2] = tcb;
    ic_check(ic_tcb_write_registers(tcb, true, IC_REG_COUNT, &regs), "starting a thread");
    return tcb;
}

const struct system_component *ic_self(void)
{
    for (unsigned i = 0; i < SYSTEM_NUM_COMPONENTS; i++)
        if (!strcmp(system_components[i].name, ic_env.bi->name))
            return &system_components[i];
    ic_die("finding itself in the system description", IC_FAILED_LOOKUP);
}

bool ic_sharer(unsigned region, unsigned *component)
{
    const struct system_component *self = ic_self();
    for (unsigned i = 0; i < SYSTEM_NUM_COMPONENTS; i++) {
        const struct system_component *c = &system_components[i];
        for (unsigned m = 0; c != self && m < c->num_mappings; m++) {
            if (c->mappings[m].region_index == region) {
                *component = i;
                return true;
            }
        }
    }
    return false;
}

bool ic_component_named(const char *name, unsigned *index)
{
    for (unsigned i = 0; i < SYSTEM_NUM_COMPONENTS; i++) {
        if (!strcmp(system_components[i].name, name)) {
            *index = i;
            return true;
        }
    }
    return false;
}

void *ic_region_named(const char *name, size_t *size)
{
    const struct system_component *self = ic_self();
    for (unsigned m = 0; m < self->num_mappings; m++) {
        if (!strcmp(self->mappings[m].region, name)) {
            *size = self->mappings[m].size;
            return (void *)self->mappings[m].vaddr;
        }
    }
    return NULL;
}

static ic_cptr_t endpoint_slot(unsigned component, bool server)
{
    const struct system_component *self = ic_self();
    for (unsigned k = 0; k < self->num_endpoints; k++)
        if (self->endpoints[k].peer_index == component && !self->endpoints[k].server == !server)
            return self->endpoints[k].slot;
    return 0;
}

ic_cptr_t ic_endpoint_to(unsigned component)
{
    return endpoint_slot(component, false);
}

ic_cptr_t ic_endpoint_from(unsigned component)
{
    return endpoint_slot(component, true);
}

ic_cptr_t ic_channel_to(unsigned component)
{
    const struct system_component *self = ic_self();
    for (unsigned k = 0; k < self->num_channels; k++)
        if (self->channels[k].peer_index == component)
            return self->channels[k].slot;
    ic_die("finding its channel to another component (a channel line in the description)", IC_FAILED_LOOKUP);
}
