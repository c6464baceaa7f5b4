/*
 * Copyright (C) ngx_rtk_module authors
 *
 * Policy engine tests: every decision and reason code, lookup
 * precedence, groups, report-only at each level, URL allowlists through
 * the real matcher, and the main policy loaded from a file.  The
 * operations and per-webhook rules are tested in policy_ops_test.c,
 * the loading errors and the scale in policy_load_test.c.
 */


#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "policy_test.h"


static void test_decisions(void);
static void test_precedence(void);
static void test_report_only(void);
static void test_urls(void);
static void test_files(void);
static void test_misc(void);


/* the main policy of the decision tests */
static const char  policy_main[] =
    "{\n"
    "  \"mode\": \"enforce\",\n"
    "  \"accounts\": {\n"
    "    \"" A1 "\": {\n"
    "      \"apps\": {\n"
    "        \"" APP1 "\": {\n"
    "          \"editors\": [\"@ops\", \"dave\", \"erin\", \"frank\"],\n"
    "          \"enablers\": [\"@sec\", \"alice\", \"frank\"],\n"
    "          \"disablers\": [\"bob\", \"frank\"],\n"
    "          \"urls\": [\"https://hooks.example.com/rtk\",\n"
    "                   \"https://*.svc.example.net\",\n"
    "                   \"https://192.0.2.10:8443/\"],\n"
    "          \"events\": [\"meeting.started\", \"meeting.ended\"],\n"
    "          \"fields\": {\n"
    "            \"dave\": [\"name\"],\n"
    "            \"@ops\": [\"enabled\", \"url\"],\n"
    "            \"erin\": [\"events\"],\n"
    "            \"@sec\": [\"name\"]\n"
    "          }\n"
    "        },\n"
    "        \"" APP2 "\": {\n"
    "          \"editors\": [\"alice\"]\n"
    "        },\n"
    "        \"*\": {\"mode\": \"report-only\", \"editors\": [\"zed\"]}\n"
    "      }\n"
    "    },\n"
    "    \"" A2 "\": {\n"
    "      \"mode\": \"report-only\",\n"
    "      \"apps\": {\n"
    "        \"" APP2 "\": {\"editors\": [\"alice\"]},\n"
    "        \"" APP3 "\": {\"mode\": \"enforce\", \"editors\": [\"alice\"]}\n"
    "      }\n"
    "    },\n"
    "    \"*\": {\n"
    "      \"apps\": {\n"
    "        \"" APP2 "\": {\"editors\": [\"star-app2\"]},\n"
    "        \"*\": {\"editors\": [\"star-star\"], \"events\": [\n"
    "          \"meeting.started\", \"meeting.ended\",\n"
    "          \"meeting.participantJoined\", \"meeting.participantLeft\",\n"
    "          \"recording.statusUpdate\", \"livestreaming.statusUpdate\",\n"
    "          \"meeting.chatSynced\", \"meeting.transcript\",\n"
    "          \"meeting.summary\"]}\n"
    "      }\n"
    "    }\n"
    "  },\n"
    "  \"groups\": {\n"
    "    \"ops\": [\"alice\", \"bob\", \"alice\"],\n"
    "    \"sec\": [\"carol\", \"frank\"],\n"
    "    \"unused\": []\n"
    "  }\n"
    "}\n";


