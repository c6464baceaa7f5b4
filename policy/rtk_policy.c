/*
 * Copyright (C) ngx_rtk_module authors
 *
 * Policy loading (yajl's callback parser, straight into the final
 * structures) and evaluation (hash lookups and small sorted sets).
 */


#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <yajl/yajl_parse.h>

#include "rtk_policy.h"
#include "rtk_json.h"


#define RTK_POLICY_FILE_MAX       (64 * 1024 * 1024)
#define RTK_POLICY_CHUNK          (64 * 1024)
#define RTK_POLICY_ALIGN          16
#define RTK_POLICY_CLIP           64     /* bytes of a value in messages */

#define RTK_MODE_UNSET            0
#define RTK_MODE_ENFORCE          1
#define RTK_MODE_REPORT           2

/* keys of the objects with a fixed set of keys */
#define RTK_KEY_MODE              0x01
#define RTK_KEY_GROUPS            0x02
#define RTK_KEY_ACCOUNTS          0x04
#define RTK_KEY_APPS              0x08
#define RTK_KEY_EDITORS           0x10
#define RTK_KEY_ENABLERS          0x20
#define RTK_KEY_DISABLERS         0x40
#define RTK_KEY_URLS              0x80
#define RTK_KEY_EVENTS            0x100
#define RTK_KEY_FIELDS            0x200

/* what the token that a callback reports looks like */
#define RTK_TOK_STRING            0
#define RTK_TOK_CHAR              1
#define RTK_TOK_NUMBER            2
#define RTK_TOK_NULL              3
#define RTK_TOK_TRUE              4
#define RTK_TOK_FALSE             5


typedef enum {
    RTK_ST_ROOT = 0,
    RTK_ST_ROOT_KEY,
    RTK_ST_MODE,
    RTK_ST_GROUPS,
    RTK_ST_GROUPS_KEY,
    RTK_ST_GROUP,
    RTK_ST_GROUP_ITEM,
    RTK_ST_ACCOUNTS,
    RTK_ST_ACCOUNTS_KEY,
    RTK_ST_ACCOUNT,
    RTK_ST_ACCOUNT_KEY,
    RTK_ST_APPS,
    RTK_ST_APPS_KEY,
    RTK_ST_APP,
    RTK_ST_APP_KEY,
    RTK_ST_LIST,
    RTK_ST_LIST_ITEM,
    RTK_ST_FIELDS,
    RTK_ST_FIELDS_KEY,
    RTK_ST_FIELD_LIST,
    RTK_ST_FIELD_ITEM,
    RTK_ST_DONE
} rtk_policy_state_e;


typedef struct rtk_policy_chunk_s    rtk_policy_chunk_t;
typedef struct rtk_policy_account_s  rtk_policy_account_t;

struct rtk_policy_chunk_s {
    rtk_policy_chunk_t      *next;
    size_t                   size;
    size_t                   used;
};


typedef struct {
    const unsigned char     *key;
    size_t                   len;
    void                    *value;
    uint32_t                 hash;
} rtk_policy_slot_t;


/* open addressing, linear probing, at most half full */
typedef struct {
    rtk_policy_slot_t       *slots;
    size_t                   size;       /* a power of two, or 0 */
    size_t                   count;
} rtk_policy_hash_t;


/*
 * Callers and groups are "principals": a caller is id << 1, a group
 * (id << 1) | 1, so one sorted array of uint32 holds both kinds.
 */

typedef struct {
    uint32_t                 principal;
    uint32_t                 ngroups;
    uint32_t                *groups;     /* principals of its groups */
    uint32_t                 stamp;      /* app serial of a "fields" key */
    uint32_t                 mark;       /* group being read */
    uint32_t                 fill;
} rtk_policy_caller_t;


typedef struct {
    uint32_t                 principal;
    uint32_t                 stamp;
    unsigned                 defined;
    uint32_t                 nmembers;
    rtk_policy_caller_t    **members;
    size_t                   ref;        /* offset of the first reference */
    const unsigned char     *name;
    size_t                   len;
} rtk_policy_group_t;


typedef struct {
    uint32_t                *items;      /* sorted, unique */
    uint32_t                 n;
} rtk_policy_set_t;


typedef struct {
    uint32_t                 principal;
    unsigned                 fields;     /* RTK_FIELD_* */
} rtk_policy_fields_t;


/* a parsed url pattern, compact: rtk_url_pattern_t has fixed buffers */
typedef struct {
    unsigned                 https:1;
    unsigned                 wildcard:1;
    unsigned                 host_type:2;
    unsigned                 port;
    char                    *host;
    size_t                   host_len;
    char                    *path;
    size_t                   path_len;
} rtk_policy_url_t;


typedef struct {
    rtk_policy_account_t    *account;
    const char              *rule;
    unsigned                 mode;
    unsigned                 events;
    unsigned                 has_disablers;
    uint32_t                 nfields;
    uint32_t                 nurls;
    rtk_policy_set_t         editors;
    rtk_policy_set_t         enablers;
    rtk_policy_set_t         disablers;
    rtk_policy_fields_t     *fields;
    rtk_policy_url_t       **urls;
} rtk_policy_app_t;


struct rtk_policy_account_s {
    const unsigned char     *key;
    size_t                   key_len;
    const char              *rule;
    unsigned                 mode;
    rtk_policy_app_t        *star;
};


struct rtk_policy_s {
    unsigned                 mode;
    size_t                   napps;
    uint32_t                 ncallers;
    uint32_t                 ngroups;
    rtk_policy_account_t    *star;
    rtk_policy_chunk_t      *chunks;
    rtk_policy_hash_t        accounts;
    rtk_policy_hash_t        apps;       /* "<account key>/<app key>" */
    rtk_policy_hash_t        callers;
    rtk_policy_hash_t        groups;     /* while loading only */
    rtk_policy_hash_t        urls;       /* while loading only */
    char                     hash[RTK_POLICY_HASH_LEN + 1];
};


/* a growable scratch array, reused for every list */
typedef struct {
    unsigned char           *data;
    size_t                   len;
    size_t                   size;
} rtk_policy_vec_t;


typedef struct {
    rtk_policy_t            *policy;
    yajl_handle              yajl;
    const unsigned char     *data;
    size_t                   len;
    const char              *name;
    rtk_error_t             *err;

    rtk_policy_state_e       state;
    unsigned                 failed;
    unsigned                 finishing;
    unsigned                 level;      /* 0 root, 1 account, 2 app */
    unsigned                 list;       /* RTK_KEY_* of the open list */
    unsigned                 root_seen;
    unsigned                 account_seen;
    unsigned                 app_seen;
    unsigned                 mask;
    uint32_t                 serial;
    uint32_t                 principal;
    size_t                   root_at;
    size_t                   end;        /* where the policy object ends */
    size_t                   account_at;
    size_t                   app_at;
    size_t                   list_at;
    size_t                   last;       /* end of the last good token */

    rtk_policy_account_t    *account;
    rtk_policy_app_t        *app;
    rtk_policy_group_t      *group;

    rtk_policy_vec_t         vec;
    rtk_policy_vec_t         fields;

    rtk_url_pattern_t        pattern;
    char                     reason[RTK_ERROR_MESSAGE_MAX];
} rtk_policy_ctx_t;


static void *rtk_policy_palloc(rtk_policy_t *policy, size_t size);
static void *rtk_policy_pdup(rtk_policy_t *policy, const void *src,
    size_t len, size_t extra);
static uint32_t rtk_policy_hash_key(const unsigned char *key, size_t len);
static void *rtk_policy_hash_find(const rtk_policy_hash_t *h,
    const unsigned char *key, size_t len, uint32_t hash);
static int rtk_policy_hash_add(rtk_policy_hash_t *h,
    const unsigned char *key, size_t len, uint32_t hash, void *value);
static int rtk_policy_vec_push(rtk_policy_vec_t *vec, const void *item,
    size_t size);
static int rtk_policy_cmp_u32(const void *a, const void *b);
static int rtk_policy_cmp_fields(const void *a, const void *b);
static int rtk_policy_find_u32(const uint32_t *items, uint32_t n,
    uint32_t key);
static void rtk_policy_clip(char *buf, const unsigned char *s, size_t len);
static void rtk_policy_position(const unsigned char *data, size_t len,
    size_t at, unsigned long *line, unsigned long *col);
