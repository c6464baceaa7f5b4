#!/usr/bin/env python3
#
# Copyright (C) ngx_rtk_module authors
#
# Reloads under load: a steady stream of PATCHes through four workers
# while the test reloads nginx again and again (new policies that change
# a decision, a broken policy the master refuses) and rotates the audit
# log.  Every request gets the answer its policy calls for, and the
# audit chain across all rotated files has exactly one decision record
# per request and one outcome record per forwarded one.
#

import hashlib
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), 'lib'))

from rtk_harness import (APP, APP_HEX, NGINX, REPO, TOKEN,  # noqa: E402
                         TOKEN_ACCOUNT, GatewayCase, NginxWorkers, Upstream,
                         build, full_rule, gateway_location, main,
                         policy_doc, read_response, request, server, test_dir,
                         write_token_file, _Reader, read_lines)


AUDIT_TOOL = os.path.join(REPO, 'tools', 'rtk-audit')
WORKERS = 4
THREADS = 6
MAX_REQUESTS = 12000        # in all
LOAD_SECONDS = 40           # the client stops by itself at the latest
RELOADS = 24
BROKEN_EVERY = 6            # every 6th reload: a broken policy
REOPEN_EVERY = 5            # every 5th reload: rotate + reopen

ALICE = 'alice@example.com'     # always allowed
BOB = 'bob@example.com'         # allowed by one policy, denied by the other
MALLORY = 'mallory@example.com'  # always denied


def policy_bytes(bob):
    editors = (ALICE, BOB) if bob else (ALICE,)
    rule = full_rule(editors=editors)
    doc = policy_doc(apps={APP: rule, APP_HEX: rule})
    return json.dumps(doc, indent=2).encode()


POLICY_DENY_BOB = policy_bytes(False)
POLICY_ALLOW_BOB = policy_bytes(True)
POLICY_BROKEN = b'{"mode": "enforce", "accounts": {"*": '
HASH_DENY_BOB = hashlib.sha256(POLICY_DENY_BOB).hexdigest()
HASH_ALLOW_BOB = hashlib.sha256(POLICY_ALLOW_BOB).hexdigest()


def write_key(path):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as f:
        f.write(secrets.token_hex(32) + '\n')
    return path


def write_file(path, data):
    tmp = path + '.tmp'
    with open(tmp, 'wb') as f:
        f.write(data)
    os.rename(tmp, path)


class Nginx4(NginxWorkers):
    """Four workers, and nginx -s as the operator runs it."""

    def __init__(self, *a, **kw):
        super().__init__(*a, workers=WORKERS, **kw)

    def signal_cmd(self, sig):
        r = subprocess.run([NGINX, '-p', self.dir + '/', '-c', self.conf,
                            '-s', sig], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=30)
        return r.returncode, r.stderr.decode('utf-8', 'replace')


