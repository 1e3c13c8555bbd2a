/* The kernel's log (DebugLog): once taken, the kernel's lines go there, the
 * taker's bound notification hears of them, what does not fit is counted,
 * and only threads with console access may take it. */
#include "test.h"

static volatile ic_word_t dl_result;

static void undefined_instruction(ic_word_t unused0, ic_word_t unused1)
{
    (void)unused0;
    (void)unused1;
    __asm__ volatile("udf #0x42" ::: "memory");
}

/* All the log holds, up to 'max' - 1 bytes in 'text'; returns the lines
 * lost that the kernel reported meanwhile. */
static ic_word_t read_log(char *text, unsigned max, unsigned *len)
{
    char buf[IC_DEBUG_LOG_BYTES];
    ic_word_t lost = 0, total_lost = 0;
    long n;
    *len = 0;
    while ((n = ic_debug_log(buf, &lost)) > 0 || (n == 0 && lost)) {
        total_lost += lost;
        for (long i = 0; i < n; i++)
            if (*len + 1 < max)
                text[(*len)++] = buf[i];
    }
    text[*len] = 0;
    return total_lost;
}

static bool contains(const char *hay, const char *needle)
{
    for (; *hay; hay++) {
        const char *h = hay, *n = needle;
        while (*n && *h == *n)
            h++, n++;
        if (!*n)
            return true;
    }
    return false;
}

static char log_text[8192];

TEST(debug_log_takes_the_kernel_lines)
{
    ic_cptr_t n = alloc_object(IC_OBJ_NOTIFICATION, 0);
    CHECK(n);
    CHECK_OK(ic_tcb_bind_notification(ROOT_TCB, n));
    unsigned len;
    read_log(log_text, sizeof log_text, &len); /* from here on the lines are in the log */
    ic_word_t bits;
    ic_poll(n, &bits);
    struct thread t;
    CHECK(thread_start(&t, undefined_instruction, 0, 0, 100, 0));
    ic_wait(n, &bits); /* the kernel signals once it wrote the line */
    CHECK(bits & IC_DEBUG_LOG_BADGE);
    ic_word_t lost = read_log(log_text, sizeof log_text, &len);
    CHECK_EQ(lost, 0);
    CHECK(contains(log_text, "user exception"));
    CHECK(contains(log_text, "with no fault endpoint; stopped\n"));
    CHECK_OK(ic_debug_log_stop());
    CHECK_OK(ic_tcb_unbind_notification(ROOT_TCB));
}

TEST(debug_log_counts_what_does_not_fit)
{
    unsigned len;
    read_log(log_text, sizeof log_text, &len);
    /* about 80 bytes a line: 80 lines are more than its 4 KiB */
    for (unsigned i = 0; i < 80; i++) {
        struct thread t;
        CHECK(thread_start(&t, undefined_instruction, 0, 0, 100, 0));
    }
    CHECK(let_threads_run());
    ic_word_t lost = read_log(log_text, sizeof log_text, &len);
    CHECK_OK(ic_debug_log_stop());
    CHECK(lost > 0);
    CHECK(len > 3000 && len <= 4096);
    /* lines are kept or lost whole: each of the 80 is in the log or counted */
    unsigned lines = 0;
    for (unsigned i = 0; i < len; i++)
        lines += log_text[i] == '\n';
    CHECK_EQ(log_text[len - 1], '\n');
    CHECK_EQ(lines + lost, 80);
}

static void try_debug_log(ic_word_t unused0, ic_word_t unused1)
{
    (void)unused0;
    (void)unused1;
    char buf[IC_DEBUG_LOG_BYTES];
    ic_word_t lost = 0;
    dl_result = (ic_word_t)-ic_debug_log(buf, &lost);
}

TEST(debug_log_refused_without_console_access)
{
    dl_result = 0;
    struct thread t;
    CHECK(thread_create(&t, try_debug_log, 0, 0, 100, 0));
    CHECK_OK(ic_tcb_set_access(t.tcb, 0, ROOT_TCB));
    CHECK_OK(ic_tcb_resume(t.tcb));
    CHECK(let_threads_run());
    CHECK_EQ(dl_result, IC_ILLEGAL_OPERATION);
}

static void take_log_once(ic_word_t unused0, ic_word_t unused1)
{
    (void)unused0;
    (void)unused1;
    char buf[IC_DEBUG_LOG_BYTES];
    ic_word_t lost = 0;
    dl_result = (ic_word_t)ic_debug_log(buf, &lost);
}

/* The reader is destroyed while the log is on: the kernel's next line
 * signals nobody (it must not touch the dead TCB), stays in the log, and
 * the next taker reads it. Garbage operations are refused. */
TEST(debug_log_reader_destroyed_then_garbage)
{
    unsigned len;
    read_log(log_text, sizeof log_text, &len);
    ic_cptr_t n = alloc_object(IC_OBJ_NOTIFICATION, 0);
    CHECK(n);
    struct thread reader;
    dl_result = ~0ull;
    CHECK(thread_create(&reader, take_log_once, 0, 0, 100, 0));
    CHECK_OK(ic_tcb_bind_notification(reader.tcb, n));
    CHECK_OK(ic_tcb_resume(reader.tcb));
    CHECK(let_threads_run());
    CHECK(dl_result != ~0ull);
    /* the reader (now that thread) goes, its memory with it */
    CHECK_OK(ic_cnode_delete(ROOT_CNODE, reader.tcb, ROOT_DEPTH));
    struct thread t;
    CHECK(thread_start(&t, undefined_instruction, 0, 0, 100, 0));
    CHECK(let_threads_run());
    read_log(log_text, sizeof log_text, &len);
    CHECK(contains(log_text, "with no fault endpoint; stopped\n"));
    static const ic_word_t garbage[] = { 2, 3, 0xff, 1ull << 32, 1ull << 63, ~0ull };
    for (unsigned k = 0; k < sizeof garbage / sizeof garbage[0]; k++) {
        ic_word_t r[6] = { garbage[k], 1, 2, 3, 4, 5 };
        ic__svc(IC_SYS_DEBUG_LOG, r);
        CHECK_EQ(r[0], IC_INVALID_ARGUMENT);
    }
    CHECK_OK(ic_debug_log_stop());
}
