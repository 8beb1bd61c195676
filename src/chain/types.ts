import type { ErrorCode, JsonValue } from '../codec/index.ts';
import type { Suite } from '../crypto/index.ts';
import type { ForkBase } from './fork.ts';
import type { Block, BlockSummary, ChainInfo, ConsensusStatus, Genesis, StateLookup, TxInclusion } from '../ledger/index.ts';

// What a chain answers about itself is wire format, shared with the SDK: src/ledger/wire.ts.
export type { ChainInfo, BlockSummary, ConsensusStatus } from '../ledger/index.ts';

export type SubmitResult =
  | { accepted: true; hash: string }
  | { accepted: false; hash?: string; code: ErrorCode; message: string };

/** The answer to a raw POST body: results per tx, or why the body as a whole was refused. */
export type SubmitAnswer =
  | { kind: 'single' | 'batch'; results: SubmitResult[] }
  | { kind: 'invalid'; code: ErrorCode; message: string };

/** What the API and other services may ask of a chain hosted by this node. */
export interface ChainView {
  readonly id: string;
  readonly suite: Suite;
  readonly genesis: Genesis;
  readonly genesisHash: string;
  info(): ChainInfo;
  height(): number;
  getBlock(height: number): Block | undefined;
  blocks(opts: { before?: number; limit: number }): BlockSummary[];
  getTx(hash: string): TxInclusion | undefined;
  isPending(hash: string): boolean;
  /** Throws ShulianError HEIGHT_NOT_FOUND for a height the chain has not reached. */
  getState(key: string, opts?: { height?: number; proof?: boolean }): StateLookup;
  nonces(did: string): { nonce: number; pendingNonce: number };
  txsByDid(did: string, limit: number): Array<{ hash: string; height: number; index: number }>;
  submit(txs: unknown[]): Promise<SubmitResult[]>;
  /** A raw POST body, parsed and checked off the main thread. */
  submitBody(body: string): Promise<SubmitAnswer>;
  /** The commit certificate stored with a block (BFT chains), for light clients. */
  getCommit(height: number): JsonValue | undefined;
  /** Called after each committed block; returns an unsubscribe function. */
  onBlock(listener: (block: Block) => void): () => void;
  /** A read-only base for a simulation fork at a committed height (src/sandbox); HEIGHT_NOT_FOUND above the head. */
  forkAt(height: number): ForkBase;
}

/** The node as the API sees it: the chains it hosts and who it is. */
export interface NodeView {
  readonly did: string;
  readonly version: string;
  readonly startedAt: number;
  chains(): ChainView[];
  chain(id: string): ChainView | undefined;
  findTx(hash: string): { chain: ChainView; inclusion?: TxInclusion; pending: boolean } | undefined;
  consensus(chainId: string): ConsensusStatus | undefined;
}
