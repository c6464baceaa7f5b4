#!/usr/bin/env python3
#
# Copyright (C) ngx_rtk_module authors
#
# Per-caller rate limits with nginx's own limit_req: $rtk_caller is known
# in the preaccess phase, before the body, and never empty, so that
# unidentified callers share one key instead of escaping the limit.  A
# 429 from limit_req answers in the v4 envelope, is audited and counted.
#

import base64
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), 'lib'))

from rtk_harness import (REPO, GatewayCase, full_rule,  # noqa: E402
                         gateway_location, main, policy_doc, server,
                         wh_path)
from rtk_metrics import scrape, wait_metrics  # noqa: E402


ANONYMOUS = '(anonymous)'
CLI = os.environ.get('RTK_POLICY_CLI',
                     os.path.join(REPO, 'build', 'tools', 'rtk-policy'))

EDITORS = ('alice@example.com', 'bob@example.com', 'carol@example.com',
           'dave@example.com', 'erin@example.com', 'frank', 'grace')

LIMITED = (
    '            limit_req zone=callers;\n'
    '            limit_req_status 429;\n'
    '            access_log %%DIR%%/callers.log callers;\n')


def basic(user, password):
    v = base64.b64encode(('%s:%s' % (user, password)).encode()).decode()
    return ('Authorization', 'Basic ' + v)


class Limits(GatewayCase):

    HTTP_CONF = (
        '    log_format callers "$rtk_caller|$status";\n'
        # bob is exempt: limit_req skips an empty key
        '    map $rtk_caller $rtk_limit_key {\n'
        '        default            $rtk_caller;\n'
        '        "bob@example.com"  "";\n'
        '    }\n'
        '    limit_req_zone $rtk_limit_key zone=callers:1m rate=1r/m;\n'
        + server('        location = /metrics {\n'
                 '            rtk_metrics;\n'
                 '        }\n'
                 + gateway_location(extra=LIMITED))
        # no limit: what the gateway itself does with the placeholder
        + server(gateway_location(), listen='127.0.0.1:%%PORT2%%')
        # auth_basic checks the password after limit_req has counted
        + server(gateway_location(
            identity='$remote_user',
            extra=LIMITED + '            auth_basic "rtk";\n'
            '            auth_basic_user_file %%DIR%%/htpasswd;\n'),
            listen='127.0.0.1:%%PORT3%%'))

    @classmethod
    def policy(cls):
        rule = full_rule(editors=EDITORS)
        return policy_doc(apps={'*': rule})

    @classmethod
    def conf_vars(cls):
        with open(os.path.join(cls.dir, 'htpasswd'), 'w') as f:
            f.write('frank:{PLAIN}secret\ngrace:{PLAIN}secret\n')
        return {}

    def callers_log(self):
        try:
            with open(self.ngx.path('callers.log')) as f:
                return f.read().splitlines()
        except OSError:
            return []

    def wait_log(self, n, timeout=3.0):
        end = time.time() + timeout
        while len(self.callers_log()) < n and time.time() < end:
            time.sleep(0.03)
        return self.callers_log()

    def test_caller_limited(self):
        caller = 'alice@example.com'
        before = self.up.count()
        r = self.req(caller=caller)
        self.forwarded(r, before)
        msg, r = self.expect_error(429, 42901, caller=caller)
        rec = self.records(r.header('X-Request-Id'))[0]
        self.assertEqual((rec['decision'], rec['code'], rec['status']),
                         ('deny', 42901, 429))
        # again: the body is never read, nothing goes upstream
        self.expect_error(429, 42901, caller=caller, body=b'{"x":')

    def test_other_caller_not_limited(self):
        # dave's limit is his own: carol's requests do not use it up
        self.req(caller='carol@example.com')
        self.expect_error(429, 42901, caller='carol@example.com')
        before = self.up.count()
        self.forwarded(self.req(caller='dave@example.com'), before)

    def test_exempt_caller(self):
        for _ in range(4):
            before = self.up.count()
            self.forwarded(self.req(caller='bob@example.com'), before)

    def test_unknown_callers_limited_together(self):
        # the first passes the limit and is refused by the gateway; the
        # rest share the placeholder's key, with or without the header
        n = len(self.callers_log())
        self.expect_error(401, 40101, caller=None)
        for kw in ({'caller': None}, {'caller': None,
                                      'headers': [('X-Caller', '')]},
                   {'caller': None}):
            self.expect_error(429, 42901, **kw)
        # two workers log in the order they finish
        lines = sorted(self.wait_log(n + 4)[n:])
        self.assertEqual(lines, ['%s|401' % ANONYMOUS] +
                         ['%s|429' % ANONYMOUS] * 3)

    def test_variable_before_and_after(self):
        n = len(self.callers_log())
        self.req(caller='erin@example.com')
        self.req(caller='erin@example.com')
        self.assertEqual(sorted(self.wait_log(n + 2)[n:]),
                         ['erin@example.com|200', 'erin@example.com|429'])

    def test_limited_requests_counted(self):
        _r, before = scrape(self.port)
        self.req(caller='limited-counted')
        self.req(caller='limited-counted')

        # limit_req answers before the gateway names an operation
        def grown(m):
            return m.decision('deny', 42901, 'none') > \
                before.decision('deny', 42901, 'none')
        m = wait_metrics(self.port, grown)
        self.assertEqual(m.decision('deny', 42901, 'none')
                         - before.decision('deny', 42901, 'none'), 1)

    def test_placeholder_is_no_identity(self):
        port = self.ports['PORT2']
        msg, _r = self.expect_error(401, 40101, caller=ANONYMOUS, port=port)
        self.assertIn('reserved', msg)
        # a real name that merely contains it is an identity
        r = self.req(caller=ANONYMOUS + 'x', port=port)
        self.assertEqual(r.status, 403, r)

    def test_placeholder_in_rtk_policy_eval(self):
        if not os.path.exists(CLI):
            self.skipTest('%s not built ("make unit")' % CLI)
        with tempfile.NamedTemporaryFile('w', suffix='.json',
                                         dir=self.dir) as body:
            json.dump({'enabled': True}, body)
            body.flush()
            r = subprocess.run([CLI, 'eval',
                                os.path.join(self.dir, 'policy.json'),
                                '--caller', ANONYMOUS, '--path', wh_path(),
                                '--body', body.name],
                               stdout=subprocess.PIPE, timeout=30)
        out = json.loads(r.stdout.decode())
        self.assertEqual((r.returncode, out['status'], out['code']),
                         (2, 401, 40101))

    def test_claimed_identity_counts(self):
        # limit_req runs before auth_basic: the name a client claims is
        # the key, right password or not (docs/operations.md)
        port = self.ports['PORT3']
        r = self.req(caller=None, port=port,
                     headers=[basic('frank', 'wrong')])
        self.assertEqual(r.status, 401)
        r = self.req(caller=None, port=port,
                     headers=[basic('frank', 'secret')])
        self.assert_envelope(r, 429, 42901)
        before = self.up.count()
        r = self.req(caller=None, port=port,
                     headers=[basic('grace', 'secret')])
        self.forwarded(r, before)


if __name__ == '__main__':
    main()
