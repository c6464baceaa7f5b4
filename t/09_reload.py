#!/usr/bin/env python3
#
# Copyright (C) ngx_rtk_module authors
#
# Reloads: a new token or policy takes effect on SIGHUP; a broken token
# file refuses the reload and the running configuration keeps working.
#

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), 'lib'))

from rtk_harness import (TOKEN, TOKEN_SPARE, GatewayCase,  # noqa: E402
                         full_rule, gateway_location, policy_doc, server,
                         main, write_policy, write_token_file, APP, APP_HEX)


class Reload(GatewayCase):

    HTTP_CONF = server(gateway_location()) + (
        '    server {\n'
        '        listen 127.0.0.1:%%PORT2%%;\n'
        '        location / {\n'
        '            rtk_gateway off;\n'
        '            proxy_pass http://127.0.0.1:%%UP%%;\n'
        '        }\n'
        '    }\n')

    EXPECT_LOG = (r'\[emerg\].*token file',)

    def bearer(self):
        before = self.up.count()
        r = self.req()
        if r.status != 200:
            return r.status
        up = self.forwarded(r, before)
        return up.header('Authorization')

    def wait_for(self, want, timeout=6.0):
        end = time.time() + timeout
        got = None
        while time.time() < end:
            got = self.bearer()
            if got == want:
                return got
            time.sleep(0.1)
        return got

    def test_1_broken_token_keeps_running(self):
        self.assertEqual(self.bearer(), 'Bearer ' + TOKEN)
        write_token_file(self.token_file, TOKEN_SPARE + '\n', 0o644)
        n = self.ngx.log().count('[emerg]')
        self.ngx.reload()
        end = time.time() + 5
        while time.time() < end and self.ngx.log().count('[emerg]') == n:
            time.sleep(0.05)
        self.assertIn(self.token_file, self.ngx.log())
        for _ in range(5):
            self.assertEqual(self.bearer(), 'Bearer ' + TOKEN)

    def test_2_new_token_after_reload(self):
        write_token_file(self.token_file, TOKEN_SPARE + '\n', 0o600)
        self.ngx.reload()
        self.assertEqual(self.wait_for('Bearer ' + TOKEN_SPARE),
                         'Bearer ' + TOKEN_SPARE)

    def test_3_new_policy_after_reload(self):
        before = self.up.count()
        r = self.req(caller='zed@example.com')
        self.assert_error(r, 403, 40302, before)
        old = self.records(r.header('X-Request-Id'))[0]['policy']
        doc = policy_doc(apps={APP: full_rule(editors=('zed@example.com',)),
                               APP_HEX: full_rule()})
        write_policy(os.path.join(self.dir, 'policy.json'), doc)
        self.ngx.reload()
        end = time.time() + 6
        while time.time() < end:
            before = self.up.count()
            r = self.req(caller='zed@example.com')
            if r.status == 200:
                break
            time.sleep(0.1)
        self.forwarded(r, before)
        recs = self.records(r.header('X-Request-Id'), 2)
        self.assertEqual([x['type'] for x in recs], ['decision', 'outcome'])
        new = recs[0]['policy']
        self.assertNotEqual(old, new)

    def test_4_gateway_off_location_untouched(self):
        before = self.up.count()
        n = len(self.ngx.audit())
        r = self.send(b'GET /anything?x=1 HTTP/1.1\r\nHost: x\r\n'
                      b'Authorization: Bearer client\r\n'
                      b'Connection: close\r\n\r\n',
                      port=self.ports['PORT2'])
        self.assertEqual(r.status, 200)
        up = self.forwarded(r, before)
        self.assertEqual(up.target, '/anything?x=1')
        self.assertEqual(up.header('Authorization'), 'Bearer client')
        time.sleep(0.1)
        self.assertEqual(len(self.ngx.audit()), n)


if __name__ == '__main__':
    main()
