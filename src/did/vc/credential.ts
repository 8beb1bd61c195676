/**
 * Issuing and verifying credentials (VC Data Model 2.0) secured with Data Integrity proofs.
 * verifyCredential never throws: whatever it is given, it returns a verdict listing every
 * problem it found.
 */
import { ShulianError, isJsonObject } from '../../codec/index.ts';
import { nonJsonPath } from './json.ts';
import { checkContexts, type ContextPolicy } from './contexts.ts';
import { parseDateTime } from './datetime.ts';
import { checkJsonLd, checkJsonLdCanonical } from './jsonld.ts';
import { languageValueProblems } from './language.ts';
import { problem, type VcProblem } from './problems.ts';
import { addProof, verifyProofsCanonical, type ProofOptions } from './proof.ts';
import { relatedResourceProblems } from './related.ts';
import { credentialSchema, plainlyValidCredential, statusEntrySchema, zodProblems } from './schema.ts';
import { checkStatus, type StatusListSource } from './status.ts';
import type { Credential, CredentialVerification, JsonObject, KeyResolver, Signer, VerifiableCredential } from './types.ts';

/** The issuer's id: `issuer` as a URL, or `issuer.id`. */
export function issuerOf(credential: { issuer?: unknown }): string | undefined {
  const i = credential.issuer;
  if (typeof i === 'string') return i;
  if (isJsonObject(i) && typeof i.id === 'string') return i.id;
  return undefined;
}

/**
 * Structural problems of a credential (VC Data Model 2.0 §4, §5.3, §11.1; the JSON-LD checks
 * are async: checkJsonLd; proofs are checked elsewhere). An empty list means the shape is right.
 */
export function validateCredential(input: unknown, contexts: ContextPolicy = {}): VcProblem[] {
  if (!isJsonObject(input)) return [problem('MALFORMED_CREDENTIAL', 'a credential must be a JSON object')];
  const out: VcProblem[] = [];
  const notJson = nonJsonPath(input);
  if (notJson !== undefined) return [problem('MALFORMED_CREDENTIAL', 'not plain JSON (only objects, arrays, strings, finite numbers, booleans and null, nested at most 64 deep)', notJson)];
  if (!plainlyValidCredential(input)) {
    const parsed = credentialSchema.safeParse(input);
    if (!parsed.success) out.push(...zodProblems(parsed.error, 'MALFORMED_CREDENTIAL'));
  }
  out.push(...checkContexts(input['@context'], contexts, 'credential'));
  out.push(...languageValueProblems(input.name, 'name', 'MALFORMED_CREDENTIAL'));
  out.push(...languageValueProblems(input.description, 'description', 'MALFORMED_CREDENTIAL'));
  if (isJsonObject(input.issuer)) {
    out.push(...languageValueProblems(input.issuer.name, 'issuer.name', 'MALFORMED_CREDENTIAL'));
    out.push(...languageValueProblems(input.issuer.description, 'issuer.description', 'MALFORMED_CREDENTIAL'));
  }
  out.push(...relatedResourceProblems(input.relatedResource));
  const status = input.credentialStatus;
  const entries = status === undefined ? [] : Array.isArray(status) ? status : [status];
  entries.forEach((e, i) => {
    if (isJsonObject(e) && e.type === 'BitstringStatusListEntry') {
      const r = statusEntrySchema.safeParse(e);
      const base = Array.isArray(status) ? `credentialStatus[${i}]` : 'credentialStatus';
      if (!r.success) out.push(...zodProblems(r.error, 'MALFORMED_CREDENTIAL').map((p) => ({ ...p, path: p.path ? `${base}.${p.path}` : base })));
    }
  });
  const from = parseDateTime(input.validFrom);
  const until = parseDateTime(input.validUntil);
  if (from !== undefined && until !== undefined && until < from) {
    out.push(problem('MALFORMED_CREDENTIAL', `validUntil (${String(input.validUntil)}) is before validFrom (${String(input.validFrom)})`, 'validUntil'));
  }
  return out;
}

export interface IssueOptions extends Omit<ProofOptions, 'proofPurpose'> {
  contexts?: ContextPolicy;
}

/**
 * Secures `credential` with a Data Integrity proof by `signer` (assertionMethod). The issuer
 * must be the signer's DID. Throws VC_MALFORMED (with every problem) or VC_ISSUER_MISMATCH.
 */
export async function issueCredential(credential: unknown, signer: Signer, opts: IssueOptions = {}): Promise<VerifiableCredential> {
  const problems = validateCredential(credential, opts.contexts);
  if (!isJsonObject(credential)) throw new ShulianError('VC_MALFORMED', 'a credential must be a JSON object');
  if (credential.proof !== undefined) problems.push(problem('MALFORMED_CREDENTIAL', 'the credential to issue already carries a proof', 'proof'));
  // Read as JSON-LD only once the shape is right (the JSON-LD messages assume it).
  if (problems.length === 0) problems.push(...(await checkJsonLd(credential, opts.contexts ?? {}, 'MALFORMED_CREDENTIAL')).errors);
  if (problems.length > 0) {
    throw new ShulianError('VC_MALFORMED', `the credential is not valid: ${problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join('; ')}`, { problems });
  }
  const issuer = issuerOf(credential);
  if (issuer !== signer.controller) {
    throw new ShulianError('VC_ISSUER_MISMATCH', `the credential's issuer is ${String(issuer)}, but the signing key belongs to ${signer.controller}`);
  }
  const { contexts: _contexts, ...proofOpts } = opts;
  return (await addProof(credential as Credential as JsonObject, signer, { ...proofOpts, proofPurpose: 'assertionMethod' })) as unknown as VerifiableCredential;
}

