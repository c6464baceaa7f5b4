
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * What the keys and values of a policy file mean: names and ids are
 * checked, callers, groups and url patterns interned, lists turned into
 * sorted sets.  Called from the parser's callbacks in rtk_policy_load.c;
 * each function returns 1 to go on, 0 (with the error set) to stop.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rtk_policy_int.h"


static int rtk_policy_cmp_u32(const void *a, const void *b);
static int rtk_policy_cmp_fields(const void *a, const void *b);
static int rtk_policy_is_hex(const unsigned char *s, size_t len);
static int rtk_policy_is_account(const unsigned char *s, size_t len);
static int rtk_policy_is_uuid(const unsigned char *s, size_t len);
static int rtk_policy_is_group(const unsigned char *s, size_t len);
static int rtk_policy_is_caller(const unsigned char *s, size_t len);
static rtk_policy_caller_t *rtk_policy_caller(rtk_policy_ctx_t *ctx,
    const unsigned char *s, size_t len);
static int rtk_policy_principal(rtk_policy_ctx_t *ctx,
    const unsigned char *s, size_t len, uint32_t *principal,
    uint32_t **stamp);
static int rtk_policy_url(rtk_policy_ctx_t *ctx, const unsigned char *s,
    size_t len);
static int rtk_policy_set(rtk_policy_ctx_t *ctx, rtk_policy_set_t *set);
static int rtk_policy_entry_key(rtk_policy_ctx_t *ctx,
    const unsigned char *s, size_t len, unsigned allowed, unsigned *seen,
    const char *entry);
static rtk_policy_state_e rtk_policy_rule_state(rtk_policy_ctx_t *ctx);


const char *const  rtk_policy_key_names[RTK_POLICY_KEYS] = {
    "mode", "groups", "accounts", "apps", "editors", "enablers",
    "disablers", "urls", "events", "fields", "readers", "creators",
    "deleters", "webhooks"
};


static int
rtk_policy_cmp_u32(const void *a, const void *b)
{
    uint32_t  x, y;

    x = *(const uint32_t *) a;
    y = *(const uint32_t *) b;

    return (x > y) - (x < y);
}


static int
rtk_policy_cmp_fields(const void *a, const void *b)
{
    uint32_t  x, y;

    x = ((const rtk_policy_fields_t *) a)->principal;
    y = ((const rtk_policy_fields_t *) b)->principal;

    return (x > y) - (x < y);
}


/* syntax of names and ids */

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


static int
rtk_policy_is_group(const unsigned char *s, size_t len)
{
    size_t         i;
    unsigned char  c;

    if (len == 0) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        c = s[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
        {
            return 0;
        }
    }

    return 1;
}


static int
rtk_policy_is_caller(const unsigned char *s, size_t len)
{
    size_t  i;

    if (len == 0) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (s[i] < 0x20 || s[i] == 0x7f) {
            return 0;
        }
    }

    return 1;
}


/* interning */

static rtk_policy_caller_t *
rtk_policy_caller(rtk_policy_ctx_t *ctx, const unsigned char *s, size_t len)
{
    uint32_t              hash;
    unsigned char        *key;
    rtk_policy_t         *policy;
    rtk_policy_caller_t  *c;

    policy = ctx->policy;

    if (!rtk_policy_is_caller(s, len)) {
        (void) rtk_policy_fail(ctx, rtk_policy_token(ctx, RTK_TOK_STRING),
                               (len == 0)
                               ? "empty caller name"
                               : "caller name contains a control character");
        return NULL;
    }

    hash = rtk_policy_hash_key(s, len);

    c = rtk_policy_hash_find(&policy->callers, s, len, hash);
    if (c != NULL) {
        return c;
    }

    c = rtk_policy_pdup(policy, NULL, 0, sizeof(rtk_policy_caller_t));
    key = rtk_policy_pdup(policy, s, len, 1);

    if (c == NULL || key == NULL
        || rtk_policy_hash_add(&policy->callers, key, len, hash, c)
           != RTK_OK)
    {
        (void) rtk_policy_nomem(ctx);
        return NULL;
    }

    c->principal = policy->ncallers++ << 1;

    return c;
}


/* a list entry or "fields" key: "caller" or "@group" */

