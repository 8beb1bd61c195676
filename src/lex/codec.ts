/**
 * Between JSON (parameters, requests, stored state, responses) and lex values, by type. Every
 * value that enters a contract is checked here, with a message that says which term is wrong
 * and how to write it. Amounts are integers of minor units; decimals are strings, never floats.
 */
import type { JsonValue } from '../codec/index.ts';
import type { Type } from './ast.ts';
import type { Contract } from './compiler.ts';
import { LexError } from './errors.ts';
import {
  CURRENCIES, DURATION_UNITS, MAX_TIME, MIN_TIME, Money, Rat, div, instantText, int, isInt, moneyFromDecimal, mul, parseInstant,
  parseRational, percentText, ratToString, type DurationUnit,
} from './values.ts';

/** A value while a contract runs. Records are plain objects; Text, DID and enum choices are strings. */
export type Val = Rat | Money | boolean | string | Val[] | RecordVal;
export interface RecordVal {
  [field: string]: Val;
}

export const DID_RE = /^did:[a-z0-9]+:[A-Za-z0-9._%-]+(?::[A-Za-z0-9._%-]+)*$/;
export const MAX_TEXT = 4096;

/** How a message names the value it is about: one name, or a name in each language. */
export type What = string | { en: string; zh: string };

const whatIn = (w: What, lang: 'en' | 'zh'): string => (typeof w === 'string' ? w : w[lang]);
const within = (w: What, suffix: string): What => (typeof w === 'string' ? `${w}${suffix}` : { en: `${w.en}${suffix}`, zh: `${w.zh}${suffix}` });

function bad(what: What, en: string, zh: string): LexError {
  return new LexError('BAD_VALUE', `${whatIn(what, 'en')}: ${en}`, `${whatIn(what, 'zh')}：${zh}`);
}

/** A JSON object as JSON.parse makes it (prototype Object.prototype): what lex reads as a record. */
export function isPlainObject(v: unknown): v is Record<string, JsonValue> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
}

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

export function safeNumber(n: bigint, what: string): number {
  if (n > SAFE || n < -SAFE) {
    throw new LexError('NUMBER_OUT_OF_RANGE', `${what} (${n}) is too large to be recorded; whole numbers are limited to ±${Number.MAX_SAFE_INTEGER}.`, `${what}（${n}）过大，无法记录；整数上限为±${Number.MAX_SAFE_INTEGER}。`);
  }
  return Number(n);
}

const DURATION_TEXT = /^(\d{1,15})\s*(seconds?|minutes?|hours?|days?|weeks?)$/;
const PERIOD_TEXT = /^(\d{1,6})\s*(months?|years?)$/;

/** How to write 100 units of a currency, for messages: "USD 100.00" and {"currency": "USD", "minor": 10000}. */
function moneyExample(cur: string): { text: string; json: string; unitEn: string; unitZh: string } {
  const exp = CURRENCIES.get(cur)?.exponent ?? 2;
  const minor = 100n * 10n ** BigInt(exp);
  return {
    text: `${cur} ${exp ? `100.${'0'.repeat(exp)}` : '100'}`,
    json: `{"currency": "${cur}", "minor": ${minor}}`,
    unitEn: exp ? `"minor" counts the smallest unit of ${cur}${cur === 'CNY' ? ', the fen' : ''}` : `${cur} has no smaller unit`,
    unitZh: exp ? `"minor"以${cur}的最小货币单位计${cur === 'CNY' ? '，即分' : ''}` : `${cur}没有更小的货币单位`,
  };
}

