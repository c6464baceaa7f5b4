
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * rtk_route_parse() on raw request targets: the accepted shapes (the
 * collection and an item, both app id spellings), each 400 and 404 code,
 * and the rebuilt upstream paths.
 */


#include "rtk_test.h"
#include "rtk_route.h"


#define A    "0123456789abcdef0123456789abcdef"
#define U    "123e4567-e89b-12d3-a456-426614174000"
#define W    "9f8e7d6c-5b4a-4392-8171-605f4e3d2c1b"
#define H    "fedcba9876543210fedcba9876543210"
#define UK   "123e4567e89b12d3a456426614174000"     /* U's key */

#define P(account, app, webhook)                                             \
    "/accounts/" account "/realtime/kit/" app "/webhooks/" webhook

#define C(account, app)                                                      \
    "/accounts/" account "/realtime/kit/" app "/webhooks"

#define RTK_RT_CODE(target, want)                                            \
    RTK_CHECK(rtk_rt_code(target, sizeof(target) - 1) == (want),             \
              "%s: got %d, want %d (%s)", target, rtk_rt_err.code, want,     \
              rtk_rt_err.message)


static int rtk_rt_code(const char *target, size_t len);
static void rtk_rt_test_valid(void);
static void rtk_rt_test_collection(void);
static void rtk_rt_test_app_key(void);
static void rtk_rt_test_path(void);
static void rtk_rt_test_400(void);
static void rtk_rt_test_404(void);
static void rtk_rt_test_ids(void);


static rtk_route_t  rtk_rt_route;
static rtk_error_t  rtk_rt_err;


static int
rtk_rt_code(const char *target, size_t len)
{
    int  rc;

    memset(&rtk_rt_route, 0x5a, sizeof(rtk_route_t));
    memset(&rtk_rt_err, 0, sizeof(rtk_error_t));

    rc = rtk_route_parse(&rtk_rt_route, (const unsigned char *) target, len,
                         &rtk_rt_err);

    if (rc == RTK_OK) {
        return 0;
    }

    RTK_CHECK(rc == RTK_ERROR, "rc %d", rc);
    RTK_CHECK(rtk_rt_err.status == rtk_rt_err.code / 100
              && (rtk_rt_err.status == 400 || rtk_rt_err.status == 404),
              "status %d code %d", rtk_rt_err.status, rtk_rt_err.code);
    RTK_CHECK(rtk_rt_err.message[0] != '\0', "no message");

    return rtk_rt_err.code;
}


static void
rtk_rt_test_valid(void)
{
    RTK_RT_CODE(P(A, U, W), 0);
    RTK_CHECK(strcmp(rtk_rt_route.account, A) == 0
              && strcmp(rtk_rt_route.app, U) == 0
              && rtk_rt_route.app_len == 36
              && strcmp(rtk_rt_route.app_key, UK) == 0
              && rtk_rt_route.item
              && strcmp(rtk_rt_route.webhook, W) == 0
              && rtk_rt_route.webhook_len == 36, "uuid app");

    RTK_RT_CODE("/client/v4" P(A, U, W), 0);
    RTK_CHECK(strcmp(rtk_rt_route.account, A) == 0
              && strcmp(rtk_rt_route.app, U) == 0
              && strcmp(rtk_rt_route.webhook, W) == 0, "with prefix");

    /* the 32-hex spelling: kept as sent, with the same key as the uuid */
    RTK_RT_CODE(P(A, UK, W), 0);
    RTK_CHECK(strcmp(rtk_rt_route.app, UK) == 0
              && rtk_rt_route.app_len == 32
              && strcmp(rtk_rt_route.app_key, UK) == 0
              && rtk_rt_route.item
              && strcmp(rtk_rt_route.webhook, W) == 0, "hex app");

    RTK_RT_CODE("/client/v4" P(A, H, W), 0);
    RTK_CHECK(strcmp(rtk_rt_route.app, H) == 0
              && strcmp(rtk_rt_route.app_key, H) == 0, "hex app, prefix");

    RTK_RT_CODE(P("00000000000000000000000000000000",
                  "00000000-0000-0000-0000-000000000000",
                  "ffffffff-ffff-ffff-ffff-ffffffffffff"), 0);
    RTK_CHECK(strcmp(rtk_rt_route.app_key,
                     "00000000000000000000000000000000") == 0, "zero key");
}


