import { fullKeys, stateKey } from '../../codec/index.ts';
import type { NotaryRecord } from './types.ts';

/** State layout of the notary module. */
export const NOTARY = 'notary';

export const notaryKey = {
  /** A record by its document digest. */
  record: (hash: string) => stateKey<NotaryRecord>(`rec/${hash}`),
};

export const notaryStateKey = fullKeys(NOTARY, notaryKey);
/** The full state key of a record, `notary/rec/<hash>` (readers, proofs). */
export const recordStateKey = notaryStateKey.record;
