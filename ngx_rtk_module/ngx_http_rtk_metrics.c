
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * Prometheus metrics: counters in one shared zone, "rtk_metrics", that
 * every worker adds to with atomics and that a reload keeps (same name,
 * same size), and "rtk_metrics;" to serve them in the text exposition
 * format.  A request is counted once, in the log phase, from its settled
 * transaction; the audit writer reports each record it commits.  What
 * the configuration says (policies, tokens) is read from the serving
 * worker's own configuration, never from the zone.
 */


#include "ngx_http_rtk.h"


#define NGX_HTTP_RTK_METRICS_ZONE      "rtk_metrics"

/* decision series, a closed set: operation x decision x reason code */
#define NGX_HTTP_RTK_METRICS_SERIES    512

/* histogram buckets, the last one +Inf */
#define NGX_HTTP_RTK_METRICS_BUCKETS   12

#define NGX_HTTP_RTK_DECISION_ALLOW       0
#define NGX_HTTP_RTK_DECISION_DENY        1
#define NGX_HTTP_RTK_DECISION_WOULD_DENY  2
#define NGX_HTTP_RTK_DECISION_ERROR       3

/* upstream status classes; 401, 403 and 429 are not in "4xx" */
#define NGX_HTTP_RTK_CLASS_401         5
#define NGX_HTTP_RTK_CLASS_403         6
#define NGX_HTTP_RTK_CLASS_429         7
#define NGX_HTTP_RTK_CLASSES           8

#define ngx_http_rtk_series_key(op, decision, code)                          \
    ((ngx_atomic_uint_t) 1 << 28 | (op) << 24 | (decision) << 20 | (code))


typedef struct {
    ngx_atomic_t                   key;         /* 0: free */
    ngx_atomic_t                   value;
} ngx_http_rtk_series_t;


typedef struct {
    ngx_atomic_t                   bucket[NGX_HTTP_RTK_METRICS_BUCKETS];
    ngx_atomic_t                   sum;         /* microseconds */
} ngx_http_rtk_histogram_t;


/* the zone's data; every field only ever grows, but reload_ok */

typedef struct {
    ngx_atomic_t                   reload_ok;
    ngx_atomic_t                   dropped;
    ngx_atomic_t                   upstream[NGX_HTTP_RTK_CLASSES];
    ngx_atomic_t                   audit_records;
    ngx_atomic_t                   audit_failures;
    ngx_atomic_t                   audit_bytes;
    ngx_atomic_t                   audit_writes;
    ngx_http_rtk_histogram_t       request_time;
    ngx_http_rtk_histogram_t       upstream_time;
    ngx_http_rtk_series_t          series[NGX_HTTP_RTK_METRICS_SERIES];
} ngx_http_rtk_metrics_shm_t;


typedef struct {
    ngx_http_core_loc_conf_t      *clcf;
    u_char                        *file;
    ngx_uint_t                     line;
} ngx_http_rtk_metrics_loc_t;


struct ngx_http_rtk_metrics_conf_s {
    ngx_shm_zone_t                *zone;
    ngx_array_t                    locations;   /* rtk_metrics written */
    ngx_array_t                    policies;    /* rtk_policy_t *, distinct */
    ngx_array_t                    tokens;      /* ngx_http_rtk_token_t * */
    time_t                         loaded;
};


static ngx_http_rtk_metrics_shm_t *ngx_http_rtk_metrics_data(
    ngx_http_request_t *r);
static ngx_int_t ngx_http_rtk_metrics_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static ngx_int_t ngx_http_rtk_metrics_collect(ngx_conf_t *cf,
    ngx_http_rtk_metrics_conf_t *mcf, ngx_http_rtk_loc_conf_t *rlcf);
static void ngx_http_rtk_metrics_classify(ngx_http_request_t *r,
    ngx_http_rtk_ctx_t *ctx, ngx_uint_t *decision, ngx_uint_t *code);
static void ngx_http_rtk_metrics_count(ngx_http_rtk_metrics_shm_t *m,
    ngx_atomic_uint_t key);
