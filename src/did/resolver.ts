/**
 * DID resolution for did:shulian (W3C DID Resolution): `resolveDid` returns a DID resolution
 * result — never throws for a bad DID or a missing document — optionally carrying the state
 * proof(s) behind it, which `verifyDidResolution` checks with nothing but the identity chain's
 * validator keys.
 */
import { ShulianError, canonicalize, type JsonValue } from '../codec/index.ts';
import type { Suite } from '../crypto/index.ts';
import {
  verifyHeaderWith, verifyStateLookup, type HeaderTrust, type ProofCheck, type StateLookup, type ValidatorInfo,
} from '../ledger/index.ts';
import { readDidDocState, type DidDocState } from '../modules/did/types.ts';
import { docStateKey } from '../modules/did/keys.ts';
import {
  buildDidDocument, buildDocumentMetadata, documentJson,
  type DidDocument, type DidDocumentMetadata,
} from './document.ts';
import type { DidStateSource, SignedHeader } from './source.ts';
import { DidSyntaxError, parseDid, shulianDidOf, type ShulianDid } from '../crypto/index.ts';

export const RESOLUTION_CONTEXT = 'https://w3id.org/did-resolution/v1';
export const MEDIA_DID_LD_JSON = 'application/did+ld+json';
export const MEDIA_DID_JSON = 'application/did+json';
export const MEDIA_DID_RESOLUTION = 'application/did-resolution+json';

/** DID Resolution error types; `type` in results is `https://w3id.org/security#<code>`. */
export type DidResolutionErrorCode =
  | 'INVALID_DID' | 'NOT_FOUND' | 'METHOD_NOT_SUPPORTED' | 'INVALID_OPTIONS'
  | 'REPRESENTATION_NOT_SUPPORTED' | 'INVALID_DID_DOCUMENT' | 'INTERNAL_ERROR';

/** An error in the form DID Resolution uses (RFC 9457 problem details). */
export interface DidResolutionError {
  type: string;
  title: string;
  detail: string;
}

/** The identity chain state behind a result; present when resolution asked for `proof`. */
export interface DidStateProof {
  did: string;
  /** The state lookup of `did/doc/<id>` with its SMT proof and the signed header. */
  lookup: StateLookup;
  /** For `versionTime`: the requested time (ms), and the signed header of the next block when there is one. */
  versionTime?: number;
  next?: SignedHeader;
  /** For `versionId`: the version asked for. */
  versionId?: string;
}

export interface DidResolutionMetadata {
  contentType?: string;
  error?: DidResolutionError;
  /** Identity chain height whose state answered. */
  height?: number;
  stateProof?: DidStateProof;
}

export interface DidResolutionResult {
  '@context': string;
  didDocument: DidDocument | null;
  didResolutionMetadata: DidResolutionMetadata;
  didDocumentMetadata: DidDocumentMetadata;
}

export interface ResolveOptions {
  /** Resolve as of this identity chain height. */
  height?: number;
  /** Resolve as of this time: an XML datetime (e.g. 2024-05-01T00:00:00Z) or ms since the epoch. */
  versionTime?: string | number;
  /** Resolve this version of the document (the decimal versionId). */
  versionId?: string;
  /** Attach the state proof so `verifyDidResolution` can check the result. */
  proof?: boolean;
  /** application/did+ld+json (default) or application/did+json. */
  accept?: string;
}

const TITLES: Record<DidResolutionErrorCode, string> = {
  INVALID_DID: 'Invalid DID',
  NOT_FOUND: 'DID not found',
  METHOD_NOT_SUPPORTED: 'DID method not supported',
  INVALID_OPTIONS: 'Invalid resolution options',
  REPRESENTATION_NOT_SUPPORTED: 'Representation not supported',
  INVALID_DID_DOCUMENT: 'Invalid DID document',
  INTERNAL_ERROR: 'Internal error',
};

/** HTTP status of each error in the DID Resolution HTTP(S) binding. */
export const RESOLUTION_HTTP_STATUS: Record<DidResolutionErrorCode, number> = {
  INVALID_DID: 400,
  INVALID_OPTIONS: 400,
  NOT_FOUND: 404,
  REPRESENTATION_NOT_SUPPORTED: 406,
  INVALID_DID_DOCUMENT: 500,
  INTERNAL_ERROR: 500,
  METHOD_NOT_SUPPORTED: 501,
};

const ERROR_TYPE_PREFIX = 'https://w3id.org/security#';

export function resolutionError(code: DidResolutionErrorCode, detail: string): DidResolutionError {
  return { type: ERROR_TYPE_PREFIX + code, title: TITLES[code], detail };
}

