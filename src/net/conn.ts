/**
 * What the parts of the peer network share: its settings, one connection's record, and the
 * checks of chain ids and topics.
 */
import type { WebSocket } from 'ws';
import { ShulianError, type JsonValue } from '../codec/index.ts';
import { CHAIN_RE, TOPIC_RE } from './frame.ts';
import type { AuthenticatedPeer, Handshake } from './handshake.ts';
import { TAG_BYTES, type SecureSession } from './session.ts';
import type { DialerStats, PeerCounters, PeerNetworkOptions } from './types.ts';

/** WebSocket close codes this layer uses (4000–4999 are for applications). */
export const CLOSE = {
  shutdown: 1001,
  handshakeFailed: 4001,
  duplicate: 4002,
  protocol: 4003,
  capacity: 4004,
  notAllowed: 4005,
  dead: 4006,
} as const;

const MiB = 1024 * 1024;

/** The network's limits and timings (settingsOf: from its options, with defaults). */
export interface Settings {
  maxFrameBytes: number;
  maxBufferedBytes: number;
  gossipBufferedBytes: number;
  framesPerSec: number;
  burstFrames: number;
  bytesPerSec: number;
  burstBytes: number;
  maxMalformed: number;
  malformedWindowMs: number;
  pingIntervalMs: number;
  deadAfterMs: number;
  handshakeTimeoutMs: number;
  reconnectBaseMs: number;
  reconnectMaxMs: number;
  requestTimeoutMs: number;
  maxConcurrentRequests: number;
  maxHandlerBacklog: number;
  seenCacheSize: number;
  maxPendingHandshakes: number;
  maxPeers: number;
}

export function settingsOf(opts: PeerNetworkOptions): Settings {
  const maxFrameBytes = opts.maxFrameBytes ?? 4 * MiB;
  const r = opts.rate ?? {};
  return {
    maxFrameBytes,
    maxBufferedBytes: Math.max(opts.maxBufferedBytes ?? 4 * maxFrameBytes, maxFrameBytes + TAG_BYTES),
    gossipBufferedBytes: opts.gossipBufferedBytes ?? MiB,
    framesPerSec: r.framesPerSec ?? 20_000,
    burstFrames: Math.max(1, r.burstFrames ?? 2 * (r.framesPerSec ?? 20_000)),
    bytesPerSec: r.bytesPerSec ?? 64 * MiB,
    burstBytes: Math.max(r.burstBytes ?? 64 * MiB, maxFrameBytes),
    maxMalformed: opts.maxMalformed ?? 10,
    malformedWindowMs: opts.malformedWindowMs ?? 60_000,
    pingIntervalMs: opts.pingIntervalMs ?? 1000,
    deadAfterMs: opts.deadAfterMs ?? 4000,
    handshakeTimeoutMs: opts.handshakeTimeoutMs ?? 5000,
    reconnectBaseMs: opts.reconnect?.baseMs ?? 250,
    reconnectMaxMs: opts.reconnect?.maxMs ?? 30_000,
    requestTimeoutMs: opts.requestTimeoutMs ?? 10_000,
    maxConcurrentRequests: opts.maxConcurrentRequests ?? 16,
    maxHandlerBacklog: opts.maxHandlerBacklog ?? 1024,
    seenCacheSize: opts.seenCacheSize ?? 100_000,
    maxPendingHandshakes: opts.maxPendingHandshakes ?? 64,
    maxPeers: opts.maxPeers ?? 256,
  };
}

/** A peer's budget of incoming frames and bytes. */
export class TokenBucket {
  private frames: number;
  private bytes: number;
  private last = Date.now();
  constructor(private readonly s: Settings) {
    this.frames = s.burstFrames;
    this.bytes = s.burstBytes;
  }
  take(n: number): boolean {
    if (!this.allows(n)) return false;
    this.frames -= 1;
    this.bytes -= n;
    return true;
  }

  /** Whether a frame of `n` bytes is within the budget now (nothing is taken). */
  allows(n: number): boolean {
    const now = Date.now();
    const dt = (now - this.last) / 1000;
    this.last = now;
    this.frames = Math.min(this.s.burstFrames, this.frames + dt * this.s.framesPerSec);
    this.bytes = Math.min(this.s.burstBytes, this.bytes + dt * this.s.bytesPerSec);
    return this.frames >= 1 && this.bytes >= n;
  }
}

export interface PendingRequest {
  resolve: (v: JsonValue) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export type ConnState = 'handshake' | 'authed' | 'up' | 'closed';

/** One WebSocket connection, from its first byte to its close. */
export interface Conn {
  id: number;
  ws: WebSocket;
  direction: 'inbound' | 'outbound';
  remote: string;
  /** The dial target this outbound connection was made for; null for inbound ones. */
  dialer: DialTarget | null;
  state: ConnState;
  hs: Handshake;
  /** The chain list our handshake offered (peers learn later changes by a `chains` control frame). */
  offered: string;
  session: SecureSession | null;
  peer: AuthenticatedPeer | null;
  peerChains: Set<string>;
  shared: Set<string>;
  createdAt: number;
  upAt: number;
  lastRecv: number;
  /** Set once the connection has failed or been closed by us: logs and counts happen once. */
  ending: boolean;
  /** Requests sent on this link and waiting for their answer (requests.ts). */
  pending: Map<number, PendingRequest>;
  nextId: number;
  /** Requests from the peer being served (requests.ts). */
  serving: number;
  /** Async gossip handlers outstanding for this peer's messages (gossip.ts). */
  backlog: number;
  bucket: TokenBucket;
  malformedCount: number;
  malformedSince: number;
  counters: PeerCounters | null;
  closed: Promise<void>;
  markClosed: () => void;
}

/** An address this node keeps dialing (dialer.ts); the links note what happens to its connections. */
export interface DialTarget {
  address: string;
  expectedDid: string | undefined;
  learnedDid: string | null;
  attempts: number;
  timer: NodeJS.Timeout | null;
  conn: Conn | null;
  state: DialerStats['state'];
  lastError: string | null;
  lastLogged: string | null;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Throws BAD_CHAIN_ID unless `chain` is spelled as a chain id. */
export function checkChain(chain: string): void {
  if (typeof chain !== 'string' || !CHAIN_RE.test(chain)) throw new ShulianError('BAD_CHAIN_ID', `chain id ${JSON.stringify(chain)} is not lowercase letters, digits and dashes`);
}

/** Throws BAD_TOPIC unless `topic` is spelled as a topic. */
export function checkTopic(topic: string): void {
  if (typeof topic !== 'string' || !TOPIC_RE.test(topic)) throw new ShulianError('BAD_TOPIC', `topic ${JSON.stringify(topic)} must match ${TOPIC_RE}`);
}
