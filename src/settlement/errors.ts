/** Errors of the settlement services off the chain: invoices, statements, readers and payment rails. */
import type { ErrorList, Registered } from '../codec/index.ts';

export const SETTLEMENT_ERRORS = {
  NOT_SETTLED: 'the instruction is not settled, so it has no invoice',
  NOT_A_SERVICE: 'the instruction is not marked as a service, so it has no invoice',
  RAIL_FUNDS: 'the sandbox rail\'s omnibus account holds less than the payout',
  MINT_FAILED: 'the deposit watcher could not mint a deposit on the chain; the rail retries',
  RAIL_SIGNATURE_INVALID: 'a payment rail webhook is unsigned or its signature does not verify',
  RAIL_WEBHOOK_INVALID: 'a payment rail webhook is not a deposit event this rail understands',
} as const satisfies ErrorList;

export type SettlementErrorCode = keyof typeof SETTLEMENT_ERRORS;

declare module '../codec/errors.ts' {
  interface ErrorCodes extends Registered<typeof SETTLEMENT_ERRORS, 'settlement'> {}
}
