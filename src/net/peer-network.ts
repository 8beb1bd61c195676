/**
 * PeerNetwork: authenticated WebSocket links between nodes, one per peer pair, multiplexing
 * every chain the two share; gossip with a seen-cache; direct messages; request/response.
 * Protocol: docs/network.md.
 */
import { createHash, randomInt } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { canonicalize, foreign, ShulianError, type JsonValue } from '../codec/index.ts';
import { didFromPublicKey } from '../crypto/index.ts';
import { CHAIN_RE, decodeFrame, encodeFrame, TOPIC_RE, type DecodedFrame } from './frame.ts';
import { Handshake, MAX_CHAINS, MAX_HANDSHAKE_BYTES, normalizeChains, type AuthenticatedPeer } from './handshake.ts';
import { TAG_BYTES, type SecureSession } from './session.ts';
import type {
  DialerStats, MessageHandler, NetLogger, NetworkStats, PeerAddress, PeerCounters, PeerEvent,
  PeerNetworkOptions, PeerStats, RequestHandler, TopicPriority,
} from './types.ts';

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
const BUILTIN_PRIORITY: Record<string, TopicPriority> = { tx: 'low', consensus: 'high', sync: 'high' };

interface Settings {
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

class TokenBucket {
  private frames: number;
  private bytes: number;
  private last = Date.now();
  constructor(private readonly s: Settings) {
    this.frames = s.burstFrames;
    this.bytes = s.burstBytes;
  }
  take(n: number): boolean {
    const now = Date.now();
    const dt = (now - this.last) / 1000;
    this.last = now;
    this.frames = Math.min(this.s.burstFrames, this.frames + dt * this.s.framesPerSec);
    this.bytes = Math.min(this.s.burstBytes, this.bytes + dt * this.s.bytesPerSec);
    if (this.frames < 1 || this.bytes < n) return false;
    this.frames -= 1;
    this.bytes -= n;
    return true;
  }
}

/** Bounded set of recently seen gossip digests (oldest evicted first). */
class SeenCache {
  private readonly set = new Set<string>();
  constructor(private readonly capacity: number) {}
  get size(): number {
    return this.set.size;
  }
  /** True if new (and now remembered). */
  add(key: string): boolean {
    if (this.set.has(key)) return false;
    this.set.add(key);
    if (this.set.size > this.capacity) {
      const oldest = this.set.values().next().value;
      if (oldest !== undefined) this.set.delete(oldest);
    }
    return true;
  }
}

interface PendingRequest {
  resolve: (v: JsonValue) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

type ConnState = 'handshake' | 'authed' | 'up' | 'closed';

interface Conn {
  id: number;
  ws: WebSocket;
  direction: 'inbound' | 'outbound';
  remote: string;
  dialer: Dialer | null;
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
  pending: Map<number, PendingRequest>;
  nextId: number;
  serving: number;
  backlog: number;
  bucket: TokenBucket;
  malformedCount: number;
  malformedSince: number;
  counters: PeerCounters | null;
  closed: Promise<void>;
  markClosed: () => void;
}

interface Dialer {
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

function emptyCounters(): PeerCounters {
  return {
    framesIn: 0, framesOut: 0, bytesIn: 0, bytesOut: 0, malformed: 0, handshakeFailures: 0, connects: 0,
    dropped: { backpressure: 0, rateLimited: 0, duplicate: 0, unsharedChain: 0, oversize: 0, backlog: 0 },
  };
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

function truncateReason(reason: string): string {
  // A close reason is at most 123 bytes of UTF-8.
  let r = reason;
  while (Buffer.byteLength(r) > 123) r = r.slice(0, -1);
  return r;
}

function isPromiseLike(x: unknown): x is PromiseLike<unknown> {
  return typeof x === 'object' && x !== null && typeof (x as { then?: unknown }).then === 'function';
}

function errorCode(err: unknown): string {
  return err instanceof ShulianError ? err.code : 'HANDLER_ERROR';
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const noLog: NetLogger = () => {};

export class PeerNetwork {
  readonly did: string;
  private readonly opts: PeerNetworkOptions;
  private readonly s: Settings;
  private readonly log: NetLogger;
  private readonly chains = new Set<string>();
  private readonly topicPriority: Record<string, TopicPriority>;
  private readonly conns = new Set<Conn>();
  /** The one live link per peer DID. */
  private readonly active = new Map<string, Conn>();
  private readonly dialers = new Map<string, Dialer>();
  private readonly counters = new Map<string, PeerCounters>();
  private readonly handlers = new Map<string, Set<MessageHandler>>();
  private readonly requestHandlers = new Map<string, RequestHandler>();
  private readonly peerListeners = new Set<(e: PeerEvent) => void>();
  private readonly seen: SeenCache;
  private readonly hsFailures = { total: 0, byReason: {} as Record<string, number> };
  private readonly logSeen = new Map<string, number>();
  private wss: WebSocketServer | null = null;
  private listenUrl: string | null = null;
  private tick: NodeJS.Timeout | null = null;
  private nextConnId = 1;
  private started = false;
  private closing = false;

  constructor(opts: PeerNetworkOptions) {
    this.opts = opts;
    this.did = didFromPublicKey(opts.key.publicKey);
    const maxFrameBytes = opts.maxFrameBytes ?? 4 * MiB;
    const r = opts.rate ?? {};
    this.s = {
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
    this.log = opts.log ?? noLog;
    this.seen = new SeenCache(this.s.seenCacheSize);
    this.topicPriority = { ...BUILTIN_PRIORITY };
    for (const [t, o] of Object.entries(opts.topics ?? {})) if (o.priority) this.topicPriority[t] = o.priority;
    for (const c of opts.chains ?? []) this.checkChain(c), this.chains.add(c);
  }

  // ---------------------------------------------------------------- lifecycle

  /** Listens (unless listen: false) and starts dialing the configured peers. */
  async start(): Promise<void> {
    if (this.started) throw new ShulianError('NET_STARTED', 'the network is already started');
    this.started = true;
    if (this.opts.listen !== false) {
      const host = this.opts.listen?.host ?? '127.0.0.1';
      const port = this.opts.listen?.port ?? 0;
      const wss = new WebSocketServer({ host, port, perMessageDeflate: false, maxPayload: this.maxPayload(), clientTracking: false });
      await new Promise<void>((resolve, reject) => {
        wss.once('listening', resolve);
        wss.once('error', reject);
      });
      wss.on('error', (err) => this.log('error', 'p2p listener error', { error: err.message }));
      wss.on('connection', (ws, req) => this.onInbound(ws, req));
      const addr = wss.address();
      const boundPort = typeof addr === 'object' && addr ? addr.port : port;
      this.listenUrl = `ws://${host.includes(':') ? `[${host}]` : host}:${boundPort}`;
      this.wss = wss;
    }
    this.tick = setInterval(() => this.keepalive(), this.s.pingIntervalMs);
    this.tick.unref();
    for (const p of this.opts.peers ?? []) this.addPeer(p);
  }

  /** Largest frame sent or accepted, in bytes. */
  get maxFrameBytes(): number {
    return this.s.maxFrameBytes;
  }

  /** `ws://host:port` this node listens on, or null. */
  address(): string | null {
    return this.listenUrl;
  }

  /** Closes every link and the listener. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.tick) clearInterval(this.tick);
    for (const d of this.dialers.values()) this.stopDialer(d);
    this.dialers.clear();
    const all = [...this.conns];
    for (const c of all) this.closeConn(c, CLOSE.shutdown, 'node shutting down');
    await Promise.all(all.map((c) => c.closed));
    const wss = this.wss;
    this.wss = null;
    if (wss) await new Promise<void>((resolve) => wss.close(() => resolve()));
  }

  // ---------------------------------------------------------------- chains and peers

  /** Starts offering a chain to peers (those already connected are told). */
  addChain(chain: string): void {
    this.checkChain(chain);
    if (this.chains.has(chain)) return;
    this.chains.add(chain);
    this.announceChains();
  }

  removeChain(chain: string): void {
    if (!this.chains.delete(chain)) return;
    this.announceChains();
  }

  /** Dials a peer and keeps it connected (exponential backoff with jitter). */
  addPeer(peer: string | PeerAddress): void {
    const p = typeof peer === 'string' ? { address: peer } : peer;
    if (!/^wss?:\/\/[^/\s]+\/?$/.test(p.address)) throw new ShulianError('BAD_PEER_ADDRESS', `peer address must look like ws://host:port, got ${JSON.stringify(p.address)}`);
    if (this.dialers.has(p.address) || this.closing) return;
    const d: Dialer = { address: p.address, expectedDid: p.did, learnedDid: p.did ?? null, attempts: 0, timer: null, conn: null, state: 'waiting', lastError: null, lastLogged: null };
    this.dialers.set(p.address, d);
    if (this.started) this.scheduleDial(d, 0);
  }

  /** Stops dialing an address and closes the link made through it. */
  removePeer(address: string): void {
    const d = this.dialers.get(address);
    if (!d) return;
    this.dialers.delete(address);
    this.stopDialer(d);
    if (d.conn) this.closeConn(d.conn, CLOSE.shutdown, 'peer removed');
  }

  /**
   * Re-asks isAllowedPeer for every link (after a governance change): disallowed peers are
   * disconnected, per-chain sharing is recomputed.
   */
  refreshPeers(): void {
    for (const c of [...this.active.values()]) {
      const did = c.peer!.did;
      if (!this.allowed(did)) {
        this.closeConn(c, CLOSE.notAllowed, 'peer no longer allowed');
        continue;
      }
      this.recomputeShared(c);
    }
  }

  /** DIDs of connected peers, optionally only those sharing `chain`. */
  peers(chain?: string): string[] {
    const out: string[] = [];
    for (const [did, c] of this.active) if (chain === undefined || c.shared.has(chain)) out.push(did);
    return out.sort();
  }

  /** Subscribes to peers coming up and going down. Returns the unsubscribe function. */
  onPeer(listener: (e: PeerEvent) => void): () => void {
    this.peerListeners.add(listener);
    return () => this.peerListeners.delete(listener);
  }

  // ---------------------------------------------------------------- messaging

  /** Registers a handler for gossip and direct messages on (chain, topic). Returns the unsubscribe function. */
  on(chain: string, topic: string, handler: MessageHandler): () => void {
    this.checkTopic(topic);
    const k = `${chain}\u0000${topic}`;
    let set = this.handlers.get(k);
    if (!set) this.handlers.set(k, (set = new Set()));
    set.add(handler);
    return () => {
      set.delete(handler);
    };
  }

  /** Serves requests on (chain, topic); one handler per pair. Returns the unregister function. */
  onRequest(chain: string, topic: string, handler: RequestHandler): () => void {
    this.checkTopic(topic);
    const k = `${chain}\u0000${topic}`;
    if (this.requestHandlers.has(k)) throw new ShulianError('NET_HANDLER_EXISTS', `a request handler for ${chain}/${topic} is already registered`);
    this.requestHandlers.set(k, handler);
    return () => {
      if (this.requestHandlers.get(k) === handler) this.requestHandlers.delete(k);
    };
  }

  /**
   * Gossips a message to every peer sharing the chain; they forward it once to theirs.
   * Returns how many peers it was queued for (0 if this content was already seen).
   */
  broadcast(chain: string, topic: string, body: JsonValue): number {
    const frame = this.buildFrame('gossip', chain, topic, canonicalize(body));
    if (!this.seen.add(digest(frame))) return 0;
    return this.forward(chain, topic, frame, null);
  }

  /** Sends one message to one peer (not forwarded). False if not connected/shared or dropped. */
  send(did: string, chain: string, topic: string, body: JsonValue): boolean {
    const frame = this.buildFrame('direct', chain, topic, JSON.stringify(body));
    const c = this.active.get(did);
    if (!c || !c.shared.has(chain)) return false;
    return this.sendFrame(c, frame, this.priority(topic));
  }

  /** Request/response with one peer. Rejects on timeout, disconnect or the peer's error. */
  request(did: string, chain: string, topic: string, body: JsonValue, opts: { timeoutMs?: number } = {}): Promise<JsonValue> {
    const c = this.active.get(did);
    if (!c) return Promise.reject(new ShulianError('PEER_NOT_CONNECTED', `not connected to ${did}`));
    if (!c.shared.has(chain)) return Promise.reject(new ShulianError('CHAIN_NOT_SHARED', `${did} does not share chain ${chain}`));
    let id = c.nextId;
    c.nextId = c.nextId >= 0xffffffff ? 1 : c.nextId + 1;
    while (c.pending.has(id)) id = id >= 0xffffffff ? 1 : id + 1;
    let frame: Uint8Array;
    try {
      frame = this.buildFrame('request', chain, topic, JSON.stringify(body), id);
    } catch (err) {
      return Promise.reject(err);
    }
    const timeoutMs = opts.timeoutMs ?? this.s.requestTimeoutMs;
    return new Promise<JsonValue>((resolve, reject) => {
      const timer = setTimeout(() => {
        c.pending.delete(id);
        reject(new ShulianError('REQUEST_TIMEOUT', `${topic} request to ${did} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      c.pending.set(id, { resolve, reject, timer });
      if (!this.sendFrame(c, frame, 'high')) {
        clearTimeout(timer);
        c.pending.delete(id);
        reject(new ShulianError('PEER_BACKPRESSURE', `could not queue the request for ${did}: its link is backed up`));
      }
    });
  }

  // ---------------------------------------------------------------- stats

  stats(): NetworkStats {
    const peers: PeerStats[] = [];
    for (const [did, k] of this.counters) {
      const c = this.active.get(did);
      peers.push({
        did, ...k, dropped: { ...k.dropped }, connected: !!c,
        direction: c?.direction ?? null, address: c?.remote ?? null, connectedAt: c ? c.upAt : null,
        chains: c ? [...c.shared].sort() : [], bufferedBytes: c ? c.ws.bufferedAmount : 0,
      });
    }
    peers.sort((a, b) => (a.did < b.did ? -1 : a.did > b.did ? 1 : 0));
    let pendingHandshakes = 0;
    for (const c of this.conns) if (c.state === 'handshake' || c.state === 'authed') pendingHandshakes++;
    return {
      did: this.did, alliance: this.opts.alliance, listening: this.listenUrl, chains: [...this.chains].sort(), peers,
      dialers: [...this.dialers.values()].map((d) => ({ address: d.address, did: d.learnedDid, state: d.state, attempts: d.attempts, lastError: d.lastError })),
      handshakeFailures: { total: this.hsFailures.total, byReason: { ...this.hsFailures.byReason } },
      pendingHandshakes, seenCacheSize: this.seen.size,
    };
  }

  // ================================================================ internals

  private maxPayload(): number {
    return Math.max(this.s.maxFrameBytes + TAG_BYTES, MAX_HANDSHAKE_BYTES);
  }

  private checkChain(chain: string): void {
    if (typeof chain !== 'string' || !CHAIN_RE.test(chain)) throw new ShulianError('BAD_CHAIN_ID', `chain id ${JSON.stringify(chain)} is not lowercase letters, digits and dashes`);
  }

  private checkTopic(topic: string): void {
    if (typeof topic !== 'string' || !TOPIC_RE.test(topic)) throw new ShulianError('BAD_TOPIC', `topic ${JSON.stringify(topic)} must match ${TOPIC_RE}`);
  }

  private priority(topic: string): TopicPriority {
    return this.topicPriority[topic] ?? 'low';
  }

  private buildFrame(kind: 'gossip' | 'direct' | 'request', chain: string, topic: string, text: string, id = 0): Uint8Array {
    this.checkChain(chain);
    this.checkTopic(topic);
    if (!this.chains.has(chain)) throw new ShulianError('CHAIN_NOT_REGISTERED', `chain ${chain} is not registered on this node's network`);
    const frame = encodeFrame(kind, chain, topic, text ?? 'null', id);
    if (frame.length > this.s.maxFrameBytes) throw new ShulianError('FRAME_TOO_LARGE', `a ${topic} frame of ${frame.length} bytes exceeds the ${this.s.maxFrameBytes}-byte cap`);
    return frame;
  }

  private allowed(did: string, chain?: string): boolean {
    try {
      return this.opts.isAllowedPeer(did, chain) === true;
    } catch (err) {
      this.log('error', 'isAllowedPeer threw', { did, chain: chain ?? null, error: errorMessage(err) });
      return false;
    }
  }

  private countersFor(did: string): PeerCounters {
    let k = this.counters.get(did);
    if (!k) this.counters.set(did, (k = emptyCounters()));
    return k;
  }

  /** Logs `key` at most once a minute (repeated failures from the same source). */
  private logLimited(key: string, level: 'info' | 'warn', message: string, fields: Record<string, string | number | boolean | null>): void {
    const now = Date.now();
    const last = this.logSeen.get(key);
    if (last !== undefined && now - last < 60_000) return;
    if (this.logSeen.size > 10_000) this.logSeen.clear();
    this.logSeen.set(key, now);
    this.log(level, message, fields);
  }

  // ---------------------------------------------------------------- connections

  private newConn(ws: WebSocket, direction: 'inbound' | 'outbound', remote: string, dialer: Dialer | null): Conn {
    let markClosed!: () => void;
    const closed = new Promise<void>((r) => (markClosed = r));
    const now = Date.now();
    const c: Conn = {
      id: this.nextConnId++, ws, direction, remote, dialer, state: 'handshake',
      hs: new Handshake({
        alliance: this.opts.alliance, key: this.opts.key, did: this.did, chains: [...this.chains],
        role: direction === 'outbound' ? 'dialer' : 'listener', isAllowedPeer: (did) => this.allowed(did),
        ...(dialer?.expectedDid !== undefined ? { expectedDid: dialer.expectedDid } : {}),
      }),
      offered: normalizeChains(this.chains).join(','),
      session: null, peer: null, peerChains: new Set(), shared: new Set(), createdAt: now, upAt: 0, lastRecv: now,
      ending: false, pending: new Map(), nextId: 1, serving: 0, backlog: 0,
      bucket: new TokenBucket(this.s), malformedCount: 0, malformedSince: now, counters: null, closed, markClosed,
    };
    this.conns.add(c);
    ws.on('message', (data, isBinary) => this.onMessage(c, data, isBinary));
    ws.on('pong', () => (c.lastRecv = Date.now()));
    ws.on('ping', () => (c.lastRecv = Date.now()));
    ws.on('error', (err) => this.onSocketError(c, err));
    ws.on('close', (code, reason) => this.onClose(c, code, reason.toString()));
    return c;
  }

  private onInbound(ws: WebSocket, req: IncomingMessage): void {
    const remote = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? 0}`;
    if (this.closing) {
      ws.close(CLOSE.shutdown, 'node shutting down');
      return;
    }
    let pending = 0;
    for (const c of this.conns) if (c.direction === 'inbound' && c.state !== 'up' && c.state !== 'closed') pending++;
    if (pending >= this.s.maxPendingHandshakes) {
      this.logLimited(`busy:${req.socket.remoteAddress}`, 'warn', 'p2p: too many pending handshakes, refusing connection', { remote });
      ws.close(CLOSE.capacity, 'too many pending handshakes');
      ws.on('error', () => {});
      return;
    }
    const c = this.newConn(ws, 'inbound', remote, null);
    ws.send(c.hs.hello());
  }

  private onSocketError(c: Conn, err: Error): void {
    const code = (err as { code?: string }).code;
    if (code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' && c.counters) c.counters.dropped.oversize++;
    if (c.dialer && c.state === 'handshake' && c.ws.readyState !== WebSocket.OPEN) c.dialer.lastError = err.message;
    else if (!c.ending) this.log('debug', 'p2p socket error', { remote: c.remote, did: c.peer?.did ?? null, error: err.message });
  }

  /** Closes a connection once (close frame, then terminate if the peer does not answer). */
  private closeConn(c: Conn, code: number, reason: string): void {
    if (c.ending) return;
    c.ending = true;
    const ws = c.ws;
    if (ws.readyState === WebSocket.CONNECTING) {
      ws.terminate();
      return;
    }
    if (ws.readyState === WebSocket.OPEN) ws.close(code, truncateReason(reason));
    const t = setTimeout(() => ws.terminate(), 1000);
    t.unref();
    void c.closed.then(() => clearTimeout(t));
  }

  /** A handshake that failed on our side: counted, logged once, socket closed with the reason. */
  private failHandshake(c: Conn, code: string, reason: string, claimedDid?: string): void {
    if (c.ending) return;
    this.countHandshakeFailure(c, code, reason, claimedDid);
    this.closeConn(c, CLOSE.handshakeFailed, reason);
  }

  private countHandshakeFailure(c: Conn, code: string, reason: string, claimedDid?: string): void {
    this.hsFailures.total++;
    this.hsFailures.byReason[code] = (this.hsFailures.byReason[code] ?? 0) + 1;
    // Per-DID only for DIDs on the allow list: anyone can mint DIDs, the stats map stays bounded.
    if (claimedDid && (this.counters.has(claimedDid) || this.allowed(claimedDid))) this.countersFor(claimedDid).handshakeFailures++;
    const fields = { remote: c.remote, direction: c.direction, reason, did: claimedDid ?? null };
    if (c.dialer) {
      const d = c.dialer;
      d.lastError = reason;
      if (d.lastLogged !== reason) {
        d.lastLogged = reason;
        this.log('warn', 'p2p handshake failed', fields);
      }
    } else {
      this.logLimited(`hs:${c.remote.replace(/:\d+$/, '')}:${reason}`, 'warn', 'p2p handshake failed', fields);
    }
  }

  private protocolViolation(c: Conn, reason: string): void {
    if (c.ending) return;
    this.log('warn', 'p2p protocol violation, disconnecting', { remote: c.remote, did: c.peer?.did ?? null, reason });
    this.closeConn(c, CLOSE.protocol, reason);
  }

  private onMessage(c: Conn, data: RawData, isBinary: boolean): void {
    if (c.state === 'closed' || c.ending) return;
    c.lastRecv = Date.now();
    const buf = toBuffer(data);
    if (c.state === 'handshake') {
      if (isBinary) return this.failHandshake(c, 'malformed', 'binary data during handshake');
      const step = c.hs.receive(buf.toString('utf8'));
      if (step.kind === 'fail') return this.failHandshake(c, step.code, step.reason, step.claimedDid);
      if (step.kind === 'send') {
        c.ws.send(step.text);
        return;
      }
      c.peer = step.peer;
      c.session = step.session;
      c.state = 'authed';
      if (c.dialer) c.dialer.learnedDid = step.peer.did;
      const existing = this.active.get(step.peer.did);
      if (existing && !this.prefer(c, existing)) {
        this.countersFor(step.peer.did);
        this.logLimited(`dup:${step.peer.did}:${c.direction}`, 'info', 'p2p: duplicate connection refused', { did: step.peer.did, remote: c.remote });
        this.closeConn(c, CLOSE.duplicate, 'duplicate connection');
        return;
      }
      this.sendControl(c, 'ready', {});
      return;
    }
    if (c.state === 'authed') {
      const plain = isBinary ? c.session!.open(buf) : null;
      const frame = plain ? decodeFrame(plain, this.s.maxFrameBytes) : null;
      if (frame?.kind === 'control' && frame.topic === 'ready') return this.goUp(c);
      return this.protocolViolation(c, 'expected ready');
    }
    const counters = c.counters!;
    counters.framesIn++;
    counters.bytesIn += buf.length;
    if (!isBinary) return this.malformed(c, counters);
    const plain = c.session!.open(buf);
    if (!plain) return this.protocolViolation(c, 'record failed authentication');
    if (plain.length > this.s.maxFrameBytes) {
      counters.dropped.oversize++;
      return this.malformed(c, counters);
    }
    const frame = decodeFrame(plain, this.s.maxFrameBytes);
    if (!frame) return this.malformed(c, counters);
    this.dispatch(c, counters, frame, plain);
  }

  private malformed(c: Conn, counters: PeerCounters): void {
    counters.malformed++;
    const now = Date.now();
    if (now - c.malformedSince > this.s.malformedWindowMs) {
      c.malformedSince = now;
      c.malformedCount = 0;
    }
    if (++c.malformedCount > this.s.maxMalformed) this.protocolViolation(c, `more than ${this.s.maxMalformed} malformed frames`);
  }

  /** Of two links to the same peer, the one dialed by the lower DID wins; same direction: the older. */
  private prefer(candidate: Conn, existing: Conn): boolean {
    if (candidate.direction === existing.direction) return false;
    const peerDid = candidate.peer!.did;
    const lowerIsMe = this.did < peerDid;
    // The winner is the outbound link of whichever side has the lower DID.
    return lowerIsMe ? candidate.direction === 'outbound' : candidate.direction === 'inbound';
  }

  private goUp(c: Conn): void {
    const did = c.peer!.did;
    const existing = this.active.get(did);
    if (existing && existing !== c) {
      if (!this.prefer(c, existing)) {
        this.closeConn(c, CLOSE.duplicate, 'duplicate connection');
        return;
      }
      // Swap links without a down/up: the old one's close finds it is no longer the active link.
      this.closeConn(existing, CLOSE.duplicate, 'superseded by a simultaneous connection');
    } else if (this.active.size >= this.s.maxPeers) {
      this.logLimited('maxpeers', 'warn', 'p2p: peer limit reached, refusing connection', { did, remote: c.remote });
      this.closeConn(c, CLOSE.capacity, 'too many peers');
      return;
    }
    c.state = 'up';
    c.upAt = Date.now();
    c.counters = this.countersFor(did);
    c.counters.connects++;
    for (const ch of c.peer!.chains) c.peerChains.add(ch);
    this.recomputeShared(c);
    this.active.set(did, c);
    if (c.dialer) {
      c.dialer.attempts = 0;
      c.dialer.state = 'connected';
      c.dialer.lastError = null;
      c.dialer.lastLogged = null;
    }
    const now = [...this.chains].sort();
    if (now.join(',') !== c.offered) this.sendControl(c, 'chains', { chains: now });
    if (existing && existing !== c) return; // a swap, not a new peer
    this.log('info', 'p2p peer up', { did, remote: c.remote, direction: c.direction, chains: [...c.shared].join(',') });
    this.emitPeer('up', c);
  }

  private emitPeer(type: 'up' | 'down', c: Conn): void {
    const e: PeerEvent = { type, did: c.peer!.did, chains: [...c.shared].sort(), direction: c.direction, address: c.remote };
    for (const l of this.peerListeners) {
      try {
        l(e);
      } catch (err) {
        this.log('error', 'peer listener threw', { error: errorMessage(err) });
      }
    }
  }

  private recomputeShared(c: Conn): void {
    const did = c.peer!.did;
    c.shared = new Set([...c.peerChains].filter((ch) => this.chains.has(ch) && this.allowed(did, ch)));
  }

  private onClose(c: Conn, code: number, reason: string): void {
    if (c.state === 'closed') return;
    const wasState = c.state;
    c.state = 'closed';
    this.conns.delete(c);
    for (const p of c.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new ShulianError('PEER_DISCONNECTED', `link to ${c.peer?.did ?? c.remote} closed before the answer`));
    }
    c.pending.clear();
    if ((wasState === 'handshake' || wasState === 'authed') && !c.ending) {
      // The other side ended the handshake: it rejected us, or the socket failed.
      if (code === CLOSE.handshakeFailed) this.countHandshakeFailure(c, 'rejected', `rejected by peer: ${reason}`, c.peer?.did);
      else if (code === CLOSE.duplicate) this.logLimited(`dup-remote:${c.remote}`, 'info', 'p2p: peer refused a duplicate connection', { remote: c.remote });
      else if (c.dialer && code !== 1006) c.dialer.lastError = `closed during handshake (${code}${reason ? ` ${reason}` : ''})`;
    }
    c.ending = true;
    if (wasState === 'up' && this.active.get(c.peer!.did) === c) {
      const did = c.peer!.did;
      this.active.delete(did);
      this.log('info', 'p2p peer down', { did, remote: c.remote, code, reason });
      this.emitPeer('down', c);
      for (const d of this.dialers.values()) {
        if (d.learnedDid === did && d.state === 'idle') this.scheduleDial(d, this.jitter(this.s.reconnectBaseMs));
      }
    }
    c.markClosed();
    if (c.dialer) this.onDialerClosed(c.dialer, c);
  }

  private keepalive(): void {
    const now = Date.now();
    for (const c of this.conns) {
      if (c.ending) continue;
      if (c.state !== 'up' && now - c.createdAt > this.s.handshakeTimeoutMs) {
        if (c.ws.readyState === WebSocket.CONNECTING) {
          if (c.dialer) c.dialer.lastError = 'connect timeout';
          this.closeConn(c, CLOSE.handshakeFailed, 'connect timeout');
        } else {
          this.failHandshake(c, 'timeout', 'handshake timeout', c.peer?.did);
        }
        continue;
      }
      if (c.ws.readyState !== WebSocket.OPEN) continue;
      if (now - c.lastRecv > this.s.deadAfterMs) {
        this.log('warn', 'p2p peer unresponsive, dropping link', { did: c.peer?.did ?? null, remote: c.remote, silentMs: now - c.lastRecv });
        c.ending = true;
        c.ws.terminate();
        continue;
      }
      try {
        c.ws.ping();
      } catch {
        /* closing */
      }
    }
  }

  // ---------------------------------------------------------------- dialing

  private jitter(ms: number): number {
    return Math.round(ms * (0.5 + randomInt(0, 1_000_000) / 2_000_000));
  }

  private scheduleDial(d: Dialer, delayMs: number): void {
    if (this.closing || !this.dialers.has(d.address)) return;
    if (d.timer) clearTimeout(d.timer);
    d.state = 'waiting';
    d.timer = setTimeout(() => {
      d.timer = null;
      this.dial(d);
    }, delayMs);
    d.timer.unref();
  }

  private backoff(d: Dialer): number {
    const exp = Math.min(d.attempts, 20);
    d.attempts++;
    return this.jitter(Math.min(this.s.reconnectMaxMs, this.s.reconnectBaseMs * 2 ** exp));
  }

  private dial(d: Dialer): void {
    if (this.closing || !this.dialers.has(d.address) || d.conn) return;
    if (d.learnedDid && this.active.has(d.learnedDid)) {
      d.state = 'idle'; // already linked (the peer dialed us); redial when that link drops
      return;
    }
    d.state = 'connecting';
    let ws: WebSocket;
    try {
      ws = new WebSocket(d.address, { perMessageDeflate: false, maxPayload: this.maxPayload(), handshakeTimeout: this.s.handshakeTimeoutMs });
    } catch (err) {
      d.lastError = errorMessage(err);
      this.scheduleDial(d, this.backoff(d));
      return;
    }
    const c = this.newConn(ws, 'outbound', d.address, d);
    d.conn = c;
    ws.on('open', () => {
      if (c.ending) return;
      ws.send(c.hs.hello());
    });
  }

  private onDialerClosed(d: Dialer, c: Conn): void {
    if (d.conn !== c) return;
    d.conn = null;
    if (this.closing || !this.dialers.has(d.address)) return;
    if (d.lastError && d.lastLogged !== d.lastError && c.upAt === 0) {
      d.lastLogged = d.lastError;
      this.log('warn', 'p2p dial failed', { address: d.address, error: d.lastError });
    }
    if (d.learnedDid && this.active.has(d.learnedDid)) {
      d.state = 'idle';
      return;
    }
    this.scheduleDial(d, this.backoff(d));
  }

  private stopDialer(d: Dialer): void {
    if (d.timer) clearTimeout(d.timer);
    d.timer = null;
    d.state = 'stopped';
  }

  // ---------------------------------------------------------------- frames

  private sendControl(c: Conn, type: string, body: JsonValue): void {
    const frame = encodeFrame('control', '', type, JSON.stringify(body));
    this.sendRecord(c, frame);
  }

  private announceChains(): void {
    const chains = [...this.chains].sort();
    for (const c of this.active.values()) {
      this.recomputeShared(c);
      this.sendControl(c, 'chains', { chains });
    }
  }

  private sendRecord(c: Conn, frame: Uint8Array): void {
    if (c.ws.readyState !== WebSocket.OPEN || !c.session) return;
    const rec = c.session.seal(frame);
    c.ws.send(rec);
    const k = c.counters;
    if (k) {
      k.framesOut++;
      k.bytesOut += rec.length;
    }
  }

  /** Queues a frame for a peer unless its socket is backed up (low priority first). */
  private sendFrame(c: Conn, frame: Uint8Array, priority: TopicPriority): boolean {
    if (c.state !== 'up' || c.ending || c.ws.readyState !== WebSocket.OPEN) return false;
    const buffered = c.ws.bufferedAmount;
    if ((priority === 'low' && buffered > this.s.gossipBufferedBytes) || buffered + frame.length > this.s.maxBufferedBytes) {
      c.counters!.dropped.backpressure++;
      return false;
    }
    this.sendRecord(c, frame);
    return true;
  }

  private forward(chain: string, topic: string, frame: Uint8Array, from: Conn | null): number {
    const pri = this.priority(topic);
    let n = 0;
    for (const c of this.active.values()) {
      if (c === from || !c.shared.has(chain)) continue;
      if (this.sendFrame(c, frame, pri)) n++;
    }
    return n;
  }

  private dispatch(c: Conn, counters: PeerCounters, f: DecodedFrame, plain: Buffer): void {
    const did = c.peer!.did;
    if (f.kind === 'control') {
      if (f.topic === 'chains') {
        const body = f.body;
        const list = typeof body === 'object' && body !== null && !Array.isArray(body) ? body.chains : undefined;
        if (!Array.isArray(list) || list.length > MAX_CHAINS || !list.every((x) => typeof x === 'string' && CHAIN_RE.test(x))) return this.malformed(c, counters);
        c.peerChains = new Set(normalizeChains(list as string[]));
        this.recomputeShared(c);
      }
      return; // unknown control types are ignored (newer peers)
    }
    if (f.kind === 'response' || f.kind === 'error') {
      const p = c.pending.get(f.id);
      if (!p) return; // late answer to a timed-out request
      c.pending.delete(f.id);
      clearTimeout(p.timer);
      if (f.kind === 'response') p.resolve(f.body);
      else {
        const b = f.body;
        const code = typeof b === 'object' && b !== null && !Array.isArray(b) && typeof b.code === 'string' ? b.code : 'REMOTE_ERROR';
        const message = typeof b === 'object' && b !== null && !Array.isArray(b) && typeof b.message === 'string' ? b.message : 'peer returned an error';
        p.reject(new ShulianError(foreign(code), `${did}: ${message}`, { remote: true }));
      }
      return;
    }
    if (!c.shared.has(f.chain)) {
      counters.dropped.unsharedChain++;
      if (f.kind === 'request') this.sendError(c, f, 'CHAIN_NOT_SHARED', `chain ${f.chain} is not shared on this link`);
      return;
    }
    if (!c.bucket.take(plain.length)) {
      counters.dropped.rateLimited++;
      if (f.kind === 'request') this.sendError(c, f, 'RATE_LIMITED', 'too many frames');
      return;
    }
    if (f.kind === 'request') return this.serve(c, counters, f);
    if (f.kind === 'gossip' && !this.seen.add(digest(plain))) {
      counters.dropped.duplicate++;
      return;
    }
    this.deliver(c, counters, f, plain);
  }

  private deliver(c: Conn, counters: PeerCounters, f: DecodedFrame, plain: Buffer): void {
    const did = c.peer!.did;
    const hs = this.handlers.get(`${f.chain}\u0000${f.topic}`);
    let veto = false;
    const async: PromiseLike<unknown>[] = [];
    if (hs) {
      for (const h of [...hs]) {
        try {
          const r = h(f.body, did);
          if (r === false) veto = true;
          else if (isPromiseLike(r)) async.push(r);
        } catch (err) {
          this.log('error', 'p2p message handler threw', { chain: f.chain, topic: f.topic, from: did, error: errorMessage(err) });
        }
      }
    }
    if (f.kind !== 'gossip' || veto) return;
    if (async.length === 0) {
      this.forward(f.chain, f.topic, plain, c);
      return;
    }
    if (c.backlog >= this.s.maxHandlerBacklog) {
      counters.dropped.backlog++;
      return;
    }
    c.backlog++;
    Promise.all(async).then(
      (rs) => {
        c.backlog--;
        if (!rs.includes(false)) this.forward(f.chain, f.topic, plain, c);
      },
      (err: unknown) => {
        c.backlog--;
        this.log('error', 'p2p message handler failed', { chain: f.chain, topic: f.topic, from: did, error: errorMessage(err) });
      },
    );
  }

  private serve(c: Conn, counters: PeerCounters, f: DecodedFrame): void {
    const handler = this.requestHandlers.get(`${f.chain}\u0000${f.topic}`);
    if (!handler) return this.sendError(c, f, 'NO_HANDLER', `no ${f.topic} service for chain ${f.chain}`);
    if (c.serving >= this.s.maxConcurrentRequests) {
      counters.dropped.backlog++;
      return this.sendError(c, f, 'BUSY', 'too many requests in flight');
    }
    c.serving++;
    const did = c.peer!.did;
    new Promise<JsonValue>((resolve) => resolve(handler(f.body, did)))
      .then(
        (result) => {
          if (c.state !== 'up') return;
          const frame = encodeFrame('response', f.chain, f.topic, JSON.stringify(result) ?? 'null', f.id);
          if (frame.length > this.s.maxFrameBytes) return this.sendError(c, f, 'RESPONSE_TOO_LARGE', `answer of ${frame.length} bytes exceeds the frame cap`);
          this.sendFrame(c, frame, this.priority(f.topic));
        },
        (err: unknown) => this.sendError(c, f, errorCode(err), errorMessage(err)),
      )
      .finally(() => c.serving--);
  }

  private sendError(c: Conn, f: DecodedFrame, code: string, message: string): void {
    if (c.state !== 'up') return;
    const frame = encodeFrame('error', f.chain, f.topic, JSON.stringify({ code, message: message.slice(0, 500) }), f.id);
    this.sendFrame(c, frame, 'high');
  }
}

/** Seen-cache key of a gossip frame: SHA-256 over everything after the kind byte. */
function digest(frame: Uint8Array): string {
  return createHash('sha256').update(frame.subarray(1)).digest('base64');
}
