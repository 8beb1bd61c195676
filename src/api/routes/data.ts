/**
 * Read routes of the data chain (公共数据授权链): the catalog (search with paging, one dataset,
 * DCAT-AP 3 export as Turtle or JSON-LD), data requests, grants with their uses, the off-chain
 * use decision (the module's own decideUse over the chain's state), consents and portability
 * requests, and the grant revocation lists as BitstringStatusListCredentials. Writes are signed
 * transactions (POST /v1/chains/data/txs): catalog.publish, dataauth.request/approve/use,
 * consent.give/withdraw… (docs/data.md).
 */
import type { FastifyInstance } from 'fastify';
import { ShulianError } from '../../codec/index.ts';
import type { ChainView, NodeView } from '../../chain/index.ts';
import { DID_RE } from '../../codec/index.ts';
import {
  CatalogIndex, catalogTriples, decide, listConsents, listGrants, listRequests, readConsent, readDataset, readGrant, readOffer,
  listRuns, readPortability, readRequest, readRun, readUses, toJsonLd, toTurtle, type CatalogQuery,
} from '../../data/index.ts';
import { FREQUENCIES, SENSITIVITIES, THEMES } from '../../modules/catalog/types.ts';
import { createStatusListService, keyPairSigner, type Signer } from '../../did/index.ts';
import type { KeyPair } from '../../crypto/index.ts';
import { errorSchema } from '../schemas.ts';
import type { ApiSite } from '../site.ts';

export interface DataRoutesOptions {
  /** The data chain's id (default "data"); a `chain` query parameter picks another chain running `catalog`. */
  chain?: string;
  /** Signs the grant revocation lists served at /v1/data/status-lists (the node key). */
  statusSigner?: KeyPair | Signer;
  site?: ApiSite;
  /** Clock for off-chain decisions (default Date.now); the chain itself uses block time. */
  now?: () => number;
}

const tags = ['data'];
/** Where the grant revocation lists of the data chain are served. */
export const DATA_STATUS_LIST_PATH = '/v1/data/status-lists/';
const err = { 400: errorSchema, 404: errorSchema };
const chainQ = { chain: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,31}$' } } as const;
const idParam = (pattern: string) => ({ type: 'object', properties: { id: { type: 'string', pattern } }, required: ['id'] }) as const;
const NUM = '^[1-9][0-9]{0,14}$';
const HEX64 = '^[0-9a-f]{64}$';

