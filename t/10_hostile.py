#!/usr/bin/env python3
#
# Copyright (C) ngx_rtk_module authors
#
# Hostile and edge-case requests, data-driven: t/hostile/cases.py holds
# one entry per request (raw bytes and what must happen).  Each entry is
# one test: the status and envelope, and what the recording upstream got
# (nothing for a refused request, exact canonical bytes otherwise).
#

import json
import os
import socket
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, 'lib'))
sys.path.insert(0, os.path.join(HERE, 'hostile'))

from rtk_harness import (APP, APP2, APP_HEX, ENVELOPE_HEAD,  # noqa
                         EVENTS, HEX32, TOKEN, TOKEN_ACCOUNT, TOKENS,
                         GatewayCase, gateway_location, policy_doc,
                         request, request_continue, server, main)

import cases                                              # noqa: E402


ENVELOPE = '        rtk_error_envelope on;\n'

NO_DEFAULT_TOKEN = gateway_location(tokens=False, extra=(
    '            rtk_token_file %%ACCOUNT_TOKEN_FILE%% %%ACCOUNT2%%;\n'))

SMALL = ('        client_header_buffer_size 1k;\n'
         '        large_client_header_buffers 2 1k;\n' + ENVELOPE)

CREDENTIALS = ['x-auth-key', 'x-auth-email', 'x-auth-user-service-key',
               'cookie']


