/**
 * Node model and binary encoding of the compressed sparse Merkle tree.
 *
 * A node's encoding IS its hash preimage, so the store is content-addressed in the strict sense
 * (hash = H(bytes)) and a node read back can be checked by rehashing it:
 *
 *   leaf      0x00 || keyHash(32) || valueHash(32)    hash = H(0x00 || key || value)
 *   internal  0x01 || leftHash(32) || rightHash(32)   hash = H(0x01 || left || right)
 *   empty     not stored; its hash is 32 zero bytes
 *
 * The tag byte separates leaves from internal nodes (as RFC 6962 §2.1 does for list trees), so
 * a leaf can never be presented as a subtree or the reverse. A leaf hash does not depend on the
 * leaf's depth, which is what lets a leaf move up or down the tree without being rehashed.
 */
import { ShulianError } from '../../codec/index.ts';

export const HASH_BYTES = 32;
export const NODE_BYTES = 1 + 2 * HASH_BYTES;
export const TAG_LEAF = 0x00;
export const TAG_INTERNAL = 0x01;

/** Hash of the empty subtree, and root of the empty tree. */
export const EMPTY_ROOT: Uint8Array = new Uint8Array(HASH_BYTES);

export type SmtNode =
  | { type: 'leaf'; key: Uint8Array; value: Uint8Array }
  | { type: 'internal'; left: Uint8Array; right: Uint8Array };

export function isZeroHash(h: Uint8Array): boolean {
  for (let i = 0; i < h.length; i++) if (h[i] !== 0) return false;
  return true;
}

function checkHash(h: Uint8Array, what: string): void {
  if (!(h instanceof Uint8Array) || h.length !== HASH_BYTES) {
    throw new ShulianError('SMT_BAD_NODE', `${what} must be ${HASH_BYTES} bytes`);
  }
}

export function encodeNode(node: SmtNode): Uint8Array {
  const out = new Uint8Array(NODE_BYTES);
  if (node.type === 'leaf') {
    checkHash(node.key, 'leaf key');
    checkHash(node.value, 'leaf value');
    out[0] = TAG_LEAF;
    out.set(node.key, 1);
    out.set(node.value, 1 + HASH_BYTES);
  } else {
    checkHash(node.left, 'left child');
    checkHash(node.right, 'right child');
    out[0] = TAG_INTERNAL;
    out.set(node.left, 1);
    out.set(node.right, 1 + HASH_BYTES);
  }
  return out;
}

/**
 * Throws SMT_CORRUPT_NODE on a wrong length, an unknown tag, or an internal node with two empty
 * children (such a node never exists: it would be the empty subtree).
 */
export function decodeNode(bytes: Uint8Array): SmtNode {
  if (!(bytes instanceof Uint8Array) || bytes.length !== NODE_BYTES) {
    throw new ShulianError('SMT_CORRUPT_NODE', `tree node must be ${NODE_BYTES} bytes, got ${bytes instanceof Uint8Array ? bytes.length : typeof bytes}`);
  }
  const a = bytes.slice(1, 1 + HASH_BYTES);
  const b = bytes.slice(1 + HASH_BYTES);
  if (bytes[0] === TAG_LEAF) return { type: 'leaf', key: a, value: b };
  if (bytes[0] === TAG_INTERNAL) {
    if (isZeroHash(a) && isZeroHash(b)) throw new ShulianError('SMT_CORRUPT_NODE', 'internal node with two empty children');
    return { type: 'internal', left: a, right: b };
  }
  throw new ShulianError('SMT_CORRUPT_NODE', `unknown tree node tag 0x${bytes[0]!.toString(16).padStart(2, '0')}`);
}

/** Bit `i` of a key, most significant bit of byte 0 first: 0 goes left, 1 goes right. */
export function bitAt(key: Uint8Array, i: number): number {
  return (key[i >> 3]! >> (7 - (i & 7))) & 1;
}
