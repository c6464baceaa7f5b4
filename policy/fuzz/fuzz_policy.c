/*
 * Copyright (C) ngx_rtk_module authors
 *
 * libFuzzer target for rtk_policy.  Input: a policy file.  Besides not
 * crashing or leaking, a rejected file must give "fuzz:LINE:COLUMN: "
 * with a position inside the input, and an accepted one must answer
 * every operation on a few routes with consistent decisions, each
 * denial with a reason of its operation.
 *
 *   clang-14 -fsanitize=fuzzer,address,undefined -I policy \
 *       policy/fuzz/fuzz_policy.c policy/rtk_*.c -lyajl -lcrypto
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rtk_policy.h"


#define rtk_fuzz_assert(cond)                                                \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "invariant failed: %s (line %d)\n", #cond,       \
                    __LINE__);                                               \
            abort();                                                         \
        }                                                                    \
    } while (0)


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
static void rtk_fuzz_error(const uint8_t *data, size_t size,
    const rtk_error_t *err);
static void rtk_fuzz_eval(const rtk_policy_t *policy);
static void rtk_fuzz_decide(const rtk_policy_t *policy, size_t c,
    const rtk_route_t *route, int op, const rtk_body_t *edit);


static const char *const  rtk_fuzz_callers[] = {
    "a", "alice", "bob", "ci-bot", "@ops", "", "x y"
};

static const char *const  rtk_fuzz_urls[] = {
    NULL, "https://hooks.example.com/rtk", "https://a.example.net/",
    "http://192.0.2.1/", "https://[2001:db8::1]:8443/x"
};


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t         i;
    const char    *hash;
    rtk_error_t    err;
    rtk_policy_t  *policy;

    memset(&err, 0, sizeof(rtk_error_t));

    policy = rtk_policy_parse(data, size, "fuzz", &err);

    if (policy == NULL) {
        rtk_fuzz_error(data, size, &err);
        return 0;
    }

    /* raw, these are refused in strings by yajl, elsewhere by the prelude */
    rtk_fuzz_assert(memchr(data, '\v', size) == NULL);
    rtk_fuzz_assert(memchr(data, '\f', size) == NULL);
    rtk_fuzz_assert(memchr(data, '\0', size) == NULL);

    hash = rtk_policy_hash(policy);
    rtk_fuzz_assert(strlen(hash) == RTK_POLICY_HASH_LEN);

    for (i = 0; i < RTK_POLICY_HASH_LEN; i++) {
        rtk_fuzz_assert((hash[i] >= '0' && hash[i] <= '9')
                        || (hash[i] >= 'a' && hash[i] <= 'f'));
    }

    rtk_fuzz_eval(policy);

    rtk_policy_free(policy);

    return 0;
}


static void
rtk_fuzz_error(const uint8_t *data, size_t size, const rtk_error_t *err)
{
    char           *end;
    size_t          i, lines;
    unsigned long   line, col;
    const char     *p;

    rtk_fuzz_assert(err->code == RTK_E_INTERNAL && err->status == 500);
    rtk_fuzz_assert(memchr(err->message, '\0', sizeof(err->message))
                    != NULL);
    rtk_fuzz_assert(strncmp(err->message, "fuzz:", 5) == 0);

    p = err->message + 5;

    /* the size limit has no position */
    if (strncmp(p, " larger than", 12) == 0) {
        return;
    }

    line = strtoul(p, &end, 10);
    rtk_fuzz_assert(end != p && *end == ':');

    p = end + 1;
    col = strtoul(p, &end, 10);
    rtk_fuzz_assert(end != p && end[0] == ':' && end[1] == ' ');
    rtk_fuzz_assert(end[2] != '\0');

    lines = 1;

    for (i = 0; i < size; i++) {
        lines += (data[i] == '\n');
    }

    rtk_fuzz_assert(line >= 1 && line <= lines);
    rtk_fuzz_assert(col >= 1 && col <= size + 1);

    /* no control characters from the input reach the message */
    for (p = err->message; *p != '\0'; p++) {
        rtk_fuzz_assert((unsigned char) *p >= 0x20 && *p != 0x7f);
    }
}


