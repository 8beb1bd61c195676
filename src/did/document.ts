/**
 * DID documents (W3C DID Core 1.0 §5) and their metadata (§7.1.3) built from the `did` module's
 * stored state. The same function serves the resolver and the proof checker, so a checked
 * proof of the state is a proof of the document.
 */
import { asJson, type JsonValue } from '../codec/index.ts';
import { DID_RELATIONSHIPS, type DidDocState, type DidRelationship, type ServiceEndpoint } from '../modules/did/types.ts';

export const DID_CONTEXT = 'https://www.w3.org/ns/did/v1';
export const MULTIKEY_CONTEXT = 'https://w3id.org/security/multikey/v1';

export interface VerificationMethod {
  id: string;
  type: 'Multikey';
  controller: string;
  publicKeyMultibase: string;
}

export interface DidService {
  id: string;
  type: string | string[];
  serviceEndpoint: ServiceEndpoint;
}

/** A DID document in its JSON-LD representation (application/did+ld+json). */
export interface DidDocument {
  '@context': string[];
  id: string;
  controller?: string[];
  verificationMethod?: VerificationMethod[];
  authentication?: string[];
  assertionMethod?: string[];
  keyAgreement?: string[];
  capabilityInvocation?: string[];
  capabilityDelegation?: string[];
  service?: DidService[];
}

/** DID document metadata (DID Core §7.1.3), plus the chain heights behind the times. */
export interface DidDocumentMetadata {
  /** XML datetime (UTC, no fractional seconds) of the create block. */
  created?: string;
  updated?: string;
  versionId?: string;
  deactivated?: boolean;
  createdHeight?: number;
  updatedHeight?: number;
}

/** Block time (ms) as an XML datetime normalised to UTC without sub-second precision. */
export function xmlDateTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * The DID document of a stored state. Revoked keys are left out; relationships refer to their
 * verification methods by id; `controller` appears when other DIDs control this one and then
 * lists the DID itself first (it always controls itself through its own keys).
 */
export function buildDidDocument(st: DidDocState): DidDocument {
  const did = st.did;
  const doc: DidDocument = { '@context': [DID_CONTEXT, MULTIKEY_CONTEXT], id: did };
  if (st.controllers.length > 0) doc.controller = [did, ...st.controllers];
  const keys = st.keys.filter((k) => k.revokedAt === undefined);
  if (keys.length > 0) {
    doc.verificationMethod = keys.map((k) => ({ id: `${did}#${k.id}`, type: 'Multikey', controller: did, publicKeyMultibase: k.publicKeyMultibase }));
  }
  for (const rel of DID_RELATIONSHIPS) {
    const refs = keys.filter((k) => k.relationships.includes(rel as DidRelationship)).map((k) => `${did}#${k.id}`);
    if (refs.length > 0) doc[rel] = refs;
  }
  if (st.services.length > 0) {
    doc.service = st.services.map((s) => ({ id: `${did}#${s.id}`, type: s.type, serviceEndpoint: s.serviceEndpoint }));
  }
  return doc;
}

export function buildDocumentMetadata(st: DidDocState): DidDocumentMetadata {
  return {
    created: xmlDateTime(st.created.time),
    updated: xmlDateTime(st.updated.time),
    versionId: String(st.version),
    createdHeight: st.created.height,
    updatedHeight: st.updated.height,
    deactivated: st.deactivated,
  };
}

/** A document as plain JSON (for hashing or comparing canonically). */
export const documentJson = (d: DidDocument | DidDocumentMetadata): JsonValue => asJson(d);
