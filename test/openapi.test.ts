/**
 * The OpenAPI document a node serves (/openapi.json, src/api/openapi.ts): a valid OpenAPI 3.1
 * document (checked by @seriousme/openapi-schema-validator against the specification's own
 * schema), whose paths are exactly the routes Fastify registered (both ways), each operation
 * with a success status and its error statuses, every error code a node answers with, and an
 * example transaction that really is signed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Validator } from '@seriousme/openapi-schema-validator';
import { buildApi } from '../src/api/index.ts';
import { routesOf, openapiPath, EXAMPLE_TX, EXAMPLE_TX_HASH } from '../src/api/openapi.ts';
import { loadErrorLists, CLIENT_FOLDERS } from '../src/api/error-catalogue.ts';
import { statusFor } from '../src/api/errors.ts';
import { ShulianNode } from '../src/node/index.ts';
import { decodeTx, txHashOf, verifyTxSignature } from '../src/ledger/index.ts';
import type { ErrorCode } from '../src/codec/index.ts';
import { tempDir } from './helpers/tmp.ts';

type Json = Record<string, unknown>;
interface Operation { responses: Record<string, Json>; requestBody?: Json; parameters?: Json[] }
interface Doc {
  openapi: string;
  info: { description: string };
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Json>; responses: Record<string, Json> };
}

/**
 * Routes left out of the document on purpose, each with why. Anything else Fastify registers
 * must be documented, and anything documented must be registered.
 */
const UNDOCUMENTED: Array<{ route: RegExp; why: string }> = [
  { route: /^GET \/openapi\.json$/, why: 'the document itself' },
  { route: /^GET \/docs(\/.*)?$/, why: 'swagger-ui, which draws the document' },
  { route: /^GET \/console(\/.*)?$/, why: 'the web console\'s static files (console.ts)' },
  { route: /^GET \/v1\/stream$/, why: 'the WebSocket stream (docs/api.md "Stream"); OpenAPI 3.1 cannot describe it' },
  { route: /^GET \/v1\/supervision\/stream$/, why: 'the WebSocket alert stream (docs/supervision.md#alerts); OpenAPI 3.1 cannot describe it' },
];
const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);

