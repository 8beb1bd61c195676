/**
 * Properties of the token modules under any interleaving of operations (fast-check; bounds in
 * test/helpers/fuzz-budget.ts). Each operation runs as the executor runs a transaction: args
 * parsed by the method's schema, then `run`; a refused operation's writes are dropped (the
 * chain's tx overlay), and every refusal must carry a typed code.
 *
 * - coupon: reserved + spent ≤ budget after every operation, and a coupon is redeemed at most once;
 * - carbon: per methodology, issued ≤ cap; supply = Σ balances = Σ issued − retired; an activity
 *   digest is issued at most once;
 * - arg validation: arbitrary JSON as args of every method is either refused with BAD_ARGS or runs
 *   to a result or a typed module error, never an untyped exception.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ShulianError, type JsonValue } from '../../src/codec/index.ts';
import { generateKeyPair } from '../../src/crypto/index.ts';
import { collectibleModule } from '../../src/modules/collectible/index.ts';
import { couponModule } from '../../src/modules/coupon/index.ts';
import { createCarbonModule } from '../../src/modules/carbon/index.ts';
import { paramDigestOf, type CarbonStats, type MethodologyInput } from '../../src/modules/carbon/types.ts';
import type { CampaignRecord } from '../../src/modules/coupon/types.ts';
import { MapContext, parseArgs, type ModuleDef } from '../../src/runtime/index.ts';
import { bounded } from '../helpers/fuzz-budget.ts';
import { did } from '../helpers/tokens.ts';

const T0 = 1_800_000_000_000;
const people = Array.from({ length: 4 }, () => did(generateKeyPair('ed25519')));
const [issuer, merchant, alice, bob] = people as [string, string, string, string];
const governor = did(generateKeyPair('ed25519'));
const carbon = createCarbonModule({ validators: [{ did: governor, publicKey: '', power: 1 }] });

/** Runs a method as a transaction on a MapContext: all of its writes or none. */
function tx(mod: ModuleDef, ctx: MapContext, sender: string, method: string, args: unknown): { ok: true; result: JsonValue | undefined } | { ok: false; code: string } {
  const before = new Map(ctx.store);
  ctx.sender = sender;
  try {
    const m = mod.methods[method]!;
    return { ok: true, result: m.run(ctx, parseArgs(m.args, args, `${mod.name}.${method}`)) ?? undefined };
  } catch (e) {
    if (!(e instanceof ShulianError)) throw e;
    ctx.store.clear();
    for (const [key, v] of before) ctx.store.set(key, v);
    return { ok: false, code: e.code };
  }
}

type CouponOp =
  | { op: 'issue'; to: number }
  | { op: 'authorize'; coupon: number; holder: number }
  | { op: 'redeem'; coupons: number[]; holder: number; amount: number; mixed: boolean }
  | { op: 'expire'; coupon: number }
  | { op: 'refund'; coupon: number }
  | { op: 'wait'; ms: number };
const couponOp: fc.Arbitrary<CouponOp> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('issue' as const), to: fc.nat(3) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('authorize' as const), coupon: fc.integer({ min: 1, max: 3 }), holder: fc.nat(4) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('redeem' as const), coupons: fc.uniqueArray(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 2 }), holder: fc.nat(4), amount: fc.integer({ min: 1, max: 400_000 }), mixed: fc.boolean() }) },
  fc.record({ op: fc.constant('expire' as const), coupon: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ op: fc.constant('refund' as const), coupon: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ op: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 20 * 86_400_000 }) }),
);
const ruleArb = fc.oneof(
  fc.record({ kind: fc.constant('threshold'), min: fc.constant('150000'), off: fc.constant('40000') }),
  fc.record({ kind: fc.constant('percent'), bps: fc.integer({ min: 1, max: 10_000 }), maxOff: fc.integer({ min: 1, max: 60_000 }).map(String) }),
  fc.record({ kind: fc.constant('fixed'), off: fc.integer({ min: 1, max: 60_000 }).map(String) }),
);

