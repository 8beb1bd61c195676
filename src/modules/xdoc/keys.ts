import { fullKeys, stateKey } from '../../codec/index.ts';
import type { DocLockRecord, DocRecord } from './types.ts';

/** State layout of the xdoc module. */
export const XDOC = 'xdoc';

export const xdocKey = {
  doc: (id: string) => stateKey<DocRecord>(`doc/${id}`),
  /** A lock for an atomic transaction (xlock). */
  lock: (lock: string) => stateKey<DocLockRecord>(`lock/${lock}`),
};

export const xdocStateKey = fullKeys(XDOC, xdocKey);
