
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * Every error answered in a gateway location, whether the gateway or
 * nginx itself raised it, leaves in Cloudflare's v4 envelope, which the
 * SDKs turn into typed errors, with RealtimeKit's own "error" object for
 * clients written against that shape, instead of an HTML page; every
 * answer carries the request id.
 */


#include "ngx_http_rtk.h"
#include "rtk_json.h"


static ngx_int_t ngx_http_rtk_header_filter(ngx_http_request_t *r);
static ngx_int_t ngx_http_rtk_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);
static ngx_int_t ngx_http_rtk_envelope(ngx_http_request_t *r,
    ngx_http_rtk_ctx_t *ctx, rtk_error_t *err);
static ngx_int_t ngx_http_rtk_response_id(ngx_http_request_t *r);


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;
static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;


ngx_int_t
ngx_http_rtk_error_init(ngx_conf_t *cf)
{
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_rtk_header_filter;

    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_rtk_body_filter;

    return NGX_OK;
}


static ngx_int_t
ngx_http_rtk_header_filter(ngx_http_request_t *r)
{
    ngx_uint_t                status;
    rtk_error_t               err;
    ngx_http_rtk_ctx_t       *ctx;
    ngx_http_rtk_loc_conf_t  *rlcf;

    rlcf = ngx_http_get_module_loc_conf(r, ngx_http_rtk_module);

    if (rlcf->envelope != 1 || r != r->main) {
        return ngx_http_next_header_filter(r);
    }

    if (ngx_http_rtk_response_id(r) != NGX_OK) {
        return NGX_ERROR;
    }

    ctx = ngx_http_rtk_get_ctx(r, rlcf);
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    /*
     * The proxy module relays an answer without a valid status line as
     * HTTP/0.9, raw: for an API client that is a bad gateway.
     */

    if (r->http_version == NGX_HTTP_VERSION_9 && r->upstream != NULL
        && r->err_status == 0 && ctx->forward)
    {
        r->http_version = r->http_major * 1000 + r->http_minor;
        r->headers_out.status = NGX_HTTP_BAD_GATEWAY;
        r->headers_out.status_line.len = 0;
        r->err_status = NGX_HTTP_BAD_GATEWAY;
        r->keepalive = 0;
        ctx->upstream_invalid = 1;

        (void) rtk_txn_fail(&ctx->txn, NGX_HTTP_BAD_GATEWAY, RTK_E_UPSTREAM,
                            "the Cloudflare API sent an invalid response");
    }

    /* the answer to a create names the new webhook for the audit trail */

    if (ctx->forwarded && ctx->txn.op_known && ctx->txn.op == RTK_OP_CREATE
        && r->headers_out.status >= NGX_HTTP_OK
        && r->headers_out.status < NGX_HTTP_SPECIAL_RESPONSE
        && r->err_status == 0 && ctx->answer == NULL)
    {
        ctx->answer = ngx_pnalloc(r->pool, NGX_HTTP_RTK_ANSWER_MAX);
        if (ctx->answer == NULL) {
            return NGX_ERROR;
        }
    }

    /*
     * err_status is set only for responses nginx generates itself; a page
     * an error_page redirected to is the operator's answer (error_page is
     * also set when none matched, so the redirect itself is checked)
     */

    status = r->err_status;

    if (status < NGX_HTTP_BAD_REQUEST
        || (r->error_page && r->uri_changes != ctx->uri_changes
            && !ctx->redirected))
    {
        return ngx_http_next_header_filter(r);
    }

    /*
     * An error nginx raised before the gateway decided settles the
     * request; after forwarding, the outcome stays the upstream's.
     */

    if (!ctx->forward) {
        rtk_txn_fail_status(&ctx->txn, status);
    }

    rtk_txn_answer(&ctx->txn, status, &err);

    if (ngx_http_rtk_envelope(r, ctx, &err) != NGX_OK) {
        return NGX_ERROR;
    }

    /* nginx refuses TRACE itself, before the gateway can say what fits */

    if (status == NGX_HTTP_NOT_ALLOWED && !ctx->txn.routed
        && ngx_http_rtk_allow(r, rtk_txn_allow(&ctx->txn)) != NGX_OK)
    {
        return NGX_ERROR;
    }

    r->headers_out.content_type_len = sizeof("application/json") - 1;
    ngx_str_set(&r->headers_out.content_type, "application/json");
    r->headers_out.content_type_lowcase = NULL;
    r->headers_out.charset.len = 0;

    r->headers_out.content_length_n = ngx_buf_size(ctx->envelope->buf);

    if (r->headers_out.content_length) {
        r->headers_out.content_length->hash = 0;
        r->headers_out.content_length = NULL;
    }

    ngx_http_clear_accept_ranges(r);
    ngx_http_clear_last_modified(r);
    ngx_http_clear_etag(r);

    return ngx_http_next_header_filter(r);
}


