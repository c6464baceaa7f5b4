
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * "fsync" without stopping the worker.  A batch is written as usual
 * (ngx_http_rtk_batch.c), then a thread of nginx's default thread pool
 * syncs the file while the worker goes on with other requests; the
 * requests whose decision records the write holds go upstream only once
 * a sync that began after it has succeeded.  Records written while the
 * syncs under way cannot cover them start another at once, up to
 * NGX_HTTP_RTK_SYNC_SLOTS under way, then when one ends: each sync
 * covers everything written before it began, so records written
 * meanwhile share it.
 *
 * A sync works on a dup() of the file's descriptor, taken at the first
 * write after the last sync began: a reopen may close the file's own at
 * any time, and the records written before it are in the old file, which
 * is synced in the worker at the first write after the reopen.
 */


#include "ngx_http_rtk.h"


/* records no request waits for are synced at most this late (ms) */
#define NGX_HTTP_RTK_SYNC_DELAY  10

/* a sync that requests wait for is said to be slow after this (ms) */
#define NGX_HTTP_RTK_SYNC_SLOW   5000


#if (NGX_THREADS)
static void ngx_http_rtk_sync_next(ngx_log_t *log,
    ngx_http_rtk_audit_t *audit, ngx_http_rtk_sync_t *s);
static void ngx_http_rtk_sync_timer(ngx_event_t *ev);
static void ngx_http_rtk_sync_guard(ngx_http_rtk_sync_t *s);
static void ngx_http_rtk_sync_slow(ngx_event_t *ev);
static ngx_http_rtk_sync_slot_t *ngx_http_rtk_sync_slot(
    ngx_http_rtk_sync_t *s);
static void ngx_http_rtk_sync_start(ngx_log_t *log,
    ngx_http_rtk_audit_t *audit, ngx_http_rtk_sync_t *s,
    ngx_http_rtk_sync_slot_t *slot);
static void ngx_http_rtk_sync_thread(void *data, ngx_log_t *log);
static void ngx_http_rtk_sync_done(ngx_event_t *ev);
static void ngx_http_rtk_sync_end(ngx_log_t *log,
    ngx_http_rtk_sync_slot_t *slot);
#endif


void
ngx_http_rtk_audit_sync_init(ngx_http_rtk_audit_t *audit,
    ngx_http_rtk_batch_t *b)
{
    ngx_uint_t                 i;
    ngx_http_rtk_sync_t       *s;
    ngx_http_rtk_sync_slot_t  *slot;

    s = &b->sync;

    ngx_queue_init(&s->next);
    s->fd = NGX_INVALID_FILE;

    for (i = 0; i < NGX_HTTP_RTK_SYNC_SLOTS; i++) {
        slot = &s->slot[i];

        ngx_queue_init(&slot->waiters);
        slot->fd = NGX_INVALID_FILE;
        slot->audit = audit;

#if (NGX_THREADS)
        slot->task.ctx = slot;
        slot->task.handler = ngx_http_rtk_sync_thread;
        slot->task.event.handler = ngx_http_rtk_sync_done;
        slot->task.event.data = slot;
        slot->task.event.log = ngx_cycle->log;
#endif
    }

#if (NGX_THREADS)
    s->timer.handler = ngx_http_rtk_sync_timer;
    s->timer.data = audit;
    s->timer.log = ngx_cycle->log;
    s->timer.cancelable = 1;

    s->guard.handler = ngx_http_rtk_sync_slow;
    s->guard.data = audit;
    s->guard.log = ngx_cycle->log;
#endif
}


/*
 * After a batch was written: its waiters wait for a sync that covers it.
 * NGX_AGAIN: they are resumed when it ends; otherwise they go on at once
 * with the result of a sync made here, as nothing else could be done.
 */

ngx_int_t
ngx_http_rtk_audit_sync(ngx_log_t *log, ngx_http_rtk_audit_t *audit,
    ngx_http_rtk_batch_t *b)
{
#if (NGX_THREADS)
    ngx_int_t             rc;
    ngx_http_rtk_sync_t  *s;

    s = &b->sync;

    if (s->fd != NGX_INVALID_FILE
        && (s->reopens != audit->reopens || s->src != audit->file->fd))
    {

        /* reopened since: the records before it are in the old file */

        rc = ngx_http_rtk_audit_sync_now(log, audit, s->fd);

        (void) ngx_close_file(s->fd);
        s->fd = NGX_INVALID_FILE;

        if (rc != NGX_OK && !audit->fail_open) {
            ngx_http_rtk_sync_refused(&s->next);
            ngx_http_rtk_waiters_resume(&s->next, NGX_ERROR);

        } else {
            ngx_http_rtk_waiters_resume(&s->next, NGX_OK);
        }
    }

    if (s->fd == NGX_INVALID_FILE) {
        s->fd = dup(audit->file->fd);

        if (s->fd == NGX_INVALID_FILE) {
            ngx_log_error(NGX_LOG_ALERT, log, ngx_errno,
                          "rtk: dup() of audit log \"%V\" failed, "
                          "syncing it in the worker", &audit->path);

            rc = ngx_http_rtk_audit_sync_now(log, audit, audit->file->fd);

            if (rc != NGX_OK) {
                ngx_http_rtk_sync_refused(&b->waiters);
            }

            return rc;
        }

        s->src = audit->file->fd;
        s->reopens = audit->reopens;
    }

    if (!ngx_queue_empty(&b->waiters)) {
        ngx_queue_add(&s->next, &b->waiters);
        ngx_queue_init(&b->waiters);
    }

    ngx_http_rtk_sync_next(log, audit, s);
    ngx_http_rtk_sync_guard(s);

    return NGX_AGAIN;

#else

    return ngx_http_rtk_audit_sync_now(log, audit, audit->file->fd);

#endif
}


