
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * rtk_body_parse() and rtk_body_serialize() as JSON: the event and
 * field names, valid bodies and their exact canonical bytes, and the
 * JSON corners where parsers disagree (syntax, whitespace, UTF-8,
 * escapes, numbers, nesting, duplicate keys), all as an edit (PATCH).
 * The fields, the messages and what each operation requires are
 * tested in body_fields_test.c.
 */


#include "body_test.h"


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


    /* the shared allocator leaks by design; this test frees its own */

    return rtk_test_report("body");
}
