#
# Copyright (C) ngx_rtk_module authors
#
# Integration test harness: a test PKI made with the openssl CLI, a
# recording upstream, an nginx launcher, a raw HTTP client and the final
# scan for leaked tokens.  Python 3 standard library only.
#

import base64
import json
import os
import re
import secrets
import signal
import socket
import ssl
import string
import subprocess
import sys
import tempfile
import threading
import time
import unittest


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


# --------------------------------------------------------------------
# PKI with the openssl CLI

class PKI(object):
    pass


_pki = None


def _openssl(*args, cwd=None):
    r = subprocess.run(['openssl'] + list(args), cwd=cwd,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode != 0:
        raise RuntimeError('openssl %s: %s' % (' '.join(args),
                                               r.stderr.decode()))


def _ca(d, name, cn):
    _openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt',
             'ec_paramgen_curve:prime256v1', '-nodes',
             '-keyout', name + '.key', '-out', name + '.crt', '-days', '2',
             '-subj', '/CN=' + cn,
             '-addext', 'basicConstraints=critical,CA:TRUE',
             '-addext', 'keyUsage=critical,keyCertSign,cRLSign', cwd=d)


def _leaf(d, name, ca, cn, san=None, eku='serverAuth'):
    with open(os.path.join(d, name + '.ext'), 'w') as f:
        f.write('basicConstraints=CA:FALSE\n'
                'keyUsage=critical,digitalSignature\n'
                'extendedKeyUsage=%s\n' % eku)
        if san:
            f.write('subjectAltName=%s\n' % san)
    _openssl('req', '-new', '-newkey', 'ec', '-pkeyopt',
             'ec_paramgen_curve:prime256v1', '-nodes',
             '-keyout', name + '.key', '-out', name + '.csr',
             '-subj', '/CN=' + cn, cwd=d)
    _openssl('x509', '-req', '-in', name + '.csr', '-CA', ca + '.crt',
             '-CAkey', ca + '.key', '-CAcreateserial', '-days', '2',
             '-out', name + '.crt', '-extfile', name + '.ext', cwd=d)


def pki():
    """CA, localhost cert, wrong-name cert, cert from an unknown CA."""
    global _pki
    if _pki is not None:
        return _pki
    d = os.path.join(ROOT, 'pki')
    lock = d + '.lock'
    p = PKI()
    p.dir = d
    for n in ('ca', 'localhost', 'wrongname', 'ca2', 'rogue'):
        setattr(p, n, os.path.join(d, n + '.crt'))
        setattr(p, n + '_key', os.path.join(d, n + '.key'))
    if not os.path.exists(os.path.join(d, 'done')):
        fd = os.open(lock, os.O_CREAT | os.O_RDWR, 0o644)
        import fcntl
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            if not os.path.exists(os.path.join(d, 'done')):
                os.makedirs(d, exist_ok=True)
                _ca(d, 'ca', 'RTK Test CA')
                _leaf(d, 'localhost', 'ca', 'localhost',
                      'DNS:localhost,IP:127.0.0.1')
                _leaf(d, 'wrongname', 'ca', 'wrong.example',
                      'DNS:wrong.example')
                _ca(d, 'ca2', 'RTK Unknown CA')
                _leaf(d, 'rogue', 'ca2', 'localhost',
                      'DNS:localhost,IP:127.0.0.1')
                open(os.path.join(d, 'done'), 'w').close()
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
    _pki = p
    return p


# --------------------------------------------------------------------
# recording upstream

class Reply(object):
    """What the upstream answers to one request.

    action: None, 'close' (close without answering), 'reset' (RST without
    answering), 'close_mid' / 'reset_mid' (headers and part of the body,
    then close / RST), 'garbage' (non-HTTP bytes, then close).
    """

    def __init__(self, status=200, body=None, headers=None, delay=0.0,
                 action=None, reason=None):
        self.status = status
        self.body = body
        self.headers = headers or []
        self.delay = delay
        self.action = action
        self.reason = reason


class _Headers(object):
    """Lookups in a list of (name, value), names case-insensitive."""

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def header_all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]


class UpRequest(_Headers):

    def __init__(self, method, target, version, headers, body, conn):
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers       # [(raw name, value)] in order
        self.body = body
        self.conn = conn             # connection number (keep-alive)
        self.time = time.time()


    def names(self):
        return [k.lower() for k, _v in self.headers]


REASONS = {200: 'OK', 400: 'Bad Request', 401: 'Unauthorized',
           403: 'Forbidden', 404: 'Not Found', 429: 'Too Many Requests',
           500: 'Internal Server Error', 502: 'Bad Gateway',
           503: 'Service Unavailable'}


