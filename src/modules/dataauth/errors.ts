/** Codes the dataauth module rejects transactions with (ODRL denials keep the evaluator's codes). */
import type { ErrorList, Registered } from '../../codec/index.ts';

export const DATAAUTH_MODULE_ERRORS = {
  DATAAUTH_CLOSED: 'the dataset\'s sensitivity is 不予开放 (closed): it is listed but not open to requests',
  DATAAUTH_DATASET_WITHDRAWN: 'the dataset was withdrawn from the catalog',
  DATAAUTH_NOT_OWNER: 'only the dataset\'s owner may decide requests, set offers or revoke grants',
  DATAAUTH_NOT_GRANTEE: 'only the grantee may use a grant',
  DATAAUTH_REQUEST_NOT_FOUND: 'no request with that id',
  DATAAUTH_GRANT_NOT_FOUND: 'no grant with that id',
  DATAAUTH_DECIDED: 'the request was already decided',
  DATAAUTH_REVOKED: 'the grant was revoked (its status entry is set)',
  DATAAUTH_POLICY_MISMATCH: 'the policy given does not fit the request (assigner, assignee, target or type)',
  DATAAUTH_OFFER_REFUSED: 'the owner\'s standing offer does not permit what was asked',
  DATAAUTH_LIST_FULL: 'the owner\'s revocation list has no free entry left',
} as const satisfies ErrorList;

export type DataauthModuleErrorCode = keyof typeof DATAAUTH_MODULE_ERRORS;

declare module '../../codec/errors.ts' {
  interface ErrorCodes extends Registered<typeof DATAAUTH_MODULE_ERRORS, 'modules/dataauth'> {}
}
