/* One big kernel lock, taken at every kernel entry and dropped at exit.
 *
 * A CPU that must take a thread off another CPU (to delete, suspend or
 * rewrite it) asks with smp_stall_thread while holding the lock; the other
 * CPU answers from its lock-wait loop, after its entry code has saved the
 * thread's registers, so that the thread's TCB is left alone afterwards. */
#include "smp.h"
#include "arch.h"
#include "plat.h"
#include "sched.h"
#include "vcpu.h"
#include "util.h"

struct ticket_lock smp_big_lock;

static void answer_stall(void)
{
    struct cpu *c = this_cpu();
    if (!c->stall_request)
        return;
    struct tcb *t = c->current;
    if (t && t == c->stall_tcb) {
        vcpu_unload(c);
        t->on_cpu = 0;
        c->current = NULL;
        if (t->state == THREAD_RUNNABLE)
            sched_ready_insert(c, t, true);
    }
    if (c->stall_vcpu && c->vcpu_active == c->stall_vcpu)
        vcpu_unload(c);
    c->stall_tcb = NULL;
    c->stall_vcpu = NULL;
    __atomic_store_n(&c->stall_request, 0, __ATOMIC_RELEASE);
}

void smp_lock_wait(uint32_t ticket)
{
    /* wfe lets an emulator run the other CPUs; smp_unlock and stall
     * requests send an event */
    while (__atomic_load_n(&smp_big_lock.owner, __ATOMIC_ACQUIRE) != ticket) {
        answer_stall();
        __asm__ volatile("wfe");
    }
    answer_stall();
}

/* Ask another CPU to give up a thread or a VCPU, and wait until it has. */
static void request(struct cpu *other, struct tcb *t, struct vcpu *v)
{
    other->stall_tcb = t;
    other->stall_vcpu = v;
    __atomic_store_n(&other->stall_request, 1, __ATOMIC_RELEASE);
    plat_irq_send_sgi(other->id, SGI_STALL);
    __asm__ volatile("dsb ish; sev" ::: "memory");
    while (__atomic_load_n(&other->stall_request, __ATOMIC_ACQUIRE))
        ;
}

void smp_stall_thread(struct tcb *t)
{
    if (!t->on_cpu || (unsigned)(t->on_cpu - 1) == this_cpu()->id)
        return;
    request(&cpus[t->on_cpu - 1], t, NULL);
}

void smp_unload_vcpu(unsigned cpu, struct vcpu *v)
{
    if (cpu != this_cpu()->id)
        request(&cpus[cpu], NULL, v);
}

extern char arch_secondary_entry[];

unsigned smp_num_cpus = 1;

#define PSCI_INVALID_PARAMETERS (-2)

/* Called with the lock held; returns with it held, once every CPU that
 * started is online, so that the root task can use all of them at once
 * (tcb_set_affinity refuses a CPU that is not online yet). CPUs are
 * numbered without gaps: the first that does not start ends the search
 * (PSCI's "invalid parameters" is the machine saying it has no such CPU). */
void smp_start_secondaries(void)
{
    for (unsigned i = 1; i < BOARD_MAX_CPUS; i++) {
        int r = plat_psci_cpu_on(i, (uint64_t)arch_secondary_entry, i);
        if (r != 0) {
            if (r != PSCI_INVALID_PARAMETERS)
                kprintf("CPU %u did not start (PSCI %d); using %u\n", i, r, i);
            break;
        }
        /* it initialises itself holding the lock */
        smp_unlock();
        while (!__atomic_load_n(&cpus[i].online, __ATOMIC_ACQUIRE))
            __asm__ volatile("wfe"); /* its smp_unlock sends an event */
        smp_lock();
        smp_num_cpus = i + 1;
    }
}
