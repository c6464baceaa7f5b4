
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * rtk_route_parse() against the parser it replaced, kept here as the
 * oracle: random request targets built from the pieces that matter
 * (the prefix, the literals, good and bad ids, empty and dot segments,
 * '%', '?', trailing slashes) must be accepted or refused alike, with
 * the same code and message, and accepted ones give the same route.
 */


#include <stdint.h>

#include "rtk_test.h"
#include "rtk_route.h"


#define RTK_ROUTE_PREFIX         "/client/v4"
#define RTK_ROUTE_SEGMENTS       7

#define RTK_RO_RANDOM            200000
#define RTK_RO_PIECES            11


typedef struct {
    const unsigned char     *data;
    size_t                   len;
} rtk_route_seg_t;


static int rtk_ro_parse(rtk_route_t *route, const unsigned char *target,
    size_t len, rtk_error_t *err);
static int rtk_ro_app_key(const unsigned char *id, size_t len, char *key);
static int rtk_ro_literal(const rtk_route_seg_t *seg, const char *s);
static int rtk_ro_hex(const unsigned char *p, size_t len);
static int rtk_ro_uuid(const unsigned char *p, size_t len);
static uint64_t rtk_ro_rand(void);
static size_t rtk_ro_target(char *buf);
static int rtk_ro_same(const char *target, size_t len, int quiet);
static int rtk_ro_route_eq(const rtk_route_t *a, const rtk_route_t *b);


static uint64_t  rtk_ro_state = 0x2545f4914f6cdd1dULL;
static int       rtk_ro_last_rc;
static int       rtk_ro_last_code;


/* the parser as it was */

static int
rtk_ro_parse(rtk_route_t *route, const unsigned char *target, size_t len,
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
        || !rtk_ro_literal(&seg[0], "accounts")
        || !rtk_ro_literal(&seg[2], "realtime")
        || !rtk_ro_literal(&seg[3], "kit")
        || !rtk_ro_literal(&seg[5], "webhooks"))
    {
        return rtk_error_set(err, RTK_E_ROUTE_NOT_FOUND, "unknown path");
    }

    if (seg[1].len != RTK_ACCOUNT_ID_LEN
        || !rtk_ro_hex(seg[1].data, seg[1].len))
    {
        return rtk_error_set(err, RTK_E_ROUTE_ACCOUNT,
                             "invalid account id");
    }

    /*
     * Both spellings of an app id share one key, so that neither can
     * miss the app's own policy entry for a looser "*" one.
     */

    if (rtk_ro_app_key(seg[4].data, seg[4].len, route->app_key)
        != RTK_OK)
    {
        return rtk_error_set(err, RTK_E_ROUTE_APP, "invalid app id");
    }

    /* "webhooks/all" (the event names) is no uuid: refused here too */

    if (n == RTK_ROUTE_SEGMENTS
        && !rtk_ro_uuid(seg[6].data, seg[6].len))
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


