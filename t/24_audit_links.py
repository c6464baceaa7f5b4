#!/usr/bin/env python3
#
# Copyright (C) ngx_rtk_module authors
#
# One audit chain per file whatever happens: restarts link to the end of
# the file, a key change on reload links to the old key's segment (also
# while old workers drain), rotated files link to each other, a full
# disk leaves no fragment and a gap record counts what was refused, a
# syslog copy gets every record of the file, and syslog alone cannot
# fail closed (nginx -t says so).  rtk-audit verify names the place of
# every trimmed, missing or reordered segment and of a cut head.
#

import hashlib
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

from rtk_harness import (TOKEN, TOKEN_ACCOUNT,  # noqa: E402
                         GatewayCase, NginxWorkers, Reply, free_port,
                         gateway_location, main, nginx_t, policy_doc,
                         server, test_dir, write_policy, write_token_file,
                         read_lines, verify_audit, write_key)


LINE_RE = re.compile(r'^(.*):(\d+): broken: (.*)$', re.M)


def fingerprint(key_file):
    with open(key_file, 'rb') as f:
        key = [l for l in f.read().splitlines() if l][0]
    return hashlib.sha256(key).hexdigest()[:16]


def broken_at(out):
    m = LINE_RE.search(out)
    return None if m is None else (m.group(1), int(m.group(2)))


def parse(lines):
    return [json.loads(x) for x in lines]


def write_lines(path, lines):
    with open(path, 'wb') as f:
        f.write(b''.join(l + b'\n' for l in lines))
    return path


class LinkCase(GatewayCase):
    """Two workers, a keyed audit file; restart() and reload_to()."""

    AUDIT = '%%DIR%%/audit.log key=%%KEY%%'
    WORKERS = 2

    @classmethod
    def conf_vars(cls):
        cls.key_file = write_key(os.path.join(cls.dir, 'audit.key'))
        return {'KEY': cls.key_file}

    @classmethod
    def make_nginx(cls, http_conf, vars):
        return NginxWorkers(server(gateway_location(audit=cls.AUDIT)), vars,
                            dir=cls.dir, workers=cls.WORKERS)

    @property
    def audit_path(self):
        return self.ngx.path('audit.log')

    def restart(self):
        self.ngx.stop()
        self.ngx.stopped = False
        self.ngx.pid = None
        self.ngx.start()

    def allowed(self, name='x', **kw):
        return self.req(body={'enabled': True, 'name': name}, **kw)

    def traffic(self, n, tag):
        """n allowed requests, each with its two records written."""
        for i in range(n):
            r = self.allowed('%s-%d' % (tag, i))
            self.assertEqual(r.status, 200, r)
        self.settle()

    def settle(self, timeout=3.0):
        """Until the file stops growing (outcome records follow)."""
        end = time.time() + timeout
        size = -1
        while time.time() < end:
            now = os.path.getsize(self.audit_path)
            if now == size:
                return
            size = now
            time.sleep(0.15)


# --------------------------------------------------------------------

