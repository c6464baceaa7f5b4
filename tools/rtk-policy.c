/*
 * Copyright (C) ngx_rtk_module authors
 *
 * rtk-policy: checks a policy file, or shows the decision the gateway
 * would take for one request, without nginx.
 *
 *   rtk-policy check FILE
 *   rtk-policy eval FILE --caller NAME --path PATH [--method M]
 *                   [--body FILE.json] [--content-type V]...
 *                   [--no-content-type] [--body-max-size BYTES]
 *
 * eval runs the gateway's own sequence (rtk_txn.h), so it answers what
 * the gateway would, status, code and message.  The method and the path
 * make the operation; create, replace and edit need --body.
 */


#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rtk_txn.h"
#include "rtk_json.h"


#define RTK_CLI_ALLOW          0
#define RTK_CLI_ERROR          1
#define RTK_CLI_DENY           2
#define RTK_CLI_WOULD_DENY     3

#define RTK_CLI_BODY_MAX       (16 * 1024 * 1024)

/* the gateway's default rtk_body_max_size */
#define RTK_CLI_BODY_MAX_SIZE  (64 * 1024)


static void rtk_cli_usage(void);
static void *rtk_cli_alloc(void *data, size_t size);
static int rtk_cli_read(const char *path, unsigned char **data,
    size_t *len);
static int rtk_cli_print_string(const char *s);
static int rtk_cli_print(const rtk_txn_t *txn);
static int rtk_cli_check(const char *path);
static int rtk_cli_eval(int argc, char **argv);


static const char  rtk_cli_usage_text[] =
    "usage: rtk-policy check FILE\n"
    "       rtk-policy eval FILE --caller NAME --path PATH [--method M]\n"
    "                   [--body FILE.json] [--content-type V]...\n"
    "                   [--no-content-type] [--body-max-size BYTES]\n"
    "\n"
    "check: exit 0 and \"ok: N apps, sha256 HASH\" if FILE is valid, else\n"
    "       exit 1 and \"FILE:LINE:COLUMN: problem\" on stderr.\n"
    "eval:  the gateway's checks in its order, with its messages: one JSON\n"
    "       line {\"decision\",\"operation\",\"status\",\"code\","
    "\"reason\",\"rule\"};\n"
    "       exit 0 allow, 2 deny, 3 would_deny (report-only), 1 usage or\n"
    "       policy error.  PATH is the raw request target; with --method\n"
    "       (PATCH by default) it makes the operation: GET or POST on\n"
    "       .../webhooks (list, create), GET, PUT, PATCH or DELETE on\n"
    "       .../webhooks/ID (get, replace, edit, delete).  --body is needed\n"
    "       for create, replace and edit (- reads stdin); without it the\n"
    "       request has no body.  --caller '' is a request without\n"
    "       identity; --content-type defaults to application/json, each\n"
    "       one more header line, --no-content-type sends none;\n"
    "       --body-max-size defaults to 65536 (rtk_body_max_size).\n";


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


/*
 * One JSON line: for allow and would_deny the policy's decision (the
 * request goes on), otherwise the outcome the gateway would answer.
 */