static void
rtk_rt_test_collection(void)
{
    RTK_RT_CODE(C(A, U), 0);
    RTK_CHECK(strcmp(rtk_rt_route.account, A) == 0
              && strcmp(rtk_rt_route.app, U) == 0
              && strcmp(rtk_rt_route.app_key, UK) == 0
              && !rtk_rt_route.item
              && rtk_rt_route.webhook[0] == '\0'
              && rtk_rt_route.webhook_len == 0, "collection");

    RTK_RT_CODE("/client/v4" C(A, U), 0);
    RTK_CHECK(!rtk_rt_route.item, "collection with prefix");

    RTK_RT_CODE(C(A, H), 0);
    RTK_CHECK(!rtk_rt_route.item && strcmp(rtk_rt_route.app, H) == 0
              && rtk_rt_route.app_len == 32, "collection, hex app");

    /* the same rules as for an item */
    RTK_RT_CODE(C(A, U) "/", RTK_E_PATH_TRAILING);
    RTK_RT_CODE("/client/v4" C(A, U) "/", RTK_E_PATH_TRAILING);
    RTK_RT_CODE(C(A, U) "?", RTK_E_PATH_QUERY);
    RTK_RT_CODE(C(A, U) "?page=2", RTK_E_PATH_QUERY);
    RTK_RT_CODE(C(A, U) "%2F", RTK_E_PATH_ENCODED);
    RTK_RT_CODE(C(A, U) "/.", RTK_E_PATH_DOT_SEGMENT);
    RTK_RT_CODE(C(A, U) "/..", RTK_E_PATH_DOT_SEGMENT);
    RTK_RT_CODE(C(A, U) "//", RTK_E_PATH_DOUBLE_SLASH);
    RTK_RT_CODE("/accounts/" A "/realtime/kit//webhooks",
                RTK_E_PATH_DOUBLE_SLASH);
    RTK_RT_CODE(C(A, U) "x", RTK_E_ROUTE_NOT_FOUND);
    RTK_RT_CODE(C(A, U) ";x", RTK_E_ROUTE_NOT_FOUND);
    RTK_RT_CODE("/accounts/" A "/realtime/kit/" U "/Webhooks",
                RTK_E_ROUTE_NOT_FOUND);
    RTK_RT_CODE("/accounts/" A "/realtime/kit/" U "/webhook",
                RTK_E_ROUTE_NOT_FOUND);
    RTK_RT_CODE(C("x", U), RTK_E_ROUTE_ACCOUNT);
    RTK_RT_CODE(C(A, "x"), RTK_E_ROUTE_APP);
    RTK_RT_CODE(C(A, "FEDCBA9876543210FEDCBA9876543210"), RTK_E_ROUTE_APP);

    /* "webhooks/all" lists event names: not a webhook id, refused */
    RTK_RT_CODE(C(A, U) "/all", RTK_E_ROUTE_WEBHOOK);
    RTK_RT_CODE("/client/v4" C(A, U) "/all", RTK_E_ROUTE_WEBHOOK);
    RTK_RT_CODE(C(A, U) "/all/x", RTK_E_ROUTE_NOT_FOUND);
    RTK_RT_CODE(C(A, U) "/", RTK_E_PATH_TRAILING);
}


