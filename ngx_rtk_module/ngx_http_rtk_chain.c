/*
 * Copyright (C) ngx_rtk_module authors
 *
 * The audit chain: one per destination, across reloads, restarts, key
 * changes, rotations and failed writes.  ngx_http_rtk_audit_chain() is
 * the one place formatted records are sealed (sequence, segment, MAC)
 * and written, a worker's batch at a time.  A new segment, and a new
 * file, begins with a "link" record naming what came before it; the
 * records refused while the destination could not be written are
 * counted by a "gap" record in front of the next one written.  Where a
 * restarted chain begins: ngx_http_rtk_chain_tail.c.
 */


#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/uio.h>

#include "ngx_http_rtk.h"


#define NGX_HTTP_RTK_LINK_MAX       1024
#define NGX_HTTP_RTK_GAP_MAX        256

/* "<PRI>TIMESTAMP HOSTNAME TAG: " with the longest hostname */
#define NGX_HTTP_RTK_SYSLOG_HEADER  (sizeof("<191>Jan 01 00:00:00 : ")    \
                                     + NGX_MAXHOSTNAMELEN + 32)


/* where the chain stands while a commit seals its records */

typedef struct {
    ngx_uint_t                 seq;
    ngx_uint_t                 has_mac;    /* 0: a segment's start */
    u_char                     mac[NGX_HTTP_RTK_MAC_LEN];
    u_char                     segment[NGX_HTTP_RTK_SEGMENT_LEN];
} ngx_http_rtk_seal_t;


static u_char *ngx_http_rtk_audit_link(u_char *p, const char *cause,
    ngx_http_rtk_audit_t *audit, ngx_http_rtk_chain_t *chain, off_t offset);
static u_char *ngx_http_rtk_audit_seal(ngx_http_rtk_audit_t *audit,
    ngx_http_rtk_seal_t *s, u_char *line, u_char *last);
static void ngx_http_rtk_audit_mac_cleanup(void *data);
static ngx_int_t ngx_http_rtk_audit_write(ngx_log_t *log,
    ngx_http_rtk_audit_t *audit, struct iovec *iov, int n, size_t total,
    off_t offset);
static ngx_int_t ngx_http_rtk_audit_send_lines(ngx_syslog_peer_t *peer,
    u_char *p, size_t len, ngx_uint_t *sent, u_char **line, u_char **last);
static ngx_int_t ngx_http_rtk_audit_send(ngx_syslog_peer_t *peer,
    u_char *rec, size_t len);


/* the record's second, formatted once a second per worker */
static time_t  ngx_http_rtk_audit_sec = -1;
static u_char  ngx_http_rtk_audit_now[sizeof("1970-01-01T00:00:00") - 1];


u_char *
ngx_http_rtk_audit_time(u_char *p)
{
    ngx_tm_t     tm;
    ngx_time_t  *tp;

    tp = ngx_timeofday();

    if (tp->sec != ngx_http_rtk_audit_sec) {
        ngx_gmtime(tp->sec, &tm);
        (void) ngx_sprintf(ngx_http_rtk_audit_now,
                           "%4d-%02d-%02dT%02d:%02d:%02d",
                           tm.ngx_tm_year, tm.ngx_tm_mon, tm.ngx_tm_mday,
                           tm.ngx_tm_hour, tm.ngx_tm_min, tm.ngx_tm_sec);
        ngx_http_rtk_audit_sec = tp->sec;
    }

    return ngx_sprintf(p, "%*s.%03MZ", sizeof(ngx_http_rtk_audit_now),
                       ngx_http_rtk_audit_now, tp->msec);
}


/*
 * Under the zone's lock: a link record when a segment or a file begins,
 * a gap record when records were refused since the last one written,
 * then a worker's batch of records (see ngx_http_rtk_batch.c); sealed in
 * chain order and written by one writev(2), whole or not at all.
 * Holding the lock across the write keeps file order equal to chain
 * order for any number of workers.  The chain's head moves only once
 * the write succeeded.  The file carries the guarantee; a syslog copy of
 * it is sent after, and its failures only logged.  Returns the bytes
 * written, or NGX_ERROR.
 */

