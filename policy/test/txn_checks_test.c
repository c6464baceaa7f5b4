
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * rtk_txn_*: the checks of the identity, the Content-Type variants, the
 * size and the body, each refusal with the gateway's status, code and
 * message, the checks out of order, the outcome settled once, failures,
 * and the defaults for nginx's own statuses.
 */


#include "txn_test.h"


#define RTK_TT_CT(value, count, want)                                        \
    RTK_CHECK(rtk_tt_ct(value, value == NULL ? 0 : sizeof(value) - 1,       \
                        count) == (want),                                    \
              "Content-Type \"%s\" x%u: want %s", value ? value : "(none)",  \
              count, (want) == RTK_OK ? "accepted" : "refused")


static int rtk_tt_ct(const char *value, size_t len, unsigned count);
static void rtk_tt_test_identity(void);
static void rtk_tt_test_content_type(void);
static void rtk_tt_test_size(void);
static void rtk_tt_test_body(void);
static void rtk_tt_test_order(void);
static void rtk_tt_test_settle_once(void);
static void rtk_tt_test_fail(void);
static void rtk_tt_test_status(void);


static int
rtk_tt_ct(const char *value, size_t len, unsigned count)
{
    int        rc;
    rtk_txn_t  txn;

    rtk_txn_init(&txn);

    rc = rtk_txn_content_type(&txn, (const unsigned char *) value, len,
                              count);

    if (rc == RTK_OK) {
        return txn.settled ? -1 : RTK_OK;
    }

    if (rtk_tt_outcome(&txn, 415, RTK_E_CONTENT_TYPE,
                       "Content-Type must be application/json")
        != 0)
    {
        return -1;
    }

    return RTK_ERROR;
}


static void
rtk_tt_test_identity(void)
{
    rtk_txn_t       txn;
    unsigned char   big[RTK_TXN_IDENTITY_MAX + 2];

    rtk_txn_init(&txn);
    RTK_CHECK(rtk_txn_identity(&txn, S("alice")) == RTK_OK
              && txn.identified && !txn.settled && txn.caller_len == 5,
              "alice");

    rtk_txn_init(&txn);
    RTK_CHECK(rtk_txn_identity(&txn, S("")) == RTK_ERROR
              && !txn.identified, "empty");
    RTK_TT_OUTCOME(&txn, 401, RTK_E_IDENTITY_MISSING,
                   "caller identity is missing");

    rtk_txn_init(&txn);
    (void) rtk_txn_identity(&txn, NULL, 0);
    RTK_TT_OUTCOME(&txn, 401, RTK_E_IDENTITY_MISSING,
                   "caller identity is missing");

    memset(big, 'x', sizeof(big));

    rtk_txn_init(&txn);
    RTK_CHECK(rtk_txn_identity(&txn, big, RTK_TXN_IDENTITY_MAX) == RTK_OK
              && txn.caller_len == RTK_TXN_IDENTITY_MAX,
              "1024 bytes are fine");

    rtk_txn_init(&txn);
    RTK_CHECK(rtk_txn_identity(&txn, big, RTK_TXN_IDENTITY_MAX + 1)
              == RTK_ERROR && !txn.identified, "1025 bytes");
    RTK_TT_OUTCOME(&txn, 401, RTK_E_IDENTITY_MISSING,
                   "caller identity is too long");
    RTK_CHECK(txn.caller == big
              && txn.caller_len == RTK_TXN_IDENTITY_MAX,
              "too long: kept %zu bytes", txn.caller_len);

    rtk_txn_init(&txn);
    (void) rtk_txn_identity(&txn, big, sizeof(big));
    RTK_CHECK(txn.caller_len == RTK_TXN_IDENTITY_MAX, "cut: %zu",
              txn.caller_len);
}


