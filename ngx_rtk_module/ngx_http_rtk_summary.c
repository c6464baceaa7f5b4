
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * Flood summaries.  A request refused before the gateway knows who is
 * calling (auth_basic's 401, "deny", limit_req and limit_conn, an empty
 * identity, an unknown route or method from a caller nobody vouched for)
 * is counted, not written: one "summary" record per second, reason and
 * client address carries the count and the first and last request ids.
 * Counts live in shared memory, so workers share one window per key; a
 * window is written by the first worker that sees it closed.
 */


#include "ngx_http_rtk.h"
#include "rtk_json.h"


#define NGX_HTTP_RTK_SUMMARY_ID_MAX   64
#define NGX_HTTP_RTK_SUMMARY_BATCH    32
#define NGX_HTTP_RTK_SUMMARY_SIZE     (1024 * 1024)
#define NGX_HTTP_RTK_SUMMARY_LINE     1024

#define ngx_http_rtk_summary_node(rn)                                       \
    ((ngx_http_rtk_summary_node_t *) &(rn)->color)
#define ngx_http_rtk_summary_rbnode(sn)                                     \
    ((ngx_rbtree_node_t *) ((u_char *) (sn)                                 \
                            - offsetof(ngx_rbtree_node_t, color)))


typedef struct {
    ngx_rbtree_t                   rbtree;
    ngx_rbtree_node_t              sentinel;
    ngx_queue_t                    windows;     /* oldest first */
} ngx_http_rtk_summary_shctx_t;


/* after the rbtree node's key, left, right and parent */

typedef struct {
    u_char                         color;
    u_char                         reason;
    u_char                         addr_len;
    u_char                         first_len;
    u_char                         last_len;
    u_char                         dummy[3];
    ngx_uint_t                     status;
    ngx_uint_t                     count;
    time_t                         second;
    ngx_queue_t                    queue;
    u_char                         first[NGX_HTTP_RTK_SUMMARY_ID_MAX];
    u_char                         last[NGX_HTTP_RTK_SUMMARY_ID_MAX];
    u_char                         addr[NGX_SOCKADDR_STRLEN];
} ngx_http_rtk_summary_node_t;


/* a closed window, copied out of shared memory to be written */

typedef struct {
    ngx_uint_t                     reason;
    ngx_uint_t                     status;
    ngx_uint_t                     count;
    time_t                         second;
    size_t                         addr_len;
    size_t                         first_len;
    size_t                         last_len;
    u_char                         first[NGX_HTTP_RTK_SUMMARY_ID_MAX];
    u_char                         last[NGX_HTTP_RTK_SUMMARY_ID_MAX];
    u_char                         addr[NGX_SOCKADDR_STRLEN];
} ngx_http_rtk_summary_window_t;


static ngx_uint_t ngx_http_rtk_summary_reason(ngx_http_request_t *r,
    ngx_http_rtk_ctx_t *ctx, ngx_uint_t status);
static ngx_uint_t ngx_http_rtk_summary_named(ngx_str_t *caller);
static ngx_http_rtk_summary_node_t *ngx_http_rtk_summary_lookup(
    ngx_http_rtk_summary_shctx_t *sh, uint32_t hash, ngx_uint_t reason,
    ngx_uint_t status, ngx_str_t *addr);
static void ngx_http_rtk_summary_take(ngx_http_rtk_summary_shctx_t *sh,
    ngx_slab_pool_t *shpool, ngx_http_rtk_summary_node_t *node,
    ngx_http_rtk_summary_window_t *w, ngx_uint_t free);
static ngx_uint_t ngx_http_rtk_summary_expire(ngx_http_rtk_audit_t *audit,
    time_t before, ngx_http_rtk_summary_window_t *w, ngx_uint_t n);
static void ngx_http_rtk_summary_flush(ngx_log_t *log,
    ngx_http_rtk_audit_t *audit, time_t before);
