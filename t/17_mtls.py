#!/usr/bin/env python3
#
# Copyright (C) ngx_rtk_module authors
#
# mTLS identity: rtk_identity $ssl_client_s_dn behind ssl_verify_client
# on.  The subject DN of a verified client certificate is the caller; no
# certificate, or one from an unknown CA, never reaches the gateway.
#

import os
import socket
import ssl
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), 'lib'))

from rtk_harness import (APP, TOKEN, GatewayCase, _leaf,  # noqa
                         _Reader, build, full_rule, gateway_location, main,
                         pki, policy_doc, read_response, server)


def client_cert(d, name, ca):
    """A client certificate (extendedKeyUsage clientAuth) for CN=name."""
    _leaf(d, name, ca, name, eku='clientAuth')
    return os.path.join(d, name + '.crt'), os.path.join(d, name + '.key')


class Mtls(GatewayCase):

    HTTP_CONF = server(
        gateway_location(identity='$ssl_client_s_dn'),
        listen='127.0.0.1:%%PORT%% ssl',
        extra='        ssl_certificate %%CERT%%;\n'
              '        ssl_certificate_key %%CERT_KEY%%;\n'
              '        ssl_client_certificate %%CA%%;\n'
              '        ssl_verify_client on;\n'
              '        rtk_error_envelope on;\n')

    @classmethod
    def policy(cls):
        return policy_doc(apps={APP: full_rule(editors=('CN=alice',))})

    @classmethod
    def conf_vars(cls):
        p = pki()
        d = os.path.join(cls.dir, 'clients')
        os.makedirs(d, exist_ok=True)
        for f in ('ca', 'ca2'):
            for ext in ('.crt', '.key'):
                with open(os.path.join(p.dir, f + ext), 'rb') as src, \
                        open(os.path.join(d, f + ext), 'wb') as dst:
                    dst.write(src.read())
        cls.alice = client_cert(d, 'alice', 'ca')
        cls.mallory = client_cert(d, 'mallory', 'ca')
        cls.rogue = client_cert(d, 'rogue-alice', 'ca2')
        return {'CERT': p.localhost, 'CERT_KEY': p.localhost_key,
                'CA': p.ca}

    def tls_req(self, cert=None, body=b'{"enabled":true}', headers=()):
        ctx = ssl.create_default_context(cafile=pki().ca)
        if cert:
            ctx.load_cert_chain(*cert)
        raw = build(body=body, headers=list(headers))
        s = socket.create_connection(('127.0.0.1', self.port), timeout=5)
        t = ctx.wrap_socket(s, server_hostname='localhost')
        try:
            t.sendall(raw)
            return read_response(_Reader(t, time.time() + 5))
        finally:
            t.close()

    def test_verified_subject_is_the_caller(self):
        before = self.up.count()
        r = self.tls_req(self.alice, headers=[('X-Caller', 'mallory')])
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual(self.up.count(), before + 1)
        self.assertEqual(self.up.last().header('Authorization'),
                         'Bearer ' + TOKEN)
        rec = self.records(r.header('X-Request-Id'))
        self.assertEqual(rec[0]['caller'], 'CN=alice')

    def test_other_subject_denied(self):
        before = self.up.count()
        r = self.tls_req(self.mallory)
        self.assert_error(r, 403, 40302, before)
        rec = self.records(r.header('X-Request-Id'))
        self.assertEqual(rec[0]['caller'], 'CN=mallory')

    def test_no_certificate(self):
        # nginx answers 400 itself (no required certificate): in JSON
        before = self.up.count()
        r = self.tls_req(None)
        self.assert_error(r, 400, 40015, before)

    def test_certificate_from_unknown_ca(self):
        before = self.up.count()
        try:
            r = self.tls_req(self.rogue)
        except (ssl.SSLError, ConnectionError):
            # TLS 1.3 may report the refusal as a failed handshake
            self.assertEqual(self.up.count(), before)
            return
        self.assert_error(r, 400, 40015, before)


if __name__ == '__main__':
    main()
