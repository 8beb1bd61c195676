/** Errors of the gateways and engine adapters (native chains, Ethereum JSON-RPC chains). */
import type { ErrorList, Registered } from '../codec/index.ts';

export const CROSSCHAIN_ERRORS = {
  ADAPTER_READ_ONLY: 'the adapter has no private key, so it cannot send',
  DEPLOY_FAILED: 'a contract deployment did not give a contract address',
  ENGINE_UNSUPPORTED: 'the engine cannot run this kind of transaction (e.g. a Shulian module call on an Ethereum chain)',
  EVM_NO_BLOCK: 'an Ethereum node answered no latest block',
  EVM_QUERY_FAILED: 'an eth_call on the chain failed for a reason other than a revert',
  EXTERNAL_BAD_ANSWER: 'an external chain\'s node answered something other than JSON-RPC',
  GATEWAY_STOPPED: 'the gateway was stopped while it waited for one of its transactions to commit',
  EXTERNAL_UNREACHABLE: 'an external chain\'s node has not been reached',
  XENDPOINT_ERROR: 'the EVM endpoint contract refused a packet without naming a code',
  TX_DROPPED: 'a transaction sent to an external chain was not mined',
} as const satisfies ErrorList;

export type CrosschainErrorCode = keyof typeof CROSSCHAIN_ERRORS;

declare module '../codec/errors.ts' {
  interface ErrorCodes extends Registered<typeof CROSSCHAIN_ERRORS, 'crosschain'> {}
}
