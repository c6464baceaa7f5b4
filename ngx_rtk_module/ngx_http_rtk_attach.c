
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * Checks every gateway location once the configuration is complete, so
 * that "nginx -t" refuses any setup that would let the token go anywhere
 * but to the verified upstream of the location that decided, then
 * attaches the gateway to the location's proxy module.
 *
 * Some settings belong to other modules.  Where a module keeps them in
 * a public structure (the core and SSL modules, upstreams) they are read
 * as such.  ngx_http_upstream_conf_t is the first member of the proxy
 * module's location configuration, and the realm pointer the first of
 * auth_basic's, as in every nginx release so far; the gateway relies on
 * that layout, and t/18_custody.py tests it on the nginx it runs with.
 * Where proxy_set_header and proxy_set_body keep their values, the proxy
 * module's own command table says.
 */


#include "ngx_http_rtk.h"


static char *ngx_http_rtk_check_identity(ngx_conf_t *cf,
    ngx_http_rtk_loc_conf_t *rlcf);
static char *ngx_http_rtk_check_proxy(ngx_conf_t *cf,
    ngx_http_rtk_loc_conf_t *rlcf);
static ngx_uint_t ngx_http_rtk_local_upstream(
    ngx_http_upstream_srv_conf_t *uscf);
static ngx_uint_t ngx_http_rtk_local_address(struct sockaddr *sa);
static char *ngx_http_rtk_check_proxy_headers(ngx_conf_t *cf,
    ngx_http_rtk_loc_conf_t *rlcf);
static void *ngx_http_rtk_proxy_setting(ngx_http_rtk_loc_conf_t *rlcf,
    char *directive);
static ngx_uint_t ngx_http_rtk_has_code(ngx_array_t *codes, void *code);
static ngx_uint_t ngx_http_rtk_uses(ngx_str_t *s, char *var);


extern ngx_module_t  ngx_http_proxy_module;
extern ngx_module_t  ngx_http_auth_basic_module;
extern ngx_module_t  ngx_http_rewrite_module;


/* the first member of ngx_http_auth_basic_loc_conf_t */

typedef struct {
    ngx_http_complex_value_t  *realm;
} ngx_http_rtk_auth_basic_conf_t;


/* the first member of ngx_http_rewrite_loc_conf_t */

typedef struct {
    ngx_array_t               *codes;
} ngx_http_rtk_rewrite_conf_t;


/*
 * The loc confs of the other modules, found while merging, when cf
 * still points into the location.
 */

void
ngx_http_rtk_record_location(ngx_conf_t *cf, ngx_http_rtk_loc_conf_t *rlcf)
{
    rlcf->clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    rlcf->proxy = ngx_http_conf_get_module_loc_conf(cf,
                                                    ngx_http_proxy_module);
    rlcf->auth_basic = ngx_http_conf_get_module_loc_conf(cf,
                                                ngx_http_auth_basic_module);
    rlcf->rewrite = ngx_http_conf_get_module_loc_conf(cf,
                                                     ngx_http_rewrite_module);
#if (NGX_HTTP_SSL)
    rlcf->ssl = ngx_http_conf_get_module_srv_conf(cf, ngx_http_ssl_module);
#endif
}


