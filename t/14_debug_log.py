#!/usr/bin/env python3
#
# Copyright (C) ngx_rtk_module authors
#
# Debug logging: the proxy module logs every upstream request header at
# debug level.  The token is added only after the proxy module built and
# logged the request, so with error_log at debug the request is dumped,
# without the token and without any Authorization header.  The phase
# engine runs once per request: the decision goes straight on to the
# upstream.
#

import base64
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), 'lib'))

from rtk_harness import (TOKEN, TOKEN_ACCOUNT, GatewayCase,  # noqa
                         gateway_location, server, main, wh_path, ACCOUNT2)


class DebugLog(GatewayCase):

    HTTP_CONF = server(gateway_location(),
                       extra='        error_log %%DIR%%/debug.log debug;\n')

    def debug_log(self):
        with open(os.path.join(self.dir, 'debug.log'), 'rb') as f:
            return f.read()

    def test_token_not_in_debug_log(self):
        before = self.up.count()
        r = self.req(headers=[('Authorization', 'Bearer client-dummy')])
        up = self.forwarded(r, before)
        self.assertEqual(up.header('Authorization'), 'Bearer ' + TOKEN)

        r = self.req(target=wh_path(account=ACCOUNT2))
        up = self.forwarded(r, before + 1)
        self.assertEqual(up.header('Authorization'),
                         'Bearer ' + TOKEN_ACCOUNT)

        log = self.debug_log()

        # debug logging is on, nothing is masked ...
        self.assertIn(b'[debug]', log)
        self.assertIn(b'http upstream request', log)
        self.assertIn(b'http proxy status', log)

        # ... and the proxy's dump of the request it built has no
        # Authorization header: the token is added after it
        self.assertIn(b'http proxy header: "Content-Type', log)
        self.assertIn(b'http proxy header:\n"PATCH ', log)
        self.assertFalse(b'http proxy header: "Authorization' in log,
                         'upstream Authorization logged')
        self.assertNotIn(b'\nAuthorization:', log)

        for t in (TOKEN, TOKEN_ACCOUNT):
            for form in (t.encode(), t.encode().hex().encode(),
                         base64.b64encode(t.encode())):
                self.assertFalse(form in log, 'token in the debug log')

    def test_phases_run_once(self):
        # after the body is read the decided request goes on to the
        # upstream at once: no phase handler runs a second time
        before = self.up.count()
        r = self.req(body={'name': 'phases once'})
        self.forwarded(r, before)
        rid = r.header('X-Request-Id').encode()
        log = self.debug_log()
        at = log.index(b'X-Request-Id: ' + rid)
        head = log.rindex(b'http proxy header:', 0, at)
        conn = re.search(rb' (\*\d+) http proxy header:$',
                         log[log.rindex(b'\n', 0, head):head + 18])
        self.assertIsNotNone(conn)
        phases = re.findall(rb'\] \d+#\d+: ' + re.escape(conn.group(1))
                            + rb' (\w+(?: \w+)? phase: \d+)\n', log)
        self.assertIn(b'access phase: 10', phases)
        self.assertEqual(len(phases), len(set(phases)), phases)


if __name__ == '__main__':
    main()
