import type { Suite } from '../../src/crypto/index.ts';
import { driveLoad, presignNotaryTxs, startBenchNode } from './load.ts';

export async function runSoloBench(bench: string, suite: Suite, count: number, l: { limit: number; limitWhat: string; target: number }) {
  const txs = presignNotaryTxs(suite, count, 500);
  const node = await startBenchNode(suite);
  try {
    const r = await driveLoad(node.url, 'notary', txs);
    return {
      bench, value: Math.round(r.txPerSec), unit: 'tx/s', limit: Math.round(l.limit), limitWhat: l.limitWhat,
      ratio: Number((r.txPerSec / l.limit).toFixed(3)), target: l.target, txs: r.committed, seconds: Number(r.seconds.toFixed(2)),
      readP50Ms: Number(r.readP50Ms.toFixed(2)), readP99Ms: Number(r.readP99Ms.toFixed(2)), reads: r.reads,
    };
  } finally {
    await node.stop();
  }
}
