/**
 * JSON-LD processing of credentials and presentations, where the specifications need it
 * (JSON-LD 1.1 through the `jsonld` package, RDF Dataset Canonicalization through its
 * `rdf-canonize`):
 *  - every document is expanded against its contexts, so an inline `@context` that redefines a
 *    protected term (VC Data Model 2.0 §5.2.1), a type that does not expand to an absolute IRI
 *    (§4.5), a term no context defines (§5.2: use the undefined-terms context then) or a
 *    malformed value object is refused, for every cryptosuite;
 *  - `eddsa-rdfc-2022` signs the RDFC-1.0 canonical N-Quads of the document (rdfCanonical).
 * Contexts come only from the bundle (contexts.ts): nothing is fetched, a document may load at
 * most MAX_CONTEXT_LOADS of them, and canonicalisation runs with rdf-canonize's work bound.
 */
import type { DocumentLoader, JsonLdEvent } from 'jsonld';
import { bundledContext, type ContextPolicy } from './contexts.ts';
import { iriProblem } from './iri.ts';
import { jsonLdShape, type Shape } from './jsonld-shape.ts';
import { problem, type VcErrorCode, type VcProblem } from './problems.ts';
import type { JsonObject } from './types.ts';

/** Context documents one document may load (jsonld itself stops at 10 nested URLs). */
export const MAX_CONTEXT_LOADS = 32;
/** Expanded nodes whose IRIs are checked; expansion output beyond it is refused. */
const MAX_EXPANDED_NODES = 50_000;

type JsonLd = typeof import('jsonld').default;
let lib: Promise<JsonLd> | undefined;
/** Loaded on first use: `shulian --help` and the JCS fast paths never pay for it. */
const jsonld = (): Promise<JsonLd> => (lib ??= import('jsonld').then((m) => m.default));

/** A context URL the bundle does not have: processing cannot go on without fetching it. */
class ContextNotBundled extends Error {
  constructor(readonly url: string) {
    super(`context ${url} is not bundled with this verifier, and nothing is fetched`);
  }
}

/** Loads bundled contexts only, at most MAX_CONTEXT_LOADS per document. */
function bundleLoader(): DocumentLoader {
  let loads = 0;
  return async (url) => {
    counts.contextLoads++;
    if (++loads > MAX_CONTEXT_LOADS) throw new Error(`the document needs more than ${MAX_CONTEXT_LOADS} context documents`);
    const document = bundledContext(url);
    if (!document) throw new ContextNotBundled(url);
    // Bundled contexts never change: tagged static, jsonld keeps them resolved and processed in
    // its shared cache, so later documents neither load nor re-process them.
    return { contextUrl: null, documentUrl: url, document, tag: 'static' };
  };
}

interface JsonLdErrorLike {
  name?: string;
  message?: string;
  details?: { code?: string; term?: string; url?: string; cause?: unknown; event?: JsonLdEvent };
  cause?: unknown;
}

/** The ContextNotBundled inside a jsonld error (it wraps loader failures), if any. */
function notBundled(err: unknown, depth = 0): ContextNotBundled | undefined {
  if (err instanceof ContextNotBundled) return err;
  if (depth > 4 || err === null || typeof err !== 'object') return undefined;
  const e = err as JsonLdErrorLike;
  return notBundled(e.details?.cause, depth + 1) ?? notBundled(e.cause, depth + 1);
}

/** First path (JSON path syntax) at which `match` holds for a key or a string value, '' if none. */
function findPath(doc: unknown, match: (key: string | undefined, value: unknown) => boolean, path = '', depth = 0): string | undefined {
  if (depth > 64) return undefined;
  if (Array.isArray(doc)) {
    for (let i = 0; i < doc.length; i++) {
      if (match(undefined, doc[i])) return `${path}[${i}]`;
      const p = findPath(doc[i], match, `${path}[${i}]`, depth + 1);
      if (p !== undefined) return p;
    }
    return undefined;
  }
  if (doc === null || typeof doc !== 'object') return undefined;
  for (const [k, v] of Object.entries(doc)) {
    const here = path === '' ? k : `${path}.${k}`;
    if (match(k, v)) return here;
    const p = findPath(v, match, here, depth + 1);
    if (p !== undefined) return p;
  }
  return undefined;
}

