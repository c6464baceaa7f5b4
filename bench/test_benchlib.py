#
# Copyright (C) ngx_rtk_module authors
#
# Checks of the benchmark's own arithmetic, with no nginx and no load:
# callgrind stages (a callback through a library counted once, a PLT
# stub standing for its library, shared helpers, the glue's nginx work
# left outside), wrk's output, per-round ratios.  bench/run.sh runs it
# before the benchmark; alone: python3 bench/test_benchlib.py
#
# Python 3 standard library only.
#

import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from benchlib.cg import Profile, stage_of           # noqa: E402
from benchlib.load import parse_wrk                 # noqa: E402
from benchlib.report import ratio                   # noqa: E402


# nginx calls the module's body handler (glue) and the proxy handler;
# the glue calls the parser, the audit and the proxy handler too; the
# parser calls yajl through a PLT stub and yajl calls the parser back;
# the audit calls the JSON escaping helper.  Self costs sum to 1,000.
CALLGRIND = '''version: 1
creator: callgrind-3.19.0
cmd: nginx
part: 1

desc: Trigger: measured

positions: line
events: Ir
summary: 1000

ob=(1) /usr/sbin/nginx
fl=(1) src/core/nginx.c
fn=(1) ngx_process_events
0 100
cob=(2) /x/ngx_http_rtk_module.so
cfi=(2) /w/ngx_rtk_module/ngx_http_rtk_request.c
cfn=(2) ngx_http_rtk_body_handler
calls=1 0
0 700
cob=(1)
cfi=(1)
cfn=(3) ngx_http_proxy_handler
calls=1 0
0 200

ob=(2)
fl=(2)
fn=(2)
0 50
cfi=(3) /w/policy/rtk_body.c
cfn=(4) rtk_body_parse
calls=1 0
0 300
cfi=(5) /w/ngx_rtk_module/ngx_http_rtk_audit.c
cfn=(5) ngx_http_rtk_audit_record
calls=1 0
0 250
cob=(1)
cfi=(1)
cfn=(3)
calls=1 0
0 100

fl=(3)
fn=(4)
0 40
cob=(2)
cfi=(4) ???
cfn=(6) 0x0000000000001000
calls=1 0
+2 260

fl=(4)
fn=(6)
0 10
cob=(3) /usr/lib/libyajl.so.2
cfn=(7) yajl_parse
calls=1 0
0 250

ob=(3)
fl=(4)
fn=(7)
0 150
+1 50
cob=(2)
cfi=(3)
cfn=(8) rtk_body_string
calls=1 0
* 50

ob=(2)
fl=(3)
fn=(8)
0 50

fl=(5)
fn=(5)
0 150
cfi=(6) /w/policy/rtk_json.c
cfn=(9) rtk_json_escape
calls=1 0
0 100

fl=(6)
fn=(9)
0 100

ob=(1)
fl=(1)
fn=(3)
0 300
'''

WRK = '''Running 2s test @ http://127.0.0.1:40000
  1 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   512.00us  100.00us   2.00ms   90.00%
    Req/Sec    30.00k     1.00k   32.00k    80.00%
  Latency Distribution
     50%  480.00us
     75%  520.00us
     90%  600.00us
     99%    1.25ms
  60000 requests in 2.00s, 30.00MB read
  Non-2xx or 3xx responses: 3
Requests/sec:  30000.00
Transfer/sec:     15.00MB
'''


class Stages(unittest.TestCase):

    def setUp(self):
        fd, self.path = tempfile.mkstemp()
        with os.fdopen(fd, 'w') as f:
            f.write(CALLGRIND)
        self.prof = Profile(self.path)
        self.st = self.prof.stages()

    def tearDown(self):
        os.unlink(self.path)

    def test_self_costs_and_total(self):
        self.assertEqual(self.prof.total, 1000)
        self.assertEqual(sum(self.prof.self.values()), 1000)
        self.assertEqual(self.prof.self['yajl_parse'], 200)

    def test_callback_counted_once(self):
        # parser 40 + stub 10 + yajl 200 + callback 50
        self.assertAlmostEqual(self.st['body parse and schema'], 300)

    def test_helper_goes_to_its_caller(self):
        self.assertAlmostEqual(self.st['audit'], 250)

    def test_glue_and_outside(self):
        self.assertAlmostEqual(self.st['other rtk'], 50)
        self.assertAlmostEqual(self.st['module'], 600)
        self.assertAlmostEqual(self.prof.total - self.st['module'], 400)

    def test_unseen_stage_is_zero(self):
        self.assertEqual(self.st['policy'], 0)

    def test_first_prefix_wins(self):
        self.assertEqual(stage_of('rtk_body_serialize'),
                         'canonical serialization')
        self.assertEqual(stage_of('rtk_body_parse'), 'body parse and schema')
        self.assertEqual(stage_of('rtk_canon_string'),
                         'canonical serialization')
        self.assertIsNone(stage_of('rtk_json_escape'))
        self.assertIsNone(stage_of('ngx_http_rtk_content_handler'))


class Wrk(unittest.TestCase):

    def test_parse(self):
        r = parse_wrk(WRK)
        self.assertEqual(r['rps'], 30000.0)
        self.assertEqual(r['requests'], 60000)
        self.assertAlmostEqual(r['p50'], 480.0)
        self.assertAlmostEqual(r['p99'], 1250.0)
        self.assertEqual(r['non2xx'], 3)

    def test_no_rate_is_an_error(self):
        with self.assertRaises(RuntimeError):
            parse_wrk('unable to connect to 127.0.0.1:1')


class Ratios(unittest.TestCase):

    def test_rounds_both_ran(self):
        runs = {'bare': [{'round': 0, 'rps': 100.0, 'cpu_us': 10.0},
                         {'round': 1, 'rps': 200.0, 'cpu_us': 10.0},
                         {'round': 2, 'rps': 400.0, 'cpu_us': 10.0}],
                'x': [{'round': 1, 'rps': 100.0, 'cpu_us': 20.0},
                      {'round': 2, 'rps': 100.0, 'cpu_us': 40.0}]}
        self.assertAlmostEqual(ratio(runs, 'x', 'bare'), (0.5 + 0.25) / 2)
        self.assertAlmostEqual(ratio(runs, 'x', 'bare', 'cpu_us'),
                               (0.5 + 0.25) / 2)


if __name__ == '__main__':
    unittest.main()
