
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * The token's only way out.
 *
 * Invariant: the token is written into exactly one buffer per client
 * request, the header of the upstream request that the proxy module
 * built for the request the gateway allowed, in the location that
 * allowed it, and only once.  It never enters r->headers_in, a variable,
 * a log line or a response.  That buffer is wiped when the upstream is
 * finalized (or the request's pool goes away), and the TLS send buffer
 * of the upstream connection, which copies it, is wiped as soon as it
 * has been sent.
 *
 * The proxy module sets the upstream up and builds the request as it
 * always does; r->aio keeps it from starting the upstream, so that the
 * gateway can wrap create_request, finalize_request and the output
 * filter first, then start it with ngx_http_upstream_init().
 */


#include <openssl/crypto.h>

#include "ngx_http_rtk.h"


static ngx_int_t ngx_http_rtk_create_request(ngx_http_request_t *r);
static ngx_int_t ngx_http_rtk_check_header(ngx_http_request_t *r,
    ngx_http_rtk_ctx_t *ctx, ngx_buf_t *b);
static void ngx_http_rtk_finalize_upstream(ngx_http_request_t *r,
    ngx_int_t rc);
static ngx_int_t ngx_http_rtk_send(void *data, ngx_chain_t *in);
static void ngx_http_rtk_wipe(void *data);


extern ngx_module_t  ngx_http_proxy_module;


static ngx_str_t  ngx_http_rtk_authorization =
    ngx_string("Authorization: ");


ngx_int_t
ngx_http_rtk_forward(ngx_http_request_t *r, ngx_http_rtk_ctx_t *ctx)
{
    ngx_int_t                  rc;
    ngx_http_upstream_t       *u;
    ngx_http_upstream_conf_t  *proxy;

    r->aio = 1;
    rc = ctx->conf->upstream_handler(r);
    r->aio = 0;

    if (rc != NGX_DONE
        && (rc < NGX_HTTP_SPECIAL_RESPONSE || r->header_sent))
    {
        /* not the proxy module: another handler answered */

        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "rtk: the gateway location's content handler "
                      "is not proxy_pass");

        return r->header_sent ? NGX_ERROR : NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc != NGX_DONE) {
        /* the proxy module failed before it took the request */
        return rc;
    }

    /* the upstream conf is the first member of the proxy's loc conf */

    proxy = ngx_http_get_module_loc_conf(r, ngx_http_proxy_module);
    u = r->upstream;

    if (u == NULL || u->conf != proxy || u->create_request == NULL
        || u->cleanup != NULL)
    {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "rtk: the gateway location's content handler "
                      "is not proxy_pass");

        (void) rtk_txn_fail(&ctx->txn, NGX_HTTP_INTERNAL_SERVER_ERROR,
                            RTK_E_INTERNAL, "the gateway is misconfigured");

        r->upstream = NULL;
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return NGX_DONE;
    }

    ctx->request = r;

    ctx->create_request = u->create_request;
    u->create_request = ngx_http_rtk_create_request;

    ctx->finalize_request = u->finalize_request;
    u->finalize_request = ngx_http_rtk_finalize_upstream;

    u->output.output_filter = ngx_http_rtk_send;
    u->output.filter_ctx = ctx;

    ctx->forwarded = 1;

    ngx_http_upstream_init(r);

    return NGX_DONE;
}


/*
 * The proxy module's request, checked, with the token added as its last
 * header, in a buffer of our own that is wiped after use.
 */

static ngx_int_t
ngx_http_rtk_create_request(ngx_http_request_t *r)
{
    u_char                *p;
    size_t                 len;
    ngx_buf_t             *b, *hb;
    ngx_chain_t           *cl;
    ngx_pool_cleanup_t    *cln;
    ngx_http_rtk_ctx_t    *ctx;
    ngx_http_upstream_t   *u;
    ngx_http_rtk_token_t  *token;

    ctx = ngx_http_rtk_get_ctx(r, NULL);

    if (ctx == NULL || ctx->request != r || ctx->attached
        || ctx->token == NULL)
    {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "rtk: an upstream request without a decision");
        return NGX_ERROR;
    }

    ctx->attached = 1;

    if (ctx->create_request(r) != NGX_OK) {
        return NGX_ERROR;
    }

    u = r->upstream;
    hb = u->request_bufs->buf;

    if (ngx_http_rtk_check_header(r, ctx, hb) != NGX_OK) {
        return NGX_ERROR;
    }

    token = ctx->token;

    len = (hb->last - hb->pos) + ngx_http_rtk_authorization.len
          + token->header.len + sizeof(CRLF) - 1;

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_http_rtk_wipe;
    cln->data = b;

    ctx->upstream_header = b;

    /* the header without its final CRLF, the token, then the CRLF */

    p = ngx_cpymem(b->last, hb->pos, hb->last - hb->pos - 2);
    p = ngx_cpymem(p, ngx_http_rtk_authorization.data,
                   ngx_http_rtk_authorization.len);
    p = ngx_cpymem(p, token->header.data, token->header.len);
    *p++ = CR; *p++ = LF;
    *p++ = CR; *p++ = LF;

    b->last = p;

    /* the last buffer of a request without a body must still flush it */

    b->flush = hb->flush;
    b->last_buf = hb->last_buf;
    b->last_in_chain = hb->last_in_chain;

    u->request_bufs->buf = b;

    ctx->upstream_size = 0;

    for (cl = u->request_bufs; cl; cl = cl->next) {
        ctx->upstream_size += ngx_buf_size(cl->buf);
    }

    return NGX_OK;
}


