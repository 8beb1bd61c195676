/** Codes the carbon module rejects transactions with. */
import type { ErrorList, Registered } from '../../codec/index.ts';

export const CARBON_MODULE_ERRORS = {
  CARBON_NOT_GOVERNOR: 'only the chain\'s governors (its genesis validators) propose and approve methodologies',
  CARBON_METHOD_EXISTS: 'that methodology id and version is registered or proposed; a change is a new version, voted again',
  CARBON_DIGEST_MISMATCH: 'the parameter digest is not the SM3 of the canonical params',
  CARBON_PROPOSAL_NOT_FOUND: 'no open methodology proposal with that number',
  CARBON_ALREADY_APPROVED: 'the governor approved that proposal already',
  CARBON_METHOD_NOT_FOUND: 'no registered methodology with that id and version',
  CARBON_NOT_RECORDER: 'the sender is not a platform the methodology accepts activity records from',
  CARBON_DOUBLE_CLAIM: 'the reduction was claimed already (same activity, an overlapping trip, or a period credited)',
  CARBON_NO_REDUCTION: 'the activity earns no points under the methodology',
  CARBON_CAP: 'issuing would exceed the methodology\'s cap',
  CARBON_INSUFFICIENT: 'the balance is less than the amount',
} as const satisfies ErrorList;

export type CarbonModuleErrorCode = keyof typeof CARBON_MODULE_ERRORS;

declare module '../../codec/errors.ts' {
  interface ErrorCodes extends Registered<typeof CARBON_MODULE_ERRORS, 'modules/carbon'> {}
}
