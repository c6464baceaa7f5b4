#!/usr/bin/env bash
# Runs every suite: the engine's unit tests, the CLI tests and the
# integration tests against a real nginx.  Each suite prints
# "name: N passed, N failed"; the last line is the sum of them all.

set -u

build=${1:-build}
log=$(mktemp)
rc=0

run() {
    "$@" 2>&1 | tee -a "$log"
    [ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
}

for t in "$build"/policy/*_test; do
    [ -x "$t" ] && run "$t"
done

for t in dev/test-*.sh; do
    [ -f "$t" ] && run bash "$t" "$build"
done

run python3 t/run.py -j 2

# a short fuzzing stage; "make fuzz" runs longer
run bash dev/fuzz.sh "$build" "${RTK_FUZZ_SECONDS:-15}"

# only the suites' own closing lines count
grep -E '^[A-Za-z0-9_-]+: [0-9]+ passed, [0-9]+ failed$' "$log" \
    | awk '{ p += $2; f += $4 }
           END { printf "%d passed, %d failed\n", p, f; exit (f > 0) }' \
    || rc=1

rm -f "$log"
exit $rc
