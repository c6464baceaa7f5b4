
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * What the rtk_txn_* tests share: the ids and paths they use, the
 * policy every test runs against, a pool with a countdown to simulate
 * exhaustion, the whole sequence as the gateway runs it, and the check
 * of an outcome (RTK_TT_OUTCOME).
 */


#ifndef _TXN_TEST_H_INCLUDED_
#define _TXN_TEST_H_INCLUDED_


#include "rtk_test.h"
#include "rtk_txn.h"


#define A1    "0123456789abcdef0123456789abcdef"
#define A2    "a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2"
#define APP   "11111111-2222-4333-8444-555555555555"
#define APPR  "22222222-3333-4444-8555-666666666666"
#define APPN  "33333333-4444-4555-8666-777777777777"
#define HOOK  "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"

#define PATH(account, app)                                                   \
    "/client/v4/accounts/" account "/realtime/kit/" app "/webhooks/" HOOK

#define COLL(account, app)                                                   \
    "/client/v4/accounts/" account "/realtime/kit/" app "/webhooks"

#define S(s)  (const unsigned char *) (s), sizeof(s) - 1

#define RTK_TT_OUTCOME(txn, st, cd, msg)                                     \
    RTK_CHECK(rtk_tt_outcome(txn, st, cd, msg) == 0,                         \
              "want %d %d \"%s\", got %d %d \"%s\" (settled %d)", st, cd,    \
              msg, (txn)->outcome.status, (txn)->outcome.code,               \
              (txn)->outcome.message, (int) (txn)->settled)


static void *rtk_tt_alloc(void *data, size_t size);
static int rtk_tt_outcome(const rtk_txn_t *txn, int status, int code,
    const char *message);
static int rtk_tt_run(rtk_txn_t *txn, const char *target,
    const char *caller, const char *body);
static int rtk_tt_exec(rtk_txn_t *txn, const char *method,
    const char *target, const char *caller, const char *body);
static int rtk_tt_load(void);


static const char  rtk_tt_policy_json[] =
    "{\"accounts\": {\"*\": {\"apps\": {\n"
    "  \"" APP "\": {\"editors\": [\"alice\", \"bob\"],\n"
    "     \"enablers\": [\"alice\"],\n"
    "     \"creators\": [\"alice\", \"bob\"],\n"
    "     \"deleters\": [\"bob\"],\n"
    "     \"urls\": [\"https://hooks.example.com/rtk/\"],\n"
    "     \"events\": [\"meeting.started\", \"meeting.ended\"]},\n"
    "  \"" APPR "\": {\"mode\": \"report-only\", \"editors\": [\"alice\"]}\n"
    "}}}}\n";


static rtk_policy_t  *rtk_tt_policy;
static long           rtk_tt_allocs_left = -1;    /* -1: never fail */


static void *
rtk_tt_alloc(void *data, size_t size)
{
    if (rtk_tt_allocs_left == 0) {
        return NULL;
    }

    if (rtk_tt_allocs_left > 0) {
        rtk_tt_allocs_left--;
    }

    return rtk_test_alloc(data, size);
}


static int
rtk_tt_outcome(const rtk_txn_t *txn, int status, int code,
    const char *message)
{
    if (!txn->settled || txn->outcome.status != status
        || txn->outcome.code != code
        || strcmp(txn->outcome.message, message) != 0)
    {
        return -1;
    }

    return 0;
}


/* the whole sequence as the gateway runs it, with a good request head */

static int
rtk_tt_run(rtk_txn_t *txn, const char *target, const char *caller,
    const char *body)
{
    return rtk_tt_exec(txn, "PATCH", target, caller, body);
}


static int
rtk_tt_exec(rtk_txn_t *txn, const char *method, const char *target,
    const char *caller, const char *body)
{
    rtk_txn_init(txn);

    if (rtk_txn_route(txn, (const unsigned char *) target, strlen(target))
        != RTK_OK
        || rtk_txn_method(txn, (const unsigned char *) method,
                          strlen(method))
           != RTK_OK
        || rtk_txn_identity(txn, (const unsigned char *) caller,
                            strlen(caller))
           != RTK_OK
        || rtk_txn_content_type(txn, S("application/json"), 1) != RTK_OK
        || rtk_txn_size(txn, (long long) strlen(body), 65536) != RTK_OK)
    {
        return RTK_ERROR;
    }

    return rtk_txn_body(txn, rtk_tt_policy, (const unsigned char *) body,
                        strlen(body), rtk_tt_alloc, NULL);
}


/* the policy of every test, loaded before the first */

static int
rtk_tt_load(void)
{
    rtk_error_t  err;

    rtk_tt_policy = rtk_policy_parse((const unsigned char *)
                                     rtk_tt_policy_json,
                                     sizeof(rtk_tt_policy_json) - 1,
                                     "txn.json", &err);
    if (rtk_tt_policy == NULL) {
        fprintf(stderr, "policy: %s\n", err.message);
        return RTK_ERROR;
    }

    return RTK_OK;
}


#endif /* _TXN_TEST_H_INCLUDED_ */
