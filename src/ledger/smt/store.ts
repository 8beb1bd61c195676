import { ShulianError } from '../../codec/index.ts';

/**
 * Content-addressed node storage: node hash -> encoded node. Nodes are never deleted, which is
 * what keeps past roots provable.
 *
 * Contract: `put` may keep `node` by reference (the tree never writes into a node it has put);
 * bytes returned by `get` must not change afterwards (copy them if the backend reuses buffers,
 * as lmdb's getBinaryFast does), because the tree keeps views into them in its node cache.
 */
export interface NodeStore {
  get(hash: Uint8Array): Uint8Array | undefined;
  put(hash: Uint8Array, node: Uint8Array): void;
}

const HASH = 32;
const CHUNK = 1 << 20;

/**
 * In-memory store for tests, benchmarks and ephemeral chains.
 *
 * Why not a Map of hex strings: with a few hundred thousand nodes, per-node strings and
 * per-node ArrayBuffers made garbage collection the biggest cost of a state update. Here every
 * entry (hash then node bytes) is copied into 1 MiB chunks, and an open-addressing table of
 * entry ids, indexed by the hash's own (uniformly random) low bytes, finds it again. The GC
 * sees a handful of large buffers whatever the tree size.
 */
export class MemoryNodeStore implements NodeStore {
  private chunks: Uint8Array[] = [];
  private cur: Uint8Array = new Uint8Array(0);
  private used = 0;
  // Per entry: chunk index, offset of the hash in that chunk, node length.
  private eChunk: Int32Array = new Int32Array(1024);
  private eOff: Int32Array = new Int32Array(1024);
  private eLen: Int32Array = new Int32Array(1024);
  private count = 0;
  /** Slot -> entry id + 1 (0 = free); linear probing; kept at most half full. */
  private table: Int32Array = new Int32Array(2048);

  get size(): number {
    return this.count;
  }

  get(hash: Uint8Array): Uint8Array | undefined {
    if (hash.length !== HASH) return undefined;
    const e = this.find(hash);
    if (e < 0) return undefined;
    const chunk = this.chunks[this.eChunk[e]!]!;
    const off = this.eOff[e]! + HASH;
    return new Uint8Array(chunk.buffer, chunk.byteOffset + off, this.eLen[e]!);
  }

  put(hash: Uint8Array, node: Uint8Array): void {
    if (hash.length !== HASH) throw new ShulianError('SMT_BAD_HASH', `node hashes must be ${HASH} bytes`);
    if (this.find(hash) >= 0) return; // content-addressed: same hash, same node
    const need = HASH + node.length;
    if (this.used + need > this.cur.length) {
      this.cur = new Uint8Array(Math.max(CHUNK, need));
      this.chunks.push(this.cur);
      this.used = 0;
    }
    const off = this.used;
    this.cur.set(hash, off);
    this.cur.set(node, off + HASH);
    this.used += need;
    const e = this.count++;
    if (e === this.eChunk.length) this.growEntries();
    this.eChunk[e] = this.chunks.length - 1;
    this.eOff[e] = off;
    this.eLen[e] = node.length;
    if (this.count * 2 > this.table.length) this.rehash(this.table.length * 2);
    else this.insertSlot(hash, e);
  }

  private slotOf(hash: Uint8Array): number {
    return (hash[0]! | (hash[1]! << 8) | (hash[2]! << 16) | (hash[3]! << 24)) & (this.table.length - 1);
  }

  private find(hash: Uint8Array): number {
    const mask = this.table.length - 1;
    for (let s = this.slotOf(hash); ; s = (s + 1) & mask) {
      const v = this.table[s]!;
      if (v === 0) return -1;
      const e = v - 1;
      const chunk = this.chunks[this.eChunk[e]!]!;
      const off = this.eOff[e]!;
      let i = 0;
      while (i < HASH && chunk[off + i] === hash[i]) i++;
      if (i === HASH) return e;
    }
  }

  private insertSlot(hash: Uint8Array, e: number): void {
    const mask = this.table.length - 1;
    let s = this.slotOf(hash);
    while (this.table[s] !== 0) s = (s + 1) & mask;
    this.table[s] = e + 1;
  }

  private rehash(size: number): void {
    this.table = new Int32Array(size);
    for (let e = 0; e < this.count; e++) {
      const chunk = this.chunks[this.eChunk[e]!]!;
      const off = this.eOff[e]!;
      this.insertSlot(chunk.subarray(off, off + HASH), e);
    }
  }

  private growEntries(): void {
    const grow = (a: Int32Array): Int32Array => {
      const b = new Int32Array(a.length * 2);
      b.set(a);
      return b;
    };
    this.eChunk = grow(this.eChunk);
    this.eOff = grow(this.eOff);
    this.eLen = grow(this.eLen);
  }
}
