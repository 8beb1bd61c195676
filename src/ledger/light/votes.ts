/**
 * tbft votes and proposals as light clients and modules see them: their shapes, what each signs,
 * the checks of their signatures, and equivocation evidence (two signed messages of one validator
 * for one slot). Pure and browser-safe like commit.ts; the consensus engine (src/consensus/tbft)
 * signs with these bodies and re-exports all of it, and the evidence module checks evidence here
 * without loading consensus code.
 */
import type { ValidatorInfo } from '../types.ts';
import { isRecord } from '../../codec/index.ts';
import { sigOk, signBytes, type VerifyFn } from './commit.ts';

/**
 * What consensus agrees on. Opaque to the core: `hash` identifies the value (a block hash) and is
 * all that votes carry; `payload` (the block) travels only in proposals and decisions. The payload
 * must be JSON (it is written to the WAL as canonical JSON).
 */
export interface ConsensusValue {
  hash: string;
  payload?: unknown;
}

export type VoteType = 'prevote' | 'precommit';

/** ⟨PROPOSAL, h, r, v, validRound⟩ signed by proposer(h, r). The signature covers `value.hash`, not the payload. */
export interface Proposal {
  type: 'proposal';
  chain: string;
  height: number;
  round: number;
  value: ConsensusValue;
  /** −1, or the round in which the proposer saw 2f+1 prevotes for this value. */
  validRound: number;
  proposer: string;
  /** Hex signature over signBytes(chain, proposal body). */
  sig: string;
}

/** ⟨PREVOTE | PRECOMMIT, h, r, id(v) | nil⟩ signed by a validator. */
export interface Vote {
  type: VoteType;
  chain: string;
  height: number;
  round: number;
  /** The value hash, or null for nil. */
  value: string | null;
  validator: string;
  sig: string;
}

/** Two different signed votes from one validator for the same (height, round, type). */
export interface DuplicateVoteEvidence {
  type: 'duplicate-vote';
  validator: string;
  height: number;
  round: number;
  voteType: VoteType;
  a: Vote;
  b: Vote;
}

/** Two different signed proposals from the proposer of one (height, round); payloads left out. */
export interface DuplicateProposalEvidence {
  type: 'duplicate-proposal';
  validator: string;
  height: number;
  round: number;
  a: Proposal;
  b: Proposal;
}

export type Evidence = DuplicateVoteEvidence | DuplicateProposalEvidence;

export function proposalBody(p: Omit<Proposal, 'sig'>): Record<string, unknown> {
  return { type: 'proposal', chain: p.chain, height: p.height, round: p.round, validRound: p.validRound, value: p.value.hash, proposer: p.proposer };
}

export function voteBody(v: Omit<Vote, 'sig'>): Record<string, unknown> {
  return { type: v.type, chain: v.chain, height: v.height, round: v.round, value: v.value, validator: v.validator };
}

export function verifyProposalSig(p: Proposal, publicKey: string, verifyFn: VerifyFn): boolean {
  return sigOk(verifyFn, publicKey, signBytes(p.chain, proposalBody(p)), p.sig);
}

export function verifyVoteSig(v: Vote, publicKey: string, verifyFn: VerifyFn): boolean {
  return sigOk(verifyFn, publicKey, signBytes(v.chain, voteBody(v)), v.sig);
}

/** Checks evidence against the validator set of its height: both messages signed by the accused, same slot, different content. */
export function verifyEvidence(ev: Evidence, validators: readonly ValidatorInfo[], chainId: string, verifyFn: VerifyFn): boolean {
  const val = validators.find((v) => v.did === ev.validator);
  if (!val) return false;
  if (ev.type === 'duplicate-vote') {
    const { a, b } = ev;
    if (!isVote(a) || !isVote(b)) return false;
    if (a.chain !== chainId || b.chain !== chainId) return false;
    if (a.validator !== ev.validator || b.validator !== ev.validator) return false;
    if (a.type !== ev.voteType || b.type !== ev.voteType || a.height !== ev.height || b.height !== ev.height || a.round !== ev.round || b.round !== ev.round) return false;
    if (a.value === b.value) return false;
    return verifyVoteSig(a, val.publicKey, verifyFn) && verifyVoteSig(b, val.publicKey, verifyFn);
  }
  const { a, b } = ev;
  if (!isProposal(a) || !isProposal(b)) return false;
  if (a.chain !== chainId || b.chain !== chainId) return false;
  if (a.proposer !== ev.validator || b.proposer !== ev.validator) return false;
  if (a.height !== ev.height || b.height !== ev.height || a.round !== ev.round || b.round !== ev.round) return false;
  if (a.value.hash === b.value.hash && a.validRound === b.validRound) return false;
  return verifyProposalSig(a, val.publicKey, verifyFn) && verifyProposalSig(b, val.publicKey, verifyFn);
}

// --- shape checks for messages off the network (untrusted JSON) ---

function isHeight(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

function isRound(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0 && x < 2 ** 31;
}

export function isConsensusValue(x: unknown): x is ConsensusValue {
  return isRecord(x) && typeof x.hash === 'string' && x.hash.length > 0 && x.hash.length <= 256;
}

export function isVote(x: unknown): x is Vote {
  return isRecord(x) && (x.type === 'prevote' || x.type === 'precommit') && typeof x.chain === 'string' && isHeight(x.height) && isRound(x.round)
    && (x.value === null || (typeof x.value === 'string' && x.value.length > 0 && x.value.length <= 256))
    && typeof x.validator === 'string' && typeof x.sig === 'string';
}

export function isProposal(x: unknown): x is Proposal {
  return isRecord(x) && x.type === 'proposal' && typeof x.chain === 'string' && isHeight(x.height) && isRound(x.round) && isConsensusValue(x.value)
    && typeof x.validRound === 'number' && Number.isSafeInteger(x.validRound) && x.validRound >= -1
    && typeof x.proposer === 'string' && typeof x.sig === 'string';
}
