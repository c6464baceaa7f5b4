#!/usr/bin/env python3
#
# Copyright (C) ngx_rtk_module authors
#
# Upstream faults: every one answers the v4 envelope (502 code 50201 or
# 504 code 50401) and leaves an outcome audit record; upstream error
# answers are relayed unchanged; an answer the upstream cuts short after
# its status line leaves an outcome record with code 50204, not "200,
# code 0"; clients that go away mid-body or mid-response leave a record
# and no [alert]; the token appears in no answer.
#

import json
import os
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), 'lib'))

from rtk_harness import (TOKENS, GatewayCase, Reply, Upstream,  # noqa
                         build, free_port, gateway_location, pki, server,
                         main)


def location(proxy, extra=''):
    return gateway_location(proxy=None, extra=(
        '            proxy_pass %s;\n'
        '            proxy_http_version 1.1;\n'
        '            proxy_connect_timeout 1s;\n'
        '            proxy_read_timeout 1s;\n'
        '            proxy_send_timeout 1s;\n' % proxy) + extra)


TLS = ('            proxy_ssl_verify on;\n'
       '            proxy_ssl_verify_depth 2;\n'
       '            proxy_ssl_trusted_certificate %%CA%%;\n'
       '            proxy_ssl_name localhost;\n'
       '            proxy_ssl_server_name on;\n')


