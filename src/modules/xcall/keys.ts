import { fullKeys, stateKey } from '../../codec/index.ts';
import type { CallResult } from './types.ts';

/** State layout of the xcall module. */
export const XCALL = 'xcall';

export const xcallKey = {
  result: (dst: string, seq: number) => stateKey<CallResult>(`result/${dst}/${seq}`),
};

export const xcallStateKey = fullKeys(XCALL, xcallKey);
