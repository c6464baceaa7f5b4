
/*
 * Copyright (C) ngx_rtk_module authors
 */


#include <stdarg.h>
#include <stdio.h>

#include "rtk_common.h"


int
rtk_error_set(rtk_error_t *err, int code, const char *fmt, ...)
{
    va_list  args;

    err->code = code;
    err->status = code / 100;

    va_start(args, fmt);
    (void) vsnprintf(err->message, sizeof(err->message), fmt, args);
    va_end(args);

    return RTK_ERROR;
}
