#!/usr/bin/env python3
#
# Copyright (C) ngx_rtk_module authors
#
# The gateway and "rtk-policy eval" must answer alike, since both run the
# same sequence (policy/rtk_txn.h).  Every case of the hostile table
# (t/hostile/cases.py, t/10_hostile.py) that the CLI can express, i.e.
# method, target, Content-Type header lines, identity and body, goes
# through both with the same policy: a refused request must get the same
# status, envelope code and message from both; an allowed one must be
# allowed (or would_deny) by the CLI, with the gateway's audit decision,
# and reach the upstream.
#
# The request is given to the CLI as nginx hands it to the gateway: the
# target as the client sent it (an absolute-form target reduced to its
# path, as nginx does), header values without the spaces nginx strips,
# the identity from X-Caller ($http_x_caller), the body by its
# Content-Length.  Cases the CLI cannot express are in SKIP, by reason.
#

import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, 'lib'))
sys.path.insert(0, os.path.join(HERE, 'hostile'))

from rtk_harness import (REPO, GatewayCase, request, main)  # noqa: E402

import cases                                              # noqa: E402


# the same nginx configuration and policy as t/10_hostile.py
_spec = importlib.util.spec_from_file_location(
    '_hostile_t10', os.path.join(HERE, '10_hostile.py'))
_hostile = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_hostile)

CLI = os.environ.get('RTK_CLI',
                     os.path.join(REPO, 'build', 'tools', 'rtk-policy'))

# rtk_body_max_size is not set in t/10's configuration: the default
BODY_MAX_SIZE = 64 * 1024

# what the CLI cannot express, by reason; every name must be in the table
SKIP = {
    "HTTP/0.9: a request line without headers; nginx answers it itself": [
        'http09',
    ],
    "refused by nginx's HTTP parser before the gateway runs: the request "
    "line (a NUL, \"*\", a lowercase method, the HTTP version), Host, "
    "header syntax, a repeated Authorization (400 40015, 505 50501)": [
        'path_nul_raw', 'path_asterisk', 'method_lowercase_patch',
        'method_mixed_case', 'http_version_2', 'http_version_garbage',
        'hdr_dup_authorization', 'hdr_no_host_http11', 'hdr_two_hosts',
        'hdr_host_bad_chars', 'hdr_nul_in_header', 'hdr_space_before_colon',
        'hdr_obs_fold',
    ],
    "the body's framing is nginx's: Transfer-Encoding and chunked bodies, "
    "Content-Length values it refuses (400 40015, 501 50101)": [
        'hdr_cl_and_te', 'hdr_te_gzip', 'hdr_te_chunked_gzip',
        'hdr_te_bad_chunk', 'hdr_te_chunked_ok', 'hdr_te_upper_chunked',
        'hdr_te_chunked_then_identity', 'hdr_te_trailer_credentials',
        'op_get_chunked_body',
        'hdr_two_content_lengths', 'hdr_cl_negative', 'hdr_cl_plus',
        'hdr_cl_hex', 'hdr_cl_list',
    ],
    "Expect: 100-continue is an exchange on the connection": [
        'hdr_expect_continue',
    ],
    "nginx's header buffer limits (large_client_header_buffers)": [
        'hdr_header_too_large', 'hdr_many_large_headers',
        'hdr_uri_too_large',
    ],
    "the tokens are the gateway's configuration, not the policy's": [
        'pol_no_token_account',
    ],
}

# a refusal nginx makes itself, before the gateway, keeps its default
# message (policy/rtk_txn.c, rtk_error_for_status()): only the status
# and the code are the same
OWN_MESSAGE = {
    'method_trace': 'method not allowed',
}


def _skipped():
    out = {}
    for reason, names in SKIP.items():
        for n in names:
            out[n] = reason
    return out


SKIPPED = _skipped()


def as_nginx_sees_it(raw):
    """Method, target, [(lowercase name, value)] and body of a request,
    as nginx hands them to the gateway."""
    m = re.search(rb'\r?\n\r?\n', raw)
    head, rest = raw[:m.start()], raw[m.end():]
    lines = re.split(rb'\r?\n', head)
    method, target = lines[0].split(b' ')[:2]
    if re.match(rb'https?://', target, re.I):
        # absolute-form: nginx's unparsed URI starts at the path
        slash = target.find(b'/', target.find(b'//') + 2)
        target = target[slash:] if slash >= 0 else b'/'
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(b':')
        headers.append((name.decode('latin-1').lower(), value.strip(b' ')))
    length = [v for n, v in headers if n == 'content-length']
    body = rest[:int(length[0])] if length else b''
    return method, target, headers, body


