#!/usr/bin/env python3
#
# Copyright (C) ngx_rtk_module authors
#
# Identity: header identity, empty identity, $remote_user with auth_basic.
#

import base64
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), 'lib'))

from rtk_harness import (TOKEN, GatewayCase, gateway_location,  # noqa: E402
                         server, main)


def basic(user, password):
    v = base64.b64encode(('%s:%s' % (user, password)).encode()).decode()
    return ('Authorization', 'Basic ' + v)


class Identity(GatewayCase):

    HTTP_CONF = (
        server(gateway_location())
        + server(gateway_location(
            identity='$remote_user',
            extra='            auth_basic "rtk";\n'
                  '            auth_basic_user_file %%DIR%%/htpasswd;\n'),
            listen='127.0.0.1:%%PORT2%%')
        + server(gateway_location(identity='"$http_x_team:$http_x_user"'),
                 listen='127.0.0.1:%%PORT3%%'))

    @classmethod
    def conf_vars(cls):
        with open(os.path.join(cls.dir, 'htpasswd'), 'w') as f:
            f.write('alice@example.com:{PLAIN}wonderland\n'
                    'bob:{PLAIN}builder\n')
        return {}

    def test_header_identity(self):
        before = self.up.count()
        r = self.req()
        self.forwarded(r, before)

    def test_no_identity(self):
        self.expect_error(401, 40101, caller=None)

    def test_empty_identity(self):
        self.expect_error(401, 40101, caller=None,
                          headers=[('X-Caller', '')])

    def test_identity_checked_before_content_type(self):
        self.expect_error(401, 40101, caller=None, content_type='text/plain')

    def test_identity_checked_before_body(self):
        self.expect_error(401, 40101, caller=None, body=b'{"x":')

    def test_basic_auth_ok(self):
        before = self.up.count()
        r = self.req(port=self.ports['PORT2'], caller=None,
                     headers=[basic('alice@example.com', 'wonderland')])
        up = self.forwarded(r, before)
        self.assertEqual(up.header_all('Authorization'), ['Bearer ' + TOKEN])
        rec = self.records(r.header('X-Request-Id'), type='decision')
        self.assertTrue(rec)
        self.assertEqual(rec[0]['caller'], 'alice@example.com')

    def test_basic_auth_wrong_password(self):
        before = self.up.count()
        r = self.req(port=self.ports['PORT2'], caller=None,
                     headers=[basic('alice@example.com', 'nope')])
        self.assertEqual(r.status, 401)
        self.assertEqual(self.up.count(), before)

    def test_basic_auth_missing(self):
        before = self.up.count()
        r = self.req(port=self.ports['PORT2'], caller=None)
        self.assertEqual(r.status, 401)
        self.assertEqual(self.up.count(), before)

    def test_basic_auth_other_user_not_editor(self):
        before = self.up.count()
        r = self.req(port=self.ports['PORT2'], caller=None,
                     headers=[basic('bob', 'builder')])
        self.assert_error(r, 403, 40302, before)

    def test_basic_auth_x_caller_ignored(self):
        # the header identity of another location must not count here
        before = self.up.count()
        r = self.req(port=self.ports['PORT2'], caller='alice@example.com')
        self.assertEqual(r.status, 401)
        self.assertEqual(self.up.count(), before)

    def test_complex_value_identity(self):
        # "team:user" is never empty, so the policy decides (no editor)
        before = self.up.count()
        r = self.req(port=self.ports['PORT3'], caller=None,
                     headers=[('X-Team', 'red'), ('X-User', 'carol')])
        self.assert_error(r, 403, 40302, before)


if __name__ == '__main__':
    main()
