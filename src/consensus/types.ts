import type { Block } from '../ledger/index.ts';

/** What a consensus engine needs from the chain it drives. */
export interface BlockProducer {
  readonly id: string;
  /** Builds, signs and commits the next block from the mempool; null when there is nothing to do. */
  produceBlock(now: number): Promise<Block | null>;
  hasPendingTxs(): boolean;
  onTxs(listener: () => void): void;
}

/** A consensus engine: `solo` now; `tbft` (Tendermint-style BFT) implements the same interface. */
export interface ConsensusEngine {
  readonly type: 'solo' | 'tbft';
  start(): void;
  /** Stops after the block in progress, if any, has committed. */
  stop(): Promise<void>;
}
