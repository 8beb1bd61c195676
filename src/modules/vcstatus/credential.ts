import { gzipSync } from 'node:zlib';
import type { JsonValue } from '../../codec/index.ts';
import type { StatusListRecord } from './types.ts';

/** `encodedList`: multibase base64url ('u', no padding) of the GZIP'd bitstring (Bitstring Status List §2.2). */
export function encodeBitstring(bitstring: Uint8Array): string {
  return 'u' + gzipSync(bitstring).toString('base64url');
}

export interface StatusListCredentialInput {
  /** The URL the credential is served at: its `id`, and what credentials' statusListCredential names. */
  url: string;
  record: StatusListRecord;
  bitstring: Uint8Array;
  /** The status service's DID (the node), which signs the credential. */
  issuer: string;
  validFrom: string;
  validUntil?: string;
  /** Chain and height the bitstring was read at. */
  chain: string;
  height: number;
  /** How long (ms) a verifier may cache it. */
  ttl?: number;
}

/**
 * The unsigned BitstringStatusListCredential of a list. `credentialSubject.listController` names
 * the DID that owns the list on chain: verifiers that trust the status service check it equals
 * the issuer of the credential whose status they read. Shulian's own terms (listController,
 * chain, height) are defined by no published context, so the undefined-terms context comes last
 * (VC Data Model 2.0 §5.2).
 */
export function buildStatusListCredential(i: StatusListCredentialInput): { [key: string]: JsonValue } {
  const subject: { [key: string]: JsonValue } = {
    id: `${i.url}#list`,
    type: 'BitstringStatusList',
    statusPurpose: i.record.purpose,
    encodedList: encodeBitstring(i.bitstring),
    listController: i.record.issuer,
    chain: i.chain,
    height: i.height,
  };
  if (i.ttl !== undefined) subject.ttl = i.ttl;
  const vc: { [key: string]: JsonValue } = {
    '@context': ['https://www.w3.org/ns/credentials/v2', 'https://www.w3.org/ns/credentials/undefined-terms/v2'],
    id: i.url,
    type: ['VerifiableCredential', 'BitstringStatusListCredential'],
    issuer: i.issuer,
    validFrom: i.validFrom,
  };
  if (i.validUntil !== undefined) vc.validUntil = i.validUntil;
  vc.credentialSubject = subject;
  return vc;
}
