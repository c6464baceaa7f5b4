
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * rtk_answer_webhook_id(): the created webhook's id, only from "data"."id"
 * of Cloudflare's answer, and nothing from anywhere else.
 */


#include <string.h>

#include "rtk_test.h"
#include "rtk_answer.h"


#define W    "9f8e7d6c-5b4a-4392-8171-605f4e3d2c1b"
#define X    "123e4567-e89b-12d3-a456-426614174000"

#define RTK_AT_ID(answer, want)                                              \
    rtk_at_id(answer, sizeof(answer) - 1, want)


static void rtk_at_id(const char *answer, size_t len, const char *want);


static void
rtk_at_id(const char *answer, size_t len, const char *want)
{
    int   rc;
    char  id[RTK_UUID_LEN + 1];

    memset(id, 'x', sizeof(id));

    rc = rtk_answer_webhook_id((const unsigned char *) answer, len, id);

    if (want == NULL) {
        RTK_CHECK(rc == RTK_ERROR, "%s: got an id", answer);
        return;
    }

    RTK_CHECK(rc == RTK_OK && strcmp(id, want) == 0,
              "%s: got %d \"%.36s\", want \"%s\"", answer, rc, id, want);
}


int
main(void)
{
    (void) rtk_test_alloc;

    /* the answer to a create, as Cloudflare sends it */
    RTK_AT_ID("{\"success\":true,\"data\":{\"id\":\"" W "\",\"name\":\"n\","
              "\"url\":\"https://h/\",\"events\":[\"meeting.started\"],"
              "\"enabled\":true,\"created_at\":\"2026-01-01T00:00:00Z\"}}",
              W);

    /* "data" after other keys, "id" after other keys, nested noise */
    RTK_AT_ID("{\"errors\":[],\"meta\":{\"id\":\"" X "\"},\"data\":"
              "{\"events\":[{\"id\":\"" X "\"}],\"x\":{\"id\":\"" X "\"},"
              "\"id\":\"" W "\"},\"success\":true}", W);
    RTK_AT_ID("  {\"data\" : { \"id\" : \"" W "\" } }\n", W);

    /* no id in "data", or not where it counts */
    RTK_AT_ID("{\"success\":true,\"data\":{\"name\":\"n\"}}", NULL);
    RTK_AT_ID("{\"id\":\"" W "\"}", NULL);
    RTK_AT_ID("{\"result\":{\"id\":\"" W "\"}}", NULL);
    RTK_AT_ID("{\"data\":[{\"id\":\"" W "\"}]}", NULL);
    RTK_AT_ID("{\"data\":{\"inner\":{\"id\":\"" W "\"}}}", NULL);
    RTK_AT_ID("[{\"data\":{\"id\":\"" W "\"}}]", NULL);

    /* ids that are not lowercase UUIDs are not written anywhere */
    RTK_AT_ID("{\"data\":{\"id\":\"9F8E7D6C-5B4A-4392-8171-605F4E3D2C1B\"}}",
              NULL);
    RTK_AT_ID("{\"data\":{\"id\":\"" W "x\"}}", NULL);
    RTK_AT_ID("{\"data\":{\"id\":\"\\\"},\\\"injected\\\":1\"}}", NULL);
    RTK_AT_ID("{\"data\":{\"id\":7}}", NULL);
    RTK_AT_ID("{\"data\":{\"id\":null,\"x\":\"" W "\"}}", NULL);

    /* not JSON, cut short, empty */
    RTK_AT_ID("<html>bad gateway</html>", NULL);
    RTK_AT_ID("{\"data\":{\"i", NULL);
    RTK_AT_ID("", NULL);

    /* an id before the answer is cut still names what was created */
    RTK_AT_ID("{\"data\":{\"id\":\"" W "\",\"name\":\"n", W);

    return rtk_test_report("answer");
}
