/**
 * The ledger's storage face (Node only): the LMDB chain store (blocks, receipts, state, indexes)
 * and the authenticated state tree with its node stores. The wire face is ../index.ts.
 */
export { ChainStore, STORE_FORMAT, type ChainHead, type TxLocation, type BlockMeta } from './chain-store.ts';
export { SparseMerkleTree, MemoryNodeStore, EMPTY_ROOT, encodeNode, decodeNode, type SmtUpdate, type SmtProof, type SmtOptions, type NodeStore, type SmtNode } from '../smt/index.ts';
export {
  exportSnapshot, verifyOffer, verifyChunk, importSnapshot, buildState, chunkEntries, chunkHash, SNAPSHOT_FORMAT, SNAPSHOT_CHUNK_BYTES, MAX_SNAPSHOT_CHUNKS,
  type Snapshot, type SnapshotOffer, type SnapshotManifest, type SnapshotChunk,
} from './snapshot.ts';
export { verifySnapshotHeaders, MAX_SNAPSHOT_CHANGE_HEADERS, MAX_SNAPSHOT_CHANGE_BYTES } from './snapshot-headers.ts';
