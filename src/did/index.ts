/**
 * did:shulian off-chain side (docs/did-method.md): DID syntax, Multikey keys, DID documents
 * from the identity chain's `did` module state, resolution with state proofs, sender
 * authorisation, and a `did-resolver` plugin.
 */
// DID syntax and Multikey live in src/crypto (below the modules, which check DIDs on chain).
export {
  parseDid, formatDid, parseShulianDid, parseShulianId, shulianDidOf, isShulianDid, shulianDidFromIdBytes,
  DidSyntaxError, SHULIAN_METHOD, SHULIAN_ID_BYTES, MAX_DID_URL_LENGTH,
  type ParsedDid, type ShulianDid,
} from '../crypto/index.ts';
export {
  encodeMultikey, decodeMultikey, checkRawPublicKey, compressSm2, decompressSm2, MultikeyError,
  MULTICODEC_ED25519_PUB, MULTICODEC_SM2_PUB, type DecodedMultikey,
} from '../crypto/index.ts';
export {
  buildDidDocument, buildDocumentMetadata, xmlDateTime, DID_CONTEXT, MULTIKEY_CONTEXT,
  type DidDocument, type DidDocumentMetadata, type VerificationMethod, type DidService,
} from './document.ts';
export {
  resolveDid, verifyDidResolution, resolutionStatus, resolutionErrorCode, resolutionError, parseVersionTime,
  RESOLUTION_CONTEXT, RESOLUTION_HTTP_STATUS, MEDIA_DID_LD_JSON, MEDIA_DID_JSON, MEDIA_DID_RESOLUTION,
  type DidResolutionResult, type DidResolutionMetadata, type DidResolutionError, type DidResolutionErrorCode,
  type DidStateProof, type ResolveOptions, type VerifyResolutionOptions,
} from './resolver.ts';
export {
  chainStateSource, httpStateSource, type DidStateSource, type SignedHeader, type ChainReads, type HttpSourceOptions,
  type FetchFn,
} from './source.ts';
export { authorizeSender, authorizeSenderSync, type SenderAuthorization, type SyncDidStateSource } from './authorize.ts';
export { getResolver, toDidResolverResult } from './plugin.ts';
export {
  authorizeKey, readDidDocState, DID_RELATIONSHIPS, type DidDocState, type DidKeyState,
  type DidServiceState, type DidRelationship, type KeyAuthorization,
} from '../modules/did/types.ts';
export { docStateKey } from '../modules/did/keys.ts';
// Verifiable credentials (src/did/vc, written separately).
export * from './vc/index.ts';
export {
  verifyCertificateChain, parseCertificate, loadTrustRoots, X509Error, type ChainVerification, type TrustRoots,
} from '../crypto/x509/index.ts';
