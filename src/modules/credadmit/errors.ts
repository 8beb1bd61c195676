/** Codes the credadmit module refuses presentations with. */
import type { ErrorList, Registered } from '../../codec/index.ts';

export const CREDADMIT_MODULE_ERRORS = {
  CREDADMIT_BAD_PRESENTATION: 'the presentation is not a verifiable presentation by the sender for that chain (the message says what is wrong)',
  CREDADMIT_EXPIRED: 'a credential in the presentation is not valid at this block time (before validFrom or after validUntil)',
  CREDADMIT_NOT_FOUND: 'the sender has no presentation for that chain',
} as const satisfies ErrorList;

export type CredadmitModuleErrorCode = keyof typeof CREDADMIT_MODULE_ERRORS;

declare module '../../codec/errors.ts' {
  interface ErrorCodes extends Registered<typeof CREDADMIT_MODULE_ERRORS, 'modules/credadmit'> {}
}
