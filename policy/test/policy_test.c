/*
 * Copyright (C) ngx_rtk_module authors
 *
 * Policy engine tests: every decision and reason code, lookup
 * precedence, groups, report-only at each level, URL allowlists through
 * the real matcher, every loading error with its line:column, and the
 * load and evaluation times of a 100,000-app policy.
 */


#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "rtk_policy.h"
#include "rtk_test.h"


#define A1    "0123456789abcdef0123456789abcdef"
#define A2    "a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2"
#define A3    "a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3"
#define A4    "a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4"
#define APP1  "11111111-2222-3333-4444-555555555555"
#define APP1_HEX  "11111111222233334444555555555555"
#define APP2  "bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb"
#define APP2_HEX  "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define APP3  "33333333-3333-3333-3333-333333333333"
#define APP4  "44444444-4444-4444-4444-444444444444"
#define HOOK  "99999999-8888-7777-6666-555555555555"
#define HOOKA "aaaaaaaa-0000-4000-8000-00000000000a"
#define HOOKB "bbbbbbbb-0000-4000-8000-00000000000b"
#define HOOKC "cccccccc-0000-4000-8000-00000000000c"

#define EV_STARTED   0x001
#define EV_ENDED     0x002
#define EV_SUMMARY   0x100


typedef struct {
    int          decision;
    int          code;
    const char  *rule;
    const char  *message;    /* a substring of the reason, or NULL */
} rtk_want_t;


static rtk_policy_t *parse(const char *json);
static void body_init(rtk_body_t *b, unsigned fields, unsigned enabled,
    unsigned events, const char *url);
static void route_init(rtk_route_t *r, const char *account, const char *app);
static void check_eval(int line, const rtk_policy_t *p, const char *caller,
    const char *account, const char *app, const char *hook, int op,
    const rtk_body_t *b, rtk_want_t want);
static void check_error(int line, const char *json, const char *want);
static double now(void);
static char *generate(size_t napps);
static void test_decisions(void);
static void test_precedence(void);
static void test_report_only(void);
static void test_urls(void);
static void test_operations(void);
static void test_webhooks(void);
static void test_load_errors(void);
static void test_files(void);
static void test_misc(void);
static void test_scale(void);


/* the main policy of the decision tests */
static const char  policy_main[] =
    "{\n"
    "  \"mode\": \"enforce\",\n"
    "  \"accounts\": {\n"
    "    \"" A1 "\": {\n"
    "      \"apps\": {\n"
    "        \"" APP1 "\": {\n"
    "          \"editors\": [\"@ops\", \"dave\", \"erin\", \"frank\"],\n"
    "          \"enablers\": [\"@sec\", \"alice\", \"frank\"],\n"
    "          \"disablers\": [\"bob\", \"frank\"],\n"
    "          \"urls\": [\"https://hooks.example.com/rtk\",\n"
    "                   \"https://*.svc.example.net\",\n"
    "                   \"https://192.0.2.10:8443/\"],\n"
    "          \"events\": [\"meeting.started\", \"meeting.ended\"],\n"
    "          \"fields\": {\n"
    "            \"dave\": [\"name\"],\n"
    "            \"@ops\": [\"enabled\", \"url\"],\n"
    "            \"erin\": [\"events\"],\n"
    "            \"@sec\": [\"name\"]\n"
    "          }\n"
    "        },\n"
    "        \"" APP2 "\": {\n"
    "          \"editors\": [\"alice\"]\n"
    "        },\n"
    "        \"*\": {\"mode\": \"report-only\", \"editors\": [\"zed\"]}\n"
    "      }\n"
    "    },\n"
    "    \"" A2 "\": {\n"
    "      \"mode\": \"report-only\",\n"
    "      \"apps\": {\n"
    "        \"" APP2 "\": {\"editors\": [\"alice\"]},\n"
    "        \"" APP3 "\": {\"mode\": \"enforce\", \"editors\": [\"alice\"]}\n"
    "      }\n"
    "    },\n"
    "    \"*\": {\n"
    "      \"apps\": {\n"
    "        \"" APP2 "\": {\"editors\": [\"star-app2\"]},\n"
    "        \"*\": {\"editors\": [\"star-star\"], \"events\": [\n"
    "          \"meeting.started\", \"meeting.ended\",\n"
    "          \"meeting.participantJoined\", \"meeting.participantLeft\",\n"
    "          \"recording.statusUpdate\", \"livestreaming.statusUpdate\",\n"
    "          \"meeting.chatSynced\", \"meeting.transcript\",\n"
    "          \"meeting.summary\"]}\n"
    "      }\n"
    "    }\n"
    "  },\n"
    "  \"groups\": {\n"
    "    \"ops\": [\"alice\", \"bob\", \"alice\"],\n"
    "    \"sec\": [\"carol\", \"frank\"],\n"
    "    \"unused\": []\n"
    "  }\n"
    "}\n";


static rtk_policy_t *
parse(const char *json)
{
    rtk_error_t    err;
    rtk_policy_t  *p;

    p = rtk_policy_parse((const unsigned char *) json, strlen(json),
                         "p.json", &err);

    if (p == NULL) {
        fprintf(stderr, "unexpected load error: %s\n", err.message);
    }

    return p;
}


static void
body_init(rtk_body_t *b, unsigned fields, unsigned enabled, unsigned events,
    const char *url)
{
    rtk_error_t  err;

    memset(b, 0, sizeof(rtk_body_t));
    b->fields = fields;
    b->enabled = enabled;
    b->events = events;

    if (fields & RTK_FIELD_NAME) {
        b->name = (unsigned char *) "n";
        b->name_len = 1;
    }

    if (url != NULL) {
        b->fields |= RTK_FIELD_URL;
        b->url = (unsigned char *) url;
        b->url_len = strlen(url);

        if (rtk_url_parse(&b->url_parsed, b->url, b->url_len, &err)
            != RTK_OK)
        {
            fprintf(stderr, "test url %s rejected: %s\n", url, err.message);
        }
    }
}


static void
route_init(rtk_route_t *r, const char *account, const char *app)
{
    memset(r, 0, sizeof(rtk_route_t));
    strcpy(r->account, account);
    strcpy(r->app, app);
    strcpy(r->webhook, HOOK);
    r->app_len = strlen(app);
    r->webhook_len = strlen(HOOK);
    r->item = 1;

    if (rtk_route_app_key((const unsigned char *) app, r->app_len,
                          r->app_key)
        != RTK_OK)
    {
        fprintf(stderr, "test app id %s rejected\n", app);
    }
}


/* list and create go to the collection, the others to the webhook hook */

static void
check_eval(int line, const rtk_policy_t *p, const char *caller,
    const char *account, const char *app, const char *hook, int op,
    const rtk_body_t *b, rtk_want_t want)
{
    rtk_route_t     r;
    rtk_decision_t  d;

    route_init(&r, account, app);
    memset(&d, 0x5a, sizeof(rtk_decision_t));

    if (op == RTK_OP_LIST || op == RTK_OP_CREATE) {
        r.item = 0;
        r.webhook[0] = '\0';
        r.webhook_len = 0;

    } else {
        strcpy(r.webhook, hook);
        r.webhook_len = strlen(hook);
    }

    rtk_policy_eval(p, (const unsigned char *) caller, strlen(caller), &r,
                    op, rtk_op_has_body(op) ? b : NULL, &d);

    RTK_CHECK(d.decision == want.decision && d.reason.code == want.code,
              "line %d: %s by %s: decision %d code %d (%s), want %d %d",
              line, rtk_op_name(op), caller, d.decision, d.reason.code,
              d.reason.message, want.decision, want.code);

    RTK_CHECK(strcmp(d.rule, want.rule) == 0,
              "line %d: rule \"%s\", want \"%s\"", line, d.rule, want.rule);

    if (want.code == 0) {
        RTK_CHECK(d.reason.status == 200 && d.reason.message[0] == '\0',
                  "line %d: allow with status %d message \"%s\"", line,
                  d.reason.status, d.reason.message);

    } else {
        RTK_CHECK(d.reason.status == 403,
                  "line %d: status %d", line, d.reason.status);
    }

    if (want.message != NULL) {
        RTK_CHECK(strstr(d.reason.message, want.message) != NULL,
                  "line %d: message \"%s\", want \"%s\"", line,
                  d.reason.message, want.message);
    }
}


/* an edit (PATCH) of the webhook HOOK */
#define EVAL(p, caller, account, app, b, dec, code, rule, msg)               \
    do {                                                                     \
        rtk_want_t  w_ = { dec, code, rule, msg };                           \
        check_eval(__LINE__, p, caller, account, app, HOOK, RTK_OP_EDIT, b,  \
                   w_);                                                      \
    } while (0)

/* any operation, on the webhook hook unless it is list or create */
#define EVAL_OP(p, caller, account, app, hook, op, b, dec, code, rule, msg)  \
    do {                                                                     \
        rtk_want_t  w_ = { dec, code, rule, msg };                           \
        check_eval(__LINE__, p, caller, account, app, hook, op, b, w_);      \
    } while (0)

#define ALLOW    RTK_DECISION_ALLOW
#define DENY     RTK_DECISION_DENY
#define WOULD    RTK_DECISION_WOULD_DENY

#define R_APP1   "accounts." A1 ".apps." APP1


/* want: the exact "FILE:LINE:COL: " prefix and the start of the text */

static void
check_error(int line, const char *json, const char *want)
{
    rtk_error_t    err;
    rtk_policy_t  *p;

    memset(&err, 0, sizeof(rtk_error_t));

    p = rtk_policy_parse((const unsigned char *) json, strlen(json),
                         "p.json", &err);

    RTK_CHECK(p == NULL, "line %d: loaded, want error \"%s\"", line, want);

    if (p != NULL) {
        rtk_policy_free(p);
        return;
    }

    RTK_CHECK(strncmp(err.message, want, strlen(want)) == 0,
              "line %d: error \"%s\", want \"%s...\"", line, err.message,
              want);
}


#define ERR(json, want)  check_error(__LINE__, json, want)


static double
now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return ts.tv_sec + ts.tv_nsec / 1e9;
}


