#!/usr/bin/env python3
"""A local stand-in for the Cloudflare API's RealtimeKit webhooks.

It answers list, create, get, replace, edit and delete under
/client/v4/accounts/A/realtime/kit/B/webhooks over TLS like Cloudflare
does: it checks the bearer token, keeps the webhooks in memory and
returns them.  For demos only.
"""

import argparse
import datetime
import http.server
import json
import re
import ssl
import uuid

ROUTE = re.compile(r'^/client/v4/accounts/([0-9a-f]{32})/realtime/kit/'
                   r'([0-9a-f-]{32,36})/webhooks(?:/([0-9a-f-]{36}))?$')
EVENTS = ["meeting.started", "meeting.ended", "meeting.participantJoined",
          "meeting.participantLeft", "meeting.chatSynced",
          "recording.statusUpdate", "livestreaming.statusUpdate",
          "meeting.transcript", "meeting.summary"]


def now():
    return datetime.datetime.utcnow().isoformat(timespec='milliseconds') + 'Z'


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    webhooks = {}
    token = None

    def answer(self, status, doc):
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def route(self):
        """(account, app key, webhook id or None), or None once answered."""
        length = int(self.headers.get('Content-Length') or 0)
        self.raw = self.rfile.read(length)
        if self.headers.get('Authorization') != 'Bearer ' + self.token:
            self.answer(401, {"message": "Unauthorized"})
            return None
        m = ROUTE.match(self.path)
        if not m:
            self.answer(404, {"success": False, "errors": [
                {"code": 7003, "message": "No route for the URI"}]})
            return None
        account, app, hook = m.groups()
        return account, app.replace('-', ''), hook

    def hooks(self, r):
        return self.webhooks.setdefault(r[:2], {})

    def found(self, r):
        hook = self.hooks(r).get(r[2])
        if hook is None:
            self.answer(404, {"success": False, "error": {
                "code": 404, "message": "webhook not found"}})
        return hook

    def do_GET(self):
        r = self.route()
        if r is None:
            return
        if r[2] is None:
            return self.answer(200, {"success": True,
                                     "data": list(self.hooks(r).values())})
        hook = self.found(r)
        if hook is not None:
            self.answer(200, {"success": True, "data": hook})

    def do_POST(self):
        r = self.route()
        if r is not None:
            hook = {"id": str(uuid.uuid4()), "created_at": now(),
                    "enabled": True}
            hook.update(json.loads(self.raw or b'{}'))
            hook["updated_at"] = hook["created_at"]
            self.hooks(r)[hook["id"]] = hook
            self.answer(201, {"success": True, "data": hook})

    def do_PUT(self):
        self.change(replace=True)

    def do_PATCH(self):
        self.change(replace=False)

    def change(self, replace):
        r = self.route()
        if r is None:
            return
        hook = self.found(r)
        if hook is None:
            return
        if replace:
            hook = {"id": hook["id"], "created_at": hook["created_at"],
                    "enabled": True}
            self.hooks(r)[hook["id"]] = hook
        hook.update(json.loads(self.raw or b'{}'))
        hook["updated_at"] = now()
        self.answer(200, {"success": True, "data": hook})

    def do_DELETE(self):
        r = self.route()
        if r is not None and self.found(r) is not None:
            hook = self.hooks(r).pop(r[2])
            self.answer(200, {"success": True, "data": hook})

    def log_message(self, fmt, *args):
        print('stand-in: ' + fmt % args, flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--port', type=int, default=8443)
    ap.add_argument('--cert', required=True)
    ap.add_argument('--key', required=True)
    ap.add_argument('--token-file', required=True)
    a = ap.parse_args()

    with open(a.token_file) as f:
        Handler.token = f.read().strip()

    # the webhook the README's examples edit
    Handler.webhooks[('023e105f4ecef8ad9ca31a8372d0c353',
                      '14a396e7ca444937bf1f050a69118543')] = {
        '0d1f069d-43bb-489a-ad8c-7eb95592ba8e': {
            "id": '0d1f069d-43bb-489a-ad8c-7eb95592ba8e', "name": "webhook",
            "url": "https://hooks.example.com/rtk/", "events": EVENTS[:2],
            "enabled": False, "created_at": now(), "updated_at": now()}}

    srv = http.server.ThreadingHTTPServer(('127.0.0.1', a.port), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.serve_forever()


if __name__ == '__main__':
    main()
