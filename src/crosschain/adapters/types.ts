import type { JsonValue } from '../../codec/index.ts';

/**
 * One interface over every engine a business chain may run on (issue #9; WeCross stubs,
 * Hyperledger Cacti ledger connectors, FireFly blockchain connectors): submit a transaction,
 * read without one, deploy a contract, follow events, read headers and finality, get proofs
 * where the engine has them, and map DIDs to the engine's accounts. Everything above the
 * adapters (console, cross-chain, supervision, service market) uses this, never an engine's
 * client. See docs/engines.md.
 */
export type EngineKind = 'shulian' | 'ethereum';

/** What an engine can do, so callers can tell "unsupported" from "failed" up front. */
export interface EngineCapabilities {
  /** Built-in modules (system contracts) called by name. */
  modules: boolean;
  /** EVM contracts: deploy, call, logs. */
  evm: boolean;
  /** Proofs of txs and state the caller checks itself (native: SMT/Merkle against signed headers). */
  proofs: boolean;
  /** Finality is immediate (BFT) rather than after some confirmations. */
  instantFinality: boolean;
}

/** A transaction, in one of the shapes an engine accepts. */
export type EngineTx =
  | { kind: 'module'; module: string; method: string; args: JsonValue }
  | { kind: 'evm'; to: string; data: string; value?: bigint; gas?: number };

/** A read without a transaction. */
export type EngineQuery =
  | { kind: 'evm'; to: string; data: string; from?: string; height?: number }
  | { kind: 'state'; key: string; height?: number };

export interface ChainEvent {
  chain: string;
  height: number;
  /** Hash of the tx that emitted it, 0x-less lowercase hex on native chains, 0x hex on Ethereum. */
  tx: string;
  /** The module (native) or the contract address (EVM log, 0x lowercase). */
  source: string;
  /** The event type (native), or "Log" for an EVM log. */
  name: string;
  /** EVM log topics, 0x hex. */
  topics?: string[];
  /** The event's data (native), or the log data as 0x hex. */
  data: JsonValue;
}

export interface EventFilter {
  source?: string;
  name?: string;
  /** EVM topics by position; null matches anything. */
  topics?: Array<string | null>;
  /** Deliver events from this height on (default: the next block). */
  fromHeight?: number;
}

export interface TxOutcome {
  hash: string;
  height: number;
  status: 'ok' | 'failed';
  /** Why it failed: the engine's code and message (a revert reason for EVM txs). */
  error?: { code: string; message: string };
  /** Gas as the engine counts it. */
  gasUsed: number;
  /** What the call returned: a module's result, or the EVM return data when the engine reports it. */
  result?: JsonValue;
  /** The address a deploy created. */
  contractAddress?: string;
  events: ChainEvent[];
}

// Headers and finality are wire types: the SDK owns them (GET /v1/external-chains answers with them).
export type { ChainHeader, Finality } from '../../sdk/index.ts';
import type { ChainHeader, Finality } from '../../sdk/index.ts';

export type ProofRequest =
  | { kind: 'tx'; hash: string }
  | { kind: 'state'; key: string; height?: number };

/** A proof the adapter checked locally against signed headers of the chain. */
export interface VerifiedProof {
  kind: 'tx' | 'state';
  height: number;
  /** The proven value: the tx inclusion or the state value. */
  value: JsonValue;
  proofVerified: true;
}

/** What the console lists for any chain, native or not (`shulian chain list`, explorer). */
export interface ChainSummary {
  id: string;
  engine: EngineKind;
  name: string;
  /** EIP-155 chain id, for EVM-capable chains. */
  chainId?: number;
  height: number;
  headHash: string;
  lastBlockTime: number;
  finality: Finality;
  latestBlocks: ChainHeader[];
}

export interface ChainAdapter {
  readonly id: string;
  readonly engine: EngineKind;
  readonly capabilities: EngineCapabilities;
  /** Sends a transaction as this adapter's account, waits until it is in a block, and reports it. */
  submit(tx: EngineTx): Promise<TxOutcome>;
  /** Reads without a transaction. EVM reads return 0x return data; state reads the value. */
  query(q: EngineQuery): Promise<JsonValue>;
  /** Deploys EVM bytecode (init code; constructor arguments appended). */
  deploy(d: { bytecode: string; gas?: number; value?: bigint }): Promise<TxOutcome & { contractAddress: string }>;
  /** Delivers matching events of committed blocks, in order, until the returned function is called. */
  subscribe(filter: EventFilter, onEvent: (e: ChainEvent) => void, onError?: (err: Error) => void): Promise<() => void>;
  header(at: number | 'latest'): Promise<ChainHeader | null>;
  finality(): Promise<Finality>;
  /** A proof checked on this machine; ShulianError ENGINE_UNSUPPORTED where the engine has none. */
  prove(p: ProofRequest): Promise<VerifiedProof>;
  /** The engine account a DID acts as on this chain, if it has one. */
  accountOf(did: string): string | undefined;
  /** The DID an engine account belongs to, if known. */
  didOf(account: string): string | undefined;
  /** Height, latest blocks and engine, for management views. */
  summary(latest?: number): Promise<ChainSummary>;
  close(): Promise<void>;
}
