/**
 * bin/shulian.mjs picks the compiled code (dist/) only while it is current: a developer who edits
 * src/ must never run stale JavaScript. Checked on a copy of the launcher beside a stand-in dist/
 * and src/ whose entry points say which one ran.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, realpathSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './helpers/node-process.ts';
import { tempDir } from './helpers/tmp.ts';

const run = promisify(execFile);
const tmp = tempDir('shulian-bin-');
const root = tmp.dir;
const stamp = join(root, 'dist', '.built');
const t0 = new Date('2026-01-01T00:00:00Z');
const later = (s: number): Date => new Date(t0.getTime() + s * 1000);

/** Which tree the launcher ran, and what it printed on stderr. */
async function launch(env: Record<string, string> = {}): Promise<{ ran: string; stderr: string }> {
  const r = await run(process.execPath, [join(root, 'bin', 'shulian.mjs')], { env: { ...process.env, SHULIAN_FROM_SOURCE: undefined, ...env }, cwd: root });
  return { ran: r.stdout.trim(), stderr: r.stderr };
}

before(() => {
  mkdirSync(join(root, 'bin'));
  copyFileSync(join(repoRoot, 'bin', 'shulian.mjs'), join(root, 'bin', 'shulian.mjs'));
  writeFileSync(join(root, 'package.json'), '{"type":"module"}\n');
  symlinkSync(realpathSync(join(repoRoot, 'node_modules')), join(root, 'node_modules')); // tsx, for the sources
  mkdirSync(join(root, 'dist', 'cli'), { recursive: true });
  writeFileSync(join(root, 'dist', 'cli', 'main.js'), "console.log('dist');\n");
  mkdirSync(join(root, 'src', 'cli'), { recursive: true });
  mkdirSync(join(root, 'src', 'ledger'), { recursive: true });
  writeFileSync(join(root, 'src', 'cli', 'main.ts'), "const which: string = 'src';\nconsole.log(which);\n");
  writeFileSync(join(root, 'src', 'ledger', 'tx.ts'), 'export {};\n');
  writeFileSync(join(root, 'src', 'ledger', 'tx.test.ts'), 'export {};\n');
  for (const f of ['src/cli/main.ts', 'src/ledger/tx.ts', 'src/ledger/tx.test.ts']) utimesSync(join(root, f), t0, t0);
});
after(() => tmp.cleanup());

test('without a build, the sources run', async () => {
  assert.equal((await launch()).ran, 'src');
});

test('a build newer than every source runs; a source edited after it does not', async () => {
  writeFileSync(stamp, '');
  utimesSync(stamp, later(10), later(10));
  assert.equal((await launch()).ran, 'dist');
  // A test file edited after the build does not make it stale.
  utimesSync(join(root, 'src', 'ledger', 'tx.test.ts'), later(20), later(20));
  assert.equal((await launch()).ran, 'dist');
  // A source file, deep in the tree, does — and no notice pollutes a piped stderr.
  utimesSync(join(root, 'src', 'ledger', 'tx.ts'), later(20), later(20));
  const stale = await launch();
  assert.equal(stale.ran, 'src');
  assert.equal(stale.stderr, '');
  // Built again: current.
  utimesSync(stamp, later(30), later(30));
  assert.equal((await launch()).ran, 'dist');
});

test('SHULIAN_FROM_SOURCE=1 runs the sources even when the build is current', async () => {
  assert.equal((await launch({ SHULIAN_FROM_SOURCE: '1' })).ran, 'src');
});

test('an installed package (dist, no src) runs dist', async () => {
  rmSync(join(root, 'src'), { recursive: true });
  assert.equal((await launch()).ran, 'dist');
});
