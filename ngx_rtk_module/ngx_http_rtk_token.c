
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * Cloudflare API tokens: read once by the master (as root) from files
 * only root can read, kept in pages excluded from core dumps, and
 * cleansed when the cycle that loaded them goes away.
 */


#include <sys/mman.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "ngx_http_rtk.h"


#define NGX_HTTP_RTK_BEARER      "Bearer "
#define NGX_HTTP_RTK_TOKEN_MAX   1024


typedef struct {
    u_char                *data;
    size_t                 size;
} ngx_http_rtk_secret_t;


static char *ngx_http_rtk_secret_parse(ngx_conf_t *cf, const char *what,
    ngx_str_t *name, ngx_str_t *out, size_t prefix, size_t n);
static u_char *ngx_http_rtk_secret_alloc(ngx_conf_t *cf, size_t size);
static void ngx_http_rtk_secret_cleanup(void *data);
static ngx_int_t ngx_http_rtk_token_fingerprint(ngx_http_rtk_token_t *token,
    u_char *p, size_t len);


char *
ngx_http_rtk_token_file(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_rtk_loc_conf_t *rlcf = conf;

    ngx_str_t             *value, account;
    ngx_uint_t             i;
    ngx_http_rtk_token_t  *token, *t;

    static ngx_str_t  bearer = ngx_string(NGX_HTTP_RTK_BEARER);

    value = cf->args->elts;

    if (rlcf->tokens == NGX_CONF_UNSET_PTR) {
        rlcf->tokens = ngx_array_create(cf->pool, 2,
                                        sizeof(ngx_http_rtk_token_t));
        if (rlcf->tokens == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    ngx_str_null(&account);

    if (cf->args->nelts == 3) {
        account = value[2];

        if (account.len != RTK_ACCOUNT_ID_LEN) {
            goto invalid_account;
        }

        for (i = 0; i < account.len; i++) {
            if (!((account.data[i] >= '0' && account.data[i] <= '9')
                  || (account.data[i] >= 'a' && account.data[i] <= 'f')))
            {
                goto invalid_account;
            }
        }
    }

    t = rlcf->tokens->elts;

    for (i = 0; i < rlcf->tokens->nelts; i++) {
        if (t[i].account.len == account.len
            && (account.len == 0
                || ngx_strncmp(t[i].account.data, account.data,
                               account.len)
                   == 0))
        {
            if (account.len == 0) {
                return "is duplicate: a default token is already set";
            }

            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "a token for account \"%V\" is already set",
                               &account);
            return NGX_CONF_ERROR;
        }
    }

    token = ngx_array_push(rlcf->tokens);
    if (token == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(token, sizeof(ngx_http_rtk_token_t));

    token->account = account;
    token->file = value[1];

    if (ngx_conf_full_name(cf->cycle, &token->file, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_rtk_secret_load(cf, "token file", &token->file,
                                 &bearer, &token->header)
        != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_rtk_token_fingerprint(token, token->header.data + bearer.len,
                                       token->header.len - bearer.len)
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;

invalid_account:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid account id \"%V\": 32 lowercase hex digits "
                       "expected", &account);
    return NGX_CONF_ERROR;
}


ngx_http_rtk_token_t *
ngx_http_rtk_token_find(ngx_http_rtk_loc_conf_t *rlcf, rtk_route_t *route)
{
    ngx_uint_t             i;
    ngx_http_rtk_token_t  *t, *dflt;

    if (rlcf->tokens == NULL) {
        return NULL;
    }

    dflt = NULL;
    t = rlcf->tokens->elts;

    for (i = 0; i < rlcf->tokens->nelts; i++) {

        if (t[i].account.len == 0) {
            dflt = &t[i];
            continue;
        }

        if (ngx_strncmp(t[i].account.data, route->account,
                        RTK_ACCOUNT_ID_LEN)
            == 0)
        {
            return &t[i];
        }
    }

    return dflt;
}


/*
 * Reads a one-line secret from a file only root may read, into memory
 * kept out of core dumps, after an optional prefix: out is the prefix
 * followed by the secret, so that no second copy is ever made.
 */

char *
ngx_http_rtk_secret_load(ngx_conf_t *cf, const char *what, ngx_str_t *name,
    ngx_str_t *prefix, ngx_str_t *out)
{
    char             *rv;
    u_char           *buf;
    ssize_t           n;
    ngx_fd_t          fd;
    ngx_file_t        file;
    ngx_file_info_t   fi;

    fd = ngx_open_file(name->data, NGX_FILE_RDONLY | O_NOFOLLOW,
                       NGX_FILE_OPEN, 0);

    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_open_file_n " %s \"%s\" failed",
                           what, name->data);
        return NGX_CONF_ERROR;
    }

    rv = NGX_CONF_ERROR;

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_fd_info_n " %s \"%s\" failed",
                           what, name->data);
        goto done;
    }

    if (!ngx_is_file(&fi)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%s \"%s\" is not a regular file",
                           what, name->data);
        goto done;
    }

    if (ngx_file_access(&fi) & (S_IRWXG | S_IRWXO)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%s \"%s\" is accessible by group or "
                           "others (mode 0%d%d%d), it must be 0600 or 0400",
                           what, name->data,
                           (int) (ngx_file_access(&fi) >> 6) & 7,
                           (int) (ngx_file_access(&fi) >> 3) & 7,
                           (int) ngx_file_access(&fi) & 7);
        goto done;
    }

    if (ngx_file_size(&fi) == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%s \"%s\" is empty", what, name->data);
        goto done;
    }

    if (ngx_file_size(&fi) > NGX_HTTP_RTK_TOKEN_MAX) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%s \"%s\" is too large", what, name->data);
        goto done;
    }

    buf = ngx_http_rtk_secret_alloc(cf, prefix->len
                                        + NGX_HTTP_RTK_TOKEN_MAX + 1);
    if (buf == NULL) {
        goto done;
    }

    ngx_memzero(&file, sizeof(ngx_file_t));
    file.fd = fd;
    file.name = *name;
    file.log = cf->log;

    n = ngx_read_file(&file, buf + prefix->len, NGX_HTTP_RTK_TOKEN_MAX + 1,
                      0);

    if (n == NGX_ERROR) {
        goto done;
    }

    if (prefix->len) {
        ngx_memcpy(buf, prefix->data, prefix->len);
    }

    out->data = buf;

    rv = ngx_http_rtk_secret_parse(cf, what, name, out, prefix->len,
                                   (size_t) n);

