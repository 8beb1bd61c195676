/** Codes the xlock module (participant side of atomic cross-chain transactions) rejects with. */
import type { ErrorList, Registered } from '../../codec/index.ts';

export const XLOCK_MODULE_ERRORS = {
  XLOCK_ALREADY_PREPARED: 'the transaction already reached this chain; consent comes before its prepare',
  XLOCK_ABORTED: 'the transaction was rolled back before its prepare arrived (a no vote)',
  XLOCK_BAD_PACKET: 'a prepare payload is not valid',
  XLOCK_BAD_TX: 'the transaction\'s times are not consistent (recoverAfter must follow the deadline)',
  XLOCK_CONFLICT: 'the transaction already committed here; it cannot roll back',
  XLOCK_DUPLICATE: 'the transaction was already prepared here',
  XLOCK_NOT_COORDINATOR: 'transactions come only from an xtx port',
  XLOCK_NOT_FOUND: 'the transaction has not reached this chain',
  XLOCK_NOT_PARTICIPANT: 'the transaction does not name this chain exactly once',
  XLOCK_NOT_PREPARED: 'the transaction was never prepared here',
  XLOCK_NO_CONSENT: 'an owner of an operation neither began the transaction nor consented to it',
  XLOCK_SETTLED: 'the transaction is settled here; nothing to recover',
  XLOCK_TOO_EARLY: 'the transaction cannot be recovered before its recoverAfter time',
} as const satisfies ErrorList;

export type XlockModuleErrorCode = keyof typeof XLOCK_MODULE_ERRORS;

declare module '../../codec/errors.ts' {
  interface ErrorCodes extends Registered<typeof XLOCK_MODULE_ERRORS, 'modules/xlock'> {}
}
