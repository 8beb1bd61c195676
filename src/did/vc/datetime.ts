/**
 * XML Schema 1.1 dateTime / dateTimeStamp (XMLSCHEMA11-2 §3.3.7–8), as VC Data Model 2.0 uses
 * for validFrom and validUntil (dateTimeStamp: time zone required) and Data Integrity for
 * created and expires (dateTime: time zone optional, read as UTC when absent).
 * Date.parse is not used: it accepts impossible dates such as February 30.
 */
const DATE_TIME_RE = /^(-?(?:[1-9]\d{4,}|\d{4}))-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/;

function daysIn(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

// Verification reads the same few timestamps several times; remember recent answers (one map
// per reading, keyed by the text itself: no key to build).
const zoned = new Map<string, number | undefined>();
const unzoned = new Map<string, number | undefined>();

/** Milliseconds since the epoch, or undefined when `value` is not a valid dateTime (dateTimeStamp when `requireZone`). */
export function parseDateTime(value: unknown, requireZone = true): number | undefined {
  if (typeof value !== 'string' || value.length > 64) return undefined;
  const cache = requireZone ? zoned : unzoned;
  const hit = cache.get(value);
  if (hit !== undefined || cache.has(value)) return hit;
  const ms = parse(value, requireZone);
  if (cache.size >= 2048) cache.clear();
  cache.set(value, ms);
  return ms;
}

function parse(value: string, requireZone: boolean): number | undefined {
  const m = DATE_TIME_RE.exec(value);
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
  const zone = m[8];
  if (zone === undefined && requireZone) return undefined;
  if (year === 0 && m[1]!.startsWith('-')) return undefined; // "-0000" is not a year
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined;
  if (minute > 59 || second > 59) return undefined;
  const frac = m[7] ? Number(m[7]) : 0;
  if (hour > 24 || (hour === 24 && (minute !== 0 || second !== 0 || frac !== 0))) return undefined;
  let offsetMin = 0;
  if (zone !== undefined && zone !== 'Z') {
    const zh = Number(zone.slice(1, 3));
    const zm = Number(zone.slice(4, 6));
    if (zh > 14 || zm > 59 || (zh === 14 && zm !== 0)) return undefined;
    offsetMin = (zone[0] === '-' ? -1 : 1) * (zh * 60 + zm);
  }
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, Math.floor(frac * 1000));
  const ms = d.getTime() - offsetMin * 60_000;
  return Number.isFinite(ms) ? ms : undefined;
}

/** A time as an XML Schema dateTimeStamp in UTC, whole seconds: `2024-05-01T08:00:00Z`. */
export function formatDateTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
