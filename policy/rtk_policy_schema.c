
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * What the values of a policy file mean: callers, groups and url
 * patterns checked and interned, lists turned into sorted sets, modes,
 * events and fields, and what the ends of lists and objects store.
 * The keys are in rtk_policy_keys.c.  Called from the parser's
 * callbacks in rtk_policy_load.c; each function returns 1 to go on, 0
 * (with the error set) to stop.
 */


#include <stdlib.h>
#include <string.h>

#include "rtk_policy_int.h"


static int rtk_policy_cmp_u32(const void *a, const void *b);
static int rtk_policy_cmp_fields(const void *a, const void *b);
static int rtk_policy_is_caller(const unsigned char *s, size_t len);
static rtk_policy_caller_t *rtk_policy_caller(rtk_policy_ctx_t *ctx,
    const unsigned char *s, size_t len);
static int rtk_policy_url(rtk_policy_ctx_t *ctx, const unsigned char *s,
    size_t len);
static int rtk_policy_set(rtk_policy_ctx_t *ctx, rtk_policy_set_t *set);
static rtk_policy_state_e rtk_policy_rule_state(rtk_policy_ctx_t *ctx);



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


/* syntax of names */

int
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

int
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


/* where a value inside a rule returns to */

static rtk_policy_state_e
rtk_policy_rule_state(rtk_policy_ctx_t *ctx)
{
    return (ctx->hook != NULL) ? RTK_ST_WEBHOOK_KEY : RTK_ST_APP_KEY;
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
