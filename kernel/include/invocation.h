/* Object invocations: decoded from a Call on a capability to a kernel
 * object. Every handler checks all of its arguments and capabilities first
 * and changes nothing when it returns an error ("decode, then invoke"). */
#ifndef KERNEL_INVOCATION_H
#define KERNEL_INVOCATION_H

#include "object.h"
#include <icecap/ipc_buffer.h>

#define INVOCATION_MAX_ARGS 8

struct invocation {
    struct tcb *thread;                 /* the caller */
    ic_ipc_buffer_t *buffer;            /* its IPC buffer, may be NULL */
    struct cte *slot;                   /* the invoked capability */
    word_t length;                      /* message length */
    word_t args[INVOCATION_MAX_ARGS];   /* the first message registers */
    struct cte *caps[IC_MSG_MAX_EXTRA_CAPS];
    word_t nresults;                    /* results written with invocation_result */
};

/* The table's count of results for a hand-written ('manual') invocation,
 * whose handler says itself how many it writes. */
#define INVOCATION_RESULTS_ANY 0xff

struct invocation_desc {
    uint8_t cap_type;
    uint8_t nargs;
    uint8_t ncaps;
    uint8_t nresults;                   /* what a successful handler writes */
    ic_err_t (*handler)(struct invocation *inv);
    const char *name;
};

void invocation_handle(struct tcb *t, struct cte *slot);
void invocation_result(struct invocation *inv, word_t value);
word_t invocation_arg(struct invocation *inv, unsigned i);

/* every invocation's handler, from abi/invocations.tbl */
#include <kernel/handlers.h>

#endif
