/** State keys of the credadmit module (docs/modules.md). */
import { fullKeys, stateKey } from '../../codec/index.ts';
import { CREDADMIT, type PresentationRecord } from './types.ts';

export const credadmitKey = {
  /** A holder's presentation for a chain. */
  presentation: (chain: string, holder: string) => stateKey<PresentationRecord>(`vp/${chain}/${holder}`),
};
export const credadmitStateKey = fullKeys(CREDADMIT, credadmitKey);
