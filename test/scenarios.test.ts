/**
 * The city-life scenarios (issue #19) on one real node (`shulian up` as a process), each run
 * through the CLI as a user runs it, then the console's Scenarios page over what they left.
 *
 * 低碳生活 (item 5): `shulian scenario run lowcarbon` creates the green-travel chain through
 * governance, registers the methodology, issues points for trips (refusing a double claim and a
 * trip sent by a citizen), exchanges points for the mall's coupons and redeems them, pays the
 * acquisition cost split between the fund and the platform by the carbon-coupons lex contract,
 * and grants to a social worker; a second run on the same alliance reuses the chain.
 *
 * 乡村振兴 (item 4): `shulian scenario run rural` creates the traceability, collectibles and county
 * chains through governance (the last two registered on the routing chain), verifies the
 * produce's credentials, records the batch and the subscriptions, mints a 非遗 collectible per
 * delivery, grants the exclusive tier with the homestay coupon at 20 deliveries or ¥2,000, redeems
 * it at the homestay, rewards the distributor's donation with an album, and has the county read
 * the verified deliveries by cross-chain calls and pay the subsidy on the settlement chain.
 *
 * Each outcome is checked against the chains through the CLI's own commands and the proof links.
 * The Scenarios page (场景, item 6): the rural card shows the county's cross-chain answers and the
 * subsidy paid, the low-carbon card the lex contract's split paid; the token modules' views list
 * the collectible classes with their holders and why a token may not move now, the albums, the
 * coupon campaigns with budget used and left and their redemptions, the carbon methodologies with
 * the points issued per version. Each tab in zh-CN and en, with no other language showing
 * (test/helpers/i18n-scan.ts); a screenshot of each. One node for all: the scenarios and the
 * page are what a newcomer's alliance shows after running both.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { CONSOLE_DIST } from '../src/api/console.ts';
import { LOWCARBON_CHAIN, LOWCARBON_TERMS, RURAL_CHAINS, RURAL_TERMS, type ScenarioReport } from '../src/scenarios/index.ts';
import { cli, json } from './helpers/cli.ts';
import { launchBrowser, openSignedIn, screenshot, setLang, settle } from './helpers/browser.ts';
import { LeakLog } from './helpers/i18n-scan.ts';
import { startNodeProcess, type NodeProcess } from './helpers/node-process.ts';
import { tempDir } from './helpers/tmp.ts';

async function both(page: Page, leaks: LeakLog, what: string, shot: string): Promise<void> {
  for (const lang of ['zh', 'en'] as const) {
    await setLang(page, lang);
    await settle(page);
    await leaks.check(page, lang, what);
    await screenshot(page, `${shot}-${lang}`);
  }
  await setLang(page, 'zh');
}

/** Picks a chain in a tab's chain selector. */
async function pickChain(page: Page, module: string, chain: string): Promise<void> {
  await page.getByTestId(`${module}-chain`).click();
  await page.locator('.ant-select-dropdown:visible .ant-select-item-option').filter({ hasText: chain }).first().click();
}

