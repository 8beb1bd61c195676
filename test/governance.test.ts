/**
 * Governance (以链治链) on real chains (real LMDB stores, signed transactions, blocks):
 * bootstrap, admission by vote, a business chain proposed, approved by 2 of 3 member
 * organisations and started by itself on the node named in its genesis; every rejection with its
 * code and no state change; expiry; the chain lifecycle; policy changes; a property test; and the
 * SDK over the node's HTTP API (the CLI, through the binary against a real node, is
 * test/cli-governance.test.ts).
 *
 * "No state change" is checked by running every block on two chains in lock step: chain A gets
 * the rejected transaction, its twin B a call that fails without touching state (it only uses the
 * sender's nonce, as a failed tx on A does). Their state roots after the block must be equal, and
 * every other block must give identical receipts and roots on both.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import fc from 'fast-check';
import { toHex, type JsonValue } from '../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair, type KeyPair, type Suite } from '../src/crypto/index.ts';
import { Chain, type ChainView, type NodeView } from '../src/chain/index.ts';
import { SoloConsensus } from '../src/consensus/index.ts';
import { hashJson, signTx, type Block, type Genesis, type Receipt, type TxInclusion } from '../src/ledger/index.ts';
import { builtinModules } from '../src/modules/index.ts';
import {
  createGovernanceModule, DEFAULT_POLICY, applyPolicyPatch,
  type ChainRecord, type GovernanceConfig, type PolicyPatch,
} from '../src/modules/governance/index.ts';
import {
  ChainLifecycleWatcher, assignedChains, checkAdmission, listProposals, readChain, readChainRegistry, readMembers, readPolicy,
  readProposal, readVotes, type LifecycleEvent,
} from '../src/governance/index.ts';
import { DEFAULT_PARAMS, EMBEDDED_CHAINS } from '../src/node/index.ts';
import { buildApi } from '../src/api/index.ts';
import { ShulianClient } from '../src/sdk/client.ts';
import {
  govChains, govInit, govMembers, govPolicy, govProposal, govProposals, govPropose, govVote, govVotes,
} from '../src/sdk/governance.ts';
import { actionArb, callOf, checkInvariants, PROPERTY_POLICY } from './helpers/governance.ts';
import { openTestChain, type TestChain } from './helpers/chain.ts';
import { tempDir } from './helpers/tmp.ts';

const T0 = 1_700_000_000_000;

const GOV_GENESIS: Partial<Genesis> = { chain: 'gov', name: 'Governance chain', nameZh: '治理链', kind: 'governance', modules: ['governance'] };

interface Org {
  key: KeyPair;
  did: string;
  name: string;
}

function org(name: string, suite: Suite = 'sm2'): Org {
  const key = generateKeyPair(suite);
  return { key, did: didFromPublicKey(key.publicKey), name };
}

const validator = (o: Org) => ({ did: o.did, publicKey: toHex(o.key.publicKey), power: 1 });

function configFor(founder: Org): GovernanceConfig {
  return { founders: [founder.did], alliance: 'test' };
}

/**
 * The initial policy as a node's bootstrap passes it: this build's modules and default chain
 * parameters, plus the test's changes.
 */
function initPolicy(extra: PolicyPatch = {}): PolicyPatch {
  return { modules: builtinModules.map((m) => m.name).filter((m) => m !== 'governance'), chainParams: DEFAULT_PARAMS, ...extra };
}

type CallSpec = [Org, string, JsonValue];

/** A governance chain on a real store, optionally with a twin run in lock step (see the file comment). */
class Gov {
  private readonly nonces = new Map<string, number>();
  time = T0;
  private constructor(readonly a: TestChain, readonly b: TestChain | undefined) {}

  static async open(dir: string, config: GovernanceConfig, opts: { suite?: Suite; twin?: boolean } = {}): Promise<Gov> {
    const suite = opts.suite ?? 'sm2';
    const a = await openTestChain(join(dir, 'a'), suite, GOV_GENESIS, [createGovernanceModule(config)]);
    const b = opts.twin ? await openTestChain(join(dir, 'b'), suite, GOV_GENESIS, [createGovernanceModule(config)]) : undefined;
    return new Gov(a, b);
  }

