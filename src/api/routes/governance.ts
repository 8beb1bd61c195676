import type { FastifyInstance } from 'fastify';
import { ShulianError } from '../../codec/index.ts';
import type { ChainView, NodeView } from '../../chain/index.ts';
import {
  listProposals, readChain, readChainRegistry, readGateways, readMember, readMembers, readMeta, readPolicy, readProposal,
  readRegulators, readVotes,
} from '../../governance/index.ts';
import { errorSchema } from '../schemas.ts';

/**
 * Read routes over the governance chain (以链治链): members, policy, proposals with votes, the
 * business-chain registry, regulators and gateways. Writes are governance txs
 * (POST /v1/chains/gov/txs); clients that must not trust this node read the same keys with
 * proofs through /v1/chains/gov/state (the SDK's govStateSource({ verified: true })).
 */
export function registerGovernanceRoutes(app: FastifyInstance, node: NodeView, opts: { chain?: string } = {}): void {
  const govId = opts.chain ?? 'gov';
  const gov = (): ChainView => {
    const c = node.chain(govId);
    if (!c || !c.genesis.modules.includes('governance')) {
      throw new ShulianError('CHAIN_NOT_FOUND', `this node hosts no governance chain "${govId}"`);
    }
    return c;
  };
  const height = { type: 'object', properties: { height: { type: 'integer', minimum: 0 } } } as const;
  const tags = ['governance'];
  const err = { 404: errorSchema };
  const at = (q: { height?: number }) => (q.height === undefined ? {} : { height: q.height });

  app.get<{ Querystring: { height?: number } }>('/v1/gov', { schema: { tags, summary: 'Governance metadata: operator, initialisation', querystring: height, response: err } },
    async (req) => (await readMeta(gov(), at(req.query))) ?? { initialized: false });
  app.get<{ Querystring: { height?: number } }>('/v1/gov/members', { schema: { tags, summary: 'Member organisations', querystring: height, response: err } },
    async (req) => ({ members: await readMembers(gov(), at(req.query)) }));
  app.get<{ Params: { did: string } }>('/v1/gov/members/:did', { schema: { tags, summary: 'One member organisation', response: err } }, async (req) => {
    const m = await readMember(gov(), req.params.did);
    if (!m) throw new ShulianError('NOT_FOUND', `${req.params.did} is not a member organisation`);
    return m;
  });
  app.get('/v1/gov/policy', { schema: { tags, summary: 'The alliance policy: who proposes what, quorum, thresholds, voting periods', response: err } },
    async () => (await readPolicy(gov())) ?? { initialized: false });
  app.get<{ Querystring: { status?: string; kind?: string; limit?: number } }>('/v1/gov/proposals', {
    schema: {
      tags, summary: 'Proposals, newest first',
      querystring: { type: 'object', properties: { status: { type: 'string' }, kind: { type: 'string' }, limit: { type: 'integer', minimum: 1, maximum: 200 } } },
      response: { 400: errorSchema, ...err },
    },
  }, async (req) => ({ proposals: await listProposals(gov(), req.query as Parameters<typeof listProposals>[1]) }));
  app.get<{ Params: { id: string } }>('/v1/gov/proposals/:id', {
    schema: { tags, summary: 'A proposal with its votes', params: { type: 'object', properties: { id: { type: 'string', pattern: '^[1-9][0-9]{0,14}$' } } }, response: err },
  }, async (req) => {
    const id = Number(req.params.id);
    const p = await readProposal(gov(), id);
    if (!p) throw new ShulianError('NOT_FOUND', `no proposal #${id}`);
    return { ...p, votes: await readVotes(gov(), id) };
  });
  app.get('/v1/gov/chains', { schema: { tags, summary: 'The business-chain registry', response: err } }, async () => ({ chains: await readChainRegistry(gov()) }));
  app.get<{ Params: { id: string } }>('/v1/gov/chains/:id', { schema: { tags, summary: 'One registered chain: genesis, status, validator history, admission', response: err } }, async (req) => {
    const c = await readChain(gov(), req.params.id);
    if (!c) throw new ShulianError('NOT_FOUND', `no chain "${req.params.id}" in the registry`);
    return c;
  });
  app.get('/v1/gov/regulators', { schema: { tags, summary: 'Registered regulators', response: err } }, async () => ({ regulators: await readRegulators(gov()) }));
  app.get('/v1/gov/gateways', { schema: { tags, summary: 'Registered cross-chain gateways', response: err } }, async () => ({ gateways: await readGateways(gov()) }));
}