static void
test_decisions(void)
{
    rtk_body_t     b;
    rtk_policy_t  *p;

    p = parse(policy_main);
    RTK_CHECK(p != NULL, "main policy");

    if (p == NULL) {
        return;
    }

    RTK_CHECK(rtk_policy_apps(p) == 7, "apps %zu", rtk_policy_apps(p));

    /* editors: direct, through a group, unknown, case, empty */
    body_init(&b, RTK_FIELD_URL, 0, 0, "https://hooks.example.com/rtk");
    EVAL(p, "alice", A1, APP1, &b, ALLOW, 0, R_APP1, NULL);
    EVAL(p, "bob", A1, APP1, &b, ALLOW, 0, R_APP1, NULL);
    EVAL(p, "mallory", A1, APP1, &b, DENY, RTK_E_DENY_EDITOR, R_APP1,
         "caller \"mallory\" is not an editor of app " APP1);
    EVAL(p, "Alice", A1, APP1, &b, DENY, RTK_E_DENY_EDITOR, R_APP1, NULL);
    EVAL(p, "alice ", A1, APP1, &b, DENY, RTK_E_DENY_EDITOR, R_APP1, NULL);
    EVAL(p, "", A1, APP1, &b, DENY, RTK_E_DENY_EDITOR, R_APP1, NULL);

    /* carol is an enabler (via @sec) but not an editor */
    body_init(&b, RTK_FIELD_ENABLED, 1, 0, NULL);
    EVAL(p, "carol", A1, APP1, &b, DENY, RTK_E_DENY_EDITOR, R_APP1, NULL);

    /* zed edits only the "*" app; a caller only in "fields" is no one */
    EVAL(p, "zed", A1, APP1, &b, DENY, RTK_E_DENY_EDITOR, R_APP1, NULL);

    /* fields: @ops may change enabled and url only */
    body_init(&b, RTK_FIELD_NAME, 0, 0, NULL);
    EVAL(p, "alice", A1, APP1, &b, DENY, RTK_E_DENY_FIELD, R_APP1,
         "caller \"alice\" may not change field \"name\" of app " APP1);
    EVAL(p, "dave", A1, APP1, &b, ALLOW, 0, R_APP1, NULL);

    body_init(&b, RTK_FIELD_NAME | RTK_FIELD_EVENTS, 0, EV_STARTED, NULL);
    EVAL(p, "dave", A1, APP1, &b, DENY, RTK_E_DENY_FIELD, R_APP1,
         "field \"events\"");
    EVAL(p, "erin", A1, APP1, &b, DENY, RTK_E_DENY_FIELD, R_APP1,
         "field \"name\"");

    /* frank: an editor, restricted through @sec to name */
    body_init(&b, RTK_FIELD_ENABLED, 1, 0, NULL);
    EVAL(p, "frank", A1, APP1, &b, DENY, RTK_E_DENY_FIELD, R_APP1,
         "field \"enabled\"");

    /* the field check comes before the enable check */
    body_init(&b, RTK_FIELD_ENABLED | RTK_FIELD_NAME, 1, 0, NULL);
    EVAL(p, "bob", A1, APP1, &b, DENY, RTK_E_DENY_FIELD, R_APP1, NULL);

    /* enabling: alice directly, bob is not an enabler */
    body_init(&b, RTK_FIELD_ENABLED, 1, 0, NULL);
    EVAL(p, "alice", A1, APP1, &b, ALLOW, 0, R_APP1, NULL);
    EVAL(p, "bob", A1, APP1, &b, DENY, RTK_E_DENY_ENABLE, R_APP1,
         "caller \"bob\" may not enable webhooks of app " APP1);

    /* disabling: "disablers" present, so only bob (and frank) */
    body_init(&b, RTK_FIELD_ENABLED, 0, 0, NULL);
    EVAL(p, "bob", A1, APP1, &b, ALLOW, 0, R_APP1, NULL);
    EVAL(p, "alice", A1, APP1, &b, DENY, RTK_E_DENY_DISABLE, R_APP1,
         "caller \"alice\" may not disable webhooks of app " APP1);

    /* without "disablers" every editor may disable, nobody enable */
    EVAL(p, "alice", A1, APP2, &b, ALLOW, 0, "accounts." A1 ".apps." APP2,
         NULL);
    body_init(&b, RTK_FIELD_ENABLED, 1, 0, NULL);
    EVAL(p, "alice", A1, APP2, &b, DENY, RTK_E_DENY_ENABLE,
         "accounts." A1 ".apps." APP2, NULL);

    /* the enable check comes before the url check */
    body_init(&b, RTK_FIELD_ENABLED, 1, 0, "https://evil.example/");
    EVAL(p, "bob", A1, APP1, &b, DENY, RTK_E_DENY_ENABLE, R_APP1, NULL);

    /* urls */
    body_init(&b, 0, 0, 0, "https://evil.example/x");
    EVAL(p, "alice", A1, APP1, &b, DENY, RTK_E_DENY_URL, R_APP1,
         "url host evil.example not in allowlist of app " APP1);

    /* no "urls": no url may be set */
    EVAL(p, "alice", A1, APP2, &b, DENY, RTK_E_DENY_URL,
         "accounts." A1 ".apps." APP2, "url host evil.example");

    /* the url check comes before the event check */
    body_init(&b, RTK_FIELD_EVENTS, 0, EV_SUMMARY, "https://evil.example/");
    EVAL(p, "dave", A1, APP1, &b, DENY, RTK_E_DENY_FIELD, R_APP1, NULL);
    EVAL(p, "erin", A1, APP1, &b, DENY, RTK_E_DENY_FIELD, R_APP1,
         "field \"url\"");

    /* events: erin may change events, within the whitelist */
    body_init(&b, RTK_FIELD_EVENTS, 0, EV_STARTED | EV_ENDED, NULL);
    EVAL(p, "erin", A1, APP1, &b, ALLOW, 0, R_APP1, NULL);

    body_init(&b, RTK_FIELD_EVENTS, 0, EV_STARTED | EV_SUMMARY | 0x10, NULL);
    EVAL(p, "erin", A1, APP1, &b, DENY, RTK_E_DENY_EVENT, R_APP1,
         "event \"recording.statusUpdate\" not allowed for app " APP1);

    body_init(&b, RTK_FIELD_EVENTS, 0, EV_SUMMARY, NULL);
    EVAL(p, "erin", A1, APP1, &b, DENY, RTK_E_DENY_EVENT, R_APP1,
         "event \"meeting.summary\"");

    /* no "events": no event may be requested */
    body_init(&b, RTK_FIELD_EVENTS, 0, EV_STARTED, NULL);
    EVAL(p, "alice", A1, APP2, &b, DENY, RTK_E_DENY_EVENT,
         "accounts." A1 ".apps." APP2, "event \"meeting.started\"");

    /* a body without url or events passes those checks */
    body_init(&b, RTK_FIELD_NAME, 0, 0, NULL);
    EVAL(p, "alice", A1, APP2, &b, ALLOW, 0, "accounts." A1 ".apps." APP2,
         NULL);

    rtk_policy_free(p);
}


