/* The serial server: owns the board's PL011 and shares it between its
 * clients through the console multiplexer (mux.h). A client is a shared
 * memory region named console-NAME that the system description maps here
 * and in one other component, plus the channel between the two: ring 0 of
 * the region is the client's output, ring 1 its input (docs/ring.md,
 * docs/serial-server.md). Clients are numbered in the order of this
 * component's map lines; the first is where typed input goes at start-up.
 * A console region that no other component maps is the log console, which
 * the loader writes (abi/protocols/log.tbl).
 *
 * Realms' consoles come and go at run time: the component with an endpoint
 * to this one (the resource server) opens one, hands over its region's
 * frames and the realm VMM's notification, starts it and closes it
 * (abi/protocols/console.tbl); consoles.c keeps their record and checks
 * every request, this file does the kernel work. They take the lowest free
 * client numbers after the description's; every realm signals through one
 * channel bit, and any wake-up looks at every console anyway.
 *
 * It is not part of the TCB: it sees what its clients print and what the
 * user types, as a physical UART would, and nothing else. A client that
 * breaks its rings is dropped, with a line on the console; nothing a
 * client writes into shared memory can make this loop touch memory outside
 * its rings or stall the others, and no request can stop it: what the
 * kernel cannot give it at run time (memory, slots) is an error answer.
 *
 * One thread, one loop: wait on the endpoint, with the notification bound
 * to the thread (channel bits from the clients, bit 63 from the UART's
 * interrupt), serve a request if one came, then move everything that can
 * move: UART input into the mux, client output into the mux, the mux's
 * bytes into the UART's FIFO, typed input into the clients' rings, and only
 * sleep once every ring has its waiting flag set. */
#include <icecap/env.h>
#include <icecap/icecap.h>
#include <icecap/protocols/console_stubs.h>
#include <ring/ring.h>
#include <vmm/pl011.h> /* the PL011's registers */
#include <system.h>
#include "consoles.h"
#include "mux.h"

#define ROOT IC_SLOT_ROOT_CNODE
#define NTFN SYSTEM_SLOT_NOTIFICATION
#define UART_BADGE (1ull << 63)
#define CONSOLE_PREFIX "console-"
#define OUT_BUFFER 4096u   /* per client: lines waiting for the UART */
#define IN_BUFFER 16384u   /* per client: typed bytes waiting for its ring (a paste) */
#define UART_BUFFER 4096u
#define CHUNK 256u         /* bytes moved at a time */
#define PAGE 4096u
/* Realm consoles: client slot k's region is mapped at REALM_VA + k *
 * REALM_STRETCH, one stretch a slot whatever the region's size, used again
 * by the slot's next console (its page tables stay); its capabilities are
 * in REALM_CAPS slots of the CNode: the frames, then the notification. */
#define REALM_VA 0x40000000ull
#define REALM_STRETCH ((uint64_t)CONSOLE_PAGES_MAX * PAGE)
#define REALM_CAPS (CONSOLE_PAGES_MAX + 1)
#define REALM_SLOTS_FIRST 6 /* client slots for realms at start; doubled when they run out */

/* A realm console slot's buffers and name: made when the slot is first
 * used and kept for its next consoles, so that what the mux points to
 * never moves (the client tables do, when they grow). */
struct realm_mem {
    uint8_t out[OUT_BUFFER];
    char name[CONSOLE_NAME_SIZE];
    uint8_t in[IN_BUFFER - CONSOLE_NAME_SIZE];
};

struct client {
    const char *name;
    struct ring out, in;     /* ring 0: the client writes; ring 1: we write */
    ic_cptr_t signal;        /* our capability to signal the client; 0: none (the log) */
    bool live;               /* served: the description's always, a realm's once started */
    bool broken;
    struct realm_mem *mem;   /* a realm console slot's, or NULL */
    ic_cptr_t caps;          /* a realm console slot's REALM_CAPS slots, or 0 */
};

static struct mux mux;
static struct console_table table;
static struct client *clients;
static unsigned num_clients;  /* slots of clients[], the mux and the table */
static unsigned num_fixed;    /* the description's consoles */
static volatile uint32_t *uart;
static ic_cptr_t uart_irq;
/* realm consoles: the endpoint their requests come on (0: none), the badge
 * they carry, where a capability that comes with one lands, and a thread
 * that never runs, for checking frames (check_frame) */