  get chain(): Chain {
    return this.a.chain;
  }

  private sign(o: Org, method: string, args: JsonValue): ReturnType<typeof signTx> & { nonce: number } {
    const nonce = this.nonces.get(o.did) ?? 0;
    this.nonces.set(o.did, nonce + 1);
    return { ...signTx(o.key, { chain: 'gov', module: 'governance', method, args, nonce, expires: 1_000_000 }), nonce };
  }

  /** Makes a block of these txs; its receipts come back in the order of `txs` (a block orders txs by sender). */
  private async produce(chain: Chain, txs: Array<ReturnType<typeof signTx>>): Promise<{ block: Block; receipts: Receipt[] }> {
    const res = await chain.submit(txs.map((t) => t.tx));
    res.forEach((r, i) => assert.equal(r.accepted, true, `tx ${i} not admitted: ${JSON.stringify(r)}`));
    const block = await chain.produceBlock(this.time);
    assert.ok(block, 'a block was produced');
    assert.equal(block.receipts.length, txs.length, 'every tx is in the block');
    const byHash = new Map(block.receipts.map((r) => [r.tx, r]));
    return { block, receipts: txs.map((t) => byHash.get(t.hash)!) };
  }

  /** One block with these calls on A (and its twin); the twin must agree on every receipt and the state root. */
  async block(calls: CallSpec[]): Promise<Receipt[]> {
    this.time += 1_000;
    const txs = calls.map(([o, m, args]) => this.sign(o, m, args));
    const blockA = await this.produce(this.a.chain, txs);
    if (this.b) {
      const blockB = await this.produce(this.b.chain, txs);
      assert.deepEqual(blockB.block.receipts, blockA.block.receipts, 'both chains execute the block the same way');
      assert.equal(blockB.block.header.stateRoot, blockA.block.header.stateRoot, 'both chains reach the same state root');
    }
    return blockA.receipts;
  }

  async call(o: Org, method: string, args: JsonValue): Promise<Receipt> {
    return (await this.block([[o, method, args]]))[0]!;
  }

  async ok(o: Org, method: string, args: JsonValue): Promise<Receipt> {
    const r = await this.call(o, method, args);
    assert.equal(r.status, 'ok', `${method}: ${r.code} ${r.message}`);
    return r;
  }

  /**
   * Each call must fail with its code (and message), and change nothing: A runs the calls, the
   * twin B runs calls from the same senders that fail before touching state; the roots must match.
   */
  async rejected(cases: Array<[Org, string, JsonValue, string, RegExp?]>): Promise<void> {
    assert.ok(this.b, 'rejected() needs the twin chain');
    this.time += 1_000;
    const before = this.a.chain.info().stateRoot;
    assert.equal(this.b.chain.info().stateRoot, before);
    const bad: Array<ReturnType<typeof signTx>> = [];
    const noop: Array<ReturnType<typeof signTx>> = [];
    for (const [o, m, args] of cases) {
      const s = this.sign(o, m, args);
      bad.push(s);
      noop.push(signTx(o.key, { chain: 'gov', module: 'governance', method: 'noSuchMethod', args: {}, nonce: s.nonce, expires: 1_000_000 }));
    }
    const { block: blockA, receipts } = await this.produce(this.a.chain, bad);
    const { block: blockB } = await this.produce(this.b.chain, noop);
    receipts.forEach((r, i) => {
      const [, m, , code, msg] = cases[i]!;
      assert.equal(r.status, 'failed', `case ${i} (${m}) should be rejected`);
      assert.equal(r.code, code, `case ${i} (${m}): ${r.message}`);
      if (msg) assert.match(r.message!, msg, `case ${i}`);
      assert.deepEqual(r.events, []);
    });
    assert.ok(blockB.receipts.every((r) => r.code === 'METHOD_NOT_FOUND'));
    assert.notEqual(blockA.header.stateRoot, before, 'nonces moved');
    assert.equal(blockA.header.stateRoot, blockB.header.stateRoot, 'the rejected calls changed nothing but their senders\' nonces');
  }

  /** Blocks pass (each with one call that fails without effect). */
  async skip(n: number, by: Org): Promise<void> {
    for (let i = 0; i < n; i++) await this.call(by, 'noSuchMethod', {});
  }

