
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * What rtk_url.c and rtk_url_ip.c share; not for other callers.
 */


#ifndef _RTK_URL_INT_H_INCLUDED_
#define _RTK_URL_INT_H_INCLUDED_


#include "rtk_url.h"


/* what a URL and a pattern have in common, before copying out */
typedef struct {
    unsigned                 https:1;
    unsigned                 wildcard:1;
    unsigned                 host_type:2;
    char                    *host;          /* RTK_HOST_MAX + 1 bytes */
    size_t                   host_len;
    unsigned                 port;
    const unsigned char     *path;          /* NULL if absent */
    size_t                   path_len;
    const unsigned char     *query;         /* NULL if absent */
    size_t                   query_len;
} rtk_url_parts_t;


/* exactly four decimal parts, 0..255, no leading zeros: 1, else 0 */
int rtk_url_ipv4_canonical(const unsigned char *p,
    const unsigned char *last);

/* the address between '[' and ']' into parts; NULL, else a reason */
const char *rtk_url_ipv6(rtk_url_parts_t *parts, const unsigned char *p,
    const unsigned char *last);

/* the hex digit's value plus one, or 0 */
int rtk_url_hex(unsigned c);


#endif /* _RTK_URL_INT_H_INCLUDED_ */
