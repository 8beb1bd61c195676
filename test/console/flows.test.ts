/**
 * The console's main flows in a real Chromium against a real node (no API mocks): a notary record
 * put from the browser and found again in the explorer with its proofs checked in the browser; a
 * contract composed in the low-code editor from "payment on signature" and the late-delivery
 * penalty (two parties, the clauses it needs, a deadline ahead, no compiles while idle), drafted
 * and signed by both parties; on a fresh embedded alliance, the operator admits a member and
 * proposes a business chain with the wizard, the member approves it from another tab, both tabs'
 * lists follow by themselves (live stream), the node starts the chain, and after a reload the
 * operator's session goes on and its key is unlocked with its password.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { CONSOLE_DIST } from '../../src/api/console.ts';
import { join } from 'node:path';
import { toHex } from '../../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair, readKeystore, sm3, type KeyPair } from '../../src/crypto/index.ts';
import { ShulianClient, getContract, govProposal, govProposals, listContracts } from '../../src/sdk/index.ts';
import { showingNodeLog, startNodeProcess, type NodeProcess } from '../helpers/node-process.ts';
import { tempDir, waitFor } from '../helpers/tmp.ts';
import { goTo, launchBrowser, screenshot, settle, signInWithHex, signInWithKeystore, signOut, type ConsoleBrowser } from '../helpers/browser.ts';

let tmp: ReturnType<typeof tempDir>;
let node: NodeProcess;
let browser: ConsoleBrowser;
let client: ShulianClient;
let data: string;
const did = (k: KeyPair): string => didFromPublicKey(k.publicKey);

before(async () => {
  assert.ok(existsSync(join(CONSOLE_DIST, 'index.html')), 'console/dist is built (npm run build)');
  tmp = tempDir();
  data = join(tmp.dir, 'data');
  node = await startNodeProcess(data);
  client = new ShulianClient({ baseUrl: node.url });
  await waitFor(async () => (await client.chains()).length > 0, 'chains', 30_000);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await node?.stop();
  tmp?.cleanup();
});

const run = (f: () => Promise<void>): Promise<void> => showingNodeLog(node, f);

test('notary: a record signed in the browser, then found by hash in the explorer with both proofs checked in the browser', () => run(async () => {
  const user = generateKeyPair('sm2');
  const { page, errors } = await browser.open(`${node.url}/console/`);
  await signInWithHex(page, toHex(user.privateKey));
  await goTo(page, 'explorer');
  await page.getByRole('tab', { name: /存证记录|Notary records/ }).click();
  const text = `console notary test ${Date.now()}`;
  await page.getByTestId('notary-text').fill(text);
  await page.getByTestId('notary-put').click();
  await page.getByTestId('notary-proof').waitFor({ timeout: 60_000 });
  const hash = toHex(sm3(new TextEncoder().encode(text)));
  assert.match(await page.getByTestId('notary-proof').textContent() ?? '', new RegExp(hash));

  // Found again through the search box, on a fresh explorer.
  await goTo(page, 'overview');
  await goTo(page, 'explorer');
  await page.getByTestId('explorer-search').fill(hash);
  await page.getByTestId('explorer-search-go').click();
  await page.getByTestId('notary-proof').waitFor({ timeout: 30_000 });
  assert.match(await page.getByTestId('notary-proof').textContent() ?? '', new RegExp(did(user)));
  await screenshot(page, 'flow-notary-found');

  // Its recording tx: decoded call and events, inclusion proof verified in the browser.
  const rec = (await client.state('notary', `notary/rec/${hash}`)).value as { tx: string };
  await page.getByTestId('explorer-search').fill(rec.tx);
  await page.getByTestId('explorer-search-go').click();
  await page.getByTestId('tx-view').waitFor({ timeout: 30_000 });
  assert.equal(await page.getByTestId('tx-call').textContent(), 'notary.put');
  await page.getByTestId('verify-tx').click();
  await page.getByTestId('proof-ok').waitFor({ timeout: 30_000 });
  await screenshot(page, 'flow-notary-tx-proof');
  assert.deepEqual(errors, []);
  await page.close();
}));


test('contracts: the late-delivery penalty composed into payment on signature, compiled only on change, drafted and signed by both parties', () => run(async () => {
  const client1 = generateKeyPair('sm2');
  const contractor = generateKeyPair('sm2');
  const { page, errors } = await browser.open(`${node.url}/console/`);
  let compiles = 0;
  page.on('request', (r) => {
    if (r.method() === 'POST' && r.url().endsWith('/v1/contracts/compile')) compiles++;
  });
  await signInWithHex(page, toHex(client1.privateKey));
  await goTo(page, 'contracts');
  await settle(page);
  await page.getByRole('row', { name: /payment-on-signature/ }).getByRole('button', { name: /低代码|low-code/ }).click();
  await page.getByTestId('lowcode-editor').waitFor();
  // The signing deadline starts ahead of now, not at the sample's date in the past.
  const signBy = await page.getByTestId('param-signBy').inputValue();
  assert.ok(Date.parse(signBy) > Date.now(), signBy);
  assert.equal(await page.getByTestId('past-date-signBy').count(), 0);

  // Add the penalty of late delivery: the clauses it needs come with it, its parties become the engagement's.
  await page.getByRole('button', { name: '迟延交付与违约金' }).click();
  await page.getByTestId('add-clause-late-delivery/penalty').click();
  await page.getByText(/同时加入了它所依赖的条款：交付、不可抗力/).waitFor();
  assert.equal(await page.getByTestId('picked-clause').count(), 4);
  assert.equal(await page.getByTestId('party-map-seller').textContent(), '受托方');
  assert.equal(await page.getByTestId('party-map-buyer').textContent(), '委托方');
  assert.equal(await page.getByTestId('dropped-exception').count(), 0);
  await page.getByTestId('party-contractor').fill(did(contractor));
  await page.getByTestId('findings-ok').waitFor({ timeout: 60_000 });
  const source = await page.getByTestId('code-view').inputValue();
  assert.deepEqual([...source.matchAll(/^party (\w+)/gm)].map((m) => m[1]), ['client', 'contractor'], 'two parties');
  assert.ok(source.includes('exception excused') && source.includes('clause forceMajeureClause'), 'the excuse and the clause that triggers it');
  await page.getByTestId('legal-text').getByText(/迟延交付违约金/).first().waitFor();
  // Idle, the editor asks the node nothing (it used to compile about 2.5 times a second): no
  // compile while the scenarios run and the picture is taken, and for a while after.
  const settled = compiles;
  const quiet = Date.now();
  await page.getByTestId('run-scenarios').click();
  await page.getByTestId('scenario-report').getByText(/无论哪一方最后签署/).waitFor({ timeout: 60_000 });
  await screenshot(page, 'flow-contract-editor');
  await page.waitForTimeout(Math.max(0, 2_000 - (Date.now() - quiet)));
  assert.equal(compiles, settled, 'no compile requests while idle');
  // A change is compiled once, after the pause.
  await page.getByTestId('param-fee').fill('CNY 60000.00');
  await page.getByTestId('legal-text').getByText(/60,000\.00/).first().waitFor({ timeout: 60_000 });
  assert.equal(compiles, settled + 1, 'one compile for one change');

  // Simulate first (#24): the deployment cannot be signed before its simulation is shown.
  assert.equal(await page.getByTestId('start-draft').isDisabled(), true, 'signing waits for the simulation');
  await page.getByTestId('simfirst-run').click();
  await page.getByTestId('simfirst-verdict').waitFor({ timeout: 60_000 });
  assert.match((await page.getByTestId('simfirst-receipts').textContent()) ?? '', /lexcontract\.deploy/);
  await page.getByTestId('start-draft').click();
  await page.getByTestId('draft-result').waitFor({ timeout: 90_000 });
  await page.getByTestId('sign-draft').click();
  await page.getByText(/您已签署|You have signed/).waitFor({ timeout: 60_000 });
  await screenshot(page, 'flow-contract-signed');

  const list = await listContracts(client, did(client1));
  assert.equal(list.instances.length, 1);
  const view = await getContract(client, list.instances[0]!.id);
  assert.equal(view.status, 'signing');
  assert.deepEqual(Object.keys(view.signatures), ['client']);
  assert.deepEqual(view.instance.parties, { client: did(client1), contractor: did(contractor) });
  await page.getByTestId('tab-instances').click();
  await page.getByTestId('instances').getByText('签署中').waitFor({ timeout: 30_000 });
  await page.getByTestId('instances').getByText('委托方').first().waitFor();

  // The contractor signs in, finds the contract under "My contracts", checks the fingerprint and signs: it is in force.
  await signOut(page);
  await signInWithHex(page, toHex(contractor.privateKey));
  await goTo(page, 'contracts');
  await page.getByTestId('tab-instances').click();
  await page.getByTestId('instances').getByText('签署中').click();
  await page.getByTestId('contract-instance').waitFor();
  await page.getByTestId('instance-sign').getByText('以受托方身份签署').waitFor();
  await page.getByTestId('instance-sign').click();
  await page.getByTestId('contract-instance').getByText('履行中').first().waitFor({ timeout: 60_000 });
  await screenshot(page, 'flow-contract-active');
  assert.equal((await getContract(client, list.instances[0]!.id)).status, 'active');
  assert.deepEqual(errors, []);
  await page.close();
}));

test('a fresh alliance: the operator admits a member and proposes a business chain, the member approves it from another tab, lists follow by themselves, a reload keeps the session', () => run(async () => {
  await waitFor(async () => (await client.state('gov', 'governance/meta')).value !== null, 'governance.init', 30_000);
  const password = readFileSync(join(data, 'node', 'key.pass'), 'utf8').trim();
  const operatorDid = didFromPublicKey(readKeystore(join(data, 'node', 'key.json'), password).publicKey);
  const member = generateKeyPair('sm2');

  // The operator signs in with the node's keystore and proposes a member organisation: the
  // operator's member seat is the whole electorate, so its own vote admits it.
  const a = await browser.open(`${node.url}/console/`);
  await signInWithKeystore(a.page, join(data, 'node', 'key.json'), password);
  await goTo(a.page, 'alliance');
  await a.page.getByTestId('admit-member').click();
  await a.page.getByTestId('wiz-electorate').getByText(/目前 1 个/).waitFor({ timeout: 30_000 });
  await a.page.getByTestId('member-did').fill(did(member));
  await a.page.getByTestId('member-name').fill('Port Authority');
  await a.page.getByTestId('member-name-zh').fill('港务集团');
  // Simulate first: the admission taken as passed; signing is possible only after it.
  assert.equal(await a.page.locator('.ant-modal-footer .ant-btn-primary').isDisabled(), true);
  await a.page.locator('.ant-modal').getByTestId('simfirst-run').click();
  await a.page.locator('.ant-modal').getByTestId('simfirst-result').waitFor({ timeout: 60_000 });
  await a.page.locator('.ant-modal-footer .ant-btn-primary').click();
  await a.page.getByRole('tab', { name: '提案与投票' }).click();
  const admit = await waitFor(async () => (await govProposals(client, { limit: 10 })).find((p) => p.kind === 'admit-member')?.id, 'the admission proposal', 60_000);
  await a.page.getByTestId(`vote-yes-${admit}`).click();
  await waitFor(async () => (await govProposal(client, admit))?.status === 'approved', 'the member admitted', 60_000);

  // The member signs in in another tab and keeps the chains page open.
  const b = await browser.open(`${node.url}/console/`);
  await signInWithHex(b.page, toHex(member.privateKey));
  await goTo(b.page, 'chains');
  await settle(b.page);
  await b.page.getByRole('tab', { name: '链相关提案' }).click();

  // The wizard says who votes before step 1: the operator and the new member.
  await goTo(a.page, 'chains');
  await a.page.getByRole('tab', { name: '提议业务链' }).click();
  const notice = a.page.getByTestId('wiz-electorate');
  await notice.getByText(/目前 2 个/).waitFor({ timeout: 30_000 });
  await notice.getByText('港务集团').waitFor();
  await a.page.getByTestId('wiz-chain').fill('trade');
  await a.page.getByTestId('wiz-name').fill('Trade chain');
  await a.page.getByTestId('wiz-name-zh').fill('航贸链');
  await a.page.getByTestId('wiz-next').click();
  await a.page.getByTestId('wiz-validators').getByTitle(operatorDid).click();
  for (let i = 0; i < 4; i++) await a.page.getByTestId('wiz-next').click();
  // Simulate first (#24): the proposal, taken as passed, before it can be signed.
  assert.equal(await a.page.getByTestId('wiz-submit').isDisabled(), true, 'signing waits for the simulation');
  await a.page.getByTestId('simfirst-run').click();
  await a.page.getByTestId('simfirst-verdict').waitFor({ timeout: 60_000 });
  assert.match((await a.page.getByTestId('simfirst-reasons').textContent()) ?? '', /ChainApproved/);
  await screenshot(a.page, 'flow-chain-wizard-review');
  await a.page.getByTestId('wiz-submit').click();
  const done = a.page.getByTestId('wizard-done');
  await done.waitFor({ timeout: 60_000 });
  const id = Number(/#(\d+)/.exec((await done.textContent()) ?? '')?.[1]);
  assert.ok(id > admit, 'the wizard names the proposal');
  assert.equal((await govProposal(client, id))?.kind, 'create-chain');

  // The operator approves: one of two, still voting.
  await a.page.getByRole('tab', { name: '链相关提案' }).click();
  await a.page.getByTestId(`vote-yes-${id}`).click();
  await waitFor(async () => (await govProposal(client, id))?.tally.yes === 1, 'the first vote', 60_000);
  assert.equal((await govProposal(client, id))?.status, 'voting');

  // The member's open tab shows the new proposal by itself; its vote passes it.
  await b.page.getByTestId(`vote-yes-${id}`).click({ timeout: 60_000 });
  await waitFor(async () => (await govProposal(client, id))?.status === 'approved', 'the proposal to pass', 60_000);

  // The operator's tab follows without a click: the proposal approved, then the chain the node started.
  await a.page.getByTestId('proposals').locator('tr', { hasText: '创建业务链' }).getByText('已通过').waitFor({ timeout: 60_000 });
  await screenshot(a.page, 'flow-chain-approved');
  await waitFor(async () => (await client.chains()).some((c) => c.id === 'trade'), 'the trade chain to start', 60_000);
  await a.page.getByRole('tab', { name: '链列表' }).click();
  await a.page.getByTestId('chain-row-trade').waitFor({ timeout: 60_000 });

  // A reload keeps the session; the key, kept encrypted in the tab, is unlocked with its password and signs again.
  await a.page.reload();
  await a.page.getByTestId('whoami').waitFor();
  await a.page.getByText('只读：签名密钥未解锁').waitFor();
  const stored = await a.page.evaluate(() => sessionStorage.getItem('shulian.console.keystore') ?? '');
  assert.ok(stored.includes('"ciphertext"'), 'the keystore is kept encrypted');
  assert.ok(!stored.includes(toHex(readKeystore(join(data, 'node', 'key.json'), password).privateKey)), 'never the private key itself');
  await a.page.getByTestId('unlock').click();
  await a.page.getByTestId('unlock-password').fill(password);
  await a.page.getByTestId('unlock-ok').click();
  await a.page.getByTestId('unlock').waitFor({ state: 'detached', timeout: 120_000 });
  await goTo(a.page, 'identity');
  await a.page.getByTestId('did-register').click();
  await a.page.getByTestId('did-view').waitFor({ timeout: 60_000 });
  assert.ok((await client.accountTxs('identity', operatorDid, { limit: 5 })).length > 0, 'the unlocked key signed a transaction');
  assert.deepEqual([...a.errors, ...b.errors], []);
  await a.page.close();
  await b.page.close();
}));
