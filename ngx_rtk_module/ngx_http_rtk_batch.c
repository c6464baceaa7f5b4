
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * Group commit.  The records a worker makes in one turn of its event
 * loop wait in its batch; a posted event, run after every other event
 * of the turn, has ngx_http_rtk_audit_chain() seal them under the
 * zone's lock and write them with one writev(2).  A request that
 * forwards waits for its decision record: ngx_http_rtk_decided() resumes
 * it once the write has succeeded (with "fsync", once a sync that covers
 * the write has, see ngx_http_rtk_sync.c), so no byte goes upstream
 * before its record is in the file.
 */


#include "ngx_http_rtk.h"


#define NGX_HTTP_RTK_BATCH_SIZE     16384
#define NGX_HTTP_RTK_BATCH_KEEP     (1024 * 1024)


static ngx_http_rtk_batch_t *ngx_http_rtk_batch_get(ngx_log_t *log,
    ngx_http_rtk_audit_t *audit);
static ngx_int_t ngx_http_rtk_batch_grow(ngx_log_t *log, u_char **start,
    size_t *size, size_t used, size_t need);
static void ngx_http_rtk_batch_cleanup(void *data);
static void ngx_http_rtk_batch_handler(ngx_event_t *ev);
static void ngx_http_rtk_batch_flush(ngx_http_rtk_audit_t *audit,
    ngx_log_t *log, ngx_uint_t final);


/*
 * Room for a record of at most size bytes at the end of this turn's
 * batch, so that a request's record is made in place: no copy, and no
 * allocation from the request's pool, which a record of several
 * kilobytes would make a malloc().
 */

u_char *
ngx_http_rtk_audit_space(ngx_log_t *log, ngx_http_rtk_audit_t *audit,
    size_t size)
{
    size_t                 used, n;
    ngx_http_rtk_batch_t  *b;

    b = ngx_http_rtk_batch_get(log, audit);
    if (b == NULL) {
        return NULL;
    }

    if ((size_t) (b->end - b->last) < sizeof(size_t) + size) {
        used = b->last - b->start;
        n = b->end - b->start;

        if (ngx_http_rtk_batch_grow(log, &b->start, &n, used,
                                    sizeof(size_t) + size)
            != NGX_OK)
        {
            return NULL;
        }

        b->last = b->start + used;
        b->end = b->start + n;
    }

    return b->last + sizeof(size_t);
}


/* a record joins this turn's batch; NGX_ERROR: it cannot be kept */

ngx_int_t
ngx_http_rtk_audit_commit(ngx_log_t *log, ngx_http_rtk_audit_t *audit,
    u_char *line, u_char *last)
{
    u_char                *p;
    size_t                 len;
    ngx_http_rtk_batch_t  *b;

    len = last - line;

    b = audit->batch;

    /* else made in place, in ngx_http_rtk_audit_space() */

    if (b == NULL || line != b->last + sizeof(size_t)) {
        p = ngx_http_rtk_audit_space(log, audit, len);
        if (p == NULL) {
            goto failed;
        }

        ngx_memcpy(p, line, len);
        b = audit->batch;
    }

    ngx_memcpy(b->last, &len, sizeof(size_t));
    b->last += sizeof(size_t) + len;
    b->records++;

    if (!b->event.posted) {
        ngx_post_event(&b->event, &ngx_posted_events);
    }

    return NGX_OK;

failed:

    ngx_log_error(NGX_LOG_CRIT, log, 0,
                  "rtk: no memory to keep an audit record of \"%V\"",
                  &audit->path);

    ngx_http_rtk_metrics_audit(NGX_ERROR, 1, 0);
    ngx_http_rtk_audit_refused(audit, 1);

    return NGX_ERROR;
}


/*
 * A cleanup that takes a forwarding request out of the waiters if nginx
 * ends it while it waits (a shutdown timeout, a connection closed): set
 * before its decision record is made, so a record is never kept for a
 * request that could not wait.
 */

