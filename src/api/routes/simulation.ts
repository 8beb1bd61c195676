/**
 * The simulation sandbox (安全沙箱, issue #24, docs/simulation.md) over HTTP. Not the SANDBOX
 * settlement rail (test money) of `shulian up`.
 *
 *   POST /v1/simulation/forks {chains: [{chain, height?}]}        fork chains at heights (absent: heads)
 *   GET  /v1/simulation/forks/:id                                  a fork: its chains, heights, roots, bytes
 *   POST /v1/simulation/forks/:id/drop                             drop a fork
 *   POST /v1/simulation/forks/:id/simulate {txs, overrides?, passProposals?, keep?}
 *   POST /v1/simulate {txs, at?, overrides?, passProposals?}       fork, simulate, drop, in one call
 *   POST /v1/simulation/replay {chain, from, to}                   parity: replay committed blocks on a fork
 *
 * Reads follow each chain's read policy (a fork of a members-only chain is its readers'); txs
 * need no signature (an unsigned call from any DID), since nothing of a simulation is written.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ShulianError } from '../../codec/index.ts';
import { chainIdSchema, didSchema, hexSchema, jsonSchema, z } from '../../codec/schemas.ts';
import { decodeTx } from '../../ledger/index.ts';
import type { SimulationSandbox } from '../../sandbox/index.ts';
import type { SimRequest, SimTx, SimulateOnceRequest } from '../../sdk/index.ts';
import type { ChainReadPolicy } from '../read-policy.ts';
import { errorSchema } from '../schemas.ts';
import { parseBody } from './auth.ts';

/** Txs one request may carry before the sandbox's own limit (SandboxLimits.maxTxs) is applied. */
const MAX_REQUEST_TXS = 256;
const height = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const target = z.strictObject({ chain: chainIdSchema, height: height.optional() });
const forkBody = z.strictObject({ chains: z.array(target).min(1, 'name at least one chain').max(16) });
const call = z.strictObject({
  chain: chainIdSchema, from: didSchema, module: chainIdSchema,
  method: z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,63}$/, 'a method name: letters and digits'),
  args: jsonSchema, nonce: height.optional(), pubkey: hexSchema.max(200).optional(),
});
const simTx = z.union([z.strictObject({ signed: z.unknown() }), call]);
const overrides = z.strictObject({
  time: height.optional(),
  height: height.min(1).optional(),
  balances: z.array(z.strictObject({
    chain: chainIdSchema, did: didSchema,
    currency: z.string().regex(/^[A-Z][A-Z0-9]{1,11}$/, 'a currency code such as CNY'),
    amount: z.string().regex(/^-?[0-9]{1,30}$/, 'minor units as a decimal string'),
  })).max(16).optional(),
});
const simBody = z.strictObject({
  txs: z.array(simTx).min(1, 'a simulation needs at least one tx').max(MAX_REQUEST_TXS),
  overrides: overrides.optional(), passProposals: z.boolean().optional(), keep: z.boolean().optional(),
});
const onceBody = simBody.omit({ keep: true }).extend({ at: z.array(target).max(16).optional() });
const replayBody = z.strictObject({ chain: chainIdSchema, from: height, to: height });

/** A request's txs, the signed ones checked for shape (TX_MALFORMED names the field). */
function txsOf(raw: z.infer<typeof simBody>['txs']): SimTx[] {
  return raw.map((t) => ('signed' in t ? { signed: decodeTx(t.signed) } : t) as SimTx);
}

