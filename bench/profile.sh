#!/usr/bin/env bash
# bench/profile.sh — where presenced's time and memory go under the benchmark's load.
# Builds a profiling variant of the unchanged server (bench/profile/pprof_overlay.go.txt
# added to package main with `go build -overlay`: net/http/pprof on PRESENCED_PPROF_ADDR),
# takes a CPU profile at N = 10,000 under a 100 ms sweep and a heap profile with 10,000
# bound sockets, and writes `go tool pprof -top` of both to bench/results/profile.md
# (included in BENCHMARKS.md by the next `make bench`; raw profiles: bench/results/*.prof).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source bench/prepare.sh
overlay="$(mktemp)"
trap 'rm -f "$overlay"' EXIT
printf '{"Replace":{"%s":"%s"}}\n' "$PWD/cmd/presenced/zz_pprof_overlay.go" "$PWD/bench/profile/pprof_overlay.go.txt" >"$overlay"
"$GO" build -overlay "$overlay" -o bin/presenced-pprof ./cmd/presenced
"$GO" build -o bin/ ./cmd/presenced-load
"$GO" build -o bin/presenced-bench ./bench/runner
exec bin/presenced-bench -node "$NODE_BIN/node" -profile bin/presenced-pprof "$@"