export interface VerifyCredentialOptions {
  resolver: KeyResolver;
  /** Verification time (default now). */
  now?: number | Date;
  contexts?: ContextPolicy;
  /** Where status list credentials come from; a credential with a status entry fails STATUS_UNCHECKED without one. */
  statusSource?: StatusListSource;
  /** Set false to skip status checks entirely (default true). */
  checkStatus?: boolean;
  /** Status services trusted to publish lists on behalf of issuers (see status.ts). */
  trustedStatusIssuers?: readonly string[];
  minStatusListEntries?: number;
  maxClockSkewMs?: number;
  /** Default assertionMethod. */
  expectedProofPurpose?: string;
  /** Checked against the proof when given (rare for credentials; presentations use them). */
  challenge?: string;
  domain?: string | string[];
}

function timeOf(now: number | Date | undefined): number {
  if (now === undefined) return Date.now();
  return now instanceof Date ? now.getTime() : now;
}

/** Verifies a credential: structure, contexts, proofs, issuer binding, validity period and status. */
export async function verifyCredential(input: unknown, opts: VerifyCredentialOptions): Promise<CredentialVerification> {
  const out: CredentialVerification = { verified: false, errors: [], warnings: [], checks: [], proofs: [], status: [] };
  return settleVerification(out, () => run(input, opts, out));
}

/**
 * Runs a verification that fills `out`, turning any exception into an INTERNAL problem (the
 * verifiers never throw); verified means no errors and a checked proof.
 */
export async function settleVerification<T extends { verified: boolean; errors: VcProblem[]; checks: string[] }>(out: T, body: () => Promise<void>): Promise<T> {
  try {
    await body();
  } catch (err) {
    out.errors.push(problem('INTERNAL', `verification stopped: ${(err as Error)?.message ?? String(err)}`));
  }
  out.verified = out.errors.length === 0 && out.checks.includes('proof');
  return out;
}

async function run(input: unknown, opts: VerifyCredentialOptions, out: CredentialVerification): Promise<void> {
  const structural = validateCredential(input, opts.contexts);
  if (structural.length > 0 || !isJsonObject(input)) {
    out.errors.push(...structural);
    return;
  }
  out.checks.push('structure', 'contexts');
  // The shape walk also writes the canonical form the proof check hashes (JCS suites).
  const checked = checkJsonLdCanonical(input, opts.contexts ?? {}, 'MALFORMED_CREDENTIAL');
  const { check: ld, canonical } = checked instanceof Promise ? await checked : checked;
  out.errors.push(...ld.errors);
  out.warnings.push(...ld.warnings);
  if (ld.errors.length === 0) out.checks.push('jsonld');
  const issuer = issuerOf(input)!;
  out.issuer = issuer;
  const now = timeOf(opts.now);
  if (input.proof === undefined) {
    out.errors.push(problem('PROOF_MISSING', 'the credential has no proof, so nothing vouches for it', 'proof'));
    return;
  }
  const proofOpts = {
    resolver: opts.resolver, now, expectedProofPurpose: opts.expectedProofPurpose ?? 'assertionMethod',
    ...(opts.maxClockSkewMs !== undefined ? { maxClockSkewMs: opts.maxClockSkewMs } : {}),
    ...(opts.challenge !== undefined ? { challenge: opts.challenge } : {}),
    ...(opts.domain !== undefined ? { domain: opts.domain } : {}),
  };
  out.proofs = await verifyProofsCanonical(input, proofOpts, canonical);
  for (const p of out.proofs) out.errors.push(...p.errors);
  if (out.proofs.length > 0 && out.proofs.every((p) => p.verified)) {
    out.checks.push('proof');
    if (out.proofs.some((p) => p.controller === issuer)) {
      out.checks.push('issuer');
    } else {
      out.errors.push(problem('ISSUER_MISMATCH', `no proof is by the issuer ${issuer}: the signing key belongs to ${out.proofs.map((p) => p.controller).join(', ')}`, 'issuer'));
    }
  }

  const from = parseDateTime(input.validFrom);
  const until = parseDateTime(input.validUntil);
  let valid = true;
  if (from !== undefined && now < from) {
    valid = false;
    out.errors.push(problem('NOT_YET_VALID', `the credential is valid from ${String(input.validFrom)}; it is ${new Date(now).toISOString()}`, 'validFrom'));
  }
  if (until !== undefined && now > until) {
    valid = false;
    out.errors.push(problem('EXPIRED', `the credential expired at ${String(input.validUntil)}; it is ${new Date(now).toISOString()}`, 'validUntil'));
  }
  if (valid) out.checks.push('validity');

  // Status is read only for an authentic credential: a forged one gets no network calls.
  if (input.credentialStatus !== undefined && opts.checkStatus !== false && out.errors.length === 0) {
    const s = await checkStatus(input, issuer, {
      ...(opts.statusSource ? { source: opts.statusSource } : {}),
      ...(opts.trustedStatusIssuers ? { trustedStatusIssuers: opts.trustedStatusIssuers } : {}),
      ...(opts.minStatusListEntries !== undefined ? { minEntries: opts.minStatusListEntries } : {}),
    }, (vc) => verifyCredential(vc, { ...opts, now, checkStatus: false, challenge: undefined, domain: undefined, expectedProofPurpose: 'assertionMethod' }));
    out.errors.push(...s.errors);
    out.warnings.push(...s.warnings);
    out.status = s.results;
    if (s.errors.length === 0) out.checks.push('status');
  }
}
