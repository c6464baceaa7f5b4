
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * Types shared by the gateway's nginx glue.  Policy logic lives in
 * policy/; this side only moves requests, bytes and secrets around.
 */


#ifndef _NGX_HTTP_RTK_H_INCLUDED_
#define _NGX_HTTP_RTK_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "rtk_common.h"
#include "rtk_route.h"
#include "rtk_body.h"
#include "rtk_policy.h"
#include "rtk_txn.h"
#include "rtk_answer.h"


#define NGX_HTTP_RTK_FINGERPRINT_LEN  16
#define NGX_HTTP_RTK_SECRET_MAX       1024
#define NGX_HTTP_RTK_AUDIT_KEY_MIN    32
#define NGX_HTTP_RTK_ANSWER_MAX       8192   /* of a create's answer */


/* a header the gateway sets, its hash made once */

typedef struct {
    ngx_str_t                  key;
    ngx_str_t                  lowcase;
    ngx_uint_t                 hash;
} ngx_http_rtk_header_name_t;


/* a page range holding a secret, see ngx_http_rtk_token.c */

typedef struct {
    u_char                    *data;
    size_t                     size;
    ngx_uint_t                 secretmem;   /* memfd_secret() memory */
} ngx_http_rtk_secret_t;


typedef struct {
    ngx_str_t                  account;      /* empty: the default token */
    ngx_str_t                  file;
    ngx_str_t                  header;       /* "Bearer <token>", cleansed */
    u_char                     fingerprint[NGX_HTTP_RTK_FINGERPRINT_LEN];
} ngx_http_rtk_token_t;


#define NGX_HTTP_RTK_SEGMENT_LEN      16
#define NGX_HTTP_RTK_MAC_LEN          32

/* the room a record needs after its text for the chain's fields */
#define NGX_HTTP_RTK_AUDIT_TAIL                                             \
    (sizeof(",\"seq\":,\"segment\":\"\",\"mac\":\"\"}\n") - 1          \
     + NGX_INT_T_LEN + NGX_HTTP_RTK_SEGMENT_LEN + 2 * NGX_HTTP_RTK_MAC_LEN)


/*
 * The chain's head, shared by all workers of every generation: the zone
 * is named after the destination only, so it survives every reload.
 */

typedef struct {
    ngx_uint_t                 seq;         /* 0: no segment begun yet */
    ngx_uint_t                 refused;     /* records not written since */

    /* a file whose sync failed: none of it is trusted to be on disk */
    ngx_uint_t                 sync_failed;
    dev_t                      failed_dev;
    ino_t                      failed_ino;
    off_t                      end;         /* where the last write ended */
    u_char                     mac[NGX_HTTP_RTK_MAC_LEN];
    u_char                     segment[NGX_HTTP_RTK_SEGMENT_LEN];
    u_char                     key[NGX_HTTP_RTK_FINGERPRINT_LEN];

    /* the end of the file as the master found it, for the first link */
    ngx_uint_t                 prev_seq;
    u_char                     prev_mac[NGX_HTTP_RTK_MAC_LEN];
    u_char                     prev_segment[NGX_HTTP_RTK_SEGMENT_LEN];
    u_char                     prev_key[NGX_HTTP_RTK_FINGERPRINT_LEN];
    u_char                     found[16];  /* a word: "record", ... */
    unsigned                   keyed:1;     /* the segment has a key */
    unsigned                   prev:1;
    unsigned                   prev_keyed:1;
    unsigned                   prev_mac_known:1;
} ngx_http_rtk_chain_t;


typedef struct ngx_http_rtk_audit_s  ngx_http_rtk_audit_t;


/* the chain fields at the end of a record read back */

typedef struct {
    ngx_uint_t                 seq;
    ngx_uint_t                 has_mac;
    u_char                    *mark;
    u_char                     mac[NGX_HTTP_RTK_MAC_LEN];
    u_char                     segment[NGX_HTTP_RTK_SEGMENT_LEN];
} ngx_http_rtk_end_t;


/* with "fsync": one fsync(2) a thread does, and the requests it frees */

#define NGX_HTTP_RTK_SYNC_SLOTS  2

/* which file a descriptor is: a reopen gives the path another one */

typedef struct {
    dev_t                      dev;
    ino_t                      ino;
} ngx_http_rtk_file_id_t;


typedef struct {
    ngx_queue_t                waiters;
    ngx_fd_t                   fd;
    ngx_http_rtk_file_id_t     id;
    ngx_err_t                  err;
    ngx_uint_t                 busy;
    ngx_atomic_t               done;        /* set by the thread */
    ngx_http_rtk_audit_t      *audit;
#if (NGX_THREADS)
    ngx_thread_task_t          task;
#endif
} ngx_http_rtk_sync_slot_t;


