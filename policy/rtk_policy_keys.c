
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * The keys of a policy file's objects: which keys each object takes,
 * each at most once, and the entries that the keys of "groups",
 * "accounts", "apps" and "webhooks" name (ids checked, rule names
 * built, hash entries added).  Called from the parser's callbacks in
 * rtk_policy_load.c; each function returns 1 to go on, 0 (with the
 * error set) to stop.
 */


#include <stdio.h>
#include <string.h>

#include "rtk_policy_int.h"


static int rtk_policy_is_hex(const unsigned char *s, size_t len);
static int rtk_policy_is_account(const unsigned char *s, size_t len);
static int rtk_policy_is_uuid(const unsigned char *s, size_t len);
static int rtk_policy_entry_key(rtk_policy_ctx_t *ctx,
    const unsigned char *s, size_t len, unsigned allowed, unsigned *seen,
    const char *entry);



const char *const  rtk_policy_key_names[RTK_POLICY_KEYS] = {
    "mode", "groups", "accounts", "apps", "editors", "enablers",
    "disablers", "urls", "events", "fields", "readers", "creators",
    "deleters", "webhooks"
};


/* syntax of ids */

static int
rtk_policy_is_hex(const unsigned char *s, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return 0;
        }
    }

    return 1;
}


static int
rtk_policy_is_account(const unsigned char *s, size_t len)
{
    if (len == 1 && s[0] == '*') {
        return 1;
    }

    return len == RTK_ACCOUNT_ID_LEN && rtk_policy_is_hex(s, len);
}


static int
rtk_policy_is_uuid(const unsigned char *s, size_t len)
{
    size_t  i;

    if (len != RTK_UUID_LEN) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-') {
                return 0;
            }

        } else if (!rtk_policy_is_hex(&s[i], 1)) {
            return 0;
        }
    }

    return 1;
}


/* map keys, by the object they are in */

int
rtk_policy_root_key(rtk_policy_ctx_t *ctx, const unsigned char *s,
    size_t len)
{
    char      clip[RTK_POLICY_CLIP + 4];
    unsigned  key;

    if (len == 4 && memcmp(s, "mode", 4) == 0) {
        key = RTK_KEY_MODE;
        ctx->state = RTK_ST_MODE;
        ctx->level = 0;

    } else if (len == 6 && memcmp(s, "groups", 6) == 0) {
        key = RTK_KEY_GROUPS;
        ctx->state = RTK_ST_GROUPS;

    } else if (len == 8 && memcmp(s, "accounts", 8) == 0) {
        key = RTK_KEY_ACCOUNTS;
        ctx->state = RTK_ST_ACCOUNTS;

    } else {
        rtk_policy_clip(clip, s, len);
        return rtk_policy_fail(ctx, rtk_policy_token(ctx, RTK_TOK_STRING),
                               "unknown key \"%s\" at top level "
                               "(want mode, groups or accounts)", clip);
    }

    if (ctx->root_seen & key) {
        rtk_policy_clip(clip, s, len);
        return rtk_policy_fail(ctx, rtk_policy_token(ctx, RTK_TOK_STRING),
                               "duplicate key \"%s\"", clip);
    }

    ctx->root_seen |= key;

    return 1;
}


int
rtk_policy_group_key(rtk_policy_ctx_t *ctx, const unsigned char *s,
    size_t len)
{
    char                 clip[RTK_POLICY_CLIP + 4];
    size_t               at;
    uint32_t             hash;
    unsigned char       *key;
    rtk_policy_t        *policy;
    rtk_policy_group_t  *g;

    policy = ctx->policy;
    at = rtk_policy_token(ctx, RTK_TOK_STRING);

    if (!rtk_policy_is_group(s, len)) {
        rtk_policy_clip(clip, s, len);
        return rtk_policy_fail(ctx, at, "bad group name \"%s\" "
                               "(want [A-Za-z0-9_.-]+)", clip);
    }

    hash = rtk_policy_hash_key(s, len);

    g = rtk_policy_hash_find(&policy->groups, s, len, hash);

    if (g == NULL) {
        g = rtk_policy_pdup(policy, NULL, 0, sizeof(rtk_policy_group_t));
        key = rtk_policy_pdup(policy, s, len, 1);

        if (g == NULL || key == NULL
            || rtk_policy_hash_add(&policy->groups, key, len, hash, g)
               != RTK_OK)
        {
            return rtk_policy_nomem(ctx);
        }

        g->principal = (policy->ngroups++ << 1) | 1;
        g->name = key;
        g->len = len;

    } else if (g->defined) {
        rtk_policy_clip(clip, s, len);
        return rtk_policy_fail(ctx, at, "duplicate key \"%s\"", clip);
    }

    g->defined = 1;
    ctx->group = g;
    ctx->state = RTK_ST_GROUP;

    return 1;
}


