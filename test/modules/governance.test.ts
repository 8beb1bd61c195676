/**
 * The governance module's rules, through the real Executor on an in-memory state: bootstrap,
 * proposal validation (every genesis field), votes, execution, and a property test over random
 * transaction sequences. test/governance.test.ts runs the same module on a real chain.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { JsonValue } from '../../src/codec/index.ts';
import { hashJson, type Receipt } from '../../src/ledger/index.ts';
import {
  DEFAULT_POLICY, PROPOSAL_KINDS, applyPolicyPatch, createGovernanceModule, governanceConfigFromGenesis, governanceModule, subjectOf,
  type ChainRecord, type Member, type Policy, type PolicyPatch, type Proposal,
} from '../../src/modules/governance/index.ts';
import {
  MemGov, PARAMS, PROPERTY_POLICY, T0, actionArb, alliance, callOf, checkInvariants, newOrg, validatorOf, type Org,
} from '../helpers/governance.ts';

const ok = (r: Receipt): Receipt => {
  assert.equal(r.status, 'ok', `${r.code}: ${r.message}`);
  return r;
};

async function setup(policy?: PolicyPatch): Promise<{ g: MemGov; op: Org; a: Org; b: Org; c: Org }> {
  const op = newOrg();
  const [a, b, c] = [newOrg(), newOrg(), newOrg()];
  const g = new MemGov(MemGov.config(op.did));
  await alliance(g, op, [a, b, c], policy);
  return { g, op, a, b, c };
}

function draft(validators: Org[], over: Record<string, JsonValue> = {}): Record<string, JsonValue> {
  return {
    chain: 'trade', name: 'Trade chain', nameZh: '航贸链', suite: 'ed25519', consensus: { type: validators.length >= 4 ? 'tbft' : 'solo' },
    validators: validators.map((v) => validatorOf(v)) as unknown as JsonValue, modules: ['notary'], ...over,
  };
}

test('bootstrap: only a founder, only once; nothing works before it', async () => {
  const op = newOrg();
  const stranger = newOrg();
  const g = new MemGov(MemGov.config(op.did));
  const before = g.snapshot();
  const early = await g.call(op.did, 'propose', { kind: 'admit-member', member: { did: stranger.did, name: 'X', roles: ['member'] } });
  assert.equal(early.code, 'GOV_NOT_INITIALIZED');
  assert.equal((await g.call(stranger.did, 'init', { name: 'Usurper' })).code, 'GOV_NOT_FOUNDER');
  assert.equal((await g.call(op.did, 'init', { name: 'Operator', roles: ['member'] })).code, 'GOV_PAYLOAD_INVALID');
  assert.equal(g.snapshot(), before);
  ok(await g.call(op.did, 'init', { name: 'Operator', nameZh: '运营方' }));
  const again = await g.call(op.did, 'init', { name: 'Operator' });
  assert.equal(again.code, 'GOV_ALREADY_INITIALIZED');
  assert.match(again.message!, /only once/);
  assert.deepEqual(g.get<Member>(`member/${op.did}`), { did: op.did, name: 'Operator', nameZh: '运营方', roles: ['operator'], admittedAt: 4, admittedTime: T0 + 4_000, proposal: 0 });
  assert.deepEqual(g.get<Policy>('policy'), DEFAULT_POLICY);

  // The build's module list entry has no founders: it cannot be initialised by anyone.
  assert.equal(governanceModule.name, 'governance');
  const g2 = new MemGov({ founders: [] });
  const r = await g2.call(op.did, 'init', { name: 'Operator' });
  assert.equal(r.code, 'GOV_NOT_FOUNDER');
  assert.match(r.message!, /governanceConfigFromGenesis/);
});

test('governanceConfigFromGenesis: the founders are the genesis validators; the policy comes from init', async () => {
  const v = newOrg('sm2');
  const govGenesis = {
    chain: 'gov', alliance: 'shulian-local', name: 'Governance chain', nameZh: '治理链', kind: 'governance' as const, suite: 'sm2' as const,
    consensus: { type: 'solo' as const }, validators: [validatorOf(v)], modules: ['governance'], params: PARAMS, time: T0,
  };
  assert.deepEqual(governanceConfigFromGenesis(govGenesis), { founders: [v.did], alliance: 'shulian-local' });
  assert.throws(() => createGovernanceModule({ founders: ['nope'] }), { code: 'GOV_CONFIG_INVALID' });
  const g = new MemGov(governanceConfigFromGenesis(govGenesis));
  const before = g.snapshot();
  const bad = await g.block([
    { from: v.did, method: 'init', args: { name: 'Operator', policy: { kinds: { 'set-policy': { quorumBps: 100 } } } } },
    { from: v.did, method: 'init', args: { name: 'Operator', policy: { modules: ['notary', 'governance'] } } },
    { from: v.did, method: 'init', args: { name: 'Operator', chains: [{ genesis: { ...govGenesis, alliance: 'other' } as unknown as JsonValue }] } },
    { from: v.did, method: 'init', args: { name: 'Operator', chains: [{ genesis: { ...govGenesis, validators: [] } as unknown as JsonValue }] } },
  ]);
  assert.deepEqual(bad.map((r) => r.code), ['GOV_POLICY_FLOOR', 'GOV_POLICY_INVALID', 'GOV_ALLIANCE_MISMATCH', 'GOV_VALIDATORS_EMPTY']);
  assert.equal(g.snapshot(), before);
  const policy = { modules: ['notary', 'did'], chainParams: { maxBlockTxs: 500 } };
  const init = ok(await g.call(v.did, 'init', { name: 'Operator', policy, chains: [{ genesis: govGenesis as unknown as JsonValue }] }));
  assert.deepEqual(init.result, { operator: v.did, chains: ['gov'] });
  assert.deepEqual(g.get<Policy>('policy'), applyPolicyPatch(DEFAULT_POLICY, policy));
  const gov = g.get<ChainRecord>('chain/gov')!;
  assert.equal(gov.status, 'active');
  assert.equal(gov.genesisHash, hashJson('sm2', govGenesis));
  // Business chains get the policy's default parameters and may run only the modules it lists.
  const m = newOrg();
  const admit = ok(await g.call(v.did, 'propose', { kind: 'admit-member', member: { did: m.did, name: 'M', roles: ['member'] } }));
  ok(await g.call(v.did, 'vote', { id: (admit.result as { id: number }).id, choice: 'yes' }));
  const node = newOrg('sm2');
  const chain = (modules: string[]) => ({ kind: 'create-chain', genesis: { chain: 'x', name: 'X', suite: 'sm2', consensus: { type: 'solo' }, validators: [validatorOf(node)] as unknown as JsonValue, modules } });
  assert.equal((await g.call(m.did, 'propose', chain(['vcstatus']))).code, 'GOV_MODULE_UNKNOWN');
  const p = ok(await g.call(m.did, 'propose', chain(['did'])));
  const prop = g.get<Proposal>(`proposal/${(p.result as { id: number }).id}`)!;
  assert.equal(prop.payload.kind === 'create-chain' && prop.payload.genesis.params.maxBlockTxs, 500);
});

test('admission by vote; a create-chain proposal approved by 2 of 3 member organisations executes at once', async () => {
  const { g, op, a, b, c } = await setup();
  assert.deepEqual(g.get<string[]>('members'), [op.did, a.did, b.did, c.did].sort());
  const node = newOrg();
  const p = ok(await g.call(a.did, 'propose', { kind: 'create-chain', title: 'Trade chain', genesis: draft([node]), admission: { type: 'credential', credentialType: 'AllianceMember', issuer: op.did } }));
  const { id, electorate } = p.result as { id: number; electorate: number };
  assert.equal(electorate, 3, 'business chains are voted by the member organisations');
  const prop = g.get<Proposal>(`proposal/${id}`)!;
  assert.equal(prop.payload.kind, 'create-chain');
  if (prop.payload.kind !== 'create-chain') return;
  assert.equal(prop.payload.genesis.time, g.time, 'genesis time defaults to the proposal block time');
  assert.deepEqual(prop.payload.genesis.params, PARAMS);
  assert.equal(prop.payload.genesisHash, hashJson('ed25519', prop.payload.genesis));

  const first = ok(await g.call(a.did, 'vote', { id, choice: 'yes' }));
  assert.equal((first.result as { status: string }).status, 'voting');
  const second = ok(await g.call(b.did, 'vote', { id, choice: 'yes' }));
  assert.deepEqual(second.events.map((e) => e.type), ['Voted', 'ProposalApproved', 'ChainApproved']);
  const approved = second.events[2]!.data as { genesis: JsonValue; genesisHash: string; chain: string };
  assert.equal(approved.chain, 'trade');
  assert.equal(approved.genesisHash, hashJson('ed25519', approved.genesis));
  const rec = g.get<ChainRecord>('chain/trade')!;
  assert.equal(rec.status, 'approved');
  assert.equal(rec.owner, a.did);
  assert.deepEqual(rec.admission, { type: 'credential', credentialType: 'AllianceMember', issuer: op.did });
  assert.deepEqual(g.get<string[]>('chains'), ['trade']);
  // Closed: the third vote is refused, the lock is released, the open list is empty.
  assert.equal((await g.call(c.did, 'vote', { id, choice: 'no' })).code, 'GOV_PROPOSAL_CLOSED');
  assert.equal(g.get(`lock/chain:trade`), undefined);
  assert.deepEqual(g.get('open'), []);

  // A validator of the chain reports it started; others cannot.
  assert.equal((await g.call(c.did, 'activate', { chain: 'trade' })).code, 'GOV_NOT_VALIDATOR');
  ok(await g.call(node.did, 'activate', { chain: 'trade' }));
  assert.equal(g.get<ChainRecord>('chain/trade')!.status, 'active');
  assert.equal((await g.call(node.did, 'activate', { chain: 'trade' })).code, 'GOV_CHAIN_STATUS');
});

test('malformed genesis: every field is checked, with its own code, and nothing changes', async () => {
  const { g, op, a } = await setup();
  const n = [newOrg(), newOrg(), newOrg(), newOrg()];
  const sm2Node = newOrg('sm2');
  const propose = (genesis: Record<string, JsonValue>, extra: Record<string, JsonValue> = {}) => ({ from: a.did, method: 'propose', args: { kind: 'create-chain', genesis, ...extra } as JsonValue });
  const bad: Array<[Record<string, JsonValue>, string, RegExp, Record<string, JsonValue>?]> = [
    [draft([n[0]!], { chain: 'Trade!' }), 'GOV_GENESIS_INVALID', /genesis\.chain/],
    [draft([n[0]!], { chain: 'gov' }), 'GOV_CHAIN_EXISTS', /governance chain's own/],
    [draft([n[0]!], { name: '' }), 'GOV_GENESIS_INVALID', /genesis\.name/],
    [draft([n[0]!], { alliance: 'other' }), 'GOV_ALLIANCE_MISMATCH', /alliance/],
    [draft([n[0]!], { kind: 'governance' }), 'GOV_GENESIS_INVALID', /genesis\.kind/],
    [draft([n[0]!], { suite: 'rsa' }), 'GOV_GENESIS_INVALID', /genesis\.suite/],
    [draft([n[0]!], { consensus: { type: 'pow' } }), 'GOV_GENESIS_INVALID', /genesis\.consensus\.type/],
    [draft([], { consensus: { type: 'solo' } }), 'GOV_VALIDATORS_EMPTY', /at least one validator/],
    [draft([n[0]!, n[1]!], { consensus: { type: 'tbft' } }), 'GOV_TBFT_TOO_FEW_VALIDATORS', /at least 4/],
    [draft([n[0]!, n[1]!], { consensus: { type: 'solo' } }), 'GOV_SOLO_VALIDATORS', /exactly one/],
    [draft([n[0]!, n[0]!, n[1]!, n[2]!]), 'GOV_VALIDATOR_DUPLICATE', /listed twice/],
    [draft([sm2Node]), 'GOV_VALIDATOR_KEY_SUITE', /ed25519/],
    [draft([n[0]!], { validators: [{ ...validatorOf(n[0]!), did: n[1]!.did }] }), 'GOV_VALIDATOR_KEY_MISMATCH', /not the DID of its public key/],
    [draft([n[0]!], { validators: [{ ...validatorOf(n[0]!), power: 0 }] }), 'GOV_GENESIS_INVALID', /genesis\.validators\[0\]\.power/],
    [draft([n[0]!], { validators: [{ ...validatorOf(n[0]!), publicKey: 'XYZ' }] }), 'GOV_GENESIS_INVALID', /genesis\.validators\[0\]\.publicKey/],
    [draft([n[0]!], { modules: [] }), 'GOV_GENESIS_INVALID', /genesis\.modules/],
    [draft([n[0]!], { modules: ['evm'] }), 'GOV_MODULE_UNKNOWN', /does not allow module "evm"/],
    [draft([n[0]!], { modules: ['governance'] }), 'GOV_MODULE_NOT_ALLOWED', /cannot run "governance"/],
    [draft([n[0]!], { modules: ['notary', 'notary'] }), 'GOV_MODULE_DUPLICATE', /twice/],
    [draft([n[0]!], { params: { maxTxGas: -1 } }), 'GOV_GENESIS_INVALID', /genesis\.params\.maxTxGas/],
    [draft([n[0]!], { params: { maxTxBytes: 1_000_000, mempoolMaxBytes: 2_000 } }), 'GOV_GENESIS_INVALID', /mempoolMaxBytes/],
    [draft([n[0]!], { time: 1.5 }), 'GOV_GENESIS_INVALID', /genesis\.time/],
    [draft([n[0]!], { extra: true }), 'GOV_GENESIS_INVALID', /extra/],
    // A business chain names the routing chain it follows, never routes of its own.
    [draft([n[0]!], { crossChain: { routeChain: 'xroute', routeSuite: 'ed25519', routeConsensus: 'solo', routeValidators: [{ ...validatorOf(n[0]!) }], routes: [] } }), 'GOV_GENESIS_INVALID', /genesis\.crossChain.*routes/],
    [draft([n[0]!], { crossChain: { routeChain: 'xroute', routeSuite: 'ed25519', routeConsensus: 'solo', routeValidators: [] } }), 'GOV_GENESIS_INVALID', /genesis\.crossChain\.routeValidators/],
    [draft([n[0]!]), 'GOV_ADMISSION_INVALID', /admission/, { admission: { type: 'allowlist', dids: [] } }],
    [draft([n[0]!]), 'GOV_ADMISSION_INVALID', /admission/, { admission: { type: 'credential', credentialType: 'AllianceMember', issuer: 'bob' } }],
    [draft([n[0]!]), 'GOV_ADMISSION_INVALID', /type must be one of/, { admission: { type: 'anyone' } }],
    [draft([n[0]!]), 'GOV_OWNER_NOT_MEMBER', /not a member/, { owner: newOrg().did }],
  ];
  const before = g.snapshot();
  const rs = await g.block(bad.map(([gen, , , extra]) => propose(gen, extra)));
  rs.forEach((r, i) => {
    const [, code, msg] = bad[i]!;
    assert.equal(r.status, 'failed', `case ${i} should fail`);
    assert.equal(r.code, code, `case ${i}: ${r.message}`);
    assert.match(r.message!, msg, `case ${i}`);
  });
  assert.equal(g.snapshot(), before);
  // The same proposal, well formed, is accepted.
  ok(await g.call(op.did, 'propose', { kind: 'create-chain', genesis: draft(n) }));
  // A chain that joins cross-chain messaging carries the routing chain it follows into its genesis.
  const follow = { routeChain: 'xroute', routeSuite: 'ed25519', routeConsensus: 'solo', routeValidators: [{ ...validatorOf(op) }] };
  const p = ok(await g.call(op.did, 'propose', { kind: 'create-chain', genesis: draft([n[0]!], { chain: 'joined', crossChain: follow }) }));
  const prop = g.get<Proposal>(`proposal/${(p.result as { id: number }).id}`)!;
  assert.ok(prop.payload.kind === 'create-chain');
  if (prop.payload.kind === 'create-chain') assert.deepEqual(prop.payload.genesis.crossChain, follow);
});

test('votes: only members of the electorate, once; proposals only from roles the policy allows', async () => {
  const { g, op, a, b } = await setup();
  const outsider = newOrg();
  const regulator = newOrg();
  const id = (ok(await g.call(a.did, 'propose', { kind: 'create-chain', genesis: draft([newOrg()]) })).result as { id: number }).id;
  ok(await g.call(a.did, 'vote', { id, choice: 'yes' }));
  const before = g.snapshot();
  const rs = await g.block([
    { from: outsider.did, method: 'vote', args: { id, choice: 'yes' } },
    { from: a.did, method: 'vote', args: { id, choice: 'no' } },
    { from: op.did, method: 'vote', args: { id, choice: 'yes' } }, // the operator is not in the electorate of create-chain
    { from: b.did, method: 'vote', args: { id: 99, choice: 'yes' } },
    { from: b.did, method: 'vote', args: { id, choice: 'maybe' } },
    { from: outsider.did, method: 'propose', args: { kind: 'admit-member', member: { did: outsider.did, name: 'Me', roles: ['operator'] } } },
    { from: a.did, method: 'propose', args: { kind: 'register-regulator', regulator: { did: regulator.did, name: 'Regulator', chains: ['*'] } } },
    { from: a.did, method: 'propose', args: { kind: 'create-chain', genesis: draft([newOrg()]) } }, // same chain id: still open
    { from: a.did, method: 'propose', args: { kind: 'admit-member', member: { did: b.did, name: 'B again', roles: ['member'] } } },
    { from: a.did, method: 'propose', args: { kind: 'remove-member', did: op.did } },
    { from: a.did, method: 'close', args: { id } },
  ]);
  assert.deepEqual(rs.map((r) => r.code), [
    'GOV_NOT_MEMBER', 'GOV_ALREADY_VOTED', 'GOV_NOT_ELIGIBLE', 'GOV_PROPOSAL_NOT_FOUND', 'BAD_ARGS', 'GOV_NOT_MEMBER',
    'GOV_ROLE_FORBIDDEN', 'GOV_SUBJECT_BUSY', 'GOV_MEMBER_EXISTS', 'GOV_LAST_OPERATOR', 'GOV_VOTING_OPEN',
  ]);
  assert.match(rs[1]!.message!, /already voted yes/);
  assert.match(rs[6]!.message!, /only operator propose register-regulator/);
  assert.equal(g.snapshot(), before);
  assert.deepEqual(g.get<Proposal>(`proposal/${id}`)!.tally, { yes: 1, no: 0, abstain: 0 });
});

test('no electorate, too many open proposals', async () => {
  const op = newOrg();
  const a = newOrg();
  const g = new MemGov(MemGov.config(op.did));
  await alliance(g, op, [], { maxOpenProposals: 1 });
  // Only the operator so far, and business chains are voted by members.
  const none = await g.call(op.did, 'propose', { kind: 'create-chain', genesis: draft([newOrg()]) });
  assert.equal(none.code, 'GOV_NO_ELECTORATE');
  assert.match(none.message!, /admit such members first/);
  ok(await g.call(op.did, 'propose', { kind: 'admit-member', member: { did: a.did, name: 'A', roles: ['member'] } }));
  const more = await g.call(op.did, 'propose', { kind: 'admit-member', member: { did: newOrg().did, name: 'B', roles: ['member'] } });
  assert.equal(more.code, 'GOV_TOO_MANY_OPEN');
});

test('a proposal that misses quorum expires as rejected when closed; late votes are refused', async () => {
  const { g, a, b } = await setup({ kinds: { 'create-chain': { votingPeriod: 3 } } });
  const id = (ok(await g.call(a.did, 'propose', { kind: 'create-chain', genesis: draft([newOrg()]) })).result as { id: number; endHeight: number }).id;
  ok(await g.call(a.did, 'vote', { id, choice: 'yes' }));
  assert.equal((await g.call(a.did, 'close', { id })).code, 'GOV_VOTING_OPEN');
  await g.call(a.did, 'nothing', {}); // a block passes
  assert.equal((await g.call(b.did, 'vote', { id, choice: 'yes' })).code, 'GOV_VOTING_ENDED');
  const closed = ok(await g.call(b.did, 'close', { id }));
  assert.deepEqual(closed.events.map((e) => e.type), ['ProposalRejected']);
  const p = g.get<Proposal>(`proposal/${id}`)!;
  assert.equal(p.status, 'rejected');
  assert.equal(p.reason, 'quorum');
  assert.match(p.detail!, /1 yes, 0 no, 0 abstain of 3: quorum not reached \(needs 50\.00%/);
  assert.equal(g.get('chain/trade'), undefined);
  assert.equal((await g.call(b.did, 'close', { id })).code, 'GOV_PROPOSAL_CLOSED');
  // The chain id is free again.
  ok(await g.call(a.did, 'propose', { kind: 'create-chain', genesis: draft([newOrg()]) }));
});

/** Event types of a receipt, without the vote itself. */
const effects = (r: Receipt): string[] => r.events.map((e) => e.type).filter((t) => t !== 'Voted');

