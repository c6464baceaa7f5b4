
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * Loading: the file is read whole, checked by the strict-JSON prelude,
 * then parsed with yajl's callback parser straight into the final
 * structures.  A state per position in the document; what keys and
 * values mean is in rtk_policy_keys.c and rtk_policy_schema.c.  Every
 * error names the file, line and column of the token at fault.
 */


#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "rtk_policy_int.h"
#include "rtk_json.h"


static void rtk_policy_position(const unsigned char *data, size_t len,
    size_t at, unsigned long *line, unsigned long *col);
static int rtk_policy_wrong(rtk_policy_ctx_t *ctx, int kind);
static void rtk_policy_mark(rtk_policy_ctx_t *ctx);
static int rtk_policy_on_null(void *data);
static int rtk_policy_on_boolean(void *data, int value);
static int rtk_policy_on_number(void *data, const char *s, size_t len);
static int rtk_policy_on_string(void *data, const unsigned char *s,
    size_t len);
static int rtk_policy_on_start_map(void *data);
static int rtk_policy_on_map_key(void *data, const unsigned char *s,
    size_t len);
static int rtk_policy_on_end_map(void *data);
static int rtk_policy_on_start_array(void *data);
static int rtk_policy_on_end_array(void *data);
static int rtk_policy_finish(rtk_policy_ctx_t *ctx);
static size_t rtk_policy_bad_token(rtk_policy_ctx_t *ctx, size_t end);
static void rtk_policy_syntax(rtk_policy_ctx_t *ctx, yajl_status status);


static const yajl_callbacks  rtk_policy_callbacks = {
    rtk_policy_on_null,
    rtk_policy_on_boolean,
    NULL,
    NULL,
    rtk_policy_on_number,
    rtk_policy_on_string,
    rtk_policy_on_start_map,
    rtk_policy_on_map_key,
    rtk_policy_on_end_map,
    rtk_policy_on_start_array,
    rtk_policy_on_end_array
};


static void
rtk_policy_position(const unsigned char *data, size_t len, size_t at,
    unsigned long *line, unsigned long *col)
{
    size_t  i, bol;

    if (at > len) {
        at = len;
    }

    *line = 1;
    bol = 0;

    for (i = 0; i < at; i++) {
        if (data[i] == '\n') {
            (*line)++;
            bol = i + 1;
        }
    }

    *col = (unsigned long) (at - bol + 1);
}


/*
 * Inside a callback yajl has consumed the input up to the end of the
 * token being reported; walk back to where the token starts.
 */

size_t
rtk_policy_token(rtk_policy_ctx_t *ctx, int kind)
{
    size_t                n, p, end;
    const unsigned char  *d;

    if (ctx->finishing) {
        return ctx->len;
    }

    end = yajl_get_bytes_consumed(ctx->yajl);

    if (end == 0 || end > ctx->len) {
        return (end > ctx->len) ? ctx->len : 0;
    }

    d = ctx->data;
    p = end - 1;

    switch (kind) {

    case RTK_TOK_STRING:
        if (d[p] != '"') {
            return p;
        }

        /* the opening quote is the first one not escaped */
        while (p > 0) {
            p--;

            if (d[p] != '"') {
                continue;
            }

            for (n = 0; n < p && d[p - n - 1] == '\\'; n++) {
                /* void */
            }

            if (n % 2 == 0) {
                return p;
            }
        }

        return p;

    case RTK_TOK_NUMBER:
        /* also a literal: a bad token in a parse error */
        while (p > 0
               && ((d[p - 1] >= '0' && d[p - 1] <= '9')
                   || (d[p - 1] >= 'a' && d[p - 1] <= 'z')
                   || (d[p - 1] >= 'A' && d[p - 1] <= 'Z')
                   || d[p - 1] == '+' || d[p - 1] == '-' || d[p - 1] == '.'))
        {
            p--;
        }

        return p;

    case RTK_TOK_NULL:
    case RTK_TOK_TRUE:
        return (end >= 4) ? end - 4 : 0;

    case RTK_TOK_FALSE:
        return (end >= 5) ? end - 5 : 0;

    default:
        return p;
    }
}


