
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * The audit trail: one JSON line per decision, and one per outcome of a
 * forwarded request (the chain that seals and writes them is in
 * ngx_http_rtk_chain.c).  Every string goes through rtk_json_escape(), so no
 * caller name or URL can end a line or forge a field.
 */


#include "ngx_http_rtk.h"
#include "rtk_json.h"


#define NGX_HTTP_RTK_AUDIT_FIXED    2048


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
static void ngx_http_rtk_line_safe(ngx_http_rtk_line_t *l, const char *key,
    u_char *s, size_t len);
static void ngx_http_rtk_line_changes(ngx_http_rtk_line_t *l,
    rtk_body_t *body);
static void ngx_http_rtk_line_upstream(ngx_http_request_t *r,
    ngx_http_rtk_ctx_t *ctx, ngx_http_rtk_line_t *l);
static ngx_http_rtk_audit_t *ngx_http_rtk_audit_pair(ngx_conf_t *cf,
    ngx_http_rtk_audit_t *prev, ngx_uint_t syslog);
static ngx_http_rtk_audit_t *ngx_http_rtk_audit_dest(ngx_conf_t *cf);
static char *ngx_http_rtk_audit_params(ngx_conf_t *cf,
    ngx_http_rtk_audit_t *audit);


static const char  *ngx_http_rtk_decisions[] = {
    "allow", "deny", "would_deny"
};


/*
 * Once per location: a file, a syslog destination, or "off"; or twice,
 * one file and one syslog, in either order.  The file then carries the
 * chain and its guarantees, and syslog gets a copy of every record.
 */

char *
ngx_http_rtk_audit_log(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_rtk_loc_conf_t *rlcf = conf;

    ngx_str_t             *value;
    ngx_uint_t             syslog;
    ngx_http_rtk_audit_t  *prev, *audit;

    value = cf->args->elts;
    prev = rlcf->audit;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        if (prev != NGX_CONF_UNSET_PTR) {
            return prev ? "cannot be combined with \"off\"" : "is duplicate";
        }

        if (cf->args->nelts > 2) {
            return "takes no parameters with \"off\"";
        }

        rlcf->audit = NULL;
        return NGX_CONF_OK;
    }

    if (prev == NULL) {
        return "cannot be combined with \"off\"";
    }

    if (prev == NGX_CONF_UNSET_PTR) {
        audit = ngx_http_rtk_audit_dest(cf);
        if (audit == NULL) {
            return NGX_CONF_ERROR;
        }

        rlcf->audit = audit;
        return NGX_CONF_OK;
    }

    /* the second one: one file and one syslog destination */

    syslog = (ngx_strncmp(value[1].data, "syslog:", 7) == 0);

    if (rlcf->audit_copy || (prev->syslog == NULL && !syslog)) {
        return "is duplicate";
    }

    if (prev->syslog && syslog) {
        return "takes one syslog destination besides one file, "
               "not two syslog destinations";
    }

    audit = ngx_http_rtk_audit_pair(cf, prev, syslog);
    if (audit == NULL) {
        return NGX_CONF_ERROR;
    }

    rlcf->audit = audit;
    rlcf->audit_copy = 1;

    return NGX_CONF_OK;
}


/*
 * The file's destination with a syslog copy: the same chain, so each
 * record goes to both with one seq and MAC.  The copy is the file's,
 * whichever location names it: every record of the chain is copied, a
 * summary written by a timer too, and a copy has no holes.  The key and
 * fail= are the file's; the syslog line takes none.
 */

