/**
 * DID and DID URL syntax (W3C DID Core 1.0 §3.1 and §3.2), and the did:shulian method-specific
 * identifier (docs/did-method.md §2). Depends only on codec/ and crypto/, so the identity chain's
 * `did` module can use it as well as the off-chain resolver.
 *
 * Every function here that takes untrusted input either returns or throws a ShulianError whose
 * code is INVALID_DID, INVALID_DID_URL or METHOD_NOT_SUPPORTED; nothing else escapes.
 */
import { ShulianError, fromBase58, toBase58 } from '../codec/index.ts';
import { didFromPublicKey } from './keys.ts';

/** The method name of Shulian DIDs. */
export const SHULIAN_METHOD = 'shulian';
/** Bytes of SM3(initial public key) that make the identifier. */
export const SHULIAN_ID_BYTES = 20;
/** Longest DID URL this parser accepts; longer input is INVALID_DID without being scanned. */
export const MAX_DID_URL_LENGTH = 2048;

/** A DID, or a DID URL (a DID followed by a path, query and/or fragment). */
export interface ParsedDid {
  /** The DID alone: `did:<method>:<id>`. */
  did: string;
  method: string;
  /** The method-specific identifier, as written (percent-encoding kept). */
  id: string;
  /** path-abempty (starts with "/"), when present. */
  path?: string;
  /** Query without the "?", when present (may be empty). */
  query?: string;
  /** Fragment without the "#", when present (may be empty). */
  fragment?: string;
  /** The query's parameters, decoded; a repeated name keeps its last value. */
  params?: Record<string, string>;
  /** The whole input. */
  didUrl: string;
}

/** A did:shulian DID with its 20-byte identifier. */
export interface ShulianDid {
  did: string;
  /** base58btc of the 20 identifier bytes. */
  id: string;
  idBytes: Uint8Array;
}

export class DidSyntaxError extends ShulianError {
  constructor(code: 'INVALID_DID' | 'INVALID_DID_URL' | 'METHOD_NOT_SUPPORTED', message: string) {
    super(code, message);
    this.name = 'DidSyntaxError';
  }
}

const invalid = (input: string, why: string): DidSyntaxError =>
  new DidSyntaxError('INVALID_DID', `${show(input)} is not a DID: ${why}`);
const invalidUrl = (input: string, why: string): DidSyntaxError =>
  new DidSyntaxError('INVALID_DID_URL', `${show(input)} is not a valid DID URL: ${why}`);

/** Quotes input for a message, cut so a huge input cannot flood logs. */
function show(s: string): string {
  return JSON.stringify(s.length > 80 ? s.slice(0, 77) + '...' : s);
}

const METHOD_CHAR = /[a-z0-9]/;
const ID_CHAR = /[A-Za-z0-9._-]/;
const HEX = /[0-9A-Fa-f]/;
// RFC 3986 pchar without pct-encoded (checked separately): unreserved / sub-delims / ":" / "@"
const PCHAR = /[A-Za-z0-9._~!$&'()*+,;=:@-]/;

/** Checks `s[i]` starts a valid percent-encoding ("%" HEXDIG HEXDIG). */
function pctAt(s: string, i: number): boolean {
  return s[i] === '%' && i + 2 < s.length && HEX.test(s[i + 1]!) && HEX.test(s[i + 2]!);
}

/** Validates RFC 3986 path-abempty / query / fragment characters; returns the first bad index. */
function badUriChar(s: string, extra: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '%') {
      if (!pctAt(s, i)) return i;
      i += 2;
      continue;
    }
    if (!PCHAR.test(c) && !extra.includes(c)) return i;
  }
  return -1;
}

