/**
 * What a node start costs (the test suite starts about a hundred): `shulian up` on a fresh data
 * directory, as the tests start it (SHULIAN_LIGHT_KDF=1), until GET /v1/health answers, 5 times
 * one after another, beside Node starting and exiting with nothing to do (`node -e 0`).
 *
 * - value: median CPU time of the node process (all its threads, user + system) until healthy, ms;
 * - limit: median CPU time of `node -e 0` in the same run, ms; ratio = value ÷ limit;
 * - wallMs: median wall time to healthy; fromDist: whether the compiled dist/ ran (else the
 *   TypeScript through tsx: run `npm run build` first). CPU is read from /proc (Linux only).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/helpers/node-process.ts';
import { tempDir } from '../test/helpers/tmp.ts';
import { percentile } from './lib/load.ts';
import type { BenchResult } from './result.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = 5;
/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ, 100 on Linux). */
const HZ = 100;

/** Fields of /proc/<pid>/stat after the command name: [0] is field 3 (state). */
function statFields(pid: number | 'self'): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}
/** utime + stime (fields 14, 15) of a running process, ms. */
function cpuMs(pid: number): number {
  const f = statFields(pid);
  return ((Number(f[11]) + Number(f[12])) * 1000) / HZ;
}
/** cutime + cstime (fields 16, 17) of this process: the CPU of its reaped children, ms. */
function childrenCpuMs(): number {
  const f = statFields('self');
  return ((Number(f[13]) + Number(f[14])) * 1000) / HZ;
}

async function startOnce(): Promise<{ cpu: number; wall: number }> {
  const tmp = tempDir('shulian-bench-start-');
  const port = await freePort();
  const t0 = Date.now();
  const child = spawn(process.execPath, [join(root, 'bin/shulian.mjs'), 'up', '--data-dir', join(tmp.dir, 'node'), '--port', String(port)], {
    cwd: root, stdio: 'ignore', env: { ...process.env, SHULIAN_LIGHT_KDF: '1', SHULIAN_FROM_SOURCE: undefined },
  });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`shulian up exited with ${child.exitCode}`);
      const ok = await fetch(`http://127.0.0.1:${port}/v1/health`).then((r) => r.ok, () => false);
      if (ok) return { cpu: cpuMs(child.pid!), wall: Date.now() - t0 };
      if (Date.now() - t0 > 120_000) throw new Error('shulian up was not healthy within 120 s');
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    tmp.cleanup();
  }
}

export default async function nodeStart(): Promise<BenchResult> {
  const cpu: number[] = [];
  const wall: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await startOnce();
    cpu.push(r.cpu);
    wall.push(r.wall);
  }
  // `node -e 0`'s CPU: what this process's reaped children used (/proc/self/stat), around each run.
  const bare: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const c0 = childrenCpuMs();
    const r = spawnSync(process.execPath, ['-e', '0']);
    if (r.status !== 0) throw new Error(`node -e 0 failed: ${String(r.stderr)}`);
    bare.push(childrenCpuMs() - c0);
  }
  cpu.sort((a, b) => a - b);
  wall.sort((a, b) => a - b);
  bare.sort((a, b) => a - b);
  const value = percentile(cpu, 50);
  const limit = percentile(bare, 50);
  return {
    bench: 'node-start', value: Math.round(value), unit: 'ms CPU until healthy', limit: Math.round(limit), limitWhat: 'node -e 0 (CPU of Node starting and exiting)',
    ratio: Number((value / limit).toFixed(1)), wallMs: Math.round(percentile(wall, 50)), runs: RUNS, fromDist: existsSync(join(root, 'dist/.built')),
  };
}