static void
test_precedence(void)
{
    rtk_body_t     b;
    rtk_policy_t  *p;

    p = parse(policy_main);

    if (p == NULL) {
        return;
    }

    body_init(&b, RTK_FIELD_NAME, 0, 0, NULL);

    /* exact app before the account's "*" app */
    EVAL(p, "zed", A1, APP2, &b, DENY, RTK_E_DENY_EDITOR,
         "accounts." A1 ".apps." APP2, NULL);
    EVAL(p, "zed", A1, APP3, &b, ALLOW, 0, "accounts." A1 ".apps.*", NULL);

    /* an exact account without the app and without "*" app: no rule */
    EVAL(p, "star-star", A2, APP4, &b, WOULD, RTK_E_DENY_NO_RULE,
         "accounts." A2,
         "no policy rule for app " APP4 " in account " A2);

    /* unknown account: the "*" account, exact app then "*" app */
    EVAL(p, "star-app2", A3, APP2, &b, ALLOW, 0, "accounts.*.apps." APP2,
         NULL);
    EVAL(p, "star-star", A3, APP2, &b, DENY, RTK_E_DENY_EDITOR,
         "accounts.*.apps." APP2, NULL);
    EVAL(p, "star-star", A3, APP1, &b, ALLOW, 0, "accounts.*.apps.*", NULL);

    /* an exact account is not merged with the "*" account */
    EVAL(p, "star-star", A1, APP1, &b, DENY, RTK_E_DENY_EDITOR, R_APP1,
         NULL);

    /* all events allowed in the "*" "*" entry */
    body_init(&b, RTK_FIELD_EVENTS, 0, RTK_EVENTS_ALL, NULL);
    EVAL(p, "star-star", A4, APP4, &b, ALLOW, 0, "accounts.*.apps.*", NULL);

    rtk_policy_free(p);

    /* without any "*" account: no rule, rule "default" */
    p = parse("{\"accounts\":{\"" A1 "\":{\"apps\":{\"" APP1 "\":"
              "{\"editors\":[\"a\"]}}}}}");

    if (p == NULL) {
        return;
    }

    body_init(&b, RTK_FIELD_NAME, 0, 0, NULL);
    EVAL(p, "a", A2, APP1, &b, DENY, RTK_E_DENY_NO_RULE, "default",
         "no policy rule for app " APP1 " in account " A2);
    EVAL(p, "a", A1, APP2, &b, DENY, RTK_E_DENY_NO_RULE, "accounts." A1,
         NULL);
    EVAL(p, "a", A1, APP1, &b, ALLOW, 0, R_APP1, NULL);

    rtk_policy_free(p);

    /* an empty policy denies everything */
    p = parse("{\"accounts\":{}}");

    if (p == NULL) {
        return;
    }

    EVAL(p, "a", A1, APP1, &b, DENY, RTK_E_DENY_NO_RULE, "default", NULL);
    RTK_CHECK(rtk_policy_apps(p) == 0, "no apps");
    RTK_CHECK(strcmp(rtk_policy_hash(p), "6d4376f60354edb37413fb75527da333"
                     "b433655d7f3a7bdfbdbb329c13180d8b") == 0,
              "hash %s", rtk_policy_hash(p));

    rtk_policy_free(p);
}