int
rtk_policy_fail(rtk_policy_ctx_t *ctx, size_t at, const char *fmt, ...)
{
    va_list        args;
    unsigned long  line, col;

    if (ctx->failed) {
        return 0;
    }

    ctx->failed = 1;

    va_start(args, fmt);
    (void) vsnprintf(ctx->reason, sizeof(ctx->reason), fmt, args);
    va_end(args);

    rtk_policy_position(ctx->data, ctx->len, at, &line, &col);

    (void) rtk_error_set(ctx->err, RTK_E_INTERNAL, "%s:%lu:%lu: %s",
                         ctx->name, line, col, ctx->reason);

    /* stops the parser */
    return 0;
}


int
rtk_policy_nomem(rtk_policy_ctx_t *ctx)
{
    return rtk_policy_fail(ctx, rtk_policy_token(ctx, RTK_TOK_CHAR),
                           "out of memory");
}


static int
rtk_policy_wrong(rtk_policy_ctx_t *ctx, int kind)
{
    size_t       at;
    const char  *what, *list;

    at = rtk_policy_token(ctx, kind);
    list = rtk_policy_key_names[0];

    if (ctx->list != 0) {
        list = rtk_policy_key_names[rtk_policy_bit(ctx->list)];
    }

    switch (ctx->state) {

    case RTK_ST_ROOT:
        what = "the policy must be a JSON object";
        break;

    case RTK_ST_MODE:
        what = "\"mode\" must be a string";
        break;

    case RTK_ST_GROUPS:
        what = "\"groups\" must be an object";
        break;

    case RTK_ST_GROUP:
        what = "a group must be an array of caller names";
        break;

    case RTK_ST_GROUP_ITEM:
        what = "group members must be strings";
        break;

    case RTK_ST_ACCOUNTS:
        what = "\"accounts\" must be an object";
        break;

    case RTK_ST_ACCOUNT:
        what = "an account entry must be an object";
        break;

    case RTK_ST_APPS:
        what = "\"apps\" must be an object";
        break;

    case RTK_ST_APP:
        what = "an app entry must be an object";
        break;

    case RTK_ST_WEBHOOKS:
        what = "\"webhooks\" must be an object";
        break;

    case RTK_ST_WEBHOOK:
        what = "a webhook entry must be an object";
        break;

    case RTK_ST_LIST:
        return rtk_policy_fail(ctx, at, "\"%s\" must be an array of strings",
                               list);

    case RTK_ST_LIST_ITEM:
        return rtk_policy_fail(ctx, at, "\"%s\" must contain only strings",
                               list);

    case RTK_ST_FIELDS:
        what = "\"fields\" must be an object";
        break;

    case RTK_ST_FIELD_LIST:
        what = "\"fields\" entries must be arrays of field names";
        break;

    case RTK_ST_FIELD_ITEM:
        what = "field names must be strings";
        break;

    default:
        what = "unexpected value";
        break;
    }

    return rtk_policy_fail(ctx, at, "%s", what);
}


/* yajl callbacks */

static void
rtk_policy_mark(rtk_policy_ctx_t *ctx)
{
    if (!ctx->finishing) {
        ctx->last = yajl_get_bytes_consumed(ctx->yajl);
    }
}


static int
rtk_policy_on_null(void *data)
{
    rtk_policy_mark(data);

    return rtk_policy_wrong(data, RTK_TOK_NULL);
}


static int
rtk_policy_on_boolean(void *data, int value)
{
    rtk_policy_mark(data);

    return rtk_policy_wrong(data, value ? RTK_TOK_TRUE : RTK_TOK_FALSE);
}


static int
rtk_policy_on_number(void *data, const char *s, size_t len)
{
    (void) s;
    (void) len;

    rtk_policy_mark(data);

    return rtk_policy_wrong(data, RTK_TOK_NUMBER);
}


static int
rtk_policy_on_string(void *data, const unsigned char *s, size_t len)
{
    rtk_policy_ctx_t  *ctx;

    ctx = data;
    rtk_policy_mark(ctx);

    switch (ctx->state) {

    case RTK_ST_MODE:
        return rtk_policy_mode(ctx, s, len);

    case RTK_ST_GROUP_ITEM:
        return rtk_policy_group_item(ctx, s, len);

    case RTK_ST_LIST_ITEM:
        return rtk_policy_list_item(ctx, s, len);

    case RTK_ST_FIELD_ITEM:
        return rtk_policy_field_item(ctx, s, len);

    default:
        return rtk_policy_wrong(ctx, RTK_TOK_STRING);
    }
}


