/* Realm consoles' bookkeeping: see consoles.h. */
#include "consoles.h"

static bool in_use(const struct console_slot *s)
{
    return s->state == CONSOLE_OPENING || s->state == CONSOLE_LIVE;
}

static void slot_free(struct console_slot *s)
{
    s->state = CONSOLE_FREE;
    s->id = s->pages = s->frames = 0;
}

bool console_table_init(struct console_table *t, struct console_slot *slots, uint32_t count, uint32_t fixed)
{
    if (!t || !slots || !count || count >= 1u << 31 || fixed > count)
        return false;
    t->slots = slots;
    t->count = count;
    for (uint32_t k = 0; k < count; k++) {
        slot_free(&slots[k]);
        if (k < fixed)
            slots[k].state = CONSOLE_FIXED;
    }
    return true;
}

bool console_table_move(struct console_table *t, struct console_slot *slots, uint32_t count)
{
    if (!t || !slots || count < t->count || count >= 1u << 31)
        return false;
    if (slots == t->slots)
        return count == t->count;
    for (uint32_t k = 0; k < count; k++) {
        if (k < t->count)
            slots[k] = t->slots[k];
        else
            slot_free(&slots[k]);
    }
    t->slots = slots;
    t->count = count;
    return true;
}

uint32_t console_find(const struct console_table *t, uint64_t id)
{
    if (!t || id > CONSOLE_ID_MAX)
        return CONSOLE_NONE;
    for (uint32_t k = 0; k < t->count; k++)
        if (in_use(&t->slots[k]) && t->slots[k].id == id)
            return k;
    return CONSOLE_NONE;
}

ic_err_t console_check_open(const struct console_table *t, uint64_t id, uint64_t pages, uint32_t *k)
{
    *k = CONSOLE_NONE;
    if (id > CONSOLE_ID_MAX || pages == 0 || pages > CONSOLE_PAGES_MAX)
        return IC_RANGE_ERROR;
    if (console_find(t, id) != CONSOLE_NONE)
        return IC_ILLEGAL_OPERATION;
    for (uint32_t s = 0; s < t->count; s++) {
        if (t->slots[s].state == CONSOLE_FREE) {
            *k = s;
            return IC_OK;
        }
    }
    return IC_NOT_ENOUGH_MEMORY;
}

/* The console of 'id' into *k: IC_FAILED_LOOKUP if there is none. */
static ic_err_t find(const struct console_table *t, uint64_t id, uint32_t *k)
{
    *k = console_find(t, id);
    return *k == CONSOLE_NONE ? IC_FAILED_LOOKUP : IC_OK;
}

ic_err_t console_check_frame(const struct console_table *t, uint64_t id, uint64_t index, uint32_t *k)
{
    ic_err_t e = find(t, id, k);
    if (e)
        return e;
    const struct console_slot *s = &t->slots[*k];
    if (s->state != CONSOLE_OPENING)
        return IC_ILLEGAL_OPERATION;
    /* frames < pages here: a console with every page has only start left */
    if (index != s->frames || s->frames >= s->pages)
        return IC_RANGE_ERROR;
    return IC_OK;
}

ic_err_t console_check_start(const struct console_table *t, uint64_t id, uint32_t *k)
{
    ic_err_t e = find(t, id, k);
    if (e)
        return e;
    const struct console_slot *s = &t->slots[*k];
    if (s->state != CONSOLE_OPENING || s->frames != s->pages)
        return IC_ILLEGAL_OPERATION;
    return IC_OK;
}

ic_err_t console_check_close(const struct console_table *t, uint64_t id, uint32_t *k)
{
    return find(t, id, k);
}

void console_opened(struct console_table *t, uint32_t k, uint64_t id, uint64_t pages)
{
    if (k >= t->count || t->slots[k].state != CONSOLE_FREE || id > CONSOLE_ID_MAX || pages == 0 ||
        pages > CONSOLE_PAGES_MAX)
        return;
    struct console_slot *s = &t->slots[k];
    s->state = CONSOLE_OPENING;
    s->id = (uint32_t)id;
    s->pages = (uint32_t)pages;
    s->frames = 0;
}

void console_framed(struct console_table *t, uint32_t k)
{
    if (k < t->count && t->slots[k].state == CONSOLE_OPENING && t->slots[k].frames < t->slots[k].pages)
        t->slots[k].frames++;
}

void console_started(struct console_table *t, uint32_t k)
{
    if (k < t->count && t->slots[k].state == CONSOLE_OPENING && t->slots[k].frames == t->slots[k].pages)
        t->slots[k].state = CONSOLE_LIVE;
}

void console_closed(struct console_table *t, uint32_t k)
{
    if (k < t->count && in_use(&t->slots[k]))
        slot_free(&t->slots[k]);
}

void console_name(char name[CONSOLE_NAME_SIZE], uint64_t id)
{
    static const char prefix[] = "realm ";
    unsigned n = 0;
    for (; prefix[n]; n++)
        name[n] = prefix[n];
    if (id > CONSOLE_ID_MAX)
        id = CONSOLE_ID_MAX; /* never: the checks refuse it first */
    char d[10];
    unsigned i = 0;
    do
        d[i++] = (char)('0' + id % 10);
    while (id /= 10);
    while (i)
        name[n++] = d[--i];
    name[n] = 0;
}
