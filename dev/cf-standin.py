#!/usr/bin/env python3
"""A local stand-in for the Cloudflare API's edit-webhook endpoint.

It answers PATCH /client/v4/accounts/A/realtime/kit/B/webhooks/C over
TLS like Cloudflare does: it checks the bearer token, applies the
change to an in-memory webhook and returns it.  For demos only.
"""

import argparse
import datetime
import http.server
import json
import re
import ssl
import uuid

ROUTE = re.compile(r'^/client/v4/accounts/([0-9a-f]{32})/realtime/kit/'
                   r'([0-9a-f-]{32,36})/webhooks/([0-9a-f-]{36})$')
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

    def do_PATCH(self):
        length = int(self.headers.get('Content-Length') or 0)
        raw = self.rfile.read(length)
        if self.headers.get('Authorization') != 'Bearer ' + self.token:
            return self.answer(401, {"message": "Unauthorized"})
        m = ROUTE.match(self.path)
        if not m:
            return self.answer(404, {"success": False, "errors": [
                {"code": 7003, "message": "No route for the URI"}]})
        key = m.groups()
        hook = self.webhooks.setdefault(key, {
            "id": key[2], "created_at": now(), "enabled": False,
            "events": EVENTS, "name": "webhook",
            "url": "https://example.com/"})
        hook.update(json.loads(raw or b'{}'))
        hook["updated_at"] = now()
        self.answer(200, {"data": hook, "success": True})

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

    srv = http.server.ThreadingHTTPServer(('127.0.0.1', a.port), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.serve_forever()


if __name__ == '__main__':
    main()
