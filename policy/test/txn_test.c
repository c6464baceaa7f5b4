
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * rtk_txn_*: deny, allow and would_deny, the route, the method and the
 * operation of each method and route, the Allow header, the bodies
 * each operation takes and the canonical body.  The checks of the
 * identity, the Content-Type, the size and the body, their order, the
 * outcome settled once and the defaults for nginx's own statuses are
 * tested in txn_checks_test.c.
 */


#include "txn_test.h"


#define FULL                                                                 \
    "{\"name\":\"n\",\"url\":\"https://hooks.example.com/rtk/x\","        \
    "\"events\":[\"meeting.started\"]}"

#define FULL_CANON                                                           \
    "{\"enabled\":true,\"events\":[\"meeting.started\"],\"name\":\"n\","   \
    "\"url\":\"https://hooks.example.com/rtk/x\"}"


static void rtk_tt_test_init(void);
static void rtk_tt_test_allow(void);
static void rtk_tt_test_would_deny(void);
static void rtk_tt_test_deny(void);
static void rtk_tt_test_route(void);
static void rtk_tt_test_method(void);
static void rtk_tt_test_allow_header(void);
static void rtk_tt_test_operations(void);
static void rtk_tt_test_no_body(void);
static void rtk_tt_test_create(void);


static void
rtk_tt_test_init(void)
{
    rtk_txn_t  txn;

    memset(&txn, 0x5a, sizeof(rtk_txn_t));
    rtk_txn_init(&txn);

    RTK_CHECK(!txn.routed && !txn.identified && !txn.parsed
              && !txn.evaluated && !txn.allowed && !txn.settled,
              "flags after init");
    RTK_CHECK(txn.caller == NULL && txn.caller_len == 0
              && txn.canonical == NULL && txn.canonical_len == 0
              && txn.outcome.code == 0, "fields after init");
    RTK_CHECK(strcmp(rtk_txn_decision(&txn), "deny") == 0,
              "an undecided request is no allow: %s",
              rtk_txn_decision(&txn));
}


static void
rtk_tt_test_allow(void)
{
    int           rc;
    rtk_txn_t     txn;
    const char   *caller = "alice";

    rc = rtk_tt_run(&txn, PATH(A1, APP), caller,
                    " {\"url\":\"https://hooks.example.com/rtk/x\","
                    "\"events\":[\"meeting.ended\",\"meeting.started\"],"
                    "\"name\":\"n\",\"enabled\":true}\r\n");

    RTK_CHECK(rc == RTK_OK, "allow: rc %d (%s)", rc, txn.outcome.message);
    RTK_CHECK(txn.routed && txn.identified && txn.parsed && txn.evaluated
              && txn.allowed && !txn.settled, "allow: flags %d%d%d%d%d%d",
              txn.routed, txn.identified, txn.parsed, txn.evaluated,
              txn.allowed, txn.settled);
    RTK_CHECK(strcmp(rtk_txn_decision(&txn), "allow") == 0,
              "allow: decision %s", rtk_txn_decision(&txn));
    RTK_CHECK(txn.decision.decision == RTK_DECISION_ALLOW
              && txn.decision.reason.code == 0
              && strcmp(txn.decision.rule, "accounts.*.apps." APP) == 0,
              "allow: %d %d %s", txn.decision.decision,
              txn.decision.reason.code, txn.decision.rule);

    /* the canonical form: fixed key order, events in documented order */
    RTK_CHECK(txn.canonical != NULL
              && txn.canonical_len == strlen((char *) txn.canonical)
              && strcmp((char *) txn.canonical,
                        "{\"enabled\":true,\"events\":[\"meeting.started\","
                        "\"meeting.ended\"],\"name\":\"n\",\"url\":"
                        "\"https://hooks.example.com/rtk/x\"}") == 0,
              "canonical: %s", txn.canonical);

    /* the caller is borrowed, the route parsed */
    RTK_CHECK(txn.caller == (const unsigned char *) caller
              && txn.caller_len == 5, "caller");
    RTK_CHECK(strcmp(txn.route.account, A1) == 0
              && strcmp(txn.route.app, APP) == 0
              && strcmp(txn.route.webhook, HOOK) == 0, "route");

    rc = rtk_tt_run(&txn, PATH(A1, APP), "bob", "{\"name\":\"x\\u00e9\"}");
    RTK_CHECK(rc == RTK_OK && strcmp((char *) txn.canonical,
                                     "{\"name\":\"x\xc3\xa9\"}") == 0,
              "canonical escapes decoded: %s", txn.canonical);

    /* a settled request is no longer allowed, whatever came before */
    (void) rtk_txn_fail(&txn, 503, RTK_E_AUDIT_UNAVAILABLE,
                        "the audit log cannot be written");
    RTK_CHECK(txn.allowed && txn.settled
              && strcmp(rtk_txn_decision(&txn), "deny") == 0,
              "allowed then failed: %s", rtk_txn_decision(&txn));
    RTK_TT_OUTCOME(&txn, 503, RTK_E_AUDIT_UNAVAILABLE,
                   "the audit log cannot be written");
}