describe('OpenAPI document', () => {
  const tmp = tempDir('shulian-openapi-');
  let node: ShulianNode;
  let app: FastifyInstance;
  let doc: Doc;

  before(async () => {
    node = await ShulianNode.open({ dataDir: tmp.dir, log: () => {} });
    // The node's routes as `shulian up` serves them: console routes need a data dir, the
    // status-list routes a signer.
    app = await buildApi(node, { vc: { statusSigner: node.key }, console: { dataDir: join(tmp.dir, 'console') } });
    await app.ready();
    const res = await app.inject({ method: 'GET', url: '/openapi.json' });
    assert.equal(res.statusCode, 200);
    doc = res.json() as Doc;
  });
  after(async () => {
    await app?.close();
    await node?.close();
    tmp.cleanup();
  });

  test('is a valid OpenAPI 3.1 document', async () => {
    assert.equal(doc.openapi, '3.1.0');
    const result = await new Validator().validate(structuredClone(doc) as unknown as Record<string, unknown>);
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2)?.slice(0, 4000));
    // The validator does reject a broken copy (a response without its required description).
    const broken = structuredClone(doc);
    delete broken.paths['/v1/health']!.get!.responses['200']!.description;
    assert.equal((await new Validator().validate(broken as unknown as Record<string, unknown>)).valid, false);
  });

  test('documents exactly the routes Fastify registered', () => {
    const routes = routesOf(app);
    assert.ok(routes.length > 50, `recorded ${routes.length} routes`);
    const registered = new Set<string>();
    const skipped = new Set<string>();
    for (const r of routes) {
      if (!METHODS.has(r.method)) continue; // HEAD (added for every GET by Fastify), OPTIONS
      const key = `${r.method} ${openapiPath(r.url)}`;
      if (UNDOCUMENTED.some((u) => u.route.test(key))) skipped.add(key);
      else registered.add(key);
    }
    const documented = new Set<string>();
    for (const [path, item] of Object.entries(doc.paths)) for (const method of Object.keys(item)) documented.add(`${method.toUpperCase()} ${path}`);
    assert.deepEqual([...registered].filter((k) => !documented.has(k)).sort(), [], 'registered but not in the document (document it, or list it in UNDOCUMENTED with why)');
    assert.deepEqual([...documented].filter((k) => !registered.has(k)).sort(), [], 'in the document but not registered');
    // Every reason in UNDOCUMENTED still applies to a real route.
    for (const u of UNDOCUMENTED) assert.ok([...skipped].some((k) => u.route.test(k)), `UNDOCUMENTED ${u.route} matches no route any more`);
    // A route hidden with schema.hide must be one of those.
    for (const r of routes.filter((x) => x.hidden && METHODS.has(x.method))) {
      const key = `${r.method} ${openapiPath(r.url)}`;
      assert.ok(UNDOCUMENTED.some((u) => u.route.test(key)), `${key} is hidden from the document without a reason in UNDOCUMENTED`);
    }
  });

  test('every operation has a success status and its error statuses, each error with the Error schema', () => {
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const where = `${method.toUpperCase()} ${path}`;
        const codes = Object.keys(op.responses);
        assert.equal(codes.filter((c) => /^2\d\d$/.test(c)).length, 1, `${where}: one success status, got ${codes.join(',')}`);
        for (const s of ['400', '429', '500', ...(op.requestBody ? ['413', '415'] : [])]) {
          assert.deepEqual(op.responses[s], { $ref: `#/components/responses/Error${s}` }, `${where}: ${s}`);
        }
        for (const c of codes.filter((x) => /^[45]\d\d$/.test(x))) {
          assert.deepEqual(op.responses[c], { $ref: `#/components/responses/Error${c}` }, `${where}: ${c} is the shared error response`);
        }
      }
    }
    for (const [name, r] of Object.entries(doc.components.responses)) {
      const content = (r.content as Record<string, { schema: Json; example: { error: { code: string } } }>)['application/json']!;
      assert.deepEqual(content.schema, { $ref: '#/components/schemas/Error' }, name);
      assert.match(content.example.error.code, /^[A-Z][A-Z0-9_]*$/, name);
    }
    const tx = doc.paths['/v1/chains/{chain}/txs']!.post!;
    assert.ok(tx.responses['202'], 'a submitted tx answers 202');
    assert.equal(doc.paths['/credentials/issue']!.post!.responses['201'] !== undefined, true, 'issuing a credential answers 201');
    assert.ok(doc.paths['/v1/workorders']!.post!.responses['201'], 'creating a work order answers 201');
  });

  test('a submitted transaction really answers 202, as documented', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/chains/notary/txs', payload: EXAMPLE_TX });
    // The example's nonce and expiry fit a fresh chain: it is admitted.
    assert.equal(res.statusCode, 202, res.body);
    assert.deepEqual(res.json(), { hash: EXAMPLE_TX_HASH });
  });

  test('lists every error code a node answers with, with its status', async () => {
    const lists = await loadErrorLists();
    const expected = lists.filter((l) => !CLIENT_FOLDERS.has(l.folder)).flatMap((l) => Object.keys(l.codes));
    const schema = doc.components.schemas.ErrorCode as { enum: string[]; 'x-codes': Record<string, { status: number; meaning: string }> };
    assert.deepEqual(schema.enum, expected);
    assert.ok(expected.length > 100, `${expected.length} codes`);
    for (const code of expected) assert.equal(schema['x-codes'][code]!.status, statusFor(code as ErrorCode), code);
    // Each status's shared response names its codes (400 refers to the table: it has hundreds).
    for (const code of ['TX_DUPLICATE', 'CHAIN_NOT_FOUND', 'MEMPOOL_FULL', 'RATE_LIMITED', 'UNSUPPORTED_MEDIA_TYPE']) {
      const status = statusFor(code as ErrorCode);
      assert.match(doc.components.responses[`Error${status}`]!.description as string, new RegExp(`\`${code}\``), `${code} under ${status}`);
    }
    // No client-only code (the SDK's, the CLI's) is claimed as a node answer.
    const clientOnly = lists.filter((l) => CLIENT_FOLDERS.has(l.folder)).flatMap((l) => Object.keys(l.codes)).filter((c) => !expected.includes(c));
    assert.ok(clientOnly.length > 0);
    for (const c of clientOnly) assert.ok(!schema.enum.includes(c), c);
  });

  test('explains signing, with args as an object and a real signed example', () => {
    assert.match(doc.info.description, /## Signing a transaction/);
    assert.match(doc.info.description, /RFC 8785/);
    assert.match(doc.info.description, /1234567812345678/);
    const txSchema = doc.components.schemas.Tx as { properties: Record<string, Json>; examples: unknown[] };
    assert.equal(txSchema.properties.args!.type, 'object');
    const body = (doc.paths['/v1/chains/{chain}/txs']!.post!.requestBody as { content: Record<string, { schema: { oneOf: Json[] } }> }).content['application/json']!;
    assert.deepEqual(body.schema.oneOf[0], { $ref: '#/components/schemas/Tx' });
    // The example is a transaction a node takes: its shape decodes, its hash is the one shown,
    // its signature checks.
    const tx = decodeTx(txSchema.examples[0]);
    assert.equal(txHashOf('sm2', tx), EXAMPLE_TX_HASH);
    assert.equal(verifyTxSignature('sm2', tx), true);
    assert.equal(verifyTxSignature('sm2', { ...tx, nonce: 1 }), false, 'the check can fail');
  });
});
