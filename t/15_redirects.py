#!/usr/bin/env python3
#
# Copyright (C) ngx_rtk_module authors
#
# Requests that leave the gateway location: error_page and post_action
# run synchronously inside the proxy handler for some upstream errors,
# limit_except and "if" blocks get their own configuration, and proxy_pass
# may carry a URI part.  The token must never follow a request out, every
# request must still be audited, and no block may skip the gateway.
#

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), 'lib'))

from rtk_harness import (TOKEN, GatewayCase, gateway_location,  # noqa
                         server, main, wh_path)


DOWN = ('        location @down {\n'
        '            proxy_pass http://127.0.0.1:%%UP%%;\n'
        '        }\n')


class SyncFailure(GatewayCase):
    """No live upstreams and a missing unix socket fail inside the
    proxy handler; error_page and post_action then run at once."""

    HTTP_CONF = (
        '    upstream dead {\n'
        '        server 127.0.0.1:1 max_fails=1 fail_timeout=30s;\n'
        '        server 127.0.0.1:2 max_fails=1 fail_timeout=30s;\n'
        '    }\n'
        + server(gateway_location(
            proxy='http://dead',
            extra='            error_page 502 504 = @down;\n')
            + gateway_location(
                path='/client/v4/accounts/fedcba9876543210fedcba9876543210/',
                proxy='http://unix:/nonexistent/rtk.sock',
                extra='            error_page 502 = @down;\n')
            + gateway_location(
                path='/client/v4/accounts/00000000000000000000000000000000/',
                proxy='http://unix:/nonexistent/rtk.sock',
                extra='            post_action @down;\n')
            + DOWN))
    EXPECT_LOG = (r'connect\(\) to 127\.0\.0\.1:[12] failed',
                  r'no live upstreams', r'nonexistent/rtk\.sock')

    def check_no_token(self, before):
        for u in self.up.since(before):
            self.assertEqual(u.header_all('Authorization'), [])
            self.assertNotIn(TOKEN, repr(u.headers))

    def test_error_page_after_no_live_upstreams(self):
        before = self.up.count()
        for i in range(4):
            r = self.req()
            # the fallback answered, and the request was audited
            self.assertEqual(r.status, 200, repr(r))
            rid = self.up.last().header('X-Request-Id')
            kinds = [x['type'] for x in self.records(rid, count=2)]
            self.assertEqual(kinds, ['decision', 'outcome'])
        self.assertEqual(self.up.count(), before + 4)
        self.check_no_token(before)

    def test_error_page_after_unix_socket_error(self):
        before = self.up.count()
        r = self.req(target=wh_path(
            account='fedcba9876543210fedcba9876543210'))
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual(self.up.count(), before + 1)
        self.check_no_token(before)

    def test_post_action(self):
        before = self.up.count()
        r = self.req(target=wh_path(
            account='00000000000000000000000000000000'))
        self.assertEqual(r.status, 502, repr(r))
        self.check_no_token(before)


class LimitExcept(GatewayCase):
    """limit_except gets its own configuration: the gateway must hold
    there too, or a PATCH would go upstream as the client sent it."""

    HTTP_CONF = server(gateway_location(
        extra='            limit_except GET { allow all; }\n'))

    def test_denied_in_limit_except(self):
        before = self.up.count()
        r = self.req(caller='mallory@example.com',
                     headers=[('Authorization', 'Bearer client-secret')])
        self.assert_error(r, 403, 40302, before)
        rid = r.header('X-Request-Id')
        self.assertEqual(self.records(rid)[0]['decision'], 'deny')

    def test_bad_body_in_limit_except(self):
        before = self.up.count()
        r = self.body_req(b'{"url":"http://evil/","junk":1}')
        self.assertEqual(r.status, 400, repr(r))
        self.assertEqual(self.up.count(), before)

    def test_allowed_in_limit_except(self):
        before = self.up.count()
        r = self.req(body={'name': 'n', 'enabled': True},
                     headers=[('Authorization', 'Bearer client-secret')])
        up = self.forwarded(r, before)
        self.assertEqual(up.body, b'{"enabled":true,"name":"n"}')
        self.assertEqual(up.header('Authorization'), 'Bearer ' + TOKEN)