static ngx_http_rtk_audit_t *
ngx_http_rtk_audit_pair(ngx_conf_t *cf, ngx_http_rtk_audit_t *prev,
    ngx_uint_t syslog)
{
    ngx_str_t             *value, path;
    ngx_syslog_peer_t     *peer;
    ngx_http_rtk_audit_t  *file;

    value = cf->args->elts;

    if (syslog) {
        if (cf->args->nelts > 2) {
            goto params;
        }

        path = value[1];
        file = prev;
        peer = NULL;

    } else {
        if (prev->key.len || prev->fail_set) {
            goto params;
        }

        file = ngx_http_rtk_audit_dest(cf);
        if (file == NULL) {
            return NULL;
        }

        /* read first, the syslog line made a zone that stays unused */

        path = prev->path;
        peer = prev->syslog;
    }

    if (file->mirror) {
        if (file->mirror_path.len == path.len
            && ngx_strncmp(file->mirror_path.data, path.data, path.len) == 0)
        {
            return file;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "audit log \"%V\" already has the syslog copy "
                           "\"%V\": one file has one copy", &file->path,
                           &file->mirror_path);
        return NULL;
    }

    if (peer == NULL) {
        peer = ngx_pcalloc(cf->pool, sizeof(ngx_syslog_peer_t));
        if (peer == NULL) {
            return NULL;
        }

        if (ngx_syslog_process_conf(cf, peer) != NGX_CONF_OK) {
            return NULL;
        }
    }

    file->mirror = peer;
    file->mirror_path = path;

    return file;

params:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "the syslog copy of an audit file takes no "
                       "parameters: the file's key= and fail= apply");
    return NULL;
}


/* a destination, one per path however many locations write to it */

static ngx_http_rtk_audit_t *
ngx_http_rtk_audit_dest(ngx_conf_t *cf)
{
    ngx_str_t                 *value, name;
    ngx_uint_t                 i;
    ngx_http_rtk_audit_t      *audit, **audits;
    ngx_http_rtk_main_conf_t  *rmcf;

    value = cf->args->elts;

    audit = ngx_pcalloc(cf->pool, sizeof(ngx_http_rtk_audit_t));
    if (audit == NULL) {
        return NULL;
    }

    audit->path = value[1];
    audit->conf_file = cf->conf_file->file.name.data;
    audit->conf_line = cf->conf_file->line;

    if (ngx_http_rtk_audit_params(cf, audit) != NGX_CONF_OK) {
        return NULL;
    }

    rmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_rtk_module);
    audits = rmcf->audits.elts;

    for (i = 0; i < rmcf->audits.nelts; i++) {

        if (audits[i]->path.len != audit->path.len
            || ngx_strncmp(audits[i]->path.data, audit->path.data,
                           audit->path.len)
               != 0)
        {
            continue;
        }

        if (audits[i]->fsync != audit->fsync
            || audits[i]->fail_open != audit->fail_open
            || audits[i]->key_file.len != audit->key_file.len
            || ngx_strncmp(audits[i]->key_file.data, audit->key_file.data,
                           audit->key_file.len)
               != 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "audit log \"%V\" is already used with "
                               "other parameters", &audit->path);
            return NULL;
        }

        return audits[i];
    }

    if (ngx_strncmp(audit->path.data, "syslog:", 7) == 0) {
        audit->syslog = ngx_pcalloc(cf->pool, sizeof(ngx_syslog_peer_t));
        if (audit->syslog == NULL) {
            return NULL;
        }

        if (ngx_syslog_process_conf(cf, audit->syslog) != NGX_CONF_OK) {
            return NULL;
        }

    } else {
        /* opened by the cycle like access_log: "nginx -s reopen" works */

        audit->file = ngx_conf_open_file(cf->cycle, &audit->path);
        if (audit->file == NULL) {
            return NULL;
        }
    }

    /*
     * Named after the destination only: the zone survives every reload,
     * a key change included, and the chain goes on; a restart begins a
     * new segment linked to the end of the file.
     */

    name.len = sizeof("rtk_audit:") - 1 + audit->path.len;
    name.data = ngx_pnalloc(cf->pool, name.len);
    if (name.data == NULL) {
        return NULL;
    }

    ngx_sprintf(name.data, "rtk_audit:%V", &audit->path);

    audit->zone = ngx_shared_memory_add(cf, &name, 8 * ngx_pagesize,
                                        &ngx_http_rtk_module);
    if (audit->zone == NULL) {
        return NULL;
    }

    audit->zone->init = ngx_http_rtk_audit_init_zone;
    audit->zone->data = audit;

    if (ngx_http_rtk_summary_zone(cf, audit) != NGX_OK) {
        return NULL;
    }

    audits = ngx_array_push(&rmcf->audits);
    if (audits == NULL) {
        return NULL;
    }

    *audits = audit;

    return audit;
}


