/**
 * Settlement instructions settled per second on a real solo node over HTTP, each a three-way
 * revenue split with tax withheld (one journal entry over five accounts: payer, three payees,
 * the tax authority), SM2-signed, submitted in batches like any client would.
 *
 * Limit: the notary.put rate of the same node, measured in the same run on the same chain. A
 * notary record is the cheapest tx the platform has (one key written), so that rate is the
 * node's per-tx ceiling — HTTP, SM2 admission, consensus, LMDB commit — and the ratio is what the
 * settlement module's own work (split, tax, double-entry journal, period summaries) costs on top.
 * (The machine's SM2 verification rate would be a looser ceiling: the node does far more per tx
 * than verify a signature, so the notary rate is the tighter and more telling comparison.)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { didFromPublicKey, generateKeyPair, readKeystore, type KeyPair } from '../src/crypto/index.ts';
import { signTx, type Tx } from '../src/ledger/index.ts';
import { ShulianClient } from '../src/sdk/client.ts';
import { settleRegisterIssuer, settleTaxPolicy, settleTotals } from '../src/sdk/settlement.ts';
import { driveLoad, presignNotaryTxs } from './lib/load.ts';
import { benchNodeArgs } from './lib/cpu.ts';
import type { BenchResult } from './result.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const PAYERS = 300;
const INSTRUCTIONS = Number(process.env.SETTLE_BENCH_COUNT ?? 4_000);

async function startNode(dir: string): Promise<{ url: string; stop: () => Promise<void> }> {
  // SETTLE_BENCH_CPU_PROF=DIR writes the node's CPU profile there (node --cpu-prof), for finding where an instruction's time goes;
  // BENCH_NODE_ARGS passes any other Node options, as in solo-* and tbft-4* (soak, statesync and market do not take it).
  const prof = process.env.SETTLE_BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.SETTLE_BENCH_CPU_PROF}`] : [];
  const proc = spawn(process.execPath, [...benchNodeArgs(), ...prof, '--import', 'tsx', join(root, 'bench/lib/serve.ts'), dir, '0', 'sm2'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
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
    url,
    stop: async () => {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
    },
  };
}

export default async function run(): Promise<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'shulian-bench-settle-'));
  const node = await startNode(dir);
  try {
    const client = new ShulianClient({ baseUrl: node.url });
    const nodeDir = join(dir, 'node');
    const validator = readKeystore(join(nodeDir, 'key.json'), process.env.SHULIAN_NODE_PASSWORD ?? readFileSync(join(nodeDir, 'key.pass'), 'utf8').trim());
    const bank = generateKeyPair('sm2');
    const tax = generateKeyPair('sm2');
    const providers = Array.from({ length: 3 }, () => didFromPublicKey(generateKeyPair('sm2').publicKey));
    await settleRegisterIssuer(client, validator, { issuer: didFromPublicKey(bank.publicKey), name: 'Sandbox Bank (bench)', currencies: ['CNY'], rail: 'sandbox', sandbox: true });
    await settleTaxPolicy(client, validator, { authority: didFromPublicKey(tax.publicKey), rates: { service: 600 } });

    // Fund the payers (not timed), then pre-sign every instruction.
    const payers: KeyPair[] = Array.from({ length: PAYERS }, () => generateKeyPair('sm2'));
    const mints: Tx[] = payers.map((p, i) => signTx(bank, {
      chain: 'settle', module: 'settlement', method: 'mint', nonce: i, expires: 1_000_000,
      args: { to: didFromPublicKey(p.publicKey), currency: 'CNY', amount: '1000000000', ref: `bench-${i}` },
    }).tx);
    await driveLoad(node.url, 'settle', mints);
    const instructions: Tx[] = [];
    for (let i = 0; i < INSTRUCTIONS; i++) {
      const p = payers[i % PAYERS]!;
      instructions.push(signTx(p, {
        chain: 'settle', module: 'settlement', method: 'instruct', nonce: Math.floor(i / PAYERS), expires: 1_000_000,
        args: {
          idempotencyKey: `usage-${i}`, payer: didFromPublicKey(p.publicKey), currency: 'CNY', total: String(10_000 + (i % 997)),
          split: { by: 'bp', shares: [{ to: providers[0]!, share: 4000 }, { to: providers[1]!, share: 3500 }, { to: providers[2]!, share: 2500 }] },
          taxCategory: 'service', onInsufficientFunds: 'fail',
        },
      }).tx);
    }
    const before = (await settleTotals(client)).totals[0]!.entries;
    const r = await driveLoad(node.url, 'settle', instructions);
    const totals = await settleTotals(client);
    const settled = totals.totals[0]!.entries - before;
    if (settled !== INSTRUCTIONS || !totals.balanced) throw new Error(`bench: ${settled} of ${INSTRUCTIONS} instructions settled (books balanced: ${totals.balanced})`);
    const rate = settled / r.seconds;

    // The limit: notary.put on the same node and chain, same run, same batching.
    const notary = await driveLoad(node.url, 'settle', presignNotaryTxs('sm2', INSTRUCTIONS, PAYERS, 'settle'));
    return {
      bench: 'settle', value: Math.round(rate), unit: 'instructions/s',
      limit: Math.round(notary.txPerSec), limitWhat: 'notary.put tx/s on the same node and chain, measured in this run (the per-tx ceiling: HTTP, SM2 admission, consensus, LMDB)',
      ratio: Number((rate / notary.txPerSec).toFixed(3)),
      instructions: settled, seconds: Number(r.seconds.toFixed(2)), split: '3 payees + tax (5 accounts per journal entry)',
      readP50Ms: Number(r.readP50Ms.toFixed(2)), readP99Ms: Number(r.readP99Ms.toFixed(2)),
    };
  } finally {
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
