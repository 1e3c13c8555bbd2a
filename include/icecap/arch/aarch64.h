/* Architectural constants of AArch64 that the kernel and user code (VMMs,
 * tests) both need: one definition each, named as the Arm ARM names the
 * register and field. Values only; no code. */
#ifndef ICECAP_ARCH_AARCH64_H
#define ICECAP_ARCH_AARCH64_H

/* SCTLR_EL1 as reset leaves it for a guest: only its Armv8.0 RES1 bits (29,
 * 28, 23, 22, 20, 11), so MMU, caches and alignment checks off. */
#define AARCH64_SCTLR_EL1_RES1 0x30d00800ull

/* SPSR/PSTATE: EL1 with SP_EL1 (EL1h), and D, A, I and F masked: how a
 * guest kernel is entered at boot, after PSCI CPU_ON and for an exception
 * taken to EL1. */
#define AARCH64_SPSR_EL1H_MASKED 0x3c5ull
#define AARCH64_SPSR_M_MASK 0xfull  /* M[3:0]: the exception level and stack pointer */
#define AARCH64_SPSR_M_EL0T 0x0ull
#define AARCH64_SPSR_M_SP_ELX 0x1ull /* M[0]: SP_ELx rather than SP_EL0 */

/* ESR_ELx */
#define AARCH64_ESR_EC_SHIFT 26
#define AARCH64_ESR_EC(esr) (((esr) >> AARCH64_ESR_EC_SHIFT) & 0x3f)
#define AARCH64_ESR_IL (1ull << 25)      /* a 32-bit instruction */
#define AARCH64_ESR_WNR (1ull << 6)      /* data abort: a write */
#define AARCH64_EC_UNKNOWN 0x00ull
#define AARCH64_EC_SVC64 0x15ull
#define AARCH64_EC_HVC64 0x16ull
#define AARCH64_EC_SMC64 0x17ull
#define AARCH64_EC_SYSREG 0x18ull           /* MSR, MRS or a system instruction trapped */
#define AARCH64_EC_IABT_LOWER 0x20ull    /* instruction abort from a lower EL (+1: the same EL) */
#define AARCH64_EC_DABT_LOWER 0x24ull    /* data abort from a lower EL (+1: the same EL) */
#define AARCH64_DFSC_SYNC_EXTERNAL 0x10ull

/* VBAR_EL1 offsets of the synchronous vectors */
#define AARCH64_VECTOR_CURRENT_SP0 0x000ull
#define AARCH64_VECTOR_CURRENT_SPX 0x200ull
#define AARCH64_VECTOR_LOWER_A64 0x400ull

#endif
