#!/usr/bin/env python3
#
# Copyright (C) ngx_rtk_module authors
#
# Custody of the token, from the files it is read from to the bytes sent:
# a forwarded request is forwarded once (no second trip through an
# error_page, X-Accel-Redirect, post_action or another gateway location),
# $http_authorization never holds it, no copy stays in worker memory
# outside the pages kept from core dumps, other processes of the workers'
# user cannot read those pages, nginx -t refuses configurations that
# would send it somewhere unverified or drop the caller's identity, the
# secret files are checked before they are read, and the example policy
# denies what it does not name.
#

import grp
import json
import os
import pwd
import re
import secrets
import socket
import string
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), 'lib'))

from rtk_harness import (ACCOUNT3, APP, REPO, TOKEN, TOKENS,  # noqa
                         TOKEN_SPARE, WEBHOOK, GatewayCase, NginxTuned,
                         Reply, Upstream, _children, free_port,
                         gateway_location, main, memory_regions, nginx_t,
                         pki, policy_doc, scan_memory, server, test_dir,
                         wh_path, write_policy, write_token_file)


NOBODY = pwd.getpwnam('nobody')
NOBODY_USER = 'nobody %s' % grp.getgrgid(NOBODY.pw_gid).gr_name

TLS = ('            proxy_ssl_verify on;\n'
       '            proxy_ssl_verify_depth 2;\n'
       '            proxy_ssl_trusted_certificate %%CA%%;\n'
       '            proxy_ssl_name localhost;\n'
       '            proxy_ssl_server_name on;\n')

GATEWAY_KEY = 'gateway-key-of-ci-bot'

# a string of the configuration: found in worker memory, it shows that
# the scan reads the memory where nginx keeps its data
MARKER = 'rtk-custody-marker-' + secrets.token_hex(8)

# its only server is down: "no live upstreams", a 502 the proxy module
# answers inside its handler, while the token is in the request
NOLIVE = ('    upstream nolive {\n'
          '        server 127.0.0.1:1 down;\n'
          '    }\n')


def safe(text):
    """Failure messages never carry a token."""
    text = str(text)
    for i, t in enumerate(TOKENS):
        text = text.replace(t, '<TOKEN%d>' % i)
    return text


def describe(reqs):
    """What an upstream received, the token named, never shown."""
    out = []
    for u in reqs:
        auth = u.header_all('Authorization')
        if any(TOKEN in v for v in auth):
            what = 'the default token'
        elif any(TOKEN_SPARE in v for v in auth):
            what = 'the spare token'
        elif auth:
            what = 'Authorization %r' % safe(auth)
        else:
            what = 'no Authorization'
        out.append('%s %s (%s, %d body bytes)' % (u.method, u.target, what,
                                                  len(u.body)))
    return '; '.join(out) or 'nothing'


class CustodyCase(GatewayCase):

    def settled(self, up, before, wait=0.5):
        """An upstream's requests since before, once nothing more came."""
        time.sleep(wait)
        return up.since(before)

    def codes(self, rid, want, timeout=2.0):
        """The codes of a request's audit records, until want is one."""
        end = time.time() + timeout
        while True:
            recs = [a for a in self.ngx.audit(count=None)
                    if a.get('request_id') == rid]
            codes = [a.get('code') for a in recs]
            if want in codes or time.time() > end:
                return codes
            time.sleep(0.05)

    def assert_once(self, up, before, what):
        """The upstream got exactly the forwarded PATCH, token once."""
        got = self.settled(up, before)
        self.assertEqual(len(got), 1, '%s: the upstream received %d '
                         'requests: %s' % (what, len(got), describe(got)))
        self.assertEqual((got[0].method, got[0].target), ('PATCH', wh_path()))
        self.assertTrue(got[0].header_all('Authorization')
                        == ['Bearer ' + TOKEN],
                        'Authorization is not the token exactly once: %s'
                        % describe(got))
        return got[0]


# --------------------------------------------------------------------
# 1. a request the gateway allowed is forwarded once, and only once

