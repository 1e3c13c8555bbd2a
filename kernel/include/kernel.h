/* Cross-module entry points of the kernel core. */
#ifndef KERNEL_KERNEL_H
#define KERNEL_KERNEL_H

#include "types.h"
#include "object.h"
#include <icecap/ipc_buffer.h>

/* Internal result of a long operation that stopped at a preemption point:
 * the system call is restarted after the interrupt is handled. */
#define ERR_PREEMPTED ((ic_err_t)-1)

/* delete.c */
ic_err_t cte_delete(struct cte *slot);
ic_err_t cte_revoke(struct cte *slot);
bool preemption_point(void);

/* ipc.c */
ic_ipc_buffer_t *tcb_ipc_buffer(struct tcb *t);
word_t ipc_get_mr(struct tcb *t, ic_ipc_buffer_t *buf, unsigned i);
void ipc_set_mr(struct tcb *t, ic_ipc_buffer_t *buf, unsigned i, word_t v);
void endpoint_send(struct tcb *sender, struct endpoint *ep, word_t badge, bool can_grant, bool is_call,
                   bool blocking);
void endpoint_recv(struct tcb *receiver, struct endpoint *ep, bool blocking);
void ipc_reply(struct tcb *replier);
void ipc_reply_with_cap(struct tcb *replier, struct cte *slot);
void ipc_cancel(struct tcb *t);
void endpoint_cancel_all(struct endpoint *ep);

/* notification.c */
void notification_signal(struct notification *n, word_t badge);
void notification_wait(struct tcb *t, struct notification *n, bool blocking);
void notification_cancel_all(struct notification *n);
void notification_unbind(struct notification *n);

/* fault.c */
void fault_raise(struct tcb *t, word_t label, const word_t *msg, unsigned len);

/* tcb.c */
void tcb_init(struct tcb *t);
void tcb_finalise(struct tcb *t);
struct cte *tcb_slot(struct tcb *t, unsigned i);
void thread_restart_syscall(struct tcb *t);

/* vspace.c (arch) */
void vspace_init_object(struct cap *c);
void vspace_init_boot(struct cap *c);
void vmid_pool_finalise(struct cap *c);
void vspace_finalise(struct cap *c);
void frame_unmap_cap(struct cap *c);
void page_table_finalise(struct cap *c);
ic_err_t vspace_map_table(struct cap *pt, const struct cap *vs, word_t va);
ic_err_t vspace_map_frame(struct cap *f, const struct cap *vs, word_t va, word_t rights, word_t attrs);

/* irq.c */
void irq_handle_pending(void);
void irq_handler_finalise(struct cap *c);

/* syscall.c */
void syscall_handle(struct tcb *t);

/* trap.c: the entries from assembly (head.S, vectors.S), and the timer */
void kernel_boot(void);
void kernel_secondary(unsigned cpu);
void kernel_idle(void);
void trap_timer_tick(void);

/* boot.c */
void boot_create_root_task(void);
extern struct tcb *boot_root_tcb;

#endif
