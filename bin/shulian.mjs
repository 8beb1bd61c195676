#!/usr/bin/env node
// Shulian CLI entry. Runs the compiled JavaScript in dist/ (scripts/build-dist.mjs, run by
// `npm ci` and `npm run build`), which starts in a fraction of a second. In a checkout where a
// source file is newer than that build (a developer editing src/), or where dist/ was never built,
// it runs the TypeScript sources through tsx instead, so an edit is never shadowed by stale
// output; on a terminal a one-line notice says so. SHULIAN_FROM_SOURCE=1 always runs the sources.
import { existsSync, readdirSync, statSync } from 'node:fs';
import module from 'node:module';

// Node 22.1+ keeps compiled code between runs (a faster start); Node 20 has no such cache.
module.enableCompileCache?.();

const root = new URL('../', import.meta.url);
const src = new URL('src/', root);
const stamp = new URL('dist/.built', root);

/** Whether any file under src/ other than a test is newer than `since` (ms). */
function newerSource(dir, since) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) {
      if (newerSource(new URL(`${e.name}/`, dir), since)) return true;
    } else if (!/\.test(-helper)?\.ts$/.test(e.name) && statSync(new URL(e.name, dir)).mtimeMs > since) {
      return true;
    }
  }
  return false;
}

/** Why dist/ cannot be used, or '' when it can. */
function distProblem() {
  if (process.env.SHULIAN_FROM_SOURCE === '1') return '';
  if (!existsSync(stamp)) return 'dist/ is not built';
  if (existsSync(src) && newerSource(src, statSync(stamp).mtimeMs)) return 'src/ is newer than dist/';
  return null;
}

const problem = distProblem();
if (problem === null) {
  await import('../dist/cli/main.js');
} else {
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    process.stderr.write('error: dist/ is not built and tsx is not installed; run `npm ci` (or `npm run build`) in the Shulian checkout\n');
    process.exit(1);
  }
  if (problem && process.stderr.isTTY) {
    process.stderr.write(`[shulian] ${problem}: running the TypeScript sources (slower start; \`npm run build\` compiles)\n`);
  }
  register();
  await import('../src/cli/main.ts');
}