static int
rtk_policy_on_start_map(void *data)
{
    rtk_policy_ctx_t  *ctx;

    ctx = data;
    rtk_policy_mark(ctx);

    switch (ctx->state) {

    case RTK_ST_ROOT:
        ctx->root_at = rtk_policy_token(ctx, RTK_TOK_CHAR);
        ctx->state = RTK_ST_ROOT_KEY;
        return 1;

    case RTK_ST_GROUPS:
        ctx->state = RTK_ST_GROUPS_KEY;
        return 1;

    case RTK_ST_ACCOUNTS:
        ctx->state = RTK_ST_ACCOUNTS_KEY;
        return 1;

    case RTK_ST_ACCOUNT:
        ctx->account_at = rtk_policy_token(ctx, RTK_TOK_CHAR);
        ctx->state = RTK_ST_ACCOUNT_KEY;
        return 1;

    case RTK_ST_APPS:
        ctx->state = RTK_ST_APPS_KEY;
        return 1;

    case RTK_ST_APP:
        ctx->app_at = rtk_policy_token(ctx, RTK_TOK_CHAR);
        ctx->state = RTK_ST_APP_KEY;
        return 1;

    case RTK_ST_WEBHOOKS:
        ctx->state = RTK_ST_WEBHOOKS_KEY;
        return 1;

    case RTK_ST_WEBHOOK:
        ctx->hook_at = rtk_policy_token(ctx, RTK_TOK_CHAR);
        ctx->state = RTK_ST_WEBHOOK_KEY;
        return 1;

    case RTK_ST_FIELDS:
        ctx->state = RTK_ST_FIELDS_KEY;
        return 1;

    default:
        return rtk_policy_wrong(ctx, RTK_TOK_CHAR);
    }
}


static int
rtk_policy_on_map_key(void *data, const unsigned char *s, size_t len)
{
    rtk_policy_ctx_t  *ctx;

    ctx = data;
    rtk_policy_mark(ctx);

    switch (ctx->state) {

    case RTK_ST_ROOT_KEY:
        return rtk_policy_root_key(ctx, s, len);

    case RTK_ST_GROUPS_KEY:
        return rtk_policy_group_key(ctx, s, len);

    case RTK_ST_ACCOUNTS_KEY:
        return rtk_policy_account_key(ctx, s, len);

    case RTK_ST_ACCOUNT_KEY:
        return rtk_policy_account_entry_key(ctx, s, len);

    case RTK_ST_APPS_KEY:
        return rtk_policy_app_key(ctx, s, len);

    case RTK_ST_APP_KEY:
        return rtk_policy_app_entry_key(ctx, s, len);

    case RTK_ST_WEBHOOKS_KEY:
        return rtk_policy_webhook_key(ctx, s, len);

    case RTK_ST_WEBHOOK_KEY:
        return rtk_policy_webhook_entry_key(ctx, s, len);

    case RTK_ST_FIELDS_KEY:
        return rtk_policy_fields_key(ctx, s, len);

    default:
        /* yajl reports keys only inside objects: not reached */
        return rtk_policy_wrong(ctx, RTK_TOK_STRING);
    }
}


