// compress.mjs — writes a gzip sibling (`name.ext.gz`) next to every compressible file of the build.
//
//   node tools/compress.mjs [dir]      (default: dist, relative to web/)
//
// Compressible: .js .mjs .css .html .svg .json .txt .map .webmanifest .xml. Every such file gets a
// .gz, even when gzip does not shrink it, so the server can rely on "x.gz exists for each x".
// Deterministic: Node's zlib writes no file name and a zero mtime in the gzip header; level 9,
// memLevel 9, default strategy and window are fixed here, so the bytes depend only on the input and
// the zlib that Node bundles (Node is pinned by tools/ensure-node.sh). Stale .gz files whose source
// is gone are removed. Files are visited in sorted order; output lists what was written.
import { readdirSync, readFileSync, statSync, unlinkSync, writeFileSync, existsSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { constants, gzipSync } from 'node:zlib';

const EXTENSIONS = new Set(['.js', '.mjs', '.css', '.html', '.svg', '.json', '.txt', '.map', '.webmanifest', '.xml']);
const OPTIONS = {
  level: constants.Z_BEST_COMPRESSION,
  memLevel: 9,
  windowBits: 15,
  strategy: constants.Z_DEFAULT_STRATEGY,
};

const webDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const root = resolve(webDir, process.argv[2] ?? 'dist');
if (!existsSync(root) || !statSync(root).isDirectory()) {
  console.error(`compress: ${root} is not a directory (run the Angular build first)`);
  process.exit(1);
}

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : []));
}

const ext = (f) => {
  const i = f.lastIndexOf('.');
  return i < 0 ? '' : f.slice(i).toLowerCase();
};

let written = 0;
let before = 0;
let after = 0;
for (const file of walk(root)) {
  if (file.endsWith('.gz')) {
    if (!existsSync(file.slice(0, -3))) unlinkSync(file);
    continue;
  }
  if (!EXTENSIONS.has(ext(file))) continue;
  const input = readFileSync(file);
  const gz = gzipSync(input, OPTIONS);
  writeFileSync(file + '.gz', gz);
  written++;
  before += input.length;
  after += gz.length;
  console.log(`compress: ${relative(root, file)}  ${input.length} -> ${gz.length}`);
}
console.log(`compress: ${written} files, ${before} -> ${after} bytes in ${relative(webDir, root) || '.'}`);
