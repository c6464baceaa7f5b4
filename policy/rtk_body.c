
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * The document must be valid JSON before anything in it counts: the
 * strict-JSON prelude (rtk_json.c) refuses what yajl would let through,
 * and the callbacks record the first schema error and let yajl read on,
 * so a syntax error anywhere wins over a schema error found earlier.
 */


#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "rtk_body.h"
#include "rtk_json.h"


/* never more than this many bytes of client input in a message */
#define RTK_BODY_ECHO_MAX          40

#define RTK_BODY_URL_FIELD         "field \"url\""

#define RTK_BODY_NULL               0
#define RTK_BODY_BOOL               1
#define RTK_BODY_NUMBER             2
#define RTK_BODY_STRING             3
#define RTK_BODY_MAP                4
#define RTK_BODY_ARRAY              5

/*
 * yajl's own memory for one parse (its handle, lexer, state stack and,
 * for strings with escapes, a 2 KB decode buffer) comes from an arena
 * on the stack; only what outgrows it, deep nesting or long escaped
 * strings, goes to malloc(), and yajl_free() gives that back.
 */
#define RTK_BODY_ARENA_SIZE      4096
#define RTK_BODY_ARENA_ALIGN       16


typedef struct {
    size_t                   used;
    size_t                   last;       /* where the last block starts */
    union {
        unsigned char        data[RTK_BODY_ARENA_SIZE];
        long double          align;
    } u;
} rtk_body_arena_t;


typedef struct {
    rtk_body_t              *body;
    rtk_alloc_pt             alloc;
    void                    *pool;
    yajl_handle              handle;

    size_t                   depth;      /* open containers */
    size_t                   end;        /* where the document ended */
    unsigned                 seen;       /* keys met so far */
    unsigned                 field;      /* the key of the next value */

    unsigned                 failed:1;   /* stop checking the schema */
    unsigned                 nomem:1;
    unsigned                 finishing:1;

    rtk_error_t              error;      /* the first error; stays last */
} rtk_body_ctx_t;


static int rtk_body_null(void *data);
static int rtk_body_boolean(void *data, int value);
static int rtk_body_number(void *data, const char *s, size_t len);
static int rtk_body_string(void *data, const unsigned char *s, size_t len);
static int rtk_body_start_map(void *data);
static int rtk_body_map_key(void *data, const unsigned char *s, size_t len);
static int rtk_body_end_map(void *data);
static int rtk_body_start_array(void *data);
static int rtk_body_end_array(void *data);

static int rtk_body_value(rtk_body_ctx_t *ctx, int type, int value,
    const unsigned char *s, size_t len);
static int rtk_body_event(rtk_body_ctx_t *ctx, const unsigned char *s,
    size_t len);
static int rtk_body_name(rtk_body_ctx_t *ctx, const unsigned char *s,
    size_t len);
static int rtk_body_url(rtk_body_ctx_t *ctx, const unsigned char *s,
    size_t len);
static void rtk_body_ended(rtk_body_ctx_t *ctx);
static int rtk_body_type_error(rtk_body_ctx_t *ctx);
static int rtk_body_field(const unsigned char *s, size_t len);
static unsigned char *rtk_body_copy(rtk_body_ctx_t *ctx,
    const unsigned char *s, size_t len);
static const char *rtk_body_echo(char *buf, const unsigned char *s,
    size_t len);
static void *rtk_body_malloc(void *data, size_t size);
static void *rtk_body_realloc(void *data, void *ptr, size_t size);
static void rtk_body_free(void *data, void *ptr);
static int rtk_body_in_arena(rtk_body_arena_t *arena, void *ptr);
static int rtk_body_blank(const unsigned char *p, size_t len);


const char *const  rtk_event_names[RTK_EVENT_COUNT] = {
    "meeting.started",
    "meeting.ended",
    "meeting.participantJoined",
    "meeting.participantLeft",
    "recording.statusUpdate",
    "livestreaming.statusUpdate",
    "meeting.chatSynced",
    "meeting.transcript",
    "meeting.summary"
};


const char *const  rtk_field_names[4] = {
    "enabled",
    "events",
    "name",
    "url"
};


