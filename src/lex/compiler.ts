/**
 * The lex compiler: resolves names, checks types (money is never rounded implicitly), finds
 * obligations without deadlines, circular definitions and rules that can never run, and checks
 * that every paragraph of legal wording exists in both languages and only refers to things the
 * contract defines. Every finding carries a line, a column and a sentence a lawyer can act on.
 */
import { sm3 } from '../crypto/index.ts';
import { toHex } from '../codec/index.ts';
import type {
  ClauseDecl, DefineDecl, EnumDecl, Expr, HandlerDecl, IfShort, Label, ObligationDecl, ParamDecl, PartyDecl, Prose,
  RecordDecl, StateDecl, Stmt, TemplateAst, TiersDecl, Type, TypeExpr,
} from './ast.ts';
import type { Diagnostic, Pos, Severity } from './errors.ts';
import { RESERVED } from './parser.ts';
import { forEachChild } from './ast.ts';
import { CURRENCIES, div, int, moneyFromDecimal, parseDecimal, parseInstant } from './values.ts';

/** Longest chain of definitions that use each other (each level is one step of evaluation). */
export const MAX_DEFINE_DEPTH = 32;
/** Most items a list may be declared to hold, and most instances of an obligation "for each". */
export const MAX_LIST = 10_000;
export const MAX_INSTANCES = 1_000;

/** A compiled template: what `render`, `instantiate` and `execute` work from. */
export interface Contract {
  readonly kind: 'lex-contract';
  readonly id: string;
  readonly version: string;
  readonly title: Label;
  /** Minutes east of UTC in which dates without an offset are read and written. */
  readonly timezone: number;
  readonly currency?: string;
  /** SM3 of the template source (hex): the identity of the template. */
  readonly sourceHash: string;
  readonly ast: TemplateAst;
  readonly parties: readonly PartyDecl[];
  readonly params: readonly ParamDecl[];
  readonly states: readonly StateDecl[];
  readonly enums: ReadonlyMap<string, EnumDecl>;
  readonly records: ReadonlyMap<string, RecordDecl>;
  readonly tiers: ReadonlyMap<string, TiersDecl>;
  readonly defines: ReadonlyMap<string, DefineDecl>;
  readonly handlers: ReadonlyMap<string, HandlerDecl>;
  readonly obligations: readonly ObligationDecl[];
  readonly clauses: readonly ClauseDecl[];
  /** Clause name → its number in the rendered text (1-based). */
  readonly clauseNumbers: ReadonlyMap<string, number>;
}

export interface CompileResult {
  contract?: Contract;
  diagnostics: Diagnostic[];
}

// ---------------------------------------------------------------------------------------------
// Types in words

/** "the preamble" / "clause penalty" (the `where` of prose findings) in Chinese. */
function whereZh(where: string): string {
  if (where === 'the preamble') return '序言';
  const m = /^clause (.+)$/.exec(where);
  return m ? `条款“${m[1]}”` : where;
}

/** typeWords in Chinese, for the zh-CN console's field hints. */
export function typeWordsZh(t: Type): string {
  switch (t.k) {
    case 'Int': return '整数';
    case 'Decimal': return t.pct ? '百分比（如 10.5%）' : '数字';
    case 'Money': return `金额${t.cur ? `（${t.cur}）` : ''}${t.frac ? '，尚未舍入到最小货币单位' : ''}`;
    case 'Date': return '日期与时间（如 2026-03-01 或 2026-03-01T18:00:00+08:00）';
    case 'Duration': return '时长（如 15 days 或 36 hours）';
    case 'Period': return '若干个日历月或年';
    case 'Bool': return '是或否';
    case 'Text': return '文字';
    case 'DID': return '当事方（DID）';
    case 'Enum': return `“${t.name}”的选项之一`;
    case 'Record': return `“${t.name}”记录`;
    case 'List': return `最多 ${t.max} 项的列表，每项为${typeWordsZh(t.elem)}`;
    case 'Error': return '无效的值';
  }
}

export function typeWords(t: Type): string {
  switch (t.k) {
    case 'Int': return 'a whole number';
    case 'Decimal': return t.pct ? 'a percentage' : 'a number';
    case 'Money': return t.frac ? `an amount of money${t.cur ? ` in ${t.cur}` : ''} that is not yet rounded to the smallest unit of the currency` : `an amount of money${t.cur ? ` in ${t.cur}` : ''}`;
    case 'Date': return 'a date and time';
    case 'Duration': return 'a length of time';
    case 'Period': return 'a number of calendar months or years';
    case 'Bool': return 'a yes-or-no condition';
    case 'Text': return 'a text';
    case 'DID': return 'a party (a DID)';
    case 'Enum': return `one of the choices of ${t.name}`;
    case 'Record': return `a ${t.name} record`;
    case 'List': return `a list of up to ${t.max} items, each ${typeWords(t.elem)}`;
    case 'Error': return 'an invalid value';
  }
}

const T_INT: Type = { k: 'Int' };
const T_DEC: Type = { k: 'Decimal' };
const T_BOOL: Type = { k: 'Bool' };
const T_DATE: Type = { k: 'Date' };
const T_DUR: Type = { k: 'Duration' };
const T_PERIOD: Type = { k: 'Period' };
const T_TEXT: Type = { k: 'Text' };
const T_DID: Type = { k: 'DID' };
const T_ERR: Type = { k: 'Error' };

const isNum = (t: Type): boolean => t.k === 'Int' || t.k === 'Decimal';

function sameKind(a: Type, b: Type): boolean {
  if (a.k === 'Error' || b.k === 'Error') return true;
  if (isNum(a) && isNum(b)) return true;
  if (a.k !== b.k) return false;
  if (a.k === 'Money' && b.k === 'Money') return a.cur === undefined || b.cur === undefined || a.cur === b.cur;
  if (a.k === 'Enum' && b.k === 'Enum') return a.name === b.name;
  if (a.k === 'Record' && b.k === 'Record') return a.name === b.name;
  if (a.k === 'List' && b.k === 'List') return sameKind(a.elem, b.elem);
  return true;
}

/** The type of a value that may come from either of two expressions (if/else, min, capped at). */
function join(a: Type, b: Type): Type {
  if (a.k === 'Error') return b;
  if (b.k === 'Error') return a;
  if (isNum(a) && isNum(b)) {
    if (a.k === 'Int' && b.k === 'Int') return T_INT;
    return a.k === 'Decimal' && a.pct && b.k === 'Decimal' && b.pct ? { k: 'Decimal', pct: true } : T_DEC;
  }
  if (a.k === 'Money' && b.k === 'Money') return { k: 'Money', cur: a.cur ?? b.cur, frac: a.frac || b.frac };
  return a;
}

/**
 * The type of a value that is one of two without either being checked against the other (an
 * `if`'s outcomes, a list's items): an amount whose currency is known only if both agree, since
 * one may be Money(any).
 */
function either(a: Type, b: Type): Type {
  const t = join(a, b);
  if (t.k === 'Money' && a.k === 'Money' && b.k === 'Money' && a.cur !== b.cur) return { k: 'Money', frac: t.frac };
  return t;
}

// ---------------------------------------------------------------------------------------------

interface Local {
  slot: number;
  t: Type;
  pos: Pos;
}

type Ctx = 'state-init' | 'define' | 'handler' | 'obligation' | 'instances' | 'tiers';

interface Scope {
  ctx: Ctx;
  blocks: Array<Map<string, Local>>;
  next: { n: number };
  /** defines referenced while checking (for dependency and use tracking) */
  uses?: Set<string>;
  /** In a definition: the event information it reads, directly or through other definitions. */
  inputs?: Set<string>;
  /** In the rules of an event or permission: which one. */
  handler?: HandlerDecl;
}

/** Information events carry, by name, as definitions and exceptions may read it. */
interface InputInfo {
  t: Type;
  label: Label;
  /** The events and permissions that state it, in order. */
  events: HandlerDecl[];
  /** Two events state it with different types: no definition may read it. */
  conflict?: { a: HandlerDecl; b: HandlerDecl; ta: Type; tb: Type };
}