ssize_t
ngx_http_rtk_audit_chain(ngx_log_t *log, ngx_http_rtk_audit_t *audit,
    ngx_http_rtk_batch_t *b)
{
    u_char                 link[NGX_HTTP_RTK_LINK_MAX];
    u_char                 gap[NGX_HTTP_RTK_GAP_MAX];
    u_char                 rnd[NGX_HTTP_RTK_SEGMENT_LEN / 2];
    u_char                *p, *q, *line, *end_line, *end_last;
    off_t                  offset;
    size_t                 total, len;
    ngx_uint_t             sent, unsent, n_records;
    ngx_http_rtk_end_t     end;
    ngx_int_t              rc;
    ngx_uint_t             i, n;
    const char            *cause;
    struct iovec           iov[3];
    ngx_file_info_t        fi;
    ngx_slab_pool_t       *shpool;
    ngx_http_rtk_seal_t    seal;
    ngx_http_rtk_chain_t  *chain;

    shpool = (ngx_slab_pool_t *) audit->zone->shm.addr;
    chain = audit->zone->data;

    ngx_shmtx_lock(&shpool->mutex);

    offset = -1;

    if (audit->file) {

        /*
         * A file deleted without "nginx -s reopen" takes records nobody
         * will read; the size is where this write begins (one writer).
         */

        if (ngx_fd_info(audit->file->fd, &fi) == NGX_FILE_ERROR) {
            ngx_log_error(NGX_LOG_CRIT, log, ngx_errno,
                          "rtk: " ngx_fd_info_n " of audit log \"%V\" "
                          "failed", &audit->path);
            goto refused;
        }

        if (fi.st_nlink == 0) {
            ngx_log_error(NGX_LOG_CRIT, log, 0,
                          "rtk: audit log \"%V\" was deleted, "
                          "records go nowhere until \"nginx -s reopen\"",
                          &audit->path);
            goto refused;
        }

        offset = ngx_file_size(&fi);

        /* the file this write goes to, for the syncs of "fsync" */

        audit->written.dev = fi.st_dev;
        audit->written.ino = fi.st_ino;

        /*
         * A file whose sync failed is trusted again once it was emptied
         * (truncated in place: shorter than the last write left it; or a
         * new file that has the old one's inode): the pages that may be
         * lost are no longer part of it.
         */

        if (chain->sync_failed
            && (offset == 0 || offset < chain->end)
            && chain->failed_dev == fi.st_dev
            && chain->failed_ino == fi.st_ino)
        {
            chain->sync_failed = 0;
        }
    }

    /* a start, a key other than the segment's, or a new file */

    if (chain->seq == 0) {
        cause = "start";

    } else if (chain->keyed != (audit->key.len != 0)
               || ngx_memcmp(chain->key, audit->fingerprint,
                             NGX_HTTP_RTK_FINGERPRINT_LEN)
                  != 0)
    {
        cause = "key";

    } else if (offset == 0) {
        cause = "file";

    } else {
        cause = NULL;
    }

    if (cause && cause[0] != 'f') {
        if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
            ngx_log_error(NGX_LOG_CRIT, log, 0,
                          "rtk: no random segment id for the audit log");
            goto refused;
        }

        ngx_hex_dump(seal.segment, rnd, sizeof(rnd));
        seal.seq = 0;
        seal.has_mac = 0;

    } else {
        ngx_memcpy(seal.segment, chain->segment, NGX_HTTP_RTK_SEGMENT_LEN);
        ngx_memcpy(seal.mac, chain->mac, NGX_HTTP_RTK_MAC_LEN);
        seal.seq = chain->seq;
        seal.has_mac = 1;
    }

    n = 0;

    if (cause) {
        p = ngx_http_rtk_audit_link(link, cause, audit, chain, offset);
        p = ngx_http_rtk_audit_seal(audit, &seal, link, p);
        if (p == NULL) {
            goto mac_failed;
        }

        iov[n].iov_base = link;
        iov[n++].iov_len = p - link;
    }

    if (chain->refused) {
        p = ngx_sprintf(gap, "{\"type\":\"gap\",\"time\":\"");
        p = ngx_http_rtk_audit_time(p);
        p = ngx_sprintf(p, "\",\"refused\":%ui", chain->refused);
        p = ngx_http_rtk_audit_seal(audit, &seal, gap, p);
        if (p == NULL) {
            goto mac_failed;
        }

        iov[n].iov_base = gap;
        iov[n++].iov_len = p - gap;
    }

    /* the batch's records, each a size_t length and its text */

    p = b->out;

    for (q = b->start; q < b->last; q += len) {
        ngx_memcpy(&len, q, sizeof(size_t));
        q += sizeof(size_t);

        line = p;
        p = ngx_http_rtk_audit_seal(audit, &seal, line,
                                    ngx_cpymem(p, q, len));
        if (p == NULL) {
            goto mac_failed;
        }
    }

    iov[n].iov_base = b->out;
    iov[n++].iov_len = p - b->out;

    n_records = (n - 1) + b->records;

    sent = 0;
    end_line = NULL;
    end_last = NULL;

    total = 0;
    for (i = 0; i < n; i++) {
        total += iov[i].iov_len;
    }

    if (audit->file) {
        rc = ngx_http_rtk_audit_write(log, audit, iov, n, total, offset);

        if (rc == NGX_OK) {
            chain->end = offset + total;
        }

    } else {
        rc = NGX_OK;

        for (i = 0; i < n && rc == NGX_OK; i++) {
            rc = ngx_http_rtk_audit_send_lines(audit->syslog,
                                               iov[i].iov_base,
                                               iov[i].iov_len, &sent,
                                               &end_line, &end_last);
        }

        if (rc != NGX_OK) {
            ngx_log_error(NGX_LOG_CRIT, log, 0,
                          "rtk: sending the audit record to \"%V\" "
                          "failed", &audit->path);

            /*
             * Datagrams sent stay sent: the chain goes on after the last
             * of them, so no seq is given twice, and only the records
             * not sent are counted as refused.
             */

            if (sent && ngx_http_rtk_audit_parse_end(end_line, end_last,
                                                     &end)
                        == NGX_OK)
            {
                unsent = n_records - sent;

                chain->seq = end.seq;
                chain->refused = ngx_min(unsent, b->records);
                ngx_memcpy(chain->segment, end.segment,
                           NGX_HTTP_RTK_SEGMENT_LEN);

                if (end.has_mac) {
                    ngx_memcpy(chain->mac, end.mac, NGX_HTTP_RTK_MAC_LEN);
                }

                chain->keyed = (audit->key.len != 0);
                ngx_memcpy(chain->key, audit->fingerprint,
                           NGX_HTTP_RTK_FINGERPRINT_LEN);

                ngx_shmtx_unlock(&shpool->mutex);

                return NGX_ERROR;
            }
        }
    }

    if (rc != NGX_OK) {
        goto refused;
    }

    /* written: the chain's head moves */

    chain->seq = seal.seq;
    chain->refused = 0;
    ngx_memcpy(chain->segment, seal.segment, NGX_HTTP_RTK_SEGMENT_LEN);
    ngx_memcpy(chain->mac, seal.mac, NGX_HTTP_RTK_MAC_LEN);
    chain->keyed = (audit->key.len != 0);
    ngx_memcpy(chain->key, audit->fingerprint, NGX_HTTP_RTK_FINGERPRINT_LEN);

    /* the same records, seq and MAC to syslog; the file decides */

    if (audit->mirror) {
        for (i = 0; i < n; i++) {
            if (ngx_http_rtk_audit_send_lines(audit->mirror,
                                              iov[i].iov_base,
                                              iov[i].iov_len, &sent,
                                              &end_line, &end_last)
                != NGX_OK
                && audit->mirror_failed != ngx_time())
            {
                audit->mirror_failed = ngx_time();
                ngx_log_error(NGX_LOG_CRIT, log, 0,
                              "rtk: sending the copy of audit log \"%V\" "
                              "to syslog failed, the file has the record",
                              &audit->path);
            }
        }
    }

    ngx_shmtx_unlock(&shpool->mutex);

    return total;

