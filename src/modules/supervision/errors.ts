/** Codes the supervision module rejects transactions with (rule documents fail with the rules folder's RULE_* codes). */
import type { ErrorList, Registered } from '../../codec/index.ts';

export const SUPERVISION_MODULE_ERRORS = {
  SUP_NOT_REGULATOR: 'the sender is not a registered regulator',
  SUP_OUT_OF_SCOPE: 'the rule names chains or modules outside the regulator\'s scope',
  SUP_NOT_OWNER: 'the rule or list was published by another regulator; only it may change it',
  SUP_RULE_NOT_FOUND: 'no rule with that id',
  SUP_RULE_RETIRED: 'the rule is retired already',
  SUP_UNCHANGED: 'the rule or list is the same as its current version',
  SUP_TOO_MANY: 'the module keeps as many rules, lists or approvals as it may',
  SUP_APPROVAL_EXISTS: 'that template or code is approved already',
  SUP_APPROVAL_NOT_FOUND: 'that template or code is not approved',
} as const satisfies ErrorList;

export type SupervisionModuleErrorCode = keyof typeof SUPERVISION_MODULE_ERRORS;

declare module '../../codec/errors.ts' {
  interface ErrorCodes extends Registered<typeof SUPERVISION_MODULE_ERRORS, 'modules/supervision'> {}
}