export function registerSimulationRoutes(app: FastifyInstance, sandbox: SimulationSandbox, reads: ChainReadPolicy): void {
  const tags = ['simulation'];
  const errs = { 400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema, 413: errorSchema, 429: errorSchema, 503: errorSchema };
  const noValidation = () => () => true;
  const idParam = { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } as const;
  const forkId = (id: string): string => {
    if (!/^[0-9a-f]{32}$/.test(id)) throw new ShulianError('SIM_BAD_REQUEST', `fork id "${id.slice(0, 80)}" is not 32 lowercase hex digits`);
    return id;
  };
  const mayRead = async (req: FastifyRequest, chains: Iterable<string>): Promise<void> => {
    for (const c of new Set(chains)) await reads.check(req, c);
  };
  const chainsOfFork = (id: string): string[] => sandbox.info(id).chains.map((c) => c.chain);

  app.post('/v1/simulation/forks', {
    schema: { tags, summary: 'Fork chains at heights (absent: their heads): copy-on-write, nothing copied; kept until unused for the fork lifetime', body: { type: 'object' }, response: errs },
    validatorCompiler: noValidation,
  }, async (req) => {
    const b = parseBody(forkBody, req.body, 'POST /v1/simulation/forks');
    await mayRead(req, b.chains.map((t) => t.chain));
    return sandbox.fork(b.chains.map((t) => ({ chain: t.chain, ...(t.height === undefined ? {} : { height: t.height }) })));
  });

  app.get<{ Params: { id: string } }>('/v1/simulation/forks/:id', {
    schema: { tags, summary: 'A fork: its chains, the heights forked and reached, state roots, bytes held, when it expires', params: idParam, response: errs },
  }, async (req) => {
    const id = forkId(req.params.id);
    await mayRead(req, chainsOfFork(id));
    return sandbox.info(id);
  });

  app.post<{ Params: { id: string } }>('/v1/simulation/forks/:id/drop', {
    schema: { tags, summary: 'Drop a fork', params: idParam, response: errs },
  }, async (req) => {
    const id = forkId(req.params.id);
    await mayRead(req, chainsOfFork(id));
    sandbox.drop(id);
    return { dropped: id };
  });

  app.post<{ Params: { id: string } }>('/v1/simulation/forks/:id/simulate', {
    schema: { tags, summary: 'Simulate txs on a fork: receipts, events, state diff, balance changes, packets, and a risk verdict (none/warn/block) with reasons in zh-CN and en', params: idParam, body: { type: 'object' }, response: errs },
    validatorCompiler: noValidation,
  }, async (req) => {
    const id = forkId(req.params.id);
    const b = parseBody(simBody, req.body, `POST /v1/simulation/forks/${id}/simulate`);
    await mayRead(req, chainsOfFork(id));
    return sandbox.simulate(id, requestOf(b));
  });

  app.post('/v1/simulate', {
    schema: { tags, summary: 'Fork the chains the txs name (and the governance chain) at their heads or `at`, simulate, drop the fork', body: { type: 'object' }, response: errs },
    validatorCompiler: noValidation,
  }, async (req) => {
    const b = parseBody(onceBody, req.body, 'POST /v1/simulate');
    const r: SimulateOnceRequest = requestOf(b);
    if (b.at) r.at = b.at.map((t) => ({ chain: t.chain, ...(t.height === undefined ? {} : { height: t.height }) }));
    await mayRead(req, [...r.txs.map((t) => ('signed' in t ? t.signed.chain : t.chain)), ...(r.at ?? []).map((t) => t.chain)]);
    return sandbox.simulateOnce(r);
  });

  app.post('/v1/simulation/replay', {
    schema: { tags, summary: 'Parity check: replay committed blocks (from, to] of a chain on a fork and compare every state, receipt and tx root', body: { type: 'object' }, response: errs },
    validatorCompiler: noValidation,
  }, async (req) => {
    const b = parseBody(replayBody, req.body, 'POST /v1/simulation/replay');
    await mayRead(req, [b.chain]);
    return sandbox.replay(b.chain, b.from, b.to);
  });
}

function requestOf(b: z.infer<typeof simBody> | z.infer<typeof onceBody>): SimRequest {
  const r: SimRequest = { txs: txsOf(b.txs) };
  if (b.overrides) {
    const o = b.overrides;
    r.overrides = {
      ...(o.time === undefined ? {} : { time: o.time }), ...(o.height === undefined ? {} : { height: o.height }),
      ...(o.balances ? { balances: o.balances } : {}),
    };
  }
  if (b.passProposals !== undefined) r.passProposals = b.passProposals;
  if ('keep' in b && b.keep !== undefined) r.keep = b.keep;
  return r;
}

