import { open, type Database, type RootDatabase } from 'lmdb';
import { mkdirSync, statfsSync } from 'node:fs';
import { ShulianError, type JsonValue } from '../../codec/index.ts';
import type { HeaderProof } from '../light/index.ts';
import type { NodeStore } from '../smt/index.ts';
import type { Block, BlockHeader, Genesis, Receipt, Tx } from '../types.ts';

export interface ChainHead {
  height: number;
  hash: string;
  stateRoot: string;
  time: number;
}

export interface TxLocation {
  height: number;
  index: number;
}

/** A block's header record: what light reads (headers, proofs) need without the txs. */
export interface BlockMeta {
  header: BlockHeader;
  hash: string;
  sig: string;
  /** Leaves of the tx and receipt Merkle trees, so proofs need no rehashing. */
  txHashes: string[];
  receiptHashes: string[];
  /** Proof that consensus decided this block (BFT chains: >2/3 precommits); opaque here. */
  commit?: JsonValue;
  /** Heights of other chains whose state the block's admission was judged against (Block.refs). */
  refs?: Record<string, number>;
}

/** A pending tx kept across restarts: its arrival order and the signed tx. */
export interface PendingRecord {
  seq: number;
  tx: Tx;
}

/** Everything one block changes. */
export interface BlockWrite {
  block: Block;
  receiptHashes: string[];
  /** Latest state: key -> canonical JSON, or null to delete. */
  state: Map<string, string | null>;
  /** Content-addressed values (value hash -> canonical JSON) for proofs at past heights. */
  values: Map<string, string>;
  commit?: JsonValue;
}

/**
 * The layout version of a chain store, kept in meta 'format' (docs/operations.md#upgrades).
 *   0  stores written before versions existed (releases up to 0.1.0): no stamp;
 *   1  the same databases and encodings as 0, stamped.
 * A change to any database's keys or encodings adds a version and its migration below.
 */
export const STORE_FORMAT = 1;

/** MIGRATIONS[v] turns a format-v store into format v + 1, inside one write transaction. */
const MIGRATIONS: Record<number, (root: RootDatabase) => void> = {
  // 0 → 1: the layout is unchanged; only the stamp is new.
  0: () => {},
};

