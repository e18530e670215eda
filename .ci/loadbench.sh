#!/usr/bin/env bash
# Prints a Markdown section of load figures measured now: backend/cmd/loadgen
# against `bin/halochat serve` on PostgreSQL and on SQLite, beside pgbench's
# rate for a single-row INSERT transaction at the same client count (the
# database's own commit limit for durable messages). Loopback only; every
# process it starts it stops. Needs bin/halochat (make build) and a
# PostgreSQL server (HALOCHAT_BENCH_POSTGRES, default the local one).
set -euo pipefail
cd "$(dirname "$0")/.."
pgbase=${HALOCHAT_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}
# The standard runs offer more than a node can take (200 chats × 20/s from
# visitors, as many replies from agents: 8,000 messages/s), so they
# measure the maximum; latency is measured at half of it, separately.
chats=${LOAD_CHATS:-200} messages=${LOAD_MESSAGES:-100} rate=${LOAD_RATE:-20} agents=${LOAD_AGENTS:-40}
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  psql "$pgbase/postgres" -qc "DROP DATABASE IF EXISTS halochat_loadbench WITH (FORCE)" >/dev/null 2>&1 || true
  psql "$pgbase/postgres" -qc "DROP DATABASE IF EXISTS halochat_loadbench_hook WITH (FORCE)" >/dev/null 2>&1 || true
  psql "$pgbase/postgres" -qc "DROP DATABASE IF EXISTS halochat_loadbench_two WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

start_node() { # DSN PORT → pid on stdout
  # shellcheck disable=SC2086
  bin/halochat serve --addr "127.0.0.1:$2" --db "$1" --limits benchmark ${SERVE_ARGS:-} > "$work/serve-$2.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$2/readyz" >/dev/null && break; sleep 0.1; done
  echo "$pid"
}

# settle DSN: on PostgreSQL, each run starts after a fresh checkpoint, so
# that none falls due during a run (of under 5 minutes). (An ANALYZE of
# these small tables once made the prepared statements' cached plans scan
# whole tables as the run grew them, ~570 starts/s; that pool now plans
# with sequential scans off, docs/SCALING.md.)
settle() {
  case $1 in postgres*) psql "$1" -q -c "CHECKPOINT" >/dev/null ;; esac
}

serve_and_load() { # DSN PORT → JSON report on stdout
  local dsn=$1 port=$2
  bin/halochat demo --db "$dsn" --json > "$work/demo-$port.json" 2>/dev/null
  settle "$dsn"
  local pid
  pid=$(start_node "$dsn" "$port")
  pids+=("$pid")
  "$work/loadgen" -url "http://127.0.0.1:$port" -demo "$work/demo-$port.json" \
    -chats "$chats" -messages "$messages" -rate "$rate" -agents "$agents" -pid "$pid" -timeout 3m ${LOADGEN_ARGS:-}
  kill "$pid"
  wait "$pid" 2>/dev/null || true
}

field() { grep -o "\"$1\": [0-9.]*" "$2" | head -1 | awk '{printf "%.0f", $2}'; }
# slow FILE: the run's deliveries over 20 ms and how they cluster in time
# (a stall puts most in a few windows).
slow() {
  echo "$(field SlowDeliveries "$1") over 20 ms in $(field SlowWindows "$1") windows of 100 ms, at most $(field SlowInOneSecond "$1") in a second"
}
field1() { grep -o "\"$1\": [0-9.]*" "$2" | head -1 | awk '{printf "%.1f", $2}'; }

