/**
 * The legal text of a contract, rendered from the same tree the interpreter runs. Lawyers'
 * wording ("en:" / "zh:" paragraphs) appears as written; every rule — definitions, exceptions,
 * obligations, events, permissions, payments, rounding — is stated in words generated from the
 * rule itself, in English and Chinese, so the text cannot say one thing while the logic does
 * another. Output is Markdown or HTML; both are built from one document model.
 */
import type { JsonValue } from '../codec/index.ts';
import type {
  DefineDecl, ExceptionDecl, Expr, HandlerDecl, IfShort, Label, ObligationDecl, Prose, StateDecl, Stmt, TiersDecl, Type,
} from './ast.ts';
import type { Val } from './codec.ts';
import type { Contract } from './compiler.ts';
import { LexError } from './errors.ts';
import { checkParams, paramValues } from './interpreter.ts';
import {
  CURRENCIES, DURATION_UNITS, MS, Money, Rat, dateWords, isInt, majorText, mul, offsetText, percentText, ratToString, type DurationUnit,
  type RoundingMode,
} from './values.ts';

export type Lang = 'en' | 'zh-CN';
export type Format = 'markdown' | 'html';

export interface RenderOptions {
  format: Format;
  lang: Lang;
}

// ---------------------------------------------------------------------------------------------
// Document model

export type Block =
  | { k: 'h'; level: number; text: string }
  | { k: 'p'; text: string }
  | { k: 'list'; items: Array<{ mark: string; text: string; sub?: Block }> }
  | { k: 'table'; head: string[]; rows: string[][] };

export interface Doc {
  title: string;
  lang: Lang;
  blocks: Block[];
  /** Every rule object the text states (for the test that nothing executable is left unsaid). */
  covered: Set<object>;
}

const ROMAN = ['i', 'ii', 'iii', 'iv', 'v', 'vi', 'vii', 'viii', 'ix', 'x', 'xi', 'xii', 'xiii', 'xiv', 'xv', 'xvi', 'xvii', 'xviii', 'xix', 'xx'];
const letter = (i: number, depth: number): string => {
  if (depth % 2 === 0) return `(${i < 26 ? String.fromCharCode(97 + i) : `a${i}`})`;
  return `(${ROMAN[i] ?? String(i + 1)})`;
};

// ---------------------------------------------------------------------------------------------
// Words for values

const UNIT_EN: Record<string, [string, string]> = {
  seconds: ['second', 'seconds'], minutes: ['minute', 'minutes'], hours: ['hour', 'hours'], days: ['day', 'days'], weeks: ['week', 'weeks'],
  months: ['month', 'months'], years: ['year', 'years'],
};
const UNIT_ZH: Record<string, string> = { seconds: '秒', minutes: '分钟', hours: '小时', days: '日', weeks: '周', months: '个月', years: '年' };

function plural(n: bigint, unit: string): string {
  const [one, many] = UNIT_EN[unit]!;
  return `${n} ${n === 1n || n === -1n ? one : many}`;
}

export function moneyWords(m: Money, lang: Lang): string {
  const info = CURRENCIES.get(m.cur);
  const exp = info?.exponent ?? 2;
  const scale = 10n ** BigInt(exp);
  let text: string;
  if (isInt(m.a)) text = majorText(m.a.n, m.cur, true);
  else {
    // an unrounded amount (only shown in a template without parameters): exact as a fraction
    const major = mul(m.a, new Rat(1n, scale));
    text = ratToString(major);
  }
  if (lang === 'en') return `${m.cur} ${text}`;
  if (m.cur === 'CNY') return `人民币${text}元`;
  return `${text}${info ? info.zh : m.cur}`;
}

function durationWords(ms: bigint, lang: Lang): string {
  const units: Array<[string, bigint]> = [['weeks', BigInt(MS.week)], ['days', BigInt(MS.day)], ['hours', BigInt(MS.hour)], ['minutes', BigInt(MS.minute)], ['seconds', BigInt(MS.second)]];
  for (const [u, size] of units) {
    if (u === 'weeks' && ms % size === 0n && ms !== 0n && ms / size > 0n) {
      // prefer days for small multiples: "14 days" reads better in contracts than "2 weeks"
      const days = ms / BigInt(MS.day);
      return lang === 'en' ? plural(days, 'days') : `${days}${UNIT_ZH.days}`;
    }
    if (ms % size === 0n && u !== 'weeks') return lang === 'en' ? plural(ms / size, u) : `${ms / size}${UNIT_ZH[u]}`;
  }
  return lang === 'en' ? `${ms} milliseconds` : `${ms}毫秒`;
}

function periodWords(months: bigint, lang: Lang): string {
  if (months % 12n === 0n && months !== 0n) return lang === 'en' ? plural(months / 12n, 'years') : `${months / 12n}年`;
  return lang === 'en' ? plural(months, 'months') : `${months}个月`;
}

export function valueWords(v: Val, t: Type, c: Contract, lang: Lang): string {
  switch (t.k) {
    case 'Int':
      return (v as Rat).n.toString();
    case 'Decimal':
      return t.pct ? percentText(v as Rat) : ratToString(v as Rat);
    case 'Money':
      return moneyWords(v as Money, lang);
    case 'Date':
      return dateWords(Number((v as Rat).n), c.timezone, lang);
    case 'Duration':
      return durationWords((v as Rat).n, lang);
    case 'Period':
      return periodWords((v as Rat).n, lang);
    case 'Bool':
      return lang === 'en' ? (v ? 'yes' : 'no') : v ? '是' : '否';
    case 'Text':
      return lang === 'en' ? `“${v as string}”` : `“${v as string}”`;
    case 'DID':
      return v as string;
    case 'Enum': {
      const m = c.enums.get(t.name)!.members.find((x) => x.name === v);
      return m ? (lang === 'en' ? m.label.en : m.label.zh) : String(v);
    }
    case 'Record': {
      const rd = c.records.get(t.name)!;
      const r = v as Record<string, Val>;
      return rd.fields.map((f) => `${lang === 'en' ? f.label.en : f.label.zh}: ${valueWords(r[f.name]!, f.t!, c, lang)}`).join(lang === 'en' ? '; ' : '；');
    }
    case 'List': {
      const items = (v as Val[]).map((x) => valueWords(x, t.elem, c, lang));
      if (items.length === 0) return lang === 'en' ? 'none' : '无';
      return items.join(lang === 'en' ? ', ' : '、');
    }
    case 'Error':
      return '?';
  }
}

// ---------------------------------------------------------------------------------------------
// Words for rules

interface Ctx {
  c: Contract;
  lang: Lang;
  params?: Val[];
  parties?: string[];
  /** names of locals in the current rule → their wording */
  locals: Map<number, string>;
  /** rule numbers of exceptions, for cross references */
  refs: Map<object, string>;
  covered: Set<object>;
  /**
   * Each expression's words, once per document: a rule states both languages' wordings with its
   * parts' words inside, so without this every level of an expression would word its parts twice
   * (2^depth). An expression node sits in one place of one rule, so its words never change.
   */
  memo: WeakMap<Expr, string>;
}

