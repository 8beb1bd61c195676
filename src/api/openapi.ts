/**
 * The OpenAPI 3.1 document served at /openapi.json (and drawn at /docs): what the routes' own
 * schemas leave out, added in one place when @fastify/swagger builds the document.
 *   - info.description: how to sign a transaction (which bytes, which hash, which curve), the
 *     error body, rate limits; docs/api.md says the same at length.
 *   - components: the Error body, ErrorCode (every code a node answers with, each with its HTTP
 *     status and meaning, from every folder's errors.ts), one response per error status naming
 *     its codes, the signed Tx with a real signed example.
 *   - every operation: its success status (202 for a submitted tx, 201 for a created resource,
 *     200 otherwise) and the error statuses any route can answer (400 bad input, 429 over the
 *     rate limit, 500; 413/415 where a body is taken), each as a $ref to the shared response.
 * test/openapi.test.ts validates the document and compares its paths with the routes Fastify
 * registered (recordRoutes below), both ways.
 */
import type { FastifyInstance } from 'fastify';
import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import { DID_RE, HEX64_RE } from '../codec/index.ts';
import { STATUS } from './errors.ts';
import { CLIENT_FOLDERS, type CodeList } from './error-catalogue.ts';

/** A route as Fastify registered it (before @fastify/swagger sees it). */
export interface RouteEntry {
  method: string;
  /** Fastify's form: /v1/chains/:chain */
  url: string;
  /** Left out of the document on purpose (schema.hide). */
  hidden: boolean;
}

const registered = new WeakMap<FastifyInstance, RouteEntry[]>();

/** Starts recording every route registered on `app` from now on (call first). */
export function recordRoutes(app: FastifyInstance): void {
  const list: RouteEntry[] = [];
  registered.set(app, list);
  app.addHook('onRoute', (r) => {
    const hidden = (r.schema as { hide?: boolean } | undefined)?.hide === true;
    for (const method of [r.method].flat()) list.push({ method: method.toUpperCase(), url: r.url, hidden });
  });
}

/** The routes recorded on `app` by recordRoutes, in registration order. */
export function routesOf(app: FastifyInstance): readonly RouteEntry[] {
  return registered.get(app) ?? [];
}

/** OpenAPI path of a Fastify URL: /v1/chains/:chain -> /v1/chains/{chain}. */
export function openapiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/** Success answers other than 200, by "METHOD /openapi/path" (the handler's reply.status). */
const SUCCESS: Record<string, { status: number; description: string }> = {
  'POST /v1/chains/{chain}/txs': { status: 202, description: 'Accepted: in the mempool and on disk, not yet in a block (follow GET /v1/txs/{hash})' },
  'POST /credentials/issue': { status: 201, description: 'Created: {verifiableCredential}' },
  'POST /v1/workorders': { status: 201, description: 'Created: the work order' },
  'POST /v1/workorders/{id}/comments': { status: 201, description: 'Created: the work order with the comment' },
  'POST /v1/admin/apikeys': { status: 201, description: 'Created: the API key (its secret is shown this once)' },
};

const REASONS: Record<number, string> = {
  400: 'Bad input: the request, a parameter or the transaction is wrong; the message says what and where',
  401: 'Not signed in, or the session ended (console routes: Authorization: Bearer <token> from POST /v1/auth/login)',
  403: 'Not allowed: the signer or session lacks the role, or the chain does not admit the sender',
  404: 'Not found: no such chain, block, tx, record or route',
  409: 'Conflict: the transaction or nonce is already taken',
  410: 'Gone: the DID is deactivated',
  413: 'Body too large: send less (fewer transactions per request)',
  414: 'A path parameter is longer than 2,048 characters',
  415: 'Not JSON: send the body with Content-Type: application/json',
  429: 'Over a limit: the rate limit of this route class per client address (Retry-After says when), or a sender\'s mempool quota',
  500: 'The node failed; its log has details',
  501: 'Not implemented here: e.g. a DID method this node does not resolve',
  503: 'Busy or not offered: a full mempool or render queue (retry after Retry-After), or a service this node does not run',
};

