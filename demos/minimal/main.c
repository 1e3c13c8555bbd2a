/* The minimal root task: greets, shows what the kernel handed over in the
 * bootinfo, and returns, which halts the machine (see start.S). */
#include <icecap/icecap.h>

int main(ic_bootinfo_t *bi)
{
    ic_printf("Hello from the root task!\n");

    if (bi->magic != IC_BOOTINFO_MAGIC) {
        ic_printf("bootinfo at %p has bad magic %lx (expected %llx)\n", (void *)bi, bi->magic,
                  IC_BOOTINFO_MAGIC);
        return 1;
    }

    ic_printf("  CPUs:           %lu\n", bi->num_cpus);
    ic_printf("  GIC version:    %lu\n", bi->gic_version);
    ic_printf("  timer:          %lu Hz\n", bi->timer_frequency);
    ic_printf("  IPC buffer:     %lx\n", bi->ipc_buffer);

    ic_word_t n = bi->untyped.end - bi->untyped.start;
    if (n > IC_BOOTINFO_MAX_UNTYPED) /* do not trust a count the list cannot hold */
        n = IC_BOOTINFO_MAX_UNTYPED;
    ic_word_t ram = 0, device = 0, nram = 0;
    for (ic_word_t i = 0; i < n; i++) {
        const ic_untyped_desc_t *u = &bi->untyped_list[i];
        ic_word_t bytes = (ic_word_t)1 << u->size_bits;
        if (u->is_device) {
            device += bytes;
        } else {
            ram += bytes;
            nram++;
        }
    }
    ic_printf("  untyped:        %lu caps in slots [%lu, %lu)\n", n, bi->untyped.start, bi->untyped.end);
    ic_printf("    RAM:          %lu regions, %lu bytes (%lu KiB)\n", nram, ram, ram >> 10);
    ic_printf("    device:       %lu regions, %lu bytes (%lu KiB)\n", n - nram, device, device >> 10);
    ic_printf("  image frames:   slots [%lu, %lu)\n", bi->image_frames.start, bi->image_frames.end);
    ic_printf("  free slots:     [%lu, %lu) of %u\n", bi->empty.start, bi->empty.end, 1u << IC_ROOT_CNODE_BITS);
    ic_printf("Root task done; halting.\n");
    return 0;
}
