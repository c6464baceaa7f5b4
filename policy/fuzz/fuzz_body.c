
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * libFuzzer target for rtk_body_parse(), the input taken as the body of
 * every operation.  Whatever is accepted has no raw VT, FF or NUL, and
 * must serialize, parse back as the same operation to the same body, and
 * serialize to the same bytes again.  Across the operations: list, get
 * and delete accept only nothing; create and replace agree, and accept
 * what an edit accepts when it names events, name and url, the same
 * body with "enabled": true filled in when it was left out.  The
 * canonical form is also compared with what yajl_gen writes for the
 * same fields, the serializer it replaced, byte for byte.
 *
 *   clang-14 -fsanitize=fuzzer,address,undefined -I policy \
 *       policy/fuzz/fuzz_body.c policy/rtk_*.c -lyajl -lcrypto
 */


#include <stdlib.h>
#include <string.h>

#include "rtk_body.h"
#include "test/canon_oracle.h"


#define RTK_FUZZ_BLOCKS          64

#define RTK_FUZZ_REQUIRED                                                    \
    (RTK_FIELD_EVENTS | RTK_FIELD_NAME | RTK_FIELD_URL)


typedef struct {
    void                    *block[RTK_FUZZ_BLOCKS];
    size_t                   n;
} rtk_fuzz_pool_t;


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int rtk_fuzz_op(int op, const uint8_t *data, size_t size,
    rtk_body_t *body, rtk_fuzz_pool_t *pool);
static int rtk_fuzz_same(const rtk_body_t *a, const rtk_body_t *b);
static void rtk_fuzz_oracle(const rtk_body_t *body, const unsigned char *out,
    size_t len);
static void *rtk_fuzz_alloc(void *data, size_t size);
static void rtk_fuzz_free(rtk_fuzz_pool_t *pool);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int              ok[RTK_OP_COUNT], op;
    rtk_body_t       body[RTK_OP_COUNT], want;
    rtk_fuzz_pool_t  pool;

    memset(&pool, 0, sizeof(rtk_fuzz_pool_t));

    for (op = 0; op < RTK_OP_COUNT; op++) {
        ok[op] = rtk_fuzz_op(op, data, size, &body[op], &pool);
    }

    /* no body, or nothing at all */
    if (ok[RTK_OP_LIST] != (size == 0) || ok[RTK_OP_GET] != (size == 0)
        || ok[RTK_OP_DELETE] != (size == 0))
    {
        abort();
    }

    /* one schema for create and replace */
    if (ok[RTK_OP_CREATE] != ok[RTK_OP_REPLACE]
        || (ok[RTK_OP_CREATE]
            && !rtk_fuzz_same(&body[RTK_OP_CREATE], &body[RTK_OP_REPLACE])))
    {
        abort();
    }

    /* an edit's schema, with the three required and the default */
    if (ok[RTK_OP_CREATE]
        != (ok[RTK_OP_EDIT]
            && (body[RTK_OP_EDIT].fields & RTK_FUZZ_REQUIRED)
               == RTK_FUZZ_REQUIRED))
    {
        abort();
    }

    if (ok[RTK_OP_CREATE]) {
        want = body[RTK_OP_EDIT];

        if (!(want.fields & RTK_FIELD_ENABLED)) {
            want.fields |= RTK_FIELD_ENABLED;
            want.enabled = 1;
        }

        if (!rtk_fuzz_same(&want, &body[RTK_OP_CREATE])
            || body[RTK_OP_CREATE].defaults
               != (body[RTK_OP_EDIT].fields & RTK_FIELD_ENABLED
                   ? 0 : RTK_FIELD_ENABLED))
        {
            abort();
        }
    }

    if (ok[RTK_OP_EDIT] && body[RTK_OP_EDIT].defaults != 0) {
        abort();
    }

    rtk_fuzz_free(&pool);

    return 0;
}


/* 1 if op accepts the input, with the round trip checked; else 0 */

static int
rtk_fuzz_op(int op, const uint8_t *data, size_t size, rtk_body_t *body,
    rtk_fuzz_pool_t *pool)
{
    size_t          n1, n2;
    rtk_body_t      again;
    rtk_error_t     err;
    unsigned char  *out1, *out2;

    memset(&err, 0, sizeof(rtk_error_t));

    if (rtk_body_parse(body, op, data, size, rtk_fuzz_alloc, pool, &err)
        != RTK_OK)
    {
        /* a failure always carries a code of its status and a message */
        if (err.code / 100 != err.status || err.message[0] == '\0'
            || (err.status != 400 && err.status != 500))
        {
            abort();
        }

        return 0;
    }

    if (!rtk_op_has_body(op)) {
        if (size != 0 || body->fields != 0) {
            abort();
        }

        return 1;
    }

    /* raw, these are refused in strings by yajl, elsewhere by the prelude */
    if (memchr(data, '\v', size) != NULL || memchr(data, '\f', size) != NULL
        || memchr(data, '\0', size) != NULL)
    {
        abort();
    }

    /* create and replace: every field, after the default */
    if (op != RTK_OP_EDIT && body->fields != 0x0f) {
        abort();
    }

    if (rtk_body_serialize(body, rtk_fuzz_alloc, pool, &out1, &n1)
        != RTK_OK)
    {
        abort();
    }

    rtk_fuzz_oracle(body, out1, n1);

    if (rtk_body_parse(&again, op, out1, n1, rtk_fuzz_alloc, pool, &err)
        != RTK_OK)
    {
        abort();
    }

    /* what is sent is what was evaluated: nothing left to fill in */
    if (!rtk_fuzz_same(body, &again) || again.defaults != 0) {
        abort();
    }

    if (rtk_body_serialize(&again, rtk_fuzz_alloc, pool, &out2, &n2)
        != RTK_OK)
    {
        abort();
    }

    if (n1 != n2 || memcmp(out1, out2, n1) != 0) {
        abort();
    }

    return 1;
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


/* what yajl_gen wrote for the same body: the same bytes */

static void
rtk_fuzz_oracle(const rtk_body_t *body, const unsigned char *out, size_t len)
{
    size_t          n;
    unsigned char  *buf;

    buf = malloc(6 * len + 64);
    if (buf == NULL) {
        abort();
    }

    if (rtk_canon_oracle(body, buf, &n) != RTK_OK
        || n != len || memcmp(buf, out, n) != 0)
    {
        abort();
    }

    free(buf);
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