class SecondForward(CustodyCase):
    """Every way nginx has to run the content phase of a gateway location
    again after the proxy sent the request would send a second request
    with the token (or the first location's token to another gateway
    location's upstream).  The second forward must be refused (500,
    code 50002, audited); X-Accel-Redirect from the upstream is ignored."""

    HTTP_CONF = (
        # a. proxy_intercept_errors and error_page 404
        server(gateway_location(
            extra='            proxy_intercept_errors on;\n'
                  '            error_page 404 /errors/404.json;\n'))
        # b. X-Accel-Redirect from the upstream
        + server(gateway_location(proxy='http://127.0.0.1:%%ACCEL%%'),
                 listen='127.0.0.1:%%PORT2%%')
        # c. post_action
        + server(gateway_location(
            proxy='http://127.0.0.1:%%POST%%',
            extra='            post_action /hooks/after;\n'),
            listen='127.0.0.1:%%PORT3%%')
        # d. error_page to a second gateway location, after a timeout
        + server(gateway_location(
            proxy='http://127.0.0.1:%%SLOW_D%%', read_timeout='1s',
            extra='            error_page 502 504 /staging/errors;\n')
            + gateway_location(
                path='/staging/', tokens=False,
                proxy='http://127.0.0.1:%%STAGING%%',
                extra='            rtk_token_file %%SPARE_TOKEN_FILE%%;\n'),
            listen='127.0.0.1:%%PORT4%%')
        # e. error_page to a named gateway location, after a timeout
        + server(gateway_location(
            proxy='http://127.0.0.1:%%SLOW_E%%', read_timeout='1s',
            extra='            error_page 502 504 = @cf;\n')
            + gateway_location(path='@cf', proxy='http://127.0.0.1:%%CF%%'),
            listen='127.0.0.1:%%PORT5%%')
        # e. the same after a failure inside the proxy handler
        + NOLIVE
        + server(gateway_location(
            proxy='http://nolive',
            extra='            error_page 502 504 = @cf;\n')
            + gateway_location(path='@cf',
                               proxy='http://127.0.0.1:%%CF_SYNC%%'),
            listen='127.0.0.1:%%PORT6%%'))

    # whatever the gateway says when it refuses the second forward
    EXPECT_LOG = (r' rtk: ',)

    @classmethod
    def conf_vars(cls):
        ups = {}
        for name in ('ACCEL', 'POST', 'SLOW_D', 'STAGING', 'SLOW_E', 'CF',
                     'CF_SYNC'):
            u = Upstream()
            cls.addClassCleanup(u.stop)
            setattr(cls, 'up_' + name.lower(), u)
            ups[name] = u.port
        ups['SPARE_TOKEN_FILE'] = write_token_file(
            os.path.join(cls.dir, 'spare.token'), TOKEN_SPARE + '\n')
        return ups

    def test_a_intercepted_error_page(self):
        before = self.up.count()
        self.up.reply(Reply(404, b'{"success":false,"errors":[{"code":7003,'
                                 b'"message":"No route"}],"messages":[],'
                                 b'"result":null}'))
        r = self.req()
        self.assert_once(self.up, before, 'error_page 404 after '
                         'proxy_intercept_errors')
        self.assert_envelope(r, 500, 50002)
        rid = r.header('X-Request-Id')
        self.assertIn(50002, self.codes(rid, 50002))

    def test_b_x_accel_redirect_ignored(self):
        original = (b'{"result":{"id":"original"},"success":true,'
                    b'"errors":[],"messages":[]}')
        before = self.up_accel.count()
        self.up_accel.reply(Reply(200, original, [
            ('X-Accel-Redirect', '/client/v4/user/tokens/verify?x=1')]))
        self.up_accel.reply(Reply(200, b'{"result":{"status":"active"},'
                                       b'"success":true,"errors":[],'
                                       b'"messages":[]}'))
        try:
            r = self.req(port=self.ports['PORT2'])
            self.assert_once(self.up_accel, before, 'X-Accel-Redirect')
        finally:
            self.up_accel.set_default(None)
        self.assertEqual(r.status, 200, safe(r))
        self.assertEqual(r.body, original)

    def test_c_post_action(self):
        before = self.up_post.count()
        r = self.req(port=self.ports['PORT3'])
        # post_action runs once the answer is sent
        self.assertEqual(r.status, 200, safe(r))
        rid = self.assert_request_id(r)
        self.assert_once(self.up_post, before, 'post_action')
        self.assertIn(50002, self.codes(rid, 50002))

    def check_fallback(self, port, slow, fallback, what):
        before = fallback.count()
        before_slow = slow.count() if slow is not None else 0
        if slow is not None:
            slow.reply(delay=2.5)
        r = self.req(port=port)
        got = self.settled(fallback, before, wait=0.3)
        self.assertEqual(len(got), 0, '%s received %s'
                         % (what, describe(got)))
        if slow is not None:
            self.assertEqual(slow.count(), before_slow + 1)
        self.assert_envelope(r, 500, 50002)
        self.assertIn(50002, self.codes(r.header('X-Request-Id'), 50002))

    def test_d_error_page_to_other_gateway_location(self):
        self.check_fallback(self.ports['PORT4'], self.up_slow_d,
                            self.up_staging, 'the /staging/ upstream (its '
                            'location has the spare token)')

    def test_e_error_page_to_named_gateway_location(self):
        self.check_fallback(self.ports['PORT5'], self.up_slow_e, self.up_cf,
                            'the @cf upstream (after a timeout)')

    def test_e_named_gateway_location_after_no_live_upstreams(self):
        self.check_fallback(self.ports['PORT6'], None, self.up_cf_sync,
                            'the @cf upstream (after a failure inside '
                            'the proxy handler)')