/** Records written per event turn while a block commits, so reads keep being served. */
const SLICE = 500;

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Free bytes a chain store keeps on its disk by default before it refuses writes (docs/operations.md#a-full-disk). */
export const DEFAULT_MIN_FREE_BYTES = 64 * 1024 * 1024;

const MiB = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MiB`;

/** LMDB's write failures when the disk is full: ENOSPC (28) itself, or the batch commit it failed. */
function isNoSpace(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  return e?.code === 28 || e?.code === 'ENOSPC' || (typeof e?.message === 'string' && /No space left|Commit failed/.test(e.message));
}

/** A write promise whose failure is reported where it is awaited (or by the batch it belongs to), never as an unhandled rejection. */
function quiet<T>(p: Promise<T>): Promise<T> {
  p.catch(settleCommitError);
  return p;
}

/**
 * lmdb's failed batch rejects each write with "Commit failed" and hangs the cause on
 * `commitError`, a promise of its own rejected with the system error: nobody else awaits it, so
 * unhandled it would end the process (Node's default for unhandled rejections).
 */
function settleCommitError(err: unknown): void {
  const ce = (err as { commitError?: unknown } | null)?.commitError;
  if (ce instanceof Promise) ce.catch(() => {});
}

/**
 * One LMDB environment per chain. Named databases:
 *   headers  height -> BlockMeta
 *   btxs     [height, index] -> {tx, receipt}
 *   txs      tx hash -> [height, index]
 *   bydid    [did, height, index] -> tx hash
 *   state    key -> canonical JSON (latest state, for execution reads)
 *   values   value hash -> canonical JSON (every value ever written, for past-height proofs)
 *   nodes    node hash -> encoded state-tree node
 *   meta     'genesis' | 'head'
 *   pool     tx hash -> PendingRecord (the mempool, re-admitted on start)
 *
 * Commit order makes a crash at any point safe: first everything keyed by height or content
 * (txs, indexes, header, tree nodes, values) in slices, then one transaction with the state
 * changes and the new head. Until that transaction commits nothing above the old head is
 * visible: reads check heights against the head, and a block re-made at that height after a
 * restart overwrites the leftovers.
 *
 * Durability: LMDB's overlapping sync makes a commit visible before it is on disk, so a power
 * loss could take back a block already reported. commitBlock resolves, and the head it reports
 * moves, only once LMDB's `flushed` promise says the head transaction is durable (issue #13
 * item 8); until then `stateAhead` is set, because the latest-state table already holds the new
 * block's values while the head still names its parent.
 */
export class ChainStore {
  root!: RootDatabase;
  private headers!: Database<BlockMeta, number>;
  private btxs!: Database<{ tx: Tx; receipt: Receipt }, [number, number]>;
  private txs!: Database<[number, number], string>;
  private byDid!: Database<string, [string, number, number]>;
  private state!: Database<string, string>;
  private values!: Database<string, Buffer>;
  private nodes!: Database<Buffer, Buffer>;
  private meta!: Database<unknown, string>;
  private pool!: Database<PendingRecord, string>;
  /** A write met a full disk: no more writes until the store is reopened (ensureWritable). */
  private failed = false;
  /** Tree nodes written by blocks not yet committed: read-through overlay for the tree. */
  private readonly pendingNodes = new Map<string, Uint8Array>();
  /** Those of pendingNodes already queued to LMDB (prewriteNodes, or a commit). */
  private readonly queuedNodes = new Set<string>();
  /** The prewrites so far, one after the other; never rejects. */
  private prewriting: Promise<void> = Promise.resolve();
  /** Why a prewrite failed: nodes marked queued may not be written, so every commit reports it. */
  private prewriteFailure: unknown;
  private headCache: ChainHead | undefined;
  private ahead = false;
  private guarded = false;
  /** Height of the snapshot this store was started from (0: it holds every block since genesis). */
  private baseHeight = 0;

  private readonly dir: string;
  private readonly minFreeBytes: number;

  /** `minFreeBytes`: free space below which writes are refused (STORE_DISK_FULL); 0 turns the check off. */
  constructor(dir: string, opts: { minFreeBytes?: number } = {}) {
    this.dir = dir;
    this.minFreeBytes = opts.minFreeBytes ?? DEFAULT_MIN_FREE_BYTES;
    mkdirSync(dir, { recursive: true });
    this.openEnv();
    this.headCache = this.meta.get('head') as ChainHead | undefined;
    this.baseHeight = (this.meta.get('base') as number | undefined) ?? 0;
    try {
      this.upgrade(dir);
    } catch (err) {
      void this.root.close();
      throw err;
    }
  }

  private openEnv(): void {
    const dir = this.dir;
    this.root = open({ path: dir, maxDbs: 16, mapSize: 64 * 1024 ** 3 });
    this.headers = this.root.openDB({ name: 'headers', keyEncoding: 'uint32' });
    this.btxs = this.root.openDB({ name: 'btxs' });
    this.txs = this.root.openDB({ name: 'txs' });
    this.byDid = this.root.openDB({ name: 'bydid', encoding: 'string' });
    this.state = this.root.openDB({ name: 'state', encoding: 'string' });
    this.values = this.root.openDB({ name: 'values', keyEncoding: 'binary', encoding: 'string' });
    this.nodes = this.root.openDB({ name: 'nodes', keyEncoding: 'binary', encoding: 'binary' });
    this.meta = this.root.openDB({ name: 'meta' });
    this.pool = this.root.openDB({ name: 'pool' });
  }

  /**
   * STORE_DISK_FULL unless there is room to write. After a write met a full disk (no reserve, or
   * a block larger than it), lmdb's writer may hold promises of the failed batch that never
   * settle (a later write waited forever in tests), so the store takes no more writes until the
   * node is restarted; what is on disk is whole (LMDB commits whole transactions).
   */
  async ensureWritable(): Promise<void> {
    if (this.failed) {
      throw new ShulianError('STORE_DISK_FULL', `a write to chain store ${this.dir} failed on a full disk; the store is intact at height ${this.headCache?.height ?? 'none'} and takes no more writes until the node is restarted: free space, then restart it (docs/operations.md#a-full-disk)`);
    }
    this.checkSpace();
  }

  /**
   * Checks the store's format version (meta 'format') and brings an older store up to
   * STORE_FORMAT, one migration at a time, each in one LMDB transaction with its version stamp
   * (a crash mid-way leaves the older version, and the migration runs again). A new store is
   * stamped at once; a store from a newer release is refused and left as it is.
   */
  private upgrade(dir: string): void {
    const stamped = this.meta.get('format');
    if (stamped === undefined && this.headCache === undefined && this.meta.get('genesis') === undefined) {
      this.meta.putSync('format', STORE_FORMAT);
      return;
    }
    // A store with data but no stamp was written before formats existed: format 0.
    const raw = stamped ?? 0;
    if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 0) {
      throw new ShulianError('STORE_FORMAT_INVALID', `chain store ${dir} has format version ${JSON.stringify(raw)}, which no release writes; the store is damaged: restore the data directory from a copy taken while the node was stopped (docs/operations.md#upgrades)`);
    }
    let format = raw;
    if (format > STORE_FORMAT) {
      throw new ShulianError('STORE_FORMAT_NEWER', `chain store ${dir} has format ${format}, written by a newer Shulian release; this release reads formats 0 to ${STORE_FORMAT}. Run the release that wrote it (or newer), or restore a backup made with this release (docs/operations.md#upgrades); nothing was changed`);
    }
    while (format < STORE_FORMAT) {
      const migrate = MIGRATIONS[format]!;
      const next = format + 1;
      this.root.transactionSync(() => {
        migrate(this.root);
        this.meta.putSync('format', next);
      });
      format = next;
    }
  }

  /** The store's format version (STORE_FORMAT once opened). */
  format(): number {
    return this.meta.get('format') as number;
  }

  genesis(): Genesis | undefined {
    return this.meta.get('genesis') as Genesis | undefined;
  }

  async putGenesis(genesis: Genesis): Promise<void> {
    await this.meta.put('genesis', genesis);
  }

  head(): ChainHead | undefined {
    return this.headCache;
  }

  private visible(height: number): boolean {
    return this.headCache !== undefined && height <= this.headCache.height;
  }

  /**
   * True while a block's state is committed but not yet durable: the latest-state table is then
   * ahead of head(), and reads at the head must go through the state tree at its root.
   */
  get stateAhead(): boolean {
    return this.ahead;
  }

  getMeta(height: number): BlockMeta | undefined {
    return this.visible(height) ? this.headers.get(height) : undefined;
  }

  /**
   * Height of the snapshot the store was started from by state sync (docs/operations.md#state-sync):
   * blocks at and below it are not held (their header at the base is), nor state below it.
   */
  base(): number {
    return this.baseHeight;
  }

  /** The validator-change headers the snapshot this store started from came with (none for a full store). */
  baseChanges(): HeaderProof[] {
    return (this.meta.get('changes') as HeaderProof[] | undefined) ?? [];
  }

  getBlock(height: number): Block | undefined {
    if (this.baseHeight > 0 && height <= this.baseHeight) return undefined;
    const meta = this.getMeta(height);
    if (!meta) return undefined;
    const txs: Tx[] = [];
    const receipts: Receipt[] = [];
    for (const { value } of this.btxs.getRange({ start: [height, 0], end: [height, Infinity] })) {
      txs.push(value.tx);
      receipts.push(value.receipt);
    }
    const block: Block = { header: meta.header, hash: meta.hash, sig: meta.sig, txs, receipts };
    if (meta.refs) block.refs = meta.refs;
    return block;
  }

  getTxAt(loc: TxLocation): { tx: Tx; receipt: Receipt } | undefined {
    return this.visible(loc.height) ? this.btxs.get([loc.height, loc.index]) : undefined;
  }

  txLocation(hash: string): TxLocation | undefined {
    const loc = this.txs.get(hash);
    if (!loc || !this.visible(loc[0])) return undefined;
    // An index entry left by a block that never committed may point at another tx.
    const at = this.btxs.get([loc[0], loc[1]]);
    return at && at.receipt.tx === hash ? { height: loc[0], index: loc[1] } : undefined;
  }

  txsByDid(did: string, limit: number): Array<{ hash: string; height: number; index: number }> {
    const out: Array<{ hash: string; height: number; index: number }> = [];
    const top = this.headCache?.height ?? -1;
    for (const { key, value } of this.byDid.getRange({ start: [did, top, Infinity], end: [did, -1], reverse: true })) {
      if (out.length >= limit) break;
      if (this.txLocation(value)?.height === key[1]) out.push({ hash: value, height: key[1], index: key[2] });
    }
    return out;
  }

  /** Latest committed value of a state key, as canonical JSON. */
  getState(key: string): string | undefined {
    return this.state.get(key);
  }

  getValue(valueHash: Uint8Array): string | undefined {
    return this.values.get(Buffer.from(valueHash));
  }

  // ---- the persisted mempool ----------------------------------------------------------------

  /** Records an accepted tx; durable once `pendingFlushed(...)` resolves. */
  putPending(hash: string, rec: PendingRecord): Promise<unknown> {
    const p = quiet(this.pool.put(hash, rec));
    this.guardBatch();
    return p;
  }

  removePending(hashes: Iterable<string>): void {
    for (const h of hashes) quiet(this.pool.remove(h));
    this.guardBatch();
  }

  /**
   * lmdb (3.x, event-turn batching) starts each batch with a commit promise of its own that it
   * never hands out; when the batch fails (a full disk) that promise's rejection would be
   * unhandled and end the process. After writing, once lmdb has started the batch (its task
   * was queued before this one), a handler is attached to it through `committed`.
   */
  private guardBatch(): void {
    if (this.guarded) return;
    this.guarded = true;
    setImmediate(() => {
      this.guarded = false;
      (this.root.committed as PromiseLike<unknown>).then(undefined, settleCommitError);
    });
  }

  /**
   * Refuses (STORE_DISK_FULL) when the store's disk has less than the reserve free: a write that
   * fails half-way would leave nothing corrupt (LMDB commits whole transactions) but would fail
   * late, after the work; with the reserve it fails first, having written nothing.
   */
  checkSpace(min = this.minFreeBytes): void {
    if (min <= 0) return;
    let free: number;
    try {
      const s = statfsSync(this.dir);
      free = s.bavail * s.bsize;
    } catch {
      return; // no figure, no refusal: the write itself will say
    }
    if (free < min) {
      throw new ShulianError('STORE_DISK_FULL', `the disk holding chain store ${this.dir} has ${MiB(free)} free, less than the ${MiB(min)} kept in reserve; nothing was written. Free space on it (or move the data directory to a larger disk): the node carries on by itself once there is room (docs/operations.md#a-full-disk)`);
    }
  }

  private diskFull(err: unknown, what: string): ShulianError {
    this.failed = true;
    return new ShulianError('STORE_DISK_FULL', `the disk holding chain store ${this.dir} is full: ${what} was not written (${(err as Error).message}); the store keeps its last committed block. Free space and the node carries on by itself (docs/operations.md#a-full-disk)`);
  }

  /**
   * Resolves once `writes` (putPending's) are committed and durable; STORE_DISK_FULL if the disk
   * refused them. (LMDB's `flushed` alone would wait for the next flush that succeeds: a request
   * would hang until space came back.)
   */
  async pendingFlushed(writes: Array<Promise<unknown>>): Promise<void> {
    try {
      await Promise.all(writes);
      await this.root.flushed;
    } catch (err) {
      settleCommitError(err);
      throw isNoSpace(err) ? this.diskFull(err, 'the accepted transactions') : err;
    }
  }

  /** The persisted mempool in arrival order. */
  pendingRecords(): Array<{ hash: string; rec: PendingRecord }> {
    const out: Array<{ hash: string; rec: PendingRecord }> = [];
    for (const { key, value } of this.pool.getRange()) out.push({ hash: key, rec: value });
    return out.sort((a, b) => a.rec.seq - b.rec.seq);
  }

  /** Resolves once every write so far is on disk (fsync), not only committed. */
  async flushed(): Promise<void> {
    await this.root.flushed;
  }

  /** The tree's node store: committed nodes plus nodes of the block being built. */
  readonly nodeStore: NodeStore = {
    get: (hash) => {
      const key = Buffer.from(hash);
      return this.pendingNodes.get(key.toString('latin1')) ?? this.nodes.get(key);
    },
    put: (hash, node) => {
      this.pendingNodes.set(Buffer.from(hash).toString('latin1'), node);
    },
  };

  async commitBlock(w: BlockWrite): Promise<void> {
    const { block } = w;
    const { height } = block.header;
    const expected = this.headCache ? this.headCache.height + 1 : 0;
    if (height !== expected) {
      throw new ShulianError('STORE_HEIGHT', `block ${height} cannot follow height ${this.headCache?.height ?? 'none'}`);
    }
    await this.ensureWritable();
    try {
      await this.writeBlock(w);
    } catch (err) {
      settleCommitError(err);
      throw isNoSpace(err) ? this.diskFull(err, `block ${height}`) : err;
    }
  }

  /**
   * Queues to LMDB the tree nodes of the blocks executed so far, ahead of their commit, so that
   * the writes overlap the votes instead of adding to the time from decision to commit
   * (docs/consensus.md#the-critical-path-of-a-height). Called once a block is proposed or
   * validated. A node is keyed by its hash, so one of a block that is never committed is only
   * an unreachable record, as a commit already writes for the other candidates of its height.
   * Reads keep going through pendingNodes until the block is committed; commitBlock writes what
   * is left and waits for these (and reports their failure).
   */
  prewriteNodes(): void {
    if (this.failed) return;
    const run = async (): Promise<void> => {
      let last: Promise<unknown> = Promise.resolve();
      let n = 0;
      for (const [h, node] of [...this.pendingNodes]) {
        if (!this.pendingNodes.has(h)) continue;
        if (++n % (SLICE * 4) === 0) {
          this.guardBatch();
          await turn();
          if (this.failed) return;
        }
        last = this.queueNode(h, node) ?? last;
      }
      this.guardBatch();
      await last;
    };
    this.prewriting = this.prewriting.then(run).catch((err: unknown) => {
      settleCommitError(err);
      this.prewriteFailure ??= err;
    });
  }

  /** Puts a tree node to LMDB unless a prewrite or a commit already did; the put's promise, or undefined. */
  private queueNode(h: string, node: Uint8Array): Promise<unknown> | undefined {
    if (this.queuedNodes.has(h)) return undefined;
    this.queuedNodes.add(h);
    return quiet(this.nodes.put(Buffer.from(h, 'latin1'), Buffer.from(node)));
  }

  private async writeBlock(w: BlockWrite): Promise<void> {
    const { block } = w;
    const { height } = block.header;
    const txHashes = w.block.receipts.map((r) => r.tx);
    const nodes = [...this.pendingNodes];
    let last: Promise<unknown> = Promise.resolve();
    // 1. Height- and content-keyed records, a slice per event turn.
    for (let i = 0; i < block.txs.length; i++) {
      if (i > 0 && i % SLICE === 0) {
        this.guardBatch();
        await turn();
      }
      const tx = block.txs[i]!;
      quiet(this.btxs.put([height, i], { tx, receipt: block.receipts[i]! }));
      quiet(this.txs.put(txHashes[i]!, [height, i]));
      last = quiet(this.byDid.put([tx.from, height, i], txHashes[i]!));
    }
    for (let i = 0; i < nodes.length; i++) {
      if (i % (SLICE * 4) === 0) {
        this.guardBatch();
        await turn();
      }
      last = this.queueNode(nodes[i]![0], nodes[i]![1]) ?? last;
    }
    for (const [h, v] of w.values) last = quiet(this.values.put(Buffer.from(h, 'hex'), v));
    const meta: BlockMeta = { header: block.header, hash: block.hash, sig: block.sig, txHashes, receiptHashes: w.receiptHashes };
    if (w.commit !== undefined) meta.commit = w.commit;
    if (block.refs) meta.refs = block.refs;
    last = quiet(this.headers.put(height, meta));
    this.guardBatch();
    await last;
    await this.prewriting;
    if (this.prewriteFailure !== undefined) throw this.prewriteFailure;
    // 2. What makes the block visible, atomically.
    const newHead: ChainHead = { height, hash: block.hash, stateRoot: block.header.stateRoot, time: block.header.time };
    this.ahead = true;
    try {
      const txn = this.root.transaction(() => {
        for (const [k, v] of w.state) {
          if (v === null) quiet(this.state.remove(k));
          else quiet(this.state.put(k, v));
        }
        quiet(this.meta.put('head', newHead));
        // The block's txs leave the persisted mempool with the block, atomically.
        for (const h of txHashes) quiet(this.pool.remove(h));
      });
      this.guardBatch();
      await txn;
    } catch (err) {
      this.ahead = false;
      throw err;
    }
    for (const [h] of nodes) {
      this.pendingNodes.delete(h);
      this.queuedNodes.delete(h);
    }
    // 3. Durable before anyone hears of it (API reads, the stream, peers' sync, WAL compaction).
    // Should the flush fail, the head stays where it was and reads stay on the tree.
    await this.root.flushed;
    this.headCache = newHead;
    this.ahead = false;
  }

  /**
   * The latest state, every key with its canonical JSON, read in one event turn at a moment the
   * state table matches head() (never while a block's state is committed but not durable), so
   * the entries are exactly the state under head().stateRoot. Sorted by key.
   */
  async stateAtHead(): Promise<{ head: ChainHead; entries: Array<[string, string]> }> {
    for (;;) {
      if (!this.ahead && this.headCache) {
        const head = this.headCache;
        const entries: Array<[string, string]> = [];
        for (const { key, value } of this.state.getRange()) entries.push([key, value]);
        return { head, entries };
      }
      await this.root.flushed;
      await turn();
    }
  }

  /**
   * Starts an empty store from a verified snapshot (src/ledger/store/snapshot.ts): the state, its
   * tree nodes and values, the header record of the snapshot height, and the head and base there,
   * the last three in one transaction after everything else. Refuses a store that holds blocks.
   */
  async importSnapshot(
    genesis: Genesis, meta: BlockMeta, entries: ReadonlyArray<readonly [string, string]>, nodes: ReadonlyMap<string, Uint8Array>, values: ReadonlyMap<string, string>,
    changes: readonly HeaderProof[] = [],
  ): Promise<void> {
    if (this.headCache) {
      throw new ShulianError('SNAPSHOT_STORE_NOT_EMPTY', `the store already holds chain ${this.genesis()?.chain ?? genesis.chain} up to height ${this.headCache.height}; state sync starts only an empty data directory`);
    }
    let last: Promise<unknown> = this.meta.put('genesis', genesis);
    // The verified validator-change headers below the base: this node serves them on in its own offers.
    if (changes.length) last = this.meta.put('changes', changes);
    let i = 0;
    for (const [k, v] of entries) {
      if (++i % (SLICE * 4) === 0) await turn();
      last = this.state.put(k, v);
    }
    for (const [h, n] of nodes) {
      if (++i % (SLICE * 4) === 0) await turn();
      last = this.nodes.put(Buffer.from(h, 'latin1'), Buffer.from(n));
    }
    for (const [h, v] of values) last = this.values.put(Buffer.from(h, 'hex'), v);
    last = this.headers.put(meta.header.height, meta);
    await last;
    const head: ChainHead = { height: meta.header.height, hash: meta.hash, stateRoot: meta.header.stateRoot, time: meta.header.time };
    await this.root.transaction(() => {
      this.meta.put('base', head.height);
      this.meta.put('head', head);
    });
    await this.root.flushed;
    this.baseHeight = head.height;
    this.headCache = head;
  }

  async close(): Promise<void> {
    // After a write failed on a full disk, lmdb's close waits for that batch forever: let it go
    // (the files are whole; the process exiting releases them).
    if (this.failed) void this.root.close().catch(() => {});
    else await this.root.close();
  }
}