int
rtk_policy_account_key(rtk_policy_ctx_t *ctx, const unsigned char *s,
    size_t len)
{
    char                   clip[RTK_POLICY_CLIP + 4];
    size_t                 at;
    uint32_t               hash;
    unsigned char         *key;
    rtk_policy_t          *policy;
    rtk_policy_account_t  *a;

    policy = ctx->policy;
    at = rtk_policy_token(ctx, RTK_TOK_STRING);
    rtk_policy_clip(clip, s, len);

    if (!rtk_policy_is_account(s, len)) {
        return rtk_policy_fail(ctx, at, "bad account id \"%s\" "
                               "(want 32 lowercase hex digits or \"*\")",
                               clip);
    }

    hash = rtk_policy_hash_key(s, len);

    if (rtk_policy_hash_find(&policy->accounts, s, len, hash) != NULL) {
        return rtk_policy_fail(ctx, at, "duplicate key \"%s\"", clip);
    }

    a = rtk_policy_pdup(policy, NULL, 0, sizeof(rtk_policy_account_t));
    key = rtk_policy_pdup(policy, s, len, 1);

    if (a == NULL || key == NULL
        || rtk_policy_hash_add(&policy->accounts, key, len, hash, a)
           != RTK_OK)
    {
        return rtk_policy_nomem(ctx);
    }

    a->key = key;
    a->key_len = len;
    a->rule = rtk_policy_palloc(policy, sizeof("accounts.") + len);

    if (a->rule == NULL) {
        return rtk_policy_nomem(ctx);
    }

    (void) snprintf((char *) a->rule, sizeof("accounts.") + len,
                    "accounts.%s", key);

    if (len == 1) {
        policy->star = a;
    }

    ctx->account = a;
    ctx->account_seen = 0;
    ctx->state = RTK_ST_ACCOUNT;

    return 1;
}


int
rtk_policy_account_entry_key(rtk_policy_ctx_t *ctx, const unsigned char *s,
    size_t len)
{
    char      clip[RTK_POLICY_CLIP + 4];
    unsigned  key;

    if (len == 4 && memcmp(s, "mode", 4) == 0) {
        key = RTK_KEY_MODE;

    } else if (len == 4 && memcmp(s, "apps", 4) == 0) {
        key = RTK_KEY_APPS;

    } else {
        rtk_policy_clip(clip, s, len);
        return rtk_policy_fail(ctx, rtk_policy_token(ctx, RTK_TOK_STRING),
                               "unknown key \"%s\" in account entry "
                               "(want mode or apps)", clip);
    }

    if (ctx->account_seen & key) {
        rtk_policy_clip(clip, s, len);
        return rtk_policy_fail(ctx, rtk_policy_token(ctx, RTK_TOK_STRING),
                               "duplicate key \"%s\"", clip);
    }

    ctx->account_seen |= key;

    if (key == RTK_KEY_MODE) {
        ctx->level = 1;
        ctx->state = RTK_ST_MODE;

    } else {
        ctx->state = RTK_ST_APPS;
    }

    return 1;
}


