/**
 * The market module on a real signing chain (LMDB) with lexcontract: publish, subscribe with a
 * signed api-subscription contract, usage committed by gateways (duplicates never counted twice),
 * period settlement through the contract's MeteredUsage event; and the attacks: wrong role,
 * wrong gateway, wrong product, wrong module, forged roots, replayed receipts, late receipts,
 * early or out-of-order settlement, a party sending the metered event itself, bad shares.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { canonicalize, toHex, type JsonValue } from '../../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair, sm3, type KeyPair } from '../../src/crypto/index.ts';
import { signTx, type Receipt } from '../../src/ledger/index.ts';
import { lexcontractModule, lexStateKey, settlementKey, type SettlementRecord } from '../../src/modules/lexcontract/index.ts';
import {
  componentReceiptId, marketModule, marketStateKey, subscriptionParams, subscriptionParties, usageRoot, type BatchRecord, type PeriodUsage, type Plan,
  type ProductInput, type ReceiptLine, type SubscriptionRecord,
} from '../../src/modules/market/index.ts';
import { method, type ModuleDef } from '../../src/runtime/index.ts';
import { repoRoot } from '../helpers/node-process.ts';
import { openTestChain, type TestChain } from '../helpers/chain.ts';
import { tempDir } from '../helpers/tmp.ts';

const SOURCE = readFileSync(`${repoRoot}/contracts/api-subscription/contract.lex`, 'utf8');
const T0 = Date.UTC(2026, 0, 1);

/** A module that is not the market, calling lexcontract's market-only exports. */
const impostor: ModuleDef = {
  name: 'impostor',
  description: 'calls lexcontract exports the market alone may call',
  methods: {
    poke: method({
      doc: 'call an export of lexcontract', gas: 1_000, args: z.strictObject({ name: z.string(), args: z.record(z.string(), z.unknown()) }),
      run(ctx, a) { return ctx.call('lexcontract', a.name, a.args as JsonValue) ?? null; },
    }),
  },
};

class Driver {
  private nonces = new Map<string, number>();
  clock = T0;
  constructor(readonly t: TestChain) {}
  async block(calls: Array<[KeyPair, string, string, JsonValue]>, time?: number): Promise<Receipt[]> {
    const txs = calls.map(([key, module, m, args]) => {
      const did = didFromPublicKey(key.publicKey);
      const nonce = this.nonces.get(did) ?? 0;
      this.nonces.set(did, nonce + 1);
      return signTx(key, { chain: 'sign', module, method: m, args, nonce, expires: 100_000 }).tx;
    });
    const sub = await this.t.chain.submit(txs);
    sub.forEach((r, i) => assert.equal(r.accepted, true, `tx ${i}: ${JSON.stringify(r)}`));
    this.clock = time ?? this.clock + 1_000;
    const b = await this.t.chain.produceBlock(this.clock);
    assert.ok(b);
    return b.receipts;
  }
  async one(key: KeyPair, module: string, m: string, args: JsonValue, time?: number): Promise<Receipt> {
    return (await this.block([[key, module, m, args]], time))[0]!;
  }
  async ok(key: KeyPair, module: string, m: string, args: JsonValue, time?: number): Promise<Record<string, JsonValue>> {
    const r = await this.one(key, module, m, args, time);
    assert.equal(r.status, 'ok', `${module}.${m}: ${r.code}: ${r.message}`);
    return r.result as Record<string, JsonValue>;
  }
  async refused(code: string, key: KeyPair, module: string, m: string, args: JsonValue, match?: RegExp): Promise<void> {
    const r = await this.one(key, module, m, args);
    assert.equal(r.status, 'failed', `${module}.${m} should be refused with ${code}`);
    assert.equal(r.code, code, r.message ?? '');
    if (match) assert.match(r.message ?? '', match);
  }
  get<T>(key: string): T | null {
    return this.t.chain.getState(key).value as T | null;
  }
}

const names = ['provider', 'buyer', 'buyer2', 'dataSource', 'algorithm', 'compute', 'tax', 'gateway', 'gateway2', 'stranger'] as const;
type Name = (typeof names)[number];