static void
rtk_rt_test_app_key(void)
{
    char  key[RTK_APP_KEY_LEN + 1];

    static const char  *bad[] = {
        "", "*", "x",
        "123E4567-E89B-12D3-A456-426614174000",
        "123E4567E89B12D3A456426614174000",
        "123e4567e89b12d3a45642661417400",
        "123e4567e89b12d3a4564266141740000",
        "123e4567-e89b-12d3-a456-42661417400",
        "123e4567e-89b-12d3-a456-426614174000",
        "123e4567-e89b12d3-a456-4266141740000",
        "123e4567-e89b-12d3-a456-42661417400g",
        "123e4567e89b12d3a45642661417400g",
        "-23e4567e89b12d3a456426614174000"
    };

    size_t  i;

    memset(key, 'x', sizeof(key));
    RTK_CHECK(rtk_route_app_key((const unsigned char *) U, 36, key)
              == RTK_OK && strcmp(key, UK) == 0, "uuid key %s", key);

    memset(key, 'x', sizeof(key));
    RTK_CHECK(rtk_route_app_key((const unsigned char *) UK, 32, key)
              == RTK_OK && strcmp(key, UK) == 0, "hex key %s", key);

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        RTK_CHECK(rtk_route_app_key((const unsigned char *) bad[i],
                                    strlen(bad[i]), key)
                  == RTK_ERROR, "accepted \"%s\"", bad[i]);
    }
}


static void
rtk_rt_test_path(void)
{
    size_t         i, n;
    unsigned char  buf[RTK_ROUTE_PATH_MAX + 1];

    static const char  want_uuid[] = "/client/v4" P(A, U, W);

    static const struct {
        const char  *target;
        const char  *path;
    } paths[] = {
        { P(A, U, W), "/client/v4" P(A, U, W) },
        { "/client/v4" P(A, U, W), "/client/v4" P(A, U, W) },
        { P(A, UK, W), "/client/v4" P(A, UK, W) },
        { C(A, U), "/client/v4" C(A, U) },
        { "/client/v4" C(A, H), "/client/v4" C(A, H) },
        { C(A, H), "/client/v4" C(A, H) }
    };

    RTK_CHECK(RTK_ROUTE_PATH_MAX == sizeof(want_uuid) - 1,
              "RTK_ROUTE_PATH_MAX %zu", (size_t) RTK_ROUTE_PATH_MAX);

    for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        RTK_CHECK(rtk_rt_code(paths[i].target, strlen(paths[i].target)) == 0,
                  "%s: %s", paths[i].target, rtk_rt_err.message);

        memset(buf, 'Z', sizeof(buf));
        n = rtk_route_path(&rtk_rt_route, buf);

        RTK_CHECK(n == strlen(paths[i].path)
                  && memcmp(buf, paths[i].path, n) == 0
                  && buf[RTK_ROUTE_PATH_MAX] == 'Z',
                  "path %.*s, want %s", (int) n, buf, paths[i].path);
    }
}