test('coupon: the budget is never exceeded and no coupon is redeemed twice, under any interleaving', () => {
  const b = bounded(200, 8_000);
  let redemptions = 0;
  fc.assert(fc.property(fc.array(ruleArb, { minLength: 1, maxLength: 3 }), fc.integer({ min: 60_000, max: 200_000 }), fc.array(couponOp, { minLength: 10, maxLength: 60 }), b.guard((rules, budget, ops) => {
    const ctx = new MapContext(new Map(), issuer, 1, T0, 'tokens');
    const ids = rules.map((_, i) => `c${i}`);
    rules.forEach((rule, i) => {
      const r = tx(couponModule, ctx, issuer, 'createCampaign', { id: ids[i], name: 'p', budget: String(budget), rule, group: `g${i % 2}`, exclusive: i === 2, validFrom: T0, validUntil: T0 + 30 * 86_400_000, merchants: [merchant] });
      assert.ok(r.ok, JSON.stringify(r));
    });
    const redeemed = new Set<string>();
    let successes = 0;
    ops.forEach((o, n) => {
      const camp = ids[n % ids.length]!;
      const id = (c: number) => `${camp}:${c}`;
      // Holder 4 is the coupon's own holder (the usual case); 0-3 anyone (mostly refused).
      const holderOf = (cid: string, h: number) => (h === 4 ? (ctx.get(`coupon/${cid}`) as { holder?: string } | undefined)?.holder ?? alice : people[h]!);
      let r;
      switch (o.op) {
        case 'issue': r = tx(couponModule, ctx, issuer, 'issue', { campaign: camp, to: people[o.to] }); break;
        case 'authorize': r = tx(couponModule, ctx, holderOf(id(o.coupon), o.holder), 'authorize', { coupon: id(o.coupon), merchant }); break;
        case 'redeem': {
          const cs = o.coupons.map((c, j) => (o.mixed ? `${ids[(n + j) % ids.length]}:${c}` : id(c)));
          r = tx(couponModule, ctx, merchant, 'redeem', { coupons: cs, holder: holderOf(cs[0]!, o.holder), amount: String(o.amount) });
          break;
        }
        case 'expire': r = tx(couponModule, ctx, bob, 'expire', { coupon: id(o.coupon) }); break;
        case 'refund': r = tx(couponModule, ctx, merchant, 'refund', { coupon: id(o.coupon) }); break;
        case 'wait': ctx.time += o.ms; ctx.height++; return;
      }
      if (r.ok && o.op === 'redeem') successes++;
      if (r.ok && o.op === 'redeem') {
        for (const c of (r.result as { coupons: Array<{ coupon: string }> }).coupons) {
          assert.ok(!redeemed.has(c.coupon), `${c.coupon} redeemed twice`);
          redeemed.add(c.coupon);
        }
      }
      for (const cid of ids) {
        const c = ctx.get(`campaign/${cid}`) as unknown as CampaignRecord;
        const committed = BigInt(c.reserved) + BigInt(c.spent);
        assert.ok(committed <= BigInt(c.budget), `${cid}: reserved ${c.reserved} + spent ${c.spent} > budget ${c.budget}`);
        assert.ok(BigInt(c.reserved) >= 0n && BigInt(c.spent) >= 0n);
      }
    });
    redemptions += successes;
  })), b.params);
  // The interleavings reach redemptions, not only refusals.
  assert.ok(redemptions > 0 || b.runs < 20, `no redemption succeeded in ${b.runs} runs`);
});

type CarbonOp =
  | { op: 'issue'; platform: number; citizen: number; mode: number; distanceM: number; start: number; len: number; ref: number }
  | { op: 'transfer'; from: number; to: number; amount: number }
  | { op: 'retire'; from: number; amount: number };
const carbonOp: fc.Arbitrary<CarbonOp> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('issue' as const), platform: fc.nat(1), citizen: fc.nat(3), mode: fc.nat(3), distanceM: fc.integer({ min: 1, max: 70_000 }), start: fc.nat(40), len: fc.integer({ min: 1, max: 3 }), ref: fc.nat(5) }) },
  fc.record({ op: fc.constant('transfer' as const), from: fc.nat(3), to: fc.nat(3), amount: fc.integer({ min: 1, max: 5_000 }) }),
  fc.record({ op: fc.constant('retire' as const), from: fc.nat(3), amount: fc.integer({ min: 1, max: 5_000 }) }),
);

