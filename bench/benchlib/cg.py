#
# Copyright (C) ngx_rtk_module authors
#
# Instructions per request under callgrind, split into stages.  A stage
# is a set of function name prefixes (STAGES below: add a line to add a
# stage), so a function renamed within a prefix stays where it was.  A
# stage costs its functions' own instructions and a share of what they
# call outside the module (Profile.stages), and no instruction counts
# twice.  Module functions in no stage are "other rtk".  The callgrind
# file is read here directly: callgrind_annotate gives no call edges.
#
# Python 3 standard library only.
#

import http.client
import os

from .procs import HOST, Valgrind, log, stop
from .setup import CALLER
from .load import one_request


# (label, name prefixes); a function belongs to the first that matches
STAGES = [
    ('route', ['rtk_route_']),
    ('canonical serialization', ['rtk_body_serialize', 'rtk_body_gen',
                                 'rtk_canon_']),
    ('body parse and schema', ['rtk_body_', 'rtk_json_prelude',
                               'rtk_json_hex4']),
    ('url parse and match', ['rtk_url_']),
    ('policy', ['rtk_policy_']),
    ('upstream headers and token', ['ngx_http_rtk_rewrite_headers',
                                    'ngx_http_rtk_push_header',
                                    'ngx_http_rtk_stripped_header',
                                    'ngx_http_rtk_credential']),
    ('upstream answer', ['rtk_answer_']),
    ('audit', ['ngx_http_rtk_audit_', 'ngx_http_rtk_line_']),
    ('metrics', ['ngx_http_rtk_metrics_']),
]

# helpers several stages call (the audit and the error envelope escape
# JSON too): shared among their callers, as functions outside the module
HELPERS = ('rtk_json_escape', 'rtk_utf8_', 'rtk_error_set', 'rtk_op_')

MODULE_PREFIXES = ('ngx_http_rtk_', 'rtk_')

_POSITION = ('0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '+', '-',
             '*')


def stage_of(func, stages=STAGES):
    if func.startswith(HELPERS):
        return None
    for label, prefixes in stages:
        if func.startswith(tuple(prefixes)):
            return label
    return None


def ours(func, fname, obj):
    """The module's own functions; not its PLT stubs, named by address
    in the module's object, which stand for the library they call."""
    return (func.startswith(MODULE_PREFIXES)
            or 'ngx_rtk_module/' in fname or '/policy/' in fname)


