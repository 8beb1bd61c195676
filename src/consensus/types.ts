/** What consensus engines share: the interface to the chain they drive, and their own. */
import type { JsonValue } from '../codec/index.ts';
import type { Suite } from '../crypto/index.ts';
import type { Block, ValidatorInfo } from '../ledger/index.ts';

/** A block the host built or checked, ready to commit; an engine reads only its block. */
export interface Candidate {
  readonly block: Block;
}

/**
 * The chain a consensus engine drives (src/chain's Chain implements it). The host knows what a
 * valid block is and how to run and store one; the engine decides which block commits, when,
 * and whether a block may be empty.
 */
export interface ConsensusHost<C extends Candidate = Candidate> {
  readonly id: string;
  readonly suite: Suite;
  /** Height of the committed head (0 = genesis only). */
  height(): number;
  getBlock(height: number): Block | undefined;
  /** The commit certificate stored with a block, when its engine produced one. */
  getCommit(height: number): JsonValue | undefined;
  /** The validator set that decides `height`. */
  validatorsAt(height: number): ValidatorInfo[];
  /** Whether some pending tx could go in the next block. */
  hasPendingTxs(): boolean;
  /** Registers the engine's listener for txs arriving in the mempool. */
  onTxs(listener: () => void): void;
  /** Builds and signs the next block from the mempool, executed but not committed; null when there is nothing to propose. */
  proposeBlock(now: number, opts?: { allowEmpty?: boolean }): Promise<C | null>;
  /** Checks another validator's block by re-executing it; throws BLOCK_INVALID saying why not. */
  validateBlock(block: Block, now: number, opts?: { allowEmpty?: boolean }): Promise<C>;
  /** Commits a proposed or validated block with its commit certificate; resolves once durable. */
  commitCandidate(candidate: C, commit?: JsonValue): Promise<Block>;
}

/** A consensus engine: `solo` or `tbft` (Tendermint-style BFT). */
export interface ConsensusEngine {
  readonly type: 'solo' | 'tbft';
  start(): void;
  /** Stops after the block in progress, if any, has committed. */
  stop(): Promise<void>;
}
