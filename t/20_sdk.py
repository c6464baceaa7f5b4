#!/usr/bin/env python3
#
# Copyright (C) ngx_rtk_module authors
#
# SDK conformance: the official Cloudflare TypeScript SDK (npm
# "cloudflare", the version t/sdk/package-lock.json pins) with its base
# URL at the gateway, and Cloudflare played by a recording upstream over
# verified TLS.  Each of the SDK's six webhook methods runs once for a
# caller the policy allows and once for one it refuses, and each test
# checks three things: what the SDK hands back, the one request the
# upstream saw (method, path, token, canonical body), and the typed error
# a refusal becomes.
#
# Identity: as README.md recommends, the SDK's bearer token is a
# per-caller gateway key, and a map turns it into the caller; the gateway
# must never forward it.  One node process (t/sdk/call.js) makes every
# call of the file, one JSON line in and one out per call; $RTK_NODE
# names another node binary than the one on the PATH.
# "make test" installs node and npm and runs "npm ci" in t/sdk.
#

import json
import os
import select
import shutil
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), 'lib'))

from rtk_harness import (ACCOUNT, APP, EVENTS, T_DIR, TOKEN,  # noqa
                         WEBHOOK, GatewayCase, Reply, full_rule,
                         gateway_location, main, pki, policy_doc, server)


SDK_DIR = os.path.join(T_DIR, 'sdk')
SDK_CALL = os.path.join(SDK_DIR, 'call.js')

ALICE = 'alice@example.com'
MALLORY = 'mallory@example.com'
KEYS = {ALICE: 'gwkey-alice-5f0c2a', MALLORY: 'gwkey-mallory-81d3e7'}

PREFIX = '/client/v4/accounts/%s/realtime/kit/%s/webhooks' % (ACCOUNT, APP)
ONE = PREFIX + '/' + WEBHOOK

MAP = ('    map $http_authorization $rtk_sdk_caller {\n'
       '        default "";\n'
       + ''.join('        "Bearer %s" %s;\n' % (k, c)
                 for c, k in sorted(KEYS.items()))
       + '    }\n')

TLS = ('            proxy_ssl_verify on;\n'
       '            proxy_ssl_verify_depth 2;\n'
       '            proxy_ssl_trusted_certificate %%CA%%;\n'
       '            proxy_ssl_name localhost;\n'
       '            proxy_ssl_server_name on;\n')

# the canonical order of events: the edit page's enum, as the gateway
# documents it (README.md, "the body re-serialized canonically")
ORDER = {e: i for i, e in enumerate(EVENTS)}

STAMPS = {'created_at': '2024-01-02T03:04:05.678Z',
          'updated_at': '2024-05-06T07:08:09.123Z'}


def webhook(wid=WEBHOOK, name='sdk hook',
            url='https://hooks.example.com/sdk',
            events=('meeting.started', 'meeting.ended'), enabled=True):
    """A webhook object as RealtimeKit returns it."""
    w = {'id': wid, 'name': name, 'url': url, 'events': list(events),
         'enabled': enabled}
    w.update(STAMPS)
    return w


def canonical(fields):
    """The body the gateway sends upstream: keys enabled, events, name,
    url; events in documented order; no whitespace."""
    out = {}
    for k in ('enabled', 'events', 'name', 'url'):
        if k in fields:
            v = fields[k]
            if k == 'events':
                v = sorted(v, key=ORDER.__getitem__)
            out[k] = v
    return json.dumps(out, separators=(',', ':'),
                      ensure_ascii=False).encode('utf-8')


def node_binary():
    return os.environ.get('RTK_NODE') or shutil.which('node')


def sdk_problem():
    """Why the SDK cannot run here, or None."""
    if not node_binary():
        return ('node is not installed: "make test" installs Debian\'s '
                'nodejs and npm (or: apt-get install nodejs npm)')
    pinned = os.path.join(SDK_DIR, 'package-lock.json')
    have = os.path.join(SDK_DIR, 'node_modules', 'cloudflare',
                        'package.json')
    if not os.path.exists(have):
        return ('%s/node_modules is missing: "make test" runs "npm ci" '
                'there (or: cd t/sdk && npm ci)' % SDK_DIR)
    with open(pinned) as f:
        want = json.load(f)['packages']['node_modules/cloudflare']['version']
    with open(have) as f:
        got = json.load(f)['version']
    if got != want:
        return ('t/sdk/node_modules has cloudflare %s, package-lock.json '
                'pins %s: run "npm ci" in t/sdk' % (got, want))
    return None


