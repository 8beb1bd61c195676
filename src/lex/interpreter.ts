/**
 * The lex interpreter: a tree-walking evaluator over the compiled syntax tree. It is pure and
 * total: no clock (time is the block time passed in), no randomness, no I/O, no recursion in
 * the contract language (definitions form a checked acyclic graph of bounded depth), loops only
 * over bounded lists, and every node evaluated costs gas. A request that is refused, or runs out
 * of gas, returns a rejection and the caller's state object is never touched.
 */
import { canonicalize, toHex, type JsonValue } from '../codec/index.ts';
import { sm3 } from '../crypto/index.ts';
import type { DefineDecl, Expr, HandlerDecl, IfShort, Label, ObligationDecl, Stmt, TiersDecl, Type } from './ast.ts';
import { decode, encode, isPlainObject, safeNumber, valEquals, type RecordVal, type Val } from './codec.ts';
import { MAX_INSTANCES, type Contract } from './compiler.ts';
import { LexError, type Bilingual, type LexErrorCode, type Pos } from './errors.ts';
import {
  DURATION_UNITS, MAX_TIME, MIN_TIME, Money, Rat, ZERO, add, addMonths, cmp, div, instantText, int, isInt, mul, neg, roundRat, sub,
} from './values.ts';

// ---------------------------------------------------------------------------------------------
// Public shapes

/** What the chain keeps for one running contract. Plain JSON: canonicalise it to hash or store it. */
export interface ContractState {
  lex: 1;
  /** SM3 of the template source: execute refuses a state made from another template. */
  contract: string;
  template: string;
  instance: string;
  status: 'active' | 'terminated';
  /** Number of accepted requests so far. */
  seq: number;
  /** Block time (ms) of the last accepted request, or null before the first. */
  time: number | null;
  params: Record<string, JsonValue>;
  vars: Record<string, JsonValue>;
  /** Obligations that are no longer pending, by id. */
  obligations: Record<string, { status: 'discharged' | 'breached' | 'cancelled'; at: string }>;
  terminated?: { reason: Bilingual; at: string };
}

export interface LexRequest {
  /** The event or permission, e.g. "Delivered"; "Tick" only checks deadlines. */
  event: string;
  input?: Record<string, JsonValue>;
}

export interface ExecuteOptions {
  /** Block time, ms since the Unix epoch. */
  time: number;
  gasLimit: number;
  /** DID of the transaction's sender, authenticated by the chain. */
  sender: string;
}

export interface Amount {
  currency: string;
  minor: number;
}

/**
 * What the settlement chain does when the payer cannot cover an instruction, as the rule says
 * (`if insufficient funds wait [until DATE]` / `fail`). Absent: the rule says nothing, and the
 * settlement chain's default applies (fail). `waitUntil` is the time (in the template's time
 * zone) after which an instruction still unpaid fails; a rule whose time has already come when
 * the instruction is given emits 'fail'.
 */
export interface IfShortTerms {
  onInsufficientFunds?: 'wait' | 'fail';
  waitUntil?: string;
}

/** Instructions to the settlement chain: the only way a contract moves value. */
export type Settlement =
  | ({ kind: 'pay'; from: string; to: string; amount: Amount; reason: Bilingual; idempotencyKey: string; clause: string } & IfShortTerms)
  | ({ kind: 'split'; from: string; amount: Amount; shares: Array<{ to: string; share: string; amount: Amount }>; reason: Bilingual; idempotencyKey: string; clause: string } & IfShortTerms)
  | ({ kind: 'withhold'; from: string; to: string; onBehalfOf?: string; amount: Amount; reason: Bilingual; idempotencyKey: string; clause: string } & IfShortTerms);

export type ObligationStatus = 'pending' | 'discharged' | 'breached' | 'cancelled';

export interface ObligationView {
  id: string;
  name: string;
  label: Bilingual;
  promisor: string;
  promisee: string;
  due: string;
  status: ObligationStatus;
  /** False while its "only if" condition does not hold (it cannot be breached then). */
  inForce: boolean;
  at?: string;
}

export interface LexEvent {
  type: 'Handled' | 'ObligationBreached' | 'ObligationDischarged' | 'ObligationCancelled' | 'ContractTerminated' | 'StateChanged';
  data: { [k: string]: JsonValue };
}

export interface Rejection {
  code: LexErrorCode;
  message: Bilingual;
  clause?: string;
  line?: number;
  column?: number;
}

export interface Accepted {
  ok: true;
  response: Record<string, JsonValue>;
  state: ContractState;
  obligations: ObligationView[];
  settlements: Settlement[];
  events: LexEvent[];
  gasUsed: number;
}

export interface Rejected {
  ok: false;
  rejection: Rejection;
  gasUsed: number;
}

export type ExecuteResult = Accepted | Rejected;

/** Gas schedule: integers, charged per node so every node computes the same figure. */
export const LEX_GAS = {
  node: 1,
  stmt: 2,
  settlement: 20,
  stateRead: 4,
  obligation: 5,
  listItem: 1,
  request: 50,
} as const;

const TICK = 'Tick';

// ---------------------------------------------------------------------------------------------

function rejectionOf(e: LexError, clause?: string): Rejection {
  const r: Rejection = { code: e.code, message: { en: e.message, 'zh-CN': e.zh } };
  if (clause) r.clause = clause;
  if (e.pos) {
    r.line = e.pos.line;
    r.column = e.pos.column;
  }
  return r;
}

function lexErr(code: LexErrorCode, en: string, zh: string, pos?: Pos): LexError {
  return new LexError(code, en, zh, pos);
}

const bi = (l: Label): Bilingual => ({ en: l.en, 'zh-CN': l.zh });

interface Instance {
  id: string;
  o: ObligationDecl;
  i?: number;
}

