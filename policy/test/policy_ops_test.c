/*
 * Copyright (C) ngx_rtk_module authors
 *
 * Policy engine tests of the operations: the keys of each operation,
 * their defaults and the body checks, and the per-webhook rules, where
 * the most specific rule decides alone.
 */


#include <stdio.h>
#include <string.h>

#include "policy_test.h"


static void test_operations(void);
static void test_webhooks(void);


/* the keys of each operation, their defaults and the body checks */

static const char  policy_ops[] =
    "{\n"
    "  \"groups\": {\"readers\": [\"rita\"]},\n"
    "  \"accounts\": {\"" A1 "\": {\"apps\": {\n"
    "    \"" APP1 "\": {\n"
    "      \"editors\": [\"ed\"],\n"
    "      \"enablers\": [\"ed\"],\n"
    "      \"urls\": [\"https://hooks.example.com/rtk/\"],\n"
    "      \"events\": [\"meeting.started\"]\n"
    "    },\n"
    "    \"" APP2 "\": {\n"
    "      \"editors\": [\"ed\", \"cre\"],\n"
    "      \"readers\": [\"@readers\"],\n"
    "      \"creators\": [\"cre\", \"ed\", \"@readers\"],\n"
    "      \"deleters\": [\"del\"],\n"
    "      \"enablers\": [\"cre\"],\n"
    "      \"disablers\": [\"ed\"],\n"
    "      \"urls\": [\"https://hooks.example.com/rtk/\"],\n"
    "      \"events\": [\"meeting.started\", \"meeting.ended\"],\n"
    "      \"fields\": {\"ed\": [\"name\", \"url\", \"events\"]}\n"
    "    },\n"
    "    \"" APP3 "\": {\n"
    "      \"editors\": [\"ed\"], \"readers\": [], \"creators\": [],\n"
    "      \"deleters\": []\n"
    "    }\n"
    "  }}}\n"
    "}\n";


#define R_APP2   "accounts." A1 ".apps." APP2
#define R_APP3   "accounts." A1 ".apps." APP3


