import type { JsonValue } from '../codec/index.ts';
import type { KeyPair } from '../crypto/index.ts';
import type { Block } from '../ledger/index.ts';

/**
 * Gossip/direct message handler. Return `false` (or a promise of it) to stop a gossip message
 * from being forwarded (e.g. an invalid tx); anything else lets it travel on. Treat `body` as
 * read-only: every handler of the topic sees the same object.
 */
export type MessageHandler = (body: JsonValue, fromDid: string) => void | boolean | Promise<void | boolean>;

/** Serves one request; a thrown ShulianError's code travels back to the requester. */
export type RequestHandler = (body: JsonValue, fromDid: string) => JsonValue | Promise<JsonValue>;

/**
 * `low` frames (tx gossip and, by default, extension topics) are the first dropped when a
 * peer's socket backs up; `high` ones (consensus, sync) only at the hard cap.
 */
export type TopicPriority = 'low' | 'high';

export type NetLogLevel = 'debug' | 'info' | 'warn' | 'error';
export type NetLogger = (level: NetLogLevel, message: string, fields?: Record<string, string | number | boolean | null>) => void;

/** A peer to dial: `ws://host:port`, optionally with the DID expected there. */
export interface PeerAddress {
  address: string;
  did?: string;
}

export interface PeerNetworkOptions {
  /** This node's key; its DID is didFromPublicKey(key.publicKey). */
  key: KeyPair;
  /** Network / alliance id; both sides must agree. */
  alliance: string;
  /** Chains this node hosts now (more with addChain). */
  chains?: readonly string[];
  /**
   * Genesis/governance decide: called with no chain id at the handshake ("may this DID connect
   * at all?") and with each chain id both sides offer ("may it take part in this chain?").
   * Call refreshPeers() after the answer may have changed.
   */
  isAllowedPeer: (did: string, chainId?: string) => boolean;
  /** Where to listen; false for a dial-only node. Default 127.0.0.1, port 0 (any free port). */
  listen?: { host?: string; port?: number } | false;
  /** Peers to dial, kept connected with backoff. */
  peers?: readonly (string | PeerAddress)[];
  /** Largest frame (plaintext) sent or accepted. Default 4 MiB. */
  maxFrameBytes?: number;
  /** Nothing more is queued on a socket whose buffered bytes would pass this. Default 4 × maxFrameBytes. */
  maxBufferedBytes?: number;
  /** Low-priority frames are dropped for a peer while its socket buffers more than this. Default 1 MiB. */
  gossipBufferedBytes?: number;
  /** Incoming frame budget per peer (responses to own requests are exempt). */
  rate?: { framesPerSec?: number; burstFrames?: number; bytesPerSec?: number; burstBytes?: number };
  /** Malformed frames tolerated per peer within malformedWindowMs before it is disconnected. Default 10. */
  maxMalformed?: number;
  malformedWindowMs?: number;
  /** Keepalive: ping period, and silence after which a peer is dead. Defaults 1000 / 4000 ms. */
  pingIntervalMs?: number;
  deadAfterMs?: number;
  /** A connection that has not finished its handshake by then is closed. Default 5000 ms. */
  handshakeTimeoutMs?: number;
  /** Reconnect backoff: base·2^attempt capped at max, times a random factor in [0.5, 1). */
  reconnect?: { baseMs?: number; maxMs?: number };
  /** Default timeout of request(). Default 10 000 ms. */
  requestTimeoutMs?: number;
  /** Requests served concurrently per peer; more are answered BUSY. Default 16. */
  maxConcurrentRequests?: number;
  /** Async gossip handlers outstanding per peer before its messages stop being forwarded. Default 1024. */
  maxHandlerBacklog?: number;
  /** Gossip seen-cache entries. Default 100 000. */
  seenCacheSize?: number;
  /** Inbound connections still in handshake at once. Default 64. */
  maxPendingHandshakes?: number;
  /** Authenticated peers at once. Default 256. */
  maxPeers?: number;
  /** Priority of extension topics (tx: low, consensus and sync: high, others low by default). */
  topics?: Record<string, { priority?: TopicPriority }>;
  log?: NetLogger;
}

export interface PeerEvent {
  type: 'up' | 'down';
  did: string;
  /** Chains shared with the peer (at the time of the event). */
  chains: string[];
  direction: 'inbound' | 'outbound';
  address: string;
}

export interface DropCounters {
  /** Socket backed up (frames not sent). */
  backpressure: number;
  /** Over the peer's incoming rate budget. */
  rateLimited: number;
  /** Gossip already seen. */
  duplicate: number;
  /** For a chain not shared with the peer. */
  unsharedChain: number;
  /** Larger than maxFrameBytes. */
  oversize: number;
  /** Handler backlog full: not forwarded / served. */
  backlog: number;
}

export interface PeerCounters {
  framesIn: number;
  framesOut: number;
  bytesIn: number;
  bytesOut: number;
  /** Undecodable frames received. */
  malformed: number;
  dropped: DropCounters;
  /** Failed handshakes with a connection that claimed this DID. */
  handshakeFailures: number;
  /** Times the link came up. */
  connects: number;
}

export interface PeerStats extends PeerCounters {
  did: string;
  connected: boolean;
  direction: 'inbound' | 'outbound' | null;
  address: string | null;
  /** ms since the epoch. */
  connectedAt: number | null;
  chains: string[];
  bufferedBytes: number;
}

export interface DialerStats {
  address: string;
  did: string | null;
  state: 'waiting' | 'connecting' | 'connected' | 'idle' | 'stopped';
  attempts: number;
  lastError: string | null;
}

export interface NetworkStats {
  did: string;
  alliance: string;
  listening: string | null;
  chains: string[];
  peers: PeerStats[];
  dialers: DialerStats[];
  handshakeFailures: { total: number; byReason: Record<string, number> };
  pendingHandshakes: number;
  seenCacheSize: number;
}

/** One block as sync carries it: the block and whatever proof of commit its chain attaches. */
export interface SyncBlock {
  block: Block;
  commit: JsonValue;
}

/** What the syncing chain implements. */
export interface SyncTarget {
  /** Height of the last applied block (0 = genesis only). */
  height(): number;
  /** Verifies the block and its commit against the chain's validators, then applies it; throws if invalid. */
  verifyAndApply(block: Block, commit: JsonValue): Promise<void>;
}

/** What a node serves blocks from. */
export interface SyncSource {
  height(): number;
  /** Hash of the block at height(), if the chain has one to tell. */
  headHash?(): string | null;
  /** Up to `max` consecutive blocks from height `from`; fewer (or none) when it has fewer. */
  getBlocks(from: number, max: number): Promise<SyncBlock[]>;
}

export interface PeerStatus {
  did: string;
  height: number;
  head: string | null;
}
