
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * Variables: what the gateway decided, for log formats and maps.  None
 * holds the token.
 */


#include "ngx_http_rtk.h"


static ngx_int_t ngx_http_rtk_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);


#define NGX_HTTP_RTK_VAR_CALLER       0
#define NGX_HTTP_RTK_VAR_ACCOUNT      1
#define NGX_HTTP_RTK_VAR_APP          2
#define NGX_HTTP_RTK_VAR_WEBHOOK      3
#define NGX_HTTP_RTK_VAR_DECISION     4
#define NGX_HTTP_RTK_VAR_CODE         5
#define NGX_HTTP_RTK_VAR_FINGERPRINT  6
#define NGX_HTTP_RTK_VAR_OPERATION    7


static ngx_http_variable_t  ngx_http_rtk_vars[] = {

    { ngx_string("rtk_caller"), NULL, ngx_http_rtk_variable,
      NGX_HTTP_RTK_VAR_CALLER, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("rtk_account"), NULL, ngx_http_rtk_variable,
      NGX_HTTP_RTK_VAR_ACCOUNT, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("rtk_app"), NULL, ngx_http_rtk_variable,
      NGX_HTTP_RTK_VAR_APP, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("rtk_webhook"), NULL, ngx_http_rtk_variable,
      NGX_HTTP_RTK_VAR_WEBHOOK, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("rtk_decision"), NULL, ngx_http_rtk_variable,
      NGX_HTTP_RTK_VAR_DECISION, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("rtk_code"), NULL, ngx_http_rtk_variable,
      NGX_HTTP_RTK_VAR_CODE, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("rtk_token_fingerprint"), NULL, ngx_http_rtk_variable,
      NGX_HTTP_RTK_VAR_FINGERPRINT, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("rtk_operation"), NULL, ngx_http_rtk_variable,
      NGX_HTTP_RTK_VAR_OPERATION, NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


ngx_int_t
ngx_http_rtk_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_rtk_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_rtk_variable(ngx_http_request_t *r, ngx_http_variable_value_t *v,
    uintptr_t data)
{
    u_char              *p;
    ngx_str_t            caller;
    ngx_http_rtk_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_rtk_module);

    if (ctx == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    switch (data) {

    case NGX_HTTP_RTK_VAR_CALLER:

        if (ngx_http_rtk_caller_value(r, ctx, &caller) != NGX_OK) {
            return NGX_ERROR;
        }

        v->data = caller.data;
        v->len = caller.len;
        break;

    case NGX_HTTP_RTK_VAR_ACCOUNT:
    case NGX_HTTP_RTK_VAR_APP:
    case NGX_HTTP_RTK_VAR_WEBHOOK:

        if (!ctx->txn.routed
            || (data == NGX_HTTP_RTK_VAR_WEBHOOK && !ctx->txn.route.item))
        {
            v->not_found = 1;
            return NGX_OK;
        }

        p = (u_char *) (data == NGX_HTTP_RTK_VAR_ACCOUNT
                        ? ctx->txn.route.account
                        : data == NGX_HTTP_RTK_VAR_APP ? ctx->txn.route.app
                        : ctx->txn.route.webhook);
        v->data = p;
        v->len = ngx_strlen(p);
        break;

    case NGX_HTTP_RTK_VAR_DECISION:

        p = (u_char *) rtk_txn_decision(&ctx->txn);
        v->data = p;
        v->len = ngx_strlen(p);
        break;

    case NGX_HTTP_RTK_VAR_CODE:
        p = ngx_pnalloc(r->pool, NGX_INT_T_LEN);
        if (p == NULL) {
            return NGX_ERROR;
        }

        v->data = p;
        v->len = ngx_sprintf(p, "%d", ctx->txn.settled
                                       ? ctx->txn.outcome.code : 0)
                 - p;
        break;

    case NGX_HTTP_RTK_VAR_OPERATION:

        if (!ctx->txn.op_known) {
            v->not_found = 1;
            return NGX_OK;
        }

        p = (u_char *) rtk_op_name(ctx->txn.op);
        v->data = p;
        v->len = ngx_strlen(p);
        break;

    default: /* NGX_HTTP_RTK_VAR_FINGERPRINT */

        if (ctx->token == NULL) {
            v->not_found = 1;
            return NGX_OK;
        }

        v->data = ctx->token->fingerprint;
        v->len = NGX_HTTP_RTK_FINGERPRINT_LEN;
        break;
    }

    return NGX_OK;
}


/*
 * The identity the gateway decided with; before it decides (limit_req
 * evaluates its key in the preaccess phase, before the body is read)
 * rtk_identity as it reads then, once.  Never empty: limit_req skips
 * empty keys, so no identity reads RTK_TXN_ANONYMOUS, which the gateway
 * refuses as an identity, and unidentified callers share one key.
 */

ngx_int_t
ngx_http_rtk_caller_value(ngx_http_request_t *r, ngx_http_rtk_ctx_t *ctx,
    ngx_str_t *caller)
{
    if (ctx->txn.caller_len) {
        caller->data = (u_char *) ctx->txn.caller;
        caller->len = ctx->txn.caller_len;
        return NGX_OK;
    }

    /* marked first: an identity made of $rtk_caller must not recurse */

    if (!ctx->caller_read) {
        ctx->caller_read = 1;

        if (ctx->conf != NULL && ctx->conf->identity != NULL
            && ngx_http_complex_value(r, ctx->conf->identity, &ctx->caller)
               != NGX_OK)
        {
            return NGX_ERROR;
        }

        /* as the gateway would cut it */

        if (ctx->caller.len > RTK_TXN_IDENTITY_MAX) {
            ctx->caller.len = RTK_TXN_IDENTITY_MAX;
        }
    }

    if (ctx->caller.len == 0) {
        ngx_str_set(caller, RTK_TXN_ANONYMOUS);
        return NGX_OK;
    }

    *caller = ctx->caller;

    return NGX_OK;
}