static int
rtk_cli_print(const rtk_txn_t *txn)
{
    const char         *name, *rule;
    const rtk_error_t  *reason;

    name = rtk_txn_decision(txn);
    reason = txn->settled ? &txn->outcome : &txn->decision.reason;
    rule = txn->evaluated ? txn->decision.rule : "";

    /* "" before the method is known, like the rule before the policy */
    printf("{\"decision\":\"%s\",\"operation\":\"%s\",\"status\":%d,"
           "\"code\":%d,\"reason\":", name,
           txn->op_known ? rtk_op_name(txn->op) : "", reason->status,
           reason->code);

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

    if (txn->settled || !txn->allowed) {
        return RTK_CLI_DENY;
    }

    return (txn->decision.decision == RTK_DECISION_WOULD_DENY)
           ? RTK_CLI_WOULD_DENY : RTK_CLI_ALLOW;
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


/* the gateway's checks, in its order, through the same rtk_txn calls */

static int
rtk_cli_eval(int argc, char **argv)
{
    int             i, rc;
    char           *end;
    size_t          len, ct_len, max;
    unsigned        ct_count, ct_absent;
    rtk_txn_t       txn;
    const char     *caller, *path, *body_path, *method, *file, *ct;
    rtk_error_t     err;
    rtk_policy_t   *policy;
    unsigned char  *data;

    file = argv[0];
    caller = NULL;
    path = NULL;
    body_path = NULL;
    method = "PATCH";
    ct = NULL;
    ct_count = 0;
    ct_absent = 0;
    max = RTK_CLI_BODY_MAX_SIZE;

    for (i = 1; i < argc; i++) {

        if (strcmp(argv[i], "--no-content-type") == 0) {
            ct_absent = 1;
            continue;
        }

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

        } else if (strcmp(argv[i], "--content-type") == 0) {
            /* like nginx, the first of several header lines is kept */
            if (ct_count++ == 0) {
                ct = argv[i + 1];
            }

            i++;

        } else if (strcmp(argv[i], "--body-max-size") == 0) {
            i++;
            errno = 0;
            max = (size_t) strtoull(argv[i], &end, 10);

            if (argv[i][0] < '0' || argv[i][0] > '9' || *end != '\0'
                || errno != 0)
            {
                fprintf(stderr, "rtk-policy: --body-max-size needs a "
                        "number of bytes\n");
                rtk_cli_usage();
                return RTK_CLI_ERROR;
            }

        } else {
            fprintf(stderr, "rtk-policy: unknown option %s\n", argv[i]);
            rtk_cli_usage();
            return RTK_CLI_ERROR;
        }
    }

    if (caller == NULL || path == NULL) {
        fprintf(stderr, "rtk-policy: eval needs --caller and --path\n");
        rtk_cli_usage();
        return RTK_CLI_ERROR;
    }

    if (ct_absent && ct_count != 0) {
        fprintf(stderr, "rtk-policy: --no-content-type and --content-type "
                "exclude each other\n");
        rtk_cli_usage();
        return RTK_CLI_ERROR;
    }

    if (ct_count == 0 && !ct_absent) {
        ct = "application/json";
        ct_count = 1;
    }

    ct_len = (ct != NULL) ? strlen(ct) : 0;

    policy = rtk_policy_load(file, &err);

    if (policy == NULL) {
        fprintf(stderr, "%s\n", err.message);
        return RTK_CLI_ERROR;
    }

    data = NULL;
    len = 0;

    if (body_path != NULL && rtk_cli_read(body_path, &data, &len) != RTK_OK)
    {
        rtk_policy_free(policy);
        return RTK_CLI_ERROR;
    }

    /* the real length stands for Content-Length: the gateway checks both */

    rtk_txn_init(&txn);

    if (rtk_txn_route(&txn, (const unsigned char *) path, strlen(path))
        == RTK_OK
        && rtk_txn_method(&txn, (const unsigned char *) method,
                          strlen(method))
           == RTK_OK)
    {
        /* a question without its body would get the wrong answer */

        if (body_path == NULL && rtk_op_has_body(txn.op)) {
            fprintf(stderr, "rtk-policy: %s (%s) needs --body\n",
                    rtk_op_name(txn.op), rtk_op_method(txn.op));
            rtk_cli_usage();
            rtk_policy_free(policy);
            return RTK_CLI_ERROR;
        }
    }

    if (txn.op_known
        && rtk_txn_identity(&txn, (const unsigned char *) caller,
                            strlen(caller))
           == RTK_OK
        && rtk_txn_content_type(&txn, (const unsigned char *) ct, ct_len,
                                ct_count)
           == RTK_OK
        && rtk_txn_size(&txn, (long long) len, max) == RTK_OK)
    {
        (void) rtk_txn_body(&txn, policy, data, len, rtk_cli_alloc, NULL);
    }

    rc = rtk_cli_print(&txn);

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
