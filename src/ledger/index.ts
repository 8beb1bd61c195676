export * from './types.ts';
export { hashJson, txHashOf, headerHashOf, receiptHashOf, stateKeyHash, stateValueHash } from './hashing.ts';
export { decodeTx, prepareTx, signTx, verifyTxSignature, txSigningMessage, checkPubkeySuite, DID_RE, NAME_RE, CHAIN_ID_RE, type TxDraft } from './tx.ts';
export {
  verifyHeader, verifyProposerSignature, verifyHeaderWith, verifyTxInclusion, verifyStateLookup,
  type ProofCheck, type ProofErrorCode, type HeaderTrust, type TxInclusionProof, type StateLookupProof,
} from './verify.ts';
export { merkleRoot, merkleProof, verifyMerkleProof, type MerkleProof } from './merkle.ts';
export { SparseMerkleTree, verifySmtProof, EMPTY_ROOT, MemoryNodeStore, type SmtProof, type NodeStore, type SmtUpdate } from './smt/index.ts';
export { Mempool, type MempoolEntry } from './mempool.ts';
export { ChainStore } from './store.ts';
