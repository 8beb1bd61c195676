/** Codes the vcstatus module (credential status lists) rejects transactions with. */
import type { ErrorList, Registered } from '../../codec/index.ts';

export const VCSTATUS_MODULE_ERRORS = {
  VCSTATUS_INDEX_OUT_OF_RANGE: 'the index is outside the status list',
  VCSTATUS_IRREVERSIBLE: 'a revocation cannot be undone (use a suspension list)',
  VCSTATUS_LIST_EXISTS: 'a status list with that id already exists',
  VCSTATUS_LIST_NOT_FOUND: 'no status list with that id',
  VCSTATUS_NOT_ISSUER: 'the status list belongs to another issuer',
} as const satisfies ErrorList;

export type VcstatusModuleErrorCode = keyof typeof VCSTATUS_MODULE_ERRORS;

declare module '../../codec/errors.ts' {
  interface ErrorCodes extends Registered<typeof VCSTATUS_MODULE_ERRORS, 'modules/vcstatus'> {}
}