static void ngx_http_rtk_summary_write(ngx_log_t *log,
    ngx_http_rtk_audit_t *audit, ngx_http_rtk_summary_window_t *w);
static ngx_int_t ngx_http_rtk_summary_cmp(ngx_uint_t reason,
    ngx_uint_t status, u_char *addr, size_t len,
    ngx_http_rtk_summary_node_t *sn);
static void ngx_http_rtk_summary_rbtree_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel);
static ngx_int_t ngx_http_rtk_summary_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static void ngx_http_rtk_summary_timer(ngx_event_t *ev);


enum {
    NGX_HTTP_RTK_SUMMARY_NONE = 0,
    NGX_HTTP_RTK_SUMMARY_UNAUTHENTICATED,
    NGX_HTTP_RTK_SUMMARY_FORBIDDEN,
    NGX_HTTP_RTK_SUMMARY_LIMITED,
    NGX_HTTP_RTK_SUMMARY_NO_IDENTITY,
    NGX_HTTP_RTK_SUMMARY_ROUTE,
    NGX_HTTP_RTK_SUMMARY_METHOD
};


static const char  *ngx_http_rtk_summary_reasons[] = {
    NULL,
    "unauthenticated",
    "forbidden",
    "limited",
    "no_identity",
    "unknown_route",
    "method_not_allowed"
};


static ngx_event_t       ngx_http_rtk_summary_event;
static ngx_connection_t  ngx_http_rtk_summary_conn;
static ngx_array_t      *ngx_http_rtk_summary_audits;


/* the zone is declared with the destination, one per audit chain */

ngx_int_t
ngx_http_rtk_summary_zone(ngx_conf_t *cf, ngx_http_rtk_audit_t *audit)
{
    ngx_str_t  name;

    name.len = sizeof("rtk_audit_summary:") - 1 + audit->path.len;
    name.data = ngx_pnalloc(cf->pool, name.len);
    if (name.data == NULL) {
        return NGX_ERROR;
    }

    (void) ngx_sprintf(name.data, "rtk_audit_summary:%V", &audit->path);

    audit->summary = ngx_shared_memory_add(cf, &name,
                                           NGX_HTTP_RTK_SUMMARY_SIZE,
                                           &ngx_http_rtk_module);
    if (audit->summary == NULL) {
        return NGX_ERROR;
    }

    audit->summary->init = ngx_http_rtk_summary_init_zone;

    return NGX_OK;
}


static ngx_int_t
ngx_http_rtk_summary_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_uint_t                     fresh;
    ngx_http_rtk_summary_shctx_t  *sh;

    sh = ngx_http_rtk_zone_data(shm_zone, data,
                                sizeof(ngx_http_rtk_summary_shctx_t), &fresh);
    if (sh == NULL) {
        return NGX_ERROR;
    }

    if (fresh) {
        ngx_rbtree_init(&sh->rbtree, &sh->sentinel,
                        ngx_http_rtk_summary_rbtree_insert);
        ngx_queue_init(&sh->windows);
    }

    return NGX_OK;
}


/*
 * NGX_OK: the request was counted in its window.  NGX_DECLINED: it is
 * not of a flood's kind, or there is no room to count it; it gets a
 * record of its own.
 */