# --------------------------------------------------------------------
# 2. $http_authorization never holds the token

class AuthorizationVariable(CustodyCase):
    """The token is pushed into r->headers_in while the proxy builds the
    upstream request: whatever evaluates $http_authorization meanwhile
    gets it, and the variable keeps it cached for the request.  An
    add_header on the 502 the proxy answers inside its handler, the
    access log that then reuses the cached value, proxy_set_header.
    proxy_set_header Authorization must be refused (500, code 50003)."""

    ECHO = ('            add_header X-Echo $http_authorization always;\n'
            '            access_log %%DIR%%/echo-access.log custody;\n')

    HTTP_CONF = (
        "    log_format custody '$request_id [$http_authorization]';\n"
        '    map $http_authorization $rtk_gateway_caller {\n'
        '        default "";\n'
        '        "Bearer ' + GATEWAY_KEY + '" alice@example.com;\n'
        '    }\n'
        # forwarded, and answered 502 inside the proxy handler
        + NOLIVE
        + server(gateway_location(extra=ECHO)
                 + gateway_location(path='/client/v4/accounts/%s/'
                                    % ACCOUNT3,
                                    proxy='http://nolive', extra=ECHO))
        # a credential smuggled into the value of another header
        + server(gateway_location(
            extra='            proxy_set_header X-Smuggle '
                  '"a\\r\\nAuthorization: Bearer smuggled";\n'),
            listen='127.0.0.1:%%PORT2%%')
        # the README's gateway keys
        + server(gateway_location(identity='$rtk_gateway_caller'),
                 listen='127.0.0.1:%%PORT3%%'))

    EXPECT_LOG = (r' rtk: ',)

    def echo_requests(self):
        """One forwarded request, one the proxy fails synchronously."""
        before = self.up.count()
        ok = self.req()
        self.assertEqual(ok.status, 200, safe(ok))
        self.assertEqual(self.up.count(), before + 1)
        refused = self.req(target=wh_path(account=ACCOUNT3))
        self.assertEqual(self.up.count(), before + 1)
        return ok, refused

    def test_add_header_never_echoes_the_token(self):
        ok, refused = self.echo_requests()
        for name, r in (('forwarded 200', ok), ('synchronous 502', refused)):
            with self.subTest(answer=name):
                for k, v in r.headers:
                    self.assertFalse(
                        any(t in v for t in TOKENS),
                        'the %s answer carries the token in %s' % (name, k))
                self.assertIn(r.header('X-Echo'), (None, ''),
                              safe(r.header('X-Echo')))
        # the 502 is the gateway's usual answer
        self.assert_envelope(refused, 502, 50201)

    def test_access_log_never_holds_the_token(self):
        rids = [r.header('X-Request-Id') for r in self.echo_requests()]
        path = self.ngx.path('echo-access.log')
        end = time.time() + 3
        while True:
            try:
                with open(path, 'rb') as f:
                    data = f.read()
            except OSError:
                data = b''
            if all(rid.encode() in data for rid in rids) \
                    or time.time() > end:
                break
            time.sleep(0.05)
        for rid in rids:
            self.assertIn(rid.encode(), data, 'request not logged')
        self.assertFalse(TOKEN.encode() in data,
                         'the token is in the access log (%s)' % path)

    def test_smuggled_credential_refused(self):
        # "proxy_set_header Authorization" fails nginx -t (ConfigRefused);
        # a line break in another header's value is found at run time
        before = self.up.count()
        r = self.req(port=self.ports['PORT2'])
        got = self.settled(self.up, before, wait=0.1)
        self.assertEqual(len(got), 0, 'a smuggled Authorization header: '
                         'the upstream received %s' % describe(got))
        self.assert_envelope(r, 500, 50003)
        end = time.time() + 1
        while True:
            crit = [line for line in self.ngx.log().splitlines()
                    if '[crit]' in line and 'proxy_set_header' in line
                    and '"Authorization"' in line]
            if crit or time.time() > end:
                break
            time.sleep(0.05)
        self.assertTrue(crit, 'no [crit] line naming the header')

    def test_gateway_key_never_reaches_upstream(self):
        before = self.up.count()
        r = self.req(port=self.ports['PORT3'], caller=False,
                     headers=[('Authorization', 'Bearer ' + GATEWAY_KEY)])
        self.assertEqual(r.status, 200, safe(r))
        got = self.settled(self.up, before, wait=0.1)
        self.assertEqual(len(got), 1, describe(got))
        self.assertFalse(GATEWAY_KEY in repr(got[0].headers),
                         "the client's gateway key reached the upstream")
        self.assertEqual(got[0].header_all('Authorization'),
                         ['Bearer ' + TOKEN])


