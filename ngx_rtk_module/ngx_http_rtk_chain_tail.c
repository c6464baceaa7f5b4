
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * Where a chain stands when nginx starts: the master reads the end of
 * the audit file it opened, so that the first segment it begins links
 * to the last record there, or says what it found instead.
 */


#include <openssl/crypto.h>

#include "ngx_http_rtk.h"


#define NGX_HTTP_RTK_TAIL_READ      (256 * 1024)


static void ngx_http_rtk_audit_tail(ngx_log_t *log,
    ngx_http_rtk_audit_t *audit, ngx_http_rtk_chain_t *chain);
static void ngx_http_rtk_audit_found(ngx_http_rtk_chain_t *chain,
    const char *word);
static ngx_int_t ngx_http_rtk_audit_parse_tail(ngx_http_rtk_audit_t *audit,
    ngx_http_rtk_chain_t *chain, u_char *start, u_char *last,
    ngx_uint_t whole);


/*
 * The zone is named after the destination only, so a reload keeps it
 * and the chain goes on.  A fresh zone (a start) reads the end of the
 * file the cycle opened before it made the zones, so the first segment
 * links to the last record there.  Nothing is written here: "nginx -t"
 * runs this too.
 */

ngx_int_t
ngx_http_rtk_audit_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_uint_t             fresh;
    ngx_http_rtk_audit_t  *audit;
    ngx_http_rtk_chain_t  *chain;

    audit = shm_zone->data;

    chain = ngx_http_rtk_zone_data(shm_zone, data,
                                   sizeof(ngx_http_rtk_chain_t), &fresh);
    if (chain == NULL) {
        return NGX_ERROR;
    }

    if (fresh && audit->file) {
        ngx_http_rtk_audit_tail(shm_zone->shm.log, audit, chain);
    }

    return NGX_OK;
}


/* the cycle's descriptor is write-only: the same path, opened to read */

static void
ngx_http_rtk_audit_tail(ngx_log_t *log, ngx_http_rtk_audit_t *audit,
    ngx_http_rtk_chain_t *chain)
{
    u_char           *buf, *last;
    off_t             from, size;
    ssize_t           n;
    ngx_fd_t          fd;
    ngx_pool_t       *pool;
    ngx_file_info_t   fi;

    ngx_http_rtk_audit_found(chain, "unreadable");
    pool = NULL;

    fd = ngx_open_file(audit->file->name.data, NGX_FILE_RDONLY,
                       NGX_FILE_OPEN, 0);

    if (fd == NGX_INVALID_FILE) {
        ngx_log_error(NGX_LOG_WARN, log, ngx_errno,
                      "rtk: " ngx_open_file_n " \"%V\" to read its end "
                      "failed", &audit->file->name);
        goto done;
    }

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_WARN, log, ngx_errno,
                      "rtk: " ngx_fd_info_n " of audit log \"%V\" failed",
                      &audit->path);
        goto done;
    }

    size = ngx_file_size(&fi);

    if (size == 0) {
        ngx_http_rtk_audit_found(chain, "empty");
        goto done;
    }

    pool = ngx_create_pool(NGX_HTTP_RTK_TAIL_READ + 1024, log);
    if (pool == NULL) {
        goto done;
    }

    buf = ngx_pnalloc(pool, NGX_HTTP_RTK_TAIL_READ);
    if (buf == NULL) {
        goto done;
    }

    from = ngx_max(size - NGX_HTTP_RTK_TAIL_READ, 0);

    n = pread(fd, buf, size - from, from);

    if (n != size - from) {
        ngx_log_error(NGX_LOG_WARN, log, ngx_errno,
                      "rtk: reading the end of audit log \"%V\" failed",
                      &audit->path);
        goto done;
    }

    last = buf + n;

    if (last[-1] != LF) {
        ngx_http_rtk_audit_found(chain, "fragment");
        goto done;
    }

    if (ngx_http_rtk_audit_parse_tail(audit, chain, buf, last, from == 0)
        != NGX_OK)
    {
        ngx_http_rtk_audit_found(chain, "garbage");
        goto done;
    }

    ngx_http_rtk_audit_found(chain, "record");

done:

    if (chain->prev == 0 && chain->found[0] != 'e') {
        ngx_log_error(NGX_LOG_WARN, log, 0,
                      "rtk: audit log \"%V\" ends with no record of its "
                      "chain (%s): the new segment cannot link to it",
                      &audit->path, chain->found);
    }

    if (fd != NGX_INVALID_FILE && ngx_close_file(fd) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_ALERT, log, ngx_errno,
                      ngx_close_file_n " \"%V\" failed", &audit->path);
    }

    if (pool) {
        ngx_destroy_pool(pool);
    }
}


/* in the zone itself: no pointer into this process's memory */

static void
ngx_http_rtk_audit_found(ngx_http_rtk_chain_t *chain, const char *word)
{
    (void) ngx_cpystrn(chain->found, (u_char *) word, sizeof(chain->found));
}


/*
 * A line as the commit ends a record:
 * ,"seq":N,"segment":"<hex>"[,"mac":"<hex>"]}
 * Escaped text never holds a quote, so the last ',"seq":' is ours.
 * mark: where ,"mac":" begins (the MAC covers the text before it).
 */

