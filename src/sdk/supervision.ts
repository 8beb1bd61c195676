/**
 * Supervision (监管服务) through the SDK: the wire types of alerts and statistics, the calls of
 * the `supervision` module (rules, lists, approvals) and the reads of the supervision API
 * (docs/supervision.md).
 */
import type { TxInclusion } from '../ledger/index.ts';
import type { Severity } from '../rules/index.ts';

export type { RuleSpec, RuleKind, Severity, RuleScope } from '../rules/index.ts';

/** A committed tx an alert points at. */
export interface TxRef {
  chain: string;
  hash: string;
  height: number;
  index: number;
}

export const ALERT_STATUSES = ['open', 'acknowledged', 'assigned', 'closed'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

/** An alert raised by a rule: what, where, the evidence with inclusion proofs, and how it is handled. */
export interface Alert {
  /** Hex digest of the rule, its version and the txs that raised it: the same alert always gets the same id. */
  id: string;
  rule: string;
  version: number;
  severity: Severity;
  title: string;
  /** The regulator that published the rule. */
  owner: string;
  chain: string;
  height: number;
  /** Block time of the tx that raised it, ms. */
  time: number;
  /** One line: what the rule saw (e.g. "sum 5200000 > 5000000 over 3600000 ms for did:…"). */
  detail: string;
  /** The window or sequence key (e.g. the sender's DID), when the rule has one. */
  key?: string;
  /** The aggregate that crossed the threshold, for window rules. */
  value?: string;
  txs: TxRef[];
  /** Inclusion proofs of `txs` (same order), checked with verifyTxInclusion against each chain. */
  proofs: TxInclusion[];
  /** Height of the governance chain whose rules were in force. */
  govHeight: number;
  /** When this service raised it (its clock, ms). */
  raisedAt: number;
  status: AlertStatus;
  /** The console work order that tracks it, once acknowledged. */
  workOrder?: number;
  assignee?: string;
  /** Governance proposals opened from it (freezes). */
  proposals?: number[];
  history: Array<{ at: number; by: string; status: AlertStatus; note?: string }>;
}

/** An alert in a list: without its proofs. */
export type AlertSummary = Omit<Alert, 'proofs' | 'history'>;
