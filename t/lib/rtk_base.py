#
# Copyright (C) ngx_rtk_module authors
#
# The test run: paths, the nginx under test, ids, the tokens of this
# run, temporary directories and ports.  Python 3 standard library.
#

import base64
import os
import re
import secrets
import socket
import string
import subprocess
import sys
import tempfile
import threading


HERE = os.path.dirname(os.path.abspath(__file__))
T_DIR = os.path.dirname(HERE)
REPO = os.path.dirname(T_DIR)

MODULE = os.environ.get(
    'RTK_MODULE', os.path.join(REPO, 'build', 'nginx',
                               'ngx_http_rtk_module.so'))
NGINX = os.environ.get('RTK_NGINX', '/usr/sbin/nginx')
# RTK_VALGRIND=1: nginx (master and forked workers) and nginx -t run under
# valgrind, which logs to DIR/valgrind-PID.log; RTK_VALGRIND=single also
# sets daemon off and master_process off (no reload then).  See
# dev/valgrind-test.sh; more valgrind options via $VALGRIND_OPTS.
VALGRIND = os.environ.get('RTK_VALGRIND', '0') not in ('', '0')
SINGLE = os.environ.get('RTK_VALGRIND') == 'single'

ACCOUNT = '0123456789abcdef0123456789abcdef'
ACCOUNT2 = 'fedcba9876543210fedcba9876543210'
ACCOUNT3 = 'abababababababababababababababab'
APP = '11111111-2222-4333-8444-555555555555'
APP2 = '99999999-8888-4777-8666-555555555555'
APP_HEX = '01234567-89ab-4cde-8f01-23456789abcd'   # a second app
APP_HEX32 = '0123456789abcdef0123456789abcdef'  # not an app id
WEBHOOK = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee'

EVENTS = ['meeting.started', 'meeting.ended', 'meeting.participantJoined',
          'meeting.participantLeft', 'recording.statusUpdate',
          'livestreaming.statusUpdate', 'meeting.chatSynced',
          'meeting.transcript', 'meeting.summary']

HEX32 = re.compile(r'^[0-9a-f]{32}$')


def wh_path(account=ACCOUNT, app=APP, webhook=WEBHOOK, prefix=True):
    p = '/accounts/%s/realtime/kit/%s/webhooks/%s' % (account, app, webhook)
    return ('/client/v4' + p) if prefix else p


# --------------------------------------------------------------------
# run root and secrets

def _make_token():
    alphabet = string.ascii_letters + string.digits
    body = ''.join(secrets.choice(alphabet) for _ in range(36))
    return 'rtkT' + body[:12] + '-' + body[12:24] + '.' + body[24:] + '_x'


if os.environ.get('RTK_TEST_ROOT'):
    ROOT = os.environ['RTK_TEST_ROOT']
    STANDALONE = False
else:
    ROOT = tempfile.mkdtemp(prefix='rtk-it-')
    os.chmod(ROOT, 0o755)
    STANDALONE = True

if STANDALONE and os.path.exists(MODULE):
    # a snapshot: a rebuild must not swap the .so under a running nginx
    import shutil
    _snap = os.path.join(ROOT, 'ngx_http_rtk_module.so')
    shutil.copy2(MODULE, _snap)
    MODULE = _snap

if os.environ.get('RTK_TEST_TOKENS'):
    TOKENS = os.environ['RTK_TEST_TOKENS'].split(',')
else:
    TOKENS = [_make_token() for _ in range(3)]

TOKEN = TOKENS[0]           # default token (rtk_token_file FILE)
TOKEN_ACCOUNT = TOKENS[1]   # per-account token (ACCOUNT2)
TOKEN_SPARE = TOKENS[2]


def run_env():
    """Environment for child test processes sharing this run."""
    env = dict(os.environ)
    env['RTK_TEST_ROOT'] = ROOT
    env['RTK_TEST_TOKENS'] = ','.join(TOKENS)
    env['RTK_MODULE'] = MODULE
    env['PYTHONDONTWRITEBYTECODE'] = '1'
    return env


def nginx_env():
    """The environment for nginx, without the test tokens: nginx copies
    its environment to the heap (for its process titles), where the
    memory scans of t/18 would find them."""
    env = dict(os.environ)
    env.pop('RTK_TEST_TOKENS', None)
    return env


def secret_forms(token):
    """The token, its base64 (all alignments) and hex spellings."""
    t = token.encode()
    forms = {'raw': t, 'hex': t.hex().encode(),
             'HEX': t.hex().upper().encode()}
    n = len(t)
    for k in range(3):
        for enc, tag in ((base64.b64encode, 'b64'),
                         (base64.urlsafe_b64encode, 'b64url')):
            e = enc(b'\0' * k + t + b'\0\0')
            start = -(-8 * k // 6)
            end = (8 * (k + n)) // 6
            frag = e[start:end]
            if len(frag) >= 16:
                forms['%s%d' % (tag, k)] = frag
    return forms


def scan_for_tokens(root=None, tokens=None):
    """Every file under root except the harness's own token files."""
    root = root or ROOT
    tokens = tokens or TOKENS
    patterns = []
    for tok in tokens:
        for tag, form in secret_forms(tok).items():
            patterns.append((tag, form))
    hits = []
    for dirpath, _dirs, files in os.walk(root):
        for f in files:
            path = os.path.join(dirpath, f)
            if f.endswith('.token') or f == 'tokens.list':
                continue
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            try:
                with open(path, 'rb') as fh:
                    data = fh.read()
            except OSError:
                continue
            for tag, form in patterns:
                if form in data:
                    hits.append('%s: token (%s form)' % (path, tag))
    return hits


def test_dir(name):
    d = tempfile.mkdtemp(prefix=name + '-', dir=ROOT)
    os.chmod(d, 0o755)
    return d


def write_token_file(path, value, mode=0o600):
    """Token files end in .token so the scanner skips them."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, 'wb') as f:
        f.write(value.encode() if isinstance(value, str) else value)
    os.chmod(path, mode)
    return path


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


AUDIT_TOOL = os.path.join(REPO, 'tools', 'rtk-audit')


def write_key(path, value=None, mode=0o600):
    """An audit key file (a random key unless value is given)."""
    if value is None:
        value = secrets.token_hex(32) + '\n'
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, 'w') as f:
        f.write(value)
    os.chmod(path, mode)
    return path


def verify_audit(files, keys, *opts):
    """tools/rtk-audit verify FILES --key K... OPTS: (exit code, output)."""
    cmd = [sys.executable, AUDIT_TOOL, 'verify'] + list(files)
    for k in ([keys] if isinstance(keys, str) else keys):
        cmd += ['--key', k]
    cmd += list(opts)
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=60)
    return r.returncode, (r.stdout + r.stderr).decode('utf-8', 'replace')


def concurrently(clients, each, send):
    """clients threads that start together and call send() each times:
    the results, in the order they came."""
    results = []
    lock = threading.Lock()
    go = threading.Event()

    def client():
        go.wait()
        for _ in range(each):
            r = send()
            with lock:
                results.append(r)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    go.set()
    for t in threads:
        t.join(60)
    return results


def read_lines(path):
    """The complete lines of a file (a last one without LF left out)."""
    try:
        with open(path, 'rb') as f:
            return f.read().split(b'\n')[:-1]
    except OSError:
        return []
