/**
 * Request/response with one peer: ids per link, timeouts, a cap on requests served at once per
 * peer, errors carried back as `{code, message}` (docs/network.md#frames-and-topics).
 */
import { foreign, ShulianError, type JsonValue } from '../codec/index.ts';
import { encodeFrame, type DecodedFrame } from './frame.ts';
import { checkTopic, errorMessage, type Conn, type Settings } from './conn.ts';
import type { Links } from './links.ts';
import type { PeerCounters, RequestHandler } from './types.ts';

function errorCode(err: unknown): string {
  return err instanceof ShulianError ? err.code : 'HANDLER_ERROR';
}

export class Requests {
  private readonly handlers = new Map<string, RequestHandler>();

  constructor(private readonly links: Links, private readonly s: Settings) {}

  /** Serves requests on (chain, topic); one handler per pair. Returns the unregister function. */
  onRequest(chain: string, topic: string, handler: RequestHandler): () => void {
    checkTopic(topic);
    const k = `${chain}\u0000${topic}`;
    if (this.handlers.has(k)) throw new ShulianError('NET_HANDLER_EXISTS', `a request handler for ${chain}/${topic} is already registered`);
    this.handlers.set(k, handler);
    return () => {
      if (this.handlers.get(k) === handler) this.handlers.delete(k);
    };
  }

  /** Request/response with one peer. Rejects on timeout, disconnect or the peer's error. */
  request(did: string, chain: string, topic: string, body: JsonValue, opts: { timeoutMs?: number } = {}): Promise<JsonValue> {
    const c = this.links.link(did);
    if (!c) return Promise.reject(new ShulianError('PEER_NOT_CONNECTED', `not connected to ${did}`));
    if (!c.shared.has(chain)) return Promise.reject(new ShulianError('CHAIN_NOT_SHARED', `${did} does not share chain ${chain}`));
    let id = c.nextId;
    c.nextId = c.nextId >= 0xffffffff ? 1 : c.nextId + 1;
    while (c.pending.has(id)) id = id >= 0xffffffff ? 1 : id + 1;
    let frame: Uint8Array;
    try {
      frame = this.links.buildFrame('request', chain, topic, JSON.stringify(body), id);
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
      if (!this.links.sendFrame(c, frame, 'high')) {
        clearTimeout(timer);
        c.pending.delete(id);
        reject(new ShulianError('PEER_BACKPRESSURE', `could not queue the request for ${did}: its link is backed up`));
      }
    });
  }

  /** A response or error frame: settles the request it answers (a late answer is ignored). */
  settle(c: Conn, f: DecodedFrame): void {
    const did = c.peer!.did;
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
  }

  /** A request from a peer, on a chain the link shares, within its rate budget. */
  serve(c: Conn, counters: PeerCounters, f: DecodedFrame): void {
    const handler = this.handlers.get(`${f.chain}\u0000${f.topic}`);
    if (!handler) return this.refuse(c, f, 'NO_HANDLER', `no ${f.topic} service for chain ${f.chain}`);
    if (c.serving >= this.s.maxConcurrentRequests) {
      counters.dropped.backlog++;
      return this.refuse(c, f, 'BUSY', 'too many requests in flight');
    }
    c.serving++;
    const did = c.peer!.did;
    new Promise<JsonValue>((resolve) => resolve(handler(f.body, did)))
      .then(
        (result) => {
          if (c.state !== 'up') return;
          const frame = encodeFrame('response', f.chain, f.topic, JSON.stringify(result) ?? 'null', f.id);
          if (frame.length > this.s.maxFrameBytes) return this.refuse(c, f, 'RESPONSE_TOO_LARGE', `answer of ${frame.length} bytes exceeds the frame cap`);
          this.links.sendFrame(c, frame, this.links.priority(f.topic));
        },
        (err: unknown) => this.refuse(c, f, errorCode(err), errorMessage(err)),
      )
      .finally(() => c.serving--);
  }

  /** Answers a request with an error frame. */
  refuse(c: Conn, f: DecodedFrame, code: string, message: string): void {
    if (c.state !== 'up') return;
    const frame = encodeFrame('error', f.chain, f.topic, JSON.stringify({ code, message: message.slice(0, 500) }), f.id);
    this.links.sendFrame(c, frame, 'high');
  }

  /** The link closed: every request waiting on it fails. */
  linkClosed(c: Conn): void {
    for (const p of c.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new ShulianError('PEER_DISCONNECTED', `link to ${c.peer?.did ?? c.remote} closed before the answer`));
    }
    c.pending.clear();
  }
}