/** The same type exactly (event information read by a definition must mean one thing). */
function sameType(a: Type, b: Type): boolean {
  if (a.k !== b.k) return false;
  switch (a.k) {
    case 'Decimal': return !!a.pct === !!(b as typeof a).pct;
    case 'Money': return a.cur === (b as typeof a).cur && a.frac === (b as typeof a).frac;
    case 'Enum': case 'Record': return a.name === (b as typeof a).name;
    case 'List': return a.max === (b as typeof a).max && sameType(a.elem, (b as typeof a).elem);
    default: return true;
  }
}

const listWords = (xs: string[]): string => (xs.length > 1 ? `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}` : xs[0] ?? '');

function edit(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3) return 99;
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

class Compiler {
  readonly ast: TemplateAst;
  readonly diags: Diagnostic[];
  private suggestions = 0;
  offset = 0;
  currency?: string;

  parties = new Map<string, number>();
  params = new Map<string, number>();
  states = new Map<string, number>();
  enums = new Map<string, EnumDecl>();
  records = new Map<string, RecordDecl>();
  tiers = new Map<string, TiersDecl>();
  defines = new Map<string, DefineDecl>();
  handlers = new Map<string, HandlerDecl>();
  obligations: ObligationDecl[] = [];
  clauseNames = new Map<string, number>();
  /** every global value name → where it was declared */
  names = new Map<string, { what: string; pos: Pos }>();
  used = new Set<string>();
  /** Event information by name (see InputInfo). */
  inputs = new Map<string, InputInfo>();

  constructor(ast: TemplateAst) {
    this.ast = ast;
    this.diags = [...ast.diagnostics];
  }

  report(severity: Severity, code: string, message: string, pos: Pos, zh?: string): void {
    this.diags.push({ severity, code, message, ...(zh !== undefined ? { zh } : {}), line: pos.line, column: pos.column, file: this.ast.file });
  }
  error(code: string, message: string, pos: Pos, zh?: string): void {
    this.report('error', code, message, pos, zh);
  }
  warn(code: string, message: string, pos: Pos, zh?: string): void {
    this.report('warning', code, message, pos, zh);
  }

  declare(name: string, what: string, pos: Pos): boolean {
    if (RESERVED.has(name)) {
      this.error('LEX_RESERVED', `"${name}" is a word with a fixed meaning in rules and cannot name ${what}; choose another name.`, pos, `“${name}”在规则中有固定含义，不能用作名称，请换一个名称。`);
      return false;
    }
    const prior = this.names.get(name);
    if (prior) {
      this.error('LEX_DUPLICATE', `The name "${name}" is already used for ${prior.what} (line ${prior.pos.line}); each party, term, state, definition and event needs its own name.`, pos,
        `名称“${name}”已在第 ${prior.pos.line} 行使用；每个当事方、条款参数、状态、定义和事件都需要自己的名称。`);
      return false;
    }
    this.names.set(name, { what, pos });
    return true;
  }

  suggest(name: string, pool: Iterable<string>): string {
    if (++this.suggestions > 50) return '';
    let best = '';
    let bestD = 3;
    for (const c of pool) {
      const d = edit(name, c);
      if (d < bestD) {
        bestD = d;
        best = c;
      }
    }
    return best ? ` Did you mean "${best}"?` : '';
  }

  // ---- types

  resolveType(te: TypeExpr, where: 'param' | 'state' | 'field'): Type {
    switch (te.name) {
      case 'Int': return T_INT;
      case 'Decimal': return T_DEC;
      case 'Percent': return { k: 'Decimal', pct: true };
      case 'Money': {
        // Money(any): an amount in whichever currency it comes in (read it with `.currency`)
        if (te.currency === 'any') return { k: 'Money', frac: false };
        const cur = te.currency ?? this.currency;
        if (te.currency && !CURRENCIES.has(te.currency)) {
          this.error('LEX_CURRENCY', `"${te.currency}" is not an ISO 4217 currency code this platform knows (for example CNY, USD, EUR, HKD, JPY); write Money(any) for an amount in any currency.`, te.pos);
        }
        return cur ? { k: 'Money', cur, frac: false } : { k: 'Money', frac: false };
      }
      case 'Date': return T_DATE;
      case 'Duration': return T_DUR;
      case 'Period': return T_PERIOD;
      case 'Bool': return T_BOOL;
      case 'Text': return T_TEXT;
      case 'DID': return T_DID;
      case 'List': {
        const elem = te.elem ? this.resolveType(te.elem, where) : T_ERR;
        const max = te.max ?? 0;
        if (max < 1 || max > MAX_LIST) this.error('LEX_LIST_BOUND', `A list holds between 1 and ${MAX_LIST} items; ${max} is outside that range.`, te.pos);
        if (elem.k === 'List') this.error('LEX_TYPE', 'A list of lists is not allowed; use a list of records.', te.pos);
        return { k: 'List', elem, max };
      }
      default:
        if (this.enums.has(te.name)) return { k: 'Enum', name: te.name };
        if (this.records.has(te.name)) return { k: 'Record', name: te.name };
        this.error('LEX_UNKNOWN_TYPE', `"${te.name}" is not a type. Use Int, Decimal, Percent, Money, Date, Duration, Period, Bool, Text, DID, List(Type, N), or an enum or record declared in this template.${this.suggest(te.name, ['Int', 'Decimal', 'Percent', 'Money', 'Date', 'Duration', 'Period', 'Bool', 'Text', 'DID', 'List', ...this.enums.keys(), ...this.records.keys()])}`, te.pos);
        return T_ERR;
    }
  }

  assignable(target: Type, value: Type, pos: Pos, what: string): void {
    if (target.k === 'Error' || value.k === 'Error') return;
    if (target.k === 'Int' && value.k === 'Decimal') {
      this.error('LEX_ROUNDING_REQUIRED', `${what} must be a whole number, but this value may have a fraction. Say how to round it, e.g. add "rounded down" or "rounded up".`, pos);
      return;
    }
    if (target.k === 'Money' && value.k === 'Money') {
      if (value.frac && !target.frac) {
        this.error('LEX_ROUNDING_REQUIRED', `${what} must be a whole number of the currency's smallest unit (e.g. fen), but this amount may include a fraction of one. Say how to round it, e.g. add "rounded half up".`, pos);
        return;
      }
      if (target.cur && value.cur && target.cur !== value.cur) {
        this.error('LEX_CURRENCY_MISMATCH', `${what} is in ${target.cur}, but this amount is in ${value.cur}; amounts in different currencies cannot be mixed.`, pos);
      }
      return;
    }
      if (target.k === 'List' && value.k === 'List') {
      this.assignable(target.elem, value.elem, pos, `each item of ${what}`);
      return;
    }
    if (!sameKind(target, value)) this.error('LEX_TYPE', `${what} must be ${typeWords(target)}, but this is ${typeWords(value)}.`, pos);
  }

  // ---- expressions

  lookup(scope: Scope, name: string): Local | undefined {
    for (let i = scope.blocks.length - 1; i >= 0; i--) {
      const l = scope.blocks[i]!.get(name);
      if (l) return l;
    }
    return undefined;
  }

  expr(e: Expr, scope: Scope): Type {
    const t = this.exprInner(e, scope);
    e.t = t;
    return t;
  }

  private mismatch(e: Expr, message: string): Type {
    this.error('LEX_TYPE', message, e.pos);
    return T_ERR;
  }