done:

    if (ngx_close_file(fd) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_ALERT, cf, ngx_errno,
                           ngx_close_file_n " \"%s\" failed", name->data);
    }

    return rv;
}


static char *
ngx_http_rtk_secret_parse(ngx_conf_t *cf, const char *what, ngx_str_t *name,
    ngx_str_t *out, size_t prefix, size_t n)
{
    u_char  *p, *last, *secret;
    size_t   len;

    secret = out->data + prefix;
    last = secret + n;

    for (p = secret; p < last && *p != LF; p++) {

        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')
            || (*p >= '0' && *p <= '9')
            || (*p != '\0' && ngx_strchr("._~+/=-", *p) != NULL))
        {
            continue;
        }

        if (*p == CR && p + 1 < last && p[1] == LF) {
            break;
        }

        /* never echo the byte: it may be part of the secret */

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%s \"%s\" contains a character that "
                           "is not allowed at offset %uz",
                           what, name->data, (size_t) (p - secret));
        return NGX_CONF_ERROR;
    }

    len = p - secret;

    if (len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%s \"%s\" starts with an empty line",
                           what, name->data);
        return NGX_CONF_ERROR;
    }

    /* after the secret's line only line breaks may follow */

    for ( /* void */ ; p < last; p++) {
        if (*p != CR && *p != LF) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "%s \"%s\" holds more than one line, "
                               "exactly one is expected", what, name->data);
            return NGX_CONF_ERROR;
        }
    }

    out->len = prefix + len;

    return NGX_CONF_OK;
}


static u_char *
ngx_http_rtk_secret_alloc(ngx_conf_t *cf, size_t size)
{
    u_char                 *p;
    ngx_pool_cleanup_t     *cln;
    ngx_http_rtk_secret_t  *secret;

    size = ngx_align(size, ngx_pagesize);

    cln = ngx_pool_cleanup_add(cf->pool, sizeof(ngx_http_rtk_secret_t));
    if (cln == NULL) {
        return NULL;
    }

    p = ngx_memalign(ngx_pagesize, size, cf->log);
    if (p == NULL) {
        return NULL;
    }

    ngx_memzero(p, size);

    secret = cln->data;
    secret->data = p;
    secret->size = size;

    cln->handler = ngx_http_rtk_secret_cleanup;

    /* keep the token out of core dumps and swap where the kernel allows */

#if (NGX_LINUX)
    if (madvise(p, size, MADV_DONTDUMP) == -1) {
        ngx_log_error(NGX_LOG_WARN, cf->log, ngx_errno,
                      "madvise(MADV_DONTDUMP) for the token failed");
    }
#endif

    if (mlock(p, size) == -1) {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, cf->log, ngx_errno,
                       "mlock() for the token failed");
    }

    return p;
}


static void
ngx_http_rtk_secret_cleanup(void *data)
{
    ngx_http_rtk_secret_t  *secret = data;

    OPENSSL_cleanse(secret->data, secret->size);
    (void) munlock(secret->data, secret->size);
    ngx_free(secret->data);
}


static ngx_int_t
ngx_http_rtk_token_fingerprint(ngx_http_rtk_token_t *token, u_char *p,
    size_t len)
{
    u_char        md[EVP_MAX_MD_SIZE];
    unsigned int  mdlen;

    if (EVP_Digest(p, len, md, &mdlen, EVP_sha256(), NULL) != 1) {
        return NGX_ERROR;
    }

    ngx_hex_dump(token->fingerprint, md, NGX_HTTP_RTK_FINGERPRINT_LEN / 2);

    OPENSSL_cleanse(md, sizeof(md));

    return NGX_OK;
}
