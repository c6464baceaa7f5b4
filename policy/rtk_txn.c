
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * The outcome is written in one place, rtk_txn_settle(): every refusal
 * goes through it, and the first one stays.  Messages are the gateway's
 * own, byte for byte; clients and the audit log see nothing else.
 */


#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rtk_txn.h"


#define RTK_TXN_JSON              "application/json"
#define RTK_TXN_CHARSET           "charset=utf-8"
#define RTK_TXN_CHARSET_QUOTED    "charset=\"utf-8\""


static int rtk_txn_settle(rtk_txn_t *txn, const rtk_error_t *err);
static int rtk_txn_is(const unsigned char *p, size_t len, const char *s);
static int rtk_txn_caseeq(const unsigned char *p, const char *s, size_t n);


void
rtk_txn_init(rtk_txn_t *txn)
{
    memset(txn, 0, sizeof(rtk_txn_t));
}


int
rtk_txn_route(rtk_txn_t *txn, const unsigned char *target, size_t len)
{
    rtk_error_t  err;

    if (txn->settled) {
        return RTK_ERROR;
    }

    memset(&err, 0, sizeof(rtk_error_t));

    if (rtk_route_parse(&txn->route, target, len, &err) != RTK_OK) {
        return rtk_txn_settle(txn, &err);
    }

    txn->routed = 1;

    return RTK_OK;
}


int
rtk_txn_method(rtk_txn_t *txn, const unsigned char *method, size_t len)
{
    int  op;

    if (txn->settled) {
        return RTK_ERROR;
    }

    /* the operation needs the route: a caller's bug */

    if (!txn->routed) {
        rtk_txn_fail_status(txn, 500);
        return RTK_ERROR;
    }

    op = -1;

    if (rtk_txn_is(method, len, "GET")) {
        op = txn->route.item ? RTK_OP_GET : RTK_OP_LIST;

    } else if (txn->route.item) {

        if (rtk_txn_is(method, len, "PUT")) {
            op = RTK_OP_REPLACE;

        } else if (rtk_txn_is(method, len, "PATCH")) {
            op = RTK_OP_EDIT;

        } else if (rtk_txn_is(method, len, "DELETE")) {
            op = RTK_OP_DELETE;
        }

    } else if (rtk_txn_is(method, len, "POST")) {
        op = RTK_OP_CREATE;
    }

    if (op != -1) {
        txn->op = op;
        txn->op_known = 1;
        return RTK_OK;
    }

    return rtk_txn_fail(txn, 405, RTK_E_METHOD,
                        "method %.*s is not allowed, use %s",
                        (int) (len < RTK_TXN_METHOD_ECHO
                               ? len : RTK_TXN_METHOD_ECHO),
                        len != 0 ? (const char *) method : "",
                        txn->route.item ? "GET, PUT, PATCH or DELETE"
                                        : "GET or POST");
}


const char *
rtk_txn_allow(const rtk_txn_t *txn)
{
    if (!txn->routed) {
        return "GET, POST, PUT, PATCH, DELETE";
    }

    return txn->route.item ? "GET, PUT, PATCH, DELETE" : "GET, POST";
}


int
rtk_txn_identity(rtk_txn_t *txn, const unsigned char *caller, size_t len)
{
    if (txn->settled) {
        return RTK_ERROR;
    }

    txn->caller = caller;
    txn->caller_len = len;

    if (len == 0) {
        return rtk_txn_fail(txn, 401, RTK_E_IDENTITY_MISSING,
                            "caller identity is missing");
    }

    if (len == sizeof(RTK_TXN_ANONYMOUS) - 1
        && memcmp(caller, RTK_TXN_ANONYMOUS, len) == 0)
    {
        return rtk_txn_fail(txn, 401, RTK_E_IDENTITY_MISSING,
                            "caller identity " RTK_TXN_ANONYMOUS
                            " is reserved for no identity");
    }

    /* what is kept is what the audit record shows */

    if (len > RTK_TXN_IDENTITY_MAX) {
        txn->caller_len = RTK_TXN_IDENTITY_MAX;
        return rtk_txn_fail(txn, 401, RTK_E_IDENTITY_MISSING,
                            "caller identity is too long");
    }

    txn->identified = 1;

    return RTK_OK;
}


/* "application/json", optionally with "charset=utf-8", and only once */

