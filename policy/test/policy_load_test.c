/*
 * Copyright (C) ngx_rtk_module authors
 *
 * Policy engine tests of loading: every loading error with its
 * line:column, and the load and evaluation times of a 100,000-app
 * policy.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy_test.h"


static void check_error(int line, const char *json, const char *want);
static double now(void);
static char *generate(size_t napps);
static void test_load_errors(void);
static void test_scale(void);


/* want: the exact "FILE:LINE:COL: " prefix and the start of the text */

static void
check_error(int line, const char *json, const char *want)
{
    rtk_error_t    err;
    rtk_policy_t  *p;

    memset(&err, 0, sizeof(rtk_error_t));

    p = rtk_policy_parse((const unsigned char *) json, strlen(json),
                         "p.json", &err);

    RTK_CHECK(p == NULL, "line %d: loaded, want error \"%s\"", line, want);

    if (p != NULL) {
        rtk_policy_free(p);
        return;
    }

    RTK_CHECK(strncmp(err.message, want, strlen(want)) == 0,
              "line %d: error \"%s\", want \"%s...\"", line, err.message,
              want);
}


#define ERR(json, want)  check_error(__LINE__, json, want)


static double
now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return ts.tv_sec + ts.tv_nsec / 1e9;
}
static void
test_load_errors(void)
{
    /* unknown keys at each level */
    ERR("{\n  \"acounts\": {}\n}",
        "p.json:2:3: unknown key \"acounts\" at top level");
    ERR("{\"accounts\":{\n \"*\": {\"apps\": {}, \"app\": {}}}}",
        "p.json:2:20: unknown key \"app\" in account entry");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],\n"
        "\"url\":[]}}}}}",
        "p.json:2:1: unknown key \"url\" in app entry");

    /* unknown event, field name, mode, url pattern */
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],\n"
        "  \"events\": [\"meeting.started\", \"meeting.exploded\"]}}}}}",
        "p.json:2:33: unknown event \"meeting.exploded\"");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],\n"
        "  \"fields\": {\"a\": [\"name\", \"webhook\"]}}}}}}",
        "p.json:2:28: unknown field \"webhook\"");
    ERR("{\"mode\": \"audit\", \"accounts\": {}}",
        "p.json:1:10: bad mode \"audit\"");
    ERR("{\"accounts\":{\"*\":{\"mode\":\"Enforce\",\"apps\":{}}}}",
        "p.json:1:26: bad mode \"Enforce\"");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],\n"
        "  \"urls\": [\"https://ok.example\",\n"
        "           \"ftp://bad.example\"]}}}}}",
        "p.json:3:12: bad url pattern \"ftp://bad.example\": ");

    /* groups: unknown, defined after use, nested, bad names */
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":\n"
        "  {\"editors\":[\"a\", \"@nosuch\"]}}}}}",
        "p.json:2:20: unknown group \"@nosuch\"");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],\n"
        "  \"fields\": {\"@gone\": []}}}}},\n"
        " \"groups\": {\"g\": [\"x\"]}}",
        "p.json:2:14: unknown group \"@gone\"");
    ERR("{\"groups\": {\"g\": [\"x\"]},\n"
        " \"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"@h\", \"@g\"],\n"
        "  \"enablers\": [\"@i\"]}}}}}",
        "p.json:2:43: unknown group \"@h\"");
    ERR("{\"groups\": {\"g\": [\"x\", \"@y\"]}, \"accounts\": {}}",
        "p.json:1:24: groups cannot contain groups (\"@y\")");
    ERR("{\"groups\": {\"a b\": []}, \"accounts\": {}}",
        "p.json:1:13: bad group name \"a b\"");
    ERR("{\"groups\": {\"\": []}, \"accounts\": {}}",
        "p.json:1:13: bad group name \"\"");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"@\"]}}}}}",
        "p.json:1:43: bad group name \"@\"");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"@a/b\"]}}}}}",
        "p.json:1:43: bad group name \"@a/b\"");

    /* callers */
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\", \"\"]}}}}}",
        "p.json:1:48: empty caller name");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":"
        "[\"a\\u0001\"]}}}}}",
        "p.json:1:43: caller name contains a control character");
    ERR("{\"groups\": {\"g\": [\"a\\tb\"]}, \"accounts\": {}}",
        "p.json:1:19: caller name contains a control character");

    /* duplicate keys at every level */
    ERR("{\"accounts\": {},\n \"accounts\": {}}",
        "p.json:2:2: duplicate key \"accounts\"");
    ERR("{\"mode\": \"enforce\", \"mode\": \"enforce\", \"accounts\": {}}",
        "p.json:1:21: duplicate key \"mode\"");
    ERR("{\"groups\": {\"g\": [], \"g\": []}, \"accounts\": {}}",
        "p.json:1:22: duplicate key \"g\"");
    ERR("{\"groups\": {}, \"groups\": {}, \"accounts\": {}}",
        "p.json:1:16: duplicate key \"groups\"");
    ERR("{\"accounts\":{\n"
        "\"" A1 "\": {\"apps\": {}},\n"
        "\"" A1 "\": {\"apps\": {}}}}",
        "p.json:3:1: duplicate key \"" A1 "\"");
    ERR("{\"accounts\":{\"*\": {\"apps\": {}}, \"*\": {\"apps\": {}}}}",
        "p.json:1:33: duplicate key \"*\"");
    ERR("{\"accounts\":{\"*\": {\"apps\": {}, \"apps\": {}}}}",
        "p.json:1:32: duplicate key \"apps\"");
    ERR("{\"accounts\":{\"*\": {\"mode\": \"enforce\", \"mode\": \"enforce\","
        " \"apps\": {}}}}",
        "p.json:1:39: duplicate key \"mode\"");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\n"
        "\"" APP1 "\": {\"editors\": [\"a\"]},\n"
        "\"" APP1 "\": {\"editors\": [\"a\"]}}}}}",
        "p.json:3:1: duplicate key \"" APP1 "\"");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\n"
        "\"*\": {\"editors\": [\"a\"]},\n"
        "\"*\": {\"editors\": [\"a\"]}}}}}",
        "p.json:3:1: duplicate key \"*\"");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],\n"
        "  \"editors\": [\"b\"]}}}}}",
        "p.json:2:3: duplicate key \"editors\"");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],\n"
        "  \"fields\": {\"@g\": [], \"a\": [], \"@g\": []}}}}},"
        " \"groups\": {\"g\": []}}",
        "p.json:2:33: duplicate key \"@g\"");

    /* the same key in different apps is no duplicate */
    {
        rtk_policy_t  *p;

        p = parse("{\"accounts\":{\"*\":{\"apps\":{"
                  "\"" APP1 "\":{\"editors\":[\"a\"],\"fields\":{\"a\":[]}},"
                  "\"" APP2 "\":{\"editors\":[\"a\"],\"fields\":{\"a\":[]}}"
                  "}}}}");
        RTK_CHECK(p != NULL, "fields key in two apps");
        rtk_policy_free(p);
    }

    /* bad ids */
    ERR("{\"accounts\":{\"0123456789ABCDEF0123456789abcdef\": {}}}",
        "p.json:1:14: bad account id \"0123456789ABCDEF0123456789abcdef\"");
    ERR("{\"accounts\":{\"0123\": {}}}", "p.json:1:14: bad account id");
    ERR("{\"accounts\":{\"**\": {}}}", "p.json:1:14: bad account id");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\n"
        "  \"11111111-2222-3333-4444-55555555555A\": {}}}}}",
        "p.json:2:3: bad app id");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\n"
        "  \"111111112222333344445555555555555\": {}}}}}",
        "p.json:2:3: bad app id");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\n"
        "  \"11111111-2222-3333-4444_555555555555\": {}}}}}",
        "p.json:2:3: bad app id");

    ERR("{\"accounts\":{\"*\":{\"apps\":{\n"
        "  \"1111111122223333444455555555555A\": {}}}}}",
        "p.json:2:3: bad app id \"1111111122223333444455555555555A\" "
        "(want a lowercase UUID, 32 lowercase hex digits or \"*\")");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\n"
        "  \"11111111-22223333444455555555555\": {}}}}}",
        "p.json:2:3: bad app id");

    /* the two spellings of one app are one key */
    ERR("{\"accounts\":{\"*\":{\"apps\":{\n"
        "\"" APP1 "\": {\"editors\": [\"a\"]},\n"
        "\"" APP1_HEX "\": {\"editors\": [\"a\"]}}}}}",
        "p.json:3:1: duplicate key \"" APP1_HEX "\" (the same app as \""
        APP1 "\")");
    ERR("{\"accounts\":{\"" A1 "\":{\"apps\":{\n"
        "\"" APP1_HEX "\": {\"editors\": [\"a\"]},\n"
        "  \"" APP1 "\": {\"editors\": [\"a\"]}}}}}",
        "p.json:3:3: duplicate key \"" APP1 "\" (the same app as \""
        APP1_HEX "\")");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\n"
        "\"" APP1_HEX "\": {\"editors\": [\"a\"]},\n"
        "\"" APP1_HEX "\": {\"editors\": [\"a\"]}}}}}",
        "p.json:3:1: duplicate key \"" APP1_HEX "\"");

    /* webhook entries */
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],\n"
        "  \"webhooks\": {\"*\": {\"editors\": [\"a\"]}}}}}}}",
        "p.json:2:16: bad webhook id \"*\" (want a lowercase UUID)");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],\n"
        "  \"webhooks\": {\"AAAAAAAA-0000-4000-8000-00000000000A\": {}}}}}}}",
        "p.json:2:16: bad webhook id");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],\n"
        "  \"webhooks\": {\"aaaaaaaa00004000800000000000000a\": {}}}}}}}",
        "p.json:2:16: bad webhook id");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],\n"
        "  \"webhooks\": {\"" HOOKA "\": {\"editors\": [\"a\"]},\n"
        "    \"" HOOKA "\": {\"editors\": [\"a\"]}}}}}}}",
        "p.json:3:5: duplicate key \"" HOOKA "\"");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],\n"
        "  \"webhooks\": {\"" HOOKA "\":\n"
        "     {\"readers\": [\"a\"]}}}}}}}",
        "p.json:3:6: accounts.*.apps.*.webhooks." HOOKA ": missing "
        "required key \"editors\"");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],\n"
        "  \"webhooks\": {\"" HOOKA "\": {\"editors\": []}}}}}}}",
        "p.json:2:68: \"editors\" must not be empty");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],\n"
        "  \"webhooks\": {\"" HOOKA "\": {\"editors\": [\"a\"],\n"
        "    \"creators\": [\"a\"]}}}}}}}",
        "p.json:3:5: unknown key \"creators\" in webhook entry (want mode, "
        "editors, readers, deleters, enablers, disablers, urls, events or "
        "fields)");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],\n"
        "  \"webhooks\": {\"" HOOKA "\": {\"editors\": [\"a\"],\n"
        "    \"webhooks\": {}}}}}}}}",
        "p.json:3:5: unknown key \"webhooks\" in webhook entry");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],\n"
        "  \"webhooks\": {\"" HOOKA "\": {\"editors\": [\"a\"],\n"
        "    \"mode\": \"enforce\", \"mode\": \"enforce\"}}}}}}}",
        "p.json:3:24: duplicate key \"mode\"");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],\n"
        "  \"webhooks\": {}, \"webhooks\": {}}}}}}",
        "p.json:2:19: duplicate key \"webhooks\"");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],\n"
        "  \"webhooks\": []}}}}}",
        "p.json:2:15: \"webhooks\" must be an object");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],\n"
        "  \"webhooks\": {\"" HOOKA "\": 5}}}}}}",
        "p.json:2:56: a webhook entry must be an object");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],\n"
        "  \"webhooks\": {\"" HOOKA "\": {\"editors\": [\"a\"],\n"
        "    \"fields\": {\"a\": [\"name\"], \"a\": []}}}}}}}}",
        "p.json:3:31: duplicate key \"a\"");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],\n"
        "  \"webhooks\": {\"" HOOKA "\": {\"editors\": [\"@nope\"]}}}}}}}",
        "p.json:2:69: unknown group \"@nope\"");

    /* the new lists, where editors go */
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],\n"
        "  \"readers\": \"a\"}}}}}",
        "p.json:2:14: \"readers\" must be an array of strings");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],\n"
        "  \"creators\": [1]}}}}}",
        "p.json:2:16: \"creators\" must contain only strings");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],\n"
        "  \"deleters\": [\"\"]}}}}}",
        "p.json:2:16: empty caller name");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],\n"
        "  \"readers\": [], \"readers\": []}}}}}",
        "p.json:2:18: duplicate key \"readers\"");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],\n"
        "  \"creators\": [\"@g\"]}}}}}",
        "p.json:2:16: unknown group \"@g\"");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],\n"
        "  \"deleter\": []}}}}}",
        "p.json:2:3: unknown key \"deleter\" in app entry (want mode, "
        "editors, readers, creators, deleters, enablers, disablers, urls, "
        "events, fields or webhooks)");
    ERR("{\"accounts\":{\"*\":{\"readers\": [], \"apps\":{}}}}",
        "p.json:1:19: unknown key \"readers\" in account entry");
    ERR("{\"readers\": [], \"accounts\":{}}",
        "p.json:1:2: unknown key \"readers\" at top level");

    /* the same "fields" keys in a webhook entry and in its app's entry */
    {
        rtk_policy_t  *p;

        p = parse("{\"accounts\":{\"*\":{\"apps\":{\"*\":{"
                  "\"editors\":[\"a\"],\"webhooks\":{\"" HOOKA "\":{"
                  "\"editors\":[\"a\"],\"fields\":{\"a\":[],\"@g\":[]}}},"
                  "\"fields\":{\"@g\":[\"name\"],\"a\":[\"url\"]}}}}},"
                  "\"groups\":{\"g\":[\"a\"]}}");
        RTK_CHECK(p != NULL, "fields keys in a webhook and its app");
        rtk_policy_free(p);
    }

    /* the same webhook id under two apps is no duplicate */
    {
        rtk_policy_t  *p;

        p = parse("{\"accounts\":{\"*\":{\"apps\":{"
                  "\"" APP1 "\":{\"editors\":[\"a\"],\"webhooks\":{"
                  "\"" HOOKA "\":{\"editors\":[\"a\"]}}},"
                  "\"*\":{\"editors\":[\"a\"],\"webhooks\":{"
                  "\"" HOOKA "\":{\"editors\":[\"a\"]}}}}}}}");
        RTK_CHECK(p != NULL, "one webhook id in two apps");
        rtk_policy_free(p);
    }

    /* wrong types */
    ERR("[]", "p.json:1:1: the policy must be a JSON object");
    ERR("  5", "p.json:1:4: the policy must be a JSON object");
    ERR("\"x\"", "p.json:1:1: the policy must be a JSON object");
    ERR("{\"mode\": 5, \"accounts\": {}}",
        "p.json:1:10: \"mode\" must be a string");
    ERR("{\"mode\": -1.5e3, \"accounts\": {}}",
        "p.json:1:10: \"mode\" must be a string");
    ERR("{\"accounts\": []}", "p.json:1:14: \"accounts\" must be an object");
    ERR("{\"groups\": null, \"accounts\": {}}",
        "p.json:1:12: \"groups\" must be an object");
    ERR("{\"groups\": {\"g\": \"a\"}, \"accounts\": {}}",
        "p.json:1:18: a group must be an array of caller names");
    ERR("{\"groups\": {\"g\": [\"a\", true]}, \"accounts\": {}}",
        "p.json:1:24: group members must be strings");
    ERR("{\"accounts\": {\"*\": false}}",
        "p.json:1:20: an account entry must be an object");
    ERR("{\"accounts\": {\"*\": {\"apps\": [\"x\"]}}}",
        "p.json:1:29: \"apps\" must be an object");
    ERR("{\"accounts\": {\"*\": {\"apps\": {\"*\": []}}}}",
        "p.json:1:35: an app entry must be an object");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":\"a\"}}}}}",
        "p.json:1:42: \"editors\" must be an array of strings");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\",[]]}}}}}",
        "p.json:1:47: \"editors\" must contain only strings");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],"
        "\"urls\":[12]}}}}}",
        "p.json:1:56: \"urls\" must contain only strings");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],"
        "\"events\":{}}}}}}",
        "p.json:1:57: \"events\" must be an array of strings");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],"
        "\"enablers\":null}}}}}",
        "p.json:1:59: \"enablers\" must be an array of strings");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],"
        "\"disablers\":[{}]}}}}}",
        "p.json:1:61: \"disablers\" must contain only strings");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],"
        "\"fields\":[]}}}}}",
        "p.json:1:57: \"fields\" must be an object");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],"
        "\"fields\":{\"a\":\"name\"}}}}}}",
        "p.json:1:62: \"fields\" entries must be arrays of field names");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":[\"a\"],"
        "\"fields\":{\"a\":[false]}}}}}}",
        "p.json:1:63: field names must be strings");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"mode\":true,"
        "\"editors\":[\"a\"]}}}}}",
        "p.json:1:39: \"mode\" must be a string");

    /* missing required keys: reported at the object's '{' */
    ERR("{\n  \"groups\": {}\n}", "p.json:1:1: missing required key "
        "\"accounts\"");
    ERR("{\"accounts\": {\n  \"*\": {\"mode\": \"enforce\"}}}",
        "p.json:2:8: account \"*\": missing required key \"apps\"");
    ERR("{\"accounts\": {\"*\": {\"apps\": {\n"
        "  \"" APP1 "\":\n"
        "    {\"mode\": \"enforce\"}}}}}",
        "p.json:3:5: accounts.*.apps." APP1 ": missing required key "
        "\"editors\"");

    /* empty editors: reported at its '[' */
    ERR("{\"accounts\": {\"*\": {\"apps\": {\"*\": {\n"
        "  \"editors\":   [ ]}}}}}",
        "p.json:2:16: \"editors\" must not be empty");

    /* JSON syntax */
    ERR("", "p.json:1:1: JSON syntax error: ");
    ERR("{\"accounts\": {}", "p.json:1:16: JSON syntax error: premature EOF");
    ERR("{\"accounts\": {}\n\n", "p.json:3:1: JSON syntax error: premature");
    ERR("{\"accounts\" {}}", "p.json:1:13: JSON syntax error: object key and "
        "value must be separated by a colon");
    ERR("{\"accounts\": {},}", "p.json:1:17: JSON syntax error: ");
    ERR("{\"groups\": {\"g\": [\"a\",]}, \"accounts\": {}}",
        "p.json:1:23: JSON syntax error: ");
    ERR("{\"accounts\": {}} x", "p.json:1:18: JSON syntax error: trailing "
        "garbage");
    ERR("{\"accounts\": {}} {}", "p.json:1:18: JSON syntax error: trailing "
        "garbage");
    ERR("{/* c */ \"accounts\": {}}", "p.json:1:2: JSON syntax error: ");
    ERR("{\"accounts\": {}, // c\n}", "p.json:1:18: JSON syntax error: ");
    ERR("{\"accounts\": {\"\xff\": {}}}", "p.json:1:16: invalid UTF-8");

    /* what yajl alone would let through */
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":"
        "[\"a\xc0\xaf\"]}}}}}", "p.json:1:45: invalid UTF-8");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":"
        "[\"a\xed\xa0\x80\"]}}}}}", "p.json:1:45: invalid UTF-8");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":"
        "[\"a\\ud800\\u0041\"]}}}}}",
        "p.json:1:45: unpaired surrogate escape");
    ERR("{\"accounts\":{\"*\":{\"apps\":{\"*\":{\"editors\":"
        "[\"\\udc00\"]}}}}}", "p.json:1:44: unpaired surrogate escape");
    ERR("{\"accounts\": {}} \"abc", "p.json:1:18: trailing data after the "
        "policy object");

    /* JSON whitespace is SP, HT, LF and CR; yajl also skips VT and FF */
    ERR("{\"accounts\":\v{}}",
        "p.json:1:13: vertical tab outside a string");
    ERR("{\"accounts\": {}\n\f}",
        "p.json:2:1: form feed outside a string");
    ERR("{\"accounts\": {}}\n\v\n",
        "p.json:2:1: vertical tab outside a string");
    ERR("\f{\"accounts\": {}}", "p.json:1:1: form feed outside a string");
    ERR("{\"groups\": {\"g\": [\"a\",\f\"b\"]}, \"accounts\": {}}",
        "p.json:1:23: form feed outside a string");
    ERR("{\"groups\": {\"g\": [\"a\\\"\"\v]}, \"accounts\": {}}",
        "p.json:1:24: vertical tab outside a string");
    ERR("{\"groups\": {\"g\": [\"a\vb\"]}, \"accounts\": {}}",
        "p.json:1:21: JSON syntax error: ");
    ERR("{\"groups\": {\"g\": [\"a\\u000bb\"]}, \"accounts\": {}}",
        "p.json:1:19: caller name contains a control character");
    ERR("{\"accounts\": {\"*\": {\"apps\": {\"*\": \v{}}}}}",
        "p.json:1:35: vertical tab outside a string");
    ERR("{\"accounts\": @}", "p.json:1:14: JSON syntax error: "
        "invalid char in json text");
    ERR("{\"accounts\" \"b\"}", "p.json:1:13: JSON syntax error: "
        "object key and value must be separated by a colon");
    ERR("{\"accounts\": {} true}", "p.json:1:17: JSON syntax error: "
        "after key and value");
    ERR("{\"accounts\": {} \"ab\"}", "p.json:1:17: JSON syntax error: "
        "after key and value");
    ERR("{\"accounts\": {}, \n  }", "p.json:2:3: JSON syntax error: "
        "invalid object key");
    ERR("{\"accounts\":,}", "p.json:1:13: JSON syntax error: ");
    ERR("{\"mode\": \"enforce\",, \"accounts\": {}}", "p.json:1:20: JSON "
        "syntax error: ");
    ERR("{\"groups\": {\"g\": [\"a\" \"b\"]}, \"accounts\": {}}",
        "p.json:1:23: JSON syntax error: after array element");
    ERR("{\"accounts\": 1.x}", "p.json:1:16: JSON syntax error: "
        "malformed number");
    ERR("{\"accounts\": {}}}", "p.json:1:17: JSON syntax error: trailing");
    ERR("{\"accounts\": {\"a\\u00zz\": {}}}",
        "p.json:1:21: JSON syntax error: ");
    ERR("\xef\xbb\xbf{\"accounts\": {}}", "p.json:1:1: byte order mark");
    ERR("{\"accounts\": tru}", "p.json:1:17: JSON syntax error: ");

    /* a message quotes at most 64 bytes of a value */
    ERR("{\"accounts\": {}, \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\": 1}",
        "p.json:1:18: unknown key \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxx...\" at top level");

    /* positions after escapes and multi-byte characters */
    ERR("{\"groups\": {\"g\\\"\\\\\": []}, \"accounts\": {}}",
        "p.json:1:13: bad group name \"g\"\\\"");
    ERR("{\"accounts\": {},\n\"\xc3\xa9t\xc3\xa9\": 1, \"\\u00e9\": 1}",
        "p.json:2:1: unknown key \"\xc3\xa9t\xc3\xa9\"");
    ERR("{\"accounts\": {}, \"\\\\\": 1}", "p.json:1:18: unknown key \"\\\"");
}