go build -o "$work/loadgen" ./backend/cmd/loadgen
psql "$pgbase/postgres" -qc "DROP DATABASE IF EXISTS halochat_loadbench WITH (FORCE)" >/dev/null
psql "$pgbase/postgres" -qc "CREATE DATABASE halochat_loadbench" >/dev/null
# pgbench's table and statement, in the same database: pgbench_tps is
# the rate of single-row INSERT transactions at $1 clients for 10 s.
psql "$pgbase/halochat_loadbench" -qc "CREATE TABLE pgb (id bigserial primary key, chat text, body text)" >/dev/null
echo "INSERT INTO pgb (chat, body) VALUES ('c', 'a message of a typical length, about sixty bytes long.');" > "$work/insert.sql"
pg_clients=${LOAD_PG_CLIENTS:-4}
pgbench_tps() { pgbench -n -c "$1" -j 2 -T 10 -f "$work/insert.sql" "$pgbase/halochat_loadbench" 2>/dev/null | grep -o 'tps = [0-9.]*' | head -1 | awk '{printf "%.0f", $3}'; }
pgdsn="$pgbase/halochat_loadbench?sslmode=disable"
serve_and_load "$pgdsn" 18301 > "$work/pg.json"
# SQLite takes about a quarter of that: it is offered 2,000/s (5 a second
# a visitor, 40 each), still more than it takes, without an 8× overload
# whose seconds of queueing only time consoles out.
sqlite_rate=${LOAD_SQLITE_RATE:-5} sqlite_messages=${LOAD_SQLITE_MESSAGES:-40}
# LOAD_SECOND=1 (make bench's second run, which only checks that the
# verdicts hold) runs the measurements that have targets and skips the
# comparisons: SQLite, unbatched, the lower GC target, the webhook, two
# nodes, idle chats with GOGC alone.
second=${LOAD_SECOND:-}
skip() { echo '{}' > "$work/$1.json"; }
if [ -z "$second" ]; then
  rate=$sqlite_rate messages=$sqlite_messages serve_and_load "sqlite://$work/load.db" 18302 > "$work/sqlite.json"
  # The same run with every message its own commit (no group commit): what
  # batching buys, measured side by side.
  SERVE_ARGS="--append-batches -1" serve_and_load "$pgdsn" 18309 > "$work/unbatched.json"
  # The same run with the collector's target a node takes while it holds
  # many sockets (serve --idle-gogc 25 from --idle-gogc-sockets, here
  # forced from the first socket): what that target costs messages.
  SERVE_ARGS="--idle-gogc 25 --idle-gogc-sockets 1" serve_and_load "$pgdsn" 18311 > "$work/gogc25.json"
else
  skip sqlite; skip unbatched; skip gogc25
fi

# Latency at half the throughput just measured (PostgreSQL, one node).
half_rate=$(grep -o '"PersistedPerSecond": [0-9.]*' "$work/pg.json" | awk -v c="$chats" '{r = $2 / 2 / (2 * c); if (r < 0.1) r = 0.1; printf "%.2f", r}')
rate=$half_rate serve_and_load "$pgdsn" 18305 > "$work/half.json"
# The same half load with a webhook for chat.message to loadgen's receiver
# on loopback (it verifies every delivery with the Standard Webhooks
# library): deliveries a second, the lag from commit to arrival, none lost.
# A database of its own, as the load had it at the start: the chats the
# runs before left open are not in its way.
if [ -z "$second" ]; then
  psql "$pgbase/postgres" -qc "DROP DATABASE IF EXISTS halochat_loadbench_hook WITH (FORCE)" >/dev/null
  psql "$pgbase/postgres" -qc "CREATE DATABASE halochat_loadbench_hook" >/dev/null
  rate=$half_rate SERVE_ARGS="--outbound-allow 127.0.0.1" LOADGEN_ARGS="-webhook" \
    serve_and_load "$pgbase/halochat_loadbench_hook?sslmode=disable" 18310 > "$work/hook.json"
  psql "$pgbase/postgres" -qc "DROP DATABASE IF EXISTS halochat_loadbench_hook WITH (FORCE)" >/dev/null
else
  skip hook
fi

# Chat starts alone: the HTTP start (token, claims, insert, first flow
# step), no websocket, no agents. 3,000 starts a second that take ~30 ms
# each are ~100 in flight at once (Little's law): the run keeps 100 in
# flight, for about five seconds. pgbench runs just before and just
# after it, and the starts are judged against the mean of the two: this
# machine's speed drifts by a fifth from one minute to the next (its cores
# are shared), and a host that slows or speeds up in those seconds then
# moves both sides of the ratio.
start_chats=${LOAD_START_CHATS:-15000} start_parallel=${LOAD_START_PARALLEL:-100}
pgtps_before=$(pgbench_tps "$pg_clients")
chats=$start_chats messages=0 agents=0 LOADGEN_ARGS="-starts-only -parallel $start_parallel" serve_and_load "$pgdsn" 18306 > "$work/starts.json"
pgtps_after=$(pgbench_tps "$pg_clients")
pgtps_starts=$(( (pgtps_before + pgtps_after) / 2 ))