static ic_cptr_t requests, landing, probe;
static ic_word_t requests_badge;

static uint32_t uart_reg(unsigned offset)
{
    return uart[offset / 4];
}

static void uart_set(unsigned offset, uint32_t v)
{
    uart[offset / 4] = v;
}

static bool starts_with(const char *s, const char *prefix)
{
    while (*prefix)
        if (*s++ != *prefix++)
            return false;
    return true;
}

static void setup_clients(void)
{
    const struct system_component *me = ic_self();
    for (unsigned m = 0; m < me->num_mappings; m++)
        num_fixed += starts_with(me->mappings[m].region, CONSOLE_PREFIX);
    /* client 0 is where the focus falls back: never a realm's */
    unsigned fixed = num_fixed ? num_fixed : 1;
    num_clients = fixed + REALM_SLOTS_FIRST;
    clients = ic_alloc_pages(num_clients * sizeof(struct client));
    struct mux_client *mux_slots = ic_alloc_pages(num_clients * sizeof(struct mux_client));
    if (!mux_init(&mux, mux_slots, num_clients, ic_alloc_pages(UART_BUFFER), UART_BUFFER) ||
        !console_table_init(&table, ic_alloc_pages(num_clients * sizeof(struct console_slot)), num_clients, fixed))
        ic_die("setting up the multiplexer", IC_INVALID_ARGUMENT);
    unsigned k = 0;
    for (unsigned m = 0; m < me->num_mappings; m++) {
        const struct system_mapping *map = &me->mappings[m];
        if (!starts_with(map->region, CONSOLE_PREFIX))
            continue;
        struct client *c = &clients[k];
        c->name = map->region + sizeof(CONSOLE_PREFIX) - 1;
        /* the other end: a component, over a channel; or, for the log
         * console, the loader, which never waits for us */
        unsigned peer;
        c->signal = ic_sharer(map->region_index, &peer) ? ic_channel_to(peer) : 0;
        if (!map->writable || ring_pair_attach(&c->in, &c->out, (void *)(uintptr_t)map->vaddr, map->size, 1))
            ic_die("attaching a console's rings (a writable region of at least 256 bytes)", IC_INVALID_ARGUMENT);
        /* a console without a reader (the log) gets no typed input */
        uint32_t in_size = c->signal ? IN_BUFFER : 0;
        if (!mux_add_client(&mux, k, c->name, ic_alloc_pages(OUT_BUFFER), OUT_BUFFER,
                            in_size ? ic_alloc_pages(in_size) : NULL, in_size))
            ic_die("adding a console client", IC_INVALID_ARGUMENT);
        c->live = true;
        k++;
    }
}

static void setup_uart(void)
{
    const struct system_device *dev = NULL;
    for (unsigned d = 0; d < ic_self()->num_devices; d++)
        if (!strcmp(ic_self()->devices[d].name, "uart"))
            dev = &ic_self()->devices[d];
    if (!dev || !dev->irq_first)
        ic_die("finding the UART (a device uart with an irq in the system description)", IC_INVALID_ARGUMENT);
    uart = ic_map_device(dev->base, 1);
    uart_irq = ic_irq_handler(dev->irq_first);
    ic_cptr_t badged = ic_slot();
    ic_check(ic_cnode_mint(IC_SLOT_ROOT_CNODE, badged, 64, NTFN, 64, IC_RIGHTS_ALL, UART_BADGE, IC_SLOT_ROOT_CNODE),
             "badging the UART's notification");
    ic_check(ic_irq_handler_set_notification(uart_irq, badged), "routing the UART's interrupt");
    /* the kernel has set the line up (8N1, FIFOs on); interrupts when input
     * arrives or stops arriving, and for TX only while bytes wait */
    uart_set(PL011_IMSC, 0);
    uart_set(PL011_ICR, PL011_INT_ALL);
    uart_set(PL011_LCR_H, uart_reg(PL011_LCR_H) | PL011_LCR_H_FEN);
    uart_set(PL011_CR, uart_reg(PL011_CR) | PL011_CR_UARTEN | PL011_CR_TXE | PL011_CR_RXE);
    uart_set(PL011_IMSC, PL011_INT_RX | PL011_INT_RT);
}

