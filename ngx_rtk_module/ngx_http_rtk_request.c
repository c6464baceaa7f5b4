
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * A request's way through the gateway: routes, identifies, reads and
 * validates the body and asks the policy before the content phase, then
 * hands the rebuilt request to ngx_http_rtk_forward().  Anything not
 * allowed never reaches the upstream.
 */


#include "ngx_http_rtk.h"


static ngx_int_t ngx_http_rtk_preread(ngx_http_request_t *r,
    ngx_http_rtk_loc_conf_t *rlcf, ngx_http_rtk_ctx_t *ctx);
static void ngx_http_rtk_body_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_rtk_decide(ngx_http_request_t *r,
    ngx_http_rtk_ctx_t *ctx);
static ngx_int_t ngx_http_rtk_body_collect(ngx_http_request_t *r,
    rtk_txn_t *txn, size_t max, u_char **data, size_t *len);
static ngx_int_t ngx_http_rtk_rewrite(ngx_http_request_t *r,
    ngx_http_rtk_ctx_t *ctx);
static ngx_int_t ngx_http_rtk_rewrite_headers(ngx_http_request_t *r,
    ngx_uint_t body);
static ngx_int_t ngx_http_rtk_rebuild_headers(ngx_http_request_t *r);
static ngx_int_t ngx_http_rtk_set_header(ngx_list_t *headers,
    ngx_table_elt_t **hp, ngx_http_rtk_header_name_t *name, u_char *value,
    size_t len);
static ngx_uint_t ngx_http_rtk_header_kind(ngx_table_elt_t *h);
static ngx_int_t ngx_http_rtk_refuse_pass(ngx_http_request_t *r,
    ngx_http_rtk_ctx_t *ctx);
static void *ngx_http_rtk_alloc(void *pool, size_t size);


/* what the gateway does with a client's request header */
#define NGX_HTTP_RTK_HEADER_KEEP          0
#define NGX_HTTP_RTK_HEADER_STRIP         1
#define NGX_HTTP_RTK_HEADER_CONTENT_TYPE  2
#define NGX_HTTP_RTK_HEADER_REQUEST_ID    3


/* the headers the gateway sets, hashed once, see ngx_http_rtk_init() */

ngx_http_rtk_header_name_t  ngx_http_rtk_content_type = {
    ngx_string("Content-Type"), ngx_string("content-type"), 0
};

ngx_http_rtk_header_name_t  ngx_http_rtk_request_id = {
    ngx_string("X-Request-Id"), ngx_string("x-request-id"), 0
};


static ngx_str_t  ngx_http_rtk_json = ngx_string("application/json");


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

    /* the location that decides, an "if" block's too, forwards */

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


/*
 * Every check that needs no body, so that bad requests cost nothing: the
 * engine's, in its order, with what nginx knows of the request.
 */

static ngx_int_t
ngx_http_rtk_preread(ngx_http_request_t *r, ngx_http_rtk_loc_conf_t *rlcf,
    ngx_http_rtk_ctx_t *ctx)
{
    ngx_str_t         caller;
    rtk_txn_t        *txn;
    ngx_uint_t        i, n;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h, *ct;

    txn = &ctx->txn;

    /*
     * Read first, after every access module: a refused route or method
     * is still recorded with who asked.  The engine checks it in turn.
     */

    if (ngx_http_complex_value(r, rlcf->identity, &caller) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->caller = caller;
    ctx->caller_read = 1;
    ctx->caller_checked = 1;

    if (rtk_txn_route(txn, r->unparsed_uri.data, r->unparsed_uri.len)
        != RTK_OK)
    {
        goto refused;
    }

    if (rtk_txn_method(txn, r->method_name.data, r->method_name.len)
        != RTK_OK)
    {
        if (ngx_http_rtk_allow(r, rtk_txn_allow(txn)) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        goto refused;
    }

    if (rtk_txn_identity(txn, caller.data, caller.len) != RTK_OK) {
        goto refused;
    }

    /* nginx keeps one Content-Type; the engine must know of the others */

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
            && ngx_http_rtk_name_is(h[i].key.data, "content-type",
                                    sizeof("content-type") - 1))
        {
            n++;
        }
    }

    ct = r->headers_in.content_type;

    if (rtk_txn_content_type(txn, ct ? ct->value.data : NULL,
                             ct ? ct->value.len : 0, n)
        != RTK_OK
        || rtk_txn_size(txn, r->headers_in.content_length_n,
                        rlcf->body_max_size)
           != RTK_OK)
    {
        goto refused;
    }

    ctx->token = ngx_http_rtk_token_find(rlcf, &txn->route);

    if (ctx->token == NULL) {
        (void) rtk_txn_fail(txn, NGX_HTTP_FORBIDDEN, RTK_E_DENY_NO_TOKEN,
                            "no token is configured for account %s",
                            txn->route.account);
        goto refused;
    }

    return NGX_OK;

refused:

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "rtk: refused: %s", txn->outcome.message);

    return txn->outcome.status;
}


