/**
 * What a chain says about itself over the API (GET /v1/chains, blocks, consensus): produced by
 * src/chain, read by the SDK (which re-exports these as its own wire types). They live in the
 * ledger's wire face because both sides sit above it and the chain may not import the SDK.
 */
import type { Suite } from '../crypto/index.ts';
import type { Genesis, ValidatorInfo } from './types.ts';

/** `GET /v1/chains` items: a chain's identity, its head and its mempool's load. */
export interface ChainInfo {
  id: string;
  name: string;
  nameZh: string;
  kind: Genesis['kind'];
  suite: Suite;
  consensus: Genesis['consensus']['type'];
  modules: string[];
  validators: ValidatorInfo[];
  height: number;
  headHash: string;
  stateRoot: string;
  lastBlockTime: number;
  genesisHash: string;
  mempool: { txs: number; bytes: number };
  /**
   * A sandbox business chain (docs/governance.md#sandbox-chains): sandbox money only, no
   * cross-chain path to production chains. Set by the API from the governance registry.
   */
  sandbox?: boolean;
}

/** A block in a list: its height, hash, time, size and proposer. */
export interface BlockSummary {
  height: number;
  hash: string;
  time: number;
  txCount: number;
  proposer: string;
}

/** Consensus state of a chain on this node. */
export interface ConsensusStatus {
  chain: string;
  type: 'solo' | 'tbft';
  height: number;
  round: number;
  step: string;
  proposer: string;
  validators: Array<ValidatorInfo & { up: boolean; self: boolean }>;
  lastCommitTime: number;
  syncing: boolean;
  evidence: number;
}