async function pass(g: MemGov, proposer: Org, voters: Org[], args: Record<string, JsonValue>): Promise<Receipt> {
  const p = ok(await g.call(proposer.did, 'propose', args as JsonValue));
  const id = (p.result as { id: number }).id;
  const rs = await g.block(voters.map((v) => ({ from: v.did, method: 'vote', args: { id, choice: 'yes' } })));
  const decided = rs.find((r) => r.events.some((e) => e.type === 'ProposalApproved' || e.type === 'ProposalFailed'));
  assert.ok(decided, `proposal ${id} was not decided: ${JSON.stringify(rs.map((r) => r.code ?? r.result))}`);
  return decided;
}

test('chain lifecycle: suspend, resume, retire; validator changes need notice', async () => {
  const { g, a, b, c } = await setup();
  const v = [newOrg(), newOrg(), newOrg(), newOrg(), newOrg()];
  await pass(g, a, [a, b], { kind: 'create-chain', genesis: draft(v.slice(0, 4)) });
  const s = await pass(g, b, [a, b], { kind: 'suspend-chain', chain: 'trade' });
  assert.deepEqual(effects(s), ['ProposalApproved', 'ChainSuspended']);
  assert.equal(g.get<ChainRecord>('chain/trade')!.status, 'suspended');
  assert.equal((await g.call(a.did, 'propose', { kind: 'suspend-chain', chain: 'trade' })).code, 'GOV_CHAIN_STATUS');
  const r = await pass(g, c, [a, b], { kind: 'resume-chain', chain: 'trade' });
  assert.deepEqual(effects(r), ['ProposalApproved', 'ChainResumed']);
  assert.equal(g.get<ChainRecord>('chain/trade')!.status, 'approved', 'never activated, so back to approved');

  // Validator change: at least validatorChangeDelay (10) past the last set's effective height (0).
  const newSet = v.slice(1, 5).map((o) => validatorOf(o)) as unknown as JsonValue;
  const before = g.snapshot();
  const early = await g.block([
    { from: a.did, method: 'propose', args: { kind: 'change-validators', chain: 'trade', validators: newSet, effectiveHeight: 5 } },
    { from: a.did, method: 'propose', args: { kind: 'change-validators', chain: 'trade', validators: draft(v.slice(0, 4)).validators!, effectiveHeight: 50 } },
    { from: a.did, method: 'propose', args: { kind: 'change-validators', chain: 'trade', validators: v.slice(1, 3).map((o) => validatorOf(o)) as unknown as JsonValue, effectiveHeight: 50 } },
    { from: a.did, method: 'propose', args: { kind: 'change-validators', chain: 'nope', validators: newSet, effectiveHeight: 50 } },
  ]);
  assert.deepEqual(early.map((x) => x.code), ['GOV_EFFECTIVE_HEIGHT_TOO_EARLY', 'GOV_VALIDATORS_UNCHANGED', 'GOV_TBFT_TOO_FEW_VALIDATORS', 'GOV_CHAIN_NOT_FOUND']);
  assert.match(early[0]!.message!, /use 10 or later/);
  assert.equal(g.snapshot(), before);
  const cv = await pass(g, a, [a, b], { kind: 'change-validators', chain: 'trade', validators: newSet, effectiveHeight: 10 });
  assert.deepEqual(effects(cv), ['ProposalApproved', 'ValidatorSetChanged']);
  const changed = cv.events.find((e) => e.type === 'ValidatorSetChanged')!.data as { height: number; previous: unknown[]; validators: unknown[] };
  assert.equal(changed.height, 10);
  assert.equal(changed.previous.length, 4);
  assert.equal(g.get<ChainRecord>('chain/trade')!.validators.length, 2);
  // The next change must come at least 10 after 10.
  assert.equal((await g.call(a.did, 'propose', { kind: 'change-validators', chain: 'trade', validators: draft(v.slice(0, 4)).validators!, effectiveHeight: 19 })).code, 'GOV_EFFECTIVE_HEIGHT_TOO_EARLY');

  const t = await pass(g, a, [a, b, c], { kind: 'retire-chain', chain: 'trade' });
  assert.deepEqual(effects(t), ['ProposalApproved', 'ChainRetired']);
  // Every validator that ever ran it is told to stop.
  assert.equal((t.events.find((e) => e.type === 'ChainRetired')!.data as { validators: unknown[] }).validators.length, 5);
  const rec = g.get<ChainRecord>('chain/trade')!;
  assert.deepEqual(rec.history.map((h) => h.status), ['approved', 'suspended', 'approved', 'retired']);
  assert.equal((await g.call(a.did, 'propose', { kind: 'resume-chain', chain: 'trade' })).code, 'GOV_CHAIN_STATUS');
  assert.equal((await g.call(a.did, 'propose', { kind: 'create-chain', genesis: draft([newOrg()]) })).code, 'GOV_CHAIN_EXISTS', 'a retired id stays taken');
});

