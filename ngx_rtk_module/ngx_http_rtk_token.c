
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * Cloudflare API tokens and the audit key: read once by the master from
 * files only its user can read, kept in secret memory, and cleansed when
 * the cycle that loaded them goes away.
 */


#include <sys/mman.h>
#include <sys/syscall.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "ngx_http_rtk.h"


#define NGX_HTTP_RTK_BEARER      "Bearer "


static char *ngx_http_rtk_secret_parse(ngx_conf_t *cf, const char *what,
    ngx_str_t *name, ngx_str_t *out, size_t prefix, size_t n, size_t min);
static u_char *ngx_http_rtk_secret_alloc(ngx_conf_t *cf, size_t size);
static u_char *ngx_http_rtk_secret_map(ngx_log_t *log, size_t size,
    ngx_uint_t *secretmem);
static void ngx_http_rtk_secret_cleanup(void *data);


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
                                 &bearer, 1, &token->header)
        != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_rtk_fingerprint(token->header.data + bearer.len,
                                 token->header.len - bearer.len,
                                 token->fingerprint)
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
 * Reads a one-line secret from a file only the master's user may read,
 * into memory kept out of core dumps, after an optional prefix: out is
 * the prefix followed by the secret, so that no second copy is ever made.
 * The file is opened without blocking (a FIFO must not hang "nginx -t")
 * and checked before a byte is read.
 */

char *
ngx_http_rtk_secret_load(ngx_conf_t *cf, const char *what, ngx_str_t *name,
    ngx_str_t *prefix, size_t min, ngx_str_t *out)
{
    char             *rv;
    u_char           *buf;
    ssize_t           n;
    ngx_fd_t          fd;
    ngx_file_t        file;
    ngx_file_info_t   fi;

    fd = ngx_open_file(name->data,
                       NGX_FILE_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY,
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

    if (fi.st_uid != geteuid()) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%s \"%s\" is owned by uid %d, it must be "
                           "owned by the user nginx starts as (uid %d)",
                           what, name->data, (int) fi.st_uid,
                           (int) geteuid());
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

    /* the secret and a CRLF at most: the exact limit is checked below */

    if (ngx_file_size(&fi) > NGX_HTTP_RTK_SECRET_MAX + 2) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%s \"%s\" is too large, a secret is at most "
                           "%d bytes", what, name->data,
                           NGX_HTTP_RTK_SECRET_MAX);
        goto done;
    }

    buf = ngx_http_rtk_secret_alloc(cf, prefix->len
                                        + NGX_HTTP_RTK_SECRET_MAX + 3);
    if (buf == NULL) {
        goto done;
    }

    ngx_memzero(&file, sizeof(ngx_file_t));
    file.fd = fd;
    file.name = *name;
    file.log = cf->log;

    n = ngx_read_file(&file, buf + prefix->len, NGX_HTTP_RTK_SECRET_MAX + 3,
                      0);

    if (n == NGX_ERROR) {
        goto done;
    }

    if (prefix->len) {
        ngx_memcpy(buf, prefix->data, prefix->len);
    }

    out->data = buf;

    rv = ngx_http_rtk_secret_parse(cf, what, name, out, prefix->len,
                                   (size_t) n, min);

done:

    if (ngx_close_file(fd) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_ALERT, cf, ngx_errno,
                           ngx_close_file_n " \"%s\" failed", name->data);
    }

    return rv;
}


static char *
ngx_http_rtk_secret_parse(ngx_conf_t *cf, const char *what, ngx_str_t *name,
    ngx_str_t *out, size_t prefix, size_t n, size_t min)
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

    if (len > NGX_HTTP_RTK_SECRET_MAX) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%s \"%s\" is too large, a secret is at most "
                           "%d bytes", what, name->data,
                           NGX_HTTP_RTK_SECRET_MAX);
        return NGX_CONF_ERROR;
    }

    if (len < min) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%s \"%s\" holds %uz bytes, at least %uz "
                           "bytes are required", what, name->data, len, min);
        return NGX_CONF_ERROR;
    }

    /* after the secret's line only one line break may follow */

    if (p < last && *p == CR) {
        p++;
    }

    if (p < last && *p == LF) {
        p++;
    }

    if (p != last) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%s \"%s\" holds more than one line, "
                           "exactly one is expected", what, name->data);
        return NGX_CONF_ERROR;
    }

    out->len = prefix + len;

    return NGX_CONF_OK;
}


