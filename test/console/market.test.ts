/**
 * The console's Service market page (服务市场) on a real node in a real Chromium: a provider with
 * three contributors publishes a product, a buyer subscribes by signing the plan's contract with
 * every party, a gateway commits usage; the buyer finds the product in the catalog by category,
 * provider and price, reads its page (OpenAPI digest, plans, contributors, shares) and sees its
 * subscription's usage chart; the provider sees its revenue view. Both languages, no leaks of the
 * other language, no console errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { toHex } from '../../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair, sm3, type KeyPair } from '../../src/crypto/index.ts';
import { usageRoot, type Plan, type ProductInput, type ReceiptLine } from '../../src/modules/market/types.ts';
import { ShulianClient, commitUsageBatch, draftSubscription, publishProduct, signSubscription, subscribe } from '../../src/sdk/index.ts';
import { repoRoot, startNodeProcess } from '../helpers/node-process.ts';
import { tempDir } from '../helpers/tmp.ts';
import { goTo, launchBrowser, screenshot, setLang, settle, signInWithHex, signOut } from '../helpers/browser.ts';
import { LeakLog } from '../helpers/i18n-scan.ts';

test('the service market page: catalog search, product page, my subscriptions with usage, provider revenue, in zh-CN and en', { timeout: 600_000 }, async () => {
  const tmp = tempDir();
  const node = await startNodeProcess(join(tmp.dir, 'node'));
  const browser = await launchBrowser();
  try {
    const c = new ShulianClient({ baseUrl: node.url });
    const names = ['provider', 'dataSource', 'algorithm', 'compute', 'tax', 'buyer', 'gateway'] as const;
    const k = Object.fromEntries(names.map((n) => [n, generateKeyPair('sm2')])) as Record<(typeof names)[number], KeyPair>;
    const did = (n: (typeof names)[number]): string => didFromPublicKey(k[n].publicKey);
    const h = await c.send('sign', k.provider, { module: 'lexcontract', method: 'deploy', args: { source: readFileSync(join(repoRoot, 'contracts/api-subscription/contract.lex'), 'utf8') } });
    const template = ((await c.waitForTx(h)).receipt.result as { template: string }).template;
    const plans: Plan[] = [{
      id: 'metered', kind: 'per-call', unit: 'call', currency: 'CNY', template, baseFee: 0, includedUnits: 0, unitPrice: 37, tierUnits: 0, tierPrice: 37, quota: 0,
      rateLimit: 100, periodSeconds: 3600, periods: 2, graceSeconds: 10, withholdingBp: 300, taxAuthority: did('tax'), shares: { provider: 5000, dataSource: 2000, algorithm: 2000, compute: 1000 },
    }];
    const openapi = toHex(sm3(new TextEncoder().encode('openapi: 3.1.0')));
    const product: ProductInput = {
      id: 'credit-score', title: 'Enterprise credit score', titleZh: '企业信用评分', category: 'computation', openapi, datasets: [], grants: [],
      contributors: { dataSource: did('dataSource'), algorithm: did('algorithm'), compute: did('compute') }, plans, components: [], gateways: [did('gateway')],
    };
    await publishProduct(c, k.provider, product);
    const start = Date.now();
    const d = await draftSubscription(c, k.buyer, product.id, 'metered', { start });
    await Promise.all((['provider', 'buyer', 'dataSource', 'algorithm', 'compute', 'tax'] as const).map((n) => signSubscription(c, k[n], d.id, d.fingerprint)));
    const sub = (await subscribe(c, k.buyer, { product: product.id, plan: 'metered', contract: d.id })).result.id;
    const receipts: ReceiptLine[] = [1, 2, 3].map((n) => ({ id: toHex(sm3(new TextEncoder().encode(`call ${n}`))), subscription: sub, period: 1, units: 1, time: start + n, result: openapi }));
    await commitUsageBatch(c, k.gateway, { product: product.id, receipts, root: usageRoot(receipts) });

    const leaks = new LeakLog();
    const { page, errors } = await browser.open(`${node.url}/console/`);
    await signInWithHex(page, toHex(k.buyer.privateKey));
    await goTo(page, 'market');
    await settle(page);
    const price = () => page.locator('input[data-testid="market-price"], [data-testid="market-price"] input').first();
    const rows = () => page.getByTestId('market-catalog').locator('tbody tr.ant-table-row').count();
    await page.getByTestId('market-catalog').getByText('credit-score').waitFor();
    // Search by provider: another DID finds nothing, the provider's finds it; a price under 0.37 finds nothing.
    await page.getByTestId('market-provider').locator('input').fill(did('tax'));
    await page.getByTestId('market-provider').locator('input').press('Enter');
    await settle(page);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="market-catalog"] tbody tr.ant-table-row').length === 0);
    await page.getByTestId('market-provider').locator('input').fill(did('provider'));
    await page.getByTestId('market-provider').locator('input').press('Enter');
    await page.getByTestId('market-catalog').getByText('credit-score').waitFor();
    await price().fill('0.3');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="market-catalog"] tbody tr.ant-table-row').length === 0);
    await price().fill('0.5');
    await page.getByTestId('market-catalog').getByText('credit-score').waitFor();
    assert.equal(await rows(), 1);
    for (const lang of ['zh', 'en'] as const) {
      await setLang(page, lang);
      await page.getByTestId('market-catalog').getByText(lang === 'zh' ? '企业信用评分' : 'Enterprise credit score').waitFor();
      await leaks.check(page, lang, 'market catalog');
      await screenshot(page, `market-catalog-${lang}`);
    }
    // The product page.
    await page.getByTestId('market-catalog').getByText('credit-score').click();
    await page.getByTestId('market-product').waitFor();
    assert.equal(await page.getByTestId('market-openapi').textContent(), openapi);
    const planRow = (await page.getByTestId('market-plans').locator('tbody tr.ant-table-row').first().textContent()) ?? '';
    assert.match(planRow, /¥0\.37/);
    assert.match(planRow, /50% \/ 20% \/ 20% \/ 10%/);
    assert.match(planRow, /3%/);
    assert.equal(await page.getByTestId('market-product').getByText(did('algorithm')).count(), 1);
    for (const lang of ['zh', 'en'] as const) {
      await setLang(page, lang);
      await leaks.check(page, lang, 'market product page');
      await screenshot(page, `market-product-${lang}`);
    }
    await page.keyboard.press('Escape');
    // My subscriptions: the usage the gateway committed, as a chart and a table.
    await page.getByTestId('tab-market-subs').click();
    await settle(page);
    await page.getByTestId(`market-usage-${sub.slice(0, 8)}`).waitFor();
    const usageRow = (await page.getByTestId('market-subscriptions').locator('tbody tr.ant-table-row').first().textContent()) ?? '';
    assert.match(usageRow, /^133/, `period 1: 3 calls, 3 units (${usageRow})`);
    for (const lang of ['zh', 'en'] as const) {
      await setLang(page, lang);
      await leaks.check(page, lang, 'market subscriptions');
      await screenshot(page, `market-subscriptions-${lang}`);
    }
    // The provider's revenue view.
    await signOut(page);
    await signInWithHex(page, toHex(k.provider.privateKey));
    await goTo(page, 'market');
    await page.getByTestId('tab-market-revenue').click();
    await page.getByTestId('market-revenue').waitFor();
    await settle(page);
    const summary = (await page.getByTestId('market-revenue').locator('.ant-descriptions').textContent()) ?? '';
    assert.match(summary, /1.*1.*¥0\.00/, summary);
    for (const lang of ['zh', 'en'] as const) {
      await setLang(page, lang);
      await leaks.check(page, lang, 'market revenue');
      await screenshot(page, `market-revenue-${lang}`);
    }
    leaks.assertNone();
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await node.stop();
    tmp.cleanup();
  }
});
