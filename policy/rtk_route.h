
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * The edit-webhook route, parsed from the raw request target:
 *   [/client/v4]/accounts/{account_id}/realtime/kit/{app_id}/webhooks/{id}
 */


#ifndef _RTK_ROUTE_H_INCLUDED_
#define _RTK_ROUTE_H_INCLUDED_


#include "rtk_common.h"


#define RTK_ACCOUNT_ID_LEN        32     /* lowercase hex */
#define RTK_UUID_LEN              36     /* lowercase 8-4-4-4-12 */

/* the rebuilt upstream path, always with the /client/v4 prefix */
#define RTK_ROUTE_PATH_MAX                                                  \
    (sizeof("/client/v4/accounts//realtime/kit//webhooks/") - 1             \
     + RTK_ACCOUNT_ID_LEN + 2 * RTK_UUID_LEN)


typedef struct {
    char                     account[RTK_ACCOUNT_ID_LEN + 1];
    char                     app[RTK_UUID_LEN + 1];
    char                     webhook[RTK_UUID_LEN + 1];
    size_t                   app_len;    /* RTK_UUID_LEN */
} rtk_route_t;


/*
 * Parses the raw request target (path and query as the client sent it).
 * Returns RTK_OK, or RTK_ERROR with err->status 400 or 404 and a code.
 */
int rtk_route_parse(rtk_route_t *route, const unsigned char *target,
    size_t len, rtk_error_t *err);

/* writes the canonical upstream path; returns its length */
size_t rtk_route_path(const rtk_route_t *route, unsigned char *buf);


#endif /* _RTK_ROUTE_H_INCLUDED_ */