int
rtk_txn_content_type(rtk_txn_t *txn, const unsigned char *value, size_t len,
    unsigned count)
{
    const unsigned char  *p, *last;

    if (txn->settled) {
        return RTK_ERROR;
    }

    /* no body, nothing to describe: what is declared is not looked at */
    if (txn->op_known && !rtk_op_has_body(txn->op)) {
        return RTK_OK;
    }

    if (count != 1 || value == NULL) {
        goto refused;
    }

    p = value;
    last = value + len;

    /* clients write it in lowercase: one comparison, then any case */

    if (len < sizeof(RTK_TXN_JSON) - 1
        || (memcmp(p, RTK_TXN_JSON, sizeof(RTK_TXN_JSON) - 1) != 0
            && !rtk_txn_caseeq(p, RTK_TXN_JSON, sizeof(RTK_TXN_JSON) - 1)))
    {
        goto refused;
    }

    p += sizeof(RTK_TXN_JSON) - 1;

    while (p < last && (*p == ' ' || *p == '\t')) {
        p++;
    }

    if (p == last) {
        return RTK_OK;
    }

    if (*p++ != ';') {
        goto refused;
    }

    while (p < last && (*p == ' ' || *p == '\t')) {
        p++;
    }

    while (last > p && (last[-1] == ' ' || last[-1] == '\t')) {
        last--;
    }

    if ((size_t) (last - p) == sizeof(RTK_TXN_CHARSET) - 1
        && rtk_txn_caseeq(p, RTK_TXN_CHARSET, sizeof(RTK_TXN_CHARSET) - 1))
    {
        return RTK_OK;
    }

    if ((size_t) (last - p) == sizeof(RTK_TXN_CHARSET_QUOTED) - 1
        && rtk_txn_caseeq(p, RTK_TXN_CHARSET_QUOTED,
                          sizeof(RTK_TXN_CHARSET_QUOTED) - 1))
    {
        return RTK_OK;
    }

refused:

    return rtk_txn_fail(txn, 415, RTK_E_CONTENT_TYPE,
                        "Content-Type must be application/json");
}


int
rtk_txn_size(rtk_txn_t *txn, long long content_length, size_t max)
{
    rtk_error_t  err;

    if (txn->settled) {
        return RTK_ERROR;
    }

    if (txn->op_known && !rtk_op_has_body(txn->op) && content_length > 0) {
        (void) rtk_body_unexpected(&err, txn->op);
        return rtk_txn_settle(txn, &err);
    }

    if (content_length > 0 && (unsigned long long) content_length > max) {
        return rtk_txn_fail(txn, 413, RTK_E_BODY_TOO_LARGE,
                            "body is larger than %zu bytes", max);
    }

    return RTK_OK;
}


int
rtk_txn_body(rtk_txn_t *txn, const rtk_policy_t *policy,
    const unsigned char *data, size_t len, rtk_alloc_pt alloc, void *pool)
{
    rtk_error_t  err;

    if (txn->settled) {
        return RTK_ERROR;
    }

    /* the policy needs the route, operation and caller: a caller's bug */

    if (!txn->routed || !txn->op_known || !txn->identified
        || policy == NULL)
    {
        rtk_txn_fail_status(txn, 500);
        return RTK_ERROR;
    }

    memset(&err, 0, sizeof(rtk_error_t));

    /* for list, get and delete, a chunked body is only known now */

    if (rtk_body_parse(&txn->body, txn->op, data, len, alloc, pool, &err)
        != RTK_OK)
    {
        return rtk_txn_settle(txn, &err);
    }

    txn->parsed = 1;

    rtk_policy_eval(policy, txn->caller, txn->caller_len, &txn->route,
                    txn->op, rtk_op_has_body(txn->op) ? &txn->body : NULL,
                    &txn->decision);

    txn->evaluated = 1;

    if (txn->decision.decision == RTK_DECISION_DENY) {
        return rtk_txn_settle(txn, &txn->decision.reason);
    }

    if (!rtk_op_has_body(txn->op)) {
        txn->allowed = 1;
        return RTK_OK;
    }

    if (rtk_body_serialize(&txn->body, alloc, pool, &txn->canonical,
                           &txn->canonical_len)
        != RTK_OK)
    {
        txn->canonical = NULL;
        txn->canonical_len = 0;
        rtk_txn_fail_status(txn, 500);
        return RTK_ERROR;
    }

    txn->allowed = 1;

    return RTK_OK;
}


