#!/usr/bin/env bash
# fuzz.sh FUZZTIME — run every fuzzer of the module for FUZZTIME each (make test-fuzz, make fuzz).
#
# A fuzzer fails the run when it finds something: a failing input written under testdata/fuzz, a
# panic, a test error. Go 1.26's fuzz coordinator also fails a target with a bare "context deadline
# exceeded" when -fuzztime ends while a worker is mid-call, having found nothing (go.dev/issue/75804,
# fixed in Go 1.27): such a run is run once more, and fails the run if it happens again.
set -euo pipefail
fuzztime="${1:?usage: tools/fuzz.sh FUZZTIME}"
GO="${GO:-go}"
log="$(mktemp -t presenced-fuzz.XXXXXX.log)"
trap 'rm -f "$log"' EXIT

# deadline_race LOG: the log shows the coordinator's deadline race and no finding.
deadline_race() {
  grep -q 'context deadline exceeded' "$1" &&
    ! grep -qE 'Failing input written|panic:|_test\.go:[0-9]+:' "$1"
}

for pkg in $("$GO" list ./...); do
  for f in $("$GO" test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
    echo "fuzz $pkg $f ($fuzztime)"
    if "$GO" test -run '^$' -fuzz "^$f\$" -fuzztime "$fuzztime" "$pkg" >"$log" 2>&1; then
      continue
    fi
    if deadline_race "$log"; then
      echo "fuzz $pkg $f: stopped by Go's fuzz deadline race (go.dev/issue/75804) with nothing found; once more"
      if "$GO" test -run '^$' -fuzz "^$f\$" -fuzztime "$fuzztime" "$pkg" >"$log" 2>&1; then
        continue
      fi
    fi
    cat "$log"
    exit 1
  done
done
