
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * The module: directives, configuration, and the phase handlers and
 * filters it installs.  The request path is in ngx_http_rtk_request.c,
 * the token's way upstream in ngx_http_rtk_inject.c.
 */


#include <openssl/rand.h>

#include "ngx_http_rtk.h"


/* request ids: 16 random bytes each, drawn from one RAND_bytes() call */
#define NGX_HTTP_RTK_ID_LEN    16
#define NGX_HTTP_RTK_ID_POOL   (256 * NGX_HTTP_RTK_ID_LEN)


/*
 * The first member of the loc confs of nginx's precontent modules,
 * ngx_http_try_files_loc_conf_t and ngx_http_mirror_loc_conf_t: NULL
 * where the location does not use them.
 */

typedef struct {
    void                      *used;
} ngx_http_rtk_precontent_conf_t;


static ngx_int_t ngx_http_rtk_init(ngx_conf_t *cf);
static void *ngx_http_rtk_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_rtk_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_rtk_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_rtk_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static char *ngx_http_rtk_gateway(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_rtk_policy(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_rtk_init_process(ngx_cycle_t *cycle);
static void ngx_http_rtk_init_direct(ngx_cycle_t *cycle,
    ngx_http_rtk_main_conf_t *rmcf);
static void ngx_http_rtk_exit_process(ngx_cycle_t *cycle);
static void ngx_http_rtk_policy_cleanup(void *data);
static void ngx_http_rtk_ctx_cleanup(void *data);


static ngx_command_t  ngx_http_rtk_commands[] = {

    { ngx_string("rtk_gateway"),
      NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_http_rtk_gateway,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_rtk_loc_conf_t, gateway),
      NULL },

    { ngx_string("rtk_worker_dumpable"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_rtk_main_conf_t, dumpable),
      NULL },

    { ngx_string("rtk_identity"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_rtk_loc_conf_t, identity),
      NULL },

    { ngx_string("rtk_policy"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_rtk_policy,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("rtk_token_file"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE12,
      ngx_http_rtk_token_file,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("rtk_body_max_size"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_rtk_loc_conf_t, body_max_size),
      NULL },

    { ngx_string("rtk_audit_log"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_rtk_audit_log,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("rtk_error_envelope"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_rtk_loc_conf_t, envelope),
      NULL },

    { ngx_string("rtk_metrics"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_rtk_metrics,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_rtk_module_ctx = {
    ngx_http_rtk_add_variables,            /* preconfiguration */
    ngx_http_rtk_init,                     /* postconfiguration */

    ngx_http_rtk_create_main_conf,         /* create main configuration */
    ngx_http_rtk_init_main_conf,           /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_rtk_create_loc_conf,          /* create location configuration */
    ngx_http_rtk_merge_loc_conf            /* merge location configuration */
};


ngx_module_t  ngx_http_rtk_module = {
    NGX_MODULE_V1,
    &ngx_http_rtk_module_ctx,              /* module context */
    ngx_http_rtk_commands,                 /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    ngx_http_rtk_metrics_init_module,      /* init module */
    ngx_http_rtk_init_process,             /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_rtk_exit_process,             /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_str_t  ngx_http_rtk_request_id_var = ngx_string("request_id");

ngx_int_t  ngx_http_rtk_request_id_index;

/* per worker, filled after fork(): no two workers share an id */
static u_char      ngx_http_rtk_id_pool[NGX_HTTP_RTK_ID_POOL];
static size_t      ngx_http_rtk_id_left;
static ngx_pid_t   ngx_http_rtk_id_pid;


/*
 * The context outlives internal redirects (error_page, post_action),
 * which clear module contexts: a pool cleanup keeps it findable, so the
 * audit record is written with the gateway's configuration wherever the
 * request ends.  With rlcf NULL an existing context is only looked up.
 */

ngx_http_rtk_ctx_t *
ngx_http_rtk_get_ctx(ngx_http_request_t *r, ngx_http_rtk_loc_conf_t *rlcf)
{
    ngx_pool_cleanup_t  *cln;
    ngx_http_rtk_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_rtk_module);

    if (ctx != NULL) {
        goto found;
    }

    for (cln = r->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler == ngx_http_rtk_ctx_cleanup) {
            ctx = cln->data;
            ngx_http_set_ctx(r, ctx, ngx_http_rtk_module);
            goto found;
        }
    }

    /* the log phase asks for every request nginx serves: only look */

    if (rlcf == NULL) {
        return NULL;
    }

    cln = ngx_pool_cleanup_add(r->pool, sizeof(ngx_http_rtk_ctx_t));
    if (cln == NULL) {
        return NULL;
    }

    ctx = cln->data;
    ngx_memzero(ctx, sizeof(ngx_http_rtk_ctx_t));
    rtk_txn_init(&ctx->txn);

    ctx->uri_changes = r->uri_changes;

    cln->handler = ngx_http_rtk_ctx_cleanup;

    ngx_http_set_ctx(r, ctx, ngx_http_rtk_module);

found:

    if (ctx->conf == NULL && rlcf != NULL && rlcf->gateway) {
        ctx->conf = rlcf;
    }

    return ctx;
}


static void
ngx_http_rtk_ctx_cleanup(void *data)
{
    /* only marks the context, see ngx_http_rtk_get_ctx() */
}


/*
 * $request_id, made once per request as nginx would (32 hex digits of
 * 16 random bytes), but from a pool that one RAND_bytes() call fills for
 * 256 requests, instead of a call per request.  An id is no secret.
 * Whoever asks for $request_id later gets this value.
 */

ngx_http_variable_value_t *
ngx_http_rtk_request_id_value(ngx_http_request_t *r)
{
    u_char                     *id;
    ngx_http_variable_value_t  *vv;

    vv = &r->variables[ngx_http_rtk_request_id_index];

    if (vv->valid || vv->not_found) {
        return vv;
    }

    if (ngx_http_rtk_id_left < NGX_HTTP_RTK_ID_LEN
        || ngx_http_rtk_id_pid != ngx_pid)
    {
        if (RAND_bytes(ngx_http_rtk_id_pool, NGX_HTTP_RTK_ID_POOL) != 1) {
            return ngx_http_get_indexed_variable(r,
                                                ngx_http_rtk_request_id_index);
        }

        ngx_http_rtk_id_left = NGX_HTTP_RTK_ID_POOL;
        ngx_http_rtk_id_pid = ngx_pid;
    }

    id = ngx_pnalloc(r->pool, 2 * NGX_HTTP_RTK_ID_LEN);
    if (id == NULL) {
        return NULL;
    }

    ngx_http_rtk_id_left -= NGX_HTTP_RTK_ID_LEN;

    vv->len = ngx_hex_dump(id, ngx_http_rtk_id_pool + ngx_http_rtk_id_left,
                           NGX_HTTP_RTK_ID_LEN)
              - id;
    vv->data = id;
    vv->valid = 1;
    vv->no_cacheable = 0;
    vv->not_found = 0;

    return vv;
}


/*
 * The data of one of the module's zones: the previous cycle's after a
 * reload, the master's after a binary upgrade, else zeroed memory of
 * size, and *fresh says so.
 */

void *
ngx_http_rtk_zone_data(ngx_shm_zone_t *shm_zone, void *data, size_t size,
    ngx_uint_t *fresh)
{
    ngx_slab_pool_t  *shpool;

    if (fresh) {
        *fresh = 0;
    }

    if (data) {
        shm_zone->data = data;
        return data;
    }

    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        shm_zone->data = shpool->data;
        return shpool->data;
    }

    data = ngx_slab_calloc(shpool, size);
    if (data == NULL) {
        return NULL;
    }

    if (fresh) {
        *fresh = 1;
    }

    shpool->data = data;
    shm_zone->data = data;

    return data;
}


/* the status the client got, or 499 if it went away before an answer */

ngx_uint_t
ngx_http_rtk_status(ngx_http_request_t *r)
{
    ngx_uint_t  status;

    status = r->err_status ? r->err_status : r->headers_out.status;

    if (r->connection->error && status == 0) {
        status = NGX_HTTP_CLIENT_CLOSED_REQUEST;
    }

    return status;
}


ngx_int_t
ngx_http_rtk_allow(ngx_http_request_t *r, const char *methods)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Allow");
    h->value.data = (u_char *) methods;
    h->value.len = ngx_strlen(methods);

    return NGX_OK;
}


static ngx_int_t
ngx_http_rtk_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    /*
     * PRECONTENT, not ACCESS: every access module (auth_basic,
     * auth_request, allow/deny) has run and set the identity, and
     * "satisfy any" cannot skip the gateway.
     */

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_SERVER_REWRITE_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_rtk_rewrite_handler;

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_REWRITE_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_rtk_rewrite_handler;

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_PRECONTENT_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_rtk_precontent_handler;

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_rtk_log_handler;

    ngx_http_rtk_request_id_index = ngx_http_get_variable_index(cf,
                                                &ngx_http_rtk_request_id_var);
    if (ngx_http_rtk_request_id_index == NGX_ERROR) {
        return NGX_ERROR;
    }

    ngx_http_rtk_content_type.hash = ngx_hash_key(
                                      ngx_http_rtk_content_type.lowcase.data,
                                      ngx_http_rtk_content_type.lowcase.len);
    ngx_http_rtk_request_id.hash = ngx_hash_key(
                                        ngx_http_rtk_request_id.lowcase.data,
                                        ngx_http_rtk_request_id.lowcase.len);

    if (ngx_http_rtk_metrics_init(cf) != NGX_OK
        || ngx_http_rtk_attach(cf) != NGX_OK
        || ngx_http_rtk_audit_check(cf) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_http_rtk_error_init(cf);
}


static void *
ngx_http_rtk_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_rtk_main_conf_t  *rmcf;

    rmcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_rtk_main_conf_t));
    if (rmcf == NULL) {
        return NULL;
    }

    if (ngx_array_init(&rmcf->audits, cf->pool, 1,
                       sizeof(ngx_http_rtk_audit_t *))
        != NGX_OK
        || ngx_array_init(&rmcf->secrets, cf->pool, 2,
                          sizeof(ngx_http_rtk_secret_t *))
           != NGX_OK
        || ngx_array_init(&rmcf->gateways, cf->pool, 4,
                          sizeof(ngx_http_rtk_loc_conf_t *))
           != NGX_OK)
    {
        return NULL;
    }

    rmcf->dumpable = NGX_CONF_UNSET;

    rmcf->metrics = ngx_http_rtk_metrics_create_conf(cf);
    if (rmcf->metrics == NULL) {
        return NULL;
    }

    return rmcf;
}


static char *
ngx_http_rtk_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_rtk_main_conf_t *rmcf = conf;

    ngx_conf_init_value(rmcf->dumpable, 0);

    return NGX_CONF_OK;
}


