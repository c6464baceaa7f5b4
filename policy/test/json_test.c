
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * rtk_json_escape(): exact output for each class of input, and for all
 * short inputs the invariants: the length agrees, no raw control byte,
 * valid UTF-8 out, and valid UTF-8 in comes back unchanged.
 * rtk_json_prelude(): what it refuses, where, and what it lets pass.
 */


#include "rtk_test.h"
#include "rtk_json.h"


/* want NULL: accepted; else the reason, at offset pos */
#define RTK_JT_PRE(in, want, pos)                                            \
    RTK_CHECK(rtk_jt_pre(in, sizeof(in) - 1, want, pos) == 0,                \
              "%s: got \"%s\" at %zu", #in, rtk_jt_what, rtk_jt_pos)

#define RTK_JT_ESC(in, want)                                                 \
    RTK_CHECK(rtk_jt_esc(in, sizeof(in) - 1, want) == 0,                     \
              "%s: got \"%s\"", #in, rtk_jt_out)


static int rtk_jt_esc(const char *in, size_t len, const char *want);
static int rtk_jt_utf8_valid(const unsigned char *s, size_t len);
static int rtk_jt_check(const unsigned char *in, size_t len);
static size_t rtk_jt_unescape(const unsigned char *s, size_t len,
    unsigned char *out);
static void rtk_jt_test_exact(void);
static void rtk_jt_test_exhaustive(void);
static void rtk_jt_test_random(void);
static int rtk_jt_pre(const char *in, size_t len, const char *want,
    size_t pos);
static void rtk_jt_test_prelude(void);


static char         rtk_jt_out[1024];
static const char  *rtk_jt_what;
static size_t       rtk_jt_pos;


static int
rtk_jt_esc(const char *in, size_t len, const char *want)
{
    size_t          n;
    unsigned char  *end;
    unsigned char   buf[1024];

    memset(buf, 'Z', sizeof(buf));

    n = rtk_json_escape_len((const unsigned char *) in, len);
    end = rtk_json_escape(buf, (const unsigned char *) in, len);

    snprintf(rtk_jt_out, sizeof(rtk_jt_out), "%.*s", (int) (end - buf),
             buf);

    if ((size_t) (end - buf) != n) {
        return -1;
    }

    /* nothing is written past the end */
    if (buf[n] != 'Z') {
        return -1;
    }

    if (n != strlen(want) || memcmp(buf, want, n) != 0) {
        return -1;
    }

    return 0;
}


/* an independent decoder: computes the code point, then checks it */

static int
rtk_jt_utf8_valid(const unsigned char *s, size_t len)
{
    size_t    i, n, k;
    uint32_t  cp, min;

    i = 0;

    while (i < len) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }

        if ((s[i] & 0xe0) == 0xc0) {
            n = 2;
            cp = s[i] & 0x1f;
            min = 0x80;

        } else if ((s[i] & 0xf0) == 0xe0) {
            n = 3;
            cp = s[i] & 0x0f;
            min = 0x800;

        } else if ((s[i] & 0xf8) == 0xf0) {
            n = 4;
            cp = s[i] & 0x07;
            min = 0x10000;

        } else {
            return 0;
        }

        if (len - i < n) {
            return 0;
        }

        for (k = 1; k < n; k++) {
            if ((s[i + k] & 0xc0) != 0x80) {
                return 0;
            }

            cp = (cp << 6) | (s[i + k] & 0x3f);
        }

        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            return 0;
        }

        i += n;
    }

    return 1;
}


/* decodes the escaped form back; \ufffd stays as its UTF-8 */

static size_t
rtk_jt_unescape(const unsigned char *s, size_t len, unsigned char *out)
{
    size_t          i, k;
    unsigned        v;
    unsigned char   c, *p;

    p = out;

    for (i = 0; i < len; i++) {
        if (s[i] != '\\') {
            *p++ = s[i];
            continue;
        }

        i++;

        switch (s[i]) {

        case 'n':
            *p++ = '\n';
            break;

        case 'r':
            *p++ = '\r';
            break;

        case 't':
            *p++ = '\t';
            break;

        case 'b':
            *p++ = '\b';
            break;

        case 'f':
            *p++ = '\f';
            break;

        case 'u':
            v = 0;

            for (k = 0; k < 4; k++) {
                c = s[++i];
                v = v * 16 + ((c <= '9') ? c - '0' : c - 'a' + 10);
            }

            if (v == 0xfffd) {
                *p++ = 0xef;
                *p++ = 0xbf;
                *p++ = 0xbd;

            } else {
                *p++ = (unsigned char) v;
            }

            break;

        default: /* '"' and '\\' */
            *p++ = s[i];
            break;
        }
    }

    return p - out;
}


