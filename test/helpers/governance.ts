/**
 * Test kit for the governance module: runs it through the real Executor over an in-memory state
 * (no signatures, no store), so the module's rules can be tested fast and exhaustively. The
 * end-to-end tests on a real chain are in test/governance.test.ts.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { canonicalize, toHex, type JsonValue } from '../../src/codec/index.ts';
import { didFromPublicKey, generateKeyPair, sha256, type KeyPair, type Suite } from '../../src/crypto/index.ts';
import type { ChainParams, Receipt, Tx, ValidatorInfo } from '../../src/ledger/index.ts';
import { Executor, NONCE_PREFIX, type ModuleDef } from '../../src/runtime/index.ts';
import {
  createGovernanceModule, subjectOf,
  type ChainRecord, type GovernanceConfig, type Member, type PolicyPatch, type Proposal, type VoteRecord,
} from '../../src/modules/governance/index.ts';

export const T0 = 1_700_000_000_000;

export const PARAMS: ChainParams = {
  maxBlockTxs: 1_000, maxTxBytes: 64 * 1024, maxTxGas: 2_000_000, mempoolMaxTxs: 50_000, mempoolMaxBytes: 64 * 1024 * 1024, maxNonceGap: 1_000,
};

export interface Org {
  key: KeyPair;
  did: string;
}

export function newOrg(suite: Suite = 'ed25519'): Org {
  const key = generateKeyPair(suite);
  return { key, did: didFromPublicKey(key.publicKey) };
}

export function validatorOf(o: Org, power = 1): ValidatorInfo {
  return { did: o.did, publicKey: toHex(o.key.publicKey), power };
}

export interface Call {
  from: string;
  method: string;
  args: JsonValue;
  /** Default "governance". */
  module?: string;
}

/** The governance module on an in-memory "chain" whose blocks the test makes by hand. */
export class MemGov {
  readonly state = new Map<string, string>();
  height = 0;
  time = T0;
  private readonly exec: Executor;
  private readonly nonces = new Map<string, number>();

  /** `extra`: modules that run beside governance on this chain (the supervision module). */
  constructor(config: GovernanceConfig, readonly chain = 'gov', extra: ModuleDef[] = []) {
    this.exec = new Executor([createGovernanceModule(config), ...extra], new Set(['governance', ...extra.map((m) => m.name)]));
  }

  static config(founder: string): GovernanceConfig {
    return { founders: [founder], alliance: 'test' };
  }

  async block(calls: Call[]): Promise<Receipt[]> {
    this.height++;
    this.time += 1_000;
    const txs = calls.map((c, i) => {
      const nonce = this.nonces.get(c.from) ?? 0;
      this.nonces.set(c.from, nonce + 1);
      const tx: Tx = { chain: this.chain, from: c.from, pubkey: '', nonce, module: c.module ?? 'governance', method: c.method, args: c.args, expires: 1e9, sig: '' };
      return { tx, hash: toHex(sha256(Buffer.from(`${this.height}/${i}/${canonicalize(c.args)}`))), bytes: canonicalize(c.args).length + 300 };
    });
    const r = await this.exec.executeBlock({ get: (k) => this.state.get(k) }, { chain: this.chain, height: this.height, time: this.time, maxTxGas: PARAMS.maxTxGas }, txs);
    for (const [k, v] of r.writes) {
      if (v === null) this.state.delete(k);
      else this.state.set(k, v);
    }
    return r.receipts;
  }

  async call(from: string, method: string, args: JsonValue): Promise<Receipt> {
    return (await this.block([{ from, method, args }]))[0]!;
  }

