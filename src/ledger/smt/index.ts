/**
 * Authenticated state: a compressed binary sparse Merkle tree keyed by 32-byte key hashes,
 * holding 32-byte value hashes, with inclusion and non-inclusion proofs at any stored root.
 */
export { SparseMerkleTree, type SmtUpdate, type SmtProof, type SmtOptions } from './tree.ts';
export { verifySmtProof } from './proof.ts';
export { MemoryNodeStore, type NodeStore } from './store.ts';
export { EMPTY_ROOT, encodeNode, decodeNode, type SmtNode } from './node.ts';
export type { HashFn } from '../merkle.ts';
