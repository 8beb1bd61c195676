import { canonicalBytes, canonicalize, toHex, type JsonValue } from '../codec/index.ts';
import { hashFor, type Suite } from '../crypto/index.ts';
import type { BlockHeader, Receipt, TxBody } from './types.ts';

/**
 * Every hash on a chain uses the chain's suite: SM3 on SM2 chains, SHA-256 on Ed25519 chains,
 * always over RFC 8785 canonical JSON. Hashes are lowercase hex without a prefix: the chain's
 * genesis fixes the algorithm, so a prefix would say nothing new.
 */
export function hashJson(suite: Suite, value: unknown): string {
  return toHex(hashFor(suite)(canonicalBytes(value)));
}

/** Canonical JSON of a tx's signed fields (everything but `sig`). */
export function canonicalBody(tx: TxBody): string {
  const body: TxBody = {
    chain: tx.chain, from: tx.from, pubkey: tx.pubkey, nonce: tx.nonce,
    module: tx.module, method: tx.method, args: tx.args, expires: tx.expires,
  };
  return canonicalize(body);
}

export function txHashOf(suite: Suite, tx: TxBody): string {
  return toHex(hashFor(suite)(Buffer.from(canonicalBody(tx), 'utf8')));
}

export function headerHashOf(suite: Suite, header: BlockHeader): string {
  return hashJson(suite, header);
}

export function receiptHashOf(suite: Suite, receipt: Receipt): string {
  return hashJson(suite, receipt);
}

/** State keys are UTF-8 strings; the tree is keyed by their hash so it stays balanced. */
export function stateKeyHash(suite: Suite, key: string): Uint8Array {
  return hashFor(suite)(Buffer.from(key, 'utf8'));
}

/** A state value is canonical JSON; the tree stores the hash of those bytes. */
export function stateValueHash(suite: Suite, value: JsonValue): Uint8Array {
  return hashFor(suite)(canonicalBytes(value));
}