static void
rtk_tt_test_would_deny(void)
{
    int        rc;
    rtk_txn_t  txn;

    rc = rtk_tt_run(&txn, PATH(A1, APPR), "mallory",
                    "{\"events\":[\"meeting.summary\"]}");

    RTK_CHECK(rc == RTK_OK && txn.allowed && !txn.settled,
              "would_deny: rc %d", rc);
    RTK_CHECK(strcmp(rtk_txn_decision(&txn), "would_deny") == 0,
              "would_deny: decision %s", rtk_txn_decision(&txn));
    RTK_CHECK(txn.decision.decision == RTK_DECISION_WOULD_DENY
              && txn.decision.reason.code == RTK_E_DENY_EDITOR
              && strcmp(txn.decision.reason.message,
                        "caller \"mallory\" is not an editor of app "
                        APPR) == 0,
              "would_deny reason: %d %s", txn.decision.reason.code,
              txn.decision.reason.message);
    RTK_CHECK(txn.canonical != NULL
              && strcmp((char *) txn.canonical,
                        "{\"events\":[\"meeting.summary\"]}") == 0,
              "would_deny is forwarded: %s", txn.canonical);
}


static void
rtk_tt_test_deny(void)
{
    int        rc;
    rtk_txn_t  txn;

    rc = rtk_tt_run(&txn, PATH(A1, APP), "mallory", "{\"enabled\":true}");
    RTK_CHECK(rc == RTK_ERROR && !txn.allowed && txn.evaluated
              && txn.canonical == NULL, "deny editor: rc %d", rc);
    RTK_TT_OUTCOME(&txn, 403, RTK_E_DENY_EDITOR,
                   "caller \"mallory\" is not an editor of app " APP);
    RTK_CHECK(strcmp(rtk_txn_decision(&txn), "deny") == 0, "deny");
    RTK_CHECK(txn.decision.decision == RTK_DECISION_DENY
              && strcmp(txn.decision.rule, "accounts.*.apps." APP) == 0,
              "deny: rule %s", txn.decision.rule);

    rc = rtk_tt_run(&txn, PATH(A1, APP), "bob", "{\"enabled\":true}");
    RTK_TT_OUTCOME(&txn, 403, RTK_E_DENY_ENABLE,
                   "caller \"bob\" may not enable webhooks of app " APP);

    rc = rtk_tt_run(&txn, PATH(A1, APP), "alice",
                    "{\"url\":\"https://evil.example.org/\"}");
    RTK_TT_OUTCOME(&txn, 403, RTK_E_DENY_URL,
                   "url host evil.example.org not in allowlist of app "
                   APP);

    rc = rtk_tt_run(&txn, PATH(A1, APP), "alice",
                    "{\"events\":[\"meeting.summary\"]}");
    RTK_TT_OUTCOME(&txn, 403, RTK_E_DENY_EVENT,
                   "event \"meeting.summary\" not allowed for app " APP);

    rc = rtk_tt_run(&txn, PATH(A2, APPN), "alice", "{\"enabled\":true}");
    RTK_TT_OUTCOME(&txn, 403, RTK_E_DENY_NO_RULE,
                   "no policy rule for app " APPN " in account " A2);
    RTK_CHECK(rc == RTK_ERROR
              && strcmp(txn.decision.rule, "accounts.*") == 0,
              "no rule: %s", txn.decision.rule);
}


