#!/usr/bin/env bash
# Tests of the rtk-policy CLI against examples/policy.json, a policy of
# the whole webhooks resource and a few broken policies.
# Usage: dev/test-rtk-policy.sh [BUILD]
# Prints "rtk-policy: N passed, N failed"; exits 1 on any failure.

set -u

top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
cli=$build/tools/rtk-policy
example=$top/examples/policy.json
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0

acct=023e105f4ecef8ad9ca31a8372d0c353
other=ffffffffffffffffffffffffffffffff
app=14a396e7-ca44-4937-bf1f-050a69118543
stagingapp=8f0e6f2a-9b1c-4d3e-8f7a-6b5c4d3e2f1a
enforced=5b0e4f3a-2c1d-4e6f-8a9b-0c1d2e3f4a5b
hook=0d1f069d-43bb-489a-ad8c-7eb95592ba8e
apphex=14a396e7ca444937bf1f050a69118543
hook2=7e0c7f2a-1d3b-4c5d-9e6f-708192a3b4c5
coll=/client/v4/accounts/$acct/realtime/kit/$app/webhooks
path=$coll/$hook

# t NAME RC STDOUT_PATTERN STDERR_PATTERN -- COMMAND...
# patterns are grep -E expressions; "" means the stream must be empty
t() {
    local name=$1 want_rc=$2 want_out=$3 want_err=$4 rc out err ok=1
    shift 5

    "$@" > "$tmp/out" 2> "$tmp/err" < "${STDIN:-/dev/null}"
    rc=$?
    out=$(cat "$tmp/out")
    err=$(cat "$tmp/err")

    [ "$rc" -eq "$want_rc" ] || ok=0

    if [ -z "$want_out" ]; then
        [ -z "$out" ] || ok=0
    else
        printf '%s\n' "$out" | grep -Eq -- "$want_out" || ok=0
    fi

    if [ -z "$want_err" ]; then
        [ -z "$err" ] || ok=0
    else
        printf '%s\n' "$err" | grep -Eq -- "$want_err" || ok=0
    fi

    # every eval answer is one line of valid JSON with the six keys
    if [ "$1" = "$cli" ] && [ "${2:-}" = eval ] && [ -n "$out" ]; then
        printf '%s\n' "$out" | python3 -c '
import json, sys
lines = sys.stdin.read().splitlines()
assert len(lines) == 1
d = json.loads(lines[0])
assert list(d) == ["decision", "operation", "status", "code", "reason",
                   "rule"]
assert d["decision"] in ("allow", "deny", "would_deny")
assert d["operation"] in ("", "list", "create", "get", "replace", "edit",
                          "delete")
' 2>/dev/null || ok=0
    fi

    if [ "$ok" -eq 1 ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL $name: rc $rc (want $want_rc)" >&2
        echo "  stdout: $out" >&2
        echo "  stderr: $err" >&2
    fi
}

body() {
    printf '%s' "$1" > "$tmp/$2"
    echo "$tmp/$2"
}

if [ ! -x "$cli" ]; then
    echo "rtk-policy: 0 passed, 1 failed (no $cli)"
    exit 1
fi

# check

sum=$(sha256sum "$example" | cut -d' ' -f1)

t "check example" 0 "^ok: 3 apps, sha256 $sum\$" "" -- \
    "$cli" check "$example"

printf '{\n  "accounts": {},\n  "acounts": {}\n}\n' > "$tmp/bad.json"
t "check unknown key" 1 "" \
    "^$tmp/bad.json:3:3: unknown key \"acounts\" at top level" -- \
    "$cli" check "$tmp/bad.json"

printf '{"accounts": {"*": {"apps": {"*": {"editors": ["@x"]}}}}}' \
    > "$tmp/group.json"
t "check unknown group" 1 "" "^$tmp/group.json:1:48: unknown group \"@x\"" \
    -- "$cli" check "$tmp/group.json"

printf '{"accounts": {}' > "$tmp/eof.json"
t "check syntax" 1 "" "^$tmp/eof.json:1:16: JSON syntax error: premature" \
    -- "$cli" check "$tmp/eof.json"

t "check missing file" 1 "" "^$tmp/none.json: cannot open" -- \
    "$cli" check "$tmp/none.json"

t "check directory" 1 "" "^$tmp: not a regular file" -- \
    "$cli" check "$tmp"

t "check without file" 1 "" "^usage: " -- "$cli" check
t "no arguments" 1 "" "^usage: " -- "$cli"
t "unknown command" 1 "" "^usage: " -- "$cli" frobnicate "$example"
t "help" 0 "^usage: " "" -- "$cli" --help

# eval: allow, deny, would_deny

demo=$(body '{"name":"deploys","url":"https://hooks.example.com/rtk/deploys",
"events":["meeting.started","meeting.ended"]}' demo.json)

t "eval allow" 0 \
    '^\{"decision":"allow","operation":"edit","status":200,"code":0,'\
'"reason":"","rule":"accounts\.'"$acct"'\.apps\.'"$app"'"\}$' \
    "" -- "$cli" eval "$example" --caller alice --path "$path" --body "$demo"

t "eval allow, explicit PATCH, no prefix" 0 '"decision":"allow"' "" -- \
    "$cli" eval "$example" --caller bob --method PATCH \
    --path "/accounts/$acct/realtime/kit/$app/webhooks/$hook" --body "$demo"

t "eval deny field" 2 \
    '"decision":"deny","operation":"edit","status":403,"code":40307,'\
'"reason":"caller \\"ci-bot\\" may not change field \\"url\\"' \
    "" -- "$cli" eval "$example" --caller ci-bot --path "$path" --body "$demo"

t "eval deny editor" 2 '"code":40302' "" -- \
    "$cli" eval "$example" --caller mallory --path "$path" --body "$demo"

enable=$(body '{"enabled":true}' enable.json)
t "eval deny enable" 2 '"code":40303' "" -- \
    "$cli" eval "$example" --caller bob --path "$path" --body "$enable"
t "eval allow enable" 0 '"decision":"allow"' "" -- \
    "$cli" eval "$example" --caller alice --path "$path" --body "$enable"

disable=$(body '{"enabled":false}' disable.json)
t "eval deny disable" 2 '"code":40304' "" -- \
    "$cli" eval "$example" --caller bob --path "$path" --body "$disable"

evil=$(body '{"url":"https://evil.example/x"}' evil.json)
t "eval deny url" 2 \
    '"code":40305,"reason":"url host evil.example not in allowlist of app' \
    "" -- "$cli" eval "$example" --caller alice --path "$path" --body "$evil"

ip=$(body '{"url":"https://198.51.100.7:8443/rtk/x"}' ip.json)
t "eval allow ip url" 0 '"decision":"allow"' "" -- \
    "$cli" eval "$example" --caller alice --path "$path" --body "$ip"

summary=$(body '{"events":["meeting.started","meeting.summary"]}' sum.json)
t "eval deny event" 2 '"code":40306,"reason":"event \\"meeting.summary\\"' \
    "" -- "$cli" eval "$example" --caller alice --path "$path" \
    --body "$summary"

printf '{"accounts": {"%s": {"apps": {"%s": {"editors": ["alice"]}}}}}' \
    "$acct" "$app" > "$tmp/one.json"
t "eval no rule" 2 \
    '"code":40301,"reason":"no policy rule for app '"$enforced"\
' in account '"$acct"'","rule":"accounts\.'"$acct"'"' \
    "" -- "$cli" eval "$tmp/one.json" --caller alice --body "$demo" \
    --path "/accounts/$acct/realtime/kit/$enforced/webhooks/$hook"
t "eval no rule, no account" 2 '"code":40301,.*"rule":"default"' "" -- \
    "$cli" eval "$tmp/one.json" --caller alice --body "$demo" \
    --path "/accounts/$other/realtime/kit/$app/webhooks/$hook"

t "eval would_deny (app report-only)" 3 \
    '"decision":"would_deny","operation":"edit","status":403,"code":40305,'\
'.*"rule":"accounts\.'"$acct"'\.apps\.'"$stagingapp"'"' \
    "" -- "$cli" eval "$example" --caller alice --body "$evil" \
    --path "/accounts/$acct/realtime/kit/$stagingapp/webhooks/$hook"

# the example names its accounts: any other is denied, not reported

t "eval unnamed account denied by the example" 2 \
    '"decision":"deny","operation":"edit","status":403,"code":40301,'\
'.*"rule":"default"' "" -- \
    "$cli" eval "$example" --caller alice --body "$evil" \
    --path "/accounts/$other/realtime/kit/$app/webhooks/$hook"

cat > "$tmp/rollout.json" <<EOF
{
  "groups": {"platform": ["alice", "bob"]},
  "accounts": {
    "*": {
      "mode": "report-only",
      "apps": {
        "$enforced": {
          "mode": "enforce",
          "editors": ["@platform"],
          "disablers": [],
          "urls": ["https://hooks.example.com/"],
          "events": ["meeting.started", "meeting.ended"]
        },
        "*": {
          "editors": ["@platform"],
          "urls": ["https://hooks.example.com/"],
          "events": ["meeting.started", "meeting.ended"]
        }
      }
    }
  }
}
EOF

t "eval would_deny (account report-only)" 3 \
    '"decision":"would_deny","operation":"edit","status":403,"code":40302,'\
'.*"rule":"accounts\.\*\.apps\.\*"' \
    "" -- "$cli" eval "$tmp/rollout.json" --caller ci-bot --body "$demo" \
    --path "/accounts/$other/realtime/kit/$app/webhooks/$hook"

t "eval app enforce over account report-only" 2 \
    '"decision":"deny",.*"code":40304' "" -- \
    "$cli" eval "$tmp/rollout.json" --caller alice --body "$disable" \
    --path "/accounts/$other/realtime/kit/$enforced/webhooks/$hook"

STDIN=$demo t "eval body from stdin" 0 '"decision":"allow"' "" -- \
    "$cli" eval "$example" --caller alice --path "$path" --body -

quote=$(body '{"name":"x"}' quote.json)
t "eval caller escaped" 2 '"reason":"caller \\"a\\"b\\\\c\\" is not' \
    "" -- "$cli" eval "$example" --caller 'a"b\c' --path "$path" \
    --body "$quote"

# eval: the whole resource, one operation each, against its own policy

cat > "$tmp/resource.json" <<EOF
{
  "groups": {"audit": ["rita"]},
  "accounts": {
    "$acct": {
      "apps": {
        "$app": {
          "editors": ["ed"],
          "readers": ["@audit", "ed"],
          "creators": ["cre"],
          "deleters": ["del"],
          "enablers": ["ed", "cre"],
          "disablers": ["ed"],
          "urls": ["https://hooks.example.com/rtk/"],
          "events": ["meeting.started", "meeting.ended"],
          "webhooks": {
            "$hook2": {
              "mode": "report-only",
              "editors": ["mallory"],
              "deleters": ["mallory"],
              "urls": ["https://other.example.com/"],
              "events": ["meeting.summary"]
            }
          }
        },
        "$stagingapp": {
          "editors": ["ed"]
        }
      }
    }
  }
}
EOF
res=$tmp/resource.json
hook2path=$coll/$hook2

t "check resource policy" 0 "^ok: 2 apps, sha256 " "" -- \
    "$cli" check "$res"

full=$(body '{"name":"n","url":"https://hooks.example.com/rtk/in",
"events":["meeting.started"]}' full.json)
empty=$(body '' empty.json)
nothing=$(body '{}' nothing.json)

t "eval list" 0 \
    '^\{"decision":"allow","operation":"list","status":200,"code":0,'\
'"reason":"","rule":"accounts\.'"$acct"'\.apps\.'"$app"'"\}$' "" -- \
    "$cli" eval "$res" --caller rita --method GET --path "$coll"
t "eval list denied" 2 \
    '"operation":"list","status":403,"code":40309,"reason":"caller '\
'\\"cre\\" is not a reader of app '"$app"'"' "" -- \
    "$cli" eval "$res" --caller cre --method GET --path "$coll"
t "eval list: readers name the editor too" 0 '"decision":"allow"' "" -- \
    "$cli" eval "$res" --caller ed --method GET --path "$coll"
t "eval list: readers default to the editors" 0 '"decision":"allow"' "" -- \
    "$cli" eval "$res" --caller ed --method GET \
    --path "/accounts/$acct/realtime/kit/$stagingapp/webhooks"
t "eval list: no reader without readers or editors" 2 '"code":40309' "" \
    -- "$cli" eval "$res" --caller rita --method GET \
    --path "/accounts/$acct/realtime/kit/$stagingapp/webhooks"

t "eval get" 0 '"decision":"allow","operation":"get"' "" -- \
    "$cli" eval "$res" --caller rita --method GET --path "$path"
t "eval get denied" 2 '"operation":"get","status":403,"code":40309' "" -- \
    "$cli" eval "$res" --caller del --method GET --path "$path"
t "eval get, any Content-Type" 0 '"decision":"allow"' "" -- \
    "$cli" eval "$res" --caller rita --method GET --path "$path" \
    --content-type text/plain --content-type x
t "eval get, empty body file" 0 '"decision":"allow"' "" -- \
    "$cli" eval "$res" --caller rita --method GET --path "$path" \
    --body "$empty" --no-content-type
t "eval get with a body" 2 \
    '"operation":"get","status":400,"code":40016,"reason":"a GET request '\
'takes no body","rule":""' "" -- \
    "$cli" eval "$res" --caller rita --method GET --path "$path" \
    --body "$nothing"
t "eval list with a body" 2 '"status":400,"code":40016' "" -- \
    "$cli" eval "$res" --caller rita --method GET --path "$coll" \
    --body "$full"

t "eval create" 0 \
    '^\{"decision":"allow","operation":"create","status":200,"code":0,' \
    "" -- "$cli" eval "$res" --caller cre --method POST --path "$coll" \
    --body "$full"
t "eval create denied" 2 \
    '"operation":"create","status":403,"code":40310,"reason":"caller '\
'\\"ed\\" is not a creator of app '"$app"'"' "" -- \
    "$cli" eval "$res" --caller ed --method POST --path "$coll" \
    --body "$full"
t "eval create missing field" 2 \
    '"operation":"create","status":400,"code":40008,"reason":"field '\
'\\"url\\" is required"' "" -- \
    "$cli" eval "$res" --caller cre --method POST --path "$coll" \
    --body "$(body '{"name":"n","events":["meeting.started"]}' nourl.json)"
t "eval create {}" 2 '"code":40008,"reason":"field \\"events\\" is' "" -- \
    "$cli" eval "$res" --caller cre --method POST --path "$coll" \
    --body "$nothing"
t "eval create needs Content-Type" 2 '"status":415' "" -- \
    "$cli" eval "$res" --caller cre --method POST --path "$coll" \
    --body "$full" --no-content-type

# an omitted "enabled" is true, and the enabler rule judges it
cat > "$tmp/noenable.json" <<EOF
{"accounts": {"*": {"apps": {"*": {
  "editors": ["ed"], "creators": ["ed"],
  "urls": ["https://hooks.example.com/rtk/"], "events": ["meeting.started"]
}}}}}
EOF
t "eval create: enabled defaults to true" 2 \
    '"operation":"create","status":403,"code":40303' "" -- \
    "$cli" eval "$tmp/noenable.json" --caller ed --method POST \
    --path "$coll" --body "$full"
t "eval create: enabled false needs no enabler" 0 '"decision":"allow"' "" \
    -- "$cli" eval "$tmp/noenable.json" --caller ed --method POST \
    --path "$coll" --body "$(body '{"enabled":false,"name":"n",
"url":"https://hooks.example.com/rtk/in","events":["meeting.started"]}' \
    off.json)"
