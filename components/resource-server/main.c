/* The resource server (docs/resource-server.md): builds, lists and
 * destroys realms for the host, from realm specs, in a pool of memory the
 * host never had a mapping of. Part of the TCB.
 *
 * The host's requests come from the host VMM, which forwards what the host
 * writes into its realm device: a Call (abi/protocols/resource.tbl) naming
 * an area of the shared region realm-requests that holds the request
 * block. The server copies the block into private memory before it reads
 * a byte of it, answers with a response block in the same area, and
 * checks everything: nothing the host or the host VMM sends reaches an
 * assertion, and every failure leaves the pool as it was.
 *
 * A realm's console is handed to the serial server once the realm is
 * built and taken back before it is destroyed (realm.c, the console
 * protocol): the server waits for the serial server's answers then.
 *
 * One thread: requests are served one at a time, in the order they come. */
#include <icecap/env.h>
#include <icecap/icecap.h>
#include <icecap/protocols/resource_stubs.h>
#include <realmspec/realmspec.h>
#include <string.h>
#include <system.h>
#include "block.h"
#include "heap.h"
#include "realm.h"

#define OWN_BITS 24                  /* 16 MiB of the pool for the server's own objects */
#define HEAP_BYTES (4u << 20)        /* the realms' bookkeeping */
#define MAX_SPEC_BYTES (512ull << 20)

struct heap rs_heap;
static struct realm *realms;         /* by increasing id */
static unsigned num_realms;
static uint8_t request_copy[RB_AREA_SIZE], answer[RB_AREA_SIZE];

static struct realm *find(uint32_t id)
{
    for (struct realm *r = realms; r; r = r->next)
        if (r->id == id)
            return r;
    return NULL;
}

static void insert(struct realm *n)
{
    struct realm **link = &realms;
    while (*link && (*link)->id < n->id)
        link = &(*link)->next;
    n->next = *link;
    *link = n;
    num_realms++;
}

/* Forgets a realm that holds nothing any more. */
static void forget(struct realm *gone)
{
    for (struct realm **link = &realms; *link; link = &(*link)->next) {
        if (*link == gone) {
            *link = gone->next;
            num_realms--;
            heap_free(&rs_heap, gone);
            return;
        }
    }
}

static void op_list(const struct rb_request *q, struct rb_response *a)
{
    uint8_t *out = answer + RB_HEADER_SIZE;
    uint64_t index = 0, n = 0;
    for (const struct realm *r = realms; r; r = r->next, index++) {
        if (index < q->arg[0] || (n + 1) * RB_LIST_ENTRY_SIZE > RB_MAX_PAYLOAD)
            continue;
        rb_encode_list_entry(out + n * RB_LIST_ENTRY_SIZE, r->id, r->state, r->vcpus, r->held, r->measurement);
        n++;
    }
    a->val[0] = num_realms;
    a->val[1] = n;
    a->payload_len = (uint32_t)(n * RB_LIST_ENTRY_SIZE);
}

static void op_create(const struct rb_request *q, struct rb_response *a)
{
    if (find(q->id)) {
        a->status = RB_REALM_EXISTS;
        return;
    }
    if (q->arg[0] == 0 || q->arg[0] > MAX_SPEC_BYTES) {
        a->status = RB_BAD_RANGE;
        a->val[0] = MAX_SPEC_BYTES;
        return;
    }
    struct realm *r = heap_alloc(&rs_heap, sizeof(*r));
    if (!r) {
        a->status = RB_NO_MEMORY;
        a->val[0] = sizeof(*r);
        return;
    }
    memset(r, 0, sizeof(*r));
    r->id = q->id;
    r->state = RB_STATE_LOADING;
    uint64_t needed = 0;
    if (realm_alloc_spec(r, q->arg[0], &needed)) {
        heap_free(&rs_heap, r);
        a->status = RB_NO_MEMORY;
        a->val[0] = needed;
        a->val[1] = pool_free();
        return;
    }
    insert(r);
}

static void op_load(struct realm *r, const struct rb_request *q, struct rb_response *a)
{
    if (q->arg[0] > r->spec_size || q->payload_len > r->spec_size - q->arg[0]) {
        a->status = RB_BAD_RANGE;
        a->val[0] = r->spec_size;
        return;
    }
    uint64_t t0 = ic_counter();
    memcpy(realm_spec_bytes(r) + q->arg[0], q->payload, q->payload_len);
    r->load_ticks += ic_counter() - t0;
}