static void
rtk_rt_test_400(void)
{
    /* percent-encoding of any kind, anywhere, even %2F */
    RTK_RT_CODE(P(A, U, W) "%2F", RTK_E_PATH_ENCODED);
    RTK_RT_CODE("/accounts%2F" A "/realtime/kit/" U "/webhooks/" W,
                RTK_E_PATH_ENCODED);
    RTK_RT_CODE("/accounts/" A "/realtime/kit/" U "/webhooks/"
                "9f8e7d6c-5b4a-4392-8171-605f4e3d2c1%62", RTK_E_PATH_ENCODED);
    RTK_RT_CODE("/%61ccounts/" A "/realtime/kit/" U "/webhooks/" W,
                RTK_E_PATH_ENCODED);
    RTK_RT_CODE("/client%2Fv4" P(A, U, W), RTK_E_PATH_ENCODED);
    RTK_RT_CODE(P(A, U, W) "?a=%20", RTK_E_PATH_ENCODED);
    RTK_RT_CODE("/%", RTK_E_PATH_ENCODED);
    RTK_RT_CODE("/%2e%2e/x", RTK_E_PATH_ENCODED);

    /* query, even empty */
    RTK_RT_CODE(P(A, U, W) "?", RTK_E_PATH_QUERY);
    RTK_RT_CODE(P(A, U, W) "?x=1", RTK_E_PATH_QUERY);
    RTK_RT_CODE("/client/v4" P(A, U, W) "?", RTK_E_PATH_QUERY);
    RTK_RT_CODE("/?", RTK_E_PATH_QUERY);
    RTK_RT_CODE(P(A, U, W) "?a//b", RTK_E_PATH_QUERY);
    RTK_RT_CODE(P(A, U, W) "?/../", RTK_E_PATH_QUERY);

    /* empty segments */
    RTK_RT_CODE("/" P(A, U, W), RTK_E_PATH_DOUBLE_SLASH);
    RTK_RT_CODE("/client/v4/" P(A, U, W), RTK_E_PATH_DOUBLE_SLASH);
    RTK_RT_CODE("/accounts//" A "/realtime/kit/" U "/webhooks/" W,
                RTK_E_PATH_DOUBLE_SLASH);
    RTK_RT_CODE("/accounts/" A "/realtime//kit/" U "/webhooks/" W,
                RTK_E_PATH_DOUBLE_SLASH);
    RTK_RT_CODE(P(A, U, W) "//", RTK_E_PATH_DOUBLE_SLASH);
    RTK_RT_CODE("//", RTK_E_PATH_DOUBLE_SLASH);
    RTK_RT_CODE("/accounts//realtime/kit/" U "/webhooks/" W,
                RTK_E_PATH_DOUBLE_SLASH);

    /* dot segments */
    RTK_RT_CODE("/accounts/" A "/realtime/./kit/" U "/webhooks/" W,
                RTK_E_PATH_DOT_SEGMENT);
    RTK_RT_CODE("/accounts/" A "/x/../realtime/kit/" U "/webhooks/" W,
                RTK_E_PATH_DOT_SEGMENT);
    RTK_RT_CODE("/./accounts/" A "/realtime/kit/" U "/webhooks/" W,
                RTK_E_PATH_DOT_SEGMENT);
    RTK_RT_CODE("/../accounts/" A "/realtime/kit/" U "/webhooks/" W,
                RTK_E_PATH_DOT_SEGMENT);
    RTK_RT_CODE("/client/v4/.." P(A, U, W), RTK_E_PATH_DOT_SEGMENT);
    RTK_RT_CODE(P(A, U, W) "/.", RTK_E_PATH_DOT_SEGMENT);
    RTK_RT_CODE(P(A, U, W) "/..", RTK_E_PATH_DOT_SEGMENT);
    RTK_RT_CODE("/.", RTK_E_PATH_DOT_SEGMENT);
    RTK_RT_CODE("/..", RTK_E_PATH_DOT_SEGMENT);

    /* dots that are not dot segments are just a wrong path */
    RTK_RT_CODE("/.../accounts/" A "/realtime/kit/" U "/webhooks/" W,
                RTK_E_ROUTE_NOT_FOUND);
    RTK_RT_CODE("/.accounts/" A "/realtime/kit/" U "/webhooks/" W,
                RTK_E_ROUTE_NOT_FOUND);
    RTK_RT_CODE(P(A, U, W) ".", RTK_E_ROUTE_WEBHOOK);
    RTK_RT_CODE(P(A, U, W) "/x.", RTK_E_ROUTE_NOT_FOUND);

    /* trailing slash */
    RTK_RT_CODE(P(A, U, W) "/", RTK_E_PATH_TRAILING);
    RTK_RT_CODE("/client/v4" P(A, U, W) "/", RTK_E_PATH_TRAILING);
    RTK_RT_CODE("/client/v4/", RTK_E_PATH_TRAILING);
    RTK_RT_CODE("/", RTK_E_ROUTE_NOT_FOUND);

    /* the order of the checks */
    RTK_RT_CODE("//?%", RTK_E_PATH_ENCODED);
    RTK_RT_CODE("//./?", RTK_E_PATH_QUERY);
    RTK_RT_CODE("//./", RTK_E_PATH_DOUBLE_SLASH);
    RTK_RT_CODE("/./", RTK_E_PATH_DOT_SEGMENT);
}


