/**
 * The simulation sandbox (issue #24): on a real LMDB chain holding SANDBOX_BENCH_KEYS state keys
 * (default 10⁶) and a history of SANDBOX_BENCH_TXS notary txs (default 10,000): the time to
 * fork it at its head (copy-on-write: nothing is copied), simulation latency p50/p95 of one tx
 * and of a 5-tx bundle, next to executing the same number of txs in a real block (propose,
 * execute, commit) in the same run, and the state-root divergences of replaying the history on a
 * fork. Targets: fork under 500 ms, one tx p95 under 50 ms, 0 divergences.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { toHex } from '../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair } from '../src/crypto/index.ts';
import { AdmissionPool, Chain, type NodeView } from '../src/chain/index.ts';
import { signTx, type Genesis, type Tx } from '../src/ledger/index.ts';
import { builtinModules } from '../src/modules/index.ts';
import { DEFAULT_PARAMS } from '../src/node/index.ts';
import { method, type ModuleDef } from '../src/runtime/index.ts';
import { SimulationSandbox } from '../src/sandbox/index.ts';
import { percentile, presignNotaryTxs } from './lib/load.ts';
import type { BenchResult } from './result.ts';

const KEYS = Number(process.env.SANDBOX_BENCH_KEYS ?? 1_000_000);
const HISTORY = Number(process.env.SANDBOX_BENCH_TXS ?? 10_000);
const PER_TX = 20_000;
const SAMPLES = 200;

/** Fills state fast: one tx writes `n` keys (bench only). */
const fillModule: ModuleDef = {
  name: 'fill', description: 'bench: writes many keys',
  methods: {
    fill: method({
      doc: 'write keys k/<from>..k/<from+n-1>', gas: 0,
      args: z.strictObject({ from: z.number().int().min(0), n: z.number().int().min(1).max(PER_TX) }),
      run(ctx, a) {
        for (let i = a.from; i < a.from + a.n; i++) ctx.set(`k/${i}`, i);
      },
    }),
  },
};

export default async function run(): Promise<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'shulian-bench-sandbox-'));
  const validator = generateKeyPair('sm2');
  const genesis: Genesis = {
    chain: 'notary', alliance: 'bench', name: 'Notarisation chain', nameZh: '存证链', kind: 'public-service', suite: 'sm2',
    consensus: { type: 'solo' }, validators: [{ did: didFromPublicKey(validator.publicKey), publicKey: toHex(validator.publicKey), power: 1 }],
    modules: ['notary', 'fill'], params: { ...DEFAULT_PARAMS, maxTxGas: 10_000_000_000 }, time: 1_700_000_000_000,
  };
  const pool = new AdmissionPool({ threads: 1 });
  const chain = await Chain.open({ genesis, dir: join(dir, 'chain'), modules: [...builtinModules, fillModule], admission: pool, validatorKey: validator });
  const node: NodeView = {
    did: 'did:shulian:bench', version: 'bench', startedAt: 0, chains: () => [chain], chain: (id) => (id === chain.id ? chain : undefined),
    findTx: () => undefined, consensus: () => undefined,
  };
  let now = Date.now();
  const produce = async (txs: Tx[]): Promise<void> => {
    const results = await chain.submit(txs);
    const refused = results.find((r) => !r.accepted);
    if (refused && !refused.accepted) throw new Error(`${refused.code}: ${refused.message}`);
    while (chain.hasPendingTxs()) await chain.produceBlock((now = Math.max(now + 1, Date.now())));
  };
  try {
    // State: KEYS keys, 5 fill txs per block.
    const filler = generateKeyPair('sm2');
    const t0 = performance.now();
    const fills: Tx[] = [];
    for (let i = 0, k = 0; k < KEYS; i++, k += PER_TX) {
      fills.push(signTx(filler, { chain: 'notary', module: 'fill', method: 'fill', args: { from: k, n: Math.min(PER_TX, KEYS - k) }, nonce: i, expires: 1_000_000 }).tx);
    }
    for (let i = 0; i < fills.length; i += 5) await produce(fills.slice(i, i + 5));
    const fillMs = performance.now() - t0;
    // History: HISTORY notary txs in blocks of up to 1000.
    const historyFrom = chain.height();
    const history = presignNotaryTxs('sm2', HISTORY, 50);
    for (let i = 0; i < history.length; i += 1000) await produce(history.slice(i, i + 1000));
    const head = chain.height();

    const sandbox = new SimulationSandbox(node, { limits: { maxForks: SAMPLES + 10 } });
    const forkTimes: number[] = [];
    for (let i = 0; i < 50; i++) {
      const f0 = performance.now();
      const f = sandbox.fork([{ chain: 'notary' }]);
      forkTimes.push(performance.now() - f0);
      sandbox.drop(f.id);
    }
    const fork = sandbox.fork([{ chain: 'notary' }]);
    const who = didFromPublicKey(generateKeyPair('sm2').publicKey);
    let seq = 0;
    const put = () => ({ chain: 'notary', from: who, module: 'notary', method: 'put', args: { hash: createHash('sha256').update(`sim-${seq++}`).digest('hex') } });
    const time = async (n: number): Promise<number[]> => {
      const out: number[] = [];
      for (let i = 0; i < SAMPLES; i++) {
        const s0 = performance.now();
        const r = await sandbox.simulate(fork.id, { txs: Array.from({ length: n }, put) });
        out.push(performance.now() - s0);
        if (r.receipts.some((x) => x.status !== 'ok')) throw new Error(`simulated tx failed: ${JSON.stringify(r.receipts[0])}`);
      }
      return out.sort((a, b) => a - b);
    };
    const one = await time(1);
    const five = await time(5);
    // The same txs in real blocks: propose, execute, commit (durable), 20 each.
    const real = async (n: number): Promise<number[]> => {
      const out: number[] = [];
      const key = generateKeyPair('sm2');
      let nonce = 0;
      for (let i = 0; i < 20; i++) {
        const txs = Array.from({ length: n }, () => signTx(key, { chain: 'notary', module: 'notary', method: 'put', args: { hash: createHash('sha256').update(`real-${seq++}`).digest('hex') }, nonce: nonce++, expires: 1_000_000 }).tx);
        const b0 = performance.now();
        await produce(txs);
        out.push(performance.now() - b0);
      }
      return out.sort((a, b) => a - b);
    };
    const realOne = await real(1);
    const realFive = await real(5);
    const replay = await sandbox.replay('notary', historyFrom, head);
    const forkMs = percentile(forkTimes.sort((a, b) => a - b), 50);
    const txP95Ms = percentile(one, 95);
    const r2 = (x: number) => Number(x.toFixed(2));
    return {
      bench: 'sandbox', value: r2(txP95Ms), unit: 'ms', limit: 50, limitWhat: 'simulation of one tx, p95 (issue #24 target)', ratio: r2(txP95Ms / 50),
      stateKeys: KEYS, historyTxs: replay.txs, forkMs: r2(forkMs), forkLimitMs: 500,
      txP50Ms: r2(percentile(one, 50)), txP95Ms: r2(txP95Ms), bundleP50Ms: r2(percentile(five, 50)), bundleP95Ms: r2(percentile(five, 95)),
      blockTxP50Ms: r2(percentile(realOne, 50)), blockBundleP50Ms: r2(percentile(realFive, 50)),
      divergences: replay.divergences.length, replayMs: replay.ms, fillSeconds: r2(fillMs / 1000),
    };
  } finally {
    await chain.close();
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