ngx_int_t
ngx_http_rtk_summary_add(ngx_http_request_t *r, ngx_http_rtk_ctx_t *ctx)
{
    size_t                          n;
    time_t                          now;
    uint32_t                        hash;
    ngx_str_t                      *addr;
    ngx_uint_t                      reason, status, closed;
    ngx_slab_pool_t                *shpool;
    ngx_rbtree_node_t              *rn;
    ngx_http_rtk_audit_t           *audit;
    ngx_http_variable_value_t      *vv;
    ngx_http_rtk_summary_node_t    *node;
    ngx_http_rtk_summary_shctx_t   *sh;
    ngx_http_rtk_summary_window_t   w;

    audit = ctx->conf->audit;

    if (audit->summary == NULL) {
        return NGX_DECLINED;
    }

    status = ngx_http_rtk_status(r);

    reason = ngx_http_rtk_summary_reason(r, ctx, status);

    if (reason == NGX_HTTP_RTK_SUMMARY_NONE) {
        return NGX_DECLINED;
    }

    addr = &r->connection->addr_text;

    vv = ngx_http_get_indexed_variable(r, ngx_http_rtk_request_id_index);

    if (vv == NULL || vv->not_found
        || vv->len > NGX_HTTP_RTK_SUMMARY_ID_MAX)
    {
        return NGX_DECLINED;
    }

    hash = ngx_crc32_short(addr->data, ngx_min(addr->len,
                                               NGX_SOCKADDR_STRLEN));
    hash ^= (uint32_t) (reason << 24 | status);

    now = ngx_time();
    closed = 0;

    shpool = (ngx_slab_pool_t *) audit->summary->shm.addr;
    sh = audit->summary->data;

    ngx_shmtx_lock(&shpool->mutex);

    node = ngx_http_rtk_summary_lookup(sh, hash, reason, status, addr);

    /*
     * The key's window is closed: write it, open a new one.  A worker
     * whose cached clock is behind another's counts in the newer one;
     * a window more than a second ahead means the clock went back.
     */

    if (node && (node->second < now || node->second - 1 > now)) {
        ngx_http_rtk_summary_take(sh, shpool, node, &w, 0);
        closed = 1;

        node->count = 0;
        node->second = now;
        ngx_queue_remove(&node->queue);
        ngx_queue_insert_tail(&sh->windows, &node->queue);
    }

    if (node == NULL) {
        n = offsetof(ngx_rbtree_node_t, color)
            + sizeof(ngx_http_rtk_summary_node_t);

        rn = ngx_slab_alloc_locked(shpool, n);
        if (rn == NULL) {
            ngx_shmtx_unlock(&shpool->mutex);

            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "rtk: the audit summary zone is full, "
                          "refusals are recorded one by one");
            return NGX_DECLINED;
        }

        rn->key = hash;
        node = ngx_http_rtk_summary_node(rn);

        node->reason = (u_char) reason;
        node->status = status;
        node->addr_len = (u_char) ngx_min(addr->len, NGX_SOCKADDR_STRLEN);
        ngx_memcpy(node->addr, addr->data, node->addr_len);
        node->count = 0;
        node->second = now;

        ngx_rbtree_insert(&sh->rbtree, rn);
        ngx_queue_insert_tail(&sh->windows, &node->queue);
    }

    if (node->count++ == 0) {
        node->first_len = (u_char) vv->len;
        ngx_memcpy(node->first, vv->data, vv->len);
    }

    node->last_len = (u_char) vv->len;
    ngx_memcpy(node->last, vv->data, vv->len);

    ngx_shmtx_unlock(&shpool->mutex);

    if (closed) {
        ngx_http_rtk_summary_write(r->connection->log, audit, &w);
    }

    return NGX_OK;
}


/*
 * Refused before the gateway knew who was calling.  A caller the
 * identity variable names (an authenticated user, a verified client
 * certificate) is not summarized: their refusals are theirs.
 */