t "eval replace: enabled defaults to true" 2 \
    '"operation":"replace","status":403,"code":40303' "" -- \
    "$cli" eval "$tmp/noenable.json" --caller ed --method PUT \
    --path "$path" --body "$full"
t "eval edit: nothing filled in" 0 '"operation":"edit"' "" -- \
    "$cli" eval "$tmp/noenable.json" --caller ed --path "$path" \
    --body "$(body '{"name":"n"}' name.json)"

t "eval replace" 0 '"decision":"allow","operation":"replace"' "" -- \
    "$cli" eval "$res" --caller ed --method PUT --path "$path" \
    --body "$full"
t "eval replace denied" 2 '"operation":"replace","status":403,"code":40302' \
    "" -- "$cli" eval "$res" --caller cre --method PUT --path "$path" \
    --body "$full"
t "eval replace missing field" 2 '"status":400,"code":40008' "" -- \
    "$cli" eval "$res" --caller ed --method PUT --path "$path" \
    --body "$(body '{"url":"https://hooks.example.com/rtk/in",
"events":["meeting.started"]}' noname.json)"

t "eval edit {}" 0 '"decision":"allow","operation":"edit"' "" -- \
    "$cli" eval "$res" --caller ed --method PATCH --path "$path" \
    --body "$nothing"
