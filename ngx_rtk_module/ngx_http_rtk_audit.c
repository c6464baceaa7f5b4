
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * The audit trail: one JSON line per decision, and one per outcome of a
 * forwarded request.  Every string goes through rtk_json_escape(), so no
 * caller name or URL can end a line or forge a field.
 */


#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "ngx_http_rtk.h"
#include "rtk_json.h"


#define NGX_HTTP_RTK_AUDIT_FIXED    2048

/* "<PRI>TIMESTAMP HOSTNAME TAG: " with the longest hostname */
#define NGX_HTTP_RTK_SYSLOG_HEADER  (sizeof("<191>Jan 01 00:00:00 : ")    \
                                     + NGX_MAXHOSTNAMELEN + 32)
#define NGX_HTTP_RTK_AUDIT_TAIL                                             \
    (sizeof(",\"seq\":,\"segment\":\"\",\"mac\":\"\"}\n") - 1          \
     + NGX_INT_T_LEN + NGX_HTTP_RTK_SEGMENT_LEN + 2 * NGX_HTTP_RTK_MAC_LEN)


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
static ngx_int_t ngx_http_rtk_audit_commit(ngx_http_request_t *r,
    ngx_http_rtk_audit_t *audit, u_char *line, u_char *last);
static ngx_int_t ngx_http_rtk_audit_mac(ngx_http_rtk_audit_t *audit,
    u_char *prev, u_char *line, size_t len, u_char *mac);
static ngx_int_t ngx_http_rtk_audit_write(ngx_http_request_t *r,
    ngx_http_rtk_audit_t *audit, u_char *line, size_t len);
static ngx_int_t ngx_http_rtk_audit_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static char *ngx_http_rtk_audit_params(ngx_conf_t *cf,
    ngx_http_rtk_audit_t *audit);


static const char  *ngx_http_rtk_decisions[] = {
    "allow", "deny", "would_deny"
};


/* the record's second, formatted once a second per worker */
static time_t  ngx_http_rtk_audit_sec = -1;
static u_char  ngx_http_rtk_audit_time[sizeof("1970-01-01T00:00:00") - 1];