/*
 * What the proxy module built must be the request the gateway rebuilt:
 * a header block with no credential of the operator's own (such as
 * "proxy_set_header Authorization $http_authorization"), followed by
 * exactly the canonical body.
 */

static ngx_int_t
ngx_http_rtk_check_header(ngx_http_request_t *r, ngx_http_rtk_ctx_t *ctx,
    ngx_buf_t *b)
{
    u_char       *p, *last, *name, *eol;
    ngx_buf_t    *body;
    ngx_chain_t  *cl;

    p = b->pos;
    last = b->last;

    if (!ngx_buf_in_memory(b) || last - p < 4
        || ngx_strncmp(last - 4, CRLF CRLF, 4) != 0)
    {
        goto invalid;
    }

    /* the request line: the validated method and the rebuilt path */

    eol = memchr(p, LF, last - p);

    if ((size_t) (eol - p) < r->method_name.len + r->uri.len
                             + sizeof("  HTTP/1.x") - 1
        || ngx_strncmp(p, r->method_name.data, r->method_name.len) != 0
        || p[r->method_name.len] != ' '
        || ngx_strncmp(p + r->method_name.len + 1, r->uri.data, r->uri.len)
           != 0
        || ngx_strncmp(p + r->method_name.len + 1 + r->uri.len, " HTTP/1.",
                       sizeof(" HTTP/1.") - 1)
           != 0)
    {
        goto invalid;
    }

    /* then one header a line up to the empty one */

    for (p = eol + 1; p < last - 2; p = eol + 1) {
        name = p;
        eol = memchr(p, LF, last - p);

        if (eol == NULL) {
            goto invalid;
        }

        p = memchr(name, ':', eol - name);

        if (p == NULL) {
            p = eol;
        }

        if (ngx_http_rtk_credential(name, p - name)) {
            ngx_log_error(NGX_LOG_CRIT, r->connection->log, 0,
                          "rtk: the proxy module added a \"%*s\" header, "
                          "remove it from proxy_set_header in the gateway "
                          "location", p - name, name);

            (void) rtk_txn_fail(&ctx->txn, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                RTK_E_UPSTREAM_HEADER,
                                "the gateway is misconfigured");
            return NGX_ERROR;
        }
    }

    /* the canonical body, or none at all for list, get and delete */

    cl = r->upstream->request_bufs->next;
    body = (r->request_body && r->request_body->bufs)
           ? r->request_body->bufs->buf : NULL;

    if (body == NULL ? cl != NULL
        : (cl == NULL || cl->next != NULL
           || cl->buf->pos != body->pos || cl->buf->last != body->last))
    {
        ngx_log_error(NGX_LOG_CRIT, r->connection->log, 0,
                      "rtk: the proxy module did not send the validated "
                      "body, remove proxy_set_body and "
                      "proxy_pass_request_body from the gateway location");
        goto refuse;
    }

    return NGX_OK;

invalid:

    ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                  "rtk: unexpected upstream request header");

refuse:

    (void) rtk_txn_fail(&ctx->txn, NGX_HTTP_INTERNAL_SERVER_ERROR,
                        RTK_E_INTERNAL, "the gateway is misconfigured");

    return NGX_ERROR;
}


/* credentials that only the gateway may send */

ngx_uint_t
ngx_http_rtk_credential(u_char *name, size_t len)
{
    static ngx_str_t  names[] = {
        ngx_string("authorization"),
        ngx_string("proxy-authorization"),
        ngx_string("cookie"),
        ngx_null_string
    };

    ngx_str_t  *n;

    if (len >= sizeof("x-auth-") - 1
        && ngx_http_rtk_name_is(name, "x-auth-", sizeof("x-auth-") - 1))
    {
        return 1;
    }

    for (n = names; n->len; n++) {
        if (len == n->len && ngx_http_rtk_name_is(name, (char *) n->data, len))
        {
            return 1;
        }
    }

    return 0;
}


