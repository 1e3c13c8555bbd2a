/* The log protocol: how a component's lines reach the log console.
 *
 * The loader gives every component a capability to send to it
 * (ic_bootinfo_t.log); lib/icecap's printf then sends each line, or each
 * piece of a long one, as one message: label IC_LOG_LABEL, MR0 the number
 * of bytes n (1 to IC_LOG_MAX_BYTES), MR1.. the bytes, eight to a word,
 * little-endian, 1 + ceil(n / 8) words in all. The loader writes them to
 * the console named console-log (docs/serial-server.md), each line starting
 * with the sender's name as the system description gives it, and drops
 * what does not fit (it never waits for the serial server). A malformed
 * message is dropped. docs/loader.md has the rest. */
#ifndef ICECAP_LOG_H
#define ICECAP_LOG_H

#define IC_LOG_LABEL 0x106cu
#define IC_LOG_MAX_BYTES 112u
#define IC_LOG_WORDS (1u + IC_LOG_MAX_BYTES / 8u)

#endif
