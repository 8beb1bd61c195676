/**
 * Checks of what a node hands a client: a transaction with its receipt, or a state value (or its
 * absence), each against a block header the client verifies itself. The header check is the
 * light client's (src/ledger/light): a commit of more than 2/3 of the voting power of the set
 * for that height on BFT chains, the one validator's signature on solo chains.
 *
 * `trust` is a HeaderVerifier from a light client that follows the chain from a pinned genesis
 * through its validator changes (what the SDK and the CLI use), or a fixed validator set — right
 * only for a chain whose set never changed (a one-validator set is checked as a solo chain, a
 * larger one needs a commit).
 */
import { fromHex, isHex, type JsonValue } from '../codec/index.ts';
import { hashFor, verify, type Suite } from '../crypto/index.ts';
import { headerHashOf, receiptHashOf, stateKeyHash, stateValueHash, txHashOf } from './hashing.ts';
import { verifyMerkleProof } from './merkle.ts';
import { verifySmtProof } from './smt/index.ts';
import { verifyTxSignature } from './tx.ts';
import { verifySignedHeader, type HeaderVerifier, type LightErrorCode, type SignedHeader } from './light/index.ts';
import type { BlockHeader, StateLookup, TxInclusion, ValidatorInfo } from './types.ts';
import type { LedgerErrorCode } from './errors.ts';

/** Why a proof check failed: a light-client code for the header, or a PROOF_* code (errors.ts) for the rest. */
export type ProofErrorCode = LightErrorCode | Extract<LedgerErrorCode, `PROOF_${string}`>;

export interface ProofCheck {
  ok: boolean;
  /** Why the check failed, in words. */
  reason?: string;
  code?: ProofErrorCode;
}

/** A light-client header verifier, or a fixed validator set (see the file comment). */
export type HeaderTrust = readonly ValidatorInfo[] | HeaderVerifier;

/** A tx inclusion as the API serves it: with the block's commit on BFT chains. */
export type TxInclusionProof = TxInclusion & { commit?: unknown };
/** A state answer as the API serves it: with the block's commit on BFT chains. */
export type StateLookupProof = StateLookup & { commit?: unknown };

const fail = (code: ProofErrorCode, reason: string): ProofCheck => ({ ok: false, code, reason });

/** Checks a signed header against `trust`. */
export function verifyHeaderWith(suite: Suite, sh: SignedHeader, trust: HeaderTrust): ProofCheck {
  let r;
  if (typeof trust === 'function') {
    r = trust(sh);
  } else {
    const chain = typeof sh?.header?.chain === 'string' ? sh.header.chain : '';
    r = verifySignedHeader({ chain, suite, consensus: trust.length === 1 ? 'solo' : 'tbft' }, trust, sh, { reader: true });
  }
  return r.ok ? { ok: true } : fail(r.code, r.reason);
}

/**
 * Only the proposer's signature: what a validator checks of a block proposed to it before it
 * re-executes it and votes. It says nothing about finality; clients verify headers with the light
 * client (`verifyHeaderWith`). Kept under its old name for src/chain.
 */
export function verifyProposerSignature(suite: Suite, header: BlockHeader, hash: string, sig: string, validators: readonly ValidatorInfo[]): ProofCheck {
  if (headerHashOf(suite, header) !== hash) return fail('LIGHT_HASH_MISMATCH', 'block hash does not match its header');
  const v = validators.find((x) => x.did === header.proposer);
  if (!v) return fail('LIGHT_NOT_VALIDATOR', `proposer ${header.proposer} is not a validator of chain ${header.chain}`);
  if (!isHex(sig, 64)) return fail('LIGHT_MALFORMED', 'block signature is not 64 bytes of hex');
  if (!verify(suite, fromHex(v.publicKey), fromHex(hash), fromHex(sig))) return fail('LIGHT_BAD_BLOCK_SIGNATURE', 'block signature does not verify under the proposer key');
  return { ok: true };
}

/** @deprecated the proposer's signature only; see verifyProposerSignature. */
export const verifyHeader = verifyProposerSignature;

/**
 * Checks a tx, its signature and its receipt against a block header verified with `trust`,
 * without trusting the server.
 */
export function verifyTxInclusion(suite: Suite, inc: TxInclusionProof, trust: HeaderTrust): ProofCheck {
  const h = verifyHeaderWith(suite, { header: inc.header, hash: inc.blockHash, sig: inc.blockSig, commit: inc.commit }, trust);
  if (!h.ok) return h;
  const hash = txHashOf(suite, inc.tx);
  if (hash !== inc.hash) return fail('PROOF_TX_MISMATCH', 'tx hash does not match the transaction body');
  let signed = false;
  try {
    signed = verifyTxSignature(suite, inc.tx, hash);
  } catch {
    signed = false;
  }
  if (!signed) return fail('PROOF_TX_MISMATCH', 'the transaction signature does not verify under its pubkey');
  if (inc.receipt.tx !== hash) return fail('PROOF_RECEIPT_MISMATCH', 'receipt belongs to another transaction');
  const H = hashFor(suite);
  if (inc.height !== inc.header.height) return fail('PROOF_MERKLE', 'the inclusion height is not the block height');
  if (inc.proof.tx.index !== inc.index || inc.proof.tx.total !== inc.header.txCount) return fail('PROOF_MERKLE', 'tx proof position does not match the block');
  if (inc.proof.receipt.index !== inc.index || inc.proof.receipt.total !== inc.header.txCount) return fail('PROOF_MERKLE', 'receipt proof position does not match the block');
  if (!verifyMerkleProof(fromHex(inc.header.txRoot), fromHex(hash), inc.proof.tx, H)) return fail('PROOF_MERKLE', 'tx Merkle proof does not reach the block tx root');
  if (!verifyMerkleProof(fromHex(inc.header.receiptRoot), fromHex(receiptHashOf(suite, inc.receipt)), inc.proof.receipt, H)) {
    return fail('PROOF_MERKLE', 'receipt Merkle proof does not reach the block receipt root');
  }
  return { ok: true };
}

/** Checks a state value (or its absence) against the state root of a block header verified with `trust`. */
export function verifyStateLookup(suite: Suite, s: StateLookupProof, trust: HeaderTrust): ProofCheck {
  if (!s.proof || !s.header || !s.blockHash || !s.blockSig) return fail('PROOF_MISSING', 'the answer carries no proof');
  const h = verifyHeaderWith(suite, { header: s.header, hash: s.blockHash, sig: s.blockSig, commit: s.commit }, trust);
  if (!h.ok) return h;
  if (s.header.stateRoot !== s.stateRoot || s.header.height !== s.height) return fail('PROOF_STATE_ROOT', 'state root is not the one in the block header');
  const value = s.value === null ? null : stateValueHash(suite, s.value as JsonValue);
  const ok = verifySmtProof(fromHex(s.stateRoot), stateKeyHash(suite, s.key), value, s.proof, hashFor(suite));
  return ok ? { ok: true } : fail('PROOF_STATE', s.value === null ? 'non-inclusion proof does not verify' : 'inclusion proof does not verify');
}