/* Signals client c: a non-blocking send, which on a notification is a
 * signal. A realm's capability comes from the resource server and the
 * kernel cannot tell us its type: on anything else this can neither block
 * nor do more than hand a waiting receiver an empty message. */
static void wake(const struct client *c)
{
    if (c->signal)
        ic_nb_send(c->signal, 0);
}

static uint64_t now_ms(void)
{
    static uint64_t per_ms;
    if (!per_ms)
        per_ms = ic_counter_frequency() / 1000 ? ic_counter_frequency() / 1000 : 1;
    return ic_counter() / per_ms;
}

static void drop_client(unsigned k, const char *why)
{
    struct client *c = &clients[k];
    if (c->broken)
        return;
    c->broken = true;
    char line[96];
    int n = ic_snprintf(line, sizeof line, "[serial server: client %u (%s) %s: no longer served]\n", k, c->name, why);
    /* in the client's own output, so that it appears in order */
    mux_client_output(&mux, k, (const uint8_t *)line, n > 0 ? (size_t)n : 0);
}

/* The UART's receive FIFO into the mux. Always all of it: bytes held back
 * in the UART would also hold back the escape that switches away from a
 * console that does not read its input. What a console does not take in
 * time waits in its input buffer (IN_BUFFER, plus its ring), which holds a
 * paste of several KiB; beyond that typed bytes are dropped and counted. */
static void uart_input(void)
{
    /* cleared before draining, never after: a byte that arrives between
     * the last read and a late clear would leave its cause cleared with the
     * FIFO no longer empty, and a UART that raises RXIS only when the level
     * reaches the trigger would never interrupt again */
    uart_set(PL011_ICR, PL011_INT_RX | PL011_INT_RT);
    uint8_t buf[CHUNK];
    unsigned n = 0;
    while (!(uart_reg(PL011_FR) & PL011_FR_RXFE)) {
        buf[n++] = (uint8_t)uart_reg(PL011_DR);
        if (n == sizeof buf) {
            mux_input(&mux, buf, n);
            n = 0;
        }
    }
    mux_input(&mux, buf, n);
}

/* Output of client k into the mux, as far as the mux has room for it: what
 * does not fit stays in the ring, so a busy console slows its writer down
 * instead of losing its lines. True if anything moved. */
static bool client_output(unsigned k)
{
    struct client *c = &clients[k];
    bool moved = false;
    for (unsigned rounds = 0; rounds < 16 && c->live && !c->broken; rounds++) {
        uint32_t room = mux_output_room(&mux, k);
        if (room <= 4)
            break;
        uint8_t buf[CHUNK];
        int n = ring_read(&c->out, buf, room - 4 < sizeof buf ? room - 4 : sizeof buf);
        if (n < 0)
            drop_client(k, "broke its output ring");
        if (n <= 0)
            break;
        mux_client_output(&mux, k, buf, (size_t)n);
        moved = true;
    }
    /* only after freeing room: the flag alone is no reason to signal */
    if (moved && !c->broken && ring_need_wake_writer(&c->out))
        wake(c);
    return moved;
}

/* Typed input of client k from the mux into its ring. */
static bool client_input(unsigned k)
{
    struct client *c = &clients[k];
    bool moved = false;
    const uint8_t *p;
    size_t n;
    while (c->live && !c->broken && (n = mux_input_peek(&mux, k, &p)) != 0) {
        int w = ring_write(&c->in, p, n);
        if (w < 0)
            drop_client(k, "broke its input ring");
        if (w <= 0)
            break;
        mux_input_consume(&mux, k, (size_t)w);
        moved = true;
    }
    if (moved && !c->broken && ring_need_wake_reader(&c->in))
        wake(c);
    return moved;
}

/* The mux's bytes into the UART's transmit FIFO; the TX interrupt only
 * while some wait for room. */
static void uart_output(void)
{
    const uint8_t *p;
    size_t n;
    while ((n = mux_uart_peek(&mux, &p)) != 0) {
        size_t i = 0;
        while (i < n && !(uart_reg(PL011_FR) & PL011_FR_TXFF))
            uart_set(PL011_DR, p[i++]);
        mux_uart_consume(&mux, i);
        if (i < n)
            break;
    }
    uint32_t imsc = PL011_INT_RX | PL011_INT_RT | (mux_uart_peek(&mux, &p) ? PL011_INT_TX : 0);
    if (uart_reg(PL011_IMSC) != imsc)
        uart_set(PL011_IMSC, imsc);
}