static void
test_decisions(void)
{
    rtk_body_t     b;
    rtk_policy_t  *p;

    p = parse(policy_main);
    RTK_CHECK(p != NULL, "main policy");

    if (p == NULL) {
        return;
    }

    RTK_CHECK(rtk_policy_apps(p) == 7, "apps %zu", rtk_policy_apps(p));

    /* editors: direct, through a group, unknown, case, empty */
    body_init(&b, RTK_FIELD_URL, 0, 0, "https://hooks.example.com/rtk");
    EVAL(p, "alice", A1, APP1, &b, ALLOW, 0, R_APP1, NULL);
    EVAL(p, "bob", A1, APP1, &b, ALLOW, 0, R_APP1, NULL);
    EVAL(p, "mallory", A1, APP1, &b, DENY, RTK_E_DENY_EDITOR, R_APP1,
         "caller \"mallory\" is not an editor of app " APP1);
    EVAL(p, "Alice", A1, APP1, &b, DENY, RTK_E_DENY_EDITOR, R_APP1, NULL);
    EVAL(p, "alice ", A1, APP1, &b, DENY, RTK_E_DENY_EDITOR, R_APP1, NULL);
    EVAL(p, "", A1, APP1, &b, DENY, RTK_E_DENY_EDITOR, R_APP1, NULL);

    /* carol is an enabler (via @sec) but not an editor */
    body_init(&b, RTK_FIELD_ENABLED, 1, 0, NULL);
    EVAL(p, "carol", A1, APP1, &b, DENY, RTK_E_DENY_EDITOR, R_APP1, NULL);

    /* zed edits only the "*" app; a caller only in "fields" is no one */
    EVAL(p, "zed", A1, APP1, &b, DENY, RTK_E_DENY_EDITOR, R_APP1, NULL);

    /* fields: @ops may change enabled and url only */
    body_init(&b, RTK_FIELD_NAME, 0, 0, NULL);
    EVAL(p, "alice", A1, APP1, &b, DENY, RTK_E_DENY_FIELD, R_APP1,
         "caller \"alice\" may not change field \"name\" of app " APP1);
    EVAL(p, "dave", A1, APP1, &b, ALLOW, 0, R_APP1, NULL);

    body_init(&b, RTK_FIELD_NAME | RTK_FIELD_EVENTS, 0, EV_STARTED, NULL);
    EVAL(p, "dave", A1, APP1, &b, DENY, RTK_E_DENY_FIELD, R_APP1,
         "field \"events\"");
    EVAL(p, "erin", A1, APP1, &b, DENY, RTK_E_DENY_FIELD, R_APP1,
         "field \"name\"");

    /* frank: an editor, restricted through @sec to name */
    body_init(&b, RTK_FIELD_ENABLED, 1, 0, NULL);
    EVAL(p, "frank", A1, APP1, &b, DENY, RTK_E_DENY_FIELD, R_APP1,
         "field \"enabled\"");

    /* the field check comes before the enable check */
    body_init(&b, RTK_FIELD_ENABLED | RTK_FIELD_NAME, 1, 0, NULL);
    EVAL(p, "bob", A1, APP1, &b, DENY, RTK_E_DENY_FIELD, R_APP1, NULL);

    /* enabling: alice directly, bob is not an enabler */
    body_init(&b, RTK_FIELD_ENABLED, 1, 0, NULL);
    EVAL(p, "alice", A1, APP1, &b, ALLOW, 0, R_APP1, NULL);
    EVAL(p, "bob", A1, APP1, &b, DENY, RTK_E_DENY_ENABLE, R_APP1,
         "caller \"bob\" may not enable webhooks of app " APP1);

    /* disabling: "disablers" present, so only bob (and frank) */
    body_init(&b, RTK_FIELD_ENABLED, 0, 0, NULL);
    EVAL(p, "bob", A1, APP1, &b, ALLOW, 0, R_APP1, NULL);
    EVAL(p, "alice", A1, APP1, &b, DENY, RTK_E_DENY_DISABLE, R_APP1,
         "caller \"alice\" may not disable webhooks of app " APP1);

    /* without "disablers" every editor may disable, nobody enable */
    EVAL(p, "alice", A1, APP2, &b, ALLOW, 0, "accounts." A1 ".apps." APP2,
         NULL);
    body_init(&b, RTK_FIELD_ENABLED, 1, 0, NULL);
    EVAL(p, "alice", A1, APP2, &b, DENY, RTK_E_DENY_ENABLE,
         "accounts." A1 ".apps." APP2, NULL);

    /* the enable check comes before the url check */
    body_init(&b, RTK_FIELD_ENABLED, 1, 0, "https://evil.example/");
    EVAL(p, "bob", A1, APP1, &b, DENY, RTK_E_DENY_ENABLE, R_APP1, NULL);

    /* urls */
    body_init(&b, 0, 0, 0, "https://evil.example/x");
    EVAL(p, "alice", A1, APP1, &b, DENY, RTK_E_DENY_URL, R_APP1,
         "url host evil.example not in allowlist of app " APP1);

    /* no "urls": no url may be set */
    EVAL(p, "alice", A1, APP2, &b, DENY, RTK_E_DENY_URL,
         "accounts." A1 ".apps." APP2, "url host evil.example");

    /* the url check comes before the event check */
    body_init(&b, RTK_FIELD_EVENTS, 0, EV_SUMMARY, "https://evil.example/");
    EVAL(p, "dave", A1, APP1, &b, DENY, RTK_E_DENY_FIELD, R_APP1, NULL);
    EVAL(p, "erin", A1, APP1, &b, DENY, RTK_E_DENY_FIELD, R_APP1,
         "field \"url\"");

    /* events: erin may change events, within the whitelist */
    body_init(&b, RTK_FIELD_EVENTS, 0, EV_STARTED | EV_ENDED, NULL);
    EVAL(p, "erin", A1, APP1, &b, ALLOW, 0, R_APP1, NULL);

    body_init(&b, RTK_FIELD_EVENTS, 0, EV_STARTED | EV_SUMMARY | 0x10, NULL);
    EVAL(p, "erin", A1, APP1, &b, DENY, RTK_E_DENY_EVENT, R_APP1,
         "event \"recording.statusUpdate\" not allowed for app " APP1);

    body_init(&b, RTK_FIELD_EVENTS, 0, EV_SUMMARY, NULL);
    EVAL(p, "erin", A1, APP1, &b, DENY, RTK_E_DENY_EVENT, R_APP1,
         "event \"meeting.summary\"");

    /* no "events": no event may be requested */
    body_init(&b, RTK_FIELD_EVENTS, 0, EV_STARTED, NULL);
    EVAL(p, "alice", A1, APP2, &b, DENY, RTK_E_DENY_EVENT,
         "accounts." A1 ".apps." APP2, "event \"meeting.started\"");

    /* a body without url or events passes those checks */
    body_init(&b, RTK_FIELD_NAME, 0, 0, NULL);
    EVAL(p, "alice", A1, APP2, &b, ALLOW, 0, "accounts." A1 ".apps." APP2,
         NULL);

    rtk_policy_free(p);
}


static void
test_precedence(void)
{
    rtk_body_t     b;
    rtk_policy_t  *p;

    p = parse(policy_main);

    if (p == NULL) {
        return;
    }

    body_init(&b, RTK_FIELD_NAME, 0, 0, NULL);

    /* exact app before the account's "*" app */
    EVAL(p, "zed", A1, APP2, &b, DENY, RTK_E_DENY_EDITOR,
         "accounts." A1 ".apps." APP2, NULL);
    EVAL(p, "zed", A1, APP3, &b, ALLOW, 0, "accounts." A1 ".apps.*", NULL);

    /* an exact account without the app and without "*" app: no rule */
    EVAL(p, "star-star", A2, APP4, &b, WOULD, RTK_E_DENY_NO_RULE,
         "accounts." A2,
         "no policy rule for app " APP4 " in account " A2);

    /* unknown account: the "*" account, exact app then "*" app */
    EVAL(p, "star-app2", A3, APP2, &b, ALLOW, 0, "accounts.*.apps." APP2,
         NULL);
    EVAL(p, "star-star", A3, APP2, &b, DENY, RTK_E_DENY_EDITOR,
         "accounts.*.apps." APP2, NULL);
    EVAL(p, "star-star", A3, APP1, &b, ALLOW, 0, "accounts.*.apps.*", NULL);

    /* an exact account is not merged with the "*" account */
    EVAL(p, "star-star", A1, APP1, &b, DENY, RTK_E_DENY_EDITOR, R_APP1,
         NULL);

    /* all events allowed in the "*" "*" entry */
    body_init(&b, RTK_FIELD_EVENTS, 0, RTK_EVENTS_ALL, NULL);
    EVAL(p, "star-star", A4, APP4, &b, ALLOW, 0, "accounts.*.apps.*", NULL);

    rtk_policy_free(p);

    /* without any "*" account: no rule, rule "default" */
    p = parse("{\"accounts\":{\"" A1 "\":{\"apps\":{\"" APP1 "\":"
              "{\"editors\":[\"a\"]}}}}}");

    if (p == NULL) {
        return;
    }

    body_init(&b, RTK_FIELD_NAME, 0, 0, NULL);
    EVAL(p, "a", A2, APP1, &b, DENY, RTK_E_DENY_NO_RULE, "default",
         "no policy rule for app " APP1 " in account " A2);
    EVAL(p, "a", A1, APP2, &b, DENY, RTK_E_DENY_NO_RULE, "accounts." A1,
         NULL);
    EVAL(p, "a", A1, APP1, &b, ALLOW, 0, R_APP1, NULL);

    rtk_policy_free(p);

    /* an empty policy denies everything */
    p = parse("{\"accounts\":{}}");

    if (p == NULL) {
        return;
    }

    EVAL(p, "a", A1, APP1, &b, DENY, RTK_E_DENY_NO_RULE, "default", NULL);
    RTK_CHECK(rtk_policy_apps(p) == 0, "no apps");
    RTK_CHECK(strcmp(rtk_policy_hash(p), "6d4376f60354edb37413fb75527da333"
                     "b433655d7f3a7bdfbdbb329c13180d8b") == 0,
              "hash %s", rtk_policy_hash(p));

    rtk_policy_free(p);
}


