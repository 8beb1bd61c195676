/**
 * A copy-on-write fork of one chain's committed state at one height (issue #24 item 1): reads
 * fall through to that height's state in the store (through the state tree, so later commits do
 * not show through); writes and new tree nodes stay in this object's memory. Nothing is copied
 * at fork time and nothing is ever written to the store.
 *
 * Blocks on a fork run through the same code as real blocks (chain/execute.ts runBlock), so a
 * fork replaying the chain's own blocks reaches the same state roots (parity, item 3).
 */
import { ShulianError } from '../codec/index.ts';
import { canonicalBody, txHashOf, type Block, type StateLookup, type Tx } from '../ledger/index.ts';
import { SparseMerkleTree, type NodeStore } from '../ledger/store/index.ts';
import { runBlock, type BlockRun, type ForkBase, type Refs, type StateAt } from '../chain/index.ts';
import type { AllianceView, Executor } from '../runtime/index.ts';

/** Bytes a tree node and a map entry cost besides their content (a rough, conservative figure). */
const ENTRY_OVERHEAD = 96;

/** A tx as a block on the fork takes it. */
export interface ForkEntry {
  tx: Tx;
  hash: string;
  bytes: number;
}

/** What one block on the fork did. */
export interface ForkBlock {
  height: number;
  time: number;
  refs: Refs;
  entries: ForkEntry[];
  run: BlockRun;
  /** The value of a key before this block (for diffs). */
  before(key: string): string | undefined;
}

export class ChainFork {
  readonly chain: string;
  readonly base: ForkBase;
  private readonly writes = new Map<string, string | null>();
  private readonly nodes = new Map<string, Uint8Array>();
  private usedBytes = 0;
  height: number;
  time: number;
  stateRoot: string;
  refs: Refs;

  /**
   * A fork over `base`; with `parent`, a child over that fork (a simulation that is kept only
   * if it succeeds and asks to be: mergeIntoParent).
   */
  constructor(base: ForkBase, private readonly maxBytes: number, private readonly parent?: ChainFork) {
    this.chain = base.chain;
    this.base = base;
    this.height = parent?.height ?? base.height;
    this.time = parent?.time ?? base.header.time;
    this.stateRoot = parent?.stateRoot ?? base.header.stateRoot;
    this.refs = parent?.refs ?? base.refs;
    this.usedBytes = parent?.usedBytes ?? 0;
  }

  /** A child fork: its writes stay apart until merged. */
  child(): ChainFork {
    return new ChainFork(this.base, this.maxBytes, this);
  }

  /** Moves a child's writes, nodes and position into its parent. */
  mergeIntoParent(): void {
    const p = this.parent;
    if (!p) throw new ShulianError('SIM_BAD_REQUEST', 'this fork has no parent to merge into');
    for (const [k, v] of this.writes) p.writes.set(k, v);
    for (const [k, n] of this.nodes) p.nodes.set(k, n);
    p.usedBytes = this.usedBytes;
    p.height = this.height;
    p.time = this.time;
    p.stateRoot = this.stateRoot;
    p.refs = this.refs;
  }

  /** A tree node on the fork, else in the store. */
  private node(h: Uint8Array, k: string): Uint8Array | undefined {
    return this.nodes.get(k) ?? (this.parent ? this.parent.node(h, k) : this.base.node(h));
  }

  /** Bytes the fork holds in memory beyond the store. */
  get bytes(): number {
    return this.usedBytes;
  }

  /** A state value on the fork, as canonical JSON. */
  get(key: string): string | undefined {
    const v = this.writes.get(key);
    if (v === null) return undefined;
    return v ?? (this.parent ? this.parent.get(key) : this.base.get(key));
  }

  /** The fork's state as a judge of another chain reads it (a governance fork's freezes). */
  stateAt(): StateAt {
    return {
      chain: this.chain, height: this.height,
      getState: (key): StateLookup => {
        const json = this.get(key);
        return { key, value: json === undefined ? null : JSON.parse(json), height: this.height, stateRoot: this.stateRoot };
      },
    };
  }

  /** Changes a state value directly (an override: a balance, a what-if); not hashed into the fork's state root. */
  override(key: string, json: string | null): void {
    this.account(key.length + (json?.length ?? 0) + ENTRY_OVERHEAD);
    this.writes.set(key, json);
  }