  /** Everything but nonces, canonical: equal snapshots mean no governance state changed. */
  snapshot(): string {
    return canonicalize([...this.state].filter(([k]) => !k.startsWith(NONCE_PREFIX)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  /** Keys inside the governance namespace. */
  keys(): string[] {
    return [...this.state.keys()].filter((k) => k.startsWith('governance/')).map((k) => k.slice('governance/'.length));
  }

  get<T>(key: string): T | undefined {
    const v = this.state.get(`governance/${key}`);
    return v === undefined ? undefined : (JSON.parse(v) as T);
  }

  /** A StateSource over this state (latest only). */
  source(): { getState(key: string): { value: JsonValue | null; height: number } } {
    return { getState: (key) => ({ value: this.state.has(key) ? (JSON.parse(this.state.get(key)!) as JsonValue) : null, height: this.height }) };
  }
}

/** Bootstraps: operator founds, then each org is admitted by vote of all voters so far. */
export async function alliance(g: MemGov, op: Org, members: Org[], policy?: PolicyPatch): Promise<Receipt[]> {
  const init = await g.call(op.did, 'init', { name: 'Operator', ...(policy ? { policy: policy as unknown as JsonValue } : {}) });
  const all = [init];
  if (init.status !== 'ok') throw new Error(`init failed: ${init.code} ${init.message}`);
  const voters = [op];
  for (const m of members) {
    const p = await g.call(op.did, 'propose', { kind: 'admit-member', member: { did: m.did, name: `Org ${m.did.slice(-4)}`, roles: ['member'] } });
    if (p.status !== 'ok') throw new Error(`propose failed: ${p.code} ${p.message}`);
    const id = (p.result as { id: number }).id;
    const rs = await g.block(voters.map((v) => ({ from: v.did, method: 'vote', args: { id, choice: 'yes' } })));
    all.push(p, ...rs);
    const last = rs.find((r) => r.events.some((e) => e.type === 'ProposalApproved'));
    if (!last) throw new Error(`admission of ${m.did} was not approved: ${JSON.stringify(rs.map((r) => r.code ?? r.result))}`);
    voters.push(m);
  }
  return all;
}

// ---- random governance traffic, for property tests -----------------------------------------

/** Short voting periods and everyone voting on everything, so random traffic decides proposals. */
export const PROPERTY_POLICY: PolicyPatch = {
  kinds: Object.fromEntries(['admit-member', 'remove-member', 'create-chain', 'suspend-chain', 'resume-chain', 'retire-chain'].map((k) => [k, { votingPeriod: 8, voters: ['operator', 'member'] }])),
};

export type Action =
  | { t: 'propose-admit'; by: number; who: number }
  | { t: 'propose-remove'; by: number; who: number }
  | { t: 'propose-chain'; by: number; chain: number; validators: number }
  | { t: 'propose-suspend' | 'propose-resume' | 'propose-retire'; by: number; chain: number }
  /** `back` picks among the open proposals (or, with none open, counts back from the newest); 9 names one that does not exist. */
  | { t: 'vote'; by: number; back: number; choice: 'yes' | 'no' | 'abstain' }
  | { t: 'close'; by: number; back: number }
  | { t: 'tick' };

const CHAINS = ['alpha', 'beta', 'gamma'];

/** People 0..3 are the alliance at the start (operator and three members); the rest are outsiders. */
export function actionArb(people: number): fc.Arbitrary<Action> {
  const by = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 3 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: people - 1 }) });
  const back = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 3 }) }, { weight: 1, arbitrary: fc.constant(9) });
  const chain = fc.integer({ min: 0, max: CHAINS.length - 1 });
  const who = fc.integer({ min: 0, max: people - 1 });
  return fc.oneof(
    { weight: 2, arbitrary: fc.record({ t: fc.constant('propose-admit' as const), by, who }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('propose-remove' as const), by, who }) },
    { weight: 2, arbitrary: fc.record({ t: fc.constant('propose-chain' as const), by, chain, validators: fc.constantFrom(0, 1, 1, 2, 4) }) },
    { weight: 3, arbitrary: fc.record({ t: fc.constantFrom('propose-suspend' as const, 'propose-suspend' as const, 'propose-resume' as const, 'propose-retire' as const), by, chain: fc.constantFrom(0, 0, 1, 2) }) },
    { weight: 8, arbitrary: fc.record({ t: fc.constant('vote' as const), by, back, choice: fc.constantFrom('yes' as const, 'yes' as const, 'no' as const, 'abstain' as const) }) },
    { weight: 2, arbitrary: fc.record({ t: fc.constant('close' as const), by, back }) },
    { weight: 1, arbitrary: fc.constant({ t: 'tick' as const }) },
  );
}

/** An action as a call, given the proposals when the block is made (`count` the newest id, `open` those voting). */
export function callOf(a: Action, people: Org[], nodes: Org[], count: number, open: number[]): Call {
  const id = (back: number): number => (back === 9 ? count + 7 : open.length > 0 ? open[back % open.length]! : Math.max(1, count - back));
  switch (a.t) {
    case 'propose-admit': {
      const who = people[a.who]!;
      return { from: people[a.by]!.did, method: 'propose', args: { kind: 'admit-member', member: { did: who.did, name: `Org ${a.who}`, roles: [a.who % 3 === 0 ? 'operator' : 'member'] } } };
    }
    case 'propose-remove':
      return { from: people[a.by]!.did, method: 'propose', args: { kind: 'remove-member', did: people[a.who]!.did } };
    case 'propose-chain':
      return {
        from: people[a.by]!.did, method: 'propose',
        args: {
          kind: 'create-chain',
          genesis: {
            chain: CHAINS[a.chain]!, name: 'Chain', suite: nodes[0]!.key.suite, consensus: { type: a.validators >= 4 ? 'tbft' : 'solo' },
            validators: nodes.slice(0, a.validators).map((n) => validatorOf(n)) as unknown as JsonValue, modules: ['notary'],
          },
        },
      };
    case 'propose-suspend':
    case 'propose-resume':
    case 'propose-retire':
      return { from: people[a.by]!.did, method: 'propose', args: { kind: a.t.replace('propose-', '') + '-chain', chain: CHAINS[a.chain]! } };
    case 'vote':
      return { from: people[a.by]!.did, method: 'vote', args: { id: id(a.back), choice: a.choice } };
    case 'close':
      return { from: people[a.by]!.did, method: 'close', args: { id: id(a.back) } };
    case 'tick':
      return { from: people[0]!.did, method: 'nothing', args: {} };
  }
}

