/**
 * Governance (以链治链) through the SDK: build and send the governance chain's transactions, and
 * read its members, proposals, policy and chain registry — optionally with every state read's
 * proof checked locally.
 */
import { foreign, ShulianError, asJson } from '../codec/index.ts';
import type { KeyPair } from '../crypto/index.ts';
import {
  listProposals, readChain, readChainRegistry, readGateways, readMember, readMembers, readPolicy, readProposal,
  readRegulators, readVotes, type ListProposalsOptions, type ProposalView, type StateSource,
} from '../governance/index.ts';
import type {
  ChainRecord, CloseReason, FreezeRecord, Gateway, InitArgs, Member, Policy, ProposalInput, ProposalStatus, Regulator, Tally,
  VoteChoice, VoteRecord,
} from '../modules/governance/types.ts';
import type { ShulianClient } from './client.ts';
import type { Call, CommittedTx, SendOptions, WaitOptions } from './types.ts';

export type {
  AccessRule, AdmissionPolicy, ChainRecord, ChainStatus, EmergencyPolicy, FreezeEvidence, FreezeRecord, FreezeTarget, Gateway, GenesisDraft, InitArgs, KindPolicy, Member, Policy, PolicyPatch,
  Proposal, ProposalInput, ProposalKind, ProposalPayload, ProposalStatus, Regulator, Role, Tally, VoteChoice,
  VoteRecord,
} from '../modules/governance/types.ts';
export type { ProposalView, ListProposalsOptions, StateSource } from '../governance/index.ts';

export const DEFAULT_GOV_CHAIN = 'gov';
const MODULE = 'governance';

export interface GovReadOptions {
  /** Governance chain id (default "gov"). */
  chain?: string;
  /** Read at this height; latest when omitted. */
  height?: number;
  /** Check every state read's proof locally against the chain's validators. */
  verified?: boolean;
}

export type GovSendOptions = { chain?: string } & SendOptions & WaitOptions;

// ---- calls (unsigned) ----------------------------------------------------------------------

export function govInitCall(args: InitArgs): Call {
  return { module: MODULE, method: 'init', args: asJson(args) };
}

export function govProposeCall(input: ProposalInput): Call {
  return { module: MODULE, method: 'propose', args: asJson(input) };
}

export function govVoteCall(id: number, choice: VoteChoice): Call {
  return { module: MODULE, method: 'vote', args: { id, choice } };
}

export function govCloseCall(id: number): Call {
  return { module: MODULE, method: 'close', args: { id } };
}

export function govActivateCall(chain: string): Call {
  return { module: MODULE, method: 'activate', args: { chain } };
}

// ---- sending -------------------------------------------------------------------------------

/** Sends a governance call and waits for its block; throws the module's error code if it failed. */
async function sendGov(client: ShulianClient, key: KeyPair, call: Call, what: string, opts: GovSendOptions): Promise<CommittedTx> {
  const chain = opts.chain ?? DEFAULT_GOV_CHAIN;
  const hash = await client.send(chain, key, call, opts);
  const inc = await client.waitForTx(hash, opts);
  if (inc.receipt.status !== 'ok') {
    const code = foreign(inc.receipt.code) ?? 'TX_FAILED';
    throw new ShulianError(code, `${what} failed at height ${inc.height} of chain ${chain}: ${inc.receipt.message ?? code}`, { tx: hash, height: inc.height });
  }
  return inc;
}

function resultOf<T>(inc: CommittedTx): T {
  return inc.receipt.result as unknown as T;
}

/** Bootstraps governance (once, by a founder: a genesis validator of the governance chain). */
export function govInit(client: ShulianClient, key: KeyPair, args: InitArgs, opts: GovSendOptions = {}): Promise<CommittedTx> {
  return sendGov(client, key, govInitCall(args), 'governance init', opts);
}

export interface ProposeResult {
  id: number;
  /** Last governance-chain height at which votes are taken. */
  endHeight: number;
  /** How many members may vote. */
  electorate: number;
  tx: CommittedTx;
}

export async function govPropose(client: ShulianClient, key: KeyPair, input: ProposalInput, opts: GovSendOptions = {}): Promise<ProposeResult> {
  const inc = await sendGov(client, key, govProposeCall(input), `${input.kind} proposal`, opts);
  return { ...resultOf<{ id: number; endHeight: number; electorate: number }>(inc), tx: inc };
}

export interface VoteResult {
  id: number;
  choice: VoteChoice;
  /** The proposal's status after this vote: a vote that settles the outcome closes it. */
  status: ProposalStatus;
  tally: Tally;
  tx: CommittedTx;
}

export async function govVote(client: ShulianClient, key: KeyPair, id: number, choice: VoteChoice, opts: GovSendOptions = {}): Promise<VoteResult> {
  checkId(id);
  const inc = await sendGov(client, key, govVoteCall(id, choice), `vote on proposal #${id}`, opts);
  return { ...resultOf<{ id: number; choice: VoteChoice; status: ProposalStatus; tally: Tally }>(inc), tx: inc };
}

