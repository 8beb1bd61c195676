/** Codes the privacy module rejects transactions with (grant and consent refusals keep dataauth's and consent's codes). */
import type { ErrorList, Registered } from '../../codec/index.ts';

export const PRIVACY_MODULE_ERRORS = {
  PRIVACY_RUN_NOT_FOUND: 'no computation run with that id',
  PRIVACY_NOT_PARTY: 'the sender is not the run\'s requester or the owner of one of its datasets, or not in the role the step needs',
  PRIVACY_BAD_REQUEST: 'the request does not fit its protocol (columns, key, datasets, grants or consents)',
  PRIVACY_RUN_ENDED: 'the run is already done or failed',
  PRIVACY_NOT_READY: 'the run cannot complete before both parties reported their inputs',
} as const satisfies ErrorList;

export type PrivacyModuleErrorCode = keyof typeof PRIVACY_MODULE_ERRORS;

declare module '../../codec/errors.ts' {
  interface ErrorCodes extends Registered<typeof PRIVACY_MODULE_ERRORS, 'modules/privacy'> {}
}
