
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * The policy: who may list, read, create, change and delete which
 * webhooks, to where, for which events.  Loaded once from a JSON file,
 * then evaluated per request with hash lookups only.  Deny by default.
 */


#ifndef _RTK_POLICY_H_INCLUDED_
#define _RTK_POLICY_H_INCLUDED_


#include "rtk_common.h"
#include "rtk_route.h"
#include "rtk_body.h"


#define RTK_DECISION_ALLOW          0
#define RTK_DECISION_DENY           1
#define RTK_DECISION_WOULD_DENY     2    /* report-only: forwarded */

#define RTK_RULE_NAME_MAX         160    /* "accounts.A.apps.B.webhooks.C" */
#define RTK_POLICY_HASH_LEN        64    /* SHA-256, hex */


typedef struct rtk_policy_s  rtk_policy_t;


typedef struct {
    int                      decision;   /* RTK_DECISION_* */
    rtk_error_t              reason;     /* code 0 and status 200: allow */
    char                     rule[RTK_RULE_NAME_MAX]; /* deciding rule */
} rtk_decision_t;


/*
 * Loads a policy file.  On failure returns NULL and err->message reads
 * "FILE:LINE:COLUMN: what is wrong".
 */
rtk_policy_t *rtk_policy_load(const char *path, rtk_error_t *err);

/* the same from memory; name is used in messages */
rtk_policy_t *rtk_policy_parse(const unsigned char *data, size_t len,
    const char *name, rtk_error_t *err);

void rtk_policy_free(rtk_policy_t *policy);

/* SHA-256 of the policy file's bytes, NUL-terminated lowercase hex */
const char *rtk_policy_hash(const rtk_policy_t *policy);

/* the number of app entries, for diagnostics */
size_t rtk_policy_apps(const rtk_policy_t *policy);

/*
 * The decision for one operation (RTK_OP_*) of the caller on the route.
 * body is the parsed body of create, replace and edit (with create's and
 * replace's default filled in); NULL for list, get and delete.
 */
void rtk_policy_eval(const rtk_policy_t *policy, const unsigned char *caller,
    size_t caller_len, const rtk_route_t *route, int op,
    const rtk_body_t *body, rtk_decision_t *decision);


#endif /* _RTK_POLICY_H_INCLUDED_ */