  private exprInner(e: Expr, scope: Scope): Type {
    switch (e.k) {
      case 'num': {
        const v = parseDecimal(e.text);
        if (!v) return this.mismatch(e, `${e.text} is not a number.`);
        e.value = e.pct ? div(v, int(100)) : v;
        if (e.pct) return { k: 'Decimal', pct: true };
        return e.text.includes('.') ? T_DEC : T_INT;
      }
      case 'money': {
        const info = CURRENCIES.get(e.cur);
        if (!info) return this.mismatch(e, `"${e.cur}" is not an ISO 4217 currency code this platform knows.`);
        const m = moneyFromDecimal(e.text, e.cur);
        if (!m) return this.mismatch(e, `${e.text} ${e.cur} has more decimal places than ${e.cur} has (${info.exponent}); write the amount in whole units of ${e.cur}'s smallest coin.`);
        e.value = m;
        return { k: 'Money', cur: e.cur, frac: false };
      }
      case 'date': {
        const v = parseInstant(e.text, this.offset);
        if (v === undefined) return this.mismatch(e, `${e.text} is not a valid date (years 1970 to 9999, months 1 to 12, days that exist in the month).`);
        e.value = v;
        return T_DATE;
      }
      case 'str':
        return T_TEXT;
      case 'bool':
        return T_BOOL;
      case 'now':
        if (scope.ctx === 'state-init' || scope.ctx === 'instances' || scope.ctx === 'tiers') {
          return this.mismatch(e, '"now" (the time of an event) cannot be used here: this value is fixed when the contract is made, before any event happens.');
        }
        return T_DATE;
      case 'sender':
        if (scope.ctx !== 'handler') return this.mismatch(e, '"sender" (who sent the event) can only be used in the rules of an event or permission.');
        return T_DID;
      case 'list': {
        if (e.items.length > MAX_LIST) return this.mismatch(e, `A list written out in a rule holds at most ${MAX_LIST} items.`);
        let elem: Type = T_ERR;
        for (const it of e.items) {
          const t = this.expr(it, scope);
          if (elem.k !== 'Error' && !sameKind(elem, t)) return this.mismatch(it, 'All items of a list must be the same kind of value.');
          elem = elem.k === 'Error' ? t : either(elem, t);
        }
        return { k: 'List', elem, max: Math.max(e.items.length, 1) };
      }
      case 'name':
        return this.name(e, scope);
      case 'field': {
        if (e.obj.k === 'name' && this.enums.has(e.obj.name) && !this.names.has(e.obj.name)) {
          const en = this.enums.get(e.obj.name)!;
          if (!en.members.some((m) => m.name === e.field)) {
            return this.mismatch(e, `${e.obj.name} has no choice "${e.field}"; its choices are ${en.members.map((m) => m.name).join(', ')}.`);
          }
          e.ref = { kind: 'enum', name: en.name, member: e.field };
          e.obj.t = { k: 'Enum', name: en.name };
          return { k: 'Enum', name: en.name };
        }
        const ot = this.expr(e.obj, scope);
        if (ot.k === 'Error') return T_ERR;
        if (ot.k === 'Money') {
          if (e.field !== 'currency') return this.mismatch(e, `An amount of money has one part that can be read, its currency: write ".currency" (e.g. payment.currency = "USD"), not ".${e.field}".`);
          e.ref = { kind: 'currency' };
          return T_TEXT;
        }
        if (ot.k !== 'Record') return this.mismatch(e, `Only records have fields (and amounts of money their ".currency"); this is ${typeWords(ot)}.`);
        const f = this.records.get(ot.name)!.fields.find((x) => x.name === e.field);
        if (!f) return this.mismatch(e, `A ${ot.name} record has no field "${e.field}".${this.suggest(e.field, this.records.get(ot.name)!.fields.map((x) => x.name))}`);
        return f.t ?? T_ERR;
      }
      case 'neg': {
        const t = this.expr(e.e, scope);
        if (t.k === 'Error' || isNum(t) || t.k === 'Money' || t.k === 'Duration' || t.k === 'Period') return t;
        return this.mismatch(e, `Only numbers, amounts and lengths of time can be negated; this is ${typeWords(t)}.`);
      }
      case 'not': {
        const t = this.expr(e.e, scope);
        if (t.k !== 'Bool' && t.k !== 'Error') return this.mismatch(e, `"not" applies to a yes-or-no condition; this is ${typeWords(t)}.`);
        return T_BOOL;
      }
      case 'bin':
        return this.binary(e as Extract<Expr, { k: 'bin' }>, scope);
      case 'round': {
        const t = this.expr(e.e, scope);
        if (t.k === 'Error') return T_ERR;
        if (t.k === 'Decimal') return T_INT;
        if (t.k === 'Int') {
          this.warn('LEX_ROUNDING_NO_EFFECT', 'This value is already a whole number, so rounding it changes nothing; remove "rounded" or round the calculation it comes from.', e.pos, '该值已是整数，舍入不起作用；请去掉舍入，或对其来源的计算进行舍入。');
          return T_INT;
        }
        if (t.k === 'Money') {
          if (!t.frac) this.warn('LEX_ROUNDING_NO_EFFECT', 'This amount is already a whole number of the smallest currency unit, so rounding it changes nothing.', e.pos, '该金额已是最小货币单位的整数倍，舍入不起作用。');
          return { k: 'Money', cur: t.cur, frac: false } as Type;
        }
        return this.mismatch(e, `Only numbers and amounts of money can be rounded; this is ${typeWords(t)}. To round a length of time, first count it in a unit, e.g. "(a - b) in days rounded up".`);
      }
      case 'in': {
        const t = this.expr(e.e, scope);
        if (e.per) {
          const pt = this.expr(e.per, scope);
          if (pt.k !== 'Duration' && pt.k !== 'Error') {
            return this.mismatch(e.per, `After "in" comes the unit a length of time is counted in: days, hours, minutes, seconds or weeks, or a length of time such as a term "billingUnit: Duration" or "15 minutes"; this is ${typeWords(pt)}.`);
          }
        }
        const unit = e.unit ?? 'units of that length';
        if (t.k !== 'Duration' && t.k !== 'Error') return this.mismatch(e, `"in" counts a length of time in ${unit}; this is ${typeWords(t)}.`);
        return T_DEC;
      }
      case 'unit': {
        const t = this.expr(e.e, scope);
        if (t.k === 'Error') return T_ERR;
        if (t.k !== 'Int') {
          return this.mismatch(e, t.k === 'Decimal'
            ? `A length of time is a whole number of ${e.unit}; for a fraction use a smaller unit (e.g. 36 hours instead of 1.5 days).`
            : `"${e.unit}" turns a whole number into a length of time; this is ${typeWords(t)}.`);
        }
        return e.unit === 'months' || e.unit === 'years' ? T_PERIOD : T_DUR;
      }
      case 'if': {
        const c = this.expr(e.c, scope);
        if (c.k !== 'Bool' && c.k !== 'Error') this.error('LEX_TYPE', `The condition after "if" must be yes-or-no; this is ${typeWords(c)}.`, e.c.pos);
        const a = this.expr(e.a, scope);
        const b = this.expr(e.b, scope);
        if (!sameKind(a, b)) return this.mismatch(e, `Both outcomes of "if … then … else …" must be the same kind of value; here one is ${typeWords(a)} and the other ${typeWords(b)}.`);
        return either(a, b);
      }
      case 'call':
        return this.call(e as Extract<Expr, { k: 'call' }>, scope);
      case 'tier': {
        const td = this.tiers.get(e.tiers);
        const xt = this.expr(e.e, scope);
        if (!td) return this.mismatch(e, `"${e.tiers}" is not a table of tiers declared in this template.${this.suggest(e.tiers, this.tiers.keys())}`);
        this.used.add(`tiers:${td.name}`);
        const base = td.baseType ?? T_ERR;
        if (base.k !== 'Error' && xt.k !== 'Error' && !sameKind(base, xt)) {
          return this.mismatch(e, `The tiers of ${td.name} are measured in ${typeWords(base)}, but this is ${typeWords(xt)}.`);
        }
        if (e.how === 'rate') return td.rateType && td.rateType.k === 'Decimal' ? td.rateType : T_DEC;
        if (xt.k === 'Money') return { k: 'Money', cur: xt.cur, frac: true } as Type;
        return T_DEC;
      }
      case 'record': {
        const rd = this.records.get(e.type);
        if (!rd) {
          for (const f of e.fields) this.expr(f.e, scope);
          return this.mismatch(e, `"${e.type}" is not a record declared in this template.${this.suggest(e.type, this.records.keys())}`);
        }
        const seen = new Set<string>();
        for (const f of e.fields) {
          const fd = rd.fields.find((x) => x.name === f.name);
          const ft = this.expr(f.e, scope);
          if (!fd) {
            this.error('LEX_TYPE', `A ${rd.name} record has no field "${f.name}".`, f.pos);
            continue;
          }
          if (seen.has(f.name)) this.error('LEX_DUPLICATE', `The field "${f.name}" is given twice.`, f.pos);
          seen.add(f.name);
          this.assignable(fd.t ?? T_ERR, ft, f.e.pos, `The field ${f.name}`);
        }
        const missing = rd.fields.filter((x) => !seen.has(x.name)).map((x) => x.name);
        if (missing.length) return this.mismatch(e, `A ${rd.name} record needs every field; missing: ${missing.join(', ')}.`);
        return { k: 'Record', name: rd.name };
      }
    }
  }

