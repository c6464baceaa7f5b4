#!/usr/bin/env python3
#
# Copyright (C) ngx_rtk_module authors
#
# The audit trail as a chain: four workers writing one HMAC chain, the
# verifier catching every kind of tampering, reload / restart / reopen,
# a killed worker, fail=closed and fail=open, fsync, syslog, hostile
# callers, and the configuration checks of rtk_audit_log.
#

import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), 'lib'))

from rtk_harness import (APP, APP_HEX, NGINX, TOKEN,  # noqa: E402
                         TOKEN_ACCOUNT, TOKENS, GatewayCase, NginxWorkers,
                         Upstream, Reply, build, full_rule, gateway_location,
                         main, nginx_t, policy_doc, request, secret_forms,
                         server, test_dir, write_policy, write_token_file,
                         free_port, read_lines, verify_audit,
                         write_key)


WORKERS = 4
DIRS = []           # every directory this file made (for the leak check)

ALICE = 'alice@example.com'
HOSTILE_EDITOR = 'o"brien\\x'
LINE_RE = re.compile(r'^(.*):(\d+): broken: (.*)$', re.M)


# --------------------------------------------------------------------
# helpers

def verify(files, key, complete=False):
    """Runs tools/rtk-audit verify: (exit code, output)."""
    return verify_audit(files, key, *(['--complete'] if complete else []))


def broken_at(out):
    """(file, line) named by the verifier, or None."""
    m = LINE_RE.search(out)
    if m is None:
        return None
    return m.group(1), int(m.group(2))


def parse(lines):
    return [json.loads(x.decode('utf-8')) for x in lines]


def requests_only(recs):
    """Decision and outcome records: links and gaps left out."""
    return [x for x in recs if x['type'] not in ('link', 'gap')]


def fingerprint(key_file):
    """The fingerprint nginx gives a key file's key."""
    with open(key_file, 'rb') as f:
        key = [l for l in f.read().splitlines() if l][0]
    return hashlib.sha256(key).hexdigest()[:16]


def signal_cmd(ngx, sig):
    """nginx -s <sig> against a running instance."""
    r = subprocess.run([NGINX, '-p', ngx.dir + '/', '-c', ngx.conf, '-s',
                        sig], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=30)
    return r.returncode, r.stderr.decode('utf-8', 'replace')


def leaks(data):
    """Token spellings found in bytes."""
    found = []
    for tok in TOKENS:
        for tag, form in secret_forms(tok).items():
            if form in data:
                found.append(tag)
    return found


class Nginx4(NginxWorkers):
    """Four workers, and a restart that begins a new chain segment."""

    def __init__(self, *a, **kw):
        super().__init__(*a, workers=WORKERS, **kw)

    def restart(self):
        self.stop()
        self.stopped = False
        self.pid = None
        return self.start()


