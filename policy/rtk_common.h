
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * Types shared by the pure C engine: results, errors and the allocator
 * hook through which callers (nginx pools, tests) provide memory.
 */


#ifndef _RTK_COMMON_H_INCLUDED_
#define _RTK_COMMON_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


#define RTK_OK                       0
#define RTK_ERROR                   -1


/*
 * Stable error codes sent in the v4 envelope and the audit record:
 * the HTTP status times 100, plus a reason.  Never renumber these.
 */

#define RTK_E_JSON_SYNTAX        40001
#define RTK_E_JSON_DUPLICATE     40002
#define RTK_E_FIELD_UNKNOWN      40003
#define RTK_E_FIELD_TYPE         40004
#define RTK_E_FIELD_VALUE        40005
#define RTK_E_BODY_EMPTY         40006    /* no longer given: {} edits */
#define RTK_E_URL_INVALID        40007
#define RTK_E_FIELD_MISSING      40008
#define RTK_E_PATH_ENCODED       40010
#define RTK_E_PATH_DOT_SEGMENT   40011
#define RTK_E_PATH_DOUBLE_SLASH  40012
#define RTK_E_PATH_QUERY         40013
#define RTK_E_PATH_TRAILING      40014
#define RTK_E_BAD_REQUEST        40015
#define RTK_E_BODY_UNEXPECTED    40016

#define RTK_E_IDENTITY_MISSING   40101

#define RTK_E_DENY_NO_RULE       40301
#define RTK_E_DENY_EDITOR        40302
#define RTK_E_DENY_ENABLE        40303
#define RTK_E_DENY_DISABLE       40304
#define RTK_E_DENY_URL           40305
#define RTK_E_DENY_EVENT         40306
#define RTK_E_DENY_FIELD         40307
#define RTK_E_DENY_NO_TOKEN      40308
#define RTK_E_DENY_READ          40309
#define RTK_E_DENY_CREATE        40310
#define RTK_E_DENY_DELETE        40311

#define RTK_E_ROUTE_NOT_FOUND    40401
#define RTK_E_ROUTE_ACCOUNT      40402
#define RTK_E_ROUTE_APP          40403
#define RTK_E_ROUTE_WEBHOOK      40404

#define RTK_E_METHOD             40501
#define RTK_E_BODY_TOO_LARGE     41301
#define RTK_E_CONTENT_TYPE       41501
#define RTK_E_CLIENT_CLOSED      49901

#define RTK_E_INTERNAL           50001
#define RTK_E_REDIRECT_REFUSED   50002
#define RTK_E_UPSTREAM_HEADER    50003
#define RTK_E_UPSTREAM           50201
#define RTK_E_UPSTREAM_TRUNCATED 50204
#define RTK_E_AUDIT_UNAVAILABLE  50301
#define RTK_E_ENDED_WAITING      50302    /* outcome records only */
#define RTK_E_UPSTREAM_TIMEOUT   50401


#define RTK_ERROR_MESSAGE_MAX      256


/*
 * The operations of the webhooks resource: list and create on the
 * collection, the others on one webhook.
 */

typedef enum {
    RTK_OP_LIST = 0,
    RTK_OP_CREATE,
    RTK_OP_GET,
    RTK_OP_REPLACE,
    RTK_OP_EDIT,
    RTK_OP_DELETE
} rtk_op_e;

#define RTK_OP_COUNT                 6


typedef struct {
    int                      status;    /* HTTP status to answer */
    int                      code;      /* RTK_E_* */
    char                     message[RTK_ERROR_MESSAGE_MAX];
} rtk_error_t;


/* returns NULL on failure; memory is released by the provider */
typedef void *(*rtk_alloc_pt)(void *data, size_t size);


/* "list", "create", "get", "replace", "edit", "delete"; else "unknown" */
const char *rtk_op_name(int op);

/* the method of an operation: "GET", "POST", "PUT", "PATCH", "DELETE" */
const char *rtk_op_method(int op);

/* 1 for the operations that carry a body: create, replace and edit */
int rtk_op_has_body(int op);

int rtk_error_set(rtk_error_t *err, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__ ((format (printf, 3, 4)))
#endif
    ;


#endif /* _RTK_COMMON_H_INCLUDED_ */
