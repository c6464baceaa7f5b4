
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * A request's way through the gateway: routes, identifies, reads and
 * validates the body and asks the policy before the content phase, then
 * hands the rebuilt request to ngx_http_rtk_forward().  Anything not
 * allowed never reaches the upstream.
 */


#include "ngx_http_rtk.h"


#define NGX_HTTP_RTK_IDENTITY_MAX  1024


static ngx_int_t ngx_http_rtk_preread(ngx_http_request_t *r,
    ngx_http_rtk_loc_conf_t *rlcf, ngx_http_rtk_ctx_t *ctx);
static ngx_int_t ngx_http_rtk_check_content_type(ngx_http_request_t *r);
static void ngx_http_rtk_body_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_rtk_decide(ngx_http_request_t *r,
    ngx_http_rtk_ctx_t *ctx);
static ngx_int_t ngx_http_rtk_body_collect(ngx_http_request_t *r,
    size_t max, u_char **data, size_t *len);
static ngx_int_t ngx_http_rtk_rewrite(ngx_http_request_t *r,
    ngx_http_rtk_ctx_t *ctx);
static ngx_int_t ngx_http_rtk_rewrite_headers(ngx_http_request_t *r);
static ngx_table_elt_t *ngx_http_rtk_push_header(ngx_list_t *headers,
    ngx_str_t *key, ngx_str_t *lowcase, ngx_str_t *value);
static ngx_uint_t ngx_http_rtk_stripped_header(ngx_table_elt_t *h);
static void ngx_http_rtk_ctx_cleanup(void *data);
static ngx_int_t ngx_http_rtk_refuse_pass(ngx_http_request_t *r,
    ngx_http_rtk_ctx_t *ctx);
static void *ngx_http_rtk_alloc(void *pool, size_t size);


static ngx_str_t  ngx_http_rtk_content_type = ngx_string("Content-Type");
static ngx_str_t  ngx_http_rtk_content_type_lc = ngx_string("content-type");
static ngx_str_t  ngx_http_rtk_json = ngx_string("application/json");
static ngx_str_t  ngx_http_rtk_request_id = ngx_string("X-Request-Id");
static ngx_str_t  ngx_http_rtk_request_id_lc = ngx_string("x-request-id");


ngx_int_t
ngx_http_rtk_precontent_handler(ngx_http_request_t *r)
{
    ngx_int_t                 rc;
    ngx_http_rtk_ctx_t       *ctx;
    ngx_http_rtk_loc_conf_t  *rlcf;

    rlcf = ngx_http_get_module_loc_conf(r, ngx_http_rtk_module);

    if (!rlcf->gateway || r != r->main) {
        return NGX_DECLINED;
    }

    ctx = ngx_http_rtk_get_ctx(r, rlcf);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ctx->started) {
        return ctx->phase_status;
    }

    /* the location that decides, an "if" block's too, is the one that forwards */

    ctx->conf = rlcf;
    ctx->started = 1;
    ctx->phase_status = NGX_DONE;

    rc = ngx_http_rtk_preread(r, rlcf, ctx);

    if (rc != NGX_OK) {
        ctx->phase_status = rc;
        return rc;
    }

    rc = ngx_http_read_client_request_body(r, ngx_http_rtk_body_handler);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        ctx->phase_status = rc;
        return rc;
    }

    ngx_http_finalize_request(r, NGX_DONE);
    return NGX_DONE;
}


/*
 * The context outlives internal redirects (error_page, post_action),
 * which clear module contexts: a pool cleanup keeps it findable, so the
 * audit record is written with the gateway's configuration wherever the
 * request ends.  With rlcf NULL an existing context is only looked up.
 */

ngx_http_rtk_ctx_t *
ngx_http_rtk_get_ctx(ngx_http_request_t *r, ngx_http_rtk_loc_conf_t *rlcf)
{
    ngx_pool_cleanup_t  *cln;
    ngx_http_rtk_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_rtk_module);

    if (ctx != NULL) {
        goto found;
    }

    for (cln = r->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler == ngx_http_rtk_ctx_cleanup) {
            ctx = cln->data;
            ngx_http_set_ctx(r, ctx, ngx_http_rtk_module);
            goto found;
        }
    }

    /* the log phase asks for every request nginx serves: only look */

    if (rlcf == NULL) {
        return NULL;
    }

    cln = ngx_pool_cleanup_add(r->pool, sizeof(ngx_http_rtk_ctx_t));
    if (cln == NULL) {
        return NULL;
    }

    ctx = cln->data;
    ngx_memzero(ctx, sizeof(ngx_http_rtk_ctx_t));

    ctx->uri_changes = r->uri_changes;

    cln->handler = ngx_http_rtk_ctx_cleanup;

    ngx_http_set_ctx(r, ctx, ngx_http_rtk_module);

