/** Errors of the supervision rule language (src/rules): a rule that does not parse or is not bounded. */
import type { ErrorList, Registered } from '../codec/index.ts';

export const RULES_ERRORS = {
  RULE_INVALID: 'a supervision rule is not a valid rule document (a field is missing, of the wrong type or out of range)',
  RULE_EXPR_INVALID: 'an expression of a supervision rule does not parse as CEL, or uses a name it may not',
  RULE_UNBOUNDED: 'an expression of a supervision rule could run unbounded: too long, too deep, a forbidden function or nested comprehensions',
} as const satisfies ErrorList;

export type RulesErrorCode = keyof typeof RULES_ERRORS;

declare module '../codec/errors.ts' {
  interface ErrorCodes extends Registered<typeof RULES_ERRORS, 'rules'> {}
}
