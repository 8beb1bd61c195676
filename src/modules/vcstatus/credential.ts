import { gzipSync } from 'node:zlib';
import { fromHex, stateValue, type JsonValue } from '../../codec/index.ts';
import { chunkStateKey, listStateKey } from './keys.ts';
import { CHUNK_BITS, CHUNK_BYTES, chunkLength, LIST_ID_RE, type StatusListRecord } from './types.ts';

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
 * the issuer of the credential whose status they read.
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
    '@context': ['https://www.w3.org/ns/credentials/v2'],
    id: i.url,
    type: ['VerifiableCredential', 'BitstringStatusListCredential'],
    issuer: i.issuer,
    validFrom: i.validFrom,
  };
  if (i.validUntil !== undefined) vc.validUntil = i.validUntil;
  vc.credentialSubject = subject;
  return vc;
}

/**
 * A list and its full bitstring, read through `get` (full state keys, e.g. ChainView.getState's
 * value). Undefined when there is no such list.
 */
export function readStatusList(get: (stateKey: string) => JsonValue | null | undefined, listIdValue: string): { record: StatusListRecord; bitstring: Uint8Array } | undefined {
  if (!LIST_ID_RE.test(listIdValue)) return undefined;
  const key = listStateKey(listIdValue);
  const record = stateValue(key, get(key));
  if (!record) return undefined;
  const bitstring = new Uint8Array(record.size / 8);
  const chunks = Math.ceil(record.size / CHUNK_BITS);
  for (let c = 0; c < chunks; c++) {
    const hex = get(chunkStateKey(listIdValue, c));
    if (typeof hex === 'string') bitstring.set(fromHex(hex).subarray(0, chunkLength(record.size, c)), c * CHUNK_BYTES);
  }
  return { record, bitstring };
}
