#!/usr/bin/env python3
#
# Copyright (C) ngx_rtk_module authors
#
# Group commit: the records one worker makes in one turn of its event
# loop are chained and written together, and a forwarded request still
# waits for its own decision record: the upstream never sees a request
# whose decision is not in the file yet.  With many requests at once
# there are fewer writes than records; the chain verifies; fail=closed
# answers 503 to every request of a batch that could not be written.
#

import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), 'lib'))

from rtk_harness import (TOKEN, NginxTuned, Upstream,  # noqa: E402
                         build, concurrently, gateway_location, main,
                         policy_doc,
                         request, server, test_dir, wh_path, write_policy,
                         verify_audit, write_key, write_token_file)
from rtk_metrics import scrape  # noqa: E402


KEY = 'g' * 48 + '\n'
CALLER = 'alice@example.com'
CLIENTS = 16
EACH = 12


class CheckingUpstream(Upstream):
    """Looks in the audit file for the decision of every request it is
    sent, at the moment the request arrives."""

    def __init__(self, audit_path):
        self.audit_path = audit_path
        self.missing = []
        self.seen = 0
        super().__init__()

    def _read_request(self, c, buf, n):
        req, buf = super()._read_request(c, buf, n)
        if req is not None:
            rid = req.header('X-Request-Id')
            with open(self.audit_path, 'rb') as f:
                data = f.read()
            found = any(json.loads(line).get('request_id') == rid
                        and json.loads(line).get('type') == 'decision'
                        for line in data.split(b'\n') if line)
            with self.lock:
                self.seen += 1
                if not found:
                    self.missing.append(rid)
        return req, buf


class GroupCommit(unittest.TestCase):

    def start(self, fail='fail=closed'):
        self.dir = test_dir('group-' + self._testMethodName)
        self.audit = os.path.join(self.dir, 'audit.log')
        open(self.audit, 'w').close()
        self.up = CheckingUpstream(self.audit)
        self.addCleanup(self.up.stop)
        token = write_token_file(os.path.join(self.dir, 'default.token'),
                                 TOKEN + '\n')
        self.key = write_key(os.path.join(self.dir, 'audit.key'), KEY)
        policy = write_policy(os.path.join(self.dir, 'policy.json'),
                              policy_doc())
        conf = server('        location = /metrics {\n'
                      '            rtk_metrics;\n'
                      '        }\n'
                      + gateway_location(
                          audit='%%DIR%%/audit.log key=%%DIR%%/audit.key '
                          + fail, tokens=False,
                          extra='            rtk_token_file '
                          '%%TOKEN_FILE%%;\n'))
        # one worker: every request of a burst meets the same batch
        self.ngx = NginxTuned(conf, {'UP': self.up.port,
                                     'TOKEN_FILE': token,
                                     'POLICY': policy},
                              dir=self.dir, workers=1)
        self.addCleanup(self.check_log)
        self.addCleanup(self.ngx.stop)
        self.ngx.start()

    def check_log(self):
        self.ngx.stop()
        self.assertEqual(self.ngx.log_problems(
            (r'writing audit log .* failed',)), [])

    def burst(self):
        """CLIENTS threads, each sending EACH edits: the statuses."""
        return concurrently(CLIENTS, EACH, lambda: request(
            self.ngx.port, build('PATCH', wh_path(), {'enabled': True},
                                 [('X-Caller', CALLER)])).status)

    def test_decision_before_forward_under_load(self):
        self.start()
        _r, before = scrape(self.ngx.port)
        statuses = self.burst()
        n = CLIENTS * EACH
        self.assertEqual(statuses, [200] * n)
        self.assertEqual(self.up.seen, n)
        # every request the upstream saw had its decision in the file
        self.assertEqual(self.up.missing, [])

        self.ngx.stop()
        with open(self.audit, 'rb') as f:
            recs = [json.loads(x) for x in f.read().split(b'\n') if x]
        kinds = [r['type'] for r in recs if r['type'] in ('decision',
                                                          'outcome')]
        self.assertEqual((kinds.count('decision'), kinds.count('outcome')),
                         (n, n))
        rc, out = verify_audit([self.audit], self.key)
        self.assertEqual(rc, 0, out)

    def test_fewer_writes_than_records(self):
        self.start()
        _r, before = scrape(self.ngx.port)
        self.burst()
        _r, after = scrape(self.ngx.port)
        records = (after.get('rtk_audit_records_total')
                   - before.get('rtk_audit_records_total'))
        writes = (after.get('rtk_audit_writes_total')
                  - before.get('rtk_audit_writes_total'))
        # the outcome records of the last answers may still be on their
        # way; what was counted was counted together
        self.assertGreaterEqual(records, CLIENTS * EACH)
        self.assertGreater(writes, 0)
        self.assertLess(writes, records)
        self.assertEqual(after.get('rtk_audit_write_failures_total'), 0)

    def test_one_request_one_write_each(self):
        # alone, a request's decision goes out in its own turn: it does
        # not wait for anyone
        self.start()
        _r, before = scrape(self.ngx.port)
        r = request(self.ngx.port, build('PATCH', wh_path(),
                                         {'enabled': True},
                                         [('X-Caller', CALLER)]))
        self.assertEqual(r.status, 200)
        self.ngx.stop()
        self.assertEqual(self.up.missing, [])
        with open(self.audit, 'rb') as f:
            recs = [json.loads(x) for x in f.read().split(b'\n') if x]
        self.assertEqual([x['type'] for x in recs
                          if x['type'] in ('decision', 'outcome')],
                         ['decision', 'outcome'])

    def test_fail_closed_refuses_the_batch(self):
        self.start()
        # the file cannot be written: every request of the burst is
        # refused, none reaches the upstream
        self.ngx_audit_unwritable()
        statuses = self.burst()
        self.assertEqual(set(statuses), {503})
        self.assertEqual(self.up.seen, 0)
        self.ngx.stop()

    def ngx_audit_unwritable(self):
        # a full device refuses every write: /dev/full stands in for the
        # audit file through a symlink, and "nginx -s reopen" opens it
        os.rename(self.audit, self.audit + '.old')
        os.symlink('/dev/full', self.audit)
        os.kill(self.ngx.pid, 10)       # SIGUSR1: reopen
        time.sleep(0.5)


if __name__ == '__main__':
    main()
