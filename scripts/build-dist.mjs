#!/usr/bin/env node
// Compiles src/ (TypeScript) into dist/ (JavaScript + .d.ts) with tsconfig.build.json, so the CLI
// and the SDK (`shulian/sdk`) run on plain Node: no tsx, no compile at start. Runs from the root
// "prepare" script (npm ci / npm install in a clone, npm pack) and from `npm run build` (with
// --strict). A failure is fatal only with --strict: otherwise it says why, and bin/shulian.mjs
// runs the TypeScript sources through tsx until a build succeeds.
//
// dist/ mirrors src/ one level down from the root (src/api/x.ts -> dist/api/x.js), so every path
// the code finds by `new URL('../../…', import.meta.url)` (console/dist, native/sm2, contracts/,
// package.json, bin/) resolves the same from either. Files tsc does not emit are copied: the
// worker entries (*.mjs, which load the sibling .js when there is one) and data files (*.jsonld).
//
// Last, dist/.built is written with the time the build *started*: bin/shulian.mjs runs dist only
// while no source file is newer than that, so an edit made during or after a build is never
// shadowed by stale output.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const src = join(root, 'src');
const dist = join(root, 'dist');
/** Files under src/ that are not TypeScript but must sit beside the compiled code. */
const COPIED = /\.(mjs|jsonld)$/;

const strict = process.argv.includes('--strict');

function fail(msg) {
  process.stderr.write(`\n[shulian] ${strict ? 'ERROR' : 'WARNING'}: could not compile src/ into dist/: ${msg}\n` +
    '[shulian] The CLI runs the TypeScript sources (through tsx) until `npm run build` succeeds.\n\n');
  process.exit(strict ? 1 : 0);
}

if (!existsSync(src)) {
  // An installed package: it ships dist/ already built and no sources.
  process.exit(0);
}

let tsc;
try {
  tsc = join(dirname(createRequire(join(root, 'package.json')).resolve('typescript/package.json')), 'bin', 'tsc');
} catch {
  fail('TypeScript is not installed (it is a dev dependency: run `npm ci` without --omit=dev)');
}

const started = new Date();
rmSync(dist, { recursive: true, force: true });
const res = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], {
  cwd: root,
  stdio: ['ignore', 'inherit', 'inherit'],
  timeout: 10 * 60_000,
});
if (res.error || res.status !== 0) fail(res.error ? res.error.message : `tsc exited with ${res.status}`);

let copied = 0;
function copyAssets(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const from = join(dir, e.name);
    if (e.isDirectory()) copyAssets(from);
    else if (COPIED.test(e.name)) {
      const to = join(dist, relative(src, from));
      mkdirSync(dirname(to), { recursive: true });
      copyFileSync(from, to);
      copied++;
    }
  }
}
copyAssets(src);

const stamp = join(dist, '.built');
writeFileSync(stamp, `${started.toISOString()}\n`);
utimesSync(stamp, started, started);
process.stdout.write(`[shulian] compiled src/ into dist/ (+${copied} assets) in ${((Date.now() - started.getTime()) / 1000).toFixed(1)} s\n`);
