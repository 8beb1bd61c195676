/**
 * Typed readers of a governance chain's state. They take a StateSource — a ChainView in the node,
 * or an HTTP client (see src/sdk/governance.ts) — and read the keys the governance module writes.
 * Readers that need several keys read them all at one height, so the answer is a consistent
 * snapshot even while blocks are being committed.
 */
import { ShulianError, type JsonValue, isJsonObject } from '../codec/index.ts';
import { govStateKey } from '../modules/governance/keys.ts';
import {
  PROPOSAL_KINDS, type ChainRecord, type Gateway, type GovernanceMeta, type Member, type Policy, type Proposal,
  type ProposalKind, type ProposalStatus, type Regulator, type VoteRecord,
} from '../modules/governance/types.ts';

/** The answer to one state read: the value (null when absent) and the height it was read at. */
export interface StateRead {
  value: JsonValue | null;
  height: number;
}

/** Anything that can read a chain's state by key, now or at a past height. */
export interface StateSource {
  getState(key: string, opts?: { height?: number }): StateRead | Promise<StateRead>;
}

export interface ReadOptions {
  /** Read at this height of the governance chain; latest when omitted. */
  height?: number;
}

/** A proposal as read at some height, with what that height means for it. */
export interface ProposalView extends Proposal {
  /** Height the proposal was read at. */
  readAt: number;
  /** Still voting, and a vote in the next block would be counted. */
  votingOpen: boolean;
  /** Voting period over but nobody closed it yet: `governance.close` in the next block decides it. */
  closable: boolean;
}

async function read(src: StateSource, key: string, height: number | undefined): Promise<StateRead> {
  return await src.getState(key, height === undefined ? {} : { height });
}

function bad(key: string, what: string): never {
  throw new ShulianError('GOV_STATE_INVALID', `governance state ${key} is not ${what}; is this a governance chain of this version?`);
}

function asObject<T>(key: string, v: JsonValue | null, what: string): T | null {
  if (v === null) return null;
  if (!isJsonObject(v)) bad(key, what);
  return v as unknown as T;
}

function asStrings(key: string, v: JsonValue | null): string[] {
  if (v === null) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) bad(key, 'a list of strings');
  return v as string[];
}

/** Reads an index key, then every entry it names at the same height. */
async function readIndexed<T>(src: StateSource, indexKey: string, entryKey: (id: string) => string, what: string, opts: ReadOptions): Promise<T[]> {
  const idx = await read(src, indexKey, opts.height);
  const ids = asStrings(indexKey, idx.value);
  const rows = await Promise.all(ids.map((id) => read(src, entryKey(id), idx.height)));
  const out: T[] = [];
  rows.forEach((r, i) => {
    const v = asObject<T>(entryKey(ids[i]!), r.value, what);
    if (v) out.push(v);
  });
  return out;
}

export async function readMeta(src: StateSource, opts: ReadOptions = {}): Promise<GovernanceMeta | null> {
  const k = govStateKey.meta();
  return asObject<GovernanceMeta>(k, (await read(src, k, opts.height)).value, 'governance metadata');
}

/** The alliance policy, or null before the governance chain is initialised. */
export async function readPolicy(src: StateSource, opts: ReadOptions = {}): Promise<Policy | null> {
  const k = govStateKey.policy();
  return asObject<Policy>(k, (await read(src, k, opts.height)).value, 'a policy');
}

/** Member organisations, sorted by DID. */
export function readMembers(src: StateSource, opts: ReadOptions = {}): Promise<Member[]> {
  return readIndexed<Member>(src, govStateKey.members(), (d) => govStateKey.member(d), 'a member', opts);
}

export async function readMember(src: StateSource, did: string, opts: ReadOptions = {}): Promise<Member | null> {
  const k = govStateKey.member(did);
  return asObject<Member>(k, (await read(src, k, opts.height)).value, 'a member');
}

function view(p: Proposal, readAt: number): ProposalView {
  const voting = p.status === 'voting';
  return { ...p, readAt, votingOpen: voting && readAt + 1 <= p.endHeight, closable: voting && readAt + 1 > p.endHeight };
}