static void
rtk_tt_test_content_type(void)
{
    /* accepted */
    RTK_TT_CT("application/json", 1, RTK_OK);
    RTK_TT_CT("APPLICATION/JSON", 1, RTK_OK);
    RTK_TT_CT("Application/Json", 1, RTK_OK);
    RTK_TT_CT("application/json ", 1, RTK_OK);
    RTK_TT_CT("application/json\t \t", 1, RTK_OK);
    RTK_TT_CT("application/json;charset=utf-8", 1, RTK_OK);
    RTK_TT_CT("application/json; charset=utf-8", 1, RTK_OK);
    RTK_TT_CT("application/json ; charset=utf-8", 1, RTK_OK);
    RTK_TT_CT("application/json;\tcharset=utf-8\t ", 1, RTK_OK);
    RTK_TT_CT("APPLICATION/JSON; CHARSET=UTF-8", 1, RTK_OK);
    RTK_TT_CT("application/json; charset=\"utf-8\"", 1, RTK_OK);
    RTK_TT_CT("application/json;charset=\"UTF-8\" ", 1, RTK_OK);

    /* refused: not exactly one header */
    RTK_TT_CT(NULL, 0, RTK_ERROR);
    RTK_TT_CT(NULL, 1, RTK_ERROR);
    RTK_TT_CT("application/json", 0, RTK_ERROR);
    RTK_TT_CT("application/json", 2, RTK_ERROR);
    RTK_TT_CT("text/plain", 2, RTK_ERROR);

    /* refused: other types and parameters */
    RTK_TT_CT("", 1, RTK_ERROR);
    RTK_TT_CT("text/plain", 1, RTK_ERROR);
    RTK_TT_CT("application/jso", 1, RTK_ERROR);
    RTK_TT_CT("application/jsonp", 1, RTK_ERROR);
    RTK_TT_CT("application/json x", 1, RTK_ERROR);
    RTK_TT_CT("application/merge-patch+json", 1, RTK_ERROR);
    RTK_TT_CT("application/x-www-form-urlencoded", 1, RTK_ERROR);
    RTK_TT_CT("application/json;", 1, RTK_ERROR);
    RTK_TT_CT("application/json ; ", 1, RTK_ERROR);
    RTK_TT_CT("application/json;;charset=utf-8", 1, RTK_ERROR);
    RTK_TT_CT("application/json; charset=utf8", 1, RTK_ERROR);
    RTK_TT_CT("application/json; charset = utf-8", 1, RTK_ERROR);
    RTK_TT_CT("application/json; charset=utf-16", 1, RTK_ERROR);
    RTK_TT_CT("application/json; charset=iso-8859-1", 1, RTK_ERROR);
    RTK_TT_CT("application/json; charset=utf-8; boundary=x", 1, RTK_ERROR);
    RTK_TT_CT("application/json; charset='utf-8'", 1, RTK_ERROR);
    RTK_TT_CT("application/json; charset=\"utf-8", 1, RTK_ERROR);
    RTK_TT_CT("application/json,text/plain", 1, RTK_ERROR);
    RTK_TT_CT("application/json\0", 1, RTK_ERROR);
    RTK_TT_CT("application/json; charset=utf-8\0", 1, RTK_ERROR);

    /* nginx strips the value's spaces: what is left is not skipped */
    RTK_TT_CT(" application/json", 1, RTK_ERROR);
    RTK_TT_CT("\tapplication/json", 1, RTK_ERROR);
}


static void
rtk_tt_test_size(void)
{
    rtk_txn_t  txn;

    rtk_txn_init(&txn);
    RTK_CHECK(rtk_txn_size(&txn, -1, 65536) == RTK_OK && !txn.settled,
              "unknown length");
    RTK_CHECK(rtk_txn_size(&txn, 0, 65536) == RTK_OK, "empty");
    RTK_CHECK(rtk_txn_size(&txn, 65536, 65536) == RTK_OK, "at the limit");
    RTK_CHECK(rtk_txn_size(&txn, 0, 0) == RTK_OK, "nothing allowed");

    RTK_CHECK(rtk_txn_size(&txn, 65537, 65536) == RTK_ERROR, "over");
    RTK_TT_OUTCOME(&txn, 413, RTK_E_BODY_TOO_LARGE,
                   "body is larger than 65536 bytes");

    rtk_txn_init(&txn);
    (void) rtk_txn_size(&txn, 1LL << 40, 1024);
    RTK_TT_OUTCOME(&txn, 413, RTK_E_BODY_TOO_LARGE,
                   "body is larger than 1024 bytes");
}


