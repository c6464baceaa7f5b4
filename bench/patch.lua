-- wrk script: the edit-webhook PATCH an internal tool sends to the
-- gateway.  RTK_CALLER picks the identity (default: an allowed editor),
-- so the same script drives the allowed and the denied workloads.

local caller = os.getenv("RTK_CALLER") or "alice@example.com"
local path = os.getenv("RTK_PATH") or
    "/client/v4/accounts/023e105f4ecef8ad9ca31a8372d0c353" ..
    "/realtime/kit/14a396e7-ca44-4937-bf1f-050a69118543" ..
    "/webhooks/aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"

wrk.method = "PATCH"
wrk.path = path
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Caller"] = caller
wrk.headers["User-Agent"] = "rtk-bench/1"
wrk.body = '{"name": "Production meeting hooks", ' ..
    '"url": "https://hooks.example.com/rtk", ' ..
    '"events": ["meeting.ended", "meeting.started", ' ..
    '"recording.statusUpdate", "meeting.participantJoined"], ' ..
    '"enabled": true}'
