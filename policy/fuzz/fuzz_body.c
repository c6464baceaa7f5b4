
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * libFuzzer target for rtk_body_parse(): whatever is accepted has no
 * raw VT, FF or NUL, and must serialize, parse back to the same body,
 * and serialize to the same bytes again.
 *
 *   clang-14 -fsanitize=fuzzer,address,undefined -I policy \
 *       policy/fuzz/fuzz_body.c policy/rtk_*.c -lyajl -lcrypto
 */


#include <stdlib.h>
#include <string.h>

#include "rtk_body.h"


#define RTK_FUZZ_BLOCKS          16


typedef struct {
    void                    *block[RTK_FUZZ_BLOCKS];
    size_t                   n;
} rtk_fuzz_pool_t;


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void *rtk_fuzz_alloc(void *data, size_t size);
static void rtk_fuzz_free(rtk_fuzz_pool_t *pool);
static int rtk_fuzz_same(const rtk_body_t *a, const rtk_body_t *b);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t           n1, n2;
    rtk_body_t       body, again;
    rtk_error_t      err;
    unsigned char   *out1, *out2;
    rtk_fuzz_pool_t  pool;

    memset(&pool, 0, sizeof(rtk_fuzz_pool_t));

    if (rtk_body_parse(&body, data, size, rtk_fuzz_alloc, &pool, &err)
        != RTK_OK)
    {
        /* a failure always carries a code of its status and a message */
        if (err.code / 100 != err.status || err.message[0] == '\0'
            || (err.status != 400 && err.status != 500))
        {
            abort();
        }

        rtk_fuzz_free(&pool);
        return 0;
    }

    /* raw, these are refused in strings by yajl, elsewhere by the prelude */
    if (memchr(data, '\v', size) != NULL || memchr(data, '\f', size) != NULL
        || memchr(data, '\0', size) != NULL)
    {
        abort();
    }

    if (rtk_body_serialize(&body, rtk_fuzz_alloc, &pool, &out1, &n1)
        != RTK_OK)
    {
        abort();
    }

    if (rtk_body_parse(&again, out1, n1, rtk_fuzz_alloc, &pool, &err)
        != RTK_OK)
    {
        abort();
    }

    if (!rtk_fuzz_same(&body, &again)) {
        abort();
    }

    if (rtk_body_serialize(&again, rtk_fuzz_alloc, &pool, &out2, &n2)
        != RTK_OK)
    {
        abort();
    }

    if (n1 != n2 || memcmp(out1, out2, n1) != 0) {
        abort();
    }

    rtk_fuzz_free(&pool);

    return 0;
}


static int
rtk_fuzz_same(const rtk_body_t *a, const rtk_body_t *b)
{
    if (a->fields != b->fields || a->name_len != b->name_len
        || a->url_len != b->url_len)
    {
        return 0;
    }

    if ((a->fields & RTK_FIELD_ENABLED) && a->enabled != b->enabled) {
        return 0;
    }

    if ((a->fields & RTK_FIELD_EVENTS) && a->events != b->events) {
        return 0;
    }

    if (a->name_len != 0 && memcmp(a->name, b->name, a->name_len) != 0) {
        return 0;
    }

    if (a->url_len != 0 && memcmp(a->url, b->url, a->url_len) != 0) {
        return 0;
    }

    return 1;
}


static void *
rtk_fuzz_alloc(void *data, size_t size)
{
    void             *p;
    rtk_fuzz_pool_t  *pool = data;

    if (pool->n == RTK_FUZZ_BLOCKS) {
        return NULL;
    }

    p = malloc(size);
    if (p == NULL) {
        return NULL;
    }

    pool->block[pool->n++] = p;

    return p;
}


static void
rtk_fuzz_free(rtk_fuzz_pool_t *pool)
{
    size_t  i;

    for (i = 0; i < pool->n; i++) {
        free(pool->block[i]);
    }

    pool->n = 0;
}
