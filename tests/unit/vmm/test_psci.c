/* PSCI and SMCCC calls (lib/vmm/psci.c). */
#include "harness.h"
#include <vmm/psci.h>
#include <stddef.h>

#define RET(v) ((uint64_t)(int64_t)(v))

static struct psci_state s;
static struct psci_result r;

/* One call from vCPU 'vcpu'; returns x0. */
static uint64_t call(unsigned vcpu, uint64_t x0, uint64_t x1, uint64_t x2, uint64_t x3)
{
    uint64_t x[4] = { x0, x1, x2, x3 };
    r.x[0] = 0x5a5a;
    CHECK_EQ(psci_handle(&s, vcpu, x, &r), 0);
    return r.x[0];
}

TEST(psci_init_checks_the_vcpu_count)
{
    CHECK_EQ(psci_init(&s, 0), -1);
    CHECK_EQ(psci_init(&s, PSCI_MAX_VCPUS + 1), -1);
    CHECK_EQ(psci_init(NULL, 1), -1);
    CHECK_EQ(psci_init(&s, PSCI_MAX_VCPUS), 0);
    CHECK_EQ(s.state[0], PSCI_STATE_ON);
    CHECK_EQ(s.state[PSCI_MAX_VCPUS - 1], PSCI_STATE_OFF);
    CHECK_EQ(s.mpidr[3], 3);
}

TEST(psci_versions_and_features)
{
    psci_init(&s, 2);
    CHECK_EQ(call(0, PSCI_FN_VERSION, 0, 0, 0), 0x10001);
    CHECK_EQ(r.action, PSCI_ACTION_RETURN);
    CHECK_EQ(r.x[1], 0);
    CHECK_EQ(call(0, PSCI_FN_SMCCC_VERSION, 0, 0, 0), 0x10001);
    CHECK_EQ(call(0, PSCI_FN_FEATURES, PSCI_FN_SMCCC_VERSION, 0, 0), 0);
    CHECK_EQ(call(0, PSCI_FN_FEATURES, PSCI_FN_CPU_ON_64, 0, 0), 0);
    CHECK_EQ(call(0, PSCI_FN_FEATURES, PSCI_FN_CPU_OFF, 0, 0), 0);
    CHECK_EQ(call(0, PSCI_FN_FEATURES, PSCI_FN_SYSTEM_RESET, 0, 0), 0);
    CHECK_EQ(call(0, PSCI_FN_FEATURES, PSCI_FN_FEATURES, 0, 0), 0);
    CHECK_EQ(call(0, PSCI_FN_FEATURES, PSCI_FN_CPU_SUSPEND, 0, 0), RET(PSCI_NOT_SUPPORTED));
    CHECK_EQ(call(0, PSCI_FN_FEATURES, 0x84000012, 0, 0), RET(PSCI_NOT_SUPPORTED)); /* SYSTEM_RESET2 */
    CHECK_EQ(call(0, PSCI_FN_FEATURES, 0xdeadbeef, 0, 0), RET(PSCI_NOT_SUPPORTED));
    CHECK_EQ(call(0, PSCI_FN_SMCCC_ARCH_FEATURES, 0x80008000, 0, 0), RET(PSCI_NOT_SUPPORTED)); /* WORKAROUND_1 */
    CHECK_EQ(call(0, PSCI_FN_MIGRATE_INFO_TYPE, 0, 0, 0), 2);
}

TEST(psci_unknown_functions_are_not_supported)
{
    static const uint64_t fns[] = { 0, 1, 0x84000001 /* CPU_SUSPEND */, 0xc4000001, 0xc4000000 /* no 64-bit VERSION */,
                                    0x84000005, 0x8400000b, 0x84000012, 0xc6000000, 0xffffffff, 0x82000000,
                                    0x86000000 };
    psci_init(&s, 2);
    for (unsigned i = 0; i < sizeof fns / sizeof fns[0]; i++) {
        CHECK_EQ(call(0, fns[i], 1, 0x40000000, 0), RET(PSCI_NOT_SUPPORTED));
        CHECK_EQ(r.action, PSCI_ACTION_RETURN);
    }
    CHECK_EQ(s.state[1], PSCI_STATE_OFF); /* nothing started by accident */
}

