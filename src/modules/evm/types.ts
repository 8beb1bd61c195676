import type { JsonValue } from '../../codec/index.ts';

/**
 * Types of the `evm` module: the account record it keeps beside contract code and storage, and
 * what a call sees and gives back (the API's eth_call and eth_estimateGas use these too).
 */

/** An EVM account, at `evm/acct/<address>`: integers as decimal strings. */
export interface AccountRecord {
  nonce: string;
  balance: string;
  codeHash?: string;
}

/** The block a call sees: Shulian's height and block time; nothing random, no coinbase. */
export interface EvmEnv {
  chain: string;
  height: number;
  /** Block time, ms since the Unix epoch (the EVM sees whole seconds). */
  time: number;
  /** GASLIMIT of the block, and the most gas one call may use. */
  blockGasLimit: number;
}

export interface EvmMessage {
  /** 0x address of the caller. */
  from: string;
  /** 0x address of the called contract; absent to deploy `data` as init code. */
  to?: string;
  data: Uint8Array;
  value: bigint;
  gasLimit: bigint;
}

export interface EvmLog {
  address: string;
  topics: string[];
  data: string;
}

export interface EvmOutcome {
  ok: boolean;
  /** EVM gas used (refund applied, capped at a fifth as in EIP-3529). */
  gasUsed: bigint;
  /** EVM gas used before the refund: the least gas limit the call could possibly run with. */
  gasSpent: bigint;
  returnData: string;
  logs: EvmLog[];
  createdAddress?: string;
  /** 'revert', 'out of gas', 'invalid opcode', ... when not ok. */
  error?: string;
  /** Decoded revert reason: Error(string), Panic(uint256) or the raw data. */
  reason?: string;
  changes: Map<string, JsonValue | null>;
}
