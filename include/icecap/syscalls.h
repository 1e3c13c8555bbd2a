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
    IC_SYS_COUNT
};

#define IC_MSG_REGISTERS_IN_CPU 4   /* MR0..MR3 travel in x2..x5 */
#define IC_MSG_MAX_LENGTH 64        /* message registers per message */
#define IC_MSG_MAX_EXTRA_CAPS 4     /* capabilities transferred per message */

#endif