static void
test_report_only(void)
{
    rtk_body_t     b;
    rtk_policy_t  *p;

    body_init(&b, RTK_FIELD_NAME, 0, 0, NULL);

    /* top level */
    p = parse("{\"mode\":\"report-only\",\"accounts\":{\"" A1 "\":{\"apps\":"
              "{\"" APP1 "\":{\"editors\":[\"a\"]},"
              "\"" APP2 "\":{\"editors\":[\"a\"],\"mode\":\"enforce\"}}}}}");

    if (p != NULL) {
        EVAL(p, "b", A1, APP1, &b, WOULD, RTK_E_DENY_EDITOR, R_APP1,
             "caller \"b\" is not an editor");
        EVAL(p, "a", A1, APP1, &b, ALLOW, 0, R_APP1, NULL);
        EVAL(p, "b", A1, APP2, &b, DENY, RTK_E_DENY_EDITOR,
             "accounts." A1 ".apps." APP2, NULL);
        EVAL(p, "a", A2, APP1, &b, WOULD, RTK_E_DENY_NO_RULE, "default",
             NULL);
        EVAL(p, "a", A1, APP3, &b, WOULD, RTK_E_DENY_NO_RULE,
             "accounts." A1, NULL);
        rtk_policy_free(p);
    }

    /* account level, overridden by an app, over an enforcing top level */
    p = parse(policy_main);

    if (p != NULL) {
        EVAL(p, "bob", A2, APP2, &b, WOULD, RTK_E_DENY_EDITOR,
             "accounts." A2 ".apps." APP2, NULL);
        EVAL(p, "bob", A2, APP3, &b, DENY, RTK_E_DENY_EDITOR,
             "accounts." A2 ".apps." APP3, NULL);
        EVAL(p, "alice", A2, APP2, &b, ALLOW, 0,
             "accounts." A2 ".apps." APP2, NULL);

        /* app level: the "*" app of A1 */
        EVAL(p, "bob", A1, APP4, &b, WOULD, RTK_E_DENY_EDITOR,
             "accounts." A1 ".apps.*", NULL);

        body_init(&b, RTK_FIELD_EVENTS, 0, EV_STARTED, NULL);
        EVAL(p, "zed", A1, APP4, &b, WOULD, RTK_E_DENY_EVENT,
             "accounts." A1 ".apps.*", "event \"meeting.started\"");

        body_init(&b, 0, 0, 0, "https://hooks.example.com/rtk");
        EVAL(p, "zed", A1, APP4, &b, WOULD, RTK_E_DENY_URL,
             "accounts." A1 ".apps.*", NULL);

        body_init(&b, RTK_FIELD_ENABLED, 1, 0, NULL);
        EVAL(p, "zed", A1, APP4, &b, WOULD, RTK_E_DENY_ENABLE,
             "accounts." A1 ".apps.*", NULL);

        rtk_policy_free(p);
    }

    /* every other reason in report-only */
    p = parse("{\"mode\":\"report-only\",\"accounts\":{\"*\":{\"apps\":"
              "{\"*\":{\"editors\":[\"a\"],\"disablers\":[],"
              "\"fields\":{\"a\":[\"enabled\"]}}}}}}");

    if (p != NULL) {
        body_init(&b, RTK_FIELD_ENABLED, 0, 0, NULL);
        EVAL(p, "a", A1, APP1, &b, WOULD, RTK_E_DENY_DISABLE,
             "accounts.*.apps.*", NULL);

        body_init(&b, RTK_FIELD_NAME, 0, 0, NULL);
        EVAL(p, "a", A1, APP1, &b, WOULD, RTK_E_DENY_FIELD,
             "accounts.*.apps.*", NULL);

        rtk_policy_free(p);
    }
}