test('policy change by proposal: two thirds needed, floor enforced, applies to later proposals only', async () => {
  const { g, op, a, b, c } = await setup();
  const before = g.snapshot();
  const bad = await g.block([
    { from: a.did, method: 'propose', args: { kind: 'set-policy', policy: { kinds: { 'set-policy': { thresholdBps: 1_000 } } } } },
    { from: a.did, method: 'propose', args: { kind: 'set-policy', policy: { kinds: { 'create-chain': { quorumBps: 0 } } } } },
    { from: a.did, method: 'propose', args: { kind: 'set-policy', policy: { kinds: { 'create-chain': { proposers: ['king'] } } } } },
    { from: a.did, method: 'propose', args: { kind: 'set-policy', policy: { color: 'red' } } },
    { from: a.did, method: 'propose', args: { kind: 'set-policy', policy: { maxOpenProposals: DEFAULT_POLICY.maxOpenProposals } } },
  ]);
  assert.deepEqual(bad.map((r) => r.code), ['GOV_POLICY_FLOOR', 'GOV_POLICY_INVALID', 'GOV_POLICY_INVALID', 'GOV_POLICY_INVALID', 'GOV_POLICY_UNCHANGED']);
  assert.match(bad[1]!.message!, /policy\.kinds\.create-chain\.quorumBps/);
  assert.equal(g.snapshot(), before);

  // Open a create-chain proposal under the old rules first.
  const old = (ok(await g.call(a.did, 'propose', { kind: 'create-chain', genesis: draft([newOrg()]) })).result as { id: number }).id;
  const patch = { kinds: { 'create-chain': { proposers: ['operator'], thresholdBps: 6_666 } } };
  const id = (ok(await g.call(a.did, 'propose', { kind: 'set-policy', policy: patch })).result as { id: number }).id;
  // 4 voters (operator + 3 members); 2 yes is not yet enough for two thirds.
  ok(await g.call(a.did, 'vote', { id, choice: 'yes' }));
  ok(await g.call(b.did, 'vote', { id, choice: 'yes' }));
  assert.equal(g.get<Proposal>(`proposal/${id}`)!.status, 'voting');
  const done = ok(await g.call(op.did, 'vote', { id, choice: 'yes' }));
  assert.deepEqual(done.events.map((e) => e.type), ['Voted', 'ProposalApproved', 'PolicyChanged']);
  assert.deepEqual(g.get<Policy>('policy'), applyPolicyPatch(DEFAULT_POLICY, patch));
  // Members may no longer propose chains …
  assert.equal((await g.call(c.did, 'propose', { kind: 'create-chain', genesis: draft([newOrg()], { chain: 'other' }) })).code, 'GOV_ROLE_FORBIDDEN');
  // … but the open proposal keeps the rules it was made under: 2 of 3 (simple majority) approves it.
  ok(await g.call(a.did, 'vote', { id: old, choice: 'yes' }));
  ok(await g.call(b.did, 'vote', { id: old, choice: 'yes' }));
  assert.equal(g.get<Proposal>(`proposal/${old}`)!.status, 'approved');
});