static void
test_report_only(void)
{
    rtk_body_t     b;
    rtk_policy_t  *p;

    body_init(&b, RTK_FIELD_NAME, 0, 0, NULL);

    /* top level */
    p = parse("{\"mode\":\"report-only\",\"accounts\":{\"" A1 "\":{\"apps\":"
              "{\"" APP1 "\":{\"editors\":[\"a\"]},"
              "\"" APP2 "\":{\"editors\":[\"a\"],\"mode\":\"enforce\"}}}}}");

    if (p != NULL) {
        EVAL(p, "b", A1, APP1, &b, WOULD, RTK_E_DENY_EDITOR, R_APP1,
             "caller \"b\" is not an editor");
        EVAL(p, "a", A1, APP1, &b, ALLOW, 0, R_APP1, NULL);
        EVAL(p, "b", A1, APP2, &b, DENY, RTK_E_DENY_EDITOR,
             "accounts." A1 ".apps." APP2, NULL);
        EVAL(p, "a", A2, APP1, &b, WOULD, RTK_E_DENY_NO_RULE, "default",
             NULL);
        EVAL(p, "a", A1, APP3, &b, WOULD, RTK_E_DENY_NO_RULE,
             "accounts." A1, NULL);
        rtk_policy_free(p);
    }

    /* account level, overridden by an app, over an enforcing top level */
    p = parse(policy_main);

    if (p != NULL) {
        EVAL(p, "bob", A2, APP2, &b, WOULD, RTK_E_DENY_EDITOR,
             "accounts." A2 ".apps." APP2, NULL);
        EVAL(p, "bob", A2, APP3, &b, DENY, RTK_E_DENY_EDITOR,
             "accounts." A2 ".apps." APP3, NULL);
        EVAL(p, "alice", A2, APP2, &b, ALLOW, 0,
             "accounts." A2 ".apps." APP2, NULL);

        /* app level: the "*" app of A1 */
        EVAL(p, "bob", A1, APP4, &b, WOULD, RTK_E_DENY_EDITOR,
             "accounts." A1 ".apps.*", NULL);

        body_init(&b, RTK_FIELD_EVENTS, 0, EV_STARTED, NULL);
        EVAL(p, "zed", A1, APP4, &b, WOULD, RTK_E_DENY_EVENT,
             "accounts." A1 ".apps.*", "event \"meeting.started\"");

        body_init(&b, 0, 0, 0, "https://hooks.example.com/rtk");
        EVAL(p, "zed", A1, APP4, &b, WOULD, RTK_E_DENY_URL,
             "accounts." A1 ".apps.*", NULL);

        body_init(&b, RTK_FIELD_ENABLED, 1, 0, NULL);
        EVAL(p, "zed", A1, APP4, &b, WOULD, RTK_E_DENY_ENABLE,
             "accounts." A1 ".apps.*", NULL);

        rtk_policy_free(p);
    }

    /* every other reason in report-only */
    p = parse("{\"mode\":\"report-only\",\"accounts\":{\"*\":{\"apps\":"
              "{\"*\":{\"editors\":[\"a\"],\"disablers\":[],"
              "\"fields\":{\"a\":[\"enabled\"]}}}}}}");

    if (p != NULL) {
        body_init(&b, RTK_FIELD_ENABLED, 0, 0, NULL);
        EVAL(p, "a", A1, APP1, &b, WOULD, RTK_E_DENY_DISABLE,
             "accounts.*.apps.*", NULL);

        body_init(&b, RTK_FIELD_NAME, 0, 0, NULL);
        EVAL(p, "a", A1, APP1, &b, WOULD, RTK_E_DENY_FIELD,
             "accounts.*.apps.*", NULL);

        rtk_policy_free(p);
    }
}


static void
test_urls(void)
{
    rtk_body_t     b;
    rtk_policy_t  *p;

    p = parse(policy_main);

    if (p == NULL) {
        return;
    }

    body_init(&b, 0, 0, 0, "https://hooks.example.com/rtk/x");
    EVAL(p, "alice", A1, APP1, &b, ALLOW, 0, R_APP1, NULL);

    body_init(&b, 0, 0, 0, "https://HOOKS.example.com/rtk");
    EVAL(p, "alice", A1, APP1, &b, ALLOW, 0, R_APP1, NULL);

    /* wildcard: subdomains only */
    body_init(&b, 0, 0, 0, "https://a.svc.example.net/hook");
    EVAL(p, "alice", A1, APP1, &b, ALLOW, 0, R_APP1, NULL);

    body_init(&b, 0, 0, 0, "https://a.b.svc.example.net/");
    EVAL(p, "alice", A1, APP1, &b, ALLOW, 0, R_APP1, NULL);

    body_init(&b, 0, 0, 0, "https://svc.example.net/");
    EVAL(p, "alice", A1, APP1, &b, DENY, RTK_E_DENY_URL, R_APP1,
         "url host svc.example.net not in allowlist");

    body_init(&b, 0, 0, 0, "https://evilsvc.example.net/");
    EVAL(p, "alice", A1, APP1, &b, DENY, RTK_E_DENY_URL, R_APP1, NULL);

    /* scheme, port and path: the host is listed, the url is not */
    body_init(&b, 0, 0, 0, "http://hooks.example.com/rtk");
    EVAL(p, "alice", A1, APP1, &b, DENY, RTK_E_DENY_URL, R_APP1,
         "url \"http://hooks.example.com/rtk\" not in allowlist of app");

    body_init(&b, 0, 0, 0, "https://hooks.example.com:8443/rtk");
    EVAL(p, "alice", A1, APP1, &b, DENY, RTK_E_DENY_URL, R_APP1, NULL);

    body_init(&b, 0, 0, 0, "https://hooks.example.com/other");
    EVAL(p, "alice", A1, APP1, &b, DENY, RTK_E_DENY_URL, R_APP1,
         "not in allowlist");

    /* IP hosts: only the pattern naming that IP */
    body_init(&b, 0, 0, 0, "https://192.0.2.10:8443/hook");
    EVAL(p, "alice", A1, APP1, &b, ALLOW, 0, R_APP1, NULL);

    body_init(&b, 0, 0, 0, "https://192.0.2.11:8443/hook");
    EVAL(p, "alice", A1, APP1, &b, DENY, RTK_E_DENY_URL, R_APP1,
         "url host 192.0.2.11 not in allowlist");

    rtk_policy_free(p);
}

/* the keys of each operation, their defaults and the body checks */

static const char  policy_ops[] =
    "{\n"
    "  \"groups\": {\"readers\": [\"rita\"]},\n"
    "  \"accounts\": {\"" A1 "\": {\"apps\": {\n"
    "    \"" APP1 "\": {\n"
    "      \"editors\": [\"ed\"],\n"
    "      \"enablers\": [\"ed\"],\n"
    "      \"urls\": [\"https://hooks.example.com/rtk/\"],\n"
    "      \"events\": [\"meeting.started\"]\n"
    "    },\n"
    "    \"" APP2 "\": {\n"
    "      \"editors\": [\"ed\", \"cre\"],\n"
    "      \"readers\": [\"@readers\"],\n"
    "      \"creators\": [\"cre\", \"ed\", \"@readers\"],\n"
    "      \"deleters\": [\"del\"],\n"
    "      \"enablers\": [\"cre\"],\n"
    "      \"disablers\": [\"ed\"],\n"
    "      \"urls\": [\"https://hooks.example.com/rtk/\"],\n"
    "      \"events\": [\"meeting.started\", \"meeting.ended\"],\n"
    "      \"fields\": {\"ed\": [\"name\", \"url\", \"events\"]}\n"
    "    },\n"
    "    \"" APP3 "\": {\n"
    "      \"editors\": [\"ed\"], \"readers\": [], \"creators\": [],\n"
    "      \"deleters\": []\n"
    "    }\n"
    "  }}}\n"
    "}\n";


#define R_APP2   "accounts." A1 ".apps." APP2
#define R_APP3   "accounts." A1 ".apps." APP3


