/**
 * Errors of the ledger: transactions and their admission to the mempool, the block store, the
 * state tree, and the checks of inclusion and state proofs (`verify.ts`). The light client's own
 * codes are in light/errors.ts.
 */
import type { ErrorList, Registered } from '../codec/index.ts';

export const LEDGER_ERRORS = {
  TX_MALFORMED: 'the transaction is not the shape a transaction must be (fields, types, nesting)',
  TX_TOO_LARGE: 'the transaction is larger than the chain accepts',
  TX_BAD_KEY: 'the public key is not a key of the chain\'s signature suite',
  TX_DUPLICATE: 'the transaction is already pending or committed (or twice in one batch)',
  TX_NONCE_STALE: 'the sender already used this nonce in a committed transaction',
  TX_NONCE_TAKEN: 'another pending transaction of the sender already uses this nonce',
  TX_NONCE_GAP: 'the nonce is too far ahead of the sender\'s next nonce',
  TX_EXPIRED: 'the transaction\'s expiry height has passed',
  TX_EXPIRES_TOO_FAR: 'the expiry height is further ahead than the chain allows',
  MEMPOOL_FULL: 'the mempool is full and this transaction does not displace another',
  MEMPOOL_SENDER_QUOTA: 'the sender already has as many pending transactions as one sender may',
  STORE_HEIGHT: 'a block was stored out of order (it does not follow the head)',
  STORE_DISK_FULL: 'the disk holding the chain store is (nearly) full: the write was refused and nothing was written; free space and the node carries on',
  STORE_FORMAT_NEWER: 'the chain store was written by a newer release, in a format this release cannot read',
  STORE_FORMAT_INVALID: 'the chain store\'s format version is not a version at all (a damaged store)',
  SNAPSHOT_MALFORMED: 'a state snapshot (manifest, header or chunk) is not the shape it must be, or its keys are out of order',
  SNAPSHOT_WRONG_CHAIN: 'the snapshot or its header is of another chain than the one being synced',
  SNAPSHOT_WRONG_HEIGHT: 'the snapshot\'s header is for another height or block than its manifest names, or below the height asked for',
  SNAPSHOT_BAD_HEADER: 'the snapshot\'s header is not final under the validator set the light client holds (signatures, commit or schedule)',
  SNAPSHOT_MISSING_CHANGE_HEADER: 'the snapshot\'s chain changed its validator set at a height none of the offer\'s validator-change headers proves (the header just before the change is missing)',
  SNAPSHOT_BAD_CHANGE_HEADER: 'a validator-change header of the snapshot offer is not final under the set trusted for its height (forged set, too little of the old set\'s power, bad signature; the light-client code is in details.check)',
  SNAPSHOT_TOO_MANY_HEADERS: 'the snapshot offer carries more validator-change headers (or bytes of them) than a node accepts',
  SNAPSHOT_CHUNK_HASH: 'a snapshot chunk does not hash to the hash its manifest lists for it',
  SNAPSHOT_STATE_ROOT: 'the snapshot\'s entries do not rebuild the state root of its signed header',
  SNAPSHOT_TOO_LARGE: 'the snapshot has more chunks than a node accepts',
  SNAPSHOT_STORE_NOT_EMPTY: 'state sync was asked to start a data directory that already holds blocks',
  SMT_BAD_HASH: 'the state tree was given a hash of the wrong length',
  SMT_BAD_ROOT: 'a state root is not a hash of the right length',
  SMT_BAD_KEY: 'a state tree key is not a hash of the right length',
  SMT_BAD_NODE: 'a state tree node reference is not a hash of the right length',
  SMT_BAD_UPDATE: 'state tree updates are not a list of key/value changes',
  SMT_CORRUPT_NODE: 'a stored state tree node does not decode',
  SMT_MISSING_NODE: 'a state tree node the root refers to is not in the store',
  PROOF_MISSING: 'the answer carries no proof (or no header) at all',
  PROOF_TX_MISMATCH: 'the transaction body does not hash to the transaction hash, or its signature does not verify',
  PROOF_RECEIPT_MISMATCH: 'the receipt belongs to another transaction',
  PROOF_MERKLE: 'a Merkle proof\'s position, or the proof itself, does not reach the block\'s root',
  PROOF_STATE_ROOT: 'the state answer\'s root or height is not its header\'s',
  PROOF_STATE: 'the state inclusion or absence proof does not verify',
} as const satisfies ErrorList;

export type LedgerErrorCode = keyof typeof LEDGER_ERRORS;

declare module '../codec/errors.ts' {
  interface ErrorCodes extends Registered<typeof LEDGER_ERRORS, 'ledger'> {}
}