class ThreeStarts(LinkCase):
    """Three nginx starts writing one file: three segments, each linked
    to the end of the one before; each tampering edit is named."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.segs = []

    def test_1_three_starts_link(self):
        self.traffic(3, 'one')
        self.restart()
        self.traffic(3, 'two')
        self.restart()
        self.traffic(3, 'three')
        lines = read_lines(self.audit_path)
        recs = parse(lines)
        links = [i for i, x in enumerate(recs) if x['type'] == 'link']
        self.assertEqual(len(links), 3, recs)
        self.assertEqual(links[0], 0)
        fp = fingerprint(self.key_file)
        self.assertEqual((recs[0]['cause'], recs[0]['found'],
                          recs[0]['prev']), ('start', 'empty', None))
        for i in links[1:]:
            x, before = recs[i], recs[i - 1]
            self.assertEqual((x['cause'], x['found'], x['seq']),
                             ('start', 'record', 1))
            self.assertEqual(x['prev'], {'segment': before['segment'],
                                         'seq': before['seq'],
                                         'mac': before['mac'], 'key': fp})
            self.assertEqual(x['offset'],
                             sum(len(l) + 1 for l in lines[:i]))
        rc, out = verify_audit([self.audit_path], self.key_file, '--complete')
        self.assertEqual(rc, 0, out)
        self.assertIn('ok: %d records in 3 segments verify' % len(lines),
                      out)
        self.__class__.segs = [links[0], links[1], links[2], len(lines)]

    def tampered(self, name, lines):
        return write_lines(os.path.join(self.dir, name + '.log'), lines)

    def test_2_tampering_named(self):
        self.assertTrue(self.segs, 'test_1 made no segments')
        a, b, c, end = self.segs
        lines = read_lines(self.audit_path)[:end]
        s1, s2, s3 = lines[a:b], lines[b:c], lines[c:end]
        cases = {
            # the tail of segment 1 cut: segment 2's link names its end
            'cut tail of segment 1': (s1[:-2] + s2 + s3, len(s1) - 1,
                                      'its last 2 records are missing'),
            # segment 2 cut to its link: segment 3's link names its end
            'segment 2 cut to its first record':
                (s1 + s2[:1] + s3, len(s1) + 2,
                 'its last %d records are missing' % (len(s2) - 1)),
            'segment 2 deleted': (s1 + s3, len(s1) + 1, 'is missing'),
            'segments reordered': (s1 + s3 + s2, len(s1) + 1,
                                   'reordered'),
            'first lines deleted': (lines[3:], 1,
                                    'the head of the file is missing'),
            'segment 1 deleted whole': (s2 + s3, 1,
                                        'bytes before it were removed'),
        }
        for name, (tl, line, why) in sorted(cases.items()):
            with self.subTest(case=name):
                p = self.tampered(name.replace(' ', '-'), tl)
                rc, out = verify_audit([p], self.key_file)
                self.assertEqual(rc, 1, out)
                self.assertEqual(broken_at(out), (p, line), out)
                self.assertIn(why, out)

    def test_3_rotated_files(self):
        """Rotation: the new file begins with a link inside the segment;
        files given in the wrong order, or a file left out, are named."""
        self.assertTrue(self.segs, 'test_1 made no segments')
        rotated = self.ngx.path('audit.log.1')
        os.rename(self.audit_path, rotated)
        os.kill(self.ngx.pid, 10)                   # SIGUSR1: reopen
        end = time.time() + 5
        while not os.path.exists(self.audit_path) and time.time() < end:
            time.sleep(0.05)
        time.sleep(0.3)
        self.traffic(3, 'rotated')
        self.restart()
        self.traffic(2, 'after-restart')
        new = parse(read_lines(self.audit_path))
        old = parse(read_lines(rotated))
        self.assertEqual((new[0]['type'], new[0]['cause'], new[0]['offset']),
                         ('link', 'file', 0))
        self.assertEqual(new[0]['prev'], {
            'segment': old[-1]['segment'], 'seq': old[-1]['seq'],
            'mac': old[-1]['mac'], 'key': fingerprint(self.key_file)})
        rc, out = verify_audit([rotated, self.audit_path], self.key_file,
                         '--complete')
        self.assertEqual(rc, 0, out)
        self.assertIn('in 4 segments verify', out)

        # newest first: the new file follows a record given after it
        rc, out = verify_audit([self.audit_path, rotated], self.key_file)
        self.assertEqual(rc, 1, out)
        self.assertEqual(broken_at(out), (self.audit_path, 1), out)

        # the newest file alone: its head link names what is not given
        rc, out = verify_audit([self.audit_path], self.key_file)
        self.assertEqual(rc, 0, out)
        self.assertIn('older files not given', out)
        rc, out = verify_audit([self.audit_path], self.key_file, '--complete')
        self.assertEqual(rc, 1, out)
        self.assertEqual(broken_at(out), (self.audit_path, 1), out)

        # the rotated file's last records moved into the new file
        ol, nl = read_lines(rotated), read_lines(self.audit_path)
        p1 = write_lines(os.path.join(self.dir, 'moved.1'), ol[:-2])
        p2 = write_lines(os.path.join(self.dir, 'moved'), ol[-2:] + nl)
        rc, out = verify_audit([p1, p2], self.key_file)
        self.assertEqual(rc, 1, out)
        self.assertEqual(broken_at(out), (p2, 1), out)


# --------------------------------------------------------------------

class KeyChangeDraining(LinkCase):
    """A reload with a new key while an old worker still has a request
    upstream: old and new workers alternate, each switch an exact link,
    and verify with both keys says which key verified which segment."""

    def test_key_change_while_draining(self):
        self.traffic(2, 'old-key')
        old_key = shutil.copy(self.key_file, self.key_file + '.old')
        before = self.up.count()
        self.up.reply(Reply(delay=4.0))
        got = []
        t = threading.Thread(target=lambda: got.append(
            self.allowed('slow-old-worker')))
        t.start()
        self.assertEqual(self.up.wait(before + 1, timeout=5), before + 1)
        write_key(self.key_file)
        old = self.ngx.live_workers()
        self.ngx.reload()
        self.ngx.wait_new_workers(old)
        new_fp = fingerprint(self.key_file)
        # until a new worker wrote (old ones stop accepting soon)
        for i in range(40):
            self.assertEqual(self.allowed('new-key-%d' % i).status, 200)
            if any(x['type'] == 'link' and x['key'] == new_fp
                   for x in parse(read_lines(self.audit_path))):
                break
            time.sleep(0.05)
        self.assertTrue(t.is_alive(), 'the slow request ended too soon')
        t.join(10)
        self.assertEqual(got[0].status, 200, got)
        self.traffic(2, 'new-key-after')
        recs = parse(read_lines(self.audit_path))
        links = [x for x in recs if x['type'] == 'link']
        # the start, the new key, the old worker's outcome, the new key
        old_fp = fingerprint(old_key)
        self.assertGreaterEqual(len(links), 4, links)
        self.assertEqual([x['key'] for x in links][-3:],
                         [new_fp, old_fp, new_fp])
        for i, x in enumerate(recs):
            if x['type'] != 'link' or x['prev'] is None:
                continue
            p = recs[i - 1]
            self.assertEqual(x['prev']['segment'], p['segment'])
            self.assertEqual(x['prev']['seq'], p['seq'])
            self.assertEqual(x['prev']['mac'], p['mac'])
            self.assertNotEqual(x['prev']['key'], x['key'])
        rid = [x['request_id'] for x in recs if x.get('changes')
               and x['changes'].get('name') == 'slow-old-worker']
        self.assertEqual(len(rid), 1)
        slow = [x for x in recs if x.get('request_id') == rid[0]]
        self.assertEqual([x['type'] for x in slow], ['decision', 'outcome'])
        rc, out = verify_audit([self.audit_path], [old_key, self.key_file],
                         '--complete')
        self.assertEqual(rc, 0, out)
        self.assertIn('verifies with key %s\n' % old_key, out)
        self.assertIn('verifies with key %s\n' % self.key_file, out)


# --------------------------------------------------------------------

class DiskFull(LinkCase):
    """The audit file on a 64k tmpfs that fills up: each record is
    written whole or not at all (503 with fail=closed), and once there
    is room again a gap record counts the refused ones."""

    WORKERS = 1

    @classmethod
    def setUpClass(cls):
        cls.mnt = test_dir('24-tmpfs')
        r = subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=64k',
                            'tmpfs', cls.mnt], stderr=subprocess.PIPE)
        if r.returncode != 0:
            raise unittest.SkipTest('cannot mount a tmpfs: %s'
                                    % r.stderr.decode().strip())
        cls.addClassCleanup(subprocess.run, ['umount', '-l', cls.mnt])
        super().setUpClass()

    AUDIT = '%%MNT%%/audit.log key=%%KEY%%'

    @classmethod
    def conf_vars(cls):
        v = super().conf_vars()
        v['MNT'] = cls.mnt
        return v

    @property
    def audit_path(self):
        return os.path.join(self.mnt, 'audit.log')

    def fill(self):
        """Fills the filesystem to the last byte."""
        path = os.path.join(self.mnt, 'filler')
        with open(path, 'ab', buffering=0) as f:
            for chunk in (4096, 512, 64, 8, 1):
                while True:
                    try:
                        f.write(b'x' * chunk)
                    except OSError:
                        break
        return path

    def test_short_write_then_gap(self):
        self.traffic(2, 'room')
        filler = self.fill()
        before = self.up.count()
        refused = 0
        passed = []
        for i in range(8):
            r = self.allowed('full-%d' % i)
            if r.status == 200:
                passed.append(r.header('X-Request-Id'))
                continue
            self.assert_error(r, 503, 50301, before + len(passed))
            refused += 1
        self.assertGreaterEqual(refused, 5)
        self.assertEqual(self.up.count(), before + len(passed))
        self.settle()
        # a forwarded request whose outcome record found no room
        written = [x['request_id'] for x in parse(read_lines(
            self.audit_path)) if x['type'] == 'outcome']
        refused += sum(1 for rid in passed if rid not in written)
        # no fragment: every line a whole record, the file ends a line
        data = open(self.audit_path, 'rb').read()
        self.assertTrue(data.endswith(b'\n'))
        for line in data.split(b'\n')[:-1]:
            json.loads(line)
        rc, out = verify_audit([self.audit_path], self.key_file, '--complete')
        self.assertEqual(rc, 0, out)
        log = self.ngx.log()
        self.assertRegex(log, r'\[crit\].*audit log "%s".*(No space left '
                              r'on device|written partially)'
                         % re.escape(self.audit_path))
        os.unlink(filler)
        r = self.allowed('room-again')
        self.assertEqual(r.status, 200, r)
        self.settle()
        recs = parse(read_lines(self.audit_path))
        gaps = [x for x in recs if x['type'] == 'gap']
        self.assertEqual(len(gaps), 1, recs[-4:])
        self.assertEqual(gaps[0]['refused'], refused)
        i = recs.index(gaps[0])
        self.assertEqual(recs[i + 1]['changes']['name'], 'room-again')
        rc, out = verify_audit([self.audit_path], self.key_file, '--complete')
        self.assertEqual(rc, 0, out)
        self.assertIn('%d records were refused' % refused, out)


# --------------------------------------------------------------------

class DualDestination(LinkCase):
    """One file and one syslog in a location: every record reaches both
    with the same seq and MAC; a dead syslog only logs crit."""

    EXPECT_LOG = ()

    @classmethod
    def conf_vars(cls):
        v = super().conf_vars()
        cls.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        cls.udp.bind(('127.0.0.1', 0))
        cls.udp.settimeout(0.3)
        cls.addClassCleanup(cls.udp.close)
        v['UDP'] = cls.udp.getsockname()[1]
        v['DEAD'] = free_port()
        return v

    @classmethod
    def make_nginx(cls, http_conf, vars):
        conf = (server(gateway_location(
                    audit='%%DIR%%/audit.log key=%%KEY%%;\n'
                          '            rtk_audit_log '
                          'syslog:server=127.0.0.1:%%UDP%%'))
                + server(gateway_location(
                    audit='syslog:server=127.0.0.1:%%DEAD%%;\n'
                          '            rtk_audit_log '
                          '%%DIR%%/dead.log key=%%KEY%%'),
                    listen='127.0.0.1:%%PORT2%%'))
        return NginxWorkers(conf, vars, dir=cls.dir, workers=cls.WORKERS)

    def test_1_every_record_to_both(self):
        for i in range(3):
            self.assertEqual(self.allowed('dual-%d' % i).status, 200)
        self.assertEqual(self.req(caller='mallory@example.com').status, 403)
        self.settle()
        lines = read_lines(self.audit_path)
        self.assertEqual(len(lines), 8)         # link, 3 x 2, 1
        grams = []
        end = time.time() + 3
        while len(grams) < len(lines) and time.time() < end:
            try:
                grams.append(self.udp.recv(65536))
            except socket.timeout:
                pass
        got = [g[g.index(b'{'):] for g in grams]
        self.assertEqual(sorted(got), sorted(lines))
        p = write_lines(os.path.join(self.dir, 'syslog.log'),
                        sorted(got, key=lambda l: json.loads(l)['seq']))
        rc, out = verify_audit([p], self.key_file, '--complete')
        self.assertEqual(rc, 0, out)
        # a collector that started late: a copy from the fourth record
        late = sorted(got, key=lambda l: json.loads(l)['seq'])[3:]
        p = write_lines(os.path.join(self.dir, 'late.log'), late)
        rc, out = verify_audit([p], self.key_file, '--copy')
        self.assertEqual(rc, 0, out)
        self.assertIn('the copy begins at sequence 4', out)
        p = write_lines(os.path.join(self.dir, 'late-gap.log'),
                        late[:1] + late[2:])
        rc, out = verify_audit([p], self.key_file, '--copy')
        self.assertEqual(rc, 1, out)
        self.assertEqual(broken_at(out), (p, 2), out)

    def test_2_dead_syslog_does_not_refuse(self):
        port2 = self.ports['PORT2']
        for i in range(4):
            self.assertEqual(self.allowed('dead-%d' % i, port=port2).status,
                             200)
            time.sleep(0.05)
        self.settle()
        path = self.ngx.path('dead.log')
        self.assertEqual(len(read_lines(path)), 9)
        rc, out = verify_audit([path], self.key_file, '--complete')
        self.assertEqual(rc, 0, out)
        crit = [l for l in self.ngx.log().splitlines() if '[crit]' in l
                and 'copy of audit log' in l]
        self.assertTrue(crit, self.ngx.log()[-2000:])


# --------------------------------------------------------------------

class Config(unittest.TestCase):

    def check(self, *audits):
        d = test_dir('24-conf-' + self._testMethodName)
        tf = write_token_file(os.path.join(d, 'default.token'), TOKEN + '\n')
        af = write_token_file(os.path.join(d, 'account.token'),
                              TOKEN_ACCOUNT + '\n')
        kf = write_key(os.path.join(d, 'audit.key'), 'K' * 40 + '\n')
        pf = write_policy(os.path.join(d, 'policy.json'), policy_doc())
        audit = ';\n            rtk_audit_log '.join(audits)
        v = {'TOKEN_FILE': tf, 'ACCOUNT_TOKEN_FILE': af, 'POLICY': pf,
             'KEY': kf, 'UP': free_port(), 'PORT': free_port(),
             'ACCOUNT2': 'fedcba9876543210fedcba9876543210'}
        rc, err, _d = nginx_t(server(gateway_location(audit=audit)), v,
                              dir=d)
        return rc, err, os.path.join(d, 'nginx.conf')

    SYSLOG = 'syslog:server=127.0.0.1:9'

    def test_syslog_alone_fail_closed_warns(self):
        for audit in (self.SYSLOG, self.SYSLOG + ' fail=closed'):
            with self.subTest(audit=audit):
                rc, err, conf = self.check(audit)
                self.assertEqual(rc, 0, err)
                self.assertRegex(err, r'\[warn\].*"%s".*cannot be confirmed'
                                      r'.* in %s:\d+' % (self.SYSLOG,
                                                         re.escape(conf)))

    def test_syslog_alone_fail_open_no_warning(self):
        rc, err, _c = self.check(self.SYSLOG + ' fail=open')
        self.assertEqual(rc, 0, err)
        self.assertNotIn('cannot be confirmed', err)

    def test_file_and_syslog_no_warning(self):
        for audits in (('%%DIR%%/a.log key=%%KEY%%', self.SYSLOG),
                       (self.SYSLOG, '%%DIR%%/a.log key=%%KEY%%')):
            with self.subTest(audits=audits):
                rc, err, _c = self.check(*audits)
                self.assertEqual(rc, 0, err)
                self.assertNotIn('[warn]', err)

    def fails(self, needle, *audits):
        rc, err, conf = self.check(*audits)
        self.assertNotEqual(rc, 0, err)
        self.assertRegex(err, r'\[emerg\].*%s.* in %s:\d+'
                         % (re.escape(needle), re.escape(conf)))

    def test_two_files_duplicate(self):
        self.fails('is duplicate', '%%DIR%%/a.log', '%%DIR%%/b.log')

    def test_two_syslogs(self):
        self.fails('not two syslog destinations', self.SYSLOG,
                   'syslog:server=127.0.0.1:10')

    def test_three(self):
        self.fails('is duplicate', '%%DIR%%/a.log', self.SYSLOG,
                   'syslog:server=127.0.0.1:10')

    def test_syslog_copy_with_parameters(self):
        self.fails('takes no parameters', '%%DIR%%/a.log key=%%KEY%%',
                   self.SYSLOG + ' fail=open')
        self.fails('takes no parameters', self.SYSLOG + ' key=%%KEY%%',
                   '%%DIR%%/a.log key=%%KEY%%')

    def test_one_copy_per_file(self):
        # the copy belongs to the file: two locations naming two copies
        # of one file would each leave holes in the other's copy
        d = test_dir('24-conf-copies')
        v = {'TOKEN_FILE': write_token_file(
                 os.path.join(d, 'default.token'), TOKEN + '\n'),
             'ACCOUNT_TOKEN_FILE': write_token_file(
                 os.path.join(d, 'account.token'), TOKEN_ACCOUNT + '\n'),
             'KEY': write_key(os.path.join(d, 'audit.key'), 'K' * 40 + '\n'),
             'POLICY': write_policy(os.path.join(d, 'policy.json'),
                                    policy_doc()),
             'UP': free_port(), 'PORT': free_port(),
             'ACCOUNT2': 'fedcba9876543210fedcba9876543210'}
        for other, ok in (('syslog:server=127.0.0.1:10', False),
                          (self.SYSLOG, True)):
            with self.subTest(other=other):
                conf = server(
                    gateway_location(audit='%%DIR%%/a.log key=%%KEY%%;\n'
                                     '            rtk_audit_log '
                                     + self.SYSLOG)
                    + gateway_location(path='/other/',
                                       audit='%%DIR%%/a.log key=%%KEY%%;\n'
                                       '            rtk_audit_log ' + other))
                rc, err, _d = nginx_t(conf, v, dir=d)
                if ok:
                    self.assertEqual(rc, 0, err)
                else:
                    self.assertNotEqual(rc, 0, err)
                    self.assertRegex(err, r'\[emerg\].*already has the '
                                          r'syslog copy "%s"' % self.SYSLOG)

    def test_off_combined(self):
        self.fails('cannot be combined with "off"', 'off', '%%DIR%%/a.log')
        self.fails('cannot be combined with "off"', '%%DIR%%/a.log', 'off')


if __name__ == '__main__':
    main()