static ngx_uint_t
ngx_http_rtk_summary_reason(ngx_http_request_t *r, ngx_http_rtk_ctx_t *ctx,
    ngx_uint_t status)
{
    ngx_str_t   caller;
    rtk_txn_t  *txn;

    txn = &ctx->txn;

    if (ctx->forward || ctx->redirected) {
        return NGX_HTTP_RTK_SUMMARY_NONE;
    }

    if (!ctx->started) {

        /*
         * The access and preaccess phases: auth_basic, deny, limits.  A
         * name auth_basic has not checked yet is no one's; a header set
         * by a trusted layer or a verified certificate is someone's.
         */

        if (status == NGX_HTTP_UNAUTHORIZED) {
            return NGX_HTTP_RTK_SUMMARY_UNAUTHENTICATED;
        }

        if (!ctx->conf->access_identity
            && ngx_http_rtk_caller_value(r, ctx, &caller) == NGX_OK
            && ngx_http_rtk_summary_named(&caller))
        {
            return NGX_HTTP_RTK_SUMMARY_NONE;
        }

        switch (status) {

        case NGX_HTTP_FORBIDDEN:
            return NGX_HTTP_RTK_SUMMARY_FORBIDDEN;

        case NGX_HTTP_TOO_MANY_REQUESTS:
        case NGX_HTTP_SERVICE_UNAVAILABLE:
            return NGX_HTTP_RTK_SUMMARY_LIMITED;

        default:
            return NGX_HTTP_RTK_SUMMARY_NONE;
        }
    }

    if (!txn->settled) {
        return NGX_HTTP_RTK_SUMMARY_NONE;
    }

    if (txn->outcome.code == RTK_E_IDENTITY_MISSING) {
        return NGX_HTTP_RTK_SUMMARY_NO_IDENTITY;
    }

    if (txn->routed && txn->op_known) {
        return NGX_HTTP_RTK_SUMMARY_NONE;
    }

    /* the identity was read, after the access phase, before the route */

    if (ngx_http_rtk_summary_named(&ctx->caller)) {
        return NGX_HTTP_RTK_SUMMARY_NONE;
    }

    return txn->routed ? NGX_HTTP_RTK_SUMMARY_METHOD
                       : NGX_HTTP_RTK_SUMMARY_ROUTE;
}


static ngx_uint_t
ngx_http_rtk_summary_named(ngx_str_t *caller)
{
    if (caller->len == 0 || caller->len > RTK_TXN_IDENTITY_MAX) {
        return 0;
    }

    return !(caller->len == sizeof(RTK_TXN_ANONYMOUS) - 1
             && ngx_strncmp(caller->data, RTK_TXN_ANONYMOUS, caller->len)
                == 0);
}


static ngx_http_rtk_summary_node_t *
ngx_http_rtk_summary_lookup(ngx_http_rtk_summary_shctx_t *sh, uint32_t hash,
    ngx_uint_t reason, ngx_uint_t status, ngx_str_t *addr)
{
    size_t                        len;
    ngx_int_t                     rc;
    ngx_rbtree_node_t            *node, *sentinel;
    ngx_http_rtk_summary_node_t  *sn;

    len = ngx_min(addr->len, NGX_SOCKADDR_STRLEN);

    node = sh->rbtree.root;
    sentinel = sh->rbtree.sentinel;

    while (node != sentinel) {

        if (hash != node->key) {
            node = (hash < node->key) ? node->left : node->right;
            continue;
        }

        sn = ngx_http_rtk_summary_node(node);

        rc = ngx_http_rtk_summary_cmp(reason, status, addr->data, len, sn);

        if (rc == 0) {
            return sn;
        }

        node = (rc < 0) ? node->left : node->right;
    }

    return NULL;
}


/* equal hashes are ordered by the whole key, so any can be found */

static ngx_int_t
ngx_http_rtk_summary_cmp(ngx_uint_t reason, ngx_uint_t status, u_char *addr,
    size_t len, ngx_http_rtk_summary_node_t *sn)
{
    if (reason != sn->reason) {
        return (reason < sn->reason) ? -1 : 1;
    }

    if (status != sn->status) {
        return (status < sn->status) ? -1 : 1;
    }

    if (len != sn->addr_len) {
        return (len < sn->addr_len) ? -1 : 1;
    }

    return ngx_memcmp(addr, sn->addr, len);
}


