/**
 * Values of the lex language: exact rational numbers (no floats anywhere), money as integer
 * minor units of an ISO 4217 currency, instants and durations in integer milliseconds, and a
 * proleptic Gregorian calendar written out by hand so that no host clock, locale or time-zone
 * database is ever consulted.
 */
import { LexError } from './errors.ts';

// ---------------------------------------------------------------------------------------------
// Exact rationals

/** n/d with d > 0 and gcd(n, d) = 1. Integers have d = 1n. */
export class Rat {
  readonly n: bigint;
  readonly d: bigint;
  constructor(n: bigint, d: bigint) {
    this.n = n;
    this.d = d;
  }
}

export const ZERO = new Rat(0n, 1n);
export const ONE = new Rat(1n, 1n);
const HUNDRED = 100n;

/** Numbers beyond this many bits are refused: every operation stays cheap and bounded. */
export const MAX_BITS = 256n;
const LIMIT = 1n << MAX_BITS;

export function int(n: bigint | number): Rat {
  return new Rat(typeof n === 'number' ? BigInt(n) : n, 1n);
}

function gcd(a: bigint, b: bigint): bigint {
  if (a < 0n) a = -a;
  while (b !== 0n) {
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}

function checked(n: bigint, d: bigint): Rat {
  if (d === 1n) {
    if (n >= LIMIT || n <= -LIMIT) throw tooLarge();
    return new Rat(n, 1n);
  }
  if (d < 0n) {
    n = -n;
    d = -d;
  }
  const g = gcd(n, d);
  if (g !== 1n) {
    n /= g;
    d /= g;
  }
  if (n >= LIMIT || n <= -LIMIT || d >= LIMIT) throw tooLarge();
  return new Rat(n, d);
}

function tooLarge(): LexError {
  return new LexError('NUMBER_TOO_LARGE', 'A number in this calculation grew beyond the limit of 256 bits; the contract refuses to compute with it.', '计算中的数值超过256位上限，合约拒绝继续计算。');
}

export function add(a: Rat, b: Rat): Rat {
  if (a.d === 1n && b.d === 1n) return checked(a.n + b.n, 1n);
  return checked(a.n * b.d + b.n * a.d, a.d * b.d);
}
export function sub(a: Rat, b: Rat): Rat {
  if (a.d === 1n && b.d === 1n) return checked(a.n - b.n, 1n);
  return checked(a.n * b.d - b.n * a.d, a.d * b.d);
}
export function mul(a: Rat, b: Rat): Rat {
  if (a.d === 1n && b.d === 1n) return checked(a.n * b.n, 1n);
  return checked(a.n * b.n, a.d * b.d);
}
export function div(a: Rat, b: Rat): Rat {
  if (b.n === 0n) {
    throw new LexError('DIVISION_BY_ZERO', 'The calculation divides by zero, so it has no result.', '计算中出现除以零，无法得出结果。');
  }
  return checked(a.n * b.d, a.d * b.n);
}
export function neg(a: Rat): Rat {
  return new Rat(-a.n, a.d);
}
export function cmp(a: Rat, b: Rat): number {
  if (a.d === 1n && b.d === 1n) return a.n < b.n ? -1 : a.n > b.n ? 1 : 0;
  const l = a.n * b.d;
  const r = b.n * a.d;
  return l < r ? -1 : l > r ? 1 : 0;
}
export function isInt(a: Rat): boolean {
  return a.d === 1n;
}
export type RoundingMode = 'up' | 'down' | 'half-up' | 'half-down' | 'half-even';
export const ROUNDING_MODES: readonly RoundingMode[] = ['up', 'down', 'half-up', 'half-down', 'half-even'];

/**
 * Rounds to an integer. `up` is toward +∞ (ceiling) and `down` toward −∞ (floor); the half-*
 * modes go to the nearest integer and differ only on exact halves: `half-up` away from zero,
 * `half-down` toward zero, `half-even` to the even neighbour.
 */
export function roundRat(a: Rat, mode: RoundingMode): bigint {
  if (a.d === 1n) return a.n;
  const n = a.n;
  const d = a.d;
  // floor division
  let q = n / d;
  if (n % d !== 0n && n < 0n) q -= 1n;
  const r = n - q * d; // 0 < r < d
  switch (mode) {
    case 'down':
      return q;
    case 'up':
      return q + 1n;
    default: {
      const twice = 2n * r;
      if (twice < d) return q;
      if (twice > d) return q + 1n;
      // exact half
      if (mode === 'half-even') return q % 2n === 0n ? q : q + 1n;
      const awayFromZero = n > 0n ? q + 1n : q;
      const towardZero = n > 0n ? q : q + 1n;
      return mode === 'half-up' ? awayFromZero : towardZero;
    }
  }
}

const DECIMAL_RE = /^(-)?(\d{1,60})(?:\.(\d{1,60}))?$/;

/** Parses "12", "-0.105", "10.5" exactly. Returns undefined when it is not such a number. */
export function parseDecimal(text: string): Rat | undefined {
  const m = DECIMAL_RE.exec(text);
  if (!m) return undefined;
  const frac = m[3] ?? '';
  const n = BigInt(m[2]! + frac) * (m[1] ? -1n : 1n);
  return checked(n, 10n ** BigInt(frac.length));
}

/** "n/d" or a decimal. */
export function parseRational(text: string): Rat | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return parseDecimal(text);
  const a = parseDecimal(text.slice(0, slash));
  const b = parseDecimal(text.slice(slash + 1));
  if (!a || !b || !isInt(a) || !isInt(b) || b.n <= 0n) return undefined;
  return checked(a.n, b.n);
}

