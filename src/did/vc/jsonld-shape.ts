/**
 * The JSON-LD shape of a document: what the JSON-LD checks (jsonld.ts) can depend on, so that
 * credentials differing only in identifiers share one check (issue #20: an issuer's credentials
 * differ in `id`, subject DIDs, URLs; expanding each again costs more than its signature).
 *
 * The shape is the document with every string value that is an absolute IRI — valid by
 * RFC 3987 (iri.ts), its scheme not a term of any context it could use, itself not a term —
 * replaced by a token naming its scheme. Everything else stays as it is: keys, numbers,
 * booleans, other strings, and every `@context` value. Why two documents of one shape have the
 * same clean check (jsonld 9, lib/context.js _expandIri and lib/expand.js _expandValue):
 *  - where a string is a literal, expansion copies it into `@value`, whatever it says, and the
 *    checks never look inside `@value`;
 *  - where it is an IRI (`@id`, `@type`, a term typed `@id` or `@vocab`): it is no term (so no
 *    vocabulary mapping and no type-scoped context), it has a scheme that is no term (so no
 *    compact-IRI expansion) and is absolute, so expansion returns it unchanged, with no event,
 *    and it is a valid IRI, so the IRI walk reports nothing;
 *  - where a value must be something else (`@language`, `@direction`), no absolute IRI is valid,
 *    so the check is not clean, and only clean results are shared (cache in jsonld.ts).
 * Whether a value is a literal or an IRI is decided by keys, contexts and types, which the shape
 * keeps (a type that is an abstracted IRI is no term, so it brings no context).
 */
import { createHash, hash } from 'node:crypto';
import { canonicalize, type JsonValue } from '../../codec/index.ts';
import { BUNDLED_CONTEXTS, bundledContext } from './contexts.ts';
import { iriProblem } from './iri.ts';
import type { JsonObject } from './types.ts';

/** Deeper documents are not shaped (validation already bounds plain JSON at 64 levels). */
const MAX_DEPTH = 128;

/** Every key of a JSON value, at any depth (a context's terms, and more: a superset is safe). */
function collectKeys(v: unknown, into: Set<string>, depth = 0): void {
  if (depth > MAX_DEPTH || v === null || typeof v !== 'object') return;
  if (Array.isArray(v)) {
    for (const x of v) collectKeys(x, into, depth + 1);
    return;
  }
  for (const [k, x] of Object.entries(v)) {
    into.add(k);
    collectKeys(x, into, depth + 1);
  }
}

let bundledTerms: Set<string> | undefined;
/** Every key of every bundled context (terms of scoped contexts included). */
function termsOfBundle(): Set<string> {
  if (!bundledTerms) {
    const s = new Set<string>();
    for (const url of BUNDLED_CONTEXTS) collectKeys(bundledContext(url), s);
    bundledTerms = s;
  }
  return bundledTerms;
}

/** Shapes up to this length are their own key (a short text is cheaper to compare than to hash). */
const SHAPE_TEXT_MAX = 1024;

/** A token no string of the document can become: verbatim strings starting with NUL get a second one. */
const TOKEN = '\u0000';

export interface Shape {
  /**
   * `salt`, NUL and the canonical JSON of the shape — or, past SHAPE_TEXT_MAX characters, the
   * SHA-256 (base64, so no NUL: the two kinds never meet) of that text, bounding what a cache keeps.
   */
  key: string;
  /** How many strings were replaced by tokens (0: the shape is the document itself). */
  abstracted: number;
  /**
   * The canonical JSON (RFC 8785) of the document itself, written in the same walk: what a JCS
   * proof hashes when the document is verified (proof.ts), so it is not walked twice.
   */
  canonical: string;
}

/** One walk's output: the shape's canonical JSON and the document's, side by side. */
interface Walk {
  bundle: Set<string>;
  /** Keys of inline contexts. */
  inline: Set<string>;
  /** Strings replaced, with their scheme: checked against inline terms once all are known. */
  replaced: Array<[string, string]>;
  shape: string;
  doc: string;
}