static const yajl_callbacks  rtk_body_callbacks = {
    rtk_body_null,
    rtk_body_boolean,
    NULL,
    NULL,
    rtk_body_number,      /* numbers arrive as text, never converted */
    rtk_body_string,
    rtk_body_start_map,
    rtk_body_map_key,
    rtk_body_end_map,
    rtk_body_start_array,
    rtk_body_end_array
};


int
rtk_event_lookup(const unsigned char *s, size_t len)
{
    /* the length picks one or two candidates: one comparison each */

#define rtk_event_is(i, name)                                                \
    if (memcmp(s, name, sizeof(name) - 1) == 0) {                            \
        return i;                                                            \
    }

    switch (len) {

    case 13:
        rtk_event_is(1, "meeting.ended");
        break;

    case 15:
        rtk_event_is(0, "meeting.started");
        rtk_event_is(8, "meeting.summary");
        break;

    case 18:
        rtk_event_is(6, "meeting.chatSynced");
        rtk_event_is(7, "meeting.transcript");
        break;

    case 22:
        rtk_event_is(4, "recording.statusUpdate");
        break;

    case 23:
        rtk_event_is(3, "meeting.participantLeft");
        break;

    case 25:
        rtk_event_is(2, "meeting.participantJoined");
        break;

    case 26:
        rtk_event_is(5, "livestreaming.statusUpdate");
        break;
    }

#undef rtk_event_is

    return -1;
}


int
rtk_body_parse(rtk_body_t *body, int op, const unsigned char *data,
    size_t len, rtk_alloc_pt alloc, void *pool, rtk_error_t *err)
{
    size_t            n, pos;
    unsigned          missing;
    const char       *what;
    yajl_handle       h;
    yajl_status       rc;
    unsigned char    *msg;
    rtk_body_ctx_t    ctx;
    yajl_alloc_funcs  funcs;
    rtk_body_arena_t  arena;

    memset(body, 0, sizeof(rtk_body_t));

    /* not even whitespace: whatever comes would be forwarded unread */
    if (!rtk_op_has_body(op)) {
        return (len == 0) ? RTK_OK : rtk_body_unexpected(err, op);
    }

    /* an empty body may come as a NULL pointer */
    if (len == 0) {
        return rtk_error_set(err, RTK_E_JSON_SYNTAX,
                             "invalid JSON: empty body");
    }

    if (rtk_json_prelude(data, len, &pos, &what) != RTK_OK) {
        return rtk_error_set(err, RTK_E_JSON_SYNTAX,
                             "invalid JSON: %s at offset %zu", what, pos);
    }

    /* the error is written whole when it is found: not cleared here */
    memset(&ctx, 0, offsetof(rtk_body_ctx_t, error));
    ctx.body = body;
    ctx.alloc = alloc;
    ctx.pool = pool;

    arena.used = 0;
    arena.last = 0;

    funcs.malloc = rtk_body_malloc;
    funcs.realloc = rtk_body_realloc;
    funcs.free = rtk_body_free;
    funcs.ctx = &arena;

    h = yajl_alloc(&rtk_body_callbacks, &funcs, &ctx);
    if (h == NULL) {
        return rtk_error_set(err, RTK_E_INTERNAL, "out of memory");
    }

    /*
     * yajl's defaults are strict (no comments, no trailing garbage, one
     * value, no partial values); its UTF-8 check repeats the prelude's,
     * which is stricter and has looked at every byte already
     */
    (void) yajl_config(h, yajl_dont_validate_strings, 1);

    ctx.handle = h;

    rc = yajl_parse(h, data, len);

    /*
     * Once the object has closed, yajl has lexed what follows it, and
     * if that is only whitespace, completing the parse finds nothing:
     * it is needed for a document that is not yet whole, or for
     * something after it that yajl still holds as a partial token.
     */

    if (rc == yajl_status_ok
        && (ctx.end == 0 || !rtk_body_blank(data + ctx.end, len - ctx.end)))
    {
        ctx.finishing = 1;
        rc = yajl_complete_parse(h);
    }

    if (rc == yajl_status_client_canceled || ctx.nomem) {
        yajl_free(h);
        return rtk_error_set(err, RTK_E_INTERNAL, "out of memory");
    }

    if (rc != yajl_status_ok) {
        /* at the end of the input if yajl_complete_parse() failed */
        pos = ctx.finishing ? len : yajl_get_bytes_consumed(h);

        /* not verbose: the verbose form quotes the input */
        msg = yajl_get_error(h, 0, data, len);

        n = 0;

        if (msg != NULL) {
            n = strlen((char *) msg);

            while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '
                             || msg[n - 1] == '.'))
            {
                n--;
            }

            if (n > 80) {
                n = 80;
            }
        }

        (void) rtk_error_set(err, RTK_E_JSON_SYNTAX,
                             "invalid JSON: %.*s at offset %zu", (int) n,
                             n ? (char *) msg : "error", pos);

        if (msg != NULL) {
            yajl_free_error(h, msg);
        }

        yajl_free(h);

        return RTK_ERROR;
    }

    yajl_free(h);

    /*
     * yajl takes an unterminated string after the document for a token
     * still to come, and then forgets about it at the end
     */

    for (pos = ctx.end; pos < len; pos++) {
        if (!rtk_json_space(data[pos])) {
            return rtk_error_set(err, RTK_E_JSON_SYNTAX,
                                 "invalid JSON: trailing data at offset %zu",
                                 pos);
        }
    }

    if (ctx.failed) {
        *err = ctx.error;
        return RTK_ERROR;
    }

    /* an edit changes what it names, and "{}" names nothing */
    if (op == RTK_OP_EDIT) {
        return RTK_OK;
    }

    /* the first one missing, in the order of the canonical form */
    missing = (RTK_FIELD_EVENTS | RTK_FIELD_NAME | RTK_FIELD_URL)
              & ~body->fields;

    if (missing != 0) {
        for (n = 0; !(missing & (1u << n)); n++) {
            /* void */
        }

        return rtk_error_set(err, RTK_E_FIELD_MISSING,
                             "field \"%s\" is required", rtk_field_names[n]);
    }

    /* the API's default, made explicit: what is evaluated is sent */
    if (!(body->fields & RTK_FIELD_ENABLED)) {
        body->enabled = 1;
        body->fields |= RTK_FIELD_ENABLED;
        body->defaults |= RTK_FIELD_ENABLED;
    }

    return RTK_OK;
}


