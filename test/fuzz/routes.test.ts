/**
 * Fuzz of every HTTP route of a `shulian up` node, run as a process (the embedded alliance, its
 * gateway, the console's sign-in, work orders and admin routes). The routes are enumerated
 * from the node's own OpenAPI document, so a new route is fuzzed without touching this file.
 *
 * For each route, fast-check sends arbitrary path parameters, query strings, JSON (and non-JSON)
 * bodies and Authorization headers, mixed with values that get past the first checks (hosted
 * chain ids, real DIDs, hashes, template names, an operator's bearer token). Every answer must:
 *   - come (a 30 s cap per request: no hang);
 *   - be below 500, except the few documented "not available on this node" answers below;
 *   - when 4xx, be JSON `{"error": {"code", "message"}}` with a typed code and a message;
 *   - for a write route (POST, PUT, PATCH, DELETE): change no chain (height and state root of
 *     every chain, and its mempool), and when refused (4xx), change no console state (work orders, API keys,
 *     granted roles).
 * Afterwards the node still answers /v1/health and every chain is where it was.
 *
 * Not fuzzed here (not in the OpenAPI document): /console/* (static files; console.ts),
 * /v1/stream (the WebSocket; stream.ts), /docs/* (swagger-ui's static files), /openapi.json.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { toHex, type JsonValue } from '../../src/codec/index.ts';
import { issueCredential, keyPairSigner } from '../../src/did/vc/index.ts';
import { didFromPublicKey, generateKeyPair, readKeystore } from '../../src/crypto/index.ts';
import { ConsoleClient } from '../../src/sdk/index.ts';
import { readSample } from '../../src/lex/index.ts';
import { repoRoot, startNodeProcess, type NodeProcess } from '../helpers/node-process.ts';
import { tempDir, waitFor } from '../helpers/tmp.ts';
import { bounded, longFuzz } from '../helpers/fuzz-budget.ts';

/** Answers ≥ 500 that say "this node does not offer that", not "the node failed" — allowed by error code. */
const ALLOWED_5XX: Record<string, string> = {
  ISSUER_NOT_CONFIGURED: 'POST /credentials/issue on a node with no issuer key (503, docs/credentials.md)',
  MEMPOOL_FULL: 'a chain whose mempool is full asks the client to retry (503)',
  METHOD_NOT_SUPPORTED: 'the DID Resolution HTTP binding answers 501 for a DID method the node does not resolve (e.g. did:key)',
  EXPLORER_NOT_CONFIGURED: '/v1/explorer/* on a node started without --pg (503, docs/explorer.md; test/indexer.test.ts fuzzes them with PostgreSQL)',
  SIM_TIMEOUT: 'a simulation that ran past its time limit, which a loaded machine can reach (503, docs/simulation.md)',
};

/** Milliseconds of fuzzing spread over the routes (FUZZ_TIME_MS / FUZZ_RUNS raise it, see budget.ts). */
const TOTAL_MS = 7_000;
const REQUEST_TIMEOUT_MS = 30_000;
const WRITE_METHODS = new Set(['post', 'put', 'patch', 'delete']);

interface OpenApiParam {
  in: 'path' | 'query' | 'header';
  name: string;
  schema?: { enum?: unknown[] };
}
interface OpenApiOp {
  parameters?: OpenApiParam[];
  requestBody?: { content?: Record<string, { schema?: { properties?: Record<string, { enum?: unknown[] }> } }> };
}
interface Route {
  method: string;
  path: string;
  pathParams: string[];
  query: Array<{ name: string; enum?: unknown[] }>;
  bodyProps: Array<{ name: string; enum?: unknown[] }>;
}

interface Input {
  params: Record<string, { value: string; raw: boolean }>;
  query: Array<[string, string]>;
  body: { kind: 'none' } | { kind: 'json'; value: unknown; type: string } | { kind: 'raw'; text: string; type: string } | { kind: 'deep'; prop: string; open: '[' | '{"a":'; type: string };
  auth: 'none' | 'operator' | 'garbage';
}

