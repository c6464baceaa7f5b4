#
# Copyright (C) ngx_rtk_module authors
#
# Reading the gateway's Prometheus metrics in tests: a scrape, a parser
# for the text exposition format (0.0.4), promtool when it is installed,
# and nginx -s as an operator runs it.
#

import hashlib
import re
import shutil
import subprocess
import time

from rtk_harness import NGINX, build, request


PROMTOOL = shutil.which('promtool')

_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def fingerprint(token):
    """What $rtk_token_fingerprint and rtk_token_info show."""
    return hashlib.sha256(token.encode()).hexdigest()[:16]


class Metrics(object):
    """One scrape: samples keyed by (name, sorted label items)."""

    def __init__(self, text):
        self.text = text
        self.samples = {}
        self.help = {}
        self.type = {}
        for line in text.splitlines():
            if line.startswith('# HELP '):
                name, _sp, doc = line[7:].partition(' ')
                self.help[name] = doc
                continue
            if line.startswith('# TYPE '):
                name, _sp, kind = line[7:].partition(' ')
                self.type[name] = kind
                continue
            if not line or line.startswith('#'):
                continue
            m = _SAMPLE.match(line)
            if m is None:
                raise ValueError('not a sample line: %r' % line)
            labels = tuple(sorted(_LABEL.findall(m.group(2) or '')))
            self.samples[(m.group(1), labels)] = float(m.group(3))

    def get(self, name, **labels):
        """The sample's value; 0 for a series not (yet) exposed."""
        key = (name, tuple(sorted(labels.items())))
        return self.samples.get(key, 0.0)

    def series(self, name):
        """[(labels dict, value)] of one metric name."""
        return [(dict(k[1]), v) for k, v in self.samples.items()
                if k[0] == name]

    def decision(self, decision, code, operation='edit'):
        return self.get('rtk_decisions_total', operation=operation,
                        decision=decision, code=str(code))


def scrape(port, path='/metrics', method='GET'):
    """(response, Metrics or None)."""
    r = request(port, build(method, path, b'', content_type=None))
    m = Metrics(r.body.decode('utf-8')) if r.status == 200 else None
    return r, m


def wait_metrics(port, pred, timeout=5.0, path='/metrics'):
    """Scrapes until pred(metrics) holds (the log phase runs after the
    answer was sent); returns the last scrape."""
    end = time.time() + timeout
    while True:
        _r, m = scrape(port, path)
        if m is not None and pred(m) or time.time() > end:
            return m
        time.sleep(0.05)


def promtool_check(text):
    """(exit code, output) of promtool check metrics."""
    r = subprocess.run([PROMTOOL, 'check', 'metrics'],
                       input=text.encode('utf-8'), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=30)
    return r.returncode, r.stdout.decode('utf-8', 'replace')


def nginx_signal(ngx, sig):
    """nginx -s SIG, as the operator runs it: (exit code, stderr)."""
    r = subprocess.run([NGINX, '-p', ngx.dir + '/', '-c', ngx.conf,
                        '-s', sig], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=30)
    return r.returncode, r.stderr.decode('utf-8', 'replace')
