/**
 * Compressed binary sparse Merkle tree over 256-bit key hashes (the binary form of the proof
 * model of Diem's Jellyfish Merkle Tree).
 *
 * Shape rule (canonical form): a leaf sits at the shallowest depth where its key's bit path is
 * unique among the keys present; empty subtrees hash to 32 zero bytes; an internal node always
 * has two non-empty children, or one empty child and an internal sibling (keys sharing a long
 * prefix hang below a chain of such nodes). Deleting keys re-compresses: when a subtree is left
 * with one leaf, the leaf moves up to where it is unique again. So the root is a function of the
 * set of (key, value) pairs alone, never of the order they were written in.
 *
 * Cost: a block's writes are applied as one sorted batch. The recursion splits the batch by the
 * key bit at each depth, so each touched internal node is rehashed once per block, and a key
 * costs about log2(n) hashes instead of 256.
 *
 * Versioning: nodes are content-addressed and never deleted, so every past root stays readable
 * and provable as long as its nodes are in the store.
 */
import { ShulianError, toHex } from '../../codec/index.ts';
import type { HashFn } from '../merkle.ts';
import { HASH_BYTES, NODE_BYTES, TAG_INTERNAL, TAG_LEAF, bitAt, isZeroHash } from './node.ts';
import { MemoryNodeStore, type NodeStore } from './store.ts';
import type { LedgerErrorCode } from '../errors.ts';

export interface SmtUpdate {
  /** 32-byte key hash. */
  key: Uint8Array;
  /** 32-byte value hash, or null to delete the key (deleting an absent key is a no-op). */
  value: Uint8Array | null;
}

/**
 * Proof for one key against one root.
 *
 * `siblings` holds one hash per internal node on the key's path, from the root down; entry i is
 * the child of the depth-i node that the key does NOT go to. It is not compressed: an empty
 * sibling is written as 64 zeros. (Keys are hashes, so paths are about log2(n) long and empty
 * siblings are rare; the fixed form keeps the verifier trivial.) The path ends at depth
 * siblings.length, where the key's position holds either nothing (then `leaf` is absent) or a
 * leaf (`leaf` is that leaf: the key itself for an inclusion proof, another key sharing the first
 * siblings.length bits for a non-inclusion proof). All hex is lowercase.
 */
export interface SmtProof {
  siblings: string[];
  leaf?: { key: string; value: string };
}

export interface SmtOptions {
  /**
   * Internal nodes kept in memory, keyed by hash (default 16384; 0 = off). Only the top
   * floor(log2(cacheSize + 1)) levels are cached: those are the nodes every read and every block
   * goes through, while deeper nodes of random keys are rarely met twice. Read-through (filled
   * by loads, not by writes); eviction is a two-generation approximation of LRU (remember()).
   * Each entry costs about 130 bytes (its hash and bytes copied into a generation's records).
   */
  cacheSize?: number;
}

const SLAB_BYTES = 1 << 16;
const K_EMPTY = 0;
const K_LEAF = 1;
const K_INTERNAL = 2;
const K_UNKNOWN = 3; // non-empty, not loaded yet

/** Decoded node: t = tag; leaf: a = key, b = value; internal: a = left, b = right. */
interface DNode {
  h: Uint8Array;
  t: number;
  a: Uint8Array;
  b: Uint8Array;
}

/** Entry for building a fresh subtree; `h` is the leaf hash when already known. */
interface Entry {
  key: Uint8Array;
  value: Uint8Array;
  h?: Uint8Array;
}

// Private zero hash: the exported EMPTY_ROOT is a plain array a caller could write into.
const ZERO = new Uint8Array(HASH_BYTES);

function eq32(a: Uint8Array, b: Uint8Array): boolean {
  if (a === b) return true;
  for (let i = 0; i < HASH_BYTES; i++) if (a[i] !== b[i]) return false;
  return true;
}

