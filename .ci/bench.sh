#!/usr/bin/env bash
# Writes docs/BENCHMARKS.md from measurements taken now, on this machine:
# the flow engine's benchmarks (native and js/wasm under Node) and the
# widget wasm's size raw / gzip / brotli. Run through `make bench`.
set -euo pipefail
cd "$(dirname "$0")/.."
out=docs/BENCHMARKS.md
benchtime=${BENCHTIME:-1s}
wasmdir="$(go env GOROOT)/lib/wasm"
native=$(go test -run '^$' -bench . -benchmem -benchtime "$benchtime" -count 1 ./app/flow/ | grep -E '^(Benchmark|cpu:|goos|goarch)')
wasm=$(PATH="$wasmdir:$PATH" GOOS=js GOARCH=wasm go test -run '^$' -bench . -benchmem -benchtime "$benchtime" -count 1 ./app/flow/ | grep -E '^(Benchmark|goos|goarch)')
browser=$(go run ./backend/cmd/widgetbench -runs "${WIDGET_RUNS:-5}")
idle=$(go test -count=1 -run TestIdleSocketMemory -v ./backend/chatapi/ | grep -o 'idle visitor websocket: .*')
load=$(bash .ci/loadbench.sh)
w=static/dist/widget.wasm
size() { if [ -f "$1" ]; then stat -c %s "$1"; else echo "n/a"; fi; }
mkdir -p docs
{
  echo "# Benchmarks"
  echo
  echo "Written by \`make bench\` (.ci/bench.sh) on $(date -u +%Y-%m-%dT%H:%MZ),"
  echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(go version | cut -d' ' -f3), node $(node --version)."
  echo "Figures from a shared 2-core machine vary by ±10–20% between runs."
  echo
  echo "## Flow engine (app/flow)"
  echo
  echo "Target: one condition step under 1 µs natively; wasm within 5× of native."
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
  echo "| index.js loader (raw) | $(size static/index.js) |"
  echo "| index.js loader (gzip -9) | $(gzip -9 -c static/index.js | wc -c) |"
  echo
  echo "$browser"
  echo
  echo "## Open chats (backend/chatapi TestIdleSocketMemory)"
  echo
  echo "Memory of one idle open chat on the server (1000 websockets after hello; heap and stacks): $idle. Target: ≤ 16 KiB."
  echo
  echo "$load"
} > "$out"
echo "wrote $out"
cat "$out"