/* in the worker: a reopen's old file, an exit, no thread to do it */

ngx_int_t
ngx_http_rtk_audit_sync_now(ngx_log_t *log, ngx_http_rtk_audit_t *audit,
    ngx_fd_t fd)
{
    if (fsync(fd) == 0) {
        return NGX_OK;
    }

    ngx_log_error(NGX_LOG_CRIT, log, ngx_errno,
                  "rtk: fsync() of audit log \"%V\" failed", &audit->path);

    return NGX_ERROR;
}


/*
 * Called by nginx before it reopens the file (ngx_open_file_t's flush):
 * the records written until now are in the file it will close.
 */

void
ngx_http_rtk_audit_reopen(ngx_open_file_t *file, ngx_log_t *log)
{
    ngx_uint_t                  i;
    ngx_http_rtk_audit_t      **audits;
    ngx_http_rtk_main_conf_t   *rmcf;

    rmcf = ngx_http_cycle_get_module_main_conf(ngx_cycle,
                                               ngx_http_rtk_module);
    if (rmcf == NULL) {
        return;
    }

    audits = rmcf->audits.elts;

    for (i = 0; i < rmcf->audits.nelts; i++) {
        if (audits[i]->file == file) {
            audits[i]->reopens++;
        }
    }
}


/*
 * Requests refused because the sync of their records failed: their
 * decisions to forward are in the file, so outcome records must follow.
 */

void
ngx_http_rtk_sync_refused(ngx_queue_t *waiters)
{
    ngx_queue_t         *q;
    ngx_http_rtk_ctx_t  *ctx;

    for (q = ngx_queue_head(waiters);
         q != ngx_queue_sentinel(waiters);
         q = ngx_queue_next(q))
    {
        ctx = ngx_queue_data(q, ngx_http_rtk_ctx_t, waiting);
        ctx->outcome_due = 1;
    }
}


/* an exiting worker syncs what it wrote last */

void
ngx_http_rtk_audit_sync_free(ngx_log_t *log, ngx_http_rtk_audit_t *audit,
    ngx_http_rtk_batch_t *b)
{
    ngx_http_rtk_sync_t  *s;

    s = &b->sync;

    if (s->timer.timer_set) {
        ngx_del_timer(&s->timer);
    }

    if (s->guard.timer_set) {
        ngx_del_timer(&s->guard);
    }

    if (s->fd != NGX_INVALID_FILE) {
        (void) ngx_http_rtk_audit_sync_now(log, audit, s->fd);
        (void) ngx_close_file(s->fd);
        s->fd = NGX_INVALID_FILE;
    }

    /*
     * A slot still busy keeps its descriptor: nginx ended its thread
     * pools before this module's exit, so the sync is done, but the
     * event that would close it is never handled.
     */
}


#if (NGX_THREADS)

/*
 * A sync starts at once for records a request waits for, if a slot is
 * free.  Records no request waits for (outcomes, refusals, summaries) go
 * with the next such sync, or NGX_HTTP_RTK_SYNC_DELAY ms later: syncing
 * them at once would keep the slots busy when the decisions that follow
 * them need one.
 */

static void
ngx_http_rtk_sync_next(ngx_log_t *log, ngx_http_rtk_audit_t *audit,
    ngx_http_rtk_sync_t *s)
{
    ngx_http_rtk_sync_slot_t  *slot;

    if (s->fd == NGX_INVALID_FILE) {
        return;
    }

    if (ngx_queue_empty(&s->next)) {
        if (!s->timer.timer_set) {
            ngx_add_timer(&s->timer, NGX_HTTP_RTK_SYNC_DELAY);
        }

        return;
    }

    /* none free: the first to end starts the next */

    slot = ngx_http_rtk_sync_slot(s);

    if (slot) {
        ngx_http_rtk_sync_start(log, audit, s, slot);
    }
}


