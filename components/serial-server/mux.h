/* The serial console multiplexer: the pure core of the serial server. One
 * physical UART is shared by any number of clients (client 0 is the host
 * VM's console; others are realms and the log of the trusted components).
 * The user types into one client at a time, the one with the focus; every
 * client's output is shown line by line in the client's own colour.
 *
 * The caller owns all memory: the struct mux, an array of struct mux_client
 * (its length is the number of client slots, chosen at run time), and per
 * client an output buffer (lines waiting for the UART) and an input buffer
 * (typed bytes waiting to be handed to the client), each of any size.
 *
 * Calling protocol of the serial server's event loop:
 *
 *   mux_init(&m, slots, nslots, uart_buf, uart_size);
 *   mux_add_client(&m, 0, "host", out0, sizeof out0, in0, sizeof in0); ...
 *   loop:
 *       wait for an event, or until mux_next_deadline(&m) (MUX_NO_DEADLINE:
 *       no timeout); then, before anything else, mux_tick(&m, now_ms)
 *       bytes typed on the UART    -> mux_input(&m, bytes, n)
 *       client k wrote bytes       -> mux_client_output(&m, k, bytes, n)
 *       realm created / destroyed  -> mux_add_client / mux_remove_client
 *       then, while the UART takes bytes:
 *           n = mux_uart_peek(&m, &p); write up to n bytes of p;
 *           mux_uart_consume(&m, written)
 *       and for each client k with room in its real input ring:
 *           n = mux_input_peek(&m, k, &p); copy up to n; mux_input_consume
 *
 * Every entry point moves as much as it can to the UART buffer before it
 * returns; nothing happens between calls. The only things that wait for
 * time are a partial output line (shown MUX_FLUSH_MS after it began) and a
 * number typed after the escape (taken MUX_DIGIT_MS after its last digit):
 * mux_tick and mux_next_deadline report the earliest such moment still in
 * the future. Work that waits for room in the UART buffer has no deadline:
 * mux_uart_consume does it.
 *
 * Typed input. '@' is the escape character, but only as the first character
 * of a line: at start-up, after a typed CR or LF, and after an escape
 * command (which types nothing). Elsewhere it is an ordinary character.
 *     @?        help: the escape, the clients (and which has the focus), the
 *               commands
 *     @<n>      focus on client n, with a notice "[switched to n: name]"; the
 *               digits end as soon as they name a client whose number no
 *               other client's continues ("@1" with clients 0 to 9, "@0"
 *               always; a CR or LF typed right after is consumed), at a
 *               CR or LF (consumed), at any other character (which is then
 *               typed, as at the start of a line, to the new focus: with
 *               clients 0 to 12, "@1ls" types "ls" to client 1, "@1@?" shows
 *               help), or MUX_DIGIT_MS after the last digit. An unknown
 *               number gives "[no client n]" and changes nothing.
 *     @@        types one '@'
 *     @x        types '@' and x
 * Everything else is passed on as typed, to the focused client's input
 * buffer. When that buffer is full the byte is dropped and counted
 * (mux_input_dropped): typed input is never held back for other clients.
 *
 * Client output. Each client's output waits in its output buffer until its
 * line is complete (LF), until MUX_FLUSH_MS after the line began, or until
 * the buffer is full (a line longer than the buffer goes out in pieces).
 * Clients with something ready are served round robin, one line (or piece)
 * each. A line is written as colour, text (in one or more pieces), reset,
 * CR LF; anything else that must be written while a client's line is open
 * first writes reset and CR LF, so no client can colour another's text or
 * the core's lines. Lines never interleave: while a client's
 * partial line is open on the terminal, anything else (another client, a
 * notice) first ends that line with CR LF. When the client then goes on
 * with its line, the line is shown again from its start on a new line (the
 * part of it still held in the client's buffer: normally all of it, so a
 * shell prompt "# " followed later by the echo "ls" reads "# ls"); bytes of
 * an open line that the client's buffer had to let go (to make room) are not
 * repeated. A line being copied to the UART buffer is finished before
 * anything else is written, so a line is never broken for a lack of room.
 *
 * What a client writes beyond the room in its buffer is dropped and counted
 * (mux_output_dropped); where the loss happened, once the bytes before it
 * have been shown, a line "[client k: n bytes dropped]" appears (n counts
 * every byte lost until then). Writers are never blocked and a client
 * cannot delay another by more than one line of its own per turn.
 *
 * Filtering of client output (which may be anything): printable ASCII, TAB,
 * BS and LF pass; CR is dropped (CR LF becomes the mux's own CR LF; a lone
 * CR cannot overwrite a line). Every other C0 control, DEL, and C1 control
 * (U+0080..U+009F) is dropped, so no client can send an escape sequence:
 * colours, cursor moves and screen clears are the mux's alone. Well-formed
 * UTF-8 passes; a malformed byte or sequence becomes '?'. The core's lines
 * (notices, help) are written in the default colour, every client's text in
 * a colour, so a client cannot forge a notice. Client names are shown with
 * anything but printable ASCII replaced by '?', cut to MUX_NAME_SHOWN.
 *
 * The core's own lines (switch notices, help, drop notices) go before
 * client output: they never wait behind another client's lines, only
 * behind the end of a line already being copied. Switch notices are queued
 * in MUX_NOTES_SIZE bytes (a few dozen notices: only a user typing commands
 * faster than the UART sends them can fill it; what finds it full is
 * counted in notes_lost, not shown); help is produced line by line, so any
 * number of clients can be listed.
 *
 * Freestanding: no libc, no system calls, no allocation. Nothing a client or
 * the user sends can make these functions touch memory outside what the
 * caller gave them; client indices from the caller are checked too. */
