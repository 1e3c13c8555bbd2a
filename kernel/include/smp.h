/* The big kernel lock and cross-CPU requests. */
#ifndef KERNEL_SMP_H
#define KERNEL_SMP_H

#include "object.h"

#define SGI_RESCHEDULE 0u
#define SGI_STALL 1u
#define SGI_KICK 2u   /* a guest running there has list registers queued (vcpu.c) */
#define SGI_WAKE 3u   /* what a sleeping waiter waits for has happened (smp.c) */


/* next: the next ticket to hand out; owner: the ticket being served;
 * sleepers: a bit for each CPU asleep in a wait (smp.c), which whoever
 * ends the wait wakes */
struct ticket_lock {
    volatile uint32_t next, owner, sleepers;
};
extern struct ticket_lock smp_big_lock;
/* sync_entry: a synchronous exception of the current thread waits (its
 * class is in ESR_EL2), which a stall meanwhile must not lose (smp.c) */
void smp_lock_wait(uint32_t ticket, bool sync_entry);

/* Take the lock. Without contention no other CPU holds it, so no stall
 * request can be pending for us: only a lock holder makes one. */
static inline __attribute__((always_inline)) void smp_lock_entry(bool sync_entry)
{
    uint32_t ticket = __atomic_fetch_add(&smp_big_lock.next, 1, __ATOMIC_RELAXED);
    if (__atomic_load_n(&smp_big_lock.owner, __ATOMIC_ACQUIRE) != ticket)
        smp_lock_wait(ticket, sync_entry);
}
static inline __attribute__((always_inline)) void smp_lock(void)
{
    smp_lock_entry(false);
}

void smp_irq_init_cpu(void);
void smp_wait_timer_fired(void);

void smp_wake_sleepers(void);
/* The load of 'sleepers' is a load-acquire after the store-release of
 * 'owner', which Armv8 never reorders: a CPU that set its bit before this
 * load is woken, and one that sets it later sees the lock free before it
 * sleeps. (QEMU's TCG may let the load pass the store; a sleeper missed
 * that way wakes on its timer, 50 µs later, as before wake-ups existed.) */
static inline __attribute__((always_inline)) void smp_unlock(void)
{
    __atomic_store_n(&smp_big_lock.owner, smp_big_lock.owner + 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&smp_big_lock.sleepers, __ATOMIC_SEQ_CST))
        smp_wake_sleepers();
    __asm__ volatile("sev");
}
void smp_stall_thread(struct tcb *t);
struct vcpu;
void smp_unload_vcpu(unsigned cpu, struct vcpu *v);
void smp_vspace_removed(uint64_t dead);
#ifdef SMP_STATS
void smp_stats_report(void);
#endif
/* CPUs 0 .. smp_num_cpus - 1 are online once smp_start_secondaries returns */
extern unsigned smp_num_cpus;
void smp_start_secondaries(void);

#endif
