
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


static void  **rtk_test_blocks;
static size_t   rtk_test_nblocks;
static size_t   rtk_test_cap;


/* a pool that frees everything at the end, so that LSan stays quiet */

static void *
rtk_test_alloc(void *data, size_t size)
{
    void  *p, **blocks;

    (void) data;

    if (rtk_test_nblocks == rtk_test_cap) {
        rtk_test_cap = rtk_test_cap ? 2 * rtk_test_cap : 64;
        blocks = realloc(rtk_test_blocks, rtk_test_cap * sizeof(void *));
        if (blocks == NULL) {
            abort();
        }

        rtk_test_blocks = blocks;
    }

    p = malloc(size != 0 ? size : 1);
    if (p == NULL) {
        abort();
    }

    rtk_test_blocks[rtk_test_nblocks++] = p;

    return p;
}


static void
rtk_test_release(void)
{
    size_t  i;

    for (i = 0; i < rtk_test_nblocks; i++) {
        free(rtk_test_blocks[i]);
    }

    free(rtk_test_blocks);
    rtk_test_blocks = NULL;
    rtk_test_nblocks = 0;
    rtk_test_cap = 0;
}


static int
rtk_test_report(const char *name)
{
    rtk_test_release();

    printf("%s: %u passed, %u failed\n", name, rtk_test_passed,
           rtk_test_failed);

    return rtk_test_failed ? 1 : 0;
}


#endif /* _RTK_TEST_H_INCLUDED_ */
