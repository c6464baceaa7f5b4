
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * Webhook destination URLs are checked here before Cloudflare calls
 * them, so the grammar is a strict subset of RFC 3986: anything that a
 * resolver, a browser or a receiving server could read in more than one
 * way (userinfo, percent-encoding, dot segments, odd IP forms) is
 * refused instead of being normalized.
 */


#include <stdio.h>
#include <string.h>

#include "rtk_url_int.h"


#define RTK_URL_LABEL_MAX          63
#define RTK_URL_PORT_MAX        65535




static const char *rtk_url_split(rtk_url_parts_t *parts,
    const unsigned char *s, size_t len, int pattern);
static const char *rtk_url_bytes(const unsigned char *s, size_t len);
static const char *rtk_url_scheme(rtk_url_parts_t *parts,
    const unsigned char **pp, const unsigned char *end);
static const char *rtk_url_authority(rtk_url_parts_t *parts,
    const unsigned char *p, const unsigned char *last, int pattern);
static const char *rtk_url_host_name(rtk_url_parts_t *parts,
    const unsigned char *p, const unsigned char *last);
static const char *rtk_url_port(rtk_url_parts_t *parts,
    const unsigned char *p, const unsigned char *last);
static const char *rtk_url_path(const unsigned char *p,
    const unsigned char *last);
static const char *rtk_url_query(const unsigned char *p,
    const unsigned char *last);
static size_t rtk_url_canonical_len(const rtk_url_parts_t *parts);
static int rtk_url_pchar(unsigned c);


static const unsigned char  rtk_url_root[] = "/";


#define RTK_URL_BAD              0x01   /* never in a URL: see bytes() */
#define RTK_URL_PCHAR            0x02   /* RFC 3986 pchar, no pct-encoded */
#define RTK_URL_HOST             0x04   /* alnum, '-' and '.' */
#define RTK_URL_AUTH             0x08   /* '@', '/', '?', '#' */
#define RTK_URL_LABEL            0x10   /* alnum and '-': within a label */
#define RTK_URL_DIGIT            0x20
#define RTK_URL_UPPER            0x40

#define RTK_URL_X   RTK_URL_BAD
#define RTK_URL_P   RTK_URL_PCHAR
#define RTK_URL_O   (RTK_URL_PCHAR | RTK_URL_HOST)                /* '.' */
#define RTK_URL_M   (RTK_URL_O | RTK_URL_LABEL)                   /* '-' */
#define RTK_URL_L   RTK_URL_M                                     /* a-z */
#define RTK_URL_U   (RTK_URL_M | RTK_URL_UPPER)                   /* A-Z */
#define RTK_URL_D   (RTK_URL_M | RTK_URL_DIGIT)                   /* 0-9 */

#define RTK_URL_ROW_X                                                        \
    RTK_URL_X, RTK_URL_X, RTK_URL_X, RTK_URL_X,                              \
    RTK_URL_X, RTK_URL_X, RTK_URL_X, RTK_URL_X,                              \
    RTK_URL_X, RTK_URL_X, RTK_URL_X, RTK_URL_X,                              \
    RTK_URL_X, RTK_URL_X, RTK_URL_X, RTK_URL_X

