#!/usr/bin/env node
// Builds the SM2 addon (native/sm2 -> native/sm2/build/Release/sm2.node) with node-gyp,
// against the headers of the running node, so nothing is downloaded. Runs from the root
// "install" script (npm install / npm ci, after dependencies are installed) and from
// `npm run build`. A failed build is not fatal: it prints why and Shulian falls back to
// pure-JS SM2, which is about ten times slower at verification.
import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const addonDir = join(root, 'native', 'sm2');
const output = join(addonDir, 'build', 'Release', 'sm2.node');

function warn(msg) {
  process.stderr.write(
    `\n[shulian] WARNING: the native SM2 addon was not built: ${msg}\n` +
      '[shulian] SM2 will use the pure-JS fallback (about 10x slower verification).\n' +
      '[shulian] To build it you need python3, make and a C compiler; then run `npm run build`.\n\n',
  );
  process.exit(0);
}

/** node-gyp's JS entry: the project's own, else the one npm bundles. */
function findNodeGyp() {
  const candidates = [];
  const local = join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'node-gyp.cmd' : 'node-gyp');
  if (existsSync(local)) {
    try {
      candidates.push(realpathSync(local)); // -> node_modules/node-gyp/bin/node-gyp.js
    } catch {
      /* dangling link */
    }
  }
  candidates.push(join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  // npm sets npm_config_node_gyp to its bundled copy while running lifecycle scripts.
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  const prefix = dirname(dirname(process.execPath));
  candidates.push(join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  candidates.push(join(dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  return candidates.find((c) => c.endsWith('.js') && existsSync(c));
}

/** A directory whose include/node/node_api.h matches this node, so node-gyp never downloads headers. */
function findNodeDir() {
  const dirs = [dirname(dirname(process.execPath))];
  if (process.env.npm_config_nodedir) dirs.push(process.env.npm_config_nodedir);
  // node-gyp's own header cache, if headers were fetched once before.
  const cache = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  dirs.push(join(cache, 'node-gyp', process.versions.node));
  return dirs.find((d) => existsSync(join(d, 'include', 'node', 'node_api.h')) &&
    existsSync(join(d, 'include', 'node', 'openssl', 'evp.h')));
}

if (process.env.SHULIAN_SKIP_NATIVE === '1') {
  process.stderr.write('[shulian] SHULIAN_SKIP_NATIVE=1: not building the SM2 addon (pure-JS SM2 will be used)\n');
  process.exit(0);
}

const gyp = findNodeGyp();
if (!gyp) warn('node-gyp not found (neither in node_modules nor bundled with npm)');
const nodedir = findNodeDir();
if (!nodedir) {
  warn(`no local Node headers with OpenSSL found next to ${process.execPath} (include/node/node_api.h); ` +
    'refusing to download them');
}

process.stdout.write(`[shulian] building SM2 addon with ${gyp} (headers: ${nodedir}/include/node)\n`);
const res = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nodedir}`, `--directory=${addonDir}`], {
  cwd: addonDir,
  stdio: ['ignore', 'pipe', 'pipe'],
  encoding: 'utf8',
  timeout: 5 * 60_000,
  env: { ...process.env, npm_config_nodedir: nodedir },
});
if (res.error || res.status !== 0 || !existsSync(output)) {
  const log = `${res.stdout ?? ''}${res.stderr ?? ''}`.trim().split('\n').slice(-25).join('\n');
  warn(`${res.error ? res.error.message : `node-gyp exited with ${res.status}`}\n${log}`);
}

// Prove it loads in this node before declaring success.
const check = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(output)})`], { encoding: 'utf8' });
if (check.status !== 0) warn(`built ${output} but it does not load:\n${check.stderr.trim()}`);
process.stdout.write(`[shulian] SM2 addon built: ${output}\n`);
