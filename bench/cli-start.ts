/**
 * How long a CLI read takes, start to exit (issue #15's done-when, `shulian chain list` under a
 * second): `bin/shulian.mjs chain list` against a running node, 15 runs one after another, beside
 * Node starting and exiting with nothing to do (`node -e 0`), the floor no CLI goes below.
 *
 * - value: median wall time of `shulian chain list` (ms);
 * - limit: median wall time of `node -e 0` in the same run (ms); ratio = value ÷ limit;
 * - p90Ms, nodeP90Ms; fromDist: whether the compiled dist/ ran (else the TypeScript through tsx:
 *   run `npm run build` first); goalMs: 1000.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { percentile, startBenchNode } from './lib/load.ts';
import type { BenchResult } from './result.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = 15;

function timed(args: string[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', env: { ...process.env, SHULIAN_FROM_SOURCE: undefined } });
    if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}`);
    out.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return out.sort((a, b) => a - b);
}

export default async function cliStart(): Promise<BenchResult> {
  const node = await startBenchNode('sm2');
  try {
    const cli = timed([join(root, 'bin/shulian.mjs'), 'chain', 'list', '--api', node.url]);
    const bare = timed(['-e', '0']);
    const value = percentile(cli, 50);
    const limit = percentile(bare, 50);
    return {
      bench: 'cli-start', value: Math.round(value), unit: 'ms', limit: Math.round(limit), limitWhat: 'node -e 0 (Node starting and exiting)',
      ratio: Number((value / limit).toFixed(2)), p90Ms: Math.round(percentile(cli, 90)), nodeP90Ms: Math.round(percentile(bare, 90)),
      fromDist: existsSync(join(root, 'dist/.built')), goalMs: 1000,
    };
  } finally {
    await node.stop();
  }
}
