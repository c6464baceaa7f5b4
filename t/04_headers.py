#!/usr/bin/env python3
#
# Copyright (C) ngx_rtk_module authors
#
# Headers to and from the upstream: credentials stripped, the bearer
# token injected, per-account tokens, request ids, the rebuilt request line.
#

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), 'lib'))

from rtk_harness import (ACCOUNT, ACCOUNT2, ACCOUNT3, APP, WEBHOOK,  # noqa
                         HEX32, TOKEN, TOKEN_ACCOUNT, GatewayCase,
                         gateway_location, server, main, wh_path)


STRIPPED = ['authorization', 'x-auth-key', 'x-auth-email',
            'x-auth-user-service-key', 'cookie', 'x-request-id']


class Headers(GatewayCase):

    HTTP_CONF = server(gateway_location())

    def test_credentials_stripped_token_injected(self):
        before = self.up.count()
        r = self.req(headers=[
            ('Authorization', 'Bearer client-supplied-token'),
            ('X-Auth-Key', 'c2f1e3d4'),
            ('X-Auth-Email', 'someone@example.com'),
            ('X-Auth-User-Service-Key', 'v1.0-svc'),
            ('Cookie', 'session=abc; other=def'),
            ('Cookie', 'second=cookie'),
            ('X-Request-Id', 'client-request-id-0001'),
            ('X-Other', 'kept')])
        up = self.forwarded(r, before)
        self.assertEqual(up.header_all('Authorization'), ['Bearer ' + TOKEN])
        for name in ('X-Auth-Key', 'X-Auth-Email', 'X-Auth-User-Service-Key',
                     'Cookie'):
            self.assertEqual(up.header_all(name), [], name)
        rid = up.header_all('X-Request-Id')
        self.assertEqual(len(rid), 1)
        self.assertRegex(rid[0], HEX32)
        self.assertEqual(r.header('X-Request-Id'), rid[0])
        self.assertEqual(up.header('X-Other'), 'kept')
        raw = repr(up.headers)
        for v in ('client-supplied-token', 'c2f1e3d4', 'v1.0-svc',
                  'session=abc', 'client-request-id-0001'):
            self.assertNotIn(v, raw)

    def test_stripped_any_case(self):
        before = self.up.count()
        r = self.req(headers=[
            ('authorization', 'Basic dXNlcjpwYXNz'),
            ('x-auth-key', 'k1'), ('X-AUTH-EMAIL', 'e1'),
            ('x-Auth-User-Service-Key', 's1'), ('COOKIE', 'a=b'),
            ('x-request-id', 'mine')])
        up = self.forwarded(r, before)
        self.assertEqual(up.header_all('Authorization'), ['Bearer ' + TOKEN])
        names = up.names()
        self.assertEqual(names.count('authorization'), 1)
        for n in STRIPPED[1:5]:
            self.assertNotIn(n, names)
        self.assertEqual(names.count('x-request-id'), 1)
        self.assertNotEqual(up.header('X-Request-Id'), 'mine')

    def test_per_account_token(self):
        before = self.up.count()
        r = self.req(target=wh_path(account=ACCOUNT2))
        up = self.forwarded(r, before)
        self.assertEqual(up.header_all('Authorization'),
                         ['Bearer ' + TOKEN_ACCOUNT])
        before = self.up.count()
        r = self.req(target=wh_path(account=ACCOUNT3))
        up = self.forwarded(r, before)
        self.assertEqual(up.header_all('Authorization'), ['Bearer ' + TOKEN])

    def test_user_agent_and_api_version_pass(self):
        before = self.up.count()
        r = self.req(headers=[('User-Agent', 'rtk-test/1.0 (x)'),
                              ('api-version', '2024-01-01')])
        up = self.forwarded(r, before)
        self.assertEqual(up.header_all('User-Agent'), ['rtk-test/1.0 (x)'])
        self.assertEqual(up.header_all('api-version'), ['2024-01-01'])

    def test_content_type_normalized(self):
        before = self.up.count()
        r = self.req(content_type='Application/JSON; charset=UTF-8')
        up = self.forwarded(r, before)
        self.assertEqual(up.header_all('Content-Type'), ['application/json'])

    def test_request_line_rebuilt(self):
        bare = '/accounts/%s/realtime/kit/%s/webhooks/%s' % (
            ACCOUNT, APP, WEBHOOK)
        for target in (bare, '/client/v4' + bare):
            with self.subTest(target=target):
                before = self.up.count()
                r = self.req(target=target)
                up = self.forwarded(r, before)
                self.assertEqual(up.method, 'PATCH')
                self.assertEqual(up.target, '/client/v4' + bare)
                self.assertEqual(up.version, 'HTTP/1.1')

    def test_request_id_unique_and_matches(self):
        seen = set()
        for i in range(5):
            before = self.up.count()
            r = self.req()
            up = self.forwarded(r, before)
            rid = self.assert_request_id(r)
            self.assertEqual(up.header('X-Request-Id'), rid)
            seen.add(rid)
        self.assertEqual(len(seen), 5)

    def test_request_id_on_errors(self):
        msg, r = self.expect_error(404, 40404, target=wh_path(webhook='x'))
        rid = self.assert_request_id(r)
        recs = self.records(rid)
        self.assertEqual(len(recs), 1)

    def test_upstream_response_headers_relayed(self):
        before = self.up.count()
        self.up.reply(headers=[('X-Upstream-One', 'a'),
                               ('CF-Ray', '8f00000000000000-AMS')])
        r = self.req()
        self.forwarded(r, before)
        self.assertEqual(r.header('X-Upstream-One'), 'a')
        self.assertEqual(r.header('CF-Ray'), '8f00000000000000-AMS')
        self.assert_request_id(r)

    def test_token_never_in_response(self):
        before = self.up.count()
        r = self.req(target=wh_path(account=ACCOUNT2))
        self.forwarded(r, before)
        for t in (TOKEN, TOKEN_ACCOUNT):
            self.assertNotIn(t.encode(), r.raw)