int
rtk_body_unexpected(rtk_error_t *err, int op)
{
    return rtk_error_set(err, RTK_E_BODY_UNEXPECTED,
                         "a %s request takes no body", rtk_op_method(op));
}


static int
rtk_body_null(void *data)
{
    return rtk_body_value(data, RTK_BODY_NULL, 0, NULL, 0);
}


static int
rtk_body_boolean(void *data, int value)
{
    return rtk_body_value(data, RTK_BODY_BOOL, value, NULL, 0);
}


static int
rtk_body_number(void *data, const char *s, size_t len)
{
    (void) s;
    (void) len;

    return rtk_body_value(data, RTK_BODY_NUMBER, 0, NULL, 0);
}


static int
rtk_body_string(void *data, const unsigned char *s, size_t len)
{
    return rtk_body_value(data, RTK_BODY_STRING, 0, s, len);
}


static int
rtk_body_start_map(void *data)
{
    return rtk_body_value(data, RTK_BODY_MAP, 0, NULL, 0);
}


static int
rtk_body_start_array(void *data)
{
    return rtk_body_value(data, RTK_BODY_ARRAY, 0, NULL, 0);
}


static int
rtk_body_end_map(void *data)
{
    rtk_body_ctx_t  *ctx = data;

    ctx->depth--;

    if (ctx->depth == 0) {
        rtk_body_ended(ctx);
    }

    return 1;
}


static int
rtk_body_end_array(void *data)
{
    rtk_body_ctx_t  *ctx = data;

    ctx->depth--;

    if (ctx->depth == 0) {
        rtk_body_ended(ctx);
    }

    /* without a schema error only the events array can end here */

    if (ctx->failed || ctx->depth != 1) {
        return 1;
    }

    if (ctx->body->events == 0) {
        ctx->failed = 1;
        (void) rtk_error_set(&ctx->error, RTK_E_FIELD_VALUE,
                             "field \"events\": must not be empty");
        return 1;
    }

    ctx->body->fields |= RTK_FIELD_EVENTS;

    return 1;
}


