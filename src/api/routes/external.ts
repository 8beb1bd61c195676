import type { FastifyInstance } from 'fastify';
import { ShulianError } from '../../codec/index.ts';
import type { ExternalChain as ExternalChainInfo, ExternalMessageView } from '../../sdk/index.ts';
import { errorBody } from '../errors.ts';
import { errorSchema } from '../schemas.ts';

// The answers' types are the SDK's (src/sdk/external.ts); the names here stay for the node's code.
export type { ExternalEngine, ExternalChain as ExternalChainInfo, ExternalMessageView } from '../../sdk/index.ts';

/** What the node serves about external chains: cached, so no request waits on an external node. */
export interface ExternalChainsView {
  list(): ExternalChainInfo[];
  get(id: string): ExternalChainInfo | undefined;
  /** Messages of one chain's XEndpoint, newest first; undefined when it has no endpoint configured. */
  messages(id: string, limit: number): ExternalMessageView[] | undefined;
}

export const NO_EXTERNAL_CHAINS: ExternalChainsView = { list: () => [], get: () => undefined, messages: () => undefined };

const idParam = { type: 'object', properties: { id: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,31}$' } }, required: ['id'] } as const;
const limitQuery = { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 } } } as const;

/**
 * Read-only routes over the chains on other engines this node was told about
 * (`<dataDir>/external-chains.json`). Every answer comes from the node's cache, refreshed in the
 * background through each chain's ChainAdapter, so an unreachable RPC never slows these or any
 * other route down.
 */
export function registerExternalRoutes(app: FastifyInstance, view: ExternalChainsView): void {
  const tags = ['external chains'];
  const err = { 400: errorSchema, 404: errorSchema, 503: errorSchema };
  const chainOf = (id: string): ExternalChainInfo => {
    const c = view.get(id);
    if (!c) throw new ShulianError('CHAIN_NOT_FOUND', `this node knows no external chain "${id}"; GET /v1/external-chains lists them (configured in <dataDir>/external-chains.json)`);
    return c;
  };

  app.get('/v1/external-chains', {
    schema: { tags, summary: 'Chains on other engines this node follows: engine, height, latest headers, finality, chain id, reachable or the error' },
  }, async () => ({ chains: view.list() }));

  app.get<{ Params: { id: string } }>('/v1/external-chains/:id', {
    schema: { tags, summary: 'One external chain as last seen', params: idParam, response: err },
  }, async (req) => chainOf(req.params.id));

  app.get<{ Params: { id: string }; Querystring: { limit: number } }>('/v1/external-chains/:id/blocks', {
    schema: { tags, summary: 'Latest block headers of an external chain, newest first (from the node\'s cache)', params: idParam, querystring: limitQuery, response: err },
  }, async (req, reply) => {
    const c = chainOf(req.params.id);
    if (c.updatedAt === undefined) {
      return reply.status(503).send(errorBody('EXTERNAL_UNREACHABLE', `external chain ${c.id} has not been reached yet${c.error ? `: ${c.error}` : ''}; check its rpc in external-chains.json`));
    }
    return { chain: c.id, engine: c.engine, height: c.height, reachable: c.reachable, ...(c.error ? { error: c.error } : {}), blocks: c.latestBlocks.slice(0, req.query.limit) };
  });

  app.get<{ Params: { id: string }; Querystring: { limit: number } }>('/v1/external-chains/:id/messages', {
    schema: { tags, summary: 'Cross-chain packets sent from the chain\'s XEndpoint (PacketSent events) with their acknowledgement or timeout', params: idParam, querystring: limitQuery, response: err },
  }, async (req) => {
    const c = chainOf(req.params.id);
    const messages = view.messages(c.id, req.query.limit);
    if (!messages) throw new ShulianError('NOT_FOUND', `external chain ${c.id} has no XEndpoint configured; add "endpoint": "0x…" to its entry in external-chains.json`);
    return { chain: c.id, engine: c.engine, endpoint: c.endpoint, messages };
  });
}
