/**
 * What the dataauth module decides, as pure functions of state it reads: the Agreement a request
 * implies, and whether a use may go ahead. The module runs them on chain; the API and the
 * console run the very same code over state they read (docs/data.md), so a decision is the same
 * wherever it is made.
 */
import { actionName, evaluate, parsePolicy, purposeName, type AtomicConstraint, type Constraint, type Duty, type Policy } from '../../odrl/index.ts';
import type { ConsentCheck } from '../consent/types.ts';
import type { GrantRecord, RequestRecord } from './types.ts';

export const ODRL_JSONLD_CONTEXT = 'http://www.w3.org/ns/odrl.jsonld';

/** The constraints a request asks to be held to, as ODRL constraints. */
export function requestConstraints(r: Pick<RequestRecord, 'purpose' | 'count' | 'notAfter' | 'recipient' | 'requester'>): Constraint[] {
  const cs: AtomicConstraint[] = [{ leftOperand: 'purpose', operator: 'isA', rightOperand: r.purpose }];
  if (r.count !== undefined) cs.push({ leftOperand: 'count', operator: 'lteq', rightOperand: r.count });
  if (r.notAfter !== undefined) cs.push({ leftOperand: 'dateTime', operator: 'lt', rightOperand: r.notAfter });
  cs.push({ leftOperand: 'recipient', operator: 'eq', rightOperand: r.recipient ?? r.requester });
  return cs;
}

/** The grant's uid: `urn:shulian:<chain>:grant:<id>`. */
export const grantUid = (chain: string, id: number): string => `urn:shulian:${chain}:grant:${id}`;

/**
 * The Agreement a request implies: each requested action permitted under the request's
 * constraints; with an offer, narrowed further by the constraints of the offer's permission
 * that allowed it, and carrying the offer's prohibitions, obligations and conflict strategy.
 */
export function agreementFor(r: RequestRecord, uid: string, target: string, offer?: { policy: Policy; rules: number[] }): Policy {
  const base = requestConstraints(r);
  const p: Policy = {
    '@context': ODRL_JSONLD_CONTEXT, '@type': 'Agreement', uid, assigner: r.owner, assignee: r.requester, target,
    permission: r.actions.map((action, i) => {
      const from = offer ? offer.policy.permission![offer.rules[i]!]! : undefined;
      const rule: { action: string; constraint: Constraint[]; duty?: Duty[] } = { action, constraint: [...base, ...(from?.constraint ?? [])] };
      if (from?.duty) rule.duty = from.duty;
      return rule;
    }),
  };
  if (offer?.policy.prohibition) p.prohibition = offer.policy.prohibition;
  if (offer?.policy.obligation) p.obligation = offer.policy.obligation;
  if (offer?.policy.conflict) p.conflict = offer.policy.conflict;
  // The evaluator's own check: what is granted is what it can evaluate.
  return parsePolicy(p);
}

/** What an offer says of a request: the permission that allows each action, or the first refusal. */
export function offerDecision(offer: Policy, r: RequestRecord, target: string, time: number): { ok: true; rules: number[] } | { ok: false; message: string } {
  const rules: number[] = [];
  for (const action of r.actions) {
    const d = evaluate(offer, { action, target, assignee: r.requester, purpose: r.purpose, recipient: r.recipient ?? r.requester, count: 1, time });
    if (!d.permitted) return { ok: false, message: `the owner's offer does not permit ${action}: ${d.message}` };
    rules.push(Number(/^permission\[(\d+)\]$/.exec(d.rule)![1]));
  }
  return { ok: true, rules };
}

export interface UseFacts {
  grant: GrantRecord;
  /** Uses so far. */
  uses: number;
  revoked: boolean;
  datasetActive: boolean;
  /** The consents the use relies on, each checked at the use's height. */
  consents: Array<{ digest: string; check: ConsentCheck }>;
  /** Block time of the use. */
  time: number;
}
export interface UseAsk {
  user: string;
  action: string;
  purpose?: string;
  recipient?: string;
}
export type UseVerdict =
  | { ok: true; count: number; purpose: string; recipient: string; duties: Duty[]; rule: string }
  | { ok: false; code: string; message: string; rule?: string };

/** Whether a use may go ahead: grantee, status entry, dataset, consents, then the ODRL policy. */
export function decideUse(f: UseFacts, u: UseAsk): UseVerdict {
  const g = f.grant;
  if (u.user !== g.grantee) return { ok: false, code: 'DATAAUTH_NOT_GRANTEE', message: `grant ${g.id} was made to ${g.grantee}; ${u.user} may not use it` };
  if (f.revoked) return { ok: false, code: 'DATAAUTH_REVOKED', message: `grant ${g.id} was revoked by ${g.owner} (entry ${g.status.index} of status list ${g.status.listId} is set)` };
  if (!f.datasetActive) return { ok: false, code: 'DATAAUTH_DATASET_WITHDRAWN', message: `dataset ${g.dataset} was withdrawn from the catalog` };
  for (const c of f.consents) if (!c.check.active) return { ok: false, code: c.check.code, message: `${c.check.message}; grant ${g.id} relies on it` };
  if (!actionName(u.action)) return { ok: false, code: 'ODRL_UNKNOWN_ACTION', message: `action "${u.action}" is not an ODRL 2.2 action this evaluator knows` };
  const purpose = u.purpose ?? g.purpose;
  if (!purposeName(purpose)) return { ok: false, code: 'ODRL_UNKNOWN_PURPOSE', message: `"${purpose}" is not a DPV purpose` };
  const recipient = u.recipient ?? g.grantee;
  const count = f.uses + 1;
  const d = evaluate(g.policy, { action: u.action, target: g.target, assignee: u.user, purpose, recipient, count, time: f.time });
  if (!d.permitted) return { ok: false, code: d.code, message: `grant ${g.id}: ${d.message}`, rule: d.rule };
  return { ok: true, count, purpose, recipient, duties: d.duties, rule: d.rule };
}