# Two nodes on one PostgreSQL: visitors on one, agents on the other. A
# database of its own, as the one-node run had it: the chats the runs
# before left open are requeued once their agents are gone, and a queue of
# hundreds of old chats sent to every console is not what this compares.
if [ -z "$second" ]; then
  psql "$pgbase/postgres" -qc "DROP DATABASE IF EXISTS halochat_loadbench_two WITH (FORCE)" >/dev/null
  psql "$pgbase/postgres" -qc "CREATE DATABASE halochat_loadbench_two" >/dev/null
  twodsn="$pgbase/halochat_loadbench_two?sslmode=disable"
  bin/halochat demo --db "$twodsn" --json > "$work/demo-two.json" 2>/dev/null
  settle "$twodsn"
  a=$(start_node "$twodsn" 18303); pids+=("$a")
  b=$(start_node "$twodsn" 18304); pids+=("$b")
  "$work/loadgen" -url http://127.0.0.1:18303 -agent-url http://127.0.0.1:18304 -demo "$work/demo-two.json" \
    -chats "$chats" -messages "$messages" -rate "$rate" -agents "$agents" -pid "$a" -timeout 3m > "$work/two.json"
  kill "$a" "$b"; wait "$a" "$b" 2>/dev/null || true
  psql "$pgbase/postgres" -qc "DROP DATABASE IF EXISTS halochat_loadbench_two WITH (FORCE)" >/dev/null
else
  skip two
fi

# Idle open chats on one node: as many as this machine's open-file limit
# allows each process (the node holds one descriptor per chat), up to
# LOAD_IDLE (20,000).
idle_want=${LOAD_IDLE:-20000}
idle_cap=$(( $(ulimit -Hn) - 200 ))
idle_n=$(( idle_want < idle_cap ? idle_want : idle_cap ))
bin/halochat demo --db "$pgdsn" --json > "$work/demo-18307.json" 2>/dev/null
# Held longer than the server's ping interval (25 s), so that every chat
# has answered a ping (a burst on its socket) before it is measured.
idle_hold=${LOAD_IDLE_HOLD:-30s}
# After a collection settles, the idle node's RSS is sampled over a window
# of two ping rounds: its steady state, pings and their garbage included.
idle_window=${LOAD_IDLE_WINDOW:-50s}
idle_run() { # IDLE_GOGC OUT: one node holding idle_n idle chats
  # shellcheck disable=SC2086
  bin/halochat serve --addr 127.0.0.1:18307 --db "$pgdsn" --limits benchmark --pprof 127.0.0.1:18308 --idle-gogc "$1" > "$work/serve-18307.log" 2>&1 &
  local ipid=$!; pids+=("$ipid")
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:18307/readyz" >/dev/null && break; sleep 0.1; done
  "$work/loadgen" -url http://127.0.0.1:18307 -demo "$work/demo-18307.json" -idle "$idle_n" -db "$pgdsn" \
    -pid "$ipid" -hold "$idle_hold" -gc-url "http://127.0.0.1:18308/debug/pprof/heap?gc=1" -window "$idle_window" -timeout 6m > "$2"
  kill "$ipid"; wait "$ipid" 2>/dev/null || true
  # What the node said about the sockets it closed or kept (info level):
  # a peer that stopped answering, a failed write, a client too slow, a
  # store read tried again.
  for m in "stopped answering" "after a failed write" "does not keep up" "trying again"; do
    printf '%s: %s; ' "$m" "$(grep -c "$m" "$work/serve-18307.log" || true)"
  done > "${2%.json}.log-reasons"
}
# The default: from --idle-gogc-sockets (2,000) open sockets the node
# collects with GOGC=25 (backend/gctune, docs/SCALING.md).
idle_run 25 "$work/idle.json"
# For comparison, the same node with GOGC alone (100).
if [ -z "$second" ]; then idle_run 0 "$work/idle-gogc100.json"; else skip idle-gogc100; fi