TEST(psci_function_id_is_w0)
{
    psci_init(&s, 1);
    CHECK_EQ(call(0, 0xffffffff00000000ull | PSCI_FN_VERSION, 0, 0, 0), 0x10001);
}

TEST(psci_cpu_on_starts_a_vcpu_once)
{
    psci_init(&s, 4);
    CHECK_EQ(call(0, PSCI_FN_CPU_ON_64, 2, 0x40080000, 0xc0ffee), 0);
    CHECK_EQ(r.action, PSCI_ACTION_CPU_ON);
    CHECK_EQ(r.target, 2);
    CHECK_EQ(r.entry, 0x40080000);
    CHECK_EQ(r.context_id, 0xc0ffee);
    CHECK_EQ(s.state[2], PSCI_STATE_ON_PENDING);
    /* again before the VMM has started it */
    CHECK_EQ(call(0, PSCI_FN_CPU_ON_64, 2, 0x40080000, 0), RET(PSCI_ON_PENDING));
    CHECK_EQ(r.action, PSCI_ACTION_RETURN);
    CHECK_EQ(call(0, PSCI_FN_AFFINITY_INFO_64, 2, 0, 0), PSCI_STATE_ON_PENDING);
    psci_cpu_started(&s, 2);
    CHECK_EQ(s.state[2], PSCI_STATE_ON);
    CHECK_EQ(call(0, PSCI_FN_CPU_ON_64, 2, 0x40080000, 0), RET(PSCI_ALREADY_ON));
    CHECK_EQ(call(2, PSCI_FN_CPU_ON_64, 0, 0x40080000, 0), RET(PSCI_ALREADY_ON)); /* the boot vCPU */
    psci_cpu_started(&s, 3); /* not pending: no change */
    CHECK_EQ(s.state[3], PSCI_STATE_OFF);
    psci_cpu_started(&s, 99);
}

TEST(psci_cpu_on_checks_target_and_entry)
{
    psci_init(&s, 2);
    s.entry_base = 0x40000000;
    s.entry_size = 0x10000000;
    CHECK_EQ(call(0, PSCI_FN_CPU_ON_64, 7, 0x40080000, 0), RET(PSCI_INVALID_PARAMETERS));   /* no such vCPU */
    CHECK_EQ(call(0, PSCI_FN_CPU_ON_64, 1ull << 31 | 1, 0x40080000, 0), RET(PSCI_INVALID_PARAMETERS)); /* not affinity */
    CHECK_EQ(call(0, PSCI_FN_CPU_ON_64, 1, 0x30000000, 0), RET(PSCI_INVALID_ADDRESS)); /* below RAM */
    CHECK_EQ(call(0, PSCI_FN_CPU_ON_64, 1, 0x50000000, 0), RET(PSCI_INVALID_ADDRESS)); /* just past it */
    CHECK_EQ(call(0, PSCI_FN_CPU_ON_64, 1, 0x40080002, 0), RET(PSCI_INVALID_ADDRESS)); /* misaligned */
    CHECK_EQ(s.state[1], PSCI_STATE_OFF);
    CHECK_EQ(call(0, PSCI_FN_CPU_ON_64, 1, 0x4ffffffc, 0), 0);
    CHECK_EQ(r.action, PSCI_ACTION_CPU_ON);
}

TEST(psci_smc32_cpu_on_uses_32_bit_arguments)
{
    psci_init(&s, 2);
    CHECK_EQ(call(0, PSCI_FN_CPU_ON, 0xffffffff00000001ull, 0xaaaaaaaa40080000ull, 0x1234567800000042ull), 0);
    CHECK_EQ(r.target, 1);
    CHECK_EQ(r.entry, 0x40080000);
    CHECK_EQ(r.context_id, 0x42);
}