static void
rtk_tt_test_route(void)
{
    rtk_txn_t    txn;
    rtk_route_t  route;
    rtk_error_t  err;

    static const char  *targets[] = {
        PATH(A1, APP) "?x=1",
        PATH(A1, APP) "/",
        "/client/v4/zones",
        "/client/v4/accounts/ABC/realtime/kit/" APP "/webhooks/" HOOK,
        "/client/v4/accounts/" A1 "/realtime/kit//webhooks/" HOOK,
        "/client/v4/accounts/" A1 "/realtime/%6bit/" APP "/webhooks/" HOOK,
        "*",
        ""
    };

    size_t  i;

    /* each refusal is the route parser's, unchanged */

    for (i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
        memset(&err, 0, sizeof(rtk_error_t));

        RTK_CHECK(rtk_route_parse(&route, (const unsigned char *) targets[i],
                                  strlen(targets[i]), &err)
                  == RTK_ERROR, "%s: parsed", targets[i]);

        rtk_txn_init(&txn);

        RTK_CHECK(rtk_txn_route(&txn, (const unsigned char *) targets[i],
                                strlen(targets[i]))
                  == RTK_ERROR && !txn.routed, "%s: routed", targets[i]);
        RTK_TT_OUTCOME(&txn, err.status, err.code, err.message);
        RTK_CHECK(err.status == 400 || err.status == 404, "%s: %d",
                  targets[i], err.status);
    }

    rtk_txn_init(&txn);
    RTK_CHECK(rtk_txn_route(&txn, S(PATH(A1, APP) "?x=1")) == RTK_ERROR,
              "query");
    RTK_CHECK(txn.outcome.code == RTK_E_PATH_QUERY, "query: %d",
              txn.outcome.code);

    rtk_txn_init(&txn);
    RTK_CHECK(rtk_txn_route(&txn, S("/accounts/" A1 "/realtime/kit/" APP
                                    "/webhooks/" HOOK))
              == RTK_OK && txn.routed && !txn.settled, "bare form");
}