/** Writes `v` into both texts (canonical JSON, as canonicalize writes it; strings abstracted in the shape). */
function walk(w: Walk, v: unknown, depth: number, skip?: string): void {
  if (typeof v === 'string') {
    const json = JSON.stringify(v);
    w.doc += json;
    if (v.startsWith(TOKEN)) {
      w.shape += JSON.stringify(TOKEN + v);
      return;
    }
    const colon = v.indexOf(':');
    if (colon <= 0 || w.bundle.has(v)) {
      w.shape += json;
      return;
    }
    const scheme = v.slice(0, colon);
    if (w.bundle.has(scheme) || iriProblem(v) !== undefined) {
      w.shape += json;
      return;
    }
    w.replaced.push([v, scheme]);
    w.shape += JSON.stringify(TOKEN + scheme);
    return;
  }
  if (v === null || typeof v !== 'object') {
    const text = canonicalize(v);
    w.shape += text;
    w.doc += text;
    return;
  }
  if (depth > MAX_DEPTH) throw new Error(`the document is nested more than ${MAX_DEPTH} levels`);
  if (Array.isArray(v)) {
    w.shape += '[';
    w.doc += '[';
    for (let i = 0; i < v.length; i++) {
      if (i > 0) {
        w.shape += ',';
        w.doc += ',';
      }
      walk(w, v[i], depth + 1);
    }
    w.shape += ']';
    w.doc += ']';
    return;
  }
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto !== Object.prototype && proto !== null) canonicalize(v); // throws, as canonicalisation does
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).sort();
  w.shape += '{';
  w.doc += '{';
  let first = true;
  for (const k of keys) {
    const x = o[k];
    if (x === undefined || k === skip) continue;
    const head = (first ? '' : ',') + JSON.stringify(k) + ':';
    w.shape += head;
    w.doc += head;
    first = false;
    if (k === '@context') {
      collectKeys(x, w.inline);
      const text = canonicalize(x);
      w.shape += text;
      w.doc += text;
    } else {
      walk(w, x, depth + 1);
    }
  }
  w.shape += '}';
  w.doc += '}';
}

/**
 * The shape key of `doc` (see above), hashed with `salt` (the context policy), and the document's
 * own canonical JSON; `without` names a top-level member left out of both (the `proof`). Throws
 * when the document cannot be canonicalised (RFC 8785).
 */
export function jsonLdShape(doc: JsonObject, salt: string, without?: string): Shape {
  // The key's text starts with the salt: written first, so the whole is never copied to prefix it.
  const head = `${salt}\0`;
  const w: Walk = { bundle: termsOfBundle(), inline: new Set(), replaced: [], shape: head, doc: '' };
  walk(w, doc, 0, without);
  let full = w.shape;
  // A term of an inline context could give a replaced string a meaning of its own: keep the document.
  const exact = w.inline.size > 0 && w.replaced.some(([v, scheme]) => w.inline.has(v) || w.inline.has(scheme));
  if (exact) {
    const kept: JsonObject = {};
    for (const k of Object.keys(doc)) if (k !== without) kept[k] = doc[k]!;
    full = head + canonicalize(escapesOnly(kept));
  }
  const key = full.length <= SHAPE_TEXT_MAX ? full
    : typeof hash === 'function' ? hash('sha256', full, 'base64') : createHash('sha256').update(full).digest('base64');
  return { key, abstracted: exact ? 0 : w.replaced.length, canonical: w.doc };
}

/** The document with only the NUL escaping (no tokens): its shape is itself. */
function escapesOnly(v: JsonValue): JsonValue {
  if (typeof v === 'string') return v.startsWith(TOKEN) ? TOKEN + v : v;
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(escapesOnly);
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) out[k] = k === '@context' ? x : escapesOnly(x);
  return out;
}
