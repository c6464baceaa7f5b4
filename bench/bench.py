#
# Copyright (C) ngx_rtk_module authors
#
# The benchmark driver behind bench/run.sh, in one run: the policy
# micro-benchmark, then nginx instances on 127.0.0.1 (an upstream
# standing in for the Cloudflare API, bare proxy_pass, the gateway with
# its audit off, default and with fsync, an njs gateway doing the same
# checks) driven in turn with wrk at 16 connections and at 1, worker
# memory with 10,000 apps, and callgrind per stage; then a table of
# every target, met or missed, in bench/RESULTS.md.  Every process it
# starts is stopped on exit, failure, Ctrl-C or SIGTERM.
#
#   benchlib/procs.py   nginx and valgrind processes
#   benchlib/setup.py   the request, the configurations, the files
#   benchlib/load.py    single requests, wrk, rounds
#   benchlib/cg.py      callgrind and its stages
#   benchlib/report.py  targets and RESULTS.md
#
# Python 3 standard library only.
#

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from benchlib import procs, report
from benchlib.cg import callgrind_run
from benchlib.load import Workload, drive, one_request, wrk
from benchlib.procs import Nginx, log
from benchlib.setup import (AUDIT_KEY, CALLER, DENIED_CALLER, NJS_MODULE,
                            TOKEN, bare_conf, njs_conf, rtk_conf,
                            upstream_conf, write_njs_policy, write_policy,
                            write_secret)


HERE = os.path.dirname(os.path.abspath(__file__))

# bodies both gateways must answer alike: (label, caller, body, status)
CHECKS = [
    ('allowed edit', CALLER, None, 200),
    ('caller not an editor', DENIED_CALLER, None, 403),
    ('url not allowed', CALLER, '{"url": "https://evil.example/x"}', 403),
    ('event not allowed', CALLER, '{"events": ["meeting.summary"]}', 403),
    ('unknown field', CALLER, '{"name": "x", "colour": "red"}', 400),
    ('enabled not boolean', CALLER, '{"enabled": "yes"}', 400),
    ('duplicate event', CALLER,
     '{"events": ["meeting.started", "meeting.started"]}', 400),
    ('not JSON', CALLER, '{"name": "x"', 400),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--module', required=True)
    ap.add_argument('--policy-bench', required=True)
    ap.add_argument('--rounds', type=int, default=5)
    ap.add_argument('--duration', type=int, default=4)
    ap.add_argument('--secondary-rounds', type=int, default=3,
                    help='rounds of fsync and denied (default 3)')
    ap.add_argument('--secondary-duration', type=int, default=2)
    ap.add_argument('--latency-rounds', type=int, default=3)
    ap.add_argument('--latency-duration', type=int, default=2)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--connections', type=int, default=16)
    ap.add_argument('--iterations', type=int, default=2000000)
    ap.add_argument('--callgrind-requests', type=int, default=200)
    ap.add_argument('--results', default=os.path.join(HERE, 'RESULTS.md'))
    ap.add_argument('--command', default='make bench')
    ap.add_argument('--keep', action='store_true')
    a = ap.parse_args()
    a.secondary_rounds = min(a.secondary_rounds, a.rounds)

    # SIGINT too: a background "make bench &" inherits it ignored
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, procs.on_signal)

    started = time.time()
    root = tempfile.mkdtemp(prefix='rtk-bench-')
    os.chmod(root, 0o755)
    ok = False
    interrupted = False
    try:
        rep = run(a, root)
        ok = True
    except (KeyboardInterrupt, SystemExit):
        interrupted = True
        raise
    finally:
        procs.stop_all()
        if (ok or interrupted) and not a.keep:
            shutil.rmtree(root, ignore_errors=True)
        if not ok and not interrupted:
            print('bench: failed, files kept in %s' % root, file=sys.stderr)
    rep['elapsed'] = time.time() - started
    report.write(a, rep)
    return 0


def policy_scaling(a, root):
    log('policy_bench: 100, 10000, 100000 apps, %d decisions each'
        % a.iterations)
    pb = subprocess.run([a.policy_bench, '-n', str(a.iterations), '-d', root,
                         '100', '10000', '100000'],
                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                        timeout=600)
    out = pb.stdout.decode()
    if pb.returncode != 0:
        raise RuntimeError('policy_bench failed:\n' + out)
    rows = []
    for line in out.splitlines():
        kv = dict(x.split('=', 1) for x in line.split() if '=' in x)
        if 'apps' in kv:
            rows.append({k: float(v) for k, v in kv.items()})
            log('  ' + line)
    return rows


def answer_code(body):
    try:
        return json.loads(body)['errors'][0]['code']
    except (ValueError, KeyError, IndexError, TypeError):
        return None


def check_answers(inst):
    """Every target answers as it should, and the njs gateway with the
    status rtk gives, before anything is timed; error codes are reported
    side by side."""
    for n in ('bare', 'rtk', 'rtk-audit-off', 'rtk-fsync', 'njs'):
        st, body = one_request(inst[n].port)
        if st != 200:
            raise RuntimeError('%s answered %d, not 200: %r' % (
                n, st, body[:300]))
    rows = []
    for label, caller, body, want in CHECKS:
        got = {}
        for n in ('rtk', 'njs'):
            kw = {} if body is None else {'body': body}
            st, data = one_request(inst[n].port, caller, **kw)
            got[n] = (st, answer_code(data) if st != 200 else None)
        if got['rtk'][0] != want or got['njs'][0] != want:
            raise RuntimeError('%s: rtk answered %r, njs %r, want %d' % (
                label, got['rtk'], got['njs'], want))
        rows.append((label, want, got['rtk'][1], got['njs'][1]))
    return rows