interface Outcome {
  status: 'ok' | 'failed';
  code?: string;
  message?: string;
  events: Array<{ type: string; data: JsonValue }>;
}

/**
 * The invariants, over the whole governance state (`get` takes keys inside the module namespace)
 * and every receipt so far: each member votes at most once per proposal; tallies equal the votes
 * recorded; approved effects are applied exactly once and never for other outcomes; the open list
 * and the subject locks match the proposals still voting; an operator always remains; failures
 * are the module's own clear errors, never a fault.
 */
export function checkInvariants(get: <T>(key: string) => T | undefined, receipts: Outcome[], keys?: string[]): void {
  for (const r of receipts) {
    assert.notEqual(r.code, 'MODULE_FAULT', r.message ?? '');
    if (r.status === 'ok') continue;
    assert.ok(r.code?.startsWith('GOV_') || r.code === 'BAD_ARGS' || r.code === 'METHOD_NOT_FOUND', `unexpected failure ${r.code}: ${r.message}`);
  }
  const events = receipts.flatMap((r) => r.events);
  const count = get<number>('proposal-count') ?? 0;
  const open = get<Array<{ id: number }>>('open') ?? [];
  const members = get<string[]>('members') ?? [];
  assert.deepEqual([...members].sort(), members, 'member index sorted');
  for (const d of members) assert.ok(get<Member>(`member/${d}`), `indexed member ${d} exists`);
  const idOf = (data: JsonValue): number | undefined => (data as { id?: number; proposal?: number }).id ?? (data as { proposal?: number }).proposal;
  for (let id = 1; id <= count; id++) {
    const p = get<Proposal>(`proposal/${id}`)!;
    assert.ok(p, `proposal ${id} exists`);
    const votes = p.electorate.map((d) => get<VoteRecord>(`vote/${id}/${d}`)).filter((v): v is VoteRecord => v !== undefined);
    const voters = events.filter((e) => e.type === 'Voted' && idOf(e.data) === id).map((e) => (e.data as { voter: string }).voter);
    assert.equal(new Set(voters).size, voters.length, `someone voted twice on ${id}`);
    assert.equal(voters.length, votes.length, `votes recorded for ${id}`);
    for (const c of ['yes', 'no', 'abstain'] as const) assert.equal(p.tally[c], votes.filter((v) => v.choice === c).length, `tally ${c} of ${id}`);
    assert.ok(p.tally.yes + p.tally.no + p.tally.abstain <= p.electorate.length);
    assert.equal(open.some((o) => o.id === id), p.status === 'voting', `open list vs status of ${id}`);
    if (p.status === 'voting') assert.equal(get<number>(`lock/${subjectOf(p.payload)}`), id, `lock of ${id}`);
    const approvals = events.filter((e) => e.type === 'ProposalApproved' && idOf(e.data) === id).length;
    const applied = events.filter((e) => !['ProposalApproved', 'ProposalCreated', 'ProposalRejected', 'ProposalFailed', 'Voted'].includes(e.type) && idOf(e.data) === id).length;
    assert.equal(approvals, p.status === 'approved' ? 1 : 0, `approval events of ${id}`);
    assert.equal(applied, p.status === 'approved' ? 1 : 0, `effect events of ${id}`);
    if (p.status === 'approved' && p.payload.kind === 'create-chain') assert.equal(get<ChainRecord>(`chain/${p.payload.genesis.chain}`)!.proposal, id);
  }
  for (const o of open) assert.equal(get<Proposal>(`proposal/${o.id}`)!.status, 'voting');
  // Where the state can be listed: no lock outlives its proposal, no vote exists outside an electorate.
  for (const k of keys ?? []) {
    if (k.startsWith('lock/')) assert.equal(get<Proposal>(`proposal/${get<number>(k)!}`)!.status, 'voting', `stale ${k}`);
    if (k.startsWith('vote/')) {
      const [, id, did] = k.split('/');
      assert.ok(get<Proposal>(`proposal/${id}`)!.electorate.includes(did!), `vote ${k} outside the electorate`);
    }
  }
  assert.ok(members.some((d) => get<Member>(`member/${d}`)!.roles.includes('operator')), 'an operator remains');
}