t "eval edit {} denied" 2 '"operation":"edit","status":403,"code":40302' \
    "" -- "$cli" eval "$res" --caller rita --method PATCH --path "$path" \
    --body "$nothing"

t "eval delete" 0 '"decision":"allow","operation":"delete"' "" -- \
    "$cli" eval "$res" --caller del --method DELETE --path "$path"
t "eval delete denied" 2 \
    '"operation":"delete","status":403,"code":40311,"reason":"caller '\
'\\"ed\\" is not a deleter of app '"$app"'"' "" -- \
    "$cli" eval "$res" --caller ed --method DELETE --path "$path"
t "eval delete with a body" 2 \
    '"status":400,"code":40016,"reason":"a DELETE request takes no body"' \
    "" -- "$cli" eval "$res" --caller del --method DELETE --path "$path" \
    --body "$nothing"
t "eval delete: no deleters, nobody" 2 '"code":40311' "" -- \
    "$cli" eval "$res" --caller ed --method DELETE \
    --path "/accounts/$acct/realtime/kit/$stagingapp/webhooks/$hook"

t "eval webhooks/all" 2 '"status":404,"code":40404' "" -- \
    "$cli" eval "$res" --caller rita --method GET --path "$coll/all"
t "eval collection trailing slash" 2 '"status":400,"code":40014' "" -- \
    "$cli" eval "$res" --caller rita --method GET --path "$coll/"