function setupKeys(): { k: Record<Name, KeyPair>; did: (n: Name) => string } {
  const k = Object.fromEntries(names.map((n) => [n, generateKeyPair('sm2')])) as Record<Name, KeyPair>;
  return { k, did: (n) => didFromPublicKey(k[n].publicKey) };
}

function plans(template: string, tax: string): Plan[] {
  const common = { currency: 'CNY' as const, template, rateLimit: 100, periodSeconds: 60, periods: 3, graceSeconds: 10, withholdingBp: 300, taxAuthority: tax };
  return [
    { ...common, id: 'metered', kind: 'per-call', unit: 'call', baseFee: 0, includedUnits: 0, unitPrice: 50, tierUnits: 0, tierPrice: 50, quota: 0, shares: { provider: 4000, dataSource: 3000, algorithm: 2000, compute: 1000 } },
    { ...common, id: 'pro', kind: 'subscription', unit: 'call', baseFee: 10_000, includedUnits: 3, unitPrice: 0, tierUnits: 0, tierPrice: 0, quota: 3, shares: { provider: 3333, dataSource: 3333, algorithm: 3334, compute: 0 } },
  ];
}

function product(id: string, template: string, did: (n: Name) => string, over: Partial<ProductInput> = {}): ProductInput {
  return {
    id, title: 'Credit score API', titleZh: '信用评分API', category: 'computation', openapi: toHex(sm3(new TextEncoder().encode('openapi'))),
    datasets: ['enterprise-credit'], grants: [], contributors: { dataSource: did('dataSource'), algorithm: did('algorithm'), compute: did('compute') },
    plans: plans(template, did('tax')), components: [], gateways: [did('gateway')], ...over,
  };
}

async function withMarket(f: (d: Driver) => Promise<void>): Promise<void> {
  const tmp = tempDir();
  const t = await openTestChain(tmp.dir, 'sm2', { chain: 'sign', modules: ['lexcontract', 'market', 'impostor'] }, [lexcontractModule, marketModule, impostor]);
  try {
    await f(new Driver(t));
  } finally {
    await t.close();
    tmp.cleanup();
  }
}

/** Drafts the plan's contract for `buyer`, has every party sign it, and subscribes. */
async function subscribe(d: Driver, k: Record<Name, KeyPair>, did: (n: Name) => string, p: ProductInput, planId: string, buyer: 'buyer' | 'buyer2', start: number, provider: Name = 'provider'): Promise<string> {
  const plan = p.plans.find((x) => x.id === planId)!;
  const parties = subscriptionParties({ provider: did(provider), contributors: p.contributors }, plan, did(buyer));
  const drafted = await d.ok(k[buyer], 'lexcontract', 'draft', { template: plan.template, params: subscriptionParams(plan, start), parties });
  const signers: Record<string, Name> = { provider, buyer, dataSource: 'dataSource', algorithm: 'algorithm', compute: 'compute', taxAuthority: 'tax' };
  await d.block(Object.values(signers).map((n) => [k[n], 'lexcontract', 'sign', { id: drafted.id!, fingerprint: drafted.fingerprint! }] as [KeyPair, string, string, JsonValue]));
  await d.ok(k[buyer], 'market', 'subscribe', { product: p.id, plan: planId, contract: drafted.id! });
  return drafted.id as string;
}

const line = (sub: string, n: number, time: number, period = 1, units = 1): ReceiptLine => ({
  id: toHex(sm3(new TextEncoder().encode(`${sub}/${n}`))), subscription: sub, period, units, time, result: toHex(sm3(new TextEncoder().encode(`r${n}`))),
});
const batch = (productId: string, rs: ReceiptLine[]): JsonValue => ({ product: productId, receipts: rs as unknown as JsonValue, root: usageRoot(rs) });

