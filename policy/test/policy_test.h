
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * What the policy engine tests share: the account, app and webhook ids
 * they use, a policy parsed from a string, a route and a body built for
 * a request, and the check of one decision (EVAL, EVAL_OP).
 */


#ifndef _POLICY_TEST_H_INCLUDED_
#define _POLICY_TEST_H_INCLUDED_


#include <stdio.h>
#include <string.h>

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


#endif /* _POLICY_TEST_H_INCLUDED_ */