/** Statuses every operation may answer: the rate limiter and the error handler stand before every route. */
const ALWAYS = [400, 429, 500];
/** And every operation that takes a body. */
const WITH_BODY = [413, 415];

/**
 * A transaction signed with SM2 by a fixed test key (private key 3945208f…c5b8), valid: its hash
 * and signature check (test/openapi.test.ts).
 */
export const EXAMPLE_TX = {
  chain: 'notary',
  from: 'did:shulian:4DNRUun8835XtgW2B9PBHzi51yin',
  pubkey: '0409f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13',
  nonce: 0,
  module: 'notary',
  method: 'put',
  args: { hash: 'b5e4ab5b2f2a5c3a8b8d1f0e8a2e6a1d7a6c3b2e1f0d9c8b7a6e5d4c3b2a1f0e', name: 'contract.pdf', size: 48213 },
  expires: 120,
  sig: '12887d9fbc9b5b280ee73ec43912822f676800ab6dea2a436f54ed44627873bd67e53658b2a332cecb1eadbca10d6533b026bcd0bca5609585a8332c2c934506',
} as const;
export const EXAMPLE_TX_HASH = '326482f3360b005f9e3f395b5671852a9606ed550b661b708b4dc48a38b72da6';

const SIGNING = `## Signing a transaction

A transaction is \`{chain, from, pubkey, nonce, module, method, args, expires, sig}\` (schema \`Tx\`).

1. Take every field but \`sig\` and serialise them as RFC 8785 (JCS) canonical JSON: keys sorted,
   no whitespace, numbers in their shortest form, UTF-8.
2. \`hash\` = SM3 of those bytes on SM2 chains, SHA-256 on Ed25519 chains (a chain's \`suite\`,
   GET /v1/chains/{chain}). Its 64 lowercase hex digits are the transaction's id.
3. \`sig\` = the sender's signature over the 32 hash bytes: SM2 (GB/T 32918, user ID
   \`1234567812345678\`, e = SM3(Z ‖ hash)) or Ed25519, as 64 bytes \`r ‖ s\` in lowercase hex.

\`pubkey\` is the hex public key (65 bytes uncompressed SM2, 32 bytes Ed25519) and \`from\` the DID it
derives (did:shulian:…) or a DID whose identity-chain document lists that key. \`nonce\` is the
sender's next nonce on the chain (\`pendingNonce\` of GET /v1/chains/{chain}/accounts/{did});
\`expires\` the last height at which the tx may be included. \`args\` is an object whose fields the
module's method defines (docs/api.md and each module's doc), nested at most 16 levels.

The SDK does all of this: \`signTx(key, draft)\` and \`client.send(chain, key, call)\` in \`shulian/sdk\`
(docs/sdk.md). The example of \`Tx\` below is a real signed transaction.`;

const OVERVIEW = `Chains of a Shulian alliance hosted by this node. Reads are open; writes are signed
transactions (POST /v1/chains/{chain}/txs, answered 202 once admitted). Every error is
\`{"error": {"code", "message"}}\` with a typed code (schema \`ErrorCode\` lists each with its HTTP
status). Each client address has a budget per minute for reads, writes and sign-ins; past it, 429
with Retry-After. See docs/api.md for the whole API and docs/sdk.md for the SDK.

${SIGNING}`;

type Json = Record<string, unknown>;

/** Every code a node answers with (the folders of client-only codes left out), with its status. */
function serverCodes(lists: readonly CodeList[]): Array<{ code: string; folder: string; meaning: string; status: number }> {
  const out: Array<{ code: string; folder: string; meaning: string; status: number }> = [];
  for (const l of lists) {
    if (CLIENT_FOLDERS.has(l.folder)) continue;
    for (const [code, meaning] of Object.entries(l.codes)) {
      out.push({ code, folder: l.folder, meaning, status: Object.hasOwn(STATUS, code) ? STATUS[code as keyof typeof STATUS] : 400 });
    }
  }
  return out;
}