static int
rtk_policy_on_end_map(void *data)
{
    rtk_policy_ctx_t  *ctx;

    ctx = data;
    rtk_policy_mark(ctx);

    switch (ctx->state) {

    case RTK_ST_ROOT_KEY:
        if (!(ctx->root_seen & RTK_KEY_ACCOUNTS)) {
            return rtk_policy_fail(ctx, ctx->root_at,
                                   "missing required key \"accounts\"");
        }

        ctx->state = RTK_ST_DONE;

        /* completed by yajl_complete_parse(): all the input was taken */
        ctx->end = ctx->finishing ? ctx->len
                                  : yajl_get_bytes_consumed(ctx->yajl);
        return 1;

    case RTK_ST_GROUPS_KEY:
    case RTK_ST_ACCOUNTS_KEY:
        ctx->state = RTK_ST_ROOT_KEY;
        return 1;

    case RTK_ST_ACCOUNT_KEY:
        if (!(ctx->account_seen & RTK_KEY_APPS)) {
            return rtk_policy_fail(ctx, ctx->account_at,
                                   "account \"%s\": missing required key "
                                   "\"apps\"", ctx->account->key);
        }

        ctx->state = RTK_ST_ACCOUNTS_KEY;
        return 1;

    case RTK_ST_APPS_KEY:
        ctx->state = RTK_ST_ACCOUNT_KEY;
        return 1;

    case RTK_ST_APP_KEY:
        return rtk_policy_end_app(ctx);

    case RTK_ST_WEBHOOKS_KEY:
        ctx->state = RTK_ST_APP_KEY;
        return 1;

    case RTK_ST_WEBHOOK_KEY:
        return rtk_policy_end_webhook(ctx);

    case RTK_ST_FIELDS_KEY:
        return rtk_policy_end_fields(ctx);

    default:
        /* yajl pairs the braces: not reached */
        return rtk_policy_wrong(ctx, RTK_TOK_CHAR);
    }
}


static int
rtk_policy_on_start_array(void *data)
{
    rtk_policy_ctx_t  *ctx;

    ctx = data;
    rtk_policy_mark(ctx);

    switch (ctx->state) {

    case RTK_ST_GROUP:
        ctx->state = RTK_ST_GROUP_ITEM;
        break;

    case RTK_ST_LIST:
        ctx->state = RTK_ST_LIST_ITEM;
        break;

    case RTK_ST_FIELD_LIST:
        ctx->state = RTK_ST_FIELD_ITEM;
        break;

    default:
        return rtk_policy_wrong(ctx, RTK_TOK_CHAR);
    }

    ctx->list_at = rtk_policy_token(ctx, RTK_TOK_CHAR);
    ctx->vec.len = 0;
    ctx->mask = 0;

    return 1;
}


static int
rtk_policy_on_end_array(void *data)
{
    rtk_policy_ctx_t  *ctx;

    ctx = data;
    rtk_policy_mark(ctx);

    switch (ctx->state) {

    case RTK_ST_GROUP_ITEM:
        return rtk_policy_end_group(ctx);

    case RTK_ST_LIST_ITEM:
        return rtk_policy_end_list(ctx);

    case RTK_ST_FIELD_ITEM:
        return rtk_policy_end_field_list(ctx);

    default:
        return rtk_policy_wrong(ctx, RTK_TOK_CHAR);
    }
}


/* after the text: undefined groups, then each caller's group list */

static int
rtk_policy_finish(rtk_policy_ctx_t *ctx)
{
    size_t                i, at;
    uint32_t              k;
    rtk_policy_t         *policy;
    rtk_policy_group_t   *g, *bad;
    rtk_policy_caller_t  *c;

    policy = ctx->policy;
    bad = NULL;
    at = 0;

    for (i = 0; i < policy->groups.size; i++) {
        g = policy->groups.slots[i].value;

        if (g == NULL || g->defined) {
            continue;
        }

        /* report the first reference in the text */
        if (bad == NULL || g->ref < at) {
            bad = g;
            at = g->ref;
        }
    }

    if (bad != NULL) {
        return rtk_policy_fail(ctx, at, "unknown group \"@%s\"",
                               (const char *) bad->name);
    }

    for (i = 0; i < policy->groups.size; i++) {
        g = policy->groups.slots[i].value;

        if (g == NULL) {
            continue;
        }

        for (k = 0; k < g->nmembers; k++) {
            g->members[k]->ngroups++;
        }
    }

    for (i = 0; i < policy->callers.size; i++) {
        c = policy->callers.slots[i].value;

        if (c == NULL || c->ngroups == 0) {
            continue;
        }

        c->groups = rtk_policy_palloc(policy, c->ngroups * sizeof(uint32_t));
        if (c->groups == NULL) {
            return rtk_policy_nomem(ctx);
        }
    }

    for (i = 0; i < policy->groups.size; i++) {
        g = policy->groups.slots[i].value;

        if (g == NULL) {
            continue;
        }

        for (k = 0; k < g->nmembers; k++) {
            c = g->members[k];
            c->groups[c->fill++] = g->principal;
        }
    }

    return 1;
}


