/**
 * Data Integrity proofs (VC Data Integrity 1.0) with three cryptosuites:
 *  - `eddsa-rdfc-2022` (EdDSA Cryptosuites v1.0 §3.2): RDFC-1.0 canonical N-Quads, SHA-256, Ed25519;
 *  - `eddsa-jcs-2022` (EdDSA Cryptosuites v1.0 §3.3): JCS (RFC 8785), SHA-256, Ed25519;
 *  - `sm2-jcs-2024` (docs/credentials.md): the JCS steps with SM3 and SM2 (default ID).
 * All: transformation = the canonical form of the document without `proof`; proof configuration
 * = the canonical form of the proof options with the document's `@context`; hashData =
 * H(proof configuration) ‖ H(transformed document); proofValue = multibase base58btc of the
 * 64-byte signature of hashData. The JCS suites also write the `@context` into the proof (§3.3.1
 * step 2); the RDFC suite does not (§3.2.1).
 */
import { createHash, hash as nodeHash } from 'node:crypto';
import { ShulianError, canonicalize, asJson, isJsonObject, type JsonValue } from '../../codec/index.ts';
import { verify as cryptoVerify, type Suite } from '../../crypto/index.ts';
import { formatDateTime, parseDateTime } from './datetime.ts';
import { CanonicalizationError, rdfCanonical } from './jsonld.ts';
import { fromMultibase58, toMultibase58 } from './multikey.ts';
import { problem, type VcProblem } from './problems.ts';
import { URL_RE } from './schema.ts';
import type { Cryptosuite, DataIntegrityProof, JsonObject, KeyResolver, ProofResult, Signer } from './types.ts';

interface SuiteDef {
  suite: Suite;
  /** SHA-256 (the EdDSA suites) or SM3 (sm2-jcs-2024), both 32 bytes. */
  hash: 'sha256' | 'sm3';
  /** How documents become bytes: JCS (RFC 8785) or RDFC-1.0 (RDF Dataset Canonicalization). */
  transform: 'jcs' | 'rdfc';
}

const SUITES: Readonly<Record<Cryptosuite, SuiteDef>> = {
  'eddsa-rdfc-2022': { suite: 'ed25519', hash: 'sha256', transform: 'rdfc' },
  'eddsa-jcs-2022': { suite: 'ed25519', hash: 'sha256', transform: 'jcs' },
  'sm2-jcs-2024': { suite: 'sm2', hash: 'sm3', transform: 'jcs' },
};

export const SUPPORTED_CRYPTOSUITES: readonly Cryptosuite[] = ['eddsa-rdfc-2022', 'eddsa-jcs-2022', 'sm2-jcs-2024'];

export function isCryptosuite(x: unknown): x is Cryptosuite {
  return typeof x === 'string' && Object.hasOwn(SUITES, x);
}

/** The key suite a cryptosuite signs with. */
export function keySuiteOf(cryptosuite: Cryptosuite): Suite {
  return SUITES[cryptosuite].suite;
}

/** The cryptosuite that signs with a key of `suite` by default (JCS: no JSON-LD processing needed). */
export function cryptosuiteFor(suite: Suite): Cryptosuite {
  return suite === 'ed25519' ? 'eddsa-jcs-2022' : 'sm2-jcs-2024';
}

// The same OpenSSL digests as crypto/'s sha256 and sm3, fed the canonical text directly
// (hashed as UTF-8) to skip two copies per hash on the verification hot path.
const hasOneShot = typeof nodeHash === 'function';
function digestText(alg: 'sha256' | 'sm3', text: string): Buffer {
  return hasOneShot ? (nodeHash(alg, text, 'buffer') as unknown as Buffer) : createHash(alg).update(text, 'utf8').digest();
}

