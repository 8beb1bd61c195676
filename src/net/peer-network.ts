/**
 * PeerNetwork: authenticated WebSocket links between nodes, one per peer pair, multiplexing
 * every chain the two share; gossip with a seen-cache; direct messages; request/response.
 * Assembled here from its parts: the links (links.ts: listening, dialing, handshakes,
 * reconnect), gossip and direct messages (gossip.ts), request/response (requests.ts); this file
 * routes what arrives on a link to the part it is for. Protocol: docs/network.md.
 */
import type { JsonValue } from '../codec/index.ts';
import type { DecodedFrame } from './frame.ts';
import { Gossip } from './gossip.ts';
import { settingsOf, type Conn, type Settings } from './conn.ts';
import { Links } from './links.ts';
import { Requests } from './requests.ts';
import type { MessageHandler, NetLogger, NetworkStats, PeerAddress, PeerCounters, PeerEvent, PeerNetworkOptions, RequestHandler } from './types.ts';

export { CLOSE } from './conn.ts';

const noLog: NetLogger = () => {};

export class PeerNetwork {
  readonly did: string;
  private readonly s: Settings;
  private readonly links: Links;
  private readonly gossip: Gossip;
  private readonly requests: Requests;

  constructor(opts: PeerNetworkOptions) {
    this.s = settingsOf(opts);
    const log = opts.log ?? noLog;
    this.links = new Links(opts, this.s, log, {
      frame: (c, counters, f, plain) => this.route(c, counters, f, plain),
      closed: (c) => this.requests.linkClosed(c),
    });
    this.did = this.links.did;
    this.gossip = new Gossip(this.links, this.s, log);
    this.requests = new Requests(this.links, this.s);
  }

  // ---------------------------------------------------------------- lifecycle

  /** Listens (unless listen: false) and starts dialing the configured peers. */
  start(): Promise<void> {
    return this.links.start();
  }

  /** Largest frame sent or accepted, in bytes. */
  get maxFrameBytes(): number {
    return this.s.maxFrameBytes;
  }

  /** `ws://host:port` this node listens on, or null. */
  address(): string | null {
    return this.links.address();
  }

  /** Closes every link and the listener. */
  close(): Promise<void> {
    return this.links.close();
  }

  // ---------------------------------------------------------------- chains and peers

  /** Starts offering a chain to peers (those already connected are told). */
  addChain(chain: string): void {
    this.links.addChain(chain);
  }

  removeChain(chain: string): void {
    this.links.removeChain(chain);
  }

  /** Dials a peer and keeps it connected (exponential backoff with jitter). */
  addPeer(peer: string | PeerAddress): void {
    this.links.addPeer(peer);
  }

  /** Stops dialing an address and closes the link made through it. */
  removePeer(address: string): void {
    this.links.removePeer(address);
  }

  /**
   * Re-asks isAllowedPeer for every link (after a governance change): disallowed peers are
   * disconnected, per-chain sharing is recomputed.
   */
  refreshPeers(): void {
    this.links.refreshPeers();
  }

  /** DIDs of connected peers, optionally only those sharing `chain`. */
  peers(chain?: string): string[] {
    return this.links.peers(chain);
  }

  /** Subscribes to peers coming up and going down. Returns the unsubscribe function. */
  onPeer(listener: (e: PeerEvent) => void): () => void {
    return this.links.onPeer(listener);
  }

  // ---------------------------------------------------------------- messaging

  /** Registers a handler for gossip and direct messages on (chain, topic). Returns the unsubscribe function. */
  on(chain: string, topic: string, handler: MessageHandler): () => void {
    return this.gossip.on(chain, topic, handler);
  }

  /** Serves requests on (chain, topic); one handler per pair. Returns the unregister function. */
  onRequest(chain: string, topic: string, handler: RequestHandler): () => void {
    return this.requests.onRequest(chain, topic, handler);
  }

  /**
   * Gossips a message to every peer sharing the chain; they forward it once to theirs.
   * Returns how many peers it was queued for (0 if this content was already seen).
   */
  broadcast(chain: string, topic: string, body: JsonValue): number {
    return this.gossip.broadcast(chain, topic, body);
  }

  /** Sends one message to one peer (not forwarded). False if not connected/shared or dropped. */
  send(did: string, chain: string, topic: string, body: JsonValue): boolean {
    return this.gossip.send(did, chain, topic, body);
  }

  /** Request/response with one peer. Rejects on timeout, disconnect or the peer's error. */
  request(did: string, chain: string, topic: string, body: JsonValue, opts: { timeoutMs?: number } = {}): Promise<JsonValue> {
    return this.requests.request(did, chain, topic, body, opts);
  }

  // ---------------------------------------------------------------- stats

  stats(): NetworkStats {
    return { ...this.links.stats(), seenCacheSize: this.gossip.seenSize };
  }

  // ---------------------------------------------------------------- routing

  /**
   * A data frame from an up link: answers go to the request they answer; the rest must be for
   * a chain the link shares and within the peer's rate budget, then requests are served and
   * gossip and direct messages handled.
   */
  private route(c: Conn, counters: PeerCounters, f: DecodedFrame, plain: Buffer): void {
    if (f.kind === 'response' || f.kind === 'error') return this.requests.settle(c, f);
    if (!c.shared.has(f.chain)) {
      counters.dropped.unsharedChain++;
      if (f.kind === 'request') this.requests.refuse(c, f, 'CHAIN_NOT_SHARED', `chain ${f.chain} is not shared on this link`);
      return;
    }
    if (!c.bucket.take(plain.length)) {
      counters.dropped.rateLimited++;
      if (f.kind === 'request') this.requests.refuse(c, f, 'RATE_LIMITED', 'too many frames');
      return;
    }
    if (f.kind === 'request') return this.requests.serve(c, counters, f);
    this.gossip.receive(c, counters, f, plain);
  }
}
