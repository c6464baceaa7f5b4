#
# Copyright (C) ngx_rtk_module authors
#
# Integration test harness: what a test file imports.  The run's basics
# are in rtk_base, the recording upstream and the raw client in rtk_http,
# nginx processes in rtk_nginx; this file adds a test PKI made with the
# openssl CLI, configuration and policy pieces, the GatewayCase base and
# the runner.  Python 3 standard library only.
#

import json
import os
import re
import subprocess
import sys
import time
import unittest

from rtk_base import (HERE, T_DIR, REPO, MODULE, NGINX, VALGRIND, SINGLE,
                      ACCOUNT, ACCOUNT2, ACCOUNT3, APP, APP2, APP_HEX,
                      APP_HEX32, WEBHOOK, EVENTS, HEX32, wh_path,
                      _make_token, ROOT, STANDALONE, TOKENS, TOKEN,
                      TOKEN_ACCOUNT, TOKEN_SPARE, run_env, nginx_env,
                      secret_forms, scan_for_tokens, test_dir,
                      write_token_file, free_port, read_lines,
                      concurrently, write_key, verify_audit, AUDIT_TOOL)
from rtk_http import (Reply, _Headers, UpRequest, REASONS, cloudflare_ok,
                      Upstream, Response, _saved, _save_response, _Reader,
                      read_response, request, request_continue, build)
from rtk_nginx import (_running, BAD_LOG, _conf, nginx_t, _wrap,
                       _valgrind_problems, _children, _alive, memory_regions,
                       scan_memory, Nginx, NginxWorkers, NginxTuned,
                       _stop_all, _on_term)


# --------------------------------------------------------------------
# PKI with the openssl CLI

class PKI(object):
    pass


_pki = None


def _openssl(*args, cwd=None):
    r = subprocess.run(['openssl'] + list(args), cwd=cwd,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode != 0:
        raise RuntimeError('openssl %s: %s' % (' '.join(args),
                                               r.stderr.decode()))


def _ca(d, name, cn):
    _openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt',
             'ec_paramgen_curve:prime256v1', '-nodes',
             '-keyout', name + '.key', '-out', name + '.crt', '-days', '2',
             '-subj', '/CN=' + cn,
             '-addext', 'basicConstraints=critical,CA:TRUE',
             '-addext', 'keyUsage=critical,keyCertSign,cRLSign', cwd=d)


def _leaf(d, name, ca, cn, san=None, eku='serverAuth'):
    with open(os.path.join(d, name + '.ext'), 'w') as f:
        f.write('basicConstraints=CA:FALSE\n'
                'keyUsage=critical,digitalSignature\n'
                'extendedKeyUsage=%s\n' % eku)
        if san:
            f.write('subjectAltName=%s\n' % san)
    _openssl('req', '-new', '-newkey', 'ec', '-pkeyopt',
             'ec_paramgen_curve:prime256v1', '-nodes',
             '-keyout', name + '.key', '-out', name + '.csr',
             '-subj', '/CN=' + cn, cwd=d)
    _openssl('x509', '-req', '-in', name + '.csr', '-CA', ca + '.crt',
             '-CAkey', ca + '.key', '-CAcreateserial', '-days', '2',
             '-out', name + '.crt', '-extfile', name + '.ext', cwd=d)


