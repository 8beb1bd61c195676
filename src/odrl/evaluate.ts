/**
 * One deterministic ODRL 2.2 evaluator for the chain (dataauth), the API and the console: the
 * same policy and the same facts give the same decision everywhere. No clock (the time is a
 * fact: the block time), no I/O, no floats. Semantics follow the ODRL 2.2 Information Model:
 * a permission applies when its action covers the request's, its target and assignee match and
 * every constraint is satisfied; an applicable prohibition conflicts with it, resolved by the
 * policy's conflict strategy (§2.7.1: `invalid` when none is given, which voids the policy).
 */
import type { AtomicConstraint, Constraint, Duty, Policy, Rule } from './policy.ts';
import { parseDateTimeMs } from './policy.ts';
import { actionCovers, actionName, purposeIsA, purposeName } from './vocab.ts';
import { ShulianError } from '../codec/index.ts';

/** What a use asks for, and the facts the constraints are evaluated against. */
export interface UseRequest {
  action: string;
  /** The resource used (the dataset's IRI). */
  target: string;
  /** DID of the party using it. */
  assignee: string;
  /** DPV purpose the use declares. */
  purpose?: string;
  /** DID receiving the data; the assignee when absent. */
  recipient?: string;
  /** Uses of the grant including this one. */
  count: number;
  /** Block time, ms. */
  time: number;
}

export type Decision =
  | { permitted: true; rule: string; duties: Duty[] }
  | { permitted: false; code: DenyCode; rule: string; message: string };

export type DenyCode = 'ODRL_NO_PERMISSION' | 'ODRL_CONSTRAINT' | 'ODRL_PROHIBITED' | 'ODRL_CONFLICT';

function describe(c: Constraint): string {
  if ('and' in c) return `and(${c.and.map(describe).join(', ')})`;
  if ('or' in c) return `or(${c.or.map(describe).join(', ')})`;
  if ('xone' in c) return `xone(${c.xone.map(describe).join(', ')})`;
  return `${c.leftOperand} ${c.operator} ${JSON.stringify(c.rightOperand)}`;
}

function compare(op: string, a: number, b: number): boolean {
  switch (op) {
    case 'eq': return a === b;
    case 'neq': return a !== b;
    case 'lt': return a < b;
    case 'lteq': return a <= b;
    case 'gt': return a > b;
    case 'gteq': return a >= b;
    default: return false;
  }
}

function atomic(c: AtomicConstraint, r: UseRequest): boolean {
  const list = Array.isArray(c.rightOperand) ? c.rightOperand : [c.rightOperand];
  switch (c.leftOperand) {
    case 'count':
      return compare(c.operator, r.count, c.rightOperand as number);
    case 'dateTime':
      return compare(c.operator, r.time, parseDateTimeMs(c.rightOperand as string)!);
    case 'purpose': {
      const p = r.purpose === undefined ? undefined : purposeName(r.purpose);
      if (p === undefined) return false;
      const names = list.map((x) => purposeName(String(x))!);
      switch (c.operator) {
        case 'eq': return p === names[0];
        case 'neq': return p !== names[0];
        case 'isA': return purposeIsA(p, names[0]!);
        case 'isAnyOf': return names.some((n) => purposeIsA(p, n));
        case 'isNoneOf': return !names.some((n) => purposeIsA(p, n));
        case 'isAllOf': return names.every((n) => purposeIsA(p, n));
        default: return false;
      }
    }
    case 'recipient': {
      const who = r.recipient ?? r.assignee;
      switch (c.operator) {
        case 'eq': return who === list[0];
        case 'neq': return who !== list[0];
        case 'isAnyOf': return list.includes(who);
        case 'isNoneOf': return !list.includes(who);
        default: return false;
      }
    }
  }
}

/** Whether a constraint holds for the request (ODRL 2.2 §2.5: logical constraints over their operands). */
export function satisfied(c: Constraint, r: UseRequest): boolean {
  if ('and' in c) return c.and.every((x) => satisfied(x, r));
  if ('or' in c) return c.or.some((x) => satisfied(x, r));
  if ('xone' in c) return c.xone.filter((x) => satisfied(x, r)).length === 1;
  return atomic(c, r);
}