export async function readProposal(src: StateSource, id: number, opts: ReadOptions = {}): Promise<ProposalView | null> {
  const k = govStateKey.proposal(id);
  const r = await read(src, k, opts.height);
  const p = asObject<Proposal>(k, r.value, 'a proposal');
  return p ? view(p, r.height) : null;
}

export interface ListProposalsOptions extends ReadOptions {
  /** Only proposals in this status ("voting" are the open ones). */
  status?: ProposalStatus;
  kind?: ProposalKind;
  /** Only proposals with a smaller id (paging backwards). */
  before?: number;
  /** Most proposals to return (default 50, newest first). */
  limit?: number;
}

/** Proposals, newest first, filtered by status and kind. */
export async function listProposals(src: StateSource, opts: ListProposalsOptions = {}): Promise<ProposalView[]> {
  if (opts.kind !== undefined && !(PROPOSAL_KINDS as readonly string[]).includes(opts.kind)) {
    throw new ShulianError('BAD_ARGUMENT', `unknown proposal kind "${opts.kind}"; kinds are ${PROPOSAL_KINDS.join(', ')}`);
  }
  const limit = opts.limit ?? 50;
  const countKey = govStateKey.proposalCount();
  const c = await read(src, countKey, opts.height);
  const count = c.value === null ? 0 : typeof c.value === 'number' ? c.value : bad(countKey, 'a number');
  const out: ProposalView[] = [];
  const BATCH = 32;
  let next = Math.min(count, (opts.before ?? count + 1) - 1);
  while (next >= 1 && out.length < limit) {
    const ids: number[] = [];
    for (let id = next; id >= 1 && ids.length < BATCH; id--) ids.push(id);
    next -= ids.length;
    const rows = await Promise.all(ids.map((id) => read(src, govStateKey.proposal(id), c.height)));
    rows.forEach((r, i) => {
      const p = asObject<Proposal>(govStateKey.proposal(ids[i]!), r.value, 'a proposal');
      if (!p || out.length >= limit) return;
      if (opts.status !== undefined && p.status !== opts.status) return;
      if (opts.kind !== undefined && p.kind !== opts.kind) return;
      out.push(view(p, c.height));
    });
  }
  return out;
}

/** The votes cast on a proposal, in electorate order. */
export async function readVotes(src: StateSource, id: number, opts: ReadOptions = {}): Promise<VoteRecord[]> {
  const p = await readProposal(src, id, opts);
  if (!p) return [];
  const rows = await Promise.all(p.electorate.map((d) => read(src, govStateKey.vote(id, d), p.readAt)));
  const out: VoteRecord[] = [];
  rows.forEach((r, i) => {
    const v = asObject<VoteRecord>(govStateKey.vote(id, p.electorate[i]!), r.value, 'a vote');
    if (v) out.push(v);
  });
  return out;
}

/** Every chain in the alliance registry, sorted by id. */
export function readChainRegistry(src: StateSource, opts: ReadOptions = {}): Promise<ChainRecord[]> {
  return readIndexed<ChainRecord>(src, govStateKey.chains(), (id) => govStateKey.chain(id), 'a chain record', opts);
}

export async function readChain(src: StateSource, id: string, opts: ReadOptions = {}): Promise<ChainRecord | null> {
  const k = govStateKey.chain(id);
  return asObject<ChainRecord>(k, (await read(src, k, opts.height)).value, 'a chain record');
}

export function readRegulators(src: StateSource, opts: ReadOptions = {}): Promise<Regulator[]> {
  return readIndexed<Regulator>(src, govStateKey.regulators(), (d) => govStateKey.regulator(d), 'a regulator', opts);
}

export function readGateways(src: StateSource, opts: ReadOptions = {}): Promise<Gateway[]> {
  return readIndexed<Gateway>(src, govStateKey.gateways(), (d) => govStateKey.gateway(d), 'a gateway', opts);
}