/*
 * Per worker: the records written since the last sync began (a dup() of
 * the descriptor they were written to, and who waits for them), and the
 * syncs under way.
 */

typedef struct {
    ngx_queue_t                next;
    ngx_fd_t                   fd;
    ngx_http_rtk_file_id_t     id;          /* the file fd is of */
    time_t                     warned;      /* for crit, once a second */
    ngx_event_t                timer;       /* for records none waits for */
    ngx_event_t                guard;       /* while requests wait */
    ngx_http_rtk_sync_slot_t   slot[NGX_HTTP_RTK_SYNC_SLOTS];
} ngx_http_rtk_sync_t;


/* a worker's records of one turn, each a size_t length and its text */

typedef struct {
    u_char                    *start;
    u_char                    *last;
    u_char                    *end;
    ngx_uint_t                 records;

    u_char                    *out;         /* sealed, as written */
    size_t                     out_size;

    ngx_queue_t                waiters;     /* for their decision records */
    ngx_http_rtk_sync_t        sync;

    ngx_event_t                event;
} ngx_http_rtk_batch_t;

struct ngx_http_rtk_audit_s {
    ngx_str_t                  path;
    ngx_open_file_t           *file;        /* NULL for syslog */
    ngx_syslog_peer_t         *syslog;
    ngx_syslog_peer_t         *mirror;      /* a syslog copy of a file */
    ngx_str_t                  mirror_path;
    ngx_shm_zone_t            *zone;
    ngx_str_t                  key_file;
    ngx_str_t                  key;         /* empty: no MAC */
    u_char                     fingerprint[NGX_HTTP_RTK_FINGERPRINT_LEN];
    void                      *mac_ctx;     /* keyed by the master */
    ngx_flag_t                 fsync;
    void                      *thread_pool; /* "fsync" syncs in it */
    ngx_http_rtk_file_id_t     written;     /* per worker: the last write's */
    ngx_flag_t                 fail_open;
    ngx_flag_t                 fail_set;    /* fail= was given */
    time_t                     mirror_failed;   /* per worker, for crit */

    /* where the directive was, for the warnings after parsing */
    u_char                    *conf_file;
    ngx_uint_t                 conf_line;
    ngx_flag_t                 warned;

    ngx_shm_zone_t            *summary;     /* flood summaries' windows */
    ngx_http_rtk_batch_t      *batch;       /* per worker: this turn's */
};


typedef struct ngx_http_rtk_metrics_conf_s  ngx_http_rtk_metrics_conf_t;


typedef struct {
    ngx_array_t                audits;      /* ngx_http_rtk_audit_t * */
    ngx_array_t                secrets;     /* ngx_http_rtk_secret_t * */
    ngx_array_t                gateways;    /* ngx_http_rtk_loc_conf_t * */
    ngx_flag_t                 dumpable;
    ngx_http_rtk_metrics_conf_t  *metrics;
} ngx_http_rtk_main_conf_t;


typedef struct ngx_http_rtk_loc_conf_s  ngx_http_rtk_loc_conf_t;

struct ngx_http_rtk_loc_conf_s {
    ngx_flag_t                 gateway;
    ngx_flag_t                 envelope;
    ngx_http_complex_value_t  *identity;
    rtk_policy_t              *policy;
    ngx_array_t               *tokens;       /* ngx_http_rtk_token_t */
    ngx_http_rtk_audit_t      *audit;        /* NULL: "off" */
    ngx_flag_t                 audit_copy;   /* a second rtk_audit_log */
    size_t                     body_max_size;

    /* set when the gateway is attached to the location */
    ngx_http_handler_pt        upstream_handler;
    ngx_http_upstream_conf_t  *proxy;        /* the proxy module's */
    ngx_http_core_loc_conf_t  *clcf;
    void                      *auth_basic;   /* its loc conf */
    void                      *rewrite;      /* its loc conf */
#if (NGX_HTTP_SSL)
    ngx_http_ssl_srv_conf_t   *ssl;
#endif
    ngx_http_rtk_loc_conf_t   *parent;       /* of an "if" block */
    ngx_uint_t                 direct;       /* decided: content at once */
    ngx_flag_t                 access_identity;  /* checked by auth_basic */

    /* where "rtk_gateway on" was written, for messages */
    u_char                    *file;
    ngx_uint_t                 line;
};


typedef ngx_int_t (*ngx_http_rtk_create_pt)(ngx_http_request_t *r);
typedef void (*ngx_http_rtk_finalize_pt)(ngx_http_request_t *r,
    ngx_int_t rc);


