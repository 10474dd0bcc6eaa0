#!/usr/bin/env bash
# bench/run.sh — what `make bench` runs: presenced beside the Node socket.io peer,
# side by side, and BENCHMARKS.md rewritten. BENCH_QUICK=1 for a ~8-minute smoke run.
# Extra arguments go to the runner (bench/runner), e.g. -only pongs-10k,storm-10k, or
# -plan core (presenced beside the peer, < 10 minutes) / -plan scoped (rooms, watchlists
# and the global list under the same churn, ~9 minutes) / -plan stack (idle CPU and RSS per
# socket, CPU per pong at 2,000 and 10,000, ~13 minutes); the default, -plan all, is all three.
# -plan scoped -merge re-runs the scoped scenarios and keeps the others from the last run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source bench/prepare.sh

# perf counts the servers' system calls; without it the bench falls back to /proc/PID/io.
if ! command -v perf >/dev/null 2>&1 && [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
  echo "bench: installing linux-perf (best effort)" >&2
  timeout 120 apt-get install -y -qq linux-perf >/dev/null 2>&1 || echo "bench: no perf; syscalls from /proc/PID/io" >&2
fi

"$GO" build -o bin/ ./cmd/presenced ./cmd/presenced-load
"$GO" build -o bin/presenced-bench ./bench/runner
exec bin/presenced-bench -node "$NODE_BIN/node" "$@"