class Blackhole(object):
    """A listener whose backlog is full: connects to it time out."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(0)
        self.port = self.sock.getsockname()[1]
        self.fill = []
        for _i in range(4):
            c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            c.setblocking(False)
            try:
                c.connect(('127.0.0.1', self.port))
            except (BlockingIOError, OSError):
                pass
            self.fill.append(c)

    def stop(self):
        for c in self.fill + [self.sock]:
            try:
                c.close()
            except OSError:
                pass


class Scripted(object):
    """Reads one request per connection, then sends raw bytes (and, after
    a pause, more) and resets the connection (for answers Upstream
    cannot script)."""

    def __init__(self, answer, pause=0.0, rest=b''):
        self.answer = answer
        self.pause = pause
        self.rest = rest
        self.count = 0
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while True:
            try:
                c, _a = self.sock.accept()
            except OSError:
                return
            c.settimeout(5)
            try:
                buf = b''
                while b'\r\n\r\n' not in buf:
                    d = c.recv(65536)
                    if not d:
                        break
                    buf += d
                self.count += 1
                c.sendall(self.answer)
                if self.pause:
                    time.sleep(self.pause)
                    c.sendall(self.rest)
                time.sleep(0.05)
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                             struct.pack('ii', 1, 0))
            except OSError:
                pass
            finally:
                c.close()

    def stop(self):
        try:
            self.sock.close()
        except OSError:
            pass


class Faults(GatewayCase):

    HTTP_CONF = (
        server(location('http://127.0.0.1:%%UP%%'))
        + server(location('http://127.0.0.1:%%DEAD%%'),
                 listen='127.0.0.1:%%PORT2%%')
        + server(location('http://127.0.0.1:%%HOLE%%'),
                 listen='127.0.0.1:%%PORT3%%')
        + server(location('https://127.0.0.1:%%TLS_NAME%%', TLS),
                 listen='127.0.0.1:%%PORT4%%')
        + server(location('https://127.0.0.1:%%TLS_CA%%', TLS),
                 listen='127.0.0.1:%%PORT5%%')
        + server(location('http://127.0.0.1:%%PARTIAL%%'),
                 listen='127.0.0.1:%%PORT6%%')
        + server(location('http://127.0.0.1:%%SLOW%%',
                          '            proxy_buffering off;\n'),
                 listen='127.0.0.1:%%PORT7%%'))

    # what nginx says about each fault, at error level, is expected
    EXPECT_LOG = ()

    @classmethod
    def conf_vars(cls):
        p = pki()
        cls.hole = Blackhole()
        cls.tls_name = Upstream(tls=(p.wrongname, p.wrongname_key))
        cls.tls_ca = Upstream(tls=(p.rogue, p.rogue_key))
        cls.partial = Scripted(b'HTTP/1.1 200 OK\r\nContent-Ty')
        # a status line and 10 of 20 bytes, the rest half a second later
        cls.slow = Scripted(b'HTTP/1.1 200 OK\r\nContent-Type: '
                            b'application/json\r\nContent-Length: 20\r\n'
                            b'\r\n{"result":', pause=0.5,
                            rest=b'null}     ')
        for u in (cls.hole, cls.tls_name, cls.tls_ca, cls.partial,
                  cls.slow):
            cls.addClassCleanup(u.stop)
        return {'DEAD': free_port(), 'HOLE': cls.hole.port, 'CA': p.ca,
                'TLS_NAME': cls.tls_name.port, 'TLS_CA': cls.tls_ca.port,
                'PARTIAL': cls.partial.port, 'SLOW': cls.slow.port,
                'PORT7': free_port()}

    # helpers

    def no_token(self, resp):
        for t in TOKENS:
            self.assertNotIn(t.encode(), resp.raw)

    def outcome(self, resp, status, upstream=(None,)):
        """The decision (allow) and outcome records of a response."""
        rid = self.assert_request_id(resp)
        recs = self.records(rid, 2)
        d = [a for a in recs if a['type'] == 'decision']
        o = [a for a in recs if a['type'] == 'outcome']
        self.assertEqual(len(d), 1, recs)
        self.assertEqual(d[0]['decision'], 'allow')
        self.assertEqual(len(o), 1, recs)
        self.assertIn('status', o[0])
        self.assertEqual(o[0]['status'], status, o[0])
        self.assertIn(o[0]['upstream_status'], upstream, o[0])
        for k in ('upstream_time', 'bytes_sent', 'bytes_received'):
            self.assertIn(k, o[0])
        return o[0]

    def fault(self, status, code, upstream, port=None, reply=None,
              slow=False):
        if reply is not None:
            self.up.reply(reply)
        n = len(self.ngx.audit())
        t = time.time()
        try:
            r = self.req(port=port)
        except (ValueError, IndexError, EOFError) as e:
            self.fail('no HTTP status line in the answer (%s); audit: %r'
                      % (e, self.new_records(n)))
        took = time.time() - t
        self.no_token(r)
        self.assert_envelope(r, status, code)
        if slow:
            self.assertGreater(took, 0.8)
        self.assertLess(took, 3.5)
        return r, self.outcome(r, status, upstream)

    def new_records(self, n):
        """Records after the first n; the chain's own (link, gap) left
        out."""
        end = time.time() + 3
        while True:
            recs = self.ngx.audit()
            if len(recs) > n or time.time() > end:
                return [x for x in recs[n:]
                        if x['type'] not in ('link', 'gap')]
            time.sleep(0.05)

    # unreachable and slow upstreams

    def test_connection_refused(self):
        self.fault(502, 50201, (None, 502), port=self.ports['PORT2'])

    def test_connect_timeout(self):
        self.fault(504, 50401, (None, 504), port=self.ports['PORT3'],
                   slow=True)

    def test_read_timeout(self):
        before = self.up.count()
        self.fault(504, 50401, (None, 504), reply=Reply(delay=3),
                   slow=True)
        self.assertEqual(self.up.count(), before + 1)

    def test_close_before_answer(self):
        self.fault(502, 50201, (None, 502), reply=Reply(action='close'))

    def test_reset_before_answer(self):
        self.fault(502, 50201, (None, 502), reply=Reply(action='reset'))

    def test_reset_mid_headers(self):
        self.fault(502, 50201, (None, 502), port=self.ports['PORT6'])

    def test_garbage_instead_of_http(self):
        self.fault(502, 50201, (None, 502), reply=Reply(action='garbage'))

    def short_answer(self, reply):
        """A PATCH whose answer the upstream ends early: the raw bytes
        the client got, and the outcome record."""
        before = self.up.count()
        self.up.reply(reply)
        raw = build(body=b'{"enabled":true}',
                    headers=[('X-Caller', self.CALLER)])
        s = socket.create_connection(('127.0.0.1', self.port), timeout=5)
        data = b''
        try:
            s.sendall(raw)
            while True:
                try:
                    d = s.recv(65536)
                except ConnectionResetError:
                    break
                if not d:
                    break
                data += d
        finally:
            s.close()
        for t in TOKENS:
            self.assertNotIn(t.encode(), data)
        self.assertEqual(self.up.count(), before + 1)
        head, body = data.split(b'\r\n\r\n', 1)
        length = [int(x.split(b':')[1]) for x in head.split(b'\r\n')
                  if x.lower().startswith(b'content-length:')]
        self.assertEqual(len(length), 1)
        self.assertLess(len(body), length[0])
        rid = [x.split(b':')[1].strip().decode()
               for x in head.split(b'\r\n')
               if x.lower().startswith(b'x-request-id:')][0]
        recs = self.records(rid, 2)
        o = [a for a in recs if a['type'] == 'outcome']
        self.assertEqual(len(o), 1, recs)
        self.assertEqual(o[0]['upstream_status'], 200)
        return head, body, o[0]

    def assert_truncated(self, o):
        # what nginx sent stays; the code says the answer is not whole
        self.assertEqual(o['status'], 200, o)
        self.assertEqual(o['decision'], 'allow', o)
        self.assertEqual(o['code'], 50204, o)
        self.assertIn('before the answer was complete', o['reason'], o)

    def test_reset_mid_response_body(self):
        # the status line already left: the client sees a short body
        _h, _b, o = self.short_answer(Reply(action='reset_mid'))
        self.assert_truncated(o)

    def test_reset_after_10_of_1000_bytes(self):
        _h, body, o = self.short_answer(Reply(
            body=b'{"result":' + b' ' * 10,
            headers=[('Content-Length', '1000')], action='reset_mid'))
        self.assertLessEqual(len(body), 10)
        self.assert_truncated(o)

    def test_close_after_10_of_1000_bytes(self):
        # a clean FIN, not a reset, before the announced length
        _h, body, o = self.short_answer(Reply(
            body=b'{"result":' + b' ' * 10,
            headers=[('Content-Length', '1000')], action='close_mid'))
        self.assertLessEqual(len(body), 10)
        self.assert_truncated(o)

    def test_whole_answer_is_code_0(self):
        before = self.up.count()
        r = self.req()
        self.forwarded(r, before)
        o = self.outcome(r, 200, (200,))
        self.assertEqual(o['code'], 0, o)
        self.assertIsNone(o['reason'], o)

    def test_tls_wrong_name(self):
        self.fault(502, 50201, (None, 502), port=self.ports['PORT4'])
        self.assertEqual(self.tls_name.count(), 0)

    def test_tls_unknown_ca(self):
        self.fault(502, 50201, (None, 502), port=self.ports['PORT5'])
        self.assertEqual(self.tls_ca.count(), 0)

    # upstream errors relayed unchanged

    def relay(self, status, headers):
        body = json.dumps({
            'result': None, 'success': False, 'messages': [],
            'errors': [{'code': 9000 + status, 'message': 'upstream %d'
                        % status}]}, separators=(',', ':')).encode()
        before = self.up.count()
        self.up.reply(Reply(status, body, headers + [('X-Up', 'v%d' %
                                                      status)]))
        r = self.req()
        self.no_token(r)
        self.assertEqual(self.up.count(), before + 1)
        self.assertEqual(r.status, status)
        self.assertEqual(r.body, body)
        self.assertEqual(r.header('Content-Type'), 'application/json')
        self.assertEqual(r.header('X-Up'), 'v%d' % status)
        for k, v in headers:
            self.assertEqual(r.header_all(k), [v])
        self.outcome(r, status, (status,))

    def test_relay_401(self):
        self.relay(401, [('WWW-Authenticate', 'Bearer realm="cf"')])

    def test_relay_429(self):
        self.relay(429, [('Retry-After', '17')])

    def test_relay_500(self):
        self.relay(500, [])

    def test_relay_503(self):
        self.relay(503, [('Retry-After', '120')])

    # clients that go away

    def test_client_gone_mid_body(self):
        n = len(self.ngx.audit())
        before = self.up.count()
        raw = build(body=b'{"name":"gone mid body"}',
                    headers=[('X-Caller', self.CALLER)])
        s = socket.create_connection(('127.0.0.1', self.port))
        s.sendall(raw[:-8])
        time.sleep(0.2)
        s.close()
        recs = self.new_records(n)
        self.assertEqual(self.up.count(), before)
        self.assertEqual(len(recs), 1, recs)
        self.assertEqual(recs[0]['type'], 'decision')
        self.assertNotEqual(recs[0]['decision'], 'allow')
        self.assertIn(recs[0]['status'], (400, 408, 499), recs[0])

    def test_client_gone_mid_response(self):
        n = len(self.ngx.audit())
        before = self.up.count()
        self.up.reply(delay=0.8)
        raw = build(body=b'{"name":"gone mid response"}',
                    headers=[('X-Caller', self.CALLER)])
        s = socket.create_connection(('127.0.0.1', self.port))
        s.sendall(raw)
        self.assertEqual(self.up.wait(before + 1), before + 1)
        s.close()
        time.sleep(1.0)
        recs = self.new_records(n)
        kinds = sorted(a['type'] for a in recs)
        self.assertEqual(kinds, ['decision', 'outcome'], recs)
        o = [a for a in recs if a['type'] == 'outcome'][0]
        self.assertEqual(o['status'], 499, o)
        # the gateway still works
        before = self.up.count()
        r = self.req()
        self.forwarded(r, before)

    def test_client_gone_mid_response_body(self):
        # the status line reached the client, which left before the end
        raw = build(body=b'{"name":"gone mid body of the answer"}',
                    headers=[('X-Caller', self.CALLER)])
        s = socket.create_connection(('127.0.0.1', self.ports['PORT7']),
                                     timeout=5)
        data = b''
        try:
            s.sendall(raw)
            while b'{"result":' not in data:
                d = s.recv(65536)
                if not d:
                    break
                data += d
        finally:
            # a reset: a FIN alone would not fail nginx's next write
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                         struct.pack('ii', 1, 0))
            s.close()
        self.assertTrue(data.startswith(b'HTTP/1.1 200'), data)
        rid = [x.split(b':')[1].strip().decode()
               for x in data.split(b'\r\n')
               if x.lower().startswith(b'x-request-id:')][0]
        recs = self.records(rid, 2)
        o = [a for a in recs if a['type'] == 'outcome']
        self.assertEqual(len(o), 1, recs)
        self.assertEqual(o[0]['status'], 200, o[0])
        self.assertEqual(o[0]['code'], 49901, o[0])
        self.assertIn('client closed', o[0]['reason'], o[0])

    # last: nothing crashed

    def test_zz_workers_alive(self):
        for pid in self.ngx.workers:
            self.assertTrue(os.path.exists('/proc/%d' % pid), pid)
        self.assertEqual(self.ngx.log_problems(), [])


if __name__ == '__main__':
    main()
