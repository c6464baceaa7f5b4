#!/bin/bash
#
# Copyright (C) ngx_rtk_module authors
#
# make bench: builds what the benchmark needs, then runs bench/bench.py,
# which starts its own nginx instances on 127.0.0.1 in a temporary
# directory, stops all of them at the end and writes bench/RESULTS.md.
#
#   bash bench/run.sh [BUILD_DIR]
#
# Environment (defaults in brackets; about 160 s in all on 2 cores):
#   RTK_BENCH_ROUNDS [5] and RTK_BENCH_DURATION [4] s per wrk run at
#     RTK_BENCH_CONNECTIONS [16]: bare, rtk, rtk audit off, njs
#   RTK_BENCH_SECONDARY_ROUNDS [3], RTK_BENCH_SECONDARY_DURATION [2]:
#     fsync and denied, in the first rounds of the same phase
#   RTK_BENCH_LATENCY_ROUNDS [3], RTK_BENCH_LATENCY_DURATION [2]:
#     the phase at 1 connection (added latency)
#   RTK_BENCH_ITERATIONS [2000000] decisions per policy size
#   RTK_BENCH_RESULTS [bench/RESULTS.md], RTK_BENCH_KEEP=1 keeps the files

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
build=${1:-$repo/build}
module=$build/nginx/ngx_http_rtk_module.so

missing=""
for p in wrk valgrind libnginx-mod-http-js; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null \
        | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq $missing >/dev/null
fi

# from "make bench" the module is a prerequisite; alone, build it here
if [ -z "${MAKELEVEL:-}" ]; then
    make -s -C "$repo" module
fi
[ -f "$module" ] || { echo "bench: $module is missing" >&2; exit 1; }

make -s -C "$repo/policy" BUILD="$build/policy" "$build/policy/librtk.a"
mkdir -p "$build/bench"
cc -O2 -g -std=c99 -Wall -Wextra -Wno-unused-parameter -Werror \
    -I"$repo/policy" "$here/policy_bench.c" "$build/policy/librtk.a" \
    -lyajl -lcrypto -o "$build/bench/policy_bench"

# the bench's own arithmetic (stages, wrk parsing, ratios), in a second
out=$(python3 "$here/test_benchlib.py" 2>&1) || { echo "$out" >&2; exit 1; }

args=(--module "$module" --policy-bench "$build/bench/policy_bench"
      --rounds "${RTK_BENCH_ROUNDS:-5}"
      --duration "${RTK_BENCH_DURATION:-4}"
      --secondary-rounds "${RTK_BENCH_SECONDARY_ROUNDS:-3}"
      --secondary-duration "${RTK_BENCH_SECONDARY_DURATION:-2}"
      --latency-rounds "${RTK_BENCH_LATENCY_ROUNDS:-3}"
      --latency-duration "${RTK_BENCH_LATENCY_DURATION:-2}"
      --connections "${RTK_BENCH_CONNECTIONS:-16}"
      --iterations "${RTK_BENCH_ITERATIONS:-2000000}"
      --results "${RTK_BENCH_RESULTS:-$here/RESULTS.md}"
      --command "${RTK_BENCH_COMMAND:-make bench}")
if [ -n "${RTK_BENCH_KEEP:-}" ]; then
    args+=(--keep)
fi

# python stops every process it started, on Ctrl-C and SIGTERM too
exec python3 "$here/bench.py" "${args[@]}"
