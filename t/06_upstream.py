#!/usr/bin/env python3
#
# Copyright (C) ngx_rtk_module authors
#
# The upstream side: answers relayed unchanged, unreachable, slow and
# broken upstreams, and TLS verification of the upstream certificate.
#

import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), 'lib'))

from rtk_harness import (GatewayCase, Reply, Upstream, free_port,  # noqa
                         gateway_location, pki, server, main)


TLS = ('            proxy_ssl_verify on;\n'
       '            proxy_ssl_verify_depth 2;\n'
       '            proxy_ssl_trusted_certificate %%CA%%;\n'
       '            proxy_ssl_name localhost;\n'
       '            proxy_ssl_server_name on;\n')


class UpstreamRelay(GatewayCase):

    EXPECT_LOG = ()

    HTTP_CONF = (
        server(gateway_location(read_timeout='1s'))
        + server(gateway_location(proxy='http://127.0.0.1:%%DEAD%%'),
                 listen='127.0.0.1:%%PORT2%%')
        + server(gateway_location(proxy='https://127.0.0.1:%%TLS_OK%%',
                                  extra=TLS),
                 listen='127.0.0.1:%%PORT3%%')
        + server(gateway_location(proxy='https://127.0.0.1:%%TLS_NAME%%',
                                  extra=TLS),
                 listen='127.0.0.1:%%PORT4%%')
        + server(gateway_location(proxy='https://127.0.0.1:%%TLS_CA%%',
                                  extra=TLS),
                 listen='127.0.0.1:%%PORT5%%'))

    @classmethod
    def conf_vars(cls):
        p = pki()
        cls.tls_ok = Upstream(tls=(p.localhost, p.localhost_key))
        cls.tls_name = Upstream(tls=(p.wrongname, p.wrongname_key))
        cls.tls_ca = Upstream(tls=(p.rogue, p.rogue_key))
        for u in (cls.tls_ok, cls.tls_name, cls.tls_ca):
            cls.addClassCleanup(u.stop)
        return {'DEAD': free_port(), 'CA': p.ca, 'TLS_OK': cls.tls_ok.port,
                'TLS_NAME': cls.tls_name.port, 'TLS_CA': cls.tls_ca.port}

    def relay(self, reply):
        before = self.up.count()
        self.up.reply(reply)
        r = self.req()
        self.assertEqual(self.up.count(), before + 1)
        return r

    def test_relay_200(self):
        body = b'{"result":{"id":"x"},"success":true,"errors":[],' \
               b'"messages":[],"extra":"\\u00e9 kept as sent"}'
        r = self.relay(Reply(200, body, [('X-Upstream', 'yes'),
                                         ('Cache-Control', 'no-store')]))
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, body)
        self.assertEqual(r.header('X-Upstream'), 'yes')
        self.assertEqual(r.header('Cache-Control'), 'no-store')
        self.assertEqual(r.header('Content-Type'), 'application/json')
        self.assert_request_id(r)

    def test_relay_errors_unchanged(self):
        for status, extra in ((401, [('WWW-Authenticate', 'Bearer')]),
                              (403, []), (404, []),
                              (429, [('Retry-After', '7')]),
                              (500, []), (502, []), (503, [('Retry-After',
                                                            '30')])):
            body = json.dumps({
                'result': None, 'success': False, 'messages': [],
                'errors': [{'code': 10000 + status,
                            'message': 'upstream says %d' % status}]},
                separators=(',', ':')).encode()
            with self.subTest(status=status):
                r = self.relay(Reply(status, body, extra + [
                    ('X-Upstream', str(status))]))
                self.assertEqual(r.status, status)
                self.assertEqual(r.body, body)
                self.assertEqual(r.header('X-Upstream'), str(status))
                for k, v in extra:
                    self.assertEqual(r.header(k), v)
                self.assert_request_id(r)

    def test_relay_non_json(self):
        r = self.relay(Reply(503, b'<html>maintenance</html>',
                             [('Content-Type', 'text/html')]))
        self.assertEqual(r.status, 503)
        self.assertEqual(r.body, b'<html>maintenance</html>')
        self.assertEqual(r.header('Content-Type'), 'text/html')

    def test_upstream_down(self):
        self.expect_error(502, 50201, port=self.ports['PORT2'])

    def test_upstream_timeout(self):
        before = self.up.count()
        self.up.reply(delay=3)
        t = time.time()
        r = self.req()
        self.assertLess(time.time() - t, 2.8)
        self.assert_envelope(r, 504, 50401)
        self.assertEqual(self.up.count(), before + 1)

    def test_upstream_closes(self):
        for action in ('close', 'reset'):
            with self.subTest(action=action):
                self.up.reply(action=action)
                r = self.req()
                self.assert_envelope(r, 502, 50201)

    def test_upstream_garbage_never_success(self):
        self.up.reply(action='garbage')
        try:
            r = self.req()
        except (ValueError, IndexError, EOFError):
            return
        self.assertNotEqual(r.status, 200)

    def test_upstream_truncated(self):
        self.up.reply(action='close_mid')
        with self.assertRaises(EOFError):
            self.req()
        # the next request works
        before = self.up.count()
        r = self.req()
        self.forwarded(r, before)

    def test_tls_verified(self):
        before = self.tls_ok.count()
        r = self.req(port=self.ports['PORT3'])
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual(self.tls_ok.count(), before + 1)
        self.assertEqual(json.loads(r.body)['success'], True)

    def test_tls_wrong_name(self):
        r = self.req(port=self.ports['PORT4'])
        self.assert_envelope(r, 502, 50201)
        self.assertEqual(self.tls_name.count(), 0)

    def test_tls_unknown_ca(self):
        r = self.req(port=self.ports['PORT5'])
        self.assert_envelope(r, 502, 50201)
        self.assertEqual(self.tls_ca.count(), 0)


if __name__ == '__main__':
    main()