function cmpKeys(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < HASH_BYTES; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Decodes without copying: views into the stored bytes, which the NodeStore contract keeps
 * immutable. Same checks as decodeNode.
 */
function viewNode(bytes: Uint8Array, h: Uint8Array): DNode {
  if (bytes.length !== NODE_BYTES) throw corrupt(`tree node must be ${NODE_BYTES} bytes, got ${bytes.length}`);
  const t = bytes[0]!;
  if (t !== TAG_LEAF && t !== TAG_INTERNAL) throw corrupt(`unknown tree node tag ${t}`);
  const a = new Uint8Array(bytes.buffer, bytes.byteOffset + 1, HASH_BYTES);
  const b = new Uint8Array(bytes.buffer, bytes.byteOffset + 1 + HASH_BYTES, HASH_BYTES);
  if (t === TAG_INTERNAL && isZeroHash(a) && isZeroHash(b)) throw corrupt('internal node with two empty children');
  return { h, t, a, b };
}

function corrupt(msg: string): ShulianError {
  return new ShulianError('SMT_CORRUPT_NODE', msg);
}

function checkBytes32(b: unknown, code: LedgerErrorCode, what: string): asserts b is Uint8Array {
  if (!(b instanceof Uint8Array) || b.length !== HASH_BYTES) throw new ShulianError(code, `${what} must be ${HASH_BYTES} bytes`);
}

/**
 * Validates and sorts a batch. Duplicate keys: the LAST update for a key wins, as if the batch
 * were applied one write at a time (ties sort by position, and we keep the last of each run).
 */
function normalize(updates: SmtUpdate[]): SmtUpdate[] {
  if (!Array.isArray(updates)) throw new ShulianError('SMT_BAD_UPDATE', 'updates must be an array');
  const n = updates.length;
  // Sort on the first 48 bits as a number (exact in a double), bytes only on a tie.
  const prefix = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = updates[i]!;
    checkBytes32(u?.key, 'SMT_BAD_UPDATE', 'update key');
    if (u.value !== null) checkBytes32(u.value, 'SMT_BAD_UPDATE', 'update value');
    const k = u.key;
    prefix[i] = ((k[0]! * 256 + k[1]!) * 256 + k[2]!) * 16777216 + ((k[3]! << 16) | (k[4]! << 8) | k[5]!);
  }
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((x, y) => prefix[x]! - prefix[y]! || cmpKeys(updates[x]!.key, updates[y]!.key) || x - y);
  const out: SmtUpdate[] = [];
  for (let j = 0; j < n; j++) {
    const u = updates[order[j]!]!;
    if (j + 1 < n && cmpKeys(u.key, updates[order[j + 1]!]!.key) === 0) continue; // a later write wins
    out.push(u);
  }
  return out;
}

