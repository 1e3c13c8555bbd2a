/* The big kernel lock and cross-CPU requests. */
#ifndef KERNEL_SMP_H
#define KERNEL_SMP_H

#include "object.h"

#define SGI_RESCHEDULE 0u
#define SGI_STALL 1u

void smp_lock(void);
void smp_unlock(void);
void smp_stall_thread(struct tcb *t);
void smp_start_secondaries(void);

#endif
