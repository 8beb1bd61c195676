/**
 * ODRL 2.2 policies as Shulian keeps them: the JSON-LD compact form of the Information Model
 * (https://www.w3.org/TR/odrl-model/) restricted to what can be evaluated deterministically.
 * `parsePolicy` checks a value from anywhere (args, a VC, a form) and names the rule at fault.
 */
import { ShulianError, isRecord, type JsonValue } from '../codec/index.ts';
import { LEFT_OPERANDS, OPERATORS, actionName, purposeName, type LeftOperand, type Operator } from './vocab.ts';

export type PolicyType = 'Set' | 'Offer' | 'Agreement';
export type ConflictStrategy = 'perm' | 'prohibit' | 'invalid';
/** A right operand: a string (IRI, DID, xsd:dateTime), an integer, or a list of them. */
export type Operand = string | number | Array<string | number>;

export interface AtomicConstraint {
  leftOperand: LeftOperand;
  operator: Operator;
  rightOperand: Operand;
}
export type LogicalConstraint = { and: Constraint[] } | { or: Constraint[] } | { xone: Constraint[] };
export type Constraint = AtomicConstraint | LogicalConstraint;

export interface Duty {
  action: string;
  constraint?: Constraint[];
}
export interface Rule {
  action: string;
  target?: string;
  assignee?: string;
  constraint?: Constraint[];
  /** On permissions: what the assignee must do in return (ODRL 2.2 §2.6.3). */
  duty?: Duty[];
}
export interface Policy {
  '@context'?: JsonValue;
  '@type': PolicyType;
  uid: string;
  profile?: string;
  assigner?: string;
  assignee?: string;
  target?: string;
  conflict?: ConflictStrategy;
  permission?: Rule[];
  prohibition?: Rule[];
  obligation?: Duty[];
}

export const ODRL_CONTEXT = 'http://www.w3.org/ns/odrl.jsonld';
/** Limits on what an outsider can put in a policy. */
export const POLICY_LIMITS = { rules: 16, constraints: 16, depth: 3, list: 64, string: 256 } as const;

type Obj = Record<string, unknown>;
const invalid = (path: string, msg: string): never => {
  throw new ShulianError('ODRL_INVALID_POLICY', `${path}: ${msg}`);
};

function str(v: unknown, path: string): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > POLICY_LIMITS.string) invalid(path, `must be a string of 1 to ${POLICY_LIMITS.string} characters`);
  return v as string;
}

function onlyKeys(o: Obj, allowed: readonly string[], path: string): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) invalid(path, `unknown member "${k}" (allowed: ${allowed.join(', ')})`);
}

function action(v: unknown, path: string): string {
  const term = isRecord(v) && typeof v['rdf:value'] === 'string' ? v['rdf:value'] : v;
  const name = actionName(str(term, path));
  if (!name) throw new ShulianError('ODRL_UNKNOWN_ACTION', `${path}: action "${String(term)}" is not an ODRL 2.2 action this evaluator knows (e.g. use, read, distribute, derive, aggregate)`);
  return name;
}

function operand(v: unknown, path: string): Operand {
  const one = (x: unknown, p: string): string | number => {
    if (isRecord(x) && '@value' in x) return one(x['@value'], `${p}.@value`);
    if (typeof x === 'number') {
      if (!Number.isSafeInteger(x)) invalid(p, 'a number must be a whole number (no floats in policies)');
      return x;
    }
    return str(x, p);
  };
  if (Array.isArray(v)) {
    if (v.length === 0 || v.length > POLICY_LIMITS.list) invalid(path, `a list holds 1 to ${POLICY_LIMITS.list} values`);
    return v.map((x, i) => one(x, `${path}[${i}]`));
  }
  return one(v, path);
}

function constraint(v: unknown, path: string, depth: number): Constraint {
  if (!isRecord(v)) return invalid(path, 'a constraint is an object');
  for (const op of ['and', 'or', 'xone'] as const) {
    if (op in v) {
      onlyKeys(v, [op], path);
      if (depth >= POLICY_LIMITS.depth) invalid(path, `logical constraints nest at most ${POLICY_LIMITS.depth} deep`);
      return { [op]: constraints(v[op], `${path}.${op}`, depth + 1) } as LogicalConstraint;
    }
  }
  const logical = Object.keys(v).find((k) => ['andSequence'].includes(k));
  if (logical) throw new ShulianError('ODRL_UNKNOWN_OPERATOR', `${path}: logical operator "${logical}" is not implemented (use and, or or xone)`);
  onlyKeys(v, ['leftOperand', 'operator', 'rightOperand', 'unit', 'dataType', 'uid'], path);
  const lo = str(v.leftOperand, `${path}.leftOperand`).replace(/^odrl:/, '');
  if (!(LEFT_OPERANDS as readonly string[]).includes(lo)) {
    throw new ShulianError('ODRL_UNKNOWN_LEFT_OPERAND', `${path}: left operand "${lo}" is not one this evaluator implements (${LEFT_OPERANDS.join(', ')})`);
  }
  const op = str(v.operator, `${path}.operator`).replace(/^odrl:/, '');
  if (!(OPERATORS as readonly string[]).includes(op)) {
    throw new ShulianError('ODRL_UNKNOWN_OPERATOR', `${path}: operator "${op}" is not an ODRL 2.2 operator this evaluator implements (${OPERATORS.join(', ')})`);
  }
  const right = operand(v.rightOperand, `${path}.rightOperand`);
  checkOperand(lo as LeftOperand, op as Operator, right, path);
  return { leftOperand: lo as LeftOperand, operator: op as Operator, rightOperand: right };
}