/* the invariants for one input; 0 when they hold */

static int
rtk_jt_check(const unsigned char *in, size_t len)
{
    size_t          n, i, m;
    unsigned char  *end;
    unsigned char   buf[256], back[256];

    n = rtk_json_escape_len(in, len);

    if (n > 6 * len || n + 1 > sizeof(buf)) {
        return 1;
    }

    buf[n] = 'Z';
    end = rtk_json_escape(buf, in, len);

    if ((size_t) (end - buf) != n || buf[n] != 'Z') {
        return 2;
    }

    for (i = 0; i < n; i++) {
        if (buf[i] < 0x20 || buf[i] == 0x7f) {
            return 3;
        }

        /* a quote only ever comes escaped */
        if (buf[i] == '"' && (i == 0 || buf[i - 1] != '\\')) {
            return 4;
        }
    }

    if (!rtk_jt_utf8_valid(buf, n)) {
        return 5;
    }

    m = rtk_jt_unescape(buf, n, back);

    if (rtk_jt_utf8_valid(in, len)) {
        if (m != len || memcmp(back, in, len) != 0) {
            return 6;
        }

    } else if (m == len && memcmp(back, in, len) == 0) {
        /* invalid input cannot survive unchanged */
        return 7;
    }

    return 0;
}


static void
rtk_jt_test_exact(void)
{
    RTK_JT_ESC("", "");
    RTK_JT_ESC("abc", "abc");
    RTK_JT_ESC("a b~", "a b~");
    RTK_JT_ESC("\"", "\\\"");
    RTK_JT_ESC("\\", "\\\\");
    RTK_JT_ESC("a\"b\\c", "a\\\"b\\\\c");
    RTK_JT_ESC("/", "/");
    RTK_JT_ESC("</script>", "</script>");
    RTK_JT_ESC("\n\r\t\b\f", "\\n\\r\\t\\b\\f");
    RTK_JT_ESC("\0", "\\u0000");
    RTK_JT_ESC("a\0b", "a\\u0000b");
    RTK_JT_ESC("\x01\x1f", "\\u0001\\u001f");
    RTK_JT_ESC("\x0b", "\\u000b");
    RTK_JT_ESC("\x1b[31m", "\\u001b[31m");
    RTK_JT_ESC("\x7f", "\\u007f");

    /* valid UTF-8 passes as it is, at every length and edge */
    RTK_JT_ESC("caf\xc3\xa9", "caf\xc3\xa9");
    RTK_JT_ESC("\xc2\x80", "\xc2\x80");
    RTK_JT_ESC("\xdf\xbf", "\xdf\xbf");
    RTK_JT_ESC("\xe0\xa0\x80", "\xe0\xa0\x80");
    RTK_JT_ESC("\xe2\x82\xac", "\xe2\x82\xac");
    RTK_JT_ESC("\xed\x9f\xbf", "\xed\x9f\xbf");
    RTK_JT_ESC("\xee\x80\x80", "\xee\x80\x80");
    RTK_JT_ESC("\xef\xbf\xbf", "\xef\xbf\xbf");
    RTK_JT_ESC("\xe2\x80\xa8", "\xe2\x80\xa8");
    RTK_JT_ESC("\xf0\x90\x80\x80", "\xf0\x90\x80\x80");
    RTK_JT_ESC("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80");
    RTK_JT_ESC("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf");
    RTK_JT_ESC("\xef\xbb\xbf", "\xef\xbb\xbf");

    /* each byte that is not part of a valid sequence: one U+FFFD */
    RTK_JT_ESC("\xff", "\\ufffd");
    RTK_JT_ESC("\xfe", "\\ufffd");
    RTK_JT_ESC("\x80", "\\ufffd");
    RTK_JT_ESC("\xbf", "\\ufffd");
    RTK_JT_ESC("a\xff" "b", "a\\ufffdb");
    RTK_JT_ESC("\xc0\xaf", "\\ufffd\\ufffd");
    RTK_JT_ESC("\xc1\xbf", "\\ufffd\\ufffd");
    RTK_JT_ESC("\xc0\x80", "\\ufffd\\ufffd");
    RTK_JT_ESC("\xe0\x80\xaf", "\\ufffd\\ufffd\\ufffd");
    RTK_JT_ESC("\xe0\x9f\xbf", "\\ufffd\\ufffd\\ufffd");
    RTK_JT_ESC("\xf0\x80\x80\xaf", "\\ufffd\\ufffd\\ufffd\\ufffd");
    RTK_JT_ESC("\xf0\x8f\xbf\xbf", "\\ufffd\\ufffd\\ufffd\\ufffd");
    RTK_JT_ESC("\xed\xa0\x80", "\\ufffd\\ufffd\\ufffd");
    RTK_JT_ESC("\xed\xbf\xbf", "\\ufffd\\ufffd\\ufffd");
    RTK_JT_ESC("\xf4\x90\x80\x80", "\\ufffd\\ufffd\\ufffd\\ufffd");
    RTK_JT_ESC("\xf5\x80\x80\x80", "\\ufffd\\ufffd\\ufffd\\ufffd");
    RTK_JT_ESC("\xf8\x88\x80\x80\x80",
               "\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd");
    RTK_JT_ESC("\xc3", "\\ufffd");
    RTK_JT_ESC("\xe2\x82", "\\ufffd\\ufffd");
    RTK_JT_ESC("\xe2\x82" "A", "\\ufffd\\ufffdA");
    RTK_JT_ESC("\xf0\x9f\x98", "\\ufffd\\ufffd\\ufffd");
    RTK_JT_ESC("\xc3\n", "\\ufffd\\n");
    RTK_JT_ESC("\xc3\xc3\xa9", "\\ufffd\xc3\xa9");
    RTK_JT_ESC("\xe2\x28\xa1", "\\ufffd(\\ufffd");
    RTK_JT_ESC("\xc3\"", "\\ufffd\\\"");
}