static void ngx_http_rtk_metrics_observe(ngx_http_rtk_histogram_t *h,
    ngx_msec_int_t ms);
static ngx_int_t ngx_http_rtk_metrics_handler(ngx_http_request_t *r);
static u_char *ngx_http_rtk_metrics_write(ngx_http_rtk_metrics_conf_t *mcf,
    ngx_http_rtk_metrics_shm_t *m, u_char *p, u_char *last);
static u_char *ngx_http_rtk_metrics_series(ngx_http_rtk_metrics_shm_t *m,
    u_char *p, u_char *last);
static u_char *ngx_http_rtk_metrics_histogram(u_char *p, u_char *last,
    const char *name, const char *help, ngx_http_rtk_histogram_t *h);
static u_char *ngx_http_rtk_metrics_config(ngx_http_rtk_metrics_conf_t *mcf,
    ngx_http_rtk_metrics_shm_t *m, u_char *p, u_char *last);
static ngx_int_t ngx_http_rtk_metrics_cmp_keys(const void *one,
    const void *two);


static const char  *ngx_http_rtk_decision_names[] = {
    "allow", "deny", "would_deny", "error"
};

static const char  *ngx_http_rtk_classes[] = {
    "1xx", "2xx", "3xx", "4xx", "5xx", "401", "403", "429"
};

/* upper bounds in microseconds, and as Prometheus prints them */

static ngx_msec_int_t  ngx_http_rtk_bucket_us[] = {
    5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000,
    5000000, 10000000
};

static const char  *ngx_http_rtk_bucket_le[] = {
    "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5",
    "5", "10", "+Inf"
};


static ngx_str_t  ngx_http_rtk_metrics_zone_name =
    ngx_string(NGX_HTTP_RTK_METRICS_ZONE);
static ngx_str_t  ngx_http_rtk_metrics_type =
    ngx_string("text/plain; version=0.0.4; charset=utf-8");
static ngx_str_t  ngx_http_rtk_any_account = ngx_string("*");


/*
 * From the main configuration's creation on: the configuration being
 * read is a reload when the running one has a metrics zone, and it is
 * marked failed there until the new cycle is complete (init_module).
 * A reload refused before the http block is read is not seen.
 */

ngx_http_rtk_metrics_conf_t *
ngx_http_rtk_metrics_create_conf(ngx_conf_t *cf)
{
    ngx_uint_t                    i;
    ngx_shm_zone_t               *zone;
    ngx_list_part_t              *part;
    ngx_http_rtk_metrics_shm_t   *m;
    ngx_http_rtk_metrics_conf_t  *mcf;

    mcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_rtk_metrics_conf_t));
    if (mcf == NULL) {
        return NULL;
    }

    if (ngx_array_init(&mcf->locations, cf->pool, 1,
                       sizeof(ngx_http_rtk_metrics_loc_t))
        != NGX_OK
        || ngx_array_init(&mcf->policies, cf->pool, 1,
                          sizeof(rtk_policy_t *))
           != NGX_OK
        || ngx_array_init(&mcf->tokens, cf->pool, 2,
                          sizeof(ngx_http_rtk_token_t *))
           != NGX_OK)
    {
        return NULL;
    }

    if (ngx_test_config || cf->cycle->old_cycle == NULL) {
        return mcf;
    }

    part = &cf->cycle->old_cycle->shared_memory.part;
    zone = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            zone = part->elts;
            i = 0;
        }

        if (zone[i].tag != &ngx_http_rtk_module
            || zone[i].shm.name.len != ngx_http_rtk_metrics_zone_name.len
            || ngx_strncmp(zone[i].shm.name.data,
                           ngx_http_rtk_metrics_zone_name.data,
                           ngx_http_rtk_metrics_zone_name.len)
               != 0
            || zone[i].data == NULL)
        {
            continue;
        }

        m = zone[i].data;
        m->reload_ok = 0;
        break;
    }

    return mcf;
}


