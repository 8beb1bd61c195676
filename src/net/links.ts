/**
 * The links of the peer network: listening, connections in and out (the dialer keeps the
 * outbound ones up), the handshake on each, keepalive, one live link per peer, the chains each
 * link shares, and sending frames under backpressure. Data frames that arrive on a link go to
 * the network's router (peer-network.ts), which hands them to gossip (gossip.ts) or
 * request/response (requests.ts). Protocol: docs/network.md.
 */
import type { IncomingMessage } from 'node:http';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { ShulianError, type JsonValue } from '../codec/index.ts';
import { didFromPublicKey } from '../crypto/index.ts';
import {
  CLOSE, TokenBucket, checkChain, checkTopic, errorMessage, type Conn, type DialTarget, type Settings,
} from './conn.ts';
import { packFrame, unpackFrame } from './compress.ts';
import { Dialer } from './dialer.ts';
import { CHAIN_RE, decodeFrame, encodeFrame, type DecodedFrame } from './frame.ts';
import { Handshake, MAX_CHAINS, MAX_HANDSHAKE_BYTES, normalizeChains } from './handshake.ts';
import { TAG_BYTES } from './session.ts';
import type { NetLogger, NetworkStats, PeerAddress, PeerCounters, PeerEvent, PeerNetworkOptions, PeerStats, TopicPriority } from './types.ts';

const BUILTIN_PRIORITY: Record<string, TopicPriority> = { tx: 'low', consensus: 'high', proposal: 'high', sync: 'high' };

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

/** What the links hand on. */
export interface LinkEvents {
  /** A data frame (not control) arrived on an up link, decoded and within the frame cap. */
  frame(c: Conn, counters: PeerCounters, f: DecodedFrame, plain: Buffer): void;
  /** A link closed: whatever waits on it must fail now. */
  closed(c: Conn): void;
}

export class Links {
  readonly did: string;
  /** Chains this node offers to peers. */
  private readonly chains = new Set<string>();
  private readonly topicPriority: Record<string, TopicPriority>;
  private readonly conns = new Set<Conn>();
  /** The one live link per peer DID. */
  private readonly active = new Map<string, Conn>();
  private readonly dialer: Dialer;
  private readonly counters = new Map<string, PeerCounters>();
  private readonly peerListeners = new Set<(e: PeerEvent) => void>();
  private readonly hsFailures = { total: 0, byReason: {} as Record<string, number> };
  private readonly logSeen = new Map<string, number>();
  private wss: WebSocketServer | null = null;
  private listenUrl: string | null = null;
  private tick: NodeJS.Timeout | null = null;
  private nextConnId = 1;
  private started = false;
  private closing = false;

  constructor(
    private readonly opts: PeerNetworkOptions,
    private readonly s: Settings,
    private readonly log: NetLogger,
    private readonly events: LinkEvents,
  ) {
    this.did = didFromPublicKey(opts.key.publicKey);
    this.dialer = new Dialer(s, log, { isLinked: (did) => this.active.has(did), connect: (d) => this.connect(d) });
    this.topicPriority = { ...BUILTIN_PRIORITY };
    for (const [t, o] of Object.entries(opts.topics ?? {})) if (o.priority) this.topicPriority[t] = o.priority;
    for (const c of opts.chains ?? []) checkChain(c), this.chains.add(c);
  }

  // ---------------------------------------------------------------- lifecycle

  /** Listens (unless listen: false) and starts dialing the configured peers. */
  async start(): Promise<void> {
    if (this.started) throw new ShulianError('NET_STARTED', 'the network is already started');
    this.started = true;
    this.dialer.start();
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
    for (const p of this.opts.peers ?? []) this.dialer.add(p);
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
    this.dialer.close();
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
    checkChain(chain);
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
    this.dialer.add(peer);
  }

  /** Stops dialing an address and closes the link made through it. */
  removePeer(address: string): void {
    const conn = this.dialer.remove(address);
    if (conn) this.closeConn(conn, CLOSE.shutdown, 'peer removed');
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

  /** The live link to `did`, if any. */
  link(did: string): Conn | undefined {
    return this.active.get(did);
  }

  /** The live links. */
  up(): IterableIterator<Conn> {
    return this.active.values();
  }

  /** The network's counters and state, but for the gossip seen-cache. */
  stats(): Omit<NetworkStats, 'seenCacheSize'> {
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
      dialers: this.dialer.stats(),
      handshakeFailures: { total: this.hsFailures.total, byReason: { ...this.hsFailures.byReason } },
      pendingHandshakes,
    };
  }

  // ---------------------------------------------------------------- frames out

  /** Queue priority of a topic's frames. */
  priority(topic: string): TopicPriority {
    return this.topicPriority[topic] ?? 'low';
  }

