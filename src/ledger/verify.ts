import { fromHex, isHex, type JsonValue } from '../codec/index.ts';
import { hashFor, verify, type Suite } from '../crypto/index.ts';
import { headerHashOf, receiptHashOf, stateKeyHash, stateValueHash, txHashOf } from './hashing.ts';
import { verifyMerkleProof } from './merkle.ts';
import { verifySmtProof } from './smt/index.ts';
import type { BlockHeader, StateLookup, TxInclusion, ValidatorInfo } from './types.ts';

export interface ProofCheck {
  ok: boolean;
  /** Why the check failed, in words. */
  reason?: string;
}

const fail = (reason: string): ProofCheck => ({ ok: false, reason });

/**
 * A header is trusted when its hash recomputes and a validator of the chain signed that hash.
 * (Solo chains have one validator; BFT chains will check a commit of >2/3 voting power.)
 */
export function verifyHeader(suite: Suite, header: BlockHeader, hash: string, sig: string, validators: ValidatorInfo[]): ProofCheck {
  if (headerHashOf(suite, header) !== hash) return fail('block hash does not match its header');
  const v = validators.find((x) => x.did === header.proposer);
  if (!v) return fail(`proposer ${header.proposer} is not a validator of chain ${header.chain}`);
  if (!isHex(sig, 64)) return fail('block signature is not 64 bytes of hex');
  if (!verify(suite, fromHex(v.publicKey), fromHex(hash), fromHex(sig))) return fail('block signature does not verify under the proposer key');
  return { ok: true };
}

/** Checks a tx and its receipt against a signed block header, without trusting the server. */
export function verifyTxInclusion(suite: Suite, inc: TxInclusion, validators: ValidatorInfo[]): ProofCheck {
  const h = verifyHeader(suite, inc.header, inc.blockHash, inc.blockSig, validators);
  if (!h.ok) return h;
  const hash = txHashOf(suite, inc.tx);
  if (hash !== inc.hash) return fail('tx hash does not match the transaction body');
  if (inc.receipt.tx !== hash) return fail('receipt belongs to another transaction');
  const H = hashFor(suite);
  if (inc.proof.tx.index !== inc.index || inc.proof.tx.total !== inc.header.txCount) return fail('tx proof position does not match the block');
  if (!verifyMerkleProof(fromHex(inc.header.txRoot), fromHex(hash), inc.proof.tx, H)) return fail('tx Merkle proof does not reach the block tx root');
  if (!verifyMerkleProof(fromHex(inc.header.receiptRoot), fromHex(receiptHashOf(suite, inc.receipt)), inc.proof.receipt, H)) {
    return fail('receipt Merkle proof does not reach the block receipt root');
  }
  return { ok: true };
}

/** Checks a state value (or its absence) against a signed block header's state root. */
export function verifyStateLookup(suite: Suite, s: StateLookup, validators: ValidatorInfo[]): ProofCheck {
  if (!s.proof || !s.header || !s.blockHash || !s.blockSig) return fail('the answer carries no proof');
  const h = verifyHeader(suite, s.header, s.blockHash, s.blockSig, validators);
  if (!h.ok) return h;
  if (s.header.stateRoot !== s.stateRoot || s.header.height !== s.height) return fail('state root is not the one in the block header');
  const value = s.value === null ? null : stateValueHash(suite, s.value as JsonValue);
  const ok = verifySmtProof(fromHex(s.stateRoot), stateKeyHash(suite, s.key), value, s.proof, hashFor(suite));
  return ok ? { ok: true } : fail(s.value === null ? 'non-inclusion proof does not verify' : 'inclusion proof does not verify');
}