/** JSON → value of type t. `what` names the term in messages. */
export function decode(j: unknown, t: Type, c: Contract, what: What): Val {
  switch (t.k) {
    case 'Int': {
      if (typeof j === 'number' && Number.isSafeInteger(j)) return int(j);
      if (typeof j === 'string' && /^-?\d{1,15}$/.test(j)) return int(BigInt(j));
      throw bad(what, 'expected a whole number, e.g. 12.', '应为整数，例如12。');
    }
    case 'Decimal': {
      if (t.pct) {
        // "10.5%", or the number of percent itself: 97 and "97" are 97%
        let r: Rat | undefined;
        if (typeof j === 'string') r = parseRational(j.trim().replace(/\s*%$/, ''));
        else if (typeof j === 'number' && Number.isFinite(j)) r = parseRational(String(j));
        if (r) return div(r, int(100));
        throw bad(what, 'expected a percentage, e.g. "10.5%" or the number 10.5 (meaning 10.5%).', '应为百分比，例如"10.5%"或数字10.5（即10.5%）。');
      }
      if (typeof j === 'number' && Number.isFinite(j)) {
        // String() gives the shortest decimal that reads back as the same double: "0.1", not its binary expansion.
        const r = parseRational(String(j));
        if (r) return r;
      }
      if (typeof j === 'string') {
        const r = parseRational(j.trim());
        if (r) return r;
      }
      throw bad(what, 'expected a number written as text, e.g. "2.5".', '应为数字文本，例如"2.5"。');
    }
    case 'Money': {
      let m: Money | undefined;
      if (isPlainObject(j) && typeof j.currency === 'string' && typeof j.minor === 'number' && Number.isSafeInteger(j.minor) && Object.keys(j).length === 2) {
        if (CURRENCIES.has(j.currency)) m = new Money(j.currency, int(j.minor));
      } else if (typeof j === 'string') {
        const s = /^([A-Z]{3})\s+(-?\d{1,15}(?:\.\d{1,4})?)$/.exec(j.trim()) ?? /^(-?\d{1,15}(?:\.\d{1,4})?)\s+([A-Z]{3})$/.exec(j.trim());
        if (s) {
          const [cur, num] = /^[A-Z]/.test(s[1]!) ? [s[1]!, s[2]!] : [s[2]!, s[1]!];
          m = moneyFromDecimal(num, cur);
        }
      }
      if (!m) {
        const ex = moneyExample(t.cur ?? c.currency ?? 'CNY');
        throw bad(what, `expected an amount of money: "${ex.text}" or ${ex.json} (${ex.unitEn}).`, `应为金额："${ex.text}"或${ex.json}（${ex.unitZh}）。`);
      }
      if (t.cur && m.cur !== t.cur) throw bad(what, `the amount must be in ${t.cur}, not ${m.cur}.`, `金额币种应为${t.cur}，而非${m.cur}。`);
      return m;
    }
    case 'Date': {
      let v: number | undefined;
      if (typeof j === 'string') v = parseInstant(j.trim(), c.timezone);
      else if (typeof j === 'number' && Number.isSafeInteger(j) && j >= MIN_TIME && j <= MAX_TIME) v = j;
      if (v === undefined) throw bad(what, 'expected a date such as "2024-03-01" or "2024-03-01T12:00:00+08:00" (years 1970–9999).', '应为日期，例如"2024-03-01"或"2024-03-01T12:00:00+08:00"（1970至9999年）。');
      return int(v);
    }
    case 'Duration': {
      if (typeof j === 'number' && Number.isSafeInteger(j) && j >= 0) return int(j);
      if (typeof j === 'string') {
        const m = DURATION_TEXT.exec(j.trim());
        if (m) {
          const unit = (m[2]!.endsWith('s') ? m[2]! : `${m[2]}s`) as DurationUnit;
          return mul(int(BigInt(m[1]!)), int(DURATION_UNITS[unit]));
        }
      }
      throw bad(what, 'expected a length of time such as "2 days", "36 hours" or a whole number of milliseconds.', '应为时长，例如"2 days"、"36 hours"或毫秒整数。');
    }
    case 'Period': {
      if (typeof j === 'number' && Number.isSafeInteger(j) && j >= 0 && j <= 120000) return int(j);
      if (typeof j === 'string') {
        const m = PERIOD_TEXT.exec(j.trim());
        if (m) return int(BigInt(m[1]!) * (m[2]!.startsWith('year') ? 12n : 1n));
      }
      throw bad(what, 'expected a number of months or years such as "3 months" or "1 year".', '应为月数或年数，例如"3 months"或"1 year"。');
    }
    case 'Bool':
      if (typeof j === 'boolean') return j;
      throw bad(what, 'expected true or false.', '应为true或false。');
    case 'Text':
      if (typeof j === 'string' && j.length <= MAX_TEXT) return j;
      throw bad(what, `expected a text of at most ${MAX_TEXT} characters.`, `应为不超过${MAX_TEXT}个字符的文本。`);
    case 'DID':
      if (typeof j === 'string' && j.length <= 256 && DID_RE.test(j)) return j;
      throw bad(what, 'expected a DID such as "did:shulian:3J98t1WpEZ73CNmQviecrnyiWrnq".', '应为分布式数字身份（DID），例如"did:shulian:3J98t1WpEZ73CNmQviecrnyiWrnq"。');
    case 'Enum': {
      const en = c.enums.get(t.name)!;
      if (typeof j === 'string' && en.members.some((m) => m.name === j)) return j;
      throw bad(what, `expected one of: ${en.members.map((m) => m.name).join(', ')}.`, `应为以下之一：${en.members.map((m) => m.name).join('、')}。`);
    }
    case 'Record': {
      const rd = c.records.get(t.name)!;
      if (!isPlainObject(j)) throw bad(what, `expected a ${t.name} record (an object with ${rd.fields.map((f) => f.name).join(', ')}).`, `应为${t.name}记录（包含${rd.fields.map((f) => f.name).join('、')}的对象）。`);
      const out: RecordVal = {};
      for (const k of Object.keys(j)) {
        if (!rd.fields.some((f) => f.name === k)) throw bad(what, `a ${t.name} record has no field "${k}".`, `${t.name}记录没有字段"${k}"。`);
      }
      for (const f of rd.fields) {
        if (!(f.name in j)) throw bad(what, `the field "${f.name}" is missing.`, `缺少字段"${f.name}"。`);
        out[f.name] = decode(j[f.name], f.t!, c, within(what, `.${f.name}`));
      }
      return out;
    }
    case 'List': {
      if (!Array.isArray(j)) throw bad(what, 'expected a list.', '应为列表。');
      if (j.length > t.max) throw bad(what, `the list has ${j.length} items; at most ${t.max} are allowed.`, `列表有${j.length}项，上限为${t.max}项。`);
      return j.map((x, i) => decode(x, t.elem, c, within(what, `[${i}]`)));
    }
    case 'Error':
      throw bad(what, 'this value has no valid type.', '该值类型无效。');
  }
}