class SdkWebhooks(GatewayCase):

    HTTP_CONF = MAP + server(gateway_location(
        identity='$rtk_sdk_caller', proxy='https://127.0.0.1:%%UP%%',
        extra=TLS))

    @classmethod
    def setUpClass(cls):
        if os.environ.get('RTK_SKIP_SDK'):
            raise unittest.SkipTest('RTK_SKIP_SDK is set: the official SDK '
                                    'was not installed')
        why = sdk_problem()
        if why:
            raise RuntimeError('SDK conformance cannot run: ' + why)
        p = pki()
        cls.UPSTREAM_TLS = (p.localhost, p.localhost_key)
        super().setUpClass()
        env = {k: v for k, v in os.environ.items()
               if not k.startswith('CLOUDFLARE_')}
        env['NODE_NO_WARNINGS'] = '1'
        cls.node_log = os.path.join(cls.dir, 'node.stderr')
        with open(cls.node_log, 'wb') as err:
            cls.node = subprocess.Popen(
                [node_binary(), SDK_CALL], env=env, cwd=SDK_DIR,
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err)
        cls.addClassCleanup(cls.stop_node)

    @classmethod
    def stop_node(cls):
        try:
            cls.node.stdin.close()
            cls.node.wait(5)
        except (OSError, subprocess.TimeoutExpired):
            cls.node.kill()
            cls.node.wait()

    @classmethod
    def conf_vars(cls):
        return {'CA': pki().ca}

    @classmethod
    def policy(cls):
        rule = full_rule(editors=(ALICE,))
        for k in ('readers', 'creators', 'deleters'):
            rule[k] = [ALICE]
        return policy_doc(apps={APP: rule})

    def setUp(self):
        # replies another test queued but never used must not leak
        self.up.set_default(None)

    # the SDK

    def sdk(self, caller, method, *args):
        """One SDK call as caller: the parsed line call.js answers."""
        spec = {'base_url': 'http://127.0.0.1:%d/client/v4' % self.port,
                'api_token': KEYS[caller], 'method': method,
                'args': list(args)}
        node = self.node
        try:
            node.stdin.write(json.dumps(spec).encode() + b'\n')
            node.stdin.flush()
        except BrokenPipeError:
            self.node_failed(method, 'exited')
        line = b''
        end = time.time() + 20
        while not line.endswith(b'\n'):
            left = end - time.time()
            ready = left > 0 and select.select([node.stdout], [], [], left)[0]
            if not ready:
                self.node_failed(method, 'no answer in 20 s')
            chunk = os.read(node.stdout.fileno(), 65536)
            if not chunk:
                self.node_failed(method, 'exited')
            line += chunk
        return json.loads(line.decode('utf-8'))

    def node_failed(self, method, what):
        with open(self.node_log, 'rb') as f:
            err = f.read().decode('utf-8', 'replace')
        self.fail('t/sdk/call.js, %s: %s; its stderr: %s' % (
            method, what, err or '(empty)'))

    def allowed(self, method, args, reply_status, data, want_method,
                want_path, want_body):
        """alice's call: the SDK resolves to Cloudflare's answer, and the
        upstream saw exactly the rebuilt request."""
        answer = {'success': True, 'data': data}
        self.up.reply(Reply(reply_status, json.dumps(
            answer, separators=(',', ':')).encode()))
        before = self.up.count()
        out = self.sdk(ALICE, method, *args)
        self.assertTrue(out['ok'], 'SDK %s raised: %r' % (
            method, out.get('error')))
        self.assertEqual(out['result'], answer)
        self.assertEqual(out['result']['data'], data)
        self.assertEqual(self.up.count(), before + 1,
                         'upstream requests: %r' % (self.up.since(before),))
        up = self.up.last()
        self.assertEqual(up.method, want_method)
        self.assertEqual(up.target, want_path)
        self.assertNotIn('?', up.target)
        self.assertEqual(up.header_all('Authorization'), ['Bearer ' + TOKEN])
        for name in ('X-Auth-Key', 'X-Auth-Email', 'X-Auth-User-Service-Key'):
            self.assertEqual(up.header_all(name), [], name)
        for k, v in up.headers:
            for key in KEYS.values():
                self.assertNotIn(key, v, 'gateway key sent upstream in ' + k)
        if want_body is None:
            self.assertEqual(up.body, b'')
            self.assertIsNone(up.header('Transfer-Encoding'))
            self.assertIn(up.header('Content-Length'), (None, '0'))
        else:
            self.assertEqual(up.body, want_body)
            self.assertEqual(up.header('Content-Length'),
                             str(len(want_body)))
            ct = up.header('Content-Type') or ''
            self.assertEqual(ct.split(';')[0].strip().lower(),
                             'application/json')
        return out, up

    def denied(self, method, args, code):
        """mallory's call: a PermissionDeniedError carrying the code, and
        nothing reached the upstream."""
        before = self.up.count()
        out = self.sdk(MALLORY, method, *args)
        self.assertFalse(out['ok'], 'SDK %s returned %r' % (
            method, out.get('result')))
        e = out['error']
        self.assertEqual(e['class'], 'PermissionDeniedError', e)
        self.assertIn('APIError', e['classes'])
        self.assertEqual(e['status'], 403, e)
        self.assertEqual(len(e['errors']), 1, e)
        self.assertEqual(e['errors'][0]['code'], code, e)
        self.assertIsInstance(e['errors'][0]['message'], str)
        self.assertTrue(e['errors'][0]['message'])
        self.assertIs(e['error']['success'], False)
        time.sleep(0.02)
        self.assertEqual(self.up.count(), before,
                         'upstream was called: %r' % (self.up.since(before),))
        return e

    # list: getWebhooks(appId, {account_id})

    def test_list_allowed(self):
        data = [webhook(),
                webhook('0d1f069d-43bb-489a-ad8c-7eb95592ba8e', 'second',
                        'https://hooks.example.com/sdk/2',
                        ['meeting.summary'], False)]
        self.allowed('getWebhooks', [APP, {'account_id': ACCOUNT}],
                     200, data, 'GET', PREFIX, None)

    def test_list_denied(self):
        self.denied('getWebhooks', [APP, {'account_id': ACCOUNT}], 40309)

    # create: createWebhook(appId, {account_id, name, url, events, enabled?})

    def test_create_allowed(self):
        # enabled left out, events out of documented order
        fields = {'name': 'sdk created',
                  'url': 'https://hooks.example.com/sdk/created',
                  'events': ['meeting.summary', 'recording.statusUpdate',
                             'meeting.started']}
        want = dict(fields, enabled=True)
        self.assertEqual(
            canonical(want),
            b'{"enabled":true,"events":["meeting.started",'
            b'"recording.statusUpdate","meeting.summary"],'
            b'"name":"sdk created",'
            b'"url":"https://hooks.example.com/sdk/created"}')
        data = webhook('3b1f2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
                       fields['name'], fields['url'],
                       sorted(fields['events'], key=ORDER.__getitem__))
        self.allowed('createWebhook',
                     [APP, dict(fields, account_id=ACCOUNT)],
                     201, data, 'POST', PREFIX, canonical(want))

    def test_create_denied(self):
        self.denied('createWebhook',
                    [APP, {'account_id': ACCOUNT, 'name': 'mine',
                           'url': 'https://hooks.example.com/sdk/m',
                           'events': ['meeting.started']}], 40310)

    # get: getWebhookByID(webhookId, {account_id, app_id})

    def test_get_allowed(self):
        self.allowed('getWebhookByID',
                     [WEBHOOK, {'account_id': ACCOUNT, 'app_id': APP}],
                     200, webhook(), 'GET', ONE, None)

    def test_get_denied(self):
        self.denied('getWebhookByID',
                    [WEBHOOK, {'account_id': ACCOUNT, 'app_id': APP}],
                    40309)

    # replace: replaceWebhook(webhookId, {account_id, app_id, name, url,
    # events, enabled?})

    def test_replace_allowed(self):
        fields = {'url': 'https://hooks.example.com/sdk/replaced',
                  'name': 'sdk replaced',
                  'events': ['meeting.ended', 'meeting.started']}
        want = dict(fields, enabled=True)
        self.assertEqual(
            canonical(want),
            b'{"enabled":true,"events":["meeting.started",'
            b'"meeting.ended"],"name":"sdk replaced",'
            b'"url":"https://hooks.example.com/sdk/replaced"}')
        data = webhook(WEBHOOK, fields['name'], fields['url'],
                       ['meeting.started', 'meeting.ended'])
        self.allowed('replaceWebhook',
                     [WEBHOOK, dict(fields, account_id=ACCOUNT,
                                    app_id=APP)],
                     200, data, 'PUT', ONE, canonical(want))

    def test_replace_denied(self):
        self.denied('replaceWebhook',
                    [WEBHOOK, {'account_id': ACCOUNT, 'app_id': APP,
                               'name': 'mine',
                               'url': 'https://hooks.example.com/sdk/m',
                               'events': ['meeting.started']}], 40302)

    # edit: editWebhook(webhookId, {account_id, app_id, name?, url?,
    # events?, enabled?})

    def test_edit_allowed(self):
        # the SDK's own example: path parameters only, so the body is {}
        self.allowed('editWebhook',
                     [WEBHOOK, {'account_id': ACCOUNT, 'app_id': APP}],
                     200, webhook(), 'PATCH', ONE, b'{}')

    def test_edit_fields_allowed(self):
        # only the given fields, in canonical order; no enabled filled in
        fields = {'name': 'sdk renamed',
                  'events': ['meeting.summary', 'meeting.started']}
        data = webhook(WEBHOOK, fields['name'],
                       events=['meeting.started', 'meeting.summary'])
        self.allowed('editWebhook',
                     [WEBHOOK, dict(fields, account_id=ACCOUNT,
                                    app_id=APP)],
                     200, data, 'PATCH', ONE,
                     b'{"events":["meeting.started","meeting.summary"],'
                     b'"name":"sdk renamed"}')

    def test_edit_denied(self):
        self.denied('editWebhook',
                    [WEBHOOK, {'account_id': ACCOUNT, 'app_id': APP,
                               'name': 'mine'}], 40302)

    # delete: deleteWebhook(webhookId, {account_id, app_id})

    def test_delete_allowed(self):
        self.allowed('deleteWebhook',
                     [WEBHOOK, {'account_id': ACCOUNT, 'app_id': APP}],
                     200, webhook(), 'DELETE', ONE, None)

    def test_delete_denied(self):
        self.denied('deleteWebhook',
                    [WEBHOOK, {'account_id': ACCOUNT, 'app_id': APP}],
                    40311)


if __name__ == '__main__':
    main()
