#!/usr/bin/env python3
#
# Copyright (C) ngx_rtk_module authors
#
# Several gateways, as docs/operations.md runs them: two instances with
# one policy, each with its own audit chain and key shipped through
# syslog to one collector, each chain verifying on its own; metrics and
# rate limits per instance; and a token rotated on one instance by a
# file swap and a reload, while a request in flight finishes with the
# token it started with.
#

import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), 'lib'))

from rtk_harness import (REPO, TOKEN, TOKEN_SPARE,  # noqa: E402
                         NginxWorkers, Upstream, build, gateway_location,
                         main, request, server, test_dir, wh_path,
                         write_policy, write_token_file)
from rtk_metrics import fingerprint, nginx_signal, scrape  # noqa: E402


AUDIT_TOOL = os.path.join(REPO, 'tools', 'rtk-audit')
CALLER = 'alice@example.com'

# docs/operations.md, "Scaling out", less the TLS upstream
INSTANCE = (
    '    limit_req_zone $rtk_caller zone=callers:1m rate=1r/m;\n'
    + server(
        '        location = /metrics {\n'
        '            rtk_metrics;\n'
        '            allow 127.0.0.1;\n'
        '            deny all;\n'
        '        }\n'
        + gateway_location(
            tokens=False,
            audit='syslog:server=127.0.0.1:%%SYSLOG%%,tag=%%TAG%% '
                  'key=%%KEY%%',
            extra='            rtk_token_file %%DIR%%/cloudflare.token;\n'
                  '            add_header X-Token-Fingerprint '
                  '$rtk_token_fingerprint always;\n')
        + gateway_location(
            path='/client/v4/accounts/fedcba9876543210fedcba9876543210/',
            tokens=False, audit='syslog:server=127.0.0.1:%%SYSLOG%%,'
                                'tag=%%TAG%% key=%%KEY%%',
            extra='            rtk_token_file %%DIR%%/cloudflare.token;\n'
                  '            limit_req zone=callers;\n'
                  '            limit_req_status 429;\n')))

LIMITED_ACCOUNT = 'fedcba9876543210fedcba9876543210'


def write_key(path):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as f:
        f.write(secrets.token_hex(32) + '\n')
    return path


def swap_token(path, token):
    """What configuration management does: a new file, renamed over."""
    tmp = write_token_file(path + '.new.token', token + '\n')
    os.rename(tmp, path)


def verify(path, key):
    r = subprocess.run([sys.executable, AUDIT_TOOL, 'verify', path,
                        '--key', key], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=60)
    return r.returncode, r.stdout.decode('utf-8', 'replace')


