import { open, type Database, type RootDatabase } from 'lmdb';
import { mkdirSync } from 'node:fs';
import { ShulianError } from '../codec/index.ts';
import type { NodeStore } from './smt/index.ts';
import type { Block, Genesis } from './types.ts';

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

/** Tree nodes written per event turn while a block commits. */
const BULK_SLICE = 4000;

/** Everything one block changes, written in a single LMDB transaction. */
export interface BlockWrite {
  block: Block;
  /** Latest state: key -> canonical JSON, or null to delete. */
  state: Map<string, string | null>;
  /** Content-addressed values (value hash -> canonical JSON) for proofs at past heights. */
  values: Map<string, string>;
}

/**
 * One LMDB environment per chain. Named databases:
 *   blocks  height -> Block (with receipts)
 *   txs     tx hash -> [height, index]
 *   bydid   [did, height, index] -> tx hash
 *   state   key -> canonical JSON (latest state, for execution reads)
 *   values  value hash -> canonical JSON (every value ever written, for past-height proofs)
 *   nodes   node hash -> encoded state-tree node
 *   meta    'genesis' | 'head'
 * A block and all it changes commit in one LMDB transaction, so a crash (even kill -9) leaves
 * either the whole block or none of it.
 */
export class ChainStore {
  readonly root: RootDatabase;
  private readonly blocks: Database<Block, number>;
  private readonly txs: Database<[number, number], string>;
  private readonly byDid: Database<string, [string, number, number]>;
  private readonly state: Database<string, string>;
  private readonly values: Database<string, Buffer>;
  private readonly nodes: Database<Buffer, Buffer>;
  private readonly meta: Database<unknown, string>;
  /** Tree nodes written by blocks not yet committed: read-through overlay for the tree. */
  private readonly pendingNodes = new Map<string, Uint8Array>();
  private headCache: ChainHead | undefined;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    this.root = open({ path: dir, maxDbs: 16, mapSize: 64 * 1024 ** 3 });
    this.blocks = this.root.openDB({ name: 'blocks', keyEncoding: 'uint32' });
    this.txs = this.root.openDB({ name: 'txs' });
    this.byDid = this.root.openDB({ name: 'bydid', encoding: 'string' });
    this.state = this.root.openDB({ name: 'state', encoding: 'string' });
    this.values = this.root.openDB({ name: 'values', keyEncoding: 'binary', encoding: 'string' });
    this.nodes = this.root.openDB({ name: 'nodes', keyEncoding: 'binary', encoding: 'binary' });
    this.meta = this.root.openDB({ name: 'meta' });
    this.headCache = this.meta.get('head') as ChainHead | undefined;
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

  getBlock(height: number): Block | undefined {
    return this.blocks.get(height);
  }

  txLocation(hash: string): TxLocation | undefined {
    const loc = this.txs.get(hash);
    return loc ? { height: loc[0], index: loc[1] } : undefined;
  }

  txsByDid(did: string, limit: number): Array<{ hash: string; height: number; index: number }> {
    const out: Array<{ hash: string; height: number; index: number }> = [];
    for (const { key, value } of this.byDid.getRange({ start: [did, Infinity], end: [did, -1], reverse: true, limit })) {
      out.push({ hash: value, height: key[1], index: key[2] });
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

  /** Forget tree nodes of a block that was built but will not be committed. */
  discardPending(): void {
    this.pendingNodes.clear();
  }

  async commitBlock(w: BlockWrite): Promise<void> {
    const { block } = w;
    const head = this.headCache;
    const expected = head ? head.height + 1 : 0;
    if (block.header.height !== expected) {
      throw new ShulianError('STORE_HEIGHT', `block ${block.header.height} cannot follow height ${head?.height ?? 'none'}`);
    }
    const nodes = [...this.pendingNodes];
    const newHead: ChainHead = { height: block.header.height, hash: block.hash, stateRoot: block.header.stateRoot, time: block.header.time };
    // Content-addressed data first, in slices across event turns so the node stays responsive:
    // if the process dies before the final transaction these are orphans nobody refers to.
    let last: Promise<unknown> = Promise.resolve();
    for (let i = 0; i < nodes.length; i += BULK_SLICE) {
      for (const [h, n] of nodes.slice(i, i + BULK_SLICE)) last = this.nodes.put(Buffer.from(h, 'latin1'), Buffer.from(n));
      await new Promise((r) => setImmediate(r));
    }
    for (const [h, v] of w.values) last = this.values.put(Buffer.from(h, 'hex'), v);
    await last;
    // Then everything that makes the block visible, atomically.
    await this.root.transaction(() => {
      this.blocks.put(block.header.height, block);
      block.txs.forEach((tx, i) => {
        const hash = block.receipts[i]!.tx;
        this.txs.put(hash, [block.header.height, i]);
        this.byDid.put([tx.from, block.header.height, i], hash);
      });
      for (const [k, v] of w.state) {
        if (v === null) this.state.remove(k);
        else this.state.put(k, v);
      }
      this.meta.put('head', newHead);
    });
    for (const [h] of nodes) this.pendingNodes.delete(h);
    this.headCache = newHead;
  }

  async close(): Promise<void> {
    await this.root.close();
  }
}
