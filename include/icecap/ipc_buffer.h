/* The IPC buffer: one per thread, in a frame the thread has mapped and
 * registered with tcb_configure. Message registers beyond the first four,
 * capabilities to send and where to receive capabilities live here. */
#ifndef ICECAP_IPC_BUFFER_H
#define ICECAP_IPC_BUFFER_H

#include <icecap/types.h>
#include <icecap/syscalls.h>

typedef struct ic_ipc_buffer {
    ic_word_t tag;                              /* unused by the kernel */
    ic_word_t msg[IC_MSG_MAX_LENGTH];           /* message registers */
    ic_word_t user_data;                        /* free for the runtime */
    ic_word_t caps_or_badges[IC_MSG_MAX_EXTRA_CAPS]; /* send: cptrs; receive: badges */
    ic_cptr_t receive_cnode;                    /* where a received cap goes */
    ic_cptr_t receive_index;
    ic_word_t receive_depth;
} ic_ipc_buffer_t;

/* The IPC buffer must not cross a page: align it to this. */
#define IC_IPC_BUFFER_ALIGN_BITS 10

#endif
