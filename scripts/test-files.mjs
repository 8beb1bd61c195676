#!/usr/bin/env node
// The test files `npm test` runs, in the order it starts them: the files known to be long first
// (longest first), then every other test/**/*.test.ts and src/**/*.test.ts, sorted. With
// --test-concurrency=2 the runner starts files in this order, so the long ones do not end up
// alone at the tail of the run with the second core idle. `node scripts/test-times.mjs` shows the
// per-file times to keep LONG current; a file named here that no longer exists is skipped.
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));

/**
 * Longest first, from the times scripts/test-times.mjs shows (and the last CI runs'): each starts
 * real nodes (several of them, or a node and Chromium) and runs for minutes on 2 busy cores. The
 * console's files (a node and a Chromium each) alternate with the others, so that two browsers
 * seldom run at once.
 */
export const LONG = [
  'test/net-faults/faults.test.ts',
  'test/console/flows.test.ts',
  'test/validator-change.test.ts',
  'test/tour.test.ts',
  'test/console/pages.test.ts',
  'test/market-e2e.test.ts',
  'test/scenario-medical.test.ts',
  'test/console/ops.test.ts',
  'test/cli.test.ts',
  'test/net-faults/xtx-partition.test.ts',
  'test/console/simulation.test.ts',
  'test/market-composite.test.ts',
  'test/indexer.test.ts',
  'test/console/market.test.ts',
  'test/cluster.test.ts',
  'test/gov-preset.test.ts',
  'test/console/permissions.test.ts',
  'test/scenarios.test.ts',
  'test/net-faults/nodes.test.ts',
  'test/console/external.test.ts',
  'test/pack.test.ts',
  'test/settlement-property.test.ts',
  'test/console/alerts.test.ts',
  'test/xchain-evm.test.ts',
  'test/privacy-e2e.test.ts',
  'test/statesync/statesync.test.ts',
  'test/data-e2e.test.ts',
  'test/scenario-trade.test.ts',
  'test/cli-vc.test.ts',
  'test/alarms.test.ts',
  'test/sandbox.test.ts',
  'test/settlement-rail.test.ts',
  'test/cli-governance.test.ts',
  'test/settlement-wait.test.ts',
  'test/contract-lifecycle.test.ts',
  'test/xchain-2pc-e2e.test.ts',
  'test/cli-did.test.ts',
];

function find(dir, out) {
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) find(p, out);
    else if (e.name.endsWith('.test.ts')) out.push(relative(root, p).split('\\').join('/'));
  }
  return out;
}

/** Every test file (paths relative to the checkout), long ones first. */
export function testFiles() {
  const all = [...find(join(root, 'test'), []).sort(), ...find(join(root, 'src'), []).sort()];
  const present = new Set(all);
  const long = LONG.filter((f) => present.has(f));
  const first = new Set(long);
  return [...long, ...all.filter((f) => !first.has(f))];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.stdout.write(`${testFiles().join('\n')}\n`);
}