ngx_int_t
ngx_http_rtk_audit_parse_end(u_char *line, u_char *last,
    ngx_http_rtk_end_t *end)
{
    u_char     *p, *q;
    ngx_int_t   seq, b;

    static u_char  seq_key[] = ",\"seq\":";
    static u_char  seg_key[] = ",\"segment\":\"";
    static u_char  mac_key[] = ",\"mac\":\"";

    if (last - line < 2 || line[0] != '{' || last[-1] != '}') {
        return NGX_ERROR;
    }

    p = NULL;
    for (q = line; q + sizeof(seq_key) - 1 < last; q++) {
        if (*q == ',' && ngx_strncmp(q, seq_key, sizeof(seq_key) - 1) == 0)
        {
            p = q;
        }
    }

    if (p == NULL) {
        return NGX_ERROR;
    }

    p += sizeof(seq_key) - 1;

    for (q = p; q < last && *q >= '0' && *q <= '9'; q++) { /* void */ }

    seq = ngx_atoi(p, q - p);
    if (seq <= 0) {
        return NGX_ERROR;
    }

    end->seq = seq;
    p = q;

    if ((size_t) (last - p) < sizeof(seg_key) + NGX_HTTP_RTK_SEGMENT_LEN + 1
        || ngx_strncmp(p, seg_key, sizeof(seg_key) - 1) != 0)
    {
        return NGX_ERROR;
    }

    p += sizeof(seg_key) - 1;

    for (q = p; q < p + NGX_HTTP_RTK_SEGMENT_LEN; q++) {
        if (ngx_hextoi(q, 1) == NGX_ERROR) {
            return NGX_ERROR;
        }
    }

    if (*q != '"') {
        return NGX_ERROR;
    }

    ngx_memcpy(end->segment, p, NGX_HTTP_RTK_SEGMENT_LEN);
    p = q + 1;

    end->mark = p;
    end->has_mac = 0;

    if (p + 1 == last) {
        return NGX_OK;                    /* unkeyed */
    }

    if ((size_t) (last - p) != sizeof(mac_key) - 1
                                + 2 * NGX_HTTP_RTK_MAC_LEN + 2
        || ngx_strncmp(p, mac_key, sizeof(mac_key) - 1) != 0
        || p[sizeof(mac_key) - 1 + 2 * NGX_HTTP_RTK_MAC_LEN] != '"')
    {
        return NGX_ERROR;
    }

    p += sizeof(mac_key) - 1;

    for (q = p; q < p + 2 * NGX_HTTP_RTK_MAC_LEN; q += 2) {
        b = ngx_hextoi(q, 2);
        if (b == NGX_ERROR) {
            return NGX_ERROR;
        }

        end->mac[(q - p) / 2] = (u_char) b;
    }

    end->has_mac = 1;

    return NGX_OK;
}


/*
 * The last record names where the new segment links to.  With a key,
 * the record before it tells whether it was written under this key
 * (its MAC then fits); otherwise the link says the key is unknown.
 * whole: the buffer starts at the file's start.
 */

static ngx_int_t
ngx_http_rtk_audit_parse_tail(ngx_http_rtk_audit_t *audit,
    ngx_http_rtk_chain_t *chain, u_char *start, u_char *last,
    ngx_uint_t whole)
{
    u_char              *line, *pline, *prev;
    u_char               want[NGX_HTTP_RTK_MAC_LEN];
    ngx_http_rtk_end_t   end, pend;

    last--;                               /* the LF */

    line = last;
    while (line > start && line[-1] != LF) {
        line--;
    }

    if ((line == start && !whole)
        || ngx_http_rtk_audit_parse_end(line, last, &end) != NGX_OK)
    {
        return NGX_ERROR;
    }

    chain->prev = 1;
    chain->prev_seq = end.seq;
    chain->prev_mac_known = end.has_mac;
    ngx_memcpy(chain->prev_segment, end.segment, NGX_HTTP_RTK_SEGMENT_LEN);

    if (!end.has_mac) {
        return NGX_OK;
    }

    ngx_memcpy(chain->prev_mac, end.mac, NGX_HTTP_RTK_MAC_LEN);

    if (audit->key.len == 0) {
        return NGX_OK;
    }

    prev = NULL;

    if (end.seq > 1) {
        if (line == start) {
            return NGX_OK;
        }

        pline = line - 1;
        while (pline > start && pline[-1] != LF) {
            pline--;
        }

        if ((pline == start && !whole)
            || ngx_http_rtk_audit_parse_end(pline, line - 1, &pend)
               != NGX_OK
            || !pend.has_mac
            || pend.seq + 1 != end.seq
            || ngx_memcmp(pend.segment, end.segment,
                          NGX_HTTP_RTK_SEGMENT_LEN)
               != 0)
        {
            return NGX_OK;
        }

        prev = pend.mac;
    }

    if (ngx_http_rtk_audit_mac(audit, prev, line, end.mark - line, want)
        == NGX_OK
        && CRYPTO_memcmp(want, end.mac, NGX_HTTP_RTK_MAC_LEN) == 0)
    {
        chain->prev_keyed = 1;
        ngx_memcpy(chain->prev_key, audit->fingerprint,
                   NGX_HTTP_RTK_FINGERPRINT_LEN);
    }

    return NGX_OK;
}
