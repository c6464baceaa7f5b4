
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * One request's whole decision, the same for the gateway and for
 * "rtk-policy eval": the checks in the gateway's order, each of which
 * either lets the request go on or settles its outcome, once.
 *
 *   rtk_txn_init()
 *   rtk_txn_route()          the raw request target: collection or item
 *   rtk_txn_method()         with the route, the operation (txn->op)
 *   rtk_txn_identity()       the caller, as rtk_identity evaluated it
 *   rtk_txn_content_type()   exactly one application/json, if a body
 *   rtk_txn_size()           the declared length, later the real one
 *   rtk_txn_body()           parse, evaluate, serialize canonically
 *
 * The operations (RTK_OP_*, rtk_common.h):
 *
 *   .../webhooks        GET list, POST create
 *   .../webhooks/{id}   GET get, PUT replace, PATCH edit, DELETE delete
 *
 * list, get and delete take no body: any Content-Type or none, and a
 * body of even one byte is refused (400 RTK_E_BODY_UNEXPECTED).
 *
 * Each check returns RTK_OK to go on, or RTK_ERROR with txn->outcome
 * settled; once settled, every check returns RTK_ERROR and changes
 * nothing.  What the gateway decides in between (no token, the audit
 * log) settles through rtk_txn_fail().
 */


#ifndef _RTK_TXN_H_INCLUDED_
#define _RTK_TXN_H_INCLUDED_


#include "rtk_common.h"
#include "rtk_route.h"
#include "rtk_body.h"
#include "rtk_policy.h"


#define RTK_TXN_IDENTITY_MAX      1024   /* bytes of a caller identity */
#define RTK_TXN_METHOD_ECHO       16     /* bytes of a method in messages */

/* what $rtk_caller reads for no identity; refused as an identity */
#define RTK_TXN_ANONYMOUS         "(anonymous)"


typedef struct {
    rtk_route_t              route;
    rtk_body_t               body;
    rtk_decision_t           decision;     /* valid once evaluated */
    rtk_error_t              outcome;      /* valid once settled */
    const unsigned char     *caller;       /* borrowed, not copied */
    size_t                   caller_len;
    unsigned char           *canonical;    /* body to forward, NULL if none */
    size_t                   canonical_len;
    int                      op;           /* RTK_OP_*, if op_known */
    unsigned                 routed:1;
    unsigned                 op_known:1;
    unsigned                 identified:1;
    unsigned                 parsed:1;
    unsigned                 evaluated:1;
    unsigned                 allowed:1;    /* allow or would_deny */
    unsigned                 settled:1;
} rtk_txn_t;


void rtk_txn_init(rtk_txn_t *txn);

int rtk_txn_route(rtk_txn_t *txn, const unsigned char *target, size_t len);

/*
 * Sets txn->op from the method and the route (which must be set, else
 * 500): 405 RTK_E_METHOD for a method the route has no operation for.
 */
int rtk_txn_method(rtk_txn_t *txn, const unsigned char *method, size_t len);

/*
 * The value of the Allow header of a 405: "GET, POST" for the
 * collection, "GET, PUT, PATCH, DELETE" for an item, and every method
 * of the resource, "GET, POST, PUT, PATCH, DELETE", while not routed.
 */
const char *rtk_txn_allow(const rtk_txn_t *txn);

/* 401 RTK_E_IDENTITY_MISSING if empty or too long (caller_len is cut) */
int rtk_txn_identity(rtk_txn_t *txn, const unsigned char *caller,
    size_t len);

/*
 * count is the number of Content-Type header lines, value that of the
 * one nginx keeps (NULL when there is none), without the OWS nginx
 * strips around it.  415 RTK_E_CONTENT_TYPE unless it is exactly one
 * "application/json", optionally with charset=utf-8 (or "utf-8"); for
 * list, get and delete anything goes.
 */
int rtk_txn_content_type(rtk_txn_t *txn, const unsigned char *value,
    size_t len, unsigned count);

/*
 * content_length -1: not known yet; 413 RTK_E_BODY_TOO_LARGE above max;
 * for list, get and delete 400 RTK_E_BODY_UNEXPECTED above 0.
 */
int rtk_txn_size(rtk_txn_t *txn, long long content_length, size_t max);

/*
 * Parses the body for txn->op (a refusal settles with the parser's
 * error), asks the policy (a deny settles with its reason) and, for
 * allow or would_deny, writes the canonical body of create, replace and
 * edit into txn->canonical with memory from alloc (list, get and delete
 * leave it NULL) and sets txn->allowed: the outcome is left open for
 * the forwarding.
 */
int rtk_txn_body(rtk_txn_t *txn, const rtk_policy_t *policy,
    const unsigned char *data, size_t len, rtk_alloc_pt alloc, void *pool);

/* settles once; if already settled it changes nothing; RTK_ERROR always */
int rtk_txn_fail(rtk_txn_t *txn, int status, int code, const char *fmt,
    ...)
#if defined(__GNUC__)
    __attribute__ ((format (printf, 4, 5)))
#endif
    ;

/* settles with the stable default for a status nginx raised itself */
void rtk_txn_fail_status(rtk_txn_t *txn, int status);

/* the same default into any rtk_error_t: the status times 100, plus 1 */
void rtk_error_for_status(rtk_error_t *err, int status);

/*
 * A forwarded answer whose status line left but whose end did not:
 * RTK_END_UPSTREAM, the upstream closed or failed first (502,
 * RTK_E_UPSTREAM_TRUNCATED), or RTK_END_CLIENT, the client went away
 * (499, RTK_E_CLIENT_CLOSED).  The status the client got stays as sent.
 */
#define RTK_END_UPSTREAM          1
#define RTK_END_CLIENT            2

void rtk_error_for_end(rtk_error_t *err, int end);

/*
 * The error that describes an answer of this status: the settled outcome
 * when it has that status, else the stable default.  Settles nothing.
 */
void rtk_txn_answer(const rtk_txn_t *txn, int status, rtk_error_t *err);

/* "allow" or "would_deny" while allowed and not settled, else "deny" */
const char *rtk_txn_decision(const rtk_txn_t *txn);


#endif /* _RTK_TXN_H_INCLUDED_ */