const ORDERING: readonly Operator[] = ['lt', 'lteq', 'gt', 'gteq'];
const SETS: readonly Operator[] = ['isAllOf', 'isAnyOf', 'isNoneOf'];

/** Each left operand takes the operators and values that make sense for it. */
function checkOperand(lo: LeftOperand, op: Operator, right: Operand, path: string): void {
  const list = Array.isArray(right) ? right : [right];
  if (!SETS.includes(op) && Array.isArray(right)) invalid(`${path}.rightOperand`, `operator ${op} takes a single value, not a list`);
  switch (lo) {
    case 'count':
      if (!['eq', 'neq', ...ORDERING].includes(op)) throw new ShulianError('ODRL_UNKNOWN_OPERATOR', `${path}: operator "${op}" does not apply to count (eq, neq, lt, lteq, gt, gteq)`);
      if (typeof right !== 'number' || right < 0) invalid(`${path}.rightOperand`, 'count takes a whole number ≥ 0');
      return;
    case 'dateTime':
      if (!['eq', 'neq', ...ORDERING].includes(op)) throw new ShulianError('ODRL_UNKNOWN_OPERATOR', `${path}: operator "${op}" does not apply to dateTime (eq, neq, lt, lteq, gt, gteq)`);
      if (typeof right !== 'string' || parseDateTimeMs(right) === undefined) invalid(`${path}.rightOperand`, 'dateTime takes an xsd:dateTime with a time zone, e.g. 2027-01-01T00:00:00Z');
      return;
    case 'purpose':
      if (ORDERING.includes(op) || op === 'hasPart' || op === 'isPartOf') throw new ShulianError('ODRL_UNKNOWN_OPERATOR', `${path}: operator "${op}" does not apply to purpose (eq, neq, isA, isAnyOf, isNoneOf, isAllOf)`);
      list.forEach((x, i) => {
        if (typeof x !== 'string' || !purposeName(x)) {
          throw new ShulianError('ODRL_UNKNOWN_PURPOSE', `${path}.rightOperand${Array.isArray(right) ? `[${i}]` : ''}: "${String(x)}" is not a DPV purpose (e.g. dpv:AcademicResearch, dpv:ServiceProvision)`);
        }
      });
      return;
    case 'recipient':
      if (!['eq', 'neq', 'isAnyOf', 'isNoneOf'].includes(op)) throw new ShulianError('ODRL_UNKNOWN_OPERATOR', `${path}: operator "${op}" does not apply to recipient (eq, neq, isAnyOf, isNoneOf)`);
      list.forEach((x, i) => {
        if (typeof x !== 'string') invalid(`${path}.rightOperand[${i}]`, 'a recipient is a DID');
      });
      return;
  }
}

function constraints(v: unknown, path: string, depth: number): Constraint[] {
  const list = Array.isArray(v) ? v : [v];
  if (list.length === 0 || list.length > POLICY_LIMITS.constraints) invalid(path, `1 to ${POLICY_LIMITS.constraints} constraints`);
  return list.map((c, i) => constraint(c, `${path}[${i}]`, depth));
}

function duty(v: unknown, path: string): Duty {
  if (!isRecord(v)) return invalid(path, 'a duty is an object');
  onlyKeys(v, ['action', 'constraint', 'uid'], path);
  const d: Duty = { action: action(v.action, `${path}.action`) };
  if (v.constraint !== undefined) d.constraint = constraints(v.constraint, `${path}.constraint`, 0);
  return d;
}

