
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * The webhooks resource's routes, parsed from the raw request target:
 *   [/client/v4]/accounts/{account_id}/realtime/kit/{app_id}/webhooks
 *   [/client/v4]/accounts/{account_id}/realtime/kit/{app_id}/webhooks/{id}
 */


#ifndef _RTK_ROUTE_H_INCLUDED_
#define _RTK_ROUTE_H_INCLUDED_


#include "rtk_common.h"


#define RTK_ACCOUNT_ID_LEN        32     /* lowercase hex */
#define RTK_UUID_LEN              36     /* lowercase 8-4-4-4-12 */
#define RTK_APP_KEY_LEN           32     /* an app id without its dashes */

/* the longest rebuilt upstream path, always with the /client/v4 prefix */
#define RTK_ROUTE_PATH_MAX                                                  \
    (sizeof("/client/v4/accounts//realtime/kit//webhooks/") - 1             \
     + RTK_ACCOUNT_ID_LEN + 2 * RTK_UUID_LEN)


/*
 * An app id is a lowercase UUID or 32 lowercase hex digits (the API's
 * "identifier tag"): app keeps the client's spelling, forwarded as is,
 * and app_key the one both spellings share, for every policy lookup.
 */

typedef struct {
    char                     account[RTK_ACCOUNT_ID_LEN + 1];
    char                     app[RTK_UUID_LEN + 1];
    char                     app_key[RTK_APP_KEY_LEN + 1];
    char                     webhook[RTK_UUID_LEN + 1];  /* "" if !item */
    size_t                   app_len;      /* RTK_UUID_LEN or 32 */
    size_t                   webhook_len;  /* RTK_UUID_LEN, 0 if !item */
    unsigned                 item:1;       /* .../webhooks/{id} */
} rtk_route_t;


/*
 * Parses the raw request target (path and query as the client sent it).
 * Returns RTK_OK, or RTK_ERROR with err->status 400 or 404 and a code.
 */
int rtk_route_parse(rtk_route_t *route, const unsigned char *target,
    size_t len, rtk_error_t *err);

/* writes the canonical upstream path; returns its length */
size_t rtk_route_path(const rtk_route_t *route, unsigned char *buf);

/*
 * Checks an app id (a lowercase UUID or 32 lowercase hex digits) and
 * writes its key, 32 hex digits and a NUL; RTK_ERROR if it is neither.
 */
int rtk_route_app_key(const unsigned char *id, size_t len, char *key);


#endif /* _RTK_ROUTE_H_INCLUDED_ */
