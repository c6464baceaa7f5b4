#
# Copyright (C) ngx_rtk_module authors
#
# The report: every target of the hot-path issue with its measured value
# and met or missed (reported, never asserted), the raw medians behind
# them, written to bench/RESULTS.md and summed up on the terminal.
#
# Python 3 standard library only.
#

import datetime
import os
import statistics

from .cg import STAGES, added_self, module_top
from .procs import nginx_version


DESC = {
    'bare': 'bare: proxy_pass + fixed Authorization',
    'rtk': 'rtk: audit default (file, key=)',
    'rtk-audit-off': 'rtk: rtk_audit_log off',
    'njs': 'njs gateway (bench/njs/gateway.js)',
    'rtk-fsync': 'rtk: audit key= fsync',
    'rtk-deny': 'rtk: denied requests (403)',
}

FSYNC_TARGET = 14000        # 10 x the 1,400 requests/s measured before


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


def ratio(runs, label, base, key='rps'):
    """Median of per-round ratios label/base, over the rounds both ran;
    for 'cpu_us' the inverse (base CPU / label CPU)."""
    by = {r['round']: r for r in runs[base]}
    xs = []
    for r in runs[label]:
        b = by.get(r['round'])
        if b is None:
            continue
        xs.append(r[key] / b[key] if key == 'rps' else b[key] / r[key])
    return med(xs)


def figures(rep):
    """Everything the targets and tables need, computed once."""
    runs, lat = rep['runs'], rep['lat']
    f = {}
    f['mp'] = {k: {m: med([r[m] for r in v])
                   for m in ('rps', 'p50', 'p99', 'cpu_us')}
               for k, v in runs.items()}
    f['lp'] = {k: {m: med([r[m] for r in v])
                   for m in ('rps', 'p50', 'p99', 'cpu_us')}
               for k, v in lat.items()}
    f['ratio'] = {k: ratio(runs, k, 'bare') for k in runs if k != 'bare'}
    f['cpu_ratio'] = {k: ratio(runs, k, 'bare', 'cpu_us')
                      for k in runs if k != 'bare'}
    f['audit_cost'] = ratio(runs, 'rtk', 'rtk-audit-off')
    f['audit_cost_cpu'] = ratio(runs, 'rtk', 'rtk-audit-off', 'cpu_us')
    f['vs_njs'] = {k: ratio(runs, k, 'njs') for k in ('rtk', 'rtk-audit-off')}
    f['vs_njs_cpu'] = {k: ratio(runs, k, 'njs', 'cpu_us')
                       for k in ('rtk', 'rtk-audit-off')}
    f['added'] = {k: {p: f['lp'][k][p] - f['lp']['bare'][p]
                      for p in ('p50', 'p99')} for k in lat}
    return f


def targets(rep, f):
    sc = {int(s['apps']): s for s in rep['scaling']}
    evals = [sc[k]['eval_ns'] for k in sorted(sc)]
    flat = max(evals) <= 2.0 * min(evals)
    load100k = sc[100000]['load_ms'] if 100000 in sc else float('nan')
    rss = rep['rss']
    rss_growth = (rss['rtk-10k'] - rss['bare']) / 1024.0
    fsync = f['mp']['rtk-fsync']['rps']
    ad, ao = f['added']['rtk'], f['added']['rtk-audit-off']
    return [
        ('rtk/bare throughput >= 0.90 (audit default)',
         '%.3f (CPU-based %.3f)' % (f['ratio']['rtk'],
                                    f['cpu_ratio']['rtk']),
         f['ratio']['rtk'] >= 0.90),
        ('rtk/bare throughput >= 0.95 (audit off)',
         '%.3f (CPU-based %.3f)' % (f['ratio']['rtk-audit-off'],
                                    f['cpu_ratio']['rtk-audit-off']),
         f['ratio']['rtk-audit-off'] >= 0.95),
        ('audit cost: rtk default / rtk audit off >= 0.95',
         '%.3f (CPU-based %.3f)' % (f['audit_cost'], f['audit_cost_cpu']),
         f['audit_cost'] >= 0.95),
        ('fsync audit >= %s req/s (10x the 1,400 before)'
         % fmt_int(FSYNC_TARGET),
         '%s req/s (%.3f of bare)' % (fmt_int(fsync),
                                      f['ratio']['rtk-fsync']),
         fsync >= FSYNC_TARGET),
        ('rtk (audit default) faster than the njs gateway (rtk/njs > 1)',
         '%.2f (CPU-based %.2f); audit off %.2f' % (
             f['vs_njs']['rtk'], f['vs_njs_cpu']['rtk'],
             f['vs_njs']['rtk-audit-off']),
         f['vs_njs']['rtk'] > 1.0),
        ('added p99 latency < 100 us at 1 connection (audit default)',
         '%+.0f us (p50 %+.0f us)' % (ad['p99'], ad['p50']),
         ad['p99'] < 100),
        ('added p99 latency < 100 us at 1 connection (audit off)',
         '%+.0f us (p50 %+.0f us)' % (ao['p99'], ao['p50']),
         ao['p99'] < 100),
        ('policy decision < 2 us and flat (100 -> 100k apps, max <= 2x min)',
         ' / '.join('%.0f ns' % e for e in evals),
         max(evals) < 2000 and flat),
        ('100k-app policy loads in < 1 s', '%.0f ms' % load100k,
         load100k < 1000),
        ('worker memory +<= 5 MiB for 10k apps (rtk-10k vs bare)',
         '%+.1f MiB' % rss_growth, rss_growth <= 5.0),
    ]