def run(a, root):
    rep = {}
    module = os.path.join(root, 'ngx_http_rtk_module.so')
    shutil.copy2(a.module, module)     # a rebuild must not swap it
    if not os.path.exists(NJS_MODULE):
        raise RuntimeError('%s is missing: install libnginx-mod-http-js'
                           % NJS_MODULE)

    files = {
        'token': write_secret(os.path.join(root, 'cloudflare.token'),
                              TOKEN),
        'key': write_secret(os.path.join(root, 'audit.key'), AUDIT_KEY),
        'policy': write_policy(os.path.join(root, 'policy.json'), 3),
    }
    njs_dir = write_njs_policy(files['policy'],
                               os.path.join(root, 'njs-policy'))
    files10k = dict(files, policy=write_policy(
        os.path.join(root, 'policy-10k.json'), 10000))

    def audit(name, extra=''):
        return '%s key=%s%s' % (os.path.join(root, name, 'audit.log'),
                                files['key'], extra)

    # ---- 1. policy engine scaling (no nginx) ----
    rep['scaling'] = policy_scaling(a, root)

    # ---- 2. throughput at 16 connections, latency at 1 ----
    up = Nginx(root, 'upstream', upstream_conf()).start()
    inst = {
        'bare': Nginx(root, 'bare', bare_conf(up.port)),
        'rtk': Nginx(root, 'rtk', rtk_conf(up.port, files, audit('rtk')),
                     [module]),
        'rtk-audit-off': Nginx(root, 'rtk-audit-off',
                               rtk_conf(up.port, files, 'off'), [module]),
        'rtk-fsync': Nginx(root, 'rtk-fsync', rtk_conf(
            up.port, files, audit('rtk-fsync', ' fsync')), [module]),
        'njs': Nginx(root, 'njs', njs_conf(up.port, njs_dir), [NJS_MODULE]),
    }
    for ng in inst.values():
        ng.start()
    rep['checks'] = check_answers(inst)
    st, body = one_request(inst['rtk'].port, DENIED_CALLER)
    rep['deny_code'] = answer_code(body)

    def empty_audit():
        # the audit files would grow by ~1 KiB a request
        for d in ('rtk', 'rtk-fsync'):
            p = os.path.join(root, d, 'audit.log')
            if os.path.exists(p):
                os.truncate(p, 0)

    sr, sd = a.secondary_rounds, a.secondary_duration
    loads = [Workload('bare', inst['bare']),
             Workload('rtk', inst['rtk']),
             Workload('rtk-audit-off', inst['rtk-audit-off']),
             Workload('njs', inst['njs']),
             Workload('rtk-fsync', inst['rtk-fsync'], rounds=sr,
                      duration=sd),
             Workload('rtk-deny', inst['rtk'], DENIED_CALLER, denied=True,
                      rounds=sr, duration=sd)]
    log('warm-up: 1 s per target')
    for w in loads:
        wrk(w.inst.port, 1, w.caller, a.threads, a.connections)
    rep['runs'] = drive('%dc' % a.connections, loads, a.rounds, a.duration,
                        a.threads, a.connections, empty_audit)

    lat = [Workload(n, inst[n]) for n in ('bare', 'rtk', 'rtk-audit-off',
                                          'njs')]
    rep['lat'] = drive('1c', lat, a.latency_rounds, a.latency_duration,
                       a.threads, 1, empty_audit)
    rep['rss'] = {n: ng.peak_rss_kib() for n, ng in inst.items()}
    rep['private'] = {n: ng.private_kib() for n, ng in inst.items()}

    # ---- 3. worker memory with a 10,000-app policy ----
    big = Nginx(root, 'rtk-10k', rtk_conf(up.port, files10k,
                                          audit('rtk-10k')), [module])
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
    for ng in [up, big] + list(inst.values()):
        errs += ['%s: %s' % (ng.name, e) for e in ng.errors()]
    rep['error_log'] = errs[:10]
    for ng in [big] + list(inst.values()):
        procs.stop(ng)

    # ---- 4. instructions per request under callgrind ----
    n = a.callgrind_requests
    rep['cg'] = {
        'rtk': callgrind_run(root, 'cg-rtk', rtk_conf(
            up.port, files, audit('cg-rtk')), [module], n),
        'bare': callgrind_run(root, 'cg-bare', bare_conf(up.port), [], n),
        'deny': callgrind_run(root, 'cg-deny', rtk_conf(
            up.port, files, audit('cg-deny')), [module], n, DENIED_CALLER),
        'njs': callgrind_run(root, 'cg-njs', njs_conf(up.port, njs_dir),
                             [NJS_MODULE], n),
    }
    procs.stop(up)
    return rep


if __name__ == '__main__':
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        procs.stop_all()
        sys.exit(130)