/* Whether every ring may sleep: the waiting flags set where we wait for
 * the peer (its output, and room for its input when some waits). */
static bool may_sleep(void)
{
    for (unsigned k = 0; k < num_clients; k++) {
        struct client *c = &clients[k];
        if (!c->live || c->broken)
            continue;
        if (mux_output_room(&mux, k) > 4 && !ring_prepare_wait_read(&c->out))
            return false;
        const uint8_t *p;
        if (mux_input_peek(&mux, k, &p) && !ring_prepare_wait_write(&c->in))
            return false;
    }
    return true;
}

/* ---- realm consoles (abi/protocols/console.tbl, consoles.h) */

/* n consecutive free slots of its CNode, or 0: ic_slot stops the system
 * when they run out, which no request may make it do. */
static ic_cptr_t try_slots(unsigned n)
{
    if (ic_env.bi->empty.end - ic_env.next_slot < n)
        return 0;
    ic_cptr_t s = ic_env.next_slot;
    ic_env.next_slot += n;
    return s;
}

/* One object from its own memory, or 0 when memory or slots ran out. */
static ic_cptr_t try_make(ic_word_t type)
{
    ic_cptr_t s = try_slots(1);
    if (s && ic_untyped_retype(ic_env.pool, type, 0, ROOT, 64, s, 1, ROOT)) {
        ic_env.next_slot = s; /* the last one taken: it is free again */
        s = 0;
    }
    return s;
}

/* Maps a 4 KiB frame read-write at va, making the page tables it lacks. */
static ic_err_t try_map(ic_cptr_t frame, ic_word_t va)
{
    for (int level = 0; level < 4; level++) {
        ic_err_t e = ic_frame_map(frame, va, IC_RIGHT_READ | IC_RIGHT_WRITE, IC_ATTR_CACHED, IC_SLOT_ROOT_VSPACE);
        if (e != IC_FAILED_LOOKUP)
            return e;
        ic_cptr_t table_cap = try_make(IC_OBJ_PAGE_TABLE);
        if (!table_cap)
            return IC_NOT_ENOUGH_MEMORY;
        if ((e = ic_page_table_map(table_cap, va, IC_SLOT_ROOT_VSPACE)))
            return e;
    }
    return IC_FAILED_LOOKUP;
}

/* 'bytes' of new zeroed memory at the heap's end, as ic_alloc_pages gives,
 * but NULL instead of stopping the system when memory or slots run out.
 * The stretch is claimed first, so a failure leaves a hole in the heap
 * (what was made for it stays unused), never a half-mapped stretch that a
 * later call would map again. */
static void *try_alloc(size_t bytes)
{
    ic_word_t va = ic_env.heap_end, pages = (bytes + PAGE - 1) / PAGE;
    ic_env.heap_end += pages * PAGE;
    for (ic_word_t p = 0; p < pages; p++) {
        ic_cptr_t frame = try_make(IC_OBJ_FRAME_4K);
        if (!frame || try_map(frame, va + p * PAGE))
            return NULL;
    }
    return (void *)(uintptr_t)va;
}

/* Doubles the client slots (clients[], the mux's and the table's) when a
 * realm console finds none free. The old arrays are not used again: a few
 * pages, and the slots only double. False if memory ran out. */
static bool grow(void)
{
    unsigned n = num_clients * 2;
    struct client *nc = try_alloc(n * sizeof(*nc));
    struct mux_client *nm = nc ? try_alloc(n * sizeof(*nm)) : NULL;
    struct console_slot *ns = nm ? try_alloc(n * sizeof(*ns)) : NULL;
    if (!ns || !mux_move_clients(&mux, nm, n) || !console_table_move(&table, ns, n))
        return false;
    memcpy(nc, clients, num_clients * sizeof(*nc));
    clients = nc;
    num_clients = n;
    return true;
}

static uint64_t region_va(uint32_t k)
{
    return REALM_VA + k * REALM_STRETCH;
}

/* Whether capability f is what a console's page must be: a frame of 4 KiB
 * that is no device's, with the write right, so that mapping it read-write
 * gives memory this thread can write (a read-only mapping would fault it,
 * a device frame's accesses must be aligned). The kernel names no
 * capability's type or rights, but two invocations refuse exactly the
 * others: configuring the IPC buffer of a thread that never runs wants a
 * frame with the write right that is no device's, and cleaning byte 4096
 * of a frame is beyond a 4 KiB one. */