static char *
ngx_http_rtk_audit_params(ngx_conf_t *cf, ngx_http_rtk_audit_t *audit)
{
    ngx_str_t   *value;
    ngx_uint_t   i;

    static ngx_str_t  empty = ngx_null_string;

    value = cf->args->elts;

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "key=", 4) == 0
            && audit->key_file.len == 0 && value[i].len > 4)
        {
            audit->key_file.data = value[i].data + 4;
            audit->key_file.len = value[i].len - 4;

            if (ngx_conf_full_name(cf->cycle, &audit->key_file, 1) != NGX_OK)
            {
                return NGX_CONF_ERROR;
            }

            if (ngx_http_rtk_secret_load(cf, "audit key file",
                                         &audit->key_file, &empty,
                                         NGX_HTTP_RTK_AUDIT_KEY_MIN,
                                         &audit->key)
                != NGX_CONF_OK)
            {
                return NGX_CONF_ERROR;
            }

            if (ngx_http_rtk_fingerprint(audit->key.data, audit->key.len,
                                         audit->fingerprint)
                != NGX_OK
                || ngx_http_rtk_audit_mac_init(cf, audit) != NGX_OK)
            {
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strcmp(value[i].data, "fsync") == 0 && !audit->fsync) {
            audit->fsync = 1;
            continue;
        }

        if (ngx_strcmp(value[i].data, "fail=open") == 0) {
            audit->fail_open = 1;
            audit->fail_set = 1;
            continue;
        }

        if (ngx_strcmp(value[i].data, "fail=closed") == 0) {
            audit->fail_open = 0;
            audit->fail_set = 1;
            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\"", &value[i]);
        return NGX_CONF_ERROR;
    }

    if (audit->fsync && ngx_strncmp(audit->path.data, "syslog:", 7) == 0) {
        return "\"fsync\" cannot be used with syslog";
    }

#if (NGX_THREADS)
    if (audit->fsync && audit->thread_pool == NULL) {
        audit->thread_pool = ngx_thread_pool_add(cf, NULL);
        if (audit->thread_pool == NULL) {
            return NGX_CONF_ERROR;
        }
    }
#endif

    return NGX_CONF_OK;
}


/*
 * NGX_ERROR only when the request must not go on: fail closed.
 * NGX_AGAIN: a forwarding request ("wait") waits for its record to be
 * written with its turn's batch, and ngx_http_rtk_decided() resumes it.
 */