/*
 * The token that yajl refused is the first one after the last token
 * reported, or the next one if yajl went past a ',' or ':' there.
 */

static size_t
rtk_policy_bad_token(rtk_policy_ctx_t *ctx, size_t end)
{
    size_t                p;
    const unsigned char  *d;

    d = ctx->data;
    p = ctx->last;

    while (p < ctx->len && rtk_json_space(d[p])) {
        p++;
    }

    if (p < ctx->len && (d[p] == ',' || d[p] == ':') && end > p + 1) {
        p++;

        while (p < ctx->len && rtk_json_space(d[p])) {
            p++;
        }
    }

    return p;
}


static void
rtk_policy_syntax(rtk_policy_ctx_t *ctx, yajl_status status)
{
    size_t          at, n;
    const char     *msg, *p;
    unsigned char  *text;

    if (ctx->failed || status == yajl_status_client_canceled) {
        if (!ctx->failed) {
            (void) rtk_policy_fail(ctx, ctx->len, "parse canceled");
        }

        return;
    }

    text = yajl_get_error(ctx->yajl, 0, NULL, 0);
    msg = (text != NULL) ? (const char *) text : "error: unknown";

    /*
     * Most lexical errors stop at the offending byte, two just after it;
     * a parse error is after or inside the offending token.  An error at
     * the end of the text is put just past its last byte.
     */

    at = ctx->finishing ? ctx->len : yajl_get_bytes_consumed(ctx->yajl);

    if (ctx->finishing || at == 0 || at > ctx->len) {
        /* void */

    } else if (strncmp(msg, "lexical", 7) != 0) {
        at = rtk_policy_bad_token(ctx, at);

    } else if (strstr(msg, "invalid bytes in UTF8") != NULL
               || strstr(msg, "invalid char in json") != NULL)
    {
        at--;
    }

    p = strstr(msg, "error: ");
    p = (p != NULL) ? p + 7 : msg;

    n = strlen(p);

    while (n > 0 && (p[n - 1] == '\n' || p[n - 1] == ' ')) {
        n--;
    }

    (void) rtk_policy_fail(ctx, at, "JSON syntax error: %.*s", (int) n, p);

    if (text != NULL) {
        yajl_free_error(ctx->yajl, text);
    }
}


rtk_policy_t *
rtk_policy_parse(const unsigned char *data, size_t len, const char *name,
    rtk_error_t *err)
{
    size_t            i, at;
    const char       *what;
    unsigned int      mdlen;
    yajl_status       status;
    unsigned char     md[EVP_MAX_MD_SIZE];
    rtk_policy_t     *policy;
    rtk_policy_ctx_t  ctx;

    static const char  hex[] = "0123456789abcdef";

    if (name == NULL) {
        name = "policy";
    }

    if (data == NULL) {
        data = (const unsigned char *) "";
        len = 0;
    }

    if (len > RTK_POLICY_FILE_MAX) {
        (void) rtk_error_set(err, RTK_E_INTERNAL,
                             "%s: larger than 64 MiB", name);
        return NULL;
    }

    policy = calloc(1, sizeof(rtk_policy_t));
    if (policy == NULL) {
        (void) rtk_error_set(err, RTK_E_INTERNAL, "%s: out of memory", name);
        return NULL;
    }

    policy->mode = RTK_MODE_ENFORCE;

    if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1
        || mdlen * 2 != RTK_POLICY_HASH_LEN)
    {
        (void) rtk_error_set(err, RTK_E_INTERNAL, "%s: SHA-256 failed", name);
        rtk_policy_free(policy);
        return NULL;
    }

    for (i = 0; i < mdlen; i++) {
        policy->hash[2 * i] = hex[md[i] >> 4];
        policy->hash[2 * i + 1] = hex[md[i] & 0x0f];
    }

    policy->hash[RTK_POLICY_HASH_LEN] = '\0';

    memset(&ctx, 0, sizeof(rtk_policy_ctx_t));
    ctx.policy = policy;
    ctx.data = data;
    ctx.len = len;
    ctx.name = name;
    ctx.err = err;
    ctx.state = RTK_ST_ROOT;

    ctx.yajl = yajl_alloc(&rtk_policy_callbacks, NULL, &ctx);
    if (ctx.yajl == NULL) {
        (void) rtk_error_set(err, RTK_E_INTERNAL, "%s: out of memory", name);
        rtk_policy_free(policy);
        return NULL;
    }

    if (rtk_json_prelude(data, len, &at, &what) != RTK_OK) {
        (void) rtk_policy_fail(&ctx, at, "%s", what);
        goto done;
    }

    status = yajl_parse(ctx.yajl, data, len);

    if (status == yajl_status_ok) {
        ctx.finishing = 1;
        status = yajl_complete_parse(ctx.yajl);
    }

    if (status != yajl_status_ok) {
        rtk_policy_syntax(&ctx, status);

    } else if (ctx.state != RTK_ST_DONE) {
        /* a complete text that is not an object, e.g. "5" */
        (void) rtk_policy_fail(&ctx, 0, "the policy must be a JSON object");

    } else {
        /*
         * yajl takes an unterminated string after the object for a
         * token still to come, and then forgets it
         */

        for (at = ctx.end; at < len; at++) {
            if (!rtk_json_space(data[at])) {
                (void) rtk_policy_fail(&ctx, at, "trailing data after the "
                                       "policy object");
                goto done;
            }
        }

        (void) rtk_policy_finish(&ctx);
    }