# --------------------------------------------------------------------
# 3. no copy of the token in worker memory outside MADV_DONTDUMP pages

def have_cap_sys_ptrace():
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('CapEff:'):
                return bool(int(line.split()[1], 16) & (1 << 19))
    return False


class WorkerMemory(CustodyCase):
    """One worker, three allowed PATCHes over a keepalive connection,
    then every readable mapping of the worker not marked "dd" (excluded
    from core dumps, where the token itself lives) is read through
    /proc/PID/mem: the token must be in none of them.  Root reads the
    memory of a worker that is not dumpable with CAP_SYS_PTRACE; without
    it the workers are made dumpable."""

    SCHEME = 'http'

    @classmethod
    def http_conf(cls):
        extra = ('            proxy_set_header Connection "";\n'
                 '            add_header X-Custody-Marker ' + MARKER + ';\n')
        if cls.SCHEME == 'https':
            extra += TLS
        dumpable = ('' if have_cap_sys_ptrace()
                    else '    rtk_worker_dumpable on;\n')
        upstream = ('    upstream cf_api {\n'
                    '        server 127.0.0.1:%%UP%%;\n'
                    '        keepalive 4;\n'
                    '    }\n')
        return (dumpable + upstream
                + server(gateway_location(proxy=cls.SCHEME + '://cf_api',
                                          extra=extra)))

    @classmethod
    def setUpClass(cls):
        cls.HTTP_CONF = cls.http_conf()
        if cls.SCHEME == 'https':
            p = pki()
            cls.UPSTREAM_TLS = (p.localhost, p.localhost_key)
        super().setUpClass()

    @classmethod
    def conf_vars(cls):
        return {'CA': pki().ca}

    @classmethod
    def make_nginx(cls, http_conf, vars):
        return NginxTuned(http_conf, vars, dir=cls.dir, workers=1)

    def test_no_token_outside_dontdump_memory(self):
        before = self.up.count()
        for i in range(3):
            r = self.req(body={'name': 'custody-%d' % i, 'enabled': True})
            self.assertEqual(r.status, 200, safe(r))
            self.assertEqual(r.header('X-Custody-Marker'), MARKER)
        got = self.up.since(before)
        self.assertEqual(len(got), 3)
        # a request without a body on the same connection, whose header
        # buffer must flush the TLS send buffer itself
        for method in ('GET', 'DELETE'):
            time.sleep(0.3)   # nothing more in flight on the connection
            t0 = time.time()
            r = self.req(method=method, body=b'')
            self.assertEqual(r.status, 200, safe(r))
            self.assertLess(time.time() - t0, 2.0,
                            '%s waited for the upstream read timeout'
                            % method)
        got = self.up.since(before)
        self.assertEqual([u.method for u in got],
                         ['PATCH'] * 3 + ['GET', 'DELETE'])
        self.assertTrue(all(u.header_all('Authorization')
                            == ['Bearer ' + TOKEN] for u in got))
        # the keepalive connection kept its buffers between requests
        self.assertEqual(len({u.conn for u in got}), 1,
                         'the upstream connection was not kept alive')
        time.sleep(0.3)
        workers = _children(self.ngx.pid)
        self.assertEqual(len(workers), 1, workers)
        hits, nregions, nbytes = scan_memory(
            workers[0], [TOKEN.encode(), MARKER.encode()])
        self.assertTrue(hits.get(MARKER.encode()),
                        'the scan did not find the configuration in '
                        'worker memory (%d mappings, %d bytes read)'
                        % (nregions, nbytes))
        found = hits.get(TOKEN.encode(), [])
        self.assertEqual(
            len(found), 0, '%d copies of the token outside MADV_DONTDUMP '
            'memory of worker %d: %s' % (
                len(found), workers[0],
                ', '.join('0x%x in %s' % a for a in found[:8])))


