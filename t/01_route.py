#!/usr/bin/env python3
#
# Copyright (C) ngx_rtk_module authors
#
# Route checks on the raw request target, and 405 with Allow.
#

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), 'lib'))

from rtk_harness import (ACCOUNT, APP, APP_HEX, APP_HEX32, WEBHOOK, GatewayCase,  # noqa
                         gateway_location, server, main, wh_path)


A, B, C = ACCOUNT, APP, WEBHOOK
PFX = '/client/v4'
GOOD = '/accounts/%s/realtime/kit/%s/webhooks/%s' % (A, B, C)
COLLECTION = PFX + '/accounts/%s/realtime/kit/%s/webhooks' % (A, B)
ITEM_METHODS = 'GET, PUT, PATCH, DELETE'


class Route(GatewayCase):

    HTTP_CONF = server(gateway_location())

    def test_valid_with_prefix(self):
        before = self.up.count()
        r = self.req(target=PFX + GOOD)
        up = self.forwarded(r, before)
        self.assertEqual(up.target, PFX + GOOD)

    def test_valid_without_prefix(self):
        before = self.up.count()
        r = self.req(target=GOOD)
        up = self.forwarded(r, before)
        self.assertEqual(up.target, PFX + GOOD)

    def test_second_app(self):
        before = self.up.count()
        r = self.req(target=wh_path(app=APP_HEX))
        up = self.forwarded(r, before)
        self.assertEqual(up.target, wh_path(app=APP_HEX))

    def test_hex_spelling_of_app(self):
        # one rule per app, whichever spelling: the client's goes upstream
        before = self.up.count()
        for i, app in enumerate((B.replace('-', ''),
                                 APP_HEX.replace('-', ''))):
            with self.subTest(app=app):
                r = self.req(target=wh_path(app=app))
                up = self.forwarded(r, before + i)
                self.assertEqual(up.target, wh_path(app=app))

    def test_hex32_that_is_no_known_app(self):
        # a well-formed id of an app the policy does not name: no rule
        self.expect_error(403, 40301, target=wh_path(app=APP_HEX32))

    def test_percent(self):
        for t in (PFX + GOOD.replace(C, '%61' + C[1:]),
                  PFX + '/accounts/%s/realtime/kit/%s/webhooks/%s%%41' % (
                      A, B, C),
                  '/client%2fv4' + GOOD,
                  PFX + GOOD.replace('/kit/', '/%6bit/')):
            with self.subTest(target=t):
                self.expect_error(400, 40010, target=t)

    def test_dot_segment(self):
        for t in (PFX + '/accounts/%s/realtime/kit/%s/webhooks/./%s' % (
                      A, B, C),
                  PFX + '/accounts/%s/realtime/./kit/%s/webhooks/%s' % (
                      A, B, C),
                  PFX + '/accounts/%s/x/../realtime/kit/%s/webhooks/%s' % (
                      A, B, C),
                  PFX + GOOD + '/..',
                  PFX + GOOD + '/.'):
            with self.subTest(target=t):
                self.expect_error(400, 40011, target=t)

    def test_double_slash(self):
        for t in (PFX + '/' + GOOD,
                  PFX + GOOD.replace('/webhooks/', '/webhooks//'),
                  '/' + GOOD):
            with self.subTest(target=t):
                self.expect_error(400, 40012, target=t)

    def test_query(self):
        for t in (PFX + GOOD + '?', PFX + GOOD + '?a=b',
                  PFX + GOOD + '?enabled=true&x', GOOD + '?'):
            with self.subTest(target=t):
                self.expect_error(400, 40013, target=t)

    def test_trailing_slash(self):
        for t in (PFX + GOOD + '/', GOOD + '/'):
            with self.subTest(target=t):
                self.expect_error(400, 40014, target=t)

    def test_unknown_path(self):
        for t in ('/', '/x', '/client/v4', PFX + '/accounts/' + A,
                  PFX + '/accounts/%s/realtime/kit/%s' % (A, B),
                  PFX + '/accounts/%s/realtime/kit/%s/webhook' % (A, B),
                  PFX + GOOD + '/extra',
                  PFX + '/accounts/%s/realtime/kit/%s/hooks/%s' % (A, B, C),
                  '/client/v5' + GOOD,
                  '/client/v4x' + GOOD,
                  PFX + GOOD.replace('/realtime/', '/Realtime/'),
                  '/api' + PFX + GOOD):
            with self.subTest(target=t):
                self.expect_error(404, 40401, target=t)

    def test_bad_account(self):
        for acc in (A.upper(), A[:-1], A + '0', 'g' * 32,
                    '01234567-89ab-cdef-0123-456789abcdef'):
            t = wh_path(account=acc)
            with self.subTest(target=t):
                self.expect_error(404, 40402, target=t)

    def test_bad_app(self):
        for app in ('1111111A-2222-4333-8444-555555555555', B[:-1],
                    B.replace('-', '') + '0', B + 'a', B[:8] + B[9:] + '0',
                    APP_HEX32.upper(), 'app', B.replace('-', '_'),
                    '{' + B + '}'):
            t = wh_path(app=app)
            with self.subTest(target=t):
                self.expect_error(404, 40403, target=t)

    def test_bad_webhook(self):
        for wh in (C.upper(), C[:-1], C.replace('-', ''), APP_HEX32,
                   C[:8] + 'x' + C[9:], 'webhook'):
            t = wh_path(webhook=wh)
            with self.subTest(target=t):
                self.expect_error(404, 40404, target=t)

    def test_path_error_before_method_and_identity(self):
        self.expect_error(404, 40404, method='GET',
                          target=wh_path(webhook='x'), caller=None)
        self.expect_error(400, 40013, method='DELETE',
                          target=wh_path() + '?x', caller=None)

    def test_method_not_allowed(self):
        for m in ('POST', 'OPTIONS', 'PROPFIND'):
            with self.subTest(method=m):
                msg, r = self.expect_error(405, 40501, method=m)
                self.assertEqual(r.header('Allow'), ITEM_METHODS)

    def test_method_not_allowed_on_collection(self):
        for m in ('PATCH', 'PUT', 'DELETE', 'OPTIONS'):
            with self.subTest(method=m):
                msg, r = self.expect_error(405, 40501, method=m,
                                           target=COLLECTION)
                self.assertEqual(r.header('Allow'), 'GET, POST')

    def test_method_not_allowed_with_body(self):
        msg, r = self.expect_error(405, 40501, method='POST',
                                   body=b'{"enabled":true}')
        self.assertEqual(r.header('Allow'), ITEM_METHODS)

    def test_head(self):
        before = self.up.count()
        r = self.req(method='HEAD')
        self.assertEqual(r.status, 405)
        self.assertEqual(r.header('Allow'), ITEM_METHODS)
        self.assertEqual(self.up.count(), before)

    def test_lowercase_patch_is_not_patch(self):
        before = self.up.count()
        r = self.req(method='patch')
        self.assertIn(r.status, (400, 405))
        self.assertEqual(self.up.count(), before)

    def test_method_before_identity(self):
        msg, r = self.expect_error(405, 40501, method='OPTIONS', caller=None)
        self.assertEqual(r.header('Allow'), ITEM_METHODS)


if __name__ == '__main__':
    main()
