/* The serial console multiplexer: see mux.h.
 *
 * The terminal, as the bytes queued for the UART leave it, is described by
 * four fields of struct mux:
 *   midline    the cursor is not at the start of a line;
 *   cur        the client whose line that is (MUX_NONE if nobody's: the
 *              line of a client removed while its line was open);
 *   colour_on  a client's colour is set (from the start of a piece of
 *              cur's line to the end of that line, or until anything else
 *              is written: a line written in pieces is one colour run);
 *   locked     a piece of cur's output is being copied (seg_left bytes to
 *              go, then reset, and CR LF if seg_lf): nothing else may be
 *              written until it is done.
 * Anything written for someone other than cur first ends the open line
 * (end_line): reset if colour_on, CR LF if midline.
 *
 * A client's output ring holds, from its head: the 'shown' bytes of its
 * open line that are already on the terminal (kept so that the line can be
 * shown again whole after another writer broke it), then bytes not yet
 * shown. Bytes leave the ring when their line's LF is written, or, for an
 * open line, when the ring needs room or a drop notice ends the line. */
#include "mux.h"

#define RESET "\x1b[0m"

/* SGR foreground colours, the dim six then the bright six: client k has
 * palette[k % MUX_PALETTE]. The core's own lines keep the default colour. */
static const char *const palette[MUX_PALETTE] = { "32", "33", "36", "35", "34", "31",
                                                  "92", "93", "96", "95", "94", "91" };

/* One line of the core's own, built without libc. */
struct line {
    char b[MUX_LINE_MAX];
    uint32_t n;
};

static void line_str(struct line *l, const char *s)
{
    while (*s && l->n < MUX_LINE_MAX)
        l->b[l->n++] = *s++;
}

/* Starts a line; b is not zeroed, only its first n bytes count. */
static void line_begin(struct line *l, const char *s)
{
    l->n = 0;
    line_str(l, s);
}

static void line_num(struct line *l, uint64_t v)
{
    char d[20];
    unsigned i = 0;
    do
        d[i++] = (char)('0' + v % 10);
    while (v /= 10);
    while (i && l->n < MUX_LINE_MAX)
        l->b[l->n++] = d[--i];
}

/* Names come from whoever created the realm: shown as printable ASCII. */
static void line_name(struct line *l, const char *name)
{
    for (uint32_t i = 0; name && name[i] && i < MUX_NAME_SHOWN && l->n < MUX_LINE_MAX; i++)
        l->b[l->n++] = name[i] >= 0x20 && name[i] < 0x7f ? name[i] : '?';
}

static bool present(const struct mux *m, uint32_t k)
{
    return k < m->count && m->clients[k].present;
}

/* Byte loops the compiler cannot turn into calls to memset or memcpy,
 * which a freestanding core does not have. */
static void zero(void *p, size_t n)
{
    volatile uint8_t *d = p;
    while (n--)
        *d++ = 0;
}

static void copy(void *to, const void *from, size_t n)
{
    volatile uint8_t *d = to;
    const uint8_t *s = from;
    while (n--)
        *d++ = *s++;
}

static void slot_clear(struct mux_client *c)
{
    zero(c, sizeof *c);
}

/* The UART ring */

static uint32_t uart_room(const struct mux *m)
{
    return m->uart_size - m->uart_len;
}

static void uart_put(struct mux *m, char b)
{
    m->uart[(m->uart_head + m->uart_len) % m->uart_size] = (uint8_t)b;
    m->uart_len++;
}

static void uart_puts(struct mux *m, const char *s)
{
    while (*s)
        uart_put(m, *s++);
}

/* What end_line will write. */
static uint32_t end_line_cost(const struct mux *m)
{
    return (m->colour_on ? 4u : 0u) + (m->midline ? 2u : 0u);
}

/* Leaves the cursor at the start of a line in the default colour. The open
 * line's owner keeps its shown bytes, to show them again. */
static void end_line(struct mux *m)
{
    if (m->colour_on)
        uart_puts(m, RESET);
    if (m->midline)
        uart_puts(m, "\r\n");
    m->colour_on = m->midline = m->locked = false;
    m->cur = MUX_NONE;
}

