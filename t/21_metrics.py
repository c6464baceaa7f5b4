#!/usr/bin/env python3
#
# Copyright (C) ngx_rtk_module authors
#
# Prometheus metrics (rtk_metrics): the exposition format (promtool),
# what a known sequence of requests adds to each counter, counters that
# a reload keeps, a refused reload, the policies and tokens in force,
# and the location's own access rules.
#

import hashlib
import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), 'lib'))

from rtk_harness import (ACCOUNT, ACCOUNT2, APP, TOKEN,  # noqa: E402
                         TOKEN_ACCOUNT, GatewayCase, NginxWorkers, Reply,
                         build,
                         free_port, gateway_location, main, nginx_t,
                         policy_doc, read_response, server, write_policy,
                         _Reader)
from rtk_metrics import (PROMTOOL, fingerprint, nginx_signal,  # noqa: E402
                         promtool_check, scrape, wait_metrics)


METRICS_LOCATION = (
    '        location = /metrics {\n'
    '            rtk_metrics;\n'
    '            allow 127.0.0.1;\n'
    '            deny all;\n'
    '        }\n')

COUNTERS = ('rtk_decisions_total', 'rtk_upstream_responses_total',
            'rtk_audit_records_total', 'rtk_audit_write_failures_total',
            'rtk_audit_bytes_total', 'rtk_metrics_series_dropped_total')

HISTOGRAMS = ('rtk_request_duration_seconds', 'rtk_upstream_response_seconds')


