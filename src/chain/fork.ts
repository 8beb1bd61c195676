/**
 * What a simulation fork (src/sandbox, issue #24) needs of a chain at one committed height:
 * that height's state read through the state tree at its root (never the latest-state table,
 * which moves on as blocks commit), the store's tree nodes read-only, the executor, and the refs
 * and freezes a block on top of it would use. Nothing here writes to the store: a fork keeps its
 * writes and its new tree nodes in memory (DESIGN.md §4 "Sandbox").
 */
import { ShulianError, fromHex } from '../codec/index.ts';
import type { Suite } from '../crypto/index.ts';
import { stateKeyHash, type Block, type BlockHeader, type Genesis } from '../ledger/index.ts';
import type { ChainStore, SparseMerkleTree } from '../ledger/store/index.ts';
import type { AllianceView, Executor } from '../runtime/index.ts';
import type { Gate } from './admission/gate.ts';
import { REFS_KEY, effectiveRefs, parseRefs, type Refs, type StateAt, type Verdict } from './refs.ts';

export interface ForkBase {
  readonly chain: string;
  readonly suite: Suite;
  readonly genesis: Genesis;
  /** The committed height forked, and its header (whose state root the fork starts from). */
  readonly height: number;
  readonly header: BlockHeader;
  /** A state value at `height`, as canonical JSON. */
  get(key: string): string | undefined;
  /** The store's tree nodes, read-only. */
  node(hash: Uint8Array): Uint8Array | undefined;
  readonly hash: (d: Uint8Array) => Uint8Array;
  readonly executor: Executor;
  readonly maxTxGas: number;
  readonly maxBlockTxs: number;
  /** The refs in force at `height`. */
  readonly refs: Refs;
  /** The refs a block on top would name now: the latest heights of the chains consulted, never behind `parent`. */
  latestRefs(parent: Refs): Refs;
  /** The refs a committed block above `height` ran at (its named refs over its parent's). */
  blockRefs(block: Block, parent: Refs): Refs;
  /** Freezes and approvals at `refs`, as the chain's blocks read them. */
  allianceView(refs: Refs): AllianceView;
  /** Freezes and approvals as another governance state says (a fork of the governance chain). */
  allianceOver(state: StateAt): AllianceView;
  /** The chain freezes are read from; undefined when the chain reads its own state or none. */
  readonly allianceSource: string | undefined;
  /** The admission policy and freezes for a party at `refs` (no key check). */
  judgeParty(did: string, refs: Refs): Verdict;
  /** A committed block (for replaying history on a fork). */
  block(height: number): Block | undefined;
}

export interface ForkHost {
  id: string;
  suite: Suite;
  genesis: Genesis;
  store: ChainStore;
  tree: SparseMerkleTree;
  hash: (d: Uint8Array) => Uint8Array;
  executor: Executor;
  gate: Gate;
}

/** The fork base of a chain at a committed height; HEIGHT_NOT_FOUND above the head. */
export function forkBase(c: ForkHost, height: number): ForkBase {
  const head = c.store.head()!;
  if (!Number.isSafeInteger(height) || height < 0 || height > head.height) {
    throw new ShulianError('HEIGHT_NOT_FOUND', `chain ${c.id} is at height ${head.height}; it cannot be forked at height ${height}`);
  }
  const header = c.store.getMeta(height)!.header;
  const root = fromHex(header.stateRoot);
  const get = (key: string): string | undefined => {
    const vh = c.tree.get(root, stateKeyHash(c.suite, key));
    return vh ? c.store.getValue(vh) : undefined;
  };
  const stored = get(REFS_KEY);
  const refs = parseRefs(stored === undefined ? null : (JSON.parse(stored) as Refs));
  return {
    chain: c.id, suite: c.suite, genesis: c.genesis, height, header, get,
    node: (h) => c.store.nodeStore.get(h),
    hash: c.hash, executor: c.executor, maxTxGas: c.genesis.params.maxTxGas, maxBlockTxs: c.genesis.params.maxBlockTxs,
    refs,
    latestRefs: (parent) => c.gate.latest(parent),
    blockRefs: (block, parent) => effectiveRefs(block.refs, parent, c.gate.consulted),
    allianceView: (r) => c.gate.allianceView(r),
    allianceOver: (state) => c.gate.allianceOver(state),
    allianceSource: c.gate.allianceSource,
    judgeParty: (did, r) => c.gate.judgeParty(did, r),
    block: (h) => c.store.getBlock(h),
  };
}