/** Exact decimal text when the denominator has only factors 2 and 5; otherwise "n/d". */
export function ratToString(a: Rat): string {
  if (a.d === 1n) return a.n.toString();
  let d = a.d;
  let twos = 0;
  let fives = 0;
  while (d % 2n === 0n) {
    d /= 2n;
    twos++;
  }
  while (d % 5n === 0n) {
    d /= 5n;
    fives++;
  }
  if (d !== 1n) return `${a.n}/${a.d}`;
  const k = Math.max(twos, fives);
  const scaled = (a.n * 10n ** BigInt(k)) / a.d;
  return fixed(scaled, k);
}

/** An integer `scaled` read as scaled / 10^k, written with exactly k fraction digits. */
export function fixed(scaled: bigint, k: number): string {
  const negative = scaled < 0n;
  let s = (negative ? -scaled : scaled).toString();
  if (k > 0) {
    s = s.padStart(k + 1, '0');
    s = `${s.slice(0, s.length - k)}.${s.slice(s.length - k)}`;
  }
  return negative ? `-${s}` : s;
}

/** A percentage as people write it: 0.105 → "10.5%". */
export function percentText(a: Rat): string {
  return `${ratToString(mul(a, int(HUNDRED)))}%`;
}

// ---------------------------------------------------------------------------------------------
// Money

export interface CurrencyInfo {
  code: string;
  /** ISO 4217 minor-unit exponent: 2 for CNY (fen), 0 for JPY. */
  exponent: number;
  en: string;
  zh: string;
}

