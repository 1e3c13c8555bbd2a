/* The platform layer: console UART, interrupt controller and power control.
 * One implementation per board under kernel/plat/<board>/; the interrupt
 * controller is GICv3 or GICv2, chosen at build time (GIC_VERSION). */
#ifndef KERNEL_PLAT_H
#define KERNEL_PLAT_H

#include "types.h"

/* Board memory map (kernel/plat/<board>/board.h) */
#include <board.h>

/* Debug console: output only; input belongs to user level (the host VM) */
void plat_uart_init(void);
void plat_uart_putc(char c);

/* Interrupt controller. INTIDs follow the GIC: 0..15 SGIs, 16..31 PPIs,
 * 32.. SPIs. */
#define PLAT_IRQ_NONE 1023u
void plat_irq_init_boot(void);         /* distributor; once, on the boot CPU */
void plat_irq_init_cpu(unsigned cpu);  /* this CPU's interface (and redistributor) */
unsigned plat_irq_ack(void);           /* highest pending INTID, or PLAT_IRQ_NONE */
void plat_irq_eoi(unsigned irq);       /* end of interrupt: priority drop and deactivate */
void plat_irq_enable(unsigned irq);    /* unmask (SPIs route to the boot CPU) */
void plat_irq_disable(unsigned irq);   /* mask */
void plat_irq_send_sgi(unsigned cpu, unsigned sgi);
/* Urgent SGIs (of this CPU) have a priority above everything else, and
 * while only urgent ones are let through, a WFI sleeps through the rest
 * (smp.c waits this way). */
void plat_irq_make_urgent(unsigned sgi);
void plat_irq_urgent_only(bool on);
unsigned plat_irq_lines(void);         /* number of INTIDs the distributor implements */

/* The GIC's virtual CPU interface, for virtual CPUs: the list registers
 * through which virtual interrupts reach a guest, and their controls. */
#define PLAT_VGIC_MAX_LRS 16
struct vgic_state {
    uint64_t hcr, vmcr;
    uint64_t apr0[4], apr1[4];  /* active priorities: GICv3 has 1, 2 or 4 of each (ICH_VTR_EL2.PREbits); GICv2 apr0[0] */
    uint64_t lr[PLAT_VGIC_MAX_LRS];
};
#define PLAT_VGIC_MAINTENANCE_PPI 25u
unsigned plat_vgic_num_lrs(void);
void plat_vgic_save(struct vgic_state *s);          /* list registers and controls */
void plat_vgic_restore(const struct vgic_state *s);
void plat_vgic_enable(uint64_t hcr);                /* the interface on, with these controls */
void plat_vgic_disable(void);
/* A parked VCPU stays loaded while a native thread runs (vcpu.c). GICv3's
 * virtual interface is EL2 and EL1 system registers, out of EL0's reach:
 * parking only turns it off. GICv2's virtual CPU interface is a frame
 * (GICV) that a native thread could map: parking also saves its state into
 * 's' and clears it, and unparking puts it back (plat_vgic_park_saves). */
/* (a constant of the build, so that GICv3's paths carry no test of it) */
#define plat_vgic_park_saves (GIC_VERSION == 2)
void plat_vgic_park(struct vgic_state *s);
void plat_vgic_unpark(const struct vgic_state *s);   /* and on, with s->hcr */
uint64_t plat_vgic_lr_pending(unsigned virq, unsigned priority, unsigned group);
bool plat_vgic_lr_in_use(uint64_t lr);
uint32_t plat_vgic_eoi_lrs(void);                   /* live: LRs whose interrupt the guest ended */
void plat_vgic_clear_lr(unsigned i);                /* live */
uint64_t plat_vgic_read_lr(unsigned i);             /* live */
void plat_vgic_write_lr(unsigned i, uint64_t lr);   /* live */
/* the largest INTID a list register takes: 1019 (1020-1023 are special) on both GIC versions */
#define PLAT_VGIC_MAX_VIRQ 1019u

/* PSCI, through SMC (QEMU virt with virtualization=on and no EL3 firmware
 * answers PSCI itself). */
int plat_psci_cpu_on(uint64_t target_mpidr, uint64_t entry, uint64_t context);
/* 0 on, 1 off, 2 on pending, or a negative PSCI error (no such CPU: -2) */
int plat_psci_affinity_info(uint64_t target_mpidr);
NORETURN void plat_psci_system_off(void);
/* SMCCC 1.1 architecture calls (psci.c) */
int plat_smccc_arch_features(uint32_t fn);
void plat_smccc_call(uint32_t fn, uint64_t arg);

#endif
