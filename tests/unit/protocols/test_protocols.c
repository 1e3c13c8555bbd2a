/* The code abi/protogen.awk generates from a protocol table: the log
 * protocol's (abi/protocols/log.tbl) and example.tbl's, which has every
 * kind of request and field. Both sides meet here without a kernel: what
 * the client packs, the server unpacks to the same fields; and what a
 * hostile sender can put in a message (any label, length, capability count
 * and words) is refused with an error, never read beyond its length: each
 * message lives in an allocation of exactly its words, so ASan catches a
 * read past them. */
#include "harness.h"
#include <icecap/protocols/example.h>
#include <icecap/protocols/log.h>
#include <stdlib.h>
#include <string.h>

#define SENTINEL 0x5a5a5a5a5a5a5a5aull

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next_random(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* A received message: its words in an allocation of exactly that size. */
static ic_word_t *message(const ic_word_t *words, ic_word_t length)
{
    ic_word_t *m = malloc(length ? length * sizeof(ic_word_t) : 1);
    if (length)
        memcpy(m, words, length * sizeof(ic_word_t));
    return m;
}

/* ------------------------------------------------------------ log */

TEST(log_write_packs_bytes_little_endian_eight_to_a_word)
{
    ic_word_t mr[IC_LOG_WRITE_WORDS_MAX];
    ic_msginfo_t info = 0;
    CHECK_EQ(ic_log_write_pack(mr, "Hello, world\n", 13, &info), IC_OK);
    CHECK_EQ(ic_msginfo_label(info), 0x106c);
    CHECK_EQ(ic_msginfo_length(info), 3);
    CHECK_EQ(ic_msginfo_extra_caps(info), 0);
    CHECK_EQ(mr[0], 13);
    CHECK_EQ(mr[1], 0x77202c6f6c6c6548ull); /* "Hello, w" */
    CHECK_EQ(mr[2], 0x0000000a646c726full); /* "orld\n", then zeros */
    CHECK_EQ(IC_LOG_WRITE_TEXT_MAX, 112);
    CHECK_EQ(IC_LOG_WRITE_WORDS_MAX, 15);
}

TEST(log_write_round_trips_every_length)
{
    char text[IC_LOG_WRITE_TEXT_MAX];
    for (ic_word_t n = 0; n <= IC_LOG_WRITE_TEXT_MAX; n++) {
        for (ic_word_t i = 0; i < n; i++)
            text[i] = (char)next_random();
        ic_word_t mr[IC_LOG_WRITE_WORDS_MAX];
        ic_msginfo_t info;
        CHECK_EQ(ic_log_write_pack(mr, text, n, &info), IC_OK);
        CHECK_EQ(ic_msginfo_length(info), 1 + (n + 7) / 8);
        ic_word_t *m = message(mr, ic_msginfo_length(info));
        struct ic_log_write_args args;
        CHECK_EQ(ic_log_write_unpack(info, m, &args), IC_OK);
        CHECK_EQ(args.text_len, n);
        CHECK(!memcmp(args.text, text, n));
        free(m);
    }
}

TEST(log_write_pack_refuses_too_long_a_text)
{
    char text[IC_LOG_WRITE_TEXT_MAX + 1] = { 0 };
    ic_word_t mr[IC_LOG_WRITE_WORDS_MAX] = { SENTINEL };
    ic_msginfo_t info = SENTINEL;
    CHECK_EQ(ic_log_write_pack(mr, text, IC_LOG_WRITE_TEXT_MAX + 1, &info), IC_RANGE_ERROR);
    CHECK_EQ(mr[0], SENTINEL);
    CHECK_EQ(info, SENTINEL);
}

/* One hostile message for the log's unpacker: its answer, and *args left
 * alone unless it is IC_OK. */
static ic_err_t log_unpack(ic_word_t label, ic_word_t caps, const ic_word_t *words, ic_word_t length)
{
    ic_word_t *m = message(words, length);
    struct ic_log_write_args args;
    memset(&args, 0x5a, sizeof(args));
    ic_err_t err = ic_log_write_unpack(ic_msginfo_new(label, 0, caps, length), m, &args);
    free(m);
    if (err != IC_OK) {
        CHECK_EQ(args.text_len, SENTINEL);
        CHECK_EQ((unsigned char)args.text[0], 0x5a);
    }
    return err;
}

TEST(log_write_unpack_refuses_malformed_messages)
{
    const ic_word_t w[16] = { 16, 0x4141414141414141ull, 0x4242424242424242ull, 0 };
    CHECK_EQ(log_unpack(IC_LOG_WRITE_LABEL, 0, w, 3), IC_OK);
    CHECK_EQ(log_unpack(IC_LOG_WRITE_LABEL + 1, 0, w, 3), IC_ILLEGAL_OPERATION);
    CHECK_EQ(log_unpack(0, 0, w, 3), IC_ILLEGAL_OPERATION);
    CHECK_EQ(log_unpack(IC_LOG_WRITE_LABEL, 1, w, 3), IC_INVALID_ARGUMENT); /* a capability */
    CHECK_EQ(log_unpack(IC_LOG_WRITE_LABEL, 0, w, 0), IC_TRUNCATED_MESSAGE); /* no length */
    CHECK_EQ(log_unpack(IC_LOG_WRITE_LABEL, 0, w, 2), IC_TRUNCATED_MESSAGE); /* 16 bytes in one word */
    CHECK_EQ(log_unpack(IC_LOG_WRITE_LABEL, 0, w, 4), IC_INVALID_ARGUMENT); /* a word too many */
    const ic_word_t too_long[16] = { IC_LOG_WRITE_TEXT_MAX + 1 };
    CHECK_EQ(log_unpack(IC_LOG_WRITE_LABEL, 0, too_long, 16), IC_RANGE_ERROR);
    /* lengths whose word count would overflow, or fit in a message */
    const ic_word_t huge[] = { ~0ull, ~0ull - 7, 1ull << 63, 8 * 63, 8 * 64 };
    for (unsigned i = 0; i < sizeof(huge) / sizeof(huge[0]); i++) {
        ic_word_t m[IC_MSG_MAX_LENGTH] = { huge[i] };
        CHECK_EQ(log_unpack(IC_LOG_WRITE_LABEL, 0, m, IC_MSG_MAX_LENGTH), IC_RANGE_ERROR);
    }
    /* an empty text is well formed */
    const ic_word_t empty[1] = { 0 };
    CHECK_EQ(log_unpack(IC_LOG_WRITE_LABEL, 0, empty, 1), IC_OK);
}

/* Every length word and message length a sender can choose: accepted
 * exactly when the text fits its maximum and the words it needs are all
 * there and no more. */
TEST(log_write_unpack_accepts_exactly_the_well_formed)
{
    ic_word_t w[128];
    for (ic_word_t i = 0; i < 128; i++)
        w[i] = next_random();
    for (ic_word_t n = 0; n <= IC_LOG_WRITE_TEXT_MAX + 16; n++) {
        for (ic_word_t length = 0; length < 128; length++) {
            w[0] = n;
            bool ok = n <= IC_LOG_WRITE_TEXT_MAX && length == 1 + (n + 7) / 8;
            ic_err_t err = log_unpack(IC_LOG_WRITE_LABEL, 0, w, length);
            if (ok != (err == IC_OK))
                CHECK_EQ(n * 1000 + length, ~0ull); /* names the case that failed */
        }
    }
}

/* ------------------------------------------------------------ every kind of field */

TEST(example_call_with_words_round_trips_and_replies)
{
    ic_word_t mr[IC_MSG_MAX_LENGTH];
    ic_msginfo_t info;
    CHECK_EQ(ic_example_add_pack(mr, 40, ~0ull, &info), IC_OK);
    CHECK_EQ(ic_msginfo_label(info), 2);
    CHECK_EQ(ic_msginfo_length(info), 2);
    struct ic_example_add_args args;
    CHECK_EQ(ic_example_add_unpack(info, mr, &args), IC_OK);
    CHECK_EQ(args.a, 40);
    CHECK_EQ(args.b, ~0ull);
    /* the server's reply, as the client takes it */
    ic_msginfo_t reply = ic_example_add_pack_reply(mr, 39, 1);
    CHECK_EQ(ic_msginfo_label(reply), IC_OK);
    CHECK_EQ(ic_msginfo_length(reply), IC_EXAMPLE_ADD_RESULT_WORDS);
    struct ic_example_add_results res = { SENTINEL, SENTINEL };
    CHECK_EQ(ic_example_add_unpack_reply(reply, mr, &res), IC_OK);
    CHECK_EQ(res.sum, 39);
    CHECK_EQ(res.carry, 1);
}

TEST(example_reply_errors_and_malformed_replies)
{
    const ic_word_t w[4] = { 1, 2, 3, 4 };
    struct ic_example_add_results res = { SENTINEL, SENTINEL };
    ic_word_t *m = message(w, 3);
    /* the server's error, whatever words came with it */
    CHECK_EQ(ic_example_add_unpack_reply(ic_msginfo_new(IC_RANGE_ERROR, 0, 0, 0), m, &res), IC_RANGE_ERROR);
    CHECK_EQ(ic_example_add_unpack_reply(ic_msginfo_new(IC_NOT_ENOUGH_MEMORY, 0, 0, 3), m, &res),
             IC_NOT_ENOUGH_MEMORY);
    /* a label that is no error code */
    CHECK_EQ(ic_example_add_unpack_reply(ic_msginfo_new(IC_NUM_ERRORS, 0, 0, 2), m, &res), IC_ILLEGAL_OPERATION);
    CHECK_EQ(ic_example_add_unpack_reply(ic_msginfo_new(0x106c, 0, 0, 2), m, &res), IC_ILLEGAL_OPERATION);
    /* results missing, too many, or capabilities */
    CHECK_EQ(ic_example_add_unpack_reply(ic_msginfo_new(IC_OK, 0, 0, 1), m, &res), IC_TRUNCATED_MESSAGE);
    CHECK_EQ(ic_example_add_unpack_reply(ic_msginfo_new(IC_OK, 0, 0, 3), m, &res), IC_INVALID_ARGUMENT);
    CHECK_EQ(ic_example_add_unpack_reply(ic_msginfo_new(IC_OK, 0, 1, 2), m, &res), IC_INVALID_ARGUMENT);
    CHECK_EQ(res.sum, SENTINEL);
    CHECK_EQ(res.carry, SENTINEL);
    /* a call without results: only the error counts, and the length */
    CHECK_EQ(ic_example_ping_unpack_reply(ic_msginfo_new(IC_OK, 0, 0, 0), m), IC_OK);
    CHECK_EQ(ic_example_ping_unpack_reply(ic_msginfo_new(IC_OK, 0, 0, 1), m), IC_INVALID_ARGUMENT);
    CHECK_EQ(ic_example_ping_unpack_reply(ic_msginfo_new(IC_DELETE_FIRST, 0, 0, 0), m), IC_DELETE_FIRST);
    free(m);
}

TEST(example_words_before_a_byte_string)
{
    ic_word_t mr[IC_MSG_MAX_LENGTH];
    ic_msginfo_t info;
    CHECK_EQ(ic_example_name_pack(mr, 7, "twenty bytes exactly", 20, &info), IC_OK);
    CHECK_EQ(ic_msginfo_length(info), IC_EXAMPLE_NAME_WORDS_MAX);
    CHECK_EQ(mr[0], 7);
    CHECK_EQ(mr[1], 20);
    struct ic_example_name_args args;
    ic_word_t *m = message(mr, ic_msginfo_length(info));
    CHECK_EQ(ic_example_name_unpack(info, m, &args), IC_OK);
    CHECK_EQ(args.id, 7);
    CHECK_EQ(args.text_len, 20);
    CHECK(!memcmp(args.text, "twenty bytes exactly", 20));
    free(m);
    CHECK_EQ(ic_example_name_pack(mr, 7, "twenty-one bytes, one", 21, &info), IC_RANGE_ERROR);
    /* the id alone, without the string's length */
    m = message(mr, 1);
    CHECK_EQ(ic_example_name_unpack(ic_msginfo_new(0x30, 0, 0, 1), m, &args), IC_TRUNCATED_MESSAGE);
    free(m);
}

TEST(example_largest_request_fills_a_message)
{
    char data[IC_EXAMPLE_FILL_DATA_MAX];
    for (unsigned i = 0; i < sizeof(data); i++)
        data[i] = (char)(i * 7);
    ic_word_t mr[IC_MSG_MAX_LENGTH];
    ic_msginfo_t info;
    CHECK_EQ(IC_EXAMPLE_FILL_WORDS_MAX, IC_MSG_MAX_LENGTH);
    CHECK_EQ(ic_example_fill_pack(mr, 3, data, sizeof(data), &info), IC_OK);
    CHECK_EQ(ic_msginfo_length(info), IC_MSG_MAX_LENGTH);
    ic_word_t *m = message(mr, IC_MSG_MAX_LENGTH);
    struct ic_example_fill_args args;
    CHECK_EQ(ic_example_fill_unpack(info, m, &args), IC_OK);
    CHECK_EQ(args.tag, 3);
    CHECK_EQ(args.data_len, sizeof(data));
    CHECK(!memcmp(args.data, data, sizeof(data)));
    free(m);
}

TEST(example_request_without_arguments)
{
    ic_msginfo_t info;
    CHECK_EQ(ic_example_reset_pack(NULL, &info), IC_OK);
    CHECK_EQ(info, ic_msginfo_new(0x33, 0, 0, 0));
    CHECK_EQ(ic_example_reset_unpack(info, NULL), IC_OK);
    ic_word_t w[1] = { 0 };
    CHECK_EQ(ic_example_reset_unpack(ic_msginfo_new(0x33, 0, 0, 1), w), IC_INVALID_ARGUMENT);
    CHECK_EQ(ic_example_reset_unpack(ic_msginfo_new(0x32, 0, 0, 0), NULL), IC_ILLEGAL_OPERATION);
}

/* A capability argument: the packer puts it into caps[0] and counts it in
 * the message info; the unpacker wants exactly one that arrived (the
 * kernel moves one a message into the receive slot; one to the endpoint
 * itself arrives unwrapped, as its badge, and is no capability). */
TEST(example_capability_round_trips)
{
    ic_word_t mr[IC_MSG_MAX_LENGTH], caps[IC_MSG_MAX_EXTRA_CAPS] = { SENTINEL, SENTINEL };
    ic_msginfo_t info;
    CHECK_EQ(IC_EXAMPLE_GIVE_CAPS, 1);
    CHECK_EQ(IC_EXAMPLE_ADD_CAPS, 0);
    CHECK_EQ(ic_example_give_pack(mr, caps, 9, 0x123, "slot", 4, &info), IC_OK);
    CHECK_EQ(info, ic_msginfo_new(0x34, 0, 1, 3));
    CHECK_EQ(caps[0], 0x123);
    CHECK_EQ(caps[1], SENTINEL);
    CHECK_EQ(mr[0], 9);
    CHECK_EQ(mr[1], 4);
    ic_word_t *m = message(mr, 3);
    struct ic_example_give_args args;
    CHECK_EQ(ic_example_give_unpack(info, m, &args), IC_OK);
    CHECK_EQ(args.slot, 9);
    CHECK_EQ(args.note_len, 4);
    CHECK(!memcmp(args.note, "slot", 4));
    /* nothing written when the packer refuses */
    caps[0] = SENTINEL;
    CHECK_EQ(ic_example_give_pack(mr, caps, 9, 0x123, "nine byte", 9, &info), IC_RANGE_ERROR);
    CHECK_EQ(caps[0], SENTINEL);
    free(m);
    /* a capability and no words */
    CHECK_EQ(ic_example_hand_pack(NULL, caps, 0x77, &info), IC_OK);
    CHECK_EQ(info, ic_msginfo_new(0x35, 0, 1, 0));
    CHECK_EQ(caps[0], 0x77);
    CHECK_EQ(ic_example_hand_unpack(info, NULL), IC_OK);
}

TEST(example_capability_must_arrive_once_and_not_unwrapped)
{
    const ic_word_t w[2] = { 9, 0 };
    ic_word_t *m = message(w, 2);
    struct ic_example_give_args args;
    memset(&args, 0x5a, sizeof(args));
    CHECK_EQ(ic_example_give_unpack(ic_msginfo_new(0x34, 0, 1, 2), m, &args), IC_OK);
    CHECK_EQ(args.note_len, 0);
    memset(&args, 0x5a, sizeof(args));
    /* none arrived (a sender without the grant right: the kernel drops it) */
    CHECK_EQ(ic_example_give_unpack(ic_msginfo_new(0x34, 0, 0, 2), m, &args), IC_INVALID_CAPABILITY);
    /* unwrapped into its badge, alone or before another */
    CHECK_EQ(ic_example_give_unpack(ic_msginfo_new(0x34, 1, 1, 2), m, &args), IC_INVALID_CAPABILITY);
    CHECK_EQ(ic_example_give_unpack(ic_msginfo_new(0x34, 1, 2, 2), m, &args), IC_INVALID_CAPABILITY);
    CHECK_EQ(ic_example_give_unpack(ic_msginfo_new(0x34, 2, 2, 2), m, &args), IC_INVALID_CAPABILITY);
    /* more than one */
    CHECK_EQ(ic_example_give_unpack(ic_msginfo_new(0x34, 0, 2, 2), m, &args), IC_INVALID_CAPABILITY);
    CHECK_EQ(ic_example_give_unpack(ic_msginfo_new(0x34, 0, 7, 2), m, &args), IC_INVALID_CAPABILITY);
    /* the words are checked as for any request */
    CHECK_EQ(ic_example_give_unpack(ic_msginfo_new(0x34, 0, 1, 1), m, &args), IC_TRUNCATED_MESSAGE);
    CHECK_EQ(args.slot, SENTINEL);
    CHECK_EQ(ic_example_hand_unpack(ic_msginfo_new(0x35, 0, 1, 1), m), IC_INVALID_ARGUMENT);
    CHECK_EQ(ic_example_hand_unpack(ic_msginfo_new(0x35, 0, 0, 0), m), IC_INVALID_CAPABILITY);
    /* a request without a capability argument still refuses one */
    CHECK_EQ(ic_example_reset_unpack(ic_msginfo_new(0x33, 0, 1, 0), m), IC_INVALID_ARGUMENT);
    CHECK_EQ(ic_example_reset_unpack(ic_msginfo_new(0x33, 1, 1, 0), m), IC_INVALID_ARGUMENT);
    free(m);
}

/* Random messages, labels mostly the example's, into every unpacker: each
 * refuses or accepts without reading past the message, and what it accepts
 * has the length its fields need. */
TEST(example_unpackers_take_random_messages)
{
    static const ic_word_t labels[] = { 1, 2, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35 };
    for (unsigned round = 0; round < 200000; round++) {
        ic_word_t r = next_random();
        ic_word_t label = r % 8 ? labels[(r >> 3) % 8] : next_random() >> 14;
        ic_word_t length = (r >> 8) % 128, caps = (r >> 16) % 4 ? (r >> 16) % 4 == 1 : (r >> 20) % 8;
        ic_word_t unwrapped = (r >> 24) % 4 ? 0 : (r >> 26) % 16;
        ic_word_t w[128];
        for (ic_word_t i = 0; i < 128; i++)
            w[i] = next_random() % 4 ? next_random() % 600 : next_random();
        ic_word_t *m = message(w, length);
        ic_msginfo_t info = ic_msginfo_new(label, unwrapped, caps, length);
        struct ic_example_add_args add;
        struct ic_example_give_args give;
        struct ic_example_name_args name;
        struct ic_example_lookup_args lookup;
        struct ic_example_fill_args fill;
        if (ic_example_ping_unpack(info, m) == IC_OK)
            CHECK(label == 1 && length == 0 && caps == 0);
        if (ic_example_add_unpack(info, m, &add) == IC_OK)
            CHECK(label == 2 && length == 2 && caps == 0);
        if (ic_example_name_unpack(info, m, &name) == IC_OK)
            CHECK(name.text_len <= 20 && length == 2 + (name.text_len + 7) / 8);
        if (ic_example_lookup_unpack(info, m, &lookup) == IC_OK)
            CHECK(lookup.key_len <= 8 && length == 1 + (lookup.key_len + 7) / 8);
        if (ic_example_fill_unpack(info, m, &fill) == IC_OK)
            CHECK(fill.data_len <= 496 && length == 2 + (fill.data_len + 7) / 8);
        if (ic_example_reset_unpack(info, m) == IC_OK)
            CHECK(label == 0x33 && length == 0 && caps == 0);
        if (ic_example_give_unpack(info, m, &give) == IC_OK)
            CHECK(label == 0x34 && caps == 1 && unwrapped == 0 && give.note_len <= 8 &&
                  length == 2 + (give.note_len + 7) / 8);
        if (ic_example_hand_unpack(info, m) == IC_OK)
            CHECK(label == 0x35 && caps == 1 && unwrapped == 0 && length == 0);
        struct ic_example_add_results res;
        if (ic_example_add_unpack_reply(info, m, &res) == IC_OK)
            CHECK(label == 0 && length == 2);
        free(m);
    }
}