// ISO 4217 codes with their minor-unit exponents; names for the legal text.
const CURRENCY_TABLE: Array<[string, number, string, string]> = [
  ['CNY', 2, 'yuan', '人民币'], ['USD', 2, 'US dollars', '美元'], ['EUR', 2, 'euros', '欧元'],
  ['GBP', 2, 'pounds sterling', '英镑'], ['JPY', 0, 'yen', '日元'], ['HKD', 2, 'Hong Kong dollars', '港元'],
  ['MOP', 2, 'patacas', '澳门元'], ['TWD', 2, 'New Taiwan dollars', '新台币'], ['KRW', 0, 'won', '韩元'],
  ['SGD', 2, 'Singapore dollars', '新加坡元'], ['AUD', 2, 'Australian dollars', '澳大利亚元'],
  ['CAD', 2, 'Canadian dollars', '加拿大元'], ['CHF', 2, 'Swiss francs', '瑞士法郎'],
  ['SEK', 2, 'Swedish kronor', '瑞典克朗'], ['NOK', 2, 'Norwegian kroner', '挪威克朗'],
  ['DKK', 2, 'Danish kroner', '丹麦克朗'], ['NZD', 2, 'New Zealand dollars', '新西兰元'],
  ['INR', 2, 'Indian rupees', '印度卢比'], ['RUB', 2, 'roubles', '卢布'], ['BRL', 2, 'reais', '巴西雷亚尔'],
  ['ZAR', 2, 'rand', '南非兰特'], ['THB', 2, 'baht', '泰铢'], ['MYR', 2, 'ringgit', '马来西亚林吉特'],
  ['IDR', 2, 'rupiah', '印尼卢比'], ['PHP', 2, 'Philippine pesos', '菲律宾比索'], ['VND', 0, 'dong', '越南盾'],
  ['AED', 2, 'UAE dirhams', '阿联酋迪拉姆'], ['SAR', 2, 'riyals', '沙特里亚尔'], ['KWD', 3, 'Kuwaiti dinars', '科威特第纳尔'],
  ['BHD', 3, 'Bahraini dinars', '巴林第纳尔'], ['OMR', 3, 'Omani rials', '阿曼里亚尔'], ['JOD', 3, 'Jordanian dinars', '约旦第纳尔'],
  ['TND', 3, 'Tunisian dinars', '突尼斯第纳尔'], ['CLP', 0, 'Chilean pesos', '智利比索'], ['ISK', 0, 'krónur', '冰岛克朗'],
  ['MXN', 2, 'Mexican pesos', '墨西哥比索'], ['TRY', 2, 'Turkish lira', '土耳其里拉'], ['PLN', 2, 'złoty', '波兰兹罗提'],
  ['CZK', 2, 'Czech koruna', '捷克克朗'], ['HUF', 2, 'forint', '匈牙利福林'], ['ILS', 2, 'shekels', '以色列新谢克尔'],
  ['EGP', 2, 'Egyptian pounds', '埃及镑'], ['NGN', 2, 'naira', '尼日利亚奈拉'], ['PKR', 2, 'Pakistani rupees', '巴基斯坦卢比'],
  ['KZT', 2, 'tenge', '哈萨克斯坦坚戈'], ['UAH', 2, 'hryvnias', '乌克兰格里夫纳'],
];
export const CURRENCIES: ReadonlyMap<string, CurrencyInfo> = new Map(
  CURRENCY_TABLE.map(([code, exponent, en, zh]) => [code, { code, exponent, en, zh }]),
);

/** An amount of money in minor units. `a` may carry a fraction of a minor unit until rounded. */
export class Money {
  readonly cur: string;
  readonly a: Rat;
  constructor(cur: string, a: Rat) {
    this.cur = cur;
    this.a = a;
  }
}

/** "100.00" CNY → 10000 minor units; undefined when it has more digits than the currency allows. */
export function moneyFromDecimal(text: string, cur: string): Money | undefined {
  const info = CURRENCIES.get(cur);
  const r = parseDecimal(text);
  if (!info || !r) return undefined;
  const minor = mul(r, int(10n ** BigInt(info.exponent)));
  if (!isInt(minor)) return undefined;
  return new Money(cur, minor);
}

/** Minor units written in major units with the currency's digits: 10000 CNY → "100.00". */
export function majorText(minor: bigint, cur: string, group = false): string {
  const exp = CURRENCIES.get(cur)?.exponent ?? 2;
  const s = fixed(minor, exp);
  if (!group) return s;
  const negative = s.startsWith('-');
  const body = negative ? s.slice(1) : s;
  const dot = body.indexOf('.');
  const whole = dot < 0 ? body : body.slice(0, dot);
  const rest = dot < 0 ? '' : body.slice(dot);
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return (negative ? '-' : '') + grouped + rest;
}

// ---------------------------------------------------------------------------------------------
// Time: instants are integer ms since 1970-01-01T00:00Z; a contract has a fixed UTC offset.

export const MS = { second: 1000, minute: 60_000, hour: 3_600_000, day: 86_400_000, week: 604_800_000 } as const;
export type DurationUnit = 'seconds' | 'minutes' | 'hours' | 'days' | 'weeks';
export type PeriodUnit = 'months' | 'years';
export const DURATION_UNITS: Record<DurationUnit, number> = {
  seconds: MS.second, minutes: MS.minute, hours: MS.hour, days: MS.day, weeks: MS.week,
};

/** Instants allowed anywhere: years 1970 through 9999. */
export const MIN_TIME = 0;
export const MAX_TIME = 253_402_300_799_999;

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function civilFromDays(z: number): { y: number; m: number; d: number } {
  z += 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  return { y: yoe + era * 400 + (m <= 2 ? 1 : 0), m, d };
}

export function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(m) ? 30 : 31;
}

export interface LocalTime {
  y: number;
  m: number;
  d: number;
  hh: number;
  mm: number;
  ss: number;
  ms: number;
}