function rule(v: unknown, path: string, kind: 'permission' | 'prohibition'): Rule {
  if (!isRecord(v)) return invalid(path, 'a rule is an object');
  onlyKeys(v, kind === 'permission' ? ['action', 'target', 'assignee', 'assigner', 'constraint', 'duty', 'uid'] : ['action', 'target', 'assignee', 'assigner', 'constraint', 'uid'], path);
  const r: Rule = { action: action(v.action, `${path}.action`) };
  if (v.target !== undefined) r.target = str(v.target, `${path}.target`);
  if (v.assignee !== undefined) r.assignee = str(v.assignee, `${path}.assignee`);
  if (v.constraint !== undefined) r.constraint = constraints(v.constraint, `${path}.constraint`, 0);
  if (v.duty !== undefined) {
    const ds = Array.isArray(v.duty) ? v.duty : [v.duty];
    if (ds.length > POLICY_LIMITS.rules) invalid(`${path}.duty`, `at most ${POLICY_LIMITS.rules} duties`);
    r.duty = ds.map((d, i) => duty(d, `${path}.duty[${i}]`));
  }
  return r;
}

function rules<T>(v: unknown, path: string, each: (x: unknown, p: string) => T): T[] {
  const list = Array.isArray(v) ? v : [v];
  if (list.length > POLICY_LIMITS.rules) invalid(path, `at most ${POLICY_LIMITS.rules} rules`);
  return list.map((x, i) => each(x, `${path}[${i}]`));
}

/**
 * Checks a policy and returns it in the normal form the evaluator takes (actions and operators
 * as bare names, lists always lists). Throws ODRL_INVALID_POLICY, ODRL_UNKNOWN_OPERATOR,
 * ODRL_UNKNOWN_LEFT_OPERAND, ODRL_UNKNOWN_ACTION or ODRL_UNKNOWN_PURPOSE naming the path.
 */
export function parsePolicy(v: unknown): Policy {
  if (!isRecord(v)) return invalid('policy', 'an ODRL policy is a JSON object');
  onlyKeys(v, ['@context', '@type', 'type', 'uid', 'profile', 'assigner', 'assignee', 'target', 'conflict', 'permission', 'prohibition', 'obligation'], 'policy');
  const type = v['@type'] ?? v.type;
  if (type !== 'Set' && type !== 'Offer' && type !== 'Agreement') invalid('policy.@type', 'must be "Set", "Offer" or "Agreement"');
  const p: Policy = { '@type': type as PolicyType, uid: str(v.uid, 'policy.uid') };
  if (v['@context'] !== undefined) p['@context'] = v['@context'] as JsonValue;
  if (v.profile !== undefined) p.profile = str(v.profile, 'policy.profile');
  if (v.assigner !== undefined) p.assigner = str(v.assigner, 'policy.assigner');
  if (v.assignee !== undefined) p.assignee = str(v.assignee, 'policy.assignee');
  if (v.target !== undefined) p.target = str(v.target, 'policy.target');
  if (v.conflict !== undefined) {
    if (v.conflict !== 'perm' && v.conflict !== 'prohibit' && v.conflict !== 'invalid') invalid('policy.conflict', 'must be "perm", "prohibit" or "invalid"');
    p.conflict = v.conflict as ConflictStrategy;
  }
  if (v.permission !== undefined) p.permission = rules(v.permission, 'permission', (x, path) => rule(x, path, 'permission'));
  if (v.prohibition !== undefined) p.prohibition = rules(v.prohibition, 'prohibition', (x, path) => rule(x, path, 'prohibition'));
  if (v.obligation !== undefined) p.obligation = rules(v.obligation, 'obligation', duty);
  if (!p.permission?.length && !p.prohibition?.length && !p.obligation?.length) invalid('policy', 'a policy has at least one permission, prohibition or obligation');
  if (p['@type'] === 'Agreement' && (!p.assigner || !p.assignee)) invalid('policy', 'an Agreement names its assigner and assignee (ODRL 2.2 §2.1.3)');
  if (p['@type'] === 'Offer' && !p.assigner) invalid('policy', 'an Offer names its assigner (ODRL 2.2 §2.1.2)');
  return p;
}

const DATETIME_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})$/;

/** An xsd:dateTimeStamp as ms since the epoch, computed without the clock or locale; undefined if malformed. */
export function parseDateTimeMs(s: string): number | undefined {
  const m = DATETIME_RE.exec(s);
  if (!m) return undefined;
  const [y, mo, d, h, mi, se] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i]));
  if (mo! < 1 || mo! > 12 || d! < 1 || h! > 23 || mi! > 59 || se! > 59) return undefined;
  const days = [31, (y! % 4 === 0 && y! % 100 !== 0) || y! % 400 === 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo! - 1]!;
  if (d! > days) return undefined;
  const ms = m[7] ? Number(m[7].slice(1).padEnd(3, '0')) : 0;
  let t = Date.UTC(y!, mo! - 1, d!, h!, mi!, se!, ms);
  if (m[8] !== 'Z') {
    const sign = m[8]!.startsWith('-') ? -1 : 1;
    const [oh, om] = m[8]!.slice(1).split(':').map(Number);
    if (oh! > 14 || om! > 59) return undefined;
    t -= sign * (oh! * 60 + om!) * 60_000;
  }
  return t;
}