class Hostile(GatewayCase):

    HTTP_CONF = (
        server(gateway_location(), extra=ENVELOPE)
        + server(NO_DEFAULT_TOKEN, extra=ENVELOPE,
                 listen='127.0.0.1:%%PORT2%%')
        + server(gateway_location(), extra=SMALL,
                 listen='127.0.0.1:%%PORT3%%'))

    # nginx reports refused client requests at info level only
    EXPECT_LOG = ()

    @classmethod
    def policy(cls):
        full = {
            'editors': [cases.ALICE], 'enablers': [cases.ALICE],
            'disablers': [cases.ALICE], 'creators': [cases.ALICE],
            'deleters': [cases.ALICE],
            'urls': ['https://hooks.example.com/rtk/',
                     'https://*.example.net/',
                     'https://198.51.100.7/ip/',
                     'https://[2001:db8::1]/v6/'],
            'events': EVENTS,
        }
        narrow = {
            'editors': [cases.ALICE, cases.CAROL, '@ops'],
            'enablers': [cases.ALICE],
            'disablers': [cases.ALICE, cases.CAROL],
            'urls': ['https://hooks.example.com/rtk/'],
            'events': ['meeting.started', 'meeting.ended'],
            'fields': {cases.CAROL: ['enabled'], '@ops': ['name', 'enabled']},
        }
        report = {'mode': 'report-only', 'editors': [cases.ALICE],
                  'urls': [], 'events': []}
        # the per-webhook rule decides alone: alice, the app's editor,
        # may not touch it
        full['webhooks'] = {cases.OWNED: {
            'editors': [cases.CAROL], 'urls': ['https://hooks.example.com/'],
            'events': EVENTS}}
        ops = {
            'editors': [cases.ALICE, cases.CAROL],
            'creators': [cases.ALICE, cases.CAROL], 'deleters': [cases.ALICE],
            'enablers': [cases.ALICE], 'disablers': [cases.ALICE],
            'urls': ['https://hooks.example.com/rtk/'], 'events': EVENTS,
            'webhooks': {cases.OWNED: {
                'editors': [cases.CAROL],
                'urls': ['https://hooks.example.com/owned'],
                'events': EVENTS}}}
        return policy_doc(groups={'ops': [cases.DAVE]}, accounts={
            '*': {'apps': {APP: full, APP_HEX: narrow, APP2: report,
                           cases.APP_OPS: ops}}})

    def port_of(self, c):
        return {'main': self.port, 'notoken': self.ports['PORT2'],
                'small': self.ports['PORT3']}[c.get('port', 'main')]

    def send_case(self, c):
        raw = c['raw']
        port = self.port_of(c)
        if c.get('expect100'):
            head, body = raw.split(b'\r\n\r\n', 1)
            return request_continue(port, head + b'\r\n\r\n', body)
        return request(port, raw, method=c.get('read_method'))

    def check_envelope(self, c, r):
        ct = (r.header('Content-Type') or '').split(';')[0].strip().lower()
        self.assertEqual(ct, 'application/json', 'not JSON: %r' % r)
        if c.get('read_method') == 'HEAD':
            return
        self.assertRegex(r.body, ENVELOPE_HEAD)
        j = json.loads(r.body.decode('utf-8'))
        got = j['errors'][0]['code']
        want = c['code']
        if isinstance(want, tuple):
            self.assertIn(got, want, r.body)
        else:
            self.assertEqual(got, want, r.body)
        self.assertEqual(r.header('Content-Length'), str(len(r.body)))

    def check_upstream(self, c, r, before, up):
        line = c.get('line', cases.LINE)
        self.assertEqual('%s %s %s' % (up.method, up.target, up.version),
                         line)
        self.assertEqual(up.body, c['up'])
        # list, get and delete: no body, and nothing that frames one
        bodiless = up.method in ('GET', 'DELETE')
        self.assertEqual(up.header_all('Content-Length'),
                         [] if bodiless else [str(len(c['up']))])
        self.assertEqual(up.header_all('Content-Type'),
                         [] if bodiless else ['application/json'])
        self.assertIsNone(up.header('Transfer-Encoding'))
        tok = TOKEN_ACCOUNT if c.get('auth') == 'account' else TOKEN
        self.assertEqual(up.header_all('Authorization'), ['Bearer ' + tok])
        for n in CREDENTIALS + [x.lower() for x in c.get('absent', [])]:
            self.assertNotIn(n, up.names(), n)
        rid = up.header_all('X-Request-Id')
        self.assertEqual(len(rid), 1)
        self.assertRegex(rid[0], HEX32)
        self.assertEqual(r.header('X-Request-Id'), rid[0])
        if c.get('own_rid'):
            self.assertNotEqual(rid[0], 'deadbeef' * 4)
        if c.get('ct_once'):
            self.assertEqual(up.header_all('Content-Type'),
                             ['application/json'])

    def run_http09(self, c):
        """HTTP/0.9: the answer is the bare envelope, then close."""
        before = self.up.count()
        s = socket.create_connection(('127.0.0.1', self.port_of(c)),
                                     timeout=5)
        try:
            s.sendall(c['raw'])
            data = b''
            while True:
                d = s.recv(65536)
                if not d:
                    break
                data += d
        finally:
            s.close()
        m = ENVELOPE_HEAD.match(data)
        self.assertIsNotNone(m, data[:300])
        self.assertEqual(int(m.group(1)), c['code'])
        time.sleep(0.02)
        self.assertEqual(self.up.count(), before)

    def run_case(self, c):
        if c.get('http09'):
            return self.run_http09(c)
        before = self.up.count()
        try:
            r = self.send_case(c)
        except (EOFError, ValueError, IndexError, OSError) as e:
            time.sleep(0.05)
            self.fail('no HTTP answer (%s); upstream got %d request(s)' % (
                e, self.up.count() - before))
        want = c['status']
        if isinstance(want, tuple):
            self.assertIn(r.status, want, repr(r))
        else:
            self.assertEqual(r.status, want, repr(r))
        for t in TOKENS:
            self.assertNotIn(t.encode(), r.raw)
        rid = r.header('X-Request-Id')
        self.assertIsNotNone(rid, 'no X-Request-Id: %r' % r)
        self.assertRegex(rid, HEX32)
        if c['code'] is not None:
            self.check_envelope(c, r)
        if c.get('allow'):
            self.assertEqual(r.header_all('Allow'), [c['allow']])
        if c['up'] is None:
            time.sleep(0.02)
            self.assertEqual(self.up.count(), before,
                             'reached upstream: %r' % [
                                 (u.method, u.target, u.body)
                                 for u in self.up.since(before)])
        else:
            self.assertEqual(self.up.count(), before + 1,
                             'upstream requests: %r' % [
                                 (u.method, u.target, u.body)
                                 for u in self.up.since(before)])
            self.check_upstream(c, r, before, self.up.last())
        if c.get('audit'):
            recs = self.records(rid, 2)
            d = [a for a in recs if a['type'] == 'decision']
            self.assertEqual([a['decision'] for a in d], [c['audit']])
            o = [a for a in recs if a['type'] == 'outcome']
            self.assertEqual(len(o), 1, recs)
            self.assertEqual(o[0]['status'], 200)


def _make(c):
    def test(self):
        try:
            self.run_case(c)
        except AssertionError as e:
            raise AssertionError('%s\nrequest: %r' % (e, c['raw'][:600]))
    return test


for _i, _c in enumerate(cases.CASES):
    setattr(Hostile, 'test_%03d_%s' % (_i, _c['name']), _make(_c))


if __name__ == '__main__':
    main()
