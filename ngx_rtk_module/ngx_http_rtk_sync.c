
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
 * any time.  Which file a write went to comes from the fstat() made
 * before it (ngx_http_rtk_chain.c); when that is another file than the
 * dup's, the old file is synced in the worker at once.  A failed sync
 * marks its file for good, see ngx_http_rtk_sync_result().
 */


#include "ngx_http_rtk.h"


/* records no request waits for are synced at most this late (ms) */
#define NGX_HTTP_RTK_SYNC_DELAY  10

/* a sync that requests wait for is said to be slow after this (ms) */
#define NGX_HTTP_RTK_SYNC_SLOW   5000


static ngx_uint_t ngx_http_rtk_sync_mark(ngx_http_rtk_audit_t *audit,
    ngx_http_rtk_file_id_t *id, ngx_err_t err);
static ngx_int_t ngx_http_rtk_sync_result(ngx_log_t *log,
    ngx_http_rtk_audit_t *audit, ngx_http_rtk_file_id_t *id, ngx_err_t err);
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
 * After a batch was written: the requests whose records it holds wait
 * for a sync that covers it.  NGX_AGAIN: they are resumed when it ends;
 * otherwise the caller resumes them at once with the result of a sync
 * made here, as nothing else could be done.
 */

ngx_int_t
ngx_http_rtk_audit_sync(ngx_log_t *log, ngx_http_rtk_audit_t *audit,
    ngx_http_rtk_batch_t *b, ngx_queue_t *waiters)
{
#if (NGX_THREADS)
    ngx_int_t             rc;
    ngx_http_rtk_sync_t  *s;

    s = &b->sync;

    if (s->fd != NGX_INVALID_FILE
        && (s->id.dev != audit->written.dev
            || s->id.ino != audit->written.ino))
    {
        /* reopened since: the records before it are in the old file */

        rc = ngx_http_rtk_audit_sync_now(log, audit, s->fd, &s->id);

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

            return ngx_http_rtk_audit_sync_now(log, audit, audit->file->fd,
                                               &audit->written);
        }

        s->id = audit->written;
    }

    if (!ngx_queue_empty(waiters)) {
        ngx_queue_add(&s->next, waiters);
        ngx_queue_init(waiters);
    }

    ngx_http_rtk_sync_next(log, audit, s);
    ngx_http_rtk_sync_guard(s);

    return NGX_AGAIN;

#else

    return ngx_http_rtk_audit_sync_now(log, audit, audit->file->fd,
                                       &audit->written);

#endif
}


/* in the worker: a reopen's old file, an exit, no thread to do it */

ngx_int_t
ngx_http_rtk_audit_sync_now(ngx_log_t *log, ngx_http_rtk_audit_t *audit,
    ngx_fd_t fd, ngx_http_rtk_file_id_t *id)
{
    ngx_err_t  err;

    err = (fsync(fd) == -1) ? ngx_errno : 0;

    return ngx_http_rtk_sync_result(log, audit, id, err);
}


/*
 * Under the chain's lock: marks the file if err, and tells whether it
 * is marked.  A thread marks it as soon as its sync fails, so that a
 * sync of another worker that ends just after is refused as well.
 */

static ngx_uint_t
ngx_http_rtk_sync_mark(ngx_http_rtk_audit_t *audit,
    ngx_http_rtk_file_id_t *id, ngx_err_t err)
{
    ngx_uint_t             failed;
    ngx_slab_pool_t       *shpool;
    ngx_http_rtk_chain_t  *chain;

    shpool = (ngx_slab_pool_t *) audit->zone->shm.addr;
    chain = audit->zone->data;

    ngx_shmtx_lock(&shpool->mutex);

    if (err) {
        chain->sync_failed = 1;
        chain->failed_dev = id->dev;
        chain->failed_ino = id->ino;
    }

    failed = chain->sync_failed
             && chain->failed_dev == id->dev
             && chain->failed_ino == id->ino;

    ngx_shmtx_unlock(&shpool->mutex);

    return failed;
}


/*
 * Linux reports a failed write-back once, to the first fsync() to ask,
 * and leaves the pages clean: a sync that asks later, in this worker or
 * another, succeeds although records it covers never reached the disk.
 * So a failed sync marks the file in the chain's zone, and every later
 * sync of that file fails too, until a reopen gives the path a new file
 * or the file is emptied (ngx_http_rtk_chain.c).
 */

