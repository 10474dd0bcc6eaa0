#!/usr/bin/env bash
# bench/soak.sh — 10 minutes, N = 10,000 bound sockets on presenced, a sweep every second:
# RSS growth (from the first minute on) must stay under 5 % and goroutines must not grow.
# Writes bench/results/soak.{json,md}; the next `make bench` includes soak.md in BENCHMARKS.md.
# SOAK_DURATION=2m for a shorter check; SOAK_KIND=peer to soak the Node peer instead.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source bench/prepare.sh
"$GO" build -o bin/ ./cmd/presenced ./cmd/presenced-load
"$GO" build -o bin/presenced-bench ./bench/runner
exec bin/presenced-bench -node "$NODE_BIN/node" -soak "${SOAK_DURATION:-10m}" -soak-kind "${SOAK_KIND:-presenced}" "$@"
