
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * The policy engine's private types, shared by its parts:
 *   rtk_policy_arena.c   memory, hash tables, small helpers
 *   rtk_policy_load.c    reading the file, driving yajl, positions
 *   rtk_policy_keys.c    the keys of each object of the file
 *   rtk_policy_schema.c  what each value of the file means
 *   rtk_policy_eval.c    the decision for one request
 * Nothing outside policy/rtk_policy_*.c includes this file.
 */


#ifndef _RTK_POLICY_INT_H_INCLUDED_
#define _RTK_POLICY_INT_H_INCLUDED_


#include <yajl/yajl_parse.h>

#include "rtk_policy.h"


#define RTK_POLICY_FILE_MAX       (64 * 1024 * 1024)
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
#define RTK_KEY_READERS           0x400
#define RTK_KEY_CREATORS          0x800
#define RTK_KEY_DELETERS          0x1000
#define RTK_KEY_WEBHOOKS          0x2000
#define RTK_POLICY_KEYS           14

/* the keys of an app entry, and of a webhook entry */
#define RTK_KEYS_APP                                                         \
    (RTK_KEY_MODE | RTK_KEY_EDITORS | RTK_KEY_READERS | RTK_KEY_CREATORS     \
     | RTK_KEY_DELETERS | RTK_KEY_ENABLERS | RTK_KEY_DISABLERS               \
     | RTK_KEY_URLS | RTK_KEY_EVENTS | RTK_KEY_FIELDS | RTK_KEY_WEBHOOKS)
#define RTK_KEYS_WEBHOOK                                                     \
    (RTK_KEYS_APP & ~(RTK_KEY_CREATORS | RTK_KEY_WEBHOOKS))

/* what the token that a callback reports looks like */
#define RTK_TOK_STRING            0
#define RTK_TOK_CHAR              1
#define RTK_TOK_NUMBER            2
#define RTK_TOK_NULL              3
#define RTK_TOK_TRUE              4
#define RTK_TOK_FALSE             5


typedef struct rtk_policy_chunk_s    rtk_policy_chunk_t;
typedef struct rtk_policy_account_s  rtk_policy_account_t;
typedef struct rtk_policy_app_s      rtk_policy_app_t;

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
    uint32_t                 stamp;      /* serial of a "fields" object */
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


/*
 * A rule: an app entry, or a webhook entry inside one (app is then its
 * app entry, for the mode).  key is the hash key of an app entry,
 * "<account key>/<app key>", which its webhook entries' keys extend.
 */

struct rtk_policy_app_s {
    rtk_policy_account_t    *account;
    rtk_policy_app_t        *app;        /* NULL for an app entry */
    const char              *rule;
    const unsigned char     *key;
    size_t                   key_len;
    unsigned                 mode;
    unsigned                 events;
    unsigned                 has_disablers;
    unsigned                 has_readers;
    uint32_t                 nfields;
    uint32_t                 nurls;
    uint32_t                 nwebhooks;
    rtk_policy_set_t         editors;
    rtk_policy_set_t         readers;
    rtk_policy_set_t         creators;
    rtk_policy_set_t         deleters;
    rtk_policy_set_t         enablers;
    rtk_policy_set_t         disablers;
    rtk_policy_fields_t     *fields;
    rtk_policy_url_t       **urls;
};


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
    rtk_policy_hash_t        webhooks;   /* "<app's key>/<webhook id>" */
    rtk_policy_hash_t        callers;
    rtk_policy_hash_t        groups;     /* while loading only */
    rtk_policy_hash_t        urls;       /* while loading only */
    char                     hash[RTK_POLICY_HASH_LEN + 1];
};


/* loading only */

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
    RTK_ST_WEBHOOKS,
    RTK_ST_WEBHOOKS_KEY,
    RTK_ST_WEBHOOK,
    RTK_ST_WEBHOOK_KEY,
    RTK_ST_LIST,
    RTK_ST_LIST_ITEM,
    RTK_ST_FIELDS,
    RTK_ST_FIELDS_KEY,
    RTK_ST_FIELD_LIST,
    RTK_ST_FIELD_ITEM,
    RTK_ST_DONE
} rtk_policy_state_e;


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
    unsigned                 level;      /* 0 root, 1 account, 2 rule */
    unsigned                 list;       /* RTK_KEY_* of the open list */
    unsigned                 root_seen;
    unsigned                 account_seen;
    unsigned                 app_seen;
    unsigned                 hook_seen;
    unsigned                 mask;
    uint32_t                 serial;
    uint32_t                 principal;
    size_t                   root_at;
    size_t                   end;        /* where the policy object ends */
    size_t                   account_at;
    size_t                   app_at;
    size_t                   hook_at;
    size_t                   list_at;
    size_t                   last;       /* end of the last good token */

    rtk_policy_account_t    *account;
    rtk_policy_app_t        *app;
    rtk_policy_app_t        *hook;       /* the webhook entry being read */
    rtk_policy_app_t        *rule;       /* hook, else app */
    rtk_policy_group_t      *group;

    rtk_policy_vec_t         vec;
    rtk_policy_vec_t         fields;

    rtk_url_pattern_t        pattern;
    char                     reason[RTK_ERROR_MESSAGE_MAX];
} rtk_policy_ctx_t;


