/* Helpers that several tests share: capabilities in the root CNode (new
 * copies, empty-slot checks, consecutive slots), frame addresses, raw
 * system calls and yielding to threads of the root task's priority. */
#include "test.h"

ic_cptr_t alloc_slots(unsigned n)
{
    ic_cptr_t first = alloc_slot();
    for (unsigned i = 1; first && i < n; i++)
        if (alloc_slot() != first + i)
            return 0;
    return first;
}

ic_cptr_t copy_with_rights(ic_cptr_t src, ic_word_t rights)
{
    ic_cptr_t s = alloc_slot();
    if (!s || ic_cnode_copy(ROOT_CNODE, s, ROOT_DEPTH, src, ROOT_DEPTH, rights, ROOT_CNODE) != IC_OK)
        return 0;
    return s;
}

ic_cptr_t mint_copy(ic_cptr_t src, ic_word_t rights, ic_word_t badge)
{
    ic_cptr_t s = alloc_slot();
    if (!s || ic_cnode_mint(ROOT_CNODE, s, ROOT_DEPTH, src, ROOT_DEPTH, rights, badge, ROOT_CNODE) != IC_OK)
        return 0;
    return s;
}

/* A copy from an empty slot fails with IC_FAILED_LOOKUP; any other answer
 * means the slot holds a capability (untyped ones refuse to be copied). */
bool slot_is_empty_in(ic_cptr_t cnode, ic_word_t index, ic_word_t depth)
{
    ic_cptr_t tmp = alloc_slot();
    ic_err_t err = ic_cnode_copy(ROOT_CNODE, tmp, ROOT_DEPTH, index, depth, IC_RIGHTS_ALL, cnode);
    if (err == IC_OK)
        ic_cnode_delete(ROOT_CNODE, tmp, ROOT_DEPTH);
    return err == IC_FAILED_LOOKUP;
}

bool slot_is_empty(ic_cptr_t slot)
{
    return slot_is_empty_in(ROOT_CNODE, slot, ROOT_DEPTH);
}

ic_word_t frame_address(ic_cptr_t frame)
{
    ic_word_t paddr = ~0ull;
    ic_frame_get_address(frame, &paddr);
    return paddr;
}

/* The IPC wrappers hide x0; this sends no message registers (x0 is set by
 * every system call, so its value before the call does not matter). */
ic_word_t syscall_x0(ic_word_t sys, ic_cptr_t cptr, ic_msginfo_t info)
{
    ic_word_t x0 = 0;
    ic__ipc(sys, cptr, info, &x0, false, false);
    return x0;
}

bool yield_until(volatile ic_word_t *flag, ic_word_t value)
{
    for (unsigned i = 0; i < 200 && *flag != value; i++)
        ic_yield();
    return *flag == value;
}

void yield_n(unsigned n)
{
    while (n--)
        ic_yield();
}