/* One line of the core's own, whole or not at all. */
static bool core_line(struct mux *m, const struct line *l)
{
    if (uart_room(m) < end_line_cost(m) + l->n + 2)
        return false;
    end_line(m);
    for (uint32_t i = 0; i < l->n; i++)
        uart_put(m, l->b[i]);
    uart_puts(m, "\r\n");
    return true;
}

/* Client output rings */

static uint8_t out_at(const struct mux_client *c, uint32_t i)
{
    return c->out[(c->out_head + i) % c->out_size];
}

static void out_drop(struct mux_client *c, uint32_t n)
{
    c->out_head = (c->out_head + n) % c->out_size;
    c->out_len -= n;
    c->gap = c->gap > n ? c->gap - n : 0;
}

/* Lets go of the shown part of the open line: it cannot be shown again. */
static void release(struct mux_client *c)
{
    out_drop(c, c->shown);
    c->shown = 0;
}

static bool note_due(const struct mux_client *c)
{
    return c->drop_note && c->gap <= c->shown;
}

/* Less room than the longest character: the line goes out as it is. */
static bool nearly_full(const struct mux_client *c)
{
    return c->out_size - c->out_len < 4;
}

static bool ready(const struct mux *m, uint32_t k)
{
    const struct mux_client *c = &m->clients[k];
    if (!c->present)
        return false;
    if (note_due(c))
        return true;
    if (c->out_len == c->shown)
        return false;
    return c->lines || m->cur == k || nearly_full(c) || m->flushing || m->now - c->since >= MUX_FLUSH_MS;
}

/* Client k's turn: its drop notice, or its next line or piece, is begun
 * (seg_copy finishes it). False if the UART buffer has no room for it. */
static bool serve(struct mux *m, uint32_t k)
{
    struct mux_client *c = &m->clients[k];
    if (note_due(c)) {
        struct line l;
        line_begin(&l, "[client ");
        line_num(&l, k);
        line_str(&l, ": ");
        line_num(&l, c->drop_note);
        line_str(&l, " bytes dropped]");
        if (!core_line(m, &l))
            return false;
        release(c);
        c->drop_note = 0;
        return true;
    }
    uint32_t start = m->cur == k ? c->shown : 0; /* after a break: the whole line again */
    uint32_t limit = c->drop_note ? c->gap : c->out_len;
    uint32_t end = start;
    while (end < limit && out_at(c, end) != '\n')
        end++;
    bool colour = m->cur != k || !m->colour_on; /* a line goes on in the colour it has */
    if (uart_room(m) < (m->cur == k ? 0 : end_line_cost(m)) + (colour ? 5 : 0) + 1)
        return false;
    if (m->cur != k)
        end_line(m);
    if (colour) {
        uart_puts(m, "\x1b[");
        uart_puts(m, palette[k % MUX_PALETTE]);
        uart_put(m, 'm');
    }
    m->colour_on = m->midline = m->locked = true;
    m->cur = k;
    c->shown = start;
    m->seg_left = end - start;
    m->seg_lf = end < limit;
    return true;
}

/* Copies the locked piece on; true when it is finished. */
static bool seg_copy(struct mux *m)
{
    struct mux_client *c = &m->clients[m->cur];
    while (m->seg_left && m->uart_len < m->uart_size) {
        uart_put(m, (char)out_at(c, c->shown++));
        m->seg_left--;
    }
    if (m->seg_left || uart_room(m) < (m->seg_lf ? 6u : 0u))
        return false;
    m->locked = false;
    if (m->seg_lf) {
        uart_puts(m, RESET);
        m->colour_on = false;
        uart_puts(m, "\r\n");
        m->midline = false;
        m->cur = MUX_NONE;
        out_drop(c, c->shown + 1);
        c->shown = 0;
        c->lines--;
    }
    return true;
}

static bool serve_next(struct mux *m)
{
    for (uint32_t i = 0; i < m->count; i++) {
        uint32_t k = (m->rr + i) % m->count;
        if (!ready(m, k))
            continue;
        if (!serve(m, k)) {
            m->rr = k; /* k keeps its turn until there is room */
            return false;
        }
        m->rr = (k + 1) % m->count;
        return true;
    }
    return false;
}

