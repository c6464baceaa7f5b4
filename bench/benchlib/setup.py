#
# Copyright (C) ngx_rtk_module authors
#
# What the benchmark runs: the request it sends, the nginx configurations
# of every target (the stand-in upstream, bare proxy_pass, the gateway,
# the njs gateway of bench/njs/) and the files they read.
#
# Python 3 standard library only.
#

import json
import os

from .procs import HOST


BENCH = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NJS_DIR = os.path.join(BENCH, 'njs')
# Debian's libnginx-mod-http-js
NJS_MODULE = os.environ.get('RTK_NJS_MODULE',
                            '/usr/lib/nginx/modules/ngx_http_js_module.so')


ACCOUNT = '023e105f4ecef8ad9ca31a8372d0c353'
APP = '14a396e7-ca44-4937-bf1f-050a69118543'
WEBHOOK = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee'
PATH = ('/client/v4/accounts/%s/realtime/kit/%s/webhooks/%s'
        % (ACCOUNT, APP, WEBHOOK))
CALLER = 'alice@example.com'
DENIED_CALLER = 'mallory@example.com'
TOKEN = 'rtkBenchToken0123456789abcdefABCDEF_-.x'
AUDIT_KEY = 'rtkBenchAuditKey0123456789abcdef'

BODY = ('{"name": "Production meeting hooks", '
        '"url": "https://hooks.example.com/rtk", '
        '"events": ["meeting.ended", "meeting.started", '
        '"recording.statusUpdate", "meeting.participantJoined"], '
        '"enabled": true}')

# what api.cloudflare.com answers to a successful edit
UPSTREAM_BODY = json.dumps({
    'result': {
        'id': WEBHOOK, 'name': 'Production meeting hooks',
        'url': 'https://hooks.example.com/rtk',
        'events': ['meeting.started', 'meeting.ended',
                   'meeting.participantJoined', 'recording.statusUpdate'],
        'enabled': True, 'created_at': '2025-01-01T00:00:00.000Z',
        'updated_at': '2025-06-01T12:00:00.000Z'},
    'success': True, 'errors': [], 'messages': []},
    separators=(',', ':'))

EVENTS = ['meeting.started', 'meeting.ended', 'meeting.participantJoined',
          'meeting.participantLeft', 'recording.statusUpdate',
          'livestreaming.statusUpdate', 'meeting.chatSynced',
          'meeting.transcript', 'meeting.summary']

_running = []               # every process we started and must stop


def upstream_block(up_port):
    return ('    upstream cloudflare_api {\n'
            '        server %s:%d;\n'
            '        keepalive 16;\n'
            '        keepalive_requests 1000000;\n'
            '    }\n' % (HOST, up_port))


PROXY = ('            proxy_pass http://cloudflare_api;\n'
         '            proxy_http_version 1.1;\n'
         '            proxy_set_header Connection "";\n'
         '            proxy_set_header Host api.cloudflare.com;\n')


def upstream_conf():
    return ('    server {\n'
            '        listen %s:%%PORT%%;\n'
            '        location / {\n'
            '            default_type application/json;\n'
            "            return 200 '%s';\n"
            '        }\n'
            '    }\n' % (HOST, UPSTREAM_BODY))


def bare_conf(up_port):
    return (upstream_block(up_port)
            + '    server {\n'
            '        listen %s:%%PORT%%;\n'
            '        location / {\n' % HOST
            + PROXY
            + '            proxy_set_header Authorization "Bearer %s";\n'
            % TOKEN
            + '        }\n    }\n')


def rtk_conf(up_port, files, audit):
    return (upstream_block(up_port)
            + '    server {\n'
            '        listen %s:%%PORT%%;\n'
            '        location / {\n'
            '            rtk_gateway on;\n'
            '            rtk_identity $http_x_caller;\n'
            '            rtk_policy %s;\n'
            '            rtk_token_file %s;\n'
            '            rtk_audit_log %s;\n'
            % (HOST, files['policy'], files['token'], audit)
            + PROXY
            + '        }\n    }\n')


def njs_conf(up_port, njs_dir):
    """The njs gateway: js_content checks, then a subrequest to an
    internal location that proxies the rebuilt request with the token
    (njs_dir holds rtk_policy.js, write_njs_policy())."""
    return (upstream_block(up_port)
            + '    js_path %s;\n' % njs_dir
            + '    js_path %s;\n' % NJS_DIR
            + '    js_import gateway from gateway.js;\n'
            '    server {\n'
            '        listen %s:%%PORT%%;\n' % HOST
            + '        location / {\n'
            '            js_content gateway.edit;\n'
            '        }\n'
            '        location /_cf/ {\n'
            '            internal;\n'
            '            proxy_pass http://cloudflare_api/;\n'
            '            proxy_http_version 1.1;\n'
            '            proxy_pass_request_headers off;\n'
            '            proxy_set_header Connection "";\n'
            '            proxy_set_header Host api.cloudflare.com;\n'
            '            proxy_set_header Authorization "Bearer %s";\n' % TOKEN
            + '            proxy_set_header Content-Type application/json;\n'
            '        }\n'
            '    }\n')


def write_secret(path, value):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as f:
        f.write(value + '\n')
    os.chmod(path, 0o600)
    return path


def app_id(i):
    return '%08x-%04x-4%03x-8%03x-%012x' % (
        i & 0xffffffff, (i * 7) & 0xffff, (i * 13) & 0xfff,
        (i * 17) & 0xfff, (i * 2654435761) & 0xffffffffffff)


def app_rule(i):
    return {'editors': ['@platform', '@automation', 'svc-%d' % (i % 1000)],
            'enablers': ['@platform'],
            'urls': ['https://hooks.example.com/rtk',
                     'https://*.hooks.example.net'],
            'events': ['meeting.started', 'meeting.ended',
                       'meeting.participantJoined',
                       'recording.statusUpdate'],
            'fields': {'@automation': ['events', 'name']}}


def write_policy(path, apps):
    """The bench app plus apps-1 generated ones (examples/policy.json)."""
    rules = {APP: app_rule(0)}
    for i in range(1, apps):
        rules[app_id(i)] = app_rule(i)
    doc = {'mode': 'enforce',
           'groups': {'platform': [CALLER, 'bob@example.com'],
                      'automation': ['ci-bot']},
           'accounts': {ACCOUNT: {'apps': rules}}}
    with open(path, 'w') as f:
        json.dump(doc, f, separators=(',', ':'))
    return path


def write_njs_policy(policy, njs_dir):
    """rtk_policy.js for the njs gateway: the same policy as a module."""
    os.makedirs(njs_dir, exist_ok=True)
    with open(policy) as f:
        doc = f.read()
    with open(os.path.join(njs_dir, 'rtk_policy.js'), 'w') as f:
        f.write('export default ' + doc.strip() + ';\n')
    return njs_dir
