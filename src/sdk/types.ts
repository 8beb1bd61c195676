/**
 * Shapes of the HTTP API's answers (docs/api.md). Ledger objects (Tx, Block, TxInclusion,
 * StateLookup, Genesis, ValidatorInfo) come from src/ledger so the SDK and the node agree.
 */
import type { JsonValue } from '../codec/index.ts';
import type { Suite } from '../crypto/index.ts';
import type { Genesis, StateLookup, TxInclusion, ValidatorInfo, ChainInfo } from '../ledger/index.ts';

export interface Health {
  status: 'ok';
  /** The node's DID. */
  node: string;
  version: string;
  /** Number of chains the node hosts. */
  chains: number;
  uptimeMs: number;
}

// What a chain says about itself: the ledger's wire face (src/ledger/wire.ts), one definition for node and SDK.
export type { ChainInfo, BlockSummary, ConsensusStatus, ValidatorsAt, HeaderProof, SignedHeader, HeaderVerifier, LightState } from '../ledger/index.ts';

/** `GET /v1/chains/:chain`: the chain plus its genesis document. */
export interface ChainDetail extends ChainInfo {
  genesis: Genesis;
}

export interface BlocksQuery {
  /** Only blocks strictly below this height. */
  before?: number;
  limit?: number;
}

/** A committed transaction with everything needed to check it alone. */
export interface CommittedTx extends TxInclusion {
  status: 'committed';
  chain: string;
  /** The block's commit (precommits of more than 2/3 of the validators' power), on BFT chains. */
  commit?: JsonValue;
}

export interface PendingTx {
  status: 'pending';
  chain: string;
  hash: string;
}

export type TxStatus = CommittedTx | PendingTx;

export interface StateQuery {
  /** Ask for a proof (SMT proof plus the signed header it hangs from). */
  proof?: boolean;
  /** Read at a past height; latest when omitted. */
  height?: number;
}

export interface AccountInfo {
  did: string;
  /** Next nonce by committed state. */
  nonce: number;
  /** Next nonce counting the node's mempool: the one to sign with. */
  pendingNonce: number;
}

export interface AccountTx {
  hash: string;
  height: number;
  index: number;
}

export interface SubmitResult {
  hash: string;
}

export type BatchResult =
  | { hash: string; accepted: true }
  | { hash?: string; accepted: false; code: string; message: string };

/** What `send` puts in a transaction besides the nonce and expiry it works out itself. */
export interface Call {
  module: string;
  method: string;
  args: JsonValue;
}

export interface SendOptions {
  /** The tx may be included up to this many blocks after the current height (default 100). */
  expiresIn?: number;
  /** Send as this DID with a key of its document (after a rotation); default the key's own DID. */
  from?: string;
}

export interface WaitOptions {
  /** Give up after this long (default 30 s) with ShulianError TX_TIMEOUT. */
  timeoutMs?: number;
  /** First poll interval; it grows by half each poll up to 1 s (default 100 ms). */
  intervalMs?: number;
}

/** A transaction whose inclusion proof was checked on this machine. */
export interface VerifiedTx extends CommittedTx {
  proofVerified: true;
}

/** A state answer: with `proof`, the block's commit comes along on BFT chains. */
export interface StateAnswer extends StateLookup {
  commit?: JsonValue;
}

/** A state value (or its absence: `value: null`) whose proof was checked on this machine. */
export interface VerifiedState extends StateAnswer {
  proofVerified: true;
}


export interface BlockMessage {
  type: 'block';
  chain: string;
  height: number;
  hash: string;
  time: number;
  txCount: number;
}

export interface EventMessage {
  type: 'event';
  chain: string;
  height: number;
  /** Hash of the tx that emitted the event. */
  tx: string;
  module: string;
  event: string;
  data: JsonValue;
}

export type StreamMessage = BlockMessage | EventMessage;

/** Control messages of the stream: the first one confirms the subscription, or says why it failed. */
export type StreamControl =
  | { type: 'subscribed'; chains: string[] }
  | { type: 'error'; error: { code: string; message: string } };

export interface SubscribeOptions {
  chains: string[];
}

export interface SubscribeHandlers {
  /** Called on socket or parse errors (the subscription may still be open). */
  onError?: (err: Error) => void;
  /** Called once when the socket closes, whether by close() or by the node. */
  onClose?: (code: number, reason: string) => void;
}

export interface Subscription {
  /**
   * Resolves once the node confirms the subscription (every block committed after that is
   * delivered); rejects when the socket could not open or the node refused (e.g. CHAIN_NOT_FOUND).
   */
  readonly ready: Promise<void>;
  close(): void;
}

/** The subset of the Fetch API the client uses; pass your own to add auth, retries or a test double. */
export type FetchLike = (input: string, init?: {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}) => Promise<{
  ok: boolean;
  status: number;
  text(): Promise<string>;
}>;

export interface ClientOptions {
  /** Node API root, e.g. http://127.0.0.1:7070 (with or without a trailing /v1). */
  baseUrl: string;
  fetch?: FetchLike;
  /** Per-request timeout (default 15 s). */
  timeoutMs?: number;
  /**
   * A console session token or API key, sent as `Authorization: Bearer …` with every request:
   * for chains whose reads are served to their members only (docs/supervision.md#who-reads-a-chain).
   */
  token?: string;
  /**
   * Pinned genesis hashes by chain id: the trust roots of verified reads. A pinned chain's genesis
   * must hash to its pin (GENESIS_MISMATCH otherwise) before anything is verified against it.
   */
  genesisHashes?: Record<string, string>;
  /**
   * Where pins learned on first use are kept between runs (the CLI keeps them in a file). A chain
   * with neither a pin given nor one stored is trusted on first use: its genesis hash is stored
   * here and `onFirstUse` is told; later, a node serving another genesis fails loudly.
   */
  pinStore?: GenesisPinStore;
  /** Told when a chain's genesis is trusted on first use (default: a console.warn). */
  onFirstUse?: (e: FirstUse) => void;
  /** Refuse verified reads of chains without a pin (no trust on first use): GENESIS_NOT_PINNED. */
  requirePinnedGenesis?: boolean;
}

/** Genesis hashes pinned on first use, by node and chain (src/sdk/pins.ts keeps them in a file). */
export interface GenesisPinStore {
  get(baseUrl: string, chain: string): string | undefined | Promise<string | undefined>;
  set(baseUrl: string, chain: string, genesisHash: string): void | Promise<void>;
  /** Where the pins are kept, for messages (a file path). */
  readonly where?: string;
}

/** A genesis trusted on first use: nothing vouched for it but the node that served it. */
export interface FirstUse {
  chain: string;
  genesisHash: string;
  baseUrl: string;
  /** Where the pin was stored, when a pin store keeps it. */
  storedIn?: string;
}