typedef struct {
    ngx_http_rtk_loc_conf_t   *conf;         /* the gateway location's */
    ngx_int_t                  phase_status;
    ngx_uint_t                 uri_changes;  /* when it was created */

    rtk_txn_t                  txn;          /* the decision */

    ngx_http_rtk_token_t      *token;

    /* rtk_identity read before the gateway checked it, for $rtk_caller */
    ngx_str_t                  caller;

    ngx_chain_t               *envelope;     /* error body to send */

    /* the answer to a create, read for the created webhook's id */
    u_char                    *answer;
    size_t                     answer_len;
    u_char                     created[RTK_UUID_LEN + 1];

    /* the upstream request, see ngx_http_rtk_inject.c */
    ngx_http_request_t        *request;
    ngx_buf_t                 *upstream_header;   /* holds the token */
    size_t                     upstream_size;
    ngx_http_rtk_create_pt     create_request;
    ngx_http_rtk_finalize_pt   finalize_request;

    ngx_queue_t                waiting;      /* for its decision record */
    ngx_http_request_t        *waiter;       /* r, while it waits */

    unsigned                   started:1;
    unsigned                   forward:1;
    unsigned                   forwarded:1;
    unsigned                   attached:1;
    unsigned                   redirected:1;
    unsigned                   decision_logged:1;
    unsigned                   outcome_due:1;   /* recorded, not forwarded */
    unsigned                   envelope_sent:1;
    unsigned                   upstream_invalid:1;
    unsigned                   caller_read:1;
    unsigned                   caller_checked:1;  /* after access */

    /* the answer's status line left, its end did not: whose fault */
    unsigned                   upstream_truncated:1;
    unsigned                   client_aborted:1;
} ngx_http_rtk_ctx_t;


/* a header name as sent is lc, a lowercase name of len bytes */

static ngx_inline ngx_uint_t
ngx_http_rtk_name_is(const u_char *name, const char *lc, size_t len)
{
    u_char  c;

    while (len--) {
        c = *name++;

        if (c >= 'A' && c <= 'Z') {
            c |= 0x20;
        }

        if (c != (u_char) *lc++) {
            return 0;
        }
    }

    return 1;
}


extern ngx_module_t                ngx_http_rtk_module;
extern ngx_int_t                   ngx_http_rtk_request_id_index;
extern ngx_http_rtk_header_name_t  ngx_http_rtk_content_type;
extern ngx_http_rtk_header_name_t  ngx_http_rtk_request_id;


