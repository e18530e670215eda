#!/usr/bin/env bash
# Writes docs/BENCHMARKS.md from measurements taken now, on this machine:
# the flow engine's benchmarks (native and js/wasm under Node) and the
# widget wasm's size raw / gzip / brotli. Run through `make bench`.
set -euo pipefail
cd "$(dirname "$0")/.."
out=docs/BENCHMARKS.md
# The machine's load when the run began: figures taken beside other work
# are not this code's alone.
load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)
benchtime=${BENCHTIME:-1s}
wasmdir="$(go env GOROOT)/lib/wasm"
# Five rounds, each a native run and then a js/wasm run under Node of
# every benchmark: the tables take the median of each. The machine's speed
# drifts within minutes here (one condition step natively 148 to 269 ns
# on the same host within a day), so the wasm is judged round by round,
# against the native run just before it, on the median of those ratios
# (with the five native runs first and the five wasm ones after, a drift
# between the two blocks moved the ratio from 3.8 to 5.4 ×).
flowbin=$(mktemp -d)
go test -c -o "$flowbin/native.test" ./app/flow/
GOOS=js GOARCH=wasm go test -c -o "$flowbin/wasm.test" ./app/flow/
native="" wasm="" cond_ratios=""
step_ns() { awk '$1 ~ /^BenchmarkConditionStep(-[0-9]+)?$/ {print $3}'; }
for round in 1 2 3 4 5; do
  keep='^Benchmark'
  if [ "$round" = 1 ]; then keep='^(Benchmark|cpu:|goos|goarch)'; fi
  n=$(cd app/flow && "$flowbin/native.test" -test.run '^$' -test.bench . -test.benchmem -test.benchtime "$benchtime" | grep -E "$keep")
  w=$(cd app/flow && "$wasmdir/go_js_wasm_exec" "$flowbin/wasm.test" -test.run '^$' -test.bench . -test.benchmem -test.benchtime "$benchtime" | grep -E "$keep" | grep -v '^cpu:')
  native+="$n"$'\n' wasm+="$w"$'\n'
  cond_ratios+="$(awk -v a="$(echo "$w" | step_ns)" -v b="$(echo "$n" | step_ns)" 'BEGIN{printf "%.2f", a/b}')"$'\n'
done
rm -rf "$flowbin"
native=${native%$'\n'} wasm=${wasm%$'\n'}
w=static/dist/widget.wasm
size() { if [ -f "$1" ]; then stat -c %s "$1"; else echo "n/a"; fi; }
br() { brotli -f -q 11 -o "$1.br" "$1"; size "$1.br"; }
# The yardstick: a bare client-only go-app v10 app (testdata/bareapp),
# built and compressed the same way as the widget (make build: go build,
# then wasm-opt with the Makefile's flags where it is installed), now;
# and each build step's effect on both, the widget built again without
# the later steps.
bare=$(mktemp -d)
GOOS=js GOARCH=wasm go build -trimpath -ldflags='-s -w' -o "$bare/bare.go.wasm" ./testdata/bareapp
GOOS=js GOARCH=wasm go build -trimpath -ldflags='-s -w' -o "$bare/widget.go.wasm" ./wasm/widget
bare_go_br=$(br "$bare/bare.go.wasm")
widget_go_br=$(br "$bare/widget.go.wasm")
cp "$bare/bare.go.wasm" "$bare/bare.wasm"
wasm_opt="not installed: the build skips it"
if command -v wasm-opt >/dev/null && [ -n "${WASM_OPT_FLAGS:-}" ]; then
  # shellcheck disable=SC2086
  wasm-opt $WASM_OPT_FLAGS "$bare/bare.go.wasm" -o "$bare/bare.wasm"
  wasm_opt="$(wasm-opt --version) $WASM_OPT_FLAGS"