char *
ngx_http_rtk_audit_log(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_rtk_loc_conf_t *rlcf = conf;

    u_char                    *p;
    ngx_str_t                 *value, name;
    ngx_uint_t                 i;
    ngx_http_rtk_audit_t      *audit, **audits;
    ngx_http_rtk_main_conf_t  *rmcf;

    if (rlcf->audit != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        if (cf->args->nelts > 2) {
            return "takes no parameters with \"off\"";
        }

        rlcf->audit = NULL;
        return NGX_CONF_OK;
    }

    audit = ngx_pcalloc(cf->pool, sizeof(ngx_http_rtk_audit_t));
    if (audit == NULL) {
        return NGX_CONF_ERROR;
    }

    audit->path = value[1];

    if (ngx_http_rtk_audit_params(cf, audit) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    /* one chain per destination, however many locations write to it */

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
            return NGX_CONF_ERROR;
        }

        rlcf->audit = audits[i];
        return NGX_CONF_OK;
    }

    if (ngx_strncmp(audit->path.data, "syslog:", 7) == 0) {
        audit->syslog = ngx_pcalloc(cf->pool, sizeof(ngx_syslog_peer_t));
        if (audit->syslog == NULL) {
            return NGX_CONF_ERROR;
        }

        if (ngx_syslog_process_conf(cf, audit->syslog) != NGX_CONF_OK) {
            return NGX_CONF_ERROR;
        }

    } else {
        /* opened by the cycle like access_log: "nginx -s reopen" works */

        audit->file = ngx_conf_open_file(cf->cycle, &audit->path);
        if (audit->file == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    /*
     * The zone survives reloads (same name and size), so the chain goes
     * on; a restart begins a new segment.
     */

    /* a new key is a new zone, so a key change begins a new segment */

    name.len = sizeof("rtk_audit::") - 1 + audit->path.len
               + NGX_HTTP_RTK_FINGERPRINT_LEN;
    name.data = ngx_pnalloc(cf->pool, name.len);
    if (name.data == NULL) {
        return NGX_CONF_ERROR;
    }

    p = ngx_sprintf(name.data, "rtk_audit:%V:", &audit->path);

    if (audit->key.len == 0) {
        name.len = p - name.data;

    } else if (ngx_http_rtk_fingerprint(audit->key.data, audit->key.len, p)
               != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    audit->zone = ngx_shared_memory_add(cf, &name, 8 * ngx_pagesize,
                                        &ngx_http_rtk_module);
    if (audit->zone == NULL) {
        return NGX_CONF_ERROR;
    }

    audit->zone->init = ngx_http_rtk_audit_init_zone;

    audits = ngx_array_push(&rmcf->audits);
    if (audits == NULL) {
        return NGX_CONF_ERROR;
    }

    *audits = audit;
    rlcf->audit = audit;

    return NGX_CONF_OK;
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

            continue;
        }

        if (ngx_strcmp(value[i].data, "fsync") == 0 && !audit->fsync) {
            audit->fsync = 1;
            continue;
        }

        if (ngx_strcmp(value[i].data, "fail=open") == 0) {
            audit->fail_open = 1;
            continue;
        }

        if (ngx_strcmp(value[i].data, "fail=closed") == 0) {
            audit->fail_open = 0;
            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\"", &value[i]);
        return NGX_CONF_ERROR;
    }

    if (audit->fsync && ngx_strncmp(audit->path.data, "syslog:", 7) == 0) {
        return "\"fsync\" cannot be used with syslog";
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_rtk_audit_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    u_char                 rnd[NGX_HTTP_RTK_SEGMENT_LEN / 2];
    ngx_uint_t             fresh;
    ngx_http_rtk_chain_t  *chain;

    chain = ngx_http_rtk_zone_data(shm_zone, data,
                                   sizeof(ngx_http_rtk_chain_t), &fresh);
    if (chain == NULL) {
        return NGX_ERROR;
    }

    /* a new zone is a new segment: a restart, or a key change */

    if (fresh) {
        if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
            return NGX_ERROR;
        }

        ngx_hex_dump(chain->segment, rnd, sizeof(rnd));
    }

    return NGX_OK;
}


/* NGX_ERROR only when the request must not go on: fail closed */