static int
rtk_policy_principal(rtk_policy_ctx_t *ctx, const unsigned char *s,
    size_t len, uint32_t *principal, uint32_t **stamp)
{
    char                  clip[RTK_POLICY_CLIP + 4];
    size_t                at;
    uint32_t              hash;
    unsigned char        *key;
    rtk_policy_t         *policy;
    rtk_policy_group_t   *g;
    rtk_policy_caller_t  *c;

    policy = ctx->policy;

    if (len == 0 || s[0] != '@') {
        c = rtk_policy_caller(ctx, s, len);
        if (c == NULL) {
            return RTK_ERROR;
        }

        *principal = c->principal;
        *stamp = &c->stamp;

        return RTK_OK;
    }

    s++;
    len--;

    at = rtk_policy_token(ctx, RTK_TOK_STRING);

    if (!rtk_policy_is_group(s, len)) {
        rtk_policy_clip(clip, s, len);
        (void) rtk_policy_fail(ctx, at, "bad group name \"@%s\" "
                               "(want [A-Za-z0-9_.-]+)", clip);
        return RTK_ERROR;
    }

    hash = rtk_policy_hash_key(s, len);

    g = rtk_policy_hash_find(&policy->groups, s, len, hash);

    if (g == NULL) {
        /* not defined yet: "groups" may come after "accounts" */
        g = rtk_policy_pdup(policy, NULL, 0, sizeof(rtk_policy_group_t));
        key = rtk_policy_pdup(policy, s, len, 1);

        if (g == NULL || key == NULL
            || rtk_policy_hash_add(&policy->groups, key, len, hash, g)
               != RTK_OK)
        {
            (void) rtk_policy_nomem(ctx);
            return RTK_ERROR;
        }

        g->principal = (policy->ngroups++ << 1) | 1;
        g->name = key;
        g->len = len;
        g->ref = at;
    }

    *principal = g->principal;
    *stamp = &g->stamp;

    return RTK_OK;
}


static int
rtk_policy_url(rtk_policy_ctx_t *ctx, const unsigned char *s, size_t len)
{
    char               clip[RTK_POLICY_CLIP + 4], errbuf[128];
    uint32_t           hash;
    unsigned char     *key;
    rtk_policy_t      *policy;
    rtk_policy_url_t  *u;

    policy = ctx->policy;
    hash = rtk_policy_hash_key(s, len);

    /* the same pattern text is parsed and stored once */
    u = rtk_policy_hash_find(&policy->urls, s, len, hash);

    if (u == NULL) {
        errbuf[0] = '\0';

        if (rtk_url_pattern_parse(&ctx->pattern, s, len, errbuf,
                                  sizeof(errbuf))
            != RTK_OK)
        {
            rtk_policy_clip(clip, s, len);
            return rtk_policy_fail(ctx, rtk_policy_token(ctx, RTK_TOK_STRING),
                                   "bad url pattern \"%s\": %s", clip,
                                   errbuf);
        }

        u = rtk_policy_pdup(policy, NULL, 0, sizeof(rtk_policy_url_t));
        key = rtk_policy_pdup(policy, s, len, 1);

        if (u == NULL || key == NULL) {
            return rtk_policy_nomem(ctx);
        }

        u->https = ctx->pattern.https;
        u->wildcard = ctx->pattern.wildcard;
        u->host_type = ctx->pattern.host_type;
        u->port = ctx->pattern.port;
        u->host_len = ctx->pattern.host_len;
        u->path_len = ctx->pattern.path_len;
        u->host = rtk_policy_pdup(policy, ctx->pattern.host, u->host_len, 1);
        u->path = rtk_policy_pdup(policy, ctx->pattern.path, u->path_len, 1);

        if (u->host == NULL || u->path == NULL
            || rtk_policy_hash_add(&policy->urls, key, len, hash, u)
               != RTK_OK)
        {
            return rtk_policy_nomem(ctx);
        }
    }

    if (rtk_policy_vec_push(&ctx->vec, &u, sizeof(u)) != RTK_OK) {
        return rtk_policy_nomem(ctx);
    }

    return 1;
}


/* turns the principals collected in ctx->vec into a sorted set */