char *
ngx_http_rtk_metrics(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_rtk_loc_conf_t *rlcf = conf;

    ngx_http_core_loc_conf_t    *clcf;
    ngx_http_rtk_main_conf_t    *rmcf;
    ngx_http_rtk_metrics_loc_t  *loc;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (clcf->handler == ngx_http_rtk_metrics_handler) {
        return "is duplicate";
    }

    if (clcf->handler != NULL) {
        return "cannot be used in a location with another content handler";
    }

    if (rlcf->gateway == 1) {
        return "cannot be used in a gateway location";
    }

    rmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_rtk_module);

    loc = ngx_array_push(&rmcf->metrics->locations);
    if (loc == NULL) {
        return NGX_CONF_ERROR;
    }

    loc->clcf = clcf;
    loc->file = cf->conf_file->file.name.data;
    loc->line = cf->conf_file->line;

    clcf->handler = ngx_http_rtk_metrics_handler;

    return NGX_CONF_OK;
}


/*
 * Once the http block is read, before the gateways are attached: the
 * zone is added when there is something to count or to serve.
 */

ngx_int_t
ngx_http_rtk_metrics_init(ngx_conf_t *cf)
{
    size_t                         size;
    ngx_uint_t                     i;
    ngx_http_rtk_loc_conf_t      **gw;
    ngx_http_rtk_main_conf_t      *rmcf;
    ngx_http_rtk_metrics_loc_t    *loc;
    ngx_http_rtk_metrics_conf_t   *mcf;

    rmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_rtk_module);
    mcf = rmcf->metrics;

    gw = rmcf->gateways.elts;

    for (i = 0; i < rmcf->gateways.nelts; i++) {

        if (gw[i]->clcf->handler == ngx_http_rtk_metrics_handler) {
            ngx_http_rtk_conf_error(cf, gw[i], NGX_LOG_EMERG,
                                    "\"rtk_metrics\" cannot be used in "
                                    "gateway location \"%V\"",
                                    &gw[i]->clcf->name);
            return NGX_ERROR;
        }

        if (ngx_http_rtk_metrics_collect(cf, mcf, gw[i]) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    /* proxy_pass and the like after rtk_metrics replace its handler */

    loc = mcf->locations.elts;

    for (i = 0; i < mcf->locations.nelts; i++) {

        if (loc[i].clcf->handler != ngx_http_rtk_metrics_handler) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "\"rtk_metrics\" in location \"%V\" cannot be "
                          "used with another content handler in %s:%ui",
                          &loc[i].clcf->name, loc[i].file, loc[i].line);
            return NGX_ERROR;
        }
    }

    if (rmcf->gateways.nelts == 0 && mcf->locations.nelts == 0) {
        return NGX_OK;
    }

    /* a size that depends on nothing configurable: reloads reuse it */

    size = 8 * ngx_pagesize
           + ngx_align(sizeof(ngx_http_rtk_metrics_shm_t), ngx_pagesize);

    mcf->zone = ngx_shared_memory_add(cf, &ngx_http_rtk_metrics_zone_name,
                                      size, &ngx_http_rtk_module);
    if (mcf->zone == NULL) {
        return NGX_ERROR;
    }

    mcf->zone->init = ngx_http_rtk_metrics_init_zone;
    mcf->loaded = ngx_time();

    return NGX_OK;
}


/* the policies and tokens in force, each once */

