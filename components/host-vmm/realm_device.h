/* The realm device (docs/resource-server.md): how the host VM asks the
 * resource server for realms. Two regions of the host VM's guest-physical
 * space:
 *
 *   registers  [base, base + 4K): trapped, every access an exit to the host
 *              VMM, answered by realm_dev_access on the thread of the vCPU
 *              that made it;
 *   slots      [base + 2M, base + 2M + 32 x 64K): ordinary memory of the host
 *              VMM, mapped into the host VM, where the host writes a request
 *              block and finds the response block in its place.
 *
 * A write of CALL with a slot's index forwards that slot's request: the
 * thread of vCPU k copies it into area k of the shared region
 * realm-requests, has the resource server answer (realm_dev_forward_fn:
 * a Call, the VMM's business) and copies the response back into the slot,
 * or writes an UNAVAILABLE response itself when the resource server cannot
 * be reached or answers with an impossible length.
 *
 * Every byte of a slot is the host's, which may change it while the device
 * copies: the header is read once, and what the device looks at (op, realm
 * id, payload length) comes from that copy, the length clamped once to
 * what a slot holds. The resource server checks the bytes it gets again.
 *
 * Pure: no system calls. The VMM gives the memory (the slot window as it
 * maps it, the areas) and the function that reaches the resource server.
 * Nothing is kept between calls, and vCPU k touches only area k: the
 * accesses of several vCPUs may be answered at once (the host VMM serves
 * them without the machine's lock, vmm_vm_add_mmio_unlocked). */
#ifndef HOST_VMM_REALM_DEVICE_H
#define HOST_VMM_REALM_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* the device's registers and blocks */
#include <icecap/realm_device.h>

#define REALM_DEV_AREA_SIZE REALM_DEV_SLOT_SIZE /* an area of realm-requests: vCPU k's is the k-th */

/* Has the resource server answer the request in the first 'length' bytes
 * of area 'area': true, and the length of its response (in the same area)
 * in *answer_length, if it answered; false if it could not be reached.
 * The length is checked by the caller. */
typedef bool realm_dev_forward_fn(void *ctx, unsigned area, uint64_t length, uint64_t *answer_length);

struct realm_dev {
    uint8_t *window;               /* the slot window, where the VMM maps it */
    uint8_t *areas;                /* realm-requests where the VMM maps it; NULL: no resource server */
    unsigned num_areas;            /* whole areas in it */
    realm_dev_forward_fn *forward; /* with areas */
    void *ctx;                     /* forward's */
};

/* A guest access to the register page: 'size' bytes at 'offset', a read
 * (sets *value) or a write of 'value_in', by vCPU 'vcpu'. False for an
 * access the device does not answer (not 32 bits, an offset not listed, a
 * write of anything but CALL). A write of CALL returns once the response
 * has replaced the request (realm_dev_call). */
bool realm_dev_access(const struct realm_dev *d, unsigned vcpu, uint64_t offset, unsigned size, bool write,
                      uint64_t value_in, uint64_t *value);

/* CALL of slot 'index' on vCPU 'vcpu': an index beyond the slots is
 * ignored; a vCPU without an area, a device without a resource server, a
 * failed forward or a response length below RB_HEADER_SIZE or
 * beyond a slot answer UNAVAILABLE (op and realm id as requested). */
void realm_dev_call(const struct realm_dev *d, unsigned vcpu, uint32_t index);

#endif