test('regulator and gateway registries', async () => {
  const { g, op, a, b } = await setup();
  await pass(g, a, [a, b], { kind: 'create-chain', genesis: draft([newOrg()]) });
  const reg = newOrg();
  const gw = newOrg();
  assert.equal((await g.call(op.did, 'propose', { kind: 'register-regulator', regulator: { did: reg.did, name: 'Regulator', chains: ['nope'] } })).code, 'GOV_CHAIN_NOT_FOUND');
  assert.equal((await g.call(op.did, 'propose', { kind: 'register-regulator', regulator: { did: reg.did, name: 'Regulator', chains: ['*', 'trade'] } })).code, 'GOV_PAYLOAD_INVALID');
  const r = await pass(g, op, [op, a, b], { kind: 'register-regulator', regulator: { did: reg.did, name: 'Regulator', nameZh: '监管方', chains: ['*'] } });
  assert.deepEqual(effects(r), ['ProposalApproved', 'RegulatorRegistered']);
  const w = await pass(g, a, [op, a, b], { kind: 'register-gateway', gateway: { did: gw.did, name: 'Gateway', chains: ['trade'] } });
  assert.deepEqual(effects(w), ['ProposalApproved', 'GatewayRegistered']);
  assert.deepEqual(g.get('regulators'), [reg.did]);
  assert.deepEqual(g.get('gateways'), [gw.did]);
  assert.deepEqual(g.get<{ chains: string[] }>(`gateway/${gw.did}`)!.chains, ['trade']);
});