static size_t rtk_policy_token(rtk_policy_ctx_t *ctx, int kind);
static int rtk_policy_fail(rtk_policy_ctx_t *ctx, size_t at,
    const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__ ((format (printf, 3, 4)))
#endif
    ;
static int rtk_policy_nomem(rtk_policy_ctx_t *ctx);
static int rtk_policy_wrong(rtk_policy_ctx_t *ctx, int kind);
static int rtk_policy_is_hex(const unsigned char *s, size_t len);
static int rtk_policy_is_account(const unsigned char *s, size_t len);
static int rtk_policy_is_app(const unsigned char *s, size_t len);
static int rtk_policy_is_group(const unsigned char *s, size_t len);
static int rtk_policy_is_caller(const unsigned char *s, size_t len);
static rtk_policy_caller_t *rtk_policy_caller(rtk_policy_ctx_t *ctx,
    const unsigned char *s, size_t len);
static int rtk_policy_principal(rtk_policy_ctx_t *ctx,
    const unsigned char *s, size_t len, uint32_t *principal,
    uint32_t **stamp);
static int rtk_policy_url(rtk_policy_ctx_t *ctx, const unsigned char *s,
    size_t len);
static int rtk_policy_set(rtk_policy_ctx_t *ctx, rtk_policy_set_t *set);
static int rtk_policy_end_list(rtk_policy_ctx_t *ctx);
static int rtk_policy_root_key(rtk_policy_ctx_t *ctx,
    const unsigned char *s, size_t len);
static int rtk_policy_group_key(rtk_policy_ctx_t *ctx,
    const unsigned char *s, size_t len);
static int rtk_policy_account_key(rtk_policy_ctx_t *ctx,
    const unsigned char *s, size_t len);
static int rtk_policy_app_key(rtk_policy_ctx_t *ctx,
    const unsigned char *s, size_t len);
static int rtk_policy_app_entry_key(rtk_policy_ctx_t *ctx,
    const unsigned char *s, size_t len);
static int rtk_policy_fields_key(rtk_policy_ctx_t *ctx,
    const unsigned char *s, size_t len);
static int rtk_policy_list_item(rtk_policy_ctx_t *ctx,
    const unsigned char *s, size_t len);
static int rtk_policy_on_null(void *data);
static int rtk_policy_on_boolean(void *data, int value);
static int rtk_policy_on_number(void *data, const char *s, size_t len);
static int rtk_policy_on_string(void *data, const unsigned char *s,
    size_t len);
static int rtk_policy_on_start_map(void *data);
static int rtk_policy_on_map_key(void *data, const unsigned char *s,
    size_t len);
static int rtk_policy_on_end_map(void *data);
static int rtk_policy_on_start_array(void *data);
static int rtk_policy_on_end_array(void *data);
static int rtk_policy_finish(rtk_policy_ctx_t *ctx);
static size_t rtk_policy_bad_token(rtk_policy_ctx_t *ctx, size_t end);
static void rtk_policy_syntax(rtk_policy_ctx_t *ctx, yajl_status status);
static void rtk_policy_mark(rtk_policy_ctx_t *ctx);
static unsigned rtk_policy_app_mode(const rtk_policy_t *policy,
    const rtk_policy_app_t *app);
static int rtk_policy_member(const rtk_policy_set_t *set,
    const rtk_policy_caller_t *c);
static unsigned rtk_policy_bit(unsigned mask);
static int rtk_policy_fields(const rtk_policy_app_t *app,
    const rtk_policy_caller_t *c, unsigned *allowed);
static int rtk_policy_check(const rtk_policy_app_t *app,
    const rtk_policy_caller_t *c, const unsigned char *caller,
    size_t caller_len, const rtk_route_t *route, const rtk_body_t *body,
    rtk_error_t *reason);
static void rtk_policy_pattern(const rtk_policy_url_t *u,
    rtk_url_pattern_t *pat);
static int rtk_policy_check_url(const rtk_policy_app_t *app,
    const rtk_route_t *route, const rtk_body_t *body, rtk_error_t *reason);


static const yajl_callbacks  rtk_policy_callbacks = {
    rtk_policy_on_null,
    rtk_policy_on_boolean,
    NULL,
    NULL,
    rtk_policy_on_number,
    rtk_policy_on_string,
    rtk_policy_on_start_map,
    rtk_policy_on_map_key,
    rtk_policy_on_end_map,
    rtk_policy_on_start_array,
    rtk_policy_on_end_array
};


static const char *const  rtk_policy_list_names[] = {
    "mode", "groups", "accounts", "apps", "editors", "enablers",
    "disablers", "urls", "events", "fields"
};


/* memory: an arena of malloc'ed chunks, released at once */

static void *
rtk_policy_palloc(rtk_policy_t *policy, size_t size)
{
    size_t               head, want;
    rtk_policy_chunk_t  *c;

    head = (sizeof(rtk_policy_chunk_t) + RTK_POLICY_ALIGN - 1)
           & ~(size_t) (RTK_POLICY_ALIGN - 1);
    size = (size + RTK_POLICY_ALIGN - 1) & ~(size_t) (RTK_POLICY_ALIGN - 1);

    c = policy->chunks;

    if (c != NULL && c->size - c->used >= size) {
        c->used += size;
        return (unsigned char *) c + c->used - size;
    }

    if (size > RTK_POLICY_FILE_MAX) {
        return NULL;
    }

    /* big blocks get their own chunk behind the current one */
    want = (size > RTK_POLICY_CHUNK / 4) ? head + size : RTK_POLICY_CHUNK;

    c = malloc(want);
    if (c == NULL) {
        return NULL;
    }

    c->size = want;
    c->used = head + size;

    if (want != RTK_POLICY_CHUNK && policy->chunks != NULL) {
        c->next = policy->chunks->next;
        policy->chunks->next = c;

    } else {
        c->next = policy->chunks;
        policy->chunks = c;
    }

    return (unsigned char *) c + head;
}


static void *
rtk_policy_pdup(rtk_policy_t *policy, const void *src, size_t len,
    size_t extra)
{
    unsigned char  *p;

    p = rtk_policy_palloc(policy, len + extra);
    if (p == NULL) {
        return NULL;
    }

    if (len != 0) {
        memcpy(p, src, len);
    }

    if (extra != 0) {
        memset(p + len, 0, extra);
    }

    return p;
}


/* the hash table */

static uint32_t
rtk_policy_hash_key(const unsigned char *key, size_t len)
{
    uint64_t  h, w;

    /* 8 bytes a step: ids are 32 to 70 bytes and hashed per request */
    h = 0x9e3779b97f4a7c15ULL ^ len;

    while (len >= 8) {
        memcpy(&w, key, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdULL;
        h ^= h >> 32;
        key += 8;
        len -= 8;
    }

    w = 0;

    if (len != 0) {
        memcpy(&w, key, len);
    }

    h = (h ^ w) * 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;

    return (uint32_t) h;
}


static void *
rtk_policy_hash_find(const rtk_policy_hash_t *h, const unsigned char *key,
    size_t len, uint32_t hash)
{
    size_t              i, mask;
    rtk_policy_slot_t  *s;

    if (h->size == 0) {
        return NULL;
    }

    mask = h->size - 1;

    for (i = hash & mask; /* void */; i = (i + 1) & mask) {
        s = &h->slots[i];

        if (s->key == NULL) {
            return NULL;
        }

        if (s->hash == hash && s->len == len
            && memcmp(s->key, key, len) == 0)
        {
            return s->value;
        }
    }
}


/* the key must stay valid; the caller has checked it is not present */

static int
rtk_policy_hash_add(rtk_policy_hash_t *h, const unsigned char *key,
    size_t len, uint32_t hash, void *value)
{
    size_t              i, j, mask, size;
    rtk_policy_slot_t  *s, *slots;

    if ((h->count + 1) * 2 > h->size) {
        size = (h->size == 0) ? 16 : h->size * 2;

        slots = calloc(size, sizeof(rtk_policy_slot_t));
        if (slots == NULL) {
            return RTK_ERROR;
        }

        mask = size - 1;

        for (i = 0; i < h->size; i++) {
            if (h->slots[i].key == NULL) {
                continue;
            }

            for (j = h->slots[i].hash & mask;
                 slots[j].key != NULL;
                 j = (j + 1) & mask)
            {
                /* void */
            }

            slots[j] = h->slots[i];
        }

        free(h->slots);
        h->slots = slots;
        h->size = size;
    }

    mask = h->size - 1;

    for (i = hash & mask; h->slots[i].key != NULL; i = (i + 1) & mask) {
        /* void */
    }

    s = &h->slots[i];
    s->key = key;
    s->len = len;
    s->hash = hash;
    s->value = value;
    h->count++;

    return RTK_OK;
}


static int
rtk_policy_vec_push(rtk_policy_vec_t *vec, const void *item, size_t size)
{
    size_t          n;
    unsigned char  *p;

    if (vec->len + size > vec->size) {
        n = (vec->size == 0) ? 256 : vec->size * 2;

        while (n < vec->len + size) {
            n *= 2;
        }

        p = realloc(vec->data, n);
        if (p == NULL) {
            return RTK_ERROR;
        }

        vec->data = p;
        vec->size = n;
    }

    memcpy(vec->data + vec->len, item, size);
    vec->len += size;

    return RTK_OK;
}


static int
rtk_policy_cmp_u32(const void *a, const void *b)
{
    uint32_t  x, y;

    x = *(const uint32_t *) a;
    y = *(const uint32_t *) b;

    return (x > y) - (x < y);
}


static int
rtk_policy_cmp_fields(const void *a, const void *b)
{
    uint32_t  x, y;

    x = ((const rtk_policy_fields_t *) a)->principal;
    y = ((const rtk_policy_fields_t *) b)->principal;

    return (x > y) - (x < y);
}


/* returns the index + 1, or 0 */

static int
rtk_policy_find_u32(const uint32_t *items, uint32_t n, uint32_t key)
{
    uint32_t  lo, hi, mid;

    lo = 0;
    hi = n;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;

        if (items[mid] == key) {
            return (int) mid + 1;
        }

        if (items[mid] < key) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    return 0;
}


/*
 * Copies at most RTK_POLICY_CLIP bytes of a value into a message,
 * cut at a UTF-8 boundary, control characters made visible as '?'.
 * buf has room for RTK_POLICY_CLIP + 4 bytes.
 */

static void
rtk_policy_clip(char *buf, const unsigned char *s, size_t len)
{
    size_t  i, n;

    n = len;

    if (n > RTK_POLICY_CLIP) {
        n = RTK_POLICY_CLIP;

        while (n > 0 && (s[n] & 0xc0) == 0x80) {
            n--;
        }
    }

    for (i = 0; i < n; i++) {
        buf[i] = (s[i] < 0x20 || s[i] == 0x7f) ? '?' : (char) s[i];
    }

    if (n < len) {
        memcpy(buf + n, "...", 3);
        n += 3;
    }

    buf[n] = '\0';
}


static void
rtk_policy_position(const unsigned char *data, size_t len, size_t at,
    unsigned long *line, unsigned long *col)
{
    size_t  i, bol;

    if (at > len) {
        at = len;
    }

    *line = 1;
    bol = 0;

    for (i = 0; i < at; i++) {
        if (data[i] == '\n') {
            (*line)++;
            bol = i + 1;
        }
    }

    *col = (unsigned long) (at - bol + 1);
}


/*
 * Inside a callback yajl has consumed the input up to the end of the
 * token being reported; walk back to where the token starts.
 */

static size_t
rtk_policy_token(rtk_policy_ctx_t *ctx, int kind)
{
    size_t                n, p, end;
    const unsigned char  *d;

    if (ctx->finishing) {
        return ctx->len;
    }

    end = yajl_get_bytes_consumed(ctx->yajl);

    if (end == 0 || end > ctx->len) {
        return (end > ctx->len) ? ctx->len : 0;
    }

    d = ctx->data;
    p = end - 1;

    switch (kind) {

    case RTK_TOK_STRING:
        if (d[p] != '"') {
            return p;
        }

        /* the opening quote is the first one not escaped */
        while (p > 0) {
            p--;

            if (d[p] != '"') {
                continue;
            }

            for (n = 0; n < p && d[p - n - 1] == '\\'; n++) {
                /* void */
            }

            if (n % 2 == 0) {
                return p;
            }
        }

        return p;

    case RTK_TOK_NUMBER:
        /* also a literal: a bad token in a parse error */
        while (p > 0
               && ((d[p - 1] >= '0' && d[p - 1] <= '9')
                   || (d[p - 1] >= 'a' && d[p - 1] <= 'z')
                   || (d[p - 1] >= 'A' && d[p - 1] <= 'Z')
                   || d[p - 1] == '+' || d[p - 1] == '-' || d[p - 1] == '.'))
        {
            p--;
        }

        return p;

    case RTK_TOK_NULL:
    case RTK_TOK_TRUE:
        return (end >= 4) ? end - 4 : 0;

    case RTK_TOK_FALSE:
        return (end >= 5) ? end - 5 : 0;

    default:
        return p;
    }
}


static int
rtk_policy_fail(rtk_policy_ctx_t *ctx, size_t at, const char *fmt, ...)
{
    va_list        args;
    unsigned long  line, col;

    if (ctx->failed) {
        return 0;
    }

    ctx->failed = 1;

    va_start(args, fmt);
    (void) vsnprintf(ctx->reason, sizeof(ctx->reason), fmt, args);
    va_end(args);

    rtk_policy_position(ctx->data, ctx->len, at, &line, &col);

    (void) rtk_error_set(ctx->err, RTK_E_INTERNAL, "%s:%lu:%lu: %s",
                         ctx->name, line, col, ctx->reason);

    /* stops the parser */
    return 0;
}


static int
rtk_policy_nomem(rtk_policy_ctx_t *ctx)
{
    return rtk_policy_fail(ctx, rtk_policy_token(ctx, RTK_TOK_CHAR),
                           "out of memory");
}


static int
rtk_policy_wrong(rtk_policy_ctx_t *ctx, int kind)
{
    size_t       at;
    const char  *what, *list;

    at = rtk_policy_token(ctx, kind);
    list = rtk_policy_list_names[0];

    if (ctx->list != 0) {
        list = rtk_policy_list_names[rtk_policy_bit(ctx->list)];
    }

    switch (ctx->state) {

    case RTK_ST_ROOT:
        what = "the policy must be a JSON object";
        break;

    case RTK_ST_MODE:
        what = "\"mode\" must be a string";
        break;

    case RTK_ST_GROUPS:
        what = "\"groups\" must be an object";
        break;

    case RTK_ST_GROUP:
        what = "a group must be an array of caller names";
        break;

    case RTK_ST_GROUP_ITEM:
        what = "group members must be strings";
        break;

    case RTK_ST_ACCOUNTS:
        what = "\"accounts\" must be an object";
        break;

    case RTK_ST_ACCOUNT:
        what = "an account entry must be an object";
        break;

    case RTK_ST_APPS:
        what = "\"apps\" must be an object";
        break;

    case RTK_ST_APP:
        what = "an app entry must be an object";
        break;

    case RTK_ST_LIST:
        return rtk_policy_fail(ctx, at, "\"%s\" must be an array of strings",
                               list);

    case RTK_ST_LIST_ITEM:
        return rtk_policy_fail(ctx, at, "\"%s\" must contain only strings",
                               list);

    case RTK_ST_FIELDS:
        what = "\"fields\" must be an object";
        break;

    case RTK_ST_FIELD_LIST:
        what = "\"fields\" entries must be arrays of field names";
        break;

    case RTK_ST_FIELD_ITEM:
        what = "field names must be strings";
        break;

    default:
        what = "unexpected value";
        break;
    }

    return rtk_policy_fail(ctx, at, "%s", what);
}


/* syntax of names and ids */

static int
rtk_policy_is_hex(const unsigned char *s, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return 0;
        }
    }

    return 1;
}