  private name(e: Extract<Expr, { k: 'name' }>, scope: Scope): Type {
    const local = this.lookup(scope, e.name);
    if (local) {
      e.ref = { kind: 'local', slot: local.slot };
      return local.t;
    }
    const pi = this.parties.get(e.name);
    if (pi !== undefined) {
      e.ref = { kind: 'party', index: pi };
      return T_DID;
    }
    const ai = this.params.get(e.name);
    if (ai !== undefined) {
      e.ref = { kind: 'param', index: ai };
      this.used.add(`param:${e.name}`);
      return this.ast.params[ai]!.t ?? T_ERR;
    }
    const si = this.states.get(e.name);
    if (si !== undefined) {
      if (scope.ctx === 'state-init' || scope.ctx === 'instances' || scope.ctx === 'tiers') {
        return this.mismatch(e, `"${e.name}" is part of the contract's changing state, so it cannot be used in a value fixed when the contract is made; use parameters only.`);
      }
      e.ref = { kind: 'state', index: si };
      return this.ast.states[si]!.t ?? T_ERR;
    }
    const d = this.defines.get(e.name);
    if (d) {
      if (scope.ctx === 'state-init' || scope.ctx === 'instances' || scope.ctx === 'tiers') {
        return this.mismatch(e, `The definition "${e.name}" may depend on the state or on the time of an event, so it cannot be used in a value fixed when the contract is made.`);
      }
      e.ref = { kind: 'define', name: e.name };
      this.used.add(`define:${e.name}`);
      scope.uses?.add(e.name);
      if (d.needs?.length) this.definitionNeeds(e, d, scope);
      return d.t ?? T_ERR;
    }
    if (this.enums.has(e.name)) return this.mismatch(e, `"${e.name}" is a list of choices; pick one of them, e.g. ${e.name}.${this.enums.get(e.name)!.members[0]!.name}.`);
    const input = this.inputs.get(e.name);
    if (input && scope.ctx === 'define') {
      if (input.conflict) {
        const { a, b, ta, tb } = input.conflict;
        return this.mismatch(e, `"${e.name}" is information carried by more than one event, with different types (${a.name}: ${typeWords(ta)}; ${b.name}: ${typeWords(tb)}), so a definition cannot tell which it reads. Give it the same type in every event that states it, or another name in one of them.`);
      }
      e.ref = { kind: 'input', name: e.name };
      scope.inputs?.add(e.name);
      return input.t;
    }
    if (input) {
      const events = listWords(input.events.map((h) => h.name));
      const where = scope.ctx === 'handler' ? `the rules of ${scope.handler ? scope.handler.name : 'this event'}, which does not state it` : scope.ctx === 'obligation' ? 'an obligation, which applies whatever event is sent' : 'a value fixed when the contract is made';
      this.error('LEX_EVENT_INPUT', `"${e.name}" is information carried by ${input.events.length > 1 ? 'the events' : 'the event'} ${events}: it can be used in ${input.events.length > 1 ? 'their' : 'its'} rules and in definitions and exceptions, but not in ${where}.`, e.pos);
      return T_ERR;
    }
    if (this.ast.broken?.has(e.name)) return T_ERR; // its declaration did not parse: reported there
    const pool: string[] = [...this.names.keys(), ...this.inputs.keys()];
    for (const b of scope.blocks) pool.push(...b.keys());
    const what = scope.ctx === 'handler' ? ', information carried by the event or a name given with "let"' : scope.ctx === 'define' ? ' or information carried by an event' : '';
    this.error('LEX_UNDEFINED_NAME', `"${e.name}" is not defined in this contract: it is not a party, term, state, definition${what}.${this.suggest(e.name, pool)}`, e.pos,
      `本合同没有定义“${e.name}”：它不是当事方、条款参数、状态或定义。`);
    return T_ERR;
  }

  /**
   * A definition that reads event information has a value only in the rules of an event that
   * states it all; in another definition it passes the need on.
   */
  private definitionNeeds(e: Expr, d: DefineDecl, scope: Scope): void {
    const needs = d.needs!;
    if (scope.ctx === 'define') {
      for (const n of needs) scope.inputs?.add(n);
      return;
    }
    const info = needs.map((n) => `"${n}" (stated by ${listWords(this.inputs.get(n)?.events.map((h) => h.name) ?? [])})`);
    if (scope.ctx === 'handler' && scope.handler) {
      const h = scope.handler;
      const missing = needs.filter((n) => !h.inputs.some((f) => f.name === n));
      if (missing.length === 0) return;
      this.error('LEX_EVENT_INPUT', `The definition "${d.name}" reads ${listWords(missing.map((n) => `"${n}"`))}, information the event carries, but ${h.name} does not state ${missing.length > 1 ? 'them' : 'it'}, so "${d.name}" has no value here. Add ${listWords(missing.map((n) => `"with ${n}: …"`))} to ${h.name}, or use another definition. (${listWords(needs.map((n, i) => `${info[i]}`))})`, e.pos);
      return;
    }
    this.error('LEX_EVENT_INPUT', `The definition "${d.name}" reads information an event carries (${listWords(info)}), so it has a value only in the rules of such an event, not in ${scope.ctx === 'obligation' ? 'an obligation, which applies whatever event is sent' : 'a value fixed when the contract is made'}.`, e.pos);
  }