/**
 * Decoded values of parameter and state objects the engine itself created and froze. A frozen
 * object cannot change, so its decoding can be reused by the next request (the state returned
 * by one `execute` is the input of the next); objects from elsewhere are decoded afresh.
 */
const decoded = new WeakMap<object, Array<Val | undefined>>();

function cacheFor(obj: Record<string, JsonValue>, size: number): Array<Val | undefined> {
  if (!Object.isFrozen(obj)) return new Array<Val | undefined>(size);
  let a = decoded.get(obj);
  if (!a) {
    a = new Array<Val | undefined>(size);
    decoded.set(obj, a);
  }
  return a;
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v as object)) deepFreeze(x);
  }
  return v;
}

/** One evaluation: of a request, of instantiation, or of a view. */
class Machine {
  readonly c: Contract;
  gas = 0;
  readonly limit: number;
  now: Rat;
  /** The time of the request itself (`now` moves to a deadline while an "on breach" runs). */
  readonly requestTime: Rat;
  nowSet: boolean;
  readonly paramsJson: Record<string, JsonValue>;
  readonly params: Array<Val | undefined>;
  readonly varsJson: Record<string, JsonValue>;
  readonly vars: Array<Val | undefined>;
  private readonly varsCache: Array<Val | undefined>;
  private readonly readCharged: Uint8Array;
  readonly dirty: boolean[];
  locals: Val[] = [];
  /** The information the event being handled carries, by name (what definitions read). */
  inputs: Record<string, Val> = {};
  settlements: Settlement[] = [];
  events: LexEvent[] = [];
  response: Record<string, JsonValue> = {};
  obligations: ContractState['obligations'];
  terminated?: Bilingual;
  stopped = false;
  clause = '';
  sender = '';
  keyPrefix = '';
  private keyN = 0;

  constructor(c: Contract, paramsJson: Record<string, JsonValue>, varsJson: Record<string, JsonValue>, obligations: ContractState['obligations'], now: number | undefined, limit: number) {
    this.c = c;
    this.limit = limit;
    this.now = int(now ?? 0);
    this.requestTime = this.now;
    this.nowSet = now !== undefined;
    this.paramsJson = paramsJson;
    this.params = cacheFor(paramsJson, c.params.length);
    this.varsJson = varsJson;
    // a private copy: values set by this request must not leak into the cache of the old state
    this.varsCache = cacheFor(varsJson, c.states.length);
    this.vars = this.varsCache.slice();
    this.readCharged = new Uint8Array(c.states.length);
    this.dirty = new Array<boolean>(c.states.length).fill(false);
    this.obligations = obligations;
  }

  charge(n: number): void {
    this.gas += n;
    if (this.gas > this.limit) {
      throw lexErr('OUT_OF_GAS', `The request needs more than its gas limit of ${this.limit}; nothing was changed.`, `该请求所需燃料超过上限${this.limit}，未作任何变更。`);
    }
  }

  param(i: number): Val {
    let v = this.params[i];
    if (v === undefined) {
      const p = this.c.params[i]!;
      v = decode(this.paramsJson[p.name], p.t!, this.c, p.name);
      this.params[i] = v;
    }
    return v;
  }

  party(i: number): string {
    const p = this.c.parties[i]!;
    const v = this.paramsJson[p.name];
    return v as string;
  }

  stateVar(i: number): Val {
    // Gas for reading a state value is charged on its first read in every request, whether or
    // not its decoding was cached, so gas never depends on what ran before.
    if (this.readCharged[i] === 0) {
      this.readCharged[i] = 1;
      this.charge(LEX_GAS.stateRead);
    }
    let v = this.vars[i];
    if (v === undefined) {
      const s = this.c.states[i]!;
      v = decode(this.varsJson[s.name], s.t!, this.c, s.name);
      this.vars[i] = v;
      if (!this.dirty[i]) this.varsCache[i] = v;
    }
    return v;
  }

  // ---- expressions

  evalExpr(e: Expr): Val {
    this.gas += LEX_GAS.node;
    if (this.gas > this.limit) this.charge(0);
    switch (e.k) {
      case 'num':
        return e.value!;
      case 'money':
        return e.value!;
      case 'date':
        return int(e.value!);
      case 'str':
        return e.value;
      case 'bool':
        return e.value;
      case 'now':
        return this.now;
      case 'sender':
        return this.sender;
      case 'list':
        return e.items.map((x) => this.evalExpr(x));
      case 'name': {
        const r = e.ref!;
        switch (r.kind) {
          case 'local':
            return this.locals[r.slot]!;
          case 'param':
            return this.param(r.index);
          case 'state':
            return this.stateVar(r.index);
          case 'party':
            return this.party(r.index);
          case 'define':
            return this.define(this.c.defines.get(r.name)!);
          case 'input': {
            // The compiler lets a definition that reads event information be used only in the
            // rules of events that state it, so the value is always there.
            const v = this.inputs[r.name];
            if (v === undefined) throw new Error(`event information "${r.name}" read outside an event that states it`);
            return v;
          }
          default:
            throw new Error('unreachable');
        }
      }
      case 'field':
        if (e.ref && e.ref.kind === 'enum') return e.ref.member;
        if (e.ref && e.ref.kind === 'currency') return (this.evalExpr(e.obj) as Money).cur;
        return (this.evalExpr(e.obj) as RecordVal)[e.field]!;
      case 'neg': {
        const v = this.evalExpr(e.e);
        return v instanceof Money ? new Money(v.cur, neg(v.a)) : neg(v as Rat);
      }
      case 'not':
        return !(this.evalExpr(e.e) as boolean);
      case 'bin':
        return this.binary(e as Extract<Expr, { k: 'bin' }>);
      case 'round': {
        const v = this.evalExpr(e.e);
        if (v instanceof Money) return new Money(v.cur, int(roundRat(v.a, e.mode)));
        return int(roundRat(v as Rat, e.mode));
      }
      case 'in': {
        const d = this.evalExpr(e.e) as Rat;
        if (e.unit) return div(d, int(DURATION_UNITS[e.unit]));
        const per = this.evalExpr(e.per!) as Rat;
        if (per.n <= 0n) {
          throw lexErr('DIVISION_BY_ZERO', 'The unit a length of time is counted in is zero (or negative), so the count has no result.', '计算期间所用的计量单位为零（或负数），无法得出结果。', e.per!.pos);
        }
        return div(d, per);
      }
      case 'unit': {
        const n = this.evalExpr(e.e) as Rat;
        if (e.unit === 'months') return n;
        if (e.unit === 'years') return mul(n, int(12));
        return mul(n, int(DURATION_UNITS[e.unit]));
      }
      case 'if':
        return this.evalExpr(e.c) ? this.evalExpr(e.a) : this.evalExpr(e.b);
      case 'call':
        return this.call(e as Extract<Expr, { k: 'call' }>);
      case 'tier':
        return this.tier(this.c.tiers.get(e.tiers)!, e.how, this.evalExpr(e.e), e.pos);
      case 'record': {
        const out: RecordVal = {};
        for (const f of e.fields) out[f.name] = this.evalExpr(f.e);
        return out;
      }
    }
  }