static int
rtk_ro_app_key(const unsigned char *id, size_t len, char *key)
{
    size_t  i, n;

    if (len == RTK_APP_KEY_LEN) {
        if (!rtk_ro_hex(id, len)) {
            return RTK_ERROR;
        }

    } else if (!rtk_ro_uuid(id, len)) {
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


static int
rtk_ro_literal(const rtk_route_seg_t *seg, const char *s)
{
    size_t  n;

    n = strlen(s);

    return seg->len == n && memcmp(seg->data, s, n) == 0;
}


static int
rtk_ro_hex(const unsigned char *p, size_t len)
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
rtk_ro_uuid(const unsigned char *p, size_t len)
{
    if (len != RTK_UUID_LEN) {
        return 0;
    }

    if (p[8] != '-' || p[13] != '-' || p[18] != '-' || p[23] != '-') {
        return 0;
    }

    return rtk_ro_hex(p, 8) && rtk_ro_hex(p + 9, 4)
           && rtk_ro_hex(p + 14, 4) && rtk_ro_hex(p + 19, 4)
           && rtk_ro_hex(p + 24, 12);
}


static uint64_t
rtk_ro_rand(void)
{
    rtk_ro_state ^= rtk_ro_state >> 12;
    rtk_ro_state ^= rtk_ro_state << 25;
    rtk_ro_state ^= rtk_ro_state >> 27;

    return rtk_ro_state * 0x2545f4914f6cdd1dULL;
}


/* mostly the route's own shape, with one piece or two off */

static size_t
rtk_ro_target(char *buf)
{
    size_t       i, k, n;
    const char  *piece;

    static const char  *shape[RTK_RO_PIECES] = {
        "/client", "/v4", "/accounts", "/023e105f4ecef8ad9ca31a8372d0c353",
        "/realtime", "/kit", "/14a396e7-ca44-4937-bf1f-050a69118543",
        "/webhooks", "/aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", "", ""
    };

    static const char  *other[] = {
        "/", "//", "/.", "/..", "/.x", "/..x", "/x.", "/...", "/%2e", "?",
        "?a=b", "%", "/client", "/v4", "/client/v4", "/accounts",
        "/realtime", "/kit", "/webhooks", "/all", "/Webhooks",
        "/023E105F4ECEF8AD9CA31A8372D0C353",
        "/023e105f4ecef8ad9ca31a8372d0c35",
        "/023e105f4ecef8ad9ca31a8372d0c353a",
        "/14a396e7ca444937bf1f050a69118543",
        "/14a396e7-ca44-4937-bf1f-050a6911854g",
        "/14a396e7-ca44-4937-bf1f_050a69118543",
        "/14A396E7-CA44-4937-BF1F-050A69118543",
        "/14a396e7-ca44-4937-bf1f-050a691185430",
        "/aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeee",
        "/aaaaaaaabbbb4ccc8dddeeeeeeeeeeee", "/x", "", "#", "\0"
    };

    k = 0;

    for (i = 0; i < RTK_RO_PIECES; i++) {
        switch (rtk_ro_rand() % 16) {
        case 0:
            piece = "";
            break;
        case 1:
        case 2:
            piece = other[rtk_ro_rand() % (sizeof(other) / sizeof(char *))];
            break;
        default:
            piece = shape[i];
            break;
        }

        /* "\0" is the one piece with a byte its strlen() does not count */
        n = (piece[0] == '\0' && piece == other[sizeof(other)
                                                / sizeof(char *) - 1])
            ? 1 : strlen(piece);

        memcpy(buf + k, piece, n);
        k += n;

        /* now and then a piece twice */
        if (rtk_ro_rand() % 64 == 0) {
            memcpy(buf + k, piece, n);
            k += n;
        }
    }

    return k;
}


static int
rtk_ro_route_eq(const rtk_route_t *a, const rtk_route_t *b)
{
    return strcmp(a->account, b->account) == 0
           && strcmp(a->app, b->app) == 0
           && strcmp(a->app_key, b->app_key) == 0
           && strcmp(a->webhook, b->webhook) == 0
           && a->app_len == b->app_len && a->webhook_len == b->webhook_len
           && a->item == b->item;
}


static int
rtk_ro_same(const char *target, size_t len, int quiet)
{
    int          rc, want, same;
    rtk_route_t  route, oracle;
    rtk_error_t  err, oerr;

    memset(&route, 0, sizeof(rtk_route_t));
    memset(&oracle, 0, sizeof(rtk_route_t));
    memset(&err, 0, sizeof(rtk_error_t));
    memset(&oerr, 0, sizeof(rtk_error_t));

    rc = rtk_route_parse(&route, (const unsigned char *) target, len, &err);
    want = rtk_ro_parse(&oracle, (const unsigned char *) target, len,
                        &oerr);

    rtk_ro_last_rc = rc;
    rtk_ro_last_code = err.code;

    if (rc != want) {
        same = 0;

    } else if (rc == RTK_OK) {
        same = rtk_ro_route_eq(&route, &oracle);

    } else {
        same = err.code == oerr.code && err.status == oerr.status
               && strcmp(err.message, oerr.message) == 0;
    }

    if (!same && !quiet) {
        RTK_CHECK(same, "\"%.*s\": %d %d \"%s\", the oracle's %d %d \"%s\"",
                  (int) len, target, rc, err.code, err.message, want,
                  oerr.code, oerr.message);

    } else if (!same) {
        fprintf(stderr, "\"%.*s\": %d %d \"%s\", the oracle's %d %d \"%s\"\n",
                (int) len, target, rc, err.code, err.message, want,
                oerr.code, oerr.message);

    } else if (!quiet) {
        RTK_CHECK(same, "\"%.*s\"", (int) len, target);
    }

    return same;
}


int
main(void)
{
    long      i, bad, accepted;
    char      buf[1024];
    size_t    k, n;
    unsigned  seen;

    static const int  codes[] = {
        RTK_E_ROUTE_NOT_FOUND, RTK_E_PATH_ENCODED, RTK_E_PATH_QUERY,
        RTK_E_PATH_DOUBLE_SLASH, RTK_E_PATH_DOT_SEGMENT,
        RTK_E_PATH_TRAILING, RTK_E_ROUTE_ACCOUNT, RTK_E_ROUTE_APP,
        RTK_E_ROUTE_WEBHOOK
    };

    static const char  *fixed[] = {
        "", "/", "//", "x", "/client/v4", "/client/v4/",
        "/client/v4/accounts/023e105f4ecef8ad9ca31a8372d0c353/realtime/kit"
        "/14a396e7-ca44-4937-bf1f-050a69118543/webhooks",
        "/accounts/023e105f4ecef8ad9ca31a8372d0c353/realtime/kit"
        "/14a396e7ca444937bf1f050a69118543/webhooks"
        "/aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee",
        "/client/v4x/accounts/023e105f4ecef8ad9ca31a8372d0c353/realtime/kit"
        "/14a396e7-ca44-4937-bf1f-050a69118543/webhooks",
        "/client/v4/client/v4/accounts/023e105f4ecef8ad9ca31a8372d0c353"
        "/realtime/kit/14a396e7-ca44-4937-bf1f-050a69118543/webhooks",
        "/a//b/../c", "/a/./b//", "/a/b/", "/a/%2e/b?x"
    };

    for (i = 0; i < (long) (sizeof(fixed) / sizeof(fixed[0])); i++) {
        (void) rtk_ro_same(fixed[i], strlen(fixed[i]), 0);
    }

    bad = 0;
    accepted = 0;
    seen = 0;

    for (i = 0; i < RTK_RO_RANDOM; i++) {
        k = rtk_ro_target(buf);

        if (!rtk_ro_same(buf, k, 1) && ++bad == 10) {
            break;
        }

        accepted += (rtk_ro_last_rc == RTK_OK);

        for (n = 0; n < sizeof(codes) / sizeof(codes[0]); n++) {
            if (rtk_ro_last_rc != RTK_OK && rtk_ro_last_code == codes[n]) {
                seen |= 1u << n;
            }
        }
    }

    RTK_CHECK(bad == 0, "%ld of %ld random targets differ", bad, i);

    /* the mix has both outcomes in numbers */
    RTK_CHECK(accepted > RTK_RO_RANDOM / 50
              && accepted < RTK_RO_RANDOM / 2,
              "%ld of %d accepted", accepted, RTK_RO_RANDOM);

    /* and every refusal */
    RTK_CHECK(seen == (1u << (sizeof(codes) / sizeof(codes[0]))) - 1,
              "refusals seen: %#x", seen);

    (void) rtk_test_alloc;

    return rtk_test_report("route_oracle");
}