# per-webhook rules: the webhook's entry decides alone

t "eval webhook rule allows what the app denies" 0 \
    '"decision":"allow","operation":"delete",.*"rule":"accounts\.'"$acct"\
'\.apps\.'"$app"'\.webhooks\.'"$hook2"'"' "" -- \
    "$cli" eval "$res" --caller mallory --method DELETE --path "$hook2path"
t "eval webhook rule denies what the app allows (report-only)" 3 \
    '"decision":"would_deny","operation":"delete","status":403,'\
'"code":40311,.*webhooks\.'"$hook2"'"' "" -- \
    "$cli" eval "$res" --caller del --method DELETE --path "$hook2path"
t "eval webhook rule: no url merged from the app" 3 \
    '"decision":"would_deny","operation":"edit",.*"code":40305' "" -- \
    "$cli" eval "$res" --caller mallory --path "$hook2path" \
    --body "$(body '{"url":"https://hooks.example.com/rtk/in"}' url.json)"
t "eval webhook rule: readers default to its editors" 0 \
    '"decision":"allow","operation":"get"' "" -- \
    "$cli" eval "$res" --caller mallory --method GET --path "$hook2path"
t "eval webhook rule: list is the app's" 2 '"code":40309,.*apps\.'"$app"'"' \
    "" -- "$cli" eval "$res" --caller mallory --method GET --path "$coll"