static int
rtk_policy_is_account(const unsigned char *s, size_t len)
{
    if (len == 1 && s[0] == '*') {
        return 1;
    }

    return len == RTK_ACCOUNT_ID_LEN && rtk_policy_is_hex(s, len);
}


static int
rtk_policy_is_app(const unsigned char *s, size_t len)
{
    size_t  i;

    if (len == 1 && s[0] == '*') {
        return 1;
    }

    if (len != RTK_UUID_LEN) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-') {
                return 0;
            }

        } else if (!rtk_policy_is_hex(&s[i], 1)) {
            return 0;
        }
    }

    return 1;
}


static int
rtk_policy_is_group(const unsigned char *s, size_t len)
{
    size_t         i;
    unsigned char  c;

    if (len == 0) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        c = s[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
        {
            return 0;
        }
    }

    return 1;
}


static int
rtk_policy_is_caller(const unsigned char *s, size_t len)
{
    size_t  i;

    if (len == 0) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (s[i] < 0x20 || s[i] == 0x7f) {
            return 0;
        }
    }

    return 1;
}


/* interning */

static rtk_policy_caller_t *
rtk_policy_caller(rtk_policy_ctx_t *ctx, const unsigned char *s, size_t len)
{
    uint32_t              hash;
    unsigned char        *key;
    rtk_policy_t         *policy;
    rtk_policy_caller_t  *c;

    policy = ctx->policy;

    if (!rtk_policy_is_caller(s, len)) {
        (void) rtk_policy_fail(ctx, rtk_policy_token(ctx, RTK_TOK_STRING),
                               (len == 0)
                               ? "empty caller name"
                               : "caller name contains a control character");
        return NULL;
    }

    hash = rtk_policy_hash_key(s, len);

    c = rtk_policy_hash_find(&policy->callers, s, len, hash);
    if (c != NULL) {
        return c;
    }

    c = rtk_policy_pdup(policy, NULL, 0, sizeof(rtk_policy_caller_t));
    key = rtk_policy_pdup(policy, s, len, 1);

    if (c == NULL || key == NULL
        || rtk_policy_hash_add(&policy->callers, key, len, hash, c)
           != RTK_OK)
    {
        (void) rtk_policy_nomem(ctx);
        return NULL;
    }

    c->principal = policy->ncallers++ << 1;

    return c;
}


/* a list entry or "fields" key: "caller" or "@group" */

static int
rtk_policy_principal(rtk_policy_ctx_t *ctx, const unsigned char *s,
    size_t len, uint32_t *principal, uint32_t **stamp)
{
    char                  clip[RTK_POLICY_CLIP + 4];
    size_t                at;
    uint32_t              hash;
    unsigned char        *key;
    rtk_policy_t         *policy;
    rtk_policy_group_t   *g;
    rtk_policy_caller_t  *c;

    policy = ctx->policy;

    if (len == 0 || s[0] != '@') {
        c = rtk_policy_caller(ctx, s, len);
        if (c == NULL) {
            return RTK_ERROR;
        }

        *principal = c->principal;
        *stamp = &c->stamp;

        return RTK_OK;
    }

    s++;
    len--;

    at = rtk_policy_token(ctx, RTK_TOK_STRING);

    if (!rtk_policy_is_group(s, len)) {
        rtk_policy_clip(clip, s, len);
        (void) rtk_policy_fail(ctx, at, "bad group name \"@%s\" "
                               "(want [A-Za-z0-9_.-]+)", clip);
        return RTK_ERROR;
    }

    hash = rtk_policy_hash_key(s, len);

    g = rtk_policy_hash_find(&policy->groups, s, len, hash);

    if (g == NULL) {
        /* not defined yet: "groups" may come after "accounts" */
        g = rtk_policy_pdup(policy, NULL, 0, sizeof(rtk_policy_group_t));
        key = rtk_policy_pdup(policy, s, len, 1);

        if (g == NULL || key == NULL
            || rtk_policy_hash_add(&policy->groups, key, len, hash, g)
               != RTK_OK)
        {
            (void) rtk_policy_nomem(ctx);
            return RTK_ERROR;
        }

        g->principal = (policy->ngroups++ << 1) | 1;
        g->name = key;
        g->len = len;
        g->ref = at;
    }

    *principal = g->principal;
    *stamp = &g->stamp;

    return RTK_OK;
}