found:

    if (ctx->conf == NULL && rlcf != NULL && rlcf->gateway) {
        ctx->conf = rlcf;
    }

    return ctx;
}


static void
ngx_http_rtk_ctx_cleanup(void *data)
{
    /* only marks the context, see ngx_http_rtk_get_ctx() */
}


/*
 * In the server rewrite and rewrite phases, where every request and
 * every internal redirect starts: in a gateway location the context is
 * created here, so the request is audited whatever happens next.
 */

ngx_int_t
ngx_http_rtk_rewrite_handler(ngx_http_request_t *r)
{
    ngx_http_rtk_loc_conf_t  *rlcf;

    rlcf = ngx_http_get_module_loc_conf(r, ngx_http_rtk_module);

    if (rlcf->gateway && r == r->main
        && ngx_http_rtk_get_ctx(r, rlcf) == NULL)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_DECLINED;
}


/* every check that needs no body, so that bad requests cost nothing */

static ngx_int_t
ngx_http_rtk_preread(ngx_http_request_t *r, ngx_http_rtk_loc_conf_t *rlcf,
    ngx_http_rtk_ctx_t *ctx)
{
    if (rtk_route_parse(&ctx->route, r->unparsed_uri.data,
                        r->unparsed_uri.len, &ctx->error)
        != RTK_OK)
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "rtk: %s", ctx->error.message);
        return ctx->error.status;
    }

    ctx->routed = 1;

    if (r->method != NGX_HTTP_PATCH) {
        if (ngx_http_rtk_allow(r) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        (void) rtk_error_set(&ctx->error, RTK_E_METHOD,
                             "method %.*s is not allowed, use PATCH",
                             (int) ngx_min(r->method_name.len, 16),
                             r->method_name.data);
        return NGX_HTTP_NOT_ALLOWED;
    }

    if (ngx_http_complex_value(r, rlcf->identity, &ctx->caller) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ctx->caller.len == 0) {
        (void) rtk_error_set(&ctx->error, RTK_E_IDENTITY_MISSING,
                             "caller identity is missing");
        return NGX_HTTP_UNAUTHORIZED;
    }

    if (ctx->caller.len > NGX_HTTP_RTK_IDENTITY_MAX) {
        ctx->caller.len = NGX_HTTP_RTK_IDENTITY_MAX;
        (void) rtk_error_set(&ctx->error, RTK_E_IDENTITY_MISSING,
                             "caller identity is too long");
        return NGX_HTTP_UNAUTHORIZED;
    }

    if (ngx_http_rtk_check_content_type(r) != NGX_OK) {
        (void) rtk_error_set(&ctx->error, RTK_E_CONTENT_TYPE,
                             "Content-Type must be application/json");
        return NGX_HTTP_UNSUPPORTED_MEDIA_TYPE;
    }

    if (r->headers_in.content_length_n > (off_t) rlcf->body_max_size) {
        (void) rtk_error_set(&ctx->error, RTK_E_BODY_TOO_LARGE,
                             "body is larger than %zu bytes",
                             rlcf->body_max_size);
        return NGX_HTTP_REQUEST_ENTITY_TOO_LARGE;
    }

    ctx->token = ngx_http_rtk_token_find(rlcf, &ctx->route);

    if (ctx->token == NULL) {
        (void) rtk_error_set(&ctx->error, RTK_E_DENY_NO_TOKEN,
                             "no token is configured for account %s",
                             ctx->route.account);
        return NGX_HTTP_FORBIDDEN;
    }

    return NGX_OK;
}


/* "application/json", optionally with "charset=utf-8", and only once */