  /** A data frame for a chain this node offers, within the frame cap. */
  buildFrame(kind: 'gossip' | 'direct' | 'request', chain: string, topic: string, text: string, id = 0): Uint8Array {
    checkChain(chain);
    checkTopic(topic);
    if (!this.chains.has(chain)) throw new ShulianError('CHAIN_NOT_REGISTERED', `chain ${chain} is not registered on this node's network`);
    const frame = encodeFrame(kind, chain, topic, text ?? 'null', id);
    if (frame.length > this.s.maxFrameBytes) throw new ShulianError('FRAME_TOO_LARGE', `a ${topic} frame of ${frame.length} bytes exceeds the ${this.s.maxFrameBytes}-byte cap`);
    return frame;
  }

  /** Queues a frame for a peer unless its socket is backed up (low priority first). */
  sendFrame(c: Conn, frame: Uint8Array, priority: TopicPriority): boolean {
    if (c.state !== 'up' || c.ending || c.ws.readyState !== WebSocket.OPEN) return false;
    const buffered = c.ws.bufferedAmount;
    if ((priority === 'low' && buffered > this.s.gossipBufferedBytes) || buffered + frame.length > this.s.maxBufferedBytes) {
      c.counters!.dropped.backpressure++;
      return false;
    }
    this.sendRecord(c, frame);
    return true;
  }

  private sendRecord(c: Conn, frame: Uint8Array): void {
    if (c.ws.readyState !== WebSocket.OPEN || !c.session) return;
    const { head, body } = packFrame(frame);
    const rec = c.session.seal(head, body);
    c.ws.send(rec);
    const k = c.counters;
    if (k) {
      k.framesOut++;
      k.bytesOut += rec.length;
    }
  }

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

  // ================================================================ internals

  private maxPayload(): number {
    return Math.max(this.s.maxFrameBytes + 1 + TAG_BYTES, MAX_HANDSHAKE_BYTES); // + the record's flag byte (compress.ts)
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

  private newConn(ws: WebSocket, direction: 'inbound' | 'outbound', remote: string, dialer: DialTarget | null): Conn {
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

  /** An outbound connection for a dial target (the dialer's DialHost.connect). */
  private connect(d: DialTarget): Conn {
    const ws = new WebSocket(d.address, { perMessageDeflate: false, maxPayload: this.maxPayload(), handshakeTimeout: this.s.handshakeTimeoutMs });
    const c = this.newConn(ws, 'outbound', d.address, d);
    ws.on('open', () => {
      if (c.ending) return;
      ws.send(c.hs.hello());
    });
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
      const sealed = isBinary ? c.session!.open(buf) : null;
      const plain = sealed ? unpackFrame(sealed, this.s.maxFrameBytes) : null;
      const frame = typeof plain === 'object' && plain ? decodeFrame(plain, this.s.maxFrameBytes) : null;
      if (frame?.kind === 'control' && frame.topic === 'ready') return this.goUp(c);
      return this.protocolViolation(c, 'expected ready');
    }
    const counters = c.counters!;
    counters.framesIn++;
    counters.bytesIn += buf.length;
    if (!isBinary) return this.malformed(c, counters);
    const sealed = c.session!.open(buf);
    if (!sealed) return this.protocolViolation(c, 'record failed authentication');
    // A deflated frame the peer's budget cannot take now is dropped before it is inflated.
    const plain = unpackFrame(sealed, this.s.maxFrameBytes, (n) => c.bucket.allows(n));
    if (plain === 'over-budget') {
      counters.dropped.rateLimited++;
      return;
    }
    if (typeof plain === 'string') {
      if (plain === 'oversize') counters.dropped.oversize++;
      return this.malformed(c, counters);
    }
    const frame = decodeFrame(plain, this.s.maxFrameBytes);
    if (!frame) return this.malformed(c, counters);
    if (frame.kind === 'control') return this.control(c, counters, frame);
    this.events.frame(c, counters, frame, plain);
  }

  /** Control frames on an up link: `chains` (the peer's chain list changed); others are ignored. */
  private control(c: Conn, counters: PeerCounters, f: DecodedFrame): void {
    if (f.topic === 'chains') {
      const body = f.body;
      const list = typeof body === 'object' && body !== null && !Array.isArray(body) ? body.chains : undefined;
      if (!Array.isArray(list) || list.length > MAX_CHAINS || !list.every((x) => typeof x === 'string' && CHAIN_RE.test(x))) return this.malformed(c, counters);
      c.peerChains = new Set(normalizeChains(list as string[]));
      this.recomputeShared(c);
    }
    // unknown control types are ignored (newer peers)
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
    if (c.dialer) this.dialer.linked(c.dialer);
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
    this.events.closed(c);
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
      this.dialer.peerDown(did);
    }
    c.markClosed();
    if (c.dialer) this.dialer.closed(c.dialer, c);
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
}