/**
 * hashData = H(canonical(proofConfig)) ‖ H(canonical(unsecuredDocument)), H = SHA-256 or SM3 and
 * canonical = JCS or RDFC-1.0 by cryptosuite. Throws CanonicalizationError when an RDFC suite
 * cannot canonicalise the input (undefined terms, a context not bundled, ...).
 */
export async function hashData(cryptosuite: Cryptosuite, unsecuredDocument: JsonObject, proofConfig: JsonObject): Promise<Uint8Array> {
  const def = SUITES[cryptosuite];
  if (def.transform === 'jcs') return hashDataJcs(cryptosuite as JcsCryptosuite, unsecuredDocument, proofConfig);
  const [config, doc] = await Promise.all([rdfCanonical(proofConfig), rdfCanonical(unsecuredDocument)]);
  const out = new Uint8Array(64);
  out.set(digestText(def.hash, config), 0);
  out.set(digestText(def.hash, doc), 32);
  return out;
}

/** The cryptosuites whose canonical form is JCS (RFC 8785): hashed synchronously, with no JSON-LD processing. */
export type JcsCryptosuite = 'eddsa-jcs-2022' | 'sm2-jcs-2024';
export const isJcsCryptosuite = (c: unknown): c is JcsCryptosuite => c === 'eddsa-jcs-2022' || c === 'sm2-jcs-2024';

/** hashData for a JCS cryptosuite, synchronously (what a chain's block checks may call: no I/O, no promise). */
export function hashDataJcs(cryptosuite: JcsCryptosuite, unsecuredDocument: JsonObject, proofConfig: JsonObject): Uint8Array {
  return jcsHashData(cryptosuite, proofConfig, () => canonicalize(unsecuredDocument));
}

/** hashDataJcs, with the document's canonical JSON from `documentText` (the caller may have it written already). */
function jcsHashData(cryptosuite: JcsCryptosuite, proofConfig: JsonObject, documentText: () => string): Uint8Array {
  const def = SUITES[cryptosuite];
  const out = new Uint8Array(64);
  out.set(configHash(def.hash, proofConfig), 0);
  out.set(digestText(def.hash, documentText()), 32);
  return out;
}

// Proof configurations repeat where documents do not: an issuer's credentials share type,
// cryptosuite, verificationMethod, proofPurpose, @context, and `created` when issued in the same
// second or with a set time. H(JCS(configuration)) is kept, per hash, keyed by the
// configuration's JSON text — exact, as only flat configurations (strings and arrays of strings,
// a plain object) are cached, whose JSON text determines the value and so its canonical form.
// Bounded: at most CONFIG_CACHE_MAX entries per hash of at most CONFIG_KEY_MAX characters, oldest evicted.
const CONFIG_CACHE_MAX = 256;
const CONFIG_KEY_MAX = 4096;
const configHashes = { sha256: new Map<string, Buffer>(), sm3: new Map<string, Buffer>() };

/**
 * Work done so far: proof configurations canonicalised and hashed (cache misses; JCS suites).
 * test/vc-cost.test.ts keeps it at one per distinct configuration.
 */
const counts = { proofConfigHashes: 0 };
export const proofCounts = (): Readonly<typeof counts> => ({ ...counts });

/** The JSON text of a flat configuration (see above), or undefined when it is not one. */
function flatConfigKey(config: JsonObject): string | undefined {
  if (Object.getPrototypeOf(config) !== Object.prototype) return undefined;
  for (const k of Object.keys(config)) {
    const v = config[k];
    if (typeof v === 'string') continue;
    if (!Array.isArray(v)) return undefined;
    for (const x of v) if (typeof x !== 'string') return undefined;
  }
  const text = JSON.stringify(config);
  return text.length <= CONFIG_KEY_MAX ? text : undefined;
}