class Client(object):
    """One load thread: keep-alive and new connections mixed."""

    def __init__(self, n, port, stop, deadline, budget, out_dir):
        self.n = n
        self.port = port
        self.stop = stop
        self.deadline = deadline
        self.budget = budget            # shared [remaining], with a lock
        self.rng = random.Random(n)
        self.sock = None
        self.used = 0
        self.done = []                  # (kind, name, response)
        self.dropped = []               # names of attempts never answered
        self.failed = []                # (kind, name, why)
        self.saved = open(os.path.join(out_dir, 'load-%d.http' % n), 'ab')

    def take(self):
        with self.budget[1]:
            if self.budget[0] <= 0:
                return False
            self.budget[0] -= 1
            return True

    def close(self):
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
        self.sock = None
        self.used = 0

    def once(self, raw, keep):
        """(response or None, reused): None when a reused connection was
        closed before any byte of an answer came back."""
        reused = self.sock is not None
        if self.sock is None:
            self.sock = socket.create_connection(('127.0.0.1', self.port),
                                                 timeout=5)
        r = _Reader(self.sock, time.time() + 10)
        try:
            self.sock.sendall(raw)
            resp = read_response(r)
        except (EOFError, ConnectionResetError, BrokenPipeError):
            self.close()
            if reused and not r.raw:
                return None, True
            raise
        finally:
            if r.raw:
                self.saved.write(r.raw)
        self.used += 1
        conn = (resp.header('Connection') or '').lower()
        if not keep or conn == 'close' or self.used >= 25:
            self.close()
        return resp, reused

    def run(self):
        i = 0
        try:
            while not self.stop.is_set() and time.time() < self.deadline:
                if not self.take():
                    break
                i += 1
                roll = i % 8
                kind = 'bob' if roll == 3 else 'mallory' if roll == 6 \
                    else 'alice'
                caller = {'alice': ALICE, 'bob': BOB,
                          'mallory': MALLORY}[kind]
                keep = self.rng.random() < 0.6
                attempt = 0
                while True:
                    name = 'ld-%d-%d-%d' % (self.n, i, attempt)
                    body = json.dumps({'enabled': True, 'name': name})
                    raw = build(body=body, close=not keep,
                                headers=[('X-Caller', caller)])
                    try:
                        resp, _reused = self.once(raw, keep)
                    except Exception as e:
                        self.failed.append((kind, name, repr(e)))
                        break
                    if resp is None:
                        # the keep-alive race: retry on a new connection
                        self.dropped.append(name)
                        attempt += 1
                        continue
                    self.done.append((kind, name, resp))
                    break
                time.sleep(0.01)
        finally:
            self.close()
            self.saved.close()