static void
test_operations(void)
{
    rtk_body_t     b, full, off;
    rtk_policy_t  *p;

    p = parse(policy_ops);
    RTK_CHECK(p != NULL, "ops policy");

    if (p == NULL) {
        return;
    }

    /* what create and replace evaluate: every field, enabled filled in */
    body_init(&full, RTK_FIELD_ENABLED | RTK_FIELD_EVENTS | RTK_FIELD_NAME,
              1, EV_STARTED, "https://hooks.example.com/rtk/x");
    body_init(&off, RTK_FIELD_ENABLED | RTK_FIELD_EVENTS | RTK_FIELD_NAME,
              0, EV_STARTED, "https://hooks.example.com/rtk/x");

    /* APP1: the defaults, readers are the editors, nobody creates/deletes */
    EVAL_OP(p, "ed", A1, APP1, "", RTK_OP_LIST, NULL, ALLOW, 0, R_APP1,
            NULL);
    EVAL_OP(p, "ed", A1, APP1, HOOK, RTK_OP_GET, NULL, ALLOW, 0, R_APP1,
            NULL);
    EVAL_OP(p, "rita", A1, APP1, "", RTK_OP_LIST, NULL, DENY,
            RTK_E_DENY_READ, R_APP1,
            "caller \"rita\" is not a reader of app " APP1);
    EVAL_OP(p, "rita", A1, APP1, HOOK, RTK_OP_GET, NULL, DENY,
            RTK_E_DENY_READ, R_APP1,
            "caller \"rita\" is not a reader of app " APP1);
    EVAL_OP(p, "ed", A1, APP1, "", RTK_OP_CREATE, &full, DENY,
            RTK_E_DENY_CREATE, R_APP1,
            "caller \"ed\" is not a creator of app " APP1);
    EVAL_OP(p, "ed", A1, APP1, HOOK, RTK_OP_DELETE, NULL, DENY,
            RTK_E_DENY_DELETE, R_APP1,
            "caller \"ed\" is not a deleter of app " APP1);
    EVAL_OP(p, "", A1, APP1, HOOK, RTK_OP_DELETE, NULL, DENY,
            RTK_E_DENY_DELETE, R_APP1, NULL);

    /* replace: an edit with every field, enabled included */
    EVAL_OP(p, "ed", A1, APP1, HOOK, RTK_OP_REPLACE, &full, ALLOW, 0,
            R_APP1, NULL);
    EVAL_OP(p, "ed", A1, APP1, HOOK, RTK_OP_REPLACE, &off, ALLOW, 0,
            R_APP1, NULL);
    EVAL_OP(p, "rita", A1, APP1, HOOK, RTK_OP_REPLACE, &full, DENY,
            RTK_E_DENY_EDITOR, R_APP1,
            "caller \"rita\" is not an editor of app " APP1);

    /* an edit of nothing: only the editors check */
    body_init(&b, 0, 0, 0, NULL);
    EVAL_OP(p, "ed", A1, APP1, HOOK, RTK_OP_EDIT, &b, ALLOW, 0, R_APP1,
            NULL);
    EVAL_OP(p, "rita", A1, APP1, HOOK, RTK_OP_EDIT, &b, DENY,
            RTK_E_DENY_EDITOR, R_APP1, NULL);

    /* the url rule of "/rtk/": below it only */
    body_init(&b, 0, 0, 0, "https://hooks.example.com/rtk/");
    EVAL(p, "ed", A1, APP1, &b, ALLOW, 0, R_APP1, NULL);
    body_init(&b, 0, 0, 0, "https://hooks.example.com/rtk");
    EVAL(p, "ed", A1, APP1, &b, DENY, RTK_E_DENY_URL, R_APP1,
         "url \"https://hooks.example.com/rtk\" not in allowlist");

    /* APP2: readers replace the editors for reading */
    EVAL_OP(p, "rita", A1, APP2, "", RTK_OP_LIST, NULL, ALLOW, 0, R_APP2,
            NULL);
    EVAL_OP(p, "rita", A1, APP2, HOOK, RTK_OP_GET, NULL, ALLOW, 0, R_APP2,
            NULL);
    EVAL_OP(p, "ed", A1, APP2, "", RTK_OP_LIST, NULL, DENY,
            RTK_E_DENY_READ, R_APP2, NULL);
    EVAL_OP(p, "ed", A1, APP2, HOOK, RTK_OP_GET, NULL, DENY,
            RTK_E_DENY_READ, R_APP2, NULL);

    /* reading needs nothing else: rita is no editor */
    EVAL_OP(p, "rita", A1, APP2, HOOK, RTK_OP_EDIT, &full, DENY,
            RTK_E_DENY_EDITOR, R_APP2, NULL);

    /* create: creators, then the body like an edit of every field */
    EVAL_OP(p, "cre", A1, APP2, "", RTK_OP_CREATE, &full, ALLOW, 0, R_APP2,
            NULL);
    EVAL_OP(p, "del", A1, APP2, "", RTK_OP_CREATE, &full, DENY,
            RTK_E_DENY_CREATE, R_APP2,
            "caller \"del\" is not a creator of app " APP2);

    /* a creator through a group, who is no enabler */
    EVAL_OP(p, "rita", A1, APP2, "", RTK_OP_CREATE, &full, DENY,
            RTK_E_DENY_ENABLE, R_APP2,
            "caller \"rita\" may not enable webhooks of app " APP2);

    /* the default "enabled": true is evaluated: ed may not set it */
    EVAL_OP(p, "ed", A1, APP2, "", RTK_OP_CREATE, &full, DENY,
            RTK_E_DENY_FIELD, R_APP2, "field \"enabled\"");
    EVAL_OP(p, "cre", A1, APP2, "", RTK_OP_CREATE, &off, DENY,
            RTK_E_DENY_DISABLE, R_APP2, NULL);

    body_init(&b, RTK_FIELD_ENABLED | RTK_FIELD_EVENTS | RTK_FIELD_NAME, 1,
              EV_STARTED, "https://evil.example/");
    EVAL_OP(p, "cre", A1, APP2, "", RTK_OP_CREATE, &b, DENY,
            RTK_E_DENY_URL, R_APP2, "url host evil.example");

    body_init(&b, RTK_FIELD_ENABLED | RTK_FIELD_EVENTS | RTK_FIELD_NAME, 1,
              EV_SUMMARY, "https://hooks.example.com/rtk/x");
    EVAL_OP(p, "cre", A1, APP2, "", RTK_OP_CREATE, &b, DENY,
            RTK_E_DENY_EVENT, R_APP2, "event \"meeting.summary\"");

    /* replace: editors, then fields, enabled, url, events as for edit */
    EVAL_OP(p, "cre", A1, APP2, HOOK, RTK_OP_REPLACE, &full, ALLOW, 0,
            R_APP2, NULL);
    EVAL_OP(p, "ed", A1, APP2, HOOK, RTK_OP_REPLACE, &full, DENY,
            RTK_E_DENY_FIELD, R_APP2, "field \"enabled\"");
    EVAL_OP(p, "cre", A1, APP2, HOOK, RTK_OP_REPLACE, &off, DENY,
            RTK_E_DENY_DISABLE, R_APP2, NULL);
    EVAL_OP(p, "del", A1, APP2, HOOK, RTK_OP_REPLACE, &full, DENY,
            RTK_E_DENY_EDITOR, R_APP2, NULL);

    /* delete: deleters only, editors or not */
    EVAL_OP(p, "del", A1, APP2, HOOK, RTK_OP_DELETE, NULL, ALLOW, 0, R_APP2,
            NULL);
    EVAL_OP(p, "ed", A1, APP2, HOOK, RTK_OP_DELETE, NULL, DENY,
            RTK_E_DENY_DELETE, R_APP2, NULL);

    /* APP3: empty lists mean nobody, even the editors */
    EVAL_OP(p, "ed", A1, APP3, "", RTK_OP_LIST, NULL, DENY,
            RTK_E_DENY_READ, R_APP3, NULL);
    EVAL_OP(p, "ed", A1, APP3, HOOK, RTK_OP_GET, NULL, DENY,
            RTK_E_DENY_READ, R_APP3, NULL);
    EVAL_OP(p, "ed", A1, APP3, "", RTK_OP_CREATE, &full, DENY,
            RTK_E_DENY_CREATE, R_APP3, NULL);
    EVAL_OP(p, "ed", A1, APP3, HOOK, RTK_OP_DELETE, NULL, DENY,
            RTK_E_DENY_DELETE, R_APP3, NULL);
    body_init(&b, 0, 0, 0, "https://hooks.example.com/rtk/x");
    EVAL_OP(p, "ed", A1, APP3, HOOK, RTK_OP_EDIT, &b, DENY,
            RTK_E_DENY_URL, R_APP3, NULL);

    /* no rule: the same for every operation */
    EVAL_OP(p, "ed", A2, APP1, "", RTK_OP_LIST, NULL, DENY,
            RTK_E_DENY_NO_RULE, "default", NULL);
    EVAL_OP(p, "ed", A1, APP4, HOOK, RTK_OP_DELETE, NULL, DENY,
            RTK_E_DENY_NO_RULE, "accounts." A1,
            "no policy rule for app " APP4 " in account " A1);

    rtk_policy_free(p);

    /* report-only applies to every operation */
    p = parse("{\"mode\":\"report-only\",\"accounts\":{\"*\":{\"apps\":"
              "{\"*\":{\"editors\":[\"a\"]}}}}}");

    if (p != NULL) {
        EVAL_OP(p, "b", A1, APP1, "", RTK_OP_LIST, NULL, WOULD,
                RTK_E_DENY_READ, "accounts.*.apps.*", NULL);
        EVAL_OP(p, "a", A1, APP1, "", RTK_OP_CREATE, &full, WOULD,
                RTK_E_DENY_CREATE, "accounts.*.apps.*", NULL);
        EVAL_OP(p, "a", A1, APP1, HOOK, RTK_OP_DELETE, NULL, WOULD,
                RTK_E_DENY_DELETE, "accounts.*.apps.*", NULL);
        EVAL_OP(p, "a", A1, APP1, HOOK, RTK_OP_GET, NULL, ALLOW, 0,
                "accounts.*.apps.*", NULL);
        rtk_policy_free(p);
    }

    RTK_CHECK(RTK_E_DENY_READ == 40309 && RTK_E_DENY_CREATE == 40310
              && RTK_E_DENY_DELETE == 40311, "stable codes");
}


