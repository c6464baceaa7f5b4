
/*
 * Copyright (C) ngx_rtk_module authors
 */


#include <stdarg.h>
#include <stdio.h>

#include "rtk_common.h"


static const char *const  rtk_op_names[RTK_OP_COUNT] = {
    "list", "create", "get", "replace", "edit", "delete"
};

static const char *const  rtk_op_methods[RTK_OP_COUNT] = {
    "GET", "POST", "GET", "PUT", "PATCH", "DELETE"
};


const char *
rtk_op_name(int op)
{
    if (op < 0 || op >= RTK_OP_COUNT) {
        return "unknown";
    }

    return rtk_op_names[op];
}


const char *
rtk_op_method(int op)
{
    if (op < 0 || op >= RTK_OP_COUNT) {
        return "unknown";
    }

    return rtk_op_methods[op];
}


int
rtk_op_has_body(int op)
{
    return op == RTK_OP_CREATE || op == RTK_OP_REPLACE || op == RTK_OP_EDIT;
}


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
