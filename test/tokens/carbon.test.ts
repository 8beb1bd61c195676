/**
 * The carbon module on a real chain: a methodology voted in by the governors (never changed
 * without a vote), points issued from platform-signed activity records once per reduction (the
 * same trip twice, under another reference, overlapping, or by another platform is refused),
 * the cap, transfer, irrevocable retirement, exchange for a coupon; and on another chain, where
 * neither the methodology nor its governors count.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPair } from '../../src/crypto/index.ts';
import { createCarbonModule } from '../../src/modules/carbon/index.ts';
import { carbonStateKey } from '../../src/modules/carbon/keys.ts';
import { activityDigest, paramDigestOf, proposeArgs, type CarbonStats, type MethodologyInput, type MethodologyRecord, type ProposalRecord, type TravelActivity } from '../../src/modules/carbon/types.ts';
import { couponStateKey } from '../../src/modules/coupon/keys.ts';
import type { CouponRecord } from '../../src/modules/coupon/types.ts';
import { MapContext, ModuleError } from '../../src/runtime/index.ts';
import { DAY, did, tokenChain, type TokenChain } from '../helpers/tokens.ts';

let k: TokenChain;
let other: TokenChain;
const platform = generateKeyPair('ed25519');
const rogue = generateKeyPair('ed25519');
const mall = generateKeyPair('ed25519');
const shop = generateKeyPair('ed25519');
const citizen = generateKeyPair('ed25519');
const neighbour = generateKeyPair('ed25519');

export const travel = (recorders: string[], version = 1, cap = '1000000'): MethodologyInput => ({
  id: 'green-travel', version, name: '低碳出行 DB11/T 3043-2024', recorders, cap,
  params: { kind: 'travel', baselineGPerKm: 135, modes: { metro: { gPerKm: 37, maxM: 60_000 }, bike: { gPerKm: 0, maxM: 20_000 }, walk: { gPerKm: 0, maxM: 10_000 } } },
});
const propose = (m: MethodologyInput) => ({ methodology: m, paramDigest: paramDigestOf(m.params) });

before(async () => {
  k = await tokenChain();
  other = await tokenChain('tokens-b');
});
after(async () => {
  await k.close();
  await other.close();
});

let t0 = 0;
const trip = (ref: string, startDay: number, over: Partial<TravelActivity> = {}): TravelActivity => ({ kind: 'travel', ref, citizen: did(citizen), mode: 'metro', distanceM: 10_000, start: t0 + startDay * DAY, end: t0 + startDay * DAY + 3_600_000, ...over });

test('methodologies: only governors propose; a registered version never changes; a wrong digest is refused', async () => {
  const m = travel([did(platform)]);
  await k.refused(rogue, 'carbon', 'propose', propose(m), 'CARBON_NOT_GOVERNOR', /only they propose/);
  await k.refused(k.governor, 'carbon', 'propose', { methodology: m, paramDigest: 'ab'.repeat(32) }, 'CARBON_DIGEST_MISMATCH');
  // One governor: its proposal is a majority at once.
  assert.deepEqual(await k.ok(k.governor, 'carbon', 'propose', propose(m)), { proposal: 1, status: 'registered' });
  const rec = k.state<MethodologyRecord>(carbonStateKey.methodology('green-travel', 1))!;
  assert.equal(rec.paramDigest, paramDigestOf(m.params));
  // New factors under the same version: refused, nothing written.
  const changed = { ...m, params: { ...m.params, baselineGPerKm: 500 } as MethodologyInput['params'] };
  await k.refused(k.governor, 'carbon', 'propose', propose(changed), 'CARBON_METHOD_EXISTS', /propose version 2/);
  await k.refused(k.governor, 'carbon', 'register', { methodology: changed }, 'METHOD_NOT_FOUND');
  await k.refused(k.governor, 'carbon', 'propose', propose({ ...m, version: 2, params: { kind: 'travel', baselineGPerKm: 10, modes: { metro: { gPerKm: 37, maxM: 1 } } } }), 'BAD_ARGS', /cannot exceed the baseline/);
});

test('a vote of several governors: registered only when more than half approved', () => {
  const [a, b, c] = [generateKeyPair('ed25519'), generateKeyPair('ed25519'), generateKeyPair('ed25519')].map(did) as [string, string, string];
  const mod = createCarbonModule({ validators: [a, b, c].map((d) => ({ did: d, publicKey: '', power: 1 })) });
  const ctx = new MapContext(new Map(), a, 1, 1_800_000_000_000, 'tokens');
  const run = (sender: string, m: 'propose' | 'approve', args: unknown) => {
    ctx.sender = sender;
    const def = mod.methods[m]!;
    return def.run(ctx, def.args.parse(args));
  };
  assert.deepEqual(run(a, 'propose', proposeArgs.parse(propose(travel([b])))), { proposal: 1, status: 'open' });
  assert.equal(ctx.get('method/green-travel/1'), undefined);
  assert.throws(() => run(a, 'approve', { proposal: 1 }), (e: ModuleError) => e.code === 'CARBON_ALREADY_APPROVED');
  assert.throws(() => run(did(rogue), 'approve', { proposal: 1 }), (e: ModuleError) => e.code === 'CARBON_NOT_GOVERNOR');
  assert.deepEqual(run(b, 'approve', { proposal: 1 }), { proposal: 1, status: 'registered', approvals: 2 });
  assert.equal((ctx.get('method/green-travel/1') as unknown as MethodologyRecord).proposal, 1);
  assert.throws(() => run(c, 'approve', { proposal: 1 }), (e: ModuleError) => e.code === 'CARBON_PROPOSAL_NOT_FOUND');
});

test('issuance: by the platform only, once per reduction', async () => {
  t0 = k.time;
  await k.refused(rogue, 'carbon', 'issue', { methodology: 'green-travel', version: 1, activity: trip('T-1', 0) }, 'CARBON_NOT_RECORDER');
  await k.refused(platform, 'carbon', 'issue', { methodology: 'green-travel', version: 9, activity: trip('T-1', 0) }, 'CARBON_METHOD_NOT_FOUND');
  // (135 − 37) g/km × 10 km = 980 points.
  const r = await k.ok(platform, 'carbon', 'issue', { methodology: 'green-travel', version: 1, activity: trip('T-1', 0) });
  assert.deepEqual(r, { digest: activityDigest(trip('T-1', 0)), points: '980' });
  // The same trip again, and under another reference.
  await k.refused(platform, 'carbon', 'issue', { methodology: 'green-travel', version: 1, activity: trip('T-1', 0) }, 'CARBON_DOUBLE_CLAIM', /was issued at height/);
  await k.refused(platform, 'carbon', 'issue', { methodology: 'green-travel', version: 1, activity: trip('T-1-again', 0) }, 'CARBON_DOUBLE_CLAIM');
  // An overlapping trip (another mode in the same hour).
  await k.refused(platform, 'carbon', 'issue', { methodology: 'green-travel', version: 1, activity: trip('T-2', 0, { mode: 'bike', start: t0 + 1_800_000, end: t0 + 5_000_000 }) }, 'CARBON_DOUBLE_CLAIM', /overlaps/);
  await k.refused(platform, 'carbon', 'issue', { methodology: 'green-travel', version: 1, activity: trip('T-2', 1, { mode: 'car' }) }, 'CARBON_NO_REDUCTION', /not one the methodology credits/);
  await k.refused(platform, 'carbon', 'issue', { methodology: 'green-travel', version: 1, activity: trip('T-2', 1, { mode: 'walk', distanceM: 50_000 }) }, 'CARBON_NO_REDUCTION', /longer than/);
  await k.refused(platform, 'carbon', 'issue', { methodology: 'green-travel', version: 1, activity: trip('T-2', 1, { end: t0 }) }, 'BAD_ARGS', /ends after it starts/);
  // Bike 4 km: 135 × 4 = 540.
  await k.ok(platform, 'carbon', 'issue', { methodology: 'green-travel', version: 1, activity: trip('T-2', 1, { mode: 'bike', distanceM: 4_000 }) });
  assert.equal(k.state<string>(carbonStateKey.balance(did(citizen))), '1520');
  assert.deepEqual(k.state<CarbonStats>(carbonStateKey.stats('green-travel', 1)), { records: 2, issued: '1520' });
});

test('household electricity: one claim per period, below the baseline only', async () => {
  const m: MethodologyInput = { id: 'home-power', version: 1, name: '深圳 家庭节电', recorders: [did(platform)], cap: '1000000', params: { kind: 'electricity', gridGPerKwh: 581 } };
  await k.ok(k.governor, 'carbon', 'propose', propose(m));
  const bill = { kind: 'electricity', ref: 'B-2026-11', citizen: did(neighbour), period: '2026-11', baselineWh: 300_000, actualWh: 250_000 };
  assert.deepEqual(await k.ok(platform, 'carbon', 'issue', { methodology: 'home-power', version: 1, activity: bill }), { digest: activityDigest(bill as never), points: '29050' });
  await k.refused(platform, 'carbon', 'issue', { methodology: 'home-power', version: 1, activity: { ...bill, ref: 'B-again', actualWh: 240_000 } }, 'CARBON_DOUBLE_CLAIM', /2026-11 was credited/);
  await k.refused(platform, 'carbon', 'issue', { methodology: 'home-power', version: 1, activity: { ...bill, period: '2026-12', actualWh: 300_000 } }, 'CARBON_NO_REDUCTION', /not below the baseline/);
  await k.refused(platform, 'carbon', 'issue', { methodology: 'green-travel', version: 1, activity: { ...bill, period: '2026-12' } }, 'CARBON_NO_REDUCTION', /for travel activities/);
});

test('the cap bounds issuance under a methodology', async () => {
  await k.ok(k.governor, 'carbon', 'propose', propose(travel([did(platform)], 2, '1000')));
  await k.ok(platform, 'carbon', 'issue', { methodology: 'green-travel', version: 2, activity: trip('C-1', 10, { distanceM: 10_000 }) });
  await k.refused(platform, 'carbon', 'issue', { methodology: 'green-travel', version: 2, activity: trip('C-2', 11, { distanceM: 1_000 }) }, 'CARBON_CAP', /issued 980 of its cap 1000/);
});

test('transfer, retirement for good, and exchange for a coupon paid to the mall', async () => {
  await k.refused(citizen, 'carbon', 'transfer', { to: did(neighbour), amount: '999999' }, 'CARBON_INSUFFICIENT');
  await k.ok(citizen, 'carbon', 'transfer', { to: did(neighbour), amount: '100' });
  assert.deepEqual(await k.ok(neighbour, 'carbon', 'retire', { amount: '50', purpose: 'offset my commute' }), { retirement: 1 });
  assert.equal(k.state<string>(carbonStateKey.retired()), '50');
  await k.refused(neighbour, 'carbon', 'unretire', { retirement: 1 }, 'METHOD_NOT_FOUND');
  const supply = BigInt(k.state<string>(carbonStateKey.supply())!);
  assert.equal(supply, 1520n + 29050n + 980n - 50n);
  await k.ok(mall, 'coupon', 'createCampaign', { id: 'green-mall', name: '绿色积分兑换', budget: '2000', rule: { kind: 'fixed', off: '1000' }, group: 'green', validFrom: k.time, validUntil: k.time + 30 * DAY, merchants: [did(shop)], pointsPrice: '500' });
  await k.ok(mall, 'coupon', 'createCampaign', { id: 'not-for-points', name: 'x', budget: '2000', rule: { kind: 'fixed', off: '1000' }, group: 'x', validFrom: k.time, validUntil: k.time + 30 * DAY, merchants: [did(shop)] });
  await k.refused(citizen, 'carbon', 'exchange', { campaign: 'not-for-points' }, 'COUPON_NOT_FOR_POINTS');
  assert.deepEqual(await k.ok(citizen, 'carbon', 'exchange', { campaign: 'green-mall' }), { coupon: 'green-mall:1', points: '500' });
  assert.equal(k.state<string>(carbonStateKey.balance(did(mall))), '500');
  assert.equal(k.state<CouponRecord>(couponStateKey.coupon('green-mall:1'))!.holder, did(citizen));
  await k.ok(citizen, 'carbon', 'transfer', { to: did(rogue), amount: '499' });
  await k.refused(rogue, 'carbon', 'exchange', { campaign: 'green-mall' }, 'CARBON_INSUFFICIENT', /holds 499 carbon points, less than 500/);
  await k.ok(citizen, 'carbon', 'exchange', { campaign: 'green-mall' });
  // The budget (2 × 1000) is spent: a third exchange is refused, and no points move.
  await k.refused(citizen, 'carbon', 'exchange', { campaign: 'green-mall' }, 'COUPON_BUDGET');
});

test('another chain: its own governors, none of this chain\'s methodologies', async () => {
  await other.refused(k.governor, 'carbon', 'propose', propose(travel([did(platform)])), 'CARBON_NOT_GOVERNOR');
  await other.refused(platform, 'carbon', 'issue', { methodology: 'green-travel', version: 1, activity: trip('X-1', 20) }, 'CARBON_METHOD_NOT_FOUND');
  assert.equal(other.state<ProposalRecord>(carbonStateKey.proposal(1)), undefined);
});
