/**
 * A did:shulian method plugin for the `did-resolver` package:
 * `new Resolver({ ...getResolver(source) })`. Options and DID URL query parameters
 * `versionTime`, `versionId` and `height` pick a past version; `proof: true` attaches the
 * state proof (check it with verifyDidResolution).
 */
import type { DIDResolutionOptions, DIDResolutionResult, DIDResolver, ParsedDID } from 'did-resolver';
import { resolveDid, resolutionErrorCode, type DidResolutionErrorCode, type DidResolutionResult, type ResolveOptions } from './resolver.ts';
import type { DidStateSource } from './source.ts';

/** did-resolver's error keywords (DID Core §7.1.2 and its registry) for each error type. */
const KEYWORDS: Record<DidResolutionErrorCode, string> = {
  INVALID_DID: 'invalidDid',
  NOT_FOUND: 'notFound',
  METHOD_NOT_SUPPORTED: 'unsupportedDidMethod',
  INVALID_OPTIONS: 'invalidOptions',
  REPRESENTATION_NOT_SUPPORTED: 'representationNotSupported',
  INVALID_DID_DOCUMENT: 'invalidDidDocument',
  INTERNAL_ERROR: 'internalError',
};

function optionsOf(parsed: ParsedDID, options: DIDResolutionOptions): ResolveOptions | string {
  const query: Record<string, unknown> = parsed.query ? Object.fromEntries(new URLSearchParams(parsed.query)) : {};
  const params: Record<string, unknown> = { ...query, ...options };
  const o: ResolveOptions = {};
  if (typeof params.accept === 'string') o.accept = params.accept;
  if (params.proof === true || params.proof === 'true') o.proof = true;
  if (params.versionTime !== undefined) {
    if (typeof params.versionTime !== 'string' && typeof params.versionTime !== 'number') return 'versionTime must be an XML datetime or ms since the epoch';
    o.versionTime = params.versionTime;
  }
  if (params.versionId !== undefined) o.versionId = String(params.versionId);
  if (params.height !== undefined) {
    const h = typeof params.height === 'string' && /^\d{1,15}$/.test(params.height) ? Number(params.height) : params.height;
    if (typeof h !== 'number') return 'height must be a non-negative integer';
    o.height = h;
  }
  return o;
}

/** Converts a Shulian resolution result to did-resolver's shape (error as a keyword, problem details kept). */
export function toDidResolverResult(r: DidResolutionResult): DIDResolutionResult {
  const code = resolutionErrorCode(r);
  const { error, ...rest } = r.didResolutionMetadata;
  const didResolutionMetadata: DIDResolutionResult['didResolutionMetadata'] = { ...rest };
  if (code && error) {
    didResolutionMetadata.error = KEYWORDS[code];
    didResolutionMetadata.message = error.detail;
    didResolutionMetadata.problemDetails = error;
  }
  return {
    '@context': r['@context'],
    didResolutionMetadata,
    didDocument: r.didDocument as DIDResolutionResult['didDocument'],
    didDocumentMetadata: { ...r.didDocumentMetadata },
  };
}

/** The did-resolver registry entry for did:shulian over a source (a ChainView, or httpStateSource). */
export function getResolver(source: DidStateSource): { shulian: DIDResolver } {
  const resolve: DIDResolver = async (did, parsed, _resolver, options) => {
    const o = optionsOf(parsed, options);
    if (typeof o === 'string') {
      return {
        didResolutionMetadata: { error: 'invalidOptions', message: o },
        didDocument: null,
        didDocumentMetadata: {},
      };
    }
    // did-resolver hands over the whole DID URL; resolve the DID it names.
    return toDidResolverResult(await resolveDid(source, parsed.did ?? did, o));
  };
  return { shulian: resolve };
}
