/** Codes the ODRL evaluator refuses a policy or a request with. */
import type { ErrorList, Registered } from '../codec/index.ts';

export const ODRL_ERRORS = {
  ODRL_INVALID_POLICY: 'the ODRL policy is not well formed (the message names the rule and field)',
  ODRL_UNKNOWN_OPERATOR: 'a constraint uses an operator this evaluator does not implement; it refuses rather than guess',
  ODRL_UNKNOWN_LEFT_OPERAND: 'a constraint names a left operand this evaluator does not implement',
  ODRL_UNKNOWN_ACTION: 'a rule or request names an action outside the ODRL 2.2 actions this evaluator knows',
  ODRL_UNKNOWN_PURPOSE: 'a purpose is not a term of the DPV purpose vocabulary',
  ODRL_NO_PERMISSION: 'no permission of the policy covers the requested action, target and party',
  ODRL_CONSTRAINT: 'a constraint of the permission does not hold (count, time window, purpose or recipient); the message names it',
  ODRL_PROHIBITED: 'a prohibition of the policy applies to the use',
  ODRL_CONFLICT: 'a permission and a prohibition both apply and the policy\'s conflict strategy voids it',
} as const satisfies ErrorList;

export type OdrlErrorCode = keyof typeof ODRL_ERRORS;

declare module '../codec/errors.ts' {
  interface ErrorCodes extends Registered<typeof ODRL_ERRORS, 'odrl'> {}
}