static void *
ngx_http_rtk_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_rtk_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_rtk_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conf->policy = NULL;
     *     conf->upstream_handler = NULL;
     *     conf->proxy = NULL;
     *     conf->file = NULL;
     */

    conf->gateway = NGX_CONF_UNSET;
    conf->envelope = NGX_CONF_UNSET;
    conf->identity = NGX_CONF_UNSET_PTR;
    conf->tokens = NGX_CONF_UNSET_PTR;
    conf->audit = NGX_CONF_UNSET_PTR;
    conf->body_max_size = NGX_CONF_UNSET_SIZE;

    return conf;
}


/*
 * Merges values only; locations with the gateway on are recorded, then
 * checked and attached to their proxy module in ngx_http_rtk_attach().
 */

static char *
ngx_http_rtk_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_rtk_loc_conf_t *prev = parent;
    ngx_http_rtk_loc_conf_t *conf = child;

    ngx_http_rtk_loc_conf_t   **gw;
    ngx_http_core_loc_conf_t   *clcf;
    ngx_http_rtk_main_conf_t   *rmcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    /*
     * Like proxy_pass, the gateway is not inherited by nested locations;
     * but limit_except and "if" blocks are the same location, and the
     * proxy module hands them its handler.
     */

    if (conf->gateway == NGX_CONF_UNSET) {
        conf->gateway = (clcf->lmt_excpt || clcf->noname) ? prev->gateway : 0;

        if (conf->gateway) {
            conf->parent = prev;
            conf->file = prev->file;
            conf->line = prev->line;
        }
    }

    /* unset stays unset: a gateway turns it on, an explicit "off" fails */
    ngx_conf_merge_value(conf->envelope, prev->envelope, NGX_CONF_UNSET);
    ngx_conf_merge_ptr_value(conf->identity, prev->identity, NULL);
    ngx_conf_merge_ptr_value(conf->tokens, prev->tokens, NULL);
    ngx_conf_merge_ptr_value(conf->audit, prev->audit, NGX_CONF_UNSET_PTR);
    ngx_conf_merge_size_value(conf->body_max_size, prev->body_max_size,
                              64 * 1024);

    if (conf->policy == NULL) {
        conf->policy = prev->policy;
    }

    if (!conf->gateway) {
        return NGX_CONF_OK;
    }

    ngx_http_rtk_record_location(cf, conf);

    rmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_rtk_module);

    gw = ngx_array_push(&rmcf->gateways);
    if (gw == NULL) {
        return NGX_CONF_ERROR;
    }

    *gw = conf;

    return NGX_CONF_OK;
}