/* The core's own lines */

static void note_push(struct mux *m, const struct line *l)
{
    if (MUX_NOTES_SIZE - m->notes_len < l->n + 1) {
        m->notes_lost++;
        return;
    }
    for (uint32_t i = 0; i <= l->n; i++)
        m->notes[(m->notes_head + m->notes_len++) % MUX_NOTES_SIZE] = i < l->n ? (uint8_t)l->b[i] : '\n';
}

/* The help request goes through the queue as a marker line with the focus
 * of that moment, so that help and notices appear in the order of the keys
 * that asked for them, each telling the state it was asked in. */
#define HELP_MARK "\x01"

static bool help_text(struct mux *m, struct line *l)
{
    l->n = 0;
    if (m->help_line == 0) {
        line_str(l, "[serial console: @ is the escape at the start of a line]");
        return true;
    }
    while (m->help_line <= m->count && !m->clients[m->help_line - 1].present)
        m->help_line++;
    if (m->help_line <= m->count) {
        uint32_t k = m->help_line - 1;
        line_str(l, "[  ");
        line_num(l, k);
        line_str(l, ": ");
        line_name(l, m->clients[k].name);
        line_str(l, k == m->help_focus ? " (focus)]" : "]");
        return true;
    }
    if (m->help_line == m->count + 1) {
        line_str(l, "[@<n> switches to client n, @@ types @, @? shows this]");
        return true;
    }
    return false;
}

/* Writes the core's waiting lines. False if one is left for lack of room. */
static bool core_lines(struct mux *m)
{
    struct line l;
    for (;;) {
        if (m->help) {
            if (!help_text(m, &l)) {
                m->help = false;
                continue;
            }
            if (!core_line(m, &l))
                return false;
            m->help_line++;
            continue;
        }
        if (!m->notes_len)
            return true;
        l.n = 0;
        while (m->notes[(m->notes_head + l.n) % MUX_NOTES_SIZE] != '\n') {
            l.b[l.n] = (char)m->notes[(m->notes_head + l.n) % MUX_NOTES_SIZE];
            l.n++;
        }
        bool mark = l.n && l.b[0] == HELP_MARK[0];
        if (!mark && !core_line(m, &l))
            return false;
        m->notes_head = (m->notes_head + l.n + 1) % MUX_NOTES_SIZE;
        m->notes_len -= l.n + 1;
        if (mark) {
            m->help = true;
            m->help_line = 0;
            m->help_focus = 0;
            for (uint32_t i = 1; i < l.n; i++)
                m->help_focus = m->help_focus * 10 + (uint32_t)(l.b[i] - '0');
        }
    }
}

/* Moves everything it can to the UART buffer, in order: the piece being
 * copied, the core's lines, then the clients round robin. */
static void pump(struct mux *m)
{
    for (;;) {
        if (m->locked && !seg_copy(m))
            return;
        if (!core_lines(m) || !serve_next(m))
            return;
    }
}

/* "[switched to n: name]", or after removing the focused client k
 * "[client k removed; switched to 0: name]". */
static void note_focus(struct mux *m, uint32_t removed)
{
    struct line l;
    line_begin(&l, "[");
    if (removed != MUX_NONE) {
        line_str(&l, "client ");
        line_num(&l, removed);
        line_str(&l, " removed; ");
    }
    line_str(&l, "switched to ");
    line_num(&l, m->focus);
    line_str(&l, ": ");
    line_name(&l, present(m, m->focus) ? m->clients[m->focus].name : "");
    line_str(&l, "]");
    note_push(m, &l);
}

/* Typed input */

static void deliver(struct mux *m, uint8_t b)
{
    if (!present(m, m->focus)) {
        m->unrouted++;
        return;
    }
    struct mux_client *c = &m->clients[m->focus];
    if (c->in_len == c->in_size) {
        c->in_dropped++;
        return;
    }
    c->in[(c->in_head + c->in_len++) % c->in_size] = b;
}

static void typed(struct mux *m, uint8_t b)
{
    deliver(m, b);
    m->line_start = b == '\r' || b == '\n';
}

