
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * policy_bench: how the policy engine scales with the number of apps.
 * For each size it writes a generated policy to a temporary file, times
 * rtk_policy_load() and then rtk_policy_eval() over random existing apps.
 *
 *   policy_bench [-n ITERATIONS] [-d DIR] [SIZE...]
 *
 * One line per size on stdout:
 *   apps=N bytes=B load_ms=L eval_ns=E hot_ns=H allowed=A iterations=I
 *
 * eval_ns is over random apps (cache misses grow with the policy),
 * hot_ns over one app again and again (the instructions alone).
 */


#define _POSIX_C_SOURCE  200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rtk_policy.h"


#define RTK_BENCH_ACCOUNT    "023e105f4ecef8ad9ca31a8372d0c353"
#define RTK_BENCH_CALLER     "alice@example.com"
#define RTK_BENCH_ROUTES     65536          /* a power of two */
#define RTK_BENCH_LOADS      3
#define RTK_BENCH_ITERATIONS 2000000

#define RTK_BENCH_BODY                                                      \
    "{\"enabled\":true,"                                                    \
    "\"events\":[\"meeting.started\",\"meeting.ended\"],"                  \
    "\"name\":\"prod hook\",\"url\":\"https://hooks.example.com/rtk\"}"


static void rtk_bench_app_id(char *buf, unsigned long i);
static int rtk_bench_write(const char *path, unsigned long apps,
    long *bytes);
static double rtk_bench_now(void);
static int rtk_bench_cmp(const void *a, const void *b);
static uint64_t rtk_bench_rand(uint64_t *state);
static void *rtk_bench_alloc(void *data, size_t size);
static int rtk_bench_size(const char *dir, unsigned long apps,
    unsigned long iterations);


static void
rtk_bench_app_id(char *buf, unsigned long i)
{
    /* a lowercase UUID that encodes i, version 4, variant 8 */
    snprintf(buf, RTK_UUID_LEN + 1, "%08lx-%04lx-4%03lx-8%03lx-%012lx",
             i & 0xffffffffUL, (i * 7) & 0xffff, (i * 13) & 0xfff,
             (i * 17) & 0xfff,
             i * 2654435761UL & 0xffffffffffffUL);
}


static int
rtk_bench_write(const char *path, unsigned long apps, long *bytes)
{
    char            id[RTK_UUID_LEN + 1];
    FILE           *f;
    unsigned long   i;

    f = fopen(path, "w");
    if (f == NULL) {
        perror(path);
        return -1;
    }

    fprintf(f, "{\"mode\":\"enforce\",\"groups\":{"
               "\"platform\":[\"" RTK_BENCH_CALLER "\",\"bob\"],"
               "\"automation\":[\"ci-bot\"]},"
               "\"accounts\":{\"" RTK_BENCH_ACCOUNT "\":{\"apps\":{\n");

    for (i = 0; i < apps; i++) {
        rtk_bench_app_id(id, i);

        fprintf(f, "%s\"%s\":{\"editors\":[\"@platform\",\"@automation\","
                   "\"svc-%lu\"],\"enablers\":[\"@platform\"],"
                   "\"urls\":[\"https://hooks.example.com/rtk\","
                   "\"https://*.hooks.example.net\"],"
                   "\"events\":[\"meeting.started\",\"meeting.ended\","
                   "\"meeting.participantJoined\","
                   "\"recording.statusUpdate\"],"
                   "\"fields\":{\"@automation\":[\"events\",\"name\"]}}\n",
                i == 0 ? "" : ",", id, i % 1000);
    }

    fprintf(f, "}}}}\n");

    *bytes = ftell(f);

    if (fclose(f) != 0) {
        perror(path);
        return -1;
    }

    return 0;
}


static double
rtk_bench_now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return ts.tv_sec + ts.tv_nsec / 1e9;
}


static int
rtk_bench_cmp(const void *a, const void *b)
{
    double  x, y;

    x = *(const double *) a;
    y = *(const double *) b;

    return (x > y) - (x < y);
}


static uint64_t
rtk_bench_rand(uint64_t *state)
{
    uint64_t  x;

    x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;

    return x;
}


static void *
rtk_bench_alloc(void *data, size_t size)
{
    return malloc(size);
}