# the 32-hex spelling of an app reaches the same rule, named as the file

t "eval hex app: the uuid's rule" 0 \
    '"decision":"allow","operation":"get",.*"rule":"accounts\.'"$acct"\
'\.apps\.'"$app"'"' "" -- \
    "$cli" eval "$res" --caller rita --method GET \
    --path "/accounts/$acct/realtime/kit/$apphex/webhooks/$hook"
t "eval hex app: the webhook's rule" 0 '"rule":"[^"]*webhooks\.'"$hook2"'"' \
    "" -- "$cli" eval "$res" --caller mallory --method DELETE \
    --path "/accounts/$acct/realtime/kit/$apphex/webhooks/$hook2"
t "eval hex app: named as the request does" 2 \
    '"reason":"caller \\"nobody\\" is not a reader of app '"$apphex"'"' "" \
    -- "$cli" eval "$res" --caller nobody --method GET \
    --path "/accounts/$acct/realtime/kit/$apphex/webhooks"
t "eval uppercase hex app" 2 '"status":404,"code":40403' "" -- \
    "$cli" eval "$res" --caller rita --method GET \
    --path "/accounts/$acct/realtime/kit/${apphex^^}/webhooks"

printf '{"accounts": {"*": {"apps": {\n"%s": {"editors": ["a"]},\n' \
    "$app" > "$tmp/twice.json"