test('an approved proposal whose effect can no longer apply closes as failed, and changes nothing else', async () => {
  // The governance chain's own validators, registered at bootstrap: a change proposed for height
  // H fails if H has passed by the time the vote settles (the voting period ends after H).
  const op = newOrg();
  const a = newOrg();
  const g = new MemGov(MemGov.config(op.did));
  const policy = { validatorChangeDelay: 2, kinds: { 'change-validators': { voters: ['operator'], votingPeriod: 10 } } };
  const govGenesis = { chain: 'gov', alliance: 'test', name: 'Governance chain', nameZh: '治理链', kind: 'governance', suite: 'ed25519', consensus: { type: 'solo' }, validators: [validatorOf(op)], modules: ['governance'], params: PARAMS, time: T0 };
  ok(await g.call(op.did, 'init', { name: 'Operator', policy, chains: [{ genesis: govGenesis as unknown as JsonValue }] }));
  const id = (ok(await g.call(op.did, 'propose', { kind: 'change-validators', chain: 'gov', validators: [validatorOf(a)] as unknown as JsonValue, effectiveHeight: g.height + 1 + 2 })).result as { id: number }).id;
  for (let i = 0; i < 3; i++) await g.call(op.did, 'nothing', {});
  const r = ok(await g.call(op.did, 'vote', { id, choice: 'yes' }));
  assert.deepEqual(r.events.map((e) => e.type), ['Voted', 'ProposalFailed']);
  const p = g.get<Proposal>(`proposal/${id}`)!;
  assert.equal(p.status, 'failed');
  assert.equal(p.reason, 'execution');
  assert.match(p.detail!, /GOV_EFFECTIVE_HEIGHT_TOO_EARLY/);
  assert.equal(g.get<ChainRecord>('chain/gov')!.validators.length, 1);
  assert.equal(g.get(`lock/${subjectOf(p.payload)}`), undefined);
});