static void
rtk_tt_test_body(void)
{
    int          rc;
    rtk_txn_t    txn;
    rtk_body_t   body;
    rtk_error_t  err;

    static const char  *bodies[] = {
        "",
        "{",
        "{\"enabled\":1}",
        "{\"secret\":1}",
        "{\"enabled\":true,\"enabled\":false}",
        "{\v\"name\":\"x\"\f}",
        "\xef\xbb\xbf{\"enabled\":true}",
        "{\"url\":\"ftp://x.example/\"}",
        "{\"events\":[]}"
    };

    size_t  i;

    /* each refusal is the parser's, unchanged, before the policy */

    for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        memset(&err, 0, sizeof(rtk_error_t));

        RTK_CHECK(rtk_body_parse(&body, RTK_OP_EDIT,
                                 (const unsigned char *) bodies[i],
                                 strlen(bodies[i]), rtk_tt_alloc, NULL, &err)
                  == RTK_ERROR, "%s: parsed", bodies[i]);

        rc = rtk_tt_run(&txn, PATH(A1, APP), "mallory", bodies[i]);

        RTK_CHECK(rc == RTK_ERROR && !txn.parsed && !txn.evaluated
                  && !txn.allowed, "%s: rc %d", bodies[i], rc);
        RTK_TT_OUTCOME(&txn, err.status, err.code, err.message);
        RTK_CHECK(err.status == 400, "%s: %d", bodies[i], err.status);
    }

    rc = rtk_tt_run(&txn, PATH(A1, APP), "alice", "{\v\"name\":\"x\"\f}");
    RTK_TT_OUTCOME(&txn, 400, RTK_E_JSON_SYNTAX, "invalid JSON: vertical "
                   "tab outside a string at offset 1");

    /* out of memory while parsing: the parser's answer */
    rtk_tt_allocs_left = 0;
    rc = rtk_tt_run(&txn, PATH(A1, APP), "alice", "{\"name\":\"x\"}");
    rtk_tt_allocs_left = -1;
    RTK_TT_OUTCOME(&txn, 500, RTK_E_INTERNAL, "out of memory");

    /* out of memory while serializing: evaluated, but not allowed */
    rtk_tt_allocs_left = 0;
    rc = rtk_tt_run(&txn, PATH(A1, APP), "alice", "{\"enabled\":true}");
    rtk_tt_allocs_left = -1;
    RTK_CHECK(rc == RTK_ERROR && txn.evaluated && !txn.allowed
              && txn.canonical == NULL
              && strcmp(rtk_txn_decision(&txn), "deny") == 0,
              "serialize nomem: rc %d", rc);
    RTK_TT_OUTCOME(&txn, 500, RTK_E_INTERNAL, "internal error");
}


/* the body needs a route and a caller: out of order is an internal error */

