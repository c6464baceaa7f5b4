#!/usr/bin/env python3
#
# Copyright (C) ngx_rtk_module authors
#
# The audit log: one decision record per request, one outcome record per
# forwarded request, the fields, escaping of hostile callers.
#

import hashlib
import json
import os
import re
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(__file__), 'lib'))

from rtk_harness import (ACCOUNT, APP, WEBHOOK, HEX32, TOKEN,  # noqa: E402
                         GatewayCase, gateway_location, server, main,
                         wh_path, build, request)


TIME = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$')
HEX16 = re.compile(r'^[0-9a-f]{16}$')
HEX64 = re.compile(r'^[0-9a-f]{64}$')

DECISION_FIELDS = {'type', 'time', 'seq', 'request_id', 'caller', 'client',
                   'method', 'operation', 'account', 'app', 'webhook',
                   'changes',
                   'decision', 'code', 'reason', 'rule', 'policy', 'token'}
OUTCOME_FIELDS = {'upstream_status', 'upstream_time', 'bytes_sent',
                  'bytes_received', 'status'}


class Audit(GatewayCase):

    HTTP_CONF = (
        '    log_format rtk "$rtk_caller|$rtk_account|$rtk_app|'
        '$rtk_webhook|$rtk_decision|$rtk_code|$rtk_token_fingerprint|'
        '$status|$rtk_operation";\n'
        + server(gateway_location(extra=(
            '            access_log %%DIR%%/vars.log rtk;\n'))))

    def policy_hash(self):
        with open(os.path.join(self.dir, 'policy.json'), 'rb') as f:
            return hashlib.sha256(f.read()).hexdigest()

    def check_common(self, rec):
        self.assertLessEqual(DECISION_FIELDS, set(rec.keys()), rec)
        self.assertRegex(rec['time'], TIME)
        self.assertIsInstance(rec['seq'], int)
        self.assertRegex(rec['request_id'], HEX32)
        self.assertEqual(rec['client'], '127.0.0.1')
        self.assertEqual(rec['policy'], self.policy_hash())

    def test_allowed_records(self):
        body = {'name': 'audit me', 'enabled': False,
                'url': 'https://hooks.example.com/audit',
                'events': ['meeting.ended', 'meeting.started']}
        before = self.up.count()
        r = self.req(body=body)
        self.forwarded(r, before)
        rid = r.header('X-Request-Id')
        recs = self.records(rid, 2)
        self.assertEqual([x['type'] for x in recs], ['decision', 'outcome'],
                         recs)
        d, o = recs
        self.check_common(d)
        self.assertEqual(d['caller'], self.CALLER)
        self.assertEqual(d['method'], 'PATCH')
        self.assertEqual(d['operation'], 'edit')
        self.assertEqual((d['account'], d['app'], d['webhook']),
                         (ACCOUNT, APP, WEBHOOK))
        self.assertEqual(d['changes'], {
            'enabled': False, 'events': ['meeting.started', 'meeting.ended'],
            'name': 'audit me', 'url': 'https://hooks.example.com/audit'})
        self.assertEqual(d['decision'], 'allow')
        self.assertEqual(d['code'], 0)
        self.assertNotIn('status', d)
        self.assertRegex(d['token'], HEX16)
        self.assertNotIn(d['token'], TOKEN)
        self.assertIsInstance(d['rule'], str)
        self.assertEqual(o['type'], 'outcome')
        self.assertLessEqual(OUTCOME_FIELDS, set(o.keys()), o)
        self.assertEqual(o['status'], 200)
        self.assertEqual(o['upstream_status'], 200)
        self.assertIsInstance(o['bytes_sent'], int)
        self.assertIsInstance(o['bytes_received'], int)
        self.assertGreater(o['bytes_sent'], 0)
        self.assertGreater(o['bytes_received'], 0)
        self.assertGreater(o['seq'], d['seq'])
        # the outcome names its request; what was asked and why it was
        # allowed stay in the decision, under the same request_id
        for k in ('request_id', 'caller', 'client', 'operation', 'account',
                  'app', 'webhook', 'decision', 'token'):
            self.assertEqual(o[k], d[k], k)
        for k in ('method', 'changes', 'rule', 'policy'):
            self.assertNotIn(k, o)

    def test_create_outcome_names_the_webhook(self):
        created = '0f0e0d0c-0b0a-4908-8706-050403020100'
        self.up.reply(status=201, body=json.dumps({
            'success': True, 'errors': [], 'messages': [],
            'data': {'id': created, 'name': 'new',
                     'url': 'https://hooks.example.com/new',
                     'events': ['meeting.started'], 'enabled': True}
        }).encode(), headers=[('Content-Type', 'application/json')])
        before = self.up.count()
        r = self.req(method='POST', target=wh_path()[:-len(WEBHOOK) - 1],
                     body={'name': 'new', 'events': ['meeting.started'],
                           'url': 'https://hooks.example.com/new'})
        self.assertEqual(r.status, 201, repr(r))
        self.assertEqual(self.up.count(), before + 1)
        self.assertEqual(self.up.last().body,
                         b'{"enabled":true,"events":["meeting.started"],'
                         b'"name":"new","url":"https://hooks.example.com/'
                         b'new"}')
        d, o = self.records(r.header('X-Request-Id'), 2)
        self.assertEqual((d['operation'], d['webhook']), ('create', None))
        self.assertEqual((o['operation'], o['webhook'], o['status']),
                         ('create', created, 201))

    def test_read_records(self):
        before = self.up.count()
        r = self.req(method='GET', body=b'', headers=[])
        self.forwarded(r, before)
        self.assertEqual(self.up.last().body, b'')
        d, o = self.records(r.header('X-Request-Id'), 2)
        self.assertEqual((d['operation'], d['changes'], d['webhook']),
                         ('get', None, WEBHOOK))

    def test_refused_before_identity_names_the_caller(self):
        # the route and the method are checked before the identity, but
        # the record still says who asked
        for kw, status, code in (
                ({'target': wh_path(webhook='x')}, 404, 40404),
                ({'method': 'OPTIONS'}, 405, 40501)):
            with self.subTest(code=code):
                msg, r = self.expect_error(status, code, **kw)
                d = self.records(r.header('X-Request-Id'), 1)[0]
                self.assertEqual((d['caller'], d['code']),
                                 (self.CALLER, code))

    def test_only_changes_present(self):
        before = self.up.count()
        r = self.req(body={'enabled': True})
        self.forwarded(r, before)
        d = self.records(r.header('X-Request-Id'), 1)[0]
        self.assertEqual(d['changes'], {'enabled': True})

    def test_denied_record(self):
        msg, r = self.expect_error(403, 40302, caller='mallory@example.com')
        recs = self.records(r.header('X-Request-Id'), 2, timeout=0.3)
        self.assertEqual(len(recs), 1, recs)
        d = recs[0]
        self.check_common(d)
        self.assertEqual(d['type'], 'decision')
        self.assertEqual(d['decision'], 'deny')
        self.assertEqual(d['code'], 40302)
        self.assertEqual(d['status'], 403)
        self.assertEqual(d['caller'], 'mallory@example.com')
        self.assertIsInstance(d['reason'], str)
        self.assertEqual(d['reason'], msg)

    def test_failed_before_decision(self):
        msg, r = self.expect_error(404, 40404, target=wh_path(webhook='zz'))
        recs = self.records(r.header('X-Request-Id'), 2, timeout=0.3)
        self.assertEqual(len(recs), 1, recs)
        d = recs[0]
        self.assertEqual(d['type'], 'decision')
        self.assertEqual(d['code'], 40404)
        self.assertEqual(d['status'], 404)
        self.assertEqual(d['decision'], 'deny')
        self.assertIsNone(d['webhook'])
        self.assertIsNone(d['changes'])

    def test_bad_body_record(self):
        msg, r = self.expect_error(400, 40003, body=b'{"zz":1}')
        d = self.records(r.header('X-Request-Id'), 1)[0]
        self.assertEqual(d['code'], 40003)
        self.assertEqual(d['status'], 400)
        self.assertEqual((d['account'], d['app'], d['webhook']),
                         (ACCOUNT, APP, WEBHOOK))

    def test_upstream_error_outcome(self):
        self.up.reply(status=429, body=b'{"success":false}',
                      headers=[('Retry-After', '1')])
        before = self.up.count()
        r = self.req()
        self.assertEqual(r.status, 429)
        self.assertEqual(self.up.count(), before + 1)
        recs = self.records(r.header('X-Request-Id'), 2)
        self.assertEqual([x['type'] for x in recs], ['decision', 'outcome'])
        self.assertEqual(recs[1]['upstream_status'], 429)
        self.assertEqual(recs[1]['status'], 429)

    def test_hostile_caller_escaped(self):
        callers = [b'eve"\\x\x01\x1f\x7f', b'eve\xff\xfe', b'eve\xc3',
                   b'eve\t{"decision":"allow"}', b'eve</script>\xe2\x80\xa8']
        for c in callers:
            with self.subTest(caller=c):
                before_raw = self.ngx.audit_raw()
                raw = build(body=b'{"enabled":true}',
                            headers=[('X-Caller', 'PLACEHOLDER')])
                raw = raw.replace(b'PLACEHOLDER', c)
                r = request(self.port, raw)
                self.assertEqual(r.status, 403, r)
                recs = self.records(r.header('X-Request-Id'), 1)
                self.assertEqual(len(recs), 1)
                want = c.decode('utf-8', 'replace')
                self.assertEqual(recs[0]['caller'], want)
                self.assertEqual(recs[0]['decision'], 'deny')
                new = self.ngx.audit_raw()[len(before_raw):]
                self.assertEqual(new.count(b'\n'), 1, new)
                new.decode('utf-8')     # the file stays valid UTF-8

    def test_every_line_one_json_object(self):
        self.req()
        raw = self.ngx.audit_raw()
        self.assertTrue(raw.endswith(b'\n'))
        for n, line in enumerate(raw.split(b'\n')[:-1]):
            obj = json.loads(line.decode('utf-8'))
            self.assertIsInstance(obj, dict)
            # the chain's link begins the file; the rest are requests'
            self.assertIn(obj['type'], ('link',) if n == 0
                          else ('decision', 'outcome'))

    def test_concurrent_requests_not_interleaved(self):
        before_n = len(self.ngx.audit())
        results = []

        def one(i):
            try:
                r = self.req(body={'name': 'c%d' % i + 'x' * 200})
                results.append(r.status)
            except Exception as e:      # reported below
                results.append(repr(e))

        ts = [threading.Thread(target=one, args=(i,)) for i in range(20)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        self.assertEqual(results, [200] * 20)
        recs = self.ngx.audit(count=before_n + 40)
        self.assertEqual(len(recs), before_n + 40)
        new = recs[before_n:]
        self.assertEqual(sum(1 for x in new if x['type'] == 'decision'), 20)
        self.assertEqual(sum(1 for x in new if x['type'] == 'outcome'), 20)

    def vars_line(self, n_before):
        import time
        path = os.path.join(self.dir, 'vars.log')
        for _ in range(60):
            with open(path) as f:
                lines = f.read().splitlines()
            if len(lines) > n_before:
                return lines[n_before:]
            time.sleep(0.05)
        return []

    def vars_count(self):
        try:
            with open(os.path.join(self.dir, 'vars.log')) as f:
                return len(f.read().splitlines())
        except OSError:
            return 0

    def test_variables_allowed(self):
        n = self.vars_count()
        before = self.up.count()
        r = self.req()
        self.forwarded(r, before)
        d = self.records(r.header('X-Request-Id'), type='decision')[0]
        line = self.vars_line(n)
        self.assertEqual(len(line), 1)
        self.assertEqual(line[0].split('|'), [
            self.CALLER, ACCOUNT, APP, WEBHOOK, 'allow', '0', d['token'],
            '200', 'edit'])

    def test_variables_denied(self):
        n = self.vars_count()
        self.expect_error(403, 40302, caller='nobody@example.com')
        line = self.vars_line(n)
        self.assertEqual(len(line), 1)
        f = line[0].split('|')
        self.assertEqual(f[0], 'nobody@example.com')
        self.assertEqual(f[4:6], ['deny', '40302'])
        self.assertEqual(f[7], '403')

    def test_token_not_in_audit(self):
        self.req()
        self.assertNotIn(TOKEN.encode(), self.ngx.audit_raw())


if __name__ == '__main__':
    main()