  private sameCurrency(a: Money, b: Money, pos: Pos): void {
    if (a.cur !== b.cur) {
      throw lexErr('CURRENCY_MISMATCH', `Amounts in ${a.cur} and ${b.cur} cannot be combined.`, `${a.cur}金额与${b.cur}金额不能合并计算。`, pos);
    }
  }

  private binary(e: Extract<Expr, { k: 'bin' }>): Val {
    switch (e.op) {
      case 'and':
        return (this.evalExpr(e.a) as boolean) && (this.evalExpr(e.b) as boolean);
      case 'or':
        return (this.evalExpr(e.a) as boolean) || (this.evalExpr(e.b) as boolean);
      default:
        break;
    }
    const a = this.evalExpr(e.a);
    const b = this.evalExpr(e.b);
    switch (e.op) {
      case '=':
        return valEquals(a, b);
      case '!=':
        return !valEquals(a, b);
      case '<':
      case '<=':
      case '>':
      case '>=': {
        const c = this.compare(a, b, e.pos);
        return e.op === '<' ? c < 0 : e.op === '<=' ? c <= 0 : e.op === '>' ? c > 0 : c >= 0;
      }
      case 'contains': {
        const list = a as Val[];
        this.charge(list.length * LEX_GAS.listItem);
        return list.some((x) => valEquals(x, b));
      }
      case 'capped':
        return this.compare(a, b, e.pos) <= 0 ? a : b;
      case 'atleast':
        return this.compare(a, b, e.pos) >= 0 ? a : b;
      case '+':
      case '-': {
        if (a instanceof Money) {
          this.sameCurrency(a, b as Money, e.pos);
          return new Money(a.cur, e.op === '+' ? add(a.a, (b as Money).a) : sub(a.a, (b as Money).a));
        }
        const bt = e.b.t!.k;
        const at = e.a.t!.k;
        if (bt === 'Period' && at === 'Date') return this.date(addMonths(this.ms(a as Rat, e.pos), Number((b as Rat).n) * (e.op === '+' ? 1 : -1), this.c.timezone), e.pos);
        if (at === 'Period' && bt === 'Date') return this.date(addMonths(this.ms(b as Rat, e.pos), Number((a as Rat).n), this.c.timezone), e.pos);
        const r = e.op === '+' ? add(a as Rat, b as Rat) : sub(a as Rat, b as Rat);
        if (e.t!.k === 'Date') return this.date(r, e.pos);
        return r;
      }
      case '*':
      case 'of':
        if (a instanceof Money) return new Money(a.cur, mul(a.a, b as Rat));
        if (b instanceof Money) return new Money(b.cur, mul(a as Rat, b.a));
        return mul(a as Rat, b as Rat);
      case '/':
        if (a instanceof Money) {
          if (b instanceof Money) {
            this.sameCurrency(a, b, e.pos);
            return this.divide(a.a, b.a, e.pos);
          }
          return new Money(a.cur, this.divide(a.a, b as Rat, e.pos));
        }
        return this.divide(a as Rat, b as Rat, e.pos);
    }
  }

  private divide(a: Rat, b: Rat, pos: Pos): Rat {
    if (b.n === 0n) throw lexErr('DIVISION_BY_ZERO', 'The calculation divides by zero, so it has no result.', '计算中出现除以零，无法得出结果。', pos);
    return div(a, b);
  }

  private ms(v: Rat, pos: Pos): number {
    if (v.n < BigInt(MIN_TIME) || v.n > BigInt(MAX_TIME)) throw this.dateRange(pos);
    return Number(v.n);
  }
  private date(v: Rat | number, pos: Pos): Rat {
    const r = typeof v === 'number' ? int(v) : v;
    if (r.n < BigInt(MIN_TIME) || r.n > BigInt(MAX_TIME)) throw this.dateRange(pos);
    return r;
  }
  private dateRange(pos: Pos): LexError {
    return lexErr('DATE_OUT_OF_RANGE', 'A date in this calculation falls outside the years 1970 to 9999.', '计算得出的日期超出1970年至9999年的范围。', pos);
  }

  private compare(a: Val, b: Val, pos: Pos): number {
    if (a instanceof Money) {
      this.sameCurrency(a, b as Money, pos);
      return cmp(a.a, (b as Money).a);
    }
    return cmp(a as Rat, b as Rat);
  }