static void
rtk_tt_test_order(void)
{
    rtk_txn_t  txn;

    rtk_txn_init(&txn);
    RTK_CHECK(rtk_txn_body(&txn, rtk_tt_policy, S("{\"enabled\":true}"),
                           rtk_tt_alloc, NULL)
              == RTK_ERROR && !txn.parsed, "body first");
    RTK_TT_OUTCOME(&txn, 500, RTK_E_INTERNAL, "internal error");

    rtk_txn_init(&txn);
    (void) rtk_txn_route(&txn, S(PATH(A1, APP)));
    RTK_CHECK(rtk_txn_body(&txn, rtk_tt_policy, S("{\"enabled\":true}"),
                           rtk_tt_alloc, NULL)
              == RTK_ERROR, "body without a method");
    RTK_TT_OUTCOME(&txn, 500, RTK_E_INTERNAL, "internal error");

    rtk_txn_init(&txn);
    (void) rtk_txn_route(&txn, S(PATH(A1, APP)));
    (void) rtk_txn_method(&txn, S("PATCH"));
    RTK_CHECK(rtk_txn_body(&txn, rtk_tt_policy, S("{\"enabled\":true}"),
                           rtk_tt_alloc, NULL)
              == RTK_ERROR, "body without a caller");
    RTK_TT_OUTCOME(&txn, 500, RTK_E_INTERNAL, "internal error");

    rtk_txn_init(&txn);
    (void) rtk_txn_route(&txn, S(PATH(A1, APP)));
    (void) rtk_txn_method(&txn, S("PATCH"));
    (void) rtk_txn_identity(&txn, S("alice"));
    RTK_CHECK(rtk_txn_body(&txn, NULL, S("{\"enabled\":true}"),
                           rtk_tt_alloc, NULL)
              == RTK_ERROR, "body without a policy");
    RTK_TT_OUTCOME(&txn, 500, RTK_E_INTERNAL, "internal error");

    /* the first refusal in the gateway's order is the answer */
    rtk_txn_init(&txn);
    (void) rtk_txn_route(&txn, S("/client/v4/zones"));
    (void) rtk_txn_method(&txn, S("GET"));
    (void) rtk_txn_identity(&txn, S(""));
    (void) rtk_txn_content_type(&txn, S("text/plain"), 1);
    (void) rtk_txn_size(&txn, 1 << 20, 1024);
    (void) rtk_txn_body(&txn, rtk_tt_policy, S("{"), rtk_tt_alloc, NULL);
    RTK_CHECK(txn.outcome.code == RTK_E_ROUTE_NOT_FOUND, "route first: %d",
              txn.outcome.code);

    rtk_txn_init(&txn);
    (void) rtk_txn_route(&txn, S(PATH(A1, APP)));
    (void) rtk_txn_method(&txn, S("POST"));
    (void) rtk_txn_identity(&txn, S(""));
    RTK_TT_OUTCOME(&txn, 405, RTK_E_METHOD,
                   "method POST is not allowed, use GET, PUT, PATCH or "
                   "DELETE");
    RTK_CHECK(!txn.identified && txn.caller == NULL,
              "no identity looked at after the method");

    rtk_txn_init(&txn);
    (void) rtk_txn_route(&txn, S(PATH(A1, APP)));
    (void) rtk_txn_method(&txn, S("PATCH"));
    (void) rtk_txn_identity(&txn, S(""));
    (void) rtk_txn_content_type(&txn, S("text/plain"), 1);
    RTK_TT_OUTCOME(&txn, 401, RTK_E_IDENTITY_MISSING,
                   "caller identity is missing");

    rtk_txn_init(&txn);
    (void) rtk_txn_route(&txn, S(PATH(A1, APP)));
    (void) rtk_txn_method(&txn, S("PATCH"));
    (void) rtk_txn_identity(&txn, S("alice"));
    (void) rtk_txn_content_type(&txn, NULL, 0, 0);
    (void) rtk_txn_size(&txn, 1 << 20, 1024);
    RTK_TT_OUTCOME(&txn, 415, RTK_E_CONTENT_TYPE,
                   "Content-Type must be application/json");

    rtk_txn_init(&txn);
    (void) rtk_txn_route(&txn, S(PATH(A1, APP)));
    (void) rtk_txn_method(&txn, S("PATCH"));
    (void) rtk_txn_identity(&txn, S("alice"));
    (void) rtk_txn_content_type(&txn, S("application/json"), 1);
    (void) rtk_txn_size(&txn, 1 << 20, 1024);
    (void) rtk_txn_body(&txn, rtk_tt_policy, S("{"), rtk_tt_alloc, NULL);
    RTK_TT_OUTCOME(&txn, 413, RTK_E_BODY_TOO_LARGE,
                   "body is larger than 1024 bytes");
    RTK_CHECK(!txn.parsed, "no body parsed after a refusal");
}


