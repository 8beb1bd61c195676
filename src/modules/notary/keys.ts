import { fullKeys, stateKey } from '../../codec/index.ts';
import type { NotaryRecord } from './types.ts';

/** State layout of the notary module. */
export const NOTARY = 'notary';

export const notaryKey = {
  /** A record by its document digest. */
  record: (hash: string) => stateKey<NotaryRecord>(`rec/${hash}`),
};

export const notaryStateKey = fullKeys(NOTARY, notaryKey);
/** Earlier names, kept for importers: `rec/<hash>` and its full key `notary/rec/<hash>`. */
export const recordKey = notaryKey.record;
export const recordStateKey = notaryStateKey.record;
