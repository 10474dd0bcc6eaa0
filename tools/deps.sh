#!/usr/bin/env bash
# deps.sh — bring what the tests need onto this machine, or say clearly what is missing.
#
#   tools/deps.sh base       make, git, CA certificates (Debian packages)
#   tools/deps.sh cc         a working C compiler for cgo (go test -race needs it): gcc, libc6-dev
#   tools/deps.sh go         Go modules
#   tools/deps.sh npm        the pinned Node 22 (web/tools/ensure-node.sh, into .tools/node) and, run on it,
#                            npm ci in e2e/ and web/; Debian's nodejs+npm only bootstrap npm
#   tools/deps.sh chromium   Debian's chromium
#   tools/deps.sh redis      a redis-server binary, and a Redis answering PING on 127.0.0.1:6379
#   tools/deps.sh postgres   a PostgreSQL that user postgres logs in to over 127.0.0.1:5432 without a
#                            password (trust auth), checked with psql; or PRESENCED_TEST_POSTGRES's server
#   tools/deps.sh all        all of the above, in that order
#
# Debian packages are installed with apt-get as root (an `apt-get update` once, before the first
# install); without root the script names what to install and exits 1. Services are started only
# when none answers. Idempotent: what is already there is only checked. Logs go to per-run temporary
# files, removed on success and named on failure. Exit status 1, with the reason, on failure.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

say() { echo "deps: $*" >&2; }
die() { echo "deps: FAILED: $*" >&2; exit 1; }
is_root() { [ "$(id -u)" = 0 ]; }

# apt_install PKG...: apt-get install as root; `apt-get update` before the first install of this run.
apt_updated=
apt_install() {
  is_root || die "need root to apt-get install $* (install it yourself, then re-run)"
  command -v apt-get >/dev/null || die "no apt-get on this machine: install $* yourself, then re-run"
  local log
  log="$(mktemp -t presenced-apt.XXXXXX.log)"
  if [ -z "$apt_updated" ]; then
    say "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -q >"$log" 2>&1 \
      || { tail -n 20 "$log" >&2; die "apt-get update failed (full log: $log)"; }
    apt_updated=1
  fi
  say "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >>"$log" 2>&1 \
    || { tail -n 20 "$log" >&2; die "apt-get install $* failed (full log: $log)"; }
  rm -f "$log"
}
# answers HOST PORT: a TCP connect succeeds within a second.
answers() { timeout 1 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }
need_go() { command -v go >/dev/null || die "no Go toolchain on PATH (need Go $(sed -n 's/^go //p' go.mod); CI has it in /usr/local/go/bin)"; }

