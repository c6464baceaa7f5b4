#!/usr/bin/env bash
# Runs the gateway in the foreground on 127.0.0.1:8080 with the example
# configuration and policy.  Without RTK_TOKEN_FILE, a local stand-in for
# the Cloudflare API (TLS, with its own CA) plays the upstream.
#
#   RTK_TOKEN_FILE=/etc/nginx/rtk/cloudflare.token make run   # real API

set -eu

build=$(cd "${1:-build}" && pwd)
top=$(pwd)

# outside the checkout: workers (nobody) must reach the htpasswd file,
# and a clone under /root is closed to them
run=${RTK_RUN_DIR:-/tmp/rtk-run}
mkdir -p "$run/logs" "$run/tmp"
chmod 755 "$run"
cd "$run"

if [ ! -f ca.crt ]; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=rtk demo CA" \
        -keyout ca.key -out ca.crt 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
        -keyout standin.key -out standin.csr 2>/dev/null
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > standin.ext
    openssl x509 -req -in standin.csr -CA ca.crt -CAkey ca.key \
        -CAcreateserial -days 30 -extfile standin.ext \
        -out standin.crt 2>/dev/null
fi

[ -f audit.key ] || (umask 077; openssl rand -hex 32 > audit.key)

# demo callers for auth_basic: the password is the name; workers read it
: > htpasswd
for u in alice bob ci-bot; do
    printf '%s:%s\n' "$u" "$(openssl passwd -apr1 "$u")" >> htpasswd
done
chmod 644 htpasswd

standin=""

if [ -n "${RTK_TOKEN_FILE:-}" ]; then
    token=$RTK_TOKEN_FILE
    upstream=${RTK_UPSTREAM:-api.cloudflare.com:443}
    sslname=${upstream%:*}
    trusted=/etc/ssl/certs/ca-certificates.crt
    mode="the Cloudflare API at $upstream"
else
    token=$run/demo.token
    (umask 077; openssl rand -hex 20 > "$token")
    upstream=127.0.0.1:8443
    sslname=localhost
    trusted=$run/ca.crt
    mode="a local Cloudflare stand-in at https://127.0.0.1:8443 (demo token)"
    python3 "$top/dev/cf-standin.py" --port 8443 --cert standin.crt \
        --key standin.key --token-file "$token" &
    standin=$!
fi

trap '[ -n "$standin" ] && kill "$standin" 2>/dev/null; exit 0' INT TERM EXIT

sed -e "s|^load_module .*|load_module $build/nginx/ngx_http_rtk_module.so;|" \
    -e "s|^worker_processes .*|&\ndaemon off;\npid $run/nginx.pid;\nerror_log $run/logs/error.log info;|" \
    -e "s|/etc/nginx/rtk/policy.json|$top/examples/policy.json|" \
    -e "s|/etc/nginx/rtk/cloudflare.token|$token|" \
    -e "s|/etc/nginx/rtk/htpasswd|$run/htpasswd|" \
    -e "s|/etc/nginx/rtk/audit.key|$run/audit.key|" \
    -e "s|/var/log/nginx/|$run/logs/|" \
    -e "s|server     api.cloudflare.com:443;|server     $upstream;|" \
    -e "s|proxy_ssl_name                 api.cloudflare.com;|proxy_ssl_name                 $sslname;|" \
    -e "s|/etc/ssl/certs/ca-certificates.crt|$trusted|" \
    -e "s|^http {|&\n    client_body_temp_path $run/tmp/body;\n    proxy_temp_path $run/tmp/proxy;|" \
    "$top/examples/nginx.conf" > nginx.conf

/usr/sbin/nginx -p "$run" -c "$run/nginx.conf" -t -q

cat <<MSG

ngx_rtk_module is listening on http://127.0.0.1:8080, forwarding to
$mode.
Audit records: $run/logs/rtk-audit.log, verify them with
  tools/rtk-audit verify $run/logs/rtk-audit.log --key $run/audit.key

Try it (alice may edit and enable the demo app's webhooks):

  curl -u alice:alice -X PATCH \\
    http://127.0.0.1:8080/client/v4/accounts/023e105f4ecef8ad9ca31a8372d0c353/realtime/kit/14a396e7-ca44-4937-bf1f-050a69118543/webhooks/0d1f069d-43bb-489a-ad8c-7eb95592ba8e \\
    -H 'Content-Type: application/json' \\
    -d '{"name":"deploys","url":"https://hooks.example.com/rtk/deploys","events":["meeting.started","meeting.ended"]}'

Switch to the real API: put your token in a root-only file (chmod 600) and
  RTK_TOKEN_FILE=/path/to/token make run
(RTK_UPSTREAM=host:port overrides api.cloudflare.com:443).  Ctrl-C stops.

MSG

/usr/sbin/nginx -p "$run" -c "$run/nginx.conf"
