/**
 * Errors of the DID library: DID syntax, multikeys, credentials and presentations, resolution
 * sources and sender authorisation. X.509 has its own list (x509/errors.ts). The W3C-defined
 * vocabularies these libraries also answer with — DID Resolution errors (resolver.ts) and VC
 * problem codes (vc/problems.ts) — are part of their result documents, not error codes.
 */
import type { ErrorList, Registered } from '../codec/index.ts';

export const DID_ERRORS = {
  INVALID_DID: 'not a DID, or not a valid did:shulian DID',
  INVALID_DID_URL: 'not a valid DID URL',
  METHOD_NOT_SUPPORTED: 'a DID of another method than did:shulian',
  INVALID_OPTIONS: 'DID resolution options (versionTime, versionId) are not valid',
  INVALID_DID_DOCUMENT: 'DID Resolution: the identity chain holds a malformed document for the DID',
  REPRESENTATION_NOT_SUPPORTED: 'DID Resolution: none of the accepted media types can be given',
  INTERNAL_ERROR: 'DID Resolution: the resolver could not read the identity chain',
  INVALID_PUBLIC_KEY: 'a public key is not a point on its curve',
  INVALID_PUBLIC_KEY_LENGTH: 'a public key has the wrong length for its type',
  INVALID_PUBLIC_KEY_TYPE: 'a multikey names a key type did:shulian does not support',
  BAD_MULTIBASE: 'a value is not multibase base58btc',
  BAD_MULTIKEY: 'a verification method\'s multikey cannot be decoded',
  VC_MALFORMED: 'a credential to sign is not valid',
  VP_MALFORMED: 'a presentation to sign is not valid',
  VC_ISSUER_MISMATCH: 'the credential\'s issuer is not the DID of the signing key',
  VC_HOLDER_MISMATCH: 'the presentation\'s holder is not the DID of the signing key',
  VC_SIGNING_KEY_NOT_AUTHORIZED: 'the signing key may not sign credentials for the issuer DID (not a current assertionMethod key of its document)',
  VC_ISSUER_UNRESOLVABLE: 'the issuer DID\'s document cannot be read, so the key to name in the proof is unknown',
  PROOF_GENERATION_ERROR: 'a data integrity proof cannot be made with these options',
  DID_INVALID: 'the sender is not a valid did:shulian DID',
  DID_STATE_INVALID: 'the identity chain holds a malformed document state for the DID',
  DID_STATE_UNAVAILABLE: 'the identity chain state of the DID cannot be read',
  DID_EXPORT_INVALID: 'a file of exported DID documents is malformed, or does not match the others or the trusted genesis',
} as const satisfies ErrorList;

export type DidErrorCode = keyof typeof DID_ERRORS;

declare module '../codec/errors.ts' {
  interface ErrorCodes extends Registered<typeof DID_ERRORS, 'did'> {}
}
