/**
 * Merkle tree over ordered lists (block tx and receipt lists), shaped as RFC 6962 §2.1:
 *
 *   MTH({})    = H()
 *   MTH({d0})  = H(0x00 || d0)
 *   MTH(D[n])  = H(0x01 || MTH(D[0:k]) || MTH(D[k:n]))   k = largest power of two < n
 *
 * The 0x00/0x01 prefixes separate leaves from interior nodes, so a leaf can never be passed off
 * as a subtree (the second-preimage attack on plain Merkle trees). Splitting at the largest power
 * of two means the left subtree is always perfect; the same tree comes out of a bottom-up build
 * that pairs nodes left to right and carries an odd last node up unchanged (never duplicated, as
 * Bitcoin does, which would let two lists share a root). The bottom-up form is what we compute:
 * n leaf hashes + n-1 node hashes, no recursion, no slicing.
 */
import { toHex } from '../codec/index.ts';

/**
 * Injected hash function (SM3 or SHA-256, fixed by the chain). It must return a fresh array and
 * not keep its input: callers reuse their input buffers.
 */
export type HashFn = (data: Uint8Array) => Uint8Array;

export interface MerkleProof {
  /** Position of the leaf in the list. */
  index: number;
  /** Number of leaves in the list. */
  total: number;
  /** Lowercase hex sibling hashes, leaf to root (the RFC 6962 §2.1.1 audit path). */
  path: string[];
}

const LEAF = 0x00;
const NODE = 0x01;

function leafHash(data: Uint8Array, hash: HashFn): Uint8Array {
  const buf = new Uint8Array(data.length + 1);
  buf[0] = LEAF;
  buf.set(data, 1);
  return hash(buf);
}

/** H(0x01 || l || r), reusing one scratch buffer per call site when hash sizes allow. */
function makeNodeHasher(hash: HashFn): (l: Uint8Array, r: Uint8Array) => Uint8Array {
  let buf = new Uint8Array(65);
  return (l, r) => {
    const n = 1 + l.length + r.length;
    if (buf.length !== n) buf = new Uint8Array(n);
    buf[0] = NODE;
    buf.set(l, 1);
    buf.set(r, 1 + l.length);
    return hash(buf);
  };
}

/** Replaces `level` in place with its parent level; returns the new length. */
function reduceLevel(level: Uint8Array[], m: number, node: (l: Uint8Array, r: Uint8Array) => Uint8Array): number {
  let w = 0;
  for (let i = 0; i + 1 < m; i += 2) level[w++] = node(level[i]!, level[i + 1]!);
  // An odd last node is promoted as is: that is RFC 6962's power-of-two split, seen bottom up.
  if (m % 2 === 1) level[w++] = level[m - 1]!;
  return w;
}

export function merkleRoot(leaves: Uint8Array[], hash: HashFn): Uint8Array {
  if (leaves.length === 0) return hash(new Uint8Array(0));
  const level = leaves.map((d) => leafHash(d, hash));
  const node = makeNodeHasher(hash);
  let m = level.length;
  while (m > 1) m = reduceLevel(level, m, node);
  return level[0]!;
}

/**
 * Audit path for leaves[index]. Each level is reduced once, so the proof costs exactly what the
 * root costs (2n-1 hashes) and records the sibling at each level on the way up.
 */
export function merkleProof(leaves: Uint8Array[], index: number, hash: HashFn): MerkleProof {
  const total = leaves.length;
  if (!Number.isSafeInteger(index) || index < 0 || index >= total) {
    throw new RangeError(`merkle proof index ${index} out of range for ${total} leaves`);
  }
  const level = leaves.map((d) => leafHash(d, hash));
  const node = makeNodeHasher(hash);
  const path: string[] = [];
  let m = total;
  let i = index;
  while (m > 1) {
    const sib = i % 2 === 1 ? i - 1 : i + 1;
    if (sib < m) path.push(toHex(level[sib]!)); // else: i is the promoted odd node, no sibling
    m = reduceLevel(level, m, node);
    i = Math.floor(i / 2);
  }
  return { index, total, path };
}

const hexOf = (n: number): RegExp => new RegExp(`^[0-9a-f]{${n * 2}}$`);

/**
 * Recomputes the root from leaf + path. Walks the same levels as the builder: at each level the
 * node at position i has a left sibling if i is odd, a right sibling if i+1 < width, and none if
 * it is the odd node carried up. The path must be consumed exactly. Never throws.
 */
export function verifyMerkleProof(root: Uint8Array, leaf: Uint8Array, proof: MerkleProof, hash: HashFn): boolean {
  try {
    if (!(root instanceof Uint8Array) || !(leaf instanceof Uint8Array)) return false;
    if (proof === null || typeof proof !== 'object') return false;
    const { index, total, path } = proof;
    if (!Number.isSafeInteger(index) || !Number.isSafeInteger(total) || index < 0 || index >= total) return false;
    if (!Array.isArray(path) || path.length > 64) return false;
    const re = hexOf(root.length);
    for (const p of path) if (typeof p !== 'string' || !re.test(p)) return false;
    const node = makeNodeHasher(hash);
    let cur = leafHash(leaf, hash);
    let i = index;
    let m = total;
    let k = 0;
    while (m > 1) {
      const odd = i % 2 === 1;
      if (odd || i + 1 < m) {
        if (k >= path.length) return false;
        const sib = Buffer.from(path[k++]!, 'hex');
        cur = odd ? node(sib, cur) : node(cur, sib);
      }
      // Halve with integer arithmetic that stays exact beyond 2^31.
      i = Math.floor(i / 2);
      m = Math.ceil(m / 2);
    }
    if (k !== path.length) return false;
    return Buffer.compare(cur, root) === 0;
  } catch {
    return false;
  }
}
