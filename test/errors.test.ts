/**
 * Typed error codes (issue #14 item 5): every folder's list is documented in docs/api.md, no code
 * is declared twice, the API's status table covers exactly the declared codes, the codes the
 * source writes are declared, and the error classes are ShulianErrors with their own codes.
 * What the compiler checks (unknown codes at throw sites, a status for every API code) is pinned
 * by the @ts-expect-error lines at the end: `tsc` fails if one of them stops being an error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { DOC, ROOT, loadLists, render, statusText, withSection } from '../scripts/error-codes.ts';
import { ShulianError, foreign } from '../src/codec/index.ts';
import { ModuleError } from '../src/runtime/index.ts';
import { LexError } from '../src/lex/index.ts';
import { STATUS, statusFor } from '../src/api/errors.ts';
import { RPC, RpcError } from '../src/api/routes/eth.ts';
import { parseCertificate, parseVersionTime, X509Error } from '../src/did/index.ts';
import { DerError, readTlv } from '../src/crypto/x509/der.ts';
import { LightClientError } from '../src/ledger/light/index.ts';

const lists = await loadLists();
const declaredIn = new Map<string, string[]>();
for (const l of lists) for (const code of Object.keys(l.codes)) declaredIn.set(code, [...(declaredIn.get(code) ?? []), l.folder]);

test('docs/api.md lists every code with its HTTP status and meaning, as generated', () => {
  const doc = readFileSync(DOC, 'utf8');
  const missing = lists.flatMap((l) => Object.entries(l.codes)
    .filter(([code, meaning]) => !doc.includes(`| \`${code}\` | ${statusText(l.folder, code)} | ${meaning.replaceAll('|', '\\|')} |`))
    .map(([code]) => `${l.folder}: ${code}`));
  assert.deepEqual(missing, [], 'run: node --import tsx scripts/error-codes.ts');
  assert.equal(withSection(doc, render(lists)), doc, 'docs/api.md error codes are out of date; run: node --import tsx scripts/error-codes.ts');
});

test('each code is declared once, in UPPER_SNAKE_CASE, with a one-line meaning', () => {
  assert.ok(lists.length >= 30, `found only ${lists.length} lists`);
  const twice = [...declaredIn].filter(([, folders]) => folders.length > 1).map(([code, folders]) => `${code}: ${folders.join(', ')}`);
  assert.deepEqual(twice, []);
  for (const l of lists) {
    for (const [code, meaning] of Object.entries(l.codes)) {
      assert.match(code, /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/, `${l.folder}: ${code}`);
      assert.ok(meaning.length >= 10 && !meaning.includes('\n'), `${l.folder}: ${code} needs a one-line meaning`);
    }
  }
});

test('the HTTP status table lists declared codes only, and every code of the API\'s folders', () => {
  const undeclared = Object.keys(STATUS).filter((c) => !declaredIn.has(c));
  assert.deepEqual(undeclared, []);
  const apiFolders = new Set(['common', 'api', 'chain', 'ledger']);
  const unlisted = lists.filter((l) => apiFolders.has(l.folder)).flatMap((l) => Object.keys(l.codes)).filter((c) => !Object.hasOwn(STATUS, c));
  assert.deepEqual(unlisted, []);
  for (const [code, status] of Object.entries(STATUS)) assert.ok(status >= 400 && status < 600, `${code}: ${status}`);
});

test('statusFor: conflicts 409, missing things 404, limits 429/503, server faults 500, anything else 400', () => {
  assert.equal(statusFor('TX_DUPLICATE'), 409);
  assert.equal(statusFor('CHAIN_NOT_FOUND'), 404);
  assert.equal(statusFor('MEMPOOL_SENDER_QUOTA'), 429);
  assert.equal(statusFor('MEMPOOL_FULL'), 503);
  assert.equal(statusFor('TX_NOT_ADMITTED'), 403);
  // INTERNAL thrown as a ShulianError (a render worker died) answered 400 before; the fallback
  // for unexpected errors answers INTERNAL with 500, and now both do.
  assert.equal(statusFor('INTERNAL'), 500);
  assert.equal(statusFor('POOL_CLOSED'), 503);
  assert.equal(statusFor('DID_NOT_FOUND'), 400);
  assert.equal(statusFor(foreign('SOMETHING_A_PEER_SAID')), 400);
  // A foreign code named like an Object.prototype property is just unknown (it used to answer the property).
  for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) assert.equal(statusFor(foreign(name)), 400, name);
});

/** Codes written into the source outside the lists; each is another library's or a vocabulary of its own. */
const NOT_OURS = new Set([
  'CALL_EXCEPTION', // ethers' error code, read from a JSON-RPC failure
  'FST_ERR_CTP_BODY_TOO_LARGE', 'FST_ERR_CTP_INVALID_MEDIA_TYPE', 'FST_ERR_MAX_PARAM_LENGTH', 'FST_ERR_BAD_URL', // fastify's
  'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', // ws'
  'ERR_BUFFER_TOO_LARGE', // Node's
  'REQUEST', // a console-side diagnostic of the lex editor, not an error code
]);
const isErrno = (c: string) => /^E[A-Z]+$/.test(c);
const isLexDiagnostic = (c: string, file: string) => c.startsWith('LEX_') && file === 'src/lex/parser.ts';

