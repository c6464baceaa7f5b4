
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * Evaluation: hash lookups and small sorted sets, deny by default.  The
 * most specific rule decides alone: a webhook's entry, else its app's.
 */


#include <stdio.h>
#include <string.h>

#include "rtk_policy_int.h"


static int rtk_policy_find_u32(const uint32_t *items, uint32_t n,
    uint32_t key);
static unsigned rtk_policy_app_mode(const rtk_policy_t *policy,
    const rtk_policy_app_t *app);
static int rtk_policy_member(const rtk_policy_set_t *set,
    const rtk_policy_caller_t *c);
static int rtk_policy_fields(const rtk_policy_app_t *app,
    const rtk_policy_caller_t *c, unsigned *allowed);
static int rtk_policy_check(const rtk_policy_app_t *app,
    const rtk_policy_caller_t *c, const unsigned char *caller,
    size_t caller_len, const rtk_route_t *route, int op,
    const rtk_body_t *body, rtk_error_t *reason);
static int rtk_policy_check_body(const rtk_policy_app_t *app,
    const rtk_policy_caller_t *c, const unsigned char *caller,
    size_t caller_len, const rtk_route_t *route, const rtk_body_t *body,
    rtk_error_t *reason);
static void rtk_policy_pattern(const rtk_policy_url_t *u,
    rtk_url_pattern_t *pat);
static int rtk_policy_check_url(const rtk_policy_app_t *app,
    const rtk_route_t *route, const rtk_body_t *body, rtk_error_t *reason);


/* returns the index + 1, or 0 */

static int
rtk_policy_find_u32(const uint32_t *items, uint32_t n, uint32_t key)
{
    uint32_t  lo, hi, mid;

    lo = 0;
    hi = n;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;

        if (items[mid] == key) {
            return (int) mid + 1;
        }

        if (items[mid] < key) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    return 0;
}


/* a webhook entry's own, its app entry's, its account's, the file's */

static unsigned
rtk_policy_app_mode(const rtk_policy_t *policy, const rtk_policy_app_t *app)
{
    if (app->mode != RTK_MODE_UNSET) {
        return app->mode;
    }

    if (app->app != NULL && app->app->mode != RTK_MODE_UNSET) {
        return app->app->mode;
    }

    if (app->account->mode != RTK_MODE_UNSET) {
        return app->account->mode;
    }

    return policy->mode;
}


static int
rtk_policy_member(const rtk_policy_set_t *set, const rtk_policy_caller_t *c)
{
    uint32_t  i;

    if (c == NULL || set->n == 0) {
        return 0;
    }

    if (rtk_policy_find_u32(set->items, set->n, c->principal)) {
        return 1;
    }

    for (i = 0; i < c->ngroups; i++) {
        if (rtk_policy_find_u32(set->items, set->n, c->groups[i])) {
            return 1;
        }
    }

    return 0;
}


/*
 * The union of the "fields" entries of the caller and of its groups;
 * returns 0 if none of them has an entry, so nothing is restricted.
 */

static int
rtk_policy_fields(const rtk_policy_app_t *app, const rtk_policy_caller_t *c,
    unsigned *allowed)
{
    int                         found;
    uint32_t                    i, lo, hi, mid, p;
    const rtk_policy_fields_t  *f;

    found = 0;
    *allowed = 0;

    for (i = 0; i <= c->ngroups; i++) {
        p = (i == 0) ? c->principal : c->groups[i - 1];

        lo = 0;
        hi = app->nfields;

        while (lo < hi) {
            mid = lo + (hi - lo) / 2;
            f = &app->fields[mid];

            if (f->principal == p) {
                found = 1;
                *allowed |= f->fields;
                break;
            }

            if (f->principal < p) {
                lo = mid + 1;

            } else {
                hi = mid;
            }
        }
    }

    return found;
}


/* the checks of an operation in their order; the first failing decides */

