/**
 * The web console served by a real node (`shulian up`) and driven by a real Chromium: it is
 * served at /console with the right types and an SPA fallback and nothing outside console/dist;
 * the operator signs in with the node's keystore file (challenge signed in the browser); every
 * page renders in zh-CN and in English with no console errors; a screenshot of each is saved to
 * test-artifacts/console/<page>-<lang>.png. On the way, every page, tab, dialog, wizard step,
 * toast and error in zh-CN is checked for Latin text outside identifiers, and in English for
 * Chinese (test/helpers/i18n-scan.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import Fastify from 'fastify';
import { join, resolve, sep } from 'node:path';
import fc from 'fast-check';
import { consoleFileFor, CONSOLE_DIST, registerConsole } from '../../src/api/console.ts';
import { ShulianClient, approveRequest, pairwiseKey, publishDataset, requestData, setOffer } from '../../src/sdk/index.ts';
import { sendData } from '../../src/sdk/data.ts';
import { startNodeProcess } from '../helpers/node-process.ts';
import { tempDir, waitFor } from '../helpers/tmp.ts';
import { PAGES, goTo, launchBrowser, screenshot, setLang, settle, signInWithHex, signInWithKeystore } from '../helpers/browser.ts';
import { LeakLog } from '../helpers/i18n-scan.ts';
import type { Page } from 'playwright-core';
import { toHex } from '../../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair, readKeystore, sm3, writeKeystore } from '../../src/crypto/index.ts';

const TITLES: Record<(typeof PAGES)[number], [string, string]> = {
  overview: ['总览', 'Overview'], alliance: ['链联盟', 'Alliance'], chains: ['链管理', 'Chains'], explorer: ['区块浏览器', 'Explorer'],
  identity: ['数字身份', 'Identity'], contracts: ['法律合约', 'Contracts'], data: ['数据授权', 'Data'], privacy: ['隐私计算', 'Privacy computing'], workorders: ['工单', 'Work orders'], supervision: ['监管', 'Supervision'], monitoring: ['监控', 'Monitoring'],
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



/** Checks the page as it is in Chinese, then in English, and leaves it in Chinese. */
async function both(page: Page, leaks: LeakLog, what: string, shot?: string): Promise<void> {
  for (const lang of ['zh', 'en'] as const) {
    await setLang(page, lang);
    await leaks.check(page, lang, what);
    if (shot) await screenshot(page, `${shot}-${lang}`);
  }
  await setLang(page, 'zh');
}

/** Opens each top-level tab of the page's card in turn and checks it in both languages. */
async function everyTab(page: Page, p: string, leaks: LeakLog): Promise<void> {
  const tabs = page.getByTestId(`page-${p}`).locator('.ant-tabs-nav').first().locator('.ant-tabs-tab');
  const n = await tabs.count();
  for (let i = 1; i < n; i++) {
    await tabs.nth(i).click();
    await settle(page);
    await both(page, leaks, `${p}, tab ${i + 1}`);
  }
  if (n > 0) await tabs.first().click();
}

