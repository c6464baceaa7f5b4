#!/usr/bin/env bash
# make test-deb: the package built by "make deb", installed with the stock
# nginx into a fresh Debian 12 root, used there like any nginx module.
#
#   dev/deb-test.sh [DIR]      DIR holds libnginx-mod-http-rtk_*.deb
#                              (default build/deb); needs root, debootstrap
#
# The root is made with debootstrap --variant=minbase bookworm (the mirror
# is the one this machine's apt sources name) and cached as a tarball;
# both live under $RTK_DEB_WORK (default /var/tmp/rtk-deb-test).  Packages
# install from the same apt sources.  The gateway, its stand-in upstream
# and the requests run in a network namespace of their own that has only
# loopback.  Prints "deb: N passed, N failed"; exits 1 on any failure.

set -u

started=$(date +%s)
out=$(cd "${1:-build/deb}" 2>/dev/null && pwd) || { echo "no ${1:-build/deb}"; exit 1; }
work=${RTK_DEB_WORK:-/var/tmp/rtk-deb-test}
root=$work/root
cache=$work/bookworm-minbase.tar
log=$work/run.log
pkg=libnginx-mod-http-rtk
doc=/usr/share/doc/$pkg

passed=0
failed=0

pass() { passed=$((passed + 1)); echo "ok    $1"; }
fail() { failed=$((failed + 1)); echo "FAIL  $1${2:+: $2}"; }

# check NAME COMMAND...: output goes to the log
check() {
    local name=$1
    shift
    echo "== $name: $*" >> "$log"
    if "$@" >> "$log" 2>&1; then pass "$name"; else fail "$name" "see $log"; fi
}

finish() {
    echo "($(( $(date +%s) - started )) s; log: $log)"
    echo "deb: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit $?
}

# a step the rest depends on: on failure, stop here
need() {
    local name=$1
    shift
    echo "== $name: $*" >> "$log"
    if "$@" >> "$log" 2>&1; then
        pass "$name"
    else
        fail "$name" "$(tail -n 2 "$log" | tr '\n' ' ')"
        finish
    fi
}

[ "$(id -u)" -eq 0 ] || { echo "deb-test: run as root"; exit 1; }
command -v debootstrap >/dev/null || { echo "deb-test: install debootstrap"; exit 1; }
unshare --net true 2>/dev/null \
    || { echo "deb-test: cannot make a network namespace (unshare --net)"; exit 1; }

deb=$(find "$out" -maxdepth 1 -name "${pkg}_*.deb" | sort | tail -n 1)
[ -n "$deb" ] || { echo "deb-test: no ${pkg}_*.deb in $out, run make deb"; exit 1; }

mkdir -p "$work"
exec 9> "$work/lock"
flock -n 9 || { echo "deb-test: another run uses $work"; exit 1; }
: > "$log"

# every process whose root is the test root was started by this script
stop_root_processes() {
    local p pids=""
    for p in /proc/[0-9]*; do
        [ "$(readlink "$p/root" 2>/dev/null)" = "$root" ] && pids="$pids ${p#/proc/}"
    done
    [ -n "$pids" ] || return 0
    kill -TERM $pids 2>/dev/null   # a list of pids
    sleep 1
    kill -KILL $pids 2>/dev/null
    return 0
}

unmount_root() {
    local m
    for m in dev sys proc; do
        mountpoint -q "$root/$m" 2>/dev/null && umount -R -l "$root/$m"
    done
    return 0
}