class Metrics(GatewayCase):

    # the gateway and the metrics; an unreachable upstream; an audit log
    # that cannot be written; a report-only policy
    HTTP_CONF = (
        server(METRICS_LOCATION + gateway_location())
        + server(gateway_location(proxy='http://127.0.0.1:%%CLOSED%%'),
                 listen='127.0.0.1:%%PORT2%%')
        + server(gateway_location(audit='/dev/full'),
                 listen='127.0.0.1:%%PORT3%%')
        + server(gateway_location(policy='%%POLICY_RO%%'),
                 listen='127.0.0.1:%%PORT4%%'))

    EXPECT_LOG = (r'\[emerg\].*invalid policy', r'\[emerg\].*bind\(\)',
                  r'\[emerg\] .*still could not bind')

    @classmethod
    def conf_vars(cls):
        s = socket.socket()
        s.bind(('127.0.0.1', 0))
        closed = s.getsockname()[1]
        s.close()
        ro = write_policy(os.path.join(cls.dir, 'policy-ro.json'),
                          policy_doc(report_only=True))
        return {'CLOSED': closed, 'POLICY_RO': ro}

    @classmethod
    def make_nginx(cls, http_conf, vars):
        return NginxWorkers(http_conf, vars, dir=cls.dir, workers=2)

    # helpers

    def scrape(self):
        r, m = scrape(self.port)
        self.assertEqual(r.status, 200, r)
        return m

    def quiet(self):
        """A scrape once the requests of earlier tests are counted too:
        their log phase may still be running."""
        m = self.scrape()
        for _ in range(40):
            time.sleep(0.1)
            m2 = self.scrape()
            if m2.get('rtk_request_duration_seconds_count') == \
                    m.get('rtk_request_duration_seconds_count'):
                return m2
            m = m2
        return m

    def until(self, before, pred):
        """Scrapes until pred(metrics) holds: the log phase runs after
        the answer was sent."""
        m = wait_metrics(self.port, pred)
        self.assertIsNotNone(m)
        return m

    def delta(self, before, after, name, **labels):
        return after.get(name, **labels) - before.get(name, **labels)

    def audit_size(self):
        try:
            return os.path.getsize(self.ngx.path('audit.log'))
        except OSError:
            return 0

    def policy_sha(self, name='policy.json'):
        with open(os.path.join(self.dir, name), 'rb') as f:
            return hashlib.sha256(f.read()).hexdigest()

    def check_histogram(self, m, name):
        buckets = sorted(
            ((float('inf') if lb['le'] == '+Inf' else float(lb['le'])), v)
            for lb, v in m.series(name + '_bucket'))
        self.assertEqual([b[0] for b in buckets],
                         [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
                          5, 10, float('inf')])
        counts = [b[1] for b in buckets]
        self.assertEqual(counts, sorted(counts), 'not cumulative')
        self.assertEqual(counts[-1], m.get(name + '_count'))
        self.assertGreaterEqual(m.get(name + '_sum'), 0)

    # the format

    def test_exposition_format(self):
        self.req()
        r, m = scrape(self.port)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header('Content-Type'),
                         'text/plain; version=0.0.4; charset=utf-8')
        families = set(m.type)
        for name in COUNTERS:
            self.assertEqual(m.type.get(name), 'counter', name)
        for name in HISTOGRAMS:
            self.assertEqual(m.type.get(name), 'histogram', name)
            self.check_histogram(m, name)
        for name in ('rtk_policy_info', 'rtk_policy_apps',
                     'rtk_policy_loaded_timestamp_seconds',
                     'rtk_policy_last_reload_success', 'rtk_token_info',
                     'rtk_metrics_zone_bytes', 'rtk_metrics_zone_used_bytes'):
            self.assertEqual(m.type.get(name), 'gauge', name)
        self.assertEqual(set(m.help), families)
        for name in families:
            self.assertTrue(name.startswith('rtk_'), name)
        # every sample belongs to a family with HELP and TYPE
        for (name, _labels) in m.samples:
            base = name
            for suffix in ('_bucket', '_sum', '_count'):
                if name.endswith(suffix) and name[:-len(suffix)] in families:
                    base = name[:-len(suffix)]
            self.assertIn(base, families, name)
        self.assertNotIn(TOKEN, m.text)
        self.assertNotIn(TOKEN_ACCOUNT, m.text)

    def test_promtool(self):
        if PROMTOOL is None:
            self.skipTest('promtool not found: "make test" installs '
                          'Debian\'s prometheus package, or run '
                          '"apt-get install prometheus"')
        self.req()
        self.req(caller='mallory@example.com')
        m = self.scrape()
        rc, out = promtool_check(m.text)
        self.assertEqual((rc, out.strip()), (0, ''), m.text)

    # counting

    def test_known_sequence(self):
        before = self.quiet()
        size = self.audit_size()
        mallory = 'mallory@example.com'

        self.assertEqual(self.req().status, 200)
        self.assertEqual(self.req().status, 200)
        self.expect_error(403, 40302, caller=mallory)
        self.expect_error(400, 40003, body=b'{"zz":1}')
        self.expect_error(401, 40101, caller=None)
        self.up.reply(status=429, body=b'{"success":false}')
        self.assertEqual(self.req().status, 429)
        self.up.reply(status=500, body=b'{"success":false}')
        self.assertEqual(self.req().status, 500)
        self.up.reply(status=403, body=b'{"success":false}')
        self.assertEqual(self.req().status, 403)

        # 5 forwarded x 2 records, 2 refused x 1 and the missing
        # identity's summary, written when its second is over; 8 requests
        m = self.until(before, lambda m: (
            self.delta(before, m, 'rtk_audit_records_total') >= 13
            and self.delta(before, m, 'rtk_request_duration_seconds_count')
            >= 8))

        d = self.delta
        self.assertEqual(m.decision('allow', 0) - before.decision('allow', 0),
                         5)
        self.assertEqual(m.decision('deny', 40302)
                         - before.decision('deny', 40302), 1)
        self.assertEqual(m.decision('deny', 40003)
                         - before.decision('deny', 40003), 1)
        self.assertEqual(m.decision('deny', 40101)
                         - before.decision('deny', 40101), 1)
        for cls, n in (('2xx', 2), ('429', 1), ('5xx', 1), ('403', 1),
                       ('4xx', 0), ('401', 0), ('1xx', 0), ('3xx', 0)):
            self.assertEqual(d(before, m, 'rtk_upstream_responses_total',
                               **{'class': cls}), n, cls)
        self.assertEqual(d(before, m, 'rtk_request_duration_seconds_count'),
                         8)
        self.assertEqual(d(before, m, 'rtk_upstream_response_seconds_count'),
                         5)
        self.assertEqual(d(before, m, 'rtk_audit_records_total'), 13)
        self.assertEqual(d(before, m, 'rtk_audit_write_failures_total'), 0)
        self.assertEqual(d(before, m, 'rtk_audit_bytes_total'),
                         self.audit_size() - size)
        for name in HISTOGRAMS:
            self.check_histogram(m, name)

    def test_upstream_unreachable_is_an_error(self):
        before = self.quiet()
        r = self.req(port=self.ports['PORT2'])
        self.assert_envelope(r, 502, 50201)
        m = self.until(before, lambda m: m.decision('error', 50201)
                       > before.decision('error', 50201))
        self.assertEqual(m.decision('error', 50201)
                         - before.decision('error', 50201), 1)
        # no answer came: no status class, no upstream time
        self.assertEqual(
            sum(v for _lb, v in m.series('rtk_upstream_responses_total'))
            - sum(v for _lb, v in
                  before.series('rtk_upstream_responses_total')), 0)
        self.assertEqual(
            self.delta(before, m, 'rtk_upstream_response_seconds_count'), 0)

    def test_upstream_cut_short_is_an_error(self):
        # 200 and Content-Length 1000 relayed, then 10 bytes and a reset
        before = self.quiet()
        self.up.reply(Reply(body=b'{"result":' + b' ' * 10,
                            headers=[('Content-Length', '1000')],
                            action='reset_mid'))
        raw = build(body=b'{"enabled":true}',
                    headers=[('X-Caller', self.CALLER)])
        s = socket.create_connection(('127.0.0.1', self.port), timeout=5)
        try:
            s.sendall(raw)
            while True:
                try:
                    if not s.recv(65536):
                        break
                except ConnectionResetError:
                    break
        finally:
            s.close()
        m = self.until(before, lambda m: m.decision('error', 50204)
                       > before.decision('error', 50204))
        self.assertEqual(m.decision('error', 50204)
                         - before.decision('error', 50204), 1)
        self.assertEqual(m.decision('allow', 0), before.decision('allow', 0))
        # the upstream did answer 200
        self.assertEqual(self.delta(before, m, 'rtk_upstream_responses_total',
                                    **{'class': '2xx'}), 1)

    def test_audit_failure_counted(self):
        before = self.quiet()
        r = self.req(port=self.ports['PORT3'])
        self.assert_envelope(r, 503, 50301)
        m = self.until(before, lambda m: m.decision('error', 50301)
                       > before.decision('error', 50301))
        self.assertEqual(m.decision('error', 50301)
                         - before.decision('error', 50301), 1)
        self.assertEqual(
            self.delta(before, m, 'rtk_audit_write_failures_total'), 1)

    def test_report_only_would_deny(self):
        before = self.quiet()
        up = self.up.count()
        r = self.req(port=self.ports['PORT4'], caller='mallory@example.com')
        self.forwarded(r, up)
        m = self.until(before, lambda m: m.decision('would_deny', 40302)
                       > before.decision('would_deny', 40302))
        self.assertEqual(m.decision('would_deny', 40302)
                         - before.decision('would_deny', 40302), 1)

    def test_nginx_raised_error_counted(self):
        # 413 raised by nginx while reading the body (client_max_body_size)
        before = self.quiet()
        raw = build(body=b'{"name":"' + b'x' * 70000 + b'"}',
                    headers=[('X-Caller', self.CALLER)])
        r = self.send(raw)
        self.assert_envelope(r, 413, 41301)
        # nginx refused it before the gateway named an operation
        m = self.until(before, lambda m: m.decision('deny', 41301, 'none')
                       > before.decision('deny', 41301, 'none'))
        self.assertEqual(m.decision('deny', 41301, 'none')
                         - before.decision('deny', 41301, 'none'), 1)

    def test_operations(self):
        before = self.quiet()
        collection = '/client/v4/accounts/%s/realtime/kit/%s/webhooks' % (
            ACCOUNT, APP)
        self.assertEqual(self.req('GET', target=collection).status, 200)
        self.assertEqual(self.req('GET').status, 200)
        self.assertEqual(self.req('DELETE').status, 200)
        self.expect_error(405, 40501, method='POST')
        want = [('allow', 0, 'list'), ('allow', 0, 'get'),
                ('allow', 0, 'delete'), ('deny', 40501, 'none')]
        m = self.until(before, lambda m: all(
            m.decision(*w) > before.decision(*w) for w in want))
        for w in want:
            self.assertEqual(m.decision(*w) - before.decision(*w), 1, w)
        self.assertEqual(m.decision('allow', 0, 'edit'),
                         before.decision('allow', 0, 'edit'))

    def test_scrape_counts_nothing(self):
        self.req()
        time.sleep(0.2)
        a = self.quiet()
        for _ in range(5):
            self.scrape()
        b = self.scrape()
        self.assertEqual(
            sum(v for _lb, v in a.series('rtk_decisions_total')),
            sum(v for _lb, v in b.series('rtk_decisions_total')))
        self.assertEqual(a.get('rtk_request_duration_seconds_count'),
                         b.get('rtk_request_duration_seconds_count'))

    # what the configuration says

    def test_policy_and_tokens(self):
        m = self.scrape()
        shas = sorted(lb['sha256'] for lb, v in m.series('rtk_policy_info')
                      if v == 1)
        self.assertEqual(shas, sorted([self.policy_sha(),
                                       self.policy_sha('policy-ro.json')]))
        self.assertEqual(m.get('rtk_policy_apps', sha256=self.policy_sha()),
                         2)
        tokens = sorted((lb['fingerprint'], lb['account'])
                        for lb, v in m.series('rtk_token_info'))
        self.assertEqual(tokens, sorted([(fingerprint(TOKEN), '*'),
                                         (fingerprint(TOKEN_ACCOUNT),
                                          ACCOUNT2)]))
        loaded = m.get('rtk_policy_loaded_timestamp_seconds')
        self.assertLessEqual(loaded, time.time() + 1)
        self.assertGreater(loaded, time.time() - 3600)

    def test_zone_usage(self):
        m = self.scrape()
        size = m.get('rtk_metrics_zone_bytes')
        used = m.get('rtk_metrics_zone_used_bytes')
        self.assertGreater(size, 0)
        self.assertGreater(used, 0)
        self.assertLess(used, size)
        self.assertEqual(m.get('rtk_metrics_series_dropped_total'), 0)

    # the location

    def test_access_rules(self):
        # allow 127.0.0.1; deny all: another loopback address is refused
        s = socket.socket()
        s.bind(('127.0.0.2', 0))
        s.settimeout(5)
        s.connect(('127.0.0.1', self.port))
        s.sendall(build('GET', '/metrics', b'', content_type=None))
        r = read_response(_Reader(s, time.time() + 5), 'GET')
        s.close()
        self.assertEqual(r.status, 403)
        self.assertNotIn(b'rtk_', r.body)

    def test_methods(self):
        r, _m = scrape(self.port, method='POST')
        self.assertEqual(r.status, 405)
        r, _m = scrape(self.port, method='HEAD')
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, b'')
        self.assertGreater(int(r.header('Content-Length')), 0)

    # reloads

    def wait_reload(self, old, pred):
        """Until nginx runs new workers and the metrics satisfy pred."""
        new = self.ngx.wait_new_workers(old)
        self.assertTrue(new, 'no new workers after the reload')
        end = time.time() + 10
        while time.time() < end:
            if len([k for k in self.ngx.live_workers() if k not in old]) \
                    >= 2:
                m = self.scrape()
                if pred(m):
                    return m
            time.sleep(0.05)
        self.fail('reload not seen')

    def test_reload_keeps_counts(self):
        self.req()
        time.sleep(0.3)
        before = self.quiet()
        old = self.ngx.live_workers()
        rc, err = nginx_signal(self.ngx, 'reload')
        self.assertEqual(rc, 0, err)
        m = self.wait_reload(old, lambda m: m.get(
            'rtk_policy_loaded_timestamp_seconds') >= before.get(
            'rtk_policy_loaded_timestamp_seconds'))
        # wait for the old workers: nothing counts twice or goes missing
        self.ngx.wait_workers(old)
        m = self.scrape()
        for (name, labels), v in before.samples.items():
            if name.startswith('rtk_decisions_total') or name in (
                    'rtk_audit_records_total', 'rtk_audit_bytes_total',
                    'rtk_request_duration_seconds_count',
                    'rtk_upstream_response_seconds_count'):
                self.assertEqual(m.samples.get((name, labels)), v,
                                 (name, labels))
        self.assertEqual(m.get('rtk_policy_last_reload_success'), 1)
        self.assertEqual(self.req().status, 200)
        m2 = wait_metrics(self.port, lambda x: x.decision('allow', 0)
                          > m.decision('allow', 0))
        self.assertEqual(m2.decision('allow', 0) - m.decision('allow', 0), 1)

    def test_refused_reload(self):
        path = os.path.join(self.dir, 'policy.json')
        with open(path, 'rb') as f:
            good = f.read()
        sha = hashlib.sha256(good).hexdigest()
        before = self.quiet()
        self.assertEqual(before.get('rtk_policy_last_reload_success'), 1)
        n_emerg = self.ngx.log().count('invalid policy')
        try:
            with open(path, 'wb') as f:
                f.write(b'{"mode": "enforce", "accounts": {"*": ')
            # "nginx -s reload" reads the configuration itself first and
            # refuses it (exit 1); a SIGHUP reaches the master
            rc, err = nginx_signal(self.ngx, 'reload')
            self.assertEqual(rc, 1, err)
            self.assertIn('invalid policy', err)
            self.assertEqual(self.scrape().get(
                'rtk_policy_last_reload_success'), 1)
            self.ngx.reload()
            end = time.time() + 10
            while self.ngx.log().count('invalid policy') == n_emerg \
                    and time.time() < end:
                time.sleep(0.05)
            m = self.scrape()
            # the old configuration serves, and says the reload failed
            self.assertEqual(m.get('rtk_policy_last_reload_success'), 0)
            self.assertEqual(m.get('rtk_policy_info', sha256=sha), 1)
            self.assertEqual(m.get('rtk_policy_loaded_timestamp_seconds'),
                             before.get('rtk_policy_loaded_timestamp_seconds'))
            self.assertEqual(self.req().status, 200)
        finally:
            with open(path, 'wb') as f:
                f.write(good)
        old = self.ngx.live_workers()
        rc, err = nginx_signal(self.ngx, 'reload')
        self.assertEqual(rc, 0, err)
        m = self.wait_reload(old, lambda m: m.get(
            'rtk_policy_last_reload_success') == 1)
        self.assertEqual(m.get('rtk_policy_info', sha256=sha), 1)
        self.ngx.wait_workers(old)

    def test_reload_refused_by_master(self):
        # nginx -s reload reads the configuration and is content; only
        # the master finds the new listen address taken
        busy = socket.socket()
        busy.bind(('127.0.0.1', 0))
        busy.listen(1)
        with open(self.ngx.conf) as f:
            conf = f.read()
        before = self.quiet()
        try:
            listen = 'listen 127.0.0.1:%d;' % self.port
            with open(self.ngx.conf, 'w') as f:
                f.write(conf.replace(listen, listen + ' listen 127.0.0.1:%d;'
                                     % busy.getsockname()[1], 1))
            n = self.ngx.log().count('still could not bind')
            rc, err = nginx_signal(self.ngx, 'reload')
            self.assertEqual(rc, 0, err)
            end = time.time() + 10
            while self.ngx.log().count('still could not bind') == n \
                    and time.time() < end:
                time.sleep(0.1)
            m = self.scrape()
            self.assertEqual(m.get('rtk_policy_last_reload_success'), 0)
            self.assertEqual(m.get('rtk_policy_loaded_timestamp_seconds'),
                             before.get('rtk_policy_loaded_timestamp_seconds'))
            self.assertEqual(self.req().status, 200)
        finally:
            with open(self.ngx.conf, 'w') as f:
                f.write(conf)
            busy.close()
        old = self.ngx.live_workers()
        rc, err = nginx_signal(self.ngx, 'reload')
        self.assertEqual(rc, 0, err)
        self.wait_reload(old, lambda m: m.get(
            'rtk_policy_last_reload_success') == 1)
        self.ngx.wait_workers(old)