const L = (ctx: Ctx, l: Label): string => (ctx.lang === 'en' ? l.en : l.zh);
const T = (ctx: Ctx, en: string, zh: string): string => (ctx.lang === 'en' ? en : zh);

function prec(e: Expr): number {
  switch (e.k) {
    case 'if': return 1;
    case 'bin':
      switch (e.op) {
        case 'or': return 2;
        case 'and': return 3;
        case '=': case '!=': case '<': case '<=': case '>': case '>=': case 'contains': return 4;
        case 'capped': case 'atleast': return 5;
        case '+': case '-': return 7;
        case '*': case '/': return 8;
        case 'of': return 9;
      }
      return 10;
    case 'round': case 'in': return 6;
    case 'not': case 'neg': return 10;
    default: return 11;
  }
}

function wrap(ctx: Ctx, e: Expr, min: number): string {
  const w = words(ctx, e);
  return prec(e) < min ? T(ctx, `(${w})`, `（${w}）`) : w;
}

const bracket = (ctx: Ctx, w: string): string => T(ctx, `(${w})`, `（${w}）`);
const isAdditive = (op: string): boolean => op === '+' || op === '-';
const isMultiplicative = (op: string): boolean => op === '*' || op === '/' || op === 'of';

/**
 * An operand of an arithmetic operation (+ - * / of), bracketed wherever prose could be read
 * with another grouping: "10% of (A plus B) minus C" is ambiguous, "(10% of (A plus B)) minus C"
 * is not. Besides what precedence needs, left unbracketed only where every reading gives the
 * same value (A plus B plus C; A minus B plus C read from the left; A multiplied by B of C).
 */
function operand(ctx: Ctx, parent: string, e: Expr, side: 'a' | 'b'): string {
  const base = parent === 'of' ? 9 : isAdditive(parent) ? 7 : 8;
  const p = side === 'a' ? base : base + 1;
  if (e.k !== 'bin' || !(isAdditive(e.op) || isMultiplicative(e.op))) return wrap(ctx, e, p);
  const child = e.op;
  let group: boolean;
  if (isAdditive(parent) && isAdditive(child)) group = side === 'b' && parent === '-';
  else if (isMultiplicative(parent) && isMultiplicative(child)) {
    if (side === 'a') group = child === '/';
    else group = parent === '/' || (parent === 'of' && child !== 'of');
  } else group = true; // a sum inside a product, or a product inside a sum: always say which
  return group || prec(e) < p ? bracket(ctx, words(ctx, e)) : words(ctx, e);
}

/** A condition joined by "and" or "or": a mixture of the two is always bracketed. */
function clause(ctx: Ctx, parent: 'and' | 'or', e: Expr): string {
  if (e.k === 'bin' && (e.op === 'and' || e.op === 'or') && e.op !== parent) return bracket(ctx, words(ctx, e));
  return wrap(ctx, e, parent === 'or' ? 2 : 3);
}

function unitWord(ctx: Ctx, unit: string, one: boolean): string {
  if (ctx.lang === 'en') return UNIT_EN[unit]![one ? 0 : 1];
  return UNIT_ZH[unit]!;
}

/** A fixed unit a length of time is counted in, for a unit given as a length of time (`in billingUnit`). */
function fixedUnit(ms: bigint): DurationUnit | undefined {
  for (const u of ['weeks', 'days', 'hours', 'minutes', 'seconds'] as const) if (ms === BigInt(DURATION_UNITS[u])) return u;
  return undefined;
}

/** The length of `in`'s unit when the text knows it: a literal, or a term with its agreed value. */
function perValue(ctx: Ctx, per: Expr): bigint | undefined {
  if (per.k === 'unit' && per.e.k === 'num' && per.e.value && isInt(per.e.value) && per.unit !== 'months' && per.unit !== 'years') {
    return per.e.value.n * BigInt(DURATION_UNITS[per.unit]);
  }
  if (per.k === 'name' && per.ref?.kind === 'param' && ctx.params) return (ctx.params[per.ref.index] as Rat).n;
  return undefined;
}

/**
 * The words for the unit of `D in …`: a day, an hour …, or, for a unit that is a length of time
 * (a term such as the billing unit), "periods of 15 minutes" — "days" again when it is one day.
 */
function countUnit(ctx: Ctx, e: Extract<Expr, { k: 'in' }>): { base: string; a: string; one: string; many: string; half: string; plain: string } {
  let unit = e.unit;
  let length: string | undefined;
  if (!unit) {
    const ms = perValue(ctx, e.per!);
    unit = ms === undefined ? undefined : fixedUnit(ms);
    if (!unit) length = ms === undefined ? wrap(ctx, e.per!, 10) : durationWords(ms, ctx.lang);
  }
  if (unit) {
    const u1 = unitWord(ctx, unit, true);
    const un = unitWord(ctx, unit, false);
    return ctx.lang === 'en'
      ? { base: `counted in whole ${un}`, a: `a ${u1}`, one: u1, many: un, half: `half a ${u1}`, plain: `counted in ${un} (fractions included)` }
      : { base: `以${u1}计`, a: `一${u1}`, one: `一${u1}`, many: `整${u1}`, half: `半${u1}`, plain: `以${u1}计（含不足一${u1}的部分）` };
  }
  return ctx.lang === 'en'
    ? { base: `counted in whole periods of ${length}`, a: 'such a period', one: 'period', many: 'periods', half: 'half such a period', plain: `counted in periods of ${length} (fractions included)` }
    : { base: `以${length}为一个计算单位计`, a: '一个计算单位', one: '一个计算单位', many: '整数个计算单位', half: '半个计算单位', plain: `以${length}为一个计算单位计（含不足一个计算单位的部分）` };
}