static void
test_urls(void)
{
    rtk_body_t     b;
    rtk_policy_t  *p;

    p = parse(policy_main);

    if (p == NULL) {
        return;
    }

    body_init(&b, 0, 0, 0, "https://hooks.example.com/rtk/x");
    EVAL(p, "alice", A1, APP1, &b, ALLOW, 0, R_APP1, NULL);

    body_init(&b, 0, 0, 0, "https://HOOKS.example.com/rtk");
    EVAL(p, "alice", A1, APP1, &b, ALLOW, 0, R_APP1, NULL);

    /* wildcard: subdomains only */
    body_init(&b, 0, 0, 0, "https://a.svc.example.net/hook");
    EVAL(p, "alice", A1, APP1, &b, ALLOW, 0, R_APP1, NULL);

    body_init(&b, 0, 0, 0, "https://a.b.svc.example.net/");
    EVAL(p, "alice", A1, APP1, &b, ALLOW, 0, R_APP1, NULL);

    body_init(&b, 0, 0, 0, "https://svc.example.net/");
    EVAL(p, "alice", A1, APP1, &b, DENY, RTK_E_DENY_URL, R_APP1,
         "url host svc.example.net not in allowlist");

    body_init(&b, 0, 0, 0, "https://evilsvc.example.net/");
    EVAL(p, "alice", A1, APP1, &b, DENY, RTK_E_DENY_URL, R_APP1, NULL);

    /* scheme, port and path: the host is listed, the url is not */
    body_init(&b, 0, 0, 0, "http://hooks.example.com/rtk");
    EVAL(p, "alice", A1, APP1, &b, DENY, RTK_E_DENY_URL, R_APP1,
         "url \"http://hooks.example.com/rtk\" not in allowlist of app");

    body_init(&b, 0, 0, 0, "https://hooks.example.com:8443/rtk");
    EVAL(p, "alice", A1, APP1, &b, DENY, RTK_E_DENY_URL, R_APP1, NULL);

    body_init(&b, 0, 0, 0, "https://hooks.example.com/other");
    EVAL(p, "alice", A1, APP1, &b, DENY, RTK_E_DENY_URL, R_APP1,
         "not in allowlist");

    /* IP hosts: only the pattern naming that IP */
    body_init(&b, 0, 0, 0, "https://192.0.2.10:8443/hook");
    EVAL(p, "alice", A1, APP1, &b, ALLOW, 0, R_APP1, NULL);

    body_init(&b, 0, 0, 0, "https://192.0.2.11:8443/hook");
    EVAL(p, "alice", A1, APP1, &b, DENY, RTK_E_DENY_URL, R_APP1,
         "url host 192.0.2.11 not in allowlist");

    rtk_policy_free(p);
}


