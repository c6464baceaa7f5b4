
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * libFuzzer target for rtk_url.  Input: the first line is a pattern,
 * the rest a URL; without a newline the whole input is tried as both.
 * Besides not crashing, an accepted URL must be in canonical form and
 * survive a round trip, and a pattern made from it must match it, but
 * not once a '/' is added to the pattern's path.
 *
 *   clang-14 -fsanitize=fuzzer,address,undefined -I policy \
 *       policy/fuzz/fuzz_url.c policy/rtk_url.c policy/rtk_url_ip.c \
 *       policy/rtk_common.c
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rtk_url.h"


#define rtk_fuzz_assert(cond)                                                \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "invariant failed: %s (line %d)\n", #cond,       \
                    __LINE__);                                               \
            abort();                                                         \
        }                                                                    \
    } while (0)


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
static void rtk_fuzz_url(const unsigned char *s, size_t len);
static void rtk_fuzz_pattern(const unsigned char *s, size_t len,
    rtk_url_pattern_t *pat, int *ok);
static void rtk_fuzz_host(const char *host, size_t len, unsigned type);
static size_t rtk_fuzz_assemble(const rtk_url_t *url, char *buf, int path,
    int query);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                 ok;
    size_t              n;
    rtk_url_t           url;
    rtk_error_t         err;
    const uint8_t      *nl;
    rtk_url_pattern_t   pat;

    nl = memchr(data, '\n', size);
    n = (nl != NULL) ? (size_t) (nl - data) : size;

    rtk_fuzz_pattern(data, n, &pat, &ok);

    if (nl != NULL) {
        data = nl + 1;
        size -= n + 1;
    }

    rtk_fuzz_url(data, size);

    if (ok && rtk_url_parse(&url, data, size, &err) == RTK_OK) {
        n = (size_t) rtk_url_match(&pat, &url);
        rtk_fuzz_assert(n == 0 || n == 1);

        /* an IP host matches only the pattern naming that IP */
        if (n == 1 && url.host_type != RTK_URL_HOST_NAME) {
            rtk_fuzz_assert(!pat.wildcard);
            rtk_fuzz_assert(pat.host_type == url.host_type);
            rtk_fuzz_assert(strcmp(pat.host, url.host) == 0);
        }

        if (n == 1) {
            rtk_fuzz_assert(pat.port == url.port);
            rtk_fuzz_assert(pat.https == url.https);

            /* a prefix, on a segment boundary or ending with '/' */
            rtk_fuzz_assert(pat.path_len == 1
                            || (url.path_len >= pat.path_len
                                && memcmp(url.path, pat.path,
                                          pat.path_len) == 0
                                && (url.path_len == pat.path_len
                                    || pat.path[pat.path_len - 1] == '/'
                                    || url.path[pat.path_len] == '/')));
        }
    }

    return 0;
}


static void
rtk_fuzz_url(const unsigned char *s, size_t len)
{
    int                 rc;
    char                errbuf[64];
    char                buf[RTK_URL_MAX + 64];
    size_t              m, n;
    rtk_url_t           url, again;
    rtk_error_t         err;
    rtk_url_pattern_t   pat;

    memset(&err, 0, sizeof(rtk_error_t));

    rc = rtk_url_parse(&url, s, len, &err);

    if (rc != RTK_OK) {
        rtk_fuzz_assert(rc == RTK_ERROR);
        rtk_fuzz_assert(err.code == RTK_E_URL_INVALID && err.status == 400);
        rtk_fuzz_assert(strncmp(err.message, "url: ", 5) == 0);
        return;
    }

    rtk_fuzz_assert(len <= RTK_URL_MAX);
    rtk_fuzz_host(url.host, url.host_len, url.host_type);
    rtk_fuzz_assert(url.port >= 1 && url.port <= 65535);
    rtk_fuzz_assert(url.path != NULL && url.path_len >= 1);
    rtk_fuzz_assert(url.path[0] == '/');
    rtk_fuzz_assert(url.query != NULL || url.query_len == 0);
    rtk_fuzz_assert(memchr(url.path, '%', url.path_len) == NULL);

    /* the canonical spelling parses to the same fields */
    n = rtk_fuzz_assemble(&url, buf, 1, 1);
    rtk_fuzz_assert(n <= RTK_URL_MAX);

    rc = rtk_url_parse(&again, (unsigned char *) buf, n, &err);
    rtk_fuzz_assert(rc == RTK_OK);
    rtk_fuzz_assert(again.https == url.https);
    rtk_fuzz_assert(again.host_type == url.host_type);
    rtk_fuzz_assert(again.host_len == url.host_len);
    rtk_fuzz_assert(strcmp(again.host, url.host) == 0);
    rtk_fuzz_assert(again.port == url.port);
    rtk_fuzz_assert(again.path_len == url.path_len);
    rtk_fuzz_assert(memcmp(again.path, url.path, url.path_len) == 0);
    rtk_fuzz_assert((again.query == NULL) == (url.query == NULL));
    rtk_fuzz_assert(again.query_len == url.query_len);

    if (url.query != NULL) {
        rtk_fuzz_assert(memcmp(again.query, url.query, url.query_len) == 0);
    }

    /* a pattern naming the URL without its query matches it */
    n = rtk_fuzz_assemble(&url, buf, 1, 0);

    rc = rtk_url_pattern_parse(&pat, (unsigned char *) buf, n, errbuf,
                               sizeof(errbuf));
    rtk_fuzz_assert(rc == RTK_OK);
    rtk_fuzz_assert(rtk_url_match(&pat, &url) == 1);

    /* with a '/' added, the pattern names what is below the path only */
    if (url.path[url.path_len - 1] != '/' && n + 1 < sizeof(buf)) {
        buf[n] = '/';

        rc = rtk_url_pattern_parse(&pat, (unsigned char *) buf, n + 1,
                                   errbuf, sizeof(errbuf));

        if (rc == RTK_OK) {
            rtk_fuzz_assert(rtk_url_match(&pat, &url) == 0);
        }
    }

    /* so does the bare origin, and a wildcard over its parent domain */
    n = rtk_fuzz_assemble(&url, buf, 0, 0);

    rc = rtk_url_pattern_parse(&pat, (unsigned char *) buf, n, errbuf,
                               sizeof(errbuf));
    rtk_fuzz_assert(rc == RTK_OK);
    rtk_fuzz_assert(rtk_url_match(&pat, &url) == 1);

    if (url.host_type == RTK_URL_HOST_NAME) {
        rtk_fuzz_assert(pat.host_type == RTK_URL_HOST_NAME);

        /* "*.host" never matches "host" itself */
        m = url.https ? sizeof("https://") - 1 : sizeof("http://") - 1;
        memmove(buf + m + 2, buf + m, n - m + 1);
        memcpy(buf + m, "*.", 2);

        rc = rtk_url_pattern_parse(&pat, (unsigned char *) buf, n + 2,
                                   errbuf, sizeof(errbuf));

        if (rc == RTK_OK) {
            rtk_fuzz_assert(pat.wildcard);
            rtk_fuzz_assert(rtk_url_match(&pat, &url) == 0);
        }
    }
}