static ngx_int_t
ngx_http_rtk_metrics_collect(ngx_conf_t *cf, ngx_http_rtk_metrics_conf_t *mcf,
    ngx_http_rtk_loc_conf_t *rlcf)
{
    ngx_uint_t              i, j;
    rtk_policy_t          **policy, **p;
    ngx_http_rtk_token_t   *t, **token;

    if (rlcf->policy != NULL) {
        p = mcf->policies.elts;

        for (i = 0; i < mcf->policies.nelts; i++) {
            if (ngx_strcmp(rtk_policy_hash(p[i]),
                           rtk_policy_hash(rlcf->policy))
                == 0)
            {
                break;
            }
        }

        if (i == mcf->policies.nelts) {
            policy = ngx_array_push(&mcf->policies);
            if (policy == NULL) {
                return NGX_ERROR;
            }

            *policy = rlcf->policy;
        }
    }

    if (rlcf->tokens == NULL) {
        return NGX_OK;
    }

    t = rlcf->tokens->elts;

    for (i = 0; i < rlcf->tokens->nelts; i++) {
        token = mcf->tokens.elts;

        for (j = 0; j < mcf->tokens.nelts; j++) {
            if (ngx_memcmp(token[j]->fingerprint, t[i].fingerprint,
                           NGX_HTTP_RTK_FINGERPRINT_LEN)
                == 0
                && token[j]->account.len == t[i].account.len
                && (t[i].account.len == 0
                    || ngx_strncmp(token[j]->account.data,
                                   t[i].account.data, t[i].account.len)
                       == 0))
            {
                break;
            }
        }

        if (j < mcf->tokens.nelts) {
            continue;
        }

        token = ngx_array_push(&mcf->tokens);
        if (token == NULL) {
            return NGX_ERROR;
        }

        *token = &t[i];
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_rtk_metrics_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    /* a reload: the same counters go on */

    return ngx_http_rtk_zone_data(shm_zone, data,
                                  sizeof(ngx_http_rtk_metrics_shm_t), NULL)
           == NULL ? NGX_ERROR : NGX_OK;
}


/* the new cycle is complete: its configuration is the one in force */

ngx_int_t
ngx_http_rtk_metrics_init_module(ngx_cycle_t *cycle)
{
    ngx_http_rtk_main_conf_t    *rmcf;
    ngx_http_rtk_metrics_shm_t  *m;

    rmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_rtk_module);

    if (rmcf == NULL || rmcf->metrics->zone == NULL) {
        return NGX_OK;
    }

    m = rmcf->metrics->zone->data;
    m->reload_ok = 1;

    return NGX_OK;
}


static ngx_http_rtk_metrics_shm_t *
ngx_http_rtk_metrics_data(ngx_http_request_t *r)
{
    ngx_http_rtk_main_conf_t  *rmcf;

    rmcf = ngx_http_get_module_main_conf(r, ngx_http_rtk_module);

    if (rmcf->metrics->zone == NULL) {
        return NULL;
    }

    return rmcf->metrics->zone->data;
}


/* the log phase, once per request that met a gateway location */

void
ngx_http_rtk_metrics_log(ngx_http_request_t *r, ngx_http_rtk_ctx_t *ctx)
{
    ngx_uint_t                   op, decision, code, n;
    ngx_time_t                  *tp;
    ngx_msec_int_t               ms;
    ngx_http_upstream_state_t   *state;
    ngx_http_rtk_metrics_shm_t  *m;

    if (ctx == NULL || ctx->conf == NULL) {
        return;
    }

    m = ngx_http_rtk_metrics_data(r);
    if (m == NULL) {
        return;
    }

    ngx_http_rtk_metrics_classify(r, ctx, &decision, &code);

    /* RTK_OP_COUNT: "none", a request refused before it named one */

    op = ctx->txn.op_known ? (ngx_uint_t) ctx->txn.op : RTK_OP_COUNT;

    ngx_http_rtk_metrics_count(m, ngx_http_rtk_series_key(op, decision,
                                                          code));

    tp = ngx_timeofday();
    ms = (ngx_msec_int_t) ((tp->sec - r->start_sec) * 1000
                           + (tp->msec - r->start_msec));

    ngx_http_rtk_metrics_observe(&m->request_time, ms);

    if (!ctx->forwarded || r->upstream_states == NULL
        || r->upstream_states->nelts == 0)
    {
        return;
    }

    state = r->upstream_states->elts;
    state += r->upstream_states->nelts - 1;

    /* only answers: a failed attempt has a status nginx made up */

    if (ctx->upstream_invalid || state->header_time == (ngx_msec_t) -1
        || state->status < 100 || state->status > 599)
    {
        return;
    }

    switch (state->status) {

    case NGX_HTTP_UNAUTHORIZED:
        n = NGX_HTTP_RTK_CLASS_401;
        break;

    case NGX_HTTP_FORBIDDEN:
        n = NGX_HTTP_RTK_CLASS_403;
        break;

    case NGX_HTTP_TOO_MANY_REQUESTS:
        n = NGX_HTTP_RTK_CLASS_429;
        break;

    default:
        n = state->status / 100 - 1;
    }

    (void) ngx_atomic_fetch_add(&m->upstream[n], 1);

    if (state->response_time != (ngx_msec_t) -1) {
        ngx_http_rtk_metrics_observe(&m->upstream_time,
                                     (ngx_msec_int_t) state->response_time);
    }
}


