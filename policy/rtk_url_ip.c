
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * IP-literal hosts of URLs and patterns: the one IPv4 form that is
 * accepted, and IPv6 addresses, refused when they reach an IPv4 address
 * behind an IPv6 spelling, kept in their RFC 5952 form.
 */


#include "rtk_url_int.h"


static int rtk_url_ipv6_embeds_ipv4(const unsigned *w);
static size_t rtk_url_ipv6_format(char *out, const unsigned *w);


/* exactly four decimal parts, 0..255, no leading zeros */

int
rtk_url_ipv4_canonical(const unsigned char *p, const unsigned char *last)
{
    unsigned              parts, value;
    const unsigned char  *q, *start;

    parts = 0;

    for (start = p; /* void */; start = q + 1) {
        value = 0;

        for (q = start; q < last && *q != '.'; q++) {
            if (*q < '0' || *q > '9') {
                return 0;
            }

            value = value * 10 + (*q - '0');

            if (value > 255) {
                return 0;
            }
        }

        if (q == start || (q - start > 1 && start[0] == '0')) {
            return 0;
        }

        parts++;

        if (q == last) {
            break;
        }
    }

    return parts == 4;
}


const char *
rtk_url_ipv6(rtk_url_parts_t *parts, const unsigned char *p,
    const unsigned char *last)
{
    int                   gap;
    unsigned              w[8], g[8], n, i, digits, value;
    const unsigned char  *q;

    for (q = p; q < last; q++) {
        if (*q == '%') {
            return "IPv6 zone identifiers are not allowed";
        }

        if (*q == '.') {
            return "IPv6 address embeds an IPv4 address";
        }

        if (*q != ':' && !rtk_url_hex(*q)) {
            return "invalid IPv6 address";
        }
    }

    n = 0;
    gap = -1;
    q = p;

    if (last - q >= 2 && q[0] == ':' && q[1] == ':') {
        gap = 0;
        q += 2;
    }

    while (q < last) {
        value = 0;

        for (digits = 0; q < last && *q != ':'; digits++, q++) {
            if (digits == 4) {
                return "invalid IPv6 address";
            }

            value = value * 16 + (unsigned) rtk_url_hex(*q) - 1;
        }

        if (digits == 0 || n == 8) {
            return "invalid IPv6 address";
        }

        g[n++] = value;

        if (q == last) {
            break;
        }

        /* *q == ':' */
        q++;

        if (q < last && *q == ':') {
            if (gap != -1) {
                return "invalid IPv6 address";
            }

            gap = (int) n;
            q++;

        } else if (q == last) {
            return "invalid IPv6 address";
        }
    }

    if ((gap == -1 && n != 8) || (gap != -1 && n > 7)) {
        return "invalid IPv6 address";
    }

    for (i = 0; i < 8; i++) {
        w[i] = 0;
    }

    if (gap == -1) {
        gap = 8;
    }

    for (i = 0; i < n; i++) {
        if ((int) i < gap) {
            w[i] = g[i];

        } else {
            w[8 - n + i] = g[i];
        }
    }

    if (rtk_url_ipv6_embeds_ipv4(w)) {
        return "IPv6 address embeds an IPv4 address";
    }

    parts->host_type = RTK_URL_HOST_IPV6;
    parts->host_len = rtk_url_ipv6_format(parts->host, w);

    return NULL;
}


/*
 * IPv4-mapped ::ffff:0:0/96, IPv4-compatible ::/96 (but "::" and
 * "::1"), IPv4-translated ::ffff:0:0:0/96 and NAT64 64:ff9b::/96
 * all reach an IPv4 address behind an IPv6 spelling.
 */

static int
rtk_url_ipv6_embeds_ipv4(const unsigned *w)
{
    if (w[0] == 0 && w[1] == 0 && w[2] == 0 && w[3] == 0) {

        if (w[4] == 0 && w[5] == 0xffff) {
            return 1;
        }

        if (w[4] == 0xffff && w[5] == 0) {
            return 1;
        }

        if (w[4] == 0 && w[5] == 0 && (w[6] != 0 || w[7] > 1)) {
            return 1;
        }
    }

    if (w[0] == 0x64 && w[1] == 0xff9b && w[2] == 0 && w[3] == 0
        && w[4] == 0 && w[5] == 0)
    {
        return 1;
    }

    return 0;
}


/* RFC 5952: lowercase, no leading zeros, the longest zero run as "::" */

static size_t
rtk_url_ipv6_format(char *out, const unsigned *w)
{
    int          i, best, best_len, run, run_len, shift, started;
    char        *p;
    static char  hex[] = "0123456789abcdef";

    best = -1;
    best_len = 1;
    run = -1;
    run_len = 0;

    for (i = 0; i < 8; i++) {
        if (w[i] == 0) {
            if (run == -1) {
                run = i;
                run_len = 0;
            }

            run_len++;

            if (run_len > best_len) {
                best = run;
                best_len = run_len;
            }

        } else {
            run = -1;
        }
    }

    p = out;

    for (i = 0; i < 8; i++) {

        if (i == best) {
            *p++ = ':';
            *p++ = ':';
            i += best_len - 1;
            continue;
        }

        if (i != 0 && i != best + best_len) {
            *p++ = ':';
        }

        started = 0;

        for (shift = 12; shift >= 0; shift -= 4) {
            if (started || (w[i] >> shift) != 0 || shift == 0) {
                *p++ = hex[(w[i] >> shift) & 0xf];
                started = 1;
            }
        }
    }

    *p = '\0';

    return p - out;
}