#ifndef SERIAL_SERVER_MUX_H
#define SERIAL_SERVER_MUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MUX_ESCAPE '@'
#define MUX_FLUSH_MS 100u        /* a partial line is shown this long after it began */
#define MUX_DIGIT_MS 500u        /* "@<n>" is taken this long after its last digit */
#define MUX_NONE UINT32_MAX      /* no client */
#define MUX_NO_DEADLINE UINT64_MAX
#define MUX_NOTES_SIZE 512u      /* queued notices, bytes */
#define MUX_LINE_MAX 96u         /* the longest line the core writes itself */
#define MUX_NAME_SHOWN 32u
#define MUX_UART_MIN 128u        /* the UART buffer must hold one core line */
#define MUX_PALETTE 12u          /* colours; client k has colour k % MUX_PALETTE */

/* One client slot. The caller sets nothing here directly: mux_add_client
 * fills a slot, the rest belongs to the core. */
struct mux_client {
    bool present;
    const char *name;
    uint8_t *out;                /* output waiting for the UART: a ring */
    uint32_t out_size, out_head, out_len;
    uint32_t shown;              /* the first 'shown' bytes of out are the client's open line,
                                    already on the terminal; kept to show it again after a break */
    uint32_t lines;              /* LFs in out: complete lines waiting */
    uint64_t since;              /* when the newest line in out began (for MUX_FLUSH_MS) */
    bool at_line_start;          /* the last byte stored was an LF (or none was) */
    uint8_t u8[4], u8_len, u8_need; /* a UTF-8 sequence being checked */
    uint32_t gap;                /* while drop_note: bytes in out before the first lost byte */
    uint64_t drop_note;          /* bytes lost not yet reported on the terminal */
    uint64_t out_dropped;        /* all output bytes ever lost */
    uint8_t *in;                 /* typed input waiting for the client: a ring */
    uint32_t in_size, in_head, in_len;
    uint64_t in_dropped;         /* typed bytes lost because in was full */
};

enum mux_escape { MUX_ESC_NONE, MUX_ESC_SEEN, MUX_ESC_DIGITS, MUX_ESC_DONE /* an Enter next is the switch's */ };

/* The multiplexer. Its fields are the core's; read them through the
 * functions below. */
struct mux {
    struct mux_client *clients;
    uint32_t count;              /* slots in clients[] */
    uint8_t *uart;               /* bytes for the UART: a ring */
    uint32_t uart_size, uart_head, uart_len;
    uint64_t now;                /* the latest time given to mux_tick, ms */
    uint32_t focus;              /* the client typed input goes to */
    /* typed input */
    bool line_start;             /* the next typed byte starts a line: '@' escapes */
    enum mux_escape esc;
    uint32_t esc_num;            /* the number after '@' so far, MUX_NONE if too big */
    uint64_t esc_deadline;       /* when the number is taken without an Enter */
    uint64_t unrouted;           /* typed bytes lost because the focus had no slot */
    /* the terminal */
    uint32_t cur;                /* whose partial line is open at the cursor, or MUX_NONE */
    bool midline;                /* the cursor is not at the start of a line */
    bool colour_on;              /* a client's colour is set on the terminal */
    bool locked;                 /* copying a line of 'cur': nothing else goes in between */
    uint32_t seg_left;           /* bytes of that line still to copy */
    bool seg_lf;                 /* and it ends with an LF */
    uint32_t rr;                 /* the client served next, round robin */
    bool flushing;               /* in mux_flush_partial: every partial line is due */
    /* the core's own lines */
    uint8_t notes[MUX_NOTES_SIZE]; /* queued lines, each ending with '\n' */
    uint32_t notes_head, notes_len;
    uint64_t notes_lost;         /* notices that found the queue full */
    bool help;                   /* help is being written */
    uint32_t help_line;          /* its next line: 0 header, 1 + slot, count + 1 trailer */
    uint32_t help_focus;         /* the focus when help was asked for */
};

