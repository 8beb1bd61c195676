import { fullKeys, stateKey } from '../../codec/index.ts';
import type { StatusListRecord } from './types.ts';

/** State layout of the vcstatus module. */
export const VCSTATUS = 'vcstatus';

export const vcstatusKey = {
  list: (listId: string) => stateKey<StatusListRecord>(`list/${listId}`),
  /** One 512-byte chunk of a list's bitstring, as hex; a chunk of zeros is no key. */
  chunk: (listId: string, chunk: number) => stateKey<string>(`bits/${listId}/${chunk}`),
};

export const vcstatusStateKey = fullKeys(VCSTATUS, vcstatusKey);
/** Full state keys of a list and of a chunk of its bits (readers, proofs). */
export const listStateKey = vcstatusStateKey.list;
export const chunkStateKey = vcstatusStateKey.chunk;
