#!/usr/bin/env python3
#
# Copyright (C) ngx_rtk_module authors
#
# Policy decisions through nginx: every deny code answers 403 with the
# envelope and nothing reaches the upstream; report-only forwards and the
# audit record says would_deny.
#

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), 'lib'))

from rtk_harness import (ACCOUNT, ACCOUNT2, ACCOUNT3, APP, APP2,  # noqa
                         APP_HEX, EVENTS, TOKEN_ACCOUNT, GatewayCase,
                         gateway_location, policy_doc, server, main,
                         wh_path)


ALICE = 'alice@example.com'
CAROL = 'carol@example.com'
DAVE = 'dave@example.com'
MALLORY = 'mallory@example.com'

NO_DEFAULT_TOKEN = gateway_location(tokens=False, extra=(
    '            rtk_token_file %%ACCOUNT_TOKEN_FILE%% %%ACCOUNT2%%;\n'))


class Policy(GatewayCase):

    HTTP_CONF = (server(gateway_location())
                 + server(NO_DEFAULT_TOKEN, listen='127.0.0.1:%%PORT2%%'))

    @classmethod
    def policy(cls):
        app = {
            'editors': [ALICE, CAROL, '@ops'],
            'enablers': [ALICE],
            'disablers': [ALICE, CAROL],
            'urls': ['https://hooks.example.com/rtk/',
                     'https://*.example.net/'],
            'events': ['meeting.started', 'meeting.ended'],
            'fields': {CAROL: ['enabled'], '@ops': ['name', 'enabled']},
        }
        report = {
            'mode': 'report-only',
            'editors': [ALICE],
            'urls': [], 'events': [],
        }
        return policy_doc(groups={'ops': [DAVE]}, accounts={
            ACCOUNT: {'apps': {APP: app, APP2: report}},
            ACCOUNT2: {'apps': {'*': {'editors': [ALICE],
                                      'enablers': [ALICE],
                                      'events': EVENTS,
                                      'urls': ['https://*.example.net/']}}},
        })

    def deny(self, code, caller=ALICE, target=None, body=None, port=None):
        msg, r = self.expect_error(403, code, caller=caller, target=target,
                                   body=body, port=port)
        rid = r.header('X-Request-Id')
        recs = self.records(rid)
        self.assertEqual(len(recs), 1, recs)
        self.assertEqual(recs[0]['decision'], 'deny')
        self.assertEqual(recs[0]['code'], code)
        self.assertEqual(recs[0]['status'], 403)
        return msg, recs[0]

    def allow(self, caller=ALICE, target=None, body=None, port=None):
        before = self.up.count()
        r = self.req(caller=caller, target=target, body=body, port=port)
        up = self.forwarded(r, before)
        rid = r.header('X-Request-Id')
        recs = self.records(rid, type='decision')
        self.assertEqual(recs[0]['decision'], 'allow')
        self.assertEqual(recs[0]['code'], 0)
        return up, recs[0]

    def test_allow_full_change(self):
        up, rec = self.allow(body={
            'enabled': True, 'name': 'x',
            'url': 'https://hooks.example.com/rtk/in',
            'events': ['meeting.ended', 'meeting.started']})
        self.assertEqual(rec['rule'],
                         'accounts.%s.apps.%s' % (ACCOUNT, APP))

    def test_allow_wildcard_url(self):
        self.allow(body={'url': 'https://a.b.example.net/hook'})

    def test_no_rule_for_app(self):
        msg, rec = self.deny(40301, target=wh_path(app=APP_HEX))
        self.assertIn(APP_HEX, msg)

    def test_no_rule_for_account(self):
        self.deny(40301, target=wh_path(account=ACCOUNT3))

    def test_not_editor(self):
        msg, rec = self.deny(40302, caller=MALLORY)
        self.assertIn(MALLORY, msg)

    def test_editor_name_is_exact(self):
        self.deny(40302, caller=ALICE.upper())
        self.deny(40302, caller='x' + ALICE)
        self.deny(40302, caller=ALICE + '.')

    def test_may_not_enable(self):
        self.deny(40303, caller=DAVE, body={'enabled': True})

    def test_may_not_disable(self):
        self.deny(40304, caller=DAVE, body={'enabled': False})

    def test_carol_may_disable(self):
        self.allow(caller=CAROL, body={'enabled': False})

    def test_url_not_allowed(self):
        for url in ('https://evil.example.org/x',
                    'https://hooks.example.com/other',
                    'http://hooks.example.com/rtk/in',
                    'https://hooks.example.com:8443/rtk/in',
                    'https://example.net/'):
            with self.subTest(url=url):
                self.deny(40305, body={'url': url})

    def test_event_not_allowed(self):
        msg, rec = self.deny(40306, body={'events': ['meeting.summary']})
        self.assertIn('meeting.summary', msg)
        self.deny(40306, body={'events': ['meeting.started',
                                          'meeting.transcript']})

    def test_field_not_allowed(self):
        self.deny(40307, caller=CAROL, body={'name': 'n'})
        self.deny(40307, caller=DAVE, body={'url':
                                            'https://hooks.example.com/rtk/'})
        self.allow(caller=DAVE, body={'name': 'ok for ops'})

    def test_no_token_for_account(self):
        self.deny(40308, port=self.ports['PORT2'])

    def test_account_token_location(self):
        up, rec = self.allow(target=wh_path(account=ACCOUNT2),
                             port=self.ports['PORT2'])
        self.assertEqual(up.header('Authorization'),
                         'Bearer ' + TOKEN_ACCOUNT)

    def test_policy_after_body_checks(self):
        # a denied caller with a broken body gets the body error
        self.expect_error(400, 40001, caller=MALLORY, body=b'{')

    def test_report_only_forwards(self):
        target = wh_path(app=APP2)
        before = self.up.count()
        r = self.req(caller=MALLORY, target=target,
                     body={'events': ['meeting.summary']})
        self.forwarded(r, before)
        rid = r.header('X-Request-Id')
        recs = self.records(rid, 2)
        d = [a for a in recs if a['type'] == 'decision']
        self.assertEqual(len(d), 1)
        self.assertEqual(d[0]['decision'], 'would_deny')
        self.assertEqual(d[0]['code'], 40302)
        self.assertTrue(d[0]['reason'])
        o = [a for a in recs if a['type'] == 'outcome']
        self.assertEqual(len(o), 1)
        self.assertEqual(o[0]['upstream_status'], 200)

    def test_report_only_still_checks_request(self):
        # report-only never lets a malformed request through
        self.expect_error(400, 40003, caller=MALLORY,
                          target=wh_path(app=APP2), body=b'{"x":1}')
        self.expect_error(401, 40101, caller=None, target=wh_path(app=APP2))


if __name__ == '__main__':
    main()
