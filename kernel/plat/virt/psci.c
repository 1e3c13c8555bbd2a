/* Firmware calls through SMC (SMC Calling Convention): PSCI, and the Arm
 * architecture calls (SMCCC 1.1) for speculation workarounds. */
#include "plat.h"

#define PSCI_CPU_ON_64 0xc4000003u
#define PSCI_AFFINITY_INFO_64 0xc4000004u
#define PSCI_SYSTEM_OFF 0x84000008u
#define PSCI_VERSION 0x84000000u
#define PSCI_FEATURES 0x8400000au
#define SMCCC_VERSION 0x80000000u
#define SMCCC_ARCH_FEATURES 0x80000001u

static uint64_t firmware_call(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
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
    return (int)(int32_t)firmware_call(PSCI_CPU_ON_64, target_mpidr, entry, context);
}

int plat_psci_affinity_info(uint64_t target_mpidr)
{
    return (int)(int32_t)firmware_call(PSCI_AFFINITY_INFO_64, target_mpidr, 0, 0);
}

NORETURN void plat_psci_system_off(void)
{
    firmware_call(PSCI_SYSTEM_OFF, 0, 0, 0);
    for (;;)
        __asm__ volatile("wfi");
}

/* An SMCCC 1.1 architecture call's availability on this PE: 0 = call it
 * (the workaround is needed and present), 1 = not needed, negative = not
 * there. Before asking, make sure the firmware knows SMCCC_VERSION at all
 * (PSCI 1.0's PSCI_FEATURES): an unknown SMC may be an undefined
 * instruction without firmware behind it. */
int plat_smccc_arch_features(uint32_t fn)
{
    static int smccc_1_1 = -1; /* unknown yet */
    if (smccc_1_1 < 0) {
        int version = (int)(int32_t)firmware_call(PSCI_VERSION, 0, 0, 0);
        smccc_1_1 = version >= 0x10000 && (int32_t)firmware_call(PSCI_FEATURES, SMCCC_VERSION, 0, 0) == 0 &&
                    (int32_t)firmware_call(SMCCC_VERSION, 0, 0, 0) >= 0x10001;
    }
    if (!smccc_1_1)
        return -1;
    return (int)(int32_t)firmware_call(SMCCC_ARCH_FEATURES, fn, 0, 0);
}

void plat_smccc_call(uint32_t fn, uint64_t arg)
{
    firmware_call(fn, arg, 0, 0);
}
