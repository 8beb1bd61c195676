import type { Suite } from '../../src/crypto/index.ts';
import { driveLoad, presignNotaryTxs, startBenchNode } from './load.ts';

export async function runSoloBench(bench: string, suite: Suite, count: number, l: { limit: number; limitWhat: string; target: number }) {
  const txs = presignNotaryTxs(suite, count, 500);
  const node = await startBenchNode(suite);
  let stopped = false;
  try {
    const cpu0 = process.cpuUsage();
    const r = await driveLoad(node.url, 'notary', txs);
    const clientCpu = process.cpuUsage(cpu0);
    stopped = true;
    const nodeCpuMs = await node.stop();
    return {
      bench, value: Math.round(r.txPerSec), unit: 'tx/s', limit: Math.round(l.limit), limitWhat: l.limitWhat,
      ratio: Number((r.txPerSec / l.limit).toFixed(3)), target: l.target, txs: r.committed, seconds: Number(r.seconds.toFixed(2)),
      readP50Ms: Number(r.readP50Ms.toFixed(2)), readP99Ms: Number(r.readP99Ms.toFixed(2)), reads: r.reads,
      // CPU spent per committed tx: by the node (every thread) and by this load generator.
      nodeCpuUsPerTx: Math.round((nodeCpuMs * 1000) / r.committed),
      clientCpuUsPerTx: Math.round((clientCpu.user + clientCpu.system) / r.committed),
    };
  } finally {
    if (!stopped) await node.stop();
  }
}
