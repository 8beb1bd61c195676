import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import type { Suite } from '../../src/crypto/index.ts';
import type { Tx } from '../../src/ledger/index.ts';
import { prepareCluster } from '../../src/node/index.ts';
import { percentile, presignNotaryTxs } from './load.ts';

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

/**
 * Four validator processes under tbft on this machine (as `shulian up --validators 4` runs
 * them); pre-signed notary txs POSTed in batches round-robin to the four APIs; commits and
 * their latency measured from node 1's event stream.
 */
export async function runClusterBench(bench: string, suite: Suite, count: number, l: { limit: number; limitWhat: string; target: number }) {
  const dir = mkdtempSync(join(tmpdir(), 'shulian-tbft-bench-'));
  const base = 20_000 + Math.floor(Math.random() * 20_000);
  const layout = prepareCluster(dir, 4, base, base + 1000, suite);
  const procs: ChildProcess[] = layout.nodes.map((n) => spawn(process.execPath, [CLI, 'node', '--config', n.configPath], { stdio: 'ignore' }));
  const apis = layout.nodes.map((n) => `http://127.0.0.1:${n.apiPort}`);
  try {
    await Promise.all(apis.map((u) => waitHealthy(u, 120_000)));
    const txs: Tx[] = presignNotaryTxs(suite, count, 400);
    const submittedAt = new Map<string, number>();
    const latencies: number[] = [];
    let committed = 0;
    let lastCommit = 0;
    const ws = new WebSocket(`${apis[0]!.replace('http', 'ws')}/v1/stream?chains=notary`);
    const done = new Promise<void>((resolve) => {
      ws.on('message', (d) => {
        const m = JSON.parse(d.toString()) as { type: string; data?: { hash?: string } };
        if (m.type !== 'event' || !m.data?.hash) return;
        const t = submittedAt.get(m.data.hash);
        if (t === undefined) return;
        const now = performance.now();
        latencies.push(now - t);
        committed++;
        lastCommit = now;
        if (committed >= txs.length) resolve();
      });
    });
    await new Promise((r) => ws.once('message', r));
    const batch = 200;
    const start = performance.now();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < txs.length) {
        const i = next;
        next += batch;
        const slice = txs.slice(i, i + batch);
        const t = performance.now();
        for (const tx of slice) submittedAt.set((tx.args as { hash: string }).hash, t);
        const res = await fetch(`${apis[(i / batch) % 4]}/v1/chains/notary/txs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ txs: slice }) });
        const body = (await res.json()) as { results?: Array<{ accepted: boolean; message?: string }> };
        const bad = body.results?.find((r) => !r.accepted);
        if (res.status !== 202 || bad) throw new Error(`submit failed: ${res.status} ${bad?.message ?? ''}`);
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error(`only ${committed}/${txs.length} committed after 180 s`)), 180_000).unref());
    await Promise.race([done, timeout]);
    ws.close();
    const seconds = (lastCommit - start) / 1000;
    latencies.sort((a, b) => a - b);
    const value = committed / seconds;
    return {
      bench, value: Math.round(value), unit: 'tx/s', limit: Math.round(l.limit), limitWhat: l.limitWhat,
      ratio: Number((value / l.limit).toFixed(3)), target: l.target, txs: committed, seconds: Number(seconds.toFixed(2)),
      p50Ms: Math.round(percentile(latencies, 50)), p99Ms: Math.round(percentile(latencies, 99)),
    };
  } finally {
    for (const p of procs) p.kill('SIGTERM');
    await Promise.all(procs.map((p) => new Promise((r) => (p.exitCode !== null ? r(null) : p.once('exit', r)))));
    rmSync(dir, { recursive: true, force: true });
  }
}