  private binary(e: Extract<Expr, { k: 'bin' }>, scope: Scope): Type {
    const a = this.expr(e.a, scope);
    const b = this.expr(e.b, scope);
    if (a.k === 'Error' || b.k === 'Error') return e.op === 'and' || e.op === 'or' || ['=', '!=', '<', '<=', '>', '>=', 'contains'].includes(e.op) ? T_BOOL : T_ERR;
    const bad = (): Type => this.mismatch(e, `"${opWords(e.op)}" cannot combine ${typeWords(a)} with ${typeWords(b)}.`);
    const curCheck = (): boolean => {
      if (a.k === 'Money' && b.k === 'Money' && a.cur && b.cur && a.cur !== b.cur) {
        this.error('LEX_CURRENCY_MISMATCH', `Amounts in ${a.cur} and ${b.cur} cannot be combined.`, e.pos);
        return false;
      }
      return true;
    };
    switch (e.op) {
      case 'and':
      case 'or':
        if (a.k !== 'Bool' || b.k !== 'Bool') return this.mismatch(e, `"${e.op}" joins two yes-or-no conditions; here it has ${typeWords(a)} and ${typeWords(b)}.`);
        return T_BOOL;
      case '=':
      case '!=':
        if (a.k === 'List' || a.k === 'Record' || b.k === 'List' || b.k === 'Record') return this.mismatch(e, 'Lists and records cannot be compared as a whole; compare their fields or count their items.');
        if (!sameKind(a, b)) return this.mismatch(e, `${typeWords(a)} cannot be compared with ${typeWords(b)}.`);
        curCheck();
        return T_BOOL;
      case '<':
      case '<=':
      case '>':
      case '>=':
        if (!sameKind(a, b) || !(isNum(a) || a.k === 'Money' || a.k === 'Date' || a.k === 'Duration' || a.k === 'Period')) {
          return this.mismatch(e, `${typeWords(a)} cannot be compared with ${typeWords(b)} by size.`);
        }
        curCheck();
        return T_BOOL;
      case 'contains':
        if (a.k !== 'List') return this.mismatch(e, `"contains" looks for an item in a list; this is ${typeWords(a)}.`);
        if (!sameKind(a.elem, b) || b.k === 'Record') return this.mismatch(e, `The list holds ${typeWords(a.elem)}, so it cannot contain ${typeWords(b)}.`);
        return T_BOOL;
      case '+':
      case '-':
        if (isNum(a) && isNum(b)) return join(a, b);
        if (a.k === 'Money' && b.k === 'Money') {
          curCheck();
          return join(a, b);
        }
        if (a.k === 'Date' && (b.k === 'Duration' || b.k === 'Period')) return T_DATE;
        if (e.op === '+' && (a.k === 'Duration' || a.k === 'Period') && b.k === 'Date') return T_DATE;
        if (e.op === '-' && a.k === 'Date' && b.k === 'Date') return T_DUR;
        if (a.k === 'Duration' && b.k === 'Duration') return T_DUR;
        if (a.k === 'Period' && b.k === 'Period') return T_PERIOD;
        return bad();
      case '*':
      case 'of':
        if (e.op === 'of' && !isNum(a)) {
          return this.mismatch(e, `"of" takes a share or percentage of something ("10% of the price"); the part before "of" is ${typeWords(a)}.`);
        }
        if (isNum(a) && isNum(b)) return join(a, b);
        if (a.k === 'Money' && isNum(b)) return { k: 'Money', cur: a.cur, frac: a.frac || b.k === 'Decimal' } as Type;
        if (isNum(a) && b.k === 'Money') return { k: 'Money', cur: b.cur, frac: b.frac || a.k === 'Decimal' } as Type;
        if ((a.k === 'Duration' && b.k === 'Int') || (a.k === 'Int' && b.k === 'Duration')) return T_DUR;
        if ((a.k === 'Period' && b.k === 'Int') || (a.k === 'Int' && b.k === 'Period')) return T_PERIOD;
        if ((a.k === 'Duration' && b.k === 'Decimal') || (a.k === 'Decimal' && b.k === 'Duration')) {
          return this.mismatch(e, 'A length of time can only be multiplied by a whole number. To work with fractions, first count it in a unit, e.g. "(a - b) in days".');
        }
        return bad();
      case '/':
        if (isNum(a) && isNum(b)) return T_DEC;
        if (a.k === 'Money' && isNum(b)) return { k: 'Money', cur: a.cur, frac: true } as Type;
        if (a.k === 'Money' && b.k === 'Money') {
          curCheck();
          return T_DEC;
        }
        if (a.k === 'Duration' && b.k === 'Duration') return T_DEC;
        return bad();
      case 'capped':
      case 'atleast':
        if (!sameKind(a, b) || !(isNum(a) || a.k === 'Money' || a.k === 'Date' || a.k === 'Duration')) return bad();
        curCheck();
        return join(a, b);
    }
  }

  private call(e: Extract<Expr, { k: 'call' }>, scope: Scope): Type {
    const ts = e.args.map((x) => this.expr(x, scope));
    if (e.fn === 'min' || e.fn === 'max') {
      if (ts.length < 2) return this.mismatch(e, `${e.fn} needs at least two values.`);
      let t = ts[0]!;
      for (const u of ts.slice(1)) {
        if (!sameKind(t, u) || !(isNum(u) || u.k === 'Money' || u.k === 'Date' || u.k === 'Duration' || u.k === 'Error')) {
          return this.mismatch(e, `${e.fn} compares values of the same kind: numbers, amounts, dates or lengths of time.`);
        }
        t = join(t, u);
      }
      return t;
    }
    if (ts.length !== 1) return this.mismatch(e, `${e.fn} takes one list.`);
    const t = ts[0]!;
    if (t.k === 'Error') return e.fn === 'count' ? T_INT : T_ERR;
    if (t.k !== 'List') return this.mismatch(e, `${e.fn} works on a list; this is ${typeWords(t)}.`);
    if (e.fn === 'count') return T_INT;
    if (isNum(t.elem) || t.elem.k === 'Money' || t.elem.k === 'Duration') return t.elem;
    return this.mismatch(e, `sum adds up numbers, amounts or lengths of time; this list holds ${typeWords(t.elem)}.`);
  }

  // ---- statements

  block(stmts: Stmt[], scope: Scope): void {
    scope.blocks.push(new Map());
    let ended: Pos | undefined;
    let endedWhy = '';
    for (const s of stmts) {
      if (ended) {
        this.error('LEX_UNREACHABLE', `This rule can never apply: ${endedWhy} on line ${ended.line} comes before it in the same block.`, s.pos);
        ended = undefined; // report once per block
      }
      this.stmt(s, scope);
      if (s.k === 'terminate') {
        ended = s.pos;
        endedWhy = 'the contract ends by the rule';
      } else if (s.k === 'require' && s.cond.k === 'bool' && !s.cond.value) {
        ended = s.pos;
        endedWhy = 'the request is always refused by the requirement';
      }
    }
    scope.blocks.pop();
  }

  newLocal(scope: Scope, name: string, t: Type, pos: Pos): number {
    if (RESERVED.has(name)) this.error('LEX_RESERVED', `"${name}" is a word with a fixed meaning in rules; choose another name.`, pos);
    else if (this.names.has(name) || this.lookup(scope, name)) {
      this.error('LEX_DUPLICATE', `The name "${name}" is already used ${this.names.has(name) ? `for ${this.names.get(name)!.what}` : 'in this rule'}; choose another so each name means one thing.`, pos);
    }
    const slot = scope.next.n++;
    scope.blocks[scope.blocks.length - 1]!.set(name, { slot, t, pos });
    return slot;
  }

  /** `if insufficient funds wait until DATE`: the time must be a date. */
  ifShort(x: IfShort | undefined, scope: Scope): void {
    if (!x?.until) return;
    const t = this.expr(x.until, scope);
    if (t.k !== 'Date' && t.k !== 'Error') {
      this.error('LEX_TYPE', `"wait until" needs the time after which the instruction fails, a date; this is ${typeWords(t)}.`, x.until.pos);
    }
  }

  cond(e: Expr, scope: Scope, what: string): void {
    const t = this.expr(e, scope);
    if (t.k !== 'Bool' && t.k !== 'Error') this.error('LEX_TYPE', `${what} must be a yes-or-no condition; this is ${typeWords(t)}.`, e.pos);
  }

  party(e: Expr, scope: Scope, what: string): void {
    const t = this.expr(e, scope);
    if (t.k !== 'DID' && t.k !== 'Error') this.error('LEX_TYPE', `${what} must be a party; this is ${typeWords(t)}.`, e.pos);
  }

  money(e: Expr, scope: Scope, what: string): void {
    const t = this.expr(e, scope);
    if (t.k === 'Error') return;
    if (t.k !== 'Money') {
      this.error('LEX_TYPE', `${what} must be an amount of money; this is ${typeWords(t)}.`, e.pos);
      return;
    }
    if (t.frac) {
      this.error('LEX_ROUNDING_REQUIRED', `${what} may include a fraction of the currency's smallest unit. Say how it is rounded, e.g. add "rounded half up" — money only ever moves in whole units.`, e.pos);
    }
  }

