/**
 * Verifiable presentations (VC Data Model 2.0 §4.13): a holder wraps credentials and signs for
 * an audience (domain) and a one-time challenge, so a presentation cannot be replayed elsewhere.
 */
import { ShulianError, isJsonObject } from '../../codec/index.ts';
import { nonJsonPath } from './json.ts';
import { CREDENTIALS_V2, checkContexts, type ContextPolicy } from './contexts.ts';
import { settleVerification, verifyCredential, type VerifyCredentialOptions } from './credential.ts';
import { checkJsonLd, type JsonLdCheck } from './jsonld.ts';
import { languageValueProblems } from './language.ts';
import { problem, type VcProblem } from './problems.ts';
import { addProof, verifyProofs, type ProofOptions } from './proof.ts';
import { presentationSchema, zodProblems } from './schema.ts';
import type { JsonObject, PresentationVerification, Signer, VerifiablePresentation } from './types.ts';

export interface PresentationInput {
  verifiableCredential?: JsonObject | JsonObject[];
  /** Default: the signer's DID. */
  holder?: string;
  id?: string;
  /** Contexts after the VC 2.0 context. */
  extraContexts?: string[];
  /** Types after VerifiablePresentation. */
  extraTypes?: string[];
}

export interface PresentOptions extends Omit<ProofOptions, 'proofPurpose'> {
  /** Required: the verifier's one-time challenge. */
  challenge: string;
  /** The verifier's domain (audience), when it named one. */
  domain?: string | string[];
}

function holderOf(vp: JsonObject): string | undefined {
  const h = vp.holder;
  if (typeof h === 'string') return h;
  if (isJsonObject(h) && typeof h.id === 'string') return h.id;
  return undefined;
}

/** Builds a presentation of `input.verifiableCredential` and signs it (authentication) for `challenge` and `domain`. */
export async function createPresentation(input: PresentationInput, signer: Signer, opts: PresentOptions): Promise<VerifiablePresentation> {
  if (typeof opts.challenge !== 'string' || opts.challenge === '') {
    throw new ShulianError('BAD_ARGUMENT', 'a presentation needs the verifier\'s challenge, so it cannot be replayed');
  }
  const holder = input.holder ?? signer.controller;
  if (holder !== signer.controller) {
    throw new ShulianError('VC_HOLDER_MISMATCH', `the holder is ${holder}, but the signing key belongs to ${signer.controller}`);
  }
  const vp: JsonObject = {
    '@context': [CREDENTIALS_V2, ...(input.extraContexts ?? [])],
    type: ['VerifiablePresentation', ...(input.extraTypes ?? [])],
  };
  if (input.id !== undefined) vp.id = input.id;
  vp.holder = holder;
  if (input.verifiableCredential !== undefined) vp.verifiableCredential = input.verifiableCredential;
  const problems = validatePresentation(vp);
  if (problems.length === 0) problems.push(...(await presentationJsonLd(vp, {})).errors);
  if (problems.length > 0) throw new ShulianError('VP_MALFORMED', problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join('; '));
  return (await addProof(vp, signer, { ...opts, proofPurpose: 'authentication' })) as unknown as VerifiablePresentation;
}

/** Structural problems of a presentation (embedded credentials are checked when verified). */
export function validatePresentation(input: unknown, contexts: ContextPolicy = {}): VcProblem[] {
  if (!isJsonObject(input)) return [problem('MALFORMED_PRESENTATION', 'a presentation must be a JSON object')];
  const notJson = nonJsonPath(input);
  if (notJson !== undefined) return [problem('MALFORMED_PRESENTATION', 'not plain JSON (only objects, arrays, strings, finite numbers, booleans and null, nested at most 64 deep)', notJson)];
  const out: VcProblem[] = [];
  const parsed = presentationSchema.safeParse(input);
  if (!parsed.success) out.push(...zodProblems(parsed.error, 'MALFORMED_PRESENTATION'));
  out.push(...checkContexts(input['@context'], contexts, 'presentation'));
  out.push(...languageValueProblems(input.name, 'name', 'MALFORMED_PRESENTATION'));
  out.push(...languageValueProblems(input.description, 'description', 'MALFORMED_PRESENTATION'));
  return out;
}

/**
 * The presentation's own JSON-LD problems. Its credentials are left out: each is checked when it
 * is verified, with its own contexts.
 */