/** An instant as wall-clock time at a fixed UTC offset (minutes east of UTC). */
export function toLocal(t: number, offsetMin: number): LocalTime {
  const local = t + offsetMin * MS.minute;
  const days = Math.floor(local / MS.day);
  let rest = local - days * MS.day;
  const { y, m, d } = civilFromDays(days);
  const hh = Math.floor(rest / MS.hour);
  rest -= hh * MS.hour;
  const mm = Math.floor(rest / MS.minute);
  rest -= mm * MS.minute;
  const ss = Math.floor(rest / MS.second);
  return { y, m, d, hh, mm, ss, ms: rest - ss * MS.second };
}

export function fromLocal(l: LocalTime, offsetMin: number): number {
  return daysFromCivil(l.y, l.m, l.d) * MS.day + l.hh * MS.hour + l.mm * MS.minute + l.ss * MS.second + l.ms - offsetMin * MS.minute;
}

/** Calendar arithmetic: the same wall-clock time n months later, the day clamped to the month's end. */
export function addMonths(t: number, months: number, offsetMin: number): number {
  const l = toLocal(t, offsetMin);
  const total = l.y * 12 + (l.m - 1) + months;
  const y = Math.floor(total / 12);
  const m = total - y * 12 + 1;
  return fromLocal({ ...l, y, m, d: Math.min(l.d, daysInMonth(y, m)) }, offsetMin);
}

const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?(Z|[+-]\d{2}:\d{2})?$/;

/**
 * Strict ISO 8601: "2024-03-01" (start of that day), "2024-03-01T12:30", with optional seconds,
 * milliseconds and "Z" or "+08:00". Without an offset the contract's offset applies.
 */
export function parseInstant(text: string, offsetMin: number): number | undefined {
  const m = ISO_RE.exec(text);
  if (!m) return undefined;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const hh = m[4] === undefined ? 0 : Number(m[4]);
  const mi = m[5] === undefined ? 0 : Number(m[5]);
  const ss = m[6] === undefined ? 0 : Number(m[6]);
  const ms = m[7] === undefined ? 0 : Number(m[7].padEnd(3, '0'));
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || hh > 23 || mi > 59 || ss > 59) return undefined;
  let off = offsetMin;
  if (m[8] !== undefined) off = m[8] === 'Z' ? 0 : parseOffset(m[8])!;
  const t = fromLocal({ y, m: mo, d, hh, mm: mi, ss, ms }, off);
  return t < MIN_TIME || t > MAX_TIME ? undefined : t;
}

/** "+08:00" → 480. */
export function parseOffset(text: string): number | undefined {
  const m = /^([+-])(\d{2}):(\d{2})$/.exec(text);
  if (!m) return undefined;
  const h = Number(m[2]);
  const mi = Number(m[3]);
  if (h > 14 || mi > 59) return undefined;
  return (m[1] === '-' ? -1 : 1) * (h * 60 + mi);
}

export function offsetText(offsetMin: number): string {
  const sign = offsetMin < 0 ? '-' : '+';
  const a = Math.abs(offsetMin);
  return `${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** ISO 8601 in the contract's offset, e.g. "2024-03-01T00:00:00.000+08:00" (what state stores). */
export function instantText(t: number, offsetMin: number): string {
  const l = toLocal(t, offsetMin);
  return `${String(l.y).padStart(4, '0')}-${pad2(l.m)}-${pad2(l.d)}T${pad2(l.hh)}:${pad2(l.mm)}:${pad2(l.ss)}.${String(l.ms).padStart(3, '0')}${offsetMin === 0 ? 'Z' : offsetText(offsetMin)}`;
}

const MONTHS_EN = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** "1 March 2024" / "2024年3月1日", with the time when it is not midnight. */
export function dateWords(t: number, offsetMin: number, lang: 'en' | 'zh-CN'): string {
  const l = toLocal(t, offsetMin);
  const midnight = l.hh === 0 && l.mm === 0 && l.ss === 0 && l.ms === 0;
  const time = `${pad2(l.hh)}:${pad2(l.mm)}${l.ss || l.ms ? `:${pad2(l.ss)}` : ''}`;
  const zone = `UTC${offsetText(offsetMin)}`;
  if (lang === 'en') return `${midnight ? 'the start of ' : ''}${l.d} ${MONTHS_EN[l.m - 1]} ${l.y}${midnight ? '' : `, ${time}`} (${zone})`;
  return `${l.y}年${l.m}月${l.d}日${midnight ? '零时' : ` ${time}`}（${zone}）`;
}