static int
rtk_policy_url(rtk_policy_ctx_t *ctx, const unsigned char *s, size_t len)
{
    char               clip[RTK_POLICY_CLIP + 4], errbuf[128];
    uint32_t           hash;
    unsigned char     *key;
    rtk_policy_t      *policy;
    rtk_policy_url_t  *u;

    policy = ctx->policy;
    hash = rtk_policy_hash_key(s, len);

    /* the same pattern text is parsed and stored once */
    u = rtk_policy_hash_find(&policy->urls, s, len, hash);

    if (u == NULL) {
        errbuf[0] = '\0';

        if (rtk_url_pattern_parse(&ctx->pattern, s, len, errbuf,
                                  sizeof(errbuf))
            != RTK_OK)
        {
            rtk_policy_clip(clip, s, len);
            return rtk_policy_fail(ctx, rtk_policy_token(ctx, RTK_TOK_STRING),
                                   "bad url pattern \"%s\": %s", clip,
                                   errbuf);
        }

        u = rtk_policy_pdup(policy, NULL, 0, sizeof(rtk_policy_url_t));
        key = rtk_policy_pdup(policy, s, len, 1);

        if (u == NULL || key == NULL) {
            return rtk_policy_nomem(ctx);
        }

        u->https = ctx->pattern.https;
        u->wildcard = ctx->pattern.wildcard;
        u->host_type = ctx->pattern.host_type;
        u->port = ctx->pattern.port;
        u->host_len = ctx->pattern.host_len;
        u->path_len = ctx->pattern.path_len;
        u->host = rtk_policy_pdup(policy, ctx->pattern.host, u->host_len, 1);
        u->path = rtk_policy_pdup(policy, ctx->pattern.path, u->path_len, 1);

        if (u->host == NULL || u->path == NULL
            || rtk_policy_hash_add(&policy->urls, key, len, hash, u)
               != RTK_OK)
        {
            return rtk_policy_nomem(ctx);
        }
    }

    if (rtk_policy_vec_push(&ctx->vec, &u, sizeof(u)) != RTK_OK) {
        return rtk_policy_nomem(ctx);
    }

    return 1;
}


/* turns the principals collected in ctx->vec into a sorted set */

static int
rtk_policy_set(rtk_policy_ctx_t *ctx, rtk_policy_set_t *set)
{
    uint32_t   i, n, w;
    uint32_t  *items;

    items = (uint32_t *) ctx->vec.data;
    n = (uint32_t) (ctx->vec.len / sizeof(uint32_t));

    set->n = 0;
    set->items = NULL;

    if (n == 0) {
        return 1;
    }

    qsort(items, n, sizeof(uint32_t), rtk_policy_cmp_u32);

    for (i = 1, w = 1; i < n; i++) {
        if (items[i] != items[w - 1]) {
            items[w++] = items[i];
        }
    }

    set->items = rtk_policy_pdup(ctx->policy, items, w * sizeof(uint32_t),
                                 0);
    if (set->items == NULL) {
        return rtk_policy_nomem(ctx);
    }

    set->n = w;

    return 1;
}


static int
rtk_policy_end_list(rtk_policy_ctx_t *ctx)
{
    size_t             n;
    rtk_policy_app_t  *app;

    app = ctx->app;
    ctx->state = RTK_ST_APP_KEY;

    switch (ctx->list) {

    case RTK_KEY_EDITORS:
        if (ctx->vec.len == 0) {
            return rtk_policy_fail(ctx, ctx->list_at,
                                   "\"editors\" must not be empty");
        }

        return rtk_policy_set(ctx, &app->editors);

    case RTK_KEY_ENABLERS:
        return rtk_policy_set(ctx, &app->enablers);

    case RTK_KEY_DISABLERS:
        app->has_disablers = 1;
        return rtk_policy_set(ctx, &app->disablers);

    case RTK_KEY_URLS:
        n = ctx->vec.len / sizeof(rtk_policy_url_t *);

        if (n != 0) {
            app->urls = rtk_policy_pdup(ctx->policy, ctx->vec.data,
                                        ctx->vec.len, 0);
            if (app->urls == NULL) {
                return rtk_policy_nomem(ctx);
            }
        }

        app->nurls = (uint32_t) n;
        return 1;

    default: /* RTK_KEY_EVENTS */
        app->events = ctx->mask;
        return 1;
    }
}


/* map keys, by the object they are in */

static int
rtk_policy_root_key(rtk_policy_ctx_t *ctx, const unsigned char *s,
    size_t len)
{
    char      clip[RTK_POLICY_CLIP + 4];
    unsigned  key;

    if (len == 4 && memcmp(s, "mode", 4) == 0) {
        key = RTK_KEY_MODE;
        ctx->state = RTK_ST_MODE;
        ctx->level = 0;

    } else if (len == 6 && memcmp(s, "groups", 6) == 0) {
        key = RTK_KEY_GROUPS;
        ctx->state = RTK_ST_GROUPS;

    } else if (len == 8 && memcmp(s, "accounts", 8) == 0) {
        key = RTK_KEY_ACCOUNTS;
        ctx->state = RTK_ST_ACCOUNTS;

    } else {
        rtk_policy_clip(clip, s, len);
        return rtk_policy_fail(ctx, rtk_policy_token(ctx, RTK_TOK_STRING),
                               "unknown key \"%s\" at top level "
                               "(want mode, groups or accounts)", clip);
    }

    if (ctx->root_seen & key) {
        rtk_policy_clip(clip, s, len);
        return rtk_policy_fail(ctx, rtk_policy_token(ctx, RTK_TOK_STRING),
                               "duplicate key \"%s\"", clip);
    }

    ctx->root_seen |= key;

    return 1;
}


static int
rtk_policy_group_key(rtk_policy_ctx_t *ctx, const unsigned char *s,
    size_t len)
{
    char                 clip[RTK_POLICY_CLIP + 4];
    size_t               at;
    uint32_t             hash;
    unsigned char       *key;
    rtk_policy_t        *policy;
    rtk_policy_group_t  *g;

    policy = ctx->policy;
    at = rtk_policy_token(ctx, RTK_TOK_STRING);

    if (!rtk_policy_is_group(s, len)) {
        rtk_policy_clip(clip, s, len);
        return rtk_policy_fail(ctx, at, "bad group name \"%s\" "
                               "(want [A-Za-z0-9_.-]+)", clip);
    }

    hash = rtk_policy_hash_key(s, len);

    g = rtk_policy_hash_find(&policy->groups, s, len, hash);

    if (g == NULL) {
        g = rtk_policy_pdup(policy, NULL, 0, sizeof(rtk_policy_group_t));
        key = rtk_policy_pdup(policy, s, len, 1);

        if (g == NULL || key == NULL
            || rtk_policy_hash_add(&policy->groups, key, len, hash, g)
               != RTK_OK)
        {
            return rtk_policy_nomem(ctx);
        }

        g->principal = (policy->ngroups++ << 1) | 1;
        g->name = key;
        g->len = len;

    } else if (g->defined) {
        rtk_policy_clip(clip, s, len);
        return rtk_policy_fail(ctx, at, "duplicate key \"%s\"", clip);
    }

    g->defined = 1;
    ctx->group = g;
    ctx->state = RTK_ST_GROUP;

    return 1;
}


static int
rtk_policy_account_key(rtk_policy_ctx_t *ctx, const unsigned char *s,
    size_t len)
{
    char                   clip[RTK_POLICY_CLIP + 4];
    size_t                 at;
    uint32_t               hash;
    unsigned char         *key;
    rtk_policy_t          *policy;
    rtk_policy_account_t  *a;

    policy = ctx->policy;
    at = rtk_policy_token(ctx, RTK_TOK_STRING);
    rtk_policy_clip(clip, s, len);

    if (!rtk_policy_is_account(s, len)) {
        return rtk_policy_fail(ctx, at, "bad account id \"%s\" "
                               "(want 32 lowercase hex digits or \"*\")",
                               clip);
    }

    hash = rtk_policy_hash_key(s, len);

    if (rtk_policy_hash_find(&policy->accounts, s, len, hash) != NULL) {
        return rtk_policy_fail(ctx, at, "duplicate key \"%s\"", clip);
    }

    a = rtk_policy_pdup(policy, NULL, 0, sizeof(rtk_policy_account_t));
    key = rtk_policy_pdup(policy, s, len, 1);

    if (a == NULL || key == NULL
        || rtk_policy_hash_add(&policy->accounts, key, len, hash, a)
           != RTK_OK)
    {
        return rtk_policy_nomem(ctx);
    }

    a->key = key;
    a->key_len = len;
    a->rule = rtk_policy_palloc(policy, sizeof("accounts.") + len);

    if (a->rule == NULL) {
        return rtk_policy_nomem(ctx);
    }

    (void) snprintf((char *) a->rule, sizeof("accounts.") + len,
                    "accounts.%s", key);

    if (len == 1) {
        policy->star = a;
    }

    ctx->account = a;
    ctx->account_seen = 0;
    ctx->state = RTK_ST_ACCOUNT;

    return 1;
}