function roundingWords(ctx: Ctx, inner: Expr, mode: RoundingMode): string {
  const t = inner.t!;
  // "(a - b) in days rounded up": the classic late-delivery rule, stated the way contracts state it
  if (inner.k === 'in') {
    const x = wrap(ctx, inner.e, 7);
    const u = countUnit(ctx, inner);
    if (ctx.lang === 'en') {
      switch (mode) {
        case 'up': return `${x}, ${u.base}, any part of ${u.a} counting as a full ${u.one} (rounded up to whole ${u.many})`;
        case 'down': return `${x}, ${u.base}, any part of ${u.a} being disregarded (rounded down to whole ${u.many})`;
        case 'half-up': return `${x}, ${u.base}, to the nearest whole ${u.one}, ${u.half} or more counting as a full ${u.one} (rounded half up)`;
        case 'half-down': return `${x}, ${u.base}, to the nearest whole ${u.one}, exactly ${u.half} being disregarded (rounded half down)`;
        case 'half-even': return `${x}, ${u.base}, to the nearest whole ${u.one}, exactly ${u.half} going to the even number (rounded half even)`;
      }
    }
    switch (mode) {
      case 'up': return `${x}${u.base}，不足${u.one}的按${u.one}计算（向上取整至${u.many}）`;
      case 'down': return `${x}${u.base}，不足${u.one}的部分不计（向下取整至${u.many}）`;
      case 'half-up': return `${x}${u.base}，四舍五入至${u.many}（满${u.half}按${u.one}计算）`;
      case 'half-down': return `${x}${u.base}，五舍六入至${u.many}（恰为${u.half}的部分不计）`;
      case 'half-even': return `${x}${u.base}，四舍六入五成双至${u.many}（恰为${u.half}时取偶数）`;
    }
  }
  const x = wrap(ctx, inner, 7);
  if (t.k === 'Money') {
    const cur = t.cur ?? ctx.c.currency;
    const info = cur ? CURRENCIES.get(cur) : undefined;
    const unitEn = info ? `${info.exponent === 0 ? '1' : `0.${'0'.repeat(info.exponent - 1)}1`} ${info.code}` : 'the smallest unit of the currency';
    const unitZh = info ? (info.code === 'CNY' ? '0.01元' : `${info.exponent === 0 ? '1' : `0.${'0'.repeat(info.exponent - 1)}1`}${info.zh}`) : '最小货币单位';
    if (ctx.lang === 'en') {
      switch (mode) {
        case 'up': return `${x}, rounded up to the nearest ${unitEn}`;
        case 'down': return `${x}, rounded down to the nearest ${unitEn}`;
        case 'half-up': return `${x}, rounded to the nearest ${unitEn}, half a unit being rounded up (rounded half up)`;
        case 'half-down': return `${x}, rounded to the nearest ${unitEn}, half a unit being rounded down (rounded half down)`;
        case 'half-even': return `${x}, rounded to the nearest ${unitEn}, half a unit going to the even amount (rounded half even)`;
      }
    }
    switch (mode) {
      case 'up': return `${x}（向上取整至${unitZh}）`;
      case 'down': return `${x}（向下取整至${unitZh}）`;
      case 'half-up': return `${x}（四舍五入至${unitZh}）`;
      case 'half-down': return `${x}（五舍六入至${unitZh}）`;
      case 'half-even': return `${x}（四舍六入五成双至${unitZh}）`;
    }
  }
  if (ctx.lang === 'en') {
    switch (mode) {
      case 'up': return `${x}, rounded up to a whole number`;
      case 'down': return `${x}, rounded down to a whole number`;
      case 'half-up': return `${x}, rounded to the nearest whole number, halves being rounded up (rounded half up)`;
      case 'half-down': return `${x}, rounded to the nearest whole number, halves being rounded down (rounded half down)`;
      case 'half-even': return `${x}, rounded to the nearest whole number, halves going to the even number (rounded half even)`;
    }
  }
  switch (mode) {
    case 'up': return `${x}（向上取整）`;
    case 'down': return `${x}（向下取整）`;
    case 'half-up': return `${x}（四舍五入取整）`;
    case 'half-down': return `${x}（五舍六入取整）`;
    case 'half-even': return `${x}（四舍六入五成双取整）`;
  }
}

function cmpWords(ctx: Ctx, op: string, a: string, b: string, t: Type): string {
  if (t.k === 'Date') {
    switch (op) {
      case '<': return T(ctx, `${a} is before ${b}`, `${a}早于${b}`);
      case '<=': return T(ctx, `${a} is no later than ${b}`, `${a}不晚于${b}`);
      case '>': return T(ctx, `${a} is after ${b}`, `${a}晚于${b}`);
      case '>=': return T(ctx, `${a} is no earlier than ${b}`, `${a}不早于${b}`);
    }
  }
  switch (op) {
    case '<': return T(ctx, `${a} is less than ${b}`, `${a}少于${b}`);
    case '<=': return T(ctx, `${a} is at most ${b}`, `${a}不超过${b}`);
    case '>': return T(ctx, `${a} is more than ${b}`, `${a}超过${b}`);
    case '>=': return T(ctx, `${a} is at least ${b}`, `${a}不少于${b}`);
    case '=': return T(ctx, `${a} is ${b}`, `${a}为${b}`);
    case '!=': return T(ctx, `${a} is not ${b}`, `${a}不为${b}`);
  }
  return `${a} ${op} ${b}`;
}

/** An expression in words. */
export function words(ctx: Ctx, e: Expr): string {
  const known = ctx.memo.get(e);
  if (known !== undefined) return known;
  const w = wordsOf(ctx, e);
  ctx.memo.set(e, w);
  return w;
}

