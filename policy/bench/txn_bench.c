
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * txn_bench: the engine's per-request calls, in the gateway's order and
 * with its arguments, on one forwarded PATCH, to count what each stage
 * costs.  The pool is a bump allocator reset per request, as an nginx
 * request pool would be.
 *
 *   txn_bench [-n ITERATIONS] [-p POLICY] [-b BODY] [-t TARGET]
 *
 * Under callgrind ("make -C policy callgrind") only the measured
 * iterations are counted: the warm-up ones run before the statistics
 * are zeroed.  Without valgrind it prints nanoseconds per request.
 */


#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE  200809L
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#endif
#endif

#include "rtk_txn.h"


#ifndef CALLGRIND_ZERO_STATS
#define CALLGRIND_ZERO_STATS
#define CALLGRIND_DUMP_STATS
#endif


#define RTK_BENCH_POOL       65536
#define RTK_BENCH_WARM       16
#define RTK_BENCH_MAX_BODY   (1024 * 1024)

#define RTK_BENCH_TARGET                                                    \
    "/client/v4/accounts/023e105f4ecef8ad9ca31a8372d0c353"                  \
    "/realtime/kit/14a396e7-ca44-4937-bf1f-050a69118543"                    \
    "/webhooks/aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"

/* 122 bytes: the edit an internal tool sends */
#define RTK_BENCH_BODY                                                      \
    "{\"name\":\"prod\",\"url\":\"https://hooks.example.com/rtk\","         \
    "\"events\":[\"meeting.started\",\"recording.statusUpdate\"],"          \
    "\"enabled\":true}"


typedef struct {
    size_t                   used;
    unsigned char            data[RTK_BENCH_POOL];
} rtk_bench_pool_t;


static void *rtk_bench_alloc(void *data, size_t size);
static int rtk_bench_request(const rtk_policy_t *policy,
    const unsigned char *target, size_t target_len,
    const unsigned char *body, size_t body_len, rtk_bench_pool_t *pool,
    rtk_txn_t *txn);
static double rtk_bench_now(void);


static rtk_bench_pool_t  rtk_bench_pool;


int
main(int argc, char **argv)
{
    int                   c;
    long                  i, n;
    double                t0, t1;
    rtk_txn_t             txn;
    const char           *path, *body, *target;
    rtk_error_t           err;
    rtk_policy_t         *policy;

    n = 1000;
    path = "../examples/policy.json";
    body = RTK_BENCH_BODY;
    target = RTK_BENCH_TARGET;

    while ((c = getopt(argc, argv, "n:p:b:t:")) != -1) {
        switch (c) {
        case 'n':
            n = atol(optarg);
            break;
        case 'p':
            path = optarg;
            break;
        case 'b':
            body = optarg;
            break;
        case 't':
            target = optarg;
            break;
        default:
            fprintf(stderr, "usage: txn_bench [-n ITERATIONS] [-p POLICY] "
                    "[-b BODY] [-t TARGET]\n");
            return 2;
        }
    }

    memset(&err, 0, sizeof(rtk_error_t));

    policy = rtk_policy_load(path, &err);
    if (policy == NULL) {
        fprintf(stderr, "txn_bench: %s\n", err.message);
        return 1;
    }

    /* the first requests pay for lazy set-up in the libraries */

    for (i = 0; i < RTK_BENCH_WARM; i++) {
        if (rtk_bench_request(policy, (const unsigned char *) target,
                              strlen(target), (const unsigned char *) body,
                              strlen(body), &rtk_bench_pool, &txn)
            != RTK_OK)
        {
            fprintf(stderr, "txn_bench: not forwarded: %d %s\n",
                    txn.outcome.code, txn.outcome.message);
            return 1;
        }
    }

    printf("body (%zu bytes): %s\n", strlen(body), body);
    printf("canonical (%zu bytes): %.*s\n", txn.canonical_len,
           (int) txn.canonical_len, txn.canonical);

    CALLGRIND_ZERO_STATS;

    t0 = rtk_bench_now();

    for (i = 0; i < n; i++) {
        (void) rtk_bench_request(policy, (const unsigned char *) target,
                                 strlen(target), (const unsigned char *) body,
                                 strlen(body), &rtk_bench_pool, &txn);
    }

    t1 = rtk_bench_now();

    CALLGRIND_DUMP_STATS;

    printf("requests=%ld ns_per_request=%.0f\n", n,
           n > 0 ? (t1 - t0) * 1e9 / n : 0.0);

    rtk_policy_free(policy);

    return 0;
}


/* what the gateway's access and body handlers ask of the engine */

static int
rtk_bench_request(const rtk_policy_t *policy, const unsigned char *target,
    size_t target_len, const unsigned char *body, size_t body_len,
    rtk_bench_pool_t *pool, rtk_txn_t *txn)
{
    static const unsigned char  method[] = "PATCH";
    static const unsigned char  caller[] = "alice";
    static const unsigned char  ctype[] = "application/json";

    pool->used = 0;

    rtk_txn_init(txn);

    if (rtk_txn_route(txn, target, target_len) != RTK_OK
        || rtk_txn_method(txn, method, sizeof(method) - 1) != RTK_OK
        || rtk_txn_identity(txn, caller, sizeof(caller) - 1) != RTK_OK
        || rtk_txn_content_type(txn, ctype, sizeof(ctype) - 1, 1) != RTK_OK
        || rtk_txn_size(txn, (long long) body_len, RTK_BENCH_MAX_BODY)
           != RTK_OK
        || rtk_txn_size(txn, (long long) body_len, RTK_BENCH_MAX_BODY)
           != RTK_OK
        || rtk_txn_body(txn, policy, body, body_len, rtk_bench_alloc, pool)
           != RTK_OK)
    {
        return RTK_ERROR;
    }

    return RTK_OK;
}


/* a bump allocator, aligned as nginx's ngx_palloc() aligns */

static void *
rtk_bench_alloc(void *data, size_t size)
{
    size_t             at;
    rtk_bench_pool_t  *pool = data;

    at = (pool->used + 15) & ~(size_t) 15;

    if (at + size > RTK_BENCH_POOL) {
        return NULL;
    }

    pool->used = at + size;

    return pool->data + at;
}


static double
rtk_bench_now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return ts.tv_sec + ts.tv_nsec / 1e9;
}