const pathOfKey = (doc: unknown, key: string): string | undefined => findPath(doc, (k) => k === key);
const pathOfValue = (doc: unknown, value: string): string | undefined => findPath(doc, (_k, v) => v === value);

/** What a collected JSON-LD event means for a credential. */
function eventProblem(doc: JsonObject, e: JsonLdEvent, code: VcErrorCode): { error?: VcProblem; warning?: VcProblem } {
  const d = e.details ?? {};
  switch (e.code) {
    case 'invalid property': {
      const term = String(d.property);
      return { error: problem('UNDEFINED_TERM', `"${term}" is not defined by any @context, so JSON-LD processors drop it. Use a context that defines it, or add "https://www.w3.org/ns/credentials/undefined-terms/v2" as the last @context (VC Data Model 2.0 §5.2)`, pathOfKey(doc, term)) };
    }
    case 'relative @type reference': {
      const t = String(d.type);
      return { error: problem('INVALID_TYPE', `type ${JSON.stringify(t)} does not expand to an absolute URL: define it in a @context or write the full URL (VC Data Model 2.0 §4.5)`, pathOfValue(doc, t)) };
    }
    case 'relative @id reference':
    case 'relative @vocab reference': {
      const v = String(d.id ?? d.vocab ?? '');
      return { error: problem(code, `${JSON.stringify(v)} is used as an identifier but is not an absolute URL`, pathOfValue(doc, v)) };
    }
    case 'invalid @language value':
      return { error: problem(code, `@language ${JSON.stringify(d.language)} is not a BCP 47 language tag`, pathOfValue(doc, String(d.language))) };
    case 'reserved term':
    case 'reserved @id value':
    case 'reserved @reverse value':
      return { error: problem('JSONLD_INVALID', `${e.message} (${JSON.stringify(d.term ?? d.id ?? d.value ?? '')}): keys and values that look like JSON-LD keywords ("@…") are reserved`) };
    default:
      // Data JSON-LD drops (an empty object, a free-floating value): it is not part of the
      // credential's meaning. Acceptable for JCS suites, fatal for RDF canonicalisation.
      return { warning: problem('JSONLD_DROPPED', `${e.message.replace(/\.$/, '')}: JSON-LD processors ignore it`) };
  }
}

/** Every @type, property and @id of an expanded document that is not an absolute IRI. */
function iriProblems(expanded: unknown[], doc: JsonObject, reported: ReadonlySet<string>): VcProblem[] {
  const out: VcProblem[] = [];
  const seen = new Set<string>(reported);
  let nodes = 0;
  const report = (value: string, what: string): void => {
    if (value.startsWith('_:') || seen.has(value) || out.length >= 5) return;
    const why = iriProblem(value);
    if (!why) return;
    seen.add(value);
    out.push(problem(what === 'type' ? 'INVALID_TYPE' : 'JSONLD_INVALID', `${what} ${JSON.stringify(value.slice(0, 120))} does not expand to a valid absolute IRI: it ${why}`, pathOfValue(doc, value)));
  };
  const walk = (v: unknown, depth: number): void => {
    if (depth > 128 || ++nodes > MAX_EXPANDED_NODES) throw new Error(`the expanded document has more than ${MAX_EXPANDED_NODES} nodes`);
    if (Array.isArray(v)) {
      for (const x of v) walk(x, depth + 1);
      return;
    }
    if (v === null || typeof v !== 'object') return;
    const o = v as Record<string, unknown>;
    const isValue = '@value' in o;
    for (const [k, x] of Object.entries(o)) {
      if (k === '@type') {
        for (const t of Array.isArray(x) ? x : [x]) if (typeof t === 'string' && t !== '@json') report(t, isValue ? 'datatype' : 'type');
      } else if (k === '@id') {
        if (typeof x === 'string') report(x, 'identifier');
      } else if (k === '@value' || k === '@language' || k === '@direction' || k === '@index') {
        continue;
      } else {
        if (!k.startsWith('@')) report(k, 'property');
        walk(x, depth + 1);
      }
    }
  };
  walk(expanded, 0);
  return out;
}

export interface JsonLdCheck {
  errors: VcProblem[];
  warnings: VcProblem[];
}

