import type { FastifyInstance } from 'fastify';
import type { Block } from '../ledger/index.ts';
import type { NodeView } from '../chain/index.ts';

/** A subscriber that falls this far behind is dropped rather than buffering without bound. */
const MAX_BUFFERED = 8 * 1024 * 1024;

/** WebSocket stream of committed blocks and their events: GET /v1/stream?chains=a,b */
export function registerStream(app: FastifyInstance, node: NodeView): void {
  app.get<{ Querystring: { chains?: string; events?: string } }>('/v1/stream', {
    websocket: true,
    schema: { tags: ['stream'], summary: 'WebSocket: {type:"block"} and {type:"event"} messages for the chosen chains (all when omitted); events=false for blocks only' },
  }, (socket, req) => {
    const wanted = req.query.chains ? req.query.chains.split(',').filter(Boolean) : node.chains().map((c) => c.id);
    const unknown = wanted.filter((id) => !node.chain(id));
    if (unknown.length > 0) {
      socket.send(JSON.stringify({ type: 'error', error: { code: 'CHAIN_NOT_FOUND', message: `this node hosts no chain ${unknown.join(', ')}` } }));
      socket.close(1008, 'unknown chain');
      return;
    }
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
    socket.on('close', () => unsubscribe.forEach((u) => u()));
  });
}