class Differential(GatewayCase):

    HTTP_CONF = _hostile.Hostile.HTTP_CONF
    EXPECT_LOG = ()

    @classmethod
    def policy(cls):
        return _hostile.Hostile.policy()

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.work = tempfile.mkdtemp(prefix='cli-', dir=cls.dir)

    def port_of(self, c):
        return {'main': self.port, 'notoken': self.ports['PORT2'],
                'small': self.ports['PORT3']}[c.get('port', 'main')]

    def cli(self, c):
        method, target, headers, body = as_nginx_sees_it(c['raw'])
        callers = [v for n, v in headers if n == 'x-caller']
        self.assertLessEqual(len(callers), 1, 'X-Caller more than once')
        path = os.path.join(self.work, c['name'] + '.json')
        with open(path, 'wb') as f:
            f.write(body)
        args = [CLI, 'eval', self.ngx.vars['POLICY'],
                '--caller', callers[0] if callers else b'',
                '--path', target, '--body', path,
                '--method', method,
                '--body-max-size', str(BODY_MAX_SIZE)]
        types = [v for n, v in headers if n == 'content-type']
        for v in types:
            args += ['--content-type', v]
        if not types:
            args.append('--no-content-type')
        p = subprocess.run(args, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=20)
        self.assertIn(p.returncode, (0, 2, 3), p.stderr)
        self.assertEqual(p.stderr, b'')
        lines = p.stdout.decode('utf-8').splitlines()
        self.assertEqual(len(lines), 1, p.stdout)
        return p.returncode, json.loads(lines[0])

    def gateway(self, c):
        """Status, code and message of the gateway's answer."""
        before = self.up.count()
        r = request(self.port_of(c), c['raw'], method=c.get('read_method'))
        rid = r.header('X-Request-Id')
        if r.status == 200:
            return r, before, rid, None, None
        if c.get('read_method') == 'HEAD':
            # no body to carry the envelope: the audit record has it
            recs = self.records(rid, 1, type='decision')
            self.assertEqual(len(recs), 1, recs)
            return r, before, rid, recs[0]['code'], recs[0]['reason']
        j = json.loads(r.body.decode('utf-8'))
        e = j['errors'][0]
        return r, before, rid, e['code'], e['message']

    def run_case(self, c):
        rc, out = self.cli(c)
        r, before, rid, code, message = self.gateway(c)

        if r.status == 200:
            self.assertIn(out['decision'], ('allow', 'would_deny'), out)
            self.assertEqual(rc, 0 if out['decision'] == 'allow' else 3)
            self.assertEqual(self.up.count(), before + 1,
                             'the upstream did not get it')
            recs = self.records(rid, 1, type='decision')
            self.assertEqual([a['decision'] for a in recs],
                             [out['decision']])
            return

        self.assertEqual(rc, 2, out)
        self.assertEqual(out['decision'], 'deny', out)
        self.assertEqual((out['status'], out['code']), (r.status, code),
                         'CLI %r, gateway %d %d "%s"' % (out, r.status, code,
                                                         message))
        if c['name'] in OWN_MESSAGE:
            self.assertEqual(message, OWN_MESSAGE[c['name']])
        else:
            self.assertEqual(out['reason'], message)
        time.sleep(0.02)
        self.assertEqual(self.up.count(), before, 'reached the upstream')

    def test_000_cli(self):
        self.assertTrue(os.access(CLI, os.X_OK),
                        '%s is missing: build it with "make unit"' % CLI)

    def test_001_skips(self):
        """Every skipped case exists, and most of the table runs."""
        names = [c['name'] for c in cases.CASES]
        for n in SKIPPED:
            self.assertIn(n, names)
        self.assertGreater(len(names) - len(SKIPPED), len(names) * 3 // 4)


def _make(c):
    def test(self):
        try:
            self.run_case(c)
        except AssertionError as e:
            raise AssertionError('%s\nrequest: %r' % (e, c['raw'][:600]))
    return test


for _i, _c in enumerate(cases.CASES):
    if _c['name'] not in SKIPPED:
        setattr(Differential, 'test_%03d_%s' % (_i + 2, _c['name']),
                _make(_c))


if __name__ == '__main__':
    main()
