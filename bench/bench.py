#
# Copyright (C) ngx_rtk_module authors
#
# The benchmark driver behind bench/run.sh: starts its own nginx
# instances on 127.0.0.1 (an upstream standing in for the Cloudflare API,
# a bare proxy, the gateway in several audit modes), drives them in turn
# with wrk, runs the policy micro-benchmark and one callgrind pass, then
# prints a table and writes bench/RESULTS.md.  Every process it starts is
# stopped on exit, failure, Ctrl-C or SIGTERM.
#
# Python 3 standard library only.
#

import argparse
import datetime
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import http.client


HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
NGINX = os.environ.get('RTK_NGINX', '/usr/sbin/nginx')
HOST = '127.0.0.1'          # never anything but loopback

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


# --------------------------------------------------------------------
# processes

def log(msg):
    print('bench: ' + msg, flush=True)


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((HOST, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def children(pid):
    kids = []
    for d in os.listdir('/proc'):
        if not d.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % d) as f:
                st = f.read()
        except OSError:
            continue
        fields = st[st.rindex(')') + 2:].split()
        if int(fields[1]) == pid:
            kids.append(int(d))
    return kids


def alive(pid):
    try:
        with open('/proc/%d/stat' % pid) as f:
            st = f.read()
    except OSError:
        return False
    return st[st.rindex(')') + 2:].split()[0] != 'Z'


def kill_tree(pid, sig=signal.SIGQUIT, wait=5.0):
    kids = children(pid)
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass
    end = time.time() + wait
    while time.time() < end and alive(pid):
        time.sleep(0.02)
    for p in [pid] + kids + children(pid):
        if alive(p):
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass


def stop_all():
    while _running:
        p = _running.pop()
        try:
            p.stop()
        except Exception as e:          # noqa: BLE001 - keep stopping
            print('bench: stopping %s: %s' % (p, e), file=sys.stderr)


def _on_signal(signum, frame):
    raise SystemExit(128 + signum)


def wait_port(port, timeout, proc=None):
    end = time.time() + timeout
    while time.time() < end:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError('process exited with %d' % proc.returncode)
        try:
            socket.create_connection((HOST, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError('nothing listens on %s:%d' % (HOST, port))


class Nginx(object):
    """One daemonized nginx with its own prefix directory."""

    def __init__(self, root, name, conf, module=None, workers=1):
        self.name = name
        self.dir = os.path.join(root, name)
        os.makedirs(self.dir)
        self.port = free_port()
        self.conf = os.path.join(self.dir, 'nginx.conf')
        self.pid = None
        text = main_conf(self.dir, module, workers, daemon=True)
        text += http_conf(self.dir, conf.replace('%PORT%', str(self.port)))
        with open(self.conf, 'w') as f:
            f.write(text)

    def __str__(self):
        return 'nginx %s' % self.name

    def start(self):
        r = subprocess.run([NGINX, '-p', self.dir + '/', '-c', self.conf],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=60)
        if r.returncode != 0:
            raise RuntimeError('%s failed to start: %s' % (
                self, r.stdout.decode('utf-8', 'replace')))
        pidfile = os.path.join(self.dir, 'nginx.pid')
        end = time.time() + 10
        while self.pid is None and time.time() < end:
            try:
                with open(pidfile) as f:
                    self.pid = int(f.read().strip())
            except (OSError, ValueError):
                time.sleep(0.02)
        if self.pid is None:
            raise RuntimeError('%s wrote no pid file' % self)
        _running.append(self)
        wait_port(self.port, 10)
        while time.time() < end and not self.workers():
            time.sleep(0.02)
        return self

    def workers(self):
        return children(self.pid) if self.pid else []

    def peak_rss_kib(self):
        """VmHWM of the workers (the largest, in KiB)."""
        best = 0
        for pid in self.workers():
            try:
                with open('/proc/%d/status' % pid) as f:
                    for line in f:
                        if line.startswith('VmHWM:'):
                            best = max(best, int(line.split()[1]))
            except OSError:
                pass
        return best

    def private_kib(self):
        """Private_Clean + Private_Dirty of the workers (the largest, KiB):
        the memory a worker does not share with the master, which loaded
        the policy before forking."""
        best = 0
        for pid in self.workers():
            total = 0
            try:
                with open('/proc/%d/smaps_rollup' % pid) as f:
                    for line in f:
                        if line.startswith(('Private_Clean:',
                                            'Private_Dirty:')):
                            total += int(line.split()[1])
            except OSError:
                pass
            best = max(best, total)
        return best

    def cpu_ns(self):
        """CPU time the workers have used so far (/proc/PID/schedstat)."""
        total = 0
        for pid in self.workers():
            try:
                with open('/proc/%d/schedstat' % pid) as f:
                    total += int(f.read().split()[0])
            except (OSError, ValueError, IndexError):
                pass
        return total

    def stop(self):
        if self.pid is not None:
            kill_tree(self.pid)
            self.pid = None

    def errors(self):
        try:
            with open(os.path.join(self.dir, 'error.log')) as f:
                return [ln for ln in f.read().splitlines()
                        if re.search(r'\[(alert|crit|emerg|error)\]', ln)]
        except OSError:
            return []


class Valgrind(object):
    """nginx with master_process off, daemon off, under callgrind."""

    def __init__(self, root, name, conf, module=None):
        self.name = name
        self.dir = os.path.join(root, name)
        os.makedirs(self.dir)
        self.port = free_port()
        self.conf = os.path.join(self.dir, 'nginx.conf')
        self.out = os.path.join(self.dir, 'callgrind.out')
        self.proc = None
        text = main_conf(self.dir, module, 1, daemon=False)
        text += http_conf(self.dir, conf.replace('%PORT%', str(self.port)))
        with open(self.conf, 'w') as f:
            f.write(text)

    def __str__(self):
        return 'callgrind %s' % self.name

    def start(self):
        self.proc = subprocess.Popen(
            ['valgrind', '--tool=callgrind', '--callgrind-out-file='
             + self.out, '--dump-instr=no', '--collect-jumps=no',
             NGINX, '-p', self.dir + '/', '-c', self.conf],
            stdout=open(os.path.join(self.dir, 'valgrind.log'), 'w'),
            stderr=subprocess.STDOUT)
        _running.append(self)
        wait_port(self.port, 120, self.proc)
        return self

    def control(self, *args):
        r = subprocess.run(['callgrind_control'] + list(args)
                           + [str(self.proc.pid)],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=120)
        if r.returncode != 0:
            raise RuntimeError('callgrind_control %s: %s' % (
                ' '.join(args), r.stdout.decode('utf-8', 'replace')))

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


def main_conf(d, module, workers, daemon):
    out = ''
    if module:
        out += 'load_module %s;\n' % module
    out += ('user root;\n'
            'daemon %s;\n'
            'master_process %s;\n'
            'worker_processes %d;\n'
            'error_log %s/error.log warn;\n'
            'pid %s/nginx.pid;\n'
            'events {\n    worker_connections 1024;\n}\n'
            % ('on' if daemon else 'off', 'on' if daemon else 'off',
               workers, d, d))
    return out


def http_conf(d, body):
    temps = ''.join('    %s_temp_path %s/%s_temp;\n' % (t, d, t)
                    for t in ('client_body', 'proxy', 'fastcgi', 'uwsgi',
                              'scgi'))
    return ('http {\n    access_log off;\n    keepalive_requests 1000000;\n'
            + temps + body + '}\n')


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


# --------------------------------------------------------------------
# files

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


# --------------------------------------------------------------------
# requests and wrk

def one_request(port, caller=CALLER, conn=None):
    c = conn or http.client.HTTPConnection(HOST, port, timeout=30)
    c.request('PATCH', PATH, body=BODY.encode(),
              headers={'Content-Type': 'application/json',
                       'X-Caller': caller, 'User-Agent': 'rtk-bench/1'})
    r = c.getresponse()
    data = r.read()
    if conn is None:
        c.close()
    return r.status, data


_UNITS = {'us': 1.0, 'ms': 1e3, 's': 1e6, 'm': 60e6}


def _usec(text):
    m = re.match(r'([\d.]+)(us|ms|s|m)$', text)
    if not m:
        raise ValueError('latency %r' % text)
    return float(m.group(1)) * _UNITS[m.group(2)]


def wrk(port, duration, caller, threads, conns):
    env = dict(os.environ, RTK_CALLER=caller)
    cmd = ['wrk', '-t%d' % threads, '-c%d' % conns, '-d%ds' % duration,
           '--latency', '-s', os.path.join(HERE, 'patch.lua'),
           'http://%s:%d' % (HOST, port)]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       env=env, timeout=duration + 60)
    out = r.stdout.decode('utf-8', 'replace')
    if r.returncode != 0:
        raise RuntimeError('wrk failed: %s' % out)
    res = {'raw': out}
    m = re.search(r'Requests/sec:\s+([\d.]+)', out)
    res['rps'] = float(m.group(1))
    m = re.search(r'(\d+) requests in', out)
    res['requests'] = int(m.group(1))
    for pct in ('50', '99'):
        m = re.search(r'^\s+%s(?:\.0+)?%%\s+(\S+)' % pct, out, re.M)
        res['p' + pct] = _usec(m.group(1))
    m = re.search(r'Non-2xx or 3xx responses: (\d+)', out)
    res['non2xx'] = int(m.group(1)) if m else 0
    m = re.search(r'Socket errors: (.*)', out)
    res['socket_errors'] = m.group(1) if m else ''
    return res


# --------------------------------------------------------------------
# callgrind

def annotate(path, inclusive):
    args = ['callgrind_annotate', '--threshold=100', '--auto=no']
    if inclusive:
        args.append('--inclusive=yes')
    r = subprocess.run(args + [path], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=300)
    text = r.stdout.decode('utf-8', 'replace')
    total = None
    m = re.search(r'^\s*([\d,]+)\s+(?:\(100\.0%\)\s+)?PROGRAM TOTALS',
                  text, re.M)
    if m:
        total = int(m.group(1).replace(',', ''))
    funcs = {}
    for line in text.splitlines():
        m = re.match(r'^\s*([\d,]+)\s+(?:\(\s*[\d.]+%\)\s+)?(\S.*?)\s*'
                     r'(?:\[(.*)\])?$', line)
        if not m or m.group(2) == 'PROGRAM TOTALS':
            continue
        loc = m.group(2)
        if ':' not in loc:
            continue
        fname, func = loc.rsplit(':', 1)
        obj = m.group(3) or ''
        n = int(m.group(1).replace(',', ''))
        key = func
        prev = funcs.get(key)
        if prev is None or prev[0] < n:
            funcs[key] = (n, fname, obj)
    return total, funcs


def ours(fname, obj):
    return ('ngx_rtk_module/' in fname or '/policy/' in fname
            or 'ngx_http_rtk_module' in obj)


def callgrind_run(root, name, conf, module, requests, caller=CALLER):
    v = Valgrind(root, name, conf, module)
    log('callgrind: %s, %d requests under valgrind' % (name, requests))
    v.start()
    try:
        c = http.client.HTTPConnection(HOST, v.port, timeout=120)
        for _ in range(10):     # warm: connections, pools, first-use paths
            one_request(v.port, caller, c)
        v.control('--zero')
        statuses = {}
        for _ in range(requests):
            st, _b = one_request(v.port, caller, c)
            statuses[st] = statuses.get(st, 0) + 1
        c.close()
        v.control('--dump=measured')
    finally:
        v.stop()
        if v in _running:
            _running.remove(v)
    dumps = sorted(f for f in os.listdir(v.dir)
                   if f.startswith('callgrind.out'))
    # the dump after --zero holds only the measured requests
    measured = None
    for f in dumps:
        with open(os.path.join(v.dir, f), errors='replace') as fh:
            head = fh.read(4096)
        if 'measured' in head:
            measured = os.path.join(v.dir, f)
    if measured is None:
        raise RuntimeError('no callgrind dump in %s' % v.dir)
    total, incl = annotate(measured, True)
    _t, excl = annotate(measured, False)
    return {'total': total, 'incl': incl, 'excl': excl,
            'requests': requests, 'statuses': statuses, 'file': measured}


# --------------------------------------------------------------------
# reporting

def med(xs):
    return statistics.median(xs) if xs else float('nan')


def fmt_int(x):
    return '{:,}'.format(int(round(x)))


def machine():
    model = 'unknown'
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    model = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    return os.cpu_count(), model


def verdict(ok):
    return 'met' if ok else 'missed'


# --------------------------------------------------------------------
# the run

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--module', required=True)
    ap.add_argument('--policy-bench', required=True)
    ap.add_argument('--rounds', type=int, default=5)
    ap.add_argument('--duration', type=int, default=5)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--connections', type=int, default=16)
    ap.add_argument('--iterations', type=int, default=2000000)
    ap.add_argument('--callgrind-requests', type=int, default=200)
    ap.add_argument('--results', default=os.path.join(HERE, 'RESULTS.md'))
    ap.add_argument('--command', default='make bench')
    ap.add_argument('--keep', action='store_true')
    a = ap.parse_args()

    # SIGINT too: a background "make bench &" inherits it ignored
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _on_signal)

    started = time.time()
    root = tempfile.mkdtemp(prefix='rtk-bench-')
    os.chmod(root, 0o755)
    ok = False
    interrupted = False
    try:
        report = run(a, root)
        ok = True
    except (KeyboardInterrupt, SystemExit):
        interrupted = True
        raise
    finally:
        stop_all()
        if (ok or interrupted) and not a.keep:
            shutil.rmtree(root, ignore_errors=True)
        if not ok and not interrupted:
            print('bench: failed, files kept in %s' % root, file=sys.stderr)
    report['elapsed'] = time.time() - started
    write_results(a, report)
    return 0


def run(a, root):
    rep = {}
    module = os.path.join(root, 'ngx_http_rtk_module.so')
    shutil.copy2(a.module, module)     # a rebuild must not swap it

    files = {
        'token': write_secret(os.path.join(root, 'cloudflare.token'),
                              TOKEN),
        'key': write_secret(os.path.join(root, 'audit.key'), AUDIT_KEY),
        'policy': write_policy(os.path.join(root, 'policy.json'), 3),
    }
    files10k = dict(files, policy=write_policy(
        os.path.join(root, 'policy-10k.json'), 10000))

    # ---- 1. policy engine scaling (no nginx) ----
    log('policy_bench: 100, 10000, 100000 apps, %d decisions each'
        % a.iterations)
    pb = subprocess.run([a.policy_bench, '-n', str(a.iterations), '-d', root,
                         '100', '10000', '100000'],
                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                        timeout=600)
    out = pb.stdout.decode()
    if pb.returncode != 0:
        raise RuntimeError('policy_bench failed:\n' + out)
    rep['scaling'] = []
    for line in out.splitlines():
        kv = dict(x.split('=', 1) for x in line.split() if '=' in x)
        if 'apps' in kv:
            rep['scaling'].append({k: float(v) for k, v in kv.items()})
            log('  ' + line)

    # ---- 2. throughput and latency ----
    up = Nginx(root, 'upstream', upstream_conf()).start()
    keyed = '%s key=%s' % ('%s', files['key'])
    targets = [
        ('bare', Nginx(root, 'bare', bare_conf(up.port))),
        ('rtk', Nginx(root, 'rtk', rtk_conf(
            up.port, files, keyed % os.path.join(root, 'rtk', 'audit.log')),
            module)),
        ('rtk-audit-off', Nginx(root, 'rtk-audit-off', rtk_conf(
            up.port, files, 'off'), module)),
        ('rtk-fsync', Nginx(root, 'rtk-fsync', rtk_conf(
            up.port, files, (keyed % os.path.join(root, 'rtk-fsync',
                                                  'audit.log')) + ' fsync'),
            module)),
    ]
    inst = dict(targets)
    for _n, ng in targets:
        ng.start()

    # every target answers as expected before anything is measured
    checks = [('bare', CALLER, 200), ('rtk', CALLER, 200),
              ('rtk-audit-off', CALLER, 200), ('rtk-fsync', CALLER, 200),
              ('rtk', DENIED_CALLER, 403)]
    for n, caller, want in checks:
        st, body = one_request(inst[n].port, caller)
        if st != want:
            raise RuntimeError('%s answered %d, not %d: %r' % (
                n, st, want, body[:300]))
    st, body = one_request(inst['rtk'].port, DENIED_CALLER)
    rep['deny_reason'] = json.loads(body)['errors'][0]

    # (label, instance, caller, expected status)
    loads = [('bare', 'bare', CALLER), ('rtk', 'rtk', CALLER),
             ('rtk-audit-off', 'rtk-audit-off', CALLER),
             ('rtk-fsync', 'rtk-fsync', CALLER),
             ('rtk-deny', 'rtk', DENIED_CALLER)]
    log('warm-up: 1 s per target')
    for label, n, caller in loads:
        wrk(inst[n].port, 1, caller, a.threads, a.connections)

    runs = {label: [] for label, _n, _c in loads}
    for rnd in range(a.rounds):
        for label, n, caller in loads:
            cpu = inst[n].cpu_ns()
            r = wrk(inst[n].port, a.duration, caller, a.threads,
                    a.connections)
            r['cpu_us'] = (inst[n].cpu_ns() - cpu) / 1e3 / r['requests']
            bad = r['non2xx']
            if label == 'rtk-deny':
                bad = r['requests'] - r['non2xx']
            if bad or r['socket_errors']:
                raise RuntimeError('%s: %d unexpected answers, socket '
                                   'errors %r\n%s' % (label, bad,
                                                      r['socket_errors'],
                                                      r['raw']))
            runs[label].append(r)
            log('round %d/%d %-14s %8.0f req/s  p50 %6.0f us  p99 %6.0f us'
                '  worker CPU %5.1f us/req'
                % (rnd + 1, a.rounds, label, r['rps'], r['p50'], r['p99'],
                   r['cpu_us']))
            # the audit files would grow by ~1 KiB a request
            for d in ('rtk', 'rtk-fsync'):
                p = os.path.join(root, d, 'audit.log')
                if os.path.exists(p):
                    os.truncate(p, 0)
    rep['runs'] = runs
    rep['ratio'] = {}
    rep['cpu_ratio'] = {}
    for label in ('rtk', 'rtk-audit-off', 'rtk-fsync', 'rtk-deny'):
        rep['ratio'][label] = med([x['rps'] / b['rps'] for x, b in
                                   zip(runs[label], runs['bare'])])
        rep['cpu_ratio'][label] = med([b['cpu_us'] / x['cpu_us'] for x, b
                                       in zip(runs[label], runs['bare'])])
    rep['rss'] = {n: ng.peak_rss_kib() for n, ng in targets}
    rep['private'] = {n: ng.private_kib() for n, ng in targets}

    # ---- 3. worker memory with a 10,000-app policy ----
    big = Nginx(root, 'rtk-10k', rtk_conf(
        up.port, files10k,
        keyed % os.path.join(root, 'rtk-10k', 'audit.log')), module)
    big.start()
    st, body = one_request(big.port)
    if st != 200:
        raise RuntimeError('rtk-10k answered %d: %r' % (st, body[:300]))
    for _ in range(2):
        r = wrk(big.port, 2, CALLER, a.threads, a.connections)
    rep['rss']['rtk-10k'] = big.peak_rss_kib()
    rep['private']['rtk-10k'] = big.private_kib()
    rep['rps_10k'] = r['rps']
    log('peak worker RSS (KiB): %s' % rep['rss'])
    log('private worker memory (KiB): %s' % rep['private'])

    errs = []
    for ng in [up, big] + [t for _n, t in targets]:
        errs += ['%s: %s' % (ng.name, e) for e in ng.errors()]
    rep['error_log'] = errs[:10]
    for ng in [big] + [t for _n, t in targets]:
        ng.stop()
        _running.remove(ng)

    # ---- 4. instructions per request under callgrind ----
    n = a.callgrind_requests
    cg_rtk = callgrind_run(root, 'cg-rtk', rtk_conf(
        up.port, files, keyed % os.path.join(root, 'cg-rtk', 'audit.log')),
        module, n)
    cg_bare = callgrind_run(root, 'cg-bare', bare_conf(up.port), None, n)
    cg_deny = callgrind_run(root, 'cg-deny', rtk_conf(
        up.port, files, keyed % os.path.join(root, 'cg-deny', 'audit.log')),
        module, n, DENIED_CALLER)
    rep['cg'] = {'rtk': cg_rtk, 'bare': cg_bare, 'deny': cg_deny}
    up.stop()
    _running.remove(up)
    return rep


# functions reported per request: (label, candidates, first found wins)
CG_PARTS = [
    ('route', ['rtk_route_parse']),
    ('parse', ['rtk_body_parse']),
    ('policy', ['rtk_policy_eval']),
    ('serialize', ['rtk_body_serialize']),
    ('audit', ['ngx_http_rtk_audit_record']),
    ('audit: decision record', ['ngx_http_rtk_audit_decision']),
    ('audit: outcome record', ['ngx_http_rtk_audit_outcome']),
    ('audit: HMAC', ['ngx_http_rtk_audit_mac']),
    ('audit: write', ['ngx_http_rtk_audit_write']),
    ('header rewrite', ['ngx_http_rtk_rewrite_headers']),
    ('access handler', ['ngx_http_rtk_handler']),
    ('body handler', ['ngx_http_rtk_body_handler']),
    ('content handler', ['ngx_http_rtk_content_handler']),
    ('log handler', ['ngx_http_rtk_log_handler']),
]


def cg_part(cg, names):
    for nm in names:
        if nm in cg['incl']:
            return cg['incl'][nm][0] / cg['requests'], nm
    return None, names[0]


def write_results(a, rep):
    ncpu, model = machine()
    runs = rep['runs']
    sc = {int(s['apps']): s for s in rep['scaling']}
    rss = rep['rss']
    cg = rep['cg']

    def mp(label, key):
        return med([r[key] for r in runs[label]])

    bare_p99 = mp('bare', 'p99')
    added_p99 = mp('rtk', 'p99') - bare_p99
    added_p50 = mp('rtk', 'p50') - mp('bare', 'p50')
    evals = [sc[k]['eval_ns'] for k in sorted(sc)]
    flat = max(evals) <= 2.0 * min(evals)
    rss_growth = (rss['rtk-10k'] - rss['bare']) / 1024.0
    rss_growth_rtk = (rss['rtk-10k'] - rss['rtk']) / 1024.0
    load100k = sc[100000]['load_ms'] if 100000 in sc else float('nan')

    targets = [
        ('rtk/bare throughput >= 0.90 (audit default)',
         '%.3f (CPU-based %.3f)' % (rep['ratio']['rtk'],
                                    rep['cpu_ratio']['rtk']),
         rep['ratio']['rtk'] >= 0.90),
        ('rtk/bare throughput >= 0.95 (audit off)',
         '%.3f (CPU-based %.3f)' % (rep['ratio']['rtk-audit-off'],
                                    rep['cpu_ratio']['rtk-audit-off']),
         rep['ratio']['rtk-audit-off'] >= 0.95),
        ('added p99 latency < 100 us (audit default)',
         '%.0f us' % added_p99, added_p99 < 100),
        ('policy decision < 2 us and flat (100 -> 100k apps, max <= 2x min)',
         ' / '.join('%.0f ns' % e for e in evals),
         max(evals) < 2000 and flat),
        ('100k-app policy loads in < 1 s', '%.0f ms' % load100k,
         load100k < 1000),
        ('worker memory +<= 5 MiB for 10k apps (rtk-10k vs bare)',
         '%+.1f MiB' % rss_growth, rss_growth <= 5.0),
    ]

    L = []
    L.append('# ngx_rtk_module benchmark results')
    L.append('')
    L.append('- machine: %d CPUs, %s' % (ncpu, model))
    L.append('- date: %s' % datetime.datetime.now(datetime.timezone.utc)
             .strftime('%Y-%m-%d %H:%M UTC'))
    L.append('- command: `%s` (bench/run.sh; %.0f s in all)'
             % (a.command, rep['elapsed']))
    L.append('- nginx: %s, worker_processes 1 per instance, access_log off,'
             ' keepalive to the upstream' % nginx_version())
    L.append('- load: `wrk -t%d -c%d -d%ds --latency -s bench/patch.lua`, '
             '%d rounds, targets driven in turn within each round; '
             'medians below' % (a.threads, a.connections, a.duration,
                                a.rounds))
    L.append('')
    L.append('## Targets')
    L.append('')
    L.append('| target | measured | |')
    L.append('|---|---|---|')
    for name, val, ok in targets:
        L.append('| %s | %s | %s |' % (name, val, verdict(ok)))
    L.append('')
    L.append('## Throughput and latency (medians of %d rounds)' % a.rounds)
    L.append('')
    L.append('| target | req/s | vs bare | p50 | p99 | added p50 | added p99'
             ' | worker CPU/request | bare CPU / this CPU | worker peak RSS |')
    L.append('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
    desc = {'bare': 'bare: proxy_pass + fixed Authorization',
            'rtk': 'rtk: audit default (file, key=)',
            'rtk-audit-off': 'rtk: rtk_audit_log off',
            'rtk-fsync': 'rtk: audit key= fsync',
            'rtk-deny': 'rtk: denied requests (403 %d)'
            % rep['deny_reason']['code']}
    for label in ('bare', 'rtk', 'rtk-audit-off', 'rtk-fsync', 'rtk-deny'):
        ratio = 1.0 if label == 'bare' else rep['ratio'][label]
        inst = 'rtk' if label == 'rtk-deny' else label
        cratio = 1.0 if label == 'bare' else rep['cpu_ratio'][label]
        L.append('| %s | %s | %.3f | %.0f us | %.0f us | %+.0f us | %+.0f us'
                 ' | %.1f us | %.3f | %.1f MiB |' % (
                     desc[label], fmt_int(mp(label, 'rps')), ratio,
                     mp(label, 'p50'), mp(label, 'p99'),
                     mp(label, 'p50') - mp('bare', 'p50'),
                     mp(label, 'p99') - bare_p99, mp(label, 'cpu_us'),
                     cratio, rss[inst] / 1024.0))
    L.append('')
    L.append('Each round, req/s:')
    L.append('')
    L.append('| round | ' + ' | '.join(runs) + ' |')
    L.append('|---' * (len(runs) + 1) + '|')
    for i in range(a.rounds):
        L.append('| %d | ' % (i + 1) + ' | '.join(
            fmt_int(runs[k][i]['rps']) for k in runs) + ' |')
    L.append('')
    L.append('"vs bare" is the median of the per-round ratios of req/s.  '
             'Worker CPU/request is the nginx worker\'s on-CPU time '
             '(/proc/PID/schedstat) over the requests of the run; '
             '"bare CPU / this CPU" is the throughput ratio that the '
             'worker\'s own cost allows when the worker is the '
             'bottleneck, and is less sensitive to other load on the '
             'machine than req/s.')
    L.append('')
    L.append('The deny workload is the same PATCH from a caller who is not '
             'an editor: body parsed, policy evaluated, 403 envelope and '
             'audit record written, nothing forwarded.')
    L.append('')
    L.append('## Policy scaling (bench/policy_bench.c, librtk.a)')
    L.append('')
    L.append('| apps | policy file | load (median of 3) | decision '
             '(random existing apps) | decision (one hot app) |')
    L.append('|---:|---:|---:|---:|---:|')
    for k in sorted(sc):
        s = sc[k]
        L.append('| %s | %.1f MiB | %.1f ms | %.0f ns | %.0f ns |' % (
            fmt_int(k), s['bytes'] / 1048576.0, s['load_ms'], s['eval_ns'],
            s['hot_ns']))
    L.append('')
    L.append('%s decisions per size and column: over 65,536 precomputed '
             'routes to random apps, then to one app only; the caller is in '
             'a group that edits every app, all allowed.  The policy is the '
             'same 3-principal rule per app (bench/policy_bench.c).'
             % fmt_int(sc[min(sc)]['iterations'] / 2))
    L.append('')
    L.append('Worker peak RSS (VmHWM): bare %.1f MiB, rtk (3 apps) %.1f MiB, '
             'rtk with 10,000 apps %.1f MiB: %+.1f MiB vs bare, %+.1f MiB '
             'vs the small policy.' % (
                 rss['bare'] / 1024.0, rss['rtk'] / 1024.0,
                 rss['rtk-10k'] / 1024.0, rss_growth, rss_growth_rtk))
    L.append('')
    pv = rep['private']
    L.append('Private worker memory (Private_Clean + Private_Dirty, not '
             'shared with the master, which loads the policy before it '
             'forks): bare %.1f MiB, rtk %.1f MiB, rtk with 10,000 apps '
             '%.1f MiB: %+.1f MiB vs bare.  RSS counts the shared policy '
             'pages in every worker that reads them; the machine pays for '
             'them once.' % (pv['bare'] / 1024.0, pv['rtk'] / 1024.0,
                             pv['rtk-10k'] / 1024.0,
                             (pv['rtk-10k'] - pv['bare']) / 1024.0))
    L.append('')
    L.append('## Instructions per request (callgrind, %d requests after '
             '10 warm-up ones)' % cg['rtk']['requests'])
    L.append('')
    tr = cg['rtk']['total'] / cg['rtk']['requests']
    tb = cg['bare']['total'] / cg['bare']['requests']
    td = cg['deny']['total'] / cg['deny']['requests']
    L.append('Whole nginx process: bare %s, rtk %s (%+s, x%.2f), '
             'denied request %s instructions per request.' % (
                 fmt_int(tb), fmt_int(tr), fmt_int(tr - tb), tr / tb,
                 fmt_int(td)))
    L.append('')
    L.append('| part (inclusive) | function | instr/request | share of '
             'rtk request |')
    L.append('|---|---|---:|---:|')
    for label, names in CG_PARTS:
        v, nm = cg_part(cg['rtk'], names)
        if v is None:
            L.append('| %s | %s | (inlined) | |' % (label, nm))
        else:
            L.append('| %s | %s | %s | %.1f%% |' % (
                label, nm, fmt_int(v), 100.0 * v / tr))
    L.append('')
    L.append('Top functions by self cost added per request (rtk minus '
             'bare; nginx, libcrypto and libyajl are stripped, so some '
             'show as addresses: in libcrypto.so.3 the largest is the '
             'SHA-256 block function of the audit HMAC, most likely):')
    L.append('')
    L.append('| function | file | instr/request |')
    L.append('|---|---|---:|')
    for func, v, fname in cg_added(cg):
        L.append('| %s | %s | %s |' % (func, fname, fmt_int(v)))
    L.append('')
    L.append('Module functions by inclusive cost per request:')
    L.append('')
    L.append('| function | instr/request |')
    L.append('|---|---:|')
    for func, v in cg_module_top(cg['rtk'], 15):
        L.append('| %s | %s |' % (func, fmt_int(v)))
    L.append('')
    L.append('Callgrind counts user-space instructions only: write(2) and '
             'fsync(2) time in the kernel shows up in the wrk figures, not '
             'here.')
    if rep['error_log']:
        L.append('')
        L.append('error.log lines at level error or above:')
        L.append('')
        for e in rep['error_log']:
            L.append('    ' + e)
    L.append('')

    text = '\n'.join(L)
    with open(a.results, 'w') as f:
        f.write(text)

    # terminal table
    print()
    print('%-46s %-22s %s' % ('target', 'measured', 'verdict'))
    for name, val, ok in targets:
        print('%-46s %-22s %s' % (name[:46], val, verdict(ok)))
    print()
    print('%-16s %10s %7s %9s %9s %9s %10s' % (
        'workload', 'req/s', 'ratio', 'p50 us', 'p99 us', 'CPU us/r',
        'RSS MiB'))
    for label in ('bare', 'rtk', 'rtk-audit-off', 'rtk-fsync', 'rtk-deny'):
        inst = 'rtk' if label == 'rtk-deny' else label
        ratio = 1.0 if label == 'bare' else rep['ratio'][label]
        print('%-16s %10.0f %7.3f %9.0f %9.0f %9.1f %10.1f' % (
            label, mp(label, 'rps'), ratio, mp(label, 'p50'),
            mp(label, 'p99'), mp(label, 'cpu_us'), rss[inst] / 1024.0))
    print()
    print('instructions/request: bare %s, rtk %s, deny %s' % (
        fmt_int(tb), fmt_int(tr), fmt_int(td)))
    for label, names in CG_PARTS[:5]:
        v, nm = cg_part(cg['rtk'], names)
        print('  %-10s %s' % (label, 'inlined' if v is None else fmt_int(v)))
    print('results written to %s' % a.results)


def cg_added(cg, top=15):
    rtk, bare = cg['rtk'], cg['bare']
    out = []
    for func, (n, fname, obj) in rtk['excl'].items():
        if n >= rtk['total'] / 2:
            continue        # frames live at --zero: their count is bogus
        if fname in ('', '???'):
            fname = obj
        b = bare['excl'].get(func, (0, '', ''))[0] / bare['requests']
        d = n / rtk['requests'] - b
        out.append((func, d, os.path.basename(fname) or obj))
    out.sort(key=lambda x: -x[1])
    return out[:top]


def cg_module_top(cg, top):
    out = []
    for func, (n, fname, obj) in cg['incl'].items():
        if ours(fname, obj):
            out.append((func, n / cg['requests']))
    out.sort(key=lambda x: -x[1])
    return out[:top]


def nginx_version():
    r = subprocess.run([NGINX, '-v'], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    return r.stdout.decode().strip().replace('nginx version: ', '')


if __name__ == '__main__':
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        stop_all()
        sys.exit(130)