static int
rtk_policy_check(const rtk_policy_app_t *app, const rtk_policy_caller_t *c,
    const unsigned char *caller, size_t caller_len, const rtk_route_t *route,
    int op, const rtk_body_t *body, rtk_error_t *reason)
{
    char  clip[RTK_POLICY_CLIP + 4];

    switch (op) {

    case RTK_OP_LIST:
    case RTK_OP_GET:
        /* without "readers", whoever may edit may read */
        if (rtk_policy_member(app->has_readers ? &app->readers
                                               : &app->editors, c))
        {
            return RTK_OK;
        }

        rtk_policy_clip(clip, caller, caller_len);

        return rtk_error_set(reason, RTK_E_DENY_READ,
                             "caller \"%s\" is not a reader of app %s",
                             clip, route->app);

    case RTK_OP_DELETE:
        if (rtk_policy_member(&app->deleters, c)) {
            return RTK_OK;
        }

        rtk_policy_clip(clip, caller, caller_len);

        return rtk_error_set(reason, RTK_E_DENY_DELETE,
                             "caller \"%s\" is not a deleter of app %s",
                             clip, route->app);

    case RTK_OP_CREATE:
        if (!rtk_policy_member(&app->creators, c)) {
            rtk_policy_clip(clip, caller, caller_len);

            return rtk_error_set(reason, RTK_E_DENY_CREATE,
                                 "caller \"%s\" is not a creator of app %s",
                                 clip, route->app);
        }

        break;

    default: /* RTK_OP_REPLACE, RTK_OP_EDIT */
        if (!rtk_policy_member(&app->editors, c)) {
            rtk_policy_clip(clip, caller, caller_len);

            return rtk_error_set(reason, RTK_E_DENY_EDITOR,
                                 "caller \"%s\" is not an editor of app %s",
                                 clip, route->app);
        }

        break;
    }

    /* then what the body asks for: create and replace name every field */

    return rtk_policy_check_body(app, c, caller, caller_len, route, body,
                                 reason);
}


static int
rtk_policy_check_body(const rtk_policy_app_t *app,
    const rtk_policy_caller_t *c, const unsigned char *caller,
    size_t caller_len, const rtk_route_t *route, const rtk_body_t *body,
    rtk_error_t *reason)
{
    char      clip[RTK_POLICY_CLIP + 4];
    unsigned  allowed, bad;

    if (app->nfields != 0 && rtk_policy_fields(app, c, &allowed)) {
        bad = body->fields & ~allowed & 0x0f;

        if (bad != 0) {
            rtk_policy_clip(clip, caller, caller_len);

            return rtk_error_set(reason, RTK_E_DENY_FIELD,
                                 "caller \"%s\" may not change field \"%s\" "
                                 "of app %s", clip,
                                 rtk_field_names[rtk_policy_bit(bad)],
                                 route->app);
        }
    }

    if (body->fields & RTK_FIELD_ENABLED) {
        if (body->enabled) {
            if (!rtk_policy_member(&app->enablers, c)) {
                rtk_policy_clip(clip, caller, caller_len);

                return rtk_error_set(reason, RTK_E_DENY_ENABLE,
                                     "caller \"%s\" may not enable webhooks "
                                     "of app %s", clip, route->app);
            }

        } else if (app->has_disablers
                   && !rtk_policy_member(&app->disablers, c))
        {
            rtk_policy_clip(clip, caller, caller_len);

            return rtk_error_set(reason, RTK_E_DENY_DISABLE,
                                 "caller \"%s\" may not disable webhooks "
                                 "of app %s", clip, route->app);
        }
    }

    if ((body->fields & RTK_FIELD_URL)
        && rtk_policy_check_url(app, route, body, reason) != RTK_OK)
    {
        return RTK_ERROR;
    }

    if (body->fields & RTK_FIELD_EVENTS) {
        bad = body->events & ~app->events & RTK_EVENTS_ALL;

        if (bad != 0) {
            return rtk_error_set(reason, RTK_E_DENY_EVENT,
                                 "event \"%s\" not allowed for app %s",
                                 rtk_event_names[rtk_policy_bit(bad)],
                                 route->app);
        }
    }

    return RTK_OK;
}


static void
rtk_policy_pattern(const rtk_policy_url_t *u, rtk_url_pattern_t *pat)
{
    pat->https = u->https;
    pat->wildcard = u->wildcard;
    pat->host_type = u->host_type;
    pat->port = u->port;

    memcpy(pat->host, u->host, u->host_len + 1);
    pat->host_len = u->host_len;

    memcpy(pat->path, u->path, u->path_len + 1);
    pat->path_len = u->path_len;
}