function configHash(alg: 'sha256' | 'sm3', config: JsonObject): Buffer {
  const key = flatConfigKey(config);
  const cache = configHashes[alg];
  if (key !== undefined) {
    const hit = cache.get(key);
    if (hit) return hit;
  }
  counts.proofConfigHashes++;
  const h = digestText(alg, canonicalize(config));
  if (key !== undefined) {
    if (cache.size >= CONFIG_CACHE_MAX) cache.delete(cache.keys().next().value!);
    cache.set(key, h);
  }
  return h;
}

export interface ProofOptions {
  /** Default: by the signer's key (Ed25519 → eddsa-jcs-2022, SM2 → sm2-jcs-2024); eddsa-rdfc-2022 for Ed25519 on request. */
  cryptosuite?: Cryptosuite;
  /** Default assertionMethod (credentials); presentations use authentication. */
  proofPurpose?: string;
  /** Default now (whole seconds, UTC); null leaves `created` out. */
  created?: string | Date | number | null;
  expires?: string;
  domain?: string | string[];
  challenge?: string;
  nonce?: string;
  id?: string;
}

function createdValue(c: ProofOptions['created']): string | undefined {
  if (c === null) return undefined;
  if (c === undefined) return formatDateTime(Date.now());
  if (typeof c === 'string') return c;
  return formatDateTime(c instanceof Date ? c.getTime() : c);
}

function withoutProof(doc: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const k of Object.keys(doc)) if (k !== 'proof') out[k] = doc[k]!;
  return out;
}

/**
 * Creates a proof over `document` (any existing `proof` is left out of what is signed, so the new
 * proof joins a proof set). Throws PROOF_GENERATION_ERROR for bad options.
 */
export async function createProof(document: JsonObject, signer: Signer, options: ProofOptions = {}): Promise<DataIntegrityProof> {
  const cryptosuite = options.cryptosuite ?? cryptosuiteFor(signer.suite);
  const fail = (msg: string): never => {
    throw new ShulianError('PROOF_GENERATION_ERROR', msg);
  };
  if (!isCryptosuite(cryptosuite)) fail(`unsupported cryptosuite ${JSON.stringify(cryptosuite)}; use ${SUPPORTED_CRYPTOSUITES.join(' or ')}`);
  if (SUITES[cryptosuite].suite !== signer.suite) fail(`cryptosuite ${cryptosuite} needs a ${SUITES[cryptosuite].suite} key; the signer holds a ${signer.suite} key`);
  const created = createdValue(options.created);
  if (created !== undefined && parseDateTime(created, false) === undefined) fail(`created ${JSON.stringify(created)} is not an XML Schema dateTime`);
  if (options.expires !== undefined && parseDateTime(options.expires, false) === undefined) fail(`expires ${JSON.stringify(options.expires)} is not an XML Schema dateTime`);
  const proof: JsonObject = {};
  if (options.id !== undefined) proof.id = options.id;
  proof.type = 'DataIntegrityProof';
  proof.cryptosuite = cryptosuite;
  if (created !== undefined) proof.created = created;
  if (options.expires !== undefined) proof.expires = options.expires;
  proof.verificationMethod = signer.verificationMethod;
  proof.proofPurpose = options.proofPurpose ?? 'assertionMethod';
  if (options.domain !== undefined) proof.domain = options.domain;
  if (options.challenge !== undefined) proof.challenge = options.challenge;
  if (options.nonce !== undefined) proof.nonce = options.nonce;
  // JCS suites carry the document's @context in the proof (eddsa-jcs-2022 §3.3.1 step 2); the
  // RDFC suite only puts it into the proof configuration it hashes (§3.2.5).
  const rdfc = SUITES[cryptosuite].transform === 'rdfc';
  if (!rdfc && document['@context'] !== undefined) proof['@context'] = document['@context'];
  const config = rdfc && document['@context'] !== undefined ? { ...proof, '@context': document['@context'] } : proof;
  let data: Uint8Array;
  try {
    data = await hashData(cryptosuite, withoutProof(document), config);
  } catch (err) {
    if (err instanceof CanonicalizationError) fail(`the document cannot be canonicalised for ${cryptosuite}: ${err.message}`);
    throw err;
  }
  const signature = await signer.sign(data);
  proof.proofValue = toMultibase58(signature);
  return proof as unknown as DataIntegrityProof;
}