/** The error code of a result, e.g. NOT_FOUND; undefined when resolution succeeded. */
export function resolutionErrorCode(r: DidResolutionResult): DidResolutionErrorCode | undefined {
  const t = r.didResolutionMetadata.error?.type;
  if (t === undefined) return undefined;
  const code = t.startsWith(ERROR_TYPE_PREFIX) ? t.slice(ERROR_TYPE_PREFIX.length) : t;
  return (code in TITLES ? code : 'INTERNAL_ERROR') as DidResolutionErrorCode;
}

/** The HTTP status of a result: 200, 410 for a deactivated DID, or the error's status. */
export function resolutionStatus(r: DidResolutionResult): number {
  const code = resolutionErrorCode(r);
  if (code) return RESOLUTION_HTTP_STATUS[code];
  return r.didDocumentMetadata.deactivated ? 410 : 200;
}

function failed(code: DidResolutionErrorCode, detail: string, extra: Partial<DidResolutionMetadata> = {}): DidResolutionResult {
  return {
    '@context': RESOLUTION_CONTEXT,
    didDocument: null,
    didResolutionMetadata: { ...extra, error: resolutionError(code, detail) },
    didDocumentMetadata: {},
  };
}

/** Resolution options that are not valid; resolveDid answers INVALID_OPTIONS with its message. */
class OptionsError extends ShulianError<'INVALID_OPTIONS'> {
  constructor(message: string) {
    super('INVALID_OPTIONS', message);
    this.name = 'OptionsError';
  }
}

/** Parses versionTime: an XML datetime with a zone (Z or ±hh:mm), or ms since the epoch. */
export function parseVersionTime(v: string | number): number {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0) throw new OptionsError('versionTime in ms must be a non-negative integer');
    return v;
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/.test(v)) {
    throw new OptionsError(`versionTime ${JSON.stringify(v.slice(0, 40))} is not an XML datetime such as 2024-05-01T08:00:00Z`);
  }
  const t = Date.parse(v);
  if (!Number.isFinite(t) || t < 0) throw new OptionsError(`versionTime ${JSON.stringify(v)} is not a valid date`);
  return t;
}

async function headOf(source: DidStateSource): Promise<number> {
  if (!source.height) throw new OptionsError('this resolver cannot resolve at a versionTime or versionId (its source gives no chain height)');
  return source.height();
}

/** Largest height whose block time is <= t, or -1 when even block 0 is later. */
async function heightAtTime(source: DidStateSource, t: number): Promise<{ height: number; head: number }> {
  if (!source.header) throw new OptionsError('this resolver cannot resolve at a versionTime (its source gives no block headers)');
  const head = await headOf(source);
  const timeAt = async (h: number): Promise<number> => {
    const b = await source.header!(h);
    if (!b) throw new ShulianError('BLOCK_NOT_FOUND', `block ${h} is missing from the identity chain`);
    return b.header.time;
  };
  if ((await timeAt(0)) > t) return { height: -1, head };
  let lo = 0;
  let hi = head;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if ((await timeAt(mid)) <= t) lo = mid;
    else hi = mid - 1;
  }
  return { height: lo, head };
}

