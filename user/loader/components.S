/* The components' ELF images, inside the loader's image, page aligned so
 * that their pages can be handed over where they lie (HOST_VMM_ELF_PATH is
 * set by the Makefile). */
    .section .rodata.components, "a"
    .balign 4096
    .global component_host_vmm_start, component_host_vmm_end
component_host_vmm_start:
    .incbin HOST_VMM_ELF_PATH
component_host_vmm_end:

    .section .note.GNU-stack, "", %progbits
