#!/usr/bin/env python3
#
# Copyright (C) ngx_rtk_module authors
#
# Request body: Content-Type, size limits, strict JSON, the canonical form
# sent upstream, chunked, temp-file, slow and 100-continue bodies.
#

import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), 'lib'))

from rtk_harness import (EVENTS, GatewayCase, build, gateway_location,  # noqa
                         request, request_continue, server, main)


SMALL = ('            client_body_buffer_size 1k;\n')


class Body(GatewayCase):

    HTTP_CONF = (
        server(gateway_location())
        + server(gateway_location(
            extra='            rtk_body_max_size 1k;\n'),
            listen='127.0.0.1:%%PORT2%%')
        + server(gateway_location(
            extra=SMALL + '            client_body_timeout 3s;\n'),
            listen='127.0.0.1:%%PORT3%%'))

    # Content-Type

    def test_content_type_ok(self):
        for ct in ('application/json', 'application/json; charset=utf-8',
                   'APPLICATION/JSON; CHARSET=UTF-8',
                   'Application/Json; charset=UTF-8'):
            with self.subTest(ct=ct):
                before = self.up.count()
                r = self.req(content_type=ct)
                up = self.forwarded(r, before)
                self.assertEqual(up.header_all('Content-Type'),
                                 ['application/json'])

    def test_content_type_bad(self):
        for ct in (None, '', 'text/plain', 'application/jsonx',
                   'application/json-patch+json',
                   'application/merge-patch+json', 'text/json',
                   'application/json; charset=latin1',
                   'application/json; charset=utf-16',
                   'application/json; charset=utf-8; x=y',
                   'application/x-www-form-urlencoded',
                   'multipart/form-data; boundary=x'):
            with self.subTest(ct=ct):
                self.expect_error(415, 41501, content_type=ct)

    def test_content_type_before_body(self):
        self.expect_error(415, 41501, content_type='text/plain',
                          body=b'{not json')

    # size

    def test_too_large_content_length(self):
        body = '{"name":"%s"}' % ('x' * 200) + ' ' * 2000
        self.expect_error(413, 41301, body=body, port=self.ports['PORT2'])

    def test_too_large_chunked(self):
        body = ('{"name":"x"' + ' ' * 3000 + '}').encode()
        before = self.up.count()
        raw = build(body=body, headers=[('X-Caller', self.CALLER)],
                    chunked=True, chunks=[body[i:i + 500]
                                          for i in range(0, len(body), 500)])
        r = request(self.ports['PORT2'], raw)
        self.assert_error(r, 413, 41301, before)

    def test_just_under_limit(self):
        body = ('{"name":"x"' + ' ' * (1024 - 12) + '}').encode()
        self.assertEqual(len(body), 1024)
        before = self.up.count()
        r = self.req(body=body, port=self.ports['PORT2'])
        up = self.forwarded(r, before)
        self.assertEqual(up.body, b'{"name":"x"}')

    def test_default_limit_64k(self):
        body = '{"name":"x"' + ' ' * (65 * 1024) + '}'
        self.expect_error(413, 41301, body=body)

    # malformed bodies

    CASES = [
        (40001, b'{'),
        (40001, b'{"enabled":true'),
        (40001, b'{"enabled":true} x'),
        (40001, b'{"enabled":true}{}'),
        (40001, b'{"enabled":tru}'),
        (40001, b'/* c */ {"enabled":true}'),
        (40001, b'{"enabled":true} // c'),
        (40001, b'\xef\xbb\xbf{"enabled":true}'),
        (40001, b'{"name":"a\x01b"}'),
        (40001, b'{"name":"a\nb"}'),
        (40001, b'{"name":"\xff"}'),
        (40001, b'{"name":"\xc3\x28"}'),
        (40001, b'{"name":"\xed\xa0\x80"}'),
        (40001, b'{"enabled":true,}'),
        (40001, b"{'enabled':true}"),
        (40001, b'{"enabled":true}\x00'),
        (40002, b'{"enabled":true,"enabled":false}'),
        (40002, b'{"name":"a","url":"https://hooks.example.com/","name":"b"}'),
        (40003, b'{"foo":1}'),
        (40003, b'{"Enabled":true}'),
        (40003, b'{"enabled":true,"id":"x"}'),
        (40004, b'{"enabled":"true"}'),
        (40004, b'{"enabled":1}'),
        (40004, b'{"enabled":null}'),
        (40004, b'{"events":"meeting.started"}'),
        (40004, b'{"events":[1]}'),
        (40004, b'{"events":[["meeting.started"]]}'),
        (40004, b'{"name":1}'),
        (40004, b'{"name":{"a":"b"}}'),
        (40004, b'{"url":["https://hooks.example.com/"]}'),
        (40004, b'{"enabled":{"enabled":true}}'),
        (40005, b'{"events":["meeting.nope"]}'),
        (40005, b'{"events":[]}'),
        (40005, b'{"events":["meeting.started","meeting.started"]}'),
        (40005, b'{"events":["Meeting.Started"]}'),
        (40005, b'{"name":""}'),
        (40005, ('{"name":"%s"}' % ('a' * 257)).encode()),
        (40005, ('{"name":"%s"}' % ('\u00e9' * 129)).encode('utf-8')),
        (40005, b'{"name":"a\\u0000b"}'),
        (40007, b'{"url":"ftp://hooks.example.com/"}'),
        (40007, b'{"url":"not a url"}'),
        (40007, b'{"url":"https://"}'),
        (40007, b'{"url":"https://user:pw@hooks.example.com/"}'),
        (40007, b'{"url":"https://hooks.example.com/a b"}'),
        (40007, b'{"url":""}'),
    ]

    def test_malformed(self):
        for code, body in self.CASES:
            with self.subTest(body=body):
                self.expect_error(400, code, body=body)

    def test_message_names_field(self):
        msg, r = self.expect_error(400, 40005,
                                   body=b'{"events":["meeting.nope"]}')
        self.assertIn('events', msg)
        self.assertIn('meeting.nope', msg)
        msg, r = self.expect_error(400, 40004, body=b'{"name":true}')
        self.assertIn('name', msg)
        msg, r = self.expect_error(400, 40003, body=b'{"colour":true}')
        self.assertIn('colour', msg)

    def test_name_256_bytes_ok(self):
        name = '\u00e9' * 128
        before = self.up.count()
        r = self.req(body=json.dumps({'name': name}))
        up = self.forwarded(r, before)
        self.assertEqual(up.body, ('{"name":"%s"}' % name).encode('utf-8'))

    # canonical form

    def test_canonical(self):
        body = ('{ "url" : "https://hooks.example.com/a/b?x=1",\n'
                '  "name":"caf\\u00e9 \\"q\\" \\/x z\\\\",\n'
                '  "events":["meeting.summary","meeting.started",'
                '"recording.statusUpdate"],\n'
                '  "enabled":false }')
        want = ('{"enabled":false,"events":["meeting.started",'
                '"recording.statusUpdate","meeting.summary"],'
                '"name":"caf\u00e9 \\"q\\" /x z\\\\",'
                '"url":"https://hooks.example.com/a/b?x=1"}').encode('utf-8')
        before = self.up.count()
        r = self.req(body=body)
        up = self.forwarded(r, before)
        self.assertEqual(up.body, want)
        self.assertEqual(up.header_all('Content-Length'), [str(len(want))])
        self.assertEqual(up.header_all('Content-Type'), ['application/json'])
        self.assertIsNone(up.header('Transfer-Encoding'))

    def test_canonical_all_events(self):
        before = self.up.count()
        r = self.req(body={'events': list(reversed(EVENTS))})
        up = self.forwarded(r, before)
        self.assertEqual(up.body, json.dumps(
            {'events': EVENTS}, separators=(',', ':')).encode())

    def test_canonical_single_fields(self):
        for body, want in (({'enabled': True}, b'{"enabled":true}'),
                           ({'name': 'n'}, b'{"name":"n"}'),
                           ({'url': 'https://hooks.example.com/x'},
                            b'{"url":"https://hooks.example.com/x"}')):
            with self.subTest(body=body):
                before = self.up.count()
                r = self.req(body=body)
                up = self.forwarded(r, before)
                self.assertEqual(up.body, want)

    def test_chunked(self):
        body = b'{"events":["meeting.ended"], "enabled":true}'
        before = self.up.count()
        raw = build(body=body, headers=[('X-Caller', self.CALLER)],
                    chunked=True, chunks=[body[:5], body[5:20], body[20:]])
        r = request(self.port, raw)
        up = self.forwarded(r, before)
        self.assertEqual(up.body,
                         b'{"enabled":true,"events":["meeting.ended"]}')
        self.assertEqual(up.header('Content-Length'), str(len(up.body)))
        self.assertIsNone(up.header('Transfer-Encoding'))

    def test_body_in_temp_file(self):
        body = ('{"name":"spilled",' + ' ' * 10000 + '"enabled":false'
                + '\n' * 300 + '}')
        before = self.up.count()
        r = self.req(body=body, port=self.ports['PORT3'])
        up = self.forwarded(r, before)
        self.assertEqual(up.body, b'{"enabled":false,"name":"spilled"}')

    def test_temp_file_really_used(self):
        # nginx says so at warn level; proves the temp-file path ran
        body = '{"name":"spill-check",' + ' ' * 6000 + '"enabled":true}'
        before = self.up.count()
        r = self.req(body=body, port=self.ports['PORT3'])
        self.forwarded(r, before)
        time.sleep(0.1)
        self.assertIn('buffered to a temporary file', self.ngx.log())

    def test_bad_chunked_encoding(self):
        # nginx's own 400 in a gateway location gets the envelope too
        head = build(body=b'', headers=[('X-Caller', self.CALLER)],
                     chunked=True, chunks=[])
        head = head[:-len(b'0\r\n\r\n')]
        before = self.up.count()
        r = request(self.port, head + b'zz\r\n{}\r\n0\r\n\r\n')
        self.assert_envelope(r, 400, (40015, 40001))
        self.assertEqual(self.up.count(), before)

    def test_body_in_temp_file_chunked(self):
        body = ('{"name":"spilled2",' + ' ' * 12000 + '"enabled":true}'
                ).encode()
        before = self.up.count()
        raw = build(body=body, headers=[('X-Caller', self.CALLER)],
                    chunked=True, chunks=[body[i:i + 700]
                                          for i in range(0, len(body), 700)])
        r = request(self.ports['PORT3'], raw)
        up = self.forwarded(r, before)
        self.assertEqual(up.body, b'{"enabled":true,"name":"spilled2"}')

    def test_body_in_temp_file_malformed(self):
        body = '{"name":"x",' + ' ' * 8000 + '"name":"y"}'
        self.expect_error(400, 40002, body=body, port=self.ports['PORT3'])

    def test_slow_client(self):
        body = b'{"name":"slow", "events":["meeting.started"]}'
        raw = build(body=body, headers=[('X-Caller', self.CALLER)])
        head_len = len(raw) - len(body)
        pieces = [raw[:20], raw[20:head_len], body[:7], body[7:19],
                  body[19:30], body[30:]]
        before = self.up.count()
        t = time.time()
        r = request(self.ports['PORT3'], raw, pieces=pieces, delay=0.25)
        self.assertGreater(time.time() - t, 1.0)
        up = self.forwarded(r, before)
        self.assertEqual(up.body,
                         b'{"events":["meeting.started"],"name":"slow"}')

    def test_slow_client_refused(self):
        # the body's last piece comes in a later event: still refused
        # in the envelope, audited, and never forwarded
        body = b'{"name":"slow", "unknown_field":1}'
        raw = build(body=body, headers=[('X-Caller', self.CALLER)])
        head_len = len(raw) - len(body)
        before = self.up.count()
        r = request(self.ports['PORT3'], raw,
                    pieces=[raw[:head_len], body[:9], body[9:]], delay=0.2)
        self.assert_envelope(r, 400, 40003)
        self.assertEqual(self.up.count(), before)
        rid = self.assert_request_id(r)
        recs = self.records(rid)
        self.assertEqual([x['decision'] for x in recs], ['deny'])
        self.assertEqual(recs[0]['status'], 400)
        # and the connection serves the next request
        r = self.req(port=self.ports['PORT3'])
        self.assertEqual(r.status, 200)

    def test_slow_client_timeout(self):
        body = b'{"name":"never finished"}'
        raw = build(body=body, headers=[('X-Caller', self.CALLER)])
        before = self.up.count()
        try:
            r = request(self.ports['PORT3'], raw, pieces=[raw[:-5]],
                        timeout=8)
            status = r.status
        except EOFError:
            status = None
        # client_body_timeout: nginx answers 408 or closes; never upstream
        self.assertNotEqual(status, 200)
        self.assertEqual(self.up.count(), before)

    def test_client_disconnects_mid_body(self):
        import socket
        raw = build(body=b'{"name":"gone"}', headers=[('X-Caller',
                                                        self.CALLER)])
        before = self.up.count()
        s = socket.create_connection(('127.0.0.1', self.ports['PORT3']))
        s.sendall(raw[:-6])
        time.sleep(0.2)
        s.close()
        time.sleep(0.3)
        self.assertEqual(self.up.count(), before)
        r = self.req(port=self.ports['PORT3'])
        self.assertEqual(r.status, 200)

    def test_expect_continue(self):
        body = b'{"enabled":true}'
        raw = build(body=body, headers=[('X-Caller', self.CALLER),
                                        ('Expect', '100-continue')])
        before = self.up.count()
        r = request_continue(self.port, raw[:-len(body)], body)
        up = self.forwarded(r, before)
        self.assertEqual(r.interim[:1], [100])
        self.assertEqual(up.body, body)
        self.assertIsNone(up.header('Expect'))

    def test_expect_continue_denied_early(self):
        # a bad path or type is refused without asking for the body
        body = b'{"enabled":true}'
        raw = build(body=body, content_type='text/plain',
                    headers=[('X-Caller', self.CALLER),
                             ('Expect', '100-continue')])
        before = self.up.count()
        r = request_continue(self.port, raw[:-len(body)], body)
        self.assert_error(r, 415, 41501, before)

    def test_keepalive_two_requests(self):
        import socket
        from rtk_harness import _Reader, read_response
        a = build(body=b'{"name":"one"}', headers=[('X-Caller', self.CALLER)],
                  close=False)
        b = build(body=b'{"name":"two"}', headers=[('X-Caller', self.CALLER)])
        before = self.up.count()
        s = socket.create_connection(('127.0.0.1', self.port))
        try:
            s.sendall(a)
            rd = _Reader(s, time.time() + 5)
            r1 = read_response(rd)
            s.sendall(b)
            r2 = read_response(rd)
        finally:
            s.close()
        self.assertEqual((r1.status, r2.status), (200, 200))
        got = [x.body for x in self.up.since(before)]
        self.assertEqual(got, [b'{"name":"one"}', b'{"name":"two"}'])
        self.assertNotEqual(r1.header('X-Request-Id'),
                            r2.header('X-Request-Id'))


if __name__ == '__main__':
    main()