static void op_finish(struct realm *r, struct rb_response *a)
{
    struct realm_spec_limits lim;
    struct realm_spec_view view;
    uint64_t t0 = ic_counter(), spec_bytes = r->spec_size;
    realm_limits(&lim);
    int err = realm_spec_check(realm_spec_bytes(r), r->spec_size, &lim, &view);
    if (err) {
        a->status = RB_BAD_SPEC;
        a->val[0] = (uint64_t)err;
        if (err == RS_ERR_BUDGET) {
            a->status = RB_NO_MEMORY;
            a->val[0] = view.memory_bytes;
        }
        realm_free_spec(r);
        forget(r);
        a->val[1] = pool_free();
        return;
    }
    realm_spec_measure(&view, r->measurement);
    uint64_t needed = 0, kernel_err = 0;
    int built = realm_build(r, &view, &needed, &kernel_err);
    if (built) {
        a->status = (uint16_t)-built;
        a->val[0] = built == -RB_NO_MEMORY ? view.memory_bytes : kernel_err;
        forget(r);
        a->val[1] = pool_free();
        return;
    }
    realm_free_spec(r);
    r->state = RB_STATE_READY;
    /* make bench-realm reads this line (tools/guest/bench-realm.exp) */
    ic_printf("resource-server: realm %u: %lu bytes of spec, loaded in %lu counter ticks, checked and built in %lu "
              "(counter at %lu Hz)\n", (unsigned)r->id, (unsigned long)spec_bytes, (unsigned long)r->load_ticks,
              (unsigned long)(ic_counter() - t0), (unsigned long)ic_counter_frequency());
    a->val[0] = r->num_objects;
    memcpy(answer + RB_HEADER_SIZE, r->measurement, sizeof(r->measurement));
    a->payload_len = sizeof(r->measurement);
}

/* Serves the request block in buf[0..len) (private); the response goes
 * into 'answer'. Returns its length. */
static size_t serve(const uint8_t *buf, size_t len)
{
    struct rb_request q;
    struct rb_response a = { 0 };
    int decoded = rb_decode_request(buf, len, &q);
    a.op = q.op;
    a.id = q.id;
    a.status = (uint16_t)decoded;
    if (decoded != RB_OK)
        return rb_encode_response(&a, answer);

    struct realm *r = find(q.id);
    switch (q.op) {
    case RB_OP_STATUS:
        a.val[0] = pool_total();
        a.val[1] = pool_free();
        a.val[2] = num_realms;
        break;
    case RB_OP_LIST:
        op_list(&q, &a);
        break;
    case RB_OP_CREATE:
        op_create(&q, &a);
        break;
    case RB_OP_LOAD: case RB_OP_FINISH: case RB_OP_ABORT:
        if (!r)
            a.status = RB_NO_SUCH_REALM;
        else if (r->state != RB_STATE_LOADING)
            a.status = RB_BAD_STATE;
        else if (q.op == RB_OP_LOAD)
            op_load(r, &q, &a);
        else if (q.op == RB_OP_FINISH)
            op_finish(r, &a);
        else {
            realm_free_spec(r);
            forget(r);
        }
        break;
    case RB_OP_DESTROY:
        if (!r)
            a.status = RB_NO_SUCH_REALM;
        else if (r->state == RB_STATE_LOADING)
            a.status = RB_BAD_STATE;
        else {
            realm_destroy(r);
            forget(r);
        }
        break;
    }
    return rb_encode_response(&a, answer);
}

/* The serial server, for realms' consoles (docs/resource-server.md,
 * "Consoles"): the endpoint the description declares to it (with grant)
 * and the channel. Without either, realms are built all the same and
 * their consoles stay unconnected. */
static void find_serial_server(void)
{
    const struct system_component *me = ic_self();
    unsigned serial;
    ic_cptr_t ep = 0, channel = 0;
    if (ic_component_named("serial-server", &serial)) {
        ep = ic_endpoint_to(serial);
        for (unsigned k = 0; k < me->num_channels; k++)
            if (me->channels[k].peer_index == serial)
                channel = me->channels[k].slot;
    }
    if (!ep || !channel)
        ic_printf("resource-server: no endpoint and channel to the serial server: realms' consoles stay "
                  "unconnected\n");
    realm_consoles_init(ep, channel);
}

int main(ic_bootinfo_t *bi)
{
    ic_env_init(bi, "resource-server");
    pool_init(OWN_BITS);
    heap_init(&rs_heap, ic_alloc_pages(HEAP_BYTES), HEAP_BYTES);

    unsigned host_vmm;
    size_t region_size = 0;
    uint8_t *areas = ic_region_named("realm-requests", &region_size);
    ic_cptr_t ep = ic_component_named("host-vmm", &host_vmm) ? ic_endpoint_from(host_vmm) : 0;
    if (!areas || !ep)
        ic_die("finding its connection to the host VMM (realm-requests and an endpoint)", IC_FAILED_LOOKUP);
    find_serial_server();
    ic_word_t num_areas = region_size / RB_AREA_SIZE;
    ic_printf("resource-server: pool of %lu MiB, %lu areas for requests\n", (unsigned long)(pool_total() >> 20),
           (unsigned long)num_areas);

    for (;;) {
        ic_word_t badge;
        ic_msginfo_t info = ic_recv(ep, &badge);
        struct ic_resource_request_args args;
        ic_word_t length = 0;
        if (ic_resource_request_unpack(info, ic_ipc_buffer()->msg, &args) == IC_OK && args.area < num_areas &&
            args.length <= RB_AREA_SIZE) {
            uint8_t *area = areas + args.area * RB_AREA_SIZE;
            /* one copy: the host VMM may rewrite the area meanwhile */
            memcpy(request_copy, area, args.length);
            length = serve(request_copy, args.length);
            memcpy(area, answer, length);
        }
        ic_resource_request_reply(length);
    }
}
