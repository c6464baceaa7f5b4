
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * rtk_body_serialize() against the serializer it replaced, kept here as
 * the oracle: the same fields through yajl_gen.  Random bodies, built
 * by hand with every kind of byte in name and url, and parsed ones must
 * come out byte for byte the same; the one difference is on purpose:
 * strings that are not well-formed UTF-8 (overlong forms, surrogates,
 * above U+10FFFF), which yajl_gen let through by their shape alone,
 * are refused, by the rule the parser applies to what it accepts.
 */


#include <stdint.h>

#include <yajl/yajl_gen.h>

#include "rtk_test.h"
#include "rtk_body.h"
#include "canon_oracle.h"
#include "rtk_json.h"


#define RTK_CT_RANDOM      300000
#define RTK_CT_STRING_MAX  24
#define RTK_CT_BUF         (RTK_CT_STRING_MAX * 24)   /* pieces < 24 */


static int rtk_ct_well_formed(const unsigned char *s, size_t len);
static uint64_t rtk_ct_rand(void);
static size_t rtk_ct_string(unsigned char *buf);
static int rtk_ct_compare(const rtk_body_t *body, const char *what,
    int quiet);
static void rtk_ct_test_fixed(void);
static void rtk_ct_test_random(void);
static void rtk_ct_test_parsed(void);
static void rtk_ct_test_utf8(void);


static uint64_t  rtk_ct_state = 0x9e3779b97f4a7c15ULL;
static int       rtk_ct_last_rc;




static int
rtk_ct_well_formed(const unsigned char *s, size_t len)
{
    size_t                n;
    const unsigned char  *p, *end;

    for (p = s, end = s + len; p < end; p += n) {
        n = (*p < 0x80) ? 1 : rtk_utf8_len(p, end);
        if (n == 0) {
            return 0;
        }
    }

    return 1;
}


/* xorshift64*: the same sequence on every run */

static uint64_t
rtk_ct_rand(void)
{
    rtk_ct_state ^= rtk_ct_state >> 12;
    rtk_ct_state ^= rtk_ct_state << 25;
    rtk_ct_state ^= rtk_ct_state >> 27;

    return rtk_ct_state * 0x2545f4914f6cdd1dULL;
}


/* a string of pieces: plain text, escapes, controls, good and bad UTF-8 */

static size_t
rtk_ct_string(unsigned char *buf)
{
    size_t       n, k, i;
    const char  *piece;

    static const char  *pieces[] = {
        "a", "Z", " ", "/", "~", "prod hooks", "https://h.example.com/x",
        "\"", "\\", "\b", "\f", "\n", "\r", "\t", "\x01", "\x1a", "\x1f",
        "\x7f", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
        "\xef\xbf\xbf", "\xf4\x8f\xbf\xbf",
        "\x80", "\xbf", "\xc0\x80", "\xc1\xbf", "\xe0\x80\xaf",
        "\xed\xa0\x80", "\xed\xbf\xbf", "\xf4\x90\x80\x80",
        "\xf5\x80\x80\x80", "\xf8\x88\x80\x80\x80", "\xff", "\xc3",
        "\xe2\x82"
    };

    n = rtk_ct_rand() % RTK_CT_STRING_MAX;
    k = 0;

    for (i = 0; i < n; i++) {
        /* mostly well-formed: the bad pieces are the last thirteen */
        if (rtk_ct_rand() % 8 == 0) {
            piece = pieces[rtk_ct_rand() % (sizeof(pieces) / sizeof(char *))];

        } else {
            piece = pieces[rtk_ct_rand()
                           % (sizeof(pieces) / sizeof(char *) - 13)];
        }

        memcpy(buf + k, piece, strlen(piece));
        k += strlen(piece);
    }

    /* a NUL byte now and then: its length says it is there */
    if (k != 0 && rtk_ct_rand() % 16 == 0) {
        buf[rtk_ct_rand() % k] = '\0';
    }

    return k;
}


/*
 * 1 if the body came out as the oracle says; quiet, it checks nothing
 * itself and prints what differs
 */

static int
rtk_ct_compare(const rtk_body_t *body, const char *what, int quiet)
{
    int             rc, want, good, same;
    size_t          n, wn;
    unsigned char  *out;

    static unsigned char  oracle[65536];

    n = 0;
    wn = 0;
    out = NULL;

    want = rtk_canon_oracle(body, oracle, &wn);
    rc = rtk_body_serialize(body, rtk_test_alloc, NULL, &out, &n);
    rtk_ct_last_rc = rc;

    good = (!(body->fields & RTK_FIELD_NAME)
            || rtk_ct_well_formed(body->name, body->name_len))
           && (!(body->fields & RTK_FIELD_URL)
               || rtk_ct_well_formed(body->url, body->url_len));

    if (!good) {
        same = (rc == RTK_ERROR);

    } else if (rc != want) {
        same = 0;

    } else {
        same = (rc != RTK_OK
                || (n == wn && memcmp(out, oracle, n) == 0
                    && out[n] == '\0'));
    }

    if (quiet) {
        if (!same) {
            fprintf(stderr, "%s: rc %d \"%.*s\", the oracle's rc %d "
                    "\"%.*s\"\n", what, rc, rc == RTK_OK ? (int) n : 0,
                    rc == RTK_OK ? (char *) out : "", want,
                    want == RTK_OK ? (int) wn : 0,
                    want == RTK_OK ? (char *) oracle : "");
        }

        return same;
    }

    RTK_CHECK(same, "%s: rc %d \"%.*s\", the oracle's rc %d \"%.*s\"",
              what, rc, rc == RTK_OK ? (int) n : 0,
              rc == RTK_OK ? (char *) out : "", want,
              want == RTK_OK ? (int) wn : 0,
              want == RTK_OK ? (char *) oracle : "");

    return same;
}