static void
rtk_rt_test_404(void)
{
    RTK_RT_CODE("", RTK_E_ROUTE_NOT_FOUND);
    RTK_RT_CODE("*", RTK_E_ROUTE_NOT_FOUND);
    RTK_RT_CODE("accounts/" A "/realtime/kit/" U "/webhooks/" W,
                RTK_E_ROUTE_NOT_FOUND);
    RTK_RT_CODE("http://example.com" P(A, U, W), RTK_E_ROUTE_NOT_FOUND);
    RTK_RT_CODE("/client/v4", RTK_E_ROUTE_NOT_FOUND);
    RTK_RT_CODE("/client", RTK_E_ROUTE_NOT_FOUND);
    RTK_RT_CODE("/accounts", RTK_E_ROUTE_NOT_FOUND);
    RTK_RT_CODE("/accounts/" A, RTK_E_ROUTE_NOT_FOUND);
    RTK_RT_CODE("/accounts/" A "/realtime/kit/" U, RTK_E_ROUTE_NOT_FOUND);
    RTK_RT_CODE("/accounts/" A "/realtime/kit", RTK_E_ROUTE_NOT_FOUND);
    RTK_RT_CODE("/accounts/" A "/realtime/kit/" U "/events",
                RTK_E_ROUTE_NOT_FOUND);
    RTK_RT_CODE(P(A, U, W) "/x", RTK_E_ROUTE_NOT_FOUND);
    RTK_RT_CODE(P(A, U, W) "/webhooks/" W, RTK_E_ROUTE_NOT_FOUND);

    /* the prefix is exact and only once */
    RTK_RT_CODE("/client/v5" P(A, U, W), RTK_E_ROUTE_NOT_FOUND);
    RTK_RT_CODE("/client/v4x" P(A, U, W), RTK_E_ROUTE_NOT_FOUND);
    RTK_RT_CODE("/Client/v4" P(A, U, W), RTK_E_ROUTE_NOT_FOUND);
    RTK_RT_CODE("/client/V4" P(A, U, W), RTK_E_ROUTE_NOT_FOUND);
    RTK_RT_CODE("/client/v4/client/v4" P(A, U, W), RTK_E_ROUTE_NOT_FOUND);
    RTK_RT_CODE("/v4" P(A, U, W), RTK_E_ROUTE_NOT_FOUND);
    RTK_RT_CODE("/api/client/v4" P(A, U, W), RTK_E_ROUTE_NOT_FOUND);

    /* the literal segments are exact */
    RTK_RT_CODE("/Accounts/" A "/realtime/kit/" U "/webhooks/" W,
                RTK_E_ROUTE_NOT_FOUND);
    RTK_RT_CODE("/account/" A "/realtime/kit/" U "/webhooks/" W,
                RTK_E_ROUTE_NOT_FOUND);
    RTK_RT_CODE("/accounts/" A "/realtime/Kit/" U "/webhooks/" W,
                RTK_E_ROUTE_NOT_FOUND);
    RTK_RT_CODE("/accounts/" A "/realtime/kits/" U "/webhooks/" W,
                RTK_E_ROUTE_NOT_FOUND);
    RTK_RT_CODE("/accounts/" A "/realtimes/kit/" U "/webhooks/" W,
                RTK_E_ROUTE_NOT_FOUND);
    RTK_RT_CODE("/accounts/" A "/kit/realtime/" U "/webhooks/" W,
                RTK_E_ROUTE_NOT_FOUND);
    RTK_RT_CODE("/accounts/" A "/realtime/kit/" U "/webhook/" W,
                RTK_E_ROUTE_NOT_FOUND);
    RTK_RT_CODE("/accounts/" A "/realtime/kit/" U "/Webhooks/" W,
                RTK_E_ROUTE_NOT_FOUND);
    RTK_RT_CODE("/accounts/" A "/realtime/kit/" U "/webhooks;x/" W,
                RTK_E_ROUTE_NOT_FOUND);
    RTK_RT_CODE("/accounts/" A "/realtime/kit/" U "/webhooks\\/" W,
                RTK_E_ROUTE_NOT_FOUND);
    RTK_RT_CODE("/accounts/" A "/realtime/kit\0/" U "/webhooks/" W,
                RTK_E_ROUTE_NOT_FOUND);

    /* a wrong shape wins over a bad id */
    RTK_RT_CODE("/accounts/X/realtime/kit/Y/webhook/Z",
                RTK_E_ROUTE_NOT_FOUND);
}