function components(lists: readonly CodeList[]): Json {
  const codes = serverCodes(lists);
  const statuses = [...new Set([...Object.keys(REASONS).map(Number), ...codes.map((c) => c.status)])].sort((a, b) => a - b);
  const responses: Json = {};
  for (const status of statuses) {
    const mine = codes.filter((c) => c.status === status);
    const example = mine[0] ?? { code: status === 429 ? 'RATE_LIMITED' : 'BAD_REQUEST', meaning: REASONS[status] ?? '' };
    const named = status === 400
      ? `every code listed with status 400 in ErrorCode (${mine.length} codes)`
      : mine.map((c) => `\`${c.code}\``).join(', ');
    responses[`Error${status}`] = {
      description: `${REASONS[status] ?? `HTTP ${status}`}.${named ? ` Codes: ${named}.` : ''}`,
      content: {
        'application/json': {
          schema: { $ref: '#/components/schemas/Error' },
          example: { error: { code: example.code, message: example.meaning } },
        },
      },
    };
  }
  const tx: Json = {
    type: 'object',
    description: 'A signed transaction. hash = SM3 (SHA-256 on Ed25519 chains) of the RFC 8785 canonical JSON of every field but sig; sig signs the 32 hash bytes (see "Signing a transaction" above).',
    additionalProperties: false,
    properties: {
      chain: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,31}$', description: 'the chain it is for (signed, so it cannot be replayed on another)' },
      from: { type: 'string', pattern: DID_RE.source, description: 'sender DID: the DID of pubkey, or a DID whose document lists pubkey' },
      pubkey: { type: 'string', pattern: '^([0-9a-f]{2})+$', description: 'hex public key: 65 bytes (SM2, uncompressed) or 32 bytes (Ed25519)' },
      nonce: { type: 'integer', minimum: 0, description: 'the sender\'s next nonce on this chain' },
      module: { type: 'string', pattern: '^[a-z][a-zA-Z0-9_]{0,31}$', examples: ['notary'] },
      method: { type: 'string', pattern: '^[a-z][a-zA-Z0-9_]{0,31}$', examples: ['put'] },
      args: { type: 'object', additionalProperties: true, description: 'the method\'s arguments: an object whose fields the module\'s method defines; nested at most 16 levels' },
      expires: { type: 'integer', minimum: 0, description: 'last height at which the tx may be included' },
      sig: { type: 'string', pattern: '^[0-9a-f]{128}$', description: '64 bytes r‖s, hex: SM2 (user ID 1234567812345678) or Ed25519 over the 32 hash bytes' },
    },
    required: ['chain', 'from', 'pubkey', 'nonce', 'module', 'method', 'args', 'expires', 'sig'],
    examples: [EXAMPLE_TX],
  };
  return {
    schemas: {
      Error: {
        type: 'object',
        description: 'Every error answer. `code` is one of ErrorCode (a few routes with their own standard, e.g. the DID Resolution binding, add theirs).',
        properties: {
          error: {
            type: 'object',
            properties: { code: { type: 'string', examples: ['CHAIN_NOT_FOUND'] }, message: { type: 'string', description: 'what was wrong, where, and what to do' } },
            required: ['code', 'message'],
          },
        },
        required: ['error'],
      },
      ErrorCode: {
        type: 'string',
        description: 'Every code a node answers with. `x-codes` gives each one\'s HTTP status, meaning and the folder that declares it (docs/api.md "Error codes" has the same table).',
        enum: codes.map((c) => c.code),
        'x-codes': Object.fromEntries(codes.map((c) => [c.code, { status: c.status, meaning: c.meaning, folder: c.folder }])),
      },
      Tx: tx,
      TxAccepted: { type: 'object', properties: { hash: { type: 'string', pattern: HEX64_RE.source } }, required: ['hash'], examples: [{ hash: EXAMPLE_TX_HASH }] },
      TxBatchResults: {
        type: 'object',
        properties: {
          results: {
            type: 'array',
            items: {
              type: 'object',
              properties: { hash: { type: 'string' }, accepted: { type: 'boolean' }, code: { type: 'string' }, message: { type: 'string' } },
              required: ['accepted'],
            },
          },
        },
        required: ['results'],
        examples: [{ results: [{ hash: EXAMPLE_TX_HASH, accepted: true }, { accepted: false, code: 'TX_NONCE_STALE', message: 'nonce 0 is already used by did:shulian:4DNRUun8835XtgW2B9PBHzi51yin on notary; the next is 1' }] }],
      },
    },
    responses,
  };
}