export interface CloseResult {
  id: number;
  status: ProposalStatus;
  reason?: CloseReason;
  tally: Tally;
  tx: CommittedTx;
}

/** Closes a proposal whose voting period has ended (anyone may). */
export async function govClose(client: ShulianClient, key: KeyPair, id: number, opts: GovSendOptions = {}): Promise<CloseResult> {
  checkId(id);
  const inc = await sendGov(client, key, govCloseCall(id), `closing proposal #${id}`, opts);
  return { ...resultOf<{ id: number; status: ProposalStatus; reason?: CloseReason; tally: Tally }>(inc), tx: inc };
}

/** Reports that an approved chain has started (sent by one of its validators or its owner). */
export function govActivate(client: ShulianClient, key: KeyPair, chain: string, opts: GovSendOptions = {}): Promise<CommittedTx> {
  return sendGov(client, key, govActivateCall(chain), `activating chain ${chain}`, opts);
}

function checkId(id: number): void {
  if (!Number.isSafeInteger(id) || id < 1) throw new ShulianError('BAD_ARGUMENT', `a proposal id is a whole number from 1, got ${id}`);
}

// ---- reading -------------------------------------------------------------------------------

/** A StateSource over the node's HTTP API: plain reads, or proof-checked ones with `verified`. */
export function govStateSource(client: ShulianClient, opts: { chain?: string; verified?: boolean } = {}): StateSource {
  const chain = opts.chain ?? DEFAULT_GOV_CHAIN;
  return {
    getState: (key, o = {}) => {
      const q = o.height === undefined ? {} : { height: o.height };
      return opts.verified ? client.verifiedState(chain, key, q) : client.state(chain, key, q);
    },
  };
}

const src = (client: ShulianClient, o: GovReadOptions): StateSource =>
  govStateSource(client, { ...(o.chain !== undefined ? { chain: o.chain } : {}), ...(o.verified ? { verified: true } : {}) });
const at = (o: GovReadOptions): { height?: number } => (o.height === undefined ? {} : { height: o.height });

export function govMembers(client: ShulianClient, opts: GovReadOptions = {}): Promise<Member[]> {
  return readMembers(src(client, opts), at(opts));
}

export function govMember(client: ShulianClient, did: string, opts: GovReadOptions = {}): Promise<Member | null> {
  return readMember(src(client, opts), did, at(opts));
}

export function govPolicy(client: ShulianClient, opts: GovReadOptions = {}): Promise<Policy | null> {
  return readPolicy(src(client, opts), at(opts));
}

export function govProposal(client: ShulianClient, id: number, opts: GovReadOptions = {}): Promise<ProposalView | null> {
  checkId(id);
  return readProposal(src(client, opts), id, at(opts));
}

export function govProposals(client: ShulianClient, opts: GovReadOptions & Omit<ListProposalsOptions, 'height'> = {}): Promise<ProposalView[]> {
  const { chain: _c, verified: _v, ...list } = opts;
  return listProposals(src(client, opts), list);
}

export function govVotes(client: ShulianClient, id: number, opts: GovReadOptions = {}): Promise<VoteRecord[]> {
  checkId(id);
  return readVotes(src(client, opts), id, at(opts));
}

export function govChains(client: ShulianClient, opts: GovReadOptions = {}): Promise<ChainRecord[]> {
  return readChainRegistry(src(client, opts), at(opts));
}

export function govChain(client: ShulianClient, id: string, opts: GovReadOptions = {}): Promise<ChainRecord | null> {
  return readChain(src(client, opts), id, at(opts));
}

export function govRegulators(client: ShulianClient, opts: GovReadOptions = {}): Promise<Regulator[]> {
  return readRegulators(src(client, opts), at(opts));
}

export function govGateways(client: ShulianClient, opts: GovReadOptions = {}): Promise<Gateway[]> {
  return readGateways(src(client, opts), at(opts));
}

/**
 * The EVM contracts of `evmChain` frozen by governance, by lowercase 0x address (at most 1000;
 * docs/engines.md#freezing-an-evm-contract): the console's Solidity tab marks them.
 */
export async function govEvmFreezes(client: ShulianClient, evmChain: string, opts: GovReadOptions = {}): Promise<Record<string, FreezeRecord>> {
  const s = src(client, opts);
  const list = await s.getState(`${MODULE}/freezes`, at(opts));
  const prefix = `evm-contract/${evmChain}/`;
  const keys = ((list.value as string[] | null) ?? []).filter((k) => k.startsWith(prefix)).slice(0, 1000);
  const out: Record<string, FreezeRecord> = {};
  await Promise.all(keys.map(async (k) => {
    const r = (await s.getState(`${MODULE}/freeze/${k}`, { height: list.height })).value as FreezeRecord | null;
    // An emergency freeze lapses after its `until` unless a vote confirmed it.
    if (r && (r.until === undefined || list.height <= r.until)) out[k.slice(prefix.length)] = r;
  }));
  return out;
}
