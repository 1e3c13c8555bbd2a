/* Boot information: what a program finds in its CSpace when it starts
 * (address in x0 at entry). The kernel hands one to the root task (the
 * loader), whose CNode has 2^IC_ROOT_CNODE_BITS slots; the loader hands one
 * to every component it starts (docs/loader.md), whose CNode has 2^cnode_bits.
 * The fixed slots come first (a component has no IRQ control), then the
 * ranges described here. */
#ifndef ICECAP_BOOTINFO_H
#define ICECAP_BOOTINFO_H

#include <icecap/types.h>

#define IC_ROOT_CNODE_BITS 14

enum ic_root_slot {
    IC_SLOT_NULL = 0,
    IC_SLOT_ROOT_CNODE = 1,
    IC_SLOT_ROOT_VSPACE = 2,
    IC_SLOT_ROOT_TCB = 3,
    IC_SLOT_IRQ_CONTROL = 4,
    IC_SLOT_IPC_BUFFER = 5,
    IC_SLOT_BOOTINFO_FRAME = 6,
    IC_SLOT_VMIDS = 7,         /* the root's VMID control; a component's VMID pool */
    IC_SLOT_FIRST_FREE_FIXED = 8
};

typedef struct ic_slot_range {
    ic_word_t start; /* first slot */
    ic_word_t end;   /* one past the last slot */
} ic_slot_range_t;

typedef struct ic_untyped_desc {
    ic_word_t paddr;
    uint8_t size_bits;
    uint8_t is_device;  /* device untyped can only be retyped into frames */
    uint8_t pad[6];
} ic_untyped_desc_t;

#define IC_BOOTINFO_MAX_UNTYPED 128
#define IC_BOOTINFO_MAX_IRQS 64

typedef struct ic_bootinfo {
    ic_word_t magic;             /* IC_BOOTINFO_MAGIC */
    ic_word_t num_cpus;
    ic_word_t ipc_buffer;        /* address of the root task's IPC buffer */
    ic_word_t timer_frequency;   /* of the generic timer, in Hz */
    ic_word_t gic_version;       /* 2 or 3 */
    ic_word_t image_vaddr;       /* where the image frames are mapped, in slot order */
    ic_slot_range_t empty;       /* free slots of the root CNode */
    ic_slot_range_t image_frames;/* frames holding the root task image */
    ic_slot_range_t untyped;     /* untyped capabilities, described below */
    ic_word_t cnode_bits;        /* radix of the CNode; its guard makes slot numbers CPtrs */
    ic_word_t vgic_list_registers; /* list registers of each CPU's virtual GIC interface */
    ic_slot_range_t irqs;        /* IRQ handler capabilities, for irq_list[i] */
    uint16_t irq_list[IC_BOOTINFO_MAX_IRQS];
    char name[32];               /* of the component, NUL-terminated */
    ic_word_t log;               /* slot of the capability its log lines go to (abi/protocols/log.tbl), 0: none */
    ic_untyped_desc_t untyped_list[IC_BOOTINFO_MAX_UNTYPED];
} ic_bootinfo_t;

#define IC_BOOTINFO_MAGIC 0x4963654361704249ull /* "IceCapBI" */

#endif