class Collector(object):
    """A syslog server over UDP that files records by tag."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(('127.0.0.1', 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.grams = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stopping.is_set():
            try:
                g = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            with self.lock:
                self.grams.append(g)

    def records(self, tag):
        """The JSON lines sent with this tag, in arrival order."""
        out = []
        with self.lock:
            grams = list(self.grams)
        for g in grams:
            head, _sp, rest = g.partition(b': ')
            if head.endswith(b' ' + tag.encode()):
                out.append(rest)
        return out

    def stop(self):
        self.stopping.set()
        self.thread.join(2)
        self.sock.close()


class Instances(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.up = Upstream()
        cls.addClassCleanup(cls.up.stop)
        cls.syslog = Collector()
        cls.addClassCleanup(cls.syslog.stop)
        d = test_dir('23-shared')
        # one policy for every instance, as configuration management
        # would distribute it
        cls.policy = write_policy(os.path.join(d, 'policy.json'))
        cls.gw = {}
        for tag in ('gw_a', 'gw_b'):
            dd = test_dir('23-' + tag)
            write_token_file(os.path.join(dd, 'cloudflare.token'),
                             TOKEN + '\n')
            key = write_key(os.path.join(dd, 'audit.key'))
            ngx = NginxWorkers(INSTANCE, {
                'UP': cls.up.port, 'POLICY': cls.policy,
                'SYSLOG': cls.syslog.port, 'TAG': tag, 'KEY': key},
                dir=dd, workers=2,
                main_conf='worker_shutdown_timeout 10s;\n')
            ngx.key = key
            ngx.tag = tag
            cls.addClassCleanup(ngx.stop)
            ngx.start()
            cls.gw[tag] = ngx

    @classmethod
    def tearDownClass(cls):
        for ngx in cls.gw.values():
            ngx.stop()
        bad = [x for ngx in cls.gw.values() for x in ngx.log_problems()]
        if bad:
            raise AssertionError('error.log:\n' + '\n'.join(bad[:20]))

    def req(self, ngx, caller=CALLER, account=None):
        target = None if account is None else wh_path(account=account)
        raw = build(target=target, body={'enabled': True},
                    headers=[('X-Caller', caller)])
        return request(ngx.port, raw)

    def metrics(self, ngx):
        r, m = scrape(ngx.port)
        self.assertEqual(r.status, 200, r)
        return m

    def quiet(self, ngx):
        m = self.metrics(ngx)
        for _ in range(40):
            time.sleep(0.1)
            m2 = self.metrics(ngx)
            if m2.get('rtk_request_duration_seconds_count') == \
                    m.get('rtk_request_duration_seconds_count'):
                return m2
            m = m2
        return m

    def upstream_token(self, resp):
        """The Authorization the upstream received for this request."""
        rid = resp.header('X-Request-Id')
        for u in self.up.since(0):
            if u.header('X-Request-Id') == rid:
                return u.header('Authorization')
        return None

    def test_1_both_serve_and_count_their_own(self):
        a, b = self.gw['gw_a'], self.gw['gw_b']
        ma, mb = self.quiet(a), self.quiet(b)
        # a load balancer's round robin
        for i in range(6):
            r = self.req(a if i % 2 == 0 else b)
            self.assertEqual(r.status, 200, r)
            self.assertEqual(self.upstream_token(r), 'Bearer ' + TOKEN)
        ma2, mb2 = self.quiet(a), self.quiet(b)
        self.assertEqual(ma2.decision('allow', 0) - ma.decision('allow', 0),
                         3)
        self.assertEqual(mb2.decision('allow', 0) - mb.decision('allow', 0),
                         3)
        # the same policy and token on both
        for m in (ma2, mb2):
            self.assertEqual([lb['fingerprint'] for lb, _v in
                              m.series('rtk_token_info')],
                             [fingerprint(TOKEN)])
        self.assertEqual(ma2.series('rtk_policy_info'),
                         mb2.series('rtk_policy_info'))

    def test_2_chains_verify_per_instance(self):
        for tag in ('gw_a', 'gw_b'):
            self.assertEqual(self.req(self.gw[tag]).status, 200)
        self.req(self.gw['gw_a'], caller='mallory@example.com')
        time.sleep(0.3)
        files = {}
        for tag, ngx in self.gw.items():
            recs = self.syslog.records(tag)
            self.assertGreaterEqual(len(recs), 2, tag)
            seqs = [json.loads(x)['seq'] for x in recs]
            self.assertEqual(seqs, list(range(1, len(recs) + 1)), tag)
            path = os.path.join(ngx.dir, 'collected.log')
            with open(path, 'wb') as f:
                f.write(b''.join(x + b'\n' for x in recs))
            files[tag] = path
            rc, out = verify(path, ngx.key)
            self.assertEqual(rc, 0, out)
            self.assertIn('ok:', out)
        # the two chains are not one: each verifies with its own key only
        rc, out = verify(files['gw_a'], self.gw['gw_b'].key)
        self.assertEqual(rc, 1, out)

    def test_3_limits_are_per_instance(self):
        a, b = self.gw['gw_a'], self.gw['gw_b']
        caller = 'per-instance@example.com'
        r = self.req(a, caller=caller, account=LIMITED_ACCOUNT)
        self.assertNotEqual(r.status, 429, r)
        r = self.req(a, caller=caller, account=LIMITED_ACCOUNT)
        self.assertEqual(r.status, 429, r)
        # the other instance has a limit of its own: twice the rate
        r = self.req(b, caller=caller, account=LIMITED_ACCOUNT)
        self.assertNotEqual(r.status, 429, r)

    def test_4_token_rotation(self):
        a, b = self.gw['gw_a'], self.gw['gw_b']
        old, new = fingerprint(TOKEN), fingerprint(TOKEN_SPARE)

        r = self.req(a)
        self.assertEqual(r.header('X-Token-Fingerprint'), old)

        # a request in flight across the reload
        self.up.reply(delay=2.0)
        flight = {}

        def slow():
            flight['r'] = self.req(a)

        t = threading.Thread(target=slow)
        n = self.up.count()
        t.start()
        self.assertEqual(self.up.wait(n + 1), n + 1)

        swap_token(os.path.join(a.dir, 'cloudflare.token'), TOKEN_SPARE)
        workers = a.live_workers()
        rc, err = nginx_signal(a, 'reload')
        self.assertEqual(rc, 0, err)
        self.assertTrue(a.wait_new_workers(workers))

        end = time.time() + 10
        while time.time() < end:
            r = self.req(a)
            if r.header('X-Token-Fingerprint') == new:
                break
            time.sleep(0.05)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header('X-Token-Fingerprint'), new)
        self.assertEqual(self.upstream_token(r), 'Bearer ' + TOKEN_SPARE)

        # the old worker finished its request with its own token
        t.join(10)
        self.assertEqual(flight['r'].status, 200, flight['r'])
        self.assertEqual(flight['r'].header('X-Token-Fingerprint'), old)
        self.assertEqual(self.upstream_token(flight['r']), 'Bearer ' + TOKEN)

        self.assertEqual([lb['fingerprint'] for lb, _v in
                          self.metrics(a).series('rtk_token_info')], [new])
        # the other instance is rotated on its own
        self.assertEqual([lb['fingerprint'] for lb, _v in
                          self.metrics(b).series('rtk_token_info')], [old])
        r = self.req(b)
        self.assertEqual(r.header('X-Token-Fingerprint'), old)
        self.assertEqual(self.upstream_token(r), 'Bearer ' + TOKEN)

        # the audit chain goes on across the reload
        time.sleep(0.3)
        recs = self.syslog.records('gw_a')
        path = os.path.join(a.dir, 'collected-after.log')
        with open(path, 'wb') as f:
            f.write(b''.join(x + b'\n' for x in recs))
        rc, out = verify(path, a.key)
        self.assertEqual(rc, 0, out)
        tokens = {json.loads(x)['token'] for x in recs
                  if json.loads(x)['type'] != 'link'}
        self.assertLessEqual({old, new}, tokens)


if __name__ == '__main__':
    main()