static int
rtk_body_map_key(void *data, const unsigned char *s, size_t len)
{
    int              i;
    char             echo[RTK_BODY_ECHO_MAX + 4];
    rtk_body_ctx_t  *ctx = data;

    if (ctx->failed) {
        return 1;
    }

    /* without a schema error so far, keys are only met at depth 1 */

    i = rtk_body_field(s, len);

    if (i < 0) {
        ctx->failed = 1;
        (void) rtk_error_set(&ctx->error, RTK_E_FIELD_UNKNOWN,
                             "field \"%s\": unknown field",
                             rtk_body_echo(echo, s, len));
        return 1;
    }

    if (ctx->seen & (1u << i)) {
        ctx->failed = 1;
        (void) rtk_error_set(&ctx->error, RTK_E_JSON_DUPLICATE,
                             "field \"%s\": duplicate key",
                             rtk_field_names[i]);
        return 1;
    }

    ctx->seen |= 1u << i;
    ctx->field = 1u << i;

    return 1;
}


static int
rtk_body_value(rtk_body_ctx_t *ctx, int type, int value,
    const unsigned char *s, size_t len)
{
    size_t       level;
    rtk_body_t  *body;

    body = ctx->body;

    /* 0: the document, 1: a member of it, 2: an item of "events" */
    level = ctx->depth;

    if (type == RTK_BODY_MAP || type == RTK_BODY_ARRAY) {
        ctx->depth++;

    } else if (level == 0) {
        rtk_body_ended(ctx);
    }

    if (ctx->failed) {
        return 1;
    }

    if (level == 0) {

        if (type != RTK_BODY_MAP) {
            ctx->failed = 1;
            (void) rtk_error_set(&ctx->error, RTK_E_FIELD_TYPE,
                                 "body must be a JSON object");
        }

        return 1;
    }

    if (level == 2) {

        if (type != RTK_BODY_STRING) {
            return rtk_body_type_error(ctx);
        }

        return rtk_body_event(ctx, s, len);
    }

    switch (ctx->field) {

    case RTK_FIELD_ENABLED:

        if (type != RTK_BODY_BOOL) {
            return rtk_body_type_error(ctx);
        }

        body->enabled = (value != 0);
        body->fields |= RTK_FIELD_ENABLED;

        return 1;

    case RTK_FIELD_EVENTS:

        if (type != RTK_BODY_ARRAY) {
            return rtk_body_type_error(ctx);
        }

        return 1;

    case RTK_FIELD_NAME:

        if (type != RTK_BODY_STRING) {
            return rtk_body_type_error(ctx);
        }

        return rtk_body_name(ctx, s, len);

    default: /* RTK_FIELD_URL */

        if (type != RTK_BODY_STRING) {
            return rtk_body_type_error(ctx);
        }

        return rtk_body_url(ctx, s, len);
    }
}


/* the top-level value is complete: record where, to check what follows */

static void
rtk_body_ended(rtk_body_ctx_t *ctx)
{
    /* a value completed by yajl_complete_parse() took all the input */
    ctx->end = ctx->finishing ? (size_t) -1
                              : yajl_get_bytes_consumed(ctx->handle);
}


static int
rtk_body_type_error(rtk_body_ctx_t *ctx)
{
    const char  *name, *what;

    ctx->failed = 1;

    switch (ctx->field) {

    case RTK_FIELD_ENABLED:
        name = "enabled";
        what = "a boolean";
        break;

    case RTK_FIELD_EVENTS:
        name = "events";
        what = "an array of strings";
        break;

    case RTK_FIELD_NAME:
        name = "name";
        what = "a string";
        break;

    default: /* RTK_FIELD_URL */
        name = "url";
        what = "a string";
        break;
    }

    (void) rtk_error_set(&ctx->error, RTK_E_FIELD_TYPE,
                         "field \"%s\": must be %s", name, what);

    return 1;
}