static void
test_operations(void)
{
    rtk_body_t     b, full, off;
    rtk_policy_t  *p;

    p = parse(policy_ops);
    RTK_CHECK(p != NULL, "ops policy");

    if (p == NULL) {
        return;
    }

    /* what create and replace evaluate: every field, enabled filled in */
    body_init(&full, RTK_FIELD_ENABLED | RTK_FIELD_EVENTS | RTK_FIELD_NAME,
              1, EV_STARTED, "https://hooks.example.com/rtk/x");
    body_init(&off, RTK_FIELD_ENABLED | RTK_FIELD_EVENTS | RTK_FIELD_NAME,
              0, EV_STARTED, "https://hooks.example.com/rtk/x");

    /* APP1: the defaults, readers are the editors, nobody creates/deletes */
    EVAL_OP(p, "ed", A1, APP1, "", RTK_OP_LIST, NULL, ALLOW, 0, R_APP1,
            NULL);
    EVAL_OP(p, "ed", A1, APP1, HOOK, RTK_OP_GET, NULL, ALLOW, 0, R_APP1,
            NULL);
    EVAL_OP(p, "rita", A1, APP1, "", RTK_OP_LIST, NULL, DENY,
            RTK_E_DENY_READ, R_APP1,
            "caller \"rita\" is not a reader of app " APP1);
    EVAL_OP(p, "rita", A1, APP1, HOOK, RTK_OP_GET, NULL, DENY,
            RTK_E_DENY_READ, R_APP1,
            "caller \"rita\" is not a reader of app " APP1);
    EVAL_OP(p, "ed", A1, APP1, "", RTK_OP_CREATE, &full, DENY,
            RTK_E_DENY_CREATE, R_APP1,
            "caller \"ed\" is not a creator of app " APP1);
    EVAL_OP(p, "ed", A1, APP1, HOOK, RTK_OP_DELETE, NULL, DENY,
            RTK_E_DENY_DELETE, R_APP1,
            "caller \"ed\" is not a deleter of app " APP1);
    EVAL_OP(p, "", A1, APP1, HOOK, RTK_OP_DELETE, NULL, DENY,
            RTK_E_DENY_DELETE, R_APP1, NULL);

    /* replace: an edit with every field, enabled included */
    EVAL_OP(p, "ed", A1, APP1, HOOK, RTK_OP_REPLACE, &full, ALLOW, 0,
            R_APP1, NULL);
    EVAL_OP(p, "ed", A1, APP1, HOOK, RTK_OP_REPLACE, &off, ALLOW, 0,
            R_APP1, NULL);
    EVAL_OP(p, "rita", A1, APP1, HOOK, RTK_OP_REPLACE, &full, DENY,
            RTK_E_DENY_EDITOR, R_APP1,
            "caller \"rita\" is not an editor of app " APP1);

    /* an edit of nothing: only the editors check */
    body_init(&b, 0, 0, 0, NULL);
    EVAL_OP(p, "ed", A1, APP1, HOOK, RTK_OP_EDIT, &b, ALLOW, 0, R_APP1,
            NULL);
    EVAL_OP(p, "rita", A1, APP1, HOOK, RTK_OP_EDIT, &b, DENY,
            RTK_E_DENY_EDITOR, R_APP1, NULL);

    /* the url rule of "/rtk/": below it only */
    body_init(&b, 0, 0, 0, "https://hooks.example.com/rtk/");
    EVAL(p, "ed", A1, APP1, &b, ALLOW, 0, R_APP1, NULL);
    body_init(&b, 0, 0, 0, "https://hooks.example.com/rtk");
    EVAL(p, "ed", A1, APP1, &b, DENY, RTK_E_DENY_URL, R_APP1,
         "url \"https://hooks.example.com/rtk\" not in allowlist");

    /* APP2: readers replace the editors for reading */
    EVAL_OP(p, "rita", A1, APP2, "", RTK_OP_LIST, NULL, ALLOW, 0, R_APP2,
            NULL);
    EVAL_OP(p, "rita", A1, APP2, HOOK, RTK_OP_GET, NULL, ALLOW, 0, R_APP2,
            NULL);
    EVAL_OP(p, "ed", A1, APP2, "", RTK_OP_LIST, NULL, DENY,
            RTK_E_DENY_READ, R_APP2, NULL);
    EVAL_OP(p, "ed", A1, APP2, HOOK, RTK_OP_GET, NULL, DENY,
            RTK_E_DENY_READ, R_APP2, NULL);

    /* reading needs nothing else: rita is no editor */
    EVAL_OP(p, "rita", A1, APP2, HOOK, RTK_OP_EDIT, &full, DENY,
            RTK_E_DENY_EDITOR, R_APP2, NULL);

    /* create: creators, then the body like an edit of every field */
    EVAL_OP(p, "cre", A1, APP2, "", RTK_OP_CREATE, &full, ALLOW, 0, R_APP2,
            NULL);
    EVAL_OP(p, "del", A1, APP2, "", RTK_OP_CREATE, &full, DENY,
            RTK_E_DENY_CREATE, R_APP2,
            "caller \"del\" is not a creator of app " APP2);

    /* a creator through a group, who is no enabler */
    EVAL_OP(p, "rita", A1, APP2, "", RTK_OP_CREATE, &full, DENY,
            RTK_E_DENY_ENABLE, R_APP2,
            "caller \"rita\" may not enable webhooks of app " APP2);

    /* the default "enabled": true is evaluated: ed may not set it */
    EVAL_OP(p, "ed", A1, APP2, "", RTK_OP_CREATE, &full, DENY,
            RTK_E_DENY_FIELD, R_APP2, "field \"enabled\"");
    EVAL_OP(p, "cre", A1, APP2, "", RTK_OP_CREATE, &off, DENY,
            RTK_E_DENY_DISABLE, R_APP2, NULL);

    body_init(&b, RTK_FIELD_ENABLED | RTK_FIELD_EVENTS | RTK_FIELD_NAME, 1,
              EV_STARTED, "https://evil.example/");
    EVAL_OP(p, "cre", A1, APP2, "", RTK_OP_CREATE, &b, DENY,
            RTK_E_DENY_URL, R_APP2, "url host evil.example");

    body_init(&b, RTK_FIELD_ENABLED | RTK_FIELD_EVENTS | RTK_FIELD_NAME, 1,
              EV_SUMMARY, "https://hooks.example.com/rtk/x");
    EVAL_OP(p, "cre", A1, APP2, "", RTK_OP_CREATE, &b, DENY,
            RTK_E_DENY_EVENT, R_APP2, "event \"meeting.summary\"");

    /* replace: editors, then fields, enabled, url, events as for edit */
    EVAL_OP(p, "cre", A1, APP2, HOOK, RTK_OP_REPLACE, &full, ALLOW, 0,
            R_APP2, NULL);
    EVAL_OP(p, "ed", A1, APP2, HOOK, RTK_OP_REPLACE, &full, DENY,
            RTK_E_DENY_FIELD, R_APP2, "field \"enabled\"");
    EVAL_OP(p, "cre", A1, APP2, HOOK, RTK_OP_REPLACE, &off, DENY,
            RTK_E_DENY_DISABLE, R_APP2, NULL);
    EVAL_OP(p, "del", A1, APP2, HOOK, RTK_OP_REPLACE, &full, DENY,
            RTK_E_DENY_EDITOR, R_APP2, NULL);

    /* delete: deleters only, editors or not */
    EVAL_OP(p, "del", A1, APP2, HOOK, RTK_OP_DELETE, NULL, ALLOW, 0, R_APP2,
            NULL);
    EVAL_OP(p, "ed", A1, APP2, HOOK, RTK_OP_DELETE, NULL, DENY,
            RTK_E_DENY_DELETE, R_APP2, NULL);

    /* APP3: empty lists mean nobody, even the editors */
    EVAL_OP(p, "ed", A1, APP3, "", RTK_OP_LIST, NULL, DENY,
            RTK_E_DENY_READ, R_APP3, NULL);
    EVAL_OP(p, "ed", A1, APP3, HOOK, RTK_OP_GET, NULL, DENY,
            RTK_E_DENY_READ, R_APP3, NULL);
    EVAL_OP(p, "ed", A1, APP3, "", RTK_OP_CREATE, &full, DENY,
            RTK_E_DENY_CREATE, R_APP3, NULL);
    EVAL_OP(p, "ed", A1, APP3, HOOK, RTK_OP_DELETE, NULL, DENY,
            RTK_E_DENY_DELETE, R_APP3, NULL);
    body_init(&b, 0, 0, 0, "https://hooks.example.com/rtk/x");
    EVAL_OP(p, "ed", A1, APP3, HOOK, RTK_OP_EDIT, &b, DENY,
            RTK_E_DENY_URL, R_APP3, NULL);

    /* no rule: the same for every operation */
    EVAL_OP(p, "ed", A2, APP1, "", RTK_OP_LIST, NULL, DENY,
            RTK_E_DENY_NO_RULE, "default", NULL);
    EVAL_OP(p, "ed", A1, APP4, HOOK, RTK_OP_DELETE, NULL, DENY,
            RTK_E_DENY_NO_RULE, "accounts." A1,
            "no policy rule for app " APP4 " in account " A1);

    rtk_policy_free(p);

    /* report-only applies to every operation */
    p = parse("{\"mode\":\"report-only\",\"accounts\":{\"*\":{\"apps\":"
              "{\"*\":{\"editors\":[\"a\"]}}}}}");

    if (p != NULL) {
        EVAL_OP(p, "b", A1, APP1, "", RTK_OP_LIST, NULL, WOULD,
                RTK_E_DENY_READ, "accounts.*.apps.*", NULL);
        EVAL_OP(p, "a", A1, APP1, "", RTK_OP_CREATE, &full, WOULD,
                RTK_E_DENY_CREATE, "accounts.*.apps.*", NULL);
        EVAL_OP(p, "a", A1, APP1, HOOK, RTK_OP_DELETE, NULL, WOULD,
                RTK_E_DENY_DELETE, "accounts.*.apps.*", NULL);
        EVAL_OP(p, "a", A1, APP1, HOOK, RTK_OP_GET, NULL, ALLOW, 0,
                "accounts.*.apps.*", NULL);
        rtk_policy_free(p);
    }

    RTK_CHECK(RTK_E_DENY_READ == 40309 && RTK_E_DENY_CREATE == 40310
              && RTK_E_DENY_DELETE == 40311, "stable codes");
}


/* per-webhook rules: the most specific rule decides alone */

static const char  policy_hooks[] =
    "{\n"
    "  \"accounts\": {\n"
    "    \"" A1 "\": {\"apps\": {\n"
    "      \"" APP1 "\": {\n"
    "        \"editors\": [\"ed\"], \"deleters\": [\"ed\"],\n"
    "        \"urls\": [\"https://hooks.example.com/\"],\n"
    "        \"events\": [\"meeting.started\"],\n"
    "        \"webhooks\": {\n"
    "          \"" HOOKA "\": {\"editors\": [\"other\"]},\n"
    "          \"" HOOKB "\": {\n"
    "            \"editors\": [\"mallory\"], \"readers\": [\"ed\"],\n"
    "            \"deleters\": [\"mallory\"], \"enablers\": [\"mallory\"],\n"
    "            \"urls\": [\"https://evil.example/\"],\n"
    "            \"events\": [\"meeting.summary\"]\n"
    "          }\n"
    "        }\n"
    "      },\n"
    "      \"" APP2_HEX "\": {\n"
    "        \"mode\": \"report-only\", \"editors\": [\"ed\"],\n"
    "        \"webhooks\": {\n"
    "          \"" HOOKA "\": {\"mode\": \"enforce\", \"editors\": [\"ed\"]},\n"
    "          \"" HOOKB "\": {\"editors\": [\"ed\"]}\n"
    "        }\n"
    "      },\n"
    "      \"*\": {\"editors\": [\"star\"],\n"
    "        \"webhooks\": {\"" HOOKC "\": {\"editors\": [\"c\"]}}}\n"
    "    }},\n"
    "    \"*\": {\"mode\": \"report-only\", \"apps\": {\n"
    "      \"" APP3 "\": {\"editors\": [\"ed\"],\n"
    "        \"webhooks\": {\"" HOOKA "\": {\"editors\": [\"x\"]}}}\n"
    "    }}\n"
    "  }\n"
    "}\n";


#define R_HOOKA  R_APP1 ".webhooks." HOOKA
#define R_HOOKB  R_APP1 ".webhooks." HOOKB