static void
rtk_fuzz_pattern(const unsigned char *s, size_t len, rtk_url_pattern_t *pat,
    int *ok)
{
    int     rc;
    char    errbuf[64];
    size_t  n;

    memset(errbuf, 'x', sizeof(errbuf));

    rc = rtk_url_pattern_parse(pat, s, len, errbuf, sizeof(errbuf));

    *ok = (rc == RTK_OK);

    if (rc != RTK_OK) {
        rtk_fuzz_assert(rc == RTK_ERROR);
        rtk_fuzz_assert(memchr(errbuf, '\0', sizeof(errbuf)) != NULL);
        rtk_fuzz_assert(errbuf[0] != '\0' && errbuf[0] != 'x');
        return;
    }

    rtk_fuzz_host(pat->host, pat->host_len, pat->host_type);

    if (pat->wildcard) {
        rtk_fuzz_assert(pat->host_type == RTK_URL_HOST_NAME);
        rtk_fuzz_assert(memchr(pat->host, '.', pat->host_len) != NULL);
    }

    n = pat->path_len;

    rtk_fuzz_assert(n >= 1 && n <= RTK_URL_MAX);
    rtk_fuzz_assert(pat->path[0] == '/' && pat->path[n] == '\0');
    rtk_fuzz_assert(strlen(pat->path) == n);
    rtk_fuzz_assert(strstr(pat->path, "//") == NULL);
    rtk_fuzz_assert(strchr(pat->path, '%') == NULL);
    rtk_fuzz_assert(strchr(pat->path, '?') == NULL);
    rtk_fuzz_assert(strchr(pat->path, '#') == NULL);
    rtk_fuzz_assert(pat->port >= 1 && pat->port <= 65535);
}


static void
rtk_fuzz_host(const char *host, size_t len, unsigned type)
{
    size_t  i;

    rtk_fuzz_assert(len >= 1 && len <= RTK_HOST_MAX);
    rtk_fuzz_assert(host[len] == '\0' && strlen(host) == len);
    rtk_fuzz_assert(host[len - 1] != '.');
    rtk_fuzz_assert(host[0] != '.');
    rtk_fuzz_assert(strstr(host, "..") == NULL);

    for (i = 0; i < len; i++) {
        rtk_fuzz_assert(host[i] < 'A' || host[i] > 'Z');
        rtk_fuzz_assert((host[i] >= 'a' && host[i] <= 'z')
                        || (host[i] >= '0' && host[i] <= '9')
                        || host[i] == '-' || host[i] == '.'
                        || host[i] == ':');
        rtk_fuzz_assert(host[i] != ':' || type == RTK_URL_HOST_IPV6);
    }

    if (type == RTK_URL_HOST_IPV4) {
        rtk_fuzz_assert(len >= 7 && len <= 15);
        rtk_fuzz_assert(strspn(host, "0123456789.") == len);
    }

    if (type == RTK_URL_HOST_IPV6) {
        rtk_fuzz_assert(len >= 2 && len <= 39);
        rtk_fuzz_assert(strspn(host, "0123456789abcdef:") == len);
        rtk_fuzz_assert(strstr(host, ":::") == NULL);
    }
}


/* "scheme://host[:port][path][?query]", default port left out */

static size_t
rtk_fuzz_assemble(const rtk_url_t *url, char *buf, int path, int query)
{
    int     n;
    size_t  len;

    n = snprintf(buf, RTK_URL_MAX + 64, "%s://%s%s%s",
                 url->https ? "https" : "http",
                 url->host_type == RTK_URL_HOST_IPV6 ? "[" : "",
                 url->host,
                 url->host_type == RTK_URL_HOST_IPV6 ? "]" : "");
    len = (size_t) n;

    if (url->port != (url->https ? 443u : 80u)) {
        len += (size_t) sprintf(buf + len, ":%u", url->port);
    }

    if (path) {
        memcpy(buf + len, url->path, url->path_len);
        len += url->path_len;
    }

    if (query && url->query != NULL) {
        buf[len++] = '?';
        memcpy(buf + len, url->query, url->query_len);
        len += url->query_len;
    }

    buf[len] = '\0';

    return len;
}