def write(a, rep):
    f = figures(rep)
    tg = targets(rep, f)
    L = header(a, rep)
    L += ['## Targets', '',
          'Reported, not asserted: a missed target does not fail the run.',
          '', '| target | measured | |', '|---|---|---|']
    L += ['| %s | %s | %s |' % (n, v, verdict(ok)) for n, v, ok in tg]
    L += ['']
    L += throughput(a, rep, f)
    L += latency(a, rep, f)
    L += njs_section(rep)
    L += policy_section(rep)
    L += callgrind_section(rep)
    if rep['error_log']:
        L += ['', 'error.log lines at level error or above:', '']
        L += ['    ' + e for e in rep['error_log']]
    L.append('')
    with open(a.results, 'w') as fh:
        fh.write('\n'.join(L))
    terminal(a, rep, f, tg)


def header(a, rep):
    ncpu, model = machine()
    return [
        '# ngx_rtk_module benchmark results', '',
        '- machine: %d CPUs, %s' % (ncpu, model),
        '- date: %s' % datetime.datetime.now(datetime.timezone.utc)
        .strftime('%Y-%m-%d %H:%M UTC'),
        '- command: `%s` (bench/run.sh; %.0f s in all)'
        % (a.command, rep['elapsed']),
        '- nginx: %s, worker_processes 1 per instance, access_log off,'
        ' keepalive to the upstream' % nginx_version(),
        '- load: `wrk -t%d --latency -s bench/patch.lua`; at %d '
        'connections %d rounds of %d s (fsync and denied: the first %d '
        'rounds, %d s each), at 1 connection %d rounds of %d s; targets '
        'driven in turn within each round; medians below'
        % (a.threads, a.connections, a.rounds, a.duration,
           a.secondary_rounds, a.secondary_duration, a.latency_rounds,
           a.latency_duration),
        '',
    ]


def throughput(a, rep, f):
    runs, mp, rss = rep['runs'], f['mp'], rep['rss']
    L = ['## Throughput at %d connections (medians)' % a.connections, '',
         '| target | req/s | vs bare | p50 | p99 | added p50 | added p99'
         ' | worker CPU/request | bare CPU / this CPU | worker peak RSS |',
         '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|']
    for label in runs:
        inst = 'rtk' if label == 'rtk-deny' else label
        r = 1.0 if label == 'bare' else f['ratio'][label]
        c = 1.0 if label == 'bare' else f['cpu_ratio'][label]
        desc = DESC[label]
        if label == 'rtk-deny':
            desc = 'rtk: denied requests (403 %s)' % rep['deny_code']
        L.append('| %s | %s | %.3f | %.0f us | %.0f us | %+.0f us | %+.0f us'
                 ' | %.1f us | %.3f | %.1f MiB |' % (
                     desc, fmt_int(mp[label]['rps']), r, mp[label]['p50'],
                     mp[label]['p99'],
                     mp[label]['p50'] - mp['bare']['p50'],
                     mp[label]['p99'] - mp['bare']['p99'],
                     mp[label]['cpu_us'], c, rss[inst] / 1024.0))
    L += ['', 'Each round, req/s:', '',
          '| round | ' + ' | '.join(runs) + ' |',
          '|---' * (len(runs) + 1) + '|']
    for i in range(a.rounds):
        cells = []
        for k in runs:
            by = {r['round']: r for r in runs[k]}
            cells.append(fmt_int(by[i]['rps']) if i in by else '')
        L.append('| %d | ' % (i + 1) + ' | '.join(cells) + ' |')
    L += ['',
          '"vs bare" is the median of the per-round ratios of req/s '
          '(fsync and denied: over the rounds they ran).  Worker '
          'CPU/request is the nginx worker\'s on-CPU time '
          '(/proc/PID/schedstat) over the requests of the run; "bare CPU '
          '/ this CPU" is the throughput ratio that the worker\'s own cost '
          'allows when the worker is the bottleneck, and is less sensitive '
          'to other load on the machine than req/s.', '',
          'The deny workload is the same PATCH from a caller who is not '
          'an editor: body parsed, policy evaluated, 403 envelope and '
          'audit record written, nothing forwarded.', '']
    return L


