
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * The id of a created webhook, from Cloudflare's answer to a create:
 * {"success":true,"data":{"id":"...",...},...}.  Only "id" directly in
 * the top-level "data" object counts; anything else is skipped.
 */


#include <string.h>

#include <yajl/yajl_parse.h>

#include "rtk_answer.h"


typedef struct {
    unsigned                 depth;      /* of maps and arrays */
    unsigned                 in_data:1;  /* the top-level "data" map */
    unsigned                 want:2;     /* 1: "data" next, 2: "id" next */
    unsigned                 found:1;
    char                    *id;
} rtk_answer_ctx_t;


static int rtk_answer_key(void *data, const unsigned char *key,
    size_t len);
static int rtk_answer_string(void *data, const unsigned char *s,
    size_t len);
static int rtk_answer_start(void *data);
static int rtk_answer_end(void *data);
static int rtk_answer_scalar(void *data);
static int rtk_answer_bool(void *data, int b);
static int rtk_answer_number(void *data, const char *s, size_t len);
static int rtk_answer_uuid(const unsigned char *p, size_t len);


static const yajl_callbacks  rtk_answer_callbacks = {
    rtk_answer_scalar,                   /* null */
    rtk_answer_bool,
    NULL,                                /* integer */
    NULL,                                /* double */
    rtk_answer_number,
    rtk_answer_string,
    rtk_answer_start,                    /* start map */
    rtk_answer_key,
    rtk_answer_end,                      /* end map */
    rtk_answer_start,                    /* start array */
    rtk_answer_end                       /* end array */
};


int
rtk_answer_webhook_id(const unsigned char *data, size_t len, char *id)
{
    yajl_handle       h;
    yajl_status       st;
    rtk_answer_ctx_t  ctx;

    memset(&ctx, 0, sizeof(rtk_answer_ctx_t));
    ctx.id = id;

    h = yajl_alloc(&rtk_answer_callbacks, NULL, &ctx);
    if (h == NULL) {
        return RTK_ERROR;
    }

    st = yajl_parse(h, data, len);

    if (st == yajl_status_ok) {
        st = yajl_complete_parse(h);
    }

    yajl_free(h);

    /* an id seen before a later syntax error still names the webhook */

    return ctx.found ? RTK_OK : RTK_ERROR;
}


static int
rtk_answer_key(void *data, const unsigned char *key, size_t len)
{
    rtk_answer_ctx_t  *ctx = data;

    ctx->want = 0;

    if (ctx->depth == 1 && len == 4 && memcmp(key, "data", 4) == 0) {
        ctx->want = 1;

    } else if (ctx->depth == 2 && ctx->in_data && len == 2
               && memcmp(key, "id", 2) == 0)
    {
        ctx->want = 2;
    }

    return 1;
}


static int
rtk_answer_string(void *data, const unsigned char *s, size_t len)
{
    rtk_answer_ctx_t  *ctx = data;

    if (ctx->want == 2 && !ctx->found && rtk_answer_uuid(s, len)) {
        memcpy(ctx->id, s, RTK_UUID_LEN);
        ctx->id[RTK_UUID_LEN] = '\0';
        ctx->found = 1;
    }

    ctx->want = 0;

    return 1;
}


static int
rtk_answer_start(void *data)
{
    rtk_answer_ctx_t  *ctx = data;

    ctx->depth++;

    if (ctx->depth == 2 && ctx->want == 1) {
        ctx->in_data = 1;
    }

    ctx->want = 0;

    return 1;
}


static int
rtk_answer_end(void *data)
{
    rtk_answer_ctx_t  *ctx = data;

    if (ctx->depth == 2) {
        ctx->in_data = 0;
    }

    ctx->depth--;

    /* nothing after "data" can change the answer */

    return !ctx->found;
}


static int
rtk_answer_scalar(void *data)
{
    rtk_answer_ctx_t  *ctx = data;

    ctx->want = 0;

    return 1;
}


static int
rtk_answer_bool(void *data, int b)
{
    (void) b;

    return rtk_answer_scalar(data);
}


static int
rtk_answer_number(void *data, const char *s, size_t len)
{
    (void) s;
    (void) len;

    return rtk_answer_scalar(data);
}


/* lowercase 8-4-4-4-12: safe to write into a record as it is */

static int
rtk_answer_uuid(const unsigned char *p, size_t len)
{
    size_t  i;

    if (len != RTK_UUID_LEN) {
        return 0;
    }

    for (i = 0; i < len; i++) {

        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (p[i] != '-') {
                return 0;
            }

            continue;
        }

        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
        {
            return 0;
        }
    }

    return 1;
}