test('a product is published, subscribed on two plans by contract, metered once per receipt and settled through the contract', { timeout: 120_000 }, async () => {
  await withMarket(async (d) => {
    const { k, did } = setupKeys();
    const { template } = await d.ok(k.provider, 'lexcontract', 'deploy', { source: SOURCE });
    const p = product('credit-score', template as string, did);
    assert.deepEqual(await d.ok(k.provider, 'market', 'publish', { product: p as unknown as JsonValue }), { id: 'credit-score', version: 1 });
    const start = d.clock + 1_000;
    const sub1 = await subscribe(d, k, did, p, 'metered', 'buyer', start);
    const sub2 = await subscribe(d, k, did, p, 'pro', 'buyer2', start);

    // Gateway commits: 5 calls for buyer 1 (one id sent twice in the batch), 4 for buyer 2 (quota 3).
    const t = start + 5_000;
    const a = [0, 1, 2, 3, 4].map((n) => line(sub1, n, t + n));
    const b = [0, 1, 2, 3].map((n) => line(sub2, n, t + n));
    const r1 = await d.ok(k.gateway, 'market', 'commitUsage', batch(p.id, [...a, a[0]!, ...b]), t + 1_000) as unknown as BatchRecord;
    assert.deepEqual([r1.count, r1.counted, r1.overQuota, r1.units], [10, 8, 1, 8]);
    // The same receipts again (a gateway that restarted, or a second gateway): nothing counts twice.
    const r2 = await d.ok(k.gateway, 'market', 'commitUsage', batch(p.id, [a[1]!, a[2]!, line(sub1, 9, t + 9)])) as unknown as BatchRecord;
    assert.deepEqual([r2.counted, r2.units], [1, 1]);
    assert.deepEqual(d.get<PeriodUsage>(marketStateKey.usage(sub1, 1)), { calls: 6, units: 6 });
    assert.deepEqual(d.get<PeriodUsage>(marketStateKey.usage(sub2, 1)), { calls: 3, units: 3 });

    // Settlement: not before the period and its grace end; not out of order.
    await d.refused('MARKET_PERIOD_OPEN', k.stranger, 'market', 'settle', { subscription: sub1, period: 1 }, /grace|late receipts/);
    await d.refused('MARKET_PERIOD_ORDER', k.stranger, 'market', 'settle', { subscription: sub1, period: 2 });
    // A party cannot report metered usage itself: only the market does, from committed receipts.
    await d.refused('LEX_METERED_EVENT', k.provider, 'lexcontract', 'event', { id: sub1, event: 'MeteredUsage', input: { period: 1, units: 1_000_000 } });
    const closes = start + 60_000 + 10_000;
    const s1 = await d.ok(k.stranger, 'market', 'settle', { subscription: sub1, period: 1 }, closes);
    assert.equal(s1.units, 6);
    await d.refused('MARKET_PERIOD_ORDER', k.stranger, 'market', 'settle', { subscription: sub1, period: 1 });
    // Late receipts for a settled period are refused, not silently added.
    await d.refused('MARKET_PERIOD_SETTLED', k.gateway, 'market', 'commitUsage', batch(p.id, [line(sub1, 50, t + 50)]));
    await d.ok(k.stranger, 'market', 'settle', { subscription: sub2, period: 1 });

    // The contracts priced it: 6 calls × 0.50 = 3.00 CNY split 40/30/20/10, tax 3% of the data share;
    // buyer 2 pays the 100.00 base fee split 33.33/33.33/33.34/0 (compute gets nothing: left out).
    const stl = (id: string, n: number): SettlementRecord => d.get<SettlementRecord>(lexStateKey(settlementKey(id, n)))!;
    const split1 = stl(sub1, 0).instruction;
    assert.equal(split1.kind, 'split');
    assert.equal(split1.from, did('buyer'));
    if (split1.kind !== 'split') return;
    assert.equal(Number(split1.amount.minor), 300);
    assert.deepEqual(split1.shares.map((s) => [s.to, Number(s.amount.minor)]), [[did('provider'), 120], [did('dataSource'), 90], [did('algorithm'), 60], [did('compute'), 30]]);
    const tax1 = stl(sub1, 1).instruction;
    assert.deepEqual([tax1.kind, tax1.from, Number(tax1.amount.minor)], ['withhold', did('dataSource'), 3]); // 3% of 0.90, half up
    const split2 = stl(sub2, 0).instruction;
    if (split2.kind !== 'split') return assert.fail('a split');
    const parts = split2.shares.map((s) => Number(s.amount.minor));
    assert.equal(parts.reduce((x, y) => x + y, 0), 10_000, 'the parts add up to the gross, to the fen');
    const state = d.get<{ vars: Record<string, JsonValue> }>(lexStateKey(`state/${sub1}`))!;
    assert.equal(state.vars.totalUnits, 6);
    const sub = d.get<SubscriptionRecord>(marketStateKey.subscription(sub1))!;
    assert.equal(sub.settled, 1);
  });
});