fi
bare_br=$(br "$bare/bare.wasm")
widget_br=$(size "$w.br")
# The loader as the service sends it: make build minifies static/index.js
# (backend/cmd/minjs) and precompresses the result; the server serves
# these bytes (backend/precompressed checks that they decompress to it).
loader_gz=$(size static/dist/index.js.gz)
over_kb=$(awk -v a="$widget_br" -v b="$bare_br" 'BEGIN{printf "%.1f", (a-b)/1000}')
kb() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%+.1f KB", (b-a)/1000}'; }
# What the widget adds above the bare app, package by package: both built
# again with their function names (without -s) for backend/cmd/wasmsize.
GOOS=js GOARCH=wasm go build -trimpath -o "$bare/bare.names.wasm" ./testdata/bareapp
GOOS=js GOARCH=wasm go build -trimpath -o "$bare/widget.names.wasm" ./wasm/widget
by_package=$(go run ./backend/cmd/wasmsize -top 20 "$bare/widget.names.wasm" "$bare/bare.names.wasm")
# Seven runs of each (five until 2026-12-06): the verdicts are on medians,
# and one click in five landing on a slow moment of this shared machine
# moved a median by a tenth.
browser=$(go run ./backend/cmd/widgetbench -runs "${WIDGET_RUNS:-7}" -bare "$bare/bare.wasm")
rm -rf "$bare"
idle=$(GODEBUG=adaptivestackstart=0 go test -count=1 -run TestIdleSocketMemory -v ./backend/chatapi/ | grep -o 'idle visitor websocket: .*')
# The tests below measure on each database: SQLite, and PostgreSQL on
# the server HALOCHAT_TEST_POSTGRES names, else the bench's own (each
# test makes a database of its own there and drops it).
testpg=${HALOCHAT_TEST_POSTGRES:-${HALOCHAT_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}/postgres?sslmode=disable}
# Ten 10 MiB uploads at once over loopback (the test logs one line a
# database).
uploads=$(HALOCHAT_TEST_POSTGRES=$testpg HALOCHAT_UPLOAD_MIB=10 go test -count=1 -run '^TestConcurrentUploadsStream$' -v ./backend/chatapi/ | grep -o '[a-z]*: 10 uploads of 10 MiB at once: .*')
# A person's data and retention (backend/privacy): the erasure of a user
# with 1,000 chats, and the message commit latency while the retention
# job deletes 100,000 old chats, on each database (one line each).
erase=$(HALOCHAT_TEST_POSTGRES=$testpg HALOCHAT_ERASE_CHATS=1000 go test -count=1 -run '^TestEraseTimeOfAUserWithManyChats$' -v ./backend/privacy/ | grep -o '[a-z]*: erase a user with .*')
retention=$(HALOCHAT_TEST_POSTGRES=$testpg HALOCHAT_RETENTION_CHATS=100000 go test -count=1 -timeout 30m -run '^TestRetentionBesideMessages$' -v ./backend/privacy/ | grep -o '[a-z]*: retention deleted .*')
# SQLite's durability setting priced: 8 senders appending messages, each
# its own commit, with synchronous FULL (the default) and NORMAL.
sqlite_sync=$(go test -run '^$' -bench SQLiteMessageCommit -benchtime 2000x -count 3 ./backend/store/ | grep -E '^Benchmark')
# The chat report (GET /api/Report/chats) over a month of 100,000 chats
# on each database: three runs of each grouping after the seeding.
reports=$(HALOCHAT_TEST_POSTGRES=$testpg HALOCHAT_REPORT_CHATS=100000 go test -run '^$' -bench '^BenchmarkChatReport$' -benchtime 3x -timeout 30m ./backend/store/ | grep -E '^BenchmarkChatReport')
report_ms() { echo "$reports" | awk -v n="$1" '$1 ~ n {printf "%.0f", $3 / 1e6; exit}'; }
# The load runs twice, so that a verdict is never one lucky run: the
# second (LOAD_SECOND) repeats the measurements that have targets.
summary=$(mktemp) summary2=$(mktemp)
load=$(LOAD_SUMMARY=$summary bash .ci/loadbench.sh)
LOAD_SUMMARY=$summary2 LOAD_SECOND=1 bash .ci/loadbench.sh > /dev/null
# shellcheck disable=SC1090
. "$summary"
# shellcheck disable=SC1090
. <(sed 's/^/r2_/' "$summary2")
rm -f "$summary" "$summary2"
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
cond_ns=$(echo "$native" | step_ns | median)
cond_wasm=$(echo "$wasm" | step_ns | median)
cond_ratio=$(echo "$cond_ratios" | grep . | median)
cond_ratio_max=$(echo "$cond_ratios" | grep . | sort -n | tail -1)
idle_kib=$(echo "$idle" | grep -o '([0-9.]* KiB)' | head -1 | tr -d '()' | cut -d' ' -f1)
verdict() { # value op target → met / not met
  if awk -v v="$1" -v t="$3" "BEGIN { exit !(v $2 t) }"; then echo "met"; else echo "**not met**"; fi
}
# judge is verdict for a figure a run may fail to produce: empty or zero
# is "no data" (a run that reached no messages is not a result).
judge() { # value op target
  if [ -z "$1" ] || awk -v v="$1" 'BEGIN { exit !(v == 0) }'; then echo "no data"; else verdict "$@" | tr -d '*'; fi
}
# twice judges a figure of both load runs: "met in both runs", or which
# run missed.
twice() { # value1 value2 op target1 target2
  local r1 r2
  r1=$(judge "$1" "$3" "$4"); r2=$(judge "$2" "$3" "$5")
  if [ "$r1" = met ] && [ "$r2" = met ]; then echo "met in both runs"; else echo "**not met**: run 1 $r1, run 2 $r2"; fi
}
mkdir -p docs
{
  echo "# Benchmarks"
  echo
  echo "Written by \`make bench\` (.ci/bench.sh) on $(date -u +%Y-%m-%dT%H:%MZ),"
  echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(go version | cut -d' ' -f3), node $(node --version)."
  echo "Figures from a shared 2-core machine vary by ±10–20% between runs. Load average when make bench began: $load_at_start (1, 5, 15 min)."
  echo
  echo "## Where each target stands"
  echo
  echo "| target | measured now | verdict |"
  echo "| --- | --- | --- |"
  echo "| one condition step < 1 µs natively (median of 5 runs) | ${cond_ns} ns | $(verdict "$cond_ns" '<' 1000) |"
  echo "| wasm within 5× of native (5 rounds: each wasm run over the native run just before it, median / max) | ${cond_wasm} ns: ${cond_ratio} / ${cond_ratio_max} × | $(verdict "$cond_ratio" '<=' 5) |"
  echo "| widget wasm ≤ 150 KB brotli above a bare go-app v10 app built the same way | $widget_br B vs $bare_br B: $over_kb KB above | $(verdict "$over_kb" '<=' 150) |"
  echo "| loader ≤ 4 KB gzip, as served (static/dist/index.js.gz: minified by make build, gzip -9) | $loader_gz B | $(verdict "$loader_gz" '<=' 4096) |"
  echo "| widget click → interactive ≤ 250 ms warm, ≤ 800 ms cold; no host long task | see the browser table below | see below |"
  # The node needs a descriptor a chat and its own: where the hard
  # open-file limit leaves no room for 20,000 chats, say so.
  hard=$(ulimit -Hn)
  idle_verdict=$(twice "$idle_open" "$r2_idle_open" '>=' 20000 20000)
  if [ "$idle_verdict" != "met in both runs" ] && [ "$hard" != unlimited ] && [ $(( 20000 + idle_fds0 )) -gt "$hard" ] \
    && [ "$idle_open" = "$idle_n" ] && [ "$r2_idle_open" = "$idle_n" ]; then
    idle_verdict="**not met here**: 20,000 chats need $(( 20000 + idle_fds0 )) descriptors in the node (one a chat, $idle_fds0 of its own) and this machine's hard limit is $hard a process; every one of the $idle_n opened stayed open in both runs"
  fi
  echo "| 20,000 open idle chats on one node | runs 1 / 2: $idle_open / $r2_idle_open open of $idle_n (the open-file limit here) | $idle_verdict |"
  drop_verdict="none in either run"
  if [ "${idle_dropped:-x}" != 0 ] || [ "${r2_idle_dropped:-x}" != 0 ]; then drop_verdict="**not met**: runs 1 / 2 dropped ${idle_dropped:-?} / ${r2_idle_dropped:-?}"; fi
  echo "| no idle chat dropped by the server during the hold | runs 1 / 2: ${idle_dropped:-?} / ${r2_idle_dropped:-?} dropped (causes in the load section) | $drop_verdict |"
  # The steady state of an idle node: after a collection (the runtime
  # collects at least every two minutes), the highest RSS of a window of
  # two ping rounds; right after the sockets opened, their hellos'
  # garbage is still uncollected.
  echo "| RSS ≤ 16 KiB an idle open chat (steady state: the highest of a $idle_window_s s window after a collection, pings included; the node's default --idle-gogc 25 from 2,000 sockets) | runs 1 / 2: highest $idle_rss_max / $r2_idle_rss_max KiB, mean $idle_rss_mean / $r2_idle_rss_mean; with GOGC alone (100): highest $idle_rss_gogc100_max KiB; live heap and stacks $idle_kib KiB | $(twice "$idle_rss_max" "$r2_idle_rss_max" '<=' 16 16) |"
  echo "| messages persisted ≥ 0.7 × pgbench at the same client count (runs 1 / 2: $pgtps / $r2_pgtps tps at $pg_clients clients, the node's message connections) | $pg_persist / $r2_pg_persist per s ($(awk -v a="$pg_persist" -v b="$pgtps" 'BEGIN{printf "%.2f", a/b}') / $(awk -v a="$r2_pg_persist" -v b="$r2_pgtps" 'BEGIN{if (b > 0) printf "%.2f", a/b}') ×; $(awk -v a="$pg_persist" -v b="$pgtps16" 'BEGIN{printf "%.2f", a/b}') × pgbench at 16 clients, $pgtps16 tps) | $(twice "$pg_persist" "$r2_pg_persist" '>=' "$(awk -v b="$pgtps" 'BEGIN{print 0.7*b}')" "$(awk -v b="$r2_pgtps" 'BEGIN{print 0.7*b}')") |"
  half_verdict=$(twice "$half_p99" "$r2_half_p99" '<' 20 20)
  if [ "${half_persist:-0}" = 0 ] || [ "${r2_half_persist:-0}" = 0 ]; then half_verdict="**not met**: a run reached no messages (runs 1 / 2: ${half_persist:-0} / ${r2_half_persist:-0} persisted/s)"; fi
  echo "| delivery p99 < 20 ms at half the maximum throughput | runs 1 / 2: ${half_p99} / ${r2_half_p99} ms (${half_persist} / ${r2_half_persist} persisted/s; deliveries ${half_slow:-?} / ${r2_half_slow:-?}) | $half_verdict |"
  hook_verdict=$(judge "$hook_p99" '<' 1000)
  if [ "$hook_lost" != 0 ]; then hook_verdict="**not met**: $hook_lost lost"; fi
  echo "| webhook delivery at half the maximum keeps pace, p99 lag commit → delivery < 1 s, none lost (run 1) | ${hook_rate}/s, p99 ${hook_p99} ms, $hook_lost lost, the last ${hook_trail} ms after the load's last message | $hook_verdict |"
  echo "| chat starts ≥ 0.5 × pgbench's single-row INSERT rate at $pg_clients clients (3,000/s where pgbench does 6,000), against the mean of pgbench run just before and just after them | runs 1 / 2: $starts / $r2_starts per s against $pgtps_starts / $r2_pgtps_starts tps (before, after: $pgtps_before, $pgtps_after / $r2_pgtps_before, $r2_pgtps_after; $(awk -v a="$starts" -v b="$pgtps_starts" 'BEGIN{printf "%.2f", a/b}') / $(awk -v a="$r2_starts" -v b="$r2_pgtps_starts" 'BEGIN{if (b > 0) printf "%.2f", a/b}') × pgbench) | $(twice "$starts" "$r2_starts" '>=' "$(awk -v b="$pgtps_starts" 'BEGIN{print 0.5*b}')" "$(awk -v b="$r2_pgtps_starts" 'BEGIN{print 0.5*b}')") |"
  echo "| two nodes vs one (PostgreSQL) | $two_persist/s vs $pg_persist/s | reported |"
  echo "| messages persisted with GOGC=25 forced from the first socket (what the idle target would cost a busy node) | $gogc25_persist/s vs $pg_persist/s | reported |"
  echo "| SQLite, the same run | $sqlite_persist/s | reported |"
  echo "| chat report (by day) on 100,000 chats | PostgreSQL $(report_ms 'postgres/100000chats/day') ms, SQLite $(report_ms 'sqlite/100000chats/day') ms | reported |"
  echo
  echo "## Flow engine (app/flow)"
  echo
  echo "Target: one condition step under 1 µs natively; wasm within 5× of native. Five rounds, each a native run and then a"
  echo "js/wasm run under Node of every benchmark (below, round by round); the condition step's ratio in each round: $(echo "$cond_ratios" | grep . | paste -sd' ' | sed 's/ / × · /g') ×."
  echo
  echo "### linux/amd64"
  echo '```'
  echo "$native"
  echo '```'
  echo
  echo "### js/wasm (Node)"
  echo '```'
  echo "$wasm"
  echo '```'
  echo
  echo "## Widget wasm (static/dist, built by \`make build\`: -trimpath -ldflags='-s -w')"
  echo
  echo "| file | bytes |"
  echo "| --- | --- |"
  echo "| widget.wasm (raw) | $(size $w) |"
  echo "| widget.wasm.gz (gzip -9) | $(size $w.gz) |"
  echo "| widget.wasm.br (brotli -q 11) | $(size $w.br) |"
  echo "| a bare client-only go-app v10 app (testdata/bareapp), the same build, brotli -q 11 | $bare_br |"
  echo
  echo "What each build step moved (brotli -q 11 bytes; wasm-opt: $wasm_opt):"
  echo
  echo "| step | widget | bare go-app app | widget above the bare app |"
  echo "| --- | --- | --- | --- |"
  echo "| go build -trimpath -ldflags='-s -w' | $widget_go_br | $bare_go_br | $(awk -v a="$widget_go_br" -v b="$bare_go_br" 'BEGIN{printf "%.1f KB", (a-b)/1000}') |"
  echo "| then wasm-opt (make build) | $widget_br ($(kb "$widget_go_br" "$widget_br")) | $bare_br ($(kb "$bare_go_br" "$bare_br")) | $over_kb KB |"
  echo
  echo "wasm-opt levels tried on the widget (binaryen 108, brotli -q 11, 2026-12): none 1,555,561 B; -O1 1,544,722; -O2 1,544,153;"
  echo "-O2 --converge 1,544,958; -Os 1,555,243; -Oz 1,565,317 — -Oz's smaller code compresses worse. The Makefile keeps -O2."
  echo
  echo "The widget is $over_kb KB (brotli) above the bare app (target ≤ 150). What keeps it there: symbols and DWARF stripped"
  echo "(-s -w) and paths trimmed; wasm/widget imports only app/ packages, so no server code is linked; HTTP goes through the"
  echo "browser's fetch (app/webfetch: net/http's client would add ~1 MB brotli); the .wasm is served precompressed (.br, .gz)"
  echo "under a content-addressed URL with \`Cache-Control: public, max-age=31536000, immutable\` (backend/webapp), and the"
  echo "loader boots it on the visitor's intent (or when idle, with preload: \"idle\"). The widget's websocket is the browser's own through a few lines of syscall/js"
  echo "(app/widget/dial_js.go), and the widget names nothing of net/http: github.com/coder/websocket and the net/http it"
  echo "imports (its init, crypto/x509, encoding/asn1) had cost 59 KB brotli (1,562,032 → 1,503,190 B). The rest of the gap"
  echo "is the widget's own code, its protocol types and the client-side answer check (app/flow, ~5 KB)."
  echo
  echo "What the widget adds above the bare app, by package (\`go run ./backend/cmd/wasmsize\`: each function's code bytes from the"
  echo "code section, named by the name section of builds without -s, before wasm-opt; go tool nm does not read wasm):"
  echo
  echo "$by_package"
  echo
  echo "| file | bytes |"
  echo "| --- | --- |"
  echo "| index.js loader source, static/index.js (raw) | $(size static/index.js) |"
  echo "| index.js loader source (gzip -9; not served) | $(gzip -9 -c static/index.js | wc -c) |"
  echo "| index.js loader as served, minified (static/dist/index.js, backend/cmd/minjs) | $(size static/dist/index.js) |"
  echo "| index.js loader as served, gzip -9 | $loader_gz |"
  echo "| index.js loader as served, brotli -q 11 | $(size static/dist/index.js.br) |"
  echo
  echo "$browser"
  echo
  echo "## Attachments (backend/chatapi TestConcurrentUploadsStream)"
  echo
  echo "\`HALOCHAT_UPLOAD_MIB=10 go test -run TestConcurrentUploadsStream ./backend/chatapi/\`: ten visitors each upload a 10 MiB"
  echo "text file at once over loopback (the default size limit), one database after the other; the clients stream their bodies"
  echo "through pipes, so the process's memory is the server's. Peak heap in use and RSS are sampled every 10 ms; \"+\" is above"
  echo "the figure before the uploads. An upload goes to a temporary file (a 64 KiB sniffing buffer and io.Copy's), then one"
  echo "transaction writes it in 256 KiB attachment_chunks rows, so the heap does not grow with the file."
  echo
  echo "$uploads" | sed 's/^/- /'
  echo
  echo "## A person's data and retention (backend/privacy)"
  echo
  echo "\`HALOCHAT_ERASE_CHATS=1000 go test -run TestEraseTimeOfAUserWithManyChats ./backend/privacy/\`: POST /api/User/{id}/erase's"
  echo "work (one transaction) for a user with 1,000 ended chats, each with two visitor and two agent messages and a custom-field"
  echo "value, every tenth with a ticket:"
  echo
  echo "$erase" | sed 's/^/- /'
  echo
  echo "\`HALOCHAT_RETENTION_CHATS=100000 go test -run TestRetentionBesideMessages ./backend/privacy/\`: 16 writers append messages to"
  echo "16 open chats (store.AppendMessage: the commit an acknowledgement waits for) for 3 s alone, then while the retention job"
  echo "deletes 100,000 chats that ended 40 days ago on a 30-day profile (each with four messages, a tenth with a ticket), at most 500"
  echo "chats a transaction (on SQLite fewer while a transaction takes over 50 ms, resting after each as long as it took):"
  echo
  echo "$retention" | sed 's/^/- /'
  echo
  echo "## SQLite: the price of synchronous FULL (backend/store BenchmarkSQLiteMessageCommit)"
  echo
  echo "Messages committed one transaction each by 8 senders on a SQLite file (WAL), three runs each, median: FULL (the default,"
  echo "the log synced at every commit: an acknowledged message survives a power loss) $(echo "$sqlite_sync" | awk '$1 ~ /sync=full/ {print $5}' | median) msgs/s;"
  echo "NORMAL (\`--sqlite-sync normal\`: synced at checkpoints) $(echo "$sqlite_sync" | awk '$1 ~ /sync=normal/ {print $5}' | median) msgs/s."
  echo
  echo '```'
  echo "$sqlite_sync"
  echo '```'
  echo
  echo "## Chat report (backend/store BenchmarkChatReport)"
  echo
  echo "GET /api/Report/chats' query over a month of 100,000 chats (60 % answered, a third of those rated; 20 % missed;"
  echo "20 % bot-only; a visitor and an agent message each), by day, agent and profile; ns/op is one whole report."
  echo
  echo '```'
  echo "$reports"
  echo '```'
  echo
  echo "## Open chats (backend/chatapi TestIdleSocketMemory)"
  echo
  echo "Memory of one idle open chat on the server (1000 websockets after hello, each its own chat; heap and stacks): $idle. Target: ≤ 16 KiB. The RSS figures of up to 20,000 chats are in the load section below."
  echo
  echo "$load"
} > "$out"
echo "wrote $out"
cat "$out"
