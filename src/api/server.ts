import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { sandboxLabel } from './sandbox-label.ts';
import swagger from '@fastify/swagger';
import { lazyCompilers } from './lazy-compilers.ts';
import swaggerUi from '@fastify/swagger-ui';
import websocket from '@fastify/websocket';
import { ShulianError, HEX64_RE as HASH_RE, DID_RE } from '../codec/index.ts';
import { MAX_BATCH, type ChainView, type NodeView } from '../chain/index.ts';
import { errorBody, statusFor } from './errors.ts';
import { anyObject, chainParam, errorSchema, txSchema } from './schemas.ts';
import { loadErrorLists } from './error-catalogue.ts';
import { recordRoutes, swaggerOptions } from './openapi.ts';
import { registerStream, type StreamLimits } from './stream.ts';
import { rateLimitsOf, registerRateLimits, type RateLimits } from './rate-limits.ts';
import { apiSite } from './site.ts';
import { RenderPool, type RenderPoolOptions } from './render-pool.ts';
import { registerDidRoutes } from './routes/did.ts';
import { registerGovernanceRoutes } from './routes/governance.ts';
import { registerSettlementRoutes } from './routes/settlement.ts';
import { registerContractRoutes } from './routes/contracts.ts';
import { registerSolidityRoutes } from './routes/solidity.ts';
import type { SolcOptions } from './solc.ts';
import { registerXchainRoutes } from './routes/xchain.ts';
import { registerXtxRoutes } from './routes/xtx.ts';
import { registerValidatorRoutes } from './routes/validators.ts';
import { registerVcRoutes, type VcRoutesOptions } from './routes/vc.ts';
import { registerEthRoutes, type EthOptions } from './routes/eth.ts';
import { NO_EXTERNAL_CHAINS, registerExternalRoutes, type ExternalChainsView } from './routes/external.ts';
import { registerConsole } from './console.ts';
import { join } from 'node:path';
import { ConsoleStore } from './console-store.ts';
import { ConsoleAuth, registerAuthRoutes, type ConsoleOptions } from './routes/auth.ts';
import { registerWorkOrderRoutes } from './routes/workorders.ts';
import { registerAdminRoutes } from './routes/admin.ts';
import { registerMetricsRoutes, type MetricsOptions } from './routes/metrics.ts';
import { registerSupervisionRoutes } from './routes/supervision.ts';
import { registerAlarmRoutes } from './routes/alarms.ts';
import { AlarmService } from '../alarms/index.ts';
import { registerSimulationRoutes } from './routes/simulation.ts';
import { SimulationSandbox, type SandboxLimits } from '../sandbox/index.ts';
import { ChainReadPolicy } from './read-policy.ts';
import type { SupervisionService } from '../supervision/index.ts';
import type { ExplorerQueries } from '../indexer/index.ts';
import { registerExplorerRoutes } from './routes/explorer.ts';
import { registerDataRoutes } from './routes/data.ts';

export interface ApiOptions {
  /** Largest request body, bytes. */
  bodyLimit?: number;
  /** Requests per minute per client address in every route class (reads, writes, auth), over the defaults. */
  rateLimitPerMinute?: number;
  /** Requests per minute per client address by route class (rate-limits.ts; default reads 30,000, writes 3,000, auth 300). */
  rateLimits?: Partial<RateLimits>;
  logger?: boolean;
  /** Credential routes: issuer keys, status-list signer (the node key), resolver. */
  vc?: VcRoutesOptions;
  /** Console sign-in, work orders, admin and audit log (issue #8): served when `dataDir` or `store` is given. */
  console?: ConsoleOptions;
  /** POST /v1/evm/compile: Solidity source size, compile time and queue bounds (api/solc.ts). */
  solc?: SolcOptions;
  /** /metrics and /v1/node/stats: sampling, and the data dir whose disk use is reported. */
  metrics?: MetricsOptions;
  /** Chains on other engines the node follows (GET /v1/external-chains); none when absent. */
  external?: ExternalChainsView;
  /**
   * The node's public base URL (https://node.example): credential status-list URLs and the
   * origin console sign-ins name. Default: the address the API listens on. Never the Host header.
   */
  publicUrl?: string;
  /** WebSocket stream limits (connections per address and in all, subscriptions per connection). */
  stream?: StreamLimits;
  /** Off-thread rendering (contract PDFs, template compiles, scenario runs): workers and queue bound, or a pool to use (the caller closes it). */
  render?: RenderPoolOptions | RenderPool;
  /** eth_call / eth_estimateGas: gas cap per run, runs at once per client address, the EVM's worker pool. */
  eth?: EthOptions;
  /** The supervision service whose alerts and statistics /v1/supervision/* serves (embedded in the node). */
  supervision?: SupervisionService;
  /** The PostgreSQL index /v1/explorer/* reads (docs/explorer.md); without it those routes answer 503. */
  explorer?: ExplorerQueries;
  /** The simulation sandbox of /v1/simulation/* and /v1/simulate: its limits, or one to serve (default: one over this node). */
  simulation?: Partial<SandboxLimits> | SimulationSandbox;
}

