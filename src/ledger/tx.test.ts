import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ShulianError } from '../codec/index.ts';
import { generateKeyPair } from '../crypto/index.ts';
import { decodeTx, signTx, verifyTxSignature } from './index.ts';

const key = generateKeyPair('sm2');
const good = signTx(key, { chain: 'notary', module: 'notary', method: 'put', args: { hash: 'ab'.repeat(32) }, nonce: 3, expires: 10 }).tx;

test('a signed tx decodes and verifies; any change to a signed field breaks the signature', () => {
  assert.deepEqual(decodeTx(structuredClone(good)), good);
  assert.equal(verifyTxSignature('sm2', good), true);
  for (const field of ['chain', 'module', 'method'] as const) assert.equal(verifyTxSignature('sm2', { ...good, [field]: good[field] + 'x' }), false);
  assert.equal(verifyTxSignature('sm2', { ...good, nonce: 4 }), false);
  assert.equal(verifyTxSignature('sm2', { ...good, expires: 11 }), false);
  assert.equal(verifyTxSignature('sm2', { ...good, args: { hash: 'cd'.repeat(32) } }), false);
});

test('decoder names the field that is wrong', () => {
  assert.throws(() => decodeTx({ ...good, nonce: 1.5 }), (e: ShulianError) => e.code === 'TX_MALFORMED' && /nonce/.test(e.message));
  assert.throws(() => decodeTx({ ...good, from: 'did:web:x' }), (e: ShulianError) => /from/.test(e.message));
  assert.throws(() => decodeTx({ ...good, extra: 1 }), (e: ShulianError) => e.code === 'TX_MALFORMED');
  // A "__proto__" key survives JSON but not a JavaScript object: refused, never silently dropped after signing.
  assert.throws(() => decodeTx({ ...good, args: JSON.parse('{"a":{"__proto__":false}}') }), (e: ShulianError) => e.code === 'TX_MALFORMED' && /__proto__/.test(e.message));
  assert.throws(() => decodeTx({ ...good, sig: good.sig.toUpperCase() }), (e: ShulianError) => /sig/.test(e.message));
  let deep: unknown = 1;
  for (let i = 0; i < 40; i++) deep = [deep];
  assert.throws(() => decodeTx({ ...good, args: deep }), (e: ShulianError) => /nested/.test(e.message));
});

test('decoder: arbitrary input either decodes to a well-formed tx or throws a typed error (property)', () => {
  const mutated = fc.record({
    field: fc.constantFrom('chain', 'from', 'pubkey', 'nonce', 'module', 'method', 'args', 'expires', 'sig'),
    value: fc.oneof(fc.jsonValue(), fc.anything()),
  });
  fc.assert(fc.property(fc.oneof(fc.anything(), mutated.map(({ field, value }) => ({ ...good, [field]: value }))), (input) => {
    try {
      const tx = decodeTx(input);
      assert.equal(typeof tx.nonce, 'number');
      assert.match(tx.sig, /^[0-9a-f]{128}$/);
    } catch (err) {
      assert.ok(err instanceof ShulianError, `untyped error: ${String(err)}`);
      assert.ok(['TX_MALFORMED', 'TX_TOO_LARGE'].includes(err.code));
    }
  }), { numRuns: 2000 });
});

test('prepareTx: one canonicalisation gives the same hash and size as the long way', async () => {
  const { canonicalize } = await import('../codec/index.ts');
  const { prepareTx, txHashOf } = await import('./index.ts');
  const p = prepareTx('sm2', structuredClone(good));
  assert.equal(p.hash, txHashOf('sm2', good));
  assert.equal(p.bytes, Buffer.byteLength(canonicalize(good)));
  assert.throws(() => prepareTx('sm2', { ...good, args: { pad: 'x'.repeat(70_000) } }), { code: 'TX_TOO_LARGE' });
});

test('decoder: the fast path answers exactly as the schema does, field order included (property, issue #20)', async () => {
  const { decodeTxBySchema } = await import('./tx.ts');
  const answer = (f: () => unknown): string => {
    try {
      return `ok ${JSON.stringify(f())}`;
    } catch (err) {
      return `${(err as ShulianError).code}: ${(err as Error).message}`;
    }
  };
  const same = (input: unknown): void => assert.equal(answer(() => decodeTx(input)), answer(() => decodeTxBySchema(input)));
  same(structuredClone(good));
  same({ ...good, args: { list: [1, -0, 2.5, 'x', null, true, { deep: [[]] }], '0': 'numeric key', '': 'empty key' } });
  same({ ...good, args: [1, , 3] });
  same({ ...good, args: { n: Infinity } });
  same({ ...good, args: new Map() });
  same({ ...good, args: undefined });
  same({ ...good, nonce: Number.MAX_SAFE_INTEGER + 1 });
  same(Object.assign(Object.create(null), good));
  const { args, ...noArgs } = good;
  same({ ...noArgs, extra: args });
  // Reordered fields decode to the schema's order.
  const { sig, ...noSig } = good;
  same({ sig, ...noSig });
  const mutated = fc.record({
    field: fc.constantFrom('chain', 'from', 'pubkey', 'nonce', 'module', 'method', 'args', 'expires', 'sig', 'other'),
    value: fc.oneof(fc.jsonValue(), fc.anything()),
  });
  fc.assert(fc.property(mutated.map(({ field, value }) => ({ ...good, [field]: value })), (input) => same(input)), { numRuns: 3000 });
});