// ---- property: random governance traffic never breaks the invariants --------------------------

test('property: random transactions from members and outsiders never break the invariants', async () => {
  const people = Array.from({ length: 6 }, () => newOrg());
  const nodes = Array.from({ length: 4 }, () => newOrg());
  const seen = new Map<string, number>();
  await fc.assert(fc.asyncProperty(
    fc.array(fc.array(actionArb(people.length), { minLength: 1, maxLength: 4 }), { minLength: 5, maxLength: 40 }),
    async (blocks) => {
      const g = new MemGov(MemGov.config(people[0]!.did));
      const receipts = await alliance(g, people[0]!, people.slice(1, 4), PROPERTY_POLICY);
      // One chain exists from the start, so lifecycle proposals have something to act on.
      receipts.push(ok(await g.call(people[1]!.did, 'propose', callOf({ t: 'propose-chain', by: 1, chain: 0, validators: 1 }, people, nodes, 0, []).args)));
      receipts.push(...await g.block([1, 2, 3].map((i) => ({ from: people[i]!.did, method: 'vote', args: { id: 4, choice: 'yes' } }))));
      for (const b of blocks) {
        const count = g.get<number>('proposal-count') ?? 0;
        const open = (g.get<Array<{ id: number }>>('open') ?? []).map((o) => o.id);
        receipts.push(...await g.block(b.map((a) => callOf(a, people, nodes, count, open))));
        checkInvariants(<T>(k: string) => g.get<T>(k), receipts, g.keys());
      }
      for (const r of receipts) for (const t of r.status === 'ok' ? r.events.map((e) => e.type) : [r.code!]) seen.set(t, (seen.get(t) ?? 0) + 1);
    },
  ), { numRuns: 150 });
  // The traffic reaches the interesting paths, not only rejections.
  for (const t of ['ProposalApproved', 'ProposalRejected', 'MemberRemoved', 'ChainApproved', 'ChainSuspended', 'ChainRetired', 'GOV_ALREADY_VOTED', 'GOV_NOT_MEMBER', 'GOV_PROPOSAL_CLOSED', 'GOV_SUBJECT_BUSY']) {
    assert.ok((seen.get(t) ?? 0) > 0, `the random traffic never produced ${t}: ${JSON.stringify([...seen])}`);
  }
});

