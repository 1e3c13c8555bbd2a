/* System call numbers (passed in x7 with `svc #0`) and register conventions.
 *
 *   x0  destination capability, or for ReplyRecv the endpoint to receive on
 *       (in); badge of the sender or error code (out)
 *   x1  message info word (in and out), see msginfo.h
 *   x2..x5  message registers 0..3; the rest live in the IPC buffer
 *   x7  system call number
 */
#ifndef ICECAP_SYSCALLS_H
#define ICECAP_SYSCALLS_H

enum ic_syscall {
    IC_SYS_CALL = 1,          /* send + wait for reply; invokes kernel objects */
    IC_SYS_REPLY_RECV = 2,    /* reply to the last caller, then receive */
    IC_SYS_SEND = 3,          /* blocking send on endpoint; signal on notification */
    IC_SYS_NB_SEND = 4,       /* send only if a receiver waits */
    IC_SYS_RECV = 5,          /* blocking receive on endpoint or wait on notification */
    IC_SYS_NB_RECV = 6,       /* receive if a sender waits; poll a notification */
    IC_SYS_REPLY = 7,         /* reply to the last caller */
    IC_SYS_YIELD = 8,         /* give up the rest of the time slice */
    IC_SYS_DEBUG_PUTCHAR = 9, /* write x0's low byte to the kernel console */
    IC_SYS_DEBUG_HALT = 10,   /* power the machine off (root task only) */
    IC_SYS_DEBUG_LOG = 11,    /* take the kernel's lines (console access only): docs/abi.md */
    IC_SYS_COUNT
};

/* DebugLog, x0 = IC_DEBUG_LOG_TAKE: x0 = error, x1 = bytes of the kernel's log taken (up to
 * IC_DEBUG_LOG_BYTES, in x3..x5, first byte lowest), x2 = lines lost (its
 * log was full) since the last call. The kernel signals the caller's bound notification with
 * IC_DEBUG_LOG_BADGE when it adds to the log. */
#define IC_DEBUG_LOG_BYTES 24
#define IC_DEBUG_LOG_TAKE 0u
#define IC_DEBUG_LOG_STOP 1u /* the kernel's lines go to the UART again */
#define IC_DEBUG_LOG_BADGE (1ull << 63)

#define IC_MSG_REGISTERS_IN_CPU 4   /* MR0..MR3 travel in x2..x5 */
#define IC_MSG_MAX_LENGTH 64        /* message registers per message */
#define IC_MSG_MAX_EXTRA_CAPS 4     /* capabilities transferred per message */

#endif
