/** Codes the material module rejects transactions with (docs/gov.md). */
import type { ErrorList, Registered } from '../../codec/index.ts';

export const MATERIAL_MODULE_ERRORS = {
  MATERIAL_EXISTS: 'a material with that id is already registered (the issuer supersedes it instead)',
  MATERIAL_NOT_FOUND: 'no material with that id',
  MATERIAL_NOT_AGENCY: 'the DID is not a member organisation of the alliance, so it may not issue materials or receive grants',
  MATERIAL_NOT_ISSUER: 'only the agency that issued the material may supersede or revoke it',
  MATERIAL_NOT_HOLDER: 'only the material\'s holder may grant or revoke access to it',
  MATERIAL_REVOKED: 'the material was revoked by its issuer',
  MATERIAL_STALE_VERSION: 'the call names a version other than the current one',
  MATERIAL_NO_GRANT: 'the holder granted the agency no access to the material',
  MATERIAL_GRANT_REVOKED: 'the holder revoked the agency\'s grant',
  MATERIAL_GRANT_EXPIRED: 'the agency\'s grant expired (block time)',
  MATERIAL_BAD_EXPIRY: 'a grant\'s expiry is not in the future or too far in it',
  MATERIAL_TOO_MANY_GRANTS: 'the material was granted to as many agencies as a material may be',
} as const satisfies ErrorList;

export type MaterialModuleErrorCode = keyof typeof MATERIAL_MODULE_ERRORS;

declare module '../../codec/errors.ts' {
  interface ErrorCodes extends Registered<typeof MATERIAL_MODULE_ERRORS, 'modules/material'> {}
}
