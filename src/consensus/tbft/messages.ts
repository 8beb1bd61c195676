/**
 * Signing and checking tbft messages. What is signed is a domain tag naming the chain, then the
 * RFC 8785 canonical JSON of the message without its signature (and, for a proposal, with the value
 * reduced to its hash). The tag keeps a vote of one chain from being replayed on another.
 */
import { canonicalize, fromHex, isHex, toHex } from '../../codec/index.ts';
import { didFromPublicKey, publicKeyFromPrivate, sign, verify, type Suite } from '../../crypto/index.ts';
import type { ValidatorInfo } from '../../ledger/types.ts';
import type {
  Commit, CommitCheck, ConsensusValue, Decision, Evidence, Proposal, Signer, TbftMessage, VerifyFn, Vote, VoteType,
} from './types.ts';

export const TBFT_DOMAIN = 'shulian/tbft/v1';

/** The bytes a validator signs for a message body on `chainId`. */
export function signBytes(chainId: string, body: Record<string, unknown>): Uint8Array {
  return Buffer.from(`${TBFT_DOMAIN}/${chainId}\n${canonicalize(body)}`, 'utf8');
}

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

/**
 * Checks that `commit` holds valid precommits of more than 2/3 of the voting power of `validators`
 * for (chainId, height, round, blockHash). For light clients and block sync.
 */
export function verifyCommit(commit: Commit, validators: readonly ValidatorInfo[], chainId: string, verifyFn: VerifyFn): CommitCheck {
  let total = 0;
  const byDid = new Map<string, ValidatorInfo>();
  for (const v of validators) {
    if (v.power > 0) {
      total += v.power;
      byDid.set(v.did, v);
    }
  }
  const fail = (reason: string, power = 0): CommitCheck => ({ ok: false, reason, power, total });
  if (!commit || typeof commit !== 'object') return fail('commit is not an object');
  if (commit.chain !== chainId) return fail(`commit is for chain ${String(commit.chain)}, not ${chainId}`);
  if (!isHeight(commit.height) || !isRound(commit.round) || typeof commit.blockHash !== 'string' || !Array.isArray(commit.signatures)) {
    return fail('malformed commit');
  }
  let power = 0;
  const seen = new Set<string>();
  for (const s of commit.signatures) {
    if (!s || typeof s.validator !== 'string') return fail('malformed commit signature', power);
    const val = byDid.get(s.validator);
    if (!val) return fail(`${s.validator} is not a validator at height ${commit.height}`, power);
    if (seen.has(s.validator)) return fail(`${s.validator} signed twice`, power);
    seen.add(s.validator);
    const vote: Vote = { type: 'precommit', chain: chainId, height: commit.height, round: commit.round, value: commit.blockHash, validator: s.validator, sig: s.sig };
    if (!verifyVoteSig(vote, val.publicKey, verifyFn)) return fail(`bad precommit signature from ${s.validator}`, power);
    power += val.power;
  }
  if (power * 3 <= total * 2) return fail(`precommits carry ${power} of ${total} voting power, not more than 2/3`, power);
  return { ok: true, power, total };
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

/** A VerifyFn for the chain's suite over hex public keys. */
export function suiteVerifier(suite: Suite): VerifyFn {
  return (publicKey, message, signature) => isHex(publicKey) && verify(suite, fromHex(publicKey), message, signature);
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
