/* Realm consoles: the serial server's record of the consoles the resource
 * server adds and removes at run time (abi/protocols/console.tbl,
 * docs/serial-server.md), and the checks of its requests. The pure half:
 * main.c does the kernel work (mapping frames, moving and deleting
 * capabilities, the mux) between a check, which changes nothing, and the
 * commit, which cannot fail.
 *
 * Slot k of the table is client k of the mux. The description's consoles
 * are slots 0 .. fixed - 1 and never change; a realm's console takes the
 * lowest free slot when it is opened and gives it back when it is closed.
 * The caller owns the array and may move the table to a bigger one
 * (console_table_move) when open finds no free slot: there is no maximum
 * but the caller's memory.
 *
 * States of a slot:
 *   CONSOLE_FIXED    one of the description's consoles, for ever
 *   CONSOLE_FREE     nobody's: open may take it
 *   CONSOLE_OPENING  opened for realm 'id' with 'pages' pages; its pages
 *                    0 .. frames - 1 are there (mapped by the caller)
 *   CONSOLE_LIVE     started: every page there, served by the mux
 * open: FREE -> OPENING; frame: OPENING -> OPENING, frames + 1 (in order,
 * up to pages); start: OPENING with every page -> LIVE; close: OPENING or
 * LIVE -> FREE.
 *
 * Every request argument comes from another component: the checks take
 * them as the words that arrived (an id beyond 32 bits, a count of pages
 * of 2^64) and answer with the error the request gets.
 *
 * Freestanding: no libc, no system calls, no allocation. */
#ifndef SERIAL_SERVER_CONSOLES_H
#define SERIAL_SERVER_CONSOLES_H

#include <icecap/errors.h>
#include <stdbool.h>
#include <stdint.h>

#define CONSOLE_PAGES_MAX 16u           /* a realm console's region: 1 to 16 pages of 4 KiB */
#define CONSOLE_ID_MAX 0xffffffffull    /* a realm's id is a u32 */
#define CONSOLE_NONE UINT32_MAX         /* no slot */
#define CONSOLE_NAME_SIZE 24u           /* "realm 4294967295" and its NUL */

enum console_state { CONSOLE_FREE, CONSOLE_FIXED, CONSOLE_OPENING, CONSOLE_LIVE };

struct console_slot {
    uint8_t state;       /* enum console_state */
    uint32_t id;         /* the realm's (OPENING, LIVE) */
    uint32_t pages;      /* its region's pages (OPENING, LIVE) */
    uint32_t frames;     /* pages received so far (OPENING; = pages once LIVE) */
};

struct console_table {
    struct console_slot *slots;
    uint32_t count;
};

/* A table of 'count' slots in the caller's array, the first 'fixed' of
 * them the description's consoles, the others free. False if an argument
 * is unusable (NULL, fixed above count, count 0 or from 2^31). */
bool console_table_init(struct console_table *t, struct console_slot *slots, uint32_t count, uint32_t fixed);

/* Moves the table to the caller's array of 'count' slots, at least the
 * present count (the new slots are free); the old array is the caller's
 * again. False, nothing changed, if count is smaller or from 2^31. */
bool console_table_move(struct console_table *t, struct console_slot *slots, uint32_t count);

/* The slot of realm 'id''s console, opening or live; CONSOLE_NONE if none. */
uint32_t console_find(const struct console_table *t, uint64_t id);

/* Checks of the requests: IC_OK and the slot in *k, or the answer to the
 * request (see abi/protocols/console.tbl); none changes the table.
 *   open:  IC_RANGE_ERROR (id beyond a u32, pages not 1 to CONSOLE_PAGES_MAX),
 *          IC_ILLEGAL_OPERATION (the id has a console already),
 *          IC_NOT_ENOUGH_MEMORY with *k = CONSOLE_NONE (no free slot: the
 *          caller may move the table to a bigger array and check again);
 *          *k is the lowest free slot
 *   frame: IC_FAILED_LOOKUP (no console of that id), IC_ILLEGAL_OPERATION
 *          (it is live), IC_RANGE_ERROR (index is not the next page: the
 *          pages come in order, each once, up to pages - 1)
 *   start: IC_FAILED_LOOKUP, IC_ILLEGAL_OPERATION (live, or a page missing)
 *   close: IC_FAILED_LOOKUP */
ic_err_t console_check_open(const struct console_table *t, uint64_t id, uint64_t pages, uint32_t *k);
ic_err_t console_check_frame(const struct console_table *t, uint64_t id, uint64_t index, uint32_t *k);
ic_err_t console_check_start(const struct console_table *t, uint64_t id, uint32_t *k);
ic_err_t console_check_close(const struct console_table *t, uint64_t id, uint32_t *k);

/* The commits, each after its check said IC_OK for slot k (and the caller
 * did its part); anything else is ignored. */
void console_opened(struct console_table *t, uint32_t k, uint64_t id, uint64_t pages);
void console_framed(struct console_table *t, uint32_t k);
void console_started(struct console_table *t, uint32_t k);
void console_closed(struct console_table *t, uint32_t k);

/* The name the help shows for realm 'id''s console: "realm ID". The
 * serial server makes it from the number itself, so that no realm can
 * choose a name that passes it off as another console. */
void console_name(char name[CONSOLE_NAME_SIZE], uint64_t id);

#endif