static void
rtk_fuzz_eval(const rtk_policy_t *policy)
{
    int              op;
    size_t           c, u, r;
    unsigned         f;
    rtk_body_t       body;
    rtk_error_t      err;
    rtk_route_t      route;

    static const char *const  accounts[] = {
        "0123456789abcdef0123456789abcdef", "ffffffffffffffffffffffffffffffff"
    };

    static const char *const  apps[] = {
        "11111111-2222-3333-4444-555555555555",
        "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
    };

    for (r = 0; r < 4; r++) {
        memset(&route, 0, sizeof(rtk_route_t));
        strcpy(route.account, accounts[r & 1]);
        strcpy(route.app, apps[r >> 1]);
        strcpy(route.webhook, "99999999-8888-7777-6666-555555555555");
        route.app_len = strlen(route.app);
        route.webhook_len = RTK_UUID_LEN;
        (void) rtk_route_app_key((const unsigned char *) route.app,
                                 route.app_len, route.app_key);

        for (c = 0; c < sizeof(rtk_fuzz_callers) / sizeof(char *); c++) {
            for (u = 0; u < sizeof(rtk_fuzz_urls) / sizeof(char *); u++) {
                memset(&body, 0, sizeof(rtk_body_t));

                f = (unsigned) (c + u + r);
                body.fields = f & (RTK_FIELD_ENABLED | RTK_FIELD_EVENTS
                                   | RTK_FIELD_NAME);
                body.enabled = (f >> 1) & 1;
                body.events = (body.fields & RTK_FIELD_EVENTS)
                              ? (1u << (f % RTK_EVENT_COUNT)) | 1u : 0;
                body.name = (unsigned char *) "n";
                body.name_len = 1;

                if (rtk_fuzz_urls[u] != NULL) {
                    body.url = (unsigned char *) rtk_fuzz_urls[u];
                    body.url_len = strlen(rtk_fuzz_urls[u]);

                    if (rtk_url_parse(&body.url_parsed, body.url,
                                      body.url_len, &err)
                        == RTK_OK)
                    {
                        body.fields |= RTK_FIELD_URL;
                    }
                }

                if (body.fields == 0) {
                    body.fields = RTK_FIELD_NAME;
                }

                for (op = 0; op < RTK_OP_COUNT; op++) {
                    route.item = (op != RTK_OP_LIST && op != RTK_OP_CREATE);
                    rtk_fuzz_decide(policy, c, &route, op, &body);
                }
            }
        }
    }
}


static void
rtk_fuzz_decide(const rtk_policy_t *policy, size_t c,
    const rtk_route_t *route, int op, const rtk_body_t *edit)
{
    int              code;
    rtk_body_t       body;
    rtk_decision_t   d;

    body = *edit;

    /* create and replace evaluate every field, enabled filled in */
    if (op == RTK_OP_CREATE || op == RTK_OP_REPLACE) {
        if (!(body.fields & RTK_FIELD_URL)) {
            return;
        }

        if (!(body.fields & RTK_FIELD_ENABLED)) {
            body.enabled = 1;
        }

        body.fields = 0x0f;
        body.events |= 1u;
    }

    rtk_policy_eval(policy, (const unsigned char *) rtk_fuzz_callers[c],
                    strlen(rtk_fuzz_callers[c]), route, op,
                    rtk_op_has_body(op) ? &body : NULL, &d);

    rtk_fuzz_assert(memchr(d.rule, '\0', sizeof(d.rule)) != NULL);
    rtk_fuzz_assert(d.rule[0] != '\0');

    if (d.decision == RTK_DECISION_ALLOW) {
        rtk_fuzz_assert(d.reason.code == 0);
        rtk_fuzz_assert(d.reason.status == 200);
        rtk_fuzz_assert(d.reason.message[0] == '\0');

        /* no caller is empty or starts with '@' (a group) */
        rtk_fuzz_assert(c != 4 && c != 5);
        return;
    }

    rtk_fuzz_assert(d.decision == RTK_DECISION_DENY
                    || d.decision == RTK_DECISION_WOULD_DENY);
    rtk_fuzz_assert(d.reason.status == 403);
    rtk_fuzz_assert(d.reason.message[0] != '\0');

    /* each operation has its own reasons, besides "no rule" */
    code = d.reason.code;

    if (code == RTK_E_DENY_NO_RULE) {
        return;
    }

    switch (op) {

    case RTK_OP_LIST:
    case RTK_OP_GET:
        rtk_fuzz_assert(code == RTK_E_DENY_READ);
        break;

    case RTK_OP_DELETE:
        rtk_fuzz_assert(code == RTK_E_DENY_DELETE);
        break;

    case RTK_OP_CREATE:
        rtk_fuzz_assert(code == RTK_E_DENY_CREATE
                        || (code > RTK_E_DENY_EDITOR
                            && code <= RTK_E_DENY_FIELD));
        break;

    default:
        rtk_fuzz_assert(code >= RTK_E_DENY_EDITOR
                        && code <= RTK_E_DENY_FIELD);
        break;
    }
}