  private call(e: Extract<Expr, { k: 'call' }>): Val {
    if (e.fn === 'min' || e.fn === 'max') {
      let best = this.evalExpr(e.args[0]!);
      for (let i = 1; i < e.args.length; i++) {
        const v = this.evalExpr(e.args[i]!);
        const c = this.compare(v, best, e.pos);
        if (e.fn === 'min' ? c < 0 : c > 0) best = v;
      }
      return best;
    }
    const list = this.evalExpr(e.args[0]!) as Val[];
    this.charge(list.length * LEX_GAS.listItem);
    if (e.fn === 'count') return int(list.length);
    const lt = e.args[0]!.t!;
    const et = lt.k === 'List' ? lt.elem : lt;
    if (et.k === 'Money') {
      // amounts of any currency (Money(any)) add up in the currency of the first
      const cur = et.cur ?? (list[0] as Money | undefined)?.cur ?? this.c.currency;
      let total = ZERO;
      for (const x of list) {
        const m = x as Money;
        if (cur && m.cur !== cur) this.sameCurrency(new Money(cur, ZERO), m, e.pos);
        total = add(total, m.a);
      }
      const c = cur ?? (list[0] as Money | undefined)?.cur;
      if (!c) throw lexErr('CURRENCY_UNKNOWN', 'The sum of an empty list of amounts has no currency.', '空金额列表的合计没有币种。', e.pos);
      return new Money(c, total);
    }
    let total = ZERO;
    for (const x of list) total = add(total, x as Rat);
    return total;
  }

  private tier(td: TiersDecl, how: 'applied' | 'rate', x: Val, pos: Pos): Val {
    const money = x instanceof Money ? x : undefined;
    const amount = money ? money.a : (x as Rat);
    let prev: Rat = ZERO;
    let total: Rat = ZERO;
    for (let i = 0; i < td.rows.length; i++) {
      const row = td.rows[i]!;
      const rate = this.evalExpr(row.rate) as Rat;
      if (row.bound === 'above') {
        if (how === 'rate') return rate;
        if (cmp(amount, prev) > 0) total = add(total, mul(sub(amount, prev), rate));
        break;
      }
      const lv = this.evalExpr(row.limit!);
      let limit: Rat;
      if (lv instanceof Money) {
        if (money) this.sameCurrency(money, lv, pos);
        limit = lv.a;
      } else limit = lv as Rat;
      if (i > 0 && cmp(limit, prev) <= 0) {
        throw lexErr('TIERS_NOT_ASCENDING', `The limits of the tiers "${td.label.en}" do not increase from one tier to the next.`, `"${td.label.zh}"的分档上限未逐档递增。`, row.pos);
      }
      if (how === 'rate') {
        const c = cmp(amount, limit);
        if (row.bound === 'upto' ? c <= 0 : c < 0) return rate;
      } else {
        const top = cmp(amount, limit) < 0 ? amount : limit;
        if (cmp(top, prev) > 0) total = add(total, mul(sub(top, prev), rate));
      }
      prev = limit;
    }
    return money ? new Money(money.cur, total) : total;
  }

  define(d: DefineDecl): Val {
    if (d.exceptions.length === 0) return this.evalExpr(d.e);
    let applies: DefineDecl['exceptions'][number] | undefined;
    for (const x of d.exceptions) {
      if (this.evalExpr(x.when) as boolean) {
        if (applies) {
          throw lexErr('EXCEPTION_CONFLICT', `Both exceptions "${applies.label.en}" and "${x.label.en}" apply to "${d.label.en}" at the same time, and the contract does not say which prevails.`, `"${applies.label.zh}"与"${x.label.zh}"两项例外同时适用于"${d.label.zh}"，合同未约定何者优先。`, x.pos);
        }
        applies = x;
      }
    }
    return applies ? this.evalExpr(applies.value) : this.evalExpr(d.e);
  }

  // ---- statements

  block(stmts: Stmt[]): void {
    for (let i = 0; i < stmts.length && !this.stopped; i++) this.stmt(stmts[i]!);
  }

  private nextKey(): string {
    return `${this.keyPrefix}:${this.keyN++}`;
  }

  /** The settlement terms of `if insufficient funds …` (evaluated only for an instruction given). */
  private ifShort(x: IfShort | undefined): IfShortTerms {
    if (!x) return {};
    if (x.mode === 'fail' || !x.until) return { onInsufficientFunds: x.mode };
    const until = this.evalExpr(x.until) as Rat;
    // Waiting until a time that has already come is no wait: the instruction fails if short.
    if (cmp(until, this.requestTime) <= 0) return { onInsufficientFunds: 'fail' };
    return { onInsufficientFunds: 'wait', waitUntil: encode(until, { k: 'Date' }, this.c, 'The time the instruction waits until') as string };
  }

  private amount(m: Money, what: string, pos: Pos): Amount {
    if (!isInt(m.a)) {
      throw lexErr('NOT_ROUNDED', `${what} is not a whole number of minor units.`, `${what}不是最小货币单位的整数倍。`, pos);
    }
    if (m.a.n < 0n) {
      throw lexErr('NEGATIVE_AMOUNT', `${what} would be negative (${m.a.n} minor units of ${m.cur}); a payment cannot be negative.`, `${what}为负数（${m.a.n}个${m.cur}最小单位），付款金额不能为负。`, pos);
    }
    return { currency: m.cur, minor: safeNumber(m.a.n, what) };
  }

