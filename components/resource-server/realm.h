/* Realms: the pool they are built from, building one from a checked spec,
 * and destroying it (docs/resource-server.md). The kernel work of the
 * resource server; main.c decides what the host may ask. */
#ifndef RESOURCE_SERVER_REALM_H
#define RESOURCE_SERVER_REALM_H

#include <icecap/icecap.h>
#include <realmspec/realmspec.h>
#include <stdbool.h>
#include <stdint.h>

/* One piece of the pool a realm holds, and the object made from it. */
struct realm_object {
    uint32_t piece;     /* in the pool's buddy allocator */
    uint8_t type;       /* IC_OBJ_* of the object made from it */
    uint8_t size_bits;  /* the retype's size argument */
    uint16_t count;     /* objects made from it (frames of a connection's region) */
    ic_cptr_t cap;      /* the first object's capability */
};

struct realm {
    uint32_t id;
    uint8_t state;              /* RB_STATE_LOADING, RB_STATE_READY, ... (block.h) */
    uint8_t vcpus;
    uint8_t measurement[32];
    uint64_t held;              /* pool bytes it holds */
    /* while LOADING: the private copy of its spec, in 2 MiB frames mapped
     * from spec_va */
    uint64_t spec_size;
    uint64_t load_ticks;        /* counter ticks its LOADs took in the server (a benchmark's) */
    uint32_t spec_pieces;
    struct realm_object *spec_frames;
    uint64_t spec_va;
    /* once built: every piece it holds (the spec's objects in spec order,
     * then connection regions) and the extra capabilities made for it */
    uint32_t num_objects, max_objects;
    struct realm_object *objects;
    uint32_t num_copies, max_copies;
    ic_cptr_t *copies;
    bool console;               /* the serial server serves its console: close it before
                                   the region goes (realm_destroy) */
    struct realm *next;         /* by increasing id */
};

/* What the serial server's signals to a realm's console set in its VMM's
 * notification word (docs/resource-server.md, "Consoles"). */
#define REALM_CONSOLE_BADGE 1ull

/* Takes the component's memory as the pool, keeping 'own_bits' of it for
 * the resource server's own objects (ic_env.pool from then on). */
void pool_init(unsigned own_bits);
uint64_t pool_total(void);
uint64_t pool_free(void);

/* The private buffer of a spec of 'size' bytes, zeroed and mapped; 0 or a
 * negative error: -RB_NO_MEMORY (with *needed), -RB_INTERNAL. */
int realm_alloc_spec(struct realm *r, uint64_t size, uint64_t *needed);
void realm_free_spec(struct realm *r);
/* Where byte 'offset' of the spec lies in the resource server. */
static inline uint8_t *realm_spec_bytes(const struct realm *r) { return (uint8_t *)(uintptr_t)r->spec_va; }

/* Builds the realm the checked spec 'v' describes: its objects from the
 * pool, capabilities, mappings, memory contents (cleaned to the point of
 * coherency) and threads, none started; then connects its console to the
 * serial server, which may fail without failing the realm (a log line
 * says so; the console stays unconnected). 0, or -RB_NO_MEMORY (*needed
 * bytes) or -RB_INTERNAL (*kernel_err), having destroyed what it made. */
int realm_build(struct realm *r, const struct realm_spec_view *v, uint64_t *needed, uint64_t *kernel_err);

/* Has the serial server let go of its console first (the call waits for
 * its answer), then stops and destroys every object of the realm, zeroes
 * its memory (the kernel zeroes and cleans what is retyped, and every
 * piece is retyped once more for that before it goes back) and gives it
 * back to the pool. */
void realm_destroy(struct realm *r);

/* The serial server, for realms' consoles: its endpoint (which must let
 * calls carry capabilities) and the resource server's channel capability
 * to it, which every realm VMM gets a copy of. 0 for either: consoles stay
 * unconnected. */
void realm_consoles_init(ic_cptr_t endpoint, ic_cptr_t channel);

/* The limits a spec is checked against now. */
void realm_limits(struct realm_spec_limits *lim);

#endif
