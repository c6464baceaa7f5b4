
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * rtk_body_parse() and rtk_body_serialize() field by field: unknown
 * keys, types, events, name and url, which error comes first, the exact
 * messages, memory exhaustion and serialization; most of it as an
 * edit (PATCH), then what each operation requires.
 */


#include "body_test.h"


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

    return rtk_test_report("body_fields");
}
