/* The serial console multiplexer (components/serial-server/mux.c). */
#include "harness.h"
#include "mux.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXC 128
#define TERM_MAX (16u << 20)

/* One mux with its storage, and what reached the "UART" so far. */
static struct {
    struct mux m;
    struct mux_client slots[MAXC];
    uint8_t uart[1 << 16];
    uint8_t out[MAXC][1 << 14];
    uint8_t in[MAXC][1 << 13];
    char names[MAXC][16];
    uint64_t now;
} R;
static char term[TERM_MAX + 1];
static size_t term_n, drained; /* drained: all bytes ever taken, across resets of term */
static char got[1 << 14];

static const char *const names[] = { "host", "log", "realm-a" };

static void setup(uint32_t nclients, uint32_t out_size, uint32_t in_size, uint32_t uart_size)
{
    memset(&R, 0, sizeof R);
    term_n = 0;
    CHECK(mux_init(&R.m, R.slots, MAXC, R.uart, uart_size));
    for (uint32_t k = 0; k < nclients; k++) {
        if (k < 3)
            strcpy(R.names[k], names[k]);
        else
            snprintf(R.names[k], sizeof R.names[k], "c%u", k);
        CHECK(mux_add_client(&R.m, k, R.names[k], R.out[k], out_size, R.in[k], in_size));
    }
}

static void out(uint32_t k, const char *s)
{
    mux_client_output(&R.m, k, (const uint8_t *)s, strlen(s));
}

static void outn(uint32_t k, const void *p, size_t n)
{
    mux_client_output(&R.m, k, p, n);
}

static void type(const char *s)
{
    mux_input(&R.m, (const uint8_t *)s, strlen(s));
}

static uint64_t tick(uint64_t ms)
{
    R.now += ms;
    return mux_tick(&R.m, R.now);
}

/* The UART takes up to max bytes. */
static size_t drain_some(size_t max)
{
    size_t total = 0;
    const uint8_t *p;
    size_t n;
    while (total < max && (n = mux_uart_peek(&R.m, &p)) != 0) {
        if (n > max - total)
            n = max - total;
        CHECK(term_n + n <= TERM_MAX);
        memcpy(term + term_n, p, n);
        term_n += n;
        total += n;
        drained += n;
        mux_uart_consume(&R.m, n);
    }
    term[term_n] = 0;
    return total;
}

static void drain(void)
{
    drain_some(SIZE_MAX);
}

/* The terminal's text: colours removed, CR LF as LF. */
static const char *plain(void)
{
    static char buf[TERM_MAX + 1];
    size_t j = 0;
    for (size_t i = 0; i < term_n; i++) {
        if (term[i] == '\x1b') {
            while (i < term_n && term[i] != 'm')
                i++;
            continue;
        }
        if (term[i] == '\r' && i + 1 < term_n && term[i + 1] == '\n')
            continue;
        buf[j++] = term[i];
    }
    buf[j] = 0;
    return buf;
}

/* Typed bytes waiting for client k, taken. */
static const char *input_of(uint32_t k)
{
    size_t n = 0, c;
    const uint8_t *p;
    while ((c = mux_input_peek(&R.m, k, &p)) != 0) {
        memcpy(got + n, p, c);
        n += c;
        mux_input_consume(&R.m, k, c);
    }
    got[n] = 0;
    return got;
}

static size_t count_of(const char *hay, const char *needle)
{
    size_t c = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
        c++;
    return c;
}

/* The byte stream is well formed: only our SGR sequences, a colour is set
 * only from the default and reset before every CR LF, CR only before LF,
 * no control bytes but TAB and BS. */
static bool stream_ok(const char *t, size_t n)
{
    bool colour = false;
    for (size_t i = 0; i < n; i++) {
        unsigned char b = (unsigned char)t[i];
        if (b == 0x1b) {
            if (i + 3 < n && !memcmp(t + i, "\x1b[0m", 4)) {
                if (!colour)
                    return false;
                colour = false;
                i += 3;
            } else if (i + 4 < n && t[i + 1] == '[' && (t[i + 2] == '3' || t[i + 2] == '9') && t[i + 4] == 'm') {
                if (colour)
                    return false;
                colour = true;
                i += 4;
            } else
                return false;
        } else if (b == '\r') {
            if (colour || i + 1 >= n || t[i + 1] != '\n')
                return false;
            i++;
        } else if ((b < 0x20 && b != '\t' && b != '\b') || b == 0x7f) {
            return false;
        }
    }
    return true;
}

