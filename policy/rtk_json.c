
/*
 * Copyright (C) ngx_rtk_module authors
 */


#include <string.h>

#include "rtk_json.h"


/* printable ASCII that JSON strings carry as it is */
#define rtk_json_plain(c)                                                    \
    ((c) >= 0x20 && (c) < 0x7f && (c) != '"' && (c) != '\\')


static int rtk_json_hex4(const unsigned char *p, const unsigned char *end);
static const unsigned char *rtk_json_plain_run(const unsigned char *p,
    const unsigned char *end);


static const char  rtk_json_hex[] = "0123456789abcdef";


/*
 * The bytes the prelude must look at: NUL, VT, FF, '"', '\\' and all
 * of 0x80 and above; every other byte it steps over, in a string or not.
 */

#define RTK_JSON_HIGH                                                        \
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1

static const unsigned char  rtk_json_prelude_stop[256] = {
    1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0,     /* 0x00 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,     /* 0x20 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,     /* 0x40 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,     /* 0x60 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    RTK_JSON_HIGH, RTK_JSON_HIGH, RTK_JSON_HIGH, RTK_JSON_HIGH,   /* 0x80 */
    RTK_JSON_HIGH, RTK_JSON_HIGH, RTK_JSON_HIGH, RTK_JSON_HIGH
};

#undef RTK_JSON_HIGH


/*
 * The length of the well-formed UTF-8 sequence at p (2 to 4), or 0:
 * overlong forms, surrogates and code points above U+10FFFF are not
 * well-formed (Unicode, table 3-7).
 */

size_t
rtk_utf8_len(const unsigned char *p, const unsigned char *end)
{
    size_t         n, i;
    unsigned char  lo, hi;

    lo = 0x80;
    hi = 0xbf;

    if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        n = 2;

    } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        n = 3;

        if (p[0] == 0xe0) {
            lo = 0xa0;

        } else if (p[0] == 0xed) {
            hi = 0x9f;
        }

    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        n = 4;

        if (p[0] == 0xf0) {
            lo = 0x90;

        } else if (p[0] == 0xf4) {
            hi = 0x8f;
        }

    } else {
        return 0;
    }

    if ((size_t) (end - p) < n) {
        return 0;
    }

    if (p[1] < lo || p[1] > hi) {
        return 0;
    }

    for (i = 2; i < n; i++) {
        if (p[i] < 0x80 || p[i] > 0xbf) {
            return 0;
        }
    }

    return n;
}


size_t
rtk_json_escape_len(const unsigned char *src, size_t len)
{
    size_t                n, size;
    const unsigned char  *p, *end;

    size = 0;
    p = src;
    end = src + len;

    while (p < end) {

        if (rtk_json_plain(*p)) {
            size++;
            p++;
            continue;
        }

        switch (*p) {

        case '"':
        case '\\':
        case '\b':
        case '\f':
        case '\n':
        case '\r':
        case '\t':
            size += 2;
            p++;
            continue;
        }

        if (*p < 0x20 || *p == 0x7f) {
            size += sizeof("\\u0000") - 1;
            p++;
            continue;
        }

        if (*p < 0x80) {
            size++;
            p++;
            continue;
        }

        n = rtk_utf8_len(p, end);

        if (n == 0) {
            size += sizeof("\\ufffd") - 1;
            p++;
            continue;
        }

        size += n;
        p += n;
    }

    return size;
}


unsigned char *
rtk_json_escape(unsigned char *dst, const unsigned char *src, size_t len)
{
    size_t                n;
    unsigned char         c;
    const unsigned char  *p, *q, *end;

    p = src;
    end = src + len;

    while (p < end) {

        /* runs of printable ASCII are the common case: copy them whole */

        if (rtk_json_plain(*p)) {
            q = p + 1;

            while (q < end && rtk_json_plain(*q)) {
                q++;
            }

            memcpy(dst, p, q - p);
            dst += q - p;
            p = q;
            continue;
        }

        c = *p;

        switch (c) {

        case '"':
        case '\\':
            *dst++ = '\\';
            *dst++ = c;
            p++;
            continue;

        case '\b':
            c = 'b';
            break;

        case '\f':
            c = 'f';
            break;

        case '\n':
            c = 'n';
            break;

        case '\r':
            c = 'r';
            break;

        case '\t':
            c = 't';
            break;

        default:
            c = 0;
            break;
        }

        if (c != 0) {
            *dst++ = '\\';
            *dst++ = c;
            p++;
            continue;
        }

        c = *p;

        if (c < 0x20 || c == 0x7f) {
            *dst++ = '\\';
            *dst++ = 'u';
            *dst++ = '0';
            *dst++ = '0';
            *dst++ = rtk_json_hex[c >> 4];
            *dst++ = rtk_json_hex[c & 0x0f];
            p++;
            continue;
        }

        if (c < 0x80) {
            *dst++ = c;
            p++;
            continue;
        }

        n = rtk_utf8_len(p, end);

        if (n == 0) {
            /* one replacement character per byte that does not fit */
            *dst++ = '\\';
            *dst++ = 'u';
            *dst++ = 'f';
            *dst++ = 'f';
            *dst++ = 'f';
            *dst++ = 'd';
            p++;
            continue;
        }

        while (n-- != 0) {
            *dst++ = *p++;
        }
    }

    return dst;
}


