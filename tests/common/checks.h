/* Pass/fail counting shared by the C test programs (tests/c, tests/reliability, tests/postgres):
   CHECK(cond) and CHECK_STATUS(expr, want), which prints expected vs actual and ta_last_error(). */
#ifndef TA_TEST_CHECKS_H
#define TA_TEST_CHECKS_H

#include <stdio.h>

#include "tokenauth.h"

static int tc_passed;
static int tc_failed;

static inline void tc_result(int ok, const char *file, int line, const char *what)
{
    if (ok) {
        tc_passed++;
    } else {
        tc_failed++;
        fprintf(stderr, "%s:%d: FAIL: %s\n", file, line, what);
    }
}

#define CHECK(cond) tc_result((cond) ? 1 : 0, __FILE__, __LINE__, #cond)

#define CHECK_STATUS(expr, want) tc_check_status((expr), (want), __FILE__, __LINE__, #expr)
static inline void tc_check_status(ta_status got, ta_status want, const char *file, int line,
                                   const char *what)
{
    if (got == want) {
        tc_passed++;
        return;
    }
    tc_failed++;
    fprintf(stderr, "%s:%d: FAIL: %s\n    expected %s, got %s (ta_last_error: \"%s\")\n", file, line,
            what, ta_status_name(want), ta_status_name(got), ta_last_error());
}

#endif /* TA_TEST_CHECKS_H */