/* Every bound the core promises, from its state. */
static bool invariants(void)
{
    const struct mux *m = &R.m;
    if (m->uart_len > m->uart_size || m->uart_head >= m->uart_size || m->notes_len > MUX_NOTES_SIZE)
        return false;
    if (m->focus >= m->count || (m->focus != 0 && !m->clients[m->focus].present))
        return false;
    if (m->cur != MUX_NONE && (m->cur >= m->count || !m->clients[m->cur].present || !m->midline))
        return false;
    if (m->locked && (m->cur == MUX_NONE || !m->colour_on ||
                      m->seg_left > m->clients[m->cur].out_len - m->clients[m->cur].shown))
        return false;
    for (uint32_t k = 0; k < m->count; k++) {
        const struct mux_client *c = &m->clients[k];
        if (!c->present)
            continue;
        if (c->out_len > c->out_size || c->shown > c->out_len || c->in_len > c->in_size)
            return false;
        if (c->drop_note && c->gap > c->out_len)
            return false;
        uint32_t lf = 0;
        for (uint32_t i = 0; i < c->out_len; i++)
            lf += c->out[(c->out_head + i) % c->out_size] == '\n';
        if (lf != c->lines)
            return false;
    }
    return true;
}

/* Typed input and the escape */

TEST(mux_escape_at_start_up_switches_with_a_notice)
{
    setup(3, 1024, 1024, 4096);
    CHECK_EQ(mux_focus(&R.m), 0);
    type("@1"); /* no client 10 to 19: no more digits can follow */
    CHECK_EQ(mux_focus(&R.m), 1);
    type("\r");
    CHECK_EQ(mux_focus(&R.m), 1);
    drain();
    CHECK(!strcmp(term, "[switched to 1: log]\r\n"));
    CHECK(!strcmp(input_of(0), "")); /* the Enter was the command's */
    CHECK(!strcmp(input_of(1), ""));
    type("hello\r");
    CHECK(!strcmp(input_of(1), "hello\r"));
}

TEST(mux_escape_after_cr_and_after_lf)
{
    setup(3, 1024, 1024, 4096);
    type("ls\r@1\r");
    CHECK(!strcmp(input_of(0), "ls\r"));
    CHECK_EQ(mux_focus(&R.m), 1);
    type("x\n@2\n");
    CHECK(!strcmp(input_of(1), "x\n"));
    CHECK_EQ(mux_focus(&R.m), 2);
}

TEST(mux_escape_mid_line_is_an_ordinary_character)
{
    setup(3, 1024, 1024, 4096);
    type("a@1\rb@?c@@\r");
    CHECK(!strcmp(input_of(0), "a@1\rb@?c@@\r"));
    CHECK_EQ(mux_focus(&R.m), 0);
    drain();
    CHECK_EQ(term_n, 0);
}

TEST(mux_help_lists_the_clients_and_the_focus)
{
    setup(3, 1024, 1024, 4096);
    type("@?");
    drain();
    CHECK(strstr(term, "[serial console: @ is the escape at the start of a line]\r\n") == term);
    CHECK(strstr(term, "[  0: host (focus)]\r\n"));
    CHECK(strstr(term, "[  1: log]\r\n"));
    CHECK(strstr(term, "[  2: realm-a]\r\n"));
    CHECK(strstr(term, "@<n>") && strstr(term, "@@"));
    CHECK(!strcmp(input_of(0), ""));
    type("@2\r@?"); /* a command leaves the user at the start of a line */
    drain();
    CHECK(strstr(term, "[  0: host]\r\n"));
    CHECK(strstr(term, "[  2: realm-a (focus)]\r\n"));
}

TEST(mux_help_with_many_clients_survives_a_small_uart_buffer)
{
    setup(MAXC, 256, 16, MUX_UART_MIN);
    type("@?@5\r");
    for (int i = 0; i < 1000 && drain_some(7); i++)
        ;
    for (uint32_t k = 0; k < MAXC; k++) {
        char want[64];
        snprintf(want, sizeof want, "[  %u: %s]\r\n", k, R.names[k]);
        CHECK_EQ(count_of(term, want) + (k == 0), 1); /* client 0 has " (focus)" */
    }
    /* in the order typed: the notice after the whole help */
    CHECK(strstr(term, "[switched to 5: c5]") > strstr(term, "[  63: c63]"));
}

