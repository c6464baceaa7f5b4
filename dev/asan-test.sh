#!/usr/bin/env bash
# Memory safety, part 1: AddressSanitizer + UndefinedBehaviorSanitizer.
#
#   dev/asan-test.sh [BUILD] [t/run.py arguments, e.g. -j 2 03_body.py]
#
# 1. Builds the policy engine and its unit tests with gcc
#    -fsanitize=address,undefined into BUILD/asan/policy and runs them
#    (leak detection on: the engine owns all of its memory).
# 2. Builds the module (nginx glue + policy) the way the top Makefile
#    does, with the sanitizers added, into BUILD/asan/nginx.
# 3. Runs the integration suite against the stock /usr/sbin/nginx with
#    the sanitizer runtimes preloaded (a wrapper script passed to the
#    harness as RTK_NGINX) and RTK_MODULE pointing at the asan build.
#
# Where the reports go: nowhere special.  Without log_path the runtimes
# write to fd 2, and nginx dup2()s its error log onto fd 2 once the
# configuration is read, so a report from the master or a worker lands
# in that instance's error.log, which the harness already fails on
# ("AddressSanitizer", "runtime error", ...).  Reports of "nginx -t"
# land in the nginx-t.stderr files.  As a safety net the temp root is
# kept and every file in it is grepped for sanitizer reports at the end.
# Leak detection is off for nginx: its pools are freed wholesale or left
# to exit().
#
# Last line: "asan: N passed, N failed".

set -u

