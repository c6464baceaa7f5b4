
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * The engine's per-request path takes no memory from the C heap: the
 * whole sequence of checks on a forwarded request, with a body plain or
 * full of escapes, calls malloc() not once; memory comes from the
 * caller's pool, yajl's from an arena on the stack.  What outgrows the
 * arena (deep nesting, long escaped strings) may use the heap, and
 * gives back all of it, whatever the outcome.
 *
 * malloc() and the others are wrapped here to count the calls; under
 * AddressSanitizer, which has its own, they are not, and only the
 * outcomes are checked.
 */


#include <stdint.h>

#include "rtk_test.h"
#include "rtk_txn.h"


#if defined(__SANITIZE_ADDRESS__)
#define RTK_AT_COUNTING  0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RTK_AT_COUNTING  0
#endif
#endif

#ifndef RTK_AT_COUNTING
#define RTK_AT_COUNTING  1
#endif


#define RTK_AT_POOL      65536

#define RTK_AT_TARGET                                                        \
    "/client/v4/accounts/023e105f4ecef8ad9ca31a8372d0c353"                   \
    "/realtime/kit/14a396e7-ca44-4937-bf1f-050a69118543"                     \
    "/webhooks/aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"

#define RTK_AT_APP  "14a396e7-ca44-4937-bf1f-050a69118543"


typedef struct {
    size_t                   used;
    unsigned char            data[RTK_AT_POOL];
} rtk_at_pool_t;


static void *rtk_at_alloc(void *data, size_t size);
static int rtk_at_request(const rtk_policy_t *policy, const char *body,
    size_t len, rtk_txn_t *txn);
static void rtk_at_test_forwarded(const rtk_policy_t *policy);
static void rtk_at_test_large(void);


static rtk_at_pool_t  rtk_at_pool;
static int            rtk_at_counting;
static unsigned long  rtk_at_mallocs;    /* malloc, calloc, realloc(NULL) */
static unsigned long  rtk_at_frees;      /* free of what was counted */


#if RTK_AT_COUNTING

void *__libc_malloc(size_t size);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *ptr, size_t size);
void __libc_free(void *ptr);


void *
malloc(size_t size)
{
    rtk_at_mallocs += rtk_at_counting;

    return __libc_malloc(size);
}


void *
calloc(size_t n, size_t size)
{
    rtk_at_mallocs += rtk_at_counting;

    return __libc_calloc(n, size);
}


void *
realloc(void *ptr, size_t size)
{
    rtk_at_mallocs += rtk_at_counting && ptr == NULL;

    return __libc_realloc(ptr, size);
}


void
free(void *ptr)
{
    rtk_at_frees += rtk_at_counting && ptr != NULL;

    __libc_free(ptr);
}

#endif


static void *
rtk_at_alloc(void *data, size_t size)
{
    size_t          at;
    rtk_at_pool_t  *pool = data;

    at = (pool->used + 15) & ~(size_t) 15;

    if (at + size > RTK_AT_POOL) {
        return NULL;
    }

    pool->used = at + size;

    return pool->data + at;
}


/* the gateway's calls for one PATCH, counted */

static int
rtk_at_request(const rtk_policy_t *policy, const char *body, size_t len,
    rtk_txn_t *txn)
{
    int  rc;

    rtk_at_pool.used = 0;
    rtk_at_mallocs = 0;
    rtk_at_frees = 0;
    rtk_at_counting = 1;

    rtk_txn_init(txn);

    rc = (rtk_txn_route(txn, (const unsigned char *) RTK_AT_TARGET,
                        sizeof(RTK_AT_TARGET) - 1) == RTK_OK
          && rtk_txn_method(txn, (const unsigned char *) "PATCH", 5)
             == RTK_OK
          && rtk_txn_identity(txn, (const unsigned char *) "alice", 5)
             == RTK_OK
          && rtk_txn_content_type(txn,
                 (const unsigned char *) "application/json", 16, 1)
             == RTK_OK
          && rtk_txn_size(txn, (long long) len, 1048576) == RTK_OK
          && rtk_txn_body(txn, policy, (const unsigned char *) body, len,
                          rtk_at_alloc, &rtk_at_pool)
             == RTK_OK)
         ? RTK_OK : RTK_ERROR;

    rtk_at_counting = 0;

    return rc;
}