function wordsOf(ctx: Ctx, e: Expr): string {
  switch (e.k) {
    case 'num':
      return e.pct ? percentText(e.value!) : ratToString(e.value!);
    case 'money':
      return moneyWords(e.value!, ctx.lang);
    case 'date':
      return dateWords(e.value!, ctx.c.timezone, ctx.lang);
    case 'str':
      return `“${e.value}”`;
    case 'bool':
      return T(ctx, e.value ? 'yes' : 'no', e.value ? '是' : '否');
    case 'now':
      return T(ctx, 'the time of the event', '该事件发生的时间');
    case 'sender':
      return T(ctx, 'the party that sent the event', '该事件的发送方');
    case 'list':
      if (e.items.length === 0) return T(ctx, 'an empty list', '空列表');
      return T(ctx, `the list of ${e.items.map((x) => words(ctx, x)).join(', ')}`, `由${e.items.map((x) => words(ctx, x)).join('、')}组成的列表`);
    case 'name': {
      const r = e.ref!;
      switch (r.kind) {
        case 'party': return L(ctx, ctx.c.parties[r.index]!.label);
        case 'param': {
          const p = ctx.c.params[r.index]!;
          // a yes-or-no term reads as what it says, with the agreed answer: never "if yes and …"
          if (p.t?.k === 'Bool') {
            if (!ctx.params) return `[${L(ctx, p.label)}]`;
            const yes = ctx.params[r.index] === true;
            return T(ctx, `${p.label.en} (agreed: ${yes ? 'yes' : 'no'})`, `${p.label.zh}（约定：${yes ? '是' : '否'}）`);
          }
          if (ctx.params) return valueWords(ctx.params[r.index]!, p.t!, ctx.c, ctx.lang);
          return `[${L(ctx, p.label)}]`;
        }
        case 'state': return L(ctx, ctx.c.states[r.index]!.label);
        case 'define': return T(ctx, `“${ctx.c.defines.get(r.name)!.label.en}”`, `“${ctx.c.defines.get(r.name)!.label.zh}”`);
        case 'local': return ctx.locals.get(r.slot) ?? e.name;
        case 'input': return inputWords(ctx, r.name);
        case 'enum': return e.name;
        case 'currency': return e.name;
      }
      return e.name;
    }
    case 'field': {
      if (e.ref?.kind === 'enum') {
        const m = ctx.c.enums.get(e.ref.name)!.members.find((x) => x.name === e.field)!;
        return L(ctx, m.label);
      }
      if (e.ref?.kind === 'currency') {
        // an agreed amount's currency is known: say it; otherwise say whose currency it is
        const o = e.obj;
        if (o.k === 'money') return o.cur;
        if (o.k === 'name' && o.ref?.kind === 'param' && ctx.params) return (ctx.params[o.ref.index] as Money).cur;
        return T(ctx, `the currency of ${wrap(ctx, o, 10)}`, `${wrap(ctx, o, 10)}的币种`);
      }
      const ot = e.obj.t!;
      const f = ot.k === 'Record' ? ctx.c.records.get(ot.name)!.fields.find((x) => x.name === e.field) : undefined;
      const fl = f ? L(ctx, f.label) : e.field;
      return T(ctx, `${fl} of ${wrap(ctx, e.obj, 10)}`, `${wrap(ctx, e.obj, 10)}的${fl}`);
    }
    case 'neg':
      return T(ctx, `minus ${wrap(ctx, e.e, 10)}`, `负${wrap(ctx, e.e, 10)}`);
    case 'not':
      return T(ctx, `it is not the case that ${wrap(ctx, e.e, 4)}`, `并非${wrap(ctx, e.e, 4)}`);
    case 'bin': {
      const p = prec(e);
      switch (e.op) {
        case 'and': return T(ctx, `${clause(ctx, 'and', e.a)} and ${clause(ctx, 'and', e.b)}`, `${clause(ctx, 'and', e.a)}且${clause(ctx, 'and', e.b)}`);
        case 'or': return T(ctx, `${clause(ctx, 'or', e.a)} or ${clause(ctx, 'or', e.b)}`, `${clause(ctx, 'or', e.a)}或${clause(ctx, 'or', e.b)}`);
        case '=':
        case '!=':
          if (e.b.k === 'bool' && e.a.t?.k === 'Bool') {
            const a = wrap(ctx, e.a, 5);
            const yes = (e.op === '=') === e.b.value;
            return yes ? a : T(ctx, `it is not the case that ${a}`, `并非${a}`);
          }
          return cmpWords(ctx, e.op, wrap(ctx, e.a, 5), wrap(ctx, e.b, 5), e.a.t!);
        case '<': case '<=': case '>': case '>=':
          return cmpWords(ctx, e.op, wrap(ctx, e.a, 5), wrap(ctx, e.b, 5), e.a.t!);
        case 'contains':
          return T(ctx, `${wrap(ctx, e.a, 5)} includes ${wrap(ctx, e.b, 5)}`, `${wrap(ctx, e.a, 5)}包含${wrap(ctx, e.b, 5)}`);
        case 'capped':
          return T(ctx, `${wrap(ctx, e.a, 5)}, but no more than ${wrap(ctx, e.b, 6)}`, `${wrap(ctx, e.a, 5)}，但不超过${wrap(ctx, e.b, 6)}`);
        case 'atleast':
          return T(ctx, `${wrap(ctx, e.a, 5)}, but no less than ${wrap(ctx, e.b, 6)}`, `${wrap(ctx, e.a, 5)}，但不少于${wrap(ctx, e.b, 6)}`);
        case '+': {
          const at = e.a.t!.k;
          const bt = e.b.t!.k;
          if (at === 'Date') return T(ctx, `${wrap(ctx, e.b, p + 1)} after ${wrap(ctx, e.a, p + 1)}`, `${wrap(ctx, e.a, p + 1)}后${wrap(ctx, e.b, p + 1)}`);
          if (bt === 'Date') return T(ctx, `${wrap(ctx, e.a, p + 1)} after ${wrap(ctx, e.b, p + 1)}`, `${wrap(ctx, e.b, p + 1)}后${wrap(ctx, e.a, p + 1)}`);
          return T(ctx, `${operand(ctx, '+', e.a, 'a')} plus ${operand(ctx, '+', e.b, 'b')}`, `${operand(ctx, '+', e.a, 'a')}加${operand(ctx, '+', e.b, 'b')}`);
        }
        case '-': {
          const at = e.a.t!.k;
          const bt = e.b.t!.k;
          if (at === 'Date' && bt === 'Date') return T(ctx, `the time from ${wrap(ctx, e.b, p + 1)} to ${wrap(ctx, e.a, p + 1)}`, `自${wrap(ctx, e.b, p + 1)}至${wrap(ctx, e.a, p + 1)}的期间`);
          if (at === 'Date') return T(ctx, `${wrap(ctx, e.b, p + 1)} before ${wrap(ctx, e.a, p + 1)}`, `${wrap(ctx, e.a, p + 1)}前${wrap(ctx, e.b, p + 1)}`);
          return T(ctx, `${operand(ctx, '-', e.a, 'a')} minus ${operand(ctx, '-', e.b, 'b')}`, `${operand(ctx, '-', e.a, 'a')}减${operand(ctx, '-', e.b, 'b')}`);
        }
        case '*':
          return T(ctx, `${operand(ctx, '*', e.a, 'a')} multiplied by ${operand(ctx, '*', e.b, 'b')}`, `${operand(ctx, '*', e.a, 'a')}乘以${operand(ctx, '*', e.b, 'b')}`);
        case '/':
          return T(ctx, `${operand(ctx, '/', e.a, 'a')} divided by ${operand(ctx, '/', e.b, 'b')}`, `${operand(ctx, '/', e.a, 'a')}除以${operand(ctx, '/', e.b, 'b')}`);
        case 'of':
          return T(ctx, `${operand(ctx, 'of', e.a, 'a')} of ${operand(ctx, 'of', e.b, 'b')}`, `${operand(ctx, 'of', e.b, 'b')}的${operand(ctx, 'of', e.a, 'a')}`);
      }
      return '';
    }
    case 'round':
      return roundingWords(ctx, e.e, e.mode);
    case 'in':
      return T(ctx, `${wrap(ctx, e.e, 7)} ${countUnit(ctx, e).plain}`, `${wrap(ctx, e.e, 7)}${countUnit(ctx, e).plain}`);
    case 'unit': {
      if (e.e.k === 'num' && e.e.value && isInt(e.e.value)) {
        return ctx.lang === 'en' ? plural(e.e.value.n, e.unit) : `${e.e.value.n}${UNIT_ZH[e.unit]}`;
      }
      const x = wrap(ctx, e.e, 10);
      return T(ctx, `${x} ${unitWord(ctx, e.unit, false)}`, `${x}${UNIT_ZH[e.unit]}`);
    }
    case 'if':
      // the condition first, as the Chinese does: "A if C, and otherwise B" hides C behind a long A
      return T(ctx, `if ${wrap(ctx, e.c, 2)}, ${wrap(ctx, e.a, 2)}; and otherwise, ${wrap(ctx, e.b, 2)}`, `如${wrap(ctx, e.c, 2)}，则为${wrap(ctx, e.a, 2)}，否则为${wrap(ctx, e.b, 2)}`);
    case 'call': {
      const args = e.args.map((x) => wrap(ctx, x, 5));
      const list = (xs: string[]): string => (ctx.lang === 'en' ? `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}` : xs.join('与'));
      switch (e.fn) {
        case 'min': return T(ctx, `the least of ${list(args)}`, `${list(args)}中的较小者`);
        case 'max': return T(ctx, `the greatest of ${list(args)}`, `${list(args)}中的较大者`);
        case 'count': return T(ctx, `the number of entries in ${args[0]}`, `${args[0]}的条目数`);
        case 'sum': return T(ctx, `the total of ${args[0]}`, `${args[0]}的合计`);
      }
      return '';
    }
    case 'tier': {
      const td = ctx.c.tiers.get(e.tiers)!;
      const x = wrap(ctx, e.e, 7);
      if (e.how === 'applied') {
        return T(ctx, `${x} charged at the rates in Schedule ${scheduleRef(ctx, td)} (${td.label.en}), each part of it at the rate of the tier that part falls in`, `${x}按附表${scheduleRef(ctx, td)}（${td.label.zh}）分段计算（每一部分适用其所在分档的费率）`);
      }
      return T(ctx, `the rate in Schedule ${scheduleRef(ctx, td)} (${td.label.en}) for the tier that ${x} falls in`, `${x}所在分档依附表${scheduleRef(ctx, td)}（${td.label.zh}）适用的费率`);
    }
    case 'record': {
      const rd = ctx.c.records.get(e.type)!;
      const fs = e.fields.map((f) => {
        const fd = rd.fields.find((x) => x.name === f.name)!;
        return T(ctx, `${fd.label.en} ${words(ctx, f.e)}`, `${fd.label.zh}为${words(ctx, f.e)}`);
      });
      return T(ctx, `a ${rd.label.en} with ${fs.join(', ')}`, `${rd.label.zh}（${fs.join('，')}）`);
    }
  }
}

