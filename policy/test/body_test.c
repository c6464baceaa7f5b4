
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * rtk_body_parse() and rtk_body_serialize(): every error code, the JSON
 * corners where parsers disagree, and the exact canonical bytes; most
 * of it as an edit (PATCH), then what each operation requires.
 */


#include "rtk_test.h"
#include "rtk_body.h"


#define RTK_BT_URL         "https://example.com/hook"

#define RTK_BT_CODE(json, want)                                              \
    RTK_CHECK(rtk_bt_code(json, sizeof(json) - 1) == (want),                 \
              "%s: got %d, want %d (%s)", #json, rtk_bt_last.code, want,     \
              rtk_bt_last.message)

#define RTK_BT_CANON(json, canon)                                            \
    RTK_CHECK(rtk_bt_canon(json, sizeof(json) - 1, canon) == 0,              \
              "%s: got \"%s\" (%s)", #json, rtk_bt_out, rtk_bt_last.message)


static void *rtk_bt_alloc(void *data, size_t size);
static int rtk_bt_code(const char *json, size_t len);
static int rtk_bt_canon(const char *json, size_t len, const char *canon);
static char *rtk_bt_repeat(const char *head, const char *unit, size_t n,
    const char *tail, size_t *len);
static void rtk_bt_test_lookup(void);
static void rtk_bt_test_valid(void);
static void rtk_bt_test_canonical(void);
static void rtk_bt_test_syntax(void);
static void rtk_bt_test_whitespace(void);
static void rtk_bt_test_utf8(void);
static void rtk_bt_test_escapes(void);
static void rtk_bt_test_numbers(void);
static void rtk_bt_test_nesting(void);
static void rtk_bt_test_duplicates(void);
static void rtk_bt_test_unknown(void);
static void rtk_bt_test_types(void);
static void rtk_bt_test_events(void);
static void rtk_bt_test_name(void);
static void rtk_bt_test_url(void);
static void rtk_bt_test_precedence(void);
static void rtk_bt_test_messages(void);
static void rtk_bt_test_nomem(void);
static void rtk_bt_test_serialize(void);
static void rtk_bt_test_no_body(void);
static void rtk_bt_test_required(void);
static void rtk_bt_test_edit(void);


static long         rtk_bt_allocs_left = -1;   /* -1: never fail */

static int          rtk_bt_op = RTK_OP_EDIT;
static rtk_error_t  rtk_bt_last;
static rtk_body_t   rtk_bt_body;
static char         rtk_bt_out[4096];


/* the shared test pool, with a countdown to simulate exhaustion */

static void *
rtk_bt_alloc(void *data, size_t size)
{
    if (rtk_bt_allocs_left == 0) {
        return NULL;
    }

    if (rtk_bt_allocs_left > 0) {
        rtk_bt_allocs_left--;
    }

    return rtk_test_alloc(data, size);
}


/* 0 on success, else the error code; checks the error's shape too */

static int
rtk_bt_code(const char *json, size_t len)
{
    int     rc;
    size_t  i, n;

    memset(&rtk_bt_last, 0, sizeof(rtk_error_t));

    rc = rtk_body_parse(&rtk_bt_body, rtk_bt_op, (const unsigned char *) json,
                        len, rtk_bt_alloc, NULL, &rtk_bt_last);

    if (rc == RTK_OK) {
        return 0;
    }

    RTK_CHECK(rc == RTK_ERROR, "rc %d", rc);
    RTK_CHECK(rtk_bt_last.status == rtk_bt_last.code / 100,
              "status %d code %d", rtk_bt_last.status, rtk_bt_last.code);

    n = strlen(rtk_bt_last.message);
    RTK_CHECK(n > 0 && n < RTK_ERROR_MESSAGE_MAX, "message length %zu", n);

    for (i = 0; i < n; i++) {
        if ((unsigned char) rtk_bt_last.message[i] < 0x20
            || (unsigned char) rtk_bt_last.message[i] > 0x7e)
        {
            break;
        }
    }

    RTK_CHECK(i == n, "raw byte 0x%02x in message \"%s\"",
              (unsigned char) rtk_bt_last.message[i], rtk_bt_last.message);

    return rtk_bt_last.code;
}


/* parse, serialize, compare with canon, then parse canon to the same */

static int
rtk_bt_canon(const char *json, size_t len, const char *canon)
{
    size_t          n, n2;
    rtk_body_t      first;
    unsigned char  *out, *out2;

    rtk_bt_out[0] = '\0';

    if (rtk_bt_code(json, len) != 0) {
        return -1;
    }

    first = rtk_bt_body;

    if (rtk_body_serialize(&first, rtk_bt_alloc, NULL, &out, &n) != RTK_OK) {
        return -1;
    }

    snprintf(rtk_bt_out, sizeof(rtk_bt_out), "%.*s", (int) n, out);

    if (n != strlen(canon) || memcmp(out, canon, n) != 0) {
        return -1;
    }

    if (rtk_bt_code((const char *) out, n) != 0) {
        return -1;
    }

    /* a default is explicit once serialized: the same body, sent */
    if (rtk_bt_body.fields != first.fields
        || rtk_bt_body.defaults != 0
        || rtk_bt_body.enabled != first.enabled
        || rtk_bt_body.events != first.events
        || rtk_bt_body.name_len != first.name_len
        || rtk_bt_body.url_len != first.url_len
        || (first.name_len
            && memcmp(rtk_bt_body.name, first.name, first.name_len) != 0)
        || (first.url_len
            && memcmp(rtk_bt_body.url, first.url, first.url_len) != 0))
    {
        return -1;
    }

    if (rtk_body_serialize(&rtk_bt_body, rtk_bt_alloc, NULL, &out2, &n2)
        != RTK_OK)
    {
        return -1;
    }

    if (n2 != n || memcmp(out, out2, n) != 0) {
        return -1;
    }

    return 0;
}


/* head + n * unit + tail, malloc()ed; the caller frees it */

static char *
rtk_bt_repeat(const char *head, const char *unit, size_t n, const char *tail,
    size_t *len)
{
    char    *buf, *p;
    size_t   hl, ul, tl, i;

    hl = strlen(head);
    ul = strlen(unit);
    tl = strlen(tail);

    buf = malloc(hl + n * ul + tl + 1);
    if (buf == NULL) {
        abort();
    }

    p = buf;
    memcpy(p, head, hl);
    p += hl;

    for (i = 0; i < n; i++) {
        memcpy(p, unit, ul);
        p += ul;
    }

    memcpy(p, tail, tl);
    p += tl;
    *p = '\0';

    *len = p - buf;

    return buf;
}


static void
rtk_bt_test_lookup(void)
{
    int          i;
    const char  *s;

    static const char  *names[RTK_EVENT_COUNT] = {
        "meeting.started", "meeting.ended", "meeting.participantJoined",
        "meeting.participantLeft", "recording.statusUpdate",
        "livestreaming.statusUpdate", "meeting.chatSynced",
        "meeting.transcript", "meeting.summary"
    };

    for (i = 0; i < RTK_EVENT_COUNT; i++) {
        RTK_CHECK(strcmp(rtk_event_names[i], names[i]) == 0, "event %d", i);
        RTK_CHECK(rtk_event_lookup((const unsigned char *) names[i],
                                   strlen(names[i]))
                  == i, "lookup %s", names[i]);
    }

    s = "meeting.started";
    RTK_CHECK(rtk_event_lookup((const unsigned char *) s, 14) == -1,
              "prefix");
    RTK_CHECK(rtk_event_lookup((const unsigned char *) "", 0) == -1,
              "empty");
    RTK_CHECK(rtk_event_lookup((const unsigned char *) "meeting.startedx",
                               16)
              == -1, "longer");
    RTK_CHECK(rtk_event_lookup((const unsigned char *) "MEETING.STARTED",
                               15)
              == -1, "case");

    RTK_CHECK(strcmp(rtk_field_names[0], "enabled") == 0, "field 0");
    RTK_CHECK(strcmp(rtk_field_names[1], "events") == 0, "field 1");
    RTK_CHECK(strcmp(rtk_field_names[2], "name") == 0, "field 2");
    RTK_CHECK(strcmp(rtk_field_names[3], "url") == 0, "field 3");

    RTK_CHECK(RTK_FIELD_ENABLED == 1 << 0 && RTK_FIELD_EVENTS == 1 << 1
              && RTK_FIELD_NAME == 1 << 2 && RTK_FIELD_URL == 1 << 3,
              "field bits");
}


static void
rtk_bt_test_valid(void)
{
    rtk_body_t  *b;

    b = &rtk_bt_body;

    RTK_BT_CODE("{\"enabled\":true}", 0);
    RTK_CHECK(b->fields == RTK_FIELD_ENABLED && b->enabled == 1,
              "enabled true: fields %u enabled %u", b->fields, b->enabled);

    RTK_BT_CODE("{\"enabled\":false}", 0);
    RTK_CHECK(b->fields == RTK_FIELD_ENABLED && b->enabled == 0,
              "enabled false: fields %u enabled %u", b->fields, b->enabled);

    RTK_BT_CODE("{\"events\":[\"meeting.ended\",\"meeting.summary\"]}", 0);
    RTK_CHECK(b->fields == RTK_FIELD_EVENTS && b->events == (0x02 | 0x100),
              "events: fields %u events %x", b->fields, b->events);

    RTK_BT_CODE("{\"events\":[\"meeting.started\",\"meeting.ended\","
                "\"meeting.participantJoined\",\"meeting.participantLeft\","
                "\"recording.statusUpdate\",\"livestreaming.statusUpdate\","
                "\"meeting.chatSynced\",\"meeting.transcript\","
                "\"meeting.summary\"]}", 0);
    RTK_CHECK(b->events == RTK_EVENTS_ALL, "all events %x", b->events);

    RTK_BT_CODE("{\"name\":\"hook\"}", 0);
    RTK_CHECK(b->fields == RTK_FIELD_NAME && b->name_len == 4
              && memcmp(b->name, "hook", 4) == 0, "name");

    RTK_BT_CODE("{\"url\":\"" RTK_BT_URL "\"}", 0);
    RTK_CHECK(b->fields == RTK_FIELD_URL
              && b->url_len == sizeof(RTK_BT_URL) - 1
              && memcmp(b->url, RTK_BT_URL, b->url_len) == 0, "url");
    RTK_CHECK(b->url_parsed.https == 1 && b->url_parsed.host_len == 11
              && memcmp(b->url_parsed.host, "example.com", 11) == 0
              && b->url_parsed.port == 443, "url parsed");

    /* the parsed url points into the copy, not into the input */
    RTK_CHECK(b->url_parsed.path == NULL
              || (b->url_parsed.path >= b->url
                  && b->url_parsed.path < b->url + b->url_len),
              "url path points into body->url");

    RTK_BT_CODE(" \t\r\n{ \"enabled\" : true , \"name\" : \"x\" } \r\n\t ",
                0);
    RTK_CHECK(b->fields == (RTK_FIELD_ENABLED | RTK_FIELD_NAME),
              "whitespace: fields %u", b->fields);

    RTK_BT_CODE("{\"url\":\"" RTK_BT_URL "\",\"name\":\"n\",\"events\":"
                "[\"meeting.started\"],\"enabled\":false}", 0);
    RTK_CHECK(b->fields == 0x0f && b->enabled == 0 && b->events == 1,
              "all fields: %u", b->fields);

    /* a key spelled with an escape is the same key */
    RTK_BT_CODE("{\"n\\u0061me\":\"x\"}", 0);
    RTK_CHECK(b->fields == RTK_FIELD_NAME, "escaped key");
}


static void
rtk_bt_test_canonical(void)
{
    RTK_BT_CANON("{ \"url\" : \"https://example.com/a/b\", \"name\":\"n\", "
                 "\"events\":[\"meeting.summary\",\"meeting.started\"], "
                 "\"enabled\":false }",
                 "{\"enabled\":false,\"events\":[\"meeting.started\","
                 "\"meeting.summary\"],\"name\":\"n\","
                 "\"url\":\"https://example.com/a/b\"}");

    RTK_BT_CANON("{\"events\":[\"meeting.summary\",\"meeting.transcript\","
                 "\"meeting.chatSynced\",\"livestreaming.statusUpdate\","
                 "\"recording.statusUpdate\",\"meeting.participantLeft\","
                 "\"meeting.participantJoined\",\"meeting.ended\","
                 "\"meeting.started\"]}",
                 "{\"events\":[\"meeting.started\",\"meeting.ended\","
                 "\"meeting.participantJoined\",\"meeting.participantLeft\","
                 "\"recording.statusUpdate\",\"livestreaming.statusUpdate\","
                 "\"meeting.chatSynced\",\"meeting.transcript\","
                 "\"meeting.summary\"]}");

    RTK_BT_CANON("{\"enabled\":true}", "{\"enabled\":true}");
    RTK_BT_CANON("{\"name\":\"x\"}", "{\"name\":\"x\"}");
    RTK_BT_CANON("{\"url\":\"" RTK_BT_URL "\"}",
                 "{\"url\":\"" RTK_BT_URL "\"}");
    RTK_BT_CANON("{\"name\":\"a\",\"enabled\":true}",
                 "{\"enabled\":true,\"name\":\"a\"}");

    /* escapes decode; what goes upstream is the decoded value */
    RTK_BT_CANON("{\"events\":[\"meeting.st\\u0061rted\"]}",
                 "{\"events\":[\"meeting.started\"]}");
    RTK_BT_CANON("{\"events\":[\"meeting\\u002estarted\"]}",
                 "{\"events\":[\"meeting.started\"]}");
    RTK_BT_CANON("{\"name\":\"\\u0041\\/b\"}", "{\"name\":\"A/b\"}");
    RTK_BT_CANON("{\"name\":\"q\\\"b\\\\s\"}", "{\"name\":\"q\\\"b\\\\s\"}");

    /* non-ASCII is sent as raw UTF-8, however the client wrote it */
    RTK_BT_CANON("{\"name\":\"caf\\u00e9 \\u4e2d\"}",
                 "{\"name\":\"caf\xc3\xa9 \xe4\xb8\xad\"}");
    RTK_BT_CANON("{\"name\":\"caf\xc3\xa9\"}", "{\"name\":\"caf\xc3\xa9\"}");
    RTK_BT_CANON("{\"name\":\"\\ud83d\\ude00\"}",
                 "{\"name\":\"\xf0\x9f\x98\x80\"}");
    RTK_BT_CANON("{\"name\":\"\\uD83D\\uDE00\"}",
                 "{\"name\":\"\xf0\x9f\x98\x80\"}");
    RTK_BT_CANON("{\"name\":\"\xf0\x9f\x98\x80\"}",
                 "{\"name\":\"\xf0\x9f\x98\x80\"}");
    RTK_BT_CANON("{\"name\":\"\\u2028\\u2029\"}",
                 "{\"name\":\"\xe2\x80\xa8\xe2\x80\xa9\"}");
    RTK_BT_CANON("{\"name\":\"\xf4\x8f\xbf\xbf\"}",
                 "{\"name\":\"\xf4\x8f\xbf\xbf\"}");
    RTK_BT_CANON("{\"name\":\"\\u0080\"}", "{\"name\":\"\xc2\x80\"}");

    /* '/' stays as it is */
    RTK_BT_CANON("{\"url\":\"https:\\/\\/example.com\\/a\"}",
                 "{\"url\":\"https://example.com/a\"}");
}


static void
rtk_bt_test_syntax(void)
{
    RTK_BT_CODE("", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE(" ", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE(" \t\r\n ", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"enabled\"", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"enabled\":", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"enabled\":true", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"enabled\":true,", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"enabled\":tru", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"name\":\"ab", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"events\":[\"meeting.started\"", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"events\":[\"meeting.started\"}", RTK_E_JSON_SYNTAX);

    /* concatenated documents and trailing data */
    RTK_BT_CODE("{\"enabled\":true}{\"enabled\":false}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"enabled\":true} {}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"enabled\":true}\n{\"enabled\":true}",
                RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"enabled\":true} x", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"enabled\":true}}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"enabled\":true}]", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"enabled\":true} 1", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"enabled\":true}\"", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"enabled\":true}\n", 0);
    RTK_BT_CODE("{\"enabled\":true} \t\r\n", 0);

    /* yajl alone accepts these: an unfinished string after the end */
    RTK_BT_CODE("{\"enabled\":true} \"abc", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"enabled\":true}\"\\", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"enabled\":true}\"\\u12", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"enabled\":true}\n\"{\\\"name\\\":1}",
                RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"foo\":true}\"", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("\"x\" \"", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("[] \"", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("1 \"", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"enabled\":true} tru", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"enabled\":true} -", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"enabled\":true} 1.", RTK_E_JSON_SYNTAX);

    /* comments */
    RTK_BT_CODE("{\"enabled\":true /* c */}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("// c\n{\"enabled\":true}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"enabled\":true} // c", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"enabled\":true}/**/", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("# c\n{\"enabled\":true}", RTK_E_JSON_SYNTAX);

    /* JSON5 and other relaxations */
    RTK_BT_CODE("{'enabled':true}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"name\":'x'}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{enabled:true}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"enabled\":true,}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{,\"enabled\":true}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"events\":[\"meeting.started\",]}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"events\":[,\"meeting.started\"]}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"enabled\":True}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"enabled\":TRUE}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"enabled\" true}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"enabled\"=true}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"enabled\":true \"name\":\"x\"}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"enabled\":undefined}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"name\":\"\\x41\"}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"name\":\"\\a\"}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"name\":\"\\u12\"}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"name\":\"\\u12g4\"}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"name\":\"\\\"}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"name\":\"x\"\"y\"}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"na\"\"me\":\"x\"}", RTK_E_JSON_SYNTAX);

    /* raw control characters inside strings */
    RTK_BT_CODE("{\"name\":\"a\tb\"}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"name\":\"a\nb\"}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"name\":\"a\x01" "b\"}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"name\":\"a\x1f" "b\"}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"na\tme\":\"x\"}", RTK_E_JSON_SYNTAX);

    /* raw NUL anywhere */
    RTK_BT_CODE("{\"name\":\"a\0b\"}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"enabled\":true}\0", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("\0{\"enabled\":true}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"enabled\"\0:true}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("\0", RTK_E_JSON_SYNTAX);

    /* byte order marks and other encodings */
    RTK_BT_CODE("\xef\xbb\xbf{\"enabled\":true}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("\xef\xbb\xbf", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("\xfe\xff{\"enabled\":true}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("\xff\xfe{\0\"\0", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE(" \xef\xbb\xbf{\"enabled\":true}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"enabled\":true}\xef\xbb\xbf", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("\xc2\xa0{\"enabled\":true}", RTK_E_JSON_SYNTAX);

    /* non-JSON tokens */
    RTK_BT_CODE("{\"enabled\":NaN}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"enabled\":Infinity}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"enabled\":-Infinity}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"enabled\":+1}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"enabled\":01}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"enabled\":.5}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"enabled\":1.}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"enabled\":0x10}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"enabled\":-}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"enabled\":1e}", RTK_E_JSON_SYNTAX);
}


/* JSON whitespace is SP, HT, LF and CR; yajl also skips VT and FF */

static void
rtk_bt_test_whitespace(void)
{
    RTK_BT_CODE(" \t\r\n{ \t\r\n\"enabled\" \t\r\n: \t\r\ntrue"
                " \t\r\n} \t\r\n", 0);

    RTK_BT_CODE("{\v\"name\":\"x\"\f}", RTK_E_JSON_SYNTAX);
    RTK_CHECK(rtk_bt_last.status == 400
              && strcmp(rtk_bt_last.message, "invalid JSON: vertical tab "
                        "outside a string at offset 1") == 0,
              "VT: %d \"%s\"", rtk_bt_last.status, rtk_bt_last.message);

    RTK_BT_CODE("{\"name\":\"x\"\f}", RTK_E_JSON_SYNTAX);
    RTK_CHECK(rtk_bt_last.status == 400
              && strcmp(rtk_bt_last.message, "invalid JSON: form feed "
                        "outside a string at offset 11") == 0,
              "FF: %d \"%s\"", rtk_bt_last.status, rtk_bt_last.message);

    /* in every place whitespace may be */
    RTK_BT_CODE("\v{\"enabled\":true}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("\f{\"enabled\":true}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"enabled\"\v:true}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"enabled\":\ftrue}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"events\":[\v\"meeting.started\"]}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"events\":[\"meeting.started\"\f,"
                "\"meeting.ended\"]}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"enabled\":true}\v", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"enabled\":true}\n\f\n", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("\v", RTK_E_JSON_SYNTAX);

    /* before any schema error */
    RTK_BT_CODE("{\"foo\":1,\v\"enabled\":true}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("[\f]", RTK_E_JSON_SYNTAX);

    /* raw inside a string they are control characters: yajl's refusal */
    RTK_BT_CODE("{\"name\":\"a\vb\"}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"name\":\"a\fb\"}", RTK_E_JSON_SYNTAX);

    /* escaped they are text, and "\f" a control character in a name */
    RTK_BT_CODE("{\"name\":\"a\\fb\"}", RTK_E_FIELD_VALUE);
    RTK_BT_CODE("{\"name\":\"a\\u000bb\"}", RTK_E_FIELD_VALUE);

    /* NUL, byte order mark: the same prelude, the same answer */
    RTK_BT_CODE("{\"enabled\":true}\0", RTK_E_JSON_SYNTAX);
    RTK_CHECK(strcmp(rtk_bt_last.message,
                     "invalid JSON: NUL byte at offset 16") == 0,
              "NUL: \"%s\"", rtk_bt_last.message);

    RTK_BT_CODE("{\"name\":\"\xc0\xaf\"}", RTK_E_JSON_SYNTAX);
    RTK_CHECK(strcmp(rtk_bt_last.message,
                     "invalid JSON: invalid UTF-8 at offset 9") == 0,
              "UTF-8: \"%s\"", rtk_bt_last.message);
}


static void
rtk_bt_test_utf8(void)
{
    /* valid forms at the edges */
    RTK_BT_CODE("{\"name\":\"\xc2\x80\"}", 0);
    RTK_BT_CODE("{\"name\":\"\xdf\xbf\"}", 0);
    RTK_BT_CODE("{\"name\":\"\xe0\xa0\x80\"}", 0);
    RTK_BT_CODE("{\"name\":\"\xed\x9f\xbf\"}", 0);
    RTK_BT_CODE("{\"name\":\"\xee\x80\x80\"}", 0);
    RTK_BT_CODE("{\"name\":\"\xef\xbf\xbf\"}", 0);
    RTK_BT_CODE("{\"name\":\"\xf0\x90\x80\x80\"}", 0);
    RTK_BT_CODE("{\"name\":\"\xf4\x8f\xbf\xbf\"}", 0);

    /* invalid: stray, truncated, overlong, surrogates, too large */
    RTK_BT_CODE("{\"name\":\"\xff\"}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"name\":\"\xfe\"}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"name\":\"\x80\"}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"name\":\"a\xbf" "b\"}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"name\":\"\xc3\"}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"name\":\"\xe2\x82\"}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"name\":\"\xf0\x9f\x98\"}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"name\":\"\xc0\xaf\"}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"name\":\"\xc1\xbf\"}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"name\":\"\xc0\x80\"}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"name\":\"\xe0\x80\xaf\"}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"name\":\"\xe0\x9f\xbf\"}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"name\":\"\xf0\x80\x80\xaf\"}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"name\":\"\xf0\x8f\xbf\xbf\"}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"name\":\"\xed\xa0\x80\"}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"name\":\"\xed\xbf\xbf\"}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"name\":\"\xed\xa0\xbd\xed\xb8\x80\"}",
                RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"name\":\"\xf4\x90\x80\x80\"}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"name\":\"\xf5\x80\x80\x80\"}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"name\":\"\xf8\x88\x80\x80\x80\"}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"name\":\"\xe2\x28\xa1\"}", RTK_E_JSON_SYNTAX);

    /* in keys, events and url too, and before any schema check */
    RTK_BT_CODE("{\"na\xc0\xafme\":\"x\"}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"\xff\":1}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"events\":[\"\xed\xa0\x80\"]}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"url\":\"https://example.com/\xc0\xaf\"}",
                RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"foo\":\"\xff\"}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"foo\":1,\"name\":\"\xff\"}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"enabled\":1,\"x\":[{\"\xc0\xaf\":2}]}",
                RTK_E_JSON_SYNTAX);
}


static void
rtk_bt_test_escapes(void)
{
    /* surrogate escapes that do not pair up are not text */
    RTK_BT_CODE("{\"name\":\"\\ud800\"}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"name\":\"\\udbff\"}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"name\":\"\\udc00\"}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"name\":\"\\udfff\"}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"name\":\"\\uDC00\"}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"name\":\"\\ud800x\"}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"name\":\"\\ud800xy\"}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"name\":\"\\ud800\\u0041\"}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"name\":\"\\ud800\\ud800\"}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"name\":\"\\ud800\\n\"}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"name\":\"\\ude00\\ud83d\"}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"name\":\"a\\ud800\"}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"n\\ud800ame\":\"x\"}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"events\":[\"meeting.started\\udc00\"]}",
                RTK_E_JSON_SYNTAX);

    /* a pair is fine, so is a backslash before a 'u' that is text */
    RTK_BT_CODE("{\"name\":\"\\ud83d\\ude00\"}", 0);
    RTK_BT_CODE("{\"name\":\"\\udbff\\udfff\"}", 0);
    RTK_BT_CODE("{\"name\":\"\\\\ud800\"}", 0);
    RTK_CHECK(rtk_bt_body.name_len == 6
              && memcmp(rtk_bt_body.name, "\\ud800", 6) == 0, "\\\\u");
    RTK_BT_CODE("{\"name\":\"\\\\\\ud83d\\ude00\"}", 0);

    /* the text "\ud800" outside a string is just a syntax error */
    RTK_BT_CODE("{\"name\":\"x\"} \\ud800", RTK_E_JSON_SYNTAX);

    /* \u0000 decodes to NUL: refused wherever it matters */
    RTK_BT_CODE("{\"name\":\"a\\u0000b\"}", RTK_E_FIELD_VALUE);
    RTK_BT_CODE("{\"name\":\"\\u0000\"}", RTK_E_FIELD_VALUE);
    RTK_BT_CODE("{\"events\":[\"meeting.started\\u0000\"]}",
                RTK_E_FIELD_VALUE);
    RTK_BT_CODE("{\"name\\u0000\":\"x\"}", RTK_E_FIELD_UNKNOWN);
    RTK_BT_CODE("{\"url\":\"" RTK_BT_URL "\\u0000\"}", RTK_E_URL_INVALID);
}


static void
rtk_bt_test_numbers(void)
{
    RTK_BT_CODE("{\"enabled\":1}", RTK_E_FIELD_TYPE);
    RTK_BT_CODE("{\"enabled\":0}", RTK_E_FIELD_TYPE);
    RTK_BT_CODE("{\"enabled\":-0}", RTK_E_FIELD_TYPE);
    RTK_BT_CODE("{\"enabled\":1.5}", RTK_E_FIELD_TYPE);
    RTK_BT_CODE("{\"enabled\":1e999999}", RTK_E_FIELD_TYPE);
    RTK_BT_CODE("{\"enabled\":-1e-999999}", RTK_E_FIELD_TYPE);
    RTK_BT_CODE("{\"name\":123456789012345678901234567890123456789}",
                RTK_E_FIELD_TYPE);
    RTK_BT_CODE("{\"events\":[1e400]}", RTK_E_FIELD_TYPE);
    RTK_BT_CODE("{\"url\":9223372036854775808}", RTK_E_FIELD_TYPE);
    RTK_BT_CODE("1", RTK_E_FIELD_TYPE);
    RTK_BT_CODE("1e99999999999999999999", RTK_E_FIELD_TYPE);
}


static void
rtk_bt_test_nesting(void)
{
    int      code;
    char    *buf;
    size_t   len;

    RTK_BT_CODE("{\"name\":{\"a\":1}}", RTK_E_FIELD_TYPE);
    RTK_BT_CODE("{\"name\":[\"x\"]}", RTK_E_FIELD_TYPE);
    RTK_BT_CODE("{\"events\":[[\"meeting.started\"]]}", RTK_E_FIELD_TYPE);
    RTK_BT_CODE("{\"events\":[\"meeting.started\",[]]}", RTK_E_FIELD_TYPE);
    RTK_BT_CODE("{\"events\":[{}]}", RTK_E_FIELD_TYPE);
    RTK_BT_CODE("{\"events\":{\"meeting.started\":true}}",
                RTK_E_FIELD_TYPE);
    RTK_BT_CODE("{\"enabled\":{\"enabled\":true}}", RTK_E_FIELD_TYPE);

    buf = rtk_bt_repeat("{\"events\":", "[", 100000, "", &len);
    code = rtk_bt_code(buf, len);
    RTK_CHECK(code == RTK_E_JSON_SYNTAX, "deep open arrays: %d", code);
    free(buf);

    buf = rtk_bt_repeat("", "[", 100000, "", &len);
    code = rtk_bt_code(buf, len);
    RTK_CHECK(code == RTK_E_JSON_SYNTAX, "deep open top: %d", code);
    free(buf);

    buf = rtk_bt_repeat("{\"name\":", "{\"a\":", 20000, "1", &len);
    code = rtk_bt_code(buf, len);
    RTK_CHECK(code == RTK_E_JSON_SYNTAX, "deep open maps: %d", code);
    free(buf);

    /* balanced deep nesting is valid JSON, but not our schema */
    {
        char    *open, *close, *all;
        size_t   olen, clen;

        open = rtk_bt_repeat("{\"events\":", "[", 50000, "", &olen);
        close = rtk_bt_repeat("", "]", 50000, "}", &clen);

        all = malloc(olen + clen);
        if (all == NULL) {
            abort();
        }

        memcpy(all, open, olen);
        memcpy(all + olen, close, clen);

        code = rtk_bt_code(all, olen + clen);
        RTK_CHECK(code == RTK_E_FIELD_TYPE, "deep balanced: %d", code);

        free(open);
        free(close);
        free(all);
    }
}


static void
rtk_bt_test_duplicates(void)
{
    RTK_BT_CODE("{\"enabled\":true,\"enabled\":true}", RTK_E_JSON_DUPLICATE);
    RTK_BT_CODE("{\"enabled\":true,\"enabled\":false}",
                RTK_E_JSON_DUPLICATE);
    RTK_BT_CODE("{\"enabled\":false,\"enabled\":true}",
                RTK_E_JSON_DUPLICATE);
    RTK_BT_CODE("{\"enabled\":true,\"name\":\"x\",\"enabled\":false}",
                RTK_E_JSON_DUPLICATE);
    RTK_BT_CODE("{\"name\":\"a\",\"name\":\"b\"}", RTK_E_JSON_DUPLICATE);
    RTK_BT_CODE("{\"name\":\"a\",\"name\":\"a\"}", RTK_E_JSON_DUPLICATE);
    RTK_BT_CODE("{\"url\":\"" RTK_BT_URL "\",\"events\":[\"meeting.ended\"],"
                "\"url\":\"https://evil.example/\"}", RTK_E_JSON_DUPLICATE);
    RTK_BT_CODE("{\"url\":\"https://evil.example/\",\"url\":\""
                RTK_BT_URL "\"}", RTK_E_JSON_DUPLICATE);
    RTK_BT_CODE("{\"events\":[\"meeting.ended\"],\"events\":"
                "[\"meeting.started\"]}", RTK_E_JSON_DUPLICATE);

    /* the same key in another spelling */
    RTK_BT_CODE("{\"name\":\"a\",\"n\\u0061me\":\"b\"}",
                RTK_E_JSON_DUPLICATE);
    RTK_BT_CODE("{\"\\u0065nabled\":true,\"enabled\":false}",
                RTK_E_JSON_DUPLICATE);

    /* detected at the key, before its value is looked at */
    RTK_BT_CODE("{\"name\":\"a\",\"name\":1}", RTK_E_JSON_DUPLICATE);
    RTK_BT_CODE("{\"name\":\"a\",\"name\":\"\"}", RTK_E_JSON_DUPLICATE);
    RTK_BT_CODE("{\"name\":1,\"name\":\"a\"}", RTK_E_FIELD_TYPE);
    RTK_BT_CODE("{\"name\":\"\",\"name\":\"a\"}", RTK_E_FIELD_VALUE);
}


static void
rtk_bt_test_unknown(void)
{
    RTK_BT_CODE("{\"foo\":1}", RTK_E_FIELD_UNKNOWN);
    RTK_BT_CODE("{\"foo\":\"x\"}", RTK_E_FIELD_UNKNOWN);
    RTK_BT_CODE("{\"enabled\":true,\"id\":\"x\"}", RTK_E_FIELD_UNKNOWN);
    RTK_BT_CODE("{\"Enabled\":true}", RTK_E_FIELD_UNKNOWN);
    RTK_BT_CODE("{\"NAME\":\"x\"}", RTK_E_FIELD_UNKNOWN);
    RTK_BT_CODE("{\"name \":\"x\"}", RTK_E_FIELD_UNKNOWN);
    RTK_BT_CODE("{\" name\":\"x\"}", RTK_E_FIELD_UNKNOWN);
    RTK_BT_CODE("{\"\":\"x\"}", RTK_E_FIELD_UNKNOWN);
    RTK_BT_CODE("{\"nam\":\"x\"}", RTK_E_FIELD_UNKNOWN);
    RTK_BT_CODE("{\"names\":\"x\"}", RTK_E_FIELD_UNKNOWN);
    RTK_BT_CODE("{\"event\":[\"meeting.started\"]}", RTK_E_FIELD_UNKNOWN);
    RTK_BT_CODE("{\"__proto__\":{}}", RTK_E_FIELD_UNKNOWN);
    RTK_BT_CODE("{\"n\xc3\xa1me\":\"x\"}", RTK_E_FIELD_UNKNOWN);
}


static void
rtk_bt_test_types(void)
{
    /* the document */
    RTK_BT_CODE("[]", RTK_E_FIELD_TYPE);
    RTK_BT_CODE("[{\"enabled\":true}]", RTK_E_FIELD_TYPE);
    RTK_BT_CODE("\"x\"", RTK_E_FIELD_TYPE);
    RTK_BT_CODE("null", RTK_E_FIELD_TYPE);
    RTK_BT_CODE("true", RTK_E_FIELD_TYPE);
    RTK_BT_CODE("0", RTK_E_FIELD_TYPE);

    /* enabled */
    RTK_BT_CODE("{\"enabled\":\"true\"}", RTK_E_FIELD_TYPE);
    RTK_BT_CODE("{\"enabled\":null}", RTK_E_FIELD_TYPE);
    RTK_BT_CODE("{\"enabled\":[]}", RTK_E_FIELD_TYPE);
    RTK_BT_CODE("{\"enabled\":[true]}", RTK_E_FIELD_TYPE);
    RTK_BT_CODE("{\"enabled\":{}}", RTK_E_FIELD_TYPE);

    /* events */
    RTK_BT_CODE("{\"events\":\"meeting.started\"}", RTK_E_FIELD_TYPE);
    RTK_BT_CODE("{\"events\":null}", RTK_E_FIELD_TYPE);
    RTK_BT_CODE("{\"events\":true}", RTK_E_FIELD_TYPE);
    RTK_BT_CODE("{\"events\":1}", RTK_E_FIELD_TYPE);
    RTK_BT_CODE("{\"events\":{}}", RTK_E_FIELD_TYPE);
    RTK_BT_CODE("{\"events\":[1]}", RTK_E_FIELD_TYPE);
    RTK_BT_CODE("{\"events\":[null]}", RTK_E_FIELD_TYPE);
    RTK_BT_CODE("{\"events\":[true]}", RTK_E_FIELD_TYPE);
    RTK_BT_CODE("{\"events\":[\"meeting.started\",null]}",
                RTK_E_FIELD_TYPE);
    RTK_BT_CODE("{\"events\":[\"meeting.started\",false]}",
                RTK_E_FIELD_TYPE);

    /* name, url */
    RTK_BT_CODE("{\"name\":1}", RTK_E_FIELD_TYPE);
    RTK_BT_CODE("{\"name\":true}", RTK_E_FIELD_TYPE);
    RTK_BT_CODE("{\"name\":null}", RTK_E_FIELD_TYPE);
    RTK_BT_CODE("{\"name\":[]}", RTK_E_FIELD_TYPE);
    RTK_BT_CODE("{\"name\":{}}", RTK_E_FIELD_TYPE);
    RTK_BT_CODE("{\"url\":1}", RTK_E_FIELD_TYPE);
    RTK_BT_CODE("{\"url\":false}", RTK_E_FIELD_TYPE);
    RTK_BT_CODE("{\"url\":null}", RTK_E_FIELD_TYPE);
    RTK_BT_CODE("{\"url\":[\"" RTK_BT_URL "\"]}", RTK_E_FIELD_TYPE);
    RTK_BT_CODE("{\"url\":{}}", RTK_E_FIELD_TYPE);

    /* the empty object: an edit of nothing (rtk_bt_test_edit) */
    RTK_BT_CODE("{}", 0);
    RTK_BT_CODE(" { } ", 0);
    RTK_BT_CODE("\n{\n}\n", 0);
    RTK_BT_CODE("{}{}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{}x", RTK_E_JSON_SYNTAX);
}


static void
rtk_bt_test_events(void)
{
    RTK_BT_CODE("{\"events\":[]}", RTK_E_FIELD_VALUE);
    RTK_BT_CODE("{\"events\":[ ]}", RTK_E_FIELD_VALUE);
    RTK_BT_CODE("{\"events\":[\"x\"]}", RTK_E_FIELD_VALUE);
    RTK_BT_CODE("{\"events\":[\"\"]}", RTK_E_FIELD_VALUE);
    RTK_BT_CODE("{\"events\":[\"Meeting.started\"]}", RTK_E_FIELD_VALUE);
    RTK_BT_CODE("{\"events\":[\" meeting.started\"]}", RTK_E_FIELD_VALUE);
    RTK_BT_CODE("{\"events\":[\"meeting.started \"]}", RTK_E_FIELD_VALUE);
    RTK_BT_CODE("{\"events\":[\"meeting.start\"]}", RTK_E_FIELD_VALUE);
    RTK_BT_CODE("{\"events\":[\"meeting_started\"]}", RTK_E_FIELD_VALUE);
    RTK_BT_CODE("{\"events\":[\"meeting.participantjoined\"]}",
                RTK_E_FIELD_VALUE);
    RTK_BT_CODE("{\"events\":[\"*\"]}", RTK_E_FIELD_VALUE);
    RTK_BT_CODE("{\"events\":[\"meeting.started\",\"meeting.started\"]}",
                RTK_E_FIELD_VALUE);
    RTK_BT_CODE("{\"events\":[\"meeting.started\",\"meeting.ended\","
                "\"meeting.st\\u0061rted\"]}", RTK_E_FIELD_VALUE);
    RTK_BT_CODE("{\"events\":[\"meeting.started\",\"bogus\","
                "\"meeting.ended\"]}", RTK_E_FIELD_VALUE);
    RTK_BT_CODE("{\"events\":[\"meeting.summary\",\"x\",1]}",
                RTK_E_FIELD_VALUE);
}


static void
rtk_bt_test_name(void)
{
    int     code;
    char   *buf;
    size_t  len;

    RTK_BT_CODE("{\"name\":\"\"}", RTK_E_FIELD_VALUE);
    RTK_BT_CODE("{\"name\":\"a\\tb\"}", RTK_E_FIELD_VALUE);
    RTK_BT_CODE("{\"name\":\"a\\nb\"}", RTK_E_FIELD_VALUE);
    RTK_BT_CODE("{\"name\":\"a\\rb\"}", RTK_E_FIELD_VALUE);
    RTK_BT_CODE("{\"name\":\"\\b\"}", RTK_E_FIELD_VALUE);
    RTK_BT_CODE("{\"name\":\"\\f\"}", RTK_E_FIELD_VALUE);
    RTK_BT_CODE("{\"name\":\"\\u001f\"}", RTK_E_FIELD_VALUE);
    RTK_BT_CODE("{\"name\":\"\\u001b[31m\"}", RTK_E_FIELD_VALUE);
    RTK_BT_CODE("{\"name\":\"\\u007f\"}", RTK_E_FIELD_VALUE);
    RTK_BT_CODE("{\"name\":\"a\x7f" "b\"}", RTK_E_FIELD_VALUE);
    RTK_BT_CODE("{\"name\":\" \"}", 0);
    RTK_BT_CODE("{\"name\":\"~\"}", 0);

    /* the limit is in bytes of UTF-8 */
    buf = rtk_bt_repeat("{\"name\":\"", "a", RTK_NAME_MAX, "\"}", &len);
    code = rtk_bt_code(buf, len);
    RTK_CHECK(code == 0 && rtk_bt_body.name_len == RTK_NAME_MAX,
              "name of 256: %d", code);
    free(buf);

    buf = rtk_bt_repeat("{\"name\":\"", "a", RTK_NAME_MAX + 1, "\"}", &len);
    code = rtk_bt_code(buf, len);
    RTK_CHECK(code == RTK_E_FIELD_VALUE, "name of 257: %d", code);
    free(buf);

    buf = rtk_bt_repeat("{\"name\":\"", "\xc3\xa9", RTK_NAME_MAX / 2, "\"}",
                        &len);
    code = rtk_bt_code(buf, len);
    RTK_CHECK(code == 0, "name of 128 x 2 bytes: %d", code);
    free(buf);

    buf = rtk_bt_repeat("{\"name\":\"", "\xe2\x98\x95", 86, "\"}", &len);
    code = rtk_bt_code(buf, len);
    RTK_CHECK(code == RTK_E_FIELD_VALUE, "name of 86 x 3 bytes: %d", code);
    free(buf);

    /* counted after decoding: 256 escapes of 6 bytes are 256 bytes */
    buf = rtk_bt_repeat("{\"name\":\"", "\\u0061", RTK_NAME_MAX, "\"}",
                        &len);
    code = rtk_bt_code(buf, len);
    RTK_CHECK(code == 0 && rtk_bt_body.name_len == RTK_NAME_MAX,
              "escaped name of 256: %d", code);
    free(buf);

    buf = rtk_bt_repeat("{\"name\":\"", "\\u00e9", 129, "\"}", &len);
    code = rtk_bt_code(buf, len);
    RTK_CHECK(code == RTK_E_FIELD_VALUE, "escaped name of 258: %d", code);
    free(buf);

    buf = rtk_bt_repeat("{\"name\":\"", "a", 100000, "\"}", &len);
    code = rtk_bt_code(buf, len);
    RTK_CHECK(code == RTK_E_FIELD_VALUE, "huge name: %d", code);
    free(buf);
}


static void
rtk_bt_test_url(void)
{
    int     code;
    char   *buf;
    size_t  len, n;

    RTK_BT_CODE("{\"url\":\"\"}", RTK_E_URL_INVALID);
    RTK_BT_CODE("{\"url\":\"not a url\"}", RTK_E_URL_INVALID);
    RTK_BT_CODE("{\"url\":\"example.com/hook\"}", RTK_E_URL_INVALID);
    RTK_BT_CODE("{\"url\":\"ftp://example.com/\"}", RTK_E_URL_INVALID);
    RTK_BT_CODE("{\"url\":\"javascript:alert(1)\"}", RTK_E_URL_INVALID);
    RTK_BT_CODE("{\"url\":\"https://\"}", RTK_E_URL_INVALID);
    RTK_BT_CODE("{\"url\":\"https://exa mple.com/\"}", RTK_E_URL_INVALID);
    RTK_BT_CODE("{\"url\":\"https://example.com/\\n\"}", RTK_E_URL_INVALID);

    code = rtk_bt_code("{\"url\":\"x\"}", 11);
    RTK_CHECK(code == RTK_E_URL_INVALID
              && rtk_bt_last.status == 400
              && strncmp(rtk_bt_last.message, "field \"url\": ", 13) == 0
              && strncmp(rtk_bt_last.message + 13, "url", 3) != 0,
              "url message: %d \"%s\"", code, rtk_bt_last.message);

    /* the length limit is checked first, as a bad value */
    n = RTK_URL_MAX - (sizeof("https://example.com/") - 1);

    buf = rtk_bt_repeat("{\"url\":\"https://example.com/", "a", n, "\"}",
                        &len);
    code = rtk_bt_code(buf, len);
    RTK_CHECK(code == 0 && rtk_bt_body.url_len == RTK_URL_MAX,
              "url of 2048: %d (%s)", code, rtk_bt_last.message);
    free(buf);

    buf = rtk_bt_repeat("{\"url\":\"https://example.com/", "a", n + 1,
                        "\"}", &len);
    code = rtk_bt_code(buf, len);
    RTK_CHECK(code == RTK_E_FIELD_VALUE, "url of 2049: %d", code);
    free(buf);

    RTK_BT_CODE("{\"url\":\"http://example.com\"}", 0);
    RTK_CHECK(rtk_bt_body.url_parsed.https == 0
              && rtk_bt_body.url_parsed.port == 80, "http url");
}


static void
rtk_bt_test_precedence(void)
{
    /* the first schema error in document order */
    RTK_BT_CODE("{\"foo\":1,\"enabled\":\"x\"}", RTK_E_FIELD_UNKNOWN);
    RTK_BT_CODE("{\"enabled\":\"x\",\"foo\":1}", RTK_E_FIELD_TYPE);
    RTK_BT_CODE("{\"events\":[],\"foo\":1}", RTK_E_FIELD_VALUE);
    RTK_BT_CODE("{\"url\":\"x\",\"name\":\"\"}", RTK_E_URL_INVALID);
    RTK_BT_CODE("{\"name\":\"\",\"url\":\"x\"}", RTK_E_FIELD_VALUE);

    /* but a syntax error anywhere comes first */
    RTK_BT_CODE("{\"foo\":1", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"foo\":1}}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"foo\":1} garbage", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("[1,2", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"enabled\":1,", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"name\":\"a\",\"name\":\"b\",}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"events\":[]} {}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{\"foo\":1,\"bar\":\"\\ud800\"}", RTK_E_JSON_SYNTAX);
}


static void
rtk_bt_test_messages(void)
{
    int     code;
    char   *buf;
    size_t  len;

    RTK_BT_CODE("{\"events\":[\"bogus\"]}", RTK_E_FIELD_VALUE);
    RTK_CHECK(strcmp(rtk_bt_last.message,
                     "field \"events\": unknown event \"bogus\"") == 0,
              "message \"%s\"", rtk_bt_last.message);

    RTK_BT_CODE("{\"events\":[\"meeting.ended\",\"meeting.ended\"]}",
                RTK_E_FIELD_VALUE);
    RTK_CHECK(strstr(rtk_bt_last.message, "\"events\"") != NULL
              && strstr(rtk_bt_last.message, "duplicate") != NULL,
              "message \"%s\"", rtk_bt_last.message);

    RTK_BT_CODE("{\"events\":[]}", RTK_E_FIELD_VALUE);
    RTK_CHECK(strstr(rtk_bt_last.message, "field \"events\"") != NULL,
              "message \"%s\"", rtk_bt_last.message);

    RTK_BT_CODE("{\"enabled\":1}", RTK_E_FIELD_TYPE);
    RTK_CHECK(strstr(rtk_bt_last.message, "field \"enabled\"") != NULL,
              "message \"%s\"", rtk_bt_last.message);

    RTK_BT_CODE("{\"name\":\"a\",\"name\":\"b\"}", RTK_E_JSON_DUPLICATE);
    RTK_CHECK(strstr(rtk_bt_last.message, "field \"name\"") != NULL,
              "message \"%s\"", rtk_bt_last.message);

    RTK_BT_CODE("{\"name\":\"\\u0000\"}", RTK_E_FIELD_VALUE);
    RTK_CHECK(strstr(rtk_bt_last.message, "field \"name\"") != NULL,
              "message \"%s\"", rtk_bt_last.message);

    RTK_BT_CODE("{\"foo\":1}", RTK_E_FIELD_UNKNOWN);
    RTK_CHECK(strstr(rtk_bt_last.message, "\"foo\"") != NULL,
              "message \"%s\"", rtk_bt_last.message);

    /* client bytes are shown cut short and printable only */
    buf = rtk_bt_repeat("{\"", "k", 5000, "\":1}", &len);
    code = rtk_bt_code(buf, len);
    RTK_CHECK(code == RTK_E_FIELD_UNKNOWN
              && strlen(rtk_bt_last.message) < 100
              && strstr(rtk_bt_last.message,
                        "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk") != NULL
              && strstr(rtk_bt_last.message,
                        "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk") == NULL,
              "long key: %d \"%s\"", code, rtk_bt_last.message);
    free(buf);

    buf = rtk_bt_repeat("{\"events\":[\"", "e", 5000, "\"]}", &len);
    code = rtk_bt_code(buf, len);
    RTK_CHECK(code == RTK_E_FIELD_VALUE && strlen(rtk_bt_last.message) < 100,
              "long event: %d \"%s\"", code, rtk_bt_last.message);
    free(buf);

    buf = rtk_bt_repeat("{\"name\":\"", "x", 5000, "", &len);
    code = rtk_bt_code(buf, len);
    RTK_CHECK(code == RTK_E_JSON_SYNTAX
              && strstr(rtk_bt_last.message, "xxxxx") == NULL,
              "syntax error does not echo: %d \"%s\"", code,
              rtk_bt_last.message);
    free(buf);

    RTK_BT_CODE("{\"x\\n\\\"\\\\\xc3\xa9\":1}", RTK_E_FIELD_UNKNOWN);
    RTK_CHECK(strchr(rtk_bt_last.message, '\n') == NULL
              && strchr(rtk_bt_last.message, '\\') == NULL,
              "message \"%s\"", rtk_bt_last.message);

    RTK_BT_CODE("{\"events\":[\"\\u001b[2J\"]}", RTK_E_FIELD_VALUE);
    RTK_CHECK(strchr(rtk_bt_last.message, 0x1b) == NULL,
              "message \"%s\"", rtk_bt_last.message);

    rtk_bt_op = RTK_OP_CREATE;
    RTK_BT_CODE("{}", RTK_E_FIELD_MISSING);
    RTK_CHECK(rtk_bt_last.status == 400
              && strcmp(rtk_bt_last.message,
                        "field \"events\" is required") == 0,
              "%d \"%s\"", rtk_bt_last.status, rtk_bt_last.message);
    rtk_bt_op = RTK_OP_EDIT;

    /* checked before yajl sees the input, with a message of their own */
    RTK_BT_CODE("\xef\xbb\xbf{\"enabled\":true}", RTK_E_JSON_SYNTAX);
    RTK_CHECK(strstr(rtk_bt_last.message, "byte order mark") != NULL,
              "message \"%s\"", rtk_bt_last.message);

    RTK_BT_CODE("{\"name\":\"a\0b\"}", RTK_E_JSON_SYNTAX);
    RTK_CHECK(strstr(rtk_bt_last.message, "NUL byte at offset 10") != NULL,
              "message \"%s\"", rtk_bt_last.message);

    RTK_BT_CODE("{\"name\":\"x\\ud800\"}", RTK_E_JSON_SYNTAX);
    RTK_CHECK(strstr(rtk_bt_last.message, "surrogate") != NULL,
              "message \"%s\"", rtk_bt_last.message);

    RTK_BT_CODE("{\"enabled\":true} \"", RTK_E_JSON_SYNTAX);
    RTK_CHECK(strstr(rtk_bt_last.message, "trailing data at offset 17")
              != NULL, "message \"%s\"", rtk_bt_last.message);
}


static void
rtk_bt_test_nomem(void)
{
    int             rc;
    size_t          n;
    rtk_body_t      body;
    rtk_error_t     err;
    unsigned char  *out;

    static const char  json[] = "{\"name\":\"x\",\"url\":\"" RTK_BT_URL "\"}";

    rtk_bt_allocs_left = 0;
    rc = rtk_body_parse(&body, RTK_OP_EDIT, (const unsigned char *) json,
                        sizeof(json) - 1, rtk_bt_alloc, NULL, &err);
    RTK_CHECK(rc == RTK_ERROR && err.code == RTK_E_INTERNAL
              && err.status == 500, "nomem 0: %d %d", rc, err.code);

    rtk_bt_allocs_left = 1;
    rc = rtk_body_parse(&body, RTK_OP_EDIT, (const unsigned char *) json,
                        sizeof(json) - 1, rtk_bt_alloc, NULL, &err);
    RTK_CHECK(rc == RTK_ERROR && err.code == RTK_E_INTERNAL,
              "nomem 1: %d %d", rc, err.code);

    rtk_bt_allocs_left = 2;
    rc = rtk_body_parse(&body, RTK_OP_EDIT, (const unsigned char *) json,
                        sizeof(json) - 1, rtk_bt_alloc, NULL, &err);
    RTK_CHECK(rc == RTK_OK, "nomem 2: %d %d", rc, err.code);

    rtk_bt_allocs_left = 0;
    rc = rtk_body_serialize(&body, rtk_bt_alloc, NULL, &out, &n);
    RTK_CHECK(rc == RTK_ERROR, "serialize nomem: %d", rc);

    rtk_bt_allocs_left = -1;

    rc = rtk_body_parse(&body, RTK_OP_EDIT, NULL, 0, rtk_bt_alloc, NULL,
                        &err);
    RTK_CHECK(rc == RTK_ERROR && err.code == RTK_E_JSON_SYNTAX,
              "NULL, 0: %d %d", rc, err.code);

    /* no allocation without a name or url */
    rtk_bt_allocs_left = 0;
    rc = rtk_body_parse(&body, RTK_OP_EDIT,
                        (const unsigned char *) "{\"enabled\":true}", 16,
                        rtk_bt_alloc, NULL, &err);
    RTK_CHECK(rc == RTK_OK, "no allocation: %d", rc);
    rtk_bt_allocs_left = -1;
}


static void
rtk_bt_test_serialize(void)
{
    int             rc;
    size_t          n;
    rtk_body_t      body;
    unsigned char  *out;

    /* built by hand, as the policy tests and the module do */
    memset(&body, 0, sizeof(rtk_body_t));

    rc = rtk_body_serialize(&body, rtk_bt_alloc, NULL, &out, &n);
    RTK_CHECK(rc == RTK_OK && n == 2 && memcmp(out, "{}", 2) == 0,
              "empty body");

    body.fields = RTK_FIELD_ENABLED | RTK_FIELD_EVENTS;
    body.enabled = 1;
    body.events = 0x100 | 0x10 | 0x01;

    rc = rtk_body_serialize(&body, rtk_bt_alloc, NULL, &out, &n);
    RTK_CHECK(rc == RTK_OK && out[n] == '\0'
              && strcmp((char *) out,
                        "{\"enabled\":true,\"events\":[\"meeting.started\","
                        "\"recording.statusUpdate\",\"meeting.summary\"]}")
                 == 0, "by hand: %s", out);

    /* fields not flagged are left out even when set */
    body.fields = RTK_FIELD_NAME;
    body.name = (unsigned char *) "a\x01/\"";
    body.name_len = 4;

    rc = rtk_body_serialize(&body, rtk_bt_alloc, NULL, &out, &n);
    RTK_CHECK(rc == RTK_OK
              && strcmp((char *) out, "{\"name\":\"a\\u0001/\\\"\"}") == 0,
              "escaping: %s", out);

    /* invalid UTF-8 is refused rather than sent */
    body.name = (unsigned char *) "\xff";
    body.name_len = 1;

    rc = rtk_body_serialize(&body, rtk_bt_alloc, NULL, &out, &n);
    RTK_CHECK(rc == RTK_ERROR, "invalid UTF-8 serialized");
}


/* list, get and delete: no body at all, not even whitespace */

static void
rtk_bt_test_no_body(void)
{
    int          rc;
    size_t       i, k;
    rtk_body_t   body;
    rtk_error_t  err;

    static const int  ops[] = { RTK_OP_LIST, RTK_OP_GET, RTK_OP_DELETE };

    static const char  *bodies[] = {
        " ", "\r\n", "{}", "{\"name\":\"x\"}", "null", "\0", "x"
    };

    for (k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
        memset(&body, 0x5a, sizeof(rtk_body_t));

        rc = rtk_body_parse(&body, ops[k], NULL, 0, rtk_bt_alloc, NULL,
                            &err);
        RTK_CHECK(rc == RTK_OK && body.fields == 0 && body.defaults == 0
                  && body.name == NULL && body.url == NULL,
                  "%s: empty body: %d", rtk_op_name(ops[k]), rc);

        rc = rtk_body_parse(&body, ops[k], (const unsigned char *) "", 0,
                            rtk_bt_alloc, NULL, &err);
        RTK_CHECK(rc == RTK_OK, "%s: \"\": %d", rtk_op_name(ops[k]), rc);

        for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
            memset(&err, 0, sizeof(rtk_error_t));

            rc = rtk_body_parse(&body, ops[k],
                                (const unsigned char *) bodies[i],
                                bodies[i][0] ? strlen(bodies[i]) : 1,
                                rtk_bt_alloc, NULL, &err);

            RTK_CHECK(rc == RTK_ERROR && err.code == RTK_E_BODY_UNEXPECTED
                      && err.status == 400,
                      "%s: body \"%s\": %d %d", rtk_op_name(ops[k]),
                      bodies[i], rc, err.code);
        }
    }

    (void) rtk_body_parse(&body, RTK_OP_GET, (const unsigned char *) "{}", 2,
                          rtk_bt_alloc, NULL, &err);
    RTK_CHECK(strcmp(err.message, "a GET request takes no body") == 0,
              "get: \"%s\"", err.message);

    (void) rtk_body_parse(&body, RTK_OP_LIST, (const unsigned char *) " ", 1,
                          rtk_bt_alloc, NULL, &err);
    RTK_CHECK(strcmp(err.message, "a GET request takes no body") == 0,
              "list: \"%s\"", err.message);

    (void) rtk_body_parse(&body, RTK_OP_DELETE, (const unsigned char *) "{}",
                          2, rtk_bt_alloc, NULL, &err);
    RTK_CHECK(strcmp(err.message, "a DELETE request takes no body") == 0,
              "delete: \"%s\"", err.message);

    /* the same words from rtk_body_unexpected() */
    RTK_CHECK(rtk_body_unexpected(&err, RTK_OP_DELETE) == RTK_ERROR
              && err.code == RTK_E_BODY_UNEXPECTED && err.status == 400
              && strcmp(err.message, "a DELETE request takes no body") == 0,
              "unexpected: %d \"%s\"", err.code, err.message);

    RTK_CHECK(RTK_E_BODY_UNEXPECTED == 40016 && RTK_E_FIELD_MISSING == 40008,
              "stable codes");
}


/* create and replace: name, url and events; enabled defaults to true */

static void
rtk_bt_test_required(void)
{
    size_t  k;

    static const int  ops[] = { RTK_OP_CREATE, RTK_OP_REPLACE };

#define RTK_BT_ALL                                                           \
    "\"name\":\"n\",\"url\":\"" RTK_BT_URL "\",\"events\":[\"meeting.ended\"]"

    for (k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
        rtk_bt_op = ops[k];

        /* every field */
        RTK_BT_CODE("{" RTK_BT_ALL ",\"enabled\":false}", 0);
        RTK_CHECK(rtk_bt_body.fields == 0x0f && rtk_bt_body.defaults == 0
                  && rtk_bt_body.enabled == 0, "%s: all: %x %x",
                  rtk_op_name(ops[k]), rtk_bt_body.fields,
                  rtk_bt_body.defaults);

        RTK_BT_CANON("{" RTK_BT_ALL ",\"enabled\":false}",
                     "{\"enabled\":false,\"events\":[\"meeting.ended\"],"
                     "\"name\":\"n\",\"url\":\"" RTK_BT_URL "\"}");

        /* enabled omitted means true, and is then sent explicitly */
        RTK_BT_CODE("{" RTK_BT_ALL "}", 0);
        RTK_CHECK(rtk_bt_body.fields == 0x0f
                  && rtk_bt_body.defaults == RTK_FIELD_ENABLED
                  && rtk_bt_body.enabled == 1, "%s: default: %x %x %u",
                  rtk_op_name(ops[k]), rtk_bt_body.fields,
                  rtk_bt_body.defaults, rtk_bt_body.enabled);

        RTK_BT_CANON("{" RTK_BT_ALL "}",
                     "{\"enabled\":true,\"events\":[\"meeting.ended\"],"
                     "\"name\":\"n\",\"url\":\"" RTK_BT_URL "\"}");

        RTK_BT_CODE("{" RTK_BT_ALL ",\"enabled\":true}", 0);
        RTK_CHECK(rtk_bt_body.defaults == 0 && rtk_bt_body.enabled == 1,
                  "%s: explicit true", rtk_op_name(ops[k]));

        /* one missing: named; several: the first in canonical order */
        RTK_BT_CODE("{\"url\":\"" RTK_BT_URL "\","
                    "\"events\":[\"meeting.ended\"]}", RTK_E_FIELD_MISSING);
        RTK_CHECK(strcmp(rtk_bt_last.message, "field \"name\" is required")
                  == 0, "\"%s\"", rtk_bt_last.message);

        RTK_BT_CODE("{\"name\":\"n\",\"events\":[\"meeting.ended\"]}",
                    RTK_E_FIELD_MISSING);
        RTK_CHECK(strcmp(rtk_bt_last.message, "field \"url\" is required")
                  == 0, "\"%s\"", rtk_bt_last.message);

        RTK_BT_CODE("{\"name\":\"n\",\"url\":\"" RTK_BT_URL "\"}",
                    RTK_E_FIELD_MISSING);
        RTK_CHECK(strcmp(rtk_bt_last.message, "field \"events\" is required")
                  == 0, "\"%s\"", rtk_bt_last.message);

        RTK_BT_CODE("{\"enabled\":true}", RTK_E_FIELD_MISSING);
        RTK_CHECK(strcmp(rtk_bt_last.message, "field \"events\" is required")
                  == 0, "\"%s\"", rtk_bt_last.message);

        RTK_BT_CODE("{\"url\":\"" RTK_BT_URL "\"}", RTK_E_FIELD_MISSING);
        RTK_CHECK(strcmp(rtk_bt_last.message, "field \"events\" is required")
                  == 0, "\"%s\"", rtk_bt_last.message);

        RTK_BT_CODE("{}", RTK_E_FIELD_MISSING);
        RTK_BT_CODE(" { } ", RTK_E_FIELD_MISSING);

        /* every other error comes first, as for an edit */
        RTK_BT_CODE("", RTK_E_JSON_SYNTAX);
        RTK_BT_CODE("{", RTK_E_JSON_SYNTAX);
        RTK_BT_CODE("{\"name\":\"n\"", RTK_E_JSON_SYNTAX);
        RTK_BT_CODE("{\"name\":1}", RTK_E_FIELD_TYPE);
        RTK_BT_CODE("{\"secret\":1}", RTK_E_FIELD_UNKNOWN);
        RTK_BT_CODE("{\"events\":[]}", RTK_E_FIELD_VALUE);
        RTK_BT_CODE("{\"url\":\"ftp://x.example/\"}", RTK_E_URL_INVALID);
        RTK_BT_CODE("{" RTK_BT_ALL ",\"name\":\"m\"}", RTK_E_JSON_DUPLICATE);
        RTK_BT_CODE("{" RTK_BT_ALL ",\"x\":1}", RTK_E_FIELD_UNKNOWN);
        RTK_BT_CODE("{" RTK_BT_ALL ",\"enabled\":null}", RTK_E_FIELD_TYPE);
        RTK_BT_CODE("[]", RTK_E_FIELD_TYPE);
        RTK_BT_CODE("{" RTK_BT_ALL "} x", RTK_E_JSON_SYNTAX);
        RTK_BT_CODE("\xef\xbb\xbf{" RTK_BT_ALL "}", RTK_E_JSON_SYNTAX);
    }

#undef RTK_BT_ALL

    rtk_bt_op = RTK_OP_EDIT;
}


/* edit: every field optional, nothing filled in, {} allowed */

static void
rtk_bt_test_edit(void)
{
    RTK_BT_CODE("{}", 0);
    RTK_CHECK(rtk_bt_body.fields == 0 && rtk_bt_body.defaults == 0,
              "{}: %x", rtk_bt_body.fields);
    RTK_BT_CANON("{}", "{}");
    RTK_BT_CANON(" {\r\n} ", "{}");

    RTK_BT_CODE("{\"name\":\"n\"}", 0);
    RTK_CHECK(rtk_bt_body.fields == RTK_FIELD_NAME
              && rtk_bt_body.defaults == 0, "no default for an edit: %x",
              rtk_bt_body.fields);
    RTK_BT_CANON("{\"name\":\"n\"}", "{\"name\":\"n\"}");

    RTK_BT_CODE("", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE(" ", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("{}}", RTK_E_JSON_SYNTAX);
    RTK_BT_CODE("[{}]", RTK_E_FIELD_TYPE);
}


int
main(void)
{
    rtk_bt_test_lookup();
    rtk_bt_test_valid();
    rtk_bt_test_canonical();
    rtk_bt_test_syntax();
    rtk_bt_test_whitespace();
    rtk_bt_test_utf8();
    rtk_bt_test_escapes();
    rtk_bt_test_numbers();
    rtk_bt_test_nesting();
    rtk_bt_test_duplicates();
    rtk_bt_test_unknown();
    rtk_bt_test_types();
    rtk_bt_test_events();
    rtk_bt_test_name();
    rtk_bt_test_url();
    rtk_bt_test_precedence();
    rtk_bt_test_messages();
    rtk_bt_test_nomem();
    rtk_bt_test_serialize();
    rtk_bt_test_no_body();
    rtk_bt_test_required();
    rtk_bt_test_edit();


    /* the shared allocator leaks by design; this test frees its own */

    return rtk_test_report("body");
}
