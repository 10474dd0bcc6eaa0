#!/usr/bin/env bash
# web-check.sh — the committed web/dist must be exactly what a fresh build of web/src makes.
# Builds the sources in place into a temporary output folder (the working tree is left
# alone; bundle hashes depend on the project's location, so it must build from web/),
# and exits 1 with the differing files when build and commit disagree.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
nodebin="$(bash "$repo/web/tools/ensure-node.sh")"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cd "$repo/web"
# With a plain --output-path, Angular writes the app to <out>/browser and the licences beside it.
PATH="$nodebin:$PATH" npx ng build --configuration production --output-path "$tmp/out" >"$tmp/build.log" 2>&1 \
  || { cat "$tmp/build.log"; exit 1; }
mv "$tmp/out/3rdpartylicenses.txt" "$tmp/out/browser/"
PATH="$nodebin:$PATH" node tools/compress.mjs "$tmp/out/browser" >/dev/null
if ! diff -r "$repo/web/dist" "$tmp/out/browser" >"$tmp/diff.txt"; then
  echo "web-check: web/dist differs from a fresh build of web/src (run 'make web' and commit):"
  head -n 20 "$tmp/diff.txt"
  exit 1
fi
echo "web-check: web/dist matches a fresh build"