  stmt(s: Stmt, scope: Scope): void {
    switch (s.k) {
      case 'require':
        this.cond(s.cond, scope, 'A requirement');
        return;
      case 'let': {
        const t = this.expr(s.e, scope);
        if (t.k === 'Money' && t.frac) {
          // allowed: an intermediate amount; it has to be rounded before it is paid or stored
        }
        s.slot = this.newLocal(scope, s.name, t, s.pos);
        return;
      }
      case 'set': {
        const i = this.states.get(s.name);
        const t = this.expr(s.e, scope);
        if (i === undefined) {
          if (this.ast.broken?.has(s.name)) return;
          this.error('LEX_NOT_STATE', `"${s.name}" is not part of the contract's state, so it cannot be changed. Declare it with "state" at the top of the template.${this.suggest(s.name, this.states.keys())}`, s.pos);
          return;
        }
        s.index = i;
        const st = this.ast.states[i]!;
        this.assignable(st.t ?? T_ERR, t, s.e.pos, `"${st.name}"`);
        return;
      }
      case 'append': {
        const i = this.states.get(s.name);
        const t = this.expr(s.e, scope);
        if (i === undefined) {
          this.error('LEX_NOT_STATE', `"${s.name}" is not a list in the contract's state.`, s.pos);
          return;
        }
        const st = this.ast.states[i]!;
        if (st.t && st.t.k !== 'List') {
          this.error('LEX_TYPE', `"${s.name}" is not a list, so nothing can be appended to it.`, s.pos);
          return;
        }
        s.index = i;
        if (st.t) this.assignable(st.t.k === 'List' ? st.t.elem : T_ERR, t, s.e.pos, `Each item of "${st.name}"`);
        return;
      }
      case 'if':
        for (const br of s.branches) {
          if (br.cond) {
            this.cond(br.cond, scope, 'The condition');
            if (br.cond.k === 'bool' && !br.cond.value) {
              this.warn('LEX_UNREACHABLE', 'This condition is always false, so the rules under it never apply.', br.cond.pos, '该条件永远不成立，其下的规则永远不会适用。');
            }
          }
          this.block(br.body, scope);
        }
        return;
      case 'foreach': {
        const t = this.expr(s.list, scope);
        scope.blocks.push(new Map());
        s.slot = this.newLocal(scope, s.v, t.k === 'List' ? t.elem : T_ERR, s.pos);
        if (t.k !== 'List' && t.k !== 'Error') this.error('LEX_TYPE', `"for each" goes through a list; this is ${typeWords(t)}.`, s.list.pos);
        this.block(s.body, scope);
        scope.blocks.pop();
        return;
      }
      case 'pay':
        this.money(s.amount, scope, 'The amount paid');
        this.party(s.from, scope, 'The payer');
        this.party(s.to, scope, 'The payee');
        this.ifShort(s.ifShort, scope);
        return;
      case 'split':
        this.money(s.amount, scope, 'The amount split');
        this.party(s.from, scope, 'The payer');
        for (const sh of s.shares) {
          this.party(sh.to, scope, 'Each recipient');
          const t = this.expr(sh.share, scope);
          if (!isNum(t) && t.k !== 'Error') this.error('LEX_TYPE', `A share must be a percentage or fraction; this is ${typeWords(t)}.`, sh.share.pos);
        }
        this.ifShort(s.ifShort, scope);
        return;
      case 'withhold':
        this.money(s.amount, scope, 'The amount withheld');
        this.party(s.from, scope, 'Who withholds');
        this.party(s.to, scope, 'Who receives the withheld amount');
        if (s.onBehalfOf) this.party(s.onBehalfOf, scope, 'On whose behalf it is withheld');
        this.ifShort(s.ifShort, scope);
        return;
      case 'terminate':
        return;
      case 'respond': {
        const t = this.expr(s.e, scope);
        if (t.k === 'Money' && t.frac) {
          this.error('LEX_ROUNDING_REQUIRED', 'An answer that is an amount of money must be rounded to the currency\'s smallest unit; add e.g. "rounded half up".', s.e.pos);
        }
        return;
      }
    }
  }

  // ---- whole template

  run(): CompileResult {
    const ast = this.ast;
    if (!ast.id) this.error('LEX_HEADER', 'The template does not say what it is: start it with a line such as "contract late-delivery".', { line: 1, column: 1 });
    if (!ast.version) this.error('LEX_HEADER', 'The template has no version: add a line such as "version 1.0.0".', { line: 1, column: 1 });
    if (!ast.title) this.error('LEX_HEADER', 'The template has no title: add a line such as title "Sale of Goods" | "货物买卖".', { line: 1, column: 1 });
    this.offset = ast.timezone?.offset ?? 0;
    if (!ast.timezone) this.warn('LEX_TIMEZONE', 'The template does not say in which time zone its dates are read, so UTC is used. Add e.g. "timezone +08:00" for China Standard Time.', { line: 1, column: 1 }, '模板未说明日期按哪个时区解读，因此使用协调世界时；北京时间请加上“timezone +08:00”。');
    if (ast.currency) {
      if (!CURRENCIES.has(ast.currency.code)) this.error('LEX_CURRENCY', `"${ast.currency.code}" is not an ISO 4217 currency code this platform knows.`, ast.currency.pos);
      else this.currency = ast.currency.code;
    }

    // declarations first, so that order in the source does not matter
    for (const en of ast.enums) {
      if (this.enums.has(en.name) || this.records.has(en.name)) this.error('LEX_DUPLICATE', `"${en.name}" is declared twice.`, en.pos);
      this.enums.set(en.name, en);
      const seen = new Set<string>();
      for (const m of en.members) {
        if (seen.has(m.name)) this.error('LEX_DUPLICATE', `The choice "${m.name}" is listed twice.`, m.pos);
        seen.add(m.name);
      }
    }
    for (const r of ast.records) {
      if (this.enums.has(r.name) || this.records.has(r.name)) this.error('LEX_DUPLICATE', `"${r.name}" is declared twice.`, r.pos);
      this.records.set(r.name, r);
    }
    for (const r of ast.records) {
      const seen = new Set<string>();
      for (const f of r.fields) {
        if (seen.has(f.name)) this.error('LEX_DUPLICATE', `The field "${f.name}" is declared twice.`, f.pos);
        seen.add(f.name);
        f.t = this.resolveType(f.type, 'field');
        if (f.t.k === 'Record' && f.t.name === r.name) this.error('LEX_TYPE', 'A record cannot contain itself.', f.pos);
      }
    }
    ast.parties.forEach((p, i) => {
      if (this.declare(p.name, `the party ${p.name}`, p.pos)) this.parties.set(p.name, i);
    });
    if (ast.parties.length === 0) this.error('LEX_NO_PARTIES', 'The contract names no parties. Add at least two lines such as party seller "the Seller" | "卖方".', { line: 1, column: 1 });
    ast.params.forEach((p, i) => {
      p.t = this.resolveType(p.type, 'param');
      if (this.declare(p.name, `the term ${p.name}`, p.pos)) this.params.set(p.name, i);
    });
    ast.states.forEach((s, i) => {
      s.t = this.resolveType(s.type, 'state');
      if (this.declare(s.name, `the state ${s.name}`, s.pos)) this.states.set(s.name, i);
    });

    // tiers: limits and rates are fixed terms
    for (const td of ast.tiers) {
      if (this.tiers.has(td.name) || this.names.has(td.name)) this.error('LEX_DUPLICATE', `The name "${td.name}" is already used.`, td.pos);
      this.tiers.set(td.name, td);
      const scope: Scope = { ctx: 'tiers', blocks: [new Map()], next: { n: 0 } };
      let base: Type | undefined;
      td.rows.forEach((row, idx) => {
        const last = idx === td.rows.length - 1;
        if (row.bound === 'above' && !last) this.error('LEX_TIERS', '"above:" is the last tier; the tiers after it could never apply.', row.pos);
        if (last && row.bound !== 'above') this.error('LEX_TIERS', 'The last tier must be "above: RATE", so that every amount falls in some tier.', row.pos);
        if (row.limit) {
          const lt = this.expr(row.limit, scope);
          if (!(isNum(lt) || lt.k === 'Money' || lt.k === 'Error')) this.error('LEX_TYPE', `A tier limit is a number or an amount of money; this is ${typeWords(lt)}.`, row.limit.pos);
          if (base && !sameKind(base, lt)) this.error('LEX_TYPE', 'All limits of a table of tiers must be the same kind of value.', row.limit.pos);
          base = base ? join(base, lt) : lt;
        }
        const rt = this.expr(row.rate, scope);
        if (!isNum(rt) && rt.k !== 'Error') this.error('LEX_TYPE', `A tier's rate is a percentage or number; this is ${typeWords(rt)}.`, row.rate.pos);
        else td.rateType = td.rateType ? join(td.rateType, rt) : rt.k === 'Int' ? T_DEC : rt;
      });
      if (td.rows.length < 2) this.error('LEX_TIERS', 'A table of tiers needs at least two rows, the last being "above: RATE".', td.pos);
      td.baseType = base ?? T_ERR;
    }

    // state initial values: literals and terms only (event information is resolved below)
    for (const s of ast.states) {
      const t = this.expr(s.init, { ctx: 'state-init', blocks: [new Map()], next: { n: 0 } });
      if (s.t) this.assignable(s.t, t, s.init.pos, `The initial value of "${s.name}"`);
    }

    // clauses: collect definitions, exceptions, obligations and handlers
    ast.clauses.forEach((cl, i) => {
      if (this.clauseNames.has(cl.name)) this.error('LEX_DUPLICATE', `There are two clauses named "${cl.name}".`, cl.pos);
      this.clauseNames.set(cl.name, i + 1);
    });
    const exceptions: Array<{ x: import('./ast.ts').ExceptionDecl }> = [];
    for (const cl of ast.clauses) {
      for (const it of cl.items) {
        if (it.k === 'define') {
          if (this.declare(it.d.name, `the definition ${it.d.name}`, it.d.pos)) this.defines.set(it.d.name, it.d);
        } else if (it.k === 'exception') exceptions.push({ x: it.x });
        else if (it.k === 'obligation') {
          const o = it.o;
          if (this.obligations.some((x) => x.name === o.name) || this.names.has(o.name)) {
            this.error('LEX_DUPLICATE', `The name "${o.name}" is already used; each obligation needs its own name.`, o.pos);
          } else this.declare(o.name, `the obligation ${o.name}`, o.pos);
          this.obligations.push(o);
        } else if (it.k === 'handler') {
          const h = it.h;
          const prior = this.handlers.get(h.name);
          if (h.name === 'Tick') {
            this.error('LEX_RESERVED', '"Tick" is the built-in request that checks deadlines; give this event another name.', h.pos);
          } else if (prior) {
            this.error('LEX_UNREACHABLE', `"${h.name}" is already handled in clause ${prior.clause} (line ${prior.pos.line}); this second rule for the same event could never run. Merge the two.`, h.pos);
          } else {
            this.handlers.set(h.name, h);
            this.declare(h.name, `the ${h.kind === 'on' ? 'event' : 'permission'} ${h.name}`, h.pos);
          }
        }
      }
    }
    // what events carry, by name: definitions and exceptions may read it
    for (const h of this.handlers.values()) {
      for (const f of h.inputs) {
        f.t = this.resolveType(f.type, 'field');
        const prior = this.inputs.get(f.name);
        if (!prior) this.inputs.set(f.name, { t: f.t, label: f.label, events: [h] });
        else {
          if (!prior.conflict && !sameType(prior.t, f.t) && prior.t.k !== 'Error' && f.t.k !== 'Error') {
            prior.conflict = { a: prior.events[0]!, b: h, ta: prior.t, tb: f.t };
          }
          prior.events.push(h);
        }
      }
    }
    for (const { x } of exceptions) {
      const d = this.defines.get(x.target);
      if (!d) {
        this.error('LEX_UNDEFINED_NAME', `The exception ${x.name} overrides "${x.target}", which is not a definition in this contract.${this.suggest(x.target, this.defines.keys())}`, x.pos);
        continue;
      }
      if (d.exceptions.some((y) => y.name === x.name)) this.error('LEX_DUPLICATE', `There are two exceptions named ${x.name} to ${x.target}.`, x.pos);
      d.exceptions.push(x);
    }

    this.checkDefines();

    for (const o of this.obligations) this.obligation(o);
    for (const h of this.handlers.values()) this.handler(h);

    this.checkProse();
    this.checkUse();

    const hasErrors = this.diags.some((d) => d.severity === 'error');
    if (hasErrors) return { diagnostics: this.diags };
    const clauseNumbers = new Map<string, number>(this.clauseNames);
    const contract: Contract = {
      kind: 'lex-contract',
      id: ast.id!,
      version: ast.version!,
      title: ast.title!,
      timezone: this.offset,
      ...(this.currency ? { currency: this.currency } : {}),
      sourceHash: toHex(sm3(Buffer.from(ast.source, 'utf8'))),
      ast,
      parties: ast.parties,
      params: ast.params,
      states: ast.states,
      enums: this.enums,
      records: this.records,
      tiers: this.tiers,
      defines: this.defines,
      handlers: this.handlers,
      obligations: this.obligations,
      clauses: ast.clauses,
      clauseNumbers,
    };
    return { contract, diagnostics: this.diags };
  }