function sources(dir: string, out: string[] = []): string[] {
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (/\.tsx?$/.test(f) && !/\.test\.tsx?$|\.test-helper\.ts$/.test(f)) out.push(p);
  }
  return out;
}

test('every code the source writes (throws, answers, compares against) is declared', () => {
  // Where a code is written as a literal: `code: 'X'`, `code === 'X'`, `…Error('X'`, `?? 'X'`.
  const re = /(?:code\s*:\s*|code\s*[!=]==?\s*|Error\(\s*|\?\?\s*)'([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z]{4,})'/g;
  const unknown: string[] = [];
  let seen = 0;
  for (const file of [...sources(join(ROOT, 'src')), ...sources(join(ROOT, 'console', 'src'))]) {
    const rel = relative(ROOT, file);
    const lines = readFileSync(file, 'utf8').split('\n');
    for (const [i, line] of lines.entries()) {
      if (/^\s*(\*|\/\/)/.test(line)) continue;
      for (const m of line.matchAll(re)) {
        const c = m[1]!;
        seen++;
        if (declaredIn.has(c) || NOT_OURS.has(c) || isErrno(c) || isLexDiagnostic(c, rel)) continue;
        unknown.push(`${rel}:${i + 1} ${c}`);
      }
    }
  }
  assert.ok(seen > 500, `the scan found only ${seen} codes; is the pattern still right?`);
  assert.deepEqual(unknown, [], 'declare these codes in their folder\'s errors.ts');
});

test('RpcError, X509Error, DerError and OptionsError are ShulianErrors with their own codes', () => {
  const rpc = new RpcError(RPC.INVALID_PARAMS, 'params must be an array');
  assert.ok(rpc instanceof ShulianError);
  assert.equal(rpc.code, 'RPC_INVALID_PARAMS');
  assert.equal(rpc.rpcCode, -32602);
  assert.equal(new RpcError(RPC.EXECUTION_REVERTED, 'reverted', '0x').code, 'RPC_EXECUTION_REVERTED');
  assert.ok(declaredIn.has(rpc.code));

  assert.throws(() => parseCertificate('not a certificate'), (e: unknown) => e instanceof X509Error && e instanceof ShulianError && e.code === 'X509_MALFORMED');
  assert.throws(() => readTlv(new Uint8Array([0x30]), 0), (e: unknown) => e instanceof DerError && e instanceof ShulianError && e.code === 'DER_MALFORMED');
  assert.throws(() => parseVersionTime('yesterday'), (e: unknown) => e instanceof ShulianError && e.code === 'INVALID_OPTIONS' && /versionTime/.test(e.message));
  const light = new LightClientError('LIGHT_NO_COMMIT', 'a BFT header needs its commit');
  assert.ok(light instanceof ShulianError && declaredIn.has(light.code));
});

// Never called: these lines are for the compiler. Each must stay an error, or tsc fails.
export function compileTimeChecks(wire: string): void {
  // @ts-expect-error a code no folder declares
  void new ShulianError('NO_SUCH_CODE', 'x');
  // @ts-expect-error a code read over the wire is marked foreign(), not passed as a plain string
  void new ShulianError(wire, 'x');
  void new ShulianError(foreign(wire), 'x');
  // @ts-expect-error ModuleError takes only codes a module may reject a transaction with
  void new ModuleError('TX_DUPLICATE', 'x');
  void new ModuleError('DID_NOT_FOUND', 'x');
  // @ts-expect-error LexError takes lex's codes and the common ones
  void new LexError('DID_NOT_FOUND', 'x', 'x');
  void new LexError('OUT_OF_GAS', 'x', 'x');
  // @ts-expect-error X509Error takes X.509 codes only
  void new X509Error('TX_DUPLICATE', 'x');
}
