/* Entry point of every user program started with a bootinfo pointer
 * (the root task): x0 = address of the ic_bootinfo_t.
 * The offset of ic_bootinfo_t.ipc_buffer is checked in ipc.c. */
#define BOOTINFO_IPC_BUFFER 16

    .section .text.start, "ax"
    .global _start
    .type _start, %function
_start:
    /* x19 is callee-saved: it survives the .bss loop and main(). */
    mov x19, x0

    /* Zero .bss. The linker script aligns both ends to 16 bytes. */
    adrp x1, __bss_start
    add x1, x1, :lo12:__bss_start
    adrp x2, __bss_end
    add x2, x2, :lo12:__bss_end
1:  cmp x1, x2
    b.hs 2f
    stp xzr, xzr, [x1], #16
    b 1b
2:
    adrp x1, __stack_top
    add x1, x1, :lo12:__stack_top
    mov sp, x1

    /* The library finds the IPC buffer through TPIDR_EL0. */
    ldr x1, [x19, #BOOTINFO_IPC_BUFFER]
    msr tpidr_el0, x1

    /* Terminate frame-pointer chains for debuggers. */
    mov x29, #0
    mov x30, #0

    mov x0, x19
    bl main
    /* ic_exit(main's return value) reports a failure and powers off. */
    bl ic_exit
3:  b 3b
    .size _start, . - _start

    .section .note.GNU-stack, "", %progbits
