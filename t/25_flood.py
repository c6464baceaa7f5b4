#!/usr/bin/env python3
#
# Copyright (C) ngx_rtk_module authors
#
# Floods are summarized, not multiplied: requests refused before the
# gateway knows who is calling (auth_basic's 401, an empty identity, an
# unknown route or method from nobody, limit_req) leave one "summary"
# record per second, reason and client address, with a count and the
# first and last request ids.  Identified callers keep their own records,
# legitimate edits during a flood are forwarded and recorded, counts add
# up exactly across workers, and a worker that exits writes its windows.
#

import base64
import collections
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), 'lib'))

from rtk_harness import (ACCOUNT, APP, REPO, TOKEN, Nginx,  # noqa: E402
                         Upstream, build, full_rule, gateway_location, main,
                         policy_doc, request, server, test_dir, wh_path,
                         write_policy, write_token_file)


AUDIT_TOOL = os.path.join(REPO, 'tools', 'rtk-audit')
KEY = 'k' * 48 + '\n'
EDITOR = 'frank'
PATH = wh_path()
UNKNOWN = '/favicon.ico'


def basic(user, password):
    v = base64.b64encode(('%s:%s' % (user, password)).encode()).decode()
    return ('Authorization', 'Basic ' + v)


AUTH_EXTRA = ('            auth_basic "rtk";\n'
              '            auth_basic_user_file %%DIR%%/htpasswd;\n')
LIMIT_EXTRA = ('            limit_req zone=flood;\n'
               '            limit_req_status 429;\n')