class WorkerMemoryTls(WorkerMemory):
    """The same over TLS: nginx copies what it sends into its own send
    buffer (c->ssl->buf), which a keepalive connection keeps."""

    SCHEME = 'https'


# --------------------------------------------------------------------
# 4. other processes of the workers' user cannot read their memory

def worker_ids(pid):
    """(uid, gid) of a process, from /proc/PID/status."""
    ids = {}
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith(('Uid:', 'Gid:')):
                ids[line[:3]] = int(line.split()[1])
    return ids['Uid'], ids['Gid']


def probe_as_worker_user(pid):
    """From a child process running as the worker's uid and gid: opens
    /proc/PID/mem and reads the token's pages (the anonymous mappings
    marked "dd"), and the heap, and reads /proc/PID/environ.  Returns
    ({'mem': ..., 'environ': ...}, uid): each "read", "EACCES" or
    "errno_N"; for mem "read" also says whether the token was seen."""
    uid, gid = worker_ids(pid)
    targets = [g for g in memory_regions(pid) if g['perms'][0] == 'r'
               and g['path'] in ('', '[heap]')
               and ('dd' in g['flags'] or g['path'] == '[heap]')]
    r, w = os.pipe()
    child = os.fork()
    if child == 0:
        out = []
        try:
            os.close(r)
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
            try:
                seen = b''
                with open('/proc/%d/mem' % pid, 'rb', buffering=0) as f:
                    for g in targets:
                        # a sanitizer's shadow memory is "dd" too, and
                        # huge: the token's pages are a few at most
                        try:
                            f.seek(g['start'])
                            seen += f.read(min(g['end'] - g['start'],
                                               1 << 20))
                        except OSError:
                            pass
                out.append('mem=read_%d_bytes%s' % (
                    len(seen), '_with_the_token'
                    if TOKEN.encode() in seen else ''))
            except PermissionError:
                out.append('mem=EACCES')
            except OSError as e:
                out.append('mem=errno_%d' % e.errno)
            try:
                with open('/proc/%d/environ' % pid, 'rb') as f:
                    f.read()
                out.append('environ=read')
            except PermissionError:
                out.append('environ=EACCES')
            except OSError as e:
                out.append('environ=errno_%d' % e.errno)
            os.write(w, ' '.join(out).encode())
        finally:
            os._exit(0)
    os.close(w)
    data = b''
    while True:
        d = os.read(r, 4096)
        if not d:
            break
        data += d
    os.close(r)
    os.waitpid(child, 0)
    res = dict(x.split('=', 1) for x in data.decode().split())
    return res, uid


class StartCase(CustodyCase):
    """nginx not starting (say, an unknown directive) fails each test
    instead of the class."""

    @classmethod
    def setUpClass(cls):
        cls.start_error = None
        try:
            super().setUpClass()
        except RuntimeError as e:
            cls.start_error = safe(e)

    def setUp(self):
        if self.start_error:
            self.fail(self.start_error)