static int
rtk_policy_app_key(rtk_policy_ctx_t *ctx, const unsigned char *s,
    size_t len)
{
    char                   clip[RTK_POLICY_CLIP + 4];
    char                  *rule;
    size_t                 at, n;
    uint32_t               hash;
    unsigned char         *key;
    rtk_policy_t          *policy;
    rtk_policy_app_t      *app;
    rtk_policy_account_t  *a;

    policy = ctx->policy;
    a = ctx->account;
    at = rtk_policy_token(ctx, RTK_TOK_STRING);
    rtk_policy_clip(clip, s, len);

    if (!rtk_policy_is_app(s, len)) {
        return rtk_policy_fail(ctx, at, "bad app id \"%s\" (want a lowercase "
                               "UUID or \"*\")",
                               clip);
    }

    /* "<account key>/<app key>" */
    n = a->key_len + 1 + len;

    key = rtk_policy_palloc(policy, n + 1);
    if (key == NULL) {
        return rtk_policy_nomem(ctx);
    }

    memcpy(key, a->key, a->key_len);
    key[a->key_len] = '/';
    memcpy(key + a->key_len + 1, s, len);
    key[n] = '\0';

    hash = rtk_policy_hash_key(key, n);

    if ((len == 1 && a->star != NULL)
        || (len != 1
            && rtk_policy_hash_find(&policy->apps, key, n, hash) != NULL))
    {
        return rtk_policy_fail(ctx, at, "duplicate key \"%s\"", clip);
    }

    app = rtk_policy_pdup(policy, NULL, 0, sizeof(rtk_policy_app_t));
    rule = rtk_policy_palloc(policy, sizeof("accounts..apps.") + n);

    if (app == NULL || rule == NULL) {
        return rtk_policy_nomem(ctx);
    }

    (void) snprintf(rule, sizeof("accounts..apps.") + n, "accounts.%s.apps.%s",
                    (const char *) a->key, (const char *) key + a->key_len + 1);

    app->account = a;
    app->rule = rule;

    if (len == 1) {
        a->star = app;

    } else if (rtk_policy_hash_add(&policy->apps, key, n, hash, app)
               != RTK_OK)
    {
        return rtk_policy_nomem(ctx);
    }

    policy->napps++;

    ctx->app = app;
    ctx->app_seen = 0;
    ctx->serial++;
    ctx->state = RTK_ST_APP;

    return 1;
}


static int
rtk_policy_app_entry_key(rtk_policy_ctx_t *ctx, const unsigned char *s,
    size_t len)
{
    char      clip[RTK_POLICY_CLIP + 4];
    unsigned  i, key;

    key = 0;

    for (i = 0; i < sizeof(rtk_policy_list_names) / sizeof(char *); i++) {
        if (strlen(rtk_policy_list_names[i]) == len
            && memcmp(rtk_policy_list_names[i], s, len) == 0)
        {
            key = 1u << i;
            break;
        }
    }

    if ((key & (RTK_KEY_MODE | RTK_KEY_EDITORS | RTK_KEY_ENABLERS
                | RTK_KEY_DISABLERS | RTK_KEY_URLS | RTK_KEY_EVENTS
                | RTK_KEY_FIELDS))
        == 0)
    {
        rtk_policy_clip(clip, s, len);
        return rtk_policy_fail(ctx, rtk_policy_token(ctx, RTK_TOK_STRING),
                               "unknown key \"%s\" in app entry (want mode, "
                               "editors, enablers, disablers, urls, events "
                               "or fields)", clip);
    }

    if (ctx->app_seen & key) {
        rtk_policy_clip(clip, s, len);
        return rtk_policy_fail(ctx, rtk_policy_token(ctx, RTK_TOK_STRING),
                               "duplicate key \"%s\"", clip);
    }

    ctx->app_seen |= key;

    if (key == RTK_KEY_MODE) {
        ctx->level = 2;
        ctx->state = RTK_ST_MODE;

    } else if (key == RTK_KEY_FIELDS) {
        ctx->state = RTK_ST_FIELDS;
        ctx->fields.len = 0;

    } else {
        ctx->list = key;
        ctx->state = RTK_ST_LIST;
    }

    return 1;
}


static int
rtk_policy_fields_key(rtk_policy_ctx_t *ctx, const unsigned char *s,
    size_t len)
{
    char       clip[RTK_POLICY_CLIP + 4];
    uint32_t  *stamp;

    if (rtk_policy_principal(ctx, s, len, &ctx->principal, &stamp)
        != RTK_OK)
    {
        return 0;
    }

    if (*stamp == ctx->serial) {
        rtk_policy_clip(clip, s, len);
        return rtk_policy_fail(ctx, rtk_policy_token(ctx, RTK_TOK_STRING),
                               "duplicate key \"%s\"", clip);
    }

    *stamp = ctx->serial;
    ctx->state = RTK_ST_FIELD_LIST;

    return 1;
}


static int
rtk_policy_list_item(rtk_policy_ctx_t *ctx, const unsigned char *s,
    size_t len)
{
    int        ev;
    char       clip[RTK_POLICY_CLIP + 4];
    uint32_t   principal;
    uint32_t  *stamp;

    switch (ctx->list) {

    case RTK_KEY_URLS:
        return rtk_policy_url(ctx, s, len);

    case RTK_KEY_EVENTS:
        ev = rtk_event_lookup(s, len);

        if (ev < 0) {
            rtk_policy_clip(clip, s, len);
            return rtk_policy_fail(ctx, rtk_policy_token(ctx, RTK_TOK_STRING),
                                   "unknown event \"%s\"", clip);
        }

        ctx->mask |= 1u << ev;
        return 1;

    default:
        if (rtk_policy_principal(ctx, s, len, &principal, &stamp) != RTK_OK) {
            return 0;
        }

        if (rtk_policy_vec_push(&ctx->vec, &principal, sizeof(principal))
            != RTK_OK)
        {
            return rtk_policy_nomem(ctx);
        }

        return 1;
    }
}


/* yajl callbacks */

static void
rtk_policy_mark(rtk_policy_ctx_t *ctx)
{
    if (!ctx->finishing) {
        ctx->last = yajl_get_bytes_consumed(ctx->yajl);
    }
}


static int
rtk_policy_on_null(void *data)
{
    rtk_policy_mark(data);

    return rtk_policy_wrong(data, RTK_TOK_NULL);
}


static int
rtk_policy_on_boolean(void *data, int value)
{
    rtk_policy_mark(data);

    return rtk_policy_wrong(data, value ? RTK_TOK_TRUE : RTK_TOK_FALSE);
}


static int
rtk_policy_on_number(void *data, const char *s, size_t len)
{
    (void) s;
    (void) len;

    rtk_policy_mark(data);

    return rtk_policy_wrong(data, RTK_TOK_NUMBER);
}


static int
rtk_policy_on_string(void *data, const unsigned char *s, size_t len)
{
    char                  clip[RTK_POLICY_CLIP + 4];
    unsigned              i, mode;
    rtk_policy_ctx_t     *ctx;
    rtk_policy_caller_t  *c;

    ctx = data;
    rtk_policy_mark(ctx);

    switch (ctx->state) {

    case RTK_ST_MODE:
        if (len == 7 && memcmp(s, "enforce", 7) == 0) {
            mode = RTK_MODE_ENFORCE;

        } else if (len == 11 && memcmp(s, "report-only", 11) == 0) {
            mode = RTK_MODE_REPORT;

        } else {
            rtk_policy_clip(clip, s, len);
            return rtk_policy_fail(ctx, rtk_policy_token(ctx, RTK_TOK_STRING),
                                   "bad mode \"%s\" "
                                   "(want \"enforce\" or \"report-only\")",
                                   clip);
        }

        if (ctx->level == 0) {
            ctx->policy->mode = mode;
            ctx->state = RTK_ST_ROOT_KEY;

        } else if (ctx->level == 1) {
            ctx->account->mode = mode;
            ctx->state = RTK_ST_ACCOUNT_KEY;

        } else {
            ctx->app->mode = mode;
            ctx->state = RTK_ST_APP_KEY;
        }

        return 1;

    case RTK_ST_GROUP_ITEM:
        if (len != 0 && s[0] == '@') {
            rtk_policy_clip(clip, s, len);
            return rtk_policy_fail(ctx, rtk_policy_token(ctx, RTK_TOK_STRING),
                                   "groups cannot contain groups (\"%s\")",
                                   clip);
        }

        c = rtk_policy_caller(ctx, s, len);
        if (c == NULL) {
            return 0;
        }

        /* a name listed twice in one group counts once */
        if (c->mark == ctx->group->principal) {
            return 1;
        }

        c->mark = ctx->group->principal;

        if (rtk_policy_vec_push(&ctx->vec, &c, sizeof(c)) != RTK_OK) {
            return rtk_policy_nomem(ctx);
        }

        return 1;

    case RTK_ST_LIST_ITEM:
        return rtk_policy_list_item(ctx, s, len);

    case RTK_ST_FIELD_ITEM:
        for (i = 0; i < 4; i++) {
            if (strlen(rtk_field_names[i]) == len
                && memcmp(rtk_field_names[i], s, len) == 0)
            {
                ctx->mask |= 1u << i;
                return 1;
            }
        }

        rtk_policy_clip(clip, s, len);
        return rtk_policy_fail(ctx, rtk_policy_token(ctx, RTK_TOK_STRING),
                               "unknown field \"%s\" "
                               "(want enabled, events, name or url)", clip);

    default:
        return rtk_policy_wrong(ctx, RTK_TOK_STRING);
    }
}