def cloudflare_ok(req):
    """An edit-webhook style success answer built from the request."""
    try:
        sent = json.loads(req.body.decode('utf-8')) if req.body else {}
    except ValueError:
        sent = {}
    if not isinstance(sent, dict):
        sent = {}
    wid = req.target.rstrip('/').rsplit('/', 1)[-1]
    result = {'id': wid, 'created_at': '2024-01-02T03:04:05.678Z',
              'updated_at': '2024-05-06T07:08:09.123Z',
              'enabled': sent.get('enabled', True),
              'events': sent.get('events', EVENTS),
              'name': sent.get('name', 'existing'),
              'url': sent.get('url', 'https://hooks.example.com/rtk')}
    return json.dumps({'result': result, 'success': True, 'errors': [],
                       'messages': []}, separators=(',', ':')).encode()


class Upstream(object):

    def __init__(self, tls=None):
        """tls: None, or (certfile, keyfile)."""
        self.requests = []
        self.replies = []
        self.default = None
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        self.stopping = threading.Event()
        self.conns = []
        self.nconn = 0
        self.errors = []
        self.ctx = None
        if tls is not None:
            self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.ctx.load_cert_chain(tls[0], tls[1])
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    # scripting

    def reply(self, *args, **kw):
        """Queue a one-shot answer for the next request."""
        r = args[0] if args else Reply(**kw)
        with self.lock:
            self.replies.append(r)

    def set_default(self, reply=None):
        with self.lock:
            self.default = reply
            self.replies = []

    def count(self):
        with self.lock:
            return len(self.requests)

    def last(self):
        with self.lock:
            return self.requests[-1] if self.requests else None

    def since(self, n):
        with self.lock:
            return list(self.requests[n:])

    def wait(self, n, timeout=5.0):
        end = time.time() + timeout
        with self.cond:
            while len(self.requests) < n:
                left = end - time.time()
                if left <= 0:
                    break
                self.cond.wait(left)
            return len(self.requests)

    def stop(self):
        self.stopping.set()
        try:
            self.sock.close()
        except OSError:
            pass
        with self.lock:
            conns = list(self.conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                c.close()
            except OSError:
                pass

    # serving

    def _accept(self):
        while not self.stopping.is_set():
            try:
                c, _addr = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.nconn += 1
                n = self.nconn
                self.conns.append(c)
            threading.Thread(target=self._serve, args=(c, n),
                             daemon=True).start()

    def _next_reply(self):
        with self.lock:
            if self.replies:
                return self.replies.pop(0)
            return self.default or Reply()

    def _serve(self, c, n):
        c.settimeout(30)
        try:
            if self.ctx is not None:
                try:
                    c = self.ctx.wrap_socket(c, server_side=True)
                except (ssl.SSLError, OSError) as e:
                    with self.lock:
                        self.errors.append('tls: %s' % e)
                    return
                with self.lock:
                    self.conns.append(c)
            buf = b''
            while not self.stopping.is_set():
                req, buf = self._read_request(c, buf, n)
                if req is None:
                    return
                with self.cond:
                    self.requests.append(req)
                    self.cond.notify_all()
                r = self._next_reply()
                if r.delay:
                    if self.stopping.wait(r.delay):
                        return
                if not self._answer(c, req, r):
                    return
                conn_hdr = (req.header('Connection') or '').lower()
                if req.version == 'HTTP/1.0' and 'keep-alive' not in conn_hdr:
                    return
                if 'close' in conn_hdr:
                    return
        except (OSError, ValueError) as e:
            with self.lock:
                self.errors.append('conn %d: %s' % (n, e))
        finally:
            try:
                c.close()
            except OSError:
                pass

    @staticmethod
    def _recv(c):
        try:
            return c.recv(65536)
        except (ssl.SSLError, ConnectionResetError):
            return b''

    def _read_request(self, c, buf, n):
        while b'\r\n\r\n' not in buf:
            d = self._recv(c)
            if not d:
                return None, b''
            buf += d
        head, buf = buf.split(b'\r\n\r\n', 1)
        lines = head.decode('latin-1').split('\r\n')
        method, target, version = lines[0].split(' ', 2)
        headers = []
        for line in lines[1:]:
            k, v = line.split(':', 1)
            headers.append((k, v.strip()))
        req = UpRequest(method, target, version, headers, b'', n)
        te = (req.header('Transfer-Encoding') or '').lower()
        if 'chunked' in te:
            body = b''
            while True:
                while b'\r\n' not in buf:
                    d = self._recv(c)
                    if not d:
                        return None, b''
                    buf += d
                line, buf = buf.split(b'\r\n', 1)
                size = int(line.split(b';')[0], 16)
                while len(buf) < size + 2:
                    d = self._recv(c)
                    if not d:
                        return None, b''
                    buf += d
                body += buf[:size]
                buf = buf[size + 2:]
                if size == 0:
                    break
            req.body = body
        else:
            cl = int(req.header('Content-Length') or 0)
            while len(buf) < cl:
                d = self._recv(c)
                if not d:
                    return None, b''
                buf += d
            req.body, buf = buf[:cl], buf[cl:]
        return req, buf

    @staticmethod
    def _rst(c):
        try:
            import struct
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                         struct.pack('ii', 1, 0))
        except OSError:
            pass
        c.close()

    def _answer(self, c, req, r):
        if r.action == 'close':
            return False
        if r.action == 'reset':
            self._rst(c)
            return False
        if r.action == 'garbage':
            c.sendall(b'\x00\x17garbage, not HTTP at all\x01\r\n\r\n')
            return False
        body = r.body
        if body is None:
            body = cloudflare_ok(req)
        elif callable(body):
            body = body(req)
        elif isinstance(body, str):
            body = body.encode()
        reason = r.reason or REASONS.get(r.status, 'Status')
        hdrs = list(r.headers)
        names = [k.lower() for k, _v in hdrs]
        if 'content-type' not in names:
            hdrs.append(('Content-Type', 'application/json'))
        if 'content-length' not in names:
            hdrs.append(('Content-Length', str(len(body))))
        out = 'HTTP/1.1 %d %s\r\n' % (r.status, reason)
        out += ''.join('%s: %s\r\n' % (k, v) for k, v in hdrs) + '\r\n'
        if r.action in ('close_mid', 'reset_mid'):
            c.sendall(out.encode('latin-1') + body[:len(body) // 2])
            time.sleep(0.05)
            if r.action == 'reset_mid':
                self._rst(c)
            return False
        c.sendall(out.encode('latin-1') + body)
        return True


# --------------------------------------------------------------------
# raw client

class Response(_Headers):

    def __init__(self):
        self.status = None
        self.reason = ''
        self.version = ''
        self.headers = []
        self.body = b''
        self.raw = b''
        self.interim = []


    def json(self):
        return json.loads(self.body.decode('utf-8'))

    def __repr__(self):
        return '<Response %s %r %r>' % (self.status, self.headers,
                                        self.body[:300])


_saved = [0]


def _save_response(raw):
    """Every response goes to disk so the token scan covers it."""
    d = os.path.join(ROOT, 'responses')
    os.makedirs(d, exist_ok=True)
    _saved[0] += 1
    path = os.path.join(d, '%d-%d.http' % (os.getpid(), _saved[0]))
    with open(path, 'ab') as f:
        f.write(raw)


class _Reader(object):

    def __init__(self, s, deadline):
        self.s = s
        self.buf = b''
        self.raw = b''
        self.deadline = deadline
        self.eof = False

    def fill(self):
        left = self.deadline - time.time()
        if left <= 0:
            raise socket.timeout('client deadline')
        self.s.settimeout(left)
        try:
            d = self.s.recv(65536)
        except ConnectionResetError:
            d = b''
        if not d:
            self.eof = True
            return False
        self.buf += d
        self.raw += d
        return True

    def until(self, sep):
        while sep not in self.buf:
            if not self.fill():
                raise EOFError('connection closed, got %r' % self.raw[:500])
        out, self.buf = self.buf.split(sep, 1)
        return out

    def exactly(self, n):
        while len(self.buf) < n:
            if not self.fill():
                raise EOFError('short body, got %r' % self.raw[:500])
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def rest(self):
        while self.fill():
            pass
        out, self.buf = self.buf, b''
        return out


def read_response(r, method='PATCH'):
    resp = Response()
    while True:
        head = r.until(b'\r\n\r\n').decode('latin-1')
        lines = head.split('\r\n')
        parts = lines[0].split(' ', 2)
        status = int(parts[1])
        headers = []
        for line in lines[1:]:
            k, v = line.split(':', 1)
            headers.append((k, v.strip()))
        if 100 <= status < 200:
            resp.interim.append(status)
            continue
        resp.version = parts[0]
        resp.status = status
        resp.reason = parts[2] if len(parts) > 2 else ''
        resp.headers = headers
        break
    te = (resp.header('Transfer-Encoding') or '').lower()
    if method == 'HEAD' or status in (204, 304):
        resp.body = b''
    elif 'chunked' in te:
        body = b''
        while True:
            size = int(r.until(b'\r\n').split(b';')[0], 16)
            if size == 0:
                r.until(b'\r\n')
                break
            body += r.exactly(size)
            r.exactly(2)
        resp.body = body
    elif resp.header('Content-Length') is not None:
        resp.body = r.exactly(int(resp.header('Content-Length')))
    else:
        resp.body = r.rest()
    return resp


def request(port, data, pieces=None, delay=0.0, timeout=8.0, host=None,
            tls=False, method=None):
    """Sends raw bytes (or a list of pieces with delay between them)."""
    if isinstance(data, str):
        data = data.encode('utf-8')
    if method is None:
        method = data.split(b' ', 1)[0].decode('latin-1')
    s = socket.create_connection((host or '127.0.0.1', port), timeout=3)
    r = _Reader(s, time.time() + timeout)
    try:
        chunks = pieces if pieces is not None else [data]
        for i, p in enumerate(chunks):
            if i and delay:
                time.sleep(delay)
            try:
                s.sendall(p)
            except (BrokenPipeError, ConnectionResetError):
                break
        resp = read_response(r, method)
        resp.raw = r.raw
        return resp
    finally:
        if r.raw:
            _save_response(r.raw)
        s.close()


def request_continue(port, head, body, timeout=8.0):
    """Expect: 100-continue: headers first, the body after the 100."""
    s = socket.create_connection(('127.0.0.1', port), timeout=3)
    r = _Reader(s, time.time() + timeout)
    try:
        s.sendall(head)
        line = r.until(b'\r\n\r\n')
        got = line.split(b' ')[1] if b' ' in line else b''
        if got != b'100':
            r.buf = line + b'\r\n\r\n' + r.buf
            resp = read_response(r)
            resp.raw = r.raw
            resp.interim_missing = True
            return resp
        s.sendall(body)
        resp = read_response(r)
        resp.interim = [100] + resp.interim
        resp.raw = r.raw
        return resp
    finally:
        if r.raw:
            _save_response(r.raw)
        s.close()


def build(method='PATCH', target=None, body=b'', headers=None,
          content_type='application/json', chunked=False, chunks=None,
          host='localhost', close=True, length=True):
    """Builds raw request bytes.  headers: list of (name, value)."""
    if target is None:
        target = wh_path()
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
    if isinstance(body, str):
        body = body.encode('utf-8')
    h = [('Host', host)]
    if content_type is not None:
        h.append(('Content-Type', content_type))
    if headers:
        h.extend(headers)
    if chunked:
        h.append(('Transfer-Encoding', 'chunked'))
        parts = chunks or [body]
        payload = b''.join(b'%x\r\n%s\r\n' % (len(p), p) for p in parts
                           if p) + b'0\r\n\r\n'
    else:
        if length and (body or method in ('PATCH', 'POST', 'PUT')):
            h.append(('Content-Length', str(len(body))))
        payload = body
    if close:
        h.append(('Connection', 'close'))
    head = '%s %s HTTP/1.1\r\n' % (method, target)
    head += ''.join('%s: %s\r\n' % (k, v) for k, v in h) + '\r\n'
    return head.encode('utf-8') + payload


# --------------------------------------------------------------------
# nginx

_running = []

BAD_LOG = re.compile(r'\[(alert|emerg)\]|AddressSanitizer|LeakSanitizer|'
                     r'runtime error|UndefinedBehaviorSanitizer')


def _conf(http_conf, d, vars, main_conf='', events_conf=''):
    v = {'DIR': d, 'MODULE': MODULE}
    v.update(vars or {})
    text = ('load_module %%MODULE%%;\n' if MODULE else '') + '''user root;
daemon on;
master_process on;
worker_processes 2;
error_log %%DIR%%/error.log info;
pid %%DIR%%/nginx.pid;
''' + main_conf + '''
events {
    worker_connections 256;
''' + events_conf + '''
}

http {
    access_log %%DIR%%/access.log;
    client_body_temp_path %%DIR%%/client_body_temp;
    proxy_temp_path %%DIR%%/proxy_temp;
    fastcgi_temp_path %%DIR%%/fastcgi_temp;
    uwsgi_temp_path %%DIR%%/uwsgi_temp;
    scgi_temp_path %%DIR%%/scgi_temp;

''' + http_conf + '''
}
'''
    if SINGLE:
        text = text.replace('daemon on;\nmaster_process on;',
                            'daemon off;\nmaster_process off;')
    for k, val in v.items():
        text = text.replace('%%' + k + '%%', str(val))
    left = re.findall(r'%%[A-Z0-9_]+%%', text)
    if left:
        raise ValueError('unset config placeholders: %s' % left)
    return text


def nginx_t(http_conf, vars=None, name='conf', main_conf='', dir=None,
            timeout=30):
    """Runs nginx -t on a config; returns (rc, stderr text, dir).
    Raises subprocess.TimeoutExpired (nginx killed) after timeout."""
    d = dir or test_dir(name)
    conf = os.path.join(d, 'nginx.conf')
    with open(conf, 'w') as f:
        f.write(_conf(http_conf, d, vars, main_conf))
    r = subprocess.run(_wrap([NGINX, '-t', '-p', d + '/', '-c', conf], d),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout, env=nginx_env())
    err = r.stderr.decode('utf-8', 'replace')
    with open(os.path.join(d, 'nginx-t.stderr'), 'w') as f:
        f.write(err)
    return r.returncode, err, d


def _wrap(cmd, d):
    if not VALGRIND:
        return cmd
    return ['valgrind', '-q', '--error-exitcode=99', '--leak-check=no',
            '--num-callers=30', '--log-file=%s/valgrind-%%p.log' % d] + cmd


def _valgrind_problems(d):
    """The first line of every valgrind report in d."""
    bad = []
    for f in sorted(os.listdir(d)):
        if f.startswith('valgrind-') and f.endswith('.log'):
            with open(os.path.join(d, f), errors='replace') as fh:
                bad.extend('%s: %s' % (f, line.rstrip()) for line in fh
                           if re.match(r'==\d+== \S', line))
    return bad


def _children(pid):
    kids = []
    for p in os.listdir('/proc'):
        if not p.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % p) as f:
                st = f.read()
        except OSError:
            continue
        fields = st.rsplit(')', 1)[1].split()
        if int(fields[1]) == pid:
            kids.append(int(p))
    return kids


def _alive(pid):
    try:
        with open('/proc/%d/stat' % pid) as f:
            st = f.read()
    except OSError:
        return False
    return st.rsplit(')', 1)[1].split()[0] != 'Z'


def memory_regions(pid):
    """The mappings of a process from /proc/PID/maps, each a dict with
    start, end, perms, path and flags (its VmFlags in /proc/PID/smaps;
    "dd" marks memory excluded from core dumps, MADV_DONTDUMP)."""
    flags = {}
    cur = None
    with open('/proc/%d/smaps' % pid) as f:
        for line in f:
            m = re.match(r'^([0-9a-f]+)-([0-9a-f]+) ', line)
            if m:
                cur = (int(m.group(1), 16), int(m.group(2), 16))
            elif line.startswith('VmFlags:') and cur is not None:
                flags[cur] = line.split()[1:]
    regions = []
    with open('/proc/%d/maps' % pid) as f:
        for line in f:
            parts = line.split(None, 5)
            start, end = (int(x, 16) for x in parts[0].split('-'))
            regions.append({'start': start, 'end': end, 'perms': parts[1],
                            'path': parts[5].strip() if len(parts) > 5
                            else '',
                            'flags': flags.get((start, end), [])})
    return regions


def scan_memory(pid, needles, skip_dontdump=True):
    """Reads every readable mapping of pid through /proc/PID/mem (those
    that cannot be read are skipped), except memory excluded from core
    dumps when skip_dontdump.  Returns (hits, regions, nbytes): hits maps
    each needle found to [(address, mapping path)]."""
    hits = {}
    nregions = nbytes = 0
    with open('/proc/%d/mem' % pid, 'rb', buffering=0) as mem:
        for reg in memory_regions(pid):
            if reg['perms'][0] != 'r':
                continue
            if skip_dontdump and 'dd' in reg['flags']:
                continue
            try:
                mem.seek(reg['start'])
                data = mem.read(reg['end'] - reg['start'])
            except (OSError, OverflowError, ValueError):
                continue
            if not data:
                continue
            nregions += 1
            nbytes += len(data)
            for needle in needles:
                i = data.find(needle)
                while i >= 0:
                    hits.setdefault(needle, []).append(
                        (reg['start'] + i, reg['path'] or '[anon]'))
                    i = data.find(needle, i + 1)
    return hits, nregions, nbytes


class Nginx(object):

    start_workers = 2     # start() waits for this many workers

    def __init__(self, http_conf, vars=None, name='nginx', main_conf='',
                 dir=None):
        self.dir = dir or test_dir(name)
        self.port = free_port()
        v = {'PORT': self.port}
        for i in range(2, 7):
            v['PORT%d' % i] = free_port()
        v.update(vars or {})
        self.vars = v
        self.conf_text = _conf(http_conf, self.dir, v, main_conf)
        self.conf = os.path.join(self.dir, 'nginx.conf')
        self.pid = None
        self.workers = []
        self.stopped = False
        with open(self.conf, 'w') as f:
            f.write(self.conf_text)

    @property
    def error_log(self):
        return os.path.join(self.dir, 'error.log')

    def start(self):
        cmd = [NGINX, '-p', self.dir + '/', '-c', self.conf]
        if SINGLE:
            with open(os.path.join(self.dir, 'nginx.stderr'), 'ab') as f:
                self.proc = subprocess.Popen(_wrap(cmd, self.dir),
                                             stdin=subprocess.DEVNULL,
                                             stdout=f, stderr=f,
                                             env=nginx_env())
            r = subprocess.CompletedProcess(cmd, 0, b'', b'')
        else:
            r = subprocess.run(_wrap(cmd, self.dir), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=30,
                               env=nginx_env())
        if r.returncode != 0:
            raise RuntimeError('nginx failed to start (rc %d): %s' % (
                r.returncode, r.stderr.decode('utf-8', 'replace')))
        end = time.time() + (60 if VALGRIND else 10)
        pidfile = os.path.join(self.dir, 'nginx.pid')
        while time.time() < end:
            try:
                with open(pidfile) as f:
                    self.pid = int(f.read().strip())
                break
            except (OSError, ValueError):
                time.sleep(0.02)
        if self.pid is None:
            raise RuntimeError('nginx wrote no pid file')
        _running.append(self)
        while time.time() < end:
            try:
                socket.create_connection(('127.0.0.1', self.port),
                                         timeout=1).close()
                break
            except OSError:
                time.sleep(0.02)
        else:
            raise RuntimeError('nginx does not listen on %d' % self.port)
        # the workers up before the first request
        while time.time() < end and len(_children(self.pid)) < (
                0 if SINGLE else self.start_workers):
            time.sleep(0.02)
        self.workers = _children(self.pid)
        return self

    def stop(self):
        if self.stopped or self.pid is None:
            return
        self.stopped = True
        kids = set(self.workers) | set(_children(self.pid))
        try:
            os.kill(self.pid, signal.SIGQUIT)
        except ProcessLookupError:
            pass
        end = time.time() + 8
        while time.time() < end and _alive(self.pid):
            time.sleep(0.02)
        if _alive(self.pid):
            try:
                os.kill(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            time.sleep(1)
        for pid in [self.pid] + sorted(kids):
            if _alive(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if self in _running:
            _running.remove(self)

    def reload(self):
        os.kill(self.pid, signal.SIGHUP)

    def log(self):
        try:
            with open(self.error_log, 'rb') as f:
                return f.read().decode('utf-8', 'replace')
        except OSError:
            return ''

    def log_problems(self, expect=()):
        bad = []
        for line in self.log().splitlines():
            if BAD_LOG.search(line):
                if any(re.search(e, line) for e in expect):
                    continue
                bad.append(line)
        if VALGRIND:
            bad.extend(_valgrind_problems(self.dir))
        return bad

    def path(self, *p):
        return os.path.join(self.dir, *p)

    def audit(self, name='audit.log', count=None, timeout=3.0):
        """Parsed audit records; waits until at least count exist."""
        path = self.path(name)
        end = time.time() + timeout
        while True:
            try:
                with open(path, 'rb') as f:
                    data = f.read()
            except OSError:
                data = b''
            lines = data.split(b'\n')
            complete = lines[:-1]
            if count is None or len(complete) >= count or \
                    time.time() > end:
                break
            time.sleep(0.05)
        return [json.loads(line.decode('utf-8')) for line in complete]

    def audit_raw(self, name='audit.log'):
        try:
            with open(self.path(name), 'rb') as f:
                return f.read()
        except OSError:
            return b''


class NginxWorkers(Nginx):
    """The harness's nginx with more workers, started when all run."""

    def __init__(self, *a, workers=4, **kw):
        super().__init__(*a, **kw)
        self.nworkers = workers
        self.conf_text = self.conf_text.replace(
            'worker_processes 2;', 'worker_processes %d;' % workers)
        with open(self.conf, 'w') as f:
            f.write(self.conf_text)

    def live_workers(self):
        return sorted(k for k in _children(self.pid) if _alive(k))

    def wait_workers(self, old=(), timeout=10.0):
        """Until exactly nworkers workers run and none of old is left."""
        end = time.time() + timeout
        kids = []
        while time.time() < end:
            kids = self.live_workers()
            if len(kids) == self.nworkers and not set(kids) & set(old):
                break
            time.sleep(0.02)
        self.workers = kids
        return kids

    def wait_new_workers(self, old, timeout=10.0):
        """Until nworkers workers that are not in old run (old ones may
        still be finishing their requests)."""
        end = time.time() + timeout
        new = []
        while time.time() < end:
            new = [k for k in self.live_workers() if k not in old]
            if len(new) >= self.nworkers:
                break
            time.sleep(0.02)
        return new

    def start(self):
        super().start()
        self.wait_workers()
        return self


class NginxTuned(Nginx):
    """The harness's nginx with another number of workers, or workers
    that run as another user (user: the directive's arguments, such as
    "nobody nogroup"; the harness's workers run as root)."""

    def __init__(self, *a, workers=2, user=None, **kw):
        super().__init__(*a, **kw)
        self.start_workers = workers
        text = self.conf_text.replace('worker_processes 2;',
                                      'worker_processes %d;' % workers)
        if user is not None:
            text = text.replace('user root;', 'user %s;' % user)
        self.conf_text = text
        with open(self.conf, 'w') as f:
            f.write(self.conf_text)


def _stop_all():
    for n in list(_running):
        try:
            n.stop()
        except Exception:
            pass


def _on_term(signum, frame):
    _stop_all()
    sys.exit(128 + signum)


signal.signal(signal.SIGTERM, _on_term)
import atexit                                           # noqa: E402
atexit.register(_stop_all)


# --------------------------------------------------------------------
# configuration pieces

def gateway_location(identity='$http_x_caller', policy='%%POLICY%%',
                     tokens=True, audit='%%DIR%%/audit.log',
                     proxy='http://127.0.0.1:%%UP%%', extra='',
                     gateway='on', path='/', read_timeout='5s'):
    """A gateway location; pass None to leave a directive out."""
    out = '        location %s {\n' % path
    if gateway is not None:
        out += '            rtk_gateway %s;\n' % gateway
    if identity is not None:
        out += '            rtk_identity %s;\n' % identity
    if policy is not None:
        out += '            rtk_policy %s;\n' % policy
    if tokens:
        out += '            rtk_token_file %%TOKEN_FILE%%;\n'
        out += ('            rtk_token_file %%ACCOUNT_TOKEN_FILE%% '
                '%%ACCOUNT2%%;\n')
    if audit is not None:
        out += '            rtk_audit_log %s;\n' % audit
    if proxy is not None:
        out += '            proxy_pass %s;\n' % proxy
        out += '            proxy_http_version 1.1;\n'
        out += '            proxy_connect_timeout 2s;\n'
        out += '            proxy_read_timeout %s;\n' % read_timeout
    out += extra
    out += '        }\n'
    return out


def server(locations, extra='', listen='127.0.0.1:%%PORT%%'):
    return ('    server {\n        listen %s;\n'
            '        server_name localhost;\n%s%s    }\n'
            % (listen, extra, locations))


# --------------------------------------------------------------------
# policy files (format: policy/README, examples/policy.json)

def policy_doc(apps=None, report_only=False, accounts=None, groups=None):
    """The policy document (format: policy/rtk_policy.c, docs/policy.md):
    {"mode", "groups": {name: [callers]}, "accounts": {id|"*": {"mode",
    "apps": {id|"*": {"mode", "editors", "enablers", "disablers", "urls",
    "events", "fields": {caller|"@group": [fields]}}}}}}.
    The default lets the test caller do everything on APP and APP_HEX in
    every account."""
    if accounts is None:
        if apps is None:
            apps = {APP: full_rule(), APP_HEX: full_rule()}
        accounts = {'*': {'apps': apps}}
    doc = {'mode': 'report-only' if report_only else 'enforce',
           'accounts': accounts}
    if groups is not None:
        doc['groups'] = groups
    return doc


def full_rule(editors=('alice@example.com',), enablers=None,
              disablers=None, urls=('https://hooks.example.com/',
                                    'https://*.example.net/'),
              events=tuple(EVENTS), fields=None, mode=None, creators=None,
              deleters=None):
    """A rule where the editors may do everything: read (the default),
    create and delete too, unless creators or deleters say otherwise."""
    rule = {'editors': list(editors),
            'enablers': list(enablers if enablers is not None
                             else editors),
            'creators': list(creators if creators is not None
                             else editors),
            'deleters': list(deleters if deleters is not None
                             else editors),
            'urls': list(urls), 'events': list(events)}
    if disablers is not None:
        rule['disablers'] = list(disablers)
    if fields is not None:
        rule['fields'] = fields
    if mode is not None:
        rule['mode'] = mode
    return rule


def write_policy(path, doc=None):
    if doc is None:
        doc = policy_doc()
    data = doc if isinstance(doc, (bytes, str)) else json.dumps(doc,
                                                                indent=2)
    with open(path, 'w' if isinstance(data, str) else 'wb') as f:
        f.write(data)
    return path


# --------------------------------------------------------------------
# test case base

ENVELOPE_HEAD = re.compile(
    rb'^\{"success":false,"errors":\[\{"code":(\d+),"message":"(.*)"\}\],'
    rb'"messages":\[\],"result":null,'
    rb'"error":\{"code":\1,"message":"\2"\}\}$', re.S)


class GatewayCase(unittest.TestCase):
    """One nginx and one recording upstream per test file (class)."""

    HTTP_CONF = None
    UPSTREAM_TLS = None
    EXPECT_LOG = ()
    CALLER = 'alice@example.com'
    maxDiff = 4000

    @classmethod
    def policy(cls):
        """Hook: the policy document for this file."""
        return policy_doc()

    @classmethod
    def conf_vars(cls):
        """Hook: writes files (tokens, policy) and returns more vars."""
        return {}

    @classmethod
    def make_nginx(cls, http_conf, vars):
        """Hook: the nginx of this class (e.g. NginxTuned), not started."""
        return Nginx(http_conf, vars, dir=cls.dir)

    @classmethod
    def setUpClass(cls):
        cls.up = Upstream(tls=cls.UPSTREAM_TLS)
        cls.addClassCleanup(cls.up.stop)
        cls.dir = test_dir(cls.__module__.lstrip('_') + '-' + cls.__name__)
        cls.token_file = write_token_file(
            os.path.join(cls.dir, 'default.token'), TOKEN + '\n')
        cls.account_token_file = write_token_file(
            os.path.join(cls.dir, 'account2.token'), TOKEN_ACCOUNT + '\n')
        v = {'UP': cls.up.port, 'TOKEN_FILE': cls.token_file,
             'ACCOUNT_TOKEN_FILE': cls.account_token_file,
             'ACCOUNT': ACCOUNT, 'ACCOUNT2': ACCOUNT2}
        v['POLICY'] = write_policy(os.path.join(cls.dir, 'policy.json'),
                                   cls.policy())
        v.update(cls.conf_vars())
        cls.ngx = cls.make_nginx(cls.HTTP_CONF, v)
        cls.addClassCleanup(cls.ngx.stop)
        cls.ngx.start()
        cls.port = cls.ngx.port
        cls.ports = cls.ngx.vars

    @classmethod
    def tearDownClass(cls):
        cls.ngx.stop()
        cls.up.stop()
        bad = cls.ngx.log_problems(cls.EXPECT_LOG)
        if bad:
            raise AssertionError('error.log of %s:\n%s' % (
                cls.__name__, '\n'.join(bad[:20])))

    # requests

    def req(self, method='PATCH', target=None, body=None, headers=None,
            caller=True, port=None, **kw):
        if body is None:
            body = {'enabled': True} if method == 'PATCH' else b''
        h = []
        if caller is True:
            h.append(('X-Caller', self.CALLER))
        elif caller:
            h.append(('X-Caller', caller))
        h.extend(headers or [])
        raw = build(method, target, body, h, **kw)
        return request(port or self.port, raw)

    def send(self, raw, port=None, **kw):
        return request(port or self.port, raw, **kw)

    def body_req(self, body, headers=None, **kw):
        """A PATCH with the given raw body bytes."""
        return self.req(body=body, headers=headers, **kw)

    def records(self, rid, count=1, type=None, timeout=3.0):
        """Audit records of one request; waits until count exist."""
        end = time.time() + timeout
        while True:
            recs = [a for a in self.ngx.audit(count=None)
                    if a.get('request_id') == rid
                    and (type is None or a.get('type') == type)]
            if len(recs) >= count or time.time() > end:
                return recs
            time.sleep(0.03)

    # assertions

    def assert_request_id(self, resp):
        rid = resp.header('X-Request-Id')
        self.assertIsNotNone(rid, 'no X-Request-Id in %r' % resp)
        self.assertRegex(rid, HEX32)
        self.assertEqual(len(resp.header_all('X-Request-Id')), 1)
        return rid

    def assert_envelope(self, resp, status, code):
        self.assertEqual(resp.status, status, repr(resp))
        ct = resp.header('Content-Type') or ''
        self.assertEqual(ct.split(';')[0].strip().lower(),
                         'application/json', repr(resp))
        j = json.loads(resp.body.decode('utf-8'))
        self.assertEqual(sorted(j.keys()),
                         ['error', 'errors', 'messages', 'result', 'success'])
        self.assertEqual(j['error'], j['errors'][0])
        self.assertIs(j['success'], False)
        self.assertEqual(j['messages'], [])
        self.assertIsNone(j['result'])
        self.assertEqual(len(j['errors']), 1, j)
        self.assertEqual(sorted(j['errors'][0].keys()), ['code', 'message'])
        if isinstance(code, tuple):
            self.assertIn(j['errors'][0]['code'], code, j)
        else:
            self.assertEqual(j['errors'][0]['code'], code, j)
        self.assertIsInstance(j['errors'][0]['message'], str)
        self.assertTrue(j['errors'][0]['message'])
        self.assertRegex(resp.body, ENVELOPE_HEAD)
        self.assertEqual(resp.header('Content-Length'),
                         str(len(resp.body)))
        self.assert_request_id(resp)
        return j['errors'][0]['message']

    def assert_error(self, resp, status, code, before):
        """The envelope, and the upstream saw nothing for the request."""
        msg = self.assert_envelope(resp, status, code)
        time.sleep(0.02)
        self.assertEqual(self.up.count(), before,
                         'upstream was called: %r' % (self.up.since(before),))
        return msg

    def expect_error(self, status, code, **kw):
        before = self.up.count()
        resp = self.req(**kw)
        return self.assert_error(resp, status, code, before), resp

    def forwarded(self, resp, before):
        """The request reached the upstream exactly once: returns it."""
        self.assertEqual(resp.status, 200, repr(resp))
        self.assertEqual(self.up.count(), before + 1)
        return self.up.last()


# --------------------------------------------------------------------
# running a test file

class _Result(unittest.TextTestResult):
    pass


def main():
    """unittest for one file; prints 'RESULT <file> passed=N failed=N'."""
    name = os.path.basename(sys.argv[0])
    loader = unittest.TestLoader()
    mod = sys.modules['__main__']
    argv = sys.argv[1:]
    if argv:
        suite = loader.loadTestsFromNames(argv, mod)
    else:
        suite = loader.loadTestsFromModule(mod)
    verbosity = 2 if os.environ.get('RTK_VERBOSE') else 1
    runner = unittest.TextTestRunner(stream=sys.stderr, verbosity=verbosity,
                                     resultclass=_Result)
    res = runner.run(suite)
    failed = len(res.failures) + len(res.errors) + \
        len(res.unexpectedSuccesses)
    real = [t for t, _e in res.failures + res.errors
            if isinstance(t, unittest.TestCase)]
    passed = res.testsRun - len(real) - len(res.skipped)
    _stop_all()
    if STANDALONE:
        hits = scan_for_tokens()
        for h in hits:
            print('LEAK ' + h, file=sys.stderr)
        if hits:
            failed += 1
        else:
            passed += 1
        print('token scan: %s (%s)' % ('FAIL' if hits else 'ok', ROOT))
        if not failed and not os.environ.get('RTK_KEEP'):
            import shutil
            shutil.rmtree(ROOT, ignore_errors=True)
    print('RESULT %s passed=%d failed=%d skipped=%d' % (
        name, passed, failed, len(res.skipped)))
    sys.stdout.flush()
    sys.exit(1 if failed else 0)