  /** Orders definitions so each is checked after those it uses; finds circles and over-deep chains. */
  private checkDefines(): void {
    const deps = new Map<string, string[]>();
    for (const d of this.defines.values()) {
      const out = new Set<string>();
      const stack: Expr[] = [d.e];
      for (const x of d.exceptions) stack.push(x.when, x.value);
      while (stack.length) {
        const e = stack.pop()!;
        forEachChild(e, stack);
        if (e.k === 'name' && this.defines.has(e.name)) out.add(e.name);
      }
      deps.set(d.name, [...out]);
    }
    // iterative depth-first search: 0 = new, 1 = on the path, 2 = finished
    const mark = new Map<string, number>();
    const depth = new Map<string, number>();
    const order: string[] = [];
    const bad = new Set<string>();
    for (const start of this.defines.keys()) {
      if (mark.get(start)) continue;
      const stack: Array<{ name: string; i: number }> = [{ name: start, i: 0 }];
      mark.set(start, 1);
      while (stack.length) {
        const top = stack[stack.length - 1]!;
        const ds = deps.get(top.name)!;
        if (top.i < ds.length) {
          const next = ds[top.i++]!;
          const m = mark.get(next) ?? 0;
          if (m === 1) {
            const path = stack.map((s) => s.name);
            const from = path.indexOf(next);
            const circle = [...path.slice(from), next];
            const d = this.defines.get(next)!;
            if (!bad.has(next)) {
              this.error('LEX_CIRCULAR', `These definitions depend on each other in a circle, so none of them has a value: ${circle.join(' → ')}.`, d.pos);
              for (const c of circle) bad.add(c);
            }
          } else if (m === 0) {
            mark.set(next, 1);
            stack.push({ name: next, i: 0 });
          }
        } else {
          stack.pop();
          mark.set(top.name, 2);
          let dd = 1;
          for (const x of ds) dd = Math.max(dd, (depth.get(x) ?? 0) + 1);
          depth.set(top.name, dd);
          order.push(top.name);
          if (dd === MAX_DEFINE_DEPTH + 1) {
            this.error('LEX_NESTING_TOO_DEEP', `The definition ${top.name} builds on a chain of more than ${MAX_DEFINE_DEPTH} other definitions; shorten the chain so that a reader (and the chain's gas budget) can follow it.`, this.defines.get(top.name)!.pos);
          }
        }
      }
    }
    for (const name of order) {
      const d = this.defines.get(name)!;
      if (bad.has(name)) {
        d.t = T_ERR;
        continue;
      }
      const scope: Scope = { ctx: 'define', blocks: [new Map()], next: { n: 0 }, uses: new Set(), inputs: new Set() };
      d.t = this.expr(d.e, scope);
      for (const x of d.exceptions) {
        this.cond(x.when, scope, `The condition of the exception ${x.name}`);
        if (x.when.k === 'bool' && !x.when.value) this.warn('LEX_UNREACHABLE', `The exception ${x.name} never applies: its condition is always false.`, x.when.pos, `例外“${x.name}”永远不会适用：其条件永远不成立。`);
        const vt = this.expr(x.value, scope);
        if (!sameKind(d.t, vt)) this.error('LEX_TYPE', `The exception ${x.name} makes ${d.name} ${typeWords(vt)}, but ${d.name} is ${typeWords(d.t)}.`, x.value.pos);
        else d.t = join(d.t, vt);
      }
      if (scope.inputs!.size) d.needs = [...scope.inputs!];
    }
  }