class Flood(unittest.TestCase):

    def setUp(self):
        self.up = Upstream()
        self.addCleanup(self.up.stop)
        self.dir = test_dir('flood-' + self._testMethodName)
        token = write_token_file(os.path.join(self.dir, 'default.token'),
                                 TOKEN + '\n')
        key = os.path.join(self.dir, 'audit.key')
        with open(key, 'w') as f:
            f.write(KEY)
        os.chmod(key, 0o600)
        self.key = key
        with open(os.path.join(self.dir, 'htpasswd'), 'w') as f:
            f.write('%s:{PLAIN}secret\n' % EDITOR)
        policy = write_policy(os.path.join(self.dir, 'policy.json'),
                              policy_doc(apps={APP: full_rule(
                                  editors=(EDITOR, 'alice@example.com'))}))
        audit = '%%DIR%%/audit.log key=%%DIR%%/audit.key'
        conf = (
            '    limit_req_zone $binary_remote_addr zone=flood:1m '
            'rate=1r/m;\n'
            # auth_basic names the caller
            + server(gateway_location(identity='$remote_user',
                                      audit=audit, tokens=False,
                                      extra='            rtk_token_file '
                                      '%%TOKEN_FILE%%;\n' + AUTH_EXTRA))
            # a trusted header names the caller
            + server(gateway_location(audit=audit, tokens=False,
                                      extra='            rtk_token_file '
                                      '%%TOKEN_FILE%%;\n'),
                     listen='127.0.0.1:%%PORT2%%')
            # limit_req before auth_basic has looked at the name
            + server(gateway_location(identity='$remote_user',
                                      audit=audit, tokens=False,
                                      extra='            rtk_token_file '
                                      '%%TOKEN_FILE%%;\n' + LIMIT_EXTRA
                                      + AUTH_EXTRA),
                     listen='127.0.0.1:%%PORT3%%'))
        self.ngx = Nginx(conf, {'UP': self.up.port, 'TOKEN_FILE': token,
                                'POLICY': policy}, dir=self.dir)
        self.addCleanup(self.ngx.stop)
        self.ngx.start()

    def tearDown(self):
        self.ngx.stop()
        bad = self.ngx.log_problems((r'summary zone is full',))
        self.assertEqual(bad, [])

    # helpers

    def send(self, port, method='GET', target=PATH, body=b'', headers=()):
        return request(port, build(method, target, body, list(headers)))

    def edit(self):
        return self.send(self.ngx.port, 'PATCH', PATH, {'enabled': True},
                         [basic(EDITOR, 'secret')])

    def records(self):
        return self.ngx.audit()

    def summaries(self, reason=None):
        return [a for a in self.records() if a.get('type') == 'summary'
                and (reason is None or a['reason'] == reason)]

    def stop_and_read(self):
        """A worker that exits writes its open windows."""
        self.ngx.stop()
        return self.records()

    def assert_verifies(self):
        r = subprocess.run([sys.executable, AUDIT_TOOL, 'verify',
                            self.ngx.path('audit.log'), '--key', self.key],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.assertEqual(r.returncode, 0, r.stdout.decode())

    def assert_one_per_second(self, sums):
        seen = collections.Counter((s['reason'], s['client'], s['time'])
                                   for s in sums)
        self.assertTrue(all(n == 1 for n in seen.values()), seen)
        for s in sums:
            self.assertRegex(s['first_request_id'], r'^[0-9a-f]{32}$')
            self.assertRegex(s['last_request_id'], r'^[0-9a-f]{32}$')
            self.assertGreaterEqual(s['count'], 1)
            if s['count'] == 1:
                self.assertEqual(s['first_request_id'],
                                 s['last_request_id'])

    # tests

    def test_unauthenticated_flood(self):
        wrk = shutil.which('wrk')
        if wrk is None:
            self.skipTest('wrk is not installed')
        out = {}

        def flood():
            out['wrk'] = subprocess.run(
                [wrk, '-t1', '-c8', '-d3s',
                 'http://127.0.0.1:%d%s' % (self.ngx.port, PATH)],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                timeout=60).stdout.decode()

        t = threading.Thread(target=flood)
        t.start()
        edits = []
        time.sleep(0.3)
        while t.is_alive():
            edits.append(self.edit())
            time.sleep(0.2)
        t.join()

        m = re.search(r'(\d+) requests in', out['wrk'])
        self.assertIsNotNone(m, out['wrk'])
        flooded = int(m.group(1))
        self.assertGreater(flooded, 1000, out['wrk'])
        self.assertRegex(out['wrk'], r'Non-2xx or 3xx responses: %d\b'
                         % flooded)

        # legitimate edits went through, each with its own records
        self.assertGreater(len(edits), 5)
        self.assertEqual([r.status for r in edits], [200] * len(edits))
        self.assertEqual(self.up.count(), len(edits))

        recs = self.stop_and_read()
        mine = [a for a in recs if a.get('type') in ('decision', 'outcome')]
        self.assertEqual(
            sorted((a['type'], a['caller'], a.get('status')) for a in mine),
            sorted([('decision', EDITOR, None)] * len(edits)
                   + [('outcome', EDITOR, 200)] * len(edits)),
            [a for a in mine if a['caller'] != EDITOR][:3])

        sums = self.summaries()
        self.assertEqual({s['reason'] for s in sums}, {'unauthenticated'})
        self.assertEqual({(s['status'], s['client']) for s in sums},
                         {(401, '127.0.0.1')})
        self.assert_one_per_second(sums)
        # a handful of records for thousands of requests, counted exactly
        # (wrk may give up on requests in flight when it stops)
        self.assertLessEqual(len(sums), 6)
        total = sum(s['count'] for s in sums)
        self.assertGreaterEqual(total, flooded)
        self.assertLessEqual(total, flooded + 8)
        self.assert_verifies()

    def test_counts_add_up_across_workers(self):
        n = 0
        for i in range(60):
            r = self.send(self.ngx.port)
            self.assertEqual(r.status, 401)
            n += 1
            if i % 20 == 19:
                time.sleep(1.05)
        # windows closed by time are written by the workers' timers
        deadline = time.time() + 4
        while time.time() < deadline and \
                sum(s['count'] for s in self.summaries()) < 40:
            time.sleep(0.1)
        self.assertGreaterEqual(sum(s['count'] for s in self.summaries()),
                                40)
        recs = self.stop_and_read()
        sums = [a for a in recs if a.get('type') == 'summary']
        self.assertEqual(sum(s['count'] for s in sums), n)
        self.assertGreaterEqual(len(sums), 3)
        self.assert_one_per_second(sums)
        self.assertEqual([a for a in recs if a.get('type') == 'decision'],
                         [])
        self.assert_verifies()

    def test_first_and_last_request_ids(self):
        ids = [self.send(self.ngx.port).header('X-Request-Id')
               for _ in range(3)]
        sums = [a for a in self.stop_and_read()
                if a.get('type') == 'summary']
        # two workers reach the log phase in the order they finish, so
        # first and last are two of the window's requests, not always
        # the first and last sent; the requests may cross a second
        self.assertEqual(sum(s['count'] for s in sums), 3)
        for s in sums:
            self.assertIn(s['first_request_id'], ids)
            self.assertIn(s['last_request_id'], ids)
            if s['count'] > 1:
                self.assertNotEqual(s['first_request_id'],
                                    s['last_request_id'])

    def test_unknown_route_and_method_from_nobody(self):
        p2 = self.ngx.vars['PORT2']
        for _ in range(3):
            self.assertEqual(self.send(p2, target=UNKNOWN).status, 404)
            self.assertEqual(self.send(p2, 'POST', PATH, b'{}',
                                       [('Content-Type',
                                         'application/json')]).status,
                             405)
            self.assertEqual(self.send(p2, 'PATCH').status, 401)
        recs = self.stop_and_read()
        self.assertEqual([a for a in recs if a.get('type') == 'decision'],
                         [])
        got = collections.Counter()
        for s in recs:
            if s.get('type') == 'summary':
                got[(s['reason'], s['status'])] += s['count']
        self.assertEqual(got, {('unknown_route', 404): 3,
                               ('method_not_allowed', 405): 3,
                               ('no_identity', 401): 3})

    def test_identified_caller_keeps_own_records(self):
        p2 = self.ngx.vars['PORT2']
        who = [('X-Caller', 'alice@example.com')]
        r1 = self.send(p2, target=UNKNOWN, headers=who)
        r2 = self.send(p2, 'POST', PATH, b'{}',
                       [('Content-Type', 'application/json')] + who)
        self.assertEqual((r1.status, r2.status), (404, 405))
        recs = self.stop_and_read()
        self.assertEqual(self.summaries(), [])
        dec = {a['request_id']: a for a in recs
               if a.get('type') == 'decision'}
        for r, status in ((r1, 404), (r2, 405)):
            rec = dec[r.header('X-Request-Id')]
            self.assertEqual((rec['caller'], rec['status']),
                             ('alice@example.com', status))

    def test_limit_req_before_auth(self):
        p3 = self.ngx.vars['PORT3']
        statuses = [self.send(p3, 'PATCH', PATH, {'enabled': True},
                              [basic('mallory%d' % i, 'x')]).status
                    for i in range(5)]
        # the first passes the limit and meets auth_basic
        self.assertEqual(statuses, [401] + [429] * 4)
        recs = self.stop_and_read()
        self.assertEqual([a for a in recs if a.get('type') == 'decision'],
                         [])
        got = collections.Counter()
        for s in recs:
            if s.get('type') == 'summary':
                got[s['reason']] += s['count']
        self.assertEqual(got, {'unauthenticated': 1, 'limited': 4})
        # names nobody checked appear nowhere in the trail
        self.assertNotIn(b'mallory', self.ngx.audit_raw())

    def test_colliding_hashes_share_no_window(self):
        # two client addresses whose CRC32 is the same, then one that
        # makes the tree rotate: each address keeps one window
        a, b, x = '127.5.212.4', '127.20.88.152', '127.9.9.9'
        for src in (a, b, x, a):
            self.assertEqual(self.get_from(src), 401)
        sums = [s for s in self.stop_and_read()
                if s.get('type') == 'summary']
        self.assert_one_per_second(sums)
        got = collections.Counter()
        for s in sums:
            got[s['client']] += s['count']
        self.assertEqual(got, {a: 2, b: 1, x: 1})

    def get_from(self, src):
        """A GET without credentials from the source address src."""
        s = socket.create_connection(('127.0.0.1', self.ngx.port),
                                     timeout=5, source_address=(src, 0))
        try:
            s.sendall(('GET %s HTTP/1.1\r\nHost: localhost\r\n'
                       'Connection: close\r\n\r\n' % PATH).encode())
            data = b''
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        finally:
            s.close()
        return int(data.split(b' ', 2)[1])


class FloodCopy(unittest.TestCase):
    """A summary written by a worker's timer reaches the syslog copy of
    the file like every other record."""

    def setUp(self):
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(('127.0.0.1', 0))
        self.udp.settimeout(0.2)
        self.addCleanup(self.udp.close)
        self.up = Upstream()
        self.addCleanup(self.up.stop)
        self.dir = test_dir('flood-copy')
        token = write_token_file(os.path.join(self.dir, 'default.token'),
                                 TOKEN + '\n')
        key = os.path.join(self.dir, 'audit.key')
        with open(key, 'w') as f:
            f.write(KEY)
        os.chmod(key, 0o600)
        with open(os.path.join(self.dir, 'htpasswd'), 'w') as f:
            f.write('%s:{PLAIN}secret\n' % EDITOR)
        policy = write_policy(os.path.join(self.dir, 'policy.json'),
                              policy_doc(apps={APP: full_rule(
                                  editors=(EDITOR,))}))
        extra = ('            rtk_token_file %%TOKEN_FILE%%;\n'
                 + '            rtk_audit_log syslog:server=127.0.0.1:%d,'
                 'tag=rtk;\n' % self.udp.getsockname()[1] + AUTH_EXTRA)
        conf = server(gateway_location(
            identity='$remote_user', tokens=False,
            audit='%%DIR%%/audit.log key=%%DIR%%/audit.key', extra=extra))
        self.ngx = Nginx(conf, {'UP': self.up.port, 'TOKEN_FILE': token,
                                'POLICY': policy}, dir=self.dir)
        self.addCleanup(self.ngx.stop)
        self.ngx.start()

    def copies(self):
        out = []
        while True:
            try:
                data = self.udp.recv(65536).decode()
            except socket.timeout:
                return out
            out.append(json.loads(data[data.index('{'):]))

    def test_summary_in_the_copy(self):
        for _ in range(3):
            self.assertEqual(request(self.ngx.port, build(
                'GET', PATH, b'', [])).status, 401)
        # the timer writes a window once its second is over; slow
        # requests (valgrind) may fall into two windows
        def counted(recs):
            return sum(a['count'] for a in recs if a.get('type') == 'summary')

        deadline = time.time() + 5
        while time.time() < deadline and counted(self.ngx.audit()) < 3:
            time.sleep(0.1)
        copies = []
        deadline = time.time() + 2
        while time.time() < deadline and counted(copies) < 3:
            copies += self.copies()
        filed = [a for a in self.ngx.audit()
                 if a.get('type') in ('summary', 'link')]
        self.assertEqual(sum(a['count'] for a in filed
                             if a['type'] == 'summary'), 3)
        key = [(a['type'], a['seq'], a['mac']) for a in filed]
        self.assertEqual([(c['type'], c['seq'], c['mac']) for c in copies
                          if c.get('type') in ('summary', 'link')], key)


if __name__ == '__main__':
    main()
