/**
 * JSON-LD contexts Shulian knows, bundled with the code (./contexts/*.jsonld): nothing is
 * fetched at run time. Every `@context` URL of a document must be one of these (or one the
 * caller configured), so a document cannot silently depend on vocabulary nobody here has seen;
 * jsonld.ts expands documents against them (and only them).
 */
import { readFileSync } from 'node:fs';
import type { JsonValue } from '../../codec/index.ts';
import { problem, type VcProblem } from './problems.ts';
import type { JsonObject } from './types.ts';

export const CREDENTIALS_V2 = 'https://www.w3.org/ns/credentials/v2';
export const CREDENTIALS_EXAMPLES_V2 = 'https://www.w3.org/ns/credentials/examples/v2';
export const DATA_INTEGRITY_V2 = 'https://w3id.org/security/data-integrity/v2';
export const MULTIKEY_V1 = 'https://w3id.org/security/multikey/v1';
export const DID_V1 = 'https://www.w3.org/ns/did/v1';
/** VC Data Model 2.0 §5.2: the context of a document that uses terms no other context defines; it must come last. */
export const UNDEFINED_TERMS_V2 = 'https://www.w3.org/ns/credentials/undefined-terms/v2';

/** URL → bundled file (W3C documents, published under the W3C Document License; see contexts/README.md). */
const FILES: Readonly<Record<string, string>> = {
  [CREDENTIALS_V2]: 'credentials-v2.jsonld',
  [CREDENTIALS_EXAMPLES_V2]: 'credentials-examples-v2.jsonld',
  [DATA_INTEGRITY_V2]: 'data-integrity-v2.jsonld',
  [MULTIKEY_V1]: 'multikey-v1.jsonld',
  [DID_V1]: 'did-v1.jsonld',
  [UNDEFINED_TERMS_V2]: 'credentials-undefined-terms-v2.jsonld',
};

/** Every context URL bundled here. */
export const BUNDLED_CONTEXTS: readonly string[] = Object.keys(FILES);

const loaded = new Map<string, JsonObject>();

/** The bundled context document for `url`, or undefined when it is not bundled. */
export function bundledContext(url: string): JsonObject | undefined {
  if (!Object.hasOwn(FILES, url)) return undefined;
  let doc = loaded.get(url);
  if (!doc) {
    doc = JSON.parse(readFileSync(new URL(`./contexts/${FILES[url]!}`, import.meta.url), 'utf8')) as JsonObject;
    loaded.set(url, doc);
  }
  return structuredClone(doc);
}

/** Which `@context` values a verifier accepts beyond the first (which must be the VC 2.0 context). */
export interface ContextPolicy {
  /**
   * Further context URLs to accept. Their documents are not bundled and never fetched, so the
   * JSON-LD checks of a document that uses one are skipped (with a warning), and eddsa-rdfc-2022
   * cannot process it.
   */
  extraContexts?: Iterable<string>;
  /** Accept any context URL (with the same consequences as extraContexts). Off by default. */
  allowUnknownContexts?: boolean;
  /** Accept embedded context objects (they are signed with the document; nothing is fetched). Default true. */
  allowInlineContexts?: boolean;
}

/**
 * Problems with a document's `@context` (VC Data Model 2.0 §4.3): an ordered list whose first
 * item is the VC 2.0 context URL; later items are known URLs or (if allowed) embedded objects;
 * the undefined-terms context, when used, is the last (§5.2).
 */
export function checkContexts(value: JsonValue | undefined, policy: ContextPolicy = {}, what = 'document'): VcProblem[] {
  const code = what === 'presentation' ? 'MALFORMED_PRESENTATION' : 'MALFORMED_CREDENTIAL';
  if (!Array.isArray(value)) {
    return [problem(code, `@context must be an array whose first item is "${CREDENTIALS_V2}"`, '@context')];
  }
  if (value[0] !== CREDENTIALS_V2) {
    return [problem(code, `the first @context must be "${CREDENTIALS_V2}" (VC Data Model 2.0), got ${JSON.stringify(value[0] ?? null)}`, '@context[0]')];
  }
  const extra = policy.extraContexts ? new Set(policy.extraContexts) : undefined;
  const out: VcProblem[] = [];
  for (let i = 1; i < value.length; i++) {
    const c = value[i];
    const path = `@context[${i}]`;
    if (typeof c === 'string') {
      if (c === UNDEFINED_TERMS_V2 && i !== value.length - 1) {
        out.push(problem(code, `"${UNDEFINED_TERMS_V2}" must be the last @context (VC Data Model 2.0 §5.2), so it gives only terms no other context defines`, path));
        continue;
      }
      if (policy.allowUnknownContexts || Object.hasOwn(FILES, c) || extra?.has(c)) continue;
      out.push(problem('UNKNOWN_CONTEXT', `context ${JSON.stringify(c)} is not bundled with this verifier (known: ${BUNDLED_CONTEXTS.join(', ')}); configure it as an extra context to accept it`, path));
    } else if (c !== null && typeof c === 'object' && !Array.isArray(c)) {
      if (policy.allowInlineContexts === false) out.push(problem('UNKNOWN_CONTEXT', 'embedded context objects are not accepted by this verifier', path));
    } else {
      out.push(problem(code, 'each @context item must be a URL string or a context object', path));
    }
  }
  return out;
}
