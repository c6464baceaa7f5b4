#!/usr/bin/env python3
#
# Copyright (C) ngx_rtk_module authors
#
# "fsync": a thread syncs the audit file while the worker goes on, and a
# forwarded request reaches the upstream only after a sync that began
# once its decision record was in the file has succeeded.  fsync(2) is
# watched and steered by t/lib/fsync_shim.c (LD_PRELOAD): it logs the
# file's size as each sync begins, and can be made slow or failing.
#

import json
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), 'lib'))

from rtk_harness import (REPO, TOKEN, NginxTuned, Upstream,  # noqa: E402
                         build, concurrently, gateway_location, main,
                         policy_doc,
                         request, server, test_dir, wh_path, write_policy,
                         verify_audit, write_key, write_token_file)


SHIM_SRC = os.path.join(REPO, 't', 'lib', 'fsync_shim.c')
KEY = 'f' * 48 + '\n'
CALLER = 'alice@example.com'
DENIED = 'mallory@example.com'


def records(path):
    """(record, offset of its end) for every line of an audit file."""
    out = []
    try:
        with open(path, 'rb') as f:
            data = f.read()
    except OSError:
        return out
    pos = 0
    for line in data.split(b'\n')[:-1]:
        pos += len(line) + 1
        out.append((json.loads(line), pos))
    return out


def syncs(shim_dir):
    """Finished syncs: (inode, size when it began, rc)."""
    begun, done = {}, []
    try:
        with open(os.path.join(shim_dir, 'log')) as f:
            lines = f.read().splitlines()
    except OSError:
        return done
    for line in lines:
        f = line.split()
        if f[0] == 'B':
            begun[(f[1], f[2])] = (int(f[3]), int(f[4]))
        elif f[0] == 'E' and (f[1], f[2]) in begun:
            ino, size = begun[(f[1], f[2])]
            done.append((ino, size, int(f[3])))
    return done


def synced(shim_dir, path, rid):
    """Whether rid's decision record in path (or its rotated copy) was
    covered by a sync that succeeded."""
    for p in (path, path + '.1'):
        try:
            ino = os.stat(p).st_ino
        except OSError:
            continue
        for rec, end in records(p):
            if rec.get('request_id') == rid and rec['type'] == 'decision':
                return any(i == ino and size >= end and rc == 0
                           for i, size, rc in syncs(shim_dir))
    return False


def h2_frame(ftype, flags, stream, payload=b''):
    return (struct.pack('>I', len(payload))[1:]
            + struct.pack('>BBI', ftype, flags, stream) + payload)


def hpack_literal(name, value):
    """A literal header field without indexing, no Huffman coding."""
    def string(b):
        # the length, an integer with a 7-bit prefix (RFC 7541, 5.1)
        n, out = len(b), []
        if n < 127:
            out.append(n)
        else:
            out.append(127)
            n -= 127
            while n >= 128:
                out.append(n % 128 + 128)
                n //= 128
            out.append(n)
        return bytes(out) + b
    return b'\x00' + string(name.encode()) + string(value.encode())


def h2_edit(port, caller, body):
    """An HTTP/2 PATCH (h2c, prior knowledge) whose stream stays open:
    the socket, so that the caller can reset the stream."""
    s = socket.create_connection(('127.0.0.1', port), timeout=5)
    data = json.dumps(body).encode()
    block = b''.join(hpack_literal(k, v) for k, v in (
        (':method', 'PATCH'), (':scheme', 'http'), (':path', wh_path()),
        (':authority', 'localhost'), ('content-type', 'application/json'),
        ('x-caller', caller), ('content-length', str(len(data)))))
    s.sendall(b'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'
              + h2_frame(4, 0, 0)                   # SETTINGS
              + h2_frame(1, 4, 1, block)            # HEADERS, END_HEADERS
              + h2_frame(0, 1, 1, data))            # DATA, END_STREAM
    return s


class SyncCheckingUpstream(Upstream):
    """At the moment a request arrives, looks for a finished sync that
    covers its decision record."""

    def __init__(self, audit_path, shim_dir):
        self.audit_path = audit_path
        self.shim_dir = shim_dir
        self.unsynced = []
        self.seen = 0
        super().__init__()

    def _read_request(self, c, buf, n):
        req, buf = super()._read_request(c, buf, n)
        if req is not None:
            rid = req.header('X-Request-Id')
            ok = synced(self.shim_dir, self.audit_path, rid)
            with self.lock:
                self.seen += 1
                if not ok:
                    self.unsynced.append(rid)
        return req, buf


