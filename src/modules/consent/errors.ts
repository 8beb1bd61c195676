/** Codes the consent module rejects transactions and checks with. */
import type { ErrorList, Registered } from '../../codec/index.ts';

export const CONSENT_MODULE_ERRORS = {
  CONSENT_EXISTS: 'a consent with that digest is already recorded',
  CONSENT_NOT_FOUND: 'no consent with that digest on this chain',
  CONSENT_NOT_SUBJECT: 'only the data subject (the pairwise DID that gave it) may withdraw a consent or ask for portability',
  CONSENT_WITHDRAWN: 'the consent was withdrawn; uses from the block after the withdrawal are refused',
  CONSENT_EXPIRED: 'the consent\'s expiry has passed',
  CONSENT_WRONG_CONTROLLER: 'the consent does not name the organisation that wants to use the data',
  CONSENT_WRONG_PURPOSE: 'the use\'s purpose is not the consent\'s purpose or narrower',
  CONSENT_LIMIT: 'the subject DID has as many consents or requests as one DID may keep; use a new pairwise DID',
  CONSENT_SIGNER_NOT_SUBJECT: 'the consent credential is not signed by its subject',
  CONSENT_BAD_CREDENTIAL: 'the consent credential does not verify or does not match its record on chain',
  PORTABILITY_EXISTS: 'a portability request with that id is already recorded',
  PORTABILITY_NOT_FOUND: 'no portability request with that id',
  PORTABILITY_NOT_SOURCE: 'only the organisation holding the data (the request\'s source) may record its fulfilment',
  PORTABILITY_FULFILLED: 'the portability request was already fulfilled',
} as const satisfies ErrorList;

export type ConsentModuleErrorCode = keyof typeof CONSENT_MODULE_ERRORS;

declare module '../../codec/errors.ts' {
  interface ErrorCodes extends Registered<typeof CONSENT_MODULE_ERRORS, 'modules/consent'> {}
}
