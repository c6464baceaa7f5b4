
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * A minimal unit test harness: each check counts as one test, failures
 * print where they happened, and the run ends with "N passed, N failed".
 */


#ifndef _RTK_TEST_H_INCLUDED_
#define _RTK_TEST_H_INCLUDED_


#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static unsigned  rtk_test_passed;
static unsigned  rtk_test_failed;


#define RTK_CHECK(cond, ...)                                                 \
    do {                                                                     \
        if (cond) {                                                          \
            rtk_test_passed++;                                               \
        } else {                                                             \
            rtk_test_failed++;                                               \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);  \
            fprintf(stderr, __VA_ARGS__);                                    \
            fputc('\n', stderr);                                             \
        }                                                                    \
    } while (0)


static void *
rtk_test_alloc(void *data, size_t size)
{
    (void) data;

    /* tests are short-lived processes: leaks are reclaimed at exit */
    return malloc(size);
}


static int
rtk_test_report(const char *name)
{
    printf("%s: %u passed, %u failed\n", name, rtk_test_passed,
           rtk_test_failed);

    return rtk_test_failed ? 1 : 0;
}


#endif /* _RTK_TEST_H_INCLUDED_ */