/**
 * Event information read by a definition: "the temperature (as stated in the temperature
 * reading)" (or "in the event" when several events state it).
 */
function inputWords(ctx: Ctx, name: string): string {
  const hs = [...ctx.c.handlers.values()].filter((h) => h.inputs.some((f) => f.name === name));
  const f = hs[0]?.inputs.find((x) => x.name === name);
  if (!f) return name;
  if (hs.length === 1) return T(ctx, `${f.label.en} (as stated in ${hs[0]!.label.en})`, `${hs[0]!.label.zh}所载明的${f.label.zh}`);
  return T(ctx, `${f.label.en} (as stated in the event)`, `该事件所载明的${f.label.zh}`);
}

function scheduleRef(ctx: Ctx, td: TiersDecl): string {
  const i = [...ctx.c.tiers.values()].indexOf(td);
  return String(i + 1);
}

// ---------------------------------------------------------------------------------------------
// Statements

function stmtWords(ctx: Ctx, s: Stmt, depth: number): { text: string; sub?: Block } {
  ctx.covered.add(s);
  switch (s.k) {
    case 'require':
      return { text: T(ctx, `provided that ${words(ctx, s.cond)}; otherwise the request is refused, with the reason “${s.msg.en}”`, `须${words(ctx, s.cond)}；否则拒绝该请求，理由为“${s.msg.zh}”`) };
    case 'let':
      ctx.locals.set(s.slot!, T(ctx, `“${s.label.en}”`, `“${s.label.zh}”`));
      return { text: T(ctx, `“${s.label.en}” means ${words(ctx, s.e)}`, `“${s.label.zh}”指${words(ctx, s.e)}`) };
    case 'set': {
      const st = ctx.c.states[s.index!]!;
      if (s.e.k === 'bool' && st.t?.k === 'Bool') {
        return { text: s.e.value ? T(ctx, `it is recorded that ${st.label.en}`, `记录${st.label.zh}`) : T(ctx, `it is recorded that it is no longer the case that ${st.label.en}`, `记录并非${st.label.zh}`) };
      }
      return { text: T(ctx, `${st.label.en} is recorded as ${words(ctx, s.e)}`, `${st.label.zh}记为${words(ctx, s.e)}`) };
    }
    case 'append': {
      const st = ctx.c.states[s.index!]!;
      return { text: T(ctx, `${words(ctx, s.e)} is added to ${st.label.en}`, `将${words(ctx, s.e)}记入${st.label.zh}`) };
    }
    case 'if': {
      const items: Array<{ mark: string; text: string; sub?: Block }> = [];
      s.branches.forEach((br, i) => {
        const sub = stmtList(ctx, br.body, s.branches.length === 1 ? depth + 1 : depth + 2);
        let head: string;
        if (br.cond) head = i === 0 ? T(ctx, `if ${words(ctx, br.cond)}:`, `如${words(ctx, br.cond)}：`) : T(ctx, `otherwise, if ${words(ctx, br.cond)}:`, `否则，如${words(ctx, br.cond)}：`);
        else head = T(ctx, 'otherwise:', '否则：');
        items.push({ mark: '', text: head, sub });
      });
      if (items.length === 1) return { text: items[0]!.text, sub: items[0]!.sub! };
      return { text: T(ctx, 'the first of the following that applies:', '按以下顺序适用第一项符合的情形：'), sub: { k: 'list', items: items.map((it, i) => ({ ...it, mark: letter(i, depth + 1) })) } };
    }
    case 'foreach': {
      const item = T(ctx, `each entry “${s.v}”`, `每一条目“${s.v}”`);
      ctx.locals.set(s.slot!, T(ctx, `the entry “${s.v}”`, `条目“${s.v}”`));
      return { text: T(ctx, `for ${item} of ${words(ctx, s.list)}:`, `对${words(ctx, s.list)}中的${item}：`), sub: stmtList(ctx, s.body, depth + 1) };
    }
    case 'pay':
      return { text: T(ctx, `${words(ctx, s.from)} shall pay ${words(ctx, s.to)} ${words(ctx, s.amount)}, as ${s.reason.en}`, `${words(ctx, s.from)}应向${words(ctx, s.to)}支付${words(ctx, s.amount)}，款项性质为${s.reason.zh}`) + ifShortWords(ctx, s.ifShort) };
    case 'split': {
      const parts = s.shares.map((sh) => T(ctx, `${words(ctx, sh.to)} ${words(ctx, sh.share)}`, `${words(ctx, sh.to)}${words(ctx, sh.share)}`));
      return {
        text: T(ctx,
          `${words(ctx, s.from)} shall pay ${words(ctx, s.amount)}, as ${s.reason.en}, divided as follows: ${parts.join('; ')}. Each part is rounded down to the smallest unit of the currency, and what is left over is paid one unit at a time to the recipients in the order listed, so that the parts add up to the whole; the shares must add up to 100%, or the request is refused`,
          `${words(ctx, s.from)}应支付${words(ctx, s.amount)}（${s.reason.zh}），按以下比例分配：${parts.join('；')}。各部分向下取整至最小货币单位，剩余部分按所列顺序逐一以最小货币单位分配，使各部分之和等于总额；各比例合计须为100%，否则拒绝该请求`) + ifShortWords(ctx, s.ifShort),
      };
    }
    case 'withhold': {
      const behalf = s.onBehalfOf ? T(ctx, ` on behalf of ${words(ctx, s.onBehalfOf)}`, `代${words(ctx, s.onBehalfOf)}`) : '';
      return { text: T(ctx, `${words(ctx, s.from)} shall withhold ${words(ctx, s.amount)}${behalf} and pay it to ${words(ctx, s.to)}, as ${s.reason.en}`, `${words(ctx, s.from)}应${behalf}扣缴${words(ctx, s.amount)}并支付给${words(ctx, s.to)}，款项性质为${s.reason.zh}`) + ifShortWords(ctx, s.ifShort) };
    }
    case 'terminate':
      return { text: T(ctx, `this Contract ends, for the reason: ${s.reason.en}; obligations not yet performed lapse`, `本合同终止，理由为：${s.reason.zh}；尚未履行的义务随之终止`) };
    case 'respond':
      return { text: T(ctx, `the reply to the sender states ${words(ctx, s.e)} (“${s.name}”)`, `向发送方的回复载明${words(ctx, s.e)}（“${s.name}”）`) };
  }
}