done:

    yajl_free(ctx.yajl);
    free(ctx.vec.data);
    free(ctx.fields.data);

    /* only needed while loading */
    free(policy->groups.slots);
    free(policy->urls.slots);
    memset(&policy->groups, 0, sizeof(rtk_policy_hash_t));
    memset(&policy->urls, 0, sizeof(rtk_policy_hash_t));

    if (ctx.failed) {
        rtk_policy_free(policy);
        return NULL;
    }

    return policy;
}


rtk_policy_t *
rtk_policy_load(const char *path, rtk_error_t *err)
{
    int            fd;
    size_t         n;
    ssize_t        r;
    struct stat    st;
    rtk_policy_t  *policy;
    unsigned char *data;

    fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd == -1) {
        (void) rtk_error_set(err, RTK_E_INTERNAL, "%s: cannot open: %s",
                             path, strerror(errno));
        return NULL;
    }

    if (fstat(fd, &st) == -1) {
        (void) rtk_error_set(err, RTK_E_INTERNAL, "%s: cannot stat: %s",
                             path, strerror(errno));
        (void) close(fd);
        return NULL;
    }

    if (!S_ISREG(st.st_mode)) {
        (void) rtk_error_set(err, RTK_E_INTERNAL,
                             "%s: not a regular file", path);
        (void) close(fd);
        return NULL;
    }

    if (st.st_size > RTK_POLICY_FILE_MAX) {
        (void) rtk_error_set(err, RTK_E_INTERNAL,
                             "%s: larger than 64 MiB", path);
        (void) close(fd);
        return NULL;
    }

    /* one byte more than expected shows a file that grew meanwhile */
    data = malloc((size_t) st.st_size + 1);
    if (data == NULL) {
        (void) rtk_error_set(err, RTK_E_INTERNAL, "%s: out of memory", path);
        (void) close(fd);
        return NULL;
    }

    n = 0;

    for ( ;; ) {
        r = read(fd, data + n, (size_t) st.st_size + 1 - n);

        if (r == -1 && errno == EINTR) {
            continue;
        }

        if (r <= 0) {
            break;
        }

        n += (size_t) r;

        if (n == (size_t) st.st_size + 1) {
            break;
        }
    }

    (void) close(fd);

    if (r == -1) {
        (void) rtk_error_set(err, RTK_E_INTERNAL, "%s: read failed: %s",
                             path, strerror(errno));
        free(data);
        return NULL;
    }

    if (n != (size_t) st.st_size) {
        (void) rtk_error_set(err, RTK_E_INTERNAL,
                             "%s: changed while being read", path);
        free(data);
        return NULL;
    }

    policy = rtk_policy_parse(data, n, path, err);

    free(data);

    return policy;
}
