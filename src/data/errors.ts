/** Codes of the data chain's readers and exports. */
import type { ErrorList, Registered } from '../codec/index.ts';

export const DATA_ERRORS = {
  DATA_BAD_QUERY: 'a catalog search or listing names a filter that does not exist or a value out of range',
} as const satisfies ErrorList;

export type DataErrorCode = keyof typeof DATA_ERRORS;

declare module '../codec/errors.ts' {
  interface ErrorCodes extends Registered<typeof DATA_ERRORS, 'data'> {}
}
