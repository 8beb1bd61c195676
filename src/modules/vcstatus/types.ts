/**
 * Types of the vcstatus module (W3C Bitstring Status List v1.0 on chain): the list record it
 * keeps in state and the list geometry its clients share. State keys: keys.ts.
 */

export type StatusPurpose = 'revocation' | 'suspension';

/** What the chain keeps about a list, at `vcstatus/list/<listId>`. */
export interface StatusListRecord {
  listId: string;
  /** DID that created the list: the only one allowed to set its bits. */
  issuer: string;
  purpose: StatusPurpose;
  /** Entries (bits). */
  size: number;
  height: number;
  time: number;
  tx: string;
}

/** Smallest list (Bitstring Status List §3.2: 131,072 entries, 16 KiB), for group privacy. */
export const MIN_LIST_SIZE = 131_072;
export const MAX_LIST_SIZE = 1_048_576;
export const CHUNK_BITS = 4096;
export const CHUNK_BYTES = CHUNK_BITS / 8;
export const LIST_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Bytes of chunk `chunk` of a list of `size` entries (the last may be short). */
export function chunkLength(size: number, chunk: number): number {
  return Math.min(CHUNK_BYTES, size / 8 - chunk * CHUNK_BYTES);
}