static ngx_int_t
ngx_http_rtk_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    size_t               n;
    ngx_chain_t         *cl;
    ngx_http_rtk_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_rtk_module);

    if (ctx == NULL || r != r->main) {
        return ngx_http_next_body_filter(r, in);
    }

    /* a copy of the answer's start, read only for the id it names */

    for (cl = in; ctx->answer && cl; cl = cl->next) {
        if (ngx_buf_in_memory(cl->buf)) {
            n = ngx_min((size_t) (cl->buf->last - cl->buf->pos),
                        NGX_HTTP_RTK_ANSWER_MAX - ctx->answer_len);
            ngx_memcpy(ctx->answer + ctx->answer_len, cl->buf->pos, n);
            ctx->answer_len += n;
        }
    }

    if (ctx->envelope == NULL) {
        return ngx_http_next_body_filter(r, in);
    }

    /* nginx's own error page is consumed and replaced */

    for (cl = in; cl; cl = cl->next) {
        cl->buf->pos = cl->buf->last;
        cl->buf->file_pos = cl->buf->file_last;
    }

    if (ctx->envelope_sent || in == NULL) {
        return ngx_http_next_body_filter(r, NULL);
    }

    ctx->envelope_sent = 1;

    return ngx_http_next_body_filter(r, ctx->envelope);
}


static ngx_int_t
ngx_http_rtk_envelope(ngx_http_request_t *r, ngx_http_rtk_ctx_t *ctx,
    rtk_error_t *err)
{
    size_t        len, mlen, elen;
    u_char       *p, *msg;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    mlen = ngx_strlen(err->message);
    elen = rtk_json_escape_len((u_char *) err->message, mlen);

    len = sizeof("{\"success\":false,\"errors\":[{\"code\":,\"message\":\"\"}],"
                 "\"messages\":[],\"result\":null,"
                 "\"error\":{\"code\":,\"message\":\"\"}}") - 1
          + 2 * (NGX_INT_T_LEN + elen);

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NGX_ERROR;
    }

    /* Cloudflare's v4 envelope, and RealtimeKit's own error object */

    p = ngx_sprintf(b->last, "{\"success\":false,\"errors\":[{\"code\":%d,"
                    "\"message\":\"", err->code);
    msg = p;
    p = rtk_json_escape(p, (u_char *) err->message, mlen);
    p = ngx_sprintf(p, "\"}],\"messages\":[],\"result\":null,"
                    "\"error\":{\"code\":%d,\"message\":\"", err->code);
    p = ngx_cpymem(p, msg, elen);
    p = ngx_cpymem(p, "\"}}", sizeof("\"}}") - 1);

    b->last = p;
    b->last_buf = 1;
    b->last_in_chain = 1;

    cl = ngx_alloc_chain_link(r->pool);
    if (cl == NULL) {
        return NGX_ERROR;
    }

    cl->buf = b;
    cl->next = NULL;

    ctx->envelope = cl;

    return NGX_OK;
}


static ngx_int_t
ngx_http_rtk_response_id(ngx_http_request_t *r)
{
    ngx_table_elt_t            *h;
    ngx_http_variable_value_t  *vv;

    vv = ngx_http_rtk_request_id_value(r);

    if (vv == NULL) {
        return NGX_ERROR;
    }

    if (vv->not_found) {
        return NGX_OK;
    }

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    h->key = ngx_http_rtk_request_id.key;
    h->value.data = vv->data;
    h->value.len = vv->len;

    return NGX_OK;
}
