import { fullKeys, stateKey } from '../../codec/index.ts';
import type { ApprovalKind, ApprovalRecord, ListRecord, RuleRecord } from './types.ts';

/**
 * State layout of the supervision module (on the governance chain), each key with the record it
 * holds. `supKey` gives keys inside the module's namespace; `supStateKey` the full keys
 * (`supervision/…`) readers pass to a chain's getState.
 */
export const SUPERVISION = 'supervision';

export const supKey = {
  /** Sorted rule ids. */
  rules: () => stateKey<string[]>('rules'),
  /** A rule at its latest version. */
  rule: (id: string) => stateKey<RuleRecord>(`rule/${id}`),
  /** Every version of a rule, kept: which rule applied from which height. */
  ruleVersion: (id: string, version: number) => stateKey<RuleRecord>(`rule/${id}/v/${version}`),
  /** Sorted list names. */
  lists: () => stateKey<string[]>('lists'),
  list: (name: string) => stateKey<ListRecord>(`list/${name}`),
  /** Sorted approved hashes of a kind. */
  approvals: (kind: ApprovalKind) => stateKey<string[]>(`approvals/${kind}`),
  approval: (kind: ApprovalKind, hash: string) => stateKey<ApprovalRecord>(`approval/${kind}/${hash}`),
};

export const supStateKey = fullKeys(SUPERVISION, supKey);