static void
rtk_tt_test_method(void)
{
    rtk_txn_t  txn;

#define RTK_TT_METHOD(target, method)                                        \
    do {                                                                     \
        rtk_txn_init(&txn);                                                  \
        (void) rtk_txn_route(&txn, S(target));                               \
        (void) rtk_txn_method(&txn, S(method));                              \
    } while (0)

    RTK_TT_METHOD(PATH(A1, APP), "PATCH");
    RTK_CHECK(!txn.settled && txn.op_known && txn.op == RTK_OP_EDIT,
              "PATCH");

    /* an item: GET, PUT, PATCH, DELETE */
    RTK_TT_METHOD(PATH(A1, APP), "POST");
    RTK_TT_OUTCOME(&txn, 405, RTK_E_METHOD,
                   "method POST is not allowed, use GET, PUT, PATCH or "
                   "DELETE");
    RTK_CHECK(!txn.op_known, "no operation after a 405");

    RTK_TT_METHOD(PATH(A1, APP), "patch");
    RTK_TT_OUTCOME(&txn, 405, RTK_E_METHOD,
                   "method patch is not allowed, use GET, PUT, PATCH or "
                   "DELETE");

    RTK_TT_METHOD(PATH(A1, APP), "PATCHX");
    RTK_TT_OUTCOME(&txn, 405, RTK_E_METHOD,
                   "method PATCHX is not allowed, use GET, PUT, PATCH or "
                   "DELETE");

    RTK_TT_METHOD(PATH(A1, APP), "PATC");
    RTK_TT_OUTCOME(&txn, 405, RTK_E_METHOD,
                   "method PATC is not allowed, use GET, PUT, PATCH or "
                   "DELETE");

    RTK_TT_METHOD(PATH(A1, APP), "HEAD");
    RTK_TT_OUTCOME(&txn, 405, RTK_E_METHOD,
                   "method HEAD is not allowed, use GET, PUT, PATCH or "
                   "DELETE");

    /* at most 16 bytes of the method are echoed */
    RTK_TT_METHOD(PATH(A1, APP), "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
    RTK_TT_OUTCOME(&txn, 405, RTK_E_METHOD,
                   "method ABCDEFGHIJKLMNOP is not allowed, use GET, PUT, "
                   "PATCH or DELETE");

    RTK_TT_METHOD(PATH(A1, APP), "0123456789ABCDEF");
    RTK_TT_OUTCOME(&txn, 405, RTK_E_METHOD,
                   "method 0123456789ABCDEF is not allowed, use GET, PUT, "
                   "PATCH or DELETE");

    rtk_txn_init(&txn);
    (void) rtk_txn_route(&txn, S(PATH(A1, APP)));
    (void) rtk_txn_method(&txn, NULL, 0);
    RTK_TT_OUTCOME(&txn, 405, RTK_E_METHOD,
                   "method  is not allowed, use GET, PUT, PATCH or DELETE");

    /* the collection: GET, POST */
    RTK_TT_METHOD(COLL(A1, APP), "PATCH");
    RTK_TT_OUTCOME(&txn, 405, RTK_E_METHOD,
                   "method PATCH is not allowed, use GET or POST");

    RTK_TT_METHOD(COLL(A1, APP), "PUT");
    RTK_TT_OUTCOME(&txn, 405, RTK_E_METHOD,
                   "method PUT is not allowed, use GET or POST");

    RTK_TT_METHOD(COLL(A1, APP), "DELETE");
    RTK_TT_OUTCOME(&txn, 405, RTK_E_METHOD,
                   "method DELETE is not allowed, use GET or POST");

    RTK_TT_METHOD(COLL(A1, APP), "get");
    RTK_TT_OUTCOME(&txn, 405, RTK_E_METHOD,
                   "method get is not allowed, use GET or POST");

    RTK_TT_METHOD(COLL(A1, APP), "OPTIONS");
    RTK_TT_OUTCOME(&txn, 405, RTK_E_METHOD,
                   "method OPTIONS is not allowed, use GET or POST");

    /* the operation needs the route: out of order is an internal error */
    rtk_txn_init(&txn);
    RTK_CHECK(rtk_txn_method(&txn, S("PATCH")) == RTK_ERROR
              && !txn.op_known, "method before route");
    RTK_TT_OUTCOME(&txn, 500, RTK_E_INTERNAL, "internal error");

#undef RTK_TT_METHOD
}


static void
rtk_tt_test_allow_header(void)
{
    rtk_txn_t  txn;

    rtk_txn_init(&txn);
    RTK_CHECK(strcmp(rtk_txn_allow(&txn), "GET, POST, PUT, PATCH, DELETE")
              == 0, "unrouted: %s", rtk_txn_allow(&txn));

    (void) rtk_txn_route(&txn, S("/client/v4/zones"));
    RTK_CHECK(strcmp(rtk_txn_allow(&txn), "GET, POST, PUT, PATCH, DELETE")
              == 0, "not routed: %s", rtk_txn_allow(&txn));

    rtk_txn_init(&txn);
    (void) rtk_txn_route(&txn, S(PATH(A1, APP)));
    RTK_CHECK(strcmp(rtk_txn_allow(&txn), "GET, PUT, PATCH, DELETE") == 0,
              "item: %s", rtk_txn_allow(&txn));

    (void) rtk_txn_method(&txn, S("POST"));
    RTK_CHECK(strcmp(rtk_txn_allow(&txn), "GET, PUT, PATCH, DELETE") == 0,
              "item after 405: %s", rtk_txn_allow(&txn));

    rtk_txn_init(&txn);
    (void) rtk_txn_route(&txn, S(COLL(A1, APP)));
    RTK_CHECK(strcmp(rtk_txn_allow(&txn), "GET, POST") == 0,
              "collection: %s", rtk_txn_allow(&txn));
}


/* each method and route: the operation, the policy's rule for it */

static void
rtk_tt_test_operations(void)
{
    int        rc;
    size_t     i;
    rtk_txn_t  txn;

    static const struct {
        const char  *method;
        const char  *target;
        int          op;
        const char  *name;
    } ops[] = {
        { "GET", COLL(A1, APP), RTK_OP_LIST, "list" },
        { "POST", COLL(A1, APP), RTK_OP_CREATE, "create" },
        { "GET", PATH(A1, APP), RTK_OP_GET, "get" },
        { "PUT", PATH(A1, APP), RTK_OP_REPLACE, "replace" },
        { "PATCH", PATH(A1, APP), RTK_OP_EDIT, "edit" },
        { "DELETE", PATH(A1, APP), RTK_OP_DELETE, "delete" }
    };

    for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        rtk_txn_init(&txn);
        (void) rtk_txn_route(&txn, (const unsigned char *) ops[i].target,
                             strlen(ops[i].target));

        rc = rtk_txn_method(&txn, (const unsigned char *) ops[i].method,
                            strlen(ops[i].method));

        RTK_CHECK(rc == RTK_OK && !txn.settled && txn.op_known
                  && txn.op == ops[i].op
                  && strcmp(rtk_op_name(txn.op), ops[i].name) == 0,
                  "%s %s: %d %d %s", ops[i].method, ops[i].target, rc,
                  txn.op, rtk_op_name(txn.op));
    }

    RTK_CHECK(strcmp(rtk_op_name(-1), "unknown") == 0
              && strcmp(rtk_op_name(RTK_OP_COUNT), "unknown") == 0,
              "unknown op name");
    RTK_CHECK(strcmp(rtk_op_method(RTK_OP_LIST), "GET") == 0
              && strcmp(rtk_op_method(RTK_OP_CREATE), "POST") == 0
              && strcmp(rtk_op_method(RTK_OP_REPLACE), "PUT") == 0
              && strcmp(rtk_op_method(RTK_OP_DELETE), "DELETE") == 0,
              "op methods");

    /* list and get: the readers, by default the editors */
    rc = rtk_tt_exec(&txn, "GET", COLL(A1, APP), "bob", "");
    RTK_CHECK(rc == RTK_OK && txn.allowed && txn.evaluated && txn.parsed
              && txn.canonical == NULL && txn.canonical_len == 0
              && strcmp(rtk_txn_decision(&txn), "allow") == 0
              && strcmp(txn.decision.rule, "accounts.*.apps." APP) == 0,
              "list: rc %d (%s)", rc, txn.outcome.message);

    rc = rtk_tt_exec(&txn, "GET", COLL(A1, APP), "mallory", "");
    RTK_TT_OUTCOME(&txn, 403, RTK_E_DENY_READ,
                   "caller \"mallory\" is not a reader of app " APP);

    rc = rtk_tt_exec(&txn, "GET", PATH(A1, APP), "alice", "");
    RTK_CHECK(rc == RTK_OK && txn.allowed && txn.canonical == NULL,
              "get: rc %d (%s)", rc, txn.outcome.message);

    rc = rtk_tt_exec(&txn, "GET", PATH(A1, APP), "mallory", "");
    RTK_TT_OUTCOME(&txn, 403, RTK_E_DENY_READ,
                   "caller \"mallory\" is not a reader of app " APP);

    /* delete: the deleters */
    rc = rtk_tt_exec(&txn, "DELETE", PATH(A1, APP), "bob", "");
    RTK_CHECK(rc == RTK_OK && txn.allowed && txn.canonical == NULL,
              "delete: rc %d (%s)", rc, txn.outcome.message);

    rc = rtk_tt_exec(&txn, "DELETE", PATH(A1, APP), "alice", "");
    RTK_TT_OUTCOME(&txn, 403, RTK_E_DENY_DELETE,
                   "caller \"alice\" is not a deleter of app " APP);

    /* report-only: forwarded without a body */
    rc = rtk_tt_exec(&txn, "DELETE", PATH(A1, APPR), "alice", "");
    RTK_CHECK(rc == RTK_OK && txn.allowed && txn.canonical == NULL
              && strcmp(rtk_txn_decision(&txn), "would_deny") == 0
              && txn.decision.reason.code == RTK_E_DENY_DELETE,
              "would_deny delete: rc %d %s", rc, rtk_txn_decision(&txn));

    /* the 32-hex spelling reaches the app's rule, forwarded as sent */
    rc = rtk_tt_exec(&txn, "GET", COLL(A1, "111111112222433384445555555555"
                                           "55"), "mallory", "");
    RTK_TT_OUTCOME(&txn, 403, RTK_E_DENY_READ,
                   "caller \"mallory\" is not a reader of app "
                   "11111111222243338444555555555555");
    RTK_CHECK(strcmp(txn.decision.rule, "accounts.*.apps." APP) == 0,
              "hex app rule: %s", txn.decision.rule);

    /* PATCH {}: an edit of nothing, forwarded as {} */
    rc = rtk_tt_run(&txn, PATH(A1, APP), "bob", " { } ");
    RTK_CHECK(rc == RTK_OK && txn.allowed
              && strcmp((char *) txn.canonical, "{}") == 0
              && txn.canonical_len == 2, "{}: rc %d (%s)", rc,
              txn.outcome.message);

    rc = rtk_tt_run(&txn, PATH(A1, APP), "mallory", "{}");
    RTK_TT_OUTCOME(&txn, 403, RTK_E_DENY_EDITOR,
                   "caller \"mallory\" is not an editor of app " APP);

    /* "/rtk/" allows the paths below it, not "/rtk" */
    rc = rtk_tt_run(&txn, PATH(A1, APP), "bob",
                    "{\"url\":\"https://hooks.example.com/rtk\"}");
    RTK_TT_OUTCOME(&txn, 403, RTK_E_DENY_URL,
                   "url \"https://hooks.example.com/rtk\" not in allowlist "
                   "of app " APP);
}


