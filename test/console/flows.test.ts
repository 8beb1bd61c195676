/**
 * The console's main flows in a real Chromium against a real node (no API mocks): a notary record
 * put from the browser and found again in the explorer with its proofs checked in the browser; a
 * contract composed from library clauses in the low-code editor, drafted and signed; a business
 * chain proposed with the wizard and voted through by two member organisations, each signing in
 * with its own key, after which the node starts the chain by itself.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { CONSOLE_DIST } from '../../src/api/console.ts';
import { join } from 'node:path';
import { toHex } from '../../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair, readKeystore, sm3, type KeyPair } from '../../src/crypto/index.ts';
import { ShulianClient, getContract, govProposal, govPropose, govVote, listContracts } from '../../src/sdk/index.ts';
import { startNodeProcess, type NodeProcess } from '../helpers/node-process.ts';
import { tempDir, waitFor } from '../helpers/tmp.ts';
import { goTo, launchBrowser, screenshot, settle, signInWithHex, signOut, type ConsoleBrowser } from '../helpers/browser.ts';

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

async function run(f: () => Promise<void>): Promise<void> {
  try {
    await f();
  } catch (err) {
    process.stderr.write(node.output().slice(-3000));
    throw err;
  }
}

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

test('contracts: composed from library clauses in the low-code editor, drafted on the signing chain and signed', () => run(async () => {
  const seller = generateKeyPair('sm2');
  const buyer = generateKeyPair('sm2');
  const { page, errors } = await browser.open(`${node.url}/console/`);
  await signInWithHex(page, toHex(seller.privateKey));
  await goTo(page, 'contracts');
  await settle(page);
  await page.getByRole('row', { name: /late-delivery/ }).getByRole('button', { name: /低代码|low-code/ }).click();
  await page.getByTestId('lowcode-editor').waitFor();
  // Compose: drop the termination clause, take force majeure out and put it back from the library.
  await page.getByTestId('remove-clause-late-delivery/termination').click();
  await page.getByTestId('remove-clause-late-delivery/forceMajeureClause').click();
  await page.getByRole('button', { name: '迟延交付与违约金' }).click();
  await page.getByTestId('add-clause-late-delivery/forceMajeureClause').click();
  assert.equal(await page.getByTestId('picked-clause').count(), 3);
  await page.getByTestId('code-view').waitFor();
  const source = await page.getByTestId('code-view').inputValue();
  assert.ok(!source.includes('clause termination') && source.includes('clause forceMajeureClause'));
  await page.getByTestId('party-buyer').fill(did(buyer));
  await page.getByTestId('findings-ok').waitFor({ timeout: 30_000 });
  await page.getByTestId('legal-text').getByText(/不可抗力/).first().waitFor();
  await page.getByTestId('run-scenarios').click();
  await page.getByTestId('scenario-report').waitFor({ timeout: 60_000 });
  await screenshot(page, 'flow-contract-editor');
  await page.getByTestId('start-draft').click();
  await page.getByTestId('draft-result').waitFor({ timeout: 90_000 });
  await page.getByTestId('sign-draft').click();
  await page.getByText(/您已签署|You have signed/).waitFor({ timeout: 60_000 });
  await screenshot(page, 'flow-contract-signed');

  const list = await listContracts(client, did(seller));
  assert.equal(list.instances.length, 1);
  const view = await getContract(client, list.instances[0]!.id);
  assert.equal(view.status, 'signing');
  assert.deepEqual(Object.keys(view.signatures), ['seller']);
  assert.deepEqual(view.instance.parties, { seller: did(seller), buyer: did(buyer) });
  await page.getByTestId('tab-instances').click();
  await page.getByTestId('instances').getByText(/签署中|signing/).waitFor({ timeout: 30_000 });

  // The buyer signs in, finds the contract under "My contracts", checks the fingerprint and signs: it is in force.
  await signOut(page);
  await signInWithHex(page, toHex(buyer.privateKey));
  await goTo(page, 'contracts');
  await page.getByTestId('tab-instances').click();
  await page.getByTestId('instances').getByText(/签署中|signing/).click();
  await page.getByTestId('contract-instance').waitFor();
  await page.getByTestId('instance-sign').click();
  await page.getByTestId('contract-instance').getByText(/履行中|active/).first().waitFor({ timeout: 60_000 });
  await screenshot(page, 'flow-contract-active');
  assert.equal((await getContract(client, list.instances[0]!.id)).status, 'active');
  assert.deepEqual(errors, []);
  await page.close();
}));

test('alliance: a business chain proposed with the wizard and voted through by two members signing in the browser', () => run(async () => {
  await waitFor(async () => (await client.state('gov', 'governance/meta')).value !== null, 'governance.init', 30_000);
  const operator = readKeystore(join(data, 'node', 'key.json'), readFileSync(join(data, 'node', 'key.pass'), 'utf8').trim());
  const a = generateKeyPair('sm2');
  const b = generateKeyPair('sm2');
  // Setup through the SDK: the operator and the members admitted so far admit two organisations.
  const voters: KeyPair[] = [operator];
  for (const [k, name] of [[a, 'Port Authority'], [b, 'Shipping Bank']] as const) {
    const { id } = await govPropose(client, operator, { kind: 'admit-member', member: { did: did(k), name, roles: ['member'] } });
    for (const v of voters) if ((await govVote(client, v, id, 'yes')).status === 'approved') break;
    voters.push(k);
  }

  const { page, errors } = await browser.open(`${node.url}/console/`);
  await signInWithHex(page, toHex(a.privateKey));
  await goTo(page, 'chains');
  await settle(page);
  await page.getByRole('tab', { name: /提议业务链|Propose a business chain/ }).click();
  await page.getByTestId('wiz-chain').fill('trade');
  await page.getByTestId('wiz-name').fill('Trade chain');
  await page.getByTestId('wiz-next').click();
  const nodeDid = (await client.health()).node;
  await page.getByTestId('wiz-validators').getByTitle(nodeDid).click();
  for (let i = 0; i < 4; i++) await page.getByTestId('wiz-next').click();
  await screenshot(page, 'flow-chain-wizard-review');
  await page.getByTestId('wiz-submit').click();
  const done = page.getByTestId('wizard-done');
  await done.waitFor({ timeout: 60_000 });
  const id = Number(/#(\d+)/.exec((await done.textContent()) ?? '')?.[1]);
  assert.ok(id > 0, 'the wizard names the proposal');
  assert.equal((await govProposal(client, id))?.kind, 'create-chain');

  // Member A approves (signed in the browser): still voting.
  await page.getByRole('tab', { name: /链相关提案|Chain proposals/ }).click();
  await page.getByTestId(`vote-yes-${id}`).click();
  await waitFor(async () => (await govProposal(client, id))?.tally.yes === 1, 'the first vote', 60_000);
  assert.equal((await govProposal(client, id))?.status, 'voting');
  await signOut(page);

  // Member B signs in and approves: the proposal passes.
  await signInWithHex(page, toHex(b.privateKey));
  await goTo(page, 'alliance');
  await page.getByRole('tab', { name: /提案与投票|Proposals and votes/ }).click();
  await page.getByTestId(`vote-yes-${id}`).click();
  await waitFor(async () => (await govProposal(client, id))?.status === 'approved', 'the proposal to pass', 60_000);
  await page.getByTestId('proposals').getByText(/已通过|approved/).first().waitFor({ timeout: 30_000 });
  await screenshot(page, 'flow-chain-approved');

  // The node starts the approved chain by itself; the console lists it.
  await waitFor(async () => (await client.chains()).some((c) => c.id === 'trade'), 'the trade chain to start', 60_000);
  await goTo(page, 'overview');
  await goTo(page, 'chains');
  await page.getByTestId('chain-row-trade').waitFor({ timeout: 30_000 });
  assert.deepEqual(errors, []);
  await page.close();
}));
