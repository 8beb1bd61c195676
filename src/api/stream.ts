import type { FastifyInstance } from 'fastify';
import type { Block } from '../ledger/index.ts';
import type { NodeView } from '../chain/index.ts';
import type { ChainReadPolicy } from './read-policy.ts';

/** A subscriber that falls this far behind is dropped rather than buffering without bound. */
const MAX_BUFFERED = 8 * 1024 * 1024;
const CHAIN_RE = /^[a-z][a-z0-9-]{0,31}$/;

/** Limits of the WebSocket stream (issue #13 item 7): nothing an outsider opens is unbounded. */
export interface StreamLimits {
  /** Open connections from one client address (default 16). */
  perAddress?: number;
  /** Open connections in all (default 1 000). */
  total?: number;
  /** Chains one connection may subscribe to (default 32). */
  chainsPerConnection?: number;
}

export const STREAM_LIMITS = { perAddress: 16, total: 1_000, chainsPerConnection: 32 } as const;

/** The chains a `chains=` list names, each once, in order; or what is wrong with it. */
export function parseChainList(raw: string, max: number): { chains: string[] } | { error: string } {
  if (raw.length > 4096) return { error: `chains= is ${raw.length} characters long, more than 4096; name at most ${max} chains` };
  const out: string[] = [];
  for (const id of raw.split(',')) {
    if (id === '') continue;
    if (!CHAIN_RE.test(id)) return { error: `"${id.slice(0, 40)}" is not a chain id (lowercase letters, digits and dashes)` };
    if (!out.includes(id)) out.push(id);
  }
  if (out.length > max) return { error: `a connection may follow at most ${max} chains; this asked for ${out.length}` };
  return { chains: out };
}

/** WebSocket stream of committed blocks and their events: GET /v1/stream?chains=a,b */
export function registerStream(app: FastifyInstance, node: NodeView, limits: StreamLimits = {}, reads?: ChainReadPolicy): void {
  const perAddress = limits.perAddress ?? STREAM_LIMITS.perAddress;
  const total = limits.total ?? STREAM_LIMITS.total;
  const maxChains = limits.chainsPerConnection ?? STREAM_LIMITS.chainsPerConnection;
  const byAddress = new Map<string, number>();
  let open = 0;

  app.get<{ Querystring: { chains?: string; events?: string } }>('/v1/stream', {
    websocket: true,
    schema: {
      tags: ['stream'],
      summary: `WebSocket: {type:"block"} and {type:"event"} messages for the chosen chains (all when omitted; each once, at most ${maxChains}); events=false for blocks only. At most ${perAddress} connections per address and ${total} in all`,
    },
  }, async (socket, req) => {
    const refuse = (code: string, message: string, close: number): void => {
      socket.send(JSON.stringify({ type: 'error', error: { code, message } }));
      socket.close(close, code);
    };
    // Without chains=, the public chains; a chain whose reads are not public only when named, for a caller who may read it.
    const parsed = req.query.chains ? parseChainList(req.query.chains, maxChains) : { chains: node.chains().map((c) => c.id).filter((id) => reads?.isPublic(id) ?? true).slice(0, maxChains) };
    if ('error' in parsed) return refuse('BAD_REQUEST', parsed.error, 1008);
    const wanted = parsed.chains;
    const unknown = wanted.filter((id) => !node.chain(id));
    if (unknown.length > 0) return refuse('CHAIN_NOT_FOUND', `this node hosts no chain ${unknown.join(', ')}`, 1008);
    if (reads) {
      for (const id of wanted) {
        try {
          await reads.check(req, id);
        } catch (err) {
          const e = err as { code?: string; message?: string };
          return refuse(e.code ?? 'FORBIDDEN', e.message ?? String(err), 1008);
        }
      }
    }
    // After the (asynchronous) read checks, so that counting and taking a slot happen at once.
    const ip = req.ip;
    const mine = byAddress.get(ip) ?? 0;
    if (open >= total) return refuse('RATE_LIMITED', `this node serves ${total} stream connections already; try again later`, 1013);
    if (mine >= perAddress) return refuse('RATE_LIMITED', `this address has ${mine} stream connections open, the most allowed; close one (one connection can follow many chains)`, 1008);
    open++;
    byAddress.set(ip, mine + 1);
    const withEvents = req.query.events !== 'false';
    const send = (msg: unknown): void => {
      if (socket.bufferedAmount > MAX_BUFFERED) {
        socket.close(1013, 'subscriber too slow');
        return;
      }
      socket.send(JSON.stringify(msg));
    };
    const unsubscribe = wanted.map((id) => node.chain(id)!.onBlock((b: Block) => {
      send({ type: 'block', chain: id, height: b.header.height, hash: b.hash, time: b.header.time, txCount: b.header.txCount });
      if (withEvents) b.receipts.forEach((r) => {
        for (const ev of r.events) send({ type: 'event', chain: id, height: b.header.height, tx: r.tx, module: ev.module, event: ev.type, data: ev.data });
      });
    }));
    socket.send(JSON.stringify({ type: 'subscribed', chains: wanted }));
    socket.on('close', () => {
      unsubscribe.forEach((u) => u());
      open--;
      const n = (byAddress.get(ip) ?? 1) - 1;
      if (n <= 0) byAddress.delete(ip);
      else byAddress.set(ip, n);
    });
  });
}
