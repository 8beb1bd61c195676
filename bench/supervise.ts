/**
 * The supervision rule engine against the node it watches (issue #18): a real solo node in its
 * own process runs its embedded supervision service with 20 published rules (5 windowed);
 * SM2-signed settlement transfers are POSTed in batches and committed.
 *
 * - limit: the rate at which the node committed those transfers in this run;
 * - value: txs evaluated per second by the rule engine (the same 20 rules) over the recorded
 *   stream of those committed blocks, replayed in this process;
 * - ratio = value ÷ limit (target ≥ 1: the engine keeps up with the node's full commit rate);
 * - alertP50Ms / alertP95Ms: from the commit of the block holding a tx (the node's block stream)
 *   to the alert it raised arriving on the WebSocket alert stream (target: p95 within one block
 *   interval);
 * - blockIntervalMs: the mean time between the load's blocks.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { didFromPublicKey, generateKeyPair, readKeystore, type KeyPair } from '../src/crypto/index.ts';
import { signTx, type Block, type Tx } from '../src/ledger/index.ts';
import { checkRule, observationsOf, type Observation, type RuleSpec } from '../src/rules/index.ts';
import { ConsoleClient, ShulianClient, govPropose, govVote, supPublishCall, supSetListCall } from '../src/sdk/index.ts';
import { settleRegisterIssuer } from '../src/sdk/settlement.ts';
import { RuleEngine, type ActiveRule } from '../src/supervision/index.ts';
import { driveLoad, percentile, startBenchNode } from './lib/load.ts';
import type { BenchResult } from './result.ts';

const PAYERS = 200;
const TRANSFERS = Number(process.env.SUPERVISE_BENCH_COUNT ?? 4_000);

/** 20 rules: 10 field conditions, 2 lists, 2 sequences, 1 template, 5 windows (sums and counts). */
function rules(): RuleSpec[] {
  const base = { severity: 'medium' as const, scope: { chains: ['settle'] } };
  const match = (id: string, when: string): RuleSpec => ({ ...base, id, title: id, kind: 'match', when });
  return [
    match('big-transfer', 'tx.method == "transfer" && int(tx.args.amount) > 900000000'),
    match('self-memo', 'tx.method == "transfer" && has(tx.args.memo) && tx.args.memo.contains("self")'),
    match('failed-transfer', 'tx.method == "transfer" && !ok'),
    match('odd-currency', 'tx.method == "transfer" && tx.args.currency != "CNY"'),
    match('mint-large', 'tx.method == "mint" && int(tx.args.amount) > 100000000000'),
    match('withdrawal', 'tx.method == "withdraw" && int(tx.args.amount) > 1000000'),
    match('issuer-change', 'tx.method == "registerIssuer" || tx.method == "revokeIssuer"'),
    match('tax-change', 'tx.method == "taxPolicy"'),
    match('many-events', 'size(events) > 20'),
    match('round-amount', 'tx.method == "transfer" && int(tx.args.amount) % 100000000 == 0 && int(tx.args.amount) > 0'),
    match('sanctioned-sender', 'tx.from in lists.sanctioned'),
    match('sanctioned-payee', 'tx.method == "transfer" && tx.args.to in lists.sanctioned'),
    { ...base, id: 'mint-then-withdraw', title: 'mint then withdraw', kind: 'sequence', first: 'tx.method == "mint"', then: 'tx.method == "withdraw"', by: 'tx.args.to', withinBlocks: 50 },
    { ...base, id: 'hold-then-release', title: 'hold then release', kind: 'sequence', first: 'tx.method == "hold"', then: 'tx.method == "release"', by: 'tx.from', withinBlocks: 50 },
    { ...base, id: 'unapproved-template', title: 'unapproved template', kind: 'template' },
    // Windows: per payer, per payee and per currency; thresholds that fire during the run.
    { ...base, id: 'payer-sum', title: 'payer sum', kind: 'window', when: 'tx.method == "transfer" && ok', by: 'tx.from', sum: 'int(tx.args.amount)', over: '90000', windowMs: 3_600_000 },
    { ...base, id: 'payer-count', title: 'payer count', kind: 'window', when: 'tx.method == "transfer" && ok', by: 'tx.from', over: '15', windowMs: 3_600_000 },
    { ...base, id: 'payee-sum', title: 'payee sum', kind: 'window', when: 'tx.method == "transfer" && ok', by: 'tx.args.to', sum: 'int(tx.args.amount)', over: '5000000', windowMs: 3_600_000 },
    { ...base, id: 'pair-count', title: 'pair count', kind: 'window', when: 'tx.method == "transfer" && ok', by: 'tx.from + ">" + tx.args.to', over: '30', windowMs: 600_000 },
    { ...base, id: 'currency-sum', title: 'currency sum', kind: 'window', when: 'tx.method == "transfer" && ok', by: 'tx.args.currency', sum: 'int(tx.args.amount)', over: '1000000000', windowMs: 60_000 },
  ];
}

