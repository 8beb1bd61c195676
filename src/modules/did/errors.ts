/** Codes the did module rejects transactions with (they land in the receipt's `code`). */
import type { ErrorList, Registered } from '../../codec/index.ts';

export const DID_MODULE_ERRORS = {
  DID_EXISTS: 'the sender already has a DID document',
  DID_NOT_FOUND: 'the DID has no document on the identity chain',
  DID_NOT_SELF_CERTIFYING: 'did.create was sent by another DID than the key\'s self-certifying one',
  DID_NOT_CONTROLLER: 'the sender is neither the DID nor one of its controllers',
  DID_DEACTIVATED: 'the DID was deactivated and cannot change',
  DID_KEY_EXISTS: 'the key is already one of the DID\'s keys',
  DID_KEY_NOT_FOUND: 'the DID has no key with that id',
  DID_KEY_REVOKED: 'the key was already revoked',
  DID_KEY_WRONG_TYPE: 'an Ed25519 key cannot be used for key agreement',
  DID_ID_TAKEN: 'the key id is already used (key ids are never reused)',
  DID_LAST_AUTH_KEY: 'the change would leave the DID without an authentication key',
  DID_ROTATE_AMBIGUOUS: 'the DID has several authentication keys; name the one to rotate',
  DID_CONTROLLER_EXISTS: 'the controller is listed twice or already controls the DID',
  DID_CONTROLLER_NOT_FOUND: 'that DID is not a controller',
  DID_CONTROLLER_SELF: 'a DID always controls itself; list only others',
  DID_SERVICE_NOT_FOUND: 'the DID has no service with that id',
  DID_SERVICE_TOO_LARGE: 'a service entry is larger than allowed',
  DID_TOO_MANY_CONTROLLERS: 'the DID has as many controllers as allowed',
  DID_TOO_MANY_KEYS: 'the DID has as many keys as allowed',
  DID_TOO_MANY_SERVICES: 'the DID has as many services as allowed',
  DID_KEY_INVALID: 'a public key is neither a 65-byte SM2 nor a 32-byte Ed25519 key in hex',
  DID_KEY_NOT_AUTHORIZED: 'the key may not sign for the DID (not in authentication or capabilityInvocation)',
  X509_ALREADY_BOUND: 'the certificate is already bound to the DID',
  X509_LEAF_KEY_NOT_DID: 'the leaf certificate certifies a key that is not a current SM2 key of the DID',
  X509_TOO_MANY_CERTIFICATES: 'the DID has as many bound certificates as allowed',
} as const satisfies ErrorList;

export type DidModuleErrorCode = keyof typeof DID_MODULE_ERRORS;

declare module '../../codec/errors.ts' {
  interface ErrorCodes extends Registered<typeof DID_MODULE_ERRORS, 'modules/did'> {}
}
