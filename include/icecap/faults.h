/* Fault messages, delivered as a Call to a thread's fault endpoint. The label
 * of the message says what happened; the message registers give details.
 * Replying with a message of label 0 resumes the faulting thread (after the
 * handler has fixed its cause, e.g. mapped a frame or written registers);
 * not replying leaves it blocked. */
#ifndef ICECAP_FAULTS_H
#define ICECAP_FAULTS_H

enum ic_fault_label {
    IC_FAULT_NONE = 0,
    IC_FAULT_VM = 1,              /* stage-2 translation or permission fault */
    IC_FAULT_UNKNOWN_SYSCALL = 2, /* svc with an unknown number in x7 */
    IC_FAULT_USER_EXCEPTION = 3,  /* any other synchronous exception */
};

/* IC_FAULT_VM message registers */
enum { IC_VM_FAULT_PC, IC_VM_FAULT_ADDR, IC_VM_FAULT_IS_PREFETCH, IC_VM_FAULT_ESR, IC_VM_FAULT_LENGTH };
/* IC_FAULT_UNKNOWN_SYSCALL message registers: x0..x7, then pc, sp, number */
enum { IC_UNKNOWN_SYSCALL_X0 = 0, IC_UNKNOWN_SYSCALL_PC = 8, IC_UNKNOWN_SYSCALL_SP,
       IC_UNKNOWN_SYSCALL_NUMBER, IC_UNKNOWN_SYSCALL_LENGTH };
/* IC_FAULT_USER_EXCEPTION message registers */
enum { IC_USER_EXCEPTION_PC, IC_USER_EXCEPTION_SP, IC_USER_EXCEPTION_ESR, IC_USER_EXCEPTION_LENGTH };

#endif