# pgbench: one single-row INSERT per transaction at 4 clients, the
# reference the targets are set against (a node commits its messages one
# batch at a time: serve --append-batches, default 1). Also at 16
# clients, the size of its main pool, for comparison.
pgtps=$(pgbench_tps "$pg_clients")
pgtps16=$(pgbench_tps 16)

echo "## Message load (.ci/loadbench.sh: backend/cmd/loadgen against bin/halochat serve --limits benchmark)"
echo
echo "$chats chats (HS256 token with chat custom fields, HTTP start, websocket), each handed to an agent (the demo flow's transfer),"
echo "then $messages messages each at $rate/s; $agents agent connections answer every message. That offers more than a node takes"
echo "($((chats * ${rate%.*} * 2)) messages/s), so these runs measure the maximum; latency is measured below at half of it. Throughput counts"
echo "messages persisted (acknowledged: visitors' and agents' messages) and delivered (to the other side) over the message phase,"
echo "which begins once every chat is with an agent; each visitor starts sending at a random point of its period."
echo
echo "| | PostgreSQL, one node | PostgreSQL, two nodes | SQLite |"
echo "| --- | --- | --- | --- |"
for f in StartedChats StartErrors StartsPerSecond Sent Acked Delivered Duplicates OutOfOrder AgentReconnects PersistedPerSecond DeliveredPerSecond; do
  echo "| $f | $(field $f "$work/pg.json") | $(field $f "$work/two.json") | $(field $f "$work/sqlite.json") |"
done
for f in StartP50Ms StartP99Ms LatencyP50Ms P95Ms P99Ms MaxMs ServerRSSMiB ServerCPUSeconds; do
  echo "| $f | $(field1 $f "$work/pg.json") | $(field1 $f "$work/two.json") | $(field1 $f "$work/sqlite.json") |"