mac_failed:

    ngx_log_error(NGX_LOG_CRIT, log, 0,
                  "rtk: computing the audit MAC failed");

refused:

    chain->refused += b->records;

    ngx_shmtx_unlock(&shpool->mutex);

    return NGX_ERROR;
}


/* records lost before they reached the chain: the next gap counts them */

void
ngx_http_rtk_audit_refused(ngx_http_rtk_audit_t *audit, ngx_uint_t n)
{
    ngx_slab_pool_t       *shpool;
    ngx_http_rtk_chain_t  *chain;

    shpool = (ngx_slab_pool_t *) audit->zone->shm.addr;
    chain = audit->zone->data;

    ngx_shmtx_lock(&shpool->mutex);
    chain->refused += n;
    ngx_shmtx_unlock(&shpool->mutex);
}


/*
 * What the new segment or file follows: the previous segment's id,
 * last sequence number, last MAC and key fingerprint, or null; for a
 * start, what the master found at the end of the file; and the byte
 * offset the link is written at, so a cut head shows.
 */

static u_char *
ngx_http_rtk_audit_link(u_char *p, const char *cause,
    ngx_http_rtk_audit_t *audit, ngx_http_rtk_chain_t *chain, off_t offset)
{
    u_char      *mac, *seg, *key;
    ngx_uint_t   prev, seq, keyed, has_mac;

    p = ngx_sprintf(p, "{\"type\":\"link\",\"time\":\"");
    p = ngx_http_rtk_audit_time(p);
    p = ngx_sprintf(p, "\",\"cause\":\"%s\"", cause);

    if (cause[0] == 's' && chain->found[0]) {
        p = ngx_sprintf(p, ",\"found\":\"%s\"", chain->found);

    } else {
        p = ngx_cpymem(p, ",\"found\":null", sizeof(",\"found\":null") - 1);
    }

    if (offset >= 0) {
        p = ngx_sprintf(p, ",\"offset\":%O", offset);

    } else {
        p = ngx_cpymem(p, ",\"offset\":null",
                       sizeof(",\"offset\":null") - 1);
    }

    if (audit->key.len) {
        p = ngx_sprintf(p, ",\"key\":\"%*s\"",
                        (size_t) NGX_HTTP_RTK_FINGERPRINT_LEN,
                        audit->fingerprint);

    } else {
        p = ngx_cpymem(p, ",\"key\":null", sizeof(",\"key\":null") - 1);
    }

    if (cause[0] == 's') {
        prev = chain->prev;
        seq = chain->prev_seq;
        seg = chain->prev_segment;
        has_mac = chain->prev_mac_known;
        mac = chain->prev_mac;
        keyed = chain->prev_keyed;
        key = chain->prev_key;

    } else {
        prev = 1;
        seq = chain->seq;
        seg = chain->segment;
        has_mac = chain->keyed;
        mac = chain->mac;
        keyed = chain->keyed;
        key = chain->key;
    }

    if (!prev) {
        return ngx_cpymem(p, ",\"prev\":null", sizeof(",\"prev\":null") - 1);
    }

    p = ngx_sprintf(p, ",\"prev\":{\"segment\":\"%*s\",\"seq\":%ui",
                    (size_t) NGX_HTTP_RTK_SEGMENT_LEN, seg, seq);

    if (has_mac) {
        p = ngx_cpymem(p, ",\"mac\":\"", sizeof(",\"mac\":\"") - 1);
        p = ngx_hex_dump(p, mac, NGX_HTTP_RTK_MAC_LEN);
        *p++ = '"';

    } else {
        p = ngx_cpymem(p, ",\"mac\":null", sizeof(",\"mac\":null") - 1);
    }

    if (keyed) {
        p = ngx_sprintf(p, ",\"key\":\"%*s\"}",
                        (size_t) NGX_HTTP_RTK_FINGERPRINT_LEN, key);

    } else {
        p = ngx_cpymem(p, ",\"key\":null}", sizeof(",\"key\":null}") - 1);
    }

    return p;
}


