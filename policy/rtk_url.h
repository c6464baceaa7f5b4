
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * Strict parser for webhook destination URLs (a subset of RFC 3986 that
 * Cloudflare will call exactly as written) and the allowlist patterns
 * they are matched against.
 */


#ifndef _RTK_URL_H_INCLUDED_
#define _RTK_URL_H_INCLUDED_


#include "rtk_common.h"


#define RTK_URL_MAX              2048
#define RTK_HOST_MAX              253


#define RTK_URL_HOST_NAME           0
#define RTK_URL_HOST_IPV4           1
#define RTK_URL_HOST_IPV6           2


typedef struct {
    unsigned                 https:1;      /* else http */
    unsigned                 host_type:2;  /* RTK_URL_HOST_* */

    /* lowercased; IPv4 in dotted decimal, IPv6 without brackets */
    char                     host[RTK_HOST_MAX + 1];
    size_t                   host_len;

    unsigned                 port;         /* effective port, 80/443 */

    /* point into the parsed string; path is "/" when absent */
    const unsigned char     *path;
    size_t                   path_len;
    const unsigned char     *query;        /* without '?', NULL if none */
    size_t                   query_len;
} rtk_url_t;


typedef struct {
    unsigned                 https:1;
    unsigned                 wildcard:1;   /* "*.example.com" */
    unsigned                 host_type:2;

    /* for a wildcard, the suffix without "*.", e.g. "example.com" */
    char                     host[RTK_HOST_MAX + 1];
    size_t                   host_len;

    unsigned                 port;         /* effective port */

    /*
     * the path prefix as written, "/" if none, which matches every
     * path; one ending in '/' matches only the paths below it
     */
    char                     path[RTK_URL_MAX + 1];
    size_t                   path_len;
} rtk_url_pattern_t;


/*
 * Parses an absolute http(s) URL; anything ambiguous is rejected.
 * IP-literal hosts are parsed (host_type) so that a pattern naming
 * the IP can allow them; rtk_url_match() refuses them otherwise.
 * On failure err gets RTK_E_URL_INVALID, status 400 and a message.
 */
int rtk_url_parse(rtk_url_t *url, const unsigned char *s, size_t len,
    rtk_error_t *err);

/*
 * Parses a pattern: scheme "https://" or "http://", host exact or
 * "*.suffix", optional ":port", optional path prefix.  On failure
 * writes a NUL-terminated reason to errbuf.
 */
int rtk_url_pattern_parse(rtk_url_pattern_t *pat, const unsigned char *s,
    size_t len, char *errbuf, size_t errlen);

/* 1 if the URL matches the pattern, else 0 */
int rtk_url_match(const rtk_url_pattern_t *pat, const rtk_url_t *url);


#endif /* _RTK_URL_H_INCLUDED_ */