class ReloadUnderLoad(GatewayCase):

    EXPECT_LOG = (r'\[emerg\].*invalid policy',)

    @classmethod
    def setUpClass(cls):
        cls.up = Upstream()
        cls.addClassCleanup(cls.up.stop)
        cls.dir = test_dir('13-reload-load')
        cls.token_file = write_token_file(
            os.path.join(cls.dir, 'default.token'), TOKEN + '\n')
        cls.account_token_file = write_token_file(
            os.path.join(cls.dir, 'account2.token'), TOKEN_ACCOUNT + '\n')
        cls.key_file = write_key(os.path.join(cls.dir, 'audit.key'))
        cls.policy_file = os.path.join(cls.dir, 'policy.json')
        write_file(cls.policy_file, POLICY_DENY_BOB)
        v = {'UP': cls.up.port, 'TOKEN_FILE': cls.token_file,
             'ACCOUNT_TOKEN_FILE': cls.account_token_file,
             'ACCOUNT2': 'fedcba9876543210fedcba9876543210',
             'KEY': cls.key_file, 'POLICY': cls.policy_file}
        conf = server(gateway_location(
            audit='%%DIR%%/audit.log key=%%KEY%%',
            extra='            keepalive_requests 1000;\n'))
        cls.ngx = Nginx4(conf, v, dir=cls.dir)
        cls.addClassCleanup(cls.ngx.stop)
        cls.ngx.start()
        cls.port = cls.ngx.port

    def emerg_count(self):
        return self.ngx.log().count('[emerg]')

    def reload_storm(self, stats):
        """The reloads and reopens, run while the clients load."""
        good = POLICY_DENY_BOB
        rotated = []
        for k in range(1, RELOADS + 1):
            time.sleep(0.5)
            if k % BROKEN_EVERY == 0:
                write_file(self.policy_file, POLICY_BROKEN)
                # the signaller parses the configuration too: refused
                rc, err = self.ngx.signal_cmd('reload')
                self.assertNotEqual(rc, 0, err)
                self.assertIn('invalid policy', err)
                # the master itself must refuse a SIGHUP as well
                before = self.emerg_count()
                workers = self.ngx.live_workers()
                os.kill(self.ngx.pid, signal.SIGHUP)
                end = time.time() + 5
                while self.emerg_count() == before and time.time() < end:
                    time.sleep(0.02)
                self.assertGreater(self.emerg_count(), before)
                time.sleep(0.2)
                self.assertEqual(self.ngx.live_workers(), workers)
                stats['refused'] += 1
                write_file(self.policy_file, good)
                continue
            if k % 2 == 1:
                good = (POLICY_ALLOW_BOB if good == POLICY_DENY_BOB
                        else POLICY_DENY_BOB)
                write_file(self.policy_file, good)
                stats['policy_changes'] += 1
            old = self.ngx.live_workers()
            rc, err = self.ngx.signal_cmd('reload')
            self.assertEqual(rc, 0, err)
            new = self.ngx.wait_new_workers(old)
            self.assertEqual(len(new), WORKERS, 'reload %d did not take' % k)
            stats['reloads'] += 1
            if k % REOPEN_EVERY == 0:
                path = self.ngx.path('audit.log.%d' % (len(rotated) + 1))
                os.rename(self.ngx.path('audit.log'), path)
                rotated.append(path)
                rc, err = self.ngx.signal_cmd('reopen')
                self.assertEqual(rc, 0, err)
                stats['reopens'] += 1
        return rotated

    def test_reload_under_load(self):
        started = time.time()
        stop = threading.Event()
        budget = [MAX_REQUESTS, threading.Lock()]
        clients = [Client(n, self.port, stop, started + LOAD_SECONDS,
                          budget, self.dir) for n in range(THREADS)]
        ts = [threading.Thread(target=c.run) for c in clients]
        for t in ts:
            t.start()
        stats = {'reloads': 0, 'refused': 0, 'policy_changes': 0,
                 'reopens': 0}
        try:
            time.sleep(0.5)
            rotated = self.reload_storm(stats)
            time.sleep(0.5)
        finally:
            stop.set()
            for t in ts:
                t.join(LOAD_SECONDS + 10)
        load_time = time.time() - started

        done = [d for c in clients for d in c.done]
        failed = [f for c in clients for f in c.failed]
        dropped = [d for c in clients for d in c.dropped]
        forwarded = sum(1 for _k, _n, r in done if r.status == 200)

        files = rotated + [self.ngx.path('audit.log')]
        # each file begins with a link: the chain's start, then each
        # reopened file's link to the record before it
        want = len(done) + forwarded + len(files)
        end = time.time() + 8
        while True:
            lines = [l for f in files for l in read_lines(f)]
            if len(lines) >= want or time.time() > end:
                break
            time.sleep(0.05)
        recs = [json.loads(l) for l in lines]
        links = [x for x in recs if x['type'] == 'link']
        heads = [json.loads(read_lines(f)[0])['type'] if read_lines(f)
                 else None for f in files]
        dec, outc = {}, {}
        names = {}
        for x in recs:
            if x['type'] == 'link':
                continue
            d = dec if x['type'] == 'decision' else outc
            d.setdefault(x['request_id'], []).append(x)
            if x['type'] == 'decision' and x['changes']:
                names.setdefault(x['changes'].get('name'), []).append(x)

        # every response is what its policy calls for
        wrong = []
        bob = {'allowed': 0, 'denied': 0}
        for kind, name, r in done:
            rid = r.header('X-Request-Id')
            ds = dec.get(rid, [])
            if len(ds) != 1:
                wrong.append((name, rid, '%d decision records' % len(ds)))
                continue
            d = ds[0]
            if kind == 'alice':
                want_status = 200
            elif kind == 'mallory':
                want_status = 403
            elif d['policy'] == HASH_ALLOW_BOB:
                want_status = 200
                bob['allowed'] += 1
            elif d['policy'] == HASH_DENY_BOB:
                want_status = 403
                bob['denied'] += 1
            else:
                want_status = None
            if r.status != want_status:
                wrong.append((name, rid, r.status, want_status,
                              d['policy']))
            if r.status == 403 and r.json()['errors'][0]['code'] != 40302:
                wrong.append((name, rid, r.body))
            if d['changes'].get('name') != name:
                wrong.append((name, rid, 'record of another request'))
            n_out = len(outc.get(rid, []))
            if n_out != (1 if r.status == 200 else 0):
                wrong.append((name, rid, '%d outcome records' % n_out))
        never = [n for n in dropped if n in names]

        rc, out = self.verify(files)
        segments = {x['segment'] for x in recs}
        up_names = [json.loads(u.body)['name']
                    for u in self.up.since(0)]

        line = ('reload-under-load: requests=%d failed=%d wrong=%d '
              'keepalive_retries=%d reloads=%d (policy changes %d) '
              'refused=%d reopens=%d decision_records=%d '
              'outcome_records=%d forwarded=%d upstream=%d bob_allowed=%d '
              'bob_denied=%d files=%d chain=%s load_seconds=%.1f'
              % (len(done), len(failed), len(wrong), len(dropped),
                 stats['reloads'], stats['policy_changes'],
                 stats['refused'], stats['reopens'],
                 sum(len(v) for v in dec.values()),
                 sum(len(v) for v in outc.values()), forwarded,
                 len(up_names), bob['allowed'], bob['denied'], len(files),
                 'ok' if rc == 0 else 'BROKEN', load_time))
        print(line)
        print(line, file=sys.stderr)
        sys.stdout.flush()

        self.assertEqual(failed, [], failed[:5])
        self.assertEqual(wrong, [], wrong[:5])
        self.assertEqual(never, [], 'unanswered attempts were decided')
        self.assertGreaterEqual(stats['reloads'] + stats['refused'], 20)
        self.assertGreaterEqual(stats['refused'], 3)
        self.assertGreaterEqual(stats['reopens'], 3)
        self.assertGreater(len(done), 1000)
        self.assertGreater(bob['allowed'], 0)
        self.assertGreater(bob['denied'], 0)
        self.assertEqual(sum(len(v) for v in dec.values()), len(done))
        self.assertEqual(sum(len(v) for v in outc.values()), forwarded)
        self.assertEqual(len(up_names), forwarded)
        self.assertEqual(sorted(up_names),
                         sorted(n for _k, n, r in done if r.status == 200))
        self.assertEqual(len(recs), want)
        self.assertEqual(len(links), len(files))
        self.assertEqual(heads, ['link'] * len(files))
        self.assertEqual(len(segments), 1)
        self.assertEqual(sorted(x['seq'] for x in recs),
                         list(range(1, len(recs) + 1)))
        for f in files:
            self.assertTrue(read_lines(f), '%s is empty' % f)
        self.assertEqual(rc, 0, out)
        self.assertIn('ok: %d records in 1 segments verify' % len(recs),
                      out)
        self.assertLess(load_time, LOAD_SECONDS + 5)
        self.__class__.files = files

    def test_restart_links(self):
        """After the storm, a restart: the new segment links to the last
        record of the newest file, and the chain verifies across every
        file and both segments."""
        files = getattr(self, 'files', None)
        self.assertTrue(files, 'the reload test left no files')
        n = len(read_lines(files[-1]))
        last = json.loads(read_lines(files[-1])[-1])
        self.ngx.stop()
        self.ngx.stopped, self.ngx.pid = False, None
        self.ngx.start()
        self.__class__.port = self.ngx.port
        for i in range(3):
            body = json.dumps({'enabled': True, 'name': 'restart-%d' % i})
            r = request(self.port, build(body=body,
                                         headers=[('X-Caller', ALICE)]))
            self.assertEqual(r.status, 200, r)
        time.sleep(0.3)
        link = json.loads(read_lines(files[-1])[n])
        self.assertEqual((link['type'], link['cause']), ('link', 'start'))
        self.assertEqual((link['prev']['segment'], link['prev']['seq'],
                          link['prev']['mac']),
                         (last['segment'], last['seq'], last['mac']))
        rc, out = self.verify(files)
        self.assertEqual(rc, 0, out)
        self.assertIn('in 2 segments verify', out)

    def verify(self, files):
        r = subprocess.run([sys.executable, AUDIT_TOOL, 'verify'] + files
                           + ['--key', self.key_file, '--complete'],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=120)
        return r.returncode, (r.stdout + r.stderr).decode('utf-8',
                                                          'replace')


if __name__ == '__main__':
    main()