static int
rtk_body_event(rtk_body_ctx_t *ctx, const unsigned char *s, size_t len)
{
    int    i;
    char   echo[RTK_BODY_ECHO_MAX + 4];

    i = rtk_event_lookup(s, len);

    if (i < 0) {
        ctx->failed = 1;
        (void) rtk_error_set(&ctx->error, RTK_E_FIELD_VALUE,
                             "field \"events\": unknown event \"%s\"",
                             rtk_body_echo(echo, s, len));
        return 1;
    }

    if (ctx->body->events & (1u << i)) {
        ctx->failed = 1;
        (void) rtk_error_set(&ctx->error, RTK_E_FIELD_VALUE,
                             "field \"events\": duplicate event \"%s\"",
                             rtk_event_names[i]);
        return 1;
    }

    ctx->body->events |= 1u << i;

    return 1;
}


static int
rtk_body_name(rtk_body_ctx_t *ctx, const unsigned char *s, size_t len)
{
    size_t          i;
    unsigned char  *p;

    if (len == 0) {
        ctx->failed = 1;
        (void) rtk_error_set(&ctx->error, RTK_E_FIELD_VALUE,
                             "field \"name\": must not be empty");
        return 1;
    }

    if (len > RTK_NAME_MAX) {
        ctx->failed = 1;
        (void) rtk_error_set(&ctx->error, RTK_E_FIELD_VALUE,
                             "field \"name\": longer than %d bytes",
                             RTK_NAME_MAX);
        return 1;
    }

    for (i = 0; i < len; i++) {
        if (s[i] < 0x20 || s[i] == 0x7f) {
            ctx->failed = 1;
            (void) rtk_error_set(&ctx->error, RTK_E_FIELD_VALUE,
                                 "field \"name\": contains a control "
                                 "character");
            return 1;
        }
    }

    p = rtk_body_copy(ctx, s, len);
    if (p == NULL) {
        return 0;
    }

    ctx->body->name = p;
    ctx->body->name_len = len;
    ctx->body->fields |= RTK_FIELD_NAME;

    return 1;
}


static int
rtk_body_url(rtk_body_ctx_t *ctx, const unsigned char *s, size_t len)
{
    const char     *reason;
    rtk_error_t     uerr;
    unsigned char  *p;

    if (len > RTK_URL_MAX) {
        ctx->failed = 1;
        (void) rtk_error_set(&ctx->error, RTK_E_FIELD_VALUE,
                             "field \"url\": longer than %d bytes",
                             RTK_URL_MAX);
        return 1;
    }

    /* rtk_url_t points into the string: parse the copy that stays */

    p = rtk_body_copy(ctx, s, len);
    if (p == NULL) {
        return 0;
    }

    memset(&uerr, 0, sizeof(rtk_error_t));

    if (rtk_url_parse(&ctx->body->url_parsed, p, len, &uerr) != RTK_OK) {
        ctx->failed = 1;

        uerr.message[RTK_ERROR_MESSAGE_MAX - 1] = '\0';
        reason = uerr.message;

        if (strncmp(reason, RTK_BODY_URL_FIELD,
                    sizeof(RTK_BODY_URL_FIELD) - 1)
            == 0)
        {
            reason += sizeof(RTK_BODY_URL_FIELD) - 1;

        } else if (strncmp(reason, "url:", 4) == 0) {
            reason += 3;
        }

        if (reason[0] == ':') {
            reason++;
        }

        while (reason[0] == ' ') {
            reason++;
        }

        if (reason[0] == '\0') {
            reason = "invalid url";
        }

        (void) rtk_error_set(&ctx->error,
                             uerr.code != 0 ? uerr.code : RTK_E_URL_INVALID,
                             RTK_BODY_URL_FIELD ": %s", reason);
        return 1;
    }

    ctx->body->url = p;
    ctx->body->url_len = len;
    ctx->body->fields |= RTK_FIELD_URL;

    return 1;
}


static int
rtk_body_field(const unsigned char *s, size_t len)
{
    switch (len) {
    case 7:
        return memcmp(s, "enabled", 7) == 0 ? 0 : -1;
    case 6:
        return memcmp(s, "events", 6) == 0 ? 1 : -1;
    case 4:
        return memcmp(s, "name", 4) == 0 ? 2 : -1;
    case 3:
        return memcmp(s, "url", 3) == 0 ? 3 : -1;
    default:
        return -1;
    }
}