/** `document` with a new proof added (a second proof makes `proof` an array: a proof set). */
export async function addProof<T extends JsonObject>(document: T, signer: Signer, options: ProofOptions = {}): Promise<T & { proof: DataIntegrityProof | DataIntegrityProof[] }> {
  const proof = await createProof(document, signer, options);
  const existing = document.proof;
  const proofs: JsonValue = existing === undefined ? (asJson(proof))
    : [...(Array.isArray(existing) ? existing : [existing]), asJson(proof)];
  return { ...document, proof: proofs } as T & { proof: DataIntegrityProof | DataIntegrityProof[] };
}

export interface VerifyProofOptions {
  resolver: KeyResolver;
  /** The purpose the proof must state: assertionMethod (default) for credentials, authentication for presentations. */
  expectedProofPurpose?: string;
  /** When set, the proof's challenge must equal it. */
  challenge?: string;
  /** When set, the proof's domain must include one of these. */
  domain?: string | string[];
  /** Verification time, ms since the epoch (default now). */
  now?: number;
  /** How far `created` may lie in the future, ms (default 5 minutes). */
  maxClockSkewMs?: number;
}

function asArray(v: JsonValue | undefined): JsonValue[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function sameJson(a: JsonValue, b: JsonValue): boolean {
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  try {
    return canonicalize(a) === canonicalize(b);
  } catch {
    return false;
  }
}

/**
 * Verifies every proof of a secured document (VC Data Integrity §4.4 with the cryptosuite's
 * Verify Proof). Never throws; each result lists what failed.
 */
export async function verifyProofs(securedDocument: JsonObject, opts: VerifyProofOptions): Promise<ProofResult[]> {
  return verifyProofsCanonical(securedDocument, opts);
}

/**
 * verifyProofs, given the canonical JSON (RFC 8785) of the document without its `proof` when the
 * caller has already written it (credential.ts: in the JSON-LD shape walk), so the JCS suites do
 * not write it again. The caller vouches that it is canonicalize(document without proof).
 */
export async function verifyProofsCanonical(securedDocument: JsonObject, opts: VerifyProofOptions, canonicalUnsecured?: string): Promise<ProofResult[]> {
  const proofs = asArray(securedDocument.proof);
  if (proofs.length === 0) return [];
  // The document without its proofs, made only when a proof needs it as an object.
  let copy: JsonObject | undefined;
  const unsecured = (): JsonObject => (copy ??= withoutProof(securedDocument));
  const out: ProofResult[] = [];
  for (let i = 0; i < proofs.length; i++) {
    out.push(await verifyOne(securedDocument, unsecured, proofs[i]!, opts, proofs.length > 1 ? `proof[${i}]` : 'proof', canonicalUnsecured));
  }
  return out;
}

async function verifyOne(secured: JsonObject, unsecuredIn: () => JsonObject, proofIn: JsonValue, opts: VerifyProofOptions, path: string, canonicalIn?: string): Promise<ProofResult> {
  const errors: VcProblem[] = [];
  const result: ProofResult = { verified: false, errors };
  const malformed = (msg: string, sub?: string): ProofResult => {
    errors.push(problem('MALFORMED_PROOF', msg, sub ? `${path}.${sub}` : path));
    return result;
  };
  if (!isJsonObject(proofIn)) return malformed('a proof must be an object');
  const proof = proofIn;
  if (proof.type !== 'DataIntegrityProof') {
    errors.push(problem('UNSUPPORTED_CRYPTOSUITE', `proof type ${JSON.stringify(proof.type ?? null)} is not supported; only DataIntegrityProof with ${SUPPORTED_CRYPTOSUITES.join(' or ')}`, `${path}.type`));
    return result;
  }
  const cryptosuite = proof.cryptosuite;
  if (typeof cryptosuite === 'string') result.cryptosuite = cryptosuite;
  if (!isCryptosuite(cryptosuite)) {
    errors.push(problem('UNSUPPORTED_CRYPTOSUITE', `cryptosuite ${JSON.stringify(cryptosuite ?? null)} is not supported; this verifier knows ${SUPPORTED_CRYPTOSUITES.join(' and ')}`, `${path}.cryptosuite`));
    return result;
  }
  const vmId = proof.verificationMethod;
  if (typeof vmId !== 'string' || !URL_RE.test(vmId)) return malformed('verificationMethod must be a URL naming the signing key', 'verificationMethod');
  result.verificationMethod = vmId;
  const purpose = proof.proofPurpose;
  if (typeof purpose !== 'string' || purpose === '') return malformed('proofPurpose must be a string such as assertionMethod', 'proofPurpose');
  result.proofPurpose = purpose;
  const proofValue = proof.proofValue;
  if (typeof proofValue !== 'string') return malformed('proofValue is missing: the proof carries no signature', 'proofValue');
  let signature: Uint8Array;
  try {
    signature = fromMultibase58(proofValue, 'proofValue');
  } catch (err) {
    return malformed((err as Error).message, 'proofValue');
  }
  if (signature.length !== 64) return malformed(`proofValue must hold a 64-byte signature, got ${signature.length} bytes`, 'proofValue');
  if (proof.previousProof !== undefined) return malformed('proof chains (previousProof) are not supported', 'previousProof');

  const now = opts.now ?? Date.now();
  if (proof.created !== undefined) {
    const created = parseDateTime(proof.created, false);
    if (created === undefined) return malformed('created must be an XML Schema dateTime such as 2024-05-01T08:00:00Z', 'created');
    if (created > now + (opts.maxClockSkewMs ?? 300_000)) {
      errors.push(problem('PROOF_CREATED_IN_FUTURE', `the proof was created at ${String(proof.created)}, after the verification time ${new Date(now).toISOString()}`, `${path}.created`));
    }
  }
  if (proof.expires !== undefined) {
    const expires = parseDateTime(proof.expires, false);
    if (expires === undefined) return malformed('expires must be an XML Schema dateTime', 'expires');
    if (now > expires) errors.push(problem('PROOF_EXPIRED', `the proof expired at ${String(proof.expires)}`, `${path}.expires`));
  }
  const expectedPurpose = opts.expectedProofPurpose ?? 'assertionMethod';
  if (purpose !== expectedPurpose) {
    errors.push(problem('PROOF_PURPOSE_MISMATCH', `the proof's purpose is ${purpose}, but ${expectedPurpose} is required here`, `${path}.proofPurpose`));
  }
  if (opts.challenge !== undefined && proof.challenge !== opts.challenge) {
    errors.push(problem('INVALID_CHALLENGE', proof.challenge === undefined
      ? 'the proof has no challenge, but one was expected' : 'the proof\'s challenge does not match the expected challenge', `${path}.challenge`));
  }
  if (opts.domain !== undefined) {
    const want = Array.isArray(opts.domain) ? opts.domain : [opts.domain];
    const have = asArray(proof.domain);
    if (!have.some((d) => typeof d === 'string' && want.includes(d))) {
      errors.push(problem('INVALID_DOMAIN', proof.domain === undefined
        ? 'the proof has no domain, but one was expected' : `the proof's domain ${JSON.stringify(proof.domain)} is not the expected ${JSON.stringify(opts.domain)}`, `${path}.domain`));
    }
  }

  // Verify Proof step 4 (eddsa-jcs-2022 §3.3.2, eddsa-rdfc-2022 §3.2.2): the proof's @context
  // must be a prefix of the document's, and is what the signature covers.
  const proofOptions: JsonObject = {};
  for (const k of Object.keys(proof)) if (k !== 'proofValue') proofOptions[k] = proof[k]!;
  /** The @context the signature covers, when the proof names one (Verify Proof step 4). */
  let proofContext: JsonValue | undefined;
  /** The canonical JSON of the document the signature covers, when the caller's text is it. */
  let canonical = canonicalIn;
  if (proofOptions['@context'] !== undefined) {
    const pc = asArray(proofOptions['@context']);
    const dc = asArray(secured['@context']);
    if (pc.length > dc.length || !pc.every((c, i) => sameJson(c, dc[i]!))) {
      errors.push(problem('PROOF_VERIFICATION_FAILED', 'the proof\'s @context is not a prefix of the document\'s @context', `${path}.@context`));
      return result;
    }
    proofContext = proofOptions['@context'];
    // A prefix as long as the document's @context has the same canonical form (sameJson above), a
    // shorter one does not; nor has a lone context written as an array, or one in an array alone.
    if (pc.length !== dc.length || Array.isArray(proofOptions['@context']) !== Array.isArray(secured['@context'])) canonical = undefined;
  }
  // The document the signature covers: without its proofs, with the proof's @context if it has one.
  const unsecured = (): JsonObject => (proofContext === undefined ? unsecuredIn() : { ...unsecuredIn(), '@context': proofContext });
  // RDFC Proof Configuration (§3.2.5): the options with the (unsecured) document's @context.
  const documentContext = proofContext ?? secured['@context'];
  const config = SUITES[cryptosuite].transform === 'rdfc' && documentContext !== undefined
    ? { ...proofOptions, '@context': documentContext } : proofOptions;

  let key;
  let why: string | undefined;
  try {
    key = await opts.resolver(vmId);
  } catch (err) {
    // A resolver that knows the method's DID but cannot give its key says why (KeyResolver).
    key = null;
    why = err instanceof Error ? err.message : String(err);
  }
  if (!key) {
    errors.push(problem('VERIFICATION_METHOD_NOT_FOUND', `verification method ${vmId} could not be resolved to a key${why ? `: ${why}` : ''}`, `${path}.verificationMethod`));
    return result;
  }
  result.controller = key.controller;
  const want = SUITES[cryptosuite].suite;
  if (key.suite !== want) {
    errors.push(problem('KEY_SUITE_MISMATCH', `cryptosuite ${cryptosuite} needs ${want === 'sm2' ? 'an SM2' : 'an Ed25519'} key, but ${vmId} is ${key.suite === 'sm2' ? 'an SM2' : 'an Ed25519'} key`, `${path}.cryptosuite`));
    return result;
  }
  if (key.relationships && !key.relationships.includes(purpose)) {
    errors.push(problem('VERIFICATION_METHOD_NOT_AUTHORIZED', `${key.controller} does not authorise ${vmId} for ${purpose}`, `${path}.verificationMethod`));
  }
  let data: Uint8Array;
  try {
    data = isJcsCryptosuite(cryptosuite)
      ? jcsHashData(cryptosuite, config, () => canonical ?? canonicalize(unsecured()))
      : await hashData(cryptosuite, unsecured(), config);
  } catch (err) {
    if (err instanceof CanonicalizationError) {
      errors.push(problem('PROOF_TRANSFORMATION_FAILED', `the document cannot be canonicalised for ${cryptosuite} (RDFC-1.0): ${err.message}`, path));
      return result;
    }
    return malformed(`the document cannot be canonicalised (RFC 8785): ${(err as Error).message}`);
  }
  if (!cryptoVerify(key.suite, key.publicKey, data, signature)) {
    errors.push(problem('PROOF_VERIFICATION_FAILED', `the ${cryptosuite} signature does not match: the document or proof was changed after signing, or it was signed by another key than ${vmId}`, `${path}.proofValue`));
  }
  result.verified = errors.length === 0;
  return result;
}
