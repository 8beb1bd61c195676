/** Codes the notary module rejects transactions and queries with. */
import type { ErrorList, Registered } from '../../codec/index.ts';

export const NOTARY_MODULE_ERRORS = {
  NOTARY_BAD_QUERY: 'the notary query is not {query: "record", args: {hash}}',
  NOTARY_EXISTS: 'the digest is already recorded',
} as const satisfies ErrorList;

export type NotaryModuleErrorCode = keyof typeof NOTARY_MODULE_ERRORS;

declare module '../../codec/errors.ts' {
  interface ErrorCodes extends Registered<typeof NOTARY_MODULE_ERRORS, 'modules/notary'> {}
}