/* what each byte is; one lookup instead of a chain of comparisons */
static const unsigned char  rtk_url_class[256] = {
    RTK_URL_ROW_X, RTK_URL_ROW_X,                             /* 0x00 */

    /* ' ' ! " # $ % & ' ( ) * + , - . / */
    RTK_URL_X, RTK_URL_P, 0, RTK_URL_AUTH, RTK_URL_P, 0, RTK_URL_P,
    RTK_URL_P, RTK_URL_P, RTK_URL_P, RTK_URL_P, RTK_URL_P, RTK_URL_P,
    RTK_URL_M, RTK_URL_O, RTK_URL_AUTH,

    /* 0-9 : ; < = > ? */
    RTK_URL_D, RTK_URL_D, RTK_URL_D, RTK_URL_D, RTK_URL_D,
    RTK_URL_D, RTK_URL_D, RTK_URL_D, RTK_URL_D, RTK_URL_D,
    RTK_URL_P, RTK_URL_P, 0, RTK_URL_P, 0, RTK_URL_AUTH,

    /* @ A-O */
    RTK_URL_P | RTK_URL_AUTH,
    RTK_URL_U, RTK_URL_U, RTK_URL_U, RTK_URL_U, RTK_URL_U,
    RTK_URL_U, RTK_URL_U, RTK_URL_U, RTK_URL_U, RTK_URL_U,
    RTK_URL_U, RTK_URL_U, RTK_URL_U, RTK_URL_U, RTK_URL_U,

    /* P-Z [ \ ] ^ _ */
    RTK_URL_U, RTK_URL_U, RTK_URL_U, RTK_URL_U, RTK_URL_U,
    RTK_URL_U, RTK_URL_U, RTK_URL_U, RTK_URL_U, RTK_URL_U, RTK_URL_U,
    0, RTK_URL_X, 0, 0, RTK_URL_P,

    /* ` a-o */
    0,
    RTK_URL_L, RTK_URL_L, RTK_URL_L, RTK_URL_L, RTK_URL_L,
    RTK_URL_L, RTK_URL_L, RTK_URL_L, RTK_URL_L, RTK_URL_L,
    RTK_URL_L, RTK_URL_L, RTK_URL_L, RTK_URL_L, RTK_URL_L,

    /* p-z { | } ~ DEL */
    RTK_URL_L, RTK_URL_L, RTK_URL_L, RTK_URL_L, RTK_URL_L,
    RTK_URL_L, RTK_URL_L, RTK_URL_L, RTK_URL_L, RTK_URL_L, RTK_URL_L,
    0, 0, 0, RTK_URL_P, RTK_URL_X,

    RTK_URL_ROW_X, RTK_URL_ROW_X, RTK_URL_ROW_X, RTK_URL_ROW_X, /* 0x80 */
    RTK_URL_ROW_X, RTK_URL_ROW_X, RTK_URL_ROW_X, RTK_URL_ROW_X
};

#undef RTK_URL_X
#undef RTK_URL_P
#undef RTK_URL_O
#undef RTK_URL_M
#undef RTK_URL_L
#undef RTK_URL_U
#undef RTK_URL_D
#undef RTK_URL_ROW_X


int
rtk_url_parse(rtk_url_t *url, const unsigned char *s, size_t len,
    rtk_error_t *err)
{
    const char       *reason;
    rtk_url_parts_t   parts;

    memset(url, 0, sizeof(rtk_url_t));
    memset(&parts, 0, sizeof(rtk_url_parts_t));

    parts.host = url->host;

    reason = rtk_url_split(&parts, s, len, 0);

    if (reason == NULL && rtk_url_canonical_len(&parts) > RTK_URL_MAX) {
        reason = "url is too long";
    }

    if (reason != NULL) {
        memset(url, 0, sizeof(rtk_url_t));
        return rtk_error_set(err, RTK_E_URL_INVALID, "url: %s", reason);
    }

    url->https = parts.https;
    url->host_type = parts.host_type;
    url->host_len = parts.host_len;
    url->port = parts.port;

    if (parts.path != NULL) {
        url->path = parts.path;
        url->path_len = parts.path_len;

    } else {
        url->path = rtk_url_root;
        url->path_len = 1;
    }

    url->query = parts.query;
    url->query_len = parts.query_len;

    return RTK_OK;
}


int
rtk_url_pattern_parse(rtk_url_pattern_t *pat, const unsigned char *s,
    size_t len, char *errbuf, size_t errlen)
{
    size_t            n;
    const char       *reason;
    rtk_url_parts_t   parts;

    memset(pat, 0, sizeof(rtk_url_pattern_t));
    memset(&parts, 0, sizeof(rtk_url_parts_t));

    parts.host = pat->host;

    reason = rtk_url_split(&parts, s, len, 1);

    if (reason != NULL) {
        memset(pat, 0, sizeof(rtk_url_pattern_t));

        if (errbuf != NULL && errlen > 0) {
            (void) snprintf(errbuf, errlen, "%s", reason);
        }

        return RTK_ERROR;
    }

    pat->https = parts.https;
    pat->wildcard = parts.wildcard;
    pat->host_type = parts.host_type;
    pat->host_len = parts.host_len;
    pat->port = parts.port;

    if (parts.path == NULL) {
        pat->path[0] = '/';
        pat->path_len = 1;

    } else {
        /* kept as written: "/hooks/" names less than "/hooks" */
        n = parts.path_len;

        memcpy(pat->path, parts.path, n);
        pat->path_len = n;
    }

    pat->path[pat->path_len] = '\0';

    return RTK_OK;
}


