#!/usr/bin/env bash
# bench/soak.sh — 10 minutes, N = 10,000 bound sockets on presenced, a sweep every second:
# RSS growth (from the first minute on) must stay under 5 % and goroutines must not grow.
# Writes bench/results/soak.{json,md}; the next `make bench` includes soak.md in BENCHMARKS.md.
# SOAK_DURATION=2m for a shorter check; SOAK_KIND=peer to soak the Node peer instead.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
GO="${GO:-go}"
NODE_BIN="$(bash web/tools/ensure-node.sh)"
if [[ ! -f bench/peer/node_modules/socket.io/package.json ]]; then
  (cd bench/peer && PATH="$NODE_BIN:$PATH" npm ci --no-audit --no-fund --loglevel=error)
fi
mkdir -p bin
"$GO" build -o bin/ ./cmd/presenced ./cmd/presenced-load
"$GO" build -o bin/presenced-bench ./bench/runner
exec bin/presenced-bench -node "$NODE_BIN/node" -soak "${SOAK_DURATION:-10m}" -soak-kind "${SOAK_KIND:-presenced}" "$@"
