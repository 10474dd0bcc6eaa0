# bench/prepare.sh — sourced by run.sh, soak.sh and profile.sh (from the repository
# root): the pinned Node for the peer (NODE_BIN), the peer's npm packages, and GO.
GO="${GO:-go}"
# Node >= 22.13 for the peer's node:sqlite (the project's pinned Node 22, installed when missing).
NODE_BIN="$(bash web/tools/ensure-node.sh)"
# Installed again when the lock file is newer than the install (a package added, e.g. bufferutil).
if [[ ! -f bench/peer/node_modules/socket.io/package.json ||
      bench/peer/package-lock.json -nt bench/peer/node_modules/.package-lock.json ]]; then
  echo "bench: installing the peer's npm packages" >&2
  (cd bench/peer && PATH="$NODE_BIN:$PATH" npm ci --no-audit --no-fund --loglevel=error)
fi
mkdir -p bin