static ic_err_t check_frame(ic_cptr_t f)
{
    ic_word_t guard = 64 - ic_env.bi->cnode_bits;
    ic_err_t e = ic_tcb_configure(probe, guard, 0, IC_SLOT_NULL, ROOT, IC_SLOT_ROOT_VSPACE, f);
    /* and the probe keeps no copy of it */
    ic_tcb_configure(probe, guard, 0, IC_SLOT_NULL, ROOT, IC_SLOT_ROOT_VSPACE, IC_SLOT_NULL);
    if (e || ic_frame_clean(f, PAGE, 1) != IC_RANGE_ERROR)
        return IC_INVALID_CAPABILITY;
    return IC_OK;
}

static ic_err_t op_open(ic_word_t id, ic_word_t pages)
{
    uint32_t k;
    ic_err_t e = console_check_open(&table, id, pages, &k);
    if (e == IC_NOT_ENOUGH_MEMORY && grow())
        e = console_check_open(&table, id, pages, &k);
    if (e)
        return e;
    struct client *c = &clients[k];
    if (!c->mem)
        c->mem = try_alloc(sizeof(*c->mem));
    if (!c->caps)
        c->caps = try_slots(REALM_CAPS);
    if (!c->mem || !c->caps)
        return IC_NOT_ENOUGH_MEMORY;
    console_opened(&table, k, id, pages);
    return IC_OK;
}

/* Page 'index', in the landing slot: checked, kept and mapped. */
static ic_err_t op_frame(ic_word_t id, ic_word_t index)
{
    uint32_t k;
    ic_err_t e = console_check_frame(&table, id, index, &k);
    if (e || (e = check_frame(landing)))
        return e;
    ic_cptr_t frame = clients[k].caps + index;
    if ((e = ic_cnode_move(ROOT, frame, 64, landing, 64, ROOT)))
        return e;
    if ((e = try_map(frame, region_va(k) + index * PAGE))) {
        ic_cnode_delete(ROOT, frame, 64);
        return e;
    }
    console_framed(&table, k);
    return IC_OK;
}

/* The realm VMM's notification, in the landing slot: the console is served
 * from now on. */
static ic_err_t op_start(ic_word_t id, ic_word_t *number)
{
    uint32_t k;
    ic_err_t e = console_check_start(&table, id, &k);
    if (e)
        return e;
    struct client *c = &clients[k];
    ic_cptr_t signal = c->caps + CONSOLE_PAGES_MAX;
    if ((e = ic_cnode_move(ROOT, signal, 64, landing, 64, ROOT)))
        return e;
    console_name(c->mem->name, id);
    void *region = (void *)(uintptr_t)region_va(k);
    /* neither fails on a region of a page or more and a free slot */
    if (ring_pair_attach(&c->in, &c->out, region, (size_t)table.slots[k].pages * PAGE, 1) ||
        !mux_add_client(&mux, k, c->mem->name, c->mem->out, sizeof(c->mem->out), c->mem->in,
                        sizeof(c->mem->in))) {
        ic_cnode_delete(ROOT, signal, 64);
        return IC_INVALID_ARGUMENT;
    }
    c->name = c->mem->name;
    c->signal = signal;
    c->live = true;
    c->broken = false;
    console_started(&table, k);
    *number = k;
    return IC_OK;
}

/* Served no more, its pages unmapped, every capability for it deleted:
 * then the resource server may destroy the realm. What it printed and the
 * mux has not shown yet is lost with it. */
static ic_err_t op_close(ic_word_t id)
{
    uint32_t k;
    ic_err_t e = console_check_close(&table, id, &k);
    if (e)
        return e;
    struct client *c = &clients[k];
    if (c->live)
        mux_remove_client(&mux, k);
    c->live = c->broken = false;
    c->signal = 0;
    /* deleting a frame's capability removes its mapping */
    for (uint32_t i = 0; i < table.slots[k].frames; i++)
        ic_cnode_delete(ROOT, c->caps + i, 64);
    ic_cnode_delete(ROOT, c->caps + CONSOLE_PAGES_MAX, 64);
    console_closed(&table, k);
    return IC_OK;
}