static void
rtk_tt_test_settle_once(void)
{
    int        rc;
    rtk_txn_t  txn;

    rtk_txn_init(&txn);
    (void) rtk_txn_fail(&txn, 403, RTK_E_DENY_NO_TOKEN,
                        "no token is configured for account %s", A1);
    RTK_TT_OUTCOME(&txn, 403, RTK_E_DENY_NO_TOKEN,
                   "no token is configured for account " A1);

    /* nothing that follows changes it */
    rc = rtk_txn_fail(&txn, 500, RTK_E_INTERNAL, "other");
    RTK_CHECK(rc == RTK_ERROR, "fail again: %d", rc);
    rtk_txn_fail_status(&txn, 502);

    RTK_CHECK(rtk_txn_route(&txn, S(PATH(A1, APP))) == RTK_ERROR
              && !txn.routed, "route after settled");
    RTK_CHECK(rtk_txn_method(&txn, S("PATCH")) == RTK_ERROR,
              "method after settled");
    RTK_CHECK(rtk_txn_identity(&txn, S("alice")) == RTK_ERROR
              && txn.caller == NULL && !txn.identified,
              "identity after settled");
    RTK_CHECK(rtk_txn_content_type(&txn, S("application/json"), 1)
              == RTK_ERROR, "content type after settled");
    RTK_CHECK(rtk_txn_size(&txn, 1, 10) == RTK_ERROR, "size after settled");
    RTK_CHECK(rtk_txn_body(&txn, rtk_tt_policy, S("{\"enabled\":true}"),
                           rtk_tt_alloc, NULL)
              == RTK_ERROR && !txn.parsed && !txn.allowed,
              "body after settled");

    RTK_TT_OUTCOME(&txn, 403, RTK_E_DENY_NO_TOKEN,
                   "no token is configured for account " A1);

    /* a deny stays the answer */
    rc = rtk_tt_run(&txn, PATH(A1, APP), "mallory", "{\"enabled\":true}");
    rtk_txn_fail_status(&txn, 500);
    (void) rtk_txn_fail(&txn, 503, RTK_E_AUDIT_UNAVAILABLE, "x");
    RTK_TT_OUTCOME(&txn, 403, RTK_E_DENY_EDITOR,
                   "caller \"mallory\" is not an editor of app " APP);
}


static void
rtk_tt_test_fail(void)
{
    int        rc;
    char       want[RTK_ERROR_MESSAGE_MAX];
    rtk_txn_t  txn;

    rtk_txn_init(&txn);
    rc = rtk_txn_fail(&txn, 500, RTK_E_REDIRECT_REFUSED,
                      "the upstream redirected to %s", "elsewhere");
    RTK_CHECK(rc == RTK_ERROR, "rc %d", rc);
    RTK_TT_OUTCOME(&txn, 500, RTK_E_REDIRECT_REFUSED,
                   "the upstream redirected to elsewhere");

    /* the status is the caller's, not derived from the code */
    rtk_txn_init(&txn);
    (void) rtk_txn_fail(&txn, 502, RTK_E_UPSTREAM_HEADER, "%d", 7);
    RTK_TT_OUTCOME(&txn, 502, RTK_E_UPSTREAM_HEADER, "7");

    /* long messages are cut, still terminated */
    memset(want, 'm', sizeof(want) - 1);
    want[sizeof(want) - 1] = '\0';

    rtk_txn_init(&txn);
    (void) rtk_txn_fail(&txn, 400, RTK_E_BAD_REQUEST, "%s%s", want, "tail");
    RTK_TT_OUTCOME(&txn, 400, RTK_E_BAD_REQUEST, want);

    RTK_CHECK(RTK_E_REDIRECT_REFUSED == 50002
              && RTK_E_UPSTREAM_HEADER == 50003, "stable codes");
}