/* list, get and delete: no Content-Type needed, no body taken */

static void
rtk_tt_test_no_body(void)
{
    int        rc;
    size_t     i;
    rtk_txn_t  txn;

    static const struct {
        const char  *method;
        const char  *target;
        const char  *message;
    } ops[] = {
        { "GET", COLL(A1, APP), "a GET request takes no body" },
        { "GET", PATH(A1, APP), "a GET request takes no body" },
        { "DELETE", PATH(A1, APP), "a DELETE request takes no body" }
    };

    for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {

        /* any Content-Type, or none, or several */
        rtk_txn_init(&txn);
        (void) rtk_txn_route(&txn, (const unsigned char *) ops[i].target,
                             strlen(ops[i].target));
        (void) rtk_txn_method(&txn, (const unsigned char *) ops[i].method,
                              strlen(ops[i].method));
        (void) rtk_txn_identity(&txn, S("bob"));

        RTK_CHECK(rtk_txn_content_type(&txn, NULL, 0, 0) == RTK_OK
                  && rtk_txn_content_type(&txn, S("text/plain"), 1) == RTK_OK
                  && rtk_txn_content_type(&txn, S("x"), 3) == RTK_OK
                  && !txn.settled, "%s %s: content type",
                  ops[i].method, ops[i].target);

        /* unknown and zero lengths pass, any other is refused */
        RTK_CHECK(rtk_txn_size(&txn, -1, 65536) == RTK_OK
                  && rtk_txn_size(&txn, 0, 0) == RTK_OK && !txn.settled,
                  "%s: sizes", ops[i].method);

        RTK_CHECK(rtk_txn_size(&txn, 1, 65536) == RTK_ERROR,
                  "%s: length 1", ops[i].method);
        RTK_TT_OUTCOME(&txn, 400, RTK_E_BODY_UNEXPECTED, ops[i].message);

        /* before the size limit */
        rtk_txn_init(&txn);
        (void) rtk_txn_route(&txn, (const unsigned char *) ops[i].target,
                             strlen(ops[i].target));
        (void) rtk_txn_method(&txn, (const unsigned char *) ops[i].method,
                              strlen(ops[i].method));
        (void) rtk_txn_size(&txn, 1 << 20, 1024);
        RTK_TT_OUTCOME(&txn, 400, RTK_E_BODY_UNEXPECTED, ops[i].message);

        /* a chunked body is only known once read */
        rc = rtk_tt_exec(&txn, ops[i].method, ops[i].target, "bob", "\n");
        RTK_CHECK(rc == RTK_ERROR && !txn.parsed && !txn.evaluated
                  && !txn.allowed, "%s: body read: %d", ops[i].method, rc);
        RTK_TT_OUTCOME(&txn, 400, RTK_E_BODY_UNEXPECTED, ops[i].message);

        rc = rtk_tt_exec(&txn, ops[i].method, ops[i].target, "bob", "{}");
        RTK_TT_OUTCOME(&txn, 400, RTK_E_BODY_UNEXPECTED, ops[i].message);

        /* the refusal comes before the policy, even for a stranger */
        rc = rtk_tt_exec(&txn, ops[i].method, ops[i].target, "mallory",
                         "{}");
        RTK_TT_OUTCOME(&txn, 400, RTK_E_BODY_UNEXPECTED, ops[i].message);

        rtk_txn_init(&txn);
        (void) rtk_txn_route(&txn, (const unsigned char *) ops[i].target,
                             strlen(ops[i].target));
        (void) rtk_txn_method(&txn, (const unsigned char *) ops[i].method,
                              strlen(ops[i].method));
        (void) rtk_txn_identity(&txn, S("bob"));
        rc = rtk_txn_body(&txn, rtk_tt_policy, NULL, 0, rtk_tt_alloc, NULL);
        RTK_CHECK(rc == RTK_OK && txn.allowed && txn.canonical == NULL
                  && txn.canonical_len == 0, "%s: NULL, 0: %d",
                  ops[i].method, rc);
    }

    /* the bodies that come with one are held as before */
    rtk_txn_init(&txn);
    (void) rtk_txn_route(&txn, S(COLL(A1, APP)));
    (void) rtk_txn_method(&txn, S("POST"));
    RTK_CHECK(rtk_txn_content_type(&txn, NULL, 0, 0) == RTK_ERROR, "POST");
    RTK_TT_OUTCOME(&txn, 415, RTK_E_CONTENT_TYPE,
                   "Content-Type must be application/json");

    rtk_txn_init(&txn);
    (void) rtk_txn_route(&txn, S(PATH(A1, APP)));
    (void) rtk_txn_method(&txn, S("PUT"));
    RTK_CHECK(rtk_txn_content_type(&txn, S("text/plain"), 1) == RTK_ERROR,
              "PUT");
    RTK_CHECK(rtk_txn_size(&txn, 1 << 20, 1024) == RTK_ERROR
              && txn.outcome.code == RTK_E_CONTENT_TYPE, "PUT settled");

    rtk_txn_init(&txn);
    (void) rtk_txn_route(&txn, S(PATH(A1, APP)));
    (void) rtk_txn_method(&txn, S("PUT"));
    (void) rtk_txn_size(&txn, 1 << 20, 1024);
    RTK_TT_OUTCOME(&txn, 413, RTK_E_BODY_TOO_LARGE,
                   "body is larger than 1024 bytes");
}


