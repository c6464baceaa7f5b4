/*
 * Copyright (C) ngx_rtk_module authors
 *
 * rtk-policy: checks a policy file, or shows the decision the gateway
 * would take for one request, without nginx.
 *
 *   rtk-policy check FILE
 *   rtk-policy eval FILE --caller NAME --path PATH --body FILE.json
 *                   [--method PATCH]
 */


#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rtk_policy.h"
#include "rtk_json.h"


#define RTK_CLI_ALLOW          0
#define RTK_CLI_ERROR          1
#define RTK_CLI_DENY           2
#define RTK_CLI_WOULD_DENY     3

#define RTK_CLI_BODY_MAX       (16 * 1024 * 1024)


static void rtk_cli_usage(void);
static void *rtk_cli_alloc(void *data, size_t size);
static int rtk_cli_read(const char *path, unsigned char **data,
    size_t *len);
static int rtk_cli_print_string(const char *s);
static int rtk_cli_print(int decision, const rtk_error_t *reason,
    const char *rule);
static int rtk_cli_check(const char *path);
static int rtk_cli_eval(int argc, char **argv);


static const char  rtk_cli_usage_text[] =
    "usage: rtk-policy check FILE\n"
    "       rtk-policy eval FILE --caller NAME --path PATH --body FILE.json"
    " [--method PATCH]\n"
    "\n"
    "check: exit 0 and \"ok: N apps, sha256 HASH\" if FILE is valid, else\n"
    "       exit 1 and \"FILE:LINE:COLUMN: problem\" on stderr.\n"
    "eval:  one JSON line with the decision; exit 0 allow, 2 deny,\n"
    "       3 would_deny (report-only), 1 usage or policy error.\n"
    "       --body - reads the body from stdin.\n";


static void
rtk_cli_usage(void)
{
    fputs(rtk_cli_usage_text, stderr);
}


static void *
rtk_cli_alloc(void *data, size_t size)
{
    (void) data;

    /* a one-shot process: the memory goes with it */
    return malloc(size != 0 ? size : 1);
}


static int
rtk_cli_read(const char *path, unsigned char **data, size_t *len)
{
    FILE           *f;
    size_t          n, size;
    unsigned char  *buf, *p;

    if (strcmp(path, "-") == 0) {
        f = stdin;

    } else {
        f = fopen(path, "rb");

        if (f == NULL) {
            fprintf(stderr, "rtk-policy: %s: %s\n", path, strerror(errno));
            return RTK_ERROR;
        }
    }

    size = 4096;
    n = 0;
    buf = malloc(size);

    while (buf != NULL) {
        n += fread(buf + n, 1, size - n, f);

        if (n < size) {
            break;
        }

        if (size >= RTK_CLI_BODY_MAX) {
            fprintf(stderr, "rtk-policy: %s: larger than 16 MiB\n", path);
            free(buf);
            buf = NULL;
            break;
        }

        size *= 2;
        p = realloc(buf, size);

        if (p == NULL) {
            free(buf);
        }

        buf = p;
    }

    if (buf != NULL && ferror(f)) {
        fprintf(stderr, "rtk-policy: %s: read error\n", path);
        free(buf);
        buf = NULL;
    }

    if (f != stdin) {
        fclose(f);
    }

    if (buf == NULL) {
        return RTK_ERROR;
    }

    *data = buf;
    *len = n;

    return RTK_OK;
}


static int
rtk_cli_print_string(const char *s)
{
    size_t          len;
    unsigned char  *buf, *end;

    len = strlen(s);

    buf = malloc(rtk_json_escape_len((const unsigned char *) s, len) + 1);
    if (buf == NULL) {
        return RTK_ERROR;
    }

    end = rtk_json_escape(buf, (const unsigned char *) s, len);

    putchar('"');
    fwrite(buf, 1, (size_t) (end - buf), stdout);
    putchar('"');

    free(buf);

    return RTK_OK;
}


static int
rtk_cli_print(int decision, const rtk_error_t *reason, const char *rule)
{
    const char  *name;

    switch (decision) {

    case RTK_DECISION_ALLOW:
        name = "allow";
        break;

    case RTK_DECISION_WOULD_DENY:
        name = "would_deny";
        break;

    default:
        name = "deny";
        break;
    }

    printf("{\"decision\":\"%s\",\"status\":%d,\"code\":%d,\"reason\":",
           name, reason->status, reason->code);

    if (rtk_cli_print_string(reason->message) != RTK_OK) {
        return RTK_CLI_ERROR;
    }

    fputs(",\"rule\":", stdout);

    if (rtk_cli_print_string(rule) != RTK_OK) {
        return RTK_CLI_ERROR;
    }

    fputs("}\n", stdout);

    if (fflush(stdout) != 0) {
        return RTK_CLI_ERROR;
    }

    switch (decision) {

    case RTK_DECISION_ALLOW:
        return RTK_CLI_ALLOW;

    case RTK_DECISION_WOULD_DENY:
        return RTK_CLI_WOULD_DENY;

    default:
        return RTK_CLI_DENY;
    }
}