export function registerDataRoutes(app: FastifyInstance, node: Pick<NodeView, 'chain'>, opts: DataRoutesOptions = {}): void {
  const indexes = new WeakMap<ChainView, CatalogIndex>();
  const clock = opts.now ?? Date.now;
  const chainOf = (id?: string): ChainView => {
    const c = node.chain(id ?? opts.chain ?? 'data');
    if (!c || !c.genesis.modules.includes('catalog')) throw new ShulianError('CHAIN_NOT_FOUND', `this node hosts no data chain "${id ?? opts.chain ?? 'data'}" (a chain running the catalog module)`);
    return c;
  };
  const indexOf = (c: ChainView): CatalogIndex => {
    let i = indexes.get(c);
    if (!i) indexes.set(c, (i = new CatalogIndex(c)));
    return i;
  };
  const notFound = (what: string): never => {
    throw new ShulianError('NOT_FOUND', what);
  };

  app.get<{ Querystring: CatalogQuery & { chain?: string } }>('/v1/data/catalog', {
    schema: {
      tags, summary: 'Search the catalog: free text (Chinese or English), theme, sensitivity, frequency, owner; newest first, a page at a time',
      querystring: {
        type: 'object', additionalProperties: false,
        properties: {
          ...chainQ, q: { type: 'string', maxLength: 256 }, theme: { type: 'string', enum: [...THEMES] }, sensitivity: { type: 'string', enum: [...SENSITIVITIES] },
          frequency: { type: 'string', enum: [...FREQUENCIES] }, owner: { type: 'string', pattern: DID_RE.source }, withdrawn: { type: 'boolean' },
          limit: { type: 'integer', minimum: 1, maximum: 100 }, cursor: { type: 'string', pattern: '^[0-9a-z]{1,10}$' },
        },
      },
      response: err,
    },
  }, async (req) => {
    const { chain, ...q } = req.query;
    const c = chainOf(chain);
    return { chain: c.id, ...indexOf(c).search(q) };
  });

  app.get<{ Params: { id: string }; Querystring: { chain?: string; version?: number } }>('/v1/data/catalog/:id', {
    schema: {
      tags, summary: 'One dataset (the current version, or `version`), with the owner\'s standing offer if any',
      params: idParam('^[a-z0-9][a-z0-9._-]{0,63}$'), querystring: { type: 'object', properties: { ...chainQ, version: { type: 'integer', minimum: 1 } } }, response: err,
    },
  }, async (req) => {
    const c = chainOf(req.query.chain);
    const d = readDataset(c, req.params.id, req.query.version) ?? notFound(`no dataset "${req.params.id}"${req.query.version ? ` version ${req.query.version}` : ''} on chain ${c.id}`);
    return { chain: c.id, dataset: d, offer: readOffer(c, d.id)?.policy ?? null };
  });

  app.get<{ Querystring: { chain?: string; format?: 'turtle' | 'jsonld'; dataset?: string; title?: string } }>('/v1/data/dcat', {
    schema: {
      tags, summary: 'The catalog (or one dataset) as DCAT 3 / DCAT-AP 3.0: Turtle (text/turtle) or JSON-LD (application/ld+json)',
      querystring: { type: 'object', properties: { ...chainQ, format: { type: 'string', enum: ['turtle', 'jsonld'] }, dataset: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,63}$' } } },
      response: err,
    },
  }, async (req, reply) => {
    const c = chainOf(req.query.chain);
    let datasets;
    if (req.query.dataset) datasets = [readDataset(c, req.query.dataset) ?? notFound(`no dataset "${req.query.dataset}" on chain ${c.id}`)];
    else {
      const idx = indexOf(c);
      idx.refresh();
      datasets = [];
      for (let cursor: string | undefined = '0'; cursor !== undefined && datasets.length < 10_000;) {
        const page: ReturnType<CatalogIndex['search']> = idx.search({ limit: 100, cursor, withdrawn: false });
        datasets.push(...page.datasets);
        cursor = page.next;
      }
    }
    const triples = catalogTriples({
      chain: c.id, title: { zh: `${c.genesis.nameZh}数据目录`, en: `${c.genesis.name} data catalog` },
      description: { zh: `链 ${c.id} 上登记的数据资源`, en: `Data resources registered on chain ${c.id}` },
      publisher: { did: c.genesis.validators[0]!.did, name: c.genesis.name },
    }, datasets);
    if (req.query.format === 'jsonld') return reply.type('application/ld+json').send(toJsonLd(triples));
    return reply.type('text/turtle; charset=utf-8').send(toTurtle(triples));
  });

  const whoQ = (a: string, b: string) => ({
    type: 'object', properties: { ...chainQ, [a]: { type: 'string', pattern: DID_RE.source }, [b]: { type: 'string', pattern: DID_RE.source }, limit: { type: 'integer', minimum: 1, maximum: 200 } },
  }) as const;
  const needWho = (a?: string, b?: string, names = ['requester', 'owner']) => {
    if ((a === undefined) === (b === undefined)) throw new ShulianError('DATA_BAD_QUERY', `name exactly one of ${names.join(' or ')}`);
  };

  app.get<{ Querystring: { chain?: string; requester?: string; owner?: string; limit?: number } }>('/v1/data/requests', {
    schema: { tags, summary: 'Data requests of a requester, or for an owner\'s datasets, newest first', querystring: whoQ('requester', 'owner'), response: err },
  }, async (req) => {
    needWho(req.query.requester, req.query.owner);
    const c = chainOf(req.query.chain);
    return { requests: listRequests(c, req.query.owner ? { owner: req.query.owner } : { requester: req.query.requester! }, { limit: req.query.limit ?? 50 }) };
  });
  app.get<{ Params: { id: string }; Querystring: { chain?: string } }>('/v1/data/requests/:id', {
    schema: { tags, summary: 'One data request', params: idParam(NUM), querystring: { type: 'object', properties: chainQ }, response: err },
  }, async (req) => readRequest(chainOf(req.query.chain), Number(req.params.id)) ?? notFound(`no data request ${req.params.id}`));

  app.get<{ Querystring: { chain?: string; grantee?: string; owner?: string; limit?: number } }>('/v1/data/grants', {
    schema: { tags, summary: 'Grants held by a grantee, or made by an owner, newest first, with uses and revocation', querystring: whoQ('grantee', 'owner'), response: err },
  }, async (req) => {
    needWho(req.query.grantee, req.query.owner, ['grantee', 'owner']);
    const c = chainOf(req.query.chain);
    return { grants: listGrants(c, req.query.owner ? { owner: req.query.owner } : { grantee: req.query.grantee! }, { limit: req.query.limit ?? 50 }) };
  });
  app.get<{ Params: { id: string }; Querystring: { chain?: string } }>('/v1/data/grants/:id', {
    schema: { tags, summary: 'One grant: its ODRL Agreement, status entry, uses so far and whether it is revoked, with its latest uses', params: idParam(NUM), querystring: { type: 'object', properties: chainQ }, response: err },
  }, async (req) => {
    const c = chainOf(req.query.chain);
    const g = readGrant(c, Number(req.params.id)) ?? notFound(`no grant ${req.params.id}`);
    return { grant: g, latestUses: readUses(c, g.id, { limit: 20 }) };
  });
  app.post<{ Params: { id: string }; Querystring: { chain?: string }; Body: { user: string; action: string; purpose?: string; recipient?: string; consent?: string } }>('/v1/data/grants/:id/decide', {
    schema: {
      tags, summary: 'Would this use be allowed now? The dataauth module\'s decision (status entry, consents, ODRL policy) over the chain\'s state, as at the next block; writes nothing',
      params: idParam(NUM), querystring: { type: 'object', properties: chainQ },
      body: {
        type: 'object', additionalProperties: false, required: ['user', 'action'],
        properties: {
          user: { type: 'string', pattern: DID_RE.source }, action: { type: 'string', maxLength: 64 }, purpose: { type: 'string', maxLength: 128 },
          recipient: { type: 'string', pattern: DID_RE.source }, consent: { type: 'string', pattern: HEX64 },
        },
      },
      response: err,
    },
  }, async (req) => {
    const c = chainOf(req.query.chain);
    const b = req.body;
    const ask = { user: b.user, action: b.action, ...(b.purpose ? { purpose: b.purpose } : {}), ...(b.recipient ? { recipient: b.recipient } : {}), ...(b.consent ? { consent: b.consent } : {}) };
    return decide(c, Number(req.params.id), ask, clock());
  });

  app.get<{ Querystring: { chain?: string; subject: string } }>('/v1/data/consents', {
    schema: { tags, summary: 'The consents a subject DID gave, newest first, with their states and history (digests only: no personal data is on chain)', querystring: { type: 'object', required: ['subject'], properties: { ...chainQ, subject: { type: 'string', pattern: DID_RE.source } } }, response: err },
  }, async (req) => ({ consents: listConsents(chainOf(req.query.chain), req.query.subject) }));
  app.get<{ Params: { id: string }; Querystring: { chain?: string } }>('/v1/data/consents/:id', {
    schema: { tags, summary: 'One consent by the digest of its credential', params: idParam(HEX64), querystring: { type: 'object', properties: chainQ }, response: err },
  }, async (req) => readConsent(chainOf(req.query.chain), req.params.id) ?? notFound(`no consent ${req.params.id}`));
  app.get<{ Params: { id: string }; Querystring: { chain?: string } }>('/v1/data/portability/:id', {
    schema: { tags, summary: 'A portability request (PIPL Art. 45) and its fulfilment receipt', params: idParam(HEX64), querystring: { type: 'object', properties: chainQ }, response: err },
  }, async (req) => readPortability(chainOf(req.query.chain), req.params.id) ?? notFound(`no portability request ${req.params.id}`));

  app.get<{ Querystring: { chain?: string; requester: string; limit?: number } }>('/v1/data/privacy/runs', {
    schema: { tags, summary: 'Privacy-computing runs a requester asked for, newest first: parties, grant uses, consent root, reports, result digest, fee (docs/privacy.md)', querystring: { type: 'object', required: ['requester'], properties: { ...chainQ, requester: { type: 'string', pattern: DID_RE.source }, limit: { type: 'integer', minimum: 1, maximum: 100 } } }, response: err },
  }, async (req) => ({ runs: listRuns(chainOf(req.query.chain), req.query.requester, { limit: req.query.limit ?? 50 }) }));
  app.get<{ Params: { id: string }; Querystring: { chain?: string } }>('/v1/data/privacy/runs/:id', {
    schema: { tags, summary: 'One privacy-computing run and its audit record', params: idParam(NUM), querystring: { type: 'object', properties: chainQ }, response: err },
  }, async (req) => readRun(chainOf(req.query.chain), Number(req.params.id)) ?? notFound(`no privacy-computing run ${req.params.id}`));

  const signer = opts.statusSigner === undefined ? undefined : 'publicKey' in opts.statusSigner ? keyPairSigner(opts.statusSigner, { fragment: 'multikey' }) : opts.statusSigner;
  const service = signer ? createStatusListService({ chain: () => node.chain(opts.chain ?? 'data'), signer, path: DATA_STATUS_LIST_PATH, ...(opts.now ? { now: opts.now } : {}) }) : undefined;
  app.get<{ Params: { listId: string } }>('/v1/data/status-lists/:listId', {
    schema: {
      tags, summary: 'A grant revocation list of the data chain as a BitstringStatusListCredential, signed by this node',
      params: { type: 'object', properties: { listId: { type: 'string', maxLength: 64 } }, required: ['listId'] }, response: { ...err, 503: errorSchema },
    },
  }, async (req, reply) => {
    if (!service) throw new ShulianError('STATUS_SERVICE_OFF', 'this node serves no status lists: it has no status signing key configured');
    const base = opts.site?.publicUrl();
    if (base === undefined) throw new ShulianError('PUBLIC_URL_UNKNOWN', 'this node does not know its public URL yet; set ApiOptions.publicUrl');
    const vc = await service.credential(base, req.params.listId);
    if (!vc) throw new ShulianError('STATUS_LIST_NOT_FOUND', `the data chain has no status list "${req.params.listId}"`);
    return reply.type('application/json').send(vc);
  });
}