function decodeComponent(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

/**
 * Parses a DID or DID URL (DID Core §3.1 ABNF):
 * `did = "did:" method-name ":" method-specific-id`, `method-name = 1*( %x61-7A / DIGIT )`,
 * `method-specific-id = *( *idchar ":" ) 1*idchar`, `idchar = ALPHA / DIGIT / "." / "-" / "_" / pct-encoded`,
 * then optionally path-abempty, "?" query and "#" fragment (RFC 3986).
 * Throws DidSyntaxError INVALID_DID (the DID part is wrong) or INVALID_DID_URL (the rest is).
 */
export function parseDid(input: unknown): ParsedDid {
  if (typeof input !== 'string') throw new DidSyntaxError('INVALID_DID', `a DID is a string, got ${input === null ? 'null' : typeof input}`);
  if (input.length > MAX_DID_URL_LENGTH) throw invalid(input, `longer than ${MAX_DID_URL_LENGTH} characters`);
  if (!input.startsWith('did:')) throw invalid(input, 'a DID starts with "did:" (lowercase), e.g. did:shulian:<id>');
  let i = 4;
  const methodStart = i;
  while (i < input.length && METHOD_CHAR.test(input[i]!)) i++;
  const method = input.slice(methodStart, i);
  if (method.length === 0) throw invalid(input, 'the method name is missing or not lowercase letters and digits');
  if (input[i] !== ':') throw invalid(input, `the method name "${method}" must be followed by ":" and only contain lowercase letters and digits`);
  i++;
  const idStart = i;
  let lastColon = -1;
  while (i < input.length) {
    const c = input[i]!;
    if (c === '/' || c === '?' || c === '#') break;
    if (c === ':') {
      lastColon = i;
    } else if (c === '%') {
      if (!pctAt(input, i)) throw invalid(input, `bad percent-encoding at character ${i + 1}`);
      i += 2;
    } else if (!ID_CHAR.test(c)) {
      throw invalid(input, `character ${JSON.stringify(c)} at position ${i + 1} is not allowed in a method-specific identifier`);
    }
    i++;
  }
  const id = input.slice(idStart, i);
  if (id.length === 0) throw invalid(input, 'the method-specific identifier is empty');
  if (lastColon === i - 1) throw invalid(input, 'the method-specific identifier must not end with ":"');
  const did = input.slice(0, i);
  const out: ParsedDid = { did, method, id, didUrl: input };
  let rest = input.slice(i);
  const hash = rest.indexOf('#');
  if (hash >= 0) {
    const fragment = rest.slice(hash + 1);
    const bad = badUriChar(fragment, '/?');
    if (bad >= 0) throw invalidUrl(input, `character ${JSON.stringify(fragment[bad])} is not allowed in the fragment`);
    out.fragment = fragment;
    rest = rest.slice(0, hash);
  }
  const q = rest.indexOf('?');
  if (q >= 0) {
    const query = rest.slice(q + 1);
    const bad = badUriChar(query, '/?');
    if (bad >= 0) throw invalidUrl(input, `character ${JSON.stringify(query[bad])} is not allowed in the query`);
    out.query = query;
    const params: Record<string, string> = Object.create(null) as Record<string, string>;
    for (const part of query.split('&')) {
      if (part === '') continue;
      const eq = part.indexOf('=');
      const name = decodeComponent(eq < 0 ? part : part.slice(0, eq));
      params[name] = eq < 0 ? '' : decodeComponent(part.slice(eq + 1));
    }
    out.params = { ...params };
    rest = rest.slice(0, q);
  }
  if (rest.length > 0) {
    const bad = badUriChar(rest, '/');
    if (bad >= 0) throw invalidUrl(input, `character ${JSON.stringify(rest[bad])} is not allowed in the path`);
    out.path = rest;
  }
  return out;
}

/** Writes a parsed DID URL back: `formatDid(parseDid(s)) === s` for every valid `s`. */
export function formatDid(p: Pick<ParsedDid, 'method' | 'id' | 'path' | 'query' | 'fragment'>): string {
  let s = `did:${p.method}:${p.id}`;
  if (p.path !== undefined) s += p.path;
  if (p.query !== undefined) s += '?' + p.query;
  if (p.fragment !== undefined) s += '#' + p.fragment;
  return s;
}

/** Checks a did:shulian method-specific identifier: base58btc of exactly 20 bytes. */
export function parseShulianId(id: string, input = `did:${SHULIAN_METHOD}:${id}`): Uint8Array {
  if (id.length < 20 || id.length > 28) {
    throw invalid(input, `a did:shulian identifier is base58btc of ${SHULIAN_ID_BYTES} bytes (20 to 28 characters), got ${id.length} characters`);
  }
  let bytes: Uint8Array;
  try {
    bytes = fromBase58(id, 'identifier');
  } catch {
    throw invalid(input, 'the identifier is not base58btc (digits 1-9 and letters except 0, O, I, l)');
  }
  if (bytes.length !== SHULIAN_ID_BYTES) {
    throw invalid(input, `the identifier decodes to ${bytes.length} bytes; did:shulian identifiers are ${SHULIAN_ID_BYTES} bytes`);
  }
  // base58btc is canonical apart from leading-zero handling, which the decoder keeps exact; check anyway.
  if (toBase58(bytes) !== id) throw invalid(input, 'the identifier is not in canonical base58btc form');
  return bytes;
}

/**
 * Parses a did:shulian DID (not a DID URL). Throws DidSyntaxError: INVALID_DID for bad syntax,
 * a bad identifier, or a DID URL with path/query/fragment; METHOD_NOT_SUPPORTED for another method.
 */
export function parseShulianDid(input: unknown): ShulianDid {
  const p = parseDid(input);
  return shulianDidOf(p, true);
}

/** The did:shulian part of a parsed DID URL; with `bareOnly`, a path, query or fragment is INVALID_DID. */
export function shulianDidOf(p: ParsedDid, bareOnly = false): ShulianDid {
  if (p.method !== SHULIAN_METHOD) {
    throw new DidSyntaxError('METHOD_NOT_SUPPORTED', `method "${p.method}" is not supported here; only did:${SHULIAN_METHOD} DIDs are (got ${show(p.did)})`);
  }
  if (bareOnly && p.didUrl !== p.did) throw invalid(p.didUrl, 'expected a DID without path, query or fragment');
  const idBytes = parseShulianId(p.id, p.did);
  return { did: p.did, id: p.id, idBytes };
}

/** True when `s` is a well-formed did:shulian DID. Never throws. */
export function isShulianDid(s: unknown): s is string {
  try {
    parseShulianDid(s);
    return true;
  } catch {
    return false;
  }
}

/** The DID of 20 identifier bytes. */
export function shulianDidFromIdBytes(idBytes: Uint8Array): string {
  if (!(idBytes instanceof Uint8Array) || idBytes.length !== SHULIAN_ID_BYTES) {
    throw new DidSyntaxError('INVALID_DID', `a did:shulian identifier is ${SHULIAN_ID_BYTES} bytes`);
  }
  return `did:${SHULIAN_METHOD}:${toBase58(idBytes)}`;
}

/** The self-certifying DID of a public key (65-byte SM2 or 32-byte Ed25519): re-exported for one import site. */
export const shulianDidFromPublicKey = (publicKey: Uint8Array): string => didFromPublicKey(publicKey);
