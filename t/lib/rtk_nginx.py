#
# Copyright (C) ngx_rtk_module authors
#
# Running nginx for a test: its configuration, nginx -t, start, stop
# and reload, worker processes and their memory.
#

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time


from rtk_base import (MODULE, NGINX, VALGRIND, SINGLE, nginx_env, test_dir,
                      free_port)


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