test('every kind has a default policy that passes its own checks', () => {
  for (const k of PROPOSAL_KINDS) assert.ok(DEFAULT_POLICY.kinds[k], k);
  assert.deepEqual(applyPolicyPatch(DEFAULT_POLICY, {}), DEFAULT_POLICY);
});

test('one chain keeps the alliance\'s carbon points: a second carbon chain is refused at proposal and at execution, until the first retires', async () => {
  const { g, a, b, c } = await setup({ modules: ['notary', 'carbon', 'coupon'] });
  const carbonChain = (id: string) => ({ kind: 'create-chain', genesis: draft([newOrg()], { chain: id, modules: ['notary', 'carbon', 'coupon'] }) });
  // Two proposals open at once, before any carbon chain exists: both admitted.
  const p1 = ok(await g.call(a.did, 'propose', carbonChain('green-1')));
  const p2 = ok(await g.call(b.did, 'propose', carbonChain('green-2')));
  const vote = async (p: Receipt) => g.block([a, b, c].map((v) => ({ from: v.did, method: 'vote', args: { id: (p.result as { id: number }).id, choice: 'yes' } })));
  const first = await vote(p1);
  assert.ok(first.some((r) => r.events.some((e) => e.type === 'ChainApproved')));
  // The second reaches approval after the first executed: it fails, naming the registry chain.
  const second = (await vote(p2)).find((r) => r.events.some((e) => e.type === 'ProposalFailed'));
  assert.ok(second, 'the second carbon chain fails at execution');
  assert.match(JSON.stringify(second.events), /GOV_CARBON_REGISTRY_EXISTS/);
  assert.equal(g.get<ChainRecord>('chain/green-2'), undefined);
  // A new proposal is refused at once; a chain without carbon is not.
  const refused = await g.call(c.did, 'propose', carbonChain('green-3'));
  assert.equal(refused.code, 'GOV_CARBON_REGISTRY_EXISTS');
  assert.match(refused.message ?? '', /chain "green-1" already keeps the alliance's carbon points/);
  ok(await g.call(c.did, 'propose', { kind: 'create-chain', genesis: draft([newOrg()], { chain: 'plain' }) }));
  // Once the first is retired, another may keep them.
  await pass(g, a, [a, b, c], { kind: 'retire-chain', chain: 'green-1' });
  ok(await g.call(c.did, 'propose', carbonChain('green-4')));
});
