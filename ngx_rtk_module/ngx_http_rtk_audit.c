
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * The audit trail: one JSON line per decision, and one per outcome of a
 * forwarded request.  Every string goes through rtk_json_escape(), so no
 * caller name or URL can end a line or forge a field.
 */


#include "ngx_http_rtk.h"
#include "rtk_json.h"


#define NGX_HTTP_RTK_AUDIT_FIXED  2048


typedef struct {
    u_char                    *pos;
    u_char                    *end;
} ngx_http_rtk_line_t;


static ngx_int_t ngx_http_rtk_audit_record(ngx_http_request_t *r,
    ngx_http_rtk_ctx_t *ctx, ngx_uint_t outcome);
static size_t ngx_http_rtk_audit_size(ngx_http_request_t *r,
    ngx_http_rtk_ctx_t *ctx);
static void ngx_http_rtk_line_raw(ngx_http_rtk_line_t *l, const char *s);
static void ngx_http_rtk_line_str(ngx_http_rtk_line_t *l, const char *key,
    u_char *s, size_t len);
static void ngx_http_rtk_line_cstr(ngx_http_rtk_line_t *l, const char *key,
    const char *s);
static void ngx_http_rtk_line_changes(ngx_http_rtk_line_t *l,
    rtk_body_t *body);
static void ngx_http_rtk_line_upstream(ngx_http_request_t *r,
    ngx_http_rtk_line_t *l);
static ngx_int_t ngx_http_rtk_audit_write(ngx_http_request_t *r,
    ngx_http_rtk_audit_t *audit, u_char *line, size_t len);


static const char  *ngx_http_rtk_decisions[] = {
    "allow", "deny", "would_deny"
};


char *
ngx_http_rtk_audit_log(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_rtk_loc_conf_t *rlcf = conf;

    ngx_str_t             *value;
    ngx_http_rtk_audit_t  *audit;

    if (rlcf->audit != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        rlcf->audit = NULL;
        return NGX_CONF_OK;
    }

    audit = ngx_pcalloc(cf->pool, sizeof(ngx_http_rtk_audit_t));
    if (audit == NULL) {
        return NGX_CONF_ERROR;
    }

    audit->path = value[1];

    /* opened by the cycle like access_log, so "nginx -s reopen" works */

    audit->file = ngx_conf_open_file(cf->cycle, &audit->path);
    if (audit->file == NULL) {
        return NGX_CONF_ERROR;
    }

    rlcf->audit = audit;

    return NGX_CONF_OK;
}


ngx_int_t
ngx_http_rtk_audit_decision(ngx_http_request_t *r, ngx_http_rtk_ctx_t *ctx)
{
    ctx->decision_logged = 1;

    return ngx_http_rtk_audit_record(r, ctx, 0);
}


ngx_int_t
ngx_http_rtk_audit_outcome(ngx_http_request_t *r, ngx_http_rtk_ctx_t *ctx)
{
    return ngx_http_rtk_audit_record(r, ctx, 1);
}