int
rtk_policy_app_key(rtk_policy_ctx_t *ctx, const unsigned char *s,
    size_t len)
{
    char                   clip[RTK_POLICY_CLIP + 4];
    char                  *rule;
    size_t                 at, n, k;
    uint32_t               hash;
    const char            *first;
    unsigned char         *key;
    rtk_policy_t          *policy;
    rtk_policy_app_t      *app, *dup;
    rtk_policy_account_t  *a;

    policy = ctx->policy;
    a = ctx->account;
    at = rtk_policy_token(ctx, RTK_TOK_STRING);
    rtk_policy_clip(clip, s, len);

    /* "<account key>/<app key>": both spellings of an app share one */
    key = rtk_policy_palloc(policy, a->key_len + 1 + RTK_APP_KEY_LEN + 1);
    if (key == NULL) {
        return rtk_policy_nomem(ctx);
    }

    memcpy(key, a->key, a->key_len);
    key[a->key_len] = '/';
    k = a->key_len + 1;

    if (len == 1 && s[0] == '*') {
        key[k] = '*';
        key[k + 1] = '\0';
        n = k + 1;

    } else if (rtk_route_app_key(s, len, (char *) key + k) == RTK_OK) {
        n = k + RTK_APP_KEY_LEN;

    } else {
        return rtk_policy_fail(ctx, at, "bad app id \"%s\" (want a lowercase "
                               "UUID, 32 lowercase hex digits or \"*\")",
                               clip);
    }

    hash = rtk_policy_hash_key(key, n);

    dup = (len == 1) ? a->star : rtk_policy_hash_find(&policy->apps, key, n,
                                                      hash);

    if (dup != NULL) {
        /* the spelling the first entry used: the rule name ends with it */
        first = dup->rule + sizeof("accounts..apps.") - 1 + a->key_len;

        if (strlen(first) == len && memcmp(first, s, len) == 0) {
            return rtk_policy_fail(ctx, at, "duplicate key \"%s\"", clip);
        }

        return rtk_policy_fail(ctx, at, "duplicate key \"%s\" (the same app "
                               "as \"%s\")", clip, first);
    }

    app = rtk_policy_pdup(policy, NULL, 0, sizeof(rtk_policy_app_t));
    rule = rtk_policy_palloc(policy,
                             sizeof("accounts..apps.") + a->key_len + len);

    if (app == NULL || rule == NULL) {
        return rtk_policy_nomem(ctx);
    }

    /* spelled as in the file */
    (void) snprintf(rule, sizeof("accounts..apps.") + a->key_len + len,
                    "accounts.%s.apps.%.*s", (const char *) a->key,
                    (int) len, (const char *) s);

    app->account = a;
    app->rule = rule;
    app->key = key;
    app->key_len = n;

    if (len == 1) {
        a->star = app;

    } else if (rtk_policy_hash_add(&policy->apps, key, n, hash, app)
               != RTK_OK)
    {
        return rtk_policy_nomem(ctx);
    }

    policy->napps++;

    ctx->app = app;
    ctx->rule = app;
    ctx->hook = NULL;
    ctx->app_seen = 0;
    ctx->state = RTK_ST_APP;

    return 1;
}


int
rtk_policy_app_entry_key(rtk_policy_ctx_t *ctx, const unsigned char *s,
    size_t len)
{
    return rtk_policy_entry_key(ctx, s, len, RTK_KEYS_APP, &ctx->app_seen,
                                "app entry (want mode, editors, readers, "
                                "creators, deleters, enablers, disablers, "
                                "urls, events, fields or webhooks)");
}


int
rtk_policy_webhook_entry_key(rtk_policy_ctx_t *ctx, const unsigned char *s,
    size_t len)
{
    return rtk_policy_entry_key(ctx, s, len, RTK_KEYS_WEBHOOK,
                                &ctx->hook_seen,
                                "webhook entry (want mode, editors, readers, "
                                "deleters, enablers, disablers, urls, events "
                                "or fields)");
}


/* a key of a rule: an app entry or a webhook entry */

