/** Codes the xtx module (coordinator of atomic cross-chain transactions) rejects with. */
import type { ErrorList, Registered } from '../../codec/index.ts';

export const XTX_MODULE_ERRORS = {
  XTX_BAD_DEADLINE: 'the deadline is not after this block\'s time or is too far',
  XTX_BAD_PACKET: 'a packet payload is not valid',
  XTX_BAD_TX: 'the transaction is not valid (e.g. a participant appears twice)',
  XTX_DECIDED: 'the transaction was already decided',
  XTX_EXISTS: 'a transaction with that id exists',
  XTX_FORBIDDEN: 'only the initiator may abort before the deadline',
  XTX_NOTHING_TO_RESEND: 'every participant has the decision or has one in flight',
  XTX_NOT_FOUND: 'no transaction with that id',
  XTX_NOT_PARTICIPANT: 'the chain is not a participant',
  XTX_UNDECIDED: 'the transaction has no decision yet',
} as const satisfies ErrorList;

export type XtxModuleErrorCode = keyof typeof XTX_MODULE_ERRORS;

declare module '../../codec/errors.ts' {
  interface ErrorCodes extends Registered<typeof XTX_MODULE_ERRORS, 'modules/xtx'> {}
}
