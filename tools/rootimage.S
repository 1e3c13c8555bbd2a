/*
 * Embeds the root task's ELF file in the kernel image, page aligned, between
 * root_image_start and root_image_end. Assemble with
 *   aarch64-linux-gnu-gcc -c -DROOT_ELF='"path/to/root.elf"' tools/rootimage.S
 */
#ifndef ROOT_ELF
#error "define ROOT_ELF as the quoted path of the root task ELF file"
#endif

	.section .rodata.rootimage, "a", %progbits
	.balign 4096
	.global root_image_start
	.global root_image_end
	.type root_image_start, %object
	.type root_image_end, %object
root_image_start:
	.incbin ROOT_ELF
root_image_end:
	.size root_image_start, root_image_end - root_image_start

	.section .note.GNU-stack, "", %progbits