ngx_int_t
ngx_http_rtk_audit_decision(ngx_http_request_t *r, ngx_http_rtk_ctx_t *ctx,
    ngx_uint_t wait)
{
    ngx_http_rtk_loc_conf_t  *rlcf;

    ctx->decision_logged = 1;

    rlcf = ctx->conf;

    if (rlcf->audit == NULL) {
        return NGX_OK;
    }

    /* the room to wait first: no record of a request that cannot */

    if (wait && ngx_http_rtk_audit_reserve(r, ctx, rlcf->audit) != NGX_OK) {
        return rlcf->audit->fail_open ? NGX_OK : NGX_ERROR;
    }

    if (ngx_http_rtk_audit_record(r, ctx, 0) != NGX_OK) {
        return rlcf->audit->fail_open ? NGX_OK : NGX_ERROR;
    }

    if (!wait) {
        return NGX_OK;
    }

    ngx_http_rtk_audit_wait(r, ctx, rlcf->audit);

    return NGX_AGAIN;
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
    u_char                     *line, *webhook;
    size_t                      size, len;
    rtk_txn_t                  *txn;
    ngx_uint_t                  status;
    const char                 *op, *decision;
    rtk_error_t                 err;
    ngx_http_rtk_line_t         l;
    ngx_http_rtk_loc_conf_t    *rlcf;
    ngx_http_variable_value_t  *vv;

    rlcf = ctx->conf;

    if (rlcf == NULL || rlcf->audit == NULL) {
        return NGX_OK;
    }

    txn = &ctx->txn;

    size = ngx_http_rtk_audit_size(r, ctx);

    line = ngx_http_rtk_audit_space(r->connection->log, rlcf->audit, size);
    if (line == NULL) {
        ngx_http_rtk_metrics_audit(NGX_ERROR, 1, 0);
        ngx_http_rtk_audit_refused(rlcf->audit, 1);
        return NGX_ERROR;
    }

    l.pos = line;
    l.end = line + size;

    l.pos = ngx_sprintf(l.pos, "{\"type\":\"%s\",\"time\":\"",
                        outcome ? "outcome" : "decision");
    l.pos = ngx_http_rtk_audit_time(l.pos);
    *l.pos++ = '"';

    vv = ngx_http_get_indexed_variable(r, ngx_http_rtk_request_id_index);

    if (vv == NULL || vv->not_found) {
        ngx_http_rtk_line_raw(&l, ",\"request_id\":null");

    } else {
        ngx_http_rtk_line_safe(&l, "request_id", vv->data, vv->len);
    }

    /* the identity checked, or read after the access modules ran */

    if (txn->identified || !ctx->caller_checked) {
        ngx_http_rtk_line_str(&l, "caller", (u_char *) txn->caller,
                              txn->caller_len);

    } else {
        ngx_http_rtk_line_str(&l, "caller", ctx->caller.data,
                              ngx_min(ctx->caller.len, RTK_TXN_IDENTITY_MAX));
    }
    ngx_http_rtk_line_str(&l, "client", r->connection->addr_text.data,
                          r->connection->addr_text.len);

    /*
     * An outcome record names its request and tells how it ended; what
     * was asked and why it was allowed (the method, the changes, the
     * rule and the policy) are in the decision record of the same
     * request_id, earlier in the same chain.
     */

    if (!outcome) {
        ngx_http_rtk_line_str(&l, "method", r->method_name.data,
                              ngx_min(r->method_name.len, 32));
    }

    if (txn->op_known) {
        op = rtk_op_name(txn->op);
        ngx_http_rtk_line_safe(&l, "operation", (u_char *) op,
                               ngx_strlen(op));

    } else {
        ngx_http_rtk_line_raw(&l, ",\"operation\":null");
    }

    /* validated lowercase hex ids, and a created one checked alike */

    webhook = (u_char *) txn->route.webhook;
    len = txn->route.webhook_len;

    if (outcome && ctx->created[0] != '\0') {
        webhook = ctx->created;
        len = RTK_UUID_LEN;
    }

    if (txn->routed) {
        ngx_http_rtk_line_safe(&l, "account", (u_char *) txn->route.account,
                               RTK_ACCOUNT_ID_LEN);
        ngx_http_rtk_line_safe(&l, "app", (u_char *) txn->route.app,
                               txn->route.app_len);

    } else {
        ngx_http_rtk_line_raw(&l, ",\"account\":null,\"app\":null");
    }

    if (len) {
        ngx_http_rtk_line_safe(&l, "webhook", webhook, len);

    } else {
        ngx_http_rtk_line_raw(&l, ",\"webhook\":null");
    }

    /* list, get and delete change nothing */

    if (outcome) {
        /* in the decision record */

    } else if (txn->parsed && txn->op_known && rtk_op_has_body(txn->op)) {
        ngx_http_rtk_line_raw(&l, ",\"changes\":");
        ngx_http_rtk_line_changes(&l, &txn->body);

    } else {
        ngx_http_rtk_line_raw(&l, ",\"changes\":null");
    }

    /* the status: what was answered, or nothing yet when forwarding */

    status = 0;

    if (!ctx->forward || outcome) {
        status = ngx_http_rtk_status(r);
    }

    /*
     * An outcome record tells what became of a forwarded request, under
     * the decision that forwarded it; a decision record tells the
     * engine's settled outcome, settling it with an error nginx raised.
     */

    if (outcome) {
        decision = ngx_http_rtk_decisions[txn->decision.decision];
        err = txn->decision.reason;

        if (status >= NGX_HTTP_BAD_REQUEST && r->err_status) {
            rtk_txn_answer(txn, (int) status, &err);

        } else if (!ctx->forwarded && txn->settled) {
            /* ended while it waited for its record */
            err = txn->outcome;

        } else {
            (void) ngx_http_rtk_outcome_end(r, ctx, &err);
        }

    } else {
        decision = rtk_txn_decision(txn);
        err = txn->settled ? txn->outcome : txn->decision.reason;
    }

    ngx_http_rtk_line_safe(&l, "decision", (u_char *) decision,
                           ngx_strlen(decision));

    l.pos = ngx_sprintf(l.pos, ",\"code\":%d", err.code);

    ngx_http_rtk_line_cstr(&l, "reason", err.message);

    if (!outcome) {
        ngx_http_rtk_line_cstr(&l, "rule",
                               txn->evaluated ? txn->decision.rule : NULL);
    }

    if (status) {
        l.pos = ngx_sprintf(l.pos, ",\"status\":%ui", status);

    } else if (outcome) {
        ngx_http_rtk_line_raw(&l, ",\"status\":null");
    }

    if (outcome) {
        /* in the decision record */

    } else if (rlcf->policy) {
        ngx_http_rtk_line_safe(&l, "policy",
                               (u_char *) rtk_policy_hash(rlcf->policy),
                               RTK_POLICY_HASH_LEN);

    } else {
        ngx_http_rtk_line_raw(&l, ",\"policy\":null");
    }

    if (ctx->token) {
        ngx_http_rtk_line_safe(&l, "token", ctx->token->fingerprint,
                              NGX_HTTP_RTK_FINGERPRINT_LEN);

    } else {
        ngx_http_rtk_line_raw(&l, ",\"token\":null");
    }

    if (outcome) {
        ngx_http_rtk_line_upstream(r, ctx, &l);
    }

    return ngx_http_rtk_audit_commit(r->connection->log, rlcf->audit, line,
                                     l.pos);
}