TEST(mux_multi_digit_number_ended_by_enter)
{
    setup(14, 1024, 1024, 4096);
    type("@12\r");
    CHECK_EQ(mux_focus(&R.m), 12);
    drain();
    CHECK(!strcmp(term, "[switched to 12: c12]\r\n"));
    CHECK(!strcmp(input_of(12), ""));
}

TEST(mux_multi_digit_number_ended_by_another_character_types_it)
{
    setup(14, 1024, 1024, 4096);
    type("@12ls\r");
    CHECK_EQ(mux_focus(&R.m), 12);
    CHECK(!strcmp(input_of(12), "ls\r"));
    CHECK(!strcmp(input_of(0), ""));
    type("@1@?"); /* the character ending the number starts a line: "@?" is help */
    CHECK_EQ(mux_focus(&R.m), 1);
    drain();
    CHECK(strstr(term, "[  1: log (focus)]"));
    CHECK(!strcmp(input_of(1), ""));
}

TEST(mux_a_number_that_can_grow_waits)
{
    setup(14, 1024, 1024, 4096);
    type("@1");
    CHECK_EQ(mux_focus(&R.m), 0); /* clients 10 to 13 exist */
    type("3");
    CHECK_EQ(mux_focus(&R.m), 13); /* 130 to 139 do not */
    type("ls\r"); /* the switch was certain, the line begins */
    CHECK(!strcmp(input_of(13), "ls\r"));
    type("@0");
    CHECK_EQ(mux_focus(&R.m), 0); /* "@0" never grows */
    type("@1\r");
    CHECK_EQ(mux_focus(&R.m), 1);
    CHECK(!strcmp(input_of(1), ""));
    drain();
    CHECK(!strcmp(term, "[switched to 13: c13]\r\n[switched to 0: host]\r\n[switched to 1: log]\r\n"));
}

TEST(mux_multi_digit_number_taken_after_the_pause)
{
    setup(125, 1024, 1024, 4096); /* 120 to 124: "@12" can grow */
    CHECK_EQ(mux_next_deadline(&R.m), MUX_NO_DEADLINE);
    tick(1000);
    type("@1");
    CHECK_EQ(mux_next_deadline(&R.m), 1000 + MUX_DIGIT_MS);
    CHECK_EQ(tick(400), 1000 + MUX_DIGIT_MS);
    type("2"); /* a digit restarts the pause */
    CHECK_EQ(mux_next_deadline(&R.m), 1400 + MUX_DIGIT_MS);
    tick(MUX_DIGIT_MS - 1);
    CHECK_EQ(mux_focus(&R.m), 0);
    CHECK_EQ(tick(1), MUX_NO_DEADLINE);
    CHECK_EQ(mux_focus(&R.m), 12);
    drain();
    CHECK(!strcmp(term, "[switched to 12: c12]\r\n"));
    type("@0\r"); /* still at the start of a line */
    CHECK_EQ(mux_focus(&R.m), 0);
}

TEST(mux_unknown_number_changes_nothing)
{
    setup(3, 1024, 1024, 4096);
    type("@7\r");
    CHECK_EQ(mux_focus(&R.m), 0);
    type("@99999999999999\r");
    CHECK_EQ(mux_focus(&R.m), 0);
    type("@63\r"); /* a slot, but empty */
    CHECK_EQ(mux_focus(&R.m), 0);
    drain();
    CHECK(!strcmp(term, "[no client 7]\r\n[no client with that number]\r\n[no client 63]\r\n"));
    CHECK(!strcmp(input_of(0), ""));
}

TEST(mux_at_at_types_one_at)
{
    setup(3, 1024, 1024, 4096);
    type("@@1\r");
    CHECK(!strcmp(input_of(0), "@1\r"));
    type("@@@1\r"); /* after "@@" the line has begun: "@1" is text */
    CHECK(!strcmp(input_of(0), "@@1\r"));
    CHECK_EQ(mux_focus(&R.m), 0);
    drain();
    CHECK_EQ(term_n, 0);
}

