/**
 * Whether a public key may sign for a DID, judged against the identity chain's state: the rule
 * every chain's admission applies to a tx's (`from`, `pubkey`) once wired (docs/did-method.md §6).
 */
import { ShulianError } from '../codec/index.ts';
import type { StateLookup } from '../ledger/index.ts';
import { authorizeKey, readDidDocState, type KeyAuthorization } from '../modules/did/types.ts';
import { docStateKey } from '../modules/did/keys.ts';
import type { DidStateSource } from './source.ts';
import { parseShulianDid } from '../crypto/index.ts';

export type SenderAuthorization =
  | { ok: true; did: string; height: number; via: 'self-certifying' | 'document'; keyId?: string }
  | { ok: false; did: string; height?: number; code: string; message: string };

/** A source that answers synchronously (a ChainView does): for admission on the main thread. */
export interface SyncDidStateSource {
  getState(key: string, opts?: { height?: number; proof?: boolean }): StateLookup;
}

function judge(did: string, lookup: StateLookup, pubkeyHex: string): SenderAuthorization {
  const st = readDidDocState(lookup.value);
  if (lookup.value !== null && (!st || st.did !== did)) {
    return { ok: false, did, height: lookup.height, code: 'DID_STATE_INVALID', message: `the identity chain holds a malformed document state for ${did}` };
  }
  const a: KeyAuthorization = authorizeKey(st, did, pubkeyHex);
  if (a.ok) return a.keyId === undefined ? { ok: true, did, height: lookup.height, via: a.via } : { ok: true, did, height: lookup.height, via: a.via, keyId: a.keyId };
  return { ok: false, did, height: lookup.height, code: a.code, message: a.message };
}

function badDid(did: string): SenderAuthorization | undefined {
  try {
    parseShulianDid(did);
    return undefined;
  } catch (err) {
    return { ok: false, did, code: 'DID_INVALID', message: (err as Error).message };
  }
}

function readFailure(did: string, err: unknown): SenderAuthorization {
  const code = err instanceof ShulianError ? err.code : 'DID_STATE_UNAVAILABLE';
  return { ok: false, did, code, message: `cannot read the DID document of ${did}: ${err instanceof Error ? err.message : String(err)}` };
}

/**
 * May `pubkeyHex` (as a tx carries it) sign for `did`, by the identity chain state at `height`
 * (default: latest)? A DID with no document: only its self-certifying key. Otherwise: the keys
 * now in `authentication` or `capabilityInvocation`; a key rotated out or removed at height r is
 * refused whenever the state at r or later is consulted; every key of a deactivated DID is
 * refused. Never throws: failures are `{ ok: false, code, message }`.
 */
export async function authorizeSender(source: DidStateSource, did: string, pubkeyHex: string, height?: number): Promise<SenderAuthorization> {
  const bad = badDid(did);
  if (bad) return bad;
  let lookup: StateLookup;
  try {
    lookup = await source.getState(docStateKey(did), height === undefined ? {} : { height });
  } catch (err) {
    return readFailure(did, err);
  }
  return judge(did, lookup, pubkeyHex);
}

/** `authorizeSender` over a synchronous source such as a hosted ChainView (one LMDB read). */
export function authorizeSenderSync(source: SyncDidStateSource, did: string, pubkeyHex: string, height?: number): SenderAuthorization {
  const bad = badDid(did);
  if (bad) return bad;
  let lookup: StateLookup;
  try {
    lookup = source.getState(docStateKey(did), height === undefined ? {} : { height });
  } catch (err) {
    return readFailure(did, err);
  }
  return judge(did, lookup, pubkeyHex);
}