static int
rtk_policy_entry_key(rtk_policy_ctx_t *ctx, const unsigned char *s,
    size_t len, unsigned allowed, unsigned *seen, const char *entry)
{
    char      clip[RTK_POLICY_CLIP + 4];
    unsigned  i, key;

    key = 0;

    for (i = 0; i < sizeof(rtk_policy_key_names) / sizeof(char *); i++) {
        if (strlen(rtk_policy_key_names[i]) == len
            && memcmp(rtk_policy_key_names[i], s, len) == 0)
        {
            key = 1u << i;
            break;
        }
    }

    if ((key & allowed) == 0) {
        rtk_policy_clip(clip, s, len);
        return rtk_policy_fail(ctx, rtk_policy_token(ctx, RTK_TOK_STRING),
                               "unknown key \"%s\" in %s", clip, entry);
    }

    if (*seen & key) {
        rtk_policy_clip(clip, s, len);
        return rtk_policy_fail(ctx, rtk_policy_token(ctx, RTK_TOK_STRING),
                               "duplicate key \"%s\"", clip);
    }

    *seen |= key;

    switch (key) {

    case RTK_KEY_MODE:
        ctx->level = 2;
        ctx->state = RTK_ST_MODE;
        break;

    case RTK_KEY_FIELDS:
        /* a principal stamped with this serial is a key of this object */
        ctx->serial++;
        ctx->state = RTK_ST_FIELDS;
        ctx->fields.len = 0;
        break;

    case RTK_KEY_WEBHOOKS:
        ctx->state = RTK_ST_WEBHOOKS;
        break;

    default:
        ctx->list = key;
        ctx->state = RTK_ST_LIST;
        break;
    }

    return 1;
}


int
rtk_policy_webhook_key(rtk_policy_ctx_t *ctx, const unsigned char *s,
    size_t len)
{
    char               clip[RTK_POLICY_CLIP + 4];
    char              *rule;
    size_t             at, n, size;
    uint32_t           hash;
    unsigned char     *key;
    rtk_policy_t      *policy;
    rtk_policy_app_t  *app, *hook;

    policy = ctx->policy;
    app = ctx->app;
    at = rtk_policy_token(ctx, RTK_TOK_STRING);
    rtk_policy_clip(clip, s, len);

    /* the route takes nothing else: no "*", no second spelling */
    if (!rtk_policy_is_uuid(s, len)) {
        return rtk_policy_fail(ctx, at, "bad webhook id \"%s\" (want a "
                               "lowercase UUID)", clip);
    }

    /* "<app's key>/<webhook id>" */
    n = app->key_len + 1 + len;

    key = rtk_policy_palloc(policy, n + 1);
    if (key == NULL) {
        return rtk_policy_nomem(ctx);
    }

    memcpy(key, app->key, app->key_len);
    key[app->key_len] = '/';
    memcpy(key + app->key_len + 1, s, len);
    key[n] = '\0';

    hash = rtk_policy_hash_key(key, n);

    if (rtk_policy_hash_find(&policy->webhooks, key, n, hash) != NULL) {
        return rtk_policy_fail(ctx, at, "duplicate key \"%s\"", clip);
    }

    hook = rtk_policy_pdup(policy, NULL, 0, sizeof(rtk_policy_app_t));
    size = strlen(app->rule) + sizeof(".webhooks.") + len;
    rule = rtk_policy_palloc(policy, size);

    if (hook == NULL || rule == NULL
        || rtk_policy_hash_add(&policy->webhooks, key, n, hash, hook)
           != RTK_OK)
    {
        return rtk_policy_nomem(ctx);
    }

    (void) snprintf(rule, size, "%s.webhooks.%.*s", app->rule, (int) len,
                    (const char *) s);

    hook->account = app->account;
    hook->app = app;
    hook->rule = rule;

    app->nwebhooks++;

    ctx->hook = hook;
    ctx->rule = hook;
    ctx->hook_seen = 0;
    ctx->state = RTK_ST_WEBHOOK;

    return 1;
}


int
rtk_policy_fields_key(rtk_policy_ctx_t *ctx, const unsigned char *s,
    size_t len)
{
    char       clip[RTK_POLICY_CLIP + 4];
    uint32_t  *stamp;

    if (rtk_policy_principal(ctx, s, len, &ctx->principal, &stamp)
        != RTK_OK)
    {
        return 0;
    }

    if (*stamp == ctx->serial) {
        rtk_policy_clip(clip, s, len);
        return rtk_policy_fail(ctx, rtk_policy_token(ctx, RTK_TOK_STRING),
                               "duplicate key \"%s\"", clip);
    }

    *stamp = ctx->serial;
    ctx->state = RTK_ST_FIELD_LIST;

    return 1;
}
