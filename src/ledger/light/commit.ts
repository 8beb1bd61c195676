/**
 * The pure part of tbft commits: what a precommit signs and the check that a commit carries
 * precommits of more than 2/3 of a validator set's power ("The latest gossip on BFT consensus",
 * Buchman, Kwon, Milosevic 2018: a value is decided once 2f+1 of the power precommit it). It
 * lives here, below the consensus engine, so light clients (the SDK, the CLI, the xchain module)
 * check commits without loading consensus code; src/consensus/tbft re-exports it.
 */
import { canonicalize, fromHex, isHex } from '../../codec/index.ts';
import { verify, type Suite } from '../../crypto/index.ts';
import type { ValidatorInfo } from '../types.ts';
import type { LightErrorCode } from './errors.ts';

export const TBFT_DOMAIN = 'shulian/tbft/v1';

export interface CommitSig {
  validator: string;
  /** Signature of the validator's precommit for (height, round, blockHash). */
  sig: string;
}

/** Proof that a block is final: precommits of more than 2/3 of the voting power for it in one round. */
export interface Commit {
  chain: string;
  height: number;
  round: number;
  blockHash: string;
  signatures: CommitSig[];
}

/** Result of checking a commit: `power` of valid distinct signers out of `total`. */
export interface CommitCheck {
  ok: boolean;
  reason?: string;
  /** Why it failed, as a light-client code. */
  code?: LightErrorCode;
  power: number;
  total: number;
}

/** Verifies `signature` over `message` under a validator's public key (hex, as in ValidatorInfo). Never throws. */
export type VerifyFn = (publicKey: string, message: Uint8Array, signature: Uint8Array) => boolean;

/** The bytes a validator signs for a message body on `chainId`: a domain tag, then canonical JSON. */
export function signBytes(chainId: string, body: Record<string, unknown>): Uint8Array {
  return Buffer.from(`${TBFT_DOMAIN}/${chainId}\n${canonicalize(body)}`, 'utf8');
}

/** The body of a precommit for a block (the same fields tbft's voteBody gives a precommit vote). */
export function precommitBody(chain: string, height: number, round: number, value: string | null, validator: string): Record<string, unknown> {
  return { type: 'precommit', chain, height, round, value, validator };
}

/** A VerifyFn for the chain's suite over hex public keys. */
export function suiteVerifier(suite: Suite): VerifyFn {
  return (publicKey, message, signature) => isHex(publicKey) && verify(suite, fromHex(publicKey), message, signature);
}

/** A hex signature checks out under `publicKey`; a malformed one is false, never an exception. */
export function sigOk(verifyFn: VerifyFn, publicKey: string, bytes: Uint8Array, sig: unknown): boolean {
  if (typeof sig !== 'string' || !isHex(sig)) return false;
  try {
    return verifyFn(publicKey, bytes, fromHex(sig));
  } catch {
    return false;
  }
}

const isHeight = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
const isRound = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0 && x < 2 ** 31;

/**
 * Checks that `commit` holds valid precommits of more than 2/3 of the voting power of `validators`
 * for (chainId, height, round, blockHash): every signer in the set, once, with a valid signature.
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
  const fail = (code: LightErrorCode, reason: string, power = 0): CommitCheck => ({ ok: false, code, reason, power, total });
  if (!commit || typeof commit !== 'object') return fail('LIGHT_MALFORMED', 'commit is not an object');
  if (commit.chain !== chainId) return fail('LIGHT_WRONG_CHAIN', `commit is for chain ${String(commit.chain)}, not ${chainId}`);
  if (!isHeight(commit.height) || !isRound(commit.round) || typeof commit.blockHash !== 'string' || !Array.isArray(commit.signatures)) {
    return fail('LIGHT_MALFORMED', 'malformed commit');
  }
  let power = 0;
  const seen = new Set<string>();
  for (const s of commit.signatures) {
    if (!s || typeof s.validator !== 'string') return fail('LIGHT_MALFORMED', 'malformed commit signature', power);
    const val = byDid.get(s.validator);
    if (!val) return fail('LIGHT_COMMIT_UNKNOWN_SIGNER', `${s.validator} is not a validator at height ${commit.height}`, power);
    if (seen.has(s.validator)) return fail('LIGHT_COMMIT_DUPLICATE_SIGNER', `${s.validator} signed twice`, power);
    seen.add(s.validator);
    const bytes = signBytes(chainId, precommitBody(chainId, commit.height, commit.round, commit.blockHash, s.validator));
    if (!sigOk(verifyFn, val.publicKey, bytes, s.sig)) return fail('LIGHT_COMMIT_BAD_SIGNATURE', `bad precommit signature from ${s.validator}`, power);
    power += val.power;
  }
  if (power * 3 <= total * 2) return fail('LIGHT_NOT_ENOUGH_POWER', `precommits carry ${power} of ${total} voting power, not more than 2/3`, power);
  return { ok: true, power, total };
}
