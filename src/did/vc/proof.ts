/**
 * Data Integrity proofs (VC Data Integrity 1.0) with two JCS cryptosuites:
 *  - `eddsa-jcs-2022` (EdDSA Cryptosuites v1.0 §3.3): SHA-256 and Ed25519;
 *  - `sm2-jcs-2024` (docs/credentials.md): the same steps with SM3 and SM2 (default ID).
 * Both: transformation = JCS (RFC 8785) of the document without `proof`; proof configuration =
 * JCS of the proof options (with the document's `@context`); hashData = H(proof configuration) ‖
 * H(transformed document); proofValue = multibase base58btc of the 64-byte signature of hashData.
 */
import { createHash, hash as nodeHash } from 'node:crypto';
import { ShulianError, canonicalize, asJson, type JsonValue } from '../../codec/index.ts';
import { verify as cryptoVerify, type Suite } from '../../crypto/index.ts';
import { formatDateTime, parseDateTime } from './datetime.ts';
import { fromMultibase58, toMultibase58 } from './multikey.ts';
import { problem, type VcProblem } from './problems.ts';
import { URL_RE } from './schema.ts';
import type { Cryptosuite, DataIntegrityProof, JsonObject, KeyResolver, ProofResult, Signer } from './types.ts';

interface SuiteDef {
  suite: Suite;
  /** SHA-256 (eddsa-jcs-2022) or SM3 (sm2-jcs-2024), both 32 bytes. */
  hash: 'sha256' | 'sm3';
}

const SUITES: Readonly<Record<Cryptosuite, SuiteDef>> = {
  'eddsa-jcs-2022': { suite: 'ed25519', hash: 'sha256' },
  'sm2-jcs-2024': { suite: 'sm2', hash: 'sm3' },
};

export const SUPPORTED_CRYPTOSUITES: readonly Cryptosuite[] = ['eddsa-jcs-2022', 'sm2-jcs-2024'];

export function isCryptosuite(x: unknown): x is Cryptosuite {
  return x === 'eddsa-jcs-2022' || x === 'sm2-jcs-2024';
}

/** The cryptosuite that signs with a key of `suite`. */
export function cryptosuiteFor(suite: Suite): Cryptosuite {
  return suite === 'ed25519' ? 'eddsa-jcs-2022' : 'sm2-jcs-2024';
}

// The same OpenSSL digests as crypto/'s sha256 and sm3, fed the canonical JSON text directly
// (hashed as UTF-8) to skip two copies per hash on the verification hot path.
const hasOneShot = typeof nodeHash === 'function';
function digestText(alg: 'sha256' | 'sm3', text: string): Buffer {
  return hasOneShot ? (nodeHash(alg, text, 'buffer') as unknown as Buffer) : createHash(alg).update(text, 'utf8').digest();
}

/** hashData = H(JCS(proofConfig)) ‖ H(JCS(unsecuredDocument)), H = SHA-256 or SM3 by cryptosuite. */
export function hashData(cryptosuite: Cryptosuite, unsecuredDocument: JsonObject, proofConfig: JsonObject): Uint8Array {
  const alg = SUITES[cryptosuite].hash;
  const out = new Uint8Array(64);
  out.set(digestText(alg, canonicalize(proofConfig)), 0);
  out.set(digestText(alg, canonicalize(unsecuredDocument)), 32);
  return out;
}

export interface ProofOptions {
  /** Default: by the signer's key (Ed25519 → eddsa-jcs-2022, SM2 → sm2-jcs-2024). */
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
  if (document['@context'] !== undefined) proof['@context'] = document['@context'];
  const data = hashData(cryptosuite, withoutProof(document), proof);
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

function isObject(x: unknown): x is JsonObject {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

/**
 * Verifies every proof of a secured document (VC Data Integrity §4.4 with the cryptosuite's
 * Verify Proof). Never throws; each result lists what failed.
 */
export async function verifyProofs(securedDocument: JsonObject, opts: VerifyProofOptions): Promise<ProofResult[]> {
  const proofs = asArray(securedDocument.proof);
  if (proofs.length === 0) return [];
  const unsecured = withoutProof(securedDocument);
  const out: ProofResult[] = [];
  for (let i = 0; i < proofs.length; i++) {
    out.push(await verifyOne(securedDocument, unsecured, proofs[i]!, opts, proofs.length > 1 ? `proof[${i}]` : 'proof'));
  }
  return out;
}

async function verifyOne(secured: JsonObject, unsecuredIn: JsonObject, proofIn: JsonValue, opts: VerifyProofOptions, path: string): Promise<ProofResult> {
  const errors: VcProblem[] = [];
  const result: ProofResult = { verified: false, errors };
  const malformed = (msg: string, sub?: string): ProofResult => {
    errors.push(problem('MALFORMED_PROOF', msg, sub ? `${path}.${sub}` : path));
    return result;
  };
  if (!isObject(proofIn)) return malformed('a proof must be an object');
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

  // eddsa-jcs-2022 §3.3.2 step 4: the proof's @context must be a prefix of the document's, and
  // is what the signature covers.
  const proofOptions: JsonObject = {};
  for (const k of Object.keys(proof)) if (k !== 'proofValue') proofOptions[k] = proof[k]!;
  let unsecured = unsecuredIn;
  if (proofOptions['@context'] !== undefined) {
    const pc = asArray(proofOptions['@context']);
    const dc = asArray(secured['@context']);
    if (pc.length > dc.length || !pc.every((c, i) => sameJson(c, dc[i]!))) {
      errors.push(problem('PROOF_VERIFICATION_FAILED', 'the proof\'s @context is not a prefix of the document\'s @context', `${path}.@context`));
      return result;
    }
    unsecured = { ...unsecuredIn, '@context': proofOptions['@context']! };
  }

  let key;
  try {
    key = await opts.resolver(vmId);
  } catch {
    key = null;
  }
  if (!key) {
    errors.push(problem('VERIFICATION_METHOD_NOT_FOUND', `verification method ${vmId} could not be resolved to a key`, `${path}.verificationMethod`));
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
    data = hashData(cryptosuite, unsecured, proofOptions);
  } catch (err) {
    return malformed(`the document cannot be canonicalised (RFC 8785): ${(err as Error).message}`);
  }
  if (!cryptoVerify(key.suite, key.publicKey, data, signature)) {
    errors.push(problem('PROOF_VERIFICATION_FAILED', `the ${cryptosuite} signature does not match: the document or proof was changed after signing, or it was signed by another key than ${vmId}`, `${path}.proofValue`));
  }
  result.verified = errors.length === 0;
  return result;
}