/**
 * What happens when the payer's balance cannot cover a settlement instruction, as the rule says
 * (nothing when it says nothing: the settlement chain's default, failing, applies).
 */
function ifShortWords(ctx: Ctx, x: IfShort | undefined): string {
  if (!x) return '';
  if (x.mode === 'fail') {
    return T(ctx, '; if the payer\'s balance is insufficient, this instruction fails and is not paid', '；如付款方余额不足，本指令即告失败，不予支付');
  }
  if (!x.until) {
    return T(ctx, '; if the payer\'s balance is insufficient, this instruction waits until the payer\'s funds suffice and is paid then, after any earlier instruction of the payer that is still waiting',
      '；如付款方余额不足，本指令等待至付款方资金足以支付时支付，并排在付款方此前仍在等待的指令之后');
  }
  const until = words(ctx, x.until);
  return T(ctx,
    `; if the payer's balance is insufficient, this instruction waits until ${until} for the payer's funds, and fails if it is still unpaid at that time (at once, if that time has already come when the instruction is given)`,
    `；如付款方余额不足，本指令等待至${until}，届时仍未支付的即告失败（发出指令时该时间已届至的，即时失败）`);
}

function stmtList(ctx: Ctx, stmts: Stmt[], depth: number): Block {
  return {
    k: 'list',
    items: stmts.map((s, i) => {
      const w = stmtWords(ctx, s, depth);
      const item: { mark: string; text: string; sub?: Block } = { mark: letter(i, depth), text: w.text + (w.sub ? '' : T(ctx, ';', '；')) };
      if (w.sub) item.sub = w.sub;
      return item;
    }),
  };
}

function partyList(ctx: Ctx, h: HandlerDecl): string {
  if (h.anyone) return T(ctx, 'anyone', '任何人');
  const ls = h.parties.map((p) => L(ctx, ctx.c.parties[p.index!]!.label));
  return ctx.lang === 'en' ? ls.join(' or ') : ls.join('或');
}

function inputsWords(ctx: Ctx, h: HandlerDecl): string {
  if (h.inputs.length === 0) return '';
  const ls = h.inputs.map((f) => L(ctx, f.label));
  return T(ctx, `, stating ${ls.length > 1 ? `${ls.slice(0, -1).join(', ')} and ${ls[ls.length - 1]}` : ls[0]}`, `（载明${ls.join('、')}）`);
}

function handlerBlock(ctx: Ctx, h: HandlerDecl): { text: string; sub?: Block } {
  ctx.covered.add(h);
  ctx.locals = new Map();
  h.inputs.forEach((f, i) => ctx.locals.set(i, L(ctx, f.label)));
  const who = partyList(ctx, h);
  const head = h.kind === 'on'
    ? T(ctx, `When ${who} reports ${h.label.en}${inputsWords(ctx, h)}, the following applies${h.body.length ? ':' : ' and nothing more.'}`, `${who}报告${h.label.zh}${inputsWords(ctx, h)}时，适用以下规定${h.body.length ? '：' : '（无其他效果）。'}`)
    : T(ctx, `${who} may ${h.label.en}${inputsWords(ctx, h)}. When ${ctx.lang === 'en' ? (h.parties.length > 1 || h.anyone ? 'it does so' : 'that party does so') : ''}, the following applies${h.body.length ? ':' : '.'}`, `${who}有权${h.label.zh}${inputsWords(ctx, h)}。行使该权利时，适用以下规定${h.body.length ? '：' : '。'}`);
  const r: { text: string; sub?: Block } = { text: head };
  if (h.body.length) r.sub = stmtList(ctx, h.body, 0);
  return r;
}

function obligationBlock(ctx: Ctx, o: ObligationDecl): { text: string; sub?: Block } {
  ctx.covered.add(o);
  ctx.locals = new Map();
  let pre = '';
  if (o.forEach) {
    ctx.locals.set(o.forEach.slot!, o.forEach.v);
    pre = T(ctx, `For each number ${o.forEach.v} from ${words(ctx, o.forEach.from)} to ${words(ctx, o.forEach.to)}: `, `对于自${words(ctx, o.forEach.from)}至${words(ctx, o.forEach.to)}的每一个${o.forEach.v}：`);
  }
  const instance = o.forEach ? T(ctx, ` (number ${o.forEach.v})`, `（第${o.forEach.v}项）`) : '';
  let text = T(ctx,
    `${pre}${words(ctx, o.promisor!)} shall ${o.label.en}${instance}, for the benefit of ${words(ctx, o.promisee!)}, no later than ${words(ctx, o.due!)}.`,
    `${pre}${words(ctx, o.promisor!)}应不迟于${words(ctx, o.due!)}为${words(ctx, o.promisee!)}${o.label.zh}${instance}。`);
  if (o.onlyIf) text += T(ctx, ` This obligation applies only while ${words(ctx, o.onlyIf)}.`, `本义务仅在${words(ctx, o.onlyIf)}时适用。`);
  text += T(ctx, ` It is performed when ${words(ctx, o.doneWhen!)}.`, `${words(ctx, o.doneWhen!)}时，本义务即告履行。`);
  if (o.onBreach.length) {
    text += T(ctx, ' If it is not performed by that time, it is breached, and as of the deadline:', '逾期未履行的，构成违约，并自期限届满时起适用以下规定：');
    return { text, sub: stmtList(ctx, o.onBreach, 0) };
  }
  text += T(ctx, ' If it is not performed by that time, it is breached.', '逾期未履行的，构成违约。');
  return { text };
}

function defineText(ctx: Ctx, d: DefineDecl): string {
  ctx.covered.add(d);
  ctx.locals = new Map();
  let text = T(ctx, `“${d.label.en}” means ${words(ctx, d.e)}`, `“${d.label.zh}”指${words(ctx, d.e)}`);
  if (d.exceptions.length) {
    const refs = d.exceptions.map((x) => ctx.refs.get(x) ?? x.name);
    text += T(ctx, `, except as provided in ${refs.join(' and ')}`, `，但第${refs.join('、')}项规定的例外情形除外`);
  }
  return text + T(ctx, '.', '。');
}

