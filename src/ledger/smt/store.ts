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
/** Tree nodes are 65 bytes (see node.ts); they get fixed-size records, anything else a Map. */
const NODE = 65;
const REC = HASH + NODE;
const PER_CHUNK_BITS = 13;

/** latin1 maps each byte to one UTF-16 unit: an exact Map key for a byte string. */
function binKey(h: Uint8Array): string {
  return Buffer.from(h.buffer, h.byteOffset, h.byteLength).toString('latin1');
}

/**
 * In-memory store for tests, benchmarks and ephemeral chains.
 *
 * Why not just a Map of hex strings: with a few hundred thousand nodes, per-node strings and
 * per-node ArrayBuffers made garbage collection the largest cost of a state update. Here each
 * entry (hash, then node) is copied into a fixed-size record in ~780 KiB chunks, and an
 * open-addressing table of record numbers, indexed by the hash's own (uniformly random) first
 * bytes, finds it again: one table probe and one record compare per lookup, and the garbage
 * collector sees a few large buffers whatever the tree size.
 */
export class MemoryNodeStore implements NodeStore {
  private readonly chunks: Uint8Array[] = [];
  private count = 0;
  /** Slot -> record number + 1 (0 = free); linear probing; kept at most half full. */
  private table: Int32Array;
  /** Nodes that are not 65 bytes (not produced by the tree, but the interface allows them). */
  private readonly odd = new Map<string, Uint8Array>();
  private readonly chunkBits: number;
  private readonly chunkMask: number;

  /** `capacityHint`: about how many nodes it will hold; a small one gets small record buffers. */
  constructor(capacityHint?: number) {
    const bits = capacityHint === undefined ? PER_CHUNK_BITS : Math.ceil(Math.log2(Math.max(2, capacityHint)));
    this.chunkBits = Math.min(PER_CHUNK_BITS, bits);
    this.chunkMask = (1 << this.chunkBits) - 1;
    this.table = new Int32Array(1 << Math.min(12, this.chunkBits + 1));
  }

  get size(): number {
    return this.count + this.odd.size;
  }

  /** Bytes of its record buffers and index table (the nodes that are not 65 bytes not counted). */
  get bytes(): number {
    return this.chunks.length * (this.chunkMask + 1) * REC + this.table.byteLength;
  }

  get(hash: Uint8Array): Uint8Array | undefined {
    if (hash.length !== HASH) return undefined;
    const s = this.probe(hash);
    const v = this.table[s]!;
    if (v === 0) return this.odd.size === 0 ? undefined : this.odd.get(binKey(hash));
    const r = v - 1;
    const chunk = this.chunks[r >>> this.chunkBits]!;
    return new Uint8Array(chunk.buffer, chunk.byteOffset + (r & this.chunkMask) * REC + HASH, NODE);
  }

  put(hash: Uint8Array, node: Uint8Array): void {
    if (hash.length !== HASH) throw new ShulianError('SMT_BAD_HASH', `node hashes must be ${HASH} bytes`);
    if (node.length !== NODE) {
      const k = binKey(hash);
      if (!this.odd.has(k)) this.odd.set(k, node.slice());
      return;
    }
    const s = this.probe(hash);
    if (this.table[s] !== 0) return; // content-addressed: same hash, same node
    const r = this.count++;
    if ((r & this.chunkMask) === 0) this.chunks.push(new Uint8Array((this.chunkMask + 1) * REC));
    const chunk = this.chunks[r >>> this.chunkBits]!;
    const off = (r & this.chunkMask) * REC;
    chunk.set(hash, off);
    chunk.set(node, off + HASH);
    this.table[s] = r + 1;
    if (this.count * 2 > this.table.length) this.rehash();
  }

  /** The slot holding `hash`, or the free slot where it would go. */
  private probe(hash: Uint8Array): number {
    const table = this.table;
    const mask = table.length - 1;
    for (let s = (hash[0]! | (hash[1]! << 8) | (hash[2]! << 16) | (hash[3]! << 24)) & mask; ; s = (s + 1) & mask) {
      const v = table[s]!;
      if (v === 0) return s;
      const r = v - 1;
      const chunk = this.chunks[r >>> this.chunkBits]!;
      const off = (r & this.chunkMask) * REC;
      let i = 0;
      while (i < HASH && chunk[off + i] === hash[i]) i++;
      if (i === HASH) return s;
    }
  }

  private rehash(): void {
    const size = this.table.length * 2;
    const mask = size - 1;
    const table = new Int32Array(size);
    for (let r = 0; r < this.count; r++) {
      const chunk = this.chunks[r >>> this.chunkBits]!;
      const off = (r & this.chunkMask) * REC;
      let s = (chunk[off]! | (chunk[off + 1]! << 8) | (chunk[off + 2]! << 16) | (chunk[off + 3]! << 24)) & mask;
      while (table[s] !== 0) s = (s + 1) & mask;
      table[s] = r + 1;
    }
    this.table = table;
  }
}