TEST(mux_at_and_another_character_types_both)
{
    setup(3, 1024, 1024, 4096);
    type("@x@1");
    CHECK(!strcmp(input_of(0), "@x@1"));
    type("\r@\r@1\r"); /* "@" CR is typed; the CR starts a line */
    CHECK(!strcmp(input_of(0), "\r@\r"));
    CHECK_EQ(mux_focus(&R.m), 1);
}

TEST(mux_paste_of_4k_reaches_the_focus_in_full)
{
    setup(3, 1024, 4096, 4096);
    char paste[4097];
    for (int i = 0; i < 4096; i++)
        paste[i] = i % 61 == 60 ? '\r' : (i % 7 == 3 ? '@' : (char)('a' + i % 26)); /* '@' never after CR */
    paste[4096] = 0;
    type(paste);
    CHECK(!strcmp(input_of(0), paste));
    CHECK_EQ(mux_input_dropped(&R.m, 0), 0);
}

TEST(mux_full_input_buffer_drops_and_counts)
{
    setup(3, 1024, 16, 4096);
    type("0123456789abcdefXYZW");
    CHECK_EQ(mux_input_dropped(&R.m, 0), 4);
    const uint8_t *p;
    CHECK_EQ(mux_input_peek(&R.m, 0, &p), 16);
    mux_input_consume(&R.m, 0, 10);
    type("ghij");
    CHECK(!strcmp(input_of(0), "abcdefghij")); /* across the ring's end */
    CHECK_EQ(mux_input_dropped(&R.m, 0), 4);
}

/* Client output */

TEST(mux_each_client_has_its_colour_reset_before_the_line_end)
{
    setup(3, 1024, 1024, 4096);
    out(0, "a\n");
    out(1, "b\n");
    out(2, "c\n");
    drain();
    CHECK(!strcmp(term, "\x1b[32ma\x1b[0m\r\n\x1b[33mb\x1b[0m\r\n\x1b[36mc\x1b[0m\r\n"));
    CHECK(stream_ok(term, term_n));
}

TEST(mux_palette_cycles_for_many_clients)
{
    setup(14, 1024, 1024, 4096);
    out(12, "x\n");
    out(6, "y\n");
    drain();
    CHECK(!strcmp(term, "\x1b[32mx\x1b[0m\r\n\x1b[92my\x1b[0m\r\n"));
}

TEST(mux_client_cannot_send_escape_sequences_or_controls)
{
    setup(3, 1024, 1024, 4096);
    static const char nasty[] = "\x1b[31mred\rX\x00\x07\x7f\x1b]0;title\x07\n";
    outn(1, nasty, sizeof nasty - 1);
    outn(1, "a\0b\n", 4);
    out(2, "\xc2\x9b" "31m\n"); /* CSI as a C1 control */
    out(0, "tab\tbs\b\n");
    drain();
    CHECK(!strcmp(term, "\x1b[33m[31mredX]0;title\x1b[0m\r\n\x1b[33mab\x1b[0m\r\n"
                        "\x1b[36m31m\x1b[0m\r\n\x1b[32mtab\tbs\b\x1b[0m\r\n"));
    CHECK(stream_ok(term, term_n));
}

