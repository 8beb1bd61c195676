import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { benchNodeArgs } from './cpu.ts';
import { createHash, randomBytes } from 'node:crypto';
import { fromHex } from '../../src/codec/index.ts';
import { generateKeyPair, verify, type Suite } from '../../src/crypto/index.ts';
import { signTx, txHashOf, txSigningMessage, type Tx } from '../../src/ledger/index.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface BenchNode {
  url: string;
  /** The node's data dir (its key is in `<dir>/node`); removed by `stop`. */
  dir: string;
  proc: ChildProcess;
  /** Stops the node; resolves to the CPU milliseconds its process used (all threads). */
  stop(): Promise<number>;
}

/** Starts a node in its own process on a free loopback port, as a user would run it. */
export async function startBenchNode(suite: Suite): Promise<BenchNode> {
  const dir = mkdtempSync(join(tmpdir(), 'shulian-bench-'));
  const proc = spawn(process.execPath, [...benchNodeArgs(), '--import', 'tsx', join(root, 'bench/lib/serve.ts'), dir, '0', suite], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /READY (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    proc.on('exit', (code) => reject(new Error(`bench node exited with ${code}`)));
  });
  return {
    url, proc, dir,
    stop: async () => {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
      if (process.env.BENCH_DEBUG) console.error(out);
      return Number(/CPU ([\d.]+)/.exec(out)?.[1] ?? NaN);
    },
  };
}

/** Pre-signs `count` notary txs from `senders` keys (sequential nonces per sender). */
export function presignNotaryTxs(suite: Suite, count: number, senders: number, chain = 'notary'): Tx[] {
  const keys = Array.from({ length: senders }, () => generateKeyPair(suite));
  const txs: Tx[] = [];
  const salt = randomBytes(16).toString('hex');
  for (let i = 0; i < count; i++) {
    const key = keys[i % senders]!;
    const digest = createHash('sha256').update(`${salt}:${i}`).digest('hex');
    txs.push(signTx(key, { chain, module: 'notary', method: 'put', args: { hash: digest, name: `doc-${i}` }, nonce: Math.floor(i / senders), expires: 1_000_000 }).tx);
  }
  return txs;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export interface LoadResult {
  committed: number;
  seconds: number;
  txPerSec: number;
  readP50Ms: number;
  readP99Ms: number;
  reads: number;
  rejected: number;
}

/**
 * Submits txs over HTTP in batches (a few requests in flight), counts commits from the
 * WebSocket stream, and meanwhile measures API read latency with a steady probe.
 */
export async function driveLoad(url: string, chain: string, txs: Tx[], opts: { batch?: number; inflight?: number } = {}): Promise<LoadResult> {
  const batch = opts.batch ?? 500;
  const inflight = opts.inflight ?? 3;
  const ws = new WebSocket(`${url.replace('http', 'ws')}/v1/stream?chains=${chain}&events=false`);
  let committed = 0;
  let lastCommit = 0;
  const allCommitted = new Promise<void>((resolve) => {
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString()) as { type: string; txCount?: number };
      if (m.type === 'block') {
        committed += m.txCount!;
        lastCommit = performance.now();
        if (committed >= txs.length) resolve();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    ws.on('message', function first(d) {
      if (JSON.parse(d.toString()).type === 'subscribed') {
        ws.off('message', first);
        resolve();
      }
    });
    ws.on('error', reject);
  });

  const bodies: string[] = [];
  for (let i = 0; i < txs.length; i += batch) bodies.push(JSON.stringify({ txs: txs.slice(i, i + batch) }));
  let rejected = 0;
  const start = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < bodies.length) {
      const body = bodies[next++]!;
      for (;;) {
        const res = await fetch(`${url}/v1/chains/${chain}/txs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        const json = (await res.json()) as { results?: Array<{ accepted: boolean; code?: string }> };
        if (res.status === 202) {
          const full = json.results!.filter((r) => !r.accepted && r.code === 'MEMPOOL_FULL').length;
          rejected += json.results!.filter((r) => !r.accepted && r.code !== 'MEMPOOL_FULL').length;
          if (full === 0) break;
          throw new Error('mempool full: lower inflight or batch');
        }
        throw new Error(`submit failed: ${res.status} ${JSON.stringify(json)}`);
      }
    }
  };
  const latencies: number[] = [];
  let probing = true;
  const probe = (async () => {
    while (probing) {
      const t0 = performance.now();
      const res = await fetch(`${url}/v1/chains/${chain}/state?key=${encodeURIComponent('notary/rec/' + '0'.repeat(64))}&proof=true`);
      await res.arrayBuffer();
      latencies.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  await Promise.all(Array.from({ length: inflight }, worker));
  if (rejected > 0) throw new Error(`${rejected} txs were rejected`);
  const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error(`only ${committed}/${txs.length} committed after 120 s`)), 120_000).unref());
  await Promise.race([allCommitted, timeout]);
  probing = false;
  await probe;
  ws.close();
  const seconds = (lastCommit - start) / 1000;
  if (process.env.BENCH_DEBUG) console.error('READS', latencies.map((l) => l.toFixed(0)).join(' '));
  latencies.sort((a, b) => a - b);
  return {
    committed, seconds, txPerSec: committed / seconds, rejected,
    readP50Ms: percentile(latencies, 50), readP99Ms: percentile(latencies, 99), reads: latencies.length,
  };
}

/**
 * CPU µs of one signature check, single thread, on this machine now: the check admission makes
 * (crypto `verify` over the tx's signing message), timed over the first txs given (their
 * hashes computed beforehand, outside the timing). What `overheadUsPerTx` subtracts.
 */
export function verifyUsPerTx(suite: Suite, txs: Tx[], ms = 1000): number {
  const items = txs.slice(0, 512).map((tx) => ({ pk: fromHex(tx.pubkey), msg: txSigningMessage(txHashOf(suite, tx)), sig: fromHex(tx.sig) }));
  let n = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    for (let i = 0; i < 16; i++, n++) {
      const it = items[n % items.length]!;
      if (!verify(suite, it.pk, it.msg, it.sig)) throw new Error('bench: a pre-signed tx failed to verify');
    }
  }
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / n;
}
