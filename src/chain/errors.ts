/** Errors of a chain: admission of transactions, block execution and the chain's stored history. */
import type { ErrorList, Registered } from '../codec/index.ts';

export const CHAIN_ERRORS = {
  CHAIN_NOT_FOUND: 'this node hosts no chain with that id',
  BLOCK_NOT_FOUND: 'the chain has no block at that height (yet)',
  HEIGHT_NOT_FOUND: 'the chain has no state or block at that height',
  TX_NOT_FOUND: 'no chain on this node has that transaction, committed or pending',
  TX_WRONG_CHAIN: 'the transaction names another chain than the one it was sent to',
  TX_BAD_SIGNATURE: 'the transaction signature does not verify under its public key',
  TX_BAD_SENDER: 'the signing key may not sign for the sender\'s DID (or its DID document cannot be judged here)',
  TX_NOT_ADMITTED: 'the chain\'s admission policy refuses the sender',
  TX_ACCESS_DENIED: 'the chain\'s access rules (alliance policy, docs/permissions.md) do not let the sender call this module method',
  TX_FROZEN: 'the sender is frozen by governance (or an emergency freeze by regulators) on every chain of the alliance, or the EVM contract the call names is frozen on this chain; the message names the proposal',
  TX_REJECTED: 'the transaction was refused for a reason its checker did not name',
  BLOCK_INVALID: 'a block does not follow the chain\'s rules (height, parent, nonces, results)',
  GENESIS_MISMATCH: 'stored data or a registry names another genesis than the chain\'s',
  GENESIS_MODULE_UNKNOWN: 'the genesis names a module this build does not have',
  NOT_VALIDATOR: 'this node does not validate the chain, so it cannot propose',
} as const satisfies ErrorList;

export type ChainErrorCode = keyof typeof CHAIN_ERRORS;

declare module '../codec/errors.ts' {
  interface ErrorCodes extends Registered<typeof CHAIN_ERRORS, 'chain'> {}
}
