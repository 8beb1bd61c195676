/**
 * The ledger's wire face, browser-safe (codec, crypto and zod only): ledger types, hashing,
 * transactions, header/tx/state proof checks, Merkle trees, SMT proof checks and the light
 * client. The storage face (LMDB chain store, the state tree) is ./store/index.ts; the SDK and
 * the console never import it.
 */
export * from './types.ts';
export type { ChainInfo, BlockSummary, ConsensusStatus } from './wire.ts';
export { hashJson, txHashOf, headerHashOf, receiptHashOf, stateKeyHash, stateValueHash, canonicalBody } from './hashing.ts';
export {
  decodeTx, prepareTx, signTx, verifyTxSignature, txSigningMessage, checkPubkeySuite,
  type TxDraft,
} from './tx.ts';
export {
  verifyHeader, verifyProposerSignature, verifyHeaderWith, verifyTxInclusion, verifyStateLookup,
  type ProofCheck, type ProofErrorCode, type HeaderTrust, type TxInclusionProof, type StateLookupProof,
} from './verify.ts';
export { merkleRoot, merkleProof, verifyMerkleProof, type MerkleProof, type HashFn } from './merkle.ts';
export { verifySmtProof } from './smt/proof.ts';
export { EMPTY_ROOT } from './smt/node.ts';
export type { SmtProof } from './smt/tree.ts';
export * from './light/index.ts';