static void
ngx_http_rtk_summary_rbtree_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel)
{
    ngx_rbtree_node_t            **p;
    ngx_http_rtk_summary_node_t   *sn;

    sn = ngx_http_rtk_summary_node(node);

    for ( ;; ) {

        if (node->key != temp->key) {
            p = (node->key < temp->key) ? &temp->left : &temp->right;

        } else {
            p = (ngx_http_rtk_summary_cmp(sn->reason, sn->status, sn->addr,
                                          sn->addr_len,
                                          ngx_http_rtk_summary_node(temp))
                 < 0)
                ? &temp->left : &temp->right;
        }

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    ngx_rbt_red(node);
}


/* under the lock: the window's figures, and the node freed if asked */

static void
ngx_http_rtk_summary_take(ngx_http_rtk_summary_shctx_t *sh,
    ngx_slab_pool_t *shpool, ngx_http_rtk_summary_node_t *node,
    ngx_http_rtk_summary_window_t *w, ngx_uint_t free)
{
    ngx_rbtree_node_t  *rn;

    w->reason = node->reason;
    w->status = node->status;
    w->count = node->count;
    w->second = node->second;
    w->addr_len = node->addr_len;
    w->first_len = node->first_len;
    w->last_len = node->last_len;
    ngx_memcpy(w->addr, node->addr, node->addr_len);
    ngx_memcpy(w->first, node->first, node->first_len);
    ngx_memcpy(w->last, node->last, node->last_len);

    if (!free) {
        return;
    }

    rn = ngx_http_rtk_summary_rbnode(node);

    ngx_queue_remove(&node->queue);
    ngx_rbtree_delete(&sh->rbtree, rn);
    ngx_slab_free_locked(shpool, rn);
}


/* takes up to n windows opened before "before" out of the zone */

static ngx_uint_t
ngx_http_rtk_summary_expire(ngx_http_rtk_audit_t *audit, time_t before,
    ngx_http_rtk_summary_window_t *w, ngx_uint_t n)
{
    ngx_uint_t                     i;
    ngx_queue_t                   *q;
    ngx_slab_pool_t               *shpool;
    ngx_http_rtk_summary_node_t   *node;
    ngx_http_rtk_summary_shctx_t  *sh;

    shpool = (ngx_slab_pool_t *) audit->summary->shm.addr;
    sh = audit->summary->data;

    i = 0;

    ngx_shmtx_lock(&shpool->mutex);

    while (i < n && !ngx_queue_empty(&sh->windows)) {

        q = ngx_queue_head(&sh->windows);
        node = ngx_queue_data(q, ngx_http_rtk_summary_node_t, queue);

        /* the current second, or the next for a worker ahead: open */

        if (node->second >= before && node->second - 1 <= before) {
            break;
        }

        ngx_http_rtk_summary_take(sh, shpool, node, &w[i++], 1);
    }

    ngx_shmtx_unlock(&shpool->mutex);

    return i;
}


static void
ngx_http_rtk_summary_flush(ngx_log_t *log, ngx_http_rtk_audit_t *audit,
    time_t before)
{
    ngx_uint_t                     i, n;
    ngx_http_rtk_summary_window_t  w[NGX_HTTP_RTK_SUMMARY_BATCH];

    do {
        n = ngx_http_rtk_summary_expire(audit, before, w,
                                        NGX_HTTP_RTK_SUMMARY_BATCH);

        for (i = 0; i < n; i++) {
            ngx_http_rtk_summary_write(log, audit, &w[i]);
        }

    } while (n == NGX_HTTP_RTK_SUMMARY_BATCH);
}


static void
ngx_http_rtk_summary_write(ngx_log_t *log, ngx_http_rtk_audit_t *audit,
    ngx_http_rtk_summary_window_t *w)
{
    u_char      *p;
    ngx_tm_t     tm;
    const char  *reason;
    u_char       line[NGX_HTTP_RTK_SUMMARY_LINE + NGX_HTTP_RTK_AUDIT_TAIL];

    if (w->count == 0) {
        return;
    }

    reason = ngx_http_rtk_summary_reasons[w->reason];

    ngx_gmtime(w->second, &tm);

    /* the address is nginx's text of a socket address: no escaping */

    p = ngx_sprintf(line, "{\"type\":\"summary\","
                    "\"time\":\"%4d-%02d-%02dT%02d:%02d:%02dZ\","
                    "\"reason\":\"%s\",\"status\":%ui,\"client\":\"",
                    tm.ngx_tm_year, tm.ngx_tm_mon, tm.ngx_tm_mday,
                    tm.ngx_tm_hour, tm.ngx_tm_min, tm.ngx_tm_sec,
                    reason, w->status);

    p = rtk_json_escape(p, w->addr, w->addr_len);

    p = ngx_sprintf(p, "\",\"count\":%ui,\"first_request_id\":\"",
                    w->count);
    p = rtk_json_escape(p, w->first, w->first_len);
    p = ngx_cpymem(p, "\",\"last_request_id\":\"",
                   sizeof("\",\"last_request_id\":\"") - 1);
    p = rtk_json_escape(p, w->last, w->last_len);
    *p++ = '"';

    (void) ngx_http_rtk_audit_commit(log, audit, line, p);
}


/* each worker looks once a second for closed windows nobody wrote */

ngx_int_t
ngx_http_rtk_summary_init_process(ngx_cycle_t *cycle,
    ngx_http_rtk_main_conf_t *rmcf)
{
    ngx_uint_t              i;
    ngx_http_rtk_audit_t  **audits;

    /* not in the cache manager or loader: they take no requests */

    if (ngx_process != NGX_PROCESS_WORKER
        && ngx_process != NGX_PROCESS_SINGLE)
    {
        return NGX_OK;
    }

    audits = rmcf->audits.elts;

    for (i = 0; i < rmcf->audits.nelts; i++) {
        if (audits[i]->summary) {
            break;
        }
    }

    if (i == rmcf->audits.nelts) {
        return NGX_OK;
    }

    ngx_http_rtk_summary_audits = &rmcf->audits;

    ngx_http_rtk_summary_conn.fd = (ngx_socket_t) -1;

    ngx_http_rtk_summary_event.handler = ngx_http_rtk_summary_timer;
    ngx_http_rtk_summary_event.data = &ngx_http_rtk_summary_conn;
    ngx_http_rtk_summary_event.log = cycle->log;
    ngx_http_rtk_summary_event.cancelable = 1;

    ngx_add_timer(&ngx_http_rtk_summary_event, 1000);

    return NGX_OK;
}


static void
ngx_http_rtk_summary_timer(ngx_event_t *ev)
{
    ngx_uint_t              i;
    ngx_http_rtk_audit_t  **audits;

    audits = ngx_http_rtk_summary_audits->elts;

    for (i = 0; i < ngx_http_rtk_summary_audits->nelts; i++) {
        if (audits[i]->summary) {
            ngx_http_rtk_summary_flush(ev->log, audits[i], ngx_time());
        }
    }

    if (!ngx_exiting) {
        ngx_add_timer(ev, 1000);
    }
}


/* a worker that exits writes every window, open or not: counts add up */

void
ngx_http_rtk_summary_exit_process(ngx_cycle_t *cycle)
{
    ngx_uint_t              i;
    ngx_http_rtk_audit_t  **audits;

    if (ngx_http_rtk_summary_audits == NULL) {
        return;
    }

    audits = ngx_http_rtk_summary_audits->elts;

    for (i = 0; i < ngx_http_rtk_summary_audits->nelts; i++) {
        if (audits[i]->summary) {
            ngx_http_rtk_summary_flush(cycle->log, audits[i],
                                       NGX_MAX_TIME_T_VALUE);
        }
    }

    ngx_http_rtk_summary_audits = NULL;
}