deps_base() {
  local need=()
  command -v make >/dev/null || need+=(make)
  command -v git >/dev/null || need+=(git)
  [ -s /etc/ssl/certs/ca-certificates.crt ] || need+=(ca-certificates)
  [ ${#need[@]} = 0 ] || apt_install "${need[@]}"
}

# cc_works CC: CC compiles and links a C program that includes a libc header.
cc_works() {
  local tmp rc=0
  tmp="$(mktemp -d -t presenced-cc.XXXXXX)"
  printf '#include <stdio.h>\nint main(void) { puts("ok"); return 0; }\n' >"$tmp/t.c"
  "$1" -o "$tmp/t" "$tmp/t.c" >"$tmp/log" 2>&1 && [ "$("$tmp/t")" = ok ] || rc=1
  [ $rc = 0 ] || cat "$tmp/log" >&2
  rm -rf "$tmp"
  return $rc
}

deps_cc() {
  need_go
  local cc
  cc="$(go env CC)"; cc="${cc%% *}"
  if ! command -v "$cc" >/dev/null || ! cc_works "$cc" 2>/dev/null; then
    is_root || die "go test -race needs a C compiler ($cc, with libc headers) for cgo: apt-get install gcc libc6-dev"
    apt_install gcc libc6-dev
    cc_works "$cc" || die "$cc does not compile a C program even after apt-get install gcc libc6-dev"
  fi
  [ "$(go env CGO_ENABLED)" = 1 ] || die "cgo is off (CGO_ENABLED=$(go env CGO_ENABLED)): go test -race needs it"
}

deps_go() {
  need_go
  go mod download || die "go mod download failed"
}

npm_ci() { # npm_ci DIR NODEBIN: npm ci in DIR, run on the node in NODEBIN
  local dir=$1 stamp="$1/node_modules/.package-lock.json"
  if [ -f "$stamp" ] && [ "$stamp" -nt "$dir/package-lock.json" ]; then return 0; fi
  say "npm ci in $dir (node $("$2/node" --version))"
  (cd "$dir" && PATH="$2:$PATH" npm ci --no-audit --no-fund --loglevel=error) || die "npm ci in $dir failed"
}

deps_npm() {
  # Debian's npm only bootstraps: ensure-node.sh fetches the pinned Node with it, and every npm and
  # node command after that runs on the pinned Node (Debian 12's Node 18 is too old for
  # playwright-core and Angular).
  command -v npm >/dev/null || apt_install nodejs npm
  local nodebin
  nodebin="$(bash web/tools/ensure-node.sh)" || die "could not provide Node >= 22.22 (web/tools/ensure-node.sh)"
  npm_ci e2e "$nodebin"
  npm_ci web "$nodebin"
}

deps_chromium() {
  command -v chromium >/dev/null || apt_install chromium
  chromium --version >/dev/null 2>&1 || die "chromium is installed but does not run (chromium --version)"
}

# redis_pings: a Redis on 127.0.0.1:6379 answers PING with +PONG within a second.
redis_pings() {
  local line=
  { exec 3<>/dev/tcp/127.0.0.1/6379; } 2>/dev/null || return 1
  printf 'PING\r\n' >&3
  IFS= read -r -t 1 line <&3 || true
  exec 3>&-
  [ "${line%$'\r'}" = +PONG ]
}

deps_redis() {
  command -v redis-server >/dev/null || apt_install redis-server
  redis_pings && return 0
  answers 127.0.0.1 6379 && die "something answers on 127.0.0.1:6379 but not Redis's PING"
  local dir
  dir="$(mktemp -d -t presenced-redis.XXXXXX)"
  say "starting redis-server on 127.0.0.1:6379 (dir and log: $dir)"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir "$dir" --logfile "$dir/redis.log" || die "could not start redis-server (log: $dir/redis.log)"
  for _ in $(seq 50); do redis_pings && return 0; sleep 0.1; done
  tail -n 20 "$dir/redis.log" >&2 || true
  die "redis-server did not answer PING on 127.0.0.1:6379 (log: $dir/redis.log)"
}

pg_default="postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
pg_err=
# pg_login URL: psql logs in to URL and runs a query; psql's complaint is kept in pg_err.
pg_login() {
  local out
  if out="$(PGCONNECT_TIMEOUT=3 psql "$1" -X -q -t -A -w -c 'select 1' 2>&1)" && [ "$out" = 1 ]; then
    return 0
  fi
  pg_err="$out"
  return 1
}

# pg_trust HBA: user postgres may log in over 127.0.0.1 and ::1 without a password; 0 when it changed HBA.
pg_trust() {
  local hba=$1 tmp
  grep -q '^host all postgres 127.0.0.1/32 trust' "$hba" && return 1
  say "allowing trust auth for postgres on 127.0.0.1 and ::1 in $hba"
  tmp="$(mktemp)"
  { printf 'host all postgres 127.0.0.1/32 trust\nhost all postgres ::1/128 trust\n'; cat "$hba"; } >"$tmp"
  cat "$tmp" >"$hba" # keeps the file's owner and mode
  rm -f "$tmp"
}

pg_wait_login() {
  for _ in $(seq 150); do pg_login "$pg_default" && return 0; sleep 0.1; done
  die "cannot log in to PostgreSQL as postgres on 127.0.0.1:5432: $pg_err"
}

deps_postgres() {
  if ! command -v psql >/dev/null; then
    is_root || die "psql is needed to check the PostgreSQL login: apt-get install postgresql-client"
    apt_install postgresql-client
  fi
  local url="${PRESENCED_TEST_POSTGRES:-$pg_default}"
  pg_login "$url" && return 0
  [ "$url" = "$pg_default" ] \
    || die "cannot log in to PRESENCED_TEST_POSTGRES's server (left alone, since it is not the default): $pg_err"
  # From here on: the local cluster of Debian's postgresql package, installed, configured and
  # started as needed (as root).
  is_root || die "cannot log in to PostgreSQL as postgres on 127.0.0.1:5432 ($pg_err); installing, configuring or starting it needs root"
  if ! ls -d /etc/postgresql/*/main >/dev/null 2>&1; then
    answers 127.0.0.1 5432 && die "a PostgreSQL not managed by Debian's packages answers on 127.0.0.1:5432 but refuses postgres: $pg_err"
    apt_install postgresql
  fi
  local ver hba
  ver="$(ls /etc/postgresql | sort -V | tail -n1)"
  hba="/etc/postgresql/$ver/main/pg_hba.conf"
  [ -f "$hba" ] || die "no $hba (is PostgreSQL $ver's main cluster created?)"
  if answers 127.0.0.1 5432; then
    # Running, but the login failed: the tests connect as postgres over TCP without a password.
    if pg_trust "$hba"; then
      say "reloading PostgreSQL $ver"
      pg_ctlcluster "$ver" main reload || die "could not reload PostgreSQL $ver"
    fi
  else
    pg_trust "$hba" || true
    say "starting PostgreSQL $ver"
    pg_ctlcluster --skip-systemctl-redirect "$ver" main start 2>/dev/null || pg_ctlcluster "$ver" main start \
      || die "could not start PostgreSQL $ver (see /var/log/postgresql/postgresql-$ver-main.log)"
  fi
  pg_wait_login
}

case "${1:-all}" in
  base) deps_base ;;
  cc) deps_cc ;;
  go) deps_go ;;
  npm) deps_npm ;;
  chromium) deps_chromium ;;
  redis) deps_redis ;;
  postgres) deps_postgres ;;
  all) deps_base; deps_cc; deps_go; deps_npm; deps_chromium; deps_redis; deps_postgres ;;
  *) die "unknown target $1 (base, cc, go, npm, chromium, redis, postgres or all)" ;;
esac
