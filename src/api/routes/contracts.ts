/**
 * Executable legal contracts (lex) over HTTP: the template library, compile-and-render for the
 * console's low-code editor (no chain write), scenario tests, PDF renderings, and reads of
 * contract instances on the signing chain. Writes (deploy, draft, sign, countersign, event,
 * dispute, resolve, settle) are signed transactions to POST /v1/chains/sign/txs, module
 * `lexcontract` (the SDK's src/sdk/contracts.ts builds them).
 *
 *   GET  /v1/contracts/templates                      library (contracts/) and templates deployed on chain
 *   GET  /v1/contracts/templates/:ref                 source, summary, texts (en, zh-CN) with the sample; ref = folder name or source hash
 *   GET  /v1/contracts/templates/:ref/pdf?lang=       PDF of the template filled with its sample (or blank)
 *   POST /v1/contracts/templates/:name/test           run the template's scenario tests
 *   POST /v1/contracts/compile {source, params?}      diagnostics, summary, texts, fingerprint
 *   POST /v1/contracts/render/pdf {source, params?, lang}
 *   GET  /v1/contracts/instances?party=DID            contracts a DID takes part in
 *   GET  /v1/contracts/instances/:id                  instance, state, obligations, log, history, signatures, settlements
 *   GET  /v1/contracts/instances/:id/fingerprint      what the parties sign, recomputed here, with the texts
 *   GET  /v1/contracts/instances/:id/pdf?lang=        the instance's legal text as PDF
 * Every route takes `?chain=` (default "sign") where it reads a chain. PDFs, compiles, scenario
 * runs and instance fingerprints happen on the render pool's worker threads (render-pool.ts): a
 * flood of them is refused with 503 BUSY and Retry-After, and never stalls the thread that serves
 * the API. A fingerprint is rendered once per (template, parameters, signing terms), which fix
 * it, and then served from a bounded LRU cache.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { ShulianError, canonicalBytes, toHex, HEX64_RE as HASH_RE, asJson, type ErrorCode, type ForeignCode, type JsonValue, isJsonObject } from '../../codec/index.ts';
import { sm3 } from '../../crypto/index.ts';
import type { ChainView, NodeView } from '../../chain/index.ts';
import {
  MAX_SOURCE_BYTES, obligationsOf, readSample,
  type Contract, type ContractState,
} from '../../lex/index.ts';
import {
  compiledTemplate, historyKey, instanceKey, lexStateKey, logKey, memberCountKey, memberKey,
  settlementKey, signingTermsOf, stateKey, TEMPLATE_COUNT_KEY, templateKey, templateListKey,
  type HistoryEntry, type LexInstance, type LexLogEntry, type SettlementRecord,
} from '../../modules/lexcontract/index.ts';
import { errorSchema } from '../schemas.ts';
import { LruCache } from '../lru.ts';
import { RenderPool } from '../render-pool.ts';
import type { ContractLang } from '../../sdk/index.ts';

export interface ContractRoutesOptions {
  /** Folder of template folders (default: the repository's contracts/). */
  libraryDir?: string;
  /** Default signing chain (default "sign"). */
  chain?: string;
  /** Where PDFs, compiles, scenario runs and fingerprints happen (default: a pool of its own, closed with the app). */
  render?: RenderPool;
  /** Instance fingerprints (with their texts) kept, least recently used forgotten first (default 256). */
  fingerprintCache?: number;
}

interface FingerprintAnswer {
  recomputed: string;
  texts: Record<string, string>;
}

const DEFAULT_LIBRARY = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'contracts');
const NAME_RE = /^[a-z0-9][a-z0-9-]{0,63}$/;
/** Largest template the editor routes take (the chain takes 60,000 characters). */
export const EDITOR_BODY_LIMIT = 1024 * 1024;
/** Most entries of one list returned by an instance read. */
const MAX_LIST = 1_000;

type Lang = ContractLang;
const LANGS = ['en', 'zh-CN'] as const;

