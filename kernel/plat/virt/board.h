/* QEMU 'virt' machine: the memory map the kernel depends on, as data. */
#ifndef BOARD_H
#define BOARD_H

#define BOARD_NAME "virt"
#define BOARD_RAM_BASE 0x40000000ull
#define BOARD_RAM_SIZE 0x40000000ull  /* 1 GiB; QEMU runs with -m 1G */
/* CPUs the kernel can run on: it starts as many as answer PSCI CPU_ON,
 * in order of their number (QEMU's -smp; GICv2 stops at 8). */
#define BOARD_MAX_CPUS 8

#define BOARD_UART_BASE 0x09000000ull
#define BOARD_GICD_BASE 0x08000000ull
#define BOARD_GICC_BASE 0x08010000ull   /* GICv2 CPU interface */
#define BOARD_GICH_BASE 0x08030000ull   /* GICv2 virtual interface control */
#define BOARD_GICV_BASE 0x08040000ull   /* GICv2 virtual CPU interface */
#define BOARD_GICR_BASE 0x080a0000ull   /* GICv3 redistributors, 128 KiB each */
#define BOARD_GICR_STRIDE 0x20000ull

/* Device regions the kernel keeps for itself; the rest of the first GiB is
 * handed to the root task as device untyped memory. */
#define BOARD_DEVICE_BASE 0x00000000ull
#define BOARD_DEVICE_END 0x40000000ull

/* QEMU's RAM reads as zero when the machine is started (it is fresh
 * anonymous memory), so memory the kernel has never handed out needs no
 * zeroing. A reset keeps RAM as it was: the kernel tells the two apart with a
 * mark it leaves in the last page of RAM, which it never hands out. */
#define BOARD_RAM_ZERO_AT_POWER_ON 1

#define BOARD_TIMER_PPI 26u     /* EL2 physical timer */
#define BOARD_VTIMER_PPI 27u    /* virtual timer, owned by guests */
#define BOARD_WAIT_TIMER_PPI 30u /* EL1 physical timer: bounds the kernel's sleeping waits */
#define BOARD_NUM_IRQS 288u     /* INTIDs the kernel manages */

#endif
