/* PSCI 1.1 over SMCCC for guests: see vmm/psci.h.
 *
 * Power state of each vCPU:
 *
 *   OFF --CPU_ON--> ON_PENDING --psci_cpu_started--> ON --CPU_OFF--> OFF
 *
 * CPU_ON on an ON vCPU answers ALREADY_ON, on an ON_PENDING one ON_PENDING;
 * AFFINITY_INFO reports the state as it is. */
#include <vmm/psci.h>

/* The affinity fields of an MPIDR: Aff3 [39:32], Aff2..Aff0 [23:0]. */
#define MPIDR_AFF_MASK 0xff00ffffffull

/* SMC32 calls carry 32-bit arguments: the upper halves are not the guest's
 * to set, so they are ignored rather than rejected. */
#define FN_IS_SMC64(fn) (((fn) >> 30) & 1)

static uint64_t ret(int64_t v) { return (uint64_t)v; }

int psci_init(struct psci_state *s, unsigned nr_vcpus)
{
    if (!s || nr_vcpus == 0 || nr_vcpus > PSCI_MAX_VCPUS)
        return -1;
    *s = (struct psci_state){ .nr_vcpus = nr_vcpus };
    for (unsigned i = 0; i < nr_vcpus; i++) {
        s->state[i] = i == 0 ? PSCI_STATE_ON : PSCI_STATE_OFF;
        s->mpidr[i] = i;
    }
    return 0;
}

int psci_vcpu_of_mpidr(const struct psci_state *s, uint64_t mpidr)
{
    if (!s)
        return -1;
    for (unsigned i = 0; i < s->nr_vcpus && i < PSCI_MAX_VCPUS; i++)
        if ((s->mpidr[i] & MPIDR_AFF_MASK) == (mpidr & MPIDR_AFF_MASK))
            return (int)i;
    return -1;
}

void psci_cpu_started(struct psci_state *s, unsigned vcpu)
{
    if (s && vcpu < s->nr_vcpus && vcpu < PSCI_MAX_VCPUS && s->state[vcpu] == PSCI_STATE_ON_PENDING)
        s->state[vcpu] = PSCI_STATE_ON;
}

static bool entry_ok(const struct psci_state *s, uint64_t entry)
{
    if (entry & 3)
        return false;
    if (s->entry_size == 0)
        return true;
    return entry >= s->entry_base && entry - s->entry_base < s->entry_size;
}

static int64_t cpu_on(struct psci_state *s, uint64_t target, uint64_t entry, uint64_t ctx, struct psci_result *r)
{
    if (target & ~MPIDR_AFF_MASK)
        return PSCI_INVALID_PARAMETERS;
    int n = psci_vcpu_of_mpidr(s, target);
    if (n < 0)
        return PSCI_INVALID_PARAMETERS;
    if (s->state[n] == PSCI_STATE_ON)
        return PSCI_ALREADY_ON;
    if (s->state[n] == PSCI_STATE_ON_PENDING)
        return PSCI_ON_PENDING;
    if (!entry_ok(s, entry))
        return PSCI_INVALID_ADDRESS;
    s->state[n] = PSCI_STATE_ON_PENDING;
    r->action = PSCI_ACTION_CPU_ON;
    r->target = (unsigned)n;
    r->entry = entry;
    r->context_id = ctx;
    return PSCI_SUCCESS;
}

/* AFFINITY_INFO: the state of the vCPUs whose affinity matches 'target' at
 * levels >= 'level' (level 0: exactly one vCPU; 1: its cluster; ...). */
