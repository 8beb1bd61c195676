/** State keys of the privacy module, each with the record it holds (docs/modules.md). */
import { fullKeys, stateKey } from '../../codec/index.ts';
import { PRIVACY, type RunRecord } from './types.ts';

export const privacyKey = {
  run: (id: number) => stateKey<RunRecord>(`run/${id}`),
  /** Runs ever requested. */
  runs: () => stateKey<number>('nrun'),
  /** The n-th run a requester asked for, and how many. */
  byRequester: (did: string, n: number) => stateKey<number>(`rq/${did}/${n}`),
  requesterCount: (did: string) => stateKey<number>(`nrq/${did}`),
  /** The run a fee packet's sequence belongs to. */
  feePacket: (sequence: number) => stateKey<number>(`fee/${sequence}`),
};

export const privacyStateKey = fullKeys(PRIVACY, privacyKey);
