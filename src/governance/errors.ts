/** Errors of reading governance state outside the chain (src/governance). */
import type { ErrorList, Registered } from '../codec/index.ts';

export const GOVERNANCE_ERRORS = {
  GOV_STATE_INVALID: 'governance state is not the shape this version expects',
} as const satisfies ErrorList;

export type GovernanceErrorCode = keyof typeof GOVERNANCE_ERRORS;

declare module '../codec/errors.ts' {
  interface ErrorCodes extends Registered<typeof GOVERNANCE_ERRORS, 'governance'> {}
}