test('attacks: wrong role, wrong gateway, wrong product, wrong module, forged root, bad receipts, bad plans, bad contracts — each refused, nothing changed', { timeout: 120_000 }, async () => {
  await withMarket(async (d) => {
    const { k, did } = setupKeys();
    const { template } = await d.ok(k.provider, 'lexcontract', 'deploy', { source: SOURCE });
    const p = product('credit-score', template as string, did);
    await d.ok(k.provider, 'market', 'publish', { product: p as unknown as JsonValue });
    const other = product('other-api', template as string, did, { gateways: [did('gateway2')] });
    await d.ok(k.provider, 'market', 'publish', { product: other as unknown as JsonValue });
    const start = d.clock + 1_000;
    const sub1 = await subscribe(d, k, did, p, 'metered', 'buyer', start);
    const t = start + 5_000;
    const good = [line(sub1, 1, t)];

    // Wrong role: someone else republishes or delists the provider's product.
    await d.refused('MARKET_NOT_PROVIDER', k.stranger, 'market', 'publish', { product: p as unknown as JsonValue });
    await d.refused('MARKET_NOT_PROVIDER', k.buyer, 'market', 'delist', { id: p.id });
    // Forged usage: from the buyer, the provider, or another product's gateway.
    for (const who of ['buyer', 'provider', 'gateway2'] as const) await d.refused('MARKET_NOT_GATEWAY', k[who], 'market', 'commitUsage', batch(p.id, good));
    // A gateway of the other product committing this product's subscription under its own product.
    await d.refused('MARKET_BAD_RECEIPT', k.gateway2, 'market', 'commitUsage', batch(other.id, good), /not a subscription to other-api/);
    // A root that is not the receipts' root (receipts altered after signing).
    await d.refused('MARKET_BAD_ROOT', k.gateway, 'market', 'commitUsage', { product: p.id, receipts: [{ ...good[0]!, units: 7 }] as unknown as JsonValue, root: usageRoot(good) });
    // Receipts whose time is not in the period they name, or after the block.
    await d.refused('MARKET_BAD_RECEIPT', k.gateway, 'market', 'commitUsage', batch(p.id, [line(sub1, 2, t, 2)]), /not in period 2/);
    await d.refused('MARKET_BAD_RECEIPT', k.gateway, 'market', 'commitUsage', batch(p.id, [line(sub1, 3, start - 1)]));
    await d.refused('MARKET_BAD_RECEIPT', k.gateway, 'market', 'commitUsage', batch(p.id, [line(sub1, 4, d.clock + 5_000)]), /after this block/);
    assert.equal(d.get(marketStateKey.usage(sub1, 1)), null, 'no refused batch counted anything');
    assert.equal(d.get(marketStateKey.batchCount()), null);

    // Wrong module: only the market may run a metered event or read instances through lexcontract.
    for (const name of ['meteredEvent', 'instanceView']) {
      const r = await d.one(k.stranger, 'impostor', 'poke', { name, args: { id: sub1, event: 'MeteredUsage', input: { period: 1, units: 5 } } });
      assert.equal(r.code, 'FORBIDDEN', `${name}: ${r.message}`);
    }

    // Bad plans: shares not summing to 100%; a per-call plan with a base fee.
    const badShares = product('bad', template as string, did, { plans: [{ ...p.plans[0]!, shares: { provider: 4000, dataSource: 3000, algorithm: 2000, compute: 999 } }] });
    await d.refused('MARKET_BAD_PLAN', k.provider, 'market', 'publish', { product: badShares as unknown as JsonValue }, /99\.99%, not 100%/);
    const badKind = product('bad', template as string, did, { plans: [{ ...p.plans[0]!, baseFee: 1 }] });
    await d.refused('MARKET_BAD_PLAN', k.provider, 'market', 'publish', { product: badKind as unknown as JsonValue });
    // A composite naming a component subscription that is not the provider's own.
    const comp = product('combo', template as string, did, { category: 'composite', components: [{ product: p.id, subscription: sub1 }] });
    await d.refused('MARKET_BAD_PRODUCT', k.provider, 'market', 'publish', { product: comp as unknown as JsonValue }, /not the provider's own subscription/);
    assert.equal(d.get(marketStateKey.product('bad')), null);

    // Bad contracts: reused, drafted on other terms, with the buyer as someone else, unsigned.
    await d.refused('MARKET_SUBSCRIBED', k.buyer, 'market', 'subscribe', { product: p.id, plan: 'metered', contract: sub1 });
    const plan = p.plans[0]!;
    const parties = subscriptionParties({ provider: did('provider'), contributors: p.contributors }, plan, did('buyer2'));
    const cheap = await d.ok(k.buyer2, 'lexcontract', 'draft', { template: plan.template, params: { ...subscriptionParams(plan, start), unitPrice: { currency: 'CNY', minor: 1 } }, parties });
    await d.refused('MARKET_BAD_CONTRACT', k.buyer2, 'market', 'subscribe', { product: p.id, plan: 'metered', contract: cheap.id! }, /not on plan metered's terms/);
    const fair = await d.ok(k.buyer2, 'lexcontract', 'draft', { template: plan.template, params: subscriptionParams(plan, start + 1), parties });
    await d.refused('MARKET_BAD_CONTRACT', k.stranger, 'market', 'subscribe', { product: p.id, plan: 'metered', contract: fair.id! }, /names parties/);
    await d.refused('MARKET_BAD_CONTRACT', k.buyer2, 'market', 'subscribe', { product: p.id, plan: 'metered', contract: fair.id! }, /is draft/);
    await d.refused('MARKET_PLAN_NOT_FOUND', k.buyer2, 'market', 'subscribe', { product: p.id, plan: 'gold', contract: fair.id! });

    // Delisted: no new usage (and no new subscriptions).
    await d.ok(k.provider, 'market', 'delist', { id: p.id });
    await d.refused('MARKET_DELISTED', k.gateway, 'market', 'commitUsage', batch(p.id, good));
    await d.refused('MARKET_DELISTED', k.buyer2, 'market', 'subscribe', { product: p.id, plan: 'metered', contract: fair.id! });
    // Republishing lists it again as version 2; the subscription keeps the version it signed.
    assert.deepEqual(await d.ok(k.provider, 'market', 'publish', { product: p as unknown as JsonValue }), { id: p.id, version: 2 });
    assert.equal(d.get<SubscriptionRecord>(marketStateKey.subscription(sub1))!.version, 1);
    assert.equal(canonicalize(d.get<JsonValue>(marketStateKey.version(p.id, 1))!).includes('"status":"delisted"'), true);
  });
});

test('a composite pays its component by the component\'s own contract: receipts tied to a counted composite call, committed by its gateway, once', { timeout: 120_000 }, async () => {
  await withMarket(async (d) => {
    const { k, did } = setupKeys();
    const { template } = await d.ok(k.provider, 'lexcontract', 'deploy', { source: SOURCE });
    // The component, metered for its own callers by gateway2; buyer2 subscribes to it and sells a composite over it.
    const leaf = product('credit-score', template as string, did, { gateways: [did('gateway2')] });
    await d.ok(k.provider, 'market', 'publish', { product: leaf as unknown as JsonValue });
    const start = d.clock + 1_000;
    const subB = await subscribe(d, k, did, leaf, 'metered', 'buyer2', start);
    const combo = product('risk-suite', template as string, did, { category: 'composite', components: [{ product: leaf.id, subscription: subB }] });
    await d.ok(k.buyer2, 'market', 'publish', { product: combo as unknown as JsonValue });
    const subA = await subscribe(d, k, did, combo, 'metered', 'buyer', start, 'buyer2');

    const t = start + 5_000;
    const call = line(subA, 1, t);
    const part = (parent: string, over: Partial<ReceiptLine> = {}): ReceiptLine => ({ ...line(subB, 0, t), id: componentReceiptId(parent, subB), parent, ...over });
    // Before the composite call is counted, its component's receipt is refused: a call not charged pays no component.
    await d.refused('MARKET_BAD_RECEIPT', k.gateway, 'market', 'commitUsage', batch(leaf.id, [part(call.id)]), /not counted on chain/);
    await d.ok(k.gateway, 'market', 'commitUsage', batch(combo.id, [call]), t + 1_000);
    // Wrong gateway: the component's own gateway did not meter this composite call.
    await d.refused('MARKET_NOT_GATEWAY', k.gateway2, 'market', 'commitUsage', batch(leaf.id, [part(call.id)]), /only it commits/);
    // The composite's gateway may not slip in a direct receipt of a product it does not meter.
    await d.refused('MARKET_NOT_GATEWAY', k.gateway, 'market', 'commitUsage', batch(leaf.id, [part(call.id), line(subB, 5, t)]));
    // An id not derived from the parent (so a second charge for one call) is refused.
    await d.refused('MARKET_BAD_RECEIPT', k.gateway, 'market', 'commitUsage', batch(leaf.id, [part(call.id, { id: line(subB, 6, t).id })]), /componentReceiptId/);
    // A "component" of a call whose product does not list it: a direct call to the leaf, claimed as its own parent.
    const direct = line(subB, 7, t);
    await d.ok(k.gateway2, 'market', 'commitUsage', batch(leaf.id, [direct]));
    await d.refused('MARKET_BAD_RECEIPT', k.gateway2, 'market', 'commitUsage', batch(leaf.id, [part(direct.id)]), /does not list credit-score/);
    assert.deepEqual(d.get<PeriodUsage>(marketStateKey.usage(subB, 1)), { calls: 1, units: 1 }, 'no refused component receipt counted');

    // The composite's gateway commits the component's receipt: counted once, however often it is sent.
    const r1 = await d.ok(k.gateway, 'market', 'commitUsage', batch(leaf.id, [part(call.id), part(call.id)])) as unknown as BatchRecord;
    assert.deepEqual([r1.count, r1.counted, r1.units], [2, 1, 1]);
    const r2 = await d.ok(k.gateway, 'market', 'commitUsage', batch(leaf.id, [part(call.id)])) as unknown as BatchRecord;
    assert.equal(r2.counted, 0);
    assert.deepEqual(d.get<PeriodUsage>(marketStateKey.usage(subA, 1)), { calls: 1, units: 1 });
    assert.deepEqual(d.get<PeriodUsage>(marketStateKey.usage(subB, 1)), { calls: 2, units: 2 });

    // Each settles under its own contract: the buyer pays buyer2 for the composite, buyer2 pays the provider for the component.
    const closes = start + 60_000 + 10_000;
    assert.equal((await d.ok(k.stranger, 'market', 'settle', { subscription: subA, period: 1 }, closes)).units, 1);
    assert.equal((await d.ok(k.stranger, 'market', 'settle', { subscription: subB, period: 1 })).units, 2);
    const stl = (id: string): SettlementRecord => d.get<SettlementRecord>(lexStateKey(settlementKey(id, 0)))!;
    const [a, b] = [stl(subA).instruction, stl(subB).instruction];
    assert.deepEqual([a.kind, a.from, Number(a.amount.minor)], ['split', did('buyer'), 50]);
    assert.deepEqual([b.kind, b.from, Number(b.amount.minor)], ['split', did('buyer2'), 100]);
  });
});