static void
test_files(void)
{
    int            fd;
    char           path[64];
    FILE          *f;
    rtk_error_t    err;
    rtk_policy_t  *p;

    strcpy(path, "/tmp/rtk_policy_test_XXXXXX");
    fd = mkstemp(path);
    RTK_CHECK(fd != -1, "mkstemp");

    if (fd == -1) {
        return;
    }

    f = fdopen(fd, "w");
    fputs(policy_main, f);
    fclose(f);

    p = rtk_policy_load(path, &err);
    RTK_CHECK(p != NULL, "load: %s", err.message);

    if (p != NULL) {
        RTK_CHECK(rtk_policy_apps(p) == 7, "apps");
        RTK_CHECK(strlen(rtk_policy_hash(p)) == 64, "hash length");
        rtk_policy_free(p);
    }

    /* a broken file names itself */
    f = fopen(path, "w");
    fputs("{\n  \"accounts\": {},\n  \"x\": 1\n}\n", f);
    fclose(f);

    p = rtk_policy_load(path, &err);
    RTK_CHECK(p == NULL && strncmp(err.message, path, strlen(path)) == 0
              && strcmp(err.message + strlen(path),
                        ":3:3: unknown key \"x\" at top level "
                        "(want mode, groups or accounts)") == 0,
              "file error: %s", err.message);

    /* too large: a sparse file of 64 MiB + 1 */
    fd = open(path, O_WRONLY | O_TRUNC);
    RTK_CHECK(fd != -1 && ftruncate(fd, 64 * 1024 * 1024 + 1) == 0,
              "ftruncate");
    close(fd);

    p = rtk_policy_load(path, &err);
    RTK_CHECK(p == NULL && strstr(err.message, "larger than 64 MiB") != NULL,
              "large file: %s", p ? "loaded" : err.message);

    unlink(path);

    p = rtk_policy_load(path, &err);
    RTK_CHECK(p == NULL && strstr(err.message, "cannot open") != NULL,
              "missing file: %s", p ? "loaded" : err.message);

    p = rtk_policy_load("/tmp", &err);
    RTK_CHECK(p == NULL && strcmp(err.message, "/tmp: not a regular file")
              == 0, "directory: %s", p ? "loaded" : err.message);

    p = rtk_policy_load("/dev/null", &err);
    RTK_CHECK(p == NULL && strstr(err.message, "not a regular file") != NULL,
              "device: %s", p ? "loaded" : err.message);
}