char *ngx_http_rtk_token_file(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_rtk_secret_load(ngx_conf_t *cf, const char *what,
    ngx_str_t *name, ngx_str_t *prefix, size_t min, ngx_str_t *out);
void ngx_http_rtk_secret_lock(ngx_log_t *log, ngx_http_rtk_secret_t *secret);
ngx_int_t ngx_http_rtk_fingerprint(u_char *p, size_t len, u_char *out);
ngx_http_rtk_token_t *ngx_http_rtk_token_find(ngx_http_rtk_loc_conf_t *rlcf,
    rtk_route_t *route);

char *ngx_http_rtk_audit_log(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_rtk_audit_decision(ngx_http_request_t *r,
    ngx_http_rtk_ctx_t *ctx, ngx_uint_t wait);
ngx_int_t ngx_http_rtk_audit_outcome(ngx_http_request_t *r,
    ngx_http_rtk_ctx_t *ctx);
ngx_int_t ngx_http_rtk_audit_check(ngx_conf_t *cf);
ngx_int_t ngx_http_rtk_audit_mac_init(ngx_conf_t *cf,
    ngx_http_rtk_audit_t *audit);
ngx_int_t ngx_http_rtk_audit_init_zone(ngx_shm_zone_t *shm_zone, void *data);
ssize_t ngx_http_rtk_audit_chain(ngx_log_t *log, ngx_http_rtk_audit_t *audit,
    ngx_http_rtk_batch_t *b);
u_char *ngx_http_rtk_audit_space(ngx_log_t *log, ngx_http_rtk_audit_t *audit,
    size_t size);
ngx_int_t ngx_http_rtk_audit_commit(ngx_log_t *log,
    ngx_http_rtk_audit_t *audit, u_char *line, u_char *last);
void ngx_http_rtk_audit_refused(ngx_http_rtk_audit_t *audit, ngx_uint_t n);
ngx_int_t ngx_http_rtk_audit_mac(ngx_http_rtk_audit_t *audit, u_char *prev,
    u_char *line, size_t len, u_char *mac);
ngx_int_t ngx_http_rtk_audit_parse_end(u_char *line, u_char *last,
    ngx_http_rtk_end_t *end);
ngx_int_t ngx_http_rtk_audit_reserve(ngx_http_request_t *r,
    ngx_http_rtk_ctx_t *ctx, ngx_http_rtk_audit_t *audit);
void ngx_http_rtk_audit_wait(ngx_http_request_t *r, ngx_http_rtk_ctx_t *ctx,
    ngx_http_rtk_audit_t *audit);
void ngx_http_rtk_audit_exit_process(ngx_cycle_t *cycle);
void ngx_http_rtk_waiters_resume(ngx_queue_t *waiters, ngx_int_t rc);
void ngx_http_rtk_waiter_ended(ngx_http_rtk_ctx_t *ctx);

void ngx_http_rtk_audit_sync_init(ngx_http_rtk_audit_t *audit,
    ngx_http_rtk_batch_t *b);
ngx_int_t ngx_http_rtk_audit_sync(ngx_log_t *log,
    ngx_http_rtk_audit_t *audit, ngx_http_rtk_batch_t *b,
    ngx_queue_t *waiters);
void ngx_http_rtk_sync_refused(ngx_queue_t *waiters);
ngx_int_t ngx_http_rtk_audit_sync_now(ngx_log_t *log,
    ngx_http_rtk_audit_t *audit, ngx_fd_t fd, ngx_http_rtk_file_id_t *id);
void ngx_http_rtk_audit_sync_exit(ngx_log_t *log,
    ngx_http_rtk_audit_t *audit, ngx_http_rtk_batch_t *b);
void ngx_http_rtk_audit_sync_check(ngx_http_rtk_batch_t *b);
ngx_int_t ngx_http_rtk_audit_sync_free(ngx_log_t *log,
    ngx_http_rtk_audit_t *audit, ngx_http_rtk_batch_t *b);
void ngx_http_rtk_decided(ngx_http_request_t *r, ngx_int_t rc);
u_char *ngx_http_rtk_audit_time(u_char *p);
ngx_int_t ngx_http_rtk_summary_zone(ngx_conf_t *cf,
    ngx_http_rtk_audit_t *audit);
ngx_int_t ngx_http_rtk_summary_add(ngx_http_request_t *r,
    ngx_http_rtk_ctx_t *ctx);
ngx_int_t ngx_http_rtk_summary_init_process(ngx_cycle_t *cycle,
    ngx_http_rtk_main_conf_t *rmcf);
void ngx_http_rtk_summary_exit_process(ngx_cycle_t *cycle);

ngx_http_rtk_ctx_t *ngx_http_rtk_get_ctx(ngx_http_request_t *r,
    ngx_http_rtk_loc_conf_t *rlcf);
ngx_http_variable_value_t *ngx_http_rtk_request_id_value(
    ngx_http_request_t *r);
ngx_int_t ngx_http_rtk_allow(ngx_http_request_t *r, const char *methods);
ngx_uint_t ngx_http_rtk_status(ngx_http_request_t *r);
void *ngx_http_rtk_zone_data(ngx_shm_zone_t *shm_zone, void *data,
    size_t size, ngx_uint_t *fresh);

ngx_int_t ngx_http_rtk_forward(ngx_http_request_t *r,
    ngx_http_rtk_ctx_t *ctx);
ngx_uint_t ngx_http_rtk_outcome_end(ngx_http_request_t *r,
    ngx_http_rtk_ctx_t *ctx, rtk_error_t *err);
ngx_uint_t ngx_http_rtk_credential(u_char *name, size_t len);

void ngx_http_rtk_continue(ngx_http_request_t *r, ngx_http_rtk_ctx_t *ctx,
    ngx_int_t rc);
ngx_int_t ngx_http_rtk_rewrite_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_rtk_precontent_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_rtk_content_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_rtk_log_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_rtk_add_variables(ngx_conf_t *cf);
ngx_int_t ngx_http_rtk_caller_value(ngx_http_request_t *r,
    ngx_http_rtk_ctx_t *ctx, ngx_str_t *caller);

void ngx_http_rtk_record_location(ngx_conf_t *cf,
    ngx_http_rtk_loc_conf_t *rlcf);
ngx_int_t ngx_http_rtk_attach(ngx_conf_t *cf);
void ngx_http_rtk_conf_error(ngx_conf_t *cf, ngx_http_rtk_loc_conf_t *rlcf,
    ngx_uint_t level, const char *fmt, ...);
ngx_int_t ngx_http_rtk_error_init(ngx_conf_t *cf);

ngx_http_rtk_metrics_conf_t *ngx_http_rtk_metrics_create_conf(
    ngx_conf_t *cf);
char *ngx_http_rtk_metrics(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
ngx_int_t ngx_http_rtk_metrics_init(ngx_conf_t *cf);
ngx_int_t ngx_http_rtk_metrics_init_module(ngx_cycle_t *cycle);
void ngx_http_rtk_metrics_log(ngx_http_request_t *r, ngx_http_rtk_ctx_t *ctx);
void ngx_http_rtk_metrics_audit(ngx_int_t rc, ngx_uint_t n, size_t len);


#endif /* _NGX_HTTP_RTK_H_INCLUDED_ */
