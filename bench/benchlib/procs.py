#
# Copyright (C) ngx_rtk_module authors
#
# Process control for the benchmark: nginx instances with their own
# prefix, nginx under callgrind, and stopping every process started,
# whatever happens.
#
# Python 3 standard library only.
#

import os
import re
import signal
import socket
import subprocess
import sys
import time


NGINX = os.environ.get('RTK_NGINX', '/usr/sbin/nginx')
HOST = '127.0.0.1'          # never anything but loopback

_running = []               # every process we started and must stop


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


def on_signal(signum, frame):
    raise SystemExit(128 + signum)


def stop(proc):
    """Stops one process now rather than at exit."""
    proc.stop()
    if proc in _running:
        _running.remove(proc)


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

    def __init__(self, root, name, conf, modules=(), workers=1):
        self.name = name
        self.dir = os.path.join(root, name)
        os.makedirs(self.dir)
        self.port = free_port()
        self.conf = os.path.join(self.dir, 'nginx.conf')
        self.pid = None
        text = main_conf(self.dir, modules, workers, daemon=True)
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

    def __init__(self, root, name, conf, modules=()):
        self.name = name
        self.dir = os.path.join(root, name)
        os.makedirs(self.dir)
        self.port = free_port()
        self.conf = os.path.join(self.dir, 'nginx.conf')
        self.out = os.path.join(self.dir, 'callgrind.out')
        self.proc = None
        text = main_conf(self.dir, modules, 1, daemon=False)
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


def main_conf(d, modules, workers, daemon):
    out = ''.join('load_module %s;\n' % m for m in modules)
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


def nginx_version():
    r = subprocess.run([NGINX, '-v'], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    return r.stdout.decode().strip().replace('nginx version: ', '')