/* One request (its words in the IPC buffer), answered. Every field was
 * sent by another component: the unpackers and consoles.c check them
 * all, and a capability that came with it and was not kept is deleted
 * before the answer, so the landing slot is empty for the next. */
static void serve_request(ic_msginfo_t info)
{
    const ic_word_t *mr = ic_ipc_buffer()->msg;
    ic_word_t label = ic_msginfo_label(info), number = 0;
    ic_err_t e;
    union {
        struct ic_console_open_args open;
        struct ic_console_frame_args frame;
        struct ic_console_start_args start;
        struct ic_console_close_args close;
    } a;
    switch (label) {
    case IC_CONSOLE_OPEN_LABEL:
        if (!(e = ic_console_open_unpack(info, mr, &a.open)))
            e = op_open(a.open.console, a.open.pages);
        break;
    case IC_CONSOLE_FRAME_LABEL:
        if (!(e = ic_console_frame_unpack(info, mr, &a.frame)))
            e = op_frame(a.frame.console, a.frame.index);
        break;
    case IC_CONSOLE_START_LABEL:
        if (!(e = ic_console_start_unpack(info, mr, &a.start)))
            e = op_start(a.start.console, &number);
        break;
    case IC_CONSOLE_CLOSE_LABEL:
        if (!(e = ic_console_close_unpack(info, mr, &a.close)))
            e = op_close(a.close.console);
        break;
    default:
        e = IC_ILLEGAL_OPERATION;
        break;
    }
    if (ic_msginfo_extra_caps(info))
        ic_cnode_delete(ROOT, landing, 64);
    if (e)
        ic_reply(ic_msginfo_new(e, 0, 0, 0));
    else if (label == IC_CONSOLE_START_LABEL)
        ic_console_start_reply(number);
    else
        ic_console_open_reply(); /* no results: the same reply for open, frame and close */
}

/* Realm consoles, if the description gives some component (the resource
 * server) an endpoint to this one: the notification is bound to the
 * thread, so that one receive on the endpoint takes either. */
static void setup_realm_consoles(void)
{
    const struct system_component *me = ic_self();
    for (unsigned e = 0; e < me->num_endpoints && !requests; e++) {
        if (me->endpoints[e].server) {
            requests = me->endpoints[e].slot;
            requests_badge = me->endpoints[e].badge;
        }
    }
    if (!requests)
        return;
    landing = ic_slot();
    probe = ic_make(IC_OBJ_TCB, 0);
    ic_set_receive_path(ROOT, landing, 64);
    ic_check(ic_tcb_bind_notification(IC_SLOT_ROOT_TCB, NTFN), "binding its notification");
}

/* Waits for a signal or a request, and serves the request. */
static void wait_for_work(void)
{
    ic_word_t badge;
    if (!requests) {
        ic_wait(NTFN, &badge);
        return;
    }
    ic_msginfo_t info = ic_recv(requests, &badge);
    /* The bound notification's bits arrive as a message of no label, no
     * words and no capability, the bits as its badge; every request has a
     * label. What the bits say is not needed: every console is looked at
     * after any wake-up. Only a call of no label from the client looks the
     * same: it gets an error, a reply that is no-op when it was the
     * notification after all. */
    if (info == 0 && badge != requests_badge)
        return;
    serve_request(info);
}

int main(ic_bootinfo_t *bi)
{
    ic_env_init(bi, "serial-server");
    setup_uart();
    setup_clients();
    setup_realm_consoles();
    ic_printf("serial-server: %u console%s%s; type @? at the start of a line for help\n", num_fixed,
              num_fixed == 1 ? "" : "s", requests ? ", and realms' as they come" : "");
    for (;;) {
        bool busy;
        do {
            busy = false;
            uart_input();
            mux_tick(&mux, now_ms());
            for (unsigned k = 0; k < num_clients; k++)
                busy |= client_output(k);
            mux_flush_partial(&mux);
            uart_output();
            for (unsigned k = 0; k < num_clients; k++)
                busy |= client_input(k);
        } while (busy || !may_sleep());
        /* the UART's causes are cleared or masked: its line may come again */
        ic_check(ic_irq_handler_ack(uart_irq), "unmasking the UART's interrupt");
        wait_for_work();
    }
}
