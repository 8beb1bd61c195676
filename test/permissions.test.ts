/**
 * Issue #25 item 5 on a running node: per-chain, per-module/method access rules decided by
 * governance (set-policy `access`), enforced when a tx is submitted (TX_ACCESS_DENIED) and again
 * when it executes (ACCESS_DENIED in its receipt), so a tx admitted before a rule changed is
 * refused by the block that names the new governance height. Attacks: the wrong role, a grant
 * on another chain, a rule changed between admission and block, a proposal for a chain or
 * module that does not exist.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { toHex } from '../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair, readKeystore, type KeyPair } from '../src/crypto/index.ts';
import { signTx } from '../src/ledger/index.ts';
import { ShulianClient, govPropose, govVote, type ProposalInput } from '../src/sdk/index.ts';
import { startNodeProcess, type NodeProcess } from './helpers/node-process.ts';
import { tempDir, waitFor } from './helpers/tmp.ts';

const did = (k: KeyPair) => didFromPublicKey(k.publicKey);
const [orgA, orgB, carol, dave] = [generateKeyPair('sm2'), generateKeyPair('sm2'), generateKeyPair('sm2'), generateKeyPair('sm2')];
let node: NodeProcess;
let c: ShulianClient;
let operator: KeyPair;
let cleanup: () => void;
let seq = 0;

/**
 * Proposes and has the members, then the operator, vote until the proposal is approved. The
 * operator's key is also the node's (it reports chain activations), so the test uses it only
 * where a member cannot.
 */
async function decide(proposer: KeyPair, input: ProposalInput): Promise<number> {
  const { id } = await govPropose(c, proposer, input);
  for (const voter of [orgA, orgB, operator]) {
    try {
      if ((await govVote(c, voter, id, 'yes')).status === 'approved') return id;
    } catch (err) {
      if (!['GOV_NOT_MEMBER', 'GOV_NOT_ELIGIBLE', 'GOV_PROPOSAL_CLOSED'].includes((err as { code?: string }).code ?? '')) throw err;
    }
  }
  throw new Error(`proposal #${id} (${input.kind}) was not approved`);
}

const digest = () => (++seq).toString(16).padStart(64, '0');
const put = (key: KeyPair, chain: string) => c.send(chain, key, { module: 'notary', method: 'put', args: { hash: digest() } });
async function setAccess(access: Record<string, unknown>): Promise<void> {
  // Approved once the vote is committed: submissions are judged at the node's latest governance
  // height, and the next block of each chain names it.
  await decide(orgA, { kind: 'set-policy', policy: { access } as never });
}

before(async () => {
  const tmp = tempDir('permissions-');
  cleanup = tmp.cleanup;
  const data = join(tmp.dir, 'data');
  node = await startNodeProcess(data);
  c = new ShulianClient({ baseUrl: node.url });
  await waitFor(async () => (await c.state('gov', 'governance/meta')).value !== null, 'governance.init', 60_000);
  operator = readKeystore(join(data, 'node', 'key.json'), readFileSync(join(data, 'node', 'key.pass'), 'utf8').trim());
  await decide(operator, { kind: 'admit-member', member: { did: did(orgA), name: 'Org A', roles: ['member'] } });
  await decide(operator, { kind: 'admit-member', member: { did: did(orgB), name: 'Org B', roles: ['member', 'service-provider'] } });
  for (const chain of ['biz', 'biz2']) {
    const genesis = { chain, name: `Business ${chain}`, suite: 'sm2', consensus: { type: 'solo' }, modules: ['notary', 'xdoc'], validators: [{ did: did(operator), publicKey: toHex(operator.publicKey), power: 1 }] };
    await decide(orgA, { kind: 'create-chain', title: chain, genesis, admission: { type: 'open' } } as never);
  }
  await waitFor(async () => (await c.chains()).filter((x) => x.id === 'biz' || x.id === 'biz2').length === 2, 'chains biz and biz2 to start', 90_000);
  await setAccess({
    biz: [{ module: 'notary', method: 'put', roles: ['service-provider'], dids: [did(carol)] }],
    biz2: [{ module: 'notary', method: '*', dids: [did(orgA)] }],
  });
});

after(async () => {
  await node?.stop();
  cleanup?.();
});