class Profile(object):
    """Self costs and call edges of one callgrind dump, by function."""

    def __init__(self, path):
        self.total = 0
        self.self = {}          # func -> instructions
        self.where = {}         # func -> (file, object)
        self.calls = {}         # (caller, callee) -> inclusive cost
        self._read(path)

    def _read(self, path):
        names = {'fl': {}, 'fn': {}, 'ob': {}}
        kind = {'fl': 'fl', 'fi': 'fl', 'fe': 'fl', 'cfi': 'fl',
                'cfl': 'fl', 'fn': 'fn', 'cfn': 'fn', 'ob': 'ob',
                'cob': 'ob'}
        fl = ob = fn = cfn = ''
        in_call = False
        totals = None

        def name(key, value):
            table = names[kind[key]]
            if value.startswith('('):
                end = value.index(')')
                ref, rest = value[1:end], value[end + 1:].strip()
                if rest:
                    table[ref] = rest
                return table.get(ref, rest)
            return value

        with open(path, errors='replace') as f:
            for line in f:
                if line.startswith(_POSITION):
                    parts = line.split()
                    cost = int(parts[1]) if len(parts) > 1 else 0
                    if in_call:
                        if cfn != fn:
                            k = (fn, cfn)
                            self.calls[k] = self.calls.get(k, 0) + cost
                        in_call = False
                    else:
                        self.self[fn] = self.self.get(fn, 0) + cost
                    continue
                key, sep, value = line.rstrip('\n').partition('=')
                if not sep:
                    if line.startswith(('totals:', 'summary:')):
                        totals = int(line.split()[1])
                    continue
                if key == 'calls':
                    in_call = True
                elif key in ('fl', 'fi', 'fe'):
                    v = name(key, value)
                    if key == 'fl':
                        fl = v
                elif key == 'ob':
                    ob = name(key, value)
                elif key == 'fn':
                    fn = name(key, value)
                    self.where.setdefault(fn, (fl, ob))
                elif key == 'cfn':
                    cfn = name(key, value)
                elif key in ('cfi', 'cfl', 'cob'):
                    name(key, value)
        self.total = totals if totals else sum(self.self.values())

    def inclusive(self, func):
        return self.self.get(func, 0) + sum(
            c for (a, b), c in self.calls.items() if a == func)

    def stages(self, stages=STAGES, rounds=100):
        """label -> instructions, 'other rtk' for the module's other
        functions and 'module' for all of it.  A module function's self
        cost goes to its stage; a function outside the module (nginx,
        yajl, libcrypto, libc, PLT stubs) is shared among its callers in
        proportion to what their calls to it cost, as gprof does, so a
        callback such as yajl calling the parser's own functions is not
        counted twice.  What "other rtk" calls outside the module stays
        outside: that is nginx doing its own work (the proxy module the
        content handler starts, say), which bare does too."""
        labels = [label for label, _p in stages] + ['other rtk']
        funcs = set(self.self) | {b for _a, b in self.calls}
        group = {}
        for func in funcs:
            fname, _obj = self.where.get(func, ('', ''))
            st = stage_of(func, stages)
            if (st is None and ours(func, fname, '')
                and not func.startswith(HELPERS)):
                st = 'other rtk'
            group[func] = labels.index(st) if st is not None else None
        other = labels.index('other rtk')
        callers = {}
        for (a, b), cost in self.calls.items():
            if group[b] is None and cost > 0:
                # nginx's own work started by the glue stays outside
                if group.get(a) == other and not b.startswith(HELPERS):
                    continue
                callers.setdefault(b, []).append((a, cost))
        zero = [0.0] * len(labels)
        share = {x: zero for x in callers}
        for _ in range(rounds):
            moved = 0.0
            for x, ins in callers.items():
                total = float(sum(c for _a, c in ins))
                acc = [0.0] * len(labels)
                for a, c in ins:
                    g = group.get(a)
                    if g is not None:
                        acc[g] += c / total
                    elif a in share:
                        w = share[a]
                        for i in range(len(labels)):
                            acc[i] += c * w[i] / total
                moved = max(moved, max(abs(u - v) for u, v
                                       in zip(acc, share[x])))
                share[x] = acc
            if moved < 1e-9:
                break
        out = [0.0] * len(labels)
        for func, n in self.self.items():
            g = group.get(func)
            if g is not None:
                out[g] += n
            elif func in share:
                for i, w in enumerate(share[func]):
                    out[i] += n * w
        res = dict(zip(labels, out))
        res['module'] = sum(out)
        return res


def callgrind_run(root, name, conf, modules, requests, caller=CALLER):
    v = Valgrind(root, name, conf, modules)
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
        stop(v)
    measured = None
    for f in sorted(os.listdir(v.dir)):
        if not f.startswith('callgrind.out'):
            continue
        with open(os.path.join(v.dir, f), errors='replace') as fh:
            head = fh.read(4096)
        if 'measured' in head:
            measured = os.path.join(v.dir, f)
    if measured is None:
        raise RuntimeError('no callgrind dump in %s' % v.dir)
    prof = Profile(measured)
    return {'total': prof.total, 'requests': requests, 'statuses': statuses,
            'file': measured, 'profile': prof, 'stages': prof.stages()}


def added_self(rtk, bare, top=15):
    """Functions by self cost added per request, rtk minus bare."""
    out = []
    for func, n in rtk['profile'].self.items():
        fname, obj = rtk['profile'].where.get(func, ('', ''))
        b = bare['profile'].self.get(func, 0) / bare['requests']
        d = n / rtk['requests'] - b
        where = os.path.basename(fname) if fname not in ('', '???') else ''
        out.append((func, d, where or os.path.basename(obj)))
    out.sort(key=lambda x: -x[1])
    return out[:top]


def module_top(cg, top):
    """Module functions by inclusive cost per request."""
    prof = cg['profile']
    out = []
    for func, (fname, obj) in prof.where.items():
        if ours(func, fname, obj):
            out.append((func, prof.inclusive(func) / cg['requests']))
    out.sort(key=lambda x: -x[1])
    return out[:top]
