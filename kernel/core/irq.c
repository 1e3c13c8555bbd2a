/* Interrupts: the kernel keeps the timer and the SGIs; every other line can
 * be handed to user level through IRQ control, which issues one handler
 * capability per line. A handler signals its notification when the line
 * fires; the line stays masked until the handler is acknowledged. */
#include "kernel.h"
#include "arch.h"
#include "invocation.h"
#include "cnode.h"
#include "plat.h"
#include "sched.h"
#include "util.h"
#include "smp.h"
#include "vcpu.h"


struct irq_line {
    bool issued;             /* a handler capability exists */
    struct cte notification; /* copy of the notification capability to signal */
};
static struct irq_line irq_lines[BOARD_NUM_IRQS];

void irq_handle_pending(void)
{
    for (;;) {
        unsigned irq = plat_irq_ack();
        if (irq == PLAT_IRQ_NONE)
            return;
        if (irq == BOARD_TIMER_PPI) {
            trap_timer_tick();
        } else if (irq == PLAT_VGIC_MAINTENANCE_PPI) {
            vcpu_handle_maintenance();
        } else if (irq == BOARD_VTIMER_PPI) {
            vcpu_handle_vtimer();
        } else if (irq == BOARD_WAIT_TIMER_PPI) {
            smp_wait_timer_fired();
        } else if (irq == SGI_KICK) {
            vcpu_handle_kick();
        } else if (irq < 16) {
            /* other SGIs only bring the CPU into the kernel to reschedule;
             * stall requests are answered in smp_lock */
        } else if (irq < BOARD_NUM_IRQS && irq_lines[irq].issued) {
            plat_irq_disable(irq);
            struct cap *n = &irq_lines[irq].notification.cap;
            if (n->type == CAP_NOTIFICATION)
                notification_signal(cap_ntfn(n), n->a);
        } else {
            plat_irq_disable(irq); /* nobody handles it: keep it quiet */
        }
        plat_irq_eoi(irq);
    }
}

static bool irq_is_user(word_t irq)
{
    return irq >= 32 && irq < BOARD_NUM_IRQS && irq < plat_irq_lines();
}

ic_err_t irq_control_invoke_get(struct invocation *inv)
{
    word_t irq = inv->args[0];
    struct cte *root = inv->caps[0], *dest;
    if (!irq_is_user(irq))
        return IC_RANGE_ERROR;
    if (irq_lines[irq].issued)
        return IC_REVOKE_FIRST;
    ic_err_t err = cnode_empty_slot(root, inv->args[1], (unsigned)inv->args[2], &dest);
    if (err)
        return err;
    struct cap c = cap_null();
    c.type = CAP_IRQ_HANDLER;
    c.obj = irq;
    cap_insert(dest, c, inv->slot);
    irq_lines[irq].issued = true;
    return IC_OK;
}

ic_err_t irq_handler_invoke_ack(struct invocation *inv)
{
    plat_irq_enable((unsigned)inv->slot->cap.obj);
    return IC_OK;
}

ic_err_t irq_handler_invoke_set_notification(struct invocation *inv)
{
    struct cte *n = inv->caps[0];
    struct irq_line *line = &irq_lines[inv->slot->cap.obj];
    struct cap c;
    if (n->cap.type != CAP_NOTIFICATION || !(n->cap.rights & IC_RIGHT_WRITE) || cap_derive(n, &c))
        return IC_INVALID_CAPABILITY;
    ic_err_t err = cte_delete(&line->notification);
    if (err)
        return err;
    cap_insert(&line->notification, c, n);
    plat_irq_enable((unsigned)inv->slot->cap.obj);
    return IC_OK;
}

ic_err_t irq_handler_invoke_clear(struct invocation *inv)
{
    struct irq_line *line = &irq_lines[inv->slot->cap.obj];
    plat_irq_disable((unsigned)inv->slot->cap.obj);
    return cte_delete(&line->notification);
}

void irq_handler_finalise(struct cap *c)
{
    struct irq_line *line = &irq_lines[c->obj];
    plat_irq_disable((unsigned)c->obj);
    cte_delete(&line->notification); /* a notification copy is never long to delete */
    line->issued = false;
}
