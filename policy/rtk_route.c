
/*
 * Copyright (C) ngx_rtk_module authors
 */


#include <string.h>

#include "rtk_route.h"


#define RTK_ROUTE_PREFIX         "/client/v4"
#define RTK_ROUTE_SEGMENTS       7      /* an item; the collection has 6 */


typedef struct {
    const unsigned char     *data;
    size_t                   len;
} rtk_route_seg_t;


static unsigned char *rtk_route_cpy(unsigned char *dst, const char *src,
    size_t len);
static int rtk_route_literal(const rtk_route_seg_t *seg, const char *s);
static int rtk_route_hex(const unsigned char *p, size_t len);
static int rtk_route_uuid(const unsigned char *p, size_t len);


int
rtk_route_parse(rtk_route_t *route, const unsigned char *target, size_t len,
    rtk_error_t *err)
{
    size_t                i, n, plen;
    rtk_route_seg_t       seg[RTK_ROUTE_SEGMENTS];
    const unsigned char  *p, *end, *start;

    if (len == 0 || target[0] != '/') {
        return rtk_error_set(err, RTK_E_ROUTE_NOT_FOUND, "unknown path");
    }

    /* the raw target is checked as a whole before it is split */

    if (memchr(target, '%', len) != NULL) {
        return rtk_error_set(err, RTK_E_PATH_ENCODED,
                             "percent-encoding is not allowed in the path");
    }

    if (memchr(target, '?', len) != NULL) {
        return rtk_error_set(err, RTK_E_PATH_QUERY,
                             "a query string is not allowed");
    }

    for (i = 0; i + 1 < len; i++) {
        if (target[i] == '/' && target[i + 1] == '/') {
            return rtk_error_set(err, RTK_E_PATH_DOUBLE_SLASH,
                                 "empty path segment");
        }
    }

    end = target + len;
    p = target;

    while (p < end) {
        /* p is at a '/'; the segment runs to the next one */
        start = ++p;

        while (p < end && *p != '/') {
            p++;
        }

        n = p - start;

        if ((n == 1 && start[0] == '.')
            || (n == 2 && start[0] == '.' && start[1] == '.'))
        {
            return rtk_error_set(err, RTK_E_PATH_DOT_SEGMENT,
                                 "dot segment in the path");
        }
    }

    /* "/" alone is simply not a route */

    if (len > 1 && target[len - 1] == '/') {
        return rtk_error_set(err, RTK_E_PATH_TRAILING,
                             "trailing slash in the path");
    }

    p = target;
    plen = sizeof(RTK_ROUTE_PREFIX) - 1;

    if (len >= plen && memcmp(target, RTK_ROUTE_PREFIX, plen) == 0
        && (len == plen || target[plen] == '/'))
    {
        p += plen;
    }

    n = 0;

    while (p < end) {
        if (n == RTK_ROUTE_SEGMENTS) {
            return rtk_error_set(err, RTK_E_ROUTE_NOT_FOUND, "unknown path");
        }

        start = ++p;

        while (p < end && *p != '/') {
            p++;
        }

        seg[n].data = start;
        seg[n].len = p - start;
        n++;
    }

    if (n < RTK_ROUTE_SEGMENTS - 1
        || !rtk_route_literal(&seg[0], "accounts")
        || !rtk_route_literal(&seg[2], "realtime")
        || !rtk_route_literal(&seg[3], "kit")
        || !rtk_route_literal(&seg[5], "webhooks"))
    {
        return rtk_error_set(err, RTK_E_ROUTE_NOT_FOUND, "unknown path");
    }

    if (seg[1].len != RTK_ACCOUNT_ID_LEN
        || !rtk_route_hex(seg[1].data, seg[1].len))
    {
        return rtk_error_set(err, RTK_E_ROUTE_ACCOUNT,
                             "invalid account id");
    }

    /*
     * Both spellings of an app id share one key, so that neither can
     * miss the app's own policy entry for a looser "*" one.
     */

    if (rtk_route_app_key(seg[4].data, seg[4].len, route->app_key)
        != RTK_OK)
    {
        return rtk_error_set(err, RTK_E_ROUTE_APP, "invalid app id");
    }

    /* "webhooks/all" (the event names) is no uuid: refused here too */

    if (n == RTK_ROUTE_SEGMENTS
        && !rtk_route_uuid(seg[6].data, seg[6].len))
    {
        return rtk_error_set(err, RTK_E_ROUTE_WEBHOOK, "invalid webhook id");
    }

    memcpy(route->account, seg[1].data, seg[1].len);
    route->account[seg[1].len] = '\0';

    memcpy(route->app, seg[4].data, seg[4].len);
    route->app[seg[4].len] = '\0';
    route->app_len = seg[4].len;

    route->item = (n == RTK_ROUTE_SEGMENTS);
    route->webhook_len = 0;
    route->webhook[0] = '\0';

    if (route->item) {
        memcpy(route->webhook, seg[6].data, seg[6].len);
        route->webhook[seg[6].len] = '\0';
        route->webhook_len = seg[6].len;
    }

    return RTK_OK;
}


size_t
rtk_route_path(const rtk_route_t *route, unsigned char *buf)
{
    unsigned char  *p;

    p = rtk_route_cpy(buf, RTK_ROUTE_PREFIX "/accounts/",
                      sizeof(RTK_ROUTE_PREFIX "/accounts/") - 1);
    p = rtk_route_cpy(p, route->account, RTK_ACCOUNT_ID_LEN);
    p = rtk_route_cpy(p, "/realtime/kit/", sizeof("/realtime/kit/") - 1);
    p = rtk_route_cpy(p, route->app, route->app_len);
    p = rtk_route_cpy(p, "/webhooks", sizeof("/webhooks") - 1);

    if (route->item) {
        p = rtk_route_cpy(p, "/", 1);
        p = rtk_route_cpy(p, route->webhook, route->webhook_len);
    }

    return p - buf;
}


int
rtk_route_app_key(const unsigned char *id, size_t len, char *key)
{
    size_t  i, n;

    if (len == RTK_APP_KEY_LEN) {
        if (!rtk_route_hex(id, len)) {
            return RTK_ERROR;
        }

    } else if (!rtk_route_uuid(id, len)) {
        return RTK_ERROR;
    }

    for (i = 0, n = 0; i < len; i++) {
        if (id[i] != '-') {
            key[n++] = (char) id[i];
        }
    }

    key[n] = '\0';

    return RTK_OK;
}


static unsigned char *
rtk_route_cpy(unsigned char *dst, const char *src, size_t len)
{
    memcpy(dst, src, len);

    return dst + len;
}


static int
rtk_route_literal(const rtk_route_seg_t *seg, const char *s)
{
    size_t  n;

    n = strlen(s);

    return seg->len == n && memcmp(seg->data, s, n) == 0;
}


/* lowercase hex only: ids are compared byte for byte in the policy */

static int
rtk_route_hex(const unsigned char *p, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f'))) {
            return 0;
        }
    }

    return 1;
}


static int
rtk_route_uuid(const unsigned char *p, size_t len)
{
    if (len != RTK_UUID_LEN) {
        return 0;
    }

    if (p[8] != '-' || p[13] != '-' || p[18] != '-' || p[23] != '-') {
        return 0;
    }

    return rtk_route_hex(p, 8) && rtk_route_hex(p + 9, 4)
           && rtk_route_hex(p + 14, 4) && rtk_route_hex(p + 19, 4)
           && rtk_route_hex(p + 24, 12);
}
