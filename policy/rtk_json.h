
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * JSON string escaping for records built by hand (audit lines, errors):
 * quotes, backslashes and control characters are escaped, and bytes that
 * are not valid UTF-8 become U+FFFD, so no input can end a line or a field.
 */


#ifndef _RTK_JSON_H_INCLUDED_
#define _RTK_JSON_H_INCLUDED_


#include "rtk_common.h"


/*
 * The length of the well-formed UTF-8 sequence at p (2 to 4 bytes), or 0
 * for ASCII, overlong forms, surrogates and code points above U+10FFFF.
 */
size_t rtk_utf8_len(const unsigned char *p, const unsigned char *end);

/* JSON whitespace (RFC 8259): yajl also skips VT and FF */
#define rtk_json_space(c)                                                    \
    ((c) == ' ' || (c) == '\t' || (c) == '\n' || (c) == '\r')

/*
 * The strict-JSON prelude of both parsers: refuses what yajl accepts and
 * RFC 8259 does not, before yajl sees the text.  RTK_ERROR, with the
 * offset of the first offending byte in pos and what it is in what, for
 * a byte order mark, a NUL byte, VT or FF outside strings, invalid UTF-8
 * (overlong forms and surrogates too) and \u escapes of surrogates that
 * do not pair up.
 */
int rtk_json_prelude(const unsigned char *p, size_t len, size_t *pos,
    const char **what);

/* the escaped length of src, without the enclosing quotes */
size_t rtk_json_escape_len(const unsigned char *src, size_t len);

/* writes the escaped form of src; returns the end of what was written */
unsigned char *rtk_json_escape(unsigned char *dst, const unsigned char *src,
    size_t len);


#endif /* _RTK_JSON_H_INCLUDED_ */
