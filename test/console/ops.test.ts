/**
 * Operating the alliance from the console (issue #25, "done when"), in a real Chromium against a
 * real node (`shulian up`, no API mocks), one alliance for the whole file: the operator suspends
 * and resumes a business chain with the governance wizard (voting on the live board; the node
 * stops and restarts the chain), sees the alliance's nodes — this one, and one found through a
 * `ShulianNodeApi` service it adds to its DID document, asked cross-origin — deploys a Solidity
 * contract compiled on the node and calls it through the form generated from its ABI; a member
 * rotates its key in the browser and keeps signing with the new one, and the key never reaches the
 * node. Alarms (item 4) and per-method permissions (item 5) add their own flows beside these.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Interface } from 'ethers';
import { CONSOLE_DIST } from '../../src/api/console.ts';
import { toHex } from '../../src/codec/index.ts';
import { decryptKeystore, didFromPublicKey, generateKeyPair, readKeystore, type KeyPair } from '../../src/crypto/index.ts';
import { docStateKey } from '../../src/modules/did/keys.ts';
import type { DidDocState } from '../../src/modules/did/types.ts';
import { ShulianClient, ethCall, govChain, govProposal } from '../../src/sdk/index.ts';
import { freePort, showingNodeLog, startNodeProcess, type NodeProcess } from '../helpers/node-process.ts';
import { tempDir, waitFor } from '../helpers/tmp.ts';
import { createEvmChain, passAsOperator } from '../helpers/evm-chain.ts';
import { goTo, launchBrowser, screenshot, setLang, settle, signInWithHex, signInWithKeystore, type ConsoleBrowser } from '../helpers/browser.ts';

const BIZ = 'biz';
let tmp: ReturnType<typeof tempDir>;
let node: NodeProcess;
let browser: ConsoleBrowser;
let client: ShulianClient;
let data: string;
let password: string;
let operator: KeyPair;

/** Proposes with the SDK and approves with the operator's vote (its seat is the whole electorate). */
const passBySdk = (input: Parameters<typeof passAsOperator>[2]): Promise<number> => passAsOperator(client, operator, input);

before(async () => {
  assert.ok(existsSync(join(CONSOLE_DIST, 'index.html')), 'console/dist is built (npm run build)');
  tmp = tempDir();
  data = join(tmp.dir, 'data');
  node = await startNodeProcess(data);
  client = new ShulianClient({ baseUrl: node.url });
  await waitFor(async () => (await client.state('gov', 'governance/meta')).value !== null, 'governance.init', 60_000);
  password = readFileSync(join(data, 'node', 'key.pass'), 'utf8').trim();
  operator = readKeystore(join(data, 'node', 'key.json'), password);
  // An EVM-enabled business chain: the policy allows the module, then the chain is created (set up through the SDK; the console flows are below).
  await createEvmChain(client, operator, BIZ);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await node?.stop();
  tmp?.cleanup();
});

const run = (f: () => Promise<void>): Promise<void> => showingNodeLog(node, f);

async function operatorPage() {
  const o = await browser.open(`${node.url}/console/`);
  await signInWithKeystore(o.page, join(data, 'node', 'key.json'), password);
  return o;
}