printf '"%s": {"editors": ["b"]}}}}}\n' "$apphex" >> "$tmp/twice.json"
t "check the same app twice" 1 "" \
    "^$tmp/twice.json:3:1: duplicate key \"$apphex\" \(the same app as "\
"\"$app\"\)" -- "$cli" check "$tmp/twice.json"

printf '{"accounts": {"*": {"apps": {"*": {"editors": ["a"],\n' \
    > "$tmp/badhook.json"
printf '  "webhooks": {"*": {"editors": ["a"]}}}}}}}\n' >> "$tmp/badhook.json"
t "check bad webhook id" 1 "" \
    "^$tmp/badhook.json:2:16: bad webhook id \"\*\" \(want a lowercase "\
"UUID\)" -- "$cli" check "$tmp/badhook.json"

# url patterns: a trailing slash names the paths below it only

t "eval url below a trailing-slash pattern" 0 '"decision":"allow"' "" -- \
    "$cli" eval "$res" --caller ed --path "$path" \
    --body "$(body '{"url":"https://hooks.example.com/rtk/"}' slash.json)"
t "eval url without the pattern's trailing slash" 2 \
    '"code":40305,"reason":"url \\"https://hooks.example.com/rtk\\" not in '\
'allowlist' "" -- "$cli" eval "$res" --caller ed --path "$path" \
    --body "$(body '{"url":"https://hooks.example.com/rtk"}' noslash.json)"
t "eval url, pattern without trailing slash" 0 '"decision":"allow"' "" -- \
    "$cli" eval "$example" --caller alice --path "$path" \
    --body "$(body '{"url":"https://hooks.example.com/rtk"}' bare.json)"

# eval: errors before the policy, reported the same way

t "eval route query" 2 \
    '"decision":"deny","operation":"","status":400,"code":40013,'\
'.*"rule":""' "" -- \
    "$cli" eval "$example" --caller alice --path "$path?x=1" --body "$demo"

t "eval route not found" 2 '"status":404,"code":40401' "" -- \
    "$cli" eval "$example" --caller alice --path /client/v4/zones \
    --body "$demo"

