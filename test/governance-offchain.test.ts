import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JsonValue } from '../src/codec/index.ts';
import type { Block, Receipt, ValidatorInfo } from '../src/ledger/index.ts';
import { MemGov, alliance, newOrg, validatorOf, type Org } from './helpers/governance.ts';
import {
  ChainLifecycleWatcher, assignedChains, checkAdmission, lifecycleEventsOf, listProposals, readChainRegistry, readMember, readMembers,
  readPolicy, readProposal, readVotes, type BlockSource, type LifecycleEvent, type StateSource,
} from '../src/governance/index.ts';

function blockOf(height: number, receipts: Receipt[]): Block {
  return {
    header: { chain: 'gov', height, prev: '', time: 0, txCount: receipts.length, txRoot: '', receiptRoot: '', stateRoot: '', proposer: '' },
    hash: '', sig: '', txs: [], receipts,
  };
}

const receipt = (events: Array<{ type: string; data: JsonValue }>, status: 'ok' | 'failed' = 'ok'): Receipt => ({
  tx: 'x', status, gasUsed: 1, events: events.map((e) => ({ module: 'governance', ...e })),
});

const vs = (...orgs: Org[]): JsonValue => orgs.map((o) => validatorOf(o)) as unknown as JsonValue;

test('lifecycle events: only for the node named, only from successful governance transactions', () => {
  const [x, y, z] = [newOrg(), newOrg(), newOrg()];
  const genesis = { chain: 'trade', validators: vs(x) } as unknown as JsonValue;
  const block = blockOf(7, [
    receipt([{ type: 'ChainApproved', data: { chain: 'trade', genesis, genesisHash: 'h', admission: { type: 'open' }, owner: y.did, proposal: 3 } }]),
    receipt([{ type: 'ValidatorSetChanged', data: { chain: 'trade', validators: vs(y, z), previous: vs(x, y), height: 40, proposal: 4 } }]),
    receipt([{ type: 'ChainSuspended', data: { chain: 'other', validators: vs(x, z), proposal: 5 } }]),
    receipt([{ type: 'ChainApproved', data: { chain: 'ghost', genesis, genesisHash: 'h', proposal: 6 } }], 'failed'),
    { ...receipt([{ type: 'ChainApproved', data: { chain: 'notgov', genesis, genesisHash: 'h', proposal: 7 } }]), events: [{ module: 'notary', type: 'ChainApproved', data: { chain: 'notgov', genesis, genesisHash: 'h', proposal: 7 } }] },
    receipt([{ type: 'ChainRetired', data: { chain: 'broken' } }]),
  ]);
  const forX = lifecycleEventsOf(block, x.did);
  assert.deepEqual(forX.map((e) => `${e.type}:${e.chain}`), ['start:trade', 'validators:trade', 'stop:other']);
  assert.deepEqual(forX[1], { type: 'validators', chain: 'trade', validators: vs(y, z) as unknown as ValidatorInfo[], previous: vs(x, y) as unknown as ValidatorInfo[], height: 40, role: 'leaves', proposal: 4, govHeight: 7 });
  assert.deepEqual(lifecycleEventsOf(block, y.did).map((e) => (e.type === 'validators' ? e.role : e.type)), ['stays']);
  assert.deepEqual(lifecycleEventsOf(block, z.did).map((e) => (e.type === 'validators' ? e.role : e.type)), ['joins', 'stop']);
  assert.deepEqual(lifecycleEventsOf(block, newOrg().did), []);
});

test('the watcher follows a block source, filters by chain, and keeps listener errors away from the chain', () => {
  const x = newOrg();
  let emit: ((b: Block) => void) | undefined;
  let unsubscribed = false;
  const source: BlockSource = {
    onBlock(l) {
      emit = l;
      return () => {
        unsubscribed = true;
      };
    },
  };
  const errors: unknown[] = [];
  const w = new ChainLifecycleWatcher({ blocks: source, did: x.did, chain: 'gov', onError: (e) => errors.push(e) });
  const got: LifecycleEvent[] = [];
  w.on(() => {
    throw new Error('listener bug');
  });
  const off = w.on((e) => got.push(e));
  const approved = (chain: string) => receipt([{ type: 'ChainApproved', data: { chain, genesis: { chain, validators: vs(x) } as unknown as JsonValue, genesisHash: 'h', proposal: 1 } }]);
  emit!(blockOf(1, [approved('a')]));
  emit!({ ...blockOf(2, [approved('b')]), header: { ...blockOf(2, []).header, chain: 'identity' } });
  assert.deepEqual(got.map((e) => e.chain), ['a']);
  assert.equal(errors.length, 1);
  off();
  emit!(blockOf(3, [approved('c')]));
  assert.deepEqual(got.map((e) => e.chain), ['a']);
  assert.deepEqual(w.handle(blockOf(4, [approved('d')])).map((e) => e.chain), ['d'], 'blocks can be fed by hand (catch-up)');
  w.close();
  assert.ok(unsubscribed);
});

