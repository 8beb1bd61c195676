/**
 * Verifiable credentials for Shulian: VC Data Model 2.0 credentials and presentations secured
 * with Data Integrity proofs (eddsa-rdfc-2022, eddsa-jcs-2022, and sm2-jcs-2024 specified in
 * docs/credentials.md), JSON-LD processing against bundled contexts only, and Bitstring Status
 * List revocation and suspension backed by the identity chain's vcstatus module.
 */
export type {
  JsonObject, Cryptosuite, DataIntegrityProof, Credential, VerifiableCredential, Presentation, VerifiablePresentation,
  ResolvedKey, KeyResolver, Signer, ProofResult, StatusResult, CredentialVerification, PresentationVerification,
} from './types.ts';
export { problem, problemDetails, type VcProblem, type VcErrorCode } from './problems.ts';
export { parseDateTime, formatDateTime } from './datetime.ts';
export {
  CREDENTIALS_V2, CREDENTIALS_EXAMPLES_V2, DATA_INTEGRITY_V2, MULTIKEY_V1, DID_V1, UNDEFINED_TERMS_V2, BUNDLED_CONTEXTS, bundledContext, checkContexts,
  type ContextPolicy,
} from './contexts.ts';
// Multikey encoding itself is internal here (src/did exports the shared one); these are the proof-value helpers.
export { decodeEd25519SecretMultibase, toMultibase58, fromMultibase58 } from './multikey.ts';
export {
  keyPairSigner, didKeyOf, didKeyResolver, shulianKeyResolver, staticKeyResolver, combineResolvers, ALL_RELATIONSHIPS,
  type KeyPairSignerOptions, type ShulianKeyResolverOptions,
} from './keys.ts';
export {
  createProof, addProof, verifyProofs, hashData, hashDataJcs, proofCounts, isJcsCryptosuite, cryptosuiteFor, keySuiteOf, isCryptosuite, SUPPORTED_CRYPTOSUITES,
  type ProofOptions, type VerifyProofOptions,
} from './proof.ts';
export { checkJsonLd, jsonLdCounts, rdfCanonical, CanonicalizationError, MAX_CONTEXT_LOADS, type JsonLdCheck } from './jsonld.ts';
export { iriProblem, isAbsoluteIri, MAX_IRI_LENGTH } from './iri.ts';
export { isLanguageTag, languageValueProblems } from './language.ts';
export { relatedResourceProblems, digestSriProblem, digestMultibaseProblem, MAX_RELATED_RESOURCES } from './related.ts';
export { issueCredential, verifyCredential, validateCredential, issuerOf, type IssueOptions, type VerifyCredentialOptions } from './credential.ts';
export { createPresentation, verifyPresentation, validatePresentation, type PresentationInput, type PresentOptions, type VerifyPresentationOptions } from './presentation.ts';
export {
  httpStatusListSource, staticStatusListSource, encodeStatusList, decodeStatusList, readStatusBits, checkStatus,
  MIN_STATUS_LIST_ENTRIES, MAX_STATUS_LIST_BITS, type StatusListSource, type StatusCheckOptions, type HttpStatusListSourceOptions,
} from './status.ts';
export { createStatusListService, STATUS_LIST_PATH, type StatusListService, type StatusListServiceOptions } from './status-service.ts';