t "eval bad account id" 2 '"status":404,"code":40402' "" -- \
    "$cli" eval "$example" --caller alice --body "$demo" \
    --path "/accounts/ABC/realtime/kit/$app/webhooks/$hook"

t "eval method" 2 '"status":405,"code":40501' "" -- \
    "$cli" eval "$example" --caller alice --path "$path" --body "$demo" \
    --method POST

t "eval empty caller" 2 '"status":401,"code":40101' "" -- \
    "$cli" eval "$example" --caller '' --path "$path" --body "$demo"

unknown=$(body '{"name":"x","secret":1}' unknown.json)
t "eval body unknown field" 2 '"status":400,"code":40003' "" -- \
    "$cli" eval "$example" --caller alice --path "$path" --body "$unknown"

syntax=$(body '{"name":' syntax.json)
t "eval body syntax" 2 '"status":400,"code":40001' "" -- \
    "$cli" eval "$example" --caller alice --path "$path" --body "$syntax"

badurl=$(body '{"url":"ftp://x.example/"}' badurl.json)
t "eval body bad url" 2 '"status":400,"code":40007' "" -- \
    "$cli" eval "$example" --caller alice --path "$path" --body "$badurl"

# eval: the gateway's checks, in its order, with its messages

t "eval method message" 2 \
    '^\{"decision":"deny","operation":"","status":405,"code":40501,'\
'"reason":"method POST is not allowed, use GET, PUT, PATCH or DELETE",'\
'"rule":""\}$' "" -- \
    "$cli" eval "$example" --caller alice --path "$path" --body "$demo" \
    --method POST

t "eval method message, collection" 2 \
    '"status":405,"code":40501,"reason":"method PATCH is not allowed, use '\
'GET or POST"' "" -- \
    "$cli" eval "$example" --caller alice --path "$coll" --body "$demo"

t "eval method echo cut at 16 bytes" 2 \
    '"reason":"method ABCDEFGHIJKLMNOP is not allowed, use GET, PUT, PATCH '\
'or DELETE"' "" -- \
    "$cli" eval "$example" --caller alice --path "$path" --body "$demo" \
    --method ABCDEFGHIJKLMNOPQRSTUVWXYZ

t "eval lowercase patch" 2 '"status":405,"code":40501' "" -- \
    "$cli" eval "$example" --caller alice --path "$path" --body "$demo" \
    --method patch

t "eval identity message" 2 \
    '"status":401,"code":40101,"reason":"caller identity is missing"' "" -- \
    "$cli" eval "$example" --caller '' --path "$path" --body "$demo"

long=$(printf 'x%.0s' $(seq 1 1025))
t "eval identity too long" 2 \
    '"status":401,"code":40101,"reason":"caller identity is too long"' "" -- \
    "$cli" eval "$example" --caller "$long" --path "$path" --body "$demo"

t "eval identity of 1024 bytes" 2 '"status":403,"code":40302' "" -- \
    "$cli" eval "$example" --caller "${long:1}" --path "$path" --body "$demo"

t "eval content type text/plain" 2 \
    '"status":415,"code":41501,"reason":"Content-Type must be '\
'application/json"' "" -- \
    "$cli" eval "$example" --caller alice --path "$path" --body "$demo" \
    --content-type text/plain

t "eval content type absent" 2 '"status":415,"code":41501' "" -- \
    "$cli" eval "$example" --caller alice --path "$path" --body "$demo" \
    --no-content-type

t "eval content type twice" 2 '"status":415,"code":41501' "" -- \
    "$cli" eval "$example" --caller alice --path "$path" --body "$demo" \
    --content-type application/json --content-type application/json

t "eval content type empty" 2 '"status":415,"code":41501' "" -- \
    "$cli" eval "$example" --caller alice --path "$path" --body "$demo" \
    --content-type ''

t "eval content type charset" 0 '"decision":"allow"' "" -- \
    "$cli" eval "$example" --caller alice --path "$path" --body "$demo" \
    --content-type 'APPLICATION/JSON ; Charset="UTF-8"'