cleanup() {
    stop_root_processes
    unmount_root
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

in_root() {
    chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
        HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}

mirror=$(awk '/^URIs:/ { print $2; exit }' \
    /etc/apt/sources.list.d/debian.sources 2>/dev/null)
[ -n "$mirror" ] || mirror=$(awk '/^deb / { print $2; exit }' \
    /etc/apt/sources.list 2>/dev/null)

make_root() {
    unmount_root
    rm -rf "$root"
    mkdir -p "$root"
    if [ -f "$cache" ]; then
        tar -xf "$cache" -C "$root"
    else
        [ -n "$mirror" ] || { echo "no Debian mirror in the apt sources"; return 1; }
        debootstrap --variant=minbase bookworm "$root" "$mirror" \
            && tar -cf "$cache.tmp" -C "$root" . && mv "$cache.tmp" "$cache"
    fi
}

prepare_root() {
    cp /etc/resolv.conf "$root/etc/resolv.conf"
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
        cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/"
        rm -f "$root/etc/apt/sources.list"
    else
        cp /etc/apt/sources.list "$root/etc/apt/sources.list"
    fi
    # no service starts while packages install (nginx's postinst would)
    printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
    chmod 755 "$root/usr/sbin/policy-rc.d"
    mount -t proc proc "$root/proc"
    mount --rbind /sys "$root/sys" && mount --make-rslave "$root/sys"
    mount --rbind /dev "$root/dev" && mount --make-rslave "$root/dev"
    mkdir -p "$root/root/deb"
    cp "$deb" "$root/root/deb/"
}

echo "deb-test: $(basename "$deb") in a fresh Debian 12 root at $root"

need "debian 12 root (debootstrap minbase, cached)" make_root
need "root prepared (apt sources, policy-rc.d, mounts)" prepare_root
need "apt-get update" in_root apt-get update -q
need "stock nginx installs" in_root apt-get install -y -q nginx man-db
need "the package installs with apt (dependencies resolve)" \
    in_root apt-get install -y -q "/root/deb/$(basename "$deb")"

abi_dep() {
    local abi
    abi=$(in_root dpkg-query -W -f='${Depends}' "$pkg" | grep -o 'nginx-abi-[0-9.-]*')
    echo "depends on $abi"
    [ -n "$abi" ] && in_root dpkg-query -W -f='${Provides}\n' nginx | grep -qw "$abi"
}
check "depends on the nginx ABI that the stock nginx provides" abi_dep

enabled() {
    ls -l "$root/etc/nginx/modules-enabled/"
    [ "$(readlink "$root/etc/nginx/modules-enabled/50-mod-http-rtk.conf")" \
        = /usr/share/nginx/modules-available/mod-http-rtk.conf ] \
        && grep -qx 'load_module modules/ngx_http_rtk_module.so;' \
            "$root/usr/share/nginx/modules-available/mod-http-rtk.conf" \
        && [ -f "$root/usr/lib/nginx/modules/ngx_http_rtk_module.so" ]
}
check "module installed and enabled through modules-enabled" enabled

shipped() {
    in_root dpkg -L "$pkg"
    [ -x "$root/usr/bin/rtk-policy" ] && [ -x "$root/usr/bin/rtk-audit" ] \
        && [ -f "$root$doc/examples/nginx.conf" ] \
        && [ -f "$root$doc/examples/policy.json" ] \
        && ! in_root dpkg -L "$pkg" | grep -Eiq 'token|\.key$|htpasswd|^/etc/'
}
check "tools and examples shipped, no token, key or /etc file" shipped

# the checks that need nginx running: inside the root, loopback only
cat > "$root/root/deb-check.sh" <<'INNER'
#!/bin/bash
# Runs inside the test root in a network namespace with only loopback.
# Prints "pass NAME" or "fail NAME: why" per check.
set -u
doc=/usr/share/doc/libnginx-mod-http-rtk
acct=023e105f4ecef8ad9ca31a8372d0c353
app=14a396e7-ca44-4937-bf1f-050a69118543
hook=0d1f069d-43bb-489a-ad8c-7eb95592ba8e
path=/client/v4/accounts/$acct/realtime/kit/$app/webhooks/$hook
standin=""

t() {
    local name=$1 out
    shift
    if out=$("$@" 2>&1); then
        echo "pass $name"
    else
        echo "fail $name: $(printf '%s' "$out" | tail -n 3 | tr '\n' ' ')"
    fi
}

stop() {
    local pid
    if [ -f /run/nginx.pid ]; then
        pid=$(cat /run/nginx.pid)
        kill -TERM "$pid" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    fi
    if [ -n "$standin" ]; then
        kill -TERM "$standin" 2>/dev/null
        wait "$standin" 2>/dev/null
    fi
    standin=""
}
trap stop EXIT

# what an operator writes: a root-only token and key, a policy, a site
mkdir -p /etc/nginx/rtk
(umask 077
 python3 -c 'import secrets; print(secrets.token_hex(20))' > /etc/nginx/rtk/cloudflare.token
 python3 -c 'import secrets; print(secrets.token_hex(32))' > /etc/nginx/rtk/audit.key)
cp $doc/examples/policy.json /etc/nginx/rtk/policy.json
cat > /etc/nginx/sites-available/rtk-gateway <<'SITE'
server {
    listen  127.0.0.1:18080;

    rtk_policy          /etc/nginx/rtk/policy.json;
    rtk_token_file      /etc/nginx/rtk/cloudflare.token;
    rtk_audit_log       /var/log/nginx/rtk-audit.log
                        key=/etc/nginx/rtk/audit.key;
    rtk_error_envelope  on;

    location / {
        rtk_gateway   on;
        rtk_identity  $http_x_caller;
        proxy_pass    http://127.0.0.1:18081;
    }
}
SITE
ln -sf /etc/nginx/sites-available/rtk-gateway /etc/nginx/sites-enabled/rtk-gateway

t "nginx -t with a gateway configuration" nginx -t -q
t "the module is loaded from modules-enabled" \
    sh -c 'nginx -T 2>/dev/null | grep -q "^load_module modules/ngx_http_rtk_module.so;"'

# a stand-in for the Cloudflare API on loopback: records every request
cat > /root/standin.py <<'PY'
import http.server, json, sys

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def do_PATCH(self):
        body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
        with open(sys.argv[2], 'a') as f:
            f.write(json.dumps({'method': self.command, 'path': self.path,
                                'headers': self.headers.items(),
                                'body': body.decode()}) + '\n')
        out = json.dumps({'success': True, 'errors': [], 'messages': [],
                          'result': {'id': self.path.rsplit('/', 1)[-1]}})
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(out)))
        self.end_headers()
        self.wfile.write(out.encode())

    def log_message(self, *args):
        pass