static char *
ngx_http_rtk_gateway(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_rtk_loc_conf_t *rlcf = conf;

    char  *rv;

    rv = ngx_conf_set_flag_slot(cf, cmd, conf);

    if (rv == NGX_CONF_OK) {
        rlcf->file = cf->conf_file->file.name.data;
        rlcf->line = cf->conf_file->line;
    }

    return rv;
}


static char *
ngx_http_rtk_policy(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_rtk_loc_conf_t *rlcf = conf;

    ngx_str_t           *value, file;
    rtk_error_t          err;
    rtk_policy_t        *policy;
    ngx_pool_cleanup_t  *cln;

    if (rlcf->policy != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;
    file = value[1];

    if (ngx_conf_full_name(cf->cycle, &file, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(&err, sizeof(rtk_error_t));

    policy = rtk_policy_load((char *) file.data, &err);

    if (policy == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid policy: %s",
                           err.message);
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_rtk_policy_cleanup;
    cln->data = policy;

    rlcf->policy = policy;

    return NGX_CONF_OK;
}


static void
ngx_http_rtk_policy_cleanup(void *data)
{
    rtk_policy_free(data);
}


/*
 * Workers of a configuration with a gateway hold the token: no other
 * process of their user may read their memory or dump it, unless the
 * operator asks for core dumps with "rtk_worker_dumpable on".  Locks on
 * secret pages are not inherited by fork(), so they are taken again.
 */

static ngx_int_t
ngx_http_rtk_init_process(ngx_cycle_t *cycle)
{
    ngx_uint_t                 i;
    ngx_http_rtk_secret_t    **secret;
    ngx_http_rtk_main_conf_t  *rmcf;

    rmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_rtk_module);

    if (rmcf == NULL || rmcf->gateways.nelts == 0) {
        return NGX_OK;
    }

#if (NGX_HAVE_PR_SET_DUMPABLE)

    if (!rmcf->dumpable && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1) {
        ngx_log_error(NGX_LOG_ALERT, cycle->log, ngx_errno,
                      "prctl(PR_SET_DUMPABLE, 0) failed");
        return NGX_ERROR;
    }

#endif

    secret = rmcf->secrets.elts;

    for (i = 0; i < rmcf->secrets.nelts; i++) {
        ngx_http_rtk_secret_lock(cycle->log, secret[i]);
    }

    ngx_http_rtk_init_direct(cycle, rmcf);

    return ngx_http_rtk_summary_init_process(cycle, rmcf);
}


static void
ngx_http_rtk_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_rtk_summary_exit_process(cycle);
    ngx_http_rtk_audit_exit_process(cycle);
}


/*
 * A decided request goes straight on to its location's content step
 * (ngx_http_rtk_continue()) rather than through the phase engine again,
 * where nothing else would run in between: the precontent phase holds
 * no handlers but the gateway's and those of nginx's try_files and
 * mirror modules, and the location uses neither.  Run once every module
 * has added its handlers.  Their settings are read as auth_basic's are
 * (ngx_http_rtk_attach.c).
 */

static void
ngx_http_rtk_init_direct(ngx_cycle_t *cycle, ngx_http_rtk_main_conf_t *rmcf)
{
    static char  *precontent[] = {
        "ngx_http_try_files_module",
        "ngx_http_mirror_module",
        NULL
    };

    ngx_uint_t                       i, j, n, found[2];
    ngx_module_t                    *module;
    ngx_http_rtk_loc_conf_t        **gw;
    ngx_http_core_loc_conf_t        *clcf;
    ngx_http_core_main_conf_t       *cmcf;
    ngx_http_rtk_precontent_conf_t  *pcf;

    cmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_core_module);

    n = 0;

    for (i = 0; cycle->modules[i]; i++) {
        module = cycle->modules[i];

        for (j = 0; precontent[j]; j++) {
            if (module->type == NGX_HTTP_MODULE && n < 2
                && ngx_strcmp(module->name, precontent[j]) == 0)
            {
                found[n++] = module->ctx_index;
            }
        }
    }

    /* and the gateway's own */

    if (cmcf->phases[NGX_HTTP_PRECONTENT_PHASE].handlers.nelts != n + 1) {
        return;
    }

    gw = rmcf->gateways.elts;

    for (i = 0; i < rmcf->gateways.nelts; i++) {
        clcf = gw[i]->clcf;

        for (j = 0; j < n; j++) {
            pcf = clcf->loc_conf[found[j]];

            if (pcf->used != NULL) {
                break;
            }
        }

        gw[i]->direct = (j == n);
    }
}
