#!/usr/bin/env node
// Builds the web console (console/ -> console/dist) with Vite, so that `npm start` serves it at
// /console. Runs from the root "install" script (after dependencies are installed) and from
// `npm run build`. A failed build is not fatal to installation: it prints why, and the node
// answers /console with CONSOLE_NOT_BUILT until `npm run build` succeeds.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const consoleDir = join(root, 'console');
const strict = process.argv.includes('--strict');

function fail(msg) {
  process.stderr.write(`\n[shulian] ${strict ? 'ERROR' : 'WARNING'}: the web console was not built: ${msg}\n[shulian] Run \`npm run build\` to build it.\n\n`);
  process.exit(strict ? 1 : 0);
}

if (!existsSync(join(root, 'node_modules', 'vite'))) fail('vite is not installed (install with dev dependencies: npm ci)');
const started = Date.now();
try {
  const { build } = await import('vite');
  // The config is loaded with Vite's module runner, not bundled into node_modules/.vite-temp: a
  // write under node_modules makes npm's hidden lockfile look stale, and every `npx` then reads
  // the whole tree again (seconds per command).
  await build({ configFile: join(consoleDir, 'vite.config.ts'), configLoader: 'runner', root: consoleDir, logLevel: 'warn' });
} catch (err) {
  fail(err instanceof Error ? err.message : String(err));
}
process.stdout.write(`[shulian] web console built into console/dist in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
