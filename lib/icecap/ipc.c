/* Out-of-line parts of the system call layer: the generic invocations used
 * by the generated stubs, the hand-written register stubs, and halting. */
#include <icecap/icecap.h>

/* start.S reads the IPC buffer address at this offset. */
_Static_assert(offsetof(ic_bootinfo_t, ipc_buffer) == 16, "start.S BOOTINFO_IPC_BUFFER");

/* Calls service with MR0.. and caps already in the IPC buffer. */
static ic_err_t invoke(ic_cptr_t service, ic_word_t label, unsigned nargs, unsigned ncaps,
                       ic_msginfo_t *reply)
{
    ic_word_t err;
    ic_msginfo_t r = ic_call(service, ic_msginfo_new(label, 0, ncaps, nargs), &err);
    if (reply)
        *reply = r;
    return (ic_err_t)err;
}

/* Puts args in MR0.. and caps in caps_or_badges[0..] and Calls service. */
static ic_err_t invoke_with(ic_cptr_t service, ic_word_t label, unsigned nargs, const ic_word_t *args,
                            unsigned ncaps, const ic_cptr_t *caps, ic_msginfo_t *reply)
{
    /* The message info word cannot express more; refuse rather than send a
     * message whose counts were silently truncated. */
    if (nargs > IC_MSG_MAX_LENGTH || ncaps > IC_MSG_MAX_EXTRA_CAPS)
        return IC_INVALID_ARGUMENT;
    ic_ipc_buffer_t *b = ic_ipc_buffer();
    for (unsigned i = 0; i < nargs; i++)
        b->msg[i] = args[i];
    for (unsigned i = 0; i < ncaps; i++)
        b->caps_or_badges[i] = caps[i];
    return invoke(service, label, nargs, ncaps, reply);
}

ic_err_t ic_invoke(ic_cptr_t service, ic_word_t label, unsigned nargs, const ic_word_t *args,
                   unsigned ncaps, const ic_cptr_t *caps)
{
    return invoke_with(service, label, nargs, args, ncaps, caps, NULL);
}

ic_err_t ic_invoke_results(ic_cptr_t service, ic_word_t label, unsigned nargs, const ic_word_t *args,
                           unsigned ncaps, const ic_cptr_t *caps, unsigned nresults, ic_word_t *results)
{
    ic_msginfo_t reply;
    ic_err_t err = invoke_with(service, label, nargs, args, ncaps, caps, &reply);
    if (err != IC_OK)
        return err;
    /* The table (abi/invocations.tbl) says how many results there are: a
     * reply of another length is not this invocation's, and nothing of it
     * is taken. */
    if (ic_msginfo_length(reply) != nresults)
        return IC_TRUNCATED_MESSAGE;
    const ic_ipc_buffer_t *b = ic_ipc_buffer();
    for (unsigned i = 0; i < nresults; i++)
        results[i] = b->msg[i];
    return IC_OK;
}

ic_err_t ic_tcb_read_registers(ic_cptr_t tcb, bool suspend, ic_word_t count, ic_user_context_t *out)
{
    if (count > IC_REG_COUNT)
        return IC_INVALID_ARGUMENT;
    ic_ipc_buffer_t *b = ic_ipc_buffer();
    b->msg[0] = suspend;
    b->msg[1] = count;
    ic_msginfo_t reply;
    ic_err_t err = invoke(tcb, IC_INV_TCB_READ_REGISTERS, 2, 0, &reply);
    if (err != IC_OK)
        return err;
    /* Never copy more than the kernel said it returned. */
    ic_word_t n = ic_msginfo_length(reply);
    if (n > count)
        n = count;
    for (ic_word_t i = 0; i < n; i++)
        out->regs[i] = b->msg[i];
    return IC_OK;
}

ic_err_t ic_tcb_write_registers(ic_cptr_t tcb, bool resume, ic_word_t count, const ic_user_context_t *regs)
{
    if (count > IC_REG_COUNT)
        return IC_INVALID_ARGUMENT;
    ic_ipc_buffer_t *b = ic_ipc_buffer();
    b->msg[0] = resume;
    b->msg[1] = count;
    for (ic_word_t i = 0; i < count; i++)
        b->msg[2 + i] = regs->regs[i];
    return invoke(tcb, IC_INV_TCB_WRITE_REGISTERS, 2 + count, 0, NULL);
}

void ic_debug_halt(void)
{
    ic_word_t r[6] = { 0 };
    ic__svc(IC_SYS_DEBUG_HALT, r);
    /* Only the root task may halt; anyone else stays here. */
    for (;;)
        ic_yield();
}

void ic_exit(int code)
{
    if (code != 0)
        ic_printf("main returned %d\n", code);
    ic_debug_halt();
}
