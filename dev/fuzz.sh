#!/usr/bin/env bash
# Builds the libFuzzer targets of policy/ with ASan and UBSan and runs
# each for a bounded time on a copy of its seed corpus.  Prints one
# line per target and ends with "fuzz: N passed, N failed".

set -u

build=${1:-build}/fuzz
seconds=${2:-30}
cc=${FUZZ_CC:-clang-14}
flags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all"

mkdir -p "$build"
passed=0
failed=0

for src in policy/fuzz/fuzz_*.c; do
    name=$(basename "$src" .c)
    target=${name#fuzz_}
    bin=$build/$name
    corpus=$build/corpus-$target

    if ! $cc $flags -I policy "$src" policy/rtk_*.c -lyajl -lcrypto \
            -o "$bin" 2> "$build/$name.build.log"; then
        echo "fuzz: $target: build failed"
        cat "$build/$name.build.log"
        failed=$((failed + 1))
        continue
    fi

    rm -rf "$corpus"
    mkdir -p "$corpus"
    cp -r "policy/fuzz/corpus/$target/." "$corpus/" 2>/dev/null

    (cd "$build" && "./$name" -max_total_time="$seconds" -timeout=10 \
         -rss_limit_mb=2048 -print_final_stats=1 "corpus-$target" \
         > "$name.log" 2>&1)
    rc=$?

    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' \
            "$build/$name.log")

    if [ $rc -eq 0 ]; then
        echo "fuzz: $target: ${execs:-?} executions in ${seconds}s, 0 crashes"
        passed=$((passed + 1))
    else
        echo "fuzz: $target: FAILED after ${execs:-?} executions"
        grep -E "ERROR|SUMMARY|crash-|leak-|timeout-" "$build/$name.log" \
            | head -n 10
        failed=$((failed + 1))
    fi
done

echo "fuzz: $passed passed, $failed failed"
[ $failed -eq 0 ]
