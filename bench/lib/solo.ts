import type { Suite } from '../../src/crypto/index.ts';
import { runAnvilPeer } from './anvil.ts';
import { numberOption } from './args.ts';
import { procCpuMs } from './cpu.ts';
import { driveLoad, presignNotaryTxs, startBenchNode, verifyUsPerTx } from './load.ts';

/** The goal for the node's CPU per committed tx beyond the signature check (issue #20). */
export const OVERHEAD_GOAL_US = 100;

/**
 * One solo node in its own process, loaded over HTTP with pre-signed notary txs; beside it, in
 * the same run, anvil taking pre-signed transfers (bench/lib/anvil.ts). CPU per tx is the
 * node's CPU over the load window (from /proc, every thread) ÷ committed txs; the signature
 * check's share is one single-thread verify of the same suite, measured in this run.
 */
export async function runSoloBench(bench: string, suite: Suite, count: number, l: { limit: number; limitWhat: string; target: number }) {
  const txs = presignNotaryTxs(suite, count, 500);
  const verifyUs = verifyUsPerTx(suite, txs);
  const node = await startBenchNode(suite);
  let stopped = false;
  let load;
  let nodeCpuMs: number;
  let clientCpu;
  try {
    const cpuStart = procCpuMs(node.proc.pid!);
    const cpu0 = process.cpuUsage();
    load = await driveLoad(node.url, 'notary', txs);
    clientCpu = process.cpuUsage(cpu0);
    nodeCpuMs = procCpuMs(node.proc.pid!) - cpuStart;
    stopped = true;
    await node.stop();
  } finally {
    if (!stopped) await node.stop();
  }
  const r = load;
  const nodeCpuUsPerTx = (nodeCpuMs * 1000) / r.committed;
  const anvil = await runAnvilPeer(numberOption('anvil-txs', 'BENCH_ANVIL_TXS', 10_000));
  return {
    bench, value: Math.round(r.txPerSec), unit: 'tx/s', limit: Math.round(l.limit), limitWhat: l.limitWhat,
    ratio: Number((r.txPerSec / l.limit).toFixed(3)), target: l.target, txs: r.committed, seconds: Number(r.seconds.toFixed(2)),
    readP50Ms: Number(r.readP50Ms.toFixed(2)), readP99Ms: Number(r.readP99Ms.toFixed(2)), readP99GoalMs: 20, reads: r.reads,
    // CPU per committed tx: by the node over the load window (every thread), its signature check
    // (one single-thread verify), the rest (the goal: ≤ 100 µs), and this load generator.
    nodeCpuUsPerTx: Math.round(nodeCpuUsPerTx),
    verifyUsPerTx: Math.round(verifyUs),
    overheadUsPerTx: Math.round(nodeCpuUsPerTx - verifyUs), overheadGoalUs: OVERHEAD_GOAL_US,
    clientCpuUsPerTx: Math.round((clientCpu.user + clientCpu.system) / r.committed),
    ...anvil,
    ...('anvilTxPerSec' in anvil ? { ratioToAnvil: Number((r.txPerSec / anvil.anvilTxPerSec).toFixed(3)), cpuPerTxToAnvil: Number((nodeCpuUsPerTx / anvil.anvilCpuUsPerTx).toFixed(2)) } : {}),
  };
}