/* per-webhook rules: the most specific rule decides alone */

static const char  policy_hooks[] =
    "{\n"
    "  \"accounts\": {\n"
    "    \"" A1 "\": {\"apps\": {\n"
    "      \"" APP1 "\": {\n"
    "        \"editors\": [\"ed\"], \"deleters\": [\"ed\"],\n"
    "        \"urls\": [\"https://hooks.example.com/\"],\n"
    "        \"events\": [\"meeting.started\"],\n"
    "        \"webhooks\": {\n"
    "          \"" HOOKA "\": {\"editors\": [\"other\"]},\n"
    "          \"" HOOKB "\": {\n"
    "            \"editors\": [\"mallory\"], \"readers\": [\"ed\"],\n"
    "            \"deleters\": [\"mallory\"], \"enablers\": [\"mallory\"],\n"
    "            \"urls\": [\"https://evil.example/\"],\n"
    "            \"events\": [\"meeting.summary\"]\n"
    "          }\n"
    "        }\n"
    "      },\n"
    "      \"" APP2_HEX "\": {\n"
    "        \"mode\": \"report-only\", \"editors\": [\"ed\"],\n"
    "        \"webhooks\": {\n"
    "          \"" HOOKA "\": {\"mode\": \"enforce\", \"editors\": [\"ed\"]},\n"
    "          \"" HOOKB "\": {\"editors\": [\"ed\"]}\n"
    "        }\n"
    "      },\n"
    "      \"*\": {\"editors\": [\"star\"],\n"
    "        \"webhooks\": {\"" HOOKC "\": {\"editors\": [\"c\"]}}}\n"
    "    }},\n"
    "    \"*\": {\"mode\": \"report-only\", \"apps\": {\n"
    "      \"" APP3 "\": {\"editors\": [\"ed\"],\n"
    "        \"webhooks\": {\"" HOOKA "\": {\"editors\": [\"x\"]}}}\n"
    "    }}\n"
    "  }\n"
    "}\n";


