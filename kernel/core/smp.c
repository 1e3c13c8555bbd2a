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

#ifdef SMP_STATS
/* A debug build's account of the time CPUs wait for each other (make
 * boot-stats): each request to another CPU by the code that made it, and
 * each CPU's waits for the lock, in counter ticks. Requests are counted
 * under the lock, lock waits by the waiting CPU in its own entry. */
#define STAT_CALLERS 32
static struct request_stat {
    word_t caller;
    uint64_t count, ticks, max_ticks;
} request_stats[STAT_CALLERS];
static struct lock_stat {
    uint64_t count, ticks, max_ticks, slept;
} lock_stats[BOARD_MAX_CPUS];

static uint64_t stat_now(void)
{
    isb();
    return SYSREG_READ(cntpct_el0);
}

static void stat_request(word_t caller, uint64_t ticks)
{
    for (unsigned i = 0; i < STAT_CALLERS; i++) {
        struct request_stat *r = &request_stats[i];
        if (r->caller != caller && r->caller)
            continue;
        r->caller = caller;
        r->count++;
        r->ticks += ticks;
        if (ticks > r->max_ticks)
            r->max_ticks = ticks;
        return;
    }
}

static uint64_t ticks_to_us(uint64_t ticks)
{
    return ticks * 1000000 / SYSREG_READ(cntfrq_el0);
}

void smp_stats_report(void)
{
    kprintf("smp-stats: cross-CPU requests (caller: count, total us, longest us)\n");
    for (unsigned i = 0; i < STAT_CALLERS && request_stats[i].caller; i++) {
        const struct request_stat *r = &request_stats[i];
        kprintf("smp-stats: request %lx: %lu %lu %lu\n", r->caller, r->count, ticks_to_us(r->ticks),
                ticks_to_us(r->max_ticks));
    }
    for (unsigned i = 0; i < smp_num_cpus; i++)
        kprintf("smp-stats: lock waits cpu %u (count, total us, longest us, slept): %lu %lu %lu %lu\n", i,
                lock_stats[i].count, ticks_to_us(lock_stats[i].ticks), ticks_to_us(lock_stats[i].max_ticks),
                lock_stats[i].slept);
}
#endif


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
    __atomic_store_n(&c->stall_request, 0, __ATOMIC_SEQ_CST);
    /* the requester may sleep (request), and holds the lock meanwhile */
    if (__atomic_load_n(&smp_big_lock.sleepers, __ATOMIC_SEQ_CST))
        smp_wake_sleepers();
}

/* Waiting CPUs spin for a while, then sleep. On hardware the lock is held
 * for microseconds and the spin is what happens; under an emulator whose
 * CPUs are host threads, the holder may be a thread the host has not
 * scheduled, and a spinning waiter would burn the host's time until it is
 * (on a busy host, a whole time slice a wait). A sleeper lets only urgent
 * interrupts through (plat_irq_urgent_only: a stall request, or its wait
 * timer, or a wake-up) and waits in WFI until whoever ends its wait wakes
 * it, or for at most SLEEP_US, then looks again. The release path pays a
 * load and a branch for this when nobody sleeps. */
#define SPIN_BEFORE_SLEEP_US 20
#define SLEEP_US 50

static uint64_t us_to_ticks(uint64_t us)
{
    return SYSREG_READ(cntfrq_el0) * us / 1000000;
}

static bool spun_enough(uint64_t start)
{
    return SYSREG_READ(cntpct_el0) - start > us_to_ticks(SPIN_BEFORE_SLEEP_US);
}

/* One sleep of at most SLEEP_US, with only urgent interrupts let through,
 * unless the wait is 'over' once this CPU's bit in 'sleepers' is set: from
 * then on whoever ends the wait sends SGI_WAKE (smp_unlock, answer_stall),
 * so a sleeper wakes when its wait ends, not when its timer does. */
static void sleep_a_while(bool (*over)(const void *), const void *arg)
{
    uint32_t bit = 1u << this_cpu()->id;
    __atomic_fetch_or(&smp_big_lock.sleepers, bit, __ATOMIC_SEQ_CST);
    __asm__ volatile("dmb ish" ::: "memory");
    if (!over(arg)) {
        arch_wait_timer_arm(us_to_ticks(SLEEP_US));
        plat_irq_urgent_only(true);
        __asm__ volatile("dsb sy; wfi" ::: "memory");
        /* consume what woke it (only urgent interrupts get through): a
         * stall request is seen through stall_request, the timer and a
         * wake-up are done */
        for (unsigned irq; (irq = plat_irq_ack()) != PLAT_IRQ_NONE;) {
            if (irq == BOARD_WAIT_TIMER_PPI)
                arch_wait_timer_stop();
            plat_irq_eoi(irq);
        }
        arch_wait_timer_stop();
        plat_irq_urgent_only(false);
    }
    __atomic_fetch_and(&smp_big_lock.sleepers, ~bit, __ATOMIC_SEQ_CST);
}