/*
 * The upstream's end: rc 0 is an answer relayed whole; any other after
 * the status line left means the client got less than announced, and
 * the outcome record says whether the upstream or the client ended it.
 */

static void
ngx_http_rtk_finalize_upstream(ngx_http_request_t *r, ngx_int_t rc)
{
    ngx_connection_t     *c;
    ngx_http_rtk_ctx_t   *ctx;
    ngx_http_upstream_t  *u;

    ctx = ngx_http_rtk_get_ctx(r, NULL);

    if (ctx == NULL || ctx->finalize_request == NULL) {
        return;
    }

    u = r->upstream;

    if (u->header_sent && rc != 0 && rc != NGX_DECLINED) {

        if (rc == NGX_HTTP_CLIENT_CLOSED_REQUEST
            || rc == NGX_HTTP_REQUEST_TIME_OUT
            || r->connection->error
            || (u->pipe && u->pipe->downstream_error))
        {
            ctx->client_aborted = 1;

        } else {
            ctx->upstream_truncated = 1;
        }
    }

    ctx->finalize_request(r, rc);

    if (ctx->upstream_header) {
        ngx_http_rtk_wipe(ctx->upstream_header);

        /* once: the pool cleanup then finds nothing to wipe */
        ctx->upstream_header->start = NULL;
        ctx->upstream_header = NULL;
    }

    c = u->peer.connection;

#if (NGX_HTTP_SSL)
    if (c && c->ssl && c->ssl->buf && c->ssl->buf->pos == c->ssl->buf->last) {
        ngx_http_rtk_wipe(c->ssl->buf);
    }
#endif
}


/*
 * ngx_chain_writer(), then the TLS send buffer is wiped once it holds
 * nothing more to send; a pool cleanup of the connection wipes it if the
 * connection goes away first.
 */

static ngx_int_t
ngx_http_rtk_send(void *data, ngx_chain_t *in)
{
    ngx_http_rtk_ctx_t *ctx = data;

    ngx_int_t             rc;
    ngx_http_upstream_t  *u;
#if (NGX_HTTP_SSL)
    size_t                size;
    ngx_buf_t            *b;
    ngx_connection_t     *c;
    ngx_pool_cleanup_t   *cln;
#endif

    u = ctx->request->upstream;

    rc = ngx_chain_writer(&u->writer, in);

#if (NGX_HTTP_SSL)

    c = u->writer.connection;

    if (c == NULL || c->ssl == NULL || c->ssl->buf == NULL
        || c->ssl->buf->start == NULL)
    {
        return rc;
    }

    b = c->ssl->buf;

    for (cln = c->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler == ngx_http_rtk_wipe) {
            break;
        }
    }

    if (cln == NULL) {
        cln = ngx_pool_cleanup_add(c->pool, 0);
        if (cln == NULL) {
            return NGX_ERROR;
        }

        cln->handler = ngx_http_rtk_wipe;
        cln->data = b;
    }

    if (rc == NGX_OK && b->pos == b->last) {

        /* a request is copied from the start of the buffer on */

        size = ngx_min(ctx->upstream_size, (size_t) (b->end - b->start));
        OPENSSL_cleanse(b->start, size);
    }

#endif

    return rc;
}


/* the request's header buffer, or a TLS buffer in a connection's pool */

static void
ngx_http_rtk_wipe(void *data)
{
    ngx_buf_t  *b = data;

    if (b->start) {
        OPENSSL_cleanse(b->start, b->end - b->start);
    }
}


/*
 * What the outcome record and the metrics say of a forwarded answer that
 * ended early; 0 and err untouched if it ended as announced.  A client
 * that failed after the upstream finished counts as well.
 */

ngx_uint_t
ngx_http_rtk_outcome_end(ngx_http_request_t *r, ngx_http_rtk_ctx_t *ctx,
    rtk_error_t *err)
{
    if (!ctx->forwarded) {
        return 0;
    }

    if (ctx->upstream_truncated) {
        rtk_error_for_end(err, RTK_END_UPSTREAM);
        return RTK_END_UPSTREAM;
    }

    if (ctx->client_aborted
        || (r->connection->error && r->header_sent))
    {
        rtk_error_for_end(err, RTK_END_CLIENT);
        return RTK_END_CLIENT;
    }

    return 0;
}
