/**
 * The coupon module on a real chain: 满1500减400 thresholds, percentage and fixed discounts,
 * stacking groups and exclusivity, validity windows, merchant lists, the holder's authorisation,
 * expiry and refund; concurrent redemptions in one block never redeem a coupon twice nor pass
 * the budget; only `carbon` may call coupon.exchange.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPair } from '../../src/crypto/index.ts';
import { couponStateKey } from '../../src/modules/coupon/keys.ts';
import type { CampaignRecord, CouponRecord } from '../../src/modules/coupon/types.ts';
import { DAY, did, tokenChain, type TokenChain } from '../helpers/tokens.ts';

let k: TokenChain;
const mall = generateKeyPair('ed25519');
const homestay = generateKeyPair('ed25519');
const shop = generateKeyPair('ed25519');
const alice = generateKeyPair('ed25519');
const bob = generateKeyPair('ed25519');
const stranger = generateKeyPair('ed25519');

before(async () => {
  k = await tokenChain();
});
after(async () => {
  await k.close();
});

const campaign = (id: string) => k.state<CampaignRecord>(couponStateKey.campaign(id))!;
const coupon = (id: string) => k.state<CouponRecord>(couponStateKey.coupon(id))!;
const window = () => ({ validFrom: k.time, validUntil: k.time + 30 * DAY });

test('满1500减400: issue within the budget, redeem with the holder\'s authorisation, never twice', async () => {
  await k.ok(homestay, 'coupon', 'createCampaign', { id: 'homestay', name: '民宿 满1500减400', budget: '80000', rule: { kind: 'threshold', min: '150000', off: '40000' }, group: 'stay', exclusive: true, ...window(), merchants: [did(homestay)] });
  await k.refused(homestay, 'coupon', 'createCampaign', { id: 'x', name: 'x', budget: '100', rule: { kind: 'threshold', min: '150000', off: '40000' }, group: 'g', ...window(), merchants: [did(homestay)] }, 'BAD_ARGS', /args\.budget/);
  await k.refused(homestay, 'coupon', 'createCampaign', { id: 'x', name: 'x', budget: '100000', rule: { kind: 'threshold', min: '100', off: '400' }, group: 'g', ...window(), merchants: [did(homestay)] }, 'BAD_ARGS', /args\.rule\.off/);
  await k.refused(stranger, 'coupon', 'issue', { campaign: 'homestay', to: did(alice) }, 'COUPON_NOT_ISSUER');
  assert.deepEqual(await k.ok(homestay, 'coupon', 'issue', { campaign: 'homestay', to: did(alice) }), { coupon: 'homestay:1' });
  await k.ok(homestay, 'coupon', 'issue', { campaign: 'homestay', to: did(bob) });
  // Two coupons reserve 2 × 40000 = the whole budget.
  await k.refused(homestay, 'coupon', 'issue', { campaign: 'homestay', to: did(stranger) }, 'COUPON_BUDGET', /0 of its budget 80000 left/);
  assert.equal(campaign('homestay').reserved, '80000');
  // No authorisation yet; then an authorisation for someone else's coupon, or a merchant off the list.
  await k.refused(homestay, 'coupon', 'redeem', { coupons: ['homestay:1'], holder: did(alice), amount: '150000' }, 'COUPON_NOT_AUTHORIZED', /coupon\.authorize/);
  await k.refused(bob, 'coupon', 'authorize', { coupon: 'homestay:1', merchant: did(homestay) }, 'COUPON_NOT_HOLDER');
  await k.refused(alice, 'coupon', 'authorize', { coupon: 'homestay:1', merchant: did(shop) }, 'COUPON_MERCHANT');
  await k.ok(alice, 'coupon', 'authorize', { coupon: 'homestay:1', merchant: did(homestay) });
  await k.refused(shop, 'coupon', 'redeem', { coupons: ['homestay:1'], holder: did(alice), amount: '150000' }, 'COUPON_MERCHANT');
  await k.refused(homestay, 'coupon', 'redeem', { coupons: ['homestay:1'], holder: did(bob), amount: '150000' }, 'COUPON_NOT_HOLDER');
  await k.refused(homestay, 'coupon', 'redeem', { coupons: ['homestay:1'], holder: did(alice), amount: '149999' }, 'COUPON_THRESHOLD', /at least 150000/);
  // Redeemed twice in the same block: the first one wins, the second is refused.
  const [first, second] = await k.block([
    [homestay, 'coupon', 'redeem', { coupons: ['homestay:1'], holder: did(alice), amount: '168000' }],
    [homestay, 'coupon', 'redeem', { coupons: ['homestay:1'], holder: did(alice), amount: '168000' }],
  ]);
  assert.equal(first!.status, 'ok');
  assert.deepEqual(first!.result, { amount: '168000', discount: '40000', due: '128000', coupons: [{ coupon: 'homestay:1', discount: '40000' }] });
  assert.equal(second!.code, 'COUPON_USED');
  await k.refused(homestay, 'coupon', 'redeem', { coupons: ['homestay:1'], holder: did(alice), amount: '168000' }, 'COUPON_USED', /used once/);
  const c = campaign('homestay');
  assert.deepEqual([c.reserved, c.spent, c.redeemed], ['40000', '40000', 1]);
  // Refund by the redeeming merchant only; the discount returns to the budget, the coupon is spent.
  await k.refused(shop, 'coupon', 'refund', { coupon: 'homestay:1' }, 'COUPON_NOT_REDEEMED');
  await k.ok(homestay, 'coupon', 'refund', { coupon: 'homestay:1' });
  await k.refused(homestay, 'coupon', 'refund', { coupon: 'homestay:1' }, 'COUPON_NOT_REDEEMED');
  assert.equal(coupon('homestay:1').status, 'refunded');
  assert.equal(campaign('homestay').spent, '0');
  await k.ok(homestay, 'coupon', 'issue', { campaign: 'homestay', to: did(stranger) });
});

test('stacking: one coupon per group, exclusive ones alone; discounts apply in order on what is still due', async () => {
  await k.ok(mall, 'coupon', 'createCampaign', { id: 'mall-pct', name: '9折', budget: '100000', rule: { kind: 'percent', bps: 1000, maxOff: '5000' }, group: 'mall', ...window(), merchants: [did(shop)] });
  await k.ok(mall, 'coupon', 'createCampaign', { id: 'mall-fixed', name: '立减20', budget: '100000', rule: { kind: 'fixed', off: '2000' }, group: 'mall-extra', ...window(), merchants: [did(shop)] });
  await k.ok(mall, 'coupon', 'createCampaign', { id: 'mall-fixed-2', name: '立减30', budget: '100000', rule: { kind: 'fixed', off: '3000' }, group: 'mall', ...window(), merchants: [did(shop)] });
  for (const id of ['mall-pct', 'mall-fixed', 'mall-fixed-2']) await k.ok(mall, 'coupon', 'issue', { campaign: id, to: did(alice) });
  for (const id of ['mall-pct:1', 'mall-fixed:1', 'mall-fixed-2:1']) await k.ok(alice, 'coupon', 'authorize', { coupon: id, merchant: did(shop) });
  await k.refused(shop, 'coupon', 'redeem', { coupons: ['mall-pct:1', 'mall-fixed-2:1'], holder: did(alice), amount: '30000' }, 'COUPON_STACKING', /group "mall"/);
  await k.refused(shop, 'coupon', 'redeem', { coupons: ['mall-pct:1', 'mall-pct:1'], holder: did(alice), amount: '30000' }, 'BAD_ARGS', /appears twice/);
  // 10 % of 30000 = 3000, then 2000 off the 27000 left.
  const r = await k.ok(shop, 'coupon', 'redeem', { coupons: ['mall-pct:1', 'mall-fixed:1'], holder: did(alice), amount: '30000' });
  assert.deepEqual(r, { amount: '30000', discount: '5000', due: '25000', coupons: [{ coupon: 'mall-pct:1', discount: '3000' }, { coupon: 'mall-fixed:1', discount: '2000' }] });
  // An exclusive coupon (homestay) with another one.
  await k.ok(homestay, 'coupon', 'createCampaign', { id: 'stay-extra', name: 'extra', budget: '1000', rule: { kind: 'fixed', off: '1000' }, group: 'stay-extra', ...window(), merchants: [did(homestay)] });
  await k.ok(homestay, 'coupon', 'issue', { campaign: 'stay-extra', to: did(bob) });
  await k.ok(bob, 'coupon', 'authorize', { coupon: 'homestay:2', merchant: did(homestay) });
  await k.ok(bob, 'coupon', 'authorize', { coupon: 'stay-extra:1', merchant: did(homestay) });
  await k.refused(homestay, 'coupon', 'redeem', { coupons: ['stay-extra:1', 'homestay:2'], holder: did(bob), amount: '200000' }, 'COUPON_STACKING', /exclusive/);
});

test('validity window: not before validFrom, not after validUntil; expiry returns the reservation', async () => {
  const from = k.time + 10 * DAY;
  await k.ok(mall, 'coupon', 'createCampaign', { id: 'spring', name: '春季', budget: '10000', rule: { kind: 'fixed', off: '1000' }, group: 'spring', validFrom: from, validUntil: from + 10 * DAY, merchants: [did(shop)], perHolder: 1 });
  await k.ok(mall, 'coupon', 'issue', { campaign: 'spring', to: did(alice) });
  await k.refused(mall, 'coupon', 'issue', { campaign: 'spring', to: did(alice) }, 'COUPON_HOLDER_LIMIT');
  await k.ok(alice, 'coupon', 'authorize', { coupon: 'spring:1', merchant: did(shop) });
  await k.refused(shop, 'coupon', 'redeem', { coupons: ['spring:1'], holder: did(alice), amount: '5000' }, 'COUPON_NOT_VALID', /valid from/);
  await k.refused(stranger, 'coupon', 'expire', { coupon: 'spring:1' }, 'COUPON_NOT_EXPIRED');
  await k.refused(shop, 'coupon', 'redeem', { coupons: ['spring:1'], holder: did(alice), amount: '5000' }, 'COUPON_NOT_VALID', undefined, from + 10 * DAY);
  await k.refused(mall, 'coupon', 'issue', { campaign: 'spring', to: did(bob) }, 'COUPON_NOT_VALID', /ended/);
  assert.equal(campaign('spring').reserved, '1000');
  await k.ok(stranger, 'coupon', 'expire', { coupon: 'spring:1' });
  assert.deepEqual([campaign('spring').reserved, coupon('spring:1').status], ['0', 'expired']);
  await k.refused(stranger, 'coupon', 'expire', { coupon: 'spring:1' }, 'COUPON_USED');
  await k.refused(shop, 'coupon', 'redeem', { coupons: ['spring:1'], holder: did(alice), amount: '5000' }, 'COUPON_USED');
});

test('concurrent redemptions in one block: the budget holds and each coupon is redeemed once', async () => {
  await k.ok(mall, 'coupon', 'createCampaign', { id: 'rush', name: 'rush', budget: '5000', rule: { kind: 'fixed', off: '1000' }, group: 'rush', validFrom: k.time, validUntil: k.time + DAY, merchants: [did(shop), did(homestay)] });
  const people = [alice, bob, stranger];
  const issued = await k.block(Array.from({ length: 8 }, (_, i) => [mall, 'coupon', 'issue', { campaign: 'rush', to: did(people[i % 3]!) }]));
  assert.equal(issued.filter((r) => r.status === 'ok').length, 5);
  assert.ok(issued.slice(5).every((r) => r.code === 'COUPON_BUDGET'));
  const held = (i: number) => `rush:${i + 1}`;
  await k.block([0, 1, 2, 3, 4].map((i) => [people[i % 3]!, 'coupon', 'authorize', { coupon: held(i), merchant: did(shop) }]));
  // Each coupon redeemed by the shop twice in the same block, interleaved.
  const rs = await k.block([0, 1, 2, 3, 4, 0, 1, 2, 3, 4].map((i) => [shop, 'coupon', 'redeem', { coupons: [held(i)], holder: did(people[i % 3]!), amount: '3000' }]));
  assert.deepEqual(rs.map((r) => r.status), [...Array(5).fill('ok'), ...Array(5).fill('failed')]);
  assert.ok(rs.slice(5).every((r) => r.code === 'COUPON_USED'));
  const c = campaign('rush');
  assert.deepEqual([c.spent, c.reserved, c.redeemed], ['5000', '0', 5]);
});

test('coupon.exchange answers only carbon: another module is refused before its args are read', async () => {
  await k.ok(mall, 'coupon', 'createCampaign', { id: 'green', name: 'green', budget: '10000', rule: { kind: 'fixed', off: '1000' }, group: 'green', ...window(), merchants: [did(shop)], pointsPrice: '500' });
  await k.refused(alice, 'impostor', 'poke', { campaign: 'green', to: did(alice) }, 'FORBIDDEN', /carbon/);
  assert.equal(campaign('green').issued, 0);
});