function isErrorStatus(key: string): boolean {
  return /^[45]\d\d$/.test(key);
}

/** Success and error responses of one operation (mutates `op`). */
function completeOperation(key: string, op: Json, errorStatuses: ReadonlySet<number>): void {
  const responses = (op.responses ?? {}) as Record<string, Json>;
  const success = SUCCESS[key];
  if (success) {
    for (const k of Object.keys(responses)) if (/^2\d\d$/.test(k) && Number(k) !== success.status) delete responses[k];
    const declared = responses[String(success.status)];
    responses[String(success.status)] = { ...declared, description: success.description };
  } else if (!Object.keys(responses).some((k) => /^2\d\d$/.test(k))) {
    responses['200'] = { description: 'OK' };
  }
  for (const [k, r] of Object.entries(responses)) if (r.description === 'Default Response' && !isErrorStatus(k)) r.description = 'OK';
  const statuses = new Set([...Object.keys(responses).filter(isErrorStatus).map(Number), ...ALWAYS, ...(op.requestBody ? WITH_BODY : [])]);
  for (const s of statuses) if (errorStatuses.has(s)) responses[String(s)] = { $ref: `#/components/responses/Error${s}` };
  op.responses = Object.fromEntries(Object.entries(responses).sort(([a], [b]) => a.localeCompare(b)));
}

/** The tx route: its body as the Tx schema (or a batch of them), its 202 answers with their schemas. */
function completeTxRoute(op: Json): void {
  const body = (op.requestBody as { content?: Record<string, { schema?: Json }> } | undefined)?.content?.['application/json'];
  if (body) {
    body.schema = {
      oneOf: [{ $ref: '#/components/schemas/Tx' }, { type: 'object', properties: { txs: { type: 'array', items: { $ref: '#/components/schemas/Tx' }, maxItems: 1000 } }, required: ['txs'], additionalProperties: false }],
    };
    (body as Json).examples = { one: { summary: 'one signed tx', value: EXAMPLE_TX }, batch: { summary: 'a batch', value: { txs: [EXAMPLE_TX] } } };
  }
  const responses = op.responses as Record<string, Json>;
  responses['202'] = {
    ...responses['202'],
    content: { 'application/json': { schema: { oneOf: [{ $ref: '#/components/schemas/TxAccepted' }, { $ref: '#/components/schemas/TxBatchResults' }] } } },
  };
}

/**
 * @fastify/swagger's options: the document's frame and the completion above, over the error
 * lists (error-catalogue.ts) loaded once when the API is built.
 */
export function swaggerOptions(version: string, lists: readonly CodeList[]): FastifyDynamicSwaggerOptions {
  return {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Shulian node API', version, description: OVERVIEW },
    },
    transformObject: (documentObject) => {
      const doc = ('openapiObject' in documentObject ? documentObject.openapiObject : documentObject.swaggerObject) as Json;
      const comps = components(lists);
      const errorStatuses = new Set(Object.keys(comps.responses as Json).map((k) => Number(k.slice('Error'.length))));
      doc.components = { ...(doc.components as Json | undefined), ...comps };
      for (const [path, item] of Object.entries((doc.paths ?? {}) as Record<string, Record<string, Json>>)) {
        for (const [method, op] of Object.entries(item)) {
          const key = `${method.toUpperCase()} ${path}`;
          completeOperation(key, op, errorStatuses);
          if (key === 'POST /v1/chains/{chain}/txs') completeTxRoute(op);
        }
      }
      return doc as ReturnType<NonNullable<FastifyDynamicSwaggerOptions['transformObject']>>;
    },
  };
}
