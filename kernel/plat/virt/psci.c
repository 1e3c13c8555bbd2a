/* PSCI calls through SMC (SMC Calling Convention). */
#include "plat.h"

#define PSCI_CPU_ON_64 0xc4000003u
#define PSCI_AFFINITY_INFO_64 0xc4000004u
#define PSCI_SYSTEM_OFF 0x84000008u

static uint64_t psci_call(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
    register uint64_t x0 __asm__("x0") = fn;
    register uint64_t x1 __asm__("x1") = a1;
    register uint64_t x2 __asm__("x2") = a2;
    register uint64_t x3 __asm__("x3") = a3;
    /* SMCCC v1.0 lets the callee corrupt x0-x17; assume the worst. */
    __asm__ volatile("smc #0"
                     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
                     :
                     : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14",
                       "x15", "x16", "x17", "memory");
    return x0;
}

int plat_psci_cpu_on(uint64_t target_mpidr, uint64_t entry, uint64_t context)
{
    /* PSCI return codes are 32-bit signed values in w0. */
    return (int)(int32_t)psci_call(PSCI_CPU_ON_64, target_mpidr, entry, context);
}

int plat_psci_affinity_info(uint64_t target_mpidr)
{
    return (int)(int32_t)psci_call(PSCI_AFFINITY_INFO_64, target_mpidr, 0, 0);
}

NORETURN void plat_psci_system_off(void)
{
    psci_call(PSCI_SYSTEM_OFF, 0, 0, 0);
    for (;;)
        __asm__ volatile("wfi");
}
