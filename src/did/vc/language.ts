/**
 * Language and base direction (VC Data Model 2.0 §11.1, JSON-LD 1.1 §4.2.4): `name` and
 * `description` are strings or language value objects — `@value` with an optional `@language`
 * (a well-formed BCP 47 tag, RFC 5646 §2.1) and `@direction` (`ltr` or `rtl`) and nothing else —
 * or arrays of them (one per language).
 */
import { problem, type VcErrorCode, type VcProblem } from './problems.ts';
import { isRecord } from '../../codec/index.ts';

// RFC 5646 §2.1 langtag, privateuse, and the grandfathered tags of §2.2.8.
const LANGTAG = '(?:[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}|[A-Za-z]{4}|[A-Za-z]{5,8})' // language (with extlang)
  + '(?:-[A-Za-z]{4})?' // script
  + '(?:-(?:[A-Za-z]{2}|[0-9]{3}))?' // region
  + '(?:-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*' // variants
  + '(?:-[0-9A-WY-Za-wy-z](?:-[A-Za-z0-9]{2,8})+)*' // extensions
  + '(?:-x(?:-[A-Za-z0-9]{1,8})+)?'; // private use
const PRIVATEUSE = 'x(?:-[A-Za-z0-9]{1,8})+';
const GRANDFATHERED = [
  'en-GB-oed', 'i-ami', 'i-bnn', 'i-default', 'i-enochian', 'i-hak', 'i-klingon', 'i-lux', 'i-mingo', 'i-navajo', 'i-pwn',
  'i-tao', 'i-tay', 'i-tsu', 'sgn-BE-FR', 'sgn-BE-NL', 'sgn-CH-DE', 'art-lojban', 'cel-gaulish', 'no-bok', 'no-nyn',
  'zh-guoyu', 'zh-hakka', 'zh-min', 'zh-min-nan', 'zh-xiang',
].map((t) => t.replace(/-/g, '\\-')).join('|');
const BCP47_RE = new RegExp(`^(?:${LANGTAG}|${PRIVATEUSE}|${GRANDFATHERED})$`, 'i');

/** Whether `tag` is a well-formed BCP 47 language tag (e.g. "en", "zh-Hans-CN", "de-CH-1996"). */
export function isLanguageTag(tag: unknown): tag is string {
  return typeof tag === 'string' && tag.length <= 64 && BCP47_RE.test(tag);
}

const VALUE_KEYS = new Set(['@value', '@language', '@direction']);
const MAX_LANGUAGES = 64;

/** Problems of a `name` / `description` value at `path` (none for undefined). */
export function languageValueProblems(value: unknown, path: string, code: VcErrorCode): VcProblem[] {
  if (value === undefined || typeof value === 'string') return [];
  const items = Array.isArray(value) ? value : [value];
  if (items.length === 0) return [problem(code, 'must be a string, a language value object, or a non-empty array of them', path)];
  if (items.length > MAX_LANGUAGES) return [problem(code, `has ${items.length} values; at most ${MAX_LANGUAGES} languages are accepted`, path)];
  const out: VcProblem[] = [];
  items.forEach((v, i) => {
    const at = Array.isArray(value) ? `${path}[${i}]` : path;
    if (typeof v === 'string') return;
    if (!isRecord(v)) {
      out.push(problem(code, 'must be a string or a language value object such as {"@value": "…", "@language": "en"}', at));
      return;
    }
    const extra = Object.keys(v).filter((k) => !VALUE_KEYS.has(k));
    if (extra.length > 0) {
      out.push(problem(code, `a language value object holds only @value, @language and @direction, not ${extra.slice(0, 3).map((k) => JSON.stringify(k)).join(', ')} (VC Data Model 2.0 §11.1)`, at));
    }
    if (typeof v['@value'] !== 'string') out.push(problem(code, 'a language value object needs "@value": the text, as a string', `${at}.@value`));
    if (v['@language'] !== undefined && !isLanguageTag(v['@language'])) {
      out.push(problem(code, `@language must be a BCP 47 language tag such as "en" or "zh-CN", not ${JSON.stringify(v['@language'])}`, `${at}.@language`));
    }
    if (v['@direction'] !== undefined && v['@direction'] !== 'ltr' && v['@direction'] !== 'rtl') {
      out.push(problem(code, `@direction must be "ltr" or "rtl", not ${JSON.stringify(v['@direction'])}`, `${at}.@direction`));
    }
  });
  return out;
}
