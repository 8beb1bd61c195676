/**
 * The explorer on PostgreSQL (docs/explorer.md), served when the node was started with `--pg`
 * and read from the index `shulian indexer` (or the node itself) writes:
 *
 *   GET /v1/explorer/status                              each indexed chain's height and source
 *   GET /v1/explorer/chains/:chain/txs?from&module&method&status&since&until&before&limit
 *                                                        txs newest first, filtered, paged by `next`
 *   GET /v1/explorer/chains/:chain/txs.csv?…             the same filters as CSV (at most 100,000 rows)
 *   GET /v1/explorer/chains/:chain/daily?from&to         per UTC day: txs, failed, senders, blocks
 *   GET /v1/explorer/search?q&limit                      notary records by name, contracts by title
 *
 * A chain whose reads are for its members (docs/supervision.md#who-reads-a-chain) is served to
 * them only, as its own routes are; search leaves out the chains the caller may not read.
 * Without `--pg` the routes answer 503 EXPLORER_NOT_CONFIGURED and the node's own routes serve
 * blocks and txs from LMDB as before.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from '../../codec/schemas.ts';
import { ShulianError } from '../../codec/index.ts';
import { CHAIN_ID_RE, DID_RE, NAME_RE } from '../../codec/index.ts';
import type { ExplorerQueries, TxFilter } from '../../indexer/index.ts';
import type { ChainReadPolicy } from '../read-policy.ts';
import { errorSchema } from '../schemas.ts';

const int = z.string().regex(/^\d{1,15}$/, 'a whole number').transform(Number);
const filterQuery = z.strictObject({
  from: z.string().regex(DID_RE, 'a did:shulian DID').optional(),
  module: z.string().regex(NAME_RE, 'a module name').optional(),
  method: z.string().regex(NAME_RE, 'a method name').optional(),
  status: z.enum(['ok', 'failed']).optional(),
  since: int.optional(),
  until: int.optional(),
  before: z.string().max(40).optional(),
  limit: int.optional(),
});
const dailyQuery = z.strictObject({ from: int, to: int });
const searchQuery = z.strictObject({ q: z.string().min(1).max(200), limit: int.optional() });

function parse<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const r = schema.safeParse(value ?? {});
  if (r.success) return r.data;
  const i = r.error.issues[0]!;
  throw new ShulianError('EXPLORER_BAD_QUERY', `${where}: ${i.path.join('.') || 'query'}: ${i.message}`);
}

export function registerExplorerRoutes(app: FastifyInstance, explorer: ExplorerQueries | undefined, reads: ChainReadPolicy): void {
  const tags = ['explorer'];
  const response = { 400: errorSchema, 401: errorSchema, 403: errorSchema, 503: errorSchema };
  const q = (): ExplorerQueries => {
    if (!explorer) throw new ShulianError('EXPLORER_NOT_CONFIGURED', 'this node reads no PostgreSQL index: start it with --pg postgres://… (it then indexes its chains there; shulian indexer indexes other nodes too)');
    return explorer;
  };
  const chainOf = async (req: FastifyRequest<{ Params: { chain: string } }>): Promise<string> => {
    const chain = req.params.chain;
    if (!CHAIN_ID_RE.test(chain)) throw new ShulianError('EXPLORER_BAD_QUERY', `"${chain.slice(0, 40)}" is not a chain id (lowercase letters, digits and dashes)`);
    await reads.check(req, chain);
    return chain;
  };
  const filterOf = (chain: string, query: unknown): TxFilter => {
    const f = parse(filterQuery, query, 'explorer tx filter');
    return {
      chain, ...(f.from ? { sender: f.from } : {}), ...(f.module ? { module: f.module } : {}), ...(f.method ? { method: f.method } : {}),
      ...(f.status ? { status: f.status } : {}), ...(f.since !== undefined ? { since: f.since } : {}), ...(f.until !== undefined ? { until: f.until } : {}),
      ...(f.before ? { before: f.before } : {}), ...(f.limit !== undefined ? { limit: f.limit } : {}),
    };
  };
  const noValidation = () => () => true;
  const opts = (summary: string) => ({ schema: { tags, summary, response }, validatorCompiler: noValidation });

  app.get('/v1/explorer/status', opts('Each indexed chain: the height indexed and the node it was read from'), async () => ({ chains: await q().cursors() }));

  app.get<{ Params: { chain: string } }>('/v1/explorer/chains/:chain/txs', opts('A chain\'s txs from the PostgreSQL index, newest first, filtered by sender, module, method, status and block time'),
    async (req) => q().txs(filterOf(await chainOf(req), req.query)));

  app.get<{ Params: { chain: string } }>('/v1/explorer/chains/:chain/txs.csv', opts('The same txs as CSV (RFC 4180), at most 100,000 rows'),
    async (req, reply: FastifyReply) => {
      const chain = await chainOf(req);
      // The export is one list, not a page: `limit` caps its rows and `before` does not apply.
      const { limit, before: _before, ...selection } = filterOf(chain, req.query);
      const body = await q().csv(selection, limit);
      return reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${chain}-txs.csv"`).send(body);
    });

  app.get<{ Params: { chain: string } }>('/v1/explorer/chains/:chain/daily', opts('Per UTC day of block time: txs, failed txs, distinct senders, blocks'), async (req) => {
    const chain = await chainOf(req);
    const d = parse(dailyQuery, req.query, 'daily statistics');
    return { chain, days: await q().daily(chain, d.from, d.to) };
  });

  app.get('/v1/explorer/search', opts('Notary records by name and contracts by title (words, Chinese characters and pairs of them), newest first'), async (req) => {
    const s = parse(searchQuery, req.query, 'search');
    const hits = await q().search(s.q, s.limit !== undefined ? { limit: s.limit } : {});
    const visible = [];
    for (const h of hits) if (reads.isPublic(h.chain) || (await reads.check(req, h.chain).then(() => true, () => false))) visible.push(h);
    return { hits: visible };
  });
}