/*
 * Secret memory: memfd_secret(2) where the kernel offers it (never
 * swapped, never dumped, and unreadable through /proc/PID/mem even by
 * root); else anonymous pages excluded from core dumps and locked, and
 * locked again in each worker, since locks are not inherited by fork().
 */

static u_char *
ngx_http_rtk_secret_alloc(ngx_conf_t *cf, size_t size)
{
    u_char                    *p;
    ngx_pool_cleanup_t        *cln;
    ngx_http_rtk_secret_t     *secret;
    ngx_http_rtk_main_conf_t  *rmcf;

    size = ngx_align(size, ngx_pagesize);

    cln = ngx_pool_cleanup_add(cf->pool, sizeof(ngx_http_rtk_secret_t));
    if (cln == NULL) {
        return NULL;
    }

    secret = cln->data;
    ngx_memzero(secret, sizeof(ngx_http_rtk_secret_t));

    p = ngx_http_rtk_secret_map(cf->log, size, &secret->secretmem);
    if (p == NULL) {
        return NULL;
    }

    secret->data = p;
    secret->size = size;

    cln->handler = ngx_http_rtk_secret_cleanup;

    if (!secret->secretmem) {

#if (NGX_LINUX)
        if (madvise(p, size, MADV_DONTDUMP) == -1) {
            ngx_log_error(NGX_LOG_WARN, cf->log, ngx_errno,
                          "madvise(MADV_DONTDUMP) for a secret failed");
        }
#endif

        ngx_http_rtk_secret_lock(cf->log, secret);
    }

    rmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_rtk_module);

    if (ngx_array_push(&rmcf->secrets) == NULL) {
        return NULL;
    }

    ((ngx_http_rtk_secret_t **) rmcf->secrets.elts)[rmcf->secrets.nelts - 1]
        = secret;

    return p;
}


static u_char *
ngx_http_rtk_secret_map(ngx_log_t *log, size_t size, ngx_uint_t *secretmem)
{
    u_char  *p;

#if (NGX_LINUX && defined SYS_memfd_secret)
    int      fd;

    fd = syscall(SYS_memfd_secret, O_CLOEXEC);

    if (fd != -1) {
        p = MAP_FAILED;

        if (ftruncate(fd, size) == 0) {
            p = mmap(NULL, size, PROT_READ|PROT_WRITE, MAP_SHARED, fd, 0);
        }

        (void) close(fd);

        if (p != MAP_FAILED) {
            *secretmem = 1;
            return p;
        }
    }

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, log, ngx_errno,
                   "memfd_secret() is not available");
#endif

    p = mmap(NULL, size, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS,
             -1, 0);

    if (p == MAP_FAILED) {
        ngx_log_error(NGX_LOG_EMERG, log, ngx_errno,
                      "mmap(%uz) for a secret failed", size);
        return NULL;
    }

    *secretmem = 0;

    return p;
}


void
ngx_http_rtk_secret_lock(ngx_log_t *log, ngx_http_rtk_secret_t *secret)
{
    if (secret->secretmem) {
        return;
    }

    if (mlock(secret->data, secret->size) == -1) {
        ngx_log_error(NGX_LOG_NOTICE, log, ngx_errno,
                      "mlock() of a secret failed, it may be swapped out");
    }
}


static void
ngx_http_rtk_secret_cleanup(void *data)
{
    ngx_http_rtk_secret_t  *secret = data;

    if (secret->data == NULL) {
        return;
    }

    OPENSSL_cleanse(secret->data, secret->size);

    if (!secret->secretmem) {
        (void) munlock(secret->data, secret->size);
    }

    (void) munmap(secret->data, secret->size);
    secret->data = NULL;
}


/* the first 16 hex digits of a secret's SHA-256: shown, never the secret */

ngx_int_t
ngx_http_rtk_fingerprint(u_char *p, size_t len, u_char *out)
{
    u_char        md[EVP_MAX_MD_SIZE];
    unsigned int  mdlen;

    if (EVP_Digest(p, len, md, &mdlen, EVP_sha256(), NULL) != 1) {
        return NGX_ERROR;
    }

    ngx_hex_dump(out, md, NGX_HTTP_RTK_FINGERPRINT_LEN / 2);

    OPENSSL_cleanse(md, sizeof(md));

    return NGX_OK;
}