/** An asynchronous source (as over HTTP) that records the heights it was asked for. */
function asyncSource(g: MemGov): StateSource & { heights: Array<number | undefined> } {
  const inner = g.source();
  const heights: Array<number | undefined> = [];
  return {
    heights,
    getState: async (key, opts) => {
      heights.push(opts?.height);
      await new Promise((r) => setImmediate(r));
      return inner.getState(key);
    },
  };
}

test('readers: members, policy, proposals (filtered, paged), votes, registry, assignments', async () => {
  const op = newOrg();
  const [a, b, c] = [newOrg(), newOrg(), newOrg()];
  const node = newOrg();
  const g = new MemGov(MemGov.config(op.did));
  const empty = asyncSource(g);
  assert.deepEqual(await readMembers(empty), []);
  assert.equal(await readPolicy(empty), null);
  assert.deepEqual(await listProposals(empty), []);
  await alliance(g, op, [a, b, c]);
  const src = asyncSource(g);
  const members = await readMembers(src);
  assert.deepEqual(members.map((m) => m.did), [op.did, a.did, b.did, c.did].sort());
  // Entries are read at the height the index was read at.
  assert.ok(src.heights.slice(1).every((h) => h === g.height));
  assert.equal((await readMember(src, a.did))!.roles[0], 'member');
  assert.equal(await readMember(src, newOrg().did), null);

  const genesis = { chain: 'trade', name: 'Trade', suite: 'ed25519', consensus: { type: 'solo' }, validators: vs(node), modules: ['notary'] };
  const p = await g.call(a.did, 'propose', { kind: 'create-chain', genesis });
  const id = (p.result as { id: number }).id;
  const open = (await readProposal(src, id))!;
  assert.equal(open.status, 'voting');
  assert.equal(open.votingOpen, true);
  assert.equal(open.closable, false);
  await g.block([{ from: a.did, method: 'vote', args: { id, choice: 'yes' } }, { from: b.did, method: 'vote', args: { id, choice: 'yes' } }]);
  assert.deepEqual((await readVotes(src, id)).map((v) => v.voter).sort(), [a.did, b.did].sort());
  assert.equal(await readProposal(src, 99), null);

  assert.deepEqual((await listProposals(src)).map((x) => x.id), [4, 3, 2, 1]);
  assert.deepEqual((await listProposals(src, { kind: 'admit-member', limit: 2 })).map((x) => x.id), [3, 2]);
  assert.deepEqual((await listProposals(src, { kind: 'admit-member', before: 2 })).map((x) => x.id), [1]);
  assert.deepEqual((await listProposals(src, { status: 'voting' })).map((x) => x.id), []);
  await assert.rejects(listProposals(src, { kind: 'nope' as 'set-policy' }), { code: 'BAD_ARGUMENT' });

  const registry = await readChainRegistry(src);
  assert.deepEqual(registry.map((r) => [r.id, r.status]), [['trade', 'approved']]);
  assert.deepEqual((await assignedChains(src, node.did)).map((x) => [x.chain, x.validators.length, x.effectiveHeight]), [['trade', 1, 0]]);
  assert.deepEqual(await assignedChains(src, a.did), []);

  // Junk where a record should be is reported, not passed on.
  const junk: StateSource = { getState: (key) => ({ value: key.endsWith('/members') ? 'oops' : null, height: 1 }) };
  await assert.rejects(readMembers(junk), { code: 'GOV_STATE_INVALID' });
});

test('admission policies', async () => {
  const m = newOrg();
  const other = newOrg();
  const issuer = newOrg();
  const facts = { isMember: (d: string) => d === m.did, hasCredential: async (d: string, t: string, i: string) => d === m.did && t === 'AllianceMember' && i === issuer.did };
  assert.deepEqual(await checkAdmission({ type: 'open' }, other.did, facts), { ok: true });
  assert.deepEqual(await checkAdmission({ type: 'members' }, m.did, facts), { ok: true });
  assert.match((await checkAdmission({ type: 'members' }, other.did, facts) as { reason: string }).reason, /members only/);
  assert.deepEqual(await checkAdmission({ type: 'allowlist', dids: [other.did] }, other.did, facts), { ok: true });
  assert.equal((await checkAdmission({ type: 'allowlist', dids: [other.did] }, m.did, facts)).ok, false);
  const cred = { type: 'credential' as const, credentialType: 'AllianceMember', issuer: issuer.did };
  assert.deepEqual(await checkAdmission(cred, m.did, facts), { ok: true });
  assert.match((await checkAdmission(cred, other.did, facts) as { reason: string }).reason, /no unrevoked AllianceMember credential/);
  assert.equal((await checkAdmission(cred, m.did, { isMember: () => true })).ok, false, 'no credential source: no one is admitted');
});