static void
ngx_http_rtk_sync_timer(ngx_event_t *ev)
{
    ngx_http_rtk_sync_t       *s;
    ngx_http_rtk_audit_t      *audit;
    ngx_http_rtk_sync_slot_t  *slot;

    audit = ev->data;
    s = &audit->batch->sync;

    if (s->fd == NGX_INVALID_FILE) {
        return;
    }

    slot = ngx_http_rtk_sync_slot(s);

    if (slot) {
        ngx_http_rtk_sync_start(ev->log, audit, s, slot);
    }
}


static ngx_http_rtk_sync_slot_t *
ngx_http_rtk_sync_slot(ngx_http_rtk_sync_t *s)
{
    ngx_uint_t  i;

    for (i = 0; i < NGX_HTTP_RTK_SYNC_SLOTS; i++) {
        if (!s->slot[i].busy) {
            return &s->slot[i];
        }
    }

    return NULL;
}


static void
ngx_http_rtk_sync_start(ngx_log_t *log, ngx_http_rtk_audit_t *audit,
    ngx_http_rtk_sync_t *s, ngx_http_rtk_sync_slot_t *slot)
{
    if (s->timer.timer_set) {
        ngx_del_timer(&s->timer);
    }

    if (!ngx_queue_empty(&s->next)) {
        ngx_queue_add(&slot->waiters, &s->next);
        ngx_queue_init(&s->next);
    }

    slot->fd = s->fd;
    s->fd = NGX_INVALID_FILE;
    slot->busy = 1;

    if (ngx_thread_task_post(audit->thread_pool, &slot->task) == NGX_OK) {
        return;
    }

    slot->err = (fsync(slot->fd) == -1) ? ngx_errno : 0;

    ngx_http_rtk_sync_end(log, slot);
}


static void
ngx_http_rtk_sync_thread(void *data, ngx_log_t *log)
{
    ngx_http_rtk_sync_slot_t *slot = data;

    slot->err = (fsync(slot->fd) == -1) ? ngx_errno : 0;
}


static void
ngx_http_rtk_sync_done(ngx_event_t *ev)
{
    ngx_http_rtk_sync_end(ev->log, ev->data);
}


static void
ngx_http_rtk_sync_end(ngx_log_t *log, ngx_http_rtk_sync_slot_t *slot)
{
    ngx_int_t              rc;
    ngx_queue_t            done;
    ngx_http_rtk_audit_t  *audit;

    audit = slot->audit;

    (void) ngx_close_file(slot->fd);
    slot->fd = NGX_INVALID_FILE;
    slot->busy = 0;

    rc = NGX_OK;

    if (slot->err) {
        ngx_log_error(NGX_LOG_CRIT, log, slot->err,
                      "rtk: fsync() of audit log \"%V\" failed",
                      &audit->path);

        if (!audit->fail_open) {
            rc = NGX_ERROR;
            ngx_http_rtk_sync_refused(&slot->waiters);
        }
    }

    ngx_queue_init(&done);

    if (!ngx_queue_empty(&slot->waiters)) {
        ngx_queue_add(&done, &slot->waiters);
        ngx_queue_init(&slot->waiters);
    }

    /*
     * What waits for the next sync first: the requests resumed below
     * take a while to go upstream, and the disk would be idle meanwhile.
     */

    ngx_http_rtk_sync_next(log, audit, &audit->batch->sync);
    ngx_http_rtk_sync_guard(&audit->batch->sync);

    ngx_http_rtk_waiters_resume(&done, rc);
}


/*
 * A timer that is not cancelable while requests wait for a sync: a
 * worker shutting down exits once no such timer is left, and a waiting
 * request has no timer of its own (its body is read, nothing is sent).
 * It also tells of a disk that takes seconds to sync.
 */

static void
ngx_http_rtk_sync_guard(ngx_http_rtk_sync_t *s)
{
    ngx_uint_t  i, waiting;

    waiting = !ngx_queue_empty(&s->next);

    for (i = 0; i < NGX_HTTP_RTK_SYNC_SLOTS; i++) {
        if (!ngx_queue_empty(&s->slot[i].waiters)) {
            waiting = 1;
        }
    }

    if (waiting && !s->guard.timer_set) {
        ngx_add_timer(&s->guard, NGX_HTTP_RTK_SYNC_SLOW);

    } else if (!waiting && s->guard.timer_set) {
        ngx_del_timer(&s->guard);
    }
}


static void
ngx_http_rtk_sync_slow(ngx_event_t *ev)
{
    ngx_http_rtk_audit_t *audit = ev->data;

    ngx_log_error(NGX_LOG_WARN, ev->log, 0,
                  "rtk: requests have waited %d s for a sync of audit log "
                  "\"%V\"", NGX_HTTP_RTK_SYNC_SLOW / 1000, &audit->path);

    ngx_add_timer(ev, NGX_HTTP_RTK_SYNC_SLOW);
}

#endif