static int
rtk_cli_check(const char *path)
{
    rtk_error_t    err;
    rtk_policy_t  *policy;

    policy = rtk_policy_load(path, &err);

    if (policy == NULL) {
        fprintf(stderr, "%s\n", err.message);
        return RTK_CLI_ERROR;
    }

    printf("ok: %zu apps, sha256 %s\n", rtk_policy_apps(policy),
           rtk_policy_hash(policy));

    rtk_policy_free(policy);

    return RTK_CLI_ALLOW;
}


/* the gateway's order: path, method, identity, body, policy */

static int
rtk_cli_eval(int argc, char **argv)
{
    int              i, rc;
    size_t           len;
    rtk_body_t       body;
    const char      *caller, *path, *body_path, *method, *file;
    rtk_error_t      err;
    rtk_route_t      route;
    rtk_policy_t    *policy;
    unsigned char   *data;
    rtk_decision_t   d;

    file = argv[0];
    caller = NULL;
    path = NULL;
    body_path = NULL;
    method = "PATCH";

    for (i = 1; i < argc; i++) {
        if (i + 1 >= argc) {
            fprintf(stderr, "rtk-policy: %s needs a value\n", argv[i]);
            rtk_cli_usage();
            return RTK_CLI_ERROR;
        }

        if (strcmp(argv[i], "--caller") == 0) {
            caller = argv[++i];

        } else if (strcmp(argv[i], "--path") == 0) {
            path = argv[++i];

        } else if (strcmp(argv[i], "--body") == 0) {
            body_path = argv[++i];

        } else if (strcmp(argv[i], "--method") == 0) {
            method = argv[++i];

        } else {
            fprintf(stderr, "rtk-policy: unknown option %s\n", argv[i]);
            rtk_cli_usage();
            return RTK_CLI_ERROR;
        }
    }

    if (caller == NULL || path == NULL || body_path == NULL) {
        fprintf(stderr, "rtk-policy: eval needs --caller, --path and "
                "--body\n");
        rtk_cli_usage();
        return RTK_CLI_ERROR;
    }

    policy = rtk_policy_load(file, &err);

    if (policy == NULL) {
        fprintf(stderr, "%s\n", err.message);
        return RTK_CLI_ERROR;
    }

    if (rtk_cli_read(body_path, &data, &len) != RTK_OK) {
        rtk_policy_free(policy);
        return RTK_CLI_ERROR;
    }

    memset(&err, 0, sizeof(rtk_error_t));

    if (rtk_route_parse(&route, (const unsigned char *) path, strlen(path),
                        &err)
        != RTK_OK)
    {
        rc = rtk_cli_print(RTK_DECISION_DENY, &err, "");
        goto done;
    }

    if (strcmp(method, "PATCH") != 0) {
        (void) rtk_error_set(&err, RTK_E_METHOD,
                             "method not allowed, use PATCH");
        rc = rtk_cli_print(RTK_DECISION_DENY, &err, "");
        goto done;
    }

    if (caller[0] == '\0') {
        (void) rtk_error_set(&err, RTK_E_IDENTITY_MISSING,
                             "caller identity missing");
        rc = rtk_cli_print(RTK_DECISION_DENY, &err, "");
        goto done;
    }

    if (rtk_body_parse(&body, data, len, rtk_cli_alloc, NULL, &err)
        != RTK_OK)
    {
        rc = rtk_cli_print(RTK_DECISION_DENY, &err, "");
        goto done;
    }

    rtk_policy_eval(policy, (const unsigned char *) caller, strlen(caller),
                    &route, &body, &d);

    rc = rtk_cli_print(d.decision, &d.reason, d.rule);

done:

    free(data);
    rtk_policy_free(policy);

    return rc;
}


int
main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "check") == 0) {
        return rtk_cli_check(argv[2]);
    }

    if (argc >= 3 && strcmp(argv[1], "eval") == 0) {
        return rtk_cli_eval(argc - 2, argv + 2);
    }

    if (argc == 2 && (strcmp(argv[1], "--help") == 0
                      || strcmp(argv[1], "-h") == 0))
    {
        fputs(rtk_cli_usage_text, stdout);
        return RTK_CLI_ALLOW;
    }

    rtk_cli_usage();

    return RTK_CLI_ERROR;
}