class ChainCase(GatewayCase):
    """One nginx with four workers and a keyed audit log per class."""

    AUDIT = '%%DIR%%/audit.log key=%%KEY%%'

    @classmethod
    def http_conf(cls):
        return server(gateway_location(audit=cls.AUDIT))

    @classmethod
    def policy(cls):
        rule = full_rule(editors=(ALICE, HOSTILE_EDITOR))
        return policy_doc(apps={APP: rule, APP_HEX: rule})

    @classmethod
    def setUpClass(cls):
        cls.up = Upstream()
        cls.addClassCleanup(cls.up.stop)
        cls.dir = test_dir('12-' + cls.__name__)
        DIRS.append(cls.dir)
        cls.token_file = write_token_file(
            os.path.join(cls.dir, 'default.token'), TOKEN + '\n')
        cls.account_token_file = write_token_file(
            os.path.join(cls.dir, 'account2.token'), TOKEN_ACCOUNT + '\n')
        cls.key_file = write_key(os.path.join(cls.dir, 'audit.key'))
        v = {'UP': cls.up.port, 'TOKEN_FILE': cls.token_file,
             'ACCOUNT_TOKEN_FILE': cls.account_token_file,
             'ACCOUNT2': 'fedcba9876543210fedcba9876543210',
             'KEY': cls.key_file}
        v['POLICY'] = write_policy(os.path.join(cls.dir, 'policy.json'),
                                   cls.policy())
        v.update(cls.conf_vars())
        cls.ngx = Nginx4(cls.http_conf(), v, dir=cls.dir)
        cls.addClassCleanup(cls.ngx.stop)
        cls.ngx.start()
        cls.port = cls.ngx.port
        cls.ports = cls.ngx.vars

    @property
    def audit_path(self):
        return self.ngx.path('audit.log')

    def wait_lines(self, path, n, timeout=5.0):
        end = time.time() + timeout
        while True:
            lines = read_lines(path)
            if len(lines) >= n or time.time() > end:
                return lines
            time.sleep(0.03)

    def allowed(self, name='x', **kw):
        return self.req(body={'enabled': True, 'name': name}, **kw)

    def settled(self, name):
        """An allowed request whose outcome record is written."""
        r = self.allowed(name)
        self.assertEqual(r.status, 200, r)
        rid = r.header('X-Request-Id').encode()
        end = time.time() + 5
        while time.time() < end:
            if sum(1 for l in read_lines(self.audit_path) if rid in l) == 2:
                break
            time.sleep(0.02)
        return r

    def run_mix(self, threads=8, per_thread=12):
        """Concurrent allowed and denied requests: [(kind, response)]."""
        out = []
        lock = threading.Lock()

        def worker(t):
            for i in range(per_thread):
                kind = ('allow', 'deny', 'allow', 'bad')[(t + i) % 4]
                try:
                    if kind == 'allow':
                        r = self.allowed('mix-%d-%d' % (t, i))
                    elif kind == 'deny':
                        r = self.req(caller='mallory@example.com')
                    else:
                        r = self.req(body=b'{"zz":1}')
                except Exception as e:          # reported by the caller
                    r = e
                with lock:
                    out.append((kind, r))

        ts = [threading.Thread(target=worker, args=(t,))
              for t in range(threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(60)
        return out


EXPECT = {'allow': (200, None), 'deny': (403, 40302), 'bad': (400, 40003)}


# --------------------------------------------------------------------

class Chain(ChainCase):

    EXPECT_LOG = (r'\[alert\].*exited on signal 9',)

    def check_mix(self, results, base_lines, path=None, links=0):
        """One decision per request, one outcome per forwarded one
        (after links more link records)."""
        path = path or self.audit_path
        allowed = [r for k, r in results if k == 'allow']
        for kind, r in results:
            self.assertNotIsInstance(r, Exception, r)
            st, code = EXPECT[kind]
            self.assertEqual(r.status, st, repr(r))
            if code:
                self.assertEqual(r.json()['errors'][0]['code'], code)
        want = base_lines + len(results) + len(allowed) + links
        lines = self.wait_lines(path, want)
        self.assertEqual(len(lines), want)
        recs = parse(lines[base_lines:])
        self.assertEqual(len(requests_only(recs)), want - links - base_lines)
        dec, outc = {}, {}
        for x in requests_only(recs):
            d = dec if x['type'] == 'decision' else outc
            d.setdefault(x['request_id'], []).append(x)
        for kind, r in results:
            rid = r.header('X-Request-Id')
            self.assertEqual(len(dec.get(rid, [])), 1, (kind, rid))
            self.assertEqual(len(outc.get(rid, [])),
                             1 if kind == 'allow' else 0, (kind, rid))
            d = dec[rid][0]
            self.assertEqual(d['decision'],
                             'allow' if kind == 'allow' else 'deny')
            if kind != 'allow':
                self.assertEqual(d['status'], EXPECT[kind][0])
        self.assertEqual(len(dec), len(results))
        self.assertEqual(len(outc), len(allowed))
        # the file order is the chain order
        seqs = [x['seq'] for x in recs]
        self.assertEqual(seqs, list(range(seqs[0], seqs[0] + len(seqs))))
        return recs

    def test_1_concurrent_mix(self):
        self.assertEqual(len(self.ngx.workers), WORKERS)
        before = self.up.count()
        results = self.run_mix()
        self.assertEqual(len(results), 96)
        recs = self.check_mix(results, 0, links=1)
        # a fresh file: the chain begins with a link to nothing
        self.assertEqual(recs[0]['type'], 'link')
        self.assertEqual(recs[0]['seq'], 1)
        self.assertEqual((recs[0]['cause'], recs[0]['found'],
                          recs[0]['offset'], recs[0]['prev']),
                         ('start', 'empty', 0, None))
        self.assertEqual(recs[0]['key'], fingerprint(self.key_file))
        n_allow = sum(1 for k, _r in results if k == 'allow')
        self.assertEqual(self.up.count(), before + n_allow)
        rids = sorted(u.header('X-Request-Id')
                      for u in self.up.since(before))
        self.assertEqual(rids, sorted(r.header('X-Request-Id')
                                      for k, r in results if k == 'allow'))
        self.assertEqual(len({x['segment'] for x in recs}), 1)
        rc, out = verify([self.audit_path], self.key_file, complete=True)
        self.assertEqual(rc, 0, out)
        self.assertIn('ok: %d records in 1 segments verify' % len(recs), out)

    def test_2_reload_continues_chain(self):
        self.settled('before-reload')
        last = parse(read_lines(self.audit_path))[-1]
        n = len(read_lines(self.audit_path))
        old = self.ngx.live_workers()
        self.ngx.reload()
        new = self.ngx.wait_workers(old=old)
        self.assertEqual(len(new), WORKERS)
        self.assertFalse(set(new) & set(old))
        for i in range(4):
            self.assertEqual(self.allowed('after-reload-%d' % i).status, 200)
        recs = parse(self.wait_lines(self.audit_path, n + 8)[n:])
        self.assertEqual(len(recs), 8)
        self.assertEqual([x['seq'] for x in recs],
                         list(range(last['seq'] + 1, last['seq'] + 9)))
        self.assertEqual({x['segment'] for x in recs}, {last['segment']})
        rc, out = verify([self.audit_path], self.key_file, complete=True)
        self.assertEqual(rc, 0, out)
        self.assertIn('in 1 segments verify', out)

    def upstream_conn_owner(self):
        """The worker pid holding an established connection upstream."""
        port = '%04X' % self.up.port
        inodes = set()
        with open('/proc/net/tcp') as f:
            for line in f.readlines()[1:]:
                cols = line.split()
                if cols[2].endswith(':' + port) and cols[3] == '01':
                    inodes.add('socket:[%s]' % cols[9])
        for pid in self.ngx.live_workers():
            try:
                fds = os.listdir('/proc/%d/fd' % pid)
            except OSError:
                continue
            for fd in fds:
                try:
                    if os.readlink('/proc/%d/fd/%s' % (pid, fd)) in inodes:
                        return pid
                except OSError:
                    pass
        return None

    def test_3_sigkill_keeps_decision(self):
        n = len(read_lines(self.audit_path))
        before = self.up.count()
        self.up.reply(Reply(delay=4.0))
        got = []

        def client():
            try:
                got.append(self.allowed('killed'))
            except Exception as e:      # the connection dies with the worker
                got.append(e)

        t = threading.Thread(target=client)
        t.start()
        self.assertEqual(self.up.wait(before + 1, timeout=5), before + 1)
        rid = self.up.last().header('X-Request-Id')
        pid = None
        end = time.time() + 3
        while pid is None and time.time() < end:
            pid = self.upstream_conn_owner()
            time.sleep(0.02)
        self.assertIsNotNone(pid, 'no worker holds the upstream connection')
        old = self.ngx.live_workers()
        os.kill(pid, signal.SIGKILL)
        t.join(10)
        self.assertTrue(got)
        self.assertNotEqual(getattr(got[0], 'status', None), 200)
        recs = parse(read_lines(self.audit_path)[n:])
        mine = [x for x in recs if x['request_id'] == rid]
        self.assertEqual([x['type'] for x in mine], ['decision'], recs)
        self.assertEqual(mine[0]['decision'], 'allow')
        self.assertEqual(mine[0]['changes']['name'], 'killed')
        # the master replaces the worker and the chain goes on
        self.ngx.wait_workers(old=[pid])
        self.assertNotIn(pid, self.ngx.workers)
        self.assertEqual(len(set(old) & set(self.ngx.workers)), WORKERS - 1)
        for i in range(4):
            self.assertEqual(self.allowed('after-kill-%d' % i).status, 200)
        self.wait_lines(self.audit_path, n + 9)
        rc, out = verify([self.audit_path], self.key_file, complete=True)
        self.assertEqual(rc, 0, out)

    def test_4_restart_new_segment(self):
        self.settled('before-restart')
        lines = read_lines(self.audit_path)
        last = parse(lines)[-1]
        n = len(lines)
        self.ngx.restart()
        self.__class__.port = self.ngx.port
        for i in range(4):
            self.assertEqual(self.allowed('after-restart-%d' % i).status,
                             200)
        recs = parse(self.wait_lines(self.audit_path, n + 9)[n:])
        self.assertEqual(len(recs), 9)
        self.assertEqual([x['seq'] for x in recs], list(range(1, 10)))
        self.assertEqual(len({x['segment'] for x in recs}), 1)
        self.assertNotEqual(recs[0]['segment'], last['segment'])
        # the new segment links to the last record the master found
        link = recs[0]
        self.assertEqual(link['type'], 'link')
        self.assertEqual((link['cause'], link['found']), ('start', 'record'))
        self.assertEqual(link['offset'], sum(len(l) + 1 for l in lines))
        self.assertEqual(link['prev'], {'segment': last['segment'],
                                        'seq': last['seq'],
                                        'mac': last['mac'],
                                        'key': fingerprint(self.key_file)})
        rc, out = verify([self.audit_path], self.key_file)
        self.assertEqual(rc, 0, out)
        self.assertIn('ok: %d records in 2 segments verify' % (n + 9), out)
        rc, out = verify([self.audit_path], self.key_file, complete=True)
        self.assertEqual(rc, 0, out)

    def tamper_cases(self, good, foreign, foreign_first):
        """name -> (lines, the line the verifier must name)."""
        n = len(good)
        c = {}
        edit = re.sub(rb'"name":"[^"]*"', b'"name":"edited"', good[4], 1)
        if edit == good[4]:
            edit = good[4].replace(b'"type":"', b'"type":"x', 1)
        c['edited field'] = (good[:4] + [edit] + good[5:], 5)
        edit_last = good[-1].replace(b'"code":', b'"code":1', 1)
        c['edited last record'] = (good[:-1] + [edit_last], n)
        c['deleted record'] = (good[:4] + good[5:], 5)
        c['inserted copy'] = (good[:7] + [good[2]] + good[7:], 8)
        c['inserted copy next to itself'] = (good[:3] + [good[2]] + good[3:],
                                             4)
        forged = json.loads(good[4])
        forged['caller'] = 'mallory@example.com'
        forged['seq'] = forged['seq'] + 1
        forged['mac'] = '0' * 64
        fl = json.dumps(forged, separators=(',', ':')).encode()
        c['inserted forged record'] = (good[:5] + [fl] + good[5:], 6)
        forged['seq'] = json.loads(good[-1])['seq'] + 1
        forged['mac'] = secrets.token_hex(32)
        fl = json.dumps(forged, separators=(',', ':')).encode()
        c['appended forged record'] = (good + [fl], n + 1)
        c['moved forward'] = (good[:2] + good[3:8] + [good[2]] + good[8:],
                              8)
        c['moved backward'] = (good[:2] + [good[8]] + good[2:8] + good[9:],
                               3)
        c['record of another segment'] = (good[:5] + [foreign] + good[5:],
                                          6)
        c['first record of another segment'] = (
            good[:5] + [foreign_first] + good[5:], 6)
        made_up = json.loads(good[4])
        made_up['segment'] = secrets.token_hex(8)
        made_up['seq'] = 7
        made_up['caller'] = 'mallory@example.com'
        made_up['mac'] = secrets.token_hex(32)
        ml = json.dumps(made_up, separators=(',', ':')).encode()
        c['forged record of a made-up segment'] = (
            good[:5] + [ml] + good[5:], 6)
        return c

    def test_5_tampering_caught(self):
        lines = read_lines(self.audit_path)
        recs = parse(lines)
        seg_a = recs[0]['segment']
        good = [l for l, x in zip(lines, recs) if x['segment'] == seg_a]
        foreign = [l for l, x in zip(lines, recs)
                   if x['segment'] != seg_a and x['seq'] == 3]
        foreign_first = [l for l, x in zip(lines, recs)
                         if x['segment'] != seg_a and x['seq'] == 1]
        self.assertGreaterEqual(len(good), 20)
        self.assertEqual(len(foreign), 1)
        self.assertEqual(len(foreign_first), 1)
        good = good[:20]
        d = os.path.join(self.dir, 'tamper')
        os.makedirs(d, exist_ok=True)
        path = os.path.join(d, 'good.log')
        with open(path, 'wb') as f:
            f.write(b'\n'.join(good) + b'\n')
        rc, out = verify([path], self.key_file, complete=True)
        self.assertEqual(rc, 0, out)

        cases = self.tamper_cases(good, foreign[0], foreign_first[0])
        for i, (name, (tl, line)) in enumerate(sorted(cases.items())):
            p = os.path.join(d, 'case%d.log' % i)
            with open(p, 'wb') as f:
                f.write(b'\n'.join(tl) + b'\n')
            for complete in (False, True):
                with self.subTest(case=name, complete=complete):
                    rc, out = verify([p], self.key_file, complete)
                    self.assertEqual(rc, 1, out)
                    self.assertEqual(broken_at(out), (p, line), out)

        # swapped: either of the two records is the right answer
        p = os.path.join(d, 'swapped.log')
        with open(p, 'wb') as f:
            f.write(b'\n'.join(good[:3] + [good[4], good[3]] + good[5:])
                    + b'\n')
        rc, out = verify([p], self.key_file)
        self.assertEqual(rc, 1, out)
        self.assertIn(broken_at(out), ((p, 4), (p, 5)), out)

        # truncated: the last line is incomplete
        p = os.path.join(d, 'truncated.log')
        data = b'\n'.join(good) + b'\n'
        with open(p, 'wb') as f:
            f.write(data[:-40])
        rc, out = verify([p], self.key_file)
        self.assertEqual(rc, 1, out)
        self.assertEqual(broken_at(out), (p, 20), out)

        # the wrong key breaks the first record
        wrong = write_key(os.path.join(d, 'wrong.key'))
        rc, out = verify([path], wrong)
        self.assertEqual(rc, 1, out)
        self.assertEqual(broken_at(out), (path, 1), out)

    def test_6_reopen_under_load(self):
        base = len(read_lines(self.audit_path))
        rotated = self.ngx.path('audit.log.1')
        results = []
        lock = threading.Lock()
        stop = threading.Event()

        def worker(t):
            i = 0
            while not stop.is_set() and i < 150:
                kind = 'allow' if (t + i) % 3 else 'deny'
                try:
                    if kind == 'allow':
                        r = self.allowed('rot-%d-%d' % (t, i))
                    else:
                        r = self.req(caller='mallory@example.com')
                except Exception as e:
                    r = e
                with lock:
                    results.append((kind, r))
                i += 1

        ts = [threading.Thread(target=worker, args=(t,)) for t in range(6)]
        for t in ts:
            t.start()
        end = time.time() + 10
        while len(results) < 150 and time.time() < end:
            time.sleep(0.01)
        os.rename(self.audit_path, rotated)
        with lock:
            at_rename = len(results)
        rc, err = signal_cmd(self.ngx, 'reopen')
        self.assertEqual(rc, 0, err)
        time.sleep(0.4)
        stop.set()
        for t in ts:
            t.join(30)
        self.assertGreater(at_rename, 10)
        self.assertGreater(len(results), at_rename + 10)
        n_allow = sum(1 for k, _r in results if k == 'allow')
        want = base + len(results) + n_allow + 1     # the new file's link
        end = time.time() + 5
        while time.time() < end:
            got = len(read_lines(rotated)) + len(read_lines(self.audit_path))
            if got >= want:
                break
            time.sleep(0.05)
        new_lines = read_lines(self.audit_path)
        self.assertTrue(new_lines, 'nothing in the reopened file')
        head = parse(new_lines[:1])[0]
        self.assertEqual((head['type'], head['cause'], head['offset']),
                         ('link', 'file', 0))
        self.assertEqual((head['prev']['segment'], head['prev']['seq']),
                         (head['segment'], head['seq'] - 1))
        both = read_lines(rotated) + new_lines
        self.assertEqual(len(both), want)
        merged = os.path.join(self.dir, 'merged.log')
        recs = parse(both[base:])
        recs.sort(key=lambda x: x['seq'])
        with open(merged, 'wb') as f:
            f.write(b'\n'.join(both[base:]) + b'\n')
        # the same checks as for one file, on both files together
        dec, outc = {}, {}
        for x in requests_only(recs):
            d = dec if x['type'] == 'decision' else outc
            d.setdefault(x['request_id'], []).append(x)
        for kind, r in results:
            self.assertNotIsInstance(r, Exception, r)
            self.assertEqual(r.status, EXPECT[kind][0], repr(r))
            rid = r.header('X-Request-Id')
            self.assertEqual(len(dec.get(rid, [])), 1, rid)
            self.assertEqual(len(outc.get(rid, [])),
                             1 if kind == 'allow' else 0, rid)
        self.assertEqual(len(dec), len(results))
        self.assertEqual(len(outc), n_allow)
        seqs = [x['seq'] for x in recs]
        self.assertEqual(seqs, list(range(seqs[0], seqs[0] + len(seqs))))
        rc, out = verify([rotated, self.audit_path], self.key_file,
                         complete=True)
        self.assertEqual(rc, 0, out)
        self.assertIn('ok: %d records' % want, out)

    def test_7_hostile_callers(self):
        callers = [(b'eve"quote', 403), (b'eve\\back\\slash', 403),
                   (b'eve\x01\x1f\x7f\tctl', 403), (b'eve\xff\xfe', 403),
                   (b'eve\xc3', 403), (b'eve\xed\xa0\x80', 403),
                   (b'eve","decision":"allow', 403),
                   (HOSTILE_EDITOR.encode(), 200)]
        for c, status in callers:
            with self.subTest(caller=c):
                n = len(read_lines(self.audit_path))
                raw = build(body=b'{"enabled":true}',
                            headers=[('X-Caller', 'PLACEHOLDER')])
                r = request(self.port, raw.replace(b'PLACEHOLDER', c))
                self.assertEqual(r.status, status, r)
                want = 2 if status == 200 else 1
                lines = self.wait_lines(self.audit_path, n + want)[n:]
                self.assertEqual(len(lines), want)
                for line in lines:
                    line.decode('utf-8')
                    self.assertFalse(re.search(rb'[\x00-\x1f]', line), line)
                    x = json.loads(line)
                    self.assertEqual(x['request_id'],
                                     r.header('X-Request-Id'))
                    self.assertEqual(x['caller'],
                                     c.decode('utf-8', 'replace'))
                    self.assertEqual(x['decision'],
                                     'allow' if status == 200 else 'deny')
                if b'"' in c:
                    self.assertIn(b'\\"', lines[0])
                if b'\\' in c:
                    self.assertIn(b'\\\\', lines[0])
        rc, out = verify([self.ngx.path('audit.log.1'), self.audit_path],
                         self.key_file, complete=True)
        self.assertEqual(rc, 0, out)


# --------------------------------------------------------------------

class FailClosed(ChainCase):

    AUDIT = '/dev/full key=%%KEY%%'

    def test_allowed_gets_503(self):
        before = self.up.count()
        r = self.allowed('fail-closed')
        self.assert_error(r, 503, 50301, before)
        time.sleep(0.1)
        self.assertEqual(self.up.count(), before)
        log = self.ngx.log()
        self.assertRegex(log, r'\[crit\].*audit log "/dev/full".*'
                              r'No space left on device')

    def test_denied_still_403(self):
        self.expect_error(403, 40302, caller='mallory@example.com')
        self.expect_error(400, 40003, body=b'{"zz":1}')


class KeyRotation(ChainCase):
    """A reload with a new key begins a new segment; verify takes both
    keys and says which one verified which segment."""

    def test_new_key_new_segment(self):
        self.settled('old-key')
        old_key = shutil.copy(self.key_file, self.key_file + '.old')
        old_fp = fingerprint(old_key)
        first = parse(read_lines(self.audit_path))[-1]
        n = len(read_lines(self.audit_path))
        write_key(self.key_file)
        new_fp = fingerprint(self.key_file)
        self.assertNotEqual(old_fp, new_fp)
        old = self.ngx.live_workers()
        self.ngx.reload()
        self.ngx.wait_workers(old=old)
        for i in range(4):
            self.assertEqual(self.allowed('new-key-%d' % i).status, 200)
        recs = parse(self.wait_lines(self.audit_path, n + 9)[n:])
        self.assertEqual(len(recs), 9)
        self.assertEqual(recs[0]['seq'], 1)
        self.assertNotEqual(recs[0]['segment'], first['segment'])
        # the new segment's link names the old one's exact end and key
        link = recs[0]
        self.assertEqual((link['type'], link['cause'], link['key']),
                         ('link', 'key', new_fp))
        self.assertEqual(link['prev'], {'segment': first['segment'],
                                        'seq': first['seq'],
                                        'mac': first['mac'],
                                        'key': old_fp})
        self.assertEqual(link['offset'], sum(
            len(l) + 1 for l in read_lines(self.audit_path)[:n]))
        rc, out = verify([self.audit_path], [old_key, self.key_file],
                         complete=True)
        self.assertEqual(rc, 0, out)
        self.assertIn('in 2 segments verify', out)
        self.assertRegex(out, r'segment %s \(\S+:1, \d+ records\) '
                         r'verifies with key %s\n'
                         % (first['segment'], re.escape(old_key)))
        self.assertRegex(out, r'segment %s \(\S+:%d, 9 records\) '
                         r'verifies with key %s\n'
                         % (link['segment'], n + 1,
                            re.escape(self.key_file)))
        for one in (old_key, self.key_file):
            rc, out = verify([self.audit_path], one, complete=True)
            self.assertEqual(rc, 1, out)
        # the link cut out: the new segment follows nothing given
        lines = read_lines(self.audit_path)
        p = os.path.join(self.dir, 'no-link.log')
        with open(p, 'wb') as f:
            f.write(b'\n'.join(lines[:n] + lines[n + 1:]) + b'\n')
        rc, out = verify([p], [old_key, self.key_file])
        self.assertEqual(rc, 1, out)
        self.assertEqual(broken_at(out), (p, n + 1), out)


class DeletedFile(ChainCase):
    """An audit file deleted without "nginx -s reopen": records would go
    to an inode nobody can read.  Within a second every worker notices,
    logs it at crit and, fail=closed, forwards nothing until reopen."""

    def test_deleted_then_reopened(self):
        before = self.up.count()
        self.forwarded(self.allowed('before-delete'), before)
        os.rename(self.audit_path, self.audit_path + '.gone')
        os.unlink(self.audit_path + '.gone')
        time.sleep(1.1)
        for i in range(4):
            r = self.allowed('deleted-%d' % i)
            self.assert_error(r, 503, 50301, before + 1)
        self.assertEqual(self.up.count(), before + 1)
        crit = [line for line in self.ngx.log().splitlines()
                if '[crit]' in line and 'was deleted' in line]
        self.assertTrue(crit, self.ngx.log()[-2000:])
        os.kill(self.ngx.pid, signal.SIGUSR1)
        end = time.time() + 5
        while not os.path.exists(self.audit_path) and time.time() < end:
            time.sleep(0.05)
        time.sleep(0.3)
        n = self.up.count()
        r = self.allowed('reopened')
        self.forwarded(r, n)
        self.assertTrue(self.records(r.header('X-Request-Id'), 1))


class FailOpen(ChainCase):

    AUDIT = '/dev/full key=%%KEY%% fail=open'

    def test_allowed_forwarded(self):
        before = self.up.count()
        r = self.allowed('fail-open')
        self.forwarded(r, before)
        self.assertEqual(self.up.last().header('X-Request-Id'),
                         r.header('X-Request-Id'))
        time.sleep(0.1)
        crit = [l for l in self.ngx.log().splitlines() if '[crit]' in l
                and '/dev/full' in l]
        self.assertTrue(crit, self.ngx.log()[-2000:])
        self.assertRegex(crit[0], r'No space left on device')

    def test_denied_still_403(self):
        self.expect_error(403, 40302, caller='mallory@example.com')


class FsyncSyslog(ChainCase):
    """Port 1: a file with fsync; port 2: syslog over UDP."""

    @classmethod
    def conf_vars(cls):
        cls.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        cls.udp.bind(('127.0.0.1', 0))
        cls.udp.settimeout(0.2)
        cls.addClassCleanup(cls.udp.close)
        return {'UDP': cls.udp.getsockname()[1]}

    @classmethod
    def http_conf(cls):
        return (server(gateway_location(
            audit='%%DIR%%/fsync.log key=%%KEY%% fsync'))
            + server(gateway_location(
                audit='syslog:server=127.0.0.1:%%UDP%% key=%%KEY%%'),
                listen='127.0.0.1:%%PORT2%%'))

    def test_fsync(self):
        path = self.ngx.path('fsync.log')
        trace = os.path.join(self.dir, 'strace.out')
        tracer = None
        if shutil.which('strace'):
            cmd = ['strace', '-f', '-qq', '-e', 'trace=fsync', '-o', trace]
            for pid in self.ngx.live_workers():
                cmd += ['-p', str(pid)]
            tracer = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL)
            time.sleep(0.5)
        try:
            rs = [self.allowed('fsync-%d' % i) for i in range(3)]
            rs.append(self.req(caller='mallory@example.com'))
        finally:
            if tracer is not None:
                time.sleep(0.2)
                tracer.send_signal(signal.SIGINT)
                tracer.wait(10)
        self.assertEqual([r.status for r in rs], [200, 200, 200, 403])
        # a denied request's record follows its response (log phase)
        lines = self.wait_lines(path, 8)
        self.assertEqual(len(lines), 8)
        self.assertEqual(parse(lines)[0]['type'], 'link')
        rids = [x['request_id'] for x in requests_only(parse(lines))]
        for r in rs:
            self.assertIn(r.header('X-Request-Id'), rids)
        rc, out = verify([path], self.key_file, complete=True)
        self.assertEqual(rc, 0, out)
        if tracer is not None:
            with open(trace) as f:
                calls = [l for l in f if 'fsync(' in l and '= 0' in l]
            # one at least per forwarded request, which come one by one;
            # t/27_fsync.py checks which records each sync covers
            self.assertGreaterEqual(len(calls), 3)

    def test_syslog(self):
        while True:
            try:
                self.udp.recv(65536)
            except socket.timeout:
                break
        port2 = self.ports['PORT2']
        rs = [self.allowed('syslog-%d' % i, port=port2) for i in range(3)]
        rs.append(self.req(caller='mallory@example.com', port=port2))
        rs.append(self.req(caller=b'sys"\\\x01'.decode('latin-1'),
                           port=port2))
        self.assertEqual([r.status for r in rs], [200, 200, 200, 403, 403])
        grams = []
        end = time.time() + 3
        while len(grams) < 9 and time.time() < end:
            try:
                grams.append(self.udp.recv(65536))
            except socket.timeout:
                pass
        time.sleep(0.2)
        try:
            grams.append(self.udp.recv(65536))
        except socket.timeout:
            pass
        self.assertEqual(len(grams), 9, grams)
        recs = []
        for g in grams:
            self.assertRegex(g, rb'^<\d+>')
            self.assertNotIn(b'\n', g)
            j = g[g.index(b'{'):]
            recs.append((json.loads(j), j))
        by = {}
        for x, _j in recs:
            if x['type'] == 'link':
                self.assertEqual((x['seq'], x['offset'], x['prev']),
                                 (1, None, None))
                continue
            by.setdefault(x['request_id'], []).append(x['type'])
        for r in rs:
            self.assertEqual(by.get(r.header('X-Request-Id')),
                             ['decision', 'outcome'] if r.status == 200
                             else ['decision'])
        # the records carry the chain too
        recs.sort(key=lambda t: t[0]['seq'])
        self.assertEqual([x['seq'] for x, _j in recs], list(range(1, 10)))
        p = os.path.join(self.dir, 'syslog.log')
        with open(p, 'wb') as f:
            f.write(b''.join(j + b'\n' for _x, j in recs))
        rc, out = verify([p], self.key_file, complete=True)
        self.assertEqual(rc, 0, out)
        self.assertFalse(leaks(b''.join(grams)))


# --------------------------------------------------------------------

class Config(unittest.TestCase):

    def check(self, audit, audit2=None, key='K' * 40 + '\n', mode=0o600):
        d = test_dir('12-conf-' + self._testMethodName)
        DIRS.append(d)
        tf = write_token_file(os.path.join(d, 'default.token'), TOKEN + '\n')
        af = write_token_file(os.path.join(d, 'account.token'),
                              TOKEN_ACCOUNT + '\n')
        kf = write_key(os.path.join(d, 'audit.key'), key, mode)
        pf = write_policy(os.path.join(d, 'policy.json'), policy_doc())
        locs = gateway_location(audit=audit, path='/a/')
        if audit2 is not None:
            locs += gateway_location(audit=audit2, path='/b/')
        v = {'TOKEN_FILE': tf, 'ACCOUNT_TOKEN_FILE': af, 'POLICY': pf,
             'KEY': kf, 'UP': free_port(), 'PORT': free_port(),
             'ACCOUNT2': 'fedcba9876543210fedcba9876543210'}
        rc, err, _d = nginx_t(server(locs), v, dir=d)
        self.assertNotIn(TOKEN, err)
        return rc, err, kf

    def fails(self, needle, **kw):
        rc, err, kf = self.check(**kw)
        self.assertNotEqual(rc, 0, err)
        self.assertIn('[emerg]', err)
        self.assertIn(kf if needle == 'KEY' else needle, err)
        return err

    def test_valid(self):
        rc, err, _kf = self.check('%%DIR%%/a.log key=%%KEY%% fsync '
                                  'fail=open')
        self.assertEqual(rc, 0, err)

    def test_same_path_same_parameters_ok(self):
        rc, err, _kf = self.check('%%DIR%%/a.log key=%%KEY%%',
                                  '%%DIR%%/a.log key=%%KEY%%')
        self.assertEqual(rc, 0, err)

    def test_key_mode_0644(self):
        self.fails('KEY', audit='%%DIR%%/a.log key=%%KEY%%', mode=0o644)

    def test_key_empty(self):
        self.fails('KEY', audit='%%DIR%%/a.log key=%%KEY%%', key='')

    def test_key_only_newline(self):
        self.fails('KEY', audit='%%DIR%%/a.log key=%%KEY%%', key='\n')

    def test_unknown_parameter(self):
        self.fails('rotate=daily', audit='%%DIR%%/a.log key=%%KEY%% '
                                         'rotate=daily')

    def test_same_path_other_parameters(self):
        self.fails('a.log', audit='%%DIR%%/a.log key=%%KEY%%',
                   audit2='%%DIR%%/a.log key=%%KEY%% fsync')

    def test_same_path_without_key(self):
        self.fails('a.log', audit='%%DIR%%/a.log key=%%KEY%%',
                   audit2='%%DIR%%/a.log')


# --------------------------------------------------------------------

class ZZNoTokenAnywhere(unittest.TestCase):
    """Runs last: audit files and error logs of this file hold no token."""

    def test_no_token(self):
        self.assertTrue(DIRS)
        for d in DIRS:
            for dirpath, _dirs, files in os.walk(d):
                for f in files:
                    if f.endswith('.token'):
                        continue
                    p = os.path.join(dirpath, f)
                    if not os.path.isfile(p):
                        continue
                    with open(p, 'rb') as fh:
                        data = fh.read()
                    self.assertEqual(leaks(data), [], p)


if __name__ == '__main__':
    main()