TEST(mux_utf8_passes_and_malformed_bytes_become_question_marks)
{
    setup(3, 1024, 1024, 4096);
    out(0, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\n"); /* é € 😀 */
    out(0, "\xff|\xc3(|\xe0\x80\x80|\xed\xa0\x80|\x80\n");
    drain();
    CHECK(!strcmp(plain(), "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\n?|?(|???|???|?\n"));
    out(0, "\xe2\x82"); /* a character split between writes */
    out(0, "\xac\n");
    drain();
    CHECK(strstr(plain(), "\n\xe2\x82\xac\n"));
}

TEST(mux_partial_line_is_shown_after_the_delay)
{
    setup(3, 1024, 1024, 4096);
    tick(50);
    out(0, "# ");
    drain();
    CHECK_EQ(term_n, 0);
    CHECK_EQ(mux_next_deadline(&R.m), 50 + MUX_FLUSH_MS);
    tick(MUX_FLUSH_MS - 1);
    drain();
    CHECK_EQ(term_n, 0);
    CHECK_EQ(tick(1), MUX_NO_DEADLINE);
    drain();
    CHECK(!strcmp(term, "\x1b[32m# ")); /* the line is open, in its colour */
    out(0, "l"); /* its line is open at the cursor: no delay now */
    out(0, "s\n");
    drain();
    CHECK(!strcmp(term, "\x1b[32m# ls\x1b[0m\r\n"));
    CHECK(stream_ok(term, term_n));
}

TEST(mux_flush_partial_shows_open_lines_at_once)
{
    setup(3, 1024, 1024, 4096);
    out(0, "# ");
    out(2, "realm$ ");
    mux_flush_partial(&R.m);
    drain();
    CHECK(!strcmp(term, "\x1b[32m# \x1b[0m\r\n\x1b[36mrealm$ "));
    term_n = 0;
    mux_flush_partial(&R.m); /* nothing new: nothing written */
    drain();
    CHECK_EQ(term_n, 0);
    out(2, "ls\n"); /* its line is open: it goes on */
    drain();
    CHECK(!strcmp(term, "ls\x1b[0m\r\n"));
    CHECK_EQ(mux_next_deadline(&R.m), MUX_NO_DEADLINE);
}

TEST(mux_line_in_several_writes_is_shown_whole)
{
    setup(3, 1024, 1024, 4096);
    out(1, "hello ");
    tick(MUX_FLUSH_MS / 2);
    out(0, "other\n");
    out(1, "world\n");
    drain();
    CHECK(!strcmp(plain(), "other\nhello world\n"));
}

TEST(mux_lines_of_two_clients_never_interleave)
{
    setup(3, 1024, 1024, 4096);
    out(0, "# ");
    tick(MUX_FLUSH_MS);
    out(1, "log line\n");
    drain();
    CHECK(!strcmp(term, "\x1b[32m# \x1b[0m\r\n\x1b[33mlog line\x1b[0m\r\n"));
    out(0, "ls"); /* the prompt is shown again, with what follows */
    drain();
    CHECK(!strcmp(plain(), "# \nlog line\n# ls"));
    out(0, "\n");
    out(1, "part");
    tick(MUX_FLUSH_MS);
    out(2, "x\n");
    drain();
    CHECK(!strcmp(plain(), "# \nlog line\n# ls\npart\nx\n"));
    CHECK(stream_ok(term, term_n));
}

TEST(mux_notices_break_an_open_line)
{
    setup(3, 1024, 1024, 4096);
    out(0, "# ");
    tick(MUX_FLUSH_MS);
    type("@1\r");
    drain();
    CHECK(!strcmp(term, "\x1b[32m# \x1b[0m\r\n[switched to 1: log]\r\n"));
}

TEST(mux_clients_with_lines_ready_take_turns)
{
    setup(3, 1024, 1024, MUX_UART_MIN);
    char big[201];
    memset(big, 'z', 200);
    big[200] = 0;
    out(2, big); /* fills the UART buffer */
    out(2, "\n");
    out(0, "a1\na2\na3\n");
    out(1, "b1\nb2\nb3\n");
    for (int i = 0; i < 100 && drain_some(5); i++)
        ;
    CHECK(strstr(plain(), "\na1\nb1\na2\nb2\na3\nb3\n"));
    CHECK(stream_ok(term, term_n));
}

TEST(mux_long_line_goes_out_in_pieces)
{
    setup(3, 256, 16, 1 << 16);
    char line[10002];
    memset(line, 'a', 10000);
    line[10000] = '\n';
    line[10001] = 0;
    out(1, line);
    drain();
    CHECK_EQ(mux_output_dropped(&R.m, 1), 0);
    CHECK_EQ(count_of(plain(), "a"), 10000);
    CHECK(plain()[strlen(plain()) - 1] == '\n');
    CHECK(stream_ok(term, term_n));
}

TEST(mux_slow_uart_keeps_lines_waiting_then_drains)
{
    setup(3, 8192, 16, MUX_UART_MIN);
    char want[4096] = "", line[64];
    for (int i = 0; i < 50; i++) {
        snprintf(line, sizeof line, "line %02d of forty characters, more or less\n", i);
        strcat(want, line);
        out(0, line);
    }
    CHECK_EQ(R.m.uart_len, MUX_UART_MIN); /* full: the rest waits */
    CHECK(mux_output_pending(&R.m, 0) > 1000);
    for (int i = 0; i < 10000 && drain_some(7); i++)
        ;
    CHECK(!strcmp(plain(), want));
    CHECK_EQ(mux_output_dropped(&R.m, 0), 0);
    CHECK_EQ(mux_output_pending(&R.m, 0), 0);
}

/* A client writing megabytes while the UART drains slowly. */
static void flood(uint32_t k, size_t total, bool newlines)
{
    char chunk[4096];
    for (size_t i = 0; i < sizeof chunk; i++)
        chunk[i] = newlines && i % 100 == 99 ? '\n' : 'x';
    for (size_t sent = 0; sent < total; sent += sizeof chunk) {
        outn(k, chunk, sizeof chunk);
        drain_some(64);
        if (sent == total / 2) {
            out(1, "important\n");
            type("hi\r@1\rthere\r");
        }
        if (sent % (256 * 1024) == 0)
            CHECK(invariants());
    }
}

static void check_after_flood(uint32_t k, size_t total)
{
    tick(MUX_FLUSH_MS);
    drain();
    const char *p = plain();
    CHECK(strstr(p, "important\n"));
    CHECK(strstr(p, "\n[switched to 1: log]\n"));
    CHECK(!strcmp(input_of(0), "hi\r"));
    CHECK(!strcmp(input_of(1), "there\r"));
    CHECK_EQ(mux_focus(&R.m), 1);
    uint64_t dropped = mux_output_dropped(&R.m, k), noted = 0;
    CHECK(dropped > total - total / 8);
    /* every kept byte is shown: x or the end of a line of k (all but
     * "important"); a line broken by a notice or "important" may be shown
     * again from its start */
    uint64_t shown = count_of(p, "x") + count_of(term, "\x1b[0m\r\n") - 1;
    CHECK(shown >= total - dropped && shown <= total - dropped + 2 * 1024);
    /* every lost byte is in exactly one notice */
    char pat[32];
    snprintf(pat, sizeof pat, "[client %u: ", k);
    for (const char *q = p; (q = strstr(q, pat)) != NULL; q++)
        noted += strtoull(q + strlen(pat), NULL, 10);
    CHECK_EQ(noted, dropped);
    CHECK(stream_ok(term, term_n));
    CHECK(invariants());
}

TEST(mux_flood_of_lines_does_not_hide_others)
{
    setup(3, 1024, 64, 512);
    flood(2, 4u << 20, true);
    check_after_flood(2, 4u << 20);
}

TEST(mux_flood_without_newlines_does_not_hide_others)
{
    setup(3, 1024, 64, 512);
    flood(2, 4u << 20, false);
    check_after_flood(2, 4u << 20);
}

TEST(mux_drop_notice_comes_after_what_was_kept)
{
    setup(3, 64, 16, MUX_UART_MIN);
    for (int i = 0; i < 2; i++)
        out(0, "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\n");
    CHECK_EQ(R.m.uart_len, MUX_UART_MIN); /* full */
    char many[201];
    memset(many, 'y', 200);
    many[200] = 0;
    out(1, "first line\n");
    out(1, many);
    out(1, "\n");
    CHECK_EQ(mux_output_dropped(&R.m, 1), 200 - (64 - 11) + 1);
    CHECK_EQ(mux_output_dropped(&R.m, 0), 0);
    tick(MUX_FLUSH_MS); /* the kept part of the y line is a partial line */
    for (int i = 0; i < 1000 && drain_some(9); i++)
        ;
    out(1, "next\n");
    drain();
    char want[128];
    snprintf(want, sizeof want, "\nfirst line\n%.53s\n[client 1: 148 bytes dropped]\nnext\n", many);
    CHECK(strstr(plain(), want));
    CHECK_EQ(count_of(plain(), "dropped"), 1);
    CHECK(stream_ok(term, term_n));
}

TEST(mux_notice_is_not_lost_while_the_uart_is_flooded)
{
    setup(3, 1024, 64, MUX_UART_MIN);
    for (int i = 0; i < 100; i++)
        out(2, "flood flood flood flood flood flood flood flood\n");
    CHECK_EQ(R.m.uart_len, MUX_UART_MIN);
    type("@1\r");
    for (int i = 0; i < 100; i++)
        out(2, "flood flood flood flood flood flood flood flood\n");
    drain_some(300);
    CHECK(strstr(plain(), "\n[switched to 1: log]\n")); /* ahead of the waiting lines */
    CHECK_EQ(mux_focus(&R.m), 1);
}

/* Clients come and go */

TEST(mux_adds_a_client_at_run_time)
{
    setup(2, 1024, 64, 4096);
    type("@3\r");
    CHECK_EQ(mux_focus(&R.m), 0);
    CHECK(mux_add_client(&R.m, 3, "realm-b", R.out[3], 1024, R.in[3], 64));
    CHECK(!mux_add_client(&R.m, 3, "again", R.out[3], 1024, R.in[3], 64));
    CHECK(!mux_add_client(&R.m, MAXC, "beyond", R.out[4], 1024, R.in[4], 64));
    CHECK(!mux_add_client(&R.m, 4, "no buffer", NULL, 1024, R.in[4], 64));
    type("@3\rhi\r");
    CHECK_EQ(mux_focus(&R.m), 3);
    CHECK(!strcmp(input_of(3), "hi\r"));
    out(3, "up\n");
    drain();
    CHECK(!strcmp(term, "[no client 3]\r\n[switched to 3: realm-b]\r\n\x1b[35mup\x1b[0m\r\n"));
}

TEST(mux_removes_clients_and_the_focus_falls_back_to_client_0)
{
    setup(3, 1024, 64, 4096);
    type("@1\r");
    out(2, "unseen");
    CHECK(mux_remove_client(&R.m, 2));
    CHECK(!mux_remove_client(&R.m, 2));
    CHECK(!mux_remove_client(&R.m, 0)); /* where the focus goes */
    CHECK_EQ(mux_focus(&R.m), 1);
    out(2, "ignored\n");
    CHECK_EQ(mux_output_pending(&R.m, 2), 0);
    CHECK(mux_remove_client(&R.m, 1));
    CHECK_EQ(mux_focus(&R.m), 0);
    type("x");
    CHECK(!strcmp(input_of(0), "x"));
    tick(1000);
    drain();
    CHECK(!strcmp(term, "[switched to 1: log]\r\n[client 1 removed; switched to 0: host]\r\n"));
    type("\r@2\r");
    CHECK_EQ(mux_focus(&R.m), 0);
}

TEST(mux_removing_a_client_mid_line_closes_its_line)
{
    setup(3, 1024, 64, MUX_UART_MIN);
    char big[301];
    memset(big, 'q', 300);
    big[300] = 0;
    out(1, big);
    out(1, "\n"); /* its line is being copied when it goes */
    out(0, "after\n");
    CHECK(mux_remove_client(&R.m, 1));
    drain();
    CHECK(strstr(term, "qqq\x1b[0m\r\n\x1b[32mafter\x1b[0m\r\n"));
    CHECK(stream_ok(term, term_n));
    out(0, "# ");
    tick(MUX_FLUSH_MS);
    CHECK(mux_add_client(&R.m, 1, "log", R.out[1], 1024, R.in[1], 64));
    out(1, "new\n");
    drain();
    CHECK(strstr(plain(), "after\n# \nnew\n"));
}

TEST(mux_moves_its_clients_to_a_larger_array)
{
    static struct mux_client small[2], large[MAXC];
    memset(&R, 0, sizeof R);
    term_n = 0;
    CHECK(mux_init(&R.m, small, 2, R.uart, 4096));
    CHECK(mux_add_client(&R.m, 0, "host", R.out[0], 1024, R.in[0], 64));
    CHECK(mux_add_client(&R.m, 1, "log", R.out[1], 1024, R.in[1], 64));
    CHECK(!mux_add_client(&R.m, 2, "realm", R.out[2], 1024, R.in[2], 64));
    type("@1\r");
    out(1, "half ");
    CHECK(!mux_move_clients(&R.m, large, 1)); /* client 1 would not fit */
    CHECK(mux_move_clients(&R.m, large, MAXC));
    memset(small, 0xa5, sizeof small); /* the old array is the caller's again */
    CHECK(mux_add_client(&R.m, 40, "realm", R.out[2], 1024, R.in[2], 64));
    out(1, "line\n");
    out(40, "r\n");
    type("a@40\rb");
    drain();
    CHECK_EQ(mux_focus(&R.m), 1);
    CHECK(!strcmp(input_of(1), "a@40\rb"));
    CHECK(!strcmp(plain(), "[switched to 1: log]\nhalf line\nr\n"));
}

TEST(mux_rejects_unusable_arguments)
{
    struct mux m;
    static struct mux_client s[2];
    static uint8_t u[MUX_UART_MIN];
    CHECK(!mux_init(&m, s, 0, u, sizeof u));
    CHECK(!mux_init(&m, NULL, 2, u, sizeof u));
    CHECK(!mux_init(&m, s, 2, u, MUX_UART_MIN - 1));
    CHECK(mux_init(&m, s, 2, u, sizeof u));
    CHECK(!mux_add_client(&m, 0, "zero", u, 0, NULL, 0));
    CHECK(mux_add_client(&m, 0, "no input", u, 8, NULL, 0));
    mux_input(&m, (const uint8_t *)"abc", 3);
    CHECK_EQ(mux_input_dropped(&m, 0), 3);
    mux_client_output(&m, 7, (const uint8_t *)"x", 1);
    CHECK_EQ(mux_output_dropped(&m, 7), 0);
    const uint8_t *p;
    CHECK_EQ(mux_input_peek(&m, 9, &p), 0);
    mux_input_consume(&m, 9, 5);
    mux_uart_consume(&m, 1000);
    CHECK_EQ(mux_uart_peek(&m, &p), 0);
}

TEST(mux_input_without_a_client_0_is_counted)
{
    static struct mux_client s[2];
    struct mux m;
    CHECK(mux_init(&m, s, 2, R.uart, 4096));
    mux_input(&m, (const uint8_t *)"abc", 3);
    CHECK_EQ(mux_input_dropped(&m, MUX_NONE), 3);
}

/* Random input, random output, random drains: the state stays in bounds,
 * the byte stream stays well formed, and everything is shown in the end. */
TEST(mux_fuzz_keeps_its_invariants)
{
    static const uint8_t typed_alphabet[] = "@@@?0123456789\r\nab";
    static const uint8_t out_alphabet[] = "\n\n\x1b[31m\r\t\b\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xff\x80\xc2\x9b\x07x";
    static const uint32_t out_sizes[] = { 1, 3, 17, 64, 200, 1000 };
    srand(12345);
    setup(0, 0, 0, MUX_UART_MIN + 37);
    drained = 0;
    for (int round = 0; round < 200000; round++) {
        uint32_t k = (uint32_t)rand() % 6;
        uint8_t buf[300];
        size_t n = (size_t)rand() % sizeof buf;
        switch (rand() % 10) {
        case 0:
        case 1:
        case 2:
            for (size_t i = 0; i < n; i++)
                buf[i] = rand() % 4 ? out_alphabet[rand() % (sizeof out_alphabet - 1)] : (uint8_t)rand();
            outn(k, buf, n);
            break;
        case 3:
            for (size_t i = 0; i < n % 8; i++)
                buf[i] = rand() % 8 ? typed_alphabet[rand() % (sizeof typed_alphabet - 1)] : (uint8_t)rand();
            mux_input(&R.m, buf, n % 8);
            break;
        case 4:
            tick((uint64_t)rand() % 200);
            break;
        case 5:
        case 6:
            if (term_n > TERM_MAX / 2) {
                /* up to the last line end, where no colour is on and no
                 * escape sequence is cut in two */
                size_t cut = term_n;
                while (cut && term[cut - 1] != '\n')
                    cut--;
                CHECK(stream_ok(term, cut));
                memmove(term, term + cut, term_n - cut);
                term_n -= cut;
            }
            drain_some((size_t)rand() % 100);
            break;
        case 7:
            input_of(k);
            break;
        case 8:
            if (rand() % 4 == 0 && k != 0)
                mux_remove_client(&R.m, k);
            else
                mux_add_client(&R.m, k, names[k % 3], R.out[k], out_sizes[rand() % 6], R.in[k], (uint32_t)rand() % 32);
            break;
        default:
            out(k, "a whole line\n");
            break;
        }
        CHECK(invariants());
    }
    drain(); /* nothing cut in two */
    CHECK(stream_ok(term, term_n));
    CHECK(drained > 1000000); /* it did go somewhere */
    /* the end: with time and a drained UART, nothing is left waiting */
    for (int i = 0; i < 100; i++) {
        tick(1000);
        term_n = 0;
        drain();
    }
    for (uint32_t k = 0; k < MAXC; k++)
        CHECK_EQ(mux_output_pending(&R.m, k), 0);
    CHECK_EQ(R.m.notes_len, 0);
    CHECK(!R.m.help && !R.m.locked);
}