static void
ngx_http_rtk_body_handler(ngx_http_request_t *r)
{
    ngx_int_t            rc;
    ngx_http_rtk_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_rtk_module);

    rc = ngx_http_rtk_decide(r, ctx);

    if (rc == NGX_AGAIN) {
        /* until its decision record is written, see ngx_http_rtk_batch.c */
        r->write_event_handler = ngx_http_request_empty_handler;
        return;
    }

    ngx_http_rtk_continue(r, ctx, rc);
}


/*
 * The decision record of a forwarding request was written (NGX_OK), or
 * could not be with fail=closed: the request goes on, and the reference
 * the audit writer took while it waited is released.
 */

void
ngx_http_rtk_decided(ngx_http_request_t *r, ngx_int_t rc)
{
    ngx_http_rtk_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_rtk_module);

    if (rc == NGX_OK && r->connection->error) {

        /*
         * The client went away while it waited, e.g. an HTTP/2 reset: its
         * decision to forward is in the file, an outcome record follows.
         */

        ctx->forward = 0;
        ctx->outcome_due = 1;

        (void) rtk_txn_fail(&ctx->txn, NGX_HTTP_CLIENT_CLOSED_REQUEST,
                            RTK_E_CLIENT_CLOSED,
                            "the client went away before the request "
                            "went upstream");

        ngx_http_rtk_continue(r, ctx, NGX_HTTP_CLIENT_CLOSED_REQUEST);
        ngx_http_finalize_request(r, NGX_DONE);
        return;
    }

    if (rc == NGX_OK) {
        rc = NGX_DECLINED;

    } else {
        ctx->forward = 0;

        (void) rtk_txn_fail(&ctx->txn, NGX_HTTP_SERVICE_UNAVAILABLE,
                            RTK_E_AUDIT_UNAVAILABLE,
                            "the audit log cannot be written");

        rc = NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    ngx_http_rtk_continue(r, ctx, rc);

    ngx_http_finalize_request(r, NGX_DONE);
}


/*
 * The step after the decision: rc NGX_DECLINED forwards, a status is
 * answered.  Where nothing else would run before the content phase
 * (conf->direct) the content step follows at once, as the content phase
 * would run it; else the phase engine goes on from the gateway's
 * precontent handler, which returns rc.  Either way the request reaches
 * no other location's handler, error_page and the log phase work as
 * they do for any answer, and r->main->count is nginx's.
 *
 * A decision that waits for its audit record to be written holds a
 * reference (r->main->count) meanwhile; ngx_http_rtk_decided() comes
 * here once the record is written, then releases it.
 */

void
ngx_http_rtk_continue(ngx_http_request_t *r, ngx_http_rtk_ctx_t *ctx,
    ngx_int_t rc)
{
    ctx->phase_status = rc;

    if (!ctx->conf->direct) {
        r->write_event_handler = ngx_http_core_run_phases;
        ngx_http_core_run_phases(r);
        return;
    }

    if (rc == NGX_DECLINED) {
        r->write_event_handler = ngx_http_request_empty_handler;
        rc = ngx_http_rtk_content_handler(r);
    }

    ngx_http_finalize_request(r, rc);
}