def pki():
    """CA, localhost cert, wrong-name cert, cert from an unknown CA."""
    global _pki
    if _pki is not None:
        return _pki
    d = os.path.join(ROOT, 'pki')
    lock = d + '.lock'
    p = PKI()
    p.dir = d
    for n in ('ca', 'localhost', 'wrongname', 'ca2', 'rogue'):
        setattr(p, n, os.path.join(d, n + '.crt'))
        setattr(p, n + '_key', os.path.join(d, n + '.key'))
    if not os.path.exists(os.path.join(d, 'done')):
        fd = os.open(lock, os.O_CREAT | os.O_RDWR, 0o644)
        import fcntl
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            if not os.path.exists(os.path.join(d, 'done')):
                os.makedirs(d, exist_ok=True)
                _ca(d, 'ca', 'RTK Test CA')
                _leaf(d, 'localhost', 'ca', 'localhost',
                      'DNS:localhost,IP:127.0.0.1')
                _leaf(d, 'wrongname', 'ca', 'wrong.example',
                      'DNS:wrong.example')
                _ca(d, 'ca2', 'RTK Unknown CA')
                _leaf(d, 'rogue', 'ca2', 'localhost',
                      'DNS:localhost,IP:127.0.0.1')
                open(os.path.join(d, 'done'), 'w').close()
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
    _pki = p
    return p


# --------------------------------------------------------------------
# configuration pieces

def gateway_location(identity='$http_x_caller', policy='%%POLICY%%',
                     tokens=True, audit='%%DIR%%/audit.log',
                     proxy='http://127.0.0.1:%%UP%%', extra='',
                     gateway='on', path='/', read_timeout='5s'):
    """A gateway location; pass None to leave a directive out."""
    out = '        location %s {\n' % path
    if gateway is not None:
        out += '            rtk_gateway %s;\n' % gateway
    if identity is not None:
        out += '            rtk_identity %s;\n' % identity
    if policy is not None:
        out += '            rtk_policy %s;\n' % policy
    if tokens:
        out += '            rtk_token_file %%TOKEN_FILE%%;\n'
        out += ('            rtk_token_file %%ACCOUNT_TOKEN_FILE%% '
                '%%ACCOUNT2%%;\n')
    if audit is not None:
        out += '            rtk_audit_log %s;\n' % audit
    if proxy is not None:
        out += '            proxy_pass %s;\n' % proxy
        out += '            proxy_http_version 1.1;\n'
        out += '            proxy_connect_timeout 2s;\n'
        out += '            proxy_read_timeout %s;\n' % read_timeout
    out += extra
    out += '        }\n'
    return out


def server(locations, extra='', listen='127.0.0.1:%%PORT%%'):
    return ('    server {\n        listen %s;\n'
            '        server_name localhost;\n%s%s    }\n'
            % (listen, extra, locations))


# --------------------------------------------------------------------
# policy files (format: policy/README, examples/policy.json)

def policy_doc(apps=None, report_only=False, accounts=None, groups=None):
    """The policy document (format: policy/rtk_policy.c, docs/policy.md):
    {"mode", "groups": {name: [callers]}, "accounts": {id|"*": {"mode",
    "apps": {id|"*": {"mode", "editors", "enablers", "disablers", "urls",
    "events", "fields": {caller|"@group": [fields]}}}}}}.
    The default lets the test caller do everything on APP and APP_HEX in
    every account."""
    if accounts is None:
        if apps is None:
            apps = {APP: full_rule(), APP_HEX: full_rule()}
        accounts = {'*': {'apps': apps}}
    doc = {'mode': 'report-only' if report_only else 'enforce',
           'accounts': accounts}
    if groups is not None:
        doc['groups'] = groups
    return doc


def full_rule(editors=('alice@example.com',), enablers=None,
              disablers=None, urls=('https://hooks.example.com/',
                                    'https://*.example.net/'),
              events=tuple(EVENTS), fields=None, mode=None, creators=None,
              deleters=None):
    """A rule where the editors may do everything: read (the default),
    create and delete too, unless creators or deleters say otherwise."""
    rule = {'editors': list(editors),
            'enablers': list(enablers if enablers is not None
                             else editors),
            'creators': list(creators if creators is not None
                             else editors),
            'deleters': list(deleters if deleters is not None
                             else editors),
            'urls': list(urls), 'events': list(events)}
    if disablers is not None:
        rule['disablers'] = list(disablers)
    if fields is not None:
        rule['fields'] = fields
    if mode is not None:
        rule['mode'] = mode
    return rule