/** First index in [lo, hi) whose key has bit `depth` set; the range shares bits 0..depth-1. */
function splitAt<T extends { key: Uint8Array }>(xs: T[], lo: number, hi: number, depth: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (bitAt(xs[mid]!.key, depth) === 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class SparseMerkleTree {
  private readonly store: NodeStore;
  private readonly hash: HashFn;
  private readonly cacheSize: number;
  private readonly genSize: number;
  private readonly cacheDepth: number;
  /**
   * The cache's two generations. Each copies a node's hash and bytes into fixed-size records of
   * a few large buffers (MemoryNodeStore), not one object and one ArrayBuffer per node: at the
   * default chain cache of 200 000 nodes the per-node objects, views and native backing stores
   * cost about 315 bytes of heap and external memory a node (1.6 KB of RSS as measured, with
   * V8's and malloc's overhead), and a node's 7 chains filled them by hundreds of MB (issue #21
   * item 6: the soak's RSS grew linearly), since every block's new upper nodes are loaded by the
   * next block and superseded versions stay until their generation is dropped. Now about 130.
   */
  private hot: MemoryNodeStore;
  private cold: MemoryNodeStore;
  private slab = new ArrayBuffer(SLAB_BYTES);
  private slabUsed = 0;
  /** Kind of the subtree whose hash the update recursion just returned. */
  private kind = K_EMPTY;

  constructor(store: NodeStore, hash: HashFn, opts?: SmtOptions) {
    this.store = store;
    this.hash = hash;
    this.cacheSize = Math.max(0, Math.floor(opts?.cacheSize ?? 16384));
    this.genSize = Math.max(1, Math.ceil(this.cacheSize / 2));
    this.cacheDepth = Math.floor(Math.log2(this.cacheSize + 1));
    this.hot = new MemoryNodeStore(this.genSize);
    this.cold = new MemoryNodeStore(this.genSize);
    const probe = hash(new Uint8Array(NODE_BYTES));
    if (!(probe instanceof Uint8Array) || probe.length !== HASH_BYTES) {
      throw new ShulianError('SMT_BAD_HASH', `the tree needs a ${HASH_BYTES}-byte hash function`);
    }
  }

  /**
   * Applies a batch of writes to the tree at `root` and returns the new root. Every new node is
   * written with store.put; nothing is removed, so `root` itself stays readable.
   */
  update(root: Uint8Array, updates: SmtUpdate[]): Uint8Array {
    checkBytes32(root, 'SMT_BAD_ROOT', 'root');
    const ups = normalize(updates);
    if (ups.length === 0) return root.slice();
    const r = root.slice(); // ours from here on: the caller may reuse its array
    const out = this.upd(r, isZeroHash(r) ? K_EMPTY : K_UNKNOWN, 0, ups, 0, ups.length);
    // A copy: `out` may be a view into a cached node's records, which the caller must not keep alive.
    return this.kind === K_EMPTY ? new Uint8Array(HASH_BYTES) : out.slice();
  }

  /** Nodes in the cache (both generations; a node promoted from the old one counts twice). */
  get cacheEntries(): number {
    return this.hot.size + this.cold.size;
  }

  /** Bytes the cache's buffers hold (records and index tables of both generations). */
  get cacheBytes(): number {
    return this.hot.bytes + this.cold.bytes;
  }

  /** The value hash stored under `key` in the tree at `root`, or null. */
  get(root: Uint8Array, key: Uint8Array): Uint8Array | null {
    checkBytes32(root, 'SMT_BAD_ROOT', 'root');
    checkBytes32(key, 'SMT_BAD_KEY', 'key');
    let h: Uint8Array = root.slice();
    for (let depth = 0; ; depth++) {
      if (isZeroHash(h)) return null;
      const n = this.load(h, depth);
      if (n.t === TAG_LEAF) return eq32(n.a, key) ? n.b.slice() : null;
      if (depth >= 256) throw corrupt('tree path deeper than 256 bits');
      h = bitAt(key, depth) === 0 ? n.a : n.b;
    }
  }

  /** Inclusion proof if `key` is present at `root`, otherwise a non-inclusion proof. */
  prove(root: Uint8Array, key: Uint8Array): SmtProof {
    checkBytes32(root, 'SMT_BAD_ROOT', 'root');
    checkBytes32(key, 'SMT_BAD_KEY', 'key');
    const siblings: string[] = [];
    let h: Uint8Array = root.slice();
    for (let depth = 0; ; depth++) {
      if (isZeroHash(h)) return { siblings };
      const n = this.load(h, depth);
      if (n.t === TAG_LEAF) return { siblings, leaf: { key: toHex(n.a), value: toHex(n.b) } };
      if (depth >= 256) throw corrupt('tree path deeper than 256 bits');
      const right = bitAt(key, depth) === 1;
      siblings.push(toHex(right ? n.a : n.b));
      h = right ? n.b : n.a;
    }
  }

  // ---- batch update -------------------------------------------------------------------------
  // The recursion returns a subtree's hash and leaves its kind in `this.kind` (no result object
  // per node: at a few hundred thousand nodes per second the allocations show).

  /**
   * Applies ups[lo, hi) (sorted, unique, all sharing the first `depth` bits) to the subtree `h`
   * of kind `k` at `depth`.
   */
  private upd(h: Uint8Array, k: number, depth: number, ups: SmtUpdate[], lo: number, hi: number): Uint8Array {
    if (k === K_EMPTY) return this.buildFrom(depth, ups, lo, hi, null);
    const n = this.load(h, depth);
    if (n.t === TAG_LEAF) {
      // Fast path: the only write is to this very leaf.
      if (hi - lo === 1 && eq32(ups[lo]!.key, n.a)) {
        const v = ups[lo]!.value;
        if (v === null) return this.empty();
        if (eq32(v, n.b)) {
          this.kind = K_LEAF;
          return h;
        }
        return this.putNode(TAG_LEAF, n.a, v);
      }
      return this.buildFrom(depth, ups, lo, hi, n);
    }
    if (depth >= 256) throw corrupt('tree path deeper than 256 bits');
    const mid = splitAt(ups, lo, hi, depth);
    const na = n.a;
    const nb = n.b;
    let lh = na;
    let lk = isZeroHash(na) ? K_EMPTY : K_UNKNOWN;
    if (lo < mid) {
      lh = this.upd(na, lk, depth + 1, ups, lo, mid);
      lk = this.kind;
    }
    let rh = nb;
    let rk = isZeroHash(nb) ? K_EMPTY : K_UNKNOWN;
    if (mid < hi) {
      rh = this.upd(nb, rk, depth + 1, ups, mid, hi);
      rk = this.kind;
    }
    if (eq32(lh, na) && eq32(rh, nb)) {
      this.kind = K_INTERNAL;
      return h;
    }
    // Compression: an empty side next to a lone leaf means the leaf moves up a level.
    if (lk === K_EMPTY) {
      if (rk === K_EMPTY) return this.empty();
      if (this.kindOf(rh, rk, depth + 1) === K_LEAF) {
        this.kind = K_LEAF;
        return rh;
      }
    } else if (rk === K_EMPTY && this.kindOf(lh, lk, depth + 1) === K_LEAF) {
      this.kind = K_LEAF;
      return lh;
    }
    return this.putNode(TAG_INTERNAL, lh, rh);
  }

  private empty(): Uint8Array {
    this.kind = K_EMPTY;
    return ZERO;
  }

  private kindOf(h: Uint8Array, k: number, depth: number): number {
    if (k !== K_UNKNOWN) return k;
    return this.load(h, depth).t === TAG_LEAF ? K_LEAF : K_INTERNAL;
  }

  /**
   * Builds the subtree for the writes ups[lo, hi) over a position that holds nothing or a single
   * leaf `old` (which survives unless the batch overwrites or deletes its key).
   */
  private buildFrom(depth: number, ups: SmtUpdate[], lo: number, hi: number, old: DNode | null): Uint8Array {
    const entries: Entry[] = [];
    let pending = old; // merged in key order
    for (let i = lo; i < hi; i++) {
      const u = ups[i]!;
      if (pending !== null) {
        const c = cmpKeys(pending.a, u.key);
        if (c < 0) {
          entries.push({ key: pending.a, value: pending.b, h: pending.h });
          pending = null;
        } else if (c === 0) {
          pending = null; // overwritten or deleted by the batch
        }
      }
      if (u.value !== null) entries.push({ key: u.key, value: u.value });
    }
    if (pending !== null) entries.push({ key: pending.a, value: pending.b, h: pending.h });
    return this.build(depth, entries, 0, entries.length);
  }

  /** Canonical subtree of distinct sorted entries: the shape rule, applied directly. */
  private build(depth: number, es: Entry[], lo: number, hi: number): Uint8Array {
    const count = hi - lo;
    if (count === 0) return this.empty();
    if (count === 1) {
      const e = es[lo]!;
      if (e.h === undefined) return this.putNode(TAG_LEAF, e.key, e.value);
      this.kind = K_LEAF; // an existing leaf moving down keeps its hash
      return e.h;
    }
    // Two distinct keys differ within 256 bits, so depth < 256 here. With two or more keys
    // below, neither side can be a lone leaf next to an empty one: no compression to apply.
    const mid = splitAt(es, lo, hi, depth);
    const l = this.build(depth + 1, es, lo, mid);
    const r = this.build(depth + 1, es, mid, hi);
    return this.putNode(TAG_INTERNAL, l, r);
  }

  // ---- node I/O -----------------------------------------------------------------------------

  /**
   * One hash call per node: the encoding is the hash preimage. The bytes are a fresh view into a
   * 64 KiB slab rather than a Uint8Array of their own: at ~10 nodes per key, freeing one small
   * ArrayBuffer per node cost more than the hashing. Views are never reused, since the store may
   * keep them (see NodeStore).
   */
  private putNode(tag: number, a: Uint8Array, b: Uint8Array): Uint8Array {
    if (this.slabUsed + NODE_BYTES > SLAB_BYTES) {
      this.slab = new ArrayBuffer(SLAB_BYTES);
      this.slabUsed = 0;
    }
    const bytes = new Uint8Array(this.slab, this.slabUsed, NODE_BYTES);
    this.slabUsed += NODE_BYTES;
    bytes[0] = tag;
    bytes.set(a, 1);
    bytes.set(b, 1 + HASH_BYTES);
    const h = this.hash(bytes);
    this.store.put(h, bytes);
    // Not cached here: caching every new upper node cost more (garbage collection of the kept
    // hashes) than the one store read per block that it saves. The cache is read-through.
    this.kind = tag === TAG_LEAF ? K_LEAF : K_INTERNAL;
    return h;
  }

  private load(h: Uint8Array, depth: number): DNode {
    if (depth < this.cacheDepth) {
      // Views into a generation's records: they are never overwritten (a dropped generation's
      // buffers live on while a view of them does), so a node read here stays valid.
      let c = this.hot.get(h);
      if (c !== undefined) return viewNode(c, h);
      c = this.cold.get(h);
      if (c !== undefined) {
        this.remember(h, c); // promote: still in use
        return viewNode(c, h);
      }
    }
    const bytes = this.store.get(h);
    if (bytes === undefined) throw new ShulianError('SMT_MISSING_NODE', `tree node ${toHex(h)} is not in the store`);
    const n = viewNode(bytes, h);
    if (depth < this.cacheDepth && n.t === TAG_INTERNAL) this.remember(h, bytes);
    return n;
  }

  /**
   * Two-generation approximation of an LRU: loaded and reused nodes are copied into `hot`; when
   * it is full it becomes `cold` and the old `cold` is dropped. A node used within the last one
   * or two generations stays. Every step is O(1) (amortised over the index's growth).
   */
  private remember(h: Uint8Array, bytes: Uint8Array): void {
    if (this.cacheSize === 0) return;
    this.hot.put(h, bytes);
    if (this.hot.size >= this.genSize) {
      this.cold = this.hot;
      this.hot = new MemoryNodeStore(this.genSize);
    }
  }
}
