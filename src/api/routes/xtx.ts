import type { FastifyInstance } from 'fastify';
import { ShulianError } from '../../codec/index.ts';
import type { NodeView } from '../../chain/index.ts';
import { listTxs, txStatus, type StateRead, type TxView } from '../../crosschain/index.ts';
import { errorSchema } from '../schemas.ts';

const MAX_LIST = 200;
const ID_RE = /^[a-z][a-z0-9-]{0,31}$/;
const TX_RE = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Atomic cross-chain transactions (2PC, modules xtx and xlock): each transaction as its
 * coordinator chain holds it, with every participant's vote, confirmation and — for the
 * participant chains this node hosts — the participant's own lock record and lock states.
 * Writes are xtx/xlock txs (`shulian xtx begin|consent`).
 */
export function registerXtxRoutes(app: FastifyInstance, node: NodeView): void {
  const tags = ['cross-chain'];
  const err = { 400: errorSchema, 404: errorSchema };
  const read: StateRead = async (chain, key) => {
    const c = node.chain(chain);
    return c ? c.getState(key).value : undefined;
  };
  const coordinators = (): string[] => node.chains().filter((c) => c.genesis.modules.includes('xtx')).map((c) => c.id);

  app.get<{ Querystring: { chain?: string; limit?: string } }>('/v1/xtx', {
    schema: { tags, summary: 'Atomic transactions on the coordinator chains this node hosts (newest first), each with its per-participant state', response: err },
  }, async (req) => {
    const limit = req.query.limit === undefined ? 50 : Number(req.query.limit);
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LIST) throw new ShulianError('BAD_REQUEST', `limit must be an integer from 1 to ${MAX_LIST}`);
    let chains = coordinators();
    if (req.query.chain !== undefined) {
      if (!ID_RE.test(req.query.chain) || !chains.includes(req.query.chain)) {
        throw new ShulianError('CHAIN_NOT_FOUND', `this node hosts no chain "${req.query.chain}" running xtx; coordinators here: ${chains.join(', ') || 'none'}`);
      }
      chains = [req.query.chain];
    }
    const transactions: TxView[] = [];
    for (const c of chains) transactions.push(...await listTxs(read, c, limit));
    return { transactions: transactions.slice(0, limit) };
  });

  app.get<{ Params: { chain: string; id: string } }>('/v1/xtx/:chain/:id', {
    schema: { tags, summary: 'One atomic transaction: decision, votes, and each participant\'s locks', response: err },
  }, async (req) => {
    const { chain, id } = req.params;
    if (!ID_RE.test(chain) || !node.chain(chain)) throw new ShulianError('CHAIN_NOT_FOUND', `this node hosts no chain "${chain}"; GET /v1/chains lists them`);
    if (!TX_RE.test(id)) throw new ShulianError('BAD_REQUEST', 'a transaction id is letters, digits, dot, dash, underscore; at most 64');
    const v = await txStatus(read, chain, id);
    if (!v) throw new ShulianError('NOT_FOUND', `chain ${chain} coordinates no transaction ${id}`);
    return v;
  });
}
