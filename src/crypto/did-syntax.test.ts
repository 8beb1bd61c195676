import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ShulianError, toBase58, DID_RE } from '../codec/index.ts';
import { didFromPublicKey, generateKeyPair } from './index.ts';
import { formatDid, isShulianDid, parseDid, parseShulianDid, shulianDidFromIdBytes, SHULIAN_ID_BYTES } from './did-syntax.ts';

const CODES = new Set(['INVALID_DID', 'INVALID_DID_URL', 'METHOD_NOT_SUPPORTED']);

/** Runs f and returns the ShulianError code it threw, failing on anything else. */
function codeOf(f: () => unknown): string | undefined {
  try {
    f();
    return undefined;
  } catch (err) {
    assert.ok(err instanceof ShulianError, `threw a ${(err as Error)?.constructor?.name}: ${String(err)}`);
    assert.ok(CODES.has(err.code), `unexpected code ${err.code}`);
    assert.ok(err.message.length > 0);
    return err.code;
  }
}

// Generators following the DID Core 1.0 ABNF.
const ALPHA = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGIT = '0123456789';
const charOf = (s: string) => fc.constantFrom(...s.split(''));
const pct = fc.tuple(charOf('0123456789ABCDEFabcdef'), charOf('0123456789ABCDEFabcdef')).map(([a, b]) => `%${a}${b}`);
const idchar = fc.oneof({ weight: 8, arbitrary: charOf(ALPHA + DIGIT + '._-') }, { weight: 1, arbitrary: pct });
const idchars = (min: number) => fc.array(idchar, { minLength: min, maxLength: 12 }).map((a) => a.join(''));
const methodName = fc.array(charOf('abcdefghijklmnopqrstuvwxyz0123456789'), { minLength: 1, maxLength: 10 }).map((a) => a.join(''));
const methodSpecificId = fc.tuple(fc.array(idchars(0).map((s) => s + ':'), { maxLength: 3 }), idchars(1)).map(([segs, last]) => segs.join('') + last);
const pchar = fc.oneof({ weight: 8, arbitrary: charOf(ALPHA + DIGIT + "-._~!$&'()*+,;=:@") }, { weight: 1, arbitrary: pct });
const segment = fc.array(pchar, { maxLength: 8 }).map((a) => a.join(''));
const pathAbempty = fc.array(segment.map((s) => '/' + s), { maxLength: 3 }).map((a) => a.join(''));
const queryOrFragment = fc.array(fc.oneof(pchar, charOf('/?')), { maxLength: 12 }).map((a) => a.join(''));
const didUrl = fc.record({
  method: methodName,
  id: methodSpecificId,
  path: fc.option(pathAbempty.filter((p) => p !== ''), { nil: undefined }),
  query: fc.option(queryOrFragment, { nil: undefined }),
  fragment: fc.option(queryOrFragment, { nil: undefined }),
});

test('arbitrary strings never throw anything but typed DID errors', () => {
  fc.assert(fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('did:', 'did:a:', 'did::x', 'did:shulian:', 'DID:shulian:x')), (s) => {
    codeOf(() => parseDid(s));
    codeOf(() => parseShulianDid(s));
    assert.equal(typeof isShulianDid(s), 'boolean');
  }), { numRuns: 3000 });
  fc.assert(fc.property(fc.anything(), (x) => {
    codeOf(() => parseDid(x));
    codeOf(() => parseShulianDid(x));
  }), { numRuns: 500 });
});

test('strings near the grammar (did: plus arbitrary tails) never throw untyped errors', () => {
  fc.assert(fc.property(fc.string({ unit: fc.constantFrom(...'did:shulian%/?#:aZ09._-~!$&\'()*+,;=@ \u00e9'.split('')), maxLength: 60 }), (tail) => {
    codeOf(() => parseDid('did:' + tail));
    codeOf(() => parseShulianDid('did:shulian:' + tail));
  }), { numRuns: 3000 });
});

test('valid DIDs and DID URLs parse and round-trip', () => {
  fc.assert(fc.property(didUrl, (parts) => {
    const s = formatDid(parts);
    const p = parseDid(s);
    assert.equal(p.method, parts.method);
    assert.equal(p.id, parts.id);
    assert.equal(p.path, parts.path);
    assert.equal(p.query, parts.query);
    assert.equal(p.fragment, parts.fragment);
    assert.equal(p.did, `did:${parts.method}:${parts.id}`);
    assert.equal(formatDid(p), s);
    assert.equal(p.didUrl, s);
  }), { numRuns: 2000 });
});

test('did:shulian identifiers: any 20 bytes round-trip, and DIDs of real keys parse', () => {
  fc.assert(fc.property(fc.uint8Array({ minLength: SHULIAN_ID_BYTES, maxLength: SHULIAN_ID_BYTES }), (bytes) => {
    const did = shulianDidFromIdBytes(bytes);
    assert.match(did, DID_RE);
    const p = parseShulianDid(did);
    assert.deepEqual(p.idBytes, bytes);
    assert.equal(p.did, did);
    assert.equal(isShulianDid(did), true);
  }), { numRuns: 1000 });
  // Other lengths are not did:shulian identifiers, whatever their characters.
  fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 40 }).filter((b) => b.length !== SHULIAN_ID_BYTES), (bytes) => {
    assert.equal(codeOf(() => parseShulianDid(`did:shulian:${toBase58(bytes)}`)), 'INVALID_DID');
  }), { numRuns: 500 });
  for (const suite of ['sm2', 'ed25519'] as const) {
    const did = didFromPublicKey(generateKeyPair(suite).publicKey);
    assert.equal(parseShulianDid(did).did, did);
  }
});

test('clear, typed rejections', () => {
  const good = didFromPublicKey(generateKeyPair('ed25519').publicKey);
  const cases: Array<[unknown, string, RegExp]> = [
    ['', 'INVALID_DID', /starts with "did:"/],
    ['did:Shulian:abc', 'INVALID_DID', /lowercase/],
    ['did:shulian:', 'INVALID_DID', /empty/],
    ['did:example:a:', 'INVALID_DID', /must not end with ":"/],
    ['did:example:a%2', 'INVALID_DID', /percent-encoding/],
    ['did:example:a b', 'INVALID_DID', /not allowed/],
    ['did:example:abc#frag ment', 'INVALID_DID_URL', /fragment/],
    ['did:example:abc', 'METHOD_NOT_SUPPORTED', /only did:shulian/],
    ['did:shulian:0OIl0OIl0OIl0OIl0OIl0', 'INVALID_DID', /base58btc/],
    ['did:shulian:abc', 'INVALID_DID', /20 to 28 characters/],
    [good + '#key-1', 'INVALID_DID', /without path, query or fragment/],
    [42, 'INVALID_DID', /string/],
    ['did:shulian:' + 'z'.repeat(3000), 'INVALID_DID', /longer than/],
  ];
  for (const [input, code, re] of cases) {
    try {
      parseShulianDid(input);
      assert.fail(`${String(input)} should be rejected`);
    } catch (err) {
      assert.ok(err instanceof ShulianError);
      assert.equal(err.code, code, `${String(input)}: ${err.message}`);
      assert.match(err.message, re);
    }
  }
  const url = parseDid(`${good}/path/x?versionTime=2024-01-01T00:00:00Z&a=b%20c#key-1`);
  assert.equal(url.did, good);
  assert.equal(url.path, '/path/x');
  assert.deepEqual(url.params, { versionTime: '2024-01-01T00:00:00Z', a: 'b c' });
  assert.equal(url.fragment, 'key-1');
});