static void
test_webhooks(void)
{
    rtk_body_t     b, full;
    rtk_policy_t  *p;

    p = parse(policy_hooks);
    RTK_CHECK(p != NULL, "hooks policy");

    if (p == NULL) {
        return;
    }

    RTK_CHECK(rtk_policy_apps(p) == 4, "apps %zu", rtk_policy_apps(p));

    body_init(&b, RTK_FIELD_NAME, 0, 0, NULL);
    body_init(&full, RTK_FIELD_ENABLED | RTK_FIELD_EVENTS | RTK_FIELD_NAME,
              1, EV_SUMMARY, "https://evil.example/x");

    /* another webhook of the app: the app's rule */
    EVAL_OP(p, "ed", A1, APP1, HOOK, RTK_OP_EDIT, &b, ALLOW, 0, R_APP1,
            NULL);
    EVAL_OP(p, "ed", A1, APP1, HOOK, RTK_OP_DELETE, NULL, ALLOW, 0, R_APP1,
            NULL);

    /* HOOKA denies what the app allows: ed is no editor of it ... */
    EVAL_OP(p, "ed", A1, APP1, HOOKA, RTK_OP_EDIT, &b, DENY,
            RTK_E_DENY_EDITOR, R_HOOKA,
            "caller \"ed\" is not an editor of app " APP1);
    EVAL_OP(p, "ed", A1, APP1, HOOKA, RTK_OP_GET, NULL, DENY,
            RTK_E_DENY_READ, R_HOOKA, NULL);
    EVAL_OP(p, "ed", A1, APP1, HOOKA, RTK_OP_DELETE, NULL, DENY,
            RTK_E_DENY_DELETE, R_HOOKA, NULL);

    /* ... and nothing is merged: its own editor, its own empty lists */
    EVAL_OP(p, "other", A1, APP1, HOOKA, RTK_OP_EDIT, &b, ALLOW, 0, R_HOOKA,
            NULL);
    EVAL_OP(p, "other", A1, APP1, HOOKA, RTK_OP_GET, NULL, ALLOW, 0,
            R_HOOKA, NULL);
    body_init(&b, 0, 0, 0, "https://hooks.example.com/x");
    EVAL_OP(p, "other", A1, APP1, HOOKA, RTK_OP_EDIT, &b, DENY,
            RTK_E_DENY_URL, R_HOOKA, NULL);
    EVAL_OP(p, "ed", A1, APP1, HOOK, RTK_OP_EDIT, &b, ALLOW, 0, R_APP1,
            NULL);

    /* HOOKB allows what the app denies */
    EVAL_OP(p, "mallory", A1, APP1, HOOKB, RTK_OP_REPLACE, &full, ALLOW, 0,
            R_HOOKB, NULL);
    EVAL_OP(p, "mallory", A1, APP1, HOOKB, RTK_OP_DELETE, NULL, ALLOW, 0,
            R_HOOKB, NULL);
    EVAL_OP(p, "mallory", A1, APP1, HOOK, RTK_OP_REPLACE, &full, DENY,
            RTK_E_DENY_EDITOR, R_APP1, NULL);
    EVAL_OP(p, "mallory", A1, APP1, HOOK, RTK_OP_DELETE, NULL, DENY,
            RTK_E_DENY_DELETE, R_APP1, NULL);
    EVAL_OP(p, "ed", A1, APP1, HOOKB, RTK_OP_GET, NULL, ALLOW, 0, R_HOOKB,
            NULL);
    EVAL_OP(p, "mallory", A1, APP1, HOOKB, RTK_OP_GET, NULL, DENY,
            RTK_E_DENY_READ, R_HOOKB, NULL);

    /* list and create are the app's: no webhook is named */
    EVAL_OP(p, "mallory", A1, APP1, "", RTK_OP_LIST, NULL, DENY,
            RTK_E_DENY_READ, R_APP1, NULL);
    EVAL_OP(p, "ed", A1, APP1, "", RTK_OP_LIST, NULL, ALLOW, 0, R_APP1,
            NULL);
    EVAL_OP(p, "mallory", A1, APP1, "", RTK_OP_CREATE, &full, DENY,
            RTK_E_DENY_CREATE, R_APP1, NULL);

    /* the webhook of another app is not this one's */
    EVAL_OP(p, "mallory", A1, APP4, HOOKB, RTK_OP_DELETE, NULL, DENY,
            RTK_E_DENY_DELETE, "accounts." A1 ".apps.*", NULL);

    /* "*" app entries have webhook entries too */
    body_init(&b, RTK_FIELD_NAME, 0, 0, NULL);
    EVAL_OP(p, "c", A1, APP4, HOOKC, RTK_OP_EDIT, &b, ALLOW, 0,
            "accounts." A1 ".apps.*.webhooks." HOOKC, NULL);
    EVAL_OP(p, "star", A1, APP4, HOOKC, RTK_OP_EDIT, &b, DENY,
            RTK_E_DENY_EDITOR, "accounts." A1 ".apps.*.webhooks." HOOKC,
            NULL);
    EVAL_OP(p, "c", A1, APP1, HOOKC, RTK_OP_EDIT, &b, DENY,
            RTK_E_DENY_EDITOR, R_APP1, NULL);

    /* either spelling of the app, as the file spells it in the rule */
    EVAL_OP(p, "ed", A1, APP1_HEX, HOOKA, RTK_OP_EDIT, &b, DENY,
            RTK_E_DENY_EDITOR, R_HOOKA,
            "caller \"ed\" is not an editor of app " APP1_HEX);
    EVAL_OP(p, "x", A1, APP2, HOOKA, RTK_OP_EDIT, &b, DENY,
            RTK_E_DENY_EDITOR,
            "accounts." A1 ".apps." APP2_HEX ".webhooks." HOOKA, NULL);

    /* modes: the webhook's own, else its app's, else the account's */
    EVAL_OP(p, "x", A1, APP2_HEX, HOOKB, RTK_OP_EDIT, &b, WOULD,
            RTK_E_DENY_EDITOR,
            "accounts." A1 ".apps." APP2_HEX ".webhooks." HOOKB, NULL);
    EVAL_OP(p, "x", A1, APP2_HEX, HOOK, RTK_OP_EDIT, &b, WOULD,
            RTK_E_DENY_EDITOR, "accounts." A1 ".apps." APP2_HEX, NULL);
    EVAL_OP(p, "x", A1, APP2_HEX, HOOKA, RTK_OP_EDIT, &b, DENY,
            RTK_E_DENY_EDITOR,
            "accounts." A1 ".apps." APP2_HEX ".webhooks." HOOKA, NULL);
    EVAL_OP(p, "ed", A2, APP3, HOOKA, RTK_OP_DELETE, NULL, WOULD,
            RTK_E_DENY_DELETE, "accounts.*.apps." APP3 ".webhooks." HOOKA,
            NULL);
    EVAL_OP(p, "x", A2, APP3, HOOKA, RTK_OP_GET, NULL, ALLOW, 0,
            "accounts.*.apps." APP3 ".webhooks." HOOKA, NULL);

    rtk_policy_free(p);

    /* the longest rule name fits */
    p = parse("{\"accounts\":{\"" A1 "\":{\"apps\":{\"" APP1 "\":{"
              "\"editors\":[\"a\"],\"webhooks\":{\"" HOOKA "\":"
              "{\"editors\":[\"b\"]}}}}}}}");

    if (p != NULL) {
        EVAL_OP(p, "a", A1, APP1, HOOKA, RTK_OP_GET, NULL, DENY,
                RTK_E_DENY_READ, R_HOOKA, NULL);
        RTK_CHECK(sizeof(R_HOOKA) <= RTK_RULE_NAME_MAX, "rule %zu bytes",
                  sizeof(R_HOOKA));
        rtk_policy_free(p);
    }
}