  stmt(s: Stmt): void {
    this.charge(LEX_GAS.stmt);
    switch (s.k) {
      case 'require':
        if (!(this.evalExpr(s.cond) as boolean)) throw lexErr('REQUIREMENT_NOT_MET', s.msg.en, s.msg.zh, s.pos);
        return;
      case 'let':
        this.locals[s.slot!] = this.evalExpr(s.e);
        return;
      case 'set': {
        const v = this.evalExpr(s.e);
        this.vars[s.index!] = v;
        this.dirty[s.index!] = true;
        return;
      }
      case 'append': {
        const v = this.evalExpr(s.e);
        const list = this.stateVar(s.index!) as Val[];
        const t = this.c.states[s.index!]!.t as Extract<Type, { k: 'List' }>;
        if (list.length >= t.max) {
          const st = this.c.states[s.index!]!;
          throw lexErr('LIST_FULL', `"${st.label.en}" already holds its maximum of ${t.max} items.`, `"${st.label.zh}"已达上限${t.max}项。`, s.pos);
        }
        this.charge(list.length * LEX_GAS.listItem);
        this.vars[s.index!] = [...list, v];
        this.dirty[s.index!] = true;
        return;
      }
      case 'if':
        for (const br of s.branches) {
          if (!br.cond || (this.evalExpr(br.cond) as boolean)) {
            this.block(br.body);
            return;
          }
        }
        return;
      case 'foreach': {
        const list = this.evalExpr(s.list) as Val[];
        for (const item of list) {
          if (this.stopped) return;
          this.charge(LEX_GAS.listItem);
          this.locals[s.slot!] = item;
          this.block(s.body);
        }
        return;
      }
      case 'pay': {
        const m = this.evalExpr(s.amount) as Money;
        const from = this.evalExpr(s.from) as string;
        const to = this.evalExpr(s.to) as string;
        const amount = this.amount(m, 'The amount paid', s.pos);
        this.charge(LEX_GAS.settlement);
        if (amount.minor === 0 || from === to) return;
        this.settlements.push({ kind: 'pay', from, to, amount, reason: bi(s.reason), idempotencyKey: this.nextKey(), clause: this.clause, ...this.ifShort(s.ifShort) });
        return;
      }
      case 'split': {
        const m = this.evalExpr(s.amount) as Money;
        const from = this.evalExpr(s.from) as string;
        const total = this.amount(m, 'The amount split', s.pos);
        const parts = s.shares.map((sh) => ({ to: this.evalExpr(sh.to) as string, share: this.evalExpr(sh.share) as Rat, pos: sh.pos }));
        let sum = ZERO;
        for (const p of parts) {
          if (p.share.n < 0n) throw lexErr('BAD_SHARES', 'A share of a split is negative.', '分账比例为负数。', p.pos);
          sum = add(sum, p.share);
        }
        if (cmp(sum, int(1)) !== 0) {
          const pct = mul(sum, int(100));
          const txt = isInt(pct) ? `${pct.n}%` : `${pct.n}/${pct.d}%`;
          throw lexErr('BAD_SHARES', `The shares of the split add up to ${txt}, not 100%.`, `分账比例合计为${txt}，而非100%。`, s.pos);
        }
        this.charge(LEX_GAS.settlement * parts.length);
        if (total.minor === 0) return;
        const whole = int(total.minor);
        const amounts = parts.map((p) => roundRat(mul(whole, p.share), 'down'));
        let left = BigInt(total.minor) - amounts.reduce((x, y) => x + y, 0n);
        // Whatever the rounding down left over goes one minor unit at a time to the recipients
        // in the order listed (those with a share), so the parts always add up to the whole.
        for (let i = 0; left > 0n; i = (i + 1) % parts.length) {
          if (parts[i]!.share.n === 0n) continue;
          amounts[i] = amounts[i]! + 1n;
          left--;
        }
        this.settlements.push({
          kind: 'split', from, amount: total,
          shares: parts.map((p, i) => ({ to: p.to, share: shareText(p.share), amount: { currency: total.currency, minor: Number(amounts[i]) } })),
          reason: bi(s.reason), idempotencyKey: this.nextKey(), clause: this.clause, ...this.ifShort(s.ifShort),
        });
        return;
      }
      case 'withhold': {
        const m = this.evalExpr(s.amount) as Money;
        const from = this.evalExpr(s.from) as string;
        const to = this.evalExpr(s.to) as string;
        const onBehalfOf = s.onBehalfOf ? (this.evalExpr(s.onBehalfOf) as string) : undefined;
        const amount = this.amount(m, 'The amount withheld', s.pos);
        this.charge(LEX_GAS.settlement);
        if (amount.minor === 0 || from === to) return;
        const w: Settlement = { kind: 'withhold', from, to, amount, reason: bi(s.reason), idempotencyKey: this.nextKey(), clause: this.clause };
        if (onBehalfOf !== undefined) w.onBehalfOf = onBehalfOf;
        Object.assign(w, this.ifShort(s.ifShort));
        this.settlements.push(w);
        return;
      }
      case 'terminate':
        this.terminated = bi(s.reason);
        this.stopped = true;
        return;
      case 'respond': {
        const v = this.evalExpr(s.e);
        this.response[s.name] = encode(v, s.e.t!, this.c, s.name);
        return;
      }
    }
  }

  // ---- obligations

  instances(): Instance[] {
    const out: Instance[] = [];
    for (const o of this.c.obligations) {
      if (!o.forEach) {
        out.push({ id: o.name, o });
        continue;
      }
      this.locals = [];
      const from = this.evalExpr(o.forEach.from) as Rat;
      const to = this.evalExpr(o.forEach.to) as Rat;
      const n = to.n - from.n + 1n;
      if (n > BigInt(MAX_INSTANCES)) {
        throw lexErr('TOO_MANY_OBLIGATIONS', `The obligation "${o.label.en}" would repeat ${n} times; at most ${MAX_INSTANCES} are allowed.`, `义务"${o.label.zh}"将重复${n}次，上限为${MAX_INSTANCES}次。`, o.pos);
      }
      for (let i = from.n; i <= to.n; i++) out.push({ id: `${o.name}#${i}`, o, i: Number(i) });
    }
    return out;
  }

