/**
 * State layout of the supervision module (on the governance chain). `supKey` gives keys inside
 * the module's namespace; `supStateKey` the full keys (`supervision/…`) readers pass to getState.
 */
import type { ApprovalKind } from './types.ts';

export const supKey = {
  /** Sorted rule ids. */
  rules: () => 'rules',
  rule: (id: string) => `rule/${id}`,
  ruleVersion: (id: string, version: number) => `rule/${id}/v/${version}`,
  /** Sorted list names. */
  lists: () => 'lists',
  list: (name: string) => `list/${name}`,
  /** Sorted approved hashes of a kind. */
  approvals: (kind: ApprovalKind) => `approvals/${kind}`,
  approval: (kind: ApprovalKind, hash: string) => `approval/${kind}/${hash}`,
};

export const supStateKey = {
  rules: () => `supervision/${supKey.rules()}`,
  rule: (id: string) => `supervision/${supKey.rule(id)}`,
  ruleVersion: (id: string, version: number) => `supervision/${supKey.ruleVersion(id, version)}`,
  lists: () => `supervision/${supKey.lists()}`,
  list: (name: string) => `supervision/${supKey.list(name)}`,
  approvals: (kind: ApprovalKind) => `supervision/${supKey.approvals(kind)}`,
  approval: (kind: ApprovalKind, hash: string) => `supervision/${supKey.approval(kind, hash)}`,
};
