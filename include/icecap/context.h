/* The register context of a thread, as read and written by
 * tcb_read_registers and tcb_write_registers (in this order). */
#ifndef ICECAP_CONTEXT_H
#define ICECAP_CONTEXT_H

#include <icecap/types.h>

enum {
    IC_REG_PC = 0,
    IC_REG_SP = 1,
    IC_REG_SPSR = 2,      /* only the condition flags (NZCV) can be written */
    IC_REG_TPIDR = 3,     /* TPIDR_EL0, the thread pointer */
    IC_REG_X0 = 4,        /* x0 .. x30 follow */
    IC_REG_COUNT = IC_REG_X0 + 31
};

typedef struct ic_user_context {
    ic_word_t regs[IC_REG_COUNT];
} ic_user_context_t;

#endif