/*
 * One pass: strings are tracked for the VT and FF rule and for escapes.
 * Outside strings a valid text has no '"' or '\\' other than those that
 * start a string, so that is enough; for an invalid one the state does
 * not matter, yajl refuses it anyway.
 */

int
rtk_json_prelude(const unsigned char *p, size_t len, size_t *pos,
    const char **what)
{
    int                   cp, lo;
    size_t                n;
    unsigned              instr;
    const unsigned char  *start, *end;

    start = p;
    end = p + len;
    instr = 0;

    if (len >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf) {
        *what = "byte order mark";
        goto failed;
    }

    while (p < end) {

        /* most bytes need nothing: step over them in a tight loop */

        if (!rtk_json_prelude_stop[*p]) {
            p = rtk_json_plain_run(p + 1, end);
            continue;
        }

        if (*p == '\0') {
            *what = "NUL byte";
            goto failed;
        }

        if (*p >= 0x80) {
            n = rtk_utf8_len(p, end);

            if (n == 0) {
                *what = "invalid UTF-8";
                goto failed;
            }

            p += n;
            continue;
        }

        if (!instr) {

            if (*p == '"') {
                instr = 1;

            } else if (*p == '\v') {
                *what = "vertical tab outside a string";
                goto failed;

            } else if (*p == '\f') {
                *what = "form feed outside a string";
                goto failed;
            }

            p++;
            continue;
        }

        if (*p == '"') {
            instr = 0;
            p++;
            continue;
        }

        if (*p != '\\' || end - p < 2) {
            p++;
            continue;
        }

        /* the escaped byte is looked at like any other, but these two */

        if (p[1] == '"' || p[1] == '\\') {
            p += 2;
            continue;
        }

        cp = (p[1] == 'u') ? rtk_json_hex4(p + 2, end) : -1;

        if (cp < 0) {
            p++;
            continue;
        }

        /* yajl decodes unpaired surrogate escapes into garbage */

        if (cp >= 0xdc00 && cp <= 0xdfff) {
            *what = "unpaired surrogate escape";
            goto failed;
        }

        if (cp >= 0xd800 && cp <= 0xdbff) {
            lo = (end - p >= 12 && p[6] == '\\' && p[7] == 'u')
                 ? rtk_json_hex4(p + 8, end) : -1;

            if (lo < 0xdc00 || lo > 0xdfff) {
                *what = "unpaired surrogate escape";
                goto failed;
            }

            p += 12;
            continue;
        }

        p += 6;
    }

    return RTK_OK;

failed:

    *pos = p - start;

    return RTK_ERROR;
}


/* the first byte from p on that the prelude must look at, or end */

static const unsigned char *
rtk_json_plain_run(const unsigned char *p, const unsigned char *end)
{
    /* four bytes a step: one comparison of the end for four lookups */

    while (end - p >= 4) {
        if (rtk_json_prelude_stop[p[0]]) {
            return p;
        }

        if (rtk_json_prelude_stop[p[1]]) {
            return p + 1;
        }

        if (rtk_json_prelude_stop[p[2]]) {
            return p + 2;
        }

        if (rtk_json_prelude_stop[p[3]]) {
            return p + 3;
        }

        p += 4;
    }

    while (p < end && !rtk_json_prelude_stop[*p]) {
        p++;
    }

    return p;
}


static int
rtk_json_hex4(const unsigned char *p, const unsigned char *end)
{
    int  i, v;

    if (end - p < 4) {
        return -1;
    }

    v = 0;

    for (i = 0; i < 4; i++) {
        v <<= 4;

        if (p[i] >= '0' && p[i] <= '9') {
            v |= p[i] - '0';

        } else if (p[i] >= 'a' && p[i] <= 'f') {
            v |= p[i] - 'a' + 10;

        } else if (p[i] >= 'A' && p[i] <= 'F') {
            v |= p[i] - 'A' + 10;

        } else {
            return -1;
        }
    }

    return v;
}