/* an upper bound: escaping makes at most 6 bytes of one */

static size_t
ngx_http_rtk_audit_size(ngx_http_request_t *r, ngx_http_rtk_ctx_t *ctx)
{
    size_t  size;

    size = NGX_HTTP_RTK_AUDIT_FIXED + NGX_HTTP_RTK_AUDIT_TAIL
           + 6 * (ngx_max(ctx->txn.caller_len,
                          ngx_min(ctx->caller.len, RTK_TXN_IDENTITY_MAX))
                  + r->connection->addr_text.len
                  + RTK_ERROR_MESSAGE_MAX
                  + ngx_strlen(ctx->txn.decision.reason.message)
                  + ngx_strlen(ctx->txn.decision.rule));

    if (ctx->txn.parsed) {
        size += 6 * (ctx->txn.body.name_len + ctx->txn.body.url_len);
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
    *l->pos++ = ',';
    *l->pos++ = '"';
    l->pos = ngx_cpymem(l->pos, key, ngx_strlen(key));
    *l->pos++ = '"';
    *l->pos++ = ':';

    if (s == NULL || len == 0) {
        l->pos = ngx_cpymem(l->pos, "null", 4);
        return;
    }

    *l->pos++ = '"';
    l->pos = rtk_json_escape(l->pos, s, len);
    *l->pos++ = '"';
}


/* values the gateway made or validated itself: hex ids, hashes, words */

static void
ngx_http_rtk_line_safe(ngx_http_rtk_line_t *l, const char *key, u_char *s,
    size_t len)
{
    *l->pos++ = ',';
    *l->pos++ = '"';
    l->pos = ngx_cpymem(l->pos, key, ngx_strlen(key));
    *l->pos++ = '"';
    *l->pos++ = ':';
    *l->pos++ = '"';
    l->pos = ngx_cpymem(l->pos, s, len);
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
ngx_http_rtk_line_upstream(ngx_http_request_t *r, ngx_http_rtk_ctx_t *ctx,
    ngx_http_rtk_line_t *l)
{
    ngx_http_upstream_state_t  *state;

    state = NULL;

    if (r->upstream_states && r->upstream_states->nelts) {
        state = r->upstream_states->elts;
        state += r->upstream_states->nelts - 1;
    }

    /* an answer without a status line has none, whatever nginx assumed */

    if (state && state->status && !ctx->upstream_invalid) {
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