/**
 * Results by shape (jsonld-shape.ts: the document's canonical JSON with its absolute IRIs
 * abstracted, or its SHA-256 when long): a document whose shape is itself maps to its result, whatever it
 * is; a shape that abstracts strings maps only to a clean result (no error, no warning), which
 * every document of that shape shares. Most recently used last; at most CACHE_SIZE.
 */
const cache = new Map<string, JsonLdCheck>();
const CACHE_SIZE = 512;

/**
 * Work done so far: documents expanded (cache misses), context documents loaded (bundled ones
 * only once per process: they are static), RDFC-1.0 canonicalisations. test/vc-cost.test.ts
 * keeps each at what a verification needs.
 */
const counts = { expansions: 0, contextLoads: 0, rdfCanonicalisations: 0 };
export const jsonLdCounts = (): Readonly<typeof counts> => ({ ...counts });

function policyKey(policy: ContextPolicy): string {
  return `${policy.allowUnknownContexts === true ? 'u' : '-'}${policy.extraContexts ? [...policy.extraContexts].sort().join(' ') : ''}`;
}

/**
 * JSON-LD problems of a credential or presentation (`code` is the malformed-document code to
 * use). Never throws. A context the policy accepts but the bundle lacks (extraContexts,
 * allowUnknownContexts) cannot be processed offline: the checks are then skipped, with a
 * warning saying so.
 *
 * The document is checked without its `proof`: a proof's terms are the Data Integrity context's,
 * its `@context` must be a prefix of the document's (proof.ts), and eddsa-rdfc-2022 canonicalises
 * it in safe mode anyway — while expanding a proof graph (a type-scoped context, and for the JCS
 * suites a nested copy of the document's contexts) would cost several times the document itself.
 */
export async function checkJsonLd(secured: JsonObject, policy: ContextPolicy, code: VcErrorCode): Promise<JsonLdCheck> {
  const { check } = await checkJsonLdCanonical(secured, policy, code);
  return check;
}

/**
 * checkJsonLd, also giving the canonical JSON (RFC 8785) of the document without its `proof`
 * when it has one — written in the same walk as the shape, for the JCS proof check to hash.
 */
export function checkJsonLdCanonical(secured: JsonObject, policy: ContextPolicy, code: VcErrorCode): CanonicalCheck | Promise<CanonicalCheck> {
  let shape: Shape;
  try {
    shape = jsonLdShape(secured, policyKey(policy), 'proof');
  } catch {
    return { check: { errors: [problem(code, 'the document cannot be canonicalised (RFC 8785)')], warnings: [] } };
  }
  const hit = cache.get(shape.key);
  if (hit) {
    // Answered synchronously: a verification of a known shape does not wait a turn here.
    cache.delete(shape.key);
    cache.set(shape.key, hit);
    return { check: { errors: [...hit.errors], warnings: [...hit.warnings] }, canonical: shape.canonical };
  }
  return expandAndCheck(secured, shape, policy, code);
}

export interface CanonicalCheck {
  check: JsonLdCheck;
  canonical?: string;
}

async function expandAndCheck(secured: JsonObject, shape: Shape, policy: ContextPolicy, code: VcErrorCode): Promise<CanonicalCheck> {
  const { proof: _proof, ...doc } = secured;
  counts.expansions++;
  const result = await runCheck(doc, policy, code);
  if (shape.abstracted === 0 || (result.errors.length === 0 && result.warnings.length === 0)) {
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
    cache.set(shape.key, result);
  }
  return { check: { errors: [...result.errors], warnings: [...result.warnings] }, canonical: shape.canonical };
}