class Fsync(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.shim = os.path.join(test_dir('fsync-shim'), 'fsync_shim.so')
        subprocess.run(['cc', '-shared', '-fPIC', '-O2', '-Wall', '-Werror',
                        '-o', cls.shim, SHIM_SRC, '-ldl'], check=True)

    def start(self, fail='fail=closed', main_conf='',
              listen='127.0.0.1:%%PORT%%'):
        self.dir = test_dir('fsync-' + self._testMethodName)
        self.shim_dir = os.path.join(self.dir, 'shim')
        os.mkdir(self.shim_dir)
        self.audit = os.path.join(self.dir, 'audit.log')
        self.up = SyncCheckingUpstream(self.audit, self.shim_dir)
        self.addCleanup(self.up.stop)
        token = write_token_file(os.path.join(self.dir, 'default.token'),
                                 TOKEN + '\n')
        self.key = write_key(os.path.join(self.dir, 'audit.key'), KEY)
        policy = write_policy(os.path.join(self.dir, 'policy.json'),
                              policy_doc())
        conf = server(gateway_location(
            audit='%%DIR%%/audit.log key=%%DIR%%/audit.key fsync ' + fail,
            tokens=False,
            extra='            rtk_token_file %%TOKEN_FILE%%;\n'),
            listen=listen)
        # one worker: one set of syncs, one batch per turn
        self.ngx = NginxTuned(conf, {'UP': self.up.port,
                                     'TOKEN_FILE': token,
                                     'POLICY': policy},
                              dir=self.dir, workers=1, main_conf=main_conf)
        self.addCleanup(self.check_log)
        self.addCleanup(self.ngx.stop)
        saved = {k: os.environ.get(k) for k in ('LD_PRELOAD',
                                                'RTK_FSYNC_SHIM')}
        os.environ['LD_PRELOAD'] = ' '.join(
            x for x in (saved['LD_PRELOAD'], self.shim) if x)
        os.environ['RTK_FSYNC_SHIM'] = self.shim_dir
        try:
            self.ngx.start()
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v

    def check_log(self):
        # no alert, no emerg, no sanitizer or valgrind report
        self.ngx.stop()
        self.assertEqual(self.ngx.log_problems(), [])

    def set_delay(self, ms):
        with open(os.path.join(self.shim_dir, 'delay'), 'w') as f:
            f.write('%d\n' % ms)

    def set_fail(self, on):
        p = os.path.join(self.shim_dir, 'fail')
        if on:
            open(p, 'w').close()
        elif os.path.exists(p):
            os.unlink(p)

    def edit(self, caller=CALLER, name=None):
        body = {'enabled': True} if name is None else {'name': name}
        return request(self.ngx.port, build('PATCH', wh_path(), body,
                                            [('X-Caller', caller)]))

    def edit_waiting(self, name):
        """An edit sent from a thread, returned once its decision record
        is in the file (so it waits for its sync): the thread and a dict
        that gets the response ('r'), or the error ('e'), and the time."""
        out = {}

        def edit():
            try:
                out['r'] = self.edit(name=name)
            except (OSError, ValueError, IndexError, EOFError) as e:
                out['e'] = e
            out['t'] = time.time()

        t = threading.Thread(target=edit)
        t.start()
        self.wait_record('decision')
        return t, out

    def wait_record(self, kind, timeout=5.0):
        end = time.time() + timeout
        while time.time() < end and not any(
                x['type'] == kind for x, _e in records(self.audit)):
            time.sleep(0.005)

    def burst(self, clients, each):
        return concurrently(clients, each, lambda: self.edit().status)

    def wait_synced(self, size, timeout=2.0):
        """A sync of the audit file that began at size or later."""
        ino = os.stat(self.audit).st_ino
        end = time.time() + timeout
        while time.time() < end:
            if any(i == ino and s >= size and rc == 0
                   for i, s, rc in syncs(self.shim_dir)):
                return True
            time.sleep(0.01)
        return False

    def test_forwarded_after_its_sync(self):
        self.start()
        self.set_delay(150)
        for i in range(3):
            t0 = time.time()
            r = self.edit(name='one-%d' % i)
            self.assertEqual(r.status, 200, r)
            # it waited for a whole (slowed) sync
            self.assertGreaterEqual(time.time() - t0, 0.14)
        self.assertEqual(self.up.seen, 3)
        self.assertEqual(self.up.unsynced, [])

    def test_burst_shares_syncs(self):
        self.start()
        self.set_delay(20)
        statuses = self.burst(12, 5)
        self.assertEqual(statuses, [200] * 60)
        self.assertEqual(self.up.seen, 60)
        self.assertEqual(self.up.unsynced, [])
        # requests written while a sync was under way shared the next
        self.assertLess(len(syncs(self.shim_dir)), 60)
        self.ngx.stop()
        rc, out = verify_audit([self.audit], self.key)
        self.assertEqual(rc, 0, out)
        kinds = [r['type'] for r, _e in records(self.audit)]
        self.assertEqual((kinds.count('decision'), kinds.count('outcome')),
                         (60, 60))

    def test_records_nobody_waits_for_are_synced(self):
        # a refusal's record and an outcome record hold no request back,
        # and are synced all the same, soon after
        self.start()

        def last_of(rid):
            """The end of rid's last record, once it is in the file."""
            end = time.time() + 5
            while time.time() < end:
                mine = [e for x, e in records(self.audit)
                        if x.get('request_id') == rid]
                if mine:
                    return mine[-1]
                time.sleep(0.01)
            self.fail('no record of %s' % rid)

        r = self.edit(caller=DENIED)
        self.assertEqual(r.status, 403)
        self.assertTrue(self.wait_synced(last_of(r.header('X-Request-Id'))))
        r = self.edit()
        self.assertEqual(r.status, 200)
        rid = r.header('X-Request-Id')
        end = time.time() + 5
        while time.time() < end and [x['type'] for x, _e in records(
                self.audit) if x.get('request_id') == rid] != [
                    'decision', 'outcome']:
            time.sleep(0.01)
        self.assertTrue(self.wait_synced(last_of(rid)))

    def test_failed_sync_refuses_until_rotated(self):
        self.start()
        self.assertEqual(self.edit().status, 200)
        self.set_fail(True)
        r = self.edit(name='refused')
        self.assertEqual(r.status, 503, r)
        self.assertEqual(json.loads(r.body)['errors'][0]['code'], 50301)
        self.assertEqual(self.up.seen, 1)
        self.assertRegex(self.ngx.log(),
                         r'\[crit\].*fsync\(\) of audit log ".*audit\.log" '
                         r'failed.*\(5: Input/output error\)')
        rid = r.header('X-Request-Id')
        # Linux reports a failed write-back once: a later sync of the
        # same file succeeds though the pages were lost, so the file
        # stays refused, in this worker and any other
        self.set_fail(False)
        r = self.edit(name='still-refused')
        self.assertEqual(r.status, 503, r)
        self.assertEqual(self.up.seen, 1)
        self.assertRegex(self.ngx.log(),
                         r'\[crit\].*a sync of audit log ".*audit\.log" '
                         r'failed before')
        # rotated and reopened: a new file, synced again
        os.rename(self.audit, self.audit + '.1')
        os.kill(self.ngx.pid, signal.SIGUSR1)
        time.sleep(0.3)
        self.assertEqual(self.edit(name='new-file').status, 200)
        self.assertEqual(self.up.seen, 2)
        self.assertEqual(self.up.unsynced, [])
        self.ngx.stop()
        # the decision was written, and the outcome says what came of it
        mine = [x for x, _e in records(self.audit + '.1')
                if x.get('request_id') == rid]
        self.assertEqual([(x['type'], x['status'], x['code'])
                          for x in mine if x['type'] == 'outcome'],
                         [('outcome', 503, 50301)])
        rc, out = verify_audit([self.audit + '.1', self.audit], self.key)
        self.assertEqual(rc, 0, out)

    def test_failed_sync_cleared_by_truncation(self):
        # emptied in place (copytruncate): the lost pages are gone with
        # it, and the file is trusted again
        self.start()
        self.set_fail(True)
        self.assertEqual(self.edit(name='refused').status, 503)
        self.set_fail(False)
        self.assertEqual(self.edit(name='still-refused').status, 503)
        self.assertEqual(self.up.seen, 0)
        # a record may land after the truncation, written by a worker
        # that looked at the size before it: the file is shorter than the
        # last write left it all the same
        time.sleep(0.1)
        with open(self.audit, 'rb') as f:
            last = f.read().split(b'\n')[-2] + b'\n'
        os.truncate(self.audit, 0)
        with open(self.audit, 'ab') as f:
            f.write(last)
        r = self.edit(name='after-truncation')
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.up.seen, 1)
        self.assertEqual(self.up.unsynced, [])

    def test_failed_sync_of_an_exiting_worker(self):
        # a sync no request waits for fails while its worker exits (a
        # reload): the new workers learn of it, and refuse
        self.start()
        self.set_fail(True)
        self.set_delay(400)
        self.assertEqual(self.edit(caller=DENIED).status, 403)
        old = list(self.ngx.workers)
        self.ngx.reload()
        end = time.time() + 10
        while time.time() < end and os.path.exists('/proc/%d' % old[0]):
            time.sleep(0.02)
        self.set_fail(False)
        self.set_delay(0)
        r = self.edit(name='after-the-old-worker')
        self.assertEqual(r.status, 503, r)
        self.assertEqual(self.up.seen, 0)
        self.assertRegex(self.ngx.log(),
                         r'\[crit\].*a sync of audit log ".*audit\.log" '
                         r'failed before')

    def test_failed_sync_fail_open_forwards(self):
        self.start(fail='fail=open')
        self.set_fail(True)
        r = self.edit()
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.up.seen, 1)
        self.assertRegex(self.ngx.log(),
                         r'\[crit\].*fsync\(\) of audit log .* failed')

    def test_reopen_while_syncing(self):
        # the file is rotated while its sync is under way: the sync
        # covers the old file, where the record is, and the request goes
        # on; the next record goes to the new file and is synced there
        self.start()
        self.set_delay(400)
        out = {}

        def slow():
            out['r'] = self.edit(name='during-rotation')

        t = threading.Thread(target=slow)
        t.start()
        time.sleep(0.15)
        os.rename(self.audit, self.audit + '.1')
        os.kill(self.ngx.pid, signal.SIGUSR1)
        t.join(10)
        self.assertEqual(out['r'].status, 200)
        self.set_delay(0)
        time.sleep(0.3)
        self.assertEqual(self.edit(name='after').status, 200)
        self.assertEqual(self.up.seen, 2)
        self.assertEqual(self.up.unsynced, [])
        self.ngx.stop()
        rc, out = verify_audit([self.audit + '.1', self.audit], self.key)
        self.assertEqual(rc, 0, out)

    def test_reopen_with_records_waiting(self):
        # both syncs are under way when a third request's record is
        # written, so it waits for the next sync, of the file it is in;
        # the file is rotated before that sync begins, and a fourth
        # request writes to the new file meanwhile
        self.start()
        self.set_delay(800)
        out = {}

        def edit(name):
            out[name] = self.edit(name=name)

        def written(name):
            return any(x['type'] == 'decision'
                       and x['changes'].get('name') == name
                       for x, _e in records(self.audit))

        threads = []
        for name in ('a', 'b', 'c'):
            t = threading.Thread(target=edit, args=(name,))
            t.start()
            threads.append(t)
            end = time.time() + 5
            while not written(name) and time.time() < end:
                time.sleep(0.005)
            self.assertTrue(written(name), name)
        os.rename(self.audit, self.audit + '.1')
        os.kill(self.ngx.pid, signal.SIGUSR1)
        time.sleep(0.05)
        t = threading.Thread(target=edit, args=('d',))
        t.start()
        threads.append(t)
        for t in threads:
            t.join(10)
        self.assertEqual({k: r.status for k, r in out.items()},
                         {'a': 200, 'b': 200, 'c': 200, 'd': 200})
        self.assertEqual(self.up.seen, 4)
        self.assertEqual(self.up.unsynced, [])
        names = [x['changes'].get('name') for x, _e in records(
            self.audit + '.1') if x['type'] == 'decision']
        self.assertEqual(sorted(names), ['a', 'b', 'c'])
        self.set_delay(0)
        self.ngx.stop()
        rc, out = verify_audit([self.audit + '.1', self.audit], self.key)
        self.assertEqual(rc, 0, out)

    def test_reload_while_waiting(self):
        # the old worker a reload retires keeps running until the sync its
        # request waits for has ended, then forwards it
        self.start()
        self.set_delay(800)
        t, out = self.edit_waiting('across-reload')
        old = list(self.ngx.workers)
        self.assertEqual(len(old), 1)
        self.ngx.reload()
        t.join(10)
        self.assertEqual(out['r'].status, 200, out['r'])
        self.assertEqual(self.up.seen, 1)
        self.assertEqual(self.up.unsynced, [])
        end = time.time() + 10
        while time.time() < end and os.path.exists('/proc/%d' % old[0]):
            time.sleep(0.02)
        self.assertNotRegex(self.ngx.log(), r'\[(alert|emerg)\]')

    def test_stream_reset_while_waiting(self):
        # an HTTP/2 client resets its stream while the request waits for
        # its sync: it never goes upstream, and its outcome record says
        # the client went away
        self.start(listen='127.0.0.1:%%PORT%% http2')
        self.set_delay(600)
        sock = h2_edit(self.ngx.port, CALLER, {'name': 'reset-waiting'})
        self.addCleanup(sock.close)
        self.wait_record('decision')
        sock.sendall(h2_frame(3, 0, 1, struct.pack('>I', 8)))  # CANCEL
        self.wait_record('outcome')
        self.assertEqual(self.up.seen, 0)
        recs = [x for x, _e in records(self.audit) if x['type'] != 'link']
        self.assertEqual([x['type'] for x in recs], ['decision', 'outcome'],
                         recs)
        self.assertEqual(recs[0]['changes'], {'name': 'reset-waiting'})
        self.assertEqual(recs[1]['request_id'], recs[0]['request_id'])
        self.assertEqual((recs[1]['status'], recs[1]['code']), (499, 49901),
                         recs[1])
        self.set_delay(0)

    def test_fast_shutdown_while_waiting(self):
        # SIGTERM: the worker exits at once; the request waiting for its
        # sync never goes upstream, and the outcome record written as the
        # worker exits says so
        self.start()
        self.set_delay(600)
        t, out = self.edit_waiting('ended-by-sigterm')
        os.kill(self.ngx.pid, signal.SIGTERM)
        end = time.time() + 10
        while time.time() < end and os.path.exists('/proc/%d' % self.ngx.pid):
            time.sleep(0.02)
        t.join(10)
        self.assertNotIn('r', out, 'the request was answered')
        self.assertEqual(self.up.seen, 0)
        recs = [x for x, _e in records(self.audit) if x['type'] != 'link']
        self.assertEqual([x['type'] for x in recs], ['decision', 'outcome'],
                         recs)
        self.assertEqual(recs[1]['request_id'], recs[0]['request_id'])
        self.assertEqual(recs[1]['code'], 50302, recs[1])
        self.set_delay(0)
        rc, out = verify_audit([self.audit], self.key)
        self.assertEqual(rc, 0, out)

    def test_shutdown_while_waiting(self):
        # worker_shutdown_timeout ends a request that still waits for its
        # sync: it is taken out of the waiters, never goes upstream, and
        # its outcome record says it ended; the worker exits cleanly
        self.start(main_conf='worker_shutdown_timeout 300ms;\n')
        self.set_delay(1500)
        t, out = self.edit_waiting('ended-waiting')
        t0 = time.time()
        self.ngx.stop()
        t.join(10)
        # ended by the shutdown timer, not answered after the sync
        self.assertLess(out['t'] - t0, 1.2)
        self.assertNotIn('r', out, 'the request was answered')
        self.assertEqual(self.up.seen, 0)
        log = self.ngx.log()
        self.assertNotRegex(log, r'\[(alert|emerg)\]|exited on signal')
        recs = [x for x, _e in records(self.audit)
                if x.get('request_id') and x['type'] != 'link']
        self.assertEqual([x['type'] for x in recs], ['decision', 'outcome'])
        self.assertEqual(recs[1]['request_id'], recs[0]['request_id'])
        self.assertEqual((recs[1]['status'], recs[1]['code']), (499, 50302),
                         recs[1])
        self.set_delay(0)
        rc, out = verify_audit([self.audit], self.key)
        self.assertEqual(rc, 0, out)


if __name__ == '__main__':
    main()
