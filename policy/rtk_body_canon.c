
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * The canonical body, written directly: the four known fields in their
 * fixed order, sized exactly first, so that it takes one allocation.
 * Strings are escaped byte for byte as yajl_gen escaped them before
 * (the short escapes, \u00XX for other control characters, the rest as
 * is) and must be well-formed UTF-8, by the rule the parser applies.
 */


#include <string.h>

#include "rtk_body.h"
#include "rtk_json.h"


#define RTK_CANON_UTF8            0x80     /* a byte of a sequence */

#define rtk_canon_cpy(dst, s)                                                \
    (memcpy(dst, s, sizeof(s) - 1), (dst) + sizeof(s) - 1)


typedef struct {
    const char              *data;
    size_t                   len;
} rtk_canon_str_t;


static size_t rtk_canon_len(const unsigned char *s, size_t len);
static unsigned char *rtk_canon_string(unsigned char *dst,
    const unsigned char *s, size_t len, size_t escaped);


#define rtk_canon_event(s)   { "\"" s "\"", sizeof(s) + 1 }

/* rtk_event_names, quoted, in the same order */
static const rtk_canon_str_t  rtk_canon_events[RTK_EVENT_COUNT] = {
    rtk_canon_event("meeting.started"),
    rtk_canon_event("meeting.ended"),
    rtk_canon_event("meeting.participantJoined"),
    rtk_canon_event("meeting.participantLeft"),
    rtk_canon_event("recording.statusUpdate"),
    rtk_canon_event("livestreaming.statusUpdate"),
    rtk_canon_event("meeting.chatSynced"),
    rtk_canon_event("meeting.transcript"),
    rtk_canon_event("meeting.summary")
};


/*
 * What a byte becomes: 0 itself, a letter the short escape "\\letter",
 * 'u' the form \u00XX, RTK_CANON_UTF8 part of a sequence to check.
 */

static const unsigned char  rtk_canon_escape[256] = {
    'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u',    /* 0x00 */
    'b', 't', 'n', 'u', 'f', 'r', 'u', 'u',
    'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u',    /* 0x10 */
    'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u',
    0,   0,   '"', 0,   0,   0,   0,   0,      /* 0x20 */
    0,   0,   0,   0,   0,   0,   0,   0,
    0,   0,   0,   0,   0,   0,   0,   0,      /* 0x30 */
    0,   0,   0,   0,   0,   0,   0,   0,
    0,   0,   0,   0,   0,   0,   0,   0,      /* 0x40 */
    0,   0,   0,   0,   0,   0,   0,   0,
    0,   0,   0,   0,   0,   0,   0,   0,      /* 0x50 */
    0,   0,   0,   0,   '\\', 0,  0,   0,
    0,   0,   0,   0,   0,   0,   0,   0,      /* 0x60 */
    0,   0,   0,   0,   0,   0,   0,   0,
    0,   0,   0,   0,   0,   0,   0,   0,      /* 0x70 */
    0,   0,   0,   0,   0,   0,   0,   0,

#define RTK_CANON_ROW                                                        \
    RTK_CANON_UTF8, RTK_CANON_UTF8, RTK_CANON_UTF8, RTK_CANON_UTF8,          \
    RTK_CANON_UTF8, RTK_CANON_UTF8, RTK_CANON_UTF8, RTK_CANON_UTF8,          \
    RTK_CANON_UTF8, RTK_CANON_UTF8, RTK_CANON_UTF8, RTK_CANON_UTF8,          \
    RTK_CANON_UTF8, RTK_CANON_UTF8, RTK_CANON_UTF8, RTK_CANON_UTF8

    RTK_CANON_ROW, RTK_CANON_ROW, RTK_CANON_ROW, RTK_CANON_ROW,  /* 0x80 */
    RTK_CANON_ROW, RTK_CANON_ROW, RTK_CANON_ROW, RTK_CANON_ROW

#undef RTK_CANON_ROW
};


static const char  rtk_canon_hex[] = "0123456789ABCDEF";