int
rtk_txn_fail(rtk_txn_t *txn, int status, int code, const char *fmt, ...)
{
    va_list  args;

    if (txn->settled) {
        return RTK_ERROR;
    }

    txn->outcome.status = status;
    txn->outcome.code = code;

    va_start(args, fmt);
    (void) vsnprintf(txn->outcome.message, sizeof(txn->outcome.message),
                     fmt, args);
    va_end(args);

    txn->settled = 1;

    return RTK_ERROR;
}


void
rtk_txn_fail_status(rtk_txn_t *txn, int status)
{
    rtk_error_t  err;

    if (txn->settled) {
        return;
    }

    rtk_error_for_status(&err, status);

    (void) rtk_txn_settle(txn, &err);
}


void
rtk_txn_answer(const rtk_txn_t *txn, int status, rtk_error_t *err)
{
    if (txn->settled && txn->outcome.status == status) {
        *err = txn->outcome;
        return;
    }

    rtk_error_for_status(err, status);
}


/* the reason for a status the gateway did not decide: a stable default */

void
rtk_error_for_status(rtk_error_t *err, int status)
{
    const char  *msg;

    switch (status) {

    case 400:
        (void) rtk_error_set(err, RTK_E_BAD_REQUEST, "bad request");
        return;

    case 401:
        msg = "authentication required";
        break;

    case 403:
        msg = "forbidden";
        break;

    case 404:
        msg = "no such route";
        break;

    case 405:
        msg = "method not allowed";
        break;

    case 408:
        msg = "request timed out";
        break;

    case 413:
        msg = "body is too large";
        break;

    case 414:
        msg = "request target is too long";
        break;

    case 415:
        msg = "Content-Type must be application/json";
        break;

    case 429:
        msg = "too many requests";
        break;

    case 494:   /* nginx's "request header too large", sent as 400 */
        (void) rtk_error_set(err, RTK_E_BAD_REQUEST,
                             "request header is too large");
        return;

    case 500:
        (void) rtk_error_set(err, RTK_E_INTERNAL, "internal error");
        return;

    case 502:
        (void) rtk_error_set(err, RTK_E_UPSTREAM,
                             "the Cloudflare API could not be reached");
        return;

    case 503:
        msg = "service unavailable";
        break;

    case 504:
        (void) rtk_error_set(err, RTK_E_UPSTREAM_TIMEOUT,
                             "the Cloudflare API did not answer in time");
        return;

    default:
        msg = status >= 500 ? "server error" : "request error";
        break;
    }

    /* the stable default: the status followed by 01 */
    (void) rtk_error_set(err, status * 100 + 1, "%s", msg);
}


void
rtk_error_for_end(rtk_error_t *err, int end)
{
    if (end == RTK_END_CLIENT) {
        (void) rtk_error_set(err, RTK_E_CLIENT_CLOSED,
                             "the client closed the connection before the "
                             "answer was complete");
        return;
    }

    (void) rtk_error_set(err, RTK_E_UPSTREAM_TRUNCATED,
                         "the upstream closed the connection before the "
                         "answer was complete");
}


const char *
rtk_txn_decision(const rtk_txn_t *txn)
{
    if (!txn->allowed || txn->settled) {
        return "deny";
    }

    return (txn->decision.decision == RTK_DECISION_WOULD_DENY)
           ? "would_deny" : "allow";
}


static int
rtk_txn_settle(rtk_txn_t *txn, const rtk_error_t *err)
{
    if (!txn->settled) {
        txn->outcome = *err;
        txn->settled = 1;
    }

    return RTK_ERROR;
}


/* methods are case-sensitive: "patch" is no PATCH */

static int
rtk_txn_is(const unsigned char *p, size_t len, const char *s)
{
    return len == strlen(s) && memcmp(p, s, len) == 0;
}


/* exactly n bytes, ASCII letters in either case; a NUL is no letter */

static int
rtk_txn_caseeq(const unsigned char *p, const char *s, size_t n)
{
    size_t         i;
    unsigned char  c;

    for (i = 0; i < n; i++) {
        c = p[i];

        if (c >= 'A' && c <= 'Z') {
            c |= 0x20;
        }

        if (c != (unsigned char) s[i]) {
            return 0;
        }
    }

    return 1;
}
