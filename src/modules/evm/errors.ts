/** Codes the evm module rejects transactions with (and the JSON-RPC and external adapters reuse). */
import type { ErrorList, Registered } from '../../codec/index.ts';

export const EVM_MODULE_ERRORS = {
  EVM_BAD_ADDRESS: 'not an EVM address (0x and 40 hex digits)',
  EVM_BAD_DID: 'not a did:shulian DID, so it has no EVM address',
  EVM_FAILED: 'the EVM stopped with an error other than a revert',
  EVM_REVERT: 'the contract reverted',
} as const satisfies ErrorList;

export type EvmModuleErrorCode = keyof typeof EVM_MODULE_ERRORS;

declare module '../../codec/errors.ts' {
  interface ErrorCodes extends Registered<typeof EVM_MODULE_ERRORS, 'modules/evm'> {}
}
