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


/* Runs while this CPU waits for the lock at a kernel entry, with the
 * thread's registers saved. A thread taken off the CPU here never has the
 * exception handled (the entry finds no current thread): a system call or
 * hypervisor call, whose return address is past the instruction, is made
 * again when the thread next runs; every other exception returns to the
 * instruction that caused it and happens again by itself. */
static void answer_stall(unsigned *entry_ec)
{
    struct cpu *c = this_cpu();
    if (!c->stall_request)
        return;
    struct tcb *t = c->current;
    if (t && t == c->stall_tcb) {
        if (*entry_ec == EC_SVC64 || *entry_ec == EC_HVC64)
            t->ctx.pc -= 4;
        *entry_ec = 0;
        vcpu_unload(c);
        t->on_cpu = 0;
        c->current = NULL;
        if (t->state == THREAD_RUNNABLE)
            sched_ready_insert(c, t, true);
    }
    if (c->stall_vcpu && c->vcpu_active == c->stall_vcpu)
        vcpu_unload(c);
    if (c->stall_vspace)
        vspace_deactivate(c); /* the exit path installs the right one */
    c->stall_tcb = NULL;
    c->stall_vcpu = NULL;
    c->stall_vspace = false;
    __atomic_store_n(&c->stall_request, 0, __ATOMIC_RELEASE);
}

void smp_lock_wait(uint32_t ticket, bool sync_entry)
{
    /* ESR_EL2 holds until this entry is handled: nothing else is taken to
     * EL2 while the kernel runs with exceptions masked */
    unsigned entry_ec = sync_entry ? (unsigned)ESR_EC(SYSREG_READ(esr_el2)) : 0;
    /* wfe lets an emulator run the other CPUs; smp_unlock and stall
     * requests send an event */
    while (__atomic_load_n(&smp_big_lock.owner, __ATOMIC_ACQUIRE) != ticket) {
        answer_stall(&entry_ec);
        __asm__ volatile("wfe");
    }
    answer_stall(&entry_ec);
}

/* Ask another CPU to give up a thread, a VCPU or an address space, and
 * wait until it has. */
static void request(struct cpu *other, struct tcb *t, struct vcpu *v, bool vspace)
{
    other->stall_tcb = t;
    other->stall_vcpu = v;
    other->stall_vspace = vspace;
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
    request(&cpus[t->on_cpu - 1], t, NULL, false);
}

void smp_unload_vcpu(unsigned cpu, struct vcpu *v)
{
    if (cpu != this_cpu()->id)
        request(&cpus[cpu], NULL, v, false);
}

/* A VSpace capability left a slot; 'dead' is the VTTBR value of the
 * address space if that was its last capability (it is being destroyed),
 * else 0. A thread runs in the address space its TCB's VSpace slot names,
 * from its next instruction on: every CPU whose installed VTTBR_EL2 no
 * longer matches its thread's slot (the capability was that slot's), or
 * names the dead address space (an idle CPU's may), drops it before it
 * returns to user level, and its exit path installs the right one, the
 * empty one if the slot is empty (the thread then faults at its next
 * access). CPUs change their VTTBR only under the lock (vspace_activate),
 * so the values read here hold. Afterwards no CPU can walk a dead address
 * space's tables or use its VMID. */
void smp_vspace_removed(uint64_t dead)
{
    struct cpu *self = this_cpu();
    for (unsigned i = 0; i < smp_num_cpus; i++) {
        struct cpu *c = &cpus[i];
        bool stale = (dead && c->vttbr == dead) || (c->current && c->vttbr != vspace_vttbr_of(c->current));
        if (!stale)
            continue;
        if (c == self)
            vspace_deactivate(self);
        else
            request(c, NULL, NULL, true);
    }
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
    if (smp_num_cpus == BOARD_MAX_CPUS && plat_psci_affinity_info(BOARD_MAX_CPUS) >= 0)
        kprintf("the machine has more CPUs than the %u this kernel runs on: the others stay off\n", BOARD_MAX_CPUS);
}