done
echo
echo "Two nodes: visitors on one node, agents on the other; RSS and CPU are the visitors' node's. SQLite: $sqlite_messages messages each at $sqlite_rate/s ($((chats * sqlite_rate * 2)) messages/s offered)."
echo
echo "pgbench on the same server, single-row INSERT transactions, 10 s: **$pgtps tps at $pg_clients clients**, the reference of the targets (a node commits its messages one batch at a time, \`serve --append-batches\`, default 1; with 4 in flight it persisted fewer messages a second, docs/SCALING.md); $pgtps16 tps at 16 clients (the size of a node's main pool)."
echo
echo "Group commit: the same PostgreSQL run with \`serve --append-batches -1\` (every message its own commit): $(field PersistedPerSecond "$work/unbatched.json") persisted/s, against $(field PersistedPerSecond "$work/pg.json")/s batched (the default)."
echo
echo "At half that throughput ($half_rate messages/s per visitor, $(field PersistedPerSecond "$work/half.json") persisted/s): delivery p50 $(field1 LatencyP50Ms "$work/half.json") ms, p95 $(field1 P95Ms "$work/half.json") ms, p99 **$(field1 P99Ms "$work/half.json") ms**, max $(field1 MaxMs "$work/half.json") ms."
echo "Deliveries: $(slow "$work/half.json"), of the $(field1 MessagePhaseSeconds "$work/half.json") s message phase (a stall puts most in a few windows)."
echo
echo "## Webhook delivery at half the maximum (loadgen -webhook, PostgreSQL, one node)"
echo
echo "The half run again, with a webhook for \`chat.message\` to a receiver in loadgen on loopback, which verifies every delivery with"
echo "the Standard Webhooks Go library and answers 204; every message the load sends or answers is an event. Target: delivery keeps pace"
echo "with the messages (none left behind when they stop) and the p99 lag from commit (the event's timestamp) to arrival stays under 1 s."
echo
echo "| | figure |"
echo "| --- | --- |"
echo "| messages persisted/s (the webhook run) | $(field PersistedPerSecond "$work/hook.json") |"
echo "| webhook deliveries/s (distinct events, the flow's messages included) | $(field WebhookPerSecond "$work/hook.json") |"
echo "| events received / the load's acknowledged messages among them / acknowledged in all | $(field WebhookReceived "$work/hook.json") / $(field WebhookLoadMessages "$work/hook.json") / $(field Acked "$work/hook.json") |"
echo "| lost (acknowledged, never delivered) | **$(field WebhookLost "$work/hook.json")** |"
echo "| duplicates (a webhook-id again) / refused signatures | $(field WebhookDuplicates "$work/hook.json") / $(field WebhookBadSignatures "$work/hook.json") |"
echo "| lag commit → delivery p50 / p99 / max | $(field1 WebhookLagP50Ms "$work/hook.json") / **$(field1 WebhookLagP99Ms "$work/hook.json")** / $(field1 WebhookLagMaxMs "$work/hook.json") ms |"
echo "| last delivery after the load's last message | $(field1 WebhookTrailMs "$work/hook.json") ms |"
echo "| message delivery p99 with the webhook / without (the half run above) | $(field1 P99Ms "$work/hook.json") / $(field1 P99Ms "$work/half.json") ms |"
echo
echo "Chat starts alone ($start_chats chats, $start_parallel in flight, PostgreSQL, one node): **$(field StartsPerSecond "$work/starts.json")/s** (pgbench just before and just after it: $pgtps_before and $pgtps_after tps at $pg_clients clients, a mean of $pgtps_starts), p50 $(field1 StartP50Ms "$work/starts.json") ms, p99 $(field1 StartP99Ms "$work/starts.json") ms, $(field StartErrors "$work/starts.json") errors."
echo
echo "## Idle open chats (loadgen -idle: each chat its own websocket after hello, on one node, PostgreSQL)"
echo
echo "$(field Open "$work/idle.json") of $idle_n chats open after $(field1 OpenSeconds "$work/idle.json") s to open them and a $idle_hold hold (every chat pinged by the server at least once)$( [ "$idle_n" -lt "$idle_want" ] && echo " ($idle_want asked: this machine allows $(ulimit -Hn) open files a process, a hard limit that cannot be raised here)")."
echo "The node's open descriptors: $(field ServerFDs0 "$work/idle.json") of its own (listeners, database connections, the poller), $(field ServerFDs "$work/idle.json") with the chats open: one a chat."
echo "Server RSS $(field1 ServerRSSMiB0 "$work/idle.json") MiB before, $(field1 ServerRSSMiB "$work/idle.json") MiB with them open: **$(field1 RSSPerChatKiB "$work/idle.json") KiB a chat**"
echo "(the garbage of their hellos not yet collected); after a garbage collection, once the RSS settled ($(field1 SettleSeconds "$work/idle.json") s later),"
echo "$(field1 ServerRSSMiBAfterGC "$work/idle.json") MiB: $(field1 RSSPerChatKiBAfterGC "$work/idle.json") KiB a chat; then, sampled every 2 s for $(field WindowSeconds "$work/idle.json") s (the steady state of an idle node,"
echo "every chat pinged twice): mean **$(field1 RSSPerChatKiBMean "$work/idle.json") KiB**, highest **$(field1 RSSPerChatKiBMax "$work/idle.json") KiB a chat** ($(field1 ServerRSSMiBMaxWin "$work/idle.json") MiB). Target: ≤ 16 KiB."
echo "The node ran with its default \`--idle-gogc 25\`: from 2,000 open sockets it collects with GOGC=25 (a quarter of the collector's"
echo "headroom; backend/gctune). The same node with GOGC alone (\`--idle-gogc 0\`, GOGC=100): $(field Open "$work/idle-gogc100.json") open,"
echo "$(field1 RSSPerChatKiB "$work/idle-gogc100.json") KiB a chat right after opening them; steady state mean $(field1 RSSPerChatKiBMean "$work/idle-gogc100.json"), highest $(field1 RSSPerChatKiBMax "$work/idle-gogc100.json") KiB a chat."
echo "What GOGC=25 costs messages: the PostgreSQL maximum run with it forced from the first socket persisted $(field PersistedPerSecond "$work/gogc25.json")/s"
echo "(delivery p99 $(field1 P99Ms "$work/gogc25.json") ms), against $(field PersistedPerSecond "$work/pg.json")/s (p99 $(field1 P99Ms "$work/pg.json") ms) with GOGC=100: a node under 2,000 sockets keeps GOGC."
echo
echo "Chats the server dropped during the hold (the client's reader saw its socket end): **$(field Dropped "$work/idle.json")**"
causes=$(tr -d '\n' < "$work/idle.json" | grep -o '"DropCauses": {[^}]*}' | head -c 400 || true)
echo "(${causes:-no cause: none dropped}); with GOGC alone $(field Dropped "$work/idle-gogc100.json")."
echo "What the node logged about its sockets: $(sed 's/; $//' "$work/idle.log-reasons" 2>/dev/null). A peer is dropped only after three pings in a row went"
echo "unanswered with nothing heard from it since the first (a late pong keeps it), and a writer's failed read of the store is tried again, the socket kept."
echo "What a chat holds live (heap and stacks) is the figure of the Open chats section above; the rest of the RSS is the collector's"
echo "headroom: the garbage of the hellos until a collection, and freed pages the runtime keeps for the heap to grow into."
echo "An idle chat's socket is one goroutine waiting for its socket to become readable, on a 2 KiB stack; the frames that arrive"
echo "(a message, the pong to a ping) are read by a goroutine that lives as long as the burst (backend/realtime/idleread.go)."
echo "Errors: $(tr -d '\n' < "$work/idle.json" | grep -o '"Errors": [^]]*]\|"Errors": null' | head -c 400)"
if [ -n "${LOAD_SUMMARY:-}" ]; then
  {
    echo "pg_persist=$(field PersistedPerSecond "$work/pg.json")"
    echo "two_persist=$(field PersistedPerSecond "$work/two.json")"
    echo "sqlite_persist=$(field PersistedPerSecond "$work/sqlite.json")"
    echo "pgtps=$pgtps"
    echo "pgtps_starts=$pgtps_starts"
    echo "pgtps_before=$pgtps_before"
    echo "pgtps_after=$pgtps_after"
    echo "pgtps16=$pgtps16"
    echo "pg_clients=$pg_clients"
    echo "half_p99=$(field1 P99Ms "$work/half.json")"
    echo "hook_p99=$(field1 WebhookLagP99Ms "$work/hook.json")"
    echo "hook_lost=$(field WebhookLost "$work/hook.json")"
    echo "hook_rate=$(field WebhookPerSecond "$work/hook.json")"
    echo "hook_trail=$(field1 WebhookTrailMs "$work/hook.json")"
    echo "starts=$(field StartsPerSecond "$work/starts.json")"
    echo "idle_n=$idle_n"
    echo "idle_open=$(field Open "$work/idle.json")"
    echo "idle_fds0=$(field ServerFDs0 "$work/idle.json")"
    echo "idle_rss=$(field1 RSSPerChatKiB "$work/idle.json")"
    echo "idle_rss_gc=$(field1 RSSPerChatKiBAfterGC "$work/idle.json")"
    echo "idle_rss_mean=$(field1 RSSPerChatKiBMean "$work/idle.json")"
    echo "idle_rss_max=$(field1 RSSPerChatKiBMax "$work/idle.json")"
    echo "idle_rss_gogc100_max=$(field1 RSSPerChatKiBMax "$work/idle-gogc100.json")"
    echo "idle_dropped=$(field Dropped "$work/idle.json")"
    echo "half_persist=$(field PersistedPerSecond "$work/half.json")"
    echo "half_slow='$(slow "$work/half.json")'"
    echo "pg_p99=$(field1 P99Ms "$work/pg.json")"
    echo "gogc25_persist=$(field PersistedPerSecond "$work/gogc25.json")"
    echo "idle_window_s=$(field WindowSeconds "$work/idle.json")"
  } > "$LOAD_SUMMARY"
fi
echo "Messages persisted per second with PostgreSQL: $(field PersistedPerSecond "$work/pg.json") — each a durable commit before its acknowledgement; the offered load is $((chats * rate * 2))/s."
echo
for run in pg two sqlite unbatched gogc25 half hook starts idle idle-gogc100; do
  echo "Errors ($run): $(tr -d '\n' < "$work/$run.json" | grep -o '"Errors": [^]]*]\|"Errors": null' | head -c 400)"
  echo
done
