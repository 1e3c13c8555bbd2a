/* The message info word: label, length and capability counts of a message. */
#ifndef ICECAP_MSGINFO_H
#define ICECAP_MSGINFO_H

#include <icecap/types.h>

/* bits 0..6 length, 7..9 extra caps, 10..13 caps unwrapped, 14..63 label */
#define IC_MSGINFO_LENGTH_BITS 7
#define IC_MSGINFO_CAPS_SHIFT 7
#define IC_MSGINFO_UNWRAPPED_SHIFT 10
#define IC_MSGINFO_LABEL_SHIFT 14

typedef ic_word_t ic_msginfo_t;

static inline ic_msginfo_t ic_msginfo_new(ic_word_t label, ic_word_t unwrapped, ic_word_t extra_caps,
                                          ic_word_t length)
{
    return (label << IC_MSGINFO_LABEL_SHIFT) | ((unwrapped & 0xf) << IC_MSGINFO_UNWRAPPED_SHIFT) |
           ((extra_caps & 0x7) << IC_MSGINFO_CAPS_SHIFT) | (length & 0x7f);
}
static inline ic_word_t ic_msginfo_label(ic_msginfo_t m) { return m >> IC_MSGINFO_LABEL_SHIFT; }
static inline ic_word_t ic_msginfo_length(ic_msginfo_t m) { return m & 0x7f; }
static inline ic_word_t ic_msginfo_extra_caps(ic_msginfo_t m) { return (m >> IC_MSGINFO_CAPS_SHIFT) & 0x7; }
static inline ic_word_t ic_msginfo_unwrapped(ic_msginfo_t m) { return (m >> IC_MSGINFO_UNWRAPPED_SHIFT) & 0xf; }

#endif
