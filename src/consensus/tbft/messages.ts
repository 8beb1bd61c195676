/**
 * Signing and checking tbft messages. What is signed is a domain tag naming the chain, then the
 * RFC 8785 canonical JSON of the message without its signature (and, for a proposal, with the value
 * reduced to its hash). The tag keeps a vote of one chain from being replayed on another.
 */
import { fromHex, isHex, toHex } from '../../codec/index.ts';
import { didFromPublicKey, publicKeyFromPrivate, sign, type Suite } from '../../crypto/index.ts';
import type { ValidatorInfo } from '../../ledger/index.ts';
import { signBytes } from '../../ledger/index.ts';
import type {
  ConsensusValue, Decision, Evidence, Proposal, Signer, TbftMessage, VerifyFn, Vote, VoteType,
} from './types.ts';

// The domain tag, the signed bytes, the commit check and the suite verifier are pure and shared
// with light clients: they live in src/ledger/light/commit.ts (one implementation, used by both).
export { TBFT_DOMAIN, signBytes, verifyCommit, suiteVerifier } from '../../ledger/index.ts';

export function proposalBody(p: Omit<Proposal, 'sig'>): Record<string, unknown> {
  return { type: 'proposal', chain: p.chain, height: p.height, round: p.round, validRound: p.validRound, value: p.value.hash, proposer: p.proposer };
}

export function voteBody(v: Omit<Vote, 'sig'>): Record<string, unknown> {
  return { type: v.type, chain: v.chain, height: v.height, round: v.round, value: v.value, validator: v.validator };
}

export function signProposal(signer: Signer, chain: string, height: number, round: number, value: ConsensusValue, validRound: number): Proposal {
  const unsigned = { type: 'proposal' as const, chain, height, round, value, validRound, proposer: signer.did };
  return { ...unsigned, sig: toHex(signer.sign(signBytes(chain, proposalBody(unsigned)))) };
}

export function signVote(signer: Signer, chain: string, type: VoteType, height: number, round: number, value: string | null): Vote {
  const unsigned = { type, chain, height, round, value, validator: signer.did };
  return { ...unsigned, sig: toHex(signer.sign(signBytes(chain, voteBody(unsigned)))) };
}

function checkSig(verifyFn: VerifyFn, publicKey: string, bytes: Uint8Array, sig: string): boolean {
  if (typeof sig !== 'string' || !isHex(sig)) return false;
  try {
    return verifyFn(publicKey, bytes, fromHex(sig));
  } catch {
    return false;
  }
}

export function verifyProposalSig(p: Proposal, publicKey: string, verifyFn: VerifyFn): boolean {
  return checkSig(verifyFn, publicKey, signBytes(p.chain, proposalBody(p)), p.sig);
}

export function verifyVoteSig(v: Vote, publicKey: string, verifyFn: VerifyFn): boolean {
  return checkSig(verifyFn, publicKey, signBytes(v.chain, voteBody(v)), v.sig);
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

/** A Signer over a raw private key of the chain's suite. */
export function keySigner(suite: Suite, privateKey: Uint8Array): Signer {
  const did = didFromPublicKey(publicKeyFromPrivate(suite, privateKey));
  return { did, sign: (message) => sign(suite, privateKey, message) };
}

// --- shape checks for messages off the network (untrusted JSON) ---

function isHeight(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

function isRound(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0 && x < 2 ** 31;
}

function isObj(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function isValue(x: unknown): x is ConsensusValue {
  return isObj(x) && typeof x.hash === 'string' && x.hash.length > 0 && x.hash.length <= 256;
}

export function isVote(x: unknown): x is Vote {
  return isObj(x) && (x.type === 'prevote' || x.type === 'precommit') && typeof x.chain === 'string' && isHeight(x.height) && isRound(x.round)
    && (x.value === null || (typeof x.value === 'string' && x.value.length > 0 && x.value.length <= 256))
    && typeof x.validator === 'string' && typeof x.sig === 'string';
}

export function isProposal(x: unknown): x is Proposal {
  return isObj(x) && x.type === 'proposal' && typeof x.chain === 'string' && isHeight(x.height) && isRound(x.round) && isValue(x.value)
    && typeof x.validRound === 'number' && Number.isSafeInteger(x.validRound) && x.validRound >= -1
    && typeof x.proposer === 'string' && typeof x.sig === 'string';
}

export function isDecision(x: unknown): x is Decision {
  return isObj(x) && x.type === 'decision' && typeof x.chain === 'string' && isHeight(x.height) && isValue(x.value) && isObj(x.commit);
}

export function isTbftMessage(x: unknown): x is TbftMessage {
  return isVote(x) || isProposal(x) || isDecision(x);
}