t "eval content type bad charset" 2 '"status":415,"code":41501' "" -- \
    "$cli" eval "$example" --caller alice --path "$path" --body "$demo" \
    --content-type 'application/json; charset=utf8'

t "eval body too large" 2 \
    '"status":413,"code":41301,"reason":"body is larger than 10 bytes"' "" \
    -- "$cli" eval "$example" --caller alice --path "$path" --body "$demo" \
    --body-max-size 10

t "eval body at the size limit" 0 '"decision":"allow"' "" -- \
    "$cli" eval "$example" --caller alice --path "$path" --body "$enable" \
    --body-max-size 16

vt=$(body "$(printf '{\v"name":"x"\f}')" vt.json)
t "eval body with VT" 2 \
    '"status":400,"code":40001,"reason":"invalid JSON: vertical tab outside '\
'a string at offset 1"' "" -- \
    "$cli" eval "$example" --caller alice --path "$path" --body "$vt"

t "eval order: route before method" 2 '"status":404,"code":40401' "" -- \
    "$cli" eval "$example" --caller '' --path /client/v4/zones \
    --body "$syntax" --method GET --no-content-type --body-max-size 1

t "eval order: method before identity" 2 '"status":405' "" -- \
    "$cli" eval "$example" --caller '' --path "$path" --body "$syntax" \
    --method POST --no-content-type --body-max-size 1

t "eval order: identity before content type" 2 '"status":401' "" -- \
    "$cli" eval "$example" --caller '' --path "$path" --body "$syntax" \
    --no-content-type --body-max-size 1

t "eval order: content type before size" 2 '"status":415' "" -- \
    "$cli" eval "$example" --caller alice --path "$path" --body "$syntax" \
    --no-content-type --body-max-size 1

t "eval order: size before body" 2 '"status":413' "" -- \
    "$cli" eval "$example" --caller alice --path "$path" --body "$syntax" \
    --body-max-size 1

# eval: usage and load errors

t "eval both content type options" 1 "" "exclude each other" -- \
    "$cli" eval "$example" --caller alice --path "$path" --body "$demo" \
    --no-content-type --content-type application/json
t "eval bad --body-max-size" 1 "" "needs a number of bytes" -- \
    "$cli" eval "$example" --caller alice --path "$path" --body "$demo" \
    --body-max-size 10k

t "eval missing --path" 1 "" "needs --caller and --path" -- \
    "$cli" eval "$example" --caller alice --body "$demo"
t "eval missing --caller" 1 "" "needs --caller and --path" -- \
    "$cli" eval "$example" --path "$path" --body "$demo"
t "eval edit without --body" 1 "" "^rtk-policy: edit \(PATCH\) needs --body" \
    -- "$cli" eval "$example" --caller alice --path "$path"
t "eval create without --body" 1 "" "create \(POST\) needs --body" -- \
    "$cli" eval "$example" --caller alice --path "$coll" --method POST
t "eval replace without --body" 1 "" "replace \(PUT\) needs --body" -- \
    "$cli" eval "$example" --caller alice --path "$path" --method PUT
t "eval no --body, refused before the operation" 2 '"status":404' "" -- \
    "$cli" eval "$example" --caller alice --path /client/v4/zones
t "eval option without value" 1 "" "--caller needs a value" -- \
    "$cli" eval "$example" --path "$path" --body "$demo" --caller
t "eval unknown option" 1 "" "unknown option --verbose" -- \
    "$cli" eval "$example" --caller alice --path "$path" --body "$demo" \
    --verbose x
t "eval bad policy" 1 "" "^$tmp/bad.json:3:3: unknown key" -- \
    "$cli" eval "$tmp/bad.json" --caller alice --path "$path" --body "$demo"
t "eval missing body file" 1 "" "none.json" -- \
    "$cli" eval "$example" --caller alice --path "$path" \
    --body "$tmp/none.json"

echo "rtk-policy: $passed passed, $failed failed"

[ "$failed" -eq 0 ]