/** Whether a rule is about this request (action, target, assignee), constraints aside. */
function concerns(rule: Rule, policy: Policy, r: UseRequest, action: string): boolean {
  const target = rule.target ?? policy.target;
  const assignee = rule.assignee ?? policy.assignee;
  return actionCovers(rule.action, action) && (target === undefined || target === r.target) && (assignee === undefined || assignee === r.assignee);
}

/** The first constraint of a rule that fails, with its path; undefined when all hold. */
function failing(rule: Rule, r: UseRequest, path: string): string | undefined {
  const cs = rule.constraint ?? [];
  for (let i = 0; i < cs.length; i++) if (!satisfied(cs[i]!, r)) return `${path}.constraint[${i}] (${describe(cs[i]!)})`;
  return undefined;
}

/**
 * Decides a use under a parsed policy (see parsePolicy). Denials name the rule that decided:
 * the constraint that failed, the prohibition that applied, or that no permission covers it.
 */
export function evaluate(policy: Policy, r: UseRequest): Decision {
  const action = actionName(r.action);
  if (!action) throw new ShulianError('ODRL_UNKNOWN_ACTION', `the request's action "${r.action}" is not an ODRL 2.2 action this evaluator knows`);
  const perms = policy.permission ?? [];
  let granted: { rule: string; duties: Duty[] } | undefined;
  let firstFailure: string | undefined;
  for (let i = 0; i < perms.length && !granted; i++) {
    const p = perms[i]!;
    if (!concerns(p, policy, r, action)) continue;
    const fail = failing(p, r, `permission[${i}]`);
    if (fail) firstFailure ??= fail;
    else granted = { rule: `permission[${i}]`, duties: [...(p.duty ?? []), ...(policy.obligation ?? [])] };
  }
  const prohibs = policy.prohibition ?? [];
  for (let i = 0; i < prohibs.length; i++) {
    const p = prohibs[i]!;
    if (!concerns(p, policy, r, action) || failing(p, r, `prohibition[${i}]`)) continue;
    const rule = `prohibition[${i}] (${p.action}${p.constraint ? ` when ${p.constraint.map(describe).join(' and ')}` : ''})`;
    if (!granted) return { permitted: false, code: 'ODRL_PROHIBITED', rule, message: `${action} is prohibited by ${rule}` };
    const strategy = policy.conflict ?? 'invalid';
    if (strategy === 'perm') return { permitted: true, ...granted };
    return strategy === 'prohibit'
      ? { permitted: false, code: 'ODRL_PROHIBITED', rule, message: `${action} is permitted by ${granted.rule} but prohibited by ${rule}; the policy's conflict strategy is "prohibit"` }
      : { permitted: false, code: 'ODRL_CONFLICT', rule, message: `${granted.rule} and ${rule} both apply and the policy's conflict strategy is "invalid" (the ODRL default): the policy is void for this use` };
  }
  if (granted) return { permitted: true, ...granted };
  if (firstFailure) return { permitted: false, code: 'ODRL_CONSTRAINT', rule: firstFailure, message: `${action} of ${r.target} is outside the policy: ${firstFailure} does not hold (count ${r.count}, time ${r.time}${r.purpose ? `, purpose ${r.purpose}` : ''}, recipient ${r.recipient ?? r.assignee})` };
  return { permitted: false, code: 'ODRL_NO_PERMISSION', rule: 'permission', message: `no permission of the policy covers ${action} of ${r.target} by ${r.assignee}` };
}

/**
 * The most uses a policy allows a request of `action` (the smallest `count lteq/lt/eq` bound of
 * the permissions concerned), for display; undefined when unbounded.
 */
export function countLimit(policy: Policy, action: string): number | undefined {
  let limit: number | undefined;
  const visit = (c: Constraint): void => {
    if ('and' in c) c.and.forEach(visit);
    else if (!('or' in c) && !('xone' in c) && c.leftOperand === 'count') {
      const n = c.rightOperand as number;
      const bound = c.operator === 'lt' ? n - 1 : c.operator === 'lteq' || c.operator === 'eq' ? n : undefined;
      if (bound !== undefined) limit = limit === undefined ? bound : Math.min(limit, bound);
    }
  };
  for (const p of policy.permission ?? []) if (actionCovers(p.action, actionName(action) ?? action)) (p.constraint ?? []).forEach(visit);
  return limit;
}