int
rtk_url_match(const rtk_url_pattern_t *pat, const rtk_url_t *url)
{
    size_t  off;

    if (pat->https != url->https || pat->port != url->port) {
        return 0;
    }

    if (url->host_type != RTK_URL_HOST_NAME) {

        /* an IP address is allowed only when named exactly */
        if (pat->wildcard || pat->host_type != url->host_type
            || pat->host_len != url->host_len
            || memcmp(pat->host, url->host, url->host_len) != 0)
        {
            return 0;
        }

    } else if (pat->host_type != RTK_URL_HOST_NAME) {
        return 0;

    } else if (pat->wildcard) {

        /* at least one label, then a dot on the label boundary */
        if (url->host_len < pat->host_len + 2) {
            return 0;
        }

        off = url->host_len - pat->host_len;

        if (url->host[off - 1] != '.'
            || memcmp(url->host + off, pat->host, pat->host_len) != 0)
        {
            return 0;
        }

    } else if (pat->host_len != url->host_len
               || memcmp(pat->host, url->host, url->host_len) != 0)
    {
        return 0;
    }

    if (pat->path_len == 1) {
        return 1;
    }

    if (url->path_len < pat->path_len
        || memcmp(url->path, pat->path, pat->path_len) != 0)
    {
        return 0;
    }

    /*
     * "/hooks/" ends on a boundary itself: "/hooks/" and below, never
     * "/hooks"; "/hooks" is that path and below, "/hooks/..." only
     */

    if (pat->path[pat->path_len - 1] == '/') {
        return 1;
    }

    if (url->path_len != pat->path_len && url->path[pat->path_len] != '/') {
        return 0;
    }

    return 1;
}


/* returns NULL on success, else a short reason */

static const char *
rtk_url_split(rtk_url_parts_t *parts, const unsigned char *s, size_t len,
    int pattern)
{
    const char           *reason;
    const unsigned char  *p, *q, *end, *last;

    if (s == NULL || len == 0) {
        return "empty";
    }

    if (len > RTK_URL_MAX) {
        return "url is too long";
    }

    reason = rtk_url_bytes(s, len);
    if (reason != NULL) {
        return reason;
    }

    p = s;
    end = s + len;

    reason = rtk_url_scheme(parts, &p, end);
    if (reason != NULL) {
        return reason;
    }

    /*
     * Any '@' before the first '/' is refused, even past a '?' or '#'
     * that ends the authority by the RFC: "a.com#@b.com" reads as
     * userinfo to lax parsers.
     */

    last = NULL;

    for (q = p; q < end; q++) {

        if (!(rtk_url_class[*q] & RTK_URL_AUTH)) {
            continue;
        }

        if (*q == '/') {
            break;
        }

        if (*q == '@') {
            return "userinfo is not allowed";
        }

        /* the first '?' or '#' ends the authority */
        if (last == NULL) {
            last = q;
        }
    }

    if (last == NULL) {
        last = q;
    }

    reason = rtk_url_authority(parts, p, last, pattern);
    if (reason != NULL) {
        return reason;
    }

    p = last;

    if (p < end && *p == '/') {
        for (last = p; last < end; last++) {
            if (*last == '?' || *last == '#') {
                break;
            }
        }

        reason = rtk_url_path(p, last);
        if (reason != NULL) {
            return reason;
        }

        parts->path = p;
        parts->path_len = last - p;
        p = last;
    }

    if (p < end && *p == '?') {
        if (pattern) {
            return "query is not allowed";
        }

        p++;

        for (last = p; last < end; last++) {
            if (*last == '#') {
                break;
            }
        }

        reason = rtk_url_query(p, last);
        if (reason != NULL) {
            return reason;
        }

        parts->query = p;
        parts->query_len = last - p;
        p = last;
    }

    if (p < end) {
        /* only '#' can stop the scans above */
        return "fragment is not allowed";
    }

    return NULL;
}


static const char *
rtk_url_bytes(const unsigned char *s, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {

        if (!(rtk_url_class[s[i]] & RTK_URL_BAD)) {
            continue;
        }

        if (s[i] >= 0x80) {
            return "non-ASCII character";
        }

        if (s[i] < 0x21 || s[i] == 0x7f) {
            return "whitespace or control character";
        }

        if (s[i] == '\\') {
            return "backslash is not allowed";
        }
    }

    return NULL;
}


