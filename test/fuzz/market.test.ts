/**
 * Fuzz of the market module's arguments and its two decisions that outsiders fill: a product's
 * plans (shares must add up to exactly 100 %, prices must fit the kind) and a gateway's batch of
 * receipts (ids counted once, within the quota, in the period their time names, under a root
 * that is theirs). Every call is accepted, or refused with a typed code and no write at all
 * (the module checks everything before it writes); what is accepted is what the rules say.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { toHex, type JsonValue } from '../../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair, sm3 } from '../../src/crypto/index.ts';
import { marketKey, marketModule, planProblems, PLAN_KINDS, SHARE_TOTAL, usageRoot, type Plan, type ReceiptLine, type SubscriptionRecord } from '../../src/modules/market/index.ts';
import { MapContext, ModuleError, parseArgs } from '../../src/runtime/index.ts';
import { bounded } from '../helpers/fuzz-budget.ts';

const dids = Array.from({ length: 4 }, () => didFromPublicKey(generateKeyPair('sm2').publicKey));
const [provider, gateway, buyer, other] = dids as [string, string, string, string];
const hex = (s: string): string => toHex(sm3(new TextEncoder().encode(s)));
const T0 = 1_800_000_000_000;

function runMethod(ctx: MapContext, name: string, args: unknown): { ok: true; result: JsonValue } | { ok: false; code: string; message: string } {
  const m = marketModule.methods[name]!;
  try {
    const parsed = parseArgs(m.args, args, `market.${name}`);
    return { ok: true, result: (m.run(ctx, parsed) ?? null) as JsonValue };
  } catch (e) {
    if (e instanceof ModuleError) return { ok: false, code: e.code, message: e.message };
    throw e; // anything else is a bug: a fault, not a refusal
  }
}

const bp = fc.oneof(fc.integer({ min: 0, max: SHARE_TOTAL }), fc.constantFrom(2500, 5000, 0, 10_000, 3333, 3334));
const money = fc.oneof(fc.integer({ min: 0, max: 100_000 }), fc.constantFrom(0, 50, -1, 1e13, 1.5));
const plan = fc.record({
  id: fc.constantFrom('a', 'b', 'pro', 'Bad Id'),
  kind: fc.constantFrom(...PLAN_KINDS, 'barter'),
  unit: fc.constantFrom('call', 'result'),
  currency: fc.constantFrom('CNY', 'CNY', 'USD'),
  template: fc.constant(hex('tpl')),
  baseFee: money, includedUnits: fc.integer({ min: 0, max: 100 }), unitPrice: money, tierUnits: fc.integer({ min: 0, max: 100 }), tierPrice: money,
  quota: fc.integer({ min: 0, max: 100 }), rateLimit: fc.integer({ min: 0, max: 100 }), periodSeconds: fc.integer({ min: 0, max: 100 }),
  periods: fc.integer({ min: 0, max: 130 }), graceSeconds: fc.integer({ min: 0, max: 10 }),
  shares: fc.record({ provider: bp, dataSource: bp, algorithm: bp, compute: bp }),
  withholdingBp: bp, taxAuthority: fc.constantFrom(other, 'did:nope'),
});
const product = fc.record({
  id: fc.constantFrom('api-1', 'api-2', 'API!'),
  title: fc.string({ minLength: 0, maxLength: 8 }),
  category: fc.constantFrom('computation', 'data-source', 'feedback', 'composite'),
  openapi: fc.constantFrom(hex('o'), 'xyz'),
  datasets: fc.array(fc.constantFrom('ds-1', 'DS'), { maxLength: 2 }),
  grants: fc.array(fc.integer({ min: -1, max: 5 }), { maxLength: 2 }),
  contributors: fc.constant({ dataSource: dids[1]!, algorithm: dids[2]!, compute: dids[3]! }),
  plans: fc.array(plan, { minLength: 0, maxLength: 3 }),
  components: fc.constant([]),
  gateways: fc.array(fc.constantFrom(gateway, other), { minLength: 0, maxLength: 3 }),
});

test('publish: any product is listed or refused with a typed code and no write; shares not summing to 100% are always refused', () => {
  const b = bounded(400, 6_000);
  fc.assert(fc.property(fc.oneof({ weight: 5, arbitrary: product }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) }), b.guard((p) => {
    const ctx = new MapContext(new Map(), provider, 1, T0, 'sign');
    const r = runMethod(ctx, 'publish', { product: p });
    const plans = (p as { plans?: Plan[] } | null)?.plans;
    const badShares = Array.isArray(plans) && plans.some((x) => x && typeof x.shares === 'object' && x.shares.provider + x.shares.dataSource + x.shares.algorithm + x.shares.compute !== SHARE_TOTAL);
    if (!r.ok) {
      assert.match(r.code, /^(BAD_ARGS|MARKET_[A-Z_]+)$/);
      assert.equal(ctx.writes, 0, `a refused publish wrote nothing (${r.code}: ${r.message})`);
      return;
    }
    assert.equal(badShares, false, 'a plan whose shares do not add up to 100% was listed');
    for (const x of plans!) assert.deepEqual(planProblems(x), []);
    assert.deepEqual(r.result, { id: (p as { id: string }).id, version: 1 });
  })), b.params);
});

test('commitUsage: any batch is counted or refused whole; ids count once, within the quota; the usage is the sum of what was counted', () => {
  const b = bounded(300, 6_000);
  const subA = hex('sub-a');
  const subB = hex('sub-b');
  const idPool = Array.from({ length: 12 }, (_, i) => hex(`r${i}`));
  const valid = fc.record({
    id: fc.constantFrom(...idPool), subscription: fc.constant(subA), period: fc.constantFrom(1, 2), units: fc.integer({ min: 1, max: 4 }), offset: fc.integer({ min: 0, max: 9_999 }),
    result: fc.constant(hex('res')),
  }).map(({ offset, ...r }) => ({ ...r, time: T0 + (r.period - 1) * 10_000 + offset }));
  const wild = fc.record({
    id: fc.constantFrom(...idPool), subscription: fc.constantFrom(subA, subA, subB, hex('nope')), period: fc.integer({ min: 0, max: 3 }),
    units: fc.integer({ min: 0, max: 4 }), time: fc.integer({ min: -2, max: 25 }).map((s) => T0 + s * 1_000), result: fc.constant(hex('res')),
  });
  const receipt = fc.oneof({ weight: 12, arbitrary: valid }, { weight: 1, arbitrary: wild });
  let accepted = 0;
  fc.assert(fc.property(fc.array(fc.array(receipt, { minLength: 0, maxLength: 8 }), { minLength: 1, maxLength: 4 }), fc.integer({ min: 0, max: 9 }), b.guard((batches, quota) => {
    const store = new Map<string, string>();
    const setup = new MapContext(store, provider, 1, T0, 'sign');
    const p = {
      id: 'api-1', title: 'API', category: 'computation', openapi: hex('o'), datasets: [], grants: [], components: [], gateways: [gateway],
      contributors: { dataSource: dids[1]!, algorithm: dids[2]!, compute: dids[3]! },
      plans: [{ id: 'a', kind: 'per-call', unit: 'call', currency: 'CNY', template: hex('tpl'), baseFee: 0, includedUnits: 0, unitPrice: 5, tierUnits: 0, tierPrice: 5, quota, rateLimit: 10, periodSeconds: 10, periods: 2, graceSeconds: 0, shares: { provider: 10_000, dataSource: 0, algorithm: 0, compute: 0 }, withholdingBp: 0, taxAuthority: other }],
    };
    assert.equal(runMethod(setup, 'publish', { product: p }).ok, true);
    const sub: SubscriptionRecord = { id: subA, product: 'api-1', version: 1, plan: 'a', buyer, provider, start: T0, periodMs: 10_000, periods: 2, quota, settled: 0, created: { height: 1, time: T0, tx: hex('t') } };
    setup.write(marketKey.subscription(subA), sub);
    setup.write(marketKey.subscription(subB), { ...sub, id: subB, product: 'api-2' });
    const counted = new Set<string>();
    const used = new Map<number, number>();
    for (const [i, rs] of batches.entries()) {
      const ctx = new MapContext(store, i % 3 === 2 ? other : gateway, 2 + i, T0 + 30_000, 'sign');
      const forged = i === 1 && rs.length > 0;
      const r = runMethod(ctx, 'commitUsage', { product: 'api-1', receipts: rs, root: forged ? hex('forged') : rs.length ? usageRoot(rs as ReceiptLine[]) : hex('empty') });
      const valid = rs.length > 0 && ctx.sender === gateway && !forged && rs.every((x) => x.subscription === subA && x.units >= 1 && x.period >= 1 && x.time >= T0 && x.time < T0 + 20_000 && Math.floor((x.time - T0) / 10_000) + 1 === x.period);
      if (!valid) {
        assert.equal(r.ok, false, 'an invalid batch was accepted');
        if (!r.ok) assert.equal(ctx.writes, 0, `a refused batch wrote nothing (${r.code}: ${r.message})`);
        continue;
      }
      assert.equal(r.ok, true, r.ok ? '' : `${r.code}: ${r.message}`);
      accepted++;
      let n = 0;
      let over = 0;
      const seen = new Set<string>();
      for (const x of rs) {
        if (seen.has(x.id) || counted.has(x.id)) continue;
        seen.add(x.id);
        const u = used.get(x.period) ?? 0;
        if (quota > 0 && u + x.units > quota) {
          over++;
          continue;
        }
        counted.add(x.id);
        used.set(x.period, u + x.units);
        n++;
      }
      const res = (r as unknown as { result: { counted: number; overQuota: number } }).result;
      assert.equal(res.counted, n);
      assert.equal(res.overQuota, over);
    }
    for (const period of [1, 2]) {
      const u = setup.read(marketKey.usage(subA, period));
      assert.equal(u?.units ?? 0, used.get(period) ?? 0, `period ${period}: the usage is the units counted, each id once`);
      if (quota > 0) assert.ok((u?.units ?? 0) <= quota, 'never past the quota');
    }
  })), b.params);
  assert.ok(accepted > 0 || b.runs < 10, 'the generator reaches batches the chain accepts');
});