static ngx_int_t
ngx_http_rtk_check_content_type(ngx_http_request_t *r)
{
    u_char           *p, *last;
    ngx_uint_t        i, n;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    n = 0;
    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == sizeof("content-type") - 1
            && ngx_strcasecmp(h[i].key.data, (u_char *) "content-type") == 0)
        {
            n++;
        }
    }

    if (n != 1 || r->headers_in.content_type == NULL) {
        return NGX_DECLINED;
    }

    p = r->headers_in.content_type->value.data;
    last = p + r->headers_in.content_type->value.len;

    if (last - p < (ssize_t) ngx_http_rtk_json.len
        || ngx_strncasecmp(p, ngx_http_rtk_json.data, ngx_http_rtk_json.len)
           != 0)
    {
        return NGX_DECLINED;
    }

    p += ngx_http_rtk_json.len;

    while (p < last && (*p == ' ' || *p == '\t')) {
        p++;
    }

    if (p == last) {
        return NGX_OK;
    }

    if (*p++ != ';') {
        return NGX_DECLINED;
    }

    while (p < last && (*p == ' ' || *p == '\t')) {
        p++;
    }

    while (last > p && (last[-1] == ' ' || last[-1] == '\t')) {
        last--;
    }

    if (last - p == sizeof("charset=utf-8") - 1
        && ngx_strncasecmp(p, (u_char *) "charset=utf-8",
                           sizeof("charset=utf-8") - 1)
           == 0)
    {
        return NGX_OK;
    }

    if (last - p == sizeof("charset=\"utf-8\"") - 1
        && ngx_strncasecmp(p, (u_char *) "charset=\"utf-8\"",
                           sizeof("charset=\"utf-8\"") - 1)
           == 0)
    {
        return NGX_OK;
    }

    return NGX_DECLINED;
}


static void
ngx_http_rtk_body_handler(ngx_http_request_t *r)
{
    ngx_http_rtk_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_rtk_module);

    ctx->phase_status = ngx_http_rtk_decide(r, ctx);

    r->write_event_handler = ngx_http_core_run_phases;
    ngx_http_core_run_phases(r);
}


static ngx_int_t
ngx_http_rtk_decide(ngx_http_request_t *r, ngx_http_rtk_ctx_t *ctx)
{
    u_char                   *data;
    size_t                    len;
    ngx_int_t                 rc;
    ngx_http_rtk_loc_conf_t  *rlcf;

    rlcf = ngx_http_get_module_loc_conf(r, ngx_http_rtk_module);

    rc = ngx_http_rtk_body_collect(r, rlcf->body_max_size, &data, &len);

    if (rc != NGX_OK) {
        if (rc == NGX_HTTP_REQUEST_ENTITY_TOO_LARGE) {
            (void) rtk_error_set(&ctx->error, RTK_E_BODY_TOO_LARGE,
                                 "body is larger than %zu bytes",
                                 rlcf->body_max_size);
        }

        return rc;
    }

    if (rtk_body_parse(&ctx->body, data, len, ngx_http_rtk_alloc, r->pool,
                       &ctx->error)
        != RTK_OK)
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "rtk: rejected body: %s", ctx->error.message);
        return ctx->error.status;
    }

    ctx->parsed = 1;

    rtk_policy_eval(rlcf->policy, ctx->caller.data, ctx->caller.len,
                    &ctx->route, &ctx->body, &ctx->decision);

    ctx->decided = 1;

    if (ctx->decision.decision == RTK_DECISION_DENY) {
        ctx->error = ctx->decision.reason;

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "rtk: denied by %s: %s", ctx->decision.rule,
                      ctx->error.message);
        return ctx->error.status;
    }

    rc = ngx_http_rtk_rewrite(r, ctx);

    if (rc != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the decision record must exist before any byte goes upstream */

    ctx->forward = 1;

    if (ngx_http_rtk_audit_decision(r, ctx) != NGX_OK) {
        ctx->forward = 0;
        (void) rtk_error_set(&ctx->error, RTK_E_AUDIT_UNAVAILABLE,
                             "the audit log cannot be written");
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    return NGX_DECLINED;
}


/* the body in one piece, wherever nginx kept it */

static ngx_int_t
ngx_http_rtk_body_collect(ngx_http_request_t *r, size_t max, u_char **data,
    size_t *len)
{
    off_t         size, total;
    u_char       *p;
    ssize_t       n;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    *data = (u_char *) "";
    *len = 0;

    if (r->request_body == NULL || r->request_body->bufs == NULL) {
        return NGX_OK;
    }

    total = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        total += ngx_buf_size(cl->buf);
    }

    if (total > (off_t) max) {
        return NGX_HTTP_REQUEST_ENTITY_TOO_LARGE;
    }

    cl = r->request_body->bufs;

    if (cl->next == NULL && ngx_buf_in_memory(cl->buf)) {
        *data = cl->buf->pos;
        *len = cl->buf->last - cl->buf->pos;
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, (size_t) total + 1);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    *data = p;

    for ( /* void */ ; cl; cl = cl->next) {
        b = cl->buf;

        if (ngx_buf_in_memory(b)) {
            p = ngx_cpymem(p, b->pos, b->last - b->pos);
            continue;
        }

        if (b->in_file) {
            size = b->file_last - b->file_pos;

            n = ngx_read_file(b->file, p, (size_t) size, b->file_pos);

            if (n != size) {
                ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                              "rtk: short read of the request body "
                              "temp file");
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            p += n;
        }
    }

    *len = p - *data;

    return NGX_OK;
}


