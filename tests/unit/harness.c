/* The host test runner: see harness.h. */
#include "harness.h"
#include <stdio.h>
#include <stdlib.h>

static struct { const char *name; test_fn_t fn; } tests[256];
static int ntests, current;
static jmp_buf test_end;
jmp_buf *harness_panic_catch;

void harness_register(const char *name, test_fn_t fn)
{
    if (ntests == (int)(sizeof(tests) / sizeof(tests[0]))) {
        fprintf(stderr, "harness: too many tests\n");
        exit(2);
    }
    tests[ntests].name = name;
    tests[ntests++].fn = fn;
}

_Noreturn void harness_fail(const char *file, int line, const char *expr, unsigned long long a, unsigned long long b,
                            int show)
{
    harness_panic_catch = NULL;
    printf("FAIL: %s: ", tests[current].name);
    if (file) /* NULL for a kpanic() that no CHECK_PANICS expected */
        printf("%s:%d: ", file, line);
    printf("%s", expr);
    if (show)
        printf(" (%#llx != %#llx)", a, b);
    printf("\n");
    longjmp(test_end, 1);
}

int main(void)
{
    static int passed;
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (current = 0; current < ntests; current++) {
        harness_panic_catch = NULL;
        if (setjmp(test_end) == 0) {
            tests[current].fn();
            printf("PASS: %s\n", tests[current].name);
            passed++;
        }
    }
    printf("%d passed, %d failed\n", passed, ntests - passed);
    return passed == ntests ? 0 : 1;
}