/* Sets up a mux with 'count' client slots (all empty) and the caller's
 * UART buffer. Typed input goes to client 0, which should be added next.
 * False if an argument is unusable (NULL, count 0, uart_size below
 * MUX_UART_MIN or not below 2^31). */
bool mux_init(struct mux *m, struct mux_client *clients, uint32_t count, uint8_t *uart, uint32_t uart_size);

/* Fills the empty slot k, e.g. when a realm is created. The name and both
 * buffers stay the caller's and must live until the client is removed;
 * in_size may be 0 for a client that never reads input (its typed bytes are
 * dropped and counted). False if k is not an empty slot or a buffer is
 * unusable (out_size 0, sizes from 2^31). */
bool mux_add_client(struct mux *m, uint32_t k, const char *name, uint8_t *out, uint32_t out_size, uint8_t *in,
                    uint32_t in_size);

/* Empties slot k, e.g. when its realm is destroyed; its buffers are the
 * caller's again when this returns. Output not yet shown is lost: to keep
 * a dying realm's last words, wait until mux_output_pending is 0. If k had
 * the focus, the focus goes to client 0, with a notice. Client 0 cannot be
 * removed: it is where the focus goes. */
bool mux_remove_client(struct mux *m, uint32_t k);

/* Moves the client slots to a new array of 'count' slots (more or fewer:
 * every present client must fit), for a caller that outgrows the first
 * one; the old array is the caller's again when this returns. */
bool mux_move_clients(struct mux *m, struct mux_client *clients, uint32_t count);

/* Bytes typed on the UART, as the UART received them. */
void mux_input(struct mux *m, const uint8_t *bytes, size_t n);

/* Bytes client k wrote to its console. Never blocks: what has no room is
 * dropped and counted. Ignored if slot k is empty. */
void mux_client_output(struct mux *m, uint32_t k, const uint8_t *bytes, size_t n);

/* Time goes on: takes a typed number whose pause is over and shows partial
 * lines whose delay is over. now_ms is any monotonic clock in ms (a smaller
 * value than before is taken as no change). Returns mux_next_deadline. */
uint64_t mux_tick(struct mux *m, uint64_t now_ms);

/* Shows every partial line now, as if its delay were over, as far as the
 * UART buffer has room: for a caller without a timer, which calls it
 * whenever it has handled every event it was woken for (a prompt "# "
 * then appears at once instead of waiting for the next event). */
void mux_flush_partial(struct mux *m);

/* The earliest time (same clock as mux_tick) at which mux_tick has
 * something to do, MUX_NO_DEADLINE if nothing waits for time. */
uint64_t mux_next_deadline(const struct mux *m);

/* The bytes waiting for the UART: sets *bytes to the oldest and returns
 * how many follow it contiguously (0: nothing to send). The buffer is a
 * ring, so after consuming these there may be more. */
size_t mux_uart_peek(const struct mux *m, const uint8_t **bytes);

/* The UART took the first n peeked bytes (n larger than what is waiting is
 * cut to it). Frees room, so waiting lines move in. */
void mux_uart_consume(struct mux *m, size_t n);

/* Typed bytes waiting for client k, like mux_uart_peek; 0 for an empty
 * slot. The caller hands them to the client's real input ring and then
 * consumes what it took. */
size_t mux_input_peek(const struct mux *m, uint32_t k, const uint8_t **bytes);
void mux_input_consume(struct mux *m, uint32_t k, size_t n);

/* The client typed input goes to. */
uint32_t mux_focus(const struct mux *m);

/* Counters for the caller's statistics and tests: output bytes client k
 * lost for lack of room; typed bytes lost because k's input buffer was full
 * (k = MUX_NONE: because the focus had no client); bytes of k's output not
 * yet shown. 0 for an index out of range. */
uint64_t mux_output_dropped(const struct mux *m, uint32_t k);
uint64_t mux_input_dropped(const struct mux *m, uint32_t k);
uint32_t mux_output_pending(const struct mux *m, uint32_t k);
/* Room in client k's output buffer (counting the shown part of its open
 * line, which is let go when room is needed): a caller that can hold output back
 * (in the client's ring) gives at most this much less 3 (a UTF-8 sequence
 * completed by the next byte grows by up to 3), and nothing is dropped. */
uint32_t mux_output_room(const struct mux *m, uint32_t k);


#endif