static int
rtk_policy_check_url(const rtk_policy_app_t *app, const rtk_route_t *route,
    const rtk_body_t *body, rtk_error_t *reason)
{
    char                clip[RTK_POLICY_CLIP + 4];
    uint32_t            i;
    const rtk_url_t    *url;
    rtk_url_pattern_t   pat;

    url = &body->url_parsed;

    for (i = 0; i < app->nurls; i++) {
        rtk_policy_pattern(app->urls[i], &pat);

        if (rtk_url_match(&pat, url)) {
            return RTK_OK;
        }
    }

    /*
     * Denied: say "host" only if no pattern names the host; the real
     * matcher decides, with scheme, port and path taken from the url.
     */

    for (i = 0; i < app->nurls; i++) {
        rtk_policy_pattern(app->urls[i], &pat);

        pat.https = url->https;
        pat.port = url->port;
        pat.path[0] = '/';
        pat.path[1] = '\0';
        pat.path_len = 1;

        if (rtk_url_match(&pat, url)) {
            rtk_policy_clip(clip, body->url, body->url_len);

            return rtk_error_set(reason, RTK_E_DENY_URL,
                                 "url \"%s\" not in allowlist of app %s",
                                 clip, route->app);
        }
    }

    rtk_policy_clip(clip, (const unsigned char *) url->host, url->host_len);

    return rtk_error_set(reason, RTK_E_DENY_URL,
                         "url host %s not in allowlist of app %s",
                         clip, route->app);
}


void
rtk_policy_eval(const rtk_policy_t *policy, const unsigned char *caller,
    size_t caller_len, const rtk_route_t *route, int op,
    const rtk_body_t *body, rtk_decision_t *decision)
{
    size_t                 n;
    unsigned               mode;
    const char            *rule;
    rtk_body_t             none;
    rtk_policy_app_t      *app, *hook;
    rtk_policy_caller_t   *c;
    rtk_policy_account_t  *a;
    unsigned char          key[RTK_ACCOUNT_ID_LEN + 1 + RTK_APP_KEY_LEN
                               + 1 + RTK_UUID_LEN];

    decision->decision = RTK_DECISION_ALLOW;
    decision->reason.status = 200;
    decision->reason.code = 0;
    decision->reason.message[0] = '\0';

    /* list, get and delete have no body: nothing to check in it */
    if (body == NULL) {
        memset(&none, 0, sizeof(rtk_body_t));
        body = &none;
    }

    a = rtk_policy_hash_find(&policy->accounts,
                             (const unsigned char *) route->account,
                             RTK_ACCOUNT_ID_LEN,
                             rtk_policy_hash_key(
                                 (const unsigned char *) route->account,
                                 RTK_ACCOUNT_ID_LEN));
    if (a == NULL) {
        a = policy->star;
    }

    if (a == NULL) {
        mode = policy->mode;
        rule = "default";
        goto no_rule;
    }

    /* the app's key, the same for both spellings of its id */
    memcpy(key, a->key, a->key_len);
    key[a->key_len] = '/';
    memcpy(key + a->key_len + 1, route->app_key, RTK_APP_KEY_LEN);
    n = a->key_len + 1 + RTK_APP_KEY_LEN;

    app = rtk_policy_hash_find(&policy->apps, key, n,
                               rtk_policy_hash_key(key, n));

    if (app == NULL) {
        app = a->star;
    }

    if (app == NULL) {
        mode = (a->mode != RTK_MODE_UNSET) ? a->mode : policy->mode;
        rule = a->rule;
        goto no_rule;
    }

    /* an item named in the app's entry: its own entry decides alone */

    if (route->item && app->nwebhooks != 0
        && route->webhook_len == RTK_UUID_LEN)
    {
        memcpy(key, app->key, app->key_len);
        key[app->key_len] = '/';
        memcpy(key + app->key_len + 1, route->webhook, RTK_UUID_LEN);
        n = app->key_len + 1 + RTK_UUID_LEN;

        hook = rtk_policy_hash_find(&policy->webhooks, key, n,
                                    rtk_policy_hash_key(key, n));
        if (hook != NULL) {
            app = hook;
        }
    }

    /* at most "accounts.<32>.apps.<36>.webhooks.<36>": it fits */
    memcpy(decision->rule, app->rule, strlen(app->rule) + 1);

    c = NULL;

    if (caller_len != 0) {
        c = rtk_policy_hash_find(&policy->callers, caller, caller_len,
                                 rtk_policy_hash_key(caller, caller_len));
    }

    if (rtk_policy_check(app, c, caller, caller_len, route, op, body,
                         &decision->reason)
        == RTK_OK)
    {
        return;
    }

    decision->decision = (rtk_policy_app_mode(policy, app) == RTK_MODE_REPORT)
                         ? RTK_DECISION_WOULD_DENY : RTK_DECISION_DENY;
    return;

no_rule:

    (void) snprintf(decision->rule, RTK_RULE_NAME_MAX, "%s", rule);
    (void) rtk_error_set(&decision->reason, RTK_E_DENY_NO_RULE,
                         "no policy rule for app %s in account %s",
                         route->app, route->account);

    decision->decision = (mode == RTK_MODE_REPORT)
                         ? RTK_DECISION_WOULD_DENY : RTK_DECISION_DENY;
}