class DumpableCase(StartCase):
    """One worker, running as nobody, and a probe from a process of the
    same user."""

    HTTP_CONF = server(gateway_location())
    DUMPABLE = ''

    @classmethod
    def make_nginx(cls, http_conf, vars):
        return NginxTuned(cls.DUMPABLE + http_conf, vars, dir=cls.dir,
                          workers=1, user=NOBODY_USER)

    def probe(self):
        before = self.up.count()
        r = self.req()
        self.forwarded(r, before)
        workers = _children(self.ngx.pid)
        self.assertEqual(len(workers), 1, workers)
        res, uid = probe_as_worker_user(workers[0])
        self.assertEqual(uid, NOBODY.pw_uid)
        return res, uid


class NotDumpable(DumpableCase):
    """By default a gateway's workers are not dumpable, so no other
    process of their user can read their memory (nginx itself makes its
    workers dumpable again after setuid())."""

    def test_worker_memory_refused_to_its_user(self):
        res, uid = self.probe()
        self.assertEqual(res['mem'], 'EACCES',
                         'a process running as uid %d opened the '
                         "worker's /proc/PID/mem: %s" % (uid, res['mem']))
        self.assertEqual(res['environ'], 'EACCES',
                         'a process running as uid %d read the '
                         "worker's /proc/PID/environ: %s"
                         % (uid, res['environ']))


class DumpableOptIn(DumpableCase):
    """rtk_worker_dumpable on: the documented opt-out, readable again."""

    DUMPABLE = '    rtk_worker_dumpable on;\n'

    def test_worker_memory_readable_to_its_user(self):
        res, uid = self.probe()
        self.assertRegex(res['mem'], r'^read_[1-9]', res)
        self.assertEqual(res['environ'], 'read', res)


# --------------------------------------------------------------------
# 5. nginx -t refuses gateway locations that cannot keep the token safe

class ConfigCase(unittest.TestCase):

    maxDiff = 4000

    def check(self, location=None, extra_http='', token=TOKEN + '\n',
              key=None, audit=None, prepare=None, timeout=30,
              extra_server=''):
        """nginx -t of a server with location; returns (rc, err, files)."""
        d = test_dir('18-' + self._testMethodName)
        files = {'DIR': d, 'CONF': os.path.join(d, 'nginx.conf')}
        files['TOKEN_FILE'] = write_token_file(
            os.path.join(d, 'default.token'), token)
        files['ACCOUNT_TOKEN_FILE'] = write_token_file(
            os.path.join(d, 'account.token'), TOKEN_SPARE + '\n')
        files['POLICY'] = write_policy(os.path.join(d, 'policy.json'),
                                       policy_doc())
        files['KEY'] = os.path.join(d, 'audit.key')
        if key is not None:
            write_token_file(files['KEY'], key)
        files['HTPASSWD'] = os.path.join(d, 'htpasswd')
        with open(files['HTPASSWD'], 'w') as f:
            f.write('alice:{PLAIN}secret\n')
        if prepare:
            prepare(files)
        if location is None:
            location = gateway_location(audit=audit or '%%DIR%%/audit.log')
        v = dict(files, UP=free_port(), PORT=free_port(), CA=pki().ca,
                 ACCOUNT2='fedcba9876543210fedcba9876543210')
        rc, err, _d = nginx_t(extra_http + server(location,
                                                  extra=extra_server),
                              v, dir=d, timeout=timeout)
        for t in TOKENS:
            self.assertNotIn(t, err)
        return rc, err, files

    def passes(self, location=None, **kw):
        rc, err, files = self.check(location, **kw)
        self.assertEqual(rc, 0, err)
        self.assertIn('test is successful', err)
        return err

    def refused(self, word, location=None, named=None, **kw):
        """Exit status not 0, and an [emerg] line with the word and the
        place: "... in /path/nginx.conf:LINE" (named: a file it names)."""
        rc, err, files = self.check(location, **kw)
        self.assertNotEqual(rc, 0, 'nginx -t accepted it, %r expected:\n%s'
                            % (word, err))
        place = re.compile(r' in %s:\d+$' % re.escape(files['CONF']))
        lines = [line for line in err.splitlines() if '[emerg]' in line]
        self.assertTrue(any(word in line and place.search(line)
                            for line in lines),
                        'no [emerg] line with %r and %s:LINE:\n%s'
                        % (word, files['CONF'], err))
        if named:
            self.assertTrue(any(files[named] in line for line in lines),
                            '%s not named:\n%s' % (named, err))
        return err


