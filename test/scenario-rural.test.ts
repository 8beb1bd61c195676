/**
 * Issue #19 item 4 end to end on a real node (`shulian up` as a process): `shulian scenario run
 * rural` creates the traceability, collectibles and county chains through governance (the last
 * two registered on the routing chain), verifies the produce's credentials, records the batch and
 * the subscriptions, mints a 非遗 collectible per delivery, grants the exclusive tier with the
 * homestay coupon at 20 deliveries or ¥2,000, redeems it at the homestay, rewards the
 * distributor's donation with an album, and has the county read the verified deliveries by
 * cross-chain calls and pay the subsidy on the settlement chain. The outcome is checked here
 * against the chains through the CLI's own commands and the proof links.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RURAL_CHAINS, RURAL_TERMS, type ScenarioReport } from '../src/scenarios/index.ts';
import { cli, json } from './helpers/cli.ts';
import { startNodeProcess } from './helpers/node-process.ts';
import { tempDir } from './helpers/tmp.ts';

test('scenario rural: certified produce → deliveries → 非遗 collectibles → exclusive tier and homestay coupon → album → cross-chain subsidy, on a real node', async (t) => {
  const tmp = tempDir('rural-');
  t.after(tmp.cleanup);
  const data = join(tmp.dir, 'data');
  const node = await startNodeProcess(data);
  t.after(() => node.stop());
  const env = { OPW: readFileSync(join(data, 'node', 'key.pass'), 'utf8').trim() };
  const key = join(data, 'node', 'key.json');
  const report = json<ScenarioReport>(await cli(['scenario', 'run', 'rural', '--key', key, '--password-env', 'OPW', '--api', node.url, '--json'], env, 400_000));
  const o = report.outcome;
  const titles = report.steps.map((s) => s.title);
  for (const chain of Object.values(RURAL_CHAINS)) assert.ok(titles.some((x) => x.includes(`governance creates business chain ${chain}`)), titles.join('\n'));
  assert.ok(titles.includes(`governance registers ${RURAL_CHAINS.nft} on the routing chain`));
  assert.ok(titles.includes(`governance registers ${RURAL_CHAINS.county} on the routing chain`));
  assert.ok(!titles.some((x) => x.includes(`registers ${RURAL_CHAINS.trace}`)), 'the traceability chain takes no part in cross-chain calls');

  // The two credentials verified; an altered one did not.
  assert.equal(titles.filter((x) => / credential verifies$/.test(x)).length, 2);
  assert.equal(report.steps.find((s) => /altered/.test(s.title))?.refused, 'PROOF_VERIFICATION_FAILED');

  // One collectible per delivery, the exclusive tier once per consumer who reached it.
  const deliveries = RURAL_TERMS.subscriptions.reduce((n, s) => n + s.deliveries, 0);
  assert.equal(o.deliveriesMinted, deliveries);
  assert.equal(o.zhangDeliveries, 20);
  assert.equal(o.chenDeliveries, 10);
  assert.equal(o.exclusiveMinted, 2);
  assert.ok(titles.some((x) => /Zhang reaches the exclusive tier \(20 deliveries\)/.test(x)), titles.join('\n'));
  assert.ok(titles.some((x) => /Chen reaches the exclusive tier \(¥2180 spent\)/.test(x)), titles.join('\n'));
  // Coupons: two issued (no double issuance), one redeemed for ¥400 off; the budget holds.
  assert.equal(o.couponsIssued, 2);
  assert.equal(o.couponsRedeemed, 1);
  assert.equal(o.campaignSpent, RURAL_TERMS.couponOffFen);
  assert.equal(o.campaignReserved, RURAL_TERMS.couponOffFen, 'Chen\'s coupon stays reserved');
  assert.ok(BigInt(String(o.campaignSpent)) + BigInt(String(o.campaignReserved)) <= BigInt(String(o.campaignBudget)));
  assert.equal(o.albumClaimed, 1);

  // The refusals the scenario provokes, each with the chain's own code.
  assert.deepEqual(report.steps.filter((s) => s.chain && s.refused).map((s) => s.refused), [
    'COUPON_HOLDER_LIMIT', 'COUPON_MERCHANT', 'COUPON_MERCHANT', 'COUPON_USED', 'COUPON_THRESHOLD', 'COLLECTIBLE_HOLDING', 'COLLECTIBLE_LOCKED', 'COLLECTIBLE_ALBUM_CLAIMED',
  ]);
  assert.match(report.steps.find((s) => /^may Zhang gift/.test(s.title))!.detail, /^no: COLLECTIBLE_HOLDING — .* after 180 days of holding/);

  // The subsidy: verified deliveries and exclusive tiers read from the collectibles chain by xcall.
  const subsidy = deliveries * RURAL_TERMS.subsidyPerDeliveryFen + 2 * RURAL_TERMS.subsidyPerExclusiveFen;
  assert.equal(o.verifiedDeliveries, deliveries);
  assert.equal(o.verifiedExclusive, 2);
  assert.equal(o.subsidyFen, String(subsidy));
  const asks = report.steps.filter((s) => /cross-chain call #/.test(s.title));
  assert.equal(asks.length, 2);
  for (const a of asks) {
    assert.equal(a.chain, RURAL_CHAINS.county);
    const link = a.links.find((l) => l.includes('/state?'))!;
    assert.match(decodeURIComponent(link), /key=xcall\/result\/heritage-nft\/\d+/);
    const answer = await (await fetch(link)).json() as { value: { status: string; result: { minted: number; issuer: string } }; proof?: unknown };
    assert.equal(answer.value.status, 'answered');
    assert.equal(answer.value.result.issuer, o.distributor);
    assert.ok(answer.proof, 'the answer kept on the county chain comes with a state proof');
  }
  // Money on the settlement chain: subscriptions prepaid to the distributor, the donation, the subsidy.
  const prepaid = RURAL_TERMS.subscriptions.reduce((n, s) => n + s.deliveries * s.priceFen, 0);
  assert.equal(o.distributorCNY, String(prepaid + subsidy));
  assert.equal(o.fundCNY, RURAL_TERMS.donationFen);
  assert.equal(o.countyCNY, '0');

  // The CLI's own commands read the same from the chains.
  const bal = json<{ balances: Array<{ currency: string; available: string }> }>(await cli(['settle', 'balance', String(o.distributor), '--api', node.url, '--json']));
  assert.equal(bal.balances.find((b) => b.currency === 'CNY')?.available, String(prepaid + subsidy));
  const shown = json<{ class: { minted: number; issuer: string }; tokens: Array<{ owner: string }> }>(await cli(['collectible', 'show', String(o.deliveryClass), '--chain', RURAL_CHAINS.nft, '--api', node.url, '--json']));
  assert.equal(shown.class.minted, deliveries);
  assert.equal(shown.tokens.filter((x) => x.owner === o.zhang).length, 20);
  const campaign = json<{ campaign: { issued: number; redeemed: number }; coupons: Array<{ status: string }> }>(await cli(['coupon', 'show', String(o.campaign), '--chain', RURAL_CHAINS.nft, '--api', node.url, '--json']));
  assert.deepEqual(campaign.coupons.map((c) => c.status).sort(), ['issued', 'redeemed']);
  const may = json<{ ok: boolean; code?: string }>(await cli(['collectible', 'may-move', String(o.deliveryClass), '1', '--to', String(o.zhang), '--chain', RURAL_CHAINS.nft, '--api', node.url, '--json']));
  assert.equal(may.ok, false);
  assert.equal(may.code, 'COLLECTIBLE_HOLDING');
  for (const s of report.steps.filter((x) => x.chain && !x.refused)) assert.ok(s.links.length > 0, `step ${s.n} has no link`);
});
