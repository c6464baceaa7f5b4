#!/usr/bin/env python3
#
# Copyright (C) ngx_rtk_module authors
#
# Configuration checks with nginx -t: token files, required directives,
# the policy file.  Every failure message names the offending file.
#

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), 'lib'))

from rtk_harness import (APP, TOKEN, TOKEN_SPARE, gateway_location,  # noqa
                         main, nginx_t, policy_doc, server, test_dir,
                         write_policy, write_token_file, free_port)


class Config(unittest.TestCase):

    maxDiff = 4000

    def check(self, location=None, token=TOKEN + '\n', mode=0o600,
              policy=None, account_token=TOKEN_SPARE + '\n',
              account_mode=0o600, extra_http=''):
        d = test_dir('conf-' + self._testMethodName)
        tf = write_token_file(os.path.join(d, 'default.token'), token, mode)
        af = write_token_file(os.path.join(d, 'account.token'),
                              account_token, account_mode)
        pf = write_policy(os.path.join(d, 'policy.json'),
                          policy if policy is not None else policy_doc())
        loc = location if location is not None else gateway_location()
        v = {'TOKEN_FILE': tf, 'ACCOUNT_TOKEN_FILE': af, 'POLICY': pf,
             'UP': free_port(), 'PORT': free_port(),
             'ACCOUNT2': 'fedcba9876543210fedcba9876543210'}
        rc, err, _d = nginx_t(extra_http + server(loc), v, dir=d)
        return rc, err, tf, af, pf

    def fails(self, needle, **kw):
        rc, err, tf, af, pf = self.check(**kw)
        self.assertNotEqual(rc, 0, err)
        self.assertIn('[emerg]', err)
        named = {'TOKEN': tf, 'ACCOUNT': af, 'POLICY': pf}.get(needle,
                                                               needle)
        if named:
            self.assertIn(named, err)
        for t in (TOKEN, TOKEN_SPARE):
            self.assertNotIn(t, err)
        return err

    def test_valid(self):
        rc, err, *_ = self.check()
        self.assertEqual(rc, 0, err)
        self.assertIn('test is successful', err)

    def test_token_mode_0400_ok(self):
        rc, err, *_ = self.check(mode=0o400)
        self.assertEqual(rc, 0, err)

    def test_token_without_newline_ok(self):
        rc, err, *_ = self.check(token=TOKEN)
        self.assertEqual(rc, 0, err)

    def test_token_crlf_ok(self):
        rc, err, *_ = self.check(token=TOKEN + '\r\n')
        self.assertEqual(rc, 0, err)

    def test_token_mode_0644(self):
        self.fails('TOKEN', mode=0o644)

    def test_token_mode_0640(self):
        self.fails('TOKEN', mode=0o640)

    def test_token_mode_0604(self):
        self.fails('TOKEN', mode=0o604)

    def test_token_mode_0610(self):
        self.fails('TOKEN', mode=0o610)

    def test_account_token_mode_0644(self):
        self.fails('ACCOUNT', account_mode=0o644)

    def test_token_empty(self):
        self.fails('TOKEN', token='')

    def test_token_only_newline(self):
        self.fails('TOKEN', token='\n')

    def test_token_two_lines(self):
        self.fails('TOKEN', token=TOKEN + '\n' + TOKEN_SPARE + '\n')

    def test_token_two_lines_blank_between(self):
        self.fails('TOKEN', token=TOKEN + '\n\n' + TOKEN_SPARE)

    def test_token_bad_chars(self):
        for bad in (TOKEN + ' x\n', TOKEN + '!\n', '"' + TOKEN + '"\n',
                    TOKEN + '\t\n', 'Bearer ' + TOKEN + '\n', TOKEN + '\r',
                    TOKEN + '\rx\n', ' ' + TOKEN + '\n',
                    TOKEN[:10] + '\x00' + TOKEN[10:] + '\n',
                    TOKEN + '\u00e9\n'):
            with self.subTest(token=repr(bad.replace(TOKEN, 'TOKEN'))):
                self.fails('TOKEN', token=bad)

    def test_token_file_missing(self):
        loc = gateway_location(tokens=False, extra=(
            '            rtk_token_file %%DIR%%/nope.token;\n'))
        err = self.fails('nope.token', location=loc)

    def test_token_bad_account_id(self):
        loc = gateway_location(tokens=False, extra=(
            '            rtk_token_file %%TOKEN_FILE%% NOTANACCOUNT;\n'))
        self.fails('NOTANACCOUNT', location=loc)

    def test_token_duplicate_default(self):
        loc = gateway_location(extra=(
            '            rtk_token_file %%ACCOUNT_TOKEN_FILE%%;\n'))
        self.fails(None, location=loc)

    def test_missing_proxy_pass(self):
        err = self.fails('proxy_pass', location=gateway_location(proxy=None))

    def test_missing_audit_log(self):
        self.fails('rtk_audit_log', location=gateway_location(audit=None))

    def test_missing_identity(self):
        self.fails('rtk_identity', location=gateway_location(identity=None))

    def test_missing_token_file(self):
        self.fails('rtk_token_file', location=gateway_location(tokens=False))

    def test_audit_log_unwritable(self):
        loc = gateway_location(audit='/nonexistent-dir/rtk/audit.log')
        self.fails('/nonexistent-dir/rtk/audit.log', location=loc)

    def test_policy_syntax(self):
        err = self.fails('POLICY', policy='{"version": 1, "apps": [')

    def test_policy_not_json_object(self):
        self.fails('POLICY', policy='[]')

    def test_policy_empty_file(self):
        self.fails('POLICY', policy='')

    def test_policy_unknown_event(self):
        doc = policy_doc()
        doc['accounts']['*']['apps'][APP]['events'] = ['meeting.nope']
        self.fails('POLICY', policy=doc)

    def test_policy_bad_url_pattern(self):
        doc = policy_doc()
        doc['accounts']['*']['apps'][APP]['urls'] = ['ftp://x']
        self.fails('POLICY', policy=doc)

    def test_policy_unknown_key(self):
        doc = policy_doc()
        doc['accounts']['*']['apps'][APP]['admins'] = ['x']
        self.fails('POLICY', policy=doc)

    def test_policy_bad_account_key(self):
        self.fails('POLICY', policy=policy_doc(accounts={
            'NOTHEX': {'apps': {APP: {'editors': ['a']}}}}))

    def test_policy_empty_editors(self):
        doc = policy_doc()
        doc['accounts']['*']['apps'][APP]['editors'] = []
        self.fails('POLICY', policy=doc)

    def test_policy_missing_file(self):
        loc = gateway_location(policy='%%DIR%%/missing-policy.json')
        self.fails('missing-policy.json', location=loc)

    def test_gateway_off_needs_nothing(self):
        loc = ('        location / {\n'
               '            rtk_gateway off;\n'
               '            return 204;\n'
               '        }\n')
        rc, err, *_ = self.check(location=loc)
        self.assertEqual(rc, 0, err)


if __name__ == '__main__':
    main()