function presentationJsonLd(vp: JsonObject, contexts: ContextPolicy): Promise<JsonLdCheck> {
  const { verifiableCredential: _vcs, ...own } = vp;
  return checkJsonLd(own, contexts, 'MALFORMED_PRESENTATION');
}

export interface VerifyPresentationOptions extends Omit<VerifyCredentialOptions, 'expectedProofPurpose' | 'challenge' | 'domain'> {
  /** The challenge the verifier issued: required in the proof when given. */
  challenge?: string;
  /** The verifier's domain: required in the proof when given. */
  domain?: string | string[];
  /** Default authentication. */
  expectedProofPurpose?: string;
}

/**
 * Verifies a presentation's proof (purpose, challenge, domain, holder binding) and every
 * credential in it. Never throws.
 */
export async function verifyPresentation(input: unknown, opts: VerifyPresentationOptions): Promise<PresentationVerification> {
  const out: PresentationVerification = { verified: false, errors: [], warnings: [], checks: [], proofs: [], credentials: [] };
  return settleVerification(out, () => run(input, opts, out));
}

async function run(input: unknown, opts: VerifyPresentationOptions, out: PresentationVerification): Promise<void> {
  const structural = validatePresentation(input, opts.contexts);
  if (structural.length > 0 || !isJsonObject(input)) {
    out.errors.push(...structural);
    return;
  }
  out.checks.push('structure', 'contexts');
  const ld = await presentationJsonLd(input, opts.contexts ?? {});
  out.errors.push(...ld.errors);
  out.warnings.push(...ld.warnings);
  if (ld.errors.length === 0) out.checks.push('jsonld');
  const now = opts.now === undefined ? Date.now() : opts.now instanceof Date ? opts.now.getTime() : opts.now;
  const holder = holderOf(input);
  if (holder !== undefined) out.holder = holder;
  if (input.proof === undefined) {
    out.errors.push(problem('PROOF_MISSING', 'the presentation has no proof, so nothing shows the holder presented it', 'proof'));
  } else {
    out.proofs = await verifyProofs(input, {
      resolver: opts.resolver, now, expectedProofPurpose: opts.expectedProofPurpose ?? 'authentication',
      ...(opts.challenge !== undefined ? { challenge: opts.challenge } : {}),
      ...(opts.domain !== undefined ? { domain: opts.domain } : {}),
      ...(opts.maxClockSkewMs !== undefined ? { maxClockSkewMs: opts.maxClockSkewMs } : {}),
    });
    for (const p of out.proofs) out.errors.push(...p.errors);
    if (out.proofs.every((p) => p.verified)) {
      out.checks.push('proof');
      if (holder !== undefined) {
        if (out.proofs.some((p) => p.controller === holder)) out.checks.push('holder');
        else out.errors.push(problem('HOLDER_MISMATCH', `no proof is by the holder ${holder}: the signing key belongs to ${out.proofs.map((p) => p.controller).join(', ')}`, 'holder'));
      }
    }
  }
  const raw = input.verifiableCredential;
  const vcs = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  const { challenge: _c, domain: _d, expectedProofPurpose: _p, ...credOpts } = opts;
  for (let i = 0; i < vcs.length; i++) {
    const path = Array.isArray(raw) ? `verifiableCredential[${i}]` : 'verifiableCredential';
    const vc = vcs[i];
    if (isJsonObject(vc) && vc.type === 'EnvelopedVerifiableCredential') {
      out.errors.push(problem('UNSUPPORTED_CREDENTIAL', 'enveloped credentials (JOSE/COSE) are not supported; embed the credential with its Data Integrity proof', path));
      continue;
    }
    const r = await verifyCredential(vc, { ...credOpts, now });
    out.credentials.push(r);
    out.warnings.push(...r.warnings.map((w) => ({ ...w, path: w.path ? `${path}.${w.path}` : path })));
    if (!r.verified) {
      out.errors.push(problem('CREDENTIAL_NOT_VERIFIED', `credential ${i + 1} of ${vcs.length} does not verify: ${r.errors.map((e) => e.code).join(', ')}`, path));
      out.errors.push(...r.errors.map((e) => ({ ...e, path: e.path ? `${path}.${e.path}` : path })));
    }
  }
  if (vcs.length > 0 && out.credentials.length === vcs.length && out.credentials.every((c) => c.verified)) out.checks.push('credentials');
}
