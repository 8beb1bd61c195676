import type { JsonValue } from '../codec/index.ts';
import type { Suite } from '../crypto/index.ts';
import type { MerkleProof } from './merkle.ts';
import type { SmtProof } from './smt/index.ts';

/** What a sender signs. The chain id binds the tx to one chain; the nonce orders and de-duplicates. */
export interface TxBody {
  chain: string;
  /** Sender DID (did:shulian:…). */
  from: string;
  /** Hex public key the signature verifies under; must be a current key of `from`. */
  pubkey: string;
  /** Per-sender sequence number, starting at 0, no gaps at execution. */
  nonce: number;
  module: string;
  method: string;
  args: JsonValue;
  /** Last block height at which this tx may be included. */
  expires: number;
}

/** A signed transaction: `sig` is over the tx hash (hash of the canonical body). */
export interface Tx extends TxBody {
  sig: string;
}

export interface TxEvent {
  module: string;
  type: string;
  data: JsonValue;
}

export interface Receipt {
  tx: string;
  status: 'ok' | 'failed';
  /** Error code when failed, e.g. NOTARY_EXISTS. */
  code?: string;
  message?: string;
  gasUsed: number;
  events: TxEvent[];
  /** What the method returned, when it returned something. */
  result?: JsonValue;
}

export interface BlockHeader {
  chain: string;
  height: number;
  /** Hash of the previous header; for height 0 the genesis document hash. */
  prev: string;
  /** Block time, ms since the Unix epoch, set by consensus; the only clock execution sees. */
  time: number;
  txCount: number;
  txRoot: string;
  receiptRoot: string;
  /** State root after executing this block's txs. */
  stateRoot: string;
  proposer: string;
}

export interface Block {
  header: BlockHeader;
  /** Hash of the canonical header. */
  hash: string;
  /** Proposer's signature over the block hash. */
  sig: string;
  txs: Tx[];
  receipts: Receipt[];
  /**
   * Heights of other chains (by id) whose committed state judged this block's senders and
   * admission: the identity chain for DID keys, the governance chain for a business chain's
   * admission policy. Absent keys keep the parent's values; the effective map is written to the
   * state key `sys/refs`, so the header's state root commits to it (docs/consensus.md).
   */
  refs?: Record<string, number>;
}

export interface ValidatorInfo {
  did: string;
  publicKey: string;
  power: number;
}

export interface ChainParams {
  maxBlockTxs: number;
  maxTxBytes: number;
  maxTxGas: number;
  /** How many txs the mempool holds, and how many bytes. */
  mempoolMaxTxs: number;
  mempoolMaxBytes: number;
  /** How far ahead of the account nonce a tx may be queued. */
  maxNonceGap: number;
}

export interface Genesis {
  chain: string;
  alliance: string;
  name: string;
  nameZh: string;
  kind: 'governance' | 'public-service' | 'business';
  suite: Suite;
  consensus: { type: 'solo' | 'tbft' };
  validators: ValidatorInfo[];
  modules: string[];
  params: ChainParams;
  /** Genesis time, ms since the Unix epoch. */
  time: number;
  /** Root CAs (PEM or base64 DER) organisations' certificate chains must end at (did.bindCertificate). */
  x509Roots?: string[];
  /**
   * Chains that run the `xchain` module: the routing chain whose registry they follow, and its
   * genesis validators — the one trust root from which every other chain's light client is set up.
   */
  crossChain?: CrossChainGenesis;
  /**
   * A business chain born in sandbox mode (issue #24, docs/governance.md#sandbox-chains): only
   * sandbox issuers' money and no cross-chain path to production chains until a `promote-chain`
   * vote. Part of the genesis (and its hash) because it is how the chain was born; the promotion
   * is recorded in the registry and in the chain's route, not here.
   */
  sandbox?: true;
}

export interface CrossChainGenesis {
  routeChain: string;
  routeSuite: Suite;
  routeConsensus: 'solo' | 'tbft';
  routeValidators: ValidatorInfo[];
  /** The routing chain runs the `validators` module (its headers carry their schedule). */
  routeTracksValidators?: boolean;
  /** On the routing chain's own genesis: the first registrations, written once by `xroute.init`. */
  routes?: JsonValue[];
}

export interface TxInclusion {
  tx: Tx;
  receipt: Receipt;
  hash: string;
  height: number;
  index: number;
  header: BlockHeader;
  blockHash: string;
  blockSig: string;
  proof: { tx: MerkleProof; receipt: MerkleProof };
}

export interface StateLookup {
  key: string;
  value: JsonValue | null;
  height: number;
  stateRoot: string;
  proof?: SmtProof;
  header?: BlockHeader;
  blockHash?: string;
  blockSig?: string;
}
