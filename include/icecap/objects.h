/* Object types, their sizes, capability rights and mapping attributes. */
#ifndef ICECAP_OBJECTS_H
#define ICECAP_OBJECTS_H

enum ic_object_type {
    IC_OBJ_UNTYPED = 0,
    IC_OBJ_TCB = 1,
    IC_OBJ_ENDPOINT = 2,
    IC_OBJ_NOTIFICATION = 3,
    IC_OBJ_CNODE = 4,        /* size_bits argument = log2(number of slots) */
    IC_OBJ_FRAME_4K = 5,
    IC_OBJ_FRAME_2M = 6,
    IC_OBJ_PAGE_TABLE = 7,   /* a stage-2 table of level 2 or 3 */
    IC_OBJ_VSPACE = 8,       /* a stage-2 root table (level 1); a VMID pool gives it its VMID */
    IC_OBJ_VCPU = 9,         /* a virtual CPU (include/icecap/vcpu.h) */
    IC_OBJ_TYPE_COUNT
};

/* log2 of object sizes in bytes */
#define IC_TCB_SIZE_BITS 11
/* What a thread may use besides its capabilities (tcb_set_access) */
#define IC_TCB_ACCESS_PMU 1u       /* read the PMU's counters at EL0 */
#define IC_TCB_ACCESS_CONSOLE 2u   /* write the kernel's console (DebugPutChar) */
#define IC_TCB_ACCESS_ALL 3u
#define IC_ENDPOINT_SIZE_BITS 4
#define IC_NOTIFICATION_SIZE_BITS 5
#define IC_SLOT_SIZE_BITS 6          /* one CNode slot */
#define IC_PAGE_BITS 12
#define IC_LARGE_PAGE_BITS 21
#define IC_PAGE_TABLE_SIZE_BITS 12
#define IC_VSPACE_SIZE_BITS 12
/* VMIDs 1 .. IC_NUM_VMIDS - 1 exist; the root's VMID control makes pools of
 * them, and a pool gives one to each VSpace (docs/abi.md) */
#define IC_NUM_VMIDS 256
#define IC_MIN_UNTYPED_BITS 4
#define IC_MAX_UNTYPED_BITS 47
#define IC_CNODE_MAX_RADIX 20

/* Stage-2 address spaces span 2^39 bytes of guest-physical (IPA) space. */
#define IC_VSPACE_BITS 39

/* Capability rights */
#define IC_RIGHT_READ (1u << 0)
#define IC_RIGHT_WRITE (1u << 1)
#define IC_RIGHT_GRANT (1u << 2)      /* may transfer capabilities over an endpoint */
#define IC_RIGHT_EXECUTE (1u << 3)    /* frames: may be executed from */
#define IC_RIGHTS_ALL 0xfu

/* Frame mapping attributes */
#define IC_ATTR_CACHED 0u            /* normal write-back memory */
#define IC_ATTR_UNCACHED 1u          /* normal non-cacheable memory */
#define IC_ATTR_DEVICE 2u            /* device-nGnRE */

/* Numbers of thread priorities; 255 is the highest. */
#define IC_NUM_PRIORITIES 256
/* CPUs a kernel can have; bootinfo num_cpus says how many this one runs on */
#define IC_MAX_CPUS 8

#endif