function exceptionText(ctx: Ctx, x: ExceptionDecl): string {
  ctx.covered.add(x);
  ctx.locals = new Map();
  const d = ctx.c.defines.get(x.target)!;
  return T(ctx,
    `Exception (${x.label.en}): if ${words(ctx, x.when)}, then “${d.label.en}” is ${words(ctx, x.value)} instead. If two exceptions to the same rule apply at once, the request is refused.`,
    `例外（${x.label.zh}）：如${words(ctx, x.when)}，则“${d.label.zh}”为${words(ctx, x.value)}。同一规则的两项例外同时适用的，拒绝该请求。`);
}

// ---------------------------------------------------------------------------------------------
// Prose with placeholders

function proseText(ctx: Ctx, p: Prose): string {
  const raw = ctx.lang === 'en' ? p.en.join(' ') : p.zh.join('');
  const filled = fill(ctx, raw);
  // a party's label ("the Seller") that starts a sentence starts with a capital
  return ctx.lang === 'en' ? filled.replace(/(^|[.!?]\s+)([a-z])/g, (_, a: string, b: string) => a + b.toUpperCase()) : filled;
}

function fill(ctx: Ctx, raw: string): string {
  return raw.replace(/\{([^{}]*)\}/g, (_, inner: string) => {
    const name = inner.trim();
    const cm = /^clause\s+(\w+)$/.exec(name);
    if (cm) {
      const n = ctx.c.clauseNumbers.get(cm[1]!);
      return T(ctx, `Clause ${n}`, `第${n}条`);
    }
    const pi = ctx.c.parties.findIndex((x) => x.name === name);
    if (pi >= 0) return L(ctx, ctx.c.parties[pi]!.label);
    const ai = ctx.c.params.findIndex((x) => x.name === name);
    if (ai >= 0) {
      const pd = ctx.c.params[ai]!;
      return ctx.params ? valueWords(ctx.params[ai]!, pd.t!, ctx.c, ctx.lang) : `[${L(ctx, pd.label)}]`;
    }
    const st = ctx.c.states.find((x) => x.name === name);
    if (st) return L(ctx, st.label);
    const d = ctx.c.defines.get(name);
    if (d) return T(ctx, `“${d.label.en}”`, `“${d.label.zh}”`);
    return `{${name}}`;
  });
}

// ---------------------------------------------------------------------------------------------
// The document

function initWords(ctx: Ctx, s: StateDecl): string {
  ctx.covered.add(s);
  ctx.locals = new Map();
  if (s.t?.k === 'Bool' && s.init.k === 'bool') {
    return T(ctx, `whether ${s.label.en} (initially ${s.init.value ? 'yes' : 'no'})`, `${s.label.zh}与否（初始为${s.init.value ? '是' : '否'}）`);
  }
  return T(ctx, `${s.label.en}, initially ${words(ctx, s.init)}`, `${s.label.zh}，初始为${words(ctx, s.init)}`);
}

function tiersBlocks(ctx: Ctx, td: TiersDecl, n: number): Block[] {
  ctx.covered.add(td);
  ctx.locals = new Map();
  const rows = td.rows.map((r, i) => {
    ctx.covered.add(r);
    const prev = td.rows[i - 1];
    const range = r.bound === 'above'
      ? prev?.bound === 'below'
        ? T(ctx, `${words(ctx, prev.limit!)} or more`, `${words(ctx, prev.limit!)}及以上`)
        : prev?.limit
          ? T(ctx, `above ${words(ctx, prev.limit)}`, `超过${words(ctx, prev.limit)}`)
          : T(ctx, 'any', '全部')
      : r.bound === 'upto'
        ? T(ctx, `up to and including ${words(ctx, r.limit!)}`, `${words(ctx, r.limit!)}以内（含本数）`)
        : T(ctx, `below ${words(ctx, r.limit!)}`, `低于${words(ctx, r.limit!)}`);
    return [range, words(ctx, r.rate)];
  });
  return [
    { k: 'h', level: 3, text: T(ctx, `Schedule ${n}: ${td.label.en}`, `附表${n}：${td.label.zh}`) },
    { k: 'table', head: [T(ctx, 'Tier', '分档'), T(ctx, 'Rate', '费率')], rows },
  ];
}

export function renderDocument(c: Contract, params: Record<string, JsonValue> | undefined, lang: Lang): Doc {
  let values: { params: Val[]; parties: string[] } | undefined;
  if (params !== undefined) {
    const canonical = checkParams(c, params);
    values = paramValues(c, canonical);
  }
  const ctx: Ctx = { c, lang, locals: new Map(), refs: new Map(), covered: new Set(), memo: new WeakMap() };
  if (values) {
    ctx.params = values.params;
    ctx.parties = values.parties;
  }
  const blocks: Block[] = [];
  const title = L(ctx, c.title);
  blocks.push({ k: 'h', level: 1, text: title });
  blocks.push({ k: 'p', text: T(ctx, `Template ${c.id}, version ${c.version}. Template fingerprint (SM3): ${c.sourceHash}.`, `模板${c.id}，版本${c.version}。模板指纹（SM3）：${c.sourceHash}。`) });

  // parties
  blocks.push({ k: 'h', level: 2, text: T(ctx, 'Parties', '当事人') });
  blocks.push({
    k: 'list',
    items: c.parties.map((p, i) => ({ mark: '-', text: `${L(ctx, p.label)}: ${values ? values.parties[i] : T(ctx, '[DID to be filled in]', '[待填写DID]')}` })),
  });

  // terms
  if (c.params.length) {
    blocks.push({ k: 'h', level: 2, text: T(ctx, 'Terms', '合同要素') });
    blocks.push({
      k: 'table',
      head: [T(ctx, 'Term', '要素'), T(ctx, 'Value', '约定')],
      rows: c.params.map((p, i) => [L(ctx, p.label), values ? valueWords(values.params[i]!, p.t!, c, lang) : T(ctx, '[to be agreed]', '[待约定]')]),
    });
  }

  // interpretation: the conventions every rule relies on
  blocks.push({ k: 'h', level: 2, text: T(ctx, 'Interpretation', '释义') });
  const conv: string[] = [
    T(ctx, `The time of an event is the time of the block that records it on the chain; no other clock is used.`, '事件发生的时间，指记录该事件的区块的时间；不使用任何其他时钟。'),
    T(ctx, `Dates and times are read and stated in the time zone UTC${offsetText(c.timezone)}.`, `日期和时间均按UTC${offsetText(c.timezone)}时区理解和表述。`),
    T(ctx, 'Amounts of money are exact in the smallest unit of their currency. Calculations are exact; wherever a result is rounded, the rule says so and how.', '金额以其币种的最小货币单位精确计量；计算过程精确无误差，凡需舍入之处，规则均载明舍入方式。'),
    T(ctx, 'Each party acts through the DID stated beside its name; an event or the exercise of a right counts only if signed by that DID.', '各方通过其名称旁所列的DID行事；事件或权利的行使，仅在经该DID签名时有效。'),
    ...(c.obligations.length ? [T(ctx, 'Deadlines are checked whenever an event is recorded for this Contract; an obligation not performed by its deadline is breached as of that deadline.', '每当本合同记录一项事件时即检查各项期限；义务未在期限内履行的，自期限届满时构成违约。')] : []),
    T(ctx, 'Payments under this Contract are made only by the settlement instructions it states.', '本合同项下的款项仅依其载明的结算指令支付。'),
  ];
  blocks.push({ k: 'list', items: conv.map((t, i) => ({ mark: letter(i, 0), text: t })) });
  if (c.states.length) {
    blocks.push({ k: 'p', text: T(ctx, 'This Contract keeps the following records, which change only as its clauses say:', '本合同记录以下事项，仅依各条款的规定变更：') });
    blocks.push({ k: 'list', items: c.states.map((s) => ({ mark: '-', text: initWords(ctx, s) })) });
  }

  for (const p of c.ast.preamble) blocks.push({ k: 'p', text: proseText(ctx, p) });

  // clause numbering and exception references first, so definitions can cite their exceptions
  c.clauses.forEach((cl, ci) => {
    let k = 0;
    for (const it of cl.items) {
      if (it.k === 'prose') continue;
      k++;
      if (it.k === 'exception') ctx.refs.set(it.x, `${ci + 1}.${k}`);
    }
  });

  c.clauses.forEach((cl, ci) => {
    const n = ci + 1;
    blocks.push({ k: 'h', level: 2, text: T(ctx, `${n}. ${cl.label.en}`, `第${n}条　${cl.label.zh}`) });
    let k = 0;
    for (const it of cl.items) {
      if (it.k === 'prose') {
        blocks.push({ k: 'p', text: proseText(ctx, it.prose) });
        continue;
      }
      k++;
      const num = `${n}.${k}`;
      let r: { text: string; sub?: Block };
      switch (it.k) {
        case 'define': r = { text: defineText(ctx, it.d) }; break;
        case 'exception': r = { text: exceptionText(ctx, it.x) }; break;
        case 'obligation': r = obligationBlock(ctx, it.o); break;
        case 'handler': r = handlerBlock(ctx, it.h); break;
      }
      blocks.push({ k: 'list', items: [{ mark: num, text: r.text, ...(r.sub ? { sub: r.sub } : {}) }] });
    }
  });

  let sn = 0;
  for (const td of c.tiers.values()) blocks.push(...tiersBlocks(ctx, td, ++sn));

  // only a contract with deadlines has anything for "Tick" to check
  if (c.obligations.length) blocks.push({ k: 'p', text: T(ctx, 'Deadlines are also checked when anyone sends the request “Tick”, which changes nothing else.', '任何人均可发送“Tick”请求以检查期限，该请求不产生其他效果。') });
  return { title, lang, blocks, covered: ctx.covered };
}

