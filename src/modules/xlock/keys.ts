import { fullKeys, stateKey } from '../../codec/index.ts';
import type { ConsentRecord, LockTxRecord } from './types.ts';

/** State layout of the xlock module (the participant side), provable under the chain's state root. */
export const XLOCK = 'xlock';

export const xlockKey = {
  /** A transaction as this participant holds it: ops, vote, locks, decision. */
  tx: (coordinator: string, id: string) => stateKey<LockTxRecord>(`tx/${coordinator}/${id}`),
  /** An op owner's consent to a transaction's digest, given before its prepare. */
  consent: (coordinator: string, id: string, owner: string) => stateKey<ConsentRecord>(`consent/${coordinator}/${id}/${owner}`),
  /** Transactions that reached this chain, in order: `log/<n>` → `<coordinator>/<id>`, n from 1. */
  logCount: () => stateKey<number>('log/count'),
  log: (n: number) => stateKey<string>(`log/${n}`),
};

export const xlockStateKey = fullKeys(XLOCK, xlockKey);
/** Full state key of a participant's record of a transaction (what the 2PC monitor reads). */
export const lockTxStateKey = xlockStateKey.tx;
