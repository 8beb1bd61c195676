import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import type { Suite } from '../../src/crypto/index.ts';
import type { Tx } from '../../src/ledger/index.ts';
import { prepareCluster } from '../../src/node/index.ts';
import { percentile, presignNotaryTxs, verifyUsPerTx } from './load.ts';
import { benchNodeArgs, procCpuMs } from './cpu.ts';
import { OVERHEAD_GOAL_US } from './solo.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(root, 'bin', 'shulian.mjs');

async function waitHealthy(url: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      const s = (await (await fetch(`${url}/v1/chains/notary/consensus`)).json()) as { height: number; validators: Array<{ up: boolean }> };
      if (s.height >= 1 && s.validators.every((v) => v.up)) return;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error(`cluster node ${url} not ready after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface DriveResult {
  committed: number;
  seconds: number;
  txPerSec: number;
  /** Submit-to-commit latencies, ms, sorted. */
  latencies: number[];
  /** When each commit was seen, ms after the first submission, in the order seen. */
  commitTimes: number[];
  /** Paced runs: how late each batch was sent after its due time, ms, sorted. */
  sendLagMs: number[];
}

/**
 * Submits pre-signed notary txs in batches (of 100 unless told) round-robin to the APIs, at most `rate` tx/s
 * (paced from the start: batch i is due at i ÷ rate); measures commits on node 1's event stream.
 */
export async function drive(apis: string[], txs: Tx[], rate: number, opts: { timeoutMs?: number; batch?: number } = {}): Promise<DriveResult> {
  const submittedAt = new Map<string, number>();
  const latencies: number[] = [];
  const commitTimes: number[] = [];
  let committed = 0;
  let lastCommit = 0;
  let start = 0;
  const ws = new WebSocket(`${apis[0]!.replace('http', 'ws')}/v1/stream?chains=notary`);
  const done = new Promise<void>((resolve) => {
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString()) as { type: string; data?: { hash?: string } };
      if (m.type !== 'event' || !m.data?.hash) return;
      const t = submittedAt.get(m.data.hash);
      if (t === undefined) return;
      const now = performance.now();
      latencies.push(now - t);
      commitTimes.push(now - start);
      committed++;
      lastCommit = now;
      if (committed >= txs.length) resolve();
    });
  });
  await new Promise((r) => ws.once('message', r));
  const batch = opts.batch ?? 100;
  start = performance.now();
  let next = 0;
  const sendLagMs: number[] = [];
  const worker = async (): Promise<void> => {
    while (next < txs.length) {
      const i = next;
      next += batch;
      const due = Number.isFinite(rate) ? start + (i / rate) * 1000 : undefined;
      if (due !== undefined) {
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      const slice = txs.slice(i, i + batch);
      const t = performance.now();
      if (due !== undefined) sendLagMs.push(t - due);
      for (const tx of slice) submittedAt.set((tx.args as { hash: string }).hash, t);
      const res = await fetch(`${apis[(i / batch) % apis.length]}/v1/chains/notary/txs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ txs: slice }) });
      const body = (await res.json()) as { results?: Array<{ accepted: boolean; message?: string }> };
      const bad = body.results?.find((r) => !r.accepted);
      if (res.status !== 202 || bad) throw new Error(`submit failed: ${res.status} ${bad?.message ?? ''}`);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  const timeoutMs = opts.timeoutMs ?? 180_000;
  const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error(`only ${committed}/${txs.length} committed after ${timeoutMs / 1000} s`)), timeoutMs).unref());
  await Promise.race([done, timeout]);
  ws.close();
  const seconds = (lastCommit - start) / 1000;
  latencies.sort((a, b) => a - b);
  sendLagMs.sort((a, b) => a - b);
  return { committed, seconds, txPerSec: committed / seconds, latencies, commitTimes, sendLagMs };
}

/**
 * Four validator processes under tbft on this machine (as `shulian up --validators 4` runs
 * them); pre-signed notary txs POSTed in batches round-robin to the four APIs; commits and
 * their latency measured from node 1's event stream.
 */
export async function runClusterBench(bench: string, suite: Suite, count: number, l: { limit: number; limitWhat: string; target: number; p50GoalMs: number; p99GoalMs?: number }) {
  const floodTxs = presignNotaryTxs(suite, count, 400);
  const verifyUs = verifyUsPerTx(suite, floodTxs);
  const dir = mkdtempSync(join(tmpdir(), 'shulian-tbft-bench-'));
  const base = 20_000 + Math.floor(Math.random() * 20_000);
  const layout = prepareCluster(dir, 4, base, base + 1000, suite);
  const procs: ChildProcess[] = layout.nodes.map((n) => spawn(process.execPath, [...benchNodeArgs(), CLI, 'node', '--config', n.configPath], { stdio: 'ignore' }));
  const apis = layout.nodes.map((n) => `http://127.0.0.1:${n.apiPort}`);
  try {
    await Promise.all(apis.map((u) => waitHealthy(u, 120_000)));
    // Phase 1: as fast as the cluster takes them — the throughput. Phase 2: a steady 70% of
    // that rate for a few seconds — submit-to-commit latency at a load the cluster sustains.
    const cpu0 = procs.map((p) => procCpuMs(p.pid!));
    const flood = await drive(apis, floodTxs, Infinity);
    const nodeCpuMs = procs.reduce((sum, p, i) => sum + procCpuMs(p.pid!) - cpu0[i]!, 0);
    // Every validator admits (verifies) every tx once and executes it: CPU per tx per node is
    // the four processes' CPU over the flood ÷ 4 ÷ committed txs; the signature check's share
    // is one single-thread verify.
    const nodeCpuUsPerTx = (nodeCpuMs * 1000) / procs.length / flood.committed;
    const rate = Math.max(50, Math.round(flood.txPerSec * 0.7));
    const paced = await drive(apis, presignNotaryTxs(suite, Math.round(rate * 6), 400), rate);
    return {
      bench, value: Math.round(flood.txPerSec), unit: 'tx/s', limit: Math.round(l.limit), limitWhat: l.limitWhat,
      ratio: Number((flood.txPerSec / l.limit).toFixed(3)), target: l.target, txs: flood.committed, seconds: Number(flood.seconds.toFixed(2)),
      p50Ms: Math.round(percentile(paced.latencies, 50)), p99Ms: Math.round(percentile(paced.latencies, 99)), latencyAtTxPerSec: rate,
      p50GoalMs: l.p50GoalMs, ...(l.p99GoalMs === undefined ? {} : { p99GoalMs: l.p99GoalMs }),
      floodP50Ms: Math.round(percentile(flood.latencies, 50)),
      nodeCpuUsPerTx: Math.round(nodeCpuUsPerTx), verifyUsPerTx: Math.round(verifyUs),
      overheadUsPerTx: Math.round(nodeCpuUsPerTx - verifyUs), overheadGoalUs: OVERHEAD_GOAL_US,
    };
  } finally {
    for (const p of procs) p.kill('SIGTERM');
    await Promise.all(procs.map((p) => new Promise((r) => (p.exitCode !== null ? r(null) : p.once('exit', r)))));
    rmSync(dir, { recursive: true, force: true });
  }
}
