/** Codes the catalog module rejects transactions and calls with. */
import type { ErrorList, Registered } from '../../codec/index.ts';

export const CATALOG_MODULE_ERRORS = {
  CATALOG_EXISTS: 'a dataset with that id is already published (revise it instead)',
  CATALOG_NOT_FOUND: 'no dataset with that id in the catalog',
  CATALOG_NOT_OWNER: 'only the organisation that published the dataset may change it',
  CATALOG_WITHDRAWN: 'the dataset was withdrawn from the catalog',
  CATALOG_STALE_VERSION: 'the revision names a version other than the current one (someone revised it first)',
} as const satisfies ErrorList;

export type CatalogModuleErrorCode = keyof typeof CATALOG_MODULE_ERRORS;

declare module '../../codec/errors.ts' {
  interface ErrorCodes extends Registered<typeof CATALOG_MODULE_ERRORS, 'modules/catalog'> {}
}