static const char *
rtk_url_scheme(rtk_url_parts_t *parts, const unsigned char **pp,
    const unsigned char *end)
{
    size_t                n;
    const unsigned char  *p;

    p = *pp;

    for (n = 0; p + n < end && n < sizeof("https") - 1; n++) {
        if ((p[n] | 0x20) != (unsigned char) "https"[n]) {
            break;
        }
    }

    if (n == 5 && p + 5 < end && p[5] == ':') {
        parts->https = 1;
        parts->port = 443;

    } else if (n >= 4 && p + 4 < end && p[4] == ':') {
        parts->https = 0;
        parts->port = 80;
        n = 4;

    } else {
        return "scheme must be http or https";
    }

    p += n + 1;

    if (end - p < 2 || p[0] != '/' || p[1] != '/') {
        return "expected \"//\" after the scheme";
    }

    *pp = p + 2;

    return NULL;
}


static const char *
rtk_url_authority(rtk_url_parts_t *parts, const unsigned char *p,
    const unsigned char *last, int pattern)
{
    const char           *reason;
    const unsigned char  *q;

    if (p < last && *p == '[') {
        for (q = p + 1; q < last && *q != ']'; q++) {
            /* void */
        }

        if (q == last) {
            return "invalid IPv6 address";
        }

        reason = rtk_url_ipv6(parts, p + 1, q);
        if (reason != NULL) {
            return reason;
        }

        q++;

        if (q < last && *q != ':') {
            return "invalid character after the IPv6 address";
        }

    } else {
        q = memchr(p, ':', last - p);
        if (q == NULL) {
            q = last;
        }

        if (pattern && q - p >= 2 && p[0] == '*' && p[1] == '.') {
            reason = rtk_url_host_name(parts, p + 2, q);
            if (reason != NULL) {
                return reason;
            }

            if (parts->host_type != RTK_URL_HOST_NAME) {
                return "wildcard on an IP address";
            }

            if (memchr(parts->host, '.', parts->host_len) == NULL) {
                return "wildcard suffix needs at least two labels";
            }

            parts->wildcard = 1;

        } else {
            reason = rtk_url_host_name(parts, p, q);
            if (reason != NULL) {
                return reason;
            }
        }
    }

    if (q < last) {
        /* *q == ':' */
        return rtk_url_port(parts, q + 1, last);
    }

    return NULL;
}


static const char *
rtk_url_host_name(rtk_url_parts_t *parts, const unsigned char *p,
    const unsigned char *last)
{
    size_t                i, n;
    unsigned              k, any, all, lall, bad, pct;
    const char           *lfail;
    const unsigned char  *q, *label;

    n = last - p;

    if (n == 0) {
        return "empty host";
    }

    /*
     * One pass, label by label, records what the checks below need, in
     * their order: a '%', any other invalid byte, the first label that
     * fails, and through the classes of the bytes seen, the digits of
     * the IPv4 forms and whether there is an uppercase letter.
     */

    bad = 0;
    pct = 0;
    any = 0;
    all = RTK_URL_DIGIT;
    lall = RTK_URL_DIGIT;
    lfail = NULL;
    q = p;

    for ( ;; ) {
        label = q;
        lall = RTK_URL_DIGIT;

        while (q < last) {
            k = rtk_url_class[*q];

            if (k & RTK_URL_LABEL) {
                any |= k;
                lall &= k;
                q++;
                continue;
            }

            if (*q == '.') {
                break;
            }

            bad = 1;
            pct |= (*q == '%');
            q++;
        }

        if (lfail != NULL) {
            /* void */

        } else if (q == label) {
            lfail = "empty label in the host";

        } else if (q - label > RTK_URL_LABEL_MAX) {
            lfail = "host label is too long";

        } else if (label[0] == '-' || q[-1] == '-') {
            lfail = "host label starts or ends with '-'";
        }

        all &= lall;

        if (q == last) {
            break;
        }

        q++;
    }

    if (pct) {
        return "percent-encoding in the host is not allowed";
    }

    if (bad) {
        return "invalid character in the host";
    }

    if (n > RTK_HOST_MAX) {
        return "host is too long";
    }

    if (last[-1] == '.') {
        return "trailing dot in the host";
    }

    if (lfail != NULL) {
        return lfail;
    }

    /*
     * Whatever inet_aton() or a browser could take for an IPv4 address:
     * digits and dots only, or a last label that is a number (decimal,
     * octal or "0x" hex).
     */

    if (all || lall
        || (last - label >= 2 && label[0] == '0'
            && (label[1] | 0x20) == 'x'))
    {
        if (!rtk_url_ipv4_canonical(p, last)) {
            return "ambiguous IPv4 address form";
        }

        parts->host_type = RTK_URL_HOST_IPV4;

    } else {
        parts->host_type = RTK_URL_HOST_NAME;
    }

    memcpy(parts->host, p, n);

    if (any & RTK_URL_UPPER) {
        for (i = 0; i < n; i++) {
            if (rtk_url_class[p[i]] & RTK_URL_UPPER) {
                parts->host[i] = (char) (p[i] | 0x20);
            }
        }
    }

    parts->host[n] = '\0';
    parts->host_len = n;

    return NULL;
}