/* Ends "@<n>": the user starts a new line, for the new focus. */
static void switch_to(struct mux *m, uint32_t n)
{
    m->esc = MUX_ESC_NONE;
    m->line_start = true;
    if (present(m, n)) {
        m->focus = n;
        note_focus(m, MUX_NONE);
        return;
    }
    struct line l;
    line_begin(&l, "[no client ");
    if (n == MUX_NONE)
        line_str(&l, "with that number");
    else
        line_num(&l, n);
    line_str(&l, "]");
    note_push(m, &l);
}

/* Whether some client's number starts with the digits of n and goes on:
 * only then can "@<n>" still grow. A leading 0 never grows ("@0"). */
static bool could_grow(const struct mux *m, uint32_t n)
{
    if (n == 0 || n == MUX_NONE)
        return false;
    for (uint32_t k = 0; k < m->count; k++) {
        if (!present(m, k))
            continue;
        for (uint32_t p = k; p > n; p /= 10)
            if (p / 10 == n)
                return true;
    }
    return false;
}

/* The number so far names a client and cannot grow into another: switch
 * now, and let an Enter typed next be the command's, as after "@12". */
static void switch_if_certain(struct mux *m)
{
    if (!present(m, m->esc_num) || could_grow(m, m->esc_num))
        return;
    switch_to(m, m->esc_num);
    m->esc = MUX_ESC_DONE;
}

static void input_byte(struct mux *m, uint8_t b)
{
    bool digit = b >= '0' && b <= '9';
    switch (m->esc) {
    case MUX_ESC_DONE:
        m->esc = MUX_ESC_NONE;
        if (b != '\r' && b != '\n')
            input_byte(m, b); /* now in MUX_ESC_NONE: no deeper */
        return;
    case MUX_ESC_NONE:
        if (m->line_start && b == MUX_ESCAPE)
            m->esc = MUX_ESC_SEEN;
        else
            typed(m, b);
        return;
    case MUX_ESC_SEEN:
        m->esc = digit ? MUX_ESC_DIGITS : MUX_ESC_NONE;
        if (digit) {
            m->esc_num = (uint32_t)(b - '0');
            m->esc_deadline = m->now + MUX_DIGIT_MS;
            switch_if_certain(m);
        } else if (b == '?') {
            struct line l;
            line_begin(&l, HELP_MARK);
            line_num(&l, m->focus);
            note_push(m, &l);
        } else if (b == MUX_ESCAPE) {
            typed(m, b);
        } else {
            deliver(m, MUX_ESCAPE);
            typed(m, b);
        }
        return;
    case MUX_ESC_DIGITS:
        if (digit) {
            m->esc_num = m->esc_num > (MUX_NONE - 9) / 10 ? MUX_NONE : m->esc_num * 10 + (uint32_t)(b - '0');
            m->esc_deadline = m->now + MUX_DIGIT_MS;
            switch_if_certain(m);
            return;
        }
        switch_to(m, m->esc_num);
        if (b != '\r' && b != '\n')
            input_byte(m, b); /* now in MUX_ESC_NONE: no deeper */
        return;
    }
}

/* Client output */

/* The second byte of a sequence, whose range depends on the first: no
 * overlong forms, surrogates, or code points above U+10FFFF. */
static bool u8_second_ok(uint8_t lead, uint8_t b)
{
    uint8_t lo = lead == 0xe0 ? 0xa0 : lead == 0xf0 ? 0x90 : 0x80;
    uint8_t hi = lead == 0xed ? 0x9f : lead == 0xf4 ? 0x8f : 0xbf;
    return b >= lo && b <= hi;
}

/* Turns one byte of client output into 0..4 bytes to keep (see mux.h for
 * what passes). A UTF-8 character is kept only once complete. */