/* the chain's fields and the line's end: the next seq, the MAC */

static u_char *
ngx_http_rtk_audit_seal(ngx_http_rtk_audit_t *audit, ngx_http_rtk_seal_t *s,
    u_char *line, u_char *last)
{
    u_char  *p;
    u_char   mac[NGX_HTTP_RTK_MAC_LEN];

    s->seq++;

    p = ngx_sprintf(last, ",\"seq\":%ui,\"segment\":\"%*s\"", s->seq,
                    (size_t) NGX_HTTP_RTK_SEGMENT_LEN, s->segment);

    if (audit->key.len) {
        if (ngx_http_rtk_audit_mac(audit, s->has_mac ? s->mac : NULL,
                                   line, p - line, mac)
            != NGX_OK)
        {
            return NULL;
        }

        p = ngx_cpymem(p, ",\"mac\":\"", sizeof(",\"mac\":\"") - 1);
        p = ngx_hex_dump(p, mac, NGX_HTTP_RTK_MAC_LEN);
        *p++ = '"';

        ngx_memcpy(s->mac, mac, NGX_HTTP_RTK_MAC_LEN);
        s->has_mac = 1;
    }

    *p++ = '}';
    *p++ = LF;

    return p;
}


/*
 * The HMAC context is keyed once, by the master while it reads the
 * configuration: workers inherit a private copy.  Keying it later in a
 * worker would read the key from secret memory that the master cleanses
 * when a reload retires the old configuration, while the old workers
 * may still be writing.
 */