def write_policy(path, doc=None):
    if doc is None:
        doc = policy_doc()
    data = doc if isinstance(doc, (bytes, str)) else json.dumps(doc,
                                                                indent=2)
    with open(path, 'w' if isinstance(data, str) else 'wb') as f:
        f.write(data)
    return path


# --------------------------------------------------------------------
# test case base

ENVELOPE_HEAD = re.compile(
    rb'^\{"success":false,"errors":\[\{"code":(\d+),"message":"(.*)"\}\],'
    rb'"messages":\[\],"result":null,'
    rb'"error":\{"code":\1,"message":"\2"\}\}$', re.S)


class GatewayCase(unittest.TestCase):
    """One nginx and one recording upstream per test file (class)."""

    HTTP_CONF = None
    UPSTREAM_TLS = None
    EXPECT_LOG = ()
    CALLER = 'alice@example.com'
    maxDiff = 4000

    @classmethod
    def policy(cls):
        """Hook: the policy document for this file."""
        return policy_doc()

    @classmethod
    def conf_vars(cls):
        """Hook: writes files (tokens, policy) and returns more vars."""
        return {}

    @classmethod
    def make_nginx(cls, http_conf, vars):
        """Hook: the nginx of this class (e.g. NginxTuned), not started."""
        return Nginx(http_conf, vars, dir=cls.dir)

    @classmethod
    def setUpClass(cls):
        cls.up = Upstream(tls=cls.UPSTREAM_TLS)
        cls.addClassCleanup(cls.up.stop)
        cls.dir = test_dir(cls.__module__.lstrip('_') + '-' + cls.__name__)
        cls.token_file = write_token_file(
            os.path.join(cls.dir, 'default.token'), TOKEN + '\n')
        cls.account_token_file = write_token_file(
            os.path.join(cls.dir, 'account2.token'), TOKEN_ACCOUNT + '\n')
        v = {'UP': cls.up.port, 'TOKEN_FILE': cls.token_file,
             'ACCOUNT_TOKEN_FILE': cls.account_token_file,
             'ACCOUNT': ACCOUNT, 'ACCOUNT2': ACCOUNT2}
        v['POLICY'] = write_policy(os.path.join(cls.dir, 'policy.json'),
                                   cls.policy())
        v.update(cls.conf_vars())
        cls.ngx = cls.make_nginx(cls.HTTP_CONF, v)
        cls.addClassCleanup(cls.ngx.stop)
        cls.ngx.start()
        cls.port = cls.ngx.port
        cls.ports = cls.ngx.vars

    @classmethod
    def tearDownClass(cls):
        cls.ngx.stop()
        cls.up.stop()
        bad = cls.ngx.log_problems(cls.EXPECT_LOG)
        if bad:
            raise AssertionError('error.log of %s:\n%s' % (
                cls.__name__, '\n'.join(bad[:20])))

    # requests

    def req(self, method='PATCH', target=None, body=None, headers=None,
            caller=True, port=None, **kw):
        if body is None:
            body = {'enabled': True} if method == 'PATCH' else b''
        h = []
        if caller is True:
            h.append(('X-Caller', self.CALLER))
        elif caller:
            h.append(('X-Caller', caller))
        h.extend(headers or [])
        raw = build(method, target, body, h, **kw)
        return request(port or self.port, raw)

    def send(self, raw, port=None, **kw):
        return request(port or self.port, raw, **kw)

    def body_req(self, body, headers=None, **kw):
        """A PATCH with the given raw body bytes."""
        return self.req(body=body, headers=headers, **kw)

    def records(self, rid, count=1, type=None, timeout=3.0):
        """Audit records of one request; waits until count exist."""
        end = time.time() + timeout
        while True:
            recs = [a for a in self.ngx.audit(count=None)
                    if a.get('request_id') == rid
                    and (type is None or a.get('type') == type)]
            if len(recs) >= count or time.time() > end:
                return recs
            time.sleep(0.03)

    # assertions

    def assert_request_id(self, resp):
        rid = resp.header('X-Request-Id')
        self.assertIsNotNone(rid, 'no X-Request-Id in %r' % resp)
        self.assertRegex(rid, HEX32)
        self.assertEqual(len(resp.header_all('X-Request-Id')), 1)
        return rid

    def assert_envelope(self, resp, status, code):
        self.assertEqual(resp.status, status, repr(resp))
        ct = resp.header('Content-Type') or ''
        self.assertEqual(ct.split(';')[0].strip().lower(),
                         'application/json', repr(resp))
        j = json.loads(resp.body.decode('utf-8'))
        self.assertEqual(sorted(j.keys()),
                         ['error', 'errors', 'messages', 'result', 'success'])
        self.assertEqual(j['error'], j['errors'][0])
        self.assertIs(j['success'], False)
        self.assertEqual(j['messages'], [])
        self.assertIsNone(j['result'])
        self.assertEqual(len(j['errors']), 1, j)
        self.assertEqual(sorted(j['errors'][0].keys()), ['code', 'message'])
        if isinstance(code, tuple):
            self.assertIn(j['errors'][0]['code'], code, j)
        else:
            self.assertEqual(j['errors'][0]['code'], code, j)
        self.assertIsInstance(j['errors'][0]['message'], str)
        self.assertTrue(j['errors'][0]['message'])
        self.assertRegex(resp.body, ENVELOPE_HEAD)
        self.assertEqual(resp.header('Content-Length'),
                         str(len(resp.body)))
        self.assert_request_id(resp)
        return j['errors'][0]['message']

    def assert_error(self, resp, status, code, before):
        """The envelope, and the upstream saw nothing for the request."""
        msg = self.assert_envelope(resp, status, code)
        time.sleep(0.02)
        self.assertEqual(self.up.count(), before,
                         'upstream was called: %r' % (self.up.since(before),))
        return msg

    def expect_error(self, status, code, **kw):
        before = self.up.count()
        resp = self.req(**kw)
        return self.assert_error(resp, status, code, before), resp

    def forwarded(self, resp, before):
        """The request reached the upstream exactly once: returns it."""
        self.assertEqual(resp.status, 200, repr(resp))
        self.assertEqual(self.up.count(), before + 1)
        return self.up.last()


