#!/usr/bin/env bash
# deps.sh — bring what the tests need onto this machine, or say clearly what is missing.
#
#   tools/deps.sh go         Go modules
#   tools/deps.sh npm        e2e/ and web/ npm packages (npm ci), and the pinned Node 22 for web/
#   tools/deps.sh chromium   Debian's chromium (apt-get, when running as root)
#   tools/deps.sh redis      a redis-server binary, and a Redis answering on 127.0.0.1:6379
#   tools/deps.sh postgres   a PostgreSQL answering on 127.0.0.1:5432 as user postgres (trust auth)
#   tools/deps.sh all        all of the above
#
# Idempotent: what is already there is only checked. Exit status 1, with the reason, on failure.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

say() { echo "deps: $*" >&2; }
die() { echo "deps: FAILED: $*" >&2; exit 1; }
is_root() { [ "$(id -u)" = 0 ]; }
apt_install() {
  is_root || die "need root to apt-get install $* (install it yourself, then re-run)"
  say "apt-get install $*"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/tmp/presenced-apt.log 2>&1; then
    apt-get update -q >/tmp/presenced-apt.log 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >>/tmp/presenced-apt.log 2>&1 \
      || die "apt-get install $* failed (see /tmp/presenced-apt.log)"
  fi
}
# answers HOST PORT: a TCP connect succeeds within a second.
answers() { timeout 1 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }

deps_go() {
  command -v go >/dev/null || die "no Go toolchain on PATH (need Go $(sed -n 's/^go //p' go.mod))"
  go mod download || die "go mod download failed"
}

npm_ci() { # npm_ci DIR [PATH-prefix]
  local dir=$1 stamp="$1/node_modules/.package-lock.json"
  if [ -f "$stamp" ] && [ "$stamp" -nt "$dir/package-lock.json" ]; then return 0; fi
  command -v npm >/dev/null || die "no npm on PATH (Debian: apt-get install nodejs npm)"
  say "npm ci in $dir"
  (cd "$dir" && PATH="${2:+$2:}$PATH" npm ci --no-audit --no-fund --loglevel=error) || die "npm ci in $dir failed"
}

deps_npm() {
  command -v node >/dev/null || die "no node on PATH (Debian: apt-get install nodejs npm)"
  npm_ci e2e
  local nodebin
  nodebin="$(bash web/tools/ensure-node.sh)" || die "could not provide Node >= 22.22 for the web build"
  npm_ci web "$nodebin"
}

deps_chromium() {
  if command -v chromium >/dev/null; then return 0; fi
  apt_install chromium
}

deps_redis() {
  command -v redis-server >/dev/null || apt_install redis-server
  if ! answers 127.0.0.1 6379; then
    say "starting redis-server on 127.0.0.1:6379"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
      --dir /tmp --logfile /tmp/presenced-redis.log || die "could not start redis-server"
    for _ in $(seq 50); do answers 127.0.0.1 6379 && break; sleep 0.1; done
    answers 127.0.0.1 6379 || die "redis-server did not answer on 127.0.0.1:6379"
  fi
}

deps_postgres() {
  if answers 127.0.0.1 5432; then return 0; fi
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    apt_install postgresql
  fi
  local ver
  ver="$(ls /etc/postgresql | sort -V | tail -n1)"
  local hba="/etc/postgresql/$ver/main/pg_hba.conf"
  # The tests connect as postgres over TCP without a password, as on the development machines.
  if is_root && ! grep -q '^host all postgres 127.0.0.1/32 trust' "$hba"; then
    say "allowing trust auth for postgres on 127.0.0.1 in $hba"
    sed -i '1i host all postgres 127.0.0.1/32 trust\nhost all postgres ::1/128 trust' "$hba"
  fi
  say "starting PostgreSQL $ver"
  if is_root; then
    pg_ctlcluster --skip-systemctl-redirect "$ver" main start 2>/dev/null || pg_ctlcluster "$ver" main start \
      || die "could not start PostgreSQL $ver"
  else
    die "PostgreSQL does not answer on 127.0.0.1:5432 and starting it needs root"
  fi
  for _ in $(seq 100); do answers 127.0.0.1 5432 && return 0; sleep 0.1; done
  die "PostgreSQL did not answer on 127.0.0.1:5432"
}

case "${1:-all}" in
  go) deps_go ;;
  npm) deps_npm ;;
  chromium) deps_chromium ;;
  redis) deps_redis ;;
  postgres) deps_postgres ;;
  all) deps_go; deps_npm; deps_chromium; deps_redis; deps_postgres ;;
  *) die "unknown target $1" ;;
esac
