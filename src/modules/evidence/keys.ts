import type { Evidence } from '../../ledger/index.ts';
import { fullKeys, stateKey } from '../../codec/index.ts';
import type { EvidenceRecord } from './types.ts';

/** State layout of the evidence module. */
export const EVIDENCE = 'evidence';

type Offence = Pick<Evidence, 'validator' | 'height' | 'round' | 'type'> & { voteType?: string };

export const evidenceKeys = {
  /** One record per offence: validator, height, round, kind (and vote type). */
  record: (e: Offence) => stateKey<EvidenceRecord>(`rec/${e.validator}/${e.height}/${e.round}/${e.type}${e.voteType ? `/${e.voteType}` : ''}`),
};

export const evidenceStateKey = fullKeys(EVIDENCE, evidenceKeys);
/** State key of an equivocation, inside the module's namespace (its earlier name). */
export const evidenceKey = evidenceKeys.record;