static void
test_load_errors(void)
{
    /* unknown keys at each level */
    ERR("{\n  \"acounts\": {}\n}",
        "p.json:2:3: unknown key \"acounts\" at top level");
    ERR("{\"accounts\":{\n \"*\": {\"apps\": {}, \"app\": {}}}}",
        "p.json:2:20: unknown key \"app\" in account entry");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],\n"
        "\"url\":[]}}}}}",
        "p.json:2:1: unknown key \"url\" in app entry");

    /* unknown event, field name, mode, url pattern */
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],\n"
        "  \"events\": [\"meeting.started\", \"meeting.exploded\"]}}}}}",
        "p.json:2:33: unknown event \"meeting.exploded\"");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],\n"
        "  \"fields\": {\"a\": [\"name\", \"webhook\"]}}}}}}",
        "p.json:2:28: unknown field \"webhook\"");
    ERR("{\"mode\": \"audit\", \"accounts\": {}}",
        "p.json:1:10: bad mode \"audit\"");
    ERR("{\"accounts\":{\"*\":{\"mode\":\"Enforce\",\"apps\":{}}}}",
        "p.json:1:26: bad mode \"Enforce\"");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],\n"
        "  \"urls\": [\"https://ok.example\",\n"
        "           \"ftp://bad.example\"]}}}}}",
        "p.json:3:12: bad url pattern \"ftp://bad.example\": ");

    /* groups: unknown, defined after use, nested, bad names */
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":\n"
        "  {\"editors\":[\"a\", \"@nosuch\"]}}}}}",
        "p.json:2:20: unknown group \"@nosuch\"");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],\n"
        "  \"fields\": {\"@gone\": []}}}}},\n"
        " \"groups\": {\"g\": [\"x\"]}}",
        "p.json:2:14: unknown group \"@gone\"");
    ERR("{\"groups\": {\"g\": [\"x\"]},\n"
        " \"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"@h\", \"@g\"],\n"
        "  \"enablers\": [\"@i\"]}}}}}",
        "p.json:2:43: unknown group \"@h\"");
    ERR("{\"groups\": {\"g\": [\"x\", \"@y\"]}, \"accounts\": {}}",
        "p.json:1:24: groups cannot contain groups (\"@y\")");
    ERR("{\"groups\": {\"a b\": []}, \"accounts\": {}}",
        "p.json:1:13: bad group name \"a b\"");
    ERR("{\"groups\": {\"\": []}, \"accounts\": {}}",
        "p.json:1:13: bad group name \"\"");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"@\"]}}}}}",
        "p.json:1:43: bad group name \"@\"");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"@a/b\"]}}}}}",
        "p.json:1:43: bad group name \"@a/b\"");

    /* callers */
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\", \"\"]}}}}}",
        "p.json:1:48: empty caller name");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":"
        "[\"a\\u0001\"]}}}}}",
        "p.json:1:43: caller name contains a control character");
    ERR("{\"groups\": {\"g\": [\"a\\tb\"]}, \"accounts\": {}}",
        "p.json:1:19: caller name contains a control character");

    /* duplicate keys at every level */
    ERR("{\"accounts\": {},\n \"accounts\": {}}",
        "p.json:2:2: duplicate key \"accounts\"");
    ERR("{\"mode\": \"enforce\", \"mode\": \"enforce\", \"accounts\": {}}",
        "p.json:1:21: duplicate key \"mode\"");
    ERR("{\"groups\": {\"g\": [], \"g\": []}, \"accounts\": {}}",
        "p.json:1:22: duplicate key \"g\"");
    ERR("{\"groups\": {}, \"groups\": {}, \"accounts\": {}}",
        "p.json:1:16: duplicate key \"groups\"");
    ERR("{\"accounts\":{\n"
        "\"" A1 "\": {\"apps\": {}},\n"
        "\"" A1 "\": {\"apps\": {}}}}",
        "p.json:3:1: duplicate key \"" A1 "\"");
    ERR("{\"accounts\":{\"*\": {\"apps\": {}}, \"*\": {\"apps\": {}}}}",
        "p.json:1:33: duplicate key \"*\"");
    ERR("{\"accounts\":{\"*\": {\"apps\": {}, \"apps\": {}}}}",
        "p.json:1:32: duplicate key \"apps\"");
    ERR("{\"accounts\":{\"*\": {\"mode\": \"enforce\", \"mode\": \"enforce\","
        " \"apps\": {}}}}",
        "p.json:1:39: duplicate key \"mode\"");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\n"
        "\"" APP1 "\": {\"editors\": [\"a\"]},\n"
        "\"" APP1 "\": {\"editors\": [\"a\"]}}}}}",
        "p.json:3:1: duplicate key \"" APP1 "\"");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\n"
        "\"*\": {\"editors\": [\"a\"]},\n"
        "\"*\": {\"editors\": [\"a\"]}}}}}",
        "p.json:3:1: duplicate key \"*\"");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],\n"
        "  \"editors\": [\"b\"]}}}}}",
        "p.json:2:3: duplicate key \"editors\"");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],\n"
        "  \"fields\": {\"@g\": [], \"a\": [], \"@g\": []}}}}},"
        " \"groups\": {\"g\": []}}",
        "p.json:2:33: duplicate key \"@g\"");

    /* the same key in different apps is no duplicate */
    {
        rtk_policy_t  *p;

        p = parse("{\"accounts\":{\"*\":{\"apps\":{"
                  "\"" APP1 "\":{\"editors\":[\"a\"],\"fields\":{\"a\":[]}},"
                  "\"" APP2 "\":{\"editors\":[\"a\"],\"fields\":{\"a\":[]}}"
                  "}}}}");
        RTK_CHECK(p != NULL, "fields key in two apps");
        rtk_policy_free(p);
    }

    /* bad ids */
    ERR("{\"accounts\":{\"0123456789ABCDEF0123456789abcdef\": {}}}",
        "p.json:1:14: bad account id \"0123456789ABCDEF0123456789abcdef\"");
    ERR("{\"accounts\":{\"0123\": {}}}", "p.json:1:14: bad account id");
    ERR("{\"accounts\":{\"**\": {}}}", "p.json:1:14: bad account id");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\n"
        "  \"11111111-2222-3333-4444-55555555555A\": {}}}}}",
        "p.json:2:3: bad app id");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\n"
        "  \"111111112222333344445555555555555\": {}}}}}",
        "p.json:2:3: bad app id");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\n"
        "  \"11111111-2222-3333-4444_555555555555\": {}}}}}",
        "p.json:2:3: bad app id");

    ERR("{\"accounts\":{\"*\":{\"apps\":{\n"
        "  \"1111111122223333444455555555555A\": {}}}}}",
        "p.json:2:3: bad app id \"1111111122223333444455555555555A\" "
        "(want a lowercase UUID, 32 lowercase hex digits or \"*\")");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\n"
        "  \"11111111-22223333444455555555555\": {}}}}}",
        "p.json:2:3: bad app id");

    /* the two spellings of one app are one key */
    ERR("{\"accounts\":{\"*\":{\"apps\":{\n"
        "\"" APP1 "\": {\"editors\": [\"a\"]},\n"
        "\"" APP1_HEX "\": {\"editors\": [\"a\"]}}}}}",
        "p.json:3:1: duplicate key \"" APP1_HEX "\" (the same app as \""
        APP1 "\")");
    ERR("{\"accounts\":{\"" A1 "\":{\"apps\":{\n"
        "\"" APP1_HEX "\": {\"editors\": [\"a\"]},\n"
        "  \"" APP1 "\": {\"editors\": [\"a\"]}}}}}",
        "p.json:3:3: duplicate key \"" APP1 "\" (the same app as \""
        APP1_HEX "\")");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\n"
        "\"" APP1_HEX "\": {\"editors\": [\"a\"]},\n"
        "\"" APP1_HEX "\": {\"editors\": [\"a\"]}}}}}",
        "p.json:3:1: duplicate key \"" APP1_HEX "\"");

    /* webhook entries */
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],\n"
        "  \"webhooks\": {\"*\": {\"editors\": [\"a\"]}}}}}}}",
        "p.json:2:16: bad webhook id \"*\" (want a lowercase UUID)");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],\n"
        "  \"webhooks\": {\"AAAAAAAA-0000-4000-8000-00000000000A\": {}}}}}}}",
        "p.json:2:16: bad webhook id");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],\n"
        "  \"webhooks\": {\"aaaaaaaa00004000800000000000000a\": {}}}}}}}",
        "p.json:2:16: bad webhook id");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],\n"
        "  \"webhooks\": {\"" HOOKA "\": {\"editors\": [\"a\"]},\n"
        "    \"" HOOKA "\": {\"editors\": [\"a\"]}}}}}}}",
        "p.json:3:5: duplicate key \"" HOOKA "\"");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],\n"
        "  \"webhooks\": {\"" HOOKA "\":\n"
        "     {\"readers\": [\"a\"]}}}}}}}",
        "p.json:3:6: accounts.*.apps.*.webhooks." HOOKA ": missing "
        "required key \"editors\"");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],\n"
        "  \"webhooks\": {\"" HOOKA "\": {\"editors\": []}}}}}}}",
        "p.json:2:68: \"editors\" must not be empty");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],\n"
        "  \"webhooks\": {\"" HOOKA "\": {\"editors\": [\"a\"],\n"
        "    \"creators\": [\"a\"]}}}}}}}",
        "p.json:3:5: unknown key \"creators\" in webhook entry (want mode, "
        "editors, readers, deleters, enablers, disablers, urls, events or "
        "fields)");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],\n"
        "  \"webhooks\": {\"" HOOKA "\": {\"editors\": [\"a\"],\n"
        "    \"webhooks\": {}}}}}}}}",
        "p.json:3:5: unknown key \"webhooks\" in webhook entry");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],\n"
        "  \"webhooks\": {\"" HOOKA "\": {\"editors\": [\"a\"],\n"
        "    \"mode\": \"enforce\", \"mode\": \"enforce\"}}}}}}}",
        "p.json:3:24: duplicate key \"mode\"");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],\n"
        "  \"webhooks\": {}, \"webhooks\": {}}}}}}",
        "p.json:2:19: duplicate key \"webhooks\"");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],\n"
        "  \"webhooks\": []}}}}}",
        "p.json:2:15: \"webhooks\" must be an object");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],\n"
        "  \"webhooks\": {\"" HOOKA "\": 5}}}}}}",
        "p.json:2:56: a webhook entry must be an object");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],\n"
        "  \"webhooks\": {\"" HOOKA "\": {\"editors\": [\"a\"],\n"
        "    \"fields\": {\"a\": [\"name\"], \"a\": []}}}}}}}}",
        "p.json:3:31: duplicate key \"a\"");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],\n"
        "  \"webhooks\": {\"" HOOKA "\": {\"editors\": [\"@nope\"]}}}}}}}",
        "p.json:2:69: unknown group \"@nope\"");

    /* the new lists, where editors go */
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],\n"
        "  \"readers\": \"a\"}}}}}",
        "p.json:2:14: \"readers\" must be an array of strings");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],\n"
        "  \"creators\": [1]}}}}}",
        "p.json:2:16: \"creators\" must contain only strings");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],\n"
        "  \"deleters\": [\"\"]}}}}}",
        "p.json:2:16: empty caller name");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],\n"
        "  \"readers\": [], \"readers\": []}}}}}",
        "p.json:2:18: duplicate key \"readers\"");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],\n"
        "  \"creators\": [\"@g\"]}}}}}",
        "p.json:2:16: unknown group \"@g\"");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],\n"
        "  \"deleter\": []}}}}}",
        "p.json:2:3: unknown key \"deleter\" in app entry (want mode, "
        "editors, readers, creators, deleters, enablers, disablers, urls, "
        "events, fields or webhooks)");
    ERR("{\"accounts\":{\"*\":{\"readers\": [], \"apps\":{}}}}",
        "p.json:1:19: unknown key \"readers\" in account entry");
    ERR("{\"readers\": [], \"accounts\":{}}",
        "p.json:1:2: unknown key \"readers\" at top level");

    /* the same "fields" keys in a webhook entry and in its app's entry */
    {
        rtk_policy_t  *p;

        p = parse("{\"accounts\":{\"*\":{\"apps\":{\"*\":{"
                  "\"editors\":[\"a\"],\"webhooks\":{\"" HOOKA "\":{"
                  "\"editors\":[\"a\"],\"fields\":{\"a\":[],\"@g\":[]}}},"
                  "\"fields\":{\"@g\":[\"name\"],\"a\":[\"url\"]}}}}},"
                  "\"groups\":{\"g\":[\"a\"]}}");
        RTK_CHECK(p != NULL, "fields keys in a webhook and its app");
        rtk_policy_free(p);
    }

    /* the same webhook id under two apps is no duplicate */
    {
        rtk_policy_t  *p;

        p = parse("{\"accounts\":{\"*\":{\"apps\":{"
                  "\"" APP1 "\":{\"editors\":[\"a\"],\"webhooks\":{"
                  "\"" HOOKA "\":{\"editors\":[\"a\"]}}},"
                  "\"*\":{\"editors\":[\"a\"],\"webhooks\":{"
                  "\"" HOOKA "\":{\"editors\":[\"a\"]}}}}}}}");
        RTK_CHECK(p != NULL, "one webhook id in two apps");
        rtk_policy_free(p);
    }

    /* wrong types */
    ERR("[]", "p.json:1:1: the policy must be a JSON object");
    ERR("  5", "p.json:1:4: the policy must be a JSON object");
    ERR("\"x\"", "p.json:1:1: the policy must be a JSON object");
    ERR("{\"mode\": 5, \"accounts\": {}}",
        "p.json:1:10: \"mode\" must be a string");
    ERR("{\"mode\": -1.5e3, \"accounts\": {}}",
        "p.json:1:10: \"mode\" must be a string");
    ERR("{\"accounts\": []}", "p.json:1:14: \"accounts\" must be an object");
    ERR("{\"groups\": null, \"accounts\": {}}",
        "p.json:1:12: \"groups\" must be an object");
    ERR("{\"groups\": {\"g\": \"a\"}, \"accounts\": {}}",
        "p.json:1:18: a group must be an array of caller names");
    ERR("{\"groups\": {\"g\": [\"a\", true]}, \"accounts\": {}}",
        "p.json:1:24: group members must be strings");
    ERR("{\"accounts\": {\"*\": false}}",
        "p.json:1:20: an account entry must be an object");
    ERR("{\"accounts\": {\"*\": {\"apps\": [\"x\"]}}}",
        "p.json:1:29: \"apps\" must be an object");
    ERR("{\"accounts\": {\"*\": {\"apps\": {\"*\": []}}}}",
        "p.json:1:35: an app entry must be an object");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":\"a\"}}}}}",
        "p.json:1:42: \"editors\" must be an array of strings");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\",[]]}}}}}",
        "p.json:1:47: \"editors\" must contain only strings");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],"
        "\"urls\":[12]}}}}}",
        "p.json:1:56: \"urls\" must contain only strings");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],"
        "\"events\":{}}}}}}",
        "p.json:1:57: \"events\" must be an array of strings");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],"
        "\"enablers\":null}}}}}",
        "p.json:1:59: \"enablers\" must be an array of strings");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],"
        "\"disablers\":[{}]}}}}}",
        "p.json:1:61: \"disablers\" must contain only strings");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],"
        "\"fields\":[]}}}}}",
        "p.json:1:57: \"fields\" must be an object");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],"
        "\"fields\":{\"a\":\"name\"}}}}}}",
        "p.json:1:62: \"fields\" entries must be arrays of field names");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],"
        "\"fields\":{\"a\":[false]}}}}}}",
        "p.json:1:63: field names must be strings");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"mode\":true,"
        "\"editors\":[\"a\"]}}}}}",
        "p.json:1:39: \"mode\" must be a string");

    /* missing required keys: reported at the object's '{' */
    ERR("{\n  \"groups\": {}\n}", "p.json:1:1: missing required key "
        "\"accounts\"");
    ERR("{\"accounts\": {\n  \"*\": {\"mode\": \"enforce\"}}}",
        "p.json:2:8: account \"*\": missing required key \"apps\"");
    ERR("{\"accounts\": {\"*\": {\"apps\": {\n"
        "  \"" APP1 "\":\n"
        "    {\"mode\": \"enforce\"}}}}}",
        "p.json:3:5: accounts.*.apps." APP1 ": missing required key "
        "\"editors\"");

    /* empty editors: reported at its '[' */
    ERR("{\"accounts\": {\"*\": {\"apps\": {\"*\": {\n"
        "  \"editors\":   [ ]}}}}}",
        "p.json:2:16: \"editors\" must not be empty");

    /* JSON syntax */
    ERR("", "p.json:1:1: JSON syntax error: ");
    ERR("{\"accounts\": {}", "p.json:1:16: JSON syntax error: premature EOF");
    ERR("{\"accounts\": {}\n\n", "p.json:3:1: JSON syntax error: premature");
    ERR("{\"accounts\" {}}", "p.json:1:13: JSON syntax error: object key and "
        "value must be separated by a colon");
    ERR("{\"accounts\": {},}", "p.json:1:17: JSON syntax error: ");
    ERR("{\"groups\": {\"g\": [\"a\",]}, \"accounts\": {}}",
        "p.json:1:23: JSON syntax error: ");
    ERR("{\"accounts\": {}} x", "p.json:1:18: JSON syntax error: trailing "
        "garbage");
    ERR("{\"accounts\": {}} {}", "p.json:1:18: JSON syntax error: trailing "
        "garbage");
    ERR("{/* c */ \"accounts\": {}}", "p.json:1:2: JSON syntax error: ");
    ERR("{\"accounts\": {}, // c\n}", "p.json:1:18: JSON syntax error: ");
    ERR("{\"accounts\": {\"\xff\": {}}}", "p.json:1:16: invalid UTF-8");

    /* what yajl alone would let through */
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":"
        "[\"a\xc0\xaf\"]}}}}}", "p.json:1:45: invalid UTF-8");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":"
        "[\"a\xed\xa0\x80\"]}}}}}", "p.json:1:45: invalid UTF-8");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":"
        "[\"a\\ud800\\u0041\"]}}}}}",
        "p.json:1:45: unpaired surrogate escape");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":"
        "[\"\\udc00\"]}}}}}", "p.json:1:44: unpaired surrogate escape");
    ERR("{\"accounts\": {}} \"abc", "p.json:1:18: trailing data after the "
        "policy object");

    /* JSON whitespace is SP, HT, LF and CR; yajl also skips VT and FF */
    ERR("{\"accounts\":\v{}}",
        "p.json:1:13: vertical tab outside a string");
    ERR("{\"accounts\": {}\n\f}",
        "p.json:2:1: form feed outside a string");
    ERR("{\"accounts\": {}}\n\v\n",
        "p.json:2:1: vertical tab outside a string");
    ERR("\f{\"accounts\": {}}", "p.json:1:1: form feed outside a string");
    ERR("{\"groups\": {\"g\": [\"a\",\f\"b\"]}, \"accounts\": {}}",
        "p.json:1:23: form feed outside a string");
    ERR("{\"groups\": {\"g\": [\"a\\\"\"\v]}, \"accounts\": {}}",
        "p.json:1:24: vertical tab outside a string");
    ERR("{\"groups\": {\"g\": [\"a\vb\"]}, \"accounts\": {}}",
        "p.json:1:21: JSON syntax error: ");
    ERR("{\"groups\": {\"g\": [\"a\\u000bb\"]}, \"accounts\": {}}",
        "p.json:1:19: caller name contains a control character");
    ERR("{\"accounts\": {\"*\": {\"apps\": {\"*\": \v{}}}}}",
        "p.json:1:35: vertical tab outside a string");
    ERR("{\"accounts\": @}", "p.json:1:14: JSON syntax error: "
        "invalid char in json text");
    ERR("{\"accounts\" \"b\"}", "p.json:1:13: JSON syntax error: "
        "object key and value must be separated by a colon");
    ERR("{\"accounts\": {} true}", "p.json:1:17: JSON syntax error: "
        "after key and value");
    ERR("{\"accounts\": {} \"ab\"}", "p.json:1:17: JSON syntax error: "
        "after key and value");
    ERR("{\"accounts\": {}, \n  }", "p.json:2:3: JSON syntax error: "
        "invalid object key");
    ERR("{\"accounts\":,}", "p.json:1:13: JSON syntax error: ");
    ERR("{\"mode\": \"enforce\",, \"accounts\": {}}", "p.json:1:20: JSON "
        "syntax error: ");
    ERR("{\"groups\": {\"g\": [\"a\" \"b\"]}, \"accounts\": {}}",
        "p.json:1:23: JSON syntax error: after array element");
    ERR("{\"accounts\": 1.x}", "p.json:1:16: JSON syntax error: "
        "malformed number");
    ERR("{\"accounts\": {}}}", "p.json:1:17: JSON syntax error: trailing");
    ERR("{\"accounts\": {\"a\\u00zz\": {}}}",
        "p.json:1:21: JSON syntax error: ");
    ERR("\xef\xbb\xbf{\"accounts\": {}}", "p.json:1:1: byte order mark");
    ERR("{\"accounts\": tru}", "p.json:1:17: JSON syntax error: ");

    /* a message quotes at most 64 bytes of a value */
    ERR("{\"accounts\": {}, \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\": 1}",
        "p.json:1:18: unknown key \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxx...\" at top level");

    /* positions after escapes and multi-byte characters */
    ERR("{\"groups\": {\"g\\\"\\\\\": []}, \"accounts\": {}}",
        "p.json:1:13: bad group name \"g\"\\\"");
    ERR("{\"accounts\": {},\n\"\xc3\xa9t\xc3\xa9\": 1, \"\\u00e9\": 1}",
        "p.json:2:1: unknown key \"\xc3\xa9t\xc3\xa9\"");
    ERR("{\"accounts\": {}, \"\\\\\": 1}", "p.json:1:18: unknown key \"\\\"");
}