http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), Handler).serve_forever()
PY
: > /root/upstream.jsonl
python3 /root/standin.py 18081 /root/upstream.jsonl > /dev/null 2>&1 &
standin=$!

# the master keeps stderr open: no command substitution around it
if nginx 2> /root/nginx-start.err; then
    echo "pass nginx starts"
else
    echo "fail nginx starts: $(tail -n 2 /root/nginx-start.err | tr '\n' ' ')"
fi

cat > /root/requests.py <<'PY'
import http.client, json, socket, sys, time

token = open('/etc/nginx/rtk/cloudflare.token').read().strip()
path = sys.argv[1]

def listening(port):
    for _ in range(50):
        try:
            socket.create_connection(('127.0.0.1', port), 0.2).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False

def patch(caller, doc):
    c = http.client.HTTPConnection('127.0.0.1', 18080, timeout=10)
    c.request('PATCH', path, body=json.dumps(doc),
              headers={'Content-Type': 'application/json', 'X-Caller': caller,
                       'Authorization': 'Bearer placeholder-from-client'})
    r = c.getresponse()
    return r.status, r.getheader('Content-Type', ''), r.read()

def upstream():
    return [json.loads(l) for l in open('/root/upstream.jsonl')]

def result(name, ok, why=''):
    print(('pass %s' % name) if ok else ('fail %s: %s' % (name, why)))

if not (listening(18081) and listening(18080)):
    result('gateway and stand-in listen on loopback', False, 'no listener')
    sys.exit(0)

status, ctype, body = patch('alice', {
    'name': 'deploys', 'url': 'https://hooks.example.com/rtk/deploys',
    'events': ['meeting.started']})
seen = upstream()
result('an allowed PATCH is served', status == 200
       and json.loads(body).get('success') is True and len(seen) == 1,
       'status %d, %d upstream requests, %r' % (status, len(seen), body[:200]))
