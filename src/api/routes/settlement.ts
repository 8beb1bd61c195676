import type { FastifyInstance } from 'fastify';
import { ShulianError, HEX64_RE, DID_RE } from '../../codec/index.ts';
import type { ChainView, NodeView } from '../../chain/index.ts';
import {
  buildInvoices, invoiceXml, readBalances, readClearing, readEntry, readInstruction, readInstructionByKey, readInstructionsOf,
  readIssuers, readJournal, readStatement, readTaxPolicy, readTotals, type StateSource,
} from '../../settlement/index.ts';
import { errorSchema } from '../schemas.ts';

/**
 * Read routes over the settlement chain: balances, journal, instruction status, statements with
 * state proofs, clearing results and e-invoices. Writes are settlement txs
 * (POST /v1/chains/settle/txs). Money from a sandbox issuer is labelled as such in every answer.
 */
export function registerSettlementRoutes(app: FastifyInstance, node: NodeView, opts: { chain?: string } = {}): void {
  const defaultChain = opts.chain ?? 'settle';
  const chainOf = (id?: string): ChainView => {
    const c = node.chain(id ?? defaultChain);
    if (!c || !c.genesis.modules.includes('settlement')) throw new ShulianError('CHAIN_NOT_FOUND', `this node hosts no settlement chain "${id ?? defaultChain}"`);
    return c;
  };
  const src = (c: ChainView): StateSource => c;
  const tags = ['settlement'];
  const err = { 400: errorSchema, 404: errorSchema };
  const chainQ = { chain: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,31}$' }, height: { type: 'integer', minimum: 0 } } as const;
  const at = (q: { height?: number }) => (q.height === undefined ? {} : { height: q.height });
  const sandboxNotice = async (c: ChainView): Promise<{ sandbox: boolean; notice?: string }> => {
    const sb = (await readIssuers(src(c))).filter((i) => i.sandbox);
    return sb.length
      ? { sandbox: true, notice: `SANDBOX: ${sb.map((i) => `${i.name} (${i.currencies.join(', ')})`).join('; ')} ${sb.length === 1 ? 'is a sandbox issuer' : 'are sandbox issuers'}; money it issued is not real` }
      : { sandbox: false };
  };

  app.get<{ Params: { did: string }; Querystring: { chain?: string; height?: number } }>('/v1/settlement/accounts/:did', {
    schema: { tags, summary: 'Balances of a DID in every currency: available, held in escrow, issued (for issuers)', params: { type: 'object', properties: { did: { type: 'string', pattern: DID_RE.source } } }, querystring: { type: 'object', properties: chainQ }, response: err },
  }, async (req) => {
    const c = chainOf(req.query.chain);
    return { chain: c.id, ...(await readBalances(src(c), req.params.did, at(req.query))), ...(await sandboxNotice(c)) };
  });

  app.get<{ Querystring: { chain?: string; height?: number; account?: string; currency?: string; limit?: number; before?: number } }>('/v1/settlement/journal', {
    schema: {
      tags, summary: 'Journal entries, newest first: of one account (with currency) or of the whole chain',
      querystring: { type: 'object', properties: { ...chainQ, account: { type: 'string', maxLength: 128 }, currency: { type: 'string', pattern: '^[A-Z]{3}$' }, limit: { type: 'integer', minimum: 1, maximum: 500 }, before: { type: 'integer', minimum: 0 } } },
      response: err,
    },
  }, async (req) => {
    const c = chainOf(req.query.chain);
    const q: Parameters<typeof readJournal>[1] = { ...at(req.query) };
    if (req.query.account !== undefined) q.account = req.query.account;
    if (req.query.currency !== undefined) q.currency = req.query.currency;
    if (req.query.limit !== undefined) q.limit = req.query.limit;
    if (req.query.before !== undefined) q.before = req.query.before;
    return { chain: c.id, ...(await readJournal(src(c), q)) };
  });

  app.get<{ Params: { n: string }; Querystring: { chain?: string } }>('/v1/settlement/journal/:n', {
    schema: { tags, summary: 'One journal entry by number', params: { type: 'object', properties: { n: { type: 'string', pattern: '^[1-9][0-9]{0,14}$' } } }, querystring: { type: 'object', properties: chainQ }, response: err },
  }, async (req) => {
    const e = await readEntry(src(chainOf(req.query.chain)), Number(req.params.n));
    if (!e) throw new ShulianError('NOT_FOUND', `no journal entry ${req.params.n}`);
    return e;
  });

  app.get<{ Querystring: { chain?: string; height?: number } }>('/v1/settlement/totals', {
    schema: { tags, summary: 'Running totals per currency: debits, credits (always equal), entries', querystring: { type: 'object', properties: chainQ }, response: err },
  }, async (req) => {
    const c = chainOf(req.query.chain);
    return { chain: c.id, ...(await readTotals(src(c), at(req.query))) };
  });

  app.get<{ Querystring: { chain?: string } }>('/v1/settlement/issuers', {
    schema: { tags, summary: 'Registered issuers (funding rails); sandbox issuers are marked', querystring: { type: 'object', properties: chainQ }, response: err },
  }, async (req) => {
    const c = chainOf(req.query.chain);
    return { issuers: await readIssuers(src(c)), ...(await sandboxNotice(c)) };
  });

  app.get<{ Querystring: { chain?: string } }>('/v1/settlement/tax', {
    schema: { tags, summary: 'The tax policy: authority and rates (basis points) per category', querystring: { type: 'object', properties: chainQ }, response: err },
  }, async (req) => (await readTaxPolicy(src(chainOf(req.query.chain)))) ?? { policy: null });

  const idParam = { type: 'object', properties: { id: { type: 'string', pattern: HEX64_RE.source } } } as const;
  app.get<{ Params: { id: string }; Querystring: { chain?: string } }>('/v1/settlement/instructions/:id', {
    schema: { tags, summary: 'Status of a settlement instruction', params: idParam, querystring: { type: 'object', properties: chainQ }, response: err },
  }, async (req) => {
    const r = await readInstruction(src(chainOf(req.query.chain)), req.params.id);
    if (!r) throw new ShulianError('NOT_FOUND', `no settlement instruction ${req.params.id}`);
    return r;
  });

  app.get<{ Querystring: { chain?: string; payer: string; key?: string; srcChain?: string; srcPort?: string; contract?: string; limit?: number } }>('/v1/settlement/instructions', {
    schema: {
      tags, summary: 'A payer\'s instructions (newest first), or one by idempotency key (with srcChain, srcPort, contract for a contract\'s)',
      querystring: {
        type: 'object', required: ['payer'],
        properties: { ...chainQ, payer: { type: 'string', pattern: DID_RE.source }, key: { type: 'string', maxLength: 128 }, srcChain: { type: 'string' }, srcPort: { type: 'string' }, contract: { type: 'string' }, limit: { type: 'integer', minimum: 1, maximum: 200 } },
      },
      response: err,
    },
  }, async (req) => {
    const c = chainOf(req.query.chain);
    const q = req.query;
    if (q.key !== undefined) {
      const origin = q.srcChain && q.srcPort && q.contract ? { chain: q.srcChain, port: q.srcPort, contract: q.contract } : undefined;
      const r = await readInstructionByKey(src(c), q.payer, q.key, origin);
      if (!r) throw new ShulianError('NOT_FOUND', `${q.payer} has no instruction with idempotency key "${q.key}"${origin ? ` from ${origin.chain}/${origin.port}/${origin.contract}` : ''}`);
      return { instructions: [r] };
    }
    return { instructions: await readInstructionsOf(src(c), q.payer, q.limit === undefined ? {} : { limit: q.limit }) };
  });

  app.get<{ Params: { period: string; currency: string; account: string }; Querystring: { chain?: string } }>('/v1/settlement/statements/:period/:currency/:account', {
    schema: {
      tags, summary: 'A participant\'s statement (对账单) for a period (UTC day), with its entries and, once cleared, a state proof of its recorded hash',
      params: { type: 'object', properties: { period: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' }, currency: { type: 'string', pattern: '^[A-Z]{3}$' }, account: { type: 'string', maxLength: 128 } } },
      querystring: { type: 'object', properties: chainQ }, response: err,
    },
  }, async (req) => {
    const c = chainOf(req.query.chain);
    const s = await readStatement(src(c), c.id, req.params.period, req.params.currency, req.params.account);
    const proof = s.cleared ? c.getState(s.key, { proof: true }) : undefined;
    return { statement: s, ...(proof ? { proof } : {}), ...(await sandboxNotice(c)) };
  });

  app.get<{ Params: { period: string; currency: string }; Querystring: { chain?: string } }>('/v1/settlement/clearing/:period/:currency', {
    schema: { tags, summary: 'The clearing of a period: net positions and statement hashes', params: { type: 'object', properties: { period: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' }, currency: { type: 'string', pattern: '^[A-Z]{3}$' } } }, querystring: { type: 'object', properties: chainQ }, response: err },
  }, async (req) => {
    const c = chainOf(req.query.chain);
    const r = await readClearing(src(c), req.params.period, req.params.currency);
    if (!r) throw new ShulianError('NOT_FOUND', `${req.params.period} ${req.params.currency} has not been cleared; send settlement.clear once the day is over`);
    return r;
  });

  app.get<{ Params: { id: string }; Querystring: { chain?: string; format?: 'json' | 'xml'; line?: number; country?: string } }>('/v1/settlement/invoices/:id', {
    schema: {
      tags, summary: 'E-invoices of a settled service instruction: JSON (all payees) or UBL 2.1 / Peppol BIS 3.0 XML (one payee: line=1…)',
      params: idParam,
      querystring: { type: 'object', properties: { ...chainQ, format: { type: 'string', enum: ['json', 'xml'] }, line: { type: 'integer', minimum: 1, maximum: 32 }, country: { type: 'string', pattern: '^[A-Z]{2}$' } } },
      response: err,
    },
  }, async (req, reply) => {
    const c = chainOf(req.query.chain);
    const rec = await readInstruction(src(c), req.params.id);
    if (!rec) throw new ShulianError('NOT_FOUND', `no settlement instruction ${req.params.id}`);
    if (!rec.settled) throw new ShulianError('NOT_SETTLED', `instruction ${rec.id} is ${rec.status}; only settled instructions are invoiced`);
    const entry = await readEntry(src(c), rec.settled.entry);
    if (!entry) throw new ShulianError('NOT_FOUND', `journal entry ${rec.settled.entry} is missing`);
    const invoices = buildInvoices(rec, entry, { chain: c.id, ...(req.query.country ? { defaultCountry: req.query.country } : {}) });
    if (req.query.format === 'xml') {
      const i = (req.query.line ?? 1) - 1;
      const inv = invoices[i];
      if (!inv) throw new ShulianError('NOT_FOUND', `instruction ${rec.id} has ${invoices.length} invoice(s); line ${i + 1} does not exist`);
      return reply.type('application/xml; charset=utf-8').send(invoiceXml(inv));
    }
    return { invoices, ...(await sandboxNotice(c)) };
  });
}
