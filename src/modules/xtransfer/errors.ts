/** Codes the xtransfer module (tokens across chains) rejects transactions with. */
import type { ErrorList, Registered } from '../../codec/index.ts';

export const XTRANSFER_MODULE_ERRORS = {
  XTRANSFER_BAD_PACKET: 'a transfer payload is not valid',
  XTRANSFER_EXISTS: 'the token already exists here',
  XTRANSFER_HOLD_EXISTS: 'a hold with that id exists',
  XTRANSFER_HOLD_SETTLED: 'the hold was already released',
  XTRANSFER_INSUFFICIENT: 'the balance is less than the amount',
  XTRANSFER_NOT_ISSUER: 'the sender is not the token\'s issuer',
  XTRANSFER_NO_HOLD: 'no hold with that id',
} as const satisfies ErrorList;

export type XtransferModuleErrorCode = keyof typeof XTRANSFER_MODULE_ERRORS;

declare module '../../codec/errors.ts' {
  interface ErrorCodes extends Registered<typeof XTRANSFER_MODULE_ERRORS, 'modules/xtransfer'> {}
}