static int64_t affinity_info(const struct psci_state *s, uint64_t target, uint64_t level)
{
    static const uint64_t level_mask[4] = { 0xff00ffffffull, 0xff00ffff00ull, 0xff00ff0000ull, 0xff00000000ull };
    if (level > 3 || (target & ~MPIDR_AFF_MASK))
        return PSCI_INVALID_PARAMETERS;
    uint64_t m = level_mask[level];
    bool any = false, pending = false;
    for (unsigned i = 0; i < s->nr_vcpus; i++) {
        if ((s->mpidr[i] & m) != (target & m))
            continue;
        if (s->state[i] == PSCI_STATE_ON)
            return PSCI_STATE_ON;
        pending |= s->state[i] == PSCI_STATE_ON_PENDING;
        any = true;
    }
    if (!any)
        return PSCI_INVALID_PARAMETERS;
    return pending ? PSCI_STATE_ON_PENDING : PSCI_STATE_OFF;
}

static bool fn_implemented(uint32_t fn)
{
    switch (fn) {
    case PSCI_FN_VERSION:
    case PSCI_FN_CPU_OFF:
    case PSCI_FN_CPU_ON:
    case PSCI_FN_CPU_ON_64:
    case PSCI_FN_AFFINITY_INFO:
    case PSCI_FN_AFFINITY_INFO_64:
    case PSCI_FN_MIGRATE_INFO_TYPE:
    case PSCI_FN_SYSTEM_OFF:
    case PSCI_FN_SYSTEM_RESET:
    case PSCI_FN_FEATURES:
    case PSCI_FN_SMCCC_VERSION: /* how a guest learns SMCCC_VERSION exists */
        return true;
    default:
        return false;
    }
}

int psci_handle(struct psci_state *s, unsigned vcpu, const uint64_t x[4], struct psci_result *r)
{
    if (!s || !x || !r || s->nr_vcpus > PSCI_MAX_VCPUS || vcpu >= s->nr_vcpus)
        return -1;
    *r = (struct psci_result){ .action = PSCI_ACTION_RETURN };
    uint32_t fn = (uint32_t)x[0]; /* the function ID is W0 */
    uint64_t a1 = x[1], a2 = x[2], a3 = x[3];
    if (!FN_IS_SMC64(fn)) {
        a1 = (uint32_t)a1;
        a2 = (uint32_t)a2;
        a3 = (uint32_t)a3;
    }
    int64_t v;
    switch (fn) {
    case PSCI_FN_SMCCC_VERSION:
        v = SMCCC_VERSION_1_1;
        break;
    case PSCI_FN_SMCCC_ARCH_FEATURES:
        /* no architectural workarounds (ARCH_WORKAROUND_1/2/3) on offer */
        v = PSCI_NOT_SUPPORTED;
        break;
    case PSCI_FN_VERSION:
        v = PSCI_VERSION_1_1;
        break;
    case PSCI_FN_FEATURES:
        /* all implemented functions have no feature flags: 0 */
        v = fn_implemented((uint32_t)a1) ? PSCI_SUCCESS : PSCI_NOT_SUPPORTED;
        break;
    case PSCI_FN_CPU_ON:
    case PSCI_FN_CPU_ON_64:
        v = cpu_on(s, a1, a2, a3, r);
        break;
    case PSCI_FN_CPU_OFF:
        s->state[vcpu] = PSCI_STATE_OFF;
        r->action = PSCI_ACTION_CPU_OFF;
        v = PSCI_SUCCESS; /* never seen: CPU_OFF does not return */
        break;
    case PSCI_FN_AFFINITY_INFO:
    case PSCI_FN_AFFINITY_INFO_64:
        v = affinity_info(s, a1, a2);
        break;
    case PSCI_FN_MIGRATE_INFO_TYPE:
        v = PSCI_TOS_NOT_PRESENT_MP;
        break;
    case PSCI_FN_SYSTEM_OFF:
        r->action = PSCI_ACTION_SYSTEM_OFF;
        v = PSCI_SUCCESS;
        break;
    case PSCI_FN_SYSTEM_RESET:
        r->action = PSCI_ACTION_SYSTEM_RESET;
        v = PSCI_SUCCESS;
        break;
    default:
        v = PSCI_NOT_SUPPORTED; /* SMCCC: "Unknown Function Identifier" */
        break;
    }
    r->x[0] = ret(v);
    return 0;
}
