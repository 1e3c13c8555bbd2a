/* A tiny host unit test harness. TEST(name) { CHECK(x); CHECK_EQ(a, b); }
 * A failed check ends its test and prints "FAIL: name: file:line: expr".
 * CHECK_PANICS(stmt) passes if stmt calls kpanic() (e.g. a failed kassert);
 * any other kpanic() fails the running test. */
#ifndef HOST_HARNESS_H
#define HOST_HARNESS_H
#include <setjmp.h>

typedef void (*test_fn_t)(void);
void harness_register(const char *name, test_fn_t fn);
_Noreturn void harness_fail(const char *file, int line, const char *expr, unsigned long long a, unsigned long long b,
                            int show);
extern jmp_buf *harness_panic_catch; /* kpanic() longjmps here when set */

#define TEST(name)                                                                                                 \
    static void test_##name(void);                                                                                 \
    __attribute__((constructor)) static void reg_##name(void) { harness_register(#name, test_##name); }           \
    static void test_##name(void)
#define CHECK(c) do { if (!(c)) harness_fail(__FILE__, __LINE__, #c, 0, 0, 0); } while (0)
#define CHECK_EQ(a, b)                                                                                             \
    do { unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b);                            \
         if (a_ != b_) harness_fail(__FILE__, __LINE__, #a " == " #b, a_, b_, 1); } while (0)
#define CHECK_PANICS(stmt)                                                                                         \
    do { jmp_buf jb_; harness_panic_catch = &jb_;                                                                  \
         if (setjmp(jb_) == 0) { stmt; harness_fail(__FILE__, __LINE__, "panics: " #stmt, 0, 0, 0); }             \
         harness_panic_catch = NULL; } while (0)
#endif
