/**
 * The pure rule of which public key may sign for a DID, given what the `did` module stores for it
 * (used by the off-chain `authorizeSender` and, once wired, by admission and execution).
 */
import { PUBKEY_HEX_RE } from '../../codec/index.ts';
import { didFromPublicKey } from '../../crypto/index.ts';
import type { DidDocState, DidRelationship } from './types.ts';

/** Relationships whose keys may sign transactions for the DID. */
export const SIGNING_RELATIONSHIPS: readonly DidRelationship[] = ['authentication', 'capabilityInvocation'];

export type KeyAuthorization =
  | { ok: true; via: 'self-certifying' | 'document'; keyId?: string }
  | { ok: false; code: 'DID_KEY_NOT_AUTHORIZED' | 'DID_KEY_REVOKED' | 'DID_DEACTIVATED' | 'DID_KEY_INVALID'; message: string };


/**
 * Whether `pubkeyHex` may sign for `did` given the DID's stored state (`undefined` when it has no
 * document): with no document only the self-certifying key (the one the DID is derived from);
 * with one, only keys currently in `authentication` or `capabilityInvocation`. Keys revoked by
 * rotation or removal are refused, as is every key of a deactivated DID. Pure; never throws.
 */
export function authorizeKey(state: DidDocState | undefined, did: string, pubkeyHex: string): KeyAuthorization {
  const pk = typeof pubkeyHex === 'string' ? pubkeyHex.toLowerCase() : '';
  if (!PUBKEY_HEX_RE.test(pk)) {
    return { ok: false, code: 'DID_KEY_INVALID', message: 'the public key must be hex: 65 bytes 04‖X‖Y (SM2) or 32 bytes (Ed25519)' };
  }
  if (!state) {
    let self: string;
    try {
      self = didFromPublicKey(Buffer.from(pk, 'hex'));
    } catch {
      return { ok: false, code: 'DID_KEY_INVALID', message: 'the public key is neither a 65-byte SM2 nor a 32-byte Ed25519 key' };
    }
    if (self === did) return { ok: true, via: 'self-certifying' };
    return {
      ok: false, code: 'DID_KEY_NOT_AUTHORIZED',
      message: `${did} has no DID document, so only its self-certifying key may sign for it; this key belongs to ${self}`,
    };
  }
  if (state.deactivated) {
    return { ok: false, code: 'DID_DEACTIVATED', message: `${did} was deactivated at height ${state.updated.height}; no key may sign for it any more` };
  }
  const key = state.keys.find((k) => k.publicKey === pk);
  if (!key) {
    return {
      ok: false, code: 'DID_KEY_NOT_AUTHORIZED',
      message: `this key is not in the DID document of ${did}; sign with one of its authentication keys, or add this key with did.addKey`,
    };
  }
  if (key.revokedAt !== undefined) {
    const how = key.revokedBy === 'rotate' ? 'rotated out' : key.revokedBy === 'deactivate' ? 'revoked by deactivation' : 'removed';
    return {
      ok: false, code: 'DID_KEY_REVOKED',
      message: `key ${did}#${key.id} was ${how} at height ${key.revokedAt} and signs nothing after it; sign with a current key of ${did}`,
    };
  }
  if (!key.relationships.some((r) => SIGNING_RELATIONSHIPS.includes(r))) {
    return {
      ok: false, code: 'DID_KEY_NOT_AUTHORIZED',
      message: `key ${did}#${key.id} is only for ${key.relationships.join(', ')}; transactions need a key in authentication or capabilityInvocation`,
    };
  }
  return { ok: true, via: 'document', keyId: key.id };
}