test('the console on a real node: served at /console, public explorer, sign-in, every page, tab, dialog and message in zh-CN and en, with no other language showing', async () => {
  assert.ok(readFileSync(join(CONSOLE_DIST, 'index.html'), 'utf8').includes('/console/assets/'), 'console/dist is built (npm run build)');
  const tmp = tempDir();
  const data = join(tmp.dir, 'data');
  const node = await startNodeProcess(data);
  const browser = await launchBrowser();
  const leaks = new LeakLog();
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

    const password = readFileSync(join(data, 'node', 'key.pass'), 'utf8').trim();
    const nodeDid = (await client.health()).node;
    const notaryText = `console language test ${Date.now()}`;
    const notaryHash = toHex(sm3(new TextEncoder().encode(notaryText)));
    await client.waitForTx(await client.send('notary', generateKeyPair('sm2'), { module: 'notary', method: 'put', args: { hash: notaryHash } }), { timeoutMs: 30_000 });
    // A keystore with a cheap scrypt, for the wrong-password check (the node's own key is slow to open in a browser).
    const cheap = join(tmp.dir, 'cheap.json');
    writeKeystore(cheap, generateKeyPair('sm2'), 'the-right-password', { scryptN: 1 << 10 });

    const { page, errors } = await browser.open(`${node.url}/console/`);
    await page.getByTestId('signin').waitFor();
    // No white border round the app: the page has no margin.
    assert.equal(await page.evaluate(() => getComputedStyle(document.body).margin), '0px');
    // Sign-in: where the embedded alliance's operator key is; a new key asks for its password twice.
    assert.match(await page.getByTestId('operator-key-hint').textContent() ?? '', /node\/key\.json.*node\/key\.pass/);
    await both(page, leaks, 'sign-in');
    await page.getByRole('tab', { name: /新建密钥|New key/ }).click();
    await page.getByTestId('new-password').fill('first-password');
    await page.getByTestId('new-password2').fill('other-password');
    await page.getByTestId('signin-new').click();
    await page.getByTestId('signin-error').getByText('两次输入的密码不一致').waitFor();
    await both(page, leaks, 'sign-in, new key');
    // A wrong password: the keystore's error, in the page's language (and again after a switch).
    await page.getByRole('tab', { name: /密钥文件|Keystore file/ }).click();
    const chooser = page.waitForEvent('filechooser');
    await page.getByTestId('keystore-pick').click();
    await (await chooser).setFiles(cheap);
    await page.getByTestId('keystore-password').fill('not-the-password');
    await page.getByTestId('signin-file').click();
    await page.getByTestId('signin-error').getByText('密钥文件密码错误（KEYSTORE_BAD_PASSWORD）').waitFor({ timeout: 60_000 });
    await both(page, leaks, 'sign-in, wrong password', 'signin');

    // The public explorer, without signing in: blocks, a notary record found with its proofs
    // checked here, a hash never recorded, a DID.
    await page.getByTestId('goto-explorer').click();
    await page.getByTestId('page-explorer').waitFor();
    await settle(page);
    assert.ok(await page.getByTestId('blocks').locator('tbody tr').count() > 0, 'blocks are listed');
    await both(page, leaks, 'public explorer');
    await page.getByTestId('explorer-search').fill(notaryHash);
    await page.getByTestId('explorer-search-go').click();
    await page.getByTestId('notary-proof').waitFor({ timeout: 90_000 });
    assert.equal(await page.getByTestId('notary-put').count(), 0, 'nothing to sign in the public explorer');
    await both(page, leaks, 'public explorer, a notary record', 'public-explorer');
    await page.getByTestId('notary-hash').fill('ab'.repeat(32));
    await page.getByTestId('notary-lookup').click();
    await page.getByTestId('error').getByText(/NOTARY_NOT_RECORDED/).waitFor({ timeout: 30_000 });
    await both(page, leaks, 'public explorer, a hash never recorded');
    await page.getByRole('tab', { name: /DID 解析|DIDs/ }).click();
    await page.getByTestId('did-search').locator('input').fill(nodeDid);
    await page.getByTestId('did-search').locator('input').press('Enter');
    await page.getByTestId('did-error').waitFor({ timeout: 30_000 });
    await both(page, leaks, 'public explorer, a DID without a document');
    await page.getByTestId('goto-signin').click();
    await page.getByTestId('signin').waitFor();

    // Sign-in with the node operator's keystore file (scrypt + SM4 + HMAC-SM3 decrypted in the browser).
    await signInWithKeystore(page, join(data, 'node', 'key.json'), password);
    assert.equal(await page.getByTestId('whoami').getAttribute('title'), nodeDid);

    // Every page and each of its tabs, in both languages (a screenshot of each page in each).
    for (const p of PAGES) {
      await goTo(page, p);
      await settle(page);
      assert.equal(await page.getByTestId('page-title').textContent(), TITLES[p][0]);
      await both(page, leaks, p, p);
      await everyTab(page, p, leaks);
    }

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

    // Privacy computing (隐私计算): a run the chain admitted against an institute's grants for two of
    // the operator's datasets, then failed by the operator: listed with its checks and audit trail.
    const institute = generateKeyPair('sm2');
    const grants: number[] = [];
    for (const id of ['clinic-visits', 'alumni-roster']) {
      await publishDataset(client, operatorKey, {
        id, title: { zh: id, en: id }, description: { zh: '按 DID 索引', en: 'Keyed by DID' }, keywords: [], themes: ['HEAL'], frequency: 'MONTHLY', sensitivity: 'conditional',
        distributions: [{ id: 'psi', mediaType: 'text/csv', accessUrl: 'http://127.0.0.1:9' }], services: [],
      });
      const r = await requestData(client, institute, { dataset: id, purpose: 'dpv:AcademicResearch', actions: ['aggregate'], count: 3 });
      grants.push((await approveRequest(client, operatorKey, r.result.request)).result.grant);
    }
    const run = (await sendData<{ run: number; consentRoot: string }>(client, institute, 'privacy', 'request', { protocol: 'psi-cardinality', group: 'sm2', receiver: { dataset: 'alumni-roster', grant: grants[1] }, sender: { dataset: 'clinic-visits', grant: grants[0] }, purpose: 'dpv:AcademicResearch' }, {})).result;
    await sendData(client, operatorKey, 'privacy', 'fail', { run: run.run, reason: 'PRIVACY_BAD_POINT: mask[0]: a low-order point' }, {});
    await goTo(page, 'privacy');
    await page.getByTestId('privacy-requester').locator('input').fill(didFromPublicKey(institute.publicKey));
    await page.getByTestId('privacy-requester').locator('input').press('Enter');
    await page.getByRole('tab', { name: /失败的运行（1）/ }).click();
    await page.getByTestId('privacy-failed').getByText('PRIVACY_BAD_POINT: mask[0]: a low-order point').click();
    const detail = page.getByTestId('run-detail');
    assert.equal(await detail.getByTestId('run-consent-root').textContent(), run.consentRoot);
    await detail.getByTestId('run-checks').getByText('第 1 次使用').first().waitFor();
    await detail.getByText('SM2 曲线 + SM3（全国产）').waitFor();
    await detail.getByText(/失败: PRIVACY_BAD_POINT/).waitFor();
    await screenshot(page, 'flow-privacy-run');
    await page.keyboard.press('Escape');

    // The chain wizard: who votes, before step 1; every step; modules with what they do.
    await goTo(page, 'chains');
    await page.getByRole('tab', { name: '提议业务链' }).click();
    const notice = page.getByTestId('wiz-electorate');
    await notice.getByText('数链本地联盟运营方').waitFor({ timeout: 30_000 });
    assert.match(await notice.textContent() ?? '', /目前 1 个/);
    await page.getByTestId('wiz-chain').fill('language');
    await page.getByTestId('wiz-name').fill('Language chain');
    await page.getByTestId('wiz-name-zh').fill('语言链');
    await page.getByTestId('wiz-next').click();
    await page.getByTestId('wiz-validators').getByTitle(nodeDid).click();
    for (let step = 1; step < 6; step++) {
      await both(page, leaks, `chain wizard, step ${step + 1}`);
      if (step === 3) assert.match(await page.getByTestId('wiz-module-notary').textContent() ?? '', /存证.*notary.*哈希/);
      if (step < 5) await page.getByTestId('wiz-next').click();
    }

    // The alliance: the operator's member seat, voting periods in time as well as blocks, proposing a member.
    await goTo(page, 'alliance');
    await settle(page);
    await page.getByTestId('members').getByText('数链本地联盟运营方').waitFor();
    await page.getByRole('tab', { name: '联盟策略' }).click();
    assert.match(await page.getByTestId('policy-kinds').textContent() ?? '', /1000 个区块（/);
    await page.getByRole('tab', { name: '成员组织' }).click();
    await page.getByTestId('admit-member').click();
    await page.getByTestId('wiz-electorate').last().waitFor();
    await both(page, leaks, 'propose a member');
    await page.keyboard.press('Escape');

    // Work orders (工单): a request with a comment, and the operator moves it on.
    await goTo(page, 'workorders');
    await page.getByTestId('wo-new').click();
    await page.getByTestId('wo-title').fill('扩大存证链配额');
    await page.getByTestId('wo-body').fill('每日 10 万笔存证');
    await both(page, leaks, 'new work order');
    await page.locator('.ant-modal-footer .ant-btn-primary').click();
    await page.getByTestId('workorders').getByText('扩大存证链配额').click();
    await page.getByTestId('workorder-detail').waitFor();
    await page.getByTestId('wo-comment').fill('已收到，处理中');
    await page.getByTestId('wo-comment-send').click();
    await page.getByTestId('workorder-detail').getByText('已收到，处理中', { exact: false }).waitFor();
    await page.getByTestId('wo-status-in-progress').click();
    await page.getByTestId('workorder-detail').getByText('待处理 → 处理中', { exact: false }).waitFor();
    await both(page, leaks, 'work order');
    await screenshot(page, 'flow-workorder');
    await page.keyboard.press('Escape');

    // Chain detail; a block of the governance chain with transactions, one of them with its proof checked here.
    await goTo(page, 'chains');
    await page.getByTestId('chain-row-gov').click();
    await page.getByTestId('chain-detail').waitFor();
    await both(page, leaks, 'chain detail');
    await screenshot(page, 'flow-chain-detail');
    await page.keyboard.press('Escape');
    await goTo(page, 'explorer');
    await settle(page);
    // A block with transactions (the third column counts them).
    const withTxs = page.getByTestId('blocks').locator('tbody tr').filter({ has: page.locator('td:nth-child(3)', { hasNotText: /^0$/ }) });
    await withTxs.last().click();
    await page.getByTestId('block-view').waitFor();
    await both(page, leaks, 'block');
    await screenshot(page, 'flow-block');
    await page.getByTestId('block-txs').locator('tbody tr').first().click();
    await page.getByTestId('tx-view').waitFor();
    await page.getByTestId('verify-tx').click();
    await page.getByTestId('proof-ok').waitFor({ timeout: 90_000 });
    await both(page, leaks, 'transaction');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Escape');

    // Notary: a record signed here, then the same again: the refusal's toast speaks the page's language.
    await page.getByRole('tab', { name: '存证记录' }).click();
    await page.getByTestId('notary-text').fill(`${notaryText} again`);
    await page.getByTestId('notary-put').click();
    await page.getByTestId('notary-proof').waitFor({ timeout: 60_000 });
    await page.getByTestId('notary-put').click();
    await page.getByTestId('error-toast').getByText('该哈希已经存证（NOTARY_EXISTS）').waitFor({ timeout: 60_000 });
    await both(page, leaks, 'a notary record, and the toast refusing it again');

    // Identity: the operator records its DID document, signed in the browser, and checks its state proof here.
    await goTo(page, 'identity');
    await page.getByTestId('did-register').click();
    await page.getByTestId('did-view').waitFor({ timeout: 60_000 });
    await page.getByTestId('did-proof').click();
    await page.getByTestId('did-proof-ok').waitFor({ timeout: 90_000 });
    await both(page, leaks, 'a DID document with its proof');
    await screenshot(page, 'flow-identity-did');
    // Credentials: the node issues as the operator with no configuration (named #key-1 by the
    // document just recorded) and verifies it through its identity chain.
    await page.getByRole('tab', { name: '可验证凭证' }).click();
    await page.getByTestId('vc-issue').click();
    await page.getByTestId('vc-issued').waitFor({ timeout: 30_000 });
    await page.getByTestId('vc-verify').click();
    await page.getByTestId('vc-verified').waitFor({ timeout: 30_000 });
    assert.match(await page.getByTestId('vc-issued').textContent() ?? '', new RegExp(`${nodeDid}#key-1`));
    await both(page, leaks, 'a credential issued and verified');
    await screenshot(page, 'flow-identity-vc');

    // Monitoring: the data directory's size (not the host disk), the uptime in human units.
    await goTo(page, 'monitoring');
    await page.getByTestId('disk-used').getByText(/\d+(\.\d)? (KB|MB|GB)/).waitFor({ timeout: 15_000 });
    await page.getByTestId('uptime').getByText(/\d+(\.\d)? (秒|分钟|小时)/).waitFor({ timeout: 15_000 });

    // The overview's chain table is filled from the node and its charts are drawn.
    await goTo(page, 'overview');
    await page.getByTestId('overview-chains').getByText('notary', { exact: true }).waitFor();
    assert.equal(await page.locator('[data-testid="chart-tps"] canvas').count(), 1);
    // The only failed load is the public explorer's look-up of a DID with no document (404 by DID Resolution).
    assert.deepEqual(errors.filter((e) => !/the server responded with a status of 404/.test(e)), [], 'no console errors on any page');
    assert.equal(errors.length, 1, errors.join('\n'));

    // An Ed25519 key signs in too (its challenge signed with @noble/curves in the browser); a DID
    // with no role sees no administration in its menu, and is told so at its address.
    const ed = await browser.open(`${node.url}/console/`);
    const edKey = generateKeyPair('ed25519');
    await signInWithHex(ed.page, toHex(edKey.privateKey), 'ed25519');
    assert.equal(await ed.page.getByTestId('whoami').getAttribute('title'), didFromPublicKey(edKey.publicKey));
    assert.equal(await ed.page.getByTestId('nav-admin').count(), 0, 'no Admin menu item without the role');
    assert.equal(await ed.page.getByTestId('nav-workorders').count(), 1);
    await ed.page.goto(`${node.url}/console/admin`);
    await ed.page.getByTestId('no-access').waitFor();
    await both(ed.page, leaks, 'no access');
    assert.deepEqual(ed.errors, []);
    leaks.assertNone();
    assert.ok(leaks.checks > 80, `${leaks.checks} language checks`);
  } catch (err) {
    process.stderr.write(node.output().slice(-3000));
    process.stderr.write(`\nlanguage leaks so far:\n${leaks.report()}\n`);
    throw err;
  } finally {
    await browser.close();
    await node.stop();
    tmp.cleanup();
  }
});