static void
rtk_ct_test_fixed(void)
{
    rtk_body_t  body;

    memset(&body, 0, sizeof(rtk_body_t));
    (void) rtk_ct_compare(&body, "{}", 0);

    body.fields = RTK_FIELD_ENABLED;
    (void) rtk_ct_compare(&body, "enabled false", 0);

    body.fields = RTK_FIELD_EVENTS;
    (void) rtk_ct_compare(&body, "no events", 0);

    body.events = RTK_EVENTS_ALL;
    (void) rtk_ct_compare(&body, "all events", 0);

    body.events = 0xfffffe00;
    (void) rtk_ct_compare(&body, "bits past the events", 0);

    body.fields = RTK_FIELD_NAME | RTK_FIELD_URL;
    body.name = NULL;
    body.url = (unsigned char *) "";
    (void) rtk_ct_compare(&body, "empty strings", 0);

    body.name = (unsigned char *) "\x1a\x1f\x7f\"\\/";
    body.name_len = 6;
    (void) rtk_ct_compare(&body, "escapes", 0);
}


static void
rtk_ct_test_random(void)
{
    long            i, bad, refused;
    rtk_body_t      body;
    unsigned char   name[RTK_CT_BUF], url[RTK_CT_BUF];

    bad = 0;
    refused = 0;

    for (i = 0; i < RTK_CT_RANDOM; i++) {
        memset(&body, 0, sizeof(rtk_body_t));

        body.fields = rtk_ct_rand() & 0x0f;
        body.enabled = rtk_ct_rand() & 1;
        body.events = rtk_ct_rand() & RTK_EVENTS_ALL;

        body.name_len = rtk_ct_string(name);
        body.name = body.name_len ? name : NULL;
        body.url_len = rtk_ct_string(url);
        body.url = url;

        if (!rtk_ct_compare(&body, "random", 1) && ++bad == 10) {
            break;
        }

        if (i % 1024 == 0) {
            rtk_test_release();
        }

        refused += (rtk_ct_last_rc != RTK_OK);
    }

    RTK_CHECK(bad == 0, "%ld of %ld random bodies differ", bad, i);

    /* the mix has both outcomes in numbers */
    RTK_CHECK(refused > RTK_CT_RANDOM / 20 && refused < RTK_CT_RANDOM / 2,
              "%ld of %d refused", refused, RTK_CT_RANDOM);

    rtk_test_release();
}


/* what the parser accepts comes out as the oracle writes it */

static void
rtk_ct_test_parsed(void)
{
    size_t       i;
    rtk_body_t   body;
    rtk_error_t  err;

    static const char  *bodies[] = {
        "{}",
        "{\"enabled\":false}",
        "{\"name\":\"prod\",\"url\":\"https://hooks.example.com/rtk\","
        "\"events\":[\"meeting.started\",\"recording.statusUpdate\"],"
        "\"enabled\":true}",
        "{\"name\":\"a \\\"b\\\" \\\\ c\"}",
        "{\"name\":\"\\u00e9t\\u00e9 \\ud83d\\ude00 \xe2\x82\xac\"}",
        "{\"url\":\"https:\\/\\/hooks.example.com\\/rtk?x=1&y='z'\"}",
        "{\"events\":[\"meeting.summary\",\"meeting.started\","
        "\"meeting.transcript\",\"meeting.chatSynced\","
        "\"livestreaming.statusUpdate\",\"recording.statusUpdate\","
        "\"meeting.participantLeft\",\"meeting.participantJoined\","
        "\"meeting.ended\"]}",
        " {\r\n\t\"name\" : \"x\" , \"enabled\" : true } \n"
    };

    for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        memset(&err, 0, sizeof(rtk_error_t));

        RTK_CHECK(rtk_body_parse(&body, RTK_OP_EDIT,
                                 (const unsigned char *) bodies[i],
                                 strlen(bodies[i]), rtk_test_alloc, NULL, &err)
                  == RTK_OK, "%s: %s", bodies[i], err.message);

        (void) rtk_ct_compare(&body, bodies[i], 0);
    }
}


/* the only bytes that changed: what is not UTF-8 is never sent */

static void
rtk_ct_test_utf8(void)
{
    int             rc;
    size_t          i, n;
    rtk_body_t      body;
    unsigned char  *out;

    static const char  *bad[] = {
        "\xc0\x80",              /* an overlong NUL */
        "\xc1\xbf",
        "\xe0\x80\xaf",          /* an overlong '/' */
        "\xed\xa0\x80",          /* a high surrogate */
        "\xed\xbf\xbf",          /* a low surrogate */
        "\xf4\x90\x80\x80",      /* above U+10FFFF */
        "\xf5\x80\x80\x80"
    };

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&body, 0, sizeof(rtk_body_t));
        body.fields = RTK_FIELD_NAME;
        body.name = (unsigned char *) bad[i];
        body.name_len = strlen(bad[i]);

        rc = rtk_body_serialize(&body, rtk_test_alloc, NULL, &out, &n);
        RTK_CHECK(rc == RTK_ERROR, "name %zu serialized", i);

        body.fields = RTK_FIELD_URL;
        body.url = body.name;
        body.url_len = body.name_len;

        rc = rtk_body_serialize(&body, rtk_test_alloc, NULL, &out, &n);
        RTK_CHECK(rc == RTK_ERROR, "url %zu serialized", i);
    }
}


int
main(void)
{
    rtk_ct_test_fixed();
    rtk_ct_test_parsed();
    rtk_ct_test_utf8();
    rtk_ct_test_random();

    return rtk_test_report("canon");
}