class ConfigRefused(ConfigCase):

    def test_https_without_proxy_ssl_verify(self):
        self.refused('proxy_ssl_verify', gateway_location(
            proxy='https://127.0.0.1:%%UP%%'))

    def test_proxy_pass_with_variables(self):
        self.refused('variables', gateway_location(
            proxy='http://$http_x_host'))

    def test_plain_http_not_on_loopback(self):
        self.refused('loopback', gateway_location(
            proxy='http://192.0.2.10:80'))

    def test_upstream_block_not_on_loopback(self):
        self.refused('loopback', gateway_location(proxy='http://far'),
                     extra_http='    upstream far {\n'
                                '        server 192.0.2.10:80;\n'
                                '    }\n')

    def test_proxy_pass_request_headers_off(self):
        self.refused('proxy_pass_request_headers', gateway_location(
            extra='            proxy_pass_request_headers off;\n'))

    def test_fastcgi_pass(self):
        self.refused('proxy_pass', gateway_location(
            proxy=None, extra='            fastcgi_pass 127.0.0.1:9000;\n'))

    def test_stub_status(self):
        self.refused('proxy_pass', gateway_location(
            proxy=None, extra='            stub_status;\n'))

    def test_remote_user_without_auth_basic(self):
        self.refused('auth_basic', gateway_location(identity='$remote_user'))

    def test_remote_user_with_satisfy_any(self):
        self.refused('satisfy', gateway_location(
            identity='$remote_user',
            extra='            auth_basic "rtk";\n'
                  '            auth_basic_user_file %%HTPASSWD%%;\n'
                  '            satisfy any;\n'
                  '            allow 127.0.0.1;\n'
                  '            deny all;\n'))

    def test_constant_identity(self):
        self.refused('variable', gateway_location(identity='alice'))

    def test_error_envelope_off(self):
        self.refused('rtk_error_envelope', gateway_location(
            extra='            rtk_error_envelope off;\n'))

    def test_proxy_set_header_authorization(self):
        self.refused('proxy_set_header', gateway_location(
            extra='            proxy_set_header Authorization '
                  '$http_authorization;\n'))

    def test_proxy_set_header_cookie(self):
        self.refused('proxy_set_header', gateway_location(
            extra='            proxy_set_header cookie "a=b";\n'))

    def test_proxy_set_header_inherited(self):
        self.refused('proxy_set_header', gateway_location(),
                     extra_server='        proxy_set_header X-Auth-User '
                                  '$remote_user;\n')

    def test_proxy_method(self):
        self.refused('proxy_method', gateway_location(
            extra='            proxy_method DELETE;\n'))

    def test_proxy_set_body(self):
        self.refused('proxy_set_body', gateway_location(
            extra='            proxy_set_body "{}";\n'))

    def test_return_warns(self):
        err = self.passes(gateway_location(
            extra='            return 200;\n'))
        warn = [line for line in err.splitlines()
                if '[warn]' in line and 'return' in line]
        self.assertTrue(warn, 'no [warn] about "return":\n' + err)


class ConfigAccepted(ConfigCase):
    """Positive controls: what the checks above must still let through."""

    def test_default_gateway(self):
        self.passes()

    def test_localhost(self):
        # a bare chroot may have no /etc/hosts: nginx could not resolve it
        try:
            socket.getaddrinfo('localhost', 80)
        except socket.gaierror:
            self.skipTest('"localhost" does not resolve on this machine')
        self.passes(gateway_location(proxy='http://localhost:%%UP%%'))

    def test_ipv6_loopback(self):
        self.passes(gateway_location(proxy='http://[::1]:%%UP%%'))

    def test_upstream_block_on_loopback(self):
        self.passes(gateway_location(proxy='http://cf_api'),
                    extra_http='    upstream cf_api {\n'
                               '        server 127.0.0.1:%%UP%%;\n'
                               '        keepalive 4;\n'
                               '    }\n')

    def test_tls_verified(self):
        self.passes(gateway_location(proxy='https://127.0.0.1:%%UP%%',
                                     extra=TLS))

    def test_remote_user_with_auth_basic(self):
        self.passes(gateway_location(
            identity='$remote_user',
            extra='            auth_basic "rtk";\n'
                  '            auth_basic_user_file %%HTPASSWD%%;\n'))