def latency(a, rep, f):
    lat, lp = rep['lat'], f['lp']
    L = ['## Added latency at 1 connection (medians of %d rounds)'
         % a.latency_rounds, '',
         '| target | req/s | p50 | p99 | added p50 | added p99 |',
         '|---|---:|---:|---:|---:|---:|']
    for label in lat:
        L.append('| %s | %s | %.0f us | %.0f us | %+.0f us | %+.0f us |' % (
            DESC[label], fmt_int(lp[label]['rps']), lp[label]['p50'],
            lp[label]['p99'], f['added'][label]['p50'],
            f['added'][label]['p99']))
    L += ['', 'One connection, so no request waits behind another: the '
          'added time is the gateway\'s own work on the request\'s path.',
          '']
    return L


def njs_section(rep):
    L = ['## The njs gateway', '',
         'bench/njs/gateway.js with Debian\'s libnginx-mod-http-js: '
         'identity from the header, route, method, Content-Type, '
         'JSON.parse and the schema of the PATCH body, the policy, the '
         'canonical body, and a subrequest to an internal proxy_pass '
         'location (the same upstream, keepalive) that sets the token '
         'header.  No audit log.  njs 0.7 runs a module\'s top level on '
         'every request and has no shared dictionary: the policy is a JS '
         'module made from the same policy JSON, which costs less than '
         'reading the file per request.', '',
         'Before timing, both gateways gave each request the status it '
         'should have (the bench stops otherwise):', '',
         '| request | status | rtk code | njs code |',
         '|---|---:|---:|---:|']
    for label, st, code, njs in rep['checks']:
        L.append('| %s | %d | %s | %s |' % (label, st, code or '',
                                             njs or ''))
    L.append('')
    return L


def policy_section(rep):
    sc = {int(s['apps']): s for s in rep['scaling']}
    rss, pv = rep['rss'], rep['private']
    L = ['## Policy scaling (bench/policy_bench.c, librtk.a)', '',
         '| apps | policy file | load (median of 3) | decision '
         '(random existing apps) | decision (one hot app) |',
         '|---:|---:|---:|---:|---:|']
    for k in sorted(sc):
        s = sc[k]
        L.append('| %s | %.1f MiB | %.1f ms | %.0f ns | %.0f ns |' % (
            fmt_int(k), s['bytes'] / 1048576.0, s['load_ms'], s['eval_ns'],
            s['hot_ns']))
    L += ['',
          '%s decisions per size and column: over 65,536 precomputed '
          'routes to random apps, then to one app only; the caller is in '
          'a group that edits every app, all allowed.  The policy is the '
          'same 3-principal rule per app (bench/policy_bench.c).'
          % fmt_int(sc[min(sc)]['iterations'] / 2), '',
          'Worker peak RSS (VmHWM): bare %.1f MiB, rtk (3 apps) %.1f MiB, '
          'rtk with 10,000 apps %.1f MiB: %+.1f MiB vs bare, %+.1f MiB '
          'vs the small policy.' % (
              rss['bare'] / 1024.0, rss['rtk'] / 1024.0,
              rss['rtk-10k'] / 1024.0,
              (rss['rtk-10k'] - rss['bare']) / 1024.0,
              (rss['rtk-10k'] - rss['rtk']) / 1024.0), '',
          'Private worker memory (Private_Clean + Private_Dirty, not '
          'shared with the master, which loads the policy before it '
          'forks): bare %.1f MiB, rtk %.1f MiB, rtk with 10,000 apps '
          '%.1f MiB: %+.1f MiB vs bare.  RSS counts the shared policy '
          'pages in every worker that reads them; the machine pays for '
          'them once.' % (pv['bare'] / 1024.0, pv['rtk'] / 1024.0,
                          pv['rtk-10k'] / 1024.0,
                          (pv['rtk-10k'] - pv['bare']) / 1024.0), '']
    return L