  private frame(inst: Instance): void {
    this.locals = new Array<Val>(inst.o.locals ?? 0);
    if (inst.o.forEach && inst.i !== undefined) this.locals[inst.o.forEach.slot!] = int(inst.i);
  }

  /** Deadlines that passed before `now`: breached, in order of their deadlines, each "on breach" run at its deadline. */
  checkBreaches(): void {
    const due: Array<{ inst: Instance; at: Rat }> = [];
    for (const inst of this.instances()) {
      if (this.obligations[inst.id]) continue;
      this.charge(LEX_GAS.obligation);
      this.frame(inst);
      if (inst.o.onlyIf && !(this.evalExpr(inst.o.onlyIf) as boolean)) continue;
      const d = this.evalExpr(inst.o.due!) as Rat;
      if (cmp(this.now, d) > 0) due.push({ inst, at: d });
    }
    due.sort((a, b) => cmp(a.at, b.at));
    const realNow = this.now;
    for (const { inst, at } of due) {
      if (this.stopped) break;
      this.obligations = { ...this.obligations, [inst.id]: { status: 'breached', at: instantText(Number(at.n), this.c.timezone) } };
      this.events.push({ type: 'ObligationBreached', data: { obligation: inst.id, due: instantText(Number(at.n), this.c.timezone) } });
      this.frame(inst);
      this.now = at;
      this.clause = inst.o.clause;
      this.block(inst.o.onBreach);
    }
    this.now = realNow;
  }

  /** Pending obligations whose condition of performance now holds are discharged. */
  checkDischarges(): void {
    for (const inst of this.instances()) {
      if (this.obligations[inst.id]) continue;
      this.charge(LEX_GAS.obligation);
      this.frame(inst);
      const inForce = !inst.o.onlyIf || (this.evalExpr(inst.o.onlyIf) as boolean);
      if (inForce && (this.evalExpr(inst.o.doneWhen!) as boolean)) {
        this.obligations = { ...this.obligations, [inst.id]: { status: 'discharged', at: instantText(Number(this.now.n), this.c.timezone) } };
        this.events.push({ type: 'ObligationDischarged', data: { obligation: inst.id } });
      } else if (this.terminated) {
        // the contract has ended: what is still owed lapses
        this.obligations = { ...this.obligations, [inst.id]: { status: 'cancelled', at: instantText(Number(this.now.n), this.c.timezone) } };
        this.events.push({ type: 'ObligationCancelled', data: { obligation: inst.id } });
      }
    }
  }

  views(): ObligationView[] {
    const out: ObligationView[] = [];
    for (const inst of this.instances()) {
      this.charge(LEX_GAS.obligation);
      this.frame(inst);
      const rec = this.obligations[inst.id];
      const inForce = rec ? true : inst.o.onlyIf ? (this.evalExpr(inst.o.onlyIf) as boolean) : true;
      const v: ObligationView = {
        id: inst.id,
        name: inst.o.name,
        label: inst.i === undefined ? bi(inst.o.label) : { en: `${inst.o.label.en} (no. ${inst.i})`, 'zh-CN': `${inst.o.label.zh}（第${inst.i}项）` },
        promisor: this.evalExpr(inst.o.promisor!) as string,
        promisee: this.evalExpr(inst.o.promisee!) as string,
        due: encode(this.evalExpr(inst.o.due!), { k: 'Date' }, this.c, `the deadline of ${inst.id}`) as string,
        status: rec?.status ?? 'pending',
        inForce,
      };
      if (rec) v.at = rec.at;
      out.push(v);
    }
    return out;
  }

  /** New state vars: unchanged ones keep their stored JSON (byte for byte). */
  encodeVars(): { vars: Record<string, JsonValue>; changed: string[] } {
    const changed: string[] = [];
    let vars = this.varsJson;
    for (let i = 0; i < this.c.states.length; i++) {
      if (!this.dirty[i]) continue;
      const s = this.c.states[i]!;
      const j = encode(this.vars[i]!, s.t!, this.c, s.name);
      const old = this.varsJson[s.name];
      if (typeof j !== 'object' || j === null ? j === old : canonicalize(j) === canonicalize(old ?? null)) continue;
      if (vars === this.varsJson) vars = { ...this.varsJson };
      vars[s.name] = j;
      changed.push(s.name);
    }
    if (vars !== this.varsJson) {
      deepFreeze(vars);
      decoded.set(vars, this.vars);
    }
    return { vars, changed };
  }
}

function shareText(r: Rat): string {
  const pct = mul(r, int(100));
  if (isInt(pct)) return `${pct.n}%`;
  let d = pct.d;
  while (d % 2n === 0n) d /= 2n;
  while (d % 5n === 0n) d /= 5n;
  if (d !== 1n) return `${r.n}/${r.d}`;
  let k = 0;
  let p = pct;
  while (!isInt(p)) {
    p = mul(p, int(10));
    k++;
  }
  const s = p.n.toString().padStart(k + 1, '0');
  return `${s.slice(0, s.length - k)}.${s.slice(s.length - k)}%`;
}

// ---------------------------------------------------------------------------------------------
// Instantiate

export interface InstantiateOptions {
  /** The instance's identifier, e.g. its on-chain address; prefixes every idempotency key. */
  instance?: string;
}

/**
 * Checks parameters against the template and returns them in canonical form, or throws a
 * LexError (code BAD_PARAMS) that lists every problem.
 */