class HeadersInPlace(GatewayCase):
    """The client's own Content-Type and X-Request-Id lines are rewritten
    where they are when nothing else must go; one request id everywhere,
    the access log's $request_id too."""

    HTTP_CONF = ("    log_format rid '$request_id $http_x_request_id "
                 "$content_type';\n"
                 + server(gateway_location(),
                          extra='        access_log %%DIR%%/rid.log rid;\n'))

    def logged(self, rid):
        end = time.time() + 3
        while time.time() < end:
            with open(self.ngx.path('rid.log')) as f:
                for line in f:
                    if line.startswith(rid + ' '):
                        return line.split()
            time.sleep(0.05)
        self.fail('%s not in the access log' % rid)

    def check(self, r, up, before):
        rid = self.assert_request_id(r)
        self.assertEqual(up.header_all('X-Request-Id'), [rid])
        self.assertEqual(up.header_all('Content-Type'), ['application/json'])
        self.assertEqual(up.header('X-Before'), 'b')
        self.assertEqual(up.header('X-After'), 'a')
        self.assertNotIn('client-id', repr(up.headers))
        # $request_id, and what nginx reads of the rewritten lines
        self.assertEqual(self.logged(rid), [rid, rid, 'application/json'])
        kinds = [x['type'] for x in self.records(rid, count=2)]
        self.assertEqual(kinds, ['decision', 'outcome'])

    def test_rewritten_in_place(self):
        before = self.up.count()
        r = self.req(content_type='application/json; charset=utf-8',
                     headers=[('X-Before', 'b'),
                              ('x-request-id', 'client-id-1'),
                              ('X-After', 'a')])
        self.assertEqual(r.status, 200, (r, self.up.errors))
        up = self.forwarded(r, before)
        self.check(r, up, before)

    def test_two_request_ids_rebuilt(self):
        before = self.up.count()
        r = self.req(headers=[('X-Before', 'b'),
                              ('X-Request-Id', 'client-id-1'),
                              ('X-Request-Id', 'client-id-2'),
                              ('X-After', 'a')])
        up = self.forwarded(r, before)
        self.check(r, up, before)

    def test_no_content_type_for_get(self):
        before = self.up.count()
        r = self.req('GET', body=b'', content_type='application/json',
                     headers=[('X-Request-Id', 'client-id-1')])
        up = self.forwarded(r, before)
        self.assertEqual(up.header_all('Content-Type'), [])
        self.assertEqual(up.header_all('X-Request-Id'),
                         [self.assert_request_id(r)])


if __name__ == '__main__':
    main()