ngx_int_t
ngx_http_rtk_attach(ngx_conf_t *cf)
{
    const char                 *missing;
    ngx_uint_t                  i;
    ngx_http_rtk_loc_conf_t    *rlcf, **gw;
    ngx_http_core_loc_conf_t   *clcf;
    ngx_http_rtk_main_conf_t   *rmcf;

    rmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_rtk_module);
    gw = rmcf->gateways.elts;

    for (i = 0; i < rmcf->gateways.nelts; i++) {
        rlcf = gw[i];
        clcf = rlcf->clcf;

        missing = NULL;

        if (rlcf->identity == NULL) {
            missing = "rtk_identity";

        } else if (rlcf->policy == NULL) {
            missing = "rtk_policy";

        } else if (rlcf->tokens == NULL) {
            missing = "rtk_token_file";

        } else if (rlcf->audit == NGX_CONF_UNSET_PTR) {
            missing = "rtk_audit_log (a file, or \"off\")";
        }

        if (missing) {
            ngx_http_rtk_conf_error(cf, rlcf, NGX_LOG_EMERG,
                                    "\"rtk_gateway\" in location \"%V\" "
                                    "needs %s", &clcf->name, missing);
            return NGX_ERROR;
        }

        if (rlcf->envelope == 0) {
            ngx_http_rtk_conf_error(cf, rlcf, NGX_LOG_EMERG,
                                    "\"rtk_error_envelope off\" cannot be "
                                    "used with \"rtk_gateway on\" in "
                                    "location \"%V\"", &clcf->name);
            return NGX_ERROR;
        }

        rlcf->envelope = 1;

        if (ngx_http_rtk_check_identity(cf, rlcf) != NGX_CONF_OK
            || ngx_http_rtk_check_proxy(cf, rlcf) != NGX_CONF_OK)
        {
            return NGX_ERROR;
        }

        /* an "if" block without a handler runs its location's */

        if (clcf->handler == NULL && rlcf->parent != NULL) {
            rlcf->upstream_handler = rlcf->parent->upstream_handler;

        } else if (clcf->handler == NULL) {
            ngx_http_rtk_conf_error(cf, rlcf, NGX_LOG_EMERG,
                                    "\"rtk_gateway\" in location \"%V\" "
                                    "needs proxy_pass", &clcf->name);
            return NGX_ERROR;

        } else {
            rlcf->upstream_handler = clcf->handler;
            clcf->handler = ngx_http_rtk_content_handler;
        }

        /* Cloudflare has no business steering nginx: X-Accel-* ignored */

        rlcf->proxy->ignore_headers |= NGX_HTTP_UPSTREAM_IGN_XA_REDIRECT
                                       |NGX_HTTP_UPSTREAM_IGN_XA_EXPIRES
                                       |NGX_HTTP_UPSTREAM_IGN_XA_LIMIT_RATE
                                       |NGX_HTTP_UPSTREAM_IGN_XA_BUFFERING
                                       |NGX_HTTP_UPSTREAM_IGN_XA_CHARSET;

        /* nginx then refuses larger bodies, chunked ones too, while reading */

        if (clcf->client_max_body_size == 0
            || clcf->client_max_body_size > (off_t) rlcf->body_max_size)
        {
            clcf->client_max_body_size = rlcf->body_max_size;
        }
    }

    return NGX_OK;
}


/* an identity a client could choose is no identity */

static char *
ngx_http_rtk_check_identity(ngx_conf_t *cf, ngx_http_rtk_loc_conf_t *rlcf)
{
    ngx_str_t                       *source;
    ngx_http_complex_value_t        *realm;
    ngx_http_rtk_auth_basic_conf_t  *abcf;

    source = &rlcf->identity->value;

    if (rlcf->identity->lengths == NULL) {
        ngx_http_rtk_conf_error(cf, rlcf, NGX_LOG_EMERG,
                                "\"rtk_identity %V\" is a constant, it must "
                                "contain a variable that names the caller",
                                source);
        return NGX_CONF_ERROR;
    }

    if (ngx_http_rtk_uses(source, "remote_user")) {
        rlcf->access_identity = 1;

        abcf = rlcf->auth_basic;
        realm = abcf->realm;

        if (realm == NULL
            || (realm->lengths == NULL && realm->value.len == 3
                && ngx_strncmp(realm->value.data, "off", 3) == 0))
        {
            ngx_http_rtk_conf_error(cf, rlcf, NGX_LOG_EMERG,
                                    "\"rtk_identity\" uses $remote_user "
                                    "without auth_basic in location \"%V\": "
                                    "any client could claim any name",
                                    &rlcf->clcf->name);
            return NGX_CONF_ERROR;
        }

        if (rlcf->clcf->satisfy == NGX_HTTP_SATISFY_ANY) {
            ngx_http_rtk_conf_error(cf, rlcf, NGX_LOG_EMERG,
                                    "\"rtk_identity\" uses $remote_user "
                                    "under \"satisfy any\" in location "
                                    "\"%V\": another access module may let "
                                    "an unchecked name through",
                                    &rlcf->clcf->name);
            return NGX_CONF_ERROR;
        }
    }

#if (NGX_HTTP_SSL)

    if (ngx_http_rtk_uses(source, "ssl_client_")
        && (rlcf->ssl == NULL || rlcf->ssl->verify == 0
            || rlcf->ssl->verify == 3))
    {
        ngx_http_rtk_conf_error(cf, rlcf, NGX_LOG_EMERG,
                                "\"rtk_identity\" uses a client certificate "
                                "but the server does not verify one "
                                "(\"ssl_verify_client on\" or \"optional\")");
        return NGX_CONF_ERROR;
    }

#endif

    return NGX_CONF_OK;
}