  async close(): Promise<void> {
    await this.a.close();
    await this.b?.close();
  }
}

/** The governance chain's genesis and public service chains like the embedded alliance's, to register at init. */
function embeddedSeeds(g: Gov): Genesis[] {
  const others = EMBEDDED_CHAINS.filter((p) => p.chain !== 'gov').map((p): Genesis => ({ ...g.a.genesis, chain: p.chain, name: p.name, nameZh: p.nameZh, kind: p.kind, modules: p.modules }));
  return [g.a.genesis, ...others];
}

/** Founds the alliance and admits `members` one by one, each voted by everyone admitted so far. */
async function found(g: Gov, op: Org, members: Org[], opts: { seeds?: Genesis[]; policy?: PolicyPatch } = {}): Promise<void> {
  const chains = (opts.seeds ?? []).map((genesis) => ({ genesis })) as unknown as JsonValue;
  await g.ok(op, 'init', { name: op.name, policy: initPolicy(opts.policy) as unknown as JsonValue, chains });
  const voters = [op];
  for (const m of members) {
    const p = await g.ok(op, 'propose', { kind: 'admit-member', title: `Admit ${m.name}`, member: { did: m.did, name: m.name, roles: ['member'] } });
    const id = (p.result as { id: number }).id;
    const rs = await g.block(voters.map((v): CallSpec => [v, 'vote', { id, choice: 'yes' }]));
    assert.ok(rs.some((r) => r.events.some((e) => e.type === 'MemberAdmitted')), `${m.name} admitted`);
    voters.push(m);
  }
}

function tradeGenesis(validators: Org[], over: Record<string, JsonValue> = {}): Record<string, JsonValue> {
  return {
    chain: 'trade', name: 'Trade chain', nameZh: '航贸链', suite: 'sm2', consensus: { type: validators.length >= 4 ? 'tbft' : 'solo' },
    validators: validators.map(validator) as unknown as JsonValue, modules: ['notary'], ...over,
  };
}