static int
rtk_policy_on_start_map(void *data)
{
    rtk_policy_ctx_t  *ctx;

    ctx = data;
    rtk_policy_mark(ctx);

    switch (ctx->state) {

    case RTK_ST_ROOT:
        ctx->root_at = rtk_policy_token(ctx, RTK_TOK_CHAR);
        ctx->state = RTK_ST_ROOT_KEY;
        return 1;

    case RTK_ST_GROUPS:
        ctx->state = RTK_ST_GROUPS_KEY;
        return 1;

    case RTK_ST_ACCOUNTS:
        ctx->state = RTK_ST_ACCOUNTS_KEY;
        return 1;

    case RTK_ST_ACCOUNT:
        ctx->account_at = rtk_policy_token(ctx, RTK_TOK_CHAR);
        ctx->state = RTK_ST_ACCOUNT_KEY;
        return 1;

    case RTK_ST_APPS:
        ctx->state = RTK_ST_APPS_KEY;
        return 1;

    case RTK_ST_APP:
        ctx->app_at = rtk_policy_token(ctx, RTK_TOK_CHAR);
        ctx->state = RTK_ST_APP_KEY;
        return 1;

    case RTK_ST_FIELDS:
        ctx->state = RTK_ST_FIELDS_KEY;
        return 1;

    default:
        return rtk_policy_wrong(ctx, RTK_TOK_CHAR);
    }
}


static int
rtk_policy_on_map_key(void *data, const unsigned char *s, size_t len)
{
    char               clip[RTK_POLICY_CLIP + 4];
    rtk_policy_ctx_t  *ctx;

    ctx = data;
    rtk_policy_mark(ctx);

    switch (ctx->state) {

    case RTK_ST_ROOT_KEY:
        return rtk_policy_root_key(ctx, s, len);

    case RTK_ST_GROUPS_KEY:
        return rtk_policy_group_key(ctx, s, len);

    case RTK_ST_ACCOUNTS_KEY:
        return rtk_policy_account_key(ctx, s, len);

    case RTK_ST_ACCOUNT_KEY:
        if (len == 4 && memcmp(s, "mode", 4) == 0) {
            if (ctx->account_seen & RTK_KEY_MODE) {
                goto duplicate;
            }

            ctx->account_seen |= RTK_KEY_MODE;
            ctx->level = 1;
            ctx->state = RTK_ST_MODE;
            return 1;
        }

        if (len == 4 && memcmp(s, "apps", 4) == 0) {
            if (ctx->account_seen & RTK_KEY_APPS) {
                goto duplicate;
            }

            ctx->account_seen |= RTK_KEY_APPS;
            ctx->state = RTK_ST_APPS;
            return 1;
        }

        rtk_policy_clip(clip, s, len);
        return rtk_policy_fail(ctx, rtk_policy_token(ctx, RTK_TOK_STRING),
                               "unknown key \"%s\" in account entry "
                               "(want mode or apps)", clip);

    case RTK_ST_APPS_KEY:
        return rtk_policy_app_key(ctx, s, len);

    case RTK_ST_APP_KEY:
        return rtk_policy_app_entry_key(ctx, s, len);

    case RTK_ST_FIELDS_KEY:
        return rtk_policy_fields_key(ctx, s, len);

    default:
        /* yajl reports keys only inside objects: not reached */
        return rtk_policy_wrong(ctx, RTK_TOK_STRING);
    }

duplicate:

    rtk_policy_clip(clip, s, len);
    return rtk_policy_fail(ctx, rtk_policy_token(ctx, RTK_TOK_STRING),
                           "duplicate key \"%s\"", clip);
}


static int
rtk_policy_on_end_map(void *data)
{
    size_t                n;
    rtk_policy_ctx_t     *ctx;
    rtk_policy_fields_t  *f;

    ctx = data;
    rtk_policy_mark(ctx);

    switch (ctx->state) {

    case RTK_ST_ROOT_KEY:
        if (!(ctx->root_seen & RTK_KEY_ACCOUNTS)) {
            return rtk_policy_fail(ctx, ctx->root_at,
                                   "missing required key \"accounts\"");
        }

        ctx->state = RTK_ST_DONE;

        /* completed by yajl_complete_parse(): all the input was taken */
        ctx->end = ctx->finishing ? ctx->len
                                  : yajl_get_bytes_consumed(ctx->yajl);
        return 1;

    case RTK_ST_GROUPS_KEY:
    case RTK_ST_ACCOUNTS_KEY:
        ctx->state = RTK_ST_ROOT_KEY;
        return 1;

    case RTK_ST_ACCOUNT_KEY:
        if (!(ctx->account_seen & RTK_KEY_APPS)) {
            return rtk_policy_fail(ctx, ctx->account_at,
                                   "account \"%s\": missing required key "
                                   "\"apps\"", ctx->account->key);
        }

        ctx->state = RTK_ST_ACCOUNTS_KEY;
        return 1;

    case RTK_ST_APPS_KEY:
        ctx->state = RTK_ST_ACCOUNT_KEY;
        return 1;

    case RTK_ST_APP_KEY:
        if (!(ctx->app_seen & RTK_KEY_EDITORS)) {
            return rtk_policy_fail(ctx, ctx->app_at,
                                   "%s: missing required key \"editors\"",
                                   ctx->app->rule);
        }

        ctx->state = RTK_ST_APPS_KEY;
        return 1;

    case RTK_ST_FIELDS_KEY:
        n = ctx->fields.len / sizeof(rtk_policy_fields_t);

        if (n != 0) {
            f = (rtk_policy_fields_t *) ctx->fields.data;
            qsort(f, n, sizeof(rtk_policy_fields_t), rtk_policy_cmp_fields);

            ctx->app->fields = rtk_policy_pdup(ctx->policy, f,
                                               ctx->fields.len, 0);
            if (ctx->app->fields == NULL) {
                return rtk_policy_nomem(ctx);
            }
        }

        ctx->app->nfields = (uint32_t) n;
        ctx->state = RTK_ST_APP_KEY;
        return 1;

    default:
        /* yajl pairs the braces: not reached */
        return rtk_policy_wrong(ctx, RTK_TOK_CHAR);
    }
}


static int
rtk_policy_on_start_array(void *data)
{
    rtk_policy_ctx_t  *ctx;

    ctx = data;
    rtk_policy_mark(ctx);

    switch (ctx->state) {

    case RTK_ST_GROUP:
        ctx->state = RTK_ST_GROUP_ITEM;
        break;

    case RTK_ST_LIST:
        ctx->state = RTK_ST_LIST_ITEM;
        break;

    case RTK_ST_FIELD_LIST:
        ctx->state = RTK_ST_FIELD_ITEM;
        break;

    default:
        return rtk_policy_wrong(ctx, RTK_TOK_CHAR);
    }

    ctx->list_at = rtk_policy_token(ctx, RTK_TOK_CHAR);
    ctx->vec.len = 0;
    ctx->mask = 0;

    return 1;
}


static int
rtk_policy_on_end_array(void *data)
{
    rtk_policy_ctx_t     *ctx;
    rtk_policy_group_t   *g;
    rtk_policy_fields_t   f;

    ctx = data;
    rtk_policy_mark(ctx);

    switch (ctx->state) {

    case RTK_ST_GROUP_ITEM:
        g = ctx->group;
        g->nmembers = (uint32_t) (ctx->vec.len / sizeof(void *));

        if (g->nmembers != 0) {
            g->members = rtk_policy_pdup(ctx->policy, ctx->vec.data,
                                         ctx->vec.len, 0);
            if (g->members == NULL) {
                return rtk_policy_nomem(ctx);
            }
        }

        ctx->state = RTK_ST_GROUPS_KEY;
        return 1;

    case RTK_ST_LIST_ITEM:
        return rtk_policy_end_list(ctx);

    case RTK_ST_FIELD_ITEM:
        f.principal = ctx->principal;
        f.fields = ctx->mask;

        if (rtk_policy_vec_push(&ctx->fields, &f, sizeof(f)) != RTK_OK) {
            return rtk_policy_nomem(ctx);
        }

        ctx->state = RTK_ST_FIELDS_KEY;
        return 1;

    default:
        return rtk_policy_wrong(ctx, RTK_TOK_CHAR);
    }
}


/* after the text: undefined groups, then each caller's group list */

static int
rtk_policy_finish(rtk_policy_ctx_t *ctx)
{
    size_t                i, at;
    uint32_t              k;
    rtk_policy_t         *policy;
    rtk_policy_group_t   *g, *bad;
    rtk_policy_caller_t  *c;

    policy = ctx->policy;
    bad = NULL;
    at = 0;

    for (i = 0; i < policy->groups.size; i++) {
        g = policy->groups.slots[i].value;

        if (g == NULL || g->defined) {
            continue;
        }

        /* report the first reference in the text */
        if (bad == NULL || g->ref < at) {
            bad = g;
            at = g->ref;
        }
    }

    if (bad != NULL) {
        return rtk_policy_fail(ctx, at, "unknown group \"@%s\"",
                               (const char *) bad->name);
    }

    for (i = 0; i < policy->groups.size; i++) {
        g = policy->groups.slots[i].value;

        if (g == NULL) {
            continue;
        }

        for (k = 0; k < g->nmembers; k++) {
            g->members[k]->ngroups++;
        }
    }

    for (i = 0; i < policy->callers.size; i++) {
        c = policy->callers.slots[i].value;

        if (c == NULL || c->ngroups == 0) {
            continue;
        }

        c->groups = rtk_policy_palloc(policy, c->ngroups * sizeof(uint32_t));
        if (c->groups == NULL) {
            return rtk_policy_nomem(ctx);
        }
    }

    for (i = 0; i < policy->groups.size; i++) {
        g = policy->groups.slots[i].value;

        if (g == NULL) {
            continue;
        }

        for (k = 0; k < g->nmembers; k++) {
            c = g->members[k];
            c->groups[c->fill++] = g->principal;
        }
    }

    return 1;
}


