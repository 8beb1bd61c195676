/**
 * `npm run bench -- tokens` (issue #19): coupon redemptions per second (`value`) and carbon-point
 * issuances per second (`carbonPerSec`) committed on a solo business chain made through
 * governance, against notary.put tx/s committed on the same chain in the same run (`ratio` =
 * redemptions/s ÷ notary tx/s; target ≥ 0.7). Every redemption is a distinct coupon authorised
 * by its holder; every issuance a distinct trip. After each load the chain's own counters are
 * checked (all redeemed, budget not exceeded, every trip credited once).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNode } from '../src/node/index.ts';
import { didFromPublicKey, generateKeyPair, readKeystore, type KeyPair } from '../src/crypto/index.ts';
import { signTx, type Tx } from '../src/ledger/index.ts';
import { ShulianClient, carbonStats, getCampaign, proposeMethodology } from '../src/sdk/index.ts';
import { Reporter } from '../src/scenarios/report.ts';
import { ensureBusinessChain } from '../src/scenarios/chain.ts';
import type { BenchResult } from './result.ts';
import { driveLoad, presignNotaryTxs } from './lib/load.ts';

const SUITE = 'ed25519';
const CHAIN = 'tokens-bench';
const NOTARY_TXS = 6_000;
const COUPONS = 4_000;
const TRIPS = 6_000;
const SENDERS = 50;
/** Recorders of one methodology: at most CARBON_LIMITS.recorders. */
const PLATFORMS = 32;
const did = (k: KeyPair) => didFromPublicKey(k.publicKey);
const phase = (what: string): void => {
  if (process.env.BENCH_DEBUG) console.error(`tokens bench: ${what}`);
};

/** Signs the calls with sequential nonces per sender, from `first` (senders that already sent start later). */
function presign(chain: string, calls: Array<[KeyPair, string, string, Record<string, unknown>]>, first: Map<string, number> = new Map()): Tx[] {
  const nonces = new Map(first);
  return calls.map(([k, module, method, args]) => {
    const n = nonces.get(did(k)) ?? 0;
    nonces.set(did(k), n + 1);
    return signTx(k, { chain, module, method, args: args as never, nonce: n, expires: 1_000_000 }).tx;
  });
}

export default async function run(): Promise<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'shulian-bench-'));
  const running = await startNode({ dataDir: dir, port: 0, suite: SUITE, log: (m: string) => phase(`node: ${m}`), api: { rateLimitPerMinute: 100_000_000 } });
  try {
    const url = running.url;
    const c = new ShulianClient({ baseUrl: url });
    const operator = readKeystore(join(dir, 'node', 'key.json'), readFileSync(join(dir, 'node', 'key.pass'), 'utf8').trim());
    await ensureBusinessChain(c, operator, { chain: CHAIN, name: 'Token bench chain', nameZh: '通证基准链', modules: ['notary', 'coupon', 'carbon'] }, new Reporter(url));
    const opts = { chain: CHAIN, timeoutMs: 60_000 };

    phase('chain ready');
    // The limit: notary.put on the same chain.
    const notary = await driveLoad(url, CHAIN, presignNotaryTxs(SUITE, NOTARY_TXS, 200, CHAIN));

    // Coupons: SENDERS campaigns (one issuer each: a sender's mempool quota is bounded), COUPONS
    // holders, SENDERS merchants; issue and authorise first (not timed).
    const malls = Array.from({ length: SENDERS }, () => generateKeyPair(SUITE));
    const merchants = Array.from({ length: SENDERS }, () => generateKeyPair(SUITE));
    const holders = Array.from({ length: COUPONS }, () => generateKeyPair(SUITE));
    const now = Date.now();
    const campaignOf = (i: number) => `bench-${i % SENDERS}`;
    const couponOf = (i: number) => `${campaignOf(i)}:${Math.floor(i / SENDERS) + 1}`;
    const perCampaign = Math.ceil(COUPONS / SENDERS);
    await driveLoad(url, CHAIN, presign(CHAIN, malls.map((m, j) => [m, 'coupon', 'createCampaign', { id: `bench-${j}`, name: 'bench', budget: String(perCampaign * 1000), rule: { kind: 'threshold', min: '5000', off: '1000' }, group: 'bench', validFrom: now - 60_000, validUntil: now + 86_400_000, merchants: merchants.map(did) }])));
    phase('campaigns created');
    // Each mall's nonce 0 created its campaign.
    await driveLoad(url, CHAIN, presign(CHAIN, holders.map((h, i) => [malls[i % SENDERS]!, 'coupon', 'issue', { campaign: campaignOf(i), to: did(h) }]), new Map(malls.map((m) => [did(m), 1]))));
    phase('coupons issued');
    const merchantOf = (i: number) => merchants[i % SENDERS]!;
    await driveLoad(url, CHAIN, presign(CHAIN, holders.map((h, i) => [h, 'coupon', 'authorize', { coupon: couponOf(i), merchant: did(merchantOf(i)) }])));
    phase('coupons authorised');
    const redeem = await driveLoad(url, CHAIN, presign(CHAIN, holders.map((h, i) => [merchantOf(i), 'coupon', 'redeem', { coupons: [couponOf(i)], holder: did(h), amount: '8800' }])));
    for (let j = 0; j < SENDERS; j++) {
      const camp = await getCampaign(c, CHAIN, `bench-${j}`);
      if (camp?.redeemed !== camp?.issued || !camp || camp.issued === 0 || BigInt(camp.spent) > BigInt(camp.budget)) throw new Error(`redemptions: ${JSON.stringify(camp)}`);
    }
    phase('coupons redeemed');
    // Carbon: a methodology, SENDERS platforms, one trip per citizen.
    const platforms = Array.from({ length: PLATFORMS }, () => generateKeyPair(SUITE));
    await proposeMethodology(c, operator, { id: 'bench-travel', version: 1, name: 'bench', recorders: platforms.map(did), cap: '1000000000000', params: { kind: 'travel', baselineGPerKm: 135, modes: { metro: { gPerKm: 37, maxM: 80_000 } } } }, opts);
    const citizens = Array.from({ length: TRIPS }, () => did(generateKeyPair(SUITE)));
    const carbon = await driveLoad(url, CHAIN, presign(CHAIN, citizens.map((ci, i) => [platforms[i % PLATFORMS]!, 'carbon', 'issue', { methodology: 'bench-travel', version: 1, activity: { kind: 'travel', ref: `t${i}`, citizen: ci, mode: 'metro', distanceM: 5_000 + i, start: now, end: now + 1_800_000 } }])));
    const stats = await carbonStats(c, CHAIN, 'bench-travel', 1);
    if (stats?.records !== TRIPS) throw new Error(`carbon: ${JSON.stringify(stats)}`);

    return {
      bench: 'tokens', value: Math.round(redeem.txPerSec), unit: 'coupon redemptions/s', limit: Math.round(notary.txPerSec),
      limitWhat: 'notary.put tx/s committed on the same business chain in this run', ratio: Number((redeem.txPerSec / notary.txPerSec).toFixed(3)), target: 0.7,
      carbonPerSec: Math.round(carbon.txPerSec), carbonRatio: Number((carbon.txPerSec / notary.txPerSec).toFixed(3)),
      redemptions: COUPONS, trips: TRIPS, notaryTxs: NOTARY_TXS,
    };
  } finally {
    await running.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
