/**
 * Absolute IRIs (RFC 3987 §2.2): what every expanded `@type`, property and `@id` of a credential
 * must be (VC Data Model 2.0 §4.5: types "MUST be ... absolute URL strings", or terms mapped to
 * them). JSON-LD processors only check that a string has a scheme and no whitespace; this checks
 * the characters RFC 3987 allows, so `https://a<b` or `urn:x#a#b` are refused too.
 */

/** Longest IRI accepted (the same bound the data model schema puts on URLs). */
export const MAX_IRI_LENGTH = 2048;

const SCHEME_RE = /^[A-Za-z][A-Za-z0-9+.-]*$/;

/**
 * Whether the code point may appear outside percent-encoding in an IRI: iunreserved, sub-delims,
 * gen-delims except "[", "]" (checked by position), and RFC 3987's ucschar / iprivate ranges.
 */
// ASCII: a-z A-Z 0-9 and - . _ ~  ! $ & ' ( ) * + , ; =  : @ / ? #, as a table (read per character).
const ASCII_ALLOWED = new Uint8Array(0x80);
for (let c = 0; c < 0x80; c++) {
  const ch = String.fromCharCode(c);
  ASCII_ALLOWED[c] = /[a-zA-Z0-9]/.test(ch) || "-._~!$&'()*+,;=:@/?#".includes(ch) ? 1 : 0;
}

function allowed(cp: number): boolean {
  if (cp < 0x80) return ASCII_ALLOWED[cp] === 1;
  return (cp >= 0xa0 && cp <= 0xd7ff) || (cp >= 0xf900 && cp <= 0xfdcf) || (cp >= 0xfdf0 && cp <= 0xffef)
    || (cp >= 0xe000 && cp <= 0xf8ff) // iprivate (allowed in iquery; accepted throughout, as JSON-LD does not care)
    || (cp >= 0x10000 && cp <= 0x10fffd && (cp & 0xfffe) !== 0xfffe); // ucschar planes 1-16, without the non-characters
}

const isHex = (c: number): boolean => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);

/**
 * Why `value` is not an absolute IRI, or undefined when it is one. Never throws; O(length).
 * Checked: a scheme, then only allowed characters, `%` followed by two hex digits, at most one
 * `#`, and `[` `]` only inside the authority (IPv6 literals).
 */
export function iriProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'is not a string';
  if (value.length === 0) return 'is empty';
  if (value.length > MAX_IRI_LENGTH) return `is longer than ${MAX_IRI_LENGTH} characters`;
  const colon = value.indexOf(':');
  if (colon <= 0) return 'has no scheme (an absolute IRI starts with one, such as https: or urn:)';
  if (!SCHEME_RE.test(value.slice(0, colon))) return `has an invalid scheme "${value.slice(0, Math.min(colon, 32))}"`;
  const rest = value.slice(colon + 1);
  // The authority, when there is one, runs from "//" to the next "/", "?" or "#".
  let authorityEnd = -1;
  if (rest.startsWith('//')) {
    const m = /[/?#]/.exec(rest.slice(2));
    authorityEnd = m ? m.index + 2 : rest.length;
  }
  let hashes = 0;
  for (let i = 0; i < rest.length; i++) {
    const cp = rest.codePointAt(i)!;
    if (cp > 0xffff) i++;
    if (cp === 0x25) { // %
      if (!isHex(rest.charCodeAt(i + 1)) || !isHex(rest.charCodeAt(i + 2))) return `has a "%" at position ${colon + 1 + i} that is not followed by two hex digits`;
      i += 2;
      continue;
    }
    if (cp === 0x5b || cp === 0x5d) { // [ ]
      if (i < 2 || i >= authorityEnd) return `has "${String.fromCodePoint(cp)}" outside the authority`;
      continue;
    }
    if (cp === 0x23 && ++hashes > 1) return 'has more than one "#"';
    if (cp >= 0xd800 && cp <= 0xdfff) return 'has an unpaired surrogate';
    if (!allowed(cp)) {
      const shown = cp < 0x21 || (cp >= 0x7f && cp < 0xa0) ? `U+${cp.toString(16).toUpperCase().padStart(4, '0')}` : `"${String.fromCodePoint(cp)}"`;
      return `has the character ${shown} at position ${colon + 1 + i}, which an IRI cannot contain (percent-encode it)`;
    }
  }
  return undefined;
}

/** Whether `value` is an absolute IRI (RFC 3987). */
export function isAbsoluteIri(value: unknown): value is string {
  return iriProblem(value) === undefined;
}
