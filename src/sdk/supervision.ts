/**
 * Supervision (监管服务) through the SDK: the wire types of alerts and statistics, the calls of
 * the `supervision` module (rules, lists, approvals) and the reads of the supervision API
 * (docs/supervision.md).
 */
import { asJson, type JsonValue } from '../codec/index.ts';
import type { TxInclusion } from '../ledger/index.ts';
import type { FreezeEvidence, FreezeTarget } from '../modules/governance/types.ts';
import type { RuleSpec, Severity } from '../rules/index.ts';
import type { Call } from './types.ts';
import type { ShulianClient } from './client.ts';
import { supStateKey } from '../modules/supervision/keys.ts';
import type { ApprovalKind, ApprovalRecord } from '../modules/supervision/types.ts';

export type { ApprovalKind, ApprovalRecord, ListRecord, RuleRecord } from '../modules/supervision/types.ts';

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
  /**
   * Inclusion proofs of `txs` (same order), checked with verifyTxInclusion against each chain.
   * Made when the alert is read one by one (GET /v1/supervision/alerts/:id) and when it is
   * delivered to a webhook, not while blocks are processed: lists and the stream leave them out.
   */
  proofs?: TxInclusion[];
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

/** An alert as GET /v1/supervision/alerts/:id answers it: with its proofs. */
export type AlertWithProofs = Alert & { proofs: TxInclusion[] };

/** An alert in a list: without its proofs. */
export type AlertSummary = Omit<Alert, 'proofs' | 'history'>;

export interface AlertQuery {
  status?: AlertStatus;
  rule?: string;
  chain?: string;
  limit?: number;
  before?: string;
}

/** GET /v1/supervision/stats: per bucket (its start, ms), series name → total (decimal). */
export interface SupervisionStats {
  period: 'hour' | 'day';
  from: number;
  to: number;
  /** The chains the caller sees ("*": all). */
  scope: string[] | '*';
  buckets: Array<{ start: number; series: Record<string, string> }>;
}

// ---- the supervision module's calls (on the governance chain) ----------------------------

export const SUPERVISION_MODULE = 'supervision';

/** Publish a rule (or a new version of one's own). */
export function supPublishCall(rule: RuleSpec): Call {
  return { module: SUPERVISION_MODULE, method: 'publish', args: { rule: asJson(rule) } };
}

export function supRetireCall(id: string): Call {
  return { module: SUPERVISION_MODULE, method: 'retire', args: { id } };
}

export function supSetListCall(name: string, items: string[]): Call {
  return { module: SUPERVISION_MODULE, method: 'setList', args: { name, items } };
}

export function supApproveCall(a: { kind: 'lex-template' | 'evm-code'; hash: string; name: string; note?: string }): Call {
  return { module: SUPERVISION_MODULE, method: 'approve', args: asJson(a) };
}

/** An emergency freeze request (governance.emergencyFreeze) by a registered regulator. */
export function emergencyFreezeCall(a: { target: FreezeTarget; reason: string; evidence?: FreezeEvidence }): Call {
  return { module: 'governance', method: 'emergencyFreeze', args: asJson(a) };
}

/** Whether a regulator approved a lex template (its source hash) or EVM init code, and has not withdrawn it. */
export async function supApproval(client: ShulianClient, kind: ApprovalKind, hash: string, opts: { gov?: string } = {}): Promise<ApprovalRecord | undefined> {
  const v = (await client.state(opts.gov ?? 'gov', supStateKey.approval(kind, hash))).value as (ApprovalRecord & JsonValue) | null;
  return v && v.revokedAt === undefined ? v : undefined;
}

/** Evidence for a freeze proposal from an alert: its id, rule and txs. */
export function evidenceOf(a: Pick<Alert, 'id' | 'rule' | 'version' | 'txs'>): FreezeEvidence {
  return { alert: a.id, rule: a.rule, version: a.version, txs: a.txs.slice(0, 20).map((t) => ({ chain: t.chain, hash: t.hash, height: t.height })) };
}
