#
# Copyright (C) ngx_rtk_module authors
#
# HTTP on both sides of the gateway: a recording upstream with
# scripted answers (plain or TLS), and a raw client that sends exact
# bytes and parses what comes back.
#

import json
import os
import socket
import ssl
import struct
import threading
import time


from rtk_base import (EVENTS, wh_path, ROOT)


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