/** Longest path parameter the router takes: a DID URL on /1.0/identifiers/:did may be long (query, fragment), up to 2,048 characters as common HTTP stacks allow. */
const MAX_PARAM_LENGTH = 2048;

/**
 * The router's own refusals (a path that is not valid percent-encoding, a path parameter over
 * MAX_PARAM_LENGTH) answer in the API's error shape, not Fastify's default body.
 */
function routerError(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  const path = req.url.split('?')[0]!.slice(0, 200);
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    void reply.status(414).send(errorBody('PATH_TOO_LONG', `a path segment of ${path} is longer than ${MAX_PARAM_LENGTH} characters; no parameter of this API is that long`));
  } else if (err.code === 'FST_ERR_BAD_URL') {
    void reply.status(400).send(errorBody('BAD_URL', `the path ${path} is not valid percent-encoding; encode each path segment (encodeURIComponent) and retry`));
  } else {
    void reply.status(400).send(errorBody('BAD_REQUEST', `${err.message}; see /docs`));
  }
}

/** Builds the HTTP + WebSocket API over a node. Call `listen` on the result. */
export async function buildApi(node: NodeView, opts: ApiOptions = {}): Promise<FastifyInstance> {
  const maxBatch = MAX_BATCH;
  const app = Fastify({
    logger: opts.logger ?? false, bodyLimit: opts.bodyLimit ?? 16 * 1024 * 1024, routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: routerError as FastifyServerOptions['frameworkErrors'],
    // Each route's schemas are compiled on its first request, not at start (lazy-compilers.ts).
    schemaController: { compilersFactory: lazyCompilers() },
  });
  // Every route, as registered: test/openapi.test.ts compares it with the OpenAPI document.
  recordRoutes(app);
  const site = apiSite(app, opts.publicUrl ?? opts.vc?.publicUrl);

  // First, so that every route registered after (all of them) counts against its class's budget.
  const limiters = await registerRateLimits(app, rateLimitsOf(opts.rateLimits, opts.rateLimitPerMinute));
  // The document: the routes' schemas, completed by openapi.ts (signing, success codes, every error code).
  await app.register(swagger, swaggerOptions(node.version, await loadErrorLists()));
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });

  app.setErrorHandler((err, req, reply) => {
    if (err instanceof ShulianError) {
      const retry = err.details?.retryAfterS;
      if (typeof retry === 'number') reply.header('retry-after', String(retry));
      return reply.status(statusFor(err.code)).send(errorBody(err.code, err.message));
    }
    const e = err as Error & { code?: string; statusCode?: number; validation?: unknown };
    if (e.validation) return reply.status(400).send(errorBody('BAD_REQUEST', e.message));
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      keepConnectionAfterTooLarge(req, reply);
      return reply.status(413).send(errorBody('BODY_TOO_LARGE', `request body is larger than ${app.initialConfig.bodyLimit} bytes; send fewer transactions per request`));
    }
    if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return reply.status(415).send(errorBody('UNSUPPORTED_MEDIA_TYPE', 'send JSON with Content-Type: application/json'));
    if (e.statusCode && e.statusCode < 500) return reply.status(e.statusCode).send(errorBody('BAD_REQUEST', e.message));
    app.log.error(err);
    return reply.status(500).send(errorBody('INTERNAL', 'internal error; the node log has details'));
  });
  app.setNotFoundHandler({ preHandler: limiters.reads }, (req, reply) => reply.status(404).send(errorBody('NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}; see /docs`)));

  const consoleStore = opts.console?.store ?? (opts.console?.dataDir ? ConsoleStore.open(join(opts.console.dataDir, 'console.lmdb')) : undefined);
  const auth = consoleStore ? new ConsoleAuth(node, consoleStore, opts.console, site) : undefined;
  // Chains registered with reads "members" are served to their members and in-scope regulators only.
  const reads = new ChainReadPolicy(node, auth);
  // Submitting a tx is not a read: the chain's admission policy judges it.
  app.addHook('preHandler', async (req) => {
    const chain = (req.params as { chain?: unknown } | undefined)?.chain;
    if (typeof chain === 'string' && !(req.method === 'POST' && req.routeOptions.url === '/v1/chains/:chain/txs')) await reads.check(req, chain);
  });

  const chainOf = (id: string): ChainView => {
    const c = node.chain(id);
    if (!c) throw new ShulianError('CHAIN_NOT_FOUND', `this node hosts no chain "${id}"; GET /v1/chains lists them`);
    return c;
  };
  const err = { 400: errorSchema, 404: errorSchema };

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  app.get('/v1/health', { schema: { tags: ['node'], summary: 'Node health' } }, async () => ({
    status: 'ok', node: node.did, version: node.version, chains: node.chains().length, uptimeMs: Date.now() - node.startedAt,
  }));

  app.get('/v1/chains', { schema: { tags: ['chains'], summary: 'Chains hosted by this node (a chain whose reads are not public is listed with its id and height only)' } }, async () => ({
    chains: node.chains().map((c) => (reads.isPublic(c.id) ? { ...c.info(), ...sandboxLabel(node, c) } : { id: c.id, height: c.height(), reads: 'members' })),
  }));

  app.get<{ Params: { chain: string } }>('/v1/chains/:chain', {
    schema: { tags: ['chains'], summary: 'A chain, with its genesis document', params: chainParam, response: { 404: errorSchema } },
  }, async (req) => {
    const c = chainOf(req.params.chain);
    return { ...c.info(), ...sandboxLabel(node, c), genesis: c.genesis };
  });

  app.get<{ Params: { chain: string } }>('/v1/chains/:chain/consensus', {
    schema: { tags: ['chains'], summary: 'Consensus state: height, round, step, proposer, validators with power and who is up, last commit time', params: chainParam, response: err },
  }, async (req) => {
    chainOf(req.params.chain);
    return node.consensus(req.params.chain);
  });

  app.get<{ Params: { chain: string; height: string } }>('/v1/chains/:chain/blocks/:height', {
    schema: {
      tags: ['chains'], summary: 'A block with its txs and receipts (and its commit on BFT chains); height may be "latest"',
      params: { type: 'object', properties: { chain: chainParam.properties.chain, height: { type: 'string', pattern: '^(latest|[0-9]{1,15})$' } }, required: ['chain', 'height'] },
      response: err,
    },
  }, async (req) => {
    const c = chainOf(req.params.chain);
    const height = req.params.height === 'latest' ? c.height() : Number(req.params.height);
    const block = c.getBlock(height);
    if (!block) throw new ShulianError('BLOCK_NOT_FOUND', `chain ${c.id} is at height ${c.height()}; block ${height} does not exist yet`);
    const commit = c.getCommit(height);
    return commit === undefined ? block : { ...block, commit };
  });

  app.get<{ Params: { chain: string }; Querystring: { before?: number; limit: number } }>('/v1/chains/:chain/blocks', {
    schema: {
      tags: ['chains'], summary: 'Recent block summaries, newest first', params: chainParam,
      querystring: { type: 'object', properties: { before: { type: 'integer', minimum: 1 }, limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 } } },
      response: err,
    },
  }, async (req) => {
    const c = chainOf(req.params.chain);
    return { blocks: c.blocks(req.query.before === undefined ? { limit: req.query.limit } : { before: req.query.before, limit: req.query.limit }) };
  });

  // The tx route reads its body as a string: parsing, decoding and signature checks happen on
  // the chain's admission workers, not on the thread that serves reads.
  await app.register(async (scope) => {
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));
    scope.post<{ Params: { chain: string }; Body: string }>('/v1/chains/:chain/txs', {
      schema: {
        tags: ['transactions'], summary: `Submit one signed transaction, or {"txs": [...]} for a batch of up to ${maxBatch}`, params: chainParam,
        body: { oneOf: [txSchema, { type: 'object', properties: { txs: { type: 'array', items: anyObject, maxItems: maxBatch } }, required: ['txs'] }] },
        response: { 413: errorSchema, 409: errorSchema, 503: errorSchema, ...err },
      },
      validatorCompiler: () => () => true, // the body is checked per tx, field by field, by the admission workers; the chain id by chainOf
    }, async (req, reply) => {
      const c = chainOf(req.params.chain);
      const answer = await c.submitBody(req.body);
      if (answer.kind === 'invalid') throw new ShulianError(answer.code, answer.message);
      if (answer.kind === 'batch') return reply.status(202).send({ results: answer.results });
      const result = answer.results[0]!;
      if (!result.accepted) throw new ShulianError(result.code, result.message);
      return reply.status(202).send({ hash: result.hash });
    });
  });

  app.get<{ Params: { hash: string } }>('/v1/txs/:hash', {
    schema: {
      tags: ['transactions'], summary: 'A committed tx with its receipt and inclusion proofs, or its pending status',
      params: { type: 'object', properties: { hash: { type: 'string' } }, required: ['hash'] }, response: err,
    },
  }, async (req) => {
    const hash = req.params.hash;
    if (!HASH_RE.test(hash)) throw new ShulianError('BAD_REQUEST', 'a tx hash is 64 lowercase hex digits');
    const found = node.findTx(hash);
    if (!found) throw new ShulianError('TX_NOT_FOUND', `no chain on this node has tx ${hash}, committed or pending`);
    await reads.check(req, found.chain.id);
    if (found.inclusion) {
      // On BFT chains the block's commit comes along: clients verify the header with it (docs/api.md "Verified reads").
      const commit = found.chain.getCommit(found.inclusion.height);
      return { status: 'committed', chain: found.chain.id, ...found.inclusion, ...(commit === undefined ? {} : { commit }) };
    }
    return { status: 'pending', chain: found.chain.id, hash };
  });

  app.get<{ Params: { chain: string }; Querystring: { key: string; proof?: boolean; height?: number } }>('/v1/chains/:chain/state', {
    schema: {
      tags: ['state'], summary: 'A state value, optionally with a proof against a signed block header', params: chainParam,
      querystring: {
        type: 'object', required: ['key'],
        properties: { key: { type: 'string', minLength: 1, maxLength: 1024 }, proof: { type: 'boolean', default: false }, height: { type: 'integer', minimum: 0 } },
      },
      response: err,
    },
  }, async (req) => {
    const c = chainOf(req.params.chain);
    const o: { proof?: boolean; height?: number } = { proof: req.query.proof ?? false };
    if (req.query.height !== undefined) o.height = req.query.height;
    const s = c.getState(req.query.key, o);
    const commit = s.header ? c.getCommit(s.height) : undefined;
    return commit === undefined ? s : { ...s, commit };
  });

  const didParams = { type: 'object', properties: { chain: chainParam.properties.chain, did: { type: 'string', pattern: DID_RE.source } }, required: ['chain', 'did'] };
  app.get<{ Params: { chain: string; did: string } }>('/v1/chains/:chain/accounts/:did', {
    schema: { tags: ['state'], summary: 'Nonces of a DID on a chain: use pendingNonce for the next tx', params: didParams, response: err },
  }, async (req) => {
    const c = chainOf(req.params.chain);
    return { did: req.params.did, ...c.nonces(req.params.did) };
  });

  app.get<{ Params: { chain: string; did: string }; Querystring: { limit: number } }>('/v1/chains/:chain/accounts/:did/txs', {
    schema: {
      tags: ['state'], summary: 'Txs sent by a DID, newest first', params: didParams,
      querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 } } }, response: err,
    },
  }, async (req) => ({ txs: chainOf(req.params.chain).txsByDid(req.params.did, req.query.limit) }));

  registerStream(app, node, opts.stream, reads);
  registerDidRoutes(app, node);
  registerGovernanceRoutes(app, node);
  registerSettlementRoutes(app, node);
  const renderPool = opts.render instanceof RenderPool ? opts.render : new RenderPool(opts.render);
  if (!(opts.render instanceof RenderPool)) app.addHook('onClose', async () => renderPool.close());
  registerContractRoutes(app, node, { render: renderPool });
  registerXchainRoutes(app, node);
  registerXtxRoutes(app, node);
  registerValidatorRoutes(app, node);
  await registerVcRoutes(app, node, { ...opts.vc, site });
  registerDataRoutes(app, node, { site, ...(opts.vc?.statusSigner ? { statusSigner: opts.vc.statusSigner } : {}), ...(opts.vc?.now ? { now: opts.vc.now } : {}) });
  registerEthRoutes(app, node, opts.eth);
  registerSolidityRoutes(app, opts.solc);
  registerExternalRoutes(app, opts.external ?? NO_EXTERNAL_CHAINS);
  registerConsole(app);
  const collector = registerMetricsRoutes(app, node, { ...(opts.console?.dataDir ? { dataDir: opts.console.dataDir } : {}), ...opts.metrics });
  // Ops alarms on the collector's figures, kept in <dataDir>/alarms.lmdb (docs/alarms.md).
  const alarms = opts.console?.dataDir ? new AlarmService({ path: join(opts.console.dataDir, 'alarms.lmdb'), node: node.did }) : undefined;
  if (alarms) {
    alarms.attach(() => collector.stats());
    app.addHook('onClose', async () => alarms.close());
  }
  registerAlarmRoutes(app, alarms, auth);
  registerSupervisionRoutes(app, opts.supervision, auth);
  registerExplorerRoutes(app, opts.explorer, reads);
  registerSimulationRoutes(app, opts.simulation instanceof SimulationSandbox ? opts.simulation : new SimulationSandbox(node, { limits: opts.simulation ?? {} }), reads);
  if (consoleStore && auth) {
    if (!opts.console?.store) app.addHook('onClose', async () => consoleStore.close());
    await app.register(async (scope) => {
      // These routes take small bodies; say which limit a too-large one broke (others go to the handler above).
      scope.setErrorHandler((e, req, reply) => {
        if ((e as { code?: string }).code !== 'FST_ERR_CTP_BODY_TOO_LARGE') throw e;
        keepConnectionAfterTooLarge(req, reply);
        return reply.status(413).send(errorBody('BODY_TOO_LARGE', `request body is larger than ${req.routeOptions.bodyLimit} bytes, the most ${req.method} ${req.routeOptions.url} takes`));
      });
      registerAuthRoutes(scope, auth);
      registerWorkOrderRoutes(scope, auth);
      registerAdminRoutes(scope, auth);
    });
  }
  return app;
}

/**
 * The most of a refused body the server still reads so the client gets its 413 and keeps the
 * connection. Fastify closes the connection on a body it will not parse; a client still writing
 * a body it declared (say 500 KB to a 1 KB route) then meets a reset, not the 413, whenever the
 * close overtakes its write. Up to this size Node reads the rest and drops it (keep-alive stays);
 * past it the connection is closed, so nobody makes the node read more than this for nothing.
 */
const REFUSED_BODY_DRAIN_BYTES = 1 << 20;

function keepConnectionAfterTooLarge(req: FastifyRequest, reply: FastifyReply): void {
  const declared = Number(req.headers['content-length']);
  if (Number.isSafeInteger(declared) && declared <= REFUSED_BODY_DRAIN_BYTES) reply.removeHeader('connection');
}
