#!/usr/bin/env bash
# The README's first command, tried as a new user would: `make run` in this
# checkout from a shell with no variables set (env -i), in the background,
# bounded in time. Waits for the URLs it prints, fetches the demo host page
# (the snippet loading /chat/index.js from the other site), the loader and
# /readyz, then stops it. On the default ports when they are free, so the
# command is exactly the README's; otherwise on free ports through the
# documented ADDR / DEMO_HOST variables.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "make-run: FAIL: $*" >&2; [ -f "$log" ] && sed 's/^/  | /' "$log" >&2; exit 1; }
free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# A make variable read as a shell variable ($$VAR) works only when given on
# make's command line or in the environment: the failure a fresh shell meets.
for v in $(grep -oE '^[A-Z_]+ *[?:]?=' Makefile | grep -oE '^[A-Z_]+'); do
  if grep -qE "\\$\\$\\{?$v([^A-Z_]|\\}|$)" Makefile; then
    echo "make-run: FAIL: Makefile reads make variable $v as a shell variable (\$\$$v); use \$($v)" >&2
    exit 1
  fi
done

args=()
addr=127.0.0.1:8080 demo=127.0.0.1:8081
if ! free 8080 || ! free 8081; then
  p=18080
  while ! free $p || ! free $((p + 1)); do p=$((p + 2)); done
  addr=127.0.0.1:$p demo=127.0.0.1:$((p + 1))
  args=(ADDR=$addr DEMO_HOST=$demo)
fi
data=$(mktemp -d)
log=$data/make-run.log
# A database of its own, so a developer's ./data is left alone (DB is one of
# the documented variables); CI's fresh clone has no ./data anyway.
[ -n "${CI:-}" ] || args+=(DB=sqlite://$data/halochat.db)

echo "make-run: env -i make run ${args[*]}"
setsid env -i PATH="$PATH" HOME="$HOME" make run "${args[@]}" >"$log" 2>&1 &
pid=$!
trap 'kill -TERM -- -$pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$data"' EXIT

host=""
for _ in $(seq 1 600); do
  kill -0 $pid 2>/dev/null || fail "make run exited early"
  host=$(grep -oE 'demo host page \(another site\): http://localhost:[0-9]+/' "$log" | grep -oE 'http://[^ ]+' || true)
  [ -n "$host" ] && break
  sleep 0.5
done
[ -n "$host" ] || fail "no demo host page URL printed within 300 s"
grep -q "agent console and admin pages: http://$addr/console/" "$log" || fail "no console URL printed"

ready=""
for _ in $(seq 1 60); do
  kill -0 $pid 2>/dev/null || fail "the service exited"
  if ready=$(curl -fsS "http://$addr/readyz" 2>/dev/null); then break; fi
  sleep 0.5
done
echo "$ready" | grep -q '"ready"' || fail "/readyz did not answer ready: $ready"

page=$(curl -fsS "$host") || fail "GET $host"
echo "$page" | grep -q 'haloChatConfig' || fail "the demo host page holds no haloChatConfig"
loader=$(echo "$page" | grep -oE 'src="http://127\.0\.0\.1:[0-9]+/chat/index\.js"' | head -n1 | cut -d'"' -f2)
[ -n "$loader" ] || fail "the demo host page loads no /chat/index.js from the service's site (127.0.0.1)"
curl -fsS -o /dev/null -w '%{content_type}\n' "$loader" | grep -q javascript || fail "GET $loader is not JavaScript"
echo "make-run: ok: $host (loader $loader), http://$addr/readyz ready"