ngx_int_t
ngx_http_rtk_audit_decision(ngx_http_request_t *r, ngx_http_rtk_ctx_t *ctx)
{
    ngx_http_rtk_loc_conf_t  *rlcf;

    ctx->decision_logged = 1;

    if (ngx_http_rtk_audit_record(r, ctx, 0) == NGX_OK) {
        return NGX_OK;
    }

    rlcf = ctx->conf;

    return rlcf->audit->fail_open ? NGX_OK : NGX_ERROR;
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
    ngx_tm_t                    tm;
    rtk_txn_t                  *txn;
    ngx_uint_t                  status;
    ngx_time_t                 *tp;
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

    line = ngx_pnalloc(r->pool, size);
    if (line == NULL) {
        return NGX_ERROR;
    }

    l.pos = line;
    l.end = line + size;

    tp = ngx_timeofday();

    if (tp->sec != ngx_http_rtk_audit_sec) {
        ngx_gmtime(tp->sec, &tm);
        (void) ngx_sprintf(ngx_http_rtk_audit_time,
                           "%4d-%02d-%02dT%02d:%02d:%02d",
                           tm.ngx_tm_year, tm.ngx_tm_mon, tm.ngx_tm_mday,
                           tm.ngx_tm_hour, tm.ngx_tm_min, tm.ngx_tm_sec);
        ngx_http_rtk_audit_sec = tp->sec;
    }

    l.pos = ngx_sprintf(l.pos, "{\"type\":\"%s\",\"time\":\"%*s.%03MZ\"",
                        outcome ? "outcome" : "decision",
                        sizeof(ngx_http_rtk_audit_time),
                        ngx_http_rtk_audit_time, tp->msec);

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
    ngx_http_rtk_line_str(&l, "method", r->method_name.data,
                          ngx_min(r->method_name.len, 32));

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

    ngx_http_rtk_line_raw(&l, ",\"changes\":");

    /* list, get and delete change nothing */

    if (txn->parsed && txn->op_known && rtk_op_has_body(txn->op)) {
        ngx_http_rtk_line_changes(&l, &txn->body);

    } else {
        ngx_http_rtk_line_raw(&l, "null");
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
    ngx_http_rtk_line_cstr(&l, "rule",
                           txn->evaluated ? txn->decision.rule : NULL);

    if (status) {
        l.pos = ngx_sprintf(l.pos, ",\"status\":%ui", status);

    } else if (outcome) {
        ngx_http_rtk_line_raw(&l, ",\"status\":null");
    }

    if (rlcf->policy) {
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

    return ngx_http_rtk_audit_commit(r, rlcf->audit, line, l.pos);
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


/*
 * Under the zone's lock: the next sequence number, the MAC over the
 * previous MAC and this record, the write, then the new chain head.
 * Holding the lock across the write keeps file order equal to chain
 * order for any number of workers.
 */

static ngx_int_t
ngx_http_rtk_audit_commit(ngx_http_request_t *r, ngx_http_rtk_audit_t *audit,
    u_char *line, u_char *last)
{
    u_char                 mac[NGX_HTTP_RTK_MAC_LEN];
    u_char                *p;
    ngx_int_t              rc;
    ngx_uint_t             seq;
    ngx_slab_pool_t       *shpool;
    ngx_http_rtk_chain_t  *chain;

    shpool = (ngx_slab_pool_t *) audit->zone->shm.addr;
    chain = audit->zone->data;

    ngx_shmtx_lock(&shpool->mutex);

    seq = chain->seq + 1;

    p = ngx_sprintf(last, ",\"seq\":%ui,\"segment\":\"%*s\"", seq,
                    (size_t) NGX_HTTP_RTK_SEGMENT_LEN, chain->segment);

    if (audit->key.len) {
        if (ngx_http_rtk_audit_mac(audit, seq == 1 ? NULL : chain->mac,
                                   line, p - line, mac)
            != NGX_OK)
        {
            ngx_shmtx_unlock(&shpool->mutex);

            ngx_log_error(NGX_LOG_CRIT, r->connection->log, 0,
                          "rtk: computing the audit MAC failed");
            return NGX_ERROR;
        }

        p = ngx_cpymem(p, ",\"mac\":\"", sizeof(",\"mac\":\"") - 1);
        p = ngx_hex_dump(p, mac, NGX_HTTP_RTK_MAC_LEN);
        *p++ = '"';
    }

    *p++ = '}';
    *p++ = LF;

    rc = ngx_http_rtk_audit_write(r, audit, line, p - line);

    ngx_http_rtk_metrics_audit(r, rc, p - line);

    /* a record that was not written does not advance the chain */

    if (rc == NGX_OK) {
        chain->seq = seq;

        if (audit->key.len) {
            ngx_memcpy(chain->mac, mac, NGX_HTTP_RTK_MAC_LEN);
        }
    }

    ngx_shmtx_unlock(&shpool->mutex);

    return rc;
}


/*
 * HMAC-SHA256(key, hex(previous MAC) || record); a segment starts at 0.
 * Each worker keys one context once; re-initialising it with no key
 * reuses the key's precomputed state, so a record costs only its blocks.
 */

static ngx_int_t
ngx_http_rtk_audit_mac(ngx_http_rtk_audit_t *audit, u_char *prev,
    u_char *line, size_t len, u_char *mac)
{
    u_char       hex[2 * NGX_HTTP_RTK_MAC_LEN];
    size_t       n;
    EVP_MAC     *hmac;
    OSSL_PARAM   params[2];

    if (audit->mac_ctx == NULL) {
        hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
        if (hmac == NULL) {
            return NGX_ERROR;
        }

        audit->mac_ctx = EVP_MAC_CTX_new(hmac);
        EVP_MAC_free(hmac);

        if (audit->mac_ctx == NULL) {
            return NGX_ERROR;
        }

        params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                     (char *) "SHA256", 0);
        params[1] = OSSL_PARAM_construct_end();

        if (EVP_MAC_init(audit->mac_ctx, audit->key.data, audit->key.len,
                         params)
            != 1)
        {
            EVP_MAC_CTX_free(audit->mac_ctx);
            audit->mac_ctx = NULL;
            return NGX_ERROR;
        }

    } else if (EVP_MAC_init(audit->mac_ctx, NULL, 0, NULL) != 1) {
        return NGX_ERROR;
    }

    if (prev) {
        ngx_hex_dump(hex, prev, NGX_HTTP_RTK_MAC_LEN);

    } else {
        ngx_memset(hex, '0', sizeof(hex));
    }

    if (EVP_MAC_update(audit->mac_ctx, hex, sizeof(hex)) != 1
        || EVP_MAC_update(audit->mac_ctx, line, len) != 1
        || EVP_MAC_final(audit->mac_ctx, mac, &n, NGX_HTTP_RTK_MAC_LEN) != 1
        || n != NGX_HTTP_RTK_MAC_LEN)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_rtk_audit_write(ngx_http_request_t *r, ngx_http_rtk_audit_t *audit,
    u_char *line, size_t len)
{
    u_char           *msg, *p;
    ssize_t           n;
    ngx_file_info_t   fi;

    if (audit->syslog) {
        msg = ngx_pnalloc(r->pool, NGX_HTTP_RTK_SYSLOG_HEADER + len);
        if (msg == NULL) {
            return NGX_ERROR;
        }

        p = ngx_syslog_add_header(audit->syslog, msg);
        p = ngx_cpymem(p, line, len - 1);

        n = ngx_syslog_send(audit->syslog, msg, p - msg);

        if (n != p - msg) {
            ngx_log_error(NGX_LOG_CRIT, r->connection->log, 0,
                          "rtk: sending the audit record to \"%V\" "
                          "failed", &audit->path);
            return NGX_ERROR;
        }

        return NGX_OK;
    }

    /*
     * A file deleted without "nginx -s reopen" takes records nobody will
     * read: once a second each worker looks, and refuses to write there.
     */

    if (audit->checked != ngx_time()) {
        audit->checked = ngx_time();

        if (ngx_fd_info(audit->file->fd, &fi) == NGX_FILE_ERROR) {
            ngx_log_error(NGX_LOG_CRIT, r->connection->log, ngx_errno,
                          "rtk: " ngx_fd_info_n " of audit log \"%V\" "
                          "failed", &audit->path);
            audit->checked = 0;
            return NGX_ERROR;
        }

        if (fi.st_nlink == 0) {
            ngx_log_error(NGX_LOG_CRIT, r->connection->log, 0,
                          "rtk: audit log \"%V\" was deleted, "
                          "records go nowhere until \"nginx -s reopen\"",
                          &audit->path);
            audit->checked = 0;
            return NGX_ERROR;
        }
    }

    /* one write(2) per record on an O_APPEND descriptor */

    n = ngx_write_fd(audit->file->fd, line, len);

    if (n != (ssize_t) len) {
        if (n == -1) {
            ngx_log_error(NGX_LOG_CRIT, r->connection->log, ngx_errno,
                          "rtk: writing audit log \"%V\" failed",
                          &audit->path);

        } else {
            ngx_log_error(NGX_LOG_CRIT, r->connection->log, 0,
                          "rtk: audit log \"%V\" was written partially: "
                          "%z of %uz", &audit->path, n, len);
        }

        return NGX_ERROR;
    }

    if (audit->fsync && fsync(audit->file->fd) == -1) {
        ngx_log_error(NGX_LOG_CRIT, r->connection->log, ngx_errno,
                      "rtk: fsync() of audit log \"%V\" failed",
                      &audit->path);
        return NGX_ERROR;
    }

    return NGX_OK;
}