/*
 * What the audit decision record says: a forwarded request keeps its
 * decision unless the gateway or nginx answered a 5xx for it or the
 * upstream cut its answer short (an upstream that failed); any other
 * request is a deny, or an error when its settled answer is a 5xx.
 */

static void
ngx_http_rtk_metrics_classify(ngx_http_request_t *r, ngx_http_rtk_ctx_t *ctx,
    ngx_uint_t *decision, ngx_uint_t *code)
{
    rtk_txn_t    *txn;
    rtk_error_t   err;

    txn = &ctx->txn;

    if (ctx->forward) {

        if (r->err_status >= NGX_HTTP_INTERNAL_SERVER_ERROR) {
            rtk_txn_answer(txn, (int) r->err_status, &err);
            *decision = NGX_HTTP_RTK_DECISION_ERROR;
            *code = (ngx_uint_t) err.code;
            return;
        }

        /* an answer the upstream cut short failed as a 502 would */

        if (ngx_http_rtk_outcome_end(r, ctx, &err) == RTK_END_UPSTREAM) {
            *decision = NGX_HTTP_RTK_DECISION_ERROR;
            *code = (ngx_uint_t) err.code;
            return;
        }

        *decision = txn->decision.decision == RTK_DECISION_WOULD_DENY
                    ? NGX_HTTP_RTK_DECISION_WOULD_DENY
                    : NGX_HTTP_RTK_DECISION_ALLOW;
        *code = (ngx_uint_t) txn->decision.reason.code;
        return;
    }

    /* the log handler settled what nginx answered */

    err = txn->settled ? txn->outcome : txn->decision.reason;

    *decision = err.status >= NGX_HTTP_INTERNAL_SERVER_ERROR
                ? NGX_HTTP_RTK_DECISION_ERROR : NGX_HTTP_RTK_DECISION_DENY;
    *code = err.code > 0 && err.code < 100000 ? (ngx_uint_t) err.code : 0;
}


/*
 * Open addressing without a lock: a free slot is claimed with a
 * compare-and-set of its key, so two workers never count one series
 * twice.  A full table counts in rtk_metrics_series_dropped_total.
 */

static void
ngx_http_rtk_metrics_count(ngx_http_rtk_metrics_shm_t *m,
    ngx_atomic_uint_t key)
{
    ngx_uint_t              i, n;
    ngx_http_rtk_series_t  *s;

    n = (ngx_uint_t) (key * 2654435761u) % NGX_HTTP_RTK_METRICS_SERIES;

    for (i = 0; i < NGX_HTTP_RTK_METRICS_SERIES; i++) {
        s = &m->series[(n + i) % NGX_HTTP_RTK_METRICS_SERIES];

        if (s->key == key
            || (s->key == 0 && ngx_atomic_cmp_set(&s->key, 0, key))
            || s->key == key)
        {
            (void) ngx_atomic_fetch_add(&s->value, 1);
            return;
        }
    }

    (void) ngx_atomic_fetch_add(&m->dropped, 1);
}


