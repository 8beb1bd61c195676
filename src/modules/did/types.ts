/**
 * What the identity chain's `did` module stores for a DID (documents, certificate bindings) and
 * how a stored document is checked when it comes from elsewhere, and which key may sign for a
 * DID (authorize.ts, re-exported here). State keys: keys.ts. No I/O here.
 */
import type { JsonValue } from '../../codec/index.ts';
import { jsonSchema, z } from '../../codec/schemas.ts';
import { parseShulianDid } from '../../crypto/index.ts';

/** Verification relationships of DID Core 1.0 §5.3. */
export const DID_RELATIONSHIPS = ['authentication', 'assertionMethod', 'keyAgreement', 'capabilityInvocation', 'capabilityDelegation'] as const;
export type DidRelationship = (typeof DID_RELATIONSHIPS)[number];

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

// ---- validation of stored state read from elsewhere (remote nodes, proofs) ------------------

const jsonValue = jsonSchema;
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

/**
 * A did:shulian DID as the `did` module takes it in args: well formed, and its identifier decodes
 * to the 20 bytes documents are kept under (DID_RE in codec/schemas.ts checks only the form).
 */
export const shulianDidArg = z.string().max(64).superRefine((s, ctx) => {
  try {
    parseShulianDid(s);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

/** One bound certificate, as stored. Times are ms since the Unix epoch. */
export interface BoundCertificate {
  /** SM3 of the leaf certificate's DER, lowercase hex. */
  fingerprint: string;
  subject: string;
  issuer: string;
  notBefore: number;
  notAfter: number;
  /** Height of the block that bound it. */
  boundAt: number;
  /** The DID key (fragment) the leaf certifies. */
  keyId: string;
  /** SM3 fingerprint of the configured root the chain ends at. */
  root: string;
  tx: string;
}

/** Stored at `did/certs/<id>`. */
export interface CertificateBindingsState {
  did: string;
  certificates: BoundCertificate[];
}

// Which key may sign for a DID: a pure rule over these records, for admission and off-chain checks.
export { authorizeKey, SIGNING_RELATIONSHIPS, type KeyAuthorization } from './authorize.ts';