// ---------------------------------------------------------------------------------------------
// Serialisation

function mdEscape(s: string): string {
  return s.replace(/([\\`*_[\]<>|#])/g, '\\$1');
}

function htmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** English sentences start with a capital letter, even when they start with a party's label. */
export function sentence(doc: Pick<Doc, 'lang'>, s: string): string {
  if (doc.lang !== 'en') return s;
  const c = s.charCodeAt(0);
  return c >= 97 && c <= 122 ? s[0]!.toUpperCase() + s.slice(1) : s;
}

function toMarkdown(doc: Doc): string {
  const out: string[] = [];
  const list = (b: Extract<Block, { k: 'list' }>, indent: string): void => {
    for (const it of b.items) {
      const mark = it.mark === '-' ? '-' : `- **${mdEscape(it.mark)}**`;
      out.push(`${indent}${mark} ${mdEscape(sentence(doc, it.text))}`);
      if (it.sub && it.sub.k === 'list') list(it.sub, indent + '  ');
    }
  };
  for (const b of doc.blocks) {
    switch (b.k) {
      case 'h':
        out.push(`${'#'.repeat(b.level)} ${mdEscape(b.text)}`, '');
        break;
      case 'p':
        out.push(mdEscape(sentence(doc, b.text)), '');
        break;
      case 'list':
        list(b, '');
        out.push('');
        break;
      case 'table':
        out.push(`| ${b.head.map(mdEscape).join(' | ')} |`, `| ${b.head.map(() => '---').join(' | ')} |`);
        for (const r of b.rows) out.push(`| ${r.map(mdEscape).join(' | ')} |`);
        out.push('');
        break;
    }
  }
  return out.join('\n').replace(/\n+$/, '\n');
}

function toHtml(doc: Doc): string {
  const out: string[] = [];
  const list = (b: Extract<Block, { k: 'list' }>): string => {
    const items = b.items.map((it) => {
      const mark = it.mark === '-' ? '' : `<span class="n">${htmlEscape(it.mark)}</span> `;
      return `<li>${mark}${htmlEscape(sentence(doc, it.text))}${it.sub && it.sub.k === 'list' ? list(it.sub) : ''}</li>`;
    });
    return `<ul>${items.join('')}</ul>`;
  };
  for (const b of doc.blocks) {
    switch (b.k) {
      case 'h':
        out.push(`<h${b.level}>${htmlEscape(b.text)}</h${b.level}>`);
        break;
      case 'p':
        out.push(`<p>${htmlEscape(sentence(doc, b.text))}</p>`);
        break;
      case 'list':
        out.push(list(b));
        break;
      case 'table':
        out.push(`<table><thead><tr>${b.head.map((h) => `<th>${htmlEscape(h)}</th>`).join('')}</tr></thead><tbody>${b.rows.map((r) => `<tr>${r.map((x) => `<td>${htmlEscape(x)}</td>`).join('')}</tr>`).join('')}</tbody></table>`);
        break;
    }
  }
  return [
    '<!DOCTYPE html>',
    `<html lang="${doc.lang}">`,
    '<head>',
    '<meta charset="utf-8">',
    `<title>${htmlEscape(doc.title)}</title>`,
    '<style>body{font-family:serif;max-width:48em;margin:2em auto;line-height:1.6}ul{list-style:none;padding-left:1.5em}.n{font-weight:bold}table{border-collapse:collapse}td,th{border:1px solid #999;padding:.2em .6em;text-align:left}</style>',
    '</head>',
    '<body>',
    '<article>',
    ...out,
    '</article>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/**
 * The legal text of a contract in Markdown or HTML, in English or Chinese. Without `params`
 * it renders the template, with each term shown as [its name]. Throws LexError BAD_PARAMS for
 * parameters that do not fit the template.
 */
export function render(c: Contract, params: Record<string, JsonValue> | undefined, opts: RenderOptions): string {
  if (opts.format !== 'markdown' && opts.format !== 'html') {
    throw new LexError('BAD_FORMAT', `Unknown format "${String(opts.format)}"; use "markdown" or "html" (for PDF call renderPdf).`, `未知格式"${String(opts.format)}"；请使用"markdown"或"html"（PDF请使用renderPdf）。`);
  }
  if (opts.lang !== 'en' && opts.lang !== 'zh-CN') {
    throw new LexError('BAD_LANGUAGE', `Unknown language "${String(opts.lang)}"; use "en" or "zh-CN".`, `未知语言"${String(opts.lang)}"；请使用"en"或"zh-CN"。`);
  }
  const doc = renderDocument(c, params, opts.lang);
  return opts.format === 'markdown' ? toMarkdown(doc) : toHtml(doc);
}