  private obligation(o: ObligationDecl): void {
    const scope: Scope = { ctx: 'obligation', blocks: [new Map()], next: { n: 0 } };
    if (o.forEach) {
      const is: Scope = { ctx: 'instances', blocks: [new Map()], next: { n: 0 } };
      for (const e of [o.forEach.from, o.forEach.to]) {
        const t = this.expr(e, is);
        if (t.k !== 'Int' && t.k !== 'Error') this.error('LEX_TYPE', `The range of "for each" is counted in whole numbers; this is ${typeWords(t)}.`, e.pos);
      }
      o.forEach.slot = this.newLocal(scope, o.forEach.v, T_INT, o.forEach.pos);
    }
    if (!o.promisor || !o.promisee) {
      this.error('LEX_OBLIGATION_PARTIES', `The obligation ${o.name} must say who owes it ("promisor PARTY") and to whom ("promisee PARTY").`, o.pos);
    }
    if (o.promisor) this.party(o.promisor, scope, 'The promisor');
    if (o.promisee) this.party(o.promisee, scope, 'The promisee');
    if (!o.due) {
      this.error('LEX_NO_DEADLINE', `The obligation ${o.name} has no deadline. Say by when it must be performed, e.g. "due agreedDelivery" or "due deliveredAt + 7 days"; without one it could never be breached.`, o.pos);
    } else {
      const t = this.expr(o.due, scope);
      if (t.k !== 'Date' && t.k !== 'Error') this.error('LEX_TYPE', `The deadline of ${o.name} must be a date; this is ${typeWords(t)}.`, o.due.pos);
    }
    if (!o.doneWhen) {
      this.error('LEX_NO_DISCHARGE', `The obligation ${o.name} does not say when it is performed. Add "done when CONDITION", e.g. "done when delivered".`, o.pos);
    } else this.cond(o.doneWhen, scope, 'The condition of performance');
    if (o.onlyIf) this.cond(o.onlyIf, scope, 'The condition under which the obligation applies');
    this.block(o.onBreach, scope);
    o.locals = scope.next.n;
  }

  private handler(h: HandlerDecl): void {
    const scope: Scope = { ctx: 'handler', blocks: [new Map()], next: { n: 0 }, handler: h };
    if (!h.anyone) {
      for (const p of h.parties) {
        const i = this.parties.get(p.name);
        if (i === undefined) this.error('LEX_UNDEFINED_NAME', `"${p.name}" is not a party of this contract.${this.suggest(p.name, this.parties.keys())}`, p.pos);
        else p.index = i;
      }
    }
    for (const f of h.inputs) this.newLocal(scope, f.name, f.t ?? T_ERR, f.pos);
    this.block(h.body, scope);
    h.locals = scope.next.n;
  }

  private placeholders(text: string, pos: Pos | undefined, where: string): void {
    const p = pos ?? { line: 1, column: 1 };
    const re = /\{([^{}]*)\}/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(text)) !== null) {
      const inner = m[1]!.trim();
      const cm = /^clause\s+([A-Za-z_][A-Za-z0-9_]*)$/.exec(inner);
      if (cm) {
        if (!this.clauseNames.has(cm[1]!)) this.error('LEX_UNDEFINED_NAME', `The wording of ${where} refers to clause "${cm[1]}", which does not exist.${this.suggest(cm[1]!, this.clauseNames.keys())}`, p);
        continue;
      }
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(inner)) {
        this.error('LEX_PLACEHOLDER', `"{${inner}}" in the wording of ${where} is not a name; write {seller}, {goodsValue} or {clause penalty}.`, p);
        continue;
      }
      if (this.parties.has(inner) || this.params.has(inner) || this.states.has(inner)) {
        if (this.params.has(inner)) this.used.add(`param:${inner}`);
        continue;
      }
      if (this.defines.has(inner)) {
        this.used.add(`define:${inner}`);
        continue;
      }
      this.error('LEX_UNDEFINED_NAME', `The wording of ${where} refers to {${inner}}, which is not a party, term, state or definition of this contract.${this.suggest(inner, this.names.keys())}`, p,
        `${whereZh(where)}的文字引用了“{${inner}}”，它不是本合同的当事方、条款参数、状态或定义。`);
    }
    const outside = text.replace(/\{[^{}]*\}/g, '');
    if (/\d/.test(outside)) {
      this.warn('LEX_PROSE_NUMBER', `The wording of ${where} writes a number directly. If it is a term of the contract, declare it as a param and write its name in braces (e.g. {penaltyRate}), so that the words and the rule always use the same value.`, p,
        `${whereZh(where)}的文字直接写了数字。若它是合同条款，请声明为参数并在文字中用花括号写出其名称（如“{penaltyRate}”），使文字与规则始终使用同一个值。`);
    }
    // Rounding talk only: "不足一日的按一日计算" is, "不足扣减的" (insufficient to cover) is not.
    if (/\b(round|rounded|rounding|fraction)|取整|四舍五入|五舍六入|舍入|进位|舍去|不足[一半]个?(?:日|天|月|年|周|小时|时|分钟|分|秒|元|角)/.test(outside)) {
      this.warn('LEX_PROSE_ROUNDING', `The wording of ${where} talks about rounding. The rules state their rounding in the rendered text automatically; make sure these words say the same, or leave rounding to the rules.`, p,
        `${whereZh(where)}的文字提到了舍入。规则会在生成的文本中自动写明舍入方式，请确保这段文字与之一致，或把舍入交给规则。`);
    }
  }

  private checkProse(): void {
    const check = (p: Prose, where: string): void => {
      if (p.en.length === 0) this.error('LEX_TRANSLATION_MISSING', `This paragraph of ${where} has Chinese wording but no English ("en:") wording; both renderings come from this source, so both are needed.`, p.pos,
        `${whereZh(where)}的这一段只有中文（“zh:”）没有英文（“en:”）；两种文本都由此生成，缺一不可。`);
      if (p.zh.length === 0) this.error('LEX_TRANSLATION_MISSING', `This paragraph of ${where} has English wording but no Chinese ("zh:") wording; both renderings come from this source, so both are needed.`, p.pos,
        `${whereZh(where)}的这一段只有英文（“en:”）没有中文（“zh:”）；两种文本都由此生成，缺一不可。`);
      this.placeholders(p.en.join(' '), p.enPos, where);
      this.placeholders(p.zh.join(''), p.zhPos, where);
    };
    for (const p of this.ast.preamble) check(p, 'the preamble');
    for (const cl of this.ast.clauses) {
      for (const it of cl.items) if (it.k === 'prose') check(it.prose, `clause ${cl.name}`);
    }
  }

  private checkUse(): void {
    // definitions used by other definitions count as used only if those are reached; keep it simple:
    // a definition is used if any rule, obligation, exception or wording names it.
    for (const cl of this.ast.clauses) {
      const active = cl.items.some((it) => it.k === 'handler' || it.k === 'obligation');
      const defs = cl.items.filter((it) => it.k === 'define');
      const anyUsed = defs.some((it) => it.k === 'define' && this.used.has(`define:${it.d.name}`));
      if (!active && defs.length > 0 && !anyUsed) {
        this.warn('LEX_UNREACHABLE_CLAUSE', `Clause ${cl.name} is never reached: no event, permission or obligation uses its rules, so they never apply. Refer to its definitions from a rule, or remove them.`, cl.pos,
          `条款“${cl.name}”永远不会被触发：没有事件、权利或义务使用它的规则，因此这些规则永远不会适用。请在某条规则中引用它的定义，或删除它们。`);
        continue;
      }
      for (const it of defs) {
        if (it.k === 'define' && !this.used.has(`define:${it.d.name}`)) {
          this.warn('LEX_UNUSED', `The definition ${it.d.name} is never used by any rule or wording.`, it.d.pos, `定义“${it.d.name}”没有被任何规则或文字使用。`);
        }
      }
    }
    for (const td of this.tiers.values()) {
      if (!this.used.has(`tiers:${td.name}`)) this.warn('LEX_UNUSED', `The table of tiers ${td.name} is never used.`, td.pos, `阶梯表“${td.name}”从未被使用。`);
    }
  }
}

export { forEachChild } from './ast.ts';

export function opWords(op: string): string {
  switch (op) {
    case 'capped': return 'capped at';
    case 'atleast': return 'at least';
    default: return op;
  }
}

/**
 * Checks a parsed template and builds the contract. `contract` is present only when there are
 * no errors; warnings never block compilation.
 */
export function compile(ast: TemplateAst): CompileResult {
  const c = new Compiler(ast);
  const r = c.run();
  r.diagnostics.sort((a, b) => a.line - b.line || a.column - b.column);
  return r;
}