/*
 * NGX_DECLINED: allowed, rebuilt, its decision record written, to be
 * forwarded; NGX_AGAIN: the same once its record is written; else the
 * status that answers it.
 */

static ngx_int_t
ngx_http_rtk_decide(ngx_http_request_t *r, ngx_http_rtk_ctx_t *ctx)
{
    u_char                   *data;
    size_t                    len;
    ngx_int_t                 rc;
    rtk_txn_t                *txn;
    ngx_http_rtk_loc_conf_t  *rlcf;

    rlcf = ngx_http_get_module_loc_conf(r, ngx_http_rtk_module);
    txn = &ctx->txn;

    rc = ngx_http_rtk_body_collect(r, txn, rlcf->body_max_size, &data,
                                   &len);

    if (rc != NGX_OK) {
        return rc;
    }

    if (rtk_txn_body(txn, rlcf->policy, data, len, ngx_http_rtk_alloc,
                     r->pool)
        != RTK_OK)
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "rtk: refused%s%s: %s",
                      txn->evaluated ? " by " : "",
                      txn->evaluated ? txn->decision.rule : "",
                      txn->outcome.message);

        return txn->outcome.status;
    }

    if (ngx_http_rtk_rewrite(r, ctx) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the decision record must exist before any byte goes upstream */

    ctx->forward = 1;

    rc = ngx_http_rtk_audit_decision(r, ctx, 1);

    if (rc == NGX_AGAIN) {
        return NGX_AGAIN;
    }

    if (rc != NGX_OK) {
        ctx->forward = 0;

        (void) rtk_txn_fail(txn, NGX_HTTP_SERVICE_UNAVAILABLE,
                            RTK_E_AUDIT_UNAVAILABLE,
                            "the audit log cannot be written");

        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    return NGX_DECLINED;
}


/* the body in one piece, wherever nginx kept it */

static ngx_int_t
ngx_http_rtk_body_collect(ngx_http_request_t *r, rtk_txn_t *txn, size_t max,
    u_char **data, size_t *len)
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

    if (rtk_txn_size(txn, (long long) total, max) != RTK_OK) {
        return txn->outcome.status;
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

    out = ctx->txn.canonical;
    len = ctx->txn.canonical_len;

    /* list, get and delete send no body, and no framing for one */

    cl = NULL;

    if (out != NULL) {
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
    }

    r->request_body->bufs = cl;
    r->headers_in.content_length_n = out ? (off_t) len : -1;
    r->headers_in.chunked = 0;

    path = ngx_pnalloc(r->pool, RTK_ROUTE_PATH_MAX);
    if (path == NULL) {
        return NGX_ERROR;
    }

    r->uri.data = path;
    r->uri.len = rtk_route_path(&ctx->txn.route, path);
    ngx_str_null(&r->args);

    /*
     * Otherwise proxy_pass without a URI sends the client's bytes, and
     * with one replaces the location's prefix of the rebuilt path.
     */
    r->valid_unparsed_uri = 0;
    r->valid_location = 0;
    r->quoted_uri = 0;

    return ngx_http_rtk_rewrite_headers(r, out != NULL);
}


/*
 * Client headers the upstream must not see are stripped; Content-Type and
 * X-Request-Id are the gateway's.  The usual request has nothing to strip:
 * its own Content-Type and X-Request-Id lines are then rewritten in place,
 * else the list is rebuilt.
 */

static ngx_int_t
ngx_http_rtk_rewrite_headers(ngx_http_request_t *r, ngx_uint_t body)
{
    ngx_uint_t                  i, kind;
    ngx_list_t                 *headers;
    ngx_list_part_t            *part;
    ngx_table_elt_t            *h, *ct, *id;
    ngx_http_variable_value_t  *vv;

    vv = ngx_http_rtk_request_id_value(r);
    if (vv == NULL) {
        return NGX_ERROR;
    }

    headers = &r->headers_in.headers;
    ct = NULL;
    id = NULL;

    part = &headers->part;
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

        kind = h[i].hash ? ngx_http_rtk_header_kind(&h[i])
                         : NGX_HTTP_RTK_HEADER_STRIP;

        if (kind == NGX_HTTP_RTK_HEADER_KEEP) {
            continue;
        }

        if (kind == NGX_HTTP_RTK_HEADER_CONTENT_TYPE && body && ct == NULL) {
            ct = &h[i];
            continue;
        }

        if (kind == NGX_HTTP_RTK_HEADER_REQUEST_ID && !vv->not_found
            && id == NULL)
        {
            id = &h[i];
            continue;
        }

        /* something to strip: the kept lines only, ours added below */

        if (ngx_http_rtk_rebuild_headers(r) != NGX_OK) {
            return NGX_ERROR;
        }

        ct = NULL;
        id = NULL;

        break;
    }

    if (body
        && ngx_http_rtk_set_header(headers, &ct, &ngx_http_rtk_content_type,
                                   ngx_http_rtk_json.data,
                                   ngx_http_rtk_json.len)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (!vv->not_found
        && ngx_http_rtk_set_header(headers, &id, &ngx_http_rtk_request_id,
                                   vv->data, vv->len)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    r->headers_in.content_type = ct;
    r->headers_in.authorization = NULL;
    r->headers_in.cookies.nelts = 0;

    return NGX_OK;
}


/*
 * A fresh list of the lines kept: the old one is walked from a copy of
 * its head.
 */

static ngx_int_t
ngx_http_rtk_rebuild_headers(ngx_http_request_t *r)
{
    ngx_uint_t        i;
    ngx_list_t        old, *headers;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h, *nh;

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

        if (h[i].hash == 0
            || ngx_http_rtk_header_kind(&h[i]) != NGX_HTTP_RTK_HEADER_KEEP)
        {
            continue;
        }

        nh = ngx_list_push(headers);
        if (nh == NULL) {
            return NGX_ERROR;
        }

        *nh = h[i];
    }

    return NGX_OK;
}


/* *hp, or a new line if NULL, becomes "name: value" */

static ngx_int_t
ngx_http_rtk_set_header(ngx_list_t *headers, ngx_table_elt_t **hp,
    ngx_http_rtk_header_name_t *name, u_char *value, size_t len)
{
    ngx_table_elt_t  *h;

    h = *hp;

    if (h == NULL) {
        h = ngx_list_push(headers);
        if (h == NULL) {
            return NGX_ERROR;
        }

        *hp = h;
    }

    h->key = name->key;
    h->lowcase_key = name->lowcase.data;
    h->hash = name->hash;
    h->value.data = value;
    h->value.len = len;

    return NGX_OK;
}


/*
 * Credentials, method overrides and anything we set ourselves never pass
 * from the client.  Matched on the name as sent, not on nginx's hash.
 */

static ngx_uint_t
ngx_http_rtk_header_kind(ngx_table_elt_t *h)
{
    static struct {
        ngx_str_t   name;
        ngx_uint_t  kind;
    } names[] = {
        { ngx_string("authorization"), NGX_HTTP_RTK_HEADER_STRIP },
        { ngx_string("proxy-authorization"), NGX_HTTP_RTK_HEADER_STRIP },
        { ngx_string("cookie"), NGX_HTTP_RTK_HEADER_STRIP },
        { ngx_string("content-type"), NGX_HTTP_RTK_HEADER_CONTENT_TYPE },
        { ngx_string("x-request-id"), NGX_HTTP_RTK_HEADER_REQUEST_ID },
        { ngx_string("x-http-method-override"), NGX_HTTP_RTK_HEADER_STRIP },
        { ngx_string("x-http-method"), NGX_HTTP_RTK_HEADER_STRIP },
        { ngx_string("x-method-override"), NGX_HTTP_RTK_HEADER_STRIP },
        { ngx_null_string, 0 }
    };

    size_t       len;
    u_char      *key;
    ngx_uint_t   i;

    key = h->key.data;
    len = h->key.len;

    if (len >= sizeof("x-auth-") - 1
        && ngx_http_rtk_name_is(key, "x-auth-", sizeof("x-auth-") - 1))
    {
        return NGX_HTTP_RTK_HEADER_STRIP;
    }

    for (i = 0; names[i].name.len; i++) {
        if (len == names[i].name.len
            && ngx_http_rtk_name_is(key, (char *) names[i].name.data, len))
        {
            return names[i].kind;
        }
    }

    return NGX_HTTP_RTK_HEADER_KEEP;
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

        (void) rtk_txn_fail(&ctx->txn, NGX_HTTP_INTERNAL_SERVER_ERROR,
                            RTK_E_INTERNAL, "the request was not decided");

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

    (void) rtk_txn_fail(&ctx->txn, NGX_HTTP_INTERNAL_SERVER_ERROR,
                        RTK_E_REDIRECT_REFUSED, "an internal redirect may "
                        "not pass the gateway again");

    if (ctx->conf && ctx->conf->audit) {
        (void) ngx_http_rtk_audit_decision(r, ctx, 0);
    }

    return NGX_HTTP_INTERNAL_SERVER_ERROR;
}


ngx_int_t
ngx_http_rtk_log_handler(ngx_http_request_t *r)
{
    ngx_uint_t                status;
    rtk_error_t               err;
    ngx_http_rtk_ctx_t       *ctx;
    ngx_http_rtk_loc_conf_t  *rlcf;

    if (r != r->main) {
        return NGX_OK;
    }

    /* the gateway location's configuration, even after a redirect */

    rlcf = ngx_http_get_module_loc_conf(r, ngx_http_rtk_module);

    ctx = ngx_http_rtk_get_ctx(r, rlcf->gateway ? rlcf : NULL);

    /*
     * An error nginx answered before the gateway forwarded (auth_basic,
     * limit_req, a body too large) settles the request here, once, for
     * the metrics and the audit record alike.
     */

    status = ngx_http_rtk_status(r);

    if (ctx != NULL && !ctx->forward && status >= NGX_HTTP_BAD_REQUEST) {
        rtk_txn_fail_status(&ctx->txn, (int) status);
    }

    ngx_http_rtk_metrics_log(r, ctx);

    if (ctx == NULL || ctx->conf == NULL || ctx->conf->audit == NULL) {
        return NGX_OK;
    }

    /* refused before the gateway ran, e.g. by auth_basic: name the ids */

    if (!ctx->txn.routed
        && rtk_route_parse(&ctx->txn.route, r->unparsed_uri.data,
                           r->unparsed_uri.len, &err)
           == RTK_OK)
    {
        ctx->txn.routed = 1;
    }

    /* a flood's refusals are counted, not written one by one */

    if (!ctx->decision_logged
        && ngx_http_rtk_summary_add(r, ctx) != NGX_OK)
    {
        (void) ngx_http_rtk_audit_decision(r, ctx, 0);
    }

    /*
     * An outcome record for every decision to forward that is in the
     * file: a request refused because its sync failed, or ended while it
     * waited for its record, says so too.
     */

    if (ctx->forwarded || ctx->outcome_due) {
        if (ctx->answer_len
            && rtk_answer_webhook_id(ctx->answer, ctx->answer_len,
                                     (char *) ctx->created)
               != RTK_OK)
        {
            ctx->created[0] = '\0';
        }

        (void) ngx_http_rtk_audit_outcome(r, ctx);
    }

    return NGX_OK;
}


static void *
ngx_http_rtk_alloc(void *pool, size_t size)
{
    return ngx_palloc(pool, size);
}