  /** The refs a block on top of the fork runs at: the next committed block's, else the latest. */
  nextRefs(): Refs {
    if (this.height === this.base.height) {
      const next = this.base.block(this.base.height + 1);
      if (next) return this.base.blockRefs(next, this.refs);
    }
    if (this.base.block(this.height + 1)) return this.refs;
    return this.base.latestRefs(this.refs);
  }

  /**
   * Runs one block of `entries` on the fork. With `keep` the fork moves to it; without, the
   * fork is left as it was (its scratch tree nodes are dropped). `executor`: the simulation's
   * relay executor for relay blocks (relay.ts); else the chain's own.
   */
  async execute(entries: ForkEntry[], o: { height: number; time: number; refs: Refs; named?: Refs; alliance?: AllianceView; keep: boolean; executor?: Executor }): Promise<ForkBlock> {
    const scratch = new Map<string, Uint8Array>();
    const store: NodeStore = {
      get: (h) => {
        const k = Buffer.from(h).toString('latin1');
        return scratch.get(k) ?? this.node(h, k);
      },
      put: (h, node) => void scratch.set(Buffer.from(h).toString('latin1'), node),
    };
    const tree = new SparseMerkleTree(store, this.base.hash, { cacheSize: 1024 });
    const before = new Map<string, string | undefined>();
    const parent = {
      stateRoot: this.stateRoot,
      get: (k: string): string | undefined => {
        const v = this.get(k);
        before.set(k, v);
        return v;
      },
    };
    const run = await runBlock(
      { chain: this.chain, suite: this.base.suite, maxTxGas: this.base.maxTxGas, executor: o.executor ?? this.base.executor, tree, hash: this.base.hash },
      parent, o.height, o.time, entries.map((e) => ({ ...e })), o.named, o.alliance,
    );
    const block: ForkBlock = {
      height: o.height, time: o.time, refs: o.refs, entries, run,
      before: (k) => (before.has(k) ? before.get(k) : this.get(k)),
    };
    if (o.keep) {
      let add = 0;
      for (const [k, v] of run.writes) add += k.length + (v?.length ?? 0) + ENTRY_OVERHEAD;
      for (const [, n] of scratch) add += n.length + ENTRY_OVERHEAD;
      this.account(add);
      // What a written key held before the block, for keys the block wrote without reading them
      // first (a new packet, a new record): after this the fork answers with the new value.
      for (const k of run.writes.keys()) if (!before.has(k)) before.set(k, this.get(k));
      for (const [k, v] of run.writes) this.writes.set(k, v);
      for (const [k, n] of scratch) this.nodes.set(k, n);
      this.height = o.height;
      this.time = o.time;
      this.stateRoot = run.stateRoot;
      this.refs = o.refs;
    }
    return block;
  }

  /**
   * Replays the chain's committed block `height` (the next one above the fork) on the fork and
   * keeps it: what real execution did, through the same code; returns the roots it reached.
   */
  async replay(height: number): Promise<{ block: Block; run: BlockRun }> {
    const block = this.base.block(height);
    if (!block) throw new ShulianError('BLOCK_NOT_FOUND', `chain ${this.chain} has no block ${height} to replay`);
    if (height !== this.height + 1) throw new ShulianError('SIM_BAD_REQUEST', `the fork of ${this.chain} is at height ${this.height}; it can replay block ${this.height + 1} next, not ${height}`);
    const refs = this.base.blockRefs(block, this.refs);
    const entries = block.txs.map((tx) => entryOf(this.base.suite, tx));
    const alliance = entries.length > 0 ? this.base.allianceView(refs) : undefined;
    const done = await this.execute(entries, {
      height, time: block.header.time, refs, keep: true,
      ...(block.refs === undefined ? {} : { named: refs }), ...(alliance ? { alliance } : {}),
    });
    return { block, run: done.run };
  }

  private account(bytes: number): void {
    if (this.usedBytes + bytes > this.maxBytes) {
      throw new ShulianError('SIM_FORK_FULL', `the fork of ${this.chain} would hold ${this.usedBytes + bytes} bytes; a fork holds at most ${this.maxBytes}; drop it and fork again`);
    }
    this.usedBytes += bytes;
  }
}

/** A signed tx as a block takes it: its hash and its canonical size (as ledger/tx.ts prepareTx counts it). */
export function entryOf(suite: ForkBase['suite'], tx: Tx): ForkEntry {
  return { tx, hash: txHashOf(suite, tx), bytes: Buffer.byteLength(canonicalBody(tx)) + 9 + tx.sig.length };
}
