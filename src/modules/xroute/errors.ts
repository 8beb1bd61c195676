/** Codes the xroute module (the routing chain's registry) rejects transactions with. */
import type { ErrorList, Registered } from '../../codec/index.ts';

export const XROUTE_MODULE_ERRORS = {
  XROUTE_ALREADY_APPROVED: 'the validator already approved this registration',
  XROUTE_BAD_GENESIS: 'a genesis route is not valid',
  XROUTE_INITIALISED: 'the registry was initialised already',
  XROUTE_NOT_VALIDATOR: 'the sender is not a validator of the routing chain',
  XROUTE_STALE: 'the registration already reflects that proposal',
} as const satisfies ErrorList;

export type XrouteModuleErrorCode = keyof typeof XROUTE_MODULE_ERRORS;

declare module '../../codec/errors.ts' {
  interface ErrorCodes extends Registered<typeof XROUTE_MODULE_ERRORS, 'modules/xroute'> {}
}
