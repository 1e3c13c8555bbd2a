/* Kernel entry from user threads and the kernel's start on each CPU. */
#include "kernel.h"
#include "arch.h"
#include "plat.h"
#include "sched.h"
#include "smp.h"
#include "util.h"
#include "vcpu.h"
#include <icecap/faults.h>


static void handle_sync(struct tcb *t)
{
    uint64_t esr = SYSREG_READ(esr_el2);
    switch (ESR_EC(esr)) {
    case EC_SVC64:
        syscall_handle(t);
        return;
    case EC_IABT_LOWER:
    case EC_DABT_LOWER: {
        /* stage 1 is off, so the faulting address is the guest-physical one */
        word_t msg[IC_VM_FAULT_LENGTH] = { t->ctx.pc, SYSREG_READ(far_el2), ESR_EC(esr) == EC_IABT_LOWER, esr };
        fault_raise(t, IC_FAULT_VM, msg, IC_VM_FAULT_LENGTH);
        return;
    }
    default: {
        word_t msg[IC_USER_EXCEPTION_LENGTH] = { t->ctx.pc, t->ctx.sp, esr };
        fault_raise(t, IC_FAULT_USER_EXCEPTION, msg, IC_USER_EXCEPTION_LENGTH);
        return;
    }
    }
}

void trap_sync_locked(void)
{
    struct tcb *t = this_cpu()->current;
    /* no current thread: another CPU took it away while we waited */
    if (t) {
        if (t->vcpu)
            vcpu_handle_exit(t, SYSREG_READ(esr_el2));
        else
            handle_sync(t);
    }
    sched_exit_to_user();
}

/* An SError is the thread's that was running when it arrived: a guest's
 * goes to its VMM as an exit, a native thread's is a user exception. */
static NORETURN void serror_of_current(uint64_t esr)
{
    smp_lock();
    struct tcb *t = this_cpu()->current;
    if (t && t->vcpu) {
        vcpu_handle_exit(t, esr);
    } else if (t) {
        word_t msg[IC_USER_EXCEPTION_LENGTH] = { t->ctx.pc, t->ctx.sp, esr };
        fault_raise(t, IC_FAULT_USER_EXCEPTION, msg, IC_USER_EXCEPTION_LENGTH);
    }
    sched_exit_to_user();
}

/* SErrors are asynchronous: one that the entering thread's accesses caused
 * may still be on its way when it enters the kernel, and would be taken
 * when the kernel returns to user level, perhaps into another thread or
 * guest, and be blamed on it. So a slow-path entry first takes any pending
 * SError and reports it as the entering thread's; the entry's own exception
 * then happens again when the thread resumes (a system or hypervisor call
 * by going back to its instruction; other synchronous exceptions return to
 * the instruction that raised them; an interrupt stays pending). */
void trap_lower_sync(void)
{
    uint64_t esr = SYSREG_READ(esr_el2);
    uint64_t serror = arch_take_serror();
    if (serror) {
        struct tcb *t = this_cpu()->current;
        unsigned ec = (unsigned)ESR_EC(esr);
        /* its registers are this CPU's until it answers a stall */
        if (t && (ec == EC_SVC64 || ec == EC_HVC64))
            thread_restart_syscall(t);
        serror_of_current(serror);
    }
    smp_lock_entry(true);
    trap_sync_locked();
}

void trap_lower_irq(void)
{
    uint64_t serror = arch_take_serror();
    if (serror)
        serror_of_current(serror);
    smp_lock();
    irq_handle_pending();
    sched_exit_to_user();
}

void trap_lower_serror(void)
{
    serror_of_current(SYSREG_READ(esr_el2));
}

void trap_kernel(uint64_t kind)
{
    kpanic("exception %lu in the kernel: esr %lx elr %lx far %lx", kind, SYSREG_READ(esr_el2),
           SYSREG_READ(elr_el2), SYSREG_READ(far_el2));
}

/* Wait for an interrupt with nothing to run. */
void kernel_idle(void)
{
    struct cpu *c = this_cpu();
    c->current = NULL;
    for (;;) {
        sched_tick_update(c, false);
        smp_unlock();
        __asm__ volatile("wfi");
        smp_lock();
        irq_handle_pending();
        if (sched_ready_highest(c))
            sched_exit_to_user();
    }
}

/* called from irq.c for the kernel's own interrupts */
void trap_timer_tick(void)
{
    /* the next tick, which also drops the line before its end of
     * interrupt; or, when one that came before the CPU stopped ticking
     * (sched_tick_update) arrives late, just the line */
    if (this_cpu()->tick_armed)
        arch_timer_arm(arch_timer_frequency() / TICK_HZ);
    else
        arch_timer_stop();
    sched_tick();
}

void kernel_boot(void)
{
    arch_cpu_init(0);
    plat_uart_init();
    arch_check_mappings();
    vspace_init();
    smp_lock();
    plat_irq_init_boot();
    plat_irq_init_cpu(0);
    smp_irq_init_cpu();
    plat_irq_enable(BOARD_TIMER_PPI);
    plat_irq_enable(PLAT_VGIC_MAINTENANCE_PPI);
    /* before the root task, whose boot information counts them; the others
     * idle until it gives them threads */
    smp_start_secondaries();
    kprintf("\nIceCap kernel: EL2, " BOARD_NAME ", GICv%d, %u CPU%s\n", GIC_VERSION, smp_num_cpus,
            smp_num_cpus == 1 ? "" : "s");
    boot_create_root_task();
    sched_exit_to_user();
}

void kernel_secondary(unsigned cpu)
{
    arch_cpu_set_self(cpu); /* the lock's wait uses this_cpu() */
    smp_lock();
    arch_cpu_init(cpu);
    plat_irq_init_cpu(cpu);
    smp_irq_init_cpu();
    plat_irq_enable(BOARD_TIMER_PPI);
    plat_irq_enable(PLAT_VGIC_MAINTENANCE_PPI);
    sched_exit_to_user();
}
