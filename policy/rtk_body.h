
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * The webhook bodies: strict parsing with yajl's callback parser and the
 * canonical form that is sent upstream instead of the client's bytes.
 * One schema, the operation decides what is required: create and replace
 * need name, url and events (enabled defaults to true), edit needs
 * nothing ({} is a valid edit), list, get and delete take no body.
 */


#ifndef _RTK_BODY_H_INCLUDED_
#define _RTK_BODY_H_INCLUDED_


#include "rtk_common.h"
#include "rtk_url.h"


#define RTK_FIELD_ENABLED        0x01
#define RTK_FIELD_EVENTS         0x02
#define RTK_FIELD_NAME           0x04
#define RTK_FIELD_URL            0x08

#define RTK_EVENT_COUNT             9
#define RTK_EVENTS_ALL           0x1ff

#define RTK_NAME_MAX              256      /* bytes of UTF-8 */


typedef struct {
    unsigned                 fields;       /* RTK_FIELD_* present */
    unsigned                 defaults;     /* of fields, those filled in */
    unsigned                 enabled;      /* 0 or 1 */
    unsigned                 events;       /* bit i: rtk_event_names[i] */

    unsigned char           *name;         /* decoded, not terminated */
    size_t                   name_len;
    unsigned char           *url;
    size_t                   url_len;

    rtk_url_t                url_parsed;   /* when RTK_FIELD_URL is set */
} rtk_body_t;


/* the 9 documented events, in the API's documented order */
extern const char *const  rtk_event_names[RTK_EVENT_COUNT];
extern const char *const  rtk_field_names[4];    /* by bit position */

/* index into rtk_event_names, or -1 */
int rtk_event_lookup(const unsigned char *s, size_t len);

/*
 * Parses and validates the body of an operation (RTK_OP_*): one JSON
 * object for create, replace and edit, nothing at all for the others
 * (400 RTK_E_BODY_UNEXPECTED).  For create and replace a missing name,
 * url or events is 400 RTK_E_FIELD_MISSING, and a missing enabled is
 * set to true (and marked in defaults).  Memory for name and url comes
 * from alloc.  On failure err names the field and the problem.
 */
int rtk_body_parse(rtk_body_t *body, int op, const unsigned char *data,
    size_t len, rtk_alloc_pt alloc, void *pool, rtk_error_t *err);

/* the message of RTK_E_BODY_UNEXPECTED, "a GET request takes no body" */
int rtk_body_unexpected(rtk_error_t *err, int op);

/*
 * The canonical serialization: keys in the order enabled, events, name,
 * url, defaults included; events in documented order; no whitespace.
 * One allocation from alloc, NUL-terminated.  RTK_ERROR when it fails,
 * or when name or url is not well-formed UTF-8 (the parser never gives
 * such a string; one built by hand is refused rather than sent).
 */
int rtk_body_serialize(const rtk_body_t *body, rtk_alloc_pt alloc,
    void *pool, unsigned char **out, size_t *out_len);


#endif /* _RTK_BODY_H_INCLUDED_ */