static void
rtk_at_test_forwarded(const rtk_policy_t *policy)
{
    size_t      i;
    rtk_txn_t   txn;

    static const char  *bodies[] = {
        /* the 122 bytes of the benchmark */
        "{\"name\":\"prod\",\"url\":\"https://hooks.example.com/rtk\","
        "\"events\":[\"meeting.started\",\"recording.statusUpdate\"],"
        "\"enabled\":true}",

        /* escapes everywhere: yajl's decode buffer, in the arena too */
        "{\"name\":\"\\u00e9t\\u00e9 \\\"x\\\" \\ud83d\\ude00\","
        "\"url\":\"https:\\/\\/hooks.example.com\\/rtk\","
        "\"events\":[\"meeting.\\u0073tarted\"],\"enabled\":true}",

        /* pretty-printed, a refusal by the schema, one by the policy */
        "{\n  \"name\": \"prod\",\n  \"enabled\": false\n}\n",
        "{\"name\":\"prod\",\"id\":\"x\"}",
        "{\"url\":\"https://elsewhere.example.com/\"}",
        "{\"name\":\"prod\"} x"
    };

    static const int  forwarded[] = { 1, 1, 1, 0, 0, 0 };

    for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        RTK_CHECK((rtk_at_request(policy, bodies[i], strlen(bodies[i]),
                                  &txn)
                   == RTK_OK) == forwarded[i],
                  "%zu: %s", i, txn.outcome.message);

        RTK_CHECK(rtk_at_mallocs == 0 && rtk_at_frees == 0,
                  "%zu: %lu malloc, %lu free", i, rtk_at_mallocs,
                  rtk_at_frees);

        if (forwarded[i]) {
            RTK_CHECK(txn.canonical != NULL
                      && (unsigned char *) txn.canonical
                         >= rtk_at_pool.data
                      && (unsigned char *) txn.canonical
                         < rtk_at_pool.data + RTK_AT_POOL,
                      "%zu: canonical body not from the pool", i);
        }
    }
}


/* beyond the arena: the heap, all of it given back, on every outcome */

static void
rtk_at_test_large(void)
{
    int          rc;
    char        *buf;
    size_t       i, n, len;
    rtk_body_t   body;
    rtk_error_t  err;

    /* 3000 escapes: an unknown field's value outgrows the decode buffer */
    n = 3000;
    len = 0;
    buf = malloc(32 + 2 * n + 16);
    if (buf == NULL) {
        abort();
    }

    len += sprintf(buf, "{\"x\":\"");

    for (i = 0; i < n; i++) {
        buf[len++] = '\\';
        buf[len++] = 'n';
    }

    len += sprintf(buf + len, "\"}");

    rtk_at_mallocs = 0;
    rtk_at_frees = 0;
    rtk_at_counting = 1;
    rc = rtk_body_parse(&body, RTK_OP_EDIT, (const unsigned char *) buf,
                        len, rtk_test_alloc, NULL, &err);

    rtk_at_counting = 0;

    RTK_CHECK(rc == RTK_ERROR && err.code == RTK_E_FIELD_UNKNOWN,
              "long escaped: %d %s", rc, err.message);
    RTK_CHECK(rtk_at_mallocs == rtk_at_frees
              && (rtk_at_mallocs != 0 || !RTK_AT_COUNTING),
              "long escaped: %lu malloc, %lu free", rtk_at_mallocs,
              rtk_at_frees);

    free(buf);

    /* nesting deeper than the arena holds, balanced and not */
    for (n = 0; n < 2; n++) {
        len = 20000;
        buf = malloc(2 * len + 16);
        if (buf == NULL) {
            abort();
        }

        memset(buf, '[', len);

        if (n == 1) {
            memset(buf + len, ']', len);
            len *= 2;
        }

        rtk_at_mallocs = 0;
        rtk_at_frees = 0;
        rtk_at_counting = 1;

        rc = rtk_body_parse(&body, RTK_OP_EDIT, (const unsigned char *) buf,
                            len, rtk_test_alloc, NULL, &err);

        rtk_at_counting = 0;

        RTK_CHECK(rc == RTK_ERROR
                  && err.code == (n ? RTK_E_FIELD_TYPE : RTK_E_JSON_SYNTAX),
                  "deep %zu: %d %s", n, rc, err.message);
        RTK_CHECK(rtk_at_mallocs == rtk_at_frees
                  && (rtk_at_mallocs != 0 || !RTK_AT_COUNTING),
                  "deep %zu: %lu malloc, %lu free", n, rtk_at_mallocs,
                  rtk_at_frees);

        free(buf);
    }
}


int
main(void)
{
    rtk_error_t    err;
    rtk_policy_t  *policy;

    static const char  json[] =
        "{\"accounts\": {\"*\": {\"apps\": {\"" RTK_AT_APP "\": {"
        "\"editors\": [\"alice\"], \"enablers\": [\"alice\"],"
        "\"disablers\": [\"alice\"],"
        "\"urls\": [\"https://hooks.example.com/rtk\"],"
        "\"events\": [\"meeting.started\", \"recording.statusUpdate\"]"
        "}}}}}";

    memset(&err, 0, sizeof(rtk_error_t));

    policy = rtk_policy_parse((const unsigned char *) json, sizeof(json) - 1,
                              "alloc_test", &err);
    if (policy == NULL) {
        fprintf(stderr, "policy: %s\n", err.message);
        return 1;
    }

    rtk_at_test_forwarded(policy);
    rtk_at_test_large();

    rtk_policy_free(policy);

    return rtk_test_report("alloc");
}
