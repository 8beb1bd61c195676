/**
 * Stateless verification of SmtProof (format documented on SmtProof in tree.ts).
 *
 * The verifier rebuilds the root from the node at the end of the path (a leaf, or the empty
 * subtree) and the siblings, taking the key's bits from the root down. Leaf and internal hashes
 * are domain-separated (0x00 / 0x01), so with a collision-resistant hash a proof that rebuilds
 * the root must follow the real path, and end exactly where the real path ends. On top of that
 * it refuses shapes the canonical tree never has, so a forged non-canonical root cannot be
 * "proven" either: a leaf or an empty end whose sibling at the parent is also empty (the leaf
 * would have moved up; the parent would be empty), and a non-inclusion leaf whose key does not
 * share the path's prefix with the queried key (it could not sit at that position).
 */
import type { HashFn } from '../merkle.ts';
import { HASH_BYTES, NODE_BYTES, TAG_INTERNAL, TAG_LEAF, bitAt } from './node.ts';
import type { SmtProof } from './tree.ts';
import { HEX64_RE as HEX32 } from '../../codec/index.ts';

const ZERO_HEX = '0'.repeat(64);

function is32(b: unknown): b is Uint8Array {
  return b instanceof Uint8Array && b.length === HASH_BYTES;
}

function samePrefix(a: Uint8Array, b: Uint8Array, bits: number): boolean {
  for (let i = 0; i < bits; i++) if (bitAt(a, i) !== bitAt(b, i)) return false;
  return true;
}

/**
 * value non-null: `key` maps to `value` under `root`. value null: `key` is absent under `root`.
 * Returns false (never throws) on anything malformed.
 */
export function verifySmtProof(root: Uint8Array, key: Uint8Array, value: Uint8Array | null, proof: SmtProof, hash: HashFn): boolean {
  try {
    if (!is32(root) || !is32(key) || (value !== null && !is32(value))) return false;
    if (proof === null || typeof proof !== 'object') return false;
    const sibs: unknown = proof.siblings;
    if (!Array.isArray(sibs) || sibs.length > 256) return false;
    for (const s of sibs) if (typeof s !== 'string' || !HEX32.test(s)) return false;
    const depth = sibs.length;
    // Canonical shape: the node above the path's end has a non-empty sibling there.
    if (depth > 0 && sibs[depth - 1] === ZERO_HEX) return false;

    const buf = new Uint8Array(NODE_BYTES);
    let cur: Uint8Array;
    const leaf: unknown = proof.leaf;
    if (leaf === undefined || leaf === null) {
      if (value !== null) return false; // inclusion needs the leaf
      cur = new Uint8Array(HASH_BYTES); // path ends at the empty subtree
    } else {
      if (typeof leaf !== 'object') return false;
      const { key: lk, value: lv } = leaf as { key: unknown; value: unknown };
      if (typeof lk !== 'string' || typeof lv !== 'string' || !HEX32.test(lk) || !HEX32.test(lv)) return false;
      const leafKey = Buffer.from(lk, 'hex');
      const leafValue = Buffer.from(lv, 'hex');
      const sameKey = Buffer.compare(leafKey, key) === 0;
      if (value !== null) {
        if (!sameKey || Buffer.compare(leafValue, value) !== 0) return false;
      } else {
        // Another key's leaf at this position proves ours absent only if it shares our path.
        if (sameKey || !samePrefix(leafKey, key, depth)) return false;
      }
      buf[0] = TAG_LEAF;
      buf.set(leafKey, 1);
      buf.set(leafValue, 1 + HASH_BYTES);
      cur = hash(buf);
      if (!is32(cur)) return false;
    }

    for (let i = depth - 1; i >= 0; i--) {
      const sib = Buffer.from(sibs[i] as string, 'hex');
      buf[0] = TAG_INTERNAL;
      if (bitAt(key, i) === 0) {
        buf.set(cur, 1);
        buf.set(sib, 1 + HASH_BYTES);
      } else {
        buf.set(sib, 1);
        buf.set(cur, 1 + HASH_BYTES);
      }
      cur = hash(buf);
      if (!is32(cur)) return false;
    }
    return Buffer.compare(cur, root) === 0;
  } catch {
    return false;
  }
}