# --------------------------------------------------------------------
# 6. token and key files

def token_of(n):
    alphabet = string.ascii_letters + string.digits + '._~+/=-'
    return ''.join(secrets.choice(alphabet) for _ in range(n))


def chown_nobody(name):
    def prepare(files):
        os.chown(files[name], NOBODY.pw_uid, NOBODY.pw_gid)
    return prepare


class SecretFiles(ConfigCase):

    def refused_file(self, word, named, **kw):
        rc, err, files = self.check(**kw)
        self.assertNotEqual(rc, 0, 'nginx -t accepted it, %r expected:\n%s'
                            % (word, err))
        lines = [line for line in err.splitlines() if '[emerg]' in line]
        self.assertTrue(any(word in line and files[named] in line
                            for line in lines),
                        'no [emerg] line with %r naming %s:\n%s'
                        % (word, files[named], err))

    def test_token_fifo(self):
        def fifo(files):
            os.unlink(files['TOKEN_FILE'])
            os.mkfifo(files['TOKEN_FILE'], 0o600)
        t = time.time()
        try:
            self.refused_file('is not a regular file', 'TOKEN_FILE',
                              prepare=fifo, timeout=5)
        except subprocess.TimeoutExpired:
            self.fail('nginx -t blocked on a FIFO as the token file '
                      '(killed after %.0f s)' % (time.time() - t))

    def test_token_owned_by_nobody(self):
        self.refused_file('owned by', 'TOKEN_FILE',
                          prepare=chown_nobody('TOKEN_FILE'))

    def test_audit_key_owned_by_nobody(self):
        self.refused_file('owned by', 'KEY', key='K' * 40 + '\n',
                          audit='%%DIR%%/audit.log key=%%KEY%%',
                          prepare=chown_nobody('KEY'))

    def test_audit_key_one_byte(self):
        self.refused_file('32 bytes', 'KEY', key='k',
                          audit='%%DIR%%/audit.log key=%%KEY%%')

    def test_token_1024_characters_accepted(self):
        rc, err, files = self.check(token=token_of(1024) + '\n')
        self.assertEqual(rc, 0, err)

    def test_token_1025_characters_refused(self):
        rc, err, files = self.check(token=token_of(1025) + '\n')
        self.assertNotEqual(rc, 0, err)
        self.assertTrue(any(('too large' in line or 'longer than' in line)
                            and files['TOKEN_FILE'] in line
                            for line in err.splitlines()), err)


# --------------------------------------------------------------------
# 7. the example policy denies what it does not name

CLI = os.environ.get('RTK_POLICY_CLI',
                     os.path.join(REPO, 'build', 'tools', 'rtk-policy'))
EXAMPLE = os.path.join(REPO, 'examples', 'policy.json')


class ExamplePolicy(unittest.TestCase):

    def test_unnamed_account_denied(self):
        if not os.access(CLI, os.X_OK):
            self.skipTest('%s is not built (make unit)' % CLI)
        d = test_dir('18-policy')
        body = os.path.join(d, 'body.json')
        with open(body, 'w') as f:
            f.write('{"url":"https://evil.example/x"}')
        path = ('/client/v4/accounts/%s/realtime/kit/%s/webhooks/%s'
                % ('f' * 32, APP, WEBHOOK))
        r = subprocess.run([CLI, 'eval', EXAMPLE, '--caller', 'alice',
                            '--path', path, '--body', body],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=30)
        out = r.stdout.decode()
        self.assertEqual(r.returncode, 2, 'exit %d (2 is deny, 3 would_deny)'
                         ': %s %s' % (r.returncode, out, r.stderr.decode()))
        self.assertEqual(json.loads(out)['decision'], 'deny', out)

    def test_keeps_a_report_only_app(self):
        with open(EXAMPLE) as f:
            doc = json.load(f)
        modes = [app.get('mode') for acct in doc['accounts'].values()
                 for app in acct.get('apps', {}).values()]
        self.assertIn('report-only', modes)


if __name__ == '__main__':
    main()
