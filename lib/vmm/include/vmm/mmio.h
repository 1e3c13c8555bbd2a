/* Decoding guest data aborts (and trapped system register accesses) for
 * MMIO emulation.
 *
 * A guest access to unmapped guest-physical memory reaches the VMM as an
 * IC_FAULT_VCPU_DATA_ABORT exit (icecap/vcpu.h) carrying ESR_EL2, the
 * guest-physical address and, for a write, the source register's value.
 * When the syndrome is valid (ISV) it describes a single load or store of
 * 1, 2, 4 or 8 bytes to or from one general register: exactly what a device
 * model can emulate. Anything else (ISV = 0: load/store pair, writeback,
 * SIMD; cache maintenance; a stage-1 page table walk; an instruction fetch)
 * cannot be emulated and the VMM should inject an abort into the guest.
 *
 * Pure functions, freestanding: no libc, no IceCap system calls. */
#ifndef VMM_MMIO_H
#define VMM_MMIO_H

#include <stdbool.h>
#include <stdint.h>
#include <icecap/arch/aarch64.h>

/* Exception classes (ESR_ELx.EC, bits [31:26]) the VMM sees. */
#define MMIO_EC_SYSREG AARCH64_EC_SYSREG         /* MSR/MRS trapped from AArch64 */
#define MMIO_EC_IABT_LOWER AARCH64_EC_IABT_LOWER /* instruction abort from the guest */
#define MMIO_EC_DABT_LOWER AARCH64_EC_DABT_LOWER /* data abort from the guest */

enum mmio_result {
    MMIO_OK = 0,
    MMIO_ERR_WRONG_EC = -1,     /* not EC 0x24 (e.g. an instruction fetch from MMIO), or 0x18 for sysregs */
    MMIO_ERR_NO_SYNDROME = -2,  /* ISV = 0: the instruction cannot be emulated */
    MMIO_ERR_CACHE_MAINT = -3,  /* a DC/IC instruction on the address (CM = 1) */
    MMIO_ERR_S1PTW = -4,        /* the guest's own page tables live in unmapped memory */
    MMIO_ERR_BAD_ARG = -5,      /* NULL pointer or a short message */
};

/* One decoded load or store. */
struct mmio_access {
    uint64_t addr;     /* guest-physical address of the access */
    uint64_t value;    /* for a write: the data, already cut to 'size' bytes */
    unsigned size;     /* 1, 2, 4 or 8 bytes */
    unsigned reg;      /* Rt: 0..30, or 31 for xzr/wzr */
    bool write;        /* WnR: a store */
    bool sign_extend;  /* SSE: a signed load (LDRSB, LDRSH, LDRSW) */
    bool reg64;        /* SF: the register is an X register, else a W register */
    bool acq_rel;      /* AR: load-acquire / store-release (ordering only) */
};

/* Decodes ESR_EL2 of a data abort plus the fault address and, for a write,
 * the register value from the exit message. On any error *out is zeroed. */
int mmio_decode(uint64_t esr, uint64_t addr, uint64_t reg_value, struct mmio_access *out);

/* The same, from an IC_FAULT_VCPU_DATA_ABORT message (msg[0..len)). */
int mmio_decode_exit(const uint64_t *msg, unsigned len, struct mmio_access *out);

/* What a read puts in its destination register, given the value the device
 * model produced: cut to the access size, sign-extended if SSE, and then
 * cut to 32 bits for a W register. (The kernel applies the same rule to the
 * reply's MR0; doing it twice changes nothing.) */
uint64_t mmio_read_result(const struct mmio_access *a, uint64_t device_value);

/* The size in bytes of the access an ESR describes (0 if ISV = 0). */
unsigned mmio_esr_size(uint64_t esr);

/* ---- trapped MSR/MRS (EC 0x18), e.g. ICC_SGI1R_EL1 writes */

/* Encodes a system register as its ISS fields op0, op1, CRn, CRm, op2 lie in
 * ESR.ISS (bits [21:1]), so that a decoded access can be compared against it. */
#define MMIO_SYSREG(op0, op1, crn, crm, op2) \
    ((uint32_t)(((op0) << 20) | ((op2) << 17) | ((op1) << 14) | ((crn) << 10) | ((crm) << 1)))
#define MMIO_SYSREG_ICC_SGI1R_EL1 MMIO_SYSREG(3, 0, 12, 11, 5)
#define MMIO_SYSREG_ICC_ASGI1R_EL1 MMIO_SYSREG(3, 1, 12, 11, 6)
#define MMIO_SYSREG_ICC_SGI0R_EL1 MMIO_SYSREG(3, 2, 12, 11, 7)

struct mmio_sysreg {
    uint32_t id;   /* MMIO_SYSREG(...) of the register */
    unsigned reg;  /* Rt: 0..30, or 31 for xzr */
    bool write;    /* MSR (true) or MRS (false) */
};

/* Decodes ESR_EL2 with EC 0x18; MMIO_ERR_WRONG_EC for any other EC. */
int mmio_decode_sysreg(uint64_t esr, struct mmio_sysreg *out);

#endif