ngx_int_t
ngx_http_rtk_audit_mac_init(ngx_conf_t *cf, ngx_http_rtk_audit_t *audit)
{
    EVP_MAC             *hmac;
    OSSL_PARAM           params[2];
    ngx_pool_cleanup_t  *cln;

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (hmac == NULL) {
        return NGX_ERROR;
    }

    audit->mac_ctx = EVP_MAC_CTX_new(hmac);
    EVP_MAC_free(hmac);

    if (audit->mac_ctx == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_http_rtk_audit_mac_cleanup;
    cln->data = audit->mac_ctx;

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 (char *) "SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();

    if (EVP_MAC_init(audit->mac_ctx, audit->key.data, audit->key.len,
                     params)
        != 1)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static void
ngx_http_rtk_audit_mac_cleanup(void *data)
{
    EVP_MAC_CTX_free(data);
}


/*
 * HMAC-SHA256(key, hex(previous MAC) || record); a segment starts at 0.
 * Re-initialising the context with no key reuses the key's precomputed
 * state, so a record costs only its blocks.
 */

ngx_int_t
ngx_http_rtk_audit_mac(ngx_http_rtk_audit_t *audit, u_char *prev,
    u_char *line, size_t len, u_char *mac)
{
    u_char  hex[2 * NGX_HTTP_RTK_MAC_LEN];
    size_t  n;

    if (audit->mac_ctx == NULL
        || EVP_MAC_init(audit->mac_ctx, NULL, 0, NULL) != 1)
    {
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


/*
 * One writev(2) on an O_APPEND descriptor.  A short write (a full disk)
 * is cut back to where the records began, and so is a failed fsync in a
 * build without threads (with them, ngx_http_rtk_sync.c syncs later): a
 * record is in the file whole or not at all, so a fragment is never
 * mistaken for tampering, and the gap record tells how many were
 * refused.
 */

static ngx_int_t
ngx_http_rtk_audit_write(ngx_log_t *log, ngx_http_rtk_audit_t *audit,
    struct iovec *iov, int n, size_t total, off_t offset)
{
    ssize_t  w;

    w = writev(audit->file->fd, iov, n);

    if (w == (ssize_t) total) {
        /* with a thread pool, ngx_http_rtk_sync.c syncs after the lock */

        if (!audit->fsync || audit->thread_pool
            || fsync(audit->file->fd) == 0)
        {
            return NGX_OK;
        }

        ngx_log_error(NGX_LOG_CRIT, log, ngx_errno,
                      "rtk: fsync() of audit log \"%V\" failed",
                      &audit->path);

    } else if (w == -1) {
        ngx_log_error(NGX_LOG_CRIT, log, ngx_errno,
                      "rtk: writing audit log \"%V\" failed",
                      &audit->path);
        return NGX_ERROR;

    } else {
        ngx_log_error(NGX_LOG_CRIT, log, 0,
                      "rtk: audit log \"%V\" was written partially: "
                      "%z of %uz, cut back", &audit->path, w, total);
    }

    if (ftruncate(audit->file->fd, offset) == -1) {
        ngx_log_error(NGX_LOG_CRIT, log, ngx_errno,
                      "rtk: cutting audit log \"%V\" back to %O failed, "
                      "a fragment stays", &audit->path, offset);
    }

    return NGX_ERROR;
}


/*
 * One datagram per record of a run of lines; *sent counts the records
 * sent, and the last of them is [*line, *last) without its line feed.
 */

static ngx_int_t
ngx_http_rtk_audit_send_lines(ngx_syslog_peer_t *peer, u_char *p,
    size_t len, ngx_uint_t *sent, u_char **line, u_char **last)
{
    u_char  *end, *lf;

    end = p + len;

    while (p < end) {
        lf = ngx_strlchr(p, end, LF);
        if (lf == NULL) {
            return NGX_ERROR;
        }

        if (ngx_http_rtk_audit_send(peer, p, lf + 1 - p) != NGX_OK) {
            return NGX_ERROR;
        }

        (*sent)++;
        *line = p;
        *last = lf;

        p = lf + 1;
    }

    return NGX_OK;
}


/* one datagram per record, its line feed left out */

static ngx_int_t
ngx_http_rtk_audit_send(ngx_syslog_peer_t *peer, u_char *rec, size_t len)
{
    u_char   *p;
    size_t    need;
    ssize_t   n;

    /* per worker, grown from the cycle's pool as records grow */
    static u_char  *buf;
    static size_t   size;

    need = NGX_HTTP_RTK_SYSLOG_HEADER + len;

    if (need > size) {
        need = ngx_max(need, 2 * size);

        buf = ngx_pnalloc(ngx_cycle->pool, need);
        if (buf == NULL) {
            size = 0;
            return NGX_ERROR;
        }

        size = need;
    }

    p = ngx_syslog_add_header(peer, buf);
    p = ngx_cpymem(p, rec, len - 1);

    n = ngx_syslog_send(peer, buf, p - buf);

    return n == p - buf ? NGX_OK : NGX_ERROR;
}


/*
 * After the http block: a gateway whose only audit destination is
 * syslog cannot fail closed, as UDP never says whether a record
 * arrived.  Said once per destination, where it was configured.
 */

ngx_int_t
ngx_http_rtk_audit_check(ngx_conf_t *cf)
{
    ngx_uint_t                 i;
    ngx_http_rtk_audit_t      *audit;
    ngx_http_rtk_loc_conf_t  **gw;
    ngx_http_rtk_main_conf_t  *rmcf;

    rmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_rtk_module);
    gw = rmcf->gateways.elts;

    for (i = 0; i < rmcf->gateways.nelts; i++) {
        audit = gw[i]->audit;

        if (audit == NULL || audit == NGX_CONF_UNSET_PTR
            || audit->syslog == NULL || audit->fail_open || audit->warned)
        {
            continue;
        }

        audit->warned = 1;

        ngx_log_error(NGX_LOG_WARN, cf->log, 0,
                      "rtk_audit_log \"%V\" has no file: delivery over UDP "
                      "cannot be confirmed, so \"fail=closed\" cannot hold "
                      "for it; add a file destination in %s:%ui",
                      &audit->path, audit->conf_file, audit->conf_line);
    }

    return NGX_OK;
}
