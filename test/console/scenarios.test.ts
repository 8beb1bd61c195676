/**
 * The console's Scenarios page (场景) on a real node after both city-life scenarios ran through
 * the CLI (issue #19 item 6): the rural card shows the county's cross-chain answers and the
 * subsidy paid, the low-carbon card the lex contract's split paid; the token modules' views list
 * the collectible classes with their holders and why a token may not move now, the albums, the
 * coupon campaigns with budget used and left and their redemptions, the carbon methodologies with
 * the points issued per version. Each tab in zh-CN and en, with no other language showing
 * (test/helpers/i18n-scan.ts); a screenshot of each.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { CONSOLE_DIST } from '../../src/api/console.ts';
import { toHex } from '../../src/codec/index.ts';
import { generateKeyPair } from '../../src/crypto/index.ts';
import { RURAL_CHAINS, RURAL_TERMS, type ScenarioReport } from '../../src/scenarios/index.ts';
import { cli, json } from '../helpers/cli.ts';
import { goTo, launchBrowser, screenshot, setLang, settle, signInWithHex } from '../helpers/browser.ts';
import { LeakLog } from '../helpers/i18n-scan.ts';
import { startNodeProcess } from '../helpers/node-process.ts';
import { tempDir } from '../helpers/tmp.ts';

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

test('the Scenarios page shows the rural subsidy, the low-carbon split and the collectibles, coupons and carbon points from the chains, in zh-CN and en', async (t) => {
  assert.ok(readFileSync(join(CONSOLE_DIST, 'index.html'), 'utf8').includes('/console/assets/'), 'console/dist is built (node scripts/build-console.mjs)');
  const tmp = tempDir('console-scenarios-');
  t.after(tmp.cleanup);
  const data = join(tmp.dir, 'data');
  const node = await startNodeProcess(data);
  t.after(() => node.stop());
  const env = { OPW: readFileSync(join(data, 'node', 'key.pass'), 'utf8').trim() };
  const run = async (name: string) => json<ScenarioReport>(await cli(['scenario', 'run', name, '--key', join(data, 'node', 'key.json'), '--password-env', 'OPW', '--api', node.url, '--json'], env, 400_000));
  const rural = await run('rural');
  const low = await run('lowcarbon');

  const browser = await launchBrowser();
  t.after(() => browser.close());
  const leaks = new LeakLog();
  const { page, errors } = await browser.open(`${node.url}/console/`);
  await page.getByTestId('signin').waitFor();
  await signInWithHex(page, toHex(generateKeyPair('sm2').privateKey));
  await goTo(page, 'scenarios');
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