static int
rtk_policy_set(rtk_policy_ctx_t *ctx, rtk_policy_set_t *set)
{
    uint32_t   i, n, w;
    uint32_t  *items;

    items = (uint32_t *) ctx->vec.data;
    n = (uint32_t) (ctx->vec.len / sizeof(uint32_t));

    set->n = 0;
    set->items = NULL;

    if (n == 0) {
        return 1;
    }

    qsort(items, n, sizeof(uint32_t), rtk_policy_cmp_u32);

    for (i = 1, w = 1; i < n; i++) {
        if (items[i] != items[w - 1]) {
            items[w++] = items[i];
        }
    }

    set->items = rtk_policy_pdup(ctx->policy, items, w * sizeof(uint32_t),
                                 0);
    if (set->items == NULL) {
        return rtk_policy_nomem(ctx);
    }

    set->n = w;

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


/* where a value inside a rule returns to */

static rtk_policy_state_e
rtk_policy_rule_state(rtk_policy_ctx_t *ctx)
{
    return (ctx->hook != NULL) ? RTK_ST_WEBHOOK_KEY : RTK_ST_APP_KEY;
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


/* values */

int
rtk_policy_mode(rtk_policy_ctx_t *ctx, const unsigned char *s, size_t len)
{
    char      clip[RTK_POLICY_CLIP + 4];
    unsigned  mode;

    if (len == 7 && memcmp(s, "enforce", 7) == 0) {
        mode = RTK_MODE_ENFORCE;

    } else if (len == 11 && memcmp(s, "report-only", 11) == 0) {
        mode = RTK_MODE_REPORT;

    } else {
        rtk_policy_clip(clip, s, len);
        return rtk_policy_fail(ctx, rtk_policy_token(ctx, RTK_TOK_STRING),
                               "bad mode \"%s\" "
                               "(want \"enforce\" or \"report-only\")",
                               clip);
    }

    if (ctx->level == 0) {
        ctx->policy->mode = mode;
        ctx->state = RTK_ST_ROOT_KEY;

    } else if (ctx->level == 1) {
        ctx->account->mode = mode;
        ctx->state = RTK_ST_ACCOUNT_KEY;

    } else {
        ctx->rule->mode = mode;
        ctx->state = rtk_policy_rule_state(ctx);
    }

    return 1;
}


int
rtk_policy_group_item(rtk_policy_ctx_t *ctx, const unsigned char *s,
    size_t len)
{
    char                  clip[RTK_POLICY_CLIP + 4];
    rtk_policy_caller_t  *c;

    if (len != 0 && s[0] == '@') {
        rtk_policy_clip(clip, s, len);
        return rtk_policy_fail(ctx, rtk_policy_token(ctx, RTK_TOK_STRING),
                               "groups cannot contain groups (\"%s\")",
                               clip);
    }

    c = rtk_policy_caller(ctx, s, len);
    if (c == NULL) {
        return 0;
    }

    /* a name listed twice in one group counts once */
    if (c->mark == ctx->group->principal) {
        return 1;
    }

    c->mark = ctx->group->principal;

    if (rtk_policy_vec_push(&ctx->vec, &c, sizeof(c)) != RTK_OK) {
        return rtk_policy_nomem(ctx);
    }

    return 1;
}


int
rtk_policy_list_item(rtk_policy_ctx_t *ctx, const unsigned char *s,
    size_t len)
{
    int        ev;
    char       clip[RTK_POLICY_CLIP + 4];
    uint32_t   principal;
    uint32_t  *stamp;

    switch (ctx->list) {

    case RTK_KEY_URLS:
        return rtk_policy_url(ctx, s, len);

    case RTK_KEY_EVENTS:
        ev = rtk_event_lookup(s, len);

        if (ev < 0) {
            rtk_policy_clip(clip, s, len);
            return rtk_policy_fail(ctx, rtk_policy_token(ctx, RTK_TOK_STRING),
                                   "unknown event \"%s\"", clip);
        }

        ctx->mask |= 1u << ev;
        return 1;

    default:
        if (rtk_policy_principal(ctx, s, len, &principal, &stamp) != RTK_OK) {
            return 0;
        }

        if (rtk_policy_vec_push(&ctx->vec, &principal, sizeof(principal))
            != RTK_OK)
        {
            return rtk_policy_nomem(ctx);
        }

        return 1;
    }
}


int
rtk_policy_field_item(rtk_policy_ctx_t *ctx, const unsigned char *s,
    size_t len)
{
    char      clip[RTK_POLICY_CLIP + 4];
    unsigned  i;

    for (i = 0; i < 4; i++) {
        if (strlen(rtk_field_names[i]) == len
            && memcmp(rtk_field_names[i], s, len) == 0)
        {
            ctx->mask |= 1u << i;
            return 1;
        }
    }

    rtk_policy_clip(clip, s, len);
    return rtk_policy_fail(ctx, rtk_policy_token(ctx, RTK_TOK_STRING),
                           "unknown field \"%s\" "
                           "(want enabled, events, name or url)", clip);
}


/* the ends of lists and objects */

int
rtk_policy_end_group(rtk_policy_ctx_t *ctx)
{
    rtk_policy_group_t  *g;

    g = ctx->group;
    g->nmembers = (uint32_t) (ctx->vec.len / sizeof(void *));

    if (g->nmembers != 0) {
        g->members = rtk_policy_pdup(ctx->policy, ctx->vec.data,
                                     ctx->vec.len, 0);
        if (g->members == NULL) {
            return rtk_policy_nomem(ctx);
        }
    }

    ctx->state = RTK_ST_GROUPS_KEY;

    return 1;
}


int
rtk_policy_end_list(rtk_policy_ctx_t *ctx)
{
    size_t             n;
    rtk_policy_app_t  *app;

    app = ctx->rule;
    ctx->state = rtk_policy_rule_state(ctx);

    switch (ctx->list) {

    case RTK_KEY_EDITORS:
        if (ctx->vec.len == 0) {
            return rtk_policy_fail(ctx, ctx->list_at,
                                   "\"editors\" must not be empty");
        }

        return rtk_policy_set(ctx, &app->editors);

    case RTK_KEY_READERS:
        app->has_readers = 1;
        return rtk_policy_set(ctx, &app->readers);

    case RTK_KEY_CREATORS:
        return rtk_policy_set(ctx, &app->creators);

    case RTK_KEY_DELETERS:
        return rtk_policy_set(ctx, &app->deleters);

    case RTK_KEY_ENABLERS:
        return rtk_policy_set(ctx, &app->enablers);

    case RTK_KEY_DISABLERS:
        app->has_disablers = 1;
        return rtk_policy_set(ctx, &app->disablers);

    case RTK_KEY_URLS:
        n = ctx->vec.len / sizeof(rtk_policy_url_t *);

        if (n != 0) {
            app->urls = rtk_policy_pdup(ctx->policy, ctx->vec.data,
                                        ctx->vec.len, 0);
            if (app->urls == NULL) {
                return rtk_policy_nomem(ctx);
            }
        }

        app->nurls = (uint32_t) n;
        return 1;

    default: /* RTK_KEY_EVENTS */
        app->events = ctx->mask;
        return 1;
    }
}


int
rtk_policy_end_field_list(rtk_policy_ctx_t *ctx)
{
    rtk_policy_fields_t  f;

    f.principal = ctx->principal;
    f.fields = ctx->mask;

    if (rtk_policy_vec_push(&ctx->fields, &f, sizeof(f)) != RTK_OK) {
        return rtk_policy_nomem(ctx);
    }

    ctx->state = RTK_ST_FIELDS_KEY;

    return 1;
}


int
rtk_policy_end_fields(rtk_policy_ctx_t *ctx)
{
    size_t                n;
    rtk_policy_fields_t  *f;

    n = ctx->fields.len / sizeof(rtk_policy_fields_t);

    if (n != 0) {
        f = (rtk_policy_fields_t *) ctx->fields.data;
        qsort(f, n, sizeof(rtk_policy_fields_t), rtk_policy_cmp_fields);

        ctx->rule->fields = rtk_policy_pdup(ctx->policy, f,
                                            ctx->fields.len, 0);
        if (ctx->rule->fields == NULL) {
            return rtk_policy_nomem(ctx);
        }
    }

    ctx->rule->nfields = (uint32_t) n;
    ctx->state = rtk_policy_rule_state(ctx);

    return 1;
}


/* the ends of rules: "editors" is required in each */

int
rtk_policy_end_app(rtk_policy_ctx_t *ctx)
{
    if (!(ctx->app_seen & RTK_KEY_EDITORS)) {
        return rtk_policy_fail(ctx, ctx->app_at,
                               "%s: missing required key \"editors\"",
                               ctx->app->rule);
    }

    ctx->state = RTK_ST_APPS_KEY;

    return 1;
}


int
rtk_policy_end_webhook(rtk_policy_ctx_t *ctx)
{
    if (!(ctx->hook_seen & RTK_KEY_EDITORS)) {
        return rtk_policy_fail(ctx, ctx->hook_at,
                               "%s: missing required key \"editors\"",
                               ctx->hook->rule);
    }

    ctx->hook = NULL;
    ctx->rule = ctx->app;
    ctx->state = RTK_ST_WEBHOOKS_KEY;

    return 1;
}
