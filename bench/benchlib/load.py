#
# Copyright (C) ngx_rtk_module authors
#
# Load: single requests for the functional checks, wrk runs and their
# parsing, and the rounds that drive several targets in turn so that
# other load on the machine falls on all of them alike.
#
# Python 3 standard library only.
#

import http.client
import os
import re
import subprocess

from .procs import HOST, log
from .setup import BENCH, BODY, CALLER, PATH


_UNITS = {'us': 1.0, 'ms': 1e3, 's': 1e6, 'm': 60e6}


def one_request(port, caller=CALLER, conn=None, body=BODY,
                content_type='application/json'):
    c = conn or http.client.HTTPConnection(HOST, port, timeout=30)
    c.request('PATCH', PATH, body=body.encode(),
              headers={'Content-Type': content_type,
                       'X-Caller': caller, 'User-Agent': 'rtk-bench/1'})
    r = c.getresponse()
    data = r.read()
    if conn is None:
        c.close()
    return r.status, data


def _usec(text):
    m = re.match(r'([\d.]+)(us|ms|s|m)$', text)
    if not m:
        raise ValueError('latency %r' % text)
    return float(m.group(1)) * _UNITS[m.group(2)]


def wrk(port, duration, caller, threads, conns):
    env = dict(os.environ, RTK_CALLER=caller)
    cmd = ['wrk', '-t%d' % threads, '-c%d' % conns, '-d%ds' % duration,
           '--latency', '-s', os.path.join(BENCH, 'patch.lua'),
           'http://%s:%d' % (HOST, port)]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       env=env, timeout=duration + 60)
    out = r.stdout.decode('utf-8', 'replace')
    if r.returncode != 0:
        raise RuntimeError('wrk failed: %s' % out)
    return parse_wrk(out)


def parse_wrk(out):
    """req/s, requests, p50 and p99 in us, errors, from wrk --latency."""
    res = {'raw': out}
    m = re.search(r'Requests/sec:\s+([\d.]+)', out)
    n = re.search(r'(\d+) requests in', out)
    if m is None or n is None:
        raise RuntimeError('wrk said no request rate: %s' % out)
    res['rps'] = float(m.group(1))
    res['requests'] = int(n.group(1))
    for pct in ('50', '99'):
        m = re.search(r'^\s+%s(?:\.0+)?%%\s+(\S+)' % pct, out, re.M)
        if m is None:
            raise RuntimeError('wrk said no p%s: %s' % (pct, out))
        res['p' + pct] = _usec(m.group(1))
    m = re.search(r'Non-2xx or 3xx responses: (\d+)', out)
    res['non2xx'] = int(m.group(1)) if m else 0
    m = re.search(r'Socket errors: (.*)', out)
    res['socket_errors'] = m.group(1) if m else ''
    return res


class Workload(object):
    """One wrk target: an instance, a caller, whether it is refused,
    and in how many of a phase's rounds and for how long it runs."""

    def __init__(self, label, inst, caller=CALLER, denied=False,
                 rounds=None, duration=None):
        self.label = label
        self.inst = inst
        self.caller = caller
        self.denied = denied
        self.rounds = rounds
        self.duration = duration


def drive(phase, loads, rounds, duration, threads, conns, after=None):
    """Rounds of every workload in turn; returns label -> [wrk result].
    A workload with fewer rounds runs in the first ones only.  after()
    runs after each wrk run (the audit files are emptied there)."""
    runs = {w.label: [] for w in loads}
    for rnd in range(rounds):
        for w in loads:
            if w.rounds is not None and rnd >= w.rounds:
                continue
            cpu = w.inst.cpu_ns()
            r = wrk(w.inst.port, w.duration or duration, w.caller, threads,
                    conns)
            r['round'] = rnd
            r['cpu_us'] = (w.inst.cpu_ns() - cpu) / 1e3 / r['requests']
            bad = r['requests'] - r['non2xx'] if w.denied else r['non2xx']
            if bad or r['socket_errors']:
                raise RuntimeError('%s %s: %d unexpected answers, socket '
                                   'errors %r\n%s' % (
                                       phase, w.label, bad,
                                       r['socket_errors'], r['raw']))
            runs[w.label].append(r)
            log('%s round %d/%d %-14s %8.0f req/s  p50 %6.0f us  p99 %6.0f '
                'us  worker CPU %5.1f us/req'
                % (phase, rnd + 1, rounds, w.label, r['rps'], r['p50'],
                   r['p99'], r['cpu_us']))
            if after is not None:
                after()
    return runs