int
rtk_body_serialize(const rtk_body_t *body, rtk_alloc_pt alloc, void *pool,
    unsigned char **out, size_t *out_len)
{
    int             i;
    size_t          n, name_len, url_len;
    unsigned        fields;
    unsigned char  *p, *start;

    fields = body->fields;
    name_len = 0;
    url_len = 0;

    /* "{" and "}", and a comma before every field but the first */
    n = 2;

    if (fields & RTK_FIELD_ENABLED) {
        n += body->enabled ? sizeof("\"enabled\":true") - 1
                           : sizeof("\"enabled\":false") - 1;
    }

    if (fields & RTK_FIELD_EVENTS) {
        n += sizeof(",\"events\":[]") - 1;

        for (i = 0; i < RTK_EVENT_COUNT; i++) {
            if (body->events & (1u << i)) {
                n += rtk_canon_events[i].len + 1;
            }
        }

        /* the events have one comma fewer than counted */
        n -= (body->events & RTK_EVENTS_ALL) ? 1 : 0;
    }

    if (fields & RTK_FIELD_NAME) {
        name_len = rtk_canon_len(body->name, body->name_len);
        if (name_len == (size_t) -1) {
            return RTK_ERROR;
        }

        n += sizeof(",\"name\":\"\"") - 1 + name_len;
    }

    if (fields & RTK_FIELD_URL) {
        url_len = rtk_canon_len(body->url, body->url_len);
        if (url_len == (size_t) -1) {
            return RTK_ERROR;
        }

        n += sizeof(",\"url\":\"\"") - 1 + url_len;
    }

    /* the first field has no comma before it */
    if (fields & (RTK_FIELD_EVENTS | RTK_FIELD_NAME | RTK_FIELD_URL)
        && !(fields & RTK_FIELD_ENABLED))
    {
        n--;
    }

    start = alloc(pool, n + 1);
    if (start == NULL) {
        return RTK_ERROR;
    }

    p = start;
    *p++ = '{';

    if (fields & RTK_FIELD_ENABLED) {
        p = body->enabled ? rtk_canon_cpy(p, "\"enabled\":true")
                          : rtk_canon_cpy(p, "\"enabled\":false");
    }

    if (fields & RTK_FIELD_EVENTS) {
        if (p - start > 1) {
            *p++ = ',';
        }

        p = rtk_canon_cpy(p, "\"events\":[");

        for (i = 0; i < RTK_EVENT_COUNT; i++) {
            if (body->events & (1u << i)) {
                if (p[-1] != '[') {
                    *p++ = ',';
                }

                memcpy(p, rtk_canon_events[i].data, rtk_canon_events[i].len);
                p += rtk_canon_events[i].len;
            }
        }

        *p++ = ']';
    }

    if (fields & RTK_FIELD_NAME) {
        if (p - start > 1) {
            *p++ = ',';
        }

        p = rtk_canon_cpy(p, "\"name\":");
        p = rtk_canon_string(p, body->name, body->name_len, name_len);
    }

    if (fields & RTK_FIELD_URL) {
        if (p - start > 1) {
            *p++ = ',';
        }

        p = rtk_canon_cpy(p, "\"url\":");
        p = rtk_canon_string(p, body->url, body->url_len, url_len);
    }

    *p++ = '}';
    *p = '\0';

    *out = start;
    *out_len = p - start;

    return RTK_OK;
}


/* the escaped length, without quotes; (size_t) -1 if not UTF-8 */

static size_t
rtk_canon_len(const unsigned char *s, size_t len)
{
    size_t                n, k;
    unsigned char         c;
    const unsigned char  *p, *end;

    n = len;
    p = s;
    end = s + len;

    while (p < end) {

        /* plain bytes are the common case: four a step */

        if (end - p >= 4
            && (rtk_canon_escape[p[0]] | rtk_canon_escape[p[1]]
                | rtk_canon_escape[p[2]] | rtk_canon_escape[p[3]])
               == 0)
        {
            p += 4;
            continue;
        }

        c = rtk_canon_escape[*p];

        if (c == 0) {
            p++;
            continue;
        }

        if (c == RTK_CANON_UTF8) {
            k = rtk_utf8_len(p, end);
            if (k == 0) {
                return (size_t) -1;
            }

            p += k;
            continue;
        }

        n += (c == 'u') ? sizeof("\\u0000") - 2 : 1;
        p++;
    }

    return n;
}


/* the quoted string; escaped is its length from rtk_canon_len() */

static unsigned char *
rtk_canon_string(unsigned char *dst, const unsigned char *s, size_t len,
    size_t escaped)
{
    unsigned char         c;
    const unsigned char  *p, *end;

    *dst++ = '"';

    /* the common case: nothing to escape */

    if (escaped == len) {
        if (len != 0) {
            memcpy(dst, s, len);
            dst += len;
        }

        *dst++ = '"';
        return dst;
    }

    for (p = s, end = s + len; p < end; p++) {
        c = rtk_canon_escape[*p];

        if (c == 0 || c == RTK_CANON_UTF8) {
            *dst++ = *p;
            continue;
        }

        *dst++ = '\\';

        if (c != 'u') {
            *dst++ = c;
            continue;
        }

        *dst++ = 'u';
        *dst++ = '0';
        *dst++ = '0';
        *dst++ = rtk_canon_hex[*p >> 4];
        *dst++ = rtk_canon_hex[*p & 0x0f];
    }

    *dst++ = '"';

    return dst;
}