/*
 * The token that yajl refused is the first one after the last token
 * reported, or the next one if yajl went past a ',' or ':' there.
 */

static size_t
rtk_policy_bad_token(rtk_policy_ctx_t *ctx, size_t end)
{
    size_t                p;
    const unsigned char  *d;

    d = ctx->data;
    p = ctx->last;

    while (p < ctx->len
           && (d[p] == ' ' || d[p] == '\t' || d[p] == '\n' || d[p] == '\r'))
    {
        p++;
    }

    if (p < ctx->len && (d[p] == ',' || d[p] == ':') && end > p + 1) {
        p++;

        while (p < ctx->len
               && (d[p] == ' ' || d[p] == '\t' || d[p] == '\n'
                   || d[p] == '\r'))
        {
            p++;
        }
    }

    return p;
}


static void
rtk_policy_syntax(rtk_policy_ctx_t *ctx, yajl_status status)
{
    size_t          at, n;
    const char     *msg, *p;
    unsigned char  *text;

    if (ctx->failed || status == yajl_status_client_canceled) {
        if (!ctx->failed) {
            (void) rtk_policy_fail(ctx, ctx->len, "parse canceled");
        }

        return;
    }

    text = yajl_get_error(ctx->yajl, 0, NULL, 0);
    msg = (text != NULL) ? (const char *) text : "error: unknown";

    /*
     * Most lexical errors stop at the offending byte, two just after it;
     * a parse error is after or inside the offending token.  An error at
     * the end of the text is put just past its last byte.
     */

    at = ctx->finishing ? ctx->len : yajl_get_bytes_consumed(ctx->yajl);

    if (ctx->finishing || at == 0 || at > ctx->len) {
        /* void */

    } else if (strncmp(msg, "lexical", 7) != 0) {
        at = rtk_policy_bad_token(ctx, at);

    } else if (strstr(msg, "invalid bytes in UTF8") != NULL
               || strstr(msg, "invalid char in json") != NULL)
    {
        at--;
    }

    p = strstr(msg, "error: ");
    p = (p != NULL) ? p + 7 : msg;

    n = strlen(p);

    while (n > 0 && (p[n - 1] == '\n' || p[n - 1] == ' ')) {
        n--;
    }

    (void) rtk_policy_fail(ctx, at, "JSON syntax error: %.*s", (int) n, p);

    if (text != NULL) {
        yajl_free_error(ctx->yajl, text);
    }
}


rtk_policy_t *
rtk_policy_parse(const unsigned char *data, size_t len, const char *name,
    rtk_error_t *err)
{
    size_t            i, at, n;
    unsigned int      mdlen;
    yajl_status       status;
    unsigned char     md[EVP_MAX_MD_SIZE];
    rtk_policy_t     *policy;
    rtk_policy_ctx_t  ctx;

    static const char  hex[] = "0123456789abcdef";

    if (name == NULL) {
        name = "policy";
    }

    if (data == NULL) {
        data = (const unsigned char *) "";
        len = 0;
    }

    if (len > RTK_POLICY_FILE_MAX) {
        (void) rtk_error_set(err, RTK_E_INTERNAL,
                             "%s: larger than 64 MiB", name);
        return NULL;
    }

    policy = calloc(1, sizeof(rtk_policy_t));
    if (policy == NULL) {
        (void) rtk_error_set(err, RTK_E_INTERNAL, "%s: out of memory", name);
        return NULL;
    }

    policy->mode = RTK_MODE_ENFORCE;

    if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1
        || mdlen * 2 != RTK_POLICY_HASH_LEN)
    {
        (void) rtk_error_set(err, RTK_E_INTERNAL, "%s: SHA-256 failed", name);
        rtk_policy_free(policy);
        return NULL;
    }

    for (i = 0; i < mdlen; i++) {
        policy->hash[2 * i] = hex[md[i] >> 4];
        policy->hash[2 * i + 1] = hex[md[i] & 0x0f];
    }

    policy->hash[RTK_POLICY_HASH_LEN] = '\0';

    memset(&ctx, 0, sizeof(rtk_policy_ctx_t));
    ctx.policy = policy;
    ctx.data = data;
    ctx.len = len;
    ctx.name = name;
    ctx.err = err;
    ctx.state = RTK_ST_ROOT;

    ctx.yajl = yajl_alloc(&rtk_policy_callbacks, NULL, &ctx);
    if (ctx.yajl == NULL) {
        (void) rtk_error_set(err, RTK_E_INTERNAL, "%s: out of memory", name);
        rtk_policy_free(policy);
        return NULL;
    }

    /* what yajl lets through: garbage surrogates, lax UTF-8 */

    if (rtk_json_surrogates(data, len, &at) != RTK_OK) {
        (void) rtk_policy_fail(&ctx, at, "unpaired surrogate escape");
        goto done;
    }

    for (at = 0; at < len; at++) {
        if (data[at] >= 0x80) {
            n = rtk_utf8_len(data + at, data + len);

            if (n == 0) {
                (void) rtk_policy_fail(&ctx, at, "invalid UTF-8");
                goto done;
            }

            at += n - 1;
        }
    }

    status = yajl_parse(ctx.yajl, data, len);

    if (status == yajl_status_ok) {
        ctx.finishing = 1;
        status = yajl_complete_parse(ctx.yajl);
    }

    if (status != yajl_status_ok) {
        rtk_policy_syntax(&ctx, status);

    } else if (ctx.state != RTK_ST_DONE) {
        /* a complete text that is not an object, e.g. "5" */
        (void) rtk_policy_fail(&ctx, 0, "the policy must be a JSON object");

    } else {
        /*
         * yajl takes an unterminated string after the object for a
         * token still to come, and then forgets it
         */

        for (at = ctx.end; at < len; at++) {
            if (data[at] != ' ' && data[at] != '\t' && data[at] != '\n'
                && data[at] != '\r')
            {
                (void) rtk_policy_fail(&ctx, at, "trailing data after the "
                                       "policy object");
                goto done;
            }
        }

        (void) rtk_policy_finish(&ctx);
    }

done:

    yajl_free(ctx.yajl);
    free(ctx.vec.data);
    free(ctx.fields.data);

    /* only needed while loading */
    free(policy->groups.slots);
    free(policy->urls.slots);
    memset(&policy->groups, 0, sizeof(rtk_policy_hash_t));
    memset(&policy->urls, 0, sizeof(rtk_policy_hash_t));

    if (ctx.failed) {
        rtk_policy_free(policy);
        return NULL;
    }

    return policy;
}


rtk_policy_t *
rtk_policy_load(const char *path, rtk_error_t *err)
{
    int            fd;
    size_t         n;
    ssize_t        r;
    struct stat    st;
    rtk_policy_t  *policy;
    unsigned char *data;

    fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd == -1) {
        (void) rtk_error_set(err, RTK_E_INTERNAL, "%s: cannot open: %s",
                             path, strerror(errno));
        return NULL;
    }

    if (fstat(fd, &st) == -1) {
        (void) rtk_error_set(err, RTK_E_INTERNAL, "%s: cannot stat: %s",
                             path, strerror(errno));
        (void) close(fd);
        return NULL;
    }

    if (!S_ISREG(st.st_mode)) {
        (void) rtk_error_set(err, RTK_E_INTERNAL,
                             "%s: not a regular file", path);
        (void) close(fd);
        return NULL;
    }

    if (st.st_size > RTK_POLICY_FILE_MAX) {
        (void) rtk_error_set(err, RTK_E_INTERNAL,
                             "%s: larger than 64 MiB", path);
        (void) close(fd);
        return NULL;
    }

    /* one byte more than expected shows a file that grew meanwhile */
    data = malloc((size_t) st.st_size + 1);
    if (data == NULL) {
        (void) rtk_error_set(err, RTK_E_INTERNAL, "%s: out of memory", path);
        (void) close(fd);
        return NULL;
    }

    n = 0;

    for ( ;; ) {
        r = read(fd, data + n, (size_t) st.st_size + 1 - n);

        if (r == -1 && errno == EINTR) {
            continue;
        }

        if (r <= 0) {
            break;
        }

        n += (size_t) r;

        if (n == (size_t) st.st_size + 1) {
            break;
        }
    }

    (void) close(fd);

    if (r == -1) {
        (void) rtk_error_set(err, RTK_E_INTERNAL, "%s: read failed: %s",
                             path, strerror(errno));
        free(data);
        return NULL;
    }

    if (n != (size_t) st.st_size) {
        (void) rtk_error_set(err, RTK_E_INTERNAL,
                             "%s: changed while being read", path);
        free(data);
        return NULL;
    }

    policy = rtk_policy_parse(data, n, path, err);

    free(data);

    return policy;
}


void
rtk_policy_free(rtk_policy_t *policy)
{
    rtk_policy_chunk_t  *c, *next;

    if (policy == NULL) {
        return;
    }

    for (c = policy->chunks; c != NULL; c = next) {
        next = c->next;
        free(c);
    }

    free(policy->accounts.slots);
    free(policy->apps.slots);
    free(policy->callers.slots);
    free(policy->groups.slots);
    free(policy->urls.slots);
    free(policy);
}