static int
rtk_body_blank(const unsigned char *p, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if (!rtk_json_space(p[i])) {
            return 0;
        }
    }

    return 1;
}


static unsigned char *
rtk_body_copy(rtk_body_ctx_t *ctx, const unsigned char *s, size_t len)
{
    unsigned char  *p;

    p = ctx->alloc(ctx->pool, len + 1);
    if (p == NULL) {
        ctx->nomem = 1;
        return NULL;
    }

    if (len != 0) {
        memcpy(p, s, len);
    }

    p[len] = '\0';

    return p;
}


/*
 * A short, printable copy of client input for a message: at most
 * RTK_BODY_ECHO_MAX bytes, anything but plain ASCII shown as '?'.
 */

static const char *
rtk_body_echo(char *buf, const unsigned char *s, size_t len)
{
    size_t  i, n;

    n = (len > RTK_BODY_ECHO_MAX) ? RTK_BODY_ECHO_MAX : len;

    for (i = 0; i < n; i++) {
        buf[i] = (s[i] < 0x20 || s[i] > 0x7e || s[i] == '"' || s[i] == '\\')
                 ? '?' : (char) s[i];
    }

    if (n < len) {
        buf[n++] = '.';
        buf[n++] = '.';
        buf[n++] = '.';
    }

    buf[n] = '\0';

    return buf;
}


/*
 * The arena: a bump allocator whose blocks carry their size in front,
 * for realloc(); the last block grows in place, free() is a no-op, and
 * what does not fit goes to the C heap.
 */

static void *
rtk_body_malloc(void *data, size_t size)
{
    size_t             need;
    unsigned char     *p;
    rtk_body_arena_t  *arena = data;

    need = RTK_BODY_ARENA_ALIGN
           + ((size + RTK_BODY_ARENA_ALIGN - 1)
              & ~(size_t) (RTK_BODY_ARENA_ALIGN - 1));

    if (size > RTK_BODY_ARENA_SIZE
        || need > RTK_BODY_ARENA_SIZE - arena->used)
    {
        return malloc(size);
    }

    p = arena->u.data + arena->used;
    memcpy(p, &size, sizeof(size_t));

    arena->last = arena->used;
    arena->used += need;

    return p + RTK_BODY_ARENA_ALIGN;
}


static void *
rtk_body_realloc(void *data, void *ptr, size_t size)
{
    size_t             old, need;
    unsigned char     *p, *q;
    rtk_body_arena_t  *arena = data;

    if (ptr == NULL) {
        return rtk_body_malloc(data, size);
    }

    if (!rtk_body_in_arena(arena, ptr)) {
        return realloc(ptr, size);
    }

    p = (unsigned char *) ptr - RTK_BODY_ARENA_ALIGN;
    memcpy(&old, p, sizeof(size_t));

    if (size <= old) {
        return ptr;
    }

    need = RTK_BODY_ARENA_ALIGN
           + ((size + RTK_BODY_ARENA_ALIGN - 1)
              & ~(size_t) (RTK_BODY_ARENA_ALIGN - 1));

    if (p == arena->u.data + arena->last && size <= RTK_BODY_ARENA_SIZE
        && need <= RTK_BODY_ARENA_SIZE - arena->last)
    {
        memcpy(p, &size, sizeof(size_t));
        arena->used = arena->last + need;
        return ptr;
    }

    q = rtk_body_malloc(data, size);
    if (q == NULL) {
        return NULL;
    }

    memcpy(q, ptr, old);

    return q;
}


static void
rtk_body_free(void *data, void *ptr)
{
    if (ptr != NULL && !rtk_body_in_arena(data, ptr)) {
        free(ptr);
    }
}


static int
rtk_body_in_arena(rtk_body_arena_t *arena, void *ptr)
{
    uintptr_t  p, start;

    p = (uintptr_t) ptr;
    start = (uintptr_t) arena->u.data;

    return p >= start && p < start + RTK_BODY_ARENA_SIZE;
}