static void
test_files(void)
{
    int            fd;
    char           path[64];
    FILE          *f;
    rtk_error_t    err;
    rtk_policy_t  *p;

    strcpy(path, "/tmp/rtk_policy_test_XXXXXX");
    fd = mkstemp(path);
    RTK_CHECK(fd != -1, "mkstemp");

    if (fd == -1) {
        return;
    }

    f = fdopen(fd, "w");
    fputs(policy_main, f);
    fclose(f);

    p = rtk_policy_load(path, &err);
    RTK_CHECK(p != NULL, "load: %s", err.message);

    if (p != NULL) {
        RTK_CHECK(rtk_policy_apps(p) == 7, "apps");
        RTK_CHECK(strlen(rtk_policy_hash(p)) == 64, "hash length");
        rtk_policy_free(p);
    }

    /* a broken file names itself */
    f = fopen(path, "w");
    fputs("{\n  \"accounts\": {},\n  \"x\": 1\n}\n", f);
    fclose(f);

    p = rtk_policy_load(path, &err);
    RTK_CHECK(p == NULL && strncmp(err.message, path, strlen(path)) == 0
              && strcmp(err.message + strlen(path),
                        ":3:3: unknown key \"x\" at top level "
                        "(want mode, groups or accounts)") == 0,
              "file error: %s", err.message);

    /* too large: a sparse file of 64 MiB + 1 */
    fd = open(path, O_WRONLY | O_TRUNC);
    RTK_CHECK(fd != -1 && ftruncate(fd, 64 * 1024 * 1024 + 1) == 0,
              "ftruncate");
    close(fd);

    p = rtk_policy_load(path, &err);
    RTK_CHECK(p == NULL && strstr(err.message, "larger than 64 MiB") != NULL,
              "large file: %s", p ? "loaded" : err.message);

    unlink(path);

    p = rtk_policy_load(path, &err);
    RTK_CHECK(p == NULL && strstr(err.message, "cannot open") != NULL,
              "missing file: %s", p ? "loaded" : err.message);

    p = rtk_policy_load("/tmp", &err);
    RTK_CHECK(p == NULL && strcmp(err.message, "/tmp: not a regular file")
              == 0, "directory: %s", p ? "loaded" : err.message);

    p = rtk_policy_load("/dev/null", &err);
    RTK_CHECK(p == NULL && strstr(err.message, "not a regular file") != NULL,
              "device: %s", p ? "loaded" : err.message);
}


