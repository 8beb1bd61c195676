/** Codes the evidence module rejects transactions with. */
import type { ErrorList, Registered } from '../../codec/index.ts';

export const EVIDENCE_MODULE_ERRORS = {
  EVIDENCE_EXISTS: 'this equivocation is already recorded',
  EVIDENCE_INVALID: 'the evidence does not show two different, validly signed messages of one validator for the same step',
} as const satisfies ErrorList;

export type EvidenceModuleErrorCode = keyof typeof EVIDENCE_MODULE_ERRORS;

declare module '../../codec/errors.ts' {
  interface ErrorCodes extends Registered<typeof EVIDENCE_MODULE_ERRORS, 'modules/evidence'> {}
}