TEST(psci_cpu_off_and_affinity_info)
{
    psci_init(&s, 2);
    CHECK_EQ(call(0, PSCI_FN_AFFINITY_INFO_64, 1, 0, 0), PSCI_STATE_OFF);
    CHECK_EQ(call(0, PSCI_FN_AFFINITY_INFO, 0, 0, 0), PSCI_STATE_ON);
    call(0, PSCI_FN_CPU_ON_64, 1, 0x40000000, 0);
    psci_cpu_started(&s, 1);
    CHECK_EQ(call(0, PSCI_FN_AFFINITY_INFO_64, 1, 0, 0), PSCI_STATE_ON);
    call(1, PSCI_FN_CPU_OFF, 0, 0, 0);
    CHECK_EQ(r.action, PSCI_ACTION_CPU_OFF);
    CHECK_EQ(s.state[1], PSCI_STATE_OFF);
    CHECK_EQ(call(0, PSCI_FN_AFFINITY_INFO_64, 1, 0, 0), PSCI_STATE_OFF);
    /* and it can be started again */
    CHECK_EQ(call(0, PSCI_FN_CPU_ON_64, 1, 0x40000000, 7), 0);
    CHECK_EQ(r.action, PSCI_ACTION_CPU_ON);
    /* bad arguments */
    CHECK_EQ(call(0, PSCI_FN_AFFINITY_INFO_64, 5, 0, 0), RET(PSCI_INVALID_PARAMETERS));
    CHECK_EQ(call(0, PSCI_FN_AFFINITY_INFO_64, 0, 4, 0), RET(PSCI_INVALID_PARAMETERS));
    CHECK_EQ(call(0, PSCI_FN_AFFINITY_INFO_64, 1ull << 40, 0, 0), RET(PSCI_INVALID_PARAMETERS));
}

TEST(psci_affinity_levels_with_clusters)
{
    /* two clusters of two: Aff1.Aff0 = 0.0, 0.1, 1.0, 1.1 */
    psci_init(&s, 4);
    s.mpidr[1] = 0x001;
    s.mpidr[2] = 0x100;
    s.mpidr[3] = 0x101;
    CHECK_EQ(psci_vcpu_of_mpidr(&s, 0x100), 2);
    CHECK_EQ(psci_vcpu_of_mpidr(&s, 0x80000101ull), 3); /* non-affinity bits ignored */
    CHECK_EQ(psci_vcpu_of_mpidr(&s, 0x2), -1);
    CHECK_EQ(call(0, PSCI_FN_AFFINITY_INFO_64, 0x100, 1, 0), PSCI_STATE_OFF);  /* cluster 1 */
    CHECK_EQ(call(0, PSCI_FN_AFFINITY_INFO_64, 0x001, 1, 0), PSCI_STATE_ON);   /* cluster 0: vCPU 0 on */
    CHECK_EQ(call(0, PSCI_FN_CPU_ON_64, 0x101, 0x40000000, 0), 0);
    CHECK_EQ(r.target, 3);
    CHECK_EQ(call(0, PSCI_FN_AFFINITY_INFO_64, 0x100, 1, 0), PSCI_STATE_ON_PENDING);
    CHECK_EQ(call(0, PSCI_FN_AFFINITY_INFO_64, 0x100, 0, 0), PSCI_STATE_OFF);
    CHECK_EQ(call(0, PSCI_FN_AFFINITY_INFO_64, 0x300, 1, 0), RET(PSCI_INVALID_PARAMETERS));
    CHECK_EQ(call(0, PSCI_FN_AFFINITY_INFO_64, 0x300, 3, 0), PSCI_STATE_ON); /* everything */
}

TEST(psci_system_off_and_reset)
{
    psci_init(&s, 2);
    call(1, PSCI_FN_SYSTEM_OFF, 0, 0, 0);
    CHECK_EQ(r.action, PSCI_ACTION_SYSTEM_OFF);
    call(0, PSCI_FN_SYSTEM_RESET, 0, 0, 0);
    CHECK_EQ(r.action, PSCI_ACTION_SYSTEM_RESET);
}

TEST(psci_rejects_the_vmms_mistakes)
{
    uint64_t x[4] = { PSCI_FN_VERSION, 0, 0, 0 };
    psci_init(&s, 2);
    CHECK_EQ(psci_handle(&s, 2, x, &r), -1);
    CHECK_EQ(psci_handle(&s, 0, NULL, &r), -1);
    CHECK_EQ(psci_handle(&s, 0, x, NULL), -1);
    CHECK_EQ(psci_handle(NULL, 0, x, &r), -1);
    s.nr_vcpus = 100; /* a corrupted state must not index past the arrays */
    CHECK_EQ(psci_handle(&s, 50, x, &r), -1);
}