test('a new business chain is proposed, approved by 2 of 3 member organisations, and starts by itself on the named node', async () => {
  const tmp = tempDir();
  const op = org('Shulian Operator');
  const [a, b, c] = [org('Port Authority'), org('Shipping Bank'), org('Customs Broker')];
  const nodeX = org('node X');
  const nodeY = org('node Y');
  const g = await Gov.open(tmp.dir, configFor(op));
  const started: Chain[] = [];
  const watchers: ChainLifecycleWatcher[] = [];
  try {
    // Bootstrap, registering the governance chain itself; then three organisations admitted by vote.
    await found(g, op, [a, b, c], { seeds: embeddedSeeds(g) });
    const members = await readMembers(g.chain);
    assert.deepEqual(members.map((m) => m.name).sort(), ['Customs Broker', 'Port Authority', 'Shipping Bank', 'Shulian Operator']);
    assert.deepEqual(members.find((m) => m.did === op.did)!.roles, ['operator']);
    assert.equal((await readChain(g.chain, 'gov'))!.genesisHash, g.chain.genesisHash, 'the registry hash of a chain is its Chain.genesisHash');

    // Each node watches the governance chain; node X starts what it is named in, by itself.
    const seen: Record<string, LifecycleEvent[]> = { X: [], Y: [] };
    let startedX!: (c: Chain) => void;
    const xRunning = new Promise<Chain>((resolve) => (startedX = resolve));
    for (const [name, node] of [['X', nodeX], ['Y', nodeY]] as const) {
      const w = new ChainLifecycleWatcher({ blocks: g.chain, did: node.did, chain: 'gov' });
      watchers.push(w);
      w.on((e) => seen[name]!.push(e));
      w.on((e) => {
        if (e.type !== 'start') return;
        void (async () => {
          const chain = await Chain.open({ genesis: e.genesis, dir: join(tmp.dir, `node-${name}`, e.chain), modules: builtinModules, admission: g.a.pool, validatorKey: node.key });
          assert.equal(chain.genesisHash, e.genesisHash, 'the started chain is exactly the approved genesis');
          started.push(chain);
          startedX(chain);
        })();
      });
    }

    const p = await g.ok(a, 'propose', {
      kind: 'create-chain', title: 'Trade chain (航贸数链)', genesis: tradeGenesis([nodeX]),
      admission: { type: 'credential', credentialType: 'AllianceMember', issuer: op.did },
    });
    const { id, electorate } = p.result as { id: number; electorate: number };
    assert.equal(electorate, 3);
    const first = await g.ok(a, 'vote', { id, choice: 'yes' });
    assert.equal((first.result as { status: string }).status, 'voting');
    assert.equal(seen.X!.length, 0, 'nothing to start before the outcome is settled');
    const second = await g.ok(b, 'vote', { id, choice: 'yes' });
    assert.deepEqual(second.events.map((e) => e.type), ['Voted', 'ProposalApproved', 'ChainApproved']);
    const approved = second.events[2]!.data as unknown as { genesis: Genesis; genesisHash: string };
    assert.equal(approved.genesisHash, hashJson('sm2', approved.genesis), 'SM3 of the RFC 8785 canonical genesis');
    assert.equal(approved.genesis.kind, 'business');
    assert.equal(approved.genesis.alliance, 'test');

    // The registry shows it; the watcher told node X (and only X) to start it.
    const rec = (await readChainRegistry(g.chain)).find((r) => r.id === 'trade')!;
    assert.equal(rec.status, 'approved');
    assert.equal(rec.owner, a.did);
    assert.equal(rec.genesisHash, approved.genesisHash);
    assert.deepEqual(seen.Y, []);
    assert.equal(seen.X.length, 1);
    assert.deepEqual({ ...seen.X[0]!, genesis: undefined }, { type: 'start', chain: 'trade', genesis: undefined, genesisHash: approved.genesisHash, reason: 'approved', proposal: id, govHeight: g.chain.height() });
    assert.deepEqual((await assignedChains(g.chain, nodeX.did)).map((x) => x.chain), ['trade']);
    assert.deepEqual(await assignedChains(g.chain, nodeY.did), []);

    // Node X runs the chain: it makes blocks, and reports to governance that it started.
    const trade = await xRunning;
    assert.equal(trade.id, 'trade');
    const doc = signTx(c.key, { chain: 'trade', module: 'notary', method: 'put', args: { hash: 'ab'.repeat(32) }, nonce: 0, expires: 100 });
    assert.equal((await trade.submit([doc.tx]))[0]!.accepted, true);
    const tb = (await trade.produceBlock(T0 + 99_000))!;
    assert.equal(tb.receipts[0]!.status, 'ok');
    assert.equal(tb.header.proposer, nodeX.did);
    await g.ok(nodeX, 'activate', { chain: 'trade' });
    assert.equal((await readChain(g.chain, 'trade'))!.status, 'active');

    // The third member's late vote is refused: the proposal is closed.
    assert.equal((await g.call(c, 'vote', { id, choice: 'no' })).code, 'GOV_PROPOSAL_CLOSED');
    const view = (await readProposal(g.chain, id))!;
    assert.equal(view.status, 'approved');
    assert.deepEqual((await readVotes(g.chain, id)).map((v) => v.voter).sort(), [a.did, b.did].sort());

    // The admission policy, checked for senders of the new chain.
    const facts = { isMember: (d: string) => members.some((m) => m.did === d), hasCredential: (d: string, type: string, issuer: string) => d === c.did && type === 'AllianceMember' && issuer === op.did };
    assert.deepEqual(await checkAdmission(rec.admission, c.did, facts), { ok: true });
    const no = await checkAdmission(rec.admission, nodeY.did, facts);
    assert.equal(no.ok, false);
  } finally {
    for (const w of watchers) w.close();
    for (const ch of started) await ch.close();
    await g.close();
    tmp.cleanup();
  }
});