export function checkParams(c: Contract, params: unknown): Record<string, JsonValue> {
  if (!isPlainObject(params)) {
    throw new LexError('BAD_PARAMS', 'The parameters must be an object naming each party and term of the contract.', '参数应为一个对象，列明合同的每一方当事人和每一项条款参数。');
  }
  const problems: Array<[string, string]> = [];
  const out: Record<string, JsonValue> = {};
  const known = new Set<string>([...c.parties.map((p) => p.name), ...c.params.map((p) => p.name)]);
  for (const k of Object.keys(params)) {
    if (!known.has(k)) problems.push([`"${k}" is not a party or term of this contract.`, `"${k}"不是本合同的当事人或条款参数。`]);
  }
  for (const p of c.parties) {
    const v = params[p.name];
    if (v === undefined) {
      problems.push([`The DID of ${p.label.en} (${p.name}) is missing.`, `缺少${p.label.zh}（${p.name}）的DID。`]);
      continue;
    }
    try {
      out[p.name] = encode(decode(v, { k: 'DID' }, c, { en: `${p.label.en} (${p.name})`, zh: `${p.label.zh}（${p.name}）` }), { k: 'DID' }, c, p.name);
    } catch (e) {
      if (e instanceof LexError) problems.push([e.message, e.zh]);
      else throw e;
    }
  }
  for (const p of c.params) {
    const v = params[p.name];
    if (v === undefined) {
      problems.push([`The term "${p.label.en}" (${p.name}) is missing.`, `缺少条款参数"${p.label.zh}"（${p.name}）。`]);
      continue;
    }
    try {
      out[p.name] = encode(decode(v, p.t!, c, { en: `${p.label.en} (${p.name})`, zh: `${p.label.zh}（${p.name}）` }), p.t!, c, p.name);
    } catch (e) {
      if (e instanceof LexError) problems.push([e.message, e.zh]);
      else throw e;
    }
  }
  if (problems.length) {
    throw new LexError('BAD_PARAMS', problems.map((p) => p[0]).join(' '), problems.map((p) => p[1]).join(''));
  }
  return out;
}

/** Makes the initial state of a contract from its parameters. Throws LexError BAD_PARAMS on bad parameters. */
export function instantiate(c: Contract, params: Record<string, JsonValue>, opts: InstantiateOptions = {}): ContractState {
  const canonical = checkParams(c, params);
  const m = new Machine(c, canonical, {}, {}, undefined, 10_000_000);
  const vars: Record<string, JsonValue> = {};
  try {
    for (const s of c.states) vars[s.name] = encode(m.evalExpr(s.init), s.t!, c, s.name);
    // tiers must ascend and obligation counts must be bounded for every later request to work
    for (const td of c.tiers.values()) {
      let prev: Rat | undefined;
      for (const row of td.rows) {
        if (!row.limit) continue;
        const v = m.evalExpr(row.limit);
        const r = v instanceof Money ? v.a : (v as Rat);
        if (prev && cmp(r, prev) <= 0) {
          throw new LexError('BAD_PARAMS', `The limits of the tiers "${td.label.en}" must increase from one tier to the next.`, `"${td.label.zh}"的分档上限应逐档递增。`);
        }
        prev = r;
      }
    }
    m.instances();
  } catch (e) {
    if (e instanceof LexError) throw new LexError('BAD_PARAMS', e.message, e.zh, e.pos);
    throw e;
  }
  const instance = opts.instance ?? toHex(sm3(Buffer.from(canonicalize({ contract: c.sourceHash, params: canonical }), 'utf8'))).slice(0, 32);
  // Parameters, state values and obligation records are frozen: they are shared by every later
  // state of this instance and must never change.
  return {
    lex: 1, contract: c.sourceHash, template: `${c.id}@${c.version}`, instance, status: 'active', seq: 0, time: null,
    params: deepFreeze(canonical), vars: deepFreeze(vars), obligations: deepFreeze({}),
  };
}

// ---------------------------------------------------------------------------------------------
// Execute

function isState(s: unknown): s is ContractState {
  if (!isPlainObject(s)) return false;
  const x = s as unknown as ContractState;
  return x.lex === 1 && typeof x.contract === 'string' && typeof x.instance === 'string' && (x.status === 'active' || x.status === 'terminated')
    && Number.isSafeInteger(x.seq) && (x.time === null || Number.isSafeInteger(x.time)) && isPlainObject(x.params) && isPlainObject(x.vars) && isPlainObject(x.obligations);
}

/**
 * Runs one request against a contract's state. Pure and deterministic: the same contract,
 * state, request and options always give the same result, and `state` is never modified.
 * Returns the new state and what happened, or a rejection that changes nothing.
 */