static unsigned filter(struct mux_client *c, uint8_t b, uint8_t out[4])
{
    unsigned n = 0;
    if (c->u8_need) {
        if (c->u8_len == 1 ? u8_second_ok(c->u8[0], b) : (b & 0xc0) == 0x80) {
            c->u8[c->u8_len++] = b;
            if (--c->u8_need)
                return 0;
            if (c->u8[0] == 0xc2 && c->u8[1] < 0xa0)
                return 0; /* a C1 control, e.g. U+009B CSI */
            for (; n < c->u8_len; n++)
                out[n] = c->u8[n];
            return n;
        }
        c->u8_need = 0;
        out[n++] = '?';
    }
    if (b == '\n' || b == '\t' || b == '\b' || (b >= 0x20 && b < 0x7f)) {
        out[n++] = b;
    } else if (b >= 0xc2 && b <= 0xf4) {
        c->u8[0] = b;
        c->u8_len = 1;
        c->u8_need = b >= 0xf0 ? 3 : b >= 0xe0 ? 2 : 1;
    } else if (b >= 0x80) {
        out[n++] = '?';
    }
    return n;
}

/* Makes room for n bytes in c's ring: first by letting go of its shown
 * bytes, then by moving lines to the UART. 'stuck' stops the second once it
 * failed, so a flood costs little per lost byte. */
static bool make_room(struct mux *m, struct mux_client *c, uint32_t n, bool *stuck)
{
    while (c->out_size - c->out_len < n) {
        if (c->shown && !(m->locked && &m->clients[m->cur] == c)) {
            release(c);
            continue;
        }
        uint32_t before = m->uart_len;
        if (!*stuck)
            pump(m);
        if (m->uart_len == before) {
            *stuck = true;
            return false;
        }
    }
    return true;
}

static void store(struct mux *m, struct mux_client *c, uint8_t b)
{
    if (c->at_line_start)
        c->since = m->now;
    c->out[(c->out_head + c->out_len++) % c->out_size] = b;
    c->at_line_start = b == '\n';
    c->lines += b == '\n';
}

/* The API */

bool mux_init(struct mux *m, struct mux_client *clients, uint32_t count, uint8_t *uart, uint32_t uart_size)
{
    if (!m || !clients || !count || count >= 1u << 31 || !uart || uart_size < MUX_UART_MIN ||
        uart_size >= 1u << 31)
        return false;
    zero(m, sizeof *m);
    m->clients = clients;
    m->count = count;
    m->uart = uart;
    m->uart_size = uart_size;
    m->line_start = true;
    m->cur = MUX_NONE;
    for (uint32_t k = 0; k < count; k++)
        slot_clear(&clients[k]);
    return true;
}

bool mux_add_client(struct mux *m, uint32_t k, const char *name, uint8_t *out, uint32_t out_size, uint8_t *in,
                    uint32_t in_size)
{
    if (!m || k >= m->count || m->clients[k].present || !out || !out_size || out_size >= 1u << 31 ||
        (!in && in_size) || in_size >= 1u << 31)
        return false;
    struct mux_client *c = &m->clients[k];
    slot_clear(c);
    c->present = c->at_line_start = true;
    c->name = name;
    c->out = out;
    c->out_size = out_size;
    c->in = in;
    c->in_size = in_size;
    return true;
}

bool mux_remove_client(struct mux *m, uint32_t k)
{
    if (!m || k == 0 || !present(m, k))
        return false;
    if (m->cur == k) {
        /* its line stays open on the terminal: the next writer ends it */
        m->cur = MUX_NONE;
        m->locked = false;
    }
    slot_clear(&m->clients[k]);
    if (m->focus == k) {
        m->focus = 0;
        note_focus(m, k);
    }
    pump(m);
    return true;
}

bool mux_move_clients(struct mux *m, struct mux_client *clients, uint32_t count)
{
    if (!m || !clients || !count || count >= 1u << 31)
        return false;
    if (clients == m->clients)
        return count == m->count;
    for (uint32_t k = count; k < m->count; k++)
        if (m->clients[k].present)
            return false;
    for (uint32_t k = 0; k < count; k++) {
        if (k < m->count)
            copy(&clients[k], &m->clients[k], sizeof clients[k]);
        else
            slot_clear(&clients[k]);
    }
    m->clients = clients;
    m->count = count;
    return true;
}

void mux_input(struct mux *m, const uint8_t *bytes, size_t n)
{
    if (!m || !bytes)
        return;
    for (size_t i = 0; i < n; i++)
        input_byte(m, bytes[i]);
    pump(m);
}