void smp_wake_sleepers(void)
{
    uint32_t others = __atomic_load_n(&smp_big_lock.sleepers, __ATOMIC_RELAXED) & ~(1u << this_cpu()->id);
    for (; others; others &= others - 1)
        plat_irq_send_sgi((unsigned)__builtin_ctz(others), SGI_WAKE);
}

/* This CPU's interrupts that must reach it while it sleeps in a wait. */
void smp_irq_init_cpu(void)
{
    plat_irq_make_urgent(SGI_STALL);
    plat_irq_make_urgent(SGI_WAKE);
    plat_irq_make_urgent(BOARD_WAIT_TIMER_PPI);
    arch_wait_timer_stop();
    plat_irq_enable(BOARD_WAIT_TIMER_PPI);
    this_cpu()->can_sleep = true;
}

/* The wait timer fired after its sleep ended (irq.c): nothing to do. */
void smp_wait_timer_fired(void)
{
    arch_wait_timer_stop();
}

static bool lock_is_ours(uint32_t ticket)
{
    return __atomic_load_n(&smp_big_lock.owner, __ATOMIC_ACQUIRE) == ticket;
}

/* A lock wait ends when the lock is ours, or pauses for a stall request. */
static bool lock_wait_over(const void *ticket)
{
    return lock_is_ours(*(const uint32_t *)ticket) || this_cpu()->stall_request;
}

void smp_lock_wait(uint32_t ticket, bool sync_entry)
{
    /* ESR_EL2 holds until this entry is handled: nothing else is taken to
     * EL2 while the kernel runs with exceptions masked */
    unsigned entry_ec = sync_entry ? (unsigned)ESR_EC(SYSREG_READ(esr_el2)) : 0;
    uint64_t start = SYSREG_READ(cntpct_el0);
#ifdef SMP_STATS
    uint64_t stat_start = stat_now();
#endif
    bool slept = false;
    /* wfe lets an emulator run the other CPUs; smp_unlock and stall
     * requests send an event */
    while (!lock_is_ours(ticket)) {
        answer_stall(&entry_ec);
        if (!spun_enough(start)) {
            __asm__ volatile("wfe");
            continue;
        }
        /* (a CPU still starting has no wait timer yet: it spins) */
        if (this_cpu()->stall_request || !this_cpu()->can_sleep) {
            __asm__ volatile("wfe");
            continue;
        }
        sleep_a_while(lock_wait_over, &ticket);
        slept = true;
    }
    answer_stall(&entry_ec);
    (void)slept;
#ifdef SMP_STATS
    struct lock_stat *l = &lock_stats[this_cpu()->id];
    uint64_t ticks = stat_now() - stat_start;
    l->count++;
    l->ticks += ticks;
    if (ticks > l->max_ticks)
        l->max_ticks = ticks;
    if (slept)
        l->slept++;
#endif
}

static bool request_answered(const void *other)
{
    return !__atomic_load_n(&((const struct cpu *)other)->stall_request, __ATOMIC_ACQUIRE);
}

/* Ask another CPU to give up a thread, a VCPU or an address space, and
 * wait until it has. */
static void request(struct cpu *other, struct tcb *t, struct vcpu *v, bool vspace, word_t caller)
{
#ifdef SMP_STATS
    uint64_t stat_start = stat_now();
#else
    (void)caller;
#endif
    other->stall_tcb = t;
    other->stall_vcpu = v;
    other->stall_vspace = vspace;
    __atomic_store_n(&other->stall_request, 1, __ATOMIC_RELEASE);
    plat_irq_send_sgi(other->id, SGI_STALL);
    __asm__ volatile("dsb ish; sev" ::: "memory");
    uint64_t start = SYSREG_READ(cntpct_el0);
    while (!request_answered(other))
        if (spun_enough(start) && this_cpu()->can_sleep)
            sleep_a_while(request_answered, other);
#ifdef SMP_STATS
    stat_request(caller, stat_now() - stat_start);
#endif
}

#define CALLER ((word_t)__builtin_return_address(0))

void smp_stall_thread(struct tcb *t)
{
    if (!t->on_cpu || (unsigned)(t->on_cpu - 1) == this_cpu()->id)
        return;
    request(&cpus[t->on_cpu - 1], t, NULL, false, CALLER);
}

void smp_unload_vcpu(unsigned cpu, struct vcpu *v)
{
    if (cpu != this_cpu()->id)
        request(&cpus[cpu], NULL, v, false, CALLER);
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
            request(c, NULL, NULL, true, CALLER);
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