static ngx_int_t
ngx_http_rtk_audit_record(ngx_http_request_t *r, ngx_http_rtk_ctx_t *ctx,
    ngx_uint_t outcome)
{
    u_char                   *line;
    size_t                    size;
    ngx_tm_t                  tm;
    ngx_uint_t                status, decision;
    rtk_error_t               err;
    ngx_time_t               *tp;
    ngx_http_rtk_line_t        l;
    ngx_http_rtk_loc_conf_t   *rlcf;
    ngx_http_variable_value_t *vv;

    rlcf = ngx_http_get_module_loc_conf(r, ngx_http_rtk_module);

    if (rlcf->audit == NULL) {
        return NGX_OK;
    }

    size = ngx_http_rtk_audit_size(r, ctx);

    line = ngx_pnalloc(r->pool, size);
    if (line == NULL) {
        return NGX_ERROR;
    }

    l.pos = line;
    l.end = line + size;

    tp = ngx_timeofday();
    ngx_gmtime(tp->sec, &tm);

    l.pos = ngx_sprintf(l.pos, "{\"type\":\"%s\",\"time\":\"%4d-%02d-%02dT"
                        "%02d:%02d:%02d.%03MZ\"",
                        outcome ? "outcome" : "decision",
                        tm.ngx_tm_year, tm.ngx_tm_mon, tm.ngx_tm_mday,
                        tm.ngx_tm_hour, tm.ngx_tm_min, tm.ngx_tm_sec,
                        tp->msec);

    l.pos = ngx_sprintf(l.pos, ",\"seq\":%ui", ++rlcf->audit->seq);

    vv = ngx_http_get_indexed_variable(r, ngx_http_rtk_request_id_index);

    if (vv == NULL || vv->not_found) {
        ngx_http_rtk_line_raw(&l, ",\"request_id\":null");

    } else {
        ngx_http_rtk_line_str(&l, "request_id", vv->data, vv->len);
    }

    ngx_http_rtk_line_str(&l, "caller", ctx->caller.data, ctx->caller.len);
    ngx_http_rtk_line_str(&l, "client", r->connection->addr_text.data,
                          r->connection->addr_text.len);
    ngx_http_rtk_line_str(&l, "method", r->method_name.data,
                          ngx_min(r->method_name.len, 32));

    ngx_http_rtk_line_cstr(&l, "account",
                           ctx->routed ? ctx->route.account : NULL);
    ngx_http_rtk_line_cstr(&l, "app", ctx->routed ? ctx->route.app : NULL);
    ngx_http_rtk_line_cstr(&l, "webhook",
                           ctx->routed ? ctx->route.webhook : NULL);

    ngx_http_rtk_line_raw(&l, ",\"changes\":");

    if (ctx->parsed) {
        ngx_http_rtk_line_changes(&l, &ctx->body);

    } else {
        ngx_http_rtk_line_raw(&l, "null");
    }

    /* the status: what was answered, or nothing yet when forwarding */

    status = 0;

    if (!ctx->forward || outcome) {
        status = r->err_status ? r->err_status : r->headers_out.status;

        if (r->connection->error && status == 0) {
            status = NGX_HTTP_CLIENT_CLOSED_REQUEST;
        }
    }

    if (ctx->forward) {
        decision = ctx->decision.decision;
        err = ctx->decision.reason;

        if (outcome && status >= NGX_HTTP_BAD_REQUEST && r->err_status) {
            ngx_http_rtk_error_code(r, ctx, status, &err);
        }

    } else {
        decision = RTK_DECISION_DENY;

        if (ctx->error.code == 0 && status >= NGX_HTTP_BAD_REQUEST) {
            ngx_http_rtk_error_code(r, ctx, status, &ctx->error);
        }

        err = ctx->error;
    }

    ngx_http_rtk_line_cstr(&l, "decision", ngx_http_rtk_decisions[decision]);

    l.pos = ngx_sprintf(l.pos, ",\"code\":%d", err.code);

    ngx_http_rtk_line_cstr(&l, "reason", err.message);
    ngx_http_rtk_line_cstr(&l, "rule",
                           ctx->decided ? ctx->decision.rule : NULL);

    if (status) {
        l.pos = ngx_sprintf(l.pos, ",\"status\":%ui", status);
    }

    ngx_http_rtk_line_cstr(&l, "policy",
                           rlcf->policy ? rtk_policy_hash(rlcf->policy)
                                        : NULL);

    if (ctx->token) {
        ngx_http_rtk_line_str(&l, "token", ctx->token->fingerprint,
                              NGX_HTTP_RTK_FINGERPRINT_LEN);

    } else {
        ngx_http_rtk_line_raw(&l, ",\"token\":null");
    }

    if (outcome) {
        ngx_http_rtk_line_upstream(r, &l);
    }

    ngx_http_rtk_line_raw(&l, "}\n");

    return ngx_http_rtk_audit_write(r, rlcf->audit, line, l.pos - line);
}


static size_t
ngx_http_rtk_audit_size(ngx_http_request_t *r, ngx_http_rtk_ctx_t *ctx)
{
    size_t  size;

    size = NGX_HTTP_RTK_AUDIT_FIXED
           + rtk_json_escape_len(ctx->caller.data, ctx->caller.len)
           + rtk_json_escape_len(r->connection->addr_text.data,
                                 r->connection->addr_text.len)
           + 6 * sizeof(ctx->error.message)
           + 6 * sizeof(ctx->decision.reason.message)
           + 6 * sizeof(ctx->decision.rule);

    if (ctx->parsed) {
        size += rtk_json_escape_len(ctx->body.name, ctx->body.name_len)
                + rtk_json_escape_len(ctx->body.url, ctx->body.url_len);
    }

    return size;
}


static void
ngx_http_rtk_line_raw(ngx_http_rtk_line_t *l, const char *s)
{
    size_t  len;

    len = ngx_strlen(s);

    if ((size_t) (l->end - l->pos) >= len) {
        l->pos = ngx_cpymem(l->pos, s, len);
    }
}