static void
ngx_http_rtk_metrics_observe(ngx_http_rtk_histogram_t *h, ngx_msec_int_t ms)
{
    ngx_uint_t      i;
    ngx_msec_int_t  us;

    us = ms > 0 ? ms * 1000 : 0;

    for (i = 0; i < NGX_HTTP_RTK_METRICS_BUCKETS - 1; i++) {
        if (us <= ngx_http_rtk_bucket_us[i]) {
            break;
        }
    }

    (void) ngx_atomic_fetch_add(&h->bucket[i], 1);
    (void) ngx_atomic_fetch_add(&h->sum, (ngx_atomic_int_t) us);
}


/* from the audit writer, once per record it tried to commit */

void
ngx_http_rtk_metrics_audit(ngx_int_t rc, ngx_uint_t n, size_t len)
{
    ngx_http_rtk_main_conf_t    *rmcf;
    ngx_http_rtk_metrics_shm_t  *m;

    /* records written outside a request count too: the worker's cycle */

    rmcf = ngx_http_cycle_get_module_main_conf(ngx_cycle,
                                               ngx_http_rtk_module);

    if (rmcf == NULL || rmcf->metrics->zone == NULL) {
        return;
    }

    m = rmcf->metrics->zone->data;

    if (rc != NGX_OK) {
        (void) ngx_atomic_fetch_add(&m->audit_failures, n);
        return;
    }

    (void) ngx_atomic_fetch_add(&m->audit_records, n);
    (void) ngx_atomic_fetch_add(&m->audit_writes, 1);
    (void) ngx_atomic_fetch_add(&m->audit_bytes, (ngx_atomic_int_t) len);
}


