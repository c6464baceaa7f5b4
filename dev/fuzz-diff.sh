#!/usr/bin/env bash
# Differential fuzzing of the engine against an earlier revision of it:
# builds policy/ of REV (default: main) with every symbol it defines
# renamed to old_<symbol>, links it with the working tree's engine and
# policy/fuzz/diff/diff_engine.c, and runs that for a bounded time.  For
# changes that must keep every outcome and only change the cost.
#
#   dev/fuzz-diff.sh [REV] [SECONDS] [BUILD]
#
# Ends with "fuzz-diff: N executions, 0 differences" or the input that
# differs (in BUILD/fuzz-diff).

set -u

top=$(cd "$(dirname "$0")/.." && pwd)
rev=${1:-main}
seconds=${2:-60}
build=${3:-$top/build}/fuzz-diff
cc=${FUZZ_CC:-clang-14}
flags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all"

rm -rf "$build"
mkdir -p "$build/old" "$build/corpus"

if ! git -C "$top" archive "$rev" policy | tar -x -C "$build/old"; then
    echo "fuzz-diff: no revision $rev"
    exit 1
fi

# the earlier engine, each global it defines renamed
for src in "$build"/old/policy/rtk_*.c; do
    obj=$build/old/$(basename "$src" .c).o

    if ! $cc $flags -c -I "$build/old/policy" "$src" -o "$obj" \
            2>> "$build/build.log"
    then
        echo "fuzz-diff: $rev: build failed"
        tail -n 20 "$build/build.log"
        exit 1
    fi
done

nm --defined-only -g "$build"/old/*.o | awk 'NF == 3 { print $3, "old_" $3 }' \
    | sort -u > "$build/rename"

for obj in "$build"/old/*.o; do
    objcopy --redefine-syms="$build/rename" "$obj"
done

if ! $cc $flags -I "$top/policy" "$top/policy/fuzz/diff/diff_engine.c" \
        "$top"/policy/rtk_*.c "$build"/old/*.o -lyajl -lcrypto \
        -o "$build/diff_engine" 2>> "$build/build.log"
then
    echo "fuzz-diff: build failed"
    tail -n 20 "$build/build.log"
    exit 1
fi

for dir in body url; do
    cp -r "$top/policy/fuzz/corpus/$dir/." "$build/corpus/" 2>/dev/null
done

(cd "$build" && ./diff_engine -max_total_time="$seconds" -timeout=10 \
     -rss_limit_mb=2048 -print_final_stats=1 corpus > diff_engine.log 2>&1)
rc=$?

execs=$(sed -n 's/^stat::number_of_executed_units: *//p' \
        "$build/diff_engine.log")

if [ $rc -eq 0 ]; then
    echo "fuzz-diff: ${execs:-?} executions, 0 differences"
else
    echo "fuzz-diff: FAILED after ${execs:-?} executions"
    grep -E "ERROR|SUMMARY|crash-|leak-|timeout-" "$build/diff_engine.log" \
        | head -n 10
fi

exit $rc
