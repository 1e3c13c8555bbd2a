/* What every component does with what the loader gave it (docs/loader.md):
 * free slots, objects from its own memory, mappings with the page tables
 * they need, its devices and interrupts, and stopping with a reason.
 * One environment a program: the functions work on ic_env. */
#ifndef ICECAP_ENV_H
#define ICECAP_ENV_H

#include <icecap/icecap.h>

struct ic_env {
    ic_bootinfo_t *bi;
    const char *name;   /* in messages */
    ic_cptr_t next_slot;
    ic_cptr_t pool;     /* its own memory: the first RAM untyped region */
    ic_word_t heap_end; /* ic_alloc_pages */
    void (*last_words)(void); /* if set, ic_die calls it once before it stops */
};
extern struct ic_env ic_env;

/* Takes the boot information; 'name' prefixes every message. */
void ic_env_init(ic_bootinfo_t *bi, const char *name);

/* Prints "NAME: WHAT failed (ERR)" and stops the system. */
_Noreturn void ic_die(const char *what, long err);
static inline void ic_check(ic_err_t err, const char *what)
{
    if (err)
        ic_die(what, err);
}

/* A free slot of its CNode. */
ic_cptr_t ic_slot(void);
/* 'count' objects of 'type' (2^size_bits where the type has a size) from
 * untyped 'from', in consecutive slots; returns the first. */
ic_cptr_t ic_make_from(ic_cptr_t from, ic_word_t type, ic_word_t size_bits, ic_word_t count);
/* One object from its own memory. */
static inline ic_cptr_t ic_make(ic_word_t type, ic_word_t size_bits)
{
    return ic_make_from(ic_env.pool, type, size_bits, 1);
}
/* Maps a 4 KiB frame at 'va', making the page tables it lacks. */
void ic_map_frame(ic_cptr_t vspace, ic_cptr_t frame, ic_word_t va, ic_word_t rights, ic_word_t attrs);
/* The device untyped region that starts at 'paddr'. */
ic_cptr_t ic_device_untyped(ic_word_t paddr);
/* Its own device's registers at their physical address: 'pages' frames
 * from the device untyped region at 'paddr', mapped uncached. */
volatile void *ic_map_device(ic_word_t paddr, unsigned pages);
/* The handler of granted interrupt 'irq'. */
ic_cptr_t ic_irq_handler(unsigned irq);
/* 'bytes' of new zeroed memory, whole pages, mapped from IC_HEAP_BASE up
 * (never freed: for what a component sets up once it knows how many of a
 * thing it serves). */
#define IC_HEAP_BASE 0x10000000ull
void *ic_alloc_pages(size_t bytes);

/* A new thread in the component's CSpace and VSpace, on CPU 'cpu' at
 * 'priority' (at most the component's own), running fn(arg) on a stack of
 * IC_THREAD_STACK bytes below an unmapped page, with an IPC buffer of its
 * own; it stops when fn returns. Its faults are reported as the first
 * thread's are (docs/loader.md). Returns its TCB. */
#define IC_THREAD_STACK 16384u
ic_cptr_t ic_thread_start(void (*fn)(void *), void *arg, unsigned cpu, ic_word_t priority);

/* The system description's view of this component (system.h, made by
 * tools/syscomp): its entry in system_components, found by the name the
 * loader put in its boot information. */
struct system_component;
const struct system_component *ic_self(void);
/* The other component that maps shared memory region 'region' (an index
 * in system_regions; false if none does), and this component's capability
 * to signal a component (the channel between the two, which the
 * description must declare). */
bool ic_sharer(unsigned region, unsigned *component);
ic_cptr_t ic_channel_to(unsigned component);
/* The component of that name (false: none); where this component maps the
 * shared memory region of that name, its size in *size (NULL: it maps
 * none); its capability to Call the endpoint the description declares to
 * 'component' (ic_endpoint_to), or to receive the calls of 'component'
 * (ic_endpoint_from): 0 if the description declares none. The server's
 * calls arrive badged with the client's index + 1. */
bool ic_component_named(const char *name, unsigned *index);
void *ic_region_named(const char *name, size_t *size);
ic_cptr_t ic_endpoint_to(unsigned component);
ic_cptr_t ic_endpoint_from(unsigned component);

#endif