export function registerContractRoutes(app: FastifyInstance, node: Pick<NodeView, 'chain'>, opts: ContractRoutesOptions = {}): void {
  const library = opts.libraryDir ?? DEFAULT_LIBRARY;
  const defaultChain = opts.chain ?? 'sign';
  const tags = ['contracts'];
  const err = { 400: errorSchema, 404: errorSchema };
  let pool = opts.render;
  const renderer = (): RenderPool => {
    if (!pool) {
      pool = new RenderPool();
      const own = pool;
      app.addHook('onClose', async () => own.close());
    }
    return pool;
  };
  const errBusy = { 503: errorSchema };
  const chainQuery = { chain: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,31}$' } } as const;
  const langQuery = { lang: { type: 'string', enum: [...LANGS], default: 'zh-CN' } } as const;

  const signChain = (id: string | undefined): ChainView => {
    const name = id ?? defaultChain;
    const c = node.chain(name);
    if (!c || !c.genesis.modules.includes('lexcontract')) throw new ShulianError('CHAIN_NOT_FOUND', `this node hosts no chain "${name}" running lexcontract; GET /v1/chains lists them`);
    return c;
  };
  const read = <T>(c: ChainView, key: string): T | null => c.getState(lexStateKey(key)).value as T | null;

  // ---- the library on disk ----

  const libraryNames = (): string[] => {
    if (!existsSync(library)) return [];
    return readdirSync(library).filter((n) => NAME_RE.test(n) && existsSync(join(library, n, 'contract.lex'))).sort();
  };
  const libraryTemplate = (name: string): { dir: string; source: string; sample?: Record<string, JsonValue> } | undefined => {
    if (!NAME_RE.test(name)) return undefined;
    const dir = join(library, name);
    const file = join(dir, 'contract.lex');
    if (!existsSync(file)) return undefined;
    // The terms of sample.json with the example parties of parties.example.json: a preview's text.
    const sample = existsSync(join(dir, 'sample.json')) ? readSample(dir) : undefined;
    return { dir, source: readFileSync(file, 'utf8'), ...(sample ? { sample } : {}) };
  };
  const compileOrThrow = (source: string): Contract => {
    try {
      return compiledTemplate(source);
    } catch (e) {
      if (e instanceof ShulianError) throw new ShulianError('LEX_COMPILE', e.message);
      throw e;
    }
  };
  const scenarioCount = (dir: string): number => {
    const s = join(dir, 'scenarios');
    return existsSync(s) && statSync(s).isDirectory() ? readdirSync(s).filter((f) => f.endsWith('.json')).length : 0;
  };

  /** A template by library folder name or by deployed source hash. */
  const templateByRef = (ref: string, chain: string | undefined): { name?: string; source: string; sample?: Record<string, JsonValue>; deployed: boolean; dir?: string } => {
    if (HASH_RE.test(ref)) {
      const c = signChain(chain);
      const source = read<string>(c, templateKey(ref));
      if (typeof source !== 'string') throw new ShulianError('NOT_FOUND', `no template ${ref} is deployed on chain ${c.id}`);
      return { source, deployed: true };
    }
    const t = libraryTemplate(ref);
    if (!t) throw new ShulianError('NOT_FOUND', `no template "${ref}" in the library; GET /v1/contracts/templates lists them`);
    const contract = compileOrThrow(t.source);
    const c = node.chain(chain ?? defaultChain);
    const deployed = !!c && c.genesis.modules.includes('lexcontract') && read<string>(c, templateKey(contract.sourceHash)) !== null;
    return { name: ref, source: t.source, ...(t.sample ? { sample: t.sample } : {}), deployed, dir: t.dir };
  };


  /** Compiles and renders `source` as PDF on a render worker. */
  const sendPdf = async (reply: FastifyReply, source: string, params: Record<string, JsonValue> | undefined, lang: Lang, name: string) => {
    const { pdf } = await renderer().run({ kind: 'pdf', source, ...(params ? { params } : {}), lang });
    return reply.header('content-type', 'application/pdf').header('content-disposition', `inline; filename="${name}-${lang}.pdf"`).send(Buffer.from(pdf!.buffer, pdf!.byteOffset, pdf!.byteLength));
  };

  app.get<{ Querystring: { chain?: string } }>('/v1/contracts/templates', {
    schema: { tags, summary: 'The template library (contracts/) and the templates deployed on the signing chain', querystring: { type: 'object', properties: chainQuery }, response: err },
  }, async (req) => {
    const c = node.chain(req.query.chain ?? defaultChain);
    const onChain = c && c.genesis.modules.includes('lexcontract') ? c : undefined;
    const libraryList = libraryNames().map((name) => {
      const t = libraryTemplate(name)!;
      try {
        const contract = compileOrThrow(t.source);
        return {
          name, id: contract.id, version: contract.version, title: { en: contract.title.en, 'zh-CN': contract.title.zh }, sourceHash: contract.sourceHash,
          scenarios: scenarioCount(t.dir), deployed: onChain ? read<string>(onChain, templateKey(contract.sourceHash)) !== null : false,
        };
      } catch (e) {
        return { name, error: (e as Error).message };
      }
    });
    const deployed: Array<{ template: string; id: string; version: string; title: { en: string; 'zh-CN': string } }> = [];
    if (onChain) {
      const n = Math.min(read<number>(onChain, TEMPLATE_COUNT_KEY) ?? 0, MAX_LIST);
      for (let i = 0; i < n; i++) {
        const h = read<string>(onChain, templateListKey(i));
        const source = h ? read<string>(onChain, templateKey(h)) : null;
        if (!h || typeof source !== 'string') continue;
        const contract = compileOrThrow(source);
        deployed.push({ template: h, id: contract.id, version: contract.version, title: { en: contract.title.en, 'zh-CN': contract.title.zh } });
      }
    }
    return { library: libraryList, deployed };
  });

  app.get<{ Params: { ref: string }; Querystring: { chain?: string } }>('/v1/contracts/templates/:ref', {
    schema: { tags, summary: 'A template: source, compiled summary, texts in en and zh-CN (Markdown and HTML, filled with its sample when it has one)', querystring: { type: 'object', properties: chainQuery }, response: { ...err, ...errBusy } },
  }, async (req) => {
    const t = templateByRef(req.params.ref, req.query.chain);
    compileOrThrow(t.source);
    // Diagnostics, summary and the four texts are computed on a render worker.
    const a = (await renderer().run({ kind: 'compile', source: t.source, ...(t.sample ? { params: t.sample } : {}) })).json as {
      template: string; diagnostics: JsonValue; summary: JsonValue; texts: JsonValue; fingerprint?: string; paramsError?: { code: ErrorCode | ForeignCode; message: string; zh: string };
    };
    if (a.paramsError) throw new ShulianError(a.paramsError.code, `the template's sample does not fit it: ${a.paramsError.message}`);
    return {
      ...(t.name ? { name: t.name } : {}), template: a.template, deployed: t.deployed, source: t.source,
      ...(t.sample ? { sample: t.sample } : {}),
      summary: a.summary, diagnostics: a.diagnostics, texts: a.texts,
      ...(a.fingerprint ? { fingerprint: a.fingerprint } : {}),
    };
  });

  app.get<{ Params: { ref: string }; Querystring: { chain?: string; lang: Lang; blank?: boolean } }>('/v1/contracts/templates/:ref/pdf', {
    schema: {
      tags, summary: 'A template\'s legal text as PDF (filled with its sample unless blank=true)',
      querystring: { type: 'object', properties: { ...chainQuery, ...langQuery, blank: { type: 'boolean' } } }, response: { ...err, ...errBusy },
    },
  }, async (req, reply) => {
    const t = templateByRef(req.params.ref, req.query.chain);
    const contract = compileOrThrow(t.source);
    return sendPdf(reply, t.source, req.query.blank ? undefined : t.sample, req.query.lang, contract.id);
  });

  app.post<{ Params: { name: string } }>('/v1/contracts/templates/:name/test', {
    schema: { tags, summary: 'Run a library template\'s scenario tests (given / when / then)', response: { ...err, ...errBusy } },
  }, async (req) => {
    const t = libraryTemplate(req.params.name);
    if (!t) throw new ShulianError('NOT_FOUND', `no template "${req.params.name}" in the library; GET /v1/contracts/templates lists them`);
    return (await renderer().run({ kind: 'scenarios', dir: t.dir })).json;
  });

  const bodyOf = (body: unknown): { source: string; params?: Record<string, JsonValue>; lang: Lang } => {
    if (!isJsonObject(body)) throw new ShulianError('BAD_REQUEST', 'send a JSON object {"source": "...", "params"?: {...}, "lang"?: "en" | "zh-CN"}');
    const { source, params, lang } = body;
    if (typeof source !== 'string' || source.length === 0) throw new ShulianError('BAD_REQUEST', 'source must be the template text (a non-empty string)');
    if (Buffer.byteLength(source, 'utf8') > MAX_SOURCE_BYTES) throw new ShulianError('BAD_REQUEST', `source is larger than ${MAX_SOURCE_BYTES} bytes`);
    if (params !== undefined && !isJsonObject(params)) throw new ShulianError('BAD_REQUEST', 'params must be an object of the parties\' DIDs and the terms');
    if (lang !== undefined && lang !== 'en' && lang !== 'zh-CN') throw new ShulianError('BAD_REQUEST', 'lang must be "en" or "zh-CN"');
    return { source, ...(params ? { params } : {}), lang: (lang as Lang | undefined) ?? 'zh-CN' };
  };

  app.post('/v1/contracts/compile', {
    bodyLimit: EDITOR_BODY_LIMIT,
    schema: {
      tags, summary: 'Compile and render a template source (no chain write): diagnostics with line and column, summary, texts in both languages, and the fingerprint when params are given',
      body: { type: 'object' }, response: { 413: errorSchema, ...err, ...errBusy },
    },
  }, async (req) => {
    const b = bodyOf(req.body);
    return (await renderer().run({ kind: 'compile', source: b.source, ...(b.params ? { params: b.params } : {}) })).json;
  });

  app.post('/v1/contracts/render/pdf', {
    bodyLimit: EDITOR_BODY_LIMIT,
    schema: { tags, summary: 'Render a template source (filled with params, if given) as PDF', body: { type: 'object' }, response: { 413: errorSchema, ...err, ...errBusy } },
  }, async (req, reply) => {
    const b = bodyOf(req.body);
    return sendPdf(reply, b.source, b.params, b.lang, 'contract');
  });

  // ---- instances on chain ----

  const instanceOf = (c: ChainView, id: string): LexInstance => {
    if (!HASH_RE.test(id)) throw new ShulianError('BAD_REQUEST', 'a contract id is 64 lowercase hex digits (the draft transaction hash)');
    const inst = read<LexInstance>(c, instanceKey(id));
    if (!inst) throw new ShulianError('NOT_FOUND', `no contract ${id} on chain ${c.id}`);
    return inst;
  };
  const contractOf = (c: ChainView, inst: LexInstance): Contract => {
    const source = read<string>(c, templateKey(inst.template));
    if (typeof source !== 'string') throw new ShulianError('NOT_FOUND', `template ${inst.template} of contract ${inst.id} is missing`);
    return compileOrThrow(source);
  };

  app.get<{ Querystring: { chain?: string; party: string; limit: number } }>('/v1/contracts/instances', {
    schema: {
      tags, summary: 'Contracts a DID takes part in (as a party or as countersigner), newest first',
      querystring: { type: 'object', properties: { ...chainQuery, party: { type: 'string', minLength: 1, maxLength: 256 }, limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 } }, required: ['party'] },
      response: err,
    },
  }, async (req) => {
    const c = signChain(req.query.chain);
    const n = read<number>(c, memberCountKey(req.query.party)) ?? 0;
    const out: Array<Record<string, JsonValue>> = [];
    for (let i = n - 1; i >= 0 && out.length < req.query.limit; i--) {
      const id = read<string>(c, memberKey(req.query.party, i));
      const inst = id ? read<LexInstance>(c, instanceKey(id)) : null;
      if (!inst) continue;
      const role = Object.keys(inst.parties).find((p) => inst.parties[p] === req.query.party) ?? (inst.countersigner?.did === req.query.party ? 'countersigner' : 'unknown');
      out.push({
        id: inst.id, template: inst.template, status: inst.status, role, parties: inst.parties,
        signed: Object.keys(inst.signatures), createdAt: inst.createdAt, ...(inst.countersigner ? { countersigner: asJson(inst.countersigner) } : {}),
      });
    }
    return { party: req.query.party, total: n, instances: out };
  });

  app.get<{ Params: { id: string }; Querystring: { chain?: string } }>('/v1/contracts/instances/:id', {
    schema: { tags, summary: 'A contract: instance (status, parties, signatures, countersignature, dispute), state, obligations now, event log, history of transitions, settlement instructions', querystring: { type: 'object', properties: chainQuery }, response: err },
  }, async (req) => {
    const c = signChain(req.query.chain);
    const inst = instanceOf(c, req.params.id);
    const state = read<ContractState>(c, stateKey(inst.id));
    const contract = contractOf(c, inst);
    const head = c.getBlock(c.height());
    const now = head?.header.time ?? inst.createdAt.time;
    const obligations = state ? obligationsOf(contract, state, Math.max(now, state.time ?? 0)) : [];
    const log: LexLogEntry[] = [];
    for (let seq = Math.max(0, (state?.seq ?? 0) - MAX_LIST); seq < (state?.seq ?? 0); seq++) {
      const e = read<LexLogEntry>(c, logKey(inst.id, seq));
      if (e) log.push(e);
    }
    const history: HistoryEntry[] = [];
    for (let n = Math.max(0, inst.history - MAX_LIST); n < inst.history; n++) {
      const e = read<HistoryEntry>(c, historyKey(inst.id, n));
      if (e) history.push(e);
    }
    const settlements: SettlementRecord[] = [];
    for (let n = Math.max(0, inst.settlements - MAX_LIST); n < inst.settlements; n++) {
      const s = read<SettlementRecord>(c, settlementKey(inst.id, n));
      if (s) settlements.push(s);
    }
    return {
      instance: inst, status: inst.status, signatures: inst.signatures,
      ...(inst.countersignature ? { countersignature: inst.countersignature } : {}),
      state, obligations, log, history, settlements,
      pendingSettlements: settlements.filter((s) => s.status === 'pending' || s.status === 'sent'),
      at: { height: c.height(), time: now },
    };
  });

  // Keyed by what fixes the answer (template, parameters, signing terms), so an entry is never stale.
  const fingerprints = new LruCache<string, Promise<FingerprintAnswer>>(opts.fingerprintCache ?? 256);
  app.get<{ Params: { id: string }; Querystring: { chain?: string } }>('/v1/contracts/instances/:id/fingerprint', {
    schema: { tags, summary: 'What the parties sign: the fingerprint recomputed from the template, parameters and signing terms, with the texts it covers', querystring: { type: 'object', properties: chainQuery }, response: { ...err, ...errBusy } },
  }, async (req) => {
    const c = signChain(req.query.chain);
    const inst = instanceOf(c, req.params.id);
    const terms = signingTermsOf(inst);
    const key = toHex(sm3(canonicalBytes({ template: inst.template, params: inst.params, terms: asJson(terms) })));
    let answer = fingerprints.get(key);
    if (!answer) {
      const source = read<string>(c, templateKey(inst.template));
      if (typeof source !== 'string') throw new ShulianError('NOT_FOUND', `template ${inst.template} of contract ${inst.id} is missing`);
      const computing = renderer().run({ kind: 'fingerprint', source, params: inst.params, terms }).then((r) => r.json as FingerprintAnswer);
      answer = computing;
      fingerprints.set(key, computing);
      // A refusal (BUSY) or failure is not kept: the next request tries again.
      computing.catch(() => {
        if (fingerprints.peek(key) === computing) fingerprints.delete(key);
      });
    }
    const { recomputed, texts } = await answer;
    return {
      id: inst.id, template: inst.template, fingerprint: inst.fingerprint, recomputed, matches: recomputed === inst.fingerprint,
      params: inst.params, terms: asJson(terms), texts,
    };
  });

  app.get<{ Params: { id: string }; Querystring: { chain?: string; lang: Lang } }>('/v1/contracts/instances/:id/pdf', {
    schema: { tags, summary: 'A contract\'s legal text, with its parameters, as PDF', querystring: { type: 'object', properties: { ...chainQuery, ...langQuery } }, response: { ...err, ...errBusy } },
  }, async (req, reply) => {
    const c = signChain(req.query.chain);
    const inst = instanceOf(c, req.params.id);
    contractOf(c, inst);
    return sendPdf(reply, read<string>(c, templateKey(inst.template))!, inst.params, req.query.lang, `contract-${inst.id.slice(0, 12)}`);
  });
}
