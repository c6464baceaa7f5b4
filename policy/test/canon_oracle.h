
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * The canonical form as it was written before the direct writer,
 * through yajl_gen: the oracle the unit test and the body fuzz target
 * compare rtk_body_serialize() with, byte for byte.
 */


#ifndef _CANON_ORACLE_H_INCLUDED_
#define _CANON_ORACLE_H_INCLUDED_


#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>

#include "rtk_body.h"


static int rtk_canon_oracle(const rtk_body_t *body, unsigned char *out,
    size_t *out_len);
static int rtk_canon_oracle_string(yajl_gen g, const unsigned char *s,
    size_t len);


/* the canonical form as it was written before, through yajl_gen */

static int
rtk_canon_oracle(const rtk_body_t *body, unsigned char *out, size_t *out_len)
{
    int                   i, rc;
    size_t                n;
    yajl_gen              g;
    const unsigned char  *buf;

    g = yajl_gen_alloc(NULL);
    if (g == NULL) {
        abort();
    }

    (void) yajl_gen_config(g, yajl_gen_beautify, 0);
    (void) yajl_gen_config(g, yajl_gen_validate_utf8, 1);
    (void) yajl_gen_config(g, yajl_gen_escape_solidus, 0);

    rc = (yajl_gen_map_open(g) != yajl_gen_status_ok);

    if (body->fields & RTK_FIELD_ENABLED) {
        rc |= rtk_canon_oracle_string(g, (const unsigned char *) "enabled", 7);
        rc |= (yajl_gen_bool(g, body->enabled != 0) != yajl_gen_status_ok);
    }

    if (body->fields & RTK_FIELD_EVENTS) {
        rc |= rtk_canon_oracle_string(g, (const unsigned char *) "events", 6);
        rc |= (yajl_gen_array_open(g) != yajl_gen_status_ok);

        for (i = 0; i < RTK_EVENT_COUNT; i++) {
            if (body->events & (1u << i)) {
                rc |= rtk_canon_oracle_string(g,
                          (const unsigned char *) rtk_event_names[i],
                          strlen(rtk_event_names[i]));
            }
        }

        rc |= (yajl_gen_array_close(g) != yajl_gen_status_ok);
    }

    if (body->fields & RTK_FIELD_NAME) {
        rc |= rtk_canon_oracle_string(g, (const unsigned char *) "name", 4);
        rc |= rtk_canon_oracle_string(g, body->name, body->name_len);
    }

    if (body->fields & RTK_FIELD_URL) {
        rc |= rtk_canon_oracle_string(g, (const unsigned char *) "url", 3);
        rc |= rtk_canon_oracle_string(g, body->url, body->url_len);
    }

    rc |= (yajl_gen_map_close(g) != yajl_gen_status_ok);

    if (rc != 0 || yajl_gen_get_buf(g, &buf, &n) != yajl_gen_status_ok) {
        yajl_gen_free(g);
        return RTK_ERROR;
    }

    memcpy(out, buf, n);
    *out_len = n;

    yajl_gen_free(g);

    return RTK_OK;
}


static int
rtk_canon_oracle_string(yajl_gen g, const unsigned char *s, size_t len)
{
    if (s == NULL) {
        s = (const unsigned char *) "";
    }

    return yajl_gen_string(g, s, len) != yajl_gen_status_ok;
}


#endif /* _CANON_ORACLE_H_INCLUDED_ */