static void
test_misc(void)
{
    rtk_body_t     b;
    rtk_policy_t  *p;

    /* groups may come after their use; a caller in several groups */
    p = parse("{\"accounts\":{\"*\":{\"apps\":{\"*\":{"
              "\"editors\":[\"@g1\"],\"enablers\":[\"@g2\"],"
              "\"disablers\":[\"@g3\"],\"fields\":{\"@g1\":[\"name\"],"
              "\"@g2\":[\"enabled\"]}}}}},"
              "\"groups\":{\"g1\":[\"x\",\"y\"],\"g2\":[\"x\"],"
              "\"g3\":[\"y\",\"x\"]}}");

    if (p != NULL) {
        /* x: name (g1) + enabled (g2) */
        body_init(&b, RTK_FIELD_NAME | RTK_FIELD_ENABLED, 1, 0, NULL);
        EVAL(p, "x", A1, APP1, &b, ALLOW, 0, "accounts.*.apps.*", NULL);
        EVAL(p, "y", A1, APP1, &b, DENY, RTK_E_DENY_FIELD,
             "accounts.*.apps.*", "field \"enabled\"");

        body_init(&b, RTK_FIELD_ENABLED, 0, 0, NULL);
        EVAL(p, "x", A1, APP1, &b, ALLOW, 0, "accounts.*.apps.*", NULL);
        EVAL(p, "y", A1, APP1, &b, DENY, RTK_E_DENY_FIELD,
             "accounts.*.apps.*", NULL);

        /* callers are exact bytes: a NUL does not end the name */
        body_init(&b, RTK_FIELD_NAME, 0, 0, NULL);
        {
            rtk_route_t     r;
            rtk_decision_t  d;

            route_init(&r, A1, APP1);
            rtk_policy_eval(p, (const unsigned char *) "x\0z", 3, &r,
                            RTK_OP_EDIT, &b, &d);
            RTK_CHECK(d.decision == DENY
                      && d.reason.code == RTK_E_DENY_EDITOR,
                      "caller with NUL: %d", d.reason.code);
        }

        rtk_policy_free(p);
    }

    /* callers may be any printable bytes, incl. '@' inside and UTF-8 */
    p = parse("{\"accounts\":{\"*\":{\"apps\":{\"*\":{"
              "\"editors\":[\"CN=alice,O=Example\", \"b@c\", \"\xc3\xa9\","
              "\"q\\\"uote\"]}}}}}");

    if (p != NULL) {
        body_init(&b, RTK_FIELD_NAME, 0, 0, NULL);
        EVAL(p, "CN=alice,O=Example", A1, APP1, &b, ALLOW, 0,
             "accounts.*.apps.*", NULL);
        EVAL(p, "b@c", A1, APP1, &b, ALLOW, 0, "accounts.*.apps.*", NULL);
        EVAL(p, "\xc3\xa9", A1, APP1, &b, ALLOW, 0, "accounts.*.apps.*",
             NULL);
        EVAL(p, "q\"uote", A1, APP1, &b, ALLOW, 0, "accounts.*.apps.*",
             NULL);
        EVAL(p, "\xc3\xa9\n", A1, APP1, &b, DENY, RTK_E_DENY_EDITOR,
             "accounts.*.apps.*", "caller \"\xc3\xa9?\"");
        rtk_policy_free(p);
    }

    /*
     * Both spellings of an app id reach the same entry, whichever the
     * file uses; the rule is named as the file spells it, the messages
     * name the app as the request does.
     */
    p = parse("{\"accounts\":{\"" A1 "\":{\"apps\":{"
              "\"" APP2 "\":{\"editors\":[\"a\"]},"
              "\"" APP1_HEX "\":{\"editors\":[\"b\"]},"
              "\"*\":{\"editors\":[\"star\"]}}}}}");

    if (p != NULL) {
        body_init(&b, RTK_FIELD_NAME, 0, 0, NULL);
        EVAL(p, "a", A1, APP2, &b, ALLOW, 0, "accounts." A1 ".apps." APP2,
             NULL);
        EVAL(p, "a", A1, APP2_HEX, &b, ALLOW, 0,
             "accounts." A1 ".apps." APP2, NULL);
        EVAL(p, "star", A1, APP2_HEX, &b, DENY, RTK_E_DENY_EDITOR,
             "accounts." A1 ".apps." APP2,
             "caller \"star\" is not an editor of app " APP2_HEX);

        EVAL(p, "b", A1, APP1, &b, ALLOW, 0,
             "accounts." A1 ".apps." APP1_HEX, NULL);
        EVAL(p, "b", A1, APP1_HEX, &b, ALLOW, 0,
             "accounts." A1 ".apps." APP1_HEX, NULL);
        EVAL(p, "star", A1, APP1, &b, DENY, RTK_E_DENY_EDITOR,
             "accounts." A1 ".apps." APP1_HEX,
             "caller \"star\" is not an editor of app " APP1);

        /* neither spelling of another app escapes to "*" unnoticed */
        EVAL(p, "star", A1, APP3, &b, ALLOW, 0, "accounts." A1 ".apps.*",
             NULL);
        EVAL(p, "star", A1, "33333333333333333333333333333333", &b, ALLOW,
             0, "accounts." A1 ".apps.*", NULL);
        rtk_policy_free(p);
    }

    /* hash and app count through rtk_policy_parse without a name */
    {
        rtk_error_t  err;

        p = rtk_policy_parse((const unsigned char *) "{\"x\":1}", 7, NULL,
                             &err);
        RTK_CHECK(p == NULL && strncmp(err.message, "policy:1:2: ", 12) == 0,
                  "default name: %s", err.message);
    }
}


/* an account with napps apps, each with its own editor and url */

static char *
generate(size_t napps)
{
    char    *s, *w;
    size_t   i, size;

    size = 200 + napps * 320;
    s = malloc(size);

    if (s == NULL) {
        return NULL;
    }

    w = s;
    w += sprintf(w, "{\"groups\":{\"ops\":[\"op1\",\"op2\"]},\"accounts\":{"
                 "\"" A1 "\":{\"apps\":{");

    for (i = 0; i < napps; i++) {
        w += sprintf(w, "%s\n\"%08zx-0000-4000-8000-%012zx\":{"
                     "\"editors\":[\"user%zu\",\"@ops\"],"
                     "\"enablers\":[\"user%zu\"],"
                     "\"urls\":[\"https://h%zu.example.com/hook\","
                     "\"https://*.example.net\"],"
                     "\"events\":[\"meeting.started\",\"meeting.ended\"],"
                     "\"fields\":{\"op2\":[\"name\"]}}",
                     (i == 0) ? "" : ",", i, i, i, i, i);
    }

    strcpy(w, "}}}}\n");

    return s;
}


static void
test_scale(void)
{
    int            k, decision;
    char           app[64], caller[32], *json[2];
    size_t         n, sizes[2], i, loops;
    double         t0, t1;
    rtk_body_t     b;
    rtk_error_t    err;
    rtk_route_t    r;
    rtk_policy_t  *p[2];
    rtk_decision_t d;

    sizes[0] = 100;
    sizes[1] = 100000;
    loops = 1000000;
    decision = 0;

    body_init(&b, RTK_FIELD_ENABLED | RTK_FIELD_EVENTS, 1, EV_STARTED,
              "https://x.example.net/hook");

    for (k = 0; k < 2; k++) {
        json[k] = generate(sizes[k]);
        RTK_CHECK(json[k] != NULL, "generate");

        if (json[k] == NULL) {
            return;
        }

        t0 = now();
        p[k] = rtk_policy_parse((unsigned char *) json[k], strlen(json[k]),
                                "gen.json", &err);
        t1 = now();

        RTK_CHECK(p[k] != NULL, "generated policy: %s", err.message);

        if (p[k] == NULL) {
            free(json[k]);
            return;
        }

        RTK_CHECK(rtk_policy_apps(p[k]) == sizes[k], "apps %zu",
                  rtk_policy_apps(p[k]));

        printf("policy: load %zu apps (%zu bytes): %.1f ms\n", sizes[k],
               strlen(json[k]), (t1 - t0) * 1e3);

        /* spot checks across the table */
        for (i = 0; i < sizes[k]; i += sizes[k] / 10) {
            route_init(&r, A1, "00000000-0000-4000-8000-000000000000");
            sprintf(app, "%08zx-0000-4000-8000-%012zx", i, i);
            strcpy(r.app, app);
            (void) rtk_route_app_key((unsigned char *) app, RTK_UUID_LEN,
                                     r.app_key);
            sprintf(caller, "user%zu", i);

            rtk_policy_eval(p[k], (unsigned char *) caller, strlen(caller),
                            &r, RTK_OP_EDIT, &b, &d);
            RTK_CHECK(d.decision == ALLOW, "app %zu: %s", i,
                      d.reason.message);

            rtk_policy_eval(p[k], (unsigned char *) "op1", 3, &r,
                            RTK_OP_EDIT, &b, &d);
            RTK_CHECK(d.reason.code == RTK_E_DENY_ENABLE, "app %zu op1: %d",
                      i, d.reason.code);
        }
    }

    /* the same work per decision, spread over all apps of each policy */
    for (k = 0; k < 2; k++) {
        route_init(&r, A1, "00000000-0000-4000-8000-000000000000");

        t0 = now();

        for (i = 0; i < loops; i++) {
            n = (i * 7919) % sizes[k];
            sprintf(app, "%08x-0000-4000-8000-%012x", (unsigned) n,
                    (unsigned) n);
            memcpy(r.app, app, RTK_UUID_LEN);
            (void) rtk_route_app_key((unsigned char *) app, RTK_UUID_LEN,
                                     r.app_key);
            sprintf(caller, "user%zu", n);

            rtk_policy_eval(p[k], (unsigned char *) caller, strlen(caller),
                            &r, RTK_OP_EDIT, &b, &d);
            decision |= d.decision;
        }

        t1 = now();

        printf("policy: eval with %zu apps, spread over all apps: "
               "%.0f ns/decision (incl. building the route)\n",
               sizes[k], (t1 - t0) * 1e9 / loops);

        /* the computation alone, with the data in the cache */
        n = sizes[k] / 2;
        sprintf(app, "%08x-0000-4000-8000-%012x", (unsigned) n,
                (unsigned) n);
        memcpy(r.app, app, RTK_UUID_LEN);
        (void) rtk_route_app_key((unsigned char *) app, RTK_UUID_LEN,
                                 r.app_key);
        sprintf(caller, "user%zu", n);

        t0 = now();

        for (i = 0; i < loops; i++) {
            rtk_policy_eval(p[k], (unsigned char *) caller, strlen(caller),
                            &r, RTK_OP_EDIT, &b, &d);
            decision |= d.decision;
        }

        t1 = now();

        printf("policy: eval with %zu apps, one app repeatedly: "
               "%.0f ns/decision\n", sizes[k], (t1 - t0) * 1e9 / loops);
    }

    RTK_CHECK(decision == ALLOW, "all allowed in the timing loop");

    for (k = 0; k < 2; k++) {
        rtk_policy_free(p[k]);
        free(json[k]);
    }
}


int
main(void)
{
    (void) rtk_test_alloc;

    test_decisions();
    test_precedence();
    test_report_only();
    test_urls();
    test_operations();
    test_webhooks();
    test_load_errors();
    test_files();
    test_misc();
    test_scale();

    return rtk_test_report("policy");
}
