/** Codes the validators module rejects transactions with. */
import type { ErrorList, Registered } from '../../codec/index.ts';

export const VALIDATORS_MODULE_ERRORS = {
  VALIDATORS_ALREADY_APPROVED: 'the validator already approved this change',
  VALIDATORS_INVALID: 'the proposed validator set is not valid',
  VALIDATORS_NOT_VALIDATOR: 'only current validators approve changes',
  VALIDATORS_ORDER: 'a change must come after the last one scheduled',
  VALIDATORS_TOO_LATE: 'the change\'s height is too close to take effect',
} as const satisfies ErrorList;

export type ValidatorsModuleErrorCode = keyof typeof VALIDATORS_MODULE_ERRORS;

declare module '../../codec/errors.ts' {
  interface ErrorCodes extends Registered<typeof VALIDATORS_MODULE_ERRORS, 'modules/validators'> {}
}
