/* Virtual CPUs: the ABI between the kernel and a virtual machine monitor.
 *
 * A VCPU object holds what a guest's EL1 needs besides its general
 * registers: EL1 system registers, the FP/SIMD registers (SVE's, with a
 * vector length of at most 512 bits, when the CPU has SVE), the pointer
 * authentication keys (when it has them), the virtual timer and the virtual
 * GIC interface. SME is not offered: the guest sees no SME in its ID
 * registers and its SME instructions reach the VMM as unknown exits. Bound to a TCB (vcpu_set_tcb), it makes
 * that thread run at EL1 as the guest; the thread's general registers (read
 * and written with tcb_read/write_registers) are the guest's x0..x30, pc, its
 * SP_EL0 and its PSTATE (spsr). The VMM is the fault handler of that thread:
 * every guest exit it must see arrives as a fault message (labels below) on
 * the thread's fault endpoint, and the VMM's reply resumes the guest.
 *
 * Replies to a VCPU exit:
 *   label IC_VCPU_REPLY_RETRY (0)     resume at the same instruction (after,
 *                                     say, mapping the memory it touched)
 *   label IC_VCPU_REPLY_EMULATED (1)  the instruction was emulated: skip it;
 *                                     for an MMIO read or a system-register
 *                                     read, MR0 is the value for its
 *                                     destination register; for HVC and SMC,
 *                                     MR0..MR3 (as many as the reply's length)
 *                                     are written to x0..x3
 *   any other label                   the guest stays stopped
 */
#ifndef ICECAP_VCPU_H
#define ICECAP_VCPU_H

#define IC_VCPU_SIZE_BITS 12

/* Exit labels (continue enum ic_fault_label) */
enum ic_vcpu_exit {
    IC_FAULT_VCPU_DATA_ABORT = 8, /* a guest access to unmapped guest-physical memory */
    IC_FAULT_VCPU_HVC = 9,
    IC_FAULT_VCPU_SMC = 10,
    IC_FAULT_VCPU_WFI = 11,       /* reserved: WFI and WFE are not trapped (the guest
                                     waits on its CPU for an interrupt) */
    IC_FAULT_VCPU_SYSREG = 12,    /* a trapped system register access */
    IC_FAULT_VCPU_VTIMER = 13,    /* the guest's virtual timer fired */
    IC_FAULT_VCPU_UNKNOWN = 14,   /* any other exception from the guest */
    IC_FAULT_VCPU_VGIC_MAINTENANCE = 15, /* the guest ended virtual interrupts */
};

enum ic_vcpu_reply { IC_VCPU_REPLY_RETRY = 0, IC_VCPU_REPLY_EMULATED = 1 };

/* IC_FAULT_VCPU_DATA_ABORT: the syndrome (ESR) says, when its ISV bit is
 * set, the access size, sign extension, register and direction. */
enum { IC_VCPU_ABORT_PC, IC_VCPU_ABORT_ADDR, IC_VCPU_ABORT_ESR, IC_VCPU_ABORT_VALUE,
       IC_VCPU_ABORT_VADDR, /* the guest's virtual address, for an abort the VMM injects */
       IC_VCPU_ABORT_LENGTH };
/* IC_FAULT_VCPU_HVC and _SMC: x0..x7 (the SMCCC arguments), then the
 * immediate of the instruction and the pc */
enum { IC_VCPU_CALL_X0 = 0, IC_VCPU_CALL_IMM = 8, IC_VCPU_CALL_PC, IC_VCPU_CALL_LENGTH };
/* IC_FAULT_VCPU_SYSREG: ESR (its ISS names the register, Rt and direction)
 * and, for a write, the value */
enum { IC_VCPU_SYSREG_PC, IC_VCPU_SYSREG_ESR, IC_VCPU_SYSREG_VALUE, IC_VCPU_SYSREG_LENGTH };
/* IC_FAULT_VCPU_VTIMER and _UNKNOWN: pc and ESR */
enum { IC_VCPU_EXIT_PC, IC_VCPU_EXIT_ESR, IC_VCPU_EXIT_LENGTH };
/* IC_FAULT_VCPU_VGIC_MAINTENANCE: pc and the list registers (bit i for list
 * register i) whose interrupt the guest has ended; they are free again.
 * Virtual interrupts go in with vcpu_inject_irq(virq, priority, group,
 * index), each into a list register the VMM knows to be free. The virtual
 * timer's exit masks the timer's physical interrupt until vcpu_ack_vtimer:
 * the VMM injects the timer's interrupt (27) and acks once the guest has
 * ended it (its maintenance exit), when the guest has dealt with the timer.
 * Both exits are answered with IC_VCPU_REPLY_RETRY or _EMULATED, which just
 * resume the guest. */
enum { IC_VCPU_MAINTENANCE_PC, IC_VCPU_MAINTENANCE_LRS, IC_VCPU_MAINTENANCE_LENGTH };

/* EL1 system registers, as vcpu_read_register / vcpu_write_register name them. */
enum ic_vcpu_reg {
    IC_VCPU_SCTLR_EL1, IC_VCPU_TTBR0_EL1, IC_VCPU_TTBR1_EL1, IC_VCPU_TCR_EL1, IC_VCPU_MAIR_EL1,
    IC_VCPU_AMAIR_EL1, IC_VCPU_CONTEXTIDR_EL1, IC_VCPU_CPACR_EL1, IC_VCPU_VBAR_EL1, IC_VCPU_ELR_EL1,
    IC_VCPU_SPSR_EL1, IC_VCPU_SP_EL1, IC_VCPU_ESR_EL1, IC_VCPU_FAR_EL1, IC_VCPU_AFSR0_EL1, IC_VCPU_AFSR1_EL1,
    IC_VCPU_PAR_EL1, IC_VCPU_TPIDR_EL1, IC_VCPU_TPIDRRO_EL0, IC_VCPU_CNTKCTL_EL1, IC_VCPU_MDSCR_EL1,
    IC_VCPU_CNTV_CTL_EL0, IC_VCPU_CNTV_CVAL_EL0, IC_VCPU_CNTVOFF_EL2, IC_VCPU_VMPIDR_EL2,
    IC_VCPU_FPCR, IC_VCPU_FPSR, IC_VCPU_CSSELR_EL1,
    /* kept for every VCPU, used only when the CPU has the feature: SVE's
     * vector length control (LEN, bits 3:0), and the five pointer
     * authentication keys */
    IC_VCPU_ZCR_EL1,
    IC_VCPU_APIAKEYLO_EL1, IC_VCPU_APIAKEYHI_EL1, IC_VCPU_APIBKEYLO_EL1, IC_VCPU_APIBKEYHI_EL1,
    IC_VCPU_APDAKEYLO_EL1, IC_VCPU_APDAKEYHI_EL1, IC_VCPU_APDBKEYLO_EL1, IC_VCPU_APDBKEYHI_EL1,
    IC_VCPU_APGAKEYLO_EL1, IC_VCPU_APGAKEYHI_EL1,
    IC_VCPU_REG_COUNT
};

#endif