class IfBlock(GatewayCase):
    """An "if" block inside the gateway location is the same location."""

    HTTP_CONF = server(gateway_location(
        extra='            if ($http_x_flag) { set $flag 1; }\n'))

    def test_if_block_forwards(self):
        before = self.up.count()
        r = self.req(headers=[('X-Flag', '1')])
        up = self.forwarded(r, before)
        self.assertEqual(up.header('Authorization'), 'Bearer ' + TOKEN)
        self.assertEqual(up.body, b'{"enabled":true}')

    def test_if_block_denies(self):
        before = self.up.count()
        r = self.req(caller='mallory@example.com', headers=[('X-Flag', '1')])
        self.assert_error(r, 403, 40302, before)


class AuditAfterRedirect(GatewayCase):
    """error_page redirects clear module contexts; the records stay."""

    HTTP_CONF = server(
        gateway_location()
        + gateway_location(path='/client/v4/accounts/'
                           'fedcba9876543210fedcba9876543210/',
                           extra='            error_page 404 /none;\n')
        + '        location = /403.json {\n'
          '            return 200 "{\\"custom\\":1}";\n'
          '        }\n',
        extra='        error_page 403 /403.json;\n')

    def test_denied_then_redirected(self):
        before = self.up.count()
        r = self.req(caller='mallory@example.com')
        self.assertEqual(r.status, 403)
        self.assertEqual(r.body, b'{"custom":1}')
        self.assertEqual(self.up.count(), before)
        # the redirected page has no X-Request-Id: find it by caller
        time.sleep(0.1)
        rec = [x for x in self.ngx.audit(count=None)
               if x.get('caller') == 'mallory@example.com']
        self.assertEqual(len(rec), 1, rec)
        self.assertEqual(rec[0]['decision'], 'deny')
        self.assertEqual(rec[0]['code'], 40302)
        self.assertEqual(rec[0]['caller'], 'mallory@example.com')

    def test_error_page_that_does_not_match(self):
        # error_page 404 in the location: the 403 still gets the envelope
        before = self.up.count()
        r = self.req(caller='mallory@example.com', target=wh_path(
            account='fedcba9876543210fedcba9876543210'))
        self.assert_error(r, 403, 40302, before)


class ProxyPassUri(GatewayCase):
    """proxy_pass with a URI part still gets the rebuilt path."""

    HTTP_CONF = server(gateway_location(
        path='/accounts/',
        proxy='http://127.0.0.1:%%UP%%/client/v4/accounts/'))

    def test_path_rebuilt(self):
        before = self.up.count()
        r = self.req(target=wh_path(prefix=False))
        up = self.forwarded(r, before)
        self.assertEqual(up.target, wh_path())


class Mirror(GatewayCase):
    """A gateway location that mirrors: nginx's precontent handlers
    still run after the decision, and a mirror gets the rebuilt request
    without the token."""

    HTTP_CONF = server(gateway_location(
        extra='            mirror /mirrored;\n')
        + '        location = /mirrored {\n'
          '            internal;\n'
          '            proxy_pass http://127.0.0.1:%%UP%%/mirror$request_uri;\n'
          '        }\n')

    def test_mirror_after_decision(self):
        before = self.up.count()
        r = self.req(body={'name': 'mirrored'})
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual(self.up.wait(before + 2), before + 2)
        got = self.up.since(before)
        mirrored = [u for u in got if u.target.startswith('/mirror/')]
        direct = [u for u in got if not u.target.startswith('/mirror/')]
        self.assertEqual(len(mirrored), 1, got)
        self.assertEqual(len(direct), 1, got)
        self.assertEqual(direct[0].header('Authorization'), 'Bearer ' + TOKEN)
        self.assertEqual(mirrored[0].header_all('Authorization'), [])
        self.assertNotIn(TOKEN, repr(mirrored[0].headers))
        self.assertEqual(mirrored[0].body, direct[0].body)


if __name__ == '__main__':
    main()
