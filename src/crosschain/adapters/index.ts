/**
 * Chain adapters: one interface over native Shulian chains and other engines (docs/engines.md).
 * Hyperledger Fabric has no adapter yet: no Fabric peer can run on the machines this is built
 * and tested on, and untested code is not shipped as working.
 */
export type {
  ChainAdapter, ChainEvent, ChainHeader, ChainSummary, EngineCapabilities, EngineKind, EngineQuery, EngineTx, EventFilter,
  Finality, ProofRequest, TxOutcome, VerifiedProof,
} from './types.ts';
export { NativeAdapter, type NativeAdapterOptions } from './native.ts';
export { EthereumAdapter, type EthereumAdapterOptions } from './ethereum.ts';
