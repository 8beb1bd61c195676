/**
 * What the identity chain's `did` module stores for a DID, its state keys, and the pure rule of
 * which public key may sign for a DID (used by the off-chain `authorizeSender` and, once wired,
 * by admission and execution). No I/O here.
 */
import { z } from 'zod';
import type { JsonValue } from '../../codec/index.ts';
import { didFromPublicKey, parseShulianDid } from '../../crypto/index.ts';

/** Verification relationships of DID Core 1.0 §5.3. */
export const DID_RELATIONSHIPS = ['authentication', 'assertionMethod', 'keyAgreement', 'capabilityInvocation', 'capabilityDelegation'] as const;
export type DidRelationship = (typeof DID_RELATIONSHIPS)[number];

/** Relationships whose keys may sign transactions for the DID. */
export const SIGNING_RELATIONSHIPS: readonly DidRelationship[] = ['authentication', 'capabilityInvocation'];

/** One key ever registered for a DID. Revoked keys stay, so old signatures can be judged. */
export interface DidKeyState {
  /** Fragment of the verification method id (`<did>#<id>`), never reused within a DID. */
  id: string;
  suite: 'sm2' | 'ed25519';
  /** Canonical Multikey encoding (SM2 compressed). */
  publicKeyMultibase: string;
  /** Lowercase hex as chain transactions carry it (SM2 65-byte uncompressed, Ed25519 32 bytes). */
  publicKey: string;
  relationships: DidRelationship[];
  addedAt: number;
  /** Height of the block whose tx rotated, removed or deactivated this key: it signs nothing after. */
  revokedAt?: number;
  revokedBy?: 'rotate' | 'remove' | 'deactivate';
}

export type ServiceEndpointValue = string | { [k: string]: JsonValue };
export type ServiceEndpoint = ServiceEndpointValue | ServiceEndpointValue[];

export interface DidServiceState {
  /** Fragment of the service id (`<did>#<id>`). */
  id: string;
  type: string | string[];
  serviceEndpoint: ServiceEndpoint;
}

export interface DidEventStamp {
  height: number;
  /** Block time, ms since the Unix epoch. */
  time: number;
  tx: string;
}

/** The stored state of one DID: `did/doc/<id>`. */
export interface DidDocState {
  did: string;
  keys: DidKeyState[];
  services: DidServiceState[];
  /** Other DIDs that may update this one (the DID itself always may, with a current key). */
  controllers: string[];
  created: DidEventStamp;
  updated: DidEventStamp;
  /** 1 after create, one more after each update; DID Resolution's versionId is its decimal string. */
  version: number;
  /** Number for the next automatically named key, `key-<n>`. */
  nextKey: number;
  deactivated: boolean;
}

export const MODULE_NAME = 'did';

/** State key of a DID's document inside the module namespace: `doc/<id>`. */
export const docKey = (id: string): string => `doc/${id}`;
/** Full state key (as `getState` takes it) of a DID, given the DID or its method-specific id. */
export function docStateKey(didOrId: string): string {
  const id = didOrId.startsWith('did:') ? parseShulianDid(didOrId).id : didOrId;
  return `${MODULE_NAME}/${docKey(id)}`;
}

// ---- validation of stored state read from elsewhere (remote nodes, proofs) ------------------

const jsonValue: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([z.null(), z.boolean(), z.number(), z.string(), z.array(jsonValue), z.record(z.string(), jsonValue)]),
);
const endpointValue = z.union([z.string(), z.record(z.string(), jsonValue)]);
const stamp = z.strictObject({ height: z.number().int().min(0), time: z.number().int().min(0), tx: z.string() });

export const didDocStateSchema: z.ZodType<DidDocState> = z.strictObject({
  did: z.string(),
  keys: z.array(z.strictObject({
    id: z.string(),
    suite: z.enum(['sm2', 'ed25519']),
    publicKeyMultibase: z.string(),
    publicKey: z.string().regex(/^[0-9a-f]+$/),
    relationships: z.array(z.enum(DID_RELATIONSHIPS)),
    addedAt: z.number().int().min(0),
    revokedAt: z.number().int().min(0).optional(),
    revokedBy: z.enum(['rotate', 'remove', 'deactivate']).optional(),
  })),
  services: z.array(z.strictObject({
    id: z.string(),
    type: z.union([z.string(), z.array(z.string())]),
    serviceEndpoint: z.union([endpointValue, z.array(endpointValue)]),
  })),
  controllers: z.array(z.string()),
  created: stamp,
  updated: stamp,
  version: z.number().int().min(1),
  nextKey: z.number().int().min(1),
  deactivated: z.boolean(),
}) as z.ZodType<DidDocState>;

/** Decodes a stored value; undefined when it is not a DID document state. */
export function readDidDocState(value: JsonValue | null | undefined): DidDocState | undefined {
  if (value === null || value === undefined) return undefined;
  const r = didDocStateSchema.safeParse(value);
  return r.success ? r.data : undefined;
}

// ---- who may sign -----------------------------------------------------------------------------

export type KeyAuthorization =
  | { ok: true; via: 'self-certifying' | 'document'; keyId?: string }
  | { ok: false; code: 'DID_KEY_NOT_AUTHORIZED' | 'DID_KEY_REVOKED' | 'DID_DEACTIVATED' | 'DID_KEY_INVALID'; message: string };

const HEX_KEY_RE = /^(?:[0-9a-f]{64}|04[0-9a-f]{128})$/;

/**
 * Whether `pubkeyHex` may sign for `did` given the DID's stored state (`undefined` when it has no
 * document): with no document only the self-certifying key (the one the DID is derived from);
 * with one, only keys currently in `authentication` or `capabilityInvocation`. Keys revoked by
 * rotation or removal are refused, as is every key of a deactivated DID. Pure; never throws.
 */
export function authorizeKey(state: DidDocState | undefined, did: string, pubkeyHex: string): KeyAuthorization {
  const pk = typeof pubkeyHex === 'string' ? pubkeyHex.toLowerCase() : '';
  if (!HEX_KEY_RE.test(pk)) {
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
