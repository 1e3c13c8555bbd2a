/* Decoding guest data aborts for MMIO emulation: see vmm/mmio.h.
 * Bit positions are those of the Arm ARM's "ISS encoding for an exception
 * from a Data Abort" and "... from MSR, MRS, or System instruction
 * execution in AArch64 state". */
#include <vmm/mmio.h>
#include <icecap/vcpu.h>


/* Data abort ISS */
#define DABT_ISV (1ull << 24)
#define DABT_SAS(esr) (((esr) >> 22) & 3)
#define DABT_SSE (1ull << 21)
#define DABT_SRT(esr) (((esr) >> 16) & 0x1f)
#define DABT_SF (1ull << 15)
#define DABT_AR (1ull << 14)
#define DABT_CM (1ull << 8)
#define DABT_S1PTW (1ull << 7)
#define DABT_WNR (1ull << 6)

/* System register trap ISS: everything that names the register */
#define SYSREG_ID_MASK 0x3ffc1eu /* op0, op2, op1, CRn, CRm */
#define SYSREG_RT(esr) (((esr) >> 5) & 0x1f)
#define SYSREG_READ 1u

static uint64_t low_bits(uint64_t v, unsigned bytes)
{
    return bytes >= 8 ? v : v & ((1ull << (8 * bytes)) - 1);
}

unsigned mmio_esr_size(uint64_t esr)
{
    return (esr & DABT_ISV) ? 1u << DABT_SAS(esr) : 0;
}

int mmio_decode(uint64_t esr, uint64_t addr, uint64_t reg_value, struct mmio_access *out)
{
    if (!out)
        return MMIO_ERR_BAD_ARG;
    *out = (struct mmio_access){ 0 };
    if (AARCH64_ESR_EC(esr) != MMIO_EC_DABT_LOWER)
        return MMIO_ERR_WRONG_EC;
    /* Checked before ISV: these have no register transfer to emulate even
     * if a future architecture version reported one. */
    if (esr & DABT_S1PTW)
        return MMIO_ERR_S1PTW;
    if (esr & DABT_CM)
        return MMIO_ERR_CACHE_MAINT;
    if (!(esr & DABT_ISV))
        return MMIO_ERR_NO_SYNDROME;

    struct mmio_access a = {
        .addr = addr,
        .size = 1u << DABT_SAS(esr),
        .reg = (unsigned)DABT_SRT(esr),
        .write = (esr & DABT_WNR) != 0,
        .sign_extend = (esr & DABT_SSE) != 0,
        .reg64 = (esr & DABT_SF) != 0,
        .acq_rel = (esr & DABT_AR) != 0,
    };
    /* A store of xzr/wzr stores zeros, whatever the message says; and a
     * store of a W register only ever has 32 meaningful bits. */
    if (a.write)
        a.value = a.reg == 31 ? 0 : low_bits(reg_value, a.size);
    *out = a;
    return MMIO_OK;
}

int mmio_decode_exit(const uint64_t *msg, unsigned len, struct mmio_access *out)
{
    if (!msg || len < IC_VCPU_ABORT_LENGTH) {
        if (out)
            *out = (struct mmio_access){ 0 };
        return MMIO_ERR_BAD_ARG;
    }
    return mmio_decode(msg[IC_VCPU_ABORT_ESR], msg[IC_VCPU_ABORT_ADDR], msg[IC_VCPU_ABORT_VALUE], out);
}

uint64_t mmio_read_result(const struct mmio_access *a, uint64_t v)
{
    if (!a)
        return 0;
    /* size comes from our own decode, but stay total for any struct */
    unsigned size = a->size == 1 || a->size == 2 || a->size == 4 ? a->size : 8;
    v = low_bits(v, size);
    if (a->sign_extend && size < 8 && (v >> (8 * size - 1)) & 1)
        v |= ~0ull << (8 * size);
    if (!a->reg64)
        v &= 0xffffffffull;
    return v;
}

int mmio_decode_sysreg(uint64_t esr, struct mmio_sysreg *out)
{
    if (!out)
        return MMIO_ERR_BAD_ARG;
    *out = (struct mmio_sysreg){ 0 };
    if (AARCH64_ESR_EC(esr) != MMIO_EC_SYSREG)
        return MMIO_ERR_WRONG_EC;
    out->id = (uint32_t)esr & SYSREG_ID_MASK;
    out->reg = (unsigned)SYSREG_RT(esr);
    out->write = !(esr & SYSREG_READ);
    return MMIO_OK;
}
