
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * What the gateway reads of Cloudflare's answers: only the id of a
 * webhook it created, for the audit trail.  The answer itself is relayed
 * unchanged.
 */


#ifndef _RTK_ANSWER_H_INCLUDED_
#define _RTK_ANSWER_H_INCLUDED_


#include "rtk_common.h"
#include "rtk_route.h"


/*
 * The lowercase UUID at "data"."id" of a JSON answer, NUL-terminated
 * into id.  RTK_ERROR if the answer is not JSON or has no such id.
 */
int rtk_answer_webhook_id(const unsigned char *data, size_t len,
    char *id);


#endif /* _RTK_ANSWER_H_INCLUDED_ */