test('a rule decides who calls a method: the right role or a listed DID passes, the wrong role and outsiders are refused at submission', async () => {
  assert.equal((await c.waitForTx(await put(orgB, 'biz'), { timeoutMs: 60_000 })).receipt.status, 'ok');
  assert.equal((await c.waitForTx(await put(carol, 'biz'), { timeoutMs: 60_000 })).receipt.status, 'ok');
  // orgA is a member, but without the service-provider role; dave is nobody.
  await assert.rejects(put(orgA, 'biz'), (e: Error & { code?: string }) => e.code === 'TX_ACCESS_DENIED'
    && e.message.includes(`${did(orgA)} may not call notary.put: the rule notary.put allows 1 listed DID, members with role service-provider`));
  await assert.rejects(put(dave, 'biz'), { code: 'TX_ACCESS_DENIED' });
  // Other methods of the chain are not ruled: open to anyone admitted.
  const doc = await c.send('biz', dave, { module: 'xdoc', method: 'issue', args: { id: 'd1', kind: 'bill', hash: digest(), holder: did(dave) } });
  assert.equal((await c.waitForTx(doc, { timeoutMs: 60_000 })).receipt.status, 'ok');
  assert.equal((await c.account('biz', did(orgA))).pendingNonce, 0, 'a refused tx uses no nonce');
});

test('a grant is per chain: orgA may call on biz2 only, where others may not, and the rule covers every method of the module', async () => {
  assert.equal((await c.waitForTx(await put(orgA, 'biz2'), { timeoutMs: 60_000 })).receipt.status, 'ok');
  await assert.rejects(put(orgA, 'biz'), { code: 'TX_ACCESS_DENIED' });
  await assert.rejects(put(orgB, 'biz2'), (e: Error & { code?: string }) => e.code === 'TX_ACCESS_DENIED' && /the rule notary\.\* allows 1 listed DID/.test(e.message));
  await assert.rejects(put(carol, 'biz2'), { code: 'TX_ACCESS_DENIED' });
});

test('a tx admitted before its rule changed is refused at execution, with ACCESS_DENIED in its receipt', async () => {
  // carol's notary.put waits in the mempool behind a nonce gap: admitted under the old rules.
  const acct = await c.account('biz', did(carol));
  const [head] = await c.blocks('biz', { limit: 1 });
  const waiting = signTx(carol, { chain: 'biz', module: 'notary', method: 'put', args: { hash: digest() }, nonce: acct.pendingNonce + 1, expires: head!.height + 1_000 });
  assert.equal((await c.submit('biz', waiting.tx)).hash, waiting.hash);
  // Governance takes carol off the rule.
  await setAccess({ biz: [{ module: 'notary', method: 'put', roles: ['service-provider'] }] });
  await assert.rejects(put(carol, 'biz'), { code: 'TX_ACCESS_DENIED' });
  // Filling the gap with a call still open to carol lets the waiting tx into a block.
  const fill = signTx(carol, { chain: 'biz', module: 'xdoc', method: 'issue', args: { id: `d${seq}`, kind: 'bill', hash: digest(), holder: did(carol) }, nonce: acct.pendingNonce, expires: head!.height + 1_000 });
  assert.equal((await c.submit('biz', fill.tx)).hash, fill.hash);
  const inc = await c.waitForTx(waiting.hash, { timeoutMs: 60_000 });
  assert.equal(inc.receipt.status, 'failed');
  assert.equal(inc.receipt.code, 'ACCESS_DENIED');
  assert.match(inc.receipt.message ?? '', new RegExp(`${did(carol)} may not call notary\\.put`));
  assert.equal((await c.state('biz', `notary/rec/${(waiting.tx.args as { hash: string }).hash}`)).value, null, 'nothing recorded');
});

test('a proposal naming an unknown chain, a system chain or a module the chain does not run is refused, and the policy stays', async () => {
  const before = (await c.state('gov', 'governance/policy')).value;
  const refused = async (access: Record<string, unknown>, code: string, re: RegExp) => {
    await assert.rejects(govPropose(c, orgA, { kind: 'set-policy', policy: { access } as never }), (e: Error & { code?: string }) => e.code === code && re.test(e.message), JSON.stringify(access));
  };
  await refused({ nochain: [{ module: 'notary', method: 'put', members: true }] }, 'GOV_CHAIN_NOT_FOUND', /no chain "nochain"/);
  await refused({ identity: [{ module: 'did', method: '*', members: true }] }, 'GOV_POLICY_INVALID', /access rules are for business chains/);
  await refused({ biz: [{ module: 'settlement', method: '*', members: true }] }, 'GOV_POLICY_INVALID', /policy\.access\.biz\[0\]\.module: chain biz runs no module "settlement"/);
  assert.deepEqual((await c.state('gov', 'governance/policy')).value, before);
});