static const char *
rtk_url_port(rtk_url_parts_t *parts, const unsigned char *p,
    const unsigned char *last)
{
    unsigned              value;
    const unsigned char  *q;

    if (p == last) {
        return "empty port";
    }

    value = 0;

    for (q = p; q < last; q++) {
        if (*q < '0' || *q > '9') {
            return "invalid port";
        }

        if (q - p >= 5) {
            return "invalid port";
        }

        value = value * 10 + (*q - '0');
    }

    if (p[0] == '0') {
        return value == 0 ? "invalid port" : "leading zero in the port";
    }

    if (value > RTK_URL_PORT_MAX) {
        return "invalid port";
    }

    parts->port = value;

    return NULL;
}


static const char *
rtk_url_path(const unsigned char *p, const unsigned char *last)
{
    size_t                n;
    const unsigned char  *q, *seg;

    /* *p == '/' */

    for (q = p; q < last; q++) {
        if (*q == '%') {
            return "percent-encoding in the path is not allowed";
        }

        if (!rtk_url_pchar(*q) && *q != '/') {
            return "invalid character in the path";
        }
    }

    for (seg = p + 1; /* void */; seg = q + 1) {

        for (q = seg; q < last && *q != '/'; q++) {
            /* void */
        }

        if (q == last) {
            /* the final segment may be empty: "/" or "/a/" */

        } else if (q == seg) {
            return "empty segment in the path";
        }

        /* ";params" are cut off by some servers: "..;x" is ".." there */
        for (n = 0; seg + n < q && seg[n] != ';'; n++) {
            /* void */
        }

        if ((n == 1 && seg[0] == '.')
            || (n == 2 && seg[0] == '.' && seg[1] == '.'))
        {
            return "dot segment in the path";
        }

        if (q == last) {
            break;
        }
    }

    return NULL;
}


static const char *
rtk_url_query(const unsigned char *p, const unsigned char *last)
{
    const unsigned char  *q;

    for (q = p; q < last; q++) {
        if (*q == '%') {
            if (last - q < 3 || !rtk_url_hex(q[1]) || !rtk_url_hex(q[2])) {
                return "invalid percent-encoding in the query";
            }

            q += 2;
            continue;
        }

        if (!rtk_url_pchar(*q) && *q != '/' && *q != '?') {
            return "invalid character in the query";
        }
    }

    return NULL;
}


/* the length of "scheme://host[:port]path[?query]" */

static size_t
rtk_url_canonical_len(const rtk_url_parts_t *parts)
{
    size_t    n;
    unsigned  port;

    n = parts->https ? sizeof("https://") - 1 : sizeof("http://") - 1;
    n += parts->host_len;

    if (parts->host_type == RTK_URL_HOST_IPV6) {
        n += 2;
    }

    if (parts->port != (parts->https ? 443u : 80u)) {
        n++;

        for (port = parts->port; port != 0; port /= 10) {
            n++;
        }
    }

    n += (parts->path != NULL) ? parts->path_len : 1;

    if (parts->query != NULL) {
        n += 1 + parts->query_len;
    }

    return n;
}


/* the digit's value plus one, or 0 */

int
rtk_url_hex(unsigned c)
{
    if (c >= '0' && c <= '9') {
        return c - '0' + 1;
    }

    c |= 0x20;

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 11;
    }

    return 0;
}


/* RFC 3986 pchar without pct-encoded: unreserved, sub-delims, ':', '@' */

static int
rtk_url_pchar(unsigned c)
{
    return (rtk_url_class[c & 0xff] & RTK_URL_PCHAR) != 0;
}