# --------------------------------------------------------------------
# running a test file

class _Result(unittest.TextTestResult):
    pass


def main():
    """unittest for one file; prints 'RESULT <file> passed=N failed=N'."""
    name = os.path.basename(sys.argv[0])
    loader = unittest.TestLoader()
    mod = sys.modules['__main__']
    argv = sys.argv[1:]
    if argv:
        suite = loader.loadTestsFromNames(argv, mod)
    else:
        suite = loader.loadTestsFromModule(mod)
    verbosity = 2 if os.environ.get('RTK_VERBOSE') else 1
    runner = unittest.TextTestRunner(stream=sys.stderr, verbosity=verbosity,
                                     resultclass=_Result)
    res = runner.run(suite)
    failed = len(res.failures) + len(res.errors) + \
        len(res.unexpectedSuccesses)
    real = [t for t, _e in res.failures + res.errors
            if isinstance(t, unittest.TestCase)]
    # a class skipped as a whole is in res.skipped but never ran
    passed = max(0, res.testsRun - len(real) - len(res.skipped))
    _stop_all()
    if STANDALONE:
        hits = scan_for_tokens()
        for h in hits:
            print('LEAK ' + h, file=sys.stderr)
        if hits:
            failed += 1
        else:
            passed += 1
        print('token scan: %s (%s)' % ('FAIL' if hits else 'ok', ROOT))
        if not failed and not os.environ.get('RTK_KEEP'):
            import shutil
            shutil.rmtree(ROOT, ignore_errors=True)
    print('RESULT %s passed=%d failed=%d skipped=%d' % (
        name, passed, failed, len(res.skipped)))
    sys.stdout.flush()
    sys.exit(1 if failed else 0)