test('carbon: issuance never passes the cap, supply = balances = issued − retired, a digest is issued once', () => {
  const b = bounded(200, 8_000);
  fc.assert(fc.property(fc.integer({ min: 1, max: 20_000 }), fc.array(carbonOp, { maxLength: 60 }), b.guard((cap, ops) => {
    const ctx = new MapContext(new Map(), governor, 1, T0, 'tokens');
    const m: MethodologyInput = { id: 'travel', version: 1, name: 't', recorders: [issuer], cap: String(cap), params: { kind: 'travel', baselineGPerKm: 135, modes: { metro: { gPerKm: 37, maxM: 60_000 }, bike: { gPerKm: 0, maxM: 20_000 }, walk: { gPerKm: 0, maxM: 10_000 } } } };
    assert.ok(tx(carbon, ctx, governor, 'propose', { methodology: m, paramDigest: paramDigestOf(m.params) }).ok);
    const digests = new Set<string>();
    let retired = 0n;
    for (const o of ops) {
      if (o.op === 'issue') {
        const activity = { kind: 'travel', ref: `r${o.ref}`, citizen: people[o.citizen], mode: ['metro', 'bike', 'walk', 'car'][o.mode], distanceM: o.distanceM, start: T0 + o.start * 3_600_000, end: T0 + (o.start + o.len) * 3_600_000 };
        const r = tx(carbon, ctx, o.platform === 0 ? issuer : merchant, 'issue', { methodology: 'travel', version: 1, activity });
        if (o.platform !== 0) assert.equal(r.ok ? 'ok' : r.code, 'CARBON_NOT_RECORDER');
        if (r.ok) {
          const d = (r.result as { digest: string }).digest;
          assert.ok(!digests.has(d), `digest ${d} issued twice`);
          digests.add(d);
        }
      } else if (o.op === 'transfer') {
        tx(carbon, ctx, people[o.from]!, 'transfer', { to: people[o.to], amount: String(o.amount) });
      } else {
        const r = tx(carbon, ctx, people[o.from]!, 'retire', { amount: String(o.amount), purpose: 'p' });
        if (r.ok) retired += BigInt(o.amount);
      }
      const stats = ctx.get('stats/travel/1') as unknown as CarbonStats;
      assert.ok(BigInt(stats.issued) <= BigInt(cap), `issued ${stats.issued} > cap ${cap}`);
      const balances = people.reduce((s, p) => s + BigInt((ctx.get(`bal/${p}`) as string | undefined) ?? '0'), 0n);
      const supply = BigInt((ctx.get('supply') as string | undefined) ?? '0');
      assert.equal(supply, balances);
      assert.equal(supply, BigInt(stats.issued) - retired);
      assert.equal(stats.records, digests.size);
    }
  })), b.params);
});

const MODULES: ModuleDef[] = [collectibleModule, couponModule, carbon];
test('fuzzed args: every method refuses bad args with BAD_ARGS or fails with a typed code, never untyped', () => {
  const b = bounded(600, 8_000);
  const calls = MODULES.flatMap((mod) => Object.keys(mod.methods).map((m) => [mod, m] as const));
  const value = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom<JsonValue>(...people, 'ab'.repeat(32), '1', '0', '-1', 1, 0, -1, 2 ** 53, 'c0:1', 'travel', true));
  const args = fc.dictionary(fc.constantFrom('id', 'name', 'supply', 'metadata', 'rules', 'class', 'serial', 'to', 'subject', 'credential', 'classes', 'reward', 'album', 'budget', 'rule', 'group', 'validFrom', 'validUntil', 'merchants', 'campaign', 'coupon', 'coupons', 'holder', 'amount', 'merchant', 'methodology', 'paramDigest', 'version', 'activity', 'proposal', 'purpose'), value, { maxKeys: 6 });
  fc.assert(fc.property(fc.constantFrom(...calls), args, fc.constantFrom(...people, governor), b.guard(([mod, m], a, sender) => {
    const ctx = new MapContext(new Map(), sender, 1, T0, 'tokens');
    const r = tx(mod, ctx, sender, m, a);
    if (!r.ok) assert.match(r.code, /^[A-Z][A-Z0-9_]+$/);
    if (!r.ok && r.code === 'BAD_ARGS') assert.equal(ctx.store.size, 0);
  })), b.params);
});