static void
ngx_http_rtk_line_str(ngx_http_rtk_line_t *l, const char *key, u_char *s,
    size_t len)
{
    l->pos = ngx_sprintf(l->pos, ",\"%s\":", key);

    if (s == NULL || len == 0) {
        ngx_http_rtk_line_raw(l, "null");
        return;
    }

    *l->pos++ = '"';
    l->pos = rtk_json_escape(l->pos, s, len);
    *l->pos++ = '"';
}


static void
ngx_http_rtk_line_cstr(ngx_http_rtk_line_t *l, const char *key,
    const char *s)
{
    ngx_http_rtk_line_str(l, key, (u_char *) s, s ? ngx_strlen(s) : 0);
}


static void
ngx_http_rtk_line_changes(ngx_http_rtk_line_t *l, rtk_body_t *body)
{
    ngx_uint_t  i, n;

    *l->pos++ = '{';
    n = 0;

    if (body->fields & RTK_FIELD_ENABLED) {
        l->pos = ngx_sprintf(l->pos, "\"enabled\":%s",
                             body->enabled ? "true" : "false");
        n++;
    }

    if (body->fields & RTK_FIELD_EVENTS) {
        if (n++) {
            *l->pos++ = ',';
        }

        ngx_http_rtk_line_raw(l, "\"events\":[");

        for (i = 0; i < RTK_EVENT_COUNT; i++) {
            if (body->events & (1u << i)) {
                l->pos = ngx_sprintf(l->pos, "%s\"%s\"",
                                     l->pos[-1] == '[' ? "" : ",",
                                     rtk_event_names[i]);
            }
        }

        *l->pos++ = ']';
    }

    if (body->fields & RTK_FIELD_NAME) {
        if (n++) {
            *l->pos++ = ',';
        }

        ngx_http_rtk_line_raw(l, "\"name\":\"");
        l->pos = rtk_json_escape(l->pos, body->name, body->name_len);
        *l->pos++ = '"';
    }

    if (body->fields & RTK_FIELD_URL) {
        if (n++) {
            *l->pos++ = ',';
        }

        ngx_http_rtk_line_raw(l, "\"url\":\"");
        l->pos = rtk_json_escape(l->pos, body->url, body->url_len);
        *l->pos++ = '"';
    }

    *l->pos++ = '}';
}


static void
ngx_http_rtk_line_upstream(ngx_http_request_t *r, ngx_http_rtk_line_t *l)
{
    ngx_http_upstream_state_t  *state;

    state = NULL;

    if (r->upstream_states && r->upstream_states->nelts) {
        state = r->upstream_states->elts;
        state += r->upstream_states->nelts - 1;
    }

    if (state && state->status) {
        l->pos = ngx_sprintf(l->pos, ",\"upstream_status\":%ui",
                             state->status);

    } else {
        ngx_http_rtk_line_raw(l, ",\"upstream_status\":null");
    }

    if (state && state->response_time != (ngx_msec_t) -1) {
        l->pos = ngx_sprintf(l->pos, ",\"upstream_time\":%T.%03M",
                             (time_t) state->response_time / 1000,
                             state->response_time % 1000);

    } else {
        ngx_http_rtk_line_raw(l, ",\"upstream_time\":null");
    }

    l->pos = ngx_sprintf(l->pos, ",\"bytes_received\":%O,\"bytes_sent\":%O",
                         r->request_length, r->connection->sent);

    if (state) {
        l->pos = ngx_sprintf(l->pos, ",\"upstream_bytes_sent\":%O,"
                             "\"upstream_bytes_received\":%O",
                             state->bytes_sent, state->bytes_received);
    }
}


static ngx_int_t
ngx_http_rtk_audit_write(ngx_http_request_t *r, ngx_http_rtk_audit_t *audit,
    u_char *line, size_t len)
{
    ssize_t  n;

    /* one write(2) per record on an O_APPEND descriptor: no interleaving */

    n = ngx_write_fd(audit->file->fd, line, len);

    if (n == (ssize_t) len) {
        return NGX_OK;
    }

    if (n == -1) {
        ngx_log_error(NGX_LOG_CRIT, r->connection->log, ngx_errno,
                      "rtk: writing audit log \"%V\" failed", &audit->path);

    } else {
        ngx_log_error(NGX_LOG_CRIT, r->connection->log, 0,
                      "rtk: audit log \"%V\" was written partially: "
                      "%z of %uz", &audit->path, n, len);
    }

    return NGX_ERROR;
}