/* an account with napps apps, each with its own editor and url */

static char *
generate(size_t napps)
{
    char    *s, *w;
    size_t   i, size;

    size = 200 + napps * 320;
    s = malloc(size);

    if (s == NULL) {
        return NULL;
    }

    w = s;
    w += sprintf(w, "{\"groups\":{\"ops\":[\"op1\",\"op2\"]},\"accounts\":{"
                 "\"" A1 "\":{\"apps\":{");

    for (i = 0; i < napps; i++) {
        w += sprintf(w, "%s\n\"%08zx-0000-4000-8000-%012zx\":{"
                     "\"editors\":[\"user%zu\",\"@ops\"],"
                     "\"enablers\":[\"user%zu\"],"
                     "\"urls\":[\"https://h%zu.example.com/hook\","
                     "\"https://*.example.net\"],"
                     "\"events\":[\"meeting.started\",\"meeting.ended\"],"
                     "\"fields\":{\"op2\":[\"name\"]}}",
                     (i == 0) ? "" : ",", i, i, i, i, i);
    }

    strcpy(w, "}}}}\n");

    return s;
}


static void
test_scale(void)
{
    int            k, decision;
    char           app[64], caller[32], *json[2];
    size_t         n, sizes[2], i, loops;
    double         t0, t1;
    rtk_body_t     b;
    rtk_error_t    err;
    rtk_route_t    r;
    rtk_policy_t  *p[2];
    rtk_decision_t d;

    sizes[0] = 100;
    sizes[1] = 100000;
    loops = 1000000;
    decision = 0;

    body_init(&b, RTK_FIELD_ENABLED | RTK_FIELD_EVENTS, 1, EV_STARTED,
              "https://x.example.net/hook");

    for (k = 0; k < 2; k++) {
        json[k] = generate(sizes[k]);
        RTK_CHECK(json[k] != NULL, "generate");

        if (json[k] == NULL) {
            return;
        }

        t0 = now();
        p[k] = rtk_policy_parse((unsigned char *) json[k], strlen(json[k]),
                                "gen.json", &err);
        t1 = now();

        RTK_CHECK(p[k] != NULL, "generated policy: %s", err.message);

        if (p[k] == NULL) {
            free(json[k]);
            return;
        }

        RTK_CHECK(rtk_policy_apps(p[k]) == sizes[k], "apps %zu",
                  rtk_policy_apps(p[k]));

        printf("policy: load %zu apps (%zu bytes): %.1f ms\n", sizes[k],
               strlen(json[k]), (t1 - t0) * 1e3);

        /* spot checks across the table */
        for (i = 0; i < sizes[k]; i += sizes[k] / 10) {
            route_init(&r, A1, "00000000-0000-4000-8000-000000000000");
            sprintf(app, "%08zx-0000-4000-8000-%012zx", i, i);
            strcpy(r.app, app);
            (void) rtk_route_app_key((unsigned char *) app, RTK_UUID_LEN,
                                     r.app_key);
            sprintf(caller, "user%zu", i);

            rtk_policy_eval(p[k], (unsigned char *) caller, strlen(caller),
                            &r, RTK_OP_EDIT, &b, &d);
            RTK_CHECK(d.decision == ALLOW, "app %zu: %s", i,
                      d.reason.message);

            rtk_policy_eval(p[k], (unsigned char *) "op1", 3, &r,
                            RTK_OP_EDIT, &b, &d);
            RTK_CHECK(d.reason.code == RTK_E_DENY_ENABLE, "app %zu op1: %d",
                      i, d.reason.code);
        }
    }

    /* the same work per decision, spread over all apps of each policy */
    for (k = 0; k < 2; k++) {
        route_init(&r, A1, "00000000-0000-4000-8000-000000000000");

        t0 = now();

        for (i = 0; i < loops; i++) {
            n = (i * 7919) % sizes[k];
            sprintf(app, "%08x-0000-4000-8000-%012x", (unsigned) n,
                    (unsigned) n);
            memcpy(r.app, app, RTK_UUID_LEN);
            (void) rtk_route_app_key((unsigned char *) app, RTK_UUID_LEN,
                                     r.app_key);
            sprintf(caller, "user%zu", n);

            rtk_policy_eval(p[k], (unsigned char *) caller, strlen(caller),
                            &r, RTK_OP_EDIT, &b, &d);
            decision |= d.decision;
        }

        t1 = now();

        printf("policy: eval with %zu apps, spread over all apps: "
               "%.0f ns/decision (incl. building the route)\n",
               sizes[k], (t1 - t0) * 1e9 / loops);

        /* the computation alone, with the data in the cache */
        n = sizes[k] / 2;
        sprintf(app, "%08x-0000-4000-8000-%012x", (unsigned) n,
                (unsigned) n);
        memcpy(r.app, app, RTK_UUID_LEN);
        (void) rtk_route_app_key((unsigned char *) app, RTK_UUID_LEN,
                                 r.app_key);
        sprintf(caller, "user%zu", n);

        t0 = now();

        for (i = 0; i < loops; i++) {
            rtk_policy_eval(p[k], (unsigned char *) caller, strlen(caller),
                            &r, RTK_OP_EDIT, &b, &d);
            decision |= d.decision;
        }

        t1 = now();

        printf("policy: eval with %zu apps, one app repeatedly: "
               "%.0f ns/decision\n", sizes[k], (t1 - t0) * 1e9 / loops);
    }

    RTK_CHECK(decision == ALLOW, "all allowed in the timing loop");

    for (k = 0; k < 2; k++) {
        rtk_policy_free(p[k]);
        free(json[k]);
    }
}


int
main(void)
{
    (void) rtk_test_alloc;
    (void) check_eval;

    test_load_errors();
    test_scale();

    return rtk_test_report("policy_load");
}
