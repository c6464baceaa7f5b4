
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * What the body tests share: the parse and serialize checks of one
 * body (RTK_BT_CODE, RTK_BT_CANON), the pool with a countdown to
 * simulate exhaustion, and long bodies built by repetition.
 */


#ifndef _BODY_TEST_H_INCLUDED_
#define _BODY_TEST_H_INCLUDED_


#include "rtk_test.h"
#include "rtk_body.h"


#define RTK_BT_URL         "https://example.com/hook"

#define RTK_BT_CODE(json, want)                                              \
    RTK_CHECK(rtk_bt_code(json, sizeof(json) - 1) == (want),                 \
              "%s: got %d, want %d (%s)", #json, rtk_bt_last.code, want,     \
              rtk_bt_last.message)

#define RTK_BT_CANON(json, canon)                                            \
    RTK_CHECK(rtk_bt_canon(json, sizeof(json) - 1, canon) == 0,              \
              "%s: got \"%s\" (%s)", #json, rtk_bt_out, rtk_bt_last.message)


static void *rtk_bt_alloc(void *data, size_t size);
static int rtk_bt_code(const char *json, size_t len);
static int rtk_bt_canon(const char *json, size_t len, const char *canon);
static char *rtk_bt_repeat(const char *head, const char *unit, size_t n,
    const char *tail, size_t *len);


static long         rtk_bt_allocs_left = -1;   /* -1: never fail */

static int          rtk_bt_op = RTK_OP_EDIT;
static rtk_error_t  rtk_bt_last;
static rtk_body_t   rtk_bt_body;
static char         rtk_bt_out[4096];


/* the shared test pool, with a countdown to simulate exhaustion */

static void *
rtk_bt_alloc(void *data, size_t size)
{
    if (rtk_bt_allocs_left == 0) {
        return NULL;
    }

    if (rtk_bt_allocs_left > 0) {
        rtk_bt_allocs_left--;
    }

    return rtk_test_alloc(data, size);
}


/* 0 on success, else the error code; checks the error's shape too */

static int
rtk_bt_code(const char *json, size_t len)
{
    int     rc;
    size_t  i, n;

    memset(&rtk_bt_last, 0, sizeof(rtk_error_t));

    rc = rtk_body_parse(&rtk_bt_body, rtk_bt_op, (const unsigned char *) json,
                        len, rtk_bt_alloc, NULL, &rtk_bt_last);

    if (rc == RTK_OK) {
        return 0;
    }

    RTK_CHECK(rc == RTK_ERROR, "rc %d", rc);
    RTK_CHECK(rtk_bt_last.status == rtk_bt_last.code / 100,
              "status %d code %d", rtk_bt_last.status, rtk_bt_last.code);

    n = strlen(rtk_bt_last.message);
    RTK_CHECK(n > 0 && n < RTK_ERROR_MESSAGE_MAX, "message length %zu", n);

    for (i = 0; i < n; i++) {
        if ((unsigned char) rtk_bt_last.message[i] < 0x20
            || (unsigned char) rtk_bt_last.message[i] > 0x7e)
        {
            break;
        }
    }

    RTK_CHECK(i == n, "raw byte 0x%02x in message \"%s\"",
              (unsigned char) rtk_bt_last.message[i], rtk_bt_last.message);

    return rtk_bt_last.code;
}


/* parse, serialize, compare with canon, then parse canon to the same */

static int
rtk_bt_canon(const char *json, size_t len, const char *canon)
{
    size_t          n, n2;
    rtk_body_t      first;
    unsigned char  *out, *out2;

    rtk_bt_out[0] = '\0';

    if (rtk_bt_code(json, len) != 0) {
        return -1;
    }

    first = rtk_bt_body;

    if (rtk_body_serialize(&first, rtk_bt_alloc, NULL, &out, &n) != RTK_OK) {
        return -1;
    }

    snprintf(rtk_bt_out, sizeof(rtk_bt_out), "%.*s", (int) n, out);

    if (n != strlen(canon) || memcmp(out, canon, n) != 0) {
        return -1;
    }

    if (rtk_bt_code((const char *) out, n) != 0) {
        return -1;
    }

    /* a default is explicit once serialized: the same body, sent */
    if (rtk_bt_body.fields != first.fields
        || rtk_bt_body.defaults != 0
        || rtk_bt_body.enabled != first.enabled
        || rtk_bt_body.events != first.events
        || rtk_bt_body.name_len != first.name_len
        || rtk_bt_body.url_len != first.url_len
        || (first.name_len
            && memcmp(rtk_bt_body.name, first.name, first.name_len) != 0)
        || (first.url_len
            && memcmp(rtk_bt_body.url, first.url, first.url_len) != 0))
    {
        return -1;
    }

    if (rtk_body_serialize(&rtk_bt_body, rtk_bt_alloc, NULL, &out2, &n2)
        != RTK_OK)
    {
        return -1;
    }

    if (n2 != n || memcmp(out, out2, n) != 0) {
        return -1;
    }

    return 0;
}


/* head + n * unit + tail, malloc()ed; the caller frees it */

static char *
rtk_bt_repeat(const char *head, const char *unit, size_t n, const char *tail,
    size_t *len)
{
    char    *buf, *p;
    size_t   hl, ul, tl, i;

    hl = strlen(head);
    ul = strlen(unit);
    tl = strlen(tail);

    buf = malloc(hl + n * ul + tl + 1);
    if (buf == NULL) {
        abort();
    }

    p = buf;
    memcpy(p, head, hl);
    p += hl;

    for (i = 0; i < n; i++) {
        memcpy(p, unit, ul);
        p += ul;
    }

    memcpy(p, tail, tl);
    p += tl;
    *p = '\0';

    *len = p - buf;

    return buf;
}


#endif /* _BODY_TEST_H_INCLUDED_ */