static void
rtk_tt_test_status(void)
{
    size_t       i;
    rtk_txn_t    txn;
    rtk_error_t  err;

    static const struct {
        int          status;
        int          answer;
        int          code;
        const char  *message;
    } want[] = {
        { 400, 400, RTK_E_BAD_REQUEST, "bad request" },
        { 401, 401, 40101, "authentication required" },
        { 403, 403, 40301, "forbidden" },
        { 404, 404, 40401, "no such route" },
        { 405, 405, 40501, "method not allowed" },
        { 408, 408, 40801, "request timed out" },
        { 413, 413, 41301, "body is too large" },
        { 414, 414, 41401, "request target is too long" },
        { 415, 415, 41501, "Content-Type must be application/json" },
        { 429, 429, 42901, "too many requests" },
        { 494, 400, RTK_E_BAD_REQUEST, "request header is too large" },
        { 500, 500, RTK_E_INTERNAL, "internal error" },
        { 502, 502, RTK_E_UPSTREAM,
          "the Cloudflare API could not be reached" },
        { 503, 503, 50301, "service unavailable" },
        { 504, 504, RTK_E_UPSTREAM_TIMEOUT,
          "the Cloudflare API did not answer in time" },
        { 411, 411, 41101, "request error" },
        { 416, 416, 41601, "request error" },
        { 499, 499, 49901, "request error" },
        { 501, 501, 50101, "server error" },
        { 505, 505, 50501, "server error" },
        { 507, 507, 50701, "server error" }
    };

    for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        memset(&err, 0x5a, sizeof(rtk_error_t));
        rtk_error_for_status(&err, want[i].status);

        RTK_CHECK(err.status == want[i].answer && err.code == want[i].code
                  && strcmp(err.message, want[i].message) == 0,
                  "%d: %d %d \"%s\"", want[i].status, err.status, err.code,
                  err.message);

        rtk_txn_init(&txn);
        rtk_txn_fail_status(&txn, want[i].status);
        RTK_TT_OUTCOME(&txn, want[i].answer, want[i].code, want[i].message);
    }

    /* an answer that ended early, by whom */
    memset(&err, 0x5a, sizeof(rtk_error_t));
    rtk_error_for_end(&err, RTK_END_UPSTREAM);
    RTK_CHECK(err.status == 502 && err.code == RTK_E_UPSTREAM_TRUNCATED
              && err.code == 50204
              && strstr(err.message, "upstream closed") != NULL,
              "end upstream: %d %d \"%s\"", err.status, err.code,
              err.message);

    rtk_error_for_end(&err, RTK_END_CLIENT);
    RTK_CHECK(err.status == 499 && err.code == RTK_E_CLIENT_CLOSED
              && err.code == 49901
              && strstr(err.message, "client closed") != NULL,
              "end client: %d %d \"%s\"", err.status, err.code,
              err.message);

    /* the codes nginx's statuses share with the gateway's own */
    RTK_CHECK(41301 == RTK_E_BODY_TOO_LARGE && 41501 == RTK_E_CONTENT_TYPE
              && 40501 == RTK_E_METHOD && 40101 == RTK_E_IDENTITY_MISSING
              && 50301 == RTK_E_AUDIT_UNAVAILABLE, "shared codes");
}


int
main(void)
{
    if (rtk_tt_load() != RTK_OK) {
        return 1;
    }

    rtk_tt_test_identity();
    rtk_tt_test_content_type();
    rtk_tt_test_size();
    rtk_tt_test_body();
    rtk_tt_test_order();
    rtk_tt_test_settle_once();
    rtk_tt_test_fail();
    rtk_tt_test_status();

    rtk_policy_free(rtk_tt_policy);

    return rtk_test_report("txn_checks");
}