test('non-member votes, double votes, forbidden proposers, malformed genesis and too-early validator changes are rejected and change nothing', async () => {
  const tmp = tempDir();
  const op = org('Operator');
  const [a, b, c] = [org('A'), org('B'), org('C')];
  const outsider = org('Outsider');
  const nodes = [org('n1'), org('n2'), org('n3'), org('n4'), org('n5')];
  const g = await Gov.open(tmp.dir, configFor(op), { twin: true });
  try {
    await found(g, op, [a, b, c], { seeds: embeddedSeeds(g) });
    const id = ((await g.ok(a, 'propose', { kind: 'create-chain', genesis: tradeGenesis(nodes.slice(0, 4)) })).result as { id: number }).id;
    await g.ok(a, 'vote', { id, choice: 'yes' });
    const ed = org('ed', 'ed25519');
    const propose = (vs: Org[], over: Record<string, JsonValue> = {}): Record<string, JsonValue> => ({ kind: 'create-chain', genesis: tradeGenesis(vs, { chain: 'other', ...over }) });
    await g.rejected([
      [outsider, 'vote', { id, choice: 'yes' }, 'GOV_NOT_MEMBER', /not a member of the alliance/],
      [a, 'vote', { id, choice: 'no' }, 'GOV_ALREADY_VOTED', /already voted yes/],
      [op, 'vote', { id, choice: 'yes' }, 'GOV_NOT_ELIGIBLE', /holding member/],
      [outsider, 'propose', { kind: 'admit-member', member: { did: outsider.did, name: 'Me', roles: ['operator'] } }, 'GOV_NOT_MEMBER'],
      [b, 'propose', { kind: 'register-regulator', regulator: { did: outsider.did, name: 'R', chains: ['*'] } }, 'GOV_ROLE_FORBIDDEN', /only operator propose register-regulator/],
      // Malformed genesis, field by field.
      [b, 'propose', propose([nodes[0]!], { chain: 'Bad Id' }), 'GOV_GENESIS_INVALID', /genesis\.chain/],
      [b, 'propose', { kind: 'create-chain', genesis: tradeGenesis([nodes[0]!], { chain: 'identity' }) }, 'GOV_CHAIN_EXISTS', /"identity" is taken/],
      [b, 'propose', { kind: 'create-chain', genesis: tradeGenesis([nodes[0]!]) }, 'GOV_SUBJECT_BUSY', /proposal #\d+ about chain:trade/],
      [b, 'propose', propose([nodes[0]!], { name: '' }), 'GOV_GENESIS_INVALID', /genesis\.name/],
      [b, 'propose', propose([nodes[0]!], { suite: 'rsa' }), 'GOV_GENESIS_INVALID', /genesis\.suite/],
      [b, 'propose', propose([nodes[0]!], { consensus: { type: 'raft' } }), 'GOV_GENESIS_INVALID', /genesis\.consensus/],
      [b, 'propose', propose([]), 'GOV_VALIDATORS_EMPTY'],
      [b, 'propose', propose(nodes.slice(0, 3), { consensus: { type: 'tbft' } }), 'GOV_TBFT_TOO_FEW_VALIDATORS'],
      [b, 'propose', propose([ed]), 'GOV_VALIDATOR_KEY_SUITE'],
      [b, 'propose', propose([nodes[0]!], { validators: [{ ...validator(nodes[0]!), did: nodes[1]!.did }] }), 'GOV_VALIDATOR_KEY_MISMATCH'],
      [b, 'propose', propose([nodes[0]!], { modules: ['evm'] }), 'GOV_MODULE_UNKNOWN'],
      [b, 'propose', propose([nodes[0]!], { params: { maxBlockTxs: 0 } }), 'GOV_GENESIS_INVALID', /genesis\.params\.maxBlockTxs/],
      [b, 'propose', propose([nodes[0]!], { alliance: 'elsewhere' }), 'GOV_ALLIANCE_MISMATCH'],
      [b, 'propose', { ...propose([nodes[0]!]), admission: { type: 'allowlist', dids: ['x'] } }, 'GOV_ADMISSION_INVALID'],
    ]);
    // Approve the chain, then a validator change that comes too early.
    await g.ok(b, 'vote', { id, choice: 'yes' });
    const next = nodes.slice(1, 5).map(validator) as unknown as JsonValue;
    await g.rejected([
      [a, 'propose', { kind: 'change-validators', chain: 'trade', validators: next, effectiveHeight: DEFAULT_POLICY.validatorChangeDelay - 1 }, 'GOV_EFFECTIVE_HEIGHT_TOO_EARLY', /use 10 or later/],
      [a, 'propose', { kind: 'change-validators', chain: 'trade', validators: next, effectiveHeight: 0 }, 'GOV_PAYLOAD_INVALID', /effectiveHeight/],
      [outsider, 'propose', { kind: 'change-validators', chain: 'trade', validators: next, effectiveHeight: 100 }, 'GOV_NOT_MEMBER'],
      [a, 'propose', { kind: 'change-validators', chain: 'trade', validators: nodes.slice(0, 4).map(validator) as unknown as JsonValue, effectiveHeight: 100 }, 'GOV_VALIDATORS_UNCHANGED'],
    ]);
    // The well-formed change goes through.
    const cv = await g.ok(a, 'propose', { kind: 'change-validators', chain: 'trade', validators: next, effectiveHeight: 10 });
    assert.equal((cv.result as { id: number }).id, id + 1);
  } finally {
    await g.close();
    tmp.cleanup();
  }
});

test('a proposal that misses quorum expires as rejected', async () => {
  const tmp = tempDir();
  const op = org('Operator');
  const [a, b, c] = [org('A'), org('B'), org('C')];
  const g = await Gov.open(tmp.dir, configFor(op), { twin: true });
  try {
    await found(g, op, [a, b, c], { policy: { kinds: { 'create-chain': { votingPeriod: 3 } } } });
    const id = ((await g.ok(a, 'propose', { kind: 'create-chain', genesis: tradeGenesis([org('n')]) })).result as { id: number }).id;
    await g.ok(a, 'vote', { id, choice: 'yes' });
    await g.rejected([[b, 'close', { id }, 'GOV_VOTING_OPEN', /runs until height/]]);
    await g.skip(1, c);
    assert.equal((await readProposal(g.chain, id))!.votingOpen, false, 'the next block is past the voting period');
    assert.equal((await readProposal(g.chain, id))!.closable, true);
    await g.rejected([[b, 'vote', { id, choice: 'yes' }, 'GOV_VOTING_ENDED', /close it with governance\.close/]]);
    const closed = await g.ok(c, 'close', { id });
    assert.deepEqual(closed.events.map((e) => e.type), ['ProposalRejected']);
    const p = (await readProposal(g.chain, id))!;
    assert.equal(p.status, 'rejected');
    assert.equal(p.reason, 'quorum');
    assert.match(p.detail!, /quorum not reached/);
    assert.equal(await readChain(g.chain, 'trade'), null);
    assert.deepEqual((await listProposals(g.chain, { status: 'rejected' })).map((x) => x.id), [id]);
  } finally {
    await g.close();
    tmp.cleanup();
  }
});

test('suspend, resume and retire by vote; the watcher tells the validators to stop and start', async () => {
  const tmp = tempDir();
  const op = org('Operator');
  const [a, b, c] = [org('A'), org('B'), org('C')];
  const node = org('node');
  const g = await Gov.open(tmp.dir, configFor(op));
  const events: LifecycleEvent[] = [];
  const w = new ChainLifecycleWatcher({ blocks: g.chain, did: node.did });
  w.on((e) => events.push(e));
  const pass = async (proposer: Org, args: JsonValue, voters: Org[] = [a, b]): Promise<Receipt> => {
    const id = ((await g.ok(proposer, 'propose', args)).result as { id: number }).id;
    const rs = await g.block(voters.map((v): CallSpec => [v, 'vote', { id, choice: 'yes' }]));
    return rs.find((r) => r.events.some((e) => e.type === 'ProposalApproved'))!;
  };
  try {
    await found(g, op, [a, b, c]);
    await pass(a, { kind: 'create-chain', genesis: tradeGenesis([node]) });
    await g.ok(node, 'activate', { chain: 'trade' });
    await pass(c, { kind: 'suspend-chain', chain: 'trade', title: 'Audit finding' });
    assert.equal((await readChain(g.chain, 'trade'))!.status, 'suspended');
    await pass(a, { kind: 'resume-chain', chain: 'trade' });
    assert.equal((await readChain(g.chain, 'trade'))!.status, 'active', 'it had been activated, so it is active again');
    await pass(b, { kind: 'retire-chain', chain: 'trade' }, [a, b, c]);
    const rec = (await readChain(g.chain, 'trade'))!;
    assert.equal(rec.status, 'retired');
    assert.deepEqual(rec.history.map((h) => h.status), ['approved', 'active', 'suspended', 'active', 'retired']);
    assert.deepEqual(events.map((e) => `${e.type}:${'reason' in e ? e.reason : ''}`), ['start:approved', 'stop:suspended', 'start:resumed', 'stop:retired']);
    assert.deepEqual(await assignedChains(g.chain, node.did), [], 'a retired chain is no one\'s to run');
    await g.ok(a, 'propose', { kind: 'create-chain', genesis: tradeGenesis([node], { chain: 'trade-2' }) });
  } finally {
    w.close();
    await g.close();
    tmp.cleanup();
  }
});

test('the policy changes only by proposal, with two thirds of the votes', async () => {
  const tmp = tempDir();
  const op = org('Operator');
  const [a, b, c] = [org('A'), org('B'), org('C')];
  const g = await Gov.open(tmp.dir, configFor(op), { twin: true });
  try {
    await found(g, op, [a, b, c]);
    const initial = applyPolicyPatch(DEFAULT_POLICY, initPolicy());
    assert.deepEqual(await readPolicy(g.chain), initial);
    const patch = { kinds: { 'create-chain': { proposers: ['operator'], quorumBps: 7_500 } }, validatorChangeDelay: 100 };
    await g.rejected([[a, 'propose', { kind: 'set-policy', policy: { kinds: { 'set-policy': { quorumBps: 4_000 } } } }, 'GOV_POLICY_FLOOR']]);
    const id = ((await g.ok(a, 'propose', { kind: 'set-policy', title: 'Only the operator proposes chains', policy: patch as unknown as JsonValue })).result as { id: number }).id;
    await g.ok(a, 'vote', { id, choice: 'yes' });
    await g.ok(b, 'vote', { id, choice: 'yes' });
    await g.ok(c, 'vote', { id, choice: 'no' });
    assert.deepEqual(await readPolicy(g.chain), initial, '2 of 4 so far: not yet');
    const last = await g.ok(op, 'vote', { id, choice: 'yes' });
    assert.deepEqual(last.events.map((e) => e.type), ['Voted', 'ProposalApproved', 'PolicyChanged']);
    assert.deepEqual(await readPolicy(g.chain), applyPolicyPatch(initial, patch));
    await g.rejected([[a, 'propose', { kind: 'create-chain', genesis: tradeGenesis([org('n')]) }, 'GOV_ROLE_FORBIDDEN', /only operator propose create-chain/]]);
  } finally {
    await g.close();
    tmp.cleanup();
  }
});

test('property: random governance transactions on a real chain keep the invariants', async () => {
  const people = Array.from({ length: 6 }, (_, i) => org(`p${i}`, 'ed25519'));
  const nodes = Array.from({ length: 4 }, (_, i) => org(`n${i}`, 'ed25519'));
  await fc.assert(fc.asyncProperty(
    fc.array(fc.array(actionArb(people.length), { minLength: 1, maxLength: 4 }), { minLength: 3, maxLength: 15 }),
    async (blocks) => {
      const tmp = tempDir();
      const g = await Gov.open(tmp.dir, configFor(people[0]!), { suite: 'ed25519' });
      try {
        const receipts: Receipt[] = [];
        const get = <T>(k: string): T | undefined => (g.chain.getState(`governance/${k}`).value ?? undefined) as T | undefined;
        receipts.push(await g.ok(people[0]!, 'init', { name: 'Operator', policy: initPolicy(PROPERTY_POLICY) as unknown as JsonValue }));
        for (const [i, m] of people.slice(1, 4).entries()) {
          const id = ((await g.ok(people[0]!, 'propose', { kind: 'admit-member', member: { did: m.did, name: m.name, roles: ['member'] } })).result as { id: number }).id;
          receipts.push(...await g.block(people.slice(0, i + 1).map((v): CallSpec => [v, 'vote', { id, choice: 'yes' }])));
        }
        for (const b of blocks) {
          const count = get<number>('proposal-count') ?? 0;
          const open = (get<Array<{ id: number }>>('open') ?? []).map((o) => o.id);
          receipts.push(...await g.block(b.map((a): CallSpec => {
            const c = callOf(a, people, nodes, count, open);
            return [people.find((p) => p.did === c.from)!, c.method, c.args];
          })));
        }
        checkInvariants(get, receipts);
      } finally {
        await g.close();
        tmp.cleanup();
      }
    },
  ), { numRuns: 12 });
});

test('the default policy\'s chain parameters are the node\'s defaults', () => {
  assert.deepEqual(DEFAULT_POLICY.chainParams, DEFAULT_PARAMS);
});

test('SDK over the HTTP API: bootstrap, admit, propose a chain, vote, read with proofs', async () => {
  const tmp = tempDir();
  const op = org('Operator');
  const [a, b, c] = [org('A'), org('B'), org('C')];
  const node = org('node');
  const g = await Gov.open(tmp.dir, configFor(op));
  const solo = new SoloConsensus(g.chain, { idleMs: 50 });
  const chains = new Map<string, ChainView>([['gov', g.chain]]);
  // A node that hosts just this governance chain (the API's view of a node).
  const view = {
    did: node.did, version: 'test', startedAt: Date.now(),
    consensus: () => undefined,
    chains: () => [...chains.values()],
    chain: (id) => chains.get(id),
    findTx: (hash) => {
      for (const ch of chains.values()) {
        const inclusion: TxInclusion | undefined = ch.getTx(hash);
        if (inclusion) return { chain: ch, inclusion, pending: false };
        if (ch.isPending(hash)) return { chain: ch, pending: true };
      }
      return undefined;
    },
  } as NodeView;
  const api = await buildApi(view);
  await api.listen({ port: 0, host: '127.0.0.1' });
  const addr = api.server.address();
  const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  solo.start();
  try {
    const client = new ShulianClient({ baseUrl: url });
    await govInit(client, op.key, { name: 'Operator', nameZh: '运营方', policy: initPolicy() });
    for (const [i, m] of [a, b].entries()) {
      const r = await govPropose(client, op.key, { kind: 'admit-member', member: { did: m.did, name: m.name, roles: ['member'] } });
      for (const v of [op, a].slice(0, i + 1)) await govVote(client, v.key, r.id, 'yes');
    }
    assert.deepEqual((await govMembers(client, { verified: true })).map((m) => m.name).sort(), ['A', 'B', 'Operator']);
    await assert.rejects(govVote(client, c.key, 1, 'yes'), { code: 'GOV_NOT_MEMBER' });

    // (The same flow through the `shulian` binary against a real node is test/cli-governance.test.ts.)
    const cProp = await govPropose(client, op.key, { kind: 'admit-member', member: { did: c.did, name: 'C', roles: ['member'] } });
    for (const v of [op, a]) await govVote(client, v.key, cProp.id, 'yes');
    assert.deepEqual((await govMembers(client, { verified: true })).map((m) => [m.name, m.roles]).sort(), [['A', ['member']], ['B', ['member']], ['C', ['member']], ['Operator', ['operator']]]);

    const { id: chainId } = await govPropose(client, a.key, { kind: 'create-chain', title: 'Trade chain', genesis: tradeGenesis([node]), admission: { type: 'members' } } as never);
    assert.equal((await govVote(client, a.key, chainId, 'yes')).status, 'voting');
    await assert.rejects(govVote(client, a.key, chainId, 'yes'), { code: 'GOV_ALREADY_VOTED', message: /already voted yes/ });
    assert.equal((await govVote(client, b.key, chainId, 'yes')).status, 'approved');

    const registry = await govChains(client, { verified: true });
    assert.deepEqual(registry.map((r: ChainRecord) => [r.id, r.status]), [['trade', 'approved']]);
    assert.equal((await govProposal(client, chainId))!.status, 'approved');
    assert.equal((await govVotes(client, chainId)).length, 2);
    assert.deepEqual((await govProposals(client, { kind: 'create-chain' })).map((p) => p.id), [chainId]);
    assert.deepEqual(await govPolicy(client), applyPolicyPatch(DEFAULT_POLICY, initPolicy()));
  } finally {
    await solo.stop();
    await api.close();
    await g.close();
    tmp.cleanup();
  }
});