/* every input of one and two bytes, and 3-byte ones around E0-F4 */

static void
rtk_jt_test_exhaustive(void)
{
    int            rc, bad;
    unsigned       a, b, c;
    unsigned char  in[4];

    bad = 0;

    for (a = 0; a < 256; a++) {
        in[0] = (unsigned char) a;

        rc = rtk_jt_check(in, 1);
        if (rc != 0 && bad++ < 5) {
            RTK_CHECK(rc == 0, "byte %02x: %d", a, rc);
        }

        for (b = 0; b < 256; b++) {
            in[1] = (unsigned char) b;

            rc = rtk_jt_check(in, 2);
            if (rc != 0 && bad++ < 5) {
                RTK_CHECK(rc == 0, "bytes %02x %02x: %d", a, b, rc);
            }
        }
    }

    for (a = 0xe0; a < 0x100; a++) {
        for (b = 0x70; b < 0xd0; b++) {
            for (c = 0; c < 256; c += 5) {
                in[0] = (unsigned char) a;
                in[1] = (unsigned char) b;
                in[2] = (unsigned char) c;
                in[3] = 0xbf;

                rc = rtk_jt_check(in, 3);
                if (rc != 0 && bad++ < 5) {
                    RTK_CHECK(rc == 0, "%02x %02x %02x: %d", a, b, c, rc);
                }

                rc = rtk_jt_check(in, 4);
                if (rc != 0 && bad++ < 5) {
                    RTK_CHECK(rc == 0, "%02x %02x %02x bf: %d", a, b, c,
                              rc);
                }
            }
        }
    }

    RTK_CHECK(bad == 0, "%d short inputs break the invariants", bad);
}


static void
rtk_jt_test_random(void)
{
    int            rc, bad;
    size_t         i, k, len;
    uint32_t       x;
    unsigned char  in[24];

    static const unsigned char  pick[] = {
        0x00, 0x0a, 0x1f, 0x20, 0x22, 0x41, 0x5c, 0x7f, 0x80, 0x8f, 0x90,
        0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xed, 0xef,
        0xf0, 0xf1, 0xf4, 0xf5, 0xff
    };

    bad = 0;
    x = 2463534242u;

    for (i = 0; i < 100000; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;

        len = x % sizeof(in);

        for (k = 0; k < len; k++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;

            in[k] = pick[x % sizeof(pick)];
        }

        rc = rtk_jt_check(in, len);
        if (rc != 0 && bad++ < 5) {
            RTK_CHECK(rc == 0, "random input %zu: %d", i, rc);
        }
    }

    RTK_CHECK(bad == 0, "%d random inputs break the invariants", bad);
}


static int
rtk_jt_pre(const char *in, size_t len, const char *want, size_t pos)
{
    int  rc;

    rtk_jt_what = "(accepted)";
    rtk_jt_pos = 0;

    rc = rtk_json_prelude((const unsigned char *) in, len, &rtk_jt_pos,
                          &rtk_jt_what);

    if (want == NULL) {
        return rc == RTK_OK ? 0 : -1;
    }

    if (rc != RTK_ERROR || strcmp(rtk_jt_what, want) != 0
        || rtk_jt_pos != pos)
    {
        return -1;
    }

    return 0;
}