/*
 * The request the proxy module will send: the canonical body, the path
 * rebuilt from validated ids, and headers without client credentials.
 */

static ngx_int_t
ngx_http_rtk_rewrite(ngx_http_request_t *r, ngx_http_rtk_ctx_t *ctx)
{
    u_char       *out, *path;
    size_t        len;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    if (rtk_body_serialize(&ctx->body, ngx_http_rtk_alloc, r->pool, &out,
                           &len)
        != RTK_OK)
    {
        return NGX_ERROR;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->start = out;
    b->pos = out;
    b->last = out + len;
    b->end = b->last;
    b->memory = 1;
    b->last_buf = 1;

    cl = ngx_alloc_chain_link(r->pool);
    if (cl == NULL) {
        return NGX_ERROR;
    }

    cl->buf = b;
    cl->next = NULL;

    r->request_body->bufs = cl;
    r->headers_in.content_length_n = len;
    r->headers_in.chunked = 0;

    path = ngx_pnalloc(r->pool, RTK_ROUTE_PATH_MAX);
    if (path == NULL) {
        return NGX_ERROR;
    }

    r->uri.data = path;
    r->uri.len = rtk_route_path(&ctx->route, path);
    ngx_str_null(&r->args);

    /*
     * Otherwise proxy_pass without a URI sends the client's bytes, and
     * with one replaces the location's prefix of the rebuilt path.
     */
    r->valid_unparsed_uri = 0;
    r->valid_location = 0;
    r->quoted_uri = 0;

    return ngx_http_rtk_rewrite_headers(r);
}


static ngx_int_t
ngx_http_rtk_rewrite_headers(ngx_http_request_t *r)
{
    ngx_uint_t                  i;
    ngx_list_t                  old, *headers;
    ngx_list_part_t            *part;
    ngx_table_elt_t            *h, *ct, *nh;
    ngx_http_variable_value_t  *vv;

    /* a fresh list: the old one is walked from a copy of its head */

    old = r->headers_in.headers;
    headers = &r->headers_in.headers;

    if (ngx_list_init(headers, r->pool, 16, sizeof(ngx_table_elt_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    part = &old.part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].hash == 0 || ngx_http_rtk_stripped_header(&h[i])) {
            continue;
        }

        nh = ngx_list_push(headers);
        if (nh == NULL) {
            return NGX_ERROR;
        }

        *nh = h[i];
    }

    ct = ngx_http_rtk_push_header(headers, &ngx_http_rtk_content_type,
                                  &ngx_http_rtk_content_type_lc,
                                  &ngx_http_rtk_json);
    if (ct == NULL) {
        return NGX_ERROR;
    }

    vv = ngx_http_get_indexed_variable(r, ngx_http_rtk_request_id_index);

    if (vv != NULL && !vv->not_found) {
        nh = ngx_http_rtk_push_header(headers, &ngx_http_rtk_request_id,
                                      &ngx_http_rtk_request_id_lc, NULL);
        if (nh == NULL) {
            return NGX_ERROR;
        }

        nh->value.data = vv->data;
        nh->value.len = vv->len;
    }

    r->headers_in.content_type = ct;
    r->headers_in.authorization = NULL;
    r->headers_in.cookies.nelts = 0;

    return NGX_OK;
}


static ngx_table_elt_t *
ngx_http_rtk_push_header(ngx_list_t *headers, ngx_str_t *key,
    ngx_str_t *lowcase, ngx_str_t *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(headers);
    if (h == NULL) {
        return NULL;
    }

    h->key = *key;
    h->lowcase_key = lowcase->data;
    h->hash = ngx_hash_key(lowcase->data, lowcase->len);

    if (value) {
        h->value = *value;
    }

    return h;
}


/* credentials and anything we set ourselves never pass from the client */

static ngx_uint_t
ngx_http_rtk_stripped_header(ngx_table_elt_t *h)
{
    static ngx_str_t  names[] = {
        ngx_string("authorization"),
        ngx_string("proxy-authorization"),
        ngx_string("cookie"),
        ngx_string("content-type"),
        ngx_string("x-request-id"),
        ngx_null_string
    };

    ngx_str_t  *name;

    if (h->key.len >= sizeof("x-auth-") - 1
        && ngx_strncasecmp(h->key.data, (u_char *) "x-auth-",
                           sizeof("x-auth-") - 1)
           == 0)
    {
        return 1;
    }

    for (name = names; name->len; name++) {
        if (h->key.len == name->len
            && ngx_strncasecmp(h->key.data, name->data, name->len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


/*
 * Hands the allowed request to the proxy module, once: any later pass
 * through a gateway location's content phase for the same client request
 * (error_page, a named location, post_action, X-Accel-Redirect) is
 * refused, so nothing but the decided request ever carries the token.
 */

ngx_int_t
ngx_http_rtk_content_handler(ngx_http_request_t *r)
{
    ngx_http_rtk_ctx_t       *ctx;
    ngx_http_rtk_loc_conf_t  *rlcf;

    rlcf = ngx_http_get_module_loc_conf(r, ngx_http_rtk_module);
    ctx = ngx_http_rtk_get_ctx(r, NULL);

    if (ctx == NULL || r != r->main) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "rtk: content phase reached without a decision");
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ctx->forwarded || ctx->redirected || ctx->conf != rlcf) {
        return ngx_http_rtk_refuse_pass(r, ctx);
    }

    if (!ctx->forward || rlcf->upstream_handler == NULL) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "rtk: content phase reached without a decision");

        (void) rtk_error_set(&ctx->error, RTK_E_INTERNAL,
                             "the request was not decided");

        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_rtk_forward(r, ctx);
}


static ngx_int_t
ngx_http_rtk_refuse_pass(ngx_http_request_t *r, ngx_http_rtk_ctx_t *ctx)
{
    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "rtk: refused a second pass through a gateway location "
                  "to \"%V\", check error_page and post_action", &r->uri);

    ctx->redirected = 1;

    (void) rtk_error_set(&ctx->error, RTK_E_REDIRECT_REFUSED,
                         "an internal redirect may not pass the gateway "
                         "again");

    if (ctx->conf && ctx->conf->audit) {
        (void) ngx_http_rtk_audit_decision(r, ctx);
    }

    return NGX_HTTP_INTERNAL_SERVER_ERROR;
}


ngx_int_t
ngx_http_rtk_log_handler(ngx_http_request_t *r)
{
    rtk_error_t               err;
    ngx_http_rtk_ctx_t       *ctx;
    ngx_http_rtk_loc_conf_t  *rlcf;

    if (r != r->main) {
        return NGX_OK;
    }

    /* the gateway location's configuration, even after a redirect */

    rlcf = ngx_http_get_module_loc_conf(r, ngx_http_rtk_module);

    ctx = ngx_http_rtk_get_ctx(r, rlcf->gateway ? rlcf : NULL);

    if (ctx == NULL || ctx->conf == NULL || ctx->conf->audit == NULL) {
        return NGX_OK;
    }

    /* refused before the gateway ran, e.g. by auth_basic: name the ids */

    if (!ctx->routed
        && rtk_route_parse(&ctx->route, r->unparsed_uri.data,
                           r->unparsed_uri.len, &err)
           == RTK_OK)
    {
        ctx->routed = 1;
    }

    if (!ctx->decision_logged) {
        (void) ngx_http_rtk_audit_decision(r, ctx);
    }

    if (ctx->forwarded) {
        (void) ngx_http_rtk_audit_outcome(r, ctx);
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_rtk_allow(ngx_http_request_t *r)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Allow");
    ngx_str_set(&h->value, "PATCH");

    return NGX_OK;
}


static void *
ngx_http_rtk_alloc(void *pool, size_t size)
{
    return ngx_palloc(pool, size);
}
