/**
 * The web console served by a real node (`shulian up`) and driven by a real Chromium: it is
 * served at /console with the right types and an SPA fallback and nothing outside console/dist;
 * the operator signs in with the node's keystore file (challenge signed in the browser); every
 * page renders in zh-CN and in English with no console errors; a screenshot of each is saved to
 * test-artifacts/console/<page>-<lang>.png.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import Fastify from 'fastify';
import { join, resolve, sep } from 'node:path';
import fc from 'fast-check';
import { consoleFileFor, CONSOLE_DIST, registerConsole } from '../../src/api/console.ts';
import { ShulianClient, pairwiseKey, publishDataset, setOffer } from '../../src/sdk/index.ts';
import { startNodeProcess } from '../helpers/node-process.ts';
import { tempDir, waitFor } from '../helpers/tmp.ts';
import { PAGES, goTo, launchBrowser, screenshot, setLang, settle, signInWithHex, signInWithKeystore } from '../helpers/browser.ts';
import { toHex } from '../../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair, readKeystore } from '../../src/crypto/index.ts';

const TITLES: Record<(typeof PAGES)[number], [string, string]> = {
  overview: ['总览', 'Overview'], alliance: ['链联盟', 'Alliance'], chains: ['链管理', 'Chains'], explorer: ['区块浏览器', 'Explorer'],
  identity: ['数字身份', 'Identity'], contracts: ['法律合约', 'Contracts'], data: ['数据授权', 'Data'], workorders: ['工单', 'Work orders'], monitoring: ['监控', 'Monitoring'],
  admin: ['系统管理', 'Admin'],
};

test('console paths never leave the dist folder (fuzzed)', () => {
  const root = resolve('/srv/console-dist');
  fc.assert(fc.property(fc.array(fc.constantFrom('..', '.', '%2e%2e', '%2f', 'a', 'assets', '%5c', '\\', '%00', '', '%'), { maxLength: 8 }), (parts) => {
    const f = consoleFileFor(root, parts.join('/'));
    assert.ok(f === null || f === root || f.startsWith(root + sep), `${parts.join('/')} -> ${f}`);
  }));
  assert.equal(consoleFileFor(root, '../package.json'), null);
  assert.equal(consoleFileFor(root, '..%2f..%2fpackage.json'), null);
  assert.equal(consoleFileFor(root, 'assets/x.js'), join(root, 'assets', 'x.js'));
});

test('serving a dist folder: types, SPA fallback, 404 for missing assets, 503 before a build, nothing outside it', async () => {
  const tmp = tempDir();
  try {
    const dist = join(tmp.dir, 'dist');
    mkdirSync(join(dist, 'assets'), { recursive: true });
    writeFileSync(join(dist, 'index.html'), '<!doctype html><title>console</title>');
    writeFileSync(join(dist, 'assets', 'app-1.js'), 'console.log(1)');
    writeFileSync(join(dist, 'assets', 'app-1.css'), 'body{}');
    writeFileSync(join(tmp.dir, 'secret.txt'), 'TOP-SECRET-CONTENT-42');
    const app = Fastify();
    registerConsole(app, { dir: dist });
    const get = (url: string) => app.inject({ method: 'GET', url });
    const js = await get('/console/assets/app-1.js');
    assert.deepEqual([js.statusCode, js.headers['content-type'], js.body], [200, 'text/javascript; charset=utf-8', 'console.log(1)']);
    assert.equal((await get('/console/assets/app-1.css')).headers['content-type'], 'text/css; charset=utf-8');
    const spa = await get('/console/explorer/some/deep/link');
    assert.deepEqual([spa.statusCode, spa.headers['content-type'], spa.headers['cache-control']], [200, 'text/html; charset=utf-8', 'no-cache']);
    assert.equal((await get('/console/assets/gone.js')).statusCode, 404);
    for (const bad of ['/console/../secret.txt', '/console/..%2fsecret.txt', '/console/%2e%2e/secret.txt', '/console/assets/..%5c..%5csecret.txt', '/console/%00', '/console/%E0%A4%A']) {
      const r = await get(bad);
      assert.ok(!r.body.includes('TOP-SECRET-CONTENT-42'), `${bad} answered ${r.statusCode} ${r.body}`);
    }
    await app.close();
    const empty = Fastify();
    registerConsole(empty, { dir: join(tmp.dir, 'not-built') });
    const r = await empty.inject({ method: 'GET', url: '/console/' });
    assert.equal(r.statusCode, 503);
    assert.equal(JSON.parse(r.body).error.code, 'CONSOLE_NOT_BUILT');
    await empty.close();
  } finally {
    tmp.cleanup();
  }
});

test('the console on a real node: served at /console, sign-in with a keystore, every page in zh-CN and en without console errors', async () => {
  assert.ok(readFileSync(join(CONSOLE_DIST, 'index.html'), 'utf8').includes('/console/assets/'), 'console/dist is built (npm run build)');
  const tmp = tempDir();
  const data = join(tmp.dir, 'data');
  const node = await startNodeProcess(data);
  const browser = await launchBrowser();
  try {
    const client = new ShulianClient({ baseUrl: node.url });
    await waitFor(async () => (await client.chains()).length > 0, 'chains', 30_000);

    // Serving: the app, its assets with their types, the SPA fallback, and nothing else.
    const index = await fetch(`${node.url}/console/`);
    assert.equal(index.status, 200);
    assert.match(index.headers.get('content-type') ?? '', /^text\/html/);
    const html = await index.text();
    const asset = /\/console\/assets\/[^"]+\.js/.exec(html)?.[0];
    assert.ok(asset, 'index.html names its script');
    const js = await fetch(`${node.url}${asset}`);
    assert.deepEqual([js.status, js.headers.get('content-type')], [200, 'text/javascript; charset=utf-8']);
    assert.match(js.headers.get('cache-control') ?? '', /immutable/);
    assert.equal((await fetch(`${node.url}/console`, { redirect: 'manual' })).status, 302);
    const deep = await fetch(`${node.url}/console/alliance`);
    assert.equal(deep.status, 200);
    assert.equal(await deep.text(), html);
    for (const bad of ['/console/..%2f..%2fpackage.json', '/console/%2e%2e/%2e%2e/package.json', '/console/assets/..%5c..%5cpackage.json']) {
      const r = await fetch(`${node.url}${bad}`);
      const body = await r.text();
      assert.ok(!body.includes('"name": "shulian"'), `${bad} must not serve files outside console/dist`);
    }
    assert.equal((await fetch(`${node.url}/console/assets/missing.js`)).status, 404);

    // Sign-in with the node operator's keystore file (scrypt + SM4 + HMAC-SM3 decrypted in the browser).
    const { page, errors } = await browser.open(`${node.url}/console/`);
    await page.getByTestId('signin').waitFor();
    await screenshot(page, 'signin-zh');
    await setLang(page, 'en');
    await screenshot(page, 'signin-en');
    await setLang(page, 'zh');
    const password = readFileSync(join(data, 'node', 'key.pass'), 'utf8').trim();
    await signInWithKeystore(page, join(data, 'node', 'key.json'), password);
    const nodeDid = (await client.health()).node;
    assert.equal(await page.getByTestId('whoami').getAttribute('title'), nodeDid);

    for (const lang of ['zh', 'en'] as const) {
      await setLang(page, lang);
      for (const p of PAGES) {
        await goTo(page, p);
        await settle(page);
        assert.equal(await page.getByTestId('page-title').textContent(), TITLES[p][lang === 'zh' ? 0 : 1]);
        await screenshot(page, `${p}-${lang}`);
      }
    }
    // Identity: the operator records its DID document, signed in the browser, and checks its state proof here.
    await setLang(page, 'zh');
    await goTo(page, 'identity');
    await page.getByTestId('did-register').click();
    await page.getByTestId('did-view').waitFor({ timeout: 60_000 });
    await page.getByTestId('did-proof').click();
    await page.getByTestId('did-proof-ok').waitFor({ timeout: 30_000 });
    await screenshot(page, 'flow-identity-did');

    // Work orders (工单): a request with a comment, and the operator moves it on.
    await goTo(page, 'workorders');
    await page.getByTestId('wo-new').click();
    await page.getByTestId('wo-title').fill('扩大存证链配额');
    await page.getByTestId('wo-body').fill('每日 10 万笔存证');
    await page.getByRole('button', { name: '提 交' }).or(page.getByRole('button', { name: '提交' })).click();
    await page.getByTestId('workorders').getByText('扩大存证链配额').click();
    await page.getByTestId('workorder-detail').waitFor();
    await page.getByTestId('wo-comment').fill('已收到，处理中');
    await page.getByTestId('wo-comment-send').click();
    await page.getByTestId('workorder-detail').getByText('已收到，处理中', { exact: false }).waitFor();
    await page.getByTestId('wo-status-in-progress').click();
    await page.getByTestId('workorder-detail').getByText('待处理 → 处理中', { exact: false }).waitFor();
    await screenshot(page, 'flow-workorder');
    await page.keyboard.press('Escape');

    // Chain detail, and a block of the governance chain in the explorer.
    await goTo(page, 'chains');
    await page.getByTestId('chain-row-gov').click();
    await page.getByTestId('chain-detail').waitFor();
    await screenshot(page, 'flow-chain-detail');
    await page.keyboard.press('Escape');
    await goTo(page, 'explorer');
    await page.getByTestId('blocks').getByRole('row').nth(1).click();
    await page.getByTestId('block-view').waitFor();
    await screenshot(page, 'flow-block');
    await page.keyboard.press('Escape');

    // Data (数据授权): a dataset the operator published is found by a Chinese word; its standing
    // offer is checked in the browser by the chain's own ODRL evaluator; a citizen's pairwise DID
    // for an organisation is derived in the browser exactly as the SDK derives it.
    const operatorKey = readKeystore(join(data, 'node', 'key.json'), password);
    await publishDataset(client, operatorKey, {
      id: 'bus-stops', title: { zh: '公交站点', en: 'Bus stops' }, description: { zh: '全市公交站点位置', en: 'Locations of the city\'s bus stops' }, keywords: [],
      themes: ['TRAN'], frequency: 'MONTHLY', sensitivity: 'public', distributions: [{ id: 'csv', mediaType: 'text/csv', accessUrl: 'https://data.example.gov.cn/bus' }], services: [],
    });
    await setOffer(client, operatorKey, 'bus-stops', { '@type': 'Offer', uid: 'urn:offer:bus', assigner: nodeDid, permission: [{ action: 'use', constraint: [{ leftOperand: 'purpose', operator: 'isA', rightOperand: 'dpv:ResearchAndDevelopment' }] }] });
    await goTo(page, 'data');
    await page.getByTestId('catalog-search').locator('input').fill('公交');
    await page.getByTestId('catalog-search').locator('input').press('Enter');
    await page.getByTestId('catalog-table').getByText('bus-stops', { exact: true }).click();
    await page.getByTestId('offer-check').getByRole('button').click();
    await page.getByTestId('offer-check-result').getByText(/允许（permission\[0\]）/).waitFor();
    await screenshot(page, 'flow-data-offer');
    await page.keyboard.press('Escape');
    await page.getByRole('tab', { name: '我的授权同意' }).click();
    const org = didFromPublicKey(generateKeyPair('sm2').publicKey);
    await page.getByTestId('consent-org').locator('input').fill(org);
    await page.getByTestId('consent-org').locator('input').press('Enter');
    assert.equal(await page.getByTestId('pairwise-did').textContent(), didFromPublicKey(pairwiseKey(operatorKey, org).publicKey));
    await screenshot(page, 'flow-data-consents');

    // The overview's chain table is filled from the node and its charts are drawn.
    await goTo(page, 'overview');
    await page.getByTestId('overview-chains').getByText('notary', { exact: true }).waitFor();
    assert.equal(await page.locator('[data-testid="chart-tps"] canvas').count(), 1);
    // A reload keeps the session (token in sessionStorage), but not the key (memory only).
    await page.reload();
    await page.getByTestId('whoami').waitFor();
    await page.getByText(/Read-only: no signing key loaded|只读：未载入签名密钥/).waitFor();
    assert.deepEqual(errors, [], 'no console errors on any page');

    // An Ed25519 key signs in too (its challenge signed with @noble/curves in the browser).
    const ed = await browser.open(`${node.url}/console/`);
    const edKey = generateKeyPair('ed25519');
    await signInWithHex(ed.page, toHex(edKey.privateKey), 'ed25519');
    assert.equal(await ed.page.getByTestId('whoami').getAttribute('title'), didFromPublicKey(edKey.publicKey));
    assert.deepEqual(ed.errors, []);
  } catch (err) {
    process.stderr.write(node.output().slice(-3000));
    throw err;
  } finally {
    await browser.close();
    await node.stop();
    tmp.cleanup();
  }
});
