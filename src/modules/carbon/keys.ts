/** State keys of the carbon module, each with the record it holds (docs/modules.md). Amounts are decimal strings. */
import { fullKeys, stateKey } from '../../codec/index.ts';
import { CARBON, type ActivityRecord, type CarbonStats, type MethodologyRecord, type ProposalRecord, type RetirementRecord } from './types.ts';

export const carbonKey = {
  methodology: (id: string, version: number) => stateKey<MethodologyRecord>(`method/${id}/${version}`),
  proposal: (n: number) => stateKey<ProposalRecord>(`proposal/${n}`),
  proposals: () => stateKey<number>('proposals'),
  /** An activity digest issued: at most once. */
  activity: (digest: string) => stateKey<ActivityRecord>(`activity/${digest}`),
  /** End of a citizen's last credited trip (trips may not overlap). */
  lastTrip: (citizen: string) => stateKey<number>(`lasttrip/${citizen}`),
  /** A household's credited electricity period. */
  period: (citizen: string, period: string) => stateKey<string>(`period/${citizen}/${period}`),
  balance: (who: string) => stateKey<string>(`bal/${who}`),
  /** Points outstanding (issued minus retired). */
  supply: () => stateKey<string>('supply'),
  stats: (id: string, version: number) => stateKey<CarbonStats>(`stats/${id}/${version}`),
  /** Points retired, ever. */
  retired: () => stateKey<string>('retired'),
  retirements: () => stateKey<number>('retirements'),
  retirement: (n: number) => stateKey<RetirementRecord>(`retirement/${n}`),
};

/** Full chain-state keys (`carbon/…`), for readers. */
export const carbonStateKey = fullKeys(CARBON, carbonKey);