ngx_int_t
ngx_http_rtk_audit_reserve(ngx_http_request_t *r, ngx_http_rtk_ctx_t *ctx,
    ngx_http_rtk_audit_t *audit)
{
    ngx_http_cleanup_t  *cln;

    if (ngx_http_rtk_batch_get(r->connection->log, audit) == NULL) {
        return NGX_ERROR;
    }

    cln = ngx_http_cleanup_add(r, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_http_rtk_batch_cleanup;
    cln->data = ctx;

    return NGX_OK;
}


/* the request resumes in ngx_http_rtk_decided() after the batch's write */

void
ngx_http_rtk_audit_wait(ngx_http_request_t *r, ngx_http_rtk_ctx_t *ctx,
    ngx_http_rtk_audit_t *audit)
{
    ctx->waiter = r;
    ngx_queue_insert_tail(&audit->batch->waiters, &ctx->waiting);

    r->main->count++;
}


/*
 * A waiting request that nginx ends (a worker_shutdown_timeout, a worker
 * that exits) is taken out; its decision to forward is, or will be, in
 * the file, so its outcome record must say that it never went upstream.
 */

void
ngx_http_rtk_waiter_ended(ngx_http_rtk_ctx_t *ctx)
{
    ngx_queue_remove(&ctx->waiting);
    ctx->waiting.next = NULL;
    ctx->outcome_due = 1;

    (void) rtk_txn_fail(&ctx->txn, NGX_HTTP_CLIENT_CLOSED_REQUEST,
                        RTK_E_ENDED_WAITING,
                        "nginx ended the request before it went upstream");
}


/*
 * Every request of the list goes on (rc NGX_OK) or is refused.  Each is
 * taken out before it is resumed: resuming one may end another of them
 * (requests of one HTTP/2 connection), whose cleanup takes it out too.
 */

void
ngx_http_rtk_waiters_resume(ngx_queue_t *waiters, ngx_int_t rc)
{
    ngx_queue_t          *q, list;
    ngx_connection_t     *c;
    ngx_http_request_t   *r;
    ngx_http_rtk_ctx_t   *ctx;

    if (ngx_queue_empty(waiters)) {
        return;
    }

    /* a request resumed here may wait again, in another list */

    ngx_queue_init(&list);
    ngx_queue_add(&list, waiters);
    ngx_queue_init(waiters);

    while (!ngx_queue_empty(&list)) {
        q = ngx_queue_head(&list);
        ngx_queue_remove(q);

        ctx = ngx_queue_data(q, ngx_http_rtk_ctx_t, waiting);
        ctx->waiting.next = NULL;

        r = ctx->waiter;
        c = r->connection;

        ngx_http_rtk_decided(r, rc);
        ngx_http_run_posted_requests(c);
    }
}


static void
ngx_http_rtk_batch_cleanup(void *data)
{
    ngx_http_rtk_ctx_t *ctx = data;

    /* ended by nginx while it waited */

    if (ctx->waiting.next) {
        ngx_http_rtk_waiter_ended(ctx);

        if (ctx->conf->audit && ctx->conf->audit->batch) {
            ngx_http_rtk_audit_sync_check(ctx->conf->audit->batch);
        }
    }
}


static ngx_http_rtk_batch_t *
ngx_http_rtk_batch_get(ngx_log_t *log, ngx_http_rtk_audit_t *audit)
{
    ngx_http_rtk_batch_t  *b;

    if (audit->batch) {
        return audit->batch;
    }

    b = ngx_calloc(sizeof(ngx_http_rtk_batch_t), log);
    if (b == NULL) {
        return NULL;
    }

    b->event.handler = ngx_http_rtk_batch_handler;
    b->event.data = audit;
    b->event.log = ngx_cycle->log;

    ngx_queue_init(&b->waiters);
    ngx_http_rtk_audit_sync_init(audit, b);

    audit->batch = b;

    return b;
}


/* at least used + need bytes, twice as many as before, the rest copied */

static ngx_int_t
ngx_http_rtk_batch_grow(ngx_log_t *log, u_char **start, size_t *size,
    size_t used, size_t need)
{
    u_char  *p;
    size_t   n;

    n = ngx_max(2 * *size, used + need + NGX_HTTP_RTK_BATCH_SIZE);

    p = ngx_alloc(n, log);
    if (p == NULL) {
        return NGX_ERROR;
    }

    if (*start) {
        ngx_memcpy(p, *start, used);
        ngx_free(*start);
    }

    *start = p;
    *size = n;

    return NGX_OK;
}


static void
ngx_http_rtk_batch_handler(ngx_event_t *ev)
{
    ngx_http_rtk_batch_flush(ev->data, ev->log, 0);
}


static void
ngx_http_rtk_batch_flush(ngx_http_rtk_audit_t *audit, ngx_log_t *log,
    ngx_uint_t final)
{
    size_t                 need;
    ssize_t                n;
    ngx_int_t              rc;
    ngx_uint_t             records;
    ngx_queue_t            waiters;
    ngx_http_rtk_batch_t  *b;

    b = audit->batch;

    if (b == NULL || b->records == 0) {
        return;
    }

    if (b->event.posted) {
        ngx_delete_posted_event(&b->event);
    }

    records = b->records;

    /*
     * The requests whose records this write holds, apart: a request
     * resumed below may wait again, for a record of the next batch.
     */

    ngx_queue_init(&waiters);

    if (!ngx_queue_empty(&b->waiters)) {
        ngx_queue_add(&waiters, &b->waiters);
        ngx_queue_init(&b->waiters);
    }

    /* the records sealed: each gains at most the chain's fields */

    need = (b->last - b->start) + records * NGX_HTTP_RTK_AUDIT_TAIL;

    if (b->out_size >= need
        || ngx_http_rtk_batch_grow(log, &b->out, &b->out_size, 0, need)
           == NGX_OK)
    {
        n = ngx_http_rtk_audit_chain(log, audit, b);

    } else {
        n = NGX_ERROR;
        ngx_http_rtk_audit_refused(audit, records);
    }

    rc = (n == NGX_ERROR) ? NGX_ERROR : NGX_OK;

    ngx_http_rtk_metrics_audit(rc, records, rc == NGX_OK ? (size_t) n : 0);

    b->last = b->start;
    b->records = 0;

    /* a turn far larger than usual does not keep its memory */

    if ((size_t) (b->end - b->start) > NGX_HTTP_RTK_BATCH_KEEP) {
        ngx_free(b->start);
        b->start = NULL;
        b->last = NULL;
        b->end = NULL;
    }

    if (b->out_size > NGX_HTTP_RTK_BATCH_KEEP) {
        ngx_free(b->out);
        b->out = NULL;
        b->out_size = 0;
    }

    /*
     * "fsync": the waiters go on once a thread has synced the write (see
     * ngx_http_rtk_sync.c); a worker that exits has no thread left.
     */

    if (rc == NGX_OK && audit->thread_pool) {
        if (!final) {
            rc = ngx_http_rtk_audit_sync(log, audit, b, &waiters);

            if (rc == NGX_AGAIN) {
                return;
            }

        } else {
            rc = ngx_http_rtk_audit_sync_now(log, audit, audit->file->fd,
                                             &audit->written);
        }

        if (rc != NGX_OK) {
            ngx_http_rtk_sync_refused(&waiters);
        }
    }

    /* fail=open: the requests go on without their records */

    if (rc != NGX_OK && audit->fail_open) {
        rc = NGX_OK;
    }

    ngx_http_rtk_waiters_resume(&waiters, rc);
}


/* a worker that exits writes what it holds, and frees its batches */

void
ngx_http_rtk_audit_exit_process(ngx_cycle_t *cycle)
{
    ngx_uint_t                  i;
    ngx_http_rtk_batch_t       *b;
    ngx_http_rtk_audit_t      **audits;
    ngx_http_rtk_main_conf_t   *rmcf;

    rmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_rtk_module);

    if (rmcf == NULL) {
        return;
    }

    audits = rmcf->audits.elts;

    for (i = 0; i < rmcf->audits.nelts; i++) {
        b = audits[i]->batch;

        if (b == NULL) {
            continue;
        }

        ngx_http_rtk_audit_sync_exit(cycle->log, audits[i], b);

        ngx_http_rtk_batch_flush(audits[i], cycle->log, 1);

        if (b->start) {
            ngx_free(b->start);
            b->start = NULL;
            b->last = NULL;
            b->end = NULL;
        }

        if (b->out) {
            ngx_free(b->out);
            b->out = NULL;
            b->out_size = 0;
        }

        /* a sync under way may still use the batch: it is left be */

        if (ngx_http_rtk_audit_sync_free(cycle->log, audits[i], b)
            != NGX_OK)
        {
            continue;
        }

        ngx_free(b);
        audits[i]->batch = NULL;
    }
}