static void
rtk_jt_test_prelude(void)
{
    /* what yajl accepts as well */
    RTK_JT_PRE("", NULL, 0);
    RTK_JT_PRE(" \t\r\n{ \"a\" : [ 1 , true ] }\r\n", NULL, 0);
    RTK_JT_PRE("{\"a\":\"caf\xc3\xa9 \xf0\x9f\x98\x80\"}", NULL, 0);
    RTK_JT_PRE("{\"a\":\"\\ud83d\\ude00 \\udbff\\udfff\"}", NULL, 0);
    RTK_JT_PRE("{\"a\":\"\\\\ud800\"}", NULL, 0);
    RTK_JT_PRE("{\"a\":\"\\\"\\\\\"}", NULL, 0);
    RTK_JT_PRE("{\"a\":\"\\u000b\\f\"}", NULL, 0);
    RTK_JT_PRE("{\"a\":\"\xef\xbb\xbf\"}", NULL, 0);

    /* left to yajl, which refuses them: a raw VT or FF in a string */
    RTK_JT_PRE("{\"a\":\"\v\f\"}", NULL, 0);

    /* VT and FF as whitespace, anywhere outside strings */
    RTK_JT_PRE("\v{}", "vertical tab outside a string", 0);
    RTK_JT_PRE("{}\f", "form feed outside a string", 2);
    RTK_JT_PRE("{\"a\"\v:1}", "vertical tab outside a string", 4);
    RTK_JT_PRE("{\"a\":[1,\f2]}", "form feed outside a string", 8);
    RTK_JT_PRE("{\"a\\\"\":1\v}", "vertical tab outside a string", 8);
    RTK_JT_PRE("{\"a\\\\\"\f:1}", "form feed outside a string", 6);

    /* the byte order mark only where it starts the text */
    RTK_JT_PRE("\xef\xbb\xbf{}", "byte order mark", 0);
    RTK_JT_PRE(" \xef\xbb\xbf{}", NULL, 0);

    /* NUL anywhere */
    RTK_JT_PRE("\0", "NUL byte", 0);
    RTK_JT_PRE("{\"a\0\":1}", "NUL byte", 3);
    RTK_JT_PRE("{}\0", "NUL byte", 2);
    RTK_JT_PRE("{\"a\\\0\":1}", "NUL byte", 4);

    /* UTF-8, strictly, in and outside strings */
    RTK_JT_PRE("{\"a\xff\":1}", "invalid UTF-8", 3);
    RTK_JT_PRE("{\"\xc0\xaf\":1}", "invalid UTF-8", 2);
    RTK_JT_PRE("{\"\xed\xa0\x80\":1}", "invalid UTF-8", 2);
    RTK_JT_PRE("{\"\xf4\x90\x80\x80\":1}", "invalid UTF-8", 2);
    RTK_JT_PRE("{\"\xe2\x82\"}", "invalid UTF-8", 2);
    RTK_JT_PRE("\x80", "invalid UTF-8", 0);

    /* surrogate escapes that do not pair up */
    RTK_JT_PRE("[\"\\ud800\"]", "unpaired surrogate escape", 2);
    RTK_JT_PRE("[\"x\\uDC00\"]", "unpaired surrogate escape", 3);
    RTK_JT_PRE("[\"\\ud800\\u0041\"]", "unpaired surrogate escape", 2);
    RTK_JT_PRE("[\"\\ude00\\ud83d\"]", "unpaired surrogate escape", 2);
    RTK_JT_PRE("[\"\\ud83d\\ude00\\ud800\"]",
               "unpaired surrogate escape", 14);

    /* the first flaw in the text wins */
    RTK_JT_PRE("{\"\\udc00\"\v}", "unpaired surrogate escape", 2);
    RTK_JT_PRE("{\v\"\\udc00\"}", "vertical tab outside a string", 1);
    RTK_JT_PRE("{\"\xff\"\0}", "invalid UTF-8", 2);

    /* malformed escapes are yajl's to refuse; scanning goes on */
    RTK_JT_PRE("[\"\\u12\"]\f", "form feed outside a string", 8);
    RTK_JT_PRE("[\"\\x\"]\v", "vertical tab outside a string", 6);
}


int
main(void)
{
    (void) rtk_test_alloc;

    rtk_jt_test_exact();
    rtk_jt_test_exhaustive();
    rtk_jt_test_random();
    rtk_jt_test_prelude();

    return rtk_test_report("json");
}
