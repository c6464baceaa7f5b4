
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
static int rtk_route_literal(const rtk_route_seg_t *seg, const char *s,
    size_t n);
static int rtk_route_hex(const unsigned char *p, size_t len);
static int rtk_route_uuid(const unsigned char *p, size_t len);
static int rtk_route_fast(rtk_route_t *route, const unsigned char *p,
    size_t len);


/* 1 for '0' to '9' and 'a' to 'f' */
static const unsigned char  rtk_route_hex_digit[256] = {
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1,
    ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1
};


int
rtk_route_parse(rtk_route_t *route, const unsigned char *target, size_t len,
    rtk_error_t *err)
{
    size_t                n, k;
    unsigned              empty, dot;
    rtk_route_seg_t       seg[RTK_ROUTE_SEGMENTS + 2];
    const unsigned char  *p, *q, *end;

    if (len == 0 || target[0] != '/') {
        return rtk_error_set(err, RTK_E_ROUTE_NOT_FOUND, "unknown path");
    }

    if (rtk_route_fast(route, target, len)) {
        return RTK_OK;
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

    /*
     * One pass over the segments, each after a '/': an empty one that
     * another '/' ends is "//", and every one counts for the dot rule;
     * the first nine are kept, the prefix's two and an item's seven.
     */

    end = target + len;
    p = target + 1;
    n = 0;
    empty = 0;
    dot = 0;

    for ( ;; ) {
        q = memchr(p, '/', end - p);
        if (q == NULL) {
            q = end;
        }

        k = q - p;

        if (k == 0) {
            empty |= (q != end);

        } else if (p[0] == '.' && (k == 1 || (k == 2 && p[1] == '.'))) {
            dot = 1;
        }

        if (n < RTK_ROUTE_SEGMENTS + 2) {
            seg[n].data = p;
            seg[n].len = k;
        }

        n++;

        if (q == end) {
            break;
        }

        p = q + 1;
    }

    if (empty) {
        return rtk_error_set(err, RTK_E_PATH_DOUBLE_SLASH,
                             "empty path segment");
    }

    if (dot) {
        return rtk_error_set(err, RTK_E_PATH_DOT_SEGMENT,
                             "dot segment in the path");
    }

    /* "/" alone is simply not a route */

    if (len > 1 && target[len - 1] == '/') {
        return rtk_error_set(err, RTK_E_PATH_TRAILING,
                             "trailing slash in the path");
    }

    k = 0;

    if (n >= 2 && rtk_route_literal(&seg[0], "client", 6)
        && rtk_route_literal(&seg[1], "v4", 2))
    {
        k = 2;
    }

    n -= k;

    if (n < RTK_ROUTE_SEGMENTS - 1 || n > RTK_ROUTE_SEGMENTS
        || !rtk_route_literal(&seg[k], "accounts", 8)
        || !rtk_route_literal(&seg[k + 2], "realtime", 8)
        || !rtk_route_literal(&seg[k + 3], "kit", 3)
        || !rtk_route_literal(&seg[k + 5], "webhooks", 8))
    {
        return rtk_error_set(err, RTK_E_ROUTE_NOT_FOUND, "unknown path");
    }

    if (seg[k + 1].len != RTK_ACCOUNT_ID_LEN
        || !rtk_route_hex(seg[k + 1].data, RTK_ACCOUNT_ID_LEN))
    {
        return rtk_error_set(err, RTK_E_ROUTE_ACCOUNT,
                             "invalid account id");
    }

    /*
     * Both spellings of an app id share one key, so that neither can
     * miss the app's own policy entry for a looser "*" one.
     */

    if (rtk_route_app_key(seg[k + 4].data, seg[k + 4].len, route->app_key)
        != RTK_OK)
    {
        return rtk_error_set(err, RTK_E_ROUTE_APP, "invalid app id");
    }

    /* "webhooks/all" (the event names) is no uuid: refused here too */

    if (n == RTK_ROUTE_SEGMENTS
        && !rtk_route_uuid(seg[k + 6].data, seg[k + 6].len))
    {
        return rtk_error_set(err, RTK_E_ROUTE_WEBHOOK, "invalid webhook id");
    }

    memcpy(route->account, seg[k + 1].data, RTK_ACCOUNT_ID_LEN);
    route->account[RTK_ACCOUNT_ID_LEN] = '\0';

    memcpy(route->app, seg[k + 4].data, seg[k + 4].len);
    route->app[seg[k + 4].len] = '\0';
    route->app_len = seg[k + 4].len;

    route->item = (n == RTK_ROUTE_SEGMENTS);
    route->webhook_len = 0;
    route->webhook[0] = '\0';

    if (route->item) {
        memcpy(route->webhook, seg[k + 6].data, RTK_UUID_LEN);
        route->webhook[RTK_UUID_LEN] = '\0';
        route->webhook_len = RTK_UUID_LEN;
    }

    return RTK_OK;
}


/*
 * The route as clients send it, with the prefix, read in place: what
 * this accepts the general parser accepts too, with the same result
 * (ids, literals and '/' leave no room for '%', '?', empty or dot
 * segments); anything else, refusals included, is left to it.
 */

static int
rtk_route_fast(rtk_route_t *route, const unsigned char *p, size_t len)
{
    size_t                app_len;
    const unsigned char  *end, *account, *app, *hook;

    static const char  head[] = RTK_ROUTE_PREFIX "/accounts/";
    static const char  kit[] = "/realtime/kit/";
    static const char  hooks[] = "/webhooks";

    if (len < sizeof(head) - 1 + RTK_ACCOUNT_ID_LEN + sizeof(kit) - 1
              + RTK_APP_KEY_LEN + sizeof(hooks) - 1
        || memcmp(p, head, sizeof(head) - 1) != 0)
    {
        return 0;
    }

    end = p + len;

    account = p + sizeof(head) - 1;
    p = account + RTK_ACCOUNT_ID_LEN;

    if (!rtk_route_hex(account, RTK_ACCOUNT_ID_LEN)
        || memcmp(p, kit, sizeof(kit) - 1) != 0)
    {
        return 0;
    }

    app = p + sizeof(kit) - 1;

    /* the length check above leaves room for a 32-digit app id */

    if (app[RTK_APP_KEY_LEN] == '/') {
        app_len = RTK_APP_KEY_LEN;

    } else if (end - app > RTK_UUID_LEN && app[RTK_UUID_LEN] == '/') {
        app_len = RTK_UUID_LEN;

    } else {
        return 0;
    }

    p = app + app_len;

    if ((size_t) (end - p) < sizeof(hooks) - 1
        || memcmp(p, hooks, sizeof(hooks) - 1) != 0)
    {
        return 0;
    }

    p += sizeof(hooks) - 1;
    hook = NULL;

    if (p != end) {
        if (end - p != 1 + RTK_UUID_LEN || *p != '/'
            || !rtk_route_uuid(p + 1, RTK_UUID_LEN))
        {
            return 0;
        }

        hook = p + 1;
    }

    if (rtk_route_app_key(app, app_len, route->app_key) != RTK_OK) {
        return 0;
    }

    memcpy(route->account, account, RTK_ACCOUNT_ID_LEN);
    route->account[RTK_ACCOUNT_ID_LEN] = '\0';

    memcpy(route->app, app, app_len);
    route->app[app_len] = '\0';
    route->app_len = app_len;

    route->item = (hook != NULL);
    route->webhook_len = 0;
    route->webhook[0] = '\0';

    if (hook != NULL) {
        memcpy(route->webhook, hook, RTK_UUID_LEN);
        route->webhook[RTK_UUID_LEN] = '\0';
        route->webhook_len = RTK_UUID_LEN;
    }

    return 1;
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
    if (len == RTK_APP_KEY_LEN) {
        if (!rtk_route_hex(id, len)) {
            return RTK_ERROR;
        }

        memcpy(key, id, RTK_APP_KEY_LEN);

    } else if (rtk_route_uuid(id, len)) {
        /* 8-4-4-4-12 without the dashes */
        memcpy(key, id, 8);
        memcpy(key + 8, id + 9, 4);
        memcpy(key + 12, id + 14, 4);
        memcpy(key + 16, id + 19, 4);
        memcpy(key + 20, id + 24, 12);

    } else {
        return RTK_ERROR;
    }

    key[RTK_APP_KEY_LEN] = '\0';

    return RTK_OK;
}


static unsigned char *
rtk_route_cpy(unsigned char *dst, const char *src, size_t len)
{
    memcpy(dst, src, len);

    return dst + len;
}


static int
rtk_route_literal(const rtk_route_seg_t *seg, const char *s, size_t n)
{
    return seg->len == n && memcmp(seg->data, s, n) == 0;
}


/* lowercase hex only: ids are compared byte for byte in the policy */

static int
rtk_route_hex(const unsigned char *p, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if (!rtk_route_hex_digit[p[i]]) {
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