describe('fuzz: every HTTP route of a shulian up node', () => {
  const tmp = tempDir('shulian-fuzz-routes-');
  let node: NodeProcess;
  let chainIds: string[] = [];
  let headHash = '';
  const routes: Route[] = [];
  let opToken = '';
  const values: Record<string, string[]> = {};
  /** JSON values for body fields, by name (beside the string values above). */
  let bodyValues: Record<string, JsonValue[]> = {};

  before(async () => {
    // A real `shulian up` process: a request that hangs or crashes it shows as no answer (an
    // in-process server stuck in synchronous work would stall the fuzz itself).
    node = await startNodeProcess(join(tmp.dir, 'node'));
    // The node's gateway brings the routing chain's registrations on start; after that the
    // alliance is quiet, so any change of a chain during the fuzz comes from a request.
    const listed = (await getJson<{ chains: Array<{ id: string; modules: string[]; headHash: string }> }>('/v1/chains')).chains;
    const xchains = listed.filter((c) => c.modules.includes('xchain')).map((c) => c.id);
    await waitFor(async () => {
      for (const id of xchains) {
        const routes = (await getJson<{ value: string[] | null }>(`/v1/chains/${id}/state?key=xchain%2Froutes`)).value ?? [];
        if (routes.length !== xchains.length) return false;
      }
      return (await getJson<{ chains: Array<{ mempool: { txs: number } }> }>('/v1/chains')).chains.every((c) => c.mempool.txs === 0);
    }, 'routes synced and mempools empty', 90_000);
    chainIds = listed.map((c) => c.id);
    headHash = listed[0]!.headHash;

    const spec = (await (await fetch(`${node.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, OpenApiOp>> };
    for (const [path, ops] of Object.entries(spec.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const params = op.parameters ?? [];
        const props = op.requestBody?.content?.['application/json']?.schema?.properties ?? {};
        routes.push({
          method, path,
          pathParams: [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!),
          query: params.filter((p) => p.in === 'query').map((p) => ({ name: p.name, ...(p.schema?.enum ? { enum: p.schema.enum } : {}) })),
          bodyProps: Object.entries(props).map(([name, s]) => ({ name, ...(s.enum ? { enum: s.enum } : {}) })),
        });
      }
    }

    // The operator signs in to the console the way the console does: challenge, signature, token.
    const dataDir = join(tmp.dir, 'node');
    const key = readKeystore(join(dataDir, 'node', 'key.json'), readFileSync(join(dataDir, 'node', 'key.pass'), 'utf8').trim());
    const did = didFromPublicKey(key.publicKey);
    opToken = (await new ConsoleClient({ baseUrl: node.url }).login(key, did)).token;

    // Values that get a request past the first checks, by parameter name.
    const someone = didFromPublicKey(generateKeyPair('sm2').publicKey);
    const chains = chainIds;
    const hex64 = ['0'.repeat(64), 'ab'.repeat(32), headHash];
    Object.assign(values, {
      chain: [...chains, 'nope', 'eth-dev'], src: chains, dst: chains, id: ['1', '0', '2', 'trade', ...hex64, '0123456789abcdef'],
      did: [did, someone, `${did}#key-1`, 'did:key:z6Mkq', 'did:shulian:x'], account: [did, someone], party: [did, someone], payer: [did],
      hash: hex64, height: ['latest', '0', '1', '2', '9007199254740993'], seq: ['1', '0', '-1'], n: ['1', '0', '99999999999999999'],
      ref: ['late-delivery', 'royalties', ...hex64], name: ['late-delivery', 'pay-per-use', 'x'], period: ['2026-11-24', '2026-02-30', '0000-00-00'],
      currency: ['CNY', 'USD', 'cny'], listId: ['0', '1', 'x'], key: ['notary/rec/' + '0'.repeat(64), 'xchain/routes', 'governance/meta', ''],
      limit: ['1', '0', '500', '501', '-1', '1e3'], before: ['1', '0', '-5'], from: ['1', '0'], proof: ['true', 'false', 'yes'], lang: ['en', 'zh-CN', 'fr'],
      format: ['json', 'xml', 'pdf'], keys: ['xchain/routes,governance/meta', ','], status: ['voting', 'approved', 'open', 'closed'],
      kind: ['create-chain', 'incident', 'join'], roles: ['operator', 'auditor'], method: ['eth_blockNumber', 'eth_getLogs', 'eth_call', 'eth_sendRawTransaction', 'eth_getBalance'],
      jsonrpc: ['2.0'],
    });
    // Bodies that get past the shape checks: real template sources (and one with a long chain of
    // operators), their sample parameters, a signed credential and presentation, eth_* parameters.
    const lib = ['late-delivery', 'royalties', 'pay-per-use'].map((n) => ({
      source: readFileSync(join(repoRoot, 'contracts', n, 'contract.lex'), 'utf8'),
      sample: readSample(join(repoRoot, 'contracts', n)) as JsonValue,
    }));
    const chainOfOps = `contract ops\nversion 1.0.0\ntitle "O" | "运"\ntimezone +08:00\ncurrency CNY\nparty a "A" | "甲"\nclause c "C" | "条"\n  en: {a} {x}.\n  zh: {a}{x}。\n  define x "x" | "x" = ${Array(40).fill('1').join(' + ')}\n`;
    const issuer = generateKeyPair('ed25519');
    const vc = await issueCredential({
      '@context': ['https://www.w3.org/ns/credentials/v2', 'https://www.w3.org/ns/credentials/undefined-terms/v2'], type: ['VerifiableCredential'], issuer: keyPairSigner(issuer).controller,
      validFrom: '2025-01-01T00:00:00Z', credentialSubject: { id: someone, member: true },
    }, keyPairSigner(issuer)) as unknown as JsonValue;
    bodyValues = {
      source: [...lib.map((l) => l.source), chainOfOps, lib[0]!.source.replace(/\n\s+/g, '\n')],
      params: [...lib.map((l) => l.sample), ['latest', false], ['0x1', true], [{ fromBlock: '0x0', toBlock: 'latest' }], ['0x' + '00'.repeat(20), 'latest'], [{ to: '0x' + '00'.repeat(20), data: '0x' }, 'latest']],
      credential: [vc, Object.fromEntries(Object.entries(vc as object).filter(([k]) => k !== 'issuer' && k !== 'proof')) as JsonValue, { credentialSubject: { id: someone } }],
      verifiableCredential: [vc, { ...(vc as object), validFrom: '2099-01-01T00:00:00Z' }],
      verifiablePresentation: [{ '@context': ['https://www.w3.org/ns/credentials/v2'], type: ['VerifiablePresentation'], verifiableCredential: [vc] }],
      lang: ['en', 'zh-CN', 'de'],
    };
  });

  after(async () => {
    try {
      if (node) assert.equal(await node.stop(), 0, `shulian up did not stop cleanly:\n${node.output().slice(-2000)}`);
    } finally {
      tmp.cleanup();
    }
  });

  async function getJson<T>(path: string): Promise<T> {
    return (await (await fetch(node.url + path, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })).json()) as T;
  }

  function post(path: string, body: unknown): Promise<Response> {
    return fetch(node.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  }

  /** Every chain's height, state root and mempool: what a write could change. */
  const chainsNow = async (): Promise<string> => JSON.stringify((await getJson<{ chains: Array<{ id: string; height: number; stateRoot: string; mempool: { txs: number } }> }>('/v1/chains'))
    .chains.map((c) => [c.id, c.height, c.stateRoot, c.mempool.txs]));
  async function consoleNow(): Promise<string> {
    const get = async (p: string): Promise<unknown> => (await fetch(node.url + p, { headers: { authorization: `Bearer ${opToken}` }, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })).json();
    return JSON.stringify([await get('/v1/workorders?limit=500'), await get('/v1/admin/apikeys'), await get('/v1/admin/users')]);
  }

  const str = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 20 }),
    fc.constantFrom('', ' ', '..', '../..', '%', '%00', 'a/b', '__proto__', 'constructor', '-1', '1.5', '1e309', 'NaN', '9'.repeat(30), 'null', 'true', '[]', '{}', 'x'.repeat(300)),
    fc.integer().map(String),
  );
  const known_ = (name: string): string[] => (Object.hasOwn(values, name) ? values[name]! : []);
  const valueFor = (name: string, enumValues?: unknown[]): fc.Arbitrary<string> => {
    const known = [...known_(name), ...(enumValues ?? []).map(String)];
    return known.length ? fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...known) }, { weight: 1, arbitrary: str }) : str;
  };
  const jsonFor = (name: string, enumValues?: unknown[]): fc.Arbitrary<unknown> => {
    const known = [...known_(name), ...(enumValues ?? []), ...(Object.hasOwn(bodyValues, name) ? bodyValues[name]! : [])];
    const any = fc.jsonValue({ maxDepth: 3 });
    return known.length
      ? fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...known) }, { weight: 1, arbitrary: any }, { weight: 1, arbitrary: fc.array(fc.constantFrom(...known), { maxLength: 3 }) })
      : any;
  };

  /** Hostile nesting: JSON.parse takes it, a recursive walk overflows the stack. Built when sent (the counterexample stays short). */
  const DEEP = 100_000;
  const deepText = (b: { prop: string; open: '[' | '{"a":' }): string => {
    const nested = b.open.repeat(DEEP) + '1' + (b.open === '[' ? ']' : '}').repeat(DEEP);
    return b.prop ? `{${JSON.stringify(b.prop)}:${nested}}` : nested;
  };

  function inputFor(r: Route): fc.Arbitrary<Input> {
    const params = fc.record(Object.fromEntries(r.pathParams.map((p) => [p, fc.record({ value: valueFor(p), raw: fc.boolean() })])));
    const queryNames = [...r.query.map((q) => q.name), 'x', 'chain', 'limit', '__proto__'];
    const query = fc.array(fc.constantFrom(...queryNames).chain((n) => fc.tuple(fc.constant(n), valueFor(n, r.query.find((q) => q.name === n)?.enum))), { maxLength: 4 });
    // The body shapes the API's routes take (for a route whose OpenAPI body lists no fields), the
    // first field of each present: a route gets bodies that reach past its first check.
    const shape = (keys: string[]): fc.Arbitrary<unknown> =>
      fc.record(Object.fromEntries(keys.map((k) => [k, jsonFor(k)])), { requiredKeys: [keys[0]!] });
    const shapes: Array<[RegExp, string[]]> = [
      [/\/contracts\/(compile|render)/, ['source', 'params', 'lang']], [/\/credentials\/issue/, ['credential', 'options']],
      [/\/credentials\/verify/, ['verifiableCredential', 'options']], [/\/presentations\/verify/, ['verifiablePresentation', 'options']],
      [/\/eth$/, ['jsonrpc', 'method', 'params', 'id']], [/\/txs$/, ['txs']],
    ];
    // The shape a route's path suggests three times as often as the others.
    const declared = r.bodyProps.length
      ? fc.record(Object.fromEntries(r.bodyProps.map((p) => [p.name, jsonFor(p.name, p.enum)])), { requiredKeys: [] })
      : fc.oneof(...shapes.map(([re, keys]) => ({ weight: re.test(r.path) ? 3 * shapes.length : 1, arbitrary: shape(keys) })));
    const type = fc.oneof({ weight: 6, arbitrary: fc.constant('application/json') }, { weight: 1, arbitrary: fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=utf-16', 'application/jsonx') });
    const body: fc.Arbitrary<Input['body']> = WRITE_METHODS.has(r.method)
      ? fc.oneof(
        { weight: 4, arbitrary: fc.record({ kind: fc.constant('json' as const), value: declared as fc.Arbitrary<unknown>, type }) },
        { weight: 2, arbitrary: fc.record({ kind: fc.constant('json' as const), value: fc.jsonValue({ maxDepth: 4 }) as fc.Arbitrary<unknown>, type }) },
        { weight: 1, arbitrary: fc.record({ kind: fc.constant('raw' as const), text: fc.oneof(fc.string({ maxLength: 60 }), fc.constantFrom('{"a":', '[[[[[[[[', '{"__proto__":{"x":1}}', '\u0000', '{"a":1}{"b":2}')), type }) },
        // Hostile nesting (JSON.parse takes it): a declared field, or the whole body, 100 000 deep.
        { weight: 1, arbitrary: fc.record({ kind: fc.constant('deep' as const), prop: fc.constantFrom(...r.bodyProps.map((p) => p.name), ''), open: fc.constantFrom('[' as const, '{"a":' as const), type: fc.constant('application/json') }) },
        { weight: 1, arbitrary: fc.constant({ kind: 'none' as const }) },
      )
      : fc.constant({ kind: 'none' as const });
    // Never the operator's token on logout: a 200 there ends the session the fuzz uses.
    const auth = r.path === '/v1/auth/logout' ? fc.constantFrom('none' as const, 'garbage' as const) : fc.constantFrom('none' as const, 'operator' as const, 'operator' as const, 'garbage' as const);
    return fc.record({ params, query, body, auth });
  }

  function urlOf(r: Route, inp: Input): string {
    let path = r.path;
    for (const p of r.pathParams) {
      const v = inp.params[p]!;
      path = path.replace(`{${p}}`, v.raw ? v.value.replace(/[?#\s]/g, encodeURIComponent) : encodeURIComponent(v.value));
    }
    const qs = new URLSearchParams(inp.query).toString();
    return node.url + path + (qs ? `?${qs}` : '');
  }

  async function send(r: Route, inp: Input): Promise<{ status: number; type: string; text: string }> {
    const headers: Record<string, string> = {};
    if (inp.auth === 'operator') headers.authorization = `Bearer ${opToken}`;
    if (inp.auth === 'garbage') headers.authorization = 'Bearer shulian_garbage';
    let body: string | undefined;
    if (inp.body.kind !== 'none') {
      headers['content-type'] = inp.body.type;
      body = inp.body.kind === 'json' ? JSON.stringify(inp.body.value) : inp.body.kind === 'deep' ? deepText(inp.body) : inp.body.text;
    }
    let res: Response;
    try {
      res = await fetch(urlOf(r, inp), { method: r.method.toUpperCase(), headers, ...(body !== undefined ? { body } : {}), signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    } catch (err) {
      const exited = node.proc.exitCode !== null ? ` — the node exited (${node.proc.exitCode}):\n${node.output().slice(-3000)}` : '';
      throw new Error(`${r.method.toUpperCase()} ${urlOf(r, inp)} got no answer: ${(err as Error).message}${exited}`);
    }
    return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
  }

  function checkAnswer(r: Route, inp: Input, a: { status: number; type: string; text: string }): void {
    const bodyText = inp.body.kind === 'none' ? '' : inp.body.kind === 'json' ? JSON.stringify(inp.body.value) : inp.body.kind === 'deep' ? `${inp.body.prop || 'the whole body'} nested ${DEEP} deep with ${inp.body.open}` : JSON.stringify(inp.body.text);
    const what = `${r.method.toUpperCase()} ${urlOf(r, inp)} ${inp.body.kind === 'none' ? '' : `body ${bodyText.length > 300 ? `${bodyText.slice(0, 300)}… (${bodyText.length} chars)` : bodyText} (${inp.body.type})`} auth ${inp.auth}`;
    if (a.status < 400) return;
    // DID Resolution results are application/did-resolution (v1.0 §12.1), or +json when asked for by earlier drafts' name.
    assert.match(a.type, /^application\/(problem\+)?json|^application\/did-resolution(\+json)?$/, `${what}: a ${a.status} answer is not JSON (${a.type}): ${a.text.slice(0, 200)}`);
    let body: { error?: { code?: unknown; message?: unknown } };
    try {
      body = JSON.parse(a.text) as typeof body;
    } catch {
      assert.fail(`${what}: ${a.status} with a body that does not parse: ${a.text.slice(0, 200)}`);
    }
    let code = body.error?.code;
    let message = body.error?.message;
    // The DID Resolution HTTP binding answers with a DID Resolution result whose metadata carries
    // the error (W3C DID Resolution §7.1): its type ends in the code, its detail is the message.
    const didError = (body as { didResolutionMetadata?: { error?: { type?: unknown; detail?: unknown } } }).didResolutionMetadata?.error;
    if (code === undefined && didError && typeof didError.type === 'string') {
      code = didError.type.split('#').pop();
      message = didError.detail;
    }
    assert.ok(typeof code === 'string' && /^[A-Z][A-Z0-9_]*$/.test(code), `${what}: ${a.status} without a typed error code: ${a.text.slice(0, 300)}`);
    assert.ok(typeof message === 'string' && message.length >= 10, `${what}: ${a.status} ${code} without a message saying what was wrong: ${a.text.slice(0, 300)}`);
    if (a.status >= 500) assert.ok(code in ALLOWED_5XX, `${what}: ${a.status} ${code}: ${message}`);
  }

  test('the OpenAPI document lists the routes (a new route is fuzzed automatically)', () => {
    assert.ok(routes.length >= 70, `only ${routes.length} routes found`);
    for (const p of ['/v1/chains/{chain}/txs', '/v1/contracts/compile', '/credentials/verify', '/v1/auth/login', '/v1/admin/apikeys/{id}', '/v1/chains/{chain}/eth']) {
      assert.ok(routes.some((r) => r.path === p), `${p} is enumerated`);
    }
  });

  test('regression: the router\'s own refusals (bad percent-encoding, an overlong path parameter) answer in the API\'s error shape', async () => {
    // Found by this fuzz: Fastify answered these with its default body {"error":"Bad Request","code":"FST_ERR_BAD_URL",…}.
    const bad = await fetch(`${node.url}/v1/chains/%&x/blocks/2`);
    assert.equal(bad.status, 400);
    const b = (await bad.json()) as { error: { code: string; message: string } };
    assert.equal(b.error.code, 'BAD_URL');
    assert.match(b.error.message, /not valid percent-encoding; encode each path segment/);
    const long = await fetch(`${node.url}/v1/chains/${'a'.repeat(2049)}`);
    assert.equal(long.status, 414);
    const l = (await long.json()) as { error: { code: string; message: string } };
    assert.equal(l.error.code, 'PATH_TOO_LONG');
    assert.match(l.error.message, /longer than 2048 characters/);
    const atLimit = await fetch(`${node.url}/v1/gov/members/${'a'.repeat(2048)}`);
    assert.notEqual(atLimit.status, 414, 'at the limit the route answers itself');
    assert.match(((await atLimit.json()) as { error: { code: string } }).error.code, /^[A-Z_]+$/);
  });

  test('arbitrary requests to every route: a typed 4xx or an answer, never a 5xx or a hang; writes change nothing when refused', async () => {
    const initial = await chainsNow();
    // Write routes take four requests a run (the console state before and after) and matter most: three shares each.
    const shares = routes.reduce((n, r) => n + (WRITE_METHODS.has(r.method) ? 3 : 1), 0);
    const counts: string[] = [];
    // FUZZ_ROUTES=<regex> narrows a local run to matching paths (docs/testing.md#fuzzing).
    const only = process.env.FUZZ_ROUTES ? new RegExp(process.env.FUZZ_ROUTES) : undefined;
    for (const r of routes.filter((x) => !only || only.test(`${x.method.toUpperCase()} ${x.path}`))) {
      const write = WRITE_METHODS.has(r.method);
      const statuses = new Map<string, number>();
      const b = bounded(longFuzz ? 200 : write ? 60 : 30, Math.max(100, Math.floor((TOTAL_MS * (write ? 3 : 1)) / shares)),
        // No shrinking: against a node that hangs or died, every smaller try would wait for its timeout too.
        { endOnFailure: true });
      await fc.assert(fc.asyncProperty(inputFor(r), b.guard(async (inp: Input) => {
        const chainsBefore = write ? await chainsNow() : '';
        const consoleBefore = write ? await consoleNow() : '';
        const a = await send(r, inp);
        const code = a.status >= 400 ? /"code":"([A-Z_]+)"/.exec(a.text)?.[1] ?? '' : '';
        if (process.env.FUZZ_VERBOSE === '2' && a.status >= 400) console.log(`${r.path} ${a.status} ${a.text.slice(0, 160)}`);
        statuses.set(`${a.status}${code ? ` ${code}` : ''}`, (statuses.get(`${a.status}${code ? ` ${code}` : ''}`) ?? 0) + 1);
        checkAnswer(r, inp, a);
        if (write) {
          assert.equal(await chainsNow(), chainsBefore, `${r.method.toUpperCase()} ${urlOf(r, inp)} (${a.status}) changed a chain`);
          if (a.status >= 400) assert.equal(await consoleNow(), consoleBefore, `${r.method.toUpperCase()} ${urlOf(r, inp)} was refused (${a.status}) but changed console state: ${a.text.slice(0, 200)}`);
        }
      })), b.params);
      counts.push(`${r.method.toUpperCase()} ${r.path}: ${b.runs} runs, ${[...statuses].sort((x, y) => x[0].localeCompare(y[0])).map(([st, n]) => `${n}×${st}`).join(', ')}`);
    }
    assert.equal(await chainsNow(), initial, 'no chain moved during the fuzz');
    assert.equal(node.proc.exitCode, null, 'the node is still running');
    const health = await fetch(`${node.url}/v1/health`);
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { status: string }).status, 'ok');
    if (process.env.FUZZ_VERBOSE) console.log(counts.join('\n'));
  });
});
