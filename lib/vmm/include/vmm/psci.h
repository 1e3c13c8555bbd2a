/* PSCI 1.1 and the SMCCC discovery calls, for guests' HVC/SMC exits.
 *
 * A guest's HVC or SMC reaches the VMM as an IC_FAULT_VCPU_HVC/_SMC exit
 * with x0..x7 (icecap/vcpu.h). psci_handle() decodes x0..x3, updates the
 * per-VM power state of the vCPUs and says what the VMM has to do:
 *
 *   PSCI_ACTION_RETURN        reply EMULATED with x[0..3]
 *   PSCI_ACTION_CPU_ON        reply EMULATED with x[0..3] (SUCCESS) to the
 *                             caller, and start vCPU 'target' at 'entry'
 *                             with x0 = 'context_id' (PSCI_ENTRY_PSTATE,
 *                             EL1 MMU and caches off); then call
 *                             psci_cpu_started(target)
 *   PSCI_ACTION_CPU_OFF       stop the calling vCPU (no reply); CPU_ON
 *                             may start it again later, from a fresh state
 *   PSCI_ACTION_SYSTEM_OFF    the guest asks to be powered off (no reply)
 *   PSCI_ACTION_SYSTEM_RESET  the guest asks for a reboot (no reply)
 *
 * vCPUs are named by the affinity fields of their MPIDR (VMPIDR_EL2), which
 * psci_init sets to Aff0 = vCPU index; a VMM that gives its vCPUs other
 * MPIDRs writes them into mpidr[] after psci_init.
 *
 * Pure logic, freestanding: no libc, no IceCap system calls. */
#ifndef VMM_PSCI_H
#define VMM_PSCI_H

#include <stdbool.h>
#include <stdint.h>
#include <icecap/arch/aarch64.h>

#define PSCI_MAX_VCPUS 8

/* Function IDs (SMC32 unless noted) */
#define PSCI_FN_SMCCC_VERSION 0x80000000u
#define PSCI_FN_SMCCC_ARCH_FEATURES 0x80000001u
#define PSCI_FN_VERSION 0x84000000u
#define PSCI_FN_CPU_SUSPEND 0x84000001u
#define PSCI_FN_CPU_OFF 0x84000002u
#define PSCI_FN_CPU_ON 0x84000003u
#define PSCI_FN_CPU_ON_64 0xC4000003u
#define PSCI_FN_AFFINITY_INFO 0x84000004u
#define PSCI_FN_AFFINITY_INFO_64 0xC4000004u
#define PSCI_FN_MIGRATE_INFO_TYPE 0x84000006u
#define PSCI_FN_SYSTEM_OFF 0x84000008u
#define PSCI_FN_SYSTEM_RESET 0x84000009u
#define PSCI_FN_FEATURES 0x8400000Au

#define PSCI_VERSION_1_1 0x00010001u  /* major << 16 | minor */
#define SMCCC_VERSION_1_1 0x00010001u
#define PSCI_TOS_NOT_PRESENT_MP 2     /* MIGRATE_INFO_TYPE: no Trusted OS to migrate */
/* A vCPU started by CPU_ON begins at EL1h with D, A, I and F masked. */
#define PSCI_ENTRY_PSTATE AARCH64_SPSR_EL1H_MASKED

/* Return codes (sign-extended to 64 bits in x0) */
enum psci_ret {
    PSCI_SUCCESS = 0,
    PSCI_NOT_SUPPORTED = -1,
    PSCI_INVALID_PARAMETERS = -2,
    PSCI_DENIED = -3,
    PSCI_ALREADY_ON = -4,
    PSCI_ON_PENDING = -5,
    PSCI_INTERNAL_FAILURE = -6,
    PSCI_NOT_PRESENT = -7,
    PSCI_DISABLED = -8,
    PSCI_INVALID_ADDRESS = -9,
};

/* A vCPU's power state; the values are AFFINITY_INFO's answers. */
enum psci_cpu_state { PSCI_STATE_ON = 0, PSCI_STATE_OFF = 1, PSCI_STATE_ON_PENDING = 2 };

struct psci_state {
    unsigned nr_vcpus;
    uint8_t state[PSCI_MAX_VCPUS];   /* enum psci_cpu_state */
    uint64_t mpidr[PSCI_MAX_VCPUS];  /* affinity of each vCPU */
    /* CPU_ON entry points must lie in [entry_base, entry_base + entry_size)
     * (guest RAM); entry_size 0 accepts any 4-byte aligned address. */
    uint64_t entry_base, entry_size;
};

enum psci_action {
    PSCI_ACTION_RETURN,
    PSCI_ACTION_CPU_ON,
    PSCI_ACTION_CPU_OFF,
    PSCI_ACTION_SYSTEM_OFF,
    PSCI_ACTION_SYSTEM_RESET,
};

struct psci_result {
    enum psci_action action;
    uint64_t x[4];        /* x0..x3 for the caller (RETURN and CPU_ON) */
    unsigned target;      /* CPU_ON: the vCPU index to start */
    uint64_t entry;       /* CPU_ON: its pc */
    uint64_t context_id;  /* CPU_ON: its x0 */
};

/* vCPU 0 on, the others off, mpidr[i] = i. Returns 0, or -1 if nr_vcpus is
 * 0 or above PSCI_MAX_VCPUS. */
int psci_init(struct psci_state *s, unsigned nr_vcpus);

/* Handles one call from vCPU 'vcpu' with arguments x0..x3. Returns 0 and
 * fills *r (never fails for any guest input); -1 only for the VMM's own
 * mistakes (NULL pointers, vcpu out of range). */
int psci_handle(struct psci_state *s, unsigned vcpu, const uint64_t x[4], struct psci_result *r);

/* The VMM has started a vCPU that CPU_ON asked for: ON_PENDING -> ON. */
void psci_cpu_started(struct psci_state *s, unsigned vcpu);

/* The vCPU index with these MPIDR affinity fields, or -1. */
int psci_vcpu_of_mpidr(const struct psci_state *s, uint64_t mpidr);

#endif
