#!/usr/bin/env bash
# Instructions per request of each engine stage, under callgrind.
#
#   policy/bench/callgrind.sh BENCH_BINARY OUT_DIR [txn_bench arguments]
#
# Prints one line per stage: the function's inclusive instruction count
# over the measured requests, divided by their number.

set -eu

bin=$1
out=$2
shift 2
n=2000

mkdir -p "$out"

top=$(cd "$(dirname "$0")/../.." && pwd)
rm -f "$out"/callgrind.out.*

if ! valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.out.%p" \
        --dump-instr=no "$bin" -n "$n" -p "$top/examples/policy.json" "$@" \
        > "$out/txn_bench.log" 2> "$out/valgrind.log"
then
    grep -v '^==' "$out/valgrind.log"
    exit 1
fi

grep -v '^requests=' "$out/txn_bench.log"

# the dump made after the measured requests: the last part
file=$(ls "$out"/callgrind.out.* | sort -t. -k3,3n | tail -n 1)
[ -n "$file" ] || { echo "no callgrind output"; exit 1; }

callgrind_annotate --inclusive=yes --threshold=100 "$file" \
    > "$out/annotate.txt"

printf '%-22s %-24s %10s\n' stage function instr/request
while read -r stage fn; do
    ir=$(awk -v fn="$fn" '
        { gsub(",", "", $1) }
        $1 ~ /^[0-9]+$/ \
            && $0 ~ ("[ :]" fn "(\\.[a-z]+\\.[0-9]+)?( |$|\\[)") {
            print $1
            exit
        }
    ' "$out/annotate.txt")
    if [ -n "$ir" ]; then
        printf '%-22s %-24s %10d\n' "$stage" "$fn" $((ir / n))
    else
        printf '%-22s %-24s %10s\n' "$stage" "$fn" "-"
    fi
done <<'STAGES'
request rtk_bench_request
route rtk_txn_route
route-parse rtk_route_parse
method rtk_txn_method
identity rtk_txn_identity
content-type rtk_txn_content_type
size rtk_txn_size
body rtk_txn_body
body:parse rtk_body_parse
body:policy rtk_policy_eval
body:serialize rtk_body_serialize
STAGES