def per_request(cg):
    return {'total': cg['total'] / cg['requests'],
            'stages': {k: v / cg['requests']
                       for k, v in cg['stages'].items()}}


def callgrind_section(rep):
    cg = rep['cg']
    r, b = per_request(cg['rtk']), per_request(cg['bare'])
    d, j = per_request(cg['deny']), per_request(cg['njs'])
    tr, tb = r['total'], b['total']
    L = ['## Instructions per forwarded request (callgrind, %d requests '
         'after 10 warm-up ones)' % cg['rtk']['requests'], '',
         'Whole nginx process: bare %s, rtk %s (+%s, x%.2f), njs gateway '
         '%s, denied request %s instructions per request.' % (
             fmt_int(tb), fmt_int(tr), fmt_int(tr - tb), tr / tb,
             fmt_int(j['total']), fmt_int(d['total'])), '',
         '| stage | function prefixes | bare | rtk | share of rtk |',
         '|---|---|---:|---:|---:|']
    for label, prefixes in STAGES:
        v = r['stages'][label]
        L.append('| %s | %s | %s | %s | %.1f%% |' % (
            label, ', '.join('`%s`' % p for p in prefixes),
            fmt_int(b['stages'][label]), fmt_int(v) if v else 'not seen',
            100.0 * v / tr))
    other = r['stages']['other rtk']
    outside = tr - r['stages']['module']
    L += ['| other rtk | the module\'s other functions | %s | %s | %.1f%% |'
          % (fmt_int(b['stages']['other rtk']), fmt_int(other),
             100.0 * other / tr),
          '| nginx and libraries | outside the module | %s | %s | %.1f%% |'
          % (fmt_int(tb - b['stages']['module']), fmt_int(outside),
             100.0 * outside / tr),
          '| total | | %s | %s | 100%% |' % (fmt_int(tb), fmt_int(tr)), '',
          'A stage is its functions\' own instructions plus a share of '
          'what they call outside the module (yajl, libcrypto, libc, '
          'nginx), shared among callers in proportion to what their calls '
          'cost, so no instruction counts twice.  "other rtk" is the rest '
          'of the module\'s own instructions; what it starts in nginx (the '
          'proxy module, a second pass through the phases) is in the row '
          'outside the module, compared there with bare.  "not seen": no '
          'function of the stage ran (renamed, inlined or not on this '
          'path).  The stages are the STAGES list in '
          'bench/benchlib/cg.py.', '',
          'Top functions by self cost added per request (rtk minus bare; '
          'nginx, libcrypto and libyajl are stripped, so some show as '
          'addresses):', '', '| function | file | instr/request |',
          '|---|---|---:|']
    for func, v, fname in added_self(cg['rtk'], cg['bare']):
        L.append('| %s | %s | %s |' % (func, fname, fmt_int(v)))
    L += ['', 'Module functions by inclusive cost per request:', '',
          '| function | instr/request |', '|---|---:|']
    for func, v in module_top(cg['rtk'], 15):
        L.append('| %s | %s |' % (func, fmt_int(v)))
    L += ['', 'Callgrind counts user-space instructions only: write(2) and '
          'fsync(2) time in the kernel shows up in the wrk figures, not '
          'here.']
    return L


def terminal(a, rep, f, tg):
    print()
    print('%-50s %-30s %s' % ('target', 'measured', 'verdict'))
    for name, val, ok in tg:
        print('%-50s %-30s %s' % (name[:50], val[:30], verdict(ok)))
    print()
    print('%-16s %10s %7s %9s %9s %9s' % (
        'workload', 'req/s', 'ratio', 'p50 us', 'p99 us', 'CPU us/r'))
    for label in rep['runs']:
        r = 1.0 if label == 'bare' else f['ratio'][label]
        m = f['mp'][label]
        print('%-16s %10.0f %7.3f %9.0f %9.0f %9.1f' % (
            label, m['rps'], r, m['p50'], m['p99'], m['cpu_us']))
    print()
    cg = rep['cg']
    r = per_request(cg['rtk'])
    print('instructions/request: bare %s, rtk %s, njs %s, deny %s' % (
        fmt_int(cg['bare']['total'] / cg['bare']['requests']),
        fmt_int(r['total']),
        fmt_int(cg['njs']['total'] / cg['njs']['requests']),
        fmt_int(cg['deny']['total'] / cg['deny']['requests'])))
    for label, _p in STAGES + [('other rtk', None)]:
        print('  %-28s %s' % (label, fmt_int(r['stages'][label])))
    print('results written to %s' % a.results)