if seen:
    auth = [v for k, v in seen[0]['headers'] if k.lower() == 'authorization']
    result('upstream saw "Authorization: Bearer <token>" only',
           auth == ['Bearer ' + token], '%d Authorization headers' % len(auth))
    result('upstream saw the prefixed path and the canonical body',
           seen[0]['path'] == path and seen[0]['body'] ==
           '{"events":["meeting.started"],"name":"deploys",'
           '"url":"https://hooks.example.com/rtk/deploys"}',
           '%s %s' % (seen[0]['path'], seen[0]['body']))

status, ctype, body = patch('alice', {'url': 'https://evil.example/x'})
try:
    doc = json.loads(body)
except ValueError:
    doc = {}
result('a denied PATCH gets a 403 JSON envelope and goes nowhere',
       status == 403 and ctype.startswith('application/json')
       and doc.get('success') is False and doc.get('result') is None
       and doc.get('errors', [{}])[0].get('code') == 40305
       and len(upstream()) == 1,
       'status %d, %s, %r' % (status, ctype, body[:200]))
PY
python3 /root/requests.py "$path"

# the outcome record is written when the request ends (after the
# chain's link record and two decision records)
for _ in $(seq 50); do
    [ "$(wc -l < /var/log/nginx/rtk-audit.log)" -ge 4 ] 2>/dev/null && break
    sleep 0.1
done
stop

t "rtk-audit verify from /usr/bin" sh -c '
    rtk-audit verify /var/log/nginx/rtk-audit.log --key /etc/nginx/rtk/audit.key \
        | tee /dev/stderr | grep -q "^ok: 4 records in 1 segments verify"'
t "the token is in no log" sh -c '
    ! grep -rqF "$(cat /etc/nginx/rtk/cloudflare.token)" /var/log/nginx'
t "rtk-policy check from /usr/bin" sh -c "
    rtk-policy check $doc/examples/policy.json | grep -q '^ok: '"
t "rtk-policy eval: allow exits 0, deny exits 2" sh -c "
    echo '{\"url\":\"https://hooks.example.com/rtk/x\"}' \
        | rtk-policy eval $doc/examples/policy.json --caller alice \
            --path $path --body - | grep -q '\"decision\":\"allow\"' &&
    { echo '{\"url\":\"https://evil.example/x\"}' \
        | rtk-policy eval $doc/examples/policy.json --caller alice \
            --path $path --body -; test \$? -eq 2; }"
t "man rtk-policy and man rtk-audit" sh -c '
    man -P cat rtk-policy 2>/dev/null | grep -Eq "^ +rtk-policy +- +check" &&
    man -P cat rtk-audit 2>/dev/null | grep -Eq "^ +rtk-audit +- +verify"'
INNER

inner() {
    unshare --net -- sh -c 'ip link set lo up && exec chroot "$1" \
        /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
        LANG=C.UTF-8 /bin/bash /root/deb-check.sh' sh "$root" 2>> "$log"
}
echo "== checks inside the root (network namespace, loopback only)" >> "$log"
while IFS= read -r line; do
    echo "$line" >> "$log"
    case $line in
    "pass "*) pass "${line#pass }" ;;
    "fail "*) name=${line#fail }; fail "${name%%: *}" "${name#*: }" ;;
    *)        echo "      $line" ;;
    esac
done < <(inner)
check "no process left in the root" sh -c "
    for p in /proc/[0-9]*; do
        [ \"\$(readlink \$p/root 2>/dev/null)\" = '$root' ] && exit 1
    done; exit 0"

# the operator removes the site, then the package
purge() {
    rm -f "$root/etc/nginx/sites-enabled/rtk-gateway"
    in_root apt-get purge -y -q "$pkg" || return 1
    ls -la "$root/etc/nginx/modules-enabled/"
    [ -z "$(find "$root/etc/nginx/modules-enabled/" -name '*rtk*')" ] \
        && [ ! -e "$root/usr/lib/nginx/modules/ngx_http_rtk_module.so" ] \
        && [ ! -e "$root/usr/share/nginx/modules-available/mod-http-rtk.conf" ] \
        && in_root nginx -t -q
}
check "apt-get purge leaves no trace in modules-enabled; nginx -t passes" purge

if [ "$failed" -eq 0 ]; then
    cleanup
    rm -rf "$root"
fi
finish