static ngx_int_t
ngx_http_rtk_metrics_handler(ngx_http_request_t *r)
{
    size_t                        size;
    ngx_int_t                     rc;
    ngx_buf_t                    *b;
    ngx_uint_t                    i;
    ngx_chain_t                   out;
    ngx_http_rtk_main_conf_t     *rmcf;
    ngx_http_rtk_metrics_shm_t   *m;
    ngx_http_rtk_metrics_conf_t  *mcf;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    rmcf = ngx_http_get_module_main_conf(r, ngx_http_rtk_module);
    mcf = rmcf->metrics;
    m = mcf->zone->data;

    /* generous bounds; every write below is bounded all the same */

    size = 16384 + 256 * (mcf->policies.nelts + mcf->tokens.nelts);

    for (i = 0; i < NGX_HTTP_RTK_METRICS_SERIES; i++) {
        if (m->series[i].key) {
            size += 128;
        }
    }

    b = ngx_create_temp_buf(r->pool, size);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last = ngx_http_rtk_metrics_write(mcf, m, b->pos, b->end);

    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = b->last - b->pos;
    r->headers_out.content_type = ngx_http_rtk_metrics_type;
    r->headers_out.content_type_len = ngx_http_rtk_metrics_type.len;
    r->headers_out.content_type_lowcase = NULL;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


static u_char *
ngx_http_rtk_metrics_write(ngx_http_rtk_metrics_conf_t *mcf,
    ngx_http_rtk_metrics_shm_t *m, u_char *p, u_char *last)
{
    ngx_uint_t  i;

    p = ngx_http_rtk_metrics_series(m, p, last);

    p = ngx_slprintf(p, last,
            "# HELP rtk_upstream_responses_total Answers of the upstream "
            "to forwarded requests, by status class; 401, 403 and 429 "
            "are not counted in 4xx.\n"
            "# TYPE rtk_upstream_responses_total counter\n");

    for (i = 0; i < NGX_HTTP_RTK_CLASSES; i++) {
        p = ngx_slprintf(p, last,
                         "rtk_upstream_responses_total{class=\"%s\"} %uA\n",
                         ngx_http_rtk_classes[i], m->upstream[i]);
    }

    p = ngx_http_rtk_metrics_histogram(p, last,
            "rtk_request_duration_seconds",
            "Time from the request's first byte to its log phase, in "
            "gateway locations.", &m->request_time);

    p = ngx_http_rtk_metrics_histogram(p, last,
            "rtk_upstream_response_seconds",
            "Time the upstream took to answer a forwarded request "
            "($upstream_response_time of the last attempt).",
            &m->upstream_time);

    p = ngx_slprintf(p, last,
            "# HELP rtk_audit_records_total Audit records written.\n"
            "# TYPE rtk_audit_records_total counter\n"
            "rtk_audit_records_total %uA\n"
            "# HELP rtk_audit_write_failures_total Audit records that "
            "could not be written.\n"
            "# TYPE rtk_audit_write_failures_total counter\n"
            "rtk_audit_write_failures_total %uA\n"
            "# HELP rtk_audit_bytes_total Bytes of audit records written.\n"
            "# TYPE rtk_audit_bytes_total counter\n"
            "rtk_audit_bytes_total %uA\n"
            "# HELP rtk_audit_writes_total Writes of audit records: the "
            "records of one event loop turn go together.\n"
            "# TYPE rtk_audit_writes_total counter\n"
            "rtk_audit_writes_total %uA\n",
            m->audit_records, m->audit_failures, m->audit_bytes,
            m->audit_writes);

    return ngx_http_rtk_metrics_config(mcf, m, p, last);
}


/* the decision series in a stable order: operation, decision, code */

static u_char *
ngx_http_rtk_metrics_series(ngx_http_rtk_metrics_shm_t *m, u_char *p,
    u_char *last)
{
    ngx_uint_t              i, n, op, decision, code;
    ngx_atomic_uint_t       key;
    ngx_http_rtk_series_t   series[NGX_HTTP_RTK_METRICS_SERIES];

    n = 0;

    for (i = 0; i < NGX_HTTP_RTK_METRICS_SERIES; i++) {
        key = m->series[i].key;

        if (key) {
            series[n].key = key;
            series[n].value = m->series[i].value;
            n++;
        }
    }

    ngx_sort(series, n, sizeof(ngx_http_rtk_series_t),
             ngx_http_rtk_metrics_cmp_keys);

    p = ngx_slprintf(p, last,
            "# HELP rtk_decisions_total Requests in gateway locations, by "
            "operation, decision and reason code.\n"
            "# TYPE rtk_decisions_total counter\n");

    for (i = 0; i < n; i++) {
        key = series[i].key;

        op = (key >> 24) & 0xf;
        decision = (key >> 20) & 0xf;
        code = key & 0xfffff;

        if (op > RTK_OP_COUNT || decision > NGX_HTTP_RTK_DECISION_ERROR) {
            continue;
        }

        p = ngx_slprintf(p, last,
                         "rtk_decisions_total{operation=\"%s\","
                         "decision=\"%s\",code=\"%ui\"} %uA\n",
                         op < RTK_OP_COUNT ? rtk_op_name((int) op) : "none",
                         ngx_http_rtk_decision_names[decision], code,
                         series[i].value);
    }

    return p;
}


static u_char *
ngx_http_rtk_metrics_histogram(u_char *p, u_char *last, const char *name,
    const char *help, ngx_http_rtk_histogram_t *h)
{
    ngx_uint_t         i;
    ngx_atomic_uint_t  total, sum;

    p = ngx_slprintf(p, last, "# HELP %s %s\n# TYPE %s histogram\n",
                     name, help, name);

    /* the count is the +Inf bucket: one reading, consistent */

    total = 0;

    for (i = 0; i < NGX_HTTP_RTK_METRICS_BUCKETS; i++) {
        total += h->bucket[i];

        p = ngx_slprintf(p, last, "%s_bucket{le=\"%s\"} %uA\n",
                         name, ngx_http_rtk_bucket_le[i], total);
    }

    sum = h->sum;

    return ngx_slprintf(p, last, "%s_sum %uA.%06uA\n%s_count %uA\n",
                        name, sum / 1000000, sum % 1000000, name, total);
}


static u_char *
ngx_http_rtk_metrics_config(ngx_http_rtk_metrics_conf_t *mcf,
    ngx_http_rtk_metrics_shm_t *m, u_char *p, u_char *last)
{
    size_t                  used;
    ngx_uint_t              i;
    rtk_policy_t          **policy;
    ngx_slab_pool_t        *shpool;
    ngx_http_rtk_token_t  **token;

    policy = mcf->policies.elts;

    p = ngx_slprintf(p, last,
            "# HELP rtk_policy_info The policies in force, by the SHA-256 "
            "of their file.\n"
            "# TYPE rtk_policy_info gauge\n");

    for (i = 0; i < mcf->policies.nelts; i++) {
        p = ngx_slprintf(p, last, "rtk_policy_info{sha256=\"%s\"} 1\n",
                         rtk_policy_hash(policy[i]));
    }

    p = ngx_slprintf(p, last,
            "# HELP rtk_policy_apps App entries of each policy in force.\n"
            "# TYPE rtk_policy_apps gauge\n");

    for (i = 0; i < mcf->policies.nelts; i++) {
        p = ngx_slprintf(p, last, "rtk_policy_apps{sha256=\"%s\"} %uz\n",
                         rtk_policy_hash(policy[i]),
                         rtk_policy_apps(policy[i]));
    }

    p = ngx_slprintf(p, last,
            "# HELP rtk_policy_loaded_timestamp_seconds When the "
            "configuration in force was read, by start or reload.\n"
            "# TYPE rtk_policy_loaded_timestamp_seconds gauge\n"
            "rtk_policy_loaded_timestamp_seconds %T\n"
            "# HELP rtk_policy_last_reload_success 0 if the last reload "
            "was refused and the configuration before it still serves.\n"
            "# TYPE rtk_policy_last_reload_success gauge\n"
            "rtk_policy_last_reload_success %uA\n",
            mcf->loaded, m->reload_ok ? 1 : 0);

    token = mcf->tokens.elts;

    p = ngx_slprintf(p, last,
            "# HELP rtk_token_info The Cloudflare tokens in force, by the "
            "first 16 hex digits of their SHA-256 and their account (* for "
            "the default token).\n"
            "# TYPE rtk_token_info gauge\n");

    for (i = 0; i < mcf->tokens.nelts; i++) {
        p = ngx_slprintf(p, last,
                         "rtk_token_info{fingerprint=\"%*s\","
                         "account=\"%V\"} 1\n",
                         (size_t) NGX_HTTP_RTK_FINGERPRINT_LEN,
                         token[i]->fingerprint,
                         token[i]->account.len ? &token[i]->account
                                               : &ngx_http_rtk_any_account);
    }

    shpool = (ngx_slab_pool_t *) mcf->zone->shm.addr;
    used = mcf->zone->shm.size - shpool->pfree * ngx_pagesize;

    return ngx_slprintf(p, last,
            "# HELP rtk_metrics_zone_bytes Size of the shared zone "
            "\"" NGX_HTTP_RTK_METRICS_ZONE "\".\n"
            "# TYPE rtk_metrics_zone_bytes gauge\n"
            "rtk_metrics_zone_bytes %uz\n"
            "# HELP rtk_metrics_zone_used_bytes Bytes of the zone in use.\n"
            "# TYPE rtk_metrics_zone_used_bytes gauge\n"
            "rtk_metrics_zone_used_bytes %uz\n"
            "# HELP rtk_metrics_series_dropped_total Requests not counted "
            "in rtk_decisions_total because its table was full.\n"
            "# TYPE rtk_metrics_series_dropped_total counter\n"
            "rtk_metrics_series_dropped_total %uA\n",
            mcf->zone->shm.size, used, m->dropped);
}


static ngx_int_t
ngx_http_rtk_metrics_cmp_keys(const void *one, const void *two)
{
    const ngx_http_rtk_series_t  *a = one;
    const ngx_http_rtk_series_t  *b = two;

    if (a->key == b->key) {
        return 0;
    }

    return a->key < b->key ? -1 : 1;
}