/* create and replace: every field, "enabled": true when left out */

static void
rtk_tt_test_create(void)
{
    int          rc;
    size_t       i;
    rtk_txn_t    txn;
    const char  *target;

    static const char  *methods[] = { "POST", "PUT" };

    for (i = 0; i < 2; i++) {
        target = (i == 0) ? COLL(A1, APP) : PATH(A1, APP);

        /* the default is what the policy saw and what is sent */
        rc = rtk_tt_exec(&txn, methods[i], target, "alice", FULL);
        RTK_CHECK(rc == RTK_OK && txn.allowed
                  && (txn.body.defaults & RTK_FIELD_ENABLED)
                  && strcmp((char *) txn.canonical, FULL_CANON) == 0,
                  "%s: rc %d (%s) %s", methods[i], rc, txn.outcome.message,
                  txn.canonical);

        /* so the enabler rule applies to it */
        rc = rtk_tt_exec(&txn, methods[i], target, "bob", FULL);
        RTK_TT_OUTCOME(&txn, 403, RTK_E_DENY_ENABLE,
                       "caller \"bob\" may not enable webhooks of app " APP);
        RTK_CHECK(txn.canonical == NULL, "%s: denied, no body",
                  methods[i]);

        rc = rtk_tt_exec(&txn, methods[i], target, "bob",
                         "{\"enabled\":false,\"name\":\"n\",\"url\":"
                         "\"https://hooks.example.com/rtk/x\",\"events\":"
                         "[\"meeting.started\"]}");
        RTK_CHECK(rc == RTK_OK && txn.allowed
                  && strncmp((char *) txn.canonical, "{\"enabled\":false,",
                             17) == 0, "%s: disabled: rc %d (%s)",
                  methods[i], rc, txn.outcome.message);

        rc = rtk_tt_exec(&txn, methods[i], target, "alice",
                         "{\"name\":\"n\",\"events\":[\"meeting.started\"]}");
        RTK_TT_OUTCOME(&txn, 400, RTK_E_FIELD_MISSING,
                       "field \"url\" is required");
        RTK_CHECK(!txn.evaluated, "%s: refused before the policy",
                  methods[i]);

        rc = rtk_tt_exec(&txn, methods[i], target, "mallory", "{}");
        RTK_TT_OUTCOME(&txn, 400, RTK_E_FIELD_MISSING,
                       "field \"events\" is required");

        rc = rtk_tt_exec(&txn, methods[i], target, "alice", "");
        RTK_TT_OUTCOME(&txn, 400, RTK_E_JSON_SYNTAX,
                       "invalid JSON: empty body");
    }

    rc = rtk_tt_exec(&txn, "POST", COLL(A1, APP), "mallory", FULL);
    RTK_TT_OUTCOME(&txn, 403, RTK_E_DENY_CREATE,
                   "caller \"mallory\" is not a creator of app " APP);

    rc = rtk_tt_exec(&txn, "PUT", PATH(A1, APP), "mallory", FULL);
    RTK_TT_OUTCOME(&txn, 403, RTK_E_DENY_EDITOR,
                   "caller \"mallory\" is not an editor of app " APP);

    /* an edit fills nothing in */
    rc = rtk_tt_run(&txn, PATH(A1, APP), "bob",
                    "{\"name\":\"n\",\"url\":\"https://hooks.example.com/rtk/"
                    "x\",\"events\":[\"meeting.started\"]}");
    RTK_CHECK(rc == RTK_OK && txn.body.defaults == 0
              && strcmp((char *) txn.canonical,
                        "{\"events\":[\"meeting.started\"],\"name\":\"n\","
                        "\"url\":\"https://hooks.example.com/rtk/x\"}") == 0,
              "edit: rc %d (%s) %s", rc, txn.outcome.message, txn.canonical);
}


int
main(void)
{
    if (rtk_tt_load() != RTK_OK) {
        return 1;
    }

    rtk_tt_test_init();
    rtk_tt_test_allow();
    rtk_tt_test_would_deny();
    rtk_tt_test_deny();
    rtk_tt_test_route();
    rtk_tt_test_method();
    rtk_tt_test_allow_header();
    rtk_tt_test_operations();
    rtk_tt_test_no_body();
    rtk_tt_test_create();

    rtk_policy_free(rtk_tt_policy);

    return rtk_test_report("txn");
}
