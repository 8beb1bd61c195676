import type { FastifyInstance } from 'fastify';
import { ShulianError, stateValue, type JsonValue, type StateKey } from '../../codec/index.ts';
import type { ChainView, NodeView } from '../../chain/index.ts';
import { xchainStateKey as xk } from '../../modules/xchain/keys.ts';
import { readOutbox, readProofBundle } from '../../crosschain/index.ts';
import { errorSchema } from '../schemas.ts';
import type { MessageView } from '../../sdk/index.ts';

const MAX_KEYS = 256;
const MAX_LIST = 500;

export type { MessageView } from '../../sdk/index.ts';

/**
 * Cross-chain routes: what gateways need to build proofs (a final header with its commit and
 * state proofs of many keys at one height) and what operators and the console read (routes,
 * light clients, channels, messages with their path). Writes are xchain txs.
 */
export function registerXchainRoutes(app: FastifyInstance, node: NodeView): void {
  const tags = ['cross-chain'];
  const err = { 400: errorSchema, 404: errorSchema };
  const chainOf = (id: string): ChainView => {
    const c = node.chain(id);
    if (!c) throw new ShulianError('CHAIN_NOT_FOUND', `this node hosts no chain "${id}"; GET /v1/chains lists them`);
    return c;
  };
  const state = (c: ChainView, key: string): JsonValue | null => c.getState(key).value;
  /** A record of a module's state under its typed full key. */
  const read = <T>(c: ChainView, key: StateKey<T>): T | undefined => stateValue(key, c.getState(key).value);
  const intQ = (v: unknown, name: string, min: number, max: number, dflt: number): number => {
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new ShulianError('BAD_REQUEST', `${name} must be an integer from ${min} to ${max}`);
    return n;
  };

  app.get<{ Params: { chain: string }; Querystring: { height?: string; keys?: string } }>('/v1/chains/:chain/xchain/proof', {
    schema: { tags, summary: 'A final header (signature, BFT commit) with state proofs of the given keys at its height', response: err },
  }, async (req) => {
    const c = chainOf(req.params.chain);
    const height = intQ(req.query.height, 'height', 1, Number.MAX_SAFE_INTEGER, c.height());
    if (height > c.height()) throw new ShulianError('HEIGHT_NOT_FOUND', `chain ${c.id} is at height ${c.height()}, below ${height}`);
    const keys = (req.query.keys ?? '').split(',').filter(Boolean);
    if (keys.length > MAX_KEYS) throw new ShulianError('BAD_REQUEST', `at most ${MAX_KEYS} keys per proof request`);
    return readProofBundle(c, height, keys);
  });

  app.get<{ Params: { chain: string }; Querystring: { dst: string; from?: string; limit?: string } }>('/v1/chains/:chain/xchain/outbox', {
    schema: { tags, summary: 'Packets this chain sent to one destination, from a sequence on, with their status', response: err },
  }, async (req) => {
    const c = chainOf(req.params.chain);
    const dst = req.query.dst;
    if (!dst || !/^[a-z][a-z0-9-]{0,31}$/.test(dst)) throw new ShulianError('BAD_REQUEST', 'dst must name the destination chain');
    const from = intQ(req.query.from, 'from', 1, Number.MAX_SAFE_INTEGER, 1);
    const limit = intQ(req.query.limit, 'limit', 1, MAX_LIST, 100);
    return { chain: c.id, dst, height: c.height(), ...readOutbox(c, dst, from, limit) };
  });

  app.get<{ Params: { chain: string; src: string; seq: string } }>('/v1/chains/:chain/xchain/inbox/:src/:seq', {
    schema: { tags, summary: 'The receipt of one packet on this chain, if received', response: err },
  }, async (req) => {
    const c = chainOf(req.params.chain);
    const seq = intQ(req.params.seq, 'seq', 1, Number.MAX_SAFE_INTEGER, 1);
    const rec = read(c, xk.recv(req.params.src, seq));
    if (!rec) throw new ShulianError('NOT_FOUND', `chain ${c.id} has not received packet ${seq} from ${req.params.src}`);
    return rec;
  });

  app.get<{ Params: { chain: string } }>('/v1/chains/:chain/xchain/channels', {
    schema: { tags, summary: 'Registered counterparties as this chain sees them: route, light client, packets sent', response: err },
  }, async (req) => {
    const c = chainOf(req.params.chain);
    return { chain: c.id, height: c.height(), channels: channelsOf(c) };
  });

  app.get<{ Querystring: { limit?: string } }>('/v1/xchain/messages', {
    schema: { tags, summary: 'Recent cross-chain messages on the chains this node hosts, each with its path', response: err },
  }, async (req) => {
    const limit = intQ(req.query.limit, 'limit', 1, MAX_LIST, 50);
    const out: MessageView[] = [];
    for (const c of node.chains()) {
      if (!c.genesis.modules.includes('xchain')) continue;
      const count = (state(c, 'xchain/log/count') as number | null) ?? 0;
      for (let n = count; n > 0 && n > count - limit; n--) {
        const e = state(c, `xchain/log/${n}`) as { dir: 'out' | 'in'; chain: string; sequence: number } | null;
        if (!e) continue;
        const view = e.dir === 'out' ? outView(c, e.chain, e.sequence) : inView(c, e.chain, e.sequence);
        if (view) out.push(view);
      }
    }
    return { messages: out.sort((a, b) => (b.path[0]?.time ?? 0) - (a.path[0]?.time ?? 0)).slice(0, limit) };
  });

  app.get('/v1/xchain/routes', { schema: { tags, summary: 'Registrations on the routing chain (when this node hosts it)', response: err } }, async () => {
    const c = node.chains().find((x) => x.genesis.modules.includes('xroute'));
    if (!c) throw new ShulianError('CHAIN_NOT_FOUND', 'this node hosts no routing chain (module xroute)');
    const chains = (state(c, 'xroute/chains') as string[] | null) ?? [];
    return { chain: c.id, height: c.height(), routes: chains.map((id) => state(c, `xroute/routes/${id}`)) };
  });

  function channelsOf(c: ChainView): JsonValue[] {
    const out: JsonValue[] = [];
    for (const id of (state(c, 'xchain/routes') as string[] | null) ?? []) {
      const route = read(c, xk.route(id));
      if (!route) continue;
      const client = state(c, `xchain/client/${id}`);
      out.push({ chain: id, engine: route.engine, status: route.status, gateways: route.gateways.map((g) => g.did), sent: (state(c, `xchain/seq/${id}`) as number | null) ?? 0, client });
    }
    return out;
  }

  function outView(c: ChainView, dst: string, seq: number): MessageView | undefined {
    const packet = read(c, xk.out(dst, seq));
    const st = read(c, xk.st(dst, seq));
    if (!packet || !st) return undefined;
    const path: MessageView['path'] = [{ step: 'sent', chain: c.id, ...st.sent, by: packet.sender }];
    const remote = node.chain(dst);
    const rec = remote ? read(remote, xk.recv(c.id, seq)) : undefined;
    if (rec) path.push({ step: 'received', chain: dst, height: rec.height, time: rec.time, tx: rec.tx, by: rec.gateway, ok: rec.ack.ok });
    if (st.done) path.push({ step: st.status === 'timed-out' ? 'timed-out' : 'acknowledged', chain: c.id, height: st.done.height, time: st.done.time, tx: st.done.tx, by: st.done.gateway, ...(st.ack ? { ok: st.ack.ok } : {}) });
    return { id: `${c.id}/${dst}/${seq}`, packet, status: st.status, path };
  }

  function inView(c: ChainView, src: string, seq: number): MessageView | undefined {
    // Shown from its source when this node hosts both ends.
    if (node.chain(src)) return undefined;
    const rec = read(c, xk.recv(src, seq));
    if (!rec) return undefined;
    return { id: `${src}/${c.id}/${seq}`, packet: rec.packet, status: 'received', path: [{ step: 'received', chain: c.id, height: rec.height, time: rec.time, tx: rec.tx, by: rec.gateway, ok: rec.ack.ok }] };
  }
}