/** Value of type t → JSON, as stored in state and returned in responses. */
export function encode(v: Val, t: Type, c: Contract, what: string): JsonValue {
  switch (t.k) {
    case 'Int':
      return safeNumber((v as Rat).n, what);
    case 'Decimal':
      return t.pct ? percentText(v as Rat) : ratToString(v as Rat);
    case 'Money': {
      const m = v as Money;
      if (!isInt(m.a)) {
        throw new LexError('NOT_ROUNDED', `${what} is not a whole number of minor units.`, `${what}不是最小货币单位的整数倍。`);
      }
      // an amount of any currency (Money(any)) cannot be kept where the template names one
      if (t.cur && m.cur !== t.cur) {
        throw new LexError('CURRENCY_MISMATCH', `${what} is kept in ${t.cur}; an amount in ${m.cur} cannot be recorded there.`, `${what}以${t.cur}计，不能记录${m.cur}金额。`);
      }
      return { currency: m.cur, minor: safeNumber(m.a.n, what) };
    }
    case 'Date': {
      const n = (v as Rat).n;
      if (n < BigInt(MIN_TIME) || n > BigInt(MAX_TIME)) {
        throw new LexError('DATE_OUT_OF_RANGE', `${what} falls outside the years 1970 to 9999.`, `${what}超出1970年至9999年的范围。`);
      }
      return instantText(Number(n), c.timezone);
    }
    case 'Duration':
    case 'Period':
      return safeNumber((v as Rat).n, what);
    case 'Bool':
    case 'Text':
    case 'DID':
    case 'Enum':
      return v as boolean | string;
    case 'Record': {
      const rd = c.records.get(t.name)!;
      const r = v as RecordVal;
      const out: Record<string, JsonValue> = {};
      for (const f of rd.fields) out[f.name] = encode(r[f.name]!, f.t!, c, `${what}.${f.name}`);
      return out;
    }
    case 'List': {
      const list = v as Val[];
      if (list.length > t.max) {
        throw new LexError('LIST_FULL', `${what} would hold ${list.length} items; at most ${t.max} are allowed.`, `${what}将有${list.length}项，上限为${t.max}项。`);
      }
      return list.map((x, i) => encode(x, t.elem, c, `${what}[${i}]`));
    }
    case 'Error':
      return null;
  }
}

/** Structural equality of scalar values (what "=" and "contains" compare). */
export function valEquals(a: Val, b: Val): boolean {
  if (a instanceof Rat && b instanceof Rat) return a.n * b.d === b.n * a.d;
  if (a instanceof Money && b instanceof Money) return a.cur === b.cur && a.a.n * b.a.d === b.a.n * a.a.d;
  return a === b;
}