static int
rtk_bench_size(const char *dir, unsigned long apps, unsigned long iterations)
{
    char            path[4096];
    long            bytes;
    double          t, hot, loads[RTK_BENCH_LOADS];
    uint64_t        seed;
    rtk_body_t      body;
    rtk_error_t     err;
    rtk_route_t    *routes, *route;
    rtk_policy_t   *policy;
    unsigned long   i, allowed;
    rtk_decision_t  decision;

    snprintf(path, sizeof(path), "%s/policy-%lu.json", dir, apps);

    if (rtk_bench_write(path, apps, &bytes) != 0) {
        return -1;
    }

    policy = NULL;

    for (i = 0; i < RTK_BENCH_LOADS; i++) {
        if (policy != NULL) {
            rtk_policy_free(policy);
        }

        t = rtk_bench_now();
        policy = rtk_policy_load(path, &err);
        loads[i] = rtk_bench_now() - t;

        if (policy == NULL) {
            fprintf(stderr, "policy_bench: %s\n", err.message);
            return -1;
        }
    }

    qsort(loads, RTK_BENCH_LOADS, sizeof(double), rtk_bench_cmp);

    if (rtk_policy_apps(policy) != apps) {
        fprintf(stderr, "policy_bench: %zu apps loaded, %lu written\n",
                rtk_policy_apps(policy), apps);
        return -1;
    }

    memset(&body, 0, sizeof(rtk_body_t));

    if (rtk_body_parse(&body, RTK_OP_EDIT,
                       (const unsigned char *) RTK_BENCH_BODY,
                       sizeof(RTK_BENCH_BODY) - 1, rtk_bench_alloc, NULL,
                       &err)
        != RTK_OK)
    {
        fprintf(stderr, "policy_bench: body: %s\n", err.message);
        return -1;
    }

    routes = calloc(RTK_BENCH_ROUTES, sizeof(rtk_route_t));
    if (routes == NULL) {
        return -1;
    }

    seed = 0x9e3779b97f4a7c15ULL ^ apps;

    for (i = 0; i < RTK_BENCH_ROUTES; i++) {
        route = &routes[i];
        memcpy(route->account, RTK_BENCH_ACCOUNT, RTK_ACCOUNT_ID_LEN + 1);
        rtk_bench_app_id(route->app, rtk_bench_rand(&seed) % apps);
        route->app_len = RTK_UUID_LEN;
        (void) rtk_route_app_key((const unsigned char *) route->app,
                                 RTK_UUID_LEN, route->app_key);
        memcpy(route->webhook, "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee",
               RTK_UUID_LEN + 1);
        route->webhook_len = RTK_UUID_LEN;
        route->item = 1;
    }

    allowed = 0;

    t = rtk_bench_now();

    for (i = 0; i < iterations; i++) {
        rtk_policy_eval(policy, (const unsigned char *) RTK_BENCH_CALLER,
                        sizeof(RTK_BENCH_CALLER) - 1,
                        &routes[i & (RTK_BENCH_ROUTES - 1)], RTK_OP_EDIT,
                        &body, &decision);

        allowed += (decision.decision == RTK_DECISION_ALLOW);
    }

    t = rtk_bench_now() - t;

    hot = rtk_bench_now();

    for (i = 0; i < iterations; i++) {
        rtk_policy_eval(policy, (const unsigned char *) RTK_BENCH_CALLER,
                        sizeof(RTK_BENCH_CALLER) - 1, &routes[0],
                        RTK_OP_EDIT, &body, &decision);

        allowed += (decision.decision == RTK_DECISION_ALLOW);
    }

    hot = rtk_bench_now() - hot;

    printf("apps=%lu bytes=%ld load_ms=%.3f eval_ns=%.1f hot_ns=%.1f "
           "allowed=%lu iterations=%lu\n", apps, bytes,
           loads[RTK_BENCH_LOADS / 2] * 1e3, t * 1e9 / iterations,
           hot * 1e9 / iterations, allowed, 2 * iterations);
    fflush(stdout);

    rtk_policy_free(policy);
    free(routes);
    free(body.name);
    free(body.url);
    unlink(path);

    return allowed == 2 * iterations ? 0 : -1;
}


int
main(int argc, char **argv)
{
    int             i, rc;
    char           *end;
    const char     *dir;
    unsigned long   apps, iterations;

    dir = "/tmp";
    iterations = RTK_BENCH_ITERATIONS;
    rc = 0;

    for (i = 1; i < argc; i++) {

        if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
            iterations = strtoul(argv[++i], NULL, 10);
            continue;
        }

        if (strcmp(argv[i], "-d") == 0 && i + 1 < argc) {
            dir = argv[++i];
            continue;
        }

        apps = strtoul(argv[i], &end, 10);

        if (*end != '\0' || apps == 0 || iterations == 0) {
            fprintf(stderr, "usage: policy_bench [-n ITERATIONS] [-d DIR] "
                            "[SIZE...]\n");
            return 2;
        }

        if (rtk_bench_size(dir, apps, iterations) != 0) {
            rc = 1;
        }
    }

    return rc;
}