void mux_client_output(struct mux *m, uint32_t k, const uint8_t *bytes, size_t n)
{
    if (!m || !bytes || !present(m, k))
        return;
    struct mux_client *c = &m->clients[k];
    bool stuck = false;
    for (size_t i = 0; i < n; i++) {
        uint8_t f[4];
        unsigned nf = filter(c, bytes[i], f);
        if (nf && !make_room(m, c, nf, &stuck)) {
            if (!c->drop_note)
                c->gap = c->out_len;
            c->drop_note += nf;
            c->out_dropped += nf;
            continue;
        }
        for (unsigned j = 0; j < nf; j++)
            store(m, c, f[j]);
    }
    pump(m);
}

uint64_t mux_tick(struct mux *m, uint64_t now_ms)
{
    if (!m)
        return MUX_NO_DEADLINE;
    if (now_ms > m->now)
        m->now = now_ms;
    if (m->esc == MUX_ESC_DIGITS && m->now >= m->esc_deadline)
        switch_to(m, m->esc_num);
    pump(m);
    return mux_next_deadline(m);
}

void mux_flush_partial(struct mux *m)
{
    if (!m)
        return;
    m->flushing = true;
    pump(m);
    m->flushing = false;
}

uint64_t mux_next_deadline(const struct mux *m)
{
    if (!m)
        return MUX_NO_DEADLINE;
    uint64_t d = m->esc == MUX_ESC_DIGITS ? m->esc_deadline : MUX_NO_DEADLINE;
    for (uint32_t k = 0; k < m->count; k++) {
        const struct mux_client *c = &m->clients[k];
        uint64_t t = c->since + MUX_FLUSH_MS;
        /* a line already due waits for UART room, not for time */
        if (c->present && c->out_len > c->shown && !ready(m, k) && t > m->now && t < d)
            d = t;
    }
    return d;
}

size_t mux_uart_peek(const struct mux *m, const uint8_t **bytes)
{
    if (!m || !bytes)
        return 0;
    *bytes = m->uart + m->uart_head;
    return m->uart_len < m->uart_size - m->uart_head ? m->uart_len : m->uart_size - m->uart_head;
}

void mux_uart_consume(struct mux *m, size_t n)
{
    if (!m)
        return;
    if (n > m->uart_len)
        n = m->uart_len;
    m->uart_head = (uint32_t)((m->uart_head + n) % m->uart_size);
    m->uart_len -= (uint32_t)n;
    pump(m);
}

size_t mux_input_peek(const struct mux *m, uint32_t k, const uint8_t **bytes)
{
    if (!m || !bytes || !present(m, k) || !m->clients[k].in_len)
        return 0;
    const struct mux_client *c = &m->clients[k];
    *bytes = c->in + c->in_head;
    return c->in_len < c->in_size - c->in_head ? c->in_len : c->in_size - c->in_head;
}

void mux_input_consume(struct mux *m, uint32_t k, size_t n)
{
    if (!m || !present(m, k))
        return;
    struct mux_client *c = &m->clients[k];
    if (n > c->in_len)
        n = c->in_len;
    if (n) {
        c->in_head = (uint32_t)((c->in_head + n) % c->in_size);
        c->in_len -= (uint32_t)n;
    }
}

uint32_t mux_focus(const struct mux *m)
{
    return m ? m->focus : MUX_NONE;
}

uint64_t mux_output_dropped(const struct mux *m, uint32_t k)
{
    return m && k < m->count ? m->clients[k].out_dropped : 0;
}

uint64_t mux_input_dropped(const struct mux *m, uint32_t k)
{
    if (!m)
        return 0;
    if (k == MUX_NONE)
        return m->unrouted;
    return k < m->count ? m->clients[k].in_dropped : 0;
}

uint32_t mux_output_room(const struct mux *m, uint32_t k)
{
    if (!m || !present(m, k))
        return 0;
    const struct mux_client *c = &m->clients[k];
    /* the shown part of its open line is kept only to show it again, and
     * goes when room is needed (make_room), unless it is being copied */
    bool copying = m->locked && m->cur == k;
    return c->out_size - c->out_len + (copying ? 0 : c->shown);
}

uint32_t mux_output_pending(const struct mux *m, uint32_t k)
{
    return m && present(m, k) ? m->clients[k].out_len - m->clients[k].shown : 0;
}
