/* The host VM's Linux kernel and initramfs, built into the host VMM's image
 * (paths from the make variables HOST_KERNEL and HOST_INITRD). */
    .section .rodata.guest, "a"
    .balign 4096
    .global guest_kernel_start, guest_kernel_end
guest_kernel_start:
    .incbin HOST_KERNEL_PATH
guest_kernel_end:
    .balign 4096
    .global guest_initrd_start, guest_initrd_end
guest_initrd_start:
    .incbin HOST_INITRD_PATH
guest_initrd_end:
