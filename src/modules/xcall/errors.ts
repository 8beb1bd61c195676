/** Codes the xcall module rejects packets with. */
import type { ErrorList, Registered } from '../../codec/index.ts';

export const XCALL_MODULE_ERRORS = {
  XCALL_BAD_PACKET: 'a cross-chain call payload is not valid',
} as const satisfies ErrorList;

export type XcallModuleErrorCode = keyof typeof XCALL_MODULE_ERRORS;

declare module '../../codec/errors.ts' {
  interface ErrorCodes extends Registered<typeof XCALL_MODULE_ERRORS, 'modules/xcall'> {}
}
