/**
 * Proof reads: a committed tx with the Merkle proofs of its inclusion, and state at a height
 * with its proof against the header's state root (what light clients check, src/ledger/light).
 */
import { ShulianError, fromHex, type JsonValue } from '../codec/index.ts';
import type { Suite } from '../crypto/index.ts';
import { merkleProof, stateKeyHash, type StateLookup, type TxInclusion } from '../ledger/index.ts';
import type { ChainStore, SparseMerkleTree } from '../ledger/store/index.ts';

/** Where a chain's proofs are read from. */
export interface ProofSource {
  readonly id: string;
  readonly suite: Suite;
  readonly store: ChainStore;
  readonly tree: SparseMerkleTree;
  readonly hash: (d: Uint8Array) => Uint8Array;
}

/** A committed tx with its receipt, block header and the proofs of both in the block. */
export function txInclusion(src: ProofSource, hash: string): TxInclusion | undefined {
  const { store } = src;
  const loc = store.txLocation(hash);
  if (!loc) return undefined;
  const meta = store.getMeta(loc.height);
  const at = store.getTxAt(loc);
  if (!meta || !at) return undefined;
  return {
    tx: at.tx, receipt: at.receipt, hash, height: loc.height, index: loc.index,
    header: meta.header, blockHash: meta.hash, blockSig: meta.sig,
    proof: {
      tx: merkleProof(meta.txHashes.map((h) => fromHex(h)), loc.index, src.hash),
      receipt: merkleProof(meta.receiptHashes.map((h) => fromHex(h)), loc.index, src.hash),
    },
  };
}

/**
 * A state key's value at the head or a past height; with `proof`, its proof against the state
 * root of that height's header. Throws HEIGHT_NOT_FOUND for a height the chain has not reached.
 */
export function stateLookup(src: ProofSource, key: string, opts: { height?: number; proof?: boolean } = {}): StateLookup {
  const { store, tree } = src;
  const head = store.head()!;
  const height = opts.height ?? head.height;
  if (!Number.isSafeInteger(height) || height < 0 || height > head.height) {
    throw new ShulianError('HEIGHT_NOT_FOUND', `chain ${src.id} is at height ${head.height}; height ${height} does not exist`);
  }
  const block = height === head.height && !opts.proof ? undefined : store.getMeta(height)!;
  const stateRoot = block ? block.header.stateRoot : head.stateRoot;
  const keyHash = stateKeyHash(src.suite, key);
  let json: string | undefined;
  // While a commit waits for its flush, the latest-state table is a block ahead of the head.
  if (height === head.height && !store.stateAhead) {
    json = store.getState(key);
  } else {
    const vh = tree.get(fromHex(stateRoot), keyHash);
    json = vh ? store.getValue(vh) : undefined;
  }
  const out: StateLookup = { key, value: json === undefined ? null : (JSON.parse(json) as JsonValue), height, stateRoot };
  if (opts.proof && block) {
    out.proof = tree.prove(fromHex(stateRoot), keyHash);
    out.header = block.header;
    out.blockHash = block.hash;
    out.blockSig = block.sig;
  }
  return out;
}