export function execute(c: Contract, state: ContractState, request: LexRequest, opts: ExecuteOptions): ExecuteResult {
  let m: Machine | undefined;
  let handler: HandlerDecl | undefined;
  try {
    if (!opts || !Number.isSafeInteger(opts.time) || opts.time < MIN_TIME || opts.time > MAX_TIME) {
      throw lexErr('BAD_TIME', 'The time of the request must be a whole number of milliseconds since 1970 (the block time).', '请求时间应为自1970年起的毫秒整数（区块时间）。');
    }
    if (!Number.isSafeInteger(opts.gasLimit) || opts.gasLimit <= 0) {
      throw lexErr('BAD_GAS_LIMIT', 'The gas limit must be a positive whole number.', '燃料上限应为正整数。');
    }
    if (typeof opts.sender !== 'string') throw lexErr('BAD_SENDER', 'The sender must be a DID.', '发送方应为DID。');
    if (!isState(state) || state.contract !== c.sourceHash) {
      throw lexErr('STATE_MISMATCH', 'This state does not belong to this contract template (its template fingerprint differs).', '该状态不属于本合同模板（模板指纹不一致）。');
    }
    if (state.status === 'terminated') {
      throw lexErr('CONTRACT_TERMINATED', 'The contract has ended; it accepts no further events.', '合同已终止，不再接受任何事件。');
    }
    if (state.time !== null && opts.time < state.time) {
      throw lexErr('TIME_BEFORE_LAST_EVENT', 'The time of this request is earlier than the last event the contract accepted.', '本请求时间早于合同已接受的上一事件时间。');
    }
    if (!isPlainObject(request) || typeof request.event !== 'string' || Object.keys(request).some((k) => k !== 'event' && k !== 'input')) {
      throw lexErr('BAD_REQUEST', 'A request is an object {"event": NAME, "input": {…}}.', '请求应为对象{"event": 名称, "input": {…}}。');
    }
    const input = request.input ?? {};
    if (!isPlainObject(input)) throw lexErr('BAD_REQUEST', 'The input of a request must be an object.', '请求的input应为对象。');

    m = new Machine(c, state.params, state.vars, state.obligations, opts.time, opts.gasLimit);
    m.charge(LEX_GAS.request);
    m.keyPrefix = `${state.instance}:${state.seq}`;
    m.sender = opts.sender;
    if (request.event !== TICK) {
      handler = c.handlers.get(request.event);
      if (!handler) {
        throw lexErr('UNKNOWN_EVENT', `This contract has no event or permission "${request.event}"; it knows ${[...c.handlers.keys(), TICK].join(', ')}.`, `本合同没有名为"${request.event}"的事件或权利；可用的有：${[...c.handlers.keys(), TICK].join('、')}。`);
      }
      if (!handler.anyone && !handler.parties.some((p) => state.params[c.parties[p.index!]!.name] === opts.sender)) {
        const who = handler.parties.map((p) => c.parties[p.index!]!.label);
        throw lexErr('NOT_AUTHORISED', `Only ${who.map((l) => l.en).join(' or ')} may ${handler.kind === 'on' ? 'report' : 'exercise'} "${handler.label.en}"; the sender is not.`, `仅${who.map((l) => l.zh).join('或')}可${handler.kind === 'on' ? '报告' : '行使'}"${handler.label.zh}"，发送方无此权限。`, handler.pos);
      }
      const locals = new Array<Val>(handler.locals ?? 0);
      for (const k of Object.keys(input)) {
        if (!handler.inputs.some((f) => f.name === k)) {
          throw lexErr('BAD_INPUT', `"${handler.label.en}" carries no information called "${k}".`, `"${handler.label.zh}"不包含名为"${k}"的信息。`, handler.pos);
        }
      }
      handler.inputs.forEach((f, i) => {
        if (!(f.name in input)) {
          throw lexErr('BAD_INPUT', `"${handler!.label.en}" must state ${f.label.en} (${f.name}).`, `"${handler!.label.zh}"须载明${f.label.zh}（${f.name}）。`, f.pos);
        }
        try {
          locals[i] = decode(input[f.name], f.t!, c, { en: `${f.label.en} (${f.name})`, zh: `${f.label.zh}（${f.name}）` });
        } catch (e) {
          if (e instanceof LexError) throw lexErr('BAD_INPUT', e.message, e.zh, f.pos);
          throw e;
        }
      });
      m.checkBreaches();
      if (!m.stopped) {
        m.locals = locals;
        handler.inputs.forEach((f, i) => {
          m!.inputs[f.name] = locals[i]!;
        });
        m.clause = handler.clause;
        m.events.push({ type: 'Handled', data: { event: handler.name, clause: handler.clause } });
        m.block(handler.body);
      }
    } else {
      if (Object.keys(input).length) throw lexErr('BAD_INPUT', '"Tick" carries no information.', '"Tick"不包含任何信息。');
      m.checkBreaches();
    }
    m.checkDischarges();
    const { vars, changed } = m.encodeVars();
    if (changed.length) m.events.push({ type: 'StateChanged', data: { vars: changed } });
    const next: ContractState = {
      ...state,
      seq: state.seq + 1,
      time: opts.time,
      vars,
      obligations: m.obligations === state.obligations ? m.obligations : deepFreeze(m.obligations),
    };
    if (m.terminated) {
      next.status = 'terminated';
      next.terminated = { reason: m.terminated, at: instantText(opts.time, c.timezone) };
      m.events.push({ type: 'ContractTerminated', data: { reason: { ...m.terminated } } });
    }
    const obligations = m.views();
    return { ok: true, response: m.response, state: next, obligations, settlements: m.settlements, events: m.events, gasUsed: m.gas };
  } catch (e) {
    const gasUsed = m ? Math.min(m.gas, opts.gasLimit) : 0;
    if (e instanceof LexError) return { ok: false, rejection: rejectionOf(e, handler?.clause), gasUsed };
    // A defect of the interpreter must not break the chain: refuse the request, change nothing,
    // and say so plainly. Tests assert this code never appears.
    const detail = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    return { ok: false, rejection: { code: 'LEX_INTERNAL', message: { en: `The contract engine failed on this request (${detail}); nothing was changed.`, 'zh-CN': `合同引擎处理该请求时出错（${detail}），未作任何变更。` } }, gasUsed };
  }
}

/** The obligations of a contract as they stand at `time` (nothing is changed; no gas limit applies). */
export function obligationsOf(c: Contract, state: ContractState, time: number): ObligationView[] {
  const m = new Machine(c, state.params, state.vars, state.obligations, time, Number.MAX_SAFE_INTEGER);
  return m.views();
}

/** Decoded parameter values, for the renderer. */
export function paramValues(c: Contract, params: Record<string, JsonValue>): { params: Val[]; parties: string[] } {
  const m = new Machine(c, params, {}, {}, undefined, Number.MAX_SAFE_INTEGER);
  return { params: c.params.map((_, i) => m.param(i)), parties: c.parties.map((_, i) => m.party(i)) };
}
