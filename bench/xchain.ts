/**
 * `npm run bench -- xchain`: messages relayed between two native chains of one node (sign →
 * notary) by its gateway, with proofs verified on arrival and acknowledgements proven back.
 *
 * - value: messages/s from the first submission until the last one is received on the
 *   destination (3,000 messages from 100 senders, sent in batches).
 * - limit: the rate at which the source chain committed the same sends in the same run — the
 *   most the relay could keep up with; ratio = relayed / sent.
 * - latency: 50 messages one at a time, from submission to execution on the destination; the
 *   reference is the chains' block interval (commit latency of a tx on the source chain),
 *   with the target p50 ≤ 2 × interval + 200 ms.
 */
import { generateKeyPair } from '../src/crypto/index.ts';
import { signTx, type Tx } from '../src/ledger/index.ts';
import { ShulianClient } from '../src/sdk/index.ts';
import { percentile, startBenchNode } from './lib/load.ts';
import type { BenchResult } from './result.ts';

const SRC = 'sign';
const DST = 'notary';
const N = Number(process.env.XCHAIN_MESSAGES ?? 3000);
const SENDERS = 100;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(check: () => Promise<T | undefined | false>, what: string, timeoutMs: number, pollMs = 5): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`xchain bench: timed out waiting for ${what}`);
    await sleep(pollMs);
  }
}

export default async function xchainBench(): Promise<BenchResult> {
  const node = await startBenchNode('sm2');
  try {
    const c = new ShulianClient({ baseUrl: node.url });
    await until(async () => (await c.state(SRC, `xchain/route/${DST}`)).value !== null && (await c.state(DST, `xchain/route/${SRC}`)).value !== null, 'routes', 60_000, 50);
    const received = async () => ((await c.state(DST, 'xchain/log/count')).value as number | null) ?? 0;

    // Latency, one message at a time.
    const key = generateKeyPair('sm2');
    const lat: number[] = [];
    const commit: number[] = [];
    for (let i = 0; i < 50; i++) {
      const before = await received();
      const t0 = performance.now();
      const hash = await c.send(SRC, key, { module: 'xchain', method: 'send', args: { dstChain: DST, dstPort: 'xchain', payload: { i } } });
      await c.waitForTx(hash, { intervalMs: 2 });
      commit.push(performance.now() - t0);
      await until(async () => (await received()) > before, 'a message to arrive', 30_000, 2);
      lat.push(performance.now() - t0);
    }
    lat.sort((a, b) => a - b);
    commit.sort((a, b) => a - b);
    const interval = percentile(commit, 50);
    if (process.env.BENCH_DEBUG) console.error(`latency phase done: p50 ${percentile(lat, 50)} ms`);

    // Throughput.
    const keys = Array.from({ length: SENDERS }, () => generateKeyPair('sm2'));
    const txs: Tx[] = [];
    for (let i = 0; i < N; i++) {
      const k = keys[i % SENDERS]!;
      txs.push(signTx(k, { chain: SRC, module: 'xchain', method: 'send', args: { dstChain: DST, dstPort: 'xchain', payload: { n: i } }, nonce: Math.floor(i / SENDERS), expires: 1_000_000 }).tx);
    }
    const base = await received();
    const sentBase = ((await c.state(SRC, `xchain/seq/${DST}`)).value as number | null) ?? 0;
    const t0 = performance.now();
    for (let i = 0; i < txs.length; i += 200) {
      const refused = (await c.submitBatch(SRC, txs.slice(i, i + 200))).filter((r) => !r.accepted);
      if (refused.length) throw new Error(`xchain bench: ${refused.length} sends refused, e.g. ${JSON.stringify(refused[0])}`);
    }
    let sentAt = 0;
    await until(async () => {
      const seq = ((await c.state(SRC, `xchain/seq/${DST}`)).value as number | null) ?? 0;
      if (!sentAt && seq - sentBase >= N) sentAt = performance.now();
      return (await received()) - base >= N;
    }, `${N} messages to arrive`, 300_000, 20);
    const seconds = (performance.now() - t0) / 1000;
    const sendSeconds = ((sentAt || performance.now()) - t0) / 1000;
    const rate = N / seconds;
    const sendRate = N / sendSeconds;
    return {
      bench: 'xchain', value: Math.round(rate), unit: 'msg/s', limit: Math.round(sendRate),
      limitWhat: `rate the source chain committed the same ${N} sends in this run`, ratio: Number((rate / sendRate).toFixed(3)),
      target: 1000, messages: N, seconds: Number(seconds.toFixed(2)),
      latencyP50Ms: Number(percentile(lat, 50).toFixed(1)), latencyP99Ms: Number(percentile(lat, 99).toFixed(1)),
      blockIntervalMs: Number(interval.toFixed(1)), latencyTargetMs: Number((2 * interval + 200).toFixed(1)),
    };
  } finally {
    await node.stop();
  }
}