/** Lowest height at which the document's version is >= v (version never decreases), or -1. */
async function heightOfVersion(source: DidStateSource, key: string, v: number): Promise<number> {
  const head = await headOf(source);
  const versionAt = async (h: number): Promise<number> => {
    const s = await source.getState(key, { height: h });
    return readDidDocState(s.value)?.version ?? 0;
  };
  if ((await versionAt(head)) < v) return -1;
  let lo = 0;
  let hi = head;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if ((await versionAt(mid)) >= v) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The DID document (and metadata) a stored state resolves to, in the requested representation. */
function fromState(st: DidDocState, accept: string): { didDocument: DidDocument; didDocumentMetadata: DidDocumentMetadata } {
  const doc = buildDidDocument(st);
  const meta = buildDocumentMetadata(st);
  if (accept === MEDIA_DID_JSON) {
    const { '@context': _ctx, ...plain } = doc;
    return { didDocument: plain as DidDocument, didDocumentMetadata: meta };
  }
  return { didDocument: doc, didDocumentMetadata: meta };
}

/**
 * Resolves a did:shulian DID against the identity chain. Errors come back in the result
 * (INVALID_DID, METHOD_NOT_SUPPORTED, NOT_FOUND, INVALID_OPTIONS, REPRESENTATION_NOT_SUPPORTED,
 * INVALID_DID_DOCUMENT, INTERNAL_ERROR); a deactivated DID resolves with
 * `didDocumentMetadata.deactivated: true`. With `proof`, the result carries the state lookup
 * and signed header(s) behind it.
 */
export async function resolveDid(source: DidStateSource, did: string, opts: ResolveOptions = {}): Promise<DidResolutionResult> {
  const accept = opts.accept ?? MEDIA_DID_LD_JSON;
  if (accept !== MEDIA_DID_LD_JSON && accept !== MEDIA_DID_JSON) {
    return failed('REPRESENTATION_NOT_SUPPORTED', `representation ${JSON.stringify(accept)} is not supported; ask for ${MEDIA_DID_LD_JSON} or ${MEDIA_DID_JSON}`);
  }
  let sd: ShulianDid;
  try {
    const p = parseDid(did);
    sd = shulianDidOf(p, true);
  } catch (err) {
    if (err instanceof DidSyntaxError) return failed(err.code === 'METHOD_NOT_SUPPORTED' ? 'METHOD_NOT_SUPPORTED' : 'INVALID_DID', err.message);
    return failed('INVALID_DID', err instanceof Error ? err.message : String(err));
  }
  const key = docStateKey(sd.id);
  const proof = opts.proof === true;
  let extra: Pick<DidStateProof, 'versionTime' | 'next' | 'versionId'> = {};
  let height: number | undefined;
  try {
    const chosen = [opts.height, opts.versionTime, opts.versionId].filter((x) => x !== undefined).length;
    if (chosen > 1) throw new OptionsError('give at most one of height, versionTime and versionId');
    if (opts.height !== undefined) {
      if (!Number.isSafeInteger(opts.height) || opts.height < 0) throw new OptionsError('height must be a non-negative integer');
      height = opts.height;
    } else if (opts.versionTime !== undefined) {
      const t = parseVersionTime(opts.versionTime);
      const at = await heightAtTime(source, t);
      if (at.height < 0) return failed('NOT_FOUND', `${sd.did} did not exist at ${new Date(t).toISOString()}: the identity chain starts later`);
      height = at.height;
      extra = { versionTime: t };
      if (proof && at.height < at.head) {
        const next = await source.header!(at.height + 1);
        if (next) extra.next = next;
      }
    } else if (opts.versionId !== undefined) {
      if (!/^[1-9]\d{0,14}$/.test(opts.versionId)) throw new OptionsError(`versionId ${JSON.stringify(opts.versionId)} is not a version of a did:shulian document (1, 2, 3, ...)`);
      const h = await heightOfVersion(source, key, Number(opts.versionId));
      if (h < 0) return failed('NOT_FOUND', `${sd.did} has no version ${opts.versionId}`);
      height = h;
      extra = { versionId: opts.versionId };
    }
  } catch (err) {
    if (err instanceof OptionsError) return failed('INVALID_OPTIONS', err.message);
    return sourceFailure(err);
  }

  let lookup: StateLookup;
  try {
    lookup = await source.getState(key, height === undefined ? { proof } : { height, proof });
  } catch (err) {
    return sourceFailure(err);
  }
  const meta: DidResolutionMetadata = { contentType: accept, height: lookup.height };
  if (proof) meta.stateProof = { did: sd.did, lookup, ...extra };
  if (lookup.value === null) {
    const when = height === undefined ? '' : ` at height ${lookup.height}`;
    return {
      '@context': RESOLUTION_CONTEXT, didDocument: null,
      didResolutionMetadata: { ...meta, error: resolutionError('NOT_FOUND', `${sd.did} has no DID document on the identity chain${when}`) },
      didDocumentMetadata: {},
    };
  }
  const st = readDidDocState(lookup.value);
  if (!st || st.did !== sd.did) {
    return failed('INVALID_DID_DOCUMENT', `the identity chain holds a malformed document state for ${sd.did}`, meta);
  }
  return { '@context': RESOLUTION_CONTEXT, ...fromState(st, accept), didResolutionMetadata: meta };
}

function sourceFailure(err: unknown): DidResolutionResult {
  if (err instanceof ShulianError && err.code === 'HEIGHT_NOT_FOUND') return failed('INVALID_OPTIONS', err.message);
  if (err instanceof OptionsError) return failed('INVALID_OPTIONS', err.message);
  return failed('INTERNAL_ERROR', `could not read the identity chain: ${err instanceof Error ? err.message : String(err)}`);
}

// ---- checking a result alone ----------------------------------------------------------------

export interface VerifyResolutionOptions {
  /** The DID that was asked for; the result must be about it. */
  did?: string;
  /** The identity chain's suite; by default inferred from the validator key length. */
  suite?: Suite;
  /** The identity chain's id; the proven header must belong to it. */
  chain?: string;
}

const fail = (reason: string): ProofCheck => ({ ok: false, reason });

function suiteOf(trust: HeaderTrust): Suite | undefined {
  if (typeof trust === 'function') return undefined;
  const len = (trust as readonly ValidatorInfo[])[0]?.publicKey.length;
  return len === 130 ? 'sm2' : len === 64 ? 'ed25519' : undefined;
}

const same = (a: unknown, b: unknown): boolean => {
  try {
    return canonicalize(a as JsonValue) === canonicalize(b as JsonValue);
  } catch {
    return false;
  }
};

/**
 * Checks a resolution result that carries `didResolutionMetadata.stateProof` against the identity
 * chain only: the state lookup proves the stored document state (or its absence) under a block
 * header `trust` verifies, and the returned document and metadata must be exactly what that state
 * resolves to. For versionTime results, the block time must not be later than the time asked
 * for, and a following block (when given) must be later.
 *
 * `trust` is a light-client header verifier (ShulianClient.headerVerifier: a commit of more than
 * 2/3 of the validator set of each height, followed from the pinned genesis; pass `suite` then),
 * or a fixed validator set for a chain whose set never changed.
 */
export function verifyDidResolution(result: DidResolutionResult, trust: HeaderTrust, expect: VerifyResolutionOptions = {}): ProofCheck {
  try {
    return verifyInner(result, trust, expect);
  } catch (err) {
    return fail(`malformed resolution result: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function verifyInner(result: DidResolutionResult, trust: HeaderTrust, expect: VerifyResolutionOptions): ProofCheck {
  const p = result?.didResolutionMetadata?.stateProof;
  if (!p || !p.lookup) return fail('the result carries no state proof; resolve with proof');
  const suite = expect.suite ?? suiteOf(trust);
  if (!suite) return fail('cannot tell the chain suite from the validator keys; pass it');
  let sd: ShulianDid;
  try {
    sd = shulianDidOf(parseDid(p.did), true);
  } catch (err) {
    return fail(`the proof is for ${JSON.stringify(p.did)}, which is not a did:shulian DID`);
  }
  if (expect.did !== undefined && expect.did !== sd.did) return fail(`the result is about ${sd.did}, not ${expect.did}`);
  const lookup = p.lookup;
  if (lookup.key !== docStateKey(sd.id)) return fail(`the proof is for state key ${lookup.key}, not ${docStateKey(sd.id)}`);
  if (expect.chain !== undefined && lookup.header?.chain !== expect.chain) return fail(`the proof is from chain ${lookup.header?.chain}, not ${expect.chain}`);
  const state = verifyStateLookup(suite, lookup, trust);
  if (!state.ok) return fail(`state proof: ${state.reason}`);
  const meta = result.didResolutionMetadata;
  if (meta.height !== undefined && meta.height !== lookup.height) return fail('the result height is not the proven height');

  if (p.versionTime !== undefined) {
    if (lookup.header!.time > p.versionTime) return fail('the proven block is later than the versionTime asked for');
    if (p.next) {
      const h = verifyHeaderWith(suite, p.next, trust);
      if (!h.ok) return fail(`next block header: ${h.reason}`);
      if (p.next.header.height !== lookup.height + 1 || p.next.header.prev !== lookup.blockHash) return fail('the next block header does not follow the proven block');
      if (p.next.header.time <= p.versionTime) return fail('a later block is also before the versionTime: the proven block is not the one in force then');
    }
  }

  if (lookup.value === null) {
    if (resolutionErrorCode(result) !== 'NOT_FOUND') return fail('the state proves the DID has no document, but the result is not NOT_FOUND');
    if (result.didDocument !== null) return fail('the result carries a document the state does not have');
    return { ok: true };
  }
  const st = readDidDocState(lookup.value);
  if (!st || st.did !== sd.did) return fail('the proven state is not a document state of this DID');
  if (p.versionId !== undefined && String(st.version) !== p.versionId) return fail(`the proven state is version ${st.version}, not ${p.versionId}`);
  if (result.didResolutionMetadata.error) return fail('the state holds a document, but the result reports an error');
  const expected = fromState(st, meta.contentType === MEDIA_DID_JSON ? MEDIA_DID_JSON : MEDIA_DID_LD_JSON);
  if (!same(result.didDocument, documentJson(expected.didDocument))) return fail('the DID document differs from the one the proven state resolves to');
  if (!same(result.didDocumentMetadata, documentJson(expected.didDocumentMetadata))) return fail('the document metadata differs from what the proven state gives');
  return { ok: true };
}
