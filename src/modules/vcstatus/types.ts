/** Records the vcstatus module keeps in state (W3C Bitstring Status List v1.0). */

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
