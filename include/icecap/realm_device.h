/* The realm device: how the host VM asks the resource server for realms
 * (docs/resource-server.md). The one definition of its registers and of
 * the request and response blocks, for the three that speak it: icecap-host
 * in the host VM (linux/icecap-host), the host VMM that emulates the device
 * and forwards its requests (components/host-vmm), and the resource server
 * that answers them (components/resource-server). Plain C: no IceCap or
 * Linux header. Every field is little-endian. */
#ifndef ICECAP_REALM_DEVICE_H
#define ICECAP_REALM_DEVICE_H

/* ---- the device, as the host VM's device tree gives it */
#define REALM_DEV_COMPATIBLE "icecap,realm-host-1"
#define REALM_DEV_SIZE 0x400000u          /* what the system description gives: both regions */
#define REALM_DEV_REGS_SIZE 0x1000u       /* the register page, at the device's base */
#define REALM_DEV_WINDOW_OFFSET 0x200000u /* the slot window, from the device's base */
#define REALM_DEV_SLOTS 32u
#define REALM_DEV_SLOT_SIZE 0x10000u
#define REALM_DEV_WINDOW_SIZE (REALM_DEV_SLOTS * REALM_DEV_SLOT_SIZE)

/* its registers: 32-bit accesses only */
#define REALM_DEV_MAGIC 0x48524349u       /* "ICRH" in memory order */
#define REALM_DEV_VERSION 1u
enum realm_dev_reg {
    REALM_REG_MAGIC = 0x00,     /* read: REALM_DEV_MAGIC */
    REALM_REG_VERSION = 0x04,   /* read: REALM_DEV_VERSION */
    REALM_REG_SLOTS = 0x08,     /* read: REALM_DEV_SLOTS */
    REALM_REG_SLOT_SIZE = 0x0c, /* read: REALM_DEV_SLOT_SIZE */
    REALM_REG_CALL = 0x10,      /* write: a slot's index, whose request is answered in place; reads as 0 */
};

/* ---- request and response blocks: a header, then the payload */
#define RB_HEADER_SIZE 64u
#define RB_MAX_PAYLOAD (REALM_DEV_SLOT_SIZE - RB_HEADER_SIZE)
#define RB_REQUEST_MAGIC 0x51524349u      /* "ICRQ" */
#define RB_RESPONSE_MAGIC 0x53524349u     /* "ICRS" */
#define RB_ARGS 6u                        /* arg[] of a request, val[] of a response */
#define RB_MEASUREMENT_SIZE 32u
#define RB_LIST_ENTRY_SIZE 64u

/* Request header: 0 magic u32, 4 op u16, 6 flags u16 (0), 8 realm id u32,
 * 12 payload length u32, 16 arg[6] u64. Response header: 0 magic u32,
 * 4 op u16 (as asked), 6 status u16, 8 realm id u32 (as asked), 12 payload
 * length u32, 16 val[6] u64. */
enum rb_op {
    RB_OP_STATUS = 1,   /* val: pool bytes, free bytes, realms */
    RB_OP_LIST = 2,     /* arg[0] first entry; val: realms, entries; payload: entries */
    RB_OP_CREATE = 3,   /* arg[0] the spec's size */
    RB_OP_LOAD = 4,     /* arg[0] offset; payload: the spec's bytes there */
    RB_OP_FINISH = 5,   /* val[0] objects; payload: the measurement */
    RB_OP_ABORT = 6,
    RB_OP_DESTROY = 7,
    RB_OP_RUN = 8,      /* arg[0] vCPU, arg[1] timeout in ms: not served yet (BAD_OP) */
};

enum rb_status {
    RB_OK = 0,
    RB_BAD_REQUEST = 1,   /* not a request block */
    RB_BAD_OP = 2,        /* no such operation */
    RB_NO_SUCH_REALM = 3,
    RB_REALM_EXISTS = 4,
    RB_BAD_SPEC = 5,      /* val[0]: the RS_ERR_* code */
    RB_NO_MEMORY = 6,     /* val[0] bytes needed, val[1] free */
    RB_BAD_STATE = 7,
    RB_BAD_RANGE = 8,     /* val[0]: the limit */
    RB_UNAVAILABLE = 9,   /* written by the host VMM */
    RB_INTERNAL = 10,     /* val[0]: the kernel's error */
};

/* LIST entry: 0 id u32, 4 state u8, 5 vCPUs u8, 6 u16 0, 8 pool bytes held
 * u64, 16 16 bytes 0, 32 the measurement */
enum rb_state {
    RB_STATE_LOADING = 1,
    RB_STATE_READY = 2,
    RB_STATE_RUNNING = 3,
    RB_STATE_STOPPED = 4,
    RB_STATE_FAULTED = 5,
};

#endif
