#!/usr/bin/env python3
#
# Copyright (C) ngx_rtk_module authors
#
# HTTP/2 clients (h2c with prior knowledge, driven by curl): nginx reads
# their bodies through its HTTP/2 code, not HTTP/1's; the gateway must
# validate, decide, inject and audit them all the same.
#

import json
import os
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), 'lib'))

from rtk_harness import (TOKEN, GatewayCase, gateway_location,  # noqa
                         server, main, wh_path)


@unittest.skipIf(shutil.which('curl') is None, 'needs curl')
class Http2(GatewayCase):

    HTTP_CONF = server(gateway_location(),
                       listen='127.0.0.1:%%PORT%% http2')

    def h2(self, body, caller='alice@example.com', extra=()):
        cmd = ['curl', '-sS', '--http2-prior-knowledge', '-X', 'PATCH',
               '-o', '-', '-w', '\n%{http_code} %{http_version}',
               '-H', 'Content-Type: application/json',
               '-H', 'X-Caller: ' + caller, '--data-binary', body]
        for h in extra:
            cmd += ['-H', h]
        cmd.append('http://127.0.0.1:%d%s' % (self.port, wh_path()))
        out = subprocess.run(cmd, stdout=subprocess.PIPE, timeout=10,
                             check=True).stdout.decode()
        text, _, status = out.rpartition('\n')
        code, version = status.split()
        return int(code), version, text

    def test_allowed_over_http2(self):
        before = self.up.count()
        code, version, _ = self.h2('{"name": "h2", "enabled": true}',
                                   extra=['Authorization: Bearer client'])
        self.assertEqual((code, version), (200, '2'))
        self.assertEqual(self.up.count(), before + 1)
        up = self.up.last()
        self.assertEqual(up.body, b'{"enabled":true,"name":"h2"}')
        self.assertEqual(up.header_all('Authorization'), ['Bearer ' + TOKEN])
        self.assertEqual(up.target, wh_path())

    def test_denied_over_http2(self):
        before = self.up.count()
        code, version, text = self.h2('{"enabled": true}',
                                      caller='mallory@example.com')
        self.assertEqual((code, version), (403, '2'))
        self.assertEqual(json.loads(text)['errors'][0]['code'], 40302)
        self.assertEqual(self.up.count(), before)

    def test_bad_body_over_http2(self):
        before = self.up.count()
        code, _, text = self.h2('{"name": "a", "name": "b"}')
        self.assertEqual(code, 400)
        self.assertEqual(json.loads(text)['errors'][0]['code'], 40002)
        self.assertEqual(self.up.count(), before)


if __name__ == '__main__':
    main()