test('lifecycle: the operator suspends the business chain with the wizard and votes it through, the node stops it; then resumes it and the chain goes on', () => run(async () => {
  const { page, errors } = await operatorPage();
  await goTo(page, 'chains');
  await page.getByTestId('tab-lifecycle').click();
  const wizard = page.getByTestId('gov-wizard');
  // Step 1: the kind, with who votes and the rules, read from the governance chain.
  await wizard.getByTestId('gw-kind-suspend-chain').click();
  await wizard.getByTestId('wiz-electorate').getByText(/目前 1 个/).waitFor({ timeout: 30_000 });
  await wizard.getByTestId('gw-next').click();
  // Step 2: no chain chosen yet — a clear problem, and no way on.
  await wizard.getByTestId('gw-problems').getByText('请选择链').waitFor();
  assert.equal(await wizard.getByTestId('gw-next').isDisabled(), true);
  await wizard.getByTestId('gw-chain').click();
  await page.getByTestId(`gw-chain-opt-${BIZ}`).click();
  await wizard.getByTestId('gw-next').click();
  await wizard.getByTestId('gw-summary').getByText(BIZ).waitFor();
  // Simulate first (issue #24 item 5): no signing until the simulation of exactly this proposal is shown.
  assert.equal(await wizard.getByTestId('gw-submit').isDisabled(), true, 'sign is disabled before simulating');
  await wizard.getByTestId('simfirst-run').click();
  await wizard.getByTestId('simfirst-result').waitFor({ timeout: 60_000 });
  assert.match((await wizard.getByTestId('simfirst-receipts').textContent()) ?? '', /governance\.propose[\s\S]*governance\.vote/, 'the proposal and the votes that pass it');
  assert.match((await wizard.getByTestId('simfirst-reasons').textContent()) ?? '', /ChainSuspended|治理变更/);
  assert.equal(await wizard.getByTestId('gw-submit').isDisabled(), false);
  // Going back and forth clears it: what is signed is what was simulated.
  await wizard.getByRole('button', { name: '上一步' }).click();
  await wizard.getByTestId('gw-next').click();
  await wizard.getByTestId('gw-summary').getByText(BIZ).waitFor();
  assert.equal(await wizard.getByTestId('simfirst-result').count(), 0);
  assert.equal(await wizard.getByTestId('gw-submit').isDisabled(), true, 'sign is disabled again');
  await wizard.getByTestId('simfirst-run').click();
  await wizard.getByTestId('simfirst-result').waitFor({ timeout: 60_000 });
  await screenshot(page, 'ops-suspend-review');
  await wizard.getByTestId('gw-submit').click();
  const done = page.getByTestId('gw-done');
  await done.waitFor({ timeout: 60_000 });
  const id = Number(/#(\d+)/.exec((await done.textContent()) ?? '')?.[1]);
  assert.equal((await govProposal(client, id))?.kind, 'suspend-chain');
  await done.getByTestId(`vote-yes-${id}`).click();
  await waitFor(async () => (await govChain(client, BIZ))?.status === 'suspended', 'the chain suspended in the registry', 60_000);
  await waitFor(async () => !(await client.chains()).some((c) => c.id === BIZ), 'the node to stop the chain', 60_000);
  await done.getByTestId('proposals').getByText('已通过').waitFor({ timeout: 60_000 });
  const height = (await govChain(client, BIZ))!.history.at(-1)!.height;
  assert.ok(height > 0);

  // Resume: the same wizard refuses suspend now (the chain is suspended) and offers resume.
  await done.getByTestId('gw-again').click();
  await wizard.getByTestId('gw-kind-suspend-chain').click();
  await wizard.getByTestId('gw-next').click();
  await wizard.getByTestId('gw-chain').click();
  assert.equal(await page.getByTestId(`gw-chain-opt-${BIZ}`).count(), 0, 'a suspended chain is not offered for suspension');
  await page.keyboard.press('Escape');
  await wizard.getByRole('button', { name: '上一步' }).click();
  await wizard.getByTestId('gw-kind-resume-chain').click();
  await wizard.getByTestId('gw-next').click();
  await wizard.getByTestId('gw-chain').click();
  await page.getByTestId(`gw-chain-opt-${BIZ}`).click();
  await wizard.getByTestId('gw-next').click();
  await wizard.getByTestId('simfirst-run').click();
  await wizard.getByTestId('simfirst-result').waitFor({ timeout: 60_000 });
  await wizard.getByTestId('gw-submit').click();
  await done.waitFor({ timeout: 60_000 });
  const rid = Number(/#(\d+)/.exec((await done.textContent()) ?? '')?.[1]);
  assert.ok(rid > id);
  await done.getByTestId(`vote-yes-${rid}`).click();
  await waitFor(async () => (await govChain(client, BIZ))?.status === 'active', 'the chain active again', 60_000);
  await waitFor(async () => (await client.chains()).some((c) => c.id === BIZ), 'the node to restart the chain', 90_000);
  assert.deepEqual((await govChain(client, BIZ))!.history.map((h) => h.status).slice(-3), ['active', 'suspended', 'active']);
  // English too, for the page's title and the wizard's steps.
  await setLang(page, 'en');
  await page.getByText('Chain lifecycle').waitFor();
  await page.getByText('Propose another').waitFor();
  await setLang(page, 'zh');
  assert.deepEqual(errors, []);
  await page.close();
}));

test('nodes: this node and one its DID document advertises (asked cross-origin) show version, chains and sync state; an unreachable address says so', () => run(async () => {
  const { page, errors } = await operatorPage();
  // The operator records its DID document and adds the node's API as a service, from the Keys tab.
  await goTo(page, 'identity');
  await page.getByTestId('did-register').click();
  await page.getByTestId('did-view').waitFor({ timeout: 60_000 });
  await page.getByTestId('tab-keys').click();
  await page.getByTestId('keys-table').getByText('key-1').waitFor({ timeout: 30_000 });
  // Another origin for the same node: the browser's fetch is cross-origin, so /v1/node/info must allow it.
  const other = node.url.replace('127.0.0.1', 'localhost');
  await page.getByTestId('svc-endpoint').fill(other);
  await page.getByTestId('svc-add').click();
  await page.getByTestId('services-table').getByText(other).waitFor({ timeout: 60_000 });

  await goTo(page, 'monitoring');
  const table = page.getByTestId('nodes-table');
  await table.getByText(other).waitFor({ timeout: 30_000 });
  await waitFor(async () => (await table.getByTestId('node-up').count()) === 2, 'both rows up', 30_000);
  assert.equal(await table.getByTestId(`node-chain-${BIZ}`).count(), 2, 'both show the business chain');
  assert.match(await table.locator('tr', { hasText: other }).textContent() ?? '', /DID 文档/);
  const dead = `http://127.0.0.1:${await freePort()}`;
  await page.getByTestId('node-url').fill(dead);
  await page.getByTestId('node-add').click();
  await table.locator('tr', { hasText: dead }).getByTestId('node-down').waitFor({ timeout: 30_000 });
  await page.getByTestId('node-url').fill('not a url');
  await page.getByTestId('node-add').click();
  await page.getByText('地址应为 http(s)://主机:端口，不带路径').waitFor();
  await screenshot(page, 'ops-nodes');
  assert.deepEqual(errors.filter((e) => !e.includes('ERR_CONNECTION_REFUSED')), []);
  await page.close();
}));

test('solidity: a compile error is shown at its line and column; the contract compiles on the node, deploys with its constructor argument, and is read and written through the ABI form', () => run(async () => {
  const { page, errors } = await operatorPage();
  await goTo(page, 'contracts');
  await page.getByTestId('tab-solidity').click();
  const ide = page.getByTestId('solidity-ide');
  const source = await ide.getByTestId('sol-source').inputValue();
  // An error first: line 6 gets a declaration with no value.
  const broken = source.split('\n').map((l, i) => (i === 5 ? `${l} uint256 y = ;` : l)).join('\n');
  await ide.getByTestId('sol-source').fill(broken);
  await ide.getByTestId('sol-compile').click();
  await ide.getByTestId('sol-diag-place').first().getByText(/第 6 行第 \d+ 列/).waitFor({ timeout: 60_000 });
  assert.equal(await ide.getByTestId('sol-deploy').count(), 0, 'nothing to deploy');

  await ide.getByTestId('sol-source').fill(source);
  await ide.getByTestId('sol-compile').click();
  await ide.getByTestId('sol-deploy').waitFor({ timeout: 60_000 });
  await ide.getByTestId('ctor-arg-0').fill('hello');
  await ide.getByTestId('sol-deploy').click();
  const form = ide.getByTestId('abi-form');
  await form.waitFor({ timeout: 60_000 });
  const address = (await ide.getByTestId('sol-deployed').locator('code').first().textContent())!.trim();
  assert.match(address, /^0x[0-9a-f]{40}$/);

  await form.getByTestId('abi-call-greeting').click();
  await form.getByTestId('abi-out-greeting').getByText('["hello"]').waitFor({ timeout: 30_000 });
  await form.getByTestId('setGreeting-arg-0').fill('你好, world');
  await form.getByTestId('abi-call-setGreeting').click();
  await form.getByTestId('abi-out-setGreeting').getByText(/已上链/).waitFor({ timeout: 60_000 });
  await form.getByTestId('abi-call-greeting').click();
  await form.getByTestId('abi-out-greeting').getByText('["你好, world"]').waitFor({ timeout: 30_000 });
  await form.getByTestId('abi-call-changes').click();
  await form.getByTestId('abi-out-changes').getByText('["1"]').waitFor({ timeout: 30_000 });
  await screenshot(page, 'ops-solidity');

  // The chain agrees, read without the console: eth_call through the SDK.
  const iface = new Interface(['function greeting() view returns (string)', 'function changes() view returns (uint256)']);
  const ret = await ethCall(client, BIZ, { to: address, data: iface.encodeFunctionData('greeting', []) });
  assert.equal(iface.decodeFunctionResult('greeting', ret)[0], '你好, world');

  // Frozen by governance (docs/engines.md#freezing-an-evm-contract): the tab shows the badge and
  // the form says why; a read through the form is refused; unfrozen, the badge goes back.
  await ide.getByTestId(`sol-active-${address}`).waitFor();
  const freeze = await passBySdk({ kind: 'freeze', target: { type: 'evm-contract', chain: BIZ, address }, reason: '问候语被滥用' });
  await ide.getByTestId('sol-freezes-reload').click();
  await ide.getByTestId(`sol-frozen-${address}`).getByText(`已冻结 · 第 ${freeze} 号提案`).waitFor({ timeout: 30_000 });
  await ide.getByTestId('abi-frozen').getByText(/问候语被滥用/).waitFor();
  await form.getByTestId('abi-call-greeting').click();
  await form.getByTestId('abi-out-greeting').getByText(new RegExp(`frozen by governance proposal #${freeze}`)).waitFor({ timeout: 30_000 });
  await passBySdk({ kind: 'unfreeze', target: { type: 'evm-contract', chain: BIZ, address }, reason: '已处理' });
  await ide.getByTestId('sol-freezes-reload').click();
  await ide.getByTestId(`sol-active-${address}`).waitFor({ timeout: 30_000 });
  await form.getByTestId('abi-call-greeting').click();
  await form.getByTestId('abi-out-greeting').getByText('["你好, world"]').waitFor({ timeout: 30_000 });
  assert.deepEqual(errors, []);
  await page.close();
}));

test('keys: a member rotates its key in the browser; the chain has the new key and the old one revoked, the session signs with the new key, and neither private key reached the node', () => run(async () => {
  const user = generateKeyPair('sm2');
  const did = didFromPublicKey(user.publicKey);
  const { page, errors } = await browser.open(`${node.url}/console/`);
  const bodies: string[] = [];
  page.on('request', (r) => { const b = r.postData(); if (b) bodies.push(b); });
  await signInWithHex(page, toHex(user.privateKey));
  await goTo(page, 'identity');
  await page.getByTestId('did-register').click();
  await page.getByTestId('did-view').waitFor({ timeout: 60_000 });
  await page.getByTestId('tab-keys').click();
  await page.getByTestId('keys-table').getByText('key-1').waitFor({ timeout: 30_000 });
  await page.getByTestId('rotate-password').fill('short');
  await page.getByTestId('rotate-key').click();
  await page.getByText('请为新密钥设置至少 8 位的密码').waitFor();
  await page.getByTestId('rotate-password').fill('correct horse battery');
  const download = page.waitForEvent('download');
  await page.getByTestId('rotate-key').click();
  await page.getByTestId('rotate-verified').waitFor({ timeout: 90_000 });
  const file = await (await download).path();
  const next = decryptKeystore(JSON.parse(readFileSync(file, 'utf8')) as never, 'correct horse battery');

  const doc = (await client.state('identity', docStateKey(did))).value as unknown as DidDocState;
  const k1 = doc.keys.find((k) => k.id === 'key-1')!;
  const k2 = doc.keys.find((k) => k.publicKey === toHex(next.publicKey));
  assert.equal(k1.revokedBy, 'rotate');
  assert.ok(k2 && k2.revokedAt === undefined, 'the downloaded key is an active key of the document');
  // The session goes on with the new key: a service signed by it lands on chain.
  await page.getByTestId('svc-id').fill('home');
  await page.getByTestId('svc-type').fill('LinkedDomains');
  await page.getByTestId('svc-endpoint').fill('https://example.org');
  await page.getByTestId('svc-add').click();
  await page.getByTestId('services-table').getByText('https://example.org').waitFor({ timeout: 60_000 });
  const last = (await client.accountTxs('identity', did, { limit: 1 }))[0]!;
  const got = await client.waitForTx(last.hash);
  assert.equal(got.tx.method, 'addService');
  assert.equal(got.tx.pubkey, toHex(next.publicKey), 'signed with the new key');
  assert.equal(got.tx.from, did, 'as the same DID');
  for (const secret of [toHex(user.privateKey), toHex(next.privateKey)]) {
    assert.ok(!bodies.some((b) => b.includes(secret)), 'no request carried a private key');
  }
  await setLang(page, 'en');
  await page.getByText('Keys and certificates').waitFor();
  await screenshot(page, 'ops-keys-rotated');
  assert.deepEqual(errors, []);
  await page.close();
}));

test('routes: /v1/node/info answers any origin with the node\'s own figures; /v1/evm/compile refuses an oversized source with 413 and answers a broken one with its diagnostics', () => run(async () => {
  const info = await fetch(`${node.url}/v1/node/info`, { headers: { origin: 'http://elsewhere.example' } });
  assert.equal(info.status, 200);
  assert.equal(info.headers.get('access-control-allow-origin'), '*');
  const body = (await info.json()) as { node: { did: string; version: string; uptimeMs: number }; chains: Array<{ id: string; height: number; syncing: boolean }> };
  assert.equal(body.node.did, didFromPublicKey(operator.publicKey));
  assert.ok(body.node.uptimeMs > 0 && body.node.version.length > 0);
  assert.ok(body.chains.some((c) => c.id === 'gov' && c.height > 0 && c.syncing === false));

  const post = (source: string) => fetch(`${node.url}/v1/evm/compile`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ source }) });
  const big = await post(`// ${'x'.repeat(70 * 1024)}\n`);
  assert.equal(big.status, 413);
  assert.equal(((await big.json()) as { error: { code: string } }).error.code, 'BODY_TOO_LARGE');
  const bad = await post('pragma solidity ^0.8.20;\ncontract A { function f() public { return 1 } }\n');
  assert.equal(bad.status, 200);
  const r = (await bad.json()) as { ok: boolean; diagnostics: Array<{ severity: string; line?: number }> };
  assert.equal(r.ok, false);
  assert.equal(r.diagnostics.find((d) => d.severity === 'error')?.line, 2);
}));
