import { fullKeys, stateKey } from '../../codec/index.ts';
import type { XtxRecord } from './types.ts';

/** State layout of the xtx module (the coordinator). */
export const XTX = 'xtx';

export const xtxKey = {
  /** A transaction: its body, votes, decision and what each participant confirmed. */
  tx: (id: string) => stateKey<XtxRecord>(`tx/${id}`),
  /** Transactions begun here, in order: `log/<n>` → id, n from 1. */
  logCount: () => stateKey<number>('log/count'),
  log: (n: number) => stateKey<string>(`log/${n}`),
};

export const xtxStateKey = fullKeys(XTX, xtxKey);