top=$(cd "$(dirname "$0")/.." && pwd)
build=$(mkdir -p "${1:-$top/build}" && cd "${1:-$top/build}" && pwd)
[ $# -gt 0 ] && shift
out=$build/asan
cc=${CC:-gcc}
san="-fsanitize=address,undefined -fno-omit-frame-pointer"
passed=0
failed=0

log() { printf '%s\n' "$*"; }

count() {
    # sums the "name: N passed, N failed" lines of a file
    local p f
    read -r p f < <(grep -E "^${2:-[a-z_-]+}: [0-9]+ passed, [0-9]+ failed" \
        "$1" | grep -oE '[0-9]+ passed, [0-9]+ failed' \
        | awk '{ p += $1; f += $3 } END { print p + 0, f + 0 }')
    passed=$((passed + p))
    failed=$((failed + f))
}

mkdir -p "$out"

# ---- runtimes to preload into the uninstrumented nginx
asan_so=$(readlink -f "$($cc -print-file-name=libasan.so)")
ubsan_so=$(readlink -f "$($cc -print-file-name=libubsan.so)")
if [ ! -f "$asan_so" ] || [ ! -f "$ubsan_so" ]; then
    log "asan: no sanitizer runtime for $cc ($asan_so, $ubsan_so)"
    log "asan: 0 passed, 1 failed"
    exit 1
fi

export ASAN_OPTIONS=detect_leaks=0:abort_on_error=0:halt_on_error=1:\
print_summary=1:detect_stack_use_after_return=1:\
check_initialization_order=1:strict_string_checks=1
# keep going after a UB report: the harness fails the file on the line
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=0:print_summary=1

# ---- 1. engine unit tests
log "== policy unit tests ($cc, sanitizers, leak detection on)"
ulog=$out/unit.log
: > "$ulog"
if CFLAGS="-O1 -g $san" make -s -C "$top/policy" CC="$cc" \
        BUILD="$out/policy" all > "$out/unit-build.log" 2>&1; then
    for t in "$out"/policy/*_test; do
        [ -x "$t" ] || continue
        ASAN_OPTIONS=$ASAN_OPTIONS:detect_leaks=1 \
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
            "$t" > "$out/$(basename "$t").out" 2>&1
        rc=$?
        cat "$out/$(basename "$t").out" >> "$ulog"
        if grep -qE 'Sanitizer|runtime error' \
                "$out/$(basename "$t").out"; then
            log "$(basename "$t"): sanitizer report:"
            sed 's/^/    /' "$out/$(basename "$t").out" | head -60
            failed=$((failed + 1))
        elif [ $rc -ne 0 ] && ! grep -qE '[0-9]+ passed, [1-9]' \
                "$out/$(basename "$t").out"; then
            log "$(basename "$t"): exit $rc"
            tail -n 20 "$out/$(basename "$t").out" | sed 's/^/    /'
            failed=$((failed + 1))
        fi
    done
    grep -E '[0-9]+ passed, [0-9]+ failed' "$ulog"
    count "$ulog"
else
    log "policy build failed:"
    tail -n 30 "$out/unit-build.log"
    failed=$((failed + 1))
fi

# ---- 2. module
log "== module ($cc, sanitizers) into $out/nginx"
module=$out/nginx/ngx_http_rtk_module.so
if ! (
    set -e
    rm -rf "$out/nginx-src" "$out/nginx"
    cp -a /usr/share/nginx/src "$out/nginx-src"
    cd "$out/nginx-src"
    . ./conf_flags
    CC=$cc ./configure "${NGX_CONF_FLAGS[@]}" \
        --with-cc-opt="-g -O1 $san -fstack-protector-strong -Wformat \
-Werror=format-security -fPIC -Wall -Wextra -Wno-unused-parameter -Werror" \
        --with-ld-opt="$san -Wl,-z,relro -Wl,-z,now -fPIC" \
        --add-dynamic-module="$top" --builddir="$out/nginx" \
        > "$out/configure.log" 2>&1 \
        || { tail -n 20 "$out/configure.log"; exit 1; }
    make -s -f "$out/nginx/Makefile" -C "$out/nginx-src" modules \
        > "$out/module-build.log" 2>&1 \
        || { tail -n 40 "$out/module-build.log"; exit 1; }
) || [ ! -f "$module" ]; then
    log "module build failed"
    log "asan: $passed passed, $((failed + 1)) failed"
    exit 1
fi

# the runtime must come first in the library list of the stock nginx
wrapper=$out/nginx-asan
cat > "$wrapper" << EOF
#!/bin/sh
LD_PRELOAD="$asan_so $ubsan_so\${LD_PRELOAD:+ \$LD_PRELOAD}" \\
    exec /usr/sbin/nginx "\$@"
EOF
chmod 755 "$wrapper"

if ! "$wrapper" -V > "$out/nginx-V.log" 2>&1; then
    log "preloaded nginx does not run:"
    cat "$out/nginx-V.log"
    log "asan: $passed passed, $((failed + 1)) failed"
    exit 1
fi

# ---- 3. integration suite
log "== integration suite (stock nginx, $module preloaded)"
root=$(mktemp -d /tmp/rtk-asan-XXXXXX)
chmod 755 "$root"
ilog=$out/integration.log
RTK_NGINX=$wrapper RTK_MODULE=$module RTK_TEST_ROOT=$root \
    python3 "$top/t/run.py" -k "$@" 2>&1 \
    | grep --line-buffered -v "^temp root kept:" | tee "$ilog"
count "$ilog" integration

# safety net: a report anywhere under the temp root
hits=$(grep -rlE --exclude='*.token' --exclude-dir=responses \
       'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:' \
       "$root" 2>/dev/null)
if [ -n "$hits" ]; then
    failed=$((failed + 1))
    log "sanitizer reports under $root:"
    for f in $hits; do
        log "--- $f"
        grep -E -A 40 'ERROR: AddressSanitizer|runtime error:' "$f" \
            | head -80 | sed 's/^/    /'
    done
else
    passed=$((passed + 1))
    log "sanitizer scan         ok   (no report under $root)"
fi

if [ "$failed" -eq 0 ] && [ -z "${RTK_KEEP:-}" ]; then
    rm -rf "$root"
else
    log "temp root kept: $root"
fi

log "asan: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
