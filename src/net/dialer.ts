/**
 * Outbound links: the addresses this node keeps connected, dialed again with exponential
 * backoff and jitter after a failure, and left idle while the peer is linked the other way
 * (it dialed us), to be dialed again when that link drops. docs/network.md.
 */
import { randomInt } from 'node:crypto';
import { ShulianError } from '../codec/index.ts';
import { errorMessage, type Conn, type DialTarget, type Settings } from './conn.ts';
import type { DialerStats, NetLogger, PeerAddress } from './types.ts';

/** What the dialer needs from the links. */
export interface DialHost {
  /** Whether a live link to `did` exists. */
  isLinked(did: string): boolean;
  /** Opens an outbound connection for `target`; its handshake starts once the socket opens. */
  connect(target: DialTarget): Conn;
}

export class Dialer {
  private readonly targets = new Map<string, DialTarget>();
  private started = false;
  private closing = false;

  constructor(private readonly s: Settings, private readonly log: NetLogger, private readonly host: DialHost) {}

  /** Dials added addresses from now on. */
  start(): void {
    this.started = true;
  }

  /** Stops every target; nothing is dialed again. */
  close(): void {
    this.closing = true;
    for (const d of this.targets.values()) this.stop(d);
    this.targets.clear();
  }

  /** Dials a peer and keeps it connected. */
  add(peer: string | PeerAddress): void {
    const p = typeof peer === 'string' ? { address: peer } : peer;
    if (!/^wss?:\/\/[^/\s]+\/?$/.test(p.address)) throw new ShulianError('BAD_PEER_ADDRESS', `peer address must look like ws://host:port, got ${JSON.stringify(p.address)}`);
    if (this.targets.has(p.address) || this.closing) return;
    const d: DialTarget = { address: p.address, expectedDid: p.did, learnedDid: p.did ?? null, attempts: 0, timer: null, conn: null, state: 'waiting', lastError: null, lastLogged: null };
    this.targets.set(p.address, d);
    if (this.started) this.schedule(d, 0);
  }

  /** Stops dialing an address; returns the connection made through it, for the links to close. */
  remove(address: string): Conn | null {
    const d = this.targets.get(address);
    if (!d) return null;
    this.targets.delete(address);
    this.stop(d);
    return d.conn;
  }

  stats(): DialerStats[] {
    return [...this.targets.values()].map((d) => ({ address: d.address, did: d.learnedDid, state: d.state, attempts: d.attempts, lastError: d.lastError }));
  }

  /** A connection made for `d` came up. */
  linked(d: DialTarget): void {
    d.attempts = 0;
    d.state = 'connected';
    d.lastError = null;
    d.lastLogged = null;
  }

  /** The link to `did` went down: the targets left idle for it are dialed again. */
  peerDown(did: string): void {
    for (const d of this.targets.values()) {
      if (d.learnedDid === did && d.state === 'idle') this.schedule(d, this.jitter(this.s.reconnectBaseMs));
    }
  }

  /** A connection made for `d` closed: dial again after a backoff, unless the peer is linked anyway. */
  closed(d: DialTarget, c: Conn): void {
    if (d.conn !== c) return;
    d.conn = null;
    if (this.closing || !this.targets.has(d.address)) return;
    if (d.lastError && d.lastLogged !== d.lastError && c.upAt === 0) {
      d.lastLogged = d.lastError;
      this.log('warn', 'p2p dial failed', { address: d.address, error: d.lastError });
    }
    if (d.learnedDid && this.host.isLinked(d.learnedDid)) {
      d.state = 'idle';
      return;
    }
    this.schedule(d, this.backoff(d));
  }

  private jitter(ms: number): number {
    return Math.round(ms * (0.5 + randomInt(0, 1_000_000) / 2_000_000));
  }

  private schedule(d: DialTarget, delayMs: number): void {
    if (this.closing || !this.targets.has(d.address)) return;
    if (d.timer) clearTimeout(d.timer);
    d.state = 'waiting';
    d.timer = setTimeout(() => {
      d.timer = null;
      this.dial(d);
    }, delayMs);
    d.timer.unref();
  }

  /** base·2^attempt capped at max, times a random factor in [0.5, 1). */
  private backoff(d: DialTarget): number {
    const exp = Math.min(d.attempts, 20);
    d.attempts++;
    return this.jitter(Math.min(this.s.reconnectMaxMs, this.s.reconnectBaseMs * 2 ** exp));
  }

  private dial(d: DialTarget): void {
    if (this.closing || !this.targets.has(d.address) || d.conn) return;
    if (d.learnedDid && this.host.isLinked(d.learnedDid)) {
      d.state = 'idle'; // already linked (the peer dialed us); redial when that link drops
      return;
    }
    d.state = 'connecting';
    try {
      d.conn = this.host.connect(d);
    } catch (err) {
      d.lastError = errorMessage(err);
      this.schedule(d, this.backoff(d));
    }
  }

  private stop(d: DialTarget): void {
    if (d.timer) clearTimeout(d.timer);
    d.timer = null;
    d.state = 'stopped';
  }
}