async function until<T>(check: () => Promise<T | undefined>, what: string, ms = 120_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export default async function run(): Promise<BenchResult> {
  const node = await startBenchNode('sm2');
  try {
    const c = new ShulianClient({ baseUrl: node.url });
    const nodeDir = join(node.dir, 'node');
    const op = readKeystore(join(nodeDir, 'key.json'), process.env.SHULIAN_NODE_PASSWORD ?? readFileSync(join(nodeDir, 'key.pass'), 'utf8').trim());
    await until(async () => ((await (await fetch(`${node.url}/v1/gov`)).json()) as { operator?: string }).operator, 'governance init');
    const reg = generateKeyPair('sm2');
    const p = await govPropose(c, op, { kind: 'register-regulator', regulator: { did: didFromPublicKey(reg.publicKey), name: 'Bench regulator', chains: ['*'] } });
    await govVote(c, op, p.id, 'yes');
    const sanctioned = Array.from({ length: 500 }, () => didFromPublicKey(generateKeyPair('ed25519').publicKey));
    await c.waitForTx(await c.send('gov', reg, supSetListCall('sanctioned', sanctioned)));
    const specs = rules();
    for (const r of specs) {
      const t = await c.waitForTx(await c.send('gov', reg, supPublishCall(r)));
      if (t.receipt.status !== 'ok') throw new Error(`bench: rule ${r.id}: ${t.receipt.message}`);
    }
    await until(async () => (((await (await fetch(`${node.url}/v1/supervision/status`)).json()) as { rules: number }).rules === specs.length ? true : undefined), 'the rules to load');

    // Funds (not timed), then the transfers, pre-signed.
    const bank = generateKeyPair('sm2');
    await settleRegisterIssuer(c, op, { issuer: didFromPublicKey(bank.publicKey), name: 'Bench Bank', currencies: ['CNY'], rail: 'sandbox', sandbox: true });
    const payers: KeyPair[] = Array.from({ length: PAYERS }, () => generateKeyPair('sm2'));
    const payees = Array.from({ length: 50 }, () => didFromPublicKey(generateKeyPair('sm2').publicKey));
    const mints: Tx[] = payers.map((k, i) => signTx(bank, {
      chain: 'settle', module: 'settlement', method: 'mint', nonce: i, expires: 1_000_000,
      args: { to: didFromPublicKey(k.publicKey), currency: 'CNY', amount: '1000000000', ref: `bench-${i}` },
    }).tx);
    await driveLoad(node.url, 'settle', mints);
    const transfers: Tx[] = [];
    for (let i = 0; i < TRANSFERS; i++) {
      const k = payers[i % PAYERS]!;
      transfers.push(signTx(k, {
        chain: 'settle', module: 'settlement', method: 'transfer', nonce: Math.floor(i / PAYERS), expires: 1_000_000,
        args: { to: payees[i % payees.length]!, currency: 'CNY', amount: String(1_000 + (i % 9_000)) },
      }).tx);
    }

    // Alerts as they arrive on the stream, for the latency from block time to delivery.
    const console_ = new ConsoleClient({ baseUrl: node.url });
    await console_.login(reg);
    const ws = new WebSocket(`${node.url.replace('http', 'ws')}/v1/supervision/stream`, { headers: { authorization: `Bearer ${console_.token}` } });
    // Commit → delivery: when the node announced each block (its block stream), and when each alert arrived.
    const committedAt = new Map<number, number>();
    const arrived: Array<{ height: number; at: number }> = [];
    const blocksWs = new WebSocket(`${node.url.replace('http', 'ws')}/v1/stream?chains=settle&events=false`);
    blocksWs.on('message', (d) => {
      const m = JSON.parse(d.toString()) as { type: string; height?: number };
      if (m.type === 'block') committedAt.set(m.height!, performance.now());
    });
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString()) as { type: string; alert?: { height: number } };
      if (m.type === 'alert') arrived.push({ height: m.alert!.height, at: performance.now() });
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('message', () => resolve());
      ws.once('error', reject);
    });
    const from = (await c.chain('settle')).height + 1;
    const load = await driveLoad(node.url, 'settle', transfers);
    const to = (await c.chain('settle')).height;
    await until(async () => {
      const s = (await (await fetch(`${node.url}/v1/supervision/status`)).json()) as { chains: Record<string, { height: number }> };
      return (s.chains.settle?.height ?? 0) >= to ? true : undefined;
    }, 'the embedded service to catch up');
    await new Promise((r) => setTimeout(r, 200));
    ws.close();
    blocksWs.close();
    const latencies = arrived.filter((a) => committedAt.has(a.height)).map((a) => a.at - committedAt.get(a.height)!);
    // The recorded stream: the committed blocks of the load.
    const blocks: Block[] = [];
    for (let h = from; h <= to; h++) blocks.push(await c.block('settle', h));
    const stream: Observation[] = blocks.flatMap((b) => observationsOf(b)).filter((o) => o.method === 'transfer');
    const withTxs = blocks.filter((b) => b.txs.length > 0);
    const intervals = withTxs.slice(1).map((b, i) => b.header.time - withTxs[i]!.header.time);
    const blockIntervalMs = intervals.length ? intervals.reduce((a, b) => a + b, 0) / intervals.length : NaN;

    // The engine over it: the same 20 rules, in this process, repeated for at least a second.
    const active: ActiveRule[] = specs.map((s) => ({ id: s.id, version: 1, owner: 'did:shulian:bench', chains: '*', compiled: checkRule(s) }));
    const listMap = { sanctioned: Object.fromEntries(sanctioned.map((d) => [d, true as const])) };
    let evaluated = 0;
    let alerts = 0;
    const t0 = performance.now();
    do {
      const engine = new RuleEngine();
      engine.setRules(active, { lists: listMap, templates: new Set(), codes: new Set(), govHeight: 1 });
      for (const o of stream) alerts += engine.observe(o).length;
      evaluated += stream.length;
    } while (performance.now() - t0 < 1_000);
    const seconds = (performance.now() - t0) / 1000;
    const rate = evaluated / seconds;
    latencies.sort((a, b) => a - b);
    return {
      bench: 'supervise', value: Math.round(rate), unit: 'txs evaluated/s (20 rules, 5 windowed)',
      limit: Math.round(load.txPerSec), limitWhat: 'settlement transfers/s the same node committed in this run (SM2, HTTP batches of 500)',
      ratio: Number((rate / load.txPerSec).toFixed(2)),
      txs: stream.length, alertsPerPass: Math.round(alerts / (evaluated / stream.length)), alertsDelivered: arrived.length,
      alertP50Ms: Number(percentile(latencies, 50).toFixed(1)), alertP95Ms: Number(percentile(latencies, 95).toFixed(1)),
      blockIntervalMs: Number(blockIntervalMs.toFixed(1)),
      alertTargetMet: percentile(latencies, 95) <= blockIntervalMs,
    };
  } finally {
    await node.stop();
  }
}