describe('city-life scenarios on one real node, and the console\'s Scenarios page', () => {
  const tmp = tempDir('scenarios-');
  const data = join(tmp.dir, 'data');
  let node: NodeProcess;
  let env: Record<string, string>;
  const key = join(data, 'node', 'key.json');
  const run = async (name: string): Promise<ScenarioReport> => json<ScenarioReport>(await cli(['scenario', 'run', name, '--key', key, '--password-env', 'OPW', '--api', node.url, '--json'], env, 400_000));
  const runIt = (): Promise<ScenarioReport> => run('lowcarbon');
  let low: ScenarioReport | undefined;
  let rural: ScenarioReport | undefined;

  before(async () => {
    node = await startNodeProcess(data);
    env = { OPW: readFileSync(join(data, 'node', 'key.pass'), 'utf8').trim() };
  });
  after(async () => {
    await node?.stop();
    tmp.cleanup();
  });

  test('scenario lowcarbon: trips → carbon points → coupons → acquisition cost split → grant', async () => {
    const report = await runIt();
    low = report;
    const o = report.outcome;
    const titles = report.steps.map((s) => s.title);
    assert.ok(titles.some((x) => /governance creates business chain green-travel/.test(x)), titles.join('\n'));
    // Metro 18 km (98 g/km) + bike 4 km + walk 2.5 km (135 g/km) for Wang; metro 22 km + bike 6 km for Li.
    const wang = 98 * 18 + 135 * 4 + Math.floor(135 * 2.5);
    const li = 98 * 22 + 135 * 6;
    assert.equal(o.tripsCredited, 5);
    assert.equal(o.pointsIssued, String(wang + li));
    const price = Number(LOWCARBON_TERMS.pointsPrice);
    assert.equal(o.pointsWang, String(wang - price));
    assert.equal(o.pointsLi, String(li - price));
    assert.equal(o.pointsMall, String(2 * price));
    assert.equal(o.chainSupply, String(wang + li));
    // Two coupons redeemed, each 20 元 off; the budget (200 元) not exceeded.
    assert.equal(o.couponsRedeemed, 2);
    assert.equal(o.campaignSpent, String(2 * Number(LOWCARBON_TERMS.couponOffFen)));
    assert.ok(BigInt(String(o.campaignSpent)) <= BigInt(String(o.campaignBudget)));
    // The acquisition cost (2 × 5 元) split 60/40; the fund granted 3 元 on.
    const paid = 2 * LOWCARBON_TERMS.acquisitionFen;
    assert.equal(o.acquisitionPaid, String(paid));
    assert.equal(o.fundCNY, String((paid * LOWCARBON_TERMS.fundBp) / 10_000 - Number(LOWCARBON_TERMS.grantFen)));
    assert.equal(o.platformCNY, String((paid * LOWCARBON_TERMS.platformBp) / 10_000));
    assert.equal(o.socialWorkerCNY, LOWCARBON_TERMS.grantFen);
    // The intended refusals are steps of the report, with their codes.
    assert.deepEqual(report.steps.filter((s) => s.refused).map((s) => s.refused), ['CARBON_DOUBLE_CLAIM', 'CARBON_NOT_RECORDER', 'COUPON_USED', 'REQUIREMENT_NOT_MET']);
    // The split is the carbon-coupons lex contract's: two CouponUsed events, two split instructions paid on settle.
    assert.equal(o.contractPayments, 2);
    type Minor = { currency: string; minor: number };
    const contract = json<{ settlements: Array<{ status: string; instruction: { kind: string; amount: Minor; shares: Array<{ to: string; amount: Minor }> } }> }>(await cli(['contract', 'status', String(o.contract), '--api', node.url, '--json']));
    assert.deepEqual(contract.settlements.map((x) => [x.status, x.instruction.kind, x.instruction.amount.minor]), [['paid', 'split', 500], ['paid', 'split', 500]]);
    assert.deepEqual(contract.settlements[0]!.instruction.shares.map((x) => x.amount.minor), [300, 200]);
    // Every step on a chain links to its tx or a state proof, and the links answer.
    for (const s of report.steps.filter((x) => x.chain && !x.refused)) assert.ok(s.links.length > 0, `step ${s.n} has no link`);
    const proofLink = report.steps.find((s) => s.links.some((l) => l.includes('/state?')))!.links.find((l) => l.includes('/state?'))!;
    const proof = await (await fetch(proofLink)).json() as { value: unknown; proof?: unknown };
    assert.notEqual(proof.value, null);
    assert.ok(proof.proof, 'the state link carries a proof');

    // The CLI's token commands read the same numbers from the chain.
    const methodology = String(o.methodology).split(' ')[0]!;
    const stats = json<{ stats: { records: number; issued: string } }>(await cli(['carbon', 'stats', methodology, '1', '--chain', LOWCARBON_CHAIN, '--api', node.url, '--json']));
    assert.deepEqual(stats.stats, { records: 5, issued: String(wang + li) });
    const campaign = report.steps.find((s) => /coupon campaign/.test(s.title))!.links.find((l) => l.includes('/state?'))!;
    const campaignId = decodeURIComponent(campaign.split('key=')[1]!.split('&')[0]!).split('/').pop()!;
    const shown = json<{ campaign: { redeemed: number }; coupons: Array<{ status: string }> }>(await cli(['coupon', 'show', campaignId, '--chain', LOWCARBON_CHAIN, '--api', node.url, '--json']));
    assert.equal(shown.campaign.redeemed, 2);
    assert.deepEqual(shown.coupons.map((c) => c.status), ['redeemed', 'redeemed']);
    const human = await cli(['coupon', 'show', campaignId, '--chain', LOWCARBON_CHAIN, '--api', node.url]);
    assert.match(human.stdout, /budget 20000: reserved 0, spent 4000; 2 issued, 2 redeemed/);

  });

  test('scenario rural: certified produce → deliveries → 非遗 collectibles → exclusive tier and homestay coupon → album → cross-chain subsidy', async () => {
    const report = await run('rural');
    rural = report;
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

  test('the Scenarios page shows the rural subsidy, the low-carbon split and the collectibles, coupons and carbon points from the chains, in zh-CN and en', async (t) => {
    assert.ok(readFileSync(join(CONSOLE_DIST, 'index.html'), 'utf8').includes('/console/assets/'), 'console/dist is built (node scripts/build-console.mjs)');
    assert.ok(rural && low, 'both scenarios ran');
    const browser = await launchBrowser();
    t.after(() => browser.close());
    const leaks = new LeakLog();
    const { page, errors } = await openSignedIn(browser, node.url, 'scenarios');
    assert.equal(await page.getByTestId('page-title').textContent(), '场景');

    // The scenarios tab: the county's answers and the subsidy it paid; the contract's split, paid.
    const answers = page.getByTestId('rural-answers').locator('tbody tr.ant-table-row');
    await answers.first().waitFor({ timeout: 60_000 });
    assert.equal(await answers.count(), 2);
    const deliveries = RURAL_TERMS.subscriptions.reduce((n, s) => n + s.deliveries, 0);
    assert.match(await answers.nth(0).textContent() ?? '', new RegExp(`collectible\\.class${rural.outcome.deliveryClass}已应答${deliveries}`));
    assert.match(await page.getByTestId('rural-subsidy-paid').textContent() ?? '', new RegExp(`^¥${(Number(rural.outcome.subsidyFen) / 100).toFixed(2)}`));
    const split = page.getByTestId('lowcarbon-split').locator('tbody tr.ant-table-row');
    await split.first().waitFor({ timeout: 30_000 });
    assert.equal(await split.count(), 2);
    for (let i = 0; i < 2; i++) assert.match(await split.nth(i).textContent() ?? '', /¥5\.00¥3\.00 \(60%\).*¥2\.00 \(40%\).*已支付/);
    await both(page, leaks, 'scenarios', 'scenarios');

    // Collectibles on the collectibles chain: classes, a class's holders with "may it move now", albums.
    await page.getByRole('tab', { name: '数字藏品' }).click();
    await pickChain(page, 'collectible', RURAL_CHAINS.nft);
    const delivery = page.getByTestId('collectible-classes').locator('tbody tr.ant-table-row').filter({ hasText: String(rural.outcome.deliveryClass) });
    await delivery.waitFor({ timeout: 30_000 });
    assert.match(await delivery.textContent() ?? '', new RegExp(`${deliveries} / 10000.*持有满 180 天后`));
    await delivery.locator('.ant-table-row-expand-icon').click();
    const may = page.getByTestId(`class-${rural.outcome.deliveryClass}`).getByTestId('may-move').first();
    await may.waitFor({ timeout: 30_000 });
    assert.equal(await may.getAttribute('data-code'), 'COLLECTIBLE_HOLDING');
    assert.match(await page.getByTestId('collectible-albums').textContent() ?? '', new RegExp(String(rural.outcome.album)));
    await both(page, leaks, 'collectibles', 'scenarios-collectibles');

    // Coupons: the homestay campaign's budget spent / reserved / left and its redemption.
    await page.getByRole('tab', { name: '优惠券' }).click();
    await pickChain(page, 'coupon', RURAL_CHAINS.nft);
    const budget = page.getByTestId(`budget-${rural.outcome.campaign}`);
    await budget.waitFor({ timeout: 30_000 });
    assert.equal(await budget.textContent(), '¥400.00 / ¥400.00 / ¥800.00');
    await page.getByTestId('coupon-campaigns').locator('tbody tr.ant-table-row').filter({ hasText: String(rural.outcome.campaign) }).locator('.ant-table-row-expand-icon').click();
    const coupons = page.getByTestId(`coupons-${rural.outcome.campaign}`).locator('tbody tr.ant-table-row');
    await coupons.nth(1).waitFor({ timeout: 30_000 });
    assert.match(await coupons.nth(0).textContent() ?? '', /已核销.*¥1680\.00.*¥400\.00/);
    await both(page, leaks, 'coupons', 'scenarios-coupons');

    // Carbon points on the green-travel chain: the methodology with the points it issued.
    await page.getByRole('tab', { name: '碳积分' }).click();
    const methodology = String(low.outcome.methodology).split(' ')[0]!;
    const issued = page.getByTestId(`issued-${methodology}`);
    await issued.waitFor({ timeout: 30_000 });
    assert.equal(await issued.textContent(), String(low.outcome.pointsIssued));
    await both(page, leaks, 'carbon', 'scenarios-carbon');

    leaks.assertNone();
    assert.deepEqual(errors, []);
  });

  test('scenario lowcarbon again on the same alliance: the chain exists, new ids, the same outcome', async () => {
    // A second run on the same alliance: the chain exists, new ids, the same outcome.
    const again = await runIt();
    assert.ok(again.steps.some((s) => /is running/.test(s.title)));
    assert.equal(again.outcome.tripsCredited, 5);
    assert.equal(again.outcome.couponsRedeemed, 2);
  });
});