static char *
ngx_http_rtk_check_proxy(ngx_conf_t *cf, ngx_http_rtk_loc_conf_t *rlcf)
{
    ngx_str_t                     *name;
    ngx_http_upstream_conf_t      *proxy;
    ngx_http_rtk_rewrite_conf_t   *rwcf;

    proxy = rlcf->proxy;
    name = &rlcf->clcf->name;

    if (proxy->upstream == NULL) {
        ngx_http_rtk_conf_error(cf, rlcf, NGX_LOG_EMERG,
                                "\"rtk_gateway\" in location \"%V\" needs "
                                "proxy_pass to a fixed URL or upstream, "
                                "without variables", name);
        return NGX_CONF_ERROR;
    }

    if (!proxy->pass_request_headers || !proxy->pass_request_body) {
        ngx_http_rtk_conf_error(cf, rlcf, NGX_LOG_EMERG,
                                "\"proxy_pass_request_headers off\" and "
                                "\"proxy_pass_request_body off\" cannot be "
                                "used in gateway location \"%V\"", name);
        return NGX_CONF_ERROR;
    }

#if (NGX_HTTP_SSL)

    if (proxy->ssl != NULL) {
        if (!proxy->ssl_verify) {
            ngx_http_rtk_conf_error(cf, rlcf, NGX_LOG_EMERG,
                                    "https upstream of gateway location "
                                    "\"%V\" needs \"proxy_ssl_verify on\"",
                                    name);
            return NGX_CONF_ERROR;
        }

    } else
#endif
    if (!ngx_http_rtk_local_upstream(proxy->upstream)) {
        ngx_http_rtk_conf_error(cf, rlcf, NGX_LOG_EMERG,
                                "plain http upstream \"%V\" of gateway "
                                "location \"%V\" is not on loopback, use "
                                "https with \"proxy_ssl_verify on\"",
                                &proxy->upstream->host, name);
        return NGX_CONF_ERROR;
    }

    if (ngx_http_rtk_check_proxy_headers(cf, rlcf) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    rwcf = rlcf->rewrite;

    if (rwcf->codes
        && (ngx_http_rtk_has_code(rwcf->codes,
                                  (void *) ngx_http_script_return_code)
            || ngx_http_rtk_has_code(rwcf->codes,
                                  (void *) ngx_http_script_regex_start_code)))
    {
        ngx_http_rtk_conf_error(cf, rlcf, NGX_LOG_WARN,
                                "\"return\" or \"rewrite\" in gateway "
                                "location \"%V\" acts before the gateway "
                                "decides", name);
    }

    return NGX_CONF_OK;
}


/*
 * The token is the only credential, the canonical body the only body,
 * and the method the one the gateway decided on.
 */

static char *
ngx_http_rtk_check_proxy_headers(ngx_conf_t *cf,
    ngx_http_rtk_loc_conf_t *rlcf)
{
    ngx_str_t                  *body;
    ngx_uint_t                  i;
    ngx_array_t               **headers;
    ngx_keyval_t               *kv;
    ngx_http_complex_value_t  **method;

    headers = ngx_http_rtk_proxy_setting(rlcf, "proxy_set_header");

    if (headers != NULL && *headers != NULL) {
        kv = (*headers)->elts;

        for (i = 0; i < (*headers)->nelts; i++) {
            if (!ngx_http_rtk_credential(kv[i].key.data, kv[i].key.len)) {
                continue;
            }

            ngx_http_rtk_conf_error(cf, rlcf, NGX_LOG_EMERG,
                                    "\"proxy_set_header %V\" cannot be "
                                    "used in gateway location \"%V\": the "
                                    "gateway alone sends credentials",
                                    &kv[i].key, &rlcf->clcf->name);
            return NGX_CONF_ERROR;
        }
    }

    method = ngx_http_rtk_proxy_setting(rlcf, "proxy_method");

    if (method != NULL && *method != NULL) {
        ngx_http_rtk_conf_error(cf, rlcf, NGX_LOG_EMERG,
                                "\"proxy_method\" cannot be used in gateway "
                                "location \"%V\": the method is part of "
                                "what the gateway decided",
                                &rlcf->clcf->name);
        return NGX_CONF_ERROR;
    }

    body = ngx_http_rtk_proxy_setting(rlcf, "proxy_set_body");

    if (body != NULL && body->data != NULL) {
        ngx_http_rtk_conf_error(cf, rlcf, NGX_LOG_EMERG,
                                "\"proxy_set_body\" cannot be used in "
                                "gateway location \"%V\": the gateway "
                                "sends the validated body",
                                &rlcf->clcf->name);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* a proxy module setting stored by a standard slot, where it says */

static void *
ngx_http_rtk_proxy_setting(ngx_http_rtk_loc_conf_t *rlcf, char *directive)
{
    size_t          len;
    ngx_command_t  *cmd;

    len = ngx_strlen(directive);

    for (cmd = ngx_http_proxy_module.commands; cmd->name.len; cmd++) {
        if (cmd->name.len == len
            && ngx_strncmp(cmd->name.data, directive, len) == 0
            && cmd->conf == NGX_HTTP_LOC_CONF_OFFSET)
        {
            return (u_char *) rlcf->proxy + cmd->offset;
        }
    }

    return NULL;
}


/* every address of the upstream on loopback, or a unix socket */

static ngx_uint_t
ngx_http_rtk_local_upstream(ngx_http_upstream_srv_conf_t *uscf)
{
    ngx_uint_t                      i, j;
    ngx_http_upstream_server_t     *server;
    ngx_http_upstream_rr_peer_t    *peer;
    ngx_http_upstream_rr_peers_t   *peers;

    if (uscf->servers != NULL) {
        server = uscf->servers->elts;

        for (i = 0; i < uscf->servers->nelts; i++) {

            if (server[i].naddrs == 0) {
                return 0;
            }

            for (j = 0; j < server[i].naddrs; j++) {
                if (!ngx_http_rtk_local_address(server[i].addrs[j].sockaddr))
                {
                    return 0;
                }
            }
        }

        return uscf->servers->nelts > 0;
    }

    /* an implicit upstream with several addresses, resolved by now */

    if (uscf->peer.init_upstream != NULL
        && uscf->peer.init_upstream != ngx_http_upstream_init_round_robin)
    {
        return 0;
    }

    for (peers = uscf->peer.data; peers; peers = peers->next) {
        for (peer = peers->peer; peer; peer = peer->next) {
            if (!ngx_http_rtk_local_address(peer->sockaddr)) {
                return 0;
            }
        }
    }

    return uscf->peer.data != NULL;
}


static ngx_uint_t
ngx_http_rtk_local_address(struct sockaddr *sa)
{
    struct sockaddr_in   *sin;
#if (NGX_HAVE_INET6)
    struct sockaddr_in6  *sin6;
#endif

    switch (sa->sa_family) {

#if (NGX_HAVE_INET6)
    case AF_INET6:
        sin6 = (struct sockaddr_in6 *) sa;
        return IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr);
#endif

#if (NGX_HAVE_UNIX_DOMAIN)
    case AF_UNIX:
        return 1;
#endif

    case AF_INET:
        sin = (struct sockaddr_in *) sa;
        return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;

    default:
        return 0;
    }
}


/*
 * The rewrite module's compiled codes are a sequence of structures that
 * each start with a code pointer; a word equal to the address of a code
 * function is that code.
 */

static ngx_uint_t
ngx_http_rtk_has_code(ngx_array_t *codes, void *code)
{
    uintptr_t  *p, *last;

    p = codes->elts;
    last = (uintptr_t *) ((u_char *) codes->elts
                          + codes->nelts * codes->size);

    for ( /* void */ ; p < last; p++) {
        if (*p == (uintptr_t) code) {
            return 1;
        }
    }

    return 0;
}


/* "$name" or "${name}" in a complex value's source; name may be a prefix */

static ngx_uint_t
ngx_http_rtk_uses(ngx_str_t *s, char *var)
{
    u_char  *p, *last;
    size_t   len;

    len = ngx_strlen(var);
    last = s->data + s->len;

    for (p = s->data; p < last; p++) {
        if (*p != '$') {
            continue;
        }

        if (p + 1 < last && p[1] == '{') {
            p++;
        }

        if ((size_t) (last - p - 1) >= len
            && ngx_strncmp(p + 1, var, len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


/* like ngx_conf_log_error(), at the line of "rtk_gateway on" */

void
ngx_http_rtk_conf_error(ngx_conf_t *cf, ngx_http_rtk_loc_conf_t *rlcf,
    ngx_uint_t level, const char *fmt, ...)
{
    u_char   *p, *last;
    va_list   args;
    u_char    errstr[NGX_MAX_CONF_ERRSTR];

    last = errstr + NGX_MAX_CONF_ERRSTR;

    va_start(args, fmt);
    p = ngx_vslprintf(errstr, last, fmt, args);
    va_end(args);

    ngx_log_error(level, cf->log, 0, "%*s in %s:%ui",
                  p - errstr, errstr, rlcf->file, rlcf->line);
}
