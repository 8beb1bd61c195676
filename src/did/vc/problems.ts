/**
 * Why a credential, presentation or proof did not verify. Every failure is a problem with a
 * stable `code`, a message that says what was wrong, and the VC-API ProblemDetails `type` URL
 * of the error class the W3C specifications define for it (VC Data Model 2.0 §7.1, VC Data
 * Integrity §4, Bitstring Status List §3.4).
 */

export type VcErrorCode =
  | 'MALFORMED_CREDENTIAL'
  | 'MALFORMED_PRESENTATION'
  | 'UNKNOWN_CONTEXT'
  | 'PROOF_MISSING'
  | 'MALFORMED_PROOF'
  | 'UNSUPPORTED_CRYPTOSUITE'
  | 'PROOF_VERIFICATION_FAILED'
  | 'VERIFICATION_METHOD_NOT_FOUND'
  | 'VERIFICATION_METHOD_NOT_AUTHORIZED'
  | 'KEY_SUITE_MISMATCH'
  | 'PROOF_PURPOSE_MISMATCH'
  | 'INVALID_CHALLENGE'
  | 'INVALID_DOMAIN'
  | 'PROOF_EXPIRED'
  | 'PROOF_CREATED_IN_FUTURE'
  | 'ISSUER_MISMATCH'
  | 'HOLDER_MISMATCH'
  | 'NOT_YET_VALID'
  | 'EXPIRED'
  | 'CREDENTIAL_NOT_VERIFIED'
  | 'UNSUPPORTED_CREDENTIAL'
  | 'REVOKED'
  | 'SUSPENDED'
  | 'STATUS_UNCHECKED'
  | 'STATUS_RETRIEVAL_ERROR'
  | 'STATUS_VERIFICATION_ERROR'
  | 'STATUS_LIST_LENGTH_ERROR'
  | 'STATUS_RANGE_ERROR'
  | 'INTERNAL';

export interface VcProblem {
  code: VcErrorCode;
  message: string;
  /** ProblemDetails `type`: the specification's error class as a URL. */
  type: string;
  /** JSON path of the offending value, when there is one (e.g. `credentialSubject.id`). */
  path?: string;
}

const VCDM = 'https://www.w3.org/TR/vc-data-model#';
const DI = 'https://www.w3.org/TR/vc-data-integrity#';
const BSL = 'https://www.w3.org/TR/vc-bitstring-status-list#';

const TYPE: Record<VcErrorCode, string> = {
  MALFORMED_CREDENTIAL: VCDM + 'MALFORMED_VALUE_ERROR',
  MALFORMED_PRESENTATION: VCDM + 'MALFORMED_VALUE_ERROR',
  UNKNOWN_CONTEXT: VCDM + 'MALFORMED_VALUE_ERROR',
  PROOF_MISSING: VCDM + 'CRYPTOGRAPHIC_SECURITY_ERROR',
  MALFORMED_PROOF: DI + 'PROOF_VERIFICATION_ERROR',
  UNSUPPORTED_CRYPTOSUITE: DI + 'PROOF_VERIFICATION_ERROR',
  PROOF_VERIFICATION_FAILED: DI + 'PROOF_VERIFICATION_ERROR',
  VERIFICATION_METHOD_NOT_FOUND: DI + 'PROOF_VERIFICATION_ERROR',
  VERIFICATION_METHOD_NOT_AUTHORIZED: DI + 'PROOF_VERIFICATION_ERROR',
  KEY_SUITE_MISMATCH: DI + 'PROOF_VERIFICATION_ERROR',
  PROOF_PURPOSE_MISMATCH: DI + 'PROOF_VERIFICATION_ERROR',
  INVALID_CHALLENGE: DI + 'INVALID_CHALLENGE_ERROR',
  INVALID_DOMAIN: DI + 'INVALID_DOMAIN_ERROR',
  PROOF_EXPIRED: DI + 'PROOF_VERIFICATION_ERROR',
  PROOF_CREATED_IN_FUTURE: DI + 'PROOF_VERIFICATION_ERROR',
  ISSUER_MISMATCH: VCDM + 'CRYPTOGRAPHIC_SECURITY_ERROR',
  HOLDER_MISMATCH: VCDM + 'CRYPTOGRAPHIC_SECURITY_ERROR',
  NOT_YET_VALID: VCDM + 'RANGE_ERROR',
  EXPIRED: VCDM + 'RANGE_ERROR',
  CREDENTIAL_NOT_VERIFIED: VCDM + 'CRYPTOGRAPHIC_SECURITY_ERROR',
  UNSUPPORTED_CREDENTIAL: VCDM + 'MALFORMED_VALUE_ERROR',
  REVOKED: BSL + 'STATUS_VERIFICATION_ERROR',
  SUSPENDED: BSL + 'STATUS_VERIFICATION_ERROR',
  STATUS_UNCHECKED: BSL + 'STATUS_RETRIEVAL_ERROR',
  STATUS_RETRIEVAL_ERROR: BSL + 'STATUS_RETRIEVAL_ERROR',
  STATUS_VERIFICATION_ERROR: BSL + 'STATUS_VERIFICATION_ERROR',
  STATUS_LIST_LENGTH_ERROR: BSL + 'STATUS_LIST_LENGTH_ERROR',
  STATUS_RANGE_ERROR: VCDM + 'RANGE_ERROR',
  INTERNAL: VCDM + 'PARSING_ERROR',
};

export function problem(code: VcErrorCode, message: string, path?: string): VcProblem {
  const p: VcProblem = { code, message, type: TYPE[code] };
  if (path !== undefined && path !== '') p.path = path;
  return p;
}

/** VC-API ProblemDetails (`type`, `title`, `detail`) of a problem. */
export function problemDetails(p: VcProblem): { type: string; title: string; detail: string } {
  return { type: p.type, title: p.code, detail: p.path ? `${p.path}: ${p.message}` : p.message };
}