async function runCheck(doc: JsonObject, policy: ContextPolicy, code: VcErrorCode): Promise<JsonLdCheck> {
  const events: JsonLdEvent[] = [];
  let expanded: unknown[];
  try {
    expanded = await (await jsonld()).expand(doc, {
      documentLoader: bundleLoader(), base: null, safe: false,
      eventHandler: ({ event, next }) => {
        if (events.length < 64) events.push(event);
        next();
      },
    });
  } catch (err) {
    const missing = notBundled(err);
    if (missing) {
      const accepted = policy.allowUnknownContexts === true || (policy.extraContexts && [...policy.extraContexts].includes(missing.url));
      if (accepted) {
        return { errors: [], warnings: [problem('UNKNOWN_CONTEXT', `JSON-LD checks (protected terms, type IRIs, undefined terms) were skipped: ${missing.message}`, pathOfValue(doc, missing.url))] };
      }
      return { errors: [problem('UNKNOWN_CONTEXT', `${missing.message}; only bundled contexts can be used`, pathOfValue(doc, missing.url))], warnings: [] };
    }
    return { errors: [syntaxProblem(err, doc, code)], warnings: [] };
  }
  const errors: VcProblem[] = [];
  const warnings: VcProblem[] = [];
  const seen = new Set<string>();
  /** Values an event already reported (a relative type, say): the IRI walk does not report them again. */
  const reported = new Set<string>();
  for (const e of events) {
    const sig = `${e.code} ${JSON.stringify(e.details ?? {})}`;
    if (seen.has(sig)) continue;
    seen.add(sig);
    for (const k of ['type', 'id'] as const) if (typeof e.details?.[k] === 'string') reported.add(e.details[k] as string);
    const p = eventProblem(doc, e, code);
    if (p.error && errors.length < 8) errors.push(p.error);
    if (p.warning && warnings.length < 8) warnings.push(p.warning);
  }
  try {
    errors.push(...iriProblems(expanded, doc, reported));
  } catch (err) {
    errors.push(problem(code, (err as Error).message));
  }
  return { errors, warnings };
}

/** A JSON-LD syntax error as a problem. */
function syntaxProblem(err: unknown, doc: JsonObject, code: VcErrorCode): VcProblem {
  const e = (err ?? {}) as JsonLdErrorLike;
  const c = e.details?.code;
  if (c === 'protected term redefinition') {
    const term = String(e.details?.term ?? '');
    return problem('PROTECTED_TERM_REDEFINED', `the @context redefines "${term}", a term an earlier context protects (the VC 2.0 context protects all of its own); JSON-LD-based processors must refuse this (VC Data Model 2.0 §5.2.1). Use another name for your term`, pathOfKey(doc, term) ?? '@context');
  }
  if (c === 'invalid value object') {
    return problem(code, 'a value object ("@value") may only have @language and @direction (or @type) besides @value', pathOfKey(doc, '@value'));
  }
  if (c === 'invalid IRI mapping' || c === 'invalid vocab mapping') {
    return problem('JSONLD_INVALID', 'the @context maps a term to something that is not an absolute IRI, a blank node or a keyword', '@context');
  }
  const message = String(e.message ?? err).replace(/^Invalid JSON-LD syntax; /, '');
  return problem('JSONLD_INVALID', `JSON-LD processing failed: ${message}${c ? ` (${c})` : ''}`);
}

/** Why canonicalisation failed, as a message (RDFC needs JSON-LD processing to succeed in safe mode). */
export class CanonicalizationError extends Error {}

/**
 * The RDFC-1.0 canonical N-Quads of `doc` (RDF Dataset Canonicalization, via the JSON-LD toRdf
 * algorithm in safe mode with base null — as eddsa-rdfc-2022 §3.2.3 and the reference
 * implementations do). Throws CanonicalizationError saying what stops it.
 */
export async function rdfCanonical(doc: JsonObject): Promise<string> {
  counts.rdfCanonicalisations++;
  try {
    return await (await jsonld()).canonize(doc, {
      algorithm: 'RDFC-1.0', format: 'application/n-quads', documentLoader: bundleLoader(), base: null, safe: true,
      canonizeOptions: { algorithm: 'RDFC-1.0', maxWorkFactor: 1 },
    });
  } catch (err) {
    const missing = notBundled(err);
    if (missing) throw new CanonicalizationError(`${missing.message}; RDF canonicalisation needs every context`);
    const e = (err ?? {}) as JsonLdErrorLike;
    const event = e.details?.event;
    if (event) {
      const d = event.details ?? {};
      const what = d.property !== undefined ? ` "${String(d.property)}"` : d.type !== undefined ? ` ${JSON.stringify(d.type)}` : '';
      throw new CanonicalizationError(`${event.message.replace(/\.$/, '')}${what}: RDF canonicalisation refuses data JSON-LD would drop or cannot express`);
    }
    throw new CanonicalizationError(String(e.message ?? err));
  }
}
