#!/usr/bin/env python3
#
# Copyright (C) ngx_rtk_module authors
#
# Runs every t/NN_*.py in its own process with a shared temp root and
# shared random tokens, scans everything they left behind for the tokens,
# and ends with one line: "integration: N passed, N failed".
#
#   python3 t/run.py [-j N] [-k] [-v] [NN_file.py ...]
#     -k  keep the temp root (printed) for inspection
#     -v  verbose unittest output
#     RTK_MODULE=/path/to/ngx_http_rtk_module.so overrides the module
#

import os
import re
import shutil
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, 'lib'))

import rtk_harness as h                                  # noqa: E402


FILE_TIMEOUT = 150


def run_one(path, results, verbose):
    env = h.run_env()
    if verbose:
        env['RTK_VERBOSE'] = '1'
    start = time.time()
    p = subprocess.Popen([sys.executable, path], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         cwd=os.path.dirname(HERE))
    try:
        out, err = p.communicate(timeout=FILE_TIMEOUT)
        extra = ''
    except subprocess.TimeoutExpired:
        # SIGTERM first: the harness then stops its nginx instances
        p.terminate()
        try:
            out, err = p.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
        extra = '\nTIMEOUT after %ds\n' % FILE_TIMEOUT
    out = out.decode('utf-8', 'replace')
    err = err.decode('utf-8', 'replace') + extra
    rc = p.returncode
    m = re.search(r'^RESULT \S+ passed=(\d+) failed=(\d+) skipped=(\d+)',
                  out, re.M)
    if m:
        passed, failed, skipped = (int(x) for x in m.groups())
    else:
        passed, failed, skipped = 0, 1, 0
    if rc != 0 and failed == 0:
        failed = 1
    results[path] = (passed, failed, skipped, time.time() - start, out,
                     err)


def main():
    args = sys.argv[1:]
    jobs, keep, verbose, names = 1, False, False, []
    while args:
        a = args.pop(0)
        if a == '-j':
            jobs = int(args.pop(0))
        elif a == '-k':
            keep = True
        elif a == '-v':
            verbose = True
        else:
            names.append(a)
    if names:
        files = [os.path.join(HERE, os.path.basename(n)) for n in names]
    else:
        files = sorted(os.path.join(HERE, f) for f in os.listdir(HERE)
                       if re.match(r'^\d\d_.*\.py$', f))

    if not os.path.exists(h.MODULE):
        print('module not found: %s (set RTK_MODULE)' % h.MODULE)
    h.pki()

    results = {}
    pending = list(files)
    threads = []
    while pending or threads:
        while pending and len(threads) < jobs:
            f = pending.pop(0)
            t = threading.Thread(target=run_one, args=(f, results, verbose))
            t.start()
            threads.append(t)
        for t in list(threads):
            t.join(0.05)
            if not t.is_alive():
                threads.remove(t)

    total_p = total_f = 0
    for f in files:
        passed, failed, skipped, secs, out, err = results[f]
        total_p += passed
        total_f += failed
        status = 'ok' if failed == 0 else 'FAIL'
        print('%-22s %-4s %3d passed, %3d failed%s  (%.1fs)' % (
            os.path.basename(f), status, passed, failed,
            ', %d skipped' % skipped if skipped else '', secs))
        if failed or verbose:
            sys.stdout.write(''.join('    ' + line + '\n'
                                     for line in err.splitlines()))

    hits = h.scan_for_tokens()
    if hits:
        total_f += 1
        print('token scan FAIL:')
        for x in hits[:50]:
            print('    ' + x)
    else:
        total_p += 1
        print('token scan             ok   (no token, base64 or hex form '
              'under %s)' % h.ROOT)

    if keep or total_f:
        print('temp root kept: %s' % h.ROOT)
    else:
        shutil.rmtree(h.ROOT, ignore_errors=True)

    print('integration: %d passed, %d failed' % (total_p, total_f))
    sys.exit(1 if total_f else 0)


if __name__ == '__main__':
    main()
