/**
 * Messages by (chain, topic): gossip, which every node handles once and forwards once (a
 * seen-cache of frame digests drops the repeats), and direct messages to one peer, which are
 * not forwarded. docs/network.md#gossip.
 */
import { createHash } from 'node:crypto';
import { canonicalize, type JsonValue } from '../codec/index.ts';
import type { DecodedFrame } from './frame.ts';
import { checkTopic, errorMessage, type Conn, type Settings } from './conn.ts';
import type { Links } from './links.ts';
import type { MessageHandler, NetLogger, PeerCounters } from './types.ts';

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

function isPromiseLike(x: unknown): x is PromiseLike<unknown> {
  return typeof x === 'object' && x !== null && typeof (x as { then?: unknown }).then === 'function';
}

/** Seen-cache key of a gossip frame: SHA-256 over everything after the kind byte. */
function digest(frame: Uint8Array): string {
  return createHash('sha256').update(frame.subarray(1)).digest('base64');
}

export class Gossip {
  private readonly handlers = new Map<string, Set<MessageHandler>>();
  private readonly seen: SeenCache;

  constructor(private readonly links: Links, private readonly s: Settings, private readonly log: NetLogger) {
    this.seen = new SeenCache(s.seenCacheSize);
  }

  /** Entries in the seen-cache. */
  get seenSize(): number {
    return this.seen.size;
  }

  /** Registers a handler for gossip and direct messages on (chain, topic). Returns the unsubscribe function. */
  on(chain: string, topic: string, handler: MessageHandler): () => void {
    checkTopic(topic);
    const k = `${chain}\u0000${topic}`;
    let set = this.handlers.get(k);
    if (!set) this.handlers.set(k, (set = new Set()));
    set.add(handler);
    return () => {
      set.delete(handler);
    };
  }

  /**
   * Gossips a message to every peer sharing the chain; they forward it once to theirs.
   * Returns how many peers it was queued for (0 if this content was already seen).
   */
  broadcast(chain: string, topic: string, body: JsonValue): number {
    const frame = this.links.buildFrame('gossip', chain, topic, canonicalize(body));
    if (!this.seen.add(digest(frame))) return 0;
    return this.forward(chain, topic, frame, null);
  }

  /** Sends one message to one peer (not forwarded). False if not connected/shared or dropped. */
  send(did: string, chain: string, topic: string, body: JsonValue): boolean {
    const frame = this.links.buildFrame('direct', chain, topic, JSON.stringify(body));
    const c = this.links.link(did);
    if (!c || !c.shared.has(chain)) return false;
    return this.links.sendFrame(c, frame, this.links.priority(topic));
  }

  /** A gossip or direct frame from a peer, on a chain the link shares, within its rate budget. */
  receive(c: Conn, counters: PeerCounters, f: DecodedFrame, plain: Buffer): void {
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

  private forward(chain: string, topic: string, frame: Uint8Array, from: Conn | null): number {
    const pri = this.links.priority(topic);
    let n = 0;
    for (const c of this.links.up()) {
      if (c === from || !c.shared.has(chain)) continue;
      if (this.links.sendFrame(c, frame, pri)) n++;
    }
    return n;
  }
}