/* rtk_policy_arena.c */

void *rtk_policy_palloc(rtk_policy_t *policy, size_t size);
void *rtk_policy_pdup(rtk_policy_t *policy, const void *src, size_t len,
    size_t extra);
uint32_t rtk_policy_hash_key(const unsigned char *key, size_t len);
void *rtk_policy_hash_find(const rtk_policy_hash_t *h,
    const unsigned char *key, size_t len, uint32_t hash);
int rtk_policy_hash_add(rtk_policy_hash_t *h, const unsigned char *key,
    size_t len, uint32_t hash, void *value);
int rtk_policy_vec_push(rtk_policy_vec_t *vec, const void *item,
    size_t size);
void rtk_policy_clip(char *buf, const unsigned char *s, size_t len);
unsigned rtk_policy_bit(unsigned mask);

/* rtk_policy_load.c: errors with the position of a token */

size_t rtk_policy_token(rtk_policy_ctx_t *ctx, int kind);
int rtk_policy_fail(rtk_policy_ctx_t *ctx, size_t at, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__ ((format (printf, 3, 4)))
#endif
    ;
int rtk_policy_nomem(rtk_policy_ctx_t *ctx);

/* rtk_policy_keys.c: each returns 1 to go on, 0 to stop the parser */

extern const char *const  rtk_policy_key_names[RTK_POLICY_KEYS];

int rtk_policy_root_key(rtk_policy_ctx_t *ctx, const unsigned char *s,
    size_t len);
int rtk_policy_group_key(rtk_policy_ctx_t *ctx, const unsigned char *s,
    size_t len);
int rtk_policy_account_key(rtk_policy_ctx_t *ctx, const unsigned char *s,
    size_t len);
int rtk_policy_account_entry_key(rtk_policy_ctx_t *ctx,
    const unsigned char *s, size_t len);
int rtk_policy_app_key(rtk_policy_ctx_t *ctx, const unsigned char *s,
    size_t len);
int rtk_policy_app_entry_key(rtk_policy_ctx_t *ctx, const unsigned char *s,
    size_t len);
int rtk_policy_webhook_key(rtk_policy_ctx_t *ctx, const unsigned char *s,
    size_t len);
int rtk_policy_webhook_entry_key(rtk_policy_ctx_t *ctx,
    const unsigned char *s, size_t len);
int rtk_policy_fields_key(rtk_policy_ctx_t *ctx, const unsigned char *s,
    size_t len);

/* rtk_policy_schema.c: values and ends, the same way */

int rtk_policy_mode(rtk_policy_ctx_t *ctx, const unsigned char *s,
    size_t len);
int rtk_policy_group_item(rtk_policy_ctx_t *ctx, const unsigned char *s,
    size_t len);
int rtk_policy_list_item(rtk_policy_ctx_t *ctx, const unsigned char *s,
    size_t len);
int rtk_policy_field_item(rtk_policy_ctx_t *ctx, const unsigned char *s,
    size_t len);
int rtk_policy_end_group(rtk_policy_ctx_t *ctx);
int rtk_policy_end_list(rtk_policy_ctx_t *ctx);
int rtk_policy_end_field_list(rtk_policy_ctx_t *ctx);
int rtk_policy_end_fields(rtk_policy_ctx_t *ctx);
int rtk_policy_end_app(rtk_policy_ctx_t *ctx);
int rtk_policy_end_webhook(rtk_policy_ctx_t *ctx);

/*
 * rtk_policy_schema.c, for rtk_policy_keys.c too: whether a group name
 * is good (1 or 0); a "caller" or "@group" interned (RTK_OK, or
 * RTK_ERROR with the error set)
 */

int rtk_policy_is_group(const unsigned char *s, size_t len);
int rtk_policy_principal(rtk_policy_ctx_t *ctx, const unsigned char *s,
    size_t len, uint32_t *principal, uint32_t **stamp);


#endif /* _RTK_POLICY_INT_H_INCLUDED_ */