static void
test_misc(void)
{
    rtk_body_t     b;
    rtk_policy_t  *p;

    /* groups may come after their use; a caller in several groups */
    p = parse("{\"accounts\":{\"*\":{\"apps\":{\"*\":{"
              "\"editors\":[\"@g1\"],\"enablers\":[\"@g2\"],"
              "\"disablers\":[\"@g3\"],\"fields\":{\"@g1\":[\"name\"],"
              "\"@g2\":[\"enabled\"]}}}}},"
              "\"groups\":{\"g1\":[\"x\",\"y\"],\"g2\":[\"x\"],"
              "\"g3\":[\"y\",\"x\"]}}");

    if (p != NULL) {
        /* x: name (g1) + enabled (g2) */
        body_init(&b, RTK_FIELD_NAME | RTK_FIELD_ENABLED, 1, 0, NULL);
        EVAL(p, "x", A1, APP1, &b, ALLOW, 0, "accounts.*.apps.*", NULL);
        EVAL(p, "y", A1, APP1, &b, DENY, RTK_E_DENY_FIELD,
             "accounts.*.apps.*", "field \"enabled\"");

        body_init(&b, RTK_FIELD_ENABLED, 0, 0, NULL);
        EVAL(p, "x", A1, APP1, &b, ALLOW, 0, "accounts.*.apps.*", NULL);
        EVAL(p, "y", A1, APP1, &b, DENY, RTK_E_DENY_FIELD,
             "accounts.*.apps.*", NULL);

        /* callers are exact bytes: a NUL does not end the name */
        body_init(&b, RTK_FIELD_NAME, 0, 0, NULL);
        {
            rtk_route_t     r;
            rtk_decision_t  d;

            route_init(&r, A1, APP1);
            rtk_policy_eval(p, (const unsigned char *) "x\0z", 3, &r,
                            RTK_OP_EDIT, &b, &d);
            RTK_CHECK(d.decision == DENY
                      && d.reason.code == RTK_E_DENY_EDITOR,
                      "caller with NUL: %d", d.reason.code);
        }

        rtk_policy_free(p);
    }

    /* callers may be any printable bytes, incl. '@' inside and UTF-8 */
    p = parse("{\"accounts\":{\"*\":{\"apps\":{\"*\":{"
              "\"editors\":[\"CN=alice,O=Example\", \"b@c\", \"\xc3\xa9\","
              "\"q\\\"uote\"]}}}}}");

    if (p != NULL) {
        body_init(&b, RTK_FIELD_NAME, 0, 0, NULL);
        EVAL(p, "CN=alice,O=Example", A1, APP1, &b, ALLOW, 0,
             "accounts.*.apps.*", NULL);
        EVAL(p, "b@c", A1, APP1, &b, ALLOW, 0, "accounts.*.apps.*", NULL);
        EVAL(p, "\xc3\xa9", A1, APP1, &b, ALLOW, 0, "accounts.*.apps.*",
             NULL);
        EVAL(p, "q\"uote", A1, APP1, &b, ALLOW, 0, "accounts.*.apps.*",
             NULL);
        EVAL(p, "\xc3\xa9\n", A1, APP1, &b, DENY, RTK_E_DENY_EDITOR,
             "accounts.*.apps.*", "caller \"\xc3\xa9?\"");
        rtk_policy_free(p);
    }

    /*
     * Both spellings of an app id reach the same entry, whichever the
     * file uses; the rule is named as the file spells it, the messages
     * name the app as the request does.
     */
    p = parse("{\"accounts\":{\"" A1 "\":{\"apps\":{"
              "\"" APP2 "\":{\"editors\":[\"a\"]},"
              "\"" APP1_HEX "\":{\"editors\":[\"b\"]},"
              "\"*\":{\"editors\":[\"star\"]}}}}}");

    if (p != NULL) {
        body_init(&b, RTK_FIELD_NAME, 0, 0, NULL);
        EVAL(p, "a", A1, APP2, &b, ALLOW, 0, "accounts." A1 ".apps." APP2,
             NULL);
        EVAL(p, "a", A1, APP2_HEX, &b, ALLOW, 0,
             "accounts." A1 ".apps." APP2, NULL);
        EVAL(p, "star", A1, APP2_HEX, &b, DENY, RTK_E_DENY_EDITOR,
             "accounts." A1 ".apps." APP2,
             "caller \"star\" is not an editor of app " APP2_HEX);

        EVAL(p, "b", A1, APP1, &b, ALLOW, 0,
             "accounts." A1 ".apps." APP1_HEX, NULL);
        EVAL(p, "b", A1, APP1_HEX, &b, ALLOW, 0,
             "accounts." A1 ".apps." APP1_HEX, NULL);
        EVAL(p, "star", A1, APP1, &b, DENY, RTK_E_DENY_EDITOR,
             "accounts." A1 ".apps." APP1_HEX,
             "caller \"star\" is not an editor of app " APP1);

        /* neither spelling of another app escapes to "*" unnoticed */
        EVAL(p, "star", A1, APP3, &b, ALLOW, 0, "accounts." A1 ".apps.*",
             NULL);
        EVAL(p, "star", A1, "33333333333333333333333333333333", &b, ALLOW,
             0, "accounts." A1 ".apps.*", NULL);
        rtk_policy_free(p);
    }

    /* hash and app count through rtk_policy_parse without a name */
    {
        rtk_error_t  err;

        p = rtk_policy_parse((const unsigned char *) "{\"x\":1}", 7, NULL,
                             &err);
        RTK_CHECK(p == NULL && strncmp(err.message, "policy:1:2: ", 12) == 0,
                  "default name: %s", err.message);
    }
}


int
main(void)
{
    (void) rtk_test_alloc;

    test_decisions();
    test_precedence();
    test_report_only();
    test_urls();
    test_files();
    test_misc();

    return rtk_test_report("policy");
}
