
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * libFuzzer target that runs one input through two builds of the
 * engine, this one and an earlier one whose symbols carry the prefix
 * "old_" (dev/fuzz-diff.sh builds it from git): the route, the URL and
 * URL pattern parsers and the body parser for every operation must give
 * the same outcome, code and message, the same parsed fields, and the
 * body the same canonical bytes.  For work on the hot path, which must
 * change the cost and nothing else.
 */


#include <stdlib.h>
#include <string.h>

#include "rtk_route.h"
#include "rtk_url.h"
#include "rtk_body.h"


#define RTK_DIFF_BLOCKS          64


int old_rtk_route_parse(rtk_route_t *route, const unsigned char *target,
    size_t len, rtk_error_t *err);
int old_rtk_url_parse(rtk_url_t *url, const unsigned char *s, size_t len,
    rtk_error_t *err);
int old_rtk_url_pattern_parse(rtk_url_pattern_t *pat, const unsigned char *s,
    size_t len, char *errbuf, size_t errlen);
int old_rtk_url_match(const rtk_url_pattern_t *pat, const rtk_url_t *url);
int old_rtk_body_parse(rtk_body_t *body, int op, const unsigned char *data,
    size_t len, rtk_alloc_pt alloc, void *pool, rtk_error_t *err);
int old_rtk_body_serialize(const rtk_body_t *body, rtk_alloc_pt alloc,
    void *pool, unsigned char **out, size_t *out_len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void rtk_diff_error(const rtk_error_t *a, const rtk_error_t *b);
static void rtk_diff_route(const uint8_t *data, size_t size);
static void rtk_diff_url(const uint8_t *data, size_t size);
static void rtk_diff_body(const uint8_t *data, size_t size, int op);
static void *rtk_diff_alloc(void *data, size_t size);
static void rtk_diff_release(void);


static void    *rtk_diff_block[RTK_DIFF_BLOCKS];
static size_t   rtk_diff_n;


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int  op;

    rtk_diff_route(data, size);
    rtk_diff_url(data, size);

    for (op = 0; op < RTK_OP_COUNT; op++) {
        rtk_diff_body(data, size, op);
        rtk_diff_release();
    }

    return 0;
}


static void
rtk_diff_error(const rtk_error_t *a, const rtk_error_t *b)
{
    if (a->code != b->code || a->status != b->status
        || strcmp(a->message, b->message) != 0)
    {
        abort();
    }
}


static void
rtk_diff_route(const uint8_t *data, size_t size)
{
    int          rc;
    rtk_route_t  a, b;
    rtk_error_t  ea, eb;

    memset(&a, 0, sizeof(rtk_route_t));
    memset(&b, 0, sizeof(rtk_route_t));
    memset(&ea, 0, sizeof(rtk_error_t));
    memset(&eb, 0, sizeof(rtk_error_t));

    rc = rtk_route_parse(&a, data, size, &ea);

    if (rc != old_rtk_route_parse(&b, data, size, &eb)) {
        abort();
    }

    if (rc != RTK_OK) {
        rtk_diff_error(&ea, &eb);
        return;
    }

    if (strcmp(a.account, b.account) != 0 || strcmp(a.app, b.app) != 0
        || strcmp(a.app_key, b.app_key) != 0
        || strcmp(a.webhook, b.webhook) != 0 || a.app_len != b.app_len
        || a.webhook_len != b.webhook_len || a.item != b.item)
    {
        abort();
    }
}


static void
rtk_diff_url(const uint8_t *data, size_t size)
{
    int                rc;
    char               ba[RTK_ERROR_MESSAGE_MAX], bb[RTK_ERROR_MESSAGE_MAX];
    rtk_url_t          a, b;
    rtk_error_t        ea, eb;
    rtk_url_pattern_t  pa, pb;

    memset(&ea, 0, sizeof(rtk_error_t));
    memset(&eb, 0, sizeof(rtk_error_t));

    rc = rtk_url_parse(&a, data, size, &ea);

    if (rc != old_rtk_url_parse(&b, data, size, &eb)) {
        abort();
    }

    if (rc != RTK_OK) {
        rtk_diff_error(&ea, &eb);

    } else if (a.https != b.https || a.host_type != b.host_type
               || a.host_len != b.host_len || strcmp(a.host, b.host) != 0
               || a.port != b.port || a.path_len != b.path_len
               || memcmp(a.path, b.path, a.path_len) != 0
               || (a.query == NULL) != (b.query == NULL)
               || a.query_len != b.query_len
               || (a.query != NULL
                   && memcmp(a.query, b.query, a.query_len) != 0))
    {
        abort();
    }

    ba[0] = '\0';
    bb[0] = '\0';

    rc = rtk_url_pattern_parse(&pa, data, size, ba, sizeof(ba));

    if (rc != old_rtk_url_pattern_parse(&pb, data, size, bb, sizeof(bb))
        || strcmp(ba, bb) != 0)
    {
        abort();
    }

    if (rc != RTK_OK) {
        return;
    }

    if (pa.https != pb.https || pa.wildcard != pb.wildcard
        || pa.host_type != pb.host_type || strcmp(pa.host, pb.host) != 0
        || pa.port != pb.port || strcmp(pa.path, pb.path) != 0)
    {
        abort();
    }

    /* the pattern read as a URL, when it is one, against both matchers */
    if (rtk_url_parse(&a, data, size, &ea) == RTK_OK
        && rtk_url_match(&pa, &a) != old_rtk_url_match(&pb, &a))
    {
        abort();
    }
}


static void
rtk_diff_body(const uint8_t *data, size_t size, int op)
{
    int             rc;
    size_t          na, nb;
    rtk_body_t      a, b;
    rtk_error_t     ea, eb;
    unsigned char  *oa, *ob;

    memset(&ea, 0, sizeof(rtk_error_t));
    memset(&eb, 0, sizeof(rtk_error_t));

    rc = rtk_body_parse(&a, op, data, size, rtk_diff_alloc, NULL, &ea);

    if (rc != old_rtk_body_parse(&b, op, data, size, rtk_diff_alloc, NULL,
                                 &eb))
    {
        abort();
    }

    if (rc != RTK_OK) {
        rtk_diff_error(&ea, &eb);
        return;
    }

    if (a.fields != b.fields || a.defaults != b.defaults
        || a.enabled != b.enabled || a.events != b.events
        || a.name_len != b.name_len || a.url_len != b.url_len
        || (a.name_len != 0 && memcmp(a.name, b.name, a.name_len) != 0)
        || (a.url_len != 0 && memcmp(a.url, b.url, a.url_len) != 0))
    {
        abort();
    }

    if (!rtk_op_has_body(op)) {
        return;
    }

    rc = rtk_body_serialize(&a, rtk_diff_alloc, NULL, &oa, &na);

    if (rc != old_rtk_body_serialize(&b, rtk_diff_alloc, NULL, &ob, &nb)
        || (rc == RTK_OK && (na != nb || memcmp(oa, ob, na) != 0)))
    {
        abort();
    }
}


static void *
rtk_diff_alloc(void *data, size_t size)
{
    void  *p;

    (void) data;

    if (rtk_diff_n == RTK_DIFF_BLOCKS) {
        return NULL;
    }

    p = malloc(size != 0 ? size : 1);
    if (p == NULL) {
        return NULL;
    }

    rtk_diff_block[rtk_diff_n++] = p;

    return p;
}


static void
rtk_diff_release(void)
{
    while (rtk_diff_n != 0) {
        free(rtk_diff_block[--rtk_diff_n]);
    }
}