static void
rtk_rt_test_ids(void)
{
    /* account: exactly 32 lowercase hex */
    RTK_RT_CODE(P("0123456789ABCDEF0123456789abcdef", U, W),
                RTK_E_ROUTE_ACCOUNT);
    RTK_RT_CODE(P("0123456789abcdef0123456789abcdeF", U, W),
                RTK_E_ROUTE_ACCOUNT);
    RTK_RT_CODE(P("0123456789abcdef0123456789abcde", U, W),
                RTK_E_ROUTE_ACCOUNT);
    RTK_RT_CODE(P("0123456789abcdef0123456789abcdef0", U, W),
                RTK_E_ROUTE_ACCOUNT);
    RTK_RT_CODE(P("0123456789abcdef0123456789abcdeg", U, W),
                RTK_E_ROUTE_ACCOUNT);
    RTK_RT_CODE(P(U, U, W), RTK_E_ROUTE_ACCOUNT);
    RTK_RT_CODE(P("x", U, W), RTK_E_ROUTE_ACCOUNT);
    RTK_RT_CODE(P("0123456789abcdef 123456789abcdef", U, W),
                RTK_E_ROUTE_ACCOUNT);
    RTK_RT_CODE("/client/v4" P("0123456789abcdef0123456789abcde", U, W),
                RTK_E_ROUTE_ACCOUNT);

    /* app: a lowercase uuid or 32 lowercase hex digits, nothing else */
    RTK_RT_CODE(P(A, "123E4567-E89B-12D3-A456-426614174000", W),
                RTK_E_ROUTE_APP);
    RTK_RT_CODE(P(A, "123e4567-e89b-12d3-a456-42661417400A", W),
                RTK_E_ROUTE_APP);
    RTK_RT_CODE(P(A, "FEDCBA9876543210FEDCBA9876543210", W),
                RTK_E_ROUTE_APP);
    RTK_RT_CODE(P(A, "fedcba9876543210fedcba987654321", W),
                RTK_E_ROUTE_APP);
    RTK_RT_CODE(P(A, "fedcba9876543210fedcba98765432100", W),
                RTK_E_ROUTE_APP);
    RTK_RT_CODE(P(A, "123e4567-e89b-12d3-a456-42661417400", W),
                RTK_E_ROUTE_APP);
    RTK_RT_CODE(P(A, "123e4567-e89b-12d3-a456-4266141740000", W),
                RTK_E_ROUTE_APP);
    RTK_RT_CODE(P(A, "123e4567e-89b-12d3-a456-426614174000", W),
                RTK_E_ROUTE_APP);
    RTK_RT_CODE(P(A, "123e4567-e89b-12d3-a456_426614174000", W),
                RTK_E_ROUTE_APP);
    RTK_RT_CODE(P(A, "{123e4567-e89b-12d3-a456-426614174000}", W),
                RTK_E_ROUTE_APP);
    RTK_RT_CODE(P(A, "123e4567-e89b-12d3-a456-42661417400g", W),
                RTK_E_ROUTE_APP);
    RTK_RT_CODE(P(A, "1-3e4567-e89b-12d3-a456-426614174000", W),
                RTK_E_ROUTE_APP);
    RTK_RT_CODE(P(A, "123e4567-e89b-12d3-a456-4266141740-0", W),
                RTK_E_ROUTE_APP);
    RTK_RT_CODE(P(A, "x", W), RTK_E_ROUTE_APP);
    RTK_RT_CODE("/client/v4" P(A, "123E4567-E89B-12D3-A456-426614174000",
                               W), RTK_E_ROUTE_APP);
    RTK_RT_CODE(P(A, "fedcba9876543210fedcba987654321F", W),
                RTK_E_ROUTE_APP);
    RTK_RT_CODE(P(A, "fedcba9876543210fedcba987654321g", W),
                RTK_E_ROUTE_APP);
    RTK_RT_CODE(P(A, "fedcba98-76543210fedcba9876543210", W),
                RTK_E_ROUTE_APP);
    RTK_RT_CODE(P(A, "fedcba9876543210-fedcba987654321", W),
                RTK_E_ROUTE_APP);
    RTK_RT_CODE(P(A, "123e4567e89b-12d3-a456-426614174000", W),
                RTK_E_ROUTE_APP);

    /* webhook: a lowercase uuid only */
    RTK_RT_CODE(P(A, U, "9F8E7D6C-5B4A-4392-8171-605F4E3D2C1B"),
                RTK_E_ROUTE_WEBHOOK);
    RTK_RT_CODE(P(A, U, "9f8e7d6c-5b4a-4392-8171-605f4e3d2c1B"),
                RTK_E_ROUTE_WEBHOOK);
    RTK_RT_CODE(P(A, U, "9f8e7d6c5b4a43928171605f4e3d2c1b"),
                RTK_E_ROUTE_WEBHOOK);
    RTK_RT_CODE(P(A, U, "9f8e7d6c-5b4a-4392-8171-605f4e3d2c1"),
                RTK_E_ROUTE_WEBHOOK);
    RTK_RT_CODE(P(A, U, "9f8e7d6c-5b4a-4392-8171-605f4e3d2c1bb"),
                RTK_E_ROUTE_WEBHOOK);
    RTK_RT_CODE(P(A, U, "9f8e7d6c-5b4a-4392-8171605f-4e3d2c1b"),
                RTK_E_ROUTE_WEBHOOK);
    RTK_RT_CODE(P(A, U, "9f8e7d6c-5b4a-4392-8171-605f4e3d2c1x"),
                RTK_E_ROUTE_WEBHOOK);
    RTK_RT_CODE(P(A, U, "9f8e7d6c-5b4a-4392-8171-605f4e3d2c1b;x"),
                RTK_E_ROUTE_WEBHOOK);
    RTK_RT_CODE(P(A, U, "9f8e7d6c-5b4a-4392-8171-605f4e3d2c1b#x"),
                RTK_E_ROUTE_WEBHOOK);
    RTK_RT_CODE(P(A, U, "x"), RTK_E_ROUTE_WEBHOOK);
    RTK_RT_CODE("/client/v4" P(A, U, "9f8e7d6c5b4a43928171605f4e3d2c1b"),
                RTK_E_ROUTE_WEBHOOK);

    /* with more than one bad id the first one is named */
    RTK_RT_CODE(P("x", "y", "z"), RTK_E_ROUTE_ACCOUNT);
    RTK_RT_CODE(P(A, "y", "z"), RTK_E_ROUTE_APP);
}


int
main(void)
{
    (void) rtk_test_alloc;

    rtk_rt_test_valid();
    rtk_rt_test_collection();
    rtk_rt_test_app_key();
    rtk_rt_test_path();
    rtk_rt_test_400();
    rtk_rt_test_404();
    rtk_rt_test_ids();

    return rtk_test_report("route");
}