class Config(GatewayCase):
    """What nginx -t accepts and refuses."""

    HTTP_CONF = server(METRICS_LOCATION)

    def t(self, http_conf):
        return nginx_t(http_conf, {'UP': self.up.port, 'PORT': free_port(),
                                   'TOKEN_FILE': self.token_file,
                                   'ACCOUNT_TOKEN_FILE':
                                   self.account_token_file,
                                   'ACCOUNT2': ACCOUNT2,
                                   'POLICY': os.path.join(self.dir,
                                                          'policy.json')},
                       name='metrics-conf')

    def test_metrics_without_gateway(self):
        # the zone exists with no gateway: it serves zeros
        r, m = scrape(self.port)
        self.assertEqual(r.status, 200)
        self.assertEqual(m.series('rtk_policy_info'), [])
        self.assertEqual(m.series('rtk_token_info'), [])
        self.assertEqual(m.get('rtk_request_duration_seconds_count'), 0)

    def test_refused(self):
        cases = {
            'in a gateway location': server(gateway_location(
                extra='            rtk_metrics;\n')),
            'twice': server('        location /m {\n'
                            '            rtk_metrics;\n'
                            '            rtk_metrics;\n'
                            '        }\n'),
            'after proxy_pass': server(
                '        location /m {\n'
                '            proxy_pass http://127.0.0.1:%%UP%%;\n'
                '            rtk_metrics;\n'
                '        }\n'),
            'before proxy_pass': server(
                '        location /m {\n'
                '            rtk_metrics;\n'
                '            proxy_pass http://127.0.0.1:%%UP%%;\n'
                '        }\n'),
            'in server': '    server {\n        rtk_metrics;\n    }\n',
        }
        for name, conf in cases.items():
            with self.subTest(name):
                rc, err, _d = self.t(conf)
                self.assertNotEqual(rc, 0, err)
                self.assertIn('rtk_metrics', err)

    def test_gateway_after_metrics(self):
        loc = gateway_location().replace(
            '            rtk_gateway on;\n',
            '            rtk_metrics;\n            rtk_gateway on;\n')
        rc, err, _d = self.t(server(loc))
        self.assertNotEqual(rc, 0, err)
        self.assertIn('rtk_metrics', err)


if __name__ == '__main__':
    main()