#define R_HOOKA  R_APP1 ".webhooks." HOOKA
#define R_HOOKB  R_APP1 ".webhooks." HOOKB


static void
test_webhooks(void)
{
    rtk_body_t     b, full;
    rtk_policy_t  *p;

    p = parse(policy_hooks);
    RTK_CHECK(p != NULL, "hooks policy");

    if (p == NULL) {
        return;
    }

    RTK_CHECK(rtk_policy_apps(p) == 4, "apps %zu", rtk_policy_apps(p));

    body_init(&b, RTK_FIELD_NAME, 0, 0, NULL);
    body_init(&full, RTK_FIELD_ENABLED | RTK_FIELD_EVENTS | RTK_FIELD_NAME,
              1, EV_SUMMARY, "https://evil.example/x");

    /* another webhook of the app: the app's rule */
    EVAL_OP(p, "ed", A1, APP1, HOOK, RTK_OP_EDIT, &b, ALLOW, 0, R_APP1,
            NULL);
    EVAL_OP(p, "ed", A1, APP1, HOOK, RTK_OP_DELETE, NULL, ALLOW, 0, R_APP1,
            NULL);

    /* HOOKA denies what the app allows: ed is no editor of it ... */
    EVAL_OP(p, "ed", A1, APP1, HOOKA, RTK_OP_EDIT, &b, DENY,
            RTK_E_DENY_EDITOR, R_HOOKA,
            "caller \"ed\" is not an editor of app " APP1);
    EVAL_OP(p, "ed", A1, APP1, HOOKA, RTK_OP_GET, NULL, DENY,
            RTK_E_DENY_READ, R_HOOKA, NULL);
    EVAL_OP(p, "ed", A1, APP1, HOOKA, RTK_OP_DELETE, NULL, DENY,
            RTK_E_DENY_DELETE, R_HOOKA, NULL);

    /* ... and nothing is merged: its own editor, its own empty lists */
    EVAL_OP(p, "other", A1, APP1, HOOKA, RTK_OP_EDIT, &b, ALLOW, 0, R_HOOKA,
            NULL);
    EVAL_OP(p, "other", A1, APP1, HOOKA, RTK_OP_GET, NULL, ALLOW, 0,
            R_HOOKA, NULL);
    body_init(&b, 0, 0, 0, "https://hooks.example.com/x");
    EVAL_OP(p, "other", A1, APP1, HOOKA, RTK_OP_EDIT, &b, DENY,
            RTK_E_DENY_URL, R_HOOKA, NULL);
    EVAL_OP(p, "ed", A1, APP1, HOOK, RTK_OP_EDIT, &b, ALLOW, 0, R_APP1,
            NULL);

    /* HOOKB allows what the app denies */
    EVAL_OP(p, "mallory", A1, APP1, HOOKB, RTK_OP_REPLACE, &full, ALLOW, 0,
            R_HOOKB, NULL);
    EVAL_OP(p, "mallory", A1, APP1, HOOKB, RTK_OP_DELETE, NULL, ALLOW, 0,
            R_HOOKB, NULL);
    EVAL_OP(p, "mallory", A1, APP1, HOOK, RTK_OP_REPLACE, &full, DENY,
            RTK_E_DENY_EDITOR, R_APP1, NULL);
    EVAL_OP(p, "mallory", A1, APP1, HOOK, RTK_OP_DELETE, NULL, DENY,
            RTK_E_DENY_DELETE, R_APP1, NULL);
    EVAL_OP(p, "ed", A1, APP1, HOOKB, RTK_OP_GET, NULL, ALLOW, 0, R_HOOKB,
            NULL);
    EVAL_OP(p, "mallory", A1, APP1, HOOKB, RTK_OP_GET, NULL, DENY,
            RTK_E_DENY_READ, R_HOOKB, NULL);

    /* list and create are the app's: no webhook is named */
    EVAL_OP(p, "mallory", A1, APP1, "", RTK_OP_LIST, NULL, DENY,
            RTK_E_DENY_READ, R_APP1, NULL);
    EVAL_OP(p, "ed", A1, APP1, "", RTK_OP_LIST, NULL, ALLOW, 0, R_APP1,
            NULL);
    EVAL_OP(p, "mallory", A1, APP1, "", RTK_OP_CREATE, &full, DENY,
            RTK_E_DENY_CREATE, R_APP1, NULL);

    /* the webhook of another app is not this one's */
    EVAL_OP(p, "mallory", A1, APP4, HOOKB, RTK_OP_DELETE, NULL, DENY,
            RTK_E_DENY_DELETE, "accounts." A1 ".apps.*", NULL);

    /* "*" app entries have webhook entries too */
    body_init(&b, RTK_FIELD_NAME, 0, 0, NULL);
    EVAL_OP(p, "c", A1, APP4, HOOKC, RTK_OP_EDIT, &b, ALLOW, 0,
            "accounts." A1 ".apps.*.webhooks." HOOKC, NULL);
    EVAL_OP(p, "star", A1, APP4, HOOKC, RTK_OP_EDIT, &b, DENY,
            RTK_E_DENY_EDITOR, "accounts." A1 ".apps.*.webhooks." HOOKC,
            NULL);
    EVAL_OP(p, "c", A1, APP1, HOOKC, RTK_OP_EDIT, &b, DENY,
            RTK_E_DENY_EDITOR, R_APP1, NULL);

    /* either spelling of the app, as the file spells it in the rule */
    EVAL_OP(p, "ed", A1, APP1_HEX, HOOKA, RTK_OP_EDIT, &b, DENY,
            RTK_E_DENY_EDITOR, R_HOOKA,
            "caller \"ed\" is not an editor of app " APP1_HEX);
    EVAL_OP(p, "x", A1, APP2, HOOKA, RTK_OP_EDIT, &b, DENY,
            RTK_E_DENY_EDITOR,
            "accounts." A1 ".apps." APP2_HEX ".webhooks." HOOKA, NULL);

    /* modes: the webhook's own, else its app's, else the account's */
    EVAL_OP(p, "x", A1, APP2_HEX, HOOKB, RTK_OP_EDIT, &b, WOULD,
            RTK_E_DENY_EDITOR,
            "accounts." A1 ".apps." APP2_HEX ".webhooks." HOOKB, NULL);
    EVAL_OP(p, "x", A1, APP2_HEX, HOOK, RTK_OP_EDIT, &b, WOULD,
            RTK_E_DENY_EDITOR, "accounts." A1 ".apps." APP2_HEX, NULL);
    EVAL_OP(p, "x", A1, APP2_HEX, HOOKA, RTK_OP_EDIT, &b, DENY,
            RTK_E_DENY_EDITOR,
            "accounts." A1 ".apps." APP2_HEX ".webhooks." HOOKA, NULL);
    EVAL_OP(p, "ed", A2, APP3, HOOKA, RTK_OP_DELETE, NULL, WOULD,
            RTK_E_DENY_DELETE, "accounts.*.apps." APP3 ".webhooks." HOOKA,
            NULL);
    EVAL_OP(p, "x", A2, APP3, HOOKA, RTK_OP_GET, NULL, ALLOW, 0,
            "accounts.*.apps." APP3 ".webhooks." HOOKA, NULL);

    rtk_policy_free(p);

    /* the longest rule name fits */
    p = parse("{\"accounts\":{\"" A1 "\":{\"apps\":{\"" APP1 "\":{"
              "\"editors\":[\"a\"],\"webhooks\":{\"" HOOKA "\":"
              "{\"editors\":[\"b\"]}}}}}}}");

    if (p != NULL) {
        EVAL_OP(p, "a", A1, APP1, HOOKA, RTK_OP_GET, NULL, DENY,
                RTK_E_DENY_READ, R_HOOKA, NULL);
        RTK_CHECK(sizeof(R_HOOKA) <= RTK_RULE_NAME_MAX, "rule %zu bytes",
                  sizeof(R_HOOKA));
        rtk_policy_free(p);
    }
}


int
main(void)
{
    (void) rtk_test_alloc;

    test_operations();
    test_webhooks();

    return rtk_test_report("policy_ops");
}