static ngx_int_t
ngx_http_rtk_sync_result(ngx_log_t *log, ngx_http_rtk_audit_t *audit,
    ngx_http_rtk_file_id_t *id, ngx_err_t err)
{
    ngx_uint_t  failed;

    failed = ngx_http_rtk_sync_mark(audit, id, err);

    if (err) {
        ngx_log_error(NGX_LOG_CRIT, log, err,
                      "rtk: fsync() of audit log \"%V\" failed; what was "
                      "written to it may not be on disk, its syncs fail "
                      "until it is rotated and reopened, or emptied",
                      &audit->path);
        return NGX_ERROR;
    }

    if (failed) {
        if (audit->batch && audit->batch->sync.warned != ngx_time()) {
            audit->batch->sync.warned = ngx_time();

            ngx_log_error(NGX_LOG_CRIT, log, 0,
                          "rtk: a sync of audit log \"%V\" failed "
                          "before: refused until it is rotated and "
                          "reopened", &audit->path);
        }

        return NGX_ERROR;
    }

    return NGX_OK;
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


/*
 * A worker that exits.  nginx ended its thread pools first, after the
 * tasks they held: a sync that was under way is done, but its end was
 * never handled, so its result is taken here (a failure must not go
 * unsaid).  The requests still waiting (a fast shutdown) will never go
 * upstream, and their decisions to forward are in the file: outcome
 * records say so, written with the last batch.
 */

void
ngx_http_rtk_audit_sync_exit(ngx_log_t *log, ngx_http_rtk_audit_t *audit,
    ngx_http_rtk_batch_t *b)
{
    ngx_uint_t                 i;
    ngx_queue_t               *q, *lists[NGX_HTTP_RTK_SYNC_SLOTS + 1];
    ngx_http_rtk_ctx_t        *ctx;
    ngx_http_rtk_sync_t       *s;
    ngx_http_rtk_sync_slot_t  *slot;

    s = &b->sync;

    for (i = 0; i < NGX_HTTP_RTK_SYNC_SLOTS; i++) {
        slot = &s->slot[i];

        if (!slot->busy || !slot->done) {
            continue;
        }

        ngx_memory_barrier();

        (void) ngx_http_rtk_sync_result(log, audit, &slot->id, slot->err);

        (void) ngx_close_file(slot->fd);
        slot->fd = NGX_INVALID_FILE;
        slot->busy = 0;
    }

    lists[0] = &s->next;

    for (i = 0; i < NGX_HTTP_RTK_SYNC_SLOTS; i++) {
        lists[i + 1] = &s->slot[i].waiters;
    }

    for (i = 0; i < NGX_HTTP_RTK_SYNC_SLOTS + 1; i++) {

        while (!ngx_queue_empty(lists[i])) {
            q = ngx_queue_head(lists[i]);
            ctx = ngx_queue_data(q, ngx_http_rtk_ctx_t, waiting);

            ngx_http_rtk_waiter_ended(ctx);

            (void) ngx_http_rtk_audit_outcome(ctx->waiter, ctx);
        }
    }
}


/* a request that nginx ended while it waited may have been the last */

void
ngx_http_rtk_audit_sync_check(ngx_http_rtk_batch_t *b)
{
#if (NGX_THREADS)
    ngx_http_rtk_sync_guard(&b->sync);
#endif
}


/*
 * An exiting worker syncs what it wrote last.  NGX_BUSY: a sync is still
 * under way, as nginx could not end its thread pool, and its slot must
 * stay where it is.
 */

ngx_int_t
ngx_http_rtk_audit_sync_free(ngx_log_t *log, ngx_http_rtk_audit_t *audit,
    ngx_http_rtk_batch_t *b)
{
    ngx_uint_t            i;
    ngx_http_rtk_sync_t  *s;

    s = &b->sync;

    if (s->timer.timer_set) {
        ngx_del_timer(&s->timer);
    }

    if (s->guard.timer_set) {
        ngx_del_timer(&s->guard);
    }

    if (s->fd != NGX_INVALID_FILE) {
        (void) ngx_http_rtk_audit_sync_now(log, audit, s->fd, &s->id);
        (void) ngx_close_file(s->fd);
        s->fd = NGX_INVALID_FILE;
    }

    /* a thread pool nginx could not end may still use a busy slot */

    for (i = 0; i < NGX_HTTP_RTK_SYNC_SLOTS; i++) {
        if (s->slot[i].busy) {
            return NGX_BUSY;
        }
    }

    return NGX_OK;
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
    slot->id = s->id;
    s->fd = NGX_INVALID_FILE;
    slot->busy = 1;
    slot->done = 0;

    if (ngx_thread_task_post(audit->thread_pool, &slot->task) == NGX_OK) {
        return;
    }

    /* a post that failed after marking the task may leave it marked */

    slot->task.event.active = 0;

    slot->err = (fsync(slot->fd) == -1) ? ngx_errno : 0;

    ngx_http_rtk_sync_end(log, slot);
}


static void
ngx_http_rtk_sync_thread(void *data, ngx_log_t *log)
{
    ngx_http_rtk_sync_slot_t *slot = data;

    slot->err = (fsync(slot->fd) == -1) ? ngx_errno : 0;

    if (slot->err) {
        (void) ngx_http_rtk_sync_mark(slot->audit, &slot->id, slot->err);
    }

    /* for a worker that exits before it hears of the end */

    ngx_memory_barrier();
    slot->done = 1;
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

    rc = ngx_http_rtk_sync_result(log, audit, &slot->id, slot->err);

    if (rc != NGX_OK) {
        if (audit->fail_open) {
            rc = NGX_OK;

        } else {
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

    /* again only while requests still wait */

    ngx_http_rtk_sync_guard(&audit->batch->sync);
}

#endif