const char *
rtk_policy_hash(const rtk_policy_t *policy)
{
    return policy->hash;
}


size_t
rtk_policy_apps(const rtk_policy_t *policy)
{
    return policy->napps;
}


/* evaluation */

static unsigned
rtk_policy_app_mode(const rtk_policy_t *policy, const rtk_policy_app_t *app)
{
    if (app->mode != RTK_MODE_UNSET) {
        return app->mode;
    }

    if (app->account->mode != RTK_MODE_UNSET) {
        return app->account->mode;
    }

    return policy->mode;
}


static int
rtk_policy_member(const rtk_policy_set_t *set, const rtk_policy_caller_t *c)
{
    uint32_t  i;

    if (c == NULL || set->n == 0) {
        return 0;
    }

    if (rtk_policy_find_u32(set->items, set->n, c->principal)) {
        return 1;
    }

    for (i = 0; i < c->ngroups; i++) {
        if (rtk_policy_find_u32(set->items, set->n, c->groups[i])) {
            return 1;
        }
    }

    return 0;
}


static unsigned
rtk_policy_bit(unsigned mask)
{
    unsigned  i;

    for (i = 0; i < 31 && !(mask & (1u << i)); i++) {
        /* void */
    }

    return i;
}


/*
 * The union of the "fields" entries of the caller and of its groups;
 * returns 0 if none of them has an entry, so nothing is restricted.
 */

static int
rtk_policy_fields(const rtk_policy_app_t *app, const rtk_policy_caller_t *c,
    unsigned *allowed)
{
    int                         found;
    uint32_t                    i, lo, hi, mid, p;
    const rtk_policy_fields_t  *f;

    found = 0;
    *allowed = 0;

    for (i = 0; i <= c->ngroups; i++) {
        p = (i == 0) ? c->principal : c->groups[i - 1];

        lo = 0;
        hi = app->nfields;

        while (lo < hi) {
            mid = lo + (hi - lo) / 2;
            f = &app->fields[mid];

            if (f->principal == p) {
                found = 1;
                *allowed |= f->fields;
                break;
            }

            if (f->principal < p) {
                lo = mid + 1;

            } else {
                hi = mid;
            }
        }
    }

    return found;
}


/* the checks in their order; the first failing one decides */

static int
rtk_policy_check(const rtk_policy_app_t *app, const rtk_policy_caller_t *c,
    const unsigned char *caller, size_t caller_len, const rtk_route_t *route,
    const rtk_body_t *body, rtk_error_t *reason)
{
    char      clip[RTK_POLICY_CLIP + 4];
    unsigned  allowed, bad;

    if (!rtk_policy_member(&app->editors, c)) {
        rtk_policy_clip(clip, caller, caller_len);

        return rtk_error_set(reason, RTK_E_DENY_EDITOR,
                             "caller \"%s\" is not an editor of app %s",
                             clip, route->app);
    }

    if (app->nfields != 0 && rtk_policy_fields(app, c, &allowed)) {
        bad = body->fields & ~allowed & 0x0f;

        if (bad != 0) {
            rtk_policy_clip(clip, caller, caller_len);

            return rtk_error_set(reason, RTK_E_DENY_FIELD,
                                 "caller \"%s\" may not change field \"%s\" "
                                 "of app %s", clip,
                                 rtk_field_names[rtk_policy_bit(bad)],
                                 route->app);
        }
    }

    if (body->fields & RTK_FIELD_ENABLED) {
        if (body->enabled) {
            if (!rtk_policy_member(&app->enablers, c)) {
                rtk_policy_clip(clip, caller, caller_len);

                return rtk_error_set(reason, RTK_E_DENY_ENABLE,
                                     "caller \"%s\" may not enable webhooks "
                                     "of app %s", clip, route->app);
            }

        } else if (app->has_disablers
                   && !rtk_policy_member(&app->disablers, c))
        {
            rtk_policy_clip(clip, caller, caller_len);

            return rtk_error_set(reason, RTK_E_DENY_DISABLE,
                                 "caller \"%s\" may not disable webhooks "
                                 "of app %s", clip, route->app);
        }
    }

    if ((body->fields & RTK_FIELD_URL)
        && rtk_policy_check_url(app, route, body, reason) != RTK_OK)
    {
        return RTK_ERROR;
    }

    if (body->fields & RTK_FIELD_EVENTS) {
        bad = body->events & ~app->events & RTK_EVENTS_ALL;

        if (bad != 0) {
            return rtk_error_set(reason, RTK_E_DENY_EVENT,
                                 "event \"%s\" not allowed for app %s",
                                 rtk_event_names[rtk_policy_bit(bad)],
                                 route->app);
        }
    }

    return RTK_OK;
}


static void
rtk_policy_pattern(const rtk_policy_url_t *u, rtk_url_pattern_t *pat)
{
    pat->https = u->https;
    pat->wildcard = u->wildcard;
    pat->host_type = u->host_type;
    pat->port = u->port;

    memcpy(pat->host, u->host, u->host_len + 1);
    pat->host_len = u->host_len;

    memcpy(pat->path, u->path, u->path_len + 1);
    pat->path_len = u->path_len;
}


static int
rtk_policy_check_url(const rtk_policy_app_t *app, const rtk_route_t *route,
    const rtk_body_t *body, rtk_error_t *reason)
{
    char                clip[RTK_POLICY_CLIP + 4];
    uint32_t            i;
    const rtk_url_t    *url;
    rtk_url_pattern_t   pat;

    url = &body->url_parsed;

    for (i = 0; i < app->nurls; i++) {
        rtk_policy_pattern(app->urls[i], &pat);

        if (rtk_url_match(&pat, url)) {
            return RTK_OK;
        }
    }

    /*
     * Denied: say "host" only if no pattern names the host; the real
     * matcher decides, with scheme, port and path taken from the url.
     */

    for (i = 0; i < app->nurls; i++) {
        rtk_policy_pattern(app->urls[i], &pat);

        pat.https = url->https;
        pat.port = url->port;
        pat.path[0] = '/';
        pat.path[1] = '\0';
        pat.path_len = 1;

        if (rtk_url_match(&pat, url)) {
            rtk_policy_clip(clip, body->url, body->url_len);

            return rtk_error_set(reason, RTK_E_DENY_URL,
                                 "url \"%s\" not in allowlist of app %s",
                                 clip, route->app);
        }
    }

    rtk_policy_clip(clip, (const unsigned char *) url->host, url->host_len);

    return rtk_error_set(reason, RTK_E_DENY_URL,
                         "url host %s not in allowlist of app %s",
                         clip, route->app);
}


void
rtk_policy_eval(const rtk_policy_t *policy, const unsigned char *caller,
    size_t caller_len, const rtk_route_t *route, const rtk_body_t *body,
    rtk_decision_t *decision)
{
    size_t                 n;
    unsigned               mode;
    const char            *rule;
    rtk_policy_app_t      *app;
    rtk_policy_caller_t   *c;
    rtk_policy_account_t  *a;
    unsigned char          key[RTK_ACCOUNT_ID_LEN + 1 + RTK_UUID_LEN];

    decision->decision = RTK_DECISION_ALLOW;
    decision->reason.status = 200;
    decision->reason.code = 0;
    decision->reason.message[0] = '\0';

    a = rtk_policy_hash_find(&policy->accounts,
                             (const unsigned char *) route->account,
                             RTK_ACCOUNT_ID_LEN,
                             rtk_policy_hash_key(
                                 (const unsigned char *) route->account,
                                 RTK_ACCOUNT_ID_LEN));
    if (a == NULL) {
        a = policy->star;
    }

    if (a == NULL) {
        mode = policy->mode;
        rule = "default";
        goto no_rule;
    }

    app = NULL;

    if (route->app_len <= RTK_UUID_LEN) {
        memcpy(key, a->key, a->key_len);
        key[a->key_len] = '/';
        memcpy(key + a->key_len + 1, route->app, route->app_len);
        n = a->key_len + 1 + route->app_len;

        app = rtk_policy_hash_find(&policy->apps, key, n,
                                   rtk_policy_hash_key(key, n));
    }

    if (app == NULL) {
        app = a->star;
    }

    if (app == NULL) {
        mode = (a->mode != RTK_MODE_UNSET) ? a->mode : policy->mode;
        rule = a->rule;
        goto no_rule;
    }

    /* at most "accounts.<32>.apps.<36>": it fits */
    memcpy(decision->rule, app->rule, strlen(app->rule) + 1);

    c = NULL;

    if (caller_len != 0) {
        c = rtk_policy_hash_find(&policy->callers, caller, caller_len,
                                 rtk_policy_hash_key(caller, caller_len));
    }

    if (rtk_policy_check(app, c, caller, caller_len, route, body,
                         &decision->reason)
        == RTK_OK)
    {
        return;
    }

    decision->decision = (rtk_policy_app_mode(policy, app) == RTK_MODE_REPORT)
                         ? RTK_DECISION_WOULD_DENY : RTK_DECISION_DENY;
    return;

no_rule:

    (void) snprintf(decision->rule, RTK_RULE_NAME_MAX, "%s", rule);
    (void) rtk_error_set(&decision->reason, RTK_E_DENY_NO_RULE,
                         "no policy rule for app %s in account %s",
                         route->app, route->account);

    decision->decision = (mode == RTK_MODE_REPORT)
                         ? RTK_DECISION_WOULD_DENY : RTK_DECISION_DENY;
}
